"""With Orchestrator, a MySQL failover goes through it: never a replica promoted by hand.

Blind h02 (MySQL 8 with Orchestrator and ProxySQL; "never flip read_only yourself, SET GLOBAL read_only=0
on a replica gave us split brain") got `RESET REPLICA ALL; SET GLOBAL read_only = OFF` as its DR step.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.loop import generate
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands

RULE = load_rule(default_rule_path())
LABEL = st.from_regex(r"\A[a-z]{3,7}\Z", fullmatch=True)


@settings(max_examples=4, deadline=None)
@given(db=LABEL, alias=LABEL)
def test_a_failover_goes_through_orchestrator(db: str, alias: str) -> None:
    text = (f"{db}-db is MySQL 8.0 on three VMs: {db}-db-01.dc1.lan (primary), {db}-db-02.dc1.lan and "
            f"{db}-db-03.dc1.lan (replicas). Failover is Orchestrator (cluster alias `{alias}`) with automated "
            "recovery on; ProxySQL in front.")
    answers = from_mapping(RULE, {"type": "database", "env": "vm", "criticality": "high", "oncall": "24x7"}, "t")
    runbook = generate(OfflineModel(), GenerationRequest(rule=RULE, description=text, answers=answers,
                                                         now=datetime(2026, 1, 15))).runbook
    code = "\n".join(c.code for c in iter_commands(runbook))
    assert "RESET REPLICA ALL" not in code and "read_only = OFF" not in code
    assert f"orchestrator-client -c force-master-failover -alias {alias}" in code
