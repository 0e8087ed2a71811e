"""Which commands change things, and which lose data: the CLI catalogue's data, not a model.

`classify(command, language)` returns "read-only", "mutating" or "destructive":
- read-only: looks, never touches state (kubectl get, SELECT, redis GET, systemctl status, ...);
- mutating: changes state but loses nothing for good (restart, scale, apply, UPDATE ... WHERE);
- destructive: loses data or takes everything down (DROP, TRUNCATE, DELETE, FLUSHALL, rm, kubectl
  delete --all / namespace / pvc, drain, helm uninstall, docker compose down -v, failover, purge,
  pg_terminate_backend, reboot, terraform destroy, ...).
Anything the catalogue doesn't know is "mutating". The classes of tools, subcommands, flags and
kinds are data (agent/checks/catalogue/data, docs/checks.md); what stays code here is what data
can't say: the SQL psql runs, the Redis command redis-cli sends, what find -exec and xargs run, the
files tee writes, and the shell around them (loops, substitutions, heredocs). --execute does not
rely on this module: it runs only what the catalogue marks `live`.

A destructive command needs a warning right before its block (or as a comment right above it);
`has_warning` accepts these forms, case-insensitive:
    > **Warning:** ...          > ⚠️ **Destructive:** ...     > **Danger:** / **Caution:** ...
    > [!WARNING] / > [!CAUTION] (GitHub alerts)                **Warning:** ... (a plain paragraph)
    # WARNING: ... / # DESTRUCTIVE: ... / -- WARNING: ...  (a comment line right above the command)
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from agent.checks import shellwords
from agent.checks.extract import Command
from agent.checks.structure import Emit

if TYPE_CHECKING:
    from agent.checks.catalogue import Tool

Danger = Literal["read-only", "mutating", "destructive"]
_ORDER: dict[str, int] = {"read-only": 0, "mutating": 1, "destructive": 2}



def classify(command: str, language: str = "bash") -> Danger:
    """The danger level of a command written in `language` (bash/shell/console, sql, redis, promql)."""
    return explain(command, language)[0]


def explain(command: str, language: str = "bash") -> tuple[Danger, str]:
    """(level, why) — why names what makes it mutating or destructive."""
    lang = language.lower()
    if lang in ("promql", "prometheus", "logql", "nrql", "datadog", "cloudwatch"):
        return "read-only", "a query"
    if lang in ("sql", "psql", "postgresql", "postgres"):
        return classify_sql(command)
    if lang in ("redis", "redis-cli"):
        return classify_redis(_split(command))
    if lang in ("bash", "sh", "shell", "console", "zsh", ""):
        return classify_shell(command)
    return "mutating", f"unknown language {language!r}"


def _max(results: list[tuple[Danger, str]]) -> tuple[Danger, str]:
    if not results:
        return "read-only", ""
    return max(results, key=lambda r: _ORDER[r[0]])


def classify_shell(text: str) -> tuple[Danger, str]:
    results: list[tuple[Danger, str]] = []
    for line in shellwords.logical_lines(text, 0) or [shellwords.Line(text, 0)]:
        parsed = shellwords.parse(line.text)
        stack = list(parsed.substitutions)
        for body, expands in line.heredocs:
            if expands:
                stack.extend(shellwords.body_substitutions(body))
        simples = list(parsed.commands)
        stack.extend(inner for s in parsed.commands for inner in shellwords.inner_commands(s.argv))
        seen = 0
        while stack and seen < 50:
            seen += 1
            sub = shellwords.parse(stack.pop())
            simples.extend(sub.commands)
            stack.extend(sub.substitutions)
            stack.extend(inner for s in sub.commands for inner in shellwords.inner_commands(s.argv))
        line_results = [classify_simple(simple, line.heredocs) for simple in simples]
        results.extend(_in_loop(line.text, line_results))
    return _max(results)


_LOOP = re.compile(r"\b(for|while|until|xargs)\b")


def _in_loop(text: str, results: list[tuple[Danger, str]]) -> list[tuple[Danger, str]]:
    """A delete run once per item of a list (for/while/xargs) deletes an unknown number of things."""
    if not _LOOP.search(text):
        return results
    return [
        ("destructive", f"{why}, repeated in a loop") if level == "mutating" and "delete" in why else (level, why)
        for level, why in results
    ]


def classify_simple(simple: shellwords.Simple, heredocs: list[tuple[str, bool]] | None = None) -> tuple[Danger, str]:
    heredocs = heredocs or []
    argv = shellwords.unwrap(simple.argv)
    results: list[tuple[Danger, str]] = []
    if simple.redirects:
        results.append(("mutating", f"writes {simple.redirects[0]}"))
    if not argv:
        return _max(results)  # NAME=value: sets a shell variable
    level, why = _classify_argv(argv, heredocs)
    if level != "read-only" and _dry_run(argv):
        level, why = "read-only", "a dry run"
    if level == "mutating" and "delete" in why and any("$(" in w or "`" in w for w in simple.raw):
        level, why = "destructive", f"{why}; the names come from a command, so how many is unknown"
    results.append((level, why))
    return _max(results)


def _classify_argv(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    """One command's class: a rule below for what the catalogue can't say (the SQL psql runs, the Redis
    command redis-cli sends, the files tee or find touch), else the tool's catalogue entry."""
    tool = argv[0].rsplit("/", 1)[-1]
    rule = _CODE_RULES.get(tool)
    if rule is not None:
        return rule(argv, heredocs)
    return _by_catalogue(tool, argv[1:], heredocs)


def _by_catalogue(tool: str, args: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    """The class the catalogue gives (agent/checks/catalogue/data): the command path's, raised by its
    flags and positionals; a path it does not list takes the tool's verbs, the verbs that lose data
    whatever the tool (other/classes.yaml), else the tool's default. A wrapper is what it runs."""
    from agent.checks import catalogue
    from agent.checks.catalogue.parse import parse

    entry = catalogue.tool(tool)
    if entry is None or entry.stub:
        return _unknown_tool(tool, args) or ("mutating", f"{tool} is not known to be read-only")
    parsed = parse(entry, args, lenient=True)
    if parsed.command is entry.default:
        found = _verb(entry, parsed.path + tuple(parsed.positionals)) or _unknown_tool(tool, args)
        if found is not None:
            return found
    if parsed.inner is not None or parsed.command.klass == "wrapper":
        return _wrapped([tool, *args], parsed.path, parsed.inner or [], heredocs)
    level, reason = parsed.klass()
    if level == "read-only" and parsed.unknown_global:  # `git --exec-path=DIR log` runs programs from DIR
        return "mutating", f"{tool}: {parsed.problem} (a global option the catalogue does not know)"
    if level == "streaming":  # it looks until interrupted (a follow, a watch, a port-forward)
        return "read-only", ""
    if level in ("interactive", "wrapper"):  # waits for a person, or runs what it is given
        return "mutating", f"{tool} {' '.join(parsed.path)}: {reason}".replace(" :", ":")
    if level == "read-only":
        return "read-only", ""
    return cast(Danger, level), f"{tool} {' '.join(parsed.path)}: {reason}".replace(" :", ":")


def _wrapped(argv: list[str], path: tuple[str, ...], inner: list[str], heredocs: list[tuple[str, bool]]
             ) -> tuple[Danger, str]:
    """`kubectl exec POD -- CMD`, `ssh HOST CMD`, `bash -c 'CMD; CMD'`: the inner command's class (the
    shell text a remote-execution wrapper runs, read whole: redirections and all); without one, or
    with a bare shell, a session that can do anything."""
    from agent.checks import catalogue

    label = " ".join((argv[0], *path))
    texts = shellwords.inner_commands(argv)
    bare_shell = len(texts) == 1 and texts[0].split()[:1] and catalogue.is_tool(texts[0].split()[0], "bash")
    if texts and not (bare_shell and "-c" not in texts[0].split()):
        return _max([classify_shell(t) for t in texts])
    if not inner:
        return "mutating", f"{label} opens a session that can change anything"
    if catalogue.is_tool(inner[0], "bash") and "-c" not in inner:  # bash, sh, zsh ...: a shell to type into
        return "mutating", f"{label} opens an interactive shell"
    if len(inner) == 1 and " " in inner[0].strip():  # `ssh host 'cmd args'`, `bash -c 'cmd; cmd'`
        return classify_shell(inner[0])
    return _classify_argv(inner, heredocs)


def _verb(entry: Tool, words: tuple[str, ...]) -> tuple[Danger, str] | None:
    """gcloud-like tools: a verb anywhere among the words of an unlisted path decides."""
    plain = [w for w in words if not w.startswith("-")]
    for verb in entry.verbs:
        if any(w in verb.words for w in plain):
            level = cast(Danger, verb.klass if verb.klass in _ORDER else "mutating")
            return level, "" if level == "read-only" else f"{entry.name} {' '.join(plain[:3])}: {verb.reason}"
    return None


def _dry_run(argv: list[str]) -> bool:
    """`kubectl delete ... --dry-run=client`, `helm upgrade --dry-run`, `rsync --dry-run`: nothing changes
    (the spellings are data: other/classes.yaml `dry_run`)."""
    if "--" in argv:
        argv = argv[: argv.index("--")]
    spec = _classes()["dry_run"]
    tool = argv[0].rsplit("/", 1)[-1]
    own = spec.get("tools", {}).get(tool, [])  # a tool's own spelling: `rsync -n`
    return any(_dry_run_pattern().match(a) or a in own for a in argv[1:])


@cache
def _classes() -> dict[str, Any]:
    """What holds whatever the tool: other/classes.yaml."""
    from agent.checks import catalogue

    data: dict[str, Any] = catalogue.data("classes")
    return data


@cache
def _dry_run_pattern() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})$" for p in _classes()["dry_run"]["flags"]))


def _unknown_tool(tool: str, args: list[str]) -> tuple[Danger, str] | None:
    """A verb that loses data whatever the tool (`sentry queues purge`, `consul kv delete -recurse`)."""
    spec = _classes()
    words = [a for a in args if not a.startswith("-")][:4]
    for w in words:
        if w.lower() in spec["destructive_verbs"]:
            return "destructive", f"{tool} {' '.join(words[: words.index(w) + 1])}"
    if any(w in spec["delete_verbs"] for w in words) and any(a in spec["recursive_flags"] for a in args):
        return "destructive", f"{tool} {' '.join(words[:3])} deletes recursively"
    return None


# --- what the catalogue can't say: the rules are code -------------------------------------------


def _find(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    """`find -delete`, `find -exec rm`: the command -exec runs is its own."""
    args = argv[1:]
    runs = [a for a in ("-exec", "-execdir", "-ok", "-okdir") if a in args]
    if "-delete" in args or runs and any(a in ("rm", "/bin/rm", "shred", "unlink") for a in args):
        return "destructive", "find deletes files"
    if runs or "-fprint" in args:
        return "mutating", "find runs a command"
    return "read-only", ""


def _tee(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    files = [a for a in argv[1:] if not a.startswith("-") and a not in ("/dev/null", "/dev/stderr", "/dev/stdout")]
    return ("mutating", f"writes {files[0]}") if files else ("read-only", "")


def _xargs(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    """What xargs runs, once per item it reads: a delete of an unknown number of names is destructive."""
    from agent.checks import catalogue

    inner = shellwords.after_options(argv[1:], catalogue.value_flags("xargs"))
    if not inner:
        return "read-only", ""
    level, why = _classify_argv(inner, heredocs)
    if level == "mutating" and any(w in _classes()["loop_delete_words"] for w in inner):
        return "destructive", f"xargs feeds an unknown number of names to `{' '.join(inner[:3])}`"
    return level, why


def _psql(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    """The SQL psql runs (-c, heredocs) decides; a file it reads or a session it opens is not seen."""
    from agent.checks import catalogue
    from agent.checks.catalogue.parse import parse
    from agent.checks.sql import psql_sql

    sqls = psql_sql(shellwords.Simple(argv, argv, [False] * len(argv), [], [], " ".join(argv)))
    sqls += [body for body, _ in heredocs]
    entry = catalogue.tool("psql")
    parsed = parse(entry, argv[1:], lenient=True) if entry is not None else None
    if parsed is None or parsed.has("--file"):
        return "mutating", "runs a SQL file the checker can't see"
    if not sqls:
        if parsed.has("--list", "--version"):
            return "read-only", ""
        return "mutating", "opens an interactive psql session"
    return _max([classify_sql(s) for s in sqls])


def _redis_cli(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    """The Redis command redis-cli sends decides (other/redis.yaml `classes`); `--cluster SUB` by its list."""
    args = argv[1:]
    cluster = _redis_classes()["cluster"]
    if "--cluster" in args:
        sub = args[args.index("--cluster") + 1] if args.index("--cluster") + 1 < len(args) else ""
        if sub in cluster["read-only"]:
            return "read-only", ""
        return ("destructive" if sub in cluster["destructive"] else "mutating"), f"--cluster {sub}"
    if "--rdb" in args:
        return "mutating", "writes an RDB dump file"
    return classify_redis(redis_cli_words(args))


_CODE_RULES = {"find": _find, "tee": _tee, "xargs": _xargs, "psql": _psql, "gitlab-psql": _psql,
               "redis-cli": _redis_cli}


_SQL_DESTRUCTIVE_FUNCS = re.compile(
    r"\b(pg_terminate_backend|pg_drop_replication_slot|lo_unlink|pg_promote|pg_replication_origin_drop|"
    r"dblink_exec|pg_file_unlink)\s*\(",
    re.I,
)
_SQL_MUTATING_FUNCS = re.compile(
    r"\b(pg_cancel_backend|pg_reload_conf|pg_switch_wal|pg_rotate_logfile|setval|nextval|set_config|"
    r"pg_create_\w+|pg_advisory\w*|pg_stat_reset\w*|pg_wal_replay_\w+|pg_backup_\w+|pg_start_backup|"
    r"pg_stop_backup|pg_create_restore_point)\s*\(",
    re.I,
)


_META_LINE = re.compile(r"^\s*(\\.*)$", re.M)
_META_TAIL = re.compile(r"(\\g\w*(?:\s+\S.*)?)\s*$", re.M)  # `SELECT ... \gx`, `SELECT ... \g out.txt`


@cache
def _psql_meta() -> list[tuple[re.Pattern[str], Danger, str]]:
    return [(re.compile(m["match"]), cast(Danger, m["class"]), str(m["reason"])) for m in _classes()["psql_meta"]]


def classify_psql_meta(meta: str) -> tuple[Danger, str]:
    """One psql meta-command (`\\dt+`, `\\copy t to 'f.csv'`, `\\! cmd`), by other/classes.yaml `psql_meta`."""
    for pattern, level, reason in _psql_meta():
        if pattern.match(meta):
            return level, ("" if level == "read-only" else f"psql {meta.split()[0]}: {reason}")
    return "mutating", f"psql {meta.split()[0]}: a meta-command not known to be read-only"


def classify_sql(sql: str) -> tuple[Danger, str]:
    """SQL as psql reads it: its meta-commands by the catalogue's table, the statements by PostgreSQL's parser."""
    sql = sql.replace("\\;", ";")  # psql's `\;` separates statements sent together
    metas = [m.group(1) for m in _META_LINE.finditer(sql)]
    if "\\" in sql:
        lines = [ln for ln in sql.split("\n") if not ln.lstrip().startswith("\\")]
        metas += [m.group(1) for ln in lines for m in [_META_TAIL.search(ln)] if m]
    if not metas:
        return _classify_statements(sql)
    rest = "\n".join(_META_TAIL.sub("", ln) for ln in sql.split("\n") if not ln.lstrip().startswith("\\"))
    results = [classify_psql_meta(m.strip()) for m in metas]
    if rest.strip():
        results.append(_classify_statements(rest))
    return _max(results)


def _classify_statements(sql: str) -> tuple[Danger, str]:
    from agent.checks.sql import statement_kinds

    bare = re.sub(r"/\*.*?\*/|--[^\n]*", " ", sql, flags=re.S)  # a function named in a comment does not run
    bare = re.sub(r"'(?:[^']|'')*'", "''", bare)
    if m := _SQL_DESTRUCTIVE_FUNCS.search(bare):
        return "destructive", f"{m.group(1)}()"
    kinds = statement_kinds(sql)
    if kinds is None:  # does not parse: judge by the first keywords
        first = bare.strip().split(None, 1)[0].upper() if bare.strip() else ""
        if first in ("DROP", "TRUNCATE", "DELETE"):
            return "destructive", f"SQL {first}"
        if first in ("SELECT", "SHOW", "EXPLAIN", "WITH") and not _SQL_MUTATING_FUNCS.search(bare):
            return "read-only", ""
        return "mutating", f"SQL {first}"
    results: list[tuple[Danger, str]] = []
    for kind in kinds:
        label = re.sub(r"Stmt$", "", kind)
        if kind in (
            "DropStmt",
            "TruncateStmt",
            "DeleteStmt",
            "DropdbStmt",
            "DropRoleStmt",
            "DropTableSpaceStmt",
            "DropSubscriptionStmt",
            "DropOwnedStmt",
            "DropUserMappingStmt",
        ):
            results.append(("destructive", f"SQL {label.upper()}"))
        elif kind == "UpdateStmt" and not re.search(r"\bwhere\b", bare, re.I):
            results.append(("destructive", "SQL UPDATE without WHERE"))
        elif kind == "AlterTableStmt" and re.search(r"\bdrop\b", bare, re.I):
            results.append(("destructive", "ALTER TABLE ... DROP"))
        elif kind in ("SelectStmt", "VariableShowStmt", "TransactionStmt", "VariableSetStmt"):
            if kind == "SelectStmt" and (
                re.search(r"\binto\b", bare, re.I) or re.search(r"\bfor\s+(update|share)\b", bare, re.I)
            ):
                results.append(("mutating", "SELECT INTO / FOR UPDATE"))
            elif m := _SQL_MUTATING_FUNCS.search(bare):
                results.append(("mutating", f"{m.group(1)}()"))
            else:
                results.append(("read-only", ""))
        elif kind == "ExplainStmt":
            analyze = re.search(r"\banaly[sz]e\b", bare, re.I)
            if analyze and re.search(r"\b(insert|update|delete|drop|truncate)\b", bare, re.I):
                results.append(("mutating", "EXPLAIN ANALYZE runs the statement"))
            else:
                results.append(("read-only", ""))
        elif kind == "CopyStmt" and re.search(r"\bto\s+stdout\b", bare, re.I):
            results.append(("read-only", ""))
        else:
            results.append(("mutating", f"SQL {label}"))
    return _max(results)


@cache
def redis_commands() -> dict[str, dict[str, object]]:
    """COMMAND INFO/DOCS of a real redis-server, committed as data (see data/README)."""
    path = Path(__file__).parent / "data" / "redis_commands.json"
    try:
        data: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["commands"]
    except (OSError, ValueError, KeyError):
        return {}
    return data


@cache
def _redis_classes() -> dict[str, Any]:
    """Redis commands the COMMAND table can't class (other/redis.yaml `classes`): destructive ones with
    why, read-only ones, Sentinel's (not in a data node's table) and `redis-cli --cluster`'s."""
    from agent.checks import catalogue

    data: dict[str, Any] = catalogue.data("redis")["classes"]
    return data


def redis_name(words: list[str]) -> str:
    """`CONFIG GET maxmemory` → "CONFIG GET"; `get x` → "GET"."""
    if not words:
        return ""
    first = words[0].upper()
    table = redis_commands()
    entry = table.get(first.lower())
    subs = entry.get("subcommands") if entry else None
    if len(words) > 1 and (
        isinstance(subs, dict)
        and f"{first.lower()}|{words[1].lower()}" in subs
        or not table
        and f"{first} {words[1].upper()}" in set(_redis_classes()["destructive"]) | set(_redis_classes()["read-only"])
    ):
        return f"{first} {words[1].upper()}"
    return first


def classify_redis(words: list[str]) -> tuple[Danger, str]:
    classes = _redis_classes()
    destructive: dict[str, str] = classes["destructive"]
    read: set[str] = set(classes["read-only"])
    if words and words[0].lower() == "sentinel":
        sub = words[1].lower() if len(words) > 1 else ""
        sentinel = classes["sentinel"]
        if sub in sentinel["destructive"]:
            return "destructive", f"SENTINEL {sub.upper()} {sentinel['destructive'][sub]}"
        if sub in sentinel["read-only"] and not (sub == "config" and words[2:3] and words[2].lower() == "set"):
            return "read-only", ""
        return "mutating", f"SENTINEL {sub.upper()}"
    name = redis_name(words)
    if not name:
        return "read-only", ""
    if name in destructive:
        return "destructive", f"{name} {destructive[name]}"
    table = redis_commands()
    first = name.split()[0].lower()
    entry = table.get(first)
    if entry and " " in name:
        subs = entry.get("subcommands")
        entry = subs.get(name.lower().replace(" ", "|")) if isinstance(subs, dict) else entry
    if entry:
        flags = {str(f) for f in entry.get("flags", [])}  # type: ignore[attr-defined]
        cats = {str(c) for c in entry.get("acl_categories", [])}  # type: ignore[attr-defined]
        if "readonly" in flags and "@dangerous" not in cats or name in read:
            return "read-only", ""
        if "@dangerous" in cats and "write" in flags:
            return "destructive", f"redis {name} (@dangerous)"
        return "mutating", f"redis {name}"
    return ("read-only", "") if name in read else ("mutating", f"redis {name}")


@cache
def redis_cli_value_flags() -> frozenset[str]:
    """redis-cli's options that take a value (declared once, in the catalogue)."""
    from agent.checks import catalogue

    return frozenset(f for f, takes in catalogue.global_flags("redis-cli").items() if takes)


def redis_cli_words(args: list[str]) -> list[str]:
    """The command words a redis-cli argv sends (after its options)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in redis_cli_value_flags() else 1
    return args[i:]


def _split(text: str) -> list[str]:
    parsed = shellwords.parse(text)
    return parsed.commands[0].argv if parsed.commands else []


# --- the check: destructive commands need a warning next to them --------------------------------

_WARNING_BEFORE = re.compile(
    r"^\s*(?:>\s*)?(?:[-*]\s+)?(?:[⚠️🛑❗️🚨\s]*)(?:\*\*|__)?\s*(?:warning|danger|caution|destructive|data loss|important"
    r"|be careful|careful|irreversible|this cannot be undone)\b"
    r"|^\s*>\s*\[!(?:warning|caution|danger)\]",
    re.I | re.M,
)
_WARNING_HEADING = re.compile(r"⚠|\b(?:warning|danger|caution|destructive|data loss|irreversible)\b", re.I)
_WARNING_COMMENT = re.compile(r"^\s*(?:#|--|//)\s*(?:⚠️\s*)?(?:warning|danger|caution|destructive)\b", re.I | re.M)
_WARNING_WORDS = re.compile(r"warning|caution|danger|destructive|data loss|irreversib|cannot be undone|⚠", re.I)
# A consequence stated in plain prose right before the block ("deleting the PVC will result in data loss").
_CONSEQUENCE = re.compile(
    r"\b(?:data loss|los(?:e|es|ing) (?:the |all |your )?data|(?:will|would|is|are) (?:be )?(?:permanently )?"
    r"(?:lost|destroyed|wiped)|irreversib\w*|cannot be undone|can't be undone|not recoverable|unrecoverable|"
    r"permanently (?:delete|remove|destroy|erase)s?)\b", re.I)


def has_warning(cmd: Command) -> bool:
    """A warning before the block (a warning word opening a line, or a consequence stated in the prose),
    as a comment above the command, as the heading the block sits under (`### ⚠️ Destructive: ...`), or
    as the paragraph right after the block."""
    if cmd.inline:
        return bool(_WARNING_WORDS.search(cmd.comment_above))
    if cmd.comment_above and _WARNING_COMMENT.search(cmd.comment_above):
        return True
    if cmd.block is None:
        return False
    block = cmd.block
    return bool(
        _WARNING_BEFORE.search(block.before)
        or _CONSEQUENCE.search(block.before)
        or _WARNING_HEADING.search(block.heading)
        or _WARNING_BEFORE.search(block.after)
    )


def classify_command(cmd: Command) -> tuple[Danger, str]:
    if cmd.language == "shell":
        top = len(shellwords.parse(cmd.text).commands)  # cmd.simple lists these first, then nested ones
        results = [classify_simple(s, cmd.heredocs if i < top else []) for i, s in enumerate(cmd.simple)]
        return _max(_in_loop(cmd.text, results))
    return explain(cmd.text, cmd.language)


def _redis_keys(cmd: Command) -> bool:
    """`KEYS pattern` walks every key while the single-threaded server waits (SCAN doesn't)."""
    if cmd.language == "redis":
        return redis_name(_split(cmd.text)) == "KEYS"
    if cmd.language != "shell":
        return False
    for simple in cmd.simple:
        argv = shellwords.unwrap(simple.argv)
        if argv and argv[0].rsplit("/", 1)[-1] == "redis-cli" and redis_name(redis_cli_words(argv[1:])) == "KEYS":
            return True
    return False


def check(commands: list[Command], emit: Emit) -> None:
    unwarned: dict[str, list[tuple[Command, str]]] = {}  # one finding per command text: a step copied 20 times
    for cmd in commands:
        if _redis_keys(cmd):
            emit(
                cmd.line,
                "danger.redis-keys",
                "warning",
                "KEYS blocks Redis while it walks every key",
                "use `redis-cli --scan --pattern ...` (or SCAN), which doesn't block the server",
            )
        level, why = classify_command(cmd)
        if level != "destructive" or has_warning(cmd):
            continue
        key = " ".join(cmd.text.split())
        unwarned.setdefault(key, []).append((cmd, why))
    for copies in unwarned.values():
        cmd, why = copies[0]
        first = cmd.text.strip().split("\n")[0]
        more = [c.line for c, _ in copies[1:]]
        emit(
            cmd.line,
            "danger.unwarned",
            "error" if not cmd.inline else "warning",
            f"destructive command without a warning: {first[:80]}"
            + (f" ({why})" if why else "")
            + (f"; the same command, unwarned, at line{'s' * (len(more) > 1)} {', '.join(map(str, more[:6]))}"
               + (f" and {len(more) - 6} more" if len(more) > 6 else "") if more else ""),
            "put '> ⚠️ **Destructive:** <blast radius>; <safer alternative or dry run>' right before the block, "
            "or a '# WARNING: ...' comment right above the command",
        )
