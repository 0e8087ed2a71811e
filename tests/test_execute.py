"""`agent test --execute` against a real PostgreSQL and Redis: the allowlisted read-only checks run
and pass, everything else is "not run" with its reason, and the data and a bystander session
survive. Plus the containment: timeouts end commands and their children (and statements on the
server), the sandbox keeps the filesystem read-only and /tmp private, bad --timeout values are
one clean line."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from agent.checks import check_file
from agent.checks.execute import execute_file, execute_markdown
from agent.checks.live import sandbox
from agent.cli import cli

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


def test_read_only_checks_pass_everything_else_not_run(seeded: dict[str, str]) -> None:
    run = execute_file(FIXTURE, dict(seeded), timeout=15)
    by_text = {r.command.strip(): r for r in run.results}

    def result(prefix: str) -> object:
        [match] = [r for t, r in by_text.items() if t.startswith(prefix)]
        return match

    assert result("SELECT count(*) FROM items").status == "passed"  # type: ignore[attr-defined]
    assert by_text["SELECT count(*) FROM items;".rstrip(";")].output == "3"
    assert result('psql -X -c "SELECT name FROM items').status == "passed"  # type: ignore[attr-defined]
    assert result('redis-cli -u "$REDIS_URL" GET').output == "kept"  # type: ignore[attr-defined]
    assert result('redis-cli -u "$REDIS_URL" DBSIZE').status == "passed"  # type: ignore[attr-defined]
    assert result("ITEMS=$(psql").status == "passed"  # type: ignore[attr-defined]
    assert result('test "$ITEMS" -ge 3').status == "passed"  # the value flowed from the line above
    nothing = result("kubectl get pods")
    assert nothing.status == "not-run" and "$NAMESPACE" in nothing.reason  # type: ignore[attr-defined]
    missing = [r for t, r in by_text.items() if "no_such_table" in t][0]
    assert missing.status == "failed" and "no_such_table" in missing.reason
    for prefix, why in [('redis-cli -u "$REDIS_URL" FLUSHALL', "FLUSHALL is not on the live allowlist"),
                        ('psql -X -c "DROP TABLE', "DROP is not run"),
                        ('psql -X -c "SELECT pg_terminate', "pg_terminate_backend() is not on the live allowlist"),
                        ('psql -X -c "DELETE FROM', "DELETE is not run"),
                        ('redis-cli -u "$REDIS_URL" DEL', "DEL is not on the live allowlist"),
                        ("UPDATE items", "UPDATE is not run"),
                        ('echo "$(redis-cli', "command substitution"),
                        ("cat <<EOF", "heredoc"),
                        ("diff <(redis-cli", "process substitution")]:
        r = result(prefix)
        assert r.status == "not-run", prefix  # type: ignore[attr-defined]
        assert why in r.reason, (prefix, r.reason)  # type: ignore[attr-defined]
    assert run.failed  # the no_such_table check failed, so the run reports failure
    assert run.sandbox  # the report says whether it was sandboxed


def test_dry_run_lists_and_runs_nothing(seeded: dict[str, str]) -> None:
    run = execute_file(FIXTURE, dict(seeded), dry_run=True)
    assert {r.status for r in run.results} == {"would-run", "not-run"}
    assert sum(r.status == "would-run" for r in run.results) == 7
    assert not run.failed
    assert "via psycopg" in [r for r in run.results if r.command.startswith("SELECT count")][0].reason


def test_cli_execute_exit_code_and_report(seeded: dict[str, str], tmp_path: Path) -> None:
    passing = tmp_path / "ok.md"
    passing.write_text("# T\n\n## Checks\n\n```bash\nredis-cli -u \"$REDIS_URL\" PING\n```\n\n"
                       "> **Warning:** wipes Redis\n\n```bash\nredis-cli -u \"$REDIS_URL\" FLUSHALL\n```\n")
    args = ["test", str(passing), "--execute", "--no-tools", "--profile", "generic",
            "--var", f"REDIS_URL={seeded['REDIS_URL']}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 failed, 1 not run" in result.output
    assert "sandboxed with bubblewrap" in result.output or "not sandboxed" in result.output
    failing = CliRunner().invoke(cli, ["test", str(FIXTURE), "--execute", "--no-tools", "--profile", "generic",
                                       *[f"--var={k}={v}" for k, v in seeded.items()]])
    assert failing.exit_code == 1


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "1e9"])
def test_bad_timeout_is_one_line_exit_2(value: str, tmp_path: Path) -> None:
    doc = tmp_path / "t.md"
    doc.write_text("# T\n\n## S\n\n```bash\necho hi\n```\n")
    result = CliRunner().invoke(cli, ["test", str(doc), "--execute", "--no-tools", "--timeout", value])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "--timeout" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_long_statement_is_cancelled_on_the_server(live_services: dict[str, str]) -> None:
    import psycopg

    doc = "# T\n\n## S\n\n```sql\nSELECT count(*) FROM generate_series(1, 100000000000) g;\n```\n"
    started = time.monotonic()
    run = execute_markdown(doc, "t.md", dict(live_services), timeout=1)
    assert time.monotonic() - started < 8
    [result] = run.results
    assert result.status == "failed" and "timed out" in result.reason
    with psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]),
                         user=live_services["PGUSER"], dbname=live_services["PGDATABASE"]) as conn:
        for _ in range(30):
            left = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%generate_series(1, 1000000%' "
                                "AND pid <> pg_backend_pid()").fetchone()
            if left == (0,):
                break
            time.sleep(0.1)
        assert left == (0,)  # nothing of ours keeps running on the server


def test_timeout_kills_the_command_and_its_children(tmp_path: Path) -> None:
    marker = "4251"
    done = sandbox.run([["sh", "-c", f"sleep {marker} & sleep {marker}1 & wait"]], timeout=0.5, env=sandbox.child_env())
    assert done.status == "failed" and "timed out" in done.reason
    time.sleep(0.2)
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p).startswith(f"sleep {marker}")]
    assert alive == []


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_sandbox_is_read_only_with_a_private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNBOOK_AGENT_NO_SANDBOX", raising=False)
    sandbox.status.cache_clear()
    try:
        if not sandbox.status().active:
            if os.environ.get("CI"):
                pytest.fail(f"CI installs bubblewrap: {sandbox.status().note}")
            pytest.skip(sandbox.status().note)
        outside = tmp_path / "written-outside"
        home_file = Path.home() / ".runbook-agent-sandbox-probe"
        script = f"touch {home_file} {outside} 2>&1; echo private > /tmp/probe && cat /tmp/probe"
        done = sandbox.run([["sh", "-c", script]], timeout=5, env=sandbox.child_env())
        assert "Read-only file system" in done.output
        assert done.output.endswith("private")  # /tmp is writable inside, and private:
        assert not home_file.exists() and not outside.exists() and not Path("/tmp/probe").exists()
    finally:
        sandbox.status.cache_clear()


def test_report_says_when_not_sandboxed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_AGENT_NO_SANDBOX", "1")
    sandbox.status.cache_clear()
    try:
        run = execute_markdown("# T\n\n## S\n\n```bash\necho hi\n```\n", "t.md", {}, dry_run=True)
        assert run.sandbox.startswith("not sandboxed")
        assert run.to_dict()["sandbox"] == run.sandbox
    finally:
        sandbox.status.cache_clear()
