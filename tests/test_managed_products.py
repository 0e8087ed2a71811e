"""A service that is itself a managed product (an OpenSearch Service domain, an RDS instance, an ElastiCache
replication group …) gets the product's own operations: no kubectl, systemctl or ssh, the product's describe
call with the given name and region, and the environment inferred from the service model (assumed, with
its evidence); an environment the user gave stays theirs."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import Answers, from_mapping, infer
from agent.knowledge.base import Context
from agent.knowledge.facts import facts_from_model
from agent.knowledge.platforms import Platform, platform_for
from agent.knowledge.platforms.base import Hostless
from agent.knowledge.platforms.products import Managed, products, service_product
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import Rule, default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.text import parse

NOW = datetime(2026, 1, 5, 9, 0)
FORBIDDEN = re.compile(r"(?:^|[\s;|&(])(?:kubectl|systemctl|ssh|helm|docker) ")


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule(default_rule_path())


def _code(runbook: Runbook) -> str:
    """Every command, comment lines left out (a reason naming a tool is not a call of it)."""
    text = "\n".join(c.code for c in runbook.commands())
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _generate(rule: Rule, description: str, **flags: str) -> tuple[Runbook, Answers]:
    """As `agent generate` does it: the given answers, the rest inferred from the description and model."""
    model = parse(description)
    known = from_mapping(rule, flags, "test")
    answers = known.merged(infer(rule, description, known, [q.key for q in known.missing(rule)], model))
    request = GenerationRequest(rule=rule, description=description, answers=answers, now=NOW, service=model)
    return OfflineModel().generate(request).runbook, answers


# --- names and phrasings ----------------------------------------------------------------------------

_WORDS = ["orders", "ledger", "billing", "catalog", "rates", "events", "quotes", "tiles", "claims", "points"]
names = st.builds(lambda a, b, n: f"{a}-{b}{n}", st.sampled_from(_WORDS),
                  st.sampled_from(["prd", "prod", "main", "live", "p"]), st.integers(min_value=1, max_value=99))
services = st.builds(lambda a, b: f"{a}-{b}", st.sampled_from(_WORDS), st.sampled_from(["search", "db", "store",
                                                                                          "cache", "data"]))
aws_regions = st.sampled_from(["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2", "eu-central-1"])
gcp_regions = st.sampled_from(["europe-west1", "us-central1", "asia-northeast1"])

# (variant, phrasing, the product's describe call as a regex over {name} and {region})
CASES = [
    ("opensearch-service", "{svc} is our Amazon OpenSearch domain {name} in {region}.",
     r"aws opensearch describe-domain --domain-name {name} --region {region}"),
    ("opensearch-service", "{svc} = an Amazon OpenSearch Service domain, {name} ({region}, OpenSearch 2.11).",
     r"aws opensearch describe-domain --domain-name {name} --region {region}"),
    ("rds-instance", "{svc} is a managed RDS PostgreSQL instance {name} in {region}.",
     r"aws rds describe-db-instances --region {region} --db-instance-identifier {name}"),
    ("rds-instance", "{svc}: our managed Amazon RDS for MySQL 8.0 instance {name}, region {region}.",
     r"aws rds describe-db-instances --region {region} --db-instance-identifier {name}"),
    ("aurora", "{svc} is an Aurora PostgreSQL cluster {name} in {region}.",
     r"aws rds describe-db-clusters --region {region} --db-cluster-identifier {name}"),
    ("elasticache", "{svc}: it's an ElastiCache replication group called {name} in {region} (Redis 7).",
     r"aws elasticache describe-replication-groups --region {region} --replication-group-id {name}"),
    ("msk", "{svc} is an Amazon MSK cluster named {name} in {region}.",
     r"aws kafka list-clusters-v2 --region {region} --cluster-name-filter {name}"),
]
GCP_CASES = [
    ("cloud-sql", "{svc} is a Cloud SQL for PostgreSQL instance {name} in {region}.",
     r"gcloud sql instances describe {name}"),
    ("memorystore", "{svc} is a Memorystore for Redis instance {name} in {region}.",
     r"gcloud redis instances describe {name} --region {region}"),
]


def _case(data: st.DataObject) -> tuple[str, str, str, str, str]:
    variant, phrasing, describe = data.draw(st.sampled_from(CASES + GCP_CASES))
    region = data.draw(gcp_regions if (variant, phrasing, describe) in GCP_CASES else aws_regions)
    name, svc = data.draw(names), data.draw(services)
    return variant, phrasing.format(svc=svc, name=name, region=region), describe.format(
        name=re.escape(name), region=re.escape(region)), name, region


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_managed_product_service_gets_the_products_own_operations(rule: Rule, data: st.DataObject) -> None:
    variant, description, describe, name, region = _case(data)
    runbook, answers = _generate(rule, description, criticality="high", monitoring="cloudwatch", oncall="24/7")
    env = answers.get("env")
    assert env is not None and env.value == "managed" and env.assumed, answers.assumption_lines()
    assert products()[variant].product in env.display()
    assert any(line.startswith("env: Managed service") for line in runbook.assumptions)
    code = _code(runbook)
    hits = [line for line in code.splitlines() if FORBIDDEN.search(line)]
    assert not hits, hits[:3]
    assert re.search(describe, code), describe
    assert "namespace" not in " ".join(runbook.assumptions).lower()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, svc=services, region=aws_regions)
def test_an_environment_the_user_gave_stays_theirs(rule: Rule, name: str, svc: str, region: str) -> None:
    description = f"{svc} is our Amazon OpenSearch domain {name} in {region}."
    runbook, answers = _generate(rule, description, env="kubernetes", criticality="high",
                                 monitoring="cloudwatch", oncall="24/7")
    env = answers.get("env")
    assert env is not None and env.value == "kubernetes" and not env.assumed
    assert "kubectl " in _code(runbook)


@settings(max_examples=15, deadline=None)
@given(name=names, svc=services, region=aws_regions,
       phrasing=st.sampled_from(["{svc} is a Java API on EKS in namespace shop; it stores orders in the RDS "
                                 "PostgreSQL instance {name} ({region}).",
                                 "{svc} is a Python worker on EC2 that reads the ElastiCache replication group "
                                 "{name} in {region}.",
                                 "{svc} is a Go service backed by the RDS instance {name} in {region}."]))
def test_a_service_that_only_uses_a_managed_product_is_not_that_product(name: str, svc: str, region: str,
                                                                         phrasing: str) -> None:
    description = phrasing.format(svc=svc, name=name, region=region)
    assert service_product(parse(description), description, "api") is None


def test_self_managed_opensearch_on_ec2_is_not_the_managed_service() -> None:
    description = ("logs platform, self-managed OpenSearch 2.11 on EC2 (not the AWS managed service). "
                   "cluster.name obs-logs, 3 masters os-master-1..3.")
    assert service_product(parse(description), description, "database") is None


def _context(rule: Rule, description: str, **flags: str) -> Context:
    model = parse(description)
    known = from_mapping(rule, flags, "test")
    answers = known.merged(infer(rule, description, known, [q.key for q in known.missing(rule)], model))
    return Context(answers, facts_from_model(model, description))


def test_the_opensearch_domain_is_checked_over_its_https_endpoint(rule: Rule) -> None:
    description = ("catalog-search is an Amazon OpenSearch Service domain, cat-search-prd (eu-west-1), "
                   "VPC endpoint alias search-es.internal.example.io.")
    ctx = _context(rule, description, type="database")
    platform = platform_for(ctx)
    assert isinstance(platform, Managed)
    health = platform.health_check().code
    assert "https://search-es.internal.example.io/_cluster/health" in health and ":9200" not in health
    runbook, _ = _generate(rule, description, type="database", criticality="high", monitoring="cloudwatch",
                           oncall="24/7")
    code = _code(runbook)
    assert "http://" not in code and ":9200" not in code
    assert "aws opensearch describe-domain-change-progress --domain-name cat-search-prd" in code


def test_an_operation_the_product_lacks_is_said_not_invented(rule: Rule) -> None:
    ctx = _context(rule, "rate-cache is a Memorystore for Redis instance rate-cache-1 in europe-west1.")
    platform = platform_for(ctx)
    assert isinstance(platform, Managed) and isinstance(platform, Hostless)
    restart = platform.restart_all()
    assert restart.code.startswith("# Memorystore has no restart")
    assert "gcloud redis instances describe rate-cache-1 --region europe-west1" in restart.code
    assert platform.stop().code.startswith("# A Memorystore instance cannot be stopped")


def test_a_products_restart_is_its_api_with_a_warning(rule: Rule) -> None:
    ctx = _context(rule, "orders-db is our managed Amazon RDS for PostgreSQL instance orders-prd in us-east-1.")
    restart = platform_for(ctx).restart_all()
    assert "aws rds reboot-db-instance --region us-east-1 --db-instance-identifier orders-prd" in restart.code
    assert restart.warning and "drops every connection" in restart.warning


def test_scaling_checks_the_change_in_progress_and_goes_through_the_owner(rule: Rule) -> None:
    ctx = _context(rule, "catalog-search is an Amazon OpenSearch Service domain cat-search-prd in eu-west-1.",
                   type="database")
    scale = platform_for(ctx).scale("9", "Scale out")
    first = scale.code.splitlines()[0]
    assert first.startswith("aws opensearch describe-domain-change-progress --domain-name cat-search-prd")
    assert "IaC" in scale.code and scale.warning and "blue/green" in scale.warning


def test_an_unnamed_product_is_asked_for_never_made_up(rule: Rule) -> None:
    ctx = _context(rule, "search-api is our Amazon OpenSearch domain.", type="database")
    status = platform_for(ctx).status()[0].code
    assert status.startswith('DOMAIN="${DOMAIN:?set DOMAIN to the Amazon OpenSearch Service domain name}"')
    assert 'AWS_REGION="${AWS_REGION:?' in status and "search-api" not in status


def test_every_product_has_the_blocks_the_platform_calls() -> None:
    for variant, product in products().items():
        for key in ("status", "events", "resources", "version", "history", "dr"):
            assert key in product.blocks, (variant, key)
        assert product.restart_none or "restart" in product.blocks, variant
        assert product.scale.get("code") and product.rollback and product.stop_none, variant
        assert product.logs.get("code") or product.logs.get("list"), variant


def test_managed_is_a_concrete_platform() -> None:
    assert issubclass(Managed, Platform)
    assert not getattr(Managed, "__abstractmethods__", frozenset())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=12), host=names)
def test_a_host_name_is_never_taken_for_the_identifier(rule: Rule, name: str, host: str) -> None:
    description = (f"{name}-svc is our Amazon OpenSearch domain {host}, endpoint {name}.search.example.com, "
                   "in eu-west-1.")
    platform = platform_for(_context(rule, description, type="database"))
    assert isinstance(platform, Managed)
    assert platform.ident == host
    assert platform.endpoint == f"{name}.search.example.com"
    assert f"https://{name}.search.example.com/_cluster/health" in platform.health_check().code


# One description per product: the runbook written for it passes `agent test` (shellcheck and the CLI
# tables included: the aws commands are checked against awscli's own command table).
PRODUCT_DESCRIPTIONS = {
    "opensearch-service": "catalog-search is an Amazon OpenSearch Service domain cat-search-prd in eu-west-1, "
                          "endpoint search-es.internal.example.io.",
    "rds-instance": "orders-db is our managed Amazon RDS for PostgreSQL 15 instance orders-prd in us-east-1.",
    "aurora": "ledger-store is an Aurora PostgreSQL cluster ledger-prod in eu-central-1.",
    "elasticache": "sess-cache: it's an ElastiCache replication group called sess-cache-prod in eu-west-1.",
    "msk": "events-bus is an Amazon MSK cluster named events-prod in us-west-2.",
    "cloud-sql": "billing-sql is a Cloud SQL for PostgreSQL instance billing-prod in project acme-prod.",
    "memorystore": "rate-cache is a Memorystore for Redis instance rate-cache-1 in europe-west1.",
    "azure-cache": "web-cache is an Azure Cache for Redis cache web-cache-prd in resource group rg-web.",
}


def test_every_product_has_a_description_here() -> None:
    assert set(PRODUCT_DESCRIPTIONS) == set(products())


@pytest.mark.parametrize("variant", sorted(PRODUCT_DESCRIPTIONS))
def test_the_runbook_of_each_product_passes_agent_test(rule: Rule, variant: str) -> None:
    from agent.checks import check_markdown
    from agent.render import render_markdown

    description = PRODUCT_DESCRIPTIONS[variant]
    runbook, answers = _generate(rule, description, criticality="high", monitoring="cloudwatch", oncall="24/7")
    env = answers.get("env")
    assert env is not None and env.value == "managed" and products()[variant].product in env.display()
    report = check_markdown(render_markdown(runbook), "managed.md")
    assert [f for f in report.findings if f.severity in ("error", "warning")] == [], report.findings
    assert not [line for line in _code(runbook).splitlines() if FORBIDDEN.search(line)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, svc=services, region=aws_regions, kind=st.sampled_from(["application", "app-logs", "errors"]))
def test_error_lines_come_from_the_named_log_group_never_the_slow_log(rule: Rule, name: str, svc: str, region: str,
                                                                      kind: str) -> None:
    slow, app = f"/aws/opensearch/{name}/search-slow", f"/aws/opensearch/{name}/{kind}"
    description = (f"{svc} is our Amazon OpenSearch domain {name} in {region}. The search slow log is the "
                   f"CloudWatch Logs group {slow}; application logs go to {app}.")
    platform = platform_for(_context(rule, description, type="database"))
    errors = platform.logs("15m", "error|exception").code
    assert f"--log-group-name {app} " in errors and slow not in errors
    assert any(slow in c.code for c in platform.cheatsheet()) or app in platform.logs("1h").code


def test_without_a_named_application_log_the_operator_picks_one_of_the_published_groups(rule: Rule) -> None:
    description = ("catalog-search is an Amazon OpenSearch Service domain cat-search-prd in eu-west-1; the slow "
                   "log is /aws/opensearch/cat-search-prd/search-slow.")
    platform = platform_for(_context(rule, description, type="database"))
    errors = platform.logs("15m", "error").code
    assert "DomainStatus.LogPublishingOptions" in errors and 'LOG_GROUP="${LOG_GROUP:?' in errors
    assert "search-slow" not in errors
    assert any("/aws/opensearch/cat-search-prd/search-slow" in c.code for c in platform.cheatsheet())


def test_a_conflicting_environment_the_user_gave_is_followed_and_said(rule: Rule) -> None:
    description = "catalog-search is an Amazon OpenSearch Service domain cat-search-prd in eu-west-1."
    ctx = _context(rule, description, type="database", env="vm")
    platform = platform_for(ctx)
    assert not isinstance(platform, Managed)
    assert any("Amazon OpenSearch Service" in a and "follow the given environment" in a for a in platform.assumptions)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, svc=services, region=aws_regions,
       clients=st.sampled_from(["Apps (invoice-api on ECS) connect through RDS Proxy.",
                                "Its clients run on ECS Fargate.", "The reporting job is a systemd timer on a VM."]))
def test_a_products_clients_platform_adds_no_commands_for_the_service(rule: Rule, name: str, svc: str, region: str,
                                                                      clients: str) -> None:
    description = f"Service: {svc} — Amazon Aurora PostgreSQL 15 cluster `{name}` in {region}. {clients}"
    runbook, answers = _generate(rule, description, type="database", criticality="high", monitoring="cloudwatch",
                                 oncall="24/7")
    assert answers.environment == "managed"
    code = _code(runbook)
    assert "aws ecs " not in code and not [line for line in code.splitlines() if FORBIDDEN.search(line)]
    assert f"aws rds describe-db-clusters --region {region} --db-cluster-identifier {name}" in code


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=st.sampled_from(["search.example.com", "os.internal.acme.io"]), port=st.sampled_from(["", ":443"]),
       name=names)
def test_an_endpoint_given_as_a_url_is_used_by_its_host(rule: Rule, host: str, port: str, name: str) -> None:
    description = (f"catalog-search is an Amazon OpenSearch Service domain {name} in eu-west-1, served at "
                   f"https://{host}{port}/ for clients.")
    platform = platform_for(_context(rule, description, type="database"))
    assert isinstance(platform, Managed)
    assert f"'https://{host}/_cluster/health?pretty'" in platform.health_check().code
