"""Property-based tests of the general binding rules (agent/service/text.py): config keys bind their value
to the role the key means, flow verbs bind what a messaging technology carries, a product of untold
engine holds its names, a name set off by commas binds, the service's name comes from what the text says
is the service, and prose (English words, quantities, word pairs) is never a name nor listed as unplaced.

Names are random identifiers, phrasings vary; nothing here is taken from an evaluation description.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.service.model import ServiceModel
from agent.service.text import _slug, parse

_FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7).map(lambda w: w + "q")
_digits = st.integers(min_value=1, max_value=99).map(str)
# identifiers: "vorq-ledq-7", "brisq.setq.v2": never English words, always identifier-shaped
HYPHENATED = st.builds(lambda a, b, n: f"{a}-{b}-{n}", _letters, _letters, _digits)
DOTTED = st.builds(lambda a, b, n: f"{a}.{b}.v{n}", _letters, _letters, _digits)
NAME = st.one_of(HYPHENATED, DOTTED)
MARK = st.sampled_from(["`{v}`", "{v}", "\"{v}\""])


def names(model: ServiceModel, technology: str, role: str) -> list[str]:
    comps = [c for c in model.components if c.technology == technology]
    return [v for c in comps for v in c.names_of(role)]


def unplaced(model: ServiceModel) -> set[str]:
    return {u.text for u in model.unbound}


# --- config keys ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, writing", [
    ("application.id", "{k} is {v}."), ("application.id", "{k}={v}"), ("group.id", "{k}: {v}"),
    ("group.id", "{k} = {v}"), ("application.id", "The {k} is {v}."),
])
@_FAST
@given(value=NAME, mark=MARK)
def test_a_consumer_group_key_binds_its_value_to_kafka(key: str, writing: str, value: str, mark: str) -> None:
    text = (f"The billing sync service runs on EKS. It consumes from Kafka. "
            f"{writing.format(k=key, v=mark.format(v=value))}")
    model = parse(text)
    assert value in names(model, "kafka", "consumer_group"), text
    assert value not in unplaced(model) and key not in unplaced(model)


@pytest.mark.parametrize("tech", ["OpenSearch", "Elasticsearch"])
@pytest.mark.parametrize("writing", ["cluster.name {v}.", "cluster.name: {v}", "cluster.name={v}"])
@_FAST
@given(value=HYPHENATED, mark=MARK)
def test_cluster_name_binds_the_search_cluster(tech: str, writing: str, value: str, mark: str) -> None:
    text = f"The billing sync service runs on VMs and writes logs to {tech}. {writing.format(v=mark.format(v=value))}"
    model = parse(text)
    assert value in names(model, tech.lower(), "cluster"), text


@pytest.mark.parametrize("setting", ["{k}=3", "{k} 30s", "{k} is on", "`{k}: 2`"])
@_FAST
@given(a=_letters, b=_letters)
def test_a_config_setting_is_never_an_unplaced_name(setting: str, a: str, b: str) -> None:
    key = f"{a}_{b}" if len(a) % 2 else f"{a}.{b}"
    model = parse(f"The billing sync service runs on VMs. Nginx has {setting.format(k=key)}.")
    assert not any(key in u for u in unplaced(model))


# --- flow verbs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tech, role", [("Kafka", "topic"), ("SQS", "queue"), ("RabbitMQ", "queue")])
@pytest.mark.parametrize("phrasing", [
    "It consumes {v} from {t}.", "It consumes {v} (12 partitions) from the {t} cluster.",
    "It reads from {t} and publishes to {v}.", "It consumes from {t} and writes matched records to {v}.",
    "Using {t}, it produces to {v}.",
])
@_FAST
@given(value=NAME, mark=MARK)
def test_a_flow_verbs_object_is_what_the_messaging_technology_carries(tech: str, role: str, phrasing: str,
                                                                       value: str, mark: str) -> None:
    text = f"The billing sync service runs on EKS. {phrasing.format(t=tech, v=mark.format(v=value))}"
    model = parse(text)
    assert value in names(model, tech.lower(), role), text


@pytest.mark.parametrize("phrasing", ["anything unmatched goes to {v}", "failed records are sent to {v}",
                                      "rejected ones go to {v}"])
@_FAST
@given(value=HYPHENATED, mark=MARK)
def test_where_failures_go_is_the_dlq(phrasing: str, value: str, mark: str) -> None:
    text = (f"The billing sync service runs on EKS. It consumes orders-in from Kafka; "
            f"{phrasing.format(v=mark.format(v=value))}.")
    model = parse(text)
    assert value in names(model, "kafka", "dlq"), text


@_FAST
@given(value=HYPHENATED)
def test_a_flow_verb_into_a_store_noun_leaves_the_name_to_the_noun(value: str) -> None:
    model = parse(f"The billing sync service runs on EKS. It consumes from Kafka and writes to the {value} bucket "
                  "on S3.")
    assert value not in names(model, "kafka", "topic")


# --- components and appositions ---------------------------------------------------------------------------

@pytest.mark.parametrize("phrasing", ["Data lives in the Aurora cluster {v}.", "It uses an Aurora cluster named {v}.",
                                      "The Aurora cluster is {v}."])
@_FAST
@given(value=HYPHENATED)
def test_a_product_of_untold_engine_holds_its_names(phrasing: str, value: str) -> None:
    model = parse(f"The billing sync service runs on EKS. {phrasing.format(v=value)}")
    assert model.app is not None and value not in model.app.names_of("cluster")
    assert any(value in c.names_of("cluster") for c in model.components if c.variant == "aurora")


@pytest.mark.parametrize("noun, role", [("deployment", "deployment"), ("namespace", "namespace")])
@_FAST
@given(value=HYPHENATED)
def test_a_name_set_off_by_commas_binds(noun: str, role: str, value: str) -> None:
    model = parse(f"The billing sync service runs on GKE. There is also a scheduler {noun}, {value}, one replica.")
    assert model.app is not None and value in model.app.names_of(role)


# --- the service's name -----------------------------------------------------------------------------------

@pytest.mark.parametrize("opening", [
    "Runbook request for the ClickHouse cluster we call \"{v}\" (on bare metal):",
    "Setup notes for our customer portal '{v}'. One VM.",
    "Need a runbook for this pipeline: {v}.",
    "Vault cluster `{v}`. Five nodes on EC2.",
    "Quick rundown: a Patroni cluster, scope `{v}`, on three VMs.",
    "Single-box setup for our internal wiki \"{v}\". Docker compose.",
])
@_FAST
@given(value=HYPHENATED)
def test_the_title_is_what_the_text_says_is_the_service(opening: str, value: str) -> None:
    model = parse(opening.format(v=value) + " Owned by the data team.")
    assert model.service.name == _slug(value), opening


PROSE_OPENINGS = ["Runbook request", "Quick rundown", "Single-box setup", "Setup notes"]


@pytest.mark.parametrize("lead", PROSE_OPENINGS)
def test_words_about_the_document_are_never_the_title(lead: str) -> None:
    model = parse(f"{lead}: it runs on two VMs behind Nginx.")
    assert not set(model.service.name.split("-")) & {"runbook", "request", "rundown", "setup", "single", "notes"}


# --- prose is never a name --------------------------------------------------------------------------------

_PROSE = st.sampled_from(["upgrades", "issues", "migration", "outages", "maintenance", "usage", "monitored",
                          "replacement", "availability"])


@pytest.mark.parametrize("sentence", ["It runs on the EKS cluster {w}.", "The S3 bucket {w} is on.",
                                      "Watch the Kafka cluster {w}.", "Postgres database {w} happen weekly."])
@given(word=_PROSE)
@settings(max_examples=6, deadline=None)
def test_a_prose_word_after_a_role_noun_is_never_a_name(sentence: str, word: str) -> None:
    model = parse("The billing sync service. " + sentence.format(w=word))
    assert all(n.value != word for _, n in model.all_names())


@pytest.mark.parametrize("noun", ["Bucket", "Queue", "Namespace", "Topic", "Database"])
@given(word=st.sampled_from(["versioning", "encryption", "rebalancing", "logging", "sharding"]))
@settings(max_examples=5, deadline=None)
def test_a_sentence_opening_with_a_compound_noun_names_nothing(noun: str, word: str) -> None:
    model = parse(f"The billing sync service runs on AWS with SQS, S3, Kafka and PostgreSQL. {noun} {word} is on.")
    assert all(n.value != word for _, n in model.all_names())


@given(value=st.one_of(
    st.builds(lambda n, u: f"~{n}{u}", st.integers(1, 999), st.sampled_from(["k", "m", ""])),
    st.builds(lambda n, u: f"{n}{u}", st.integers(1, 64), st.sampled_from(["Gi", "GB", "Mi"])),
    st.builds(lambda a, b: f"{a}/{b}", _letters, st.sampled_from(["s", "min", "month", "writes"])),
    st.builds(lambda a: f"{a}Db", _letters.map(str.capitalize)),
))
@settings(max_examples=20, deadline=None)
def test_quantities_pairs_and_product_words_are_never_unplaced_names(value: str) -> None:
    model = parse(f"The billing sync service runs on VMs. It handles {value} at peak and stores state in it.")
    assert value not in unplaced(model)


# --- settings and relationships ---------------------------------------------------------------------------

@pytest.mark.parametrize("phrasing", ["Reserved concurrency on the function is {n}.", "Reserved concurrency of {n}.",
                                      "It has a reserved concurrency of {n}, on purpose."])
@_FAST
@given(value=HYPHENATED, n=st.integers(min_value=1, max_value=500))
def test_a_functions_concurrency_is_its_setting(phrasing: str, value: str, n: int) -> None:
    model = parse(f"The billing sync service is the Lambda function {value}, fed by SQS. {phrasing.format(n=n)}")
    assert model.app is not None
    setting = model.app.setting("concurrency")
    assert setting is not None and setting.value == str(n)


@pytest.mark.parametrize("queue_sentence", ["Events arrive on the SQS queue {q}.", "It reads the SQS queue {q}.",
                                            "The SQS queue {q} holds the work."])
@_FAST
@given(fn=HYPHENATED, queue=HYPHENATED)
def test_a_functions_queue_triggers_it(queue_sentence: str, fn: str, queue: str) -> None:
    model = parse(f"The billing sync service is the Lambda function {fn}. {queue_sentence.format(q=queue)}")
    sqs = next(c for c in model.components if c.technology == "sqs")
    assert model.app is not None and sqs in model.related(model.app.id, "triggered_by")
    assert sqs not in model.related(model.app.id, "depends_on")


@_FAST
@given(glob=HYPHENATED, writer=HYPHENATED, secondary=HYPHENATED)
def test_an_aurora_secondary_cluster_is_the_databases_dr_cluster(glob: str, writer: str, secondary: str) -> None:
    assume_distinct = len({glob, writer, secondary}) == 3
    if not assume_distinct:
        return
    model = parse(f"The billing sync service runs on ECS. DB: Aurora PostgreSQL Global Database `{glob}`. "
                  f"Writer cluster {writer} (us-east-1), secondary cluster {secondary} (us-west-2).")
    db = next(c for c in model.components if c.technology == "postgresql")
    assert glob in db.names_of("global_cluster") and writer in db.names_of("cluster")
    assert secondary in db.names_of("dr_cluster")
    assert model.app is not None and not {writer, secondary} & set(model.app.names_of("cluster"))


# --- what a role's name implies ---------------------------------------------------------------------------

@pytest.mark.parametrize("sentences, tech, role", [
    ("It reads the topic {v}. It consumes as the consumer group {w}.", "kafka", "topic"),
    ("The queue sits in the vhost ({v}). It consumes the queue {w}.", "rabbitmq", "vhost"),
    ("It runs on ECS Fargate. Work arrives on the queue \"{v}\".", "sqs", "queue"),
    ("It runs on ECS Fargate. Caching uses the {v} replication group.", "redis", "replication_group"),
])
@_FAST
@given(value=HYPHENATED, other=HYPHENATED)
def test_a_name_goes_to_the_component_its_role_implies_wherever_it_stands(sentences: str, tech: str, role: str,
                                                                         value: str, other: str) -> None:
    if value == other:
        return
    model = parse(f"The billing sync service is a worker. {sentences.format(v=value, w=other)}")
    assert value in names(model, tech, role), sentences


@pytest.mark.parametrize("tech, ident", [("OpenSearch 2.11", "opensearch"), ("Redis 7", "redis"),
                                         ("PostgreSQL 16", "postgresql"), ("Kafka", "kafka")])
@_FAST
@given(value=HYPHENATED, hosts=st.lists(HYPHENATED, min_size=2, max_size=4, unique=True))
def test_a_store_named_in_apposition_is_the_service(tech: str, ident: str, value: str, hosts: list[str]) -> None:
    model = parse(f"{value} platform, self-managed {tech} on EC2. Nodes: {', '.join(hosts)}.")
    assert model.app is not None and model.app.technology == ident
    assert set(hosts) <= set(model.app.names_of("host"))


@pytest.mark.parametrize("noun", ["broker", "cache", "database", "queue"])
@pytest.mark.parametrize("tech", ["Redis 7", "RabbitMQ", "PostgreSQL"])
def test_what_a_noun_is_is_no_name(noun: str, tech: str) -> None:
    model = parse(f"The billing sync service runs on VMs. The {noun} is {tech} on a managed service.")
    words = {w.lower() for w in tech.split()}
    assert all(n.value.lower() not in words for _, n in model.all_names())
    ids = {c.id for c in model.components}
    assert all(u.guess_component in ids for u in model.unbound if u.guess_component)  # a guess makes nothing


@pytest.mark.parametrize("opening", [
    "- Service: **{v}** (REST API, Kotlin) that prices quotes\n- Runs on ECS Fargate: cluster `{w}`, service `{v}-api`",
    "{v} runs on the EKS cluster `{w}` in two regions.",
])
@_FAST
@given(value=HYPHENATED, other=HYPHENATED)
def test_the_platforms_cluster_is_never_the_title(opening: str, value: str, other: str) -> None:
    if value == other:
        return
    model = parse(opening.format(v=value, w=other))
    assert model.service.name == _slug(value)


@_FAST
@given(schema=_letters, table=st.builds(lambda a, b: f"{a}_{b}", _letters, _letters))
def test_a_qualified_names_last_part_is_the_same_name(schema: str, table: str) -> None:
    model = parse(f"The billing sync service runs on VMs with ClickHouse: local table `{schema}.{table}`. "
                  f"A view writes into {table} every minute.")
    assert table not in unplaced(model)


_RANGE_PHRASES = ["HPA {lo}→{hi} at 65% CPU", "scaled by a KEDA ScaledObject, min {lo} / max {hi} replicas",
                  "it has an HPA {lo}-{hi}", "an ASG (min {lo}, max {hi}) behind an ALB",
                  "autoscaled between {lo} and {hi} replicas"]


@settings(max_examples=30, deadline=None)
@given(n=st.from_regex(r"\A[a-z][a-z0-9]{2,8}-[a-z0-9]{2,8}\Z", fullmatch=True), lo=st.integers(1, 9),
       span=st.integers(1, 40), i=st.integers(0, len(_RANGE_PHRASES) - 1))
def test_replica_bounds_are_a_range_not_a_count(n: str, lo: int, span: int, i: int) -> None:
    hi = lo + span
    model = parse(f"{n} is our orders API on EKS; " + _RANGE_PHRASES[i].format(lo=lo, hi=hi) + ".")
    settings_ = {s.key: s.value for c in model.components for s in c.settings}
    assert settings_.get("replicas_min") == str(lo) and settings_.get("replicas_max") == str(hi), settings_
    assert settings_.get("replicas") != str(hi)
