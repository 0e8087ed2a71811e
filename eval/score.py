"""Score the offline engine against realistic service descriptions.

Each case in eval/cases/*.yaml holds a description, the answers, `must` (facts a good runbook for
that service contains: substrings, or regexes prefixed with "re:") and `must_not` (red flags).
The runbook is generated with the offline engine, rendered to Markdown, and searched.

    .venv/bin/python eval/score.py                # all cases
    .venv/bin/python eval/score.py -v orders      # cases whose file name contains "orders", with misses
    .venv/bin/python eval/score.py --min 0.9      # exit 1 if overall coverage < 90% or a red flag is found
    .venv/bin/python eval/score.py --check        # also run `agent test`'s static checks on each runbook
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent
CASES = ROOT / "cases"


@dataclass
class Score:
    name: str
    found: list[str]
    missed: list[str]
    flags: list[str]
    seconds: float
    findings: list[str]

    @property
    def coverage(self) -> float:
        total = len(self.found) + len(self.missed)
        return len(self.found) / total if total else 1.0


def matches(pattern: str, text: str) -> bool:
    if pattern.startswith("re:"):
        return re.search(pattern[3:], text, re.MULTILINE) is not None
    return pattern in text


def render(runbook: Any) -> str:
    try:
        from agent.render import render_markdown
    except ImportError:  # before the renderer exists, score the JSON
        return str(runbook.model_dump_json(indent=1))
    return render_markdown(runbook)


def check(text: str) -> list[str]:
    """Errors and warnings from the project's own static checks (CLI flags, shell, SQL, PromQL, danger)."""
    from agent.checks.check import check_markdown

    report = check_markdown(text, tools=True)
    return [f"{f.severity} {f.rule} line {f.line}: {f.message}" for f in report.findings
            if f.severity in ("error", "warning")]


def run_case(path: Path, with_checks: bool = False) -> Score:
    import time

    from agent.answers import from_mapping
    from agent.models.base import GenerationRequest
    from agent.models.offline import OfflineModel
    from agent.rule import default_rule_path, load_rule

    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    rule = load_rule(default_rule_path())
    answers = from_mapping(rule, case["answers"], str(path))
    request = GenerationRequest(rule=rule, description=case["description"], answers=answers,
                                now=datetime(2026, 1, 15, 9, 30), service_name=case.get("name"))
    start = time.perf_counter()
    runbook = OfflineModel().generate(request).runbook
    seconds = time.perf_counter() - start
    text = render(runbook)
    found = [p for p in case.get("must", []) if matches(p, text)]
    missed = [p for p in case.get("must", []) if not matches(p, text)]
    flags = [p for p in case.get("must_not", []) if matches(p, text)]
    return Score(path.stem, found, missed, flags, seconds, check(text) if with_checks else [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("filter", nargs="?", default="", help="only cases whose file name contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="list missed facts and red flags")
    parser.add_argument("--min", type=float, default=0.0, help="fail below this overall coverage (0-1)")
    parser.add_argument("--check", action="store_true", help="run the static checks on each runbook too")
    args = parser.parse_args(argv)
    paths = sorted(p for p in CASES.glob("*.yaml") if args.filter in p.stem)
    if not paths:
        print(f"no cases match {args.filter!r} in {CASES}", file=sys.stderr)
        return 2
    scores = [run_case(p, args.check) for p in paths]
    width = max(len(s.name) for s in scores)
    for s in scores:
        total = len(s.found) + len(s.missed)
        checked = f"  check findings: {len(s.findings)}" if args.check else ""
        print(f"{s.name:<{width}}  {len(s.found):>3}/{total:<3} {s.coverage:6.1%}  red flags: {len(s.flags)}  "
              f"({s.seconds * 1000:.0f} ms){checked}")
        if args.verbose:
            for miss in s.missed:
                print(f"    missed: {miss}")
            for flag in s.flags:
                print(f"    RED FLAG: {flag}")
            for finding in s.findings:
                print(f"    check: {finding}")
    found = sum(len(s.found) for s in scores)
    total = sum(len(s.found) + len(s.missed) for s in scores)
    flags = sum(len(s.flags) for s in scores)
    overall = found / total if total else 1.0
    print(f"{'overall':<{width}}  {found:>3}/{total:<3} {overall:6.1%}  red flags: {flags}")
    return 1 if overall < args.min or (args.min and flags) else 0


if __name__ == "__main__":
    sys.exit(main())
