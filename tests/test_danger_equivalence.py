"""Moving a rule from danger.py into the catalogue's data keeps its meaning: every command of the
corpus (tests/danger_corpus.py) gets the class recorded in tests/data/danger_snapshot.json (the
classifier before the move), except the reviewed changes of tests/data/danger_changes.json, each
with why (the catalogue knows an option the old rules did not: curl --trace writes a file, ...)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.danger_corpus import SNAPSHOT, classes, digest

CHANGES = Path(__file__).parent / "data" / "danger_changes.json"


def _unexplained(recorded: dict[str, str], reviewed: dict[str, dict[str, str]],
                 now: dict[str, tuple[str, str]]) -> list[str]:
    return [
        f"{recorded[d]} -> {v}: {k.replace(chr(0), ' | ')[:160]}"
        for d, (k, v) in now.items()
        if d in recorded and recorded[d] != v and reviewed.get(d, {}).get("to") != v
    ]


def test_every_recorded_command_keeps_its_class_or_a_reviewed_change() -> None:
    recorded: dict[str, str] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    reviewed: dict[str, dict[str, str]] = json.loads(CHANGES.read_text(encoding="utf-8"))
    now = {digest(k): (k, v) for k, v in classes().items()}
    unexplained = _unexplained(recorded, reviewed, now)
    assert not unexplained, f"{len(unexplained)} commands changed class:\n" + "\n".join(sorted(unexplained)[:60])
    # A reviewed change that no longer happens is stale: the snapshot and the review agree again.
    stale = [d for d, c in reviewed.items() if d in now and now[d][1] == recorded.get(d)]
    assert not stale, f"reviewed changes that no longer happen: {stale}"
    assert all(c["why"] for c in reviewed.values())
    # Nothing that was read-only before and is destructive now slipped in unreviewed, and the run read
    # the corpus that was recorded (a missing shared corpus only skips its share).
    assert len(set(now) & set(recorded)) >= 0.5 * len(recorded)


def test_the_comparison_sees_a_change() -> None:
    """A recorded command given another class, and a reviewed change given a third, both count."""
    recorded: dict[str, str] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    reviewed: dict[str, dict[str, str]] = json.loads(CHANGES.read_text(encoding="utf-8"))
    key, level = next((k, v) for k, v in classes(shared=False).items() if v == "read-only")
    assert recorded[digest(key)] == level
    assert len(_unexplained(recorded, reviewed, {digest(key): (key, "destructive")})) == 1
    d, change = next(iter(reviewed.items()))
    third = next(c for c in ("read-only", "mutating", "destructive") if c not in (change["from"], change["to"]))
    assert len(_unexplained(recorded, reviewed, {d: ("x", third)})) == 1
    assert _unexplained(recorded, reviewed, {d: ("x", change["to"])}) == []
