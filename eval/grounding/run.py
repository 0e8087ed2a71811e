"""Generate N random descriptions, run `agent generate` on each, and score where the names went.

    .venv/bin/python eval/grounding/run.py -n 60 --seed 1 [--json] [--keep DIR] [-j 2] [-v]

Prints, over all cases: per role and per phrasing the share of given names used in a position of
their role, invented names per runbook (median, max, and the kinds they were found in), and how
many titles carry the service name. The offline engine is deterministic, so the figures are too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from eval.grounding import generator, runner
from eval.grounding.score import RunbookScore, pct, score_runbook, table


def evaluate(cases: list[generator.Case], keep: Path | None = None, jobs: int = 2,
             tool_checks: bool = False) -> list[tuple[generator.Case, runner.Generated, RunbookScore | None]]:
    def one(c: generator.Case) -> tuple[generator.Case, runner.Generated, RunbookScore | None]:
        g = runner.generate(c.description, c.answers, keep=keep, name=c.id, tool_checks=tool_checks)
        return c, g, (score_runbook(g.markdown, c.names, c.phrasings) if g.markdown else None)

    return runner.parallel_map(one, cases, jobs)


def summarize(results: list[tuple[generator.Case, runner.Generated, RunbookScore | None]]) -> dict[str, Any]:
    by_role: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_phrasing: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    invented_counts: list[int] = []
    other_counts: list[int] = []
    invented_kinds: Counter[str] = Counter()
    titles = exact = written = 0
    failures: list[dict[str, Any]] = []
    for c, g, s in results:
        if s is None:
            failures.append({"id": c.id, "returncode": g.returncode, "stderr": g.stderr[-300:]})
            for role, names in c.names.items():
                by_role[role][1] += len(names)
            for p in c.phrasings.values():
                by_phrasing[p][1] += 1
            continue
        written += 1
        for role, r in s.roles.items():
            by_role[role][0] += len(r.found)
            by_role[role][1] += len(r.given)
        for p, (f, n) in s.phrasing_found.items():
            by_phrasing[p][0] += f
            by_phrasing[p][1] += n
        invented_counts.append(len(s.invented))
        other_counts.append(sum(1 for i in s.invented if not i.on_service_name))
        invented_kinds.update("/".join(i.kinds) for i in s.invented)
        titles += int(s.title_ok)
        exact += int(s.title_exact)
    found = sum(f for f, _ in by_role.values())
    given = sum(n for _, n in by_role.values())
    return {
        "cases": len(results),
        "written": written,
        "failures": failures,
        "names_in_role": {"found": found, "given": given, "share": round(found / given, 4) if given else 1.0},
        "by_role": {r: {"found": f, "given": n} for r, (f, n) in sorted(by_role.items())},
        "by_phrasing": {p: {"found": f, "given": n} for p, (f, n) in sorted(by_phrasing.items())},
        "invented_per_runbook": {
            "median": statistics.median(invented_counts) if invented_counts else 0,
            "max": max(invented_counts) if invented_counts else 0,
            "mean": round(statistics.mean(invented_counts), 2) if invented_counts else 0,
        },
        "invented_not_on_service_name_per_runbook": {
            "median": statistics.median(other_counts) if other_counts else 0,
            "max": max(other_counts) if other_counts else 0,
        },
        "invented_kinds": dict(invented_kinds.most_common()),
        "titles": {"carry_service_name": titles, "exact": exact, "of": written},
    }


def render(summary: dict[str, Any]) -> str:
    out = [f"cases: {summary['cases']}  runbooks written: {summary['written']}"]
    out += ["", table(["role", "found", "share"],
                      [[r, f"{v['found']}/{v['given']}", pct(v["found"], v["given"])]
                       for r, v in summary["by_role"].items()])]
    out += ["", table(["phrasing", "found", "share"],
                      [[p, f"{v['found']}/{v['given']}", pct(v["found"], v["given"])]
                       for p, v in summary["by_phrasing"].items()])]
    n = summary["names_in_role"]
    inv = summary["invented_per_runbook"]
    oth = summary["invented_not_on_service_name_per_runbook"]
    t = summary["titles"]
    out += ["", f"names used in their role: {n['found']}/{n['given']} ({pct(n['found'], n['given'])})",
            f"invented names per runbook: median {inv['median']}, max {inv['max']}, mean {inv['mean']}"
            f" (not built on the service name: median {oth['median']}, max {oth['max']})",
            "invented, by kind: " + ", ".join(f"{k} {v}" for k, v in summary["invented_kinds"].items()),
            f"titles carrying the service name: {t['carry_service_name']}/{t['of']} (exact: {t['exact']}/{t['of']})"]
    for f in summary["failures"]:
        out.append(f"FAILED {f['id']} (exit {f['returncode']}): {f['stderr']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Grounding of names in runbooks from random descriptions.")
    ap.add_argument("-n", type=int, default=60, help="number of cases (default 60)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    ap.add_argument("--keep", type=Path, help="copy each runbook (and its case as JSON) into DIR")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--tool-checks", action="store_true", help="run the CLI-backed checks too (slower)")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per case, with missing and invented")
    a = ap.parse_args(argv)
    if a.n < 1:
        print("error: -n must be at least 1", file=sys.stderr)
        return 2
    cases = generator.generate_cases(a.seed, a.n)
    try:
        results = evaluate(cases, a.keep, a.jobs, a.tool_checks)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if a.keep:
        for c in cases:
            (a.keep / f"{c.id}.case.json").write_text(json.dumps(c.to_json(), indent=2), encoding="utf-8")
    summary = summarize(results)
    if a.verbose and not a.json:
        for c, _, s in results:
            if s is None:
                continue
            missing = [f"{r.role}:{m}" for r in s.roles.values() for m in r.missing]
            print(f"{c.id} [{c.platform}; {','.join(c.techs)}] {s.found_total}/{s.given_total}"
                  f" invented {len(s.invented)} title={'ok' if s.title_ok else 'NO'}"
                  f" missing={missing} invented={[i.value for i in s.invented]}")
        print()
    print(json.dumps(summary, indent=2) if a.json else render(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
