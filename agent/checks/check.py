"""`check_markdown` / `check_file`: every static check on one Markdown runbook, as a `Report`.

The checks read only the Markdown, never the generator's models: a hand-written runbook is
checked exactly like a generated one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from agent.checks import consistency, danger, extract, markdown, placeholders, scope, shell, shellwords, structure
from agent.checks.findings import Finding, Report, Severity
from agent.errors import UsageError
from agent.rule import Rule, load_rule

_DUMMY = "PLACEHOLDER"
CLI_RULE_PREFIXES = ("kubectl", "oc", "helm", "aws", "docker", "docker-compose", "psql", "systemctl", "journalctl")


class _Collector:
    def __init__(self, doc: markdown.Document, report: Report) -> None:
        self.doc = doc
        self.report = report
        self._seen: set[tuple[int, str, str]] = set()

    def emit(self, line: int, rule: str, severity: Severity, message: str, hint: str) -> None:
        key = (line, rule, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.report.findings.append(
            Finding(self.doc.source, line, rule, severity, message, hint, self.doc.section_of(line))
        )


def _mask_placeholders(code: str) -> str:
    return placeholders.mask(code, _DUMMY)


def check_markdown(
    text: str,
    source: str = "<string>",
    *,
    rule: Rule | str | Path | None = None,
    tools: bool = True,
    profile: str = "auto",
    variables: Iterable[str] = (),
) -> Report:
    """Run the static checks on Markdown text.

    `tools=False` skips what needs external programs beyond bash (shellcheck, kubectl, helm, docker,
    psql, systemctl, journalctl, aws): use it inside a generation loop that needs speed.
    `variables` are names the reader will supply (`--var NAME=...`), so they count as declared.
    """
    if profile not in structure.PROFILES:
        raise UsageError(f"unknown profile {profile!r}", hint="use one of " + ", ".join(structure.PROFILES))
    rule_obj = rule if isinstance(rule, Rule) else load_rule(rule)
    doc = markdown.parse(text, source)
    report = Report(source=source)
    out = _Collector(doc, report)
    report.profile = structure.detect_profile(doc, rule_obj) if profile == "auto" else profile
    structure.check(doc, rule_obj, report.profile, out.emit)

    commands = extract.all_commands(doc)
    scripts = [extract.script_of(b) for b in doc.blocks if b.language == "shell"]
    report.stats = {"blocks": len(doc.blocks), "shell_blocks": len(scripts), "commands": len(commands)}

    _fences(doc, out)
    consistency.check(doc, commands, out.emit)
    if report.profile == "rule":
        structure.prerequisites(doc, _clis_used(commands), out.emit)
    _placeholders(doc, scripts, commands, out)
    broken = _shell_syntax(scripts, out)
    declared = _variables(doc, scripts, commands, set(variables), out)  # by the runbook or --var
    from agent.checks import promql, sql  # pglast costs ~150 ms to import: only when checking

    sql.check(commands, out.emit)
    promql.check(commands, out.emit)
    danger.check(commands, out.emit)
    if tools:
        shell.shellcheck(scripts, _mask_placeholders, out.emit, skip_parse_errors=broken)
        from agent.checks import clis

        clis.check(commands, out.emit, report.skipped)
    cli_errors = {f.line for f in report.findings if f.rule.split(".")[0] in CLI_RULE_PREFIXES}
    scope.check(commands, out.emit, declared, cli_errors)
    report.sort()
    return report


def check_file(path: str | Path, **options: object) -> Report:
    """`check_markdown` on a file; UsageError (exit 2) when it can't be read."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {p}", hint="give the path of a Markdown runbook") from None
    except IsADirectoryError:
        raise UsageError(f"{p} is a directory", hint="give a Markdown file, or use a shell glob") from None
    except UnicodeDecodeError:
        raise UsageError(f"{p} is not UTF-8 text", hint="give a Markdown file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {p}: {exc.strerror}") from None
    return check_markdown(text, str(path), **options)  # type: ignore[arg-type]


def _fences(doc: markdown.Document, out: _Collector) -> None:
    for block in doc.blocks:
        if block.language == "shell" and shellwords.has_prompts(block.content):
            out.emit(
                block.fence_line,
                "shell.prompt",
                "warning",
                "`$ ` prompts mixed with output: pasting the block pastes the prompts and the output",
                "put only commands in the block (tag it bash) and show expected output in a separate text block",
            )
        if not block.tag and not block.indented and block.language in ("shell", "sql", "promql"):
            out.emit(
                block.fence_line,
                "fence.untagged",
                "info",
                f"code block has no language tag (reads as {block.language})",
                f"tag the fence ```{'bash' if block.language == 'shell' else block.language}",
            )


def _placeholders(
    doc: markdown.Document, scripts: list[extract.ShellScript], commands: list[extract.Command], out: _Collector
) -> None:
    for script in scripts:
        for offset, found in placeholders.find_placeholder_lines(script.text):
            out.emit(
                script.lines[offset],
                "placeholder",
                "error",
                f"placeholder {found} left in a command"
                + (" (bash reads <x> as a redirection)" if found.startswith("<") else ""),
                'declare a shell variable at the top of the block (NAME=value) and use "$NAME"',
            )
    for block in doc.blocks:
        if block.language in ("sql", "promql", "redis"):
            comment = {"sql": "--", "promql": "#", "redis": "#"}[block.language]
            for offset, found in placeholders.find_placeholder_lines(block.content, comment):
                out.emit(
                    block.line + offset,
                    "placeholder",
                    "error",
                    f"placeholder {found} left in a {block.language} query",
                    "use a real name, or a psql variable (:'name') set with \\set / -v",
                )
    for cmd in commands:
        if cmd.inline:
            for found in placeholders.find_placeholders(cmd.text):
                out.emit(
                    cmd.line,
                    "placeholder",
                    "warning",
                    f"placeholder {found} in inline command `{cmd.text}`",
                    "use a shell variable the text declares (NAME=value) so the command pastes",
                )


def _shell_syntax(scripts: list[extract.ShellScript], out: _Collector) -> set[int]:
    """Report `bash -n` failures; returns the indexes of the scripts that failed."""
    errors = shell.syntax_errors([_mask_placeholders(s.text) for s in scripts])
    for index, message in errors.items():
        script = scripts[index]
        line = script.lines[0] if script.lines else script.block.line
        m = re.match(r"(?:.*?line )?(\d+): (.*)", message)
        if m:
            offset = int(m.group(1)) - 1
            line = script.lines[min(offset, len(script.lines) - 1)] if script.lines else line
            message = m.group(2)
        out.emit(
            line,
            "shell.syntax",
            "error",
            f"bash -n: {message}",
            "fix the shell syntax (unclosed quote, if without fi, do without done, unmatched $( ... )",
        )
    return set(errors)


def _variables(
    doc: markdown.Document,
    scripts: list[extract.ShellScript],
    commands: list[extract.Command],
    supplied: set[str],
    out: _Collector,
) -> set[str]:
    """Report variables used but never declared; returns the names the runbook or --var declare."""
    declared = set(supplied)
    uses: list[tuple[str, int]] = []
    for script in scripts:
        u, d = shellwords.uses_and_declares(_mask_placeholders(script.text))
        declared |= d
        lines = script.lines
        uses.extend((name, lines[min(offset, len(lines) - 1)] if lines else script.block.line) for name, offset in u)
    # Inline code and prose like `NAMESPACE=openshift-monitoring` or "export NS=..." declare too.
    for code in doc.inline:
        for m in re.finditer(r"(?:^|\s|export\s+)([A-Za-z_][A-Za-z0-9_]*)=", code.text):
            declared.add(m.group(1))
    reported: set[str] = set()
    for name, line in uses:
        if name in declared or name in placeholders.WELL_KNOWN or name in reported:
            continue
        reported.add(name)
        out.emit(
            line,
            "shell.undeclared-variable",
            "error",
            f"${name} is used but never declared in the runbook",
            f"declare it before use ({name}=value, with a comment on where the value comes from) "
            f"or pass it with --var {name}=...",
        )
    return declared


def _clis_used(commands: list[extract.Command]) -> dict[str, int]:
    """Notable CLIs run by fenced commands, with the line of their first use."""
    used: dict[str, int] = {}
    for cmd in commands:
        if cmd.inline or cmd.language != "shell":
            continue
        for simple in cmd.simple:
            argv = shellwords.unwrap(simple.argv)
            tool = argv[0].rsplit("/", 1)[-1] if argv else ""
            if tool in structure.NOTABLE_CLIS:
                used.setdefault(tool, cmd.line)
    return used
