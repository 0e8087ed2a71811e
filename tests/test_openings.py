"""How a description opens: a chat export, an FAQ, a service sheet, a ticket's fields; and a bare 'Other'.

Blind batch h: a Slack export ("priya.raman  09:12  ok writing …", "payments-events = our Kafka cluster")
was read as an app with no technology and refused for `--type F`; a service sheet's "| what | HashiCorp
Vault … |" and an FAQ's "Q: What is it? / A: The Go gRPC service …" lost their purpose to the header; "The Go
gRPC service" made "gRPC" the service's name. Property-based: random names, speakers and technologies.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import Answers, from_flags, specify_other
from agent.errors import UsageError
from agent.rule import default_rule_path, load_rule
from agent.service.text import parse

RULE = load_rule(default_rule_path())
NAME = st.from_regex(r"\A[a-z]{4,8}-[a-z]{4,7}\Z", fullmatch=True)
SPEAKER = st.from_regex(r"\A[a-z]{3,7}\.[a-z]{3,8}\Z", fullmatch=True)
STORE = st.sampled_from([("Kafka", "kafka"), ("RabbitMQ", "rabbitmq"), ("Cassandra", "cassandra"),
                         ("Elasticsearch", "elasticsearch"), ("Redis", "redis")])


def export(name: str, a: str, b: str, store: str) -> str:
    pad = " " * (len(a) + 9)
    return (f"[#team-oncall export, pinned thread \"{name}: what on-call needs to know\"]\n\n"
            f"{a}  09:12  ok writing this down once so nobody has to ask again. {name} = our {store}\n"
            f"{pad}cluster for the payments domain, in namespace data-prod on EKS.\n"
            f"{b}  09:20  main consumer is the settlement writer. lag alert pages after\n"
            f"{' ' * (len(b) + 9)}10 min.\n")


@settings(max_examples=25, deadline=None)
@given(name=NAME, a=SPEAKER, b=SPEAKER, store=STORE)
def test_a_chat_export_is_read_as_its_messages(name: str, a: str, b: str, store: tuple[str, str]) -> None:
    model = parse(export(name, a, b, store[0]))
    assert model.service.name == name
    assert model.app is not None and model.app.technology == store[1], [(c.id, c.technology) for c in model.components]
    assert model.service.purpose.startswith(f"{name} = our {store[0]}"), model.service.purpose
    words = " ".join(n.value for c in model.components for n in c.names)
    assert a not in words and b not in words  # a speaker is no name


@settings(max_examples=10, deadline=None)
@given(name=NAME, a=SPEAKER, b=SPEAKER, store=STORE)
def test_a_bare_other_takes_its_text_from_what_the_service_is(name: str, a: str, b: str,
                                                              store: tuple[str, str]) -> None:
    model = parse(export(name, a, b, store[0]))
    answers = specify_other(from_flags(RULE, {"type": "F"}), model)
    answer = answers.get("type")
    assert answer is not None and answer.free_text and answer.free_text.startswith(store[0])
    assert answer.assumed and "without its text" in answer.reason
    with pytest.raises(UsageError, match="needs a description"):  # --strict asks for the text
        specify_other(from_flags(RULE, {"type": "F"}), model, strict=True)


@settings(max_examples=25, deadline=None)
@given(name=NAME, what=st.sampled_from(["the outbound mail relay for all internal apps", "our licence server",
                                        "the fax gateway of the claims team"]),
       sep=st.sampled_from([": ", " — ", " is "]))
def test_a_bare_other_of_an_unknown_technology_takes_what_the_description_says_it_is(name: str, what: str,
                                                                                    sep: str) -> None:
    model = parse(f"{name}{sep}{what}. It runs on two VMs, {name}-a and {name}-b.")
    answer = specify_other(from_flags(RULE, {"type": "F"}), model).get("type")
    assert answer is not None and answer.assumed and answer.free_text
    assert answer.free_text.split()[-1] in what and name not in answer.free_text.split()[0], answer.free_text
    with pytest.raises(UsageError, match="needs a description"):  # --strict asks for the text
        specify_other(from_flags(RULE, {"type": "F"}), model, strict=True)


def test_a_bare_other_with_nothing_to_go_on_is_still_an_error() -> None:
    with pytest.raises(UsageError, match="needs a description"):
        specify_other(from_flags(RULE, {"type": "F"}), parse("a thing that does stuff for people"))
    kept = specify_other(from_flags(RULE, {"type": "F: secrets store"}), None)
    assert kept.get("type") is not None and kept.get("type").free_text == "secrets store"  # type: ignore[union-attr]
    assert specify_other(Answers(), None) == Answers()


@settings(max_examples=25, deadline=None)
@given(name=NAME, proto=st.sampled_from(["gRPC", "GraphQL", "REST"]),
       lang=st.sampled_from(["Go", "Java", "Rust"]))
def test_an_faq_answer_is_the_purpose_and_a_protocol_is_no_name(name: str, proto: str, lang: str) -> None:
    text = (f"{name} — on-call FAQ (team pricing)\n\nQ: What is it?\nA: The {lang} {proto} service that computes "
            f"the final price of a basket. Every checkout calls it.\n\nQ: Where does it run?\nA: EKS, namespace "
            f"pricing, Deployment `{name}`.\n")
    model = parse(text)
    assert model.service.name == name
    assert model.service.purpose.startswith(f"The {lang} {proto} service that computes"), model.service.purpose


@settings(max_examples=25, deadline=None)
@given(name=NAME, label=st.sampled_from(["what", "purpose", "Description"]))
def test_a_service_sheet_row_is_the_purpose(name: str, label: str) -> None:
    text = (f"{name} — service sheet (security-platform)\n\n| field | value |\n|---|---|\n"
            f"| {label} | HashiCorp Vault 1.16, integrated storage (Raft); every service's secrets |\n"
            f"| nodes | {name}-1.sec.example.io, {name}-2.sec.example.io |\n")
    assert parse(text).service.purpose.startswith("HashiCorp Vault 1.16"), parse(text).service.purpose


@settings(max_examples=20, deadline=None)
@given(name=NAME, reporter=st.sampled_from(["Sam Okafor", "Ana Lima"]))
def test_a_tickets_fields_are_not_its_purpose(name: str, reporter: str) -> None:
    text = (f"{name}: runbook needed\n\nType: Task   Priority: High   Reporter: {reporter}   Component: billing\n\n"
            f"{name} turns finalized invoices into PDF files and emails them to customers.\n")
    purpose = parse(text).service.purpose
    assert "Priority:" not in purpose and "PDF" in purpose, purpose


@settings(max_examples=30, deadline=None)
@given(name=NAME, channel=NAME, rota=NAME, a=SPEAKER,
       tech=st.sampled_from(["Temporal, server v1.24", "Kafka 3.7", "Keycloak", "NATS JetStream"]),
       pager=st.sampled_from(["PagerDuty", "Opsgenie"]))
def test_a_pinned_primer_is_named_by_what_it_is_for_not_by_its_channel_or_pager(
        name: str, channel: str, rota: str, a: str, tech: str, pager: str) -> None:
    """'[#workflow-platform, pinned] / on-call primer for temporal-prod (our self-hosted Temporal, …)', paged
    through 'PagerDuty service `workflow-platform`': the service is temporal-prod."""
    pad = " " * (len(a) + 9)
    text = (f"[#{channel}, pinned]\n\n{a}  10:02  on-call primer for {name} (our self-hosted {tech}). follow-the-sun,\n"
            f"{pad}{pager} service `{rota}`.\n{a}  10:03  where: GKE cluster gke-prod, namespace `apps`.\n")
    assert parse(text).service.name == name


GREETED = st.sampled_from(["Joaquín", "Zoë", "Łukasz", "Ana", "Søren Berg"])
DOC_TITLES = st.sampled_from(["Postmortem PIM-2291 — order emails delayed 3h40m (2024-05-14)",
                              'Design doc: Central logging v2 (Loki) — excerpt, §7 "Operations"',
                              "Retro OPS-118: the night the queue stopped"])


@settings(max_examples=30, deadline=None)
@given(name=NAME, who=GREETED, filler=st.sampled_from(["As promised", "As discussed", "So"]))
def test_a_handover_mail_is_named_by_its_catalog_name_not_its_greeting(name: str, who: str, filler: str) -> None:
    """Batch j: 'Hi Joaquín, / As promised, … ("ratelimit-redis" in the service catalog)' was titled Joaquín."""
    text = (f"Subject: Handover – ratelimit Redis cluster\n\nHi {who},\n\n{filler}, here's everything about the Redis "
            f'cluster behind the rate limiter ("{name}" in the service catalog) before I move teams.\n')
    assert parse(text).service.name == name


@settings(max_examples=30, deadline=None)
@given(name=NAME, title=DOC_TITLES, form=st.sampled_from([
    'The mailer workers were idle: the RabbitMQ cluster that carries notifications ("{n}") blocked publishers.',
    "Loki 3.1 from the grafana/loki chart, installed as a Flux HelmRelease named `{n}` in namespace `logs`."]))
def test_under_a_document_title_the_service_is_the_thing_the_text_names(name: str, title: str, form: str) -> None:
    """'Postmortem PIM-2291 — …' and 'Design doc: Central logging v2 (Loki)' are documents, not services."""
    text = f"{title}\n\nStatus: final. Author: Grace Adeyemi.\n\n## Summary\n{form.format(n=name)}\n"
    assert parse(text).service.name == name


@settings(max_examples=20, deadline=None)
@given(name=NAME)
def test_a_quoted_name_after_a_document_key_is_whole(name: str) -> None:
    """'Handover: "orbit-ts" Cassandra ring' is orbit-ts, not the part before its hyphen."""
    assert parse(f'Handover: "{name}" Cassandra ring (Pieter, leaving 15 Dec)\n\nWhat it is: Cassandra 4.1.').service \
        .name == name


@settings(max_examples=30, deadline=None)
@given(name=NAME, cluster=NAME, service=NAME, domain=st.sampled_from(["aws.amazon.com", "backstage.io", "example.com"]))
def test_a_pasted_catalog_entrys_annotations_name_their_roles(name: str, cluster: str, service: str,
                                                              domain: str) -> None:
    """Batch j: a Backstage entry's 'aws.amazon.com/ecs-cluster: prod-apps' was not read as the ECS cluster."""
    text = (f"(pasted from our Backstage entry)\n\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
            f"  name: {name}\n  annotations:\n    {domain}/ecs-cluster: {cluster}\n"
            f"    {domain}/ecs-service: {service}\nnotes:\n  runs on Fargate in eu-west-2.\n")
    app = parse(text).app
    assert app is not None
    assert app.name("cluster") == cluster and app.name("ecs_service") == service, app.names


@settings(max_examples=30, deadline=None)
@given(name=NAME, rota=NAME, pager=st.sampled_from(["PagerDuty", "Opsgenie"]),
       env=st.sampled_from(["on EKS cluster eks-prod-use1, namespace shop", "on ECS Fargate, cluster prod-apps"]),
       quote=st.sampled_from(["`", '"', ""]))
def test_a_pagers_service_is_the_rotation_not_a_workload(name: str, rota: str, pager: str, env: str,
                                                          quote: str) -> None:
    """Batch j review: every kubectl command targeted `payments-core`, the PagerDuty service's name."""
    model = parse(f"{name} is the Node 20 service {env}.\n\nPaging: {pager} service {quote}{rota}{quote}, 24/7.")
    assert model.app is not None and rota not in [n.value for n in model.app.names], model.app.names
    assert ("rotation", rota) in [(p.role, p.value) for p in model.people]


_WORD = st.from_regex(r"\A[a-z]{4,8}\Z", fullmatch=True)


@settings(max_examples=30, deadline=None)
@given(name=NAME, greeting=st.sampled_from(["Hola", "Hallo", "Bonjour", "Ciao", "Olá", "Hej", "Moin", "Hello"]),
       store=st.sampled_from(["MariaDB Galera cluster", "Cassandra ring", "RabbitMQ cluster", "MongoDB replica set"]),
       phrase=st.sampled_from(['the name of cluster is "{n}"', "the cluster's name is `{n}`",
                               "the name of the ring is {n}", 'cluster named "{n}"']))
def test_a_greeting_in_any_language_is_no_name_and_the_store_says_its_own(name: str, greeting: str, store: str,
                                                                         phrase: str) -> None:
    text = (f"{greeting}, this is the description of our database for the runbook. Sorry for my english.\n\n"
            f"We have {store} with 3 node, {phrase.format(n=name)}. The nodes are {name}-01, {name}-02.")
    model = parse(text)
    assert model.service.name == name, model.service.name


@settings(max_examples=30, deadline=None)
@given(a=_WORD, b=_WORD, tech=st.sampled_from(["ingress-nginx + cert-manager", "Kafka 3.7", "nginx, keepalived"]),
       key=st.from_regex(r"\A[A-Z]{3,5}-\d{2,4}\Z", fullmatch=True))
def test_the_subject_of_a_runbook_title_is_the_services_name(a: str, b: str, tech: str, key: str) -> None:
    if a == b:
        return
    text = (f"{key}  Runbook: {a} {b} ({tech}) on shared-prod-1\nType: Task    Priority: High\n\n"
            f"The {a} {b} runs {tech.split()[0]} in namespace {b}-system.")
    assert parse(text).service.name == f"{a}-{b}"


@settings(max_examples=30, deadline=None)
@given(name=NAME, host=NAME, quote=st.sampled_from(['"', "`", "'"]))
def test_service_and_a_quoted_name_state_the_services_name(name: str, host: str, quote: str) -> None:
    if name == host:
        return
    text = (f"#inc-2291-disk  (Slack export, times CET)\n\n[08:52] PagerDuty: [Triggered] DiskUsage 97% on {host}\n"
            f"[08:55] deniz.yilmaz: ack, builds stuck\n\nFacts for the runbook (service {quote}{name}{quote}):\n"
            f"- controller {host}, Ubuntu 22.04\n")
    assert parse(text).service.name == name
    paged = f"{host} is our CI controller. Alerts go to the PagerDuty service {quote}ci-pages{quote}."
    assert parse(paged).service.name != "ci-pages"


PERSON = st.tuples(st.sampled_from(["Jess", "Dami", "Ana", "Kwame", "Li"]),
                   st.sampled_from(["Whitfield", "Okafor", "Lima", "Mensah", "Wei"])).map(" ".join)


@settings(max_examples=25, deadline=None)
@given(name=NAME, channel=NAME, a=PERSON, b=PERSON, store=STORE)
def test_a_thread_copied_from_slack_is_named_by_its_subject_not_its_channel_or_first_question(
        name: str, channel: str, a: str, b: str, store: tuple[str, str]) -> None:
    """Slack's copy of a thread: '#channel, thread export', then 'Jess Whitfield  10:02' on a line of its own
    above each message. The channel, the speakers and the first question are the frame; the service is the
    name the thread says what it is (blind l08: 'eng-fires', then 'Jess Whitfield 10')."""
    text = (f"#{channel}, thread export, Tue 14 May\n\n{a}  10:02\nhey, could someone write down how prod works "
            f"before I'm on call alone next week\n\n{b}  10:05\nfair. ok, brain dump:\n{name} is the Phoenix app on "
            f"Fly.io, backed by {store[0]}.\nconnect with `fly ssh console -a {name}`\n\n{a}  10:08\nhow do deploys "
            f"work\n\n{b}  10:10\nGH Actions runs `fly deploy -a {name}` on merge.\n")
    model = parse(text)
    assert model.service.name == name, model.service
    assert model.service.purpose.startswith(f"{name} is the Phoenix app"), model.service.purpose
    assert any(c.technology == store[1] for c in model.components)


@settings(max_examples=25, deadline=None)
@given(name=NAME, other=NAME, re_=st.sampled_from(["", "Re: ", "Fwd: "]))
def test_a_mails_subject_names_the_service_its_body_talks_about(name: str, other: str, re_: str) -> None:
    """'Subject: clickstream-pipeline: handover …' above a body that uses the name: the subject's name is the
    service, not the first identifier of the body's flow (blind l10 was titled after its Kinesis stream)."""
    text = (f"Subject: {re_}{name}: handover + what to do when it pages\nFrom: Owen Price\n\nHi all,\n\n"
            f"Since Nadia's team takes {name} over from next sprint, here is the short version.\n"
            f"The flow: SDKs -> Kinesis Data Stream {other} -> Lambda {other}-enricher -> S3. {other} has 8 shards.\n")
    assert parse(text).service.name == name
