"""What a check reports: `Finding` (one problem at one line) and `Report` (all of a file's findings)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK = {"error": 3, "warning": 2, "info": 1, "none": 4}


def severity_rank(severity: str) -> int:
    """error 3 > warning 2 > info 1; "none" (never fail) ranks above them all."""
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(f"unknown severity {severity!r}: use error, warning, info or none") from None


@dataclass(frozen=True)
class Finding:
    file: str
    line: int  # 1-based line in the Markdown file
    rule: str  # stable id, e.g. "shell.syntax", "kubectl.flag", "danger.unwarned"
    severity: Severity
    message: str
    hint: str
    section: str  # the H2 (or H1) heading the line sits under; "" before the first heading

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """The findings of one file, in line order, plus what could not be checked (and why)."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "helm: not installed (3 commands unchecked)"
    profile: str = ""
    stats: dict[str, int] = field(default_factory=dict)  # blocks, commands, ... counted while checking

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.line, -severity_rank(f.severity), f.rule, f.message))

    def at_or_above(self, severity: str) -> list[Finding]:
        threshold = severity_rank(severity)
        return [f for f in self.findings if severity_rank(f.severity) >= threshold]

    def failed(self, fail_on: str = "error") -> bool:
        """True when any finding is at or above `fail_on` ("error", "warning", "info"; "none" never)."""
        return bool(self.at_or_above(fail_on))

    def counts(self) -> dict[str, int]:
        counted = Counter(f.severity for f in self.findings)
        return {s: counted.get(s, 0) for s in SEVERITIES}

    def summary(self) -> str:
        """One line: `runbook.md: 2 errors, 1 warning, 0 info (profile rule; skipped: helm ...)`."""
        c = self.counts()
        parts = [
            f"{c['error']} error{'s' * (c['error'] != 1)}",
            f"{c['warning']} warning{'s' * (c['warning'] != 1)}",
            f"{c['info']} info",
        ]
        extra = f" (profile {self.profile})" if self.profile else ""
        if self.skipped:
            extra += "; not checked: " + "; ".join(self.skipped)
        return f"{self.source}: " + ", ".join(parts) + extra

    def errors_text(self, limit: int = 20) -> list[str]:
        """Short lines for an error message or a repair prompt: `line 12 [shell.syntax] ...`."""
        return [f"line {f.line} [{f.rule}] {f.message} — {f.hint}" for f in self.at_or_above("error")[:limit]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "profile": self.profile,
            "counts": self.counts(),
            "skipped": list(self.skipped),
            "stats": dict(self.stats),
            "findings": [f.to_dict() for f in self.findings],
        }
