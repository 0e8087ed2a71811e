"""The interface every model implements, the offline engine included.

A model turns a `GenerationRequest` (rule, description, answers) into a validated `Runbook`.
Provider clients also infer answers and revise runbooks; the offline engine does what it can.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from agent.answers import Answers, infer
from agent.errors import ModelError
from agent.rule import Rule
from agent.runbook import Runbook
from agent.service.model import ServiceModel

# Called as sections arrive: (section name, done count, total count).
Progress = Callable[[str, int, int], None]


@dataclass
class Usage:
    """Tokens and requests summed over every attempt, retries and repairs included."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass(frozen=True)
class GenerationRequest:
    rule: Rule
    description: str
    answers: Answers
    now: datetime  # passed in so the offline engine stays deterministic
    service_name: str | None = None  # --name; otherwise taken from the description
    authors: tuple[str, ...] = ("runbook-agent (AI Assistant)",)
    verbose: bool = False
    # What the agent understood about the service: every model writes from it (the description's
    # reading, the repository's files with `agent generate --from`, the user's corrections). Left out,
    # it is parsed from the description; a repository's model alone is folded into the description's.
    service: ServiceModel = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        from agent.service.text import parse

        if self.service is None:
            object.__setattr__(self, "service", parse(self.description, name=self.service_name))
        elif self.description.strip() and not any(p.origin == "given" for p in self.service.sourced()):
            from agent.service.merge import merge

            told = parse(self.description, name=self.service_name)
            object.__setattr__(self, "service", merge(told, self.service, label=("description", "repository")))


@dataclass
class GenerationResult:
    runbook: Runbook
    usage: Usage = field(default_factory=Usage)
    notes: list[str] = field(default_factory=list)  # what the model wants the user to know (--verbose)
    # The service model as the runbook was written from it, with what the model assumed added
    # (origin: assumed); None when the model added nothing to the request's.
    service: ServiceModel | None = None


class Model(ABC):
    """One way of writing runbooks. Subclasses register under the `runbook_agent.models` entry points."""

    #: Registry name: "offline", or the provider part of "anthropic:claude-...".
    provider: str = ""
    #: One line for `agent models`.
    summary: str = ""
    #: What the last call that returns no `GenerationResult` cost (`infer_answers`, `extract_service`).
    last_usage: Usage | None = None

    def __init__(self, model_name: str | None = None, **options: object) -> None:
        self.model_name = model_name
        self.options = options

    @property
    def name(self) -> str:
        return f"{self.provider}:{self.model_name}" if self.model_name else self.provider

    @abstractmethod
    def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GenerationResult:
        """Write a runbook; raise `ModelError` when it cannot."""

    def infer_answers(self, rule: Rule, description: str, known: Answers, keys: Iterable[str],
                      service: ServiceModel | None = None) -> Answers:
        """Answers the user did not give, inferred from the description and the service model (keyword
        rules, and the product the model says the service is, by default)."""
        return infer(rule, description, known, keys, service)

    def revise(self, runbook: Runbook, change: str, request: GenerationRequest) -> GenerationResult:
        """Apply a change asked for in plain words; models that can't, say so."""
        raise ModelError(f"model {self.name!r} cannot revise runbooks from free text")

    def extract_service(self, description: str) -> ServiceModel | None:
        """The model's own reading of the description as a `ServiceModel` (every value `origin: llm`),
        which the understand step merges with the offline parse; None when the model has none to add
        (the offline engine: its reading *is* the offline parse)."""
        return None
