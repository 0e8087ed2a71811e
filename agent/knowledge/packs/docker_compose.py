"""Docker Compose deployments: down -v deletes volumes, restart loops, healthchecks, disk full."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, compose_cmd, q
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, Procedure, Step


class DockerComposePack(KeywordPack):
    name = "docker-compose"
    summary = ("Docker Compose: down -v deletes named volumes, restart loops and healthchecks, disk full "
               "(prune), single-service redeploys")
    keywords = ("docker compose", "docker-compose", "compose file", "compose.yaml")
    order = 75
    own_workload = True
    examples = ("Runs with docker compose on one VM (project shop): api, worker and postgres services",)
    negatives = ("Runs on Kubernetes", "Composes emails from templates")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        project = ctx.facts.name("compose.project", f.service)
        dc = compose_cmd(ctx)
        volume = ctx.facts.name("compose.volume", f"{project}_data")
        svc = q(f.name("compose.service", f.service))
        ps = cmd("Containers of the project with state and health", f"{dc} ps -a",
                 "every service 'running' / '(healthy)'; 'restarting' or 'exited (137)' (OOM/killed) needs work")
        health = cmd("Healthcheck history of the service's container",
                     f"docker inspect --format '{{{{json .State.Health}}}}' \"$({dc} ps -q {svc})\" | "
                     "jq '.Status, .Log[-3:]'",
                     "\"healthy\" and recent checks with ExitCode 0")

        signals = [Signal(
            key="compose.restarts", name="Container restarting", measure="restarts", threshold=Threshold(2),
            minutes=15, window="in", severity="Critical",
            response="Follow 'Compose: container restarting or unhealthy'.",
            entry="Compose: container restarting or unhealthy", labels={"project": project, "service": f.service},
            probe=ps, covers=("restarts",))]

        issues = [
            Issue(
                title="Compose: container restarting or unhealthy",
                symptoms="Service flaps; 'restarting' in docker compose ps; healthcheck failing.",
                alert="Container restarting",
                check=[ps, health, cmd("Last log lines before the crash", f"{dc} logs --tail 100 {svc}",
                                       "the error the process exits with"),
                       cmd("Was it killed for memory", f"docker inspect --format '{{{{json .State}}}}' "
                                                       f"\"$({dc} ps -q {svc})\" | jq '.OOMKilled, .ExitCode'",
                           "false and the exit code (137 with OOMKilled true means the memory limit)")],
                fix=[Step(action="Recreate only this service with the current image and config (other services "
                                 "keep running).",
                          command=cmd("Recreate one service", f"{dc} up -d --no-deps --force-recreate {svc}",
                                      "the container is recreated and becomes healthy")),
                     Step(action="Roll back: pin the previous image tag in the compose file (or .env) and "
                                 "recreate the service.", command=None)],
                verify="docker compose ps shows the service healthy with no restart for 15 minutes.",
                escalate="If it keeps restarting after a rollback, page the service owner.",
            ),
            Issue(
                title="Compose: host disk full",
                symptoms="'no space left on device' in logs; containers fail to start or write.",
                alert=None,
                check=[cmd("What Docker uses", "docker system df", "reclaimable images and build cache"),
                       cmd("Free space", "df -h /var/lib/docker", "more than 15% free")],
                fix=[Step(action="Remove unused images and build cache (volumes untouched).",
                          command=cmd("Prune unused images and build cache", "docker image prune -a -f --filter "
                                      "'until=168h'\ndocker builder prune -f",
                                      "the space reclaimed",
                                      warning="Deletes every image not used by a container and older than 7 days: "
                                              "rollback to those tags then needs a pull. Never add --volumes to "
                                              "a system prune on a host with data volumes.")),
                     Step(action="Cap container logs (logging driver max-size/max-file) so they cannot fill the "
                                 "disk again.", command=None)],
                verify="More than 15% free on /var/lib/docker and containers healthy for 15 minutes.",
                escalate="If space cannot be freed, page the host owner for a bigger disk.",
            ),
        ]

        return Contribution(
            components=[Component(name="Runtime", technology="Docker Compose",
                                  version="fill in: docker compose version", location=f"project {project}",
                                  purpose="Runs the service's containers on one host")],
            prerequisites=["ssh to the Docker host and membership of the docker group (or sudo)"],
            deploy_caveats=[f"Deploy one service: {dc} pull {svc} && {dc} up -d --no-deps {svc}.",
                            "'docker compose down' removes containers and networks but keeps named volumes; "
                            "'down -v' deletes the volumes too — the database data."],
            signals=signals,
            issues=issues,
            daily=["Check docker compose ps: all services healthy"],
            weekly=["Check disk space and prune old images"],
            monthly=["Update base images and redeploy"],
            maintenance_commands=[cmd("Stop the whole project, keeping data", f"{dc} down",
                                      "containers and network removed; volumes kept (docker volume ls)",
                                      warning="Never add -v: -v deletes the project's named volumes (database, "
                                              "sessions, uploads).")],
            dr_procedures=[Procedure(title="Compose: rebuild on a new host", commands=[cmd(
                "Restore a named volume from a tar backup and start",
                f"VOLUME={q(volume)}  # the named volume (docker volume ls; compose prefixes the project)\n"
                "BACKUP=\"${BACKUP:?set BACKUP: the path of the tar backup of the volume}\"\n"
                "docker volume create \"$VOLUME\"\n"
                "docker run --rm -v \"$VOLUME\":/data -v \"$(dirname \"$BACKUP\")\":/backup alpine "
                "tar -xzf \"/backup/$(basename \"$BACKUP\")\" -C /data\n"
                f"{dc} up -d",
                "services start with the restored data")])],
            cheatsheet=[ps, cmd("Follow logs of the service", f"{dc} logs -f --tail 50 {svc}"),
                        cmd("Shell in the container", f"{dc} exec {svc} sh")],
        )


PACK = DockerComposePack()
