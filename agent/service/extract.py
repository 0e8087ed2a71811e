"""An LLM's reading of a description: the schema it fills, and how its answer joins the offline parse.

The LLM fills the `ServiceModel` itself, seen through `extraction_schema()`: the same fields and
types, less what it cannot know (`origin` and `at` on every value: all of them are the LLM's; the
schema version; alerts, unbound names and conflicts, which come from other inputs). One strict
structured call; its answer is checked by the `ServiceModel`'s own validation (component ids,
relationship ends) and goes back to the model with the errors, like a runbook section.

    description ─▶ offline parse (text.py) ──────────────┐
               └─▶ LLM (schema below) ─▶ `to_model()` ───┴─▶ `reconcile()` ─▶ ServiceModel (+ conflicts)

`to_model` marks every value `origin: llm`, spells technologies and platforms as the vocabulary does,
and keeps a name, number, contact or region the description does not contain as a guess (`origin:
assumed`, `evidence: guessed: …`), so the understand step asks about a guessed name and every guess is
listed under "Assumed, not told" instead of being trusted.
`reconcile` merges the two readings: where both say something different, the offline parse's value
is kept (it quotes the description's words; the LLM paraphrases) and the disagreement is a conflict:
asked on a terminal (Enter keeps the offline value), recorded in the model otherwise.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from agent.service.model import SCHEMA_VERSION, ServiceModel, Sourced

S = TypeVar("S", bound=Sourced)

TASK = "service_model"  # the structured call's name: tool name (Anthropic), response format (OpenAI)
# Provenance the LLM does not fill: every value it gives is `origin: llm`, none comes from a file.
_PROVENANCE = ("origin", "at")
# Parts of the model other inputs fill: alerts (repository rule files), unbound names (the parser's),
# conflicts (merging), the schema version (ours), the team's own commands (copied verbatim by the parser).
_NOT_ASKED = ("schema_version", "alerts", "unbound", "conflicts", "procedures")
_EVIDENCE = "The words of the description this value comes from, copied exactly."


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


@cache
def _view(cls: type[BaseModel]) -> type[BaseModel]:
    """`cls` with the same fields, less provenance and the parts the LLM is not asked for."""
    fields: dict[str, Any] = {}
    for key, info in cls.model_fields.items():
        if key in _PROVENANCE or (cls is ServiceModel and key in _NOT_ASKED):
            continue
        annotation = _convert(info.annotation)
        fields[key] = (annotation, Field(description=_EVIDENCE)) if key == "evidence" else (annotation, ...)
    return create_model(f"Read{cls.__name__}", __base__=_Closed, __doc__=cls.__doc__, **fields)


def _convert(annotation: Any) -> Any:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return list[_convert(item)]  # type: ignore[misc]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _view(annotation)
    return annotation


def extraction_schema() -> type[BaseModel]:
    """The pydantic model of what the LLM returns (strict-output friendly, like the sections')."""
    return _view(ServiceModel)


def _with_provenance(cls: type[BaseModel], data: Any, origin: str) -> Any:
    """`data` (the LLM's answer, as a dict) with `origin` and `at` put back on every value."""
    if isinstance(data, list):
        return [_with_provenance(cls, item, origin) for item in data]
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if "origin" in cls.model_fields:
        out["origin"], out["at"] = origin, ""
    for key, info in cls.model_fields.items():
        inner = info.annotation
        if get_origin(inner) is list:
            (inner,) = get_args(inner)
        if key in out and isinstance(inner, type) and issubclass(inner, BaseModel):
            out[key] = _with_provenance(inner, out[key], origin)
    return out


def to_model(answer: BaseModel | dict[str, Any], description: str, reader: str) -> ServiceModel:
    """The LLM's answer as a `ServiceModel`; raises `ValueError` (with the errors) when it is not one.

    `reader` names the model ("anthropic:claude-…") in the evidence of the names it guessed.
    """
    data = answer.model_dump() if isinstance(answer, BaseModel) else dict(answer)
    full = _with_provenance(ServiceModel, {**data, "schema_version": SCHEMA_VERSION}, "llm")
    try:
        model = ServiceModel.model_validate(full)
    except ValidationError as exc:
        raise ValueError("; ".join(_error(e) for e in exc.errors(include_url=False))) from None
    return _grounded(_known_words(model), description, reader)


def problems(answer: BaseModel) -> list[str]:
    """Why the answer is not a valid service model (for the repair round); [] when it is."""
    try:
        to_model(answer, "", "check")
    except ValueError as exc:
        return str(exc).split("; ")
    return []


def _error(error: Any) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ())) or "(root)"
    return f"{loc}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}"


def _known_words(model: ServiceModel) -> ServiceModel:
    """Technologies and platforms as the vocabulary spells them ("PostgreSQL" -> postgresql, "EKS" ->
    kubernetes / aws), as the parser does, so the two readings compare like with like and the
    knowledge packs find what the LLM read."""
    from agent.service.vocabulary import norm, vocabulary

    vocab = vocabulary()
    for component in model.components:
        known = vocab.tech_words.get(norm(component.technology)) if component.technology else None
        component.technology = known or component.technology.strip().lower()
    platform = model.platform
    env = vocab.technologies.get(vocab.tech_words.get(norm(platform.environment), "")) \
        if platform.environment else None
    cloud = vocab.technologies.get(vocab.tech_words.get(norm(platform.cloud), "")) if platform.cloud else None
    environment, cloud_name = platform.environment.strip().lower(), platform.cloud.strip().lower()
    if env is not None and env.env:
        environment = env.env
    if cloud is not None and cloud.cloud:
        cloud_name = cloud.cloud
    elif not cloud_name and env is not None and env.cloud:  # "EKS" says AWS too
        cloud_name = env.cloud
    model.platform = platform.model_copy(update={"environment": environment, "cloud": cloud_name})
    return model


def _grounded(model: ServiceModel, description: str, reader: str) -> ServiceModel:
    """A name, number or contact the description does not contain is the LLM's guess, not something it
    read: kept as assumed (a guessed name is asked about; every guess is listed as assumed)."""
    if not description:
        return model
    text = description.lower()
    guess = {"origin": "assumed", "evidence": f"guessed: {reader} proposed it, the description does not contain it"}

    def keep(item: S, value: str) -> S:
        return item if not value or _mentioned(value, text) else item.model_copy(update=guess)

    for component in model.components:
        component.names = [keep(n, n.value) for n in component.names]
        # a switch ("tls: true") is read from its key's words, not from the word "true"
        component.settings = [keep(x, x.key.replace("_", " ") if x.value.lower() in _SWITCHES else x.value)
                              for x in component.settings]
    model.figures = [keep(f, f.value) for f in model.figures]
    model.people = [keep(p, p.value) for p in model.people]
    model.topology = model.topology.model_copy(update={
        "regions": [keep(g, g.name) for g in model.topology.regions]})
    return model


_SWITCHES = {"true", "false", "yes", "no", "on", "off", "enabled", "disabled"}


def _mentioned(value: str, text: str) -> bool:
    if value.lower() in text:
        return True
    # a member of a range the description writes short ("web-1..4", "w-1..w-4" -> "w-3")
    stem = re.match(r"^(.*?)(\d+)$", value)
    return bool(stem and stem.group(1) and re.search(re.escape(stem.group(1).lower()) + r"\d+\s*(\.\.|-|to)",
                                                     text))


def reconcile(offline: ServiceModel, llm: ServiceModel, reader: str) -> ServiceModel:
    """The two readings of one description merged; where they disagree, a conflict (offline chosen)."""
    from agent.service.merge import merge

    return merge(offline, _aligned(llm, offline), label=("description", reader), peer=True)


def _aligned(llm: ServiceModel, offline: ServiceModel) -> ServiceModel:
    """The LLM's figures qualified as the parse's where each reading has one figure of a key: "99.9%"
    qualified "30d" by one and "" by the other is the same figure, and a different value a conflict."""
    def counts(model: ServiceModel) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in model.figures:
            out[f.key] = out.get(f.key, 0) + 1
        return out

    mine, theirs = counts(offline), counts(llm)
    qualifier = {f.key: f.qualifier for f in offline.figures}
    figures = [f.model_copy(update={"qualifier": qualifier[f.key]})
               if mine.get(f.key) == 1 and theirs[f.key] == 1 and f.qualifier != qualifier[f.key] else f
               for f in llm.figures]
    return llm.model_copy(update={"figures": figures})
