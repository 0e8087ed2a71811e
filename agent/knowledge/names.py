"""Which names the knowledge layer may put in a command: a guard between the service model and the packs.

The description parser (agent/service/text.py) binds the word after a keyword to a role ("the database
is down" -> database `down`, "Cloud SQL instance max_connections 500" -> instance `max_connections`).
A command built on such a word fails at 3 a.m. and reads as if the user had said it. Until the parser
never does that, `plausible` drops, from a copy of the model the engine reasons on, every name that
came from the description and is plainly not a name: an ordinary English word, a language, a config
key or version with its number, a team, a chat channel. The engine then falls back to a guarded
variable or a default it lists under "Assumed, not told". Names the user confirmed, edited or that
came from a repository are never dropped.

The accessor's other half (`fill_in`, `guard`): a name the model does not give is never made from the
service's slug (`orders-api-db`, `orders_api`): `Facts.name` hands the command a shell variable
(`${POSTGRES_DATABASE}`) instead, and `guard` declares it at the top of each command that uses it, so the
command stops with "set POSTGRES_DATABASE to …" until the reader fills it in.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from agent.runbook import Command
from agent.service.model import Component, Name, ServiceModel
from agent.service.vocabulary import vocabulary

# Words that follow a role keyword in ordinary sentences ("the table is throttled", "index pattern",
# "database connectivity") and are never what a resource is called. Kept short on purpose: real names
# are often English words too (orders, payments, sessions), so only words no one names a resource.
NOT_NAMES = frozenset("""
a an the this that these those it its is are was were be been being has have had will would can could
should must may might do does did not no none any some all each every both either neither one two three
and or but if then than so as at by for from in into of off on onto out over to up down via with within
without per under after before behind during while where when which who whose what how why
also only just still again already yet very too much many more most less least other another same such
here there now always never often sometimes usually
up down slow fast full empty busy idle healthy unhealthy degraded broken failing failed stuck hung
unavailable available unreachable reachable offline online ok fine bad good high low hot cold
capacity connectivity connection connections latency throughput usage utilisation utilization size
load errors error timeouts timeout performance availability reliability durability consistency
pattern patterns name names naming identifier id ids key keys value values setting settings config
configuration parameter parameters limit limits quota quotas version versions engine engines
restore restores replication migration migrations schema schemas storage space
team teams owner owners group groups channel people person region regions zone zones
written built hosted deployed running run runs used using uses managed owned served based called named
behind fronted backed shared dedicated autoscaled scaled throttled sharded replicated partitioned encrypted
provisioned paused stopped started restarted enabled disabled configured
""".split())

# Languages and runtimes: "a Celery app written in Python", "Node 20 service".
LANGUAGES = frozenset("""
python python3 java kotlin scala groovy go golang rust ruby php perl node nodejs node.js javascript
typescript deno bun elixir erlang clojure haskell ocaml csharp c# dotnet .net swift dart lua r julia
""".split())

# Roles whose value is a resource inside a product: the product's own name there ("the Aurora database",
# "a Kafka topic") is the technology, not a name. Units, namespaces, hosts and workloads are often called
# after their technology (`redis`, `kafka`, `nginx`), so they are not in this list.
_INSIDE = frozenset({"database", "schema", "table", "index", "keyspace", "instance", "queue", "dlq", "topic",
                     "consumer_group", "subscription", "vhost", "celery_app", "replica_set", "global_cluster",
                     "replication_group", "stanza", "bucket", "function", "rest_api", "connector", "stream"})


# Technology words that are also what people call a queue, table or database ("stripe" webhooks, a "cron"
# table, the "secrets" database): kept as names.
_ALSO_NAMES = frozenset("""
web data service services cloud server search cache store events event jobs sql app api file files queue
stream platform proxy application auto load message object managed container containers key new secret
secrets unit network simple virtual physical horizontal bare compute pager connector connectors stripe
twilio sendgrid vault consul spark phoenix express spring temporal flux snowflake sentry fly rails flask
elastic sentinel sentinels compose cron crontab ingress
""".split())


def _technology_words() -> frozenset[str]:
    """Every technology id and word of the vocabulary, and each part of a multi-word one ("Aurora PostgreSQL")."""
    words = {w.casefold() for t in vocabulary().technologies.values() for w in (t.id, *t.words)}
    # the brand that leads a multi-word name (Aurora, Amazon, Apache, Azure), not its generic tail (gateway)
    parts = {w.split()[0] for w in words if " " in w and len(w.split()[0]) > 2}
    return frozenset((words | parts) - _ALSO_NAMES)


# Roles that are chat or paging destinations, not resources: a name seen right after one of these
# words ("Telegram group tidepool-alerts", "Slack channel #db-oncall") belongs to no component role.
_CHAT = re.compile(r"\b(?:telegram|slack|discord|ms\s+teams|mattermost|zulip|google\s+chat)"
                   r"(?:\s+(?:group|channel|chat|room))?\s+(?:called\s+|named\s+)?[#@]?$", re.I)
_TEAM_AFTER = re.compile(r"\s+(?:team|squad|guild|crew|on-?call|rotation)\b", re.I)
# "max_connections 500", "Python 3.12", "work_mem = 64MB": a key or a product with its value.
_VALUE_AFTER = re.compile(r"\s*[=:]?\s*v?\d", re.I)
_CONFIG_KEY = re.compile(r"^[a-z]+(?:_[a-z0-9]+)+$|^[a-z]+(?:[A-Z][a-z0-9]+)+$")  # max_connections, maxReceiveCount
# Origins of names read from the description (by the parser, its guesses, or a model reading it); what the
# user confirmed or edited and what a repository declares are kept whatever they look like.
_FROM_TEXT = frozenset({"given", "assumed", "llm"})


_TECHNOLOGIES = _technology_words()


def _near(evidence: str, value: str) -> list[tuple[str, str]]:
    """(text before, text after) each place `value` appears as a whole word in `evidence`."""
    pattern = re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", re.I)
    return [(evidence[:m.start()], evidence[m.end():]) for m in pattern.finditer(evidence)]


def not_a_name(name: Name) -> str | None:
    """Why a name the parser read from the description is not a name (None when it may be one)."""
    if name.origin not in _FROM_TEXT:
        return None
    value = name.value.strip("`'\"")
    word = value.casefold()
    if any(f"{q}{value}{q}" in name.evidence for q in "`\"'"):
        return None  # the user marked it as a name ("StatefulSet `healthy`"): whatever word it is
    if word in NOT_NAMES:
        return "an ordinary word"
    if word in LANGUAGES:
        return "a language"
    if name.role in _INSIDE and word in _TECHNOLOGIES:
        return "a technology"
    places = _near(name.evidence, value)
    for before, after in places:
        if _TEAM_AFTER.match(after):
            return "a team"
        if _CHAT.search(before):
            return "a chat or paging destination"
        if _VALUE_AFTER.match(after) and (_CONFIG_KEY.match(value) or word in LANGUAGES):
            return "a config key with its value"
    return None


def plausible(model: ServiceModel) -> ServiceModel:
    """A copy of `model` without the description's names that are not names (the model given is unchanged)."""
    components: list[Component] = []
    changed = False
    for comp in model.components:
        kept = [n for n in comp.names if not_a_name(n) is None]
        changed = changed or len(kept) != len(comp.names)
        components.append(comp.model_copy(update={"names": kept}) if len(kept) != len(comp.names) else comp)
    return model.model_copy(update={"components": components}) if changed else model


# --- names the description does not give: a guarded shell variable, never the service's slug ------------

_VAR_OK = re.compile(r"[A-Za-z0-9_]+")


def variable_for(key: str) -> str:
    """The shell variable that stands for a facts key the description gives no value for ("postgres.database"
    -> POSTGRES_DATABASE)."""
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9]", "_", key)).strip("_").upper() or "NAME"


def built_on_service(default: str, service: str) -> bool:
    """Whether a default name is the service's slug or made from it ("orders-api", "orders_api",
    "orders-api-db", "./charts/orders-api"): a guess that reads as if the user had said it."""
    if not service or not default:
        return False
    forms = {service, service.replace("-", "_"), service.replace("_", "-")}
    return any(re.search(rf"(?<![A-Za-z0-9]){re.escape(f)}(?![A-Za-z0-9])", default, re.I) for f in forms)


def fill_in(key: str, default: str, service: str) -> str | None:
    """The variable a command uses for `key` when its default would be built on the service slug, else None
    (a conventional default such as `postgres` or `live` is not made up from the service's name)."""
    if not built_on_service(default, service):
        return None
    return variable_for(key)


def reference(variable: str) -> str:
    return "${" + variable + "}"


def _what(key: str) -> str:
    return key.replace(".", " ").replace("_", " ")


def _guarded(code: str, fill_ins: dict[str, str]) -> str:
    used = [v for v in fill_ins if reference(v) in code and not re.search(rf"(?m)^\s*(?:export\s+)?{v}=", code)]
    if not used:
        return code
    lines = [f'{v}="${{{v}:?set {v} to the {_what(fill_ins[v])} (the description does not name it)}}"' for v in used]
    return "\n".join(lines) + "\n" + _quoted(code, used)


def _quoted(code: str, variables: list[str]) -> str:
    """Each unquoted `${VAR}` of these variables double-quoted where it stands (`app="${APP}"`,
    `deployment/"${APP}"`, also inside a quoted `"$(...)"`): a name set by hand may hold anything, and
    the shell must not split it. Single-quoted text and comments are left as written."""
    refs = tuple(reference(v) for v in variables)
    out: list[str] = []
    stack = [""]  # "" unquoted (top level or inside $(...)), '"' in double quotes, "'" in single, "#" comment
    i = 0
    while i < len(code):
        ch, state = code[i], stack[-1]
        if state == "#":
            if ch == "\n":
                stack.pop()
        elif state == "'":
            if ch == "'":
                stack.pop()
        elif ch == "\\":
            out.append(code[i:i + 2])
            i += 2
            continue
        elif code.startswith("$(", i):
            stack.append("(")
            out.append("$(")
            i += 2
            continue
        elif state == '"':
            if ch == '"':
                stack.pop()
        else:  # unquoted: top level or a command substitution
            ref = next((r for r in refs if code.startswith(r, i)), None)
            if ref is not None:
                out.append(f'"{ref}"')
                i += len(ref)
                continue
            if ch in "'\"":
                stack.append(ch)
            elif ch == ")" and state == "(":
                stack.pop()
            elif ch == "#" and (i == 0 or code[i - 1] in " \t\n;"):
                stack.append("#")
        out.append(ch)
        i += 1
    return "".join(out)


def guard(node: Any, fill_ins: dict[str, str]) -> Any:
    """`node` (a runbook section, or a list of them) with each shell command that uses a fill-in variable
    declaring it first, guarded: the command stops with a message saying what to set until the reader sets
    it. `fill_ins` maps each variable to the facts key it stands for."""
    if not fill_ins:
        return node
    if isinstance(node, list):
        new = [guard(x, fill_ins) for x in node]
        return new if any(a is not b for a, b in zip(new, node, strict=True)) else node
    if isinstance(node, Command):
        if node.language != "bash":
            return node
        code = _guarded(node.code, fill_ins)
        return node if code == node.code else node.model_copy(update={"code": code})
    if isinstance(node, BaseModel):
        update = {}
        for key in type(node).model_fields:
            value = getattr(node, key)
            if isinstance(value, (BaseModel, list)):
                new = guard(value, fill_ins)
                if new is not value:
                    update[key] = new
        return node.model_copy(update=update) if update else node
    return node
