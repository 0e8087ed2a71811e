"""The alerts a repository already has, in the runbook: one row per rule with its real expression,
`for`, severity and labels, one troubleshooting entry per alert name that responds to it, and the
engine's own alerts kept apart as suggestions.

Self-contained so the knowledge redesign can re-home it: the engine calls `combine()` with the rules
from the service model, the alerts and entries it wrote itself, and the platform (for the entry's
status and log commands). Entry titles are the alert names, so an entry's anchor is stable
(`#issue-<alert name, lower case>` by GitHub's rule) and a rule's `runbook_url` can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass

from agent.checks.markdown import github_anchor
from agent.checks.promql import parse_error
from agent.knowledge import given_alerts
from agent.knowledge.failures import KNOWN  # the title prefix of the team's failure entries
from agent.knowledge.platforms import Platform
from agent.runbook import (
    Alert,
    Command,
    Issue,
    Language,
    Monitoring,
    Severity,
    Step,
    Troubleshooting,
    alert_entries,
    name_key,
)
from agent.service.model import AlertRule, ServiceModel

SUGGESTED = " (suggested)"
# What a rule's severity label means for the row's severity column.
_SEVERITY: dict[str, Severity] = {
    "critical": "Critical", "page": "Critical", "p1": "Critical", "p2": "Critical", "high": "Critical",
    "error": "Critical", "emergency": "Critical", "fatal": "Critical", "disaster": "Critical",
    "warning": "Warning", "warn": "Warning", "p3": "Warning", "medium": "Warning", "major": "Warning",
    "minor": "Info", "info": "Info", "informational": "Info", "low": "Info", "none": "Info", "p4": "Info",
    "p5": "Info", "notice": "Info", "ticket": "Info",
}
_IMPACT = {
    "Critical": "the rule's authors page on it: users or data are affected now, start at once",
    "Warning": "degraded or heading for an outage: act within the hour, before it becomes critical",
    "Info": "no user impact yet: a signal to look at during working hours",
}
_LANGUAGE: dict[str, Language] = {"prometheus": "promql", "prometheusrule": "promql", "datadog": "datadog",
                                  "cloudwatch": "cloudwatch"}
# Metric-name prefixes that say which technology an alert is about (matched against entry titles).
_TECH_WORDS = {"pg": "postgres", "postgres": "postgres", "mysql": "mysql", "redis": "redis", "kafka": "kafka",
               "rabbitmq": "rabbitmq", "mongodb": "mongo", "elasticsearch": "elasticsearch", "nginx": "nginx",
               "haproxy": "haproxy", "pgbouncer": "pgbouncer", "patroni": "patroni", "memcached": "memcached",
               "celery": "celery", "airflow": "airflow", "aws_sqs": "sqs", "sqs": "sqs", "kube": "kubernetes",
               "container": "container", "node": "node", "probe": "probe"}
_COMPARISON = re.compile(r"(>=|<=|==|!=|>|<)\s*(?:bool\s+)?(-?\d+(?:\.\d+)?(?:e-?\d+)?)(?![\w.\[])")


@dataclass(frozen=True)
class Combined:
    alerts: list[Alert]  # the repository's rows first, then the engine's, marked as suggestions
    issues: list[Issue]  # the engine's entries, then one per repository alert name
    notes: list[str]


def severity(label: str) -> Severity:
    return _SEVERITY.get(label.strip().lower()) or given_alerts.severity(label)


def anchor(name: str) -> str:
    """The anchor of the entry for alert `name` (before any -1 suffix a duplicate heading would get)."""
    return github_anchor(f"Issue: {name}")


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _summary(rule: AlertRule) -> str:
    """The rule's summary without its Go-template parts (`{{ $labels.instance }}`)."""
    text = re.sub(r"\s*\([^()]*\{\{[^}]*\}\}[^()]*\)", " ", rule.summary)  # "(instance {{ $labels.x }})"
    text = re.sub(r"\{\{[^}]*\}\}", "", text)
    return _one_line(text.strip(" :-"), 200)


def _duration(rule: AlertRule) -> str:
    return rule.duration or "0m"


def _top_level_set_operator(expr: str) -> bool:
    """True when `and` / `or` / `unless` joins two conditions outside any parentheses or braces."""
    depth = 0
    for m in re.finditer(r"[()\[\]{}]|\b(?:and|or|unless)\b", expr):
        token = m.group(0)
        if token in "([{":
            depth += 1
        elif token in ")]}":
            depth -= 1
        elif depth == 0:
            return True
    return False


def _described(rule: AlertRule) -> bool:
    """An alert the description names (no file, maybe no query): shown in the team's words."""
    return rule.source_format == "description"


def _condition(rule: AlertRule) -> str:
    """The comparison and the duration ("> 80 for 5m"); an expression joining several conditions is
    not reduced to one of its numbers (the query below is the whole rule). A described alert's
    condition is its words."""
    if _described(rule):
        said = _one_line(rule.summary or rule.expr, 120)
        stated = re.search(r"(?i)\b(?:for|over|in|within|sustained)\s+\d|\d+\s*/\s*(?:s|min|h)\b", said)
        held = f" for {rule.duration}" if rule.duration and not stated else ""
        said = f"{said}{held}" if said else "as the team defines it"
        # the table needs a number: a state alert ("any node reports sealed") fires on the first occurrence
        return said if re.search(r"\d", said) else f"{said} (a state alert: fires on the first, ≥ 1)"
    found = list(_COMPARISON.finditer(rule.expr))
    if found and len(found) == 1 or found and not _top_level_set_operator(rule.expr):
        test = f"{found[-1].group(1)} {found[-1].group(2)}"
    else:
        test = "the rule's expression holds"
    return f"{test} for {_duration(rule)}"


def _language(rule: AlertRule) -> Language:
    language = _LANGUAGE.get(rule.source_format, "text")
    if language == "promql" and parse_error(rule.expr) is not None:
        return "text"  # LogQL or an extension the PromQL parser does not read: shown, not checked as PromQL
    return language


def _query(rule: AlertRule) -> Command:
    if _described(rule):
        # no metric the engine could tell: the team's own words, never an invented query
        return Command(purpose=f"Query: the team's existing alert {rule.name}, as the description gives it (no "
                               "query was given: it is defined in your monitoring tool under this name)",
                       language="text",
                       code=_one_line(rule.summary or rule.expr, 200),
                       expect="The alert's state in your monitoring tool says which host or resource fires",
                       warning=None)
    labels = ", ".join(f"{label.key}={label.value}" for label in rule.labels if label.key != "severity")
    where = f"{rule.at}" + (f"; labels {labels}" if labels else "")
    return Command(purpose=f"The rule's expression, as in the repository ({where})", language=_language(rule),
                   code=rule.expr.strip(), expect="No result while healthy; each series returned is one firing "
                                                  "alert, its labels say where", warning=None)


def _row_names(rules: Sequence[AlertRule]) -> list[str]:
    """Unique row names: a name used by several rules gets the severity, else the file, to tell them apart."""
    counts: dict[str, int] = {}
    for rule in rules:
        counts[rule.name] = counts.get(rule.name, 0) + 1
    out: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        name = rule.name
        if counts[name] > 1:
            name = f"{rule.name} ({rule.severity or 'no severity'})"
            if name in seen:
                name = f"{rule.name} ({rule.at})"
        n = 2
        base = name
        while name in seen:
            name = f"{base} #{n}"
            n += 1
        seen.add(name)
        out.append(name)
    return out


def _related(rule: AlertRule, issues: Sequence[Issue]) -> Issue | None:
    """The engine's entry about the technology the alert's metrics name (redis_* -> a Redis entry)."""
    metrics = re.findall(r"\b([a-z][a-z0-9]*)_[a-z0-9_]+", rule.expr)
    for prefix in metrics:
        word = _TECH_WORDS.get(prefix)
        if word is None:
            continue
        hit = next((i for i in issues if word in i.title.lower()), None)
        if hit is not None:
            return hit
    return None


# words that say nothing about what an entry or an alert is about
_PLAIN = frozenset("the a an or and of to in on is are not no high low too many growing alert alarm fires any "
                   "for over under above below than more less ready".split())


# short state words operators' tools print ("DN" in `nodetool status`, "OOM"), read as the word they mean
_SHORT = {"dn": "down", "oom": "memory", "lag": "lag", "cpu": "cpu", "dlq": "dlq", "tls": "tls", "ttl": "ttl"}


def _stem(word: str) -> str:
    """"compactions" and "compaction", "restarts" and "restart", "failing" and "fail": one word."""
    for end in ("ing", "es", "s", "ed"):
        if word.endswith(end) and len(word) - len(end) >= 4 and not word.endswith("ss"):
            return word[:-len(end)]
    return word


def _about(text: str) -> tuple[set[str], set[str]]:
    """(concepts, the plain words, stemmed) of an alert's or an entry's words; "running" (up, nodes,
    instances) is in too many to say what either is about."""
    said = {_SHORT.get(w, w) for w in given_alerts.words(text)}
    return given_alerts.concepts(text) - {"running"}, {_stem(w) for w in said if len(w) > 2} - _PLAIN



# technologies an entry can be about: an entry about one the service is not answers only an alert naming it
ENTRY_TECHS = frozenset("postgres postgresql mysql mariadb redis mongo mongodb kafka rabbitmq pgbouncer elasticsearch "
                         "opensearch nats memcached celery sidekiq airflow sqs sns dynamodb lambda ecs nginx haproxy "
                         "proxysql patroni zookeeper etcd consul vault keda helm argo flux s3 gcs minio "
                         "firestore pubsub".split())


def answering(rule: AlertRule, issues: Sequence[Issue], own: Set[str] = frozenset()) -> Issue | None:
    """The entry that answers a described alert by what both are about: the same measure (disk, lag,
    errors …; "FreeStorageSpace < 25 GB" and "OpenSearch: disk watermarks") or two words of their own in
    common ("ClusterStatus.red" and "cluster red or yellow"). An entry about a technology other than the
    service's own (`own`) answers only an alert that names it ("JVM heap" is not "Redis: memory full"),
    and one that names it is about it ("ProxySQL backend SHUNNED" and "ProxySQL: slow or unreachable");
    None when no entry is about the same thing."""
    said = f"{rule.name} {rule.expr} {rule.summary}"
    concepts, plain = _about(said)
    flat = re.sub(r"[^a-z0-9]", "", said.lower())
    best: tuple[int, Issue] | None = None
    for issue in issues:
        # what the entry is about is the part after its subject ("Known failure: x: Client reconnects")
        theirs, words = _about(issue.title.rsplit(": ", 1)[-1])
        techs = set(re.findall(r"[a-z0-9]+", issue.title.lower())) & ENTRY_TECHS
        if any(t not in flat for t in techs - set(own)):
            continue
        shared = plain & words
        named = bool(techs - set(own))  # the alert names the entry's technology, not the service's own
        score = 10 * len(concepts & theirs) + len(shared) + 5 * named
        if issue.title.startswith(KNOWN):
            # the team's failure in its own words: two of them in the alert ("schedule-to-start … on payout-tq"
            # and "Schedule-to-start climbs on payout-tq") outweigh a generic entry on the same measure
            score += 1 + 20 * (len(shared) >= 2)
        if (concepts & theirs or len(shared) >= 2 or named) and (best is None or score > best[0]):
            best = (score, issue)
    return best[1] if best else None


def answered_by(rules: Sequence[AlertRule], issues: Sequence[Issue], own: Set[str] = frozenset()) -> dict[str, str]:
    """{described alert name: the title of the existing entry that answers it} (see `answering`)."""
    out: dict[str, str] = {}
    for rule in rules:
        if _described(rule) and (issue := answering(rule, issues, own)) is not None:
            out.setdefault(rule.name, issue.title)
    return out


def _firing(rule: AlertRule) -> Command | None:
    """Prometheus' own record of the alert: which instances fire right now, with all their labels."""
    if rule.source_format not in ("prometheus", "prometheusrule") or '"' in rule.name:
        return None
    return Command(purpose="The alert's firing instances as Prometheus records them (ALERTS series)",
                   language="promql", code=f'ALERTS{{alertname="{rule.name}", alertstate="firing"}}',
                   expect="One series per firing instance; none once it resolved", warning=None)


def _entry(name: str, rules: list[AlertRule], row: str, p: Platform, escalate: str,
           engine: Sequence[Issue], workloads: bool, team: Sequence[Command] = ()) -> Issue:
    """The entry of one alert (its rules): the query, the team's own checks that name what it watches
    (`team`), the workloads' state and logs (only their state when the team's checks say more), fixes."""
    first = rules[0]
    level = max((severity(r.severity) for r in rules), key=["Info", "Warning", "Critical"].index)
    summary = _summary(first) or f"The rule {name} fires"
    expressions = " / ".join(f"`{_one_line(r.expr, 140)}` for {_duration(r)}" for r in rules)
    symptoms = (f"{summary.rstrip('.')}. The repository's rule ({first.at}) fires when {expressions}. "
                f"Impact: {level.lower()} — {_IMPACT[level]}.")
    if _described(first):
        symptoms = (f"The team's alert {name} fires: {_condition(first)} (as the description gives it). "
                    f"Impact: {level.lower()} — {_IMPACT[level]}.")
    checks = [_query(r) for r in rules]
    firing = _firing(first)
    if firing is not None:
        checks.append(firing)
    checks += team
    if workloads:  # the service's own workloads: are they up, what do they log
        checks += [p.status()[0]] if len(team) >= 2 else [p.status()[0], p.logs("30m", "error|exception|fatal|timeout")]
    related = _related(first, engine) or (answering(first, engine) if _described(first) else None)
    fixes: list[Step] = [Step(action="Read which series fire: their labels (instance, job, pod, namespace) name "
                                     "what is failing; start with the one the alert names", command=None)]
    if _described(first):
        fixes = [Step(action="Read which host or resource the alert names in your monitoring tool; start with that "
                             "one", command=None)]
    if related is not None:
        fixes.append(Step(action=f"If it is the failure '{related.title}' covers, follow that entry: it has "
                                 "the checks and fixes for it", command=None))
    if workloads:
        fixes.append(Step(action="If it began right after a deploy or config change, roll back first, investigate "
                                 "after", command=p.rollback()[1] if len(p.rollback()) > 1 else p.rollback()[0]))
    where = "the monitoring tool that holds it" if _described(first) else first.at.rsplit(':', 1)[0]
    fixes.append(Step(action=f"If it fires without a real problem (a threshold too tight for this service), tune "
                             f"the rule in {where} instead of silencing it; silence only with an expiry and a "
                             "ticket", command=None))
    longest = max((_minutes(r.duration) for r in rules), default=0)
    window = max(10, 2 * longest)
    verify = f"The expression returns no series for {window} min and the alert resolves"
    if _described(first):
        verify = f"The alert resolves and stays clear for {window} min"
    return Issue(title=name, symptoms=symptoms, alert=row, check=_dedupe(checks), fix=fixes, verify=verify,
                 escalate=escalate)


def _minutes(duration: str) -> int:
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)", duration):
        total += float(amount) * {"ms": 1 / 60000, "s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080}[unit]
    return round(total)


def _dedupe(commands: list[Command]) -> list[Command]:
    seen: set[str] = set()
    out = []
    for c in commands:
        if c.code not in seen:
            seen.add(c.code)
            out.append(c)
    return out


def rows(rules: Sequence[AlertRule], engine_alerts: Sequence[Alert], keep: Set[str] = frozenset(),
         answered: Mapping[str, str] | None = None) -> tuple[list[Alert], dict[str, str]]:
    """The alert table: one row per repository rule, then the engine's alerts renamed as suggestions
    (except those in `keep`: the team's own alerts the engine renders). A described alert in `answered`
    leads to that existing entry instead of one of its own. Returns the rows and {engine alert name: its
    row name} for the entries that name them."""
    answered = answered or {}
    usable = [r for r in rules if r.name.strip()]
    if not usable:
        return list(engine_alerts), {}
    out: list[Alert] = []
    for rule, row in zip(usable, _row_names(usable), strict=True):
        summary = _summary(rule)
        response = (f"{summary.rstrip('.') + '. ' if summary else ''}Repository rule ({rule.at}) → Troubleshooting: "
                    f"{rule.name}")
        if _described(rule):
            response = (f"The team's own alert (from the description) → Troubleshooting: "
                        f"{answered.get(rule.name, rule.name)}")
        out.append(Alert(name=row, condition=_condition(rule), query=_query(rule), severity=severity(rule.severity),
                         response=response))
    taken = {r.name for r in out}
    renamed: dict[str, str] = {}
    for alert in engine_alerts:
        if alert.name in keep:
            out.append(alert)
            taken.add(alert.name)
            continue
        name = alert.name + SUGGESTED
        while name in taken:
            name += "*"
        taken.add(name)
        renamed[alert.name] = name
        out.append(alert.model_copy(update={
            "name": name, "response": "Suggested: not one of the team's existing alerts. "
                                      + alert.response}))
    return out, renamed


def entries(rules: Sequence[AlertRule], engine_issues: Sequence[Issue], p: Platform, escalate: str,
            renamed: dict[str, str], *, workloads: bool = True, answered: Mapping[str, str] | None = None,
            team: Callable[[str], list[Command]] | None = None) -> list[Issue]:
    """The engine's entries (their alert names following the rename), then one entry per repository alert
    (a described one in `answered` has its existing entry already); `team` gives a described alert's
    checks among the team's own commands, from its words."""
    titles_now = {i.title for i in engine_issues}
    usable = [r for r in rules if r.name.strip() and (answered or {}).get(r.name) not in titles_now]
    issues = [i.model_copy(update={"alert": renamed.get(i.alert, i.alert)}) if i.alert else i for i in engine_issues]
    if not usable:
        return issues
    by_name: dict[str, list[AlertRule]] = {}
    first_row: dict[str, str] = {}
    for rule, row in zip(usable, _row_names(usable), strict=True):
        by_name.setdefault(rule.name, []).append(rule)
        first_row.setdefault(rule.name, row)
    titles = {i.title for i in issues}
    for name, group in by_name.items():
        title = name if name not in titles else f"{name} (alert)"
        own = team(f"{name} {group[0].expr} {group[0].summary}") if team is not None and _described(group[0]) else []
        issues.append(_entry(title, group, first_row[name], p, escalate, engine_issues, workloads, own))
    return issues


def combine(rules: Sequence[AlertRule], engine_alerts: Sequence[Alert], engine_issues: Sequence[Issue],
            p: Platform, escalate: str, *, workloads: bool = True) -> Combined:
    """Both at once (rows, then entries), with a note for --verbose."""
    alerts, renamed = rows(rules, engine_alerts)
    issues = entries(rules, engine_issues, p, escalate, renamed, workloads=workloads)
    repo = len(alerts) - len(renamed)
    notes = [f"{repo} alert rules from the repository ({len(issues) - len(engine_issues)} entries); "
             f"{len(renamed)} engine alerts marked as suggestions"] if rules else []
    return Combined(alerts, issues, notes)


def names_failure(alert: str, failure: str, names: Set[str] = frozenset()) -> int:
    """How many words of their own an alert's name and the team's failure share, when two or more
    ("slow ops > 30 s" and "Slow ops on one OSD"); else 0. The words of the service's `names` (a queue
    both name: "emails.order consumers = 0" and "emails.order is never purged") say nothing of what."""
    shared = len((_about(alert)[1] & _about(failure)[1]) - names)
    return shared if shared >= 2 else 0


def name_words(model: ServiceModel | None) -> set[str]:
    """The words of every name the model holds, as `_about` reads them (for `names_failure`)."""
    if model is None:
        return set()
    return {w for _, n in model.all_names() for w in _about(n.value)[1]}


def lead_to_known(monitoring: Monitoring, troubleshooting: Troubleshooting, names: Set[str] = frozenset()
                  ) -> tuple[Monitoring, Troubleshooting]:
    """Each of the team's alerts that names the team's own failure in two words of its own ("slow ops
    > 30 s" and "Known failure: Slow ops on one OSD") leads to that failure's entry, not to the generic
    entry whose measure it shares: the team's words carry its checks and fix. The generic entry stays,
    without the alert."""
    issues = list(troubleshooting.issues)
    alerts = list(monitoring.alerts)
    entry_of = alert_entries(alerts, issues)
    for a, alert in enumerate(alerts):
        now = entry_of.get(alert.name)
        if now is None or now.startswith(KNOWN) or alert.name.endswith(SUGGESTED) or \
                alert.response.startswith("Suggested"):
            continue
        best: tuple[int, int] | None = None
        for i, issue in enumerate(issues):
            if not issue.title.startswith(KNOWN) or issue.alert:
                continue
            shared = names_failure(alert.name, issue.title.rsplit(": ", 1)[-1], names)
            if shared and (best is None or shared > best[0]):
                best = (shared, i)
        if best is None:
            continue
        known = issues[best[1]]
        issues[best[1]] = known.model_copy(update={"alert": alert.name})
        issues = [i.model_copy(update={"alert": None}) if i.title == now and name_key(i.alert or "") ==
                  name_key(alert.name) else i for i in issues]
        alerts[a] = alert.model_copy(update={"response": alert.response.replace(now, known.title)})
    return (monitoring.model_copy(update={"alerts": alerts}),
            troubleshooting.model_copy(update={"issues": issues}))
