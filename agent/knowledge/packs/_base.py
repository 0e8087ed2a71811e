"""What every pack shares: keyword detection, command builders, CloudWatch metric probes, and the
environment-specific way to stop, start, restart and read the logs of a workload.

Modules whose name starts with "_" are not scanned for packs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from agent.knowledge.base import Context, Contribution, Facts
from agent.knowledge.platforms import Platform, platform_for, recent_log_events
from agent.knowledge.platforms.base import q as q  # one quoting rule for packs and platforms (re-exported)
from agent.knowledge.platforms.products import Managed
from agent.knowledge.platforms.select import component_form as _form
from agent.knowledge.platforms.stops import refusal
from agent.runbook import Command, Language
from agent.service.vocabulary import norm, retired_after, vocabulary

# "no Redis", "instead of MySQL", "migrated off MongoDB": a mention that says the service does NOT use it.
_NEGATED = re.compile(
    r"(?:(?:\b(?:no|not|without|instead of|rather than|replacing|replaced|never uses?|"
    r"(?:migrated|moved|moving|migrating) (?:away )?(?:from|off))|n't)\s+(?:(?:use|using|need|have)\s+)?"
    r"(?:a |an |the |any )?)$",
    re.IGNORECASE,
)


# a name made of fill-in variables and name characters ("${POSTGRES_INSTANCE}-pitr")

def mention(ctx: Context, words: Sequence[str]) -> str | None:
    """The first of `words` the description (or a free-text answer) names, as the user wrote it.

    Mentions right after a negation ("no Redis", "instead of MySQL") do not count.
    """
    sources = [ctx.facts.description]
    sources += [a.free_text for a in ctx.answers.items.values() if a.free_text]
    for word in words:
        pattern = re.compile(r"(?<![\w-])" + r"[\s-]?".join(map(re.escape, word.split())) + r"(?![\w-])",
                             re.IGNORECASE)
        for source in sources:
            for found in pattern.finditer(source):
                # the parser's negations too ("why we left the ELK stack"): a pack and the model agree on what is used
                if not _NEGATED.search(source[max(0, found.start() - 40):found.start()]) and \
                        not vocabulary().negation.search(source[max(0, found.start() - 24):found.start()]) and \
                        not retired_after(source[found.end():]):
                    return found.group(0)
    return None


_PUBLISH = re.compile(r"\b(?:publish\w*|emit\w*|send\w*|produc\w*|push\w*|broadcast\w*|fan\w*[- ]out|"
                      r"writes?\s+to|notif\w*|events?)\b", re.I)
_CONSUME = re.compile(r"\b(?:consum\w*|reads?\s+from|pulls?\s+from|subscrib\w*|listen\w*|"
                      r"(?:jobs?|tasks?|work|messages)\s+from|takes?\s+(?:jobs?|tasks?|work))\b", re.I)


def messaging_role(ctx: Context, pattern: str) -> tuple[str, str]:
    """Whether the service consumes from the broker `pattern` names or publishes to it, read from the
    sentences that mention it ("consumes jobs from RabbitMQ" / "uses RabbitMQ for progress events"),
    with what it publishes ("progress events"). Unclear sentences: a worker consumes, anything else publishes."""
    what = ""
    consume = publish = False
    for sentence in re.split(r"(?<=[.;!?])\s+|\n+", ctx.facts.description):
        found = re.search(pattern, sentence, re.I)
        if found is None:
            continue
        consume = consume or bool(_CONSUME.search(sentence))
        publish = publish or bool(_PUBLISH.search(sentence))
        purpose = re.search(rf"(?:{pattern})\W+(?:\w+\W+)?for\s+((?:[\w-]+\s+){{0,3}}?[\w-]*(?:events?|messages|"
                            rf"notifications|updates|jobs|tasks))\b", sentence, re.I)
        if purpose and not what:
            what = purpose.group(1)
    if consume and not publish:
        return "consumer", what
    if publish and not consume:
        return "publisher", what
    return ("consumer" if ctx.answers.service_type == "worker" else "publisher"), what


def _written(value: str, text: str) -> bool:
    # a name as the description writes it ("quota-cache"), not one the engine derived ("postgres" of PostgreSQL)
    return re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", text) is not None


class _Recorded(Facts):
    """Facts that note which `name(key, default)` lookups fell back to the default."""

    defaults: dict[str, str]

    def name(self, key: str, default: str) -> str:
        # The bare service slug is the engine's documented default for every name; not repeated here; nor
        # is a name the description gives, offered as another key's fallback (`name(a, name(b, …))`)
        if key not in self.names and default != self.service and default not in self.defaults.values() \
                and not (default in self.names.values() and _written(default, self.description)):
            self.defaults[key] = default
        return super().name(key, default)


_NOT_COMPONENTS = frozenset({"platform", "cloud", "runtime", "monitoring", "pager", "tool"})


def _a_component(ctx: Context, word: str) -> bool:
    """Whether the data store, broker or other component `word` names is one the service model holds: the
    parser read every mention, and one it left out (an aside: "(S3, 100 DTU)", a denial) is no component.
    Words of no component technology (a platform, a tool) and a runbook without a model always count."""
    v = vocabulary()
    tech = v.tech_words.get(norm(word))
    known = v.technologies.get(tech) if tech else None
    if ctx.model is None or known is None or known.kind in _NOT_COMPONENTS:
        return True
    return any(c.technology == tech for c in ctx.model.components)


class KeywordPack:
    """A pack that applies when the description names one of its `keywords`.

    Subclasses set `name`, `summary`, `keywords` and implement `build`; `order` places the
    pack's contribution (data stores first, then messaging, then platforms).
    """

    name: str = ""
    summary: str = ""
    keywords: tuple[str, ...] = ()
    order: int = 50
    examples: tuple[str, ...] = ()  # descriptions that must detect the pack (the test harness uses them)
    negatives: tuple[str, ...] = ()  # descriptions that must not

    # The pack operates the service's own workload where it runs (ECS service, Helm release, unit …): it
    # has nothing to do for a service that is itself a managed product (the words are about its clients).
    own_workload: bool = False

    def detect(self, ctx: Context) -> str | None:
        word = mention(ctx, self.keywords)
        if word and self.own_workload and isinstance(platform_for(ctx), Managed):
            return None
        if word and not _a_component(ctx, word):
            return None
        return f"description mentions {word!r}" if word else None

    def build(self, ctx: Context) -> Contribution:  # pragma: no cover - abstract
        """What the pack adds; read names with `ctx.facts.name(key, default)`."""
        raise NotImplementedError

    def contribute(self, ctx: Context) -> Contribution:
        """`build`, plus a prerequisite naming every default the pack had to assume for a name."""
        recorded = _Recorded(**{f.name: getattr(ctx.facts, f.name) for f in fields(Facts)})
        recorded.names = dict(ctx.facts.names)  # a pack never changes the engine's facts
        recorded.defaults = {}
        recorded.assumed = {}
        part = self.build(Context(ctx.answers, recorded))
        part.assumed += [(key, value) for key, value in recorded.defaults.items() if value]
        if recorded.defaults:
            shown = ", ".join(f"{key}={value}" for key, value in recorded.defaults.items())
            part.prerequisites.append(f"{self.name}: names the description does not give are defaults; check "
                                      f"or replace them in the commands: {shown}")
        return part

    def __repr__(self) -> str:
        return f"<pack {self.name}>"


# --- command builders ---------------------------------------------------------------------------


def cmd(purpose: str, code: str, expect: str | None = None, warning: str | None = None,
        language: Language = "bash") -> Command:
    return Command(purpose=purpose, language=language, code=code.strip(), expect=expect, warning=warning)


def sql(purpose: str, code: str, expect: str | None = None, warning: str | None = None) -> Command:
    return cmd(purpose, code, expect, warning, language="sql")


def namespace(ctx: Context) -> str:
    return ctx.facts.namespace or "production"


def region(ctx: Context) -> str:
    return ctx.facts.region or "us-east-1"


def on_aws(ctx: Context) -> bool:
    return ctx.facts.cloud == "aws" or "cloudwatch" in ctx.answers.monitoring or mention(
        ctx, ("aws", "amazon", "rds", "aurora", "elasticache", "msk", "ecs", "fargate", "lambda", "eks",
              "ec2", "sqs", "s3", "dynamodb")) is not None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "app"


def snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "app"


# --- CloudWatch metrics as probes ---------------------------------------------------------------


@dataclass(frozen=True)
class CloudWatchMetric:
    namespace: str  # "AWS/SQS"
    metric: str  # "ApproximateAgeOfOldestMessage"
    dimensions: Mapping[str, str]
    statistic: str = "Maximum"  # Average | Sum | Minimum | Maximum | SampleCount
    period: int = 300

    def command(self, ctx: Context) -> str:
        dims = " ".join(q(f"Name={k},Value={v}") for k, v in self.dimensions.items())
        return (
            f"aws cloudwatch get-metric-statistics --region {q(region(ctx))} \\\n"
            f"  --namespace {self.namespace} --metric-name {self.metric} \\\n"
            f"  --dimensions {dims} \\\n"
            f"  --statistics {self.statistic} --period {self.period} \\\n"
            "  --start-time \"$(date -u -d '-30 min' +%Y-%m-%dT%H:%M:%SZ)\" "
            "--end-time \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" \\\n"
            "  --query 'sort_by(Datapoints, &Timestamp)[-3:]' --output table"
        )


# --- workload control: through the platform the workload runs on -------------------------------


def workload_platform(ctx: Context, technology: str | None = None, namespace: str | None = None) -> Platform:
    """The platform of the service's own workloads, or of the model's component of `technology` (a
    pooler on Kubernetes, a proxy in a container): packs call its operations, never switch on it.
    `namespace`: where the component lives when the model names none but the pack read one."""
    component = ctx.model.component(technology) if ctx.model is not None and technology else None
    found = platform_for(ctx, component)
    if namespace:
        found.namespace = namespace
    return found


def component_form(ctx: Context, technology: str) -> str:
    """How the model's component of `technology` runs (managed | host | cluster-workload | container |
    serverless); when the model does not say, how the service's own workload runs."""
    comp = ctx.model.component(technology) if ctx.model is not None else None
    app = ctx.model.app if ctx.model is not None else None
    return (_form(ctx, comp) if comp is not None else "") or (_form(ctx, app) if app is not None else "") or \
        platform_for(ctx).form


def stop_workload(ctx: Context, workload: str, why: str) -> Command:
    return workload_platform(ctx).stop_workload(workload, why)


def kill_switch(ctx: Context, workload: str, why: str, required: bool = False) -> list[Command]:
    """`workload` stopped outright as a kill switch ("stop writes", "stop consuming"), or nothing where a
    full stop is wrong for the architecture (the store or broker itself, an autoscaler's count, a
    critical request path: see platforms.stops). `required`: a procedure needs it stopped."""
    platform = workload_platform(ctx)
    return [] if refusal(platform, workload, required) else [platform.stop_workload(workload, why)]


def start_workload(ctx: Context, workload: str, replicas: int | None = None) -> Command:
    return workload_platform(ctx).start_workload(workload, replicas)


def restart_workload(ctx: Context, workload: str) -> Command:
    return workload_platform(ctx).restart_workload(workload)


def workload_logs(ctx: Context, workload: str, pattern: str) -> Command:
    return workload_platform(ctx).workload_logs(workload, pattern)


def exec_in(ctx: Context, workload: str, command: str) -> str:
    """`command` run where the workload's code and configuration live."""
    return workload_platform(ctx).exec_in(workload, command)


def log_events(group: str, ctx: Context, pattern: str | None = None) -> str:
    """CloudWatch Logs events of the last 30 minutes (filter-log-events: in AWS CLI v1 and v2)."""
    return recent_log_events(group, region(ctx), pattern)


def tech_host(ctx: Context, hint: str) -> str | None:
    """The first host the description names whose name matches `hint` (a regex: "rabbit", "es-|elastic")."""
    hosts = [h for h in ctx.facts.name("hosts", "").split(",") if h]
    return next((h for h in hosts if re.search(hint, h)), None)


def on_host(ctx: Context, host: str, command: str) -> str:
    """`command` run on a VM or bare-metal `host`: gcloud compute ssh on GCE (zone and project from the
    description), plain ssh elsewhere."""
    names = ctx.facts.names
    if ctx.facts.cloud == "gcp" and "gcp.zone" in names:
        project = f" --project {q(names['gcp.project'])}" if "gcp.project" in names else ""
        return f"gcloud compute ssh {q(host)} --zone {q(names['gcp.zone'])}{project} --command {q(command)}"
    return f"ssh {q(host)} {q(command)}"


def compose_cmd(ctx: Context) -> str:
    """`docker compose` with the project and file the description names, as the platform writes it."""
    names = ctx.facts.names
    project = f" -p {q(names['compose.project'])}" if "compose.project" in names else ""
    return f"docker compose{project} -f {q(names.get('compose.file', 'docker-compose.yml'))}"


def merge(*parts: Contribution) -> Contribution:
    """Concatenate contributions (a pack with variants builds one per variant)."""
    total = Contribution()
    for part in parts:
        for name in total.__dataclass_fields__:
            getattr(total, name).extend(getattr(part, name))
    return total
