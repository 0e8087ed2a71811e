"""`agent test --execute`: run the commands of a runbook that cannot change anything, by construction.

Deny by default. A command runs only when it is fully understood and every part of it is on the
live allowlist of the CLI catalogue (`agent/checks/catalogue/`): a known tool, a subcommand marked
`live: true`, only flags marked live, values of the declared kinds, no redirection, no command
substitution, no shell feature that evaluates code, pipes only into pure filters. Everything else
is "not run", with the reason. Programs run as argv (never through a shell), sandboxed where
bubblewrap works (`live/sandbox.py`); SQL goes through psycopg in a READ ONLY transaction with
server-side timeouts, Redis commands through redis-py from a read-only list (`live/drivers.py`).
`$NAME` is substituted by us from `--var NAME=VALUE` (or an earlier `NAME=...` line) and only when
the value is plain: letters, digits and `._:/@%+=,~-`.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.checks import extract, markdown, placeholders
from agent.checks.live import Refused, secrets, shell_plan
from agent.checks.live.shell_plan import RUNTIME, Plan
from agent.errors import UsageError

MAX_TIMEOUT = 3600.0


@dataclass
class Result:
    line: int
    section: str
    language: str
    command: str
    status: str  # passed, failed, not-run, would-run, set (a variable for later lines)
    reason: str = ""
    output: str = ""


@dataclass
class Execution:
    source: str
    dry_run: bool
    results: list[Result] = field(default_factory=list)
    sandbox: str = ""  # what contained the commands, or why nothing did

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def summary(self) -> str:
        if self.dry_run:
            text = f"{self.count('would-run')} would run, {self.count('not-run')} not run"
        else:
            text = f"{self.count('passed')} passed, {self.count('failed')} failed, {self.count('not-run')} not run"
        if self.count("set"):
            text += f", {self.count('set')} variable(s) set"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "sandbox": self.sandbox,
            "summary": self.summary(),
            "results": [asdict(r) for r in self.results],
        }


def check_timeout(timeout: float) -> float:
    if not math.isfinite(timeout) or timeout < 0.1 or timeout > MAX_TIMEOUT:
        raise UsageError(
            f"--timeout {timeout!r} is not a number of seconds between 0.1 and {MAX_TIMEOUT:g}",
            hint="e.g. --timeout 10",
        )
    return timeout


def execute_file(
    path: str | Path, variables: dict[str, str] | None = None, *, timeout: float = 10.0, dry_run: bool = False
) -> Execution:
    check_timeout(timeout)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    return execute_markdown(text, str(path), variables or {}, timeout=timeout, dry_run=dry_run)


def execute_markdown(
    text: str, source: str, variables: dict[str, str], *, timeout: float = 10.0, dry_run: bool = False
) -> Execution:
    from agent.checks.live import sandbox

    check_timeout(timeout)
    doc = markdown.parse(text, source)
    run = Execution(source, dry_run, sandbox=sandbox.status().note)
    values = shell_plan.Variables(variables)
    given = set(variables)
    from agent.checks import functions

    declared = functions.definitions([extract.script_of(b).text for b in doc.blocks if b.language == "shell"])
    for cmd in extract.all_commands(doc):
        called = functions.calls(cmd, declared)
        if called:  # the shell would run the function's body, which is never run here
            run.results.append(_result(cmd, "not-run", f"calls the runbook's shell function {called[0]}: not run"))
            continue
        run.results.append(_one(cmd, values, given, timeout, dry_run))
    # a secret given with --var (or held by libpq's environment) is never printed, whatever echoed it:
    # `CONFIG GET requirepass`, an error quoting a URL, a file that held it
    hide = secrets.hidden(values)
    for r in run.results:
        r.reason, r.output = secrets.redact(r.reason, hide), secrets.redact(r.output, hide)
    return run


# C0 controls but tab and newline, DEL, C1 (ESC [ ... and OSC 52 clipboard writes, title changes):
# a command's output, or the runbook's own text, never reaches the terminal as control sequences.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text.replace("\r\n", "\n"))


def _result(cmd: extract.Command, status: str, reason: str = "", output: str = "") -> Result:
    return Result(cmd.line, cmd.section, cmd.language, _printable(cmd.text), status, _printable(reason),
                  _printable(output))


def _one(cmd: extract.Command, values: dict[str, str], given: set[str], timeout: float, dry_run: bool) -> Result:
    from agent.checks.live import redis_gate, sql_gate

    if cmd.inline:
        return _result(cmd, "not-run", "inline command in prose: only fenced blocks run")
    if cmd.language == "promql":
        return _result(cmd, "not-run", "PromQL needs a Prometheus server: checked statically only")
    found = placeholders.find_placeholders(cmd.source or cmd.text)
    if found:
        return _result(cmd, "not-run", f"placeholder {found[0]} needs a real value")
    try:
        if cmd.language == "sql":
            allowed = sql_gate.check(cmd.text)
            plan = Plan("postgres", sql=allowed.sql, sql_fields=allowed.fields, sql_relations=allowed.relations,
                        sql_operators=allowed.operators, sql_functions=allowed.functions, pg=_pg_defaults(values))
            shell_plan.vet_conninfo_files(_pg_defaults(values).params)
        elif cmd.language == "redis":
            commands = shell_plan.tokenize(cmd.text)
            if len(commands) != 1:
                raise Refused("one Redis command per line, no pipes")
            words = [shell_plan.resolve(w, values) for w in commands[0]]
            plan = Plan("redis", redis_words=redis_gate.check(words), redis=_redis_defaults(values))
        elif cmd.language == "shell":
            if cmd.heredocs:
                raise Refused("a heredoc feeds the command's stdin: not run")
            plan = shell_plan.plan_line(cmd.text, values)
            _fill_defaults(plan, values)
        else:
            raise Refused(f"{cmd.language} blocks are not run")
    except Refused as why:
        return _result(cmd, "not-run", str(why))
    except ImportError as exc:
        return _result(cmd, "not-run", f"{exc.name} is not installed (pip install runbook-agent's dependencies)")
    except (RecursionError, ValueError, OverflowError) as exc:  # deny by default: what can't be read doesn't run
        return _result(cmd, "not-run", f"could not be read ({type(exc).__name__}): not run")
    if plan.kind == "assign":
        return _assign(cmd, plan, values, given, timeout, dry_run)
    if dry_run:
        return _result(cmd, "would-run", _how(plan))
    status, reason, out = _carry_out(plan, timeout)
    return _result(cmd, status, reason, out)


def _assign(
    cmd: extract.Command, plan: Plan, values: dict[str, str], given: set[str], timeout: float, dry_run: bool
) -> Result:
    name = plan.assign
    if name in given:
        return _result(cmd, "set", f"kept --var {name}")
    if name in _CONNECTION_VARS:  # the --var password would follow a server the runbook picked
        return _result(cmd, "not-run", f"${name} is a connection setting: only --var sets it")
    captured: set[str] = getattr(values, "captured", set())
    captured.discard(name)
    if plan.inner is None:
        values[name] = plan.value
        if plan.captured:
            captured.add(name)
        return _result(cmd, "set", f"{name}={plan.value[:40]!r}")
    _fill_defaults(plan.inner, values)
    if dry_run:
        values[name] = RUNTIME
        captured.add(name)
        return _result(cmd, "would-run", _how(plan.inner) + f"; sets ${name}")
    status, reason, out = _carry_out(plan.inner, timeout)
    if status != "passed":
        values.pop(name, None)
        return _result(cmd, status, reason, out)
    from agent.checks.catalogue import values as kinds

    value = out.strip()
    if not kinds.plain(value):
        values.pop(name, None)
        return _result(cmd, "passed", f"the output is not a plain value: ${name} stays unset", out)
    values[name] = value
    captured.add(name)
    return _result(cmd, "passed", f"{name}={value[:40]!r}", out)


def _how(plan: Plan) -> str:
    if plan.kind == "postgres":
        via = "via psycopg (READ ONLY transaction)"
    elif plan.kind == "redis":
        via = "via redis-py"
    else:
        via = "as argv"
    if plan.argvs and plan.kind != "program":
        via += " | " + " | ".join(os.path.basename(a[0]) for a in plan.argvs)
    return f"{via}, {plan.note}" if plan.note else via


def _carry_out(plan: Plan, timeout: float) -> tuple[str, str, str]:
    from agent.checks.live import drivers, sandbox

    if plan.kind == "program":
        done = sandbox.run(plan.argvs, timeout=timeout, env=_envs(plan), streams=plan.streams)
        return done.status, done.reason, done.output
    if plan.kind == "postgres":
        assert plan.pg is not None
        status, reason, out = drivers.run_sql(plan.sql, plan.pg, timeout, plan.sql_fields,
                                              relations=plan.sql_relations, operators=plan.sql_operators,
                                              functions=plan.sql_functions)
    else:
        assert plan.redis is not None
        status, reason, out = drivers.run_redis(plan.redis_words, plan.redis, timeout, scan=plan.scan)
    if status == "passed" and plan.argvs:
        done = sandbox.run(
            plan.argvs, timeout=timeout, env=_envs(plan), stdin_text=out + "\n", streams=plan.streams
        )
        return done.status, done.reason, done.output
    return status, reason, out


def _envs(plan: Plan) -> list[dict[str, str]]:
    """Each program's own environment (`catalogue/data/other/live_env.yaml`): a filter gets no credentials."""
    from agent.checks.live import sandbox

    return [sandbox.child_env(tool.name) for tool in plan.tools] or [sandbox.child_env()]


_CONNECTION_VARS = {"PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD", "DATABASE_URL", "REDIS_URL"}
_PG_VARS = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGDATABASE": "dbname", "PGPASSWORD": "password"}


def _pg_defaults(values: dict[str, str]) -> Any:
    """Connection from --var DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSWORD; libpq's own
    environment fills the rest (PGOPTIONS never applies: the driver sets `options` itself)."""
    from agent.checks.live.drivers import PgTarget, pg_conninfo

    target = PgTarget(tuples_only=True, unaligned=True)
    if values.get("DATABASE_URL") and values["DATABASE_URL"] != RUNTIME:
        target.params.update(pg_conninfo(values["DATABASE_URL"]))
    for var, key in _PG_VARS.items():
        if values.get(var) and values[var] != RUNTIME:
            target.params.setdefault(key, values[var])
    return target


def _redis_defaults(values: dict[str, str]) -> Any:
    from agent.checks.live.drivers import RedisTarget, redis_url

    url = values.get("REDIS_URL") or os.environ.get("REDIS_URL")
    return redis_url(url) if url and url != RUNTIME else RedisTarget()


def _fill_defaults(plan: Plan, values: dict[str, str]) -> None:
    """A psql / redis-cli line without connection flags uses the --var connection settings."""
    if plan.kind == "postgres" and plan.pg is not None:
        base = _pg_defaults(values)
        own = plan.pg.params
        plan.pg.params = {**base.params, **own}
        # A password given for one server (--var PGPASSWORD, libpq's own PGPASSWORD) never goes to
        # another the line names: `psql -h elsewhere` would hand it over (cleartext if it asks).
        where = ("host", "hostaddr", "port")
        default = {k: base.params.get(k) or os.environ.get(f"PG{k.upper()}") for k in where}
        if any(own.get(k) and own.get(k) != default[k] for k in where) and "password" not in own:
            plan.pg.params["password"] = ""  # (not unset: libpq would fall back to $PGPASSWORD)
    if plan.kind == "postgres" and plan.pg is not None:
        shell_plan.vet_conninfo_files(plan.pg.params)
    if plan.kind == "redis" and plan.redis is not None:
        base = _redis_defaults(values)
        if plan.redis == _fresh_redis():
            plan.redis = base
        elif plan.redis.password is None and plan.redis.username in (None, base.username) and \
                _redis_server(plan.redis) == _redis_server(base):
            # `redis-cli -u "$REDIS_URL"` (its password taken out when substituted) or `-h/-p` of that
            # same server: the --var password goes to the server it was given for, and only there
            plan.redis.username, plan.redis.password = base.username, base.password


def _redis_server(target: Any) -> tuple[Any, ...]:
    return (target.unix_socket,) if target.unix_socket else (target.host, target.port, target.ssl)


def _fresh_redis() -> Any:
    from agent.checks.live.drivers import RedisTarget

    return RedisTarget()
