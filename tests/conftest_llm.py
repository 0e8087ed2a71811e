"""Fixtures of the model-client tests: cassettes in `cassettes/`, the local server while recording.

Replay (the default, and CI): pytest-recording's record mode `none`, network blocked by the
`block_network` mark, no server running; a missing cassette or a changed request fails at once.
Recording: `python -m tests.record_cassettes` (see docs/llm.md) runs these tests with
`--record-mode=rewrite` against `tests/llm_server.py`, or, with `--real`, the success cases
against the real APIs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
PROVEN = CASSETTES / "proven-runbook.json"
MODELS = {"anthropic": "claude-sonnet-4-6", "openai": "gpt-4.1"}
KEYS = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
OFFICIAL = {"anthropic": "api.anthropic.com", "openai": "api.openai.com"}
REAL_ENV = "RUNBOOK_RECORD_REAL"  # set by `python -m tests.record_cassettes --real`
REFRESH_ENV = "RUNBOOK_REFRESH_PROVEN"  # set by `python -m tests.record_cassettes` (all cassettes)

# Request headers worth keeping in a cassette; everything else (auth, SDK platform noise) goes.
_KEEP_REQUEST = {"content-type", "anthropic-version"}
_KEEP_RESPONSE = {"content-type", "retry-after", "retry-after-ms", "x-should-retry"}
SECRET_HEADERS = ["authorization", "x-api-key", "openai-organization", "openai-project", "cookie"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "llm: model-client test replayed from cassettes/ (re-record: "
                                       "python -m tests.record_cassettes)")


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower() not in _KEEP_REQUEST:
            del request.headers[name]
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() in _KEEP_RESPONSE}
    return response


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.split(".")[-1])


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    # no record_mode here: it would override the command line (--record-mode)
    return {
        "filter_headers": SECRET_HEADERS,
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture
def llm_server(record_mode: str) -> Iterator[Any]:
    """The local test server, only while recording (replay needs no server and no network)."""
    if record_mode == "none":
        yield None
        return
    from llm_server import LLMServer

    with LLMServer() as server:
        yield server


def _recorded_against_real(cassette: Path, provider: str) -> bool:
    return cassette.is_file() and OFFICIAL[provider] in cassette.read_text(encoding="utf-8")


@pytest.fixture
def proven(llm_request: Any, record_mode: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The offline engine's runbook the prompts carry, frozen in cassettes/proven-runbook.json.

    The knowledge packs grow all the time; freezing their output at recording time keeps the
    recorded requests valid until the cassettes are recorded again (which refreshes it).
    """
    from agent.models import llm
    from agent.runbook import Runbook

    if record_mode != "none" and os.environ.get(REFRESH_ENV) == "1" and not _refreshed:
        PROVEN.parent.mkdir(parents=True, exist_ok=True)
        PROVEN.write_text(llm.proven_runbook(llm_request).model_dump_json(indent=1) + "\n", encoding="utf-8")
        _refreshed.append(True)
    runbook = Runbook.model_validate_json(PROVEN.read_text(encoding="utf-8"))
    monkeypatch.setattr(llm, "proven_runbook", lambda request: runbook)
    return runbook


_refreshed: list[bool] = []  # once per recording session


@pytest.fixture
def make_llm(llm_server: Any, record_mode: str, vcr_cassette_dir: str, default_cassette_name: str,
             tmp_path: Path, proven: Any) -> Callable[..., Any]:
    """`make_llm("anthropic", "invalid", max_repair_rounds=1)` → a model pointed at the right place.

    `real=True` marks a case that `record_cassettes --real` records against the real API (only
    successful generations: a real API can't be asked for faults, nor for the server's content);
    `build.real(provider)` tells such a test whether its cassette came from there.
    """
    from llm_server import base_url

    from agent.models.registry import get_model

    cassette = Path(vcr_cassette_dir) / f"{default_cassette_name}.yaml"

    def recorded_real(provider: str) -> bool:
        if record_mode != "none":
            return os.environ.get(REAL_ENV) == "1"
        return _recorded_against_real(cassette, provider)

    def build(provider: str, scenario: str = "ok", real: bool = False, **options: Any) -> Any:
        real = real and scenario == "ok" and recorded_real(provider)
        settings: dict[str, Any] = {
            "base_url": None if real else base_url(provider, scenario),
            "api_key": os.environ.get(KEYS[provider]) or "local-test-key",
            "max_retries": 0,  # tests opt in to SDK retries; a missing cassette then fails at once
            "stream_retry_wait": 0,
            "raw_output_dir": str(tmp_path / "raw"),
        }
        settings.update(options)
        return get_model(f"{provider}:{MODELS[provider]}", **settings)

    build.real = recorded_real  # type: ignore[attr-defined]
    return build


@pytest.fixture
def llm_request() -> Any:
    """One service, with answers, at a fixed time: requests (and so cassettes) stay byte-identical."""
    from agent.answers import from_flags
    from agent.models.base import GenerationRequest
    from agent.rule import load_rule

    rule = load_rule()
    answers = from_flags(rule, {"type": "api", "env": "kubernetes", "criticality": "critical",
                                "monitoring": "prometheus", "oncall": "24x7"})
    description = (
        "checkout-api: the Python (FastAPI) service that takes orders and payments for the web shop. "
        "Runs on Kubernetes in namespace payments (deployment checkout-api, 4 replicas) behind an nginx "
        "ingress; stores orders in PostgreSQL 15 and sessions in Redis 7; metrics in Prometheus, "
        "dashboards in Grafana; paged through PagerDuty around the clock."
    )
    return GenerationRequest(rule, description, answers, datetime(2026, 11, 28, 12, 0),
                             service_name="checkout-api", authors=("Dana Ops",))
