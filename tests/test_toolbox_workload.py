"""A toolbox Deployment beside a StatefulSet ("nats-box": the CLI to exec into) is not the service's
workload; "never change the StatefulSet replica count by hand" withholds every scale command.

Property-based: random names, toolbox suffixes and phrasings.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_letters, suffix=st.sampled_from(["box", "toolbox", "admintools"]))
@example(name="healthy", suffix="box")  # a backticked ordinary word is the user's name for it
@example(name="scale", suffix="box")
def test_the_statefulset_is_the_workload_and_its_count_is_left_alone(name: str, suffix: str) -> None:
    text = (f"{name}-bus is NATS JetStream on Kubernetes (Helm release `{name}`, namespace `{name}-system`). "
            f"StatefulSet `{name}`, 3 replicas. There is also a `{name}-{suffix}` deployment with the nats CLI.\n\n"
            "Never:\n- never change the StatefulSet replica count by hand (JetStream needs its 3 peers)\n")
    rule = load_rule(default_rule_path())
    values = {"type": "other: message broker", "env": "kubernetes", "criticality": "high",
              "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    markdown = render_markdown(OfflineModel().generate(request).runbook)
    assert f"statefulset/{name} " in markdown or f"statefulset/{name}\n" in markdown
    assert f"rollout restart deployment/{name}-{suffix}" not in markdown
    # the subcommand, not the word: a drawn name may be "scale"
    scales = [line for line in markdown.splitlines() if re.search(r"^\s*kubectl\s+(?:-\S+\s+\S+\s+)*scale\s", line)]
    assert not scales, scales
