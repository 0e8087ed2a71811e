"""The library entry point and the CLI on small documents."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from agent.checks import check_markdown
from agent.cli import cli


def _rules(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.rule for f in report.findings}


def test_bash_syntax_error_is_found_at_its_line() -> None:
    text = "# T\n\n## Steps\n\n```bash\nif true; then\n  echo hi\n```\n"
    report = check_markdown(text, "t.md", tools=False, profile="generic")
    [finding] = [f for f in report.findings if f.rule == "shell.syntax"]
    assert finding.severity == "error"
    assert finding.line in (6, 7, 8)
    assert finding.section == "Steps"
    assert report.failed("error")


def test_placeholder_and_undeclared_variable() -> None:
    text = "# T\n\n## Steps\n\n```bash\nkubectl logs [pod-name] -n \"$NAMESPACE\"\n```\n"
    report = check_markdown(text, "t.md", tools=False, profile="generic")
    assert {"placeholder", "shell.undeclared-variable"} <= _rules(report)
    declared = check_markdown(text.replace("```bash\n", "```bash\nNAMESPACE=prod\n"), "t.md", tools=False,
                              profile="generic")
    assert "shell.undeclared-variable" not in _rules(declared)
    supplied = check_markdown(text, "t.md", tools=False, profile="generic", variables=["NAMESPACE"])
    assert "shell.undeclared-variable" not in _rules(supplied)


def test_clean_block_has_no_findings() -> None:
    text = "# T\n\n## Steps\n\n```bash\nNS=prod\nkubectl get pods -n \"$NS\"\n```\n"
    report = check_markdown(text, "t.md", tools=False, profile="generic")
    assert report.findings == []
    assert not report.failed("info")


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# T\n\n## Steps\n\n```bash\nNS=prod\nkubectl get pods -n \"$NS\"\n```\n")
    bad = tmp_path / "bad.md"
    bad.write_text("# T\n\n## Steps\n\n```bash\nredis-cli FLUSHALL\n```\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["test", str(good), "--no-tools", "--profile", "generic"]).exit_code == 0
    result = runner.invoke(cli, ["test", str(bad), "--no-tools", "--profile", "generic", "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [f["rule"] for f in data["reports"][0]["findings"]] == ["danger.unwarned"]
    missing = runner.invoke(cli, ["test", str(tmp_path / "nope.md")])
    assert missing.exit_code == 2
