"""A fill-in variable (a name the description does not give) always reaches the shell that expands it.

The demo runbook had `kubectl get pods -l 'app=${K8S_DEPLOYMENT}'` (single quotes: the selector never
expands) and unquoted `app=${K8S_DEPLOYMENT}` shellcheck flagged 21 times. Property-based: random
services on several platforms, with no names given.
"""

from __future__ import annotations

import re
import string
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge.names import _quoted
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands

RULE = load_rule(default_rule_path())
_DECLARED = re.compile(r'(?m)^(\w+)="\$\{\1:\?set ')
WORD = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8)


def _single_quoted(code: str) -> list[str]:
    lines = [line for line in code.split("\n") if not line.lstrip().startswith("#")]
    return re.findall(r"'([^'\n]*)'", "\n".join(lines))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=WORD, where=st.sampled_from([("on EKS", "kubernetes"), ("on three VMs under systemd", "vm"),
                                          ("in docker compose on one host", "docker")]))
def test_no_fill_in_variable_is_single_quoted(word: str, where: tuple[str, str]) -> None:
    text = f"{word} API {where[0]}, Node.js 20, PostgreSQL and Redis."
    answers = from_mapping(RULE, {"type": "api", "env": where[1], "criticality": "high",
                                  "monitoring": "prometheus", "oncall": "24/7"}, "test")
    runbook = OfflineModel().generate(GenerationRequest(rule=RULE, description=text, answers=answers,
                                                        now=datetime(2026, 12, 1, 9, 0))).runbook
    for command in iter_commands(runbook):
        if command.language != "bash":
            continue
        for variable in _DECLARED.findall(command.code):
            stuck = [s for s in _single_quoted(command.code) if "${" + variable + "}" in s]
            assert not stuck, (variable, command.code)


@given(var=st.from_regex(r"\A[A-Z][A-Z0-9_]{2,10}\Z", fullmatch=True),
       shape=st.sampled_from(["kubectl get pods -l app=${V} -o wide", "kubectl get deployment/${V} -n x",
                              'POD="$(kubectl get pods -l app=${V} -o name)"', "echo ${V}-0"]))
def test_an_unquoted_reference_is_double_quoted_where_it_stands(var: str, shape: str) -> None:
    code = shape.replace("V", var)
    out = _quoted(code, [var])
    assert '"${' + var + '}"' in out and out.replace('"${' + var + '}"', "") == code.replace("${" + var + "}", "")
    assert _quoted(f"# {code}", [var]) == f"# {code}"  # comments are left alone
    assert _quoted(f"ssh h '{code}'", [var]) == f"ssh h '{code}'"  # so is single-quoted text
