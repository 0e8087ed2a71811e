"""Every runbook the offline engine produces passes `agent test` with no error finding."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from agent.answers import from_mapping
from agent.checks import check_markdown
from agent.models.base import GenerationRequest
from agent.models.registry import get_model
from agent.render import render_markdown
from agent.rule import load_rule

TYPES = ["web", "api", "pipeline", "worker", "database", "other: message broker"]
ENVS = ["kubernetes", "docker", "vm", "serverless", "baremetal"]
CRITS = ["critical", "high", "medium", "low"]
MONITORING = ["prometheus", "datadog", "cloudwatch", "newrelic", "custom", "prometheus, cloudwatch"]
ONCALL = ["24x7", "business-hours", "follow-the-sun", "none"]
DESCRIPTIONS = [
    "The checkout service handles cart checkout for the web shop. It runs in the shop namespace in us-east-1 "
    "and talks to a PostgreSQL database called checkout and a Redis cache.",
    "billing-worker consumes invoices from a Kafka topic and writes them to MySQL; nginx in front.",
    "A small internal tool.",
]
# Every type x environment pair once, with the other answers rotating through their options.
COMBOS = [
    (typ, env, CRITS[i % 4], MONITORING[i % 6], ONCALL[i % 4], DESCRIPTIONS[i % 3])
    for i, (typ, env) in enumerate(itertools.product(TYPES, ENVS))
]


def _markdown(typ: str, env: str, crit: str, mon: str, oncall: str, description: str) -> str:
    rule = load_rule()
    answers = from_mapping(rule, {"type": typ, "env": env, "criticality": crit, "monitoring": mon,
                                  "oncall": oncall}, "test")
    request = GenerationRequest(rule=rule, description=description, answers=answers,
                                now=datetime(2026, 1, 15, 9, 30), service_name=None)
    return render_markdown(get_model("offline").generate(request).runbook)


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: f"{c[0].split(':')[0]}-{c[1]}-{c[3].split(',')[0]}")
def test_offline_runbooks_pass_static_checks(combo: tuple[str, str, str, str, str, str]) -> None:
    report = check_markdown(_markdown(*combo), "generated.md", tools=False)
    assert report.profile == "rule"
    # Clean at every severity: `agent test --fail-on info` passes on our own output.
    assert report.findings == [], report.findings


@pytest.mark.parametrize("env", ENVS)
def test_offline_runbooks_pass_cli_checks(env: str) -> None:
    report = check_markdown(_markdown("api", env, "critical", "prometheus", "24x7", DESCRIPTIONS[0]), "g.md")
    assert report.findings == [], report.findings  # shellcheck and the CLI checks included, info too
    # What couldn't be checked is said, never passed off as checked.
    for skipped in report.skipped:
        assert "unchecked" in skipped
