"""Random but realistic service descriptions, each with the names it gives and where they belong.

`generate_case(seed)` is deterministic: the same seed gives the same description, names, phrasings
and answers. `case_strategy()` is the hypothesis strategy over it. `reference_runbook(case)` writes
the commands an operator would write with those names (one canonical position per role): the
scorer must find every name in it and nothing invented, which tests roles.py on random names.

A case varies: platform (Kubernetes/Helm/Argo CD, ECS, Lambda, Cloud Functions, compose, systemd
VMs, bare metal, GCE), technologies (PostgreSQL/RDS/Aurora/Patroni/PgBouncer/pgBackRest, MySQL,
Redis/ElastiCache, Kafka, RabbitMQ, SQS, Pub/Sub, S3/GCS, DynamoDB, Elasticsearch, MongoDB, nginx),
how each name is written (before/after its noun, named/called, parentheses, quotes, backticks,
after a colon, "X is our Y", lists and ranges), the layout (prose, terse, Markdown bullets, mixed)
and distractor sentences that put common words after role nouns ("the queue timeout is 30 s").
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

ADJ = ("amber", "brisk", "cedar", "coral", "crimson", "delta", "ember", "fable", "frost", "gamma", "granite",
       "harbor", "indigo", "jade", "kestrel", "lumen", "maple", "nimbus", "onyx", "opal", "pine", "quartz", "raven",
       "saffron", "sierra", "tango", "umber", "velvet", "willow", "zephyr", "arctic", "basalt", "cobalt", "dune",
       "birch", "copper", "hazel", "ivory", "juniper", "larch", "mica", "nova", "olive", "pebble", "rust", "slate")
NOUN = ("falcon", "ledger", "orbit", "beacon", "lantern", "comet", "anchor", "atlas", "bridge", "cascade", "citadel",
        "compass", "forge", "garnet", "haven", "heron", "kiln", "meadow", "nexus", "otter", "pylon", "quill", "relay",
        "summit", "thistle", "vault", "wharf", "yarrow", "badger", "tern", "marlin", "spindle", "tally", "ferry",
        "glacier", "harvest", "inlet", "jetty", "keel", "lark", "mint", "notch", "osprey", "prism", "quarry")
# names that are also common words: a good engine must still put them in their role, and only there
COMMON = ("payments", "orders", "billing", "search", "events", "sessions", "users", "inventory", "reports",
          "checkout", "accounts", "catalog", "shipping", "invoices", "media", "notify", "ledger", "main", "jobs",
          "web", "api", "worker", "proxy", "cache", "data", "core", "platform")
PURPOSES = ("settles card payments", "renders product pages", "resizes uploaded images", "ingests clickstream events",
            "sends transactional email", "computes loyalty points", "serves the mobile checkout",
            "reconciles ledger entries", "builds search indexes", "issues invoices", "tracks parcel shipments",
            "syncs inventory from suppliers", "stores user sessions", "scores fraud risk", "exports nightly reports")
AWS_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-1",
               "ap-northeast-1", "sa-east-1", "ca-central-1", "ap-south-1", "eu-north-1")
GCP_REGIONS = ("europe-west1", "europe-west4", "us-central1", "us-east4", "asia-northeast1", "australia-southeast1")
AZURE_REGIONS = ("westeurope", "northeurope", "eastus2", "uksouth")

PHRASINGS = ("after", "before", "named", "called", "paren", "quotes", "backticks", "colon", "is_our")
LIST_PHRASINGS = ("list_and", "comma", "range_dots", "range_words")
LAYOUTS = ("prose", "terse", "bullets", "mixed")

NOUNS: dict[str, tuple[str, ...]] = {
    "namespace": ("namespace", "Kubernetes namespace", "k8s namespace"),
    "deployment": ("Deployment", "deployment"),
    "statefulset": ("StatefulSet",),
    "daemonset": ("DaemonSet",),
    "cronjob": ("CronJob",),
    "k8s_cluster": ("cluster", "EKS cluster", "GKE cluster", "AKS cluster"),
    "context": ("kube context", "kubectl context"),
    "helm_release": ("Helm release",),
    "argocd_app": ("Argo CD application", "Argo CD app"),
    "compose_file": ("compose file",),
    "compose_project": ("compose project",),
    "compose_service": ("compose service", "service"),
    "systemd_unit": ("systemd unit", "unit"),
    "host": ("hosts", "VMs", "servers", "machines"),
    "lambda_function": ("Lambda function", "function"),
    "cloud_function": ("Cloud Function", "function"),
    "ecs_cluster": ("ECS cluster",),
    "ecs_service": ("ECS service",),
    "sqs_queue": ("SQS queue", "queue"),
    "sqs_dlq": ("dead-letter queue", "DLQ"),
    "rabbitmq_queue": ("RabbitMQ queue", "queue"),
    "rabbitmq_vhost": ("vhost", "virtual host"),
    "kafka_topic": ("topic", "Kafka topic"),
    "kafka_group": ("consumer group",),
    "kafka_bootstrap": ("bootstrap servers", "brokers"),
    "pubsub_topic": ("Pub/Sub topic",),
    "pubsub_subscription": ("subscription", "Pub/Sub subscription"),
    "s3_bucket": ("S3 bucket", "bucket"),
    "gcs_bucket": ("GCS bucket", "bucket"),
    "dynamodb_table": ("DynamoDB table", "table"),
    "rds_instance": ("RDS instance", "RDS PostgreSQL instance"),
    "aurora_cluster": ("Aurora cluster",),
    "global_cluster": ("global database", "Aurora global cluster"),
    "db_name": ("database",),
    "db_host": ("database host", "MySQL host"),
    "elasticache_rg": ("ElastiCache replication group", "replication group"),
    "redis_host": ("Redis host", "Redis"),
    "patroni_cluster": ("Patroni cluster", "Patroni scope"),
    "pgbackrest_stanza": ("pgBackRest stanza", "stanza"),
    "pgbouncer_host": ("PgBouncer host", "PgBouncer"),
    "es_cluster": ("Elasticsearch cluster",),
    "es_index": ("index", "Elasticsearch index"),
    "mongo_rs": ("replica set", "MongoDB replica set"),
    "region": ("region",),
    "zone": ("zone",),
    "gcp_project": ("GCP project", "project"),
    "gce_mig": ("managed instance group", "MIG"),
    "azure_rg": ("resource group",),
}

# sentence frames a phrase ({X}) goes into, per role
FRAMES: dict[str, tuple[str, ...]] = {
    "namespace": ("It runs in {X}.", "Everything lives in {X}."),
    "deployment": ("The pods belong to {X}.", "It is deployed as {X}."),
    "statefulset": ("It runs as {X}.",),
    "daemonset": ("It runs on every node as {X}.",),
    "cronjob": ("It is scheduled by {X}.",),
    "k8s_cluster": ("It is hosted on {X}.",),
    "context": ("Operators reach it through {X}.",),
    "helm_release": ("It is installed with {X}.",),
    "argocd_app": ("Argo CD syncs it via {X}.", "It is managed by {X}."),
    "compose_file": ("The stack is defined in {X}.",),
    "compose_project": ("It runs as {X}.",),
    "compose_service": ("The main container is {X}.",),
    "systemd_unit": ("It runs as {X}.",),
    "host": ("It runs on {X}.",),
    "lambda_function": ("The code is {X}.",),
    "cloud_function": ("The code is {X}.",),
    "ecs_cluster": ("It runs on {X}.",),
    "ecs_service": ("Tasks belong to {X}.",),
    "sqs_queue": ("Work arrives on {X}.",),
    "sqs_dlq": ("Failed messages go to {X}.",),
    "rabbitmq_queue": ("It consumes {X}.",),
    "rabbitmq_vhost": ("The queue sits in {X}.",),
    "kafka_topic": ("It reads {X}.",),
    "kafka_group": ("It consumes as {X}.",),
    "kafka_bootstrap": ("The {N} are {X}.",),
    "pubsub_topic": ("Messages are published to {X}.",),
    "pubsub_subscription": ("It pulls from {X}.",),
    "s3_bucket": ("Output is written to {X}.",),
    "gcs_bucket": ("Output is written to {X}.",),
    "dynamodb_table": ("State is kept in {X}.",),
    "rds_instance": ("Data lives in {X}.",),
    "aurora_cluster": ("Data lives in {X}.",),
    "global_cluster": ("It is replicated through {X}.",),
    "db_name": ("Tables are in {X}.",),
    "db_host": ("Data lives on {X}.",),
    "elasticache_rg": ("Caching uses {X}.",),
    "redis_host": ("Sessions are kept in {X}.",),
    "patroni_cluster": ("The database is {X}.",),
    "pgbackrest_stanza": ("Backups use {X}.",),
    "pgbouncer_host": ("Connections go through {X}.",),
    "es_cluster": ("Search runs on {X}.",),
    "es_index": ("Documents go to {X}.",),
    "mongo_rs": ("Documents live in {X}.",),
    "region": ("It runs in {X}.",),
    "zone": ("Instances sit in {X}.",),
    "gcp_project": ("It lives in {X}.",),
    "gce_mig": ("It runs on {X}.",),
    "azure_rg": ("The cluster is in {X}.",),
}

DISTRACTORS = (
    "The queue timeout is 30 s.", "Cluster mode is enabled.", "Topic retention is 7 days.",
    "The app used to run on Heroku.", "The namespace quota was raised last quarter.",
    "The database was migrated from MySQL in 2021.", "Bucket versioning is on.",
    "The deployment takes about 4 minutes.", "The table has point-in-time recovery enabled.",
    "The service is written in Go.", "Host networking is disabled.", "The index refresh interval is 30s.",
    "Region failover is manual.", "The function timeout is 60 seconds.", "The consumer group rebalances on deploy.",
    "The replica set has an arbiter.", "Our cluster autoscaler is on.", "The release cadence is weekly.",
    "The vhost policy mirrors nothing.", "Each host has 8 vCPUs.", "The project budget is tight.",
    "Nobody remembers why the cron exists.", "The stanza was created last year.", "Traffic peaks on Mondays.",
)

PLATFORM_ENV = {"kubernetes": "kubernetes", "ecs": "docker", "lambda": "serverless", "cloud_functions": "serverless",
                "compose": "docker", "systemd": "vms", "bare_metal": "bare metal", "gce": "vms"}
TYPE_WORDS = {"api": ("API service", "API"), "web": ("web application", "web app"),
              "pipeline": ("data pipeline", "pipeline"), "worker": ("background worker", "worker"),
              "database": ("database", "database"), "proxy": ("other: reverse proxy", "reverse proxy")}
TYPE_ANSWER = {"api": "api", "web": "web", "pipeline": "pipeline", "worker": "worker", "database": "database",
               "proxy": "other: reverse proxy"}
MONITORING = ("prometheus", "datadog", "cloudwatch", "newrelic")
ONCALL = ("24x7", "business hours", "follow-the-sun", "none")
CRIT = ("critical", "high", "medium", "low")


@dataclass
class Case:
    seed: int
    id: str
    description: str
    names: dict[str, list[str]]
    phrasings: dict[str, str]  # "role:name" → phrasing
    answers: dict[str, str]  # the flags passed; the rest the tool must infer
    platform: str
    techs: list[str]
    layout: str
    distractors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Namer:
    """Names per role format, unique within a case."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _fresh(self, make: Any) -> str:
        for _ in range(200):
            n = str(make())
            key = n.casefold()
            if key not in self.used and not any(key in u or u in key for u in self.used if len(u) >= 4 and
                                                len(key) >= 4 and (key.startswith(u) or u.startswith(key))):
                self.used.add(key)
                return n
        raise RuntimeError("name space exhausted")

    def w(self) -> str:
        return self.rng.choice(ADJ + NOUN)

    def pair(self, sep: str = "-") -> str:
        return f"{self.rng.choice(ADJ)}{sep}{self.rng.choice(NOUN)}"

    def k8s(self, common: float = 0.25) -> str:
        r = self.rng

        def make() -> str:
            x = r.random()
            if x < common:
                return r.choice(COMMON)
            if x < 0.6:
                return self.pair()
            if x < 0.8:
                return f"{self.pair()}-{r.randint(1, 9)}"
            return f"{r.choice(NOUN)}-{r.choice(('svc', 'api', 'app', 'prod', 'core', 'v2'))}"
        return self._fresh(make)

    def snake(self) -> str:
        r = self.rng
        return self._fresh(lambda: r.choice((f"{r.choice(NOUN)}_{r.choice(('prod', 'main', 'db', 'live'))}",
                                             self.pair("_"), r.choice(COMMON))))

    def camel(self) -> str:
        r = self.rng
        return self._fresh(lambda: r.choice((f"{r.choice(ADJ).title()}{r.choice(NOUN).title()}",
                                             f"{self.pair()}-{r.choice(('handler', 'fn', 'prod'))}")))

    def topic(self) -> str:
        r = self.rng
        return self._fresh(lambda: r.choice((f"{r.choice(NOUN)}.{r.choice(('created', 'updated', 'events'))}.v"
                                             f"{r.randint(1, 3)}", f"{self.pair()}-events", r.choice(COMMON))))

    def queue(self) -> str:
        r = self.rng
        return self._fresh(lambda: r.choice((f"{self.pair()}-jobs", f"{r.choice(NOUN)}-{r.choice(('work', 'in'))}",
                                             f"{r.choice(ADJ).title()}{r.choice(NOUN).title()}Queue",
                                             f"{self.pair()}.fifo", r.choice(COMMON))))

    def bucket(self) -> str:
        r = self.rng
        return self._fresh(lambda: f"{r.choice(('acme', 'initech', 'globex', r.choice(ADJ)))}-{r.choice(NOUN)}-"
                                   f"{r.choice(('archive', 'exports', 'uploads', 'prod', 'data'))}")

    def hosts(self, n: int) -> tuple[str, int, int, int]:
        r = self.rng
        prefix = self._fresh(lambda: r.choice((f"{r.choice(('web', 'app', 'pg', 'db', 'node', 'api'))}-"
                                               f"{r.choice(NOUN)}", r.choice(NOUN), self.pair())))
        width = r.choice((0, 2))
        start = r.choice((1, 1, 0)) if width == 0 else 1
        return prefix, start, start + n - 1, width


def _host_names(prefix: str, a: int, b: int, width: int) -> list[str]:
    return [f"{prefix}-{str(i).zfill(width)}" for i in range(a, b + 1)]


def _list_phrase(names: list[str], style: str, prefix: str = "", width: int = 0) -> str:
    if style == "range_dots" and prefix:
        return f"{names[0]}..{names[-1][len(prefix) + 1:].lstrip('0') or '0'}" if width == 0 else \
            f"{names[0]}..{names[-1][len(prefix) + 1:]}"
    if style == "range_words" and prefix:
        return f"{names[0]} through {names[-1]}"
    if style == "comma":
        return ", ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _phrase(style: str, noun: str, name: str) -> str:
    return {
        "after": f"the {noun} {name}",
        "before": f"the {name} {noun}",
        "named": f"a {noun} named {name}",
        "called": f"a {noun} called {name}",
        "paren": f"the {noun} ({name})",
        "quotes": f'the {noun} "{name}"',
        "backticks": f"the {noun} `{name}`",
    }[style]


def _standalone(style: str, noun: str, name: str) -> str:
    if style == "colon":
        return f"{noun[0].upper()}{noun[1:]}: {name}."
    return f"{name} is our {noun}."  # is_our


class _Builder:
    def __init__(self, rng: random.Random, layout: str) -> None:
        self.rng = rng
        self.layout = layout
        self.facts: list[str] = []
        self.names: dict[str, list[str]] = {}
        self.phrasings: dict[str, str] = {}

    def add(self, role: str, name: str, style: str | None = None) -> None:
        r = self.rng
        style = style or r.choice(PHRASINGS)
        noun = r.choice(NOUNS[role])
        if style in ("colon", "is_our"):
            fact = _standalone(style, noun, name)
        else:
            fact = r.choice(FRAMES[role]).replace("{X}", _phrase(style, noun, name)).replace("{N}", noun)
            fact = fact[0].upper() + fact[1:]
        self.facts.append(fact)
        self.names.setdefault(role, []).append(name)
        self.phrasings[f"{role}:{name}"] = style

    def add_list(self, role: str, names: list[str], prefix: str = "", width: int = 0) -> None:
        r = self.rng
        style = r.choice(LIST_PHRASINGS if prefix else ("list_and", "comma"))
        noun = "regions" if role == "region" else r.choice(NOUNS[role])
        text = _list_phrase(names, style, prefix, width)
        frame = r.choice(FRAMES[role])
        fact = frame.replace("{X}", f"the {noun} {text}" if "{N}" not in frame else text).replace("{N}", noun)
        self.facts.append(fact[0].upper() + fact[1:])
        self.names.setdefault(role, []).extend(names)
        for n in names:
            self.phrasings[f"{role}:{n}"] = style

    def fact(self, text: str, role: str | None = None, value: str | None = None) -> None:
        self.facts.append(text)
        if role and value:
            self.names.setdefault(role, []).append(value)
            self.phrasings[f"{role}:{value}"] = "figure" if role in ("slo", "latency", "rto", "rpo",
                                                                     "backup_retention") else "people"


def generate_case(seed: int) -> Case:
    rng = random.Random(seed)
    nm = Namer(rng)
    layout = rng.choice(LAYOUTS)
    b = _Builder(rng, layout)
    platform = rng.choice(("kubernetes", "kubernetes", "kubernetes", "ecs", "lambda", "cloud_functions", "compose",
                           "systemd", "systemd", "bare_metal", "gce"))
    kind = rng.choice(("api", "web", "worker", "pipeline"))
    techs: list[str] = []

    # the service itself
    svc = nm.k8s(common=0.1) if rng.random() < 0.7 else nm.camel().lower()
    purpose = rng.choice(PURPOSES)
    type_word = TYPE_WORDS[kind][1]
    svc_style = rng.choice(("first", "called", "backticks", "named"))
    intro = {
        "first": f"{svc} is the {type_word} that {purpose}.",
        "called": f"We run a {type_word} called {svc} that {purpose}.",
        "backticks": f"`{svc}` is a {type_word}; it {purpose}.",
        "named": f"This is the {type_word} named {svc}; it {purpose}.",
    }[svc_style]
    b.names["service"] = [svc]
    b.phrasings[f"service:{svc}"] = svc_style

    cloud = "aws"
    if platform == "kubernetes":
        flavour = rng.choice(("EKS", "GKE", "AKS", "k3s"))
        cloud = {"EKS": "aws", "GKE": "gcp", "AKS": "azure", "k3s": "aws"}[flavour]
        intro += f" It runs on Kubernetes ({flavour})."
        b.add("namespace", nm.k8s(common=0.35))
        wl = "cronjob" if kind == "pipeline" and rng.random() < 0.6 else rng.choice(
            ("deployment", "deployment", "deployment", "statefulset"))
        workload = nm.k8s(common=0.1) if rng.random() < 0.6 else svc + rng.choice(("-worker", "-web", "-app"))
        nm.used.add(workload.casefold())
        b.add(wl, workload)
        if rng.random() < 0.5:
            b.add("k8s_cluster", f"{nm.pair()}-{rng.choice(('prod', 'eks', 'gke', 'main'))}")
        if rng.random() < 0.25:
            b.add("context", f"{nm.w()}-{rng.choice(('prod', 'live'))}-{rng.randint(1, 3)}")
        gitops = rng.choice(("helm", "argocd", "none"))
        if gitops == "helm":
            b.add("helm_release", nm.k8s(common=0.05))
        elif gitops == "argocd":
            b.add("argocd_app", nm.k8s(common=0.05))
            if rng.random() < 0.5:
                b.fact("Argo CD has self-heal and auto-sync enabled.")
        if flavour == "AKS" and rng.random() < 0.7:
            b.add("azure_rg", f"rg-{nm.pair()}")
        techs.append(f"kubernetes/{flavour}")
    elif platform == "ecs":
        intro += " It runs on ECS Fargate."
        b.add("ecs_cluster", f"{nm.pair()}-{rng.choice(('prod', 'cluster'))}")
        b.add("ecs_service", nm.k8s(common=0.1))
        techs.append("ecs")
    elif platform == "lambda":
        intro += " It is an AWS Lambda function."
        b.add("lambda_function", nm.camel())
        techs.append("lambda")
    elif platform == "cloud_functions":
        cloud = "gcp"
        intro += " It is a Google Cloud Function."
        b.add("cloud_function", nm.k8s(common=0.05))
        techs.append("cloud_functions")
    elif platform == "compose":
        intro += " It runs with Docker Compose on a single VM."
        b.add("compose_file", rng.choice(("docker-compose.prod.yml", "compose.yaml", f"deploy/{nm.w()}/compose.yml",
                                          "docker-compose.yml")))
        if rng.random() < 0.6:
            b.add("compose_project", nm.k8s(common=0.2))
        b.add("compose_service", nm.k8s(common=0.4))
        techs.append("compose")
    elif platform in ("systemd", "bare_metal"):
        intro += " It runs as a systemd service on " + ("bare-metal servers." if platform == "bare_metal"
                                                          else "EC2 VMs.")
        unit = nm.k8s(common=0.1)
        b.add("systemd_unit", unit + (".service" if rng.random() < 0.4 else ""))
        prefix, a, z, width = nm.hosts(rng.choice((2, 3, 4, 4, 5)))
        b.add_list("host", _host_names(prefix, a, z, width), prefix, width)
        techs.append(platform)
    elif platform == "gce":
        cloud = "gcp"
        intro += " It runs on GCE VMs in a managed instance group."
        b.add("gce_mig", f"{nm.pair()}-mig")
        b.add("zone", f"{rng.choice(GCP_REGIONS)}-{rng.choice('bcd')}")
        b.add("gcp_project", f"{nm.pair()}-{rng.randint(100000, 999999)}")
        techs.append("gce")

    # data and messaging
    pool_aws = ["rds", "aurora", "patroni", "mysql", "redis", "elasticache", "kafka", "rabbitmq", "sqs", "s3",
                "dynamodb", "elasticsearch", "mongodb", "pgbouncer"]
    pool_gcp = ["patroni", "mysql", "redis", "kafka", "rabbitmq", "pubsub", "gcs", "elasticsearch", "mongodb",
                "pgbouncer"]
    pool = pool_gcp if cloud == "gcp" else pool_aws
    if platform == "lambda":
        pool = ["sqs", "sqs", "dynamodb", "s3", "rds", "aurora", "elasticache"]
    if platform == "cloud_functions":
        pool = ["pubsub", "pubsub", "gcs", "redis", "mongodb"]
    chosen: list[str] = []
    for t in rng.sample(pool, k=min(len(pool), rng.choice((1, 2, 2, 3)))):
        if t in chosen or (t in ("rds", "aurora", "patroni", "mysql") and set(chosen) & {"rds", "aurora", "patroni",
                                                                                         "mysql"}):
            continue
        if t in ("redis", "elasticache") and set(chosen) & {"redis", "elasticache"}:
            continue
        chosen.append(t)
    for t in chosen:
        techs.append(t)
        if t == "rds":
            b.add("rds_instance", f"{nm.pair()}-db")
            if rng.random() < 0.7:
                b.add("db_name", nm.snake())
        elif t == "aurora":
            b.add("aurora_cluster", f"{nm.pair()}-aurora")
            if rng.random() < 0.4:
                b.add("global_cluster", f"{nm.w()}-global")
            if rng.random() < 0.6:
                b.add("db_name", nm.snake())
        elif t == "patroni":
            scope = nm.k8s(common=0.1)
            scope = scope if rng.random() < 0.5 else f"pg-{scope}"
            nm.used.add(scope.casefold())
            b.add("patroni_cluster", scope)
            if platform in ("systemd", "bare_metal", "gce"):
                prefix, a, z, width = nm.hosts(3)
                b.add_list("db_host", _host_names(prefix, a, z, width), prefix, width)
            if rng.random() < 0.5:
                stanza = "main" if "main" not in nm.used and rng.random() < 0.5 else nm.k8s(common=0.2)
                nm.used.add(stanza)
                b.add("pgbackrest_stanza", stanza)
            if rng.random() < 0.6:
                b.add("db_name", nm.snake())
        elif t == "pgbouncer":
            b.add("pgbouncer_host", f"{nm.pair()}-pgbouncer" if rng.random() < 0.5 else f"pgb-{nm.w()}.internal")
            if rng.random() < 0.5:
                port = str(rng.choice((6432, 6433, 6543)))
                b.fact(f"PgBouncer listens on port {port}.", None)
                b.names.setdefault("port", []).append(port)
                b.phrasings[f"port:{port}"] = "after"
        elif t == "mysql":
            b.add("db_host", f"{nm.pair()}-mysql.internal")
            b.add("db_name", nm.snake())
        elif t == "redis":
            b.add("redis_host", rng.choice((f"{nm.pair()}-redis", f"redis-{nm.w()}-01.internal")))
        elif t == "elasticache":
            b.add("elasticache_rg", f"{nm.pair()}-redis")
        elif t == "kafka":
            b.add("kafka_topic", nm.topic())
            b.add("kafka_group", f"{nm.pair()}-{rng.choice(('consumer', 'cg', 'group'))}")
            if rng.random() < 0.7:
                dom = nm.w()
                brokers = [f"kafka-{i}.{dom}.internal:9092" for i in range(1, rng.choice((3, 3, 4)) + 1)]
                nm.used.update(x.casefold() for x in brokers)
                b.add_list("kafka_bootstrap", brokers)
        elif t == "rabbitmq":
            b.add("rabbitmq_queue", nm.queue())
            if rng.random() < 0.6:
                b.add("rabbitmq_vhost", nm.k8s(common=0.3))
        elif t == "sqs":
            q = nm.queue()
            b.add("sqs_queue", q)
            if rng.random() < 0.7:
                dlq = (q[:-5] + "-dlq.fifo") if q.endswith(".fifo") else rng.choice((q + "-dlq", nm.queue()))
                nm.used.add(dlq.casefold())
                b.add("sqs_dlq", dlq)
        elif t == "pubsub":
            b.add("pubsub_topic", nm.topic().replace(".", "-"))
            b.add("pubsub_subscription", f"{nm.pair()}-sub")
            if "gcp_project" not in b.names and rng.random() < 0.5:
                b.add("gcp_project", f"{nm.pair()}-{rng.randint(100000, 999999)}")
        elif t == "s3":
            b.add("s3_bucket", nm.bucket())
        elif t == "gcs":
            b.add("gcs_bucket", nm.bucket())
        elif t == "dynamodb":
            b.add("dynamodb_table", nm._fresh(lambda: rng.choice((
                f"{rng.choice(ADJ).title()}{rng.choice(NOUN).title()}s", f"{nm.pair()}-table", nm.pair("_")))))
        elif t == "elasticsearch":
            b.add("es_cluster", f"{nm.pair()}-search")
            b.add("es_index", f"{nm.w()}-{rng.choice(('docs', 'products', 'logs'))}-v{rng.randint(1, 4)}")
        elif t == "mongodb":
            b.add("mongo_rs", rng.choice((f"rs-{nm.w()}", f"{nm.w()}-rs0")))
            if rng.random() < 0.5:
                b.add("db_name", nm.snake())

    # region(s)
    if cloud == "aws" and platform != "bare_metal" and rng.random() < 0.8:
        regions = rng.sample(AWS_REGIONS, 2 if "global_cluster" in b.names or rng.random() < 0.15 else 1)
        if len(regions) == 2:
            b.add_list("region", regions)
            b.fact(rng.choice(("It is active-active across both regions.",
                               f"{regions[1]} is the DR region.")))
        else:
            b.add("region", regions[0])
    elif cloud == "gcp" and platform not in ("gce",) and rng.random() < 0.6:
        b.add("region", rng.choice(GCP_REGIONS))
    elif cloud == "azure" and rng.random() < 0.5:
        b.add("region", rng.choice(AZURE_REGIONS))

    # endpoints
    if kind in ("api", "web") and rng.random() < 0.6:
        port = str(rng.choice((3000, 8000, 8443, 9000, 5000, 8081, 4000, 8088)))
        path = rng.choice(("/healthz", "/health", "/ready", "/livez", "/api/health", "/status", "/-/health"))
        b.fact(rng.choice((f"It listens on port {port} and exposes {path}.",
                           f"Health check: {path} on port {port}.")))
        b.names.setdefault("port", []).append(port)
        b.names["health_path"] = [path]
        b.phrasings[f"port:{port}"] = "after"
        b.phrasings[f"health_path:{path}"] = "after"
    if rng.random() < 0.3:
        url = rng.choice((f"https://grafana.{nm.w()}.net/d/{nm.w()}-overview", f"https://status.{nm.w()}.io"))
        b.fact(f"Dashboard: {url}" if "grafana" in url else f"The public status page is {url}.", "url", url)

    # people and figures
    if rng.random() < 0.6:
        team = f"{nm.w()}-{rng.choice(('core', 'platform', 'squad', 'team'))}"
        b.fact(rng.choice((f"Owned by the {team} team.", f"The owning team is {team}.")), "team", team)
        if rng.random() < 0.7:
            ch = f"#{team}-oncall" if rng.random() < 0.5 else f"#{nm.w()}-alerts"
            b.fact(f"Incidents go to {ch} on Slack.", "slack_channel", ch)
        if rng.random() < 0.4:
            pg = f"{team}-primary"
            b.fact(f"The PagerDuty schedule is {pg}.", "pager", pg)
    if rng.random() < 0.6:
        slo = rng.choice(("99.5%", "99.9%", "99.95%", "99.99%"))
        b.fact(f"The availability SLO is {slo}.", "slo", slo)
    if kind in ("api", "web") and rng.random() < 0.5:
        q, ms = rng.choice(("p95", "p99")), rng.choice((150, 200, 250, 300, 400, 800))
        b.fact(f"{q} latency must stay under {ms} ms.", "latency", f"{q} {ms}ms")
    if rng.random() < 0.4:
        rto, rpo = rng.choice(("15 minutes", "30 minutes", "1 hour", "4 hours")), rng.choice(("5 minutes",
                                                                                              "15 minutes", "1 hour"))
        b.fact(f"RTO is {rto} and RPO is {rpo}.")
        b.names["rto"], b.names["rpo"] = [rto], [rpo]
        b.phrasings[f"rto:{rto}"] = b.phrasings[f"rpo:{rpo}"] = "figure"
    if rng.random() < 0.25:
        ret = f"{rng.choice((7, 14, 30, 35))} days"
        b.fact(f"Backups are kept for {ret}.", "backup_retention", ret)

    distractors = rng.sample(DISTRACTORS, k=rng.choice((0, 1, 2, 3)))
    facts = b.facts + distractors
    rng.shuffle(facts)
    description = _layout(layout, intro, facts, rng)

    answers: dict[str, str] = {}
    if rng.random() < 0.6:
        answers["type"] = TYPE_ANSWER[kind]
    if rng.random() < 0.6:
        answers["env"] = PLATFORM_ENV[platform]
    if rng.random() < 0.6:
        answers["criticality"] = rng.choice(CRIT)
    if rng.random() < 0.6:
        answers["monitoring"] = rng.choice(MONITORING if cloud == "aws" else ("prometheus", "datadog", "newrelic"))
    if rng.random() < 0.6:
        answers["oncall"] = rng.choice(ONCALL)

    return Case(seed=seed, id=f"g{seed}", description=description, names=b.names, phrasings=b.phrasings,
                answers=answers, platform=platform, techs=techs, layout=layout, distractors=distractors)


def _layout(layout: str, intro: str, facts: list[str], rng: random.Random) -> str:
    if layout == "prose":
        return " ".join([intro, *facts])
    if layout == "terse":
        return intro + " " + "; ".join(f.rstrip(".") for f in facts) + "."
    if layout == "bullets":
        return intro + "\n\n" + "\n".join(f"- {f}" for f in facts)
    cut = rng.randint(1, max(1, len(facts) - 1)) if facts else 0
    return " ".join([intro, *facts[:cut]]) + ("\n\nDetails:\n" + "\n".join(f"* {f}" for f in facts[cut:])
                                             if facts[cut:] else "")


def generate_cases(seed: int, n: int) -> list[Case]:
    master = random.Random(seed)
    return [generate_case(master.randrange(2**31)) for _ in range(n)]


def case_strategy() -> Any:
    """Hypothesis strategy over generated cases (imported lazily: hypothesis is a dev dependency)."""
    from hypothesis import strategies as st

    return st.integers(min_value=0, max_value=2**31 - 1).map(generate_case)


def name_strategy() -> Any:
    """Random DNS-1123 names, the shape most role names take."""
    from hypothesis import strategies as st

    return st.from_regex(r"\A[a-z][a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}\Z", fullmatch=True)


# --------------------------------------------------------------------------------------------------
# The runbook an operator would write with these names: one canonical position per role

REFERENCE: dict[str, str] = {
    "namespace": "kubectl get pods -n {v}",
    "deployment": "kubectl rollout status deployment/{v} -n \"$NS\"",
    "statefulset": "kubectl get statefulset {v} -n \"$NS\"",
    "daemonset": "kubectl rollout status daemonset/{v} -n \"$NS\"",
    "cronjob": "kubectl create job --from=cronjob/{v} manual-run -n \"$NS\"",
    "k8s_cluster": "aws eks update-kubeconfig --name {v}",
    "context": "kubectl config use-context {v}",
    "helm_release": "helm history {v} -n \"$NS\"",
    "argocd_app": "argocd app get {v}",
    "compose_file": "docker compose -f {v} ps",
    "compose_project": "docker compose -p {v} ps",
    "compose_service": "docker compose logs --tail 100 {v}",
    "systemd_unit": "systemctl status {v} --no-pager",
    "host": "ssh {v} uptime",
    "db_host": "psql -h {v} -d postgres -c 'SELECT 1'",
    "lambda_function": "aws lambda get-function-concurrency --function-name {v}",
    "cloud_function": "gcloud functions describe {v}",
    "ecs_cluster": "aws ecs list-services --cluster {v}",
    "ecs_service": "aws ecs describe-services --cluster \"$CLUSTER\" --services {v}",
    "sqs_queue": "aws sqs get-queue-url --queue-name {v}",
    "sqs_dlq": "aws sqs get-queue-url --queue-name {v}",
    "rabbitmq_queue": "rabbitmqctl purge_queue {v}",
    "rabbitmq_vhost": "rabbitmqctl list_queues -p {v} name messages",
    "kafka_topic": "kafka-topics.sh --bootstrap-server \"$BOOTSTRAP\" --describe --topic {v}",
    "kafka_group": "kafka-consumer-groups.sh --bootstrap-server \"$BOOTSTRAP\" --describe --group {v}",
    "kafka_bootstrap": "kafka-broker-api-versions.sh --bootstrap-server {v}",
    "pubsub_topic": "gcloud pubsub topics describe {v}",
    "pubsub_subscription": "gcloud pubsub subscriptions describe {v}",
    "s3_bucket": "aws s3 ls s3://{v}/",
    "gcs_bucket": "gcloud storage ls gs://{v}/",
    "dynamodb_table": "aws dynamodb describe-table --table-name {v}",
    "rds_instance": "aws rds describe-db-instances --db-instance-identifier {v}",
    "aurora_cluster": "aws rds describe-db-clusters --db-cluster-identifier {v}",
    "global_cluster": "aws rds describe-global-clusters --global-cluster-identifier {v}",
    "db_name": "psql -h \"$PGHOST\" -d {v} -c 'SELECT 1'",
    "elasticache_rg": "aws elasticache describe-replication-groups --replication-group-id {v}",
    "redis_host": "redis-cli -h {v} PING",
    "patroni_cluster": "patronictl -c /etc/patroni/patroni.yml list {v}",
    "pgbackrest_stanza": "pgbackrest --stanza={v} info",
    "pgbouncer_host": "psql -h {v} -p 6432 -U pgbouncer -d pgbouncer -c 'SHOW POOLS'",
    "es_cluster": "aws opensearch describe-domain --domain-name {v}",
    "es_index": "curl -s \"$ES_URL/_cat/indices/{v}?v\"",
    "mongo_rs": "mongosh \"mongodb://$MONGO_HOST/?replicaSet={v}\" --eval 'rs.status()'",
    "region": "aws ec2 describe-availability-zones --region {v}",
    "zone": "gcloud compute instances list --zone {v}",
    "gcp_project": "gcloud compute instances list --project {v}",
    "gce_mig": "gcloud compute instance-groups managed list-instances {v} --zone \"$ZONE\"",
    "azure_rg": "az aks list --resource-group {v}",
    "port": "curl -fsS http://localhost:{v}/",
    "health_path": "curl -fsS \"http://localhost:$PORT{v}\"",
}


def reference_runbook(case: Case) -> str:
    svc = case.names["service"][0]
    lines = [f"# Runbook: {svc}", "", "## Checks", "", "```bash", 'NS="${NS:?set the namespace}"']
    doc: list[str] = []
    for role, names in case.names.items():
        for v in names:
            if role in REFERENCE:
                lines.append(REFERENCE[role].format(v=v))
            elif role == "service":
                continue
            elif role == "slack_channel":
                doc.append(f"- Slack: {v}")
            elif role == "url":
                doc.append(f"- Dashboard: {v}")
            elif role == "latency":
                q, ms = re.match(r"(p\d+) (\d+)ms", v).groups()  # type: ignore[union-attr]
                doc.append(f"- Response Time {q}: < {ms}ms")
            elif role in ("rto", "rpo"):
                doc.append(f"- {role.upper()}: {v}")
            elif role == "backup_retention":
                doc.append(f"- Retention: {v}")
            elif role == "slo":
                doc.append(f"- Availability Target: {v}")
            else:
                doc.append(f"- {role}: {v}")
    lines += ["```", "", "## Contacts", "", *doc, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for c in generate_cases(int(sys.argv[2]) if len(sys.argv) > 2 else 1, n):
        print(json.dumps(c.to_json(), indent=2))
