"""A component the description says has no replica is single-instance; a sibling component is not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.components import single_instance
from agent.service.model import Component
from agent.service.text import parse

_HOST = st.from_regex(r"[a-z]{3,7}-(?:cache|kv)-0[1-9]", fullmatch=True)
_DENIALS = st.sampled_from(["no replica", "no sentinel, no replica", "without a replica", "a single instance",
                            "one box, no replica", "standalone, not replicated", "no standby"])
_OPENING = st.sampled_from(["Redis 7 is {what}, on {host}.", "Redis runs on {host}: {what}.",
                            "Cache: Redis on {host} ({what})."])


def _comp(ident: str, host: str) -> Component:
    return Component.model_validate({"id": ident, "technology": ident, "kind": "cache",
                                     "names": [{"role": "host", "value": host}]})


@settings(max_examples=40, deadline=None)
@given(host=_HOST, what=_DENIALS, opening=_OPENING)
def test_denied_replica_makes_only_that_store_single(host: str, what: str, opening: str) -> None:
    text = ("Postgres 16: primary pg-01, streaming replica pg-02.\n" + opening.format(what=what, host=host))
    assert single_instance(_comp("redis", host), text)
    pg = Component.model_validate({"id": "postgresql", "technology": "postgresql", "kind": "database"})
    assert not single_instance(pg, text)


@settings(max_examples=30, deadline=None)
@given(host=_HOST, replica=_HOST)
def test_a_stated_replica_is_not_single(host: str, replica: str) -> None:
    text = f"Redis primary {host} with a replica {replica} and Sentinel on three nodes."
    assert not single_instance(_comp("redis", host), text)


@settings(max_examples=30, deadline=None)
@given(host=_HOST, what=st.sampled_from(["no replica", "no sentinel, no replica", "without a replica"]))
def test_no_replica_binds_no_replica_name(host: str, what: str) -> None:
    model = parse(f"Orders API in Go on VMs. Redis 7 is one box, {host}, {what} (yes, I know).")
    redis = model.component("redis")
    assert redis is not None
    assert redis.names_of("replica") == []
    assert host in redis.names_of("host")
