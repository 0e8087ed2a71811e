"""Reading the files a user names (--service-file, --answers, --rule, `agent test -`, the session):
bounded in size, UTF-8, one clear error line.

A read never takes more than `limit + 1` bytes, so `/dev/zero`, a FIFO that never ends or a
runaway log file is refused quickly instead of filling memory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agent.errors import AgentError, UsageError

KB = 1024
MB = 1024 * KB


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB and limit % MB == 0 else f"{limit // KB} KB"


def read_bytes(path: str | Path, *, what: str, limit: int, error: type[AgentError] = UsageError,
               follow_symlinks: bool = True) -> bytes:
    """At most `limit` bytes of `path` ('-' is standard input); `error` past the limit or when unreadable."""
    shown = "standard input" if str(path) == "-" else f"{what} {path}"
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            flags = os.O_RDONLY | (0 if follow_symlinks else os.O_NOFOLLOW)
            fd = os.open(path, flags)
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if not follow_symlinks and os.path.islink(path):
            reason = "it is a symbolic link (refused: never read through one)"
        raise error(f"cannot read {shown}: {reason}") from None
    if len(data) > limit:
        raise error(f"{shown} is larger than {_size(limit)}", hint=f"give {what} of at most {_size(limit)}")
    return data


def read_text(path: str | Path, *, what: str, limit: int, error: type[AgentError] = UsageError,
              follow_symlinks: bool = True) -> str:
    """`read_bytes` decoded as UTF-8 (a BOM is dropped); `error` when it is not UTF-8 text."""
    data = read_bytes(path, what=what, limit=limit, error=error, follow_symlinks=follow_symlinks)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        shown = "standard input" if str(path) == "-" else f"{what} {path}"
        raise error(f"cannot read {shown}: not UTF-8 text (byte {exc.start})",
                    hint="save it as UTF-8") from None
