"""`agent test` on every real runbook in the shared corpus (Markdown nobody on this project wrote):
no crash, and findings that make sense for per-alert runbooks."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from agent.checks import check_file
from agent.checks.findings import Report

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("RUNBOOK_CORPUS", ROOT.parent / "shared" / "corpus"))
FILES = sorted(p for p in CORPUS.rglob("*.md") if p != CORPUS / "README.md") if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS} (CI has it at ../shared/corpus)")


@pytest.fixture(scope="module")
def reports() -> dict[Path, Report]:
    # Static checks without external CLIs keep this fast; the CLI checks are covered elsewhere.
    return {p: check_file(p, tools=False) for p in FILES}


def test_every_corpus_file_is_read(reports: dict[Path, Report]) -> None:
    assert len(reports) >= 300
    for path, report in reports.items():
        lines = path.read_text(encoding="utf-8").count("\n") + 1
        for f in report.findings:
            assert 1 <= f.line <= lines, (path, f)
            assert f.message and f.hint


def test_per_alert_runbooks_are_not_drowned_in_missing_sections(reports: dict[Path, Report]) -> None:
    profiles = Counter(r.profile for r in reports.values())
    assert profiles["alert"] >= 300  # Meaning / Impact / Diagnosis / Mitigation files
    assert profiles["rule"] == 0  # none of them is in the rule's format
    rules = Counter(f.rule for r in reports.values() for f in r.findings)
    # The rule's thirteen sections are never demanded of a per-alert runbook.
    assert not any(f.rule == "structure.missing" and f.severity == "error"
                   for r in reports.values() for f in r.findings)
    # What the corpus README reports is what we find: <placeholder> tokens, $ prompts with output,
    # destructive commands without a warning.
    assert rules["placeholder"] >= 150
    assert rules["shell.prompt"] >= 100  # once per file: bash-tagged blocks with `$ ` prompts
    assert rules["danger.unwarned"] >= 10


def test_known_faults_in_sample_files(reports: dict[Path, Report]) -> None:
    sample = CORPUS / "sample"
    fs = reports[sample / "gitlab__docs__monitoring__filesystem_alerts.md"]
    # "unflagged destructive find -exec rm" (sample/MANIFEST.txt)
    assert any(f.rule == "danger.unwarned" and "find" in f.message for f in fs.findings)
    crash = reports[sample / "promop__content__runbooks__kubernetes__KubePodCrashLooping.md"]
    assert not any(f.severity == "error" for f in crash.findings)
    etcd = reports[sample / "openshift__alerts__cluster-etcd-operator__etcdDatabaseQuotaLowSpace.md"]
    # PromQL inside console fences is read as PromQL, not failed as shell.
    assert not any(f.rule == "shell.syntax" for f in etcd.findings)


def test_sample_with_cli_checks_runs_and_reports_what_it_skipped() -> None:
    sample = sorted((CORPUS / "sample").glob("*.md"))
    assert sample
    skipped: set[str] = set()
    for path in sample:
        report = check_file(path)
        skipped.update(s.split(":")[0] for s in report.skipped)
        for f in report.findings:
            assert f.message and f.hint
    # The openshift samples use `oc`; when it isn't installed that is said, not passed over.
    if shutil.which("oc") is None:
        assert "oc" in skipped
