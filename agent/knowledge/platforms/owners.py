"""Who owns a kind of change to a workload, so a runbook goes through that controller instead of
fighting it: `kubectl scale` under an HPA is undone within a minute, `kubectl set env` under Argo CD
self-heal within seconds, `systemctl restart postgresql` on a Patroni member races Patroni, a file
Ansible owns is overwritten on the next run.

Read from the service model (a component's `controllers`, the controllers that are components of
their own: an Argo CD application, a KEDA ScaledObject, a Patroni cluster) and, where the model says
nothing, from the description's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from agent.knowledge.base import Context
from agent.service.model import Component

# controller id -> how a runbook names it
LABELS = {
    "argocd": "Argo CD", "flux": "Flux", "gitops": "GitOps", "helm": "Helm", "hpa": "the HorizontalPodAutoscaler",
    "keda": "KEDA (ScaledObject)", "asg": "the Auto Scaling group", "ecs": "ECS service auto scaling",
    "ansible": "Ansible", "chef": "Chef", "puppet": "Puppet", "salt": "Salt", "terraform": "Terraform",
    "patroni": "Patroni", "sentinel": "Redis Sentinel", "rds": "RDS Multi-AZ", "nomad": "Nomad",
    "systemd": "systemd", "scheduler": "the scheduler",
}
GITOPS = frozenset({"argocd", "flux", "gitops"})
CONFIG_MANAGEMENT = frozenset({"ansible", "chef", "puppet", "salt", "terraform"})
AUTOSCALERS = frozenset({"hpa", "keda", "asg", "ecs"})
HA_MANAGERS = frozenset({"patroni", "sentinel"})

# Words of the description, for a model that records no controller: (aspect, by, pattern). The
# service model's vocabulary (agent/service/data/vocabulary.yaml, `controllers`) is the first source.
_WORDS_TABLE = r"""
replicas  keda      \bkeda\b|scaledobject
replicas  hpa       \bhpa\b|horizontal ?pod ?autoscal|\bautoscal(?:ed|es|ing|er)\b(?! group)
replicas  asg       auto ?scaling group|\basg\b
deploy    argocd    \bargo ?-?cd\b
deploy    flux      \bflux(?:cd)?\b
deploy    helm      \bhelm\b
config    ansible   \bansible\b
config    chef      \bchef\b
config    puppet    \bpuppet\b
config    salt      \bsaltstack\b|\bsalt (?:states?|master)\b
failover  patroni   \bpatroni\b
failover  sentinel  \bsentinel\b
"""
_WORDS = tuple(tuple(line.split(None, 2)) for line in _WORDS_TABLE.strip().splitlines())
_NEGATED = re.compile(r"\b(?:no|not|without|instead of|rather than|never)\s+(?:\w+\s+){0,2}$", re.I)
_SELF_HEAL = re.compile(r"self[- ]?heal|auto[- ]?sync|automated sync", re.I)


@dataclass(frozen=True)
class Owner:
    """One controller that owns one aspect (replicas, config, deploy, failover, restart, schedule)."""

    by: str
    aspect: str
    evidence: str = ""
    name: str = ""  # the controller's object: the Argo CD application, the ASG, the Patroni cluster
    self_heal: bool = False  # GitOps that reverts live edits by itself (not just on the next sync)

    @property
    def label(self) -> str:
        return LABELS.get(self.by, self.by)

    @property
    def gitops(self) -> bool:
        return self.by in GITOPS

    @property
    def config_management(self) -> bool:
        return self.by in CONFIG_MANAGEMENT

    def change(self, what: str) -> str:
        """The sentence that sends a change of `what` through this owner."""
        if self.gitops:
            app = f" {self.name}" if self.name else ""
            when = "within minutes (self-heal)" if self.self_heal else "on the next sync"
            return (f"Change {what} in Git (the manifests {self.label}{app} syncs) and sync; a live edit is "
                    f"reverted {when}")
        if self.config_management:
            return (f"Change {what} in the {self.label} code that owns it and apply it with {self.label}; a hand "
                    f"edit on a host is overwritten on the next {self.label} run")
        if self.by == "helm":
            return f"Change {what} in the Helm values and upgrade the release; the next upgrade overwrites a live edit"
        return f"Change {what} through {self.label}"


@dataclass(frozen=True)
class Owners:
    """The owners of one workload's changes; None where the platform itself is the owner."""

    replicas: Owner | None = None
    config: Owner | None = None
    deploy: Owner | None = None
    failover: Owner | None = None
    restart: Owner | None = None
    schedule: Owner | None = None

    @property
    def gitops(self) -> Owner | None:
        """The GitOps controller, when one owns deploys or config."""
        return next((o for o in (self.deploy, self.config) if o is not None and o.gitops), None)

    @property
    def autoscaler(self) -> Owner | None:
        return self.replicas if self.replicas is not None and self.replicas.by in AUTOSCALERS else None

    @property
    def ha_manager(self) -> Owner | None:
        return self.failover if self.failover is not None and self.failover.by in HA_MANAGERS else None

    def caveats(self) -> list[str]:
        """One line per owner the on-call engineer must go through."""
        out = []
        if self.autoscaler is not None:
            out.append(f"{self.autoscaler.label} owns the replica count: change its bounds (min/max) rather than the "
                       "replica count, or it scales back within a minute.")
        gitops = self.gitops
        if gitops is not None:
            out.append(gitops.change("any setting, image or replica bound") + ".")
        elif self.config is not None and self.config.config_management:
            out.append(self.config.change("configuration files and unit settings") + ".")
        ha = self.ha_manager
        if ha is not None and ha.by == "patroni":
            out.append("Patroni owns failover and restarts of PostgreSQL: restart, switch over and fail over with "
                       "patronictl, never by stopping, starting or promoting PostgreSQL by hand.")
        elif ha is not None:
            out.append(f"{ha.label} owns failover: fail over through it (SENTINEL FAILOVER), never by promoting a "
                       "replica by hand (REPLICAOF NO ONE), or the sentinels turn the old primary back.")
        return [line[0].upper() + line[1:] for line in out]
        return out


def _from_words(ctx: Context, aspect: str) -> Owner | None:
    text = ctx.facts.description
    for want, by, pattern in _WORDS:
        if want != aspect:
            continue
        for hit in re.finditer(pattern, text, re.I):
            if not _NEGATED.search(text[max(0, hit.start() - 30):hit.start()]):
                return Owner(by, aspect, evidence=hit.group(0))
    return None


def owners_of(ctx: Context, component: Component | None = None) -> Owners:
    """The owners of `component`'s changes (the service's own workload when None)."""
    model = ctx.model
    app = model.app if model is not None else None
    target = component if component is not None else app
    own = target is None or target is app
    found: dict[str, Owner] = {}
    engine_of = {"patroni": "postgresql", "sentinel": "redis"}
    is_engine = target is not None and (target.technology in ("postgresql", "redis") or (
        own and ctx.answers.service_type == "database"))
    controllers = list(target.controllers) if target is not None else []
    if target is not None and app is not None and target is not app:
        # an HA manager the reading hung on the service's own workload belongs to the engine it manages
        controllers += [c for c in app.controllers if engine_of.get(c.by) == target.technology]
    if target is not None:
        for c in controllers:
            if c.by in engine_of and not is_engine:
                continue  # Patroni / Sentinel manage a database, not the API that uses it
            by = c.by
            if by == "gitops":  # the vocabulary's self-heal word without a product: Argo CD or Flux
                by = "argocd" if re.search(r"\bargo", ctx.facts.description, re.I) else "flux"
            found.setdefault(c.aspect, Owner(by, c.aspect, c.evidence))
    if own:  # the description's words speak of the service itself, not of its dependencies
        for aspect in ("replicas", "deploy", "config"):
            if aspect not in found:
                word = _from_words(ctx, aspect)
                if word is not None:
                    found[aspect] = word
    if model is not None and target is not None and "failover" not in found:
        # an HA manager that is a component of its own ("the pg-ledger Patroni cluster") over this engine
        for comp in model.components:
            if comp.kind == "ha-manager" and (comp.technology, target.technology) in (
                    ("patroni", "postgresql"), ("redis-sentinel", "redis")):
                found["failover"] = Owner("patroni" if comp.technology == "patroni" else "sentinel", "failover",
                                          comp.evidence, comp.name("cluster") or comp.name("master_name") or "")
                break
    technology = target.technology if target is not None else ""
    engine = technology or ("postgresql" if ctx.answers.service_type == "database" else "")
    if "failover" not in found and (own and ctx.answers.service_type == "database" or engine in ("postgresql",
                                                                                                   "redis")):
        word = _from_words(ctx, "failover")
        if word is not None and (word.by == "patroni") == (engine != "redis"):
            found["failover"] = word
    if found.get("replicas") is not None and found["replicas"].by == "hpa" and ctx.answers.environment not in (
            "kubernetes", ""):
        # "autoscaled" on VMs is an Auto Scaling group, on ECS the service's own auto scaling
        found["replicas"] = replace(found["replicas"], by="ecs" if ctx.answers.environment == "docker" else "asg")
    if found.get("replicas") is not None and found["replicas"].by == "asg" and ctx.answers.environment == "kubernetes":
        del found["replicas"]  # the node group's ASG, not the workload's
    names = ctx.facts.names
    heal = bool(_SELF_HEAL.search(ctx.facts.description))
    deploy = found.get("deploy")
    if deploy is not None and deploy.by in GITOPS:
        deploy = replace(deploy, name=names.get("argocd.app", "") if deploy.by == "argocd" else "", self_heal=heal)
        found["deploy"] = deploy
        config = found.get("config")
        if config is None or config.by in GITOPS or config.by == "terraform":
            # Git is the source of truth of everything the controller syncs, self-heal or not
            found["config"] = replace(deploy, aspect="config")
    if found.get("replicas") is not None and found["replicas"].by == "asg":
        found["replicas"] = replace(found["replicas"], name=names.get("asg", ""))
    if found.get("failover") is not None and found["failover"].by == "patroni":
        found["failover"] = replace(found["failover"], name=found["failover"].name or names.get("patroni.cluster", ""))
        found.setdefault("restart", replace(found["failover"], aspect="restart"))
        if found["restart"].by == "systemd":  # Patroni runs under systemd, and it restarts PostgreSQL
            found["restart"] = replace(found["failover"], aspect="restart")
    return Owners(**{aspect: found.get(aspect) for aspect in
                     ("replicas", "config", "deploy", "failover", "restart", "schedule")})
