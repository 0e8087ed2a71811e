"""Names listed after a plural role noun are all kept: "databases temporal + temporal_visibility", "databases
orders and orders_audit" (blind batch i: only the identifier survived, or none; a plain word that is part of a
listed sibling was dropped as a short reference to it). Property-based: random names, separators, owners.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.text import parse

WORD = st.text(alphabet="bcdfghklmnprstvz", min_size=3, max_size=6).map(lambda w: w + "al")


@settings(max_examples=60, deadline=None)
@given(word=WORD, suffix=st.sampled_from(["_visibility", "_audit", "-archive", "_v2"]),
       sep=st.sampled_from([" + ", " and ", ", ", " & "]),
       lead=st.sampled_from(["persistence = Cloud SQL for PostgreSQL instance pg-prod (regional HA), databases",
                             "It uses PostgreSQL instance pg-prod, databases", "MySQL on RDS, databases"]))
def test_every_database_of_a_list_is_bound(word: str, suffix: str, sep: str, lead: str) -> None:
    second = word + suffix
    model = parse(f"orders-api is a Go API on EKS. {lead} {word}{sep}{second}; every pod reaches it.")
    databases = [n.value for c in model.components for n in c.names if n.role == "database"]
    assert databases == [word, second], databases


def test_a_plain_word_beside_its_full_name_is_still_a_reference() -> None:
    """What the list rule must not break: 'the inbox bucket' beside s3://…-inbox-prod is that bucket."""
    model = parse("recon-job is a Python job on ECS. Files land in the inbox bucket (s3://ledgerx-recon-inbox-prod).")
    buckets = [n.value for c in model.components for n in c.names if n.role == "bucket"]
    assert buckets == ["s3://ledgerx-recon-inbox-prod"], buckets


@settings(max_examples=40, deadline=None)
@given(app=st.from_regex(r"\A[a-z]{3,5}\Z", fullmatch=True).filter(lambda w: w not in {"redis", "nginx"}),
       pg=st.sampled_from(["postgres16", "postgres", "pg-main"]), proxy=st.sampled_from(["traefik", "caddy"]),
       gloss=st.sampled_from(["(v2.11, 80/443)", "(the edge, TLS)", "(letsencrypt certs)"]))
def test_a_list_of_workloads_with_asides_keeps_each_with_its_technology(app: str, pg: str, proxy: str,
                                                                        gloss: str) -> None:
    """Blind m08: "services: traefik (v2.11, 80/443), lbx-api (nestjs, …), lbx-worker (bullmq consumers),
    postgres16, redis-queue" kept only traefik, and bound it to Postgres."""
    text = (f"{app} runs with docker compose on one VM, compose project `{app}`. It stores data in PostgreSQL "
            f"behind {proxy.capitalize()}.\nservices: {proxy} {gloss}, {app}-api (nestjs, listens on 3100), "
            f"{app}-worker (bullmq consumers), {pg}, redis-queue\n")
    model = parse(text)
    owners = {n.value: c.id for c in model.components for n in c.names if n.role == "compose_service"}
    assert owners.get(f"{app}-api") == "app" and owners.get(f"{app}-worker") == "app", owners
    assert owners.get(proxy) == proxy, owners
    if pg.startswith("postgres"):
        assert owners.get(pg) == "postgresql", owners


@settings(max_examples=20, deadline=None)
@given(program=st.sampled_from(["docker", "kubectl", "helm"]),
       noun=st.sampled_from(["volume", "namespace", "release", "container"]),
       verb=st.sampled_from(["prune", "ls", "delete", "rollback"]))
def test_a_command_written_in_prose_names_nothing(program: str, noun: str, verb: str) -> None:
    """Blind m08: "also no docker volume prune / system prune on that box" made a volume named 'prune'."""
    model = parse(f"orders-api runs on one VM. Also no {program} {noun} {verb} on that box.")
    assert verb not in {n.value for c in model.components for n in c.names}


@settings(max_examples=30, deadline=None)
@given(stem=st.from_regex(r"\A[a-z]{3,7}\Z", fullmatch=True), pools=st.lists(
    st.from_regex(r"\A[a-z]{3,6}\Z", fullmatch=True), min_size=2, max_size=3, unique=True),
       head=st.sampled_from(["Worker units (systemd templates, one per pool on every box):", "Systemd units:",
                             "Units:"]),
       sep=st.sampled_from([" -- queue {q}.x, concurrency 8", "", ": consumes {q}.x"]))
def test_the_items_under_a_role_heading_are_its_names(stem: str, pools: list[str], head: str, sep: str) -> None:
    """Blind m02: "Worker units (systemd templates, …):" over "- labsync-worker@results -- queue …" bound no
    unit (the aside before the colon, the '@', the '--' and items with nothing after them), and "systemd" became
    a unit."""
    items = "\n".join(f"- {stem}-worker@{p}{sep.format(q=p)}" for p in pools)
    model = parse(f"{stem} is a Celery app on VMs.\n\n{head}\n{items}\n- {stem}-beat\n")
    units = [n.value for c in model.components for n in c.names if n.role == "unit"]
    assert units == [f"{stem}-worker@{p}" for p in pools] + [f"{stem}-beat"], units


@settings(max_examples=30, deadline=None)
@given(stem=st.from_regex(r"\A[a-z]{3,5}\Z", fullmatch=True), lo=st.integers(1, 3), hi=st.integers(4, 9),
       dots=st.sampled_from([" ... ", " … ", " .. "]), domain=st.sampled_from([".dc2.example.net", ".fra1.internal"]))
def test_a_range_written_with_dots_is_every_host(stem: str, lo: int, hi: int, dots: str, domain: str) -> None:
    """Blind m02: "lsw-01.dc2.x ... lsw-06.dc2.x" kept the two ends (the domain's own digit broke the range)."""
    model = parse(f"{stem} runs on VMs.\n- workers: {stem}-0{lo}{domain}{dots}{stem}-0{hi}{domain} (group w)\n")
    hosts = [n.value for c in model.components for n in c.names if n.role == "host"]
    assert hosts == [f"{stem}-0{n}{domain}" for n in range(lo, hi + 1)], hosts


@settings(max_examples=20, deadline=None)
@given(stem=st.from_regex(r"\A[a-z]{3,5}\Z", fullmatch=True), state=st.sampled_from(["stuck", "down", "healthy"]))
def test_a_clusters_members_listed_after_its_label_are_hosts(stem: str, state: str) -> None:
    """Blind m02: "RabbitMQ 3.12 cluster: rmq-a.dc2.x, rmq-b.dc2.x, rmq-c.dc2.x" named the cluster after its first
    member; and 'not even on "stuck" queues' made a queue named "stuck"."""
    model = parse(f"{stem} uses RabbitMQ.\n- RabbitMQ 3.12 cluster: {stem}-a.dc2.x.net, {stem}-b.dc2.x.net, "
                  f"{stem}-c.dc2.x.net, vhost /{stem}\nNo purge, not even on \"{state}\" queues.\n")
    rabbit = next(c for c in model.components if c.technology == "rabbitmq")
    assert [n.value for n in rabbit.names if n.role == "host"] == [f"{stem}-{x}.dc2.x.net" for x in "abc"]
    assert not [n for n in rabbit.names if n.role == "cluster"]
    assert state not in {n.value for c in model.components for n in c.names}
