"""Saving runbooks: a slug that cannot escape the out dir, atomic writes that never clobber, the
tracking table and the git commit in the rule's formats."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.errors import GitError, Interrupted, RunbookFileError, UsageError
from agent.files import MB, read_text

TRACKING_FILE = "RUNBOOK_TRACKING.md"
_TRACKING_HEADER = "| Runbook | Version | Date | Service |\n|---------|---------|------|---------|\n"


def slugify(name: str) -> str:
    """`Orders API (EU)` → `orders-api-eu`. Refuses names that look like paths."""
    raw = name.strip()
    if not raw:
        raise UsageError("the service name is empty", hint="pass --name NAME or describe the service")
    if "/" in raw or "\\" in raw or raw.startswith(".") or ".." in raw:
        raise UsageError(
            f"service name {raw!r} looks like a path",
            hint="use letters, digits, spaces and hyphens, e.g. --name orders-api",
        )
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:64].strip("-")
    if not slug:
        raise UsageError(f"service name {raw!r} has no letters or digits", hint="e.g. --name orders-api")
    return slug


def title_slug(title: str) -> str:
    """The slug of a title the model wrote (not a name the user typed): 'CI/CD runner' is words, not a path."""
    try:
        return slugify(title)
    except UsageError:
        try:
            return slugify(re.sub(r"[^\w\s-]+", " ", title))
        except UsageError:
            return "service"


def runbook_path(out_dir: Path, slug: str, pattern: str = "runbook-[service-name].md") -> Path:
    """The file in `out_dir` (resolved) a runbook goes to; the name itself is never followed if a symlink."""
    filename = pattern.replace("[service-name]", slug)
    if "/" in filename or "\\" in filename or filename in ("", ".", ".."):
        raise UsageError(f"runbook file name {filename!r} would leave {out_dir}")
    return out_dir.resolve() / filename


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path("/")


def check_out_dir(out_dir: Path, *, create: bool = True) -> Path:
    """Prove the out dir is (or can be made) a writable directory, before any work is done.

    With `create=False` nothing is made yet: the nearest directory that exists must be writable.
    """
    if not create:
        existing = _nearest_existing(out_dir)
        made = "out dir" if existing == out_dir else f"cannot create out dir {out_dir}:"
        if not existing.is_dir():
            raise RunbookFileError(f"{made} {existing} is not a directory", hint="pass --out DIR")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise RunbookFileError(f"{made} {existing} is not writable",
                                   hint="pass --out DIR with a writable directory")
        return out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunbookFileError(f"cannot create out dir {out_dir}: {exc.strerror}",
                               hint="pass --out DIR with a writable directory") from None
    if not out_dir.is_dir():
        raise RunbookFileError(f"out dir {out_dir} is not a directory", hint="pass --out DIR")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise RunbookFileError(f"out dir {out_dir} is not writable", hint="pass --out DIR with a writable directory")
    return out_dir


def refuse_symlink(path: Path, what: str) -> None:
    """A symlink where we write is refused: we never write through one, nor copy what it points at."""
    if path.is_symlink():
        raise RunbookFileError(f"{what} {path} is a symbolic link; refusing to write through it",
                               hint="replace it with a regular file, or pass another path")


def refuse_existing(path: Path, force: bool) -> None:
    refuse_symlink(path, "runbook file")
    if path.exists() and not force:
        raise RunbookFileError(f"{path} already exists", hint="pass --force to overwrite it")
    if path.exists() and not path.is_file():
        raise RunbookFileError(f"{path} exists and is not a regular file", hint="pass --out DIR or --name NAME")


def check_tracking(tracking: Path) -> None:
    """The tracking file can be updated: not a symlink, its directory writable (checked before any work)."""
    refuse_symlink(tracking, "tracking file")
    if tracking.exists() and not tracking.is_file():
        raise RunbookFileError(f"tracking file {tracking} is not a regular file", hint="pass --tracking FILE")
    existing = _nearest_existing(tracking.parent)
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise RunbookFileError(f"cannot update the tracking file {tracking}: {existing} is not writable",
                               hint="pass --tracking FILE in a writable directory")


def _temporary(path: Path, text: str) -> str:
    """`text` in a new temporary file beside `path` (same file system, so a rename publishes it)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise RunbookFileError(f"cannot write {path}: {exc.strerror}",
                               hint=f"is {path.parent} writable?") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except OSError as exc:
        os.unlink(tmp)
        raise RunbookFileError(f"cannot write {path}: {exc.strerror}") from None
    return tmp


def _place(tmp: str, path: Path, *, force: bool) -> None:
    """Move a finished temporary file to `path`; without `force` linking fails if the name exists, so two
    runs racing for one name cannot clobber each other either."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise RunbookFileError(f"{path} already exists", hint="pass --force to overwrite it") from None
    os.unlink(tmp)


def write_atomic(path: Path, text: str, *, force: bool) -> None:
    """Write via a temporary file in the same directory; without `force`, never replace a file."""
    refuse_symlink(path, "file")
    tmp = _temporary(path, text)
    try:
        _place(tmp, path, force=force)
    except OSError as exc:
        raise RunbookFileError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def deferred_interrupts() -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM wait until the block is done; the list says which arrived meanwhile.

    Only the main thread can handle signals; elsewhere the block simply runs.
    """
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return

    def hold(signum: int, frame: object) -> None:
        arrived.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield arrived
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the directory (no lock file is left behind): one tracking update at a time."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise RunbookFileError(f"cannot lock {directory}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def tracking_row(slug: str, version: str, when: datetime, service: str) -> str:
    shown = re.sub(r"\s+", " ", service).replace("|", "\\|").strip()
    return f"| runbook-{slug} | v{version} | {when:%Y-%m-%d} | {shown} |"


MAX_TRACKING = 4 * MB
MAX_RUNBOOK = 4 * MB


def _read_tracking(tracking: Path) -> str:
    if not tracking.exists():
        return ""
    return read_text(tracking, what="tracking file", limit=MAX_TRACKING, error=RunbookFileError,
                     follow_symlinks=False)


def _tracked(old: str, slug: str, row: str) -> str:
    """The tracking table with the runbook's row replaced (or added): one row per runbook, its current version."""
    lines = [line for line in old.splitlines() if not line.startswith(f"| runbook-{slug} |")]
    text = "\n".join(lines).rstrip("\n") + "\n" if lines else ""
    if "| Runbook |" not in text:
        text = (text + "\n" if text else "") + _TRACKING_HEADER
    return text + row + "\n"


@dataclass(frozen=True)
class Entry:
    """What the tracking row of a runbook records."""

    slug: str
    version: str
    when: datetime
    service: str


def record(tracking: Path, slug: str, version: str, when: datetime, service: str) -> None:
    """Add (or update) the runbook's row in the tracking table, under the directory's lock."""
    check_tracking(tracking)
    tracking.parent.mkdir(parents=True, exist_ok=True)
    with _locked(tracking.parent):
        write_atomic(tracking, _tracked(_read_tracking(tracking), slug, tracking_row(slug, version, when, service)),
                     force=True)


# what this process has published (runbook, tracking file): an interrupt that arrives after publish returned
# is reported by the CLI with these, not as "nothing was written"
_PUBLISHED: list[str] = []


def published() -> list[str]:
    """The files publish() wrote in this process, in order."""
    return list(_PUBLISHED)


def publish(path: Path, text: str, tracking: Path, entry: Entry, *, force: bool) -> None:
    """Write the runbook and its tracking row: both or neither.

    Both files are written to temporary names first (a failure there leaves nothing); then the two
    renames run with interrupts held back, and a failed second rename puts the first one back.
    `Interrupted` after the fact says that both were written.
    """
    refuse_existing(path, force)
    check_tracking(tracking)
    check_out_dir(path.parent)
    try:
        tracking.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunbookFileError(f"cannot create {tracking.parent}: {exc.strerror}") from None
    temporaries: list[str] = []
    try:
        with _locked(tracking.parent):
            table = _tracked(_read_tracking(tracking), entry.slug,
                             tracking_row(entry.slug, entry.version, entry.when, entry.service))
            runbook_tmp = _temporary(path, text)
            temporaries.append(runbook_tmp)
            table_tmp = _temporary(tracking, table)
            temporaries.append(table_tmp)
            backup = None
            if force and path.exists():
                backup = f"{runbook_tmp}.old"
                os.link(path, backup)
                temporaries.append(backup)
            with deferred_interrupts() as arrived:
                _place(runbook_tmp, path, force=force)
                try:
                    os.replace(table_tmp, tracking)
                except OSError as exc:
                    if backup is not None:
                        os.replace(backup, path)
                    else:
                        path.unlink(missing_ok=True)
                    raise RunbookFileError(f"cannot update the tracking file {tracking}: {exc.strerror}",
                                           hint=f"{path} was not written either") from None
    except OSError as exc:
        raise RunbookFileError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        for tmp in temporaries:
            if os.path.exists(tmp):
                os.unlink(tmp)
    _PUBLISHED.extend([str(path), str(tracking)])
    if arrived:
        raise Interrupted(f"interrupted; {path} and its row in {tracking} had been written (both complete)")


def commit_message(service: str, criticality: str, on_call: str, *, version: str = "1.0", changes: str = "") -> str:
    """The rule's message; a later version says which one and what changed."""
    first = version in ("1.0", "") or not changes
    head = f"Runbook: {service}" if first else f"Runbook: {service} v{version}"
    body = f"- Service: {service}\n- Criticality: {criticality}\n- On-call: {on_call}"
    if not first:
        body += f"\n- Version: {version}\n- Changes: {changes}"
    return f"{head}\n\n{body}"


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise GitError("--commit needs git, which is not installed") from None


def git_root(directory: Path) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], directory)
    if result.returncode != 0:
        raise GitError(f"--commit: {directory} is not inside a git repository",
                       hint="run 'git init' there or drop --commit")
    return Path(result.stdout.strip()).resolve()


@dataclass(frozen=True)
class Commit:
    sha: str
    message: str


def nearest_dir(path: Path) -> Path:
    """`path`, or the nearest directory above it that exists (an out dir may not be made yet)."""
    existing = _nearest_existing(path)
    return existing if existing.is_dir() else existing.parent


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr or result.stdout).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


def commit(paths: list[Path], message: str) -> Commit | None:
    """Commit exactly `paths`; None when they are already committed as they are (nothing to commit)."""
    root = git_root(paths[0].parent)
    rel = []
    for p in paths:
        try:
            rel.append(str(p.resolve().relative_to(root)))
        except ValueError:
            raise GitError(f"--commit: {p} is outside the repository at {root}",
                           hint="keep --out and --tracking inside one repository, or drop --commit") from None
    added = _git(["add", "--", *rel], root)
    if added.returncode != 0:
        raise GitError(f"git add failed: {_last_line(added)}")
    staged = _git(["diff", "--cached", "--quiet", "--", *rel], root)
    if staged.returncode == 0:
        return None
    done = _git(["commit", "-q", "-m", message, "--", *rel], root)
    if done.returncode != 0:
        said = (done.stderr or "") + (done.stdout or "")
        who = re.search(r"tell me who you are|user\.(?:name|email)|empty ident", said, re.I)
        raise GitError(f"git commit failed: {_last_line(done)}",
                       hint="set them with git config user.name/user.email" if who else "see 'git status'")
    sha = _git(["rev-parse", "--short", "HEAD"], root).stdout.strip()
    return Commit(sha, message)
