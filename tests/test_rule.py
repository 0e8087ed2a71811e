from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import UsageError
from agent.rule import load_rule, parse_rule

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "runbook-rule.md"


def test_default_rule_has_the_five_questions_with_lettered_options() -> None:
    rule = load_rule()
    assert [q.key for q in rule.questions] == ["type", "env", "criticality", "monitoring", "oncall"]
    env = rule.question("env")
    assert env is not None
    assert [(o.letter, o.label) for o in env.options][:3] == [("A", "Kubernetes"), ("B", "Docker containers"),
                                                            ("C", "VMs")]
    assert env.options[2].detail == "EC2, GCE"
    kinds = {q.key: [o.kind for o in q.options if o.kind != "choice"] for q in rule.questions}
    assert kinds["type"] == ["other"] and kinds["monitoring"] == ["multiple"]
    assert rule.output_dir == "tasks" and rule.filename_pattern == "runbook-[service-name].md"
    assert rule.structure_headings[1:11] == (
        "Service Overview", "Architecture", "Dependencies", "Deployment", "Monitoring & Alerts", "Troubleshooting",
        "Emergency Procedures", "Maintenance", "Disaster Recovery", "Contacts")
    assert len(rule.instructions) == 7


@pytest.mark.skipif(not SEED.exists(), reason="shared/seed not beside the checkout")
def test_shipped_rule_matches_the_seed() -> None:
    shipped = load_rule()
    seed = load_rule(SEED)
    assert [(q.text, q.options) for q in shipped.questions] == [(q.text, q.options) for q in seed.questions]


def test_questions_are_read_from_the_file_at_run_time(tmp_path: Path) -> None:
    custom = tmp_path / "rule.md"
    custom.write_text(
        "## Clarifying Questions\n\n1. What is the deployment environment?\n   - A) Nomad\n   - B) Kubernetes\n\n"
        "2. Which region?\n   - A) EU\n   - B) Other (specify)\n"
    )
    rule = load_rule(custom)
    assert [q.key for q in rule.questions] == ["env", "q2"]
    assert rule.questions[1].options[1].kind == "other"


def test_a_rule_without_questions_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("# Rule\n\nNothing to ask.\n")
    with pytest.raises(UsageError, match="no parsable questions"):
        load_rule(empty)
    with pytest.raises(UsageError, match="cannot read rule file"):
        load_rule(tmp_path / "missing.md")


def test_parse_is_pure() -> None:
    rule = parse_rule("## Clarifying Questions\n1. What monitoring tools are used?\n - A) Prometheus/Grafana\n",
                      Path("x"))
    assert rule.questions[0].key == "monitoring"
