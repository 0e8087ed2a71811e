"""The stated platform variant wins over a default template: a managed workflow runtime (MWAA, Cloud
Composer), ECS on EC2 against Fargate, what RDS / Aurora refuse (managed_limits.yaml), Memorystore is not
ElastiCache, a Multi-AZ standby is not a readable replica, and the model's project / region on every cloud
CLI call. Random names and phrasings: the engine must read the model, not recognise a wording.
"""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import Answers, from_mapping, infer
from agent.knowledge.platforms.limits import Scope, limits, managed_cli, managed_sql
from agent.knowledge.platforms.scope import CloudScope
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook

NOW = datetime(2026, 1, 5, 12, 0)
_FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=4).filter(
    lambda p: not p.isdigit())
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)
DAG = st.builds(lambda a, b: f"{a}_{b}", _letters, _letters)
AWS_REGION = st.sampled_from(["eu-central-1", "us-west-2", "ap-southeast-2", "eu-west-1"])
GCP_REGION = st.sampled_from(["europe-west4", "us-central1", "asia-northeast1"])


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def _generate(rule: Rule, description: str, **given_answers: str) -> Runbook:
    answers = from_mapping(rule, {"criticality": "high", "oncall": "24x7", **given_answers}, "test")
    missing = [k for k in ("type", "env", "monitoring") if k not in given_answers]
    inferred = infer(rule, description, answers, missing)
    answers = Answers({**answers.items, **inferred.items})
    request = GenerationRequest(rule=rule, description=description, answers=answers, now=NOW)
    return OfflineModel().generate(request).runbook


def _code(runbook: Runbook) -> str:
    """Every command block without its comment lines (a comment may say what is refused)."""
    return "\n".join(line for c in runbook.commands() for line in c.code.splitlines()
                     if not line.lstrip().startswith("#"))


# --- managed workflow runtimes ------------------------------------------------------------------------------
@_FEW
@given(service=IDENT, env=IDENT, dag=DAG, region=AWS_REGION,
       opening=st.sampled_from(["Runs on Amazon MWAA, environment `{env}` in {region}.",
                                "Our DAGs run in MWAA (environment {env}, {region}).",
                                "Airflow 2.8 on Amazon MWAA: environment `{env}` in {region}."]))
def test_mwaa_gets_its_own_commands_never_kubectl(rule: Rule, service: str, env: str, dag: str, region: str,
                                                   opening: str) -> None:
    text = (f"{service}: nightly ETL loading the warehouse. " + opening.format(env=env, region=region)
            + f" DAG `{dag}` runs at 02:00 UTC.")
    code = _code(_generate(rule, text, type="pipeline"))
    assert re.search(rf"aws mwaa (?:create-cli-token|get-environment)[^\n]*--name {re.escape(env)}", code)
    assert re.search(rf"airflow-{re.escape(env)}-(?:Task|Scheduler)", code)  # the environment's log groups
    assert not re.search(r"\bkubectl\b|\bhelm\b|\bsystemctl\b", code)
    assert not re.search(r"airflow db (?:reset|init)", code)


@_FEW
@given(service=IDENT, env=IDENT, region=GCP_REGION)
def test_cloud_composer_gets_gcloud_composer(rule: Rule, service: str, env: str, region: str) -> None:
    text = (f"{service}: hourly pipeline. Runs on Google Cloud Composer, environment `{env}` in {region}. "
            "Loads BigQuery.")
    code = _code(_generate(rule, text, type="pipeline"))
    assert re.search(rf"gcloud composer environments (?:describe|run) {re.escape(env)}", code)
    assert not re.search(r"\bkubectl\b|\bhelm\b|\baws mwaa\b", code)


def test_refused_airflow_calls_are_replaced_per_provider() -> None:
    scope = Scope(identifier="env-x", region="eu-west-1", environment="env-x")
    for variant in ("mwaa", "cloud-composer"):
        out = managed_cli(variant, "airflow", "airflow-cli", "db reset --yes", scope)
        assert out.code is None and out.shell is not None and "db reset" not in out.shell.split("\n", 1)[1]
        assert "NOT_ON_MANAGED" in out.shell  # no equivalent: a guarded stop, never the call
        assert managed_cli(variant, "airflow", "airflow-cli", "dags pause x", scope).code == "dags pause x"
    heartbeat = managed_cli("mwaa", "airflow", "airflow-cli", "jobs check --job-type SchedulerJob", scope)
    assert heartbeat.shell is not None and "SchedulerHeartbeat" in heartbeat.shell


# --- what RDS / Aurora refuse -------------------------------------------------------------------------------
_VAR = st.sampled_from(["max_connections", "long_query_time", "innodb_lock_wait_timeout", "wait_timeout"])
_FORBIDDEN = st.one_of(
    st.builds(lambda v, n: f"SET GLOBAL {v} = {n}", _VAR, st.integers(1, 9999)),
    st.sampled_from(["SET GLOBAL super_read_only = ON", "SET GLOBAL read_only = OFF", "PURGE BINARY LOGS "
                     "BEFORE NOW() - INTERVAL 3 DAY", "STOP REPLICA", "RESET REPLICA ALL", "START REPLICA",
                     "CHANGE REPLICATION SOURCE TO SOURCE_HOST='h'"]),
    st.builds(lambda n: f"KILL {n}", st.integers(1, 99999)),
    st.builds(lambda n: f"KILL QUERY {n}", st.integers(1, 99999)))
_REFUSED = re.compile(r"^\s*(?:SET\s+GLOBAL|PURGE\s+BINARY|STOP\s+REPLICA|RESET\s+REPLICA|START\s+REPLICA|"
                      r"CHANGE\s+REPLICATION|KILL\b)", re.I | re.M)


@settings(max_examples=80, deadline=None)
@given(statement=_FORBIDDEN, ident=IDENT, region=AWS_REGION,
       variant=st.sampled_from(["rds-instance", "aurora", "aurora-global"]))
def test_a_statement_rds_refuses_never_reaches_it(statement: str, ident: str, region: str, variant: str) -> None:
    out = managed_sql(variant, "mysql", f"SELECT 1; {statement}", Scope(identifier=ident, region=region))
    sent = out.code if out.code is not None else ""
    assert not any(_REFUSED.match(s) for s in sent.split(";")), sent
    assert out.notes, "the refusal says why"
    if out.shell is not None and "NOT_ON_MANAGED" not in out.shell:
        assert "aws rds" in out.shell and region in out.shell
        assert ident in out.shell or "${REPLICA:?" in out.shell  # the instance, or the replica to promote
    elif out.code is not None:
        assert "mysql.rds_" in out.code  # RDS's own procedure


@settings(max_examples=30, deadline=None)
@given(statement=_FORBIDDEN)
def test_self_managed_mysql_keeps_its_statements(statement: str) -> None:
    assert managed_sql("", "mysql", statement, Scope()).code == statement


def test_limits_table_is_well_formed() -> None:
    for limit in limits():
        assert limit.variants and limit.engine and limit.why
        assert limit.surface in ("sql", "airflow-cli")


@_FEW
@given(service=IDENT, instance=IDENT, region=AWS_REGION)
def test_rds_mysql_runbook_has_no_refused_statement(rule: Rule, service: str, instance: str, region: str) -> None:
    text = (f"{service}: Spring Boot billing API on ECS Fargate in {region}. Database: RDS MySQL 8.0 Multi-AZ, "
            f"instance `{instance}`, schema billing.")
    code = _code(_generate(rule, text, type="api", env="docker"))
    assert not _REFUSED.search("\n".join(re.findall(r'-e "([^"]*)"', code)))
    assert re.search(r"reboot-db-instance[^\n]*--force-failover", code)
    # Multi-AZ only: the standby is not a read replica, nothing promotes one
    assert "promote-read-replica" not in code and "REPLICAOF" not in code


# --- ECS on EC2 against Fargate ---------------------------------------------------------------------------
@_FEW
@given(service=IDENT, cluster=IDENT, region=AWS_REGION,
       ec2=st.sampled_from(["on ECS with the EC2 launch type (not Fargate)", "on ECS on EC2 container instances",
                            "on Amazon ECS, EC2 launch type, capacity provider on an Auto Scaling group"]))
def test_ecs_on_ec2_checks_instance_capacity(rule: Rule, service: str, cluster: str, region: str, ec2: str) -> None:
    text = f"{service}: Java API {ec2}, cluster `{cluster}`, region {region}."
    code = _code(_generate(rule, text, type="api", env="docker"))
    assert re.search(rf"aws ecs (?:list|describe)-container-instances[^\n]*{re.escape(cluster)}", code)
    assert "describe-auto-scaling-groups" in code


@_FEW
@given(service=IDENT, cluster=IDENT, region=AWS_REGION)
def test_fargate_gets_no_instance_capacity(rule: Rule, service: str, cluster: str, region: str) -> None:
    text = f"{service}: Go API on ECS Fargate, cluster `{cluster}`, region {region}."
    code = _code(_generate(rule, text, type="api", env="docker"))
    assert "container-instances" not in code and "describe-auto-scaling-groups" not in code


# --- Memorystore is not ElastiCache ----------------------------------------------------------------------
@_FEW
@given(service=IDENT, project=IDENT.filter(lambda p: len(p) >= 6), region=GCP_REGION)
def test_memorystore_gets_gcloud_redis_with_the_project(rule: Rule, service: str, project: str,
                                                        region: str) -> None:
    text = (f"{service}: Go API on GKE in project {project}, region {region}. Sessions in Memorystore for "
            "Redis (Standard tier).")
    code = _code(_generate(rule, text, type="api", env="kubernetes"))
    assert "aws elasticache" not in code and "modify-replication-group" not in code
    calls = re.findall(r"gcloud redis instances [^\n]*", code)
    assert calls and all(project in c for c in calls)


# --- project / region flags ---------------------------------------------------------------------------------
_GCLOUD = st.sampled_from(["gcloud sql instances describe {n}", "gcloud redis instances failover {n} --region r",
                           "IP=\"$(gcloud sql instances describe {n} --format='value(ip)')\"\npsql -h \"$IP\"",
                           "gcloud container clusters get-credentials {n} \\\n  --region r\nkubectl get pods",
                           "gcloud logging read 'resource.type=x' --limit 5 | head -n 3"])


@settings(max_examples=60, deadline=None)
@given(template=_GCLOUD, name=IDENT, project=IDENT)
def test_every_gcloud_call_carries_the_project_once(template: str, name: str, project: str) -> None:
    scope = CloudScope("gcloud", "--project", project)
    code = template.format(n=name)
    out = scope.apply(code)
    assert out.count(f"--project {project}") == code.count("gcloud ")
    assert scope.apply(out) == out  # a scoped call is left alone
    assert out.replace(f" --project {project}", "") == code  # nothing else changes


@settings(max_examples=30, deadline=None)
@given(name=IDENT, project=IDENT)
def test_quoted_remote_and_comment_calls_are_not_scoped(name: str, project: str) -> None:
    scope = CloudScope("gcloud", "--project", project)
    for code in (f"# gcloud sql instances describe {name}", f"ssh {name} 'gcloud sql instances list'"):
        assert scope.apply(code) == code


@settings(max_examples=30, deadline=None)
@given(project=st.from_regex(r"\A[a-z][a-z0-9-]{5,12}[a-z0-9]\Z", fullmatch=True),
       redirect=st.sampled_from(["2>&1", "2>/dev/null", ">out.txt", "2> err.log", "1>&2"]),
       pipe=st.sampled_from(["", " | grep -i error", " | tail -n 20"]))
def test_the_scope_flag_goes_before_a_redirect_not_into_it(project: str, redirect: str, pipe: str) -> None:
    # "--limit 50 2>&1" once became "--limit 50 2 --project p>&1": every log command broke
    code = f"gcloud functions logs read fn --limit 50 {redirect}{pipe}"
    out = CloudScope("gcloud", "--project", project).apply(code)
    assert out == f"gcloud functions logs read fn --limit 50 --project {project} {redirect}{pipe}", out
