"""People named the way ticket headers, service sheets and team notes name them: "Reporter: X (Claims lead)",
"Dev contact: X (app owner, Underwriting Apps)", "Digital Dev team = X and Y".

Property-based: random first and last names and role prefixes. Each person must be read once, by name;
a name is never split or joined with the next one.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from agent.service.oncall_text import contacts, is_person

_name = st.builds(lambda a: a.capitalize(), st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8))
# a name with a team word ("Aaa Platform") is a team by is_team's rule, not a person to draw
people = st.builds(lambda a, b: f"{a} {b}", _name, _name).filter(is_person)


@given(who=people, prefix=st.sampled_from(["Claims Automation", "Payments", ""]),
       label=st.sampled_from(["Reporter", "Dev contact", "Escalation contact"]),
       role=st.sampled_from(["lead", "owner", "app owner", "EM"]))
def test_a_person_with_a_role_in_brackets_is_read_once(who: str, prefix: str, label: str, role: str) -> None:
    sentence = f"{label}: {who} ({' '.join(filter(None, (prefix, role)))}, Team X)   Priority: High"
    found = [w for w, _ in contacts(sentence)]
    assert len(found) == 1 and found[0].startswith(f"{who} ("), found


@given(a=people, b=people, c=people, sep=st.sampled_from([" = ", ": ", " is "]), three=st.booleans())
def test_a_team_of_named_people_is_each_of_them(a: str, b: str, c: str, sep: str, three: bool) -> None:
    names = [a, b, c] if three else [a, b]
    if len({n.split()[0] for n in names}) < len(names):
        return
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    found = [w for w, _ in contacts(f"people: Digital Dev team{sep}{listed}. no formal on-call")]
    assert found == names, found


@given(role=st.sampled_from(["SRE", "DBA", "NOC", "DB", "SOC"]), n=st.integers(2, 90))
def test_a_team_role_before_lead_is_no_person(role: str, n: int) -> None:
    from agent.service.oncall_text import slots

    assert not [s for s in slots(f"Escalate to the {role} lead if WAL > {n} GB.") if s[0] == "lead"]
