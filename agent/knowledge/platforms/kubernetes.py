"""Kubernetes: a Deployment / StatefulSet, and a CronJob for batch pipelines."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.knowledge.base import Context
from agent.knowledge.platforms.base import Action, Platform, cmd, q
from agent.knowledge.platforms.quorum import quorum_of
from agent.runbook import Command
from agent.service.model import Component

# The kinds of Kubernetes workload a description calls a component, by their own words (CamelCase, so
# "the deployment pipeline" is not a Deployment).
_KIND_WORDS = (("statefulset", r"\bstateful ?sets?\b"), ("daemonset", r"\bdaemon ?sets?\b"),
               ("cronjob", r"\bcron ?jobs?\b"), ("deployment", r"\bDeployments?\b"))
_TOOLBOX = re.compile(r"(?i)-(?:box|toolbox|tools|admintools|admin-tools|cli|debug|client)$")
_KIND_ROLES = ("statefulset", "daemonset", "cronjob", "deployment")
_ARGO_CD = re.compile(r"\bargo\s?-?cd\b", re.I)  # Argo CD, never Argo Rollouts or Workflows
_NOT = re.compile(r"\b(?:no|not|without|instead of|rather than|never)\s+(?:\w+\s+){0,2}$", re.I)


def argo_renders_helm(ctx: Context) -> bool:
    """Whether Argo CD deploys the service (a Helm chart it renders is then no Helm release)."""
    from agent.knowledge.platforms.owners import owners_of  # late: owners reads the platform's names

    gitops = owners_of(ctx, None).gitops
    if gitops is not None:
        return gitops.by == "argocd"
    return bool(ctx.facts.names.get("argocd.app")) or _ARGO_CD.search(ctx.text) is not None


def declared_kind(ctx: Context, component: Component | None = None) -> str | None:
    """The workload kind the service model or the description gives `component` (the service's own
    workload when None): its names by role first, then the words of the sentences about it. The
    service's own workload reads every sentence that names no other component of the model."""
    model = ctx.model
    comp = component if component is not None else (model.app if model is not None else None)
    if comp is not None:
        for role in _KIND_ROLES:
            if comp.name(role):
                return role
    if component is None:
        for role in _KIND_ROLES:
            if ctx.facts.names.get(f"k8s.{role}"):
                return role
    own = comp is None or (model is not None and comp is model.app)
    others = [w for c in (model.components if model is not None else []) if c is not comp
              for w in (c.technology, c.id) if w and len(w) > 2]
    mine = [w for w in ((comp.technology, comp.id) if comp is not None and not own else ()) if w]
    found: list[tuple[int, str]] = []
    for sentence in re.split(r"(?<=[.;!?])\s+|\n+", ctx.facts.description):
        if own:
            if any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", sentence, re.I) for w in others) and \
                    ctx.facts.service not in sentence:
                continue
        elif not any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", sentence, re.I) for w in mine):
            continue
        for kind, pattern in _KIND_WORDS:
            flags = 0 if kind == "deployment" else re.I
            for m in re.finditer(pattern, sentence, flags):
                if not _NOT.search(sentence[max(0, m.start() - 30):m.start()]):
                    found.append((len(found), kind))
    return found[0][1] if found else None


LABELS_PROGRESSIVE = {"argo-rollouts": "Argo Rollouts", "flagger": "Flagger"}


class Kubernetes(Platform):
    form = "cluster-workload"
    workload_key = "k8s.deployment"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "kubernetes", "Kubernetes"
        self.ns = f.namespace or f.name("k8s.namespace", f.service)  # never the slug: a fill-in variable
        if not f.namespace:
            self.assumptions.append(f"Kubernetes namespace {self.ns}: the description names none")
        given = f.names.get("k8s.statefulset")
        deployment = f.names.get("k8s.deployment")
        # a toolbox Deployment next to the StatefulSet ("nats-box", "temporal-admintools": the CLI to exec
        # into) is not the service's workload; a stateful service's is its StatefulSet
        toolbox = bool(deployment and _TOOLBOX.search(deployment))
        self.kind = "statefulset" if (self.stateful or given) and (not deployment or toolbox or (
            given and self.stateful)) else "deployment"
        self.workload = (given if self.kind == "statefulset" else None) or f.names.get("k8s.deployment") or \
            f.names.get("k8s.cronjob") or f.name(self.workload_key, f.service)
        app = self.ctx.model.app if self.ctx.model is not None else None
        declared = declared_kind(self.ctx)
        if declared in ("statefulset", "deployment", "daemonset") and not (
                {"k8s.deployment", "k8s.statefulset"} & set(f.names)):
            # the kind the model / description gives the workload, before any service-type default
            self.kind = declared
            self.workload = (app.name(declared) if app is not None else None) or self.workload
        if not ({"k8s.deployment", "k8s.statefulset", "k8s.cronjob"} & set(f.names)):
            self.assumptions.append(f"{self.kind} named '{self.workload}' with pod label app={self.workload}")
        comp = self.component
        if comp is not None and (self.ctx.model is None or comp is not self.ctx.model.app):
            # a component of the service model that runs in the cluster (a pooler, a proxy, a broker)
            kind = declared_kind(self.ctx, comp)
            self.kind = kind if kind in ("statefulset", "daemonset") else "deployment"
            self.workload = comp.name(self.kind) or comp.technology or comp.id
            self.ns = comp.name("namespace") or self.ns
        self.selector = f.names.get("k8s.selector") or f"app={self.workload}"  # a repository's own selector
        self.container = f.names.get("k8s.container") or self.workload
        text = self.ctx.text
        self.helm = f.names.get("helm.release") or (self.workload if "helm" in text else None)
        gitops = self.owners.gitops
        self.argocd = f.names.get("argocd.app") or (self.workload if _ARGO_CD.search(text) or (
            gitops is not None and gitops.by == "argocd") else None)
        self.flux = gitops is not None and gitops.by == "flux" and not self.argocd
        # Argo CD renders a Helm chart itself (helm template) and applies the manifests: there is no Helm
        # release to status, upgrade or roll back (helm list shows nothing), whatever the chart calls it
        self.chart_release = self.helm
        if argo_renders_helm(self.ctx) and self.argocd:
            self.helm = None
        self.ref = f"{self.kind}/{self.workload}"
        # Progressive delivery of the service's own Deployment: Argo Rollouts replaces it with a Rollout (kubectl
        # rollout does not work on one); Flagger serves from <name>-primary and canaries changes of <name>.
        rollout = self.owners.rollout
        own = comp is None or (self.ctx.model is not None and comp is self.ctx.model.app)
        self.progressive = rollout.by if own and rollout is not None and rollout.by in (
            "argo-rollouts", "flagger") and self.kind == "deployment" else None
        self.target = self.ref  # what a release changes
        self.canary = self.workload
        if self.progressive == "argo-rollouts":
            assert rollout is not None
            self.kind, self.workload = "rollout", rollout.obj("rollout") or self.workload
            self.ref = self.target = f"rollout/{self.workload}"
        elif self.progressive == "flagger":
            assert rollout is not None
            self.canary = rollout.obj("canary") or self.workload
            self.ref = f"deployment/{self.workload}-primary"  # Flagger's copy that serves traffic
            if "k8s.selector" not in f.names:
                self.selector = f"app={self.workload}-primary"

    @property
    def n(self) -> str:
        return f"-n {q(self.ns)}"

    @property
    def forward(self) -> str:
        """What kubectl port-forward takes: the workload, or one of its pods (a Rollout is not a kind it knows)."""
        return "\"$POD\"" if self.progressive == "argo-rollouts" else self.ref

    def forward_var(self) -> str:
        return f"{self.pod_var()}\n" if self.progressive == "argo-rollouts" else ""

    def pod_var(self) -> str:
        return (f"POD=\"$(kubectl get pods {self.n} -l {self.selector} "
                "-o jsonpath='{.items[0].metadata.name}')\"")

    def location(self) -> str:
        cluster = self.ctx.facts.cluster
        where = f"cluster {cluster}, " if cluster else ""
        return f"Kubernetes ({where}namespace {self.ns})"

    def diagram_node(self) -> str:
        replicas = self.ctx.facts.replicas
        return f"{self.workload} ({replicas} pods)" if replicas else f"{self.workload} (pods)"

    def tools(self) -> list[str]:
        tools = [f"kubectl with access to namespace '{self.ns}'"
                 + (f" on cluster '{self.ctx.facts.cluster}'" if self.ctx.facts.cluster else "")]
        if self.helm:
            tools.append(f"helm 3 (release '{self.helm}')")
        if self.argocd:
            tools.append(f"argocd CLI logged in (application '{self.argocd}')")
        if self.cloud == "aws" and self.eks:
            tools.append("aws CLI v2 with EKS access (for update-kubeconfig)")
        if self.cloud == "gcp":
            tools.append("gcloud CLI with container.clusters.get permission")
        return tools

    def config_files(self) -> list[str]:
        files = [f"ConfigMap and Secret objects referenced by {self.ref} (namespace {self.ns})"]
        if self.helm:
            files.append(f"Helm values for release {self.helm} (helm get values {self.helm} -n {self.ns})")
        return files

    def secrets(self) -> str:
        return f"Kubernetes Secrets in namespace {self.ns}, sourced from " + super().secrets()

    def caveats(self) -> list[str]:
        out = []
        if self.argocd:
            out.append(f"Argo CD manages '{self.argocd}': with auto-sync on, a manual kubectl change or "
                       "'kubectl rollout undo' is reverted on the next sync. Roll back in Git (revert the "
                       "commit) or disable auto-sync first, and re-enable it after.")
            if self.chart_release and not self.helm:
                out.append(f"Argo CD renders the Helm chart ('{self.chart_release}') itself: there is no Helm "
                           "release in the cluster, so helm status, upgrade and rollback do not apply; change "
                           "the values in Git.")
        if self.helm and not self.flux:
            out.append(f"The workload is a Helm release ('{self.helm}'): prefer 'helm rollback' over "
                       "'kubectl rollout undo', or the next helm upgrade will undo your fix.")
        out += [line for line in self.owners.caveats() if not line.startswith(("Argo CD", "Change"))
                or not self.argocd]
        out.append("A rollback restores the previous pod template only: database migrations, ConfigMaps "
                   "and Secrets changed with the release are NOT rolled back — check them separately.")
        return out

    @property
    def eks(self) -> bool:
        """The description says the cluster is EKS (AWS alone does not: kubeadm beside an S3 bucket)."""
        return re.search(r"(?i)\b(?:eks|amazon elastic kubernetes)\b", self.ctx.text) is not None

    def context_cmd(self) -> Command | None:
        f = self.ctx.facts
        context = f.names.get("k8s.context")
        if context:  # the team's own kube context: check it, read-only (use-context rewrites the kubeconfig)
            where = f" (cluster {f.cluster})" if f.cluster else ""
            return cmd(f"Confirm kubectl points at context {context}{where} before anything else",
                       f"kubectl config current-context\nkubectl --context {q(context)} cluster-info",
                       f"Prints {context}, and the context reaches its cluster; if the first line differs, switch "
                       f"with kubectl config use-context {context}")
        if f.cluster and self.cloud == "aws" and not self.eks:
            # kubeadm, k3s, bare metal, vSphere (an S3 bucket makes no cluster EKS): no cloud call fetches them
            return cmd(f"Confirm kubectl points at cluster {f.cluster} before anything else",
                       "kubectl config current-context\nkubectl config get-clusters\nkubectl cluster-info",
                       f"The current context is the one for {f.cluster} (listed by get-clusters); if not, switch "
                       "with kubectl config use-context")
        if not f.cluster:
            return cmd("Confirm kubectl points at the production cluster before anything else",
                       "kubectl config current-context",
                       "The production cluster's context; if not, switch with kubectl config use-context")
        if self.cloud == "gcp":
            return cmd(f"Point kubectl at GKE cluster {f.cluster}",
                       f"gcloud container clusters get-credentials {q(f.cluster)} --region {q(self.region)}\n"
                       "kubectl config current-context",
                       f"The current context names {f.cluster}")
        if self.cloud == "azure":
            return cmd(f"Point kubectl at AKS cluster {f.cluster}",
                       f"RESOURCE_GROUP=\"${{RESOURCE_GROUP:?set RESOURCE_GROUP to the AKS resource group}}\"\n"
                       f"az aks get-credentials --name {q(f.cluster)} --resource-group \"$RESOURCE_GROUP\"\n"
                       "kubectl config current-context", f"The current context names {f.cluster}")
        return cmd(f"Point kubectl at EKS cluster {f.cluster}",
                   f"aws eks update-kubeconfig --name {q(f.cluster)} --region {q(self.region)}\n"
                   "kubectl config current-context", f"The current context ends with cluster/{f.cluster}")

    def status(self) -> list[Command]:
        return [
            cmd(f"List {self.workload} pods and where they run",
                f"kubectl get pods {self.n} -l {self.selector} -o wide",
                "All pods Running and READY n/n with low RESTARTS; Pending/CrashLoopBackOff → Troubleshooting"),
            cmd(f"Check the {self.kind}'s desired vs ready replicas",
                f"kubectl get {self.ref} {self.n}",
                "READY equals the desired count (e.g. 3/3)"),
            self.traffic(),
            *([self.canary_state()] if self.progressive == "flagger" else []),
        ]

    def traffic(self) -> Command:
        """Is traffic reaching Ready pods: the Service's endpoints (and the Ingress when there is one)."""
        ingress = f"\nkubectl get ingress {self.n}" if "ingress" in self.ctx.text else ""
        return cmd(f"Pods behind the Service (assumed named {self.workload}) that receive traffic",
                   f"kubectl get endpoints {q(self.workload)} {self.n}{ingress}",
                   "One address per Ready pod; <none> means no Ready pod matches the Service selector "
                   "(probes failing or a label mismatch)")

    def log_tail(self, since: str) -> str:
        return f"kubectl logs {self.n} -l {self.selector} --since={since} --tail=500 --prefix"

    def events(self) -> Command:
        return cmd(f"Recent events in namespace {self.ns} (scheduling, probes, OOM kills)",
                   f"kubectl get events {self.n} --sort-by=.lastTimestamp | tail -n 30",
                   "No repeated Warning events (FailedScheduling, Unhealthy, BackOff, OOMKilling)")

    def resources(self) -> Command:
        return cmd("CPU and memory per pod and container",
                   f"kubectl top pods {self.n} -l {self.selector} --containers",
                   "Usage below ~80% of the container limits; compare with the limits in kubectl describe")

    def version(self) -> Command:
        return cmd("Image currently deployed",
                   f"kubectl get {self.ref} {self.n} -o jsonpath='{{.spec.template.spec.containers[*].image}}'",
                   "The image tag you expect to be live; note it down before any change")

    def plugin(self, args: str) -> str:
        """An Argo Rollouts command through its kubectl plugin."""
        return f"kubectl argo rollouts {args} {self.n}"

    def canary_state(self) -> Command:
        return cmd(f"Flagger canary {self.canary}: phase, weight and the last analysis events",
                   f"kubectl get canary {q(self.canary)} {self.n}\n"
                   f"kubectl describe canary {q(self.canary)} {self.n} | tail -n 20",
                   "STATUS Succeeded (or Initialized) with WEIGHT 0; Progressing means a canary is running, Failed "
                   "that Flagger rolled it back and the primary still serves the previous version")

    def history(self) -> Command:
        if self.progressive == "argo-rollouts":
            return cmd(f"Revisions and canary state of {self.ref}", self.plugin(f"get rollout {q(self.workload)}"),
                       "Status Healthy with the stable ReplicaSet marked; the revision before it is the rollback "
                       "target, Paused/Degraded means a canary is in progress or was aborted")
        if self.progressive == "flagger":
            return self.canary_state()
        # under GitOps the releases are commits: the rollback target is the commit before the release, never a
        # ReplicaSet revision (a kubectl rollout undo is reverted by the controller)
        if self.argocd and self.owners.gitops is not None:
            return cmd(f"Sync history of Argo CD application {self.argocd}",
                       f"argocd app history {q(self.argocd)}",
                       "The deployed Git revisions, newest last; the one before the release is the rollback target "
                       "(revert the release commit in Git)")
        if self.flux:
            return cmd(f"Revision Flux last applied for {self.workload}",
                       "KUSTOMIZATION=\"${KUSTOMIZATION:?set KUSTOMIZATION to the Flux Kustomization that applies "
                       f"{self.workload}}}\"\n"
                       "flux get kustomization \"$KUSTOMIZATION\"\n"
                       "flux events --for Kustomization/\"$KUSTOMIZATION\" | tail -n 10",
                       "READY True at the applied revision (branch@sha1:…); the commit before the release commit in "
                       "Git is the rollback target (git revert)")
        if self.helm:
            return cmd(f"Release history of {self.helm}", f"helm history {q(self.helm)} {self.n} --max 10",
                       "The last revision is 'deployed'; the one before it is your rollback target")
        return cmd(f"Rollout history of {self.ref}", f"kubectl rollout history {self.ref} {self.n}",
                   "Lists revisions; the previous revision is the rollback target")

    def local_health_check(self) -> Command:
        if self.health_unknown:  # the pod spec knows its probe: read it rather than guess /health:8080
            return cmd(f"The readiness probe {self.ref} is checked by, and whether its pods pass it",
                       f"kubectl get {self.ref} {self.n} -o jsonpath='{{.spec.template.spec.containers[*]"
                       ".readinessProbe}'; echo\n"
                       f"kubectl get pods {self.n} -l {q(self.selector)} -o custom-columns="
                       "'POD:.metadata.name,READY:.status.containerStatuses[*].ready'",
                       "Every pod READY true; the probe shows the port and path to call through a port-forward "
                       "(no probe: the pods are never checked)")
        return cmd(f"Call {self.health} through a port-forward to one pod",
                   f"{self.forward_var()}kubectl port-forward {self.n} {self.forward} "
                   f"{self.health_port}:{self.health_port} >/dev/null 2>&1 &\n"
                   "PF_PID=$!\nsleep 3\n"
                   f"curl -fsS{'k' if self.health_url().startswith('https') else ''} -o /dev/null -w "
                   f"'HTTP %{{http_code}} in %{{time_total}}s\\n' --max-time 10 {q(self.health_url())}\n"
                   "kill \"$PF_PID\"",
                   self.health_expect("HTTP 200; connection refused means the process is not listening on "
                                      f"{self.health_port}, a 5xx means a dependency check failed"))

    def connections(self) -> Command:
        return cmd("Count established TCP connections from one pod (pool exhaustion check)",
                   f"{self.pod_var()}\n"
                   f"kubectl exec {self.n} \"$POD\" -- sh -c 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null "
                   "| awk \"\\$4 == \\\"01\\\"\" | wc -l'",
                   "A stable number below the pool size; a number at the pool maximum means exhaustion")

    def disk_check(self) -> Command:
        return cmd("Persistent volume claims and their status",
                   f"kubectl get pvc {self.n}\n{self.pod_var()}\nkubectl exec {self.n} \"$POD\" -- df -h",
                   "PVCs Bound; no filesystem above 80% used")

    def pre_deploy(self) -> list[Command]:
        out = [c for c in [self.context_cmd()] if c]
        out += self.status()[:1] + [self.version()]
        if self.helm and not self.flux:  # under Flux the change is a commit: its manifests are what to diff
            out.append(cmd("Preview what the upgrade changes (needs the helm-diff plugin)",
                           f"CHART=\"${{CHART:?set CHART to the chart path or repo/chart}}\"\n"
                           f"helm diff upgrade {q(self.helm)} \"$CHART\" {self.n} --reuse-values",
                           "Only the image tag and intended values change"))
        else:
            out.append(cmd("Server-side dry run of the manifests you are about to apply",
                           "MANIFESTS=\"${MANIFESTS:?set MANIFESTS to the manifest directory, e.g. k8s/production}\"\n"
                           f"kubectl diff {self.n} -f \"$MANIFESTS\"",
                           "Only the intended fields differ (exit code 1 just means there is a diff)"))
        return out

    def deploy(self) -> list[Command]:
        if self.progressive and not (self.flux or self.argocd or self.helm):
            return [cmd(f"Start a canary of the new image on {self.target}"
                        + (" (Flagger analyses it)" if self.progressive == "flagger" else ""),
                        "IMAGE=\"${IMAGE:?set IMAGE to the full image reference, e.g. registry/app:1.2.3}\"\n"
                        + (self.plugin(f"set image {q(self.workload)} {self.container}=\"$IMAGE\"")
                           if self.progressive == "argo-rollouts" else
                           f"kubectl set image {self.target} {self.container}=\"$IMAGE\" {self.n}"),
                        "The canary starts; follow it with the post-deployment check")]
        if self.flux:
            return [cmd("Apply the release commit through Flux after merging it",
                        self.sync("the image tag of the release"),
                        "The Kustomization is Ready at the new revision and pods run the new image")]
        if self.argocd:
            return [cmd(f"Sync Argo CD application {self.argocd} after merging the release commit",
                        f"argocd app sync {q(self.argocd)} --prune=false\n"
                        f"argocd app wait {q(self.argocd)} --health --timeout 600",
                        "Sync succeeds and the app reports Healthy")]
        if self.helm:
            return [cmd(f"Upgrade Helm release {self.helm} to a new image tag",
                        "CHART=\"${CHART:?set CHART to the chart path or repo/chart}\"\n"
                        "VERSION=\"${VERSION:?set VERSION to the image tag to deploy}\"\n"
                        f"helm upgrade {q(self.helm)} \"$CHART\" {self.n} --reuse-values "
                        "--set image.tag=\"$VERSION\" --atomic --timeout 10m",
                        "STATUS: deployed; --atomic rolls back by itself if pods do not become ready")]
        return [cmd(f"Roll out a new image to {self.ref}",
                    "IMAGE=\"${IMAGE:?set IMAGE to the full image reference, e.g. registry/app:1.2.3}\"\n"
                    f"kubectl set image {self.ref} {self.container}=\"$IMAGE\" {self.n}\n"
                    f"kubectl annotate {self.ref} {self.n} kubernetes.io/change-cause=\"deploy $IMAGE\" --overwrite",
                    "deployment image updated; follow with the rollout status check")]

    def wait_rollout(self, timeout: str = "10m") -> Command:
        if self.progressive == "argo-rollouts":
            return cmd("Follow the canary until it is promoted or aborted",
                       self.plugin(f"status {q(self.workload)} --timeout {timeout}"),
                       "'Healthy' once every step passed; 'Degraded' or an aborted status means the canary failed "
                       "and the stable version still serves")
        if self.progressive == "flagger":
            return cmd(f"Wait until Flagger promotes the canary {self.canary}",
                       f"kubectl wait canary/{q(self.canary)} {self.n} --for=condition=Promoted --timeout=30m\n"
                       f"kubectl get canary {q(self.canary)} {self.n}",
                       "condition met and STATUS Succeeded; Failed means Flagger rolled it back to the primary")
        return cmd("Wait for the rollout to finish", f"kubectl rollout status {self.ref} {self.n} --timeout={timeout}",
                   "'successfully rolled out'; a timeout means new pods are not becoming ready → roll back")

    def post_deploy(self) -> list[Command]:
        return [
            self.wait_rollout(),
            self.status()[0],
            self.logs("10m", "error|exception|fatal"),
            self.health_check(),
        ]

    def rollback(self) -> list[Command]:
        out = [self.history()]
        if self.progressive == "argo-rollouts":
            out.append(cmd(f"Abort the canary of {self.ref}: traffic goes back to the stable version at once",
                           self.plugin(f"abort {q(self.workload)}"),
                           "The stable ReplicaSet takes all traffic; the Rollout shows Degraded (aborted)",
                           "The Rollout's spec still holds the new version: it tries again as soon as it leaves the "
                           "aborted state. Follow with the rollback below."))
        if self.progressive and not (self.argocd or self.helm or self.flux):
            if self.progressive == "argo-rollouts":
                out.append(cmd(f"Roll {self.ref} back to the previous revision",
                               self.plugin(f"undo {q(self.workload)}"),
                               "A new rollout to the previous revision starts (through the canary steps)",
                               "Goes through the canary steps again; kubectl rollout undo does not work on a "
                               "Rollout."))
            else:
                out.append(cmd(f"Put the previous image back on {self.target}: Flagger canaries it and promotes",
                               "PREVIOUS_IMAGE=\"${PREVIOUS_IMAGE:?set PREVIOUS_IMAGE to the last good image}\"\n"
                               f"kubectl set image {self.target} {self.container}=\"$PREVIOUS_IMAGE\" {self.n}",
                               f"canary {self.canary} Progressing, then Succeeded on the previous image",
                               f"Never edit {self.ref}: Flagger owns it and overwrites it on the next promotion."))
            out.append(self.wait_rollout())
            return out
        if self.argocd:
            out.append(cmd(f"Roll back {self.argocd} to the previous synced revision: turn auto-sync off first "
                           "(Argo CD refuses a rollback while it is on)",
                           f"argocd app history {q(self.argocd)}\n"
                           "HISTORY_ID=\"${HISTORY_ID:?set HISTORY_ID to the ID of the last good deployment}\"\n"
                           f"argocd app set {q(self.argocd)} --sync-policy none\n"
                           f"argocd app rollback {q(self.argocd)} \"$HISTORY_ID\"",
                           "App on the older revision and Healthy (OutOfSync with Git until the revert lands)",
                           "Auto-sync stays off until the release commit is reverted in Git (the durable rollback); "
                           "then turn it back on (argocd app set … --sync-policy automated, with --self-heal if it "
                           "had it), or the app keeps drifting from Git."))
        if self.helm and not self.flux:  # under Flux the release is rolled back in Git (below)
            out.append(cmd(f"Roll back Helm release {self.helm} to the previous revision",
                           f"helm rollback {q(self.helm)} {self.n} --wait --timeout 10m",
                           "'Rollback was a success'; a new revision appears in helm history"))
        elif self.flux:
            out.append(cmd(f"Roll back {self.ref}: revert the release commit in Git, then reconcile",
                           self.sync("the image of the release (git revert of the release commit)"),
                           "The Kustomization is Ready at the revert commit; pods run the previous image",
                           "Flux re-applies Git: a kubectl rollout undo is reverted on the next reconcile."))
        elif self.progressive:
            pass  # the Rollout / canary goes back with the Git revert its GitOps controller syncs
        elif not self.argocd:
            out.append(cmd(f"Undo the last rollout of {self.ref}",
                           f"kubectl rollout undo {self.ref} {self.n}",
                           "rolled back; pods are replaced gradually"))
        if self.progressive:
            if self.argocd and not self.flux:
                out.append(cmd(f"Roll {self.target} back: revert the release commit in Git, then sync",
                               self.sync("the image of the release (git revert of the release commit)"),
                               "The app is Synced to the revert commit; a new canary runs the previous image",
                               "Argo CD re-applies Git: a rollback made only in the cluster is reverted."))
            out.append(self.wait_rollout())
            return out
        out.append(cmd("Verify the rollback", f"kubectl rollout status {self.ref} {self.n} --timeout=10m\n"
                       f"kubectl get {self.ref} {self.n} -o jsonpath='{{.spec.template.spec.containers[*].image}}'",
                       "Rolled out, and the image is the previous known-good tag"))
        return out

    def restart_one(self) -> Command:
        return cmd("Delete one unhealthy pod; its controller replaces it (others keep serving)",
                   f"POD=\"${{POD:?set POD to the unhealthy pod from kubectl get pods}}\"\n"
                   f"kubectl delete pod {self.n} \"$POD\"",
                   "A new pod appears and becomes Ready within a minute or two",
                   "Deletes one pod: its in-flight requests fail. Safe only while the other replicas are Ready.")

    def rollout_restart(self, kind: str, workload: str) -> str:
        """A rolling restart; under Argo CD its built-in restart action (a kubectl rollout restart is drift
        that self-heal reverts, restarting the pods a second time)."""
        if self.argocd and self.owners.gitops is not None:
            return (f"argocd app actions run {q(self.argocd)} restart --kind {kind.capitalize()} "
                    f"--resource-name {q(workload)}")
        if kind == "rollout":
            return f"kubectl argo rollouts restart {q(workload)} -n {q(self.wns)}"
        return f"kubectl rollout restart {kind}/{q(workload)} -n {q(self.wns)}"

    def restart_all(self) -> Command:
        found = quorum_of(self.ctx, self.component)
        if found is not None and self.kind == "statefulset":
            row = found[1]
            # readiness is not cluster health: the rollout goes pod by pod, the check says the cluster is whole
            return cmd(f"Rolling restart of every {self.workload} member, then the cluster's own health check",
                       f"{self.rollout_restart(self.kind, self.workload)}\nkubectl rollout status {self.ref} "
                       f"{self.n} --timeout=30m\nkubectl exec {self.n} {self.ref} -- sh -c {q(row.health)} "
                       "&& echo cluster healthy",
                       f"All pods replaced and Ready; {row.healthy}",
                       f"{row.label} needs {row.quorum}. A StatefulSet rollout restarts one pod at a time by "
                       "readiness only: keep a PodDisruptionBudget with maxUnavailable 1, and if a pod does not "
                       f"come back, stop (kubectl rollout pause is not available for StatefulSets: fix that pod "
                       f"before anything else).")
        kind, name = (self.kind, self.workload) if self.progressive != "flagger" else ("deployment",
                                                                                       f"{self.workload}-primary")
        wait = (self.plugin(f"status {q(self.workload)} --timeout 10m") if self.progressive == "argo-rollouts" else
                f"kubectl rollout status {self.ref} {self.n} --timeout=10m")
        return cmd(f"Rolling restart of every {self.workload} pod",
                   f"{self.rollout_restart(kind, name)}\n{wait}",
                   "All pods replaced and Ready",
                   f"Restarts ALL pods of {self.workload} (rolling, respects the PodDisruptionBudget): caches are "
                   "cold and in-flight work is interrupted. Safer first: delete the single unhealthy pod."
                   + (" For a StatefulSet this restarts members one by one, including the primary."
                      if self.stateful else ""))

    # --- through the owner: GitOps, the autoscaler, Helm ------------------------------------------
    def sync(self, what: str) -> str:
        """The commands that apply a change of `what` pushed to Git, through the GitOps controller."""
        if self.flux:
            return ("KUSTOMIZATION=\"${KUSTOMIZATION:?set KUSTOMIZATION to the Flux Kustomization that applies "
                    f"{self.workload}}}\"\n"
                    f"# after the commit that changes {what}\n"
                    "flux reconcile kustomization \"$KUSTOMIZATION\" --with-source\n"
                    "flux get kustomizations")
        app = q(self.argocd or self.workload)
        return (f"argocd app diff {app}  # after the commit that changes {what}: only that differs\n"
                f"argocd app sync {app}\nargocd app wait {app} --health --timeout 600")

    def via_git(self, purpose: str, what: str, expect: str, warning: str = "") -> Command:
        gitops = self.owners.gitops
        assert gitops is not None
        return cmd(purpose, self.sync(what), expect, " ".join(filter(None, (warning, gitops.change(what) + "."))))

    def _autoscaled(self, workload: str) -> bool:
        return self.owners.autoscaler is not None and workload == self.workload

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":
            return self.stop()
        if self.kind == "daemonset":
            return cmd(purpose + f": {self.workload} is a DaemonSet, one pod per matching node",
                       f"kubectl get {self.ref} {self.n} -o wide\nkubectl get nodes",
                       "DESIRED equals the number of matching nodes",
                       "A DaemonSet has no replica count: capacity grows with nodes (the node group's size) or "
                       "the pod's resources, never kubectl scale.")
        scaler = self.owners.autoscaler
        if scaler is not None and scaler.by in ("hpa", "keda"):
            field, top = ("minReplicas", "maxReplicas") if scaler.by == "hpa" else ("minReplicaCount",
                                                                                   "maxReplicaCount")
            kind = "hpa" if scaler.by == "hpa" else "scaledobject"
            cap = self.capacity
            count = cap.bounded(int(replicas)) if replicas.isdigit() else replicas
            back = f" ({cap.low})" if cap.low is not None else ""
            if self.owners.gitops is not None:
                return self.via_git(purpose + f": set {field} to {count} in Git (at most {top})",
                                    f"the {kind} {field} of {self.workload} (to {count})",
                                    f"kubectl get {kind} {self.n} shows the new bounds; the autoscaler then sets the "
                                    "replica count", self.bounds_note().strip())
            patch = (f"kubectl patch {kind} {q(self.workload)} {self.n} --type merge "
                     f"-p '{{\"spec\":{{\"{field}\":{count}}}}}'")
            if cap.high is None:
                # the model gives no maximum: read it, and refuse a minimum above it
                code = (f"MAX=\"$(kubectl get {kind} {q(self.workload)} {self.n} -o jsonpath='{{.spec.{top}}}')\"\n"
                        f"if [ \"$MAX\" -ge {count} ]; then\n  {patch}\nelse\n"
                        f"  echo \"{top} is $MAX, below {count}: raise {top} first (a capacity decision)\"\nfi")
            else:
                code = f"kubectl get {kind} {q(self.workload)} {self.n}\n{patch}"
            return cmd(purpose + f" through {scaler.label}", code,
                       f"The {kind} shows the new minimum; READY follows within a minute",
                       f"{scaler.label} owns the replica count: a kubectl scale is undone within a minute. The new "
                       f"minimum stays at or below {top}; set {field} back{back} once the incident is over."
                       + self.bounds_note())
        if replicas.isdigit():
            replicas = str(self.capacity.bounded(int(replicas)))
        if self.owners.gitops is not None:
            return self.via_git(purpose + f": change replicas to {replicas} in Git",
                                f"replicas of {self.workload} (to {replicas})",
                                f"{self.kind} scaled; check READY with kubectl get {self.ref} {self.n}")
        # The model names no autoscaler: look before scaling, one may still exist.
        return cmd(purpose, f"kubectl get hpa {self.n}\nkubectl scale {self.ref} {self.n} --replicas={replicas}",
                   f"{self.kind} scaled; check READY with kubectl get {self.ref} {self.n}",
                   f"If an HPA targets {self.workload}, it overrides this within a minute: raise the HPA's "
                   "minReplicas (kubectl patch hpa) instead. Check node capacity for Pending pods.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        if self.owners.gitops is not None:
            return self.via_git(purpose + f": set {name}={value} in the manifests in Git",
                                f"the {name} environment variable of {self.workload}",
                                f"A rollout starts; pods come back with {name}={value}")
        if self.helm:
            return cmd(purpose + f" through the Helm release {self.helm}",
                       "CHART=\"${CHART:?set CHART to the chart path or repo/chart}\"\n"
                       f"KEY=\"${{KEY:?set KEY to the values key the chart maps to {name}, e.g. env.{name}}}\"\n"
                       f"helm upgrade {q(self.helm)} \"$CHART\" {self.n} --reuse-values --set-string "
                       f"\"$KEY={value}\" --atomic --timeout 10m",
                       f"STATUS: deployed; pods come back with {name}={value}",
                       f"Triggers a rolling restart of every pod; a kubectl set env would be undone by the next "
                       f"helm upgrade. Only useful if the service honours {name}.")
        if self.progressive:
            return cmd(purpose + f": set {name}={value} in the pod template of {self.target}",
                       f"kubectl edit {self.target} {self.n}  # add {name}={value} under the container's env",
                       f"A canary of the change starts; pods come back with {name}={value}",
                       f"{LABELS_PROGRESSIVE[self.progressive]} releases the change as a canary. Only useful if the "
                       f"service honours {name}.")
        return cmd(purpose, f"kubectl set env {self.ref} {self.n} {name}={q(value)}",
                   f"A rollout starts; pods come back with {name}={value}",
                   f"Triggers a rolling restart of every pod. Only useful if the service honours {name}; "
                   "remove it afterwards with the same command and a trailing '-' (NAME-).")

    def stop(self) -> Command:
        if self.owners.gitops is not None:
            scaler = self.owners.autoscaler
            extra = f" and remove (or pause) its {scaler.label}" if scaler is not None else ""
            return self.via_git(f"Stop {self.workload} completely: set replicas 0{extra} in Git",
                                f"replicas of {self.workload} (0)",
                                "No pods left after the sync",
                                "Full stop: nothing is processed until the commit is reverted.")
        scaler = self.owners.autoscaler
        if scaler is not None and scaler.by == "keda":
            return cmd(f"Stop {self.workload} completely: pause its ScaledObject at 0 replicas",
                       f"kubectl annotate scaledobject {q(self.workload)} {self.n} "
                       "autoscaling.keda.sh/paused-replicas=\"0\" --overwrite",
                       "KEDA scales the workload to 0 and stops scaling it; remove the annotation (…/paused-replicas-) "
                       "to resume", "Full stop: nothing is processed until the annotation is removed.")
        if self.kind == "daemonset":  # no replica count: kubectl scale refuses a DaemonSet
            return cmd(f"Stop {self.workload} completely: schedule its pods on no node (a node selector nothing has)",
                       f"kubectl patch {self.ref} {self.n} --type merge -p "
                       "'{\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":{\"runbook/paused\":\"true\"}}}}}'\n"
                       f"kubectl rollout status {self.ref} {self.n} --timeout=5m",
                       "DESIRED 0 in kubectl get daemonset; remove the nodeSelector again to resume",
                       "Full stop on every node: whatever this DaemonSet does per node (log shipping, metrics, "
                       "networking) stops until the node selector is removed.")
        return cmd(f"Stop {self.workload} completely (scale to zero), remembering the current size",
                   f"kubectl get {self.ref} {self.n} -o jsonpath='{{.spec.replicas}}{{\"\\n\"}}'\n"
                   f"kubectl scale {self.ref} {self.n} --replicas=0",
                   "No pods left; the printed number is what to scale back to",
                   "Full stop: nothing is processed until you scale back up."
                   + (" An HPA stops acting on a target scaled to 0 and resumes when it is scaled up again."
                      if scaler is not None else ""))

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Deploy the same release into the DR cluster",
                    f"{self.dr_context_var()}\n"
                    "MANIFESTS=\"${MANIFESTS:?set MANIFESTS to the manifest directory}\"\n"
                    f"kubectl --context \"$DR_CONTEXT\" apply {self.n} -f \"$MANIFESTS\"\n"
                    + (f"kubectl --context \"$DR_CONTEXT\" get {self.ref} {self.n}" if self.progressive ==
                     "argo-rollouts" else
                     f"kubectl --context \"$DR_CONTEXT\" rollout status {self.ref} {self.n} --timeout=15m"),
                    "All replicas Ready in the DR cluster; then move traffic (DNS / load balancer)")]

    def cheatsheet(self) -> list[Command]:
        return [
            cmd("Follow logs of one pod", f"{self.pod_var()}\nkubectl logs {self.n} \"$POD\" -f --tail=100"),
            cmd("Logs of the previous (crashed) container",
                f"{self.pod_var()}\nkubectl logs {self.n} \"$POD\" --previous --tail=200"),
            cmd("Describe a pod (probes, limits, last state)",
                f"{self.pod_var()}\nkubectl describe pod {self.n} \"$POD\""),
            cmd("Shell into a pod (read-only investigation)",
                f"{self.pod_var()}\nkubectl exec -it {self.n} \"$POD\" -- sh"),
            cmd("Port-forward for local debugging",
                f"{self.forward_var()}kubectl port-forward {self.n} {self.forward} {self.port}:{self.port}"),
            self.events(),
            cmd("Autoscaler state", f"kubectl get hpa {self.n}"),
        ]

    # --- named workloads ------------------------------------------------------------------------
    def component_workload(self) -> str:
        return self.workload

    @property
    def wns(self) -> str:
        """The namespace of named workloads: the component's, else the service's."""
        given = self.component.name("namespace") if self.component is not None else None
        return given or self.namespace or self.ctx.facts.namespace or "production"

    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        # "pod/rabbitmq-0" (written as kubectl's bare pod name), "statefulset/x"; a bare name is a Deployment
        name = self.resolve(workload)
        ref = q(name.removeprefix("pod/")) if name.startswith("pod/") else name if "/" in name else f"deploy/{q(name)}"
        passed = "env " + " ".join(f"{n}=\"${n}\"" for n in env) + " " if env else ""
        return f"kubectl exec -n {q(self.wns)} {ref} -- {passed}{command}"

    def reach(self, service: str, port: int) -> Command | None:
        return cmd(f"Reach {service}:{port} from your shell (leave running in a second terminal)",
                   f"kubectl port-forward -n {q(self.wns)} svc/{q(service)} {port}:{port}",
                   f"Forwarding from 127.0.0.1:{port}; the commands below use localhost:{port}")

    def _argocd_note(self) -> str:
        if re.search(r"(?<![\w-])argo[\s-]?cd(?![\w-])", self.ctx.facts.description, re.I):
            return (" Argo CD self-heal reverts a manual scale if replicas are set in Git: disable "
                    "auto-sync first (argocd app set APP --sync-policy none) or change replicas in Git.")
        return ""

    def log_stream(self, workload: str) -> str:
        return f"kubectl logs deployment/{q(self.resolve(workload))} -n {q(self.wns)} --since=30m --all-containers"

    def edit_config(self, workload: str, path: str, what: str) -> str:
        if self.owners.gitops is not None:
            return f"{self.owned_edit(what)}\n{self.sync(what)}"
        workload = self.resolve(workload)
        return (f"CONFIGMAP=\"${{CONFIGMAP:?set CONFIGMAP to the ConfigMap that holds {path.rsplit('/', 1)[-1]} "
                f"for {workload}}}\"\n"
                f"kubectl edit configmap \"$CONFIGMAP\" -n {q(self.wns)}  # {what}; the mounted file follows within "
                "about a minute (not with subPath mounts: then restart the pods)")

    def stop_workload(self, workload: str, why: str) -> Command:
        workload = self.resolve(workload)
        if self.owners.gitops is not None or self._autoscaled(workload):
            owned = self.stop() if workload == self.workload else self.via_git(
                f"Stop {workload}: set its replicas to 0 in Git", f"replicas of {workload} (0)",
                f"no {workload} pod is running after the sync")
            return owned.model_copy(update={"purpose": f"{owned.purpose} ({why})"})
        return self.stopped(workload, why, self.control(workload, "stop"), self._argocd_note())

    def start_workload(self, workload: str, replicas: int | None = None) -> Command:
        workload = self.resolve(workload)
        if self.owners.gitops is not None:
            return self.via_git(f"Start {workload} again: revert the commit that set its replicas to 0",
                                f"replicas of {workload}", f"{workload} is running and processing work")
        scaler = self.owners.autoscaler
        if scaler is not None and scaler.by == "keda" and workload == self.workload:
            return cmd(f"Start {workload} again: unpause its ScaledObject",
                       f"kubectl annotate scaledobject {q(workload)} -n {q(self.wns)} "
                       "autoscaling.keda.sh/paused-replicas-",
                       f"KEDA scales {workload} from its triggers again")
        return super().start_workload(workload, replicas)

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        if action == "restart":
            return (f"{self.rollout_restart('deployment', workload)}\n"
                    f"kubectl rollout status deployment/{q(workload)} -n {q(self.wns)} --timeout=5m")
        count = replicas if action == "start" else 0
        return f"kubectl scale deployment/{q(workload)} --replicas={count} -n {q(self.wns)}"

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [
            self.status()[0],
            cmd("Why the last container died (exit code, OOMKilled)",
                f"{self.pod_var()}\nkubectl describe pod {self.n} \"$POD\" | sed -n '/Last State/,/Ready/p'",
                "Exit code 137 + OOMKilled → memory issue; exit 1 → read the previous logs"),
            cmd("Logs of the crashed container", f"{self.pod_var()}\nkubectl logs {self.n} \"$POD\" --previous "
                "--tail=200", "The last lines before the crash name the cause (config, dependency, panic)"),
            self.events(),
        ]
        fixes: list[tuple[str, Command | None]] = [
            ("If the crash started with a deploy, roll back (see Rollback Procedure)", self.rollback()[1]),
            ("If a config/secret change broke startup, restore the previous ConfigMap/Secret and restart", None),
            ("If OOMKilled, raise the memory limit in the manifest and roll out (don't just restart)", None),
        ]
        return ("Pods in CrashLoopBackOff / restarting",
                "Pods restart repeatedly, READY below desired, 'Back-off restarting failed container' events",
                checks, fixes)



class KubernetesCronJob(Kubernetes):
    """A batch pipeline on Kubernetes: a CronJob whose runs are Jobs (no rollouts to watch or undo)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.kind = "cronjob"
        self.ref = f"cronjob/{self.workload}"
        self.assumptions = [a.replace("deployment named", "CronJob named") for a in self.assumptions]
        self.selector = "job-name"  # Jobs label their pods with job-name; filter by the CronJob's prefix

    def jobs(self) -> Command:
        return cmd(f"Recent runs (Jobs) of {self.ref}",
                   f"kubectl get jobs {self.n} --sort-by=.metadata.creationTimestamp | grep -E '^{self.workload}-' "
                   "| tail -n 5", "The latest Job shows COMPLETIONS 1/1; 0/1 with a long DURATION is stuck or failed")

    def job_var(self) -> str:
        return (f"JOB=\"$(kubectl get jobs {self.n} --sort-by=.metadata.creationTimestamp -o name | "
                f"grep '/{self.workload}-' | tail -n 1)\"")

    def diagram_node(self) -> str:
        return f"{self.workload} (CronJob)"

    def status(self) -> list[Command]:
        return [cmd(f"Schedule, suspension and last run of {self.ref}", f"kubectl get {self.ref} {self.n}",
                    "SUSPEND False and LAST SCHEDULE within one interval; True means nothing will run"),
                self.jobs()]

    def log_tail(self, since: str) -> str:
        return f"{self.job_var()}\nkubectl logs {self.n} \"$JOB\" --all-containers --tail=500"

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        base = self.log_tail(since)
        if grep:
            return cmd(f"Search the latest run's logs for '{grep}'", f"{base} | grep -iE {q(grep)} | tail -n 50",
                       "No matches is healthy; the first error names the failing step or input")
        return cmd("Logs of the latest run", base, "Ends with the pipeline's success line")

    def version(self) -> Command:
        return cmd("Image the CronJob runs", f"kubectl get {self.ref} {self.n} -o jsonpath="
                   "'{.spec.jobTemplate.spec.template.spec.containers[*].image}'", "The tag you expect")

    def history(self) -> Command:
        return self.jobs()

    def local_health_check(self) -> Command:
        return self.jobs()

    def connections(self) -> Command:
        return self.resources()

    def resources(self) -> Command:
        return cmd("CPU and memory of the running Job's pods", f"kubectl top pods {self.n} --containers | "
                   f"grep -E '^{self.workload}-|NAME'", "Below the limits; nothing listed means no run is active")

    def pre_deploy(self) -> list[Command]:
        return [c for c in [self.context_cmd()] if c] + [*self.status(), self.version()]

    def deploy(self) -> list[Command]:
        if self.argocd or self.helm:
            return super().deploy()
        return [cmd(f"Point {self.ref} at a new image (takes effect at the next run)",
                    "IMAGE=\"${IMAGE:?set IMAGE to the full image reference, e.g. registry/app:1.2.3}\"\n"
                    f"kubectl set image {self.ref} {self.workload}=\"$IMAGE\" {self.n}",
                    "cronjob image updated; running Jobs keep the old image")]

    def post_deploy(self) -> list[Command]:
        return [self.version(), self.rerun(), self.jobs()]

    def rerun(self) -> Command:
        return cmd("Start a run now from the CronJob's template (manual re-run)",
                   f"kubectl create job {self.n} --from={self.ref} \"{self.workload}-manual-$(date +%s)\"",
                   "job.batch/... created; follow it with the logs command",
                   "Runs the pipeline for real: make sure a run is not already in progress (concurrencyPolicy) "
                   "and that the job is idempotent for the window it processes.")

    def rollback(self) -> list[Command]:
        if self.argocd or self.helm or self.flux:
            return super().rollback()
        return [self.version(),
                cmd("Point the CronJob back at the last good image",
                    "PREVIOUS_IMAGE=\"${PREVIOUS_IMAGE:?set PREVIOUS_IMAGE to the last known-good image}\"\n"
                    f"kubectl set image {self.ref} {self.workload}=\"$PREVIOUS_IMAGE\" {self.n}",
                    "Next run uses the previous image; CronJobs keep no rollout history to undo"),
                self.version()]

    def restart_one(self) -> Command:
        return cmd("Delete a stuck run (its Job and pods)",
                   f"{self.job_var()}\nkubectl delete {self.n} \"$JOB\"",
                   "The Job is gone; start a fresh run with the re-run command",
                   "Kills the run in progress: partial output of that run must be cleaned up or overwritten by "
                   "the re-run.")

    def restart_all(self) -> Command:
        return self.rerun()

    def scale(self, replicas: str, purpose: str) -> Command:
        if self.owners.gitops is not None:
            return self.via_git("Give the run more parallelism/resources in the CronJob's job template in Git",
                                f"resources / parallelism of {self.ref}", "Applies from the next run")
        return cmd("Give the run more parallelism/resources: edit the CronJob's job template",
                   f"kubectl edit {self.ref} {self.n}",
                   "Raise resources.limits or spec.jobTemplate.spec.parallelism; applies from the next run")

    def stop(self) -> Command:
        if self.owners.gitops is not None:
            return self.via_git(f"Suspend {self.ref} so no new run starts: set spec.suspend true in Git",
                                f"spec.suspend of {self.ref}", "SUSPEND True in kubectl get cronjob")
        return cmd(f"Suspend {self.ref} so no new run starts",
                   f"kubectl patch {self.ref} {self.n} -p '{{\"spec\":{{\"suspend\":true}}}}'",
                   "SUSPEND True in kubectl get cronjob",
                   "No scheduled runs until you set suspend back to false; a run already going continues "
                   "(delete its Job to stop it).")

    def stop_workload(self, workload: str, why: str) -> Command:
        # the CronJob is no Deployment: stopping it is suspending its schedule (scaling would fail)
        if self.resolve(workload) == self.workload:
            stopped = self.stop()
            return stopped.model_copy(update={"purpose": f"{stopped.purpose} ({why})"})
        return super().stop_workload(workload, why)

    def start_workload(self, workload: str, replicas: int | None = None) -> Command:
        if self.resolve(workload) != self.workload:
            return super().start_workload(workload, replicas)
        if self.owners.gitops is not None:
            return self.via_git(f"Resume {self.ref}: set spec.suspend false in Git", f"spec.suspend of {self.ref}",
                                "SUSPEND False in kubectl get cronjob")
        return cmd(f"Resume {self.ref}: runs start on schedule again",
                   f"kubectl patch {self.ref} {self.n} -p '{{\"spec\":{{\"suspend\":false}}}}'",
                   "SUSPEND False in kubectl get cronjob; the next run starts at its schedule")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        if self.owners.gitops is not None:
            return self.via_git(purpose + f": set {name}={value} in the manifests in Git",
                                f"the {name} environment variable of {self.ref}", "Applies from the next run")
        return cmd(purpose, f"kubectl set env {self.ref} {self.n} {name}={q(value)}",
                   "Applies from the next run", f"Only useful if the pipeline honours {name}.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Create the CronJob in the DR cluster and start one run",
                    f"{self.dr_context_var()}\n"
                    "MANIFESTS=\"${MANIFESTS:?set MANIFESTS to the manifest directory}\"\n"
                    f"kubectl --context \"$DR_CONTEXT\" apply {self.n} -f \"$MANIFESTS\"\n"
                    f"kubectl --context \"$DR_CONTEXT\" create job {self.n} --from={self.ref} "
                    f"\"{self.workload}-dr-$(date +%s)\"",
                    "The DR run completes; point consumers at its output")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.logs(), self.rerun(), self.events(),
                cmd("Why the last Job failed (BackoffLimitExceeded, DeadlineExceeded)",
                    f"{self.job_var()}\nkubectl describe {self.n} \"$JOB\" | tail -n 20")]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [self.jobs(),
                  cmd("Why the last Job failed", f"{self.job_var()}\nkubectl describe {self.n} \"$JOB\" | "
                      "grep -E 'Reason|Message|Failed|Completed' | tail -n 10",
                      "BackoffLimitExceeded → the pods failed; DeadlineExceeded → the run took too long"),
                  self.logs("1h", "error|exception|traceback|killed"), self.events()]
        fixes: list[tuple[str, Command | None]] = [
            ("If the failure is transient, re-run now", self.rerun()),
            ("If OOMKilled, raise the memory limit in the job template and re-run", None),
            ("If it began with an image change, point the CronJob back at the previous image", self.rollback()[1]),
        ]
        return ("Pipeline Job failing (BackoffLimitExceeded / OOMKilled)",
                "The latest Job shows 0/1 completions, pods in Error or OOMKilled", checks, fixes)
