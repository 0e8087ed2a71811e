"""Facts pulled out of a free-text service description: names, places, figures.

Everything here is pattern matching over what the user wrote; nothing is invented. A field stays
`None` (or a key stays out of `Facts.names`) when the description does not say, so the engine can
fall back to a default and mark it as one. `Facts.given` lists what came from the description.

Keys written to `Facts.names` (packs read them with a default):

    workloads   k8s.deployment, k8s.statefulset, k8s.cronjob, k8s.context, helm.release, argocd.app,
                compose.service, compose.file, compose.project, ecs.cluster, ecs.service, systemd.unit,
                lambda.function, hosts (comma-separated), instance (EC2 id), protocol ("grpc")
    data        db.engine, db.instance, db.name, db.host, <engine>.database / .instance / .host (postgres,
                mysql, mongodb, redis), rds.instance, elasticache.cluster, patroni.cluster,
                pgbackrest.stanza, pgbouncer.port, bucket, s3.bucket, gcs.bucket
    messaging   queue, sqs.queue, sqs.dlq, rabbitmq.queue, dlq, topic, kafka.topic, kafka.group,
                kafka.bootstrap, pubsub.topic, pubsub.subscription, sns.topic, backlog.max
    network     health.port, url.1… (URLs besides the service URL: dashboards, docs)
    levels      latency.quantile ("99" when the target is a p99), deadline ("08:00 UTC"), schedule, dag
    recovery    dr.region, dr.cluster
    people      slack, pager, oncall.regions, oncall.zones, upstream, downstream
    versions    <tech>.version (postgres, mysql, redis, kafka, rabbitmq, mongodb, elasticsearch, nginx,
                airflow, spark, node, python, go, java, ruby, …)
"""

from __future__ import annotations

import re

from agent.knowledge.base import Facts

_ID = r"[A-Za-z0-9][A-Za-z0-9_.:/-]*[A-Za-z0-9]"
_Q = r"[`'\"]?"

# Words that look like names after "cluster"/"service"… but are not.
_STOP = {
    "the", "a", "an", "our", "its", "their", "this", "that", "which", "with", "and", "or", "on", "in",
    "is", "are", "for", "of", "to", "from", "at", "by", "as", "it", "we", "named", "called",
    "eks", "gke", "aks", "kubernetes", "k8s", "redis", "kafka", "postgres", "postgresql", "mysql",
    "rds", "aurora", "mongodb", "production", "prod", "staging", "primary", "replica", "main",
    "api", "service", "services", "cluster", "database", "db", "queue", "topic", "bucket", "team",
    "instance", "instances", "function", "deployment", "namespace", "every", "each", "one", "two",
    "three", "single", "shared", "managed", "small", "large", "new", "old", "same", "default",
    "that's", "was", "be", "has", "have", "runs", "running", "behind", "via", "using", "into",
    "when", "then", "also", "all", "any", "read", "write", "writes", "reads", "consumer", "group",
    "prefixed", "starting", "matching",
    "http", "https", "cron", "name", "names", "job", "jobs", "worker", "workers", "node", "nodes", "pods", "pod",
}

_TECH_VERSION = {
    "postgres": r"(?:postgres(?:ql)?|pg)",
    "mysql": r"mysql",
    "mariadb": r"mariadb",
    "redis": r"redis",
    "kafka": r"kafka",
    "rabbitmq": r"rabbitmq",
    "mongodb": r"mongo(?:db)?",
    "elasticsearch": r"elasticsearch",
    "nginx": r"nginx",
    "airflow": r"airflow",
    "spark": r"spark",
    "node": r"node(?:\.?js)?",
    "python": r"python",
    "go": r"go(?:lang)?",
    "java": r"java|jdk|openjdk",
    "ruby": r"ruby",
    "rails": r"rails",
    "django": r"django",
    "dotnet": r"\.net",
    "php": r"php",
    "kubernetes": r"kubernetes|k8s|eks|gke|aks",
}

_RUNTIMES = [
    ("node", "Node.js"), ("python", "Python"), ("go", "Go"), ("java", "Java"), ("ruby", "Ruby"),
    ("dotnet", ".NET"), ("php", "PHP"),
]
_RUNTIME_WORDS = {
    "node": r"node(?:\.?js)?|express|nestjs|next\.js",
    "python": r"python|django|flask|fastapi|celery",
    "go": r"golang|written in go|\bgo\b(?= \d)|\bgo (?:api|service|worker|binary|app|microservice)",
    "java": r"java|spring boot|spring|jvm|kotlin",
    "ruby": r"ruby|rails|sidekiq",
    "dotnet": r"\.net|c#|asp\.net",
    "php": r"php|laravel",
}

_AWS_REGION = re.compile(
    r"\b((?:us|eu|ap|ca|sa|me|af|il)-(?:gov-)?(?:east|west|north|south|central|northeast|southeast|"
    r"southwest|northwest)-\d)\b"
)
_GCP_REGION = re.compile(
    r"\b((?:us|europe|asia|australia|northamerica|southamerica|me|africa)-(?:central|east|west|north|"
    r"south|northeast|southeast|southwest|northwest)\d{1,2})(?:-[a-f])?\b"
)
_AZURE_REGION = re.compile(
    r"\b(eastus2?|westus[23]?|westeurope|northeurope|uksouth|ukwest|centralus|southeastasia|"
    r"germanywestcentral|francecentral|australiaeast|japaneast|canadacentral)\b"
)
# URLs of tools about the service rather than the service itself.
_TOOL_URL = re.compile(r"grafana|prometheus|alertmanager|datadoghq|datadog|newrelic|one\.nr|console\.aws|"
                       r"kibana|opensearch|statuspage|status\.|confluence|wiki|notion|docs\.|dashboard|"
                       r"pagerduty|opsgenie|github\.com|gitlab", re.I)
_URL = re.compile(r"\bhttps?://[^\s`'\"<>)\]]+")
_TZ = re.compile(
    r"\b((?:Europe|America|Asia|Australia|Africa|Pacific)/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?|"
    r"UTC|GMT|CET|CEST|EET|BST|IST|JST|SGT|AEST|AEDT|PST|PDT|EST|EDT|CST|CDT|MST|MDT)\b"
)
_HOST = re.compile(
    r"\b([a-z][a-z0-9-]*[a-z0-9](?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|example\.com|"
    r"svc\.cluster\.local|private)|[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d{1,3}[a-z]?)\b"
)
_DURATION_UNITS = {
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "d": 1440, "day": 1440, "days": 1440,
}

# Cities on-call teams name, with their zone (for follow-the-sun rows and business hours).
_CITY_ZONES = {
    "dublin": "Europe/Dublin", "london": "Europe/London", "berlin": "Europe/Berlin", "amsterdam": "Europe/Amsterdam",
    "paris": "Europe/Paris", "madrid": "Europe/Madrid", "warsaw": "Europe/Warsaw", "zurich": "Europe/Zurich",
    "singapore": "Asia/Singapore", "tokyo": "Asia/Tokyo", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "pune": "Asia/Kolkata", "hyderabad": "Asia/Kolkata", "sydney": "Australia/Sydney",
    "melbourne": "Australia/Melbourne",
    "new york": "America/New_York", "boston": "America/New_York", "toronto": "America/Toronto",
    "chicago": "America/Chicago", "austin": "America/Chicago", "denver": "America/Denver",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles", "los angeles": "America/Los_Angeles",
    "sao paulo": "America/Sao_Paulo", "são paulo": "America/Sao_Paulo", "tel aviv": "Asia/Jerusalem",
}

_SLUG_STOP = re.compile(
    r"\b(?:on|in|that|which|who|running|runs|deployed|hosted|behind|built|written|using|with|for|"
    r"serving|serves|is|are|was|handles|handling|processes|processing|consumes|consuming|reads|"
    r"writes|exposes|backed|powered|lives|sits|at|from|to|via|—|-{2}|\(|,|:|;)\b|[,:;(—.]"
)
_GENERIC_LEAD = {"the", "a", "an", "our", "my", "this", "we", "have", "run", "operate", "it", "service"}
# Words too generic to make a service name on their own.
_WEAK = {"service", "app", "application", "system", "tool", "thing", "job", "we", "i"}


_TYPE_WORDS = {"worker", "api", "pipeline", "etl", "job", "app", "consumer", "database", "web", "webapp",
               "function", "lambda", "cron", "batch", "service", "application", "website"}


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:48].strip("-")


def _clean(value: str) -> str:
    return value.strip("`'\".,;:()[]")


_ARTICLES = {"the", "a", "an", "our", "its", "their", "this", "that", "which", "with", "and", "or", "on", "in",
             "is", "are", "for", "of", "to", "from", "at", "by", "as", "named", "called"}


def _first(patterns: list[str], text: str, flags: int = re.IGNORECASE, *, strict: bool = True,
           lower: bool = False) -> str | None:
    """The first capture of the first pattern that matches with a plausible name.

    `strict` rejects generic words ("the api", "a worker"); explicit forms ("compose service worker")
    pass strict=False and only reject articles."""
    stop = _STOP if strict else _ARTICLES
    for pattern in patterns:
        for match in re.finditer(pattern, text, flags):
            value = _clean(match.group(1))
            if value and value.lower() not in stop and len(value) > 1 and not (lower and value != value.lower()):
                return value
    return None


def _minutes(number: str, unit: str) -> int | None:
    factor = _DURATION_UNITS.get(unit.lower().rstrip("."))
    if factor is None:
        return None
    return max(0, round(float(number) * factor))


def _figure_minutes(label: str, text: str) -> int | None:
    """'RTO of 30 minutes', 'RTO: 1h', 'RPO 5 min', 'RPO of zero'."""
    match = re.search(
        rf"\b{label}\b[^0-9\n]{{0,25}}?(\d+(?:\.\d+)?)\s*({'|'.join(_DURATION_UNITS)})\b", text, re.I
    )
    if match:
        return _minutes(match.group(1), match.group(2))
    if re.search(rf"\b{label}\b\W{{0,10}}(?:of\s+|is\s+)?(?:zero|0|none)\b", text, re.I):
        return 0
    return None


def _service_name(text: str) -> tuple[str, str] | None:
    """(slug, display name) from 'the orders API on EKS …', 'payments-service is …', 'called X'."""
    named = re.search(rf"\b(?:(?:service|app|application|api|worker|pipeline|job|system|function)\s+(?:called|named)|"
                      rf"service name(?: is)?)\s+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
                      text, re.I)
    if named and named.group(1).lower() not in _STOP:
        value = named.group(1)
        return slugify(value), value
    first = text.strip().split("\n", 1)[0]
    ticked = re.match(r"^\s*`([^`]+)`", first)
    if ticked:
        return slugify(ticked.group(1)), ticked.group(1)
    lead = re.match(r"^\s*([A-Za-z0-9][\w.-]*-[\w.-]*[A-Za-z0-9])\b", first)
    if lead:
        value = lead.group(1)
        return slugify(value), value
    head = _SLUG_STOP.split(first, maxsplit=1)[0]
    words = [w for w in re.findall(r"[A-Za-z0-9][\w'.-]*", head)]
    while words and words[0].lower() in _GENERIC_LEAD:
        words.pop(0)
    # "a Python worker" -> drop a leading runtime word only when more words follow
    if len(words) > 1 and words[0].lower() in {"python", "go", "golang", "java", "node.js", "node", "ruby",
                                                "rust", "kotlin", "typescript", "php", "scala", "small",
                                                "simple", "new", "legacy", "internal", "public", "nightly",
                                                "daily", "hourly", "weekly"}:
        words.pop(0)
    words = words[:4]
    if not words or all(w.lower() in _WEAK for w in words):
        return None
    display = " ".join(words)
    return slugify(display), display


def _display(slug: str) -> str:
    keep = {"api", "etl", "db", "ui", "sql", "cdn", "ml", "sso", "crm", "erp", "cms", "sqs", "sns"}
    return " ".join(w.upper() if w in keep else w.capitalize() for w in slug.split("-"))


def extract_facts(description: str, service_name: str | None = None) -> Facts:
    # Join wrapped lines (keep paragraph breaks) so a name split across lines is still found.
    text = re.sub(r"\*\*|__", "", description or "")  # Markdown bold around labels ("**Namespace:** x")
    text = re.sub(r"[ \t]*\n(?!\s*\n)[ \t]*", " ", text.strip())
    low = text.lower()
    names: dict[str, str] = {}
    given: set[str] = set()

    # --- service name -----------------------------------------------------------------------
    if service_name and slugify(service_name):
        slug, display = slugify(service_name), service_name.strip()
        given.add("service")
    else:
        found = _service_name(text)
        if found and found[0]:
            slug, display = found
            if len(display.split()) > 1:  # "orders API" -> "Orders API"; a lone "flagd" keeps its spelling
                display = " ".join(w[:1].upper() + w[1:] if w.islower() and "-" not in w else w
                                   for w in display.split())
            given.add("service")
        else:
            slug, display = "service", "Service"
    facts = Facts(service=slug, display_name=display, description=text)

    def put(key: str, value: str | None) -> None:
        if value and key not in names:
            names[key] = value

    # --- cloud and region -------------------------------------------------------------------
    clouds = {
        "aws": r"\b(?:aws|eks|ec2|rds|aurora|lambda|sqs|sns|s3|cloudwatch|elasticache|dynamodb|ecs|"
               r"fargate|msk|kinesis|route ?53|alb|elb|secrets manager)\b",
        "gcp": r"\b(?:gcp|gke|gce|google cloud|compute engine|cloud sql|pub/?sub|bigquery|gcs|"
               r"cloud functions?|cloud run|memorystore|gcloud)\b",
        "azure": r"\b(?:azure|aks|cosmos ?db|blob storage)\b",
    }
    scores = {c: len(re.findall(p, low)) for c, p in clouds.items()}
    if max(scores.values()) > 0:
        facts.cloud = max(scores, key=lambda c: scores[c])
        given.add("cloud")
    for pattern in (_AWS_REGION, _GCP_REGION):
        regions = [m.group(1) for m in pattern.finditer(low)]
        if len(regions) > 1:
            for match in pattern.finditer(low):
                before = low[max(0, match.start() - 40):match.start()]
                if re.search(r"\b(?:dr|disaster|failover|fail over|standby|secondary|recovery|replicat\w*|copies|"
                             r"copied)\b", before):
                    names["dr.region"] = match.group(1)
                    break
    dr_cluster = re.search(r"\b(?:dr|disaster recovery|standby|failover)\s+cluster\s+[`'\"]?"
                           r"([a-z0-9][a-z0-9-]*[a-z0-9])", low)
    if dr_cluster:
        names["dr.cluster"] = dr_cluster.group(1)
    for pattern, cloud in ((_AWS_REGION, "aws"), (_GCP_REGION, "gcp"), (_AZURE_REGION, "azure")):
        candidates = [m.group(1) for m in pattern.finditer(low) if m.group(1) != names.get("dr.region")]
        if candidates:
            facts.region = candidates[0]
            given.add("region")
            if facts.cloud is None:
                facts.cloud = cloud
                given.add("cloud")
            break

    # --- kubernetes -------------------------------------------------------------------------
    facts.namespace = _first([
        rf"\bnamespace[:=\s]+{_Q}([a-z0-9][a-z0-9-]*){_Q}",
        rf"\b(?:in|into|to)\s+(?:the\s+)?{_Q}([a-z0-9][a-z0-9-]*){_Q}\s+(?:k8s\s+|kubernetes\s+)?namespace\b",
        r"(?:^|\s)(?:-n|--namespace)[ =]([a-z0-9][a-z0-9-]*)",
        rf"\bns[:=\s]+{_Q}([a-z0-9][a-z0-9-]*){_Q}",
    ], text) or _first([  # "the namespace kafka": technology words are fine after an explicit "namespace"
        rf"\bnamespace[:=\s]+{_Q}(kafka|redis|postgres|mysql|mongodb|rabbitmq|elasticsearch|monitoring|data)\b{_Q}",
    ], text, strict=False)
    facts.cluster = _first([
        # The Kubernetes cluster wins over other clusters named nearby ("KafkaConnect cluster cdc-connect").
        rf"\b(?:eks|gke|aks|kubernetes|k8s|openshift)\s+cluster(?:\s+(?:called|named))?[:=\s]+{_Q}"
        rf"([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
        rf"\bcluster(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
        rf"\b{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}\s+(?:eks\s+|gke\s+|aks\s+|kubernetes\s+|k8s\s+)?cluster\b",
    ], text)
    if facts.cluster and re.fullmatch(r"[\d-]+", facts.cluster):  # "RabbitMQ 3.13 cluster" is a version
        facts.cluster = None
    given.update(k for k in ("namespace", "cluster") if getattr(facts, k))
    put("k8s.deployment", _first([
        rf"\bdeployment(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
        rf"\b{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}\s+deployment\b",
        r"deployment/([a-z0-9][a-z0-9-]*[a-z0-9])",
    ], text))
    put("k8s.statefulset", _first([
        rf"\bstatefulset(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
        r"statefulset/([a-z0-9][a-z0-9-]*[a-z0-9])",
        rf"\b{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}\s+statefulset\b",
    ], text))
    put("k8s.cronjob", _first([
        rf"\bcronjob(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
        r"cronjob/([a-z0-9][a-z0-9-]*[a-z0-9])",
    ], text))
    put("helm.release", _first([
        rf"\bhelm\s+(?:release|chart)(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
        rf"\brelease[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
    ], text))
    put("argocd.app", _first([
        rf"\bargo\s?cd\s+app(?:lication)?(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}",
    ], text))
    put("k8s.context", _first([rf"\bcontext[:=\s]+{_Q}({_ID}){_Q}"], text))

    # --- docker / systemd / serverless --------------------------------------------------------
    put("compose.file", _first([r"(?<![\w/.-])(/?(?:[\w.-]+/)*(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml)\b"], text))
    put("compose.service", _first([
        rf"\bcompose\s+service(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9_-]*){_Q}",
        rf"\bcontainer(?:\s+(?:called|named))[:=\s]+{_Q}([a-z0-9][a-z0-9_-]*[a-z0-9]){_Q}",
    ], text, strict=False))
    if re.search(r"\b(?:ecs|fargate)\b", low):
        put("ecs.service", _first([rf"\b(?:ecs|fargate)\b[^.\n]{{0,60}}?\bservice(?:\s+(?:called|named))?[:=\s]+{_Q}"
                                   rf"([a-z0-9][a-z0-9_-]*[a-z0-9]){_Q}"], text, strict=False))
        put("ecs.cluster", _first([rf"\b(?:ecs|fargate)\b[^.\n]{{0,40}}?\bcluster(?:\s+(?:called|named))?[:=\s]+{_Q}"
                                   rf"([a-z0-9][a-z0-9_-]*[a-z0-9]){_Q}"], text, strict=False))
    if "compose" in low:
        put("compose.service", _first([
            rf"\b(?:the\s+)?{_Q}([a-z][a-z0-9_-]*){_Q}\s+(?:compose\s+)?service\s+\((?!\s*service)",
        ], text, strict=False))
    listed = re.search(r"\bcompose\s+services?[:\s]+(?:called\s+|named\s+)?([a-z0-9][a-z0-9_-]*"
                       r"(?:\s*(?:,|\band\b)\s*[a-z0-9][a-z0-9_-]*)+)", text, re.I)
    if listed:  # "two compose services: mysql-primary and mysql-replica"
        services = [s for s in re.split(r"\s*(?:,|\band\b)\s*", listed.group(1)) if s]
        put("compose.services", ",".join(services))
        put("compose.service", services[0])
    put("compose.project", _first([rf"\bcompose\s+project(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9_-]*){_Q}"],
                                  text, strict=False))
    put("systemd.unit", _first([
        r"\b([a-z0-9][a-z0-9@_.-]*)\.service\b",
        rf"\b(?:systemd\s+)?unit(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9@_.-]*){_Q}",
    ], text))
    put("lambda.function", _first([
        rf"\b(?:lambda\s+)?function(?:s)?(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][A-Za-z0-9_-]*[A-Za-z0-9]){_Q}",
        rf"\b{_Q}([A-Za-z0-9][A-Za-z0-9_-]*-[A-Za-z0-9_-]*[A-Za-z0-9]){_Q}\s+(?:lambda|function)\b",
    ], text))
    image = re.search(r"\b((?:[a-z0-9.-]+(?::\d+)?/)?[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9][\w.-]*)\b", text)
    if image and "/" in image.group(1) and not image.group(1).startswith(("http", "https")):
        facts.image = image.group(1)
        given.add("image")

    # --- hosts --------------------------------------------------------------------------------
    hosts: list[str] = []
    for match in _HOST.finditer(text):
        host = match.group(1)
        if match.start() and text[match.start() - 1] in "./":  # "es-master-01/02/03.fra.internal" tail
            continue
        if re.fullmatch(r"[a-z][a-z0-9-]*-\d{2,3}[dhwmy]", host):  # "logs-30d": a retention, not a host
            continue
        if re.fullmatch(r"(?:us|eu|ap|ca|sa|me|af)-[a-z]+-\d", host) or _GCP_REGION.fullmatch(host):
            continue
        if re.fullmatch(r"[a-z]+-\d{1,3}", host) and host.split("-")[0] in {"python", "node", "java", "go", "ec2",
                                                                            "pg", "tier", "p"}:
            continue
        if host not in hosts:
            hosts.append(host)
    if hosts:
        names["hosts"] = ",".join(hosts[:8])
    put("instance", _first([r"\b(i-[0-9a-f]{8,17})\b"], text))
    if re.search(r"\bmongo", low):
        put("mongodb.replset", _first([rf"\breplica\s*set\s+(?:name|called|named)[:=\s]+{_Q}"
                                       rf"([A-Za-z][\w-]*[A-Za-z0-9]){_Q}",
                                       rf"\breplica\s*set[:=\s]+{_Q}([A-Za-z][\w-]*[A-Za-z0-9]){_Q}",
                                       r"\breplica\s*set\s*\(([A-Za-z][\w-]*)\)"], text))
    put("alb.target_group", _first([rf"\btarget\s+group(?:\s+(?:called|named))?[:=\s]+{_Q}"
                                    rf"([a-z0-9][a-z0-9-]*[a-z0-9]){_Q}"], text))
    put("asg", _first([rf"\bauto\s*scaling\s+group(?:\s+(?:called|named))?[:=\s]+{_Q}"
                       rf"([A-Za-z0-9][\w-]*[A-Za-z0-9]){_Q}"], text))
    # The app server behind a reverse proxy: "proxies to Gunicorn on 127.0.0.1:8000"
    upstream = re.search(r"\b(?:proxies|proxying|forwards|passes)\b[^.\n]{0,60}?(?:127\.0\.0\.1|localhost|0\.0\.0\.0|"
                         r"unix)?:(\d{2,5})\b|\b(?:gunicorn|uwsgi|uvicorn|puma|unicorn|php-fpm)\b[^.\n]{0,30}?"
                         r"(?:port\s+|(?:127\.0\.0\.1|localhost):)(\d{2,5})\b", text, re.I)
    if upstream:
        put("upstream.port", upstream.group(1) or upstream.group(2))
    if facts.cloud == "gcp":  # gcloud compute ssh needs the zone; the project scopes every gcloud call
        put("gcp.zone", _first([rf"\bzone[:=\s]+{_Q}([a-z]+-[a-z]+\d{{1,2}}-[a-f])\b"], text, strict=False))
        put("gcp.project", _first([rf"\b(?:gcp\s+|google cloud\s+)?project(?:\s+id)?[:=\s]+{_Q}"
                                   rf"([a-z][a-z0-9-]{{4,28}}[a-z0-9]){_Q}"], text))

    # --- databases, caches ----------------------------------------------------------------------
    engines = [("postgres", r"postgres(?:ql)?|aurora postgres|rds postgres|pg"),
               ("mysql", r"mysql|mariadb|aurora mysql"),
               ("mongodb", r"mongo(?:db)?"), ("redis", r"redis|elasticache|memorystore")]
    pooled: set[str] = set()  # engine hosts picked from the named hosts: they stay service hosts too
    for engine, words in engines:
        if not re.search(rf"\b(?:{words})\b", low):
            continue
        if engine != "redis":
            put("db.engine", engine)
        database = _first([
            rf"\b(?:database|db)\s+name[:=\s]+(?:is\s+)?{_Q}([a-z_][a-z0-9_]*){_Q}",
            rf"\b(?:{words})\s+(?:database|db)\s+(?:called\s+|named\s+)?{_Q}([a-z_][a-z0-9_]*){_Q}",
            rf"\b(?:database|db)\s+(?:called|named)\s+{_Q}([a-z_][a-z0-9_]*){_Q}",
            rf"\b{_Q}([a-z_][a-z0-9_]*){_Q}\s+(?:{words})?\s*database\b",
            rf"\bdatabase[:=\s]+{_Q}([a-z_][a-z0-9_]*){_Q}",
            rf"\bdb(?:name)?[:=]\s*{_Q}([a-z_][a-z0-9_]*){_Q}",
        ], text, lower=True) if engine != "redis" else None
        managed = r"elasticache|memorystore" if engine == "redis" else r"rds|aurora|cloud sql|atlas|documentdb"
        suffix = r"redis|cache|valkey" if engine == "redis" else r"db|pg|sql|mongo"
        instance = _first([
            rf"\b(?:{words})\s+(?:\d[\d.x]*\s+)?(?:rds\s+|cloud sql\s+)?(?:instance|cluster|server)\s+"
            rf"(?:called\s+|named\s+)?{_Q}"
            rf"([a-z][a-z0-9-]*[a-z0-9]){_Q}",
            rf"\b(?:{managed})\s+(?:instance|cluster|replication group)?\s*(?:called\s+|named\s+)?{_Q}"
            rf"([a-z][a-z0-9-]*[a-z0-9]){_Q}",
            rf"\b(?:instance|cluster)\s+(?:called\s+|named\s+)?{_Q}([a-z][a-z0-9-]*(?:{suffix})[a-z0-9-]*){_Q}",
        ], text)
        host = _first([
            rf"\b(?:{words})\b[^.\n]{{0,40}}?\b(?:at|host|on)\s+{_Q}([a-z0-9][a-z0-9.-]*\.[a-z0-9.-]*[a-z0-9]|"
            rf"[a-z][a-z0-9-]*-\d+){_Q}(?::\d+)?",
            # Docker Compose: a service's name is its host name on the compose network
            rf"\b(?:{words})\b[^.\n]{{0,30}}?\(\s*(?:compose\s+)?service\s+{_Q}([a-z][a-z0-9_-]*){_Q}",
        ], text, strict=False)
        if not host:  # a host or compose service named for the engine: "mongo-catalog-1.prod.internal"
            hint = {"postgres": r"pg|postgres|psql|patroni", "mysql": r"mysql|maria",
                    "mongodb": r"mongo", "redis": r"redis|valkey|sentinel"}[engine]
            pool = names.get("compose.services", "").split(",") + hosts
            host = next((h for h in pool if h and re.search(rf"(?:^|[-_.])(?:{hint})", h)), None)
            if host:
                pooled.add(host)
        if instance and re.search(r"\b(?:rds|aurora)\b", low):
            put("rds.instance", instance)
        if instance and engine == "redis" and re.search(r"\belasticache\b", low):
            put("elasticache.cluster", instance)
        if engine == "postgres":
            put("patroni.cluster", _first([rf"\bpatroni\b[^.\n]{{0,20}}?\bcluster[:=\s]+{_Q}([a-z0-9][a-z0-9_-]*){_Q}",
                                           rf"\bpatroni\s+cluster[:=\s]+{_Q}([a-z0-9][a-z0-9_-]*){_Q}"], text,
                                          strict=False))
            put("pgbackrest.stanza", _first([rf"\bstanza[:=\s]+{_Q}([a-z0-9][a-z0-9_-]*){_Q}"], text, strict=False))
            bouncer = re.search(r"\bpgbouncer\b[^.\n]{0,40}?\bport\s+(\d{2,5})", low)
            if bouncer:
                put("pgbouncer.port", bouncer.group(1))
        put(f"{engine}.database", database)
        put(f"{engine}.instance", instance)
        put(f"{engine}.host", host)
        if engine != "redis":
            put("db.name", database)
            put("db.instance", instance)
            put("db.host", host)

    # --- queues, topics, buckets ------------------------------------------------------------
    put("sqs.queue", _first([
        rf"\bsqs\s+queue(?:s)?(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
        rf"\b{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}\s+sqs\s+queue\b",
    ], text))
    put("rabbitmq.queue", _first([
        rf"\brabbitmq\s+queues?(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
    ], text))
    put("queue", names.get("sqs.queue") or names.get("rabbitmq.queue") or _first([
        rf"\bqueue(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
        rf"\b{_Q}([A-Za-z0-9][\w.-]*[-_.][\w.-]*[A-Za-z0-9]){_Q}\s+queue\b",
    ], text))
    topic = _first([
        rf"\btopic(?:s)?(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
        rf"\b{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}\s+(?:kafka\s+)?topic\b",
    ], text)
    if topic:
        names["topic"] = topic
        # a topic is Kafka's unless the description says Pub/Sub or SNS without Kafka
        if re.search(r"\b(?:kafka|msk|redpanda|confluent)\b", low) or not re.search(
                r"\bpub/?sub\b|\bpubsub\b|\bsns\b", low):
            names["kafka.topic"] = topic
    put("kafka.group", _first([
        rf"\bconsumer[- ]group(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
        # not "Auto Scaling group X", "resource group X", "security group X"
        rf"(?<!scaling )(?<!resource )(?<!security )(?<!target )(?<!log )\bgroup(?:\.id|\s+id)?[:=\s]+{_Q}"
        rf"([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
    ], text))
    put("kafka.bootstrap", _first([r"\b(?:brokers?|bootstrap(?:[- ](?:servers?|service|address|endpoint))?)[:=\s]+"
                                   r"([\w.-]+:\d+(?:,[\w.-]+:\d+)*)"],
                                  text))
    dlq = _first([
        rf"\b(?:dead[- ]letter(?:\s+queue)?|dlq)(?:\s+(?:called|named|is))?[:=\s]+{_Q}"
        rf"([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
        rf"\bgo\s+to\s+(?:the\s+)?{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}\s+(?:queue|topic)",
        rf"\b{_Q}([A-Za-z0-9][\w.-]*(?:dlq|dead-letter|deadletter)[\w.-]*){_Q}",
    ], text)
    if dlq:
        names["dlq"] = dlq
        if "sqs.queue" in names:
            names["sqs.dlq"] = dlq
    lag = re.search(r"\b(?:lag|backlog|queue depth)\b[^.\n]{0,40}?\b(?:under|below|<|less than|max(?:imum)?(?: of)?)\s*"
                    r"(\d[\d,]*)\s*(?:messages|msgs|jobs|records|events)?", low)
    if lag:
        names["backlog.max"] = lag.group(1).replace(",", "")
    if topic and re.search(r"\bpub/?sub\b|\bpubsub\b", low):
        put("pubsub.topic", topic)
    if topic and re.search(r"\bsns\b", low):
        put("sns.topic", topic)
    put("pubsub.subscription", _first([
        rf"\bsubscription(?:\s+(?:called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}",
    ], text))
    bucket = _first([
        r"\bs3://([a-z0-9][a-z0-9.-]*[a-z0-9])",
        r"\bgs://([a-z0-9][a-z0-9._-]*[a-z0-9])",
        rf"\bbucket(?:\s+(?:called|named))?[:=\s]+{_Q}([a-z0-9][a-z0-9._-]*[a-z0-9]){_Q}",
        rf"\b{_Q}([a-z0-9][a-z0-9._-]*[a-z0-9]){_Q}\s+(?:s3\s+|gcs\s+)?bucket\b",
    ], text)
    if bucket:
        names["bucket"] = bucket
        if "gs://" in low or (re.search(r"\bgcs\b|cloud storage", low) and not re.search(r"\bs3\b", low)):
            names["gcs.bucket"] = bucket
        else:
            names["s3.bucket"] = bucket

    # --- network ----------------------------------------------------------------------------
    urls = list(dict.fromkeys(u.rstrip(".,;:") for u in _URL.findall(text)))
    # The service's own URL is the first one that is not a dashboard, docs or status page.
    service_urls = [u for u in urls if not _TOOL_URL.search(u)]
    if service_urls:
        facts.url = service_urls[0]
        given.add("url")
    others = [u for u in urls if u != facts.url]
    for index, url in enumerate(others[:6], start=1):
        names[f"url.{index}"] = url
    port = re.search(r"\bport\s*[:=]?\s*(\d{2,5})\b|\blisten(?:s|ing)?\s+on\s+(?:port\s+)?:?(\d{2,5})\b|"
                     r"(?<![\w.])(?:localhost|0\.0\.0\.0|127\.0\.0\.1)?:(\d{4,5})\b", text, re.I)
    if port:
        value = int(next(g for g in port.groups() if g))
        if 0 < value < 65536:
            facts.port = value
            given.add("port")
    health_port = re.search(r"\bhealth[\w /-]*?\b(?:at\s+\S+\s+)?on\s+port\s+(\d{2,5})\b|"
                            r"\b(?:readyz|healthz|livez|health)\S*\s+(?:on\s+)?(?:port\s+|:)(\d{2,5})\b", text, re.I)
    if health_port:
        names["health.port"] = health_port.group(1) or health_port.group(2)
    health = re.search(r"(?<![\w/])(/(?:[\w-]+/)*(?:healthz?|readyz|livez|ready|live|ping|status|health[\w-]*)"
                       r"(?:/[\w-]+)*)\b", text, re.I)
    if not health:
        health = re.search(r"\bhealth(?:[ -]?check)?(?:\s+endpoint)?\s*(?:at|on|is|:)\s+[`'\"]?(/[\w/.-]*)", text, re.I)
    if health and health.group(1).rstrip(".,;:") not in ("", "/"):
        facts.health_path = health.group(1).rstrip(".,;:")
        given.add("health_path")

    # --- sizes and runtimes ------------------------------------------------------------------
    replicas = re.search(r"\b(\d{1,3})\s+(?:replicas|pods|instances|containers|nodes|hosts|vms|servers|"
                         r"workers|consumers)\b", low)
    if replicas:
        facts.replicas = int(replicas.group(1))
        given.add("replicas")
    for tech, words in _TECH_VERSION.items():
        vmatch = re.search(rf"(?<![\w.-])(?:{words})[\s-]?v?(\d+(?:\.\d+){{0,2}}(?:\.x)?)\b", low)
        if vmatch:
            put(f"{tech}.version", vmatch.group(1))
    for key, label in _RUNTIMES:
        if re.search(rf"(?:{_RUNTIME_WORDS[key]})", low):
            runtime_version = names.get(f"{key}.version")
            facts.language = f"{label} {runtime_version}" if runtime_version else label
            given.add("language")
            break

    # --- service levels ---------------------------------------------------------------------
    avail = re.search(r"(\d{2}(?:\.\d{1,3})?)\s*%\s*(?:availability|uptime|slo|sla|available)|"
                      r"(?:availability|uptime|slo|sla)[^0-9\n%]{0,30}?(\d{2}(?:\.\d{1,3})?)\s*%", low)
    if avail:
        pct = float(avail.group(1) or avail.group(2))
        if 50 <= pct < 100:
            facts.availability_pct = pct
            given.add("availability_pct")
    latency = re.search(r"\bp(95|99|90|50)\b[^0-9\n]{0,30}?(\d+(?:\.\d+)?)\s*(ms|milliseconds|s|sec|seconds)\b|"
                        r"(?:latency|response time)[^0-9\n]{0,30}?(\d+(?:\.\d+)?)\s*(ms|milliseconds|s|sec|seconds)\b",
                        low)
    if latency:
        number = float(latency.group(2) or latency.group(4))
        unit = latency.group(3) or latency.group(5)
        if latency.group(1) and latency.group(1) != "95":
            names["latency.quantile"] = latency.group(1)
        if number > 0:  # "p95 of 0 ms" is a typo, not a target
            facts.latency_p95_ms = number if unit.startswith("m") else number * 1000
            given.add("latency_p95_ms")
    error = re.search(r"error[- ]rate[^0-9\n]{0,25}?(\d+(?:\.\d+)?)\s*%", low)
    if error and 0 < float(error.group(1)) < 100:
        facts.error_rate_pct = float(error.group(1))
        given.add("error_rate_pct")
    facts.rto_minutes = _figure_minutes("rto", text)
    facts.rpo_minutes = _figure_minutes("rpo", text)
    for key in ("rto_minutes", "rpo_minutes"):
        if getattr(facts, key) is not None:
            given.add(key)
    retention = re.search(r"\b(?:retain(?:ed)?|retention(?: of| is)?|kept|keep)\s+(?:for\s+)?(\d+)\s*"
                          r"(days?|weeks?|months?|years?)\b|\b(\d+)[- ](days?|weeks?|months?|years?)\s+retention\b",
                          low)
    if retention:
        amount, unit = retention.group(1) or retention.group(3), retention.group(2) or retention.group(4)
        facts.backup_retention = f"{amount} {unit}"
        given.add("backup_retention")
    schedule = re.search(r"\b((?:nightly|daily|hourly|weekly|continuous)\s+(?:backups?|snapshots?)|"
                         r"(?:backups?|snapshots?)\s+(?:run\s+|are\s+taken\s+|taken\s+)?(?:every|each)\s+"
                         r"\d*\s*(?:minutes?|hours?|days?|night|day|hour)(?:\s+at\s+\d{1,2}:\d{2}(?:\s*[A-Z]{2,4})?)?|"
                         r"point[- ]in[- ]time recovery|pitr)\b", text, re.I)
    if schedule:
        facts.backup_schedule = schedule.group(1)
        given.add("backup_schedule")
    cron = re.search(r"(?<![\w*/])((?:[\d*/,-]+\s+){4}[\d*/,-]+)(?![\w*/])", text)
    run = re.search(r"\b(?:runs?|scheduled|triggered|executes?)\s+((?:every|each)\s+\d*\s*(?:minutes?|hours?|days?|"
                    r"night|day|hour|week)(?:\s+at\s+\d{1,2}:\d{2}(?:\s*[A-Z]{2,4})?)?|(?:hourly|nightly|daily|weekly)"
                    r"(?:\s+at\s+\d{1,2}:\d{2}(?:\s*[A-Z]{2,4})?)?)", text, re.I)
    if cron:
        names["schedule"] = cron.group(1).strip().rstrip(",")
    elif run:
        names["schedule"] = run.group(1)
    deadline = re.search(r"\b(?:by|before|no later than|deadline(?: of| is)?:?)\s+(\d{1,2}:\d{2}(?:\s*(?:am|pm))?"
                         r"(?:\s*[A-Z]{2,4})?)", text, re.I)
    if deadline:
        names["deadline"] = deadline.group(1).strip()
    put("dag", _first([rf"\bdag(?:\s+(?:id|called|named))?[:=\s]+{_Q}([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}"], text))

    # --- people -----------------------------------------------------------------------------
    team = re.search(r"\b(?i:owned by|owner(?: is)?:?|maintained by|run by)\s+(?i:the\s+)?"
                     r"([A-Z@#][\w&/-]*(?:\s+[A-Z][\w&-]*)*"
                     r"(?:\s+(?:team|squad|group|guild))?)", text)
    if not team:
        team = re.search(r"\b(?:the\s+)?([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*\s+(?:team|squad))\b", text)
    if not team:
        team = re.search(r"\b[Tt]eam[:\s]+([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*)", text)
        if team:
            facts.team = f"{team.group(1)} team"
            given.add("team")
            team = None
    if team:
        facts.team = re.sub(r"^(?:The|Our)\s+", "", team.group(1).strip())
        given.add("team")
    slack = re.search(r"(?<![\w#])(#[a-z0-9][a-z0-9_-]+)", text)
    if slack:
        names["slack"] = slack.group(1)
    pager = re.search(r"\b(pagerduty|opsgenie|victorops|splunk on-call|incident\.io|grafana oncall)\b", low)
    if pager:
        names["pager"] = {"pagerduty": "PagerDuty", "opsgenie": "Opsgenie", "victorops": "VictorOps",
                          "splunk on-call": "Splunk On-Call", "incident.io": "incident.io",
                          "grafana oncall": "Grafana OnCall"}[pager.group(1)]
    rotation = re.search(rf"\b(?:rotation|schedule|escalation policy)(?:\s+(?:called|named))?[:=\s]+{_Q}"
                         rf"([A-Za-z0-9][\w.-]*[A-Za-z0-9]){_Q}|\b{_Q}([A-Za-z0-9][\w.-]*-[\w.-]*[A-Za-z0-9]){_Q}\s+"
                         rf"(?:rotation|schedule|escalation policy)\b", text, re.I)
    if rotation:
        rota: str = rotation.group(1) or rotation.group(2)
        if rota.lower() not in _STOP:
            facts.rotation = rota
            given.add("rotation")
    zones = [m.group(1) for m in _TZ.finditer(text)]
    zone = next((z for z in zones if "/" in z), zones[0] if zones else None)  # a named zone beats "UTC"
    if zone:
        facts.timezone = zone
        given.add("timezone")
    calls = re.search(r"\b(?:calls|depends on|talks to|uses|reads from|queries)\s+(?:the\s+)?([\w-]+(?:,\s*[\w-]+)*"
                      r"(?:,?\s+and\s+(?:the\s+)?[\w-]+)?)\s+(?:apis?|services?|microservices?)\b", text, re.I)
    if calls:
        parts = [p.strip() for p in re.split(r",|\band\b", calls.group(1)) if p.strip()]
        names["upstream"] = ",".join(p for p in parts if p.lower() not in _ARTICLES)
    used = re.search(r"\b(?:used|called|consumed|read)\s+by\s+(?:the\s+)?([\w -]+?)(?:[.;,]|\s+and\s+|$)", text, re.I)
    if used:
        names["downstream"] = used.group(1).strip()

    # A name already known as something else is not a host.
    taken = {facts.cluster, facts.namespace,
             *(v for k, v in names.items() if k != "hosts" and not (k.endswith(".host") and v in pooled))}
    if "hosts" in names:
        kept = [h for h in names["hosts"].split(",") if h not in taken]
        if kept:
            names["hosts"] = ",".join(kept)
        else:
            del names["hosts"]
    # "a Python worker that consumes orders-events" -> "orders-events-worker"
    if facts.service in _TYPE_WORDS and "service" in given and not service_name:
        resource = next((names[k] for k in ("k8s.deployment", "systemd.unit", "lambda.function", "helm.release",
                                            "compose.service") if k in names), None)
        if resource:
            facts.service, facts.display_name = slugify(resource), resource
        else:
            basis = next((names[k] for k in ("queue", "topic", "dag", "db.name") if k in names), None)
            if basis:
                facts.service = slugify(f"{basis}-{facts.service}")
                facts.display_name = f"{basis} {facts.display_name.lower()}"
    sun = re.search(r"follow[- ]the[- ]sun[^.\n]{0,20}?\bbetween\s+([A-Z][\w ]+?(?:,\s*[A-Z][\w ]+?)*\s+and\s+"
                    r"[A-Z][\w]+)", text)
    if sun:
        names["oncall.regions"] = sun.group(1)
        zones = [_CITY_ZONES[c.strip().lower()] for c in re.split(r",|\band\b", sun.group(1))
                 if c.strip().lower() in _CITY_ZONES]
        if zones:
            names["oncall.zones"] = ",".join(zones)
            if not facts.timezone:
                facts.timezone = zones[0]
    if re.search(r"\bgrpc\b", low):
        names["protocol"] = "grpc"
    facts.names = names
    facts.given = given | {f"names.{key}" for key in names}
    return facts
