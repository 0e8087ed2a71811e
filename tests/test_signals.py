"""Signals: thresholds from the service model (else a default marked as one), conditions written from
the same numbers the queries use, and unit conversion."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.knowledge.base import Facts
from agent.knowledge.signals import Signal, Threshold, convert, limit


def _facts(names: dict[str, str]) -> Facts:
    return Facts(service="s", display_name="S", description="", names=names)


def test_a_users_threshold_wins_and_a_default_is_marked() -> None:
    given_ = limit(_facts({"threshold.replication lag": "60s"}), ("replication",), 30, "s")
    assert (given_.value, given_.origin) == (60, "given")
    assert limit(_facts({}), ("replication",), 30, "s").origin == "default"
    # another unit converts; one that cannot (a % for seconds) is not used
    assert limit(_facts({"threshold.replica lag": "2minutes"}), ("replica",), 30, "s").value == 120
    assert limit(_facts({"threshold.replica lag": "5%"}), ("replica",), 30, "s").origin == "default"
    assert limit(_facts({"backlog.max": "200000"}), ("lag",), 10000, "messages", figure="backlog.max").value == 200000


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["%", "ms", "s", ""]))
def test_any_number_the_user_gives_is_taken_as_it_is(value: int, unit: str) -> None:
    found = limit(_facts({"threshold.cpu usage": f"{value}{unit}"}), ("cpu",), 80, unit)
    assert found.value == value and found.origin == "given"


def test_condition_states_threshold_and_duration() -> None:
    signal = Signal(key="k", name="n", measure="connections", threshold=Threshold(80, "%"), minutes=5,
                    severity="Warning", response="r", of="of max_connections")
    assert signal.condition == "connections > 80% of max_connections for 5 min"
    counted = Signal(key="k", name="n", measure="", threshold=Threshold(3), minutes=15, severity="Warning",
                     response="r", of="restarts", window="in")
    assert counted.condition == "> 3 restarts in 15 min"


def test_conversions() -> None:
    assert convert(80, "%", "ratio") == 0.8
    assert convert(500, "ms", "s") == 0.5
    assert convert(90, "%", "free_ratio") == 0.1
    assert convert(2880, "min", "s") == 172800
    assert convert(80, "%", "") is None  # a share does not compare with a count
    assert convert(5, "", "count") == 5
