"""Reading and writing a `ServiceModel` as YAML (`tasks/runbook-<slug>.service.yaml`).

The file is meant to be edited: a correction made there survives regeneration
(`agent generate --service-model FILE`). A malformed file is one line naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agent.errors import UsageError
from agent.service.model import ServiceModel

MAX_BYTES = 1_000_000  # a service model is a few KB; anything near this is not one
SUFFIX = ".service.yaml"

_HEADER = """\
# What runbook-agent understood about this service. Edit it and regenerate with
#   agent generate --service-model {name}
# Every value says where it came from (origin: given | assumed | confirmed | edited | repository | llm).
# Set origin: confirmed on an assumed value you have checked; values you add need no origin.
"""


class _Dumper(yaml.SafeDumper):
    """Block style, keys in model order, multi-line strings as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


_PROVENANCE = ("origin", "evidence", "at")


def _values_first(node: object) -> object:
    """Each item's own fields before its provenance (role, value, then origin, evidence, at): easier to edit."""
    if isinstance(node, dict):
        keys = [k for k in node if k not in _PROVENANCE] + [k for k in _PROVENANCE if k in node]
        return {k: _values_first(node[k]) for k in keys}
    if isinstance(node, list):
        return [_values_first(item) for item in node]
    return node


def dump(model: ServiceModel, name: str = "FILE") -> str:
    data = _values_first(model.model_dump(mode="json"))
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return _HEADER.format(name=name) + body


def parse(text: str, source: str) -> ServiceModel:
    """A model from YAML or JSON text; `source` names it in errors."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{source}:{where} is not valid YAML", hint="fix the file or regenerate it") from None
    if not isinstance(data, dict):
        raise UsageError(f"{source}: a service model is a YAML mapping (service:, components: …)")
    try:
        return ServiceModel.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field(data, first["loc"])
        raise UsageError(f"{source}: {field}: {first['msg']}",
                         hint=f"{len(exc.errors())} problem(s); see the field names in schemas/service.schema.json"
                         ) from None


def load(path: Path) -> ServiceModel:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read service model {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{path} is larger than {MAX_BYTES // 1000} KB: not a service model")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    return parse(text, str(path))


def path_for(runbook_path: Path) -> Path:
    """`tasks/runbook-x.md` -> `tasks/runbook-x.service.yaml`."""
    return runbook_path.with_name(runbook_path.stem + SUFFIX)


def _field(data: Any, loc: tuple[Any, ...]) -> str:
    """A readable field path: components[app].names[2].role rather than components.0.names.2.role."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else key
            parts[-1:] = [f"{parts[-1]}[{label}]"] if parts else [f"[{label}]"]
            node = item
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"
