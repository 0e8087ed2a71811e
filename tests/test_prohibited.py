"""A command the description forbids never reaches the runbook, whoever wrote it.

A blind case said "NEVER `docker compose down -v`: the mongo volume is the only copy of undelivered
events"; the runbook's cheat sheet listed that very command as the team's own, and a procedure ran it.
Property-based: random programs' arguments, forbidding phrasings, and where the command stands.
"""

from __future__ import annotations

import string
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent import loop, prohibited
from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import iter_commands
from agent.service.commands import forbidden_commands, team_commands

_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# a bare (unquoted) forbidden command ends where a clause word starts ("never X unless …"): a name that
# is such a word ("redis-cli -h unless") is ambiguous in any reading, so names are never one
_CLAUSE = {"on", "in", "unless", "while", "when", "during", "before", "after", "for", "because", "without", "if",
           "or", "and", "as", "against", "since", "until"}
WORD = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8).filter(lambda w: w not in _CLAUSE)
FORBIDDEN = st.one_of(
    st.builds(lambda s: f"docker compose down {s}", st.sampled_from(["-v", "--volumes", "--rmi all"])),
    st.builds(lambda w: f"kubectl delete pvc {w}-0", WORD),
    st.builds(lambda w: f"redis-cli -h {w} FLUSHALL", WORD),
    st.builds(lambda w: f"systemctl stop {w}", WORD),
)
SAYS = ["NEVER `{c}`: it loses data.", "Don't run `{c}` on prod.", "do not use `{c}`, ever.",
        "- never {c} on this host", "Avoid `{c}` (we lost a day to it)."]


@_FAST
@given(command=FORBIDDEN, say=st.sampled_from(SAYS))
def test_a_forbidden_command_is_a_rule_not_the_teams_own(command: str, say: str) -> None:
    text = f"Restart with `systemctl restart app`.\n{say.format(c=command)}"
    assert [g.command for g in forbidden_commands(text)] == [command], text
    assert command not in [g.command for g in team_commands(text)]
    assert "systemctl restart app" in [g.command for g in team_commands(text)]


RULE = load_rule(default_rule_path())
# one offline runbook to edit: generating one per example would take minutes
_BASE = OfflineModel().generate(GenerationRequest(
    rule=RULE, description="hookrelay runs in docker compose on one host.",
    answers=from_mapping(RULE, {"type": "api", "env": "docker", "criticality": "high", "monitoring": "prometheus",
                                "oncall": "24/7"}, "test"), now=datetime(2026, 12, 1, 9, 0))).runbook


def _request(description: str) -> GenerationRequest:
    answers = from_mapping(RULE, {"type": "api", "env": "docker", "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24/7"}, "test")
    return GenerationRequest(rule=RULE, description=description, answers=answers, now=datetime(2026, 12, 1, 9, 0))


@_FAST
@given(command=FORBIDDEN, say=st.sampled_from(SAYS), where=st.sampled_from(["alone", "ssh", "chain", "flags"]))
def test_a_line_that_runs_it_becomes_a_comment_that_says_why(command: str, say: str, where: str) -> None:
    request = _request("hookrelay runs in docker compose on one host.\n" + say.format(c=command))
    runbook = _BASE.model_copy(deep=True)
    program, rest = command.split(" ", 1)
    line = {"alone": command, "ssh": f"ssh \"$HOST\" '{command}'", "chain": f"cd /opt/x && {command} && echo ok",
            "flags": command.replace(" down", " -f /opt/x/compose.yml down", 1) if "compose" in command else
            f"{program} --quiet {rest}"}[where]
    first = next(iter_commands(runbook))
    first.code = f"echo before\n{line}"
    out = prohibited.enforce(runbook, request.description, request.service)
    changed = next(iter_commands(out))
    assert changed.code.split("\n")[0] == "echo before"
    assert changed.code.split("\n")[1].startswith("# not run: the team forbids"), changed.code
    assert changed.warning and "forbids" in changed.warning
    assert next(iter_commands(runbook)).code.endswith(line)  # the input is not changed in place


def test_the_generic_compose_teardown_is_not_written_when_the_team_forbids_it() -> None:
    text = ("hookrelay: one host, docker compose project hookrelay, file /opt/hookrelay/docker-compose.yml, "
            "services edge, relay and mongo.\nNEVER `docker compose down`: the mongo volume is the only copy.")
    request = _request(text)
    runbook = loop.generate(OfflineModel(), request).runbook
    rules = [r.command for r in prohibited.rules(text, request.service)]
    assert rules == ["docker compose down"]
    words = prohibited._tokens("docker compose down")
    running = [c.code for c in iter_commands(runbook) for line in c.code.split("\n") if prohibited._runs(line, words)]
    assert running == []
    # the engine's own recipe has the teardown: without the rule it would be written
    raw = OfflineModel().generate(request).runbook
    assert any(prohibited._runs(line, words) for c in iter_commands(raw) for line in c.code.split("\n"))


def test_a_command_that_only_shares_the_program_stays() -> None:
    words = prohibited._tokens("docker compose down -v")
    assert not prohibited._runs("docker compose down", words)
    assert not prohibited._runs("docker compose logs relay", words)
    assert not prohibited._runs("# docker compose down -v", words)
    assert prohibited._runs("docker-compose -p hookrelay down --remove-orphans -v", words)


# the forms blind batch j wrote a prohibition in, with no backticks: the generic command was written anyway
BARE_FORMS = [
    ("Never {p} {a} / {p} {b} {w} by hand, Flux owns it.", ["{p} {a}", "{p} {b} {w}"]),
    ("- no {p} {a} / {b} on {w} without the DBA", ["{p} {a}", "{p} {b}"]),
    ("never {b} the staging slot by hand ({p} {a} {b}), the pipeline does it.", ["{p} {a} {b}"]),
    ("dont {p} {a} / {p} {b} the {w}", ["{p} {a}", "{p} {b} {w}"]),
]
PROGRAM = st.sampled_from(["helm", "gcloud sql instances", "kubectl", "az functionapp deployment slot"])


@_FAST
@given(form=st.integers(0, len(BARE_FORMS) - 1), program=PROGRAM, a=WORD, b=WORD, w=WORD)
def test_a_bare_or_parenthesised_forbidden_command_and_its_alternatives_are_rules(form: int, program: str, a: str,
                                                                                 b: str, w: str) -> None:
    said, wanted = BARE_FORMS[form]
    text = f"invoice-run is a Python CronJob on GKE, namespace billing.\n{said.format(p=program, a=a, b=b, w=w)}"
    request = _request(text)
    rules = [prohibited._tokens(r.command) for r in prohibited.rules(text, request.service)]
    for command in wanted:
        line = command.format(p=program, a=a, b=b, w=w) + " --project x"
        assert any(prohibited._runs(line, [x for x in r if x not in ("the",)]) for r in rules), (line, rules)


@_FAST
@given(flag=st.builds(lambda a, b: f"{a}-{b}", WORD, WORD),
       say=st.sampled_from(["don't {f}, it makes the storm worse.", "never {f} during an incident"]))
def test_a_flag_the_team_forbids_by_name_is_not_run(flag: str, say: str) -> None:
    """'don't force-new-deployment': the generic `aws ecs update-service … --force-new-deployment` is not run."""
    request = _request("quote-engine is a Spring Boot API on ECS Fargate.\n" + say.format(f=flag))
    runbook = _BASE.model_copy(deep=True)
    first = next(iter_commands(runbook))
    first.code = f"echo before\naws ecs update-service --cluster c --service s --{flag}"
    out = prohibited.enforce(runbook, request.description, request.service)
    assert next(iter_commands(out)).code.split("\n")[1].startswith("# not run: the team forbids")


THING = st.builds(lambda a, b, sep: f"{a}{sep}{b}", WORD, WORD, st.sampled_from([".", "-", "_"]))
OBJECT_SAYS = ["{a} and {b} are never purged: those are legally required.", "- never purge {a} or {b}",
               "Do not purge `{a}`, `{b}` either.", "{a}, {b} must never be purged"]


@_FAST
@given(a=THING, b=THING, say=st.sampled_from(OBJECT_SAYS),
       line=st.sampled_from(["rabbitmqctl purge_queue -p /notify {q}", "ssh mq-a 'sudo rabbitmqctl purge_queue {q}'",
                             "rabbitmqadmin purge queue name={q}"]))
def test_a_named_thing_the_team_never_purges_is_not_purged(a: str, b: str, say: str, line: str) -> None:
    """Batch j: 'emails.order and emails.order.dlq are never purged' and the RabbitMQ recipe purged emails.order."""
    text = "notify-mq is our RabbitMQ cluster on three VMs.\n" + say.format(a=a, b=b)
    runbook = _BASE.model_copy(deep=True)
    first = next(iter_commands(runbook))
    first.code = f"rabbitmqctl list_queues name messages\n{line.format(q=b)}"
    out = next(iter_commands(prohibited.enforce(runbook, text, None)))
    assert out.code.split("\n")[0] == "rabbitmqctl list_queues name messages"  # reading it stays
    assert out.code.split("\n")[1].startswith("# not run: the team forbids"), out.code
