"""Property-based tests of how the parser reads the layout of a description (agent/service/text.py): a
bullet wrapped over several lines is one phrase, a label that opens with a role noun names what its colon
lists (asides in parentheses between the items), a plural role noun lists, and a marked name before its
noun beats a plain word after it. Random identifiers and phrasings; nothing is taken from an evaluation
description.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.service.model import ServiceModel
from agent.service.text import parse

_FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7).map(lambda w: w + "q")
_digits = st.integers(min_value=1, max_value=99).map(str)
HYPHENATED = st.builds(lambda a, b, n: f"{a}-{b}-{n}", _letters, _letters, _digits)
DOTTED = st.builds(lambda a, b: f"{a}.{b}", _letters, _letters)
MARK = st.sampled_from(["`{v}`", "{v}", "\"{v}\""])
ASIDE = st.sampled_from(["", " (48 partitions)", " (the writer, real time)", " (7 days retention)"])


def everywhere(model: ServiceModel, role: str) -> list[str]:
    return [v for c in model.components for v in c.names_of(role)]


@pytest.mark.parametrize("noun, role", [("namespace", "namespace"), ("Deployment", "deployment"),
                                        ("cluster", "cluster")])
@_FAST
@given(value=HYPHENATED, mark=MARK, indent=st.sampled_from(["  ", "    ", "   "]),
       bullet=st.sampled_from(["-", "*", "1."]))
def test_a_wrapped_bullet_keeps_a_noun_and_its_name_together(noun: str, role: str, value: str, mark: str,
                                                             indent: str, bullet: str) -> None:
    text = (f"The quoting service is a Go API on GKE.\n\n"
            f"{bullet} Runs on GKE Standard, regional, autoscaled with an HPA. {noun}\n"
            f"{indent}{mark.format(v=value)}, 6 replicas at least.\n")
    assert value in everywhere(parse(text), role), text


@pytest.mark.parametrize("label, role, tech", [
    ("Topics that matter", "topic", "Kafka"), ("Consumer groups that matter", "consumer_group", "Kafka"),
    ("Consumer groups we own", "consumer_group", "Kafka"), ("Queues we read", "queue", "RabbitMQ"),
])
@_FAST
@given(first=st.one_of(HYPHENATED, DOTTED), second=st.one_of(HYPHENATED, DOTTED), aside=ASIDE,
       joiner=st.sampled_from([", ", " and ", ", and "]))
def test_a_label_opening_with_a_role_noun_names_what_its_colon_lists(label: str, role: str, tech: str, first: str,
                                                                   second: str, aside: str, joiner: str) -> None:
    if first == second:
        return
    text = (f"The ledger service is a Java app on VMs that uses {tech}.\n\n"
            f"* {label}: {first}{aside}{joiner}{second}{aside}.\n")
    found = everywhere(parse(text), role)
    assert first in found and second in found, (text, found)


@pytest.mark.parametrize("noun, role", [("Argo CD application", "argocd_app"), ("consumer group", "consumer_group")])
@_FAST
@given(value=HYPHENATED, verb=st.sampled_from(["syncs", "reads", "runs", "lands"]))
def test_a_marked_name_before_its_noun_beats_a_plain_word_after_it(noun: str, role: str, value: str,
                                                                 verb: str) -> None:
    text = (f"The catalog service is a Go API on GKE deployed by Argo CD and reading Kafka. "
            f"The `{value}` {noun} {verb} into the shop namespace every few minutes.")
    found = everywhere(parse(text), role)
    assert value in found and verb not in found, (text, found)


@_FAST
@given(glob=HYPHENATED, primary=HYPHENATED, secondary=HYPHENATED, sep=st.sampled_from(["; ", ", ", ";\n  "]))
def test_a_database_s_primary_and_secondary_clusters_stay_on_it_across_clauses(glob: str, primary: str,
                                                                              secondary: str, sep: str) -> None:
    if len({glob, primary, secondary}) < 3:
        return
    text = (f"The quote service is a Kotlin API on ECS Fargate.\n\n"
            f"- Database: Aurora PostgreSQL global database `{glob}`{sep}primary cluster `{primary}`, "
            f"secondary cluster `{secondary}`; database `quotes`\n")
    model = parse(text)
    db = model.component("postgresql")
    assert db is not None
    assert primary in db.names_of("cluster") and secondary in db.names_of("dr_cluster"), text
    app = model.app
    assert app is not None and primary not in app.names_of("cluster")


@pytest.mark.parametrize("head, role", [
    ("The chart creates two Deployments:", "deployment"), ("Deployments:", "deployment"),
    ("It runs these CronJobs:", "cronjob"), ("Topics:", "topic"),
])
@_FAST
@given(first=HYPHENATED, second=HYPHENATED, sep=st.sampled_from([": ", " - ", " — "]),
       indent=st.sampled_from(["", "  "]))
def test_a_list_headed_by_a_plural_role_noun_names_its_items(head: str, role: str, first: str, second: str,
                                                            sep: str, indent: str) -> None:
    if first == second:
        return
    text = (f"The render service is a Python app on EKS in namespace docs that reads Kafka.\n\n"
            f"- Helm release render. {head}\n"
            f"{indent}  - {first}{sep}consumes the main queue, concurrency 4\n"
            f"{indent}  - {second}{sep}the scheduler, exactly one replica\n")
    found = everywhere(parse(text), role)
    assert first in found and second in found, (text, found)


@_FAST
@given(name=HYPHENATED, lead=st.sampled_from(["Monitoring (Datadog): APM service", "Tracing service",
                                               "Datadog APM service"]))
def test_an_apm_service_name_is_no_workload(name: str, lead: str) -> None:
    text = f"The render service is a Python app on EKS, namespace docs.\n\n{lead} `{name}`, env:prod."
    assert name not in everywhere(parse(text), "deployment"), text


@_FAST
@given(bucket=HYPHENATED, part=st.sampled_from(["inbox", "reports", "archive"]))
def test_a_word_of_a_given_name_before_its_noun_refers_to_it(bucket: str, part: str) -> None:
    name = f"{bucket}-{part}-prod"
    text = (f"The recon batch is a Python CronJob on Kubernetes. Input lands in s3://{name}/ (AWS). "
            f"Never touch anything in the {part} bucket, it is the evidence trail.")
    found = everywhere(parse(text), "bucket")
    assert name in found and part not in found, (text, found)
