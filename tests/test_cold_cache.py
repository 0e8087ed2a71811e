"""A cache whose loss the team says overloads what is behind it is never flushed as a fix.

A blind case said "Cache down = we fall back to Cloud SQL: p99 goes to ~900 ms and Cloud SQL CPU climbs
fast"; the runbook still offered `FLUSHDB` as maintenance. Property-based: phrasings of that warning.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.knowledge.reasoning import flush_verdict
from agent.service.text import parse

DB = st.sampled_from(["Cloud SQL", "PostgreSQL", "the MySQL primary", "Aurora", "MongoDB"])
WARNINGS = ["Cache down = we fall back to {db}: correct, but p99 goes to ~900 ms and {db} CPU climbs fast.",
            "If the Redis cache is empty, requests fall through to {db} and it melts.",
            "A cold cache stampedes {db} after a restart.",
            "When the cache misses, {db} load spikes within a minute."]
BASE = "prices-api is a Go API on GKE. It reads prices from {db} through a Redis cache (TTL 15m, cached prices only)."


@settings(max_examples=30, deadline=None)
@given(db=DB, warning=st.sampled_from(WARNINGS))
def test_a_cache_the_team_says_protects_the_database_is_not_flushable(db: str, warning: str) -> None:
    text = BASE.format(db=db) + " " + warning.format(db=db)
    model = parse(text)
    redis = model.component("redis")
    assert redis is not None
    verdict = flush_verdict(redis, model, text)
    assert not verdict.allowed and "the team says so" in verdict.reason, (text, verdict)


@settings(max_examples=10, deadline=None)
@given(db=DB)
def test_a_plain_cache_stays_flushable(db: str) -> None:
    text = BASE.format(db=db)
    model = parse(text)
    redis = model.component("redis")
    assert redis is not None and flush_verdict(redis, model, text).allowed, text
