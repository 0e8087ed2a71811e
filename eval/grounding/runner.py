"""Run `agent generate` the way a user would, one description at a time, into a temporary directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ("type", "env", "criticality", "monitoring", "oncall")


# The checkout this script belongs to: the agent measured is its `agent` package, not whichever checkout
# the venv's console script was installed from (a git worktree shares the main checkout's venv).
ROOT = Path(__file__).resolve().parents[2]


def agent_command() -> list[str]:
    """This checkout's agent, run by the running interpreter."""
    return [sys.executable, "-m", "agent"]


@dataclass
class Generated:
    markdown: str  # "" when the agent wrote nothing
    returncode: int
    stderr: str
    path: str = ""


def generate(description: str, answers: dict[str, str], keep: Path | None = None, name: str = "case",
             tool_checks: bool = False, timeout: float = 120.0) -> Generated:
    """Write one runbook offline with no terminal attached (missing answers are inferred)."""
    with tempfile.TemporaryDirectory(prefix="grounding-") as tmp:
        out = Path(tmp) / "out"
        # from a file, as a user with a longer description would (an argument starting with "- " is an option)
        desc = Path(tmp) / "description.md"
        desc.write_text(description, encoding="utf-8")
        cmd = [*agent_command(), "generate", "--service-file", str(desc), "--out", str(out), "--format", "json"]
        for flag in FLAGS:
            if answers.get(flag):
                cmd += [f"--{flag}", str(answers[flag])]
        if not tool_checks:
            cmd.append("--no-tool-checks")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=tmp, env=env,
                              timeout=timeout, check=False)
        files = sorted(out.glob("runbook-*.md")) if out.exists() else []
        path = ""
        try:
            path = str(json.loads(proc.stdout).get("path", ""))
        except (json.JSONDecodeError, AttributeError):
            pass
        md = files[0].read_text(encoding="utf-8") if files else ""
        if keep is not None and files:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(files[0], keep / f"{name}--{files[0].name}")
        return Generated(md, proc.returncode, proc.stderr.strip(), Path(path).name if path else
                         (files[0].name if files else ""))


T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Iterable[T], jobs: int) -> list[R]:
    """Order-preserving map; the results do not depend on the number of jobs."""
    items = list(items)
    if jobs <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(fn, items))
