"""CLI subcommands and flags checked against the real tools (filled in below)."""

from __future__ import annotations

from agent.checks.extract import Command
from agent.checks.structure import Emit


def check(commands: list[Command], emit: Emit, skipped: list[str]) -> None:
    return None
