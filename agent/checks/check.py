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
from agent.checks.structure import Emit
from agent.errors import UsageError
from agent.rule import Rule, load_rule
from agent.service.model import ServiceModel

_DUMMY = "PLACEHOLDER"


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
    service: ServiceModel | None = None,
    service_source: str = "the service model",
) -> Report:
    """Run the static checks on Markdown text.

    `tools=False` skips what needs external programs beyond bash (shellcheck, kubectl, helm, docker,
    psql, systemctl, journalctl, aws): use it inside a generation loop that needs speed.
    `variables` are names the reader will supply (`--var NAME=...`), so they count as declared.
    `service`: names in commands must be this model's (`grounding.unknown-name`).
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

    sql.check(commands, out.emit, report.skipped)
    promql.check(commands, out.emit)
    danger.check(commands, out.emit)
    if service is not None:
        from agent.checks import grounding

        grounding.check(commands, service, service_source, out.emit)
    if tools:
        shell.shellcheck(scripts, _mask_placeholders, _shellcheck_filter(commands, declared, out.emit),
                         skip_parse_errors=broken)
        from agent.checks import clis

        clis.check(commands, out.emit, report.skipped)
    else:
        from agent.checks import clis

        used = sorted({u.tool for u in clis.uses(commands)} - {"redis"})
        shell_commands = sum(1 for c in commands if c.language == "shell")
        report.skipped.append(
            f"--no-tools: shellcheck on {len(scripts)} shell block{'s' * (len(scripts) != 1)}"
            + (f", the {', '.join(used)} checks on {shell_commands} commands" if used else "")
        )
    # Lines the CLI checks already faulted (a typo'd `--namspace` is one fault, not two); their rule
    # ids start with the checked tool's name.
    from agent.checks import clis

    cli_errors = {f.line for f in report.findings if f.rule.split(".")[0] in clis.CHECKERS}
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


# Fence tags that promise a script to paste; `console`, `terminal` and `shell-session` promise a transcript.
_SCRIPT_TAGS = {"bash", "sh", "shell", "zsh", "ksh", "shell-script"}


def _fences(doc: markdown.Document, out: _Collector) -> None:
    prompted: list[tuple[markdown.CodeBlock, bool]] = []
    first_prompt = 0
    for block in doc.blocks:
        if block.language == "shell":
            for r in [r for r in extract.reading_of(block).readings if r.kind == "broken" or r.broken]:
                flag = r.text.split()[0].split("=", 1)[0]
                if not flag.startswith("-"):
                    out.emit(
                        block.line + r.offset,
                        "shell.line-break",
                        "error",
                        "the line holds the value of the flag that ends the line above, which has no `\\`: "
                        "bash runs the command without it, then this line on its own",
                        f"end line {block.line + r.offset - 1} with ` \\` (or join the two lines)",
                    )
                    continue
                out.emit(
                    block.line + r.offset,
                    "shell.line-break",
                    "error",
                    f"{flag} starts a line of its own: the command above ends without `\\`, so bash runs it "
                    f"without {flag}, then fails on {flag} as a command",
                    f"end line {block.line + r.offset - 1} with ` \\` so {flag} belongs to its command",
                )
        if block.language == "shell" and block.tag in _SCRIPT_TAGS:
            reading = extract.reading_of(block)
            commands = reading.of("shell")
            if reading.prompted:
                prompted.append((block, bool(reading.output)))
                first_prompt = first_prompt or block.line + next(r.offset for r in reading.readings if r.prompted)
            elif reading.output and commands:
                lines = [block.line + o for o in reading.output]
                out.emit(
                    lines[0],
                    "shell.output",
                    "warning",
                    f"the {block.tag} block mixes commands with their output (line {_spans(lines)} read as "
                    "output): pasting the block runs the output too",
                    "keep only the commands in the block and show the output in a ```text block after it",
                )
            elif reading.output and not commands:
                out.emit(
                    block.fence_line,
                    "fence.output",
                    "info",
                    f"the block is tagged {block.tag} but holds output, not commands",
                    "tag it ```text (or ```json / ```yaml) so no one pastes it into a shell",
                )
        if not block.tag and not block.indented and block.language in ("shell", "sql", "promql"):
            out.emit(
                block.fence_line,
                "fence.untagged",
                "info",
                f"code block has no language tag (reads as {block.language})",
                f"tag the fence ```{'bash' if block.language == 'shell' else block.language}",
            )
    if prompted:  # once per file: it is one habit, not one fault per block
        first = prompted[0][0]
        with_output = sum(1 for _, has_output in prompted if has_output)
        n = len(prompted)
        what = "prompts" + (f" ({with_output} with output lines)" if with_output else "")
        blocks = f"{n} {first.tag} blocks carry" if n != 1 else f"a {first.tag} block carries"
        out.emit(
            first_prompt or first.fence_line,
            "shell.prompt",
            "warning",
            f"{blocks} `$ ` {what}: pasting one runs the prompt as a command "
            f"(fence{'s' * (n != 1)} at line {_spans([b.fence_line for b, _ in prompted])})",
            "drop the prompts and keep output in a separate ```text block, or tag a transcript ```console",
        )


def _spans(lines: list[int]) -> str:
    """`12-14, 20, 31` for [12, 13, 14, 20, 31] (at most six ranges)."""
    ranges: list[list[int]] = []
    for n in sorted(set(lines)):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    text = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in ranges[:6])
    return text + (", ..." if len(ranges) > 6 else "")


def _prose(doc: markdown.Document) -> str:
    """The document without its code blocks, lower case: where a fill-in can be explained."""
    inside: set[int] = set()
    for b in doc.blocks:
        inside.update(range(b.fence_line - 1, b.line - 1 + b.content.count("\n") + 1))
    return "\n".join(ln for i, ln in enumerate(doc.lines) if i not in inside).lower()


_TOLD = re.compile(r"\b(?:replac\w*|substitut\w*|fill in|your own|with the (?:name|id))\b|\bwhere\b.*\bis\b", re.I)


def _explained(found: str, prose: str, before: str, comments: str = "") -> bool:
    """The prose or a comment in the block names the fill-in (`Replace <SA_NAME> with ...`), the
    text right before the block says what to put in (`replace`, `where ... is`), or the fill-in
    says it itself (`<value of the namespace label from the alert>`)."""
    if len(re.findall(r"[A-Za-z]+", found)) >= 3 and " " in found:
        return True
    return found.lower() in prose or found.lower() in comments.lower() or bool(_TOLD.search(before))


def _placeholders(
    doc: markdown.Document, scripts: list[extract.ShellScript], commands: list[extract.Command], out: _Collector
) -> None:
    """One finding per fill-in and file: an error when nothing tells the reader what goes there;
    info, once for all of them, when the prose explains it or a `NAME=<value>` line declares it."""
    prose = _prose(doc)
    seen: set[str] = set()
    told: dict[str, int] = {}

    def one(found: str, line: int, text: str, where: str, before: str, comments: str = "") -> None:
        if found in seen:
            return
        seen.add(found)
        declared = re.match(r"^\s*(?:export\s+|local\s+|readonly\s+)?[A-Za-z_]\w*=['\"]?" + re.escape(found), text)
        if declared or _explained(found, prose, before, comments):
            told.setdefault(found, line)
            return
        command = where == "command"
        quoted = _inside_quotes(text, found)
        out.emit(
            line,
            "placeholder",
            "error" if command and not quoted else "warning",
            f"fill-in {found} left in a {where}, and nothing says what goes there"
            + (" (bash reads <x> as a redirection)" if found.startswith("<") and command and not quoted else ""),
            'declare it once at the top of the block (NAME=value, with a comment on where the value comes from) '
            'and use "$NAME"'
            if command
            else "use the real name, or a variable (psql: :'name' set with -v) the text declares",
        )

    for script in scripts:
        text_lines = script.text.split("\n")
        comments = "\n".join(ln for ln in text_lines if ln.lstrip().startswith("#"))
        for offset, found in placeholders.find_placeholder_lines(script.text):
            one(found, script.lines[offset], text_lines[offset], "command", script.block.before, comments)
    for block in doc.blocks:
        if block.language in ("sql", "promql", "redis"):
            comment = {"sql": "--", "promql": "#", "redis": "#"}[block.language]
            content = block.content.split("\n")
            for offset, found in placeholders.find_placeholder_lines(block.content, comment):
                one(found, block.line + offset, content[offset], f"{block.language} query", block.before)
    for cmd in commands:
        if cmd.inline:  # prose naming a command's shape (`kubectl logs <pod>`) explains its own fill-in
            for found in placeholders.find_placeholders(cmd.text):
                if found not in seen:
                    seen.add(found)
                    told.setdefault(found, cmd.line)
    if told:
        names = sorted(told, key=lambda k: told[k])
        out.emit(
            min(told.values()),
            "placeholder.explained",
            "info",
            f"{len(names)} fill-in{'s' * (len(names) != 1)} the text explains or declares: "
            + ", ".join(names[:8])
            + (", ..." if len(names) > 8 else "")
            + " (the reader replaces them before pasting)",
            "declare each once as a shell variable at the top of its block so the commands paste unchanged",
        )


def _inside_quotes(text: str, found: str) -> bool:
    k = text.find(found)
    if k < 0:
        return False
    before = text[:k]
    return before.count("'") % 2 == 1 or before.count('"') % 2 == 1


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
        # `# NAMESPACE='<value of the namespace label>'`: a declaration left for the reader to fill in.
        for m in re.finditer(r"(?m)^\s*#\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=\S", script.text):
            declared.add(m.group(1))
    # Inline code and prose like `NAMESPACE=openshift-monitoring` or "export NS=..." declare too.
    for code in doc.inline:
        for m in re.finditer(r"(?:^|\s|export\s+)([A-Za-z_][A-Za-z0-9_]*)=", code.text):
            declared.add(m.group(1))
    reported: set[str] = set()
    prose = _prose(doc)
    for name, line in uses:
        if name in declared or name in placeholders.WELL_KNOWN or name in reported:
            continue
        reported.add(name)
        # "replace the $CONTROLLERPOD variable with the name of your pod": a fill-in the text explains.
        told = re.search(r"(?<![\w$])\$\{?" + re.escape(name.lower()) + r"\b|`" + re.escape(name.lower()) + "`", prose)
        out.emit(
            line,
            "shell.undeclared-variable",
            "info" if told else "error",
            f"${name} is never set in the runbook"
            + (": the text says what to put in it, the commands don't" if told else ", and nothing says what it holds"),
            f"declare it before use ({name}=value, with a comment on where the value comes from) "
            f"or pass it with --var {name}=...",
        )
    return declared


def _shellcheck_filter(commands: list[extract.Command], declared: set[str], emit: Emit) -> Emit:
    """shellcheck doesn't know what a runbook's wrappers run: a single-quoted script handed to
    `sh -c`, ssh or `kubectl exec` is meant to expand over there (SC2016 is wrong), and a
    double-quoted one that uses only variables the runbook declares is meant to expand here
    (SC2029 is wrong)."""
    wrapped: dict[int, str] = {}
    for cmd in commands:
        if cmd.language == "shell" and not cmd.inline and any(shellwords.inner_commands(s.argv) for s in cmd.simple):
            for k in range((cmd.source or cmd.text).count("\n") + 1):
                wrapped[cmd.line + k] = cmd.text

    blocks = {id(c.block): c.block for c in commands if c.block is not None and c.block.language == "shell"}
    broken_lines = {
        b.line + r.offset
        for b in blocks.values()
        for r in extract.reading_of(b).readings
        if r.kind == "broken" or r.broken
    }
    lines: dict[int, str] = {}
    for cmd in commands:
        if cmd.language == "shell" and not cmd.inline:
            for k, text in enumerate((cmd.source or cmd.text).split("\n")):
                lines.setdefault(cmd.line + k, text)

    def filtered(line: int, rule: str, severity: Severity, message: str, hint: str) -> None:
        if rule in ("shellcheck.SC2215", "shellcheck.SC2288") and line in broken_lines:
            return  # the same fault, said by shell.line-break
        if rule == "shellcheck.SC2016" and line in wrapped:
            return
        quoted = [m for q in re.findall(r"'[^']*'", lines.get(line, "")) for m in re.findall(r"\$\S?", q)]
        if rule == "shellcheck.SC2016" and quoted and all(re.fullmatch(r"\$\d", m) for m in quoted):
            return  # `$1` in a quoted regex replacement: a pasted command has no positional arguments
        if rule == "shellcheck.SC2029" and line in wrapped:
            names = set(re.findall(r"\$\{?([A-Za-z_]\w*)", wrapped[line]))
            if names <= declared | placeholders.WELL_KNOWN:
                return
        emit(line, rule, severity, message, hint)

    return filtered


def _clis_used(commands: list[extract.Command]) -> dict[str, int]:
    """Notable CLIs run by fenced commands, with the line of their first use."""
    used: dict[str, int] = {}
    for cmd in commands:
        if cmd.inline or cmd.language != "shell":
            continue
        for simple in cmd.simple:
            argv = shellwords.unwrap(simple.argv)
            tool = argv[0].rsplit("/", 1)[-1] if argv else ""
            if tool in structure.notable_clis():
                used.setdefault(tool, cmd.line)
    return used
