"""`agent test --execute`: run a runbook's read-only commands, each with a timeout.

Only commands the danger classifier calls read-only ever run — never a mutating or destructive
one, whatever the runbook says. Belt and braces for PostgreSQL: every run gets
`PGOPTIONS=-c default_transaction_read_only=on`, so even a misjudged write is refused by the
server. Commands that need a value nobody gave (`$POD` with no `--var POD=...`), that stream
forever (`-f`, `--watch`, `top`), or that open an interactive session are skipped, with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.checks import danger, extract, markdown, placeholders, shellwords
from agent.checks.sql import psql_sql
from agent.errors import UsageError

_FOLLOW = {"-f", "--follow", "-w", "--watch", "--watch-only", "-F"}
_STREAMING_TOOLS = {"watch", "top", "htop", "less", "more", "ssh", "vi", "vim", "nano"}


def _streams(argv: list[str]) -> bool:
    """Commands that never end on their own, or wait for a person."""
    tool = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if tool in _STREAMING_TOOLS:
        return True
    if tool in ("kubectl", "oc", "docker", "podman", "journalctl", "tail", "stern"):
        if any(a in _FOLLOW or a.startswith(("--follow=", "--watch=")) for a in args) and "--follow=false" not in args:
            return True
        if any(a in ("-it", "-ti", "-i", "--stdin", "-t", "--tty") for a in args) and tool != "tail":
            return True
        if any(a in ("port-forward", "proxy", "attach") for a in args):
            return True
    if tool == "redis-cli" and any(
        a
        in (
            "--stat",
            "--latency",
            "--latency-history",
            "--latency-dist",
            "monitor",
            "MONITOR",
            "subscribe",
            "SUBSCRIBE",
            "psubscribe",
        )
        for a in args
    ):
        return True
    if tool == "redis-cli" and not danger.redis_cli_words(args) and "--scan" not in args and "--bigkeys" not in args:
        return True
    if tool in ("psql", "gitlab-psql") and not psql_sql(shellwords.Simple(argv, argv, [], [], [], "")):
        return not any(a in ("-l", "--list", "-V", "--version") for a in args)
    return tool in ("bash", "sh") and "-c" not in args


@dataclass
class Result:
    line: int
    section: str
    language: str
    command: str
    status: str  # passed, failed, skipped, would-run
    reason: str = ""
    output: str = ""


@dataclass
class Execution:
    source: str
    dry_run: bool
    results: list[Result] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def summary(self) -> str:
        if self.dry_run:
            return f"{self.count('would-run')} would run, {self.count('skipped')} skipped"
        return f"{self.count('passed')} passed, {self.count('failed')} failed, {self.count('skipped')} skipped"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "results": [asdict(r) for r in self.results],
        }


def execute_file(
    path: str | Path, variables: dict[str, str] | None = None, *, timeout: float = 10.0, dry_run: bool = False
) -> Execution:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    return execute_markdown(text, str(path), variables or {}, timeout=timeout, dry_run=dry_run)


def execute_markdown(
    text: str, source: str, variables: dict[str, str], *, timeout: float = 10.0, dry_run: bool = False
) -> Execution:
    doc = markdown.parse(text, source)
    run = Execution(source, dry_run)
    values = dict(variables)
    for cmd in extract.all_commands(doc):
        result = _one(cmd, values, timeout, dry_run)
        run.results.append(result)
    return run


def _env(values: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(values)
    env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c default_transaction_read_only=on").strip()
    env.update(
        {
            "PAGER": "cat",
            "PSQL_PAGER": "cat",
            "SYSTEMD_PAGER": "cat",
            "GIT_PAGER": "cat",
            "KUBECTL_INTERACTIVE_DELETE": "false",
            "AWS_PAGER": "",
        }
    )
    return env


def _skip(cmd: extract.Command, reason: str) -> Result:
    return Result(cmd.line, cmd.section, cmd.language, cmd.text, "skipped", reason)


def _one(cmd: extract.Command, values: dict[str, str], timeout: float, dry_run: bool) -> Result:
    if cmd.inline:
        return _skip(cmd, "inline command in prose: only fenced blocks run")
    if cmd.language == "promql":
        return _skip(cmd, "PromQL needs a Prometheus server: checked statically only")
    level, why = danger.classify_command(cmd)
    if level != "read-only":
        return _skip(cmd, f"{level}: {why} — never run by --execute")
    found = placeholders.find_placeholders(cmd.source or cmd.text)
    if found:
        return _skip(cmd, f"placeholder {found[0]} needs a real value")
    if cmd.language == "sql":
        return _run_sql(cmd, values, timeout, dry_run)
    if cmd.language == "redis":
        return _run_redis(cmd, values, timeout, dry_run)
    return _run_shell(cmd, values, timeout, dry_run)


def _missing(names: list[str], values: dict[str, str]) -> list[str]:
    env = os.environ
    return sorted({n for n in names if n not in values and n not in env})


def _run_shell(cmd: extract.Command, values: dict[str, str], timeout: float, dry_run: bool) -> Result:
    text = cmd.source or cmd.text
    uses, declares = shellwords.uses_and_declares(text)
    missing = [n for n in _missing([u for u, _ in uses], values) if n not in declares]
    if missing:
        return _skip(cmd, "needs " + ", ".join(f"${n}" for n in missing) + " (pass --var NAME=VALUE)")
    for simple in cmd.simple:
        argv = shellwords.unwrap(simple.argv)
        if not argv:
            continue
        tool = argv[0].rsplit("/", 1)[-1]
        if _streams(argv) and not (cmd.heredocs and tool in ("psql", "gitlab-psql", "redis-cli")):
            return _skip(cmd, "streams or waits for input until interrupted")
        if shutil.which(argv[0]) is None and not _ASSIGN_ONLY.match(text) and tool not in _BUILTINS:
            return _skip(cmd, f"{argv[0]} is not installed here")
    assigned = [a.split("=", 1)[0].split("[", 1)[0] for s in cmd.simple for a in s.assignments]
    if dry_run:
        for name in assigned:
            values.setdefault(name, "(set when run)")
        return Result(cmd.line, cmd.section, cmd.language, cmd.text, "would-run")
    if assigned and all(not s.argv for s in cmd.simple[:1]):
        # NAME=value (maybe from a read-only $(...)): evaluate and keep the value for later commands.
        name = assigned[0]
        if name in values:
            return Result(cmd.line, cmd.section, cmd.language, cmd.text, "passed", f"kept --var {name}")
        script = f"{text}\nprintf '%s' \"${{{name}}}\""
        status, reason, out = _spawn(["bash", "-o", "pipefail", "-c", script], values, timeout)
        if status == "passed":
            values[name] = out
            reason = f"{name}={out[:40]!r}"
        return Result(cmd.line, cmd.section, cmd.language, cmd.text, status, reason, out)
    status, reason, out = _spawn(["bash", "-o", "pipefail", "-c", text], values, timeout)
    return Result(cmd.line, cmd.section, cmd.language, cmd.text, status, reason, out)


_ASSIGN_ONLY = re.compile(r"^\s*[A-Za-z_]\w*=")
_BUILTINS = {"echo", "printf", "test", "[", "[[", "cd", "export", "read", "true", "false", "set", "type", "source"}


def _run_sql(cmd: extract.Command, values: dict[str, str], timeout: float, dry_run: bool) -> Result:
    if shutil.which("psql") is None:
        return _skip(cmd, "psql is not installed here")
    if dry_run:
        return Result(cmd.line, cmd.section, cmd.language, cmd.text, "would-run", "via psql")
    argv = ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", cmd.text]
    if "DATABASE_URL" in values:
        argv.insert(1, values["DATABASE_URL"])
    status, reason, out = _spawn(argv, values, timeout)
    return Result(cmd.line, cmd.section, cmd.language, cmd.text, status, reason, out)


def _run_redis(cmd: extract.Command, values: dict[str, str], timeout: float, dry_run: bool) -> Result:
    if shutil.which("redis-cli") is None:
        return _skip(cmd, "redis-cli is not installed here")
    if dry_run:
        return Result(cmd.line, cmd.section, cmd.language, cmd.text, "would-run", "via redis-cli")
    words = shellwords.parse(cmd.text).commands
    argv = ["redis-cli"]
    url = values.get("REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        argv += ["-u", url]
    argv += words[0].argv if words else []
    status, reason, out = _spawn(argv, values, timeout)
    if status == "passed" and out.startswith(("ERR", "WRONGTYPE", "NOAUTH", "(error)")):
        status, reason = "failed", out.split("\n")[0]  # redis-cli exits 0 on error replies
    return Result(cmd.line, cmd.section, cmd.language, cmd.text, status, reason, out)


def _spawn(argv: list[str], values: dict[str, str], timeout: float) -> tuple[str, str, str]:
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(values),
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        return "failed", f"could not start: {exc.strerror}", ""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "failed", f"timed out after {timeout:g}s", ""
    out = out.strip()
    if proc.returncode == 0:
        return "passed", "", out[:2000]
    first = next((ln for ln in (err or out).splitlines() if ln.strip()), "")
    return "failed", f"exit {proc.returncode}: {first[:200]}", out[:2000]
