"""A database name that SQL must quote ("catalog-db") in the statements a runbook runs through psql.

Property-based: random hyphenated database names. The runbook must pass its own SQL parse check (the
statement was cut at the name before: the runbook was refused) and quote the name inside the statement.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks.check import check_markdown
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=_letters, b=_letters)
def test_a_hyphenated_database_name_is_quoted_in_sql(a: str, b: str) -> None:
    db = f"{a}-{b}"
    text = (f"{a}-api is a Go API on 2 VMs (hosts {a}-1.lan, {a}-2.lan, systemd unit {a}-api). "
            f"It stores orders in PostgreSQL database `{db}` on {b}-pg.lan.")
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "vms", "criticality": "high", "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    runbook = OfflineModel().generate(request).runbook
    markdown = render_markdown(runbook)
    findings = [f for f in check_markdown(markdown, rule=rule, tools=False).findings if f.rule.startswith("sql.")]
    assert not findings, findings
    if f"DATABASE {db}" in markdown:
        raise AssertionError(f"unquoted {db} in a statement")
