"""Draw a fixed-seed random sample of `agent test` error/warning findings over a corpus of runbooks,
for judging by hand (TP / FP / debatable), and score a judged sample.

    .venv/bin/python eval/precision/sample.py draw OUT.jsonl [--corpus DIR] [--n 120] [--seed 13]
    .venv/bin/python eval/precision/sample.py sheet SAMPLE.jsonl > SHEET.md   # what the judge reads
    .venv/bin/python eval/precision/sample.py score SAMPLE.jsonl JUDGED.tsv

The sample holds only what a judge needs: file, line, rule id, severity, message, hint and the
runbook's lines around the finding. JUDGED.tsv has one line per sample id: `id<TAB>TP|FP|debatable<TAB>reason`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = 6  # lines of the runbook shown above and below a finding


def _files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if p.name != "README.md")


def draw(corpus: Path, n: int, seed: int) -> list[dict[str, object]]:
    sys.path.insert(0, str(ROOT))
    from agent.checks import check_file

    population: list[dict[str, object]] = []
    for path in _files(corpus):
        lines = path.read_text(encoding="utf-8").split("\n")
        report = check_file(path)
        for f in report.findings:
            if f.severity not in ("error", "warning"):
                continue
            lo, hi = max(f.line - 1 - CONTEXT, 0), min(f.line + CONTEXT, len(lines))
            population.append(
                {
                    "file": str(path.relative_to(corpus)),
                    "line": f.line,
                    "rule": f.rule,
                    "severity": f.severity,
                    "message": f.message,
                    "hint": f.hint,
                    "context": [f"{i + 1:>5}{'>' if i + 1 == f.line else ' '} {lines[i]}" for i in range(lo, hi)],
                }
            )
    rng = random.Random(seed)
    picked = rng.sample(population, min(n, len(population)))
    for i, item in enumerate(picked, start=1):
        item["id"] = i
    print(f"{len(population)} error/warning findings in {len(_files(corpus))} files; sampled {len(picked)}",
          file=sys.stderr)
    print("population by rule: " + ", ".join(f"{r} {c}" for r, c in Counter(
        str(p["rule"]) for p in population).most_common()), file=sys.stderr)
    return picked


def sheet(sample: list[dict[str, object]]) -> str:
    out = ["# Findings to judge", "",
           "For each finding: TP (a real problem an author would want to fix), FP (wrong: not a problem, "
           "or the message is false), debatable (arguable either way). One line of reason.", ""]
    for item in sample:
        out += [f"## {item['id']}. {item['file']}:{item['line']}  [{item['rule']}] {item['severity']}", "",
                f"- message: {item['message']}", f"- hint: {item['hint']}", "", "```text",
                *[str(x) for x in item["context"]], "```", ""]  # type: ignore[union-attr]
    return "\n".join(out)


def score(sample: list[dict[str, object]], judged: Path) -> str:
    labels: dict[int, str] = {}
    for ln in judged.read_text(encoding="utf-8").splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        parts = ln.split("\t")
        labels[int(parts[0])] = parts[1].strip()
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for item in sample:
        label = labels.get(int(str(item["id"])), "unjudged")
        per[str(item["rule"])][label] += 1
    total: Counter[str] = Counter()
    rows = ["| rule | TP | FP | debatable | precision |", "|---|---|---|---|---|"]
    for rule, c in sorted(per.items(), key=lambda kv: -sum(kv[1].values())):
        total.update(c)
        p = c["TP"] / (c["TP"] + c["FP"]) if c["TP"] + c["FP"] else float("nan")
        rows.append(f"| {rule} | {c['TP']} | {c['FP']} | {c['debatable']} | {p:.2f} |")
    p = total["TP"] / (total["TP"] + total["FP"]) if total["TP"] + total["FP"] else float("nan")
    rows.append(f"| **all** | {total['TP']} | {total['FP']} | {total['debatable']} | **{p:.2f}** |")
    if total["unjudged"]:
        rows.append(f"\n{total['unjudged']} unjudged")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("draw")
    d.add_argument("out")
    d.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    d.add_argument("--n", type=int, default=120)
    d.add_argument("--seed", type=int, default=13)
    s = sub.add_parser("sheet")
    s.add_argument("sample")
    c = sub.add_parser("score")
    c.add_argument("sample")
    c.add_argument("judged")
    args = parser.parse_args()
    if args.cmd == "draw":
        picked = draw(Path(args.corpus), args.n, args.seed)
        Path(args.out).write_text("".join(json.dumps(x) + "\n" for x in picked), encoding="utf-8")
        return
    sample = [json.loads(ln) for ln in Path(args.sample).read_text(encoding="utf-8").splitlines() if ln.strip()]
    if args.cmd == "sheet":
        print(sheet(sample))
    else:
        print(score(sample, Path(args.judged)))


if __name__ == "__main__":
    main()
