"""The shape of a catalogue data file, as pydantic models: every key, its type, and the rules a reviewer
relies on (a mutating or destructive entry says why). `catalogue._documents` validates each file when
it parses the YAML (once per change of the data: the parsed copy is cached as JSON), so a typo'd key
or class fails at load, naming the file and the place."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ClassName = Literal["read-only", "mutating", "destructive", "wrapper", "interactive", "streaming"]
_NEEDS_REASON = ("mutating", "destructive")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, coerce_numbers_to_str=True)


class _Classed(_Strict):
    klass: ClassName = Field(alias="class")
    reason: str = ""

    @model_validator(mode="after")
    def _reasoned(self) -> _Classed:
        if self.klass in _NEEDS_REASON and not self.reason:
            raise ValueError(f"a {self.klass} entry needs a reason")
        return self


class When(_Classed):
    value: str


class Flag(_Strict):
    short: str | None = None
    aliases: list[str] = []
    value: str | None = None
    live: bool = False
    klass: ClassName | None = Field(None, alias="class")
    reason: str = ""
    when: list[When] = []
    optional: bool = False
    role: str = ""
    except_kinds: list[str] = []
    fills: int = 0

    @model_validator(mode="after")
    def _reasoned(self) -> Flag:
        if self.klass in (*_NEEDS_REASON, "streaming", "interactive") and not self.reason:
            raise ValueError(f"a {self.klass} flag needs a reason")
        return self


class Args(_Strict):
    min: int = 0
    max: int | None = None
    kinds: list[str] = ["any"]


class Inner(_Strict):
    after: str | None = None
    positional: int | None = None
    flag: str | None = None


class Rule(_Classed):
    at: int = 0
    mark: str = ""
    words: list[str] = []


class Bare(_Strict):
    klass: ClassName = Field(alias="class")
    reason: str = ""


class Command(_Classed):
    live: bool = False
    args: Args | None = None
    flags: dict[str, Flag] = {}
    inner: Inner | None = None
    rules: list[Rule] = []
    many: Rule | None = None
    bare: Bare | None = None
    target: Literal["", "kind", "pod", "namespaced"] = ""

    @model_validator(mode="after")
    def _live(self) -> Command:
        if self.live and self.klass not in ("read-only", "wrapper", "streaming"):
            raise ValueError("only a read-only, wrapper or streaming command can be live")
        if self.live and self.args is None:
            raise ValueError("a live command must declare its args")
        return self


class Kind(_Strict):
    aliases: list[str] = []
    namespaced: bool = False
    marks: dict[str, str] = {}


class Verb(_Classed):
    words: list[str] = Field(min_length=1)


class Tool(_Strict):
    tool: str
    aliases: list[str] = []
    summary: str = ""
    default: Command | None = None
    flags: dict[str, Flag] = {}
    commands: dict[str, Command] = {}
    runner: Literal["postgres", "redis"] | None = None
    filter: int | None = None
    reaches: bool = False
    live_env: dict[str, str] = {}
    live_prefix: list[str] = []
    klass: ClassName | None = Field(None, alias="class")
    reason: str = ""
    live: bool = False
    args: Args | None = None
    inner: Inner | None = None
    rules: list[Rule] = []
    many: Rule | None = None
    bare: Bare | None = None
    kinds: dict[str, Kind | None] = {}
    verbs: list[Verb] = []
    marks: list[Literal["inline", "shell-block", "prerequisite", "unwrap"]] = []
    unscoped: list[str] = []

    @model_validator(mode="after")
    def _own_class(self) -> Tool:
        if self.klass in _NEEDS_REASON and not self.reason:
            raise ValueError(f"a {self.klass} tool needs a reason")
        if self.live and self.args is None:
            raise ValueError("a live tool must declare its args")
        for path in self.commands:
            if any(q in path for q in "\"'"):
                raise ValueError(f"command {path!r}: quote the whole path (`\"set *\":`), not a word")
        return self


class Family(_Strict):
    tools: list[Tool]


def validate(name: str, doc: Any) -> None:
    """Raise ValueError naming the file and the place when `doc` does not follow the format."""
    try:
        if isinstance(doc, dict) and "tools" in doc:
            Family.model_validate(doc)
        else:
            Tool.model_validate(doc)
    except ValidationError as exc:
        raise ValueError(f"{name}: {exc}") from None
