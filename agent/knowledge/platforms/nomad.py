"""HashiCorp Nomad: the service is a Nomad job; its allocations run on client nodes that Nomad owns.

Nothing is done to the client nodes' processes or containers directly (Nomad restarts or reschedules
them): every change goes through the job (`nomad job restart`, `scale`, `revert`, `stop`, never with
`-purge`, which deletes the job's history), and a deploy is the job file run through the team's pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.knowledge.platforms.base import Action, Hostless, cmd, q
from agent.runbook import Command

# the job's name: quoted after "job" ("namespace `logistics`, job `parcel-eta` (type service)"), then in the
# team's commands, where only the flags that take a value take the next word (`history -p parcel-eta`)
_JOB = (re.compile(r"(?i)\bnomad\s+job\s+[`'\"]([a-z0-9][\w-]*)[`'\"]"),
        re.compile(r"(?i)\bjob\s+[`'\"]?([a-z0-9][\w-]*)[`'\"]?\s+(?:runs\s+)?(?:on|in)\s+nomad\b"),
        re.compile(r"(?i)\bjob\s+[`'\"]([a-z0-9][\w-]*)[`'\"]"),
        re.compile(r"\bnomad\s+(?:job\s+)?(?:status|revert|history|restart|scale|stop|allocs|deployments)\s+"
                   r"(?:-(?:namespace|region|address|token)\s+[^\s`'\"]+\s+|-[\w-]+(?:=[^\s`'\"]+)?\s+)*"
                   r"([a-z0-9][\w-]*)(?![\w-])(?![`'\"]?\s*(?:then|and|or)\b)"))
_NAMESPACE = re.compile(r"\bnomad\b[^\n`]*?-namespace[= ]([\w-]+)|(?i:\bnomad\s+namespace)\s+[`'\"]?([\w-]+)")


def said_nomad(text: str) -> bool:
    """The description runs the service as a Nomad job (not only mentions Nomad in passing)."""
    return re.search(r"(?i)\bnomad\s+(?:job|alloc|allocations?|deployment|clients?|cluster|namespace)\b|"
                     r"\bnomad\s+(?:job\s+)?(?:status|run|revert)\b", text) is not None


class Nomad(Hostless):
    """A Nomad job (service type): allocations on client nodes, deployments with auto-revert when set."""

    form = "cluster-workload"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "nomad", "Nomad"
        text = f.description
        self.job = next((m.group(1) for rx in _JOB if (m := rx.search(text))), None) or f.service
        if not any(rx.search(text) for rx in _JOB):
            self.assumptions.append(f"Nomad job named '{self.job}'")
        found = _NAMESPACE.search(text)
        self.namespace = ((found.group(1) or found.group(2)) if found else "") or f.namespace or ""
        self.n = f" -namespace={q(self.namespace)}" if self.namespace else ""

    def _nomad(self, verb: str, *args: str) -> str:
        return " ".join([f"nomad {verb}{self.n}", *args])

    def location(self) -> str:
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"Nomad job {self.job}{where} (allocations on the Nomad client nodes)"

    def diagram_node(self) -> str:
        return f"{self.job} (Nomad job)"

    def tools(self) -> list[str]:
        return ["nomad CLI with NOMAD_ADDR and a token (NOMAD_TOKEN) that can read and operate the job"
                + (f" in namespace '{self.namespace}'" if self.namespace else ""),
                "consul CLI / the Consul UI for the service's health checks (when Consul registers it)"]

    def config_files(self) -> list[str]:
        return [f"The job file of {self.job} in its repository (groups, count, update/auto_revert, templates)"]

    def caveats(self) -> list[str]:
        return ["Nomad owns the allocations: never docker restart / kill containers or stop processes on the "
                "client nodes; restart, scale, revert and stop go through the job.",
                f"Never `nomad job stop -purge {self.job}`: it deletes the job and its history (no revert).",
                *self.owners.caveats()]

    def status(self) -> list[Command]:
        return [cmd(f"Job {self.job}: its allocations, their state and the latest deployment",
                    self._nomad("job status", q(self.job)),
                    "Status running; allocations running and healthy; the latest deployment successful")]

    def log_tail(self, since: str) -> str:
        # `-job` picks one of the job's allocations; the logs are the task's stdout/stderr, not a time window
        return self._nomad("alloc logs", f"-job {q(self.job)} -stderr -tail -n 500")

    def events(self) -> Command:
        return cmd(f"Deployments of {self.job}: which version rolled out when, and whether it was reverted",
                   self._nomad("job deployments", q(self.job)),
                   "The latest deployment successful; a failed one points at the version that broke")

    def resources(self) -> Command:
        return cmd(f"Allocations of {self.job}: where they run and what they use",
                   self._nomad("job allocs", q(self.job)) + "\n"
                   "ALLOC_ID=\"${ALLOC_ID:?set ALLOC_ID to one running allocation from the list above}\"\n"
                   + self._nomad("alloc status", "-stats", '"$ALLOC_ID"'),
                   "CPU and memory below the task's limits; OOM-killed or restarting tasks show in its events")

    def version(self) -> Command:
        return cmd(f"Versions of the job {self.job} (revert targets)", self._nomad("job history", q(self.job)),
                   "The version before the current one is the revert target")

    def history(self) -> Command:
        return self.version()

    def local_health_check(self) -> Command:
        return self.guarded_health_check("through its Consul service or load balancer")

    def deploy(self) -> list[Command]:
        return [cmd(f"Plan the job file of {self.job} (what a run would change), then run it through the pipeline",
                    "JOB_FILE=\"${JOB_FILE:?set JOB_FILE to the job file (.nomad.hcl)}\"\n"
                    + self._nomad("job plan", '"$JOB_FILE"'),
                    "Only the changes you expect; the pipeline then runs `nomad job run` with the check index")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.events()]

    def rollback(self) -> list[Command]:
        return [self.version(),
                cmd(f"Revert {self.job} to the last good version",
                    "VERSION=\"${VERSION:?set VERSION to the last good job version (nomad job history)}\"\n"
                    + self._nomad("job revert", q(self.job), '"$VERSION"'),
                    "A new deployment of the old version rolls out and becomes healthy",
                    "Reverts the job spec only: data migrations and Consul/Vault changes are not reverted."),
                self.status()[0]]

    def restart_one(self) -> Command:
        return cmd("Restart one allocation (the others keep serving)",
                   "ALLOC_ID=\"${ALLOC_ID:?set ALLOC_ID to one allocation of the job (nomad job status)}\"\n"
                   + self._nomad("alloc restart", '"$ALLOC_ID"'),
                   "The allocation's tasks restart and become healthy again")

    def restart_all(self) -> Command:
        return cmd(f"Restart every allocation of {self.job}, one batch at a time",
                   self._nomad("job restart", "-batch-size=1", "-yes", q(self.job)),
                   "Allocations restart one at a time, each healthy before the next",
                   "Each allocation stops taking traffic while it restarts.")

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":
            return self.stop()
        return cmd(purpose, self._nomad("job scale", q(self.job), replicas),
                   f"{replicas} allocations running and healthy",
                   "The job file in Git still says the old count: the next pipeline run sets it back; change it "
                   "there too. More allocations multiply the connections to every downstream.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"# {name} lives in the job file's env / template stanza: change it there and run the "
                            "job through the pipeline\n" + self._nomad("job inspect", q(self.job))
                   + " | jq '.Job.TaskGroups[].Tasks[].Env // {}'",
                   f"{name}={value} in the task's environment after the new deployment",
                   f"A new job version restarts the allocations. Only useful if the service honours {name}.")

    def stop(self) -> Command:
        return cmd(f"Stop the job {self.job} (never with -purge: it keeps the history, so it can be run again)",
                   self._nomad("job stop", q(self.job)),
                   "Status dead (stopped); start it again with the job file or `nomad job revert`",
                   "Every allocation stops: the service is down until the job runs again.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the job in the recovery region / datacenter",
                    f"{self.dr_region_var()}\n"
                    "JOB_FILE=\"${JOB_FILE:?set JOB_FILE to the job file (.nomad.hcl)}\"\n"
                    f"nomad job plan -region=\"$DR_REGION\"{self.n} \"$JOB_FILE\"",
                    "The plan places the job's groups in the recovery region; run it through the pipeline")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.logs("1h"), self.events(), self.version()]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [*self.status(), self.logs("30m", "panic|fatal|error|oom"), self.events()]
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deploy, revert to the last good version", self.rollback()[1]),
            ("A stuck deployment: fail it (`nomad deployment fail`) and let auto_revert take over", None),
            ("Allocations OOM-killed → raise the task's memory in the job file, through the pipeline", None),
        ]
        return ("Allocations failing or restarting",
                "Allocations in failed / pending, task restarts or OOM kills in `nomad alloc status`", checks, fixes)

    # --- named workloads ------------------------------------------------------------------------
    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        job = self.job if workload in (self.ctx.facts.service, self.job) else workload
        envs = "".join(f"{e} " for e in env)
        return self._nomad("alloc exec", f"-job {q(job)}", f"sh -c {q(envs + command)}")

    def log_stream(self, workload: str) -> str:
        job = self.job if workload in (self.ctx.facts.service, self.job) else workload
        return self._nomad("alloc logs", f"-job {q(job)} -stderr -f")

    def edit_config(self, workload: str, path: str, what: str) -> str:
        return (f"# {what}: {path} is rendered from the job file's template stanza of {self.job}; change it in the "
                "job file and run the job through the pipeline")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        job = self.job if workload in (self.ctx.facts.service, self.job) else workload
        if action == "restart":
            return self._nomad("job restart", "-batch-size=1", "-yes", q(job))
        if action == "stop":
            return self._nomad("job stop", q(job))
        return f"# start {job}: run its job file through the pipeline (or nomad job revert to a version)"
