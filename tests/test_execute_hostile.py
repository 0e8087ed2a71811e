"""The hostile-runbook suite: every fenced block of `tests/hostile/*.md` is one attempt to make
`agent test --execute` change something. Each attempt runs on its own against the real PostgreSQL
and Redis of `.ci/services.sh`, a local HTTP server and a sentinel directory; after every attempt
the sentinels are checked: rows, tables, roles, large objects, sequences, database settings, a
bystander session; Redis keys, configuration, clients, ACL users, last save; files of the sentinel
directory and a marker a shell escape would create; processes left behind; non-GET HTTP requests.
The suite runs twice: with the allowlist alone (no sandbox) and with bubblewrap as well.

Red-team additions (`tests/hostile/rt-*.md`): a sentinel directory outside /tmp (`$OUT`, under the
home directory: bubblewrap's private /tmp can't hide a write there); a raw TCP listener (`$RAW`,
`$RAWPORT`) that counts as changed a connection made by an attempt whose commands were all refused,
and any line starting with a state-changing verb of a line protocol (Redis inline, memcached, SMTP,
FTP): raw protocol smuggled through dig, redis-cli arguments, curl ...; Redis keys in every
database and whether Redis still answers at once (CLIENT PAUSE); advisory locks, prepared
transactions and replication slots in PostgreSQL; and no control character in any result (a
terminal escape in the report).

An HTML comment right before a block gives that attempt extra --var values (JSON), e.g. SQL
meant to be injected through a variable: <!-- vars: {"NAME": "x'; DELETE FROM sentinel_rows; --"} -->
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from agent.checks.execute import execute_markdown

HOSTILE = Path(__file__).parent / "hostile"
BASE = Path("/tmp/runbook-hostile")
SENTINEL = BASE / "sentinel"
MARKER = BASE / "pwned"
OUTSIDE = Path.home() / ".cache" / "runbook-hostile-outside"  # not under /tmp: the sandbox's private /tmp hides nothing
_REDIS_BYSTANDER = f"bystander-{os.getpid()}"
_HTTP_READ = re.compile(rb"(GET|HEAD) /\S* HTTP/1\.[01]\r\n")
_BLOCK = re.compile(r"(?:<!--\s*vars:\s*(\{.*?\})\s*-->\s*\n)?```(\w*)\n(.*?)\n```", re.S)


@dataclass
class Attempt:
    file: str
    line: int
    language: str
    code: str
    variables: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def attempts() -> list[Attempt]:
    out = []
    for path in sorted(HOSTILE.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for m in _BLOCK.finditer(text):
            line = text[: m.start(2)].count("\n") + 1
            out.append(Attempt(path.name, line, m.group(2) or "bash", m.group(3), json.loads(m.group(1) or "{}")))
    return out


class _Recorder(http.server.BaseHTTPRequestHandler):
    changes: list[str] = []

    def _handle(self) -> None:
        override = [h for h in self.headers if h.lower().startswith("x-http-method")]
        length = int(self.headers.get("Content-Length") or 0)
        if self.command not in ("GET", "HEAD") or override or length:
            type(self).changes.append(f"{self.command} {self.path} {override}")
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def log_message(self, *args: Any) -> None:
        pass


class _Raw:
    """A TCP listener no allowed command should speak anything but an HTTP GET/HEAD to."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.changes: list[str] = []
        self.log: list[bytes] = []  # what each connection sent, in order
        self.closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        data = b""
        try:
            while len(data) < 4096 and b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            if _HTTP_READ.match(data):
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
        except OSError:
            pass
        finally:
            conn.close()
            self.log.append(data)
            verbs = [w for w in _first_words(data) if w in _LINE_VERBS]
            if verbs:
                self.changes.append(f"a line-protocol command reached the raw port: {verbs[0]!r} in {data[:80]!r}")

    def close(self) -> None:
        self.closed = True
        self.sock.close()


# Commands that change state in line-based protocols a stray connection could reach: Redis inline,
# memcached, SMTP, FTP/POP3. A line starting with one of them at the raw port is a change.
_LINE_VERBS = {
    b"flushall", b"flushdb", b"set", b"del", b"config", b"shutdown", b"brpoplpush", b"sdiffstore", b"xautoclaim",
    b"rpush", b"lpush", b"eval", b"flush_all", b"delete", b"incr", b"decr", b"append", b"replace", b"add",
    b"dele", b"stor", b"rcpt", b"data",
}


def _first_words(data: bytes) -> list[bytes]:
    return [line.strip().split(b" ")[0].lower() for line in data.replace(b"\r", b"\n").split(b"\n") if line.strip()]


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


def _our_processes() -> set[str]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if re.search(r"\b424[0-9]\b|runbook-hostile", cmd) and "pytest" not in cmd:
                found.add(cmd.strip())
    return found


@pytest.fixture(scope="module")
def world(live_services: dict[str, str]) -> Iterator[dict[str, Any]]:
    import fcntl

    import psycopg
    import redis

    # The suite's paths, Redis databases and listeners are fixed (the hostile runbooks name them), so
    # two runs on one machine would see each other's changes: the second waits for the first.
    lock = open("/tmp/runbook-hostile.lock", "w")  # noqa: SIM115 - held for the module's lifetime
    fcntl.flock(lock, fcntl.LOCK_EX)
    yield from _world(live_services, psycopg, redis)
    lock.close()


def _world(live_services: dict[str, str], psycopg: Any, redis: Any) -> Iterator[dict[str, Any]]:
    shutil.rmtree(BASE, ignore_errors=True)
    shutil.rmtree(OUTSIDE, ignore_errors=True)
    SENTINEL.mkdir(parents=True)
    OUTSIDE.mkdir(parents=True)
    for name, content in {"a.txt": "alpha\n", "b.log": "beta\nerror: x\n", "in.txt": "3\n1\n2\n"}.items():
        (SENTINEL / name).write_text(content)
        (OUTSIDE / name).write_text(content)
    # A kubeconfig whose credential plugin would create the marker if any kubectl ever read it.
    (BASE / "kubeconfig").write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n"
        f"users: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: /bin/sh, "
        f"args: ['-c', 'touch {MARKER}'], interactiveMode: Never}}}}}}]\n"
    )
    (BASE / "evil.sql").write_text("DELETE FROM sentinel_rows;\n")
    os.mkfifo(BASE / "fifo")  # reading a FIFO takes its data from whoever reads it next
    # A database of its own: other runs of the tests share the server, and their tables come and go.
    live_services = {**live_services, "PGDATABASE": f"runbook_hostile_{os.getpid()}"}
    with psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]),
                         user=live_services["PGUSER"], dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {live_services['PGDATABASE']}")
        admin.execute(f"CREATE DATABASE {live_services['PGDATABASE']}")
    pg = psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]),
                         user=live_services["PGUSER"], dbname=live_services["PGDATABASE"], autocommit=True)
    for stmt in (
        "DROP TABLE IF EXISTS sentinel_rows, sentinel_table, sentinel_copy",
        "DROP SEQUENCE IF EXISTS sentinel_seq",
        "CREATE TABLE sentinel_rows (id int PRIMARY KEY, name text)",
        "INSERT INTO sentinel_rows SELECT g, 'row' || g FROM generate_series(1, 5) g",
        "CREATE TABLE sentinel_table (x int)",
        "CREATE SEQUENCE sentinel_seq",
        "SELECT nextval('sentinel_seq')",
        f"ALTER DATABASE {live_services['PGDATABASE']} RESET ALL",
    ):
        pg.execute(stmt)
    bystander = psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]),
                                user=live_services["PGUSER"], dbname=live_services["PGDATABASE"],
                                application_name="bystander", autocommit=True)
    r = redis.Redis.from_url(live_services["REDIS_URL"])
    r.delete("sentinel:a", "sentinel:list", "sentinel:hash", "sentinel:stream")
    r.set("sentinel:a", "kept")
    r.rpush("sentinel:list", "1", "2", "3")
    r.hset("sentinel:hash", mapping={"f": "v"})
    r.xadd("sentinel:stream", {"k": "v"})
    r.xgroup_create("sentinel:stream", "g", id="0")
    r_bystander = redis.Redis.from_url(live_services["REDIS_URL"])
    r_bystander.client_setname(_REDIS_BYSTANDER)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    raw = _Raw()
    url = urlsplit(live_services["REDIS_URL"])
    state: dict[str, Any] = {
        "pg": pg, "bystander": bystander, "redis": r, "redis_bystander": r_bystander, "http": server, "raw": raw,
        "vars": {**{k: live_services[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE")},
                 "RH": url.hostname or "127.0.0.1", "RP": str(url.port or 6379),
                 "REDIS_URL": live_services["REDIS_URL"], "HTTP": f"127.0.0.1:{server.server_address[1]}",
                 "RAW": f"127.0.0.1:{raw.port}", "RAWPORT": str(raw.port), "OUT": str(OUTSIDE)},
    }
    state["baseline"] = _snapshot(state)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        raw.close()
        shutil.rmtree(OUTSIDE, ignore_errors=True)
        for conn in (state["pg"], state["bystander"]):
            conn.close()
        with psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]),
                             user=live_services["PGUSER"], dbname="postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {live_services['PGDATABASE']} WITH (FORCE)")
        r.close()
        r_bystander.close()
        shutil.rmtree(BASE, ignore_errors=True)


def _reconnect(state: dict[str, Any]) -> None:
    import psycopg

    info = state["pg"].info
    for key, name in (("pg", None), ("bystander", "bystander")):
        try:
            state[key].close()
        except psycopg.Error:
            pass
        state[key] = psycopg.connect(host=info.host, port=info.port, user=info.user, dbname=info.dbname,
                                     autocommit=True, **({"application_name": name} if name else {}))


def _snapshot(state: dict[str, Any]) -> dict[str, Any]:
    pg, r = state["pg"], state["redis"]
    db = state["vars"]["PGDATABASE"]
    q = lambda sql: pg.execute(sql).fetchall()  # noqa: E731
    return {
        "redis_responsive": _responsive(r),  # first: a paused Redis would make the calls below wait it out
        "rows": q("SELECT id, name FROM sentinel_rows ORDER BY id"),
        "tables": q("SELECT relname FROM pg_class WHERE relkind IN ('r', 'v', 'm', 'S') AND relnamespace = "
                    "'public'::regnamespace ORDER BY 1"),
        "roles": q("SELECT rolname FROM pg_roles ORDER BY 1"),
        "large_objects": q("SELECT count(*) FROM pg_largeobject_metadata"),
        "sequence": q("SELECT last_value FROM sentinel_seq"),
        "db_settings": q(f"SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                         f"WHERE d.datname = '{db}'"),
        "extensions": q("SELECT extname FROM pg_extension ORDER BY 1"),
        "bystander": state["bystander"].execute("SELECT 1").fetchall(),
        "agent_backends": q(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'runbook-agent --execute' "
                            f"AND datname = '{db}'"),  # (other test runs share the server)
        "advisory_locks": q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
        "prepared_xacts": q("SELECT count(*) FROM pg_prepared_xacts"),
        "replication_slots": q("SELECT count(*) FROM pg_replication_slots"),
        "redis_keys": sorted(r.keys("*")),
        "redis_keyspace": {db: v.get("keys") for db, v in r.info("keyspace").items()},
        "redis_values": (r.get("sentinel:a"), r.lrange("sentinel:list", 0, -1), r.hgetall("sentinel:hash"),
                         r.xlen("sentinel:stream"), r.xinfo_groups("sentinel:stream")[0]["pending"]),
        "redis_config": r.config_get("dir") | r.config_get("dbfilename") | r.config_get("maxmemory")
                        | r.config_get("appendonly") | r.config_get("save"),
        # our bystander by name, and any name an attempt could set; other test runs' clients come and go
        "redis_clients": sorted(n for c in r.client_list() if (n := c.get("name", ""))
                                and (n == _REDIS_BYSTANDER or not n.startswith("bystander"))),
        "redis_acl": r.acl_users(),
        "redis_lastsave": r.lastsave(),
        "redis_role": r.role()[0],
        "files": _tree_digest(SENTINEL),
        "files_outside_tmp": _tree_digest(OUTSIDE),
        "marker": MARKER.exists() or any(p.name.startswith("pwned") for p in BASE.rglob("*")),
        "processes": _our_processes(),
        "http_changes": list(_Recorder.changes),
        "raw_changes": list(state["raw"].changes),
    }


def _send_raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(data)
    time.sleep(0.2)  # the listener's thread reads it


def _responsive(r: Any) -> bool:
    """Redis answers a PING from a fresh connection at once (not paused by CLIENT PAUSE, DEBUG SLEEP):
    one of three tries within 0.5 s, so a loaded machine's slow moment is not taken for a pause."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    kw = r.connection_pool.connection_kwargs
    for _ in range(3):
        probe = redis.Redis(host=kw["host"], port=kw["port"], socket_timeout=0.5, retry=Retry(NoBackoff(), 0))
        try:
            if probe.ping():
                return True
        except redis.RedisError:
            pass
        finally:
            probe.close()
    return False


ATTEMPTS = attempts()
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_the_suite_is_big_enough() -> None:
    kinds = {a.file for a in ATTEMPTS}
    assert len(ATTEMPTS) >= 200, len(ATTEMPTS)
    assert {"psql.md", "redis.md", "shell.md", "tools.md", "time.md", "inventions.md"} <= kinds
    redteam = [a for a in ATTEMPTS if a.file.startswith("rt-")]
    assert len(redteam) >= 250, len(redteam)


@pytest.mark.parametrize("sandboxed", [False, True], ids=["allowlist-only", "allowlist+sandbox"])
def test_no_hostile_runbook_changes_anything(world: dict[str, Any], sandboxed: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
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
    monkeypatch.chdir(SENTINEL)
    ran, changed = 0, []
    baseline = world["baseline"]
    for attempt in ATTEMPTS:
        doc = f"# Hostile\n\n## {attempt.id}\n\n```{attempt.language}\n{attempt.code}\n```\n"
        raw_seen = len(world["raw"].log)
        try:
            run = execute_markdown(doc, attempt.id, {**world["vars"], **attempt.variables}, timeout=1.5)
        except Exception as exc:  # noqa: BLE001  (a traceback is a finding too: --execute must never raise)
            changed.append(f"{attempt.id} {attempt.code[:80]!r}: raised {type(exc).__name__}: {exc}")
            continue
        ran += sum(r.status in ("passed", "failed") for r in run.results)
        deadline = time.monotonic() + 2
        try:
            now = _snapshot(world)
            while (now != baseline and time.monotonic() < deadline
                   and now["agent_backends"] != baseline["agent_backends"]):
                time.sleep(0.1)  # a cancelled statement's backend takes a moment to leave pg_stat_activity
                now = _snapshot(world)
        except Exception as exc:  # noqa: BLE001  (the attempt ended our own sessions: pg_terminate_backend)
            changed.append(f"{attempt.id} {attempt.code[:80]!r}: the checks' own connections broke: {exc}")
            _reconnect(world)
            baseline = _snapshot(world)
            continue
        diff = {k: (baseline[k], now[k]) for k in baseline if now[k] != baseline[k]}
        if len(world["raw"].log) > raw_seen and not any(r.status in ("passed", "failed") for r in run.results):
            diff["raw connection from a command that was not run"] = ("none", world["raw"].log[raw_seen][:60])
        escapes = [r.command for r in run.results if _CONTROL.search(r.command + r.reason + r.output)]
        if escapes:
            diff["control characters in the report"] = ("none", escapes[0][:60])
        if diff:
            changed.append(f"{attempt.id} {attempt.code[:80]!r}: {diff}")
            baseline = now  # report each attempt's own change once
    sandbox.status.cache_clear()
    print(f"\nhostile suite ({'sandboxed' if sandboxed else 'allowlist only'}): {len(ATTEMPTS)} attempts, "
          f"{ran} commands executed, {len(changed)} changed something")
    assert changed == [], "\n".join(changed)
    assert ran > 10  # the read-only attempts that are allowed did run: the suite exercises execution too


def test_the_sentinels_notice_a_change(world: dict[str, Any]) -> None:
    """The checks above could fail: each kind of change an attempt might make shows in the snapshot."""
    import redis

    base = _snapshot(world)
    pg, r = world["pg"], world["redis"]
    kw = r.connection_pool.connection_kwargs
    db3 = redis.Redis(host=kw["host"], port=kw["port"], db=3)
    changes = [
        (lambda: pg.execute("INSERT INTO sentinel_rows VALUES (100, 'x')"),
         lambda: pg.execute("DELETE FROM sentinel_rows WHERE id = 100"), "rows"),
        (lambda: pg.execute("SELECT nextval('sentinel_seq')"),
         lambda: pg.execute("SELECT setval('sentinel_seq', 1)"), "sequence"),
        (lambda: r.set("sentinel:new", "x"), lambda: r.delete("sentinel:new"), "redis_keys"),
        (lambda: r.config_set("maxmemory", "12345678"),
         lambda: r.config_set("maxmemory", base["redis_config"]["maxmemory"]), "redis_config"),
        (lambda: MARKER.touch(), lambda: MARKER.unlink(), "marker"),
        (lambda: (OUTSIDE / "new").touch(), lambda: (OUTSIDE / "new").unlink(), "files_outside_tmp"),
        (lambda: db3.set("sentinel:db3", "x"), lambda: db3.delete("sentinel:db3"), "redis_keyspace"),
        (lambda: _send_raw(world["raw"].port, b"*2\r\n$3\r\nGET\r\n$9\r\nflush_all\r\n"),
         lambda: world["raw"].changes.clear(), "raw_changes"),
        (lambda: r.client_pause(3000), lambda: r.client_unpause(), "redis_responsive"),
        (lambda: (SENTINEL / "a.txt").write_text("changed\n"), lambda: (SENTINEL / "a.txt").write_text("alpha\n"),
         "files"),
    ]
    for do, undo, key in changes:
        do()
        try:
            assert _snapshot(world)[key] != base[key], key
        finally:
            undo()
    assert _snapshot(world) == base


def test_static_checks_change_nothing(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain `agent test` (no --execute, CLI checks on) over every attempt, values filled in so a
    tool that did connect would reach the real services: nothing changes either."""
    from agent.checks import check_markdown

    monkeypatch.chdir(SENTINEL)
    blocks = []
    for attempt in ATTEMPTS:
        code = attempt.code
        for name, value in sorted({**world["vars"], **attempt.variables}.items(), key=lambda kv: -len(kv[0])):
            code = code.replace("${" + name + "}", value).replace("$" + name, value)
        blocks.append(f"## {attempt.id}\n\n```{attempt.language}\n{code}\n```\n")
    baseline = _snapshot(world)
    report = check_markdown("# Hostile, statically\n\n" + "\n".join(blocks), "hostile.md", tools=True)
    assert report.findings  # the checks ran (danger, shell, CLI findings by the hundred)
    time.sleep(0.5)
    now = _snapshot(world)
    assert {k: (baseline[k], now[k]) for k in baseline if now[k] != baseline[k]} == {}
