"""The corpus the danger classifier's equivalence test reads: every command of the generated runbooks
(each type x environment of tests/test_checks_generated.py), of the hostile suite (tests/hostile/*.md),
of the fixtures and of the shared corpus (../shared/corpus, when present).

`python -m tests.danger_corpus --write` records each distinct command's class (by a digest of its
text: the shared corpus is others' text) in tests/data/danger_snapshot.json, the classifier before
its rules moved into the catalogue; tests/test_danger_equivalence.py asserts every recorded command
keeps its class or has a reviewed change in tests/data/danger_changes.json. `--diff` prints the
commands whose class changed, as entries for that file (fill in each `why` after review).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).parent / "data" / "danger_snapshot.json"
CORPUS = Path(os.environ.get("RUNBOOK_CORPUS", ROOT.parent / "shared" / "corpus"))
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")


def _generated() -> Iterator[tuple[str, str]]:
    from tests.test_checks_generated import COMBOS, _markdown

    for combo in COMBOS:
        yield f"generated:{combo[0]}-{combo[1]}", _markdown(*combo)


def documents(shared: bool = True) -> Iterator[tuple[str, str]]:
    """(name, markdown) of every document of the corpus."""
    yield from _generated()
    for folder in (ROOT / "tests" / "hostile", ROOT / "tests" / "fixtures"):
        for path in sorted(folder.rglob("*.md")):
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8", errors="replace")
    if shared and CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*.md")):
            yield "corpus:" + str(path.relative_to(CORPUS)), path.read_text(encoding="utf-8", errors="replace")


def commands(shared: bool = True) -> dict[str, tuple[str, str, str]]:
    """Each distinct (language, command text) → (language, text, where first seen)."""
    from agent.checks import extract, markdown

    out: dict[str, tuple[str, str, str]] = {}
    for name, text in documents(shared):
        for cmd in extract.all_commands(markdown.parse(text)):
            key = f"{cmd.language}\x00{cmd.text}"
            out.setdefault(key, (cmd.language, cmd.text, name))
    return out


def classes(shared: bool = True) -> dict[str, str]:
    """Each distinct command → its class, by the classifier as it is now."""
    from agent.checks import danger, extract, markdown

    out: dict[str, str] = {}
    for _name, text in documents(shared):
        for cmd in extract.all_commands(markdown.parse(text)):
            key = f"{cmd.language}\x00{cmd.text}"
            if key not in out:
                out[key] = danger.classify_command(cmd)[0]
            for simple in cmd.simple if cmd.language == "shell" else []:  # each simple command on its own too
                skey = "simple\x00" + " ".join(simple.argv)
                if skey not in out:
                    out[skey] = danger.classify_simple(simple)[0]
    return out


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def main(argv: list[str]) -> int:
    found = classes()
    if "--write" in argv:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        # keyed by a digest: the shared corpus is others' text, not ours to copy into the repository
        rows = dict(sorted((digest(k), v) for k, v in found.items()))
        SNAPSHOT.write_text(json.dumps(rows, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {len(rows)} commands to {SNAPSHOT}")
        return 0
    if "--diff" in argv:  # entries for tests/data/danger_changes.json: fill in each `why` after review
        recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
        for key, level in sorted(found.items()):
            d = digest(key)
            if d in recorded and recorded[d] != level:
                entry = {"from": recorded[d], "to": level, "why": ""}
                print(f"{json.dumps(d)}: {json.dumps(entry)},  # {key.replace(chr(0), ' | ')[:100]}")
        return 0
    counts: dict[str, int] = {}
    for v in found.values():
        counts[v] = counts.get(v, 0) + 1
    print(len(found), counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
