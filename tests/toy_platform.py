"""A toy platform (HashiCorp Nomad) written only against `agent.knowledge.platforms.Platform`: the
recipe of docs/offline-engine.md ("Add a platform"), used by tests/test_platforms.py. No pack knows it."""

from __future__ import annotations

from collections.abc import Sequence

from agent.knowledge.platforms import Action, Platform, cmd, q
from agent.runbook import Command


class Nomad(Platform):
    """A Nomad job: allocations instead of pods, `nomad job` / `nomad alloc` instead of kubectl."""

    def __post_init__(self) -> None:
        self.key, self.label = "nomad", "Nomad"
        self.job = self.ctx.facts.service

    def _job(self, workload: str) -> str:
        return q(self.resolve(workload))

    def location(self) -> str:
        return f"Nomad job {self.job}"

    def tools(self) -> list[str]:
        return ["nomad CLI with NOMAD_ADDR and a token for the job's namespace"]

    def config_files(self) -> list[str]:
        return [f"{self.job}.nomad.hcl (the job specification)"]

    def status(self) -> list[Command]:
        return [cmd(f"Allocations of {self.job}", f"nomad job status {q(self.job)}", "every allocation running")]

    def log_tail(self, since: str) -> str:
        return f"nomad alloc logs -job {q(self.job)} -stderr"

    def events(self) -> Command:
        return cmd("Allocation events", f"nomad job status -verbose {q(self.job)}", "no failed allocations")

    def resources(self) -> Command:
        return cmd("Resource use of one allocation",
                   "ALLOC=\"${ALLOC:?set ALLOC}\"\nnomad alloc status -stats \"$ALLOC\"")

    def version(self) -> Command:
        return cmd("Job versions", f"nomad job history {q(self.job)}", "the version you expect is running")

    def history(self) -> Command:
        return self.version()

    def local_health_check(self) -> Command:
        return cmd("Checks of the job's services", f"nomad job status {q(self.job)} | grep -i health")

    def connections(self) -> Command:
        return self.resources()

    def disk_check(self) -> Command:
        return self.resources()

    def pre_deploy(self) -> list[Command]:
        return [cmd("Plan the new job version", f"nomad job plan {q(self.job)}.nomad.hcl")]

    def deploy(self) -> list[Command]:
        return [cmd("Run the new job version", f"nomad job run {q(self.job)}.nomad.hcl")]

    def post_deploy(self) -> list[Command]:
        return self.status()

    def rollback(self) -> list[Command]:
        return [self.history(), cmd("Revert to the previous version",
                                    "VERSION=\"${VERSION:?set VERSION}\"\n"
                                    f"nomad job revert {q(self.job)} \"$VERSION\"")]

    def restart_one(self) -> Command:
        return cmd("Restart one allocation", "ALLOC=\"${ALLOC:?set ALLOC}\"\nnomad alloc restart \"$ALLOC\"")

    def restart_all(self) -> Command:
        return self.restart_workload(self.job)

    def scale(self, replicas: str, purpose: str) -> Command:
        return cmd(purpose, f"nomad job scale {q(self.job)} {replicas}")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"# set env {{ {name} = \"{value}\" }} in {self.job}.nomad.hcl\n"
                   f"nomad job run {q(self.job)}.nomad.hcl")

    def stop(self) -> Command:
        return self.stop_workload(self.job, "full stop")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the job in the recovery region",
                    f"nomad job run -region \"$DR_REGION\" {q(self.job)}.nomad.hcl")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.logs()]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        return ("Allocations failing", "allocations restart or fail", [*self.status(), self.events()],
                [("If it started with a deploy, revert the job", self.rollback()[1])])

    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        return f"nomad alloc exec -job {self._job(workload)} {command}"

    def log_stream(self, workload: str) -> str:
        return f"nomad alloc logs -job {self._job(workload)} -stderr"

    def edit_config(self, workload: str, path: str, what: str) -> str:
        return f"# {what}: change the template stanza for {path} in the job file, then nomad job run"

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        job = self._job(workload)
        return {"stop": f"nomad job stop {job}", "start": f"nomad job run {job}.nomad.hcl",
                "restart": f"nomad job restart {job}"}[action]
