"""Helm releases: status and history, rollback (and what it does not undo), stuck pending releases."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, mention, namespace, q
from agent.knowledge.platforms.kubernetes import argo_renders_helm
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, Procedure, Step


class HelmPack(KeywordPack):
    name = "helm"
    summary = ("Helm releases: status/history (--max), rollback limits (CRDs, PVCs, migrations), stuck "
               "pending-upgrade, --atomic upgrades")
    keywords = ("helm", "helm chart", "helmfile")
    order = 65
    own_workload = True
    examples = ("Deployed with Helm (release orders-api, chart ./charts/orders-api) to EKS",)
    negatives = ("Deployed with kustomize", "Kubernetes manifests applied with kubectl")

    def detect(self, ctx: Context) -> str | None:
        if argo_renders_helm(ctx) and not mention(ctx, ("flux",)):
            return None  # Argo CD renders the chart: no Helm release to status, roll back or unstick
        return super().detect(ctx)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        release = f.name("helm.release", f.service)
        chart = f.name("helm.chart", f"./charts/{f.service}")
        ns = q(namespace(ctx))
        gitops = mention(ctx, ("argo cd", "flux"))
        status = cmd("Release status", f"helm status {q(release)} -n {ns}",
                     "STATUS: deployed; pending-* or failed needs the steps below")
        history = cmd("Last revisions of the release", f"helm history {q(release)} -n {ns} --max 10",
                      "the last revision with STATUS deployed and the one before it (superseded)")
        unavailable = cmd("Pods of the release that are not ready",
                          f"kubectl get pods -n {ns} -l app.kubernetes.io/instance={q(release)} "
                          "--field-selector=status.phase!=Running",
                          "No resources found")

        rollback_warning = ("Creates a new revision with the old manifests; it does not roll back CRDs, data "
                            "in PVCs or database migrations, and it re-runs hooks."
                            + (f" {gitops} will re-apply what Git says: roll back in Git instead." if gitops
                               else " Helm keeps --history-max revisions (default 10 for upgrade): older ones "
                                    "cannot be rolled back to."))
        rollback = cmd("Roll back to the previous good revision",
                       "REVISION=\"${REVISION:?set REVISION: the last good REVISION from the history above}\"\n"
                       f"helm rollback {q(release)} \"$REVISION\" -n {ns} --wait --timeout 10m",
                       "'Rollback was a success'; helm status shows a new revision, deployed",
                       warning=rollback_warning)
        flux = (gitops or "").lower() == "flux"
        if flux:  # Flux's helm-controller owns the release: a hand-made helm rollback or upgrade is undone
            rollback = cmd(f"Revert the release commit in Git, then reconcile the HelmRelease {release}",
                           f"flux reconcile helmrelease {q(release)} -n {ns} --with-source\n"
                           f"flux get helmreleases -n {ns}",
                           "READY True at the reverted revision; helm history shows the new revision deployed",
                           warning="Flux's helm-controller owns this release: helm rollback or upgrade by hand is "
                                   "undone at the next reconcile. Roll back in Git.")

        signals = [Signal(
            key="helm.unavailable", name="Helm release pods unavailable", measure="unavailable replicas",
            threshold=Threshold(0), minutes=10, severity="Warning",
            response="Follow 'Helm: release failed or pods not ready after an upgrade'.",
            entry="Helm: release failed or pods not ready after an upgrade",
            labels={"release": release, "ns": namespace(ctx)}, probe=unavailable)]

        issues = [
            Issue(
                title="Helm: release failed or pods not ready after an upgrade",
                symptoms="helm upgrade timed out or STATUS failed; new pods CrashLoopBackOff.",
                alert="Helm release pods unavailable",
                check=[status, history, unavailable,
                       cmd("What changed in values between two revisions",
                           "GOOD=\"${GOOD:?set GOOD: the last good revision}\"\n"
                           "BAD=\"${BAD:?set BAD: the failing revision}\"\n"
                           f"diff <(helm get values {q(release)} -n {ns} --revision \"$GOOD\" -o yaml) "
                           f"<(helm get values {q(release)} -n {ns} --revision \"$BAD\" -o yaml)",
                           "the value change that broke it")],
                fix=[Step(action="Roll back to the last good revision.", command=rollback)],
                verify="helm status deployed and every pod ready for 15 minutes.",
                escalate="If the rollback also fails, page the service owner.",
            ),
            Issue(
                title="Helm: 'another operation (install/upgrade/rollback) is in progress'",
                symptoms="helm upgrade refuses to run; status pending-upgrade or pending-rollback after an "
                         "interrupted deploy.",
                alert=None,
                check=[status, history],
                fix=[Step(action="Roll back to the last deployed revision: this clears the pending state.",
                          command=rollback)],
                verify="helm status shows deployed and the next helm upgrade runs, within 15 minutes.",
                escalate="If the rollback is refused too, page the platform team (the release secret may need "
                         "repair).",
            ),
        ]

        return Contribution(
            components=[Component(name="Packaging", technology="Helm", version="fill in: helm version --short",
                                  location=f"release {release} in namespace {namespace(ctx)}",
                                  purpose=f"Chart {chart}")],
            prerequisites=[f"helm 3 and kubectl with access to namespace {namespace(ctx)}"],
            deploy_caveats=[f"Flux's helm-controller owns release {release}: change it in Git and reconcile; helm "
                            "upgrade or rollback by hand is undone at the next reconcile."] if flux else [
                f"Deploy with: helm upgrade --install {release} {chart} -n {namespace(ctx)} --atomic --timeout 10m "
                "(--atomic rolls back by itself if the release does not become ready).", rollback_warning],
            signals=signals,
            issues=issues,
            daily=["Check helm status of the release is deployed"],
            weekly=["Check the chart's values in Git match helm get values"],
            monthly=["Update chart dependencies (helm dependency update) in a branch and test"],
            maintenance_commands=[cmd("Preview an upgrade (renders and validates, changes nothing)",
                                      f"helm upgrade --install {q(release)} {q(chart)} -n {ns} --dry-run=server "
                                      "| head -n 50",
                                      "rendered manifests and no error")] if not flux else [cmd(
                                          f"State of HelmRelease {release} as Flux sees it",
                                          f"flux get helmreleases -n {ns}", "READY True at the revision in Git")],
            dr_procedures=[Procedure(title="Helm: reinstall the release in a new cluster", commands=[cmd(
                "Install from the chart in Git",
                f"helm upgrade --install {q(release)} {q(chart)} -n {ns} --create-namespace --atomic --timeout 15m",
                "STATUS: deployed")])] if not flux else [Procedure(
                    title="Flux: the release in a new cluster", commands=[cmd(
                        f"Once Flux is bootstrapped on the new cluster from the same Git path, follow HelmRelease "
                        f"{release} until it is installed", f"flux get helmreleases -n {ns}\n"
                        f"flux reconcile helmrelease {q(release)} -n {ns} --with-source",
                        "READY True: the helm-controller installed the release from Git")])],
            cheatsheet=[status, history, cmd("Values in effect", f"helm get values {q(release)} -n {ns} --all")],
        )


PACK = HelmPack()
