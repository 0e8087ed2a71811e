"""The Anthropic and OpenAI clients, through the real SDKs, replayed from cassettes/test_llm_clients/.

Each cassette was recorded against tests/llm_server.py (`python -m tests.record_cassettes`), whose
model answers with the offline engine's material for the section asked, and misbehaves on demand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.models.base import GenerationRequest
from agent.models.llm import GENERATED
from agent.models.llm_errors import ModelRefused, OutputTruncated, ProviderError, RepairFailed
from agent.runbook import Runbook

PROVIDERS = ["anthropic", "openai"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_full_generation(provider: str, stream: bool, make_llm: Any, llm_request: GenerationRequest,
                         proven: Runbook, vcr: Any) -> None:
    model = make_llm(provider, stream=stream, real=True)
    seen: list[tuple[str, int, int]] = []
    result = model.generate(llm_request, progress=lambda name, done, total: seen.append((name, done, total)))

    assert isinstance(result.runbook, Runbook)
    if not make_llm.real(provider):  # the server's model returned the proven material, which survived the trip
        for name in GENERATED:
            assert getattr(result.runbook, name) == getattr(proven, name), name
    assert result.runbook.header == proven.header
    assert sorted(name for name, _, _ in seen) == sorted(GENERATED)
    assert [done for _, done, _ in seen] == list(range(1, len(GENERATED) + 1))
    assert {total for _, _, total in seen} == {len(GENERATED)}
    usage = result.usage
    assert usage.requests == len(model.stats) > len(GENERATED)  # troubleshooting came in parts
    assert usage.input_tokens > 1000 and usage.output_tokens > 1000
    if not make_llm.real(provider):
        assert all(s.repair_rounds == 0 and s.truncations == 0 for s in model.stats.values())


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_invalid_sections_are_repaired_alone(provider: str, make_llm: Any, llm_request: GenerationRequest,
                                             proven: Runbook) -> None:
    model = make_llm(provider, "invalid", max_repair_rounds=2)
    result = model.generate(llm_request)

    assert result.runbook.monitoring == proven.monitoring  # repaired back to the proven material
    assert model.stats["monitoring"].repair_rounds == 1
    assert model.stats["troubleshooting"].repair_rounds == 1
    others = [name for name in GENERATED if name not in ("monitoring", "troubleshooting")]
    assert all(model.stats[name].repair_rounds == 0 for name in others)
    assert result.usage.requests == len(model.stats) + 2  # only the two failing sections were redone
    assert any("monitoring: 1 repair round" in note for note in result.notes)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_repair_rounds_run_out(provider: str, make_llm: Any, llm_request: GenerationRequest,
                               tmp_path: Path) -> None:
    model = make_llm(provider, "invalid-always", max_repair_rounds=1)
    with pytest.raises(RepairFailed) as caught:
        model.generate(llm_request)

    error = caught.value
    assert error.section == "monitoring" and error.rounds == 1
    assert any(e.startswith("alerts.0.condition: must carry a number") for e in error.errors)
    assert "monitoring" in str(error) and "no runbook was written" in str(error)
    assert error.raw_path is not None and error.raw_path.parent == tmp_path / "raw"
    assert str(error.raw_path) in str(error)
    saved = json.loads(error.raw_path.read_text())
    assert len(saved["attempts"]) == 2  # the first try and the one repair round
    assert json.loads(saved["attempts"][-1]["output"])["alerts"][0]["condition"] == "when it looks high"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_truncation_raises_the_limit_not_a_repair(provider: str, make_llm: Any,
                                                  llm_request: GenerationRequest, proven: Runbook) -> None:
    model = make_llm(provider, "truncate", max_tokens=8192)
    result = model.generate(llm_request)

    stats = model.stats["troubleshooting"]
    assert (stats.truncations, stats.repair_rounds) == (1, 0)
    assert result.usage.requests == len(model.stats) + 1
    assert result.runbook.troubleshooting == proven.troubleshooting


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_truncation_at_the_highest_limit_fails(provider: str, make_llm: Any, llm_request: GenerationRequest) -> None:
    model = make_llm(provider, "truncate", max_tokens=8192, max_tokens_limit=8192)
    with pytest.raises(OutputTruncated, match="troubleshooting"):
        model.generate(llm_request)


@pytest.mark.parametrize(("provider", "status"), [("anthropic", 429), ("anthropic", 529), ("openai", 429),
                                                  ("openai", 503)])
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_sdk_retries_status_errors(provider: str, status: int, make_llm: Any,
                                   llm_request: GenerationRequest) -> None:
    model = make_llm(provider, f"status-{status}", max_retries=2)
    result = model.generate(llm_request)

    assert result.usage.requests == len(model.stats) + 1  # the SDK's retry is counted
    assert model.stats["architecture"].stream_retries == 0  # and tenacity did not retry it again


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_status_error_without_retries_left_fails_clearly(provider: str, make_llm: Any,
                                                         llm_request: GenerationRequest) -> None:
    model = make_llm(provider, "status-429", max_retries=0)
    with pytest.raises(ProviderError, match=r"still failing after 0 retries \(429\)") as caught:
        model.generate(llm_request)
    assert caught.value.status == 429


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_midstream_overload_is_retried_by_tenacity(provider: str, make_llm: Any,
                                                   llm_request: GenerationRequest, proven: Runbook) -> None:
    model = make_llm(provider, "midstream", stream_retries=3)
    result = model.generate(llm_request)

    assert model.stats["deployment"].stream_retries == 1
    assert result.usage.requests == len(model.stats) + 1
    assert result.runbook.deployment == proven.deployment


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_midstream_overload_gives_up_after_the_attempts(provider: str, make_llm: Any,
                                                        llm_request: GenerationRequest) -> None:
    model = make_llm(provider, "midstream", stream_retries=1)
    with pytest.raises(ProviderError, match="stream for 'deployment' broke 1 time"):
        model.generate(llm_request)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_refusal_fails_at_once(provider: str, make_llm: Any, llm_request: GenerationRequest) -> None:
    model = make_llm(provider, "refusal", max_retries=2)
    with pytest.raises(ModelRefused, match="declined to write 'emergency'"):
        model.generate(llm_request)
    assert model.stats["emergency"].repair_rounds == 0 and model.stats["emergency"].stream_retries == 0


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_rejected_key_fails_with_one_line(provider: str, make_llm: Any, llm_request: GenerationRequest) -> None:
    model = make_llm(provider, "status-401", max_retries=2, concurrency=1)
    with pytest.raises(ProviderError) as caught:
        model.generate(llm_request)
    message = str(caught.value)
    assert "(401)" in message and model.key_env in message and "local-test-key" not in message
    assert "\n" not in message


@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_openai_compatible_server_without_json_schema(make_llm: Any, llm_request: GenerationRequest,
                                                      proven: Runbook) -> None:
    model = make_llm("openai", "json-object-only")
    result = model.generate(llm_request)

    assert result.runbook.monitoring == proven.monitoring
    assert model._object_mode  # fell back once, then stayed on json_object
    assert result.usage.requests == len(model.stats) + 1  # one call probed; the others waited for it


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_whole_runbook_in_one_call(provider: str, make_llm: Any, llm_request: GenerationRequest,
                                   proven: Runbook) -> None:
    # stream=False: Anthropic refuses a non-streaming call this long, so the client streams anyway
    model = make_llm(provider, strategy="whole", stream=False)
    result = model.generate(llm_request)

    assert result.usage.requests == 1
    assert result.runbook.model_dump() == proven.model_dump()


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_infer_answers(provider: str, make_llm: Any, llm_request: GenerationRequest) -> None:
    from agent.answers import Answers

    model = make_llm(provider)
    answers = model.infer_answers(llm_request.rule, llm_request.description, Answers(), ["env", "oncall"])

    assert answers.value("env") == "kubernetes"
    assert answers.value("oncall") == "24x7"
    assert all(a.assumed and a.reason.startswith(f"inferred by {model.name}") for a in answers.items.values())


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_revise(provider: str, make_llm: Any, llm_request: GenerationRequest, proven: Runbook) -> None:
    runbook = proven
    model = make_llm(provider)
    change = "Add the command `kubectl top pods -n payments` to the appendix cheatsheet"
    result = model.revise(runbook, change, llm_request)

    revised = result.runbook
    assert revised.appendix.cheatsheet[-1].code == "kubectl top pods -n payments"
    assert len(revised.appendix.cheatsheet) == len(runbook.appendix.cheatsheet) + 1
    assert revised.monitoring == runbook.monitoring  # untouched sections stay as they were
    assert len(revised.revision_history) == len(runbook.revision_history) + 1
    assert revised.header.version != runbook.header.version
    assert revised.revision_history[-1].version == revised.header.version
    assert result.usage.requests == 2  # the plan, then the one section


def _prefix(body: dict[str, Any]) -> tuple[str, str, str]:
    """(what opens the cache prefix, the stable instructions, the service) of one recorded request."""
    if "system" in body:  # Anthropic: tools, then the system blocks
        return json.dumps(body["tools"]), body["system"][0]["text"], body["system"][1]["text"]
    system = body["messages"][0]["content"]  # OpenAI: the response format's schema, then the system message
    stable, _, service = system.partition("The service this runbook is for")
    return json.dumps(body["response_format"]), stable, service


def _usage(response: dict[str, Any], provider: str) -> tuple[int, int]:
    """(cache read, cache write) tokens the recorded response reports, JSON or SSE."""
    text = response["body"]["string"]
    text = text.decode() if isinstance(text, bytes) else text
    payloads = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")] \
        if text.lstrip().startswith(("event:", "data:")) else [json.loads(text)]
    for payload in payloads:
        if provider == "anthropic":
            usage = payload.get("usage") or (payload.get("message") or {}).get("usage")
            if usage and "cache_read_input_tokens" in usage:
                return usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
        elif payload.get("usage"):
            return payload["usage"]["prompt_tokens_details"]["cached_tokens"], 0
    raise AssertionError("no usage in the response")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
def test_every_call_of_a_run_shares_one_cached_prefix(provider: str, make_llm: Any, vcr: Any,
                                                      llm_request: GenerationRequest) -> None:
    result = make_llm(provider).generate(llm_request)

    bodies = [json.loads(request.body) for request in vcr.requests]
    prefixes = {_prefix(body) for body in bodies}
    assert len(bodies) > len(GENERATED) and len(prefixes) == 1  # every section and part: one prefix
    opening, stable, service = prefixes.pop()
    assert llm_request.description in service and llm_request.description not in stable
    assert "## Troubleshooting" in stable and "bash -n" in stable  # the rule's structure, the standards
    assert len(opening + stable + service) // 4 > 1024  # long enough for either provider to cache
    if provider == "anthropic":
        forced = [body["tool_choice"]["name"] for body in bodies]
        assert sorted(forced) == sorted(t["name"] for t in bodies[0]["tools"])  # each call forces its own
        assert [b.get("cache_control") for b in bodies[0]["system"]] == [{"type": "ephemeral"}] * 2
    # the first call, sent alone until its response began, wrote the cache; every later one read it
    caches = [_usage(response, provider) for response in vcr.responses]
    reads = [read for read, _ in caches]
    assert reads[0] == 0 and all(read > 1024 for read in reads[1:]), reads
    if provider == "anthropic":
        assert caches[0][1] > 1024 and all(write == 0 for _, write in caches[1:])
    # Usage sums what every response reported
    assert result.usage.cache_read_tokens == sum(reads) > 0
    assert result.usage.cache_write_tokens == sum(write for _, write in caches)
    assert result.usage.requests == len(bodies)


def test_openai_prompt_cache_key_is_the_same_for_a_run() -> None:
    """The official API gets a prompt_cache_key derived from the shared prefix (compatible servers don't)."""
    from agent.models.llm import Task
    from agent.models.openai import OpenAIModel
    from agent.runbook import SECTIONS

    family = tuple(sorted((name, SECTIONS[name]) for name in ("monitoring", "contacts")))
    model = OpenAIModel("gpt-4.1", api_key="sk-test-not-a-key")
    params = [model._params(Task(name, SECTIONS[name], "instructions", f"write {name}", 100, service="svc",
                                 family=family), False) for name, _ in family]
    assert params[0]["prompt_cache_key"] == params[1]["prompt_cache_key"]
    assert params[0]["response_format"] == params[1]["response_format"]
    other = model._params(Task("monitoring", SECTIONS["monitoring"], "instructions", "x", 100, service="other",
                               family=family), False)
    assert other["prompt_cache_key"] != params[0]["prompt_cache_key"]  # another service: another prefix
    local = OpenAIModel("local", base_url="http://127.0.0.1:9/v1")._params(
        Task("monitoring", SECTIONS["monitoring"], "i", "x", 100, family=family), False)
    assert "prompt_cache_key" not in local


def test_anthropic_tools_are_strict_only_within_the_providers_caps() -> None:
    """One tool list per run; strict only when all its schemas together fit Anthropic's strict caps."""
    import anthropic

    from agent.models.anthropic import AnthropicModel, _count_unions
    from agent.models.llm import InferredAnswers, Task, split_section
    from agent.runbook import SECTIONS

    model = AnthropicModel("claude-sonnet-4-6", api_key="sk-ant-test-not-a-key")
    frozen = Path(__file__).resolve().parent.parent / "cassettes" / "proven-runbook.json"
    proven = Runbook.model_validate_json(frozen.read_text(encoding="utf-8"))
    parts = [p for name in GENERATED for p in split_section(name, getattr(proven, name).model_dump(), 2000)]
    family = tuple(sorted((p.task, p.schema) for p in parts))  # a full run: sections and parts
    params = [model._params(Task(name, SECTIONS[name], "i", "p", 100, service="s", family=family))
              for name in ("monitoring", "contacts")]
    assert params[0]["tools"] == params[1]["tools"] and len(params[0]["tools"]) == len(parts) > len(GENERATED)
    assert [p["tool_choice"]["name"] for p in params] == ["monitoring", "contacts"]
    unions = sum(_count_unions(anthropic.transform_schema(schema))[0] for _, schema in family)
    assert unions > 16  # over Anthropic's per-request cap for strict tools...
    assert not any(tool.get("strict") for tool in params[0]["tools"])  # ...so none is strict
    alone = model._params(Task("answers", InferredAnswers, "i", "p", 100, family=(("answers", InferredAnswers),)))
    assert alone["tools"][0]["strict"] is True
