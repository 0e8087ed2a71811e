"""`agent test --execute` against a real PostgreSQL and Redis: read-only checks run and pass,
destructive ones never run (the data and a bystander session survive)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.checks import check_file
from agent.checks.execute import execute_file

FIXTURE = Path(__file__).parent / "fixtures" / "live-runbook.md"


@pytest.fixture()
def seeded(live_services: dict[str, str]) -> Iterator[dict[str, str]]:
    import psycopg
    import redis

    conn = psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]),
                           user=live_services["PGUSER"], dbname=live_services["PGDATABASE"], autocommit=True)
    conn.execute("DROP TABLE IF EXISTS items")
    conn.execute("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)")
    conn.execute("INSERT INTO items (name) VALUES ('alpha'), ('beta'), ('gamma')")
    client = redis.Redis.from_url(live_services["REDIS_URL"])
    client.set("runbook:key", "kept")
    client.set("runbook:other", "kept too")
    try:
        yield live_services
        # The bystander session is still alive: pg_terminate_backend never ran.
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (3,)
        assert [r[0] for r in conn.execute("SELECT name FROM items ORDER BY id")] == ["alpha", "beta", "gamma"]
        assert client.get("runbook:key") == b"kept"
        assert client.get("runbook:other") == b"kept too"
    finally:
        conn.close()
        client.close()


def test_fixture_is_statically_clean() -> None:
    report = check_file(FIXTURE, profile="generic", tools=False, variables=["REDIS_URL", "NAMESPACE"])
    assert report.findings == []


def test_read_only_checks_pass_destructive_never_run(seeded: dict[str, str]) -> None:
    run = execute_file(FIXTURE, dict(seeded), timeout=15)
    by_text = {r.command.strip(): r for r in run.results}

    def status(prefix: str) -> str:
        [match] = [r for t, r in by_text.items() if t.startswith(prefix)]
        return match.status

    assert status("SELECT count(*) FROM items") == "passed"
    assert by_text["SELECT count(*) FROM items;".rstrip(";")].output == "3"
    assert status('psql -X -c "SELECT name FROM items') == "passed"
    assert status('redis-cli -u "$REDIS_URL" GET') == "passed"
    assert status('redis-cli -u "$REDIS_URL" DBSIZE') == "passed"
    assert status("ITEMS=$(psql") == "passed"
    assert status('test "$ITEMS" -ge 3') == "passed"  # the value flowed from the line above
    nothing = [r for t, r in by_text.items() if t.startswith("kubectl get pods")][0]
    assert nothing.status == "skipped" and "$NAMESPACE" in nothing.reason
    missing = [r for t, r in by_text.items() if "no_such_table" in t][0]
    assert missing.status == "failed" and "no_such_table" in missing.reason
    for prefix in ('redis-cli -u "$REDIS_URL" FLUSHALL', 'psql -X -c "DROP TABLE', 'psql -X -c "SELECT pg_terminate',
                   'psql -X -c "DELETE FROM', 'redis-cli -u "$REDIS_URL" DEL', "UPDATE items"):
        [result] = [r for t, r in by_text.items() if t.startswith(prefix)]
        assert result.status == "skipped", prefix
        assert "never run" in result.reason
    assert run.failed  # the no_such_table check failed, so the run reports failure


def test_dry_run_lists_and_runs_nothing(seeded: dict[str, str]) -> None:
    run = execute_file(FIXTURE, dict(seeded), dry_run=True)
    statuses = {r.status for r in run.results}
    assert statuses == {"would-run", "skipped"}
    assert sum(r.status == "would-run" for r in run.results) == 7
    assert not run.failed


def test_cli_execute_exit_code(seeded: dict[str, str], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from agent.cli import cli

    passing = tmp_path / "ok.md"
    passing.write_text("# T\n\n## Checks\n\n```bash\nredis-cli -u \"$REDIS_URL\" PING\n```\n\n"
                       "> **Warning:** wipes Redis\n\n```bash\nredis-cli -u \"$REDIS_URL\" FLUSHALL\n```\n")
    args = ["test", str(passing), "--execute", "--no-tools", "--profile", "generic",
            "--var", f"REDIS_URL={seeded['REDIS_URL']}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed, 1 skipped" in result.output
    failing = CliRunner().invoke(cli, ["test", str(FIXTURE), "--execute", "--no-tools", "--profile", "generic",
                                       *[f"--var={k}={v}" for k, v in seeded.items()]])
    assert failing.exit_code == 1
