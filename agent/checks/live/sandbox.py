"""How the live runner starts programs: as argv (never a shell), each in its own process group, with an
environment built from an allowlist, stdin empty, output capped, everything killed at the timeout
(the group and any descendant that left it). Where bubblewrap works, inside it: the filesystem
read-only, /tmp, /var/tmp and /dev/shm private and empty, capabilities dropped, network shared
(kubectl, curl and the rest need it; what they may send is the allowlist's business)."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OUTPUT_CAP = 1_000_000  # bytes of stdout kept; past it the command is stopped
_ERR_CAP = 8_000

_ENV_SET = {
    "PAGER": "cat",
    "SYSTEMD_PAGER": "cat",
    "SYSTEMD_COLORS": "0",
    "GIT_PAGER": "cat",
    "AWS_PAGER": "",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "KUBECTL_INTERACTIVE_DELETE": "false",
}


@cache
def _env_lists() -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """What `catalogue/data/other/live_env.yaml` lets through: the base, and per tool."""
    from agent.checks import catalogue

    def flat(items: object) -> tuple[str, ...]:
        out: list[str] = []
        for item in items or []:  # type: ignore[attr-defined]
            out += flat(item) if isinstance(item, list) else [str(item)]
        return tuple(out)

    data = catalogue.data("live_env")
    return flat(data["base"]), {str(k): flat(v) for k, v in (data.get("tools") or {}).items()}


def _kept(name: str, patterns: tuple[str, ...]) -> bool:
    return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)


def child_env(tool: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a program the runner starts: the base list, plus what `tool` needs (its
    credentials, configuration, proxies); nothing that makes a program load code."""
    base, per_tool = _env_lists()
    keep = base + per_tool.get(tool or "", ())
    env = {k: v for k, v in os.environ.items() if _kept(k, keep)}
    env["PATH"] = safe_path()
    env.update(_ENV_SET)
    env.update(extra or {})
    return env


def safe_path() -> str:
    """PATH without relative or empty entries (a `./kubectl` in the working directory never runs)."""
    parts = [p for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p.startswith("/")]
    return os.pathsep.join(parts) or "/usr/bin:/bin"


def which(name: str) -> str | None:
    return shutil.which(name, path=safe_path())


@dataclass(frozen=True)
class Status:
    active: bool
    note: str  # for the report: what the sandbox does, or why there is none


@cache
def status() -> Status:
    if os.environ.get("RUNBOOK_AGENT_NO_SANDBOX") == "1":
        return Status(False, "not sandboxed: RUNBOOK_AGENT_NO_SANDBOX=1")
    bwrap = which("bwrap")
    if bwrap is None:
        return Status(False, "not sandboxed: bubblewrap (bwrap) is not installed")
    try:
        proc = subprocess.run(
            [*_bwrap_prefix(bwrap, os.getcwd()), "true"],
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Status(False, f"not sandboxed: bubblewrap failed to start ({exc})")
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[0]
        return Status(False, f"not sandboxed: bubblewrap can't run here ({why[:120]})")
    return Status(True, "sandboxed with bubblewrap: read-only filesystem, private /tmp")


def _bwrap_prefix(bwrap: str, cwd: str, scratch: str = "") -> list[str]:
    argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    if scratch:  # the run's own $TMPDIR, on disk rather than in the RAM of a tmpfs
        argv += ["--bind", scratch, scratch]
    argv += ["--tmpfs", "/dev/shm", "--die-with-parent", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    # its own PID namespace (without a new /proc, so ps and pgrep still see the machine): when the
    # command ends or is killed, every process it left behind, double-forked ones too, dies with it
    argv += ["--unshare-pid"]
    real = os.path.realpath(cwd)
    if real.startswith(("/tmp/", "/var/tmp/")) or real in ("/tmp", "/var/tmp"):
        argv += ["--ro-bind", real, real]  # the working directory stays visible (read-only)
    if os.geteuid() == 0:
        argv += ["--cap-drop", "ALL"]
    return [*argv, "--chdir", real, "--"]


@dataclass
class Outcome:
    status: str  # passed / failed
    reason: str
    output: str


def _descendants(roots: set[int]) -> set[int]:
    """Every process whose parent chain reaches `roots` (children that called setsid included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1:
            parents[int(entry.name)] = int(fields[1])
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found:
                found.add(pid)
                changed = True
    return found - roots


@cache
def _subreaper() -> bool:
    """Make this process the reaper of orphans its commands leave (Linux): a double-forked child
    then stays our descendant and is found and killed at the end, sandbox or not."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_orphans(before: set[int]) -> None:
    """Kill what a run left among our descendants (orphans reparented to us), then reap them."""
    me = os.getpid()
    left = _descendants({me}) - before
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in left:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass  # not our child (a grandchild its own parent reaps)
        except OSError:
            pass


def _kill(procs: list[subprocess.Popen[bytes]]) -> None:
    pids = {p.pid for p in procs if p.poll() is None}
    victims = _descendants({p.pid for p in procs}) | pids
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # each process leads its own group
        except OSError:
            pass
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run(
    argvs: list[list[str]],
    *,
    timeout: float,
    env: dict[str, str] | list[dict[str, str]],
    stdin_text: str | None = None,
    streams: list[list[str]] | None = None,
) -> Outcome:
    """Run a pipeline of argv lists (`a | b | c`), pipefail semantics, output capped. `streams` holds
    each command's harmless redirections: `>/dev/null`, `2>/dev/null`, `2>&1`. `env` is one environment
    for every command, or one per command."""
    envs = env if isinstance(env, list) else [env] * len(argvs)
    # what the commands write for themselves (sort's spill files, kubectl's discovery cache) goes to a
    # directory of this run's own, removed at the end: nothing is left in /tmp or ~/.kube after a kill
    scratch = tempfile.mkdtemp(prefix="runbook-agent-run-")
    own = {"TMPDIR": scratch, "KUBECACHEDIR": os.path.join(scratch, "kube"), "XDG_CACHE_HOME": scratch}
    envs = [{**e, **own} for e in envs]
    try:
        return _run(argvs, timeout=timeout, envs=envs, stdin_text=stdin_text, streams=streams, scratch=scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(
    argvs: list[list[str]],
    *,
    timeout: float,
    envs: list[dict[str, str]],
    stdin_text: str | None,
    streams: list[list[str]] | None,
    scratch: str,
) -> Outcome:
    st = status()
    prefix = _bwrap_prefix(which("bwrap") or "bwrap", os.getcwd(), scratch) if st.active else []
    procs: list[subprocess.Popen[bytes]] = []
    errs: list[bytearray] = []
    threads: list[threading.Thread] = []
    out = bytearray()
    cut = threading.Event()

    def drain(stream: object, buf: bytearray, cap: int, stop_when_full: bool) -> None:
        assert hasattr(stream, "read")
        while True:
            chunk = stream.read(65536)
            if not chunk:
                return
            room = cap - len(buf)
            if room > 0:
                buf.extend(chunk[:room])
            if len(chunk) > room and stop_when_full:
                cut.set()
                return

    _subreaper()
    before = _descendants({os.getpid()})
    deadline = time.monotonic() + timeout
    try:
        prev = None
        for i, argv in enumerate(argvs):
            first = i == 0
            stdin: int | object = subprocess.DEVNULL
            if first and stdin_text is not None:
                stdin = subprocess.PIPE
            elif prev is not None:
                stdin = prev
            redirs = (streams or [])[i] if i < len(streams or []) else []
            to_null = any(r in (">/dev/null", "1>/dev/null") for r in redirs)
            stderr = subprocess.DEVNULL if "2>/dev/null" in redirs or (to_null and "2>&1" in redirs) else (
                subprocess.STDOUT if "2>&1" in redirs else subprocess.PIPE
            )
            proc = subprocess.Popen(
                [*prefix, *argv],
                stdin=stdin,  # type: ignore[arg-type]
                stdout=subprocess.DEVNULL if to_null else subprocess.PIPE,
                stderr=stderr,
                env=envs[i] if i < len(envs) else envs[-1],
                start_new_session=True,
                preexec_fn=_limits,  # its own group (a setsid'd first one can't be joined from outside)
            )
            if prev is not None:
                prev.close()
            prev = proc.stdout if i < len(argvs) - 1 else None
            procs.append(proc)
            buf = bytearray()
            errs.append(buf)
            if proc.stderr is not None:
                t = threading.Thread(target=drain, args=(proc.stderr, buf, _ERR_CAP, False), daemon=True)
                t.start()
                threads.append(t)
            if first and stdin_text is not None and proc.stdin is not None:
                feeder = threading.Thread(target=_feed, args=(proc.stdin, stdin_text.encode()), daemon=True)
                feeder.start()
        last = procs[-1]
        reader = threading.Thread(target=drain, args=(last.stdout, out, OUTPUT_CAP, True), daemon=True)
        if last.stdout is not None:
            reader.start()
        timed_out = False
        while True:
            if all(p.poll() is not None for p in procs) and not reader.is_alive():  # (never started: not alive)
                break
            if cut.is_set():
                break
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.01)
    except OSError as exc:
        _kill(procs)
        for p in procs:
            for stream in (p.stdin, p.stdout, p.stderr):
                if stream is not None:
                    stream.close()
        return Outcome("failed", f"could not start: {exc.strerror or exc}", "")
    _kill(procs)  # whatever is left (a background child, a process that ignored its pipe closing)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    _reap_orphans(before | {p.pid for p in procs})
    for t in threads:
        t.join(timeout=1)
    for p in procs:
        for stream in (p.stdin, p.stdout, p.stderr):
            if stream is not None:
                stream.close()
    text = out.decode("utf-8", "replace").strip()
    if timed_out:
        return Outcome("failed", f"timed out after {timeout:g}s (killed with its children)", text[:2000])
    if cut.is_set():
        return Outcome("failed", f"output over {OUTPUT_CAP} bytes: stopped", text[:2000])
    codes = [p.returncode for p in procs]
    bad = [(i, c) for i, c in enumerate(codes) if c not in (0, None) and not (i < len(codes) - 1 and c == -13)]
    if not bad:
        return Outcome("passed", "", text[:2000])
    i, code = bad[-1]
    err = errs[i].decode("utf-8", "replace")
    first_line = next((ln for ln in (err or text).splitlines() if ln.strip()), "")
    return Outcome("failed", f"exit {code}: {first_line[:200]}".rstrip(": "), text[:2000])


MEMORY_CAP = 8 << 30  # bytes of address space: `jq -n '[range(1e10)]'` fails instead of the machine


def _limits() -> None:
    """In the child before exec: no core dump (a crash would write one: a file, or systemd-coredump's),
    and a cap on memory. (Nothing imported here: after fork, only async-signal-safe work.)"""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _feed(stream: object, data: bytes) -> None:
    try:
        stream.write(data)  # type: ignore[attr-defined]
        stream.close()  # type: ignore[attr-defined]
    except OSError:
        pass
