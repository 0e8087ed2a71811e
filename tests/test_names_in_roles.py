"""A name in a command comes from the service model, a guarded variable or a listed default; never from a
word of the description that merely follows a keyword ("the database is down", "DynamoDB table capacity",
"max_connections 500", "Python 3.12", "index pattern logs-*").

Role positions are read with the evaluation's CLI reader (eval/grounding/roles.py), written from the CLIs
and not from the engine.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge.names import not_a_name
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import load_rule
from agent.service.model import Name

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from eval.grounding import roles  # noqa: E402

RULE = load_rule()
MODEL = OfflineModel()

# The technology sentence: what the service runs on and uses (the packs that take names by role).
STACKS = [
    ("kubernetes", "worker", "{svc} runs on Kubernetes and uses PostgreSQL."),
    ("kubernetes", "worker", "{svc} is a Celery worker on Kubernetes with a Redis broker."),
    ("vm", "api", "{svc} runs on VMs and stores logs in OpenSearch."),
    ("serverless", "api", "{svc} is an AWS Lambda function that writes to DynamoDB."),
    ("serverless", "api", "{svc} runs on Cloud Run and uses Cloud SQL for PostgreSQL."),
    ("kubernetes", "worker", "{svc} consumes from Kafka on Kubernetes."),
    ("kubernetes", "worker", "{svc} takes jobs from RabbitMQ on Kubernetes."),
    ("serverless", "worker", "{svc} is a Lambda function that reads an SQS queue."),
]
KEYWORDS = ["database", "the database", "DB", "DynamoDB table", "table", "index", "the index", "instance",
            "Cloud SQL instance", "queue", "the queue", "topic", "consumer group", "app", "Celery app", "vhost",
            "repository", "cluster"]
ORDINARY = ["down", "slow", "is", "capacity", "latency", "throughput", "pattern", "usage", "connectivity",
            "errors", "size", "up", "full", "throttled", "written"]
LANGUAGES = ["Python", "Java", "Go", "Ruby", "Kotlin", "Node"]
KEY_PARTS = ["max", "min", "idle", "pool", "work", "shared", "wal", "statement", "connect", "buffer"]
KEY_TAILS = ["connections", "timeout", "size", "mem", "buffers", "level", "count", "interval"]

config_key = st.builds(lambda a, b: f"{a}_{b}", st.sampled_from(KEY_PARTS), st.sampled_from(KEY_TAILS))


@st.composite
def filler(draw: st.DrawFn) -> tuple[str, str]:
    """(a sentence putting a non-name right after a keyword, that non-name)."""
    keyword = draw(st.sampled_from(KEYWORDS))
    kind = draw(st.sampled_from(["word", "key", "language"]))
    if kind == "word":
        word = draw(st.sampled_from(ORDINARY))
        return f"{keyword.capitalize()} {word} matters at peak.", word
    if kind == "key":
        key = draw(config_key)
        return f"{keyword.capitalize()} {key} {draw(st.integers(1, 5000))} is set.", key
    lang = draw(st.sampled_from(LANGUAGES))
    return f"The {keyword} {lang} {draw(st.integers(2, 21))}.{draw(st.integers(0, 12))} is used.", lang


def _runbook(description: str, env: str, kind: str) -> str:
    answers = from_mapping(RULE, {"type": kind, "env": env, "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=RULE, description=description, answers=answers, now=datetime(2026, 1, 1))
    return render_markdown(MODEL.generate(request).runbook)


def _in_role(markdown: str) -> set[str]:
    """Every value the CLI reader finds in a role position of the runbook's commands."""
    return {roles.strip_host(h.value).strip("'\"").casefold() for h in roles.read_runbook(markdown).hits}


_slug = st.from_regex(r"[a-z]{3,8}-(?:api|worker|svc)", fullmatch=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stack=st.sampled_from(STACKS), svc=_slug, parts=st.lists(filler(), min_size=1, max_size=4))
def test_no_word_after_a_keyword_becomes_a_name(stack: tuple[str, str, str], svc: str,
                                                parts: list[tuple[str, str]]) -> None:
    env, kind, sentence = stack
    description = " ".join([sentence.format(svc=svc), *(text for text, _ in parts)])
    found = _in_role(_runbook(description, env, kind))
    wrong = sorted({word.casefold() for _, word in parts} & found)
    assert not wrong, f"{wrong} used as names in {description!r}"


# Explicit names, each in the phrasing the parser binds to its role, next to the same noise.
GIVEN = [
    ("kubernetes", "worker", "{svc} runs on Kubernetes in namespace {name} and uses PostgreSQL.", "namespace"),
    ("kubernetes", "worker", "{svc} runs on Kubernetes and uses the PostgreSQL database {name}.", "db_name"),
    ("serverless", "api", "{svc} is an AWS Lambda function that writes to the DynamoDB table {name}.",
     "dynamodb_table"),
]
_name = st.from_regex(r"[a-z]{4,8}(?:_[a-z]{2,5}|-[a-z0-9]{2,4})?", fullmatch=True).filter(
    lambda n: not_a_name(Name(role="database", value=n, origin="given", evidence=n)) is None)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(GIVEN), svc=_slug, name=_name, parts=st.lists(filler(), max_size=2))
def test_a_name_given_explicitly_is_still_used(case: tuple[str, str, str, str], svc: str, name: str,
                                               parts: list[tuple[str, str]]) -> None:
    env, kind, sentence, _role = case
    description = " ".join([sentence.format(svc=svc, name=name), *(text for text, _ in parts)])
    assert name.casefold() in _in_role(_runbook(description, env, kind)), description


def test_the_guard_keeps_what_the_user_confirmed() -> None:
    # "down" typed into a confirmation or an edited model is the user's word: it stays.
    for origin in ("confirmed", "edited", "repository"):
        assert not_a_name(Name(role="database", value="down", origin=origin, evidence="database down")) is None
    assert not_a_name(Name(role="database", value="down", origin="given", evidence="the database is down"))
    assert not_a_name(Name(role="instance", value="max_connections", origin="given",
                           evidence="Cloud SQL instance max_connections 500"))
    # a snake_case name with no value after it is a name
    assert not_a_name(Name(role="database", value="ledger_main", origin="given",
                           evidence="database ledger_main on db-1")) is None
