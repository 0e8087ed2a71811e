"""Which parts of the runbook apply to this service: the gate table (agent/knowledge/data/applies.yaml).

`agent.knowledge.applies` reads what the service IS from its model (a `Shape`); this module holds what
each part of a runbook needs of it, with why, as reviewable data: the engine's own parts by a name
(`gate("dr_redeploy", shape)`), a pack's parts by the pack, the Contribution field and the part's title,
purpose or text (`scope(pack, part, shape)`). A part left out is reported with its reason, never silently.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.knowledge.applies import NEEDS, Shape, fits
from agent.knowledge.base import Contribution


@dataclass(frozen=True)
class Gate:
    needs: tuple[str, ...]
    why: str


def _gate(row: dict[str, Any], where: str) -> Gate:
    needs = tuple(row.get("needs") or ())
    unknown = [n for n in needs if n not in NEEDS]
    if unknown or not row.get("why"):
        raise ValueError(f"applies.yaml {where}: unknown needs {unknown} or no 'why'")
    return Gate(needs, " ".join(str(row["why"]).split()))


@cache
def table() -> tuple[dict[str, Gate], dict[str, dict[str, dict[str, Gate]]]]:
    """(engine gates by name, pack gates by pack -> field -> part key)."""
    text = resources.files("agent.knowledge").joinpath("data/applies.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    engine = {name: _gate(row, name) for name, row in (data.get("engine") or {}).items()}
    packs = {pack: {field: {key: _gate(row, f"{pack}.{field}.{key}") for key, row in rows.items()}
                    for field, rows in fields.items()}
             for pack, fields in (data.get("packs") or {}).items()}
    for pack, fields in packs.items():
        for field in fields:
            if field not in Contribution.__dataclass_fields__:
                raise ValueError(f"applies.yaml {pack}.{field}: not a Contribution field")
    return engine, packs


def gate(name: str, shape: Shape) -> bool:
    """Whether the engine's part `name` applies (a name missing from the table always applies)."""
    found = table()[0].get(name)
    return found is None or fits(found.needs, shape)


def why(name: str) -> str:
    found = table()[0].get(name)
    return found.why if found is not None else ""


def left_out(shape: Shape) -> list[str]:
    """The engine's parts this shape leaves out, each with why (shown with --verbose)."""
    return [f"left out {name.replace('_', ' ')} ({found.why})" for name, found in table()[0].items()
            if not fits(found.needs, shape)]


def key_of(item: object) -> str:
    """How the table names a part: an entry's or procedure's title, a command's purpose, a task's text."""
    if isinstance(item, str):
        return item
    for attr in ("title", "purpose"):
        value = getattr(item, attr, None)
        if isinstance(value, str):
            return value
    return ""


def scope(pack: str, part: Contribution, shape: Shape, technology: str = "") -> tuple[Contribution, list[str]]:
    """The pack's contribution without the parts the service's shape does not meet, and why each went.
    `technology`: the pack's store, for `operates` (defaults to the pack's name)."""
    rows = table()[1].get(pack)
    if not rows:
        return part, []
    dropped: list[str] = []
    out = dataclasses.replace(part)  # a copy: the pack's own lists stay as they were
    for field, gates in rows.items():
        kept = []
        for item in getattr(part, field):
            found = gates.get(key_of(item))
            if found is not None and not fits(found.needs, shape, technology or pack):
                dropped.append(f"{pack}: left out '{key_of(item)}' ({found.why})")
                continue
            kept.append(item)
        setattr(out, field, kept)
    return out, dropped


__all__ = ["Gate", "gate", "key_of", "left_out", "scope", "table", "why"]
