"""Recovery targets and backup figures the description does not give are defaults, said so where they are
stated: a default RPO under a heading read as the team's promise was the reviewers' recurring complaint.

Property-based: random service names, with and without the team's RTO / RPO.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_letters, told=st.booleans())
def test_a_default_recovery_target_is_marked_assumed(name: str, told: bool) -> None:
    text = (f"{name}-api is a Go API on 2 VMs ({name}-1.lan, {name}-2.lan), systemd unit {name}-api."
            + (" RTO 4 hours, RPO 1 hour." if told else ""))
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "vms", "criticality": "high", "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    markdown = render_markdown(OfflineModel().generate(request).runbook)
    heading = next(line for line in markdown.splitlines() if line.startswith("#### RTO:"))
    if told:
        assert heading == "#### RTO: 4 hours | RPO: 1 hour", heading
    else:
        assert heading.count("(assumed)") == 2, heading
        assert "not a promise" in markdown
    assert "Cross-region copies" not in markdown  # VMs in a data centre: no invented second region
