"""The team's known failure modes as troubleshooting entries, and its rules as warnings.

A contributor like the packs: `contribute` returns a `Contribution` whose entries are keyed by what
they cover (`known.<component>.<n>`, one per failure mode of the model), so no generic entry merges
with them and no title decides anything. Each entry quotes the team's words, names the component and
the alert that shows it (a signal of that component's pack whose words the sentence shares), checks
the component read-only with the commands its pack or platform already has (the same `Command`s, so
the renderer prints each once and links the rest), and gives the team's action and prohibition.

`warn` is the other half: a rule or prohibition the team stated ("never restart all nodes at once",
"do not purge the queue", "scale beat to exactly one") is an operation (data: `operations` in
`agent/service/data/failure_cues.yaml`); every generic command or step of the runbook that does that
operation on that component carries the team's words as a warning. One rule over the model, no case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel

from agent.checks.danger import classify
from agent.knowledge import failure_actions, team_commands
from agent.knowledge.base import Context, Contribution
from agent.knowledge.platforms.base import cmd
from agent.knowledge.reasoning import display
from agent.knowledge.signals import Signal
from agent.runbook import KNOWN_FAILURE, Command, Issue, Step
from agent.service.failures import cues
from agent.service.model import Component, FailureMode, ServiceModel

_WORD = re.compile(r"[a-z][a-z0-9]+")
# words every sentence shares with every signal: they say nothing about which alert shows it
_COMMON = frozenset({"the", "and", "for", "with", "when", "that", "this", "its", "are", "was", "too", "high",
                     "low", "rate", "count", "total", "service", "alert", "into", "from", "our", "all"})


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _COMMON and len(w) > 2}


def _pack_of(component: Component, parts: dict[str, Contribution]) -> Contribution | None:
    tech = component.technology
    return parts.get(tech) or next((p for name, p in parts.items() if tech and (
        name.startswith(tech) or tech.startswith(name))), None)


def _shown_by(mode: FailureMode, signals: list[Signal], skip: set[str]) -> Signal | None:
    """The signal whose key or measure the team's sentence shares the most words with ("maxmemory" and
    `redis.memory`: a part of a word counts), or None when none shares any. `skip`: the component's
    own words (its technology, its names), which every signal of its pack shares."""
    words = _words(mode.evidence) - skip
    # what the sentence ends on is what an alert sees ("… the slot pins WAL and the disk fills": the disk)
    last = _words(re.split(r"\band\b|,|;", mode.consequence or mode.evidence)[-1]) - skip

    def shares(w: str, pool: set[str]) -> int:
        return sum(1 for x in pool if x == w or (len(w) >= 4 and len(x) >= 4 and (x.endswith(w) or w.endswith(x)
                                                                               or x.startswith(w))))

    best: tuple[int, Signal | None] = (0, None)
    for signal in signals:
        own = _words(f"{signal.key.replace('.', ' ').replace('_', ' ')} {signal.measure}") - skip
        hits = [w for w in own if shares(w, words)]
        score = len(hits) + sum(min(1, shares(w, last)) for w in own)
        # one word in common ("a disk dies" and "Low Disk Space") names the same thing, not the same failure
        if len(hits) >= 2 and score > best[0]:
            best = (score, signal)
    return best[1]


def _read_only(commands: list[Command]) -> list[Command]:
    return [c for c in commands if c.language != "bash" or classify(c.code, c.language) == "read-only"]


KNOWN = KNOWN_FAILURE  # the title prefix of an entry written from the team's failure mode



def _pack_checks(commands: list[Command]) -> list[Command]:
    """A pack's own checks for an issue: read-only, or only not known to be (a tool's read-only
    subcommands the classifier has no table for, `rabbitmqctl list_connections`), and carrying no warning."""
    from agent.checks.danger import explain

    def fine(c: Command) -> bool:
        if c.language != "bash":
            return True
        level, why = explain(c.code, c.language)
        unknown = level == "mutating" and team_commands.UNKNOWN_TOOL.search(why) is not None
        return level == "read-only" or (unknown and not c.warning)
    return [c for c in commands if fine(c)]


def _own_words(component: Component, model: ServiceModel) -> set[str]:
    words = _words(" ".join([component.technology, component.id, display(component), component.variant,
                             *(n.value for n in component.names)]))
    if component is model.app:
        words |= _words(f"{model.service.name} {model.service.display}")
    return words | {"postgres", "pg", "mongo", "elastic", "rabbit"}  # the short forms packs key signals by


def _checks(ctx: Context, component: Component, part: Contribution | None, mode: FailureMode | None = None
            ) -> list[Command]:
    """The component's read-only checks from its pack's entry closest to the failure (the most words of
    its title and symptoms in the team's sentence; the first entry with checks when none shares any),
    else the status and logs of the platform it runs on."""
    if part is not None:
        skip = _own_words(component, ctx.model) if ctx.model is not None else set()
        said = _words(mode.evidence) - skip if mode is not None else set()
        ranked = sorted(part.issues, key=lambda i: -len(said & (_words(f"{i.title} {i.symptoms}") - skip)))
        for issue in ranked:
            found = _pack_checks(issue.check)[:3]
            if found:
                return found
        found = _read_only(part.cheatsheet)[:3]
        if found:
            return found
    from agent.knowledge.platforms import platform_for  # late: platforms import the packs' helpers

    platform = platform_for(ctx, component if ctx.model is not None and component is not ctx.model.app else None)
    # a platform whose every look goes through a remote runner (`az vm run-command`) has no read-only one:
    # its status check, as the platform writes it, is still what to look at first
    return _read_only([*platform.status()[:1], platform.logs("30m", "error|warn|fatal")]) or platform.status()[:1]


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


# --- technology knowledge: what to check and do for a failure the team names (data) -------------------


@cache
def responses() -> dict[str, Any]:
    """agent/knowledge/data/failure_responses.yaml: cue -> checks and mitigations, per technology."""
    text = resources.files("agent.knowledge").joinpath("data/failure_responses.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _technologies(model: ServiceModel, description: str) -> set[str]:
    """The model's technologies, and the ones its description names (Sidekiq beside a Ruby app)."""
    found = {c.technology for c in model.components if c.technology}
    low = description.lower()
    for entry in responses()["responses"]:
        for tech in [*entry.get("requires", []), *(x.get("needs", "") for x in entry.get("checks", []) +
                                                   entry.get("mitigations", []))]:
            if tech and re.search(rf"(?<![\w-]){re.escape(tech)}(?![\w-])", low):
                found.add(tech)
    return found


def _has(tech: str, techs: set[str]) -> bool:
    return not tech or tech in techs


def response_for(mode: FailureMode, model: ServiceModel, description: str) -> dict[str, Any] | None:
    """The knowledge entry for a failure mode: every `when` pattern in the team's sentence and one of the
    technologies it `requires` in the model."""
    techs = _technologies(model, description)
    # a listed item is about what its first sentence says: a word further on ("its HTTP/2 connections", in
    # the item's explanation) does not make it that technology's failure
    said = f"{mode.title} {mode.trigger} {mode.consequence}" if mode.title else mode.evidence
    for entry in responses()["responses"]:
        if not all(re.search(p, said, re.I) for p in entry["when"]):
            continue
        if entry.get("requires") and not any(t in techs for t in entry["requires"]):
            continue
        found: dict[str, Any] = entry
        return found
    return None


def _guarded(name: str, what: str) -> str:
    return f'"${{{name}:?set {name} ({what})}}"'


def _values(component: Component, model: ServiceModel, description: str, mode: FailureMode | None
            ) -> dict[str, str]:
    """Placeholder values from the model (and, for what it may not bind, the description's own words)."""
    app = model.app
    of_tech = {c.technology: c for c in model.components if c.technology}
    app_hosts = app.names_of("host") if app is not None else []
    own = component.names_of("host")
    hosts = app_hosts if component.kind in ("proxy", "load-balancer") or not own else own
    out: dict[str, str] = {}
    if hosts:
        out["hosts"] = " ".join(hosts)
        out["host"] = hosts[0]
        out["first_server"] = app_hosts[0] if app_hosts else hosts[0]
    finds = responses()["finds"]
    for key, pattern in finds.items():
        found = (re.search(pattern, mode.evidence, re.I) if mode is not None else None) or \
            re.search(pattern, description, re.I)
        if found:
            out[key] = found.group(1)
    balancer = of_tech.get("haproxy")
    if balancer is not None and balancer.names_of("host"):
        out["lb_hosts"] = " ".join(balancer.names_of("host"))
        out["lb_host"] = balancer.names_of("host")[0]
    kafka = of_tech.get("kafka")
    if kafka is not None:
        if kafka.names_of("bootstrap"):
            out["bootstrap"] = kafka.names_of("bootstrap")[0]
        groups = [v for c in model.components for v in c.names_of("consumer_group")]
        if groups:
            out["group"] = groups[0]
    redis = of_tech.get("redis")
    if redis is not None and redis.name("host"):
        out["redis_host"] = redis.name("host") or ""
    jobs = re.search(r"(?i)\bdb\s*(\d+)\s*(?:=|is|:|for)\s*(?:the\s+)?(?:sidekiq|jobs?|queues?|celery)", description)
    out["jobs_db"] = jobs.group(1) if jobs else "0"
    units = app.names_of("unit") if app is not None else []
    worker = next((u for u in units if re.search(r"(?i)sidekiq|worker|jobs|celery", u)), None)
    if worker:
        out["worker_unit"] = worker
    workers = [h for h in app_hosts if re.search(r"(?i)jobs?|worker|sidekiq|celery|queue", h)]
    if workers:
        out["worker_hosts"] = " ".join(workers)
    database = next((c for c in model.components if c.technology == "postgresql"), None)
    if database is not None:
        if database.name("host"):
            out["db_host"] = database.name("host") or ""
        dbs = database.names_of("database")
        given = next((d for d in dbs if re.search(rf"(?<![\w-]){re.escape(d)}(?![\w-])", description)
                      and "_" in d), dbs[0] if dbs else None)
        if given:
            out["db"] = given
        slots = [v for v in database.names_of("slot") if "_" in v]
        if slots and "slot" not in out:
            out["slot"] = slots[0]
    search = next((c for c in model.components if c.technology in ("opensearch", "elasticsearch")), None)
    if search is not None:
        url = search.name("url") or (f"https://{search.name('host')}:9200" if search.name("host") else "")
        if url:
            out["search_url"] = url
    out["store"] = display(component)
    return out


_WHAT = {"hosts": "the hosts, space-separated", "host": "a host", "unit": "the systemd unit", "db": "the database",
         "db_host": "the database host", "redis_host": "the Redis host", "slot": "the replication slot",
         "backend": "the HAProxy backend", "socket": "the HAProxy admin socket path", "worker_unit": "the worker unit",
         "worker_hosts": "the worker hosts", "search_url": "the cluster URL", "first_server": "a backend server",
         "dependency": "the service the reconnects hit", "store": "the store", "jobs_db": "the job database",
         "bootstrap": "the Kafka bootstrap servers", "group": "the consumer group",
         "lb_hosts": "the HAProxy hosts, space-separated", "lb_host": "an HAProxy host"}


def _fill(text: str, values: dict[str, str], *, shell: bool) -> str:
    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in values:
            return values[key]
        if not shell:
            return {"dependency": "the dependency"}.get(key, _WHAT.get(key, key))
        return _guarded(key.upper(), _WHAT.get(key, key))
    return re.sub(r"\{([a-z_]+)\}", one, text)


@dataclass(frozen=True)
class Known:
    title: str
    checks: list[Command]
    fix: list[Step]


def known_response(mode: FailureMode, component: Component, model: ServiceModel, description: str) -> Known | None:
    """The checks and mitigations technology knowledge gives for this failure, filled with the model's
    names (a guarded variable for a name it does not give)."""
    entry = response_for(mode, model, description)
    if entry is None:
        return None
    techs = _technologies(model, description)
    values = _values(component, model, description, mode)
    checks = [cmd(_fill(c["purpose"], values, shell=False), _fill(c["code"], values, shell=True),
                  _fill(c.get("expect", ""), values, shell=False) or None)
              for c in entry.get("checks", []) if _has(c.get("needs", ""), techs) and c.get("code")]
    fix: list[Step] = []
    for m in entry.get("mitigations", []):
        if not _has(m.get("needs", ""), techs):
            continue
        action = _fill(m["action"], values, shell=False)
        command = cmd(action.split(":")[0], _fill(m["code"], values, shell=True), None,
                      _fill(m.get("warning", ""), values, shell=False) or None) if m.get("code") else None
        fix.append(Step(action=action, command=command))
    for never in entry.get("never", []):
        fix.append(Step(action=f"Never: {_fill(never, values, shell=False)}", command=None))
    return Known(_fill(entry["title"], values, shell=False), checks, fix)


def _contradicts(step: Step, mode: FailureMode) -> bool:
    """A knowledge step that does what the team forbids for this failure ("do not restart the pods for
    this" and a generic restart): the team's words win."""
    c = cues()
    for _name, words, command in c.operations:
        if words.search(mode.prohibition) and (words.search(step.action) or (
                step.command is not None and command.search(step.command.code))):
            return True
    return False


def title_words(mode: FailureMode) -> str:
    """A short title from the failure's own words: the consequence's first clause, asides in brackets and
    filler left out ("a node dying) they all reconnect…" never)."""
    text = re.sub(r"\([^)]*\)?|\[[^]]*\]", " ", mode.consequence or mode.evidence)
    text = re.sub(r"(?i)^(?:known failure(?: mode)?s?|the risk is|watch out for)\W*", "", text.strip())
    clauses = [c for c in re.split(r"[;:,]|\s[-–—]\s|\.\s", text) if c.strip()]
    # "It breaks when …: Redis hits maxmemory": a two-word clause says nothing, the next one does
    first = next((c for c in clauses if len(c.split()) > 2), clauses[0] if clauses else "")
    trigger = re.sub(r"\([^)]*\)?", " ", mode.trigger)
    words = " ".join(first.split())
    if (len(words.split()) < 3 or re.match(r"(?i)(?:is|are|was|were|gets?|goes|go|has|have)\b", words)) and trigger:
        words = f"{' '.join(trigger.split())}: {words}" if words else " ".join(trigger.split())
    return _short(words[:1].upper() + words[1:], 60)


@dataclass(frozen=True)
class Written:
    contribution: Contribution
    keys: dict[str, str]  # entry title -> key


def contribute(ctx: Context, parts: dict[str, Contribution], signals: list[Signal], escalate: str) -> Written:
    """One troubleshooting entry per failure mode of the model; the rules of a component join its entries
    and the deployment caveats."""
    out = Contribution()
    model = ctx.model
    if model is None or not model.failures:
        return Written(out, {})
    from agent.knowledge.repository_alerts import name_words, names_failure  # late: it reads this module's titles

    titles: set[str] = set()
    rules = [f for f in model.failures if f.kind == "rule"]
    named = name_words(model)
    programs = {w for p in model.procedures for w in _words(p.command.split()[0])} if model.procedures else set()
    for index, mode in enumerate(f for f in model.failures if f.kind == "failure"):
        component = model.component(mode.component) if mode.component else model.app
        if component is None:
            continue
        part = _pack_of(component, parts)
        name = display(component) if component is not model.app else model.service.display
        description = ctx.facts.description or ""
        known = known_response(mode, component, model, description)
        words = title_words(mode)
        if mode.title:  # a listed item: the team's own title, whatever knowledge calls it
            title = f"{KNOWN}{_short(mode.title[:1].upper() + mode.title[1:], 80)}"
        else:
            title = f"{KNOWN}{known.title}" if known is not None else \
                f"{KNOWN}{words}" if name.lower() in words.lower() else f"{KNOWN}{name}: {words}"
        while title in titles:
            title += " (again)"
        titles.add(title)
        skip = _own_words(component, model)
        shown = _shown_by(mode, part.signals if part is not None else signals if component is model.app else [], skip)
        symptoms = [f"The team's words: “{mode.evidence.strip()}”", f"Component: {name}"]
        if mode.trigger:
            symptoms.append(f"Set off by: {mode.trigger}")
        if mode.consequence and mode.consequence.lower() != mode.title.lower():  # not the title again
            symptoms.append(f"What follows: {mode.consequence}")
        team_alert = next((a for a in model.alerts if a.source_format == "description" and
                           names_failure(a.name, title.removeprefix(KNOWN), named)), None)
        if team_alert is not None:
            symptoms.append(f"The team's alert that shows it: {team_alert.name}")
        elif shown is not None:
            symptoms.append(f"The alert that shows it: {shown.name} ({shown.condition})")
        team_checks, team_fixes = failure_actions.commands(mode, ctx)
        # else the team's own commands for what the failure names, or its status commands
        team_checks = team_checks or team_commands.checks(model, f"{title.removeprefix(KNOWN)} {mode.consequence}",
                                                          2) or team_commands.status(model)
        checks = [*team_checks, *(known.checks if known is not None else []), *_checks(ctx, component, part, mode)[
            :1 if (known is not None and known.checks) or team_checks else 3]]
        for other_id in mode.related:
            other = model.component(other_id)
            if other is not None and other is not component:
                checks += _checks(ctx, other, _pack_of(other, parts))[:1]
        fix: list[Step] = []
        steps = mode.action.splitlines()
        if len(steps) > 1:  # the team's procedure, step by step in its order, its commands in its words
            fix.append(Step(action="The team's procedure, in its order (from the description):", command=None))
            fix += [Step(action=step, command=None) for step in steps]
        elif mode.action:
            waits = cues().no_action.search(mode.action) is not None and not team_fixes
            fix.append(Step(action=f"The team says nothing needs doing: “{mode.action}”" if waits
                            else f"The team's action: {mode.action}", command=None))
            fix += [Step(action=c.purpose, command=c) for c in team_fixes]
        if mode.trigger and known is None and not mode.action:
            fix.append(Step(action=f"Contain what sets it off first ({mode.trigger}), then let {name} recover",
                            command=None))
        if known is not None:
            # technology knowledge, after the team's own action (the team's words win where both speak)
            fix += [s for s in known.fix if not (mode.action or mode.prohibition) or not _contradicts(s, mode)]
        # a rule of the service itself joins the entry when it is about what the failure is: two words in
        # common with its title, trigger or consequence, beyond the service's own and the team's programs'
        about = _words(f"{title.removeprefix(KNOWN)} {mode.trigger} {mode.consequence}") - skip - programs
        own_rules = [r for r in rules if (r.prohibition or r.action) and r.component == component.id and (
            component is not model.app or len(about & _words(r.evidence)) >= 2)]
        for text in dict.fromkeys([mode.prohibition, *(r.prohibition or r.action for r in own_rules)]):
            if text:
                fix.append(Step(action=f"The team's rule: “{text}”", command=None))
        if not mode.action and known is None:
            fix.append(Step(action="The description states no fix for this and no known procedure fits: escalate "
                                   "with the team's words above before changing anything on " + name, command=None))
        verify = ("The failure no longer shows" + (f" ({_short(mode.consequence, 90)})" if mode.consequence else "")
                  + " and the checks above stay normal for 30 min")
        out.issues.append(Issue(title=title, symptoms="; ".join(symptoms) + ".", alert=None, check=checks,
                                fix=fix, verify=verify, escalate=escalate))
        out.covers[title] = f"known.{component.id}.{index}"
    for rule in rules:
        component = model.component(rule.component) if rule.component else None
        where = f" ({display(component) if component is not model.app else model.service.display})" \
            if component is not None else ""
        out.deploy_caveats.append(f"The team's rule{where}: “{rule.evidence.strip()}”")
    return Written(out, dict(out.covers))


# --- the team's rules as warnings on generic steps --------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    text: str  # the team's words
    operation: re.Pattern[str]  # what a command doing it looks like
    words: re.Pattern[str]  # what a step's text doing it says
    at_once: bool  # only doing it to all members at once is forbidden
    scope: tuple[str, ...]  # words a command on that component contains ("" entries: any command)
    note: str = ""  # knowledge's warning, said as itself (not "the team says")
    unless: re.Pattern[str] | None = None  # a command that already does what the warning asks
    values: dict[str, str] | None = None  # names a drained rewrite needs (long-lived connections behind HAProxy)
    withhold: bool = False  # an unconditional "don't fail over": the generic command is not given at all


def _rules(model: ServiceModel) -> list[_Rule]:
    c = cues()
    out: list[_Rule] = []
    for mode in model.failures:
        for text in (mode.prohibition, mode.action if c.limit.search(mode.action) else ""):
            if not text:
                continue
            component = model.component(mode.component) if mode.component else None
            scope: tuple[str, ...] = ()
            if component is not None and component is not model.app:
                scope = tuple(w for w in {component.technology, *(n.value for n in component.names
                                                                 if len(n.value) > 2)} if w)
            for name, words, command in c.operations:
                if words.search(text):
                    partial = bool(c.all_at_once.search(text) or c.limit.search(text))
                    withhold = text == mode.prohibition and name in c.withheld and not partial and \
                        not c.conditional.search(text)
                    out.append(_Rule(mode.evidence.strip(), command, words, partial, scope, withhold=withhold))
    return out


def _comment(text: str) -> str:
    """The team's words on one comment line."""
    return " ".join(text.split())[:200]


def _plain(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _applies(rule: _Rule, text: str, code: str, c: Any) -> bool:
    """Whether a command (`code`) or a step without one (`text`) does what the rule limits or forbids."""
    if _plain(rule.text) in _plain(text) or text.startswith("The team's"):
        return False  # the team's own words are already there
    if not (rule.operation.search(code) if code else rule.words.search(text)):
        return False
    if rule.scope and not any(s.lower() in (code + " " + text).lower() for s in rule.scope):
        return False
    if rule.unless is not None and rule.unless.search(code):
        return False
    if rule.note and rule.at_once:
        return bool(_EVERY_NODE.search(code) or c.all_command.search(code))
    return not rule.at_once or bool(c.all_command.search(code) or c.all_at_once.search(text))


_EVERY_NODE = re.compile(r"for \w+ in\b|\bon_hosts\b|\brolling\b|\$HOSTS\b")


def _procedure_rules(model: ServiceModel, description: str) -> list[_Rule]:
    """The generic procedures (restart, deploy, rollback, stop) checked against what the model says:
    long-lived connections need a drain, a clustered store allocation control, a store is never stopped
    on every node to stop writes (data: `procedures` in failure_responses.yaml)."""
    data = responses()
    techs = _technologies(model, description)
    storm = next((f for f in model.failures if f.kind == "failure" and re.search(r"(?i)reconnect", f.evidence)), None)
    # the names a drained restart needs, whether or not the team named the storm it prevents
    values = _values(model.app, model, description, storm) if model.app is not None else {}
    out: list[_Rule] = []
    for spec in data.get("procedures", {}).values():
        if "said" in spec and not (re.search(spec["said"], description) or storm is not None):
            continue
        scope: tuple[str, ...] = ()
        if "technologies" in spec:
            present = [t for t in spec["technologies"] if t in techs]
            if not present:
                continue
            scope = tuple(present)
        drain = ""
        if "haproxy" in techs and "said" in spec:
            drain = (" (on every HAProxy host" + (f", {values['lb_hosts']}" if "lb_hosts" in values else "")
                     + ": echo \"set server " + values.get("backend", "BACKEND") + "/SERVER state drain\" | sudo socat "
                     "stdio " + values.get("socket", "ADMIN_SOCKET") + ", let its sessions bleed off, restart, then "
                     "'state ready')")
        note = spec["warning"].replace("{storm}", " (the team's known failure: a reconnect storm onto "
                                       + values.get("dependency", "what the clients authenticate against") + ")"
                                       if storm is not None else "").replace("{drain}", drain)
        command = re.compile(spec["command"], re.I)
        words = re.compile(r"(?i)\b(?:restart|deploy|roll back|rollback|stop)\b")
        out.append(_Rule(note, command, words, bool(spec.get("every_node")), scope, note,
                         re.compile(spec["unless"], re.I) if spec.get("unless") else None,
                         values if "said" in spec and "haproxy" in techs else {}))
    return out


# A host-by-host loop as the engine writes it (agent/hostloops.py turns it into `rolling …` at render time)
_ROLLING = re.compile(r'(?P<head>for HOST in \$HOSTS; do\n  echo "== \$HOST"\n)  '
                      r'(?P<ssh>ssh "\$HOST" .+ \|\| break)\ndone',
                      re.M)


def drained(code: str, values: dict[str, str]) -> str | None:
    """A host-by-host restart of a service with long-lived connections behind HAProxy, rewritten to drain
    each host on every HAProxy first, let its sessions bleed off, and put it back after; None when the
    names it needs (backend, admin socket, HAProxy hosts) are not all given or it is no such loop."""
    found = _ROLLING.search(code)
    if found is None or not all(k in values for k in ("backend", "socket", "lb_hosts", "lb_host")):
        return None
    backend, sock, lbs, lb = values["backend"], values["socket"], values["lb_hosts"], values["lb_host"]

    def on_lbs(state: str) -> str:
        return (f"  for LB in {lbs}; do ssh \"$LB\" \"echo 'set server {backend}/$HOST state {state}' | sudo socat "
                f"stdio {sock}\"; done")
    loop = "\n".join([
        "# the backend's server names are taken to be the host names (check with show stat first)",
        found.group("head").rstrip("\n"),
        on_lbs("drain"),
        "  # let its sessions bleed off (scur, the 5th field of show stat) for up to 10 min before the restart",
        "  for _ in $(seq 60); do",
        f"    LEFT=$(ssh {lb} \"echo 'show stat' | sudo socat stdio {sock}\" | awk -F, -v s=\"$HOST\" "
        f"'$1==\"{backend}\" && $2==s {{print $5}}')",
        "    [ \"${LEFT:-0}\" -le 100 ] && break",
        "    sleep 10",
        "  done",
        f"  {found.group('ssh')}",
        on_lbs("ready"),
        "done",
    ])
    return code[:found.start()] + loop + code[found.end():]


def warn(section: Any, model: ServiceModel | None, description: str = "") -> Any:
    """`section` (a runbook section, or a list of them) with the team's rules on every command and step
    that does what a rule limits or forbids, and knowledge's warning on every generic procedure that
    would set off what the model says (`_procedure_rules`)."""
    if model is None:
        return section
    rules = _rules(model) + _procedure_rules(model, description)
    if not rules:
        return section
    return _walk(section, rules)


def _walk(node: Any, rules: list[_Rule]) -> Any:
    c = cues()
    if isinstance(node, list):
        return [_walk(x, rules) for x in node]
    if isinstance(node, Command):
        # a dry run of what the team forbids is its first step ("--reset-offsets … --dry-run"): withheld too
        rehearsal = re.search(r"--dry-run\b|--dryrun\b|--preview\b", node.code) is not None
        said_of = f"{node.purpose} {node.warning or ''}"
        withheld = next((r for r in rules if r.withhold and not r.note and (
                         classify(node.code) != "read-only" or rehearsal) and _applies(r, said_of, node.code, c)), None)
        if withheld is not None:  # the team ruled it out: a warning above a failover is still a failover
            return node.model_copy(update={
                "purpose": f"Not given here: {node.purpose[:1].lower()}{node.purpose[1:]}",
                "code": f"# The team forbids this: “{_comment(withheld.text)}”\n"
                        "# Escalate with the checks above instead of doing it by hand",
                "expect": None, "warning": None})
        said = [r.note or f"The team says: “{r.text}”" for r in rules
                if _applies(r, f"{node.purpose} {node.warning or ''}", node.code, c)
                and not (r.note and r.note in (node.warning or ""))]
        if not said:
            return node
        rewrite = next((new for r in rules if r.values and _applies(r, node.purpose, node.code, c)
                        for new in [drained(node.code, r.values)] if new), None)
        if rewrite is not None:  # changed, not only warned: each host drained first, put back after
            said = [t.split(" Drain the node")[0] + " Each host is drained on HAProxy first and put back after."
                    if t.startswith("This service holds long-lived") else t for t in said]
        note = " ".join(dict.fromkeys(said))
        if rewrite is not None:
            return node.model_copy(update={"code": rewrite, "warning": f"{node.warning} {note}" if node.warning
                                           else note})
        return node.model_copy(update={"warning": f"{node.warning} {note}" if node.warning else note})
    if isinstance(node, Step):
        command = _walk(node.command, rules) if node.command is not None else None
        said = [] if node.command is not None else [r.text for r in rules
                                                    if not r.note and _applies(r, node.action, "", c)]
        action = node.action + "".join(f" (the team says: “{t}”)" for t in dict.fromkeys(said))
        return node.model_copy(update={"command": command, "action": action})
    if isinstance(node, BaseModel):
        update = {}
        for key in type(node).model_fields:
            value = getattr(node, key)
            if isinstance(value, (BaseModel, list)):
                new = _walk(value, rules)
                if new is not value:
                    update[key] = new
        return node.model_copy(update=update) if update else node
    return node
