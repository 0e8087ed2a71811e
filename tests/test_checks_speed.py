"""What the start-up and check speed-ups must not change: cached answers equal fresh ones, memoized
readings are the caller's own to change, the CLI leaves the collector running for its command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import placeholders, shell, shellwords


def _counting_bash(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = shell._bash_n

    def counted(script: str) -> str | None:
        calls.append(script)
        return real(script)

    monkeypatch.setattr(shell, "_bash_n", counted)
    return calls


def test_bash_n_answers_come_from_the_cache_the_second_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = _counting_bash(monkeypatch)
    snippets = ["echo ok", "if true; then\n  echo broken", "for x in a b; do echo \"$x\"; done"]
    first = shell.syntax_errors(snippets)
    assert set(first) == {1} and calls  # bash ran: the combined text, then each snippet
    assert list(tmp_path.glob("runbook-agent/bash-n-*.json"))
    ran = len(calls)
    assert shell.syntax_errors(snippets) == first
    assert len(calls) == ran  # no bash the second time
    assert shell.syntax_errors(snippets[:1]) == {} and len(calls) == ran + 1  # another list is checked afresh


def test_a_broken_cache_file_only_costs_a_bash_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    shell.syntax_errors(["echo 'open"])
    for path in tmp_path.glob("runbook-agent/bash-n-*.json"):
        path.write_text("{not json", encoding="utf-8")
    shell._BASH_STORES.clear()  # what a new process finds
    calls = _counting_bash(monkeypatch)
    assert set(shell.syntax_errors(["echo 'open"])) == {0} and calls


_SHELLISH = st.text(alphabet=st.sampled_from(list("ab $(){}[]<>|&;'\"\\\n#=-x1")), max_size=60)


@settings(max_examples=150, deadline=None)
@given(_SHELLISH)
def test_a_memoized_parse_is_the_callers_own(text: str) -> None:
    first = shellwords.parse(text)
    expected = (
        [(s.argv[:], s.raw[:]) for s in first.commands], first.uses[:], set(first.declares),
        first.substitutions[:], first.operators[:],
    )
    first.commands.clear()
    first.uses.append("CHANGED")
    first.declares.add("CHANGED")
    first.substitutions.append("CHANGED")
    again = shellwords.parse(text)
    assert ([(s.argv, s.raw) for s in again.commands], again.uses, again.declares, again.substitutions,
            again.operators) == expected
    lines = shellwords.logical_lines(text, 3)
    count = len(lines)
    lines.clear()
    assert len(shellwords.logical_lines(text, 3)) == count


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_the_placeholder_shortcut_finds_what_the_patterns_find(text: str) -> None:
    slow = [m.group(0) for p in placeholders._PATTERNS for m in p.finditer(text)
            if m.group(0).lower() not in placeholders._LITERALS]
    assert placeholders.find_placeholders(text) == slow


def test_the_cli_leaves_the_collector_on_for_the_command() -> None:
    script = (
        "import gc, sys\nfrom agent.cli import main\n"
        "sys.argv = ['agent', 'packs', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('GC', gc.isenabled(), gc.get_freeze_count() > 0)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "GC True True"
