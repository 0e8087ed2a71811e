"""Instance types and machine sizes are values, never hosts or names; a state machine is named as one.

A blind case's "6 data nodes (r6g.2xlarge.search)" became a host, and its endpoint
`http://r6g.2xlarge.search:9200`. Property-based: random families, generations and sizes per cloud.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.text import parse

AWS = st.builds(lambda f, g, v, size, suffix: f"{f}{g}{v}.{size}{suffix}", st.sampled_from("cmrtix"),
                st.integers(3, 8), st.sampled_from(["", "g", "gd", "i", "a", "n"]),
                st.sampled_from(["large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "medium"]),
                st.sampled_from(["", ".search", ".elasticsearch"]))
GCE = st.builds(lambda f, kind, n: f"{f}-{kind}-{n}", st.sampled_from(["n2", "n2d", "e2", "c3", "m1", "n1"]),
                st.sampled_from(["standard", "highmem", "highcpu"]), st.sampled_from([2, 4, 8, 16, 32]))
AZURE = st.builds(lambda s, n, v: f"Standard_{s}{n}s_v{v}", st.sampled_from(["D", "E", "F"]),
                  st.sampled_from([2, 4, 8, 16]), st.integers(3, 5))
SENTENCES = ["The cluster has 6 data nodes ({t}) over 3 AZs.", "Three dedicated masters ({t}), six data nodes.",
             "The VMs are {t} instances in a managed instance group.", "hosts: 4 x {t}"]


@settings(max_examples=60, deadline=None)
@given(t=st.one_of(AWS, GCE, AZURE), sentence=st.sampled_from(SENTENCES))
def test_an_instance_type_is_no_host_and_no_name(t: str, sentence: str) -> None:
    model = parse(f"orders-search is our search backend on AWS. {sentence.format(t=t)}")
    values = {n.value for c in model.components for n in c.names}
    assert t not in values, (t, [(n.role, n.value) for c in model.components for n in c.names])


@settings(max_examples=30, deadline=None)
@given(name=st.from_regex(r"\A[a-z]{3,8}-[a-z]{3,9}\Z", fullmatch=True),
       phrase=st.sampled_from(["The reindexer (Step Functions state machine {n}, Sundays 01:00 UTC) swaps the alias.",
                               "A state machine called {n} runs the nightly export.",
                               "Orchestration is the Step Functions state machine `{n}`."]))
def test_a_state_machine_is_named_as_one(name: str, phrase: str) -> None:
    model = parse(f"catalog-search is an OpenSearch domain on AWS. {phrase.format(n=name)}")
    roles = {n.role for c in model.components for n in c.names if n.value == name}
    assert roles == {"state_machine"}, roles


LABEL = st.from_regex(r"\A[a-z]{3,7}(-[a-z]{3,7})?\Z", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(web=LABEL, edge=LABEL, db=LABEL, worker=LABEL,
       head=st.sampled_from(["services in that file:", "Compose services:", "services:"]),
       image=st.sampled_from(["mongo:7", "postgres:16-alpine", "redis:7"]))
def test_a_listed_compose_service_belongs_to_the_component_its_words_name(
        web: str, edge: str, db: str, worker: str, head: str, image: str) -> None:
    # "- edge: nginx 1.25" is nginx's compose service, "- mongo: mongo:7" the database's; once all were lost
    # and the commands named the compose project as a service
    if len({web, edge, db, worker}) < 4:
        return
    text = (f"shopbot runs on one box, everything in docker compose: project name \"shopbot\".\n\n{head}\n"
            f"  - {edge}: nginx 1.25, TLS, ports 80/443\n  - {web}: Node 20 / express, listens on 3000\n"
            f"  - {worker}: Node, reads a change stream and posts to consumers\n  - {db}: {image}, data in a volume\n")
    model = parse(text)
    owners = [(n.value, c.technology) for c in model.components for n in c.names if n.role == "compose_service"]
    owner = dict(owners)
    # each listed service has one owner: the app does not also claim nginx's and the database's
    assert len(owners) == len(owner), owners
    store = {"mongo:7": "mongodb", "postgres:16-alpine": "postgresql", "redis:7": "redis"}[image]
    assert owner.get(edge) == "nginx" and owner.get(db) == store, owner
    assert owner.get(web) == owner.get(worker) == model.app.technology, owner


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 9), word=st.sampled_from(["gen", "generation"]), fn=LABEL)
def test_a_generation_is_no_name(n: int, word: str, fn: str) -> None:
    ordinal = f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n, 'th') }-{word}"
    model = parse(f"{fn} is a {ordinal} Cloud Function (Python 3.12) in GCP project acme-prod.")
    assert ordinal not in {x.value for c in model.components for x in c.names}
