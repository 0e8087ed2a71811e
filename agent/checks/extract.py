"""The commands of a document, whatever their form: shell blocks (with or without `$ ` prompts and
output), SQL, PromQL and redis blocks, SQL in psql heredocs and `-c` strings, and inline commands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.checks import shellwords
from agent.checks.markdown import CodeBlock, Document

# Inline code read as a command when it starts with one of these and has an argument.
INLINE_TOOLS = {
    "kubectl",
    "oc",
    "helm",
    "aws",
    "psql",
    "redis-cli",
    "docker",
    "docker-compose",
    "podman",
    "systemctl",
    "journalctl",
    "etcdctl",
    "virtctl",
    "gcloud",
    "terraform",
    "curl",
    "patronictl",
    "gitlab-ctl",
    "sudo",
}


@dataclass
class Command:
    """One command a reader would paste, located in the file."""

    language: str  # shell, sql, promql, redis
    text: str
    line: int
    section: str
    block: CodeBlock | None  # None for inline commands
    inline: bool = False
    simple: list[shellwords.Simple] = field(default_factory=list)  # shell: its simple commands, nested too
    heredocs: list[tuple[str, bool]] = field(default_factory=list)
    comment_above: str = ""
    source: str = ""  # what to run: the command with its heredoc bodies


@dataclass
class ShellScript:
    """A shell block's command lines only (prompts and output removed), with file line numbers."""

    block: CodeBlock
    text: str
    lines: list[int]  # file line of each line of `text`


def script_of(block: CodeBlock) -> ShellScript:
    raw = block.content.rstrip("\n").split("\n")
    if not shellwords.has_prompts(block.content):
        return ShellScript(block, "\n".join(raw), [block.line + i for i in range(len(raw))])
    kept: list[str] = []
    where: list[int] = []
    carry = False
    heredoc: str | None = None
    for i, ln in enumerate(raw):
        if heredoc is not None:
            kept.append(ln)
            where.append(block.line + i)
            if ln.strip() == heredoc:
                heredoc = None
            continue
        m = shellwords._PROMPT.match(ln)
        if m or carry:
            text = m.group(2) if m and not carry else ln
            kept.append(text)
            where.append(block.line + i)
            joined = "\n".join(kept[-5:])
            carry = text.rstrip().endswith(("\\", "|", "&&")) or shellwords._unbalanced(joined if carry else text)
            if h := re.search(r"<<-?\s*['\"]?([A-Za-z_]\w*)", text):
                heredoc = h.group(1)
    return ShellScript(block, "\n".join(kept), where)


def nested_commands(simple_text: str, depth: int = 0) -> list[shellwords.Simple]:
    parsed = shellwords.parse(simple_text)
    out = list(parsed.commands)
    if depth < 3:
        for sub in parsed.substitutions:
            out.extend(nested_commands(sub, depth + 1))
    return out


def shell_commands(block: CodeBlock) -> list[Command]:
    out: list[Command] = []
    for line in shellwords.logical_lines(block.content, block.line):
        simple = nested_commands(line.text)
        for body, expands in line.heredocs:
            if expands:
                for sub in shellwords.body_substitutions(body):
                    simple.extend(nested_commands(sub))
        out.append(
            Command(
                "shell",
                line.text,
                line.line,
                block.section,
                block,
                simple=simple,
                heredocs=line.heredocs,
                comment_above=line.comment_above,
                source=line.source,
            )
        )
    return out


def sql_statements(code: str, first_line: int) -> list[tuple[str, int]]:
    """Statements of a SQL block split on `;` outside quotes and comments; psql meta-commands
    (`\\x`, `\\dt`) dropped. (statement, file line of its first non-blank line)."""
    out: list[tuple[str, int]] = []
    current: list[str] = []
    start = -1
    quote = ""
    lines = code.split("\n")
    for offset, ln in enumerate(lines):
        if not quote and ln.lstrip().startswith("\\"):
            continue
        i = 0
        buf = []
        while i < len(ln):
            c = ln[i]
            if start < 0 and not c.isspace() and not ln.startswith("--", i):
                start = offset
            if quote:
                buf.append(c)
                if c == quote:
                    quote = ""
            elif ln.startswith("--", i):
                break
            elif c in "'\"":
                quote = c
                buf.append(c)
            elif ln.startswith("$$", i):
                quote = "$"
                buf.append(c)
            elif c == ";":
                current.append("".join(buf))
                stmt = "\n".join(current).strip()
                if stmt:
                    out.append((stmt, first_line + start))
                current, buf, start = [], [], -1
            else:
                buf.append(c)
            i += 1
        text = "".join(buf)
        if text.strip() and start < 0:
            start = offset
        current.append(text)
    stmt = "\n".join(current).strip()
    if stmt:
        out.append((stmt, first_line + max(start, 0)))
    return out


def block_commands(block: CodeBlock) -> list[Command]:
    if block.language == "shell":
        return shell_commands(block)
    if block.language == "sql":
        lines = block.content.split("\n")
        out = []
        for stmt, line in sql_statements(block.content, block.line):
            above: list[str] = []
            k = line - block.line - 1
            while k >= 0 and lines[k].lstrip().startswith("--"):
                above.insert(0, lines[k].strip())
                k -= 1
            out.append(Command("sql", stmt, line, block.section, block, comment_above="\n".join(above)))
        return out
    if block.language == "promql":
        return [Command("promql", q, line, block.section, block) for q, line in promql_queries(block)]
    if block.language == "redis":
        out = []
        for offset, ln in enumerate(block.content.split("\n")):
            text = re.sub(r"^\s*(\S+:\d+(\[\d+\])?>|redis>)\s*", "", ln).strip()  # "127.0.0.1:6379> GET x"
            if text and not text.startswith(("#", "//")):
                out.append(Command("redis", text, block.line + offset, block.section, block))
        return out
    return []


def promql_queries(block: CodeBlock) -> list[tuple[str, int]]:
    """A PromQL block holds one query, or several separated by blank lines; `#` lines are comments."""
    out: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    for offset, ln in enumerate(block.content.split("\n") + [""]):
        if not ln.strip() or ln.lstrip().startswith("#"):
            if current:
                out.append(("\n".join(current), block.line + start))
                current = []
            continue
        if not current:
            start = offset
        current.append(ln)
    return out


def inline_commands(doc: Document) -> list[Command]:
    out = []
    for code in doc.inline:
        words = code.text.split()
        # `kubectl apply/create/delete` in prose names commands; it isn't one.
        if len(words) >= 2 and words[0] in INLINE_TOOLS and "\n" not in code.text and "/" not in words[1]:
            out.append(
                Command(
                    "shell",
                    code.text,
                    code.line,
                    code.section,
                    None,
                    inline=True,
                    simple=nested_commands(code.text),
                    comment_above=code.context,
                )
            )
    return out


def all_commands(doc: Document) -> list[Command]:
    out: list[Command] = []
    for block in doc.blocks:
        out.extend(block_commands(block))
    out.extend(inline_commands(doc))
    out.sort(key=lambda c: c.line)
    return out
