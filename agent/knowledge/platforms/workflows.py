"""Managed workflow environments: the service's DAGs run in an Airflow environment the provider operates
(Amazon MWAA, Google Cloud Composer). There is no scheduler host, pod or unit of the team's: the Airflow
CLI goes through the provider's endpoint, logs are the provider's log groups, a restart is an environment
update, and the DAG files are objects in the environment's bucket.

`ManagedAirflow` holds what they share; each provider is its own class. What the provider's CLI refuses
(`jobs check`, `db reset`, starting a scheduler) is data in `data/managed_limits.yaml`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from agent.knowledge.platforms.base import (
    Action,
    Hostless,
    aws_log_events,
    cmd,
    double_quoted,
    q,
    recent_log_events,
)
from agent.knowledge.platforms.limits import Scope, managed_cli
from agent.runbook import Command
from agent.service.model import Component

# Airflow CLI groups: "dags pause X" is the command "dags pause" with the argument X.
_GROUPS = ("dags", "tasks", "variables", "connections", "pools", "jobs", "db", "users", "roles", "config",
           "providers", "plugins", "celery", "kubernetes")


def airflow_component(ctx_model_components: Sequence[Component], variants: Sequence[str]) -> Component | None:
    """The model's Airflow component of one of `variants`."""
    return next((c for c in ctx_model_components if c.technology == "airflow" and c.variant in variants), None)


class ManagedAirflow(Hostless, ABC):
    """An Airflow environment run by a provider; `variant` is the service model's Component.variant."""

    form = "managed"
    variant: ClassVar[str]
    product: ClassVar[str]
    env_var: ClassVar[str]  # the guarded variable standing in for an environment name the model lacks

    def __post_init__(self) -> None:
        self.key, self.label = self.variant, self.product
        model = self.ctx.model
        comp = airflow_component(model.components if model is not None else [], (self.variant,))
        self.airflow = comp
        given = comp.name("environment") if comp is not None else None
        self.given = given is not None
        self.env = given or ""
        if not self.given:
            self.assumptions.append(f"the {self.product} environment is not named: commands ask for ${self.env_var}")
        dags = [n.value for c in (model.components if model is not None else []) for n in c.names if n.role == "dag"]
        self.dags = list(dict.fromkeys(dags))

    # --- names ---------------------------------------------------------------------------------
    @property
    def declare(self) -> str:
        """The line that sets the environment's variable when the model does not name it."""
        if self.given:
            return ""
        return f"{self.env_var}=\"${{{self.env_var}:?set {self.env_var} to the {self.product} environment name}}\"\n"

    @property
    def e(self) -> str:
        return q(self.env) if self.given else f"\"${self.env_var}\""

    def dag_of(self, workload: str) -> str:
        return workload if workload in self.dags else (self.dags[0] if len(self.dags) == 1 else "")

    def dag_word(self) -> tuple[str, str]:
        """(declaration, shell word) of the DAG a step acts on: the model's only DAG, else a guarded variable."""
        if len(self.dags) == 1:
            return "", q(self.dags[0])
        hint = f" ({', '.join(self.dags)})" if self.dags else ""
        return f"DAG=\"${{DAG:?set DAG to the DAG id{hint}}}\"\n", "\"$DAG\""

    def scope(self) -> Scope:
        return Scope(identifier=self.env, region=self.region, environment=self.env, environment_var=self.env_var)

    # --- the provider's Airflow CLI ------------------------------------------------------------
    @abstractmethod
    def cli(self, call: str) -> str:
        """One Airflow CLI call (without 'airflow') sent through the provider's endpoint."""

    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        call = re.sub(r"^\s*airflow\s+", "", command)
        if call == command.strip() and call.split(" ", 1)[0] not in _GROUPS:
            # not an Airflow call: the provider gives no shell in its workers
            return (f"# {self.product} runs no shell of yours: run this where the DAG's code and "
                    f"credentials are (a local virtualenv with the environment's requirements)\n{command}")
        managed = managed_cli(self.variant, "airflow", "airflow-cli", call, self.scope(), self.product)
        if managed.shell is not None:
            return self.declare + managed.shell if self.declare and f"${self.env_var}" in managed.shell \
                else managed.shell
        return self.cli(call)

    # --- descriptive ---------------------------------------------------------------------------
    def diagram_node(self) -> str:
        return f"{self.product} {self.env or self.env_var}"

    def config_files(self) -> list[str]:
        return [f"DAG files, requirements.txt and plugins.zip in the {self.product} environment's bucket "
                "(see Deployment)",
                "Airflow configuration options and environment class: the environment's settings (IaC or console)"]

    @property
    def stateful(self) -> bool:
        return False

    # --- actions the provider does not have ----------------------------------------------------
    def restart_one(self) -> Command:
        return self.restart_all()

    def stop(self) -> Command:
        declare, dag = self.dag_word()
        return cmd("Stop new runs: pause the DAG (running tasks finish)",
                   declare + self.exec_in(self.slug, f"airflow dags pause {dag}"),
                   "is_paused True; unpause with 'dags unpause' once fixed",
                   "Paused DAGs create no new runs; with catchup=True every missed interval runs on unpause.")

    def scale(self, replicas: str, purpose: str) -> Command:
        return self.update(f"--max-workers {replicas}", purpose,
                           "the environment is UPDATING, then AVAILABLE with the new worker maximum")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, self.exec_in(self.slug, f"airflow variables set {q(name)} {q(value)}"),
                   f"Variable {name} is set; tasks read it at their next run",
                   "An Airflow Variable, not an environment variable: DAG code must read it with Variable.get.")

    def rerun(self) -> Command:
        declare, dag = self.dag_word()
        return cmd("Trigger one run of the DAG now", declare + self.exec_in(self.slug, f"airflow dags trigger {dag}"),
                   "a new manual run is created; follow it with 'dags list-runs'",
                   "Runs the DAG for real: its tasks must be idempotent for the logical date.")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        if action == "restart":
            return self.update_code("")
        dag = self.dag_of(workload)
        word = q(dag) if dag else "\"${DAG:?set DAG to the DAG id}\""
        return self.exec_in(workload, f"airflow dags {'pause' if action == 'stop' else 'unpause'} {word}")

    def restart_all(self) -> Command:
        return self.update("", f"Restart the {self.product} environment's schedulers and workers (environment "
                               "update)", "UPDATING, then AVAILABLE again in 20-30 minutes",
                           f"{self.product} has no restart call: an environment update replaces the schedulers, "
                           "workers and web server. Running tasks are interrupted and retried; nothing runs for "
                           "the length of the update.")

    @abstractmethod
    def update_code(self, change: str) -> str:
        """The environment update command applying `change` (flags)."""

    def update(self, change: str, purpose: str, expect: str, warning: str | None = None) -> Command:
        return cmd(purpose, self.update_code(change), expect,
                   warning or "An environment update takes 20-30 minutes and interrupts running tasks.")

    def edit_config(self, workload: str, path: str, what: str) -> str:
        return (f"# {what}: {self.product} has no config file of yours; set the Airflow configuration option "
                "through an environment update (see Deployment)")

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [*self.status(), self.events(), self.logs("30m", "error|exception|import")]
        fixes: list[tuple[str, Command | None]] = [
            ("If the environment is UPDATE_FAILED or unhealthy after a requirements.txt / plugins change, go back "
             "to the previous object version", self.rollback()[-1]),
            ("DAG import errors: fix the DAG file and upload it again (see Deployment)",
             cmd("DAG files that fail to import", self.exec_in(self.slug, "airflow dags list-import-errors"),
                 "'No data found'; otherwise the file and the exception")),
            ("Tasks queued but not running: workers at their maximum; raise it", self.scale_out()),
        ]
        return (f"{self.product} environment unhealthy or scheduler not heartbeating",
                "SchedulerHeartbeat missing, runs stay queued, or the environment is not AVAILABLE", checks, fixes)

    def log_stream(self, workload: str) -> str:
        return self.log_tail("30m")


class Mwaa(ManagedAirflow):
    """Amazon Managed Workflows for Apache Airflow."""

    variant, product, env_var = "mwaa", "Amazon MWAA", "MWAA_ENV"

    @property
    def r(self) -> str:
        return f"--region {q(self.region)}"

    def group(self, kind: str) -> str:
        """A log group of the environment: airflow-<env>-Task, -Scheduler, -DAGProcessing, -WebServer, -Worker."""
        return f"airflow-{self.env}-{kind}" if self.given else f"airflow-${{{self.env_var}}}-{kind}"

    def cli(self, call: str) -> str:
        # the endpoint takes the call as text; double quotes let variables set in the block expand first
        return (f"{self.declare}CLI_JSON=\"$(aws mwaa create-cli-token --name {self.e} {self.r} --output json)\"\n"
                "curl -sS -X POST \"https://$(echo \"$CLI_JSON\" | jq -r .WebServerHostname)/aws_mwaa/cli\" \\\n"
                "  -H \"Authorization: Bearer $(echo \"$CLI_JSON\" | jq -r .CliToken)\" \\\n"
                "  -H 'Content-Type: text/plain' \\\n"
                f"  --data-raw {double_quoted(call)} | jq -r '.stdout, .stderr' | base64 -d")

    def location(self) -> str:
        return f"Amazon MWAA environment {self.env or '$' + self.env_var} ({self.region})"

    def tools(self) -> list[str]:
        return [f"aws CLI v2 with airflow:CreateCliToken, mwaa:GetEnvironment / UpdateEnvironment, logs:* (read) "
                f"and cloudwatch:GetMetricData in {self.region}; curl, jq and base64 for the MWAA CLI endpoint"]

    def get(self, query: str) -> str:
        return (f"{self.declare}aws mwaa get-environment --name {self.e} {self.r} --query {q(query)} "
                "--output table")

    def status(self) -> list[Command]:
        return [cmd(f"State of {self.product} environment {self.env or '$' + self.env_var}",
                    self.get("Environment.{status: Status, airflow: AirflowVersion, class: EnvironmentClass, "
                             "last_update: LastUpdate.Status, error: LastUpdate.Error.ErrorMessage}"),
                    "status AVAILABLE; UPDATING, UPDATE_FAILED or UNAVAILABLE explain a stuck environment")]

    def log_tail(self, since: str) -> str:
        return aws_log_events(self.group("Task"), since, self.region)

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        return self.cloudwatch_logs(self.group("Task"), since, grep,
                                    f"task logs; the scheduler's are in {self.group('Scheduler')}, import "
                                    f"errors in {self.group('DAGProcessing')}")

    def log_stream(self, workload: str) -> str:
        kind = "Scheduler" if "scheduler" in workload else "WebServer" if "web" in workload else \
            "Worker" if "worker" in workload else "Task"
        return recent_log_events(self.group(kind), self.region)

    def events(self) -> Command:
        return cmd("Scheduler heartbeat over the last 30 minutes (AmazonMWAA SchedulerHeartbeat)",
                   self.exec_in(self.slug, "airflow jobs check --job-type SchedulerJob"),
                   "a non-zero Sum in every 5-minute period; empty or 0 means the scheduler is not heartbeating")

    def resources(self) -> Command:
        return cmd("Environment class and worker range",
                   self.get("Environment.{class: EnvironmentClass, min_workers: MinWorkers, max_workers: MaxWorkers, "
                            "schedulers: Schedulers}"),
                   "tasks queued for long with workers at max_workers need a larger maximum or class")

    def version(self) -> Command:
        return cmd("Live Airflow version and the requirements / plugins object versions",
                   self.get("Environment.{airflow: AirflowVersion, dags: DagS3Path, requirements: RequirementsS3Path, "
                            "requirements_version: RequirementsS3ObjectVersion, plugins_version: "
                            "PluginsS3ObjectVersion}"),
                   "the object versions in use: the previous ones are the rollback target")

    def bucket_lines(self) -> str:
        return (f"{self.declare}BUCKET=\"$(aws mwaa get-environment --name {self.e} {self.r} "
                "--query Environment.SourceBucketArn --output text | sed 's/^arn:aws:s3::://')\"\n")

    def history(self) -> Command:
        return cmd("Versions of requirements.txt in the environment's bucket (rollback targets)",
                   self.bucket_lines() +
                   f"REQS=\"$(aws mwaa get-environment --name {self.e} {self.r} --query "
                   "Environment.RequirementsS3Path --output text)\"\n"
                   "aws s3api list-object-versions --bucket \"$BUCKET\" --prefix \"$REQS\" --query "
                   "'Versions[0:5].[VersionId,LastModified,IsLatest]' --output table",
                   "the newest versions; the one before the live version is the rollback target")

    def local_health_check(self) -> Command:
        return cmd("The MWAA CLI endpoint answers (Airflow version)", self.cli("version"),
                   "the Airflow version; an HTTP 403 means the role lacks airflow:CreateCliToken")

    def health_check(self) -> Command:
        return self.status()[0]

    def deploy(self) -> list[Command]:
        return [cmd("Upload a changed DAG file to the environment's DAGs folder",
                    self.bucket_lines() +
                    "DAG_FILE=\"${DAG_FILE:?set DAG_FILE to the DAG file to ship}\"\n"
                    f"DAGS=\"$(aws mwaa get-environment --name {self.e} {self.r} --query Environment.DagS3Path "
                    "--output text)\"\n"
                    "aws s3 cp \"$DAG_FILE\" \"s3://$BUCKET/$DAGS/\"",
                    "the DAG appears (or changes) in the Airflow UI within a few minutes; no import error",
                    "A DAG file is live as soon as it is uploaded: there is no staged rollout."),
                cmd("Ship a new requirements.txt: upload it, then point the environment at its object version",
                    self.bucket_lines() +
                    f"REQS=\"$(aws mwaa get-environment --name {self.e} {self.r} --query "
                    "Environment.RequirementsS3Path --output text)\"\n"
                    "aws s3 cp requirements.txt \"s3://$BUCKET/$REQS\"\n"
                    "NEW_VERSION=\"$(aws s3api head-object --bucket \"$BUCKET\" --key \"$REQS\" --query VersionId "
                    "--output text)\"\n"
                    + self.update_code("--requirements-s3-object-version \"$NEW_VERSION\""),
                    "UPDATING for 20-30 minutes, then AVAILABLE; UPDATE_FAILED means the packages did not install "
                    "and MWAA rolled back",
                    "A requirements or plugins change restarts every Airflow component; test it on a local "
                    "aws-mwaa-local-runner first.")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(),
                cmd("DAG files that fail to import", self.exec_in(self.slug, "airflow dags list-import-errors"),
                    "'No data found'; otherwise the file and the exception"),
                self.logs("10m", "error|exception|import")]

    def rollback(self) -> list[Command]:
        return [self.history(),
                cmd("Point the environment back at the previous requirements.txt version",
                    "PREVIOUS_VERSION=\"${PREVIOUS_VERSION:?set PREVIOUS_VERSION to the last good VersionId}\"\n"
                    + self.update_code("--requirements-s3-object-version \"$PREVIOUS_VERSION\""),
                    "UPDATING, then AVAILABLE on the previous packages in 20-30 minutes",
                    "Interrupts running tasks for the length of the update. A bad DAG file is rolled back by "
                    "uploading its previous version instead (no environment update).")]

    def update_code(self, change: str) -> str:
        tail = f" {change}" if change else (" --schedulers \"$(aws mwaa get-environment --name "
                                            f"{self.e} {self.r} --query Environment.Schedulers --output text)\"")
        return (f"{self.declare}aws mwaa update-environment --name {self.e} {self.r}{tail}\n"
                f"aws mwaa get-environment --name {self.e} {self.r} --query Environment.Status --output text")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the DAGs from an environment in the recovery region (created by your IaC)",
                    f"{self.dr_region_var()}\n"
                    "DR_ENV=\"${DR_ENV:?set DR_ENV to the MWAA environment in the recovery region}\"\n"
                    "aws mwaa get-environment --name \"$DR_ENV\" --region \"$DR_REGION\" --query Environment.Status "
                    "--output text",
                    "AVAILABLE; then upload the DAGs and requirements to its bucket and unpause the DAGs there",
                    "The recovery environment has its own metadata database: run history, Variables and "
                    "Connections are not copied.")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.events(), self.logs("1h"), self.version()]


class CloudComposer(ManagedAirflow):
    """Google Cloud Composer (Airflow 2)."""

    variant, product, env_var = "cloud-composer", "Cloud Composer", "COMPOSER_ENV"

    @property
    def loc(self) -> str:
        return f"--location {q(self.region)}"

    def cli(self, call: str) -> str:
        words = call.split()
        n = 2 if words and words[0] in _GROUPS and len(words) > 1 else 1
        sub, rest = " ".join(words[:n]), " ".join(words[n:])
        return (f"{self.declare}gcloud composer environments run {self.e} {self.loc} {sub}"
                + (f" -- {rest}" if rest else ""))

    def location(self) -> str:
        return f"Cloud Composer environment {self.env or '$' + self.env_var} ({self.region})"

    def tools(self) -> list[str]:
        return [f"gcloud with composer.environments.get / update and logging read in {self.region}"]

    def status(self) -> list[Command]:
        return [cmd(f"State of Cloud Composer environment {self.env or '$' + self.env_var}",
                    f"{self.declare}gcloud composer environments describe {self.e} {self.loc} "
                    "--format='value(state,config.softwareConfig.imageVersion)'",
                    "RUNNING; UPDATING or ERROR explain a stuck environment")]

    def log_tail(self, since: str) -> str:
        return (f"gcloud logging read 'resource.type=\"cloud_composer_environment\" AND "
                f"resource.labels.environment_name=\"{self.env or '$' + self.env_var}\"' --freshness={since} "
                "--limit 200 --format='value(textPayload)'")

    def events(self) -> Command:
        return cmd("Scheduler and environment health", self.exec_in(self.slug, "airflow jobs check"),
                   "RUNNING; the Monitoring tab shows the scheduler heartbeat")

    def resources(self) -> Command:
        return cmd("Workloads configuration (scheduler, workers)",
                   f"{self.declare}gcloud composer environments describe {self.e} {self.loc} "
                   "--format='yaml(config.workloadsConfig)'", "worker min/max and resources as configured")

    def version(self) -> Command:
        return cmd("Composer / Airflow image version and PyPI packages",
                   f"{self.declare}gcloud composer environments describe {self.e} {self.loc} "
                   "--format='yaml(config.softwareConfig.imageVersion,config.softwareConfig.pypiPackages)'",
                   "the image and packages in use")

    def history(self) -> Command:
        return self.version()

    def local_health_check(self) -> Command:
        return cmd("The Airflow CLI answers through Composer", self.cli("version"), "the Airflow version")

    def health_check(self) -> Command:
        return self.status()[0]

    def dags_prefix(self) -> str:
        return (f"{self.declare}DAGS=\"$(gcloud composer environments describe {self.e} {self.loc} "
                "--format='value(config.dagGcsPrefix)')\"\n")

    def deploy(self) -> list[Command]:
        return [cmd("Upload a changed DAG file to the environment's DAGs folder",
                    "DAG_FILE=\"${DAG_FILE:?set DAG_FILE to the DAG file to ship}\"\n"
                    f"{self.declare}gcloud composer environments storage dags import --environment {self.e} "
                    f"{self.loc} --source \"$DAG_FILE\"",
                    "the DAG appears in the Airflow UI within a few minutes; no import error")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), cmd("DAG files that fail to import",
                                    self.exec_in(self.slug, "airflow dags list-import-errors"), "'No data found'")]

    def rollback(self) -> list[Command]:
        return [self.dag_listing(), cmd("Upload the previous version of the DAG file",
                    "DAG_FILE=\"${DAG_FILE:?set DAG_FILE to the last good version of the DAG file}\"\n"
                    f"{self.declare}gcloud composer environments storage dags import --environment {self.e} "
                    f"{self.loc} --source \"$DAG_FILE\"", "the DAG parses again; no import error")]

    def dag_listing(self) -> Command:
        return cmd("DAG files in the environment's bucket (what is live)",
                   f"{self.declare}gcloud composer environments storage dags list --environment {self.e} {self.loc}",
                   "the DAG files and their update times; the changed one is the rollback candidate")

    def update_code(self, change: str) -> str:
        # no restart call: changing an unused environment variable replaces the Airflow components
        flags = change if change else "--update-env-variables=\"RESTARTED_AT=$(date -u +%Y%m%dT%H%M%SZ)\""
        return f"{self.declare}gcloud composer environments update {self.e} {self.loc} {flags}"

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the DAGs from an environment in the recovery region (created by your IaC)",
                    f"{self.dr_region_var()}\n"
                    "DR_ENV=\"${DR_ENV:?set DR_ENV to the Composer environment in the recovery region}\"\n"
                    "gcloud composer environments describe \"$DR_ENV\" --location \"$DR_REGION\" "
                    "--format='value(state)'", "RUNNING; then import the DAGs there and unpause them")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.logs("1h"), self.version()]


# the model's variant -> the platform the service's workload runs on
HOSTED: dict[str, type[ManagedAirflow]] = {"mwaa": Mwaa, "cloud-composer": CloudComposer}
