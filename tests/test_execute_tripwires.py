"""Red team, round 2: `tests/hostile/rt2-tripwires.md` against traps that a read-only check must never
spring. Each block of that file is one attempt; before the attempts run, the real PostgreSQL and
Redis (`.ci/services.sh`) and the filesystem get traps a mutation would leave a trace in:

- PostgreSQL (a database of its own): rows and a sequence, a bystander session, and objects that a
  plain `SELECT` reaches in the database rather than in the text — a view whose body ends the
  bystander's session (`rt_status`), a view that writes through dblink, outside the read-only
  transaction (`rt_health`, and `rt_health_summary` over it), a file_fdw foreign table whose
  program runs on every SELECT (`rt_disk`), as a partition (`rt_parts`) or an inheritance child
  (`rt_parent`) of a plain table too, a function declared IMMUTABLE that ends a session,
  reachable by attribute notation (`r.rt_flag`), a row-level security policy that ends it for
  the role `rt_reader` (`rt_secret`), a `text = int` operator in `public` with side
  effects and a `public.lower(text)` that writes;
- Redis: `rt:*` keys, a stream's pending entries, configuration, ACL users, a bystander client,
  responsiveness;
- files: `/tmp/rt-tripwire` and a directory outside /tmp (`$TWO`: bubblewrap's private /tmp can't
  hide a write there), each with a file whose content must stay and a FIFO whose writer notes it
  when anyone opens it for reading; an HTTP server that notes any request but GET/HEAD.

After every attempt all traps are checked (not only the one the attempt declares). The test runs
the attempts in-process with and without bubblewrap; `python -m tests.test_execute_tripwires` runs
each through the CLI (`agent test FILE --execute`) and prints how many changed something.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SUITE = Path(__file__).parent / "hostile" / "rt2-tripwires.md"
TW = Path("/tmp/rt-tripwire")
READER = "rt_reader"  # a role row-level security applies to (the superuser bypasses it)
TWO = Path.home() / ".cache" / "rt-tripwire-outside"
_BLOCK = re.compile(
    r"<!-- tripwire: (.*?) -->\n(?:<!--\s*vars:\s*(\{.*?\})\s*-->\n)?```(\w*)\n(.*?)\n```", re.S
)
_TRIP_KINDS = ("file:", "fifo", "content", "pg:", "bystander", "redis:", "redis-config:", "redis-bystander", "http")


@dataclass
class Attempt:
    line: int
    title: str
    tripwire: str
    language: str
    code: str
    variables: dict[str, str]


def attempts() -> list[Attempt]:
    text = SUITE.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        title = text[: m.start()].rstrip().rsplit("\n", 1)[-1].removeprefix("## ")
        out.append(Attempt(text[: m.start(3)].count("\n") + 1, title, m.group(1), m.group(3) or "bash",
                           m.group(4), json.loads(m.group(2) or "{}")))
    return out


class _Recorder(http.server.BaseHTTPRequestHandler):
    changes: list[str] = []
    redirect = ""

    def _handle(self) -> None:
        override = [h for h in self.headers if "method" in h.lower()]
        if self.command not in ("GET", "HEAD") or override or int(self.headers.get("Content-Length") or 0):
            type(self).changes.append(f"{self.command} {self.path} {override}")
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", type(self).redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"ok\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def log_message(self, *args: Any) -> None:
        pass


class _Fifo:
    """A FIFO whose writer, blocked in open() until someone opens it for reading, counts the readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        os.chmod(path, 0o666)
        self.reads = 0
        self.stopping = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopping:
            try:
                fd = os.open(self.path, os.O_WRONLY)
            except OSError:
                return
            if not self.stopping:
                self.reads += 1
            with contextlib.suppress(OSError):
                os.write(fd, b"taken\n")
            os.close(fd)
            time.sleep(0.05)

    def close(self) -> None:
        self.stopping = True
        with contextlib.suppress(OSError):
            os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))  # releases the writer's open()


def _pg_setup(db: str, host: str, port: str, user: str) -> list[str]:
    remote = f"dbname={db} host={host} port={port} user={user}"
    write = "PERFORM dblink_exec('{remote}', 'CREATE TABLE IF NOT EXISTS {table} ()')"
    return [
        "CREATE TABLE rt_rows (id int PRIMARY KEY, v text)",
        "INSERT INTO rt_rows VALUES (1, 'row1'), (2, 'row2'), (3, 'row3')",
        "CREATE SEQUENCE rt_seq",
        "SELECT nextval('rt_seq')",
        "CREATE TABLE rt_baseline AS SELECT (SELECT count(*) FROM pg_largeobject_metadata) AS lo, "
        "(SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) AS sr",
        "CREATE PROCEDURE rt_proc() LANGUAGE sql AS $$ DELETE FROM rt_rows $$",
        "CREATE EXTENSION IF NOT EXISTS dblink",
        "CREATE EXTENSION IF NOT EXISTS file_fdw",
        "CREATE VIEW rt_status AS SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity "
        "WHERE application_name = 'rt-bystander'",
        f"CREATE VIEW rt_health AS SELECT dblink_exec('{remote}', "
        "'CREATE TABLE IF NOT EXISTS rt_pwned_view ()') AS status",
        "CREATE VIEW rt_health_summary AS SELECT count(*) AS n FROM rt_health",
        "CREATE SERVER rt_files FOREIGN DATA WRAPPER file_fdw",
        f"CREATE FOREIGN TABLE rt_disk (line text) SERVER rt_files OPTIONS (program 'touch {TW}/fdw-program; echo ok')",
        "CREATE TABLE rt_parts (id int, line text) PARTITION BY RANGE (id)",
        "CREATE TABLE rt_parts_local PARTITION OF rt_parts FOR VALUES FROM (0) TO (10)",
        f"CREATE FOREIGN TABLE rt_parts_far PARTITION OF rt_parts FOR VALUES FROM (10) TO (20) SERVER rt_files "
        f"OPTIONS (program 'touch {TW}/fdw-partition; echo 11,x', format 'csv')",
        "CREATE TABLE rt_parent (line text)",
        f"CREATE FOREIGN TABLE rt_child () INHERITS (rt_parent) SERVER rt_files "
        f"OPTIONS (program 'touch {TW}/fdw-child; echo x')",
        "CREATE TABLE rt_secret (id int)",
        "INSERT INTO rt_secret VALUES (1)",
        "ALTER TABLE rt_secret ENABLE ROW LEVEL SECURITY",
        "CREATE FUNCTION rt_allowed() RETURNS bool LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN "
        "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rt-bystander'; "
        "RETURN true; END $$",
        "CREATE POLICY rt_see ON rt_secret USING (rt_allowed())",
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READER}') THEN "
        f"CREATE ROLE {READER} LOGIN; END IF; END $$",
        f"GRANT SELECT ON rt_secret TO {READER}",
        "CREATE FUNCTION rt_flag(rt_rows) RETURNS bool IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rt-bystander'; "
        "RETURN true; END $$",
        "CREATE FUNCTION rt_eq(text, int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN "
        + write.format(remote=remote, table="rt_pwned_op") + "; RETURN false; END $$",
        "CREATE OPERATOR public.= (leftarg = text, rightarg = int, function = rt_eq)",
        "CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN "
        + write.format(remote=remote, table="rt_pwned_shadow") + "; RETURN $1; END $$",
    ]


@contextlib.contextmanager
def traps(env: dict[str, str]) -> Iterator[dict[str, Any]]:
    import fcntl

    import psycopg
    import redis

    lock = open("/tmp/rt-tripwire.lock", "w")  # noqa: SIM115 - two runs would see each other's changes
    fcntl.flock(lock, fcntl.LOCK_EX)
    for d in (TW, TWO):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        d.chmod(0o777)  # the PostgreSQL server's own user writes there when a trap springs
        (d / "keep.txt").write_text("keep\n")
    for name, body in {"evil.sql": "DELETE FROM rt_rows;\n", "evil.sh": f"touch {TW}/sourced\n",
                       "evil.awk": f'BEGIN {{ system("touch {TW}/awk-f") }}\n',
                       "evil.lua": "redis.call('SET', 'rt:evalfile', '1')\n", "curlrc": "request = POST\n"}.items():
        (TW / name).write_text(body)
    fifos = [_Fifo(TW / "fifo"), _Fifo(TWO / "fifo")]
    (TW / "fifo-link").symlink_to(TW / "fifo")
    host, port, user = env["PGHOST"], env["PGPORT"], env["PGUSER"]
    db = f"rt_tripwire_{os.getpid()}"
    admin = psycopg.connect(host=host, port=int(port), user=user, dbname="postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {db}")
    pg = psycopg.connect(host=host, port=int(port), user=user, dbname=db, autocommit=True)
    for stmt in _pg_setup(db, host, port, user):
        pg.execute(stmt)
    bystander = psycopg.connect(host=host, port=int(port), user=user, dbname=db, autocommit=True,
                                application_name="rt-bystander")
    r = redis.Redis.from_url(env["REDIS_URL"])
    for key in r.scan_iter("rt:*"):
        r.delete(key)
    r.set("rt:kept", "v")
    r.rpush("rt:list", "3", "1", "2")
    r.geoadd("rt:geo", (0.0, 0.0, "m"))
    r.xadd("rt:stream", {"k": "v"})
    r.xgroup_create("rt:stream", "g", id="0")
    r_bystander = redis.Redis.from_url(env["REDIS_URL"])
    r_bystander.client_setname("rt-bystander")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = urlsplit(env["REDIS_URL"])
    _Recorder.redirect = f"gopher://{url.hostname}:{url.port or 6379}/_SET%20rt:redirect%201"
    state: dict[str, Any] = {
        "pg": pg, "bystander": bystander, "redis": r, "redis_bystander": r_bystander, "fifos": fifos,
        "reconnect": lambda: psycopg.connect(host=host, port=int(port), user=user, dbname=db, autocommit=True,
                                             application_name="rt-bystander"),
        "vars": {"PGHOST": host, "PGPORT": port, "PGUSER": user, "PGDATABASE": db, "REDIS_URL": env["REDIS_URL"],
                 "RH": url.hostname or "127.0.0.1", "RP": str(url.port or 6379), "TW": str(TW), "TWO": str(TWO),
                 "HTTP": f"127.0.0.1:{server.server_address[1]}"},
    }
    state["baseline"] = state["first"] = snapshot(state)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        for f in fifos:
            f.close()
        for conn in (pg, state["bystander"]):
            with contextlib.suppress(psycopg.Error):
                conn.close()
        admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname LIKE 'rt_tripwire_%'").fetchall():
            admin.execute(f"DROP ROLE IF EXISTS {READER}")  # (another run's database may still grant it)
        admin.close()
        for key in r.scan_iter("rt:*"):
            r.delete(key)
        r.close()
        r_bystander.close()
        for d in (TW, TWO):
            shutil.rmtree(d, ignore_errors=True)
        lock.close()


def _files(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink() or not p.is_file():
            out[rel] = "(special)" if not p.is_dir() else "(dir)"
        else:
            out[rel] = p.read_text(errors="replace")[:200]
    return out


def _alive(conn: Any) -> bool:
    try:
        conn.execute("SELECT 1").fetchall()
        return True
    except Exception:  # noqa: BLE001 - any failure is a dead session
        return False


def _responsive(r: Any) -> bool:
    import redis

    kw = r.connection_pool.connection_kwargs
    for _ in range(3):
        probe = redis.Redis(host=kw["host"], port=kw["port"], socket_timeout=0.5)
        try:
            if probe.ping():
                return True
        except redis.RedisError:
            pass
        finally:
            probe.close()
    return False


def snapshot(state: dict[str, Any]) -> dict[str, Any]:
    pg, r = state["pg"], state["redis"]
    q = lambda sql: pg.execute(sql).fetchall()  # noqa: E731
    return {
        "redis_responsive": _responsive(r),
        "rows": q("SELECT id, v FROM rt_rows ORDER BY id"),
        "sequence": q("SELECT last_value FROM rt_seq"),
        "relations": q("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"),
        "large_objects": q("SELECT count(*) FROM pg_largeobject_metadata"),
        "slots": q("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'rt%'"),
        "stats_reset": q("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()"),
        "db_settings": q("SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                         "WHERE d.datname = current_database()"),
        "auto_conf": q("SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%auto.conf' ORDER BY 1"),
        "bystander": _alive(state["bystander"]),
        "redis_keys": sorted(r.scan_iter("rt:*")),
        "redis_values": (r.get("rt:kept"), r.ttl("rt:kept"), r.lrange("rt:list", 0, -1),
                         r.xinfo_groups("rt:stream")[0]["pending"]),
        "redis_config": {k: r.config_get(k).get(k) for k in ("maxmemory", "dir", "dbfilename", "save", "appendonly")},
        "redis_acl": r.acl_users(),
        "redis_bystander": any(c.get("name") == "rt-bystander" for c in r.client_list()),
        "files": _files(TW),
        "files_outside_tmp": _files(TWO),
        "fifo_reads": [f.reads for f in state["fifos"]],
        "http_changes": list(_Recorder.changes),
    }


def _changed(state: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 0.4
    while True:  # a FIFO's writer or a killed backend takes a moment to show
        now = snapshot(state)
        diff = {k: (baseline[k], now[k]) for k in baseline if now[k] != baseline[k]}
        if diff or time.monotonic() > deadline:
            return diff
        time.sleep(0.2)


def _restore(state: dict[str, Any]) -> None:
    """After a sprung trap: the bystander back, tables and files it created gone, so the next
    attempt is judged on its own (a trap that writes `IF NOT EXISTS` springs again)."""
    if not _alive(state["bystander"]):
        state["bystander"] = state["reconnect"]()
    first = state.get("first") or state["baseline"]
    for (name,) in set(map(tuple, snapshot(state)["relations"])) - set(map(tuple, first["relations"])):
        with contextlib.suppress(Exception):
            state["pg"].execute(f'DROP TABLE IF EXISTS "{name}"')
    for root in (TW, TWO):
        known = first["files" if root == TW else "files_outside_tmp"]
        for p in sorted(root.rglob("*"), reverse=True):
            if str(p.relative_to(root)) not in known:
                with contextlib.suppress(OSError):
                    p.rmdir() if p.is_dir() and not p.is_symlink() else p.unlink()


def _run_in_process(attempt: Attempt, variables: dict[str, str]) -> tuple[int, str]:
    from agent.checks.execute import execute_markdown

    doc = f"# Hostile\n\n## {attempt.title}\n\n```{attempt.language}\n{attempt.code}\n```\n"
    run = execute_markdown(doc, f"rt2:{attempt.line}", variables, timeout=1.5)
    ran = [r for r in run.results if r.status in ("passed", "failed")]
    return len(ran), "; ".join(f"{r.status}: {r.reason[:60]}" for r in ran)


def _run_cli(attempt: Attempt, variables: dict[str, str]) -> tuple[int, str]:
    doc = f"# Hostile\n\n## {attempt.title}\n\n```{attempt.language}\n{attempt.code}\n```\n"
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write(doc)
    args = [sys.executable, "-m", "agent", "test", f.name, "--execute", "--no-tools", "--profile", "generic",
            "--timeout", "1.5", "--format", "json", "--fail-on", "none"]
    for k, v in variables.items():
        args += ["--var", f"{k}={v}"]
    try:
        # RT_AGENT_ROOT: another checkout's `agent` (a measure of the code before a fix)
        root = os.environ.get("RT_AGENT_ROOT") or str(Path(__file__).parent.parent)
        out = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=root).stdout
    finally:
        os.unlink(f.name)
    try:
        data = json.loads(out)
    except json.JSONDecodeError:
        return 0, "no JSON: " + out[:80]
    results = [r for e in data.get("executions", []) for r in e.get("results", [])]
    ran = [r for r in results if r.get("status") in ("passed", "failed")]
    return len(ran), "; ".join(f"{r['status']}: {r.get('reason', '')[:60]}" for r in ran)


def run_all(state: dict[str, Any], runner: Any, only: str = "") -> tuple[int, list[str]]:
    executed, sprung = 0, []
    baseline = state["baseline"]
    for attempt in ATTEMPTS:
        if only and not re.search(only, attempt.title):
            continue
        try:
            ran, how = runner(attempt, {**state["vars"], **attempt.variables})
        except Exception as exc:  # noqa: BLE001 - a traceback is a finding too
            sprung.append(f"line {attempt.line} {attempt.title}: raised {type(exc).__name__}: {exc}")
            continue
        executed += ran
        diff = _changed(state, baseline)
        if diff:
            sprung.append(f"line {attempt.line} {attempt.title} [{attempt.tripwire}] ({how}): "
                          f"{ {k: v[1] for k, v in diff.items()} }")
            _restore(state)
            baseline = snapshot(state)
    return executed, sprung


ATTEMPTS = attempts() if SUITE.exists() else []


def test_every_attempt_declares_a_tripwire() -> None:
    assert len(ATTEMPTS) >= 150, len(ATTEMPTS)
    assert SUITE.read_text(encoding="utf-8").count("```") == 2 * len(ATTEMPTS)  # no block without a tripwire
    for a in ATTEMPTS:
        assert a.tripwire.startswith(_TRIP_KINDS), (a.line, a.tripwire)


@pytest.fixture(scope="module")
def world(live_services: dict[str, str]) -> Iterator[dict[str, Any]]:
    with traps(live_services) as state:
        yield state


def test_the_traps_spring(world: dict[str, Any]) -> None:
    """Each trap can fail the suite: the database's own objects do what the attempts hope for when
    run directly (not through the live runner), and a FIFO read is seen."""
    import psycopg

    base = snapshot(world)
    db = world["vars"]["PGDATABASE"]
    with psycopg.connect(host=world["vars"]["PGHOST"], port=int(world["vars"]["PGPORT"]),
                         user=world["vars"]["PGUSER"], dbname=db, autocommit=True) as conn:
        conn.execute("SELECT * FROM rt_status").fetchall()
        assert not _alive(world["bystander"])
        _restore(world)
        conn.execute("SELECT * FROM rt_health").fetchall()
        conn.execute("SELECT * FROM rt_disk").fetchall()
        conn.execute("SELECT id FROM rt_rows WHERE v = 1").fetchall()
    with open(TWO / "fifo") as f:
        f.read()
    now = _changed(world, base)
    assert {"relations", "fifo_reads"} <= set(now), now
    assert "fdw-program" in snapshot(world)["files"]
    for table in ("rt_pwned_view", "rt_pwned_op"):
        world["pg"].execute(f"DROP TABLE {table}")
    (TW / "fdw-program").unlink()
    _restore(world)
    world["baseline"] = snapshot(world)


@pytest.mark.parametrize("sandboxed", [False, True], ids=["allowlist-only", "allowlist+sandbox"])
def test_no_tripwire_springs(world: dict[str, Any], sandboxed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.checks.live import sandbox

    if sandboxed:
        monkeypatch.delenv("RUNBOOK_AGENT_NO_SANDBOX", raising=False)
    else:
        monkeypatch.setenv("RUNBOOK_AGENT_NO_SANDBOX", "1")
    sandbox.status.cache_clear()
    if sandboxed and not sandbox.status().active:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have bubblewrap: {sandbox.status().note}")
        pytest.skip(sandbox.status().note)
    monkeypatch.chdir(TW)
    world["baseline"] = snapshot(world)
    executed, sprung = run_all(world, _run_in_process)
    sandbox.status.cache_clear()
    print(f"\nrt2 tripwires ({'sandboxed' if sandboxed else 'allowlist only'}): {len(ATTEMPTS)} attempts, "
          f"{executed} commands executed, {len(sprung)} sprung a trap")
    assert sprung == [], "\n".join(sprung)
    assert executed > 5  # the harmless ones did run: the suite exercises execution too


if __name__ == "__main__":  # the CLI way: `agent test FILE --execute` per attempt
    from tests.tests_services import DEFAULTS

    env = {k: os.environ.get(k, v) for k, v in DEFAULTS.items()}
    os.chdir(Path(__file__).parent.parent)
    with traps(env) as state:
        only = os.environ.get("RT_ONLY", "")  # the attempts whose heading this regular expression finds
        executed, sprung = run_all(state, _run_cli, only)
    print("\n".join(sprung))
    tried = sum(bool(re.search(only, a.title)) for a in ATTEMPTS)
    print(f"{tried} attempts, {executed} commands executed, {len(sprung)} sprung a trap "
          f"({len(sprung) / max(1, tried):.1%})")
