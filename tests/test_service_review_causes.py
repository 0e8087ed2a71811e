"""Property tests for the parser causes a blind senior-SRE review found (random names, varied phrasings):
titles from greetings or mail headers, metric / flag / alert names taken for resources, people and
escalation contacts dropped, the team's own alerts ignored, regions / brokers / hosts cut to one,
technologies the vocabulary did not know.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.service.text import _LEAD_DROP, parse
from agent.service.vocabulary import norm, vocabulary

_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=6).filter(
    lambda p: not p.isdigit())
# identifier-like names: ledger-sync, qx-billing-02 …
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)

GREETINGS = ["", "Hey team,\n\n", "Hi all,\n", "Hi all — ", "Hello folks! ", "Hey, ", "ok so ", "FYI ",
             "Hi Priya,\n\n", "Morning all. ", "Subject: runbook please\n\n", "Subject: Re: outage last week\n"
             "From: sam@example.com\n\nHi team,\n", "Heads up: ", "Quick one: ", "TL;DR: "]
INTROS = ["the {v} service runs on EKS.", "{v} is our worker on GKE.", "`{v}` is the API behind checkout.",
          "we run a service called {v} on two VMs.", "our payments API ({v}) runs on ECS.",
          "this is the pipeline named {v}; it loads invoices nightly.", "the Go {v} worker consumes SQS.",
          "we need a runbook for {v}. It runs on EKS.", "service: {v}\nIt runs on EKS."]
OPENERS = {"hey", "hi", "hello", "subject", "re", "from", "ok", "so", "fyi", "morning", "heads", "quick", "tl", "tldr",
           "team", "all", "folks", "priya"}


@_FAST
@given(name=IDENT, greeting=st.sampled_from(GREETINGS), intro=st.sampled_from(INTROS))
def test_the_title_is_the_name_the_text_gives_never_a_greeting_or_header(name: str, greeting: str, intro: str) -> None:
    text = greeting + intro.format(v=name)
    text = text[0].upper() + text[1:]
    model = parse(text)
    assert model.service.name == name, (text, model.service.name)


# words the vocabulary gives no meaning ("the rust api" is a Rust API, its name is not "rust")
_WORD = _letters.filter(lambda w: norm(w) not in vocabulary().tech_words and w not in vocabulary().modifiers
                        and w not in _LEAD_DROP and w not in vocabulary().noun_roles)


@_FAST
@given(greeting=st.sampled_from([g for g in GREETINGS if g]), words=st.lists(_WORD, min_size=1, max_size=2))
def test_a_greeting_or_header_never_becomes_the_title(greeting: str, words: list[str]) -> None:
    text = greeting + f"the {' '.join(words)} api runs on EKS and reads PostgreSQL."
    model = parse(text)
    parts = set(model.service.name.split("-"))
    assert not parts & OPENERS - set(words), (text, model.service.name)
    assert set(words) <= parts, (text, model.service.name)
