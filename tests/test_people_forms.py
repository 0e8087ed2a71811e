"""The people a description names by role reach the model: "(lead Lena Vogel)", "Sam Okafor (EM)", "led by
Jonas Berg", "| lead | Noor Haddad |", "(me = lead, Priya Raman)", "Handover … from Tomasz Nowak".

Blind batch h named a lead or a manager in six of ten cases this way and no runbook carried one of them.
Property-based: random first and last names, teams and phrasings.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.text import parse

FIRST = st.sampled_from(["Lena", "Jonas", "Noor", "Priya", "Tomasz", "Aiko", "Sofía", "Kwame", "Ines"])
LAST = st.sampled_from(["Vogel", "Berg", "Haddad", "Raman", "Nowak", "Tanaka", "Herrera", "Mensah", "Duarte"])
TEAM = st.from_regex(r"\A[a-z]{4,8}-[a-z]{3,5}\Z", fullmatch=True)
FORMS = [
    ("owner: {team} (lead {who}), Slack #{team}, 24/7", "lead"),
    ("The cluster belongs to the {team} team, led by {who}. There is no formal on-call.", "lead"),
    ("People: owner {team} team, {who} (EM), Slack #{team}.", "EM"),
    ("| field | value |\n|---|---|\n| lead | {who} |\n| slack | #{team} |", "lead"),
    ("owner: {team} team (me = lead, {who}). slack #{team}, 24/7.", "lead"),
    ("Handover: {team} (MySQL) — from {who} to whoever picks up the rotation", ""),
    ("| item | value |\n|---|---|\n| owner | {team}, {who}; Slack #{team}; business hours only |", "owner"),
]


@settings(max_examples=60, deadline=None)
@given(first=FIRST, last=LAST, team=TEAM, form=st.integers(0, len(FORMS) - 1))
def test_a_person_named_by_role_is_a_contact(first: str, last: str, team: str, form: int) -> None:
    who = f"{first} {last}"
    text, role = FORMS[form]
    model = parse("orders-api is a Go API on EKS, namespace shop.\n\n" + text.format(team=team, who=who))
    values = [p.value for p in model.people]
    assert any(v.startswith(who) for v in values), values
    if role:
        assert f"{who} ({role})" in values, values
    assert not any(v.startswith(f"{team} (") for v in values), values  # the team is not the lead


@settings(max_examples=20, deadline=None)
@given(team=TEAM, zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Tokyo"]))
def test_a_rotation_then_a_time_zone_names_no_person(team: str, zone: str) -> None:
    # "PagerDuty rotation orders-primary, Europe/Berlin" once made "Europe" the primary on-call
    model = parse(f"orders-api is a Go API on EKS. Owned by the {team} team; PagerDuty rotation "
                  f"{team}-primary, {zone}.")
    assert not any(p.value == zone.split("/")[0] for p in model.people), [(p.role, p.value) for p in model.people]
