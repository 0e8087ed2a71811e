"""A plain Docker container (`docker run --restart=always`, no compose, no orchestrator) on a host."""

from __future__ import annotations

from collections.abc import Sequence

from agent.knowledge.platforms.base import Action, cmd, q
from agent.knowledge.platforms.compose import Docker
from agent.runbook import Command


class DockerContainer(Docker):
    """One container started with `docker run`: its name is the handle of every command; there is no
    compose file to redeploy from, so a release is a new container from the same `docker run` line."""

    form = "container"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "docker", "Docker"
        app = self.ctx.model.app if self.ctx.model is not None else None
        comp = self.component if self.component is not None else app
        # A component the model names no container for is the service's own container ("edge-gw is our
        # reverse proxy: nginx in a Docker container called edge-nginx").
        given = (comp.name("container") if comp is not None else None) or (
            app.name("container") if app is not None else None)
        self.name = given or f.name("container", f.service)
        if not given and "container" not in f.names:
            self.assumptions.append(f"Docker container named '{self.name}'")
        hosts = (comp.names_of("host") if comp is not None else []) or (app.names_of("host") if app else [])
        self.host = hosts[0] if hosts else None
        self.svc, self.file, self.project = self.name, "", None  # what the shared Docker commands read

    def component_workload(self) -> str:
        return self.name

    memory_limit = "it with docker update --memory (and in the run flags the container is recreated with)"

    def cid(self) -> str:
        return f"CID={self.c}"

    def runs(self, name: str) -> bool:
        return False

    def resolve(self, workload: str) -> str:
        # The service, or the technology the service is ("lb-web is nginx in a container"), is the one
        # container; the compose lookup Docker.resolve would make has no compose service to find.
        app = self.ctx.model.app if self.ctx.model is not None else None
        if workload == self.ctx.facts.service or (
                self.component is None and app is not None and app.technology and workload == app.technology):
            return self.name
        return super().resolve(workload)

    @property
    def c(self) -> str:
        return q(self.name)

    def location(self) -> str:
        where = f" on {self.host}" if self.host else ""
        return f"Docker container {self.name}{where} (docker run, restart policy)"

    def diagram_node(self) -> str:
        return f"{self.name} (container)"

    def tools(self) -> list[str]:
        where = self.host or "the Docker host"
        return [f"SSH access to {where} and membership of the docker group", "docker Engine CLI"]

    def config_files(self) -> list[str]:
        return [f"Bind mounts of {self.name} (docker inspect --format '{{{{json .Mounts}}}}' {self.name})",
                f"The docker run command line that created {self.name} (keep it in the repo)"]

    def caveats(self) -> list[str]:
        return [f"{self.name} was created with docker run: recreating it needs the same flags (ports, mounts, "
                "restart policy). Read them from docker inspect before removing the container.",
                *super().caveats()]

    def status(self) -> list[Command]:
        return [cmd(f"State of the {self.name} container", f"docker ps -a --filter name={self.c}",
                    "STATUS 'Up … (healthy)'; 'Restarting' or 'Exited' → Troubleshooting"),
                cmd("Container health-check detail and restart count",
                    f"docker inspect --format '{{{{json .State.Health}}}} restarts={{{{.RestartCount}}}}' {self.c}",
                    "\"Status\":\"healthy\" and a restart count that does not grow")]

    def log_tail(self, since: str) -> str:
        return f"docker logs --since {since} --tail 500 {self.c} 2>&1"

    def version(self) -> Command:
        return cmd("Image the container runs", f"docker inspect --format '{{{{.Config.Image}}}}' {self.c}",
                   "The tag you expect; note it down before any change")

    def history(self) -> Command:
        return cmd("Images available locally (previous tags for rollback)",
                   "docker image ls --format '{{.Repository}}:{{.Tag}} {{.CreatedSince}}' | head -n 10",
                   "The previous tag is still present locally")

    def recreate(self, image: str) -> str:
        """Replace the container by one from `image` with the same settings (read from docker inspect)."""
        return (f"docker inspect {self.c} > /tmp/{self.name}.inspect.json  # its ports, mounts and restart policy\n"
                f"docker pull {image}\n"
                f"docker stop {self.c} && docker rename {self.c} {q(self.name + '-old')}\n"
                f"RUN_FLAGS=\"${{RUN_FLAGS:?set RUN_FLAGS to the ports/mounts/restart flags of {self.name} "
                "(from the inspect file)}\"\n"
                f"docker run -d --name {self.c} $RUN_FLAGS {image}")

    def pre_deploy(self) -> list[Command]:
        return [self.status()[0], self.version()]

    def deploy(self) -> list[Command]:
        return [cmd(f"Replace {self.name} by a container of the new image (same flags)",
                    "IMAGE=\"${IMAGE:?set IMAGE to the image to deploy, e.g. registry/app:1.2.3}\"\n"
                    + self.recreate("\"$IMAGE\""),
                    "The new container turns (healthy); then remove the old one with docker rm",
                    f"Brief outage while the port moves to the new container; keep {self.name}-old until the new "
                    "one is healthy (rollback: stop the new one, rename the old one back, start it).")]

    def post_deploy(self) -> list[Command]:
        return [self.status()[0], self.logs("10m", "error|exception|fatal|emerg"), self.health_check()]

    def rollback(self) -> list[Command]:
        return [self.history(),
                cmd(f"Put the previous container of {self.name} back",
                    f"docker stop {self.c} && docker rename {self.c} {q(self.name + '-failed')}\n"
                    f"docker rename {q(self.name + '-old')} {self.c} && docker start {self.c}",
                    "The previous container is Up (healthy) again",
                    f"Needs the {self.name}-old container kept by the deploy; without it, recreate from the "
                    "previous tag with the same flags.")]

    def restart_one(self) -> Command:
        return cmd(f"Restart the {self.name} container", f"docker restart {self.c}",
                   "Back to Up (healthy) within a minute",
                   f"Interrupts every in-flight request of {self.name} (single container = brief outage).")

    def restart_all(self) -> Command:
        return self.restart_one()

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":
            return self.stop()
        return cmd(purpose + ": a single docker run container does not scale; raise its limits instead",
                   "MEMORY=\"${MEMORY:?set MEMORY to the new memory limit, e.g. 2g}\"\n"
                   f"docker update --memory \"$MEMORY\" --memory-swap \"$MEMORY\" {self.c}",
                   "docker inspect shows the new limits; no restart needed",
                   "More instances need more containers behind a load balancer, which this setup does not have.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose + f": recreate {self.name} with {name}={value}",
                   f"RUN_FLAGS=\"${{RUN_FLAGS:?set RUN_FLAGS to the current flags of {self.name} plus "
                   f"-e {name}={value}}}\"\n"
                   f"IMAGE=\"$(docker inspect --format '{{{{.Config.Image}}}}' {self.c})\"\n"
                   f"docker stop {self.c} && docker rename {self.c} {q(self.name + '-old')}\n"
                   f"docker run -d --name {self.c} $RUN_FLAGS \"$IMAGE\"",
                   f"The new container is Up (healthy) with {name}={value}",
                   "A container's environment is fixed at creation: this recreates it (brief outage).")

    def stop(self) -> Command:
        return cmd(f"Stop {self.name} (keeps the container)", f"docker stop {self.c}",
                   "Container Exited; the restart policy does not start a container stopped by hand",
                   f"Full stop of {self.name}: start it again with docker start {self.name}.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the same container on the standby host",
                    "DR_HOST=\"${DR_HOST:?set DR_HOST to the standby Docker host}\"\n"
                    f"IMAGE=\"$(docker inspect --format '{{{{.Config.Image}}}}' {self.c})\"\n"
                    f"RUN_FLAGS=\"${{RUN_FLAGS:?set RUN_FLAGS to the flags of {self.name}}}\"\n"
                    f"DOCKER_HOST=\"ssh://$DR_HOST\" docker run -d --name {self.c} $RUN_FLAGS \"$IMAGE\"",
                    "Container Up (healthy) on the standby host; then move traffic")]

    def cheatsheet(self) -> list[Command]:
        return [cmd("Follow logs", f"docker logs -f --tail 100 {self.c}"),
                cmd("Shell into the container", f"docker exec -it {self.c} sh"),
                cmd("Full container state (restart count, OOMKilled, exit code)",
                    f"docker inspect --format '{{{{json .State}}}}' {self.c}"),
                self.resources(), self.disk_check()]

    # --- named workloads ------------------------------------------------------------------------
    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        passed = "".join(f" -e {name}" for name in env)
        return f"docker exec{passed} {q(self.resolve(workload))} {command}"

    def log_stream(self, workload: str) -> str:
        return f"docker logs --since 30m {q(self.resolve(workload))} 2>&1"

    def edit_config(self, workload: str, path: str, what: str) -> str:
        workload = self.resolve(workload)
        return (f"docker inspect --format '{{{{range .Mounts}}}}{{{{.Source}}}} -> {{{{.Destination}}}}{{{{\"\\n\"}}}}"
                f"{{{{end}}}}' {q(workload)}  # which host file is mounted at {path}\n"
                f"CONFIG=\"${{CONFIG:?set CONFIG to the host file mounted at {path}}}\"\n"
                f"sudoedit \"$CONFIG\"  # {what}")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        return f"docker {action} {q(workload)}"
