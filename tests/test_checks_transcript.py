"""Property tests for reading blocks as transcripts: random prompts, commands and output lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import extract, transcript
from agent.checks.markdown import known_commands

TOOLS = sorted({"kubectl", "oc", "psql", "redis-cli", "systemctl", "journalctl", "curl", "grep", "aws", "gcloud",
                "helm", "docker", "ssh", "etcdctl", "df", "ls", "cat", "tail"})
word = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
flag = st.builds(lambda n, v: f"--{n}={v}" if v else f"-{n[0]}", word, st.one_of(st.just(""), word))
command = st.builds(lambda t, args: " ".join([t, *args]), st.sampled_from(TOOLS),
                    st.lists(st.one_of(word, flag), min_size=0, max_size=5))
host = st.from_regex(r"[a-z]{2,8}-[0-9]{2}(-[a-z]{2,6})?", fullmatch=True)
prompt = st.one_of(st.just("$ "), st.just("$> "), st.builds(lambda h: f"{h} $ ", host),
                   st.builds(lambda h: f"[root@{h} ~]# ", host), st.builds(lambda h: f"admin@{h}:~$ ", host))
output_line = st.one_of(
    st.builds(lambda a, b: f"{a.upper()}   {b.upper()}   STATUS", word, word),  # column headers
    st.builds(lambda a, n: f"{a}-0   {n}/{n}     Running   0   5m", word, st.integers(1, 9)),
    st.builds(lambda a, b: f"{a}: {b}", word, word),  # key: value
    st.builds(lambda n: f"({n} rows)", st.integers(0, 99)),
    st.just("-----+------"),
    st.builds(lambda a: f'{{"name": "{a}"}}', word),
    st.builds(lambda n: f"-rw-r--r-- 1 root root {n} Jan  1 00:00 file", st.integers(0, 99999)),
    st.builds(lambda a: f"level=info msg={a} ts=2026-01-01", word),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(prompt, command, st.lists(output_line, max_size=4)), min_size=1, max_size=6))
def test_prompted_commands_are_read_and_output_is_not(steps: list[tuple[str, str, list[str]]]) -> None:
    lines: list[str] = []
    for p, cmd, out in steps:
        lines.append(p + cmd)
        lines.extend(out)
    reading = transcript.read("\n".join(lines) + "\n", known_commands())
    assert reading.prompted
    assert [r.text for r in reading.of("shell")] == [cmd for _, cmd, _ in steps]
    assert len(reading.output) == sum(len(out) for *_, out in steps)


@settings(max_examples=100, deadline=None)
@given(st.lists(command, min_size=1, max_size=8))
def test_a_script_without_prompts_is_all_commands(commands: list[str]) -> None:
    reading = transcript.read("\n".join(commands) + "\n", known_commands())
    assert not reading.prompted
    assert [r.text for r in reading.of("shell")] == commands
    assert reading.output == [] and reading.of("broken") == []


@settings(max_examples=100, deadline=None)
@given(st.lists(command, min_size=1, max_size=4), st.lists(output_line, min_size=1, max_size=5))
def test_output_after_unprompted_commands_is_output(commands: list[str], out: list[str]) -> None:
    reading = transcript.read("\n".join([*commands, *out]) + "\n", known_commands())
    assert [r.text for r in reading.of("shell")] == commands
    assert reading.output == list(range(len(commands), len(commands) + len(out)))


select = st.builds(lambda c, t: f"SELECT {c} FROM {t};", word.map(lambda w: w.replace("-", "_")),
                   word.map(lambda w: w.replace("-", "_")))


@settings(max_examples=100, deadline=None)
@given(word.map(lambda w: w.replace("-", "_")), st.lists(select, min_size=1, max_size=4),
       st.lists(output_line, max_size=3))
def test_psql_session_statements(db: str, statements: list[str], out: list[str]) -> None:
    lines: list[str] = []
    for s in statements:
        lines.append(f"{db}=# {s}")
        lines.extend(out)
    typed = transcript.sql_statements_of("\n".join(lines) + "\n")
    assert typed is not None
    assert [t.strip() for t, _ in typed] == statements


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[a-z_]{0,6}", fullmatch=True), st.lists(st.from_regex(r"[a-z ]{1,12}", fullmatch=True),
                                                               min_size=1, max_size=5))
def test_dollar_quoted_bodies_keep_their_semicolons(tag: str, body: list[str]) -> None:
    sql = f"CREATE FUNCTION f() RETURNS void AS ${tag}$ {'; '.join(body)}; ${tag}$ LANGUAGE sql;\nSELECT 1;"
    statements = [s for s, _ in extract.sql_statements(sql, 1)]
    assert len(statements) == 2 and statements[1] == "SELECT 1"
