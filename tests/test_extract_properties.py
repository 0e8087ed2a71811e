"""Properties of joining an LLM's reading to the offline parse (agent/service/extract.py, merge peer mode).

Descriptions are random names x phrasings x technologies. The reading under test is the parse itself
as an LLM would return it (no provenance, nothing assumed, its own component ids, in its own order):
agreeing with the parse, it must change nothing and raise no conflict; disagreeing on one name, it
must raise exactly that conflict, and settling it must put the chosen value in the model.
"""

from __future__ import annotations

import random
import string
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.service.extract import _mentioned, extraction_schema, reconcile, to_model
from agent.service.merge import SINGLE_VALUED
from agent.service.model import ServiceModel
from agent.service.review import points, settle
from agent.service.text import parse

CLAUSES = [
    "It runs on Kubernetes in namespace {a} as deployment {b}.",
    "The Kafka topic {a} is read by consumer group {b}.",
    "Orders are stored in the PostgreSQL database {a} on host {b}.",
    "Jobs go through the SQS queue {a}, with the dead-letter queue {b}.",
    "Sessions live in Redis on {a}:6379.",
    "Files are kept in the S3 bucket `{a}`.",
    "A RabbitMQ vhost called {a} holds the queue {b}.",
    "It is a systemd unit {a} on the hosts {b}-1..3.",
]

name = st.builds(lambda head, tail, digit: f"{head}-{tail}{digit}",
                 st.text(string.ascii_lowercase, min_size=3, max_size=6),
                 st.text(string.ascii_lowercase, min_size=2, max_size=5), st.integers(0, 9))


@st.composite
def descriptions(draw: Any, first: str | None = None) -> str:
    chosen = draw(st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=4, unique=True))
    if first is not None:  # a clause that gives a single-valued name (a namespace)
        chosen = [first, *(c for c in chosen if c != first)]
    values = draw(st.lists(name, min_size=2 * len(chosen), max_size=2 * len(chosen), unique=True))
    body = " ".join(c.format(a=values[2 * i], b=values[2 * i + 1]) for i, c in enumerate(chosen))
    return f"{draw(name)}-api is the service. {body}"


def _told(node: Any) -> Any:
    if isinstance(node, list):
        return [_told(x) for x in node if not (isinstance(x, dict) and x.get("origin") == "assumed" and "id" not in x)]
    if isinstance(node, dict):
        return {k: _told(v) for k, v in node.items() if k not in ("origin", "at")}
    return node


def as_read(model: ServiceModel, seed: int) -> dict[str, Any]:
    """The model as an LLM returns it: the schema's fields only, its own ids, components reordered."""
    data = _told(model.model_dump(mode="json"))
    for key in ("schema_version", "alerts", "unbound", "conflicts", "procedures"):
        data.pop(key)
    ids = {c["id"]: f"c{i}-{c['id']}" for i, c in enumerate(data["components"])}
    for c in data["components"]:
        c["id"] = ids[c["id"]]
    for r in data["relationships"]:
        r["source"], r["target"] = ids[r["source"]], ids[r["target"]]
    random.Random(seed).shuffle(data["components"])
    return extraction_schema().model_validate(data).model_dump(mode="json")


def _names(model: ServiceModel) -> set[tuple[str, str, str]]:
    return {(c.technology, n.role, n.value) for c, n in model.all_names() if n.origin != "assumed"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=descriptions(), seed=st.integers(0, 1000))
def test_a_reading_that_agrees_changes_nothing(text: str, seed: int) -> None:
    parsed = parse(text)
    read = to_model(as_read(parsed, seed), text, "llm:test")
    merged = reconcile(parsed, read, "llm:test")

    assert merged.conflicts == parsed.conflicts
    assert [c.id for c in merged.components] == [c.id for c in parsed.components]  # matched, not added
    assert _names(merged) == _names(parsed)
    assert {(r.source, r.target, r.kind) for r in merged.relationships} == \
        {(r.source, r.target, r.kind) for r in parsed.relationships}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=descriptions(CLAUSES[0]), seed=st.integers(0, 1000), other=name, pick=st.sampled_from(["1", "2", ""]))
def test_a_reading_that_disagrees_on_a_name_is_one_conflict_the_user_settles(text: str, seed: int, other: str,
                                                                            pick: str) -> None:
    parsed = parse(text)
    single = [(c, n) for c, n in parsed.all_names() if n.role in SINGLE_VALUED and n.origin == "given"]
    assume(single and single[0][1].value != other)
    component, changed = single[0]
    text = f"{text} ({other})"  # the LLM's value is in the words: a reading, not a guess
    data = as_read(parsed, seed)
    for c in data["components"]:
        if c["id"].endswith(f"-{component.id}"):
            c["names"] = [{**n, "value": other} if n["role"] == changed.role and n["value"] == changed.value else n
                          for n in c["names"]]
    merged = reconcile(parsed, to_model(data, text, "llm:test"), "llm:test")

    subject = f"components[{component.id}].names.{changed.role}"
    new = [c for c in merged.conflicts if c not in parsed.conflicts]
    assert [(c.subject, c.values, c.chosen) for c in new] == [(subject, [changed.value, other], changed.value)]
    point = next(p for p in points(merged) if p.kind == "conflict" and p.subject == subject)
    settled = settle(merged, point, pick)
    chosen = other if pick == "2" else changed.value
    kept = settled.component(component.id)
    assert kept is not None and kept.name(changed.role) == chosen


@given(stem=st.text(string.ascii_lowercase, min_size=2, max_size=6), count=st.integers(2, 9),
       stranger=st.text(string.ascii_lowercase, min_size=7, max_size=9))
def test_names_are_grounded_in_the_words_or_a_range(stem: str, count: int, stranger: str) -> None:
    text = f"workers {stem}-1..{count} and {stem}x-db".lower()
    assert all(_mentioned(f"{stem}-{i}", text) for i in range(1, count + 1))
    assert _mentioned(f"{stem}x-db", text)
    assert not _mentioned(f"{stranger}-q", text)
