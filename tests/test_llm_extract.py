"""The service model read by an LLM (`Model.extract_service`), through the real SDKs, replayed from
cassettes/test_llm_extract/, and merged with the offline parse (`agent.service.extract`).

Recorded against tests/llm_server.py (`python -m tests.record_cassettes -k extract`), whose model
answers with the offline parse of the description it is sent (without provenance or assumptions),
breaks its JSON on demand (`invalid-json`) or reads the namespace otherwise (`disagree`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent.errors import UsageError
from agent.models.base import GenerationRequest
from agent.rule import load_rule
from agent.service.extract import TASK, reconcile
from agent.service.model import ServiceModel
from agent.service.review import points, settle
from agent.service.text import parse
from tests.test_llm_setup import _objects  # the schema walker the setup tests use

PROVIDERS = ["anthropic", "openai"]


def _bodies(vcr: Any) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in vcr.requests]


def _last_user_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(block.get("text") or block.get("content") or "" for block in content)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_one_strict_call_fills_the_service_model(provider: str, make_llm: Any, llm_request: GenerationRequest,
                                                 vcr: Any) -> None:
    model = make_llm(provider, real=True)
    read = model.extract_service(llm_request.description)

    assert isinstance(read, ServiceModel)
    (body,) = _bodies(vcr)  # one call
    if provider == "anthropic":
        (tool,) = body["tools"]
        assert tool["name"] == TASK and tool["strict"] is True
        assert body["tool_choice"] == {"type": "tool", "name": TASK, "disable_parallel_tool_use": True}
        assert llm_request.description in body["system"][1]["text"]
    else:
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == TASK and fmt["json_schema"]["strict"]
        schema = fmt["json_schema"]["schema"]
        assert "origin" not in json.dumps(schema) and schema["additionalProperties"] is False
    assert model.last_usage.requests == 1 and model.last_usage.output_tokens > 0
    # every value is the LLM's: read from the words, or a guess the understand step asks about
    assert {p.origin for p in read.sourced()} <= {"llm", "assumed"}
    assert all(p.evidence.startswith("guessed:") for p in read.sourced() if p.origin == "assumed")
    app = read.app
    assert app is not None and app.name("deployment") == "checkout-api" and app.name("namespace") == "payments"
    assert {"postgresql", "redis"} <= {c.technology for c in read.components}
    if not make_llm.real(provider):  # the server's reading is the parse's: merged, nothing disagrees
        merged = reconcile(parse(llm_request.description), read, model.name)
        assert merged.conflicts == []
        assert [c.id for c in merged.components] == [c.id for c in parse(llm_request.description).components]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_invalid_json_then_an_invalid_model_are_repaired(provider: str, make_llm: Any,
                                                         llm_request: GenerationRequest, vcr: Any) -> None:
    model = make_llm(provider, "invalid-json", max_repair_rounds=2)
    read = model.extract_service(llm_request.description)

    assert model.stats[TASK].repair_rounds == 2 and model.last_usage.requests == 3
    first, second, third = _bodies(vcr)
    assert "output is not valid JSON" in _last_user_text(second)  # the exact error went back
    assert "no component with id 'no-such-component'" in _last_user_text(third)
    assert all(r.target != "no-such-component" for r in read.relationships)
    assert read.app is not None and read.app.name("namespace") == "payments"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_repair_rounds_run_out_and_the_offline_parse_stands(provider: str, make_llm: Any,
                                                            llm_request: GenerationRequest) -> None:
    from agent import loop

    model = make_llm(provider, "invalid-json", max_repair_rounds=0)
    told: list[str] = []
    parsed = parse(llm_request.description)
    merged, notes = loop.read_with(model, llm_request.description, parsed, told.append)

    assert merged == parsed  # nothing of the broken reading got in
    assert told == notes and len(told) == 1 and "using the offline parse alone" in told[0]
    assert "raw output saved to" in told[0]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_a_disagreement_is_asked_on_a_terminal_and_recorded_otherwise(provider: str, make_llm: Any,
                                                                      llm_request: GenerationRequest) -> None:
    from agent import loop

    rule = load_rule()
    description = llm_request.description
    model = make_llm(provider, "disagree")

    # without a terminal: recorded in the model, the parse's value used, listed as assumed
    quiet = loop.understand(rule, description, llm_request.answers, reader=model)
    (conflict,) = quiet.model.conflicts
    assert conflict.subject == "components[app].names.namespace"
    assert conflict.values == ["payments", "shop"] and conflict.chosen == "payments" and not conflict.resolved_by
    assert conflict.sources[0].startswith("description (given") and conflict.sources[1].startswith(model.name)
    assert quiet.model.app is not None and quiet.model.app.name("namespace") == "payments"
    assert any("sources disagree (payments, shop)" in line for line in quiet.model.assumptions())
    # a name the description does not contain is a guess, asked about, not a fact
    queue = quiet.model.app.name_item("queue")
    assert queue is not None and queue.value == "checkout-events" and queue.origin == "assumed"
    kinds = {(p.kind, p.subject) for p in quiet.points}
    assert {("conflict", conflict.subject), ("guess", "checkout-events")} <= kinds
    assert quiet.usage is not None and quiet.usage.requests == 1 and quiet.notes
    with pytest.raises(UsageError, match="--strict"):
        loop.understand(rule, description, llm_request.answers, reader=model, strict=True)

    # on a terminal: Enter keeps the offline parse's value; "2" (or the value) takes the LLM's
    def asker(replies: dict[str, str]) -> Any:
        return lambda point: replies.get(point.kind, "")

    kept = loop.understand(rule, description, llm_request.answers, reader=model, asker=asker({}))
    assert kept.model.app is not None and kept.model.app.name("namespace") == "payments"
    assert kept.model.conflicts[0].resolved_by == "user" and kept.model.conflicts[0].chosen == "payments"
    assert kept.model.app.name_item("queue").origin == "confirmed"  # type: ignore[union-attr]
    taken = loop.understand(rule, description, llm_request.answers, reader=model,
                            asker=asker({"conflict": "2", "guess": "-"}))
    app = taken.model.app
    assert app is not None and app.name("namespace") == "shop" and app.name_item("namespace").origin == "confirmed"  # type: ignore[union-attr]
    assert app.name("queue") is None  # "-" left the guess out
    assert not taken.model.assumptions() or all("disagree" not in line for line in taken.model.assumptions())


@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_a_compatible_server_without_json_schema_gets_json_object(make_llm: Any,
                                                                  llm_request: GenerationRequest, vcr: Any) -> None:
    model = make_llm("openai", "json-object-only")
    read = model.extract_service(llm_request.description)

    assert model._object_mode and model.last_usage.requests == 2  # refused once, then json_object
    probe, fallback = _bodies(vcr)
    assert probe["response_format"]["type"] == "json_schema"
    assert fallback["response_format"]["type"] == "json_object" and "schema" in fallback["response_format"]
    assert "It must validate against this JSON Schema" in fallback["messages"][0]["content"]
    assert read.app is not None and read.app.name("namespace") == "payments"


def test_the_offline_engine_reads_nothing_more(llm_request: GenerationRequest) -> None:
    """The default model adds no reading: understand gives what it gave before, with no usage."""
    from agent import loop
    from agent.models.registry import get_model

    offline = get_model("offline")
    assert offline.extract_service(llm_request.description) is None
    rule = load_rule()
    plain = loop.understand(rule, llm_request.description, llm_request.answers)
    read = loop.understand(rule, llm_request.description, llm_request.answers, reader=offline)
    assert read.model == plain.model and read.points == plain.points
    assert read.usage is None and read.notes == []


def test_settling_a_conflict_applies_the_chosen_value() -> None:
    told = parse("orders-api runs on Kubernetes in namespace shop with 4 replicas. Availability 99.9%.")
    other = told.model_copy(deep=True)
    app = other.app
    assert app is not None
    app.names = [n.model_copy(update={"value": "store", "origin": "llm"}) if n.role == "namespace" else n
                 for n in app.names]
    app.settings = [s.model_copy(update={"value": "6", "unit": "pods", "origin": "llm"}) for s in app.settings]
    other.figures = [f.model_copy(update={"value": "99.95", "origin": "llm"}) for f in other.figures]
    merged = reconcile(told, other, "llm:test")
    subjects = {c.subject: c for c in merged.conflicts}
    assert set(subjects) == {"components[app].names.namespace", "components[app].settings.replicas",
                             "figures.availability"}
    for point in points(merged):
        if point.kind == "conflict":
            merged = settle(merged, point, "2")
    app = merged.app
    assert app is not None and app.name("namespace") == "store"
    replicas = app.setting("replicas")
    assert replicas is not None and (replicas.value, replicas.unit, replicas.origin) == ("6", "pods", "confirmed")
    figure = merged.figure("availability")
    assert figure is not None and (figure.value, figure.unit) == ("99.95", "%")
    assert all(c.resolved_by == "user" for c in merged.conflicts)


# --- the CLI, against the local server live (a subprocess can't replay a cassette) -----------------

ANSWERS = ["--type", "api", "--env", "kubernetes", "--criticality", "critical", "--monitoring", "prometheus",
           "--oncall", "24x7", "--no-tool-checks"]
DESCRIPTION = ("checkout-api: the Python (FastAPI) service that takes orders and payments for the web shop. "
               "Runs on Kubernetes in namespace payments (deployment checkout-api, 4 replicas); stores orders "
               "in PostgreSQL 15.")


@pytest.fixture(scope="module")
def live_server() -> Any:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from llm_server import LLMServer

    with LLMServer(port=0) as server:
        yield server


def _env() -> dict[str, str]:
    import os

    env = {**os.environ, "NO_COLOR": "1"}
    for variable in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        env.pop(variable, None)
    return env


def test_generate_without_a_terminal_records_the_disagreement(live_server: Any, tmp_path: Any) -> None:
    import subprocess
    import sys

    from agent.service import files

    url = live_server.base_url("openai", "disagree")
    result = subprocess.run([sys.executable, "-m", "agent", "generate", DESCRIPTION, *ANSWERS, "--model",
                             "openai:gpt-4.1", "--base-url", url], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env=_env(), stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert ("components[app].names.namespace: the description says payments, openai:gpt-4.1 reads shop: "
            "using payments") in result.stderr
    assert "'checkout-events' read as the queue of app" in result.stderr  # the LLM's guess, not used as told
    model = files.load(tmp_path / "tasks" / "runbook-checkout-api.service.yaml")
    (conflict,) = model.conflicts
    assert conflict.values == ["payments", "shop"] and conflict.resolved_by == ""
    runbook = (tmp_path / "tasks" / "runbook-checkout-api.md").read_text()
    assert "-n payments" in runbook and "-n shop" not in runbook
    assert "sources disagree (payments, shop); used 'payments'" in runbook


def test_generate_on_a_terminal_asks_and_enter_keeps_the_parse(live_server: Any, tmp_path: Any) -> None:
    import sys

    import pexpect

    from agent.service import files

    url = live_server.base_url("anthropic", "disagree")
    child = pexpect.spawn(sys.executable, ["-m", "agent", "generate", DESCRIPTION, *ANSWERS, "--model",
                                           "anthropic:claude-sonnet-4-6", "--base-url", url],
                          cwd=str(tmp_path), env={**_env(), "ANTHROPIC_API_KEY": "local-test-key"},
                          encoding="utf-8", timeout=120, dimensions=(60, 250))
    child.expect("Understood:")
    child.expect(r"components\[app\]\.names\.namespace: payments \(description .*\) / shop \(anthropic:")
    child.expect(r"1\) payments / 2\) shop")
    child.expect(r"answer \[payments\]")
    child.sendline("")  # Enter: the offline parse's value
    child.expect(r"'checkout-events' read as the queue of app")
    child.expect("answer")
    child.sendline("-")  # not in the description: left out
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    model = files.load(tmp_path / "tasks" / "runbook-checkout-api.service.yaml")
    assert model.app is not None and model.app.name("namespace") == "payments" and model.app.name("queue") is None
    assert model.conflicts[0].resolved_by == "user"


def _reading(**changes: Any) -> dict[str, Any]:
    """A minimal answer of the extraction schema: one workload, and what the test adds."""
    app = {"id": "app", "technology": "FastAPI", "kind": "service", "form": "cluster-workload", "variant": "",
           "version": "", "purpose": "", "names": [], "settings": [], "controllers": [], "holds": [],
           "evidence": ""}
    data: dict[str, Any] = {
        "service": {"name": "orders-api", "display": "Orders API", "kind": "api", "purpose": "", "runtime": "",
                    "evidence": "orders-api"},
        "platform": {"environment": "EKS", "cloud": "", "evidence": "EKS"},
        "components": [app], "relationships": [], "figures": [], "people": [],
        "topology": {"mode": "unknown", "regions": [], "sites": []}}
    for key, value in changes.items():
        if key in app:
            app[key] = value
        else:
            data[key] = value
    return data


def test_a_reading_is_grounded_in_the_words_and_spelled_as_the_vocabulary() -> None:
    from agent.service.extract import to_model

    text = "orders-api runs on EKS as deployment orders-api on hosts web-1..3; availability 99.9%."
    read = to_model(_reading(
        names=[{"role": "deployment", "value": "orders-api", "evidence": ""},
               {"role": "host", "value": "web-2", "evidence": ""},  # a member of the range
               {"role": "namespace", "value": "production", "evidence": ""}],  # not in the words
        settings=[{"key": "replicas", "value": "6", "unit": "", "evidence": ""}],
        figures=[{"key": "availability", "value": "99.9", "unit": "%", "qualifier": "", "evidence": ""},
                 {"key": "latency", "value": "250", "unit": "ms", "qualifier": "p99", "evidence": ""}],
        people=[{"role": "team", "value": "Payments Core", "qualifier": "", "evidence": ""}]), text, "llm:test")

    assert (read.platform.environment, read.platform.cloud) == ("kubernetes", "aws")
    app = read.app
    assert app is not None and app.technology == "python"
    origins = {n.value: n.origin for n in app.names}
    assert origins == {"orders-api": "llm", "web-2": "llm", "production": "assumed"}
    assert app.name_item("namespace").evidence.startswith("guessed: llm:test")  # type: ignore[union-attr]
    assert app.setting("replicas").origin == "assumed"  # type: ignore[union-attr]  # "6" is nowhere
    assert {f.key: f.origin for f in read.figures} == {"availability": "llm", "latency": "assumed"}
    assert read.people[0].origin == "assumed"
    assert [p.kind for p in points(read)] == ["guess"]  # the guessed name is asked about
    assert any("'production'" in line for line in read.assumptions())


def test_a_reading_pairs_with_the_parse_whatever_it_calls_things() -> None:
    from agent.service.extract import to_model

    text = "orders-api runs on EKS as deployment orders-api. Availability 99.9% over 30 days."
    parsed = parse(text)
    read = to_model(_reading(id="orders", names=[{"role": "deployment", "value": "orders-api", "evidence": ""}],
                             figures=[{"key": "availability", "value": "99.9", "unit": "%", "qualifier": "monthly",
                                       "evidence": ""}]), text, "llm:test")
    merged = reconcile(parsed, read, "llm:test")
    assert [c.id for c in merged.workloads()] == [c.id for c in parsed.workloads()]  # one workload, not two
    assert len(merged.figures) == len(parsed.figures) and merged.conflicts == parsed.conflicts


def test_the_reading_can_be_turned_off() -> None:
    from agent.models.registry import get_model

    model = get_model("openai:gpt-4.1", api_key="sk-test-not-a-key", read_service=False)
    assert model.extract_service("orders-api on Kubernetes") is None  # no request made: no server here


def test_two_components_the_llm_read_apart_stay_apart() -> None:
    from agent.service.extract import to_model

    text = "orders-api on EKS keeps sessions in Redis and caches pages in another Redis."
    parsed = parse(text)
    redis = {"technology": "redis", "kind": "cache", "form": "unknown", "variant": "", "version": "",
             "purpose": "", "names": [], "settings": [], "controllers": [], "holds": [], "evidence": "Redis"}
    data = _reading()
    data["components"] += [{**redis, "id": "sessions"}, {**redis, "id": "pages"}]
    merged = reconcile(parsed, to_model(data, text, "llm:test"), "llm:test")
    assert len(merged.components_of("redis")) == max(2, len(parsed.components_of("redis")))


def test_the_extraction_schema_is_the_service_model_less_provenance_and_suits_strict_modes() -> None:
    import anthropic
    from openai.lib._pydantic import to_strict_json_schema

    from agent.models.anthropic import AnthropicModel
    from agent.models.llm import Task
    from agent.service.extract import extraction_schema
    from agent.service.model import Component, Name

    schema = extraction_schema()
    assert set(schema.model_fields) == set(ServiceModel.model_fields) - {"schema_version", "alerts", "unbound",
                                                                        "conflicts", "procedures"}
    component = schema.model_fields["components"].annotation.__args__[0]  # type: ignore[union-attr]
    assert set(component.model_fields) == set(Component.model_fields) - {"origin", "at"}
    name = component.model_fields["names"].annotation.__args__[0]
    assert set(name.model_fields) == set(Name.model_fields) - {"origin", "at"}
    for strict in (anthropic.transform_schema(schema), to_strict_json_schema(schema)):
        text = json.dumps(strict)
        assert '"default"' not in text and '"origin"' not in text
        for obj in _objects(strict):
            assert obj.get("additionalProperties") is False, obj.get("title")
            assert sorted(obj.get("required", [])) == sorted(obj.get("properties", {})), obj.get("title")
        assert "anyOf" not in text  # no unions: within Anthropic's strict caps with room to spare
    params = AnthropicModel("claude-sonnet-4-6", api_key="sk-ant-test-not-a-key")._params(
        Task(TASK, schema, "i", "p", 100, service="s", family=((TASK, schema),)))
    assert params["tools"][0]["strict"] is True


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_the_chat_asks_where_the_readings_disagree(provider: str, make_llm: Any, llm_request: GenerationRequest,
                                                   tmp_path: Any) -> None:
    from agent.chat import Chat, Session
    from tests.test_chat_llm import ScriptedTerminal

    model = make_llm(provider, "disagree")
    term = ScriptedTerminal(["nope", "2"])  # not a value: asked again; then the LLM's
    chat = Chat(term, Session(model=model.name, description=llm_request.description),
                session_path=tmp_path / "session.json", rule=load_rule(),
                out_dir=tmp_path / "tasks", check_tools=False, model_factory=lambda spec, url: model)
    notes = chat._read_service()

    assert any("components[app].names.namespace: payments" in line for line in term.out)
    assert "answer [payments]> " in term.out and any("'nope' is not one of" in line for line in term.out)
    read = ServiceModel.model_validate(chat.session.service)
    assert read.app is not None and read.app.name("namespace") == "shop"
    assert read.conflicts[0].resolved_by == "user"
    assert notes and model.name in notes[0]
    assert chat.request().service == read  # the runbook is written from what was settled
    assert chat._read_service() == [] and not term.lines  # read once: no second call, nothing more asked


def test_an_edited_model_is_not_read_again(llm_request: GenerationRequest) -> None:
    """A saved model the user corrected is their word: the LLM is not asked to read the description."""
    from agent import loop
    from agent.models.base import Model

    class Reader(Model):
        provider = "reader"
        calls: list[str] = []

        def generate(self, request: Any, progress: Any = None) -> Any:
            raise AssertionError("not called")

        def extract_service(self, description: str) -> ServiceModel | None:
            self.calls.append(description)
            return parse(description)

    reader = Reader()
    edited = parse(llm_request.description)
    loop.understand(load_rule(), llm_request.description, llm_request.answers, edited=edited, reader=reader)
    assert reader.calls == []
    read = loop.understand(load_rule(), llm_request.description, llm_request.answers, reader=reader)
    assert reader.calls == [llm_request.description] and read.notes
