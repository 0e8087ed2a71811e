"""The `live_services` fixture: connection settings of the PostgreSQL and Redis that
`.ci/services.sh` starts (same defaults), checked reachable before a test uses them."""

from __future__ import annotations

import os
from pathlib import Path

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
