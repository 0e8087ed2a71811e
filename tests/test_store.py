from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from agent import store
from agent.errors import GitError, RunbookFileError, UsageError


@pytest.mark.parametrize(("name", "slug"), [("Orders API", "orders-api"), ("payments_worker v2", "payments-worker-v2"),
                                            ("  Élan!! DB ", "lan-db")])
def test_slugify(name: str, slug: str) -> None:
    assert store.slugify(name) == slug


@pytest.mark.parametrize("name", ["../../etc", "a/b", "..", ".hidden", "", "   ", "!!!", "c:\\x"])
def test_slug_refuses_paths_and_empties(name: str) -> None:
    with pytest.raises(UsageError):
        store.slugify(name)


def test_runbook_path_cannot_escape(tmp_path: Path) -> None:
    assert store.runbook_path(tmp_path, "x").parent == tmp_path.resolve()
    with pytest.raises(UsageError):
        store.runbook_path(tmp_path, "x", "../runbook-[service-name].md")


def test_write_is_atomic_and_never_clobbers(tmp_path: Path) -> None:
    target = tmp_path / "runbook-x.md"
    store.write_atomic(target, "one\n", force=False)
    with pytest.raises(RunbookFileError, match="already exists"):
        store.write_atomic(target, "two\n", force=False)
    assert target.read_text() == "one\n"
    store.write_atomic(target, "three\n", force=True)
    assert target.read_text() == "three\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runbook-x.md"]  # no temporary files left


def test_unwritable_out_dir(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(RunbookFileError, match="cannot create out dir"):
            store.check_out_dir(blocker / "sub")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(RunbookFileError, match="not writable"):
            store.check_out_dir(locked)


def test_tracking_rows_follow_the_rule(tmp_path: Path) -> None:
    tracking = tmp_path / "RUNBOOK_TRACKING.md"
    when = datetime(2026, 11, 28, 9, 30)
    store.record(tracking, "orders-api", "1.0", when, "Orders API")
    store.record(tracking, "billing", "1.0", when, "Billing")
    store.record(tracking, "orders-api", "1.1", when, "Orders API")
    lines = tracking.read_text().splitlines()
    assert lines[0].startswith("| Runbook |")
    assert "| runbook-billing | v1.0 | 2026-11-28 | Billing |" in lines
    orders = [line for line in lines if "orders-api" in line]
    assert orders == ["| runbook-orders-api | v1.1 | 2026-11-28 | Orders API |"]


def test_commit_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not inside a git repository"):
        store.git_root(tmp_path)


def test_commit_uses_the_rule_message(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for key, value in (("user.name", "Test"), ("user.email", "t@example.com")):
        subprocess.run(["git", "-C", str(tmp_path), "config", key, value], check=True)
    (tmp_path / "tasks").mkdir()
    runbook = tmp_path / "tasks" / "runbook-x.md"
    runbook.write_text("# Runbook: X\n")
    (tmp_path / "unrelated.txt").write_text("keep me out of the commit")
    subprocess.run(["git", "-C", str(tmp_path), "add", "unrelated.txt"], check=True)
    done = store.commit([runbook], store.commit_message("X", "High", "24/7 coverage"))
    log = subprocess.run(["git", "-C", str(tmp_path), "log", "-1", "--format=%B", "--name-only"],
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("Runbook: X\n\n- Service: X\n- Criticality: High\n- On-call: 24/7 coverage")
    assert "tasks/runbook-x.md" in log and "unrelated.txt" not in log
    assert len(done.sha) >= 7


@pytest.mark.parametrize(("title", "slug"), [("CI/CD runner", "ci-cd-runner"), ("../../etc", "etc"), ("!!!", "service"),
                                             ("Orders API", "orders-api")])
def test_titles_the_model_wrote_become_safe_slugs(title: str, slug: str) -> None:
    assert store.title_slug(title) == slug
