"""A limit is not a count, and a Premium plan scales out by its floor, never by lowering its burst.

Blind g08: "Azure SQL … (S4, max 200 workers)" became 200 replicas of the function app, "max burst 20" was
not read, and the runbook's scale-out ran `az functionapp plan update --max-burst 400` under the team's
"Don't raise max burst above 20" (and, once the burst was read, `--max-burst 4`: a cap on the scale-out).
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands
from agent.service.text import parse

RULE = load_rule(default_rule_path())
LABEL = st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,6}\Z", fullmatch=True)


@settings(max_examples=30, deadline=None)
@given(svc=LABEL, n=st.integers(20, 900), lead=st.sampled_from(["max", "up to", "at most", "maximum"]),
       noun=st.sampled_from(["workers", "pods", "instances", "connections"]))
def test_a_limit_is_not_the_count_that_runs(svc: str, n: int, lead: str, noun: str) -> None:
    model = parse(f"{svc} is a Java worker on VMs. It writes to the billing database (S4, {lead} {n} {noun}).")
    assert all(s.value != str(n) for c in model.components for s in c.settings if s.key == "replicas"), \
        [(c.id, s.key, s.value) for c in model.components for s in c.settings]


@settings(max_examples=20, deadline=None)
@given(fn=LABEL, low=st.integers(1, 5), high=st.integers(10, 40))
def test_a_premium_plans_floor_and_burst_are_read(fn: str, low: int, high: int) -> None:
    model = parse(f"Function app `{fn}` (.NET 8 isolated, Premium plan EP2, always-ready {low}, max burst {high}), "
                  "resource group rg-x, region westeurope.")
    got = {s.key: s.value for s in model.app.settings} if model.app else {}
    assert got.get("replicas_min") == str(low) and got.get("replicas_max") == str(high), got


@settings(max_examples=4, deadline=None)
@given(fn=LABEL, low=st.integers(1, 4), high=st.integers(10, 30))
def test_scaling_out_a_premium_plan_raises_its_floor_and_keeps_the_burst(fn: str, low: int, high: int) -> None:
    text = (f"Function app `{fn}` (.NET 8 isolated, Premium plan EP2, always-ready {low}, max burst {high}), resource "
            "group `rg-claims`, region westeurope. Trigger: Service Bus queue `claims-inbound`. Don't raise max burst "
            f"above {high} — SQL runs out of workers.")
    answers = from_mapping(RULE, {"type": "worker", "env": "serverless", "criticality": "high", "oncall": "24x7"}, "t")
    runbook = OfflineModel().generate(GenerationRequest(rule=RULE, description=text, answers=answers,
                                                        now=datetime(2026, 1, 15))).runbook
    codes = [c.code for c in iter_commands(runbook)]
    assert not any("--max-burst" in c for c in codes), [c for c in codes if "--max-burst" in c]
    assert any("--min-instances" in c for c in codes)
