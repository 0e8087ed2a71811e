"""Errors the library raises; the CLI turns each into one line and an exit code.

    AgentError (exit 1)                 base: every error the user can cause or meet
    ├── UsageError (exit 2)             bad input: options, answers, descriptions, rule files
    │   └── MissingAnswersError         --strict and answers that would have to be assumed
    ├── RunbookFileError (exit 3)       the out dir, an existing runbook, a path that escapes
    ├── ValidationFailed (exit 4)       a runbook that does not satisfy the schema's rules
    ├── ModelError (exit 5)             a model could not produce a runbook (key, refusal, repair)
    ├── CheckFailed (exit 1)            `agent test` found problems at or above --fail-on
    ├── GitError (exit 6)               --commit outside a repository, or git refused
    └── Interrupted (exit 130)          Ctrl-C / SIGTERM after something was written: says what
"""

from __future__ import annotations


class AgentError(Exception):
    """Base class; `message` is one line fit for a terminal, `exit_code` what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(AgentError):
    exit_code = 2


class MissingAnswersError(UsageError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            "missing answers: " + ", ".join(missing),
            hint="pass them as flags or --answers FILE, or drop --strict to let the agent infer them",
        )
        self.missing = missing


class RunbookFileError(AgentError):
    exit_code = 3


class ValidationFailed(AgentError):
    exit_code = 4

    def __init__(self, message: str, errors: list[str] | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.errors = errors or []


class ModelError(AgentError):
    exit_code = 5


class CheckFailed(AgentError):
    exit_code = 1


class GitError(AgentError):
    exit_code = 6


class Interrupted(AgentError):
    """An interrupt that arrived once files were written; the message says which (plain Ctrl-C before
    anything was written stays a KeyboardInterrupt: the CLI says nothing was written)."""

    exit_code = 130
