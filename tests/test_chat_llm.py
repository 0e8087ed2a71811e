"""A chat with an LLM model through the real SDKs, replayed from cassettes/test_chat_llm/.

The conversation runs in-process (vcrpy records and replays HTTP inside this process, not in a
child on a pseudo-terminal) with a scripted terminal; the pty tests in test_chat.py cover the
terminal itself. The offline engine's material the prompts carry is frozen at recording time in
cassettes/test_chat_llm/proven-runbook.json, so growing knowledge packs do not invalidate the
recorded requests; prompt or client changes do. Record again against tests/llm_server.py with:
    .venv/bin/pytest tests/test_chat_llm.py --record-mode=rewrite
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent.chat import Chat, Session
from agent.models.registry import get_model
from agent.rule import load_rule
from agent.runbook import Runbook

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "test_chat_llm"
PROVEN = CASSETTES / "proven-runbook.json"
MODELS = {"anthropic": "claude-sonnet-4-6", "openai": "gpt-4.1"}

DESCRIPTION = ("checkout-api: the Python (FastAPI) service that takes orders and payments for the web shop. "
               "Runs on Kubernetes in namespace payments behind an nginx ingress; stores orders in PostgreSQL 15 "
               "and sessions in Redis 7; metrics in Prometheus; paged through PagerDuty around the clock.")


class ScriptedTerminal:
    """Types the given lines, then ends the input; keeps everything the chat printed."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.out: list[str] = []

    def ask(self, prompt: str) -> str:
        self.out.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    def say(self, text: str = "", style: str | None = None) -> None:
        self.out.append(text)

    def markdown(self, text: str) -> None:
        self.out.append(text)

    @contextmanager
    def working(self, text: str) -> Iterator[Callable[[str], None]]:
        self.out.append(text)
        yield self.out.append

    @contextmanager
    def pager(self) -> Iterator[None]:
        self.out.append("[pager]")
        yield

    @property
    def text(self) -> str:
        return "\n".join(self.out)


@pytest.fixture
def frozen_material(record_mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording: keep what the offline engine gave the prompts. Replay: give the prompts exactly that."""
    from agent.models import llm

    if record_mode == "none":
        runbook = Runbook.model_validate_json(PROVEN.read_text(encoding="utf-8"))
        monkeypatch.setattr(llm, "proven_runbook", lambda request: runbook)
        return
    live = llm.proven_runbook

    def keep(request: Any) -> Runbook:
        runbook = live(request)
        PROVEN.parent.mkdir(parents=True, exist_ok=True)
        PROVEN.write_text(runbook.model_dump_json(indent=1) + "\n", encoding="utf-8")
        return runbook

    monkeypatch.setattr(llm, "proven_runbook", keep)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.llm
@pytest.mark.vcr
@pytest.mark.block_network
@pytest.mark.usefixtures("frozen_material")
def test_llm_conversation_interviews_follows_up_revises_and_saves(provider: str, llm_server: Any,
                                                                   tmp_path: Path, vcr: Any) -> None:
    from llm_server import base_url

    # the local server while recording; on replay the SDKs meet the cassette, never the network
    model = get_model(f"{provider}:{MODELS[provider]}", base_url=base_url(provider, "ok"), api_key="local-test-key",
                      max_retries=0, stream_retry_wait=0, raw_output_dir=str(tmp_path / "raw"))
    term = ScriptedTerminal([
        DESCRIPTION,
        "B", "", "critical", "prometheus", "",  # the answers; Enter takes the suggestions
        "checkout-api", "PostgreSQL 15, Redis 7, the payments provider", "", "",  # follow-ups; Enter skips
        "Add the command `kubectl top pods -n payments` to the appendix cheatsheet",
        "/save",
        "/quit",
    ])
    session_path = tmp_path / "session.json"
    chat = Chat(term, Session(model=model.name), session_path=session_path, rule=load_rule(),
                out_dir=tmp_path / "tasks", check_tools=False, model_factory=lambda spec, url: model,
                clock=lambda: datetime(2026, 11, 28, 12, 0))
    result = chat.run()

    assert result.exit_code == 0, term.text
    assert "   You mentioned Kubernetes — Kubernetes? [A] (Enter accepts)" in term.out
    assert f"A few more questions for {model.name} (Enter skips):" in term.out
    session = chat.session
    assert session.service_name == "checkout-api"
    assert "Dependencies: PostgreSQL 15, Redis 7, the payments provider" in (session.description or "")
    assert "SLO targets" not in (session.description or "")  # skipped follow-ups add nothing

    path = tmp_path / "tasks" / "runbook-checkout-api.md"
    assert result.saved == [path]
    text = path.read_text(encoding="utf-8")
    assert "# Runbook: checkout-api" in text and "**Version:** 1.1" in text
    assert "kubectl top pods -n payments" in text.split("## Appendix", 1)[1]
    history = text.split("## Revision History", 1)[1]
    assert "| 1.0 |" in history and "| 1.1 |" in history
    assert any(line.startswith("Revised: ") and "(v1.1, not saved yet)" in line for line in term.out)
    assert not session_path.exists()  # everything saved
    # the model read the description into the service model first (one call), before the sections
    tasks = [_task(request.body) for request in vcr.requests]
    assert tasks.count("service_model") == 1 and tasks.index("service_model") < tasks.index("monitoring")
    assert f"Reading the service with {model.name}…" in term.out


def _task(body: bytes | str) -> str:
    """The task a recorded request asks for: the forced tool (Anthropic), else the response format's name."""
    import json

    data = json.loads(body)
    if "tool_choice" in data:
        return str(data["tool_choice"].get("name", ""))
    fmt = data.get("response_format") or {}
    name = str((fmt.get("json_schema") or {}).get("name", ""))
    if name == "runbook_part":  # every section's schema in one: the prompt's reply line names the task
        reply = data["messages"][1]["content"]
        return reply.split("Reply with the complete `", 1)[-1].split("`", 1)[0]
    return name
