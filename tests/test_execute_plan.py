"""The live runner's decision, without running anything: common read-only forms are planned (and
how), everything outside the allowlist is refused with a reason, for any names and values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import catalogue
from agent.checks.catalogue import values
from agent.checks.live import Refused
from agent.checks.live.shell_plan import plan_line

VARS = {"NS": "prod", "POD": "api-0", "H": "db.internal", "P": "5432", "URL": "https://api.example.com/healthz"}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ('kubectl get pods -n "$NS" -o wide', "program"),
        ("kubectl describe pod $POD -n $NS", "program"),
        ("kubectl logs $POD -n $NS --since=10m --tail=200 | grep -i error | tail -n 20", "program"),
        ("kubectl rollout status deploy/api -n prod --timeout=60s", "program"),
        ('psql -h "$H" -p "$P" -U app -d app -X -At -c "SELECT count(*) FROM pg_stat_activity"', "postgres"),
        ('psql "postgresql://app@$H:$P/app?sslmode=require" -c "SHOW max_connections"', "postgres"),
        ("redis-cli -h cache -p 6379 INFO memory", "redis"),
        ("redis-cli -h cache --scan --pattern 'session:*' --count 100", "redis"),
        ('curl -fsS "$URL"', "program"),
        ('curl -s -o /dev/null -w "%{http_code}\\n" "$URL"', "program"),
        ("systemctl status nginx --no-pager", "program"),
        ("journalctl -u nginx --since '1 hour ago' --no-pager -n 100", "program"),
        ("sudo journalctl -u nginx -n 50 --no-pager", "program"),
        ("docker compose -f docker-compose.yml logs --tail 100 web 2>&1 | grep -i error", "program"),
        ("aws rds describe-db-instances --db-instance-identifier db --region us-east-1 --output table", "program"),
        ("df -h /var/lib/postgresql", "program"),
        ("NS=staging", "assign"),
        ('POD=$(kubectl get pods -n "$NS" -l app=api -o jsonpath="{.items[0].metadata.name}")', "assign"),
    ],
)
def test_common_read_only_forms_run(line: str, kind: str) -> None:
    assert plan_line(line, dict(VARS)).kind == kind


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("kubectl delete pod api-0", "mutating"),
        ("kubectl logs -f deploy/api", "streaming"),
        ("kubectl --kubeconfig /tmp/k get pods", "--kubeconfig is not on the live allowlist"),
        ("kubectl get pods > pods.txt", "redirections"),
        ("kubectl get pods; rm -rf /", "command list"),
        ("kubectl get pods | sh", "sh: interactive"),
        ("kubectl get pods | tee out", "not on the live allowlist"),
        ("kubectl get pods | xargs kubectl delete pod", "not on the live allowlist"),
        ("echo $(id)", "command substitution"),
        ('psql -c "\\! id"', "meta-command"),
        ('psql -o /tmp/x -c "SELECT 1"', "writes query output"),
        ('psql "dbname=x options=-cdefault_transaction_read_only=off" -c "SELECT 1"', "options= is not allowed"),
        ("redis-cli FLUSHALL", "FLUSHALL is not on the live allowlist"),
        ("redis-cli --pipe", "sends raw protocol"),
        ("curl -X POST https://x/", "mutating"),
        ("curl gopher://127.0.0.1:6379/_FLUSHALL", "not a plain http-url"),
        ("sort -o /tmp/x /tmp/y", "mutating"),
        ("awk 'BEGIN{system(\"id\")}'", "not a plain awk-program"),
        ("/bin/kubectl get pods", "named by its path"),
        ("PGOPTIONS=x psql -c 'SELECT 1'", "changes its environment"),
        ("kubectl get pods -n $UNSET", "needs $UNSET"),
    ],
)
def test_everything_else_is_refused_with_a_reason(line: str, why: str) -> None:
    with pytest.raises(Refused) as refused:
        plan_line(line, dict(VARS))
    assert why in str(refused.value)


_names = st.from_regex(r"[a-z][a-z0-9_-]{1,15}", fullmatch=True)


@given(_names, st.lists(_names, max_size=4))
def test_a_tool_outside_the_catalogue_never_runs(tool: str, args: list[str]) -> None:
    if catalogue.tool(tool) is not None:
        return
    with pytest.raises(Refused):
        plan_line(" ".join([tool, *args]), {})


@settings(max_examples=300)
@given(st.text(min_size=0, max_size=40))
def test_any_var_value_is_substituted_only_when_plain(value: str) -> None:
    try:
        plan = plan_line('kubectl get pods -n "$NS"', {"NS": value})
    except Refused:
        return
    assert values.plain(value) and plan.argvs[0][-1] == value


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab $;&|<>()`'\"\\{}*?~#!\n-=/")), min_size=1, max_size=30))
def test_random_shell_text_after_an_allowed_command(tail: str) -> None:
    """Whatever follows `echo`, a plan is only ever one or more argv lists of catalogue tools marked
    live (a shell never runs), or a refusal."""
    try:
        plan = plan_line("echo " + tail, {"a": "b"})
    except Refused:
        return
    for tool in plan.tools:
        assert any(c.live for c in tool.commands.values())
    assert plan.kind in ("program", "assign")
    for argv in plan.argvs:
        assert not argv[0].endswith(("/sh", "/bash"))
