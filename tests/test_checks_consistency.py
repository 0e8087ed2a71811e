"""`consistency.*`: planted inconsistencies are all found, with both places; consistent text gets none."""

from __future__ import annotations

from pathlib import Path

from agent.checks import check_markdown

FIXTURE = Path(__file__).parent / "fixtures" / "inconsistent.md"


def _findings(text: str) -> list[tuple[int, str, str]]:
    report = check_markdown(text, "x.md", tools=False, profile="generic")
    return [(f.line, f.rule, f.message) for f in report.findings if f.rule.startswith("consistency.")]


def test_every_planted_inconsistency_is_found_with_both_places() -> None:
    text = FIXTURE.read_text()
    found = _findings(text)
    lines = text.splitlines()

    def line_of(snippet: str, start: int = 0) -> int:
        return next(i for i, ln in enumerate(lines, start=1) if i > start and snippet in ln)

    rules = {(line, rule) for line, rule, _ in found}
    assert (line_of("| High error rate |"), "consistency.threshold") in rules  # 1% vs 0.05
    assert (line_of("| Queue backlog |"), "consistency.threshold") in rules  # 15 min vs for: 5m
    assert (line_of("| High latency p95 |"), "consistency.quantile") in rules  # p95 vs 0.99
    # the SLO says p95 and the only latency query computes p99
    assert any(r == "consistency.quantile" and "SLO is stated at p95 (line 7)" in m for _, r, m in found)
    namespace = [m for _, r, m in found if r == "consistency.namespace"]
    assert any("'production'" in m and "'orders'" in m for m in namespace), namespace
    assert any("'shop'" in m for m in namespace), namespace
    # both places: every message names the other line
    assert all("line " in m for _, _, m in found), found
    # the consistent ones are left alone
    assert (line_of("| Disk filling |"), "consistency.threshold") not in rules
    assert len(found) == 6, found


def test_slo_quantile_and_query_quantile_disagreeing_is_found() -> None:
    text = ("# Runbook: X\n\n## Service Overview\n- **Response Time p95:** < 300 ms\n\n"
            "## Monitoring\n**Latency**\n```promql\nhistogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > 0.3\n"
            "```\n")
    (found,) = _findings(text)
    assert found[1] == "consistency.quantile" and "line 4" in found[2]


def test_consistent_runbook_has_no_findings() -> None:
    text = FIXTURE.read_text()
    text = text.replace("> 0.05", "> 0.01").replace("for: 5m", "for: 15m").replace("histogram_quantile(0.99",
                                                                                    "histogram_quantile(0.95")
    text = text.replace("-n production", "-n orders").replace('namespace="shop"', 'namespace="orders"')
    assert _findings(text) == []


def test_variables_and_unrelated_workloads_are_not_compared() -> None:
    text = ("# X\n\n```bash\nkubectl get deployment/api -n \"$NS\"\nkubectl get deployment/api -n orders\n"
            "kubectl get deployment/worker -n jobs\n```\n")
    assert _findings(text) == []
