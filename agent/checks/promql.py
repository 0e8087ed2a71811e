"""PromQL checked with a PromQL parser (promql-parser, the Rust port of Prometheus' parser)."""

from __future__ import annotations

import re

import promql_parser

from agent.checks.extract import Command
from agent.checks.structure import Emit

# Grafana dashboard variables are not PromQL; give the parser values it accepts.
_GRAFANA_RANGE = re.compile(r"\$__(rate_)?interval|\$__range")
_VAR = re.compile(r"\$\{?[A-Za-z_]\w*(?::\w+)?\}?")
_PLACEHOLDER = re.compile(r"<[A-Za-z][\w-]*>|\{\{\s*[\w-]+\s*\}\}")


def prepare(query: str) -> str:
    query = re.sub(r"^\s*\$ ", "", query, flags=re.M)  # a `$ ` prompt pasted in front
    query = _GRAFANA_RANGE.sub("5m", query)
    query = _VAR.sub("x", query)
    query = re.sub(r"\{\s*(?:\.\.\.|…)\s*\}", "", query)  # `metric{...}`: matchers left out on purpose
    return _PLACEHOLDER.sub("x", query)


def parse_error(query: str) -> str | None:
    try:
        promql_parser.parse(prepare(query))
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def check(commands: list[Command], emit: Emit) -> None:
    for cmd in commands:
        if cmd.language != "promql":
            continue
        error = parse_error(cmd.text)
        if error:
            emit(
                cmd.line,
                "promql.syntax",
                "error",
                f"PromQL parser: {error}",
                "fix the query (balanced parentheses, durations like 5m, known functions)",
            )
