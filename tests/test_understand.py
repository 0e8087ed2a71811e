"""The understand step through the real entry point: what `agent generate` understood, the saved model
beside the runbook, regeneration from an edited model, flag contradictions, --strict, and
`agent test --service-model` catching names that drift from the service."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from agent.service import files

DESCRIPTION = ("The ledger API runs as deployment ledger-api in namespace ledger on the EKS cluster fin-eks in "
               "eu-west-1. It writes to the PostgreSQL database ledger on the RDS instance ledger-db and reads the "
               "Kafka topic payments (consumer group ledger-writer).")
ANSWERS = ["--type", "api", "--criticality", "high", "--monitoring", "prometheus", "--oncall", "24x7",
           "--no-tool-checks"]


def agent(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("understand")
    result = agent("generate", DESCRIPTION, *ANSWERS, "--env", "kubernetes", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "Service model in tasks/runbook-ledger-api.service.yaml" in result.stdout
    return root


def test_the_model_is_saved_beside_the_runbook(generated: Path) -> None:
    model = files.load(generated / "tasks" / "runbook-ledger-api.service.yaml")
    app = model.app
    assert app is not None and app.name("deployment") == "ledger-api" and app.name("namespace") == "ledger"
    kafka = model.component("kafka")
    assert kafka is not None and kafka.name("consumer_group") == "ledger-writer"
    assumed = {(p.path, p.value) for p in model.sourced() if p.origin == "assumed"}
    assert ("components[postgresql].names.user", "postgres") in assumed  # the engine's defaults are visible
    runbook = (generated / "tasks" / "runbook-ledger-api.md").read_text()
    assert "components[postgresql].names.user = 'postgres'" in runbook  # … and listed under "Assumed, not told"


def test_a_correction_in_the_file_survives_regeneration(generated: Path) -> None:
    path = generated / "tasks" / "runbook-ledger-api.service.yaml"
    text = path.read_text().replace("value: ledger-writer", "value: ledger-writer-v2")
    path.write_text(text)
    result = agent("generate", "--service-model", str(path), *ANSWERS, "--env", "kubernetes", "--force",
                   cwd=generated)
    assert result.returncode == 0, result.stderr
    runbook = (generated / "tasks" / "runbook-ledger-api.md").read_text()
    assert "--group ledger-writer-v2" in runbook and "--group ledger-writer " not in runbook
    again = files.load(path)
    assert again.component("kafka").name("consumer_group") == "ledger-writer-v2"  # type: ignore[union-attr]


def test_a_malformed_model_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.service.yaml"
    bad.write_text("service: {name: x, display: X, kind: '', purpose: '', runtime: ''}\n"
                   "components:\n- id: app\n  kind: service\n  names: [{role: deploymnet, value: x}]\n")
    result = agent("generate", "--service-model", str(bad), *ANSWERS, "--env", "kubernetes", cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: ") and "bad.service.yaml" in lines[0] and "names[0].role" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "tasks").exists() or not any((tmp_path / "tasks").iterdir())


def test_a_flag_contradicting_the_description_is_said_without_a_terminal(tmp_path: Path) -> None:
    result = agent("generate", DESCRIPTION, *ANSWERS, "--env", "serverless", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"--env serverless contradicts the description \('EKS'\), which says kubernetes: "
                     r"following --env", result.stderr)
    model = files.load(tmp_path / "tasks" / "runbook-ledger-api.service.yaml")
    (conflict,) = model.conflicts
    assert conflict.values == ["kubernetes", "serverless"] and conflict.resolved_by == ""
    assert "platform.environment: sources disagree (kubernetes, serverless); used 'serverless'" in (
        tmp_path / "tasks" / "runbook-ledger-api.md").read_text()


def test_strict_refuses_and_names_the_points(tmp_path: Path) -> None:
    result = agent("generate", DESCRIPTION + " It also syncs `fin-archive-7`.", *ANSWERS, "--env", "kubernetes",
                   "--strict", cwd=tmp_path)
    assert result.returncode == 2
    assert "--strict" in result.stderr and "fin-archive-7" in result.stderr
    assert not (tmp_path / "tasks" / "runbook-ledger-api.md").exists()


def test_verbose_prints_the_model_values(tmp_path: Path) -> None:
    result = agent("generate", DESCRIPTION, *ANSWERS, "--env", "kubernetes", "-v", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Service model (what the runbook was written from):" in result.stderr
    assert re.search(r"app \[service.*deployment ledger-api · namespace ledger · cluster fin-eks", result.stderr)
    assert re.search(r"kafka.*topic payments · consumer group ledger-writer", result.stderr)


def test_agent_test_finds_names_the_model_does_not_have(generated: Path) -> None:
    runbook = generated / "tasks" / "runbook-ledger-api.md"
    model = generated / "tasks" / "runbook-ledger-api.service.yaml"
    clean = agent("test", str(runbook), "--service-model", str(model), "--no-tools", cwd=generated)
    assert "grounding.unknown-name" not in clean.stdout, clean.stdout
    drifted = generated / "drifted.md"
    drifted.write_text(runbook.read_text().replace("-n ledger ", "-n ledgr ", 1)
                       .replace("--db-instance-identifier ledger-db", "--db-instance-identifier ledger-prod", 1))
    result = agent("test", str(drifted), "--service-model", str(model), "--no-tools", cwd=generated)
    assert "'ledgr' at `kubectl -n` (namespace) is not a name of this service" in result.stdout
    assert "'ledger-prod' at `aws --db-instance-identifier` (instance)" in result.stdout


def test_on_a_terminal_it_shows_what_it_understood_and_asks(tmp_path: Path) -> None:
    text = DESCRIPTION + " Nightly it archives to `fin-archive-7`."
    child = pexpect.spawn(sys.executable, ["-m", "agent", "generate", text, *ANSWERS, "--env", "serverless"],
                          cwd=str(tmp_path), env={**os.environ, "NO_COLOR": "1"}, encoding="utf-8", timeout=90,
                          dimensions=(60, 220))
    child.expect("Understood:")
    child.expect(r"app \[service.*deployment ledger-api")
    child.expect(r"platform.environment: kubernetes \(description \('EKS'\)\) / serverless \(--env\)\. Which one\?")
    child.expect(r"answer \[serverless\]")
    child.sendline("1")  # the description's
    child.expect(r"'fin-archive-7'.*is not bound to anything")
    child.expect("answer")
    child.sendline("bucket")  # placed by the user
    child.expect("Wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    model = files.load(tmp_path / "tasks" / "runbook-ledger-api.service.yaml")
    assert model.platform.environment == "kubernetes" and model.conflicts[0].resolved_by == "user"
    assert "fin-archive-7" in model.app.names_of("bucket")  # type: ignore[union-attr]
    runbook = (tmp_path / "tasks" / "runbook-ledger-api.md").read_text()
    assert "kubectl" in runbook and "aws lambda" not in runbook  # the user's choice was followed
