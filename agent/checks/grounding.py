"""`grounding.unknown-name`: names in commands that the service model does not hold.

With `agent test --service-model FILE`, every name at a position whose role is known (`kubectl -n X`,
`deployment/X`, `--db-instance-identifier X`, `psql -d X`, `--queue-url …/X`, `--group X`, `s3://X`,
`systemctl restart X` …, table in `data/name_positions.yaml`) must be one the model has (in any
component and role: the model is the list of this service's names, assumed ones included) or a shell
variable. A runbook edited by hand that drifts from the service is caught here.

Checks never import the generator: this module reads only the model's data type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.checks import catalogue, shellwords
from agent.checks.extract import Command
from agent.checks.findings import Severity
from agent.service.model import ServiceModel

RULE = "grounding.unknown-name"


@dataclass(frozen=True)
class Positions:
    flags: dict[str, dict[str, str]]
    refs: dict[str, str]
    schemes: dict[str, str]
    positional: dict[str, dict[str, str]]
    builtin: dict[str, frozenset[str]]
    takes_value: dict[str, frozenset[str]]
    derived: frozenset[str]
    new_from: tuple[str, ...]


@cache
def positions() -> Positions:
    text = resources.files("agent.checks").joinpath("data/name_positions.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return Positions(
        flags={tool: {str(k): str(v) for k, v in (flags or {}).items()} for tool, flags in data["flags"].items()},
        refs={str(k): str(v) for k, v in data["refs"].items()},
        schemes={str(k): str(v) for k, v in data["schemes"].items()},
        positional={tool: {str(k): str(v) for k, v in subs.items()} for tool, subs in data["positional"].items()},
        builtin={role: frozenset(str(v) for v in values or ()) for role, values in data["builtin"].items()},
        takes_value={tool: frozenset(str(v) for v in flags) for tool, flags in data.get("takes_value", {}).items()},
        derived=frozenset(data.get("derived", ())), new_from=tuple(data.get("new_from", ())))


@dataclass(frozen=True)
class Found:
    value: str
    role: str
    position: str  # how it was written: "kubectl -n", "deployment/", "--db-instance-identifier"


def known_names(model: ServiceModel) -> set[str]:
    """Every name the model holds (any role, assumed included), with forms commands use for them."""
    names: set[str] = {model.service.name}
    for _, name in model.all_names():
        names.add(name.value)
        names.add(re.sub(r"\.(?:service|timer)$", "", name.value))
        if ":" in name.value:  # host:port
            names.update(name.value.split(":"))
        names.update(v for v in re.split(r"[,\s]+", name.value) if v)
    names.update(r.name for r in model.topology.regions)
    return {n for n in names if n}


def _skip(value: str) -> bool:
    """Values that are not names to look up: variables, substitutions, placeholders, flags, globs."""
    return not value or value[0] in "$<[{-*\"'(" or "$" in value or value in ("-", "all", "*")


def _part(value: str, how: str) -> str:
    if how == "last":
        return value.rstrip("/").rsplit("/", 1)[-1]
    if how == "arn":
        return value.rsplit(":", 1)[-1]
    return value


def _catalogued(tool: str, args: list[str]) -> Iterator[Found]:
    """Flag values whose role the shared CLI catalogue gives (`role:` on the flag)."""
    from agent.checks import catalogue
    from agent.checks.catalogue.parse import parse

    if tool == "docker" and args[:1] == ["compose"]:
        tool, args = "docker-compose", args[1:]
    entry = catalogue.tool(tool)
    if entry is None:
        return
    for use in parse(entry, args).flags:
        if use.flag.role and use.value is not None:
            spelled = use.word.split("=", 1)[0] if use.word.startswith("--") else use.word[:2]
            yield Found(use.value, use.flag.role, f"{tool} {spelled}")


def found_in(argv: list[str]) -> Iterator[Found]:
    """The names at role positions in one simple command."""
    table = positions()
    argv = shellwords.unwrap(argv)
    if not argv:
        return
    tool = argv[0].rsplit("/", 1)[-1]
    yield from _catalogued(tool, argv[1:])
    flags = table.flags.get(tool, {})
    for i, word in enumerate(argv[1:], start=1):
        flag, eq, inline = word.partition("=")
        value: str | None = None
        where = flag
        if flag in flags:
            value = inline if eq else (argv[i + 1] if i + 1 < len(argv) else None)
        elif len(word) > 2 and word[:2] in flags and word[1] != "-" and not eq:
            value, where, flag = word[2:], word[:2], word[:2]
        if value is not None:
            role, _, how = flags[flag].partition(":")
            shown = f"{tool} {where}"
            for item in value.split(",") if role in ("ecs_service", "asg") else [value]:
                yield Found(_part(item, how), role, shown)
        for scheme, role in table.schemes.items():
            for m in re.finditer(rf"\b{scheme}://([a-z0-9][a-z0-9._-]*)", word):
                yield Found(m.group(1), role, f"{scheme}://")
        if catalogue.is_tool(tool, "kubectl", "argocd") and "/" in word and not word.startswith(("-", "/", ".")):
            kind, _, name = word.partition("/")
            ref = table.refs.get(kind.lower())
            if ref and name:
                yield Found(name, ref, f"{kind}/")
    subs = table.positional.get(tool)
    if subs is not None:
        rest = [w for w in argv[1:]]
        if "" in subs:  # ssh HOST
            args = shellwords.positionals(rest, table.takes_value.get(tool, frozenset()))
            target = args[0] if args else None
            if target:
                yield Found(target.rsplit("@", 1)[-1], subs[""].split(":")[0], f"{tool}")
            return
        for j, word in enumerate(rest):
            if word in subs:
                role, _, nth = subs[word].partition(":")
                args = shellwords.positionals(rest[j + 1:], frozenset(flags) | table.takes_value.get(tool, frozenset()))
                pick = int(nth) - 1 if nth else 0
                if len(args) > pick:
                    for value in (args[pick:] if role == "unit" else [args[pick]]):
                        yield Found(value, role, f"{tool} {word}")
                break


def check(commands: Iterable[Command], model: ServiceModel, source: str,
          emit: Any, severity: Severity = "warning") -> None:
    """Emit one finding per name at a role position that the model does not hold."""
    known = known_names(model)
    table = positions()
    builtin = table.builtin
    for command in commands:
        if command.language != "shell":
            continue
        seen: set[tuple[str, str]] = set()
        for simple in command.simple:
            for found in found_in(simple.argv):
                value = found.value.strip()
                if found.role == "unit":
                    value = re.sub(r"\.(?:service|timer)$", "", value)
                if _skip(value) or value in known or value in builtin.get(found.role, frozenset()):
                    continue
                if found.role in table.derived and any(name in value for name in known if len(name) > 2):
                    continue
                if any(value.endswith(suffix) and value[: -len(suffix)] in known for suffix in table.new_from):
                    continue
                if (value, found.position) in seen:
                    continue
                seen.add((value, found.position))
                emit(command.line, RULE, severity,
                     f"'{value}' at `{found.position}` ({found.role.replace('_', ' ')}) is not a name of this "
                     f"service (not in {source})",
                     "use the service's name, or add it to the service model and regenerate")
