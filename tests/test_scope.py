"""Only what applies, for whole parts of a runbook: the gate table (agent/knowledge/data/applies.yaml) says
what each part needs of the service; the model decides. For each gate: a model where it applies and one
where it does not, with random names (the engine must read the model's roles, not recognise a wording).
The rule's sections stay present whatever is left out.
"""

from __future__ import annotations

import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks.check import check_markdown
from agent.knowledge.applies import NEEDS, Shape, fits, operated, second_site
from agent.knowledge.base import Context, Facts
from agent.knowledge.packs import all_packs
from agent.knowledge.scope import gate, key_of, left_out, scope, table
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.text import parse

NOW = datetime(2026, 1, 5, 12, 0)
_FEW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=4).filter(
    lambda p: not p.isdigit())
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)
REGIONS = st.sampled_from(["eu-west-1", "us-east-2", "ap-southeast-1", "eu-central-1"])


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def _generate(rule: Rule, description: str, typ: str = "api", env: str = "kubernetes",
              oncall: str = "24x7") -> Runbook:
    answers = from_mapping(rule, {"type": typ, "env": env, "criticality": "high", "monitoring": "prometheus",
                                  "oncall": oncall}, "test")
    request = GenerationRequest(rule=rule, description=description, answers=answers, now=NOW)
    return OfflineModel().generate(request).runbook


def _titles(runbook: Runbook) -> list[str]:
    return [i.title for i in runbook.troubleshooting.issues]


# --- the table itself -------------------------------------------------------------------------------------------
def test_every_gate_names_known_needs_and_says_why() -> None:
    engine, packs = table()
    assert engine and packs
    for found in [*engine.values(), *(g for fields in packs.values() for rows in fields.values()
                                      for g in rows.values())]:
        assert found.needs and all(n in NEEDS for n in found.needs)
        assert len(found.why.split()) >= 5


# Descriptions where each gated pack's parts are contributed (the team runs the engine on its own hosts).
_SELF_RUN = {
    "postgresql": "The orders API stores its data in PostgreSQL 15 on our own VM pg-1 (database orders).",
    "mysql": "The orders API stores its data in MySQL 8 on our own VM my-1 (database orders).",
}


@pytest.mark.parametrize("pack_name", sorted(table()[1]))
def test_every_pack_row_names_a_part_the_pack_contributes(rule: Rule, pack_name: str) -> None:
    pack = next(p for p in all_packs() if p.name == pack_name)
    description = _SELF_RUN[pack_name]
    model = parse(description)
    facts = Facts(service="orders-api", display_name="Orders API", description=description, model=model)
    answers = from_mapping(rule, {"type": "api", "env": "vm", "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    part = pack.contribute(Context(answers, facts))
    for field, rows in table()[1][pack_name].items():
        have = {key_of(item) for item in getattr(part, field)}
        for key in rows:
            assert key in have, f"{pack_name}.{field}: no part '{key}' (renamed? update applies.yaml)"
    # and the pack's own store counts as operated there, so nothing of it is left out
    kept, dropped = scope(pack_name, part, Shape(frozenset({f"operates:{pack_name}"})))
    assert dropped == [] and kept == part
    gone, why = scope(pack_name, part, Shape(frozenset()))
    assert why and all(pack_name in w and "(" in w for w in why)
    assert sum(len(getattr(gone, f)) for f in table()[1][pack_name]) < sum(
        len(getattr(part, f)) for f in table()[1][pack_name])


def test_operates_is_read_for_the_packs_own_store() -> None:
    shape = Shape(frozenset({"operates:mysql"}))
    assert fits(("operates",), shape, "mysql")
    assert not fits(("operates",), shape, "postgresql")


# --- second_site: a redeploy elsewhere only into a stated region or cluster --------------------------------------
@_FEW
@given(app=IDENT, ns=IDENT, primary=REGIONS)
def test_no_dr_cluster_is_invented_for_a_single_region(rule: Rule, app: str, ns: str, primary: str) -> None:
    description = f"The {app} API runs as deployment {app} in namespace {ns} on EKS in {primary}."
    model = parse(description)
    assert second_site(model)[0] is False
    runbook = _generate(rule, description)
    code = "\n".join(c.code for c in runbook.commands())
    assert "DR_CONTEXT" not in code
    titles = [p.title for p in runbook.disaster_recovery.procedures]
    assert "Service recovery in the DR location" not in titles
    assert any(t.startswith("Recover in place") for t in titles)


@_FEW
@given(app=IDENT, ns=IDENT, regions=st.lists(REGIONS, min_size=2, max_size=2, unique=True))
def test_a_stated_dr_region_gets_the_redeploy(rule: Rule, app: str, ns: str, regions: list[str]) -> None:
    primary, dr = regions
    description = (f"The {app} API runs as deployment {app} in namespace {ns} on EKS in {primary}; "
                   f"the DR region is {dr}.")
    model = parse(description)
    assert second_site(model)[0] is True
    runbook = _generate(rule, description)
    assert "Service recovery in the DR location" in [p.title for p in runbook.disaster_recovery.procedures]


# --- on_call: incident roles need a team on call ------------------------------------------------------------------
@pytest.mark.parametrize(("oncall", "roles"), [("24x7", True), ("none", False)])
def test_incident_roles_only_with_an_on_call_team(rule: Rule, oncall: str, roles: bool) -> None:
    runbook = _generate(rule, "The shop API runs as deployment shop in namespace web on GKE.", oncall=oncall)
    assert any("incident commander" in c for c in runbook.emergency.communication) is roles


# --- own_data: backup checks need data of the service's own ------------------------------------------------------
@pytest.mark.parametrize(("description", "typ", "backups"), [
    ("The shop API runs as deployment shop in namespace web on GKE.", "api", False),
    ("ledger-db is our PostgreSQL 15 cluster on hosts db-1, db-2 and db-3; nightly backups go to S3.",
     "database", True),
    ("vault-prd is our HashiCorp Vault cluster on hosts vlt-1, vlt-2 and vlt-3 with integrated storage (raft).",
     "other: secrets store", True),
])
def test_backup_checks_only_for_data_of_its_own(rule: Rule, description: str, typ: str, backups: bool) -> None:
    runbook = _generate(rule, description, typ=typ, env="kubernetes" if typ == "api" else "baremetal")
    daily = [t for t in runbook.maintenance.daily if "backup" in t.lower()]
    drills = [t for t in runbook.maintenance.monthly if "restore" in t.lower()]
    # a backup check and a restore drill where there is data of its own (the stores' packs' wording wins over
    # the generic one, never both), none for a stateless service
    assert bool(daily) is backups and bool(drills) is backups
    generic = "Verify last night's backup completed"
    assert generic not in daily or daily == [generic]
    assert not any(t.startswith("Restore the latest backup into a scratch") for t in drills) or len(drills) == 1


# --- hosts / own_disk ---------------------------------------------------------------------------------------------
def test_os_patching_and_disk_checks_only_where_they_apply(rule: Rule) -> None:
    pods = _generate(rule, "The shop API runs as deployment shop in namespace web on GKE.")
    hosts = _generate(rule, "The shop API runs under systemd (unit shop) on hosts web-1 and web-2.", env="vm")
    assert not any("OS security patches" in t for t in pods.maintenance.monthly)
    assert any("OS security patches" in t for t in hosts.maintenance.monthly)
    assert not any("df -h" in c.code for c in pods.maintenance.commands)
    assert any("df -h" in c.code for c in hosts.maintenance.commands)


# --- operates: DBA upkeep only for an engine the team runs --------------------------------------------------------
@_FEW
@given(app=IDENT, db=st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8), instance=IDENT)
def test_provider_run_postgres_gets_no_dba_upkeep(rule: Rule, app: str, db: str, instance: str) -> None:
    managed = (f"The {app} API runs as deployment {app} in namespace shop on EKS in us-east-1. It stores its "
               f"data in RDS PostgreSQL 15 (instance {instance}, database {db}).")
    own = (f"The {app} API runs under systemd (unit {app}) on hosts web-1 and web-2. It stores its data in "
           f"PostgreSQL 15 on our own VM pg-1 (database {db}).")
    assert "postgresql" not in operated(parse(managed), "api", managed)
    assert "postgresql" in operated(parse(own), "api", own)
    on_rds = _generate(rule, managed)
    on_vm = _generate(rule, own, env="vm")
    wrap = "PostgreSQL: transaction ID wraparound risk"
    assert wrap not in _titles(on_rds) and wrap in _titles(on_vm)
    assert not any("REINDEX" in c.code for c in on_rds.maintenance.commands)
    assert any("REINDEX" in c.code for c in on_vm.maintenance.commands)
    # what an app team on a provider's database does need stays
    assert "PostgreSQL: too many connections" in _titles(on_rds)


def test_the_database_service_itself_is_operated() -> None:
    text = "ledger-db is our PostgreSQL 15 cluster on hosts db-1, db-2 and db-3."
    assert "postgresql" in operated(parse(text), "database", text)


# --- the rule's structure survives whatever is left out -----------------------------------------------------------
@pytest.mark.parametrize("oncall", ["none", "24x7"])
def test_mandatory_sections_stay_present(rule: Rule, oncall: str) -> None:
    runbook = _generate(rule, "The shop API runs as deployment shop in namespace web on GKE.", oncall=oncall)
    text = render_markdown(runbook)
    for heading in rule.structure_headings:
        assert f"\n## {heading}\n" in text
    errors = check_markdown(text, rule=rule).at_or_above("error")
    assert not errors, [(f.rule, f.message) for f in errors]
    assert gate("no-such-gate", Shape(frozenset()))  # a part no gate names always applies
    assert any(n.startswith("left out dr redeploy (") for n in left_out(Shape(frozenset())))
    assert left_out(Shape(frozenset(NEEDS))) == []


# --- each fact once: Service is Down's escalation is one line beside the Escalation Path table ---------------------
@pytest.mark.parametrize("crit", ["critical", "high", "medium"])
def test_service_down_escalation_is_one_line_with_the_rto_step(rule: Rule, crit: str) -> None:
    answers = from_mapping(rule, {"type": "api", "env": "kubernetes", "criticality": crit,
                                  "monitoring": "prometheus", "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=rule, description="The shop API runs as deployment shop in namespace web "
                                "on GKE.", answers=answers, now=NOW)
    runbook = OfflineModel().generate(request).runbook
    text = render_markdown(runbook)
    down = text.split("### Service is Down", 1)[1].split("### Data Corruption", 1)[0]
    line = next(ln for ln in down.splitlines() if "**Escalation:**" in ln)
    assert "L1 at once" in line and "(who and how: [Escalation Path](#escalation-path))" in line
    unlevelled = [s for s in runbook.emergency.service_down.escalation if not s.action.startswith("L")]
    for step in unlevelled:  # the RTO step keeps its own words on the line
        assert step.action in line
    assert "- After " not in down  # no second list of what the table says


# --- replicas: lag entries and promotion only where a replica or standby is stated ----------------------------------
@pytest.mark.parametrize("engine", ["PostgreSQL 15", "MySQL 8"])
@pytest.mark.parametrize("replica", [False, True])
def test_replication_parts_only_with_a_stated_replica(rule: Rule, engine: str, replica: bool) -> None:
    description = (f"The shop API runs under systemd (unit shop) on hosts web-1 and web-2. It stores its data in "
                   f"{engine} on our own VM db-1 (database shop)." + (" db-2 is its streaming replica." if replica
                                                                     else ""))
    runbook = _generate(rule, description, env="vm")
    lag = [t for t in _titles(runbook) if "replication" in t.lower()]
    promote = [p.title for p in runbook.disaster_recovery.procedures if "promote" in p.title.lower()]
    assert bool(lag) is replica and bool(promote) is replica, (lag, promote)
