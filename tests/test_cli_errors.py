"""Bad input gets one clear line, a non-zero exit, no traceback and nothing on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = ["--type", "B", "--env", "A", "--criticality", "B", "--monitoring", "A", "--oncall", "A"]


def agent(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


def assert_clean_failure(result: subprocess.CompletedProcess[str], needle: str, code: int | None = None) -> None:
    assert result.returncode != 0, result.stdout
    if code is not None:
        assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0], lines[0]


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(("args", "needle"), [
    (["--service", ""], "description is empty"),
    (["--service", "   \n\t "], "description is empty"),
    ([], "no service description"),
    (["--service", "orders api", "--env", "Z"], "cannot use 'Z'"),
    (["--service", "orders api", "--monitoring", "F"], "'Multiple' needs"),
    (["--service", "orders api", "--answers", "missing.yaml"], "cannot read answers file"),
    (["--service", "orders api", "--name", "../../etc"], "looks like a path"),
    (["--service", "orders api", "--model", "nosuch"], "unknown model 'nosuch'"),
    (["--service", "orders api", "--rule", "norule.md"], "cannot read rule file"),
    (["--service-file", "nofile.txt"], "cannot read service file"),
])
def test_bad_input(tmp_path: Path, args: list[str], needle: str) -> None:
    result = agent("generate", *args, cwd=tmp_path)
    assert_clean_failure(result, needle, code=2)
    assert files(tmp_path) == []


def test_malformed_answers_file(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("type: [B\nenv: k8s\n")
    result = agent("generate", "--service", "orders api", "--answers", "answers.yaml", cwd=tmp_path)
    assert_clean_failure(result, "not valid YAML at line", code=2)
    assert files(tmp_path) == ["answers.yaml"]


def test_strict_names_what_is_missing(tmp_path: Path) -> None:
    result = agent("generate", "--service", "orders api", "--env", "k8s", "--strict", cwd=tmp_path)
    assert_clean_failure(result, "missing answers: --type", code=2)
    assert "--env" not in result.stderr.split("(")[0]


def test_unwritable_out_dir(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a directory")
    result = agent("generate", "--service", "orders api", *GOOD, "--out", "blocker/tasks", cwd=tmp_path)
    assert_clean_failure(result, "cannot create out dir", code=3)
    assert files(tmp_path) == ["blocker"]


def test_commit_outside_git(tmp_path: Path) -> None:
    result = agent("generate", "--service", "orders api", *GOOD, "--commit", "--out", "tasks", cwd=tmp_path)
    assert_clean_failure(result, "not inside a git repository", code=6)
    assert "runbook-" not in " ".join(files(tmp_path))


def test_a_rule_without_questions(tmp_path: Path) -> None:
    (tmp_path / "rule.md").write_text("# Rule\nNo questions here.\n")
    result = agent("generate", "--service", "orders api", "--rule", "rule.md", cwd=tmp_path)
    assert_clean_failure(result, "no parsable questions", code=2)


def test_description_given_twice(tmp_path: Path) -> None:
    result = agent("generate", "orders api", "--service", "orders api", cwd=tmp_path)
    assert_clean_failure(result, "give the description once", code=2)
