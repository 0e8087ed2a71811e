"""A Celery app's broker is the one the text says: RabbitMQ beside a Redis result backend is the broker, and
the app's workers consume from it.

Blind m02 (SRE review): Celery on RabbitMQ with "result backend: Redis on … port 6380" got `redis-cli -h … LLEN
<queue>` (Redis taken for the broker, on the old port 6379), and "RabbitMQ blocked all publishers" made the
service a publisher whose backlog "is not this service's". Property-based: random names and ports.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.loop import generate
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

RULE = load_rule(default_rule_path())


def _runbook(text: str) -> str:
    answers = from_mapping(RULE, {"type": "worker", "env": "vm", "criticality": "high", "oncall": "24x7"}, "t")
    return render_markdown(generate(OfflineModel(), GenerationRequest(
        rule=RULE, description=text, answers=answers, now=datetime(2026, 1, 15))).runbook)


@settings(max_examples=4, deadline=None)
@given(name=st.from_regex(r"\A[a-z]{4,8}\Z", fullmatch=True), port=st.integers(6380, 6399))
def test_rabbitmq_is_the_broker_beside_a_redis_result_backend(name: str, port: int) -> None:
    text = (f"{name} is the Celery 5.3 app that renders reports, on Debian VMs.\n- RabbitMQ 3.12 cluster: "
            f"rmq-a.{name}.net, rmq-b.{name}.net, vhost /{name}\n- result backend: Redis on redis-{name}.x.net "
            f"port {port}\nQueues: {name}.results, {name}.pdf.\nRabbitMQ blocked all publishers last week.")
    markdown = _runbook(text)
    assert "LLEN" not in markdown
    assert "are not this service" not in markdown
    assert "rabbitmq-diagnostics alarms" in markdown
    assert all(f"-p {port}" in line for line in markdown.splitlines()
               if line.lstrip().startswith("redis-cli") and f"redis-{name}" in line)
    said = _runbook(f"{name} is the Celery app on VMs with a Redis broker on redis-{name}.x.net port {port}; "
                    "results in RabbitMQ (rpc).")
    assert f"-p {port} LLEN" in said
