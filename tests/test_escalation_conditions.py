"""An escalation the team ties to a condition ("page the DBA if replication lag stays above 5 minutes",
"if WAL > 50 GB, escalate to the DB on-call") keeps the condition in the escalation: the level's "when",
and the line above the troubleshooting entries; never replaced by the pace's "not mitigated after N min".
The contacts list only the people the description gives (no "Tech Lead: fill in" for a role nobody
mentioned), with one line asking who is called next when it names no one. Property-based.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge.facts import facts_from_model
from agent.knowledge.policy import escalate_line, escalation
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.text import _STOP, parse

_FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                 phases=[Phase.explicit, Phase.reuse, Phase.generate])
_NOT = {"then", "after", "page", "call", "when", "once", "should", "lead", "team", "owner", "primary", "secondary",
        "escalate", "ping", "notify", "backup", "min", "hours", "with", "from", "this", "that", "only", "unless"}
_WORD = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8).filter(
    lambda w: w not in _STOP and w not in _NOT)
PERSON = st.builds(lambda a, b: f"{a.capitalize()} {b.capitalize()}", _WORD, _WORD)
ROLE = st.sampled_from(["DBA", "DB on-call", "database owner", "platform on-call", "SRE lead", "network team"])
# the condition, as teams write one: {w} a random word (a metric, a volume, a queue)
CONDITIONS = ["if replication lag stays above {n} minutes", "if WAL > {n} GB",
              "when the {w} queue passes {n}k messages", "if the {w} disk is above {n}%",
              "once {w} errors exceed {n} per minute"]
PHRASES = ["Page the {who} {cond}.", "Escalate to the {who} {cond}.", "{Cond}, page the {who}.",
           "{Cond}, escalate to the {who}.", "Call {who} {cond}.", "{Cond}, call {who}."]


def _description(who: str, cond: str, phrase: str) -> str:
    sentence = phrase.format(who=who, cond=cond, Cond=cond[:1].upper() + cond[1:])
    return (f"orders-api is a Python API on Kubernetes (deployment orders-api) using PostgreSQL. Owned by team "
            f"payments-core, 24/7 on-call. {sentence}")


def _condition(n: int, w: str, template: str) -> str:
    return template.format(n=n, w=w)


@_FAST
@given(who=st.one_of(PERSON, ROLE), n=st.integers(2, 90), w=_WORD, template=st.sampled_from(CONDITIONS),
       phrase=st.sampled_from(PHRASES))
def test_a_condition_given_for_an_escalation_is_its_rule_for_calling(who: str, n: int, w: str, template: str,
                                                                    phrase: str) -> None:
    assume(w.lower() not in who.lower())
    cond = _condition(n, w, template)
    text = _description(who, cond, phrase)
    steps = escalation("24x7", "high", facts_from_model(parse(text), text))
    level = next((s for s in steps if who in s.contact), None)
    assert level is not None, (text, steps)
    assert level.level != "L1" and level.condition == cond, (text, level)
    assert level.when.lower().startswith(cond.lower()) and "Not mitigated" not in level.when, level
    assert cond.lower() in escalate_line(steps).lower() or level not in steps[1:3]


@_FAST
@given(who=PERSON, minutes=st.integers(5, 90), n=st.integers(2, 90), w=_WORD, template=st.sampled_from(CONDITIONS))
def test_a_delay_and_a_condition_are_both_kept(who: str, minutes: int, n: int, w: str, template: str) -> None:
    assume(w.lower() not in who.lower())
    cond = _condition(n, w, template)
    text = (f"orders-api is a Go API on Kubernetes. Owned by team payments-core, 24/7 on-call. Escalate to {who} "
            f"after {minutes} min. Page {who} {cond}.")
    steps = escalation("24x7", "high", facts_from_model(parse(text), text))
    level = next(s for s in steps if who in s.contact)
    assert level.after_minutes == minutes and level.condition == cond, level
    assert f"after {minutes} min" in level.when


def _runbook(description: str) -> Runbook:
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=description, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    return OfflineModel().generate(request).runbook


@_SLOW
@given(who=st.one_of(PERSON, ROLE), n=st.integers(2, 90), w=_WORD, template=st.sampled_from(CONDITIONS),
       phrase=st.sampled_from(PHRASES), named=st.booleans())
def test_the_contacts_list_only_given_people_and_ask_once_for_the_next(who: str, n: int, w: str, template: str,
                                                                        phrase: str, named: bool) -> None:
    assume(w.lower() not in who.lower())
    base = "orders-api is a Python API on Kubernetes (deployment orders-api) using PostgreSQL. Owned by team " \
           "payments-core, 24/7 on-call."
    text = _description(who, _condition(n, w, template), phrase) if named else base
    runbook = _runbook(text)
    people = runbook.contacts.personnel
    # no row for a role nobody mentioned
    assert not any(p.role == "Tech Lead" for p in people), people
    asking = [p for p in people if p.role == "Who is called next"]
    if named:
        assert any(who in p.name for p in people), people
        assert not asking
        level = next(lv for lv in runbook.contacts.escalation if who in lv.contact)
        assert _condition(n, w, template).lower() in level.when.lower()
    else:
        assert len(asking) == 1 and asking[0].name.startswith("fill in")


@_SLOW
@given(lead=PERSON)
def test_a_lead_the_description_names_has_its_row(lead: str) -> None:
    runbook = _runbook("orders-api is a Python API on Kubernetes (deployment orders-api). Owned by team "
                       f"payments-core, 24/7 on-call. Tech lead: {lead}.")
    rows = [p for p in runbook.contacts.personnel if p.role == "Tech Lead"]
    assert [p.name for p in rows] == [lead]
