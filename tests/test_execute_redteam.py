"""The red-team findings against `agent test --execute`, one test each, so a regression names itself
(the hostile suite, `test_execute_hostile.py`, only says that something changed)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks.catalogue import values
from agent.checks.execute import execute_markdown
from agent.checks.live import Refused, redis_gate, sandbox, shell_plan, sql_gate

_PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


def _refused(line: str) -> str:
    with pytest.raises(Refused) as why:
        shell_plan.plan_line(line, {})
    return str(why.value)


@pytest.mark.parametrize("program", [
    '{ x = 1 / system("touch /tmp/p") / 2 }',  # the regex stripper took `/ system(...) /` for a regex
    '/"/ { system("touch /tmp/p") } /"/',  # and a quote inside a regex for a string
    'BEGIN { system ("x") }',
    'BEGIN { f = "system"; @f("x") }',
    'BEGIN { ARGV[1] = "/etc/shadow" }',
    'BEGIN { sys\\\ntem("x") }',
])
def test_awk_calls_are_found_wherever_they_hide(program: str) -> None:
    assert not values.valid("awk-program", program)


@given(_PRINTABLE, _PRINTABLE)
@settings(max_examples=300, deadline=None)
def test_awk_system_is_refused_in_any_context(before: str, after: str) -> None:
    assert not values.valid("awk-program", before + "system(" + after)
    assert not values.valid("awk-program", before + " getline " + after)


_NOT_WORD_START = _PRINTABLE.filter(lambda s: not s[:1].isalnum() and not s.startswith("_"))
_NOT_WORD_END = _PRINTABLE.filter(lambda s: not s[-1:].isalnum() and not s.endswith("_"))


@given(_NOT_WORD_END, _NOT_WORD_START)  # (`0input_filename` is one token to jq: no call)
@settings(max_examples=300, deadline=None)
def test_jq_never_reads_the_environment(before: str, after: str) -> None:
    for spelling in ("$ENV", "$ ENV", "$  ENV", " env", "$__loc__", "$__prog_args", "input_filename"):
        assert not values.valid("jq-filter", before + spelling + after)


def test_ordinary_awk_and_jq_still_run() -> None:
    assert values.valid("awk-program", "{print $1}")
    assert values.valid("awk-program", "/error/ { n++ } END { print n }")
    assert values.valid("jq-filter", ".items[] | .metadata.name")


@pytest.mark.parametrize("word,ok", [
    ("example.com", True), ("@1.1.1.1", True), ("+short", True), ("+time=2", True), ("MX", True),
    ("\\013\\010FLUSHALL\\013\\010", False), ("+opcode=update", False), ("a b", False), ("@x;y", False),
])
def test_dig_words(word: str, ok: bool) -> None:
    assert values.valid("dig-arg", word) is ok


def test_dig_only_asks_port_53() -> None:
    with pytest.raises(Refused, match="-p '6379'"):
        shell_plan._vet_command(["dig", "+tcp", "@127.0.0.1", "-p", "6379", "x"], as_filter=False)


@pytest.mark.parametrize("line", [
    "aws ec2 describe-instances --no-sign --endpoint http://127.0.0.1:9 --region us-east-1",
    "aws ec2 describe-instances --endpoint http://127.0.0.1:9",
    "aws ec2 describe-instances --deb",
    "aws ec2 describe-instances --cli-foo x",
])
def test_aws_parameters_are_never_its_own_options(line: str) -> None:
    assert "own options" in _refused(line)


def test_aws_parameters_still_run() -> None:
    plan = shell_plan.plan_line("aws ec2 describe-instances --region us-east-1 --instance-ids i-1 --output text", {})
    assert plan.kind == "program"


@pytest.mark.parametrize("line", ["sysctl -- -w", "lsof +r 1", "sort +1 /etc/passwd", "tail +5 /etc/passwd"])
def test_positionals_never_look_like_options(line: str) -> None:
    _refused(line)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/proc/self/fd/0", "/proc/1/fd/0"])
def test_devices_and_open_files_are_not_read(path: str) -> None:
    _refused(f"cat {path}")


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "FIFO" in _refused(f"cat {fifo}")


@pytest.mark.parametrize("words", [
    ["SCAN", "0", "COUNT", "100000000"], ["scan", "0", "count", "0"], ["MEMORY", "USAGE", "k", "SAMPLES", "0"],
    ["PFCOUNT", "k"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"], ["GETEX", "k", "PERSIST"],
])
def test_redis_reads_are_bounded_and_writes_refused(words: list[str]) -> None:
    with pytest.raises(Refused):
        redis_gate.check(words)


def test_redis_ids_and_indexes_with_a_dash_are_arguments() -> None:
    assert redis_gate.check(["LRANGE", "k", "0", "-1"]) == ["LRANGE", "k", "0", "-1"]
    assert redis_gate.check(["XRANGE", "s", "-", "+", "COUNT", "10"])[:2] == ["XRANGE", "s"]


def test_sql_functions_and_types_are_pinned_to_pg_catalog() -> None:
    sql = sql_gate.check("SELECT count(*), lower(x::text) FROM t").sql
    assert "pg_catalog.count(*)" in sql and "pg_catalog.lower(" in sql and "pg_catalog.text" in sql


def test_sql_fields_are_kept_for_the_attribute_notation_check() -> None:
    assert "pg_terminate_backend" in sql_gate.check("SELECT (pid).pg_terminate_backend FROM pg_stat_activity").fields
    assert sql_gate.check("SELECT a.pid FROM pg_stat_activity a").fields == {"pid"}


def test_sql_nested_too_deeply_is_refused_not_raised() -> None:
    with pytest.raises(Refused):
        sql_gate.check("SELECT " + " + ".join(["1"] * 400))


def test_attribute_notation_never_calls_a_volatile_function(live_services: dict[str, str]) -> None:
    import psycopg

    doc = ("# T\n\n## S\n\n```sql\nSELECT (pid).pg_cancel_backend FROM pg_stat_activity "
           "WHERE application_name = 'rt-victim'\n```\n")
    with psycopg.connect(host=live_services["PGHOST"], port=int(live_services["PGPORT"]), user=live_services["PGUSER"],
                         dbname=live_services["PGDATABASE"], application_name="rt-victim", autocommit=True) as victim:
        run = execute_markdown(doc, "t.md", dict(live_services))
        assert run.results[0].status == "not-run", run.results[0]
        assert "pg_cancel_backend" in run.results[0].reason
        assert victim.execute("SELECT 1").fetchone() == (1,)


def test_a_huge_result_is_read_a_thousand_rows_at_most(live_services: dict[str, str]) -> None:
    doc = "# T\n\n## S\n\n```sql\nSELECT generate_series(1, 100000000000)\n```\n"
    start = time.monotonic()
    run = execute_markdown(doc, "t.md", dict(live_services), timeout=20)
    assert run.results[0].status == "passed", run.results[0]
    assert time.monotonic() - start < 10


class _LineServer:
    """A memcached-like line server: records every line, answers ERROR."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.lines: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                data = b""
                try:
                    while chunk := conn.recv(4096):
                        data += chunk
                        self.lines += [ln for ln in chunk.split(b"\r\n") if ln]
                        conn.sendall(b"ERROR\r\n")
                except OSError:
                    pass


def test_redis_arguments_never_reach_a_server_that_is_not_redis() -> None:
    server = _LineServer()
    try:
        doc = f"# T\n\n## S\n\n```bash\nredis-cli -h 127.0.0.1 -p {server.port} -a flush_all GET flush_all\n```\n"
        run = execute_markdown(doc, "t.md", {}, timeout=2)
        time.sleep(0.2)
        assert run.results[0].status == "failed" and "like Redis" in run.results[0].reason
        assert b"flush_all" not in server.lines, server.lines
    finally:
        server.sock.close()


def test_control_characters_never_reach_the_report() -> None:
    run = execute_markdown("# T\n\n## S\n\n```bash\nprintf '\\033]52;c;eA==\\007ok\\r\\n'\n```\n", "t.md", {})
    result = run.results[0]
    assert result.status == "passed" and "\x1b" not in result.output and "\\x1b" in result.output


def test_a_filter_gets_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rt-secret")
    monkeypatch.setenv("LD_PRELOAD", "/nonexistent.so")
    assert "AWS_SECRET_ACCESS_KEY" not in sandbox.child_env("jq")
    assert "AWS_SECRET_ACCESS_KEY" not in sandbox.child_env("printenv")
    assert sandbox.child_env("aws")["AWS_SECRET_ACCESS_KEY"] == "rt-secret"
    assert "LD_PRELOAD" not in sandbox.child_env("aws")


def _alive(marker: str) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                    return True
            except OSError:
                pass
    return False


@pytest.mark.parametrize("sandboxed", [False, True], ids=["no-sandbox", "bubblewrap"])
def test_a_double_forked_child_does_not_outlive_the_run(sandboxed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if sandboxed:
        monkeypatch.delenv("RUNBOOK_AGENT_NO_SANDBOX", raising=False)
    else:
        monkeypatch.setenv("RUNBOOK_AGENT_NO_SANDBOX", "1")
    sandbox.status.cache_clear()
    try:
        if sandboxed and not sandbox.status().active:
            pytest.skip(sandbox.status().note)
        marker = f"42{os.getpid() % 10000:04d}{int(sandboxed)}"
        # an orphan in a session of its own: neither our process group nor its parent's chain finds it
        script = f"(setsid sleep {marker} >/dev/null 2>&1 &) ; exit 0"
        done = sandbox.run([["sh", "-c", script]], timeout=2, env=sandbox.child_env())
        assert done.status == "passed", done
        time.sleep(0.2)
        assert not _alive(marker)
    finally:
        sandbox.status.cache_clear()


class _FakePostgres:
    """Asks for the password in clear text, as a hostile server would, and keeps what it got."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.passwords: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _read(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

    def _serve(self) -> None:
        import struct

        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    while True:  # SSLRequest / GSSENCRequest first: say no
                        length, code = struct.unpack("!ii", self._read(conn, 8))
                        if code in (80877103, 80877104):
                            conn.sendall(b"N")
                            continue
                        self._read(conn, length - 8)
                        break
                    conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
                    kind, length = conn.recv(1), struct.unpack("!i", self._read(conn, 4))[0]
                    if kind == b"p":
                        self.passwords.append(self._read(conn, length - 4).rstrip(b"\0"))
                except OSError:
                    pass


def test_the_var_password_never_goes_to_another_server(live_services: dict[str, str]) -> None:
    server = _FakePostgres()
    try:
        variables = {**live_services, "PGPASSWORD": "rt-s3cret"}
        doc = f"# T\n\n## S\n\n```bash\npsql -h 127.0.0.1 -p {server.port} -U postgres -c 'SELECT 1'\n```\n"
        run = execute_markdown(doc, "t.md", variables, timeout=3)
        assert run.results[0].status == "failed"
        assert b"rt-s3cret" not in server.passwords, server.passwords
        # ... while the server it was given for still gets it
        own = execute_markdown("# T\n\n## S\n\n```sql\nSELECT 1\n```\n", "t.md", variables, timeout=3)
        assert own.results[0].status == "passed", own.results[0]
    finally:
        server.sock.close()


@pytest.mark.parametrize("line", [
    "cat /proc/kmsg", "cat /proc/self/root/proc/kmsg", "head -n 1 /sys/kernel/tracing/trace_pipe",
    "grep -r x /", "grep -rl x /proc", "diff -r / /tmp",
])
def test_reads_that_take_from_others_are_refused(line: str) -> None:
    _refused(line)


def test_grep_r_without_a_path_reads_the_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir("/")
    _refused("grep -rl x")
    monkeypatch.chdir(tmp_path)
    assert shell_plan.plan_line("grep -rl x", {}).kind == "program"


def test_a_runbook_line_never_sets_a_connection_variable() -> None:
    doc = "# T\n\n## S\n\n```bash\nPGHOST=evil.example\nexport REDIS_URL=redis://evil.example:6379/0\n```\n"
    run = execute_markdown(doc, "t.md", {"PGPASSWORD": "x"}, dry_run=True)
    assert [r.status for r in run.results] == ["not-run", "not-run"]


def test_programs_dump_no_core_and_have_a_memory_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_AGENT_NO_SANDBOX", "1")
    sandbox.status.cache_clear()
    try:
        done = sandbox.run([["cat", "/proc/self/limits"]], timeout=5, env=sandbox.child_env())
    finally:
        sandbox.status.cache_clear()
    limits = {line[:26].strip(): line[26:].split() for line in done.output.splitlines()}
    assert limits["Max core file size"][:2] == ["0", "0"]
    assert limits["Max address space"][0] == str(sandbox.MEMORY_CAP)
