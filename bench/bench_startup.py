"""What a user waits for, measured on an installed, non-editable package (issue #15).

Builds a wheel of this checkout, installs it into a fresh virtual environment (dependencies from the
same index `pip` uses), then times in new processes:

    python -c pass                        the floor: interpreter start-up
    agent --help                          target <= 0.15 s: listing the commands must not import them
    agent generate (offline, all checks)  target <= 1.0 s
    agent generate --no-tool-checks
    agent generate over an existing file  refused before any generation
    agent test FILE                       a generated runbook, with CLI checks (help tables cached)

Each figure is the median of N runs with its spread (min–max), and the median CPU time of the same
runs. Prints figures; asserts nothing. To compare two trees on a shared machine, use bench/ab.py
(interleaved runs, paired differences).

    .venv/bin/python bench/bench_startup.py              # builds a temporary venv (~1 min the first time)
    .venv/bin/python bench/bench_startup.py --venv DIR   # reuse (or create) the venv at DIR
    .venv/bin/python bench/bench_startup.py -n 15
    .venv/bin/python bench/bench_startup.py --source /tmp/main-export --venv /tmp/venv-main   # "before"
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESCRIPTION = ("Orders API on EKS in namespace orders, Node.js 20, RDS PostgreSQL through PgBouncer and "
               "ElastiCache Redis; deployed with Argo CD")
ANSWERS = ["--type", "api", "--env", "kubernetes", "--criticality", "critical", "--monitoring", "prometheus",
           "--oncall", "24x7"]


def install(venv: Path, source: Path = ROOT) -> Path:
    """A venv with `source` (this checkout) installed from a wheel (not editable); returns its `agent`."""
    agent = venv / "bin" / "agent"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    with tempfile.TemporaryDirectory() as wheels:
        pip = [str(python), "-m", "pip", "-q"]
        quiet = {"stderr": subprocess.DEVNULL, "check": True}
        subprocess.run([*pip, "wheel", "--no-deps", "-w", wheels, str(source)], **quiet)  # type: ignore[call-overload]
        wheel = next(Path(wheels).glob("runbook_agent-*.whl"))
        subprocess.run([*pip, "install", "--force-reinstall", "--no-deps", str(wheel)], **quiet)  # type: ignore[call-overload]
        subprocess.run([*pip, "install", str(wheel)], **quiet)  # type: ignore[call-overload]  # dependencies
    check = subprocess.run([str(python), "-c", "import agent; print(agent.__file__)"], cwd=venv,
                           capture_output=True, text=True, check=True)
    if str(source) in check.stdout:
        raise SystemExit(f"agent is imported from the checkout ({check.stdout.strip()}), not the wheel")
    return agent


CPU: dict[str, list[float]] = {}  # the CPU seconds (user+sys, spawned tools included) of the last `timed` call


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str], cwd: Path, runs: int, *, expect: int = 0,
          before: list[str] | None = None) -> list[float]:
    """Wall-clock seconds of `argv` per run; `before` (a shell command) runs untimed before each.
    The CPU seconds of the same runs land in CPU["last"]: on a loaded machine they move far less
    than wall-clock does (waiting for a core is not counted)."""
    out = []
    CPU["last"] = []
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    for _ in range(runs):
        if before:
            subprocess.run(before, cwd=cwd, check=True)
        start, cpu = time.perf_counter(), _cpu()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, env=env, stdin=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - start)
        CPU["last"].append(_cpu() - cpu)
        if done.returncode != expect:
            raise SystemExit(f"{' '.join(argv)}: exit {done.returncode} (expected {expect})\n"
                             f"{done.stderr.decode(errors='replace')}")
    return out


def line(label: str, values: list[float], target: str = "") -> None:
    median = statistics.median(values)
    cpu = CPU.get("last") or [0.0]
    print(f"  {label:<44} median {median:6.3f} s  (min {min(values):.3f}, max {max(values):.3f}, "
          f"n={len(values)}; CPU median {statistics.median(cpu):.3f} s){'  ' + target if target else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=9, help="runs per figure")
    parser.add_argument("--venv", help="venv to install into and reuse (default: a temporary one)")
    parser.add_argument("--source", default=str(ROOT),
                        help="the checkout to install (default: this one; e.g. an export of main for 'before')")
    args = parser.parse_args()

    holder = None if args.venv else tempfile.TemporaryDirectory(prefix="bench-startup-")
    venv = Path(args.venv) if args.venv else Path(holder.name) / "venv"  # type: ignore[union-attr]
    try:
        agent = str(install(venv, Path(args.source)))
        python = str(venv / "bin" / "python")
        with tempfile.TemporaryDirectory(prefix="bench-startup-run-") as tmp:
            work = Path(tmp)
            generate = [agent, "generate", DESCRIPTION, *ANSWERS, "--out", "tasks"]
            clean = ["rm", "-rf", "tasks", "RUNBOOK_TRACKING.md"]
            timed(generate, work, 1, before=clean)  # warm the CLI help-table cache and the page cache
            print(f"installed package (non-editable) in {venv}")
            line("python -c pass", timed([python, "-c", "pass"], work, args.n))
            line("agent --help", timed([agent, "--help"], work, args.n), "target <= 0.15 s")
            line("agent generate (offline, all checks)", timed(generate, work, args.n, before=clean),
                 "target <= 1.0 s")
            line("agent generate --no-tool-checks", timed([*generate, "--no-tool-checks"], work, args.n,
                                                          before=clean))
            timed(generate, work, 1, before=clean)
            line("agent generate, file exists (refused)", timed(generate, work, args.n, expect=3))
            runbook = str(work / "tasks" / "runbook-orders-api.md")
            line("agent test FILE (CLI checks, cached)", timed([agent, "test", runbook], work, args.n),
                 "target <= 0.8 s")
    finally:
        if holder is not None:
            holder.cleanup()
        elif not args.venv:
            shutil.rmtree(venv, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
