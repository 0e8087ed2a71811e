"""Every person a description names where it talks about people reaches the escalation: a list under a
"People" heading ("A (lead, EU), B (US), C (APAC)"), a role written before the name ("Second B (sysadmin)",
"the CIO's approval (C)"), a table row ("| App owner | B (Finance IT) |"), a name after a condition and a
colon ("Escalation after 30 min, or for X: B (principal engineer)"), a slot said after the name ("B
second"); a product with a host in parentheses, a place or a title is no person. The team's channel is
the one labelled as its chat, not one it pings another team on. Property-based: random names and roles.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.knowledge.facts import facts_from_model
from agent.knowledge.policy import escalation
from agent.service import oncall_text
from agent.service.text import _STOP, parse

_FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_NOT = {"second", "lead", "owner", "backup", "primary", "secondary", "then", "call", "ask", "ping", "page", "team",
        "the", "and", "our", "chat", "app", "tell", "wake", "reach", "after", "before", "also", "else"}
_WORD = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8).filter(
    lambda w: w not in _STOP and w not in _NOT and w not in oncall_text._NOT_PERSON_WORDS)
PERSON = st.builds(lambda a, b: f"{a.capitalize()} {b.capitalize()}", _WORD, _WORD).filter(oncall_text.is_person)
ROLE = st.sampled_from(["DBA", "sysadmin", "CTO", "principal engineer", "Finance IT", "US", "APAC", "network"])
IDENT = st.builds(lambda a, b: f"{a}-{b}", _WORD, _WORD)


def _ladder(text: str) -> str:
    return " | ".join(s.contact for s in escalation("24x7", "high", facts_from_model(parse(text), text)))


@_FAST
@given(svc=IDENT, people=st.lists(PERSON, min_size=3, max_size=3, unique_by=lambda p: p.split()[0]),
       roles=st.lists(ROLE, min_size=3, max_size=3),
       heading=st.sampled_from(["## People", "Contacts", "## Who to call"]))
def test_a_list_of_people_under_a_people_heading_is_everyone(svc: str, people: list[str], roles: list[str],
                                                             heading: str) -> None:
    listed = ", ".join(f"{p} ({r})" for p, r in zip(people, roles, strict=True))
    text = f"{svc} is our API on two VMs under systemd.\n\n{heading}\n\n{listed}. On-call is follow-the-sun.\n"
    ladder = _ladder(text)
    for person in people:
        assert person in ladder, ladder


@_FAST
@given(svc=IDENT, first=PERSON, second=PERSON, third=PERSON, role=ROLE, title=st.sampled_from(["CIO", "CTO", "VP"]))
def test_people_named_around_a_role_are_contacts(svc: str, first: str, second: str, third: str, role: str,
                                                 title: str) -> None:
    assume(len({first.split()[0], second.split()[0], third.split()[0]}) == 3)
    text = (f"{svc} runs on two VMs under systemd.\n\nIf something is very bad call me: {first} (DBA). "
            f"Second {second} ({role}).\nA forced failover needs the {title}'s approval ({third}); the lead calls "
            f"them.\n")
    ladder = _ladder(text)
    assert first in ladder and second in ladder and third in ladder, ladder
    assert f"Second {second}" not in ladder, ladder  # "Second" is the slot, not a first name


@_FAST
@given(svc=IDENT, owner=PERSON, lead=PERSON, role=ROLE)
def test_a_name_after_a_colon_and_a_table_row_are_contacts(svc: str, owner: str, lead: str, role: str) -> None:
    assume(owner.split()[0] != lead.split()[0])
    text = (f"| What | Value |\n|---|---|\n| Service | {svc} on VMs under systemd |\n| App owner | {owner} ({role}). "
            f"Tell them before any planned failover |\n\nEscalation after 30 min, or for anything on the "
            f'"Never" list: {lead} (principal engineer).\n')
    ladder = _ladder(text)
    assert owner in ladder, ladder
    assert f"{lead} (principal engineer)" in ladder and "Never" not in ladder, ladder


@_FAST
@given(first=PERSON, second=PERSON)
def test_a_slot_said_after_the_name_is_its_role(first: str, second: str) -> None:
    assume(first.split()[0] != second.split()[0])
    found = dict(oncall_text.labelled_people(f"Owner: {first} (Dev Productivity lead), {second} second."))
    assert found.get(first) == "lead" and found.get(second) == "second", found


@_FAST
@given(product=st.builds(lambda a, b: f"{a.capitalize()} {b.capitalize()}", _WORD, _WORD), host=IDENT,
       place=st.sampled_from(["New York", "Hong Kong", "Tel Aviv", "San Francisco"]))
def test_a_product_a_place_or_a_title_is_no_person(product: str, host: str, place: str) -> None:
    sentence = (f"Backups go to the {product} ({host}.example.de), call the Incident Commander and ask the "
                f"{place} (US) office.")
    assert oncall_text.named_people(sentence) == [], oncall_text.named_people(sentence)


@_FAST
@given(svc=IDENT, ours=IDENT, theirs=IDENT, owner=PERSON)
def test_the_teams_channel_is_its_chat_not_the_one_it_pings(svc: str, ours: str, theirs: str, owner: str) -> None:
    assume(ours != theirs)
    text = (f"{svc} runs on two VMs under systemd.\n\n| Alert | When |\n|---|---|\n| {svc} slow fsync | p99 > 25 ms "
            f"(usually the SAN again, ping #{theirs}) |\n\nOwner: {owner}. Chat: #{ours}. Storage team: #{theirs}.\n")
    facts = facts_from_model(parse(text), text)
    assert facts.names.get("slack") == f"#{ours}", facts.names.get("slack")
