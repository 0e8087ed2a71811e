"""The team's failure modes and rules: read from the description into the model, written into the runbook.

Property-based: random component names, varied cue phrasings and technologies; the failure mode must
reach the model bound to its component, become a troubleshooting entry quoting the team's words, and
the runbook must pass `agent test`'s static checks. A rule the team gives becomes a warning on the
generic step it contradicts.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks.check import check_markdown
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.failures import read
from agent.service.text import parse
from agent.service.vocabulary import vocabulary

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
names = st.builds(lambda a, b: f"{a}-{b}", _letters, st.sampled_from(["api", "svc", "worker", "sync", "core"]))

# (technology as written, component technology id, a consequence that technology suffers)
STORES = [("Redis", "redis", "Redis hits maxmemory"), ("PostgreSQL", "postgresql", "the PostgreSQL disk fills"),
          ("RabbitMQ", "rabbitmq", "RabbitMQ runs out of memory"), ("Kafka", "kafka", "Kafka consumers fall behind"),
          ("MySQL", "mysql", "MySQL runs out of connections")]

# phrasings of a known failure: {t} trigger, {c} consequence
PHRASES = ["Known failure: {t} and {c}.", "Watch out for this: when {t}, {c}.", "We've been bitten by this twice: "
           "if {t}, {c}.", "Gotcha: {t} and {c}.", "Last incident: {t} and {c}.", "The risk is that {c} when {t}.",
           "It breaks when {t}: {c}.", "If {t} {c}.", "Known issue - {t}, then {c}.", "Beware: {t} so {c}."]
TRIGGERS = ["a job raises in a loop", "the batch import runs twice", "the upstream feed is down for hours",
            "a deploy lands during the nightly load", "the retry queue is never drained"]


def _description(app: str, tech: str, phrase: str, trigger: str, consequence: str, extra: str = "") -> str:
    return (f"{app} is a Python worker on Kubernetes (deployment {app}, namespace {app}-prod). It stores its "
            f"state in {tech}. {phrase.format(t=trigger, c=consequence)} {extra}").strip()


def _runbook(description: str, kind: str = "worker") -> tuple[str, Runbook]:
    rule = load_rule(default_rule_path())
    values = {"type": kind, "env": "kubernetes", "criticality": "high", "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=description, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    runbook = OfflineModel().generate(request).runbook
    return render_markdown(runbook), runbook


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=names, store=st.sampled_from(STORES), phrase=st.sampled_from(PHRASES), trigger=st.sampled_from(TRIGGERS))
def test_a_named_failure_mode_reaches_the_model_with_its_component(app: str, store: tuple[str, str, str],
                                                                   phrase: str, trigger: str) -> None:
    written, tech, consequence = store
    model = parse(_description(app, written, phrase, trigger, consequence))
    failures = [f for f in model.failures if f.kind == "failure"]
    assert len(failures) == 1, (phrase, [f.evidence for f in model.failures])
    failure = failures[0]
    component = model.component(failure.component)
    assert component is not None and component.technology == tech, (phrase, failure)
    assert consequence.split()[-1] in failure.consequence or consequence.split()[-1] in failure.trigger, failure
    assert trigger.split()[-1] in failure.evidence


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=names, store=st.sampled_from(STORES), phrase=st.sampled_from(PHRASES), trigger=st.sampled_from(TRIGGERS))
def test_a_named_failure_mode_becomes_an_entry_and_the_runbook_passes_its_checks(
        app: str, store: tuple[str, str, str], phrase: str, trigger: str) -> None:
    written, tech, consequence = store
    description = _description(app, written, phrase, trigger, consequence)
    markdown, runbook = _runbook(description)
    entries = [i for i in runbook.troubleshooting.issues if i.title.startswith("Known failure:")]
    assert len(entries) == 1
    entry = entries[0]
    display = vocabulary().technologies[tech].display
    assert display in entry.title and trigger in entry.symptoms  # the component, the team's words
    assert entry.check and entry.fix
    report = check_markdown(markdown, tools=False)
    errors = [f for f in report.findings if f.severity == "error"]
    assert not errors, errors


RULES = ["Never restart all pods at once.", "Do not restart every pod at the same time.",
         "Restart pods one at a time, never all together.", "Don't ever restart all instances simultaneously."]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=names, rule=st.sampled_from(RULES))
def test_the_teams_prohibition_warns_the_generic_step_that_contradicts_it(app: str, rule: str) -> None:
    description = (f"{app} is a Go API on Kubernetes (deployment {app}, namespace {app}-ns) behind an ingress. "
                   f"{rule}")
    model = parse(description)
    assert any(f.kind == "rule" and f.prohibition for f in model.failures), model.failures
    _markdown, runbook = _runbook(description, "api")
    restart_all = [c for c in runbook.emergency.service_down.immediate if "rollout restart" in c.code]
    assert restart_all and all(rule.rstrip(".") in (c.warning or "") for c in restart_all)
    # a restart of one pod is what the team asks for: it carries no such warning
    one = [c for c in runbook.emergency.service_down.immediate if "delete pod" in c.code]
    assert all(rule.rstrip(".") not in (c.warning or "") for c in one)


@given(app=names, words=st.lists(st.sampled_from(["the", "queue", "runs", "on", "three", "nodes", "and", "serves",
                                                 "requests", "from", "clients", "daily"]), min_size=4, max_size=14))
def test_plain_sentences_are_not_failure_modes(app: str, words: list[str]) -> None:
    model = parse(f"{app} is a Node.js API on Kubernetes.")
    assert read([" ".join(words).capitalize() + "."], model, vocabulary()) == []


def test_a_rule_after_a_failure_is_its_action_and_the_model_file_keeps_them() -> None:
    from agent.service.model import ServiceModel

    model = parse("ledger-sync is a Python worker on Kubernetes using PostgreSQL. Known failure: when the "
                  "export hangs, the PostgreSQL disk fills. The fix is to cancel the export and vacuum.")
    (failure,) = model.failures
    assert failure.component == "postgresql" and failure.action.startswith("The fix is")
    assert ServiceModel.model_validate(model.model_dump()).failures == model.failures


def test_an_llm_reading_adds_the_failures_the_parse_missed_and_not_those_it_has() -> None:
    from agent.service.merge import merge

    text = ("wren-api is a Go API on Kubernetes using Redis. Known failure: a cache stampede makes Redis hit "
            "maxmemory. Rollouts sometimes wedge the ingress.")
    parsed = parse(text)
    assert len(parsed.failures) == 1
    llm = parsed.model_copy(deep=True)
    llm.failures = [
        parsed.failures[0].model_copy(update={"evidence": "a cache stampede makes Redis hit maxmemory",
                                              "origin": "llm"}),
        parsed.failures[0].model_copy(update={"evidence": "Rollouts sometimes wedge the ingress", "origin": "llm",
                                              "component": "app", "related": []}),
    ]
    merged = merge(parsed, llm, label=("description", "llm"), peer=True)
    assert [f.evidence for f in merged.failures] == [parsed.failures[0].evidence,
                                                     "Rollouts sometimes wedge the ingress"]
    assert merged.failures[0].origin == "given"
