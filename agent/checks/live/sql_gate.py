"""Whether the live runner may send a SQL text to PostgreSQL: parsed with PostgreSQL's own parser
(pglast), it must be exactly one plain SELECT, SHOW or EXPLAIN (no ANALYZE); every node of its tree
from a short list of expression kinds; every function, operator and cast from the catalogue's SQL
allowlist (`catalogue/data/other/sql.yaml`). What runs is the statement as PostgreSQL parsed it,
printed back by pglast, so comments, dollar quotes and `;` games can't make it mean anything else.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any

from agent.checks import catalogue
from agent.checks.live import Refused

_NODES = {
    "RawStmt",
    "SelectStmt",
    "VariableShowStmt",
    "ExplainStmt",
    "ResTarget",
    "ColumnRef",
    "A_Star",
    "A_Const",
    "Integer",
    "Float",
    "String",
    "Boolean",
    "BitString",
    "FuncCall",
    "A_Expr",
    "BoolExpr",
    "NullTest",
    "BooleanTest",
    "TypeCast",
    "TypeName",
    "RangeVar",
    "JoinExpr",
    "Alias",
    "SortBy",
    "SubLink",
    "CaseExpr",
    "CaseWhen",
    "CoalesceExpr",
    "MinMaxExpr",
    "SQLValueFunction",
    "RangeSubselect",
    "RangeFunction",
    "WindowDef",
    "CommonTableExpr",
    "WithClause",
    "A_Indirection",
    "A_Indices",
    "A_ArrayExpr",
    "RowExpr",
    "NamedArgExpr",
    "GroupingSet",
    "CollateClause",
}
_FIELDS: ContextVar[set[str]] = ContextVar("fields")
_REACH: ContextVar[dict[str, set[Any]]] = ContextVar("reach")
_LENIENT: ContextVar[bool] = ContextVar("lenient", default=False)
_IMPLIED = ("=", "<", ">")  # what sorting, grouping and CASE's comparison look up by name
_EXPR_KEYWORDS = {"BETWEEN", "NOT BETWEEN", "BETWEEN SYMMETRIC", "NOT BETWEEN SYMMETRIC"}
_EXPLAIN_OPTIONS = {"verbose", "costs", "format", "settings", "summary", "generic_plan", "buffers", "memory"}


@dataclass(frozen=True)
class Allowed:
    sql: str  # the statement as PostgreSQL parsed it, printed back
    kind: str  # SELECT, SHOW, EXPLAIN
    # names written as a field (`t.name`, `(row).name`): PostgreSQL calls name(t) when t has no such
    # column (attribute notation), so the driver refuses those that are functions off the allowlist
    fields: frozenset[str] = frozenset()
    # what the driver checks in the database before the statement runs (what a view's body calls,
    # a foreign table, an operator another schema also defines): see reach() in live/drivers.py
    relations: frozenset[tuple[str, str]] = frozenset()  # (schema or "", name) as written
    operators: frozenset[str] = frozenset()
    # the functions it calls by name (pg_catalog's): every overload of the name must be built in
    functions: frozenset[str] = frozenset()
    # read leniently (an extension's view body): functions off the allowlist, as (schema or "", name),
    # for the database to say whether each is the extension's own code
    external: frozenset[tuple[str, str]] = frozenset()


@cache
def _lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    data = catalogue.data("sql")
    return (
        frozenset(str(f).lower() for f in data["functions"]),
        frozenset(str(o) for o in data["operators"]),
        frozenset(str(t).lower() for t in data["types"]),
    )


def _names(nodes: Any) -> list[str]:
    return [str(getattr(n, "sval", "")) for n in (nodes or ())]


def _unqualified(names: list[str], what: str) -> str:
    if len(names) == 2 and names[0].lower() == "pg_catalog":
        return names[1]
    if len(names) != 1:
        raise Refused(f"{what} {'.'.join(names)} is outside pg_catalog")
    return names[0]


def _pinned(name: str) -> tuple[Any, ...]:
    from pglast import ast

    return (ast.String("pg_catalog"), ast.String(name))


def _check(node: Any) -> None:
    functions, operators, types = _lists()
    kind = type(node).__name__
    # leniently (bodies the database wrote): $1 of a SQL function, a column definition list of a function in FROM
    if kind not in _NODES and not (kind in ("ParamRef", "ColumnDef") and _LENIENT.get()):
        raise Refused(f"SQL {kind.removesuffix('Stmt')} is not run (only a plain SELECT, SHOW or EXPLAIN)")
    if kind == "SelectStmt":
        if node.intoClause is not None:
            raise Refused("SELECT INTO creates a table")
        if node.lockingClause:
            raise Refused("SELECT ... FOR UPDATE/SHARE takes row locks")
    elif kind == "ExplainStmt":
        for opt in node.options or ():
            if str(opt.defname).lower() not in _EXPLAIN_OPTIONS:
                raise Refused(f"EXPLAIN {str(opt.defname).upper()} runs the statement" if opt.defname == "analyze"
                              else f"EXPLAIN option {opt.defname} is not run")
        if type(node.query).__name__ != "SelectStmt":
            raise Refused(f"EXPLAIN of {type(node.query).__name__.removesuffix('Stmt')} is not run")
        _walk(node.query)  # its options (DefElem) were checked above
        return
    elif kind == "FuncCall":
        written = _names(node.funcname)
        if _LENIENT.get() and len(written) <= 2 and (written[-1].lower() not in functions or (
                len(written) == 2 and written[0].lower() != "pg_catalog")):
            _REACH.get()["external"].add((written[0] if len(written) == 2 else "", written[-1]))
        else:
            name = _unqualified(written, "function")
            if name.lower() not in functions:
                raise Refused(f"function {name.lower()}() is not on the live allowlist")
            node.funcname = _pinned(name)  # never a same-named function of another schema
            _REACH.get()["functions"].add(name)
    elif kind == "A_Expr":
        _operator(_names(node.name))
    elif kind == "SubLink" and node.operName:  # `x op ANY (SELECT …)`: an operator outside any A_Expr
        _operator(_names(node.operName))
    elif kind == "SortBy" and node.useOp:  # ORDER BY x USING op
        _operator(_names(node.useOp))
    # constructs that compare with the types' own operators without writing one: CASE x WHEN, JOIN
    # USING / NATURAL, ORDER BY, DISTINCT, GROUP BY, set operations, window partitions, GREATEST/LEAST
    if (kind == "CaseExpr" and node.arg is not None) or (kind == "JoinExpr" and (node.usingClause or node.isNatural)) \
            or kind in ("SortBy", "MinMaxExpr", "GroupingSet") or (kind == "WindowDef" and node.partitionClause) or (
            kind == "SelectStmt" and (node.distinctClause or node.groupClause or int(node.op or 0) != 0)):
        _REACH.get()["operators"].update(_IMPLIED)
    elif kind == "RangeVar":
        _REACH.get()["relations"].add((str(node.schemaname or ""), str(node.relname)))
    elif kind == "CommonTableExpr":
        _REACH.get()["ctes"].add(str(node.ctename))
    elif kind == "TypeName":
        tname = _unqualified(_names(node.names), "type")
        if tname.lower() not in types:
            raise Refused(f"cast to {tname.lower()} is not on the live allowlist")
        node.names = _pinned(tname)
    elif kind == "ColumnRef" and len(node.fields or ()) > 1:
        last = node.fields[-1]
        if type(last).__name__ == "String":
            _FIELDS.get().add(str(last.sval).lower())
    elif kind == "A_Indirection":
        for item in node.indirection or ():
            if type(item).__name__ == "String":
                _FIELDS.get().add(str(item.sval).lower())
    if kind == "CommonTableExpr" and type(node.ctequery).__name__ != "SelectStmt":
        raise Refused(f"a WITH query that runs {type(node.ctequery).__name__.removesuffix('Stmt')}")
    for slot in node.__slots__:
        _walk(getattr(node, slot, None))


def _operator(names: list[str]) -> None:
    _, operators, _ = _lists()
    op = _unqualified(names, "operator")
    if op not in operators and op.upper() not in _EXPR_KEYWORDS:
        raise Refused(f"operator {op} is not on the live allowlist")
    # BETWEEN is >= and <= underneath: those are the operators the database looks up
    _REACH.get()["operators"].update((">=", "<=") if op.upper() in _EXPR_KEYWORDS else (op,))


def _walk(value: Any) -> None:
    from pglast import ast

    if isinstance(value, ast.Node):
        _check(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _walk(item)


def check(sql: str, *, lenient: bool = False) -> Allowed:
    """The statement to send, or raise Refused with the reason. `lenient` (a trusted extension's view
    body, never a runbook's statement): functions off the allowlist are reported in `external`."""
    import pglast
    from pglast.parser import ParseError
    from pglast.stream import RawStream

    text = sql.strip()
    if text.lstrip().startswith("\\") or "\n\\" in text:
        raise Refused("psql meta-commands (\\...) are not SQL: not run")
    try:
        statements = pglast.parse_sql(text)
    except ParseError as exc:
        raise Refused(f"PostgreSQL's parser rejects it ({str(exc.args[0]) if exc.args else exc})") from None
    if len(statements) != 1:
        raise Refused(f"{len(statements)} statements: exactly one runs per command")
    stmt = statements[0].stmt
    if stmt is None:
        raise Refused("an empty statement")
    kind = type(stmt).__name__
    if kind not in ("SelectStmt", "VariableShowStmt", "ExplainStmt"):
        raise Refused(f"SQL {kind.removesuffix('Stmt').upper()} is not run (only a plain SELECT, SHOW or EXPLAIN)")
    token = _FIELDS.set(set())
    reach = _REACH.set({"relations": set(), "operators": set(), "ctes": set(), "functions": set(),
                        "external": set()})
    lenient_token = _LENIENT.set(lenient)
    try:
        _check(stmt)
        # every field, an allowlisted name too: `s.md5` is md5(s), whichever md5 the database has
        fields = frozenset(_FIELDS.get())
        found = _REACH.get()
        # a name WITH defines is the CTE wherever it is read unqualified (a table of that name is
        # then checked too, at worst refusing a statement that would have been fine)
        relations = frozenset(r for r in found["relations"] if r[0] or r[1] not in found["ctes"])
        operators = frozenset(found["operators"])
        functions = frozenset(str(f).lower() for f in found["functions"])
        external = frozenset(found["external"])
        printed = RawStream()(stmt)
    except RecursionError:  # `SELECT 1 + 1 + ...` three hundred deep: the tree is walked recursively
        raise Refused("the statement is nested too deeply to check") from None
    finally:
        _FIELDS.reset(token)
        _REACH.reset(reach)
        _LENIENT.reset(lenient_token)
    again = pglast.parse_sql(printed)  # what runs is read once more: one statement of the same kind
    if len(again) != 1 or type(again[0].stmt).__name__ != kind:
        raise Refused("the statement does not print back as itself: not run")
    label = {"SelectStmt": "SELECT", "VariableShowStmt": "SHOW", "ExplainStmt": "EXPLAIN"}[kind]
    return Allowed(printed, label, fields, relations, operators, functions, external)
