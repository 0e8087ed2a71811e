"""`agent --help` lists the commands from a static table, without importing any of them."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import click

from agent.cli import COMMANDS

CLI_DIR = Path(__file__).resolve().parents[1] / "agent" / "cli"


def first_sentence(help_text: str) -> str:
    paragraph = inspect.cleandoc(help_text).split("\n\n")[0]
    return " ".join(paragraph.split())


def test_the_table_names_every_command_module() -> None:
    modules = sorted(p.stem for p in CLI_DIR.glob("*.py") if p.stem != "__init__")
    assert sorted(COMMANDS) == modules


def test_the_table_says_what_each_command_says_about_itself() -> None:
    for name, short in COMMANDS.items():
        command = getattr(importlib.import_module(f"agent.cli.{name}"), name)
        assert isinstance(command, click.Command)
        assert command.name == name
        assert command.help is not None
        assert first_sentence(command.help) == short, f"agent/cli/__init__.py COMMANDS[{name!r}] is stale"


def test_help_imports_no_command() -> None:
    script = ("import sys\nfrom agent.cli import cli\ntry:\n    cli(['--help'], prog_name='agent')\n"
              "except SystemExit:\n    pass\n"
              "print('MODULES', ' '.join(sorted(m for m in sys.modules if m.startswith('agent'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    out, _, modules = done.stdout.partition("MODULES ")
    assert modules.split() == ["agent", "agent.cli", "agent.errors"]
    assert "pydantic" not in done.stdout
    for name, short in COMMANDS.items():  # every command is listed, with its whole first sentence
        assert name in out
        assert " ".join(short.split()[:4]) in " ".join(out.split())


def test_a_command_still_loads_when_it_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "agent", "generate", "--help"], capture_output=True, text=True,
                          check=True, timeout=60)
    assert "--service-file FILE" in done.stdout
    unknown = subprocess.run([sys.executable, "-m", "agent", "nosuch"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "No such command 'nosuch'" in unknown.stderr
