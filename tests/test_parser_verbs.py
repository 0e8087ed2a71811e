"""A plain word after a role noun that is the noun's verb is no name ("DAGs come by git-sync", "the
namespace hit ResourceQuota `q`"), nor a participle before it ("99% of scheduled DAG runs"); a real plain
name in the same places still is. Property-based: random names, verbs and objects.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.text import parse

_letters = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8)
ident = st.builds(lambda a, b: f"{a}-{b}", _letters, _letters)
VERBS = ["come", "hit", "fill", "grow", "get", "run", "wait", "pile", "stall"]
PREPS = ["by", "from", "into", "up", "after", "through"]


def _names(text: str) -> set[str]:
    return {n.value for _, n in parse(text).all_names()}


@settings(max_examples=30, deadline=None)
@given(app=ident, ns=ident, verb=st.sampled_from(VERBS), prep=st.sampled_from(PREPS))
def test_a_verb_after_a_plural_noun_is_no_name(app: str, ns: str, verb: str, prep: str) -> None:
    text = (f"{app} is Apache Airflow 2.9 on Kubernetes in namespace `{ns}`. DAGs {verb} {prep} git-sync "
            f"from the repo. Queues {verb} {prep} the scheduler.")
    assert verb not in _names(text)


@settings(max_examples=30, deadline=None)
@given(app=ident, ns=ident, verb=st.sampled_from(VERBS), quota=ident,
       obj=st.sampled_from(["ResourceQuota `{q}`", "the quota `{q}`", "`{q}`"]))
def test_a_verb_before_the_nouns_object_is_no_name(app: str, ns: str, verb: str, quota: str, obj: str) -> None:
    text = (f"{app} is a Go API on Kubernetes, namespace `{ns}`. Pods pending: the namespace {verb} "
            f"{obj.format(q=quota)}.")
    names = _names(text)
    assert verb not in names and ns in names


@settings(max_examples=30, deadline=None)
@given(app=ident, word=st.sampled_from(["scheduled", "archived", "queued", "retried", "delayed"]))
def test_a_participle_before_its_noun_is_no_name(app: str, word: str) -> None:
    text = f"{app} is Apache Airflow 2.9 on Kubernetes. SLO: 99% of {word} DAG runs start within 5 minutes."
    assert word not in _names(text)


@settings(max_examples=20, deadline=None)
@given(app=ident, name=st.sampled_from(["billing", "payments", "orders", "feed", "seed", "tiles"]))
def test_a_plain_name_in_the_same_places_still_is(app: str, name: str) -> None:
    assert name in _names(f"{app} is a Go API on Kubernetes in the {name} namespace.")
    assert name in _names(f"{app} is a Go API on Kubernetes (namespace {name}).")
