"""What a repository's model answers by itself, and the plain words it reads as.

- `answers(rule, model)`: the rule's questions the files answer — where it runs (manifests, Compose,
  units, functions) and how it is watched (Prometheus rules, Datadog monitors, CloudWatch alarms) —
  each with the file that says so as its reason (not assumed). Type, criticality and on-call are
  the user's to say (or assumed as usual).
- `describe(model)`: a short description written from the model, used as the description when the
  user gives none (the LLM prompts and the packs' detection read words).
"""

from __future__ import annotations

from agent.answers import Answers, parse_answer
from agent.rule import Rule
from agent.service.model import ServiceModel

_ENV = {"kubernetes": "kubernetes", "docker": "docker", "vm": "vm", "serverless": "serverless",
        "baremetal": "baremetal"}
_MONITORING = {"prometheus": "prometheus", "prometheusrule": "prometheus", "datadog": "datadog",
               "cloudwatch": "cloudwatch"}
_TECH_WORDS = {"postgresql": "PostgreSQL", "mysql": "MySQL", "redis": "Redis", "mongodb": "MongoDB",
               "kafka": "Kafka", "rabbitmq": "RabbitMQ", "sqs": "SQS", "sns": "SNS", "s3": "S3",
               "dynamodb": "DynamoDB", "elasticsearch": "Elasticsearch", "nginx": "nginx", "memcached": "Memcached",
               "pgbouncer": "PgBouncer", "alb": "ALB", "nodejs": "Node.js", "python": "Python", "go": "Go",
               "java": "Java", "ruby": "Ruby", "php": "PHP", "kinesis": "Kinesis", "pubsub": "Pub/Sub",
               "gcs": "Cloud Storage", "celery": "Celery", "airflow": "Airflow", "patroni": "Patroni"}
_VARIANT_WORDS = {"rds-instance": "RDS", "aurora": "Aurora", "aurora-global": "Aurora Global Database",
                  "elasticache": "ElastiCache", "msk": "MSK", "lambda": "AWS Lambda", "ecs": "ECS",
                  "cloud-sql": "Cloud SQL", "memorystore": "Memorystore", "eks": "EKS", "gke": "GKE", "aks": "AKS"}


def answers(rule: Rule, model: ServiceModel) -> Answers:
    """Answers the files give (environment, monitoring), each with the file that gives it."""
    items = {}
    env = _ENV.get(model.platform.environment)
    question = rule.question("env")
    if env and question is not None and model.platform.origin == "repository":
        try:
            answer = parse_answer(question, env, reason=f"the repository's files ({model.platform.at})")
            items["env"] = answer
        except Exception:  # a custom rule without that option: leave the question to the user  # noqa: BLE001
            pass
    stacks = list(dict.fromkeys(_MONITORING[a.source_format] for a in model.alerts
                                if a.source_format in _MONITORING and a.origin == "repository"))
    question = rule.question("monitoring")
    if stacks and question is not None:
        first = next(a for a in model.alerts if _MONITORING.get(a.source_format) in stacks)
        try:
            items["monitoring"] = parse_answer(question, ",".join(stacks),
                                               reason=f"the repository's alert rules ({first.at})")
        except Exception:  # noqa: BLE001 - a rule file whose options differ
            pass
    return Answers(items)


def describe(model: ServiceModel) -> str:
    """"onlineboutique: frontend, cartservice … on Kubernetes; uses Redis (redis-cart); …" from the model."""
    own = model.workloads()
    parts = [model.service.display or model.service.name]
    if own:
        names = ", ".join(c.id for c in own[:12]) + (f" and {len(own) - 12} more" if len(own) > 12 else "")
        runtimes = sorted({_TECH_WORDS.get(c.technology, "") for c in own} - {""})
        parts.append(f"runs {len(own)} workload{'s' * (len(own) != 1)} ({names})"
                     + (f" written in {', '.join(runtimes)}" if runtimes else ""))
    where = {"kubernetes": "on Kubernetes", "docker": "with Docker Compose", "vm": "on hosts under systemd",
             "serverless": "as serverless functions"}.get(model.platform.environment, "")
    if any(c.variant == "ecs" for c in own):
        where = "on ECS"
    if where:
        parts.append(where + (f" in {model.platform.cloud.upper()}" if model.platform.cloud else ""))
    deps = []
    for c in model.components:
        if c.kind == "service" or not c.technology:
            continue
        word = " ".join(w for w in (_VARIANT_WORDS.get(c.variant, ""), _TECH_WORDS.get(c.technology, c.technology))
                        if w)
        deps.append(f"{word} ({c.id})")
    if deps:
        parts.append("uses " + ", ".join(dict.fromkeys(deps)))
    if model.alerts:
        parts.append(f"with {len(model.alerts)} alert rules of its own")
    return "; ".join(parts) + "."
