"""`agent test --alerts` as a CI gate, and `agent generate --from` with `--runbook-base-url --annotate`:
the real CLI, real rule files, a real `git apply` of the patch it writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REPOS = SHARED / "repos"
CORPUS = SHARED / "corpus"
needs_shared = pytest.mark.skipif(not REPOS.is_dir() or not CORPUS.is_dir(),
                                  reason=f"{SHARED} is absent (CI has ../shared beside the checkout)")
AGENT = [sys.executable, "-m", "agent"]


def agent(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AGENT, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def rules(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


RULES = """
    groups:
      - name: orders
        rules:
          - alert: OrdersDown
            expr: up{job="orders"} == 0
            for: 2m
            labels: {severity: critical}
            annotations:
              runbook_url: runbook.md#ordersdown
          - alert: OrdersSlow
            expr: histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m])) > 0.5
            annotations:
              runbook_url: runbook.md#orders-slow
          - alert: OrdersNoUrl
            expr: up == 0
          - alert: OrdersHalf
            expr: up == 0
            annotations:
              runbook_url: runbook.md#ordershalf
          - alert: OrdersElsewhere
            expr: up == 0
            annotations:
              runbook_url: https://runbooks.example.com/orders/OrdersElsewhere
          - record: job:up:sum
            expr: sum(up) by (job)
"""
RUNBOOK = """
    # Orders alerts

    ## OrdersDown

    ### Meaning
    The orders API is not scraped.

    ### Impact
    Checkout fails.

    ### Diagnosis
    `kubectl get pods -n shop`

    ### Mitigation
    Roll back the last deploy.

    ## OrdersHalf

    **Symptoms:** up is 0
    **Check:** the pods
"""


def test_gaps_fail_the_gate_with_one_finding_each_at_the_rule(tmp_path: Path) -> None:
    rules(tmp_path / "alerts.yml", RULES)
    (tmp_path / "runbook.md").write_text(textwrap.dedent(RUNBOOK).lstrip())
    done = agent("test", "--alerts", "alerts.yml", "runbook.md", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    payload = json.loads(done.stdout)
    assert payload["alerts"] == {"alerts": 5, "covered": 1, "gaps": 3, "remote": 1, "rule_files": 1}
    found = {(f["rule"], f["message"].split(":")[0]) for r in payload["reports"] for f in r["findings"]}
    assert ("alerts.runbook-url-missing", "alert OrdersNoUrl has no runbook_url annotation") in found
    assert ("alerts.anchor-missing", "alert OrdersSlow") in found
    assert ("alerts.runbook-url-remote", "alert OrdersElsewhere") in found
    incomplete = next(f for r in payload["reports"] for f in r["findings"] if f["rule"] == "alerts.entry-incomplete")
    assert incomplete["file"] == "runbook.md" and "impact, mitigation" in incomplete["message"]
    lines = (tmp_path / "alerts.yml").read_text().splitlines()
    missing = next(f for r in payload["reports"] for f in r["findings"] if f["rule"] == "alerts.runbook-url-missing")
    assert "alert: OrdersNoUrl" in lines[missing["line"] - 1]


def test_sarif_and_text_carry_the_same_findings(tmp_path: Path) -> None:
    rules(tmp_path / "alerts.yml", RULES)
    (tmp_path / "runbook.md").write_text(textwrap.dedent(RUNBOOK).lstrip())
    sarif = json.loads(agent("test", "--alerts", "alerts.yml", "runbook.md", "--format", "sarif", cwd=tmp_path).stdout)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"alerts.runbook-url-missing", "alerts.anchor-missing",
                                               "alerts.runbook-url-remote", "alerts.entry-incomplete"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"alerts.yml",
                                                                                                  "runbook.md"}
    text = agent("test", "--alerts", "alerts.yml", "runbook.md", cwd=tmp_path)
    assert "5 alerts in 1 rule files: 1 with a complete runbook entry, 3 gaps, 1 remote" in text.stdout
    assert "runbook.md has no heading #orders-slow" in text.stdout and "did you mean #" in text.stdout
    # a remote link alone is not a gap: with the others fixed, the default gate passes, --fail-on warning fails
    rules(tmp_path / "ok.yml", """
        groups:
          - name: x
            rules:
              - alert: OrdersDown
                expr: up == 0
                annotations: {runbook_url: "./runbook.md#ordersdown"}
              - alert: OrdersElsewhere
                expr: up == 0
                annotations: {runbook_url: "https://runbooks.example.com/x"}
    """)
    assert agent("test", "--alerts", "ok.yml", "runbook.md", cwd=tmp_path).returncode == 0
    assert agent("test", "--alerts", "ok.yml", "runbook.md", "--fail-on", "warning", cwd=tmp_path).returncode == 1


def test_prometheusrule_objects_and_bad_input(tmp_path: Path) -> None:
    rules(tmp_path / "pr.yaml", """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: monitoring.coreos.com/v1
            kind: PrometheusRule
            metadata: {name: orders}
            spec:
              groups:
                - name: orders
                  rules:
                    - alert: OrdersDown
                      expr: up == 0
    """)
    done = agent("test", "--alerts", "pr.yaml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1 and json.loads(done.stdout)["alerts"]["gaps"] == 1
    (tmp_path / "tpl.yaml").write_text("groups:\n{{- range .Values.x }}\n  - name: {{ . }}\n{{- end }}\n")
    done = agent("test", "--alerts", "tpl.yaml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1 and "alerts.rules-unreadable" in done.stdout
    done = agent("test", "--alerts", "missing.yml", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: no such file: missing.yml")
    assert "Traceback" not in done.stderr


@needs_shared
def test_the_public_per_alert_runbooks_cover_a_rule_pointing_at_them(tmp_path: Path) -> None:
    pages = sorted((CORPUS / "prometheus-operator" / "content" / "runbooks" / "node").glob("Node*.md"))[:5]
    body = "groups:\n- name: node\n  rules:\n" + "".join(
        f"  - alert: {p.stem}\n    expr: up == 0\n    annotations:\n"
        f"      runbook_url: https://runbooks.prometheus-operator.dev/runbooks/node/{p.name}\n" for p in pages)
    (tmp_path / "node.yml").write_text(body)
    done = agent("test", "--alerts", "node.yml", *map(str, pages), "--format", "json", cwd=tmp_path)
    payload = json.loads(done.stdout)
    complete = [p for p in pages if all(f"## {part}" in p.read_text() for part in
                                        ("Meaning", "Impact", "Diagnosis", "Mitigation"))]
    assert payload["alerts"]["covered"] == len(complete) and payload["alerts"]["alerts"] == len(pages)
    assert done.returncode == (0 if len(complete) == len(pages) else 1)


@needs_shared
def test_the_exporter_rules_have_no_runbook_urls_so_every_alert_is_a_gap(tmp_path: Path) -> None:
    folder = REPOS / "awesome-prometheus-alerts" / "dist" / "rules"
    expected = sum(1 for f in folder.rglob("*.yml") for d in yaml.safe_load_all(f.read_text()) if d
                   for g in d.get("groups") or [] for r in g.get("rules") or [] if "alert" in r)
    done = agent("test", "--alerts", str(folder), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1
    assert json.loads(done.stdout)["alerts"]["gaps"] == expected


@needs_shared
def test_generate_from_rules_annotate_apply_and_the_gate_passes(tmp_path: Path) -> None:
    """The whole loop: a runbook from the repository, the patch applied with git, zero gaps."""
    repo = tmp_path / "repo"
    shutil.copytree(REPOS / "awesome-compose" / "flask-redis", repo)
    (repo / "monitoring").mkdir()
    picked = REPOS / "awesome-prometheus-alerts" / "dist" / "rules" / "redis" / "oliver006-redis-exporter.yml"
    shutil.copy(picked, repo / "monitoring" / "redis.yml")
    for path in repo.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    done = agent("generate", "--from", str(repo), "--criticality", "high", "--oncall", "24x7", "--type", "web",
                 "--runbook-base-url", "https://git.example.com/shop/blob/main/tasks/", "--annotate",
                 "--format", "json", cwd=work)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    runbook = Path(payload["path"])
    alert_names = [r["alert"] for g in yaml.safe_load(picked.read_text())["groups"] for r in g["rules"]]
    links = payload["runbook_urls"]["links"]
    assert [link["alert"] for link in links] == alert_names
    page = "https://git.example.com/shop/blob/main/tasks/" + runbook.name
    assert all(link["runbook_url"].startswith(page + "#issue-") for link in links)
    text = runbook.read_text()
    for name in alert_names:  # one row with the real expression and one entry per alert
        assert f"| {name} |" in text and f"#### Issue: {name}\n" in text
    assert "(suggested)" in text  # the engine's own alerts, marked
    patch = Path(payload["runbook_urls"]["patch"])
    assert patch.parent == runbook.parent and patch.name.endswith(".alerts.patch")
    before = agent("test", "--alerts", str(repo / "monitoring"), str(runbook), "--format", "json", cwd=work)
    assert json.loads(before.stdout)["alerts"]["gaps"] == len(alert_names) and before.returncode == 1
    subprocess.run(["git", "-C", str(repo), "apply", str(patch)], check=True)
    after = agent("test", "--alerts", str(repo / "monitoring"), str(runbook.relative_to(work)), "--format", "json",
                  cwd=work)
    assert after.returncode == 0, after.stdout
    assert json.loads(after.stdout)["alerts"] == {"alerts": len(alert_names), "covered": len(alert_names), "gaps": 0,
                                                  "remote": 0, "rule_files": 1}
    annotated = yaml.safe_load((repo / "monitoring" / "redis.yml").read_text())
    assert [r["expr"] for g in annotated["groups"] for r in g["rules"]] == [
        r["expr"] for g in yaml.safe_load(picked.read_text())["groups"] for r in g["rules"]]  # only URLs added


def test_annotate_needs_from_and_a_base_url(tmp_path: Path) -> None:
    done = agent("generate", "orders API on Kubernetes", "--annotate", cwd=tmp_path)
    assert done.returncode == 2 and "--annotate" in done.stderr and "Traceback" not in done.stderr
    done = agent("generate", "--from", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == 2 and "no such file or folder" in done.stderr
    assert not (tmp_path / "tasks").exists()
