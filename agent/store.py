"""Saving runbooks: a slug that cannot escape the out dir, atomic writes that never clobber, the
tracking table and the git commit in the rule's formats."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.errors import GitError, RunbookFileError, UsageError

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
    filename = pattern.replace("[service-name]", slug)
    path = (out_dir / filename).resolve()
    if path.parent != out_dir.resolve():
        raise UsageError(f"runbook file name {filename!r} would leave {out_dir}")
    return path


def check_out_dir(out_dir: Path) -> Path:
    """Create the out dir if needed and prove it is writable, before any work is done."""
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


def refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise RunbookFileError(f"{path} already exists", hint="pass --force to overwrite it")


def write_atomic(path: Path, text: str, *, force: bool) -> None:
    """Write via a temporary file in the same directory; without `force`, never replace a file.

    Linking the finished temporary file into place fails if the name exists, so two runs racing
    for one name cannot clobber each other either.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise RunbookFileError(f"{path} already exists", hint="pass --force to overwrite it") from None
    except OSError as exc:
        raise RunbookFileError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def tracking_row(slug: str, version: str, when: datetime, service: str) -> str:
    return f"| runbook-{slug} | v{version} | {when:%Y-%m-%d} | {service} |"


def record(tracking: Path, slug: str, version: str, when: datetime, service: str) -> None:
    """Add (or update) the runbook's row in the tracking table."""
    row = tracking_row(slug, version, when, service)
    try:
        old = tracking.read_text(encoding="utf-8") if tracking.exists() else ""
    except OSError as exc:
        raise RunbookFileError(f"cannot read {tracking}: {exc.strerror}") from None
    lines = [line for line in old.splitlines() if not line.startswith(f"| runbook-{slug} |")]
    text = "\n".join(lines).rstrip("\n") + "\n" if lines else ""
    if "| Runbook |" not in text:
        text = (text + "\n" if text else "") + _TRACKING_HEADER
    write_atomic(tracking, text + row + "\n", force=True)


def commit_message(service: str, criticality: str, on_call: str) -> str:
    return f"Runbook: {service}\n\n- Service: {service}\n- Criticality: {criticality}\n- On-call: {on_call}"


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


def commit(paths: list[Path], message: str) -> Commit:
    root = git_root(paths[0].parent)
    rel = [str(p.resolve().relative_to(root)) for p in paths]
    added = _git(["add", "--", *rel], root)
    if added.returncode != 0:
        raise GitError(f"git add failed: {added.stderr.strip().splitlines()[-1:]}")
    done = _git(["commit", "-q", "-m", message, "--", *rel], root)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise GitError(f"git commit failed: {detail[-1] if detail else 'unknown error'}",
                       hint="is user.name/user.email configured?")
    sha = _git(["rev-parse", "--short", "HEAD"], root).stdout.strip()
    return Commit(sha, message)
