"""Celery workers: backlog, stuck or dead workers, prefetch and acks_late traps, revoke (never purge)."""

from __future__ import annotations

import re

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    KeywordPack,
    cmd,
    exec_in,
    kill_switch,
    mention,
    q,
    restart_workload,
    snake,
    workload_logs,
)
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Step, Upstream


class CeleryPack(KeywordPack):
    name = "celery"
    summary = ("Celery workers: backlog, dead or stuck workers (inspect ping/active), prefetch and acks_late "
               "traps, warm shutdown, revoke (never purge the work queue)")
    keywords = ("celery",)
    order = 45
    examples = ("Django app with Celery workers (app orders) on a Redis broker",
                "Celery 5 workers consuming from RabbitMQ")
    negatives = ("Background jobs run with Sidekiq", "Celeriac soup recipe site")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        app = ctx.facts.name("celery.app", snake(f.service))
        # A worker service's own workload runs Celery; otherwise a separate <service>-worker.
        own = ctx.answers.service_type == "worker"
        worker = f.name("celery.worker", f.service if own else f"{f.service}-worker")
        queue = f.name("celery.queue", f.names.get("rabbitmq.queue") or f.names.get("queue") or "celery")
        # Redis is the broker unless the text has RabbitMQ too and calls Redis something else ("result backend")
        said_broker = re.search(r"(?i)redis[^.\n]{0,40}\bbroker\b|\bbroker\b[^.\n]{0,40}redis", f.description)
        redis_broker = mention(ctx, ("redis",)) is not None and (
            said_broker is not None or mention(ctx, ("rabbitmq", "amqp")) is None)

        def celery(args: str) -> str:
            return exec_in(ctx, worker, f"celery -A {q(app)} {args}")

        ping = cmd("Which workers answer", celery("inspect ping --timeout 5"),
                   "one 'pong' per worker; a missing worker is dead or blocked")
        active = cmd("Tasks running now on each worker", celery("inspect active --timeout 5"),
                     "tasks started long ago point at a stuck task holding the worker")
        if redis_broker:
            host = f.name("redis.host", f"{f.service}-redis")
            port = f.names.get("redis.port")
            backlog = cmd(f"Tasks waiting in queue {queue} (Redis broker)",
                          f"redis-cli -h {q(host)}{f' -p {q(port)}' if port else ''} LLEN {q(queue)}",
                          "a small number that falls")
        else:
            backlog = cmd(f"Tasks waiting in queue {queue}", celery("inspect active_queues --timeout 5"),
                          f"every worker consumes {queue}; use the broker's queue depth for the count")

        signals = [
            Signal(key="celery.backlog", name="Celery queue backlog", measure="queue length",
                   threshold=limit(f, ("queue", "backlog"), 1000, "", figure="backlog.max"), minutes=10,
                   severity="Warning", response="Follow 'Celery: tasks piling up'.", entry="Celery: tasks piling up",
                   tags=("redis",) if redis_broker else (), labels={"queue": queue}, probe=backlog,
                   covers=("queue_backlog",)),
            Signal(key="celery.workers", name="Celery no workers", measure="workers up", threshold=Threshold(1, op="<"),
                   minutes=2, severity="Critical", response="Follow 'Celery: tasks piling up'.",
                   entry="Celery: tasks piling up", probe=ping),
            Signal(key="celery.task_failures", name="Celery task failures", measure="share of tasks failing",
                   threshold=limit(f, ("task fail", "failure"), 5, "%"), minutes=10, severity="Warning",
                   response="Read the tracebacks; roll back the last deploy if it started then.",
                   probe=workload_logs(ctx, worker, "Traceback|ERROR|raised"), covers=("job_failures",)),
        ]

        issues = [Issue(
            title="Celery: tasks piling up",
            symptoms="Emails, exports or webhooks late; queue length rising; workers idle or missing.",
            alert="Celery queue backlog",
            check=[ping, active, backlog, workload_logs(ctx, worker, "Traceback|MemoryError|SIGKILL|WorkerLost")],
            fix=[Step(action="Dead or stuck workers: restart them (SIGTERM is a warm shutdown: running tasks "
                             "finish first; give them the grace period).", command=restart_workload(ctx, worker)),
                 Step(action="Long tasks block short ones behind prefetch: run workers with "
                             "--prefetch-multiplier=1 (and -O fair on Celery < 5.1), and route long tasks to "
                             "their own queue.", command=None),
                 Step(action="Memory growth killing workers: set --max-tasks-per-child or "
                             "--max-memory-per-child.", command=None),
                 Step(action="Revoke one runaway task.",
                      # `celery control revoke` takes ids only; terminate needs the Python API.
                      command=cmd("Revoke and terminate one task",
                                  "TASK_ID=\"${TASK_ID:?set TASK_ID: id from inspect active}\"\n"
                                  + exec_in(ctx, worker, "python -c 'import sys; from celery.app.utils import "
                                            "find_app; find_app(sys.argv[1]).control.revoke(sys.argv[2], "
                                            f"terminate=True)' {q(app)} \"$TASK_ID\""),
                                  "the task stops on its worker",
                                  warning="--terminate kills the process running the task mid-way (no cleanup; "
                                          "other tasks on that child may be lost with acks_late off). Without "
                                          "--terminate the task is only skipped if not yet started."))],
            verify="All workers answer ping and the queue length falls below 100 within 30 minutes.",
            escalate="If the backlog still grows after 30 minutes, page the service owner.",
        )]

        # The work queue is the work: purging it is never maintenance (store_roles.RECIPES has no purge for a
        # broker); the way out of a backlog is fixing workers and letting them drain, or revoking task ids.
        return Contribution(
            components=[Component(name="Task workers", technology="Celery", version="fill in: celery --version",
                                  location=worker, purpose=f"Runs background tasks of app {app} from queue {queue}")],
            upstream=[Upstream(service="Celery broker", purpose="Holds the queued tasks (the work itself)",
                               criticality="High",
                               fallback="None for the queued tasks: if the broker loses them they are gone; "
                                        "enqueue with retry in the web tier and re-enqueue from the source of "
                                        "truth after an outage. Never purge or flush it as a fix")],
            key_metrics=[KeyMetric(metric=f"Celery queue length ({queue})", normal_range="< 100",
                                   alert_threshold="> 1000 for 10 min", dashboard="fill in: Celery dashboard")],
            prerequisites=["celery CLI inside the worker image/venv (commands run via kubectl/docker exec or on "
                           "the worker host)"] + (["redis-cli with access to the Redis broker (queue lengths)"]
                                                  if redis_broker else []),
            deploy_caveats=["With a Redis broker and acks_late, a task running longer than visibility_timeout "
                            "(default 1 h) is delivered again to another worker: raise it above your longest "
                            "task.",
                            "Deploys restart workers: a SIGKILL after the grace period loses running tasks unless "
                            "acks_late is on; set the grace period above typical task duration.",
                            f"Never 'celery purge -Q {queue}' to clear a backlog: it Deletes every waiting task for "
                            "good (emails never sent, jobs never run). Fix the workers and let them drain, or "
                            "revoke specific task ids."],
            signals=signals,
            issues=issues,
            stop_writes=kill_switch(ctx, worker, "stop task execution while the damage is assessed"),
            assess=[backlog, active],
            daily=["Check queue length and worker count"],
            weekly=["Review failed task counts per task name"],
            monthly=["Review task time limits (soft_time_limit/time_limit) against real durations"],
            maintenance_commands=[],
            cheatsheet=[ping, active, cmd("Worker stats (pool size, tasks done)", celery("inspect stats --timeout 5"))],
            environment_variables=[("CELERY_BROKER_URL", "broker URL (redis:// or amqp://)")],
        )


PACK = CeleryPack()
