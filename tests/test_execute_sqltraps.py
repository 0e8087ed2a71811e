"""Red team round 3, F4: objects planted in the database make an allowed SELECT run code the statement
never names. Each trap here is a plpgsql function that raises SPRUNG when it runs; a statement that
reaches one must come back `not-run` (checked in the database before it runs), and the same statement
runs once the trap is gone. Against the real PostgreSQL that `.ci/run` starts; random names.

Classes (the statement, what it relies on):
- attribute notation `s.md5` / `(s).md5` with a function md5(table) elsewhere (T1);
- a pg_catalog overload a superuser added, or a built-in replaced by plpgsql (T2);
- casts from a column's type: explicit `::text`, implicit in `m + 1`, to json for to_json (T3–T5);
- a trusted extension's forged member: a function (T6) or a view (T6b);
- operators never written as A_Expr: `op ANY (subquery)`, ORDER BY … USING, CASE's and JOIN USING's
  implied `=` (T7, T8);
- a type's default btree opclass, used by ORDER BY / DISTINCT / GROUP BY (T9);
- a built-in operator whose selectivity estimator was altered to a user function (planning runs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_services import run_sql_block, scratch_database

_name = st.from_regex(r"[a-z]{4,10}", fullmatch=True)
_SLOW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


_ORDER = ["<", "<=", "=", ">=", ">"]  # a btree opclass's operators 1-5


def _trap(fn: str, args: str, returns: str) -> str:
    return (f"CREATE FUNCTION {fn}({args}) RETURNS {returns} LANGUAGE plpgsql VOLATILE AS "
            "$$BEGIN RAISE EXCEPTION 'SPRUNG'; END$$")


@pytest.fixture(scope="module")
def pg(live_services: dict[str, str]) -> Iterator[dict[str, Any]]:
    with scratch_database(live_services, f"rt_traps_{os.getpid()}") as db:
        db["conn"].execute("CREATE EXTENSION citext")
        yield db


def _run(sql: str, variables: dict[str, str]) -> tuple[str, str]:
    return run_sql_block(sql, variables, timeout=10)


def _refused(pg: dict[str, Any], sql: str) -> None:
    """The statement comes back not-run, and the trap did not spring."""
    status, reason = _run(sql, pg["vars"])
    assert "SPRUNG" not in reason and status == "not-run", (sql, status, reason)


def _refused_then_runs(pg: dict[str, Any], sql: str, plant: list[str], remove: list[str]) -> None:
    conn = pg["conn"]
    assert _run(sql, pg["vars"])[0] == "passed", _run(sql, pg["vars"])  # control: runs before the trap
    for statement in plant:
        conn.execute(statement)
    try:
        _refused(pg, sql)
    finally:
        for statement in remove:
            conn.execute(statement)
    assert _run(sql, pg["vars"])[0] == "passed", _run(sql, pg["vars"])  # and runs again once it is gone


@_SLOW
@given(name=_name, fn=st.sampled_from(["md5", "lower", "length", "count"]),
       form=st.sampled_from(["SELECT s.{f} FROM {t} s", "SELECT (s).{f} FROM {t} s"]))
def test_attribute_notation_of_an_allowed_name(pg: dict[str, Any], name: str, fn: str, form: str) -> None:
    """`s.md5` is md5(s) when s has no column md5: the allowlist's md5 is not the one PostgreSQL calls."""
    conn = pg["conn"]
    table = f"t_{name}"
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id int)")
    conn.execute(f"INSERT INTO {table} VALUES (1)")
    sql = form.format(f=fn, t=table)
    conn.execute(_trap(f"public.{fn}", table, "text"))
    try:
        _refused(pg, sql)
    finally:
        conn.execute(f"DROP FUNCTION public.{fn}({table})")
    assert _run(f"SELECT s.id FROM {table} s", pg["vars"])[0] == "passed"


@_SLOW
@given(name=_name, call=st.sampled_from([("lower", "integer", "SELECT lower(42)"),
                                         ("upper", "integer", "SELECT upper('a')"),
                                         ("length", "boolean", "SELECT length(true)")]))
def test_a_pg_catalog_overload_added_by_a_superuser(pg: dict[str, Any], name: str,
                                                     call: tuple[str, str, str]) -> None:
    fn, arg, sql = call
    if sql.endswith(("(42)", "(true)")):
        control = sql.replace("42", "'A'").replace("true", "'A'")
        assert _run(control, pg["vars"])[0] == "passed"
    conn = pg["conn"]
    conn.execute(_trap(f"pg_catalog.{fn}", arg, "text"))
    try:
        _refused(pg, sql)
    finally:
        conn.execute(f"DROP FUNCTION pg_catalog.{fn}({arg})")
    assert _run(sql.replace("42", "'A'").replace("true", "'A'"), pg["vars"])[0] == "passed"


@_SLOW
@given(name=_name, form=st.sampled_from([("SELECT m::text FROM {t}", "text", ""),
                                         ("SELECT m + 1 FROM {t}", "integer", " AS IMPLICIT"),
                                         ("SELECT to_json(m) FROM {t}", "json", ""),
                                         ("SELECT max(m::text) FROM {t}", "text", "")]))
def test_a_cast_from_a_columns_type(pg: dict[str, Any], name: str, form: tuple[str, str, str]) -> None:
    sql, target, how = form
    mood, table, fn = f"mood_{name}", f"moods_{name}", f"cast_{name}"
    conn = pg["conn"]
    conn.execute(f"DROP TABLE IF EXISTS {table}; DROP TYPE IF EXISTS {mood} CASCADE")
    conn.execute(f"CREATE TYPE {mood} AS ENUM ('ok', 'bad')")
    conn.execute(f"CREATE TABLE {table} (m {mood})")
    conn.execute(f"INSERT INTO {table} VALUES ('ok')")
    conn.execute(_trap(fn, mood, target))
    conn.execute(f"CREATE CAST ({mood} AS {target}) WITH FUNCTION {fn}({mood}){how}")
    try:
        _refused(pg, sql.format(t=table))
    finally:
        conn.execute(f"DROP CAST ({mood} AS {target}); DROP FUNCTION {fn}({mood})")
    if target != "integer":  # enum to text/json is built in: it runs once the cast is gone
        assert _run(sql.format(t=table), pg["vars"])[0] == "passed", _run(sql.format(t=table), pg["vars"])
    conn.execute(f"DROP TABLE {table}; DROP TYPE {mood}")


@_SLOW
@given(name=_name)
def test_a_forged_member_of_a_trusted_extension(pg: dict[str, Any], name: str) -> None:
    conn = pg["conn"]
    table, fn, view = f"s_{name}", f"flag_{name}", f"health_{name}"
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id int)")
    conn.execute(f"INSERT INTO {table} VALUES (1)")
    conn.execute(_trap(fn, table, "int"))
    conn.execute(f"ALTER EXTENSION citext ADD FUNCTION {fn}({table})")
    conn.execute(f"CREATE VIEW {view} AS SELECT s.{fn} AS x FROM {table} s")
    conn.execute(f"ALTER EXTENSION citext ADD VIEW {view}")
    try:
        for sql in (f"SELECT s.{fn} FROM {table} s", f"SELECT * FROM {view}", f"SELECT count(*) FROM {view}"):
            _refused(pg, sql)
    finally:
        conn.execute(f"ALTER EXTENSION citext DROP VIEW {view}")
        conn.execute(f"DROP VIEW {view}")
        conn.execute(f"ALTER EXTENSION citext DROP FUNCTION {fn}({table})")
        conn.execute(f"DROP FUNCTION {fn}({table})")


@_SLOW
@given(name=_name, form=st.sampled_from([
    "SELECT 1 WHERE 'x' OPERATOR(public.@@@) ANY (SELECT 'y')",
    "SELECT 1 WHERE 'x' @@@ ALL (SELECT 'y')",
    "SELECT v FROM (VALUES ('a'), ('b')) AS t(v) ORDER BY v USING @@@"]))
def test_an_operator_written_outside_an_expression(pg: dict[str, Any], name: str, form: str) -> None:
    conn = pg["conn"]
    fn = f"op_{name}"
    conn.execute(_trap(fn, "text, text", "boolean"))
    conn.execute(f"CREATE OPERATOR public.@@@ (leftarg = text, rightarg = text, function = {fn})")
    try:
        _refused(pg, form)
    finally:
        conn.execute(f"DROP FUNCTION {fn}(text, text) CASCADE")


@_SLOW
@given(name=_name, form=st.sampled_from(["SELECT CASE m WHEN 'ok' THEN 1 END FROM {t}",
                                         "SELECT count(*) FROM {t} a JOIN {t} b USING (m)",
                                         "SELECT count(*) FROM {t} WHERE m IN ('ok', 'bad')",
                                         "SELECT m FROM {t} ORDER BY m", "SELECT DISTINCT m FROM {t}",
                                         "SELECT m, count(*) FROM {t} GROUP BY m"]))
def test_operators_and_opclasses_a_statement_uses_without_writing_them(pg: dict[str, Any], name: str,
                                                                        form: str) -> None:
    conn = pg["conn"]
    mood, table = f"tone_{name}", f"tones_{name}"
    conn.execute(f"DROP TABLE IF EXISTS {table}; DROP TYPE IF EXISTS {mood} CASCADE")
    conn.execute(f"CREATE TYPE {mood} AS ENUM ('ok', 'bad')")
    conn.execute(f"CREATE TABLE {table} (m {mood})")
    conn.execute(f"INSERT INTO {table} VALUES ('ok'), ('bad')")
    sql = form.format(t=table)
    plant = [_trap(f"eq_{name}", f"{mood}, {mood}", "boolean"),
             _trap(f"cmp_{name}", f"{mood}, {mood}", "integer"),
             *(f"CREATE OPERATOR public.{op} (leftarg = {mood}, rightarg = {mood}, function = eq_{name})"
               for op in _ORDER),
             f"CREATE OPERATOR CLASS {mood}_ops DEFAULT FOR TYPE {mood} USING btree AS "
             + ", ".join(f"OPERATOR {k} public.{op} ({mood}, {mood})" for k, op in enumerate(_ORDER, 1))
             + f", FUNCTION 1 cmp_{name}({mood}, {mood})"]
    try:
        _refused_then_runs(pg, sql, plant, [f"DROP OPERATOR CLASS {mood}_ops USING btree CASCADE",
                                            f"DROP FUNCTION eq_{name}({mood}, {mood}) CASCADE",
                                            f"DROP FUNCTION cmp_{name}({mood}, {mood}) CASCADE"])
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {table}; DROP TYPE IF EXISTS {mood} CASCADE")


def test_a_built_in_operators_estimator_altered_to_a_user_function(pg: dict[str, Any]) -> None:
    """Planning calls an operator's restriction estimator: `WHERE id = 1` would run it, and so would our own
    catalog lookups. An estimator takes `internal`, which only C and internal functions can: the one
    planted is a user-created internal function (eqsel's code, so harmless here, but not initdb's)."""
    conn = pg["conn"]
    conn.execute("CREATE TABLE IF NOT EXISTS est (id int)")
    fn = "est_trap"
    conn.execute(f"CREATE FUNCTION {fn}(internal, oid, internal, integer) RETURNS float8 LANGUAGE internal "
                 "AS 'eqsel'")
    _refused_then_runs(pg, "SELECT count(*) FROM est WHERE id = 1",
                       [f"ALTER OPERATOR pg_catalog.= (integer, integer) SET (RESTRICT = {fn})"],
                       ["ALTER OPERATOR pg_catalog.= (integer, integer) SET (RESTRICT = eqsel)"])
    conn.execute(f"DROP FUNCTION {fn}(internal, oid, internal, integer)")


def test_what_real_databases_have_still_runs(pg: dict[str, Any]) -> None:
    """A trusted extension's own objects (citext's type, casts, operators and opclasses), enums, arrays,
    composites and domains of built-in parts: the checks refuse none of them."""
    conn = pg["conn"]
    conn.execute("DROP TABLE IF EXISTS plain; DROP DOMAIN IF EXISTS posint; DROP TYPE IF EXISTS pair")
    conn.execute("CREATE DOMAIN posint AS int CHECK (VALUE > 0)")
    conn.execute("CREATE TYPE pair AS (a int, b text)")
    conn.execute("CREATE TABLE plain (id posint, name citext, tags text[], p pair)")
    conn.execute("INSERT INTO plain VALUES (1, 'Ab', '{x}', ROW(1, 'a'))")
    try:
        for sql in ("SELECT name, count(*) FROM plain GROUP BY name ORDER BY name",
                    "SELECT DISTINCT lower(name::text) FROM plain WHERE name = 'ab'",
                    "SELECT id + 1, tags, p FROM plain ORDER BY p", "SELECT to_json(p) FROM plain",
                    "SELECT * FROM plain a JOIN plain b USING (name)"):
            assert _run(sql, pg["vars"])[0] == "passed", (sql, _run(sql, pg["vars"]))
    finally:
        conn.execute("DROP TABLE plain; DROP DOMAIN posint; DROP TYPE pair")


def test_a_built_in_function_replaced_in_place(pg: dict[str, Any]) -> None:
    """CREATE OR REPLACE keeps a built-in's OID (below 16384) and changes its body: pg_catalog.lower(text) as a
    SQL function calling a trap is still not initdb's code."""
    conn = pg["conn"]
    conn.execute(_trap("public.replaced_trap", "text", "text"))
    _refused_then_runs(pg, "SELECT lower('A')",
                       ["CREATE OR REPLACE FUNCTION pg_catalog.lower(text) RETURNS text LANGUAGE sql "
                        "AS 'SELECT public.replaced_trap($1)'"],
                       ["CREATE OR REPLACE FUNCTION pg_catalog.lower(text) RETURNS text LANGUAGE internal "
                        "IMMUTABLE PARALLEL SAFE STRICT AS 'lower'"])
    conn.execute("DROP FUNCTION public.replaced_trap(text)")


# --- round 4 (my own red team of the fix above, /tmp/rt4/FINDINGS.md, 2026-12-04): each sprang on 9e789a6 ---

def test_a_replaced_system_view(pg: dict[str, Any]) -> None:
    """CREATE OR REPLACE VIEW on a pg_catalog view keeps its OID: its body is the database's now."""
    conn = pg["conn"]
    conn.execute(_trap("public.sysview_trap", "", "int"))
    original = conn.execute("SELECT pg_get_viewdef('pg_catalog.pg_stat_activity'::regclass)").fetchone()[0]
    _refused_then_runs(pg, "SELECT count(*) FROM pg_stat_activity",
                       ["CREATE OR REPLACE VIEW pg_catalog.pg_stat_activity AS SELECT * FROM "
                        f"({original.rstrip(';')}) s WHERE public.sysview_trap() = 1"],
                       [f"CREATE OR REPLACE VIEW pg_catalog.pg_stat_activity AS {original}"])
    conn.execute("DROP FUNCTION public.sysview_trap()")


@_SLOW
@given(name=_name, form=st.sampled_from(["lower(id::bigint)", "upper(id::bigint)", "length(id::bigint)"]))
def test_a_views_body_resolves_names_in_every_schema(pg: dict[str, Any], name: str, form: str) -> None:
    """The gate pins the statement's functions to pg_catalog, but the database resolves a view's body itself:
    `lower(bigint)` in public is the one its `lower(id::bigint)` calls."""
    conn = pg["conn"]
    fn = form.split("(")[0]
    conn.execute(f"CREATE TABLE IF NOT EXISTS b_{name} (id int)")
    conn.execute(f"INSERT INTO b_{name} VALUES (1)")
    conn.execute(_trap(f"public.{fn}", "bigint", "text"))
    conn.execute(f"CREATE OR REPLACE VIEW v_{name} AS SELECT {form} AS x FROM b_{name}")
    try:
        _refused(pg, f"SELECT * FROM v_{name}")
    finally:
        conn.execute(f"DROP VIEW v_{name}; DROP FUNCTION public.{fn}(bigint)")


_XML = "SELECT table_to_xml('public.xml_view'::regclass, true, false, '')::text"


@pytest.mark.parametrize("body", ["SELECT lower(1)", _XML])
def test_a_replaced_built_in_whose_sql_body_reaches_a_trap(pg: dict[str, Any], body: str) -> None:
    conn = pg["conn"]
    conn.execute(_trap("public.xml_trap", "", "int"))
    conn.execute("CREATE OR REPLACE VIEW public.xml_view AS SELECT public.xml_trap() AS x")
    conn.execute(_trap("public.lower", "integer", "text"))
    body_sql = body.replace("'", "''")
    _refused_then_runs(pg, "SELECT upper('a')",
                       [f"CREATE OR REPLACE FUNCTION pg_catalog.upper(text) RETURNS text LANGUAGE sql AS '{body_sql}'"],
                       ["CREATE OR REPLACE FUNCTION pg_catalog.upper(text) RETURNS text LANGUAGE internal "
                        "IMMUTABLE PARALLEL SAFE STRICT AS 'upper'"])
    conn.execute("DROP VIEW public.xml_view; DROP FUNCTION public.xml_trap(); DROP FUNCTION public.lower(integer)")


@pytest.mark.parametrize("use", ["partition", "index"])
def test_a_non_default_operator_class_of_a_partition_key_or_an_index(pg: dict[str, Any], use: str) -> None:
    conn = pg["conn"]
    # it springs only under the agent (its application_name): building the partition or the index calls it too
    conn.execute("CREATE FUNCTION public.cmp_trap(int4, int4) RETURNS int4 LANGUAGE plpgsql IMMUTABLE AS "
                 "$$BEGIN IF current_setting('application_name') = 'runbook-agent --execute' THEN "
                 "RAISE EXCEPTION 'SPRUNG'; END IF; RETURN btint4cmp($1, $2); END$$")
    conn.execute("CREATE OPERATOR CLASS public.trap_int4_ops FOR TYPE int4 USING btree AS "
                 "OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, "
                 "FUNCTION 1 public.cmp_trap(int4, int4)")
    try:
        if use == "partition":
            conn.execute("CREATE TABLE parted (id int) PARTITION BY RANGE (id public.trap_int4_ops)")
            conn.execute("CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)")
            sql = "SELECT count(*) FROM parted"
        else:
            conn.execute("CREATE TABLE big (id int)")
            conn.execute("INSERT INTO big SELECT g FROM generate_series(1, 20000) g")
            conn.execute("CREATE INDEX big_id ON big (id public.trap_int4_ops)")
            conn.execute("ANALYZE big")
            sql = "SELECT count(*) FROM big WHERE id = 5"
        _refused(pg, sql)
    finally:
        conn.execute("DROP TABLE IF EXISTS parted, big")
        conn.execute("DROP OPERATOR CLASS public.trap_int4_ops USING btree CASCADE")
        conn.execute("DROP FUNCTION public.cmp_trap(int4, int4) CASCADE")


def test_a_built_in_operators_negator_or_a_planner_support_function(pg: dict[str, Any]) -> None:
    conn = pg["conn"]
    conn.execute("CREATE TABLE IF NOT EXISTS tj (j jsonb)")
    conn.execute(_trap("public.neg_trap", "jsonb, text", "boolean"))
    _refused_then_runs(pg, "SELECT count(*) FROM tj WHERE NOT (j ? 'b')",
                       ["CREATE OPERATOR public.!?! (leftarg = jsonb, rightarg = text, function = public.neg_trap, "
                        "negator = OPERATOR(pg_catalog.?))"],
                       ["UPDATE pg_operator SET oprnegate = 0 WHERE oid = 'pg_catalog.?(jsonb,text)'::regoperator",
                        "DROP OPERATOR public.!?! (jsonb, text)"])
    conn.execute("DROP FUNCTION public.neg_trap(jsonb, text)")
    conn.execute("CREATE FUNCTION public.sup_trap(internal) RETURNS internal LANGUAGE internal AS 'int4in'")
    _refused_then_runs(pg, "SELECT 1 + 1", ["ALTER FUNCTION pg_catalog.int4pl(int4, int4) SUPPORT public.sup_trap"],
                       ["UPDATE pg_proc SET prosupport = 0 WHERE oid = 'pg_catalog.int4pl(int4,int4)'::regprocedure"])
    # (sup_trap stays: int4pl's recorded dependency on it goes with the test database)
