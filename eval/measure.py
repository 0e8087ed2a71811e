"""How long the runbooks are, how much they repeat, and whether their links lead anywhere.

    .venv/bin/python -m eval.measure                  # eval/cases/* and eval/blind/a/* (never blind/b)
    .venv/bin/python -m eval.measure --json out.json  # also write the figures
    .venv/bin/python -m eval.measure --compare before.json   # the same table with before → after
    .venv/bin/python -m eval.measure --keep DIR       # keep the runbooks

Each runbook is written by the installed `agent generate` (offline, no terminal), as a user gets it.
Per runbook:
- `lines`: lines of the Markdown file;
- `repeated`: command chunks of 3 or more lines that appear more than once (a chunk is a fenced block, or
  one command of it: the text between blank lines; indentation and trailing space ignored), counted as
  the copies beyond the first;
- `sentences`: prose sentences of 5 or more words (outside code blocks, headings and tables, and not the
  one-line references to a command shown elsewhere; links read as their text) that appear more than once,
  counted as the copies beyond the first: boilerplate said per entry;
- `loops`: the most `for HOST in …` host loops in one H2 section;
- `broken`: in-document links whose anchor no heading has (GitHub's rule, duplicates numbered);
- `unlinked`: alert-table rows without a link to an entry, and troubleshooting entries that answer an
  alert without linking back to it;
- `start`: line of the "Paged? Start here" block (0 when there is none);
- `consistency`: `agent test`'s `consistency.*` findings (thresholds, quantiles, namespaces).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from agent.checks import check_markdown, markdown
from eval.grounding import runner

ROOT = Path(__file__).resolve().parent
SOURCES = (ROOT / "cases", ROOT / "blind" / "a")  # blind/b is held out: never measured here


@dataclass
class Measure:
    case: str
    lines: int
    repeated: int
    sentences: int
    loops: int
    broken: int
    unlinked: int
    start: int
    consistency: int


def chunks(doc: markdown.Document) -> list[str]:
    """Every fenced block, and every blank-line-separated part of one, as normalised text."""
    out: list[str] = []
    for block in doc.blocks:
        lines = [ln.strip() for ln in block.content.splitlines()]
        text = "\n".join(lines).strip()
        parts = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        out += [p for p in dict.fromkeys([text, *parts]) if p.count("\n") >= 2]
    return out


def repeated(doc: markdown.Document) -> int:
    counts = Counter(chunks(doc))
    return sum(n - 1 for n in counts.values() if n > 1)


def sentences(doc: markdown.Document) -> Counter[str]:
    """Each prose sentence of 5+ words, normalised, with how often it appears."""
    fenced = {n for block in doc.blocks for n in range(block.line - 1, block.line + block.content.count("\n") + 2)}
    counts: Counter[str] = Counter()
    for n, line in enumerate(doc.lines, 1):
        text = line.strip()
        if n in fenced or not text or text.startswith(("#", "|", "```")):
            continue
        if text.startswith("- ") and ("](#" in text or text.endswith("`")):
            continue  # a reference to a command shown elsewhere (a link, or a short command quoted) is no prose
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link reads as its text
        text = re.sub(r"^(?:[>*-]\s+|\d+\.\s+|\[[ x]\]\s+)*", "", text)
        text = re.sub(r"\*\*[^*]{1,40}:\*\*\s*", "", text)  # "**Verify:**" labels are not the sentence
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            norm = " ".join(sentence.lower().split()).strip(" .")
            if len(norm.split()) >= 5:
                counts[norm] += 1
    return counts


def repeated_sentences(doc: markdown.Document) -> int:
    return sum(n - 1 for n in sentences(doc).values() if n > 1)


def loops(doc: markdown.Document) -> int:
    per: Counter[str] = Counter()
    for block in doc.blocks:
        per[block.section] += len(re.findall(r"^\s*for HOST in ", block.content, re.M))
    return max(per.values(), default=0)


def broken(doc: markdown.Document) -> int:
    anchors = {h.anchor for h in doc.headings}
    return sum(1 for link in doc.links if link.target.startswith("#") and link.target[1:] not in anchors)


def unlinked(doc: markdown.Document) -> int:
    """Alert rows with no in-document link, and entries naming an alert with no link on that line."""
    missing = 0
    in_alerts = False
    for line in doc.lines:
        if line.startswith("| Alert Name"):
            in_alerts = True
            continue
        if in_alerts:
            if not line.startswith("|"):
                in_alerts = False
            elif not re.match(r"^\|\s*-", line) and "](#" not in line:
                missing += 1
        if line.startswith("**Alert:**") and "](#" not in line:
            missing += 1
    return missing


def measure(case: str, text: str) -> Measure:
    doc = markdown.parse(text)
    start = next((i for i, ln in enumerate(doc.lines, 1) if "Paged? Start here" in ln), 0)
    findings = check_markdown(text, "runbook.md", tools=False).findings
    consistency = sum(1 for f in findings if f.rule.startswith("consistency."))
    return Measure(case, len(doc.lines), repeated(doc), repeated_sentences(doc), loops(doc), broken(doc),
                   unlinked(doc), start, consistency)


def cases() -> list[Path]:
    return [p for source in SOURCES for p in sorted(source.glob("*.yaml"))]


def generate(path: Path, keep: Path | None) -> Measure:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers = {k: str(v) for k, v in (case.get("answers") or {}).items()}
    made = runner.generate(case["description"], answers, keep=keep, name=path.stem)
    if not made.markdown:
        raise SystemExit(f"{path.stem}: agent generate wrote nothing (exit {made.returncode}): {made.stderr}")
    return measure(f"{path.parent.name}/{path.stem}", made.markdown)


def summary(rows: list[Measure]) -> dict[str, Any]:
    return {"runbooks": len(rows), "median_lines": statistics.median(r.lines for r in rows),
            "max_lines": max(r.lines for r in rows), "repeated": sum(r.repeated for r in rows),
            "repeated_sentences": sum(r.sentences for r in rows),
            "median_repeated_sentences": statistics.median(r.sentences for r in rows),
            "runbooks_with_repeats": sum(1 for r in rows if r.repeated), "max_loops": max(r.loops for r in rows),
            "broken": sum(r.broken for r in rows), "unlinked": sum(r.unlinked for r in rows),
            "start_within_60": sum(1 for r in rows if 0 < r.start <= 60),
            "consistency": sum(r.consistency for r in rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--compare", type=Path, help="figures written earlier with --json: show before → after")
    parser.add_argument("--keep", type=Path, help="keep the runbooks in this directory")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    rows = runner.parallel_map(lambda p: generate(p, args.keep), cases(), args.jobs)
    before: dict[str, dict[str, Any]] = {}
    if args.compare:
        before = {r["case"]: r for r in json.loads(args.compare.read_text(encoding="utf-8"))["rows"]}
    fields = ("lines", "repeated", "sentences", "loops", "broken", "unlinked", "start", "consistency")
    width = max(len(r.case) for r in rows)
    print(f"{'case':<{width}}  " + "  ".join(f"{f:>12}" for f in fields))
    for r in rows:
        cells = []
        for f in fields:
            now = getattr(r, f)
            was = before.get(r.case, {}).get(f)
            cells.append(f"{f'{was} → {now}' if was is not None else now:>12}")
        print(f"{r.case:<{width}}  " + "  ".join(cells))
    totals = summary(rows)
    if before:
        old = summary([Measure(**{"consistency": 0, "sentences": 0, **row}) for row in before.values()])
        print("\n" + "\n".join(f"{k}: {old[k]} → {v}" for k, v in totals.items()))
    else:
        print("\n" + "\n".join(f"{k}: {v}" for k, v in totals.items()))
    if args.json:
        args.json.write_text(json.dumps({"summary": totals, "rows": [asdict(r) for r in rows]}, indent=1) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
