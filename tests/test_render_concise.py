"""What makes a rendered runbook shorter without losing a fact (issue 11): each thing said once where it is
needed, the assumed list out of the first screen, dependencies side by side in the diagram."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks import check_markdown
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel, _diagram
from agent.render import render_markdown
from agent.rule import load_rule
from agent.runbook import Command, Runbook

words = st.from_regex(r"[a-z][a-z0-9-]{2,10}", fullmatch=True)


@cache
def _runbook() -> Runbook:
    rule = load_rule()
    answers = from_mapping(rule, {"type": "api", "env": "kubernetes", "criticality": "high",
                                  "monitoring": "prometheus", "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=rule, description="The quotes API runs in namespace quotes and reads Redis.",
                                answers=answers, now=datetime(2026, 1, 15, 9, 30), service_name=None)
    return OfflineModel().generate(request).runbook


def _section(text: str, heading: str) -> str:
    at = text.index(heading)
    end = re.search(r"^#{2,3} ", text[at + len(heading):], re.M)
    return text[at: at + len(heading) + (end.start() if end else len(text))]


def test_the_assumed_list_is_one_line_on_the_first_screen_and_whole_in_the_appendix() -> None:
    rb = _runbook()
    text = render_markdown(rb)
    first = "\n".join(text.split("\n")[:60])
    assert f"**Assumed:** {len(rb.assumptions)} values" in first and "- Default used" not in first
    appendix = text.split("## Appendix", 1)[1]
    assert all(f"- {a}" in appendix for a in rb.assumptions)
    assert not [f for f in check_markdown(text, "r.md", tools=False).findings if f.severity == "error"]


def test_service_down_escalation_is_one_line_when_the_table_has_the_times() -> None:
    rb = _runbook()
    text = render_markdown(rb)
    line = next(ln for ln in text.split("\n") if ln.startswith("3. **Escalation:**"))
    for step in rb.emergency.service_down.escalation:
        level = step.action.split(":")[0]
        assert level in line
    assert "](#escalation-path)" in line
    # without the level names the steps stay a list, word for word
    other = rb.model_copy(deep=True)
    for step in other.emergency.service_down.escalation:
        step.action = "Page " + step.action.split(":", 1)[1].strip()
    text = render_markdown(other)
    assert all("- After " in text and s.action in text for s in other.emergency.service_down.escalation)


@settings(max_examples=5, deadline=None)
@given(words, words)
def test_a_prerequisite_another_one_already_says_is_dropped(tool: str, where: str) -> None:
    rb = _runbook().model_copy(deep=True)
    short, long = f"{tool} access to {where}", f"{tool} access with sudo to {where}"
    rb.service_overview.prerequisites = [short, long, "jq on the operator's machine"]
    body = _section(render_markdown(rb), "### Prerequisites")
    assert f"- {long}" in body and f"- {short}\n" not in body and "- jq on the operator's machine" in body


@settings(max_examples=5, deadline=None)
@given(words, words)
def test_a_warning_sentence_is_said_once_under_a_heading(a: str, b: str) -> None:
    rb = _runbook().model_copy(deep=True)
    shared = f"Check the {b} first: it drops every open connection."
    rb.emergency.service_down.immediate += [
        Command(purpose=f"Wipe {a} one", language="bash", code=f"redis-cli -h {a}-1 FLUSHALL", expect="OK",
                warning=f"Empties {a}-1. {shared}"),
        Command(purpose=f"Wipe {a} two", language="bash", code=f"redis-cli -h {a}-2 FLUSHALL", expect="OK",
                warning=f"Empties {a}-2. {shared}"),
        Command(purpose=f"Wipe {a} three", language="bash", code=f"redis-cli -h {a}-3 FLUSHALL", expect="OK",
                warning=shared),
    ]
    text = render_markdown(rb)
    down = _section(text, "### Service is Down")
    second = next(ln for ln in down.split("\n") if f"Empties {a}-2." in ln)
    assert shared not in second and down.count(shared) == 2  # the first warning, and the one with nothing else
    # a warning with nothing new keeps its first sentence: no destructive block goes unwarned
    assert not [f for f in check_markdown(text, "r.md", tools=False).findings if f.rule == "danger.unwarned"]


@settings(max_examples=5, deadline=None)
@given(st.from_regex(r"[A-Z][A-Z_]{2,8}", fullmatch=True), words)
def test_a_block_declares_a_variable_once(var: str, label: str) -> None:
    rb = _runbook().model_copy(deep=True)
    declare = f'{var}="$(kubectl get pods -n quotes -l app={label} -o name | head -n 1)"'
    rb.appendix.cheatsheet = [
        Command(purpose="Describe it", language="bash", code=f'{declare}\nkubectl describe -n quotes "${var}"',
                expect=None, warning=None),
        Command(purpose="Its logs", language="bash", code=f'{declare}\nkubectl logs -n quotes "${var}" --tail=50',
                expect=None, warning=None)]
    cheatsheet = _section(render_markdown(rb), "### Useful Commands Cheatsheet")
    assert cheatsheet.count(declare) == 1 and f'kubectl logs -n quotes "${var}"' in cheatsheet


@settings(max_examples=30, deadline=None)
@given(words, st.lists(words, min_size=2, max_size=5, unique=True))
def test_dependencies_sit_side_by_side_under_the_service(service: str, deps: list[str]) -> None:
    lines = _diagram("Callers", service, deps).split("\n")
    assert len(lines) == 9  # whatever the number of dependencies
    assert all(sum(ln.count(f" {d[:22]} ") for ln in lines[6:]) == 1 for d in deps)  # each once, in one row
    assert lines[5].count("▼") == len(deps)
