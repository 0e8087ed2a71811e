"""Cloudflare Workers: code on Cloudflare's edge, deployed and rolled back with wrangler.

A Worker has no process, host or replica count of the team's: it cannot be restarted or scaled, only
deployed (a new version), rolled back (to an earlier version) or taken off its routes. Its logs are a
live tail, not a store to search; its bindings (KV, Durable Objects, D1, R2) are separate resources.
"""

from __future__ import annotations

import re

from agent.knowledge.platforms.base import Action, cmd, q
from agent.knowledge.platforms.serverless import Serverless
from agent.runbook import Command

# "worker_name: edge-auth-prod", "wrangler tail edge-auth-prod", "the Worker `edge-auth`"
_WORKER = (re.compile(r"(?im)^\s*(?:worker[_ ]name|worker|script[_ ]name)\s*[:=]\s*`?([a-z0-9][\w-]*)`?"),
           re.compile(r"\bwrangler\s+tail\s+([a-z0-9][\w-]*)"),
           re.compile(r"(?i)\bworker\s+[`'\"]([a-z0-9][\w-]*)[`'\"]"),
           re.compile(r"(?<![\w-])`?([a-z0-9][\w-]*)`?\s+is\s+(?:a|our|the)\s+(?:Cloudflare\s+)?Worker\b"))
_ENV = re.compile(r"\bwrangler\b[^\n`]*?--env[= ]([\w-]+)|\bwrangler env [\"']?([\w-]+)")


class CloudflareWorkers(Serverless):
    """A Worker on Cloudflare's network, managed with wrangler (run through npx from the Worker's repo)."""

    function_key = "cloudflare.worker"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.key, self.label = "cloudflare-workers", "Cloudflare Workers"
        text = self.ctx.facts.description
        named = next((m.group(1) for rx in _WORKER if (m := rx.search(text))), None)
        if named:
            self.fn = named
            self.assumptions[:] = [a for a in self.assumptions if not a.startswith("function named")]
        env = _ENV.search(text)
        self.env_name = (env.group(1) or env.group(2)) if env else ""
        self.e = f" --env {q(self.env_name)}" if self.env_name else ""

    def _w(self, verb: str) -> str:
        return f"npx wrangler {verb}"

    def location(self) -> str:
        where = f", wrangler environment '{self.env_name}'" if self.env_name else ""
        return f"Cloudflare Workers script {self.fn} (Cloudflare's edge{where})"

    def diagram_node(self) -> str:
        return f"{self.fn} (Worker)"

    def tools(self) -> list[str]:
        return ["wrangler (npx wrangler, from the Worker's repository) logged in with an API token that can read "
                "and roll back Workers", "Cloudflare dashboard access (Workers analytics, routes, bindings)"]

    def config_files(self) -> list[str]:
        return ["wrangler.toml in the repository (routes, environments, bindings, vars)",
                f"Secrets of {self.fn} (npx wrangler secret list{self.e})"]

    def secrets(self) -> str:
        return f"Worker secrets (wrangler secret){' per environment ' + self.env_name if self.env_name else ''}"

    def caveats(self) -> list[str]:
        return ["A Worker has no process to restart and no instance count: a fix is a rollback to an earlier "
                "version or a new deploy through the pipeline.",
                "wrangler tail streams live requests only (and samples under heavy load): it shows nothing from "
                "before it started; use the dashboard's analytics or the error tracker for the past.",
                *self.owners.caveats()]

    def status(self) -> list[Command]:
        return [cmd(f"Which versions of {self.fn} serve traffic, and since when",
                    self._w(f"deployments list --name {q(self.fn)}{self.e}"),
                    "The newest deployment is the one you expect; a deploy just before the errors is the suspect")]

    def log_tail(self, since: str) -> str:
        # a tail streams forever: bounded so the block ends; it shows requests from now on, not the last {since}
        return f"timeout 60 {self._w(f'tail {q(self.fn)}{self.e} --format pretty')}"

    def events(self) -> Command:
        return cmd(f"Deployments of {self.fn}: who deployed what, when",
                   self._w(f"deployments list --name {q(self.fn)}{self.e}"),
                   "No deployment you did not expect in the last hours")

    def resources(self) -> Command:
        return cmd(f"Errors and CPU-limit outcomes of {self.fn}, live (60 s)",
                   f"timeout 60 {self._w(f'tail {q(self.fn)}{self.e} --format json --status error')} "
                   "| jq -r '.outcome' | sort | uniq -c",
                   "Few lines; 'exceededCpu' means the CPU limit is hit, 'exception' a code error")

    def version(self) -> Command:
        return cmd(f"Versions of {self.fn} (rollback targets)",
                   self._w(f"versions list --name {q(self.fn)}{self.e}"),
                   "The version before the current one is the rollback target")

    def history(self) -> Command:
        return self.version()

    def local_health_check(self) -> Command:
        return self.guarded_health_check("through its route")

    def pre_deploy(self) -> list[Command]:
        return [*self.status(), self.version()]

    def deploy(self) -> list[Command]:
        return [cmd(f"Deploy {self.fn} through its pipeline, then confirm the new version serves",
                    "# deploys run from the pipeline (it builds, tests and checks the canary), not from a laptop\n"
                    + self._w(f"deployments list --name {q(self.fn)}{self.e}"),
                    "The pipeline's version is the newest deployment")]

    def rollback(self) -> list[Command]:
        return [self.version(),
                cmd(f"Roll {self.fn} back to the previous version (give a version id after 'rollback' for another)",
                    self._w(f"rollback --name {q(self.fn)}{self.e} --message 'on-call rollback'"),
                    "Within a minute the previous version serves all traffic; errors fall back",
                    "Bindings (KV, D1, Durable Objects) are not rolled back: data the bad version wrote stays."),
                self.status()[0]]

    def restart_all(self) -> Command:
        look = self.status()[0]
        return look.model_copy(update={"purpose": f"{self.fn} has no process to restart: check which version "
                                                  "serves, then roll back (Deployment) if a deploy caused it"})

    def scale(self, replicas: str, purpose: str) -> Command:
        look = self.resources()
        return look.model_copy(update={"purpose": f"{self.fn} scales by itself on Cloudflare's edge: there is no "
                                                  "count to change; look for CPU-limit and error outcomes instead"})

    def stop(self) -> Command:
        return cmd(f"Take {self.fn} off its routes (kill switch)",
                   "# in the Cloudflare dashboard: Workers & Pages → the Worker → Settings → Domains & Routes, remove "
                   "the route (or point it at a maintenance Worker); never `wrangler delete`, which deletes the "
                   "Worker and its versions\n" + self._w(f"deployments list --name {q(self.fn)}{self.e}"),
                   "Requests to the route stop reaching the Worker (the origin or a maintenance page answers)",
                   "Every request on the route stops being handled by the Worker.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, f"# {name} is a var in wrangler.toml or a secret: change it in the repository (var) or "
                            f"with the team's secret procedure, and deploy through the pipeline\n"
                            + self._w(f"secret list{self.e}"),
                   f"{name} listed (secret) or in wrangler.toml (var)",
                   f"Only useful if the Worker honours {name}.")

    def rerun(self) -> Command:
        return cmd(f"Trigger {self.fn}'s scheduled handler (Cron Trigger) once: from the dashboard's Triggers tab",
                   self._w(f"deployments list --name {q(self.fn)}{self.e}"),
                   "The dashboard shows the run; its output appears in a running tail")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Workers run in every Cloudflare location: there is no region to move to",
                    self._w(f"deployments list --name {q(self.fn)}{self.e}"),
                    "If Cloudflare itself is down (status page), the fallback is the origin's own route (DNS)")]

    def log_stream(self, workload: str) -> str:
        return self.log_tail("10m")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        return f"# {workload} runs on Cloudflare Workers: no {action}; roll back or redeploy instead"

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [self.logs("10m", "error|exception|exceeded"), self.events(), self.resources()]
        fixes: list[tuple[str, Command | None]] = [
            ("If errors started with a deploy, roll back to the previous version", self.rollback()[1]),
            ("'exceededCpu' outcomes → the CPU limit is hit (a heavier dependency or input): roll back, then fix",
             None),
            ("Errors from a binding (KV, D1, Durable Object) or the origin → check that dependency first", None),
        ]
        return ("Worker exceptions or CPU-limit errors",
                "Exceptions or exceededCpu outcomes rising in the Workers analytics or the error tracker",
                checks, fixes)
