from __future__ import annotations

from pathlib import Path

import pytest

from agent.answers import Answers, from_flags, infer, load_answers_file, parse_answer, suggest
from agent.errors import UsageError
from agent.rule import Question, load_rule

RULE = load_rule()


def q(key: str) -> Question:
    question = RULE.question(key)
    assert question is not None
    return question


@pytest.mark.parametrize(("key", "raw", "value"), [
    ("env", "A", "kubernetes"), ("env", "a", "kubernetes"), ("env", "Kubernetes", "kubernetes"),
    ("env", "k8s", "kubernetes"), ("env", "EKS", "kubernetes"), ("env", "VMs", "vm"), ("env", "ec2", "vm"),
    ("env", "VMs (EC2, GCE)", "vm"), ("env", "lambda", "serverless"), ("env", "bare metal", "baremetal"),
    ("type", "B", "api"), ("type", "background worker", "worker"), ("criticality", "critical", "critical"),
    ("oncall", "24x7", "24x7"), ("oncall", "follow the sun", "follow-the-sun"), ("monitoring", "datadog", "datadog"),
])
def test_letters_names_and_synonyms(key: str, raw: str, value: str) -> None:
    assert parse_answer(q(key), raw).values == (value,)


def test_multiple_and_other_take_free_text() -> None:
    multi = parse_answer(q("monitoring"), "F: A, C")
    assert multi.values == ("prometheus", "cloudwatch") and multi.letters == ("F", "A", "C")
    assert parse_answer(q("monitoring"), "prometheus, cloudwatch").values == ("prometheus", "cloudwatch")
    other = parse_answer(q("type"), "F: message broker")
    assert other.values == ("other",) and other.free_text == "message broker"
    assert parse_answer(q("type"), "other: cron scheduler").display() == "Other: cron scheduler"


@pytest.mark.parametrize(("key", "raw"), [("env", "Z"), ("env", ""), ("env", "mainframe"), ("type", "F"),
                                          ("monitoring", "F"), ("env", "A, B")])
def test_bad_answers_are_clear_errors(key: str, raw: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_answer(q(key), raw)
    assert "\n" not in str(info.value)


def test_answers_file_yaml_and_json(tmp_path: Path) -> None:
    yml = tmp_path / "a.yaml"
    yml.write_text("type: B\nenvironment: k8s\ncriticality: A\nmonitoring: [prometheus, datadog]\noncall: 24/7\n")
    answers = load_answers_file(RULE, yml)
    assert answers.environment == "kubernetes" and answers.monitoring == ("prometheus", "datadog")
    js = tmp_path / "a.json"
    js.write_text('{"1": "E", "3": "low"}')
    answers = load_answers_file(RULE, js)
    assert answers.service_type == "database" and answers.criticality == "low"


@pytest.mark.parametrize(("content", "message"), [
    ("type: [B\n", "not valid YAML at line"), ("- just\n- a list\n", "must be a mapping"),
    ("colour: blue\n", "unknown question 'colour'"), ("env: Z\n", "cannot use 'Z'"),
])
def test_malformed_answers_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        load_answers_file(RULE, path)


def test_unreadable_answers_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read answers file"):
        load_answers_file(RULE, tmp_path / "nope.yaml")


def test_inference_reads_the_description_and_marks_assumptions() -> None:
    text = "Checkout API on EKS, revenue-critical, metrics in Datadog, PagerDuty rotation"
    inferred = infer(RULE, text, Answers(), ["type", "env", "criticality", "monitoring", "oncall"])
    assert inferred.service_type == "api" and inferred.environment == "kubernetes"
    assert inferred.criticality == "critical" and inferred.monitoring == ("datadog",)
    assert inferred.oncall == "24x7"
    assert all(a.assumed for a in inferred.items.values())
    assert "eks" in (inferred.get("env") or pytest.fail()).reason


def test_inference_falls_back_to_stated_defaults() -> None:
    inferred = infer(RULE, "a thing we run", Answers(), ["env", "oncall"])
    env = inferred.get("env")
    assert env is not None and env.reason.startswith("nothing in the description")


def test_suggestion_and_flags() -> None:
    hit = suggest(q("env"), "runs on GKE behind an ingress")
    assert hit is not None and hit[0].label == "Kubernetes"
    assert from_flags(RULE, {"env": "docker", "type": None}).environment == "docker"


@pytest.mark.parametrize("hosts", [("ns0.kestrel.lan", "ns1.kestrel.lan"), ("web-01.corp", "web-02.corp")])
@pytest.mark.parametrize("os_words", ["", " All of them run Rocky 9."])
def test_a_service_whose_machines_are_named_runs_on_vms_not_the_default_kubernetes(hosts: tuple[str, str],
                                                                                   os_words: str) -> None:
    """Blind l09: an inventory of five hosts and 'units: named and unbound', no platform word: the
    environment defaulted to Kubernetes and the runbook had kubectl in it."""
    from agent.service.text import parse

    text = f"kestrel-dns is our corporate DNS on {hosts[0]} and {hosts[1]}.{os_words}"
    env = infer(RULE, text, Answers({}), ["env"], parse(text)).get("env")
    assert env is not None and env.value == "vm" and env.assumed, env
    on_k8s = f"kestrel-dns is our corporate DNS in namespace dns on EKS, upstream {hosts[0]}."
    env = infer(RULE, on_k8s, Answers({}), ["env"], parse(on_k8s)).get("env")
    assert env is not None and env.value == "kubernetes", env
