"""What the description says the service is called, when it says so in words other than "the X service".

`text._service_name` reads the common shapes ("`x` is our worker", "the ledger-sync service"). Users
also write: "runbook request for the invoicing workflow, inkwell-invoicing", "we call it tern-cdc",
"svc: tallyhook-billing", "Handover notes: larkspur (…)", the marketing site ("kavarna-web"), or describe
a datastore whose own name is the service's ("a replica set named `rs-catalog`", "cluster.name:
logsearch-prd2"). Without these the title fell back to the first words of the text ("Runbook Request",
"Handover Notes"). The last resort here is the family rule: a stated name that other names extend
(hopper-rmq → hopper-rmq-server) is the service's, since teams prefix resources with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# a name as written: backticked or quoted anything, or an identifier shape (a separator, digit or camel hump)
QUOTE = r"[`'\"]?"  # the parser's too (text.py)
NAME = r"[A-Za-z0-9][\w.-]*[A-Za-z0-9]"
_Q, _ID = QUOTE, NAME
_IDENT = re.compile(r"(?-i:[A-Za-z0-9][\w.]*[-_\d][\w.-]*[A-Za-z0-9]|[a-z]+[A-Z]\w*)")
_MARKED = re.compile(r"`([^`\s]{2,60})`|\"([^\"\s]{2,60})\"|'([^'\s]{2,60})'")

# words that are never a service's name even where a name would stand
_NEVER = frozenset("""the a an our its their this that these those it service app api cluster is are named called
    new old prod production staging dev test request notes note runbook ticket summary overview readme handover
    handoff writeup doc docs page wiki todo tbd n/a none unknown same""".split())
# first-line keys that title a document rather than name a field: "Handover notes: larkspur (…)"
_DOC_KEY = re.compile(r"(?i:(?:(?:re|fwd?)\s*:\s*)?(?:(?:handover|hand-?off|on-?call|ops|runbook|service|team|"
                      r"project|system|incident|release|migration)\s+)?(?:notes?|runbook|request|ticket|"
                      r"summary|overview|readme|handover|hand-?off|write-?up|brief|doc(?:ument)?|page|sheet|cheat-?sheet|faq|card|"
                      r"wiki|primer))")
# "Service: x", "- app = x", and in Markdown bold ("**Service:** voltgrid-mqtt (Mosquitto brokers …)")
_LABEL = re.compile(rf"(?im)^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?:svc|service|service[ _-]name|name|app|app[ _-]name|"
                    rf"application)\s*[:=]\s*(?:\*\*|__)?\s*{_Q}({_ID}){_Q}(?:\*\*|__)?\s*(?:[(#—–-].*)?$")
_WE_CALL = re.compile(rf"(?i)\b(?:we\s+(?:call|name)(?:\s+(?:it|this|them|that))?|(?:known|referred\s+to)\s+as|"
                      rf"a\.?k\.?a\.?|nicknamed|code-?named)\s+{_Q}({_ID}){_Q}")
_RUNBOOK_FOR = re.compile(r"(?i)\brun-?book(?:\s+(?:request|needed|wanted|please))?\s*(?:for|about|on|:)\s+"
                          r"([^.;\n]{0,120})")
_STORE_NOUN = r"(?:replica\s+set|cluster|ring|keyspace|deployment|instance|server|broker|fleet)"
# "cluster named x", "the name of cluster is x", "the cluster's name is x"
_STORE_NAMED = re.compile(rf"(?i)\b(?:{_STORE_NOUN}\s+(?:is\s+)?(?:named|called)|name\s+of\s+(?:the\s+|our\s+)?"
                          rf"{_STORE_NOUN}\s+is|{_STORE_NOUN}(?:'s)?\s+name\s+is)\s+{_Q}({_ID}){_Q}")
# the word "service" right before a quoted name, not a pager's or a platform's service ("PagerDuty service x")
_SERVICE_QUOTED = re.compile(rf"(?i)(?<!pagerduty )(?<!opsgenie )(?<!systemd )(?<!ecs )(?<!kubernetes )(?<!k8s )"
                             rf"(?<!compose )(?<!docker )(?<!app )\bservice\s*[:=]?\s*[`\"']({_ID})[`\"']")
# words that make "Runbook: <words> (…)" about the document, not a service's name
_SUBJECT_STOP = {"request", "needed", "draft", "for", "about", "on", "please", "new", "update", "v1", "v2", "wip",
                 "todo", "the", "our", "service", "notes"}
_CLUSTER_KEY = re.compile(rf"(?im)\b(?:cluster[._ ]name|clusterName|replSetName|replset|replica[_ ]set)\s*[:=]\s*"
                          rf"{_Q}({_ID}){_Q}")
_KIND = re.compile(r"(?i)\b(?:service|microservice|app|application|api|worker|pipeline|job|daemon|consumer|bot|"
                   r"backend|frontend|website|site|function|lambda|gateway|processor)s?\b")
# nouns whose "called X" names that thing, not the service
_OTHER_NOUN = re.compile(r"(?i)\b(?:database|db|schema|table|queue|topic|bucket|index|namespace|volume|user|role|"
                         r"secret|key|channel|project|region|zone|vpc|subnet|group|stage|warehouse)s?\s*$")
_NAME_KEY = re.compile(rf"(?i)(?:\bname\s*[=:]|\b(?:named|called))\s*{_Q}({_ID}){_Q}")


def _ok(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip("`'\".,;:()")
    if len(value) < 2 or value.lower() in _NEVER or re.fullmatch(r"v?\d[\d.]*[a-z]?", value, re.I):
        return None
    return value


def _first_name_in(clause: str) -> str | None:
    """The first written name of a clause: a marked one, else the first identifier-shaped word."""
    marked = _MARKED.search(clause)
    ident = _IDENT.search(clause)
    hits = [(m.start(), next(g for g in m.groups() if g)) for m in (marked,) if m]
    hits += [(ident.start(), ident.group(0))] if ident else []
    for _, value in sorted(hits):
        if _ok(value) and not re.search(r"(?i)\.(?:com|io|net|org|dev|app|cz|de|uk|co)\b|://|^/", value):
            return _ok(value)
    return None


def stated_name(lines: list[str]) -> str | None:
    """A name the text states outright for the service (checked before the common shapes)."""
    text = "\n".join(lines)
    first = next((line for line in lines if line.strip()), "")
    # a quote that opens the name closes it: 'Handover: "orbit-ts" Cassandra ring' is orbit-ts, not "orbit"
    head = re.match(rf"^\s*(?:#+\s*)?{_DOC_KEY.pattern}\s*[:—–-]\s*(?P<q>[`'\"]?)([A-Za-z0-9][\w.-]*[A-Za-z0-9])(?P=q)"
                    r"\s*(?:$|[(,;.—–-]|\s+-\s|(?<=[`'\"])\s)", first)
    if head and _ok(head.group(2)):
        return _ok(head.group(2))
    for pattern in (_LABEL, _WE_CALL):  # a "name:" deep in a pasted config names a queue, not the service
        found = pattern.search("\n".join(lines[:6]))
        if found and _ok(found.group(1)):
            return _ok(found.group(1))
    lead = " ".join(lines[:3])
    runbook = _RUNBOOK_FOR.search(lead)
    if runbook:
        # "Runbook: edge ingress (ingress-nginx + cert-manager)": the words before what it is built from
        subject = re.match(r"\s*(?:the\s+|our\s+)?([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3})\s+\(", runbook.group(1))
        if subject and not any(w.lower() in _SUBJECT_STOP for w in subject.group(1).split()):
            return "-".join(subject.group(1).lower().split())
        name = _first_name_in(runbook.group(1))
        if name:
            return name
    service = _SERVICE_QUOTED.search("\n".join(lines[:40]))
    if service and _ok(service.group(1)):  # 'Facts for the runbook (service "orbitly-ci"):'
        return _ok(service.group(1))
    sentence = re.split(r"(?<=[.!?])\s+|\n\s*\n", text.strip(), maxsplit=1)[0]
    quoted = re.search(r"\(\s*[`\"']([A-Za-z0-9][\w.-]*[A-Za-z0-9])[`\"']\s*\)", sentence)
    if quoted and _ok(quoted.group(1)):
        return _ok(quoted.group(1))
    return None


def store_name(lines: list[str]) -> str | None:
    """When the opening is about a datastore or cluster, the name the text gives it."""
    opening = " ".join(" ".join(lines[:4]).split())
    sentence = re.split(r"(?<=[.!?])\s+", opening, maxsplit=1)[0]
    store = re.search(rf"(?i)(?<!eks )(?<!gke )(?<!aks )(?<!k8s )(?<!ecs )(?<!kubernetes )(?<!nomad )(?<!swarm )"
                      rf"(?<!openshift )\b(?:{_STORE_NOUN}|database)\b", sentence)
    kind = _KIND.search(sentence)
    if store is None or (kind is not None and kind.start() < store.start()):
        return None  # "the payments service on a GKE cluster named x": the cluster is not the service
    found = _STORE_NAMED.search(opening) or _CLUSTER_KEY.search("\n".join(lines))
    return _ok(found.group(1)) if found else None


def family_name(lines: list[str], exclude: frozenset[str] = frozenset()) -> str | None:
    """A stated name (`name=X`, "named X", "called X") that other names in the text extend: X-server, X_db."""
    text = "\n".join(lines)
    names = {m.group(0) for m in _IDENT.finditer(text)} | {next(g for g in m.groups() if g)
                                                           for m in _MARKED.finditer(text)}
    best: tuple[int, int, str] | None = None
    for found in _NAME_KEY.finditer(text):
        value = _ok(found.group(1))
        if not value or value in exclude or not _IDENT.fullmatch(value):
            continue  # "a database called orders" beside orders-api names the database
        if _OTHER_NOUN.search(text[max(0, found.start() - 30):found.start()]):
            continue
        family = {n for n in names if n != value and re.match(rf"{re.escape(value)}[-_.]\w", n)}
        if family and (best is None or (len(family), -found.start()) > best[:2]):
            best = (len(family), -found.start(), value)
    return best[2] if best else None


# sentences that introduce the note or ask for the runbook rather than say what the service does
_REQUEST = re.compile(r"(?i)\b(?:please|can (?:we|you|someone|i)|could (?:we|you|someone)|for whoever|"
                      r"nobody has written|quick rundown|brain ?dump|here(?:'s| is) (?:the|a|what))\b")
_ASK_FOR = re.compile(r"(?i)^.*?\brun-?book\b(?:\s+(?:request|needed|wanted))?\s*(?:for|about|on|:|-)\s+")


def _sentences(lines: list[str]) -> list[str]:
    """Sentences, where a blank line, a bullet, an indented line and a first line without a full stop
    (a header such as "Handover notes: x") also end one."""
    paragraphs: list[list[str]] = [[]]
    for k, line in enumerate(lines):
        starts = not line.strip() or re.match(r"\s*(?:[-*+]\s|\d+[.)]\s|\s{2,}\S)", line) is not None
        if starts or (k == 1 and not re.search(r"[.!?]\s*$", lines[0])):
            paragraphs.append([])
        if line.strip():
            paragraphs[-1].append(line.strip())
    out: list[str] = []
    for para in paragraphs:
        text = " ".join(para)
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    return out


_SAYS_WHAT = re.compile(r"(?i)^(?:[-*+]\s+)?\**(?:what\s+(?:it|this)\s+(?:is|does)|what\s+is\s+it|purpose|"
                        r"summary|about|overview|description)\**\s*[:\-–—]\s*")


def purpose_sentence(lines: list[str], name: str = "") -> str:
    """The first sentence that says what the service is or does: not a greeting, a document header or
    the request for a runbook (of which only what follows "runbook for" is kept). A sentence with the
    service's name as its subject ("payments-events = our Kafka cluster …") wins over the lines before it."""
    # "[#streaming-oncall export, pinned thread …]": a bracketed line frames the text, it says nothing
    sentences = [x for x in _sentences(lines) if not re.fullmatch(r"\[[^\]]*\]|\([^)]*\)", x.strip())]
    for line in lines[:30]:  # a table row "| what | HashiCorp Vault 1.16 … |"
        row = re.match(r"^\s*\|\s*(?:what|purpose|description|summary|what it is|what it does)\s*\|\s*([^|]{12,})\|",
                       line, re.I)
        if row:
            return row.group(1).strip()
    if name:
        # "ok, brain dump: hearth-prod is the Phoenix app …": a short lead-in and its colon go
        subject = re.compile(rf"(?i)^(?:[^:.]{{0,30}}:\s+)?([`*\"']*{re.escape(name)}[`*\"']*\s*(?:=|is|are|—|–|-|:)"
                             rf"\s+(.{{8,}}))")
        for sentence in sentences[:10]:
            said = subject.match(sentence)
            rest = re.sub(r"\([^)]*\)", "", said.group(2)).strip() if said else ""
            if said and not _DOC_KEY.search(rest[:60]) and not _REQUEST.search(rest):
                return said.group(1)
    for k, sentence in enumerate(sentences[:12]):  # "What it is: the primary OLTP database …" says it
        said = _SAYS_WHAT.match(sentence)
        if said and len(sentence[said.end():].split()) >= 3:
            return sentence[said.end():].strip()
        # an FAQ's "Q: What is it?" then "A: The Go gRPC service that …"
        if re.match(r"(?i)^(?:q\s*:\s*)?what\s+(?:is\s+it|is\s+this|does\s+it\s+do)\s*\??$", sentence) and \
                k + 1 < len(sentences):
            answer = re.sub(r"(?i)^a\s*:\s*", "", sentences[k + 1])
            if len(answer.split()) >= 3:
                return answer
    for sentence in sentences[:6]:
        if len(re.findall(r"(?:^|\s)[A-Z][\w-]*:\s", sentence)) >= 2:
            continue  # "Type: Task   Priority: High   Reporter: …": a ticket's fields
        if _DOC_KEY.fullmatch(sentence.split(":")[0].strip()) and ":" in sentence[:40]:
            continue  # "Handover notes: larkspur (…)"
        head, colon, rest = sentence.partition(":")
        if colon and len(head) < 40 and re.match(rf"\s*(?:{_DOC_KEY.pattern})\b", rest) and len(rest.split()) <= 4:
            continue  # "invoice-render: runbook needed"
        sentence = _ASK_FOR.sub("", sentence)
        sentence = re.sub(r"(?i)^(?:[\w ]{0,20}(?:quick brain ?dump|quick rundown|tl;?dr|context|so)\s*[:,-]\s*)",
                          "", sentence)
        sentence = re.sub(r"^[-*+]\s+", "", sentence)
        if _REQUEST.search(sentence) or len(sentence.split()) < 3:
            continue
        return sentence
    return sentences[0] if sentences else ""


# A ticket key ("OPS-4412"; upper case: "orders-01" is a name), a mention ("@here"), an emoji code
# (":wave:"), a version, a size: never the name.
_NOT_SALIENT = re.compile(r"[A-Z]{2,10}-\d+|(?i:v?\d[\d.]*[a-z]{0,2}|\d+(?:gb|mb|tb|ms|s|m|h|x|k))|"
                          r"(?i:.*\.(?:com|io|net|org|dev|app|internal|local|yml|yaml|json|md))")
_EMPHASIS = re.compile(r"\*\*([^*\s]{2,60})\*\*|__([^_\s]{2,60})__|`([^`\s]{2,60})`|\"([^\"\s]{2,60})\"")
_WORD = re.compile(r"[A-Za-z][\w.-]*[A-Za-z0-9]")


_ROLE_BEFORE = re.compile(r"(?i)\b(?:namespace|ns|bucket|queue|topic|database|db|schema|project|region|table|index|"
                          r"vhost|tenant|stream|exchange|keyspace|pool)\s*[:=]?\s*$")


# words that start a sentence saying what something is without naming it ("This is the …", "Everything is …")
_PRONOUNS = frozenset("this that there here what which everything nothing someone everyone it".split())


def salient_name(lines: list[str], is_technology: Callable[[str], bool],
                 common: frozenset[str] = frozenset()) -> str | None:
    """The name the opening lines mention that the whole text keeps using: "handing over **tariff-quoter**",
    "DATA-1187 [runbook] ingest-telemetry (…)", "@here writing down how hookrelay runs". A candidate is marked
    (bold, backticks, quotes), identifier-shaped, or a plain word the text also writes as a name on its own
    elsewhere (quoted, a path segment: "hookrelay", /opt/hookrelay); the one used most wins, and a marked
    name counts its uses as the head of an identifier too (**pointsvc** → pointsvc-api). A ticket key, a
    mention, an emoji, a version, a file, a domain and a technology's own name are never the service's."""
    content = [line for line in lines if line.strip()]
    opening = "\n".join(content[:3])
    text = "\n".join(lines)
    lowered = text.lower()
    marked = {next(g for g in m.groups() if g).strip(".,:;") for m in _EMPHASIS.finditer(opening)}
    # plain words written as a name on their own somewhere: marked, or a path segment
    # ("namespace `logging`" names a namespace: not the service, however often the text says it)
    as_name = {next(g for g in m.groups() if g).lower() for m in _EMPHASIS.finditer(text)
               if not _ROLE_BEFORE.search(text[max(0, m.start() - 24):m.start()])}
    as_name |= {seg.lower() for seg in re.findall(r"/([A-Za-z][\w-]*)(?=/)", text)}  # a directory, not /health
    best: tuple[int, int, str] | None = None
    for order, m in enumerate(_WORD.finditer(opening)):
        word = m.group(0).strip(".-")
        before = opening[max(0, m.start() - 1):m.start()]
        if before in {"@", ":", "#", "/", "$"} or _NOT_SALIENT.fullmatch(word) or not _ok(word) or \
                is_technology(word) or len(word) < 3 or word.isupper() or re.search(r"\d\.\d", word) or \
                any(part in common for part in re.split(r"[-_]", word.lower())[:1]):
            continue  # "php8.2-fpm" is a package, "in-process" a word
        shaped = _IDENT.fullmatch(word) is not None and word[0].islower()
        key = re.escape(word.lower())
        # the subject of a sentence that says what it is ("What it is: labsync is the Celery app …",
        # "claimsdesk = customer claims portal"): at a line's start, or after a full stop or a colon
        defined = len(re.findall(rf"(?m)(?:^\s*(?:[-*]\s+)?|[.:;]\s+)[*`\"']*{key}[*`\"']*\s+(?:is|=|runs|does)\s+"
                                 rf"(?:the|an?|our|\w+ing)?\b", lowered)) \
            if word.lower() not in _PRONOUNS and (word.islower() or word[1:].islower()) else 0
        if not (word in marked or shaped or defined or (word.islower() and word.lower() in as_name)):
            continue
        uses = len(re.findall(rf"(?<![\w.-]){key}(?![\w-])", lowered))
        if word in marked or defined:  # a marked or defined name: its identifiers count (pointsvc-api, pointsvc-dlq)
            uses += len(re.findall(rf"(?<![\w.-]){key}[-_.@]\w", lowered))
        subject = len(re.findall(rf"(?m)^\s*(?:[-*]\s+)?[*`\"']*{key}[*`\"']*\s+(?:is|=|:|runs|does)\s", lowered))
        score = uses + 2 * max(subject, defined) + (2 if word in marked else 0)
        if uses >= 2 and (best is None or score > best[0]):
            best = (score, -order, word)
    return best[2] if best else None
