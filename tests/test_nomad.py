"""A Nomad job on VMs is operated through the job, never as a systemd unit on the hosts.

Blind h06 (a Nomad job registered in Consul, on twelve client VMs) got `systemctl restart checkout-api` on
every host and an invented unit. Property-based: random job names, namespaces and phrasings.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.loop import generate
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands

RULE = load_rule(default_rule_path())
NAME = st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,5}\Z", fullmatch=True)
FORM = st.sampled_from([
    "{j} is a Go HTTP API, a Nomad job in namespace {n} on the client VMs. "
    "Status: `nomad job status -namespace={n} {j}`.",
    "The service runs as the Nomad job `{j}` (namespace {n}), 6 allocations on our Nomad clients.",
])


@settings(max_examples=4, deadline=None)
@given(job=NAME, ns=st.sampled_from(["shop", "payments", "edge"]), form=FORM, env=st.sampled_from(["vm", "baremetal"]))
def test_a_nomad_job_is_operated_through_the_job(job: str, ns: str, form: str, env: str) -> None:
    text = form.format(j=job, n=ns) + " NEVER purge the job."
    answers = from_mapping(RULE, {"type": "api", "env": env, "criticality": "high", "oncall": "24x7"}, "t")
    runbook = generate(OfflineModel(), GenerationRequest(rule=RULE, description=text, answers=answers,
                                                         now=datetime(2026, 1, 15))).runbook
    code = "\n".join(line for c in iter_commands(runbook) for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))
    assert "systemctl" not in code and "on_hosts" not in code
    assert f"nomad job status -namespace={ns} {job}" in code
    assert f"nomad job revert -namespace={ns} {job}" in code
    assert "-purge" not in code
