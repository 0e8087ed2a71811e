"""SQL checked with the PostgreSQL parser itself (pglast): SQL blocks, `psql -c` strings and psql heredocs."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from agent.checks import catalogue, shellwords
from agent.checks.extract import Command
from agent.checks.structure import Emit

_PSQL_VAR = re.compile(r":'[A-Za-z_]\w*'|:\"[A-Za-z_]\w*\"|(?<![:\w]):[A-Za-z_]\w*")
_SHELL_VAR = re.compile(r"\$\{[A-Za-z_]\w*[^}]*\}|\$[A-Za-z_]\w*")
_PLACEHOLDER_LIKE = re.compile(r"<[A-Za-z][\w-]*>|\[[A-Za-z][\w -]+\]|\{\{\s*[\w-]+\s*\}\}")


def _dummy_psql_var(m: re.Match[str]) -> str:
    text = m.group(0)
    if text.startswith(":'"):
        return "'x'"
    if text.startswith(':"'):
        return '"x"'
    return "1"


# Dollar-quoted bodies (`$$ ... $$`, `$fn$ ... $fn$`) are kept whole: their `$` are not variables.
_DOLLAR_QUOTED = re.compile(r"(\$(?:[A-Za-z_]\w*)?\$).*?\1", re.S)
_SKIP_OR_VAR = re.compile(_DOLLAR_QUOTED.pattern + "|(" + _SHELL_VAR.pattern + ")", re.S)


def prepare(sql: str) -> str:
    """psql variables, shell variables and placeholders replaced by dummies the parser accepts."""
    sql = "\n".join("" if ln.lstrip().startswith("\\") else ln for ln in sql.split("\n")).replace("\\;", ";")
    sql = _PSQL_VAR.sub(_dummy_psql_var, sql)
    sql = _SKIP_OR_VAR.sub(lambda m: "x" if m.group(2) else m.group(0), sql)
    return _PLACEHOLDER_LIKE.sub("x", sql)


@cache
def _parses() -> Any:
    """Parses kept across runs (pglast costs ~150 ms to import; a known statement needs none)."""
    from importlib.metadata import PackageNotFoundError, version

    from agent.checks.verdicts import Store

    try:
        pg = version("pglast")
    except PackageNotFoundError:
        pg = "?"
    store = Store("sql-parses", f"pglast {pg}")
    import atexit

    atexit.register(store.save)
    return store


def _parse(sql: str) -> dict[str, Any]:
    """{"error": [message, offset] | None, "kinds": [node names] | None} for the prepared SQL."""
    text = prepare(sql)
    known = _parses().get(text)
    if isinstance(known, dict):
        return known
    import pglast
    from pglast.parser import ParseError

    try:
        result: dict[str, Any] = {"error": None, "kinds": [type(s.stmt).__name__ for s in pglast.parse_sql(text)]}
    except ParseError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        offset = int(exc.args[1]) if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        result = {"error": [message, offset], "kinds": None}
    _parses().put(text, result)
    return result


def parse_error(sql: str) -> tuple[str, int] | None:
    """(message, character offset) when PostgreSQL's parser rejects the SQL, else None."""
    error = _parse(sql)["error"]
    return None if error is None else (str(error[0]), int(error[1]))


def statement_kinds(sql: str) -> list[str] | None:
    """Node names of each statement (SelectStmt, DropStmt, ...), None when it does not parse."""
    kinds = _parse(sql)["kinds"]
    return None if kinds is None else [str(k) for k in kinds]


def psql_sql(simple: shellwords.Simple) -> list[str]:
    """SQL passed to psql on its command line: -c / --command values."""
    argv = shellwords.unwrap(simple.argv)
    if not argv or not catalogue.is_tool(argv[0], "psql"):
        return []
    out: list[str] = []
    for i, word in enumerate(argv):
        if word in ("-c", "--command") and i + 1 < len(argv):
            out.append(argv[i + 1])
        elif word.startswith("--command="):
            out.append(word.split("=", 1)[1])
        elif re.fullmatch(r"-[A-Za-z]+", word) and "c" in word:  # -Atc "SQL" / -cSQL
            if word.endswith("c") and i + 1 < len(argv):
                out.append(argv[i + 1])
        elif word.startswith("-c") and len(word) > 2 and not word.startswith("--"):
            out.append(word[2:])
    return out


def _pgbouncer_console(simple: shellwords.Simple) -> bool:
    """psql into PgBouncer's admin console (database "pgbouncer"): SHOW/PAUSE/RESUME/RELOAD, not SQL."""
    argv = shellwords.unwrap(simple.argv)
    return any(
        (word in ("-d", "--dbname") and argv[i + 1 : i + 2] == ["pgbouncer"])
        or word == "--dbname=pgbouncer"
        or re.search(r"(^|\s)dbname=pgbouncer(\s|$)", word) is not None
        for i, word in enumerate(argv)
    )


def sql_of(cmd: Command) -> list[str]:
    """Every SQL text a command carries."""
    if cmd.language == "sql":
        return [cmd.text]
    if cmd.language != "shell":
        return []
    out: list[str] = []
    for simple in cmd.simple:
        if not _pgbouncer_console(simple):
            out.extend(psql_sql(simple))
    top = shellwords.parse(cmd.text).commands  # the heredoc feeds these, not commands nested in $(...)
    if cmd.heredocs and any(catalogue.is_tool((shellwords.unwrap(s.argv) or [""])[0], "psql") for s in top):
        out.extend(body for body, _ in cmd.heredocs)
    return out


def check(commands: list[Command], emit: Emit, skipped: list[str] | None = None) -> None:
    other: dict[str, int] = {}
    for cmd in commands:
        if cmd.dialect:  # pglast knows PostgreSQL only: say so instead of failing MySQL or BigQuery
            other[cmd.dialect] = other.get(cmd.dialect, 0) + 1
            continue
        for sql in sql_of(cmd):
            error = parse_error(sql)
            if error is None:
                continue
            message, offset = error
            line = cmd.line + (prepare(sql)[:offset].count("\n") if cmd.language == "sql" else 0)
            snippet = sql.strip().split("\n")[0][:60]
            emit(
                line,
                "sql.syntax",
                "error",
                f"PostgreSQL parser: {message} in {snippet!r}",
                "fix the SQL so PostgreSQL accepts it (check keywords, commas and quotes)",
            )
    for dialect, count in other.items():
        if skipped is not None:
            skipped.append(
                f"sql: {count} {dialect} statement{'s' * (count != 1)} not parsed (the SQL check knows PostgreSQL)"
            )
