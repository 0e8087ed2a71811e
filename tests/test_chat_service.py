"""`/service` in `agent chat` and corrections of the service model in plain words (real pseudo-terminal)."""

from __future__ import annotations

import re
from pathlib import Path

from agent.service import files
from tests.test_chat import answer, finish, spawn

DESCRIPTION = ("The ledger sync worker reads the Kafka topic payments (consumer group ledger-old) and writes to "
               "PostgreSQL. It runs under systemd on the VMs w-1 and w-2.")


def test_service_shows_the_model_and_plain_words_correct_it(tmp_path: Path) -> None:
    child, transcript = spawn(tmp_path)
    answer(child, "description>", DESCRIPTION)
    for _ in range(12):  # the questions: Enter accepts each suggestion, a letter where there is none
        found = child.expect([r"answer(?: \[(\w)\])?>", r"\? ?>", re.escape("It will be saved to "
                                                                           "tasks/runbook-ledger-sync-worker.md")])
        if found == 2:
            break
        child.sendline("A" if found == 0 and not child.match.group(1) else "")
    answer(child, "runbook>", "/service")
    child.expect(re.escape("The service model the runbook is written from"))
    child.expect(r"kafka.*topic payments · consumer group ledger-old")
    answer(child, "runbook>", "the consumer group is called billing-sync")
    child.expect(re.escape("Revised: Service model: kafka consumer group billing-sync (v1.1, not saved yet)"))
    answer(child, "runbook>", "there are four worker VMs, w-1..w-4")
    child.expect(re.escape("Revised: Service model: app host w-1, w-2, w-3, w-4, replicas 4 (v1.2"))
    answer(child, "runbook>", "/service")
    child.expect(r"host w-1, w-2, w-3, w-4")
    child.expect(r"consumer group billing-sync")
    answer(child, "runbook>", "/save")
    child.expect(re.escape("Saved tasks/runbook-ledger-sync-worker.md"))
    answer(child, "runbook>", "/quit")
    assert finish(child) == 0
    runbook = (tmp_path / "tasks" / "runbook-ledger-sync-worker.md").read_text()
    assert "--group billing-sync" in runbook and "--group ledger-old" not in runbook  # (the quoted description
    assert "w-4" in runbook                                                         # keeps its own words)
    model = files.load(tmp_path / "tasks" / "runbook-ledger-sync-worker.service.yaml")
    assert model.app is not None and model.app.names_of("host") == ["w-1", "w-2", "w-3", "w-4"]
    assert next(n for n in model.component("kafka").names  # type: ignore[union-attr]
                if n.role == "consumer_group").origin == "edited"
