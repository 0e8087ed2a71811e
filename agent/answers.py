"""Answers to the rule's questions: from flags, a file, a terminal, or inferred from the description.

Every answer is kept as the option letters the rule offers and as canonical ids the knowledge
layer understands ("kubernetes", "24x7"), so a rule file may word its options differently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from agent.errors import UsageError
from agent.files import KB, read_text
from agent.rule import Option, Question, Rule
from agent.service.model import ServiceModel
from agent.service.vocabulary import vocabulary

# canonical id -> words that name it (the option labels of the default rule come first).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "type": {
        "web": ("web application", "web app", "webapp", "website", "frontend", "front-end", "web"),
        "api": ("api service", "api", "rest", "grpc", "graphql", "backend", "microservice"),
        "pipeline": ("data pipeline", "pipeline", "etl", "elt", "batch job", "stream processing", "airflow"),
        "worker": ("background worker", "worker", "consumer", "celery", "sidekiq", "job runner", "queue worker"),
        "database": ("database", "db", "datastore", "data store"),
        "other": ("other",),
    },
    "env": {
        "kubernetes": ("kubernetes", "k8s", "eks", "gke", "aks", "openshift", "helm", "k3s"),
        "docker": ("docker containers", "docker", "docker compose", "docker-compose", "compose", "containers"),
        "vm": ("vms", "vm", "virtual machine", "virtual machines", "ec2", "gce", "compute engine", "azure vm"),
        "serverless": ("serverless", "lambda", "aws lambda", "cloud functions", "cloud function", "faas"),
        "baremetal": ("bare metal", "bare-metal", "baremetal", "on-prem", "on prem", "physical servers"),
    },
    "criticality": {
        "critical": ("critical", "crit", "p0", "tier 0", "tier-0", "tier0", "sev1"),
        "high": ("high", "tier 1", "tier-1", "important"),
        "medium": ("medium", "med", "moderate", "tier 2", "tier-2"),
        "low": ("low", "experimental", "non-critical", "tier 3"),
    },
    "monitoring": {
        "prometheus": ("prometheus/grafana", "prometheus", "grafana", "promql", "alertmanager", "prom"),
        "datadog": ("datadog", "data dog", "dd"),
        "cloudwatch": ("cloudwatch", "cloud watch", "aws cloudwatch"),
        "newrelic": ("new relic", "newrelic", "nrql"),
        "custom": ("custom monitoring", "custom", "in-house", "homegrown"),
        "multiple": ("multiple",),
    },
    "oncall": {
        "24x7": ("24/7 coverage", "24/7", "24x7", "24-7", "round the clock", "always"),
        "business-hours": ("business hours only", "business hours", "business-hours", "office hours", "9-5"),
        "follow-the-sun": ("follow-the-sun", "follow the sun", "fts"),
        "none": ("no formal on-call", "no on-call", "none", "no", "best effort", "best-effort"),
    },
}

# Defaults used only when nothing in the description points anywhere; always recorded as assumed.
DEFAULTS = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus"}

# Description words that suggest an answer (beyond the synonyms above), with the answer they suggest.
_HINTS: dict[str, list[tuple[str, str]]] = {
    "env": [
        ("argo cd", "kubernetes"), ("argocd", "kubernetes"), ("kubectl", "kubernetes"), ("pod", "kubernetes"),
        ("namespace", "kubernetes"), ("systemd", "vm"), ("systemctl", "vm"), ("ecs", "docker"),
        ("fargate", "docker"), ("cloud run", "serverless"), ("api gateway", "serverless"),
        ("droplet", "vm"), ("datacenter", "baremetal"), ("data center", "baremetal"), ("journalctl", "vm"),
        # a host's operating system or its configuration tool: the service runs on machines it is told about
        ("rocky", "vm"), ("rocky linux", "vm"), ("rhel", "vm"), ("centos", "vm"), ("almalinux", "vm"),
        ("ubuntu", "vm"), ("debian", "vm"), ("red hat", "vm"), ("ansible", "vm"), ("puppet", "vm"),
        # a scheduler on machines (the platform then reads the job from the text: platforms/select.py)
        ("nomad", "vm"),
    ],
    "type": [
        ("postgres", "database"), ("mysql", "database"), ("mongodb", "database"), ("cassandra", "database"),
        ("kafka consumer", "worker"), ("queue", "worker"), ("cron", "pipeline"), ("spark", "pipeline"),
        ("endpoint", "api"), ("http", "api"), ("ui", "web"), ("dashboard", "web"), ("next.js", "web"),
        ("react", "web"), ("django", "web"), ("rails", "web"),
    ],
    "criticality": [
        ("revenue", "critical"), ("payment", "critical"), ("checkout", "critical"), ("customer-facing", "critical"),
        ("internal", "high"), ("supporting", "medium"), ("prototype", "low"), ("staging", "low"),
    ],
    "monitoring": [("sumo", "custom"), ("zabbix", "custom"), ("nagios", "custom"), ("x-ray", "cloudwatch")],
    "oncall": [("pagerduty", "24x7"), ("opsgenie", "24x7")],
}


@dataclass(frozen=True)
class Answer:
    key: str
    question: str
    letters: tuple[str, ...]
    values: tuple[str, ...]  # canonical ids, several for "Multiple"
    labels: tuple[str, ...]  # the rule's option labels, as shown to the user
    free_text: str | None = None  # what the user wrote for "Other (specify)" / "Multiple (specify)"
    assumed: bool = False
    reason: str = ""

    @property
    def value(self) -> str:
        return self.values[0]

    def display(self) -> str:
        shown = ", ".join(self.labels)
        if self.free_text and "other" in self.values:
            shown = f"Other: {self.free_text}"
        return shown


@dataclass(frozen=True)
class Answers:
    items: Mapping[str, Answer] = field(default_factory=dict)

    def get(self, key: str) -> Answer | None:
        return self.items.get(key)

    def value(self, key: str, default: str = "") -> str:
        answer = self.items.get(key)
        return answer.value if answer else default

    def values(self, key: str) -> tuple[str, ...]:
        answer = self.items.get(key)
        return answer.values if answer else ()

    @property
    def service_type(self) -> str:
        return self.value("type", "api")

    @property
    def environment(self) -> str:
        return self.value("env", "kubernetes")

    @property
    def criticality(self) -> str:
        return self.value("criticality", "high")

    @property
    def monitoring(self) -> tuple[str, ...]:
        return self.values("monitoring") or ("prometheus",)

    @property
    def oncall(self) -> str:
        return self.value("oncall", "24x7")

    def assumed(self) -> list[Answer]:
        return [a for a in self.items.values() if a.assumed]

    def assumption_lines(self) -> list[str]:
        """How assumed answers are recorded in a runbook, by every model alike."""
        return [f"{a.key}: {a.display()} ({a.reason})" for a in self.assumed()]

    def merged(self, other: Answers) -> Answers:
        return Answers({**self.items, **other.items})

    def missing(self, rule: Rule) -> list[Question]:
        return [q for q in rule.questions if q.key not in self.items]

    def as_dict(self) -> dict[str, Any]:
        return {
            key: {
                "letters": list(a.letters), "values": list(a.values), "labels": list(a.labels),
                "free_text": a.free_text, "assumed": a.assumed, "reason": a.reason,
            }
            for key, a in self.items.items()
        }


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def canonical(key: str, option: Option) -> str:
    """The canonical id of a rule option: via the synonym table, else a slug of its label."""
    label = _norm(option.label)
    for value, words in SYNONYMS.get(key, {}).items():
        if label in words:
            return value
    if option.kind == "other":
        return "other"
    if option.kind == "multiple":
        return "multiple"
    return re.sub(r"[^a-z0-9]+", "-", label).strip("-")


def _match_one(question: Question, token: str) -> Option | None:
    """An option named by its letter, its label, its label with detail, or a synonym."""
    token = _norm(token)
    if len(token) == 1:
        return question.option(token)
    for option in question.options:
        if token in (_norm(option.label), _norm(option.text)):
            return option
    for option in question.options:
        value = canonical(question.key, option)
        if token in SYNONYMS.get(question.key, {}).get(value, ()):
            return option
    return None


def _usage(question: Question, raw: str) -> UsageError:
    names = "; ".join(f"{o.letter}) {o.label}" for o in question.options)
    return UsageError(
        f"cannot use {raw!r} as an answer to {question.key!r} ({question.text})",
        hint=f"use a letter or a name: {names}",
    )


def parse_answer(question: Question, raw: str, *, assumed: bool = False, reason: str = "",
                 bare_other: bool = False) -> Answer:
    """Map what a user typed to an answer: 'A', 'kubernetes', 'k8s', 'F: A, C', 'other: broker'.

    `bare_other`: a flag's or a file's bare 'Other' is kept without its text, for `specify_other` to fill
    from the description (a terminal asks for the text instead)."""
    text = raw.strip()
    if not text:
        raise _usage(question, raw)
    special = {o.kind: o for o in question.options if o.kind != "choice"}
    head, sep, rest = text.partition(":")
    chosen_special: Option | None = None
    if sep:
        lead = _match_one(question, head)
        if lead is not None and lead.kind != "choice":
            chosen_special, text = lead, rest.strip()
            if not text:
                raise _usage(question, raw)

    if chosen_special is not None and chosen_special.kind == "other":
        return Answer(question.key, question.text, (chosen_special.letter,), ("other",),
                      (chosen_special.label,), text, assumed, reason)

    whole = _match_one(question, text)
    tokens = [text] if whole is not None else [t for t in re.split(r"\s*(?:,|\+|&|\band\b)\s*", text) if t.strip()]
    options: list[Option] = []
    for token in tokens:
        option = _match_one(question, token)
        if option is None:
            raise _usage(question, token if len(tokens) > 1 else raw)
        if option.kind == "multiple" and len(tokens) == 1:
            raise UsageError(
                f"{question.key!r}: 'Multiple' needs the options it stands for",
                hint=f"e.g. '{option.letter}: A, C' or 'prometheus, cloudwatch'",
            )
        if option.kind == "other" and len(tokens) == 1 and bare_other:
            return Answer(question.key, question.text, (option.letter,), ("other",), (option.label,), None,
                          assumed, reason)
        if option.kind == "other" and len(tokens) == 1:
            raise UsageError(f"{question.key!r}: 'Other' needs a description",
                             hint=f"e.g. '{option.letter}: message broker'")
        if option not in options and option.kind == "choice":
            options.append(option)
    if len(options) > 1 and "multiple" not in special:
        raise UsageError(f"{question.key!r} takes one answer, got {len(options)}",
                         hint=f"choose one of {question.letters}")
    if not options:
        raise _usage(question, raw)
    multiple = special.get("multiple")
    letters = tuple(o.letter for o in options)
    free_text = None
    if len(options) > 1 and multiple is not None:
        free_text = ", ".join(o.label for o in options)
        letters = (multiple.letter, *letters)
    return Answer(question.key, question.text, letters, tuple(canonical(question.key, o) for o in options),
                  tuple(o.label for o in options), free_text, assumed, reason)


def from_mapping(rule: Rule, data: Mapping[str, Any], source: str) -> Answers:
    """Answers keyed by question key (type, env…), question number, or the question's text."""
    items: dict[str, Answer] = {}
    aliases = {"service_type": "type", "environment": "env", "deployment": "env", "on_call": "oncall",
               "on-call": "oncall", "monitoring_tools": "monitoring"}
    for raw_key, raw_value in data.items():
        key = aliases.get(str(raw_key).strip().lower(), str(raw_key).strip().lower())
        question = rule.question(key) or next(
            (q for q in rule.questions if key in (str(q.number), q.text.lower())), None
        )
        if question is None:
            known = ", ".join(q.key for q in rule.questions)
            raise UsageError(f"{source}: unknown question {raw_key!r}", hint=f"known keys: {known}")
        if isinstance(raw_value, list):
            raw_value = ", ".join(str(v) for v in raw_value)
        if not isinstance(raw_value, str | int | float) or isinstance(raw_value, bool):
            raise UsageError(f"{source}: answer to {raw_key!r} must be text or a list of text")
        items[question.key] = parse_answer(question, str(raw_value), bare_other=True)
    return Answers(items)


MAX_ANSWERS_FILE = 64 * KB
_MAX_NODES = 10_000  # values an answers file may expand to, YAML aliases followed
_MAX_DEPTH = 32  # nesting of lists and mappings


def _json_depth(text: str) -> int:
    """The deepest nesting of [ and { in JSON text, strings skipped (json.loads itself would recurse)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _yaml_size(node: yaml.Node, path: tuple[int, ...] = ()) -> int:
    """How many values `node` expands to with its aliases followed; UsageError past the bounds."""
    if id(node) in path:
        raise UsageError("a YAML alias refers to itself")
    if len(path) > _MAX_DEPTH:
        raise UsageError(f"nested deeper than {_MAX_DEPTH} levels")
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    total = 1
    for child in children:
        total += _yaml_size(child, (*path, id(node)))
        if total > _MAX_NODES:
            raise UsageError(f"expands to more than {_MAX_NODES} values (YAML aliases)")
    return total


def _parse_yaml(text: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _yaml_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_answers_file(rule: Rule, path: Path) -> Answers:
    text = read_text(path, what="answers file", limit=MAX_ANSWERS_FILE)
    is_json = path.suffix.lower() == ".json"
    kind = "JSON" if is_json else "YAML"
    try:
        if is_json and _json_depth(text) > _MAX_DEPTH:
            raise UsageError(f"nested deeper than {_MAX_DEPTH} levels")
        data = json.loads(text) if is_json else _parse_yaml(text)
    except UsageError as exc:
        raise UsageError(f"answers file {path} is refused: {exc.message}",
                         hint="it should map question keys to answers, e.g. 'env: kubernetes'") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}"
        elif isinstance(exc, json.JSONDecodeError):
            where = f" at line {exc.lineno}"
        raise UsageError(f"answers file {path} is not valid {kind}{where}",
                         hint="it should map question keys to answers, e.g. 'env: kubernetes'") from None
    except (ValueError, RecursionError):  # a 5,000-digit number; nesting the parser itself cannot take
        raise UsageError(f"answers file {path} is not valid {kind}: a value is too large or too deeply nested",
                         hint="it should map question keys to answers, e.g. 'env: kubernetes'") from None
    if not isinstance(data, dict):
        raise UsageError(f"answers file {path} must be a mapping of question keys to answers",
                         hint="e.g. 'type: B' and 'env: kubernetes' on separate lines")
    return from_mapping(rule, data, str(path))


def from_flags(rule: Rule, flags: Mapping[str, str | None]) -> Answers:
    items: dict[str, Answer] = {}
    for key, raw in flags.items():
        if raw is None:
            continue
        question = rule.question(key)
        if question is None:
            raise UsageError(f"the rule file has no question for --{key}")
        items[key] = parse_answer(question, raw, bare_other=True)
    return Answers(items)


# what a technology the service is makes it, for an 'Other' given without its text
_KIND_NOUN = {"stream": "cluster", "broker": "cluster", "search": "cluster", "database": "cluster",
              "cache": "cluster", "queue": "", "proxy": "", "scheduler": "", "object-store": ""}


def specify_other(answers: Answers, service: ServiceModel | None, strict: bool = False) -> Answers:
    """A bare 'Other' (--type F) gets its text from what the service model says the service is ("Kafka
    cluster"), marked assumed; with nothing to go on, or with --strict, the error asks for the text."""
    items: dict[str, Answer] = {}
    for key, answer in answers.items.items():
        if "other" not in answer.values or answer.free_text:
            continue
        app = service.app if service is not None else None
        known = vocabulary().technologies.get(app.technology) if app is not None and app.technology else None
        if known is None and service is not None:  # "on-call primer for temporal-prod (our Temporal)": the
            # service has no technology of its own; the first product the description runs says what it is
            known = next((t for c in service.components if c is not app and c.technology
                          and (t := vocabulary().technologies.get(c.technology)) is not None
                          and t.kind in _KIND_NOUN), None)
        # else what the description says the service is ("the outbound mail relay for all internal apps")
        # (only for a service the description names: "a thing that does stuff" says nothing it is)
        said = service.service.purpose if service is not None and service.service.origin == "given" else ""
        if service is not None and service.service.name:  # "smtp-relay: the outbound mail relay …"
            said = re.sub(rf"^\W*{re.escape(service.service.name)}\W*?(?:[:—–=-]|\s+(?:is|are)\b)\s*", "", said,
                          flags=re.I)
        purpose = " ".join(said.split()[:10]).strip(" .,;:")
        if strict or (known is None and not purpose):
            raise UsageError(f"{key!r}: 'Other' needs a description",
                             hint=f"e.g. '{answer.letters[0]}: message broker'")
        detail = " ".join(filter(None, (known.display, _KIND_NOUN.get(known.kind, "service")))) if known else purpose
        items[key] = replace(answer, free_text=detail, assumed=True,
                             reason=f"'Other' came without its text: the description says the service is {detail}")
    return answers.merged(Answers(items)) if items else answers


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def suggest(question: Question, description: str) -> tuple[Option, str] | None:
    """The option the description points to, with the words that point there."""
    text = _norm(description)
    scores: dict[str, tuple[int, str]] = {}
    for option in question.options:
        if option.kind != "choice":
            continue
        value = canonical(question.key, option)
        words = SYNONYMS.get(question.key, {}).get(value, ())
        for word in (*words, *(w for w, v in _HINTS.get(question.key, []) if v == value)):
            if len(word) > 2 and _mentions(text, word):
                weight = 2 if word in words else 1
                best = scores.get(value, (0, word))
                scores[value] = (best[0] + weight, best[1] if best[0] else word)
    if not scores:
        return None
    value = max(scores, key=lambda v: scores[v][0])
    option = next(o for o in question.options if canonical(question.key, o) == value)
    return option, scores[value][1]


def _oncall_default(criticality: str) -> str:
    return {"critical": "24x7", "high": "24x7", "medium": "business-hours", "low": "none"}.get(
        criticality, "business-hours"
    )


def managed_environment(question: Question, description: str, service: ServiceModel | None,
                        service_type: str) -> Answer | None:
    """The environment of a service that is itself a managed product with no compute of its own (the
    service model says "X is our Amazon OpenSearch domain"): the product, not the default Kubernetes.
    The rule offers no option for it, so the answer carries no letter; its label names the product."""
    from agent.knowledge.platforms.products import service_product  # late: knowledge imports answers

    if service is None:
        from agent.service.text import parse  # the offline reading, when the caller has no model

        service = parse(description)
    found = service_product(service, description, service_type)
    if found is None:
        return None
    p = found.product
    article = "an" if p.product[:1].lower() in "aeiou" else "a"
    evidence = " ".join(found.evidence.split())
    evidence = evidence if len(evidence) <= 120 else evidence[:117] + "…"
    return Answer(question.key, question.text, (), ("managed",), (f"Managed service: {p.product} {p.what}",),
                  None, True, f"the service model says the service is {article} {p.product} {p.what} with no "
                              f"compute of its own: \"{evidence}\"")


def _machines(service: ServiceModel | None) -> list[str]:
    """The hosts and systemd units the model names, when it names no cluster, namespace or function."""
    if service is None:
        return []
    names = [n for c in service.components for n in c.names]
    if any(n.role in ("namespace", "deployment", "statefulset", "cluster", "function", "release", "service_name",
                      "task_definition", "compose_file", "compose_service", "app_service") for n in names):
        return []
    return [n.value for n in names if n.role in ("host", "unit")]


def infer(rule: Rule, description: str, known: Answers, keys: Iterable[str],
          service: ServiceModel | None = None) -> Answers:
    """Answers for `keys` inferred from the description (and the service model, when given); every one is
    marked assumed with a reason."""
    items: dict[str, Answer] = {}
    for key in keys:
        question = rule.question(key)
        if question is None:
            continue
        if key == "env":
            kind = items.get("type") or known.get("type")
            managed = managed_environment(question, description, service, kind.value if kind else "")
            if managed is not None:
                items[key] = managed
                continue
        hit = suggest(question, description)
        platform = service.platform if key == "env" and service is not None else None
        stated = platform.environment if platform is not None and platform.origin == "given" else ""
        by_model = next((o for o in question.options if o.kind == "choice" and canonical(key, o) == stated), None) \
            if stated else None
        hosts = _machines(service) if key == "env" and hit is None and by_model is None else []
        if hit is None and by_model is not None and platform is not None:  # "Azure App Service": the model says
            option, reason = by_model, f"the service model reads the platform as {stated} ({platform.evidence!r})"
        elif hosts:  # no platform word, but the machines are named: the service runs on them
            option = next(o for o in question.options if o.kind == "choice" and canonical(key, o) == "vm")
            reason = f"the service model names its machines ({', '.join(hosts[:3])}) and no platform"
        elif hit is not None:
            option, word = hit
            reason = f"the description mentions {word!r}"
        else:
            criticality = (items.get("criticality") or known.get("criticality"))
            wanted = (_oncall_default(criticality.value if criticality else "high") if key == "oncall"
                      else DEFAULTS.get(key))
            choices = [o for o in question.options if o.kind == "choice"]
            option = next((o for o in choices if canonical(key, o) == wanted), choices[0])
            reason = "nothing in the description says; default"
        answer = parse_answer(question, option.letter)
        items[key] = replace(answer, assumed=True, reason=reason)
    return Answers(items)
