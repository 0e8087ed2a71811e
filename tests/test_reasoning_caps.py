"""Protective concurrency caps and queue triggers on fresh phrasings (agent/knowledge/reasoning.py): the
rule reads the model and the description's sentence about the cap, so a phrasing the parser does not turn
into a `concurrency` setting ("reserved concurrency on the function is 5. That is deliberate") still keeps
the cap, and a queue-triggered function is paused, never throttled to 0."""

from __future__ import annotations

import re
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge import reasoning
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands
from agent.service.text import parse

NOW = datetime(2026, 1, 15, 9, 30)
RULE = load_rule(default_rule_path())

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
party = st.sampled_from(["Fernhill", "Quodex", "Lumaport", "Brightwave", "Tallis"])

# (sentence about the cap, what the rule must name as protected: "" = any)
CAP_PHRASES = [
    "Reserved concurrency on the function is {n}. That is deliberate, so we never exceed {p}'s limit.",
    "The reserved concurrency of {n} protects the partner API.",
    "We run max {n} workers because the vendor rate-limits us.",
    "Concurrency is capped at {n} for the legacy DB.",
    "No more than {n} concurrent executions: {p}'s API throttles us above that.",
    "Its concurrency limit is {n} on purpose; do not raise it without asking {p}.",
    "Maximum concurrency {n}, which protects the downstream billing service from overload.",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fn=word, queue=word, n=st.integers(min_value=1, max_value=60), p=party,
       phrase=st.sampled_from(CAP_PHRASES))
def test_a_stated_protective_cap_is_found_in_any_phrasing(fn: str, queue: str, n: int, p: str, phrase: str) -> None:
    description = (f"{fn}-svc is a Python Lambda function {fn}-worker. Orders land on the SQS queue {queue}-in "
                   f"(maxReceiveCount 4). " + phrase.format(n=n, p=p))
    model = parse(description)
    found = reasoning.caps(model, description)
    assert found, description
    assert found[0].value == str(n), (description, found)
    assert found[0].protects, (description, found)
    assert "Never raise or remove it" in found[0].text()


@settings(max_examples=25, deadline=None)
@given(fn=word, n=st.integers(min_value=2, max_value=64),
       phrase=st.sampled_from(["Each worker pod runs concurrency {n} (prefork).",
                               "Concurrency {n} per instance, min instances 1.",
                               "The Celery workers run with concurrency {n} per pod."]))
def test_a_per_instance_pool_size_is_not_a_protective_cap(fn: str, n: int, phrase: str) -> None:
    description = f"{fn} is a Celery worker on Kubernetes in namespace {fn}. " + phrase.format(n=n)
    assert reasoning.caps(parse(description), description) == []


@settings(max_examples=25, deadline=None)
@given(fn=word, queue=word, verb=st.sampled_from(["drops events on", "puts jobs on", "feeds", "enqueues into"]))
def test_a_lambda_reading_an_sqs_queue_is_queue_triggered_in_any_phrasing(fn: str, queue: str, verb: str) -> None:
    description = (f"Flow: the upstream system {verb} the SQS queue {queue}-requests (maxReceiveCount 5). Lambda "
                   f"function {fn}-worker processes them and calls an API.")
    model = parse(description)
    if not any(c.technology == "sqs" for c in model.components) or not any(
            w.form == "serverless" for w in model.workloads()):
        return  # the parser did not see the pieces: nothing for this rule to decide
    assert reasoning.pause_advice(model) is not None, [(r.source, r.kind, r.target) for r in model.relationships]


def test_the_whole_engine_keeps_a_cap_stated_in_two_sentences_and_pauses_the_trigger() -> None:
    description = ("tile-sync: Python Lambda function tile-sync-worker in eu-central-1. The mapper service drops "
                   "jobs on the SQS queue tile-jobs (visibility timeout 120s, maxReceiveCount 4, DLQ tile-jobs-dlq). "
                   "It calls Quodex's geocoding API (rate limit 10 req/s). Reserved concurrency on the function is 3. "
                   "That is deliberate so we never exceed Quodex's limit.")
    ans = from_mapping(RULE, {"criticality": "high", "oncall": "24x7", "type": "worker", "env": "serverless",
                              "monitoring": "cloudwatch"}, "test")
    runbook = OfflineModel().generate(GenerationRequest(rule=RULE, description=description, answers=ans,
                                                        now=NOW)).runbook
    code = "\n".join(line for c in iter_commands(runbook) for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))
    assert not re.search(r"--reserved-concurrent-executions[= ]0\b", code)
    assert not re.search(r"LIMIT=(?!3\b)\d+", code), "a reservation is the cap, never more"
    assert re.search(r"update-event-source-mapping[^\n]*--no-enabled", code)
    for issue in runbook.troubleshooting.issues:
        for step in issue.fix:
            assert not re.search(r"\braise (?:the )?(?:reserved )?concurrency\b", step.action, re.I), step.action


@settings(max_examples=15, deadline=None)
@given(fn=word, queue=word)
def test_a_lambda_that_only_produces_to_a_queue_is_not_queue_triggered(fn: str, queue: str) -> None:
    description = (f"{fn}-api is a Python Lambda function {fn}-api behind API Gateway. It publishes order events "
                   f"to the SQS queue {queue}-out.")
    model = parse(description)
    produces = [r for r in model.relationships if r.kind in ("publishes_to", "writes")]
    if not produces:
        return  # the parser read no producer relationship: nothing for this rule to decide
    assert reasoning.triggered_by_queue(model) is None
