"""Property tests for the parser causes a blind senior-SRE review found (random names, varied phrasings):
titles from greetings or mail headers, metric / flag / alert names taken for resources, people and
escalation contacts dropped, the team's own alerts ignored, regions / brokers / hosts cut to one,
technologies the vocabulary did not know.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agent.knowledge import repository_alerts
from agent.knowledge.facts import facts_from_model
from agent.knowledge.policy import escalation
from agent.service.text import _DOC_WORDS, _LEAD_DROP, _STOP, parse
from agent.service.vocabulary import norm, vocabulary

_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=6).filter(
    lambda p: not p.isdigit())
# identifier-like names: ledger-sync, qx-billing-02 …
IDENT = st.builds(lambda a, b: f"{a}-{b}", _letters, _part)

GREETINGS = ["", "Hey team,\n\n", "Hi all,\n", "Hi all — ", "Hello folks! ", "Hey, ", "ok so ", "FYI ",
             "Hi Priya,\n\n", "Morning all. ", "Subject: runbook please\n\n", "Subject: Re: outage last week\n"
             "From: sam@example.com\n\nHi team,\n", "Heads up: ", "Quick one: ", "TL;DR: "]
INTROS = ["the {v} service runs on EKS.", "{v} is our worker on GKE.", "`{v}` is the API behind checkout.",
          "we run a service called {v} on two VMs.", "our payments API ({v}) runs on ECS.",
          "this is the pipeline named {v}; it loads invoices nightly.", "the Go {v} worker consumes SQS.",
          "we need a runbook for {v}. It runs on EKS.", "service: {v}\nIt runs on EKS.",
          "{v}: the Python service that settles payments.", "- Team: payments\n- On-call: PagerDuty\n\n{v} is our API."]
OPENERS = {"hey", "hi", "hello", "subject", "re", "from", "ok", "so", "fyi", "morning", "heads", "quick", "tl", "tldr",
           "team", "all", "folks", "priya"}


@_FAST
@given(name=IDENT, greeting=st.sampled_from(GREETINGS), intro=st.sampled_from(INTROS))
def test_the_title_is_the_name_the_text_gives_never_a_greeting_or_header(name: str, greeting: str, intro: str) -> None:
    text = greeting + intro.format(v=name)
    text = text[0].upper() + text[1:]
    model = parse(text)
    assert model.service.name == name, (text, model.service.name)


# words the vocabulary gives no meaning ("the rust api" is a Rust API, its name is not "rust")
_WORD = _letters.filter(lambda w: norm(w) not in vocabulary().tech_words and w not in vocabulary().modifiers
                        and w not in _LEAD_DROP and w not in _DOC_WORDS and w not in vocabulary().noun_roles
                        and w not in _STOP)  # "the have api": an English function word is no name by design


@_FAST
@given(greeting=st.sampled_from([g for g in GREETINGS if g]), words=st.lists(_WORD, min_size=1, max_size=2))
def test_a_greeting_or_header_never_becomes_the_title(greeting: str, words: list[str]) -> None:
    text = greeting + f"the {' '.join(words)} api runs on EKS and reads PostgreSQL."
    model = parse(text)
    parts = set(model.service.name.split("-"))
    assert not parts & OPENERS - set(words), (text, model.service.name)
    assert set(words) <= parts, (text, model.service.name)


# --- people and escalation -------------------------------------------------------------------------------------
# given names, not English function words or the verbs of an escalation step ("Aa Then" is no one's name;
# "then Notify Aa" tells the reader to notify Aa)
_NOT_NAMES = {"then", "after", "within", "page", "call", "if", "escalate", "via", "notify", "inform", "ping",
              "contact", "ask", "tell", "alert", "wake", "email", "text", "phone", "loop", "cc", "when", "while",
              "until", "unless", "once", "before", "or", "and", "but", "so", "still", "not", "no", "min", "mins",
              "minutes", "hour", "hours", "h", "up", "down", "next", "last", "first", "finally", "also"}
_NAME_PART = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=7).filter(
    lambda w: w not in _STOP and w not in _NOT_NAMES).map(
    str.capitalize)
PERSON = st.builds(lambda a, b: f"{a} {b}", _NAME_PART, _NAME_PART)
TITLES = ["DB lead", "EM", "VP Eng", "payments lead", "SRE manager", "DBA"]
ESCALATIONS = [
    "Escalate to {p} ({r}) after {n} min.",
    "If it is not fixed after {n} minutes, escalate to {p} ({r}).",
    "After {n} min, page {p} ({r}).",
    "Escalation: {p} ({r}) after {n} min, then {q} after {m} min.",
    "- Escalation path: {p} ({r}) after {n} min → {q} after {m} min",
    "We escalate to {p} ({r}) within {n} minutes, then to {q} after {m} minutes.",
]


def _people(text: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for p in parse(text).people:
        out.setdefault(p.role, []).append((p.value, p.qualifier))
    return out


@_FAST
@given(p=PERSON, q=PERSON, r=st.sampled_from(TITLES), n=st.integers(5, 59), m=st.integers(60, 180),
       template=st.sampled_from(ESCALATIONS), svc=IDENT)
def test_every_escalation_contact_is_kept_with_its_delay(p: str, q: str, r: str, n: int, m: int, template: str,
                                                         svc: str) -> None:
    text = f"The {svc} service runs on EKS. Alerts page the PagerDuty rotation {svc}-primary.\n\n" + template.format(
        p=p, q=q, r=r, n=n, m=m)
    steps = _people(text).get("escalation", [])
    assert (f"{p} ({r})", f"after {n} min") in steps, (text, steps)
    if "{q}" in template:
        assert (q, f"after {m} min") in steps, (text, steps)
    assert not any(c.names for c in parse(text).components if c.id != "app"), text  # "(DB lead)" names nothing


@_FAST
@given(p=PERSON, svc=IDENT, template=st.sampled_from(["Secondary on-call: {p}.", "The secondary is {p}.",
                                                      "- Secondary: {p}", "Primary is the rota; secondary: {p}."]))
def test_the_secondary_is_kept(p: str, svc: str, template: str) -> None:
    text = f"The {svc} service runs on GKE.\n\n" + template.format(p=p)
    assert (p, "") in _people(text).get("secondary", []), text


VENDORS = ["Confluent", "Elastic", "Aiven", "Cloudflare", "Fastly", "Twilio", "Snowflake", "AWS", "Datastax"]


@_FAST
@given(vendor=st.sampled_from(VENDORS), user=_letters, phone=st.integers(1000000, 9999999), svc=IDENT,
       template=st.sampled_from([
           "Vendor support: {v} ({u}@{d}, P1 via portal).", "{v} support: +1 555 {ph}.",
           "For outages open a case with {v} support via the portal.", "- Vendors: {v} ({u}@{d})",
           "{v} Enterprise Support is our plan; call +44 20 {ph}."]))
def test_vendor_support_contacts_are_kept(vendor: str, user: str, phone: int, svc: str, template: str) -> None:
    text = f"The {svc} service runs on EKS.\n\n" + template.format(v=vendor, u=user, d=f"{vendor.lower()}.io", ph=phone)
    vendors = dict(_people(text).get("vendor", []))
    assert vendor in vendors, (text, vendors)
    detail = vendors[vendor]
    assert f"{user}@" in detail or str(phone) in detail.replace(" ", "") or "portal" in detail, (text, detail)


@_FAST
@given(team=st.one_of(_NAME_PART, IDENT), channel=_letters, svc=IDENT, template=st.sampled_from([
    "Owned by the {t} team; chat in #{c}.", "- Team: {t}\n- Slack: #{c}", "The {t} team owns it (#{c}).",
    "Owner: {t} team. Channel #{c}.", "The owning team is {t}; alerts go to #{c}."]))
def test_owner_team_and_channel_are_kept(team: str, channel: str, svc: str, template: str) -> None:
    assume(not (team.islower() and template.startswith("The {t} team owns")))  # a lower-case word there is no name
    text = f"The {svc} service runs on EKS.\n\n" + template.format(t=team, c=channel)
    people = _people(text)
    assert [v for v, _ in people.get("team", [])] in ([f"{team} team"], [team]), (text, people)
    assert (f"#{channel}", "") in people.get("channel", []), (text, people)


@_FAST
@given(p=PERSON, q=PERSON, s2=PERSON, n=st.integers(5, 59), m=st.integers(60, 180), svc=IDENT,
       oncall=st.sampled_from(["24x7", "business-hours", "follow-the-sun", "none"]))
def test_the_runbooks_escalation_names_the_given_people(p: str, q: str, s2: str, n: int, m: int, svc: str,
                                                        oncall: str) -> None:
    text = (f"The {svc} service runs on EKS. The secondary is {s2}. Escalate to {p} (DB lead) after {n} min, "
            f"then {q} after {m} min.")
    steps = escalation(oncall, "high", facts_from_model(parse(text), text))
    contacts = [(step.contact, step.after_minutes) for step in steps]
    assert (p + " (DB lead)", n) in contacts and (q, m) in contacts, contacts
    if oncall in ("24x7", "follow-the-sun"):
        assert any(s2 in c for c, _ in contacts), contacts


# --- the team's own alerts -----------------------------------------------------------------------------------
def _camel(parts: list[str]) -> str:
    return "".join(p.capitalize() for p in parts)


ALERT_FORMS = [
    "The {a} alert fires when {metric} {op} {v}{u} for {d} minutes (critical).",
    "Existing alerts: {a} ({metric} {op} {v}{u} for {d}m, page), {b} (up == 0 for 2m).",
    "We already have an alert `{a}`: {metric} {op} {v}{u} for {d} min.",
    "Alert {a} pages us when {metric} {op} {v}{u} for {d} minutes.",
    "## Alerts\n\n- {a}: {metric} {op} {v}{u} for {d}m (warning)\n- `{b}` — up == 0 for 2m\n\n"
    "## Owners\n\nThe Ledger team.",
]
OPS = {">": ">", "above": ">", "exceeds": ">", "over": ">", "<": "<", "below": "<", "drops below": "<"}


@_FAST
@given(a=st.lists(_WORD, min_size=2, max_size=3).map(_camel), b=st.lists(_WORD, min_size=2, max_size=3).map(_camel),
       metric=st.sampled_from(["consumer lag", "queue depth", "p99 latency", "5xx rate", "disk usage",
                               "replication lag", "error rate"]),
       op=st.sampled_from(list(OPS)), v=st.integers(1, 9000), u=st.sampled_from(["", "%", "ms", " s"]),
       d=st.integers(2, 30), form=st.sampled_from(ALERT_FORMS), svc=IDENT)
def test_alerts_the_team_has_become_model_alerts_and_alert_rows(a: str, b: str, metric: str, op: str, v: int, u: str,
                                                                d: int, form: str, svc: str) -> None:
    text = f"The {svc} service runs on EKS and reads PostgreSQL.\n\n" + form.format(a=a, b=b, metric=metric, op=op,
                                                                                   v=v, u=u, d=d)
    model = parse(text)
    alert = next((x for x in model.alerts if x.name == a), None)
    assert alert is not None, (text, [(x.name, x.expr) for x in model.alerts])
    assert alert.expr == f"{metric} {OPS[op]} {v} {u.strip()}".strip() and alert.duration == f"{d}m", (text, alert)
    assert any(f.key == "threshold" and f.value == str(v) and f.qualifier == metric for f in model.figures), text
    assert not any(n.value == a for _, n in model.all_names()), text  # an alert's name is no resource
    rows, _ = repository_alerts.rows(model.alerts, [])
    row = next(r for r in rows if r.name == a)
    # a described alert's row says what it compares, in the team's words, with its number and duration
    assert row.condition.startswith(f"{metric} {OPS[op]} {v}") and row.condition.endswith(f"for {d}m"), row.condition
    assert "Repository rule" not in row.response and "()" not in row.response, row.response


# --- metric, flag, alert and config names are not resources or teams ---------------------------------------------
METRIC_FORMS = [
    "We watch the queue metric {m}.", "The {m} metric tracks the topic lag.", "Feature flag {f} gates the database "
    "writes.", "The {f} feature flag is on in the cluster.", "Config key {k} sets the pool size.",
    "The database setting {k} is 20.", "Env var {e}=20 tunes the consumer group.", "The deployment flag --{f}=3.",
    "Dashboards: the {m} panel shows the bucket usage.", "The namespace label {k} is set.",
]


@_FAST
@given(parts=st.lists(_WORD, min_size=2, max_size=4), form=st.sampled_from(METRIC_FORMS), svc=IDENT)
def test_metric_flag_and_config_names_are_not_resources_or_teams(parts: list[str], form: str, svc: str) -> None:
    metric, flag, key, env = "_".join(parts), "-".join(parts), ".".join(parts), "_".join(parts).upper()
    text = (f"The {svc} service runs on EKS with Kafka, PostgreSQL and S3. Owned by the Ledger team.\n\n"
            + form.format(m=metric, f=flag, k=key, e=env))
    model = parse(text)
    given = {metric, flag, key, env, f"--{flag}", f"{env}=20", f"--{flag}=3"}
    assert not [n.value for _, n in model.all_names() if n.value in given], (text, list(model.all_names()))
    assert not [p.value for p in model.people if any(g in p.value for g in given)], text
    assert not [u.text for u in model.unbound if u.text in given], (text, model.unbound)


# --- topology: every region, broker, host and member is kept -------------------------------------------------
AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"]
ACTIVE_FORMS = ["It runs active-active in {a} and {b}.", "It runs in two active regions, {a} and {b}.",
                "Both regions are active: {a} and {b}.", "It serves traffic from both {a} and {b} (active-active).",
                "Regions: {a} and {b}, both active."]


@_FAST
@given(regions=st.lists(st.sampled_from(AWS_REGIONS), min_size=2, max_size=2, unique=True),
       form=st.sampled_from(ACTIVE_FORMS), svc=IDENT)
def test_two_active_regions_are_both_kept_as_active(regions: list[str], form: str, svc: str) -> None:
    text = f"The {svc} service runs on EKS with PostgreSQL. " + form.format(a=regions[0], b=regions[1])
    model = parse(text)
    assert model.topology.mode == "active-active", (text, model.topology)
    assert {(r.name, r.role) for r in model.topology.regions} == {(regions[0], "active"), (regions[1], "active")}, text


MEMBER_FORMS = [
    ("Kafka", "kafka", "It uses Kafka with brokers {list}."), ("Kafka", "kafka", "It uses Kafka; brokers: {list}."),
    ("RabbitMQ", "rabbitmq", "It uses a RabbitMQ cluster on nodes {list}."),
    ("MongoDB", "mongodb", "It uses a MongoDB replica set with members {list}."),
    ("", "app", "It runs on the hosts {list} under systemd."), ("", "app", "It runs on VMs: {list}."),
    ("PostgreSQL", "postgresql", "PostgreSQL runs on the servers {list}."),
]


@_FAST
@given(stem=_letters, count=st.integers(2, 5), domain=st.sampled_from(["", ".int", ".prod.internal"]),
       joiner=st.sampled_from(["and", "comma", "range", "brackets", "braces"]), form=st.sampled_from(MEMBER_FORMS),
       svc=IDENT)
def test_every_member_of_a_list_or_range_is_kept(stem: str, count: int, domain: str, joiner: str,
                                                 form: tuple[str, str, str], svc: str) -> None:
    hosts = [f"{stem}-{i:02d}{domain}" for i in range(1, count + 1)]
    written = {"and": ", ".join(hosts[:-1]) + " and " + hosts[-1], "comma": ", ".join(hosts),
               "range": f"{stem}-01..{count:02d}{domain}", "brackets": f"{stem}-[01-{count:02d}]{domain}",
               "braces": f"{stem}-{{01..{count:02d}}}{domain}"}[joiner]
    _, component, sentence = form
    text = f"The {svc} service runs on VMs. " + sentence.format(list=written)
    model = parse(text)
    comp = model.app if component == "app" else next((c for c in model.components if c.technology == component), None)
    assert comp is not None and comp.names_of("host") == hosts, (text, model.model_dump()["components"])


# --- technologies real ops descriptions name ------------------------------------------------------------------
TECHNOLOGIES = [  # (words, technology id, a role noun its names take, the role)
    ("HashiCorp Vault", "vault", "cluster", "cluster"), ("Vault", "vault", "hosts", "host"),
    ("Consul", "consul", "cluster", "cluster"), ("etcd", "etcd", "hosts", "host"),
    ("ClickHouse", "clickhouse", "cluster", "cluster"), ("OpenSearch", "opensearch", "index", "index"),
    ("Amazon OpenSearch", "opensearch", "index", "index"), ("Cassandra", "cassandra", "keyspace", "database"),
    ("ScyllaDB", "scylladb", "keyspace", "database"), ("MinIO", "minio", "bucket", "bucket"),
    ("Temporal", "temporal", "namespace", "namespace"), ("NATS", "nats", "stream", "stream"),
    ("NATS JetStream", "nats", "stream", "stream"), ("Pub/Sub", "pubsub", "subscription", "subscription"),
    ("Traefik", "traefik", "port", "port"), ("HAProxy", "haproxy", "port", "port"), ("Envoy", "envoy", "port", "port"),
    ("ZooKeeper", "zookeeper", "hosts", "host"), ("CockroachDB", "cockroachdb", "database", "database"),
    ("Cloud Spanner", "spanner", "instance", "instance"), ("Azure Service Bus", "service-bus", "queue", "queue"),
]


@_FAST
@given(name=IDENT, svc=IDENT, case=st.sampled_from(TECHNOLOGIES),
       form=st.sampled_from(["It uses {t} ({n} {v}).", "It uses the {t} {n} {v}.", "It talks to {t} ({n}: {v})."]))
def test_technologies_of_real_descriptions_are_components_with_their_names(name: str, svc: str,
                                                                          case: tuple[str, str, str, str],
                                                                          form: str) -> None:
    words, ident, noun, role = case
    assume(name != svc)
    value = "9042" if role == "port" else name
    text = f"The {svc} service runs on EKS. " + form.format(t=words, n=noun, v=value)
    model = parse(text)
    comp = next((c for c in model.components if c.technology == ident), None)
    assert comp is not None, (text, [c.technology for c in model.components])
    assert value in comp.names_of(role), (text, model.model_dump()["components"])


@given(case=st.sampled_from([("Nomad", "nomad"), ("Heroku", "heroku"), ("Fly.io", "fly"), ("Cloud Run", "cloud-run"),
                             ("Istio", "istio"), ("Linkerd", "linkerd"), ("KEDA", "keda")]), svc=IDENT)
@_FAST
def test_platforms_meshes_and_scalers_are_known(case: tuple[str, str], svc: str) -> None:
    words, ident = case
    text = f"The {svc} service runs on {words} and reads PostgreSQL."
    model = parse(text)
    assert model.service.name == svc
    tech = vocabulary().technologies[ident]
    if tech.component:
        assert any(c.technology == ident for c in model.components), text
    else:  # a platform or a tool: not a component, and never a name
        assert not any(c.technology == ident for c in model.components if c.id != "app"), text
        assert not any(n.value.lower() == words.lower() for _, n in model.all_names()), text


@_FAST
@given(name=IDENT, svc=IDENT, tech=st.sampled_from([("Redis", "redis"), ("PgBouncer", "pgbouncer"),
                                                     ("PostgreSQL", "postgresql"), ("RabbitMQ", "rabbitmq"),
                                                     ("MongoDB", "mongodb"), ("HAProxy", "haproxy")]),
       form=st.sampled_from(['Connections go through the {t} "{v}".', "Sessions are kept in the {t} ({v}).",
                             "{v} is our {t}.", "- {v} is our {t}."]),
       domain=st.sampled_from(["", ".internal"]))
def test_a_name_right_after_a_stores_word_is_where_it_is_reached(name: str, svc: str, tech: tuple[str, str],
                                                                  form: str, domain: str) -> None:
    assume(name != svc)
    words, ident = tech
    value = name + domain
    text = f"The {svc} service runs on VMs.\n\n" + form.format(t=words, v=value)
    comp = next((c for c in parse(text).components if c.technology == ident), None)
    assert comp is not None and value in comp.names_of("host"), (text, parse(text).model_dump()["components"])


@_FAST
@given(a=IDENT, b=IDENT, group=IDENT, svc=IDENT, form=st.sampled_from([
    "The brokers are {a}.int:9092, {b}.int:9092. It consumes as the {g} consumer group.",
    "Bootstrap servers: {a}.int:9092 and {b}.int:9092; consumer group {g}."]))
def test_bootstrap_servers_imply_kafka_when_it_is_not_named(a: str, b: str, group: str, svc: str, form: str) -> None:
    assume(len({a, b, group, svc}) == 4)
    text = f"This is the API named {svc}; it stores user sessions. It runs on VMs. " + form.format(a=a, b=b, g=group)
    model = parse(text)
    kafka = next((c for c in model.components if c.technology == "kafka"), None)
    assert kafka is not None and kafka.names_of("bootstrap") == [f"{a}.int:9092", f"{b}.int:9092"], text
    assert kafka.names_of("consumer_group") == [group], text
    assert model.app is not None and svc not in model.app.names_of("host") and not model.app.names_of("user"), text
