"""A service that *is* a managed product (an Amazon OpenSearch Service domain, an RDS instance, an
ElastiCache replication group …) with no compute of the team's own: `Managed` is its platform, and every
operation is the product's own through the provider's CLI and the product's API (describe, its log
groups, its reboot / failover call or "no restart: open a support case", capacity through the owner of
its configuration). Which product has which calls is data (`data/managed_products.yaml`); `service_product`
says, from the service model, whether the service is one of them and why.

There is no ssh, systemctl or kubectl here: the product has no host, unit or pod of the team's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agent.knowledge.base import Context
from agent.knowledge.platforms.base import Action, Hostless, aws_log_events, cmd, q
from agent.runbook import Command
from agent.service.model import Component, ServiceModel


@dataclass(frozen=True)
class Block:
    """One command of a product, with placeholders ({{id}}, {{region}} …) still in it."""

    purpose: str
    code: str
    expect: str = ""
    warning: str = ""


@dataclass(frozen=True)
class Product:
    """What one managed product offers, read from the data file (see its header)."""

    variant: str
    product: str
    what: str
    cloud: str
    var: str
    roles: tuple[str, ...]
    tools: tuple[str, ...]
    settings: str
    endpoint: str
    health_path: str
    blocks: dict[str, Block]
    logs: dict[str, str]
    restart_none: str  # why the product has no restart of ours ("" when `blocks` has one)
    scale: dict[str, str]
    stop_none: str
    rollback: str
    support: str


_BLOCKS = ("status", "change", "events", "resources", "version", "history", "connections", "disk",
           "settings_read", "restart", "dr")


def _block(raw: Any) -> Block | None:
    if not isinstance(raw, dict) or "code" not in raw:
        return None
    return Block(purpose=str(raw.get("purpose", "")), code=str(raw["code"]).strip("\n"),
                 expect=str(raw.get("expect", "")), warning=str(raw.get("warning", "")))


@lru_cache(maxsize=1)
def products() -> dict[str, Product]:
    """The products of `data/managed_products.yaml`, by the model's variant."""
    text = (Path(__file__).parent / "data" / "managed_products.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text) or {}
    out: dict[str, Product] = {}
    for variant, spec in (data.get("products") or {}).items():
        blocks = {key: b for key in _BLOCKS if (b := _block(spec.get(key))) is not None}
        logs = {k: str(v) for k, v in (spec.get("logs") or {}).items()}
        out[str(variant)] = Product(
            variant=str(variant), product=str(spec["product"]), what=str(spec["what"]), cloud=str(spec["cloud"]),
            var=str(spec["var"]), roles=tuple(spec.get("roles") or ()), tools=tuple(spec.get("tools") or ()),
            settings=str(spec.get("settings", "")), endpoint=str(spec.get("endpoint", "")),
            health_path=str(spec.get("health_path", "")), blocks=blocks, logs=logs,
            restart_none=str((spec.get("restart") or {}).get("none", "")),
            scale={k: str(v) for k, v in (spec.get("scale") or {}).items()},
            stop_none=str((spec.get("stop") or {}).get("none", "")), rollback=str(spec.get("rollback", "")),
            support=str(spec.get("support", "")))
    return out


# --- is the service itself a managed product? -------------------------------------------------------

# Names that place the service's own workload somewhere (a Deployment, a unit, a function …): then it has
# compute of its own and the product is only a dependency.
_COMPUTE_ROLES = ("deployment", "statefulset", "daemonset", "cronjob", "container", "compose_service",
                  "compose_project", "ecs_service", "task_definition", "unit", "timer", "function", "asg",
                  "k8s_service", "release", "argocd_app", "chart")
# Words allowed between "<service> is" and the product's words ("is our managed Amazon RDS for PostgreSQL
# 15 instance"): articles, provider and engine words, versions. Anything else ("a Java service backed by
# RDS") means the service is something else that uses the product.
_FILLER = (r"(?:a|an|the|our|one|just|simply|basically|managed|fully[- ]managed|"
           r"amazon|aws|google|cloud|gcp|microsoft|azure|for|on|in|"
           r"postgres(?:ql)?|mysql|mariadb|redis|valkey|memcached|kafka|open ?search|elastic ?search|"
           r"database|db|cache|cluster|instance|search|v?\d[\d.]*)")
_DATA_KINDS = ("database", "cache", "search", "stream", "broker", "queue")


@dataclass(frozen=True)
class Identified:
    """The product the service is, the model's component of it, and the words that say so."""

    product: Product
    component: Component
    evidence: str


def _product_words(variant: str) -> list[str]:
    from agent.service.vocabulary import vocabulary  # late: the vocabulary loads its data on first use

    return sorted({w for v in vocabulary().variants.values() if v.variant == variant for w in v.words},
                  key=len, reverse=True)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]


def _says_it_is(model: ServiceModel, description: str, variant: str, pronouns: bool = True) -> str:
    """The sentence that says the service is the product ("X is our Amazon OpenSearch domain",
    "X = an ElastiCache replication group", with `pronouns` also "it's an RDS instance called …"), else ""."""
    words = _product_words(variant)
    if not words:
        return ""
    names = {model.service.name, model.service.display} - {""}
    subject = "|".join([*(re.escape(n) for n in sorted(names, key=len, reverse=True)),
                        *([r"it|this|the service|this service"] if pronouns else [])])
    product = "|".join(re.escape(w) for w in words)
    said = re.compile(rf"(?<![\w-])[`'\"*]*(?:{subject})[`'\"*]*\s*(?:=|:|—|–|\bis\b|'s\b|\bare\b|\bruns as\b)\s*"
                      rf"(?:{_FILLER}\s+){{0,5}}(?:{product})\b", re.I)
    return next((s.strip() for s in _sentences(description) if said.search(s)), "")


def _identifier_of(component: Component, roles: Sequence[str]) -> str | None:
    """A product identifier (letters, digits, hyphens: never a host name) the component names."""
    for role in roles:
        for value in component.names_of(role):
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", value):
                return value
    return None


def service_product(model: ServiceModel | None, description: str, service_type: str = "") -> Identified | None:
    """The managed product the service itself is, when the model describes no compute of its own: the app
    is a managed component of a known product, or a managed component is the service by the description's
    words ("X is our Amazon OpenSearch domain"), by name (its identifier is the service's name), or by
    being the only data store of a database service."""
    if model is None:
        return None
    known = products()
    app = model.app
    if app is not None and app.variant in known:
        return Identified(known[app.variant], app, app.evidence or f"the service model's app is {app.variant}")
    managed = [c for c in model.components if c is not app and c.form == "managed" and c.variant in known]
    for comp in managed:  # "billing-db — Amazon Aurora PostgreSQL cluster …": said by name, whatever else runs
        said = _says_it_is(model, description, comp.variant, pronouns=False)
        if said:
            return Identified(known[comp.variant], comp, said)
    if model.platform.environment:
        return None  # the description names a compute platform: the product is a dependency
    if app is not None and (app.form not in ("unknown", "managed") or any(app.name(r) for r in _COMPUTE_ROLES)):
        return None
    for comp in managed:
        said = _says_it_is(model, description, comp.variant)
        if said:
            return Identified(known[comp.variant], comp, said)
    for comp in managed:
        ident = _identifier_of(comp, known[comp.variant].roles)
        if ident is not None and ident == model.service.name:
            return Identified(known[comp.variant], comp, f"{known[comp.variant].what} {ident} is the service's name")
    kind = service_type or model.service.kind
    stores = [c for c in managed if c.kind in _DATA_KINDS]
    if kind == "database" and len(stores) == 1:
        comp = stores[0]
        return Identified(known[comp.variant], comp,
                          comp.evidence or f"a database service whose only data store is {known[comp.variant].product}")
    return None


# --- the platform -----------------------------------------------------------------------------------


class Managed(Hostless):
    """The service is a managed product: operations are the product's (see the module docstring)."""

    form = "managed"

    def __post_init__(self) -> None:
        model = self.ctx.model
        found = service_product(model, self.ctx.facts.description, self.ctx.answers.service_type)
        if found is None:  # callers ask service_product first (select.managed_product, select._managed)
            raise LookupError("no managed product in the service model")
        self.identified = found
        self.product = found.product
        self.key, self.label = self.product.variant, self.product.product
        app = model.app if model is not None else None
        owners = [c for c in (found.component, app) if c is not None]
        ident = next((i for c in owners if (i := _identifier_of(c, self.product.roles)) is not None), None)
        self.given_id = ident is not None
        self.ident = ident or ""
        if not self.given_id:
            self.assumptions.append(f"the {self.product.product} {self.product.what} is not named: commands ask "
                                    f"for ${self.product.var}")
        self.endpoint_host = _endpoint_of(owners)
        self.given_region = self.ctx.facts.region
        group = next((v for c in (model.components if model is not None else []) for v in c.names_of("resource_group")),
                     None)
        self.group = group
        project = self.ctx.facts.names.get("gcp.project")
        self.project = project

    # --- names ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.ident or f"${self.product.var}"

    @property
    def region_var(self) -> str:
        return {"gcp": "GCP_REGION", "azure": "AZURE_LOCATION"}.get(self.product.cloud, "AWS_REGION")

    def declares(self, code: str) -> str:
        """The lines that set the guarded variables `code` uses for values the description lacks."""
        lines = []
        p = self.product
        if not self.given_id and f"${p.var}" in code.replace("${", "$").replace("}", ""):
            lines.append(f"{p.var}=\"${{{p.var}:?set {p.var} to the {p.product} {p.what} name}}\"")
        if not self.given_region and f"${self.region_var}" in code.replace("${", "$").replace("}", ""):
            lines.append(f"{self.region_var}=\"${{{self.region_var}:?set {self.region_var} to the region of "
                         f"the {p.what}}}\"")
        if self.group is None and "$RESOURCE_GROUP" in code:
            lines.append("RESOURCE_GROUP=\"${RESOURCE_GROUP:?set RESOURCE_GROUP to the cache's resource group}\"")
        return "".join(line + "\n" for line in lines)

    def fill(self, template: str, count: str = "", since: str = "1h") -> str:
        p = self.product
        values = {
            "id": q(self.ident) if self.given_id else f"\"${p.var}\"",
            "id_text": self.ident if self.given_id else f"${{{p.var}}}",
            "log_id": self.ident if self.given_id else f"'\"${p.var}\"'",
            "region": q(self.given_region) if self.given_region else f"\"${self.region_var}\"",
            "project": f" --project {q(self.project)}" if self.project else "",
            "group": q(self.group) if self.group else "\"$RESOURCE_GROUP\"",
            "product": p.product, "name": self.name, "count": count or "\"$COUNT\"", "since": since,
            "dr_region": self.dr_region_var(),
        }
        out = re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), template)
        return out

    def run(self, key: str, *, count: str = "", purpose: str | None = None) -> Command:
        """The product's block `key` as a command (declarations first)."""
        block = self.product.blocks.get(key) or self.product.blocks["status"]
        code = self.fill(block.code, count)
        return cmd(purpose or self.fill(block.purpose), self.declares(code) + code, self.fill(block.expect) or None,
                   self.fill(block.warning) or None)

    def none(self, purpose: str, why: str) -> Command:
        """An operation the product does not have: say so, and show its state instead of inventing one."""
        status = self.product.blocks["status"]
        code = f"# {self.fill(why)}\n" + self.fill(status.code)
        return cmd(purpose, self.declares(code) + code, self.fill(status.expect) or None)

    @property
    def endpoint(self) -> str:
        """The endpoint's host: the one the description gives, else the product's describe call."""
        return self.endpoint_host or self.fill(self.product.endpoint)

    # --- descriptive ---------------------------------------------------------------------------
    def location(self) -> str:
        region = f" ({self.given_region})" if self.given_region else ""
        return f"{self.product.product} {self.product.what} {self.name}{region}: no hosts or pods of the team's"

    def diagram_node(self) -> str:
        return f"{self.product.product} {self.name}"

    def tools(self) -> list[str]:
        return [self.fill(t) for t in self.product.tools]

    def config_files(self) -> list[str]:
        return [f"No config files of yours: {self.product.settings}"]

    def caveats(self) -> list[str]:
        return [*super().caveats(),
                f"{self.product.product} runs no process of the team's: there is no host, unit or pod to log into "
                f"or restart; changes go through the {self.product.what}'s configuration (IaC)."]

    def secrets(self) -> str:
        return super().secrets() if self.product.cloud == self.cloud else {
            "gcp": "GCP Secret Manager (fill in the secret names)",
            "azure": "Azure Key Vault (fill in the vault name)"}.get(self.product.cloud, super().secrets())

    @property
    def cloud(self) -> str:
        return self.product.cloud

    @property
    def stateful(self) -> bool:
        return True

    # --- read-only checks ----------------------------------------------------------------------
    def status(self) -> list[Command]:
        out = [self.run("status")]
        if "change" in self.product.blocks:
            out.append(self.run("change"))
        return out

    def log_groups(self) -> Command:
        logs = self.product.logs
        code = self.fill(logs.get("list") or logs.get("code", ""))
        return cmd(self.fill(logs.get("purpose", "Logs")), self.declares(code) + code,
                   "the log destinations; a log type not listed is not published (enable it in the IaC)")

    @property
    def named_log_groups(self) -> list[str]:
        """The CloudWatch Logs groups the description names for the product: the model's log_group names,
        then the /aws/... group paths written in the text (the product's own ones first: those naming
        its identifier)."""
        model = self.ctx.model
        named = [v for c in (model.components if model is not None else []) for v in c.names_of("log_group")]
        written = [m.rstrip(".,;:)") for m in re.findall(r"(?<![\w/.-])/aws/[\w.#/-]+", self.ctx.facts.description)]
        found = list(dict.fromkeys([*named, *written]))
        return sorted(found, key=lambda g: 0 if self.ident and self.ident in g else 1)

    def log_tail(self, since: str) -> str:
        logs = self.product.logs
        if logs.get("code"):
            code = self.fill(logs["code"], since=since)
            return self.declares(code) + code
        if logs.get("store") == "cloudwatch":
            region = self.given_region or f"${{{self.region_var}}}"
            groups = self.named_log_groups
            if groups:  # the description names the log group: read it
                code = aws_log_events(groups[0], since, region)
                return self.declares(code) + code
            listing = self.fill(logs["list"])
            code = (f"{listing}  # the log groups the {self.product.what} publishes to\n"
                    "LOG_GROUP=\"${LOG_GROUP:?set LOG_GROUP to one of the log groups listed above}\"\n"
                    + aws_log_events("${LOG_GROUP}", since, region))
            return self.declares(code) + code
        code = self.fill(logs.get("list", self.product.blocks["status"].code))
        return self.declares(code) + code

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        groups = self.named_log_groups
        if grep:  # error lines are in an application / engine log, never in a slow or audit log
            groups = [g for g in groups if not re.search(r"slow|audit", g, re.I)]
        if self.product.logs.get("store") != "cloudwatch" or not groups or not self.given_region:
            if grep and self.product.logs.get("store") == "cloudwatch":
                return self.listed_logs(since, grep)
            return super().logs(since, grep)
        # the filter runs on AWS's side, over the group the description names
        others = f"; the other groups named: {', '.join(groups[1:])}" if len(groups) > 1 else ""
        return self.cloudwatch_logs(groups[0], since, grep, f"lines of {groups[0]}{others}")

    def listed_logs(self, since: str, grep: str) -> Command:
        """`grep` over the log group the operator picks from the product's published ones."""
        region = self.given_region or f"${{{self.region_var}}}"
        listing = self.fill(self.product.logs["list"])
        terms = " ".join(f'?"{t}"' if " " in t else f"?{t}" for t in grep.split("|"))
        code = (f"{listing}  # the log groups the {self.product.what} publishes to\n"
                "LOG_GROUP=\"${LOG_GROUP:?set LOG_GROUP to the application / engine log group listed above}\"\n"
                + aws_log_events("${LOG_GROUP}", since, region, terms))
        return cmd(f"Logs of the last {since} matching '{grep}'", self.declares(code) + code,
                   "No matches is healthy; the first error after the incident start names the cause")

    def events(self) -> Command:
        return self.run("events")

    def resources(self) -> Command:
        return self.run("resources")

    def connections(self) -> Command:
        return self.run("connections") if "connections" in self.product.blocks else self.resources()

    def disk_check(self) -> Command:
        return self.run("disk") if "disk" in self.product.blocks else self.resources()

    def version(self) -> Command:
        return self.run("version")

    def history(self) -> Command:
        return self.run("history")

    def health_check(self) -> Command:
        path = self.product.health_path
        if not path:  # a database's health is the product's state and the engine's own probe (its pack)
            return self.status()[0]
        target = f"https://{self.endpoint_host}{path}" if self.endpoint_host else None
        if target is not None:
            return cmd(f"Health of {self.name} over its https endpoint",
                       f"curl -sS --fail-with-body --netrc {q(target)}",
                       "status green; yellow means replicas unassigned, red means a primary shard is missing")
        code = (f"ENDPOINT=\"{self.fill(self.product.endpoint)}\"\n"
                f"curl -sS --fail-with-body --netrc \"https://$ENDPOINT{path}\"")
        return cmd(f"Health of {self.name} over its https endpoint", self.declares(code) + code,
                   "status green; yellow means replicas unassigned, red means a primary shard is missing")

    def local_health_check(self) -> Command:
        return self.health_check()

    # --- actions -------------------------------------------------------------------------------
    def iac(self, what: str) -> str:
        owner = self.owners.config
        return owner.change(what) if owner is not None else (
            f"Change {what} in the IaC that owns the {self.product.what} (Terraform / CloudFormation / the "
            "console if none) and apply it there")

    def pre_deploy(self) -> list[Command]:
        return [*self.status(), self.run("settings_read") if "settings_read" in self.product.blocks else self.version()]

    def deploy(self) -> list[Command]:
        check = self.product.blocks.get("change") or self.product.blocks["status"]
        code = self.fill(check.code)
        return [cmd(f"A release of {self.name} is a configuration change: check none is running, then apply it "
                    "through its owner",
                    self.declares(code) + f"{code}\n# then: {self.iac('the setting')}",
                    self.fill(check.expect) or None,
                    "Start no configuration change while another one (or a bulk job the team names) runs.")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.events()]

    def rollback(self) -> list[Command]:
        return [self.history(), self.none(f"Roll back {self.name}", self.product.rollback)]

    def restart_one(self) -> Command:
        return self.restart_all()

    def restart_all(self) -> Command:
        if self.product.restart_none:
            return self.none(f"No restart of {self.name}: the product has none of yours", self.product.restart_none)
        return self.run("restart")

    def scale(self, replicas: str, purpose: str) -> Command:
        spec = self.product.scale
        check = self.product.blocks.get("change") or self.product.blocks["status"]
        check_code = self.fill(check.code)
        update = self.fill(spec.get("code", ""), count=replicas)
        # the product's own call only runs when the operator says nothing else owns the setting (never drift
        # by pasting the block)
        code = (f"{check_code}  # no change may be running\n# {self.iac(spec.get('what', 'the capacity'))}; "
                "only if nothing manages it, the product's own call:\n"
                f"NO_IAC=\"${{NO_IAC:?this is owned by its IaC: change it there (set NO_IAC=1 only if nothing manages "
                f"the {self.product.what})}}\"\n{update}")
        return cmd(f"{purpose}: {spec.get('what', 'capacity')} of {self.name}, through the owner of its configuration",
                   self.declares(code) + code, self.fill(check.expect) or None,
                   self.fill(spec.get("warning", "")) or None)

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return self.none(purpose, f"{self.product.product} has no environment variables of yours: {name}={value} "
                                  f"is a setting of {self.product.settings}. {self.iac('it')}")

    def stop(self) -> Command:
        return self.none(f"No stop of {self.name}", self.product.stop_none or "the product cannot be stopped")

    def stop_workload(self, workload: str, why: str) -> Command:
        if workload in (self.slug, self.ident, self.identified.component.technology, self.identified.component.id):
            return self.stop()
        return self.none(f"Stop {workload} ({why})", f"{workload} is not run by {self.product.product}: stop it "
                                                     "where it runs (its own runbook)")

    def redeploy_elsewhere(self) -> list[Command]:
        return [self.run("dr")] if "dr" in self.product.blocks else [
            self.none("Recovery region", "the product has no recovery-region copy the description names")]

    def cheatsheet(self) -> list[Command]:
        named = [self.logs("1h")] if self.named_log_groups and self.given_region else []
        connections = [self.connections()] if "connections" in self.product.blocks else []
        return [*self.status(), self.events(), self.resources(), *connections, self.log_groups(), *named]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [*self.status(), self.events(), self.resources()]
        restart = self.restart_all()
        fixes: list[tuple[str, Command | None]] = [
            ("A configuration change or maintenance is running: wait for it; start no other change", None),
            (f"Still unhealthy with no change running: open a case with {self.product.support}", None),
        ]
        if not self.product.restart_none:
            fixes.insert(1, ("Only with the owner's go-ahead, the product's own reboot / failover", restart))
        return (f"{self.product.product} {self.product.what} unhealthy",
                f"the {self.product.what} is not available, is stuck in a change, or its endpoint fails", checks, fixes)

    # --- named workloads: the product has none of the team's -------------------------------------
    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        return (f"# {self.product.product} gives no shell: run this from a host that reaches {self.endpoint}\n"
                f"{command}")

    def log_stream(self, workload: str) -> str:
        return self.log_tail("30m")

    def edit_config(self, workload: str, path: str, what: str) -> str:
        return f"# {what}: no config file of yours; {self.iac('the setting of ' + self.product.settings)}"

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        if action == "restart":
            return self.restart_all().code
        return self.stop().code


def _endpoint_of(components: Sequence[Component]) -> str | None:
    """The first host name (or IPv4 address) the components name as a URL, host or DNS name."""
    for c in components:
        for role in ("url", "host", "dns_name"):
            for value in c.names_of(role):
                host = re.sub(r"^\w+://", "", value).split("/")[0].split(":")[0]
                if re.fullmatch(r"\d+(?:\.\d+){3}", host) or ("." in host and not re.fullmatch(r"[\d.]+", host)):
                    return host
    return None


def managed_endpoint(ctx: Context, technology: str) -> str | None:
    """The host name of a managed component's endpoint as the description gives it (its own names, else the
    service's own when the service is that product), None when none is given."""
    model = ctx.model
    if model is None:
        return None
    comp = model.component(technology)
    return _endpoint_of([c for c in (comp, model.app) if c is not None])
