"""An adverb after "is" is never a name: "restart it only when a node is really broken" named a host
"really" and the runbook ran `nc really 11211`.

Property-based: random service and host names, role nouns, adverbs and adjectives.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.text import parse

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)


@settings(max_examples=40, deadline=None)
@given(svc=_letters, host=_letters, noun=st.sampled_from(["node", "host", "queue", "broker", "server", "cluster"]),
       adverb=st.sampled_from(["really", "usually", "truly", "currently", "mostly", "rarely", "only"]),
       adjective=st.sampled_from(["broken", "down", "full", "slow", "stuck"]))
def test_an_adverb_after_is_names_nothing(svc: str, host: str, noun: str, adverb: str, adjective: str) -> None:
    text = (f"{svc}-cache runs on {host}-01 and {host}-02 (systemd unit {svc}d). "
            f"Restart {svc}d only when a {noun} is {adverb} {adjective}, one {noun} at a time.")
    names = [n.value for c in parse(text).components for n in c.names]
    assert adverb not in names, names
    assert f"{host}-01" in names


@settings(max_examples=30, deadline=None)
@given(host=_letters, days=st.sampled_from(["Mon-Sat", "Mon-Fri", "mon-sun"]),
       pattern=st.sampled_from(["{h}-0N.lan", "{H}-0x.corp.local", "{h}-NN"]))
def test_day_ranges_and_naming_patterns_are_not_hosts(host: str, days: str, pattern: str) -> None:
    text = (f"{host}-web runs on three VMs: {host}-01, {host}-02 and {host}-03 (full names "
            f"{pattern.format(h=host, H=host.upper())}), staffed 07:00-22:00 {days}.")
    names = [n.value for c in parse(text).components for n in c.names]
    assert days not in names and pattern.format(h=host, H=host.upper()) not in names, names
    assert f"{host}-01" in names
