"""A team's unconditional "don't fail over / purge / delete" withholds the generic command that does it
(a warning above a failover is still a failover at 3 a.m.); a conditional one ("without the DBA's OK")
keeps the command and warns. Property-based: random names, phrasings and stores.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping, infer
from agent.checks.danger import classify
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.service.text import parse

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
names = st.builds(lambda a, b: f"{a}-{b}", _letters, st.sampled_from(["cache", "sess", "kv", "store"]))
FORBIDS = ["don't failover nodes by hand", "Never fail over {n} manually.", "Do not trigger a failover on {n}.",
           "no manual failover of {n}, ever"]
CONDITIONAL = ["don't fail over {n} without the DBA's OK", "Never fail over {n} during peak hours."]
_FAILOVER = re.compile(r"failover|fail-over|promote|replicaof no one", re.I)


def _runbook(text: str) -> str:
    """As `agent generate` does it: the environment inferred (a managed product has none of the team's)."""
    rule = load_rule(default_rule_path())
    model = parse(text)
    known = from_mapping(rule, {"type": "database", "criticality": "high", "monitoring": "prometheus",
                                "oncall": "24x7"}, "t")
    answers = known.merged(infer(rule, text, known, [q.key for q in known.missing(rule)], model))
    request = GenerationRequest(rule=rule, description=text, answers=answers, now=datetime(2026, 1, 1, tzinfo=UTC),
                                service=model)
    return render_markdown(OfflineModel().generate(request).runbook)


def _failovers(markdown: str) -> list[str]:
    """Runnable lines of the runbook's bash blocks that fail something over."""
    out: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, re.S):
        for line in block.splitlines():
            if line.strip() and not line.lstrip().startswith("#") and _FAILOVER.search(line) and \
                    classify(line) != "read-only":
                out.append(line)
    return out


STORES = ["{n} is our ElastiCache for Redis 7.1 replication group (cluster mode on) in us-east-2; it holds the "
          "login sessions.", "{n} is a Redis 7.2 primary with two replicas on VMs r1, r2 and r3."]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=names, store=st.sampled_from(STORES), forbid=st.sampled_from(FORBIDS))
def test_an_unconditional_dont_withholds_the_generic_failover(n: str, store: str, forbid: str) -> None:
    text = f"{store.format(n=n)}\n\nRules: {forbid.format(n=n)}\n"
    markdown = _runbook(text)
    assert not _failovers(markdown), _failovers(markdown)
    assert "The team forbids this" in markdown


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=names, cond=st.sampled_from(CONDITIONAL))
def test_a_conditional_dont_keeps_the_command_and_warns(n: str, cond: str) -> None:
    text = f"{STORES[1].format(n=n)}\n\nRules: {cond.format(n=n)}\n"
    markdown = _runbook(text)
    assert _failovers(markdown)
    assert "The team forbids this" not in markdown
