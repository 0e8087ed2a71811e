"""Errors of the provider clients; all are `ModelError`s (exit 5) whose message fits one line.

    ModelError
    ├── MissingKeyError      the provider's API key variable is not set
    ├── ProviderError        the API answered an error the SDK would not (or could no longer) retry
    │   └── ModelRefused     the model declined to answer
    ├── OutputTruncated      output hit max_tokens even at the highest limit allowed
    └── RepairFailed         a section still failed validation after the last repair round
"""

from __future__ import annotations

from pathlib import Path

from agent.errors import ModelError


class MissingKeyError(ModelError):
    def __init__(self, variable: str, provider: str) -> None:
        super().__init__(
            f"{variable} is not set: export {variable}=... to use {provider}",
            hint="or use --model offline, which needs no key",
        )
        self.variable = variable


class ProviderError(ModelError):
    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class ModelRefused(ProviderError):
    pass


class OutputTruncated(ModelError):
    def __init__(self, section: str, max_tokens: int) -> None:
        super().__init__(
            f"the model's output for {section!r} was cut off at max_tokens={max_tokens}, the highest allowed",
            hint="raise the max_tokens_limit option",
        )
        self.section = section


class RepairFailed(ModelError):
    def __init__(self, section: str, errors: list[str], rounds: int, raw_path: Path | None) -> None:
        shown = "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "")
        where = f"raw output saved to {raw_path}" if raw_path else "raw output could not be saved"
        super().__init__(
            f"section {section!r} still invalid after {rounds} repair round(s): {shown}",
            hint=f"{where}; no runbook was written",
        )
        self.section = section
        self.errors = errors
        self.rounds = rounds
        self.raw_path = raw_path
