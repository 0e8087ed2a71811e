"""Every identifier the user gives reaches its role, and no name is made from the service's slug.

Property tests of the binding forms (agent/service/text.py): hosts by shape (numbered with a role letter,
fully qualified), lists ("a, b and c", "a + b"), a technology's colon label, a name right after a
technology whose vocabulary entry says what its names are, a workload's name in parentheses or quotes,
an explicit "service:" label on the platform, runs of "key: value" lines; and of the accessor
(agent/knowledge/names.py, `Facts.name`): a default built on the service slug is a guarded variable.

Names are random identifiers and phrasings vary; nothing here is taken from an evaluation description.
"""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge.base import Facts
from agent.knowledge.names import built_on_service, guard, variable_for
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.runbook import Command
from agent.service.model import ServiceModel
from agent.service.text import parse

_FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_word = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=6).map(lambda w: w + "q")
_n = st.integers(min_value=1, max_value=9)
_letter = st.sampled_from(["", "m", "w", "n", "db"])
NAME = st.builds(lambda a, b, n: f"{a}-{b}-{n}", _word, _word, _n)


def names(model: ServiceModel, technology: str, role: str) -> list[str]:
    return [v for c in model.components if c.technology == technology or (technology == "app" and c.kind == "service"
                                                                          and c.id == "app") for v in c.names_of(role)]


def unplaced(model: ServiceModel) -> set[str]:
    return {u.text for u in model.unbound}


# --- hosts by shape -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tech, technology", [("OpenSearch", "opensearch"), ("MongoDB", "mongodb"),
                                              ("RabbitMQ", "rabbitmq")])
@pytest.mark.parametrize("listing", ["{a}, {b} and {c}", "{a}, {b}, {c}", "{a} + {b} + {c}"])
@_FAST
@given(prefix=_word, letter=_letter, first=_n)
def test_numbered_hosts_with_a_role_letter_are_hosts_of_the_store(tech: str, technology: str, listing: str,
                                                                  prefix: str, letter: str, first: int) -> None:
    hosts = [f"{prefix}-{letter}{first + k}" for k in range(3)]
    text = f"We run {tech} on {listing.format(a=hosts[0], b=hosts[1], c=hosts[2])}."
    model = parse(text)
    assert names(model, technology, "host") == hosts
    assert not unplaced(model) & set(hosts)


@_FAST
@given(a=NAME, b=NAME, domain=_word, inner=st.sampled_from(["int", "corp", "eu1", "prd"]),
       tld=st.sampled_from(["io", "net", "com", "cloud"]))
def test_fully_qualified_hosts_are_hosts(a: str, b: str, domain: str, inner: str, tld: str) -> None:
    fqdns = [f"{x}.{inner}.{domain}.{tld}" for x in (a, b)] if a != b else [f"{a}.{inner}.{domain}.{tld}"]
    model = parse(f"The catalog API keeps products in MongoDB on {' and '.join(fqdns)} (priority 1 each).")
    assert names(model, "mongodb", "host") == fqdns
    # the short form of a bound host ("backups run on <a>") is that host, not a name left unplaced
    model = parse(f"The catalog API keeps products in MongoDB on {fqdns[0]}. Backups snapshot "
                  f"{fqdns[0].split('.')[0]} nightly.")
    assert fqdns[0].split(".")[0] not in unplaced(model)


@pytest.mark.parametrize("word", ["docker-compose.prod.yml", "settings-v2.local.json", "api.acme.com"])
def test_files_and_sites_are_not_hosts(word: str) -> None:
    model = parse(f"The web app runs on VMs and reads {word} at start.")
    assert word not in [n.value for c in model.components for n in c.names if n.role == "host"]


# --- a technology's own label or name --------------------------------------------------------------------------

@pytest.mark.parametrize("label", ["RDS MySQL 8.0 Multi-AZ: {v}", "RDS MySQL: {v}", "Amazon RDS for MySQL 8: `{v}`"])
@_FAST
@given(value=NAME)
def test_a_technology_label_names_its_instance(label: str, value: str) -> None:
    model = parse("Billing API on ECS.\n\n- " + label.format(v=value) + ", schema `billing`\n- region us-east-1\n")
    assert value in names(model, "mysql", "instance")


@pytest.mark.parametrize("product, technology, role", [
    ("Memorystore Redis", "redis", "instance"), ("ElastiCache Redis", "redis", "instance"),
    ("Cloud SQL for PostgreSQL", "postgresql", "instance"), ("RDS MySQL", "mysql", "instance"),
    ("self-hosted Redis", "redis", "host"), ("PgBouncer", "pgbouncer", "host")])
@pytest.mark.parametrize("after", [".", ", and", " for", " through a proxy."])
@_FAST
@given(value=NAME)
def test_an_identifier_ending_a_products_phrase_is_its_instance_or_host(product: str, technology: str, role: str,
                                                                        after: str, value: str) -> None:
    model = parse(f"Quota API on GKE. It keeps counters in {product} {value}{after} Owned by the quota team.")
    assert value in names(model, technology, role), model.components


@pytest.mark.parametrize("phrase", ["RDS PostgreSQL 15 `{v}` (Multi-AZ), database `{d}`",
                                    "RDS MySQL 8 {v}, database {d}", "Cloud SQL for PostgreSQL 16.2 {v}."])
@_FAST
@given(value=NAME, db=_word)
def test_a_name_after_a_products_version_is_its_instance(phrase: str, value: str, db: str) -> None:
    model = parse(f"Portal API on EKS.\n\n* **Data**: {phrase.format(v=value, d=db)}\n")
    assert value in [v for c in model.components for v in c.names_of("instance")], model.components


@pytest.mark.parametrize("text, product", [
    ("`atlas-web` is the Django monolith behind the Atlas customer portal. Atlas team, #atlas-eng.", False),
    ("`orders-web` is the Django monolith; it keeps orders in Atlas (cluster orders-prod).", True),
    ("`atlas-web` is the Django monolith; it keeps orders in MongoDB Atlas (cluster orders-prod).", True)])
def test_a_product_word_in_the_services_own_name_is_the_service(text: str, product: bool) -> None:
    """`atlas-web` … 'the Atlas customer portal': the word is the service's name, no MongoDB Atlas."""
    model = parse(text)
    assert any(c.technology == "mongodb" for c in model.components) == product, model.components


@pytest.mark.parametrize("word", ["metrics", "backlog", "snapshot", "dashboard"])
@_FAST
@given(instance=NAME)
def test_every_item_of_a_labelled_list_is_a_name(word: str, instance: str) -> None:
    """'(instance x-1, database metrics)': a list whose items are each a noun and one word names them all, a
    word that after a noun is usually its attribute too; 'database metrics grow' in such parentheses is none."""
    from agent.service.vocabulary import vocabulary

    assert vocabulary().attribute("database", word)
    model = parse(f"The API reads Cloud SQL for PostgreSQL (instance {instance}, database {word}) through a proxy.")
    assert instance in names(model, "postgresql", "instance") and word in names(model, "postgresql", "database")
    model = parse(f"The API reads Cloud SQL for PostgreSQL (instance {instance}, database {word} grow) through it.")
    assert word not in names(model, "postgresql", "database")


@pytest.mark.parametrize("phrasing", ["invokes the Lambda {v} (Python 3.12, 512 MB)",
                                      "is consumed by the Lambda {v} which", "calls the Lambda function {v}."])
@_FAST
@given(value=NAME)
def test_a_name_after_a_function_platform_is_a_function(phrasing: str, value: str) -> None:
    model = parse(f"Invoicing is serverless on AWS. A schedule {phrasing.format(v=value)} sends mail.")
    assert value in names(model, "app", "function")
    assert value not in unplaced(model)


# --- the service's own workloads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("platform, role", [("GKE", "deployment"), ("AKS", "deployment"), ("ECS", "ecs_service")])
@pytest.mark.parametrize("mark", ["(\"{v}\")", "({v})", "`{v}`"])
@_FAST
@given(api=NAME, worker=NAME)
def test_a_workload_named_in_parentheses_is_named_on_its_platform(platform: str, role: str, mark: str, api: str,
                                                                  worker: str) -> None:
    if api == worker:
        return
    text = (f"Claims runs on {platform}: a .NET 8 Web API {mark.format(v=api)} and a background worker "
            f"{mark.format(v=worker)}, both in us-east-1.")
    model = parse(text)
    assert {api, worker} <= set(names(model, "app", role))
    assert not unplaced(model) & {api, worker}


@_FAST
@given(a=NAME, b=NAME)
def test_workloads_joined_by_plus_before_their_noun(a: str, b: str) -> None:
    if a == b:
        return
    model = parse(f"Orders run on EKS.\n\n- consumers: {a} + {b} deployments in namespace shop\n")
    assert names(model, "app", "deployment") == [a, b]


@_FAST
@given(cluster=NAME, service=NAME, mark=st.sampled_from(["`{v}`", "{v}"]))
def test_a_service_label_on_ecs_is_the_ecs_service(cluster: str, service: str, mark: str) -> None:
    text = (f"svc: billing\n- Java 21 on ECS with the EC2 launch type\n- cluster: {mark.format(v=cluster)}, "
            f"service: {mark.format(v=service)}, desired 6 tasks\n")
    model = parse(text)
    assert names(model, "app", "ecs_service") == [service]


# --- "key: value" line runs ------------------------------------------------------------------------------------

@_FAST
@given(a=_word, b=_word, c=_word)
def test_a_run_of_key_value_lines_is_one_sentence_a_line(a: str, b: str, c: str) -> None:
    queues = [f"{a}.created.q", f"{b}.paid.q"]
    dead = f"{c}.dlx.q"
    text = ("Order events go through RabbitMQ on EKS.\n\n"
            "namespace=msg\n"
            f"queues: {queues[0]}, {queues[1]} ; dead letters go to {dead}\n"
            "storage: gp3 50Gi per pod\n")
    model = parse(text)
    bound = names(model, "rabbitmq", "queue") + names(model, "rabbitmq", "dlq")
    assert set(queues) | {dead} <= set(bound)


def test_a_database_named_after_the_store_sentence_is_that_stores() -> None:
    text = ("Redis 7 on one box, redq-01, db 0 for jobs.\n\nPostgres 16: primary pgq-01, replica pgq-02. "
            "Database shopq_production, pgbouncer in transaction mode on the primary.")
    model = parse(text)
    assert names(model, "postgresql", "database") == ["shopq_production"]
    assert "shopq_production" not in names(model, "redis", "database")


# --- the accessor ----------------------------------------------------------------------------------------------

SLUG = st.builds(lambda a, b: f"{a}-{b}", _word, _word)


@_FAST
@given(slug=SLUG, suffix=st.sampled_from(["", "-db", "-redis", "_data", "-connector"]))
def test_a_default_built_on_the_slug_is_a_guarded_variable(slug: str, suffix: str) -> None:
    facts = Facts(service=slug, display_name=slug, description="")
    for default in (f"{slug}{suffix}", f"{slug.replace('-', '_')}{suffix}"):
        got = facts.name("postgres.host", default)
        assert got == "${POSTGRES_HOST}" and slug not in got
    assert facts.fill_ins == {"POSTGRES_HOST": "postgres.host"}


@_FAST
@given(slug=SLUG, given_name=NAME)
def test_given_and_conventional_names_are_kept(slug: str, given_name: str) -> None:
    facts = Facts(service=slug, display_name=slug, description="", names={"postgres.host": given_name,
                                                                           "k8s.statefulset": f"{slug}-server"})
    assert facts.name("postgres.host", f"{slug}-db") == given_name
    assert facts.name("postgres.user", "postgres") == "postgres"  # a conventional default, not made up
    assert facts.name("rabbitmq.host", f"{slug}-server-0") == f"{slug}-server-0"  # built on a given name
    assert not facts.fill_ins


@given(key=st.from_regex(r"[a-z][a-z0-9]{1,6}(?:[._][a-z0-9]{1,6}){0,2}", fullmatch=True))
def test_variables_are_shell_names(key: str) -> None:
    assert re.fullmatch(r"[A-Z][A-Z0-9_]*", variable_for(key))


def test_built_on_service_needs_a_whole_part() -> None:
    assert built_on_service("orders-api-db", "orders-api")
    assert built_on_service("./charts/orders_api", "orders-api")
    assert not built_on_service("postgres", "orders-api")
    assert not built_on_service("myorders-apix", "orders-api")


def test_guard_declares_each_used_variable_once_at_the_top() -> None:
    command = Command(purpose="p", language="bash", code='psql -d "${POSTGRES_DATABASE}" -c "SELECT 1"',
                      expect=None, warning=None)
    out = guard([command], {"POSTGRES_DATABASE": "postgres.database", "UNUSED": "x"})[0]
    first, rest = out.code.split("\n", 1)
    assert first.startswith('POSTGRES_DATABASE="${POSTGRES_DATABASE:?set POSTGRES_DATABASE to')
    assert "UNUSED" not in out.code and rest == command.code
    assert guard([out], {"POSTGRES_DATABASE": "postgres.database"})[0].code == out.code  # declared: unchanged


# --- a generated runbook -------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, text", [
    ("vm", "{s} is a Django app on VMs web-01 and web-02 with PostgreSQL and Redis."),
    ("kubernetes", "{s} is a Go API on Kubernetes that uses a MySQL database and a Kafka topic."),
    ("docker", "{s} runs with Docker Compose next to MongoDB and RabbitMQ."),
])
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slug=SLUG)
def test_a_runbook_has_no_name_made_from_the_slug_when_the_role_is_not_given(env: str, text: str, slug: str) -> None:
    rule = load_rule(default_rule_path())
    answers = from_mapping(rule, {"type": "api", "env": env, "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    request = GenerationRequest(rule=rule, description=text.format(s=slug), answers=answers,
                                now=datetime(2026, 1, 5, 9, 0), service_name=None)
    runbook = OfflineModel().generate(request).runbook
    made = set()
    for command in runbook.commands():
        for line in command.code.splitlines():
            if line.lstrip().startswith("#"):
                continue
            # a resource name made from the slug: slug-db, slug_db, slug-redis …; the slug alone may be the
            # service's own label or tag value, which the description gives
            made |= set(re.findall(rf"(?<![\w-]){re.escape(slug)}[-_](?:db|mysql|mongo|redis|kafka|events|"
                                   rf"queue|table|connector|pgbouncer|memcached|alb|restore|data)\b", line))
            made |= set(re.findall(rf"(?<![\w-]){re.escape(slug.replace('-', '_'))}(?![\w-])", line))
    assert not made, made


@pytest.mark.parametrize("what", ["autoscaled by an HPA", "deployed by Argo CD", "running 3 replicas"])
@_FAST
@given(value=NAME)
def test_a_participle_after_is_never_the_nouns_name(what: str, value: str) -> None:
    model = parse(f"Search runs on GKE.\n\n* The `{value}` Deployment is {what}.\n")
    assert names(model, "app", "deployment") == [value]


@_FAST
@given(own=NAME, service=NAME)
def test_a_service_label_heading_the_description_names_the_service_not_its_ecs_service(own: str, service: str) -> None:
    if own == service:
        return
    model = parse(f"- Service: **{own}** (REST API)\n- Runs on ECS Fargate: cluster `prod-c1`, service `{service}`\n")
    assert names(model, "app", "ecs_service") == [service]


@pytest.mark.parametrize("state", ["active", "recovering", "deployed", "down"])
def test_a_quoted_state_after_a_noun_is_no_name(state: str) -> None:
    """Blind l07: 'every replica "active"' made `active` a replica's name."""
    model = parse(f'shopsearch runs on VMs. Check that every replica "{state}" before the next node.')
    assert state not in [n.value for c in model.components for n in c.names]
    assert "ready" in names(parse('The app reads the queue named "ready".'), "app", "queue")


@_FAST
@given(value=NAME)
def test_a_one_word_heading_line_is_not_the_subject_of_its_paragraph(value: str) -> None:
    """Blind l07: 'Overview' over 'x is the SolrCloud 9.4 cluster' hid the subject: the service is Solr."""
    model = parse(f"Search Platform / SolrCloud \"{value}\" (production)\n\nOverview\n"
                  f"{value} is the SolrCloud 9.4 cluster that serves product search.\n")
    assert model.app is not None and model.app.technology == "solr", model.components


@settings(max_examples=30, deadline=None)
@given(noun=st.sampled_from(["cluster", "queue", "disk", "bucket", "topic"]),
       state=st.sampled_from(["full", "stuck", "down", "degraded", "pending", "healthy", "unreachable"]),
       lead=st.sampled_from(["Allocations stuck pending: the {n} is {s}.", "If the {n} is {s}, page the DBA.",
                             "When the {n} is {s} nothing moves."]))
def test_what_a_thing_is_like_is_no_name(noun: str, state: str, lead: str) -> None:
    """Blind m05: "Allocations stuck pending: the cluster is full." made a cluster named 'full'."""
    model = parse("orders-api runs on VMs. " + lead.format(n=noun, s=state))
    assert state not in {n.value for c in model.components for n in c.names}


@settings(max_examples=20, deadline=None)
@given(word=st.sampled_from(["template", "update", "group", "network"]))
def test_a_stanza_is_pgbackrests_only_when_the_text_has_pgbackrest(word: str) -> None:
    """Blind m05: a Nomad job's "`template` stanza" and "update stanza" became pgBackRest stanzas of Postgres."""
    model = parse(f"The job's `{word}` stanza renders secrets. The {word} stanza has canary = 1. "
                  "Postgres: pg-eta:5432, database eta.")
    assert not [n for c in model.components for n in c.names if n.role == "stanza"]
    backed = parse("PostgreSQL on db-1, backed up by pgBackRest (stanza main).")
    assert [n.value for c in backed.components for n in c.names if n.role == "stanza"] == ["main"]


@settings(max_examples=30, deadline=None)
@given(name=st.from_regex(r"\A[a-z]{3,8}-[a-z]{2,5}\Z", fullmatch=True),
       kind=st.sampled_from(["auto-failover", "inventory", "log", "security", "target", "node"]))
def test_another_kind_of_group_is_no_consumer_group(name: str, kind: str) -> None:
    """Blind m06: "auto-failover group fog-claimsdesk" made a Kafka component with that consumer group."""
    model = parse(f"claimsdesk runs on Azure App Service. Azure SQL, {kind} group {name}, secondary in northeurope.")
    assert not [c for c in model.components if c.technology == "kafka"]
    assert name not in {n.value for c in model.components for n in c.names if n.role == "consumer_group"}
    kafka = parse(f"It reads Kafka (consumer group {name}). Kafka group {name}-2 too.")
    assert {n.value for c in kafka.components for n in c.names if n.role == "consumer_group"} == {name, f"{name}-2"}


@settings(max_examples=30, deadline=None)
@given(app=st.from_regex(r"\Aapp-[a-z]{3,8}-prod\Z", fullmatch=True), rg=st.from_regex(r"\Arg-[a-z]{3,8}\Z",
                                                                                         fullmatch=True))
def test_a_web_app_and_its_rg_are_named(app: str, rg: str) -> None:
    """Blind m06: "RG rg-…" and "web app app-… on plan asp-…" were not read: the runbook's az webapp commands
    used a name made from the ticket's title."""
    model = parse(f"claimsdesk = claims portal (.NET 8 on Linux App Service).\n- RG {rg} (westeurope)\n"
                  f"- web app {app} on plan asp-x (P2v3, 3 instances)\n- DB claimsdesk (GP_Gen5_8), auto-failover "
                  "group fog-x")
    names = {(n.role, n.value) for c in model.components for n in c.names}
    assert ("resource_group", rg) in names and ("function", app) in names, names
    assert ("database", "auto-failover") not in names, names


@settings(max_examples=30, deadline=None)
@given(team=st.from_regex(r"\A[a-z]{3,8}-l[12]\Z", fullmatch=True), tool=st.sampled_from(["Opsgenie", "PagerDuty"]),
       site=st.from_regex(r"\A[A-Z][a-z]{2,4}-DC[1-9]\Z", fullmatch=True),
       prog=st.from_regex(r"\A[a-z]{3,5}\Z", fullmatch=True).filter(lambda w: w not in {"host", "nginx"}))
def test_a_pager_team_a_site_and_a_sentence_after_a_colon_are_no_hosts(team: str, tool: str, site: str,
                                                                       prog: str) -> None:
    """Blind m02/m09 (SRE review): the runbook's HOSTS list held the Opsgenie team 'labsync-l2', the data centre
    'Osl-DC2', 'nginx' (a wiki heading '== Web nodes ==' read with the line under it) and 'dep' ("from the build
    host: dep deploy production")."""
    text = (f"kartotek runs on bare metal in our own rack in {site}, Debian 12. Alerts page the {tool} team {team} "
            f"(24/7).\n\n== Web nodes ==\nnginx -t before every nginx reload.\n\n== Deploy ==\nDeployer, from the "
            f"build host: {prog} deploy production (symlinks the release).\nHosts: web01.x.net, web02.x.net\n")
    hosts = [n.value for c in parse(text).components for n in c.names if n.role == "host"]
    assert not {team, site, "nginx", prog} & set(hosts), hosts
    assert "web01.x.net" in hosts, hosts


@settings(max_examples=20, deadline=None)
@given(name=st.from_regex(r"\A[a-z]{4,8}\Z", fullmatch=True), version=st.sampled_from(["8.2", "8.3", "7.4", ""]))
def test_a_php_apps_unit_is_its_fpm_pool(name: str, version: str) -> None:
    """Blind m09 (SRE review): a PHP monolith under PHP-FPM got `systemctl restart {name}`, a unit that does not
    exist; the text said `systemctl reload php8.2-fpm`."""
    fpm = f"php{version}-fpm"
    model = parse(f"{name} is a PHP {version or '8'} / Symfony monolith on four web nodes (nginx + {fpm}).\n"
                  f"After a deploy: systemctl reload {fpm} on each node.")
    assert [n.value for n in model.components[0].names if n.role == "unit"] == [fpm]
    named = parse(f"{name} is a PHP app on VMs under the systemd unit {name}-web; it uses {fpm}.")
    assert [n.value for n in named.components[0].names if n.role == "unit"] == [f"{name}-web"]
