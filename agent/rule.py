"""Reading a rule file: its mandatory questions, runbook structure, AI instructions and output place.

The format is the one of `rules/runbook-rule.md` (the project's default, a copy of the seed rule):
numbered questions under "## Clarifying Questions", lettered options as `- A) Label (detail)`,
where an option named "Other (specify)" takes free text and "Multiple (specify)" several answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from agent.errors import UsageError
from agent.files import MB, read_text
from agent.resources import data_path

MAX_RULE_FILE = MB

_QUESTION = re.compile(r"^\s*(\d+)\.\s+(?:\*\*)?(.+?\?)(?:\*\*)?\s*$")
_OPTION = re.compile(r"^\s*[-*]\s+([A-Z])\)\s+(.+?)\s*$")
_DETAIL = re.compile(r"^(.*?)\s*\((.+)\)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")

# Words in a question's text that name the answer it collects; the CLI flags use these keys.
_KEYS = {
    "type": ("type of service", "service type"),
    "env": ("deployment environment", "environment"),
    "criticality": ("criticality",),
    "monitoring": ("monitoring",),
    "oncall": ("on-call", "on call", "oncall"),
}


@dataclass(frozen=True)
class Option:
    letter: str
    label: str  # "VMs"
    detail: str  # "EC2, GCE"
    kind: str  # "choice", "other" (free text) or "multiple" (several answers)

    @property
    def text(self) -> str:
        return f"{self.label} ({self.detail})" if self.detail else self.label


@dataclass(frozen=True)
class Question:
    number: int
    key: str
    text: str
    options: tuple[Option, ...]

    def option(self, letter: str) -> Option | None:
        return next((o for o in self.options if o.letter == letter.upper()), None)

    @property
    def letters(self) -> str:
        return ", ".join(o.letter for o in self.options)


@dataclass(frozen=True)
class Rule:
    path: Path
    text: str
    questions: tuple[Question, ...]
    instructions: tuple[str, ...]
    structure_headings: tuple[str, ...]  # the H2 headings of the runbook structure, in order
    output_dir: str = "tasks"
    filename_pattern: str = "runbook-[service-name].md"
    extra: dict[str, str] = field(default_factory=dict)

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


def default_rule_path() -> Path:
    return data_path("rules") / "runbook-rule.md"


def _key_for(text: str, number: int, taken: set[str]) -> str:
    lowered = text.lower()
    for key, words in _KEYS.items():
        if key not in taken and any(w in lowered for w in words):
            return key
    return f"q{number}"


def _section(lines: list[str], title: str) -> list[str]:
    """The lines under the H2 heading whose text starts with `title`, up to the next H2."""
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            inside = line[3:].strip().lower().startswith(title.lower())
            continue
        if inside:
            out.append(line)
    return out


def _structure_headings(lines: list[str]) -> tuple[str, ...]:
    """The H2 headings of the runbook template, which sits in a fence that itself holds fences.

    The template starts at its `# Runbook:` title and ends at the first H2 that follows a bare
    closing fence (the rule's next section).
    """
    start = next((i for i, line in enumerate(lines) if line.startswith("# Runbook")), None)
    if start is None:
        return ()
    headings: list[str] = []
    previous = ""
    for line in lines[start + 1 :]:
        if (m := _HEADING.match(line)) and len(m.group(1)) == 2:
            if previous == "```":
                break
            headings.append(m.group(2))
        if line.strip():
            previous = line.strip()
    return tuple(headings)


def parse_rule(text: str, path: Path) -> Rule:
    lines = text.splitlines()
    questions: list[Question] = []
    current: tuple[int, str] | None = None
    options: list[Option] = []

    def flush() -> None:
        if current and options:
            number, qtext = current
            taken = {q.key for q in questions}
            questions.append(Question(number, _key_for(qtext, number, taken), qtext, tuple(options)))

    for line in _section(lines, "Clarifying Questions"):
        if m := _QUESTION.match(line):
            flush()
            current, options = (int(m.group(1)), m.group(2).strip()), []
        elif (m := _OPTION.match(line)) and current:
            label, detail = m.group(2), ""
            if d := _DETAIL.match(label):
                label, detail = d.group(1), d.group(2)
            kind = "choice"
            if detail.lower() == "specify":
                kind = "multiple" if label.lower().startswith("multiple") else "other"
            options.append(Option(m.group(1), label, detail, kind))
    flush()
    if not questions:
        raise UsageError(
            f"rule file {path} has no parsable questions",
            hint="it needs a '## Clarifying Questions' section with numbered questions and '- A) option' lines",
        )

    instructions = tuple(
        re.sub(r"^\d+\.\s*", "", line.strip())
        for line in _section(lines, "AI Assistant Instructions")
        if re.match(r"^\s*\d+\.\s+", line)
    )
    structure = _structure_headings(lines)
    output_dir, pattern = "tasks", "runbook-[service-name].md"
    for line in _section(lines, "Output"):
        if m := re.search(r"\*\*Location:\*\*\s*`/?([^`]+?)/?`", line):
            output_dir = m.group(1)
        if m := re.search(r"\*\*Filename:\*\*\s*`([^`]+)`", line):
            pattern = m.group(1)
    return Rule(path, text, tuple(questions), instructions, structure, output_dir, pattern)


@cache
def _load(path: Path) -> Rule:
    return parse_rule(read_text(path, what="rule file", limit=MAX_RULE_FILE), path)


def load_rule(path: str | Path | None = None) -> Rule:
    return _load(Path(path).resolve() if path else default_rule_path())
