"""`agent test FILE...`: prove a runbook's commands and procedures work.

A FILE may be a directory (every Markdown file under it, hidden directories skipped) or `-`
(standard input). Static checks by default; `--execute` also runs the commands the live allowlist
vouches for (deny by default: everything else is reported "not run" with the reason). Exit 0 clean,
1 findings at or above --fail-on (or failed live checks), 2 usage or I/O errors.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from agent.errors import UsageError
from agent.files import read_text

MAX_STDIN = 4 * 1024 * 1024
STDIN = "<stdin>"


def _markdown_under(directory: str) -> list[str]:
    """The Markdown files under `directory`: hidden directories and symbolic links are not followed."""
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if path.suffix.lower() in (".md", ".markdown") and not path.is_symlink() and path.is_file():
                found.append(str(path))
    return found


def _expand(paths: tuple[str, ...]) -> list[str]:
    """Files to check, in order: a directory stands for the Markdown files under it."""
    out: list[str] = []
    for given in paths:
        if given != "-" and Path(given).is_dir():
            found = _markdown_under(given)
            if not found:
                raise UsageError(f"no Markdown files under {given}",
                                 hint="give a runbook file or a directory of .md files")
            out += found
        else:
            out.append(given)
    if out.count("-") > 1:
        raise UsageError("standard input ('-') can be read once")
    return out


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--var {item!r} is not NAME=VALUE", hint="e.g. --var NAMESPACE=prod")
        out[name] = value
    return out


@click.command("test")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True, path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="text for people, json for programs, sarif for code scanning",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "none"]),
    default="error",
    show_default=True,
    help="exit 1 when a finding is at or above this severity",
)
@click.option(
    "--profile",
    type=click.Choice(["auto", "rule", "alert", "generic"]),
    default="auto",
    show_default=True,
    help="which structure to expect: the rule's, a per-alert runbook's, or none",
)
@click.option(
    "--rule",
    "rule_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="rule file whose structure the runbook follows (default: the packaged rule)",
)
@click.option("--no-tools", is_flag=True, help="skip checks that run external CLIs (shellcheck, kubectl, ...)")
@click.option("--alerts", "alerts", is_flag=True,
              help="FILES are alert rule files/folders and runbooks: check every alert's runbook_url entry")
@click.option(
    "--execute", is_flag=True, help="also run the commands on the live allowlist (read-only by construction)"
)
@click.option("--dry-run", is_flag=True, help="with --execute: list what would run, run nothing")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="a value for a variable the runbook uses (repeatable)",
)
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="seconds each executed command may take (0.1 to 3600)",
)
@click.option(
    "--service-model",
    "service_model",
    metavar="FILE",
    help="a service model (.service.yaml): names in commands it does not hold are findings",
)
@click.option(
    "--min-severity",
    type=click.Choice(["error", "warning", "info"]),
    default="info",
    show_default=True,
    help="hide findings below this severity in the text report",
)
def test(
    files: tuple[str, ...],
    fmt: str,
    fail_on: str,
    profile: str,
    rule_path: str | None,
    no_tools: bool,
    execute: bool,
    dry_run: bool,
    variables: tuple[str, ...],
    timeout: float,
    min_severity: str,
    service_model: str | None = None,
    alerts: bool = False,
) -> None:
    """Check runbook FILES: structure, shell, SQL, PromQL, CLI flags, placeholders, dangerous commands.

    A FILE may be a directory (its Markdown files) or - (standard input).
    """
    from agent.checks import output
    from agent.checks.check import check_file, check_markdown

    if dry_run and not execute:
        raise UsageError("--dry-run only makes sense with --execute", hint="add --execute")
    if alerts:  # alert rule files and folders, not runbooks: alert_coverage reads them
        from agent.checks import alert_coverage

        sys.exit(alert_coverage.run(list(files), fmt, fail_on, min_severity))
    files = tuple(_expand(files))
    values = _parse_vars(variables)
    if execute:
        from agent.checks.execute import check_timeout

        check_timeout(timeout)
    if execute and "-" in files:
        raise UsageError("--execute runs the commands of runbook files, not of standard input",
                         hint="save it to a file first")
    options: dict[str, object] = {"rule": rule_path, "tools": not no_tools, "profile": profile, "variables": values}
    if service_model:
        from pathlib import Path

        from agent.service.files import load

        options.update(service=load(Path(service_model)), service_source=service_model)
    reports = [check_markdown(read_text("-", what="runbook", limit=MAX_STDIN), STDIN, **options)  # type: ignore[arg-type]
               if f == "-" else check_file(f, **options) for f in files]
    runs = []
    if execute:
        from agent.checks.execute import execute_file

        runs = [execute_file(f, values, timeout=timeout, dry_run=dry_run) for f in files]
    if fmt == "json":
        payload = {"reports": [r.to_dict() for r in reports]}
        if execute:
            payload["executions"] = [r.to_dict() for r in runs]
        click.echo(json.dumps(payload, indent=2))
    elif fmt == "sarif":
        click.echo(json.dumps(output.sarif(reports), indent=2))
    else:
        output.print_reports(reports, min_severity=min_severity)
        for run in runs:
            output.print_execution(run)
    failed = any(r.failed(fail_on) for r in reports) or any(run.failed for run in runs)
    if failed:
        sys.exit(1)
