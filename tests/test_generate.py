"""`agent generate` end to end on the offline engine, through the real console entry point."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from agent.checks.markdown import parse
from agent.render import github_anchor

DESCRIPTION = "Payments API on GKE in namespace payments, Cloud SQL PostgreSQL database payments, Redis cache"
ANSWERS = ["--type", "B", "--env", "kubernetes", "--criticality", "critical", "--monitoring", "A", "--oncall", "24x7"]


def agent(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("gen")
    result = agent("generate", "--service", DESCRIPTION, *ANSWERS, cwd=root)
    assert result.returncode == 0, result.stderr
    return root, result


def test_writes_the_runbook_where_the_rule_says(generated: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root, result = generated
    path = root / "tasks" / "runbook-payments-api.md"
    assert path.exists()
    assert "Wrote tasks/runbook-payments-api.md" in result.stdout or str(path) in result.stdout
    assert "0 errors" in result.stdout


def test_structure_follows_the_rule_in_order(generated: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    text = (generated[0] / "tasks" / "runbook-payments-api.md").read_text()
    h2 = re.findall(r"^## (.+)$", text, re.M)
    assert h2 == ["Table of Contents", "Service Overview", "Architecture", "Dependencies", "Deployment",
                  "Monitoring & Alerts", "Troubleshooting", "Emergency Procedures", "Maintenance",
                  "Disaster Recovery", "Contacts", "Appendix", "Revision History"]
    assert text.startswith("# Runbook: Payments API\n")
    for field in ("Version", "Last Updated", "Authors", "Service Owner", "Criticality", "On-Call"):
        assert re.search(rf"^\*\*{field}:\*\* \S", text, re.M), field
    # the table of contents: the ten sections in order (entries and procedures nested under theirs)
    toc = re.findall(r"^\d+\. \[[^\]]+\]\(#([^)]+)\)$", text, re.M)
    assert toc == [github_anchor(h) for h in h2[1:11]]
    anchors = {h.anchor for h in parse(text).headings}  # GitHub's ids, duplicates numbered
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert len(links) > 10 and set(links) <= anchors
    fences = re.findall(r"^```(\S*)$", text, re.M)
    opening = fences[0::2]
    assert all(opening), "every fenced block is tagged with its language"
    assert {"bash", "promql"} <= set(opening)


def test_names_from_the_description_reach_the_commands(
        generated: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    text = (generated[0] / "tasks" / "runbook-payments-api.md").read_text()
    assert "kubectl get pods -n payments" in text
    assert not re.search(r"^[^#\n]*(\[[a-z]+-[a-z]+\]|<[a-z-]+>)", "\n".join(
        re.findall(r"^```bash\n(.*?)^```", text, re.M | re.S)), re.M)


def test_tracking_row(generated: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    rows = (generated[0] / "RUNBOOK_TRACKING.md").read_text().splitlines()
    assert re.fullmatch(r"\| runbook-payments-api \| v1\.0 \| \d{4}-\d{2}-\d{2} \| Payments API \|", rows[-1])


def test_existing_runbook_is_never_overwritten(generated: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    root = generated[0]
    path = root / "tasks" / "runbook-payments-api.md"
    before = path.read_bytes()
    result = agent("generate", "--service", DESCRIPTION, *ANSWERS, cwd=root)
    assert result.returncode == 3 and "already exists" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_force_and_json_output(tmp_path: Path) -> None:
    first = agent("generate", "--service", DESCRIPTION, *ANSWERS, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = agent("generate", "--service", DESCRIPTION, *ANSWERS, "--force", "--format", "json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    payload = json.loads(again.stdout)
    assert payload["path"].endswith("tasks/runbook-payments-api.md")
    assert payload["model"] == "offline" and payload["counts"]["troubleshooting_entries"] >= 3
    assert payload["usage"]["requests"] == 0
    assert payload["answers"]["env"]["values"] == ["kubernetes"]
    assert len((tmp_path / "RUNBOOK_TRACKING.md").read_text().splitlines()) == 3  # header, rule, one row


def test_without_a_terminal_answers_are_inferred_and_recorded(tmp_path: Path) -> None:
    result = agent("generate", "--service", "Billing worker consuming SQS on ECS Fargate, CloudWatch alarms",
                   "--criticality", "B", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Assumed" in result.stderr and "env:" in result.stderr
    text = next((tmp_path / "out").glob("runbook-*.md")).read_text()
    # one line on the first screen, the list itself at the end (Appendix)
    assert re.search(r"^\*\*Assumed:\*\* \d+ values? .*\(#assumed-not-told\)", "\n".join(text.split("\n")[:60]), re.M)
    appendix = text.split("## Appendix", 1)[1]
    assert "### Assumed, not told" in appendix
    assert re.search(r"^- type: Background worker \(the description mentions", appendix, re.M)


def test_answers_file_and_commit(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "config", "user.email", "t@example.com"], cwd=tmp_path, check=True)
    subprocess.run(["git", "config", "user.name", "T"], cwd=tmp_path, check=True)
    (tmp_path / "answers.yaml").write_text("type: D\nenv: vm\ncriticality: C\nmonitoring: datadog\noncall: B\n")
    result = agent("generate", "--service", "Thumbnail worker on EC2 reading from RabbitMQ", "--name", "thumbs",
                   "--answers", "answers.yaml", "--commit", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    log = subprocess.run(["git", "log", "-1", "--format=%B", "--name-only"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert log.startswith("Runbook: thumbs\n\n- Service: thumbs\n- Criticality: Medium\n- On-call: Business hours")
    assert "tasks/runbook-thumbs.md" in log and "RUNBOOK_TRACKING.md" in log
    text = (tmp_path / "tasks" / "runbook-thumbs.md").read_text()
    assert "systemctl" in text
    assert not re.search(r"^> - (type|env|criticality|monitoring|oncall): ", text, re.M)  # nothing was assumed


def test_on_a_terminal_missing_answers_are_asked(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "agent", "generate", "--service", "Search API on EKS",
                                           "--criticality", "B", "--monitoring", "A", "--oncall", "A"],
                          cwd=str(tmp_path), env={**os.environ, "NO_COLOR": "1"}, encoding="utf-8", timeout=60)
    child.expect(r"What type of service is this\?")
    child.expect(r"F\) Other \(specify\)")
    child.expect("answer")
    child.sendline("Z")  # not an option: re-asked with a hint
    child.expect(r"cannot use 'Z'")
    child.expect("answer")
    child.sendline("api")
    child.expect(r"deployment environment\?")
    child.expect(r"mentions 'eks'.*Kubernetes\? \[A\]")
    child.sendline("")  # Enter accepts the suggestion
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = (tmp_path / "tasks" / "runbook-search-api.md").read_text()
    assert "kubectl" in text
    assert not re.search(r"^> - (type|env): ", text, re.M)  # asked, not assumed
