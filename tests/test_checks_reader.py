"""Reading any Markdown runbook: fences with or without tags, `$ ` prompts with output, inline commands."""

from __future__ import annotations

from agent.checks import check_markdown, extract, markdown


def test_prompts_output_and_continuations() -> None:
    text = (
        "# T\n\n## Diagnosis\n\n```console\n$ kubectl get pods -n monitoring \\\n    -l app=prometheus\n"
        "NAME          READY   STATUS\nprometheus-0  2/2     Running\n$ oc get nodes\nnode-1   Ready\n```\n"
    )
    doc = markdown.parse(text)
    [block] = doc.blocks
    assert block.language == "shell"
    commands = extract.block_commands(block)
    assert [c.text for c in commands] == ["kubectl get pods -n monitoring -l app=prometheus", "oc get nodes"]
    assert [c.line for c in commands] == [6, 10]
    script = extract.script_of(block)
    assert "READY" not in script.text
    assert [n for n, t in zip(script.lines, script.text.split("\n"), strict=True) if t.strip()] == [6, 7, 10]


def test_fences_in_lists_tildes_untagged_and_front_matter() -> None:
    text = (
        "---\ntitle: x\n---\n# Alert\n\n1. Check the pods:\n\n   ```bash\n   kubectl get pods -n x\n   ```\n\n"
        "~~~sql\nSELECT 1;\n~~~\n\n```\nkubectl describe pod p -n x\n```\n\n```\nsome output line\n```\n\n"
        "```\nsum(rate(http_requests_total[5m]))\n```\n"
    )
    doc = markdown.parse(text)
    assert [h.text for h in doc.headings] == ["Alert"]  # front matter is not a heading
    assert [(b.language, b.line) for b in doc.blocks] == [
        ("shell", 9), ("sql", 13), ("shell", 17), ("other", 21), ("promql", 25)]


def test_inline_commands_are_read_and_checked() -> None:
    text = "# T\n\n## Mitigation\n\nRun `kubectl delete pvc data-0 -n db` to free space, then `ls`.\n"
    report = check_markdown(text, "t.md", tools=False, profile="generic")
    [finding] = report.findings
    assert finding.rule == "danger.unwarned" and finding.severity == "warning" and finding.line == 5


def test_heredoc_sql_is_parsed_with_postgres_parser() -> None:
    text = "# T\n\n## S\n\n```bash\npsql -X <<'SQL'\nSELECT pid, FROM pg_stat_activity;\nSQL\n```\n"
    report = check_markdown(text, "t.md", tools=False, profile="generic")
    assert [f.rule for f in report.findings] == ["sql.syntax"]


def test_psql_variables_and_grafana_variables_are_not_errors() -> None:
    text = ("# T\n\n## S\n\n```sql\nSELECT * FROM pg_stat_activity WHERE datname = :'db';\n```\n\n"
            "```promql\nrate(http_requests_total{job=\"$job\"}[$__rate_interval])\n```\n")
    assert check_markdown(text, "t.md", tools=False, profile="generic").findings == []


def test_profiles() -> None:
    alert = "# KubePodCrashLooping\n\n## Meaning\n\nx\n\n## Impact\n\ny\n\n## Diagnosis\n\nz\n"
    report = check_markdown(alert, "a.md", tools=False)
    assert report.profile == "alert"
    assert [(f.rule, f.severity) for f in report.findings] == [("structure.missing", "warning")]  # Mitigation
    forced = check_markdown(alert, "a.md", tools=False, profile="rule")
    assert sum(f.rule == "structure.missing" for f in forced.findings) == 13


ODD_INPUTS = [
    "",
    "```",
    "```bash\nif [ \"$(echo $((1 + $(date +%s)))\" ]; then\n",
    "```bash\necho \"unclosed\n```\n",
    "```bash\ncat <<EOF\nno end\n```\n",
    "```bash\n" + "$(" * 50 + "x" + ")" * 50 + "\n```\n",
    "```sql\nSELECT 'unterminated\n```\n",
    "```promql\nsum(rate(x[5m]\n```\n",
    "```redis\n\n127.0.0.1:6379> \n```\n",
    "> **Warning:**\n```bash\nkubectl delete\n```\n",
    "`kubectl` `kubectl get` `oc get pods -n x |`\n",
    "# [link](#) [x](#nowhere) [y](<#a b>)\n",
    "```bash\n" + "echo x\n" * 3000 + "```\n",
    "\x00\x01 binary-ish \ufffd text\n```bash\n\x00\n```\n",
]


def test_odd_inputs_never_crash() -> None:
    for text in ODD_INPUTS:
        report = check_markdown(text, "odd.md", tools=False)
        for f in report.findings:
            assert f.line >= 1 and f.message
