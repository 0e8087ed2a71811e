"""Docker Compose: a service of a compose project on one or more Docker hosts."""

from __future__ import annotations

from collections.abc import Sequence

from agent.knowledge.platforms.base import Action, Platform, cmd, q
from agent.runbook import Command


class Docker(Platform):
    form = "container"
    workload_key = "compose.service"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "docker", "Docker"
        self.svc = f.name("compose.service", f.service)
        comp = self.component
        if comp is not None and (self.ctx.model is None or comp is not self.ctx.model.app):
            self.svc = comp.name("compose_service") or comp.technology or comp.id
        self.file = f.names.get("compose.file") or "docker-compose.yml"
        self.project = f.names.get("compose.project")
        if "compose.file" not in f.names:
            self.assumptions.append(f"Docker Compose file '{self.file}' in the directory you run the commands from"
                                    + (f" (project {self.project})" if self.project else ""))
        if "compose.service" not in f.names:
            self.assumptions.append(f"Compose service named '{self.svc}', image tag taken from ${{TAG}}")
        hosts = f.names.get("hosts")
        self.host = hosts.split(",")[0] if hosts else None

    @property
    def dc(self) -> str:
        project = f" -p {q(self.project)}" if self.project else ""
        return f"docker compose{project} -f {q(self.file)}"

    # where the container's memory limit is raised
    memory_limit = "mem_limit / deploy.resources.limits.memory in the compose file and redeploy"

    def cid(self) -> str:
        return f"CID=\"$({self.dc} ps -q {q(self.svc)} | head -n 1)\""

    def location(self) -> str:
        where = f" on {self.ctx.facts.names['hosts']}" if self.ctx.facts.names.get("hosts") else ""
        return f"Docker Compose service {self.svc}{where}"

    def diagram_node(self) -> str:
        return f"{self.svc} (container)"

    def tools(self) -> list[str]:
        return ["docker Engine 24+ with the compose plugin (docker compose v2)",
                "SSH access to the Docker host(s) and membership of the docker group"]

    def config_files(self) -> list[str]:
        return [self.file, ".env next to the compose file (image TAG and settings)"]

    def secrets(self) -> str:
        return "Docker secrets / env files on the host (never commit them), sourced from " + super().secrets()

    def caveats(self) -> list[str]:
        return ["'docker compose down -v' deletes named volumes — never use -v on a host that keeps data.",
                f"Rolling back means re-deploying the previous image tag; write the current TAG down before "
                f"each deploy (it is in {self.file}'s .env)."]

    def status(self) -> list[Command]:
        return [cmd(f"State of the {self.svc} container(s)", f"{self.dc} ps {q(self.svc)}",
                    "STATUS 'Up … (healthy)'; 'Restarting' or 'Exited' → Troubleshooting"),
                cmd("Container health-check detail", f"{self.cid()}\n"
                    "docker inspect --format '{{json .State.Health}}' \"$CID\"",
                    "\"Status\":\"healthy\"; the Log array shows the last probe outputs")]

    def log_tail(self, since: str) -> str:
        return f"{self.dc} logs --since {since} --tail 500 {q(self.svc)}"

    def events(self) -> Command:
        return cmd("Container lifecycle events of the last hour (restarts, OOM kills)",
                   f"{self.cid()}\ndocker events --since 1h --until 0s --filter container=\"$CID\"",
                   "No 'die' / 'oom' events")

    def resources(self) -> Command:
        return cmd("CPU and memory per container", "docker stats --no-stream",
                   f"{self.svc} below ~80% CPU and well under its memory limit")

    def version(self) -> Command:
        return cmd("Image currently running", f"{self.dc} images {q(self.svc)}",
                   "The tag you expect; note it down before any change")

    def history(self) -> Command:
        return cmd("Images available locally (previous tags for rollback)",
                   f"{self.dc} images {q(self.svc)}\ndocker image ls --format '{{{{.Repository}}}}:{{{{.Tag}}}} "
                   "{{.CreatedSince}}' | head -n 10", "The previous tag is still present locally")

    def local_health_check(self) -> Command:
        if self.health_unknown:
            return self.guarded_health_check("on the published port")
        return cmd(f"Call {self.health} on the published port",
                   f"curl -fsS -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' --max-time 10 "
                   f"{q(self.health_url())}",
                   self.health_expect(f"HTTP 200; 'connection refused' means nothing listens on {self.health_port}"))

    def connections(self) -> Command:
        return cmd("Established connections from the container", f"{self.cid()}\n"
                   "docker exec \"$CID\" sh -c 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk \"\\$4 == "
                   "\\\"01\\\"\" | wc -l'", "Stable and below the pool size")

    def disk_check(self) -> Command:
        return cmd("Docker disk usage and host filesystem", "docker system df\ndf -h /var/lib/docker",
                   "Below 80% used; large 'Build Cache' or dangling images can be pruned")

    def pre_deploy(self) -> list[Command]:
        return [self.status()[0], self.version(),
                cmd("Validate the compose file", f"{self.dc} config --quiet", "No output, exit 0")]

    def deploy(self) -> list[Command]:
        return [cmd(f"Pull and start the new image of {self.svc} without touching other services",
                    "export TAG=\"${TAG:?set TAG to the image tag to deploy}\"\n"
                    f"{self.dc} pull {q(self.svc)}\n{self.dc} up -d --no-deps {q(self.svc)}",
                    "The container is recreated and turns (healthy)")]

    def post_deploy(self) -> list[Command]:
        return [self.status()[0], self.logs("10m", "error|exception|fatal"), self.health_check()]

    def rollback(self) -> list[Command]:
        return [self.history(),
                cmd("Redeploy the previous image tag",
                    "PREVIOUS_TAG=\"${PREVIOUS_TAG:?set PREVIOUS_TAG to the last known-good tag}\"\n"
                    "export TAG=\"$PREVIOUS_TAG\"\n"
                    f"{self.dc} up -d --no-deps {q(self.svc)}",
                    "Container recreated on the previous tag"),
                cmd("Verify the rollback", f"{self.dc} ps {q(self.svc)}\n{self.dc} images {q(self.svc)}",
                    "Up (healthy) and running the previous tag")]

    def restart_one(self) -> Command:
        return cmd(f"Restart the {self.svc} container", f"{self.dc} restart {q(self.svc)}",
                   "Back to Up (healthy) within a minute",
                   f"Interrupts every in-flight request of {self.svc} on this host (single container = brief "
                   "outage). Safer: if several replicas run behind a proxy, restart one host at a time.")

    def restart_all(self) -> Command:
        return cmd(f"Recreate the {self.svc} container from its image",
                   f"{self.dc} up -d --no-deps --force-recreate {q(self.svc)}",
                   "New container Up (healthy)",
                   "Recreates the container: local container filesystem changes are lost (volumes kept). "
                   "Try a plain restart first.")

    def scale(self, replicas: str, purpose: str) -> Command:
        return cmd(purpose, f"{self.dc} up -d --no-deps --scale {q(self.svc)}={replicas} {q(self.svc)}",
                   "The requested number of containers is Up",
                   "Scaling to 0 stops the service entirely." if replicas == "0" else None)

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"export {name}={q(value)}\n{self.dc} up -d --no-deps {q(self.svc)}",
                   f"Container recreated with {name}={value} (the compose file must pass ${name} through)",
                   f"Recreates the container (brief outage). Only useful if the service honours {name}.")

    def stop(self) -> Command:
        return cmd(f"Stop {self.svc} (keeps the container and its volumes)", f"{self.dc} stop {q(self.svc)}",
                   "Container Exited; nothing is processed until you start it again",
                   f"Full stop of {self.svc}. Never use 'down -v' here: it deletes volumes.")

    def rerun(self) -> Command:
        return cmd(f"Run {self.svc} once now in a throw-away container",
                   f"{self.dc} run --rm {q(self.svc)}",
                   "Exit code 0 and the success line at the end of the output",
                   "Runs the job for real: make sure it is idempotent for the window it processes.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Bring the service up on the standby host",
                    "DR_HOST=\"${DR_HOST:?set DR_HOST to the standby Docker host}\"\n"
                    "export TAG=\"${TAG:?set TAG to the last known-good tag}\"\n"
                    f"DOCKER_HOST=\"ssh://$DR_HOST\" {self.dc} up -d {q(self.svc)}",
                    "Container Up (healthy) on the standby host; then move traffic")]

    def cheatsheet(self) -> list[Command]:
        return [cmd("Follow logs", f"{self.dc} logs -f --tail 100 {q(self.svc)}"),
                cmd("Shell into the container", f"{self.dc} exec {q(self.svc)} sh"),
                cmd("Full container state (restart count, OOMKilled, exit code)", f"{self.cid()}\n"
                    "docker inspect --format '{{json .State}}' \"$CID\""),
                self.resources(), self.disk_check()]

    # --- named workloads ------------------------------------------------------------------------
    def component_workload(self) -> str:
        return self.svc

    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        passed = "".join(f" -e {name}" for name in env)
        return f"{self.dc} exec -T{passed} {q(self.resolve(workload))} {command}"

    def runs(self, name: str) -> bool:
        services = self.ctx.facts.names.get("compose.services", self.ctx.facts.names.get("compose.service", ""))
        return name in [s for s in services.split(",") if s]

    def log_stream(self, workload: str) -> str:
        return f"{self.dc} logs --since 30m {q(self.resolve(workload))}"

    def edit_config(self, workload: str, path: str, what: str) -> str:
        workload = self.resolve(workload)
        return (f"CONFIG=\"${{CONFIG:?set CONFIG to the host file mounted at {path} in {workload} "
                f"(see {self.file})}}\"\n"
                f"sudoedit \"$CONFIG\"  # {what}")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        return f"{self.dc} {'up -d' if action == 'start' else action} {q(workload)}"

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [self.status()[0],
                  cmd("Restart count, exit code and OOM flag", f"{self.cid()}\n"
                      "docker inspect --format 'restarts={{.RestartCount}} exit={{.State.ExitCode}} "
                      "oom={{.State.OOMKilled}}' \"$CID\"", "oom=true → memory; exit≠0 → read the logs"),
                  self.logs("30m")]
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deploy, roll back to the previous tag", self.rollback()[1]),
            (f"If OOM-killed, raise {self.memory_limit}", None),
            ("If a dependency is unreachable at start, fix the dependency first; restarts will not help", None),
        ]
        return ("Container restarting or exited", "Status 'Restarting (n)' or 'Exited', health 'unhealthy'",
                checks, fixes)
