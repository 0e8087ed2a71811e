"""A command the description writes with placeholders (`kubectl delete job <name>`, `redis-cli -h <master>`,
`--function-version <previous>`) reaches the runbook runnable: each placeholder a guarded shell variable,
declared first, quoted where it stands (inside single quotes too). Random placeholder words and commands."""

from __future__ import annotations

import string
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.checks.placeholders import find_placeholders
from agent.service.commands import runnable, spoken, team_commands
from agent.service.text import parse

_word = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
PLACEHOLDER = st.one_of(
    st.builds(lambda w: f"<{w}>", _word),
    st.builds(lambda a, b: f"<{a}-{b}>", _word, _word),
    st.builds(lambda a, b: f"[{a}-{b}]", _word, _word),
    st.builds(lambda w: f"{{{{ {w} }}}}", _word),
)
SHAPE = st.sampled_from([
    "kubectl -n ns1 delete job {p}",
    "kubectl -n ns1 logs job/{p} --tail=100",
    "kubectl get pods -l 'job-name={p}'",
    "redis-cli -h {p} -p 26379 INFO replication",
    "aws lambda update-alias --function-name fn1 --name live --function-version {p}",
    "psql -h {p} -d db1 -c \"SELECT 1 FROM t WHERE id = '{p}'\"",
    "curl -s \"https://api.example.test/v1/{p}/status\"",
])


def _bash_ok(code: str) -> bool:
    return subprocess.run(["bash", "-n"], input=code, text=True, capture_output=True, check=False).returncode == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=SHAPE, placeholder=PLACEHOLDER)
def test_a_placeholder_becomes_a_guarded_variable(shape: str, placeholder: str) -> None:
    command = shape.format(p=placeholder)
    out = runnable(command)
    assert find_placeholders(out) == [], out
    assert _bash_ok(out), out
    first = out.splitlines()[0]
    assert first.endswith('}"') and ":?set " in first, out  # declared with a guard before its use
    assert find_placeholders(spoken(command)) == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=SHAPE, placeholder=PLACEHOLDER)
def test_the_description_s_commands_are_taken_runnable(shape: str, placeholder: str) -> None:
    command = shape.format(p=placeholder)
    description = f"The recon job runs nightly on Kubernetes. To check it we run `{command}` and read the output."
    found = [g.command for g in team_commands(description)]
    assert found and all(find_placeholders(c) == [] and _bash_ok(c) for c in found), found


def test_a_command_without_placeholders_is_kept_as_written() -> None:
    command = "kubectl -n recon get cronjob recon-nightly -o wide"
    assert runnable(command) == command


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(group=_word, app=_word, lead=st.sampled_from(["Rollback = swap back:", "To roll back run:", "Roll back with"]))
def test_a_command_on_a_line_of_its_own_is_the_team_s_and_no_prose(group: str, app: str, lead: str) -> None:
    command = f"az functionapp deployment slot swap -g rg-{group} -n fa-{app} --slot staging --target-slot production"
    description = (f"claims-intake is an Azure Function app.\n* Deploys go to staging, then swap. {lead}\n"
                   f"    {command}\n")
    found = team_commands(description)
    assert [g.command for g in found] == [command]
    assert found[0].purpose == "rollback"


@pytest.mark.parametrize("line", [
    "docker run with --restart=always, no compose, no Kubernetes) on the VM gw-01. It serves",
    "kubectl is what we use for --everything, and the cluster is small.",
])
def test_prose_that_starts_with_a_program_is_no_command(line: str) -> None:
    assert team_commands(f"The proxy is nginx.\n{line}\n") == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(group=_word, db=_word, lead=st.sampled_from(["Fix (approved standing change): ", "Fix: ", "The fix. "]))
def test_a_bare_command_inside_prose_is_one_command_and_names_nothing(group: str, db: str, lead: str) -> None:
    command = f"az sql db update -g rg-{group} -s sql-{db}-srv -n sqldb-{db} --service-objective S6"
    description = (f"claims is an Azure Function app on SQL database sqldb-{db}.\n"
                   f"* DTU at 100%. {lead}{command}, then wait.\n")
    assert command in [g.command for g in team_commands(description)]
    model = parse(description)
    assert "update" not in [v for c in model.components for v in c.names_of("database")]
