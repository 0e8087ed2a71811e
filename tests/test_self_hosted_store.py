"""A service that is itself a self-hosted store, on VMs in a data centre, with dependencies whose hosts
the description does not give.

Blind g01 (PostgreSQL under Patroni on three KVM VMs, etcd, PgBouncer, a MinIO backup bucket) got: a
fourth host from "Lag on pgo-db-3" beside pgo-db-3.dc2.lan, the region us-east-1 on VMs in DC2, MinIO
placed on the database's hosts, "fill in: runtime/framework" as the database's technology, PgBouncer's
pool read as the database's pool "to etcd", and the greeting quoted as its purpose. Property-based: random
names, domains and pool sizes.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.service.text import parse

RULE = load_rule(default_rule_path())
LABEL = st.from_regex(r"\A[a-z]{3,6}\Z", fullmatch=True)
DOMAIN = st.sampled_from(["dc2.lan", "fra.corp", "site-b.internal", "ams1.local"])


def text(db: str, dcs: str, domain: str, pool: int, bucket: str) -> str:
    return (f"Handover: {db}db (PostgreSQL 16 under Patroni) — from Ilse before she goes on leave\n\n"
            f"Hi all, this is what you need to keep {db}db alive while I'm out.\n\n"
            f"What it is: the primary OLTP database behind checkout and order history. Patroni cluster scope "
            f"`pg-{db}`, three VMs: {db}-db-1.{domain}, {db}-db-2.{domain}, {db}-db-3.{domain}. DCS is etcd on "
            f"{dcs}-1.{domain}, {dcs}-2.{domain}, {dcs}-3.{domain}. Apps connect through PgBouncer on "
            f"{db}-bouncer-1.{domain} port 6432 (transaction mode, default_pool_size={pool}, max_client_conn=2000).\n"
            f"Backups: pgBackRest, repo on the MinIO bucket `{bucket}-backups`.\n\n"
            f"Known failure: lag on {db}-db-3 plus disk climbing = WAL archiving stuck.\n")


@settings(max_examples=15, deadline=None)
@given(db=LABEL, dcs=LABEL, domain=DOMAIN, pool=st.integers(10, 90), bucket=LABEL)
def test_a_short_host_name_is_the_host_the_text_already_named(db: str, dcs: str, domain: str, pool: int,
                                                               bucket: str) -> None:
    if db == dcs:
        return
    model = parse(text(db, dcs, domain, pool, bucket))
    hosts = [n.value for c in model.components for n in c.names if n.role == "host"]
    assert f"{db}-db-3" not in hosts, hosts
    assert f"{db}-db-3.{domain}" in hosts
    assert model.service.purpose.startswith("the primary OLTP database"), model.service.purpose


@settings(max_examples=4, deadline=None)
@given(db=LABEL, dcs=LABEL, domain=DOMAIN, pool=st.integers(10, 90), bucket=LABEL)
def test_a_self_hosted_database_on_data_centre_vms_is_written_as_one(db: str, dcs: str, domain: str, pool: int,
                                                                    bucket: str) -> None:
    if db == dcs:
        return
    answers = from_mapping(RULE, {"type": "database", "env": "vm", "criticality": "high", "oncall": "24x7"}, "t")
    runbook = OfflineModel().generate(GenerationRequest(rule=RULE, description=text(db, dcs, domain, pool, bucket),
                                                        answers=answers, now=datetime(2026, 1, 15))).runbook
    md = render_markdown(runbook)
    rows = {c.name: c for c in runbook.architecture.components}
    own = rows[f"{db}db"]
    assert own.technology == "PostgreSQL", own
    assert "us-east-1" not in md and "(us-" not in own.location, own.location  # no cloud region was given
    minio = next(c for c in runbook.architecture.components if c.technology == "MinIO")
    assert f"{db}-db-1" not in minio.location and "fill in" in minio.location, minio.location
    # PgBouncer's pool is its clients' to the database, not "each instance … to etcd"
    assert "connections to etcd" not in md and f"× {pool} =" not in md
    assert "the primary OLTP database" in runbook.service_overview.purpose
    assert "Hi all" not in runbook.service_overview.purpose


@settings(max_examples=20, deadline=None)
@given(db=LABEL, domain=DOMAIN, state=st.sampled_from(["node down", "dead box", "broker disk full"]),
       verb=st.sampled_from(["ssh", "rebuild", "reboot", "drain"]))
def test_a_failure_label_and_an_adjective_name_nothing(db: str, domain: str, state: str, verb: str) -> None:
    # blind h03/h04/h07: "node down: ssh in" and "dead box: rebuild as …" made hosts, "Broker: self-hosted
    # RabbitMQ" a host, "the stock elasticsearch systemd unit" a unit; "from cat-db-03" a fourth host
    model = parse(f"{db}-store is Cassandra 4.1 on {db}-1.{domain}, {db}-2.{domain}, {db}-3.{domain}.\n\n"
                  f"- {state}: {verb} in, check the logs, then restart it.\n"
                  f"- Broker: self-hosted RabbitMQ 3.13 cluster on three EC2 instances mq-1.{domain}, mq-2.{domain}.\n"
                  f"- each node runs the stock cassandra systemd unit.\n"
                  f"- backups: nightly from {db}-3 to s3://{db}-backups.\n")
    names = [(n.role, n.value) for c in model.components for n in c.names]
    assert not any(v in (verb, "self-hosted", "stock", f"{db}-3") for _, v in names), names
