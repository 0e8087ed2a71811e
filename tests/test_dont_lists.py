"""A list under a "don't" heading, a "never" table and "on-call never resets offsets" forbid what they name.

Blind batch h: "## Please don't" over "- `gcloud pubsub subscriptions seek` on the push subscription", "Do not"
over "* purge or delete invoices.render", a "| never | why |" table of vault commands and "on-call never
resets consumer offsets" all reached the runbook as commands. Property-based: random names and headings.
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
from agent.service.commands import forbidden_commands
from agent.service.text import parse

RULE = load_rule(default_rule_path())
LABEL = st.from_regex(r"\A[a-z]{3,7}-[a-z]{3,6}\Z", fullmatch=True)
HEADING = st.sampled_from(["## Please don't", "Do not", "Don't:", "**Never:**", "Red lines:"])


@settings(max_examples=40, deadline=None)
@given(heading=HEADING, sub=LABEL, queue=LABEL, bullet=st.sampled_from(["-", "*", "1."]))
def test_the_items_under_a_dont_heading_are_forbidden(heading: str, sub: str, queue: str, bullet: str) -> None:
    text = (f"geo-enricher is a Cloud Run service fed by Pub/Sub subscription {sub}.\n\n{heading}\n\n"
            f"{bullet} `gcloud pubsub subscriptions seek {sub}` (replays days of traffic)\n"
            f"{bullet} rabbitmqctl reset / force_reset a node\n"
            f"{bullet} purge or delete {queue} or the DLQ - every message is an invoice\n\nPeople: #geo-oncall\n")
    commands = [g.command for g in forbidden_commands(text)]
    assert f"gcloud pubsub subscriptions seek {sub}" in commands and "rabbitmqctl reset" in commands, commands
    prohibitions = [f.prohibition for f in parse(text).failures if f.prohibition]
    assert any(queue in p and p.lower().startswith("do not purge") for p in prohibitions), prohibitions
    assert not any(p.strip().lower() in ("do not", "don't", "never") for p in prohibitions)


def test_a_line_outside_the_list_is_not_forbidden() -> None:
    text = ("Do not\n- `vault operator seal`\n\nTo check: `vault status`\n- `vault operator raft list-peers`\n")
    assert [g.command for g in forbidden_commands(text)] == ["vault operator seal"]


@settings(max_examples=20, deadline=None)
@given(verb=st.sampled_from(["seal", "raft remove-peer", "generate-root"]), other=LABEL)
def test_the_rows_of_a_never_table_are_forbidden(verb: str, other: str) -> None:
    text = (f"vault-prod — service sheet\n\n| never | why |\n|---|---|\n"
            f"| vault operator {verb} | security lead only |\n"
            f"| restart two nodes at once / copy /opt/vault/data | loses quorum |\n\n| field | value |\n|---|---|\n"
            f"| owner | {other} |\n")
    assert [g.command for g in forbidden_commands(text)] == [f"vault operator {verb}"]


@settings(max_examples=3, deadline=None)
@given(group=LABEL, topic=st.from_regex(r"\A[a-z]{4,8}\.[a-z]{4,8}\.v1\Z", fullmatch=True),
       who=st.sampled_from(["on-call never resets consumer offsets", "we never reset the offsets",
                            "never reset consumer offsets"]))
def test_an_offset_reset_the_team_rules_out_is_not_given_even_as_a_dry_run(group: str, topic: str, who: str) -> None:
    text = (f"ledger-sink is a Java Kafka consumer on EKS, Deployment ledger-sink in namespace ledger, consumer group "
            f"`{group}` on topic `{topic}`, bootstrap kafka.ledger.svc:9092. Lag alert: lag > 50k for 10 min. "
            f"Also: {who}; replays are done by the payments team.")
    answers = from_mapping(RULE, {"type": "worker", "env": "kubernetes", "criticality": "high", "oncall": "24x7"}, "t")
    request = GenerationRequest(rule=RULE, description=text, answers=answers, now=datetime(2026, 1, 15))
    runbook = generate(OfflineModel(), request).runbook
    code = [line for c in iter_commands(runbook) for line in c.code.splitlines() if not line.lstrip().startswith("#")]
    assert not any("--reset-offsets" in line for line in code), [x for x in code if "reset-offsets" in x]


@settings(max_examples=30, deadline=None)
@given(heading=st.sampled_from(["### Things you must not do", "Things we should never do:", "== What not to do ==",
                                "## Things you must never do", "What you must not do:"]),
       job=LABEL, bullet=st.sampled_from(["-", "*"]))
def test_a_heading_that_says_what_must_not_be_done_forbids_its_items(heading: str, job: str, bullet: str) -> None:
    """Blind m05: "### Things you must not do" over `nomad job stop -purge x` and `consul kv delete`: both were
    written into the runbook as the team's own commands."""
    from agent.service.commands import team_commands

    text = (f"{job} is a Nomad job.\n\n{heading}\n\n{bullet} `nomad job stop -purge {job}`: no history is left.\n"
            f"{bullet} `consul kv delete` anything under `{job}/`.\n"
            f"{bullet} `docker stop` on a client. Use `nomad alloc restart <alloc-id>`.\n")
    forbidden = [g.command for g in forbidden_commands(text)]
    assert f"nomad job stop -purge {job}" in forbidden and "consul kv delete" in forbidden, forbidden
    own = [g.command for g in team_commands(text)]
    assert not any("-purge" in c or "kv delete" in c or "docker stop" in c for c in own), own
    assert any("nomad alloc restart" in c for c in own), own  # the way to do it instead stays
