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


@settings(max_examples=4, deadline=None)
@given(job=NAME, ns=st.sampled_from(["logistics", "edge"]), env=st.sampled_from(["docker", "vm"]))
def test_a_nomad_job_with_the_docker_driver_and_its_name_from_the_text(job: str, ns: str, env: str) -> None:
    """Blind m05: a Nomad job on clients with the docker driver got the docker platform (38 docker commands),
    and the job's name was read as 'then' from "`nomad job history -p\\n  x`, then `nomad job revert …`"."""
    text = (f"## Operating {job}\n\n- Nomad cluster in datacenter `fra1`; clients `cl-01` to `cl-12` (docker driver).\n"
            f"- Nomad namespace `{ns}`, job `{job}` (type service), task group `api`, count 6.\n\n"
            f"Rollback: `nomad job history -p\n  {job}`, then `nomad job revert {job} <version>`.\n\n"
            "### Things you must not do\n\n"
            f"- `nomad job stop -purge {job}`: it throws away the job's version history.\n"
            "- `docker restart` / `docker stop` on a client: Nomad reschedules it. Use `nomad alloc restart <id>`.\n")
    answers = from_mapping(RULE, {"type": "api", "env": env, "criticality": "high", "oncall": "24x7"}, "t")
    runbook = generate(OfflineModel(), GenerationRequest(rule=RULE, description=text, answers=answers,
                                                         now=datetime(2026, 1, 15))).runbook
    code = "\n".join(line for c in iter_commands(runbook) for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))
    assert f"nomad job status -namespace={ns} {job}" in code, code
    assert " then" not in code and "docker restart" not in code and "-purge" not in code, code
