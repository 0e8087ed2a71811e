"""How long `agent test` takes: on a generated runbook (static checks with and without the CLI
checks) and over the whole shared corpus. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_checks.py [--corpus PATH]

Targets: <= 0.8 s per generated runbook with the CLI checks in a new process, help tables and
verdicts cached (issue #15); the corpus in one process and one process per file (issue #13).
Every figure is a median with its spread (min-max over the runs) and the machine's load average,
since the machine is shared. Processes run with bytecode writing on, as an installed `agent` has.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generated() -> str:
    from agent.answers import from_mapping
    from agent.models.base import GenerationRequest
    from agent.models.registry import get_model
    from agent.render import render_markdown
    from agent.rule import load_rule

    rule = load_rule()
    answers = from_mapping(rule, {"type": "api", "env": "kubernetes", "criticality": "critical",
                                  "monitoring": "prometheus", "oncall": "24x7"}, "bench")
    request = GenerationRequest(
        rule=rule, answers=answers, now=datetime(2026, 1, 15, 9, 30), service_name=None,
        description="The checkout service handles cart checkout for the web shop. It runs in the shop namespace "
        "in us-east-1 and talks to a PostgreSQL database called checkout and a Redis cache.")
    return render_markdown(get_model("offline").generate(request).runbook)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def _cli(path: Path, *extra: str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "agent"), "test", str(path), "--format", "json", *extra],
                   capture_output=True, check=False, env=env or _env())
    return time.perf_counter() - start


def _spread(runs: list[float], unit: str = "s") -> str:
    return f"median {statistics.median(runs):.3f} {unit} (min {min(runs):.3f}, max {max(runs):.3f}, n={len(runs)})"


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = parser.parse_args()
    from agent.checks import check_markdown

    text = _generated()
    with tempfile.TemporaryDirectory() as tmp:
        runbook = Path(tmp) / "runbook-checkout.md"
        runbook.write_text(text, encoding="utf-8")
        lines = text.count("\n")
        report = check_markdown(text, str(runbook), tools=False)
        print(f"generated runbook: {lines} lines, {report.stats['commands']} commands, "
              f"{report.stats['shell_blocks']} shell blocks")

        check_markdown(text, "warm-up", tools=False)
        runs = []
        for _ in range(7):
            start = time.perf_counter()
            check_markdown(text, "x", tools=False)
            runs.append(time.perf_counter() - start)
        print(f"  library, static checks without CLIs (tools=False): {_spread(runs)}")
        check_markdown(text, "x", tools=True)
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            check_markdown(text, "x", tools=True)
            runs.append(time.perf_counter() - start)
        print(f"  library, with CLI checks (tools=True), warm: {_spread(runs)}")

        cold_env = _env(XDG_CACHE_HOME=str(Path(tmp) / "cold-cache"))
        cold = _cli(runbook, env=cold_env)
        warm = [_cli(runbook, env=cold_env) for _ in range(7)]
        print(f"  `agent test FILE` (new process, with CLI checks), first run on a machine: {cold:.2f} s")
        print(f"  `agent test FILE` (new process, with CLI checks), tables and verdicts cached: {_spread(warm)}")
        no_tools = [_cli(runbook, "--no-tools") for _ in range(5)]
        print(f"  `agent test FILE --no-tools` (new process): {_spread(no_tools)}")
        starts = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import agent.cli"], check=False, env=_env())
            starts.append(time.perf_counter() - start)
        print(f"    of which Python start + `import agent.cli`: {_spread(starts)}")
        print(f"  ({_load()})")

    corpus = Path(args.corpus)
    files = sorted(p for p in corpus.rglob("*.md") if p.name != "README.md") if corpus.is_dir() else []
    if not files:
        print(f"corpus: not found at {corpus}")
        return
    for tools in (False, True):
        start = time.perf_counter()
        findings = 0
        for path in files:
            findings += len(check_markdown(path.read_text(encoding="utf-8"), str(path), tools=tools).findings)
        elapsed = time.perf_counter() - start
        label = "with CLI checks" if tools else "without CLI checks"
        print(f"corpus, one process: {len(files)} files {label}: {elapsed:.2f} s "
              f"({elapsed / len(files) * 1000:.0f} ms/file), {findings} findings")
    sample = files[:: max(1, len(files) // 40)]
    per_file = [_cli(path) for path in sample]
    print(f"corpus, one `agent test FILE` process per file (every {max(1, len(files) // 40)}th file): "
          f"{_spread(per_file)}; {len(files)} files would take ~{statistics.median(per_file) * len(files):.0f} s")
    print(f"({_load()})")


if __name__ == "__main__":
    main()
