"""The offline engine: a deterministic runbook writer built on operational knowledge.

No network, no key. It writes from the service model (`request.service`, laid out as `Facts` by the
temporary bridge `knowledge.facts.facts_from_model`), picks the
environment's tools (`knowledge.environments`), the monitoring stack's query language
(`knowledge.monitoring`), service levels and escalation (`knowledge.policy`), the service type's
baseline (`knowledge.service_types`) and merges what every applicable technology pack contributes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from agent.errors import ModelError
from agent.knowledge import failures, given_alerts, reasoning, repository_alerts, store_roles, team_commands
from agent.knowledge.applies import fits, operated, read_only_switch, shape_of
from agent.knowledge.base import Context, Contribution, Facts, Pack
from agent.knowledge.covers import covers
from agent.knowledge.environments import (
    ECS,
    Kubernetes,
    Platform,
    Serverless,
    SystemdHosts,
    cmd,
    engine_unit,
    platform_for,
    q,
)
from agent.knowledge.facts import facts_from_model, record_assumptions
from agent.knowledge.monitoring import Custom, Stack, defaults_note, render, stacks_for
from agent.knowledge.monitoring import alert as alert_row
from agent.knowledge.names import guard
from agent.knowledge.platforms import stops
from agent.knowledge.platforms.products import Managed
from agent.knowledge.platforms.scope import scope as cloud_scope
from agent.knowledge.platforms.scope import scopes_of
from agent.knowledge.policy import escalate_line, escalation, fmt_minutes, objectives, oncall_summary
from agent.knowledge.profiles import serves_http as profile_serves_http
from agent.knowledge.reasoning import Guard
from agent.knowledge.repository_facts import overlay
from agent.knowledge.scope import gate, left_out, scope
from agent.knowledge.service_types import (
    CRASH,
    Engine,
    alert_baseline,
    business_impact,
    downstream,
    engine_of,
    purpose,
    streaming,
    unknown_engine,
)
from agent.knowledge.signals import Signal, Threshold
from agent.models.base import GenerationRequest, GenerationResult, Model, Progress
from agent.runbook import (
    SECTIONS,
    SLO,
    Alert,
    Appendix,
    Architecture,
    Backup,
    Command,
    Component,
    Configuration,
    Contacts,
    Dashboard,
    DataCorruption,
    Dependencies,
    Deployment,
    DisasterRecovery,
    Downstream,
    Emergency,
    Escalation,
    EscalationLevel,
    Header,
    Issue,
    KeyMetric,
    Link,
    Maintenance,
    Monitoring,
    Person,
    Procedure,
    Revision,
    Runbook,
    ServiceDown,
    ServiceOverview,
    Setting,
    Step,
    Troubleshooting,
    Upstream,
    Vendor,
    alert_entries,
    iter_commands,
)
from agent.service.model import ServiceModel
from agent.service.vocabulary import vocabulary


def detect_packs(ctx: Context) -> list[tuple[Pack, str]]:
    """The technology packs that apply (empty while the packs package is absent)."""
    try:
        from agent.knowledge.packs import detect_packs as detect
    except ImportError as exc:  # only a missing packs package is tolerated, not a broken pack
        if getattr(exc, "name", None) in (None, "agent.knowledge.packs"):
            return []
        raise
    return detect(ctx)


# The engine's entries by what they cover (the keys of knowledge/covers.py): a pack entry with the same
# key stands instead. The crash entry's title depends on the platform, its key does not. Alerts merge by
# signal key (`Signal.covers`).
_ISSUE_KEY = {"Queue backlog growing": "queue_backlog", "Replication lag": "replication_lag",
              "Connection saturation": "connections", "Disk filling up": "disk",
              "Pipeline run failed": "pipeline_failed", "Pipeline late or missed its schedule": "pipeline_late",
              "Jobs failing": "job_failures"}
# An "other" service the answer describes as one of these serves no HTTP requests of its own.
_NOT_REQUESTS = re.compile(r"\b(?:broker|queue|database|cache|stream\w*|batch|cron|job|scheduler|consumer)\b", re.I)
# Stack queries that measure requests (HTTP metrics, APM transactions, browser errors).
_REQUEST_QUERY = re.compile(r"http_requests?_|@duration:|FROM Transaction|JavaScriptError|@type:error", re.I)
DISK_ENTRY = "Disk filling up"


# What a URL from the description is, by its host: (pattern, label, monitoring stack it serves).
_URL_KINDS = (
    (r"grafana", "Grafana dashboard (from the description)", "prometheus"),
    (r"prometheus|alertmanager", "Prometheus/Alertmanager (from the description)", "prometheus"),
    (r"datadoghq|datadog", "Datadog dashboard (from the description)", "datadog"),
    (r"newrelic|one\.nr", "New Relic (from the description)", "newrelic"),
    (r"console\.aws\.amazon\.com/cloudwatch", "CloudWatch dashboard (from the description)", "cloudwatch"),
    (r"kibana|/app/discover|opensearch", "Logs (Kibana/OpenSearch, from the description)", "logs"),
    (r"statuspage|status\.", "Status page (from the description)", "status"),
    (r"confluence|wiki|notion|docs\.", "Documentation (from the description)", "docs"),
    (r"dashboard", "Dashboard (from the description)", "dashboard"),
)

# Units and comparisons of baseline signal keys, for a troubleshooting check of a signal the baseline
# does not alert on.
_KIND_UNITS: dict[str, tuple[str, Literal[">", "<"]]] = {
    "error_rate": ("%", ">"), "latency": ("ms", ">"), "cpu": ("%", ">"), "memory": ("%", ">"), "disk": ("%", ">"),
    "connections": ("%", ">"), "replication_lag": ("s", ">"), "pipeline_late": ("min", ">"),
    "cert_expiry": ("days", "<"), "job_failures": ("%", ">"), "no_progress": ("", "<"), "down": ("", "<")}


def _baseline_scope(facts: Facts) -> tuple[tuple[str, ...], dict[str, str]]:
    """What the baseline's queries are scoped by: the protocol, the database engine and the broker the
    service model names (as catalogue tags), and their names (as template labels)."""
    names = facts.names
    tags: list[str] = []
    if names.get("protocol") == "grpc":
        tags.append("grpc")
    if names.get("db.engine") == "mysql":
        tags.append("mysql")
    if "rds.instance" in names:
        tags.append("rds")
    broker = ("kafka" if "kafka.group" in names or "kafka.topic" in names else "sqs" if "sqs.queue" in names
              else "rabbitmq" if "rabbitmq.queue" in names else None)
    if broker:
        tags.append(broker)
    queue = names.get("sqs.queue") or names.get("rabbitmq.queue") or names.get("queue", facts.service)
    labels = {"group": names.get("kafka.group", facts.service), "queue": queue, "queue_lower": queue.lower(),
              "instance": names.get("db.instance", names.get("rds.instance", facts.service)),
              "snake": re.sub(r"[^a-z0-9]+", "_", facts.service.lower()).strip("_") or "app"}
    return tuple(tags), labels


# what a vendor the model names is to the service, when it is a tool rather than a support contract
_TOOL_VENDOR = frozenset({"pager", "monitoring", "API", ""})


def _given_objectives(model: ServiceModel, dash: str) -> list[KeyMetric]:
    """The objectives the team states beyond availability and one latency (a freshness or delivery target:
    "99.5% of settlements reconciled within 2 minutes end-to-end"), first among the key metrics, in their
    words: the SLO lines have no place for them."""
    out = []
    for fig in model.figures:
        if fig.key == "throughput" and fig.origin != "assumed":  # a planning figure: its clause, as given
            number = re.escape(fig.value.rstrip("k"))
            clause = next((part.strip() for part in re.split(r"[,;()]|\.\s", fig.evidence)
                           if re.search(rf"(?<![\d.]){number}", part)), f"{fig.value} {fig.unit}")
            per = {"per-second": "/s", "per-minute": "/min"}.get(fig.unit, f" {fig.unit}")
            out.append(KeyMetric(metric="Rate (as the team states it)", normal_range=clause.rstrip(". "),
                                 alert_threshold=f"no alert given for it ({fig.value}{per})", dashboard=dash))
            continue
        if fig.key != "freshness" or fig.origin == "assumed" or fig.number() is None:
            continue
        said = fig.qualifier or fig.evidence
        out.append(KeyMetric(metric=f"Objective (as the team states it): {said}",
                             normal_range=f"within {fmt_minutes(fig.number() or 0)}",
                             alert_threshold=f"> {fig.value} min behind the objective", dashboard=dash))
    return out


def _given_vendors(vendors: list[Vendor], model: ServiceModel) -> list[Vendor]:
    """The vendor table with the support contacts the description gives: "AWS Enterprise Support for anything
    MSK-side", "Aiven support for DB", a partner's desk and account manager; "no vendor support" said so."""
    out = list(vendors)
    for person in model.people_of("vendor"):
        if person.origin == "assumed" or person.qualifier in _TOOL_VENDOR:
            continue
        if person.value == "none":  # and no support plan to fill in for the cloud either
            out = [v for v in out if "fill in support plan" not in v.support_contact]
            out.append(Vendor(vendor="None", purpose="No vendor support (as the description states)",
                              support_contact="Escalate inside the team (see the escalation table)", account="n/a"))
            continue
        purpose = re.search(r"(?i)\bfor\s+([^,;]+)", person.qualifier)
        known = next((i for i, v in enumerate(out) if v.vendor.lower() == person.value.lower() or
                      v.vendor.lower().startswith(person.value.lower() + " ")), None)
        row = Vendor(vendor=person.value, purpose=purpose.group(1).strip() if purpose else (
            out[known].purpose if known is not None else "Support"), support_contact=person.qualifier,
            account=out[known].account if known is not None else "fill in")
        if known is None:
            out.append(row)
        else:
            out[known] = row
    return out


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


class _Writer:
    """Builds one runbook; each public method returns one section."""

    def __init__(self, request: GenerationRequest) -> None:
        self.request = request
        answers = request.answers
        facts = facts_from_model(request.service, request.description)
        self.rules = list(request.service.alerts)
        self.given_rows: set[str] = set()  # engine alerts that took the name of an alert the team has
        if any(n.origin == "repository" for _, n in request.service.all_names()):
            overlay(facts, request.service)  # the repository's names win (temporary bridge, see repository_facts)
        self.defaults: list[str] = []
        if answers.environment == "kubernetes" and not facts.namespace:
            # Packs and the engine share one namespace; the default is shown as an assumption.
            facts.namespace = "production"
            facts.assume("namespace", "production", "the description names no Kubernetes namespace")
            self.defaults.append("Kubernetes namespace 'production' (the description names none)")
        self.facts: Facts = facts
        self.ctx = Context(answers, facts)
        self.type = answers.service_type
        if self.type not in ("web", "api", "pipeline", "worker", "database", "other"):
            self.defaults.append(f"service type '{self.type}' is not one the offline engine knows: treated as "
                                 "'other' (a request-serving service)")
            self.type = "other"
        type_answer = answers.get("type")
        self.type_detail = type_answer.free_text if type_answer and "other" in type_answer.values else None
        self.env = answers.environment
        self.crit = answers.criticality
        if self.crit not in ("critical", "high", "medium", "low"):
            nearest = next((level for word, level in (("crit", "critical"), ("high", "high"), ("med", "medium"),
                                                      ("low", "low")) if word in self.crit), "high")
            self.defaults.append(f"criticality '{self.crit}' is not one the offline engine knows: treated as "
                                 f"'{nearest}'")
            self.crit = nearest
        if answers.oncall not in ("24x7", "business-hours", "follow-the-sun", "none"):
            self.defaults.append(f"on-call '{answers.oncall}' is not one the offline engine knows: escalation is "
                                 "written as best effort")
        self.oncall = answers.oncall
        self.p: Platform = platform_for(self.ctx)
        if self.p.form == "managed":  # a provider's runtime (MWAA) won over the environment answer: no pods
            self.env = self.p.key
        self._platform_defaults()
        # what the model's relationships and settings change in the generic steps (restart, scale)
        self.guard = Guard(request.service, request.description)
        self.guard.learn_restarts(self.p.restart_one(), self.p.restart_all())
        self.stacks: list[Stack] = stacks_for(self.p)
        self.stack = self.stacks[0]
        self.custom = Custom(self.p)
        self.obj = objectives(self.crit, self.type, facts)
        self.levels = self.obj.levels
        backlog = facts.names.get("backlog.max")
        self.backlog = int(backlog) if backlog and backlog.isdigit() else None
        host = re.match(r"https://([^/:]+)", facts.url or "")
        self.https_host = host.group(1) if host else None
        self.tags, self.labels = _baseline_scope(facts)
        given = frozenset(k for k, v in (("error_rate", facts.error_rate_pct), ("latency", facts.latency_p95_ms),
                                         ("availability", facts.availability_pct)) if v is not None)
        self.engine: Engine | None = None
        if self.type == "database":  # the product a database service runs: its own words, never another's
            app = request.service.app
            technology = app.technology if app is not None else ""
            if isinstance(self.p, Managed):  # the product's engine, never the runtime word the parser saw
                technology = self.p.identified.component.technology or technology
            self.engine = engine_of(technology, facts.description) or unknown_engine(technology)
        is_engine = self.type == "database" or engine_unit(self.ctx) is not None  # the service is a data engine
        if is_engine:
            self.tags += ("engine",)
        # what the service is decides which baseline applies: a broker serves no HTTP, a stream job has no runs
        app = request.service.app
        known = vocabulary().technologies.get(app.technology) if app is not None else None
        # a technology profile (knowledge/profiles) says the service's own technology serves no HTTP app
        self.profiled = app is not None and profile_serves_http(app.technology) is False
        # what the model says the service is decides which contributions apply (agent.knowledge.applies)
        self.shape = shape_of(
            request.service, self.type, technology_kind=known.kind if known is not None else "",
            hosts=isinstance(self.p, SystemdHosts), own_disk=self.owns_disk, schedule=facts.names.get("schedule"),
            http=False if self.profiled or (self.type == "other" and (
                is_engine or _NOT_REQUESTS.search(self.type_detail or ""))) else None,
            said_continuous=streaming(facts.description), on_call=self.oncall != "none",
            own_data=store_roles.stateful(request.service, request.description),
            operates=operated(request.service, self.type, request.description), names=facts.names)
        self.notes: list[str] = [*(f"applies: {why}" for why in self.shape.why), *left_out(self.shape)]
        self.packs = detect_packs(self.ctx)
        self.c = Contribution()
        self.issue_key: dict[str, str] = {}  # key -> the first pack entry covering it (merge by key, not title)
        self.parts: dict[str, Contribution] = {}  # by pack name: the team's failure modes reuse its checks
        for pack, reason in self.packs:
            # only the parts whose needs the shape meets (agent/knowledge/data/applies.yaml), each left out with why
            part, dropped = scope(pack.name, pack.contribute(self.ctx), self.shape)
            self.parts[pack.name] = part
            self.notes += dropped
            for name in Contribution.__dataclass_fields__:
                if name != "covers":
                    getattr(self.c, name).extend(getattr(part, name))
            keys = covers(pack.name, part.covers)
            for issue in part.issues:
                if issue.title in keys:
                    self.issue_key.setdefault(keys[issue.title], issue.title)
            self.notes.append(f"pack {pack.name}: {reason}")
        for key, value in self.c.assumed:
            facts.assume(key, value, "a default: the description does not give it")
        self.http = "http" in self.shape
        if not self.http:  # stacks skip request metrics (APM traces, transactions) for it
            self.tags += ("nohttp",)
        self.continuous = self.type == "pipeline" and "stream" in self.shape
        self.alert_specs: list[Signal] = alert_baseline(
            self.type, self.env, self.levels, self.crit, facts.names.get("schedule"), self.backlog, self.https_host,
            facts.names.get("deadline"), facts.names.get("latency.quantile", "95"), given=given, tags=self.tags,
            labels=self.labels, figures=facts, engine=self.engine, shape=self.shape)
        # a pack's signal declares its needs the same way: one the service cannot have is dropped
        self.c.signals = [s for s in self.c.signals if fits(s.requires, self.shape)]
        # the disk alert leads to the disk entry (written for every service that owns a disk)
        self.alert_specs = [dataclasses.replace(a, entry=DISK_ENTRY) if a.key == "disk" and a.entry is None else a
                            for a in self.alert_specs]
        self._given_alerts()
        quantile = facts.names.get("latency.quantile")
        if quantile and facts.latency_p95_ms:
            self.defaults.append(f"The description's p{quantile} target ({facts.latency_p95_ms:g} ms) is used as "
                                 "the runbook's latency SLO (the p95 field)")
        self._alerts: list[Alert] | None = None
        self._engine_alerts: set[str] = set()
        self._renamed: dict[str, str] = {}  # engine alert -> its row name once marked as a suggestion
        self._answered: dict[str, str] = {}  # described alert -> the existing entry that answers it
        self._query_of: dict[str, Command] = {}  # baseline signal key -> the query its alert shows
        team = failures.contribute(self.ctx, self.parts, self.alert_specs, self.escalate_text())
        self.c.issues += team.contribution.issues  # the team's failure modes, keyed like a pack's entries
        self.c.deploy_caveats += team.contribution.deploy_caveats
        self.issue_key.update({key: title for title, key in team.keys.items()})

    def _given_alerts(self) -> None:
        """The alerts the description says the team has: each one a signal measures takes that signal's place
        (the team's name, threshold and duration, the stack's query); the others stay rules of their own."""
        described = [r for r in self.rules if r.source_format == "description"]
        if not described:
            return
        covered = {key for signal in self.c.signals for key in signal.covers}
        open_specs = [s for s in self.alert_specs if s.key not in covered]
        # an alert that names one of the team's failures is about that failure, not a generic measure: only
        # a pack's signal (of the technology) may take it
        model = self.request.service
        told = [f.title or failures.title_words(f) for f in (model.failures if model is not None else [])
                if f.kind == "failure"]
        names = repository_alerts.name_words(model)
        specific = {r.name for r in described if any(repository_alerts.names_failure(r.name, t, names) for t in told)}
        (specs, packs), renamed, left = given_alerts.apply(described, [open_specs, self.c.signals], specific)
        self.alert_specs = [next((n for o, n in zip(open_specs, specs, strict=True) if o is s), s)
                            for s in self.alert_specs]
        self.c.signals[:] = packs
        self.c.issues[:] = [i.model_copy(update={"alert": renamed[i.alert]}) if i.alert in renamed else i
                            for i in self.c.issues]
        self.given_rows = set(renamed.values())
        self.rules = [r for r in self.rules if r.source_format != "description"] + left
        if renamed:
            self.notes.append(f"{len(renamed)} alerts from the description on the signals that measure them: "
                              + ", ".join(sorted(renamed.values())))

    def _platform_defaults(self) -> None:
        """Names the platform settled on that the model does not give, as assumptions (recorded in the
        model only when the runbook's commands use them)."""
        f, p = self.facts, self.p
        if f.region is None:
            f.assume("region", p.region, f"the description names no {p.cloud.upper()} region")
        api = p.health_api
        if f.port is None:
            f.assume("port", str(p.port), f"{api.technology}'s own API port (the description names none)"
                     if api is not None else "the description names no port")
        if f.health_path is None and api is not None:
            f.assume("health_path", p.health, f"{api.technology}'s own health API (the description names none)")
        elif f.health_path is None and p.health_unknown:
            self.defaults.append("HEALTH_URL: the description names no health endpoint; the health checks ask for "
                                 "it (${HEALTH_URL:?…}) instead of calling a guessed /health")
        elif f.health_path is None:
            f.assume("health_path", p.health, "the description names no health endpoint")
        resolved = {"k8s.deployment": getattr(p, "workload", None) if getattr(p, "kind", "") == "deployment" else None,
                    "k8s.statefulset": getattr(p, "workload", None) if getattr(p, "kind", "") == "statefulset"
                    else None,
                    "compose.file": getattr(p, "file", None), "compose.service": getattr(p, "svc", None),
                    "systemd.unit": getattr(p, "unit", None), "lambda.function": getattr(p, "fn", None),
                    "lambda.alias": getattr(p, "alias", None), "ecs.cluster": getattr(p, "cluster", None)
                    if isinstance(p, ECS) else None, "ecs.service": getattr(p, "service", None)
                    if isinstance(p, ECS) else None}
        for key, value in resolved.items():
            if isinstance(value, str) and value and key not in f.names:
                f.assume(key, value, f"{p.label}: the description names none")

    @property
    def owns_disk(self) -> bool:
        """Whether the service has a disk of its own to fill: hosts and containers on a host, a
        StatefulSet's volumes; not functions, ECS tasks or a Kubernetes Deployment's pods."""
        if isinstance(self.p, (Serverless, ECS)):
            return False
        if isinstance(self.p, Kubernetes):
            return getattr(self.p, "kind", "") == "statefulset"
        return True

    # --- helpers -------------------------------------------------------------------------------
    def check_query(self, kind: str, threshold: float) -> Command | None:
        """The query an entry checks first: the very query its alert shows (same threshold and window,
        so it is shown once and linked), else the signal's query at `threshold`."""
        self.alerts()
        return self._query_of.get(kind) or self.query(kind, threshold)

    def query(self, kind: str, threshold: float) -> Command | None:
        """The query for a baseline signal `kind` at `threshold` (a troubleshooting entry's first check)."""
        signal = next((a for a in self.alert_specs if a.key == kind), None)
        if signal is None:
            unit, op = _KIND_UNITS.get(kind, ("", ">"))
            signal = Signal(key=kind, name=kind, measure=kind, threshold=Threshold(threshold, unit, op), minutes=5,
                            severity="Warning", response="", tags=self.tags, labels=self.labels)
        else:
            signal = signal.with_threshold(Threshold(threshold, signal.threshold.unit, signal.threshold.op,
                                                     signal.threshold.origin))
        return render(signal, self.stacks, self.custom)

    def held(self, key: str, fallback: str, of: str = "") -> str:
        """A key metric's alert threshold, from the baseline signal that alerts on it (the user's figure
        when they gave one)."""
        signal = next((a for a in self.alert_specs if a.key == key), None)
        if signal is not None and not signal.minutes and not signal.assumed:  # the team's, with no duration
            return f"{signal.threshold.text()}{of}"
        if signal is None or not signal.minutes:
            return fallback
        return f"{signal.threshold.text()}{of} for {signal.minutes:g} min"

    def _given_threshold(self, metric: KeyMetric) -> KeyMetric:
        """A pack's key metric with the team's threshold when one of the team's alerts took the signal that
        measures it ("SQS age of oldest message": "> 300 s", not the pack's "> 600 s for 5 min")."""
        for signal in self.c.signals:
            if signal.name in self.given_rows and signal.measure and \
                    signal.measure.lower() in metric.metric.lower():
                return metric.model_copy(update={"alert_threshold": signal.condition[len(signal.measure):].strip()})
        return metric

    def given_held(self, key: str, fallback: str) -> str:
        """`held` when the team gave the alert's threshold (its own alert or figure), else `fallback`."""
        signal = next((a for a in self.alert_specs if a.key == key), None)
        return self.held(key, fallback) if signal is not None and not signal.assumed else fallback

    @property
    def svc(self) -> str:
        return self.facts.service

    def urls(self) -> list[tuple[str, str]]:
        """(kind, url) for every URL in the description, kind from the host ("Grafana dashboard", …)."""
        found = [self.facts.url] if self.facts.url else []
        found += [self.facts.names[k] for k in sorted(self.facts.names) if k.startswith("url.")]
        return [(next((label for pattern, label, _ in _URL_KINDS if re.search(pattern, url, re.I)),
                      "Link from the description"), url) for url in found]

    def dashboard_ref(self) -> str:
        stack_words = {s.key for s in self.stacks}
        for kind, url in self.urls():
            stack = next((key for pattern, label, key in _URL_KINDS if label == kind), None)
            if stack in stack_words or (stack == "dashboard" and kind != "Link from the description"):
                return url
        return self.stack.dashboards()[0][0] + " (fill in link)"

    def escalate_text(self) -> str:
        return escalate_line(escalation(self.oncall, self.crit, self.facts))  # a team's condition kept

    def verify_text(self, what: str, window: int = 15) -> str:
        return f"{what} for {window} min ({self.stack.label} dashboard)"

    # --- header --------------------------------------------------------------------------------
    def header(self) -> Header:
        r = self.request
        return Header(
            service_name=self.facts.display_name, version="1.0", last_updated=r.now.strftime("%Y-%m-%d %H:%M"),
            authors=list(r.authors), owner=self.facts.team or "fill in: owning team",
            criticality=self.crit.capitalize(),
            on_call=oncall_summary(self.oncall, self.facts))

    # --- 1 -------------------------------------------------------------------------------------
    def service_overview(self) -> ServiceOverview:
        lv = self.levels
        slo = SLO(availability_target_pct=lv.availability_pct, allowed_downtime_minutes_per_month=lv.downtime_minutes,
                  latency_p95_ms=lv.latency_p95_ms, error_rate_pct=lv.error_rate_pct)
        dash = self.dashboard_ref()
        err_page = round(max(1.0, lv.error_rate_pct * 5), 2)
        metrics: list[KeyMetric] = []
        if self.type in ("web", "api", "other") and self.http:
            metrics += [
                KeyMetric(metric="Error rate (5xx %)", normal_range=f"< {lv.error_rate_pct:g}%",  # the team's alert
                          alert_threshold=self.given_held("error_rate", f"> {err_page:g}% for 5 min"), dashboard=dash),
                KeyMetric(metric="Latency p95", normal_range=f"< {lv.latency_p95_ms:g} ms",
                          alert_threshold=self.given_held("latency", f"> {lv.latency_p95_ms:g} ms for 10 min"),
                          dashboard=dash),
                KeyMetric(metric="Request rate", normal_range="fill in after one week of baseline",
                          alert_threshold="< 50% or > 200% of the same hour last week for 15 min", dashboard=dash),
            ]
        elif self.type == "worker":
            metrics += [
                KeyMetric(metric="Queue depth / consumer lag", normal_range="drains to near 0 between bursts",
                          alert_threshold=self.held("queue_backlog", f"> {self.backlog or 1000} messages for 15 min"),
                          dashboard=dash),
                KeyMetric(metric="Job failure rate", normal_range="< 1%",
                          alert_threshold=self.held("job_failures", "> 5% for 10 min"),
                          dashboard=dash),
                KeyMetric(metric="Job processing time p95", normal_range=f"< {lv.latency_p95_ms:g} ms",
                          alert_threshold=f"> {lv.latency_p95_ms * 2:g} ms for 15 min", dashboard=dash),
            ]
        elif self.type == "pipeline" and self.continuous:
            metrics += [
                KeyMetric(metric="Lag behind the source (events or seconds)", normal_range="near 0, drains after "
                          "bursts", alert_threshold=f"> {self.backlog or 1000} events for 15 min", dashboard=dash),
                KeyMetric(metric="Events processed per second", normal_range="fill in after a week of baseline",
                          alert_threshold="< 50% of the same hour last week for 15 min", dashboard=dash),
                KeyMetric(metric="Processing errors", normal_range="< 1% of events", alert_threshold="> 5% for 10 min",
                          dashboard=dash),
            ]
        elif self.type == "pipeline":
            metrics += [
                KeyMetric(metric="Run duration", normal_range=f"< {fmt_minutes(lv.latency_p95_ms / 60000)}",
                          alert_threshold=f"> {fmt_minutes(2 * lv.latency_p95_ms / 60000)} (2× normal)",
                          dashboard=dash),
                KeyMetric(metric="Time since last successful run", normal_range="within one schedule interval",
                          alert_threshold=next((a.condition for a in self.alert_specs if a.key == "pipeline_late"),
                                          "no successful run for 2 intervals"),
                          dashboard=dash),
                KeyMetric(metric="Records processed per run", normal_range="fill in after a week of runs",
                          alert_threshold="< 50% of the 7-day average (1 run)", dashboard=dash),
            ]
        elif self.type == "database" and self.engine is not None and not self.engine.relational:
            metrics += [
                KeyMetric(metric=f"{self.engine.display} members healthy", normal_range="all members up and in "
                          "the cluster", alert_threshold="any member missing for 5 min", dashboard=dash),
                KeyMetric(metric="Request latency p95", normal_range=f"< {lv.latency_p95_ms:g} ms",
                          alert_threshold=f"> {lv.latency_p95_ms * 4:g} ms for 10 min", dashboard=dash),
                KeyMetric(metric="Data volume used", normal_range="< 70%", alert_threshold="> 80% for 10 min",
                          dashboard=dash),
            ]
        elif self.type == "database":
            metrics += [
                KeyMetric(metric="Replication lag", normal_range="< 1 s",
                          alert_threshold=self.held("replication_lag", "> 30 s for 5 min"),
                          dashboard=dash),
                KeyMetric(metric="Connections used", normal_range="< 60% of max_connections",
                          alert_threshold=self.held("connections", "> 80% for 5 min"), dashboard=dash),
                KeyMetric(metric="Query latency p95", normal_range=f"< {lv.latency_p95_ms:g} ms",
                          alert_threshold=f"> {lv.latency_p95_ms * 4:g} ms for 10 min", dashboard=dash),
                KeyMetric(metric="Data volume used", normal_range="< 70%",
                          alert_threshold=self.held("disk", "> 80% for 10 min"),
                          dashboard=dash),
            ]
        if self.type == "other" and not self.http and not metrics:
            metrics.append(KeyMetric(metric="Healthy instances", normal_range="all instances up",
                                     alert_threshold="0 healthy for 2 min", dashboard=dash))
        if self.env != "serverless":
            metrics += [
                KeyMetric(metric="CPU usage", normal_range="20-60% of limit",
                          alert_threshold=self.held("cpu", "> 80% for 10 min"),
                          dashboard=dash),
                KeyMetric(metric="Memory usage", normal_range="< 70% of limit",
                          alert_threshold=self.held("memory", "> 90% of limit for 5 min", " of limit"),
                          dashboard=dash),
            ]
        else:
            metrics.append(KeyMetric(metric="Throttled invocations", normal_range="0",
                                     alert_threshold="> 0 for 5 min", dashboard=dash))
        if self.facts.replicas:
            metrics.append(KeyMetric(metric="Healthy replicas", normal_range=f"{self.facts.replicas} of "
                                     f"{self.facts.replicas}", alert_threshold="0 healthy for 2 min", dashboard=dash))
        metrics += [self._given_threshold(m) for m in self.c.key_metrics]
        metrics = [*_given_objectives(self.request.service, dash), *metrics]
        quantile = self.facts.names.get("latency.quantile")
        if quantile:  # the latency rows name the quantile the team gave, as the SLO line does
            metrics = [m.model_copy(update={"metric": re.sub(r"\bp95\b", f"p{quantile}", m.metric)})
                       if "latency" in m.metric.lower() or "time p95" in m.metric else m for m in metrics]
            if not any(re.search(r"(?i)latency p\d", m.metric) for m in metrics):
                metrics.insert(len(_given_objectives(self.request.service, dash)), KeyMetric(
                    metric=f"Latency p{quantile} (as the team states it)", normal_range=f"< {lv.latency_p95_ms:g} ms",
                    alert_threshold=f"> {lv.latency_p95_ms:g} ms (the objective)", dashboard=dash))
        prereq = _unique([*self.p.tools(), *(t for s in self.stacks for t in s.tools()), *self.c.prerequisites,
                          "jq and curl on the operator's machine",
                          "Access to the incident channel and the paging tool (to escalate)"])
        impact = business_impact(self.type, self.crit, self.levels) + self.guard.impact()
        if "deadline" in self.facts.names:
            impact += (f" Consumers need the output by {self.facts.names['deadline']}: a failed run must be "
                       "re-run with enough time left to finish before then.")
        said = self.request.service.service.purpose if self.request.service is not None else ""
        text = purpose(self.type, self.facts.display_name, said or self.facts.description, self.type_detail,
                       continuous=self.continuous)
        return ServiceOverview(purpose=text,
                               business_impact=impact,
                               slo=slo, key_metrics=metrics, prerequisites=prereq)

    # --- 2 -------------------------------------------------------------------------------------
    def architecture(self) -> Architecture:
        f = self.facts
        model = self.request.service
        app = model.app if model is not None else None
        # a service that is itself a store or broker (PostgreSQL under Patroni) runs that technology
        own = reasoning.display(app) if app is not None and reasoning.tech_kind(app) in (
            "database", "broker", "cache", "search", "stream", "queue", "proxy", "object-store") else ""
        tech = f.language or own or "fill in: runtime/framework"
        version = f.image or (f.language.split(" ", 1)[1] if f.language and " " in f.language else "see deployed image")
        if isinstance(self.p, Managed):  # the service is the product: no runtime or image of the team's
            product = self.p.identified.component
            tech, version = self.p.label, product.version or "see the describe call (Platform Operations)"
        comps = [Component(name=f.display_name, technology=tech, version=version, location=self.p.location(),
                           purpose=purpose(self.type, f.display_name, "", self.type_detail,
                                           continuous=self.continuous).rstrip("."))]
        comps += self.c.components
        comps.append(Component(name="Monitoring", technology=", ".join(s.label for s in self.stacks),
                               version="-", location="see Dashboards", purpose="Metrics, logs and alerting"))
        deps = [c.name for c in self.c.components][:3]
        front = {"web": "Users / CDN", "api": "Clients / LB", "worker": "Producers",
                 "pipeline": "Source stream" if "stream" in self.shape else "Scheduler",
                 "database": "Applications", "other": "Callers"}[self.type] if self.type in (
            "web", "api", "worker", "pipeline", "database", "other") else "Clients"
        diagram = _diagram(front, self.p.diagram_node(), deps)
        env_vars = [Setting(name=n, description=d) for n, d in self.c.environment_variables]
        if f.port:
            env_vars.append(Setting(name="PORT", description=f"Listen port ({f.port}, from the description)"))
        env_vars.append(Setting(name="(fill in)", description="List the service's own settings here; "
                                "nothing beyond the above was named in the description"))
        flags = "Not stated in the description (fill in: LaunchDarkly / Unleash / config flags)"
        return Architecture(diagram=diagram, components=comps,
                            configuration=Configuration(environment_variables=env_vars,
                                                        config_files=self.p.config_files(),
                                                        secrets_management=self.p.secrets(), feature_flags=flags))

    # --- 3 -------------------------------------------------------------------------------------
    def dependencies(self) -> Dependencies:
        up = list(self.c.upstream)
        for name in filter(None, self.facts.names.get("upstream", "").split(",")):
            up.append(Upstream(service=f"{name} service (named in the description)", purpose="Called by "
                               f"{self.facts.display_name}", criticality="High",
                               fallback="fill in: timeout + retry with backoff, degrade the feature that needs it"))
        platform_dep = {"kubernetes": "Kubernetes control plane and nodes", "docker": "Docker host",
                        "vm": ("Cloud compute (" + self.p.cloud.upper() + ")" if self.facts.cloud else
                               "The VMs' hypervisor, network and storage"), "serverless": "Function runtime ("
                        + ("Cloud Functions" if self.p.cloud == "gcp" else "AWS Lambda") + ")",
                        "baremetal": "Physical hosts, power and network"}.get(self.env, "Platform")
        up = self._health_first(up)
        # what every service stands on comes after what the description names: the page's first question
        # ("rule out X") is about the team's own dependencies, not a generic platform or a secrets store
        up.append(Upstream(service=platform_dep, purpose="Runs the service", criticality="Critical",
                           fallback="None in-region: see Disaster Recovery"))
        told = re.search(r"(?i)\bsecrets?\b|\bvault\b|key\s?vault|\bkms\b|credentials?|parameter store",
                         self.ctx.text) is not None
        up.append(Upstream(service="Secrets store (" + self.p.secrets().split(" (")[0] + ")",
                           purpose="Credentials at start-up" + ("" if told else " (the description names none)"),
                           criticality="High" if told else "Medium",
                           fallback="Running instances keep their secrets; avoid restarts while it is down"))
        down = [Downstream(service=s, impact=i) for s, i in downstream(self.type)] + list(self.c.downstream)
        if "downstream" in self.facts.names:
            down.insert(0, Downstream(service=self.facts.names["downstream"] + " (named in the description)",
                                      impact=downstream(self.type)[0][1]))
        return Dependencies(upstream=up, downstream=down)

    def _health_first(self, upstream: list[Upstream]) -> list[Upstream]:
        """The dependencies the service's health check depends on (the model's `health_depends_on`) come
        first and say so: while one is down, restarting the service does not help (its new instances
        fail the same check)."""
        model = self.request.service
        techs = {c.technology for c in model.components for r in model.relationships
                 if r.kind == "health_depends_on" and r.target == c.id and c.technology} if model else set()
        if not techs:
            return upstream
        note = (f"{self.facts.display_name}'s health check fails while it is down: restarting "
                f"{self.facts.display_name} will not help; fix or fail over this first. ")

        def gates(dep: Upstream) -> bool:
            return any(t in dep.service.lower().replace(" ", "") for t in techs)

        first = [d.model_copy(update={"fallback": note + d.fallback, "criticality": "Critical"})
                 for d in upstream if gates(d)]
        return [*first, *(d for d in upstream if not gates(d))]

    # --- 4 -------------------------------------------------------------------------------------
    def deployment(self) -> Deployment:
        db = ["Database changes: take a fresh backup first, apply schema changes in backward-compatible steps "
              "(expand, then contract), and never fail over to a lagging replica — writes it has not replayed "
              "are lost."] if self.type == "database" else []
        if self.type == "worker":
            db.append("Consumers: a deploy or restart redelivers every unacknowledged message (visibility timeout / "
                      "unacked deliveries), so handlers must be idempotent; let workers finish in-flight jobs on "
                      "SIGTERM (grace period longer than the longest job).")
        if self.continuous:
            db.append("Streaming: a deploy restarts the consumers, which resume from their last committed offset or "
                      "checkpoint: events after it are processed again (handlers must be idempotent), and lag grows "
                      "for the length of the rollout.")
        elif self.type == "pipeline":
            db.append("Pipelines: deploy between runs, never during one; a new version must read the previous "
                      "version's output/state; backfill windows oldest first and never run two instances of the "
                      "same window at once.")
        if self.type == "web":
            db.append("Web: keep the previous release's static assets available (content-hashed file names) so "
                      "pages cached by browsers/CDN still load after a deploy or rollback.")
        watcher = "the on-call engineer" if self.oncall != "none" else "someone from the owning team"
        platform_caveats = self.p.caveats()
        if any(pack.name == "argocd" for pack, _ in self.packs):
            # The Argo CD pack states the self-heal trap more precisely; say it once.
            platform_caveats = [c for c in platform_caveats if not c.startswith("Argo CD manages")]
        caveats = _unique([*platform_caveats, *db, *self.c.deploy_caveats,
                           f"Deploy only while {watcher} is available to watch it; freeze deploys when the error "
                           f"budget ({self.levels.downtime_minutes:g} min/month) is spent."])
        return Deployment(pre_deploy=self.p.pre_deploy(),
                          deploy=team_commands.deploy(self.request.service, self.p.deploy()),
                          post_deploy=self.p.post_deploy(), rollback=self.rollback_steps(), caveats=caveats)

    def rollback_steps(self) -> list[Command]:
        """The platform's rollback, with the team's own rollback command in place of the generic action."""
        return team_commands.rollback(self.request.service, self.p.rollback())

    # --- 5 -------------------------------------------------------------------------------------
    def alerts(self) -> list[Alert]:
        if self._alerts is not None:
            return self._alerts
        out: list[Alert] = []
        covered = {key for signal in self.c.signals for key in signal.covers}
        rendered: list[Signal] = []
        for spec in self.alert_specs:
            if spec.key in covered:  # a pack watches the same thing more specifically
                continue
            spec = dataclasses.replace(spec, response=self.guard.action(spec.response))  # a rule may override it
            row = alert_row(spec, self.stacks, self.custom, self.issue_link(spec.entry))
            if row is not None:
                out.append(row)
                rendered.append(spec)
                self._query_of.setdefault(spec.key, row.query)
        for signal in self.c.signals:
            row = alert_row(signal, self.stacks, self.custom)
            if row is not None and row.name not in {a.name for a in out}:
                out.append(row)
                rendered.append(signal)
        note = defaults_note(rendered)
        if note:
            self.defaults.append(note)
        names = {a.name for a in out}
        for alert in self.c.alerts:
            if alert.name not in names:
                out.append(alert)
                names.add(alert.name)
        self._engine_alerts = {a.name for a in out}
        if not self.rules and all(s.key == "custom" for s in self.stacks):
            # custom monitoring: the engine knows none of the team's checks, so it invents no stack; its
            # rows are marked as suggestions (names kept: entries link to them); the team's own stay as given
            out = [a if a.name in self.given_rows else
                   a.model_copy(update={"response": "Suggested, not in your monitoring yet: " + a.response})
                   for a in out]
            self.defaults.append("Monitoring is custom: every alert row not named in the description is a "
                                 "suggestion (a bash check you can schedule), not an alert the team has")
        if self.rules:  # the repository's own alerts first; the engine's become suggestions
            # a described alert an entry of the packs or the team's failures answers links to that entry
            # a service built on one data technology: its entries answer alerts that do not name it
            techs = {re.sub(r"[^a-z0-9]", "", c.technology.lower()) for c in self.request.service.components} \
                if self.request.service is not None else set()
            own = techs & repository_alerts.ENTRY_TECHS
            own = own if len(own) == 1 else set()
            if self.engine is not None:  # a database service is its engine
                own = {re.sub(r"[^a-z0-9]", "", self.engine.key.lower())}
            self._answered = repository_alerts.answered_by(self.rules, self.c.issues, own)
            out, self._renamed = repository_alerts.rows(self.rules, out, keep=self.given_rows,
                                                        answered=self._answered)
            self.notes.append(f"{len(out) - len(self._renamed)} alert rows from the repository's rules; "
                              f"{len(self._renamed)} engine alerts marked as suggestions")
        self._alerts = out
        return out

    def issue_link(self, title: str | None) -> str | None:
        """The title of the troubleshooting entry an alert leads to, as it will appear: the pack's entry
        when one covers the same key."""
        if title is None:
            return None
        if title == CRASH:
            title, key = self.p.crash_issue_parts()[0], "crash"
        else:
            key = _ISSUE_KEY.get(title, title)
        return self.issue_key.get(key, title)

    def output_check(self) -> list[Command]:
        """The newest objects in the bucket the pipeline writes to: did today's output land?"""
        names = self.facts.names
        if "gcs.bucket" in names:
            return [cmd(f"Newest output in gs://{names['gcs.bucket']}",
                        f"gcloud storage ls -l {q('gs://' + names['gcs.bucket'] + '/')} | sort -k2 | tail -n 5",
                        "an object from the latest run (its timestamp after the run's start)")]
        if "s3.bucket" in names and (self.facts.cloud in (None, "aws")):
            return [cmd(f"Newest output in s3://{names['s3.bucket']}",
                        f"aws s3 ls {q('s3://' + names['s3.bucket'] + '/')} --recursive --region "
                        f"{q(self.facts.region or 'us-east-1')} | sort | tail -n 5",
                        "an object from the latest run (its timestamp after the run's start)")]
        return []

    def monitoring(self) -> Monitoring:
        dashboards: list[Dashboard] = []
        given_for: set[str] = set()
        for index, (kind, url) in enumerate(self.urls()):
            name = kind if kind != "Link from the description" else (
                "Service URL (from the description)" if index == 0 else kind)
            dashboards.append(Dashboard(name=name, location=url))
            given_for |= {key for pattern, label, key in _URL_KINDS if label == kind}
        for stack in self.stacks:
            if stack.key in given_for:
                continue  # the user gave this stack's dashboard
            dashboards += [Dashboard(name=n, location=loc) for n, loc in stack.dashboards()]
        logs: list[Command] = []
        for stack in self.stacks:  # a service that serves no requests gets no request queries
            logs += [c for c in stack.log_queries() if self.http or not _REQUEST_QUERY.search(c.code)]
        logs.append(self.p.logs("1h", "error|exception|fatal|panic"))
        logs += self.c.log_queries
        return Monitoring(dashboards=dashboards, alerts=self.alerts(), log_queries=_dedupe(logs))

    # --- 6 -------------------------------------------------------------------------------------
    def troubleshooting(self) -> Troubleshooting:
        issues: list[Issue] = []
        self.alerts()
        made = self._engine_alerts
        alert_for: dict[str, str] = {}
        for spec in self.alert_specs:  # the first alert leading to an entry names it
            if spec.entry and spec.name in made:
                alert_for.setdefault(spec.entry, spec.name)
        if CRASH in alert_for:
            alert_for[self.p.crash_issue_parts()[0]] = alert_for.pop(CRASH)
        esc = self.escalate_text()

        def add(title: str, symptoms: str, checks: list[Command], fixes: list[tuple[str, Command | None]],
                verify: str, key: str | None = None) -> None:
            if (key or _ISSUE_KEY.get(title, title)) in self.issue_key:
                return  # a pack's entry covers it
            issues.append(Issue(title=title, symptoms=symptoms, alert=alert_for.get(title),
                                check=_dedupe(checks),
                                fix=[Step(action=self.guard.action(a), command=self.guard.step(c)) for a, c in fixes],
                                verify=verify, escalate=esc))

        p, lv = self.p, self.levels
        if self.type in ("web", "api", "other") and self.http:
            # rendered only here: rendering names the HTTP metrics' source among the runbook's assumptions
            q_err = self.check_query("error_rate", max(1.0, lv.error_rate_pct * 5))
            q_lat = self.check_query("latency", lv.latency_p95_ms)
            add("High error rate (5xx)", f"5xx above {max(1.0, lv.error_rate_pct * 5):g}%, clients report errors",
                [*([q_err] if q_err else []), p.logs("15m", "error|exception|timeout|refused"), p.history(),
                 p.status()[0]],
                [("If errors began right after a deploy, roll back first, investigate after", self.rollback_steps()[1]),
                 ("If one instance is bad (errors only from one instance) and its logs show why, replace just that "
                  "one", p.restart_one()),
                 ("If a dependency is failing (timeouts/refused in logs), follow its entry below or its own "
                  "runbook; don't restart this service for a dependency outage", None)],
                self.verify_text("5xx back below the SLO"))
            add("High response times", f"p95 above {lv.latency_p95_ms:g} ms, timeouts at clients",
                [*([q_lat] if q_lat else []), p.resources(), p.connections(), p.logs("15m", "timeout|slow|deadline")],
                [("If CPU-bound, scale out", self.guard.scale(p.scale_out(6))),
                 ("If a dependency is slow (DB, cache, upstream API), check its metrics and runbook", None),
                 ("If it began with a deploy, roll back", self.rollback_steps()[1])],
                self.verify_text(f"p95 below {lv.latency_p95_ms:g} ms"))
        if self.type == "web":
            target = self.facts.url or None
            checks = [p.history(), p.logs("30m", " 404 |static|assets|chunk")]
            if target:
                checks.insert(0, cmd(
                    "Headers of the page and its caching (what the CDN/browser sees)",
                    f"curl -sSI --max-time 10 {q(target)} | "
                    "grep -iE '^(HTTP|cache-control|age|x-cache|etag|last-modified)'",
                    "HTTP 200; Age/X-Cache show whether a CDN serves a stale copy"))
            purge: Command | None = None
            if "cloudfront" in self.ctx.text:
                purge = cmd("Invalidate the CloudFront cache for the HTML entry points",
                            "DISTRIBUTION_ID=\"${DISTRIBUTION_ID:?set DISTRIBUTION_ID (CloudFront distribution)}\"\n"
                            "aws cloudfront create-invalidation --distribution-id \"$DISTRIBUTION_ID\" --paths '/' "
                            "'/index.html'", "An invalidation Id with Status InProgress, Completed within minutes",
                            "Invalidating '/*' sends every request to the origin until the cache refills (load spike "
                            "and cost); invalidate only the HTML entry points.")
            add("Pages broken after a deploy (missing or stale assets)",
                "Blank pages or JS errors after a release; 404s for /static or chunk files; some users fine",
                checks,
                [("If pages reference assets the new release removed, roll back first", self.rollback_steps()[1]),
                 ("Purge only the HTML entry points from the CDN so browsers fetch the new asset names", purge),
                 ("Keep old hashed assets for at least one release (see Deployment caveats)", None)],
                self.verify_text("No 404s for asset paths and pages render", 15))
        if self.type == "worker":
            limit = self.backlog or 1000
            backlog = self.check_query("queue_backlog", limit)
            add("Queue backlog growing", "Queue depth / lag rising, jobs delayed",
                [*([backlog] if backlog else []), p.status()[0], p.logs("15m", "error|exception|retry"),
                 p.resources()],
                [("If consumers are down or crash-looping, see the crash entry below", None),
                 ("If consumers are healthy but slower than the inflow, scale them out",
                  self.guard.scale(p.scale_out(4))),
                 (f"If one message type fails repeatedly (poison message), move it to the dead-letter queue "
                  f"{self.facts.names.get('dlq', '(DLQ)')} and keep going", None)],
                f"Queue depth falling steadily for 15 min and back under {limit} within the hour")
            add("Jobs failing", "Job failure rate above 5%, retries and DLQ growing",
                [*([c] if (c := self.check_query("job_failures", 5)) else []), p.logs("30m", "failed|error|exception"),
                 p.history()],
                [("If failures started with a deploy, roll back", self.rollback_steps()[1]),
                 ("If a downstream API/DB rejects the jobs, fix that dependency first; pause consumers if "
                  "retries make it worse", None if stops.refusal(p) else self.guard.stop(p.stop(), p.region)),
                 (f"Re-drive the dead-letter queue{' ' + self.facts.names['dlq'] if 'dlq' in self.facts.names else ''}"
                  " only after the cause is fixed; replaying first just fails the same messages again", None)],
                "Failure rate below 1% for 15 min and the DLQ no longer growing")
            add("Consumers stalled (no progress)", "No jobs completed while messages wait; consumers idle or hung",
                [*([c] if (c := self.check_query("no_progress", 1)) else []), p.status()[0], p.logs("15m")],
                [("Find why they stopped first (checks above): a lost broker connection, a downstream that blocks "
                  "every job, a poison message; restart only when the logs show a hung process", None),
                 ("Restart one consumer and watch whether it picks up work", p.restart_one()),
                 ("If all are hung (deadlock, lost broker connection), restart all", p.restart_all())],
                "Jobs completing again and the backlog falling for 15 min")
        if self.type == "pipeline" and not self.continuous:
            schedule = self.facts.names.get("schedule", "its schedule (fill in)")
            rerun = p.rerun()
            add("Pipeline run failed", "The last run ended in failure; output missing for that window",
                [*([c] if (c := self.check_query("pipeline_failed", 1)) else []),
                 p.logs("24h", "error|failed|traceback"), p.history(), p.status()[0]],
                [("If the failure is transient (timeout, throttling, a dependency blip), re-run the failed window",
                  rerun),
                 ("If bad input data caused it, quarantine the input and re-run the rest; never hand-edit output",
                  None),
                 ("If it began with a deploy, roll back and re-run", self.rollback_steps()[1])],
                "The re-run succeeds and the output row counts match the previous runs (±10%)")
            add("Pipeline late or missed its schedule", f"No successful run within 2× the interval ({schedule})",
                [*([c] if (c := self.check_query("pipeline_late", 1440)) else []), *self.output_check(), p.status()[0],
                 p.resources(), p.logs("6h")],
                [("If a run is stuck, stop it and start a fresh one", p.restart_one()),
                 ("If the schedule never fired (suspended, timer/scheduler down), start a catch-up run", rerun),
                 ("If runs are slower than the schedule, add resources or split the window", None)],
                "A run completes and the freshness metric is back within one interval")
            add("Partial or wrong output (data quality)", "Row counts far from normal, duplicates, or consumers "
                "report missing/odd data",
                [p.logs("24h", "rows|records|written|skipped"), p.history()],
                [("Stop the schedule so no more bad output is written", self.pause_pipeline()),
                 ("Find the first bad run (compare row counts per run) and delete or overwrite its output "
                  "partition — runs must be idempotent per window", None),
                 ("Backfill the affected windows one at a time, oldest first, checking counts after each", rerun)],
                "Counts per window match the source (±1%) for every backfilled window; consumers confirm")
        if self.type == "database" and self.engine is not None and not self.engine.relational:
            engine = self.engine
            own = [cmd(purpose_, code, expect) for purpose_, code, expect in engine.checks]
            add(f"{engine.display}: a member down or the cluster unhealthy",
                f"Clients get errors or timeouts from {engine.display}; a member missing from the cluster",
                [*own, *p.status(), p.logs("30m", "error|fatal|panic|leader|quorum")],
                [(f"Read {engine.display}'s own view of its members first (checks above); restart a member only "
                  "after its logs say why it stopped, one member at a time, waiting until it rejoins", None)
                 if own else
                 (f"Fill in with the team: {engine.display}'s own health and membership commands (none are given "
                  "here rather than another product's)", None),
                 (f"Never wipe a member's data directory or force a new cluster: that can lose {engine.display}'s "
                  "data or split it; escalate to the owning team instead", None)],
                f"Every member healthy in {engine.display}'s own status for 15 min", key="member_down")
            add("Disk filling up", "Data volume above 80%, growing",
                [*([c] if (c := self.check_query("disk", 80)) else []), p.disk_check()],
                [(f"Find what grows on the data volume ({engine.display}'s data, logs, snapshots)", None),
                 ("Extend the volume before 90%; never delete data files by hand", None)],
                "Usage stable below 80% for 1 hour")
        elif self.type == "database":
            add("Replication lag", "Replicas behind the primary; stale reads",
                [*([c] if (c := self.check_query("replication_lag", 30)) else []), p.resources(), p.disk_check()],
                [("Find long-running transactions or bulk writes on the primary and stop them if safe", None),
                 ("Do not fail over to a lagging replica: data after the lag point would be lost", None)],
                "Lag below 1 s for 15 min")
            add("Connection saturation", "'too many connections' errors, clients time out",
                [*([c] if (c := self.check_query("connections", 80)) else []), p.connections()],
                [("Identify the client holding most connections and fix its pool size", None),
                 ("Terminate idle-in-transaction sessions older than 10 min (see the engine section)", None)],
                "Connections below 60% of max for 15 min")
            add("Disk filling up", "Data volume above 80%, growing",
                [*([c] if (c := self.check_query("disk", 80)) else []), p.disk_check()],
                [("Find what grows (WAL/binlog retention, a stuck replication slot, bloat, logs)", None),
                 ("Extend the volume before 90%; never delete data files by hand", None)],
                "Usage stable below 80% for 1 hour")
        if self.https_host:
            cert = self.check_query("cert_expiry", 14)
            add("TLS certificate expiring or invalid", "Browsers/clients report certificate errors, or the expiry "
                "alert fired",
                [*([cert] if cert else []), _cert_check(self.https_host)],
                [("Renew or re-issue the certificate through whatever issues it (cert-manager, ACM, your CA), then "
                  "confirm the new expiry with the check above", None),
                 ("If renewal is automated, find why it failed (DNS/HTTP challenge, permissions) before the old "
                  "certificate expires", None)],
                "The served certificate's notAfter is > 30 days away and clients connect without errors")
        title, symptoms, checks, fixes = p.crash_issue_parts()
        checks, fixes = self.guard.triage(checks, fixes)  # a dependency the health check needs comes first
        add(title, symptoms, checks, fixes, self.verify_text("All instances healthy with no restarts", 15),
            key="crash")
        if self.env != "serverless":
            add("Resource saturation (CPU / memory)", "CPU > 80% or memory > 90% of limit; OOM kills, throttling",
                [p.resources(), p.events(), *([c] if (c := self.check_query("memory", 90)) else [])],
                [("If memory grows steadily (leak), restart one instance to buy time, then fix the leak",
                  p.restart_one()),
                 # A database's primary does not scale out by adding copies of its container or process.
                 ("If load grew, give the primary more CPU/memory (a bigger instance or limit) and move reads to "
                  "replicas; do not add copies of a database process", None)
                 if self.type == "database" and (self.engine is None or self.engine.relational) else
                 # a cluster of peers (Cassandra, etcd, Vault raft …) has no primary to grow or replicas to read
                 (f"If one member is hot, find why on that member first ({self._engine_name()}'s own stats: a hot "
                  "key or partition, compaction, GC pauses); if every member is busy, add capacity the way "
                  f"{self._engine_name()} grows (bigger members, or a new member joined by its own procedure), "
                  "never by copying a member's process or data", None) if self.type == "database" else
                 ("If load grew, scale out", self.guard.scale(p.scale_out(6)))],
                "CPU below 70% and memory flat for 30 min")
        if self.type != "database" and any(spec.key == "disk" for spec in self.alert_specs):
            add(DISK_ENTRY, "Disk above 85% and growing; writes fail once it is full",
                [*([c] if (c := self.check_query("disk", 85)) else []), p.disk_check()],
                [("Find what grows (logs, temp files, core dumps, caches) and rotate or remove it", None),
                 ("Extend the volume before 95% if the data is needed", None)],
                "Usage stable below 80% for 1 hour")
        for issue in self.c.issues:
            if issue.title not in {i.title for i in issues}:
                issues.append(issue)
        if len(issues) < 3:  # a service with few signals of its own: the dependency question as an entry
            add("A dependency is failing", "Errors, timeouts or 'connection refused' towards something it calls",
                [p.logs("15m", "refused|timeout|unavailable|reset"), p.status()[0]],
                [("Find the dependency the errors name and check it (its dashboard, its runbook, its owner)", None),
                 ("Do not restart this service for a dependency outage: it comes back with the same errors", None)],
                "No dependency errors in the logs for 15 min")
        if self.rules:  # one entry per repository alert, titled with its name (a stable anchor)
            workloads = self.request.service is None or bool(self.request.service.workloads())
            model = self.request.service
            issues = repository_alerts.entries(self.rules, issues, self.p, esc, self._renamed, workloads=workloads,
                                               answered=self._answered,
                                               team=lambda about: team_commands.checks(model, about)
                                               or team_commands.status(model))
        if all(r.source_format == "description" for r in self.rules):
            # Every alert row leads to an entry: an alert no entry answers gets a short one of its own (the
            # team's described alerts too, once a signal took their name); a repository's suggestions do not.
            answered = alert_entries(self.alerts(), issues)
            for alert in self.alerts():
                if answered[alert.name] is None:
                    issues.append(Issue(title=alert.name, symptoms=f"The alert fired: {alert.condition}",
                                        alert=alert.name, check=[alert.query],
                                        fix=[Step(action=alert.response, command=None)],
                                        verify="The alert clears and stays clear for 15 min", escalate=esc))
        return Troubleshooting(issues=self._team_first(issues))

    def _engine_name(self) -> str:
        return self.engine.display if self.engine is not None else "the store"

    def _team_first(self, issues: list[Issue]) -> list[Issue]:
        """The team's own failure modes first, then the entries its alerts lead to, then the rest: what
        the team has seen and watches is what pages; generic entries are for what nobody foresaw."""
        team_alerts = set(self.given_rows) | {r.name for r in self.rules} | set(self._answered)
        answering = set(self._answered.values())

        def rank(issue: Issue) -> int:
            if issue.title.startswith(failures.KNOWN):
                return 0
            return 1 if issue.alert in team_alerts or issue.title in team_alerts or issue.title in answering else 2
        return sorted(issues, key=rank)

    # --- 7 -------------------------------------------------------------------------------------
    def emergency(self) -> Emergency:
        p = self.p
        # dependencies the health check needs come first; restarts last, with what they cost
        immediate = [*self.guard.dependency_checks(), *team_commands.status(self.request.service),
                     *(self.guard.every_region(c, p.region) for c in p.status()),
                     p.events(),
                     p.logs("15m", "error|fatal|panic|refused"), self.guard.restart(p.restart_one()),
                     self.guard.restart(p.restart_all())]
        # another region or cluster only when the model states one (applies.yaml: dr_redeploy)
        elsewhere = p.redeploy_elsewhere() if gate("dr_redeploy", self.shape) else []
        if_fails = [p.history(), *self.rollback_steps()[1:2], *elsewhere]
        steps = escalation(self.oncall, self.crit, self.facts)
        esc = [Escalation(after_minutes=s.after_minutes, action=f"{s.level}: {s.contact} via {s.method} — {s.when}")
               for s in steps]
        rto = self.obj.levels.rto_minutes
        if rto > steps[-1].after_minutes:
            esc.append(Escalation(after_minutes=rto, action=f"RTO ({fmt_minutes(rto)}) reached: invoke Disaster "
                                  "Recovery"))
        return Emergency(
            service_down=ServiceDown(immediate=_dedupe(immediate), if_restart_fails=_dedupe(if_fails), escalation=esc),
            data_corruption=DataCorruption(stop_writes=self.stop_writes(), assess=self.assess(),
                                           restore=self.restore()),
            communication=self.communication())

    def stop_writes(self) -> list[Command]:
        out: list[Command] = []
        # a full stop of the service's own workload only where the architecture makes it one (platforms.stops)
        refused = stops.refusal(self.p)
        if self.type in ("web", "api", "other") and not self.profiled:
            # Only a switch the model names is flipped: an invented READ_ONLY variable does nothing at 3 a.m.
            switch = read_only_switch(self.request.service)
            if switch is not None:
                out.append(self.p.set_flag(switch.key, "true", f"Switch the service to read-only mode ({switch.key}, "
                                           "from the service model)"))
            elif not self.c.stop_writes and refused is None:
                stop = self.p.stop()
                out.append(self.guard.stop(stop.model_copy(update={"purpose": stop.purpose + ": no more writes reach "
                    "the data (if your service has a read-only switch, use it instead: it keeps reads up)"}),
                    self.p.region))
        elif self.type == "worker" and refused is None:
            stop = self.p.stop()
            paused = self.guard.stop(stop, self.p.region)
            if paused == stop or not self.c.stop_writes:  # a pack's own pause of the trigger says it already
                out.append(paused)
        elif self.type == "pipeline" and refused is None:
            out.append(self.pause_pipeline())
        # a pack's stop goes through the same guard: a queue-triggered function is paused, never throttled to 0
        out += [self.guard.stop(c, self.p.region) for c in self.c.stop_writes]
        if not out:
            out.append(self.guard.stop(self.p.stop(), self.p.region) if refused is None else
                       stops.writers_check(self.p, refused))
        return _dedupe(out)

    def pause_pipeline(self) -> Command:
        p = self.p
        if isinstance(p, Kubernetes) and p.kind != "cronjob":
            return p.stop()  # a streaming pipeline's StatefulSet / Deployment: no schedule to suspend
        if isinstance(p, Kubernetes):
            return cmd("Suspend the CronJob so no new run starts", f"kubectl patch cronjob {q(p.workload)} {p.n} "
                       "-p '{\"spec\":{\"suspend\":true}}'", "SUSPEND True in kubectl get cronjob",
                       "No runs happen until you set suspend back to false; running jobs continue.")
        if isinstance(p, SystemdHosts):
            return cmd("Stop the timer so no new run starts", p.on_hosts(f"sudo systemctl stop {p.unit}.timer"),
                       "Timer inactive on every host",
                       "No scheduled runs until you start the timer again.")
        if isinstance(p, Serverless) and p.cloud != "gcp":
            return cmd("Disable the schedule rule (EventBridge) that triggers the function",
                       "RULE=\"${RULE:?set RULE to the EventBridge rule name that triggers the function}\"\n"
                       f"aws events disable-rule --name \"$RULE\" --region {q(p.region)}",
                       "Rule State DISABLED", "No scheduled runs until you enable the rule again.")
        return p.stop()

    def assess(self) -> list[Command]:
        out = [self.p.history(), self.p.logs("24h", "constraint|duplicate|corrupt|integrity|invalid")]
        return _dedupe([*self.c.assess, *out])

    def restore(self) -> list[Command]:
        if self.c.restore:
            return list(self.c.restore)
        f = self.facts
        instance = f.names.get("db.instance")
        if instance and self.p.cloud == "aws":
            return [cmd(f"Restore {instance} to a NEW instance at a point in time before the corruption",
                        "RESTORE_TIME=\"${RESTORE_TIME:?set RESTORE_TIME, e.g. 2026-01-31T09:55:00Z}\"\n"
                        f"aws rds restore-db-instance-to-point-in-time --region {q(self.p.region)} "
                        f"--source-db-instance-identifier {q(instance)} --target-db-instance-identifier "
                        f"{q(instance + '-restore')} --restore-time \"$RESTORE_TIME\"",
                        "A new instance '<name>-restore' becomes available; compare data before switching",
                        "Creates a new instance (extra cost); switching the application to it loses writes made "
                        "after RESTORE_TIME. Never restore over the original.")]
        if instance and self.p.cloud == "gcp":
            return [cmd(f"Clone {instance} to a point in time before the corruption",
                        "RESTORE_TIME=\"${RESTORE_TIME:?set RESTORE_TIME, e.g. 2026-01-31T09:55:00Z}\"\n"
                        f"gcloud sql instances clone {q(instance)} {q(instance + '-restore')} "
                        "--point-in-time \"$RESTORE_TIME\"", "The clone is RUNNABLE",
                        "Creates a new instance; the original is untouched. Writes after RESTORE_TIME are not in it.")]
        if store_roles.stateful(self.guard.model, self.guard.description):
            # the service keeps data of its own: a redeploy restores nothing
            store = store_roles.backup_store(self.guard.model, self.guard.description)
            where = " in " + next((n.value for n in store.names), store.technology) if store is not None else ""
            return [cmd("Restore the service's own data from its latest backup into a new copy, then compare",
                        f"BACKUP=\"${{BACKUP:?set BACKUP to the newest good backup{where}}}\"\n"
                        "echo \"Restore $BACKUP with the service's own backup tool into a scratch copy (fill in with "
                        "the team: the exact restore command)\"",
                        "the restored copy holds the data as of the backup; compare it with the live data before "
                        "switching",
                        "Never restore over the live data. Everything written after the backup is not in it.")]
        return [cmd("Redeploy the last known-good release (stateless service: data lives in its stores)",
                    *_code_of(self.rollback_steps()[1]),
                    warning="Rolls every instance back to the previous release; restore the affected data store "
                    "from its own backup (see Disaster Recovery) if bad data was written.")]

    def communication(self) -> list[str]:
        cadence = {"critical": 15, "high": 30, "medium": 60, "low": 120}[self.crit] if self.crit in (
            "critical", "high", "medium", "low") else 30
        channel = self.facts.names.get("slack", "the incident channel")
        out = [
            f"Declare an incident when the Service Down alert fires, the SLO burn would exhaust the "
            f"{self.levels.downtime_minutes:g}-minute monthly budget, or data may be wrong.",
            f"Post an update in {channel} every {cadence} min: impact, what was tried, next step, next update time.",
        ]
        if gate("incident_roles", self.shape):
            out.insert(1, "Assign roles: incident commander (decides), operations lead (runs commands), "
                          "communications lead (updates).")
        if self.crit in ("critical", "high"):
            out.append("Update the status page within 15 min of declaring a customer-facing incident.")
        if self.crit in ("critical", "high") and self.oncall in ("business-hours", "none"):
            cover = "business hours only" if self.oncall == "business-hours" else "no formal on-call"
            out.append(f"Coverage gap: a {self.crit}-criticality service with {cover} means an outage at night or "
                       "on a weekend lasts until someone notices. Agree who may be called out of hours (and how) "
                       "before the first such incident, or move the service to 24/7 cover.")
        out.append("After recovery: a blameless post-incident review within 5 business days, with action items.")
        return out

    # --- 8 -------------------------------------------------------------------------------------
    def maintenance(self) -> Maintenance:
        lv = self.levels
        backups = gate("backup_checks", self.shape)  # data of its own to back up (applies.yaml)
        # each check once: a store's pack that checks its own backups / restores says it for the service
        said = " ".join([*self.c.daily, *self.c.monthly]).lower()
        daily = ["Check error logs and alerts fired in the last 24 h",
                 *(["Verify last night's backup completed"] if backups and "backup" not in said else [])]
        weekly = ["Review alert noise: tune or delete alerts that fired without action",
                  f"Check error-budget burn against {lv.availability_pct:g}% ({lv.downtime_minutes:g} min/month)"]
        monthly = [*(["Apply OS security patches on the hosts"] if gate("os_patching", self.shape) else []),
                   "Update dependencies and rebuild the image",
                   "Capacity review: peak CPU/memory vs limits, growth trend",
                   *([f"Restore the latest backup into a scratch environment and verify it ({lv.review}; "
                      f"time it against the {fmt_minutes(lv.rto_minutes)} RTO)"] if backups and "restore" not in said
                     else []),
                   "Review this runbook: run the read-only commands, fix anything that drifted"]
        if self.type == "worker":
            daily.append("Check the dead-letter queue is empty or triaged")
        if self.type == "pipeline":
            daily.append("Confirm the job kept up with its source over the last 24 h (lag, errors)" if self.continuous
                         else "Confirm every scheduled run of the last 24 h succeeded and row counts look normal")
        if self.type == "database" and (self.engine is None or self.engine.relational):
            weekly.append("Review slow-query log and table/index bloat")
        disk = [self.p.disk_check()] if gate("disk_check", self.shape) else []  # a disk of its own (applies.yaml)
        commands = [*disk, self.p.resources(), self.p.history(), *self.c.maintenance_commands]
        if isinstance(self.p, SystemdHosts):
            commands.append(cmd("Vacuum the journal to 7 days on every host",
                                self.p.on_hosts("sudo journalctl --vacuum-time=7d"),
                                "Archived journal files older than 7 days removed",
                                "Deletes old logs permanently; export them first if you need them for an audit."))
        return Maintenance(daily=_unique([*daily, *self.c.daily]), weekly=_unique([*weekly, *self.c.weekly]),
                           monthly=_unique([*monthly, *self.c.monthly]), commands=_dedupe(commands))

    # --- 9 -------------------------------------------------------------------------------------
    def disaster_recovery(self) -> DisasterRecovery:
        lv = self.levels
        region = self.facts.region
        dr_region = self.facts.names.get("dr.region")
        second = dr_region or "a second region (fill in)"
        location = (f"Snapshots in {region} with cross-region copies to {second}" if region
                    else f"Cross-region copies to {second} (fill in the backup bucket / vault)")
        bucket = self.facts.names.get("bucket")
        if not region:  # a data centre, bare metal: no "cross-region copies" the team never described
            location = f"Bucket {bucket} (as the description names it)" if bucket else \
                "Fill in: where the backups are kept (the description does not say)"
        elif bucket:
            location += f"; data bucket {bucket} (enable versioning + replication)"
        procedures = list(self.c.dr_procedures)
        verify = _dedupe([self.p.health_check(), *self.p.status()[:1]])
        if gate("dr_redeploy", self.shape):
            procedures.append(Procedure(title="Service recovery in the DR location",
                                        commands=self.p.redeploy_elsewhere()))
            procedures.append(Procedure(title="Verify recovery before moving traffic", commands=verify))
        else:  # nowhere else is stated: recovery is in place, never into an invented region or cluster
            procedures.append(Procedure(title="Recover in place (no second region or cluster is stated)",
                                        commands=_dedupe([self.rollback_steps()[1], *verify])))
        return DisasterRecovery(backup=Backup(frequency=lv.backup_frequency, retention=lv.backup_retention,
                                              location=location),
                                rto_minutes=lv.rto_minutes, rpo_minutes=lv.rpo_minutes, procedures=procedures)

    # --- 10 ------------------------------------------------------------------------------------
    def contacts(self) -> Contacts:
        steps = escalation(self.oncall, self.crit, self.facts)
        levels = [EscalationLevel(level=s.level, contact=s.contact, method=s.method, when=s.when,
                                  after_minutes=s.after_minutes) for s in steps]
        tz = self.facts.timezone or "fill in"
        team = self.facts.team or "fill in: owning team"
        channel = self.facts.names.get("slack", "fill in: team channel")
        rotation = self.facts.rotation or "fill in: rotation name"
        pager = self.facts.names.get("pager", "fill in: paging tool")
        people = [Person(role="Service Owner", name=team, contact=channel, timezone=tz)]
        regions = [r.strip() for r in re.split(r",|\band\b", self.facts.names.get("oncall.regions", "")) if r.strip()]
        zones = self.facts.names.get("oncall.zones", "").split(",")
        if self.oncall == "follow-the-sun" and regions:
            for index, region in enumerate(regions):
                zone = zones[index] if index < len(zones) and zones[index] else "fill in"
                people.append(Person(role=f"On-call ({region} shift)", name=rotation, contact=pager, timezone=zone))
        elif self.oncall == "none" and not self.facts.rotation:
            # No rotation to fill in: say who picks issues up instead.
            people.append(Person(role="On-call rotation", name="None (no formal on-call)",
                                 contact=f"best effort via {channel}", timezone=tz))
        elif self.facts.rotation:  # a row for a rotation the description names, none for one it does not
            people.append(Person(role="On-call rotation", name=rotation, contact=pager, timezone=tz))
        model = self.request.service
        primary, secondary = self.facts.names.get("oncall.primary"), self.facts.names.get("oncall.secondary")
        if primary:
            people.append(Person(role="Primary on-call", name=primary, contact=pager, timezone=tz))
        if secondary:
            people.append(Person(role="Secondary on-call", name=secondary, contact=pager, timezone=tz))
        lead = next((p.value for p in model.people_of("escalation") if p.value.endswith("(lead)")), None)
        if lead:  # only the people the description gives: no "Tech Lead: fill in" for a role nobody mentioned
            people.append(Person(role="Tech Lead", name=lead.removesuffix(" (lead)"), contact=channel, timezone=tz))
        listed = " ".join(p.name for p in people)
        for step in steps[1:]:
            if not step.contact.startswith("fill in") and step.contact.split(" (")[0] not in listed:
                people.append(Person(role=f"Escalation {step.level}", name=step.contact, contact=step.method,
                                     timezone=tz))
        if all(step.contact.startswith("fill in") for step in steps[1:]):  # one line asks, none is invented
            people.append(Person(role="Who is called next", name="fill in (the description names no one)",
                                 contact="fill in", timezone=tz))
        vendors: list[Vendor] = []
        cloud = {"aws": "AWS", "gcp": "Google Cloud", "azure": "Microsoft Azure"}.get(self.p.cloud)
        if cloud and (self.facts.cloud or self.env in ("vm", "serverless")):
            vendors.append(Vendor(vendor=cloud, purpose="Infrastructure", support_contact=f"{cloud} support console "
                                  "(fill in support plan)", account="fill in"))
        for stack in self.stacks:
            if stack.key in ("datadog", "newrelic"):
                vendors.append(Vendor(vendor=stack.label, purpose="Monitoring", support_contact="fill in",
                                      account="fill in"))
        if "pager" in self.facts.names:
            vendors.append(Vendor(vendor=self.facts.names["pager"], purpose="Paging", support_contact="fill in",
                                  account="fill in"))
        for name, why in self.c.vendors:
            if name not in {v.vendor for v in vendors}:
                vendors.append(Vendor(vendor=name, purpose=why, support_contact="fill in", account="fill in"))
        vendors = _given_vendors(vendors, model)
        return Contacts(escalation=levels, personnel=people, vendors=vendors)

    # --- appendix --------------------------------------------------------------------------------
    def appendix(self) -> Appendix:
        docs: list[Link] = []  # the team's documents, not this tool's rule file
        for index, (kind, url) in enumerate(self.urls()):
            title = "Service URL" if index == 0 and kind == "Link from the description" else kind
            docs.append(Link(title=title, location=url))
        docs += [Link(title="Architecture design doc", location="fill in"),
                 Link(title="API / interface documentation", location="fill in")]
        return Appendix(cheatsheet=_dedupe([*team_commands.cheatsheet(self.request.service), *self.p.cheatsheet(),
                                                  *self.c.cheatsheet]), related_docs=docs)

    def understood(self, runbook: Runbook) -> ServiceModel:
        """The request's model plus what this runbook assumed (only values its commands actually use)."""
        used = "\n".join(c.code for c in runbook.commands())
        assumed = {k: (v, why) for k, (v, why) in self.facts.assumed.items()
                   if v and (v in used or k == "namespace" and self.env == "kubernetes")}
        lv = self.levels
        figures: dict[str, tuple[str, str, str]] = {}
        why = f"default for {self.crit} criticality"
        for label, key, value, unit in (
                ("availability target", "availability", f"{lv.availability_pct:g}", "%"),
                ("p95", "latency", f"{lv.latency_p95_ms:g}", "ms"),
                ("error-rate target", "error_rate", f"{lv.error_rate_pct:g}", "%"),
                ("RTO", "rto", str(lv.rto_minutes), "min"), ("RPO", "rpo", str(lv.rpo_minutes), "min"),
                ("backup frequency", "backup_schedule", lv.backup_frequency, ""),
                ("backup retention", "backup_retention", lv.backup_retention, "")):
            if any(d.startswith(label) for d in self.obj.defaults_used):
                figures[key] = (value, unit, why)
        return record_assumptions(self.request.service, assumed, figures)

    def assumptions(self) -> list[str]:
        out = [f"{a.key}: {a.display()} ({a.reason})" for a in self.request.answers.assumed()]
        out += self.defaults
        out += [f"Default used: {d}" for d in self.obj.defaults_used]
        out += self.p.assumptions
        for stack in self.stacks:
            out += stack.assumptions
        filled = ", ".join(f"${v} ({k.replace('.', ' ')})" for v, k in self.facts.fill_ins.items())
        out.append((f"Names the description does not give are shell variables: {filled}. " if filled else "")
                   + "Shell variables like \"${VERSION:?…}\" stop with a message until you set them")
        return _unique(out)


def _cert_check(host: str) -> Command:
    return cmd(f"Expiry date and issuer of the certificate {host} serves",
               f"echo | openssl s_client -connect {q(host + ':443')} -servername {q(host)} 2>/dev/null | "
               "openssl x509 -noout -enddate -issuer",
               "notAfter more than 14 days away; the issuer you expect")


def _code_of(command: Command) -> tuple[str, str]:
    return command.code, command.expect or "Rolled back"


def _dedupe(commands: list[Command]) -> list[Command]:
    seen: set[str] = set()
    out = []
    for c in commands:
        if c.code not in seen:
            seen.add(c.code)
            out.append(c)
    return out


def _diagram(front: str, node: str, deps: list[str]) -> str:
    def box(text: str) -> list[str]:
        text = text[:22]
        width = max(len(text), 11)
        return ["┌" + "─" * (width + 2) + "┐", "│ " + text.center(width) + " │", "└" + "─" * (width + 2) + "┘"]

    a, b = box(front), box(node)
    lines = [a[0] + "     " + b[0], a[1] + "────▶" + b[1], a[2] + "     " + b[2]]
    indent = " " * (len(a[0]) + 5 + len(b[0]) // 2)
    if len(deps) in (0, 1) or len(deps) > 5:
        for dep in deps:
            d = box(dep)
            lines.append(indent + "│")
            lines.append(indent + "▼")
            pad = " " * max(0, len(indent) - len(d[0]) // 2)
            lines += [pad + row for row in d]
        return "\n".join(lines)
    # the service calls each dependency: side by side under it (a chain would say dep 1 calls dep 2)
    row = [box(dep) for dep in deps]
    centres, at = [], 0
    for d in row:
        centres.append(at + len(d[0]) // 2)
        at += len(d[0]) + 3
    here = len(indent)
    lo, hi = min(centres[0], here), max(centres[-1], here)
    bar = [" "] * (hi + 1)
    for c in range(lo, hi + 1):
        bar[c] = "─"
    for c in centres:
        bar[c] = "┬"
    bar[lo] = "┌" if lo in centres else "└"
    bar[hi] = "┐" if hi in centres else "┘"
    if here == lo and here in centres:
        bar[here] = "├"
    elif here == hi and here in centres:
        bar[here] = "┤"
    elif lo < here < hi:
        bar[here] = "┼" if here in centres else "┴"
    arrows = [" "] * (centres[-1] + 1)
    for c in centres:
        arrows[c] = "▼"
    lines += [indent + "│", "".join(bar).rstrip(), "".join(arrows).rstrip(),
              *("   ".join(d[i] for d in row) for i in range(3))]
    return "\n".join(lines)


# CLIs commands may use, with what the reader needs for them (criterion 19: every CLI is listed).
_CLI_NEEDS = {
    "kubectl": "kubectl with access to the namespace", "helm": "helm 3", "argocd": "argocd CLI, logged in",
    "aws": "aws CLI v2 with read access (and write access for the fixes)", "gcloud": "gcloud CLI",
    "az": "Azure CLI (az)", "docker": "docker with the compose plugin", "ssh": "ssh access to the hosts",
    "curl": "curl", "jq": "jq", "openssl": "openssl (certificate checks)",
    "grpc_health_probe": "grpc_health_probe (gRPC health checks)", "ansible-playbook": "ansible-playbook and "
    "the production inventory", "psql": "psql (postgresql-client) and credentials", "redis-cli": "redis-cli",
    "mysql": "mysql client and credentials", "mongosh": "mongosh", "patronictl": "patronictl",
    "pgbackrest": "pgbackrest", "rabbitmqctl": "rabbitmqctl", "celery": "celery CLI", "airflow": "airflow CLI",
    "kafka-consumer-groups": "Kafka CLI tools (kafka-consumer-groups)", "smartctl": "smartctl (smartmontools)",
    "ipmitool": "ipmitool / BMC access", "promtool": "promtool",
}


def _complete_prerequisites(built: dict[str, Any]) -> ServiceOverview:
    """The overview with every CLI the commands use named in its Prerequisites."""
    overview: ServiceOverview = built["service_overview"]
    listed = "\n".join(overview.prerequisites)
    code = "\n".join(c.code for section in built.values() for c in iter_commands(section))
    missing = [need for tool, need in _CLI_NEEDS.items()
               if re.search(rf"(?<![\w./-]){re.escape(tool)}(?:\.sh)?(?![\w-])", code)
               and not re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", listed)]
    kept = [line for line in (_used_defaults(line, code) for line in overview.prerequisites) if line]
    if not missing and kept == overview.prerequisites:
        return overview
    return overview.model_copy(update={"prerequisites": [*kept, *missing]})


_DEFAULTS_LINE = re.compile(r"(?P<head>.*: names the description does not give are defaults; check or replace them "
                            r"in the commands: )(?P<pairs>.*)")


def _used_defaults(line: str, code: str) -> str:
    """A pack's line of assumed names with only those its commands still show ("rds.instance" of a pack
    whose AWS commands were left out for a self-hosted database is not there to check); empty when none is."""
    found = _DEFAULTS_LINE.fullmatch(line)
    if found is None:
        return line
    pairs = [p for p in found.group("pairs").split(", ") if p.partition("=")[2] and p.partition("=")[2] in code]
    return found.group("head") + ", ".join(pairs) if pairs else ""


@cache
def _field_adapters() -> dict[str, TypeAdapter[Any]] | None:
    """Validators for the Runbook's non-section fields, or None when the Runbook has rules of its own."""
    decorators = Runbook.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators:
        return None
    adapters: dict[str, TypeAdapter[Any]] = {}
    for name, info in Runbook.model_fields.items():
        if name in SECTIONS:
            continue
        kind: Any = info.annotation
        if info.metadata:
            kind = Annotated[(kind, *info.metadata)]
        adapters[name] = TypeAdapter(kind)
    return adapters


def _assemble(fields: dict[str, Any]) -> Runbook:
    """The Runbook from sections that were validated as they were built.

    Validating the whole Runbook again would re-run each section's checks (one `bash -n` process per
    section, half the generation time), so only the remaining fields are validated here; if the
    Runbook ever gains rules of its own, it is validated in full instead.
    """
    adapters = _field_adapters()
    if adapters is None:
        return Runbook(**fields)
    for name, adapter in adapters.items():
        fields[name] = adapter.validate_python(fields[name])
    return Runbook.model_construct(**fields)


class OfflineModel(Model):
    """Writes a runbook from knowledge alone: deterministic, no network, no key."""

    provider = "offline"
    summary = "built-in engine: deterministic, no network or key; tailors commands to the answers"

    def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GenerationResult:
        try:
            return self._generate(request, progress)
        except ValidationError as exc:  # a bug in the engine or a pack, reported in one line
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or exc.title
            raise ModelError(f"the offline engine built an invalid {exc.title} ({where}): {first.get('msg', '')}",
                             hint="please report this with the description and answers") from None

    def _generate(self, request: GenerationRequest, progress: Progress | None) -> GenerationResult:
        writer = _Writer(request)
        built: dict[str, Any] = {}
        names = list(SECTIONS)
        builders: dict[str, Callable[[], Any]] = {name: getattr(writer, name) for name in names}
        for index, name in enumerate(names, start=1):
            built[name] = builders[name]()
            if progress is not None:
                progress(name, index, len(names))
        built["monitoring"], built["troubleshooting"] = repository_alerts.lead_to_known(
            built["monitoring"], built["troubleshooting"], repository_alerts.name_words(request.service))
        built = {key: failures.warn(section, request.service, request.description)  # team's rules, knowledge's
                 for key, section in built.items()}
        scopes = scopes_of(request.service)  # the model's project / region on every cloud CLI call
        built = {key: cloud_scope(section, scopes) for key, section in built.items()}
        # names the model does not give are guarded variables, declared where used (knowledge/names.py)
        built = {key: guard(section, writer.facts.fill_ins) for key, section in built.items()}
        built["service_overview"] = _complete_prerequisites(built)
        shown = " ".join(s.model_dump_json() if isinstance(s, BaseModel) else str(s) for s in built.values())
        for variable in [v for v in writer.facts.fill_ins if "${" + v + "}" not in shown]:
            del writer.facts.fill_ins[variable]  # only the variables the runbook shows are listed
        runbook = _assemble({
            **built, "assumptions": writer.assumptions(),
            "revision_history": [Revision(version="1.0", date=request.now.strftime("%Y-%m-%d"),
                                          changes="Initial runbook (offline engine)", author=request.authors[0])]})
        notes = [f"facts from the description: {', '.join(sorted(writer.facts.given)) or 'none'}", *writer.notes]
        return GenerationResult(runbook=runbook, notes=notes, service=writer.understood(runbook))

    def revise(self, runbook: Runbook, change: str, request: GenerationRequest) -> GenerationResult:
        """Rule-based revision (agent/revise.py); changes it cannot express raise a plain ModelError."""
        from agent.revise import revise

        return revise(self, runbook, change, request)


__all__ = ["OfflineModel", "detect_packs"]
