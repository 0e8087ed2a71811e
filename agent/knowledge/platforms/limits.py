"""What a managed product refuses that the self-run engine accepts (`data/managed_limits.yaml`), and the
product's own way: a pack builds its statement or CLI call as for the engine and passes it through
`managed_call`, which returns it unchanged for a self-run component and the product's replacement (or a
guarded refusal) for a managed variant. No pack switches on the product: the table does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agent.knowledge.platforms.base import q


@dataclass(frozen=True)
class Limit:
    """One refused statement / call on some managed variants of an engine."""

    variants: tuple[str, ...]
    engine: str
    surface: str  # "sql" | "airflow-cli"
    match: re.Pattern[str]
    why: str
    sql: str = ""  # the statement that replaces it on the same connection
    shell: str = ""  # or the shell command that replaces the whole call


@lru_cache(maxsize=1)
def limits() -> tuple[Limit, ...]:
    text = (Path(__file__).parent / "data" / "managed_limits.yaml").read_text(encoding="utf-8")
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load(text) or {}
    return tuple(Limit(variants=tuple(e["variants"]), engine=str(e["engine"]), surface=str(e["surface"]),
                       match=re.compile(str(e["match"]), re.I), why=str(e["why"]),
                       sql=str(e.get("sql", "")).strip(), shell=str(e.get("shell", "")).strip())
                 for e in data.get("limits", []))


def refusal(variant: str, engine: str, surface: str, text: str) -> tuple[Limit, re.Match[str]] | None:
    """The first limit of `variant` that refuses `text` (one statement / call), with its match."""
    if not variant:
        return None
    for limit in limits():
        if variant in limit.variants and limit.engine == engine and limit.surface == surface:
            m = limit.match.search(text)
            if m is not None:
                return limit, m
    return None


@dataclass(frozen=True)
class Scope:
    """What the replacement templates are filled with: the managed resource and where it is."""

    identifier: str = ""
    region: str = ""
    environment: str = ""
    # the guarded variables the caller's block declares for a value it lacks
    environment_var: str = "ENVIRONMENT"

    def fill(self, template: str, groups: tuple[str | None, ...]) -> str:
        values = {"identifier": q(self.identifier) if self.identifier else "\"$IDENTIFIER\"",
                  "region": q(self.region) if self.region else "\"$REGION\"",
                  "environment": q(self.environment) if self.environment else f"\"${self.environment_var}\""}
        out = template.format(*(["", *[g or "" for g in groups]]), **values)
        return out


def split_statements(sql: str) -> list[str]:
    """`sql` as its statements (semicolons outside quotes end one); empty ones dropped."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == ";":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


@dataclass(frozen=True)
class Managed:
    """The outcome for one call: `code` is what to run; `notes` say what the product refused and why."""

    code: str | None  # None: the whole call became a shell replacement or a refusal (see `shell`)
    shell: str | None
    notes: tuple[str, ...]


def managed_sql(variant: str, engine: str, sql: str, scope: Scope, product: str = "") -> Managed:
    """`sql` with each statement the variant refuses replaced by the product's statement; a statement
    whose replacement is a shell command (or that has none) turns the whole call into that command."""
    out, notes = [], []
    for statement in split_statements(sql):
        hit = refusal(variant, engine, "sql", statement)
        if hit is None:
            out.append(statement)
            continue
        limit, m = hit
        notes.append(f"{product or variant}: {limit.why}")
        if limit.sql:
            out.append(scope.fill(limit.sql, m.groups()))
            continue
        return Managed(None, shell_or_refusal(limit, m, scope, product or variant), tuple(notes))
    return Managed("; ".join(out), None, tuple(notes))


def managed_cli(variant: str, engine: str, surface: str, call: str, scope: Scope, product: str = "") -> Managed:
    """One CLI call (`surface`) as the variant allows it: unchanged, or its replacement / refusal."""
    hit = refusal(variant, engine, surface, call)
    if hit is None:
        return Managed(call, None, ())
    limit, m = hit
    label = product or variant
    return Managed(None, shell_or_refusal(limit, m, scope, label), (f"{label}: {limit.why}",))


def shell_or_refusal(limit: Limit, m: re.Match[str], scope: Scope, label: str) -> str:
    """The shell replacement with its reason as a comment; without one, a block that stops with the reason
    (a guarded refusal, never the refused call)."""
    reason = f"# {label}: {limit.why}"
    if limit.shell:
        return f"{reason}\n{scope.fill(limit.shell, m.groups())}"
    return f"{reason}\n: \"${{NOT_ON_MANAGED:?{label} has no equivalent of this step; see the reason above}}\""
