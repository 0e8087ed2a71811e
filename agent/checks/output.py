"""Showing reports: a terminal report grouped by section (rich, with every user text escaped so
`[service-name]` stays visible) and SARIF 2.1.0 for code scanning."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from agent.checks.findings import Report, severity_rank

if TYPE_CHECKING:
    from agent.checks.execute import Execution

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_reports(reports: list[Report], *, min_severity: str = "info", console: Console | None = None) -> None:
    console = console or _console()
    threshold = severity_rank(min_severity)
    for report in reports:
        shown = [f for f in report.findings if severity_rank(f.severity) >= threshold]
        console.print(f"[bold]{escape(report.source)}[/bold]  [dim](profile {escape(report.profile)})[/dim]")
        by_section = sorted(shown, key=lambda f: (f.line, f.section))
        order: list[str] = []
        for f in by_section:
            if f.section not in order:
                order.append(f.section)
        for section in order:
            console.print(f"  [bold]{escape(section or '(before the first heading)')}[/bold]")
            for f in [x for x in by_section if x.section == section]:
                style = _STYLE[f.severity]
                console.print(
                    f"    {f.line:>5}  [{style}]{f.severity:<7}[/{style}] "
                    f"[dim]{escape(f.rule)}[/dim]  {escape(f.message)}"
                )
                console.print(f"           [dim]fix: {escape(f.hint)}[/dim]")
        for skipped in report.skipped:
            console.print(f"  [dim]not checked: {escape(skipped)}[/dim]")
        console.print("  " + escape(report.summary().split(": ", 1)[1].split(";")[0]))


def print_execution(run: Execution, console: Console | None = None) -> None:
    console = console or _console()
    title = "would run (dry run)" if run.dry_run else "live checks"
    console.print(f"[bold]{escape(run.source)}[/bold] — {title}")
    if run.sandbox:
        console.print(f"  [dim]{escape(run.sandbox)}[/dim]")
    styles = {"passed": "green", "failed": "bold red", "not-run": "dim", "would-run": "cyan", "set": "dim"}
    for key, group in groupby(run.results, key=lambda r: r.section):
        console.print(f"  [bold]{escape(key or '(before the first heading)')}[/bold]")
        for r in group:
            style = styles.get(r.status, "")
            detail = f" — {escape(r.reason)}" if r.reason else ""
            console.print(f"    {r.line:>5}  [{style}]{r.status:<9}[/{style}] {escape(r.command[:100])}{detail}")
    console.print("  " + escape(run.summary()))


def sarif(reports: list[Report]) -> dict[str, Any]:
    """One SARIF run with a rule per rule id and a result per finding."""
    level = {"error": "error", "warning": "warning", "info": "note"}
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for report in reports:
        for f in report.findings:
            rules.setdefault(f.rule, {"id": f.rule, "shortDescription": {"text": f.rule}, "help": {"text": f.hint}})
            results.append(
                {
                    "ruleId": f.rule,
                    "level": level[f.severity],
                    "message": {"text": f"{f.message} (fix: {f.hint})"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": f.file},
                                "region": {"startLine": max(f.line, 1)},
                            }
                        }
                    ],
                    "properties": {"section": f.section},
                }
            )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "runbook-agent",
                        "informationUri": "https://example.invalid/runbook-agent",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
