"""A known failure's trigger and consequence the way round the team wrote them, however it phrased the
link: "when A, B", "B if A", "A causes B", "A leads to B", "A -> B", "B because A" (the consequence is
never read as what sets it off). Property-based: random names in random clauses, every phrasing.
"""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.service.failures import cues
from agent.service.text import parse

_CUE_WORDS = set(re.findall(r"[a-z]+", " ".join(str(x) for x in cues().__dict__.values()).lower()))
_WORD = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8).filter(lambda w: w not in _CUE_WORDS)
NAME = st.builds(lambda a, b: f"{a}-{b}", _WORD, st.sampled_from(["svc", "api", "sync", "feed", "core"]))

# {x}: a random name; no harm verb and no condition word in a trigger, none in a consequence either
TRIGGERS = ["a deploy of {x} restarts every pod", "the {x} feed is paused for hours", "{x} sends a burst of writes",
            "the nightly {x} import runs twice", "someone rotates the {x} credentials"]
CONSEQUENCES = ["the {x} pool is exhausted", "the {x} disk fills up", "{x} times out on every request",
                "the {x} queue backs up", "{x} crash-loops"]
# {t} trigger, {c} consequence
PHRASES = ["when {t}, {c}", "{c} if {t}", "{c} when {t}", "{t} causes {c}", "{t} leads to {c}", "{t} -> {c}",
           "{c} because {t}", "if {t}, {c}", "{c} whenever {t}", "{t} results in {c}", "{c} due to {t}",
           "{t}, which leads to {c}", "{c} because of {t}", "{t} → {c}", "{t} triggers {c}", "{c} caused by {t}"]
CUES = ["Known failure: {s}.", "Watch out for this: {s}.", "We've been bitten by this twice: {s}.", "Gotcha: {s}."]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z][\w-]+", text.lower()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=NAME, b=NAME, trigger=st.sampled_from(TRIGGERS), consequence=st.sampled_from(CONSEQUENCES),
       phrase=st.sampled_from(PHRASES), cue=st.sampled_from(CUES))
def test_trigger_and_consequence_are_read_the_way_round_the_team_wrote_them(
        a: str, b: str, trigger: str, consequence: str, phrase: str, cue: str) -> None:
    assume(a != b)
    t, c = trigger.format(x=a), consequence.format(x=b)
    sentence = cue.format(s=phrase.format(t=t, c=c))
    model = parse(f"orders-api is a Python API on Kubernetes (deployment orders-api). {sentence}")
    found = [f for f in model.failures if f.kind == "failure"]
    assert len(found) == 1, (sentence, model.failures)
    failure = found[0]
    assert a in failure.trigger and b not in failure.trigger, (sentence, failure.trigger, failure.consequence)
    assert b in failure.consequence and a not in failure.consequence, (sentence, failure.trigger,
                                                                        failure.consequence)
    # the whole of each, and no link word carried into either
    assert _words(t) <= _words(failure.trigger) and _words(c) <= _words(failure.consequence), sentence
    link = re.compile(r"(?i)^(?:causes|leads to|results in|triggers|because|due to|caused by|->|→)\b")
    assert not link.search(failure.consequence) and not link.search(failure.trigger), failure


@pytest.mark.parametrize("name", ["then-svc", "so-api", "and-worker"])
def test_a_name_that_starts_with_a_connective_is_not_split(name: str) -> None:
    # CI found "when a deploy of then-svc restarts every pod, …" read as trigger "a deploy of"
    model = parse(f"{name} is a Go API on EKS using pool-svc.\n\nKnown failure: when a deploy of {name} restarts "
                  "every pod, the pool-svc pool is exhausted.")
    assert [(f.trigger, f.consequence) for f in model.failures] == [
        (f"a deploy of {name} restarts every pod", "the pool-svc pool is exhausted")]
