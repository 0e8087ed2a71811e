"""Moving a rule from danger.py into the catalogue's data keeps its meaning: every command of the
corpus (tests/danger_corpus.py) gets the class recorded in tests/data/danger_snapshot.json."""

from __future__ import annotations

import json

from tests.danger_corpus import SNAPSHOT, classes, digest


def test_every_recorded_command_keeps_its_class() -> None:
    recorded: dict[str, str] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = classes()
    seen = {digest(k): (k, v) for k, v in now.items()}
    changed = [
        f"{recorded[d]} -> {v}: {k.replace(chr(0), ' | ')[:160]}" for d, (k, v) in seen.items() if d in recorded
        and recorded[d] != v
    ]
    assert not changed, f"{len(changed)} commands changed class:\n" + "\n".join(sorted(changed)[:60])
    # The corpus this run read is the one recorded (a missing shared corpus only skips its share).
    assert len(set(seen) & set(recorded)) >= 0.5 * len(recorded)
