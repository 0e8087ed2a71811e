"""Whether the live runner may send a Redis command: one command from the catalogue's read list
(`catalogue/data/other/redis.yaml`), its arguments of the declared shapes. Anything else is refused
with the reason; nothing is ever read from stdin."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache

from agent.checks import catalogue
from agent.checks.catalogue import Args, values
from agent.checks.live import Refused


@cache
def _commands() -> dict[str, Args]:
    out: dict[str, Args] = {}
    for name, spec in catalogue.data("redis")["commands"].items():
        a = (spec or {}).get("args") or {}
        out[str(name).upper()] = Args(
            int(a.get("min", 0)),
            None if a.get("max") is None else int(a["max"]),
            tuple(str(k) for k in a.get("kinds", ["text"])),
        )
    return out


def check(words: list[str]) -> list[str]:
    """The command words to send (name upper-cased), or raise Refused."""
    if not words:
        raise Refused("no Redis command (an interactive redis-cli session)")
    if any(not w or any(c.isspace() for c in w) for w in words[:2]):
        raise Refused("a Redis command name with spaces or nothing in it is not run")
    table = _commands()
    two = " ".join(words[:2]).upper()
    if len(words) > 1 and two in table:
        name, args = two, words[2:]
    else:
        name, args = words[0].upper(), words[1:]
    spec = table.get(name)
    if spec is None:
        raise Refused(f"Redis {name} is not on the live allowlist")
    if len(args) < spec.min or (spec.max is not None and len(args) > spec.max):
        raise Refused(f"Redis {name} with {len(args)} argument(s) is not on the live allowlist")
    bounded = _bounded()
    for i, arg in enumerate(args):
        if not values.valid(spec.kind(i), arg):
            raise Refused(f"Redis {name}: argument {arg[:40]!r} is not a plain {spec.kind(i)}")
        if i and args[i - 1].upper() in bounded and not values.valid("redis-count", arg):
            raise Refused(f"Redis {name}: {args[i - 1].upper()} {arg[:20]!r} is not between 1 and 10000")
    if name == "CONFIG GET":
        for pattern in args:
            hit = next((p for p in _secret_config() if fnmatchcase(p, pattern.lower().replace("\\", ""))), None)
            if hit:
                raise Refused(f"Redis CONFIG GET {pattern[:40]!r} would print {hit}, a secret: not run")
    return [*name.split(), *args]


@cache
def _secret_config() -> tuple[str, ...]:
    return tuple(str(w).lower() for w in catalogue.data("redis").get("secret_config", []))


@cache
def _bounded() -> frozenset[str]:
    return frozenset(str(w).upper() for w in catalogue.data("redis").get("bounded", []))
