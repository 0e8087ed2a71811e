"""What an allowed SELECT reaches in the database rather than in its text, checked there before it runs.

The gate (`sql_gate.py`) reads the statement; the database decides what the names in it are. A view
runs its body (`SELECT * FROM status` may call pg_terminate_backend, or dblink_exec, which writes
through a connection of its own, outside our read-only transaction); a foreign table runs its
wrapper (file_fdw's `program` option runs a shell command on every SELECT), and so does a foreign
partition or inheritance child of a table; a row-level security policy runs its USING expression
for each row a role under it reads; `r.name` calls a
function name(r) when r has no such column, whatever volatility it declares; and an operator
another schema defines (`text = int` in public) is the one PostgreSQL picks when it fits better
than a cast. Each is looked up in the catalogs, inside the same read-only transaction, with
pg_catalog first in the search_path: deny when any is found. Objects of the extensions listed as
`trusted_extensions` in `catalogue/data/other/sql.yaml` pass when they are the extension's own code
(sql_implicit.py says what that means; a view of such an extension is still read). What PostgreSQL
calls without the statement naming it (casts, operators, opclasses, type I/O) is sql_implicit's.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from agent.checks import catalogue
from agent.checks.live import sql_implicit
from agent.checks.live.sql_gate import Allowed

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")
_BUILTIN = sql_implicit.BUILTIN

_RELATIONS = """
SELECT c.oid, c.relkind, n.nspname, c.relname, c.relrowsecurity,
       EXISTS (SELECT 1 FROM pg_catalog.pg_depend e JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid
                WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid
                  AND e.deptype = 'e' AND x.extname = ANY(%(trusted)s))
  FROM pg_catalog.unnest(%(names)s::pg_catalog.text[]) AS x(name)
  JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(x.name)
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
"""

# Partitions and inheritance children a scan of these tables reads too (a foreign partition runs
# its wrapper like a foreign table named outright).
_CHILDREN = """
WITH RECURSIVE kids(oid) AS (
    SELECT i.inhrelid FROM pg_catalog.pg_inherits i WHERE i.inhparent = ANY(%(parents)s::pg_catalog.oid[])
  UNION
    SELECT i.inhrelid FROM kids JOIN pg_catalog.pg_inherits i ON i.inhparent = kids.oid
)
SELECT n.nspname, c.relname FROM kids JOIN pg_catalog.pg_class c ON c.oid = kids.oid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'f'
 LIMIT 1
"""

# every function a field's name could be (attribute notation): a built-in one that is not volatile is
# harmless (`s.lower` where s has no column lower); any other is judged as code (sql_implicit.judge)
_FIELD_FUNCTIONS = """
SELECT p.oid, pg_catalog.lower(p.proname::pg_catalog.text), n.nspname, p.provolatile = 'v'
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE pg_catalog.lower(p.proname::pg_catalog.text) = ANY(%(names)s)
"""

_OTHER_OPERATORS = """
SELECT DISTINCT o.oprname::pg_catalog.text, n.nspname
  FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
 WHERE o.oprname::pg_catalog.text = ANY(%(names)s) AND n.nspname <> 'pg_catalog'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid
                    WHERE e.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND e.objid = o.oid
                      AND e.deptype = 'e' AND x.extname = ANY(%(trusted)s))
"""


@cache
def _trusted() -> list[str]:
    return sorted(str(x) for x in catalogue.data("sql").get("trusted_extensions", []))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'  # as written: the parser already folded unquoted case


def _quoted(schema: str, name: str) -> str:
    return f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)


def reach(cur: Any, fields: frozenset[str], relations: frozenset[tuple[str, str]],
          operators: frozenset[str], functions: frozenset[str] = frozenset()) -> str:
    """Why the statement must not run here, or "" when what it reaches is read-only."""
    trusted = _trusted()
    cat = sql_implicit.read(cur)  # first, and whole: see sql_implicit
    problem = sql_implicit.builtins_changed(cat)
    if problem:
        return problem
    reached = sql_implicit.Reached(functions=set(functions), operators=set(operators))
    problem = _fields_and_operators(cur, cat, fields, operators, trusted) or \
        _relations(cur, cat, relations, trusted, set(), 0, reached)
    return problem or sql_implicit.problem(cur, cat, reached, trusted)


_DEPTH = 8  # views over views deeper than this are not followed: refused


def _relations(cur: Any, cat: sql_implicit.Catalog, relations: frozenset[tuple[str, str]], trusted: list[str],
               seen: set[int], depth: int, reached: sql_implicit.Reached) -> str:
    """A foreign table anywhere, or a view whose body (read as the SELECT it is, by the same gate
    as the runbook's statement) isn't allowed, or reaches one; pg_depend can't say this: it records
    no dependency on pg_catalog's own functions, pg_terminate_backend among them."""
    from agent.checks.live import Refused, sql_gate

    if not relations:
        return ""
    cur.execute(_RELATIONS, {"names": [_quoted(s, n) for s, n in sorted(relations)], "trusted": trusted})
    found = cur.fetchall()  # a name that isn't there is not found: the statement fails
    reached.relations.update(oid for oid, *_ in found)
    tables = [oid for oid, relkind, *_ in found if relkind in ("r", "p")]
    guarded = [oid for oid, relkind, _s, _n, rls, _e in found if rls]
    if guarded:  # a row-level security policy's USING runs for every row a role under it reads
        cur.execute("SELECT n.nspname || '.' || c.relname, pg_catalog.pg_get_expr(p.polqual, p.polrelid) "
                    "FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid "
                    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE p.polrelid = ANY(%s::pg_catalog.oid[]) AND p.polqual IS NOT NULL", (guarded,))
        for table, qual in cur.fetchall():
            try:
                policy = sql_gate.check(f"SELECT {qual}")
            except Refused as why:
                return f"a row-level security policy of {table} is an expression that is not run: {why}"
            problem = reach_body(cur, cat, policy, trusted, seen, depth + 1, reached)
            if problem:
                return f"a row-level security policy of {table}: {problem}"
    if tables:
        cur.execute(_CHILDREN, {"parents": tables})
        child = cur.fetchone()
        if child:
            return (f"{child[0]}.{child[1]} is a foreign table (a partition or child of a table the statement "
                    "reads): reading it runs its wrapper: not run")
    for oid, relkind, schema, name, _rls, extension in found:
        if oid in seen or (extension and relkind != "v"):
            continue
        seen.add(oid)
        if relkind == "f":
            return (f"{schema}.{name} is a foreign table: reading it runs its wrapper (file_fdw can run a "
                    "program, postgres_fdw connects elsewhere): not run")
        if relkind == "v" and schema in _SYSTEM_SCHEMAS:
            # initdb's views depend on built-in objects only (not recorded); one replaced (CREATE OR REPLACE
            # VIEW pg_catalog.pg_stat_activity … WHERE public.f()) or added depends on the database's own
            cur.execute("SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid "
                        "WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND r.ev_class = %s "
                        "AND d.refobjid >= %s::pg_catalog.oid AND d.refobjid <> %s LIMIT 1", (oid, _BUILTIN, oid))
            if cur.fetchone() or oid >= _BUILTIN:
                return f"view {schema}.{name} was replaced or added in this database (it reads its objects): not run"
            continue
        if relkind != "v":
            continue
        if depth >= _DEPTH:
            return f"view {schema}.{name} is more than {_DEPTH} views deep: not run"
        cur.execute("SELECT pg_catalog.pg_get_viewdef(%s::pg_catalog.oid)", (oid,))
        row = cur.fetchone()
        try:
            # a trusted extension's view calls the extension's functions (pg_stat_statements(true)): read
            # leniently, each such function is then judged as the extension's own code or not
            body = sql_gate.check(str(row[0] if row else ""), lenient=bool(extension))
        except Refused as why:
            return f"view {schema}.{name} is a SELECT that is not run: {why}"
        reached.external |= body.external
        problem = reach_body(cur, cat, body, trusted, seen, depth + 1, reached)
        if problem:
            return f"view {schema}.{name}: {problem}"
    return ""


def reach_body(cur: Any, cat: sql_implicit.Catalog, body: Allowed, trusted: list[str], seen: set[int], depth: int,
               reached: sql_implicit.Reached) -> str:
    """The checks of `reach` for a view's body (a sql_gate.Allowed)."""
    reached.body_functions |= body.functions  # the database resolves them, in any schema of the search path
    reached.operators |= body.operators
    problem = _fields_and_operators(cur, cat, body.fields, body.operators, trusted)
    return problem or _relations(cur, cat, body.relations, trusted, seen, depth, reached)


def _fields_and_operators(cur: Any, cat: sql_implicit.Catalog, fields: frozenset[str], operators: frozenset[str],
                          trusted: list[str]) -> str:
    if fields:
        cur.execute(_FIELD_FUNCTIONS, {"names": sorted(fields)})
        code: list[tuple[int, str]] = []
        for oid, name, schema, volatile in sorted(cur.fetchall()):
            if cat.builtin(oid) and volatile:
                return f"{name} is a volatile function here ({schema}.{name}): t.{name} would call it: not run"
            if not cat.builtin(oid):
                code.append((oid, f"t.{name} (attribute notation calls {schema}.{name}(t))"))
        problem = sql_implicit.judge(cur, cat, code, trusted)
        if problem:
            return problem
    if operators:
        cur.execute(_OTHER_OPERATORS, {"names": sorted(operators), "trusted": trusted})
        other = sorted(cur.fetchall())
        if other:
            op, schema = other[0]
            return (f"operator {op} is also defined in schema {schema} here: PostgreSQL may pick that one "
                    "(a function the allowlist never saw): not run")
    return ""
