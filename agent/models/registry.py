"""Models found through the `runbook_agent.models` entry-point group; built-ins register the same way.

A model string is `offline`, or `provider:model-name` (`anthropic:claude-sonnet-4-5`,
`openai:gpt-4.1`); the provider part is the entry point's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from agent.errors import UsageError
from agent.models.base import Model

GROUP = "runbook_agent.models"
DEFAULT_MODEL = "offline"


@dataclass(frozen=True)
class ModelInfo:
    provider: str
    target: str  # module:attr
    distribution: str


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available() -> list[ModelInfo]:
    """What is installed, without importing any provider SDK."""
    infos = []
    for name, ep in sorted(_entry_points().items()):
        dist = ep.dist.name if ep.dist is not None else "?"
        infos.append(ModelInfo(name, ep.value, dist))
    return infos


def get_model(spec: str | None, **options: object) -> Model:
    spec = (spec or DEFAULT_MODEL).strip()
    provider, _, model_name = spec.partition(":")
    points = _entry_points()
    ep = points.get(provider)
    if ep is None:
        known = ", ".join(sorted(points)) or "none"
        raise UsageError(f"unknown model {spec!r}", hint=f"installed providers: {known}; see 'agent models'")
    cls = ep.load()
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise UsageError(f"entry point {provider!r} ({ep.value}) is not a runbook-agent Model")
    if provider != DEFAULT_MODEL and not model_name:
        raise UsageError(f"model {spec!r} needs a model name", hint=f"e.g. '{provider}:<model-name>'")
    return cls(model_name or None, **options)
