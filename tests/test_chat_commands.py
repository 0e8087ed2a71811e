"""The conversation in-process (agent.chat.Chat with a scripted terminal and the real offline engine):
slash commands, renames, failures and the session file."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from test_chat_llm import ScriptedTerminal

from agent.answers import parse_answer
from agent.chat import HELP, Chat, Session, answer_text, load_session, section, slug
from agent.errors import ModelError, UsageError
from agent.models.base import GenerationRequest, GenerationResult, Model, Progress
from agent.models.registry import get_model
from agent.rule import load_rule

DESCRIPTION = "Orders API: a Python REST service on EKS; PostgreSQL on RDS; paged through PagerDuty."
ANSWERS = ["B", "", "critical", "prometheus", ""]


def make_chat(tmp_path: Path, lines: list[str], model: Model | None = None) -> tuple[Chat, ScriptedTerminal]:
    term = ScriptedTerminal(lines)
    engine = model or get_model("offline")
    chat = Chat(term, Session(), session_path=tmp_path / "s" / "session.json", rule=load_rule(),
                out_dir=tmp_path / "tasks", check_tools=False,
                model_factory=lambda spec, url: engine if spec == "offline" else get_model(spec),
                clock=lambda: datetime(2026, 11, 28, 12, 0))
    return chat, term


def test_slash_commands_during_and_after_the_interview(tmp_path: Path) -> None:
    chat, term = make_chat(tmp_path, [
        DESCRIPTION, "/answers", "/save", *ANSWERS,
        "/show contacts", "/show nosuch", "/frobnicate", "/help", "/model", "/model nosuch:x", "/diff", "/test",
    ])
    result = chat.run()  # the script ends: end of input
    out = term.out
    assert result.exit_code == 0
    assert "Service type: (not answered yet)" in out and f"  {DESCRIPTION}" in out
    assert "/save works once the runbook is written; /help lists the commands." in out
    shown = next(o for o in out if o.startswith("## Contacts"))
    assert "### Key Personnel" in shown and "## Appendix" not in shown
    assert any(o.startswith("No section matches 'nosuch'; sections: Service Overview") for o in out)
    assert "Unknown command /frobnicate; /help lists the commands." in out
    assert HELP in out
    assert any(o.startswith("Model: offline (installed providers: ") for o in out)
    assert any(o.startswith("error: unknown model 'nosuch:x'") for o in out)
    assert "No changes since generation (nothing saved yet)." in out
    assert any(o.endswith("tasks/runbook-orders-api.md: 0 errors, 0 warnings, 1 info (profile rule)")
               or ("runbook-orders-api.md: " in o and " error" in o) for o in out)  # /test's summary
    assert out[-1].startswith("The unsaved runbook is kept in ")
    kept = load_session(tmp_path / "s" / "session.json")
    assert kept.runbook is not None and kept.answers == {"type": "B", "env": "A", "criticality": "A",
                                                         "monitoring": "A", "oncall": "A"}
    assert not (tmp_path / "tasks").exists()


def test_a_rename_moves_the_target_file_and_saves_there(tmp_path: Path) -> None:
    chat, term = make_chat(tmp_path, [DESCRIPTION, *ANSWERS, "call it Billing API", "/save", "/quit"])
    assert chat.run().exit_code == 0
    assert any(o.startswith("  · The file name follows the new name: ") and o.endswith("runbook-billing-api.md")
               for o in term.out)
    saved = tmp_path / "tasks" / "runbook-billing-api.md"
    assert chat.saved == [saved]
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("# Runbook: Billing API\n") and "| Service name: Billing API |" in text
    assert not (tmp_path / "s" / "session.json").exists()


class FailingModel(Model):
    """A model that cannot write: the chat must keep the interview and report one line."""

    provider = "failing"

    def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GenerationResult:
        raise ModelError("the model is unavailable", hint="try again later")


def test_a_failed_generation_keeps_the_interview(tmp_path: Path) -> None:
    chat, term = make_chat(tmp_path, [DESCRIPTION, *ANSWERS, "", "", "", ""], model=FailingModel())
    result = chat.run()  # not the offline engine: the four follow-up questions come first (all skipped)
    assert result.exit_code == ModelError.exit_code
    assert "error: the model is unavailable (try again later)" in term.out
    kept = json.loads((tmp_path / "s" / "session.json").read_text(encoding="utf-8"))
    assert kept["runbook"] is None and len(kept["answers"]) == 5


def test_follow_ups_are_asked_only_of_language_models(tmp_path: Path) -> None:
    chat, term = make_chat(tmp_path, [DESCRIPTION, *ANSWERS])
    chat.run()
    assert not any("A few more questions" in o for o in term.out)


def test_answer_text_reads_back_as_the_same_answer() -> None:
    rule = load_rule()
    for key, raw in [("type", "other: message broker"), ("monitoring", "prometheus, cloudwatch"), ("env", "k8s"),
                     ("oncall", "D")]:
        question = rule.question(key)
        assert question is not None
        answer = parse_answer(question, raw)
        again = parse_answer(question, answer_text(question, answer))
        assert (again.values, again.free_text, again.labels) == (answer.values, answer.free_text, answer.labels)


def test_session_files_that_cannot_be_read_fail_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    with pytest.raises(UsageError, match="no chat session to resume"):
        load_session(path)
    path.write_text('{"format": 1, "surprise": true}', encoding="utf-8")
    with pytest.raises(UsageError, match="damaged or from another version"):
        load_session(path)
    path.write_text(Session(format=99).model_dump_json(), encoding="utf-8")
    with pytest.raises(UsageError, match="has format 99"):
        load_session(path)


def test_slug_and_section_helpers() -> None:
    assert slug("Orders API") == "orders-api"
    assert slug("CI/CD runner") == "ci-cd-runner"  # a name, not a path
    text = "# Runbook: X\n\n## Service Overview\nA\n\n---\n\n## Monitoring & Alerts\nB\n\n---\n"
    assert section(text, "monitoring") == "## Monitoring & Alerts\nB\n"
    assert section(text, "service overview") == "## Service Overview\nA\n"
    assert section(text, "contacts") is None


def test_after_a_language_model_revision_the_answers_follow_the_words(tmp_path: Path) -> None:
    from agent.chat import _answers_kept_in_step

    chat, _ = make_chat(tmp_path, [])
    chat.session.description = DESCRIPTION
    chat.session.answers = {"type": "B", "env": "A", "criticality": "A", "monitoring": "A", "oncall": "A"}
    request = chat.request()
    assert _answers_kept_in_step(request, "environment is docker").answers.environment == "docker"
    assert _answers_kept_in_step(request, "call it billing-api").service_name == "billing-api"
    same = _answers_kept_in_step(request, "Add the command `kubectl top pods` to the cheatsheet")
    assert same is request
