"""`agent test DIR` checks the Markdown files under DIR; `agent test -` reads standard input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = "# Notes\n\nCheck the pods:\n\n```bash\nkubectl get pods -n orders\n```\n"
BAD = "# Notes\n\n```bash\nif true; then echo unclosed\n```\n"


def agent(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=180, env={**os.environ, "NO_COLOR": "1"})


def test_a_directory_means_the_markdown_files_under_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "team" / "deep").mkdir(parents=True)
    (docs / ".git").mkdir()
    (docs / "a.md").write_text(GOOD)
    (docs / "team" / "deep" / "b.markdown").write_text(BAD)
    (docs / "team" / "notes.txt").write_text(BAD)  # not Markdown
    (docs / ".git" / "c.md").write_text(BAD)  # hidden directory
    (docs / "link.md").symlink_to(tmp_path / "elsewhere.md")
    (tmp_path / "elsewhere.md").write_text(BAD)
    result = agent("test", "docs", "--no-tools", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    sources = [r["source"] for r in json.loads(result.stdout)["reports"]]
    assert sources == ["docs/a.md", "docs/team/deep/b.markdown"]


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = agent("test", "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: no Markdown files under empty (give a runbook file or a directory of "
                                     ".md files)")


def test_standard_input(tmp_path: Path) -> None:
    good = agent("test", "-", "--no-tools", cwd=tmp_path, stdin=GOOD)
    assert good.returncode == 0 and good.stdout.startswith("<stdin>"), good.stdout + good.stderr
    bad = agent("test", "-", "--no-tools", cwd=tmp_path, stdin=BAD)
    assert bad.returncode == 1 and "shell.syntax" in bad.stdout
    twice = agent("test", "-", "-", cwd=tmp_path, stdin=GOOD)
    assert twice.returncode == 2 and "can be read once" in twice.stderr
    live = agent("test", "-", "--execute", cwd=tmp_path, stdin=GOOD)
    assert live.returncode == 2 and "not of standard input" in live.stderr
