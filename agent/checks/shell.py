"""Shell syntax: `bash -n`, batched so a clean runbook costs one process."""

from __future__ import annotations

import subprocess


def _bash_n(script: str) -> str | None:
    """None when `bash -n` accepts the script, else its first error line."""
    result = subprocess.run(
        ["bash", "-n"], input=script, capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    message = lines[0] if lines else f"bash -n exited {result.returncode}"
    return message.removeprefix("bash: ").removeprefix("line ")


def syntax_errors(snippets: list[str]) -> dict[int, str]:
    """Map the index of each snippet that fails `bash -n` to bash's message.

    All snippets are checked in one process, each wrapped in its own function body; only when that
    fails is each snippet checked alone, to say which ones are at fault.
    """
    if not snippets:
        return {}
    combined = "".join(f"__runbook_snippet_{i}() {{\n{code}\n}}\n" for i, code in enumerate(snippets))
    if _bash_n(combined) is None:
        return {}
    errors: dict[int, str] = {}
    for index, code in enumerate(snippets):
        message = _bash_n(code + "\n")
        if message is not None:
            errors[index] = message
    return errors
