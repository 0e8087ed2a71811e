"""Where each kind of name sits in real commands, written from the CLIs themselves.

A *role* is what a description names (a namespace, a consumer group, a bucket…). A *kind* is a
position in a command where a name of some role goes (`kubectl -n X`, `--group X`, `s3://X`).
Several roles can share a kind (an SQS queue and its DLQ both sit after `--queue-name`; every host
role sits after `ssh`), and one role can sit in several kinds (a Kafka bootstrap server is also a
host). `extract()` reads a runbook's fenced command blocks and returns every value found in a
position, with its kind; scoring (score.py) compares those values with the names a user gave.

Knowledge here is data where it can be (flag tables, resource types, conventional values), so a
reviewer who runs these CLIs can check it line by line.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

# --------------------------------------------------------------------------------------------------
# Roles and the kinds of position they occupy

ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "service": ("title", "selector", "k8s_aux"),
    "namespace": ("namespace",),
    "deployment": ("deployment", "selector", "k8s_aux"),
    "statefulset": ("statefulset", "selector", "k8s_aux"),
    "daemonset": ("daemonset", "selector", "k8s_aux"),
    "cronjob": ("cronjob", "selector"),
    "k8s_cluster": ("k8s_cluster",),
    "context": ("context",),
    "helm_release": ("helm_release", "selector"),
    "argocd_app": ("argocd_app", "selector"),  # Argo CD labels resources app.kubernetes.io/instance=<app>
    "compose_file": ("compose_file",),
    "compose_project": ("compose_project",),
    "compose_service": ("compose_service", "container"),
    "container": ("container",),
    "systemd_unit": ("systemd_unit",),
    "host": ("host",),
    "lambda_function": ("function",),
    "cloud_function": ("function",),
    "ecs_cluster": ("ecs_cluster",),
    "ecs_service": ("ecs_service",),
    "sqs_queue": ("queue",),
    "sqs_dlq": ("queue",),
    "rabbitmq_queue": ("queue",),
    "rabbitmq_vhost": ("vhost",),
    "kafka_topic": ("kafka_topic",),
    "kafka_group": ("kafka_group",),
    "kafka_bootstrap": ("kafka_bootstrap", "host"),
    "kafka_cluster": ("kafka_cluster",),
    "pubsub_topic": ("pubsub_topic",),
    "pubsub_subscription": ("pubsub_subscription",),
    "s3_bucket": ("bucket",),
    "gcs_bucket": ("bucket",),
    "dynamodb_table": ("dynamodb_table",),
    "rds_instance": ("db_instance", "host"),
    "aurora_cluster": ("aurora_cluster", "host"),
    "global_cluster": ("global_cluster",),
    "db_name": ("db_name",),
    "db_host": ("host",),
    "elasticache_rg": ("elasticache_rg", "host"),
    "redis_host": ("host",),
    "patroni_cluster": ("patroni_cluster",),
    "pgbackrest_stanza": ("stanza",),
    "pgbouncer_host": ("host",),
    "es_cluster": ("es_cluster", "host"),
    "es_index": ("es_index",),
    "mongo_rs": ("mongo_rs",),
    "region": ("region",),
    "zone": ("zone",),
    "gcp_project": ("gcp_project",),
    "gce_mig": ("gce_mig",),
    "azure_rg": ("azure_rg",),
    "port": ("port",),
    "health_path": ("health_path",),
    "url": ("url",),
    # people and figures are looked for in the whole document (score.py), not in commands
    "team": ("doc",),
    "slack_channel": ("doc",),
    "pager": ("doc",),
    "slo": ("doc",),
    "latency": ("doc",),
    "rto": ("doc",),
    "rpo": ("doc",),
    "backup_retention": ("doc",),
}

DOC_ROLES = frozenset(r for r, kinds in ROLE_KINDS.items() if kinds == ("doc",))

# Values an experienced operator writes without being told: the tool's own defaults and
# well-known system names. A value of one of these is never "invented".
CONVENTIONAL: dict[str, frozenset[str]] = {
    "namespace": frozenset({"kube-system", "argocd", "kube-public", "default", "ingress-nginx", "cert-manager",
                            "monitoring", "kafka", "strimzi", "istio-system", "amazon-cloudwatch", "keda"}),
    "db_name": frozenset({"postgres", "pgbouncer", "template1", "template0", "admin", "mysql", "information_schema",
                          "performance_schema", "sys", "local", "config"}),
    "host": frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "169.254.169.254", "host.docker.internal"}),
    "systemd_unit": frozenset({"patroni", "pgbouncer", "postgresql", "postgres", "nginx", "docker", "kubelet",
                               "containerd", "redis", "redis-server", "redis-sentinel", "kafka", "zookeeper",
                               "elasticsearch", "mongod", "etcd", "node_exporter", "prometheus-node-exporter",
                               "haproxy", "keepalived", "chronyd", "chrony", "ntp", "sshd", "ssh", "systemd-journald",
                               "rabbitmq-server", "mysql", "mysqld", "mariadb", "cron", "crond", "rsyslog",
                               "amazon-cloudwatch-agent", "datadog-agent", "newrelic-infra", "google-cloud-ops-agent",
                               "pgbackrest", "postgres_exporter", "prometheus-postgres-exporter", "fluent-bit",
                               "td-agent-bit", "vector", "filebeat", "consul", "vault", "envoy", "caddy", "apache2",
                               "httpd", "php-fpm", "unattended-upgrades", "systemd-timesyncd", "networking",
                               "systemd-networkd", "firewalld", "ufw", "auditd", "kafka-exporter", "redis_exporter",
                               "postgresql@*", "walg", "wal-g"}),
    "port": frozenset({"5432", "6432", "6379", "26379", "9092", "9093", "9094", "2181", "9200", "9300", "27017",
                       "3306", "5672", "5671", "15672", "15692", "8008", "2379", "2380", "9090", "9100",
                       "9187", "9121", "9308", "8083", "16379", "4222", "8500", "9443", "10250",
                       "9127", "9113"}),
    "vhost": frozenset({"/"}),
    "selector": frozenset({"kube-state-metrics", "kube-dns", "coredns", "argocd-server",
                           "argocd-application-controller",
                           "argocd-repo-server", "ingress-nginx", "metrics-server", "node-exporter", "strimzi"}),
    "container": frozenset(),
    "kafka_topic": frozenset({"__consumer_offsets", "__transaction_state"}),
    "health_path": frozenset({"/_cluster/health", "/_cat/health", "/-/healthy", "/-/ready",
                              "/api/health/checks/alarms", "/api/healthchecks/node",
                              "/api/health/checks/local-alarms", "/api/aliveness-test", "/_cluster/stats"}),
    "k8s_aux": frozenset({"kube-dns", "metrics-server"}),
    "es_index": frozenset({"_all", "*"}),
}

# Ports whose HTTP paths belong to the technology, not the service (Patroni REST, Elasticsearch,
# RabbitMQ management, Prometheus, Alertmanager, Argo CD): their paths are not health paths of ours.
TECH_HTTP_PORTS = frozenset({"8008", "9200", "15672", "9090", "9093", "8083", "2379", "9100", "9187"})

URL_DOC_HOSTS = (
    "kubernetes.io", "postgresql.org", "redis.io", "aws.amazon.com", "docs.aws.amazon.com", "cloud.google.com",
    "learn.microsoft.com", "patroni.readthedocs.io", "pgbackrest.org", "kafka.apache.org", "elastic.co",
    "mongodb.com", "github.com", "sre.google", "argo-cd.readthedocs.io", "helm.sh", "docs.docker.com",
    "nginx.org", "rabbitmq.com", "prometheus.io", "grafana.com", "pgbouncer.org", "freedesktop.org",
    "docs.datadoghq.com", "docs.newrelic.com", "strimzi.io", "status.aws.amazon.com", "status.cloud.google.com",
    "confluent.io", "opensearch.org", "dev.mysql.com", "man7.org",
)

HEALTHISH = re.compile(r"(?:^|/)(?:health[a-z]*|healthz|ready|readyz|readiness|live|livez|liveness|ping|status)"
                       r"(?:/|$)")

# --------------------------------------------------------------------------------------------------
# Hits


@dataclass(frozen=True)
class Hit:
    """A value found in a position of one or more kinds (a CloudWatch ClusterName is ECS or EKS)."""

    kinds: tuple[str, ...]
    value: str
    line: str

    @property
    def kind(self) -> str:
        return self.kinds[0]


@dataclass
class Block:
    lang: str
    text: str
    start: int  # 1-based line of the opening fence


# query languages of the monitoring stacks count like PromQL: their filters name the same resources
QUERY_LANGS = frozenset({"sql", "psql", "promql", "mysql", "postgresql", "pgsql", "nrql", "datadog", "cloudwatch",
                         "logql", "kql", "logs-insights", "metricsql"})
COMMAND_LANGS = frozenset({"bash", "sh", "shell", "zsh", "console"}) | QUERY_LANGS

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^\n]*$")


def command_blocks(markdown: str) -> list[Block]:
    """Fenced blocks tagged bash/sh/sql/promql (indented fences inside list items too)."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            stripped = lines[j].strip()
            if stripped.startswith(fence[0] * len(fence)) and stripped.strip(fence[0]) == "":
                break
            line = lines[j]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            j += 1
        if lang in COMMAND_LANGS:
            blocks.append(Block(lang, "\n".join(body), i + 1))
        i = j + 1
    return blocks


def prose(markdown: str) -> str:
    """The document without its fenced blocks (for people, figures, Slack channels)."""
    out: list[str] = []
    in_fence = ""
    for line in markdown.splitlines():
        m = _FENCE.match(line)
        if m:
            if not in_fence:
                in_fence = m.group(2)[0] * len(m.group(2))
                continue
            if line.strip().startswith(in_fence) and line.strip().strip(in_fence[0]) == "":
                in_fence = ""
                continue
        if not in_fence:
            out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# Values


def is_variable(value: str) -> bool:
    return "$" in value or "`" in value


def is_placeholder(value: str) -> bool:
    return bool(re.search(r"<[^<>\s]+>|\[[A-Za-z][\w .-]*\]|\{\{[^}]*\}\}", value))


def expand_braces(word: str) -> list[str]:
    """Bash brace expansion for ranges and lists: web-{1..4}, pg-0{1..3}, {a,b}-x."""
    m = re.search(r"\{([^{}]*)\}", word)
    if not m:
        return [word]
    inner, pre, post = m.group(1), word[: m.start()], word[m.end():]
    rng = re.fullmatch(r"(-?\d+)\.\.(-?\d+)", inner)
    if rng:
        a, b = int(rng.group(1)), int(rng.group(2))
        width = len(rng.group(1)) if rng.group(1).startswith("0") else 0
        step = 1 if b >= a else -1
        parts = [str(n).zfill(width) for n in range(a, b + step, step)][:64]
    elif "," in inner:
        parts = inner.split(",")
    else:
        return [word]
    return [x for p in parts for x in expand_braces(pre + p + post)]


def expand_hostlist(word: str) -> list[str]:
    """pdsh/ansible host ranges: web-[1-4], web[01-03], web-[1:4]."""
    m = re.search(r"\[(\d+)[-:](\d+)\]", word)
    if not m:
        return [word]
    a, b = m.group(1), m.group(2)
    width = len(a) if a.startswith("0") else 0
    return [word[: m.start()] + str(n).zfill(width) + word[m.end():] for n in range(int(a), int(b) + 1)][:64]


def strip_host(value: str) -> str:
    v = value.strip().strip("'\"")
    if "://" in v:
        v = urlsplit(v).hostname or v
    if "@" in v:
        v = v.rsplit("@", 1)[1]
    if v.startswith("[") and "]" in v:
        return v[1 : v.index("]")]
    if v.count(":") == 1:
        v = v.split(":", 1)[0]
    return v.rstrip(".,;")


def normalize_unit(value: str) -> str:
    return re.sub(r"\.(service|timer|socket|target|mount|path)$", "", value.strip())


def names_match(given: str, value: str, kind: str) -> bool:
    """Does a value found in a position of `kind` denote the given name?"""
    g, v = given.strip().casefold(), value.strip().casefold()
    if not g or not v:
        return False
    if kind == "systemd_unit":
        g, v = normalize_unit(g), normalize_unit(v)
    if kind in ("host", "kafka_bootstrap"):
        g, v = strip_host(g), strip_host(v)
        # an endpoint whose first label is the name: X.abc.eu-west-1.rds.amazonaws.com, X.svc.cluster.local
        for prefix in ("", "master.", "clustercfg.", "primary.", "replica."):
            if v == prefix + g or v.startswith(prefix + g + "."):
                return True
        return v.startswith((g + "-ro.", g + ".cluster-"))
    if kind == "url":
        return v.rstrip("/") == g.rstrip("/") or v.startswith(g.rstrip("/") + "/")
    if kind == "health_path":
        return v.rstrip("/") == g.rstrip("/")
    if kind == "port":
        return v == g.lstrip(":")
    if "*" in v or "?" in v:
        return fnmatch.fnmatchcase(g, v)
    return v == g


# kinds where an operator makes new names from a given one: restore targets (`orders-db-restored`),
# pods and members (`orders-api-0`, `sess-cache-001`), index patterns (`orders-v2-*`), log groups
DERIVABLE = frozenset({"db_instance", "aurora_cluster", "db_name", "es_index", "selector", "elasticache_rg",
                       "bucket", "container", "k8s_aux", "log_group", "kafka_topic", "queue"})


def derived_from(given: str, value: str, kind: str = "") -> bool:
    """A value built on a given name of the same kind, where that is how new names are made."""
    g, v = given.casefold(), value.casefold()
    if kind and kind not in DERIVABLE and not ("*" in v and v.startswith(g)):  # `job_name=~"nightly-.*"`
        return False
    return len(g) >= 3 and v != g and any(v.startswith(g + sep) for sep in ("-", "_", ".", "*", ":", "/"))


def is_conventional(kind: str, value: str) -> bool:
    v = value.strip()
    if kind == "systemd_unit":
        v = normalize_unit(v)
        if re.fullmatch(r"postgresql@[\w.-]+|systemd-[\w-]+", v):
            return True
    if kind in ("host", "kafka_bootstrap"):
        v = strip_host(v)
        if re.fullmatch(r"127\.\d+\.\d+\.\d+", v) or v.endswith(".svc.cluster.local") and is_variable(v):
            return True
    if kind == "url":
        host = (urlsplit(v).hostname or "").casefold()
        return (
            host in CONVENTIONAL["host"]
            or any(host == d or host.endswith("." + d) for d in URL_DOC_HOSTS)
        )
    return v in CONVENTIONAL.get(kind, frozenset()) or v.casefold() in CONVENTIONAL.get(kind, frozenset())


# --------------------------------------------------------------------------------------------------
# Shell reading


def _strip_comment(line: str) -> str:
    """Drop a `# comment` that is outside quotes (a `#` inside a word, like `#channel`, is kept)."""
    quote = ""
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and (quote == "'" or prev != "\\"):
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t;|&(":
            return line[:i].rstrip()
        prev = ch
    return line


def logical_lines(text: str) -> Iterator[tuple[str, list[str]]]:
    """Shell lines with continuations joined and comments stripped; each with its heredoc body."""
    raw = text.splitlines()
    i = 0
    while i < len(raw):
        line = raw[i]
        if line.lstrip().startswith("#"):
            i += 1
            continue
        while line.rstrip().endswith("\\") and i + 1 < len(raw):
            i += 1
            line = line.rstrip()[:-1] + " " + raw[i].strip()
        line = _strip_comment(line)
        body: list[str] = []
        hd = re.search(r"<<-?\s*['\"]?([A-Za-z_][\w]*)['\"]?", line)
        if hd and "<<<" not in line:
            delim = hd.group(1)
            while i + 1 < len(raw) and raw[i + 1].strip() != delim:
                i += 1
                body.append(raw[i])
            i += 1  # the delimiter
        i += 1
        if line.strip():
            yield line.strip(), body


_ASSIGN = re.compile(r"^(?:export\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_]\w*)=(.*)$")
_VAR_REF = re.compile(r"\$\{([A-Za-z_]\w*)(?::?[-=]([^}]*))?\}|\$([A-Za-z_]\w*)")


def _literal(value: str) -> str | None:
    """The literal an assignment's right-hand side holds, or None for `$(...)`, pipes and the like."""
    v = value.strip().rstrip(";").strip()
    if v.startswith("(") and v.endswith(")"):
        v = v[1:-1]
        try:
            return " ".join(shlex.split(v))
        except ValueError:
            return None
    # ${NS:-payments} defaults are literals
    m = re.fullmatch(r"\"?\$\{[A-Za-z_]\w*:?[-=]([^}$]*)\}\"?", v)
    if m:
        return m.group(1)
    try:
        toks = shlex.split(v, comments=True)
    except ValueError:
        return None
    if len(toks) != 1 or "$(" in toks[0] or "`" in toks[0]:
        return None
    return toks[0]


class Env:
    """Literal shell variables seen so far (`NS=payments`, `export REGION=eu-west-1`)."""

    def __init__(self) -> None:
        self.vars: dict[str, str] = {}

    def learn(self, line: str) -> None:
        for part in re.split(r"\s*(?:;|&&)\s*", line):
            m = _ASSIGN.match(part.strip())
            if not m:
                continue
            lit = _literal(m.group(2))
            if lit is not None and "$" not in lit:
                self.vars[m.group(1)] = lit
            else:
                self.vars.pop(m.group(1), None)

    def substitute(self, line: str) -> str:
        def rep(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(3)
            if name in self.vars:
                return self.vars[name]
            if m.group(2) is not None and "$" not in m.group(2) and m.group(2):
                return m.group(2)
            return m.group(0)

        return _VAR_REF.sub(rep, line)


def _tokens(line: str) -> list[str]:
    try:
        lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lex.whitespace_split = True
        lex.commenters = ""
        return list(lex)
    except ValueError:
        return line.split()


def segments(line: str) -> list[list[str]]:
    """Simple commands of a shell line, `$(...)` bodies and `sh -c '...'` strings included."""
    toks = _tokens(line)
    segs: list[list[str]] = [[]]
    skip_next = False
    for t in toks:
        if skip_next:  # the file (or heredoc delimiter) of a redirection
            skip_next = False
            continue
        if t and set(t) <= set("&<>") and ("<" in t or ">" in t):
            if segs[-1] and segs[-1][-1].isdigit():
                segs[-1].pop()  # the fd of 2>&1
            skip_next = True  # `> file`, `>& 1`, `<< EOF`: the target is not an argument
            continue
        if t and set(t) <= set(";&|()"):
            segs.append([])
            continue
        segs[-1].append(t)
        if "$(" in t:
            inner = t[t.index("$(") + 2 :]
            inner = inner[: inner.rfind(")")] if ")" in inner else inner
            segs.extend(segments(inner))
    out: list[list[str]] = []
    for s in segs:
        s = _unwrap(s)
        if s:
            out.append(s)
    return out


_PREFIX_PROGRAMS = {"sudo", "time", "env", "nohup", "exec", "command", "nice", "ionice", "stdbuf", "xargs"}


def _unwrap(seg: list[str]) -> list[str]:
    """Skip `FOO=bar`, `sudo -u postgres`, `watch -n 5`, `timeout 10`, `then`/`do` keywords."""
    i = 0
    while i < len(seg):
        t = seg[i]
        if t in ("then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "then{"):
            i += 1
        elif re.fullmatch(r"[A-Za-z_]\w*=.*", t):
            i += 1
        elif t in ("sudo",):
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 2 if seg[i] in ("-u", "-g", "-U", "-h", "-p", "-C") else 1
        elif t in ("watch",):
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 2 if seg[i] in ("-n", "--interval", "-d") and seg[i] != "-d" else 1
        elif t == "timeout":
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 2 if seg[i] in ("-s", "-k", "--signal", "--kill-after") else 1
            i += 1  # the duration
        elif t in _PREFIX_PROGRAMS:
            i += 1
            while i < len(seg) and seg[i].startswith("-"):
                i += 1
        else:
            break
    return seg[i:]


def _program(tok: str) -> str:
    p = tok.rsplit("/", 1)[-1]
    return p[:-3] if p.endswith(".sh") else p


# --------------------------------------------------------------------------------------------------
# Per-CLI readers. Each takes the argv of one simple command and yields (kinds, value).

Found = Iterator[tuple[tuple[str, ...], str]]


def _flag_value(args: list[str], i: int) -> tuple[str, str | None, int]:
    """(flag, value or None, next index) for `--f=v`, `--f v`, `-f v`."""
    a = args[i]
    if a.startswith("--") and "=" in a:
        f, v = a.split("=", 1)
        return f, v, i + 1
    return a, (args[i + 1] if i + 1 < len(args) else None), i + 2


def _walk(args: list[str], value_flags: set[str], named: dict[str, tuple[str, ...]]) -> tuple[list[str], Found]:
    """Split argv into positionals and flag hits: `named` flags map to kinds, `value_flags` take a value."""
    pos: list[str] = []
    hits: list[tuple[tuple[str, ...], str]] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            pos.append("--")
            pos.extend(args[i + 1 :])
            break
        if a.startswith("-") and len(a) > 1 and not re.fullmatch(r"-\d+", a):
            flag = a.split("=", 1)[0] if a.startswith("--") else a
            # -nfoo (short flag glued to its value)
            if not a.startswith("--") and len(a) > 2 and a[:2] in named and a[:2] not in ("-p",):
                hits.append((named[a[:2]], a[2:]))
                i += 1
                continue
            if flag in named or flag in value_flags:
                f, v, nxt = _flag_value(args, i)
                if v is not None and f in named:
                    hits.append((named[f], v))
                i = nxt
                continue
            i += 1
            continue
        pos.append(a)
        i += 1
    return pos, iter(hits)


K8S_TYPES: dict[str, str] = {}
for _names, _kind in (
    (("deployment", "deployments", "deploy", "deployment.apps", "deployments.apps"), "deployment"),
    (("statefulset", "statefulsets", "sts", "statefulset.apps"), "statefulset"),
    (("daemonset", "daemonsets", "ds", "daemonset.apps"), "daemonset"),
    (("cronjob", "cronjobs", "cj", "cronjob.batch"), "cronjob"),
    (("hpa", "horizontalpodautoscaler", "horizontalpodautoscalers", "pdb", "poddisruptionbudget",
      "poddisruptionbudgets", "service", "services", "svc", "ingress", "ingresses", "ing", "scaledobject",
      "scaledobjects", "rollout", "rollouts"), "k8s_aux"),
    (("application", "applications", "app", "apps", "applications.argoproj.io", "application.argoproj.io"),
     "argocd_app"),
    (("namespace", "namespaces", "ns"), "namespace"),
    (("kafka", "kafkas", "kafka.kafka.strimzi.io"), "kafka_cluster"),
    (("kafkatopic", "kafkatopics", "kt"), "kafka_topic"),
    (("postgresql", "postgresqls", "cluster.postgresql.cnpg.io"), "patroni_cluster"),
):
    for _n in _names:
        K8S_TYPES[_n] = _kind

KUBECTL_VALUE_FLAGS = {
    "-o", "--output", "-c", "--container", "--tail", "--since", "--replicas", "--to-revision", "-f", "--filename",
    "--field-selector", "--sort-by", "--timeout", "--revision", "--type", "-p", "--patch", "--image", "--min",
    "--max", "--cpu-percent", "--as", "--kubeconfig", "--user", "--grace-period", "--template", "-L",
    "--label-columns", "--max-log-requests", "--since-time", "--limit-bytes", "--chunk-size", "--current-replicas",
    "--from", "--for", "--resource-version", "--subresource", "--server", "-s", "--token", "--request-timeout",
    "--pod-running-timeout", "--field-manager", "--show-kind", "-k", "--kustomize", "--address", "--env", "-e",
}
KUBECTL_NAMED = {"-n": ("namespace",), "--namespace": ("namespace",), "--context": ("context",),
                 "--cluster": ("k8s_cluster",), "-l": ("_selector",), "--selector": ("_selector",)}
KUBECTL_TYPED_VERBS = {"get", "describe", "delete", "edit", "scale", "label", "annotate", "patch", "autoscale",
                       "status", "restart", "undo", "history", "pause", "resume", "wait", "expose", "set"}
SELECTOR_KEYS = {"app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "k8s-app", "name", "release",
                 "app.kubernetes.io/component", "component", "job-name", "application", "service"}


def _selector_values(sel: str) -> Found:
    for part in sel.split(","):
        m = re.fullmatch(r"\s*([\w./-]+)\s*(?:==|=)\s*([^,\s]+)\s*", part)
        if m and m.group(1) in SELECTOR_KEYS:
            yield ("selector",), m.group(2)
        m = re.fullmatch(r"\s*([\w./-]+)\s+in\s+\((.*)\)\s*", part)
        if m and m.group(1) in SELECTOR_KEYS:
            for v in m.group(2).split(","):
                yield ("selector",), v.strip()


def read_kubectl(args: list[str]) -> Found:
    # `logs -f` is --follow and `logs -p` is --previous, not a file or a patch
    value_flags = KUBECTL_VALUE_FLAGS - {"-f", "-p"} if "logs" in args else KUBECTL_VALUE_FLAGS
    pos, hits = _walk(args, value_flags, KUBECTL_NAMED)
    for kinds, v in hits:
        if kinds == ("_selector",):
            yield from _selector_values(v)
        else:
            yield kinds, v
    rest: list[str] = []
    if "--" in pos:
        rest = pos[pos.index("--") + 1 :]
        pos = pos[: pos.index("--")]
    for t in pos:
        m = re.fullmatch(r"([\w.]+)/([^/\s]+)", t)
        if m and m.group(1).casefold() in K8S_TYPES:
            yield (K8S_TYPES[m.group(1).casefold()],), m.group(2)
    if pos and pos[0] in ("rollout", "set", "create", "config"):
        if pos[0] == "config" and len(pos) >= 3 and pos[1] == "use-context":
            yield ("context",), pos[2]
        if pos[0] == "create" and len(pos) >= 3 and pos[1] == "job":
            pass  # the job name is new; --from=cronjob/X is read above
        pos = pos[1:]
    if pos and pos[0] in KUBECTL_TYPED_VERBS and len(pos) >= 3:
        types = pos[1].casefold().split(",")
        if len(types) == 1 and types[0] in K8S_TYPES and "/" not in pos[1]:
            for name in pos[2:]:
                if re.fullmatch(r"[a-z0-9][a-z0-9.-]*", name.casefold()) and not name.isdigit():
                    yield (K8S_TYPES[types[0]],), name
                if pos[0] not in ("get", "describe", "delete"):
                    break
    for i, t in enumerate(args):
        if t.startswith("--from=cronjob/"):
            yield ("cronjob",), t.split("/", 1)[1]
        if t == "port-forward":
            for p in args[i + 1 :]:
                m = re.fullmatch(r"(?:\d+)?:(\d+)|(\d+)", p)
                if m:
                    yield ("port",), m.group(1) or m.group(2)
    if rest:
        yield from read_command(rest)


HELM_VALUE_FLAGS = {"-f", "--values", "--set", "--set-string", "--set-file", "--version", "--timeout", "--revision",
                    "-o", "--output", "--filter", "--max", "--description", "--post-renderer", "--repo",
                    "--history-max", "--kubeconfig", "--username", "--password", "--cascade"}
HELM_NAMED = {"-n": ("namespace",), "--namespace": ("namespace",), "--kube-context": ("context",)}
HELM_RELEASE_VERBS = {"upgrade", "install", "rollback", "history", "hist", "status", "uninstall", "delete", "del",
                      "test", "diff", "un"}


def read_helm(args: list[str]) -> Found:
    pos, hits = _walk(args, HELM_VALUE_FLAGS, HELM_NAMED)
    yield from hits
    if not pos:
        return
    if pos[0] == "get" and len(pos) >= 3:
        yield ("helm_release",), pos[2]
    elif pos[0] == "diff" and len(pos) >= 3 and pos[1] in ("upgrade", "rollback", "revision"):
        yield ("helm_release",), pos[2]
    elif pos[0] in HELM_RELEASE_VERBS and len(pos) >= 2:
        yield ("helm_release",), pos[1]


ARGOCD_VALUE_FLAGS = {"--revision", "--server", "-o", "--output", "--timeout", "-p", "--parameter", "--sync-policy",
                      "--auth-token", "--resource", "--kind", "--group", "--name", "--container", "--tail",
                      "--since-seconds", "--prune-last", "--local", "--retry-limit", "--label", "-l", "--selector",
                      "--project", "--dest-server", "--repo", "--path", "--sync-option", "--health-check-timeout",
                      "--operation", "--app-namespace", "-N"}
ARGOCD_NAMED = {"--dest-namespace": ("namespace",), "--namespace": ("namespace",)}
ARGOCD_APP_VERBS = {"get", "sync", "history", "rollback", "diff", "set", "unset", "wait", "manifests", "resources",
                    "logs", "terminate-op", "patch", "delete", "edit", "refresh", "actions", "patch-resource",
                    "delete-resource", "unset-sync-policy"}


def read_argocd(args: list[str]) -> Found:
    pos, hits = _walk(args, ARGOCD_VALUE_FLAGS, ARGOCD_NAMED)
    yield from hits
    if len(pos) >= 3 and pos[0] in ("app", "apps", "application", "applications") and pos[1] in ARGOCD_APP_VERBS:
        if pos[1] == "actions" and len(pos) >= 4:
            yield ("argocd_app",), pos[3]
        else:
            for name in pos[2:] if pos[1] in ("get", "sync", "wait", "delete") else pos[2:3]:
                yield ("argocd_app",), name


AWS_NAMED: dict[str, tuple[str, ...]] = {
    "--region": ("region",), "--source-region": ("region",),
    "--function-name": ("function",),
    "--queue-name": ("queue",), "--queue-name-prefix": ("queue",),
    "--db-instance-identifier": ("db_instance",), "--source-db-instance-identifier": ("db_instance",),
    "--target-db-instance-identifier": ("db_instance",),
    "--db-cluster-identifier": ("aurora_cluster",), "--source-db-cluster-identifier": ("aurora_cluster",),
    "--target-db-cluster-identifier": ("aurora_cluster",),
    "--global-cluster-identifier": ("global_cluster",),
    "--replication-group-id": ("elasticache_rg",), "--cache-cluster-id": ("elasticache_rg",),
    "--global-replication-group-id": ("elasticache_rg",),
    "--bucket": ("bucket",), "--table-name": ("dynamodb_table",),
    "--cluster-name": ("k8s_cluster",),
    "--domain-name": ("es_cluster",),
    "--log-group-name": ("log_group",), "--log-group-names": ("log_group",),
    "--auto-scaling-group-name": ("asg",),
}
AWS_VALUE_FLAGS = {"--profile", "--output", "--query", "--filters", "--metric-name", "--namespace", "--statistics",
                   "--start-time", "--end-time", "--period", "--dimensions", "--attribute-names", "--message-body",
                   "--max-number-of-messages", "--event-source-arn", "--uuid", "--reserved-concurrent-executions",
                   "--qualifier", "--payload", "--task-definition", "--tasks", "--desired-count", "--cluster-arn",
                   "--resource-id", "--service-namespace", "--scalable-dimension", "--filter-pattern", "--since",
                   "--key", "--prefix", "--db-snapshot-identifier", "--db-cluster-snapshot-identifier",
                   "--restore-time", "--target-db-instance-identifier", "--name", "--cluster", "--service",
                   "--services", "--log-stream-name-prefix", "--alarm-names", "--state-value", "--container",
                   "--command", "--source-arn", "--attributes", "--receipt-handle", "--entries",
                   "--key-condition-expression",
                   "--expression-attribute-values", "--limit", "--max-items", "--select", "--topic-arn"}


def _arn(arn: str) -> Found:
    m = re.match(r"arn:aws[\w-]*:([\w-]+):([\w-]*):([^:]*):(.+)$", arn)
    if not m:
        return
    service, region, account, res = m.groups()
    if region:
        yield ("region",), region
    if account:
        yield ("aws_account",), account
    res = res.rstrip("\"',")
    if service == "sqs":
        yield ("queue",), res
    elif service == "lambda" and res.startswith("function:"):
        yield ("function",), res.split(":")[1]
    elif service == "dynamodb" and res.startswith("table/"):
        yield ("dynamodb_table",), res.split("/")[1]
    elif service == "rds" and ":" in res:
        typ, name = res.split(":", 1)
        kind = {"db": "db_instance", "cluster": "aurora_cluster", "global-cluster": "global_cluster"}.get(typ)
        if kind:
            yield (kind,), name
    elif service == "s3":
        yield ("bucket",), res.split("/")[0]
    elif service == "ecs" and res.startswith("service/"):
        parts = res.split("/")
        if len(parts) == 3:
            yield ("ecs_cluster",), parts[1]
            yield ("ecs_service",), parts[2]
    elif service == "kafka" and res.startswith("cluster/"):
        yield ("kafka_cluster",), res.split("/")[1]
    elif service == "eks" and res.startswith("cluster/"):
        yield ("k8s_cluster",), res.split("/")[1]


DIMENSION_KINDS: dict[str, tuple[str, ...]] = {
    "QueueName": ("queue",), "FunctionName": ("function",), "DBInstanceIdentifier": ("db_instance",),
    "DBClusterIdentifier": ("aurora_cluster",), "ClusterName": ("ecs_cluster", "k8s_cluster"),
    "ServiceName": ("ecs_service",), "TableName": ("dynamodb_table",), "ReplicationGroupId": ("elasticache_rg",),
    "CacheClusterId": ("elasticache_rg",), "BucketName": ("bucket",), "DomainName": ("es_cluster",),
    "AutoScalingGroupName": ("asg",), "Cluster Name": ("kafka_cluster",), "Topic": ("kafka_topic",),
    "Consumer Group": ("kafka_group",),
}


def read_aws(args: list[str]) -> Found:
    if not args:
        return
    service = args[0]
    named = dict(AWS_NAMED)
    if service == "eks":
        named["--name"] = ("k8s_cluster",)
    if service == "ecs":
        named["--cluster"] = ("ecs_cluster",)
        named["--service"] = ("ecs_service",)
        named["--services"] = ("ecs_service",)
    if service == "kafka":
        named["--cluster-name-filter"] = ("kafka_cluster",)
    pos, hits = _walk(args, AWS_VALUE_FLAGS, named)
    for kinds, v in hits:
        if v.startswith("arn:"):
            yield from _arn(v)
        elif kinds == ("log_group",) and v.startswith("/aws/lambda/"):
            yield ("function",), v.split("/")[3]
        else:
            yield kinds, v
    # --services takes several values
    for i, a in enumerate(args):
        if a == "--services" and service == "ecs":
            for v in args[i + 2 :]:
                if v.startswith("-"):
                    break
                yield ("ecs_service",), v
        if a == "--resource-id" and i + 1 < len(args):
            parts = args[i + 1].split("/")
            if parts[0] == "service" and len(parts) == 3:
                yield ("ecs_cluster",), parts[1]
                yield ("ecs_service",), parts[2]
            elif parts[0] == "table" and len(parts) >= 2:
                yield ("dynamodb_table",), parts[1]
            elif parts[0] == "function" and len(parts) >= 2:
                yield ("function",), parts[1].split(":")[0]
        if a == "--queue-url" and i + 1 < len(args):
            yield from _queue_url(args[i + 1])
    if service == "logs" and len(pos) >= 3 and pos[1] == "tail":
        lg = pos[2]
        if lg.startswith("/aws/lambda/"):
            yield ("function",), lg.split("/")[3]
        else:
            yield ("log_group",), lg


def _queue_url(url: str) -> Found:
    m = re.match(r"https://(?:sqs\.)?([a-z0-9-]+)?\.?(?:queue\.)?amazonaws\.com/([^/]+)/([^/\s\"']+)", url)
    if m:
        if m.group(1) and m.group(1) != "sqs":
            yield ("region",), m.group(1)
        yield ("aws_account",), m.group(2)
        yield ("queue",), m.group(3)
    elif not is_variable(url):
        yield ("queue",), url.rstrip("/").rsplit("/", 1)[-1]


GCLOUD_NAMED = {"--region": ("region",), "--zone": ("zone",), "--project": ("gcp_project",),
                "--topic": ("pubsub_topic",), "--subscription": ("pubsub_subscription",)}
GCLOUD_VALUE_FLAGS = {"--format", "--limit", "--filter", "--freshness", "--time", "--snapshot", "--max-messages",
                      "--command", "--size", "--ack-deadline", "--message", "--min-num-replicas", "--max-num-replicas",
                      "--version", "--instance-template", "--max-unavailable", "--type", "--minimal-action",
                      "--min-instances", "--max-instances", "--execution-id", "--log-filter", "--sort-by",
                      "--gen2", "--runtime", "--trigger-topic", "--retain-acked-messages",
                      "--message-retention-duration",
                      "--dead-letter-topic", "--max-delivery-attempts", "--to-revisions", "--region-override",
                      "--image", "--set-env-vars", "--instances", "--member", "--role", "--location"}


def read_gcloud(args: list[str]) -> Found:
    named = dict(GCLOUD_NAMED)
    named["--location"] = ("region",)
    named["--dead-letter-topic"] = ("pubsub_topic",)
    named["--trigger-topic"] = ("pubsub_topic",)
    pos, hits = _walk(args, GCLOUD_VALUE_FLAGS, named)
    for kinds, v in hits:
        if v.startswith("projects/"):
            yield from _gcp_path(v)
        else:
            yield kinds, v
    p = [x for x in pos if x not in ("alpha", "beta")]
    if len(p) >= 4 and p[0] == "container" and p[1] == "clusters":
        yield ("k8s_cluster",), p[3]
    elif len(p) >= 3 and p[0] == "functions" and p[1] in ("describe", "call", "deploy", "delete"):
        yield ("function",), p[2]
    elif len(p) >= 4 and p[0] == "functions" and p[1] == "logs" and p[2] == "read":
        yield ("function",), p[3]
    elif len(p) >= 3 and p[0] == "pubsub" and p[1] == "topics" and p[2] != "list" and len(p) >= 4:
        yield ("pubsub_topic",), p[3]
    elif len(p) >= 4 and p[0] == "pubsub" and p[1] == "subscriptions" and p[2] != "list":
        yield ("pubsub_subscription",), p[3]
    elif len(p) >= 4 and p[0] == "compute" and p[1] == "instances" and p[2] not in ("list",):
        yield ("host",), p[3]
    elif len(p) >= 3 and p[0] == "compute" and p[1] in ("ssh", "scp"):
        yield ("host",), p[2].split(":")[0]
    elif len(p) >= 5 and p[0] == "compute" and p[1] == "instance-groups" and p[2] == "managed":
        yield ("gce_mig",), p[4]
    elif len(p) >= 4 and p[0] == "sql" and p[1] in ("instances", "backups") and p[2] not in ("list",):
        yield ("db_instance",), p[3]
    for t in pos:
        if t.startswith("projects/"):
            yield from _gcp_path(t)
    for i, a in enumerate(args):  # gcloud compute ssh --command '...' runs a command on the VM
        remote = a.split("=", 1)[1] if a.startswith("--command=") else (
            args[i + 1] if a == "--command" and i + 1 < len(args) else "")
        for seg in segments(remote) if remote else []:
            yield from read_command(seg)


def _gcp_path(path: str) -> Found:
    m = re.match(r"projects/([^/]+)/(topics|subscriptions)/([^/\s]+)", path)
    if m:
        yield ("gcp_project",), m.group(1)
        yield (("pubsub_topic",) if m.group(2) == "topics" else ("pubsub_subscription",)), m.group(3)


def read_az(args: list[str]) -> Found:
    named: dict[str, tuple[str, ...]] = {"-g": ("azure_rg",), "--resource-group": ("azure_rg",),
                                         "--location": ("region",), "-l": ("region",)}
    group = args[0] if args else ""
    if group == "aks":
        named["-n"] = named["--name"] = ("k8s_cluster",)
    elif group == "vm":
        named["-n"] = named["--name"] = ("host",)
    elif group in ("postgres", "mysql", "sql"):
        named["-n"] = named["--name"] = named["-s"] = named["--server"] = ("db_instance",)
    elif group == "redis":
        named["-n"] = named["--name"] = ("elasticache_rg",)
    pos, hits = _walk(args, {"--query", "-o", "--output", "--subscription", "--command-id", "--scripts",
                             "--node-count", "--nodepool-name", "--command", "--kubernetes-version"}, named)
    yield from hits


def read_eksctl(args: list[str]) -> Found:
    _, hits = _walk(args, {"--nodegroup", "--name", "-o", "--output", "--nodes"},
                    {"--cluster": ("k8s_cluster",), "--region": ("region",)})
    yield from hits


COMPOSE_VALUE_FLAGS = {"--tail", "--since", "--until", "-t", "--timeout", "--scale", "-u", "--user", "-w",
                       "--workdir", "-e", "--env", "--index", "--format", "--profile", "--env-file",
                       "--project-directory", "--status", "--filter", "--pull", "--wait-timeout", "--signal", "-s"}
COMPOSE_NAMED = {"-f": ("compose_file",), "--file": ("compose_file",), "-p": ("compose_project",),
                 "--project-name": ("compose_project",)}
COMPOSE_SERVICE_VERBS = {"logs", "restart", "ps", "up", "stop", "start", "pull", "top", "kill", "rm", "events",
                         "port", "create", "pause", "unpause", "images", "build", "push", "wait", "watch", "stats"}


def read_compose(args: list[str]) -> Found:
    # -f/-p are the file and project only before the subcommand (`logs -f` is --follow)
    i = 0
    while i < len(args) and args[i].startswith("-"):
        takes_value = "=" not in args[i] and (args[i] in COMPOSE_NAMED or args[i] in COMPOSE_VALUE_FLAGS)
        i += 2 if takes_value else 1
    _, ghits = _walk(args[:i], COMPOSE_VALUE_FLAGS, COMPOSE_NAMED)
    yield from ghits
    pos, _ = _walk(args[i:], COMPOSE_VALUE_FLAGS, {})
    if not pos:
        return
    verb, rest = pos[0], pos[1:]
    if verb in ("exec", "run") and rest:
        yield ("compose_service",), rest[0]
        yield from read_command([r for r in rest[1:] if r != "--"])
    elif verb in COMPOSE_SERVICE_VERBS:
        for r in rest:
            if verb == "port" and r.isdigit():
                yield ("port",), r
                continue
            yield ("compose_service",), r


DOCKER_CONTAINER_VERBS = {"logs", "restart", "inspect", "stats", "top", "stop", "start", "kill", "rm", "update",
                          "port", "attach", "pause", "unpause", "wait", "diff", "rename"}
DOCKER_VALUE_FLAGS = {"--tail", "--since", "--until", "--format", "-t", "--time", "-s", "--signal", "-u",
                      "--user", "-w", "--workdir", "-e", "--env", "--filter", "--memory", "--cpus", "-p", "--publish",
                      "-v", "--volume", "--network", "--restart", "--env-file", "--entrypoint", "--mount",
                      "--log-driver", "--log-opt", "--label", "-l", "--health-cmd", "--health-interval", "-H", "--host",
                      "--context", "-c"}


def read_docker(args: list[str]) -> Found:
    if args and args[0] == "compose":
        yield from read_compose(args[1:])
        return
    if args and args[0] == "container" and len(args) > 1:
        args = args[1:]
    if not args:
        return
    verb = args[0]
    named: dict[str, tuple[str, ...]] = {}
    if verb == "run":
        named["--name"] = ("container",)
    pos, hits = _walk(args[1:], DOCKER_VALUE_FLAGS | {"--name"}, named)
    yield from hits
    if verb in DOCKER_CONTAINER_VERBS:
        for p in pos:
            if verb in ("port",) and re.fullmatch(r"\d+(/\w+)?", p):
                yield ("port",), p.split("/")[0]
                continue
            yield ("container",), p
            if verb in ("update", "rename", "port"):
                break
    elif verb in ("exec", "cp") and pos:
        target = pos[0] if verb == "exec" else next((p for p in pos if ":" in p), "")
        if target:
            yield ("container",), target.split(":")[0]
        if verb == "exec":
            yield from read_command([r for r in pos[1:] if r != "--"])
    for i, a in enumerate(args):
        if a == "--filter" and i + 1 < len(args) and args[i + 1].startswith("name="):
            yield ("container",), args[i + 1].split("=", 1)[1].strip("^$")
        if a.startswith("--filter=name="):
            yield ("container",), a.split("=", 2)[2].strip("^$")
        if a == "label=com.docker.compose.project" or a.startswith("label=com.docker.compose.project="):
            yield ("compose_project",), a.split("=", 2)[-1]


SYSTEMCTL_VERBS = {"status", "restart", "start", "stop", "reload", "enable", "disable", "is-active", "is-enabled",
                   "show", "cat", "kill", "try-restart", "reload-or-restart", "try-reload-or-restart", "edit", "mask",
                   "unmask", "is-failed", "list-dependencies", "reset-failed", "list-units", "list-timers",
                   "freeze", "thaw", "clean", "condrestart", "force-reload"}


def read_systemctl(args: list[str]) -> Found:
    pos, hits = _walk(args, {"-p", "--property", "-M", "--machine", "--signal", "-s", "-n", "--lines", "-o",
                             "--output", "--state", "-t", "--type", "--kill-whom", "--kill-who", "--what", "--root"},
                      {"-H": ("host",), "--host": ("host",)})
    yield from hits
    if len(pos) >= 2 and pos[0] in SYSTEMCTL_VERBS:
        for u in pos[1:]:
            if u in ("--",):
                continue
            yield ("systemd_unit",), u


def read_journalctl(args: list[str]) -> Found:
    _, hits = _walk(args, {"-n", "--lines", "--since", "-S", "--until", "-U", "-p", "--priority", "-o", "--output",
                           "-g", "--grep", "-D", "--directory", "--file", "-M", "--machine", "--vacuum-time",
                           "--vacuum-size", "-F", "--field", "--output-fields", "--cursor", "--after-cursor"},
                    {"-u": ("systemd_unit",), "--unit": ("systemd_unit",), "-t": ("systemd_unit",),
                     "--identifier": ("systemd_unit",), "--user-unit": ("systemd_unit",), "-H": ("host",)})
    yield from hits
    for a in args:
        if a.startswith("_SYSTEMD_UNIT="):
            yield ("systemd_unit",), a.split("=", 1)[1]


SSH_VALUE_FLAGS = {"-i", "-p", "-l", "-o", "-F", "-L", "-R", "-D", "-W", "-b", "-c", "-E", "-e", "-I", "-m", "-O",
                   "-Q", "-S", "-w", "-B", "-P"}


def read_ssh(args: list[str]) -> Found:
    pos, hits = _walk(args, SSH_VALUE_FLAGS, {"-J": ("host",)})
    yield from hits
    if not pos:
        return
    yield ("host",), pos[0]
    if len(pos) > 1:
        remote = " ".join(pos[1:])
        for seg in segments(remote):
            yield from read_command(seg)


def read_scp(args: list[str]) -> Found:
    pos, _ = _walk(args, SSH_VALUE_FLAGS, {})
    for p in pos:
        if re.match(r"^[\w.@-]+:", p) and not p.startswith("/"):
            yield ("host",), p.split(":", 1)[0]


def read_pdsh(args: list[str]) -> Found:
    pos, _ = _walk(args, {"-l", "-R", "-x", "-f", "-t", "-u", "-g"}, {})
    for i, a in enumerate(args):
        if a in ("-w", "-H") and i + 1 < len(args):
            for h in re.split(r"[,\s]+", args[i + 1]):
                if h:
                    for x in expand_hostlist(h):
                        yield ("host",), x
    remote = [p for p in pos if p not in args[args.index("-w") + 1 : args.index("-w") + 2]] if "-w" in args else pos
    if remote:
        for seg in segments(" ".join(remote)):
            yield from read_command(seg)


def read_ansible(args: list[str]) -> Found:
    pos, hits = _walk(args, {"-m", "-a", "-i", "-u", "-b", "-f", "-e", "--become-user", "-t", "--tags", "-c"},
                      {"-l": ("host",), "--limit": ("host",)})
    for kinds, v in hits:
        for h in re.split(r"[,:]", v):
            if h:
                for x in expand_hostlist(h):
                    yield kinds, x
    if args and pos and pos[0] == args[0] and not pos[0].endswith((".yml", ".yaml")):
        for h in re.split(r"[,:]", pos[0]):
            if h and h != "all":
                for x in expand_hostlist(h):
                    yield ("host",), x


PG_VALUE_FLAGS = {"-c", "--command", "-f", "--file", "-U", "--username", "-v", "--set", "--variable", "-o",
                  "--output", "-P", "--pset", "-F", "--field-separator", "-R", "--record-separator", "-L",
                  "--log-file", "-T", "--table-attr", "-t", "--table", "-n", "--schema", "-N", "-j", "--jobs",
                  "-Z", "-D", "--pgdata", "-X", "--wal-method", "-S", "--slot", "-C", "-r", "--max-rate", "-s",
                  "--format", "--timeout", "-a", "--analyze-in-stages"}
PG_BOOL_FLAGS_BY_PROG = {"psql": {"-t", "-A", "-x", "-q", "-X", "-w", "-W", "-e", "-E", "-1", "-b", "-n", "-s", "-S",
                                  "-H", "-a", "-l"},
                         "pg_isready": {"-q", "-t"}, "pg_basebackup": {"-R", "-P", "-v", "-X"}}


def _conninfo(s: str) -> Found:
    for m in re.finditer(r"\b(host|hostaddr|port|dbname)\s*=\s*'?([^\s']+)'?", s):
        key, val = m.group(1), m.group(2)
        kind = {"host": "host", "hostaddr": "host", "port": "port", "dbname": "db_name"}[key]
        for v in val.split(",") if kind == "host" else [val]:
            yield (kind,), v
    for m in re.finditer(r"\b(postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis|rediss|amqps?)://([^\s\"']+)", s):
        yield from _uri(m.group(1), m.group(2))


def _uri(scheme: str, rest: str) -> Found:
    netloc, _, path = rest.partition("/")
    query = ""
    if "?" in path:
        path, _, query = path.partition("?")
    elif "?" in netloc:
        netloc, _, query = netloc.partition("?")
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    for hp in netloc.split(","):
        host, _, port = hp.rpartition(":") if re.search(r":\d+$", hp) else (hp, "", "")
        if host:
            yield ("host",), host
        if port:
            yield ("port",), port
    path = unquote(path.strip("/"))
    if path:
        if scheme.startswith("amqp"):
            yield ("vhost",), path
        elif scheme.startswith("redis"):
            pass  # a db number
        else:
            yield ("db_name",), path.split("/")[0]
    for m in re.finditer(r"(?:replicaSet|replicaset)=([^&\s]+)", query):
        yield ("mongo_rs",), m.group(1)
    for m in re.finditer(r"(?:dbname)=([^&\s]+)", query):
        yield ("db_name",), m.group(1)


def read_pg(prog: str, args: list[str]) -> Found:
    bools = PG_BOOL_FLAGS_BY_PROG.get(prog, set())
    value_flags = {f for f in PG_VALUE_FLAGS if f not in bools}
    named = {"-h": ("host",), "--host": ("host",), "-p": ("port",), "--port": ("port",), "-d": ("db_name",),
             "--dbname": ("db_name",), "--maintenance-db": ("db_name",)}
    if prog in ("pg_dump", "pg_restore", "pg_basebackup"):
        value_flags |= {"-t", "-n"}
    pos, hits = _walk([a for a in args if a not in bools], value_flags, named)
    for kinds, v in hits:
        if kinds == ("db_name",) and ("=" in v or "://" in v):
            yield from _conninfo(v)
        elif kinds == ("host",):
            for h in v.split(","):
                yield kinds, h
        else:
            yield kinds, v
    if prog in ("psql", "pg_dump", "vacuumdb", "reindexdb", "clusterdb", "pgbench", "createdb", "dropdb") and pos:
        first = pos[0]
        if "://" in first or "=" in first:
            yield from _conninfo(first)
        elif prog != "pg_dump" or len(pos) == 1:
            yield ("db_name",), first


def read_mysql(args: list[str]) -> Found:
    pos, hits = _walk([a for a in args if not re.fullmatch(r"-p\S*", a)],
                      {"-u", "--user", "-e", "--execute", "--defaults-file", "--defaults-extra-file", "-S", "--socket",
                       "--protocol", "--ssl-mode", "--connect-timeout", "--result-file", "-r"},
                      {"-h": ("host",), "--host": ("host",), "-P": ("port",), "--port": ("port",),
                       "-D": ("db_name",), "--database": ("db_name",)})
    yield from hits
    for p in pos[:1]:
        if p not in ("status", "processlist", "extended-status", "variables", "ping", "flush-hosts"):
            yield ("db_name",), p


def read_mongosh(args: list[str]) -> Found:
    pos, hits = _walk(args, {"-u", "--username", "-p", "--password", "--eval", "--authenticationDatabase", "--file",
                             "--tlsCAFile", "--authenticationMechanism"},
                      {"--host": ("host",), "--port": ("port",), "--replSet": ("mongo_rs",)})
    for kinds, v in hits:
        if kinds == ("host",) and "/" in v:
            rs, _, hosts = v.partition("/")
            yield ("mongo_rs",), rs
            for h in hosts.split(","):
                yield ("host",), h
        else:
            yield kinds, v
    for p in pos:
        if "://" in p:
            yield from _conninfo(p)


def read_redis_cli(args: list[str]) -> Found:
    _, hits = _walk(args, {"-a", "--user", "--pass", "-n", "-s", "--cacert", "--cert", "--key", "-i", "-r",
                           "--pattern", "--count", "--memkeys-samples", "--eval", "--tls-ciphers"},
                    {"-h": ("host",), "-p": ("port",), "-u": ("_uri",)})
    for kinds, v in hits:
        if kinds == ("_uri",):
            yield from _conninfo(v)
        else:
            yield kinds, v
    for i, a in enumerate(args):
        if a == "--cluster" and i + 2 < len(args) and ":" in args[i + 2]:
            h, _, p = args[i + 2].rpartition(":")
            yield ("host",), h
            yield ("port",), p


def read_patronictl(args: list[str]) -> Found:
    pos, hits = _walk(args, {"-c", "--config-file", "-d", "--dcs-url", "--dcs", "-k", "--insecure", "-f", "--format",
                             "-w", "--watch", "--scheduled", "--role", "--group", "--pending", "-r", "--timestamp",
                             "-s", "--apply", "--set", "-p", "--pg", "--replace"},
                      {"--leader": ("host",), "--master": ("host",), "--primary": ("host",),
                       "--candidate": ("host",), "--member": ("host",)})
    yield from hits
    if len(pos) >= 2 and pos[0] in {"list", "topology", "history", "show-config", "edit-config", "switchover",
                                    "failover", "restart", "reload", "reinit", "pause", "resume", "flush", "query",
                                    "remove", "dsn", "ctl"}:
        yield ("patroni_cluster",), pos[1]
        for member in pos[2:]:
            yield ("host",), member


def read_pgbackrest(args: list[str]) -> Found:
    _, hits = _walk(args, {"--type", "--set", "--target", "--config", "--repo", "--log-level-console", "--output",
                           "--target-action", "--process-max", "--delta"},
                    {"--stanza": ("stanza",), "--pg1-host": ("host",), "--repo1-host": ("host",),
                     "--pg1-port": ("port",)})
    yield from hits


KAFKA_PROGRAMS = {"kafka-topics", "kafka-consumer-groups", "kafka-configs", "kafka-console-consumer",
                  "kafka-console-producer", "kafka-reassign-partitions", "kafka-leader-election", "kafka-log-dirs",
                  "kafka-get-offsets", "kafka-broker-api-versions", "kafka-metadata-quorum", "kafka-acls",
                  "kafka-replica-verification", "kafka-run-class", "kafka-delete-records", "kafka-producer-perf-test",
                  "kafka-consumer-perf-test", "kafka-features", "kafka-metadata-shell", "kafka-storage",
                  "kafka-transactions", "kafka-cluster"}


def _bootstrap(v: str) -> Found:
    for part in v.split(","):
        part = part.strip()
        if not part:
            continue
        host, _, port = part.rpartition(":") if re.search(r":\d+$", part) else (part, "", "")
        yield ("kafka_bootstrap",), host
        if port:
            yield ("port",), port


def read_kafka(args: list[str]) -> Found:
    pos, hits = _walk(args, {"--command-config", "--partitions", "--replication-factor", "--config", "--add-config",
                             "--delete-config", "--property", "--max-messages", "--to-datetime", "--to-offset",
                             "--shift-by", "--timeout", "--partition", "--offset", "--consumer-property",
                             "--producer.config",
                             "--consumer.config", "--reassignment-json-file", "--election-type", "--broker",
                             "--throttle", "--num-records", "--record-size", "--throughput", "--messages",
                             "--offset-json-file", "--time"},
                      {"--bootstrap-server": ("_bs",), "--broker-list": ("_bs",), "--topic": ("kafka_topic",),
                       "--group": ("kafka_group",), "--zookeeper": ("_bs",), "--entity-name": ("_entity",),
                       "--entity-type": ("_etype",), "--include": ("kafka_topic",), "--whitelist": ("kafka_topic",),
                       "--topic-list": ("kafka_topic",)})
    etype = ""
    entity: list[str] = []
    for kinds, v in hits:
        if kinds == ("_bs",):
            yield from _bootstrap(v)
        elif kinds == ("_etype",):
            etype = v
        elif kinds == ("_entity",):
            entity.append(v)
        elif kinds == ("kafka_topic",):
            for t in v.split(","):
                yield kinds, t.strip("'\"")
        else:
            yield kinds, v
    for e in entity:
        if etype in ("topics", "topic"):
            yield ("kafka_topic",), e
        elif etype in ("groups", "group"):
            yield ("kafka_group",), e


def read_kcat(args: list[str]) -> Found:
    pos, hits = _walk(args, {"-o", "-c", "-f", "-X", "-p", "-D", "-K", "-s", "-m", "-F", "-k", "-H", "-Z"},
                      {"-b": ("_bs",), "-t": ("kafka_topic",), "-G": ("kafka_group",)})
    grouped = False
    for kinds, v in hits:
        if kinds == ("_bs",):
            yield from _bootstrap(v)
        else:
            grouped = grouped or kinds == ("kafka_group",)
            yield kinds, v
    if grouped:
        for p in pos:
            yield ("kafka_topic",), p


def read_rabbitmq(prog: str, args: list[str]) -> Found:
    named: dict[str, tuple[str, ...]] = {"-p": ("vhost",), "--vhost": ("vhost",), "-n": ("_node",),
                                         "--node": ("_node",)}
    if prog == "rabbitmqadmin":
        named = {"-V": ("vhost",), "--vhost": ("vhost",), "-H": ("host",), "--host": ("host",), "-P": ("port",),
                 "--port": ("port",), "-N": ("_node",), "--node": ("_node",)}
    pos, hits = _walk(args, {"-u", "--username", "-q", "--formatting", "-f", "--format", "--timeout", "-t", "-c",
                             "--config", "--password"}, named)
    for kinds, v in hits:
        if kinds == ("_node",):
            yield ("host",), v.split("@", 1)[-1]
        else:
            yield kinds, v
    if not pos:
        return
    if prog in ("rabbitmqctl", "rabbitmq-queues") and pos[0] in {"purge_queue", "delete_queue", "quorum_status",
                                                                 "check_if_node_is_quorum_critical", "grow",
                                                                 "shrink", "add_member", "delete_member",
                                                                 "rebalance", "reclaim_quorum_memory"}:
        if len(pos) >= 2 and pos[0] not in ("grow", "shrink", "rebalance"):
            yield ("queue",), pos[1]
    if prog == "rabbitmqadmin":
        for p in pos:
            m = re.fullmatch(r"(queue|name|routing_key|destination)=(.+)", p)
            if m and ("queue" in pos or "queues" in pos or m.group(1) in ("queue", "routing_key")):
                yield ("queue",), m.group(2)


def read_http(args: list[str]) -> Found:
    pos, _ = _walk(args, {"-H", "--header", "-X", "--request", "-d", "--data", "--data-raw", "--data-binary",
                          "--data-urlencode", "-o", "--output", "-w", "--write-out", "-u", "--user", "--max-time",
                          "-m", "--connect-timeout", "--retry", "--cacert", "--cert", "--key", "-A", "--user-agent",
                          "-e", "--referer", "-x", "--proxy", "--retry-delay", "--retry-max-time", "-O",
                          "--output-document", "--timeout", "-T", "--tries", "--header-file", "-b", "--cookie"},
                    {})
    for i, a in enumerate(args):
        if a == "--resolve" and i + 1 < len(args):
            yield ("host",), args[i + 1].split(":")[0]
    for p in pos:
        yield from read_url(p)


def read_url(u: str) -> Found:
    u = u.strip("'\"")
    m = re.match(r"(https?)://([^/\s?#]*)(/[^\s?#]*)?", u)
    if not m:
        m2 = re.match(r"(\$\{?\w+\}?)(/[^\s?#]*)", u)
        if m2 and m2.group(2):
            yield from _http_path(m2.group(2), "")
        return
    yield ("url",), u
    netloc, path = m.group(2), m.group(3) or ""
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    host, _, port = netloc.rpartition(":") if re.search(r":\d+$", netloc) else (netloc, "", "")
    if host:
        yield ("host",), host
    if port:
        yield ("port",), port
    if "amazonaws.com" in host:
        rm = re.search(r"\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.", "." + host + ".")
        if rm:
            yield ("region",), rm.group(1)
        if host.startswith("sqs.") or ".queue." in host:
            yield from _queue_url(u)
        return
    yield from _http_path(path, port)


ES_API = re.compile(r"_(search|count|stats|settings|mapping|mappings|refresh|flush|forcemerge|doc|bulk|rollover|ilm|"
                    r"shard_stores|recovery|segments|open|close|alias|aliases|cache|reindex|delete_by_query|"
                    r"update_by_query|field_caps|validate|explain|termvectors|msearch|mget|block|unfreeze|freeze)")


def _http_path(path: str, port: str) -> Found:
    segs = [s for s in path.split("/") if s]
    # Elasticsearch: /INDEX/_api and /_cat/indices/INDEX, /_cluster/health/INDEX
    if len(segs) >= 2 and not segs[0].startswith("_") and ES_API.fullmatch(segs[1]):
        for idx in segs[0].split(","):
            yield ("es_index",), unquote(idx)
        return
    if len(segs) >= 3 and segs[0] in ("_cat", "_cluster") and segs[1] in ("indices", "shards", "recovery",
                                                                          "segments", "count", "health"):
        for idx in segs[2].split(","):
            yield ("es_index",), unquote(idx)
        return
    # RabbitMQ management: /api/queues/VHOST/QUEUE
    if len(segs) >= 3 and segs[0] == "api" and segs[1] in ("queues", "exchanges", "bindings", "vhosts"):
        yield ("vhost",), unquote(segs[2])
        if len(segs) >= 4 and segs[1] == "queues":
            yield ("queue",), unquote(segs[3])
        return
    if port in TECH_HTTP_PORTS or not path or path == "/":
        return
    if HEALTHISH.search(path.rstrip("/")):
        yield ("health_path",), path.rstrip("/") or "/"


def read_etcdctl(args: list[str]) -> Found:
    pos, hits = _walk(args, {"--cacert", "--cert", "--key", "-w", "--write-out", "--dial-timeout"},
                      {"--endpoints": ("_ep",)})
    for _kinds, v in hits:
        for ep in v.split(","):
            yield from read_url(ep) if "://" in ep else iter([(("host",), strip_host(ep))])
    for p in pos:
        m = re.match(r"/service/([^/\s]+)", p)
        if m:
            yield ("patroni_cluster",), m.group(1)


def read_gsutil(args: list[str]) -> Found:
    return iter(())  # gs:// is read by the line patterns


def read_nc(args: list[str]) -> Found:
    pos, _ = _walk(args, {"-w", "-W", "-i", "-s", "-p", "-x", "-X"}, {})
    if len(pos) >= 2 and re.fullmatch(r"\d+", pos[1]):
        yield ("host",), pos[0]
        yield ("port",), pos[1]


def read_dig(args: list[str]) -> Found:
    for p in args:
        if not p.startswith(("-", "+", "@")) and "." in p and p.upper() not in ("A", "AAAA", "CNAME", "SRV", "TXT"):
            yield ("host",), p


def read_command(argv: list[str]) -> Found:
    """Hits of one simple command, dispatched on its program."""
    argv = _unwrap(argv)
    if not argv:
        return
    prog, args = _program(argv[0]), argv[1:]
    if prog in ("kubectl", "oc", "k"):
        yield from read_kubectl(args)
    elif prog == "kubectl-argo-rollouts":
        yield from read_kubectl(args)
    elif prog == "helm":
        yield from read_helm(args)
    elif prog == "argocd":
        yield from read_argocd(args)
    elif prog == "aws":
        yield from read_aws(args)
    elif prog == "gcloud":
        yield from read_gcloud(args)
    elif prog == "az":
        yield from read_az(args)
    elif prog == "eksctl":
        yield from read_eksctl(args)
    elif prog == "docker-compose":
        yield from read_compose(args)
    elif prog in ("docker", "podman", "nerdctl"):
        yield from read_docker(args)
    elif prog == "systemctl":
        yield from read_systemctl(args)
    elif prog == "journalctl":
        yield from read_journalctl(args)
    elif prog in ("ssh", "mosh", "autossh"):
        yield from read_ssh(args)
    elif prog in ("scp", "rsync", "sftp"):
        yield from read_scp(args)
    elif prog in ("pdsh", "pssh", "parallel-ssh", "clush"):
        yield from read_pdsh(args)
    elif prog in ("ansible", "ansible-playbook"):
        yield from read_ansible(args)
    elif prog in ("psql", "pg_isready", "pg_dump", "pg_dumpall", "pg_restore", "pg_basebackup", "pgbench",
                  "vacuumdb", "reindexdb", "clusterdb", "createdb", "dropdb", "pg_receivewal", "pg_amcheck"):
        yield from read_pg(prog, args)
    elif prog in ("mysql", "mysqladmin", "mysqldump", "mysqlcheck", "mariadb"):
        yield from read_mysql(args)
    elif prog in ("mongosh", "mongo", "mongodump", "mongorestore", "mongostat", "mongotop"):
        yield from read_mongosh(args)
    elif prog in ("redis-cli", "valkey-cli"):
        yield from read_redis_cli(args)
    elif prog == "patronictl":
        yield from read_patronictl(args)
    elif prog == "pgbackrest":
        yield from read_pgbackrest(args)
    elif prog in KAFKA_PROGRAMS:
        yield from read_kafka(args)
    elif prog in ("kcat", "kafkacat"):
        yield from read_kcat(args)
    elif prog in ("rabbitmqctl", "rabbitmq-diagnostics", "rabbitmq-queues", "rabbitmq-plugins", "rabbitmqadmin",
                  "rabbitmq-upgrade"):
        yield from read_rabbitmq(prog, args)
    elif prog in ("curl", "wget", "http", "https", "xh", "hey", "ab"):
        yield from read_http(args)
    elif prog == "etcdctl":
        yield from read_etcdctl(args)
    elif prog in ("nc", "ncat", "telnet"):
        yield from read_nc(args)
    elif prog in ("dig", "nslookup", "host"):
        yield from read_dig(args)
    elif prog in ("bash", "sh", "zsh") and len(args) >= 2 and args[0] in ("-c", "-lc", "-ec"):
        for seg in segments(args[1]):
            yield from read_command(seg)


# --------------------------------------------------------------------------------------------------
# Line patterns: positions that do not depend on which program holds them

LABEL_KINDS: dict[str, tuple[str, ...]] = {
    "namespace": ("namespace",), "kubernetes_namespace": ("namespace",), "exported_namespace": ("namespace",),
    "namespace_name": ("namespace",), "kube_namespace": ("namespace",),
    "deployment": ("deployment",), "kube_deployment": ("deployment",), "statefulset": ("statefulset",),
    "kube_stateful_set": ("statefulset",), "daemonset": ("daemonset",), "kube_daemon_set": ("daemonset",),
    "cronjob": ("cronjob",), "kube_cronjob": ("cronjob",), "horizontalpodautoscaler": ("k8s_aux",),
    "app": ("selector",), "service": ("selector",), "container": ("selector",), "container_name": ("selector",),
    "kube_app_name": ("selector",), "app_kubernetes_io_name": ("selector",),
    "topic": ("kafka_topic",), "consumergroup": ("kafka_group",), "group": ("kafka_group",),
    "consumer_group": ("kafka_group",), "kafka_topic": ("kafka_topic",),
    "queue": ("queue",), "queue_name": ("queue",), "queuename": ("queue",), "dimension_QueueName": ("queue",),
    "vhost": ("vhost",), "datname": ("db_name",), "dbname": ("db_name",), "database": ("db_name",),
    "db": ("db_name",), "region": ("region",), "cluster": ("k8s_cluster", "ecs_cluster", "es_cluster",
                                                            "kafka_cluster", "patroni_cluster"),
    "cluster_name": ("k8s_cluster", "ecs_cluster", "es_cluster", "kafka_cluster", "patroni_cluster"),
    "kube_cluster_name": ("k8s_cluster",), "subscription_id": ("pubsub_subscription",),
    "topic_id": ("pubsub_topic",), "function_name": ("function",), "functionname": ("function",),
    "dimension_FunctionName": ("function",), "bucket": ("bucket",), "bucket_name": ("bucket",),
    "tablename": ("dynamodb_table",), "table_name": ("dynamodb_table",), "dbinstanceidentifier": ("db_instance",),
    "dbclusteridentifier": ("aurora_cluster",), "replication_group_id": ("elasticache_rg",),
    "cacheclusterid": ("elasticache_rg",), "index": ("es_index",), "scope": ("patroni_cluster",),
    "rs_nm": ("mongo_rs",), "set": ("mongo_rs",), "replset": ("mongo_rs",), "unit": ("systemd_unit",),
    "name": ("systemd_unit",), "ecs_cluster": ("ecs_cluster",), "servicename": ("ecs_service",),
    "ecs_service": ("ecs_service",), "compose_service": ("compose_service",), "compose_project": ("compose_project",),
    "helm_release": ("helm_release",), "release": ("helm_release",), "argocd_app": ("argocd_app",),
    "stanza": ("stanza",), "job_name": ("cronjob",),
}

_LABEL = re.compile(r"\b([A-Za-z_][\w]*)\s*(=~|=)\s*\"([^\"]*)\"")
_DIMENSION = re.compile(r"Name=([\w ]+?),Value=([^\s,\"']+)")
_JSON_DIM = re.compile(r"\"Name\"\s*:\s*\"([\w ]+)\"\s*,\s*\"Value\"\s*:\s*\"([^\"]+)\"")
_SQL_DB = [
    re.compile(r"\bdatname\s*(?:=|<>|!=)\s*'([^']+)'", re.I),
    re.compile(r"\bdatname\s+IN\s*\(([^)]*)\)", re.I),
    re.compile(r"pg_database_size\(\s*'([^']+)'", re.I),
    re.compile(r"^\s*\\c(?:onnect)?\s+([\w-]+)", re.M),
    re.compile(r"^\s*USE\s+`?([\w-]+)`?\s*;", re.I | re.M),
    re.compile(r"\btable_schema\s*=\s*'([^']+)'", re.I),
]
_S3 = re.compile(r"\bs3a?://([a-z0-9$][\w.${}-]*)")
_GS = re.compile(r"\bgs://([a-z0-9$][\w.${}-]*)")
_ARN = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:[^:\s\"']*:[^\s\"',]+")
_ES_JSON_INDEX = re.compile(r"\"index\"\s*:\s*\"([^\"]+)\"")
_REGION_ENV = re.compile(r"\b(?:AWS_REGION|AWS_DEFAULT_REGION|CLOUDSDK_COMPUTE_REGION)=\"?([a-z]{2}[\w-]*\d)\b")
_SS_PORT = re.compile(r"(?:sport|dport)\s*=\s*:(\d+)|grep\s+(?:-\w+\s+)*['\"]?:(\d{2,5})\b")
_ROLE_PREFIX = re.compile(r"^(?:kafka|redis|pg|es|http|svc):")


def _label_hits(line: str) -> Found:
    for m in _LABEL.finditer(line):
        key, op, val = m.group(1), m.group(2), m.group(3)
        kinds = LABEL_KINDS.get(key) or LABEL_KINDS.get(key.lower())
        if key == "name" and "systemd" not in line:
            continue  # `name=` is too generic outside node_systemd_unit_state
        if not kinds or not val:
            continue
        values = val.split("|") if op == "=~" else [val]
        for v in values:
            v = re.sub(r"(\.\*|\.\+)$", "*", v).replace("\\.", ".")
            if v and not re.search(r"[\\()\[\]^$+?]", v.replace("$", "")):
                yield kinds, v


# Datadog tags (`{service:x,env:prod}`, `kube_namespace:x`) and New Relic NRQL (`appName = 'x'`): the
# monitoring stack's own positions for the same names
DD_TAG_KINDS: dict[str, tuple[str, ...]] = {
    "kube_namespace": ("namespace",), "kube_deployment": ("deployment",), "kube_stateful_set": ("statefulset",),
    "kube_daemon_set": ("daemonset",), "kube_cronjob": ("cronjob",), "kube_cluster_name": ("k8s_cluster",),
    "kube_service": ("k8s_aux",), "queuename": ("queue",), "functionname": ("function",),
    "tablename": ("dynamodb_table",), "dbinstanceidentifier": ("db_instance",),
    "dbclusteridentifier": ("aurora_cluster",), "cacheclusterid": ("elasticache_rg",),
    "replicationgroupid": ("elasticache_rg",), "service": ("selector",), "topic": ("kafka_topic",),
    "consumer_group": ("kafka_group",), "region": ("region",), "host": ("host",), "bucketname": ("bucket",),
    "ecs_cluster": ("ecs_cluster",), "ecs_cluster_name": ("ecs_cluster",), "servicename": ("ecs_service",),
    "container_name": ("selector",), "systemd_unit": ("systemd_unit",), "db": ("db_name",),
    "rabbitmq_queue": ("queue",), "rabbitmq_vhost": ("vhost",), "subscription_id": ("pubsub_subscription",),
    "topic_id": ("pubsub_topic",), "instance_group_name": ("gce_mig",), "project_id": ("gcp_project",),
}
NRQL_KINDS: dict[str, tuple[str, ...]] = {
    "appname": ("selector",), "entity.name": ("selector",), "namespacename": ("namespace",),
    "namespace_name": ("namespace",), "deploymentname": ("deployment",), "statefulsetname": ("statefulset",),
    "daemonsetname": ("daemonset",), "cronjobname": ("cronjob",), "queuename": ("queue",),
    "functionname": ("function",), "container_name": ("selector",), "containername": ("selector",),
    "clustername": ("k8s_cluster", "ecs_cluster"), "tablename": ("dynamodb_table",),
    "dbinstanceidentifier": ("db_instance",), "dbclusteridentifier": ("aurora_cluster",), "hostname": ("host",),
    "servicename": ("ecs_service",), "topic": ("kafka_topic",), "consumergroup": ("kafka_group",),
    "awsregion": ("region",), "bucketname": ("bucket",), "datname": ("db_name",), "database": ("db_name",),
}
_DD_TAG = re.compile(r"(?<![\w.-])([a-z_]+):([\w.*/-]+)")
_NRQL = re.compile(r"((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*)\s*=\s*'([^'$]+)'")


def _tag_hits(line: str) -> Found:
    for body in re.findall(r"[\w.]+\{([^{}]*)\}", line):
        for m in _DD_TAG.finditer(body):
            kinds = DD_TAG_KINDS.get(m.group(1).casefold())
            if kinds:
                yield kinds, m.group(2)
    for m in _DD_TAG.finditer(line):
        if m.group(1).startswith("kube_") and m.group(1) in DD_TAG_KINDS:
            yield DD_TAG_KINDS[m.group(1)], m.group(2)
    for m in _NRQL.finditer(line):
        key = m.group(1).casefold()
        kinds = NRQL_KINDS.get(key) or (NRQL_KINDS.get(key.rsplit(".", 1)[-1]) if key.count(".") and
                                         not key.endswith(".name") else None)
        if kinds:
            yield kinds, m.group(2)


def line_hits(line: str) -> Found:
    yield from _label_hits(line)
    yield from _tag_hits(line)
    for rx in (_DIMENSION, _JSON_DIM):
        for m in rx.finditer(line):
            kinds = DIMENSION_KINDS.get(m.group(1).strip())
            if kinds:
                yield kinds, m.group(2)
    for rx in _SQL_DB:
        for m in rx.finditer(line):
            for v in m.group(1).split(","):
                yield ("db_name",), v.strip().strip("'")
    for m in _S3.finditer(line):
        yield ("bucket",), m.group(1)
    for m in _GS.finditer(line):
        yield ("bucket",), m.group(1)
    for m in _ARN.finditer(line):
        yield from _arn(m.group(0))
    for m in _ES_JSON_INDEX.finditer(line):
        yield ("es_index",), m.group(1)
    for m in _REGION_ENV.finditer(line):
        yield ("region",), m.group(1)
    for m in _SS_PORT.finditer(line):
        yield ("port",), m.group(1) or m.group(2)
    for m in re.finditer(r"\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|rediss?|amqps?)://[^\s\"']+", line):
        yield from _conninfo(m.group(0))


# --------------------------------------------------------------------------------------------------
# Whole documents

_FOR = re.compile(r"^for\s+([A-Za-z_]\w*)\s+in\s+(.*?)\s*;?\s*(?:do\b.*)?$")
_HOSTS_ARRAY = re.compile(r"^(?:export\s+|declare\s+-a\s+)?([A-Z_]*(?:HOSTS?|NODES?|SERVERS?|BROKERS?|MEMBERS?|"
                          r"MACHINES?|INSTANCES?|VMS?)[A-Z_]*)=\(?\"?([^\")]*)\"?\)?\s*$")


def _host_var_used(var: str, text: str) -> bool:
    v = rf"\$\{{?{var}\b"
    return bool(re.search(rf"(?:ssh|scp|mosh|nc|telnet|curl|wget|ping|dig)\s+(?:-\S+\s+(?:\S+\s+)?)*[\"']?(?:\w+@)?{v}"
                          rf"|@{v}|-h\s+[\"']?{v}|//{v}|--host[= ][\"']?{v}|-H\s+[\"']?{v}|-w\s+[\"']?{v}", text))


def _split_words(values: str) -> list[str]:
    try:
        words = shlex.split(values)
    except ValueError:
        words = values.split()
    return [x for w in words for x in expand_braces(w)]


def extract(markdown: str) -> list[Hit]:
    """Every value in a role position in the runbook's command blocks."""
    hits: list[Hit] = []
    env = Env()

    def add(found: Iterable[tuple[tuple[str, ...], str]], line: str) -> None:
        for kinds, value in found:
            v = value.strip().strip("'\"").rstrip(",;")
            if not v or v in ("-", "--"):
                continue
            hits.append(Hit(kinds, v, line))

    from agent.checks import functions, shellwords

    blocks = command_blocks(markdown)
    # a call of a function the runbook declares (`on_hosts 'CMD'`) is read as what its body runs
    declared = functions.definitions([b.text for b in blocks if b.lang not in QUERY_LANGS])
    for block in blocks:
        if block.lang in QUERY_LANGS:
            for line in block.text.splitlines():
                add(line_hits(env.substitute(line)), line)
            continue
        for raw, heredoc in logical_lines(block.text):
            env.learn(raw)
            line = env.substitute(raw)
            add(line_hits(line), raw)
            for hline in heredoc:
                add(line_hits(env.substitute(hline)), hline)
            fm = _FOR.match(line)
            if fm and _host_var_used(fm.group(1), block.text):
                add(((("host",), w) for w in _split_words(fm.group(2))), raw)
            am = _HOSTS_ARRAY.match(raw)
            if am and "$" not in am.group(2):
                lit = env.vars.get(am.group(1), am.group(2))
                add(((("host",), w) for w in _split_words(lit)), raw)
            for seg in segments(line):
                add(read_command(seg), raw)
            called = shellwords.parse(line).commands if declared and line.split(" ", 1)[0] in declared else []
            for simple in called:
                if simple.argv and simple.argv[0] in declared:
                    for seg in segments(functions.substitute(declared[simple.argv[0]].body, simple.raw[1:])):
                        add(read_command(seg), raw)
    return hits


def assumed_text(markdown: str) -> str:
    """The runbook's "Assumed, not told" passage (from its line to the next heading or rule)."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if re.search(r"assumed,?\s+not\s+told", line, re.I):
            out = [line]
            for nxt in lines[i + 1 : i + 80]:
                if re.match(r"\s*(#{1,6}\s|---\s*$)", nxt):
                    break
                out.append(nxt)
            return "\n".join(out)
    return ""


def title(markdown: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


@dataclass
class Extraction:
    hits: list[Hit] = field(default_factory=list)
    assumed: str = ""
    title: str = ""
    prose: str = ""


def read_runbook(markdown: str) -> Extraction:
    return Extraction(extract(markdown), assumed_text(markdown), title(markdown), prose(markdown))
