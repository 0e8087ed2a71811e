"""Where a component answers its health check: the service model's own URL / port / path for it, else
the technology's well-known health API (`data/health_apis.yaml`), else nothing — and then the runbook
asks for the URL in a guarded variable instead of inventing `/health` on port 8080."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agent.service.model import ServiceModel

# Kinds of component that can be "the service" when the service's own workload names no technology
# (a cluster described by its nodes: "six data nodes … OpenSearch 2.11").
# An object store beside it (backups to MinIO) is a dependency, never the service itself.
_ENGINE_KINDS = ("database", "search", "ha-manager", "broker", "stream")


@dataclass(frozen=True)
class HealthAPI:
    technology: str
    scheme: str
    port: int
    path: str
    expect: str
    accept: str = ""  # query string that makes standbys answer healthy (Vault)


@lru_cache(maxsize=1)
def table() -> dict[str, HealthAPI]:
    # agent.knowledge is a namespace package: read beside this module
    text = (Path(__file__).parent / "data" / "health_apis.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = yaml.safe_load(text) or {}
    return {tech: HealthAPI(technology=tech, scheme=str(v["scheme"]), port=int(v["port"]), path=str(v["path"]),
                            expect=str(v["expect"]), accept=str(v.get("accept", "")))
            for tech, v in data.items()}


def technology_api(model: ServiceModel | None, service_type: str, serves_http: bool) -> HealthAPI | None:
    """The health API of the technology the service IS: its workload's technology, else — for a data
    engine described by its nodes — the one engine component of the model that has a health API."""
    if model is None:
        return None
    apis = table()
    app = model.app
    if app is not None and app.technology in apis:
        return apis[app.technology]
    if app is not None and app.technology or serves_http or service_type not in ("database", "other"):
        return None
    found = [c for c in model.components if c.kind in _ENGINE_KINDS and c.technology in apis]
    return apis[found[0].technology] if len(found) == 1 else None


__all__ = ["HealthAPI", "table", "technology_api"]
