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
    "systemd": "systemd", "scheduler": "the scheduler", "codedeploy": "AWS CodeDeploy", "sam": "AWS SAM",
    "cloudformation": "CloudFormation", "cdk": "the AWS CDK", "argo-rollouts": "Argo Rollouts", "flagger": "Flagger",
    "spinnaker": "Spinnaker", "jenkins": "Jenkins",
}
GITOPS = frozenset({"argocd", "flux", "gitops"})
CONFIG_MANAGEMENT = frozenset({"ansible", "chef", "puppet", "salt", "terraform"})
AUTOSCALERS = frozenset({"hpa", "keda", "asg", "ecs"})
HA_MANAGERS = frozenset({"patroni", "sentinel"})
# Stacks: the release is a stack update (the function's code, the task definition, the alias are in it)
STACKS = frozenset({"sam", "cloudformation", "cdk", "terraform"})
# Controllers that move traffic from the old version to the new one step by step, and back
PROGRESSIVE = frozenset({"codedeploy", "argo-rollouts", "flagger"})
PIPELINES = frozenset({"spinnaker", "jenkins"})
# Who ships a release when several are named: the most specific wins (SAM over the CodeDeploy traffic
# shifting it drives, Argo CD over the Helm chart it renders, CodeDeploy over the Terraform that built it)
_DEPLOY_ORDER = ("sam", "cdk", "cloudformation", "argocd", "flux", "codedeploy", "helm", "ansible", "terraform",
                 "chef", "puppet", "salt", "spinnaker", "jenkins")

# Words of the description, for a model that records no controller: (aspect, by, pattern). The
# service model's vocabulary (agent/service/data/vocabulary.yaml, `controllers`) is the first source.
_WORDS_TABLE = r"""
replicas  keda      \bkeda\b|scaledobject
replicas  hpa       \bhpa\b|horizontal ?pod ?autoscal|\bautoscal(?:ed|es|ing|er)\b(?! group)
replicas  asg       auto ?scaling group|\basg\b
replicas  ecs       \bservice auto ?scaling\b|\bapplication auto ?scaling\b
deploy    argocd    \bargo ?-?cd\b
deploy    flux      \bflux(?:cd)?\b
deploy    helm      \bhelm\b
deploy    sam       \baws sam\b|\bsam (?:cli|stack|template|deploy|application)\b
deploy    sam       serverless application model|\bsam\b(?=[^.]{0,40}\bstack)
deploy    cdk       \b(?:aws )?cdk\b
deploy    cloudformation  \bcloud ?formation\b
deploy    codedeploy  \b(?:aws )?code ?deploy\b
deploy    ansible   \bansible[- ]playbook|\bansible\b[^.]{0,60}\b(?:deploy|release|roll)
deploy    ansible   \b(?:deploy|release|roll)\w*\b[^.]{0,60}\bansible\b
deploy    ansible   \bplaybook\b[^.]{0,40}\b(?:deploy|release)
deploy    terraform  \b(?:deploy|release|ship)\w*\b[^.]{0,30}\b(?:terraform|opentofu)\b|\b(?:terraform|opentofu) apply\b
deploy    spinnaker  \bspinnaker\b
deploy    jenkins   \bjenkins\b
infra     terraform  \bterraform\b|\bopentofu\b
infra     cloudformation  \bcloud ?formation\b
infra     cdk       \b(?:aws )?cdk\b
rollout   argo-rollouts  \bargo ?rollouts?\b|\bkind: ?rollout\b
rollout   flagger   \bflagger\b
rollout   codedeploy  \b(?:aws )?code ?deploy\b
config    ansible   \bansible\b
config    chef      \bchef\b
config    puppet    \bpuppet\b
config    salt      \bsaltstack\b|\bsalt (?:states?|master)\b
failover  patroni   \bpatroni\b
failover  sentinel  \bsentinel\b
"""
_WORDS = tuple(tuple(line.split(None, 2)) for line in _WORDS_TABLE.strip().splitlines())
# The nouns that name an owner's own object ("deployment group orders-dg", "stack orders-prod"), read
# from the sentence that names the owner: (object, owner ids, nouns).
_OBJECTS = (
    ("application", ("codedeploy",), ("codedeploy application", "codedeploy app", "application", "app")),
    ("group", ("codedeploy",), ("deployment group", "deployment-group")),
    ("stack", ("sam", "cloudformation", "cdk"), ("cloudformation stack", "sam stack", "cdk stack", "stack", "stacks")),
    ("rollout", ("argo-rollouts",), ("rollout",)),
    ("canary", ("flagger",), ("canary",)),
    ("playbook", ("ansible",), ("playbook",)),
    ("inventory", ("ansible",), ("inventory",)),
    ("workspace", ("terraform",), ("workspace", "terraform workspace")),
)
_NAME = r"[`'\"]?([A-Za-z0-9][\w./-]*[\w])[`'\"]?"
_NAMING = r"(?:\s+(?:named|called))?\s+"
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
    # the controller's other objects the description names: (("group", "orders-dg"), ("application", …))
    objects: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return LABELS.get(self.by, self.by)

    def obj(self, key: str) -> str | None:
        """The name of this controller's `key` object (application, group, stack, rollout …), when given."""
        return next((v for k, v in self.objects if k == key), None)

    @property
    def stack(self) -> bool:
        return self.by in STACKS

    @property
    def progressive(self) -> bool:
        return self.by in PROGRESSIVE

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
        if self.stack:
            stack = f" {self.obj('stack')}" if self.obj("stack") else ""
            return (f"Change {what} in the {self.label} code of the stack{stack} and deploy it; a change made with the "
                    f"console or the CLI is drift that the next {self.label} deploy reverts")
        if self.by in PIPELINES:
            return f"Change {what} in the repository and release it through the {self.label} pipeline"
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
    # who moves traffic from the old version to the new one (CodeDeploy blue/green or canary, Argo Rollouts,
    # Flagger): rollback during a release is its abort, never a second deploy on top of it
    rollout: Owner | None = None
    # the infrastructure-as-code that defines the workload's capacity and settings when it does not ship the
    # release itself ("infrastructure is managed by Terraform; releases by Ansible"): a CLI change is drift
    infra: Owner | None = None

    def drift(self, what: str) -> str:
        """The sentence that sends a change of `what` through the infrastructure code ("" without one)."""
        owner = self.infra or (self.deploy if self.deploy is not None and self.deploy.stack else None)
        if owner is None:
            return ""
        return (f"{what[0].upper() + what[1:]} is in the {owner.label} code: change it there too, or the next "
                f"{owner.label} run reverts a change made with the CLI.")

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
        deploy, rollout = self.deploy, self.rollout
        if self.infra is not None:
            out.append(f"{self.infra.label} defines the infrastructure (instance counts, group sizes, capacity "
                       "settings): change them in its code; a change made with the CLI or the console is drift the "
                       f"next {self.infra.label} run reverts.")
        if deploy is not None and (deploy.stack or deploy.by in PIPELINES) and gitops is None:
            out.append(deploy.change("the code, the configuration or a capacity setting") + ".")
        if rollout is not None and rollout.by == "codedeploy" and deploy is not None and deploy.stack:
            out.append(f"{rollout.label} shifts traffic for every {deploy.label} deploy: while a shift runs, roll "
                       "back with aws deploy stop-deployment --auto-rollback-enabled (the alias or the service goes "
                       "back to the previous version); after it, redeploy the previous release through "
                       f"{deploy.label}. Never move the alias or the task set by hand.")
        elif rollout is not None:
            out.append(ROLLOUT_CAVEATS.get(rollout.by, "").format(label=rollout.label))
        ha = self.ha_manager
        if ha is not None and ha.by == "patroni":
            out.append("Patroni owns failover and restarts of PostgreSQL: restart, switch over and fail over with "
                       "patronictl, never by stopping, starting or promoting PostgreSQL by hand.")
        elif ha is not None:
            out.append(f"{ha.label} owns failover: fail over through it (SENTINEL FAILOVER), never by promoting a "
                       "replica by hand (REPLICAOF NO ONE), or the sentinels turn the old primary back.")
        return [line[0].upper() + line[1:] for line in out if line]


# What going through a progressive-delivery controller means, one line each.
ROLLOUT_CAVEATS = {
    "codedeploy": ("{label} owns releases and their traffic shifting: ship with a CodeDeploy deployment; while "
                   "one runs, roll back with aws deploy stop-deployment --auto-rollback-enabled, after it redeploy "
                   "the previous revision through CodeDeploy. A release made beside it is rejected or undone."),
    "argo-rollouts": ("{label} owns the release of the Rollout: abort a bad canary with kubectl argo rollouts "
                      "abort and go back with kubectl argo rollouts undo; kubectl rollout undo does not work on a "
                      "Rollout."),
    "flagger": ("{label} owns the canary: it promotes or rolls back by its analysis; roll back by putting the "
                "previous image on the target Deployment (Flagger routes traffic back to the primary), never by "
                "editing the -primary Deployment it manages."),
}


def _from_words(ctx: Context, aspect: str) -> Owner | None:
    found = _all_words(ctx, aspect)
    return found[0] if found else None


def _all_words(ctx: Context, aspect: str) -> list[Owner]:
    """Every controller of `aspect` the description's words name (not negated), in table order."""
    text = ctx.facts.description
    out: list[Owner] = []
    for want, by, pattern in _WORDS:
        if want != aspect or any(o.by == by for o in out):
            continue
        for hit in re.finditer(pattern, text, re.I):
            if not _NEGATED.search(text[max(0, hit.start() - 30):hit.start()]):
                out.append(Owner(by, aspect, evidence=hit.group(0)))
                break
    return out


def _objects(ctx: Context, by: str) -> tuple[tuple[str, str], ...]:
    """The names of `by`'s own objects in the sentences that name it ("deployment group orders-dg")."""
    words = [pattern for _aspect, owner, pattern in _WORDS if owner == by]
    if not words:
        return ()
    model = ctx.model
    seen = {u.text for u in model.unbound} if model is not None else set()
    out: list[tuple[str, str]] = []
    for sentence in re.split(r"(?<=[.;!?])\s+|\n+", ctx.facts.description):
        if not any(re.search(w, sentence, re.I) for w in words):
            continue
        for key, owners, nouns in _OBJECTS:
            if by not in owners or any(k == key for k, _ in out):
                continue
            alts = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(nouns, key=len, reverse=True))
            for m in re.finditer(rf"\b(?:{alts}){_NAMING}{_NAME}", sentence, re.I):
                name = m.group(1).rstrip(".")
                # a name, not a word: it has the shape of one, or the parser saw it as one it could not place
                if re.search(r"[-_.\d]", name) or name in seen:
                    out.append((key, name))
                    break
    return tuple(out)


def _pick(candidates: list[Owner], order: tuple[str, ...]) -> Owner | None:
    ranked = [o for o in candidates if o.by in order]
    return min(ranked, key=lambda o: order.index(o.by)) if ranked else (candidates[0] if candidates else None)


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
                by = "argocd" if re.search(r"\bargo\s?-?cd\b", ctx.facts.description, re.I) else "flux"
            found.setdefault(c.aspect, Owner(by, c.aspect, c.evidence))
    if own:  # the description's words speak of the service itself, not of its dependencies
        for aspect in ("replicas", "config"):
            if aspect not in found:
                word = _from_words(ctx, aspect)
                if word is not None:
                    found[aspect] = word
        # the model keeps one deploy controller; the words may name several (SAM and the CodeDeploy traffic
        # shifting it drives, Argo CD and Argo Rollouts): the release goes through the most specific one
        deployers = [*([found["deploy"]] if "deploy" in found else []), *_all_words(ctx, "deploy")]
        rollouts = [*([found["deploy"]] if "deploy" in found and found["deploy"].progressive else []),
                    *_all_words(ctx, "rollout")]
        deploy = _pick([o for o in deployers if not (o.by == "codedeploy" and any(
            r.by in ("argo-rollouts", "flagger") for r in rollouts))], _DEPLOY_ORDER)
        config = found.get("config")
        if deploy is None and config is not None and config.by == "terraform" and \
                ctx.answers.environment in ("docker", "serverless"):
            deploy = replace(config, aspect="deploy")  # the task definition / function is in the Terraform code
        if deploy is not None:
            found["deploy"] = replace(deploy, aspect="deploy", objects=_objects(ctx, deploy.by))
            if deploy.stack and (config is None or config.by == "terraform"):
                found["config"] = replace(found["deploy"], aspect="config")  # settings live in the stack too
        infra = next((o for o in _all_words(ctx, "infra") if deploy is None or o.by != deploy.by), None)
        if infra is not None and not (deploy is not None and deploy.stack):
            found["infra"] = infra
        rollout = _pick(rollouts, ("argo-rollouts", "flagger", "codedeploy"))
        if rollout is not None:
            found["rollout"] = replace(rollout, aspect="rollout", objects=_objects(ctx, rollout.by))
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
    if own and found.get("replicas") is not None and found["replicas"].by == "hpa" and any(
            o.by == "keda" for o in _all_words(ctx, "replicas")):
        # KEDA creates and owns the HPA of a ScaledObject: the HPA's bounds are the ScaledObject's
        found["replicas"] = replace(found["replicas"], by="keda")
    if found.get("replicas") is not None and found["replicas"].by == "hpa" and ctx.answers.environment not in (
            "kubernetes", ""):
        # "autoscaled" on VMs is an Auto Scaling group, on ECS the service's own auto scaling
        found["replicas"] = replace(found["replicas"], by="ecs" if ctx.answers.environment == "docker" else "asg")
    if found.get("replicas") is not None and found["replicas"].by == "asg" and ctx.answers.environment in (
            "kubernetes", "docker"):
        # the node group's / ECS capacity provider's ASG scales instances, not the workload's replicas
        del found["replicas"]
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
                     ("replicas", "config", "deploy", "failover", "restart", "schedule", "rollout", "infra")})
