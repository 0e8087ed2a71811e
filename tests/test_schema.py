"""The Runbook model: its JSON Schema file is current and both providers' strict modes accept it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agent.runbook import SECTIONS, Runbook, allowed_downtime_minutes, schema_text

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_is_current() -> None:
    on_disk = (ROOT / "schemas" / "runbook.schema.json").read_text()
    assert on_disk == schema_text(), "schemas/runbook.schema.json is stale: python -m agent.runbook > it"


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_objects(item))
    return found


def _has_key(node: Any, key: str) -> bool:
    if isinstance(node, dict):
        return key in node or any(_has_key(v, key) for v in node.values())
    if isinstance(node, list):
        return any(_has_key(v, key) for v in node)
    return False


@pytest.mark.parametrize("model", [Runbook, *SECTIONS.values()], ids=lambda m: m.__name__)
def test_strict_structured_output_accepts_the_model(model: type[BaseModel]) -> None:
    from anthropic import transform_schema
    from openai.lib._pydantic import to_strict_json_schema

    for schema in (to_strict_json_schema(model), transform_schema(model)):
        assert not _has_key(schema, "default")
        for obj in _objects(schema):
            props = set(obj.get("properties", {}))
            assert obj.get("additionalProperties") is False, obj
            assert set(obj.get("required", [])) == props, obj
    text = json.dumps(model.model_json_schema())
    # Anthropic caps optional (nullable) properties per request at 24 and union-typed ones at 16.
    assert text.count('"anyOf"') <= 16


def test_every_rule_section_has_a_model() -> None:
    assert list(SECTIONS) == [
        "header", "service_overview", "architecture", "dependencies", "deployment", "monitoring",
        "troubleshooting", "emergency", "maintenance", "disaster_recovery", "contacts", "appendix",
    ]


@pytest.mark.parametrize(("pct", "minutes"), [(99.9, 43.2), (99.99, 4.3), (99.5, 216.0), (99.0, 432.0)])
def test_error_budget_arithmetic(pct: float, minutes: float) -> None:
    assert allowed_downtime_minutes(pct) == minutes
