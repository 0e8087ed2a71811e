"""Model clients without the network: keys, options, schemas both providers accept, prompts, cassettes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from click.testing import CliRunner

from agent.errors import ModelError, UsageError
from agent.models.llm import GENERATED, HEADINGS, bump_version, rule_template
from agent.models.llm_errors import MissingKeyError
from agent.models.registry import get_model
from agent.prompts import render
from agent.rule import load_rule
from agent.runbook import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("spec", "variable"), [("anthropic:claude-sonnet-4-6", "ANTHROPIC_API_KEY"),
                                                ("openai:gpt-4.1", "OPENAI_API_KEY")])
def test_missing_key_is_one_line_naming_the_variable(spec: str, variable: str) -> None:
    with pytest.raises(MissingKeyError) as caught:
        get_model(spec)
    message = str(caught.value)
    assert variable in message and "--model offline" in message and "\n" not in message
    assert isinstance(caught.value, ModelError) and caught.value.exit_code == 5


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    assert get_model("anthropic:claude-sonnet-4-6").api_key == "sk-ant-from-env"  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["option", "env"])
def test_local_openai_compatible_server_needs_no_key(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://localhost:11434/v1"
    if how == "env":
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        model = get_model("openai:llama3.2")
    else:
        model = get_model("openai:llama3.2", base_url=url)
    assert model.base_url == url  # type: ignore[attr-defined]
    assert not model.official  # type: ignore[attr-defined]


def test_the_official_endpoint_still_needs_a_key() -> None:
    with pytest.raises(MissingKeyError):
        get_model("openai:gpt-4.1", base_url="https://api.openai.com/v1")


def test_unknown_and_mistyped_options_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="no option temprature"):
        get_model("openai:gpt-4.1", api_key="k", temprature=0.2)
    with pytest.raises(UsageError, match="max_repair_rounds='three'"):
        get_model("openai:gpt-4.1", api_key="k", max_repair_rounds="three")
    with pytest.raises(UsageError, match="max_repair_rounds=-1: Input should be greater than or equal to 0"):
        get_model("openai:gpt-4.1", api_key="k", max_repair_rounds=-1)
    with pytest.raises(UsageError, match="strategy"):
        get_model("anthropic:claude-sonnet-4-6", api_key="k", strategy="fast")
    # None means "the default", so a CLI can pass every option it has
    model = get_model("anthropic:claude-sonnet-4-6", api_key="k", max_repair_rounds=None, base_url=None)
    assert model.max_repair_rounds == 2  # type: ignore[attr-defined]


def test_importing_the_clients_does_not_import_the_sdks() -> None:
    code = ("import sys; import agent.models.anthropic, agent.models.openai, agent.cli.models; "
            "print('anthropic' in sys.modules, 'openai' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_agent_models_lists_the_installed_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.cli.models import models

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    result = CliRunner().invoke(models)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("offline ") and "no key needed" for line in lines)
    assert any(line.startswith("anthropic:<model>") and "ANTHROPIC_API_KEY not set" in line for line in lines)
    assert any(line.startswith("openai:<model>") and "OPENAI_API_KEY set" in line for line in lines)


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def _count(node: Any, key: str) -> int:
    if isinstance(node, dict):
        return (key in node) + sum(_count(v, key) for v in node.values())
    if isinstance(node, list):
        return sum(_count(v, key) for v in node)
    return 0


@pytest.mark.parametrize("section", GENERATED)
def test_section_schemas_suit_both_providers_strict_modes(section: str) -> None:
    import anthropic
    from openai.lib._pydantic import to_strict_json_schema

    model = SECTIONS[section]
    for schema in (anthropic.transform_schema(model), to_strict_json_schema(model)):
        text = json.dumps(schema)
        assert '"default"' not in text
        for obj in _objects(schema):
            assert obj.get("additionalProperties") is False, obj.get("title")
            assert sorted(obj.get("required", [])) == sorted(obj.get("properties", {})), obj.get("title")
        assert _count(schema, "anyOf") <= 16  # Anthropic's cap on union-typed properties per request


def test_every_generated_section_has_a_heading_in_the_rule() -> None:
    rule = load_rule()
    assert set(GENERATED) == set(HEADINGS)
    assert all(heading in rule.structure_headings for heading in HEADINGS.values())
    assert "### Dashboards" in rule_template(rule, "Monitoring & Alerts")
    assert rule_template(rule, "No Such Heading") == ""


def test_prompts_fail_loudly_on_a_missing_variable() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("section", section="monitoring")
    text = render("repair", section="monitoring", errors=["alerts: needs at least 3 alerts, got 1"],
                  reply="Reply with JSON.")
    assert "- alerts: needs at least 3 alerts, got 1" in text


@pytest.mark.parametrize(("before", "after"), [("1.0", "1.1"), ("2", "2.1"), ("v1.9", "v1.10"), ("1.2.3", "1.2.4")])
def test_bump_version(before: str, after: str) -> None:
    assert bump_version(before) == after


def test_the_proven_material_comes_from_the_offline_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.models import llm
    from agent.models.base import GenerationRequest

    calls: list[GenerationRequest] = []
    offline = type(get_model("offline"))
    real = offline.generate

    def spy(self: Any, request: GenerationRequest, progress: Any = None) -> Any:
        calls.append(request)
        return real(self, request, progress)

    monkeypatch.setattr(offline, "generate", spy)
    from datetime import datetime

    from agent.answers import Answers
    request = GenerationRequest(load_rule(), "orders-api on Kubernetes", Answers(), datetime(2026, 1, 1))
    runbook = llm.proven_runbook(request)
    assert calls == [request] and runbook.header.service_name


_KEY_LIKE = [
    re.compile(r"sk-ant-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{16,}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._-]{8,}"),
    re.compile(r"(?im)^\s*['\"]?(authorization|x-api-key|openai-organization|openai-project|cookie)['\"]?\s*:"),
    re.compile(r"local-test-key"),  # the placeholder key the tests send must not survive either
]


def test_no_cassette_holds_anything_key_like() -> None:
    files = sorted(CASSETTES.rglob("*.yaml"))
    assert files, "no cassettes found"
    for path in files:
        text = path.read_text(encoding="utf-8")
        for pattern in _KEY_LIKE:
            match = pattern.search(text)
            assert match is None, f"{path.relative_to(ROOT)}: {match.group(0) if match else ''!r}"


def test_a_long_section_is_split_into_parts_that_merge_back() -> None:
    from agent.models.llm import merge_parts, split_section
    from agent.runbook import Runbook

    proven = Runbook.model_validate_json((CASSETTES / "proven-runbook.json").read_text(encoding="utf-8"))
    material = proven.troubleshooting.model_dump()
    parts = split_section("troubleshooting", material, 2000)
    assert len(parts) >= 2 and parts[0].task == "troubleshooting"
    assert all(p.field == "issues" and p.material["issues"] for p in parts)
    assert all(len(json.dumps(p.material)) // 4 <= 2600 for p in parts)  # about split_tokens each
    results = {p.task: p.schema.model_validate(p.material) for p in parts}
    assert merge_parts("troubleshooting", parts, results) == material
    assert split_section("troubleshooting", material, 0)[0].schema is SECTIONS["troubleshooting"]
    assert len(split_section("dependencies", proven.dependencies.model_dump(), 2000)) == 1


def test_merged_parts_must_satisfy_the_sections_own_rules() -> None:
    from agent.models.llm import merge_parts, split_section
    from agent.runbook import Runbook

    proven = Runbook.model_validate_json((CASSETTES / "proven-runbook.json").read_text(encoding="utf-8"))
    head = split_section("troubleshooting", proven.troubleshooting.model_dump(), 2000)[0]
    one = head.schema.model_validate({**head.material, "issues": head.material["issues"][:1]})
    assert len(one.issues) == 1  # type: ignore[attr-defined]  # a part alone has no count rule...
    with pytest.raises(ModelError, match="once its 1 parts are merged.*at least 3"):
        merge_parts("troubleshooting", [head], {"troubleshooting": one})  # ...the merged section has


def test_progress_is_reported_as_each_section_arrives() -> None:
    import threading

    from agent.models.llm import LLMModel, Meter, Reply, Task
    from agent.runbook import Dependencies, Runbook

    proven = Runbook.model_validate_json((CASSETTES / "proven-runbook.json").read_text(encoding="utf-8"))
    first_reported = threading.Event()

    class Scripted(LLMModel):
        provider, key_env = "scripted", "SCRIPTED_KEY"

        def _make_client(self) -> Any:
            return None

        def _reply_hint(self, task_name: str) -> str:
            return ""

        def _call(self, task: Task, meter: Meter) -> Reply:
            task.started.set()  # the response began (as the real clients signal): the others may start
            if task.name == "slow":  # finishes only once the fast one has been reported
                assert first_reported.wait(5), "no progress before every section was done"
            return Reply(proven.dependencies.model_dump_json(), "ok")

    seen: list[tuple[str, int, int]] = []

    def progress(name: str, done: int, total: int) -> None:
        seen.append((name, done, total))
        first_reported.set()

    model = Scripted("m", api_key="k")
    tasks = {name: Task(name, Dependencies, "system", "prompt", 100) for name in ("slow", "fast")}
    results = model._run(tasks, progress)
    assert seen == [("fast", 1, 2), ("slow", 2, 2)]
    assert set(results) == {"slow", "fast"}


def test_the_first_call_goes_alone_until_its_response_starts() -> None:
    """Calls sent at once would each write the same cache; the others wait for the first to start."""
    import threading

    from agent.models.llm import LLMModel, Meter, Reply, Task
    from agent.runbook import Dependencies, Runbook

    proven = Runbook.model_validate_json((CASSETTES / "proven-runbook.json").read_text(encoding="utf-8"))
    order: list[str] = []
    lock = threading.Lock()

    class Scripted(LLMModel):
        provider, key_env = "scripted", "SCRIPTED_KEY"

        def _make_client(self) -> Any:
            return None

        def _reply_hint(self, task_name: str) -> str:
            return ""

        def _call(self, task: Task, meter: Meter) -> Reply:
            with lock:
                order.append(f"{task.name} sent")
            if task.name == "first":
                import time

                time.sleep(0.2)  # time to first token
                with lock:
                    order.append("first started")
                task.started.set()
            return Reply(proven.dependencies.model_dump_json(), "ok")

    model = Scripted("m", api_key="k")
    tasks = {name: Task(name, Dependencies, "system", "prompt", 100) for name in ("first", "b", "c")}
    model._run(tasks, None)
    assert order[:2] == ["first sent", "first started"] and sorted(order[2:]) == ["b sent", "c sent"]
    assert tasks["b"].family == tasks["first"].family and len(tasks["b"].family) == 3  # same schemas for all
