"""SQL through psycopg and Redis commands through redis-py: never psql or redis-cli, whose own
features (meta-commands, -o |cmd, --pipe, --eval) are what made them dangerous. Imported only when
`--execute` runs something.

PostgreSQL: the connection is opened with `default_transaction_read_only=on`, `statement_timeout`,
`idle_in_transaction_session_timeout` and `lock_timeout` as server-side startup options, the
statement runs in a READ ONLY transaction that is always rolled back, and the client cancels it at
the timeout (so `generate_series` over billions can't outlive the run on the server either).
Connection parameters from the runbook or `--var` are limited to an allowlist (no `options`,
`service`, ...), so nothing can switch those settings off.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from agent.checks.live import Refused

_PG_KEYS = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
    "channel_binding",
    "gssencmode",
}


@dataclass
class PgTarget:
    params: dict[str, str] = field(default_factory=dict)
    tuples_only: bool = False
    unaligned: bool = False
    expanded: bool = False
    csv: bool = False
    separator: str = "|"


def pg_conninfo(text: str) -> dict[str, str]:
    """A URI or key=value connection string as parameters, refusing keys outside the allowlist."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        raw = conninfo_to_dict(text)
    except Exception as exc:  # noqa: BLE001  (psycopg raises ProgrammingError for a bad string)
        raise Refused(f"connection string does not parse ({type(exc).__name__})") from None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key not in _PG_KEYS:
            raise Refused(f"connection option {key}= is not allowed (it could change the read-only settings)")
        if any(ord(c) < 32 or ord(c) == 127 for c in str(value)):
            # `%0A` in a URI decodes to a newline inside the startup packet: a line-protocol server
            # on that port (memcached, SMTP, Redis inline) would read what follows as a command
            raise Refused(f"connection option {key}= holds a control character: not run")
        out[key] = str(value)
    for key in ("host", "hostaddr", "port"):
        if out.get(key, "").count(",") > 3:  # each host gets connect_timeout: a hundred of them never end
            raise Refused(f"connection option {key}= lists more than 4 servers")
    return out


def run_sql(sql: str, target: PgTarget, timeout: float, fields: frozenset[str] = frozenset(), *,
            relations: frozenset[tuple[str, str]] = frozenset(), operators: frozenset[str] = frozenset(),
            functions: frozenset[str] = frozenset()) -> tuple[
    str, str, str
]:
    """(status, reason, output) of one allowed statement. What it reaches in this database is
    checked first (`reach`): `fields`, names it writes as `x.name` (attribute notation would call a
    function of that name), `relations` it reads (a view runs its body, a foreign table its
    wrapper) and `operators` it spells (another schema's operator of that name may be the one
    PostgreSQL picks)."""
    import psycopg

    ms = max(1, int(math.ceil(timeout * 1000)))
    params = dict(target.params)
    params["options"] = (
        f"-c default_transaction_read_only=on -c statement_timeout={ms} "
        f"-c idle_in_transaction_session_timeout={ms} -c lock_timeout={ms}"
    )
    # never longer than our own timeout, whatever the connection string asked for (connect_timeout=99999)
    bound = max(1, int(math.ceil(min(timeout, 30))))
    asked = params.get("connect_timeout", "")
    params["connect_timeout"] = str(min(int(asked), bound) if asked.isdigit() and int(asked) > 0 else bound)
    params["application_name"] = "runbook-agent --execute"
    deadline = time.monotonic() + timeout
    try:
        # connect_timeout applies per host and per address: the whole attempt gets what is left
        conn = _within(deadline, lambda: psycopg.connect(**params, autocommit=False),  # type: ignore[arg-type]
                       lambda late: late.close())
    except TimeoutError:
        return "failed", f"cannot connect within {timeout:g}s", ""
    except psycopg.Error as exc:
        return "failed", f"cannot connect: {_first_line(exc)}", ""
    # at the deadline the statement is cancelled; a server that ignores that (or trickles its reply
    # a byte at a time) has the connection shut under it a moment later
    hung_up = threading.Event()
    left = max(0.0, deadline - time.monotonic())
    timer = threading.Timer(left, _cancel, args=(conn,))
    guard = threading.Timer(left + _GRACE, _hang_up, args=(conn.fileno(), hung_up))
    guard.start()
    try:
        conn.read_only = True
        with conn.cursor() as cur:
            timer.start()
            cur.execute("SHOW transaction_read_only")
            row = cur.fetchone()
            if not row or row[0] != "on":  # belt and braces: never run outside a read-only transaction
                return "failed", "the transaction is not read-only: not run", ""
            # pg_catalog first, explicitly: a database whose search_path puts a schema before it
            # can't shadow the operators and relations the statement names (functions and types
            # are already written pg_catalog.NAME by the gate)
            cur.execute(
                "SELECT pg_catalog.set_config('search_path', 'pg_catalog, ' || "
                "pg_catalog.current_setting('search_path'), true)"
            )
            from agent.checks.live.sql_reach import reach

            problem = reach(cur, fields, relations, operators, functions)
            if problem:
                return "not-run", problem, ""
            rows = _stream(conn, cur, sql)
            names = [d.name for d in cur.description or []]
        return "passed", "", _format(names, rows, target)
    except psycopg.errors.QueryCanceled:
        return "failed", f"timed out after {timeout:g}s (cancelled on the server)", ""
    except psycopg.Error as exc:
        if hung_up.is_set():
            return "failed", f"timed out after {timeout:g}s (the server did not stop: disconnected)", ""
        return "failed", _first_line(exc), ""
    finally:
        timer.cancel()
        guard.cancel()
        try:
            conn.rollback()
        except psycopg.Error:
            pass  # the connection is gone (the server ended it): nothing to roll back
        finally:
            conn.close()


_GRACE = 2.0  # seconds past the deadline before the connection is shut


def _within(deadline: float, attempt: Any, discard: Any) -> Any:
    """attempt()'s result if it comes before `deadline`, else TimeoutError (a result that comes later is
    passed to `discard`)."""
    box: dict[str, Any] = {}
    lock = threading.Lock()

    def run() -> None:
        try:
            result = attempt()
        except BaseException as exc:  # noqa: BLE001  (handed to the caller as raised)
            box["error"] = exc
            return
        with lock:
            if box.get("late"):
                discard(result)
            else:
                box["result"] = result

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    with lock:
        if "result" in box:
            return box["result"]
        if "error" in box:
            raise box["error"]
        box["late"] = True
    raise TimeoutError


def _hang_up(fd: int, done: threading.Event) -> None:
    """Shut the socket behind `fd` (both ways): a read blocked on it in another thread returns at once.
    Through a duplicate, so the owner's descriptor stays valid until it closes it itself."""
    import os
    import socket

    done.set()
    try:
        dup = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        dup.close()


MAX_ROWS = 1000  # rows read of a result; the rest is cancelled on the server, never buffered here


def _stream(conn: Any, cur: Any, sql: str) -> list[tuple[Any, ...]]:
    """At most MAX_ROWS rows, read one at a time (a SELECT of a billion rows never fills memory)."""
    import psycopg

    rows: list[tuple[Any, ...]] = []
    stream = cur.stream(sql.encode())
    try:
        for row in stream:
            rows.append(row)
            if len(rows) >= MAX_ROWS:
                conn.cancel_safe(timeout=5)
                break
        stream.close()
    except psycopg.errors.QueryCanceled:
        if len(rows) < MAX_ROWS:
            raise  # the timeout, not us
    return rows


def _cancel(conn: Any) -> None:
    try:
        conn.cancel_safe(timeout=5)
    except Exception:  # noqa: BLE001  (the statement may have just finished)
        pass


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _format(names: list[str], rows: list[tuple[Any, ...]], target: PgTarget) -> str:
    def cell(v: Any) -> str:
        return "" if v is None else str(v)

    sep = "," if target.csv else target.separator
    lines: list[str] = []
    if target.expanded:
        for row in rows:
            lines += [f"{n}{sep}{cell(v)}" for n, v in zip(names, row, strict=False)]
    else:
        if not target.tuples_only:
            lines.append(sep.join(names))
        lines += [sep.join(cell(v) for v in row) for row in rows]
    return "\n".join(lines)[:2000]


@dataclass
class RedisTarget:
    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    ssl_ca_certs: str | None = None
    unix_socket: str | None = None


def redis_url(url: str) -> RedisTarget:
    """redis://[user:pass@]host[:port][/db], rediss:// (TLS) or unix:///path: nothing else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("REDIS URL does not parse") from None
    query = dict(parse_qsl(parts.query))
    if set(query) - {"db"}:
        raise Refused(f"REDIS URL option {sorted(set(query) - {'db'})[0]}= is not allowed")
    target = RedisTarget()
    if parts.scheme == "unix":
        target.unix_socket = parts.path
    elif parts.scheme in ("redis", "rediss"):
        target.host = parts.hostname or "127.0.0.1"
        target.port = port or 6379
        target.ssl = parts.scheme == "rediss"
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise Refused("REDIS URL database must be a number")
        target.db = int(path or query.get("db", "0") or 0)
    else:
        raise Refused(f"REDIS URL scheme {parts.scheme or '(none)'} is not redis://, rediss:// or unix://")
    target.username = unquote(parts.username) if parts.username else None
    target.password = unquote(parts.password) if parts.password else None
    return target


def run_redis(words: list[str], target: RedisTarget, timeout: float, *, scan: tuple[str, int] | None = None) -> tuple[
    str, str, str
]:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    deadline = time.monotonic() + timeout
    speaks = _speaks_resp(target, deadline)
    if speaks:
        return "failed", speaks, ""
    if time.monotonic() >= deadline:
        return "failed", f"timed out after {timeout:g}s", ""
    kwargs: dict[str, Any] = {
        "retry": Retry(NoBackoff(), 0),  # redis-py retries a timeout 3 times by default: the bound is ours
        "db": target.db,
        "username": target.username,
        "password": target.password,
        "socket_timeout": timeout,
        "socket_connect_timeout": min(timeout, 30),
    }
    if target.unix_socket:
        client = redis.Redis(unix_socket_path=target.unix_socket, **kwargs)
    else:
        client = redis.Redis(
            host=target.host, port=target.port, ssl=target.ssl, ssl_ca_certs=target.ssl_ca_certs, **kwargs
        )
    # socket_timeout bounds each read, and the handshake (HELLO, AUTH, CLIENT SETINFO, SELECT) is several:
    # at the deadline every connection is shut, whatever it was waiting for
    hung_up = threading.Event()

    def hang_up() -> None:
        hung_up.set()
        client.connection_pool.disconnect(inuse_connections=True)

    guard = threading.Timer(max(0.0, deadline - time.monotonic()), hang_up)
    guard.start()
    try:
        if scan is not None:
            pattern, count = scan
            keys: list[str] = []  # (a pattern that matches nothing walks every key: the deadline ends it)
            cursor: Any = 0
            while True:
                cursor, batch = client.scan(cursor, match=pattern or None, count=count or None)
                keys += [_text(k) for k in batch]
                if int(cursor) == 0 or len(keys) >= 10000:
                    break
                if time.monotonic() > deadline:
                    return "failed", f"timed out after {timeout:g}s", "\n".join(keys)[:2000]
            return "passed", "", "\n".join(keys)[:2000]
        reply = client.execute_command(*words)  # type: ignore[no-untyped-call]
    except redis.exceptions.ResponseError as exc:
        return "failed", f"Redis error: {_first_line(exc)}", ""
    except redis.exceptions.TimeoutError:
        return "failed", f"timed out after {timeout:g}s", ""
    except redis.RedisError as exc:
        if hung_up.is_set():
            return "failed", f"timed out after {timeout:g}s (disconnected)", ""
        return "failed", f"cannot reach Redis: {_first_line(exc)}", ""
    except Exception as exc:  # noqa: BLE001  (a server that only looks like Redis can trip redis-py anywhere)
        if hung_up.is_set():
            return "failed", f"timed out after {timeout:g}s (disconnected)", ""
        return "failed", f"the server's reply is not Redis's ({type(exc).__name__})", ""
    finally:
        guard.cancel()
        client.close()
    return "passed", "", _text(reply)[:2000]


def _speaks_resp(target: RedisTarget, deadline: float) -> str:
    """"" when the server answers a bare PING the way Redis does (`+PONG`, `-NOAUTH ...`), else why not.
    Redis's protocol puts every argument on a line of its own: sent to a line-based server on that
    port (memcached, SMTP, FTP), `GET flush_all` or `-a flush_all` would be a command there. So no
    argument, password included, is sent before the other end has shown it is Redis."""
    import socket
    import ssl

    timeout = max(0.1, deadline - time.monotonic())
    try:
        if target.unix_socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(min(timeout, 30))
                sock.connect(target.unix_socket)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((target.host, target.port), timeout=min(timeout, 30))
        with sock:
            conn: Any = sock
            if target.ssl:
                context = ssl.create_default_context(cafile=target.ssl_ca_certs)
                conn = context.wrap_socket(sock, server_hostname=target.host)
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            conn.sendall(b"*1\r\n$4\r\nPING\r\n")
            first = conn.recv(64)
    except OSError as exc:
        return f"cannot reach Redis: {_first_line(exc)}"
    if first.startswith((b"+PONG", b"-NOAUTH", b"-ERR", b"-WRONGPASS", b"-NOPERM", b"-LOADING", b"-MASTERDOWN")):
        return ""
    return f"the server at that address does not answer PING like Redis ({first[:20]!r}): nothing sent"


def _text(reply: Any) -> str:
    if reply is None:
        return ""
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    if isinstance(reply, (list, tuple)):
        return "\n".join(_text(r) for r in reply)
    if isinstance(reply, dict):
        return "\n".join(f"{_text(k)}:{_text(v)}" for k, v in reply.items())
    return str(reply)
