"""The CLI checks' verdicts kept across runs: per tool version, the problems found for each argv
shape. The tables behind a verdict only change with the tool, so a second `agent test` of the
same runbook runs no tool and loads no SDK (kept in the user cache dir, `$XDG_CACHE_HOME`)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from functools import cache
from pathlib import Path

Problem = tuple[str, str, str]
_lock = threading.Lock()


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runbook-agent"


@cache
def tool_version(tool: str, binary: str | None) -> str:
    """What identifies the tables a verdict came from: the binary (path, size, mtime), or for
    in-process checks the package version and our own data files."""
    parts = [tool]
    if binary:
        path = shutil.which(binary)
        if path is None:
            return ""
        real = os.path.realpath(path)
        st = os.stat(real)
        parts.append(f"{real}:{st.st_size}:{st.st_mtime_ns}")
    if tool == "aws":
        try:
            import awscli

            parts.append(str(getattr(awscli, "__version__", "")))
        except ImportError:
            return ""
    here = Path(__file__).parent
    for name in ("clis.py", "cli_tables.py", "shell.py", "data/redis_commands.json"):  # our rules shape verdicts too
        p = here / name
        if p.exists():
            st = p.stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


@cache
def _store(tool: str, version: str) -> dict[str, list[list[str]]]:
    try:
        data = json.loads((cache_dir() / f"verdicts-{tool}-{version}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def get(tool: str, version: str, args: tuple[str, ...]) -> list[Problem] | None:
    if not version:
        return None
    with _lock:
        found = _store(tool, version).get("\x1f".join(args))
    return None if found is None else [(p[0], p[1], p[2]) for p in found]


def put(tool: str, version: str, args: tuple[str, ...], problems: list[Problem]) -> None:
    if version:
        with _lock:
            _store(tool, version)["\x1f".join(args)] = [list(p) for p in problems]


def save(tool: str, version: str) -> None:
    if not version:
        return
    path = cache_dir() / f"verdicts-{tool}-{version}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with _lock:
            tmp.write_text(json.dumps(_store(tool, version)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that can't be written only costs speed


class Store:
    """A small JSON map kept in the user cache dir under `name-version`, loaded on first use and
    written back by `save()` when something was added (used for shellcheck and SQL parses)."""

    def __init__(self, name: str, version: str) -> None:
        self.path = cache_dir() / f"{name}-{hashlib.sha1(version.encode()).hexdigest()[:16]}.json"
        self._data: dict[str, object] | None = None
        self._dirty = False

    def _load(self) -> dict[str, object]:
        if self._data is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._data = data if isinstance(data, dict) else {}
            except (OSError, ValueError):
                self._data = {}
        return self._data

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def get(self, text: str) -> object | None:
        with _lock:
            return self._load().get(self.key(text))

    def put(self, text: str, value: object) -> None:
        with _lock:
            self._load()[self.key(text)] = value
            self._dirty = True

    def save(self) -> None:
        if not self._dirty or self._data is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            with _lock:
                if len(self._data) > 20000:  # keep it small: drop the oldest half
                    self._data = dict(list(self._data.items())[10000:])
                tmp.write_text(json.dumps(self._data), encoding="utf-8")
                self._dirty = False
            os.replace(tmp, self.path)
        except OSError:
            pass
