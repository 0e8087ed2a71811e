"""Round 2 of the red team, the holes it found, in general form:

- a flag whose value stands for positionals (`grep -e PAT FILE`, `sed -e SCRIPT FILE`: the
  catalogue's `fills`) shifts the positionals' kinds, so FILE is vetted as a path (a FIFO was read);
- a sysctl key with an empty part (`kernel/../../x`) walks out of /proc/sys;
- what a SELECT reaches in the database (`live/sql_reach.py`): views' bodies, foreign tables,
  attribute notation, operators another schema defines; the gate reports the relations and
  operators the statement names;
- a PostgreSQL connection parameter holding a control character.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_services import run_sql_block, scratch_database

from agent.checks.catalogue import values
from agent.checks.live import Refused, sql_gate
from agent.checks.live.drivers import pg_conninfo
from agent.checks.live.shell_plan import plan_line

_name = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
_sql_name = _name.filter(lambda n: n.upper() not in {"SELECT", "FROM", "WHERE", "AS", "ON", "IN", "IS", "OR",
                                                     "AND", "NOT", "TABLE", "WITH", "USER", "ALL", "ANY", "TO",
                                                     "DO", "END", "FOR", "LIMIT", "CASE", "WHEN", "THEN",
                                                     "ELSE", "NULL", "TRUE", "FALSE", "CAST", "ORDER", "GROUP",
                                                     "BY", "HAVING", "UNION", "JOIN", "INTO", "ASC", "DESC",
                                                     "OFFSET", "FETCH", "ONLY", "BOTH", "SOME", "ARRAY",
                                                     "DEFAULT", "CHECK", "CONSTRAINT", "UNIQUE", "PRIMARY",
                                                     "FOREIGN", "REFERENCES", "COLLATE", "COLUMN", "CREATE",
                                                     "GRANT", "LEADING", "TRAILING", "PLACING", "SYMMETRIC",
                                                     "ANALYSE", "ANALYZE", "DISTINCT", "EXCEPT", "INTERSECT",
                                                     "WINDOW", "LATERAL", "VARIADIC", "RETURNING", "INITIALLY",
                                                     "DEFERRABLE", "CURRENT_USER", "SESSION_USER", "USING"})


@pytest.fixture(scope="module")
def special_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "plain.txt").write_text("x\n")
        yield root


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_name, pattern=_name, form=st.sampled_from(["grep -e {p} {f}", "grep --regexp={p} {f}",
                                                        "grep -c --regexp {p} {f}", "grep -e {p} -e x {f}",
                                                        "grep {f} -e {p}", "sed -n -e 1p {f}"]))
def test_the_file_after_a_pattern_flag_is_vetted_as_a_path(special_dir: Path, name: str, pattern: str,
                                                           form: str) -> None:
    fifo = special_dir / f"fifo-{name}"
    if not fifo.exists():
        os.mkfifo(fifo)
    with pytest.raises(Refused, match="FIFO"):
        plan_line(form.format(p=pattern, f=fifo), {})
    plan = plan_line(form.format(p=pattern, f=special_dir / "plain.txt"), {})  # a plain file still runs
    assert plan.kind == "program"


@settings(deadline=None)
@given(pattern=_name)
def test_a_pattern_flag_leaves_no_positional_pattern(pattern: str) -> None:
    """With -e, `grep -r -e PAT /proc` starts reading at /proc (refused), not at the working directory."""
    with pytest.raises(Refused, match="/proc"):
        plan_line(f"grep -r -e {pattern} /proc", {})
    assert plan_line(f"grep -e {pattern}", {}).kind == "program"  # stdin: no file needed


@settings(deadline=None)
@given(parts=st.lists(_name, min_size=1, max_size=5), seps=st.lists(st.sampled_from("./"), min_size=4, max_size=4))
def test_sysctl_keys_with_an_empty_part_are_refused(parts: list[str], seps: list[str]) -> None:
    key = parts[0] + "".join(seps[i % 4] + p for i, p in enumerate(parts[1:]))
    assert values.valid("sysctl-key", key)
    for bad in (f"{parts[0]}/../{key}", f"{key}//x", f"/{key}", f"{key}/", f"{parts[0]}/./.{key}"):
        assert not values.valid("sysctl-key", bad), bad


@settings(deadline=None)
@given(schema=_sql_name, table=_sql_name, cte=_sql_name, op=st.sampled_from(["=", "<>", "<", ">=", "~"]))
def test_the_gate_reports_what_the_database_must_resolve(schema: str, table: str, cte: str, op: str) -> None:
    allowed = sql_gate.check(f"WITH {cte} AS (SELECT 1 AS a) SELECT * FROM {schema}.{table}, {cte} "
                             f"WHERE {table}.a {op} 1 AND {cte}.a BETWEEN 1 AND 2")
    assert (schema, table) in allowed.relations
    assert ("", cte) not in allowed.relations  # the CTE is no relation of the database
    assert {op, ">=", "<="} <= allowed.operators
    assert table in allowed.fields or "a" in allowed.fields


@settings(deadline=None)
@given(key=st.sampled_from(["dbname", "user", "application_name", "host"]), name=_name,
       char=st.sampled_from(["%0A", "%0D", "%00", "%09", "%1B"]))
def test_a_connection_parameter_with_a_control_character_is_refused(key: str, name: str, char: str) -> None:
    uri = {"dbname": f"postgresql://h/{name}{char}x", "user": f"postgresql://{name}{char}@h/db",
           "application_name": f"postgresql://h/db?application_name={name}{char}",
           "host": f"postgresql:///db?host={name}{char}"}[key]
    with pytest.raises(Refused, match="control character|does not parse"):  # (libpq refuses %00 itself)
        pg_conninfo(uri)
    assert pg_conninfo(f"postgresql://h/{name}")["dbname"] == name


# --- against the real PostgreSQL: objects with random names the statement reaches ---------------

@pytest.fixture(scope="module")
def pg(live_services: dict[str, str]) -> Iterator[dict[str, Any]]:
    with scratch_database(live_services, f"rt_reach_{os.getpid()}") as db:
        conn = db["conn"]
        conn.execute("CREATE TABLE base (id int, v text)")
        conn.execute("INSERT INTO base VALUES (1, 'a')")
        conn.execute("CREATE SEQUENCE s")
        conn.execute("CREATE EXTENSION IF NOT EXISTS file_fdw")
        conn.execute("CREATE SERVER files FOREIGN DATA WRAPPER file_fdw")
        yield db


def _run(sql: str, variables: dict[str, str]) -> tuple[str, str]:
    return run_sql_block(sql, variables, timeout=5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_sql_name, depth=st.integers(min_value=1, max_value=3),
       call=st.sampled_from(["pg_terminate_backend(0)", "pg_cancel_backend(0)", "nextval('s')",
                             "set_config('work_mem', '1MB', false)", "pg_advisory_lock(1)"]))
def test_a_view_is_checked_as_the_select_it_is(pg: dict[str, Any], name: str, depth: int, call: str) -> None:
    conn = pg["conn"]
    views = [f"v_{name}_{i}" for i in range(depth)]
    conn.execute(f"DROP VIEW IF EXISTS {', '.join(reversed(views))}")
    conn.execute(f"CREATE VIEW {views[0]} AS SELECT id, {call} IS NULL AS x FROM base")
    for inner, outer in zip(views, views[1:], strict=False):
        conn.execute(f"CREATE VIEW {outer} AS SELECT * FROM {inner}")
    status, reason = _run(f"SELECT * FROM {views[-1]}", pg["vars"])
    assert status == "not-run" and views[0] in reason and call.split("(")[0] in reason, reason
    conn.execute(f"DROP VIEW {', '.join(reversed(views))}")
    conn.execute(f"CREATE VIEW {views[0]} AS SELECT id, lower(v) AS v FROM base WHERE id > 0")  # a plain view runs
    assert _run(f"SELECT count(*) FROM {views[0]}", pg["vars"])[0] == "passed"
    conn.execute(f"DROP VIEW {views[0]}")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_sql_name, volatility=st.sampled_from(["IMMUTABLE", "STABLE", "VOLATILE"]))
def test_attribute_notation_never_reaches_a_database_function(pg: dict[str, Any], name: str,
                                                             volatility: str) -> None:
    conn = pg["conn"]
    fn = f"f_{name}"
    conn.execute(f"CREATE OR REPLACE FUNCTION {fn}(base) RETURNS int {volatility} LANGUAGE sql AS 'SELECT 1'")
    try:
        status, reason = _run(f"SELECT b.{fn} FROM base b", pg["vars"])
        assert status == "not-run" and fn in reason, reason
    finally:
        conn.execute(f"DROP FUNCTION {fn}(base)")
    assert _run("SELECT b.id FROM base b", pg["vars"])[0] == "passed"


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_sql_name)
def test_foreign_tables_and_other_schemas_operators_are_refused(pg: dict[str, Any], name: str) -> None:
    conn = pg["conn"]
    table = f"ft_{name}"
    conn.execute(f"CREATE FOREIGN TABLE {table} (line text) SERVER files OPTIONS (program 'echo x')")
    try:
        status, reason = _run(f"SELECT * FROM {table}", pg["vars"])
        assert status == "not-run" and "foreign table" in reason, reason
    finally:
        conn.execute(f"DROP FOREIGN TABLE {table}")
    conn.execute(f"CREATE TABLE p_{name} (id int) PARTITION BY RANGE (id)")
    conn.execute(f"CREATE TABLE l_{name} PARTITION OF p_{name} FOR VALUES FROM (0) TO (10)")
    try:
        assert _run(f"SELECT * FROM p_{name}", pg["vars"])[0] == "passed"  # local partitions only: runs
        conn.execute(f"CREATE FOREIGN TABLE {table} PARTITION OF p_{name} FOR VALUES FROM (10) TO (20) "
                     "SERVER files OPTIONS (program 'echo 11')")
        status, reason = _run(f"SELECT count(*) FROM p_{name} WHERE id < 5", pg["vars"])
        assert status == "not-run" and table in reason, reason
    finally:
        conn.execute(f"DROP TABLE p_{name}")
    fn = f"eq_{name}"
    conn.execute(f"CREATE FUNCTION {fn}(text, int) RETURNS bool LANGUAGE sql AS 'SELECT false'")
    conn.execute(f"CREATE OPERATOR public.=== (leftarg = text, rightarg = int, function = {fn})")
    conn.execute(f"CREATE OPERATOR public.= (leftarg = text, rightarg = int, function = {fn})")
    try:
        status, reason = _run("SELECT id FROM base WHERE v = 1", pg["vars"])
        assert status == "not-run" and "operator =" in reason, reason
        assert _run("SELECT id FROM base WHERE id > 0", pg["vars"])[0] == "passed"  # `>` is pg_catalog's only
    finally:
        conn.execute(f"DROP FUNCTION {fn}(text, int) CASCADE")


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_sql_name, call=st.sampled_from(["pg_terminate_backend(0)", "pg_advisory_lock(1) IS NULL"]))
def test_a_row_level_security_policy_is_checked_as_an_expression(pg: dict[str, Any], name: str, call: str) -> None:
    conn = pg["conn"]
    table = f"sec_{name}"
    conn.execute(f"CREATE TABLE {table} (id int)")
    try:
        conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        conn.execute(f"CREATE POLICY ok ON {table} USING (id > 0)")
        assert _run(f"SELECT * FROM {table}", pg["vars"])[0] == "passed"  # a policy of allowed parts runs
        conn.execute(f"CREATE POLICY bad ON {table} USING ({call})")
        status, reason = _run(f"SELECT count(*) FROM {table}", pg["vars"])
        assert status == "not-run" and "row-level security" in reason and call.split("(")[0] in reason, reason
    finally:
        conn.execute(f"DROP TABLE {table}")
