"""A/B start-up and generate times of two source trees, interleaved, on a shared (loaded) machine.

Absolute figures drift with the load other processes put on the machine; a comparison does not
if both trees run under the same conditions. Each tree is built into a wheel and installed (not
editable, bytecode compiled, as a user has it) into its own directory; both run with this Python,
whose environment provides the dependencies. Every round runs each command once per tree, in
alternating order, and the figures are per-tree medians with their spread (IQR, min-max) and the
median of the paired differences (B - A within a round), which load drift cancels out of.

    .venv/bin/python bench/ab.py --a-ref main                 # A: main (git archive), B: this checkout
    .venv/bin/python bench/ab.py --a /tmp/tree-a --b /tmp/tree-b -n 30
    .venv/bin/python bench/ab.py --a-ref main --only generate -n 40

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
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
# What the `agent` console script runs.
LAUNCH = "import sys; from agent.cli import main; sys.exit(main())"


def export(ref: str, into: Path) -> Path:
    """The tree of git `ref` of this repository, as files (no .git)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def install(source: Path, target: Path) -> Path:
    """`source` built into a wheel and installed (no dependencies) into `target`; returns `target`."""
    with tempfile.TemporaryDirectory(prefix="ab-wheel-") as wheels:
        pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, str(source)],
                       check=True, stderr=subprocess.DEVNULL)
        wheel = next(Path(wheels).glob("runbook_agent-*.whl"))
        subprocess.run([*pip, "install", "--no-deps", "--compile", "--target", str(target), str(wheel)],
                       check=True, stderr=subprocess.DEVNULL)
    return target


def environ(site: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    return {**env, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(cache)}


def cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run(argv: list[str], cwd: Path, env: dict[str, str], expect: int = 0) -> tuple[float, float]:
    """(wall-clock, CPU) seconds of one run; CPU counts the tools it spawns and waits for, and waiting
    for a core on a loaded machine not at all, so it moves less with the load than wall-clock does."""
    start, before = time.perf_counter(), cpu()
    done = subprocess.run([sys.executable, "-c", LAUNCH, *argv], cwd=cwd, env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start, cpu() - before
    if done.returncode != expect:
        raise SystemExit(f"agent {' '.join(argv[:2])}: exit {done.returncode} (expected {expect})\n"
                         f"{done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def clean(work: Path) -> None:
    subprocess.run(["rm", "-rf", str(work / "tasks"), str(work / "RUNBOOK_TRACKING.md")], check=True)


def spread(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return (f"median {statistics.median(values):6.3f} s  IQR {q[0]:.3f}-{q[2]:.3f}  "
            f"min {min(values):.3f} max {max(values):.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", help="source tree A")
    parser.add_argument("--a-ref", help="git ref of this repository for A (exported with git archive)")
    parser.add_argument("--b", default=str(ROOT), help="source tree B (default: this checkout)")
    parser.add_argument("-n", type=int, default=20, help="rounds (each runs every command once per tree)")
    parser.add_argument("--only", action="append", choices=["help", "generate", "no-tools", "test"],
                        help="commands to time (default: all)")
    args = parser.parse_args()
    if bool(args.a) == bool(args.a_ref):
        parser.error("give one of --a or --a-ref")
    only = args.only or ["help", "generate", "no-tools", "test"]

    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        base = Path(tmp)
        source_a = Path(args.a) if args.a else export(args.a_ref, base / "src-a")
        trees = {"A": (source_a, base / "site-a"), "B": (Path(args.b), base / "site-b")}
        envs = {}
        works = {}
        for label, (source, site) in trees.items():
            install(source, site)
            envs[label] = environ(site, base / f"cache-{label}")
            works[label] = base / f"work-{label}"
            works[label].mkdir()
            check = subprocess.run([sys.executable, "-c", "import agent; print(agent.__file__)"], cwd=works[label],
                                   env=envs[label], capture_output=True, text=True, check=True).stdout.strip()
            if not check.startswith(str(site)):
                raise SystemExit(f"{label}: agent is imported from {check}, not from the installed {site}")
            print(f"{label}: {source} installed in {site}")
        generate = ["generate", DESCRIPTION, *ANSWERS, "--out", "tasks"]
        runbook = "tasks/runbook-orders-api.md"
        for label in trees:  # warm the caches (CLI help tables, verdicts) and the page cache, untimed
            clean(works[label])
            run(generate, works[label], envs[label])
            run(["test", runbook], works[label], envs[label])

        def one(name: str, label: str) -> tuple[float, float]:
            work, env = works[label], envs[label]
            if name == "help":
                return run(["--help"], work, env)
            if name == "test":
                return run(["test", runbook], work, env)
            clean(work)
            elapsed = run(generate if name == "generate" else [*generate, "--no-tool-checks"], work, env)
            if name == "no-tools":  # `agent test` needs the file a run with all checks writes
                clean(work)
                run(generate, work, env)
            return elapsed

        # (command, measure) -> tree -> values; measure 0 wall-clock, 1 CPU
        times: dict[tuple[str, int], dict[str, list[float]]] = {}
        diffs: dict[tuple[str, int], list[float]] = {}
        rng = random.Random(15)
        for _ in range(args.n):
            for name in only:
                order = ["A", "B"] if rng.random() < 0.5 else ["B", "A"]
                got = {label: one(name, label) for label in order}
                for m in (0, 1):
                    for label, value in got.items():
                        times.setdefault((name, m), {"A": [], "B": []})[label].append(value[m])
                    diffs.setdefault((name, m), []).append(got["B"][m] - got["A"][m])
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{args.n} interleaved rounds (load average now {load})")
        for name in only:
            labels = {"help": "agent --help", "generate": "agent generate (offline, all checks)",
                      "no-tools": "agent generate --no-tool-checks", "test": "agent test FILE (cached)"}
            for m, measure in enumerate(("wall-clock", "CPU (user+sys, with the tools it runs)")):
                print(f"  {labels[name]}: {measure}")
                for label in ("A", "B"):
                    print(f"    {label}      {spread(times[(name, m)][label])}")
                d = diffs[(name, m)]
                q = statistics.quantiles(d, n=4) if len(d) > 1 else [d[0]] * 3
                print(f"    B - A  median {statistics.median(d):+6.3f} s  IQR {q[0]:+.3f}..{q[2]:+.3f}  "
                      f"(B faster in {sum(x < 0 for x in d)}/{len(d)} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
