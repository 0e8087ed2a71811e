"""Technologies no pack covers but a profile does (`knowledge/profiles/data/*.yaml`): their own commands.

A profile is data (ports, read-only probes, logs, metrics, the restart rule, failure modes with what
not to do, dangerous verbs); this pack renders it through the platform abstraction, so every name in a
command comes from the service model (hosts, unit, StatefulSet, namespace, compose service, container)
and where the model names nothing, a guarded shell variable asks for it. It applies both where the
technology is a dependency (the path `packs/unpacked.py` used to take with one reachability check) and
where it is the service itself (a Vault cluster, a ClickHouse cluster, an HAProxy pair): then its entries
stand instead of the engine's generic ones they cover (`Failure.covers`).
"""

from __future__ import annotations

import re

from agent.knowledge import reasoning
from agent.knowledge.base import Context, Contribution
from agent.knowledge.platforms.base import Platform, cmd, q, remote_quote
from agent.knowledge.platforms.compose import Docker
from agent.knowledge.platforms.container import DockerContainer
from agent.knowledge.platforms.hosts import SystemdHosts
from agent.knowledge.platforms.kubernetes import Kubernetes
from agent.knowledge.platforms.select import component_form, platform_for
from agent.knowledge.profiles import Failure, Probe, Profile, profile_for
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Command, Component, Issue, KeyMetric, Step, Upstream
from agent.service import components
from agent.service.model import Component as ModelComponent
from agent.service.text import parse

# A command the target's shell must interpret (pipes, redirects, quotes) runs under `sh -c` in a container.
_SHELL = re.compile(r"[|;&<>$`'\"]")
# A Kubernetes Service's DNS name (`etcd-0.platform.svc`): reached through the Service, never over ssh.
_SERVICE_DNS = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$")
# Kinds of model components this pack speaks for besides the service's own workload.
_DEPENDENCY_KINDS = frozenset({"database", "cache", "session-store", "queue", "stream", "broker", "search",
                               "object-store", "pooler", "proxy", "load-balancer", "scheduler", "ha-manager",
                               "backup", "http-dependency", "other"})


def _covered_by_pack(technology: str) -> bool:
    from agent.knowledge.packs.unpacked import covered_by_pack  # late: both are packs

    return covered_by_pack(technology)


def profiled(ctx: Context) -> list[tuple[ModelComponent, Profile]]:
    """The model's components (the service's own workload included) whose technology a profile covers
    and no pack does, each with its profile."""
    # facts built by hand (tests, third-party callers) carry no model: read the description the same way
    model = ctx.model if ctx.model is not None else parse(ctx.facts.description)
    out = []
    for comp in model.components:
        if not comp.technology or (comp.kind != "service" and comp.kind not in _DEPENDENCY_KINDS):
            continue
        profile = profile_for(comp.technology)
        if profile is None or _covered_by_pack(comp.technology):
            continue
        given = ctx.facts.names.get(f"{comp.technology}.host")
        if given and comp is not model.app:  # a name the facts carry wins over the description's
            comp = comp.model_copy(update={"names": [n for n in comp.names if n.role != "host"]}, deep=True)
            comp.add_name("host", given, origin="edited")
        out.append((comp, profile))
    return out


def _at(run: str, address: str) -> str:
    """`run` with `{host}` as `address`; a shell variable goes inside double quotes (a URL stays one word)."""
    if not address.startswith("$"):
        return run.replace("{host}", address)

    def quoted(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.startswith(("'", '"')):  # already quoted: single quotes would not expand the variable
            return '"' + word[1:-1].replace("{host}", address) + '"'
        return '"' + word.replace("{host}", address) + '"'

    return re.sub(r"'[^']*\{host\}[^']*'|\"[^\"]*\{host\}[^\"]*\"|[^\s'\"|]*\{host\}[^\s'\"|]*", quoted, run)


class _Render:
    """One component's profile, in its platform's terms."""

    def __init__(self, ctx: Context, comp: ModelComponent, profile: Profile, platform: Platform | None = None) -> None:
        self.ctx, self.comp, self.profile = ctx, comp, profile
        app = ctx.model.app if ctx.model is not None else None
        self.own = comp is app or (app is None and comp.kind == "service")
        self.p: Platform = platform or (platform_for(ctx) if self.own else platform_for(ctx, comp))
        form = component_form(ctx, comp)
        self.managed = form in ("managed", "serverless")
        self.label = ctx.facts.display_name if self.own else reasoning.display(comp)
        self.name = profile.display
        # a dependency named only by its Kubernetes Service address runs in the cluster, behind that Service
        found = [m for h in comp.names_of("host") if (m := _SERVICE_DNS.match(h))]
        self.service_ref = (found[0].group(1), found[0].group(3)) if found and not self.own and not any(
            comp.name(r) for r in ("statefulset", "deployment", "daemonset")) else None

    # --- where a command runs ------------------------------------------------------------------
    @property
    def workload(self) -> str:
        return self.p.resolve(self.ctx.facts.service if self.own else (self.comp.technology or self.comp.id))

    @property
    def unit(self) -> str:
        if isinstance(self.p, SystemdHosts):
            return self.p.unit
        return self.comp.name("unit") or self.profile.logs.unit

    def _member_var(self) -> str:
        return f"HOST=\"${{HOST:?set HOST to a {self.name} member of {self.label}}}\""

    def _on_one_host(self, remote: str) -> str:
        assert isinstance(self.p, SystemdHosts)
        first = f"HOST={q(self.p.hosts[0])}" if self.p.hosts else self._member_var()
        return f"{first}\n{self.p.ssh} {remote_quote(remote)}"

    def on_member(self, run: str, scope: str) -> str | None:
        """`run` where a member runs (None where the operator has no member to run it in: managed)."""
        p = self.p
        if self.managed:
            return None
        wrapped = f"sh -c {q(run)}" if _SHELL.search(run) else run
        if self.service_ref is not None:
            svc, ns = self.service_ref
            return f"kubectl exec -n {q(ns)} svc/{q(svc)} -- {wrapped}"  # one pod behind the Service
        if isinstance(p, SystemdHosts):
            return p.on_hosts(run) if scope == "each" else self._on_one_host(run)
        if isinstance(p, Kubernetes):
            if scope == "each" and p.kind != "deployment":  # every member's own view: each pod in turn
                inner = f"kubectl exec -n {q(p.wns)} \"$POD\" -- {wrapped}"
                return (f"for POD in $(kubectl get pods -n {q(p.wns)} -l {q(p.selector)} -o name); do\n"
                        f"  echo \"== $POD\"\n  {inner}\ndone")
            return p.exec_in(p.ref, wrapped)
        if isinstance(p, (Docker, DockerContainer)):
            return p.exec_in(self.workload, wrapped)
        return None

    def from_outside(self, probe: Probe) -> str | None:
        """An HTTP probe from the operator's machine against each member's address (images without curl)."""
        p, run = self.p, probe.run
        if self.service_ref is not None and probe.port:
            svc, ns = self.service_ref
            return (f"kubectl port-forward -n {q(ns)} svc/{q(svc)} {probe.port}:{probe.port} >/dev/null &\nPF=$!\n"
                    f"sleep 2\n{_at(run, 'localhost')}\nkill \"$PF\"")
        if isinstance(p, SystemdHosts) and not self.managed:
            line = _at(run, "$HOST")
            if probe.scope == "one":
                first = f"HOST={q(p.hosts[0])}" if p.hosts else self._member_var()
                return f"{first}\n{line}"
            return f"{p.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n  {line}\ndone"
        if isinstance(p, Kubernetes) and probe.port:
            port = probe.port
            return (f"kubectl port-forward -n {q(p.wns)} {p.ref} {port}:{port} >/dev/null &\nPF=$!\nsleep 2\n"
                    f"{_at(run, 'localhost')}\nkill \"$PF\"")
        if isinstance(p, (Docker, DockerContainer)) and run.startswith("curl "):
            # the server image may have no curl: a throwaway curl container joins its network namespace
            target = (q(self.workload) if isinstance(p, DockerContainer) else f"$({p.dc} ps -q {q(p.svc)} | head -n 1)")
            return (f"CID=\"{target}\"\ndocker run --rm --network \"container:$CID\" curlimages/curl "
                    f"{_at(run.removeprefix('curl '), 'localhost')}")
        address = self.comp.name("dns_name") or self.comp.name("host")
        if address:
            return _at(run, q(address))
        return None

    def probe(self, probe: Probe) -> Command | None:
        if probe.where == "operator":
            code: str | None = probe.run
        elif probe.where == "outside":
            code = self.from_outside(probe)
        else:
            code = self.on_member(probe.run, probe.scope)
        if code is None:
            return None
        loops = self.service_ref is None and (isinstance(self.p, SystemdHosts) or (
            isinstance(self.p, Kubernetes) and self.p.kind != "deployment"))
        where = " (on each member)" if probe.scope == "each" and probe.where == "member" and loops else (
            " (each member)" if probe.scope == "each" and probe.where == "outside" and isinstance(self.p, SystemdHosts)
            else "")
        who = self.name if self.label.lower() == self.name.lower() else f"{self.name} {self.label}"
        return cmd(f"{who}: {probe.purpose[0].lower()}{probe.purpose[1:]}{where}"
                   if not self.own else f"{probe.purpose}{where}", code, probe.expect)

    def logs(self) -> Command | None:
        p, pattern = self.p, self.profile.logs.errors
        if self.managed:
            return None
        what = f"Recent {self.name} error lines of {self.label}"
        expect = "no lines, or the lines that name the failing member, disk or peer"
        if self.service_ref is not None:
            svc, ns = self.service_ref
            return cmd(what + " (a pod behind its Service)", f"kubectl logs -n {q(ns)} svc/{q(svc)} --since=30m | "
                       f"grep -E {q(pattern)} | tail -n 50", expect)
        if isinstance(p, SystemdHosts):
            return cmd(what + f" (journal of unit {self.unit})", p.on_hosts(
                f"journalctl -u {q(self.unit)} --since '30 min ago' --no-pager | grep -E {q(pattern)} | tail -n 50"),
                expect)
        if isinstance(p, Kubernetes):
            return cmd(what, f"kubectl logs {p.ref} -n {q(p.wns)} --since=30m --all-containers | "
                             f"grep -E {q(pattern)} | tail -n 50", expect)
        if isinstance(p, (Docker, DockerContainer)):
            return cmd(what, f"{p.log_stream(self.workload)} | grep -E {q(pattern)} | tail -n 50", expect)
        return None

    def restart_one(self) -> Command | None:
        """Restart one member and wait until the profile's health probe passes: the restart rule."""
        p, rule = self.p, self.profile.restart.rule
        healthy = self.profile.probe(self.profile.restart.healthy)
        warning = f"{rule}. Restart only after the checks above say why the member failed."
        if self.managed or self.service_ref is not None:  # through its owner: its workload is not in the model
            return None
        if isinstance(p, SystemdHosts):
            if healthy.where == "member":
                wait = f"until {p.ssh} {remote_quote(healthy.run + ' >/dev/null')}; do sleep 10; done"
            elif healthy.where == "outside":
                wait = f"until {_at(healthy.run, '$HOST')} >/dev/null; do sleep 10; done"
            else:
                wait = f"until {healthy.run} >/dev/null; do sleep 10; done"
            code = (f"HOST=\"${{HOST:?set HOST to the one {self.name} member to restart}}\"\n"
                    f"{p.ssh} {remote_quote(f'sudo systemctl restart {q(self.unit)}')}\n{wait}")
            return cmd(f"Restart one {self.name} member of {self.label}, then wait until it is healthy", code,
                       healthy.expect, warning)
        if isinstance(p, (Kubernetes, Docker, DockerContainer)):
            base = p.restart_workload(self.comp.technology or self.comp.id)
            return base.model_copy(update={"warning": warning})
        return None

    # --- contribution --------------------------------------------------------------------------
    def issue(self, failure: Failure) -> Issue:
        checks = [c for c in (self.probe(self.profile.probe(i)) for i in failure.checks) if c is not None]
        if failure.covers == "disk" and not self.managed:  # the platform's own view of the volume comes first
            checks.insert(0, self.p.disk_check())
        if (log := self.logs()) is not None:
            checks.append(log)
        if not checks:  # managed, nothing to run in: say where to look instead of inventing a command
            checks = [reasoning.dependency_check(self.comp)]
        fix = [Step(action=m, command=None) for m in failure.mitigation]
        # the service's own members restart through its platform (quorum-aware: platforms/quorum.py)
        restart = self.p.restart_one() if self.own else self.restart_one()
        if failure.covers == "member_down" and restart is not None:
            fix.append(Step(action="Only once the cause is fixed: restart that one member "
                                   f"({self.profile.restart.rule})", command=restart))
        fix += [Step(action=n, command=None) for n in failure.never]
        first = self.profile.probe(failure.checks[0])  # what the entry's first check says healthy is
        owner = "the service owner" if self.own else f"{self.label}'s owner (fill in)"
        return Issue(title=self.title(failure), symptoms=failure.symptom, alert=None, check=checks, fix=fix,
                     verify=f"{first.purpose}: {first.expect[0].lower()}{first.expect[1:]}, for 15 min",
                     escalate=f"Page {owner} if it is not back within 15 min")

    def signals(self) -> list[Signal]:
        """The profile's alerts, each leading to its failure entry; the probe measures it where a stack has
        no query for it (custom monitoring, a stack the profile gives none for)."""
        out = []
        for spec in self.profile.signals:
            failure = next(f for f in self.profile.failures if f.id == spec.failure)
            probe = next((c for c in (self.probe(self.profile.probe(i)) for i in failure.checks) if c is not None),
                         None)
            title = self.title(failure)
            out.append(Signal(key=spec.key, name=spec.name, measure=spec.measure,
                              threshold=Threshold(spec.value, spec.unit, spec.op), minutes=spec.minutes,
                              severity=spec.severity, response=f"Follow '{title}'.", entry=title, probe=probe))
        return out

    def failures(self) -> list[Failure]:
        """All of them for the service itself; for a dependency its main failure only (members down): the
        rest of its triage is its owner's runbook, and this one stays short."""
        if self.own:
            return list(self.profile.failures)
        return [next((f for f in self.profile.failures if f.covers == "member_down"), self.profile.failures[0])]

    def reachability(self) -> Issue:
        f = self.ctx.facts
        own = "; ".join(f"'{self.title(x)}'" for x in self.failures())
        if components.fronts(self.ctx.model, self.comp):
            return self._fronting_issue(own)
        check = reasoning.dependency_check(self.comp).model_copy(
            update={"purpose": f"Is {self.label} reachable from {f.display_name}",
                    "expect": f"{self.label} answers; if not, the outage is {self.label}'s, not {f.display_name}'s"})
        return Issue(
            title=f"{self.label}: slow or unreachable", symptoms=f"Errors or timeouts naming {self.label} in "
            f"{f.display_name}'s logs", alert=None, check=[check],
            fix=[Step(action=f"If {self.label} is down, restarting {f.display_name} does not bring it back: work on "
                             f"{self.label} with its own entries ({own}) or its owner", command=None),
                 Step(action=f"If only {f.display_name} cannot reach it, check the network path and credentials "
                             f"on the port it uses ({', '.join(str(p.port) for p in self.profile.ports[:2])} by "
                             "default)", command=None)],
            verify=f"{self.label} answers the check above and {f.display_name}'s errors naming it stop for 15 min",
            escalate=f"Page {self.label}'s owner (fill in) if it is still unreachable after 15 min")

    def _fronting_issue(self, own: str) -> Issue:
        """A proxy in front of the service: clients reach the service through it (it calls the service,
        the service never calls it), so the check is whether it answers and sees its backends."""
        f = self.ctx.facts
        check = reasoning.dependency_check(self.comp).model_copy(
            update={"purpose": f"Does {self.label} (in front of {f.display_name}) answer",
                    "expect": f"{self.label} answers; if not, clients cannot reach {f.display_name} even when "
                              f"{f.display_name} is healthy"})
        return Issue(
            title=f"{self.label} in front of {f.display_name}: down or not passing traffic",
            symptoms=f"Clients get connection errors or 5xx from {self.label} while {f.display_name} itself "
                     "looks healthy", alert=None, check=[check],
            fix=[Step(action=f"If {self.label} is down, restarting {f.display_name} does not help: work on "
                             f"{self.label} with its own entries ({own}) or its owner", command=None),
                 Step(action=f"If {self.label} answers but marks {f.display_name}'s backends down, the fault is "
                             f"{f.display_name}'s health check: follow its own entries", command=None)],
            verify=f"{self.label} answers and shows {f.display_name}'s backends up for 15 min",
            escalate=f"Page {self.label}'s owner (fill in) if it still does not pass traffic after 15 min")

    def title(self, failure: Failure) -> str:
        return f"{self.name}: {failure.title}" if self.own else f"{self.label}: {failure.title}"

    def contribute(self) -> Contribution:
        part = Contribution()
        prof, f = self.profile, self.ctx.facts
        ports = ", ".join(f"{p.port} {p.what}" for p in prof.ports)
        metric_names = ", ".join(m.name for m in prof.metrics.names)
        origin = "names as documented" if prof.metrics.origin == "documented" else \
            "names assumed: they depend on the exporter, check yours"
        if not self.own:
            # a dependency runs where the description says, not on the service's own hosts
            named = [f"{n.role.replace('_', ' ')} {n.value}" for n in self.comp.names
                     if n.role not in ("host", "port", "url", "health_path")][:3]
            where = ", ".join(self.comp.names_of("host")) or (
                self.p.location() if self.comp.form in ("cluster-workload", "container") else "; ".join(
                    [*named, "hosts: fill in (the description names none)"]))
            part.components.append(Component(
                name=self.label, technology=prof.display, version=self.comp.version or "fill in", location=where,
                purpose=self.comp.purpose or f"Used by {f.display_name} (fill in with the team)"))
            part.upstream.append(Upstream(
                service=self.label, purpose=self.comp.purpose or "Named in the description", criticality="High",
                fallback=f"Fill in with the team: what {f.display_name} does while {self.label} is down"))
        part.prerequisites.append(f"{prof.display} ({self.label}): {', '.join(prof.tools)}; well-known ports {ports}"
                                  + (f"; environment: {'; '.join(prof.env)}" if prof.env else ""))
        part.prerequisites.append(f"{prof.display} metrics: {prof.metrics.exporter} ({origin}): {metric_names}")
        if not self.own:  # first question about a dependency: does the service reach it at all
            part.issues.append(self.reachability())
        for failure in self.failures():
            issue = self.issue(failure)
            part.issues.append(issue)
            if self.own and failure.covers:
                part.covers[issue.title] = failure.covers
        if self.own:
            first = [c for c in (self.probe(p) for p in prof.probes[:3]) if c is not None]
            part.cheatsheet.extend(first)
            for signal in self.signals():
                part.signals.append(signal)
                spec = next(x for x in prof.signals if x.key == signal.key)
                normal = (f"{signal.measure} at least {spec.value:g}" if spec.op == "<" else
                          f"{signal.measure} at most {spec.value:g}{spec.unit}")
                part.key_metrics.append(KeyMetric(
                    metric=signal.name, normal_range=normal, alert_threshold=signal.condition, dashboard=(
                        prof.metrics.exporter.split(" (")[0] if spec.queries else
                        f"the check under '{signal.entry}'")))
        # said in words, not as inline code: a verb named here is a warning, not a command to run
        danger = "; ".join(f"{d.verb} ({d.why})" for d in prof.dangerous)
        part.deploy_caveats.append(f"{prof.display} {self.label}: {prof.restart.rule}. Never as a first response: "
                                   f"{danger}")
        return part


def render(ctx: Context, comp: ModelComponent, profile: Profile) -> Contribution:
    return _Render(ctx, comp, profile).contribute()


def profile_of(ctx: Context, comp: ModelComponent | None) -> Profile | None:
    """The profile that speaks for `comp` (the service's own workload when None), if one does."""
    if comp is None:
        comp = ctx.model.app if ctx.model is not None else None
    if comp is None or not comp.technology or _covered_by_pack(comp.technology):
        return None
    return profile_for(comp.technology)


def profiled_health(platform: Platform) -> Command | None:
    """The health check of a workload whose technology a profile covers: its own healthy probe, where the
    platform runs it (a Vault member's `vault status`, not an HTTP app's /health on port 8080)."""
    ctx = platform.ctx
    if ctx.model is None:
        return None
    comp = platform.component or ctx.model.app
    profile = profile_of(ctx, comp)
    if comp is None or profile is None:
        return None
    return _Render(ctx, comp, profile, platform).probe(profile.probe(profile.restart.healthy))


class ProfiledPack:
    name = "profiled"
    summary = ("Technologies with a profile (knowledge/profiles/data) and no pack: their status commands, logs, "
               "metrics, restart rule, failure modes")
    order = 94
    examples = ("The stats API queries ClickHouse on ch-main.internal:9000 for its dashboards",
                "edge-lb is our HAProxy pair on two VMs in front of the web servers")
    negatives = ("Orders API stores orders in PostgreSQL 15 on a VM", "Caches responses in Redis")

    def detect(self, ctx: Context) -> str | None:
        found = profiled(ctx)
        if not found:
            return None
        return "the service uses " + ", ".join(f"{p.display} ({c.id})" for c, p in found) + \
            ", which a technology profile covers"

    def contribute(self, ctx: Context) -> Contribution:
        total = Contribution()
        for comp, profile in profiled(ctx):
            part = render(ctx, comp, profile)
            for name in total.__dataclass_fields__:
                if name == "covers":
                    total.covers.update(part.covers)
                else:
                    getattr(total, name).extend(getattr(part, name))
        return total


PACK = ProfiledPack()
