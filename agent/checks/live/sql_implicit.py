"""What PostgreSQL calls for a statement without the statement naming it, and whether each is the
database's own code (red team round 3, F4).

A SELECT on the allowlist still runs functions it never spells: a column type's casts (`m::text`, an
implicit cast in `m + 1`, the cast to json behind to_json), its operators (CASE's and JOIN USING's
`=`, `op ANY (subquery)`), its default opclass (ORDER BY, DISTINCT, GROUP BY), its input and output
functions, an operator's selectivity estimators (planning runs them), every overload of a called name
(a superuser can add `pg_catalog.lower(integer)`), an aggregate's support functions. Each of those
must be built in (created by initdb: OID below 16384, in C or internal; a SQL one whose body passes the
gate, since a superuser can replace a built-in's body and keep its OID) or the code of an
extension listed as trusted: a C function from the extension's own library, an internal one with
the body of a built-in that is not volatile, a SQL one whose body passes the gate. A function merely
added to a trusted extension (ALTER EXTENSION … ADD) in plpgsql is neither.

Two phases. The catalogs are first read whole, with no WHERE and no join, because planning a
qualified query calls its operators' estimators, and an estimator altered to a user function would
run inside our own check; only when every built-in operator, cast and type still uses built-in
functions do the qualified lookups run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.checks import catalogue

BUILTIN = 16384  # FirstNormalObjectId: initdb's objects are below it
# initdb's C and internal functions are the server's own code; its SQL functions are too, but a superuser can
# CREATE OR REPLACE one (pg_catalog.lower(text) as SQL, OID kept): a SQL body is read like any other
_BUILTIN_LANGUAGES = frozenset({"internal", "c"})
_PG_CATALOG = 11  # the namespace's fixed OID
_SQL_DEPTH = 4  # SQL functions calling SQL functions deeper than this are not followed: refused


@dataclass
class Reached:
    """What the statement and the bodies it reaches (views, policies) touch, gathered by sql_reach."""

    relations: set[int] = field(default_factory=set)  # OIDs of every relation read
    functions: set[str] = field(default_factory=set)  # names the statement calls (pinned to pg_catalog's)
    body_functions: set[str] = field(default_factory=set)  # names a view's or policy's body calls (any schema)
    operators: set[str] = field(default_factory=set)  # names written, and those sorting or CASE imply
    external: set[tuple[str, str]] = field(default_factory=set)  # a trusted extension's views' own functions


@dataclass
class Catalog:
    language: dict[int, str]  # function OID -> language
    proc: dict[int, tuple[str, int, int]]  # function OID -> (name, namespace, planner support function)
    operators: list[tuple[int, str, int, int, tuple[int, int, int]]]  # oid, name, left, right, functions
    casts: list[tuple[int, int, int]]  # source, target, function
    amprocs: list[tuple[int, int, int, int]]  # operator family, left type, right type, support function
    types: dict[int, tuple[tuple[int, ...], int, int, int]]  # oid -> (functions, base, element, composite rel)
    ranges: dict[int, tuple[int, tuple[int, int]]]  # range type -> (subtype, (canonical, subdiff))
    aggregates: dict[int, tuple[int, ...]]  # aggregate's OID -> its support functions
    volatile: set[int] = field(default_factory=set)  # functions declared VOLATILE
    body: dict[int, str] = field(default_factory=dict)  # a SQL function's body as written
    linked: dict[int, tuple[int, int]] = field(default_factory=dict)  # operator -> (commutator, negator)
    _sql: dict[int, bool] = field(default_factory=dict)  # memo of sql_ok

    def builtin(self, fn: int) -> bool:
        """initdb's code: C or internal, or SQL whose body does only what built-in code does."""
        if fn == 0:
            return True
        if fn >= BUILTIN:
            return False
        lang = self.language.get(fn)
        return lang in _BUILTIN_LANGUAGES or (lang == "sql" and self.sql_ok(fn))

    def sql_ok(self, fn: int) -> bool:
        """A SQL function's body passes the gate, and every function it calls is built-in code that is not
        volatile or is on the allowlist (a replaced built-in calling a trap, or pg_terminate_backend, is not)."""
        if fn in self._sql:
            return self._sql[fn]
        self._sql[fn] = True  # while it is read: a cycle (polygon(circle) calls polygon(int, circle)) adds nothing
        self._sql[fn] = sql_body_problem(self, self.body.get(fn, "")) == ""
        return self._sql[fn]


def problem(cur: Any, cat: Catalog, reached: Reached, trusted: list[str]) -> str:
    """Why the statement must not run here, or "" when all it reaches implicitly is the database's own."""
    functions: list[tuple[int, str]] = []
    for what, fn in _implicit(cur, cat, reached):
        if not cat.builtin(fn):
            functions.append((fn, what))
    for name in sorted(reached.functions | reached.body_functions):
        anywhere = name in reached.body_functions  # a body's names are resolved by the database, not pinned
        for oid, (proname, nsp, support) in cat.proc.items():
            if (nsp == _PG_CATALOG or anywhere) and proname == name:
                functions.append((oid, f"{name}() (an overload of it in pg_catalog)"))
                functions.append((support, f"the planner support of {name}()"))
                functions += [(f, f"the aggregate {name}()") for f in cat.aggregates.get(oid, ())]
    outside, why = _external(cur, reached.external, "a trusted extension's view")
    if why:
        return why
    functions += outside
    return judge(cur, cat, [(f, w) for f, w in functions if not cat.builtin(f)], trusted)


def _external(cur: Any, external: set[tuple[str, str]], caller: str) -> tuple[list[tuple[int, str]], str]:
    """The functions a trusted extension's body calls off the allowlist: each must be the extension's
    own (judged by the caller); a built-in one off the allowlist (pg_terminate_backend) is refused."""
    out: list[tuple[int, str]] = []
    for schema, name in sorted(external):
        cur.execute("SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE p.proname = %s AND (%s = '' OR n.nspname = %s)", (name, schema, schema))
        found = [row[0] for row in cur.fetchall()]
        if not found:
            return [], f"{caller} calls {name}(), which is not there: not run"
        if any(oid < BUILTIN for oid in found):
            return [], f"{caller} calls {name}(), a built-in function off the live allowlist: not run"
        out += [(oid, f"{name}() ({caller} calls it)") for oid in found]
    return out, ""


def read(cur: Any) -> Catalog:
    """The catalogs this module reads, whole: no WHERE, no join (see the module's docstring)."""
    cur.execute("SELECT oid, lanname FROM pg_catalog.pg_language")
    lang_name = {oid: str(name) for oid, name in cur.fetchall()}
    cur.execute("SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4")
    row = cur.fetchone()
    modern = bool(row and row[0] >= 140000)
    # a SQL function's body: its text, or (SQL-standard bodies, 14+) the server's print of it; in the select
    # list only, where no estimator runs
    body = ("CASE WHEN prosrc OPERATOR(pg_catalog.<>) ''::pg_catalog.text THEN prosrc "
            "ELSE pg_catalog.pg_get_function_sqlbody(oid) END" if modern else "prosrc")
    cur.execute("SELECT oid, prolang, proname, pronamespace, prosupport::pg_catalog.oid, provolatile, "
                f"CASE WHEN prolang OPERATOR(pg_catalog.=) 14::pg_catalog.oid THEN {body} END FROM pg_catalog.pg_proc")
    language: dict[int, str] = {}
    proc: dict[int, tuple[str, int, int]] = {}
    volatile: set[int] = set()
    bodies: dict[int, str] = {}
    for oid, lang, name, nsp, support, volatility, text in cur.fetchall():
        language[oid] = lang_name.get(lang, "")
        proc[oid] = (str(name), nsp, support)
        if volatility == "v":
            volatile.add(oid)
        if text:
            bodies[oid] = str(text)
    cur.execute("SELECT oid, oprname, oprleft, oprright, oprcode::pg_catalog.oid, oprrest::pg_catalog.oid, "
                "oprjoin::pg_catalog.oid, oprcom, oprnegate FROM pg_catalog.pg_operator")
    operators = []
    linked: dict[int, tuple[int, int]] = {}
    for o, n, left, right, code, rest, join, com, negate in cur.fetchall():
        operators.append((o, str(n), left, right, (code, rest, join)))
        linked[o] = (com, negate)
    cur.execute("SELECT castsource, casttarget, castfunc FROM pg_catalog.pg_cast")
    casts = [tuple(row) for row in cur.fetchall()]
    cur.execute("SELECT amprocfamily, amproclefttype, amprocrighttype, amproc::pg_catalog.oid "
                "FROM pg_catalog.pg_amproc")
    amprocs = [tuple(row) for row in cur.fetchall()]
    subscript = ", typsubscript::pg_catalog.oid" if modern else ""
    cur.execute("SELECT oid, typbasetype, typelem, typrelid, typinput::pg_catalog.oid, typoutput::pg_catalog.oid, "
                "typreceive::pg_catalog.oid, typsend::pg_catalog.oid, typmodin::pg_catalog.oid, "
                f"typmodout::pg_catalog.oid, typanalyze::pg_catalog.oid{subscript} FROM pg_catalog.pg_type")
    types = {r[0]: (tuple(r[4:]), r[1], r[2], r[3]) for r in cur.fetchall()}
    cur.execute("SELECT rngtypid, rngsubtype, rngcanonical::pg_catalog.oid, rngsubdiff::pg_catalog.oid "
                "FROM pg_catalog.pg_range")
    ranges = {r[0]: (r[1], (r[2], r[3])) for r in cur.fetchall()}
    cur.execute("SELECT aggfnoid::pg_catalog.oid, aggtransfn::pg_catalog.oid, aggfinalfn::pg_catalog.oid, "
                "aggcombinefn::pg_catalog.oid, aggserialfn::pg_catalog.oid, aggdeserialfn::pg_catalog.oid, "
                "aggmtransfn::pg_catalog.oid, aggminvtransfn::pg_catalog.oid, aggmfinalfn::pg_catalog.oid "
                "FROM pg_catalog.pg_aggregate")
    aggregates = {r[0]: tuple(f for f in r[1:] if f) for r in cur.fetchall()}
    return Catalog(language, proc, operators, casts, amprocs, types, ranges, aggregates, volatile, bodies,
                   linked)


def _statements(body: str) -> list[str]:
    """The statements of a SQL function's body: "SELECT …", "RETURN expr", "BEGIN ATOMIC … END"."""
    import pglast

    text = body.strip().rstrip(";").strip()
    if text[:6].upper() == "RETURN":
        return [f"SELECT {text[6:]}"]
    if text[:12].upper() == "BEGIN ATOMIC" and text[-3:].upper() == "END":
        text = text[12:-3]
    try:
        return [part for part in pglast.split(text) if part.strip()]
    except Exception:  # noqa: BLE001  (pglast raises its own parse errors: the body is then not read)
        return [text]


def sql_body_problem(cat: Catalog, body: str) -> str:
    """"" when every statement of a SQL function's body is a SELECT the gate allows (leniently: off-list
    functions reported, $1 allowed) and every function it calls is built-in code: on the allowlist (every
    pg_catalog overload of the name built in), or off it but neither volatile nor anything but built-in."""
    from agent.checks.live import Refused, sql_gate

    if not body.strip():
        return "an empty body"
    for statement in _statements(body):
        try:
            checked = sql_gate.check(statement, lenient=True)
        except Refused as why:
            return str(why)
        # a body's names are resolved through the search path at run time: an overload in any schema counts
        for name in checked.functions:
            if name in _RUNS_SQL:
                return f"it calls {name}(), which runs a query of its own"
            for oid, (proname, _nsp, _support) in cat.proc.items():
                if proname == name and not cat.builtin(oid):
                    return f"it calls {name}(), which is not built-in code here"
        for schema, name in checked.external:
            found = [oid for oid, (proname, nsp, _s) in cat.proc.items()
                     if proname == name and (not schema or schema == "pg_catalog" and nsp == _PG_CATALOG)]
            if name in _RUNS_SQL or not found or any(oid in cat.volatile or not cat.builtin(oid) for oid in found):
                return f"it calls {name}(), which is off the allowlist and not read-only built-in code"
        # an operator of another schema on built-in types (public `text = int`) may be the one the body's picks;
        # those on an extension's own types (hstore's ||) are for its values only
        for oid, name, left, right, used in cat.operators:
            if name in checked.operators and oid >= BUILTIN and left < BUILTIN and right < BUILTIN and \
                    not all(cat.builtin(f) for f in used):
                return f"operator {name} is also defined here by a function of this database"
    return ""


# built-ins that are not volatile but run a query they are given (a table, a view, a query string): through
# them a body reaches anything
_RUNS_SQL = frozenset({"table_to_xml", "query_to_xml", "cursor_to_xml", "schema_to_xml", "database_to_xml",
                       "table_to_xmlschema", "query_to_xmlschema", "cursor_to_xmlschema", "schema_to_xmlschema",
                       "database_to_xmlschema", "table_to_xml_and_xmlschema", "query_to_xml_and_xmlschema",
                       "schema_to_xml_and_xmlschema", "database_to_xml_and_xmlschema", "ts_stat"})


def builtins_changed(cat: Catalog) -> str:
    """A built-in operator, cast or type that now runs a function of the database's: then no qualified
    query is planned here, ours included."""
    for oid, name, _left, _right, used in cat.operators:
        if oid < BUILTIN and not all(cat.builtin(f) for f in used):
            return f"the built-in operator {name} was changed to call a function of this database: nothing runs here"
        if oid < BUILTIN and any(other >= BUILTIN for other in cat.linked.get(oid, (0, 0))):
            # `NOT (j ? 'b')` is planned as the negator: one a user pointed at an operator of theirs
            return (f"the built-in operator {name}'s commutator or negator is an operator of this database: "
                    "nothing runs here")
    for oid, (name, _nsp, support) in cat.proc.items():
        if oid < BUILTIN and support and not cat.builtin(support):
            return (f"the built-in function {name}() was given a planner support function of this database: "
                    "nothing runs here")
    for source, target, fn in cat.casts:
        if source < BUILTIN and target < BUILTIN and not cat.builtin(fn):
            return "a cast between built-in types calls a function of this database: nothing runs here"
    for oid, (io, *_parts) in cat.types.items():
        if oid < BUILTIN and not all(cat.builtin(f) for f in io):
            return "a built-in type's input, output or analyze function was changed: nothing runs here"
    return ""


def _touched_types(cur: Any, cat: Catalog, relations: set[int]) -> set[int]:
    """The types of the columns the statement reads, with their parts (a domain's base, an array's
    element, a composite's fields, a range's subtype), and every built-in type."""
    found: set[int] = set()
    todo: set[int] = set()
    rels = set(relations)
    while rels or todo:
        if rels:
            cur.execute("SELECT atttypid FROM pg_catalog.pg_attribute WHERE attrelid = ANY(%s::pg_catalog.oid[]) "
                        "AND attnum > 0 AND NOT attisdropped", (sorted(rels),))
            todo |= {row[0] for row in cur.fetchall()} - found
            rels = set()
        while todo:
            t = todo.pop()
            if t in found or t == 0:
                continue
            found.add(t)
            _fns, base, element, composite = cat.types.get(t, ((), 0, 0, 0))
            todo |= {p for p in (base, element, cat.ranges.get(t, (0,))[0]) if p and p not in found}
            if composite and t >= BUILTIN:
                rels.add(composite)
    return found | {t for t in cat.types if t < BUILTIN}


def _implicit(cur: Any, cat: Catalog, reached: Reached) -> list[tuple[str, int]]:
    touched = _touched_types(cur, cat, reached.relations)
    out: list[tuple[str, int]] = []
    # a cast the statement may take without writing it: between types it reads (built-ins among them)
    out += [("a cast from a type the statement reads", fn)
            for source, target, fn in cat.casts if source in touched and target in touched]
    # an operator it writes, or one that CASE, USING, ORDER BY or GROUP BY look up by name, on those types
    out += [(f"operator {name} on a type the statement reads", fn)
            for _o, name, left, right, fns in cat.operators
            if name in reached.operators and (left in touched or right in touched) for fn in fns]
    # sorting, DISTINCT, GROUP BY and hashing call the default operator class's support functions; a partition
    # key, an index or a range type may use any other class of the type: every class on a type read counts
    out += [("a support function of an operator class of a type the statement reads", fn)
            for _family, left, right, fn in cat.amprocs if left in touched or right in touched]
    for t in touched:
        fns: tuple[int, ...] = cat.types[t][0] if t in cat.types else ()
        if t in cat.ranges:
            fns += cat.ranges[t][1]
        out += [("the input, output or analyze function of a type the statement reads", fn) for fn in fns]
    return out


def judge(cur: Any, cat: Catalog, functions: list[tuple[int, str]], trusted: list[str], depth: int = 0) -> str:
    """"" when every function is a trusted extension's own code, else why not."""
    oids = sorted({f for f, _ in functions})
    if not oids:
        return ""
    cur.execute(
        "SELECT p.oid, p.oid::pg_catalog.regprocedure::pg_catalog.text, l.lanname, p.probin, p.prosrc, "
        "       (SELECT x.extname FROM pg_catalog.pg_depend e JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid "
        "         WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid "
        "           AND e.deptype = 'e' LIMIT 1) "
        "  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
        " WHERE p.oid = ANY(%s::pg_catalog.oid[])", (oids,))
    rows = {r[0]: r[1:] for r in cur.fetchall()}
    why = dict((f, w) for f, w in reversed(functions))
    for oid in oids:
        signature, lang, probin, source, extension = rows.get(oid, ("?", "", None, "", None))
        verdict = _own_code(cur, cat, str(lang), probin, cat.body.get(oid, "") or str(source or ""), extension, trusted,
                            depth, builtin=oid < BUILTIN)
        if verdict:
            owner = f" (added to extension {extension})" if extension else ""
            return f"{why[oid]} runs {signature}, {verdict}{owner}: not run"
    return ""


def _own_code(cur: Any, cat: Catalog, lang: str, probin: str | None, source: str, extension: str | None,
              trusted: list[str], depth: int, builtin: bool = False) -> str:
    """"" when the function is initdb's SQL function or the trusted extension's own code, else what it is."""
    from agent.checks.live import Refused, sql_gate

    if extension not in trusted and not (builtin and lang == "sql"):
        return f"a {lang} function of this database, not built in"
    if lang == "c":
        module = (probin or "").removeprefix("$libdir/")
        if extension and (module == extension or module.startswith(f"{extension}-") or
                          module in _modules().get(extension, ())):
            return ""
        return f"C code from {probin}, not the extension's own library"
    if lang == "internal":
        if source == "aggregate_dummy":
            return ""  # an aggregate: its support functions are checked as the aggregate's
        cur.execute("SELECT 1 FROM pg_catalog.pg_proc WHERE prosrc = %s AND oid < %s AND provolatile <> 'v' LIMIT 1",
                    (source, BUILTIN))
        return "" if cur.fetchone() else f"the built-in code {source!r}, which may change things"
    if lang == "sql" and builtin:
        return "" if sql_body_problem(cat, source) == "" else f"a built-in SQL function replaced: {source[:80]!r}"
    if lang == "sql" and depth < _SQL_DEPTH:
        try:
            body = sql_gate.check(source, lenient=True)
        except Refused as why:
            return f"a SQL function whose body is not run: {why}"
        functions = [(oid, f"{name}()") for name in body.functions for oid, (proname, nsp, _s) in cat.proc.items()
                     if nsp == _PG_CATALOG and proname == name]
        outside, missing = _external(cur, set(body.external), "its body")
        if missing:
            return f"a SQL function: {missing}"
        inner = judge(cur, cat, [(f, w) for f, w in functions + outside if not cat.builtin(f)], trusted, depth + 1)
        return f"a SQL function: {inner}" if inner else ""
    return f"a {lang} function"


def _modules() -> dict[str, list[str]]:
    """Extensions whose library is not named after them (intarray's is _int)."""
    data = catalogue.data("sql").get("trusted_extension_modules", {}) or {}
    return {str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in data.items()}
