"""Argo CD (GitOps): self-heal reverts manual fixes, rollback in Git or argocd app rollback, stuck syncs."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, namespace, q
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, Procedure, Step

SELF_HEAL = ("Argo CD self-heal reverts manual changes (kubectl rollout undo, scale, edit, set image) within "
             "seconds: roll back in Git (git revert + push), or disable auto-sync and use argocd app rollback.")


class ArgoCdPack(KeywordPack):
    name = "argocd"
    summary = ("Argo CD GitOps: self-heal reverts kubectl fixes, rollback via Git or argocd app rollback "
               "(auto-sync off), degraded/out-of-sync apps, stuck syncs")
    keywords = ("argo cd", "argocd", "argo-cd", "gitops with argo")
    order = 70
    own_workload = True
    examples = ("Deployed by Argo CD from the infra repo (application orders-api, auto-sync with self-heal)",)
    negatives = ("Deployed with Flux", "Argo Workflows runs the batch jobs")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        app = f.name("argocd.app", f.service)
        ns = q(namespace(ctx))
        status = cmd("Sync and health state of the application",
                     f"argocd app get {q(app)} --refresh | head -n 30",
                     "Sync Status: Synced, Health Status: Healthy; resources listed as Degraded/Missing are the "
                     "problem")
        history = cmd("Deployed revisions (IDs for rollback)", f"argocd app history {q(app)}",
                      "the last known good ID and Git revision")

        signals = [
            Signal(key="argocd.degraded", name="Argo CD application degraded", measure="apps not Healthy",
                   threshold=Threshold(0), minutes=15, severity="Warning",
                   response="Follow 'Argo CD: application degraded after a sync'.",
                   entry="Argo CD: application degraded after a sync", labels={"argo_app": app}, probe=status),
            Signal(key="argocd.sync_failed", name="Argo CD sync failing", measure="failed syncs",
                   threshold=Threshold(0), minutes=10, window="in", severity="Warning",
                   response="Follow 'Argo CD: sync failed or stuck'.", entry="Argo CD: sync failed or stuck",
                   labels={"argo_app": app}, probe=status),
        ]

        disable = cmd("Disable auto-sync so a manual rollback sticks",
                      f"argocd app set {q(app)} --sync-policy none",
                      "argocd app get shows Sync Policy: <none>",
                      warning="Git changes stop deploying until auto-sync is re-enabled "
                              f"(argocd app set {app} --sync-policy automated --self-heal); note it in the "
                              "incident channel so it is not forgotten.")
        rollback = cmd("Roll back to a previous deployed revision",
                       "ID=\"${ID:?set ID: the last good ID from the app history above}\"\n"
                       f"argocd app rollback {q(app)} \"$ID\"\n"
                       f"argocd app wait {q(app)} --health --timeout 600",
                       "the app becomes Healthy on the old revision within 10 minutes",
                       warning="Refused while auto-sync is on (disable it first). Git still holds the bad "
                               "version: the next sync redeploys it unless you revert in Git. Database "
                               "migrations are not rolled back.")

        issues = [
            Issue(
                title="Argo CD: application degraded after a sync",
                symptoms="Pods crash or fail readiness right after a deploy; app Health Degraded.",
                alert="Argo CD application degraded",
                check=[status, history, cmd("Pods of the service", f"kubectl get pods -n {ns} -l "
                                            f"app.kubernetes.io/instance={q(app)} -o wide",
                                            "Running and ready; CrashLoopBackOff pods point at the new version")],
                fix=[Step(action="Preferred: revert the commit in Git and let Argo CD sync it.",
                          command=cmd("Revert the bad commit in the config repo",
                                      "BAD_COMMIT=\"${BAD_COMMIT:?"
                                      "set BAD_COMMIT: the Git revision from argocd app history}\"\n"
                                      "git revert --no-edit \"$BAD_COMMIT\" && git push",
                                      "Argo CD syncs the revert within its polling interval (3 min) or at once "
                                      "with a webhook")),
                     Step(action="Faster: disable auto-sync and roll back in Argo CD.", command=disable),
                     Step(action="Then roll back.", command=rollback)],
                verify="Health Healthy and Sync Synced (after the Git revert) for 15 minutes, error rate normal.",
                escalate="If the rollback does not restore service within 15 minutes, page the service owner.",
            ),
            Issue(
                title="Argo CD: sync failed or stuck",
                symptoms="Operation Running for a long time, or Sync Failed; a hook job never finishes.",
                alert="Argo CD sync failing",
                check=[status, cmd("Differences between Git and the cluster", f"argocd app diff {q(app)}",
                                   "only the intended changes; immutable field errors need a replace")],
                fix=[Step(action="Stop a stuck operation, fix the hook or manifest, then sync again.",
                          command=cmd("Terminate the running operation and resync",
                                      f"argocd app terminate-op {q(app)}\nargocd app sync {q(app)} --timeout 600",
                                      "a new sync that finishes Succeeded"))],
                verify="Last sync Succeeded and app Healthy for 15 minutes.",
                escalate="If syncs keep failing, page the platform team that runs Argo CD.",
            ),
        ]

        return Contribution(
            components=[Component(name="Delivery", technology="Argo CD", version="fill in: argocd version",
                                  location=f"application {app}", purpose="Syncs the Git state to the cluster")],
            prerequisites=["argocd CLI logged in (argocd login) with sync/rollback rights on the application"],
            deploy_caveats=[SELF_HEAL, "Deploy = merge to the config repo; do not kubectl apply by hand."],
            signals=signals,
            issues=issues,
            daily=["Check every application is Synced and Healthy"],
            weekly=["Check no application was left with auto-sync disabled after an incident"],
            monthly=["Review Argo CD RBAC for the application"],
            maintenance_commands=[disable, cmd("Re-enable auto-sync with self-heal",
                                               f"argocd app set {q(app)} --sync-policy automated --self-heal",
                                               "Sync Policy: Automated")],
            dr_procedures=[Procedure(title="Argo CD: recreate the service in a new cluster", commands=[
                cmd("Sync the application once it points at the new cluster",
                    f"argocd app sync {q(app)} --timeout 900\nargocd app wait {q(app)} --health --timeout 900",
                    "Synced and Healthy; Git is the source of truth, so the service comes back as committed")])],
            cheatsheet=[status, history, rollback],
        )


PACK = ArgoCdPack()
