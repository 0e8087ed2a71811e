"""Per-environment command builders: the real tools of each place a service can run.

Every builder returns `Command`s that paste and run: names come from the description (through
`Facts`), values only known during an incident are shell variables declared in the same block, and
state-changing commands carry a warning with the blast radius and a safer alternative.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from agent.knowledge.base import Context
from agent.runbook import Command


def cmd(purpose: str, code: str, expect: str | None = None, warning: str | None = None,
        language: str = "bash") -> Command:
    return Command(purpose=purpose, language=language, code=code.strip("\n"), expect=expect,
                   warning=warning)


def q(value: str) -> str:
    """Shell-quote a name from the description only when it needs it."""
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


@dataclass
class Platform:
    """What every environment offers the engine. Subclasses fill in the commands."""

    ctx: Context
    key: str = ""
    label: str = ""
    assumptions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Subclasses resolve their names here (defined so the dataclass __init__ calls it)."""

    @property
    def slug(self) -> str:
        return self.ctx.facts.service

    @property
    def port(self) -> int:
        return self.ctx.facts.port or 8080

    @property
    def health_port(self) -> int:
        given = self.ctx.facts.names.get("health.port")
        return int(given) if given and given.isdigit() else self.port

    @property
    def health(self) -> str:
        return self.ctx.facts.health_path or "/health"

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
    def location(self) -> str:
        raise NotImplementedError

    def tools(self) -> list[str]:
        raise NotImplementedError

    def config_files(self) -> list[str]:
        raise NotImplementedError

    def secrets(self) -> str:
        if self.cloud == "gcp":
            return "GCP Secret Manager (fill in the secret names)"
        if self.cloud == "azure":
            return "Azure Key Vault (fill in the vault name)"
        return "AWS Secrets Manager / SSM Parameter Store (fill in the secret names)"

    def caveats(self) -> list[str]:
        return []

    def diagram_node(self) -> str:
        return self.label

    # --- read-only checks ----------------------------------------------------------------------
    def status(self) -> list[Command]:
        raise NotImplementedError

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        raise NotImplementedError

    def events(self) -> Command:
        raise NotImplementedError

    def resources(self) -> Command:
        raise NotImplementedError

    def version(self) -> Command:
        raise NotImplementedError

    def history(self) -> Command:
        raise NotImplementedError

    def health_check(self) -> Command:
        f = self.ctx.facts
        if f.names.get("protocol") == "grpc" and not f.health_path and not f.url:
            return self.grpc_health_check()
        url = f.url
        has_health = bool(url) and bool(re.search(r"/(?:healthz?|readyz|livez|ready|ping|status)\b", url or ""))
        if url and not has_health and (f.port or "health.port" in f.names) and self.key != "serverless":
            url = None  # the health endpoint was given on an internal port: check it there
        if url:
            base = url.rstrip("/")
            target = base if has_health or not f.health_path else base + f.health_path
            return cmd(f"Probe {target} from outside",
                       f"curl -fsS -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' "
                       f"--max-time 10 {q(target)}",
                       "HTTP 200 in well under a second; a timeout or 5xx means the service is not healthy")
        return self.local_health_check()

    def local_health_check(self) -> Command:
        raise NotImplementedError

    def grpc_health_check(self) -> Command:
        """gRPC services answer the standard health protocol; grpc_health_probe speaks it."""
        return cmd(f"gRPC health check on port {self.port} (grpc.health.v1)",
                   "HOST=\"${HOST:?set HOST to an instance address}\"\n"
                   f"grpc_health_probe -addr=\"$HOST:{self.port}\" "
                   "-connect-timeout 2s -rpc-timeout 5s",
                   "status: SERVING; NOT_SERVING means a dependency check failed, a timeout means it is not "
                   "listening")

    def connections(self) -> Command:
        raise NotImplementedError

    # --- actions -------------------------------------------------------------------------------
    def pre_deploy(self) -> list[Command]:
        raise NotImplementedError

    def deploy(self) -> list[Command]:
        raise NotImplementedError

    def post_deploy(self) -> list[Command]:
        raise NotImplementedError

    def rollback(self) -> list[Command]:
        raise NotImplementedError

    def restart_one(self) -> Command:
        raise NotImplementedError

    def restart_all(self) -> Command:
        raise NotImplementedError

    def scale(self, replicas: str, purpose: str) -> Command:
        raise NotImplementedError

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        raise NotImplementedError

    def stop(self) -> Command:
        """Stop the service entirely (workers: stop consuming)."""
        raise NotImplementedError

    def redeploy_elsewhere(self) -> list[Command]:
        raise NotImplementedError

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

    def cheatsheet(self) -> list[Command]:
        raise NotImplementedError

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        """(title, symptoms, checks, fixes) for the platform's crash/restart-loop failure."""
        raise NotImplementedError

    def disk_check(self) -> Command:
        raise NotImplementedError


# --- Kubernetes ----------------------------------------------------------------------------------


class Kubernetes(Platform):
    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "kubernetes", "Kubernetes"
        self.ns = f.namespace or f.service
        if not f.namespace:
            self.assumptions.append(f"Kubernetes namespace '{self.ns}' (default: the service name)")
        given = f.names.get("k8s.statefulset")
        self.kind = "statefulset" if (self.stateful or given) and not f.names.get("k8s.deployment") else "deployment"
        self.workload = (given if self.kind == "statefulset" else None) or f.names.get("k8s.deployment") or \
            f.names.get("k8s.cronjob") or f.service
        if not ({"k8s.deployment", "k8s.statefulset", "k8s.cronjob"} & set(f.names)):
            self.assumptions.append(f"{self.kind} named '{self.workload}' with pod label app={self.workload}")
        self.selector = f.names.get("k8s.selector") or f"app={self.workload}"  # a repository's own selector
        self.container = f.names.get("k8s.container") or self.workload
        text = self.ctx.text
        self.helm = f.names.get("helm.release") or (self.workload if "helm" in text else None)
        self.argocd = f.names.get("argocd.app") or (self.workload if ("argo" in text or "gitops" in text) else None)
        self.ref = f"{self.kind}/{self.workload}"

    @property
    def n(self) -> str:
        return f"-n {q(self.ns)}"

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
        if self.cloud == "aws" and ("eks" in self.ctx.text or self.ctx.facts.cluster):
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
        if self.helm:
            out.append(f"The workload is a Helm release ('{self.helm}'): prefer 'helm rollback' over "
                       "'kubectl rollout undo', or the next helm upgrade will undo your fix.")
        out.append("A rollback restores the previous pod template only: database migrations, ConfigMaps "
                   "and Secrets changed with the release are NOT rolled back — check them separately.")
        return out

    def context_cmd(self) -> Command | None:
        f = self.ctx.facts
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
        ]

    def traffic(self) -> Command:
        """Is traffic reaching Ready pods: the Service's endpoints (and the Ingress when there is one)."""
        ingress = f"\nkubectl get ingress {self.n}" if "ingress" in self.ctx.text else ""
        return cmd(f"Pods behind the Service (assumed named {self.workload}) that receive traffic",
                   f"kubectl get endpoints {q(self.workload)} {self.n}{ingress}",
                   "One address per Ready pod; <none> means no Ready pod matches the Service selector "
                   "(probes failing or a label mismatch)")

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        base = f"kubectl logs {self.n} -l {self.selector} --since={since} --tail=500 --prefix"
        if grep:
            return cmd(f"Search the last {since} of logs for '{grep}'",
                       f"{base} | grep -iE {q(grep)} | tail -n 50",
                       "No matches is healthy; repeated matches point at the failing dependency or code path")
        return cmd(f"Read the last {since} of logs from all {self.workload} pods", base,
                   "No ERROR/stack traces; note the first error after the incident start")

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

    def history(self) -> Command:
        if self.helm:
            return cmd(f"Release history of {self.helm}", f"helm history {q(self.helm)} {self.n} --max 10",
                       "The last revision is 'deployed'; the one before it is your rollback target")
        return cmd(f"Rollout history of {self.ref}", f"kubectl rollout history {self.ref} {self.n}",
                   "Lists revisions; the previous revision is the rollback target")

    def local_health_check(self) -> Command:
        return cmd(f"Call {self.health} through a port-forward to one pod",
                   f"kubectl port-forward {self.n} {self.ref} {self.health_port}:{self.health_port} >/dev/null 2>&1 &\n"
                   "PF_PID=$!\nsleep 3\n"
                   f"curl -fsS -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' --max-time 10 "
                   f"http://127.0.0.1:{self.health_port}{self.health}\n"
                   "kill \"$PF_PID\"",
                   "HTTP 200; connection refused means the process is not listening on "
                   f"{self.port}, a 5xx means a dependency check failed")

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
        if self.helm:
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

    def post_deploy(self) -> list[Command]:
        return [
            cmd("Wait for the rollout to finish", f"kubectl rollout status {self.ref} {self.n} --timeout=10m",
                "'successfully rolled out'; a timeout means new pods are not becoming ready → roll back"),
            self.status()[0],
            self.logs("10m", "error|exception|fatal"),
            self.health_check(),
        ]

    def rollback(self) -> list[Command]:
        out = [self.history()]
        if self.argocd:
            out.append(cmd(f"Roll back {self.argocd} to the previous synced revision (disables auto-sync)",
                           f"argocd app history {q(self.argocd)}\n"
                           "HISTORY_ID=\"${HISTORY_ID:?set HISTORY_ID to the ID of the last good deployment}\"\n"
                           f"argocd app rollback {q(self.argocd)} \"$HISTORY_ID\"",
                           "App Synced to the older revision and Healthy; revert the Git commit afterwards",
                           "Argo CD refuses rollback while auto-sync is on; a later sync re-applies Git. "
                           "Reverting the release commit in Git is the durable rollback."))
        if self.helm:
            out.append(cmd(f"Roll back Helm release {self.helm} to the previous revision",
                           f"helm rollback {q(self.helm)} {self.n} --wait --timeout 10m",
                           "'Rollback was a success'; a new revision appears in helm history"))
        elif not self.argocd:
            out.append(cmd(f"Undo the last rollout of {self.ref}",
                           f"kubectl rollout undo {self.ref} {self.n}",
                           "rolled back; pods are replaced gradually"))
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

    def restart_all(self) -> Command:
        return cmd(f"Rolling restart of every {self.workload} pod",
                   f"kubectl rollout restart {self.ref} {self.n}\nkubectl rollout status {self.ref} {self.n} "
                   "--timeout=10m",
                   "All pods replaced and Ready",
                   f"Restarts ALL pods of {self.workload} (rolling, respects the PodDisruptionBudget): caches are "
                   "cold and in-flight work is interrupted. Safer first: delete the single unhealthy pod."
                   + (" For a StatefulSet this restarts members one by one, including the primary."
                      if self.stateful else ""))

    def scale(self, replicas: str, purpose: str) -> Command:
        return cmd(purpose, f"kubectl get hpa {self.n}\nkubectl scale {self.ref} {self.n} --replicas={replicas}",
                   f"{self.kind} scaled; check READY with kubectl get {self.ref} {self.n}",
                   "Scaling to 0 stops the service entirely." if replicas == "0" else
                   f"If an HPA targets {self.workload}, it overrides this within a minute: raise the HPA's "
                   "minReplicas (kubectl patch hpa) instead. Check node capacity for Pending pods.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"kubectl set env {self.ref} {self.n} {name}={q(value)}",
                   f"A rollout starts; pods come back with {name}={value}",
                   f"Triggers a rolling restart of every pod. Only useful if the service honours {name}; "
                   "remove it afterwards with the same command and a trailing '-' (NAME-).")

    def stop(self) -> Command:
        return cmd(f"Stop {self.workload} completely (scale to zero), remembering the current size",
                   f"kubectl get {self.ref} {self.n} -o jsonpath='{{.spec.replicas}}{{\"\\n\"}}'\n"
                   f"kubectl scale {self.ref} {self.n} --replicas=0",
                   "No pods left; the printed number is what to scale back to",
                   "Full stop: nothing is processed until you scale back up. An HPA may scale it back "
                   "— check kubectl get hpa first.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Deploy the same release into the DR cluster",
                    f"{self.dr_context_var()}\n"
                    "MANIFESTS=\"${MANIFESTS:?set MANIFESTS to the manifest directory}\"\n"
                    f"kubectl --context \"$DR_CONTEXT\" apply {self.n} -f \"$MANIFESTS\"\n"
                    f"kubectl --context \"$DR_CONTEXT\" rollout status {self.ref} {self.n} --timeout=15m",
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
                f"kubectl port-forward {self.n} {self.ref} {self.port}:{self.port}"),
            self.events(),
            cmd("Autoscaler state", f"kubectl get hpa {self.n}"),
        ]

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


# --- Docker --------------------------------------------------------------------------------------


class Docker(Platform):
    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "docker", "Docker"
        self.svc = f.names.get("compose.service") or f.service
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

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        base = f"{self.dc} logs --since {since} --tail 500 {q(self.svc)}"
        if grep:
            return cmd(f"Search the last {since} of container logs for '{grep}'",
                       f"{base} 2>&1 | grep -iE {q(grep)} | tail -n 50",
                       "No matches is healthy; repeated matches point at the failing path")
        return cmd(f"Read the last {since} of {self.svc} logs", base, "No ERROR lines or stack traces")

    def events(self) -> Command:
        return cmd("Container lifecycle events of the last hour (restarts, OOM kills)",
                   f"docker events --since 1h --until 0s --filter container=\"$({self.dc} ps -q {q(self.svc)} "
                   "| head -n 1)\"", "No 'die' / 'oom' events")

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
        return cmd(f"Call {self.health} on the published port",
                   f"curl -fsS -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' --max-time 10 "
                   f"http://127.0.0.1:{self.health_port}{self.health}",
                   f"HTTP 200; 'connection refused' means nothing listens on {self.port}")

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

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [self.status()[0],
                  cmd("Restart count, exit code and OOM flag", f"{self.cid()}\n"
                      "docker inspect --format 'restarts={{.RestartCount}} exit={{.State.ExitCode}} "
                      "oom={{.State.OOMKilled}}' \"$CID\"", "oom=true → memory; exit≠0 → read the logs"),
                  self.logs("30m")]
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deploy, roll back to the previous tag", self.rollback()[1]),
            ("If OOM-killed, raise mem_limit / deploy.resources.limits.memory in the compose file and redeploy",
             None),
            ("If a dependency is unreachable at start, fix the dependency first; restarts will not help", None),
        ]
        return ("Container restarting or exited", "Status 'Restarting (n)' or 'Exited', health 'unhealthy'",
                checks, fixes)


# --- systemd hosts (VMs and bare metal) ---------------------------------------------------------


# The unit a database engine's package installs, used when the description names none.
_ENGINE_UNITS = (("patroni", "patroni"), ("postgres", "postgresql"), ("mysql", "mysql"), ("mariadb", "mariadb"),
                 ("mongo", "mongod"), ("redis", "redis-server"), ("elasticsearch", "elasticsearch"),
                 ("opensearch", "opensearch"), ("kafka", "kafka"), ("rabbitmq", "rabbitmq-server"),
                 ("cassandra", "cassandra"), ("clickhouse", "clickhouse-server"))


def engine_unit(ctx: Context) -> str | None:
    """The unit a data engine's package installs when the service is that engine: a database, or an
    "other" service the description calls one ("X is the RabbitMQ cluster")."""
    for word, unit in _ENGINE_UNITS:
        if word not in ctx.text:
            continue
        if ctx.answers.service_type == "database" or re.search(
                rf"\b(?:is|are)\s+(?:the|a|an|our)\b[^.]{{0,40}}?\b{word}", ctx.text):
            return unit
    return None


def service_unit(ctx: Context) -> str:
    """The systemd unit of the service on VMs / bare metal: the one the description names, else the engine's
    unit (see `engine_unit`), else the service slug."""
    named = ctx.facts.names.get("systemd.unit")
    if named:
        return named.removesuffix(".service")
    return engine_unit(ctx) or ctx.facts.service


class SystemdHosts(Platform):
    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.unit = service_unit(self.ctx)
        self.ansible = "ansible" in self.ctx.text
        if "systemd.unit" not in f.names:
            self.assumptions.append(f"systemd unit '{self.unit}.service' on each host")
        hosts = f.names.get("hosts")
        self.hosts = hosts.split(",") if hosts else []

    @property
    def ssh(self) -> str:
        """How to run a command on $HOST: gcloud compute ssh when the description gives a GCE zone."""
        names = self.ctx.facts.names
        if self.cloud == "gcp" and "gcp.zone" in names:
            project = f" --project {q(names['gcp.project'])}" if "gcp.project" in names else ""
            return f"gcloud compute ssh \"$HOST\" --zone {q(names['gcp.zone'])}{project} --command"
        return "ssh \"$HOST\""

    def hosts_var(self) -> str:
        if self.hosts:
            return f"HOSTS={q(' '.join(self.hosts))}"
        return self.discover_hosts()

    def discover_hosts(self) -> str:
        return "HOSTS=\"${HOSTS:?set HOSTS to the space-separated host names, e.g. from the inventory}\""

    def on_hosts(self, remote: str, *, stop_on_error: bool = False) -> str:
        tail = " || break" if stop_on_error else ""
        return (f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                f"  {self.ssh} {remote_quote(remote)}{tail}\ndone")

    def diagram_node(self) -> str:
        count = len(self.hosts) or self.ctx.facts.replicas
        return f"{self.unit} ({count} hosts)" if count else f"{self.unit} (hosts)"

    def config_files(self) -> list[str]:
        return [f"/etc/systemd/system/{self.unit}.service (unit, environment)",
                f"/etc/{self.unit}/ (application config, if used — confirm on a host)"]

    def status(self) -> list[Command]:
        if self.ctx.answers.service_type == "pipeline":
            return [cmd(f"Next and last run of {self.unit}.timer, and how the last run ended",
                        self.on_hosts(f"systemctl list-timers {self.unit}.timer --no-pager; systemctl show "
                                      f"{self.unit}.service -p Result -p ExecMainStatus -p ExecMainExitTimestamp"),
                        "The timer lists a NEXT time; Result=success and ExecMainStatus=0 for the last run")]
        return [cmd(f"Is {self.unit} active on every host?",
                    self.on_hosts(f"systemctl is-active {self.unit}; systemctl show {self.unit} -p NRestarts "
                                  "-p ActiveEnterTimestamp"),
                    "'active' everywhere and NRestarts not growing; 'failed'/'activating' → Troubleshooting")]

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        journal_since = since.replace("m", " min ago").replace("h", " hour ago")
        remote = f"journalctl -u {self.unit} --since '{journal_since}' --no-pager"
        if grep:
            return cmd(f"Search the last {since} of the journal for '{grep}'",
                       self.on_hosts(f"{remote} | grep -iE '{grep}' | tail -n 50"),
                       "No matches is healthy; repeated matches show the failing path")
        return cmd(f"Journal of {self.unit} for the last {since}", self.on_hosts(f"{remote} | tail -n 200"),
                   "No errors or restart loops")

    def events(self) -> Command:
        return cmd("Kernel and service events (OOM killer, disk errors, restarts)",
                   self.on_hosts("journalctl -k --since '1 hour ago' --no-pager | grep -iE "
                                 "'oom|killed process|i/o error' | tail -n 20"),
                   "No OOM kills or I/O errors")

    def resources(self) -> Command:
        return cmd("Load, memory and the service's own usage",
                   self.on_hosts(f"uptime; free -m; systemctl status {self.unit} --no-pager | "
                                 "grep -E 'Memory|CPU|Tasks'"),
                   "Load below the core count, free memory > 10%")

    def version(self) -> Command:
        return cmd("Installed version / start time on each host",
                   self.on_hosts(f"systemctl show {self.unit} -p ExecStart -p ActiveEnterTimestamp"),
                   "Same version on every host")

    def history(self) -> Command:
        return cmd("Recent starts and stops of the unit",
                   self.on_hosts(f"journalctl -u {self.unit} --since '24 hours ago' --no-pager | "
                                 "grep -E 'Started|Stopped|Failed' | tail -n 10"),
                   "Only the restarts you know about (deploys)")

    def local_health_check(self) -> Command:
        return cmd(f"Call {self.health} on each host",
                   self.on_hosts(f"curl -fsS -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' "
                                 f"--max-time 10 http://127.0.0.1:{self.health_port}{self.health}"),
                   "HTTP 200 from every host")

    def connections(self) -> Command:
        return cmd(f"Established connections per host (port {self.port} and outbound)",
                   self.on_hosts("ss -s; ss -tn state established | wc -l"),
                   "Stable counts; thousands of CLOSE-WAIT/TIME-WAIT point at a connection leak")

    def disk_check(self) -> Command:
        return cmd("Filesystem usage on each host", self.on_hosts("df -h -x tmpfs -x devtmpfs"),
                   "Every filesystem below 80%")

    def pre_deploy(self) -> list[Command]:
        return [*self.status(), self.version(), self.disk_check()]

    def replicas_first(self, remote: str, purpose: str, expect: str, warning: str) -> Command:
        return cmd(purpose, "REPLICAS=\"${REPLICAS:?set REPLICAS to the replica hosts only (never the primary)}\"\n"
                   f"for HOST in $REPLICAS; do\n  echo \"== $HOST\"\n  {self.ssh} {remote_quote(remote)} || break\n"
                   "done", expect, warning)

    def deploy(self) -> list[Command]:
        if self.ansible:
            return [cmd("Dry run, then apply the playbook one host at a time",
                        "INVENTORY=\"${INVENTORY:?set INVENTORY to the production inventory file}\"\n"
                        "PLAYBOOK=\"${PLAYBOOK:?set PLAYBOOK to the deploy playbook}\"\n"
                        "ansible-playbook -i \"$INVENTORY\" \"$PLAYBOOK\" --check --diff\n"
                        "ansible-playbook -i \"$INVENTORY\" \"$PLAYBOOK\" --forks 1",
                        "The check run shows only intended changes; the real run ends with failed=0 on every host")]
        if self.stateful:
            return [self.replicas_first(
                f"sudo systemctl restart {self.unit} && sleep 10 && systemctl is-active {self.unit}",
                "Config change or minor-version upgrade: restart replicas one at a time, primary last",
                "'active' on each replica and replication caught up before the next one",
                "Restart the primary only after a controlled switchover to an up-to-date replica; check "
                "replication lag between hosts and never fail over to a lagging replica.")]
        if self.ctx.answers.service_type == "pipeline":
            return [cmd("Switch every host to the new release between runs (the next timer run uses it)",
                        "VERSION=\"${VERSION:?set VERSION to the release directory name to activate}\"\n"
                        f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                        f"  {self.ssh} \"systemctl is-active --quiet {self.unit}.service && echo 'run in progress: "
                        f"wait' || sudo ln -sfn /opt/{self.unit}/releases/$VERSION /opt/{self.unit}/current\"\n"
                        "done",
                        "No 'run in progress' lines; the next scheduled run logs the new version",
                        f"Assumes releases are unpacked under /opt/{self.unit}/releases with a 'current' symlink — "
                        "adapt to your deploy tool. Never switch while a run is in progress.")]
        remote = (f"sudo ln -sfn /opt/{self.unit}/releases/$VERSION /opt/{self.unit}/current && "
                  f"sudo systemctl restart {self.unit} && sleep 5 && systemctl is-active {self.unit}")
        return [cmd("Rolling deploy, one host at a time, stopping at the first failure",
                    "VERSION=\"${VERSION:?set VERSION to the release directory name to activate}\"\n"
                    f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                    f"  {self.ssh} \"{remote}\" || break\ndone",
                    "'active' after each host; the loop stops at the first host that fails",
                    f"Assumes releases are unpacked under /opt/{self.unit}/releases with a 'current' symlink — adapt "
                    "to your deploy tool. Each host is briefly out of rotation while it restarts.")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.logs("10m", "error|exception|fatal"), self.health_check()]

    def rollback(self) -> list[Command]:
        if self.stateful:
            return [self.version(),
                    cmd("Put the previous configuration back on every host that got the change, replicas first",
                        "CONFIG=\"${CONFIG:?set CONFIG to the config file you changed}\"\n"
                        "REPLICAS=\"${REPLICAS:?set REPLICAS to the replica hosts only (never the primary)}\"\n"
                        "for HOST in $REPLICAS; do\n  echo \"== $HOST\"\n"
                        f"  {self.ssh} \"sudo cp -a $CONFIG.bak $CONFIG && sudo systemctl restart {self.unit} && "
                        f"systemctl is-active {self.unit}\" || break\ndone",
                        "'active' everywhere with the old settings",
                        "Assumes you kept CONFIG.bak before the change. A major-version upgrade cannot be rolled "
                        "back this way: restore from backup (see Disaster Recovery)."),
                    *self.status()]
        restart = ("true" if self.ctx.answers.service_type == "pipeline"  # a restart would start a run
                   else f"sudo systemctl restart {self.unit} && systemctl is-active {self.unit}")
        remote = f"sudo ln -sfn /opt/{self.unit}/releases/$PREVIOUS /opt/{self.unit}/current && {restart}"
        return [self.version(),
                cmd("Point every host back at the previous release and restart, one at a time",
                    "PREVIOUS=\"${PREVIOUS:?set PREVIOUS to the last known-good release directory}\"\n"
                    f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                    f"  {self.ssh} \"{remote}\" || break\ndone",
                    "'active' on every host", "Restarts the service host by host; keep at least one host "
                    "serving at all times."),
                *self.status()]

    def restart_one(self) -> Command:
        return cmd(f"Restart {self.unit} on one host",
                   "HOST=\"${HOST:?set HOST to the unhealthy host}\"\n"
                   f"{self.ssh} 'sudo systemctl restart {self.unit} && systemctl is-active {self.unit}'",
                   "'active'; health endpoint answers again within a minute",
                   "Interrupts in-flight work on that host only.")

    def restart_all(self) -> Command:
        if self.ctx.answers.service_type == "pipeline":
            return self.rerun()
        if self.stateful:
            return self.replicas_first(
                f"sudo systemctl restart {self.unit} && sleep 10 && systemctl is-active {self.unit}",
                f"Restart {self.unit} on the replicas, one at a time",
                "'active' on each replica; replication caught up before the next",
                "Never restart every database host at once. Restart the primary only after a switchover to an "
                "up-to-date replica (a lagging replica loses the writes it has not replayed).")
        return cmd(f"Restart {self.unit} on every host, one at a time",
                   f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                   f"  {self.ssh} 'sudo systemctl restart {self.unit} && sleep 10 && systemctl is-active "
                   f"{self.unit}' || break\ndone",
                   "'active' on every host",
                   "Restarts the service everywhere (sequentially). Safer: restart only the failing host.")

    def scale(self, replicas: str, purpose: str) -> Command:
        return self.stop() if replicas == "0" else self.restart_all()

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        remote = (f"sudo mkdir -p /etc/systemd/system/{self.unit}.service.d && printf '[Service]\\n"
                  f"Environment={name}={value}\\n' | sudo tee /etc/systemd/system/{self.unit}.service.d/"
                  f"{name.lower()}.conf && sudo systemctl daemon-reload && sudo systemctl restart {self.unit}")
        return cmd(purpose, self.on_hosts(remote),
                   f"Service restarted with {name}={value}",
                   f"Restarts the service on every host. Only useful if it honours {name}; remove the drop-in "
                   "file and restart to undo.")

    def rerun(self) -> Command:
        return cmd(f"Start one run of {self.unit} now (oneshot unit behind a timer)",
                   "HOST=\"${HOST:?set HOST to the host that runs the job}\"\n"
                   f"{self.ssh} 'sudo systemctl start --no-block {self.unit}.service && systemctl list-timers "
                   f"{self.unit}.timer --no-pager'",
                   "The unit goes 'activating' then 'inactive (dead)' with status 0/SUCCESS; follow it with journalctl",
                   "Runs the job for real: check no run is in progress and the job is idempotent for its window.")

    def stop(self) -> Command:
        return cmd(f"Stop {self.unit} on every host", self.on_hosts(f"sudo systemctl stop {self.unit}"),
                   "'inactive' everywhere; nothing is processed until started again",
                   "Full stop of the service on all hosts.")

    def cheatsheet(self) -> list[Command]:
        return [
            cmd("Follow the journal on one host", "HOST=\"${HOST:?set HOST}\"\n"
                f"{self.ssh} 'journalctl -u {self.unit} -f'"),
            cmd("Unit status with the last log lines", "HOST=\"${HOST:?set HOST}\"\n"
                f"{self.ssh} 'systemctl status {self.unit} --no-pager -l'"),
            cmd("Unit file and drop-ins as loaded", "HOST=\"${HOST:?set HOST}\"\n"
                f"{self.ssh} 'systemctl cat {self.unit}'"),
            cmd("Listening sockets", f"HOST=\"${{HOST:?set HOST}}\"\n{self.ssh} 'sudo ss -ltnp'"),
            self.disk_check(),
        ]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [*self.status(),
                  cmd("Why the unit failed", "HOST=\"${HOST:?set HOST to the failing host}\"\n"
                      f"{self.ssh} 'systemctl status {self.unit} --no-pager -l; journalctl -u {self.unit} -n 100 "
                      "--no-pager'", "The last lines name the cause (config error, port in use, dependency)"),
                  self.events()]
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deploy, point back at the previous release", self.rollback()[1]),
            ("If the OOM killer fired, find the memory growth and raise MemoryMax / host size", None),
            ("If it hit StartLimitBurst, fix the cause, then 'systemctl reset-failed' and start it", None),
        ]
        return (f"{self.unit} failing or restart-looping",
                "systemctl shows 'failed' or 'activating (auto-restart)', NRestarts growing", checks, fixes)


class VM(SystemdHosts):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.key, self.label = "vm", "VMs"

    def rg_var(self) -> str:
        return "RESOURCE_GROUP=\"${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the VMs}\""

    def discover_hosts(self) -> str:
        if self.cloud == "azure":
            return (f"HOSTS=\"$(az vm list -d --query \"[?tags.service=='{self.slug}'].privateIps\" -o tsv)\"")
        if self.cloud == "gcp":
            return (f"HOSTS=\"$(gcloud compute instances list --filter='labels.service={self.slug}' "
                    "--format='value(name)')\"")
        asg = self.ctx.facts.names.get("asg")
        # Instances of an Auto Scaling group carry its name in the aws:autoscaling:groupName tag.
        tag = f"Name=tag:aws:autoscaling:groupName,Values={asg}" if asg else f"Name=tag:Service,Values={self.slug}"
        return (f"HOSTS=\"$(aws ec2 describe-instances --region {q(self.region)} "
                f"--filters {q(tag)} 'Name=instance-state-name,Values=running' "
                "--query 'Reservations[].Instances[].PrivateDnsName' --output text)\"")

    def asg_refresh(self) -> Command | None:
        asg = self.ctx.facts.names.get("asg")
        if self.cloud != "aws" or not asg:
            return None
        scope = f"--region {q(self.region)} --auto-scaling-group-name {q(asg)}"
        return cmd(f"If the release is baked into the launch template/AMI: replace the instances of {asg} gradually",
                   f"aws autoscaling start-instance-refresh {scope} --preferences "
                   "'{\"MinHealthyPercentage\": 90, \"InstanceWarmup\": 120}'\n"
                   f"aws autoscaling describe-instance-refreshes {scope} --max-records 1 "
                   "--query 'InstanceRefreshes[0].[Status,PercentageComplete,StatusReason]' --output text",
                   "Status InProgress then Successful; targets healthy in the target group throughout",
                   "Replaces every instance: anything changed by hand on a host is lost. If health drops, stop "
                   f"with aws autoscaling cancel-instance-refresh {scope} (or rollback-instance-refresh).")

    def deploy(self) -> list[Command]:
        refresh = self.asg_refresh()
        return [*super().deploy(), *([refresh] if refresh else [])]

    def caveats(self) -> list[str]:
        asg = self.ctx.facts.names.get("asg")
        return [*super().caveats(), *([f"The hosts belong to the Auto Scaling group {asg}: a scale-in or instance "
                                       "refresh replaces them, so a fix made by hand on one host must also go into "
                                       "the launch template/AMI or configuration management."]
                                      if self.cloud == "aws" and asg else [])]

    def location(self) -> str:
        kind = {"gcp": "GCE instances", "azure": "Azure VMs"}.get(self.cloud, "EC2 instances")
        where = ", ".join(self.hosts) if self.hosts else kind
        return f"{where} ({self.region}), systemd unit {self.unit}"

    def tools(self) -> list[str]:
        cloud = ("Azure CLI (az) with Reader on the VMs' resource group" if self.cloud == "azure" else
                 "gcloud CLI (compute.instances.list/get)" if self.cloud == "gcp"
                 else f"aws CLI v2 with ec2:Describe* in {self.region}")
        return ["SSH access with sudo to the hosts (bastion / SSM / IAP as your org uses)", cloud,
                "systemctl and journalctl on the hosts"]

    def instances(self) -> Command:
        if self.cloud == "azure":
            return cmd("VM power state in Azure",
                       f"az vm list -d --query \"[?tags.service=='{self.slug}'].{{name:name, state:powerState, "
                       "ip:privateIps}\" -o table", "Every VM 'VM running'")
        if self.cloud == "gcp":
            return cmd("Instance state in GCE",
                       f"gcloud compute instances list --filter='labels.service={self.slug}' "
                       "--format='table(name,zone,status,networkInterfaces[0].networkIP)'",
                       "Every instance RUNNING")
        return cmd("Instance state and status checks in EC2",
                   f"aws ec2 describe-instances --region {q(self.region)} --filters "
                   f"'Name=tag:Service,Values={self.slug}' --query "
                   "'Reservations[].Instances[].[InstanceId,State.Name,PrivateDnsName]' --output table\n"
                   f"aws ec2 describe-instance-status --region {q(self.region)} --filters "
                   "'Name=instance-status.status,Values=impaired'",
                   "All instances 'running' and no impaired status checks")

    def target_health(self) -> Command | None:
        if self.cloud != "aws" or not re.search(r"\b(?:alb|nlb|elb|load balancer|target group)\b", self.ctx.text):
            return None
        tg = self.ctx.facts.names.get("alb.target_group")
        return cmd("Load balancer view: which targets are healthy",
                   (f"TG_ARN=\"$(aws elbv2 describe-target-groups --region {q(self.region)} --names {q(tg)} "
                    "--query 'TargetGroups[0].TargetGroupArn' --output text)\"\n"
                    if tg else
                    "TG_ARN=\"${TG_ARN:?set TG_ARN to the target group ARN (aws elbv2 describe-target-groups)}\"\n")
                   + f"aws elbv2 describe-target-health --region {q(self.region)} --target-group-arn \"$TG_ARN\" "
                   "--query 'TargetHealthDescriptions[].[Target.Id,TargetHealth.State,TargetHealth.Reason]' "
                   "--output table", "Every target 'healthy'; 'unhealthy' with Target.ResponseCodeMismatch or "
                   "Target.Timeout points at the health check")

    def status(self) -> list[Command]:
        lb = self.target_health()
        return [self.instances(), *super().status(), *([lb] if lb else [])]

    def redeploy_elsewhere(self) -> list[Command]:
        if self.cloud == "azure":
            return [cmd("Create a replacement VM from the golden image in the recovery region",
                        f"{self.rg_var()}\n"
                        "IMAGE=\"${IMAGE:?set IMAGE to the image or gallery image version ID}\"\n"
                        f"{self.dr_region_var()}\n"
                        f"az vm create --resource-group \"$RESOURCE_GROUP\" --name {q(self.slug + '-dr-1')} "
                        f"--image \"$IMAGE\" --location \"$DR_REGION\" --tags service={self.slug}",
                        "provisioningState Succeeded; add it to the load balancer backend pool")]
        if self.cloud == "gcp":
            return [cmd("Create a replacement instance from the machine image in another zone",
                        "IMAGE=\"${IMAGE:?set IMAGE to the machine image or instance template}\"\n"
                        "ZONE=\"${ZONE:?set ZONE to the recovery zone}\"\n"
                        f"gcloud compute instances create {q(self.slug)}-dr-1 --zone \"$ZONE\" "
                        "--source-machine-image \"$IMAGE\"",
                        "Instance RUNNING; add it to the load balancer backend")]
        return [cmd("Launch a replacement from the golden AMI in the recovery region",
                    "AMI_ID=\"${AMI_ID:?set AMI_ID to the latest golden image}\"\n"
                    f"{self.dr_region_var()}\n"
                    "INSTANCE_TYPE=\"${INSTANCE_TYPE:?set INSTANCE_TYPE, e.g. m6i.large}\"\n"
                    "aws ec2 run-instances --region \"$DR_REGION\" --image-id \"$AMI_ID\" --instance-type "
                    f"\"$INSTANCE_TYPE\" --tag-specifications 'ResourceType=instance,Tags=[{{Key=Service,"
                    f"Value={self.slug}}}]'",
                    "Instance 'running'; register it with the load balancer / target group")]

    def cheatsheet(self) -> list[Command]:
        return [self.instances(), *super().cheatsheet()]


class BareMetal(SystemdHosts):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.key, self.label = "baremetal", "Bare metal"

    def location(self) -> str:
        where = ", ".join(self.hosts) if self.hosts else "physical hosts (see inventory)"
        return f"{where}, systemd unit {self.unit}"

    def tools(self) -> list[str]:
        return ["SSH access with sudo to the hosts", "systemctl and journalctl on the hosts",
                "ipmitool / out-of-band console (iDRAC, iLO) access for hardware faults",
                "smartctl (smartmontools) on the hosts"]

    def secrets(self) -> str:
        return "Vault / the host secrets store (fill in), never in the unit file"

    def hardware(self) -> Command:
        return cmd("Hardware health: disks, memory errors, power/fans",
                   self.on_hosts("sudo dmesg -T --level=err,crit | tail -n 20; "
                                 "sudo smartctl -H /dev/sda | tail -n 2; sudo ipmitool sel elist | tail -n 10"),
                   "SMART 'PASSED', no new SEL entries, no kernel I/O or ECC errors")

    def status(self) -> list[Command]:
        return [*super().status(), self.hardware()]

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Start the service on the standby host",
                    "DR_HOST=\"${DR_HOST:?set DR_HOST to the standby server}\"\n"
                    f"ssh \"$DR_HOST\" 'sudo systemctl start {self.unit} && systemctl is-active {self.unit}'",
                    "'active' on the standby host; then move the VIP/DNS to it")]

    def cheatsheet(self) -> list[Command]:
        return [*super().cheatsheet(), self.hardware()]


# --- Serverless ----------------------------------------------------------------------------------


class Serverless(Platform):
    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "serverless", "Serverless"
        key = "gcf.function" if self.cloud == "gcp" else "lambda.function"
        self.fn = f.names.get(key) or f.names.get("lambda.function") or f.service
        if key not in f.names and "lambda.function" not in f.names:
            self.assumptions.append(f"function named '{self.fn}'")
        self.alias = "live"
        if self.cloud != "gcp":
            self.assumptions.append(f"Lambda alias '{self.alias}' receives production traffic (rollback moves it)")

    @property
    def gcp(self) -> bool:
        return self.cloud == "gcp"

    @property
    def r(self) -> str:
        return f"--region {q(self.region)}"

    def location(self) -> str:
        return (f"Cloud Functions (gen2) {self.fn} in {self.region}" if self.gcp
                else f"AWS Lambda function {self.fn} in {self.region}")

    def diagram_node(self) -> str:
        return f"{self.fn} (function)"

    def tools(self) -> list[str]:
        if self.gcp:
            return [f"gcloud CLI with cloudfunctions and run permissions in {self.region}"]
        return [f"aws CLI v2 with lambda:*, logs:* (read) and cloudwatch:GetMetricData in {self.region}"]

    def config_files(self) -> list[str]:
        if self.gcp:
            return [f"Function configuration (gcloud functions describe {self.fn} --gen2)",
                    "Deploy definition in the repo (fill in: Terraform / cloudbuild.yaml)"]
        return [f"Function configuration (aws lambda get-function-configuration --function-name {self.fn})",
                "Deploy definition in the repo (fill in: template.yaml / serverless.yml / Terraform)"]

    def caveats(self) -> list[str]:
        if self.gcp:
            return ["Gen2 functions run on Cloud Run: traffic can be moved between revisions without a "
                    "redeploy (gcloud run services update-traffic)."]
        return [f"Rollback moves alias '{self.alias}' to the previous published version; it does not undo "
                "changes to environment variables stored on $LATEST or to event source mappings.",
                "Setting reserved concurrency to 0 is a kill switch: every invocation is throttled."]

    def status(self) -> list[Command]:
        if self.gcp:
            return [cmd(f"State and revision of {self.fn}",
                        f"gcloud functions describe {q(self.fn)} --gen2 {self.r} "
                        "--format='value(state,serviceConfig.revision,updateTime)'",
                        "state ACTIVE and the revision you expect")]
        return [cmd(f"State and last update of {self.fn}",
                    f"aws lambda get-function-configuration --function-name {q(self.fn)} {self.r} "
                    "--query '[State,LastUpdateStatus,Version,Timeout,MemorySize]' --output text",
                    "Active Successful; timeout and memory as configured"),
                cmd(f"Which version alias '{self.alias}' serves",
                    f"aws lambda get-alias --function-name {q(self.fn)} --name {self.alias} {self.r}",
                    "FunctionVersion is the release you expect"),
                cmd("Event sources feeding the function (SQS, Kinesis, Kafka) and their state",
                    f"aws lambda list-event-source-mappings --function-name {q(self.fn)} {self.r} --query "
                    "'EventSourceMappings[].[State,EventSourceArn,LastProcessingResult]' --output table",
                    "State Enabled and LastProcessingResult OK; 'Disabled' or 'PROBLEM' means nothing is consumed")]

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        if self.gcp:
            limit = "--limit 200"
            base = f"gcloud functions logs read {q(self.fn)} --gen2 {self.r} {limit}"
            if grep:
                return cmd(f"Function logs matching '{grep}'", f"{base} | grep -iE {q(grep)} | tail -n 50",
                           "No matches is healthy")
            return cmd(f"Recent logs of {self.fn}", base, "No errors or timeouts")
        group = f"/aws/lambda/{self.fn}"
        if grep:
            terms = " ".join(f'?"{t}"' if " " in t else f"?{t}" for t in grep.split("|"))
            return cmd(f"Function logs of the last {since} matching '{grep}'",
                       aws_log_events(group, since, self.region, terms),
                       "No matches is healthy; 'Task timed out' means the timeout is hit")
        return cmd(f"Recent logs of {self.fn}", aws_log_events(group, since, self.region),
                   "No errors, timeouts or 'Runtime exited'")

    def events(self) -> Command:
        if self.gcp:
            return cmd("Recent configuration changes (audit log)",
                       f"gcloud logging read 'resource.type=\"cloud_function\" AND "
                       f"resource.labels.function_name=\"{self.fn}\" AND severity>=WARNING' --limit 20 "
                       "--freshness=1h", "No unexpected changes or warnings")
        return cmd("Throttles and errors over the last hour (1-minute sums)",
                   "START=\"$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)\"\nEND=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n"
                   f"aws cloudwatch get-metric-statistics {self.r} --namespace AWS/Lambda --metric-name Throttles "
                   f"--dimensions Name=FunctionName,Value={self.fn} --start-time \"$START\" --end-time \"$END\" "
                   "--period 60 --statistics Sum --output table",
                   "Throttles 0; any throttling → check concurrency")

    def resources(self) -> Command:
        if self.gcp:
            return cmd("Memory, timeout and instance limits",
                       f"gcloud functions describe {q(self.fn)} --gen2 {self.r} "
                       "--format='yaml(serviceConfig.availableMemory,serviceConfig.timeoutSeconds,"
                       "serviceConfig.maxInstanceCount)'", "Limits as expected for the load")
        return cmd("Concurrency limits (function and account)",
                   f"aws lambda get-function-concurrency --function-name {q(self.fn)} {self.r}\n"
                   f"aws lambda get-account-settings {self.r} --query 'AccountLimit.ConcurrentExecutions'",
                   "Reserved concurrency (if any) above the peak; 0 means the function is switched off")

    def version(self) -> Command:
        if self.gcp:
            return self.status()[0]
        return cmd("Published versions (rollback targets)",
                   f"aws lambda list-versions-by-function --function-name {q(self.fn)} {self.r} "
                   "--query 'Versions[-5:].[Version,LastModified,Description]' --output table",
                   "The newest versions; the one before the alias target is the rollback target")

    def history(self) -> Command:
        if self.gcp:
            return cmd("Revisions of the underlying Cloud Run service",
                       f"gcloud run revisions list --service {q(self.fn)} {self.r} --limit 5",
                       "The previous revision is the rollback target")
        return self.version()

    def local_health_check(self) -> Command:
        if self.gcp:
            return cmd("Invoke the function once with a harmless payload",
                       f"gcloud functions call {q(self.fn)} --gen2 {self.r} --data '{{\"healthcheck\": true}}'",
                       "A normal response, no error")
        return cmd("Invoke the live alias once with a harmless payload",
                   f"aws lambda invoke --function-name {q(self.fn)} --qualifier {self.alias} {self.r} "
                   "--cli-binary-format raw-in-base64-out --payload '{\"healthcheck\": true}' /tmp/out.json\n"
                   "cat /tmp/out.json", "StatusCode 200 and no FunctionError field",
                   "Runs real code: only if the function treats this payload as a no-op.")

    def connections(self) -> Command:
        return self.resources()

    def disk_check(self) -> Command:
        return self.resources()

    def pre_deploy(self) -> list[Command]:
        return [*self.status(), self.version()]

    def deploy(self) -> list[Command]:
        if self.gcp:
            return [cmd(f"Deploy a new revision of {self.fn}",
                        "SOURCE_DIR=\"${SOURCE_DIR:?set SOURCE_DIR to the function source directory}\"\n"
                        f"gcloud functions deploy {q(self.fn)} --gen2 {self.r} --source \"$SOURCE_DIR\"",
                        "Deploy finishes with state ACTIVE")]
        return [cmd(f"Upload new code and publish a version of {self.fn}",
                    "ZIP=\"${ZIP:?set ZIP to the build artifact, e.g. dist/function.zip}\"\n"
                    f"aws lambda update-function-code --function-name {q(self.fn)} {self.r} "
                    "--zip-file \"fileb://$ZIP\" --publish --query Version --output text",
                    "Prints the new version number"),
                cmd(f"Move alias '{self.alias}' to the new version (canary 10% first)",
                    "NEW_VERSION=\"${NEW_VERSION:?set NEW_VERSION to the version printed above}\"\n"
                    "CURRENT=\"$(aws lambda get-alias --function-name "
                    f"{q(self.fn)} --name {self.alias} {self.r} --query FunctionVersion --output text)\"\n"
                    f"aws lambda update-alias --function-name {q(self.fn)} --name {self.alias} {self.r} "
                    "--function-version \"$CURRENT\" --routing-config "
                    "\"AdditionalVersionWeights={$NEW_VERSION=0.1}\"",
                    "10% of invocations reach the new version; watch errors for 10 min, then shift fully")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.logs("10m", "error|exception|timed out")]

    def rollback(self) -> list[Command]:
        if self.gcp:
            return [self.history(),
                    cmd("Send all traffic back to the previous revision",
                        "REVISION=\"${REVISION:?set REVISION to the last good revision}\"\n"
                        f"gcloud run services update-traffic {q(self.fn)} {self.r} --to-revisions=\"$REVISION=100\"",
                        "100% of traffic on the chosen revision"),
                    self.status()[0]]
        return [self.version(),
                cmd(f"Point alias '{self.alias}' back at the previous version (no redeploy)",
                    "PREVIOUS_VERSION=\"${PREVIOUS_VERSION:?set PREVIOUS_VERSION to the last good version}\"\n"
                    f"aws lambda update-alias --function-name {q(self.fn)} --name {self.alias} {self.r} "
                    "--function-version \"$PREVIOUS_VERSION\" --routing-config 'AdditionalVersionWeights={}'",
                    "The alias shows the previous version; errors drop within minutes"),
                self.status()[1]]

    def restart_one(self) -> Command:
        return self.restart_all()

    def restart_all(self) -> Command:
        if self.gcp:
            return cmd("Force new instances by redeploying the current revision's traffic split",
                       f"gcloud run services update {q(self.fn)} {self.r} --update-labels=restarted-at=\"$(date +%s)\"",
                       "A new revision becomes ready and takes traffic",
                       "Creates a new revision: all warm instances are replaced (cold starts).")
        return cmd("Recycle all execution environments by touching the configuration",
                   f"aws lambda update-function-configuration --function-name {q(self.fn)} {self.r} "
                   "--description \"recycled $(date -u +%FT%TZ)\"",
                   "LastUpdateStatus Successful; new invocations start cold",
                   "Every warm environment is discarded (cold-start spike). This changes $LATEST only; publish "
                   "and move the alias if the alias points at a published version.")

    def scale(self, replicas: str, purpose: str) -> Command:
        if self.gcp:
            return cmd(purpose, f"gcloud functions deploy {q(self.fn)} --gen2 {self.r} --max-instances={replicas}",
                       "New max instances applied",
                       "A max of 0 is not allowed; use traffic or IAM to stop it." if replicas == "0" else None)
        return cmd(purpose, f"aws lambda put-function-concurrency --function-name {q(self.fn)} {self.r} "
                   f"--reserved-concurrent-executions {replicas}",
                   "ReservedConcurrentExecutions set",
                   "Reserved concurrency 0 throttles every invocation (kill switch); async events are retried "
                   "then dropped to the DLQ/destination. Remove with delete-function-concurrency."
                   if replicas == "0" else "Caps parallel executions; excess invocations are throttled.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        if self.gcp:
            return cmd(purpose, f"gcloud functions deploy {q(self.fn)} --gen2 {self.r} "
                       f"--update-env-vars {name}={q(value)}", f"New revision with {name}={value}",
                       f"Redeploys the function. Only useful if it honours {name}.")
        return cmd(purpose,
                   f"aws lambda get-function-configuration --function-name {q(self.fn)} {self.r} "
                   "--query 'Environment.Variables' --output json > /tmp/env-before.json\n"
                   "cat /tmp/env-before.json\n"
                   f"echo 'Merge {name}={value} into the variables above, then run update-function-configuration "
                   "with the full set'",
                   "You have the current variables saved before changing them",
                   "update-function-configuration --environment REPLACES all variables: always pass the full "
                   f"set including {name}, never just the one you change.")

    def rerun(self) -> Command:
        if self.gcp:
            return cmd("Trigger one run now", f"gcloud functions call {q(self.fn)} --gen2 {self.r} --data '{{}}'",
                       "A normal response", "Runs the job for real: make sure it is idempotent.")
        return cmd("Trigger one asynchronous run now (same as the schedule does)",
                   f"aws lambda invoke --function-name {q(self.fn)} --qualifier {self.alias} {self.r} "
                   "--invocation-type Event --cli-binary-format raw-in-base64-out --payload '{}' /tmp/rerun.json",
                   "StatusCode 202; follow the run in the logs",
                   "Runs the job for real: make sure it is idempotent for the window it processes.")

    def stop(self) -> Command:
        return self.scale("0", f"Kill switch: stop all invocations of {self.fn}")

    def redeploy_elsewhere(self) -> list[Command]:
        if self.gcp:
            return [cmd("Deploy the function into the recovery region",
                        f"{self.dr_region_var()}\n"
                        "SOURCE_DIR=\"${SOURCE_DIR:?set SOURCE_DIR to the function source directory}\"\n"
                        f"gcloud functions deploy {q(self.fn)} --gen2 --region \"$DR_REGION\" --source \"$SOURCE_DIR\"",
                        "State ACTIVE in the recovery region; switch the trigger / endpoint")]
        return [cmd("Deploy the same artifact into the recovery region (function must exist there via IaC)",
                    f"{self.dr_region_var()}\n"
                    "ZIP=\"${ZIP:?set ZIP to the last good artifact}\"\n"
                    f"aws lambda update-function-code --function-name {q(self.fn)} --region \"$DR_REGION\" "
                    "--zip-file \"fileb://$ZIP\" --publish",
                    "New version published in the recovery region; repoint the trigger / API")]

    def cheatsheet(self) -> list[Command]:
        return [self.logs("1h"), *self.status(), self.resources(), self.version()]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [self.logs("30m", "error|timed out|runtime exited|out of memory"), self.events(), self.resources()]
        fixes: list[tuple[str, Command | None]] = [
            ("If errors started with a release, move traffic back to the previous version", self.rollback()[1]),
            ("'Task timed out' → a dependency is slow: check it before raising the timeout", None),
            ("Throttling → raise reserved concurrency or ask for an account limit increase", None),
        ]
        return ("Invocation errors, timeouts or throttling",
                "Errors / Throttles metrics rising, 'Task timed out' or 'Runtime exited' in logs", checks, fixes)


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

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        base = f"{self.job_var()}\nkubectl logs {self.n} \"$JOB\" --all-containers --tail=500"
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
        if self.argocd or self.helm:
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
        return cmd("Give the run more parallelism/resources: edit the CronJob's job template",
                   f"kubectl edit {self.ref} {self.n}",
                   "Raise resources.limits or spec.jobTemplate.spec.parallelism; applies from the next run")

    def stop(self) -> Command:
        return cmd(f"Suspend {self.ref} so no new run starts",
                   f"kubectl patch {self.ref} {self.n} -p '{{\"spec\":{{\"suspend\":true}}}}'",
                   "SUSPEND True in kubectl get cronjob",
                   "No scheduled runs until you set suspend back to false; a run already going continues "
                   "(delete its Job to stop it).")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
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


class ECS(Platform):
    """Containers on Amazon ECS (Fargate or EC2 launch type)."""

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.key, self.label = "docker", "Amazon ECS"
        self.cluster = f.names.get("ecs.cluster") or f.cluster or f.service
        self.service = f.names.get("ecs.service") or f.service
        if "ecs.cluster" not in f.names and not f.cluster:
            self.assumptions.append(f"ECS cluster '{self.cluster}'")
        if "ecs.service" not in f.names:
            self.assumptions.append(f"ECS service '{self.service}', logs in /ecs/{self.service}")

    @property
    def scope(self) -> str:
        return f"--region {q(self.region)} --cluster {q(self.cluster)}"

    def location(self) -> str:
        return f"Amazon ECS cluster {self.cluster}, service {self.service} ({self.region})"

    def diagram_node(self) -> str:
        return f"{self.service} (ECS tasks)"

    def tools(self) -> list[str]:
        return [f"aws CLI with ecs:Describe*/UpdateService and logs:FilterLogEvents in {self.region}",
                "Session Manager plugin (for aws ecs execute-command)"]

    def config_files(self) -> list[str]:
        return [f"ECS task definition of {self.service} (aws ecs describe-task-definition)"]

    def caveats(self) -> list[str]:
        return ["Rolling back = updating the service to the previous task definition revision; the deployment "
                "circuit breaker (if enabled) rolls back automatically on failed deployments."]

    def status(self) -> list[Command]:
        return [cmd(f"Desired vs running tasks and the current deployment of {self.service}",
                    f"aws ecs describe-services {self.scope} --services {q(self.service)} --query "
                    "'services[0].[desiredCount,runningCount,pendingCount,taskDefinition,deployments[0].rolloutState]' "
                    "--output text", "running = desired, rolloutState COMPLETED"),
                cmd("Recent service events (placement failures, unhealthy targets)",
                    f"aws ecs describe-services {self.scope} --services {q(self.service)} --query "
                    "'services[0].events[:10].[createdAt,message]' --output text",
                    "No 'unable to place' or 'failed health checks' messages")]

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        group = f"/ecs/{self.service}"
        if grep:
            terms = " ".join(f"?{t}" for t in grep.split("|") if " " not in t)
            return cmd(f"Task logs of the last {since} matching '{grep}'",
                       aws_log_events(group, since, self.region, terms), "No matches is healthy")
        return cmd(f"Task logs of the last {since}", aws_log_events(group, since, self.region), "No errors")

    def events(self) -> Command:
        return cmd("Why tasks stopped (exit codes, OOM, health checks)",
                   f"TASKS=\"$(aws ecs list-tasks {self.scope} --service-name {q(self.service)} --desired-status "
                   "STOPPED --query 'taskArns[:5]' --output text)\"\n"
                   "# shellcheck disable=SC2086  # $TASKS holds one task ARN per word\n"
                   f"aws ecs describe-tasks {self.scope} --tasks $TASKS --query "
                   "'tasks[].[stoppedReason,containers[0].exitCode]' --output text",
                   "No 'OutOfMemoryError' or 'Essential container exited' in the reasons")

    def resources(self) -> Command:
        return cmd("Service CPU and memory utilisation (last 30 min)",
                   "START=\"$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)\"\nEND=\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"\n"
                   f"aws cloudwatch get-metric-statistics --region {q(self.region)} --namespace AWS/ECS "
                   f"--metric-name MemoryUtilization --dimensions Name=ClusterName,Value={self.cluster} "
                   f"Name=ServiceName,Value={self.service} --start-time \"$START\" --end-time \"$END\" "
                   "--period 300 --statistics Maximum --output table", "Below 80%")

    def version(self) -> Command:
        return cmd("Task definition revision in service",
                   f"aws ecs describe-services {self.scope} --services {q(self.service)} --query "
                   "'services[0].taskDefinition' --output text", "The revision you expect; note it before a change")

    def history(self) -> Command:
        return cmd("Recent task definition revisions (rollback targets)",
                   f"aws ecs list-task-definitions --region {q(self.region)} --family-prefix {q(self.service)} "
                   "--sort DESC --max-items 5", "The previous revision is the rollback target")

    def local_health_check(self) -> Command:
        return self.status()[0]

    def connections(self) -> Command:
        return self.resources()

    def disk_check(self) -> Command:
        return self.resources()

    def pre_deploy(self) -> list[Command]:
        return [*self.status(), self.version()]

    def deploy(self) -> list[Command]:
        return [cmd(f"Deploy a new task definition revision to {self.service}",
                    "TASK_DEF=\"${TASK_DEF:?set TASK_DEF to the new task definition family:revision}\"\n"
                    f"aws ecs update-service {self.scope} --service {q(self.service)} --task-definition "
                    "\"$TASK_DEF\"\n"
                    f"aws ecs wait services-stable {self.scope} --services {q(self.service)}",
                    "The wait returns once the new tasks are healthy")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.logs("10m", "error|exception|fatal"), self.health_check()]

    def rollback(self) -> list[Command]:
        return [self.history(),
                cmd(f"Put {self.service} back on the previous task definition",
                    "PREVIOUS=\"${PREVIOUS:?set PREVIOUS to the last good family:revision}\"\n"
                    f"aws ecs update-service {self.scope} --service {q(self.service)} --task-definition "
                    "\"$PREVIOUS\"\n"
                    f"aws ecs wait services-stable {self.scope} --services {q(self.service)}",
                    "Service stable on the previous revision"),
                self.version()]

    def restart_one(self) -> Command:
        return cmd("Stop one unhealthy task; the service starts a replacement",
                   "TASK=\"${TASK:?set TASK to the task ARN from aws ecs list-tasks}\"\n"
                   f"aws ecs stop-task {self.scope} --task \"$TASK\" --reason 'runbook: replace unhealthy task'",
                   "A new task reaches RUNNING", "Drops that task's in-flight requests.")

    def restart_all(self) -> Command:
        return cmd(f"Replace every task of {self.service} (rolling)",
                   f"aws ecs update-service {self.scope} --service {q(self.service)} --force-new-deployment\n"
                   f"aws ecs wait services-stable {self.scope} --services {q(self.service)}",
                   "New tasks healthy, old ones drained",
                   "Replaces ALL tasks (rolling, honours minimumHealthyPercent). Safer: stop the one bad task.")

    def scale(self, replicas: str, purpose: str) -> Command:
        return cmd(purpose, f"aws ecs update-service {self.scope} --service {q(self.service)} --desired-count "
                   f"{replicas}", "runningCount reaches the new desired count",
                   "Desired count 0 stops the service." if replicas == "0" else
                   "Service auto scaling may change it back: adjust its min/max instead.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"aws ecs describe-task-definition --region {q(self.region)} --task-definition "
                   f"{q(self.service)} --query 'taskDefinition.containerDefinitions[0].environment'",
                   f"Current environment; register a revision with {name}={value} and deploy it",
                   f"Needs a new task definition revision and a deployment. Only useful if the service honours {name}.")

    def stop(self) -> Command:
        return self.scale("0", f"Stop {self.service} (desired count 0)")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Run the service in the recovery region (cluster and task definition via IaC)",
                    f"{self.dr_region_var()}\n"
                    "DR_CLUSTER=\"${DR_CLUSTER:?set DR_CLUSTER}\"\n"
                    "COUNT=\"${COUNT:?set COUNT to the normal desired count}\"\n"
                    f"aws ecs update-service --region \"$DR_REGION\" --cluster \"$DR_CLUSTER\" --service "
                    f"{q(self.service)} --desired-count \"$COUNT\"",
                    "Tasks RUNNING in the recovery region; then move traffic")]

    def cheatsheet(self) -> list[Command]:
        return [*self.status(), self.logs("1h"), self.events(),
                cmd("Shell into a running task (ECS Exec)",
                    f"TASK=\"$(aws ecs list-tasks {self.scope} --service-name {q(self.service)} --query "
                    "'taskArns[0]' --output text)\"\n"
                    f"aws ecs execute-command {self.scope} --task \"$TASK\" --interactive --command sh")]

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deployment, go back to the previous task definition", self.rollback()[1]),
            ("If tasks stop with OutOfMemoryError, raise the task memory in a new revision", None),
            ("If tasks fail ALB health checks, check the health check path/port and the start-up time", None),
        ]
        return ("Tasks stopping or failing health checks",
                "runningCount below desired, service events show stopped or unhealthy tasks",
                [*self.status(), self.events(), self.logs("30m", "error|exception|fatal")], fixes)


def platform_for(ctx: Context) -> Platform:
    env = ctx.answers.environment
    text = ctx.text
    if env == "kubernetes" and ctx.answers.service_type == "pipeline" and not re.search(
            r"\b(?:deployment|airflow|spark|flink|stream(?:ing)?|beam|dagster|prefect)\b", text):
        return KubernetesCronJob(ctx)
    if env == "docker" and re.search(r"\b(?:ecs|fargate)\b", text):
        return ECS(ctx)
    known: dict[str, type[Platform]] = {"kubernetes": Kubernetes, "docker": Docker, "vm": VM,
                                        "serverless": Serverless, "baremetal": BareMetal}
    platform = known.get(env, VM)(ctx)
    if env not in known:  # a custom rule's option the engine has no knowledge of
        platform.assumptions.append(f"environment '{env}' is not one the offline engine knows: the commands "
                                    "assume hosts running the service under systemd; replace them with your "
                                    "platform's equivalents")
    return platform
