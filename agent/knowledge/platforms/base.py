"""The platform abstraction: every operation a runbook needs of the place a workload runs.

`Platform` is an abstract base: each operation is an `abc.abstractmethod`, so mypy (strict) refuses
to instantiate a platform that lacks one (`Cannot instantiate abstract class ...`), and Python raises
TypeError at run time. Concrete platforms live one per module next to this one; `select.platform_for`
picks one per component of the service model, and `owners.Owners` says which controller owns a
change, so operations go through it (GitOps, autoscaler, config management, HA manager).

Every builder returns `Command`s that paste and run: names come from the description (through
`Facts`), values only known during an incident are shell variables declared in the same block, and
state-changing commands carry a warning with the blast radius and a safer alternative.
"""

from __future__ import annotations

import re
import shlex
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Literal

from agent.knowledge.applies import serves_http
from agent.knowledge.base import Context
from agent.knowledge.health import HealthAPI, technology_api
from agent.knowledge.platforms.capacity import Capacity, capacity_of
from agent.knowledge.platforms.owners import Owners, owners_of
from agent.knowledge.profiles import default_unit
from agent.runbook import Command
from agent.service.model import Component

Action = Literal["stop", "start", "restart"]


# a name made of fill-in variables and name characters ("${POSTGRES_INSTANCE}-pitr")
_FILLED = re.compile(r"[\w${}./:*@+=,-]+")

def cmd(purpose: str, code: str, expect: str | None = None, warning: str | None = None,
        language: str = "bash") -> Command:
    return Command(purpose=purpose, language=language, code=code.strip("\n"), expect=expect,
                   warning=warning)


def q(value: str) -> str:
    """Shell-quote a name from the description only when it needs it."""
    if "${" in value and _FILLED.fullmatch(value):  # a fill-in variable (knowledge/names.py) must expand
        return f'"{value}"'
    return shlex.quote(value)


def remote_quote(command: str) -> str:
    """Quote a command for ssh so it reads well: single quotes, or double quotes when it holds single
    quotes but nothing the local shell would expand."""
    if "'" not in command:
        return f"'{command}'"
    if not any(ch in command for ch in '$`"\\!'):
        return f'"{command}"'
    return q(command)


def seconds(since: str) -> int:
    """'15m' -> 900, '24h' -> 86400."""
    unit = since[-1]
    return int(since[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(unit, 60)


def aws_log_events(group: str, since: str, region: str, pattern: str | None = None) -> str:
    """Recent events of a CloudWatch log group (works with aws CLI v1 and v2, unlike `aws logs tail`)."""
    flt = f" --filter-pattern {q(pattern)}" if pattern else ""
    return (f"aws logs filter-log-events --log-group-name {q(group)} --region {q(region)} "
            f"--start-time \"$(( ($(date +%s) - {seconds(since)}) * 1000 ))\"{flt} "
            "--query 'events[].message' --output text | tail -n 200")



def recent_log_events(group: str, region: str, pattern: str | None = None) -> str:
    """CloudWatch Logs events of the last 30 minutes (filter-log-events: in AWS CLI v1 and v2)."""
    where = f" --filter-pattern {q(pattern)}" if pattern else ""
    return (f"aws logs filter-log-events --log-group-name {q(group)} --region {q(region)} "
            f"--start-time \"$(date -u -d '-30 min' +%s)000\"{where} --query 'events[].message' --output text")


def double_quoted(text: str) -> str:
    """Double-quoted, so variables declared in the block expand before the command is sent."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# The unit a database engine's package installs, used when the description names none.
_ENGINE_UNITS = (("patroni", "patroni"), ("postgres", "postgresql"), ("mysql", "mysql"), ("mariadb", "mariadb"),
                 ("mongo", "mongod"), ("redis", "redis-server"), ("elasticsearch", "elasticsearch"),
                 ("opensearch", "opensearch"), ("kafka", "kafka"), ("rabbitmq", "rabbitmq-server"),
                 ("cassandra", "cassandra"), ("clickhouse keeper", "clickhouse-keeper"),
                 ("clickhouse", "clickhouse-server"), ("vault", "vault"), ("etcd", "etcd"), ("consul", "consul"),
                 ("zookeeper", "zookeeper"))


# technology id -> the unit its package installs
UNITS = {"postgresql": "postgresql", "mysql": "mysql", "mongodb": "mongod", "redis": "redis-server",
         "pgbouncer": "pgbouncer", "nginx": "nginx", "haproxy": "haproxy", "rabbitmq": "rabbitmq-server",
         "elasticsearch": "elasticsearch", "kafka": "kafka", "patroni": "patroni", "memcached": "memcached"}


def engine_unit(ctx: Context) -> str | None:
    """The unit a data engine's package installs when the service is that engine: a database, or an
    "other" service the description calls one ("X is the RabbitMQ cluster")."""
    found: list[tuple[int, int, str]] = []
    for word, unit in _ENGINE_UNITS:
        if word not in ctx.text:
            continue
        if ctx.answers.service_type == "database" or re.search(
                rf"\b(?:is|are)\s+(?:the|a|an|our)\b[^.]{{0,40}}?\b{word}", ctx.text):
            # Patroni wraps PostgreSQL: it wins; otherwise the engine named first is the service's (a
            # ClickHouse database that reads a Kafka topic is ClickHouse)
            found.append((0 if unit == "patroni" else 1, ctx.text.index(word), unit))
    return min(found)[2] if found else None


def service_unit(ctx: Context) -> str:
    """The systemd unit of the service on VMs / bare metal: the one the description names, else the engine's
    unit (see `engine_unit`), else the service slug."""
    named = ctx.facts.names.get("systemd.unit")
    if named:
        return named.removesuffix(".service")
    app = ctx.model.app if ctx.model is not None else None
    return engine_unit(ctx) or (default_unit(app.technology) if app is not None else None) or ctx.facts.service


@dataclass
class Platform(ABC):
    """What every place a workload runs offers the engine.

    Bound to the service's own workload (`component` None or the model's app) or to one component
    of the service model (a pooler on Kubernetes, a proxy in a container, a Patroni member on a host):
    then the `*_workload` operations and `exec_in` address that component's names.
    """

    ctx: Context
    key: str = ""
    label: str = ""
    assumptions: list[str] = field(default_factory=list)
    component: Component | None = None
    # The namespace of a bound component when the model names none but the pack read one from the text.
    namespace: str | None = None

    @cached_property
    def owners(self) -> Owners:
        """Who owns replicas, config, deploys, failover and restarts of this workload."""
        return owners_of(self.ctx, self.component)

    @cached_property
    def capacity(self) -> Capacity:
        """The counts the user gave this workload: the stated count, the autoscaler's range, its pools."""
        return capacity_of(self.ctx, self.component)

    def scale_out(self, default: int = 6) -> Command:
        """More instances, with the count taken from the model's range and connection limit (never a
        minimum above the given maximum), through the replicas owner (see `scale`)."""
        from agent.knowledge.platforms.stops import is_store  # late: stops builds on this module

        cap = self.capacity
        if is_store(self):
            # a store's or broker's members hold its data: a new member takes no existing partition, queue or
            # shard until they are moved, and a count read wrong is a scale-down of a quorum
            look = self.status()[0]
            return look.model_copy(update={
                "purpose": f"Count the members of {self.resolve(self.slug)} before any change: adding one is a "
                           "planned capacity change, not an incident fix",
                "warning": "New members of a data store or broker take no existing data until it is moved to them "
                           "(partition reassignment, queue or shard rebalancing), and removing one from a quorum "
                           "cluster loses its majority: change the member count only with the team, through the "
                           "owner of the cluster's definition."})
        target = cap.scale_out(default)
        scaler = self.owners.autoscaler
        if scaler is not None:
            rng = f" (its range {cap.range_text()})" if cap.range_text() else ""
            purpose = f"Raise the minimum {scaler.label} keeps to {target}{rng}"
        elif cap.count and cap.count < target:
            purpose = f"Scale out from {cap.count} to {target}"
        elif cap.count:  # the bounds keep it at or below what runs: a "scale out" to it would be a scale-down
            look = self.status()[0]
            return look.model_copy(update={
                "purpose": f"{self.resolve(self.slug)} already runs {cap.count}, the most the given bounds allow: "
                           "check the count; going higher is a capacity decision"})
        else:
            purpose = f"Scale out to {target}"
        return self.scale(str(target), purpose)

    def bounds_note(self) -> str:
        """What the user gave as the range and what each instance multiplies, for scale warnings."""
        cap, parts = self.capacity, []
        if cap.high is not None:
            parts.append(f"The given range is {cap.range_text()}: going above {cap.high} is a capacity decision "
                         "(raise the maximum deliberately, never the minimum past it)")
        if cap.ceiling is not None and cap.pool:
            parts.append(f"At most {cap.ceiling} instances fit the downstream's connection limit ({cap.pool} "
                         f"connections × instances ≤ {cap.limit})")
        drift = self.owners.drift("the capacity setting")
        return "".join(f" {p}." for p in parts) + (f" {drift}" if drift else "")

    # How the service model calls this way of running (Component.form).
    form: ClassVar[str] = "host"
    # Facts key of the service's own workload name on this platform ("k8s.deployment"), if it has one.
    workload_key: ClassVar[str | None] = None

    def resolve(self, workload: str) -> str:
        """`workload` as this platform names it: the service's own workload under the name the description
        gives it here (its Deployment, compose service, unit), any other workload as given."""
        comp = self.component
        if comp is not None and workload in (comp.technology, comp.id):
            return self.component_workload()
        app = self.ctx.model.app if self.ctx.model is not None else None
        if comp is None and app is not None and app.technology and workload == app.technology:
            workload = self.ctx.facts.service  # the service is that technology ("lb-web is nginx in …")
        if workload != self.ctx.facts.service:
            return workload
        name = self.ctx.facts.name(self.workload_key, workload) if self.workload_key else workload
        return name.removesuffix(".service")

    def component_workload(self) -> str:
        """The name the bound component's workload has on this platform (its Deployment, unit …)."""
        comp = self.component
        assert comp is not None
        return comp.technology or comp.id

    def stop_warning(self, workload: str, where: str = "") -> str:
        return (f"Stops all of {workload}: work stops being processed until you start it again." + where)

    # One shape for the named-workload commands; the platforms give the code.
    def stopped(self, workload: str, why: str, code: str, where: str = "") -> Command:
        return cmd(f"Stop {workload} ({why})", code, f"no {workload} process is running",
                   warning=self.stop_warning(workload, where))

    def started(self, workload: str, code: str, warning: str | None = None) -> Command:
        return cmd(f"Start {workload} again", code, f"{workload} is running and processing work", warning)

    def restarted(self, workload: str, code: str) -> Command:
        return cmd(f"Restart {workload}", code, f"{workload} is back and healthy within 5 minutes")

    def __post_init__(self) -> None:  # noqa: B027 - a hook: subclasses resolve their names here
        """Subclasses resolve their names here (defined so the dataclass __init__ calls it)."""

    @property
    def slug(self) -> str:
        return self.ctx.facts.service

    @property
    def port(self) -> int:
        api = self.health_api
        return self.ctx.facts.port or (api.port if api is not None else 8080)

    @property
    def health_api(self) -> HealthAPI | None:
        """The technology's own health API, when the model names no health endpoint for the service."""
        f = self.ctx.facts
        if f.health_path or "health.port" in f.names:
            return None
        model = self.ctx.model
        kind = self.ctx.answers.service_type
        return technology_api(model, kind, model is not None and serves_http(model, kind)[0])

    @property
    def health_port(self) -> int:
        given = self.ctx.facts.names.get("health.port")
        if given and given.isdigit():
            return int(given)
        api = self.health_api
        return api.port if api is not None else self.port

    @property
    def health(self) -> str:
        api = self.health_api
        if api is not None:
            return api.path + api.accept
        return self.ctx.facts.health_path or "/health"

    @property
    def port_unknown(self) -> bool:
        """Neither the model nor the technology names the port the service listens on."""
        return self.ctx.facts.port is None and self.health_api is None

    @property
    def health_unknown(self) -> bool:
        """Neither the model nor the technology says where the service answers a health check."""
        f = self.ctx.facts
        return not f.health_path and "health.port" not in f.names and self.health_api is None and not (
            f.url and re.search(r"/(?:healthz?|readyz|livez|ready|ping|status)\b", f.url))

    def health_url(self, host: str = "127.0.0.1") -> str:
        """The health endpoint as a URL (scheme from the technology's API)."""
        api = self.health_api
        scheme = api.scheme if api is not None else "http"
        return f"{scheme}://{host}:{self.health_port}{self.health}"

    def health_expect(self, fallback: str) -> str:
        api = self.health_api
        return api.expect if api is not None else fallback

    def guarded_health_check(self, where: str) -> Command:
        """No endpoint is known: ask for it (guarded), never call a made-up /health on 8080."""
        return cmd(f"Call the health endpoint of {self.resolve(self.slug)} ({where})",
                   f"HEALTH_URL=\"${{HEALTH_URL:?set HEALTH_URL to the health endpoint of {self.slug} (the service "
                   "model names none), e.g. http://HOST:PORT/PATH}\"\n"
                   "curl -fsS -o /dev/null -w 'HTTP %{http_code} in %{time_total}s\\n' --max-time 10 \"$HEALTH_URL\"",
                   "HTTP 200; a timeout or 5xx means the service is not healthy")

    @property
    def region(self) -> str:
        return self.ctx.facts.region or ("us-central1" if self.cloud == "gcp" else "us-east-1")

    @property
    def cloud(self) -> str:
        return self.ctx.facts.cloud or "aws"

    @property
    def stateful(self) -> bool:
        # A database, or an "other" service that is itself a data engine ("events-broker is the RabbitMQ
        # cluster", "logsearch is the Elasticsearch cluster"): nodes restart one at a time, no release symlinks.
        return self.ctx.answers.service_type == "database" or (
            self.ctx.answers.service_type == "other" and engine_unit(self.ctx) is not None)

    # --- descriptive ---------------------------------------------------------------------------
    @abstractmethod
    def location(self) -> str:
        """Where the workload runs, in one line (Service Overview)."""

    @abstractmethod
    def tools(self) -> list[str]:
        """CLIs and access the on-call engineer needs."""

    @abstractmethod
    def config_files(self) -> list[str]:
        """Where the workload's configuration lives."""

    def secrets(self) -> str:
        if not self.ctx.facts.cloud:  # no cloud named (a data centre, a VM host): no provider's store either
            return "the team's secrets store (not named in the description: Vault, Ansible Vault, files on the hosts …)"
        if self.cloud == "gcp":
            return "GCP Secret Manager (fill in the secret names)"
        if self.cloud == "azure":
            return "Azure Key Vault (fill in the vault name)"
        return "AWS Secrets Manager / SSM Parameter Store (fill in the secret names)"

    def caveats(self) -> list[str]:
        return self.owners.caveats()

    def diagram_node(self) -> str:
        return self.label

    # --- read-only checks ----------------------------------------------------------------------
    @abstractmethod
    def status(self) -> list[Command]:
        """Is it running, and how many of it: the first checks of triage."""

    @abstractmethod
    def log_tail(self, since: str) -> str:
        """The command that prints the service's own log lines of the last `since`, from every instance."""

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        """Logs of the service's own workload for the last `since`, filtered by `grep` (platforms whose log
        store filters by itself, CloudWatch Logs, the journal over ssh, override it)."""
        base = self.log_tail(since)
        if grep:
            return cmd(f"Search the last {since} of {self.resolve(self.slug)} logs for '{grep}'",
                       f"{base} 2>&1 | grep -iE {q(grep)} | tail -n 50",
                       "No matches is healthy; repeated matches point at the failing dependency or code path")
        return cmd(f"Read the last {since} of {self.resolve(self.slug)} logs", base,
                   "No ERROR lines or stack traces; note the first error after the incident start")

    @abstractmethod
    def events(self) -> Command:
        """The platform's event stream (scheduling, health, restarts)."""

    @abstractmethod
    def resources(self) -> Command:
        """CPU and memory of the running instances."""

    @abstractmethod
    def version(self) -> Command:
        """Which release is live."""

    @abstractmethod
    def history(self) -> Command:
        """Past releases: the rollback target."""

    def health_check(self) -> Command:
        from agent.knowledge.packs.profiled import profiled_health  # late: packs import platforms

        own = profiled_health(self)  # a technology profile's own probe, never an HTTP app's /health
        if own is not None:
            return own
        f = self.ctx.facts
        if f.names.get("protocol") == "grpc" and not f.health_path and not f.url:
            return self.grpc_health_check()
        url = f.url
        has_health = bool(url) and bool(re.search(r"/(?:healthz?|readyz|livez|ready|ping|status)\b", url or ""))
        if url and not has_health and (f.port or "health.port" in f.names) and self.key != "serverless":
            url = None  # the health endpoint was given on an internal port: check it there
        if url:
            base = url.rstrip("/")
            api = self.health_api
            # the service's address without a path: its technology's health API there, not its root page
            path = f.health_path or (api.path + api.accept if api is not None else "")
            target = base if has_health or not path else base + path
            return cmd(f"Probe {target} from outside",
                       f"curl -fsS -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' "
                       f"--max-time 10 {q(target)}",
                       api.expect if api is not None and not has_health and not f.health_path else
                       "HTTP 200 in well under a second; a timeout or 5xx means the service is not healthy")
        return self.local_health_check()

    @abstractmethod
    def local_health_check(self) -> Command:
        """The health endpoint called from where the workload runs."""

    def grpc_health_check(self) -> Command:
        """gRPC services answer the standard health protocol; grpc_health_probe speaks it."""
        return cmd(f"gRPC health check on port {self.port} (grpc.health.v1)",
                   "HOST=\"${HOST:?set HOST to an instance address}\"\n"
                   f"grpc_health_probe -addr=\"$HOST:{self.port}\" "
                   "-connect-timeout 2s -rpc-timeout 5s",
                   "status: SERVING; NOT_SERVING means a dependency check failed, a timeout means it is not "
                   "listening")

    @abstractmethod
    def connections(self) -> Command:
        """Open TCP connections of one instance (pool exhaustion)."""

    # --- actions -------------------------------------------------------------------------------
    @abstractmethod
    def pre_deploy(self) -> list[Command]:
        """Checks before a release."""

    @abstractmethod
    def deploy(self) -> list[Command]:
        """Ship a release, through the deploy owner (GitOps, Helm, orchestrator) when there is one."""

    @abstractmethod
    def post_deploy(self) -> list[Command]:
        """Checks after a release."""

    @abstractmethod
    def rollback(self) -> list[Command]:
        """Go back to the previous release, through the deploy owner."""

    @abstractmethod
    def restart_one(self) -> Command:
        """Restart one instance (the others keep serving)."""

    @abstractmethod
    def restart_all(self) -> Command:
        """Restart every instance, through the restart owner (GitOps action, HA manager)."""

    @abstractmethod
    def scale(self, replicas: str, purpose: str) -> Command:
        """Change the instance count, through the replicas owner (HPA, KEDA, ASG, service autoscaling)."""

    @abstractmethod
    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        """Change one setting (environment variable), through the config owner (Git, config management)."""

    @abstractmethod
    def stop(self) -> Command:
        """Stop the service entirely (workers: stop consuming)."""

    @abstractmethod
    def redeploy_elsewhere(self) -> list[Command]:
        """Run the same release in the recovery region / cluster / host."""

    def dr_region_var(self) -> str:
        given = self.ctx.facts.names.get("dr.region")
        return f"DR_REGION={q(given)}" if given else "DR_REGION=\"${DR_REGION:?set DR_REGION to the recovery region}\""

    def dr_context_var(self) -> str:
        given = self.ctx.facts.names.get("dr.cluster")
        if given:
            return f"DR_CONTEXT={q(given)}  # kube context of the DR cluster named in the description"
        return "DR_CONTEXT=\"${DR_CONTEXT:?set DR_CONTEXT to the kube context of the DR cluster}\""

    def rerun(self) -> Command | None:
        """Start one run of a batch job now (pipelines); None where the platform has no such thing."""
        return None

    @abstractmethod
    def cheatsheet(self) -> list[Command]:
        """Everyday commands for the Quick Reference."""

    @abstractmethod
    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        """(title, symptoms, checks, fixes) for the platform's crash/restart-loop failure."""

    # --- operations on a named workload (packs: a worker, a scheduler, a consumer, a component) ------
    @abstractmethod
    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        """`command` run where `workload`'s code and configuration live, with the operator's environment
        variables `env` (a password the operator exported) passed through without showing them."""

    def reach(self, service: str, port: int) -> Command | None:
        """How the operator's shell reaches `service`:`port` when it is only reachable inside the platform
        (a ClusterIP Service); None where it is reachable by its name."""
        return None

    def runs(self, name: str) -> bool:
        """Whether `name` is a workload this platform runs whose address only resolves inside it (a compose
        service on the compose network): clients of it must run inside it."""
        return False

    def event_source_mapping(self, source_arn_var: str) -> Command | None:
        """The trigger that feeds this workload from a queue or stream (a Lambda event source mapping);
        None where consumers poll by themselves."""
        return None

    @abstractmethod
    def log_stream(self, workload: str) -> str:
        """The command that prints `workload`'s log lines of the last 30 minutes (stdout / journal)."""

    def cloudwatch_logs(self, group: str, since: str, grep: str | None, expect: str) -> Command:
        """`logs` for platforms whose log store is a CloudWatch Logs group (the filter runs on AWS's side)."""
        if grep:
            terms = " ".join(f'?"{t}"' if " " in t else f"?{t}" for t in grep.split("|"))
            return cmd(f"Logs of the last {since} matching '{grep}'", aws_log_events(group, since, self.region, terms),
                       "No matches is healthy; " + expect)
        return cmd(f"Logs of the last {since} of {group}", aws_log_events(group, since, self.region),
                   "No errors; " + expect)

    def workload_logs(self, workload: str, pattern: str) -> Command:
        """Recent log lines of `workload` matching `pattern`."""
        return cmd(f"Recent {self.resolve(workload)} log lines matching {pattern!r}",
                   f"{self.log_stream(workload)} | grep -iE {q(pattern)} | tail -n 50",
                   "no lines, or the lines that name the failing resource")

    def as_root(self, workload: str, command: str) -> str:
        """`command` run with the privileges it needs where `workload` runs (sudo on a host; a container's
        process already runs as its user)."""
        return self.exec_in(workload, command)

    @abstractmethod
    def edit_config(self, workload: str, path: str, what: str) -> str:
        """The lines that change `what` in `workload`'s configuration file `path` durably: where the file
        comes from on this platform (host file, ConfigMap, bind mount), through its config owner."""

    def owned_edit(self, what: str) -> str | None:
        """The config owner's way to change `what` (a comment line for the block), None when none owns it."""
        owner = self.owners.config
        return f"# {owner.change(what)}" if owner is not None else None

    @abstractmethod
    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        """The command that stops, starts (to `replicas` where the count is the platform's) or restarts
        the named `workload` (already resolved) on this platform."""

    # Where stop_workload's warning tells to run it ("on every host").
    stop_where: ClassVar[str] = ""

    @property
    def zero_stop(self) -> bool:
        """Whether `stop` really stops the workload (platforms whose count cannot be 0, or whose trigger
        delivers past the stop, say no: see stops.refusal)."""
        return True

    def stop_workload(self, workload: str, why: str) -> Command:
        """Stop `workload` entirely; platforms whose owner does it override (GitOps, Patroni, a trigger)."""
        workload = self.resolve(workload)
        return self.stopped(workload, why, self.control(workload, "stop"), self.stop_where)

    def start_workload(self, workload: str, replicas: int | None = None) -> Command:
        """Start `workload` again after `stop_workload`."""
        workload = self.resolve(workload)
        return self.started(workload, self.control(workload, "start", replicas or self.ctx.facts.replicas or 2))

    def restart_workload(self, workload: str) -> Command:
        """Restart `workload`, through its owner."""
        workload = self.resolve(workload)
        return self.restarted(workload, self.control(workload, "restart"))

    def reload_config(self, workload: str, check: str, reload: str) -> Command:
        """Validate (`check`) then apply (`reload`) `workload`'s configuration in place, both run where it
        runs (`nginx -t` / `nginx -s reload`); the reload runs only when the check passes."""
        reload_lines = "\n".join("  " + line for line in self.exec_in(workload, reload).splitlines())
        return cmd(f"Validate, then reload {workload}'s configuration in place",
                   f"if {self.exec_in(workload, check)}; then\n{reload_lines}\nfi",
                   "The check passes and the reload returns without error; existing connections are kept")

    def config_change(self, what: str, where: str) -> str:
        """How to change `what` (a file or setting at `where`) durably: through the config owner when one
        owns it (Git + sync, config management run), else where it is."""
        owner = self.owners.config
        if owner is not None:
            return owner.change(what)
        return f"Change {what} in {where}"

    @abstractmethod
    def disk_check(self) -> Command:
        """Filesystem / volume usage."""


class Hostless(Platform, ABC):
    """A platform whose instances the operator does not log into (ECS tasks, functions): connections and
    disk come from its resource view, the pre-deploy check is its status and version."""

    def connections(self) -> Command:
        return self.resources()

    def disk_check(self) -> Command:
        return self.resources()

    def pre_deploy(self) -> list[Command]:
        return [*self.status(), self.version()]
