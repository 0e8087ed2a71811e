"""From a runbook's shell line to what the live runner will do, or why it won't: deny by default.

The line is read by a strict reader of a tiny shell subset — words, single and double quotes,
`$NAME` / `${NAME}` (values we substitute ourselves), `|` between commands, a trailing comment —
and refused on anything else: redirections, `;` `&&` `||` `&`, `$(...)`, backticks, `$'...'`,
globs, braces, `(`, heredocs, `NAME=value cmd`. A line that is only `NAME=value` or
`NAME=$(allowed command)` sets a variable for later lines. Each command of the pipeline must be a
catalogue entry marked `live: true`, every flag marked live with a value of its kind, positionals of
the declared kinds; after a `|`, only pure filters. psql and redis-cli lines become driver calls.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from agent.checks import catalogue
from agent.checks.catalogue import Tool, values
from agent.checks.catalogue.parse import Parsed, parse
from agent.checks.live import Refused, redis_gate, secrets, sql_gate
from agent.checks.live.drivers import PgTarget, RedisTarget, pg_conninfo, redis_url

RUNTIME = "\x00runtime"  # a variable a dry run can't know yet (set by an earlier NAME=$(...) line)
_UNQUOTED = re.compile(r"[A-Za-z0-9_./:@%+=,^~-]")
_SPECIAL_VARS = set("0123456789@*#?$!-")
_HARMLESS_REDIRECT = re.compile(r"((?:[12]?>) ?/dev/null|2>&1)(?=[\s|]|$)")


@dataclass
class Word:
    parts: list[tuple[str, bool]] = field(default_factory=list)  # (text, is a variable name)

    @property
    def literal(self) -> bool:
        return all(not var for _, var in self.parts)


@dataclass
class Plan:
    kind: str  # program, postgres, redis, assign
    argvs: list[list[str]] = field(default_factory=list)  # program: the pipeline; drivers: filters after them
    streams: list[list[str]] = field(default_factory=list)  # per argv: 2>/dev/null, >/dev/null, 2>&1
    tools: list[Tool] = field(default_factory=list, repr=False)
    sql: str = ""
    sql_fields: frozenset[str] = frozenset()  # see sql_gate.Allowed.fields
    sql_relations: frozenset[tuple[str, str]] = frozenset()  # see sql_gate.Allowed.relations
    sql_operators: frozenset[str] = frozenset()
    sql_functions: frozenset[str] = frozenset()  # see sql_gate.Allowed.functions
    pg: PgTarget | None = None
    redis_words: list[str] = field(default_factory=list)
    redis: RedisTarget | None = None
    scan: tuple[str, int] | None = None
    note: str = ""  # what the runner changed about the command
    assign: str = ""  # the variable this line sets
    value: str = ""  # a literal assignment's value
    inner: Plan | None = None  # NAME=$(inner)
    captured: bool = False  # a literal assignment whose value came from a command's output


def tokenize(text: str, streams_out: list[list[str]] | None = None) -> list[list[Word]]:
    """The commands of a pipeline as words, or Refused naming the shell feature. The only
    redirections read are those that write nothing: 2>/dev/null, >/dev/null, 2>&1 (into
    `streams_out`, one list per command)."""
    commands: list[list[Word]] = [[]]
    streams: list[list[str]] = [[]]  # per command: the harmless redirections it had
    i, n = 0, len(text)
    word: Word | None = None

    def end_word() -> None:
        nonlocal word
        if word is not None:
            commands[-1].append(word)
            word = None

    def add(piece: str, var: bool = False) -> None:
        nonlocal word
        if word is None:
            word = Word()
        if not var and word.parts and not word.parts[-1][1]:
            word.parts[-1] = (word.parts[-1][0] + piece, False)  # adjacent literal text is one part
        else:
            word.parts.append((piece, var))

    while i < n:
        c = text[i]
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "\n":
            end_word()
            if commands[-1]:
                raise Refused("more than one command on the line")
            i += 1
            continue
        if c == "#" and word is None:
            nl = text.find("\n", i)
            if nl >= 0 and text[nl:].strip():
                raise Refused("more than one command on the line")
            break
        if c == "|":
            end_word()
            if text.startswith(("||", "|&"), i):
                raise Refused(f"shell operator {text[i:i + 2]} is not run")
            if not commands[-1]:
                raise Refused("a pipe with no command before it")
            commands.append([])
            streams.append([])
            i += 1
            while i < n and text[i] in " \t\n":
                i += 1
            continue
        if c in ";&":
            raise Refused("a command list or background job (; & &&) is not run")
        if c in "<>" or (c in "12" and word is None and text.startswith(">", i + 1)):
            if text.startswith(("<(", ">("), i):
                raise Refused("process substitution <(...) is not run")
            m = _HARMLESS_REDIRECT.match(text, i)
            if m and word is None:
                streams[len(commands) - 1].append(m.group(1).replace(" ", ""))
                i = m.end()
                continue
            raise Refused("redirections (< > >> &> other than 2>/dev/null, >/dev/null, 2>&1) are not run")
        if c in "()":
            raise Refused("subshells, functions and process substitution are not run")
        if c == "`":
            raise Refused("command substitution (`...`) is not run")
        if c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise Refused("an unclosed quote")
            add(text[i + 1 : j])
            i = j + 1
            continue
        if c == '"':
            if word is None:
                word = Word()
            i = _double_quoted(text, i + 1, add)
            continue
        if c == "$":
            i = _dollar(text, i, add)
            continue
        if c == "\\":
            if i + 1 >= n or text[i + 1] == "\n":
                i += 2
                continue
            add(text[i + 1])
            i += 2
            continue
        if c == "~" and word is None:
            raise Refused("tilde expansion (~) is not run")
        if not _UNQUOTED.match(c):
            what = {"*": "glob", "?": "glob", "[": "glob", "{": "brace expansion", "}": "brace expansion", "!": "!"}
            raise Refused(f"unquoted {what.get(c, repr(c))} character is not run")
        add(c)
        i += 1
    end_word()
    if streams_out is not None:
        streams_out[:] = streams
    if not commands[-1]:
        if len(commands) > 1:
            raise Refused("a pipe with no command after it")
        return []
    return commands


def _double_quoted(text: str, i: int, add: object) -> int:
    assert callable(add)
    n = len(text)
    buf: list[str] = []
    while i < n:
        c = text[i]
        if c == '"':
            add("".join(buf))
            return i + 1
        if c == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
            if text[i + 1] != "\n":
                buf.append(text[i + 1])
            i += 2
            continue
        if c == "`":
            raise Refused("command substitution (`...`) is not run")
        if c == "$":
            add("".join(buf))
            buf = []
            i = _dollar(text, i, add)
            continue
        buf.append(c)
        i += 1
    raise Refused("an unclosed quote")


def _dollar(text: str, i: int, add: object) -> int:
    assert callable(add)
    rest = text[i + 1 :]
    if rest.startswith("(("):
        raise Refused("arithmetic expansion $((...)) is not run")
    if rest.startswith("("):
        raise Refused("command substitution $(...) is not run")
    if rest.startswith(("'", '"')):
        raise Refused("ANSI-C / locale quoting ($'...', $\"...\") is not run")
    if rest.startswith("{"):
        m = re.match(r"\{([A-Za-z_]\w*)\}", rest)
        if m:
            add(m.group(1), True)
            return i + 1 + m.end()
        # ${NAME:-default} (a plain default) and ${NAME:?message} (NAME must be given): nothing runs
        m = re.match(r"\{([A-Za-z_]\w*):?-([A-Za-z0-9_.:/@%+=,-]*)\}", rest)
        if m:
            add(m.group(1) + "\x00" + m.group(2), True)
            return i + 1 + m.end()
        m = re.match(r"\{([A-Za-z_]\w*):?\?[^}$`]*\}", rest)
        if m:
            add(m.group(1), True)
            return i + 1 + m.end()
        raise Refused("parameter expansion ${...} with operators is not run")
    m = re.match(r"[A-Za-z_]\w*", rest)
    if m:
        add(m.group(0), True)
        return i + 1 + m.end()
    if rest[:1] in _SPECIAL_VARS:
        raise Refused(f"special parameter ${rest[0]} is not run")
    add("$")
    return i + 1


class Variables(dict[str, str]):
    """The values `$NAME` takes: --var and earlier `NAME=...` lines; `captured` names the ones read from
    a command's output (what a file or a database held), which never reach a host the line names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.captured: set[str] = set()


def resolve(word: Word, variables: dict[str, str], captured: list[str] | None = None) -> str:
    """The word with its `$NAME`s filled in; `captured` collects the names it used that were read from a
    command's output."""
    out: list[str] = []
    for piece, var in word.parts:
        if not var:
            out.append(piece)
            continue
        piece, _, default = piece.partition("\x00")
        if piece not in variables and _:
            out.append(default)
            continue
        if piece not in variables:
            raise Refused(f"needs ${piece} (pass --var {piece}=VALUE)")
        value = variables[piece]
        if secrets.NAMED.search(piece):  # the drivers take it from --var themselves; argv goes where the line says
            raise Refused(f"${piece} is a secret: never put into a command's arguments (the SQL and Redis drivers "
                          "use it from --var for the server it was given for)")
        if secrets.embedded(value):  # `redis-cli -u "$REDIS_URL" -h elsewhere`, `curl "…?u=$DATABASE_URL"`
            value = secrets.without_password(value)
        if value != RUNTIME and not values.plain(value):
            raise Refused(f"${piece}'s value is not a plain value (letters, digits, ._:/@%+=,~*-): never substituted")
        if captured is not None and piece in getattr(variables, "captured", ()):
            captured.append(piece)
        out.append("1" if value == RUNTIME else value)
    return "".join(out)


_ASSIGN_SUB = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=(\"?)\$\(")
_NAME_EQ = re.compile(r"^([A-Za-z_]\w*)=")


def plan_line(text: str, variables: dict[str, str]) -> Plan:
    """What to do for one shell line (heredocs already refused by the caller)."""
    m = _ASSIGN_SUB.match(text)
    if m:  # NAME=$(command) or NAME="$(command)": the inner command is planned like any other line
        from agent.checks.shellwords import _matching

        open_paren = m.end() - 1
        close = _matching(text, open_paren, "(", ")")
        inner, rest = text[open_paren + 1 : close - 1], text[close:]
        if m.group(2):
            if not rest.startswith('"'):
                raise Refused("an unclosed quote")
            rest = rest[1:]
        if rest.strip() and not rest.strip().startswith("#") or not rest[:1].isspace() and rest:
            raise Refused("an assignment with more after the $(...)")
        if "$(" in inner or "`" in inner:
            raise Refused("nested command substitution is not run")
        return Plan("assign", assign=m.group(1), inner=plan_pipeline(inner, variables))
    commands = tokenize(text)
    if len(commands) == 1:
        words = commands[0]
        if len(words) == 2 and words[0].literal and words[0].parts == [("export", False)]:
            words = words[1:]
        head = words[0].parts[0][0] if words and words[0].parts and not words[0].parts[0][1] else ""
        eq = _NAME_EQ.match(head)
        if eq and len(words) == 1:
            value_word = Word([(head[eq.end() :], False), *words[0].parts[1:]])
            read: list[str] = []
            value = resolve(value_word, variables, read)
            if not values.plain(value):
                raise Refused(f"{eq.group(1)}'s value is not a plain value: not kept")
            return Plan("assign", assign=eq.group(1), value=value, captured=bool(read))
    return plan_pipeline(text, variables)


def plan_pipeline(text: str, variables: dict[str, str]) -> Plan:
    streams: list[list[str]] = []
    commands = tokenize(text, streams)
    if not commands:
        raise Refused("no command")
    argvs: list[list[str]] = []
    read: list[str] = []  # $NAMEs read from a command's output
    for words in commands:
        if not words[0].literal:
            raise Refused("the command name comes from a variable")
        if re.match(r"^[A-Za-z_]\w*=", "".join(p for p, _ in words[0].parts)):
            raise Refused("NAME=value before a command changes its environment: not run")
        argvs.append([resolve(w, variables, read) for w in words])
    first = _vet_command(argvs[0], as_filter=False)
    plan: Plan
    if first.tool.runner == "postgres":
        plan = _postgres(first.parsed)
        own_server = bool({"host", "hostaddr", "port"} & plan.pg.params.keys()) if plan.pg else True
    elif first.tool.runner == "redis":
        plan = _redis(first.parsed)
        own_server = plan.redis != RedisTarget()
    else:
        plan, own_server = Plan("program"), True
    if read and first.tool.reaches and own_server:
        raise Refused(f"${read[0]} was read from a command's output: it never goes to a host {first.tool.name} "
                      "is pointed at here (what a file or a database holds would leave with it)")
    if plan.kind == "program":
        plan.argvs.append([*_program(first.tool), *first.tool.live_prefix, *first.argv[1:]])
        plan.tools.append(first.tool)
    plan.note = first.note
    if plan.kind != "program" and streams[0]:
        raise Refused(f"{first.tool.name} with a redirection: not run")
    for argv in argvs[1:]:
        later = _vet_command(argv, as_filter=True)
        plan.argvs.append([*_program(later.tool), *later.argv[1:]])
        plan.tools.append(later.tool)
    plan.streams = streams if plan.kind == "program" else streams[1:]
    return plan


@dataclass
class _Vetted:
    tool: Tool
    parsed: Parsed
    argv: list[str]  # what runs (a wrapper's inner command when the line had `timeout N`)
    note: str = ""  # what the runner changed (`sudo CMD` runs CMD as you)


def _program(tool: Tool) -> list[str]:
    from agent.checks.live.sandbox import which

    path = which(tool.name) if tool.runner is None else tool.name
    if path is None:
        raise Refused(f"{tool.name} is not installed here")
    return [path]


def _vet_command(argv: list[str], *, as_filter: bool) -> _Vetted:
    name = argv[0]
    if "/" in name:
        raise Refused(f"{name}: a program named by its path is not run (the allowlist names tools)")
    tool = catalogue.tool(name)
    if tool is None:
        raise Refused(f"{name} is not in the catalogue: not run")
    parsed = parse(tool, argv[1:])
    label = " ".join([name, *parsed.path])
    if parsed.problem:
        raise Refused(f"{label}: {parsed.problem}")
    level, why = parsed.klass()
    if level not in ("read-only", "wrapper"):
        raise Refused(f"{label}: {level}" + (f" ({why})" if why else ""))
    cmd = parsed.command
    if not parsed.listed or not cmd.live:
        raise Refused(f"{label} is not on the live allowlist" + (f" ({cmd.reason})" if cmd.reason else ""))
    if as_filter and tool.filter is None:
        raise Refused(f"{name} is not a pure filter: nothing but grep, head, wc, jq, ... runs after |")
    if as_filter and tool.runner is not None:
        raise Refused(f"{name} reads its input from a pipe: not run")
    for use in parsed.flags:
        flag = use.flag
        if not flag.live:
            why = f" ({flag.reason})" if flag.reason else ""
            raise Refused(f"{label}: flag {use.word} is not on the live allowlist{why}")
        if flag.name == "--*":
            _vet_wildcard(tool, label, use.word)
        if use.value is not None and flag.value is not None and not values.valid(flag.value, use.value):
            raise Refused(f"{label}: {flag.name} {use.value[:60]!r} is not a plain {flag.value}")
        if use.value is not None and flag.value == "path":
            _vet_path(label, use.value)
    if cmd.klass == "wrapper":
        return _wrapper(tool, parsed, as_filter)
    args = cmd.args
    assert args is not None  # the loader requires args on live commands
    shift = _filled(parsed)
    limit = tool.filter if as_filter else args.max
    limit = None if limit is None else limit - shift
    count = len(parsed.positionals)
    if count < args.min - shift or (limit is not None and count > limit):
        where = "after |" if as_filter else ""
        raise Refused(f"{label}: {count} argument(s) {where} is not what the allowlist allows".replace("  ", " "))
    for i, arg in enumerate(parsed.positionals):
        kind = args.kind(i + shift)
        if not values.valid(kind, arg):
            raise Refused(f"{label}: argument {arg[:60]!r} is not a plain {kind}")
        # After `--` a word may start with `-`; not every tool honours `--`, so only a number may.
        if arg.startswith("-") and tool.runner is None and not (kind == "int" and values.valid("int", arg)):
            raise Refused(f"{label}: argument {arg[:60]!r} starts with '-' (an option to some tools)")
        if kind == "path":
            _vet_path(label, arg)
    _vet_recursion(tool, parsed, label)
    return _Vetted(tool, parsed, argv)


def _filled(parsed: Parsed) -> int:
    """How many leading positionals a flag's value stands for (`grep -e PAT FILE`: FILE is then
    positional 0 and must be vetted as a path, not waved through as a pattern)."""
    return max((u.flag.fills for u in parsed.flags if not u.off), default=0)


def _vet_wildcard(tool: Tool, label: str, word: str) -> None:
    """`--*` (any parameter of an AWS read) never stands for an option of the tool itself: argparse
    takes an unambiguous prefix (`--endpoint` is `--endpoint-url`, `--no-sign` `--no-sign-request`),
    and options the CLI grows later (`--cli-*`) are not parameters either."""
    name = word.partition("=")[0]
    own = [n for n in tool.flags if n.startswith("--")]
    if any(n.startswith(name) for n in own) or name.startswith("--cli-"):
        raise Refused(f"{label}: {name} is (an abbreviation of) one of {tool.name}'s own options: not run")


# Reading these has effects: a FIFO's data is consumed, opening a device can start it (/dev/watchdog
# reboots the machine when it is closed uncleanly), a terminal's input is stolen; and the files of
# `other/live_paths.yaml` (/proc/kmsg, trace_pipe, another process's fds).
_SPECIAL = (stat.S_ISCHR, stat.S_ISBLK, stat.S_ISFIFO, stat.S_ISSOCK)


@cache
def _path_rules() -> tuple[tuple[str, ...], dict[str, frozenset[str]], frozenset[str]]:
    data = catalogue.data("live_paths")
    return (
        tuple(str(p) for p in data["never_read"]),
        {str(t): frozenset(str(f) for f in fl) for t, fl in (data.get("recursive") or {}).items()},
        frozenset(str(p) for p in data.get("never_recurse_from", [])),
    )


def _never_read(path: str) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(path, p + "*") if p.endswith("/") else path == p for p in _path_rules()[0])


def _vet_path(label: str, value: str) -> None:
    if value == "/dev/null":
        return
    try:
        real = os.path.realpath(value)
    except OSError:
        raise Refused(f"{label}: {value[:60]!r} can't be resolved: not read") from None
    if _never_read(value) or _never_read(real):
        raise Refused(f"{label}: {value[:60]!r} is a device, or a file whose reading takes it from others: not read")
    for path in (value, real):  # stat follows /proc/PID/fd/N to the pipe or socket itself
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue  # doesn't exist (yet): the tool will say so
        if any(test(mode) for test in _SPECIAL):
            raise Refused(f"{label}: {value[:60]!r} is a device, FIFO or socket: not read")


# libpq opens the files these name (a FIFO's data would be consumed, a device opened)
_CONNINFO_FILES = ("sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcrldir", "passfile")


def vet_conninfo_files(params: dict[str, str]) -> None:
    for key in _CONNINFO_FILES:
        if params.get(key):
            _vet_path(f"connection option {key}=", params[key])


def _vet_recursion(tool: Tool, parsed: Parsed, label: str) -> None:
    """grep -r / diff -r read every file below where they start: never from /, /proc, /sys, /dev."""
    flags = _path_rules()[1].get(tool.name)
    if not flags or not any(u.flag.name in flags and not u.off for u in parsed.flags):
        return
    args = parsed.command.args
    shift = _filled(parsed)
    starts = [p for i, p in enumerate(parsed.positionals) if args is None or args.kind(i + shift) == "path"]
    starts = starts or ["."]
    for start in starts:
        real = os.path.realpath(start)
        if real in _path_rules()[2] or any(real.startswith(d + "/") for d in _path_rules()[2] - {"/"}):
            raise Refused(f"{label}: reading every file under {real} (it holds /proc/kmsg, devices): not run")



def _wrapper(tool: Tool, parsed: Parsed, as_filter: bool) -> _Vetted:
    """`timeout N CMD`: our own timeout applies anyway, so CMD runs as if it stood alone."""
    args = parsed.command.args
    if as_filter or not parsed.inner or args is None:
        raise Refused(f"{tool.name} with no command to run")
    for i, arg in enumerate(parsed.positionals):
        if not values.valid(args.kind(i), arg):
            raise Refused(f"{tool.name}: argument {arg[:60]!r} is not a plain {args.kind(i)}")
    inner = _vet_command(parsed.inner, as_filter=False)
    if tool.name == "sudo":
        inner.note = "without sudo (as you)"
    return inner


def _postgres(p: Parsed) -> Plan:
    target = PgTarget()
    sqls: list[str] = []
    for use in p.flags:
        name = use.flag.name
        value = use.value or ""
        if name == "--command":
            sqls.append(value)
        elif name == "--host":
            target.params["host"] = value
        elif name == "--port":
            target.params["port"] = value
        elif name == "--username":
            target.params["user"] = value
        elif name == "--dbname":
            target.params.update(_db(value))
        elif name == "--tuples-only":
            target.tuples_only = True
        elif name == "--no-align":
            target.unaligned = True
        elif name == "--expanded":
            target.expanded = True
        elif name == "--csv":
            target.csv = True
        elif name == "--field-separator":
            target.separator = value
    for i, arg in enumerate(p.positionals):
        if i == 0:
            target.params.update(_db(arg))
        else:
            target.params["user"] = arg
    if not sqls:
        raise Refused("psql without -c opens an interactive session (or reads stdin): not run")
    if len(sqls) > 1:
        raise Refused("psql with several -c: exactly one statement runs per command")
    allowed = sql_gate.check(sqls[0])
    return Plan("postgres", sql=allowed.sql, sql_fields=allowed.fields, sql_relations=allowed.relations,
                sql_operators=allowed.operators, sql_functions=allowed.functions, pg=target)


def _db(value: str) -> dict[str, str]:
    if "=" in value or "://" in value:
        return pg_conninfo(value)
    return {"dbname": value}


def _redis(p: Parsed) -> Plan:
    target = RedisTarget()
    scan = False
    pattern, count = "", 0
    for use in p.flags:
        name = use.flag.name
        value = use.value or ""
        if name == "-h":
            target.host = value
        elif name == "-p":
            target.port = int(value)
        elif name == "-n":
            target.db = int(value)
        elif name == "-u":
            url = redis_url(value)
            target = url
        elif name in ("-a", "--pass"):
            target.password = value
        elif name == "--user":
            target.username = value
        elif name == "--tls":
            target.ssl = True
        elif name == "--cacert":
            target.ssl_ca_certs = value
        elif name == "--scan":
            scan = True
        elif name == "--pattern":
            pattern = value
        elif name == "--count":
            if not values.valid("redis-count", value):
                raise Refused(f"redis-cli --count {value[:20]!r} is not between 1 and 10000")
            count = int(value)
    if scan:
        if p.positionals:
            raise Refused("redis-cli --scan with a command: not run")
        return Plan("redis", redis=target, scan=(pattern, count))
    if pattern or count:
        raise Refused("--pattern/--count without --scan: not run")
    words = redis_gate.check(list(p.positionals))
    return Plan("redis", redis_words=words, redis=target)
