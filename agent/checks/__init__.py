"""Checks on runbooks as Markdown or as commands; none of them imports the generator.

Library entry points (imported lazily: `agent.runbook` imports the light submodules on its own):
    check_markdown(text, source, *, rule=None, tools=True, profile="auto", variables=()) -> Report
    check_file(path, **same options) -> Report
    Report, Finding                       (agent.checks.findings)
    classify(command, language)           (agent.checks.danger) -> read-only | mutating | destructive
    execute_file(path, vars, timeout=, dry_run=)  (agent.checks.execute) -> Execution (the live allowlist only)

Rule ids a Finding carries (severity in brackets; "rule" profile only where marked *):
    structure.missing / structure.empty*            [error] a section of the rule absent or empty
    structure.header*                                [error; warning for a template placeholder]
    structure.anchor                                 [error] a #link no heading answers (GitHub anchors)
    structure.alert-response* / structure.alerts*    [error / warning] alert without a response / no table
    structure.alert-condition*                       [warning] alert condition without a number
    structure.rto* / structure.rpo*                  [error] no RTO / RPO with a number and unit
    structure.escalation*                            [error] escalation levels without time bounds
    structure.slo-budget*                            [warning] availability % and downtime disagree
    structure.entry* / -verify* / -escalate*         [warning / info / info] troubleshooting entry shape
    structure.prerequisites*                         [warning] a CLI used but not in the Prerequisites
    structure.h1 / structure.heading-level           [warning / info]
    fence.untagged / fence.output [info]             shell.syntax [error] (bash -n)
    shell.prompt [warning, once per file]            `$ ` prompts in a bash/sh/shell fence
    shell.output [warning]                           a bash fence holding commands and their output
    shell.line-break [error]                         flags (or a flag's value) cut onto a line of their own
    shellcheck.SCnnnn [shellcheck's level; SC2046 info]
    shell.undeclared-variable [error; info when the prose explains it]
    placeholder [error unquoted in a command, warning otherwise; once per fill-in and file]
    placeholder.explained [info, once per file]      fill-ins the text explains or declares
    sql.syntax / promql.syntax [error]               (other SQL dialects: Report.skipped)
    danger.unwarned [error; warning inline; once per command text]   danger.redis-keys [warning]
    scope.namespace / scope.region [warning]
    kubectl|oc|helm|docker|psql|systemctl|journalctl|aws|gcloud|ssh|service.(flag|command),
    redis.(command|arity), redis-cli.flag [error] — checked against the real tools and the tables they
    ship; Report.skipped says what wasn't.
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
