"""Commands the team writes in the description reach the model and replace the generic step.

Random names × phrasings × tools: the deploy and rollback the team gave are the runbook's deploy and
rollback, they are never listed as names that could not be placed, and a plain name in backticks is
not mistaken for a command.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks import check_markdown
from agent.models.base import GenerationRequest
from agent.models.registry import get_model
from agent.render import render_markdown
from agent.rule import load_rule
from agent.service.commands import forbidden_commands, team_commands
from agent.service.text import parse

NAME = st.from_regex(r"\A[a-z][a-z0-9]{2,8}(-[a-z0-9]{2,8}){1,2}\Z", fullmatch=True)
TOOLS = [
    ("cap production deploy", "cap production deploy:rollback"),
    ("helm upgrade --install {n} ./chart -n {n}", "helm rollback {n} -n {n}"),
    ("ansible-playbook -i inventories/prod deploy.yml -e app={n}", "ansible-playbook -i inventories/prod rollback.yml"),
    ("./scripts/deploy.sh {n} prod", "./scripts/deploy.sh {n} prod --previous"),
    ("kamal deploy -d production", "kamal rollback -d production"),
]
PHRASINGS = [
    "Deploy: `{d}` from CI; rollback is `{r}`.",
    "We ship with `{d}`. To go back, run `{r}`.",
    "Deploys are done by `{d}` and rolled back with `{r}`.",
    "- deploy → `{d}`\n- roll back → `{r}`",
]


@settings(max_examples=30, deadline=None)
@given(n=NAME, tool=st.integers(0, len(TOOLS) - 1), i=st.integers(0, len(PHRASINGS) - 1))
def test_the_teams_deploy_and_rollback_are_read(n: str, tool: int, i: int) -> None:
    deploy, rollback = (c.format(n=n) for c in TOOLS[tool])
    text = (f"{n} is our billing API on three VMs (systemd unit {n}.service).\n"
            + PHRASINGS[i].format(d=deploy, r=rollback))
    model = parse(text)
    by_purpose = {p.purpose: p.command for p in model.procedures}
    assert by_purpose.get("deploy") == deploy, (text, by_purpose)
    assert by_purpose.get("rollback") == rollback, (text, by_purpose)
    assert not any(u.text in (deploy, rollback) for u in model.unbound)


def test_names_in_backticks_are_not_commands() -> None:
    text = "The DAG is `orchard_ingest`, the table `RAW.ORDERS`, the unit `api-v2.service` and the key `a b`."
    assert team_commands(text) == []


def test_the_runbook_deploys_and_rolls_back_the_teams_way() -> None:
    text = ("larkspur-web is a Rails app on VMs lark-web-01..lark-web-03 (unit larkspur-puma.service).\n"
            "Deploy: `cap production deploy`; rollback is `cap production deploy:rollback`.")
    rule = load_rule()
    answers = from_mapping(rule, {"type": "web", "env": "vm", "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=rule, description=text, answers=answers, now=datetime(2026, 1, 15, 9, 30))
    book = get_model("offline").generate(request).runbook
    deploy = [c.code for c in book.deployment.deploy]
    rollback = [c.code for c in book.deployment.rollback]
    assert deploy == ["cap production deploy"]
    assert "cap production deploy:rollback" in rollback
    assert any(c.code == "cap production deploy:rollback" for c in book.appendix.cheatsheet)
    report = check_markdown(render_markdown(book), "generated.md", tools=False)
    assert report.findings == [], report.findings


@settings(max_examples=30, deadline=None)
@given(n=NAME, who=st.sampled_from(["Anything you", "If you", "Whatever we", "When someone"]),
       verb=st.sampled_from(["kubectl edit", "kubectl scale deploy/{n} --replicas=3", "docker restart {n}"]),
       tail=st.sampled_from(["is reverted within a minute", "it comes back on the next sync",
                             "the controller undoes it"]))
def test_a_command_written_as_the_sentences_verb_is_no_command_given(n: str, who: str, verb: str,
                                                                       tail: str) -> None:
    """"Anything you `kubectl edit` or scale is reverted": it tells what not to rely on, it gives nothing."""
    command = verb.format(n=n)
    text = f"{n} runs on Kubernetes. {who} `{command}` {tail}. Restart with `kubectl rollout restart deploy/{n}`."
    given_ = [g.command for g in team_commands(text)]
    assert command not in given_ and f"kubectl rollout restart deploy/{n}" in given_


@settings(max_examples=30, deadline=None)
@given(ns=st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,5}\Z", fullmatch=True),
       name=st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,5}\Z", fullmatch=True),
       label=st.sampled_from(["status", "check it", "lag check we always use"]))
def test_a_command_whose_flag_follows_its_program_or_a_labels_colon_is_the_teams(ns: str, name: str,
                                                                               label: str) -> None:
    # blind h01: "kubectl -n kafka-prod annotate …" on its own line and "status: kubectl -n … get kafka x"
    # were not read as commands (the line pattern wanted a word between the program and its first flag)
    text = (f"rolling restart = annotate and let the operator do one broker at a time:\n"
            f"kubectl -n {ns} annotate strimzipodset {name} strimzi.io/manual-rolling-update=true\n\n"
            f"disk > 80%: bump the storage in the CR via PR. {label}: kubectl -n {ns} get kafka {name}\n")
    found = [g.command for g in team_commands(text)]
    assert f"kubectl -n {ns} annotate strimzipodset {name} strimzi.io/manual-rolling-update=true" in found, found
    assert f"kubectl -n {ns} get kafka {name}" in found, found


@settings(max_examples=30, deadline=None)
@given(job=st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,5}\Z", fullmatch=True),
       after=st.sampled_from([" was run to \"reset\" a stuck deployment: 11 minutes of outage",
                              " caused the outage", " were run by hand and took down checkout"]))
def test_a_command_that_caused_an_incident_is_forbidden_not_the_teams(job: str, after: str) -> None:
    # blind h06: "`nomad job stop -purge checkout-api` was run to reset a stuck deployment" was listed in
    # the cheatsheet as the team's own command
    text = (f"INC-1103: `nomad job stop -purge {job}`{after}. A stuck deployment is failed with "
            f"`nomad deployment fail -namespace=shop <deployment-id>`.")
    own = [g.command for g in team_commands(text)]
    assert not any("-purge" in c for c in own), own
    assert any("nomad deployment fail" in c for c in own), own
    assert f"nomad job stop -purge {job}" in [g.command for g in forbidden_commands(text)]


@given(program=st.builds(lambda a, b: f"q{a}{b}", st.text(alphabet="abcdefghijklmnop", min_size=3, max_size=8),
                         st.sampled_from(["", "ctl", ".xfs", "-admin"])),
       flag=st.sampled_from(["--self", "-L", "--certs-dir=/etc/x", "-n"]))
def test_a_program_the_list_does_not_know_is_a_command_when_written_as_one(program: str, flag: str) -> None:
    from agent.service.commands import is_command

    assert is_command(f"{program} node {flag} value")
    assert is_command(f"echo stats | {program} 127.0.0.1 5000")
    assert not is_command(f"use {flag} to follow the {program} logs")
    assert not is_command(f"{program} value")  # no flag, no pipe: a name and a word, not a command


@given(script=st.builds(lambda a, b: f"./{a}/{b}.sh", st.text(alphabet="abcdefghij", min_size=2, max_size=6),
                        st.text(alphabet="abcdefghij-", min_size=3, max_size=10).filter(lambda x: x[0] != "-")),
       note=st.sampled_from(["", "     (wraps aws stepfunctions redrive-execution)", "  (our wrapper)"]))
def test_a_script_on_a_line_of_its_own_is_the_teams_command(script: str, note: str) -> None:
    from agent.service.commands import team_commands

    text = f"x-api is a worker on ECS.\n  once it is back we redrive:\n    {script} --since 6h{note}\n"
    assert f"{script} --since 6h" in [g.command for g in team_commands(text)]


@given(unit=st.text(alphabet="abcdefghij", min_size=3, max_size=7), path=st.sampled_from(["/mnt/x", "/var/lib/y"]))
def test_a_command_block_under_a_colon_line_is_commands_not_names(unit: str, path: str) -> None:
    from agent.service.commands import team_commands
    from agent.service.text import parse

    text = (f"{unit}-db is a database on 3 VMs ({unit}-1.lan, {unit}-2.lan, {unit}-3.lan), systemd unit `{unit}`.\n"
            f"03:05 recovered by deleting the ballast file and starting the node:\n"
            f"    rm {path}/auxiliary/EMERGENCY_BALLAST\n    sudo systemctl start {unit}\n")
    names = [n.value for c in parse(text).components for n in c.names]
    assert "rm" not in names and "sudo" not in names, names
    commands = [g.command for g in team_commands(text)]
    assert f"rm {path}/auxiliary/EMERGENCY_BALLAST" in commands and f"sudo systemctl start {unit}" in commands


# words of prose the readers rely on ("stor1 is our cluster"): a drawn command word "our" is a grading mistake
_PROSE = frozenset("our the and you this that with when use run for not are was its".split())


@settings(max_examples=40, deadline=None)
@given(program=st.from_regex(r"\A[a-z]{3,6}(?:-admin)?\Z", fullmatch=True).filter(lambda w: w not in _PROSE),
       verbs=st.lists(st.from_regex(r"\A[a-z]{3,7}\Z", fullmatch=True).filter(lambda w: w not in _PROSE), min_size=2,
                      max_size=3, unique=True),
       obj=st.from_regex(r"\A[a-z]{3,6}\Z", fullmatch=True).filter(lambda w: w not in _PROSE))
def test_a_program_the_text_runs_with_a_flag_is_a_program_in_its_flagless_lines_too(program: str, verbs: list[str],
                                                                                    obj: str) -> None:
    """Batch j (Ceph): 'ceph -s' was read, 'ceph health detail', 'ceph osd tree' under it and `ceph osd set
    noout` in a sentence were not: a program the list does not know, but the text runs, is a program."""
    block = "\n".join(f"  {program} {v} {obj}" for v in verbs)
    text = (f"stor1 is our storage cluster.\n\nHOW WE CHECK\n  from a shell on the mon host:\n  {program} -s\n"
            f"{block}\n\nBefore a reboot: FIRST `{program} {obj} set noout`, then reboot one host.")
    found = [g.command for g in team_commands(text)]
    for v in verbs:
        assert f"{program} {v} {obj}" in found, found
    assert f"{program} {obj} set noout" in found, found


@settings(max_examples=40, deadline=None)
@given(zone=st.from_regex(r"\A[a-z]{3,8}\.(?:lan|internal|corp)\Z", fullmatch=True),
       unit=st.from_regex(r"\A[a-z]{3,8}\Z", fullmatch=True),
       lead=st.sampled_from(["To edit it by hand: {c}, edit, bump the serial.", "CI copies the file and runs {c}. Then",
                             "After a change, {c} on both resolvers, one after the other.",
                             "If it hangs, then {c} and wait."]),
       command=st.sampled_from(["rndc freeze {z}", "unbound-control flush_zone {z}", "systemctl restart {u}",
                                "rndc retransfer <zone>"]))
def test_a_known_program_written_in_prose_without_a_flag_is_the_teams_command(zone: str, unit: str, lead: str,
                                                                               command: str) -> None:
    """Blind l09: 'ansible … runs rndc reload <zone>', 'rndc freeze svc.kestrel.lan, edit, …', 'unbound-control
    flush_zone kestrel.lan on both resolvers' were prose to the reader (no flag, no backticks): a program we
    know, after a colon, a full stop or 'run(s)/then', up to the clause's end, is the team's command."""
    from agent.service.commands import runnable, team_commands

    written = command.format(z=zone, u=unit)
    text = f"kestrel-dns is our DNS on VMs.\n- {lead.format(c=written)}\n"
    assert runnable(written) in [g.command for g in team_commands(text)], text


@pytest.mark.parametrize("text", ["The team will helm the migration next week, so", "We moved off docker in 2023.",
                                  "Then git is where the zone files live, and"])
def test_a_programs_name_in_a_sentence_is_no_command(text: str) -> None:
    from agent.service.commands import team_commands

    assert team_commands(f"kestrel-dns is our DNS on VMs. {text} it works.\n") == []


@settings(max_examples=30, deadline=None)
@given(program=st.sampled_from(["nginx", "redis-server", "haproxy", "docker", "rndc"]),
       version=st.from_regex(r"\A(?:v?\d{1,2}(?:\.\d{1,2}){0,2})\Z", fullmatch=True),
       name=st.from_regex(r"\A[a-z]{3,8}-[a-z]{2,6}\Z", fullmatch=True),
       shape=st.sampled_from(["{p} {v} runs in a Docker container called {n}.",
                              "{p} {v} sits in front of {n}.",
                              "{p} — TLS termination, upstream -> {n}:3000",
                              "{p} serves {n} on port 443."]))
def test_a_sentence_about_a_program_is_no_command(program: str, version: str, name: str, shape: str) -> None:
    """CI on a452cf4: 'nginx 1.25 runs in a Docker container called edge-nginx' and a compose list line 'nginx —
    TLS termination' were read as the team's commands (the proxy's container was lost; compose targeted
    'nginx — TLS termination'): a version, a verb of prose or a dash gloss after the program says it is prose."""
    from agent.service.commands import team_commands

    text = f"shop-api is our API on VMs.\n{shape.format(p=program, v=version, n=name)}\n"
    assert [g.command for g in team_commands(text)] == [], text


@settings(max_examples=30, deadline=None)
@given(path=st.from_regex(r"\A/etc/[a-z]{3,8}/[a-z]{3,8}\.cfg\Z", fullmatch=True),
       lead=st.sampled_from(["Validate with {c}, then systemctl reload haproxy.", "Check it using {c} before a reload.",
                             "Config change: {c}, then reload."]),
       command=st.sampled_from(["haproxy -c -f {p}", "nginx -t -c {p}", "promtool check config {p} --lint=none"]))
def test_a_command_with_flags_after_with_or_using_is_the_teams(path: str, lead: str, command: str) -> None:
    """Blind m09: "Validate with haproxy -c -f /etc/haproxy/haproxy.cfg, then systemctl reload haproxy." lost
    the check: a command with flags after "with"/"using", up to its clause's end ("before", "then", a comma)."""
    from agent.service.commands import runnable, team_commands

    written = command.format(p=path)
    text = f"kartotek runs on bare metal.\n{lead.format(c=written)}\n"
    assert runnable(written) in [g.command for g in team_commands(text)], text
