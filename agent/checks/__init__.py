"""Checks on runbooks as Markdown or as commands; none of them imports the generator.

Library entry points (imported lazily: `agent.runbook` imports the light submodules on its own):
    check_markdown(text, source, *, rule=None, tools=True, profile="auto", variables=()) -> Report
    check_file(path, **same options) -> Report
    Report, Finding                       (agent.checks.findings)
    classify(command, language)           (agent.checks.danger) -> read-only | mutating | destructive
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.checks.check import check_file, check_markdown
    from agent.checks.danger import classify
    from agent.checks.findings import Finding, Report

__all__ = ["check_markdown", "check_file", "Report", "Finding", "classify"]


def __getattr__(name: str) -> Any:
    if name in ("check_markdown", "check_file"):
        from agent.checks import check

        return getattr(check, name)
    if name in ("Report", "Finding"):
        from agent.checks import findings

        return getattr(findings, name)
    if name == "classify":
        from agent.checks import danger

        return danger.classify
    raise AttributeError(name)
