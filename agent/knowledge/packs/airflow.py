"""Apache Airflow 2.x: scheduler down, DAG import errors, failed runs, clearing and backfilling safely."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q, workload_platform
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step


class AirflowPack(KeywordPack):
    name = "airflow"
    summary = ("Apache Airflow: scheduler heartbeat, DAG import errors, failed runs, clearing tasks and "
               "pausing DAGs without double-running side effects")
    keywords = ("airflow", "apache airflow", "mwaa", "cloud composer")
    order = 47
    examples = ("Nightly ETL as an Airflow DAG (dag orders_etl) loading the warehouse",)
    negatives = ("Nightly ETL run by cron", "Airflow-free Dagster pipelines")

    def detect(self, ctx: Context) -> str | None:
        reason = super().detect(ctx)
        return None if reason and "airflow-free" in ctx.text else reason

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        # the platform that runs Airflow: a provider's environment (MWAA, Composer) has its own CLI path
        platform = workload_platform(ctx, "airflow")
        managed = platform.form == "managed"
        dags = [n.value for c in (ctx.model.components if ctx.model is not None else []) for n in c.names
                if n.role == "dag"]
        dags = list(dict.fromkeys(dags)) or ([f.names["dag"]] if "dag" in f.names else [])
        # one DAG the model names is the DAG; several or none: the operator says which (never the slug)
        dag_declare = "" if len(dags) == 1 else \
            f"DAG=\"${{DAG:?set DAG to the DAG id{' (' + ', '.join(dags) + ')' if dags else ''}}}\"\n"
        dag = dags[0] if len(dags) == 1 else "$DAG"
        dag_word = q(dag) if len(dags) == 1 else "\"$DAG\""
        scheduler = f.name("airflow.scheduler", "airflow-scheduler")

        def airflow(args: str) -> str:
            return platform.exec_in(scheduler, f"airflow {args}")

        health = cmd("Scheduler alive (recent heartbeat)",
                     airflow("jobs check --job-type SchedulerJob --allow-multiple --limit 10"),
                     "'Found N alive jobs.'; 'No alive jobs found.' means the scheduler is down or stuck")
        import_errors = cmd("DAG files that fail to import", airflow("dags list-import-errors"),
                            "'No data found'; otherwise the file and the exception")
        runs = cmd(f"Recent runs of {dags[0] if len(dags) == 1 else 'a DAG'}",
                   dag_declare + airflow(f"dags list-runs -d {dag_word} --no-backfill") + " | head -n 15",
                   "state success for recent runs; note the run_id of a failed one")

        signals = [
            Signal(key="airflow.heartbeat", name="Airflow scheduler heartbeat missing", measure="scheduler heartbeats",
                   threshold=Threshold(1, op="<"), minutes=5, severity="Critical",
                   response="Follow 'Airflow: scheduler down or DAGs not running'.",
                   entry="Airflow: scheduler down or DAGs not running", probe=health),
            Signal(key="airflow.import_errors", name="Airflow DAG import errors", measure="import errors",
                   threshold=Threshold(0), minutes=10, severity="Warning",
                   response="Fix the DAG file named by list-import-errors; the DAG does not run.", probe=import_errors),
        ]

        clear = cmd("Re-run failed tasks of one day's run",
                    dag_declare + "START=\"${START:?set START: logical date of the failed run}\"\n"
                    "END=\"${END:-$START}\"  # one logical date unless you set a range\n"
                    + airflow(f"tasks clear {dag_word} --only-failed --start-date \"$START\" --end-date \"$END\" "
                              "--yes"),
                    "the cleared task instances; the scheduler re-queues them",
                    warning="Cleared tasks run again with their side effects (loads, emails, API calls): make sure "
                            "they are idempotent. Without --only-failed every task in the range re-runs.")
        issues = [
            Issue(
                title="Airflow: scheduler down or DAGs not running",
                symptoms="Runs stay 'queued' or are not created at their schedule; UI banner 'The scheduler "
                         "does not appear to be running'.",
                alert="Airflow scheduler heartbeat missing",
                check=[health, import_errors],
                fix=[Step(action="Restart the scheduler." if not managed else
                          f"Restart the environment's Airflow components ({platform.label} has no scheduler of yours).",
                          command=platform.restart_workload(scheduler)),
                     Step(action="Tasks queued but never running: check the executor's workers (Celery workers, "
                                 "Kubernetes pods) and pool/parallelism slots.", command=None)],
                verify="jobs check finds the scheduler alive and new runs start on schedule within 15 minutes.",
                escalate="If the scheduler does not stay up for 15 minutes, page the data platform owner.",
            ),
            Issue(
                title="Airflow: a DAG run failed",
                symptoms="Run state failed; downstream data missing or stale.",
                alert=None,
                check=[runs, cmd("Task states of the failed run",
                                 dag_declare + "RUN_ID=\"${RUN_ID:?set RUN_ID: run_id from list-runs}\"\n"
                                 + airflow(f"tasks states-for-dag-run {dag_word} \"$RUN_ID\""),
                                 "the failed task; read its log in the UI or the task log folder")],
                fix=[Step(action="Fix the cause, then clear only the failed tasks.", command=clear),
                     Step(action="To stop new runs while you fix things, pause the DAG.",
                          command=cmd("Pause the DAG", dag_declare + airflow(f"dags pause {dag_word}"),
                                      "is_paused True; unpause with airflow dags unpause"))],
                verify="The cleared run finishes with state success within 2 hours and the next scheduled run "
                       "succeeds.",
                escalate="If the data is needed for a deadline that will be missed, tell the data consumers and "
                         "page the DAG owner.",
            ),
        ]

        return Contribution(
            components=[Component(name="Orchestrator", technology="Apache Airflow", version="fill in: airflow version",
                                  location=platform.location() if managed else f"scheduler {scheduler}",
                                  purpose=f"Runs DAG{'s' if len(dags) > 1 else ''} {', '.join(dags)}" if dags
                                  else "Runs the service's DAGs")],
            key_metrics=[KeyMetric(metric="Airflow scheduler heartbeat", normal_range="every 5 s",
                                   alert_threshold="none for 5 min", dashboard="fill in: Airflow dashboard")],
            prerequisites=platform.tools() if managed else
            ["airflow CLI inside the scheduler container or host (Airflow 2.x syntax)"],
            deploy_caveats=["Changing a DAG's start_date or schedule can trigger catch-up runs for every missed "
                            "interval unless catchup=False."],
            signals=signals,
            issues=issues,
            daily=["Check failed DAG runs and import errors"],
            weekly=["Review task durations against SLAs"],
            monthly=[f"Check {platform.label}'s metadata retention (the provider runs the database)" if managed else
                     "Clean old metadata (airflow db clean) after a backup of the metadata database"],
            maintenance_commands=[runs],
            dr_procedures=[Procedure(title="Airflow: rerun a date range after an outage", commands=[clear])],
            cheatsheet=[health, import_errors, runs],
        )


PACK = AirflowPack()
