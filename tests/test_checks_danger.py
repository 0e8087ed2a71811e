"""The danger classifier: rules, not a model."""

from __future__ import annotations

import pytest

from agent.checks import check_markdown
from agent.checks.danger import classify

CASES = [
    # shell: read-only
    ("kubectl get pods -n prod", "bash", "read-only"),
    ("kubectl logs deploy/api -n prod --tail=100 | grep ERROR", "bash", "read-only"),
    ("kubectl rollout status deployment/api -n prod", "bash", "read-only"),
    ('POD=$(kubectl get pods -n prod -o name | head -1)', "bash", "read-only"),
    ("kubectl exec -n prod api-0 -- df -h", "bash", "read-only"),
    ('psql -h db -c "SELECT count(*) FROM pg_stat_activity"', "bash", "read-only"),
    ('psql -X -Atc "SELECT 1"', "bash", "read-only"),
    ("redis-cli -h cache INFO memory", "bash", "read-only"),
    ("aws rds describe-db-instances --region us-east-1", "bash", "read-only"),
    ("systemctl status nginx", "bash", "read-only"),
    ("journalctl -u nginx --since '1 hour ago'", "bash", "read-only"),
    ("docker compose ps", "bash", "read-only"),
    ("curl -fsS https://api.example.com/health", "bash", "read-only"),
    ("helm status api -n prod", "bash", "read-only"),
    # shell: mutating
    ("kubectl rollout restart deployment/api -n prod", "bash", "mutating"),
    ("kubectl scale deployment/api --replicas=6 -n prod", "bash", "mutating"),
    ("kubectl delete pod api-7d9f -n prod", "bash", "mutating"),
    ("systemctl restart nginx", "bash", "mutating"),
    ("helm rollback api 3 -n prod", "bash", "mutating"),
    ("kubectl get pods -o yaml > pods.yaml", "bash", "mutating"),
    ("curl -X POST https://api.example.com/cache/warm", "bash", "mutating"),
    ("./scripts/rotate-credentials.sh", "bash", "mutating"),  # unknown: never executed
    ("sudo -u postgres psql", "bash", "mutating"),  # interactive: unknown SQL
    # shell: destructive
    ("redis-cli FLUSHALL", "bash", "destructive"),
    ("redis-cli -h cache -n 2 flushdb", "bash", "destructive"),
    ("kubectl delete namespace prod", "bash", "destructive"),
    ("kubectl delete pods --all -n prod", "bash", "destructive"),
    ("kubectl get pods -o name | xargs kubectl delete", "bash", "destructive"),
    ("kubectl drain node-1 --ignore-daemonsets", "bash", "destructive"),
    ("kubectl scale deployment/api --replicas=0 -n prod", "bash", "destructive"),
    ("helm uninstall api -n prod", "bash", "destructive"),
    ("docker compose down -v", "bash", "destructive"),
    ("docker system prune -af", "bash", "destructive"),
    ("rm -rf /var/lib/app/cache", "bash", "destructive"),
    ("find /var/log/app -mtime +30 -delete", "bash", "destructive"),
    ("aws rds failover-db-cluster --db-cluster-identifier prod", "bash", "destructive"),
    ("aws sqs purge-queue --queue-url https://sqs/x", "bash", "destructive"),
    ("aws s3 rm s3://bucket/ --recursive", "bash", "destructive"),
    ('psql -c "DROP TABLE orders"', "bash", "destructive"),
    ("psql <<'SQL'\nTRUNCATE events;\nSQL", "bash", "destructive"),
    ("patronictl failover --force", "bash", "destructive"),
    ("terraform destroy -auto-approve", "bash", "destructive"),
    ("sudo reboot", "bash", "destructive"),
    ("journalctl --vacuum-time=2d", "bash", "destructive"),
    # SQL
    ("SELECT count(*) FROM orders WHERE created_at > now() - interval '1 hour'", "sql", "read-only"),
    ("EXPLAIN SELECT * FROM orders", "sql", "read-only"),
    ("SHOW max_connections", "sql", "read-only"),
    ("SELECT pg_cancel_backend(123)", "sql", "mutating"),
    ("UPDATE orders SET state = 'x' WHERE id = 1", "sql", "mutating"),
    ("VACUUM ANALYZE orders", "sql", "mutating"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle'", "sql", "destructive"),
    ("DELETE FROM sessions WHERE expires < now()", "sql", "destructive"),
    ("UPDATE orders SET state = 'x'", "sql", "destructive"),
    ("DROP DATABASE app", "sql", "destructive"),
    ("TRUNCATE audit_log", "sql", "destructive"),
    ("ALTER TABLE orders DROP COLUMN note", "sql", "destructive"),
    # redis, promql
    ("GET session:1", "redis", "read-only"),
    ("CONFIG GET maxmemory", "redis", "read-only"),
    ("SET flag 1", "redis", "mutating"),
    ("FLUSHALL", "redis", "destructive"),
    ("sum(rate(http_requests_total[5m]))", "promql", "read-only"),
]


@pytest.mark.parametrize(("command", "language", "expected"), CASES)
def test_classify(command: str, language: str, expected: str) -> None:
    assert classify(command, language) == expected


WARNING_FORMS = [
    "> **Warning:** deletes every key.",
    "> ⚠️ **Destructive:** deletes every key.",
    "> **Danger:** deletes every key.",
    "> [!WARNING]\n> deletes every key.",
    "> [!CAUTION]\n> deletes every key.",
    "**Warning:** deletes every key.",
]


@pytest.mark.parametrize("warning", WARNING_FORMS)
def test_accepted_warning_forms(warning: str) -> None:
    text = f"# T\n\n## Cache\n\n{warning}\n\n```bash\nredis-cli FLUSHALL\n```\n"
    report = check_markdown(text, "t.md", tools=False, profile="generic")
    assert not [f for f in report.findings if f.rule == "danger.unwarned"]


def test_comment_warning_and_missing_warning() -> None:
    warned = "# T\n\n## Cache\n\n```bash\n# WARNING: deletes every key\nredis-cli FLUSHALL\n```\n"
    assert not check_markdown(warned, "t.md", tools=False, profile="generic").findings
    # A warning two sections away, or after the next block or heading, does not count.
    unwarned = ("# T\n\n## A\n\n> **Warning:** something else\n\n## B\n\n```bash\nredis-cli FLUSHALL\n```\n\n"
                "## C\n\n> **Warning:** another section\n")
    [finding] = check_markdown(unwarned, "t.md", tools=False, profile="generic").findings
    assert finding.rule == "danger.unwarned" and finding.line == 10 and finding.section == "B"


@pytest.mark.parametrize("layout", [
    "## B\n\n```bash\nredis-cli FLUSHALL\n```\n\n> **Warning:** deletes every key; there is no undo\n",  # after
    "## B\n\n### ⚠️ Destructive: empty the cache\n\n```bash\nredis-cli FLUSHALL\n```\n",  # the heading
    "## B\n\n**IMPORTANT:** this deletes every key.\n\n```bash\nredis-cli FLUSHALL\n```\n",
])
def test_warning_as_heading_or_right_after_the_block(layout: str) -> None:
    assert not check_markdown("# T\n\n" + layout, "t.md", tools=False, profile="generic").findings


def test_a_step_copied_many_times_is_one_finding() -> None:
    text = "# T\n\n## B\n\n" + "".join(f"Step {i}:\n\n```bash\nredis-cli FLUSHALL\n```\n\n" for i in range(20))
    [finding] = check_markdown(text, "t.md", tools=False, profile="generic").findings
    assert finding.rule == "danger.unwarned" and finding.line == 8 and "at lines 14, 20, 26" in finding.message


@pytest.mark.parametrize(("command", "level"), [
    ("kubectl delete deployment api -n x --dry-run=client", "read-only"),
    ("kubectl delete deployment api -n x --dry-run=none", "destructive"),
    ("helm uninstall api --dry-run", "read-only"),
    ("redis-cli -p 26379 SENTINEL failover mymaster", "destructive"),
    ("redis-cli -p 26379 SENTINEL get-master-addr-by-name mymaster", "read-only"),
    ("sentry queues purge default", "destructive"),
    ("consul kv delete -recurse service/api", "destructive"),
    ("consul kv delete service/api/flag", "mutating"),
    ("consul members", "read-only"),
    ("service nginx restart", "mutating"),
    ("service nginx status", "read-only"),
    ("gitlab-ctl cleanse", "destructive"),
    ("someunknowntool cache purge --all", "destructive"),
    ("kubectl delete pod -l app=api -n x", "mutating"),
    ("kubectl delete pods --all -n x", "destructive"),
    ("docker rmi nginx:1.25", "mutating"),
])
def test_destructive_verbs_and_dry_runs(command: str, level: str) -> None:
    assert classify(command) == level


@pytest.mark.parametrize(("sql", "level"), [
    ("SELECT pid FROM pg_stat_activity /* pg_terminate_backend(pid) */", "read-only"),
    ("SELECT 1 -- then pg_terminate_backend(123)", "read-only"),
    ("SELECT pg_terminate_backend(123)", "destructive"),
])
def test_sql_comments_do_not_run(sql: str, level: str) -> None:
    assert classify(sql, "sql") == level


SCOPE = "# T\n\n## S\n\n```bash\n{}\n```\n"


@pytest.mark.parametrize(("command", "rule"), [
    ("kubectl get pods", "scope.namespace"),
    ("kubectl logs deploy/api --tail=10", "scope.namespace"),
    ("kubectl rollout restart deployment/api", "scope.namespace"),
    ("kubectl get pods -n prod", None),
    ("kubectl get pods -A", None),
    ("kubectl get nodes", None),
    ("kubectl apply -f k8s/", None),
    ("kubectl config current-context", None),
    ("aws rds describe-db-instances", "scope.region"),
    ("aws rds describe-db-instances --region eu-west-1", None),
    ("aws s3 ls s3://bucket", None),
    ("AWS_REGION=eu-west-1\naws rds describe-db-instances", None),
])
def test_scope(command: str, rule: str | None) -> None:
    report = check_markdown(SCOPE.format(command), "t.md", tools=False, profile="generic")
    assert [f.rule for f in report.findings] == ([rule] if rule else [])


def test_redis_keys_is_a_warning() -> None:
    text = ("# T\n\n## S\n\n```bash\nredis-cli -h cache KEYS 'session:*'\n"
            "redis-cli -h cache --scan --pattern 'x*'\n```\n")
    [finding] = check_markdown(text, "t.md", tools=False, profile="generic").findings
    assert (finding.rule, finding.severity, finding.line) == ("danger.redis-keys", "warning", 6)
