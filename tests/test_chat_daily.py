"""Issue #15's chat items, one test each, on a real pseudo-terminal (pexpect) with the offline engine."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path

import pexpect
from test_chat import SESSION, answer, finish, paste

THREE_PARAGRAPHS = (
    "Video transcoder: a Python worker on EKS in namespace media that takes jobs from the SQS queue "
    "transcode-jobs and writes results to the S3 bucket media-out.\n"
    "It is paged through PagerDuty.\n"
    "\n"
    "Jobs take up to ten minutes each; a backlog of an hour is tolerable, a day is not.\n"
    "\n"
    "Owned by the Media team; the team lead is Ana Diaz."
)


def spawn(cwd: Path, *args: str, rows: int = 50, env: dict[str, str] | None = None) -> tuple[pexpect.spawn,
                                                                                             io.StringIO]:
    clean = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS", "LINES", "PAGER", "LESS")}
    clean.update(NO_COLOR="1", TERM="xterm", **(env or {}))
    child = pexpect.spawn(sys.executable, ["-m", "agent", "chat", "--out", "tasks", "--no-tool-checks", *args],
                          cwd=str(cwd), env=clean, encoding="utf-8", timeout=40, dimensions=(rows, 120))
    transcript = io.StringIO()
    child.logfile_read = transcript
    return child, transcript


def answers(child: pexpect.spawn) -> None:
    """The five questions of the three-paragraph description; Enter takes each suggestion it makes."""
    answer(child, r"answer[^\n]*>", "")  # worker
    answer(child, r"answer[^\n]*>", "")  # EKS: Kubernetes
    answer(child, r"answer[^\n]*>", "high")
    answer(child, r"answer[^\n]*>", "prometheus")
    answer(child, r"answer[^\n]*>", "")  # PagerDuty: 24/7
    child.expect(r"Counts: \d+ alerts")


def test_1_a_pasted_three_paragraph_description_arrives_whole(tmp_path: Path) -> None:
    child, transcript = spawn(tmp_path)
    paste(child, "description>", THREE_PARAGRAPHS)
    child.expect(re.escape("1. What type of service is this?"))  # straight to the questions: no '...>'
    session = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))
    assert session["description"] == THREE_PARAGRAPHS
    assert session["answers"] == {}  # no paragraph became an answer
    child.expect(re.escape("You mentioned worker — Background worker? [D] (Enter accepts)"))
    answers(child)
    answer(child, "runbook>", "/answers")
    child.expect(re.escape("  Owned by the Media team; the team lead is Ana Diaz."))
    answer(child, "runbook>", "/quit")
    assert finish(child) == 0
    assert "...>" not in transcript.getvalue()


def test_1_a_typed_one_line_description_and_enter_goes_on(tmp_path: Path) -> None:
    child, transcript = spawn(tmp_path)
    answer(child, "description>", "Orders API on EKS with RDS PostgreSQL")
    child.expect(re.escape("1. What type of service is this?"), timeout=10)
    answer(child, r"answer[^\n]*>", "/quit")
    child.expect("The interview is kept in")
    assert finish(child) == 0
    assert "...>" not in transcript.getvalue()
    session = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))
    assert session["description"] == "Orders API on EKS with RDS PostgreSQL"


def test_2_a_junk_answer_does_not_change_the_suggested_default(tmp_path: Path) -> None:
    child, _ = spawn(tmp_path)
    answer(child, "description>", "Orders API on EKS in namespace orders with RDS PostgreSQL")
    answer(child, r"answer[^\n]*>", "api")
    child.expect(re.escape("You mentioned EKS — Kubernetes? [A] (Enter accepts)"))
    answer(child, re.escape("answer [A]>"), "maybe docker swarm later")
    child.expect(re.escape("Did you mean Docker containers? Type B for it, Enter keeps A."))
    answer(child, re.escape("answer [A]>"), "")  # the prompt still offers A, and Enter takes it
    child.expect(re.escape("→ Kubernetes"))
    answer(child, r"answer[^\n]*>", "/quit")
    assert finish(child) == 0
    session = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))
    assert session["answers"]["env"] == "A"


def test_3_rabbitmq_for_progress_events_applies_once_in_its_role(tmp_path: Path) -> None:
    child, transcript = spawn(tmp_path)
    paste(child, "description>", THREE_PARAGRAPHS)
    answers(child)
    answer(child, "runbook>", "we also use RabbitMQ for progress events")
    child.expect(re.escape("Revised: Added to the description: We also use RabbitMQ for progress events."))
    child.expect(re.escape("Pack rabbitmq applies now (description mentions 'RabbitMQ')"))
    child.expect(r"Tests: ")
    answer(child, "runbook>", "/show dependencies")
    child.expect(re.escape("Upstream Dependencies"))
    child.expect("RabbitMQ")
    answer(child, "runbook>", "/quit")
    child.expect("The unsaved runbook is kept in")
    assert finish(child) == 0
    out = transcript.getvalue()
    assert "No knowledge pack covers" not in out
    assert "CPR" not in out  # no terminal-capability warning in the conversation
    runbook = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))["runbook"]
    upstream = {d["service"]: d["purpose"] for d in runbook["dependencies"]["upstream"]}
    assert upstream["RabbitMQ (progress events)"] == "Takes the progress events this service publishes"
    assert "Delivers work" not in upstream.values()
    backlog = next(i for i in runbook["troubleshooting"]["issues"] if i["title"].startswith("RabbitMQ: backlog"))
    assert all(step["command"] is None for step in backlog["fix"])  # never "restart this service" for it


def test_4_escalate_to_the_team_lead_moves_only_that_level(tmp_path: Path) -> None:
    child, _ = spawn(tmp_path)
    paste(child, "description>", THREE_PARAGRAPHS)
    answers(child)
    child.expect("runbook>")
    before = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))["runbook"]
    levels = [lv["after_minutes"] for lv in before["contacts"]["escalation"]]
    assert levels[1] != 20 and levels[2] > 20  # L2 (the team lead, the one person named) moves; L3 must not
    child.sendline("escalate to the team lead after 20 minutes")
    child.expect(re.escape("Revised: Escalate to team lead after 20 minutes (v1.1, not saved yet)"))
    answer(child, "runbook>", "/quit")
    assert finish(child) == 0
    runbook = json.loads((tmp_path / SESSION).read_text(encoding="utf-8"))["runbook"]
    moved = [levels[0], 20, *levels[2:]]
    assert [lv["after_minutes"] for lv in runbook["contacts"]["escalation"]] == moved
    steps = [s["after_minutes"] for s in runbook["emergency"]["service_down"]["escalation"]]
    assert steps[:len(moved)] == moved  # then the RTO step
    assert runbook["contacts"]["escalation"][2] == before["contacts"]["escalation"][2]


def test_5_diff_pages_resume_recaps_and_a_saved_chat_says_how_to_continue(tmp_path: Path) -> None:
    # /diff longer than the screen goes through the pager (less, with a prompt this test can see)
    child, _ = spawn(tmp_path, rows=24, env={"LESS": "-R -PsPAGER-HERE"})
    answer(child, "description>", "Orders API on EKS in namespace orders, paged through PagerDuty")
    for reply in ("api", "", "critical", "prometheus", ""):
        answer(child, r"answer[^\n]*>", reply)
    child.expect(r"Counts: ")
    answer(child, "runbook>", "environment is docker")  # regenerates: a diff of hundreds of lines
    child.expect(re.escape("Revised: Deployment environment: Docker containers (v1.1, not saved yet)"))
    answer(child, "runbook>", "/diff")
    child.expect("PAGER-HERE")
    child.send("q")
    answer(child, "runbook>", "/quit")
    child.expect("The unsaved runbook is kept in")
    assert finish(child) == 0

    # --resume says what it loaded
    child, _ = spawn(tmp_path, "--resume")
    child.expect(re.escape("Resuming the session in .runbook-agent/chat-session.json (runbook written, not saved)."))
    child.expect(re.escape("Loaded from .runbook-agent/chat-session.json: Orders API on EKS in namespace orders"))
    child.expect(re.escape("Answers: Service type: API service; Deployment environment: Docker containers;"))
    child.expect(re.escape("Runbook: Orders API v1.1, not saved yet (/save writes tasks/runbook-orders-api.md)."))
    answer(child, "runbook>", "/save")
    child.expect(re.escape("Saved tasks/runbook-orders-api.md (v1.1)"))
    answer(child, "runbook>", "/quit")
    child.expect(re.escape("Everything is saved: tasks/runbook-orders-api.md (v1.1), tracked in RUNBOOK_TRACKING.md. "
                           "To change it later: agent chat --from tasks/runbook-orders-api.md"))
    assert finish(child) == 0

    # --resume now points to --from; --from continues the saved chat, and /save overwrites its own file
    child, transcript = spawn(tmp_path, "--resume")
    assert finish(child) == 2
    said = " ".join(transcript.getvalue().split())
    assert ("no unfinished chat at .runbook-agent/chat-session.json; the last chat saved its runbook (continue "
            "editing it with: agent chat --from tasks/runbook-orders-api.md)") in said
    child, _ = spawn(tmp_path, "--from", "tasks/runbook-orders-api.md")
    child.expect(re.escape("Loaded from tasks/runbook-orders-api.md: Orders API on EKS"))
    child.expect(re.escape("Runbook: Orders API v1.1, saved as tasks/runbook-orders-api.md."))
    answer(child, "runbook>", "escalate after 10 minutes")
    child.expect(re.escape("(v1.2, not saved yet)"))
    answer(child, "runbook>", "/save")
    child.expect(re.escape("Saved tasks/runbook-orders-api.md (v1.2)"))  # no "did not write it" question
    answer(child, "runbook>", "/quit")
    child.expect(re.escape("To change it later: agent chat --from tasks/runbook-orders-api.md"))
    assert finish(child) == 0
    text = (tmp_path / "tasks" / "runbook-orders-api.md").read_text(encoding="utf-8")
    assert "**Version:** 1.2" in text and "| Escalate after 10 minutes |" in text
    assert "| 1.1 | " in text and "| Deployment environment: Docker containers |" in text
