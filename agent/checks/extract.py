"""The commands of a document, whatever their form: shell blocks (with or without `$ ` prompts and
output), SQL, PromQL and redis blocks, SQL in psql heredocs and `-c` strings, and inline commands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.checks import shellwords, transcript
from agent.checks.markdown import CodeBlock, Document


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
    dialect: str = ""  # SQL: "" (PostgreSQL) or the other dialect it is written in (mysql, bigquery, ...)


@dataclass
class ShellScript:
    """A shell block's command lines only (prompts and output removed), with file line numbers."""

    block: CodeBlock
    text: str
    lines: list[int]  # file line of each line of `text`


def reading_of(block: CodeBlock) -> transcript.Transcript:
    """Each line of a shell block labelled: command, a program's input, output, comment (cached)."""
    cached = _READINGS.get(id(block))
    if cached is not None and cached[0] is block:
        return cached[1]
    from agent.checks.markdown import known_commands

    result = transcript.read(block.content, known_commands())
    _READINGS[id(block)] = (block, result)
    return result


_READINGS: dict[int, tuple[CodeBlock, transcript.Transcript]] = {}


def script_of(block: CodeBlock) -> ShellScript:
    """The block's shell commands only, line for line: prompts cut off, output and other
    programs' input blanked (so line numbers stay those of the file)."""
    raw = block.content.rstrip("\n").split("\n")
    kept = [""] * len(raw)
    for r in reading_of(block).readings:
        if r.kind in ("shell", "comment"):
            kept[r.offset] = r.text
    return ShellScript(block, "\n".join(kept), [block.line + i for i in range(len(raw))])


def nested_commands(simple_text: str, depth: int = 0) -> list[shellwords.Simple]:
    """The simple commands of a line, then those in its `$(...)` and in what its wrappers run
    (`ssh host 'cmd'`, `kubectl exec POD -- cmd`, `knife ssh Q 'cmd'`, ...), read alike."""
    parsed = shellwords.parse(simple_text)
    out = list(parsed.commands)
    if depth < 3:
        for sub in parsed.substitutions:
            out.extend(nested_commands(sub, depth + 1))
        for simple in parsed.commands:
            for inner in shellwords.inner_commands(simple.argv):
                out.extend(nested_commands(inner, depth + 1))
    return out


def shell_commands(block: CodeBlock) -> list[Command]:
    out: list[Command] = []
    reading = reading_of(block)
    for r in reading.readings:  # a psql / redis-cli session opened from the shell
        if r.kind == "redis" and r.text.strip():
            out.append(Command("redis", r.text.strip(), block.line + r.offset, block.section, block))
    sql_lines = [r for r in reading.readings if r.kind == "sql"]
    if sql_lines:
        text = "\n".join(r.text if r.kind == "sql" else "" for r in _span(reading.readings, sql_lines))
        first = sql_lines[0].offset
        for stmt, at in sql_statements(text, block.line + first):
            out.append(Command("sql", stmt, at, block.section, block))
    script = script_of(block)
    for line in shellwords.logical_lines(script.text, block.line):
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


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_]\w*)?\$")


def _span(readings: list[transcript.Reading], chosen: list[transcript.Reading]) -> list[transcript.Reading]:
    lo, hi = chosen[0].offset, chosen[-1].offset
    return [r for r in readings if lo <= r.offset <= hi]


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
            if quote:  # inside '...', "...", $tag$...$tag$ or /* ... */: `;` does not end anything
                if ln.startswith(quote, i):
                    buf.append(quote)
                    i += len(quote)
                    quote = ""
                    continue
                buf.append(c)
            elif ln.startswith("--", i):
                break
            elif c in "'\"":
                quote = c
                buf.append(c)
            elif ln.startswith("/*", i):
                quote = "*/"
                buf.append("/*")
                i += 2
                continue
            elif c == "$" and (m := _DOLLAR_TAG.match(ln, i)) and not (i and (ln[i - 1].isalnum() or ln[i - 1] == "_")):
                quote = m.group(0)
                buf.append(quote)
                i += len(quote)
                continue
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


# Fence tags of SQL dialects other than PostgreSQL's, and what gives a dialect away in the text.
_DIALECT_TAGS = {
    "mysql": "MySQL", "mariadb": "MySQL", "bigquery": "BigQuery", "bq": "BigQuery", "googlesql": "BigQuery",
    "sqlite": "SQLite", "sqlite3": "SQLite", "tsql": "T-SQL", "mssql": "T-SQL", "sqlserver": "T-SQL",
    "clickhouse": "ClickHouse", "snowflake": "Snowflake", "hive": "HiveQL", "hql": "HiveQL", "spark": "Spark SQL",
    "sparksql": "Spark SQL", "presto": "Trino", "trino": "Trino", "cql": "CQL", "cassandra": "CQL",
    "kql": "KQL", "plsql": "PL/SQL", "oracle": "PL/SQL",
}
_DIALECT_SIGNS = [
    (re.compile(r"`[\w-]+\.[\w-]+(?:\.[\w-]+)?`|"
                r"\b(?:SAFE_CAST|SAFE_DIVIDE|QUALIFY|EXCEPT\s*\(|STRUCT<|ARRAY_AGG\(.*IGNORE NULLS)|"
                r"\bFROM\s+`", re.I), "BigQuery"),
    (re.compile(r"\\G\s*$|\bSHOW\s+(?:FULL\s+)?PROCESSLIST\b|\bSHOW\s+(?:SLAVE|REPLICA|MASTER|ENGINE|BINARY)\b|"
                r"\bENGINE\s*=|\bAUTO_INCREMENT\b|`\w+`", re.I | re.M), "MySQL"),
    (re.compile(r"\bPRAGMA\b", re.I), "SQLite"),
    (re.compile(r"\bTOP\s+\d+\b|\bGO\s*$|\bNOLOCK\b", re.I | re.M), "T-SQL"),
]


def sql_dialect(tag: str, content: str) -> str:
    """"" for PostgreSQL (what the parser checks), else the name of the dialect the SQL is in."""
    if tag in _DIALECT_TAGS:
        return _DIALECT_TAGS[tag]
    for pattern, name in _DIALECT_SIGNS:
        if pattern.search(content):
            return name
    return ""


def block_commands(block: CodeBlock) -> list[Command]:
    if block.language == "shell":
        return shell_commands(block)
    if block.language == "sql":
        lines = block.content.split("\n")
        out = []
        typed = transcript.sql_statements_of(block.content)  # `db=# SELECT ...` with output after it
        if typed is not None:
            statements = [
                (stmt, block.line + offset + sub - first_line)
                for text, offset in typed
                for first_line in [block.line]
                for stmt, sub in sql_statements(text, first_line)
            ]
        else:
            statements = sql_statements(block.content, block.line)
        dialect = sql_dialect(block.tag, block.content)
        for stmt, line in statements:
            above: list[str] = []
            k = line - block.line - 1
            while k >= 0 and lines[k].lstrip().startswith("--"):
                above.insert(0, lines[k].strip())
                k -= 1
            out.append(
                Command("sql", stmt, line, block.section, block, comment_above="\n".join(above), dialect=dialect)
            )
        return out
    if block.language == "promql":
        return [Command("promql", q, line, block.section, block) for q, line in promql_queries(block)]
    if block.language == "redis":
        out = []
        raw = block.content.split("\n")
        prompted = any(transcript.program_prompt(ln) for ln in raw)
        for offset, ln in enumerate(raw):
            p = transcript.program_prompt(ln)  # "127.0.0.1:6379> GET x"; the lines after it are replies
            if prompted and (p is None or p[0] != "redis"):
                continue
            text = (p[1] if p else ln).strip()
            if text and not text.startswith(("#", "//")) and not transcript.looks_like_output(text):
                out.append(Command("redis", text, block.line + offset, block.section, block))
        return out
    return []


def promql_queries(block: CodeBlock) -> list[tuple[str, int]]:
    """A PromQL block holds one query, or several separated by blank lines (or one per line);
    `#` and `//` lines are comments, inside a query too."""
    out: list[tuple[str, int]] = []
    current: list[tuple[str, int]] = []
    for offset, ln in enumerate(block.content.split("\n") + [""]):
        if ln.lstrip().startswith(("#", "//")):
            continue
        if not ln.strip():
            if current:
                out.extend(_one_or_each(current, block.line))
                current = []
            continue
        current.append((ln, offset))
    return out


def _one_or_each(lines: list[tuple[str, int]], first: int) -> list[tuple[str, int]]:
    """A chunk is one query, unless each of its lines is a query of its own."""
    whole = ("\n".join(t for t, _ in lines), first + lines[0][1])
    if len(lines) < 2:
        return [whole]
    from agent.checks.promql import parse_error

    if parse_error(whole[0]) is not None and all(parse_error(t) is None for t, _ in lines):
        return [(t, first + o) for t, o in lines]
    return [whole]


def inline_commands(doc: Document) -> list[Command]:
    """Inline code read as a command: it starts with a tool the catalogue marks `inline` and has an argument."""
    from agent.checks import catalogue

    inline = catalogue.marked("inline")
    out = []
    for code in doc.inline:
        words = code.text.split()
        # `kubectl apply/create/delete` in prose names commands; it isn't one.
        if len(words) >= 2 and words[0] in inline and "\n" not in code.text and "/" not in words[1]:
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
    from agent.checks import functions

    return functions.see_through(doc, out)  # `on_hosts 'CMD'` is read as what the function runs
