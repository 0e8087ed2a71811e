"""Run a blind batch (eval/blind/a or b) through `agent generate` and grade each runbook.

    .venv/bin/python eval/blind/score.py --batch a [--json] [--keep DIR] [-j 2]

Per case: names used in their role (eval/grounding), invented names, whether the title carries the
service name, `must` facts found / total and `must_not` red flags hit; then totals. A `must` entry
is a case-insensitive substring, or a Python regex after `re:` (searched with re.MULTILINE), over
the whole runbook; after a `cmd:` prefix, over its command blocks only (comment lines left out).
Batch b is held out: the lead runs it at the end.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import yaml

from eval.grounding import runner
from eval.grounding.roles import ROLE_KINDS, command_blocks
from eval.grounding.score import RunbookScore, pct, score_runbook, table

HERE = Path(__file__).resolve().parent
CASE_KEYS = {"description", "answers", "names", "must", "must_not", "notes"}


class CaseError(ValueError):
    pass


@dataclass
class BlindCase:
    id: str
    description: str
    answers: dict[str, str]
    names: dict[str, list[str]]
    must: list[str]
    must_not: list[str]
    notes: str


@dataclass
class BlindResult:
    case: BlindCase
    returncode: int
    stderr: str
    grounding: RunbookScore | None
    must_found: list[str] = field(default_factory=list)
    must_missing: list[str] = field(default_factory=list)
    must_not_hits: list[str] = field(default_factory=list)


def load_case(path: Path) -> BlindCase:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != CASE_KEYS:
        raise CaseError(f"{path}: expected exactly the keys {sorted(CASE_KEYS)}")
    names = {str(k): [str(x) for x in v] for k, v in data["names"].items()}
    unknown = set(names) - set(ROLE_KINDS)
    if unknown:
        raise CaseError(f"{path}: unknown role(s) {sorted(unknown)}")
    for p in [*data["must"], *data["must_not"]]:
        p = str(p).removeprefix("cmd:")
        if p.startswith("re:"):
            try:
                re.compile(p[3:], re.M)
            except re.error as e:
                raise CaseError(f"{path}: bad regex {p!r}: {e}") from e
    return BlindCase(path.stem, str(data["description"]).strip(), {str(k): str(v) for k, v in
                                                                   (data["answers"] or {}).items()},
                     names, [str(x) for x in data["must"]], [str(x) for x in data["must_not"]], str(data["notes"]))


def load_batch(batch: str) -> list[BlindCase]:
    d = HERE / batch
    files = sorted(d.glob("*.yaml"))
    if not files:
        raise CaseError(f"no cases in {d}")
    return [load_case(f) for f in files]


def command_text(markdown: str) -> str:
    """The runbook's command blocks without their comment lines (what a reader would paste and run)."""
    out: list[str] = []
    for b in command_blocks(markdown):
        out += [ln for ln in b.text.splitlines() if not re.match(r"\s*(#|--\s|//)", ln)]
    return "\n".join(out)


def matches(pattern: str, text: str, commands: str | None = None) -> bool:
    """`cmd:` limits a pattern to the commands: a warning against FLUSHALL is not a FLUSHALL."""
    if pattern.startswith("cmd:"):
        pattern, text = pattern[4:], commands if commands is not None else command_text(text)
    if pattern.startswith("re:"):
        return re.search(pattern[3:], text, re.M) is not None
    return pattern.casefold() in text.casefold()


def grade(case: BlindCase, markdown: str, returncode: int = 0, stderr: str = "") -> BlindResult:
    if not markdown:
        return BlindResult(case, returncode, stderr, None, [], list(case.must), [])
    res = BlindResult(case, returncode, stderr, score_runbook(markdown, case.names))
    commands = command_text(markdown)
    for p in case.must:
        (res.must_found if matches(p, markdown, commands) else res.must_missing).append(p)
    res.must_not_hits = [p for p in case.must_not if matches(p, markdown, commands)]
    return res


def run_batch(batch: str, keep: Path | None = None, jobs: int = 2) -> list[BlindResult]:
    cases = load_batch(batch)

    def one(c: BlindCase) -> BlindResult:
        g = runner.generate(c.description, c.answers, keep=keep, name=c.id)
        return grade(c, g.markdown, g.returncode, g.stderr)

    return runner.parallel_map(one, cases, jobs)


def render(results: list[BlindResult]) -> str:
    rows = []
    tot = {"found": 0, "given": 0, "inv": 0, "title": 0, "mf": 0, "mt": 0, "mn": 0, "mnt": 0}
    for r in results:
        g = r.grounding
        mf, mt = len(r.must_found), len(r.case.must)
        tot["mf"] += mf
        tot["mt"] += mt
        tot["mn"] += len(r.must_not_hits)
        tot["mnt"] += len(r.case.must_not)
        if g is None:
            given = sum(len(v) for v in r.case.names.values())
            tot["given"] += given
            rows.append([r.case.id, f"0/{given}", "-", "-", "NOT WRITTEN", f"0/{mt}", "-"])
            continue
        tot["found"] += g.found_total
        tot["given"] += g.given_total
        tot["inv"] += len(g.invented)
        tot["title"] += int(g.title_ok)
        rows.append([r.case.id, f"{g.found_total}/{g.given_total}", pct(g.found_total, g.given_total),
                     str(len(g.invented)), "yes" if g.title_ok else f"NO ({g.title})", f"{mf}/{mt}",
                     f"{len(r.must_not_hits)}/{len(r.case.must_not)}"])
    rows.append(["TOTAL", f"{tot['found']}/{tot['given']}", pct(tot["found"], tot["given"]), str(tot["inv"]),
                 f"{tot['title']}/{len(results)}", f"{tot['mf']}/{tot['mt']} ({pct(tot['mf'], tot['mt'])})",
                 f"{tot['mn']}/{tot['mnt']}"])
    out = [table(["case", "names in role", "share", "invented", "title", "must", "must_not hit"], rows), ""]
    for r in results:
        g = r.grounding
        out.append(f"## {r.case.id}")
        if g is None:
            out.append(f"  not written (exit {r.returncode}): {r.stderr[-300:]}")
            continue
        missing = [f"{x.role}:{m}" for x in g.roles.values() for m in x.missing]
        if missing:
            out.append("  names not in their role: " + ", ".join(missing))
        if g.invented:
            out.append("  invented: " + ", ".join(f"{'/'.join(i.kinds)}={i.value}" for i in g.invented))
        for p in r.must_missing:
            out.append(f"  must missing: {p}")
        for p in r.must_not_hits:
            out.append(f"  must_not hit: {p}")
    return "\n".join(out)


def to_json(results: list[BlindResult]) -> list[dict[str, Any]]:
    out = []
    for r in results:
        g = r.grounding
        out.append({
            "case": r.case.id, "written": g is not None, "returncode": r.returncode,
            "names_found": g.found_total if g else 0,
            "names_given": g.given_total if g else sum(len(v) for v in r.case.names.values()),
            "missing": {x.role: x.missing for x in g.roles.values() if x.missing} if g else {},
            "invented": [{"kinds": i.kinds, "value": i.value} for i in g.invented] if g else [],
            "title": g.title if g else "", "title_ok": g.title_ok if g else False,
            "must_found": len(r.must_found), "must_total": len(r.case.must), "must_missing": r.must_missing,
            "must_not_hits": r.must_not_hits,
        })
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Grade the runbooks the agent writes for a blind batch.")
    ap.add_argument("--batch", required=True, help="a or b (a directory under eval/blind/)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", type=Path, help="copy the runbooks into DIR")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    if not re.fullmatch(r"[a-z0-9_-]+", a.batch):
        print(f"error: bad batch name {a.batch!r}", file=sys.stderr)
        return 2
    try:
        results = run_batch(a.batch, a.keep, a.jobs)
    except (CaseError, RuntimeError, OSError, yaml.YAMLError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(to_json(results), indent=2) if a.json else render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
