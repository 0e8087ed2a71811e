"""`agent chat` driven through a real pseudo-terminal (pexpect) with the offline engine."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

DESCRIPTION = ("Orders API: a Python REST service on EKS that takes customer orders and charges cards; "
               "PostgreSQL on RDS and a Redis cache; paged through PagerDuty.")
SESSION = Path(".runbook-agent") / "chat-session.json"
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|9[0-7])(?:;\d+)*m")  # foreground colours; bold is fine


def spawn(cwd: Path, *args: str, tools: bool = False) -> tuple[pexpect.spawn, io.StringIO]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS", "LINES")}
    env.update(NO_COLOR="1", TERM="xterm")
    # The CLI-backed checks (kubectl --help …) are agent test's subject; here they would only add time.
    flags = [] if tools else ["--no-tool-checks"]
    child = pexpect.spawn(sys.executable, ["-m", "agent", "chat", "--out", "tasks", *flags, *args], cwd=str(cwd),
                          env=env, encoding="utf-8", timeout=30, dimensions=(50, 120))
    transcript = io.StringIO()
    child.logfile_read = transcript
    return child, transcript


def answer(child: pexpect.spawn, prompt: str, text: str) -> None:
    """Wait for a prompt, then type `text` and Enter. prompt_toolkit draws a prompt's trailing space as a
    cursor move, so prompts are matched without it."""
    child.expect(prompt)
    child.sendline(text)


def paste(child: pexpect.spawn, prompt: str, text: str) -> None:
    """Paste `text` as a terminal with bracketed paste does (the text between ESC[200~ and ESC[201~), then Enter."""
    child.expect(prompt)
    child.send(f"\x1b[200~{text}\x1b[201~")
    child.send("\r")


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, f"killed by signal {child.signalstatus}"
    return child.exitstatus


def interview(child: pexpect.spawn) -> None:
    """Answers typed in several forms, wrong ones included."""
    answer(child, "description>", DESCRIPTION)
    child.expect(re.escape("1. What type of service is this?"))
    answer(child, r"answer[^\n]*>", "a message bus")  # cannot be mapped
    child.expect(re.escape("Can't map 'a message bus' to an option: type a letter (A, B, C, D, E, F)"))
    answer(child, r"answer[^\n]*>", "api")  # an option's name
    child.expect(re.escape("→ API service"))
    child.expect(re.escape("You mentioned EKS — Kubernetes? [A] (Enter accepts)"))
    answer(child, re.escape("answer [A]>"), "")  # Enter accepts the suggestion
    child.expect(re.escape("→ Kubernetes"))
    child.expect(re.escape("3. What is the criticality level?"))
    answer(child, r"answer[^\n]*>", "[service-name]")  # rich markup must not swallow it
    child.expect(re.escape("Can't map '[service-name]' to an option"))
    answer(child, r"answer[^\n]*>", "a")  # a letter, lower case
    child.expect(re.escape("→ Critical"))
    answer(child, r"answer[^\n]*>", "F")  # Multiple (specify): asks which
    answer(child, re.escape("Multiple: which ones (letters or names)? >"), "prometheus, dd")
    child.expect(re.escape("→ Prometheus/Grafana, DataDog"))
    answer(child, r"answer[^\n]*>", "round the clock rotation")  # a synonym inside other words: asks first
    child.expect(re.escape("Did you mean 24/7 coverage? Type A for it, Enter keeps A."))
    answer(child, re.escape("answer [A]>"), "24x7")  # a synonym
    child.expect(re.escape("→ 24/7 coverage"))


def test_a_whole_conversation_ends_in_a_checked_file(tmp_path: Path) -> None:
    child, transcript = spawn(tmp_path)
    interview(child)
    child.expect(r"Counts: (\d+) alerts, (\d+) troubleshooting entries, (\d+) commands")
    alerts, entries, commands = (int(x) for x in child.match.groups())
    assert alerts >= 3 and entries >= 3 and commands > 20
    child.expect(r"Tests: \S+runbook-orders-api\.md: 0 errors")
    child.expect(re.escape("It will be saved to tasks/runbook-orders-api.md"))
    assert not (tmp_path / "tasks" / "runbook-orders-api.md").exists()  # nothing written before /save

    answer(child, "runbook>", "escalate after 10 minutes")
    child.expect(re.escape("Revised: Escalate after 10 minutes (v1.1, not saved yet)"))
    answer(child, "runbook>", "make it friendlier")
    child.expect(re.escape("I can't do that offline: 'make it friendlier' is not a change I know how to make"))
    answer(child, "runbook>", "/diff")
    child.expect(re.escape("Changes since generation (nothing saved yet):"))
    child.expect(re.escape("-**Version:** 1.0"))
    child.expect(re.escape("+**Version:** 1.1"))
    child.expect(r"\+3\. \*\*Escalation:\*\* [^\n]*L2 after 10 minutes")
    answer(child, "runbook>", "/save")
    child.expect(re.escape("Saved tasks/runbook-orders-api.md (v1.1); tracked in RUNBOOK_TRACKING.md."))
    child.expect(r"Tests: .*runbook-orders-api\.md: 0 errors")
    answer(child, "runbook>", "/diff")
    child.expect(re.escape("No changes since the last save."))

    # a second revision overwrites the file this chat wrote without asking, as v1.2
    answer(child, "runbook>", "team lead is Jane Doe, jane@example.com")
    child.expect(re.escape("Revised: Team Lead: Jane Doe, jane@example.com (v1.2, not saved yet)"))
    answer(child, "runbook>", "/diff")
    child.expect(re.escape("Changes since the last save:"))
    child.expect(re.escape("+| Tech Lead | Jane Doe | jane@example.com |"))
    answer(child, "runbook>", "/save")
    child.expect(re.escape("Saved tasks/runbook-orders-api.md (v1.2)"))
    answer(child, "runbook>", "/show contacts")
    child.expect("Key Personnel")
    child.expect("Jane Doe")
    answer(child, "runbook>", "/quit")
    child.expect(re.escape("Everything is saved"))
    assert finish(child) == 0

    text = (tmp_path / "tasks" / "runbook-orders-api.md").read_text(encoding="utf-8")
    assert "# Runbook: Orders API" in text and "**Version:** 1.2" in text
    assert "L2 after 10 minutes" in text and "| Tech Lead | Jane Doe | jane@example.com |" in text
    assert "| 1.1 | " in text and "| Escalate after 10 minutes |" in text
    assert "| 1.2 | " in text and "| Team Lead: Jane Doe, jane@example.com |" in text
    assert "**Criticality:** Critical" in text
    tracking = (tmp_path / "RUNBOOK_TRACKING.md").read_text(encoding="utf-8")
    assert "| runbook-orders-api | v1.2 |" in tracking and "v1.1" not in tracking
    assert sorted(p.name for p in (tmp_path / "tasks").iterdir()) == [  # no temp files; the model beside it
        "runbook-orders-api.md", "runbook-orders-api.service.yaml"]
    assert not (tmp_path / SESSION).exists()  # everything saved: nothing to resume
    assert not COLOUR.search(transcript.getvalue()), "NO_COLOR output carries colour codes"


def test_interrupted_interview_resumes_where_it_stopped(tmp_path: Path) -> None:
    child, _ = spawn(tmp_path)
    paste(child, "description>", DESCRIPTION.replace("; ", "\n", 1))  # two lines, pasted
    answer(child, r"answer[^\n]*>", "B")
    answer(child, r"answer[^\n]*>", "k8s")
    child.expect(re.escape("3. What is the criticality level?"))
    child.expect(r"answer[^\n]*>")
    child.sendintr()  # Ctrl-C mid-interview
    child.expect("Interrupted. Nothing was half-written. The interview is kept in")
    assert finish(child) == 130
    session = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))
    assert session["description"] == DESCRIPTION.replace("; ", "\n", 1)
    assert session["answers"] == {"type": "B", "env": "A"} and session["runbook"] is None
    assert not (tmp_path / "tasks").exists() or not any((tmp_path / "tasks").iterdir())

    child, _ = spawn(tmp_path, "--resume")
    child.expect(re.escape("Resuming the session in .runbook-agent/chat-session.json (interview, 2 answers)"))
    child.expect(re.escape("3. What is the criticality level?"))  # questions 1 and 2 are not asked again
    answer(child, r"answer[^\n]*>", "critical")
    answer(child, r"answer[^\n]*>", "prometheus")
    answer(child, r"answer[^\n]*>", "")  # PagerDuty suggests 24/7
    child.expect(re.escape("→ 24/7 coverage"))
    child.expect("Counts: ")
    answer(child, "runbook>", "alert when error rate > 2%")
    child.expect(re.escape("Revised: Alert when error rate > 2% (v1.1, not saved yet)"))
    child.expect("runbook>")
    child.sendeof()  # end of input with an unsaved runbook
    child.expect("The unsaved runbook is kept in")
    assert finish(child) == 0
    session = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))
    assert session["runbook"]["header"]["version"] == "1.1"
    assert not (tmp_path / "tasks" / "runbook-orders-api.md").exists()

    child, _ = spawn(tmp_path)  # without --resume: it offers the kept chat; Enter takes it
    child.expect(re.escape("An unfinished chat is kept in .runbook-agent/chat-session.json (runbook written, "
                           "not saved)."))
    answer(child, re.escape("Resume it? [Y/n, n starts over and replaces it]"), "")
    answer(child, "runbook>", "/answers")
    child.expect(re.escape("Criticality: Critical"))
    child.expect(re.escape("On-call: 24/7 coverage"))
    answer(child, "runbook>", "/save")
    child.expect(re.escape("Saved tasks/runbook-orders-api.md (v1.1)"))
    answer(child, "runbook>", "/quit")
    assert finish(child) == 0
    text = (tmp_path / "tasks" / "runbook-orders-api.md").read_text(encoding="utf-8")
    assert "| Alert when error rate > 2% |" in text and "| High Error Rate | > 2%" in text


def test_save_asks_before_overwriting_a_file_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "tasks").mkdir()
    theirs = tmp_path / "tasks" / "runbook-orders-api.md"
    theirs.write_text("# Runbook: Orders API\n\nwritten by hand\n", encoding="utf-8")
    child, _ = spawn(tmp_path)
    interview(child)
    answer(child, "runbook>", "/save")
    child.expect(re.escape("tasks/runbook-orders-api.md exists and this chat did not write it."))
    answer(child, re.escape("Overwrite it? [y/N]"), "n")
    child.expect("Not saved.")
    answer(child, "runbook>", "/answers")
    child.expect(re.escape("On-call: 24/7 coverage"))
    child.expect("runbook>")
    child.send("\x1b[A\r")  # line history: up-arrow brings back /answers
    child.expect(re.escape("/answers"))
    child.expect(re.escape("On-call: 24/7 coverage"))
    answer(child, "runbook>", "/quit")
    child.expect("The unsaved runbook is kept in")
    assert finish(child) == 0
    assert theirs.read_text(encoding="utf-8") == "# Runbook: Orders API\n\nwritten by hand\n"
    assert "/answers" in (tmp_path / ".runbook-agent" / "chat-history").read_text(encoding="utf-8")


def test_resume_with_a_damaged_session_file_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / SESSION).parent.mkdir()
    (tmp_path / SESSION).write_text("{not json", encoding="utf-8")
    child, transcript = spawn(tmp_path, "--resume")
    assert finish(child) == 2
    out = transcript.getvalue().strip()
    assert out.startswith("error: session file .runbook-agent/chat-session.json is damaged")
    assert "Traceback" not in out and len(out.splitlines()) == 1


def test_without_a_terminal_chat_points_to_generate() -> None:
    result = subprocess.run([sys.executable, "-m", "agent", "chat"], input="", capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a terminal" in lines[0] and "agent generate" in lines[0]


@pytest.mark.parametrize("flag", ["--resume"])
def test_resume_without_a_session_fails_cleanly(tmp_path: Path, flag: str) -> None:
    child, transcript = spawn(tmp_path, flag)
    assert finish(child) == 2
    assert "no chat session to resume at .runbook-agent/chat-session.json" in transcript.getvalue()


# Known timing flake under load (about 1 run in 10 in a full suite): the process sometimes dies by the
# SIGINT itself instead of reporting it; not yet explained. The session is written before generation,
# so nothing is lost either way. Rerun, don't weaken: every attempt asserts everything below.
@pytest.mark.flaky(reruns=2)
def test_ctrl_c_while_generating_leaves_no_file_and_keeps_the_session(tmp_path: Path) -> None:
    child, transcript = spawn(tmp_path, tools=True)
    interview(child)
    child.expect("Writing the runbook")  # the progress indicator is up
    child.sendintr()
    assert finish(child) == 130
    out = transcript.getvalue()
    assert "Traceback" not in out
    # Wherever the interrupt landed (generating or checking), the answers are kept and nothing else is written.
    assert re.search(r"Interrupted\. Nothing was half-written\. The (interview|unsaved runbook) is kept in", out)
    session = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))
    assert len(session["answers"]) == 5
    assert not (tmp_path / "tasks").exists() or not any((tmp_path / "tasks").iterdir())
    assert not (tmp_path / "RUNBOOK_TRACKING.md").exists()
