"""No incident-time value in a generated runbook is a made-up example (issue #9, item 6).

`PID=12345`, `ID=4`, `CLIENT_ADDR=10.0.0.12:51234`, `REPLICA=sessions-redis-replica`: pasted at 3 a.m.
they act on the wrong thing. A value the reader must choose is a variable guarded with `${VAR:?…}`.
Random descriptions (the grounding generator) × every technology it draws.
"""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import given, settings

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.registry import get_model
from agent.rule import load_rule
from eval.grounding.generator import Case, case_strategy

# VAR=literal followed by a comment telling the reader to pick it: an example standing in for a choice
_EXAMPLE = re.compile(r"^\s*([A-Z][A-Z0-9_]*)=([^\s\"'$(`][^\s]*)\s+#\s", re.M)


@settings(max_examples=40, deadline=None)
@given(case=case_strategy())
def test_values_to_choose_are_guarded_variables_not_examples(case: Case) -> None:
    rule = load_rule()
    answers = from_mapping(rule, {k: v for k, v in case.answers.items() if k != "name"}, "test")
    request = GenerationRequest(rule=rule, description=case.description, answers=answers,
                                now=datetime(2026, 1, 15, 9, 30))
    book = get_model("offline").generate(request).runbook
    # a value built from names the description gives (a compose volume "<project>_data") is no example
    given_names = set(re.findall(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+", case.description))
    words = set(re.findall(r"[a-z0-9]+", case.description.lower())) | {"data"}
    examples = [m.group(0).strip() for c in book.commands() for m in _EXAMPLE.finditer(c.code)
                if not any(n in m.group(2) for n in given_names)
                and not set(re.split(r"[-_.]", m.group(2).lower().strip("'\""))) <= words]
    assert examples == [], (case.description, examples)
