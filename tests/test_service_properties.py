"""Property tests of the parser's binding rule: random names x phrasings x technologies, per role.

Every name given in a phrasing that states its role binds to that role on the right component; no
common word that merely follows a role noun ("queue timeout", "cluster mode") becomes a name.

The same generators print the measured shares (per role and per phrasing, over a fixed-seed sample):

    .venv/bin/python -m tests.test_service_properties            # 40 samples per role x phrasing
    .venv/bin/python -m tests.test_service_properties -n 200
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from agent.service.model import ServiceModel
from agent.service.text import _DEAD, _STOP, parse
from agent.service.vocabulary import vocabulary


@dataclass(frozen=True)
class Role:
    role: str
    noun: str  # the noun a description uses
    tech: str  # the words naming the technology ("" for the service's own names)
    component: str  # the component's technology id ("app" for the service's own workload)
    platform: str  # a sentence that places the service
    plain: bool  # values of this role are often plain words ("namespace orders")


ROLES = [
    Role("namespace", "namespace", "", "app", "It runs on EKS.", True),
    Role("deployment", "deployment", "Kubernetes", "app", "It runs on GKE.", False),
    Role("cluster", "cluster", "EKS", "app", "It is deployed with kubectl.", False),
    Role("release", "release", "Helm", "app", "It runs on AKS.", True),
    Role("queue", "queue", "SQS", "sqs", "It runs on ECS.", True),
    Role("queue", "queue", "RabbitMQ", "rabbitmq", "It runs on VMs.", True),
    Role("topic", "topic", "Kafka", "kafka", "It runs on EKS.", True),
    Role("consumer_group", "consumer group", "Kafka", "kafka", "It runs on EKS.", True),
    Role("bucket", "bucket", "S3", "s3", "It runs on Lambda.", True),
    Role("database", "database", "PostgreSQL", "postgresql", "It runs on VMs.", True),
    Role("database", "database", "MySQL", "mysql", "It runs on ECS.", True),
    Role("instance", "instance", "RDS PostgreSQL", "postgresql", "It runs on EKS.", False),
    Role("unit", "unit", "systemd", "app", "It runs on two VMs.", True),
    Role("function", "function", "Lambda", "app", "It is serverless.", False),
    Role("vhost", "vhost", "RabbitMQ", "rabbitmq", "It runs on VMs.", True),
    Role("stanza", "stanza", "pgBackRest", "pgbackrest", "PostgreSQL 16 on bare metal.", True),
    Role("table", "table", "DynamoDB", "dynamodb", "It runs on Lambda.", True),
    Role("subscription", "subscription", "Pub/Sub", "pubsub", "It runs on GKE.", True),
]

# How a sentence can state a name's role. {t} technology words, {n} the noun, {v} the name.
PHRASINGS = {
    "after": "It uses the {t} {n} {v}.",
    "named": "It uses a {t} {n} named {v}.",
    "called": "It uses the {t} {n} called {v}.",
    "parens": "It uses {t} ({n} {v}).",
    "backticks": "It uses the {t} {n} `{v}`.",
    "quotes": "It uses the {t} {n} \"{v}\".",
    "before": "It uses the {v} {t} {n}.",
    "colon": "{T} {n}: {v}",
    "is": "The {t} {n} is {v}.",
    "is_our": "{v} is our {t} {n}.",
}
PLAIN_PHRASINGS = ("named", "called", "parens", "backticks", "quotes", "colon", "is", "after")

# Words that follow a role noun in ordinary prose without being a name (the test's own list).
COMMON = ["timeout", "mode", "retention", "size", "depth", "lag", "limit", "policy", "count", "settings",
          "config", "status", "metrics", "latency", "version", "backlog", "errors", "logs", "owner", "capacity",
          "throughput", "usage", "quota", "health", "replicas", "connections", "endpoint", "permissions"]
COMMON_SENTENCES = [
    "The {n} {w} is 30 seconds.",
    "We watch the {n} {w} closely.",
    "{T} {n} {w} was raised last week.",
    "The app used to read the {n} {w} every minute.",
    "If the {n} {w} grows, page someone.",
]

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=8)
_part = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=2, max_size=6)
# plain-word names that are not English words ("vorqzel"): a letter from q, x, z, j and five or more letters
# keeps the generator off real words, which the rule rightly reads as words in bare positions
PLAIN_NAME = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=7).map(lambda w: w + "qz")
# identifier-like names: orders-7, qx-billing-02 …
IDLIKE = st.builds(lambda a, b, c: "-".join(x for x in (a, b, c) if x), _letters, _part,
                   st.one_of(st.just(""), _part))


def description(role: Role, phrasing: str, value: str) -> str:
    tech = role.tech
    sentence = PHRASINGS[phrasing].format(t=tech, T=tech or role.noun.split()[0].capitalize(), n=role.noun,
                                          v=value).replace("  ", " ").replace("( ", "(")
    if phrasing == "colon":
        sentence = f"- {(tech + ' ' + role.noun) if tech else role.noun.capitalize()}: {value}"
        return f"# Billing sync\n\nThe billing sync service. {role.platform}\n\n{sentence}\n"
    return f"The billing sync service. {role.platform} {sentence}"


def bound(model: ServiceModel, role: Role, value: str) -> bool:
    comps = [model.app] if role.component == "app" else [c for c in model.components
                                                         if c.technology == role.component]
    if role.component != "app" and model.app is not None and model.app.technology == role.component:
        comps.append(model.app)
    return any(c is not None and value in c.names_of(role.role) for c in comps)


def common_bound(model: ServiceModel, word: str) -> bool:
    return any(n.value.lower() == word for _, n in model.all_names())


_FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: f"{r.role}-{r.component}")
@pytest.mark.parametrize("phrasing", list(PHRASINGS))
@_FAST
@given(value=IDLIKE)
@example(value="aaa-no")  # "no" inside an identifier was read as a negation of the technology after it
@example(value="aaa-only")  # an adjective-like suffix that closes the phrase after the noun is a name
@example(value="mon-mon")  # read as a range of weekdays ("Mon-Sat"): a day to itself is no range
def test_identifier_names_bind_to_their_role(role: Role, phrasing: str, value: str) -> None:
    # before its noun a word the vocabulary calls ordinary ("partner-facing", "x-only") is an adjective
    assume(not (phrasing == "before" and vocabulary().ordinary(value)))
    # a topic or queue whose own name says dead letters / errors is read as the DLQ, by design
    assume(not (role.role in ("topic", "queue") and _DEAD.search(value)))
    model = parse(description(role, phrasing, value))
    assert bound(model, role, value), (description(role, phrasing, value), model.model_dump()["components"])


# single words the parser gives a meaning of their own: negations and stop words
_FUNCTION_PARTS = sorted({w for w in _STOP if w.isalpha()} | {
    n for n in ("no", "not", "without", "instead", "replacing", "replaced", "formerly", "dropped", "removed",
                "retired", "decommissioned", "never")})


@pytest.mark.parametrize("role", ROLES, ids=lambda r: f"{r.role}-{r.component}")
@pytest.mark.parametrize("phrasing", list(PHRASINGS))
@_FAST
@given(stem=_letters, part=st.sampled_from(_FUNCTION_PARTS), shape=st.sampled_from(["{s}-{p}", "{p}-{s}", "{s}.{p}",
                                                                                      "{s}-{p}-{s}", "{s}_{p}"]))
def test_parts_of_an_identifier_are_never_negations_or_stop_words(role: Role, phrasing: str, stem: str, part: str,
                                                                  shape: str) -> None:
    value = shape.format(s=stem, p=part)
    assume(vocabulary().roles[role.role].shape.fullmatch(value))  # a database name has no dot
    assume(not (role.role in ("queue", "topic") and _DEAD.search(value)))  # "dlq-a" is rightly a dead-letter queue
    assume(not vocabulary().ordinary(value))  # "a-time" ends like "real-time": an adjective by the vocabulary's design
    text = description(role, phrasing, value)
    model = parse(text)
    assert bound(model, role, value), (text, model.model_dump()["components"])
    assert role.component == "app" or any(c.technology == role.component for c in model.components), text


@pytest.mark.parametrize("role", [r for r in ROLES if r.plain], ids=lambda r: f"{r.role}-{r.component}")
@pytest.mark.parametrize("phrasing", PLAIN_PHRASINGS)
@_FAST
@given(value=PLAIN_NAME)
def test_plain_names_bind_when_the_sentence_makes_them_names(role: Role, phrasing: str, value: str) -> None:
    text = description(role, phrasing, value)
    model = parse(text)
    assert bound(model, role, value), (text, model.model_dump()["components"])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: f"{r.role}-{r.component}")
@_FAST
@given(word=st.sampled_from(COMMON), template=st.sampled_from(COMMON_SENTENCES))
def test_common_words_after_a_noun_are_never_names(role: Role, word: str, template: str) -> None:
    text = f"The billing sync service. {role.platform} It uses {role.tech or 'it'}. " + template.format(
        n=role.noun, w=word, T=(role.tech or "The"))
    model = parse(text)
    assert not common_bound(model, word), (text, [(n.role, n.value) for _, n in model.all_names()])


@_FAST
@given(names=st.lists(IDLIKE, min_size=2, max_size=5, unique=True))
def test_a_list_of_hosts_keeps_every_member(names: list[str]) -> None:
    hosts = [f"{n}-0{i}" for i, n in enumerate(names, start=1)]
    listed = ", ".join(hosts[:-1]) + " and " + hosts[-1]
    model = parse(f"The billing sync service runs on the hosts {listed} under systemd.")
    assert model.app is not None and model.app.names_of("host") == hosts


@_FAST
@given(stem=_letters, count=st.integers(min_value=2, max_value=9), pad=st.booleans())
def test_ranges_expand_to_every_host(stem: str, count: int, pad: bool) -> None:
    first, last = ("01", f"{count:02d}") if pad else ("1", str(count))
    for written in (f"{stem}-{first}..{last}", f"{stem}-{first}..{stem}-{last}"):
        model = parse(f"The billing sync service. There are {count} worker VMs, {written}.")
        expected = [f"{stem}-{str(i).zfill(2) if pad else i}" for i in range(1, count + 1)]
        assert model.app is not None and model.app.names_of("host") == expected, written


def measure(samples: int, seed: int = 7) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]], int, int]:
    """Shares of given names bound to their role, per role and per phrasing, and common words bound."""
    rng = random.Random(seed)
    per_role: dict[str, tuple[int, int]] = {}
    per_phrasing: dict[str, tuple[int, int]] = {}

    def name() -> str:
        parts = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8))),
                 "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(2, 6)))]
        return "-".join(parts)

    for role in ROLES:
        for phrasing in PHRASINGS:
            for _ in range(samples):
                value = name()
                ok = bound(parse(description(role, phrasing, value)), role, value)
                key = f"{role.role} ({role.component})"
                hit, total = per_role.get(key, (0, 0))
                per_role[key] = (hit + ok, total + 1)
                hit, total = per_phrasing.get(phrasing, (0, 0))
                per_phrasing[phrasing] = (hit + ok, total + 1)
    wrong = checked = 0
    for role in ROLES:
        for word in COMMON:
            for template in COMMON_SENTENCES:
                text = f"The billing sync service. {role.platform} It uses {role.tech or 'it'}. " + template.format(
                    n=role.noun, w=word, T=(role.tech or "The"))
                checked += 1
                wrong += common_bound(parse(text), word)
    return per_role, per_phrasing, wrong, checked


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=40, help="samples per role x phrasing")
    args = parser.parse_args()
    roles, phrasings, wrong, checked = measure(args.n)
    print(f"{'role (component)':34} bound")
    for key, (hit, total) in roles.items():
        print(f"{key:34} {hit}/{total} {100 * hit / total:5.1f}%")
    print(f"\n{'phrasing':34} bound")
    for key, (hit, total) in phrasings.items():
        print(f"{key:34} {hit}/{total} {100 * hit / total:5.1f}%")
    print(f"\ncommon words bound as names: {wrong} of {checked} sentences")
