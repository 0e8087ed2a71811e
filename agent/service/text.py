"""The offline parser: a free-text description -> `ServiceModel`.

Nothing is invented: what the description does not say stays absent (the engine decides what to
assume, and records it). The grammar is data (`data/vocabulary.yaml`, typed by `vocabulary.py`); this
module holds one general binding rule over it:

1. The description is cut into sentences (a Markdown bullet or heading is one) and tokens; quoted,
   backticked and URL tokens stay whole.
2. Technology, variant and role-noun mentions are found by the vocabulary's phrases; a technology
   after a negation ("no Redis", "instead of MySQL", "migrated off MongoDB") does not count.
3. A name binds to a role by what the sentence says about it: right after its noun ("namespace
   orders", "the queue called `jobs`", "Namespace: orders", "(cluster ledger)"), or right before it
   ("the orders-events SQS queue", "in the cache namespace"), a list or a range binding every member
   ("hosts pg-01, pg-02 and pg-03", "web-1..4"). A common word is a name only when the sentence makes
   it one: quoted, after named / called / a colon, or right after the noun of a role whose values are
   commonly plain words; a word the vocabulary lists as an attribute ("queue timeout", "cluster mode")
   never is.
4. A name goes to the component its noun phrase names ("the RabbitMQ queue X"), else the nearest
   technology to its left in the same clause (a port or host next to PgBouncer is PgBouncer's; "it"
   or "its" means the service), else the only component that can hold the role, else the service's
   own workload. A guess among several is recorded as assumed and asked about on a terminal.
5. Identifier-like words that bind to nothing are kept in `unbound`, with a guess when one exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from agent.service import alert_lists, commands, naming, oncall_text
from agent.service.model import ServiceModel
from agent.service.vocabulary import Technology, Variant, Vocabulary, norm, retired_after, vocabulary

# --- tokens ------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<url>(?:https?|s3|gs|wss?)://[^\s`'"<>)\]]*[^\s`'"<>)\].,;:])
  | `(?P<tick>[^`\n]{1,200})`
  | (?<![\w])"(?P<dq>[^"\n]{1,120})"
  | (?<![\w])'(?P<sq>[^'\s][^'\n]{0,118}[^'\s]|[^'\s])'(?![\w])
  | “(?P<cq>[^”\n]{1,120})”
  | (?P<range>[\w.-]*\w-?(?:\[\d+-\d+\]|\{\d+\.\.\d+\})(?:[\w.-]*\w)?)
  | (?P<word>[\w@#$~/*+%.-]*[\w@#$~/*+%](?::[\w@#$~/*+%.-]*[\w@#$~/*+%])*|\w)
  | (?P<punct>[,;:()\[\]{}=<>—–!?&|])
""", re.VERBOSE)

DETERMINERS = frozenset("the a an our its their this that his her my your these those".split())
PREPOSITIONS = frozenset("in into to from on of at for by with via through onto inside within".split())
PRONOUNS = frozenset("it its they their we our".split())
_CLAUSE_BREAK = frozenset({";", "—", "–", "which", "while", "whereas", "but", "where", "who", "when"})
_STOP = DETERMINERS | PREPOSITIONS | PRONOUNS | frozenset(
    "and or is are was were be been has have had as so if then than also all any each every both no not nor "
    "one two three four five six seven eight nine ten per etc e.g i.e eg ie".split())
# Words that never name anything, even right after "named" or a colon.
_FUNCTION_WORDS = DETERMINERS | PREPOSITIONS | PRONOUNS | frozenset(
    "and or nor but is are was were be been has have had as so if then than also not no".split())
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a pair of": 2, "single": 1}

# Identifier-like tokens that are values, not names.
_NOT_NAME = re.compile(r"""(?ix)
    v?\d+(?:\.\d+)*(?:\.x)?[a-z]?        # versions, numbers
  | \d+(?:\.\d+)?(?:%|ms|s|sec|secs|m|min|mins|h|hr|hrs|d|w|kb|mb|gb|tb|k|x|vcpu|cpu|rps|qps|rpm)  # figures
  | \d{1,2}:\d{2}(?::\d{2})?(?:am|pm)?  # times
  | p\d{2}(?:\.\d+)?                      # quantiles
  | \d+xx | \d+/\d+ | \d+x\d+ | 24/7 | 24x7 | 9-5 | \d+-\d+ | \d+-[a-z]+
  | \d+(?:st|nd|rd|th)(?:-gen(?:eration)?)?  # ordinals, "2nd-gen"
  | e\.g | i\.e | etc | n/a | w/ | a/b | tls\d(?:\.\d)? | http/\d(?:\.\d)? | h2c? | x86_64 | arm64 | amd64
  | gp[23] | io[12] | st1 | sc1 | [a-z]\d[a-z]{0,3}\.(?:nano|micro|small|medium|large|\d*xlarge|metal)  # EBS, EC2 types
    (?:\.(?:search|elasticsearch))?                      # OpenSearch / Elasticsearch Service instance types
  | (?:[a-z]\d[a-z]?|e2|n2d?|c[234]d?|m[123]|t2[ad]|a2|g2)-(?:standard|highmem|highcpu|highgpu|megamem|ultramem|
    custom|micro|small|medium)(?:-\d+)?                   # GCE machine types
  | standard_[a-z]\w*                                    # Azure VM sizes
  | db\.[a-z]\d[a-z]*\.\w+ | cache\.[a-z]\d[a-z]*\.\w+   # RDS / ElastiCache instance classes
  | (?:python|node|java|go|ruby|php|tier|sev|level)\d+(?:\.\d+)*
  | utf-?8 | base64 | sha\d+ | md5 | ipv[46] | oauth2? | s3a?
  | (?P<day>mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rs|rsday|urday)?-(?!(?P=day))
    (?:mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rs|rsday|urday)?   # day ranges ("Mon-Sat"), not "mon-mon"
  | (?-i:[\w-]*[a-z0-9]-0?N{1,2}|[A-Z0-9-]*[A-Z]-0?x{1,2})(?:[.-][\w.-]*)?  # a pattern: "mc-0N.x.net", "WEB-PH-0x"
""")
# Written values and prose that only look like identifiers: quantities ("~120k", "1Gi", "99.5%/month"),
# rates and pairs of words ("events/s", "reads/writes", "blue/green"), zone shorthands ("us-east-1a/b/c").
_PROSE_SHAPE = re.compile(r"""(?x)
    [~≈<>]?\d[\d.,]*\s*(?:[KMGTP]i?[Bb]?|[kmb]|%)?(?:/[A-Za-z]+)?
  | [A-Za-z]+(?:/[A-Za-z]+)+
  | [a-z]{2}-[a-z]+-\d[a-f](?:/[a-f])+
""")
# Endings of English nouns, verbs and adjectives ("upgrades", "versioning", "issues", "migration"): after a
# role noun such a plain word is prose ("cluster upgrades"), not a name, unless the text marks it as one.
_PROSE_WORD = re.compile(r"(?:s|ing|ed|tion|sion|ment|ness|ity|ance|ence|ure|age|ly|al|ive|ous|able|ible)$")
# the same, without the plural: a bare plural after a role noun is often a name ("namespace payments")
_PROSE_STEM = re.compile(r"(?:ed|tion|sion|ment|ness|ity|ance|ence|ly|ous|able|ible)$|^(?:issues|outages|"
                         r"problems|incidents|changes|updates|upgrades|restarts|failovers|deploys|rollouts)$")
# A configuration key: lower-case words joined by dots or underscores ("proxy_read_timeout",
# "num.standby.replicas"); written with a value after it, it is a setting, never a name.
_CONFIG_KEY = re.compile(r"[a-z][a-z0-9]*(?:[._][a-z][a-z0-9]*)+")
_CONFIG_VALUE = re.compile(r"(?i)[=:]|\d[\w.]*|on|off|true|false|yes|no|enabled|disabled|none")
# "logs-30d" (a retention), "p-99", "ec2-2": not names unless a noun says they are
_RETENTION_WORD = re.compile(r"[a-z]+-\d+[dhwmy]|(?:p|l|ec2|python|node|java|go|ruby|php|tier|sev|level)-\d+(?:\.\d+)*")
# A host as written: an internal domain, a numbered name ("web-01", "os-m1", "connect-w2": a role
# letter or two before the number is common), a fully qualified name of three or more labels whose
# first label is an identifier ("mongo-a.int.example.io"; "api.example.com" may be a site, and
# "compose.prod.yml" a file), or an IPv4 address.
_FILE_SUFFIX = (r"ya?ml|json|conf|cfg|toml|ini|sh|py|js|ts|rb|go|java|txt|md|log|xml|sql|tf|env|service|timer|"
                r"socket|lock|gz|tgz|tar|zip|pem|key|crt|csv|html|php|j2|tpl|properties|jar|war|so|dll|exe")
_HOSTLIKE = re.compile(
    rf"(?i)(?!.*\.(?:{_FILE_SUFFIX})$)(?:[a-z][a-z0-9-]*[a-z0-9](?:\.[a-z0-9-]+)*\.(?:internal|local|lan|corp|intra|private|home|prod|"
    r"example\.com|example\.org|svc\.cluster\.local|svc)|[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[a-z]{0,2}\d{1,3}[a-z]?"
    r"(?:\.[a-z0-9-]+)*|(?=[a-z0-9]*[-\d])[a-z][a-z0-9-]*[a-z0-9](?:\.[a-z0-9-]+){1,6}"
    rf"\.(?!(?:{_FILE_SUFFIX})$)[a-z]{{2,6}}|\d{{1,3}}(?:\.\d{{1,3}}){{3}})")
_AWS_REGION = re.compile(r"(?:us|eu|ap|ca|sa|me|af|il|mx)-(?:gov-)?(?:east|west|north|south|central|northeast|"
                         r"southeast|southwest|northwest)-\d")
_GCP_REGION = re.compile(r"(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-(?:central|east|west|"
                         r"north|south|northeast|southeast|southwest|northwest)\d{1,2}")
_AZURE_REGION = re.compile(r"(?:eastus2?|westus[23]?|westeurope|northeurope|uksouth|ukwest|centralus|southeastasia|"
                           r"germanywestcentral|francecentral|australiaeast|japaneast|canadacentral|swedencentral)")
_HEALTH_PATH = re.compile(r"(?i)/(?:[\w-]+/)*(?:healthz?|readyz|livez|ready|live|ping|status|health[\w-]*)(?:/[\w-]+)*")
# nouns whose members are no hosts, whatever their shape ("jobs (web-e2e, ios-release-4.12)")
_NOT_HOST_NOUNS = frozenset({"job", "jobs", "build", "builds", "pipeline", "pipelines", "branch", "branches", "tag",
                             "tags", "release", "releases", "version", "versions", "test", "tests", "suite", "suites"})
_K8S_KINDS = {"deployment": "deployment", "statefulset": "statefulset", "daemonset": "daemonset",
              "cronjob": "cronjob", "deploy": "deployment", "sts": "statefulset", "ds": "daemonset"}
_OBJECT_PRONOUNS = frozenset({"it", "them", "us", "me", "him", "her", "everything", "everyone", "anything",
                              "nothing", "itself", "themselves"})
# a store's connection URL: postgres://user:pass@host:5432/db, mysql://…, mongodb://…, redis://host:6379/0
_DSN_SCHEMES = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql", "mongodb": "mongodb",
                "mongodb+srv": "mongodb", "redis": "redis", "rediss": "redis", "amqp": "rabbitmq", "amqps": "rabbitmq"}
_DSN = re.compile(r"(?P<scheme>postgres(?:ql)?|mysql|mongodb(?:\+srv)?|rediss?|amqps?)://(?:[^@\s/]+@)?"
                  r"(?P<host>[A-Za-z0-9][\w.-]*[A-Za-z0-9])(?::(?P<port>\d{2,5}))?(?:/(?P<db>[A-Za-z_][\w-]*))?/?",
                  re.I)
_UNIT_FILE = re.compile(r"[A-Za-z0-9_@][\w@.:-]*\.(service|timer|socket)")
_COMPOSE_FILE = re.compile(r"/?(?:[\w.-]+/)*(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml")
_IMAGE = re.compile(r"(?:[a-z0-9.-]+(?::\d+)?/)+[a-z0-9][a-z0-9._-]*(?::[\w.-]+)?")
# Roles that live on the same component: a DLQ is where the queues are.
_SIBLINGS = {"dlq": ("queue", "dlq", "topic"), "queue": ("queue", "dlq"), "consumer_group": ("topic", "consumer_group"),
             "topic": ("topic", "consumer_group", "dlq"), "subscription": ("topic", "subscription")}

# What kind of component keeps each kind of data (holds words elsewhere are about something else).
_HOLD_KINDS = {
    "sessions": ("cache", "database", "session-store"), "cache": ("cache",), "rate-limits": ("cache", "database"),
    "locks": ("cache", "database"), "state": ("database", "cache", "stream"), "jobs": ("queue", "broker", "cache"),
    "events": ("stream", "broker", "queue"), "source-of-truth": ("database",), "files": ("object-store",),
}
# Nouns of a service's own kind: the word before one names a service ("the ledger-01 worker").
_KIND_NOUNS = frozenset("service microservice worker api app application job pipeline daemon consumer bot backend "
                        "frontend function exporter processor".split())
_DEAD = re.compile(r"(?i)(?:^|[-_.])(?:dlq|dlt|dead-?letter|deadletter|poison|errors?)(?:$|[-_.])")
_INSTANCE_ID = re.compile(r"i-[0-9a-f]{8,17}")
_TOOL_URL = re.compile(r"grafana|prometheus|alertmanager|datadoghq|datadog|newrelic|one\.nr|console\.aws|kibana|"
                       r"opensearch|statuspage|status\.|confluence|wiki|notion|docs\.|dashboard|pagerduty|opsgenie|"
                       r"github\.com|gitlab", re.I)
_TZ = re.compile(r"\b((?:Europe|America|Asia|Australia|Africa|Pacific)/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?|"
                 r"UTC|GMT|CET|CEST|EET|BST|IST|JST|SGT|AEST|AEDT|PST|PDT|EST|EDT|CST|CDT|MST|MDT)\b")
# replica bounds as teams write them (an autoscaler or replica noun must be near: see autoscale_ranges)
_RANGE = re.compile(r"(?i)\bmin(?:imum)?(?:\s*replicas?)?\s*[:=]?\s*(?P<lo>\d{1,4})\s*(?:/|,|;|and|-)?\s*"
                    r"max(?:imum)?(?:\s*replicas?)?\s*[:=]?\s*(?P<hi>\d{1,4})\b"
                    r"|\b(?P<lo2>\d{1,4})\s*(?:→|->|=>|–|—|\.\.|-)\s*(?P<hi2>\d{1,4})\b(?!\s*(?:%|ms|s\b|min|h\b|gb|mb|:))"
                    r"|\bbetween\s+(?P<lo3>\d{1,4})\s+and\s+(?P<hi3>\d{1,4})\b"
                    r"|\bfrom\s+(?P<lo4>\d{1,4})\s+to\s+(?P<hi4>\d{1,4})\s+(?:replicas|pods|tasks|instances|workers)")
_SCALER_WORDS = re.compile(r"\b(?:hpa|keda|scaledobject|autoscal\w*|auto scaling|asg|replicas?|pods|tasks|"
                           r"instances|workers|min(?:imum)?\b)")
_DURATION = {"ms": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
             "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
             "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
             "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
             "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_DUR_RE = r"(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\b"


_ID_INNER = re.compile(r"[-_./@:]")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[a-z]", re.I)
_CAMEL = re.compile(r"[a-z][A-Z]")
_HYPHWORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class Tok:
    text: str  # as written, quotes and backticks removed
    low: str
    start: int
    end: int
    kind: str  # word, quoted, url, punct
    sentence: int = 0
    # what kind of word it is, worked out once (the parser asks many times)
    plain: bool = field(init=False)  # letters only
    idlike: bool = field(init=False)  # a digit, - _ . / @ : inside, or inner capitals: a name or a value
    hyphword: bool = field(init=False)  # letters joined by hyphens ("orders-api", "customer-facing")
    number: bool = field(init=False)

    def __post_init__(self) -> None:
        word = self.kind == "word"
        t = self.text
        self.plain = word and t.isalpha()
        self.number = word and _NUMBER.fullmatch(t) is not None
        self.hyphword = word and _HYPHWORD.fullmatch(t) is not None
        self.idlike = word and any(c.isalpha() for c in t) and bool(
            _ID_INNER.search(t.strip("-_./:")) or (_DIGIT.search(t) and _LETTER.search(t)) or _CAMEL.search(t))


@dataclass
class Mention:
    kind: str  # tech, variant, noun
    key: str  # technology id, norm(variant word), norm(noun)
    i: int  # first token
    j: int  # one past the last token
    text: str
    negated: bool = False


@dataclass
class Sentence:
    index: int
    text: str
    tokens: list[Tok]
    techs: list[Mention] = field(default_factory=list)
    variants: list[Mention] = field(default_factory=list)
    nouns: list[Mention] = field(default_factory=list)
    label: bool = False  # a Markdown "- Key: value" line
    tech_at: list[Mention | None] = field(default_factory=list)  # per token: the technology mention over it
    noun_at: list[Mention | None] = field(default_factory=list)  # per token: the role noun over it

    def build_index(self) -> None:
        self.tech_at = [None] * len(self.tokens)
        self.noun_at = [None] * len(self.tokens)
        for m in self.techs + self.variants:
            if not m.negated:
                for k in range(m.i, m.j):
                    if self.tech_at[k] is None:
                        self.tech_at[k] = m
        for n in self.nouns:
            for k in range(n.i, n.j):
                if self.noun_at[k] is None:
                    self.noun_at[k] = n


@dataclass
class _Comp:
    id: str
    technology: str
    kind: str
    form: str = "unknown"
    variant: str = ""
    version: str = ""
    purpose: str = ""
    evidence: str = ""
    names: list[dict[str, str]] = field(default_factory=list)
    settings: list[dict[str, str]] = field(default_factory=list)
    controllers: list[dict[str, str]] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)

    def has(self, role: str, value: str) -> bool:
        return any(n["role"] == role and n["value"] == value for n in self.names)

    def names_of_role(self, role: str) -> list[str]:
        return [n["value"] for n in self.names if n["role"] == role]


# A chat export's speaker line ("nadia.okafor 10:06", "Marco Bianchi  9:41 AM", "@j_doe — 10:11"): a break
# between messages, not words of the message above or below it
# (a handle with a dot or underscore; plain or capitalised words only with AM/PM: "Maintenance Window 02:00" is data)
# A plain word before its noun that is a participle describes it ("of scheduled DAG runs", "the archived
# bucket"); "-eed" words (feed, seed) and short ones may be names
# what a failure label says of a thing ("node down:", "dead disk / dead box:")
_STATE_WORDS = frozenset("down dead failed failing broken slow full stuck lost bad unhealthy missing unreachable "
                         "crashed crashing hung degraded flapping offline".split())
# what tools print as a state: quoted, still a state ("replica 'active'", "release 'deployed'")
_STATUS_WORDS = _STATE_WORDS | frozenset("active inactive running pending recovering ready healthy starting stopped "
                                         "stopping leader follower green yellow red ok error deployed succeeded "
                                         "completed available".split())
# what follows "program noun" in a command written as prose ("docker volume prune", "helm release list")
_CLI_VERBS = frozenset("prune ls list rm create inspect delete get describe rollback restart logs status history show "
                       "update stop start kill exec run scale apply edit patch upgrade uninstall remove drain".split())
# names of a workload each: in a list of them, each item is the workload of the technology it is named after
_WORKLOAD_ROLES = frozenset({"compose_service", "deployment", "statefulset", "container", "unit", "daemonset"})
_PARTICIPLE = re.compile(r"^[a-z]{3,}(?<!e)ed$")
_SPEAKER_LINE = re.compile(r"(?m)^[ \t]*@?(?:[A-Za-z][\w-]*[._][\w.-]*[A-Za-z0-9]|"
                           r"(?:[A-Za-z][\w'-]+(?:[ \t]+[A-Z][\w'-]+){0,2})"
                           r"(?=[ \t]*[—–-]?[ \t]*\[?\d{1,2}:\d{2}(?::\d{2})?[ \t]*[AaPp][Mm]))"
                           r"[ \t]*[—–-]?[ \t]*\[?\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]*[AaPp][Mm])?\]?[ \t]*$")


# a chat export's message line: "priya.raman  09:12  ok writing this down …", its text wrapped below it
# a chat export's speaker and time: "priya.raman  09:12", "Jess Whitfield  10:02"
_SPEAKER_TIME = (r"^[ \t]*@?(?:[A-Za-z][\w-]*[._][\w.-]*[A-Za-z0-9]|[A-Z][\w'-]+(?:[ \t]+[A-Z][\w'-]+)?)"
                 r"[ \t]+\[?\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]*[AaPp][Mm])?\]?")
_SPEAKER_PREFIX = re.compile(_SPEAKER_TIME + r"[ \t]{2,}(?=\S)")

# Slack's copy of a thread puts the speaker and time on a line of their own, the message under it
_SPEAKER_ALONE = re.compile(_SPEAKER_TIME + r"[ \t]*$")


def _unwrap_messages(text: str) -> str:
    """Each message of a chat export becomes a paragraph of its own words: the speaker and time go, and
    the lines wrapped under its text join it (indented, they would read as list items). Only a text with
    two such lines is an export."""
    lines = text.split("\n")
    if sum(1 for line in lines if _SPEAKER_PREFIX.match(line) or _SPEAKER_ALONE.match(line)) < 2:
        return text
    out: list[str] = []
    column = -1
    for line in lines:
        head = _SPEAKER_PREFIX.match(line)
        if _SPEAKER_ALONE.match(line):
            column = -1
            out.append("")
        elif head is not None:
            column = head.end()
            out += ["", line[head.end():]]
        elif column > 0 and line.strip() and len(line) - len(line.lstrip()) >= column - 2:
            out.append(line.strip())
        else:
            column = -1
            out.append(line)
    return "\n".join(out)


def _distribute_prohibitions(text: str) -> str:
    """"Do not" over "* purge or delete invoices.render": each item of a list under a don't heading says
    it itself ("* Do not purge or delete invoices.render"), so every reader sees a prohibition."""
    lines = text.split("\n")
    out: list[str] = []
    under = False
    for line in lines:
        item = commands.LIST_ITEM.match(line)
        if commands.DONT_HEADING.match(line) and not item:
            under = True
        elif item is not None and under:
            rest = line[item.end():]
            # an item that says its own "don't" later ("chart values live in git …; don't `helm upgrade`")
            # is an explanation, not a thing to do: it keeps its words
            if not re.match(r"(?i)\s*(?:never|do\s+not|don['’]?t|no\b)", rest) and \
                    not re.search(r"(?i)\b(?:never|do\s+not|don['’]?t)\b", rest):
                line = f"{line[:item.end()]}Do not {rest}"
        elif line.strip() and not line.startswith((" ", "\t")):
            under = False
        out.append(line)
    return "\n".join(out)


def _slash_nouns(text: str) -> str:
    """"project/namespace `iam-prod`", "topic/stream x": two role nouns for one name read as the last one (a
    single word to the tokenizer, neither noun was seen)."""
    nouns = vocabulary().noun_roles

    def one(m: re.Match[str]) -> str:
        return m.group(2) if norm(m.group(1)) in nouns and norm(m.group(2)) in nouns else m.group(0)
    return re.sub(r"(?<![\w/.-])([A-Za-z]+)/([A-Za-z]+)(?![\w/.-])", one, text)


# a key of a pasted manifest or catalog entry that names a role: "aws.amazon.com/ecs-cluster: prod-apps",
# "app.kubernetes.io/part-of: x" — its last segment's words are the label ("ecs cluster: prod-apps")
_KEYED_ANNOTATION = re.compile(r"(?m)^([ \t]*(?:-[ \t]+)?)[\w.-]+/([a-z][a-z0-9]*(?:-[a-z0-9]+)+):[ \t]+(?=\S)")


def _annotation_keys(text: str) -> str:
    return _KEYED_ANNOTATION.sub(lambda m: f"{m.group(1)}{m.group(2).replace('-', ' ')}: ", text)


def _clean_text(description: str) -> str:
    text = _slash_nouns(_annotation_keys(re.sub(r"\*\*|__", "", description or "")))
    text = _SPEAKER_LINE.sub("", text.replace("\r\n", "\n").replace("\t", " "))
    return commands.mark_inline(_distribute_prohibitions(_unwrap_messages(text)))


_KEYED_LINE = re.compile(r"^[A-Za-z][\w.-]*(?: [\w.-]+){0,2}\s*(?::\s|=)\s*\S")


def _units(text: str) -> Iterator[tuple[int, str, bool]]:
    """(offset, text, is_label) per sentence; Markdown bullets and headings are units of their own."""
    lines = text.split("\n")
    pos = 0
    current: list[tuple[int, str]] = []
    blocks: list[tuple[int, str, bool]] = []

    def flush() -> None:
        if current:
            start = current[0][0]
            joined = " ".join(part for _, part in current)
            blocks.append((start, joined, False))
            current.clear()

    # "key: value" / "key=value" lines in a run of two or more (a pasted config or inventory, no bullets)
    keyed = [_KEYED_LINE.match(line.strip()) is not None for line in lines]
    # A bullet wrapped over several lines is one unit: a following line indented past the bullet's
    # marker continues it ("namespace\n  `pricing`" must stay one phrase), until a blank line.
    bullet_indent: int | None = None
    for n, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        offset = pos + indent
        pos += len(line) + 1
        if not stripped:
            flush()
            bullet_indent = None
            continue
        if commands.is_command_line(stripped):
            # a command written out on its own line is the team's command, not prose to read names from; in
            # backticks it stays in its sentence ("check pollers with `temporal task-queue describe …` then")
            # so what the sentence says to do keeps its command
            code = f"`{commands.command_line_part(stripped)}`"
            if bullet_indent is not None and indent > bullet_indent and blocks:
                start, body, label = blocks[-1]
                blocks[-1] = (start, f"{body} {code}", label)
            elif current:
                current.append((offset, code))
            continue
        if keyed[n] and ((n > 0 and keyed[n - 1]) or (n + 1 < len(lines) and keyed[n + 1])):
            flush()
            bullet_indent = None
            blocks.append((offset, stripped, True))
            continue
        if stripped.startswith("|") and stripped.count("|") >= 3:
            # a table row is a unit of its own: "| GitOps | Argo CD application `x` |" says nothing of the
            # next row's words ("| What | … the mobile app |" named an Argo CD app "mobile"); rules stay
            flush()
            bullet_indent = None
            if not re.fullmatch(r"[|:\-\s]+", stripped):
                blocks.append((offset, stripped, True))
            continue
        bullet = re.match(r"^(?:[-*+]|\d{1,2}[.)]|#{1,6})\s+", stripped)
        before = lines[n - 1].strip() if n > 0 else ""
        if bullet and stripped.startswith("#") and blocks and before.startswith("#") and \
                before.split()[0] == stripped.split()[0] and not re.search(r"[.!?]$", blocks[-1][1]) and \
                stripped[bullet.end():bullet.end() + 1].islower():
            # a comment wrapped over lines ("# … Never kill -9 it: an\n# authorization cut off …"): one sentence
            start, body, label = blocks[-1]
            blocks[-1] = (start, f"{body} {stripped[bullet.end():]}", label)
            continue
        if bullet:
            flush()
            body = stripped[bullet.end():]
            label = bool(re.match(r"^[A-Za-z][\w /.-]{0,40}:\s", body))
            blocks.append((offset + bullet.end(), body, label))
            bullet_indent = indent if not stripped.startswith("#") else None
            continue
        if bullet_indent is not None and indent > bullet_indent and blocks:
            start, body, label = blocks[-1]
            blocks[-1] = (start, f"{body} {stripped}", label)
            continue
        bullet_indent = None
        after = lines[n + 1].strip() if n + 1 < len(lines) else ""
        if not current and after and len(stripped.split()) <= 3 and re.fullmatch(r"[A-Z][\w&/ -]{0,40}", stripped):
            blocks.append((offset, stripped, False))  # "Overview" over its paragraph: a heading, not its subject
            continue
        if re.fullmatch(r"(=+)\s*[^=\n]{1,80}?\s*\1", stripped):  # a wiki heading ("== Web nodes =="): its own unit
            flush()
            blocks.append((offset, stripped.strip("= ") + ".", False))
            continue
        current.append((offset, stripped))
    flush()
    for start, block, label in blocks:
        if label:
            yield start, block, True
            continue
        last = 0
        for cut in re.finditer(r"(?<=[.!?])\s+(?=\S)", block):
            before = block[max(0, cut.start() - 5):cut.start()].lower()
            if re.search(r"(?:e\.g\.|i\.e\.|etc\.|\bvs\.|\bno\.|\bapprox\.)$", before):
                continue
            yield start + last, block[last:cut.start()], False
            last = cut.end()
        yield start + last, block[last:], False


def tokenize(sentence: str, index: int = 0) -> list[Tok]:
    out: list[Tok] = []
    for m in _TOKEN.finditer(sentence):
        group = m.lastgroup or "punct"
        raw = m.group(group)
        if group in ("tick", "dq", "sq", "cq"):
            out.append(Tok(raw.strip(), raw.strip().lower(), m.start(), m.end(), "quoted", index))
        elif group == "url":  # "https://a:2379,https://b:2379": a list of URLs, each its own
            at = m.start()
            for part in re.split(r",(?=https?://)", raw):
                out.append(Tok(part, part.lower(), at, at + len(part), "url", index))
                at += len(part) + 1
        elif group in ("word", "range"):  # "web[1-4].prod.internal" is one word
            # a piece of a template ("ceph-<fsid>@osd.12.service", "<team>-api"): no name of its own
            template = sentence[max(0, m.start() - 1):m.start()] in ("<", ">") or \
                sentence[m.end():m.end() + 1] in ("<", ">")
            out.append(Tok(raw, raw.lower(), m.start(), m.end(), "punct" if template else "word", index))
        else:
            out.append(Tok(raw, raw, m.start(), m.end(), "punct", index))
    return out


def _mentions(pattern: re.Pattern[str], sentence: Sentence, kind: str, key_of: Any,
              solid: frozenset[str] = frozenset()) -> list[Mention]:
    """Phrase matches aligned on token boundaries, never inside a quoted or URL token."""
    starts = {t.start: k for k, t in enumerate(sentence.tokens) if t.kind == "word"}
    ends = {t.end: k for k, t in enumerate(sentence.tokens) if t.kind == "word"}
    found: list[Mention] = []
    for m in pattern.finditer(sentence.text):
        i, j = starts.get(m.start()), ends.get(m.end())
        if i is None or j is None or j < i:
            continue
        key = key_of(m.group(0))
        if key is None:
            continue
        if kind == "noun" and re.search(r"[a-z][A-Z]", m.group(0)) and not re.search(r"[\s-]", m.group(0)) \
                and m.group(0).lower() not in solid:
            continue  # "KafkaTopic" is a resource kind, not the noun "kafka topic"
        found.append(Mention(kind, key, i, j + 1, m.group(0)))
    return found


# --- the parser ------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, description: str, vocab: Vocabulary, name: str | None,
                 context: ServiceModel | None = None) -> None:
        self.v = vocab
        self.context = context
        self.raw = description
        self.text = _clean_text(description)
        self.marked = (description or "").replace("\r\n", "\n")  # with its bold: emphasis marks a name
        self.flag_name = name
        self.sentences: list[Sentence] = []
        for _offset, body, label in _units(self.text):
            body = body.strip()
            if not body:
                continue
            s = Sentence(len(self.sentences), body, tokenize(body, len(self.sentences)), label=label)
            self.sentences.append(s)
        self.consumed: set[tuple[int, int]] = set()
        self.comps: dict[str, _Comp] = {}
        self.relationships: list[dict[str, str]] = []
        self.figures: list[dict[str, str]] = []
        self.people: list[dict[str, str]] = []
        self.regions: list[dict[str, str]] = []
        self.sites: list[str] = []
        self.unbound: list[dict[str, str]] = []
        self.alerts: list[dict[str, Any]] = []
        self.mode = "unknown"
        self.env = ""
        self.platform_key = ""  # the technology the platform was read from ("ecs", "gke", "docker-compose")
        self._own_name: str | None = None  # the service's own name as the text states it (bind_nouns)
        self.cloud = ""
        self.platform_evidence = ""
        self.runtime = ""
        self.subject_tech = ""
        self.service_slug = ""
        self._value_at = 0

    # --- helpers ---------------------------------------------------------------------------------------
    def tech(self, ident: str) -> Technology:
        return self.v.technologies[ident]

    def tech_of(self, m: Mention) -> Technology | None:
        return self.v.technologies.get(m.key) if m.kind == "tech" else None

    def variant_of(self, m: Mention) -> Variant:
        return self.v.variants[m.key]

    def _negated(self, s: Sentence, m: Mention) -> bool:
        before = s.text[max(0, s.tokens[m.i].start - 48):s.tokens[m.i].start]
        end = s.tokens[m.j - 1].start + len(s.tokens[m.j - 1].text)
        # 'the old page "Checkout on ECS" is dead, we moved to EKS': what is said of it afterwards denies it too
        return self.v.negation.search(before) is not None or retired_after(s.text[end:])

    def component_for_tech(self, ident: str) -> _Comp | None:
        tech = self.v.technologies.get(ident)
        if tech is None:
            return None
        if tech.platform or tech.kind == "runtime" or ident == self.subject_tech:
            return self.comps["app"]
        return self.comps.get(ident)

    def resolve_variant(self, s: Sentence, m: Mention) -> str:
        """The technology a variant word stands for: one of `of` named in the sentence, else in the
        description, else its default; "" when the product does not say (an RDS instance, engine untold)."""
        var = self.variant_of(m)
        in_sentence = [t.key for t in s.techs if not t.negated and t.key in var.of]
        if in_sentence:
            return min(in_sentence, key=lambda k: min(abs(t.i - m.i) for t in s.techs if t.key == k))
        for ident in self.order:
            if ident in var.of:
                return ident
        return var.default

    def add_name(self, comp: _Comp, role: str, value: str, evidence: str, origin: str = "given") -> None:
        value = value.strip()
        if not value or comp.has(role, value) or (origin == "given" and (
                self._retired(value, self.text) or self._retired(value, evidence))):
            return
        comp.names.append({"role": role, "value": value, "origin": origin, "evidence": evidence})

    @staticmethod
    def _retired(value: str, text: str) -> bool:
        """Every mention of the name in `text` (the description, or the sentence it was read from) says it
        is out of service ("the `etcd` unit is masked", "an etcd-4 during the migration. It's gone"): a
        name the runbook must not point at."""
        found = [m.end() for m in re.finditer(rf"(?<![\w./-]){re.escape(value)}(?![\w-]|\.\w)", text)]
        return bool(found) and all(retired_after(text[end:]) for end in found)

    # --- 1. technologies and components --------------------------------------------------------------
    def find_mentions(self) -> None:
        v = self.v
        for s in self.sentences:
            s.techs = [m for m in _mentions(v.tech_pattern, s, "tech", lambda w: v.tech_words.get(norm(w)))
                       if not self._improper(m.text)]
            s.variants = _mentions(v.variant_pattern, s, "variant",
                                   lambda w: norm(w) if norm(w) in v.variants else None)
            s.nouns = _mentions(v.noun_pattern, s, "noun", lambda w: norm(w) if norm(w) in v.noun_roles else None,
                                v.solid_nouns)
            previous: Mention | None = None
            for m in s.techs + s.variants:
                m.negated = self._negated(s, m)
            # "no Redis or Memcached": a list after a negation is negated as a whole
            for m in sorted(s.techs, key=lambda x: x.i):
                if previous is not None and previous.negated and all(
                        t.low in (",", "or", "and", "nor") for t in s.tokens[previous.j:m.i]):
                    m.negated = True
                previous = m
            # a word both a technology and a variant ("patroni", "msk") is a variant here, a tech too
            s.nouns = [n for n in s.nouns if not self._inside_tech_only(s, n)]
        self._drop_other_cloud_asides()
        for s in self.sentences:
            s.build_index()

    def _drop_other_cloud_asides(self) -> None:
        """"Azure SQL database bookingdb (S3, 100 DTU)": a product of a cloud nothing else in the text speaks
        of, named only in an aside, on a service of another cloud, is a size or tier label, not a component."""
        def cloud(m: Mention) -> str:
            tech = self.v.technologies.get(m.key)
            return tech.cloud if tech is not None else ""

        said: dict[str, int] = {}
        for s in self.sentences:
            for m in s.techs:
                if cloud(m) and not m.negated:
                    said[cloud(m)] = said.get(cloud(m), 0) + 1
        for s in self.sentences:
            s.techs = [m for m in s.techs if not (cloud(m) and said.get(cloud(m)) == 1 and
                                                  any(c != cloud(m) for c in said) and self._inside_paren(s, m.i))]

    def _improper(self, word: str) -> bool:
        """"go" in "logs go to": a word that names a technology only when written as the vocabulary does."""
        proper = next((p for p in self.v.proper if p.lower() == word.lower()), None)
        return proper is not None and word != proper and word != proper.upper()

    def _inside_tech_only(self, s: Sentence, n: Mention) -> bool:
        """A noun found inside a longer technology phrase that is not itself a noun phrase ("Redis
        Cluster" is Redis, "docker compose service" keeps its noun)."""
        for t in s.techs:
            if t.i <= n.i and n.j <= t.j and (t.j - t.i) > (n.j - n.i) and norm(t.text) not in self.v.noun_roles:
                return not any(norm(t.text).endswith(norm(n.text)) and norm(t.text) in self.v.noun_roles for _ in (0,))
        return False

    def collect_components(self) -> None:
        self.order: list[str] = []
        if self.context is not None:  # a correction: the components it may speak of already exist
            for c in self.context.components:
                if c.id != "app" and c.technology and c.technology in self.v.technologies:
                    self.order.append(c.technology)
        for s in self.sentences:
            for m in sorted(s.techs, key=lambda x: x.i):
                if not m.negated and m.key not in self.order:
                    self.order.append(m.key)
        self.subject_tech = self._subject_technology()
        if self.context is not None:
            own = self.context.app
            self.subject_tech = own.technology if own is not None and own.technology in self.v.technologies and \
                self.tech(own.technology).kind not in ("runtime",) else ""
            self.cloud = self.context.platform.cloud
        runtime = next((k for k in self.order if self.tech(k).kind == "runtime"), "")
        app_tech = self.subject_tech or runtime
        if self.context is not None and self.context.app is not None:
            app_tech = self.context.app.technology
        first = self.sentences[0].text if self.sentences else ""
        self.comps["app"] = _Comp("app", app_tech, "service", evidence=first)
        for ident in self.order:
            tech = self.tech(ident)
            if not tech.component or ident == self.subject_tech:
                continue
            where = self._first_sentence_with(ident)
            self.comps[ident] = _Comp(ident, ident, tech.kind if tech.kind != "other" else "other",
                                      form=tech.form or "unknown", evidence=where)
        # variants: form and product of a technology ("RDS", "ElastiCache", "Strimzi")
        named = _service_name(self.text)
        # only a name the text writes as such ("atlas-web"), not one made from its first words
        own_parts = {norm(p) for p in re.split(r"[-_.\s]", named[0].lower()) if len(p) > 2} \
            if named and named[0].lower() in self.text.lower() else set()
        for s in self.sentences:
            for m in s.variants:
                if m.negated:
                    continue
                var = self.variant_of(m)
                if var.form == "cluster-workload" and not var.default and not any(
                        abs(t.i - m.i) <= 3 and t.key in var.of for t in s.techs if not t.negated):
                    continue  # "the StatefulSet x" says how the service runs, not a datastore's form
                ident = self.resolve_variant(s, m)
                comp = self.component_for_tech(ident) if ident else None
                if comp is None and m.j - m.i == 1 and norm(m.text) in own_parts:
                    continue  # "the Atlas customer portal" of `atlas-web`: the service's own name, no MongoDB Atlas
                if comp is None:
                    key = ident or (var.of[0] if len(var.of) == 1 else "database")
                    tech_id = ident if ident in self.v.technologies else ""
                    kind = self.tech(tech_id).kind if tech_id else "database"
                    comp = self.comps.setdefault(key, _Comp(key, tech_id, kind, evidence=s.text))
                    if tech_id and tech_id not in self.order:
                        self.order.append(tech_id)
                if var.variant == "statefulset" and comp.id == "app":
                    continue
                if not comp.variant or (var.variant.startswith(comp.variant) and var.variant != comp.variant):
                    comp.variant = var.variant
                if var.form and (comp.form in ("", "unknown") or var.form == "managed"):
                    comp.form = var.form
        # versions: a number right after a technology word ("PostgreSQL 15", "Node.js 20")
        for s in self.sentences:
            for m in s.techs:
                if m.negated or m.j >= len(s.tokens):
                    continue
                nxt = s.tokens[m.j]
                if nxt.kind == "word" and re.fullmatch(r"v?\d+(?:\.\d+){0,2}(?:\.x)?", nxt.text):
                    tech = self.tech(m.key)
                    if tech.kind == "cloud" or m.key == "cron":
                        continue
                    if tech.kind == "runtime":
                        if norm(m.text) not in (norm(tech.display), norm(tech.words[0]), norm(tech.id)):
                            continue  # "Django 4.2" is not Python 4.2
                        if not self.runtime or self.runtime == tech.display:
                            self.runtime = f"{tech.display} {nxt.text.lstrip('v')}"
                        continue
                    comp = self.component_for_tech(m.key)
                    if comp is not None and not comp.version and (comp.id != "app" or m.key == self.subject_tech):
                        comp.version = nxt.text.lstrip("v")
        if not self.runtime and runtime:
            self.runtime = self.tech(runtime).display
        self._platform()

    def _first_sentence_with(self, ident: str) -> str:
        for s in self.sentences:
            if any(m.key == ident and not m.negated for m in s.techs):
                return s.text
        return ""

    def _subject_technology(self) -> str:
        """The technology the service *is* when the first sentence says so: "X is the Redis 7.2 …",
        "ledger-db is the PostgreSQL 16 cluster …", or its name is the technology's ("sessions-redis")."""
        if not self.sentences:
            return ""
        found = self._subject_from_sentence(self.sentences[0])
        if found:
            return found
        named = _service_name(self.text)
        for sentence in self.sentences[1:5] if named else ():
            # past a header or a greeting: "payments-events = our Kafka cluster …", the name as the subject
            word = sentence.tokens[0].text.strip("`*\"'") if sentence.tokens else ""
            if named and word.lower() in (named[0].lower(), named[1].lower()):
                found = self._subject_from_sentence(sentence)
                if found:
                    return found
        for sentence in self.sentences[:5] if named else ():
            # "on-call primer for temporal-prod (our self-hosted Temporal, …)": the name mid-sentence, then what it is
            for k, token in enumerate(sentence.tokens[:-1]):
                if named and token.text.strip("`*\"'").lower() in (named[0].lower(), named[1].lower()):
                    found = self._product_in_parens(sentence, k + 1)
                    if found:
                        return found
        lead = re.match(r"\s*`?([A-Za-z0-9][\w.-]*)", self.sentences[0].text)
        if lead:
            parts = {norm(p) for p in re.split(r"[-_.]", lead.group(1).lower())}
            for ident in self.order:
                tech = self.tech(ident)
                stores = ("database", "cache", "stream", "broker", "search")
                if tech.kind in stores and parts & {norm(w) for w in tech.words}:
                    return ident
        return ""

    def _product_in_parens(self, s: Sentence, k: int) -> str:
        """The technology a name is when parentheses right after it say so: "Service: queue-redis (Redis 7.2 +
        Sentinel, …)", "ordersdb (PostgreSQL 16 under Patroni)", "temporal-prod (our self-hosted Temporal, …)"."""
        j = k + 1
        while j < len(s.tokens) and s.tokens[j].low in _PRODUCT_LEAD:
            j += 1
        m = self.token_tech(s, j)
        # only the whole-word list: "queue-level (Kafka 3.7) holds …" is a name whatever its suffix says
        if k > 0 and s.tokens[k].low == "(" and s.tokens[k - 1].kind in ("word", "quoted") and \
                s.tokens[k - 1].low not in self.v.not_names and m is not None and m.kind == "tech" and \
                self.tech(m.key).kind in _SERVICE_KINDS:
            return m.key
        return ""

    def _subject_from_sentence(self, s: Sentence) -> str:
        # "payments-events = our Kafka cluster": an equals sign in prose is "is"
        low = ["is" if t.low == "=" and n < 6 else t.low for n, t in enumerate(s.tokens)]
        if "(" in low[:5]:
            found = self._product_in_parens(s, low.index("("))
            if found:
                return found
        comma = next((k for k, w in enumerate(low[:5]) if w in (",", ":")), -1)
        if comma > 0 and "is" not in low[:comma] and "are" not in low[:comma]:
            # "logs platform, self-managed OpenSearch 2.11 on EC2", "objstore-prod: MinIO, on-prem S3 for …":
            # the name, then what it is
            k = comma + 1
            while k < len(s.tokens) and low[k] in _PRODUCT_LEAD:
                k += 1
            m = self.token_tech(s, k)
            if m is not None and m.kind == "tech" and self.tech(m.key).kind in _SERVICE_KINDS and (
                    m.j >= len(s.tokens) or s.tokens[m.j].number or s.tokens[m.j].low in ("on", "in", ",", ".", "(")):
                return m.key
        if "is" not in low[:6] and "are" not in low[:6]:
            return ""
        k = (low.index("is") if "is" in low[:6] else low.index("are")) + 1
        if k < len(low) and low[k] in ("the", "a", "an", "our"):
            k += 1
        window = s.tokens[k:k + 3]
        for m in s.techs:
            tech = self.tech(m.key)
            if window and m.i >= k and m.i <= k + 2 and tech.component and tech.kind in _SERVICE_KINDS:
                # "X is a PostgreSQL database" yes; "X is a Python worker that uses Redis" no (runtime first)
                between = s.tokens[k:m.i]
                if all(t.number or t.low in self.v.modifiers or t.low in DETERMINERS or t.low in (
                        "managed", "self-hosted", "open-source") for t in between):
                    return m.key
        return ""

    def _platform(self) -> None:
        rank = {"kubernetes": 6, "serverless": 5, "docker": 3, "vm": 2, "baremetal": 2}
        best: tuple[int, int] = (0, 0)
        votes: dict[str, int] = {}
        for s in self.sentences:
            for m in s.techs + s.variants:
                if m.negated:
                    continue
                if m.kind == "tech":
                    tech = self.tech(m.key)
                    cloud, env, form = tech.cloud, tech.env, tech.form
                    specific = 2 if m.key not in ("docker", "vm", "systemd") else 1
                else:
                    var = self.variant_of(m)
                    cloud, env, form, specific = var.cloud, "", "", 0
                if cloud:
                    votes[cloud] = votes.get(cloud, 0) + 1
                if env:
                    score = (rank.get(env, 1), specific)
                    if m.key == "ecs":
                        score = (4, 2)
                    if score > best:
                        best = score
                        self.env = env
                        self.platform_key = m.key
                        self.platform_evidence = m.text
                        if form and self.tech(m.key).platform:
                            self.comps["app"].form = form
        for region_re, cloud in ((_AWS_REGION, "aws"), (_GCP_REGION, "gcp"), (_AZURE_REGION, "azure")):
            if region_re.search(self.text.lower()):
                votes[cloud] = votes.get(cloud, 0) + 1
        if votes:
            self.cloud = max(votes, key=lambda c: votes[c])
        elif self.context is not None:
            self.cloud = self.context.platform.cloud
        app = self.comps["app"]
        if app.form == "unknown" and self.subject_tech:
            app.form = self.tech(self.subject_tech).form or "unknown"
        if app.form == "unknown" and self.env:
            app.form = {"kubernetes": "cluster-workload", "docker": "container", "serverless": "serverless",
                        "vm": "host", "baremetal": "host"}.get(self.env, "unknown")

    # --- 2. names by role ---------------------------------------------------------------------------
    def token_tech(self, s: Sentence, k: int) -> Mention | None:
        return s.tech_at[k] if 0 <= k < len(s.tech_at) else None

    def noun_at(self, s: Sentence, k: int) -> Mention | None:
        return s.noun_at[k] if 0 <= k < len(s.noun_at) else None

    def mention_tech_id(self, s: Sentence, m: Mention) -> str:
        return m.key if m.kind == "tech" else self.resolve_variant(s, m)

    def mention_comp(self, s: Sentence, m: Mention) -> _Comp | None:
        """The component a mention stands for; a product whose engine is untold ("the Aurora cluster")
        is the component made for it."""
        ident = self.mention_tech_id(s, m)
        if ident:
            return self.component_for_tech(ident)
        if m.kind != "variant":
            return None
        var = self.variant_of(m)
        return self.comps.get(var.of[0] if len(var.of) == 1 else "database")

    def holds_role(self, comp: _Comp, owners: tuple[str, ...], ident: str = "") -> bool:
        """Whether a component may hold a name whose role these technologies own; one of an untold
        engine may when any engine its product can be does ("Aurora" is PostgreSQL or MySQL)."""
        if comp.id == "app" and "app" in owners or comp.technology in owners and comp.technology or ident in owners:
            return True
        if comp.technology or not comp.variant:
            return False
        return any(o in owners for v in self.v.variants.values() if v.variant == comp.variant for o in v.of)

    def phrase_mention(self, s: Sentence, noun: Mention) -> Mention | None:
        """The technology or product mention in the noun's own phrase (see `phrase_tech`)."""
        inside = [m for m in s.techs + s.variants if not m.negated and not (m.kind == "variant" and (
            m.i, m.j) == (noun.i, noun.j)) and (m.i <= noun.i and noun.j <= m.j or noun.i <= m.i and m.j <= noun.j)]
        if inside:
            return max(inside, key=lambda m: m.j - m.i)
        k = noun.i - 1
        steps = 0
        while k >= 0 and steps < 3:  # "the Aurora (PostgreSQL 15) cluster": the product before its noun
            m = self.token_tech(s, k)
            if m is not None:
                return m
            if not (s.tokens[k].number or s.tokens[k].low in self.v.modifiers or s.tokens[k].low in DETERMINERS):
                break
            k -= 1
            steps += 1
        return None

    def phrase_tech(self, s: Sentence, noun: Mention) -> str:
        """The technology named in the noun's own phrase: "the RabbitMQ queue", "PostgreSQL 15 database",
        "Argo CD (application x)", "ECS Fargate (cluster a, service b)"; "" when none."""
        inside = [m for m in s.techs + s.variants if not m.negated and not (m.kind == "variant" and (
            m.i, m.j) == (noun.i, noun.j)) and (m.i <= noun.i and noun.j <= m.j or noun.i <= m.i and m.j <= noun.j)]
        if inside:
            return self.mention_tech_id(s, max(inside, key=lambda m: m.j - m.i))
        k = noun.i - 1
        depth = 0
        steps = 0
        while k >= 0 and steps < 14:
            steps += 1
            t = s.tokens[k]
            m = self.token_tech(s, k)
            if m is not None:
                return self.mention_tech_id(s, m)
            if t.text == ")":
                depth += 1
            elif t.text == "(":
                if depth:
                    depth -= 1
                k -= 1
                continue
            elif t.text == "," and self._inside_paren(s, k):
                pass
            elif (t.number or t.low in DETERMINERS or t.low in self.v.modifiers or (s.index, k) in self.consumed
                  or self.noun_at(s, k) is not None or t.kind == "quoted" or depth):
                pass
            elif t.kind == "word" and t.plain and self._inside_paren(s, k) and t.idlike is False and k > 0 and \
                    self.noun_at(s, k - 1) is not None:
                pass
            else:
                break
            k -= 1
        return ""

    def _inside_paren(self, s: Sentence, k: int) -> bool:
        depth = 0
        for t in reversed(s.tokens[:k]):
            if t.text == ")":
                depth += 1
            elif t.text == "(":
                if depth == 0:
                    return True
                depth -= 1
        return False

    def clause_tech(self, s: Sentence, k: int, owners: tuple[str, ...]) -> tuple[str, bool]:
        """The nearest technology to the left of token k in its clause that may hold the role; a pronoun
        ("it", "its") means the service. ("", False) when the clause names none."""
        j = k - 1
        while j >= 0:
            t = s.tokens[j]
            m = self.token_tech(s, j)
            noun = self.noun_at(s, j)
            if m is not None and m.kind == "variant" and noun is not None and (noun.i, noun.j) == (m.i, m.j):
                j = m.i - 1  # "the StatefulSet x": the noun, not a technology
                continue
            if m is not None:
                ident = self.mention_tech_id(s, m)
                comp = self.mention_comp(s, m)
                if comp is not None and self.holds_role(comp, owners, ident):
                    return comp.id, True
                j = m.i - 1
                continue
            if t.low in PRONOUNS:
                return ("app", True) if "app" in owners else ("", False)
            if t.low in _CLAUSE_BREAK:
                break
            j -= 1
        return "", False

    def owner(self, s: Sentence, role: str, k: int, noun: Mention | None,
              create: bool = True) -> tuple[_Comp | None, str]:
        """(component, how) for a name of `role` at token k; how is "" when certain, else why it is a guess."""
        spec = self.v.roles["port" if role in ("health_port", "metrics_port") else role]
        owners = spec.owners
        only = self.v.noun_owners.get(noun.key) if noun is not None else None
        if only and noun is not None:  # "brokers kb-01, kb-02": a broker's hosts, never the service's own
            owners = tuple(o for o in owners if o in only) or only
            present = [c for c in self.comps.values() if c.id != "app" and c.technology in owners]
            if len(present) == 1 and not self.phrase_tech(s, noun):
                return present[0], ""
        if noun is not None:
            ident = self.phrase_tech(s, noun)
            if ident:
                comp = self.component_for_tech(ident)
                if comp is not None and self.holds_role(comp, owners, ident):
                    return comp, ""
            else:
                near = self.phrase_mention(s, noun)
                comp = self.mention_comp(s, near) if near is not None else None
                if comp is not None and comp.id != "app" and self.holds_role(comp, owners):
                    return comp, ""
        found, ok = self.clause_tech(s, k, owners)
        if ok and found in self.comps:
            return self.comps[found], ""
        present = [c for c in self.comps.values() if c.id != "app" and self.holds_role(c, owners)]
        app = self.comps["app"]
        if app.technology in owners and app.technology:
            present.insert(0, app)
        if "app" in owners:
            return app, ""
        implied = spec.cloud_owner.get(self.cloud) or spec.implies
        if not present and implied and (create or implied in self.comps):
            return self._implied_comp(implied, role, s), ""
        if len(present) == 1:
            return present[0], ""
        before = self._spoken_of_before(s, present)
        if before is not None:  # "Postgres 16: primary pg-1. Database x, …": the store the text was just on
            return before, ""
        siblings = _SIBLINGS.get(role, (role,))
        holding = [c for c in present if any(n["role"] in siblings for n in c.names)]
        if len(holding) == 1:
            return holding[0], ""
        if present:
            # several could hold it: the one named nearest in the sentence, else the first; a guess
            in_sentence = [c for c in present if any(
                self.component_for_tech(self.mention_tech_id(s, m)) is c for m in s.techs + s.variants)]
            pick = in_sentence[0] if in_sentence else present[0]
            return pick, f"several components could hold a {role}; guessed {pick.id}"
        return app, f"no {role.replace('_', ' ')} technology is named; kept on the service"

    def _spoken_of_before(self, s: Sentence, present: list[_Comp]) -> _Comp | None:
        """The one component of `present` the sentence before this one names, when this one names none of
        them: a sentence goes on about the store the text was just describing."""
        if s.index == 0 or any(self.mention_comp(s, m) in present for m in s.techs + s.variants if not m.negated):
            return None
        earlier = self.sentences[s.index - 1]
        named = {id(c): c for m in earlier.techs + earlier.variants if not m.negated
                 for c in [self.mention_comp(earlier, m)] if c is not None and c in present}
        return next(iter(named.values())) if len(named) == 1 else None

    def _implied_comp(self, implied: str, role: str, s: Sentence) -> _Comp:
        """The component a role's name implies when no technology holding it is named (a vhost is
        RabbitMQ's, a queue on AWS is SQS's), made on first need."""
        comp = self.comps.get(implied)
        if comp is None:
            tech = self.tech(implied)
            spec = self.v.roles[role]
            why = f"a {role} on {self.cloud.upper()}" if spec.cloud_owner.get(self.cloud) == implied else \
                f"a {role.replace('_', ' ')} is {tech.display}'s"
            comp = self.comps[implied] = _Comp(implied, implied, tech.kind, tech.form or "unknown",
                                               evidence=f"{why}: {s.text}")
            self.order.append(implied)
        return comp

    def imply_components(self) -> None:
        """Before binding: the components the description's names imply though no technology holding them
        is named, so that a topic named before "consumer group x" (Kafka) or a queue on AWS (SQS) goes to
        its component wherever in the text it stands, not to the service."""
        app = self.comps["app"]
        for s in self.sentences:
            if any(not m.negated and (c := self.mention_comp(s, m)) is not None and c.id != "app"
                   for m in s.techs + s.variants):
                continue  # the sentence names what holds its names
            for noun in s.nouns:
                for role in self.roles_for(s, noun):
                    spec = self.v.roles[role]
                    implied = spec.cloud_owner.get(self.cloud) or spec.implies
                    if not implied or implied not in self.v.technologies or (
                            app.technology and app.technology in spec.owners) or any(
                            c.id != "app" and self.holds_role(c, spec.owners) for c in self.comps.values()):
                        continue
                    values, _ = self.values_after(s, noun, role)
                    if values or self.values_before(s, noun, role) or self.values_as_subject(s, noun, role):
                        self._implied_comp(implied, role, s)

    def acceptable(self, s: Sentence, k: int, role: str, explicit: bool, label: bool) -> bool:
        spec = self.v.roles[role]
        if k >= len(s.tokens) or (s.index, k) in self.consumed:
            return False
        t = s.tokens[k]
        if t.kind == "punct":
            return False
        if t.kind == "url":
            return spec.shape_name == "url" or (spec.shape_name == "bucket" and t.low.startswith(("s3://", "gs://")))
        text = t.text
        if t.kind == "word" and text.lower() in self.v.not_names:
            return False  # "units (systemd templates …)": the vocabulary's words that are never a name
        if t.kind == "quoted" and not explicit and text.lower() in _STATUS_WORDS and not (
                s.text[t.start:t.start + 1] == "`" and k > 0 and self.noun_at(s, k - 1) is not None):
            # 'every replica "active"', 'stuck in "recovering"': a state the tool prints, no name; but a
            # kind's backticked name is the user's ("StatefulSet `healthy`")
            return False
        if t.kind == "quoted":
            return bool(text) and len(text) <= 120 and "\n" not in text and (
                spec.shape.fullmatch(text) is not None or spec.shape_name in ("id", "sql", "k8s", "unit"))
        if spec.shape_name == "port":
            return re.fullmatch(r"\d{2,5}", text) is not None and 0 < int(text) < 65536
        if any(spec.shape.fullmatch(x) is None for x in self.expand(text)):
            return False
        tech = self.token_tech(s, k)
        noun = self.noun_at(s, k)
        follows = k + 1 < len(s.tokens) and (self.noun_at(s, k + 1) is not None or
                                             self.token_tech(s, k + 1) is not None)
        if t.plain and t.low not in _FUNCTION_WORDS and explicit and (tech is None or tech.j - tech.i == 1) \
                and not follows:
            return True  # "a queue named cron", "the topic is called ten": the sentence says it is a name
        if t.plain and label and noun is None and tech is None and t.low not in _FUNCTION_WORDS and \
                not self.v.attribute(role, t.low) and k + 1 < len(s.tokens) and s.tokens[k + 1].text in (")", ","):
            return True  # "(namespace cpu)", "(app orders)": a one-word label
        if tech is not None or (noun is not None and not t.idlike):
            return spec.tech_names and (explicit or label or spec.plain == "yes") and tech is not None and \
                tech.kind == "tech" and tech.j - tech.i == 1 and noun is None and not (
                    k + 1 < len(s.tokens) and self.noun_at(s, k + 1) is not None)
        if t.idlike or t.hyphword:
            if _NOT_NAME.fullmatch(text) is not None or _AWS_REGION.fullmatch(t.low):
                return False
            if not self.v.ordinary(text):
                return True  # an ordinary word ("Broker: self-hosted RabbitMQ …") is no name, even labelled
            # "-only", "-side" … make an adjective ("team-based access"); one that closes the phrase right
            # after the role noun is the noun's name ("the SQS queue aaa-only."), a listed word never is
            return t.low not in self.v.not_names and self._closes_phrase(s, k)
        if not t.plain:
            return spec.shape_name in ("path", "url", "vhost") and text.startswith("/")
        if t.low not in _STOP and t.low not in self.v.attributes.get(role, frozenset()) and \
                t.low not in self.v.naming and self._labelled_list(s, k):
            return True  # "(instance quota-pg, database quota)": every item a noun and its name
        if t.low in _STOP or self.v.attribute(role, t.low) or t.low in self.v.naming:
            return False
        if explicit or (label and spec.plain != "no" and (k + 1 >= len(s.tokens) or s.tokens[k + 1].kind == "punct")):
            return True  # a plain word labelled closes its label: "(namespace x)", not "(sync replication)"
        if spec.plain == "partial" and noun is None and self._tech_phrase_before(s, k) and self._closes_phrase(s, k) \
                and not _PROSE_WORD.search(t.low):
            return True  # "on ECS Fargate cluster prod": a technology's noun, then one word closing the phrase
        # "two compactors on one bucket corrupt it": a word with an object pronoun after it is a verb
        takes_object = k + 1 < len(s.tokens) and s.tokens[k + 1].low in _OBJECT_PRONOUNS
        return spec.plain == "yes" and t.low not in self.v.modifiers and not _PROSE_STEM.search(t.low) and \
            not self._compound_subject(s, k) and not self._verb_after_noun(s, k) and not takes_object

    def _labelled_list(self, s: Sentence, k: int) -> bool:
        """Whether token k closes one item of a parenthesised list of two or more items that are each
        a role noun and one word ("(cluster prod-eks, namespace quota, database quota)"): the shape
        says each word is a name, a word that is elsewhere an attribute ("quota") too."""
        toks = s.tokens
        start = k
        while start >= 0 and toks[start].text not in ("(", ")"):
            start -= 1
        end = k
        while end < len(toks) and toks[end].text not in ("(", ")"):
            end += 1
        if start < 0 or end >= len(toks) or toks[start].text != "(" or toks[end].text != ")":
            return False
        items: list[list[int]] = [[]]
        for i in range(start + 1, end):
            if toks[i].text == ",":
                items.append([])
            else:
                items[-1].append(i)
        if len(items) < 2:
            return False
        for item in items:
            noun = self.noun_at(s, item[0]) if item else None
            if noun is None or noun.i != item[0] or noun.j != item[-1] or toks[item[-1]].kind == "punct":
                return False
        return True

    def _verb_after_noun(self, s: Sentence, k: int) -> bool:
        """Whether the plain word k reads as the verb of its noun: "DAGs come by git-sync" (a plural noun,
        then a word that opens no list), "the namespace hit ResourceQuota `q`" (an object follows it)."""
        toks = s.tokens
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if nxt is None or nxt.kind == "punct" or nxt.low in ("and", "or", "&", "+"):
            return False
        noun = self.noun_at(s, k - 1)
        if noun is not None and noun.key.endswith("s") and not noun.key.endswith("ss"):
            return True  # "topics orders, refunds" lists; "DAGs come by", "pods restart when" do not
        return nxt.low in DETERMINERS or nxt.kind == "quoted" or (nxt.kind == "word" and nxt.text[:1].isupper())

    def _compound_subject(self, s: Sentence, k: int) -> bool:
        """"Bucket versioning is on.", "Queue depth was 900": a sentence opening with a role noun and one
        word before its verb is a compound noun, not a noun and its name."""
        noun = self.noun_at(s, k - 1)
        return noun is not None and noun.i == 0 and k + 1 < len(s.tokens) and \
            s.tokens[k + 1].low in ("is", "are", "was", "were", "has", "have", "stays", "remains")

    def _tech_phrase_before(self, s: Sentence, k: int) -> bool:
        """Whether token k follows "<technology> <role noun>" directly ("ECS Fargate cluster prod")."""
        noun = self.noun_at(s, k - 1)
        return noun is not None and noun.i > 0 and self.token_tech(s, noun.i - 1) is not None

    def _closes_phrase(self, s: Sentence, k: int) -> bool:
        """Whether token k ends its noun phrase: nothing, punctuation or a function word follows."""
        if k + 1 >= len(s.tokens):
            return True
        nxt = s.tokens[k + 1]
        return nxt.kind == "punct" or nxt.low in _FUNCTION_WORDS or nxt.low in _CLAUSE_BREAK

    def expand(self, text: str) -> list[str]:
        """Ranges and alternations: web-1..4, w-1..w-4, web-[1-4], es-01/02/03.fra.internal."""
        m = re.fullmatch(r"(.*?)\[(\d+)-(\d+)\](.*)", text) or re.fullmatch(r"(.*?)\{(\d+)\.\.(\d+)\}(.*)", text) \
            or re.fullmatch(r"(.*?)(\d+)\.\.(?:\1)?(\d+)(.*)", text)
        if m:
            head, a, b, tail = m.groups()
            lo, hi = int(a), int(b)
            if 0 <= lo < hi and hi - lo < 64:
                width = len(a) if a.startswith("0") else 0
                return [f"{head}{str(n).zfill(width)}{tail}" for n in range(lo, hi + 1)]
        m = re.fullmatch(r"(.*?)(\d+)((?:/\d+)+)(\.[\w.-]+)?", text)
        if m and m.group(1):
            nums = [m.group(2), *m.group(3).strip("/").split("/")]
            return [f"{m.group(1)}{n}{m.group(4) or ''}" for n in nums]
        return [text]

    def _span_range(self, a: str, b: str) -> list[str]:
        """"es-data-01.x to es-data-06.x" -> the six names between; the one number that differs counts
        ("lsw-01.dc2.x … lsw-06.dc2.x": the domain's digit stays)."""
        pa, pb = re.split(r"(\d+)", a), re.split(r"(\d+)", b)
        differ = [i for i in range(len(pa)) if len(pa) == len(pb) and pa[i] != pb[i]]
        if len(differ) == 1 and differ[0] % 2 == 1:
            i = differ[0]
            lo, hi = int(pa[i]), int(pb[i])
            if lo < hi and hi - lo < 64:
                width = len(pa[i]) if pa[i].startswith("0") else 0
                head, tail = "".join(pa[:i]), "".join(pa[i + 1:])
                return [f"{head}{str(n).zfill(width)}{tail}" for n in range(lo, hi + 1)]
        return [a, b]

    def values_after(self, s: Sentence, noun: Mention, role: str) -> tuple[list[tuple[str, int]], bool]:
        """Names right after the noun, with the token index each came from; and whether it was explicit."""
        spec = self.v.roles[role]
        toks = s.tokens
        k = noun.j
        explicit = False
        label = s.label and noun.i == 0 or (noun.i > 0 and toks[noun.i - 1].text == "(")
        skipped = 0
        colon = self._label_colon(s, noun)
        if colon is not None and self._situation(s, noun, colon):
            return [], False
        if colon is not None:  # "Topics that matter: a, b": the label's noun names what its colon lists
            k, explicit, skipped = colon + 1, True, 3
        while k < len(toks) and skipped < 3:
            low = toks[k].low
            if low in (":", "=") and self._situation(s, noun, k):
                break  # "node down: ssh in", "dead box: rebuild as …": a failure's label, its steps follow
            if low in (":", "=") or low in self.v.naming or (low == "as" and k > 0 and toks[k - 1].low == "known"):
                explicit = True
            elif low in ("is", "are") and k + 1 < len(toks) and toks[k + 1].low not in DETERMINERS and not (
                    toks[k + 1].plain and re.search(r"(?:ed|ing)$", toks[k + 1].low) and
                    toks[k + 1].low not in self.v.naming) and not (
                    toks[k + 1].plain and (self.v.ordinary(toks[k + 1].text) or toks[k + 1].low in _STATUS_WORDS)):
                # "a node is really broken", "the cluster is full": what it is like, not what it is called
                explicit = True  # "the queue is `x`"; "the Deployment is autoscaled" says what it does
            elif low == "(" and k + 1 < len(toks):
                label = True
            elif low == "known":
                pass
            elif low == "," and spec.list and k + 1 < len(toks) and (toks[k + 1].idlike or toks[k + 1].hyphword):
                pass
            elif low == "," and k + 1 < len(toks) and (toks[k + 1].idlike or toks[k + 1].hyphword or (
                    toks[k + 1].kind == "quoted")) and (k + 2 >= len(toks) or toks[k + 2].kind == "punct") and \
                    not self.v.ordinary(toks[k + 1].text):
                explicit = True  # "a beat deployment, orders-beat, single replica": a name set off by commas
            elif low in ("we", "i", "they") and k + 1 < len(toks) and toks[k + 1].low in ("call", "calls", "name"):
                explicit = True  # "the cluster we call "x"": the sentence names it
                k += 1
                if k + 1 < len(toks) and toks[k + 1].low == "it":
                    k += 1
            else:
                break
            k += 1
            skipped += 1
        out: list[tuple[str, int]] = []
        if k < len(toks) and k > 0 and toks[k - 1].low in ("is", "are") and self.token_tech(s, k) is not None and \
                toks[k].kind == "word":
            return out, explicit  # "the broker is Redis 7": what it is, not its name
        if not self.acceptable(s, k, role, explicit, label):
            return out, explicit
        if toks[k].plain and k > 0 and toks[k - 1].text == ":" and k + 2 < len(toks) and all(
                toks[j].kind == "word" and toks[j].plain and toks[j].low not in PREPOSITIONS | {"and", "or"}
                for j in (k + 1, k + 2)):
            return out, explicit  # "from the build host: dep deploy production": a sentence after the colon
        if toks[k].plain and spec.list:
            return self._plain_list(s, k, role, explicit, label), explicit
        first = toks[k]
        out += [(v, k) for v in self.expand(first.text)]
        k += 1
        # a plural noun lists ("consumer groups lw-prod and fraud-rt") whatever its role's default
        many = spec.list or (noun.key.endswith("s") and not noun.key.endswith("ss") and
                             noun.key[:-1] in {norm(n) for n in spec.nouns})
        while many and k + 1 < len(toks):
            if toks[k].text == "(":  # "a (48 partitions), b (96 partitions)": an aside on the item
                close = self._paren_end(s, k)
                if close is None:
                    break
                k = close + 1
                continue
            sep = toks[k].low
            if sep in ("to", "through", "thru") and first.idlike and self.acceptable(s, k + 1, role, True, label):
                span = self._span_range(out[-1][0], toks[k + 1].text)
                out = out[:-1] + [(v, k + 1) for v in span]
                k += 2
                continue
            if sep not in (",", "and", "or", "&", "+"):
                break
            nxt = k + 1
            if sep == "," and nxt < len(toks) and toks[nxt].low in ("and", "or"):
                nxt += 1
            namey = nxt < len(toks) and (toks[nxt].idlike or toks[nxt].hyphword or toks[nxt].kind == "quoted"
                                         or first.plain)
            if namey and self.acceptable(s, nxt, role, explicit, label) and not (first.idlike and toks[nxt].plain):
                out += [(v, nxt) for v in self.expand(toks[nxt].text)]
                k = nxt + 1
                continue
            break
        return out, explicit

    def _situation(self, s: Sentence, noun: Mention, colon: int) -> bool:
        """The words around the noun up to the colon say what is wrong with it ("node down:", "dead box:",
        "broker disk full:"): a failure's label, not a label naming the noun."""
        words = {t.low for t in s.tokens[max(0, noun.i - 2):colon]}
        return bool(words & _STATE_WORDS)

    def _label_colon(self, s: Sentence, noun: Mention) -> int | None:
        """The colon closing a label that opens the sentence with this noun ("Topics that matter:",
        "Consumer groups we own:"), when only plain words stand between; else None."""
        toks = s.tokens
        if noun.i > 1:
            return None
        for k in range(noun.j, min(noun.j + 5, len(toks))):
            t = toks[k]
            if t.text == ":":
                return k if k > noun.j else None
            if t.kind != "word" or not t.plain or self.noun_at(s, k) is not None or \
                    self.token_tech(s, k) is not None:
                return None
        return None

    def _paren_end(self, s: Sentence, k: int) -> int | None:
        depth = 0
        for j in range(k, len(s.tokens)):
            if s.tokens[j].text == "(":
                depth += 1
            elif s.tokens[j].text == ")":
                depth -= 1
                if depth == 0:
                    return j
        return None

    def _plain_list(self, s: Sentence, k: int, role: str, explicit: bool, label: bool) -> list[tuple[str, int]]:
        """Plain words as a list only when it closes with "and"/"or": "queues emails, sms and push"; a
        comma alone may start the next phrase ("database shopdb, data in …")."""
        toks = s.tokens
        items = [(toks[k].text, k)]
        j = k + 1
        aside = False
        while j + 1 < len(toks):
            if toks[j].text == "(":  # "traefik (v2.11, 80/443), lbx-api (nestjs), …": an aside on the item
                close = self._paren_end(s, j)
                if close is None:
                    break
                j, aside = close + 1, True
                continue
            if toks[j].low not in (",", "and", "or", "+", "&"):
                break
            nxt = j + 1
            if toks[j].text == "," and toks[nxt].low in ("and", "or"):
                nxt += 1
            # "databases temporal + temporal_visibility": an identifier may close a list plain words open
            if nxt >= len(toks) or not (toks[nxt].plain or toks[nxt].idlike) or \
                    not self.acceptable(s, nxt, role, explicit, label):
                break
            # past an aside, an item stands alone ("DB x (GP_Gen5_8), auto-failover group y": a new phrase)
            if aside and nxt + 1 < len(toks) and toks[nxt + 1].kind != "punct":
                break
            items.append((toks[nxt].text, nxt))
            if toks[nxt - 1].low in ("and", "or", "+", "&"):
                return items
            j = nxt + 1
        # an identifier after the comma is an item, never the next phrase's first word; and a list that runs
        # to the end of its sentence, mostly identifiers, keeps its plain items ("…, lbx-worker, postgres, redis-q")
        end = items[-1][1] + 1
        closed = end >= len(toks) or toks[end].text in (".", ";", ")")
        idlike = sum(1 for _, i in items[1:] if toks[i].idlike)
        keep = all(toks[i].idlike for _, i in items[1:]) or (closed and idlike * 2 >= len(items))
        return items if len(items) > 1 and keep else items[:1]

    def values_before(self, s: Sentence, noun: Mention, role: str) -> list[tuple[str, int]]:
        """A name right before the noun: "the orders-events SQS queue", "the `x` consumer group",
        "in the cache namespace" (a plain word only after a determiner, for roles of plain names)."""
        spec = self.v.roles[role]
        toks = s.tokens
        k = noun.i - 1
        if spec.tech_before and k > 0 and toks[k].text.islower() and toks[k].plain and \
                self.token_tech(s, k) is not None and toks[k - 1].low in DETERMINERS and \
                (s.index, k) not in self.consumed:
            return [(toks[k].text, k)]
        start = k
        while k >= 0 and (self.token_tech(s, k) is not None or toks[k].number and k > 0):
            k -= 1
        if k < 0 or (s.index, k) in self.consumed:
            return []
        past_tech = k < start  # "the stock elasticsearch systemd unit": a plain word there is an adjective
        t = toks[k]
        if t.kind == "quoted" and t.low in _STATUS_WORDS:
            return []  # 'not even on "stuck" queues': a state, quoted, before its noun
        if t.kind == "quoted" or t.idlike or t.hyphword:
            if t.kind != "quoted" and self.v.ordinary(t.text):
                return []  # before its noun a "-facing" / "-only" word is an adjective ("the customer-facing queue")
            if not self.acceptable(s, k, role, True, False):
                return []
            found = [(v, k) for v in self.expand(t.text)]
            # "`a`, `b` and `c` queues"
            j = k - 1
            while spec.list and j - 1 >= 0 and toks[j].low in (",", "and", "or", "+", "&"):
                cand = j - 1
                if toks[cand].low in ("and", "or") or toks[cand].text == ",":
                    cand -= 1
                if cand >= 0 and (toks[cand].idlike or toks[cand].hyphword or toks[cand].kind == "quoted") and \
                        self.acceptable(s, cand, role, True, False):
                    found = [(v, cand) for v in self.expand(toks[cand].text)] + found
                    j = cand - 1
                else:
                    break
            return found
        if t.plain and spec.plain == "yes" and not past_tech and k > 0 and \
                toks[k - 1].low in DETERMINERS | PREPOSITIONS and \
                t.low not in self.v.modifiers and t.low not in _STOP and not self.v.attribute(role, t.low) and \
                not _PARTICIPLE.search(t.low) and \
                self.noun_at(s, k) is None and noun.j - noun.i >= 1 and self.token_tech(s, k) is None:
            return [(t.text, k)]
        return []

    def values_as_subject(self, s: Sentence, noun: Mention, role: str) -> list[tuple[str, int]]:
        """The subject of "X is our / the / a [main] [RabbitMQ] vhost": the sentence says X is one."""
        toks = s.tokens
        k = noun.i - 1
        skipped = 0
        while k >= 0 and skipped < 3 and (self.token_tech(s, k) is not None or toks[k].number or (
                toks[k].low in self.v.modifiers and toks[k].low not in DETERMINERS)):
            k = (self.token_tech(s, k) or Mention("", "", k, k + 1, "")).i - 1
            skipped += 1
        if k < 2 or toks[k].low not in ("our", "the", "a", "an", "its", "their") or \
                toks[k - 1].low not in ("is", "are", "="):
            return []
        m = k - 2
        if (s.index, m) in self.consumed or (s.index == 0 and m == 0):
            return []  # the first sentence's subject is the service itself
        start = m == 0 or toks[m - 1].text in (";", ":", "—", "–")  # "…; willow-redis is our Redis"
        t = toks[m]
        if t.kind == "quoted" or t.idlike or t.hyphword:
            if t.low in self.v.not_names or not self.acceptable(s, m, role, True, False):
                return []
            return [(v, m) for v in self.expand(t.text)]
        ends = noun.j >= len(toks) or toks[noun.j].kind == "punct"
        if t.plain and start and ends and self.acceptable(s, m, role, True, False) and t.low not in _FUNCTION_WORDS \
                and self.noun_at(s, m) is None and self.token_tech(s, m) is None:
            return [(t.text, m)]  # "Payments is our namespace.", "core is our deployment."
        return []

    def roles_for(self, s: Sentence, noun: Mention) -> list[str]:
        candidates = list(self.v.noun_roles.get(noun.key, ()))
        phrase = self.phrase_tech(s, noun)
        if phrase and self.tech(phrase).kind == "pager" or noun.i > 0 and s.tokens[noun.i - 1].low in (
                "on-call", "oncall", "pager", "paging", "escalation", "rota", "support"):
            return []  # "the Opsgenie schedule x", "on-call schedule x": a rotation (people), not a resource
        if noun.key == "service" and (phrase and self.tech(phrase).kind == "monitoring" or
                                      self._monitoring_word_before(s, noun.i)):
            return []  # "APM service `x`", "the Datadog service x": what the monitoring calls it, no workload
        in_sentence = {self.mention_tech_id(s, m) for m in s.techs + s.variants if not m.negated}
        before = s.tokens[noun.i - 1] if noun.i > 0 else None
        if noun.key == "group" and before is not None and before.plain and before.low not in DETERMINERS and \
                before.low not in ("consumer", "kafka", "its", "the") and self.token_tech(s, noun.i - 1) is None:
            return []  # "inventory group x", "security group x": a group of something else, no consumer group
        ok: list[str] = []
        toks = s.tokens
        # "service: `x`" on ECS: a role noun that labels a name explicitly needs its technology only as the
        # description's platform, not in the same sentence
        labels = noun.j < len(toks) and (toks[noun.j].text in (":", "=") or toks[noun.j].low in self.v.naming
                                         or toks[noun.j].kind == "quoted")
        platform = {self.platform_key, self.tech(self.platform_key).is_} if self.platform_key else set()
        for role in candidates:
            spec = self.v.roles[role]
            if spec.needs and phrase not in spec.needs and not (not phrase and in_sentence & set(spec.needs)) and \
                    not (spec.needs_anywhere and not phrase and (set(self.order) | {self.cloud}) & set(spec.needs)) \
                    and not (labels and not phrase and platform & set(spec.needs)):
                continue
            ok.append(role)
        if phrase and len(ok) > 1:
            comp = self.component_for_tech(phrase)
            fitting = [r for r in ok if phrase in self.v.roles[r].owners or (
                comp is not None and (comp.technology in self.v.roles[r].owners or (
                    comp.id == "app" and "app" in self.v.roles[r].owners)))]
            # a needs-role whose technology is the phrase's is the most specific
            specific = [r for r in fitting if phrase in self.v.roles[r].needs]
            ok = specific or fitting or ok
        return ok

    def bind_nouns(self) -> None:
        own = _service_name(self.text)
        self._own_name = own[1] if own is not None else None
        for s in self.sentences:
            for noun in sorted(s.nouns, key=lambda n: (n.i, -(n.j - n.i))):
                if any((s.index, k) in self.consumed for k in range(noun.i, noun.j)):
                    continue
                if self._negated_noun(s, noun):  # "no replica (yes, I know)": nothing is named
                    continue
                if self._pager_before(s, noun.i):  # "PagerDuty service `payments-core`" is where pages go
                    continue
                if noun.key == "group" and noun.i > 0 and s.tokens[noun.i - 1].kind == "word" and \
                        (s.tokens[noun.i - 1].plain or s.tokens[noun.i - 1].hyphword) and \
                        s.tokens[noun.i - 1].low not in DETERMINERS | PREPOSITIONS and \
                        self.token_tech(s, noun.i - 1) is None:
                    continue  # "auto-failover group x", "inventory group x", "log group x": another kind of group
                if noun.i > 0 and s.tokens[noun.i - 1].low in commands.PROGRAMS and noun.j < len(s.tokens) and \
                        s.tokens[noun.j].low in _CLI_VERBS:
                    continue  # "no docker volume prune": a command's subcommand, not a volume named "prune"
                for role in self.roles_for(s, noun):
                    values, explicit = self.values_after(s, noun, role)
                    if values and not explicit and s.tokens[values[0][1]].plain:
                        # "the `x` Argo CD application syncs into …": a marked name before the noun
                        # beats a plain word after it
                        before = self.values_before(s, noun, role)
                        if before and not s.tokens[before[0][1]].plain:
                            values = before
                    if not values:
                        values = self.values_before(s, noun, role)
                    if not values:
                        values = self.values_as_subject(s, noun, role)
                    if not values:
                        continue
                    if noun.i == 0 and s.label and noun.key == "service" and self._own_name is not None and \
                            [v for v, _ in values] == [self._own_name]:
                        break  # "- Service: x": the line names the service itself, not its ECS or compose service
                    if role == "port" and self._health_clause(s, noun.i):
                        role = "health_port"
                    comp, how = self.owner(s, role, values[0][1], noun)
                    if comp is None:
                        continue
                    if role == "cluster" and self._members_listed(s, values):
                        role = "host"  # "RabbitMQ 3.12 cluster: rmq-a.dc2.x, rmq-b.dc2.x, …": its members, by name
                    if role == "cluster":
                        comp = self._replica_cluster_owner(s, noun) or comp
                    if role == "cluster" and self._dr_before(s, noun.i):
                        role = "dr_cluster"  # a database's secondary stays on it (Aurora Global's secondary)
                        comp = comp if comp.kind == "database" else self.comps["app"]
                    for value, k in values:
                        self.consumed.add((s.index, k))
                        self._value_at = s.tokens[min(noun.i, k)].start
                        self.bind(self._item_owner(value, role, comp) if len(values) > 1 else comp, role, value,
                                  s, how)
                    for k in range(noun.i, noun.j):
                        self.consumed.add((s.index, k))
                    break

    def runtime_unit(self) -> None:
        """A PHP app runs in its PHP-FPM pool: the unit the text names for it ("systemctl reload php8.2-fpm") is
        the app's, when no other unit is ("restart kartotek" would name a unit that does not exist)."""
        app = self.comps["app"]
        if app.technology != "php" or any(n["role"] == "unit" for n in app.names):
            return
        found = re.search(r"(?<![\w.-])(php(?:\d+(?:\.\d+)?)?-fpm)(?![\w.-])", self.text)
        if found:
            line = self.text[self.text.rfind("\n", 0, found.start()) + 1:].split("\n", 1)[0]
            self.add_name(app, "unit", found.group(1), line.strip()[:200])

    def _members_listed(self, s: Sentence, values: list[tuple[str, int]]) -> bool:
        """The cluster's "name" is the first of a comma list of host names (FQDNs): the list is its members."""
        if len(values) != 1:
            return False
        k = values[0][1]
        toks = s.tokens
        fqdn = re.compile(r"[a-z0-9][\w-]*(?:\.[a-z0-9][\w-]*){2,}")
        return fqdn.fullmatch(values[0][0]) is not None and k + 2 < len(toks) and toks[k + 1].text == "," and \
            fqdn.fullmatch(toks[k + 2].text) is not None

    def _item_owner(self, value: str, role: str, owner: _Comp) -> _Comp:
        """Whose workload one item of a list of workloads is: "services: traefik (…), lbx-api (…),
        postgres16, redis-queue": an item named after a technology the model holds is that component's
        ("postgres16" Postgres's, "traefik" Traefik's), any other the service's own."""
        if role not in _WORKLOAD_ROLES:
            return owner
        head = re.split(r"[-_.\d]", value.lower(), maxsplit=1)[0]
        tech = self.v.tech_words.get(norm(head)) if len(head) > 2 else None
        comp = self.component_for_tech(tech) if tech else None
        return comp if comp is not None else self.comps["app"]

    def _pager_before(self, s: Sentence, k: int) -> bool:
        """The noun at k is a paging tool's ("PagerDuty service x", "Opsgenie schedule x"): its name is the
        rotation's, not a workload's."""
        before = self.token_tech(s, k - 1) if k > 0 else None
        return before is not None and before.kind == "tech" and self.tech(before.key).kind == "pager"

    def _negated_noun(self, s: Sentence, noun: Mention) -> bool:
        """The noun is denied ("no replica", "without a sentinel"): what follows it is not its name."""
        before = [t.low for t in s.tokens[max(0, noun.i - 2):noun.i]]
        return bool(before) and (before[-1] in ("no", "without") or before[-2:] == ["without", "a"]
                                 or before[-2:] == ["without", "any"])

    def bind_after_technology(self) -> None:
        """A name written right after a technology's own word, with no role noun: "the Redis (amber-redis)",
        'through the PgBouncer "pgb-1.internal"', "in Memorystore Redis quota-cache." (an identifier ending
        the phrase), "kestrel-redis is our Redis.", "RDS MySQL 8.0 Multi-AZ:
        billing-db" (a label: its version and variant words, then a colon). For a store it is where the
        store is reached: its host, or for a managed product (RDS, ElastiCache …) its instance; for a
        technology whose vocabulary entry says what its names are ("the Lambda x": a function) that role."""
        stores = ("database", "cache", "pooler", "proxy", "broker", "stream", "search", "ha-manager")
        for s in self.sentences:
            toks = s.tokens
            for m in s.techs + s.variants:
                if m.negated:
                    continue
                ident = self.mention_tech_id(s, m)
                tech = self.v.technologies.get(ident) if ident else None
                comp = self.component_for_tech(ident) if ident else None
                if tech is not None and tech.names and self.noun_at(s, m.j) is None:
                    owner = comp if comp is not None and tech.component else self.comps["app"]
                    self._bind_named_after(s, m, owner, tech.names)
                    continue
                if comp is None or comp.kind not in stores or self.noun_at(s, m.j) is not None:
                    continue
                ks = self._names_after_label(s, m)
                k = m.j
                while k < len(toks) and k - m.j < 2 and re.fullmatch(r"v?\d+(?:\.\d+)*(?:\.x)?", toks[k].text):
                    k += 1  # its version: "RDS PostgreSQL 15 `atlas-prod-pg`", "RDS MySQL 8 qf-prod-mysql,"
                if k > m.j and self.noun_at(s, k) is not None:
                    continue
                if ks:
                    pass
                elif k < len(toks) and toks[k].text == "(" and k + 2 < len(toks) and toks[k + 2].text in (")", ","):
                    ks = [k + 1]
                elif k < len(toks) and toks[k].kind == "quoted":
                    ks = [k]
                elif k < len(toks) and toks[k].idlike and not toks[k].number and toks[k].low not in \
                        self.v.not_names and self._closes_phrase(s, k):
                    ks = [k]  # "caches counters in Memorystore Redis quota-cache.": an identifier ends the phrase
                else:
                    # "X is our Redis." / "…; X is our Redis;": the subject names it
                    k = m.i - 3 if m.i >= 3 and toks[m.i - 1].low in ("our", "the", "a", "an") and \
                        toks[m.i - 2].low == "is" and (m.j >= len(toks) or toks[m.j].kind == "punct") else -1
                    if k < 0 or (k > 0 and toks[k - 1].text not in (";", ":", "—", "–")):
                        continue
                    ks = [k]
                for k in ks:
                    if k >= len(toks) or (s.index, k) in self.consumed:
                        continue
                    t = toks[k]
                    # in parentheses, quotes or as the subject a "-only" word is a name; a listed ordinary word never
                    if not (t.idlike or t.hyphword or t.kind == "quoted") or t.low in self.v.not_names or \
                            _NOT_NAME.fullmatch(t.text) or self.token_tech(s, k) is not None:
                        continue
                    managed = comp.form == "managed" and "." not in t.text and comp.technology in \
                        self.v.roles["instance"].owners
                    role = "instance" if managed else "host"
                    if comp.technology not in self.v.roles[role].owners or not all(
                            self.v.roles[role].shape.fullmatch(v) for v in self.expand(t.text)):
                        continue
                    self.consumed.add((s.index, k))
                    for value in self.expand(t.text):
                        self.add_name(comp, role, value, s.text)

    def _names_after_label(self, s: Sentence, m: Mention) -> list[int]:
        """The names a technology labels with a colon ("RDS MySQL 8.0 Multi-AZ: x", "Postgres: pg-1, pg-2"):
        its version, variant and modifier words may stand between; [] when no colon follows them."""
        toks = s.tokens
        k = m.j
        while k < len(toks) and k - m.j < 5 and toks[k].text != ":" and (
                toks[k].number or _NOT_NAME.fullmatch(toks[k].text) or self.token_tech(s, k) is not None or
                toks[k].low in self.v.not_names or toks[k].low in self.v.modifiers):
            k += 1
        if k >= len(toks) or toks[k].text != ":":
            return []
        return self._name_list(s, k + 1)

    def _name_list(self, s: Sentence, k: int) -> list[int]:
        """Token indexes of the names listed from token k ("a, b and c", "a + b"): identifiers or quoted."""
        toks = s.tokens
        out: list[int] = []
        while k < len(toks) and (toks[k].idlike or toks[k].hyphword or toks[k].kind == "quoted"):
            out.append(k)
            k += 1
            if k + 1 < len(toks) and toks[k].low in (",", "and", "&", "+", "or"):
                k += 2 if toks[k].text == "," and toks[k + 1].low in ("and", "or") and k + 2 < len(toks) else 1
            else:
                break
        return out

    def _bind_named_after(self, s: Sentence, m: Mention, comp: _Comp, role: str) -> None:
        """"invokes the Lambda x (Python 3.12 …)": the identifier right after the technology's word (or its
        colon label) is its `role` name, unless a role noun or another technology follows it."""
        toks = s.tokens
        ks = self._names_after_label(s, m)
        if not ks and m.j < len(toks):
            ks = [m.j + 1] if toks[m.j].text == "(" and m.j + 2 < len(toks) and toks[m.j + 2].text in (")", ",") \
                else [m.j]
        spec = self.v.roles[role]
        for k in ks:
            if k >= len(toks) or (s.index, k) in self.consumed:
                continue
            t = toks[k]
            if not (t.idlike or t.hyphword or t.kind == "quoted") or t.low in self.v.not_names or \
                    _NOT_NAME.fullmatch(t.text) or self.token_tech(s, k) is not None or self.v.ordinary(t.text) or \
                    (k + 1 < len(toks) and (self.noun_at(s, k + 1) is not None or self.token_tech(s, k + 1) is not None
                                            or toks[k + 1].low in _KIND_NOUNS)):
                continue
            values = self.expand(t.text)
            if not all(spec.shape.fullmatch(v) for v in values):
                continue
            self.consumed.add((s.index, k))
            for value in values:
                self.add_name(comp, role, value, s.text)

    def _workload_role(self) -> str:
        """The role a name of one of the service's own workloads has on the description's platform ("" on
        hosts, where a workload's name may be its unit, its directory or its process)."""
        key = self.platform_key
        if self.env == "kubernetes":
            return "deployment"
        if key == "ecs" or (self.env == "docker" and "ecs" in self.order):
            return "ecs_service"
        if key == "docker-compose" or (self.env == "docker" and "docker-compose" in self.order):
            return "compose_service"
        if self.env == "serverless":
            return "function"
        return ""

    @staticmethod
    def _monitoring_word_before(s: Sentence, k: int) -> bool:
        """"APM service x", "tracing service x": a name the monitoring gives, not a workload's."""
        return k > 0 and s.tokens[k - 1].low in ("apm", "tracing", "trace", "traces", "synthetics", "rum")

    def bind_workload_appositions(self) -> None:
        """"a .NET Web API ("claims-api") and a worker (claims-worker)", "the worker `x`": a kind of workload
        with its name in parentheses or quotes is one of the service's own workloads, named on its platform
        (a Deployment on Kubernetes, an ECS service, a compose service, a function)."""
        role = self._workload_role()
        if not role:
            return
        spec = self.v.roles[role]
        app = self.comps["app"]
        for s in self.sentences:
            toks = s.tokens
            for k, t in enumerate(toks):
                if t.low.rstrip("s") not in _KIND_NOUNS or (s.index, k) in self.consumed or \
                        self._monitoring_word_before(s, k) or self._pager_before(s, k):
                    continue
                at = k + 1
                if at < len(toks) and toks[at].text == "(":
                    at += 1
                    if not (at + 1 < len(toks) and toks[at + 1].text in (")", ",", ";")):
                        continue
                elif not (at < len(toks) and toks[at].kind == "quoted"):
                    continue
                if at >= len(toks) or (s.index, at) in self.consumed:
                    continue
                name = toks[at]
                if not (name.kind == "quoted" or name.idlike or name.hyphword) or name.low in self.v.not_names or \
                        _NOT_NAME.fullmatch(name.text) or self.token_tech(s, at) is not None or \
                        spec.shape.fullmatch(name.text) is None or (
                            name.kind != "quoted" and self.v.ordinary(name.text)):
                    continue
                self.consumed.add((s.index, at))
                self.add_name(app, role, name.text, s.text)

    def bind_flow_objects(self) -> None:
        """A name a flow verb moves messages to or from, with no role noun: "consumes `x` (48 partitions)
        from the MSK cluster", "writes matched records to `y`", "anything unmatched goes to `z`". It is a
        name of what the clause's messaging technology carries (Kafka: topic, SQS: queue), or of the only
        one the service uses; general verbs ("writes to") only where the sentence speaks of messaging."""
        # the service's own workload too when it is the carrier ("hopper-rmq is our RabbitMQ cluster")
        carriers = [c for c in self.comps.values() if c.technology in self.v.technologies
                    and self.tech(c.technology).carries]
        if not carriers or self.v.flow_messaging is None:
            return
        carried = {self.tech(c.technology).carries for c in carriers} | {"dlq", "subscription"}
        for s in self.sentences:
            here = [m for m in s.techs + s.variants if not m.negated and (c := self.mention_comp(s, m)) is not None
                    and c in carriers]
            speaks = bool(here) or self.v.flow_messaging.search(s.text) is not None or any(
                set(self.v.noun_roles.get(n.key, ())) & carried for n in s.nouns)
            hits = [(h, False) for h in self.v.flow_messaging.finditer(s.text)]
            stores = any(set(self.v.noun_roles.get(n.key, ())) & {"table", "database", "bucket", "index", "schema"}
                         for n in s.nouns)  # "the view writes into x": a store's words, not messaging
            if speaks and not stores and self.v.flow_general is not None:
                hits += [(h, True) for h in self.v.flow_general.finditer(s.text)]
            for hit, general in hits:
                k = self._flow_object(s, hit.end(), general)
                if k is None:
                    continue
                t = s.tokens[k]
                near = min(here, key=lambda m: abs(m.i - k)) if here else None
                comp = self.mention_comp(s, near) if near is not None else (carriers[0] if len(carriers) == 1 else None)
                if comp is None:
                    continue
                role = self.tech(comp.technology).carries
                if not all(self.v.roles[role].shape.fullmatch(v) for v in self.expand(t.text)):
                    continue
                self.consumed.add((s.index, k))
                self._value_at = t.start
                for value in self.expand(t.text):
                    self.bind(comp, role, value, s, "")

    def _flow_object(self, s: Sentence, at: int, general: bool) -> int | None:
        """The token a flow verb ending at offset `at` moves: right after it, or after a short object and
        its preposition ("writes matched records to X"); None when it is no name."""
        toks = s.tokens
        k = next((i for i, t in enumerate(toks) if t.start >= at), None)
        if k is None:
            return None
        j = k
        while j < len(toks) and j - k <= 5:
            t = toks[j]
            if t.kind == "quoted" or t.idlike or t.hyphword:
                break
            if t.kind != "word" or t.low in _CLAUSE_BREAK or self.noun_at(s, j) is not None or \
                    self.token_tech(s, j) is not None:
                return None
            j += 1
        else:
            return None
        if j >= len(toks) or (s.index, j) in self.consumed:
            return None
        if j > k and toks[j - 1].low not in ("to", "from", "into", "onto", "on", "in"):
            return None
        if general and j == k and toks[k - 1].low not in ("to", "into", "onto", "in", "on", "from"):
            return None  # "writes `x`": a general verb's direct object may be anything
        t = toks[j]
        nxt = toks[j + 1] if j + 1 < len(toks) else None
        if t.kind == "url" or self.token_tech(s, j) is not None or self.noun_at(s, j) is not None or \
                (nxt is not None and (self.noun_at(s, j + 1) is not None or self.token_tech(s, j + 1) is not None)):
            return None  # "publishes to the `x` topic": the noun binds it
        text = t.text
        if _NOT_NAME.fullmatch(text) or _AWS_REGION.fullmatch(text.lower()) or self.v.ordinary(text) or \
                text.startswith(("/", "#", "$", "@")) or re.search(r"\.(?:internal|local|corp|lan|svc)$|:\d+$", text) \
                or " " in text or (t.kind == "word" and re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*", text)):
            return None
        return j

    def bind_listed_services(self) -> None:
        """"services in that file:" then "- edge: nginx 1.25, TLS …", "- fanout-worker: Node, reads …": each
        item's label is a compose service, of the component its words name (nginx, the database), else of
        the service's own app (a worker beside the web app is one more of the app's compose services)."""
        if not re.search(r"(?i)\bcompose\b", self.text):
            return
        for head in _SERVICE_LIST.finditer(self.text):
            for line in self.text[head.end():].split("\n")[1:]:
                item = _SERVICE_ITEM.match(line)
                if item is None:
                    if not line.strip() or line.startswith((" ", "\t")):
                        continue  # a wrapped line of the item before, or a blank between items
                    break
                label, words = item.group(1), item.group(2)
                if _NOT_NAME.fullmatch(label) or self.v.ordinary(label) or label.lower() in _STOP:
                    continue
                # "mongo:7", "postgres:16-alpine": an image's name is its technology's word
                said = re.sub(r"[:/@]", " ", words)
                tech = next((self.v.tech_words.get(norm(m.group(0))) for m in self.v.tech_pattern.finditer(said)
                             if self.v.tech_words.get(norm(m.group(0)))), None) or self.v.tech_words.get(norm(label))
                evidence = line.strip()
                comp = (self.component_for_tech(tech) if tech else None) or self.comps["app"]
                if tech and comp is self.comps["app"] and tech not in self.comps and self.tech(tech).kind in (
                        "database", "cache", "queue", "broker", "search", "stream", "proxy"):
                    # "- db: postgres:16-alpine": the list is the first place the store is named
                    known = self.tech(tech)
                    comp = self.comps[tech] = _Comp(tech, tech, known.kind, known.form or "unknown", evidence=evidence)
                    self.order.append(tech)
                # else a worker beside the web app is one more of the app's compose services
                if not any(n["value"] == label for c in self.comps.values() for n in c.names
                           if n["role"] == "compose_service"):
                    self.add_name(comp, "compose_service", label, evidence)

    def bind_listed_roles(self) -> None:
        """"The chart creates two Deployments:" then "- docrender-worker: consumes …", "- docrender-beat: …":
        a line closing with a plural role noun and a colon heads a list whose item labels are names of
        that role (compose "services:" lists are bind_listed_services')."""
        lines = self.text.split("\n")
        for n, line in enumerate(lines):
            head = _ROLE_LIST.search(line)
            if head is None or _SERVICE_LIST.fullmatch(line):
                continue  # a compose "services:" list binds each item to its own component
            role = self._plural_role(head.group(1))
            if role is None:
                continue
            spec = self.v.roles[role]
            indent = len(line) - len(line.lstrip())
            for item_line in lines[n + 1:]:
                item = _ROLE_ITEM.match(item_line)
                item_indent = len(item_line) - len(item_line.lstrip())
                if item is None:
                    if not item_line.strip() or (item_line.startswith((" ", "\t")) and item_indent > indent):
                        continue  # a wrapped line of the item before, or a blank between items
                    break
                if item_indent < indent:
                    break
                label = item.group(1)
                if _NOT_NAME.fullmatch(label) or self.v.ordinary(label) or label.lower() in _STOP or \
                        not spec.shape.fullmatch(label):
                    continue
                comp = self._listed_owner(spec.owners, item.group(2) or line)
                if comp is not None:
                    for other in self.comps.values():  # its shape made it look like a host; the list says what it is
                        other.names = [x for x in other.names if not (x["role"] == "host" and x["value"] == label)]
                    self.add_name(comp, role, label, item_line.strip())

    def drop_references(self) -> None:
        """"the inbox bucket" beside s3://ledgerx-recon-inbox-prod: a plain word before a role noun that is
        one part of a name the component already has in that role refers to it, and is no name of its own;
        so does a host's short name beside its full one."""
        hosts = [n["value"].lower() for c in self.comps.values() for n in c.names if n["role"] == "host"]
        for comp in self.comps.values():
            kept = []
            for n in comp.names:
                value = n["value"]
                low = value.lower()
                if n["role"] == "host" and "." not in value and any(h.startswith(low + ".") for h in hosts):
                    continue  # "lag on pgo-db-3" beside pgo-db-3.dc2.lan: the short name of a host it has
                if value.isalpha() and not _labelled(value, n["evidence"]) and any(
                        o is not n and o["role"] == n["role"] and low in re.split(r"[-_.]", o["value"].lower())
                        and o["value"].lower() != low and not _listed_together(value, o["value"], n["evidence"])
                        for o in comp.names):
                    continue
                kept.append(n)
            comp.names = kept

    def _plural_role(self, words: str) -> str | None:
        """The role whose noun, in the plural, ends `words` ("two Deployments" -> deployment)."""
        tail = words.lower().split()
        for size in (3, 2, 1):
            if len(tail) < size:
                continue
            key = norm(" ".join(tail[-size:]))
            if not key.endswith("s") or key.endswith("ss") or key == "services":
                continue
            for role, spec in self.v.roles.items():
                if key[:-1] in {norm(x) for x in spec.nouns}:
                    return role
        return None

    def _listed_owner(self, owners: tuple[str, ...], words: str) -> _Comp | None:
        if "app" in owners:
            return self.comps["app"]
        named = [c for c in self.comps.values() if c.technology in owners and c.technology and
                 re.search(rf"(?i)(?<![\w-]){re.escape(c.technology)}(?![\w-])", words)]
        present = [c for c in self.comps.values() if c.technology in owners]
        return named[0] if named else present[0] if len(present) == 1 else None

    def bind_superlatives(self) -> None:
        """"quorum queues, the largest being billing.invoices": the name belongs to the noun before it."""
        for s in self.sentences:
            for hit in re.finditer(r"\b(?:the\s+)?(?:largest|busiest|biggest|main|hottest|most important|most used)"
                                   r"(?:\s+one)?\s+(?:being|is|are|:)\s+", s.text, re.I):
                k = next((i for i, t in enumerate(s.tokens) if t.start >= hit.end()), None)
                if k is None or (s.index, k) in self.consumed:
                    continue
                before = [n for n in s.nouns if n.j <= k and s.tokens[n.i].start < hit.start()]
                for noun in sorted(before, key=lambda n: -n.i):
                    roles = [r for r in self.roles_for(s, noun) if self.acceptable(s, k, r, True, False)]
                    if roles:
                        comp, how = self.owner(s, roles[0], k, noun)
                        if comp is not None:
                            self.consumed.add((s.index, k))
                            self._value_at = s.tokens[noun.i].start
                            self.bind(comp, roles[0], s.tokens[k].text, s, how)
                        break

    def bind(self, comp: _Comp, role: str, value: str, s: Sentence, how: str) -> None:
        if role == "unit" and re.fullmatch(r".+\.timer", value):
            role = "timer"
        if role in ("queue", "topic") and (_DEAD.search(value) or re.search(
                r"\b(?:failed|failing|poison|undeliverable|rejected|unmatched|unprocessable|invalid|malformed)"
                r"\b[^.;,]{0,40}\b(?:go|goes|land|lands|end up|"
                r"are sent|are moved|move)\s+(?:in)?to\b[^.;,]{0,30}$", s.text[:self._value_at], re.I)):
            role = "dlq"
        origin = "assumed" if how else "given"
        evidence = f"guessed: {how}; from: {s.text}" if how else s.text
        self.add_name(comp, role, value, evidence, origin)

    def _health_clause(self, s: Sentence, k: int) -> bool:
        start = max(0, k - 8)
        words = [t.low for t in s.tokens[start:k]]
        return any(re.search(r"health|readyz|livez|ready|liveness|readiness|probe", w) for w in words)

    def _dr_before(self, s: Sentence, k: int) -> bool:
        words = [t.low for t in s.tokens[max(0, k - 3):k]]
        return any(w in ("dr", "standby", "failover", "recovery", "secondary") for w in words)

    def _replica_cluster_owner(self, s: Sentence, noun: Mention) -> _Comp | None:
        """"Writer cluster x, secondary cluster y" in a sentence naming no technology: a writer, reader or
        secondary cluster is the database's the text spoke of just before, never the service's own."""
        words = {t.low for t in s.tokens[max(0, noun.i - 2):noun.i]}
        if not words & {"writer", "reader", "secondary", "primary", "replica", "standby"} or \
                self.phrase_tech(s, noun):
            return None
        before = [m for m in s.techs + s.variants if not m.negated and m.j <= noun.i]
        if before:  # "Aurora global database g; primary cluster a, secondary cluster b": the nearest one
            comp = self.mention_comp(s, max(before, key=lambda m: m.j))
            return comp if comp is not None and comp.kind == "database" and comp.id != "app" else None
        if any(not m.negated for m in s.techs + s.variants):
            return None
        for earlier in reversed(self.sentences[max(0, s.index - 2):s.index]):
            for m in reversed(earlier.techs + earlier.variants):
                comp = self.mention_comp(earlier, m)
                if comp is not None and comp.kind == "database" and comp.id != "app" and not m.negated:
                    return comp
        return None

    # --- 3. names by shape (hosts, ports, URLs, regions …) ----------------------------------------------
    def bind_table_kinds(self) -> None:
        """A table with a column of Kubernetes kinds ("| thanos-store | StatefulSet | 3 |"): each row's name
        is a workload of that kind (the service's own, on its cluster)."""
        rows = [[c.strip().strip("`*") for c in ln.strip().strip("|").split("|")]
                for ln in self.text.splitlines() if ln.strip().startswith("|") and ln.count("|") >= 3]
        app = self.comps["app"]
        for row in rows:
            kinds = [k for k, cell in enumerate(row) if cell.lower() in _K8S_KINDS]
            if len(kinds) != 1 or kinds[0] == 0:
                continue
            name = row[0]
            if re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) and not self._retired(name, self.text):
                self.add_name(app, _K8S_KINDS[row[kinds[0]].lower()], name, " | ".join(row))

    def configured_ports_first(self) -> None:
        """A port the service's own settings give (`LISTEN_ADDR=127.0.0.1:8081`, `server 127.0.0.1:8081`)
        before one only a comment states ("# tollgate listens on :8080"): config is what runs, a comment
        may be stale. The others keep the order they were read in."""
        lines = self.text.splitlines()
        code = "\n".join(ln for ln in lines if not ln.lstrip().startswith(("#", "//", ";")))

        def said(port: str, text: str) -> int:
            return len(re.findall(rf"(?<![\w.]){port}(?!\d)", text))

        for comp in self.comps.values():
            ports = [n for n in comp.names if n["role"] == "port"]
            if len(ports) < 2:
                continue
            ranked = sorted(ports, key=lambda n: said(n["value"], code) == 0)  # stable: the order read otherwise
            if ranked != ports:
                rest = iter(ranked)
                comp.names = [next(rest) if n["role"] == "port" else n for n in comp.names]

    def _dsn(self, dsn: re.Match[str], evidence: str) -> bool:
        """A connection URL names its store's host, port and database (and the user the service connects
        as), whatever the sentence around it says."""
        tech = _DSN_SCHEMES[dsn.group("scheme").lower()]
        comp = self.component_for_tech(tech) or self.comps.get(tech)
        if comp is None:
            return False
        self.add_name(comp, "host", dsn.group("host"), evidence)
        if dsn.group("port"):
            self.add_name(comp, "port", dsn.group("port"), evidence)
        if dsn.group("db") and tech != "redis":
            self.add_name(comp, "database", dsn.group("db"), evidence)
            # the URL the service connects with says which database it uses: it comes before one read from prose
            mine = [n for n in comp.names if n["role"] == "database" and n["value"] == dsn.group("db")]
            comp.names = mine + [n for n in comp.names if n not in mine]
        return True

    def bind_shapes(self) -> None:
        app = self.comps["app"]
        own = _service_name(self.text, self.marked)  # "the API named arctic-cascade-7": the service, not a host
        for s in self.sentences:
            toks = s.tokens
            for k, t in enumerate(toks):
                if (s.index, k) in self.consumed:
                    continue
                low = t.low
                if t.kind == "url":
                    if low.startswith(("s3://", "gs://")):
                        self._bucket(s, k, t)
                    else:
                        self.add_name(app, "url", t.text.rstrip(".,;:"), s.text)
                    self.consumed.add((s.index, k))
                    continue
                if t.kind == "quoted" and low.startswith(("s3://", "gs://")) and " " not in low:
                    self._bucket(s, k, t)  # `s3://acme-blocks-prod`: a bucket, backticks or not
                    self.consumed.add((s.index, k))
                    continue
                if t.kind == "quoted" and (_AWS_REGION.fullmatch(low) or _GCP_REGION.fullmatch(low) or
                                           _AZURE_REGION.fullmatch(low)):
                    self._region(s, k, low)  # the region "ca-central-1"
                    continue
                if t.kind != "word":
                    continue
                dsn = _DSN.fullmatch(t.text)
                if dsn and self._dsn(dsn, s.text):  # "postgres://user@host:5432/db": the store's names
                    self.consumed.add((s.index, k))
                    continue
                if _AWS_REGION.fullmatch(low) or _GCP_REGION.fullmatch(low) or _AZURE_REGION.fullmatch(low):
                    self._region(s, k, low)
                    continue
                zone = re.fullmatch(r"((?:us|europe|asia|australia|northamerica|southamerica|me|africa)-[a-z]+\d{1,2})"
                                    r"-([a-f])", low) or \
                    re.fullmatch(r"((?:us|eu|ap|ca|sa|me|af)-[a-z]+-\d)([a-f])", low)
                if zone:
                    self.add_name(app, "zone", t.text, s.text)
                    if t.text not in self.sites:
                        self.sites.append(t.text)
                    self.consumed.add((s.index, k))
                    continue
                if _INSTANCE_ID.fullmatch(low):
                    self.add_name(app, "instance", t.text, s.text)
                    self.consumed.add((s.index, k))
                    continue
                unit = _UNIT_FILE.fullmatch(t.text)
                if unit:
                    found, _ = self.clause_tech(s, k, self.v.roles["unit"].owners)
                    comp = self.comps.get(found) or app
                    self.add_name(comp, "timer" if unit.group(1) == "timer" else "unit", t.text, s.text)
                    self.consumed.add((s.index, k))
                    continue
                if _COMPOSE_FILE.fullmatch(t.text):
                    self.add_name(app, "compose_file", t.text, s.text)
                    self.consumed.add((s.index, k))
                    continue
                if _HEALTH_PATH.fullmatch(t.text):
                    self.add_name(app, "health_path", t.text.rstrip(".,;:"), s.text)
                    self.consumed.add((s.index, k))
                    continue
                if t.text.startswith(("localhost:", "127.0.0.1:", "0.0.0.0:")) or (
                        k > 0 and toks[k - 1].text == ":" and toks[k - 1].end == t.start and
                        re.fullmatch(r"\d{2,5}(?:/\S*)?", t.text) and (k < 2 or toks[k - 2].end < toks[k - 1].start)):
                    port = re.search(r"(\d{2,5})", t.text.split(":")[-1] if ":" in t.text else t.text)
                    if port:
                        role = "metrics_port" if "metrics" in t.low or self._near(s, k, ("metrics", "prometheus")) \
                            else "health_port" if self._health_clause(s, k) else "port"
                        found, _ = self.clause_tech(s, k, self.v.roles["port"].owners)
                        self.add_name(self.comps.get(found) or app, role, port.group(1), s.text)
                        self.consumed.add((s.index, k))
                    continue
                if re.fullmatch(r"\d{4,5}", t.text) and k >= 2 and toks[k - 1].low in ("on", "at") and \
                        any(x.low in ("metrics", "exporter", "prometheus", "/metrics")
                            for x in toks[max(0, k - 4):k - 1]):
                    found, _ = self.clause_tech(s, k, self.v.roles["port"].owners)
                    self.add_name(self.comps.get(found) or app, "metrics_port", t.text, s.text)
                    self.consumed.add((s.index, k))
                    continue
                if _IMAGE.fullmatch(t.text) and ":" in t.text and "/" in t.text and not t.text.startswith("/"):
                    self.add_name(app, "image", t.text, s.text)
                    self.consumed.add((s.index, k))
                    continue
                hostport = re.fullmatch(r"(.+):(\d{2,5})", t.text)
                if hostport and all(_HOSTLIKE.fullmatch(h) for h in self.expand(hostport.group(1))):
                    self._host_port(s, k, t.text)
                    continue
                hosts = self.expand(t.text)
                if k + 1 < len(toks) and toks[k + 1].low in _KIND_NOUNS or own is not None and t.text == own[1]:
                    continue  # "the aaa-0a service", "the ledger-01 worker": a service's name, not a host
                if k > 1 and toks[k - 1].low in ("team", "schedule", "rotation", "escalation", "policy", "service") \
                        and self._pager_before(s, k - 1):
                    continue  # "page the Opsgenie team labsync-l2": where pages go, not a host
                if t.text[:1].isupper() and k > 0 and toks[k - 1].low in ("in", "at"):
                    continue  # "our own rack in Osl-DC2": a place (a site, a data centre), not a host
                if t.idlike and all(_HOSTLIKE.fullmatch(h) for h in hosts) and _NOT_NAME.fullmatch(t.text) is None and \
                        not _RETENTION_WORD.fullmatch(t.text) and not self._runs_on_a_host(s, k) and \
                        self.token_tech(s, k) is None and self.noun_at(s, k) is None and not self.v.ordinary(t.text):
                    if k + 2 < len(toks) and toks[k + 1].low in ("to", "through") and \
                            _HOSTLIKE.fullmatch(toks[k + 2].text):
                        hosts = self._span_range(t.text, toks[k + 2].text)
                        self.consumed.add((s.index, k + 2))
                    elif k + 1 < len(toks) and s.text[t.end:toks[k + 1].start].strip() in ("...", "…", "..") and \
                            _HOSTLIKE.fullmatch(toks[k + 1].text):
                        # "lsw-01.dc2.x ... lsw-06.dc2.x": the tokenizer drops the dots; the gap says a range
                        hosts = self._span_range(t.text, toks[k + 1].text)
                        self.consumed.add((s.index, k + 1))
                    found, _ = self.clause_tech(s, k, self.v.roles["host"].owners)
                    comp = self.comps.get(found) or self._named_for(t.text) or app
                    for host in hosts:
                        self.add_name(comp, "host", host, s.text)
                    self.consumed.add((s.index, k))

    def _runs_on_a_host(self, s: Sentence, k: int) -> bool:
        """A name shaped like a host that is something running on one ("ios-release-4.12 is running on
        mac-build-01"), or listed after the jobs, builds or branches it is one of ("the workspaces of jobs
        (android-nightly, web-e2e)"): a job, not a host."""
        after = " ".join(t.low for t in s.tokens[k + 1:k + 5])
        if re.match(r"(?:is\s+|was\s+|are\s+)?(?:still\s+)?(?:running|runs|scheduled|building|queued)\s+on\b", after):
            return True
        before = [t.low for t in s.tokens[max(0, k - 8):k]]
        stop = max((i for i, w in enumerate(before) if w in (".", ";", ":")), default=-1)
        last = max((i for i, w in enumerate(before) if w in _NOT_HOST_NOUNS and i > stop), default=None)
        # "the release runs on hosts web-01 …": a word about hosts after the jobs' noun makes them hosts again
        return last is not None and not set(before[last + 1:]) & {"on", "at", "host", "hosts", "server", "servers",
                                                                   "vm", "vms", "node", "nodes", "machine", "machines"}

    def _named_for(self, host: str) -> _Comp | None:
        """A host named for one of the service's technologies ("orders-mysql.internal", "pg-billing-01")
        is that technology's, when nothing in its clause says otherwise."""
        parts = {norm(p) for p in re.split(r"[-_.]", host.lower()) if p}
        hints = {"pg": "postgresql", "psql": "postgresql", "maria": "mysql", "es": "elasticsearch",
                 "rabbit": "rabbitmq", "mq": "rabbitmq", "mongo": "mongodb", "kafka": "kafka"}
        for comp in self.comps.values():
            if comp.id == "app" or not comp.technology:
                continue
            words = {norm(w) for w in self.tech(comp.technology).words} | {comp.technology}
            words |= {h for h, tech in hints.items() if tech == comp.technology}
            if parts & words:
                return comp
        return None

    def _host_port(self, s: Sentence, k: int, text: str) -> None:
        """A bare host:port ("kafka-1.x.internal:9092"): a Kafka broker is a bootstrap address, anything
        else the host and the port of the component its clause (or its name) says."""
        app = self.comps["app"]
        found, _ = self.clause_tech(s, k, self.v.roles["host"].owners + ("kafka",))
        comp = self.comps.get(found) or self._named_for(text) or app
        if comp.technology == "kafka" or (comp is app and self.subject_tech == "kafka"):
            for item in self.expand(text):
                self.add_name(comp, "bootstrap", item, s.text)
        else:
            host, _, port = text.rpartition(":")
            for item in self.expand(host):
                self.add_name(comp, "host", item, s.text)
            self.add_name(comp, "port", port, s.text)
        self.consumed.add((s.index, k))

    def _near(self, s: Sentence, k: int, words: tuple[str, ...]) -> bool:
        return any(t.low in words for t in s.tokens[max(0, k - 4):k + 1])

    def _bucket(self, s: Sentence, k: int, t: Tok) -> None:
        scheme, _, rest = t.text.partition("://")
        bucket, _, prefix = rest.partition("/")
        ident = "s3" if scheme == "s3" else "gcs"
        comp = self.comps.get(ident)
        if comp is None:
            comp = self.comps[ident] = _Comp(ident, ident, "object-store", "managed", evidence=s.text)
            self.order.append(ident)
        self.add_name(comp, "bucket", bucket, s.text)
        if prefix.strip("/"):
            self.add_name(comp, "prefix", prefix, s.text)

    def _region(self, s: Sentence, k: int, region: str) -> None:
        self.consumed.add((s.index, k))
        before = s.text[max(0, s.tokens[k].start - 48):s.tokens[k].start].lower()
        dr = re.search(r"\b(?:dr|disaster|failover|fail over|fails over|standby|secondary|recovery|replicat\w*|"
                       r"copies|copied|passive|warm)\b", before)
        active = re.search(r"active[- ]active|\b(?:both|two|three|all|multiple|several)\s+(?:regions\s+)?(?:are\s+)?"
                           r"active\b|\b(?:two|three|both|multiple|several)\s+active\s+regions|\bactive\s+in\s+(?:both|all|"
                           r"each)\b|\bmulti-?region\s+active|\bactive\s+regions\b|\bserves?\s+traffic\s+from\s+(?:both|"
                           r"all)\b", s.text.lower())
        last_active = before.rfind("active")
        several = len({m.group(0) for r in (_AWS_REGION, _GCP_REGION, _AZURE_REGION)
                       for m in r.finditer(self.text.lower())}) > 1
        dr = dr if several else None  # one region: the service's own, whatever words are near it
        role = "dr" if dr and (not active or dr.start() > last_active) else ("active" if active else "primary")
        if not any(r["name"] == region for r in self.regions):
            self.regions.append({"name": region, "role": role, "origin": "given", "evidence": s.text})
        if active:
            self.mode = "active-active"
        elif dr and self.mode == "unknown":
            self.mode = "active-passive"
        if role != "dr":
            self.add_name(self.comps["app"], "region", region, s.text)

    # --- 4. relationships, holds, controllers, settings -------------------------------------------------
    def relate(self) -> None:
        app = self.comps["app"]
        related: set[str] = set()
        for s in self.sentences:
            low = s.text.lower()
            for m in sorted(s.techs + s.variants, key=lambda x: x.i):
                if m.negated:
                    continue
                ident = self.mention_tech_id(s, m)
                comp = self.component_for_tech(ident) if ident else None
                if comp is None or comp.id == "app":
                    continue
                start = self._clause_start(s, m.i)
                span = low[s.tokens[start].start:s.tokens[m.i].start]
                for rel in self.v.relations:
                    if rel.only and comp.kind not in rel.only:
                        continue
                    hit = list(rel.pattern.finditer(span))
                    if hit:
                        self._relationship(app, comp, rel.kind, s.text)
                        if rel.holds and rel.holds not in comp.holds:
                            comp.holds.append(rel.holds)
                        related.add(comp.id)
                        break
            self._holds(s)
        for comp in self.comps.values():
            if comp.id != "app" and comp.id not in related and comp.kind not in ("client",):
                self._relationship(app, comp, "depends_on", comp.evidence)
        self._event_sources(app)

    def _event_sources(self, app: _Comp) -> None:
        """A function's queue or stream is what triggers it (an event source mapping), unless the text
        says the function only publishes to it: "depends on" becomes "triggered by" and "consumes from"."""
        if app.form != "serverless" and self.env != "serverless":
            return
        for comp in self.comps.values():
            tech = self.v.technologies.get(comp.technology)
            if comp.id == "app" or tech is None or not tech.carries:
                continue
            kinds = {r["kind"] for r in self.relationships if r["source"] == "app" and r["target"] == comp.id}
            if "publishes_to" in kinds or not kinds & {"depends_on", "consumes_from", "reads"}:
                continue
            evidence = next(r["evidence"] for r in self.relationships
                            if r["source"] == "app" and r["target"] == comp.id)
            self.relationships = [r for r in self.relationships if not (
                r["source"] == "app" and r["target"] == comp.id and r["kind"] == "depends_on")]
            self._relationship(app, comp, "triggered_by", evidence)
            self._relationship(app, comp, "consumes_from", evidence)

    def _relationship(self, source: _Comp, target: _Comp, kind: str, evidence: str) -> None:
        if any(r["source"] == source.id and r["target"] == target.id and r["kind"] == kind for r in self.relationships):
            return
        self.relationships.append({"source": source.id, "target": target.id, "kind": kind, "detail": "",
                                   "origin": "given", "evidence": evidence})

    def _clause_start(self, s: Sentence, k: int) -> int:
        j = k - 1
        while j > 0:
            t = s.tokens[j]
            if t.low in _CLAUSE_BREAK or t.text in (";",) or (t.text == "," and j + 1 < len(s.tokens) and
                                                               s.tokens[j + 1].low in ("and", "but", "while")):
                return j + 1
            if self.token_tech(s, j) is not None and j < k - 1 and t.low not in ("in",):
                return j + 1
            j -= 1
        return 0

    def _holds(self, s: Sentence) -> None:
        low = s.text.lower()
        for key, pattern in self.v.holds:
            for hit in pattern.finditer(low):
                k = next((i for i, t in enumerate(s.tokens) if t.start >= hit.start()), None)
                if k is None or (s.index, k) in self.consumed:
                    continue  # "the SQS queue jobs": a name, not what it holds
                comp = self._nearest_store(s, k, _HOLD_KINDS.get(key, ()))
                if comp is not None and key not in comp.holds:
                    comp.holds.append(key)

    def _nearest_store(self, s: Sentence, k: int, kinds: tuple[str, ...] = ()) -> _Comp | None:
        stores = kinds or ("database", "cache", "session-store", "queue", "stream", "broker", "object-store", "search")
        best: tuple[int, _Comp] | None = None
        for m in s.techs + s.variants:
            if m.negated:
                continue
            ident = self.mention_tech_id(s, m)
            comp = self.component_for_tech(ident) if ident else None
            if comp is None or (comp.kind not in stores and not (comp.id == "app" and self.subject_tech)):
                continue
            distance = abs(m.i - k)
            if distance <= 10 and (best is None or distance < best[0]):
                best = (distance, comp)
        if best is not None:
            return best[1]
        if self.subject_tech and any(t.low in PRONOUNS for t in s.tokens[max(0, k - 4):k]):
            return self.comps["app"]
        if self.subject_tech and s.index == 0:
            return self.comps["app"]
        return None

    def control(self) -> None:
        for s in self.sentences:
            low = s.text.lower()
            for spec in self.v.controllers:
                for hit in spec.pattern.finditer(low):
                    if self.v.negation.search(low[max(0, hit.start() - 40):hit.start()]):
                        continue
                    by = spec.by
                    if by == "gitops":
                        by = "argocd" if re.search(r"argo", self.text, re.I) else (
                            "flux" if re.search(r"\bflux", self.text, re.I) else "gitops")
                    target: _Comp | None
                    if spec.on == "app":
                        target = self.comps["app"]
                    elif spec.on == "database":
                        target = next((c for c in self.comps.values() if c.kind == "database"), None)
                    else:
                        target = self.component_for_tech(spec.on)
                    if target is None or any(c["aspect"] == spec.aspect for c in target.controllers):
                        continue
                    target.controllers.append({"aspect": spec.aspect, "by": by, "origin": "given", "evidence": s.text})

    def configure(self) -> None:
        for s in self.sentences:
            low = s.text.lower()
            for spec in self.v.settings:
                found = self._setting_value(spec, low)
                if found is None:
                    continue
                (value, unit), at = found
                k = next((i for i, t in enumerate(s.tokens) if t.start >= at), len(s.tokens) - 1)
                if spec.owners and not any(c.technology in spec.owners for c in self.comps.values()):
                    continue
                comp = self._setting_owner(s, k, spec.key, spec.owners)
                self._consume_span(s, at, spec)
                if any(x["key"] == spec.key for x in comp.settings):
                    continue
                if spec.key == "replicas_range":
                    lo, hi = value.split("-")
                    comp.settings.append({"key": "replicas_min", "value": lo, "unit": "", "origin": "given",
                                          "evidence": s.text})
                    comp.settings.append({"key": "replicas_max", "value": hi, "unit": "", "origin": "given",
                                          "evidence": s.text})
                    continue
                comp.settings.append({"key": spec.key, "value": value, "unit": unit or spec.unit, "origin": "given",
                                      "evidence": s.text})

    def autoscale_ranges(self) -> None:
        """"min 3 / max 24", "HPA 4→24", "KEDA (1-20)", "between 2 and 12 replicas": the bounds of the
        replica count, where an autoscaler or a replica noun is near; the max is then no fixed count."""
        for s in self.sentences:
            for m in _RANGE.finditer(s.text):
                lo, hi = (m.group("lo") or m.group("lo2") or m.group("lo3") or m.group("lo4"),
                          m.group("hi") or m.group("hi2") or m.group("hi3") or m.group("hi4"))
                near = s.text[max(0, m.start() - 60):m.end() + 25].lower()
                if not lo or not hi or int(lo) > int(hi) or not _SCALER_WORDS.search(near):
                    continue
                k = next((i for i, t in enumerate(s.tokens) if t.start >= m.start()), len(s.tokens) - 1)
                comp = self._setting_owner(s, k, "replicas_min")
                comp.settings = [x for x in comp.settings if not (x["key"] == "replicas" and x["value"] == hi
                                                                    and m.group(0) in x["evidence"])]
                if any(x["key"] == "replicas_min" for x in comp.settings):
                    continue
                for key, value in (("replicas_min", lo), ("replicas_max", hi)):
                    comp.settings.append({"key": key, "value": value, "unit": "", "origin": "given",
                                          "evidence": s.text})

    def _setting_value(self, spec: Any, low: str) -> tuple[tuple[str, str], int] | None:
        if spec.flag is not None:
            hit = spec.flag.search(low)
            if hit and not self.v.negation.search(low[max(0, hit.start() - 30):hit.start()]):
                return ("true", ""), hit.start()
            return None
        shapes = {
            "int": r"(?<![\w.])(\d[\d,]*)\b(?!\s*(?:%|ms|s\b|sec|min|h\b|hours?|days?|gb|mb))",
            "duration": _DUR_RE,
            "size": r"(\d+(?:\.\d+)?)\s*(kb|mb|gb|tb|k|m|g)\b",
            "range": r"(\d+)\s*(?:-|–|—|to|\.\.)\s*(\d+)",
            "word": "(" + "|".join(re.escape(w) for w in spec.words) + r")\b" if spec.words else r"(\w+)",
        }
        value_re = shapes.get(spec.value)
        if value_re is None:
            return None
        if spec.before is not None:
            for hit in spec.before.finditer(low):
                tail = low[hit.end():hit.end() + 60]
                # "reserved concurrency on the function is 5": the phrase, what it is set on, then the value
                m = re.match(r"(?:\s+(?:on|of|for|in)\s+(?:the|our|its|each|every|this|that)\s+[\w-]+"
                             r"(?=\s+(?:is|=|:|of|at)\b))?"
                             r"\s*(?:of|is|=|:|at|to|set to|around|about|~|up to|max(?:imum)?(?: of)?|between)?\s*"
                             + value_re, tail)
                if m:
                    return self._shape(spec.value, m), hit.start()
        if spec.after is not None:
            for hit in spec.after.finditer(low):
                head = low[max(0, hit.start() - 30):hit.start()]
                if spec.value == "range":
                    m = re.search(r"(\d+)\s*(?:-|–|—|to|\.\.)\s*(\d+)\s*(?:\w+\s+)?$", head) or re.search(
                        r"between\s+(\d+)\s+and\s+(\d+)\s*$", head)
                else:
                    m = re.search(value_re + r"\s*(?:[\w-]+\s+)?$", head)
                    if m and spec.value == "int" and re.search(r"(?:-|–|to|\.\.)\s*\d+\s*(?:\w+\s+)?$", head):
                        m = None  # "4-12 pods" is a range
                    if m and re.search(r"\d\s*$", head) is None and spec.value == "int":
                        m = None
                    if m and spec.key == "replicas" and re.search(
                            r"\b(?:max(?:imum)?|up\s+to|at\s+most|no\s+more\s+than|limit(?:ed)?\s+(?:of|to))\s+\d[\d,]*\s*$",
                            head):
                        m = None  # "max 200 workers", "up to 20 pods": a limit, not the count that runs
                if m:
                    return self._shape(spec.value, m), hit.start()
                if spec.value == "int":
                    words = re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+"
                                      r"(?:[\w-]+\s+){0,2}$", head)
                    if words and spec.key in ("replicas", "brokers", "partitions"):
                        return (str(_NUMBER_WORDS[words.group(1)]), ""), hit.start()
        return None

    @staticmethod
    def _shape(kind: str, m: re.Match[str]) -> tuple[str, str]:
        if kind == "duration":
            return m.group(1), _unit(m.group(2))
        if kind == "size":
            return m.group(1), m.group(2).upper().rstrip("B") + "B" if len(m.group(2)) == 1 else m.group(2).upper()
        if kind == "range":
            return f"{m.group(1)}-{m.group(2)}", ""
        return m.group(1).replace(",", ""), ""

    def _consume_span(self, s: Sentence, at: int, spec: Any) -> None:
        """The setting's words and value are read: not names ("min.insync.replicas 2", "allkeys-lru")."""
        for k, t in enumerate(s.tokens):
            if at <= t.start < at + 60 and (t.low in spec.words or re.sub(r"[\W_]", "", t.low) in {
                    re.sub(r"[\W_]", "", w) for p in (spec.before, spec.after, spec.flag) if p is not None
                    for w in re.findall(r"[\w.]+", p.pattern.replace("\\", ""))}):
                self.consumed.add((s.index, k))

    def _setting_owner(self, s: Sentence, k: int, key: str, owners: tuple[str, ...] = ()) -> _Comp:
        app = self.comps["app"]
        if owners:
            found, ok = self.clause_tech(s, k + 1, owners)
            if ok and found in self.comps:
                return self.comps[found]
            named = [c for c in self.comps.values() if c.technology in owners]
            if named:
                return named[0]
        if key in ("replicas", "replicas_range") and not self.subject_tech:
            # "Redis (3 pods with Sentinel)" is the StatefulSet's; "6 replicas" of the service otherwise
            found, ok = self.clause_tech(s, k + 1, tuple(self.v.technologies))
            if ok and found != "app" and self.comps[found].kind in ("database", "cache", "stream", "broker", "search"):
                if re.search(r"\b(?:replicas|pods|nodes|brokers)\b", s.text[s.tokens[min(k, len(s.tokens) - 1)].start:],
                             re.I):
                    return self.comps[found]
            return app
        found, ok = self.clause_tech(s, k + 1, tuple(self.v.technologies))
        if ok and found in self.comps:
            return self.comps[found]
        return app

    # --- 5. figures, people, topology ----------------------------------------------------------------
    def figure(self, key: str, value: str, unit: str, qualifier: str, evidence: str) -> None:
        if any(f["key"] == key and f["qualifier"] == qualifier for f in self.figures):
            return
        self.figures.append({"key": key, "value": value, "unit": unit, "qualifier": qualifier, "origin": "given",
                             "evidence": evidence})

    def person(self, role: str, value: str, qualifier: str, evidence: str) -> None:
        value = value.strip()
        if not value or any(p["role"] == role and p["value"] == value for p in self.people):
            return
        self.people.append({"role": role, "value": value, "qualifier": qualifier, "origin": "given",
                            "evidence": evidence})

    def figures_pass(self) -> None:
        alerting = {a["evidence"] for a in self.alerts if a["expr"]}  # a threshold is no objective; words are
        for s in self.sentences:
            text = s.text
            for said in alerting:  # "LatencyHigh: p99 > 800 ms for 10m" is an alert's threshold, not the objective
                text = text.replace(said, " " * len(said))
            if not text.strip():
                continue
            low = text.lower()
            self._objectives(text)
            # "99.5% of settlements reconciled within 2 minutes" is a freshness objective, not availability
            share = re.search(r"\d{2}(?:\.\d{1,3})?\s*%\s+of\s+(?!the\s+(?:time|month|requests))", low)
            avail = None if share and re.search(r"\bwithin\b", low) else re.search(
                r"(\d{2}(?:\.\d{1,3})?)\s*%\s*(?:[a-z-]+\s+){0,2}?(?:availability|uptime|slo|sla|available)|"
                r"(?:availability|uptime|slo|sla)[^0-9\n%]{0,30}?(\d{2}(?:\.\d{1,3})?)\s*%|"
                r"\b(?:target|objective)\s*(?:is\s+|of\s+|:\s*)?(\d{2}(?:\.\d{1,3})?)\s*%", low)
            if avail:
                pct = float(avail.group(1) or avail.group(2) or avail.group(3))
                if 50 <= pct < 100:
                    self.figure("availability", f"{pct:g}", "%", "", text)
                    window = re.search(r"(?:over|per|across|rolling|in)\s+(?:a\s+)?(\d+)[- ]?(days?|d|weeks?)\b|"
                                       r"(\d+)[- ]day\s+(?:rolling\s+)?window|\b(monthly|quarterly|weekly)\b|"
                                       r"(?:%\s*/\s*|\bper\s+|\ba\s+)(month|quarter|week)\b", low)
                    if window:
                        days = window.group(1) or window.group(3)
                        unit = window.group(2) or "days"
                        value = f"{days}{'d' if unit.startswith('d') else 'w'}" if days else {
                            "monthly": "30d", "quarterly": "90d", "weekly": "7d", "month": "30d", "quarter": "90d",
                            "week": "7d"}[window.group(4) or window.group(5)]
                        self.figure("slo_window", value, "", "", text)
            for lat in re.finditer(r"\bp(50|75|90|95|99(?:\.9+)?)\b[^0-9\n]{0,30}?(\d+(?:\.\d+)?)\s*"
                                   r"(ms|milliseconds|s|sec|seconds)\b|(?:latency|response time)[^0-9\n]{0,30}?"
                                   r"(\d+(?:\.\d+)?)\s*(ms|milliseconds|s|sec|seconds)\b", low):
                number = float(lat.group(2) or lat.group(4))
                unit = lat.group(3) or lat.group(5)
                if number <= 0:
                    continue
                ms = number if unit.startswith("m") else number * 1000
                quantile = f"p{lat.group(1)}" if lat.group(1) else "p95"
                if _OBJECTIVE.search(low):  # the stated objective beats a latency seen in passing ("goes to ~900 ms")
                    self.figures[:] = [f for f in self.figures if not (
                        f["key"] == "latency" and f["qualifier"] == quantile and not _OBJECTIVE.search(
                            f["evidence"].lower()))]
                self.figure("latency", f"{ms:g}", "ms", quantile, text)
            err = re.search(r"error[- ]rate[^0-9\n]{0,25}?(\d+(?:\.\d+)?)\s*%", low)
            if err and 0 < float(err.group(1)) < 100:
                self.figure("error_rate", err.group(1), "%", "", text)
            for label in ("rto", "rpo"):
                minutes = _figure_minutes(label, text)
                if minutes is not None:
                    self.figure(label, str(minutes), "min", "", text)
            deadline = re.search(r"\b(?:by|before|no later than|deadline(?: of| is)?:?)\s+(\d{1,2}:\d{2}(?:\s*(?"
                                 r":am|pm))?"
                                 r"(?:\s*(?:[A-Z]{2,4}|[A-Z][a-z]+/[A-Z][A-Za-z_]+))?)", text, re.I)
            if deadline:
                self.figure("deadline", deadline.group(1).strip(), "", "", text)
            retention = re.search(r"\b(?:retain(?:ed)?|retention(?: of| is)?|kept|keep)\s+(?:for\s+)?(\d+)\s*"
                                  r"(days?|weeks?|months?|years?)\b|\b(\d+)[- ](days?|weeks?|months?|years?)\s+"
                                  r"(?:of\s+)?retention\b", low)
            if retention and re.search(r"backup|snapshot|dump|pitr|point-in-time|retain|kept", low):
                amount, unit = retention.group(1) or retention.group(3), retention.group(2) or retention.group(4)
                self.figure("backup_retention", f"{amount} {unit}", "", "", text)
            schedule = re.search(r"\b((?:nightly|daily|hourly|weekly|continuous)\s+(?:[\w-]+\s+)?(?:backups?|sna"
                                 r"pshots?|"
                                 r"dumps?|mysqldump|pg_dump)|(?:backups?|snapshots?)\s+(?:run\s+|are\s+taken\s+|"
                                 r"taken\s+)?"
                                 r"(?:every|each)\s+\d*\s*(?:minutes?|hours?|days?|night|day|hour)(?:\s+at\s+\d{"
                                 r"1,2}:\d{2}"
                                 r"(?:\s*[A-Z]{2,4})?)?|point[- ]in[- ]time recovery|pitr)\b", text, re.I)
            if schedule:
                self.figure("backup_schedule", schedule.group(1), "", "", text)
            self._thresholds(text)
            rate = re.search(r"(\d[\d,.]*)\s*(k)?\s*(?:requests|req|rps|requests per second|messages|events|msgs|rows|"
                             r"records|writes|reads|queries|ops|operations|tasks|jobs|items|documents|docs)"
                             r"\s*(?:/|per)\s*(?:s\b|sec|second|minute|min)", low)
            if rate:
                self.figure("throughput", rate.group(1).replace(",", "") + (rate.group(2) or ""), "per-second"
                            if re.search(r"/\s*s\b|per\s+s|sec", rate.group(0)) else "per-minute", "", text)
            cron = re.search(r"(?<![\w*/:.])((?:[\d*/,-]+\s+){4}[\d*/,-]+)(?![\w*/])", text)
            run = re.search(r"\b(?:runs?|scheduled|triggered|executes?|started)\s+(?:by\s+[\w.-]+\s+)?((?:every|"
                            r"each)\s+\d*\s*"
                            r"(?:minutes?|hours?|days?|night|day|hour|week)(?:\s+at\s+\d{1,2}:\d{2}(?:\s*[A-Z]{2"
                            r",4})?)?|"
                            r"(?:hourly|nightly|daily|weekly)(?:\s+at\s+\d{1,2}:\d{2}(?:\s*[A-Z]{2,4})?)?|at\s+\d{1,2}:"
                            r"\d{2}(?:\s*[A-Z]{2,4})?)", text, re.I)
            app = self.comps["app"]
            if cron and re.search(r"[*/]|\bcron\b", cron.group(1) + low):
                self.add_name(app, "schedule", cron.group(1).strip().rstrip(","), text)
            elif run and not app.names_of_role("schedule"):
                self.add_name(app, "schedule", run.group(1), text)

    def _objectives(self, text: str) -> None:
        """Freshness and deadline objectives, backup schedules and retention, and a second RPO, each with
        the words it was given in: "99.5% of X within 2 minutes", "ingestion delay < 5 min", "full weekly
        Sunday 01:00, differential daily", "keep last 7", "RPO 0 …, 5 min if we lose the site"."""
        low = text.lower()
        target = re.search(r"\b(?:targets?|slo|sla|objective|goal|need|needs|must|within)\b", low)
        fresh = re.search(r"(?:freshness|no older than|stale(?:ness)? (?:of|beyond|after)|at most|lag behind by "
                          r"at most|within|(?:delay|lag|age|staleness)\s*(?:<|<=|under|below|less than|of at most))"
                          r"\s*(?:of\s+)?" + _DUR_RE, low)
        if fresh and target and (re.search(r"fresh|stale|older|behind|data|lag|delay|%|searchable|available|"
                                           r"visible|delivered|emailed|processed|reconciled|landed|ready", low)):
            minutes = float(fresh.group(1)) * _DURATION[fresh.group(2)] / 60
            # the objective's own clause: from its share ("99.5% of …") or subject to the duration's end
            start = max(low.rfind(",", 0, fresh.start()), low.rfind(":", 0, fresh.start()),
                        low.rfind(";", 0, fresh.start())) + 1
            share = re.search(r"\d{2}(?:\.\d+)?\s*%", low[start:fresh.start()])
            end = re.search(r"[,;.](?:\s|$)|$", low[fresh.end():])
            clause = text[start:fresh.end() + (end.start() if end else 0)].strip(" ,;:")
            after = re.match(r",\s*(\d{2}(?:\.\d+)?\s*%\s+of\s+the\s+time)", text[fresh.end() + (end.start()
                                                                                               if end else 0):])
            if after:
                clause += ", " + after.group(1)
            self.figure("freshness", f"{round(minutes, 2):g}", "min", clause if share or after or len(clause) < 90
                        else "", text)
        if re.search(r"backup|snapshot|dump|pgbackrest|barman|wal[- ]?(?:g|e|archiv)|pitr|point-in-time", low):
            parts = [p.strip() for p in re.split(r"[,;]|\s+and\s+", re.sub(r"^\s*[A-Za-z][\w ]{0,20}:\s+", "", text))]
            often = [p for p in parts if re.search(r"(?i)\b(?:nightly|daily|hourly|weekly|monthly|continuous(?:ly)?|"
                                                   r"every\s+\d*\s*\w+|each\s+(?:night|day|hour))\b", p)
                     and not re.search(r"(?i)\b(?:kept|keep|retain\w*|retention)\b", p)]
            if often:
                self.figure("backup_schedule", ", ".join(often).rstrip("."), "", "", text)
            kept = None
            for found in re.finditer(
                    r"\bkeep(?:ing)?\s+(?:the\s+)?last\s+(\d+)(\s+(?:full\s+)?(?:backups?|snapshots?|copies))?|"
                    r"\b(?:retention(?:\s+of|\s+is|:)?|kept\s+for|retained\s+for|kept|retained)\s+(\d+)\s+"
                    r"((?:full\s+|daily\s+|weekly\s+)?(?:backups?|snapshots?|copies|days?|weeks?|months?|years?))|"
                    r"\b(\d+)\s*(days?|weeks?|months?|years?)\s+(?:kept|retained|retention)\b", low):
                clause = re.split(r";", low[:found.start()])[-1]
                if re.search(r"\b(?:topic|log|logs|message|messages|queue|stream|ttl|partition|index)\b", clause) \
                        and not re.search(r"backup|snapshot|dump", clause):
                    continue  # "Topic retention is 7 days" beside the backups' is the topic's
                kept = found
                break
            if kept:
                if kept.group(1):
                    value = f"last {kept.group(1)}{kept.group(2) or ' backups'}"
                elif kept.group(3):
                    value = f"{kept.group(3)} {kept.group(4)}"
                else:
                    value = f"{kept.group(5)} {kept.group(6)}"
                self.figure("backup_retention", value, "", "", text)
        rpo = re.search(r"\brpo\b[^0-9\n]{0,25}?(?:\d+(?:\.\d+)?\s*(?:[a-z]+)?|zero)([^,;]*?)[,;]\s*(\d+(?:\.\d+)?)\s*"
                        r"(" + "|".join(_DURATION) + r")\b\s+((?:if|for|when|on|in case of)\b[^,;.]*)", low)
        if rpo:
            minutes = round(float(rpo.group(2)) * _DURATION[rpo.group(3)] / 60)
            self.figure("rpo", str(minutes), "min", text[rpo.start(4):rpo.end(4)].strip(), text)

    def _thresholds(self, text: str) -> None:
        """Alert thresholds the user asks for, with the number as written ("5k", "5,000") and a duration:
        "a backlog alert when invoices.render is longer than 5k", "alert when lag > 5k for 10m", "page at
        5,000 messages", "page us when replication lag is above 60 s"."""
        low = text.lower()
        number = r"(\d[\d,]*(?:\.\d+)?\s?[km]?)(?!\w|\.\d)"
        held = r"(?:\s*(?:for|over)\s+(?:more than\s+|at least\s+)?(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|" \
               r"hours?)\b)?"
        compare = r"(?:under|below|<|less than|max(?:imum)?(?: of)?|exceeds?|above|over|>=?|longer than|more than|" \
                  r"greater than|higher than|reaches|hits|goes above|past)"
        counted = r"(?!\s*(?:replicas?|pods?|instances?|tasks? (?:running|min)|workers?|nodes?|partitions?|%|" \
                  r"ms\b|s\b|secs?\b|seconds?\b|min\b|minutes?\b|h\b|hours?\b|gb|mb|cpu))"

        def duration(m: re.Match[str], group: int) -> str:
            if not m.group(group):
                return ""
            return f" for {_figure_amount(m.group(group), m.group(group + 1))}"

        lag = re.search(r"\b(?:lag|backlog|queue depth|queue length|queue size|messages? waiting|queued|depth)\b"
                        r"[^\n;]{0,50}?(?<![\w])" + compare + r"\s*" + number + counted +
                        r"\s*(?:messages|msgs|jobs|records|events|tasks|items)?" + held, low) or re.search(
            r"\b(?:alert|page|warn|notify)\w*\s+(?:us\s+|me\s+)?(?:at|above|over|past|beyond)\s+" + number +
            r"\s*(?:messages|msgs|jobs|records|events|tasks|items|queued)\b" + held, low)
        if lag:
            value = oncall_text.amount(lag.group(1))
            if value is not None:
                about = next((w for w in re.findall(r"[\w-]+(?:[._:][\w-]+)+", text[lag.start():lag.end()])
                              if not re.fullmatch(r"[\d.,]+", w)), "")
                self.figure("backlog_max", value, "messages", f"{about}{duration(lag, 2)}".strip(), text)
        for thr in re.finditer(r"\b(?:alert|page|warn|notify)\w*\s+(?:us\s+|me\s+)?(?:when|if|once|at)\s+(?:the\s+)?"
                               r"([a-z][\w /.-]{2,40}?)\s+(?:is\s+|goes\s+|stays\s+)?(?:above|exceeds?|over|>|>=|"
                               r"reaches|hits|below|under|<|longer than|more than|less than)\s*" + number +
                               r"\s*(%|ms|s\b|seconds|minutes|min\b|gb|mb)?" + held, low):
            value = oncall_text.amount(thr.group(2))
            if value is not None:
                self.figure("threshold", value, _unit(thr.group(3) or "") if thr.group(3) else "",
                            f"{thr.group(1).strip()}{duration(thr, 4)}", text)

    def people_pass(self) -> None:
        # a label that names the owning team wins over a team met in passing ("the payments team decides")
        owner = next(((s.text, name) for s in self.sentences if (name := oncall_text.stated_team(s.text))), None)
        if owner is not None:
            self.person("team", owner[1], "", owner[0])
        people_heading = False
        for s in self.sentences:
            text = s.text
            # "owned by the frost-team team", "the owning team is zephyr-platform": lower-case team names too
            lower = re.search(r"(?i)\b(?:owned by|maintained by|run by|belongs to|owner(?:\s+is)?\s*:?)\s+(?:the\s+)?`?"
                              r"([a-z0-9][\w.-]*)`?\s+"
                              r"(team|squad|guild|group)\b", text) or re.search(
                r"(?i)\b(?:owning|owner|responsible|owners?)\s+team\s*(?:is|:|=)\s*(?:the\s+)?`?([a-z0-9][\w.-]*"
                r"[a-z0-9])`?(?:\s+(team|squad))?", text)
            if lower and lower.group(1).lower() not in _STOP and not self.person_exists("team"):
                name, noun = lower.group(1), lower.group(2) or ""
                self.person("team", name if not noun or name.lower().endswith(("-" + noun.lower(), noun.lower()))
                            else f"{name} {noun}", "", text)
            team = re.search(r"\b(?i:owned by|owner(?: is)?:?|maintained by|run by|belongs to)\s+(?i:the\s+)?"
                             r"([A-Z@#][\w&/-]*(?:\s+[A-Z][\w&-]*)*(?:\s+(?:team|squad|group|guild))?)", text)
            if not team:
                team = re.match(r"(?i:owners?|owning team)\s*:\s*(?i:the\s+)?([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,3})"
                                r"\s*(?:\(|,|;|$)", text)  # "- Owners: Data Infra (#data-infra), …"
            if not team:
                team = re.search(r"\b(?:the\s+)?((?!(?:Hey|Hi|Hello|Dear|Thanks|Morning)\b)[A-Z][\w&-]*"
                                 r"(?:\s+[A-Z][\w&-]*)*\s+(?:team|squad))\b", text)  # "Hey team" greets
            if team:
                value = re.sub(r"^(?:The|Our)\s+", "", team.group(1).strip())
                if value.lower() not in ("the", "team", "our") and not self.person_exists("team"):
                    self.person("team", value, "", text)
            else:
                labelled = re.search(r"\b[Tt]eam[:\s]+([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*)", text) or (
                    re.match(r"(?i)(?:owner|owning team|team|owned by)\s*:\s*([\w&-]+(?:\s+[\w&-]+){0,3})\s*$", text)
                    if s.label else None)  # "- Team: ledger"
                if labelled and not self.person_exists("team") and not oncall_text.is_person(labelled.group(1)):
                    value = labelled.group(1)
                    self.person("team", value if re.search(r"(?i)\b(?:team|squad)$", value) else f"{value} team", "",
                                text)
            for channel in re.finditer(r"(?<![\w#&])(#[a-z0-9][a-z0-9_-]+)", text):
                self.person("channel", channel.group(1), "", text)
            for email in re.finditer(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b", text):
                self.person("email", email.group(0), "", text)
            for m in s.techs:
                tech = self.tech(m.key)
                if m.negated:
                    continue
                if tech.kind == "pager":
                    self.person("pager", tech.display, "", text)
                if tech.vendor:
                    self.person("vendor", tech.vendor, tech.kind if tech.kind != "http-dependency" else "API", text)
            slotted = self._slots(s)
            after = re.finditer(r"\b(?:rotation|schedule|escalation policy)(?:\s+(?:called|named|is))?[:=\s]+[`'\"]?"
                                r"([A-Za-z0-9][\w.-]*[A-Za-z0-9])[`'\"]?", text, re.I)
            before = re.finditer(r"\b[`'\"]?([A-Za-z0-9][\w.-]*-[\w.-]*[A-Za-z0-9])[`'\"]?\s+(?:rotation|schedule|"
                                 r"escalation policy)\b", text, re.I)
            for hit in (*after, *before):  # the name after the noun first; "on-call schedule" is no name
                rota = hit.group(1)
                if rota.lower() not in _STOP and not rota.isdigit() and not self.v.ordinary(rota) and \
                        rota not in slotted and \
                        rota.lower() not in ("in", "on", "every", "daily", "nightly", "weekly", "rotation", "schedule"):
                    self.person("rotation", rota, "", text)
                    self._consume_text(s, rota)
                    break
            # coverage in the team's words ("24/7 for sev1, business hours otherwise"), and its time zones; a
            # zone elsewhere ("the 02:00 UTC job") is the job's, not the rota's, unless it names a place
            covered = oncall_text.coverage(text)
            for statement in covered:
                self.person("hours", statement, "", text)
            for zone in oncall_text.zones(" ".join(covered)):
                self.person("timezone", zone, "", text)
            for found in _TZ.finditer(text):
                if "/" in found.group(1) or oncall_text.CONTEXT.search(text) and not covered:
                    self.person("timezone", found.group(1), "", text)
            handoff = re.search(r"\b(?:hand-?offs?|hand-?overs?|shift change)\b[^.\n]{0,30}?\b(?:at\s+)?(\d{1,2}:\d{2}"
                                r"(?:\s*[A-Z]{2,4})?)", text, re.I)
            if handoff:
                self.person("handoff", handoff.group(1), "", text)
            secondary = re.search(r"\bsecondary(?:\s+on-?call)?(?:\s+(?:is|=)|\s*:)\s+(?:the\s+)?([^.;]{2,60}?)\s*"
                                  r"(?:[.;]|,\s+(?:then|and|escalat)|$)", text, re.I)
            if secondary and _contact_like(secondary.group(1)):
                self.person("secondary", secondary.group(1).strip(), "", text)
            for contact, when in _escalations(text):
                self.person("escalation", contact, when, text)
            for contact, condition in oncall_text.escalation_conditions(text):  # "page the DBA if lag > 5 min"
                if not _contact_like(contact):
                    continue
                stated = next((p for p in self.people if p["role"] == "escalation" and p["value"] == contact), None)
                if stated is None:
                    self.person("escalation", contact, condition, text)
                elif condition not in stated["qualifier"]:
                    stated["qualifier"] = f"{stated['qualifier']} {condition}".strip()
            # people named in passing: a handover, a team, who to ping / who gets the alerts (oncall_text)
            for taker, leaver, when in oncall_text.handovers(text):
                self.person("handover", taker, f"{leaver} {when}".strip(), text)
            for name in oncall_text.teams(text):
                if not self.person_exists("team"):
                    self.person("team", name, "", text)
            for contact, why in oncall_text.contacts(text):
                known = {p["value"] for p in self.people if p["role"] in ("escalation", "secondary")}
                if contact not in known and contact.removesuffix(" (lead)") not in known:
                    self.person("escalation", contact, why, text)
            for who, role in oncall_text.labelled_people(text):
                if not self._known_person(who) and not any(norm(w) in self.v.tech_words for w in [who, *who.split()]):
                    self.person("escalation", f"{who} ({role})" if role else who, "", text)
            for vendor, contact in _vendor_contacts(text):
                self.vendor(vendor, contact, text)
            # any other full name in a sentence about people, or under a "People" heading, is a contact
            if oncall_text.is_people_heading(text):
                people_heading = True
            elif len(text.split()) <= 4 and not text.rstrip().endswith((".", ")")):
                people_heading = False  # the next heading ends the list
            for who, role in oncall_text.named_people(text, people_heading):
                # a product is all technology words ("Azure Monitor"); a person may share one ("Alb Aaa")
                if not self._known_person(who) and not all(norm(w) in self.v.tech_words for w in who.split()):
                    self.person("escalation", f"{who} ({role})" if role else who, "", text)
            sun = re.search(r"(?i:follow)[- ]the[- ]sun[^.\n]{0,30}?\bbetween\s+(?:the\s+)?"
                            r"([A-Z][\w ]+?(?:,\s*[A-Z][\w ]+?)*\s+and\s+[A-Z][\w]+)", text)
            if sun:
                for city in re.split(r",|\band\b", sun.group(1)):
                    name = city.strip()
                    if name:
                        self.person("location", name, oncall_text.CITY_ZONES.get(name.lower(), ""), text)
        for who in oncall_text.speakers(self.raw):  # a chat export's writers know the service
            if not self._known_person(who):
                self.person("escalation", who, "wrote in the thread", self.raw.split("\n", 1)[0])

    def _known_person(self, who: str) -> bool:
        return any(p["value"] == who or p["value"].startswith(f"{who} (") for p in self.people)

    def _slots(self, s: Sentence) -> set[str]:
        """Who is primary / secondary / lead, and the pager's service or schedule names: a rota-shaped name
        ("obs-oncall primary") is the rotation, a person is a contact; returns the names taken."""
        taken: set[str] = set()
        for name, tool in oncall_text.pager_names(s.text):
            if not any(name == who for _, who, _ in oncall_text.slots(s.text)) or name.endswith("primary"):
                self.person("rotation", name, tool, s.text)
                taken.add(name)
        for slot, who, what in oncall_text.slots(s.text):
            rota = re.fullmatch(r"[a-z0-9][\w.]*-[\w.-]*", who) is not None
            if slot == "primary" and rota:
                self.person("rotation", who, "primary", s.text)
            elif slot == "primary":
                self.person("escalation", who, "primary on-call", s.text)
            elif slot == "secondary":
                self.person("secondary", who, what, s.text)
            elif not oncall_text.is_team(who):  # "Workflow Platform (lead: …)": the team, not its lead
                self.person("escalation", f"{who} (lead)", "", s.text)
            taken.add(who)
        for name in taken:
            self._consume_text(s, name)
        return taken

    def vendor(self, name: str, contact: str, evidence: str) -> None:
        """A vendor's support contact: kept on the vendor the text (or a technology) already names."""
        known = next((p for p in self.people if p["role"] == "vendor" and p["value"].lower() == name.lower()), None)
        if known is not None:
            if contact and contact not in known["qualifier"]:
                known["qualifier"] = contact if known["qualifier"] in ("", "API", "pager", "monitoring") else \
                    f"{known['qualifier']}; {contact}"
            return
        self.person("vendor", name, contact, evidence)

    def person_exists(self, role: str) -> bool:
        return any(p["role"] == role for p in self.people)

    def _consume_text(self, s: Sentence, value: str) -> None:
        for k, t in enumerate(s.tokens):
            if t.text == value:
                self.consumed.add((s.index, k))

    def dependencies_pass(self) -> None:
        """Other services named as such: "calls the catalog and cart APIs", "used by the search indexer"."""
        for s in self.sentences:
            calls = re.search(r"\b(?:calls|depends on|talks to|uses|reads from|queries)\s+(?:the\s+)?([\w-]+(?:,"
                              r"\s*[\w-]+)*"
                              r"(?:,?\s+and\s+(?:the\s+)?[\w-]+)?)\s+(?:apis?|services?|microservices?)\b",
                              s.text, re.I)
            if calls:
                for part in re.split(r",|\band\b", calls.group(1)):
                    name = part.strip()
                    if name and name.lower() not in _STOP and name.lower() not in self.v.tech_words:
                        ident = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                        if ident and ident not in self.comps:
                            self.comps[ident] = _Comp(ident, "", "http-dependency", evidence=s.text, purpose=name)
                            self._relationship(self.comps["app"], self.comps[ident], "calls", s.text)
            used = re.search(r"\b(?:used|called|consumed|read)\s+by\s+(?:the\s+)?([\w -]+?)(?:[.;,]|\s+and\s+|$)|"
                             r"\bdownstream,?\s+(?:the\s+)?([\w -]+?)\s+(?:consumes|reads|uses|calls)\b", s.text, re.I)
            if used:
                name = (used.group(1) or used.group(2)).strip()
                ident = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                bound = {n["value"] for c in self.comps.values() for n in c.names}
                words = name.split()
                if any(w in bound or norm(w) in self.v.tech_words for w in words):
                    continue  # "consumed by the Lambda function X": one of ours, not a client
                if ident and ident not in self.comps and name.lower() not in _STOP and len(ident) > 2:
                    self.comps[ident] = _Comp(ident, "", "client", evidence=s.text, purpose=name)
                    self._relationship(self.comps[ident], self.comps["app"], "calls", s.text)

    # --- 6. the service itself --------------------------------------------------------------------------
    def service(self) -> dict[str, Any]:
        if self.flag_name and _slug(self.flag_name):
            name, display, evidence = _slug(self.flag_name), self.flag_name.strip(), f"--name {self.flag_name}"
            origin = "given"
        else:
            found = _service_name(self.text, self.marked)
            if found and found[0]:
                name, display = found
                if len(display.split()) > 1:
                    display = " ".join(w[:1].upper() + w[1:] if w.islower() and "-" not in w else w
                                       for w in display.split())
                origin, evidence = "given", self.sentences[0].text if self.sentences else ""
            else:
                name, display, origin = "service", "Service", "assumed"
                evidence = "the description names no service"
            if origin == "given" and " " not in display and display.isalpha() and (
                    self.v.attribute("any", display) or display.lower() in self.v.modifiers):
                name, display, origin = "service", "Service", "assumed"  # "Timeout." names no service
                evidence = "the description names no service"
            if origin == "given" and name in _TYPE_WORDS and f"`{display}`" not in self.text:  # `worker` is a name
                basis = self._resource_name()
                if basis:
                    name, display = _slug(basis), basis
                else:
                    kinds = ("queue", "topic", "dag", "database")
                    other = next((n["value"] for role in kinds for c in self.comps.values() for n in c.names
                                  if n["role"] == role), None)
                    if other:
                        name, display = _slug(f"{other}-{name}"), f"{other} {display.lower()}"
        opening = self.sentences[0].text if self.sentences else ""
        first = naming.purpose_sentence(_content_lines(self.text), display if origin == "given" else "") or opening
        low = (display + " " + opening[:80] + " " + first[:80]).lower()
        kind = next((k for k, words in (
            ("pipeline", r"pipeline|etl|elt|batch|export job|cron job|nightly job|dag|\bcdc\b|"
                         r"streams (?:row )?changes"),
            ("worker", r"worker|consumer|processor|queue worker"),
            ("api", r"\bapi\b|rest|grpc|graphql|backend|gateway"),
            ("web", r"web ?app|website|frontend|front-end|web shop|dashboard|\bui\b|storefront"),
            ("database", r"^\S*(?:database|replica set|\bdb\b|datastore)|\bis (?:the|a|our) [\w .]*(?:database|replica "
                         r"set|datastore)\b")) if re.search(words, low)),
            "")
        if self.subject_tech and kind in ("", "database"):
            kind = "database" if self.tech(self.subject_tech).kind in ("database", "cache", "search") else "other"
        return {"name": name, "display": display, "kind": kind, "purpose": first[:300], "runtime": self.runtime,
                "origin": origin, "evidence": evidence, "at": ""}

    def _resource_name(self) -> str | None:
        app = self.comps["app"]
        for role in ("deployment", "unit", "function", "release", "compose_service", "ecs_service"):
            for n in app.names:
                if n["role"] == role:
                    return re.sub(r"\.service$", "", n["value"])
        return None

    # --- 5b. the team's own alerts; metric, flag and config names ---------------------------------------
    def _token_at(self, s: Sentence, offset: int) -> int | None:
        return next((k for k, t in enumerate(s.tokens) if t.start <= offset < t.end), None)

    def alerts_pass(self) -> None:
        """Alerts the description says the team already has, with their condition and duration: "the
        `LedgerLagHigh` alert fires when lag > 5000 for 10 min", "Alerts: ApiDown (up == 0 for 2m), …"."""
        listed = self._alert_list()
        unnamed = self._unnamed_alerts()
        under_heading = False
        for s in self.sentences:
            text = s.text
            if any(name in text for name in listed) or any(said in " ".join(text.split()) for said in unnamed):
                continue  # read line by line from the list already
            if re.fullmatch(r"(?i)(?:existing |current |our )?alerts?(?: we have| today| rules)?:?", text.strip()):
                under_heading = True  # a "## Alerts" heading: the bullets below name alerts
                continue
            if not _ALERT_WORD.search(text) and not under_heading:
                continue
            found: list[re.Match[str]] = []
            for m in sorted((m for pattern in _ALERT_NAMES for m in pattern.finditer(text)
                             if self._alert_name_ok(s, m)), key=lambda m: m.start(m.lastindex or 0)):
                if not found or m.start(m.lastindex or 0) >= found[-1].end(found[-1].lastindex or 0):
                    found.append(m)
            if not found and under_heading:
                lead = re.match(r"\s*`?([A-Za-z][\w.:-]{2,80})`?\s*(?::|—|–|-|\()", text)
                found = [lead] if lead and self._alert_name_ok(s, lead) else []
                under_heading = bool(found)  # the list under the heading ends with the first line that is no alert
            for index, m in enumerate(found):
                name = next(g for g in m.groups() if g)
                end = found[index + 1].start(found[index + 1].lastindex or 0) if index + 1 < len(found) else len(text)
                segment = text[m.end(m.lastindex or 0):end]
                condition = _condition(segment) or (_condition(text[:m.start()]) if len(found) == 1 else None)
                if condition is None:
                    continue
                metric, op, value, unit, duration = condition
                if any(a["name"] == name for a in self.alerts):
                    continue
                severity = _severity(segment if len(found) > 1 else text)
                expr = f"{metric} {op} {value} {unit}".strip()  # the unit apart: "> 800 ms" reads as a comparison
                self.alerts.append({"name": name, "expr": expr, "duration": duration, "severity": severity,
                                    "labels": [], "summary": "", "runbook_url": "",
                                    "source_format": "description", "origin": "given", "evidence": text, "at": ""})
                self.figure("threshold", value, unit, metric, text)
                k = self._token_at(s, m.start(m.lastindex or 0))
                if k is not None:
                    self.consumed.add((s.index, k))

    def _unnamed_alerts(self) -> set[str]:
        """The alerts of inline lists that give no names ("monitors: 5xx > 2%, puma backlog > 20"): each item
        is an alert named by its own words (`alert_lists`). Returns the items read."""
        said: set[str] = set()
        for a in [*alert_lists.listed_alerts(self.text), *alert_lists.probe_alerts(self.text)]:
            if any(a.name == b["name"] or b["name"] in a.said or a.said in b["summary"] for b in self.alerts):
                continue
            self._add_listed(a)
            said.add(a.said)
        return said

    def _alert_list(self) -> set[str]:
        """The alerts of a block list (`alert_lists.block_alerts`): bullets, lines or a table under a lead that
        says alerts ("Existing monitors:", "Alerts that page:", "Triggers:", "Alertmanager -> PagerDuty x."),
        one an item, named (`name — condition`, `name: condition`, `name (condition)`) or not (the team's
        words are its name). A condition with no number ("any node reports sealed") is kept in its words.
        Returns the names and the items' words read."""
        read: set[str] = set()
        for a in alert_lists.block_alerts(self.text):
            if any(b["name"] == a.name for b in self.alerts):
                continue
            self._add_listed(a)
            read.update({a.name, a.said})
        return read

    def _add_listed(self, a: alert_lists.ListedAlert) -> None:
        """One alert of a list into the model, its threshold a figure; its words are read, not names."""
        expr = f"{a.metric} {a.op} {a.value} {a.unit}".strip() if a.op else ""
        self.alerts.append({"name": a.name, "expr": expr, "duration": a.duration,
                            "severity": a.severity or _severity(a.said), "labels": [], "summary": a.said,
                            "runbook_url": "", "source_format": "description", "origin": "given",
                            "evidence": a.evidence, "at": ""})
        if a.op:
            held_for = f" for {_figure_amount(a.duration[:-1], a.duration[-1])}" if a.duration else ""
            self.figure("threshold", a.value, a.unit, f"{a.metric}{held_for}", a.evidence)
        for sentence in self.sentences:
            flat = " ".join(sentence.text.split())
            if a.said in flat or a.evidence and (a.evidence in flat or flat in a.evidence):
                for k, t in enumerate(sentence.tokens):  # the name and the metric names of the condition
                    if t.text == a.name or t.idlike and (t.text in a.metric or t.text in a.said) and re.fullmatch(
                            r"[a-z]+(?:_[a-z0-9]+)+|[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+|[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+"
                            r"(?:\.[a-z]+)?|[a-z]+/[a-z_]+",
                            t.text):
                        self.consumed.add((sentence.index, k))  # "used_memory", "FreeStorageSpace"

    def _alert_name_ok(self, s: Sentence, m: re.Match[str]) -> bool:
        name = next((g for g in m.groups() if g), "")
        if not name or name.lower() in _STOP or name.lower() in ("alert", "alerts", "alarm", "monitor", "rule"):
            return False
        k = self._token_at(s, m.start(m.lastindex or 0))
        if k is not None and self.token_tech(s, k) is not None and s.tokens[k].kind != "quoted":
            return False  # "the Kafka alert": a technology, not the alert's name
        quoted = m.group(0).lstrip()[:1] in "`'\"" or "`" in m.group(0)
        # a name is written as one: quoted, CamelCase, snake_case or kebab-case; a plain word is not
        return quoted or bool(re.fullmatch(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|"
                                           r"[A-Za-z][\w.:]*[_.:-][\w.:-]*[A-Za-z0-9]", name))

    def not_resources(self) -> None:
        """Metric, feature-flag, alert, config-key and environment-variable names are read, not bound: a
        name right after or before such a noun ("metric orders_depth", "the checkout-v2 flag", "config key
        db.pool.size"), a Prometheus metric ("http_requests_total", "x_bucket{…}"), a CLI flag (--max-x=3)
        or an env var (DB_POOL_SIZE=20) is never a resource, a team or an unbound name."""
        for s in self.sentences:
            toks = s.tokens
            for k, t in enumerate(toks):
                if (s.index, k) in self.consumed or t.kind not in ("word", "quoted"):
                    continue
                shaped = t.kind == "word" and (_METRIC.fullmatch(t.text) is not None or _ENV_OR_FLAG.fullmatch(t.text)
                                               is not None)
                after = k > 0 and self._non_resource_noun(s, k - 1)
                before = k + 1 < len(toks) and self._non_resource_noun(s, k + 1, before=True)
                if shaped or ((after or before) and (t.idlike or t.hyphword or t.kind == "quoted")):
                    self.consumed.add((s.index, k))
                elif self._config_setting(s, k):
                    self.consumed.add((s.index, k))

    def _config_setting(self, s: Sentence, k: int) -> bool:
        """Whether token k is a configuration key written with its value ("synchronous_mode is on",
        "proxy_read_timeout 30s", "num.standby.replicas=1", `deploy.replicas: 2`) and no role's key."""
        t = s.tokens[k]
        if t.kind == "quoted":  # a URL ("s3://bucket") is no key and value
            return re.fullmatch(r"[A-Za-z][\w.-]*\s*[:=]\s*\S+", t.text) is not None and "://" not in t.text
        if t.kind == "word" and re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", t.text) and k + 1 < len(s.tokens) and \
                s.tokens[k + 1].text == "=":
            return True  # "VAULT_ADDR=https://…": an environment variable and its value
        if t.kind != "word" or not _CONFIG_KEY.fullmatch(t.text) or norm(t.text) in self.v.noun_roles:
            return False
        rest = [x.low for x in s.tokens[k + 1:k + 3]]
        if not rest:
            return False
        if rest[0] in ("=", ":") or re.fullmatch(r"\d[\w.]*", rest[0]):
            return True  # "num.standby.replicas=1", "proxy_read_timeout 30s"
        return rest[0] in ("is", "of", "set to") and len(rest) > 1 and _CONFIG_VALUE.fullmatch(rest[1]) is not None

    def _non_resource_noun(self, s: Sentence, k: int, before: bool = False) -> bool:
        """Whether token k (or the two-word phrase ending / starting there) is a metric / flag / key noun."""
        toks = s.tokens
        one = toks[k].low
        two = f"{toks[k - 1].low} {one}" if not before and k > 0 else (
            f"{one} {toks[k + 1].low}" if before and k + 1 < len(toks) else "")
        return one in self.v.non_resource_nouns or two in self.v.non_resource_nouns or (
            not before and one in (":", "=") and k > 0 and toks[k - 1].low in self.v.non_resource_nouns)

    # --- 7. what could not be bound -----------------------------------------------------------------------
    def unbound_pass(self) -> None:
        bound = {n["value"] for c in self.comps.values() for n in c.names}
        bound |= {p["value"] for p in self.people}
        seen: set[str] = set()
        for s in self.sentences:
            for k, t in enumerate(s.tokens):
                if (s.index, k) in self.consumed or t.text in bound or t.text in seen:
                    continue
                if not (t.idlike or t.kind == "quoted") or self.token_tech(s, k) is not None:
                    continue
                if t.kind == "quoted" and (len(t.text) > 60 or " " in t.text.strip() and len(t.text.split()) > 3):
                    continue
                if t.kind == "quoted" and commands.is_command(t.text):
                    continue  # the team's own command: kept whole in the model's procedures
                if any(b.endswith(("." + t.text, "/" + t.text)) or b.startswith(t.text + ".") for b in bound):
                    continue  # "events_local" beside the bound "analytics.events_local", "db-a" beside the host
                    #           "db-a.int.example.io": the same name, shorter
                if _NOT_NAME.fullmatch(t.text) or _RETENTION_WORD.fullmatch(t.text) or (
                        t.kind == "word" and _PROSE_SHAPE.fullmatch(t.text)) or \
                        re.fullmatch(r"[\d.:/%x*,-]+", t.text) or t.text.startswith("#") or \
                        self.v.ordinary(t.text) or _slug(t.text) == self.service_slug:
                    continue
                if t.kind == "word" and re.fullmatch(r"[A-Z][a-z]+(?:\.[a-z]+)+", t.text):  # "Node.js"-like words
                    continue
                if re.fullmatch(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+", t.text) and k + 1 < len(s.tokens) and \
                        s.tokens[k + 1].low in ("resource", "resources", "crd", "crds", "object", "objects", "kind"):
                    continue  # "KafkaTopic resources": a Kubernetes kind
                if t.text.startswith(("/", "~/", "./")) or re.fullmatch(
                        r"[\w.-]+\.(?:ya?ml|json|conf|cfg|hcl|toml|ini|sh|py|j2|tf|env)", t.text):
                    continue  # a path or a file: kept in the description, not asked about
                if t.hyphword and not self._namey(t.text, bound):
                    continue  # "customer-facing", "Re-running": words, unless they share a part with a name
                guess = self._guess(s, k)
                camel = t.kind == "word" and re.fullmatch(r"[A-Za-z][a-z]*(?:[A-Z]+[a-z]*)+", t.text) is not None
                if camel and (not guess[0] or (k > 0 and s.tokens[k - 1].number)):
                    continue  # "RocksDB", "CodeDeploy", "shipmentId", "2 vCPU": a product, a field or a unit
                seen.add(t.text)
                self.unbound.append({"text": t.text, "evidence": s.text, "guess_role": guess[0],
                                     "guess_component": guess[1],
                                     "reason": "no role noun next to it" if not guess[0] else
                                     f"a {guess[0].replace('_', ' ')} noun is near but the sentence does not bind it"})

    def _namey(self, word: str, bound: set[str]) -> bool:
        """A hyphenated word sharing a part with a bound name or the service's name ("acme-thumbnails"
        beside "acme-user-uploads") is probably a name too."""
        parts = {p for p in word.lower().split("-") if len(p) >= 3}
        known = {p for name in bound | {self.service_slug} for p in re.split(r"[-_.:/]", name.lower()) if len(p) >= 3}
        return bool(parts & known)

    def _guess(self, s: Sentence, k: int) -> tuple[str, str]:
        near = [n for n in s.nouns if abs(n.i - k) <= 3 or abs(n.j - 1 - k) <= 3]
        for noun in sorted(near, key=lambda n: min(abs(n.i - k), abs(n.j - 1 - k))):
            roles = self.roles_for(s, noun)
            for role in roles:
                if self.v.roles[role].shape.fullmatch(s.tokens[k].text):
                    comp, _ = self.owner(s, role, k, noun, create=False)  # a guess makes no component
                    return role, comp.id if comp else ""
        return "", ""

    # --- assembly ---------------------------------------------------------------------------------------
    def run(self) -> ServiceModel:
        self.find_mentions()
        self.collect_components()
        self.alerts_pass()
        self.not_resources()
        self.imply_components()
        self.bind_nouns()
        self.bind_after_technology()
        self.bind_workload_appositions()
        self.bind_flow_objects()
        self.bind_superlatives()
        self.bind_shapes()
        self.bind_table_kinds()
        self.configured_ports_first()
        self.bind_listed_services()
        self.bind_listed_roles()
        self.drop_references()
        self.relate()
        self.control()
        self.configure()
        self.figures_pass()
        self.people_pass()
        self.dependencies_pass()
        self.autoscale_ranges()  # after every pass that reads counts: a range's max is no fixed count
        self.runtime_unit()
        service = self.service()
        self.service_slug = service["name"]
        self.unbound_pass()
        components = []
        for comp in self.comps.values():
            tech = self.v.technologies.get(comp.technology)
            purpose = comp.purpose or (tech.display if tech else "")
            components.append({
                "id": comp.id, "technology": comp.technology, "kind": comp.kind, "form": comp.form,
                "variant": comp.variant, "version": comp.version, "purpose": purpose, "names": comp.names,
                "settings": comp.settings, "controllers": comp.controllers, "holds": comp.holds,
                "origin": "given" if comp.evidence else "assumed", "evidence": comp.evidence, "at": ""})
        data = {
            "service": service,
            "platform": {"environment": self.env, "cloud": self.cloud, "origin": "given" if self.env or self.cloud
                         else "assumed", "evidence": self.platform_evidence, "at": ""},
            "components": components, "relationships": self.relationships, "figures": self.figures,
            "people": self.people,
            "topology": {"mode": self.mode if self.mode != "unknown" or not self.regions else (
                "single" if len(self.regions) == 1 else "unknown"), "regions": self.regions, "sites": self.sites},
            "alerts": self.alerts,
            "unbound": self.unbound,
            "procedures": [{"purpose": g.purpose, "command": g.command, "origin": "given", "evidence": g.evidence,
                            "at": ""} for g in commands.team_commands(self.text)],
        }
        from agent.service.failures import with_failures  # the team's failure modes and rules: its own pass
        return with_failures(ServiceModel.model_validate(data), [s.text for s in self.sentences], self.v, self.text)


_WHEN = r"\b(?:after|if\b[^,.;]*?\bafter|within|once|past)\s+(\d+)\s*(min(?:ute)?s?|h(?:ou)?rs?|hours?|m|h)\b"
# "services in that file:", "compose services:", "Services:" on a line of its own, then "- name: what it is"
def _labelled(value: str, evidence: str) -> bool:
    """The evidence defines the word as a name: a list item's label ("- web: Node 20") or backticked."""
    return f"`{value}`" in evidence or re.match(rf"\s*[-*+]\s+{re.escape(value)}\s*[:=—–]", evidence) is not None


_SERVICE_LIST = re.compile(r"(?im)^[ \t]*(?:the[ \t]+)?(?:docker[ \t-]compose[ \t]+|compose[ \t]+)?services\b"
                           r"[^:\n]{0,40}:[ \t]*$")
# a line closing with a plural noun and a colon: "The chart creates two Deployments:", "- CronJobs:"
# (an aside may stand before the colon: "Worker units (systemd templates, one per pool):")
_ROLE_LIST = re.compile(r"((?:[A-Za-z][\w-]* ){0,2}[A-Za-z][\w-]*s)[ \t]*(?:\([^()\n]{0,80}\))?[ \t]*:[ \t]*$")
# an item: its name, then what it is after a separator ("- x: …", "- x -- queue …", "- x — …"), or nothing
_ROLE_ITEM = re.compile(r"^\s*[-*+]\s+`?([a-z0-9][a-z0-9_.@-]*)`?\s*(?:(?:[:=—–]|\s--?)\s+(.+))?$")
_SERVICE_ITEM = re.compile(r"^\s*[-*+]\s+`?([a-z0-9][a-z0-9_.-]*)`?\s*[:=—–]\s+(.+)$")


_CONTACT_ROLE = re.compile(r"(?i)\b(?:lead|leads|manager|em|vp|head|director|cto|dba|sre|on-?call|owner|team|"
                           r"engineer|commander|ic|support|architect|admin|secondary|primary|duty|escalation)\b")


def _contact_like(text: str) -> bool:
    """A person, a role, a team, a channel or an address: "Priya Raman (DB lead)", "the DBA on-call", "#ops"."""
    text = text.strip()
    return 1 < len(text) <= 80 and (bool(re.search(r"[A-Z]|[#@]", text)) or _CONTACT_ROLE.search(text) is not None) \
        and not re.fullmatch(r"(?i)(?:it|them|us|me|him|her|someone|anyone)", text)


def _escalations(text: str) -> list[tuple[str, str]]:
    """(contact, "after N min") for each step of an escalation a sentence gives: "escalate to Priya Raman (DB
    lead) after 30 min", "after 1 h, page the EM", "Escalation: A after 30 min, then B after 60 min"."""
    out: list[tuple[str, str]] = []

    def when(amount: str, unit: str) -> str:
        return f"after {amount} {'h' if unit.lower().startswith('h') else 'min'}"

    def add(contact: str, qualifier: str) -> None:
        contact = re.sub(r"^(?:(?:to|the|our|page|call|notify|ping|escalate(?:s)?(?:\s+to)?|then|and|next)\s+)+", "",
                         contact.strip(" ,;:-—–"), flags=re.I).strip(" ,;:-—–")
        contact = re.sub(r"\s+(?:by|via)\s+(?:phone|slack|pager\w*|email)$", "", contact, flags=re.I)
        if ": " in contact:  # "or for anything on the Never list: Bruno Carvalho": who comes after the colon
            contact = contact.rsplit(": ", 1)[1].strip()
        if _contact_like(contact) and not any(c == contact for c, _ in out):
            out.append((contact, qualifier))

    # "after 30 min, escalate to / page X"
    for m in re.finditer(r"(?i)\b(?:if\b[^,.;]*?\b)?after\s+(\d+)\s*(min(?:ute)?s?|h(?:ou)?rs?|hours?|m|h)\b,?\s+"
                         r"(?:escalate\s+to|escalate|page|call|notify|ping)\s+(?:the\s+)?([^.;]{2,80}?)\s*(?:[.;]|,\s*then\b|$)",
                         text):
        add(m.group(3), when(m.group(1), m.group(2)))
    # "escalate to X after 30 min[, then Y after 60 min]", "Escalation: X (after 30 min) → Y"
    start = re.search(r"(?i)\bescalat\w*(?:\s+(?:path|contacts?|policy|chain|order))?\s*(?::|\bto\b|→)|"
                      r"(?i:\bescalation)\s+(?=[A-Z][a-z])", text)  # "escalation Zofia A": a name follows
    if start is None:
        return out
    rest = text[start.end():]
    for part in re.split(r"(?i)\s*(?:[,;]\s*(?:and\s+)?then\b|\bthen\b|→|->|;|,\s*and\s+finally\b)\s*", rest):
        if not part.strip():
            continue
        timed = re.search(r"(?i)[,(]?\s*" + _WHEN + r"\s*\)?", part)
        qualifier = when(timed.group(1), timed.group(2)) if timed else ""
        contact = (part[:timed.start()] + " " + part[timed.end():]) if timed else part
        # the condition is not the contact's name (oncall_text.escalation_conditions keeps it as the condition)
        contact = re.split(r"(?i)\s+(?:if|when|whenever|once|should|as soon as|in case|unless|because|without|"
                           r"with no)\b|\.\s", contact)[0].rstrip(".")
        add(contact, qualifier)
    return out


_SUPPORT_DETAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\+?\d[\d ().-]{6,}\d|https?://\S+|"
                             r"\b(?:P[1-4]|sev ?[1-4])\b[^,;)]*|"
                             r"\b(?:via|through|on)\s+(?:the\s+)?(?:support\s+)?(?:portal|console|case|ticket|phone|slack"
                             r"(?:\s+connect)?)\b[^,;)]*|\b(?:enterprise|business|premium|gold|platinum|standard)\s+"
                             r"(?:support|plan)\b|\bcase\b[^,;)]*|\bcontract\s+\S+", re.I)
_NOT_VENDOR = {"vendor", "vendors", "the", "our", "their", "a", "an", "no", "support", "for", "with", "and", "call",
               "open", "raise", "file", "contact"}


def _vendor_contacts(text: str) -> list[tuple[str, str]]:
    """(vendor, how to reach its support) from "Vendor support: Confluent (support@confluent.io)", "Stripe
    support +1-555-0100", "AWS Enterprise Support", "open a case with Elastic support via the portal"."""
    out: list[tuple[str, str]] = []

    def add(name: str, detail: str) -> None:
        name = name.strip(" ,;:()")
        if not name or name.lower() in _NOT_VENDOR or not re.match(r"[A-Z0-9]", name):
            return
        # the vendor's clause as written ("Enterprise Support for anything MSK-side", "support via console
        # ticket, 1h SLA"), then any address or number said further on in the sentence
        clause = re.split(r"\s*(?:;|\.(?:\s|$)|,\s*(?:then|and then|escalat\w*)\b)", detail, maxsplit=1)[0]
        clause = clause.strip(" ,:()").rstrip(".")
        extra = [m.group(0).strip(" .") for m in _SUPPORT_DETAIL.finditer(detail)]
        extra = [x for x in extra if x not in clause]
        found = "; ".join(dict.fromkeys(x for x in (clause, *extra) if x))
        if not any(n.lower() == name.lower() for n, _ in out):
            out.append((name, found))

    if re.search(r"(?i)\bno\s+(?:vendor|third[- ]party|external|commercial)\s+support\b", text):
        out.append(("none", "no vendor support (as stated)"))
    label = re.match(r"(?i)\s*(?:vendors?|vendor support|third[- ]party support|support contacts?|external support|"
                     r"(?:partner|vendor|supplier|carrier)\s+(?:escalation|contacts?|support))"
                     r"\s*:\s*(.+)", text) or re.search(
        r"(?i)\b(?:partner|vendor|supplier|carrier)\s+(?:escalation|contacts?|support)\s*:\s*(.+)", text)
    if label:
        for item in re.split(r";|,\s*(?=[A-Z][\w.&-]+\s*(?:\(|support|:|$))", label.group(1)):
            head = re.match(r"\s*([A-Z0-9][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,2})(.*)", item)
            if head:
                add(head.group(1), head.group(2))
        return out
    for m in re.finditer(r"(?<![\w-])([A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*){0,2}?)\s+(?i:(?:enterprise|business|premium|"
                         r"developer|gold|platinum)\s+)?(?i:support)\b(.*)", text):
        words = m.group(1).split()
        while words and words[0].lower() in _NOT_VENDOR:
            words.pop(0)
        add(" ".join(words), m.group(0)[len(m.group(1)):])
    for m in re.finditer(r"(?i)\b(?:case|ticket|contract)\s+with\s+(?-i:([A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*)?))([^.;]*)",
                         text):
        add(m.group(1), m.group(0))
    return out


# words that make a figure the service's objective rather than a value it was seen at
_OBJECTIVE = re.compile(r"\b(?:slos?|slas?|slis?|objectives?|targets?|goals?)\b|"
                        r"\b(?:p\d+(?:\.\d+)?|latency)\s*(?:<|<=|≤|under|below|within)\s*\d")
_ALERT_WORD = re.compile(r"(?i)\b(?:alerts?|alarms?|monitors?|alert rules?|alerting|pages? (?:us|on|when|if))\b")
_ALERT_NAMES = (  # each shape apart: one that fails ("Existing alerts") must not hide the next ("alerts: ApiDown")
    re.compile(r"""(?x)(?i:\balerts?|\balarms?|\bmonitors?|\brules?)\s*(?i:named|called)?\s*[:=]?\s*
        (?:`([^`\n]{2,80})`|"([^"\n]{2,80})"|'([^'\n]{2,80})'|([A-Za-z][\w.:-]{2,80}[A-Za-z0-9]))"""),
    re.compile(r"""(?x)(?:`([^`\n]{2,80})`|"([^"\n]{2,80})"|([A-Za-z][\w.:-]{2,80}[A-Za-z0-9]))\s+
        (?i:alerts?|alarms?|monitors?|rules?)\b"""),
    re.compile(r"""(?x)(?:^|[,;(]\s*|(?i:\band)\s+)(?:`([^`\n]{2,80})`|([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+))\s*
        (?:\(|:|—|–|\bfires\b|\bat\b|\bwhen\b)"""),
)
_ALERT_HEADING = re.compile(r"(?i)(?:[\w/&.-]+\s+){0,3}?(?:existing\s+|current\s+|our\s+|the\s+)?(?:[\w-]+\s+)?"
                            r"(?:alerts?|alarms?|monitors?|alert\s+rules?|alerting\s+rules?|pages)"
                            r"(?:\s+(?:we\s+have|today|in\s+place|configured|already|set\s+up|rules|that\s+exist|"
                            r"so\s+far|now))*\s*:")
_ALERT_ITEM = re.compile(r"""[`'"]?([A-Za-z][\w.:/-]{2,80}?[A-Za-z0-9])[`'"]?\s*(?::|—|–|\s-\s|\()\s*(.+)""")
_OPS = {"above": ">", "over": ">", "exceeds": ">", "exceed": ">", "greater than": ">", "more than": ">",
        "higher than": ">", "goes above": ">", "rises above": ">", "is above": ">", "at least": ">=",
        "below": "<", "under": "<", "less than": "<", "lower than": "<", "drops below": "<", "falls below": "<",
        "is below": "<", "equals": "==", "is": "=="}
_CONDITION = re.compile(
    r"(?i)(?P<metric>[a-z0-9][\w ./%()-]{0,48}?)\s*(?P<op>>=|<=|==|!=|>|<|=|"
    + "|".join(sorted((re.escape(o) for o in _OPS), key=len, reverse=True)) + r")\s*(?P<value>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>%|ms|s\b|sec(?:onds?)?\b|min(?:utes?)?\b|m\b|h\b|hours?\b|gb\b|mb\b|k\b|messages\b|msgs\b|"
    r"errors\b|req/s|rps\b|connections\b|jobs\b)?")
_FOR = re.compile(r"(?i)\bfor\s+(?:more than\s+|over\s+|at least\s+)?(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|"
                  r"hours?)\b")
_METRIC_LEAD = re.compile(r"(?i)^(?:(?:when|if|once|the|a|an|its|our|fires|triggers|pages|goes off|on|at|is|are|"
                          r"alert|alerts|alarm|alarms|monitor|monitors|rule|fire|fires|us|whenever)\s+)+")


def _condition(segment: str) -> tuple[str, str, str, str, str] | None:
    """(metric, op, value, unit, duration) of "fires when consumer lag > 5000 for 10 min"."""
    found = _CONDITION.search(segment)
    if found is None:
        return None
    metric = _METRIC_LEAD.sub("", found.group("metric").strip(" ,:(—–-")).strip()
    op = found.group("op").lower()
    op = _OPS.get(op, op)
    if op == "=":
        op = "=="
    if not metric or op == "==" and found.group("op").lower() == "is" and not re.search(r"\bup\b|count", metric):
        return None
    unit = (found.group("unit") or "").lower()
    unit = {"sec": "s", "second": "s", "seconds": "s", "min": "min", "minute": "min", "minutes": "min", "m": "min",
            "hour": "h", "hours": "h"}.get(unit, unit)
    duration = ""
    when = _FOR.search(segment[found.end():]) or _FOR.search(segment)
    if when:
        duration = when.group(1) + {"s": "s", "m": "m", "h": "h"}[when.group(2)[0].lower()]
    return metric, op, found.group("value"), unit, duration


def _severity(text: str) -> str:
    found = re.search(r"(?i)\b(critical|warning|warn|page|pages|paging|ticket|info|p[1-5]|sev[1-5])\b", text)
    if found is None:
        return ""
    word = found.group(1).lower()
    return {"pages": "page", "paging": "page", "warn": "warning"}.get(word, word)


# Prometheus-style metric names (a conventional suffix or a label set: a table "ledger_entries_v2" is none),
# CLI flags and environment variables with their value
_METRIC = re.compile(r"[a-z][a-z0-9]*_[a-z0-9_]*(?:_total|_seconds|_milliseconds|_bytes|_count|_sum|_bucket|_ratio|"
                     r"_info|_percent)(?:\{[^}]*\})?|[a-z][a-z0-9_]*\{[^}]*\}")
_ENV_OR_FLAG = re.compile(r"--[a-z][\w.-]*(?:=\S*)?|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+=\S*")


def _unit(word: str) -> str:
    seconds = _DURATION.get(word.lower())
    if seconds is None:
        return word
    return {0.001: "ms", 1: "s", 60: "min", 3600: "h", 86400: "d", 604800: "w"}[seconds]


def _figure_amount(amount: str, unit: str) -> str:
    """'10', 'm' -> '10 min'; '2', 'hours' -> '2 h'."""
    return f"{amount} {_unit(unit) if unit.lower() != 'm' else 'min'}"


def _figure_minutes(label: str, text: str) -> int | None:
    """'RTO of 30 minutes', 'RTO: 1h', 'RPO 5 min', 'RPO of zero', 'RPO 0 via …'."""
    match = re.search(rf"\b{label}\b[^0-9\n]{{0,25}}?(\d+(?:\.\d+)?)\s*({'|'.join(_DURATION)})\b", text, re.I)
    if match:
        return max(0, round(float(match.group(1)) * _DURATION[match.group(2).lower()] / 60))
    if re.search(rf"\b{label}\b\W{{0,10}}(?:of\s+|is\s+)?(?:zero|0|none)\b", text, re.I):
        return 0
    return None


# --- the service's name (from the first sentence) -----------------------------------------------------------

_Q = naming.QUOTE  # an optional quote around a name
_SLUG_STOP = re.compile(
    r"\b(?:on|in|that|which|who|running|runs|deployed|hosted|behind|built|written|using|with|for|"
    r"serving|serves|is|are|was|handles|handling|processes|processing|consumes|consuming|reads|"
    r"writes|exposes|backed|powered|lives|sits|at|from|to|via|—|-{2}|\(|,|:|;)\b|[,:;(—.]"
)
_GENERIC_LEAD = {"the", "a", "an", "our", "my", "this", "we", "have", "run", "operate", "it", "service"}
_WEAK = {"service", "app", "application", "system", "tool", "thing", "job", "we", "i"}
_TYPE_WORDS = {"worker", "api", "pipeline", "etl", "job", "app", "consumer", "database", "web", "webapp",
               "function", "lambda", "cron", "batch", "service", "application", "website"}
_LEAD_DROP = {"python", "go", "golang", "java", "node.js", "node", "ruby", "rust", "kotlin", "typescript", "php",
              "scala", "small", "simple", "new", "legacy", "internal", "public", "nightly", "daily", "hourly",
              "weekly"}
_DOC_WORDS = {"runbook", "runbooks", "request", "requested", "needed", "need", "setup", "set-up", "rundown",
              "postmortem", "post-mortem", "retro", "retrospective", "rca", "handover", "hand-over", "primer",
              "overview", "summary", "notes", "note", "writeup", "write-up", "doc", "docs", "quick", "brief",
              "single-box", "one-box", "please", "draft", "proposal", "intro", "introduction", "description"}
_NAME_STOP = {"the", "a", "an", "our", "its", "their", "this", "that", "service", "app", "api", "cluster", "is",
              "named", "called"}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:48].strip("-")


# What opens a message without naming anything: mail headers, greetings, fillers ("Hey team,", "ok so").
_CHANNEL_LINE = re.compile(r"^\s*#[A-Za-z0-9][\w-]*(?:[\s,:;—–-]|$)")  # Markdown headings have a space after #
# "Subject: clickstream-pipeline: handover …": a mail's subject opening with an identifier is about it
_SUBJECT_NAME = re.compile(r"(?im)^\s*subject\s*:\s*(?:(?:re|fwd?)\s*:\s*)*"
                           r"[`\"']?([A-Za-z0-9][\w.]*[-_][\w.-]*[A-Za-z0-9])[`\"']?\s*(?::|—|–|-\s|\(|$)")
_HEADER_LINE = re.compile(r"^\s*(?i:subject|from|to|cc|bcc|date|sent|re|fwd?|reply-to|importance)\s*:")
_GREETING = re.compile(r"""^\s*(?:
    (?i:hey|hi|hello|hiya|howdy|yo|dear|greetings|morning|evening|good\s+(?:morning|afternoon|evening)|
        hola|buenos\s+d[ií]as|hallo|moin|servus|guten\s+(?:tag|morgen)|bonjour|salut|ciao|buongiorno|ol[aá]|
        bom\s+dia|hej|hei|namaste|ahoj|cze[sś][cć])(?![\w-])  # never the head of an identifier ("hi-fi-api", "btw-00")
        (?:\s+(?i:team|all|everyone|everybody|folks|there|guys|people|friends|sre|sres|ops|on-?call|y'all|you\s+all))*
        (?:\s+[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)?(?=\s*[,!:;—–]))?\s*[,!.:;—–-]*
  | (?i:ok(?:ay)?|so|right|well|alright|fyi|btw|ps|tl;?dr|quick\s+(?:one|question|note|context)|heads[- ]up|
        as\s+promised|as\s+discussed|as\s+agreed|
        context|background|update|note|thanks|thank\s+you|cheers)(?![\w-])\s*[,!.:;—–-]*
)\s*""", re.X)
_ID = naming.NAME
# an identifier, not a plain word (case-sensitive even inside an IGNORECASE pattern): ledger-sync, inv_recon, relayHub
_IDENT = r"(?-i:[A-Za-z0-9][\w.]*[-_.\d][\w.-]*[A-Za-z0-9]|[a-z]+[A-Z]\w*|[A-Za-z]*\d[A-Za-z0-9]*)"
_KIND_WORD = r"(?:service|microservice|app|application|api|worker|pipeline|job|cronjob|daemon|consumer|bot|backend|" \
             r"frontend|system|function|lambda|gateway|exporter|scheduler|processor|agent)"


def _content_lines(text: str) -> list[str]:
    """The description's lines without mail headers and the greetings or fillers that open them."""
    out: list[str] = []
    for line in text.strip().split("\n"):
        if _HEADER_LINE.match(line):
            continue
        if (not out and _CHANNEL_LINE.match(line)) or _SPEAKER_ALONE.match(line):
            continue  # "#eng-fires, thread export, Tue 14 May", "Jess Whitfield  10:02": a chat export's frame
        if not out:
            body = re.sub(r"^#{1,6}\s+", "", line)
            while True:
                stripped = _GREETING.sub("", body, count=1)
                if stripped == body:
                    break
                body = stripped
            if not body.strip():
                continue
            line = body
        out.append(line)
    return out


# Keys of lines that say who or how, not what: "Team: ledger", "On-call: PagerDuty" are no service's name
_META_KEY = re.compile(r"(?i)(?:owning\s+|owner\s+)?(?:team|teams|owner|owners|owned by|squad|slack|channel|chat|"
                       r"on-?call|pager|paging|rotation|escalation(?:\s+path)?|secondary|primary|vendor|vendors|support|contact|"
                       r"contacts|email|hours|time ?zone|region|regions|slo|sla|sli|rto|rpo|monitoring|alerts?|"
                       r"dashboards?|notes?|context|background|summary|status|priority|severity|criticality|tl;?dr|"
                       r"stack|tech(?:nology)?|platform|environment|env|cloud|language|runtime|repo(?:sitory)?|docs?)")


def _label_of_words(line: str) -> bool:
    """A "Team: ledger" / "On-call: …" line, not "Orders API: a Python service …" or "checkout-api: the …"."""
    key = re.match(r"^\s*(?:[-*+]\s+)?([A-Za-z][\w /.;-]{0,30}):\s", line)
    return key is not None and _META_KEY.fullmatch(key.group(1).strip()) is not None


def _explicit_name(text: str, lead: str) -> str | None:
    """A name the text states for the service: "service name: X", "the service is called X", "`X` is our
    worker", "the X service" (X an identifier), "our payments API (X)", "a runbook for X"."""
    stated = re.search(rf"\b(?:service\s+name(?:\s+is)?:?|(?:known|referred to|listed|registered)\s+as)\s+"
                       rf"{_Q}({_ID}){_Q}", text, re.I) or re.search(  # '("ratelimit-redis" in the service catalog)'
        rf"{_Q}({_IDENT}){_Q}\s+(?:in|on)\s+(?:the\s+)?(?:service\s+catalog|catalog|backstage|cmdb|service\s+registry)\b",
        text, re.I)
    if stated and stated.group(1).lower() not in _NAME_STOP:
        return stated.group(1)
    label = re.search(rf"(?im)^\s*(?:[-*]\s+)?(?:service|service name|name|app|application|api|worker)\s*:\s*{_Q}"
                      rf"({_ID}){_Q}(?:\s*$|\s+[(—–-]|\s*,)", "\n".join(text.split("\n")[:6]))  # not deep in a config
    if label and label.group(1).lower() not in _NAME_STOP:
        return label.group(1)
    opening = " ".join(re.split(r"(?<=[.!?])\s+", lead)[:2])
    # the opening's subject: "`worker` is a …", "frost-bridge is the web app …" (not a later "function called x")
    subject = re.match(rf"^\s*(?:`([^`]+)`|{_Q}([A-Za-z0-9][\w.]*[-_][\w.-]*[A-Za-z0-9]){_Q})\s+(?:is|are|runs|=)\b",
                       opening)
    if subject:
        return next(g for g in subject.groups() if g)
    named = re.search(rf"\b{_KIND_WORD}\s+(?:is\s+)?(?:called|named)\s+{_Q}({_ID}){_Q}", opening, re.I) or re.search(
        rf"\b(?:we\s+(?:run|have|operate|own)|this\s+is|it\s+is)\s+(?:a|an|the|our)\s+(?:[\w.-]+\s+){{0,3}}?"
        rf"{_KIND_WORD}\s+(?:called|named)\s+{_Q}({_ID}){_Q}", text, re.I)
    if named and named.group(1).lower() not in _NAME_STOP:
        return named.group(1)
    first = re.split(r"(?<=[.!?])\s+|\n", lead.strip(), maxsplit=1)[0]
    quoted = rf"(?:`([^`\s]+)`|\"([^\"\s]+)\"|'([^'\s]+)'|({_IDENT}))"
    for pattern in (
            rf"\b(?:we|i|they)\s+(?:call|name)(?:\s+it)?\s+{quoted}",  # "the cluster we call "x""
            # "runbook for this pipeline: x", "for our customer portal 'x'": a name set after its noun phrase
            rf"\brunbook\b[^.:]{{0,40}}?\b(?:for|about|on)\s+(?:this|the|our|a|an)\s+(?:[\w-]+\s+){{0,2}}?[\w-]+\s*:"
            rf"\s*{quoted}",
            r"\b(?:for|of)\s+(?:our|the|this|their|my)\s+(?:[\w-]+\s+){0,3}?[\w-]+\s+(?:`([^`\s]+)`|"
            r"\"([^\"\s]+)\"|'([^'\s]+)')",
            # "on-call primer for temporal-prod (our self-hosted Temporal, …)": a name, then what it is
            rf"\b(?:for|of|about)\s+{quoted}\s*\((?:our|the|a|an|self-hosted|managed)\b"):
        found = re.search(pattern, first, re.I)
        if found:
            value = next(g for g in found.groups() if g)
            if value.lower() not in _NAME_STOP and _NOT_NAME.fullmatch(value) is None:
                return value
    # a service that is a cluster, named as one ("Vault cluster `x`", "cluster.name `x`", "scope `x`")
    clustered = re.search(r"\b(?:cluster|cluster\.name|cluster_name|scope)\s*[:=]?\s*(?:`([^`\s]+)`|\"([^\"\s]+)\")",
                          opening, re.I)
    platform = clustered and re.search(r"(?i)\b(?:ecs|fargate|eks|gke|aks|kubernetes|k8s|openshift|nomad|runs on|"
                                       r"deployed)\b", opening[max(0, clustered.start() - 40):clustered.start()])
    if clustered and not platform and not re.match(rf"^\s*{_Q}{_IDENT}{_Q}(?:[\s.,:;!?]|$)", lead):
        return next(g for g in clustered.groups() if g)
    # the first sentences: "`x` is our worker", "the ledger-sync service", "our payments API (payments-gw)"
    # "PagerDuty service `x`" names where pages go, not the service
    ticked = re.match(r"^\s*`([^`]+)`", lead) or next((m for m in re.finditer(
        rf"`([^`\s]+)`\s+(?:(?:is|=)\s+(?:our|the|a|an)\s+(?:[\w.-]+\s+){{0,3}}?)?{_KIND_WORD}\b|"
        rf"\b{_KIND_WORD}\s+`([^`\s]+)`", opening, re.I) if not _PAGER_BEFORE.search(opening[:m.start()])), None)
    if ticked:
        return next(g for g in ticked.groups() if g)
    for pattern in (rf"\b(?:the|our|a|an|this|my)\s+(?:[\w.]+\s+){{0,2}}?({_IDENT})\s+{_KIND_WORD}\b",
                    rf"\b{_KIND_WORD}\s*\(\s*{_Q}({_IDENT}){_Q}\s*\)",
                    rf"\brunbook\s+(?:for|about|on)\s+(?:the\s+|our\s+)?{_Q}({_IDENT}){_Q}"):
        for found in re.finditer(pattern, opening, re.I):
            # "our v2 API" names a version, "the Go gRPC service" a protocol, "the Kafka consumer" a product
            if _NOT_NAME.fullmatch(found.group(1)) is None and found.group(1).lower() not in _PROTOCOLS and \
                    norm(found.group(1)) not in vocabulary().tech_words:
                return found.group(1)
    return None


# the kinds of technology a service can be itself ("ledger-db is the PostgreSQL cluster", "x (Temporal)")
_SERVICE_KINDS = frozenset({"database", "cache", "stream", "broker", "search", "queue", "proxy", "ha-manager",
                            "scheduler", "object-store"})
# words between a name and the product it is: "x (our self-hosted Temporal)", "x: a managed Redis"
_PRODUCT_LEAD = frozenset({"self-managed", "self-hosted", "managed", "a", "an", "our", "the", "open-source"})
def _listed_together(a: str, b: str, text: str) -> bool:
    """`a` and `b` are items of one list in `text` ("databases temporal + temporal_visibility"): siblings, not a
    short reference to the longer name."""
    sep = r"""[`'"]?\s*(?:,|\+|&|\band\b|\bor\b)\s*(?:and\s+)?[`'"]?"""
    return re.search(rf"(?<![\w-]){re.escape(a)}{sep}{re.escape(b)}(?![\w-])|(?<![\w-]){re.escape(b)}{sep}"
                     rf"{re.escape(a)}(?![\w-])", text) is not None


_PAGER_BEFORE = re.compile(r"(?i)\b(?:pagerduty|opsgenie|victorops|splunk\s+on-?call|incident\.io|grafana\s+oncall)"
                           r"\s*$")
_PROTOCOLS = frozenset({"grpc", "http", "https", "rest", "graphql", "websocket", "websockets", "tcp", "udp", "mqtt",
                        "amqp", "soap", "json-rpc", "jsonrpc", "thrift", "protobuf"})


@lru_cache(maxsize=32)  # asked for by several passes of one parse, on the same text
def _service_name(text: str, marked: str | None = None) -> tuple[str, str] | None:
    """(slug, display) from 'the orders API on EKS …', 'payments-service is …', 'called X', '# Title';
    never from a greeting or a mail header ("Hey team,", "Subject: …", "ok so")."""
    lines = _content_lines(text)
    # "- Team: ledger" says who, not what: the opening is read from the lines that are not such labels
    opening = [line for line in lines if line.strip() and not _label_of_words(line)]
    lead = " ".join(opening[:3]).strip()
    # "adstats-ch -- ClickHouse inventory (…)": an identifier the first line opens with, then a dash, is the
    # title's subject (before a store's cluster name the text goes on to give)
    title_id = re.match(r"^\s*(?:#+\s*)?([a-z0-9][\w.]*[-_][\w.-]*[a-z0-9])\s+(?:--|—|–|\|)\s", opening[0]) \
        if opening else None
    explicit = naming.stated_name(lines) or (
        title_id.group(1) if title_id and title_id.group(1).lower() not in _DOC_WORDS else None) or \
        naming.store_name(opening) or \
        _explicit_name("\n".join(lines), lead)
    if explicit:
        return _slug(explicit), explicit
    subject = _SUBJECT_NAME.search(text)
    if subject and re.search(rf"(?<![\w-]){re.escape(subject.group(1))}(?![\w-])", "\n".join(lines)):
        return _slug(subject.group(1)), subject.group(1)  # the subject's name, which the mail's body uses too
    first = opening[0] if opening else ""
    lead_id = re.match(r"^\s*([A-Za-z0-9][\w.-]*-[\w.-]*[A-Za-z0-9])\b", first)
    # "Single-box setup …": a capitalised hyphenated word is prose, not an identifier; "OPS-4412" a ticket
    if lead_id and not re.fullmatch(r"[A-Z][a-z]+(?:-[a-z]+)+|[A-Z]{2,10}-\d+", lead_id.group(1)) and \
            lead_id.group(1).lower() not in _DOC_WORDS:
        return _slug(lead_id.group(1)), lead_id.group(1)
    family = naming.family_name(lines)
    if family:  # "RabbitmqCluster name=hopper-rmq" beside hopper-rmq-server: a stated name others extend
        return _slug(family), family
    words_of = vocabulary().tech_words
    salient = naming.salient_name(_content_lines(marked) if marked else lines, lambda word: norm(word) in words_of,
                                  _STOP)
    if salient:  # the name the opening gives and the text keeps using, past a ticket key or a greeting
        return _slug(salient), salient
    runbook = re.search(r"\brunbook\s+(?:for|about|on)\s+(?:the\s+|our\s+)?(.+)", first, re.I)
    if runbook:  # "We need a runbook for our payments API": the words after it
        first = runbook.group(1)
    titled = _document_title(first)
    if titled:  # "Postmortem PIM-2291 — …", "Design doc: Central logging v2": the name is in the text below it
        named = _named_in(lines[1:12])
        if named:
            return _slug(named), named
        first = titled
    head = _SLUG_STOP.split(first, maxsplit=1)[0]
    words = re.findall(r"[A-Za-z0-9][\w'.-]*", head)
    # words about the document or its set-up ("Runbook request", "Quick rundown", "Single-box setup")
    # "the note api": a document word right before a kind word names the service, it is no document
    words = [w for k, w in enumerate(words) if w.lower() not in _DOC_WORDS or (
        k + 1 < len(words) and re.fullmatch(_KIND_WORD, words[k + 1], re.I))]
    while words and words[0].lower() in _GENERIC_LEAD:
        words.pop(0)
    if len(words) > 1 and words[0].lower() in _LEAD_DROP:
        words.pop(0)
    words = words[:4]
    if not words or all(w.lower() in _WEAK for w in words):
        return None
    display = " ".join(words)
    return _slug(display), display


_TICKET = re.compile(r"\b[A-Z]{2,10}-\d+\b")


def _document_title(line: str) -> str | None:
    """A document's title line ("Postmortem PIM-2291 — order emails delayed", "Design doc: Central logging v2
    (Loki)"): what is left once the document's words and ticket keys go ("" when nothing), else None."""
    words = re.findall(r"[A-Za-z0-9][\w'.-]*", line)
    if not words or not (words[0].lower() in _DOC_WORDS or words[0].lower() == "design" or _TICKET.match(line.strip())):
        return None
    rest = _TICKET.sub("", re.sub(r"(?i)^\s*(?:design\s+doc(?:ument)?|[\w-]+)\s*:?", "", line, count=1))
    return rest.strip(" —–-:|")


# a name the text gives the thing it is about, under a document title: the cluster that carries notifications
# ("notify-mq"), a Flux HelmRelease named `loki`
_NAMED_THING = re.compile(
    rf"\b(?:cluster|service|broker|database|db|app|application|api|worker|helmrelease|release|deployment|statefulset|"
    rf"system|instance)\b(?:[^()\n.]{{0,60}}?\(\s*[`\"']({_ID})[`\"']\s*\)|\s+(?:named|called)\s+[`\"']({_ID})[`\"'])",
    re.I)


def _named_in(lines: list[str]) -> str | None:
    for found in _NAMED_THING.finditer("\n".join(lines)):
        value = found.group(1) or found.group(2)
        if value.lower() not in _NAME_STOP:
            return value
    return None


def parse(description: str, *, name: str | None = None, vocab: Vocabulary | None = None,
          context: ServiceModel | None = None) -> ServiceModel:
    """The `ServiceModel` a description states; `name` (--name) wins for the service's name.

    `context` is a model the text amends (a correction in plain words): its components are known, so
    "the consumer group is called billing-sync" binds to its Kafka component.
    """
    return _Parser(description, vocab or vocabulary(), name, context).run()
