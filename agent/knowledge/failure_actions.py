"""The team's fix for a known failure, said in words, as the commands that do it.

"Fix: rolling restart of label-svc", "suspend the CronJob until the fix ships", "stop the timer on
ops-batch-1", "check that env var on the running pods first", "start fanout-worker with RESUME_FROM=now",
"terminate them" (sessions of an application_name): each is an operation on an object the team's words
name. The operations and their command per platform are data (`data/failure_actions.yaml`); this module
finds the object in the model and the description (never a name made up: a guarded variable where none
is given) and fills the template, every value shell-quoted. A backticked command in the fix runs as written.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.checks.danger import classify
from agent.checks.shell import syntax_errors
from agent.knowledge import team_commands
from agent.knowledge.base import Context
from agent.knowledge.platforms.base import cmd, q
from agent.runbook import Command
from agent.service.commands import described_programs, is_quoted_command, runnable
from agent.service.model import FailureMode, ServiceModel

_WORKLOAD_ROLES = ("deployment", "statefulset", "daemonset", "compose_service", "ecs_service", "unit")
_IDENT = re.compile(r"(?<![\w./$-])([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+)(?![\w/-])")
_ENV_VAR = re.compile(r"(?<![\w$])([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])(?![\w])")
_ASSIGN = re.compile(r"(?<![\w$])([A-Z][A-Z0-9_]{2,})=([\w.:/-]+)")
_UNIT = re.compile(r"(?<![\w-])([a-z][\w@.-]*\.(?:timer|service))(?![\w-])")
_APP_NAME = re.compile(r"application_name\s*(?:=\s*)?['\"`]?([\w.-]+)['\"`]?", re.I)
_BACKTICK = re.compile(r"`([^`\n]{3,200})`")


@cache
def knowledge() -> dict[str, Any]:
    text = resources.files("agent.knowledge").joinpath("data/failure_actions.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _said(value: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text, re.I) is not None


def _sentence_of(value: str, description: str) -> str:
    """The first sentence (or list line) of the description that names `value`, outside its failure lists."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)])\s)", description):
        if _said(value, sentence):
            return sentence
    return ""


def _namespace(model: ServiceModel, obj: str, description: str, default: str) -> str:
    """The namespace the description puts `obj` in: a model namespace in the sentence that names it, else
    the component's that names it, else `default` (the service's)."""
    spaces = list(dict.fromkeys(n.value for _, n in model.all_names() if n.role == "namespace"))
    sentence = _sentence_of(obj, description)
    near = [s for s in spaces if _said(s, sentence)]
    if near:
        return near[0]
    for comp, name in model.all_names():
        if name.value == obj and comp.name("namespace"):
            return comp.name("namespace") or default
    return default


def _kind(model: ServiceModel, obj: str, description: str) -> str:
    for _, name in model.all_names():
        if name.value == obj and name.role in ("statefulset", "daemonset", "deployment"):
            return name.role
    sentence = _sentence_of(obj, description).lower()
    for kind in ("statefulset", "daemonset"):
        if kind in sentence.replace(" ", ""):
            return kind
    return "deployment"


def _workload(clause: str, model: ServiceModel, description: str) -> str | None:
    """A workload the clause names: a model workload name, else an identifier the description gives as a
    name (written more than in passing: it is not a host, a URL or a word of the clause's own)."""
    for _, name in model.all_names():
        if name.role in _WORKLOAD_ROLES and len(name.value) > 2 and _said(name.value, clause):
            return name.value
    hosts = {n.value for _, n in model.all_names() if n.role in ("host", "namespace", "cluster", "context",
                                                                   "queue", "dlq", "table", "bucket")}
    for m in _IDENT.finditer(clause):
        if m.group(1) not in hosts and "-" in m.group(1) and _said(m.group(1), description):
            return m.group(1)
    return None


def _host_in(text: str, model: ServiceModel) -> str | None:
    for _, name in model.all_names():
        if name.role == "host" and _said(name.value, text):
            return name.value
    return None


def _guard(name: str, what: str) -> str:
    return f'"${{{name}:?set {name} ({what})}}"'


def _platform_key(platform: Any) -> str:
    from agent.knowledge.platforms.compose import Docker
    from agent.knowledge.platforms.ecs import ECS
    from agent.knowledge.platforms.kubernetes import Kubernetes

    if isinstance(platform, Kubernetes):
        return "kubernetes"
    if isinstance(platform, Docker):
        return "docker"
    if isinstance(platform, ECS):
        return "ecs"
    return "host" if getattr(platform, "key", "") in ("vm", "baremetal") else "other"


def _db(model: ServiceModel) -> tuple[str, str]:
    database = next((c for c in model.components if c.technology == "postgresql"), None)
    host = (database.name("host") or database.name("instance")) if database is not None else None
    db = database.name("database") if database is not None else None
    return (q(host) if host else _guard("DB_HOST", "the PostgreSQL host"),
            q(db) if db else _guard("DB", "the database"))


def _values(spec: dict[str, Any], clause: str, mode: FailureMode, ctx: Context, platform: Any, key: str
            ) -> dict[str, str] | None:
    """The template's values for this clause, or None when its object is not there."""
    model = ctx.model
    assert model is not None
    description = ctx.facts.description or ""
    words = mode.evidence
    own = str(getattr(platform, "workload", "") or getattr(platform, "svc", "") or getattr(platform, "service", ""))
    out: dict[str, str] = {}
    kind = spec["object"]
    if kind == "workload":
        obj = _workload(clause, model, description)
        out["object"] = obj or own
        if not out["object"]:
            return None
    elif kind == "cronjob":
        named = [n.value for _, n in model.all_names() if n.role == "cronjob" and _said(n.value, words)]
        if not named:
            return None
        out["object"] = named[0]
    elif kind == "unit":
        units = [m.group(1) for m in _UNIT.finditer(words)]
        if not units:
            return None
        out["unit"] = units[0]
        base = units[0].rsplit(".", 1)[0]
        out["timer_base"] = base
        if units[0].endswith(".timer") and re.search(r"(?i)\bjob\b|\bservice\b|\brun\b", clause):
            out["unit"] = f"{units[0]} {base}.service"  # the timer and the job it starts
        host = _host_in(clause, model) or _host_in(words, model)
        out["host"] = host or ""
    elif kind == "env":
        found = [m.group(1) for m in _ENV_VAR.finditer(words)]
        if not found:
            return None
        out["var"] = found[0]
        out["object"] = own
    elif kind == "assign":
        assign = _ASSIGN.search(clause)
        obj = _workload(clause, model, description)
        if assign is None or obj is None:
            return None
        out.update(var=assign.group(1), value=assign.group(2), object=obj)
    elif kind == "sessions":
        app_name = _APP_NAME.search(words)
        if app_name is None or not any(c.technology == "postgresql" for c in model.components):
            return None
        out["app_name"] = app_name.group(1)
        out["db_host"], out["db"] = _db(model)
    if key == "kubernetes" and "object" in out:
        default = str(getattr(platform, "wns", "") or getattr(platform, "ns", ""))
        obj = out["object"]
        out["ns"] = _namespace(model, obj, description, default) if obj != own else default
        out["kind"] = str(getattr(platform, "kind", "deployment")) if obj == own else _kind(model, obj, description)
        out["selector"] = str(getattr(platform, "selector", f"app={obj}")) if obj == own else f"app={obj}"
    if key == "docker":
        out["dc"] = str(getattr(platform, "dc", "docker compose"))
    if key == "ecs":
        out["cluster"] = str(getattr(platform, "cluster", ""))
        region = str(getattr(platform, "region", "") or "")
        out["region"] = f" --region {q(region)}" if region else ""
    if key == "host" and "unit" not in out:
        units = [n.value for _, n in model.all_names() if n.role == "unit" and _said(n.value, clause)]
        host = _host_in(clause, model) or _host_in(words, model)
        if not units or not host:
            return None
        out.update(unit=units[0], host=host)
    return out


_RAW = frozenset({"dc", "region", "unit"})  # already shell words (a command prefix, a flag, units)


def _fill(text: str, values: dict[str, str], *, shell: bool) -> str:
    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key == "app_name_sql":
            return values.get("app_name", "").replace("'", "''")
        value = values.get(key, "")
        if not shell or key in _RAW or key in ("db_host", "db") or value.startswith('"${'):
            return value
        if key == "unit":
            return " ".join(q(u) for u in value.split())
        return q(value) if value else _guard(key.upper(), key)
    filled = re.sub(r"\{([a-z_]+)\}", one, text)
    return filled


_CLAUSE_END = re.compile(r";\s*|,\s*(?:and\s+)?then\s+|,\s+and\s+(?=if\b)|\.\s+")


def _clauses(action: str) -> list[str]:
    """The action's clauses; a backticked command is never cut (`psql -c 'SHOW POOLS;'`)."""
    out: list[str] = []
    start = 0
    spans = [m.span() for m in _BACKTICK.finditer(action)]
    for m in _CLAUSE_END.finditer(action):
        if any(a < m.start() < b for a, b in spans):
            continue
        out.append(action[start:m.start()])
        start = m.end()
    out.append(action[start:])
    return [c.strip() for c in out if c.strip()]


# a clause that says the team looks ("check with …", "look at … with", "see which …", "verify …")
_CHECK_CLAUSE = re.compile(r"(?i)^\W*(?:(?:and|then|first)\s+)*(?:check|look|see|verify|confirm|inspect|watch|read)\b")


# the words before a command that say it is where the others run
_WHERE = re.compile(r"(?i)\b(?:inside|within|from\s+(?:a|an|the)?|run\s+in)\s*$")


def _head(command: str) -> str:
    """A command's first words, for a title: "journalctl -u cassandra --since …" is "journalctl -u cassandra"."""
    words = command.split()
    head = [words[0]]
    for word in words[1:4]:
        if not re.fullmatch(r"[a-z][\w-]*", word):  # a flag, a value, a path: the command's name ends before it
            break
        head.append(word)
    return " ".join(head) + (" …" if len(words) > len(head) else "")


def commands(mode: FailureMode, ctx: Context) -> tuple[list[Command], list[Command]]:
    """(diagnosis checks, fix commands) for the team's own action on this failure; empty where the
    operation or its object is not known."""
    model = ctx.model
    if model is None or not mode.action:
        return [], []
    from agent.knowledge.platforms import platform_for  # late: platforms import the packs' helpers

    platform = platform_for(ctx)
    key = _platform_key(platform)
    data = knowledge()
    techs = {c.technology for c in model.components}
    checks: list[Command] = []
    for spec in data.get("diagnoses", []):
        if spec.get("needs") and spec["needs"] not in techs:
            continue
        if re.search(spec["words"], mode.evidence, re.I):
            values = _values(spec, mode.action, mode, ctx, platform, key)
            if values is not None:
                checks.append(cmd(_fill(spec["purpose"], values, shell=False), _fill(spec["code"], values, shell=True),
                                  _fill(spec.get("expect", ""), values, shell=False) or None))
    fixes: list[Command] = []
    seen: set[str] = set()
    known = described_programs(ctx.facts.description or "")
    for clause in _clauses(mode.action):
        given = False
        for found in _BACKTICK.finditer(clause):
            raw = found.group(1)
            if _WHERE.search(clause[:found.start()]):
                continue  # "(inside `cephadm shell --name osd.N`)": where the other commands run, not a step
            # as written, but a `<name>` placeholder becomes a guarded variable (bash reads it as a redirection)
            code = runnable(raw)
            if not is_quoted_command(raw, known) or syntax_errors([code]):  # in the team's backticks
                continue
            given = True
            danger = classify(code)
            looks = team_commands.as_check(code, _head(raw)) if not fixes else None
            if looks is not None:  # what the team looks at before it acts is a check
                checks.append(looks)
            elif danger != "destructive" and _CHECK_CLAUSE.match(clause):
                # "Check with `echo stats | nc host 11211`": the team says it looks, whatever the tool
                checks.append(cmd(f"The team's check: {_head(raw)}", code, None, team_commands.UNKNOWN_WARNING))
            else:
                fixes.append(cmd("The team's own command, as written", code, None,
                                 None if danger == "read-only" else "The team's command from the description: "
                                 "it changes the system, run it only for this failure"))
        for spec in [] if given else data.get("actions", []):  # the team's command is the operation
            if spec.get("needs") and spec["needs"] not in techs:
                continue
            if not re.search(spec["words"], clause, re.I):
                continue
            template = spec["platforms"].get(key) or spec["platforms"].get("any")
            if template is None:
                continue
            values = _values(spec, clause, mode, ctx, platform, key)
            if values is None or (key == "host" and not values.get("host")):
                continue
            code = _fill(template["code"], values, shell=True)
            if code in seen:
                continue
            seen.add(code)
            made = cmd(_fill(template["purpose"], values, shell=False), code,
                       _fill(template.get("expect", ""), values, shell=False) or None,
                       _fill(template.get("warning", ""), values, shell=False) or None)
            (checks if spec.get("stage") == "check" else fixes).append(made)  # "check X first" is a check
            break  # one operation per clause: "rolling restart" is not also a "start"
    return checks, fixes
