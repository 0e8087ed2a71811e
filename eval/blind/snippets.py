"""The self-check a blind batch's author runs on its cases before any run: hand-written GOOD and BAD
snippets per case graded with the grader's own `load_case`, `matches` and `command_text`. In GOOD every
`must` matches and no `must_not` hits; in BAD every `must_not` hits. Every name under `names:` and
every plain-substring `must` appears in its description; each case has 8-16 `must` and 4-7 `must_not`.

Each batch's `check_patterns.py` holds its snippets and calls `check`.
"""

from __future__ import annotations

from pathlib import Path

from eval.blind.score import command_text, load_case, matches


def check(here: Path, prefix: str, good: dict[str, str], bad: dict[str, str], expected: int | None = None) -> int:
    """Print one line per case and every problem; 0 when there is none (and `expected` cases, if given)."""
    files = sorted(here.glob(f"{prefix}*.yaml"))
    errors: list[str] = []
    n_must = n_not = 0
    for f in files:
        case = load_case(f)
        g, b = good.get(case.id), bad.get(case.id)
        if g is None or b is None:
            errors.append(f"{case.id}: no GOOD/BAD snippet")
            continue
        if not 8 <= len(case.must) <= 16:
            errors.append(f"{case.id}: {len(case.must)} must entries (want 8-16)")
        if not 4 <= len(case.must_not) <= 7:
            errors.append(f"{case.id}: {len(case.must_not)} must_not entries (want 4-7)")
        n_must += len(case.must)
        n_not += len(case.must_not)
        gcmd, bcmd = command_text(g), command_text(b)
        for p in case.must:
            if not matches(p, g, gcmd):
                errors.append(f"{case.id}: GOOD misses must {p!r}")
            plain = p.removeprefix("cmd:")
            if not plain.startswith("re:") and plain.casefold() not in case.description.casefold():
                errors.append(f"{case.id}: plain must {plain!r} not in description")
        for p in case.must_not:
            if matches(p, g, gcmd):
                errors.append(f"{case.id}: GOOD hits must_not {p!r}")
            if not matches(p, b, bcmd):
                errors.append(f"{case.id}: BAD misses must_not {p!r}")
        for role, values in case.names.items():
            for v in values:
                if v.casefold() not in case.description.casefold():
                    errors.append(f"{case.id}: name {role}={v!r} not in description")
        print(f"{case.id}: must {len(case.must)}, must_not {len(case.must_not)}, "
              f"names {sum(len(v) for v in case.names.values())}")
    for e in errors:
        print("FAIL", e)
    print(f"{len(files)} cases, {n_must} must entries, {n_not} must_not entries, {len(errors)} problems")
    return 1 if errors or not files or (expected is not None and len(files) != expected) else 0
