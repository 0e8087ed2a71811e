"""A runbook with planted faults (tests/fixtures/planted-faults.md): every fault is found at its
line with its rule id, and nothing else is flagged."""

from __future__ import annotations

import shutil
from pathlib import Path

from agent.checks import check_file

FIXTURE = Path(__file__).parent / "fixtures" / "planted-faults.md"

# (text on the faulty line, rule id, CLI the check needs or None)
EXPECTED: list[tuple[str, str, str | None]] = [
    ("# Runbook: checkout-api", "structure.header", None),  # no **On-Call:** line
    ("[Runbook History](#runbook-history)", "structure.anchor", None),
    ("allows ~4 minutes", "structure.slo-budget", None),
    ("kubectl get pods --namspace prod", "kubectl.flag", "kubectl"),
    ("rollout frobnicate", "kubectl.command", "kubectl"),
    ("kubectl logs [service-name]", "placeholder", None),
    ("describe pod <pod>", "placeholder", None),
    ('deployment/"$DEPLOYMENT"', "shell.undeclared-variable", None),
    ('  echo "deployment exists"', "shell.syntax", None),  # if without fi: bash sees the end of the block
    ("| HighLatency |", "structure.alert-response", None),
    ("| HighLatency |", "structure.alert-link", None),  # the row links to no entry
    ("[5x]", "promql.syntax", None),
    ("--usr checkout", "psql.flag", "psql"),
    ("SELEC pid", "sql.syntax", None),
    ("CONFIG GETT", "redis.command", None),
    ("redis-cli -h cache.internal GET", "redis.arity", None),
    ("systemctl restat", "systemctl.command", "systemctl"),
    ("--sinse", "journalctl.flag", "journalctl"),
    ("docker psx", "docker.command", "docker"),
    ("$(ls /var/log/checkout/*.log)", "shellcheck.SC2045", None),
    ("$ kubectl get pods -n checkout", "shell.prompt", None),  # a bash block with prompts and output
    ("redis-cli -h cache.internal FLUSHALL", "danger.unwarned", None),
    ("kubectl delete namespace checkout", "danger.unwarned", None),
    ("DROP TABLE orders_archive;", "danger.unwarned", None),
    ("describe-db-instancez", "aws.command", None),
    ("--db-instance-identifer", "aws.flag", None),
    # Misses of issue #13: a `$> ` prompt, exec without `--`, a command broken over two lines, destructive
    # commands that read as merely mutating, commands inside ssh / knife ssh, `service NAME ACTION`.
    ("$> kubectl get deploy -n checkout --watch-onlyy", "kubectl.flag", "kubectl"),
    ("kubectl exec -it checkout-api-7d9f -n checkout sh", "kubectl.command", "kubectl"),
    ("  --since=10m", "shell.line-break", None),
    ("SENTINEL failover checkout", "danger.unwarned", None),
    ("ssh worker-1.internal 'sudo redis-cli -h cache.internal FLUSHDB'", "danger.unwarned", None),
    ("sudo systemctl statsu checkout-worker", "systemctl.command", "systemctl"),
    ("sudo service checkout-worker restrat", "service.command", None),
    ("consul kv delete -recurse checkout/", "danger.unwarned", None),
    ("sentry queues purge events", "danger.unwarned", None),
    ("## Maintenance", "structure.empty", None),
    ("## Disaster Recovery", "structure.rto", None),
    ("## Disaster Recovery", "structure.rpo", None),
    ("{{ snapshot }}", "placeholder", None),
    ("## Contacts", "structure.escalation", None),
    ("### Cache", "structure.entry-verify", None),  # a verify step with no number or time window
    ("### Host", "structure.entry", None),  # symptoms and commands, but no fix
    ('kubectl logs deploy/"$DEPLOY" --tail=50', "scope.namespace", None),
    ("aws rds describe-db-clusters --db-cluster-identifier checkout", "scope.region", None),
    ("aws rds describe-db-instances --db-instance-identifier checkout-db", "structure.prerequisites", None),
]


def _line_of(lines: list[str], text: str) -> int:
    exact = [i for i, line in enumerate(lines, start=1) if line.strip() == text.strip()]
    found = exact or [i for i, line in enumerate(lines, start=1) if text in line]
    assert len(found) == 1, f"marker {text!r} must name one line, found {found}"
    return found[0]


def test_every_planted_fault_is_found_and_nothing_else() -> None:
    lines = FIXTURE.read_text().splitlines()
    report = check_file(FIXTURE)
    assert report.profile == "rule"
    expected = set()
    missing_tools = set()
    for text, rule, tool in EXPECTED:
        if tool and shutil.which(tool) is None:
            missing_tools.add(tool)
            continue
        expected.add((_line_of(lines, text), rule))
    found = {(f.line, f.rule) for f in report.findings}
    assert found - expected == set(), "flagged but not planted"
    assert expected - found == set(), "planted but not found"
    assert len(expected) + sum(1 for *_, t in EXPECTED if t in missing_tools) >= 45
    for tool in missing_tools:
        assert any(s.startswith(f"{tool}:") for s in report.skipped), f"{tool} missing but not reported as skipped"
    for finding in report.findings:
        assert finding.message and finding.hint and finding.file == str(FIXTURE)
        assert finding.severity in ("error", "warning", "info")
    assert report.failed("error")


def test_without_tools_only_the_tool_findings_disappear() -> None:
    report = check_file(FIXTURE, tools=False)
    rules = {f.rule for f in report.findings}
    assert not any(r.split(".")[0] in ("kubectl", "psql", "systemctl", "journalctl", "docker", "aws", "redis",
                                       "shellcheck") for r in rules)
    assert {"shell.syntax", "sql.syntax", "promql.syntax", "placeholder", "danger.unwarned",
            "structure.anchor"} <= rules
