"""Offline generation speed: mean and p95 of `OfflineModel.generate` over N runs, the share spent in
validation (`bash -n` per section), rendering, the parse of a description into its service model
(median and spread over the eval descriptions), the import time of `agent.cli` (what every command
pays before doing anything) and the first load of the parser's vocabulary.

    .venv/bin/python bench/bench_generate.py            # 60 runs over a spread of answer combinations
    .venv/bin/python bench/bench_generate.py -n 200
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DESCRIPTION = (
    "The orders API runs as deployment orders-api in namespace orders on the EKS cluster prod-eks-1 in "
    "us-east-1, with a PostgreSQL database orders on RDS instance orders-db and a Redis cache. Health "
    "endpoint /healthz on port 8080. Owned by the Commerce Platform team."
)


def import_time(module: str, repeat: int = 3) -> float:
    """Seconds to import `module` in a fresh interpreter (best of `repeat`)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
        best = min(best, time.perf_counter() - start)
    baseline = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline = min(baseline, time.perf_counter() - start)
    return best - baseline


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=60, help="number of runbooks to generate")
    args = parser.parse_args()

    from agent.answers import from_mapping
    from agent.models.base import GenerationRequest
    from agent.models.offline import OfflineModel
    from agent.rule import default_rule_path, load_rule

    try:
        from agent.render import render_markdown
    except ImportError:
        render_markdown = None

    rule = load_rule(default_rule_path())
    combos = itertools.cycle(itertools.product(
        ["web", "api", "pipeline", "worker", "database"], ["kubernetes", "docker", "vm", "serverless", "baremetal"],
        ["critical", "high", "medium", "low"], ["prometheus", "datadog", "cloudwatch", "newrelic", "custom"]))
    model = OfflineModel()
    warm = GenerationRequest(rule=rule, description=DESCRIPTION, now=datetime(2026, 1, 1),
                             answers=from_mapping(rule, {"type": "api"}, "bench"))
    model.generate(warm)  # first call pays module imports (packs, pglast…)

    from agent.service.text import parse

    generate_s: list[float] = []
    render_s: list[float] = []
    parse_s: list[float] = []
    import glob

    import yaml

    texts = [yaml.safe_load(open(f, encoding="utf-8"))["description"]
             for f in sorted(glob.glob(str(ROOT / "eval" / "cases" / "*.yaml")))] or [DESCRIPTION]
    for _ in range(max(1, args.n // len(texts))):
        for text in texts:
            start = time.perf_counter()
            parse(text)
            parse_s.append(time.perf_counter() - start)
    for _ in range(args.n):
        typ, env, crit, mon = next(combos)
        answers = from_mapping(rule, {"type": typ, "env": env, "criticality": crit, "monitoring": mon,
                                      "oncall": "24x7"}, "bench")
        start = time.perf_counter()
        request = GenerationRequest(rule=rule, description=DESCRIPTION, answers=answers, now=datetime(2026, 1, 1))
        runbook = model.generate(request).runbook  # parse (in the request) + generate
        generate_s.append(time.perf_counter() - start)
        if render_markdown is not None:
            start = time.perf_counter()
            render_markdown(runbook)
            render_s.append(time.perf_counter() - start)

    def ms(value: float) -> str:
        return f"{value * 1000:7.1f} ms"

    print(f"offline generate  n={args.n:<4} mean {ms(statistics.mean(generate_s))}  p95 {ms(p95(generate_s))}  "
          f"max {ms(max(generate_s))}")
    if render_s:
        print(f"render markdown   n={args.n:<4} mean {ms(statistics.mean(render_s))}  p95 {ms(p95(render_s))}")
    quartiles = statistics.quantiles(parse_s, n=4)
    print(f"parse description n={len(parse_s):<4} median {ms(statistics.median(parse_s))}  "
          f"spread (IQR) {ms(quartiles[0])} – {ms(quartiles[2])}  max {ms(max(parse_s))}")
    print(f"import agent.cli                   {ms(import_time('agent.cli'))}  (fresh interpreter, minus start-up)")
    vocab = import_time("agent.service.vocabulary; agent.service.vocabulary.vocabulary()")
    print(f"first vocabulary load              {ms(vocab - import_time('agent.service.model'))}  "
          "(YAML + phrase patterns, once per process)")
    print(f"import agent.models.offline        {ms(import_time('agent.models.offline'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
