"""The `live_services` fixture: connection settings of the PostgreSQL and Redis that
`.ci/services.sh` starts (same defaults), checked reachable before a test uses them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

DEFAULTS = {"PGHOST": "127.0.0.1", "PGPORT": "55432", "PGUSER": "postgres", "PGDATABASE": "runbook_test",
            "REDIS_URL": "redis://127.0.0.1:56379/0"}
ENV_FILE = Path(os.environ.get("RUNBOOK_SERVICES_ENV", "/tmp/runbook-agent-services/env"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} — CI must start them with .ci/services.sh", pytrace=False)
    pytest.skip(f"{reason}; start them with `bash .ci/services.sh`")


@pytest.fixture(scope="session")
def live_services() -> dict[str, str]:
    env = {k: os.environ.get(k, v) for k, v in DEFAULTS.items()}
    try:
        import psycopg
        import redis
    except ImportError as exc:
        _unavailable(f"client library missing: {exc.name}")
        raise
    try:
        with psycopg.connect(host=env["PGHOST"], port=int(env["PGPORT"]), user=env["PGUSER"],
                             dbname=env["PGDATABASE"], connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL not reachable at {env['PGHOST']}:{env['PGPORT']} ({str(exc).strip()[:80]})")
    try:
        redis.Redis.from_url(env["REDIS_URL"], socket_timeout=3).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis not reachable at {env['REDIS_URL']} ({exc})")
    return env


@contextmanager
def scratch_database(env: dict[str, str], name: str) -> Iterator[dict[str, Any]]:
    """A database of its own on the live PostgreSQL, dropped afterwards: {"conn": an autocommit
    connection to it, "vars": the --var settings that point `agent test --execute` at it}."""
    import psycopg

    def connect(dbname: str) -> Any:
        return psycopg.connect(host=env["PGHOST"], port=int(env["PGPORT"]), user=env["PGUSER"], dbname=dbname,
                               autocommit=True)

    admin = connect("postgres")
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {name}")
    conn = connect(name)
    try:
        yield {"conn": conn, "vars": {"PGHOST": env["PGHOST"], "PGPORT": env["PGPORT"], "PGUSER": env["PGUSER"],
                                      "PGDATABASE": name}}
    finally:
        conn.close()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def run_sql_block(sql: str, variables: dict[str, str], timeout: float = 5) -> tuple[str, str]:
    """(status, reason) of one ```sql block run by `agent test --execute`'s runner."""
    from agent.checks.execute import execute_markdown

    run = execute_markdown(f"# t\n\n## s\n\n```sql\n{sql}\n```\n", "t.md", variables, timeout=timeout)
    return run.results[0].status, run.results[0].reason
