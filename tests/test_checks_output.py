"""The terminal report keeps user text visible (rich markup escaped); JSON and SARIF are well formed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from agent.cli import cli

RUNBOOK = "# T\n\n## Pods [prod]\n\n```bash\nkubectl logs [service-name] -n [bold]prod\n```\n"


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "r.md"
    path.write_text(RUNBOOK)
    return path


def test_text_report_escapes_markup(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["test", str(_file(tmp_path)), "--no-tools", "--profile", "generic"])
    assert result.exit_code == 1
    assert "[service-name]" in result.output  # not swallowed as a style tag
    assert "[bold]" in result.output
    assert "Pods [prod]" in result.output  # grouped under its section
    assert "placeholder" in result.output and "fix:" in result.output


def test_fail_on_and_min_severity(tmp_path: Path) -> None:
    path = tmp_path / "w.md"
    path.write_text("# T\n\n## S\n\n```bash\n$ kubectl get pods -n x\nNAME READY\n```\n")  # a warning only
    runner = CliRunner()
    base = ["test", str(path), "--no-tools", "--profile", "generic"]
    assert runner.invoke(cli, base).exit_code == 0
    assert runner.invoke(cli, [*base, "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(cli, [*base, "--fail-on", "none"]).exit_code == 0
    assert "shell.prompt" not in runner.invoke(cli, [*base, "--min-severity", "error"]).output


def test_sarif(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["test", str(_file(tmp_path)), "--no-tools", "--profile", "generic",
                                      "--format", "sarif"])
    sarif = json.loads(result.output)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in run["results"]} == rule_ids == {"placeholder"}
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]} == {6}
    assert all(r["level"] == "error" for r in run["results"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    path = _file(tmp_path)
    assert runner.invoke(cli, ["test", str(path), "--dry-run"]).exit_code == 2
    assert runner.invoke(cli, ["test", str(path), "--execute", "--var", "NOEQUALS"]).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(cli, ["test", str(empty)]).exit_code == 2  # a directory without Markdown (issue #15:
    # a directory with Markdown files is checked file by file, tests/test_agent_test_paths.py)
    binary = tmp_path / "b.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = runner.invoke(cli, ["test", str(binary)])
    assert result.exit_code == 2 and "Traceback" not in result.output
