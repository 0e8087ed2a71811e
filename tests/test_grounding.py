"""Grounding of the names a description gives, measured on the real `agent generate` (eval/grounding).

The sample test runs the installed agent on 12 generated descriptions (fixed seed) and holds the
figures to eval/grounding/thresholds.yaml: the floor the engine reached when it was measured; the
lead raises them as the engine improves. The property tests check the harness itself: generated
cases keep their invariants, and the scorer finds every name written in a canonical position.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.blind import score as blind  # noqa: E402
from eval.grounding import generator, roles, run, runner  # noqa: E402
from eval.grounding.score import score_runbook  # noqa: E402

THRESHOLDS = yaml.safe_load((ROOT / "eval" / "grounding" / "thresholds.yaml").read_text(encoding="utf-8"))
FIGURES = {"slo", "latency", "rto", "rpo", "backup_retention"}
VALID_ANSWERS = {
    "type": {"api", "web", "pipeline", "worker", "database", "other: reverse proxy"},
    "env": set(generator.PLATFORM_ENV.values()),
    "criticality": set(generator.CRIT),
    "monitoring": set(generator.MONITORING),
    "oncall": set(generator.ONCALL),
}


@pytest.fixture(scope="module")
def sample() -> dict[str, object]:
    t = THRESHOLDS["sample"]
    cases = generator.generate_cases(int(t["seed"]), int(t["n"]))
    return run.summarize(run.evaluate(cases, jobs=2))


def test_sample_writes_every_runbook(sample: dict[str, object]) -> None:
    assert sample["failures"] == [], sample["failures"]
    assert sample["written"] == THRESHOLDS["sample"]["n"]


def test_sample_names_in_their_role(sample: dict[str, object]) -> None:
    share = sample["names_in_role"]["share"]  # type: ignore[index]
    assert share >= THRESHOLDS["names_in_role_min"], sample["by_role"]


def test_sample_invented_names(sample: dict[str, object]) -> None:
    inv = sample["invented_per_runbook"]
    assert inv["median"] <= THRESHOLDS["invented_median_max"], sample["invented_kinds"]  # type: ignore[index]
    assert inv["max"] <= THRESHOLDS["invented_max_max"], sample["invented_kinds"]  # type: ignore[index]


def test_sample_titles(sample: dict[str, object]) -> None:
    t = sample["titles"]
    assert t["carry_service_name"] / t["of"] >= THRESHOLDS["titles_min"]  # type: ignore[index,operator]


# --------------------------------------------------------------------------------------------------
# The harness itself


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generator.case_strategy())
def test_generated_case_invariants(case: generator.Case) -> None:
    assert case == generator.generate_case(case.seed)  # deterministic
    assert "service" in case.names
    for role, names in case.names.items():
        assert role in roles.ROLE_KINDS
        for n in names:
            assert f"{role}:{n}" in case.phrasings or role == "service"
            phrasing = case.phrasings.get(f"{role}:{n}", "")
            if role in FIGURES:
                continue
            if phrasing.startswith("range"):
                assert names[0] in case.description  # a range names its first member and is expanded
            else:
                assert n in case.description, (role, n)
    flat = [n.casefold() for r, ns in case.names.items() if r not in FIGURES for n in ns]
    # one name, one role (the harness could not tell where a shared name belongs)
    assert len(flat) == len(set(flat)), case.names
    for flag, value in case.answers.items():
        assert value in VALID_ANSWERS[flag], (flag, value)
    for d in case.distractors:
        assert d in case.description or d.rstrip(".") in case.description


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generator.case_strategy())
def test_reference_runbook_scores_perfectly(case: generator.Case) -> None:
    s = score_runbook(generator.reference_runbook(case), case.names, case.phrasings)
    assert [(r.role, r.missing) for r in s.roles.values() if r.missing] == []
    assert s.invented == []
    assert s.title_ok and s.title_exact


ROLES_WITH_REFERENCE = sorted(r for r in generator.REFERENCE if r not in ("port", "health_path", "kafka_bootstrap"))


@settings(max_examples=200, deadline=None)
@given(role=st.sampled_from(ROLES_WITH_REFERENCE), name=generator.name_strategy(),
       other=generator.name_strategy())
def test_random_name_found_in_position_and_other_value_invented(role: str, name: str, other: str) -> None:
    if name == other or roles.is_conventional(roles.ROLE_KINDS[role][0], other):
        return
    md = f"# Runbook: svc-x\n\n```bash\n{generator.REFERENCE[role].format(v=name)}\n```\n"
    s = score_runbook(md, {"service": ["svc-x"], role: [name]})
    assert s.roles[role].found == [name]
    md2 = f"# Runbook: svc-x\n\n```bash\n{generator.REFERENCE[role].format(v=other)}\n```\n"
    s2 = score_runbook(md2, {"service": ["svc-x"], role: [name]})
    assert s2.roles[role].missing == [name]
    if not roles.derived_from(name, other, roles.ROLE_KINDS[role][0]):
        assert [i.value for i in s2.invented] == [other]


def _hits(cmd: str) -> set[tuple[str, str]]:
    return {(h.kind, h.value) for h in roles.extract(f"```bash\n{cmd}\n```\n")}


def test_cli_positions_read_like_the_cli() -> None:
    # after the subcommand, compose's -f is --follow; kubectl logs -f is --follow too
    assert _hits("docker compose -f prod.yml -p shop logs -f --tail 50 web 2>&1 > /tmp/out.txt") == {
        ("compose_file", "prod.yml"), ("compose_project", "shop"), ("compose_service", "web")}
    assert ("deployment", "api") in _hits("kubectl logs -f deploy/api -n pay --tail 20")
    assert ("namespace", "pay") in _hits('NS="${NS:-pay}"\nkubectl get pods -n "$NS"')
    hosts = _hits('for h in web-{1..3}; do ssh "$h" uptime; done')
    assert {("host", "web-1"), ("host", "web-2"), ("host", "web-3")} <= hosts
    # a loop over topics is not a loop over hosts
    assert not any(k == "host" for k, _ in _hits("for t in a b; do echo $t; done"))
    assert ("db_name", "ledger") in _hits("psql -h db1 -X -t -d ledger -c 'select 1'")
    assert ("kafka_group", "g1") in _hits("kafka-consumer-groups.sh --bootstrap-server k:9092 --describe --group g1")
    assert ("queue", "jobs") in _hits(
        "aws sqs get-queue-attributes --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/jobs")


def test_assumed_excuses_only_what_was_not_told() -> None:
    md = ("# Runbook: orders\n\n> **Assumed, not told:**\n> - namespace: orders-ns\n> - Names not given use the "
          "service slug 'orders'\n\n## A\n\n```bash\nkubectl get pods -n orders-ns\nssh orders uptime\n```\n")
    s = score_runbook(md, {"service": ["orders"], "host": ["web-1"]})
    assert [i.value for i in s.invented] == ["orders"]  # the namespace was assumed and said so; the host was told
    assert s.invented[0].misplaced_from == "service"


def test_blind_cases_are_well_formed() -> None:
    for batch in ("a", "b"):  # a parse check only: batch b is never run or scored here
        cases = blind.load_batch(batch)
        assert len(cases) == 10
        for c in cases:
            assert c.must and c.must_not and "service" in c.names
            assert set(c.answers) <= set(runner.FLAGS)


def test_blind_grading_reads_must_and_must_not() -> None:
    case = blind.load_batch("a")[0]
    md = ("# Runbook: clickstream-enricher\n\n```bash\nkafka-consumer-groups.sh --bootstrap-server "
          "b-1.msk-events.kafka.eu-central-1.amazonaws.com:9092 --describe --group enricher-cg-v2\n"
          "kubectl create cronjob x --image=y --schedule='* * * * *' -n stream-proc\n```\n")
    r = blind.grade(case, md)
    assert "--group enricher-cg-v2" in r.must_found
    assert "re:(?i)\\bcronjob\\b" in r.must_not_hits
    assert r.grounding is not None and r.grounding.title_ok


def test_blind_cmd_patterns_ignore_prose_warnings() -> None:
    case = next(c for c in blind.load_batch("a") if c.id.startswith("a08"))
    warned = ("# Runbook: session-store\n\n> ⚠️ **Warning:** never FLUSHALL a session store\n\n```bash\n"
              "# FLUSHALL would log everyone out\nredis-cli -h x INFO memory\n```\n")
    assert "cmd:FLUSHALL" not in blind.grade(case, warned).must_not_hits
    ran = warned.replace("INFO memory", "FLUSHALL")
    assert "cmd:FLUSHALL" in blind.grade(case, ran).must_not_hits
