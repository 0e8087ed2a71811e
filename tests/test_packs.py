"""The shared harness every knowledge pack must pass, built-in or third-party.

For each pack, each of its example descriptions, each environment and each monitoring stack: build
a Context, call `contribute`, and check every part the way a runbook's validators would (pydantic,
`bash -n`, placeholders, the real PostgreSQL parser, the PromQL parser), plus what only a pack can
get wrong: destructive commands without a warning, unscoped kubectl/aws commands, names from the
description ignored, alert queries in the wrong monitoring language. A new pack file is picked up
with no change here.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from functools import cache
from typing import Any

import pglast
import promql_parser
import pytest
from pydantic import BaseModel

from agent.answers import Answers, from_mapping
from agent.checks.check import check_markdown
from agent.checks.placeholders import find_placeholders
from agent.checks.shell import syntax_errors
from agent.knowledge.base import Context, Contribution, Facts, Pack
from agent.knowledge.environments import platform_for
from agent.knowledge.facts import facts_from_model
from agent.knowledge.monitoring import alerts_for, registered
from agent.knowledge.names import guard
from agent.knowledge.packs import all_packs, detect_packs
from agent.rule import load_rule
from agent.runbook import Appendix, Command, Link, iter_commands
from agent.service.text import parse

ENVS = ("kubernetes", "docker", "vm", "serverless", "baremetal")
STACKS = ("prometheus", "datadog", "cloudwatch", "newrelic", "custom")
PACKS = all_packs()
PACK_IDS = [p.name for p in PACKS]

# Descriptions no technology pack should claim.
NEUTRAL = [
    "A Go HTTP API that renders PDF invoices from templates; stateless, behind a load balancer.",
    "Internal Slack bot written in Python that posts the lunch menu every morning.",
    "A static marketing website built with Hugo and served from a CDN.",
]

# Commands that destroy data, drop work, cut capacity or switch primaries: each needs a warning.
DANGER = re.compile(
    r"FLUSHALL|FLUSHDB|\bDROP\s+(TABLE|DATABASE|INDEX|SCHEMA)|pg_drop_replication_slot|\bTRUNCATE\b"
    r"|pg_terminate_backend|\bdown\b[^\n]*\s-v\b|--reset-offsets[^\n]*--execute|\bpurge\b|purge-queue"
    r"|delete-queue|rm\s+-rf|s3\s+rm\b|\brb\b[^\n]*--force|rollout undo|helm\s+rollback|helm\s+uninstall"
    r"|argocd\s+app\s+(rollback|delete)|failover|stepDown|pg_promote|promote-read-replica"
    r"|delete-table|delete-item|systemctl\s+stop|--replicas=0|--desired-count\s+0"
    r"|reserved-concurrent-executions\s+0|start-message-move-task|kafka-topics[^\n]*--delete"
    r"|kafka-consumer-groups[^\n]*--delete|-X\s*DELETE|_cluster/reroute|volume\s+rm|system\s+prune"
    r"|DEBUG\s+SLEEP|SHUTDOWN|\bkill\s+-9\b|docker\s+rm\b|dropDatabase|\.drop\(\)|deleteMany"
    r"|delete_queue|killOp|flush_all|force: true|KILL\s+\d|KILL\s+\$|update-event-source-mapping[^\n]*--no-enabled",
    re.IGNORECASE,
)
# SQL passed to psql -c; PgBouncer's admin console (-d pgbouncer) speaks its own commands.
_PSQL_C = re.compile(r"psql\b(?![^\n]*-d pgbouncer)[^\n]*?-c \"([^\"]*)\"")
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")


@cache
def _rule() -> Any:
    return load_rule()


def answers(env: str, stack: str) -> Answers:
    return from_mapping(_rule(), {"type": "api", "env": env, "criticality": "critical",
                                  "monitoring": stack, "oncall": "24x7"}, "test")


def facts(description: str, names: dict[str, str] | None = None) -> Facts:
    return Facts(service="orders-api", display_name="Orders API", description=description,
                 namespace="shop", region="eu-west-1", names=names or {})


def examples(pack: Pack) -> tuple[str, ...]:
    found = tuple(getattr(pack, "examples", ()))
    assert found, f"pack {pack.name} has no example descriptions (set `examples`)"
    return found


_CONTEXTS: dict[str, Context] = {}


def contributions(pack: Pack) -> list[tuple[str, Contribution]]:
    out = []
    for description in examples(pack):
        for env in ENVS:
            for stack in STACKS:
                ctx = Context(answers(env, stack), facts(description))
                part = pack.contribute(ctx)
                part.alerts = [*part.alerts, *alerts_for(ctx, part.signals)]  # as the engine renders them
                for field_name in part.__dataclass_fields__:  # fill-in variables declared, as the engine does
                    items = getattr(part, field_name)
                    if isinstance(items, list):
                        setattr(part, field_name, [guard(x, ctx.facts.fill_ins) if isinstance(x, BaseModel) else x
                                                   for x in items])
                out.append((f"{env}/{stack}/{description[:30]}", part))
                _CONTEXTS[f"{env}/{stack}/{description[:30]}"] = ctx
    return out


def commands(part: Contribution) -> list[Command]:
    found: list[Command] = []
    for name in part.__dataclass_fields__:
        for item in getattr(part, name):
            if isinstance(item, BaseModel):
                found.extend(iter_commands(item))
    return found


@pytest.fixture(scope="module", params=PACKS, ids=PACK_IDS)
def built(request: pytest.FixtureRequest) -> tuple[Pack, list[tuple[str, Contribution]]]:
    return request.param, contributions(request.param)


def test_there_are_packs_with_unique_names() -> None:
    assert len(PACKS) >= 18
    assert len({p.name for p in PACKS}) == len(PACKS)
    for pack in PACKS:
        assert pack.summary.strip() and len(pack.summary) < 160, pack.name


def test_every_part_validates(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    pack, parts = built
    validated: set[tuple[tuple[str, str], ...]] = set()
    for where, part in parts:
        for name in part.__dataclass_fields__:
            for item in getattr(part, name):
                if isinstance(item, BaseModel):  # rebuild from data: every validator runs again
                    type(item).model_validate(item.model_dump())
                else:
                    assert item and all(str(x).strip() for x in (item if isinstance(item, tuple) else [item])), (
                        f"{pack.name} {where}: empty {name}")
        assert part.issues or part.alerts or part.cheatsheet, f"{pack.name} {where}: contributes nothing"
        for issue in part.issues:
            assert re.search(r"\d", issue.verify), f"{pack.name}: verify needs a pass condition: {issue.title}"
            assert re.search(r"\d+\s*(s|sec|second|min|minute|hour)", issue.verify), (
                f"{pack.name}: verify needs a time window: {issue.title}")
            if issue.alert is not None:
                assert issue.alert in {a.name for a in part.alerts}, f"{pack.name}: unknown alert {issue.alert}"
        for alert in part.alerts:
            assert re.search(r"\d+\s*(s|sec|min|minute|minutes|h|hour)\b", alert.condition), (
                f"{pack.name}: alert condition needs a duration: {alert.condition}")
        # The real section validator (bash -n and placeholders) over everything the pack emits; contexts
        # that yield the same commands are validated once (bash -n is a process each time).
        all_commands = commands(part)
        signature = tuple(sorted((c.language, c.code) for c in all_commands))
        if all_commands and signature not in validated:
            validated.add(signature)
            Appendix(cheatsheet=all_commands, related_docs=[Link(title="t", location="l")])


def _psql_statements(code: str) -> list[str]:
    """The -c statements of the psql calls in `code`, as the shell passes them (a quoted identifier's
    escaped double quotes unescaped)."""
    out: list[str] = []
    for line in code.split("\n"):
        if "psql" not in line or " -c " not in line or "-d pgbouncer" in line:  # the admin console is not SQL
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            out += _PSQL_C.findall(line)
            continue
        out += [words[k + 1] for k, w in enumerate(words[:-1]) if w == "-c"]
    return out


def test_commands_parse(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    pack, parts = built
    seen: dict[tuple[str, str], Command] = {}
    for _, part in parts:
        for command in commands(part):
            seen.setdefault((command.language, command.code), command)
    problems: list[str] = []
    bash = [c.code for c in seen.values() if c.language == "bash"]
    for index, message in syntax_errors(bash).items():
        problems.append(f"bash -n: {message}: {bash[index]}")
    for command in seen.values():
        code = command.code
        problems += [f"placeholder {p}: {code}" for p in find_placeholders(code)]
        statements: list[str] = []
        if command.language == "sql":
            statements.append(code)
        if command.language == "bash":
            statements += _psql_statements(code)
        for statement in statements:
            try:
                pglast.parse_sql(_SHELL_VAR.sub(lambda m: "var_" + m.group(1), statement))
            except pglast.parser.ParseError as exc:
                problems.append(f"SQL does not parse ({exc}): {statement}")
        if command.language == "promql":
            try:
                promql_parser.parse(code)
            except ValueError as exc:
                problems.append(f"PromQL does not parse ({exc}): {code}")
        if command.language == "nrql":
            if not re.match(r"(SELECT|FROM)\b", code) or "SINCE" not in code:
                problems.append(f"NRQL needs SELECT/FROM and SINCE: {code}")
        if command.language == "datadog" and not re.match(r"\w+\(last_\d+[mh]\):", code):
            problems.append(f"Datadog monitor query needs an evaluation window like avg(last_5m): {code}")
        if DANGER.search(code) and not command.warning:
            problems.append(f"destructive command without a warning: {code}")
        if command.warning is not None and len(command.warning) < 40:
            problems.append(f"warning too short to carry blast radius and an alternative: {command.warning}")
    assert not problems, f"{pack.name}:\n" + "\n".join(problems)


def _markdown(pack: Pack, parts: list[tuple[str, Contribution]]) -> str:
    """Every distinct command of the pack as a small runbook: one section per command, warnings as quotes."""
    fence = {"bash": "bash", "sql": "sql", "promql": "promql"}
    seen: dict[tuple[str, str], Command] = {}
    for _, part in parts:
        for command in commands(part):
            seen.setdefault((command.language, command.code), command)
    text = f"# Runbook: {pack.name}\n\n"
    for command in seen.values():
        text += f"## {command.purpose}\n\n"
        if command.warning:
            text += f"> **Warning:** {command.warning}\n\n"
        text += f"```{fence.get(command.language, 'text')}\n{command.code}\n```\n\n"
    return text


@cache
def _compose_plugin() -> bool:
    return subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0 \
        if shutil.which("docker") else False


def test_the_project_checker_accepts_every_command(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    """`agent test`'s own checks (SQL, PromQL, danger, undeclared variables, shellcheck, the real CLIs'
    flags) over everything the pack emits. Without the compose plugin, docker reads `docker compose -p`
    as an unknown flag of docker itself: those findings say nothing about the command."""
    pack, parts = built
    report = check_markdown(_markdown(pack, parts), pack.name, tools=True, profile="generic")
    errors = [f for f in report.findings if f.severity == "error"
              and not (f.rule.startswith("docker.") and not _compose_plugin())]
    assert not errors, f"{pack.name}:\n" + "\n".join(f"{f.rule}: {f.message}" for f in errors)


def test_commands_are_scoped(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    pack, parts = built
    problems = []
    for where, part in parts:
        for command in commands(part):
            if command.language != "bash":
                continue
            for line in command.code.replace("\\\n", " ").splitlines():
                line = re.sub(r"(^|\s)#\s.*$", "", line)  # comments name commands without running them
                if re.search(r"(^|[|;&(]\s*)kubectl\s+(?!config|version)", line) and not re.search(
                        r"\s(-n|--namespace)[\s=]|\s(-A|--all-namespaces)\b", line):
                    problems.append(f"{where}: kubectl without a namespace: {line}")
                if re.search(r"(^|[|;&(]\s*)aws\s+\w", line) and "--region" not in line:
                    problems.append(f"{where}: aws without --region: {line}")
    assert not problems, f"{pack.name}:\n" + "\n".join(problems[:20])


def test_alert_queries_speak_the_monitoring_stack(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    pack, parts = built
    wanted = {"prometheus": "promql", "datadog": "datadog"}
    for where, part in parts:
        stack = where.split("/")[1]
        languages = {a.query.language for a in part.alerts}
        # a stack whose catalogue has a metric for one of the pack's signals there writes it in its language
        own = registered()[stack](platform_for(_CONTEXTS[where]))
        native = any(own.entry(signal) for signal in part.signals)
        if part.alerts and stack in wanted and native:
            assert wanted[stack] in languages, f"{pack.name} {where}: no {wanted[stack]} alert query"
        if stack == "custom":
            assert languages <= {"bash"}, f"{pack.name} {where}: custom monitoring needs bash probes"


def test_names_from_the_description_are_used() -> None:
    import agent.knowledge.packs as packs_module

    keys = re.findall(r"\b[a-z0-9]+\.[a-z_]+\b", packs_module.__doc__ or "")
    names = {key: "zz" + re.sub(r"[^a-z]", "", key) for key in keys}
    for pack in PACKS:
        ctx = Context(answers("kubernetes", "prometheus"), facts(examples(pack)[0], names))
        text = " ".join(c.code for c in commands(pack.contribute(ctx)))
        assert "zz" in text, f"{pack.name} ignores facts.names"


@pytest.mark.parametrize("pack", PACKS, ids=PACK_IDS)
def test_detection(pack: Pack) -> None:
    for description in examples(pack):
        ctx = Context(answers("kubernetes", "prometheus"), facts(description))
        reason = pack.detect(ctx)
        assert reason and len(reason) > 10, f"{pack.name} does not detect its own example {description!r}"
        assert pack in [p for p, _ in detect_packs(ctx)]
    for description in [*NEUTRAL, *getattr(pack, "negatives", ())]:
        ctx = Context(answers("kubernetes", "prometheus"), facts(description))
        assert pack.detect(ctx) is None, f"{pack.name} claims {description!r}"


def test_detect_packs_is_stable_and_explains() -> None:
    description = ("Orders API on EKS: PostgreSQL behind PgBouncer, Redis cache, publishes to Kafka; "
                   "deployed with Helm through Argo CD")
    ctx = Context(answers("kubernetes", "prometheus"), facts(description))
    found = detect_packs(ctx)
    names = [p.name for p, _ in found]
    assert names == [p.name for p, _ in detect_packs(ctx)]
    for expected in ("postgresql", "pgbouncer", "redis", "kafka", "argocd"):
        assert expected in names
    assert "helm" not in names  # Argo CD renders the chart: there is no Helm release to operate
    assert dict((p.name, r) for p, r in found)["pgbouncer"] == "description mentions 'PgBouncer'"
    assert names.index("postgresql") < names.index("kafka") < names.index("argocd")


def test_detection_from_the_answers() -> None:
    lam = next(p for p in PACKS if p.name == "lambda")
    aws = "Resizes images uploaded to S3 and writes thumbnails back"
    assert lam.detect(Context(answers("serverless", "cloudwatch"), facts(aws))) == (
        "the deployment environment is serverless on AWS")
    assert lam.detect(Context(answers("kubernetes", "cloudwatch"), facts(aws))) is None
    gcp = Facts(service="thumbs", display_name="Thumbs", description="Resizes images on Google Cloud",
                cloud="gcp")
    assert lam.detect(Context(answers("serverless", "prometheus"), gcp)) is None
    # A free-text answer ("Other: ...") counts as description.
    other = from_mapping(_rule(), {"type": "other: RabbitMQ consumer", "env": "vm"}, "test")
    found = [p.name for p, _ in detect_packs(Context(other, facts("Billing worker")))]
    assert found == ["rabbitmq"]


@pytest.mark.parametrize("description, absent, present", [
    ("Orders API on PostgreSQL instead of MySQL", "mysql", "postgresql"),
    ("Stateless API, no Redis, sessions in PostgreSQL", "redis", "postgresql"),
    ("Migrated off MongoDB to DynamoDB last year", "mongodb", "dynamodb"),
    ("Uses SQS rather than Kafka; it doesn't use RabbitMQ", "kafka", "sqs"),
    ("Kafka consumer without a Redis cache", "redis", "kafka"),
    ("Does not use Elasticsearch; search runs on PostgreSQL", "elasticsearch", "postgresql"),
    ("Postgres with no PgBouncer in front", "pgbouncer", "postgresql"),
])
def test_negated_mentions_do_not_count(description: str, absent: str, present: str) -> None:
    names = [p.name for p, _ in detect_packs(Context(answers("kubernetes", "prometheus"), facts(description)))]
    assert absent not in names and present in names, names
    assert "rabbitmq" not in names


def test_defaults_are_named_and_given_names_are_not() -> None:
    postgres = next(p for p in PACKS if p.name == "postgresql")
    ctx = Context(answers("vm", "prometheus"), facts("Orders in PostgreSQL", {"postgres.database": "ledger"}))
    part = postgres.contribute(ctx)
    note = [line for line in part.prerequisites if "are defaults" in line]
    assert len(note) == 1
    assert "postgres.host=orders-api-db" in note[0] and "postgres.user=postgres" in note[0]
    assert "postgres.database" not in note[0] and "ledger" in " ".join(c.code for c in commands(part))
    everything = {key: "x" for key in ("postgres.host", "postgres.user", "postgres.port", "postgres.database",
                                       "postgres.instance", "rds.instance")}
    part = postgres.contribute(Context(answers("vm", "prometheus"), facts("Orders in PostgreSQL", everything)))
    assert not [line for line in part.prerequisites if "are defaults" in line]


def test_alert_names_and_issue_titles_are_unique_across_packs() -> None:
    """A runbook may combine any packs; Monitoring refuses duplicate alert names."""
    alerts: dict[str, str] = {}
    titles: dict[str, str] = {}
    for pack in PACKS:
        for description in examples(pack):
            part = pack.contribute(Context(answers("kubernetes", "prometheus"), facts(description)))
            for alert in [*part.alerts, *part.signals]:
                assert alerts.setdefault(alert.name, pack.name) == pack.name, f"{alert.name} in two packs"
            for issue in part.issues:
                assert titles.setdefault(issue.title, pack.name) == pack.name, f"{issue.title} in two packs"
    assert len(alerts) >= 40 and len(titles) >= 40


def _everything(part: Contribution) -> str:
    """All text a contribution carries: commands, warnings, caveats, steps."""
    import dataclasses
    import json

    def dump(item: object) -> str:
        def plain(value: object) -> object:
            if isinstance(value, BaseModel):
                return value.model_dump()
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return str(value)

        return json.dumps(item, default=plain)

    return " ".join(dump(item) for name in part.__dataclass_fields__ for item in getattr(part, name))


# The traps experienced operators know, each where it matters: (pack, env, words that must be there).
TRAPS = [
    ("argocd", "kubernetes", ["self-heal reverts manual changes (kubectl rollout undo", "--sync-policy none",
                              "argocd app rollback", "git revert"]),
    ("docker-compose", "docker", ["'down -v' deletes the volumes", "-v deletes the project's named volumes"]),
    ("kafka", "vm", ["--dry-run", "only be reset if the group is inactive", "sudo systemctl stop", "${SYSTEMD_UNIT}"]),
    ("postgresql", "vm", ["pg_cancel_backend", "pg_terminate_backend kills the whole session",
                          "asynchronous replica loses every transaction"]),
    ("redis", "kubernetes", ["never KEYS *", "FLUSHALL/FLUSHDB delete every key", "UNLINK"]),
    ("sqs", "kubernetes", ["poison message", "start-message-move-task", "purge-queue"]),
    ("rabbitmq", "kubernetes", ["purge_queue", "Deletes every ready message"]),
    ("elasticsearch", "kubernetes", ["_cluster/allocation/explain", "status red", "accept_data_loss"]),
    ("mongodb", "vm", ["rs.stepDown", "Writes fail during the election"]),
    ("lambda", "serverless", ["put-function-concurrency", "Throttles", "account limit"]),
    ("ecs", "docker", ["deploymentCircuitBreaker={enable=true,rollback=true}"]),
    ("helm", "kubernetes", ["helm rollback", "--max 10", "--history-max", "does not roll back CRDs"]),
    ("celery", "kubernetes", ["purge -Q", "Deletes every waiting task", "acks_late"]),
    ("nginx", "vm", ["sudo nginx -t && sudo systemctl reload nginx", "restart drops them"]),
    ("systemd", "vm", ["daemon-reload", "start-limit-hit", "reset-failed"]),
    ("patroni", "vm", ["switchover", "demotes the primary", "Maintenance mode"]),
    ("mysql", "vm", ["KILL QUERY", "sql_replica_skip_counter"]),
]


@pytest.mark.parametrize("name, env, words", TRAPS, ids=[t[0] for t in TRAPS])
def test_packs_know_the_traps(name: str, env: str, words: list[str]) -> None:
    pack = next(p for p in PACKS if p.name == name)
    # replication traps apply only where a replica is stated (a pack leaves lag and promotion out otherwise)
    description = examples(pack)[0] + (" It has one streaming replica." if name in ("postgresql", "mysql") else "")
    text = _everything(pack.contribute(Context(answers(env, "prometheus"), facts(description))))
    missing = [w for w in words if w not in text]
    assert not missing, f"{name} does not mention {missing}"


# The parser (agent/service/text.py) does not bind these yet; packs no longer guess them from the text.
@pytest.mark.parametrize("pack_name, description, expected, absent", [
    ("dynamodb", "User profiles live in the DynamoDB table user-profiles", "--table-name user-profiles ",
     "dynamodb.table="),
    ("rabbitmq", "Worker consuming the invoices queue on RabbitMQ (vhost /billing)", "list_queues -p /billing ",
     "rabbitmq.vhost="),
    ("rabbitmq", "Worker consuming the invoices queue on RabbitMQ, vhost billing", "list_queues -p billing ",
     "rabbitmq.vhost="),
    ("ecs", "Payments on ECS Fargate cluster prod", "--cluster prod ", "ecs.cluster="),
    ("celery", "Django app with Celery workers (app orders) on Redis", "celery -A orders ", "celery.app="),
    ("celery", "Celery app orders.celery on Redis", "celery -A orders.celery ", "celery.app="),
    ("sqs", "Consumes the SQS queue jobs with a DLQ after 5 receives", "--queue-name jobs-dlq ", "jobs-dlq"),
])
def test_names_are_read_from_the_description(pack_name: str, description: str, expected: str,
                                             absent: str) -> None:
    # Through the parser: a pack takes a name from the model, never from the description's text itself.
    pack = next(p for p in PACKS if p.name == pack_name)
    parsed = facts_from_model(parse(description), description)
    part = pack.contribute(Context(answers("kubernetes", "prometheus"), parsed))
    text = " ".join(c.code for c in commands(part)) + " "
    assert expected in text
    notes = " ".join(line for line in part.prerequisites if "are defaults" in line)
    # A name taken from the description is not listed as a default; the DLQ here is one ("after" is no name).
    assert (absent in notes) == (pack_name == "sqs"), notes


# The engine lists the platform's own tools (kubectl, docker, aws, systemctl…); a pack lists the rest.
PLATFORM_TOOLS = {"kubectl", "docker", "docker-compose", "aws", "systemctl", "journalctl", "ssh", "sudo", "curl"}


def test_prerequisites_name_the_clis_a_pack_uses(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    """The project checker's Prerequisites rule, on the pack alone, minus the platform's tools."""
    pack, parts = built
    missing: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    for where, part in parts:
        if where.split("/")[1] != "prometheus":  # the stacks change alert queries, not the CLIs a pack uses
            continue
        prereq = tuple(part.prerequisites)
        text = "# Runbook: x\n\n## Prerequisites\n\n" + "".join(f"- {p}\n" for p in prereq) + "\n## Commands\n\n"
        text += "".join(f"```bash\n{c.code}\n```\n\n" for c in commands(part) if c.language == "bash")
        if (prereq + (text,)) in seen:
            continue
        seen.add(prereq + (text,))
        report = check_markdown(text, pack.name, tools=False, profile="rule")
        for finding in report.findings:
            if finding.rule == "structure.prerequisites" and "is used but not listed" in finding.message:
                tool = finding.message.split(" is used")[0]
                if tool not in PLATFORM_TOOLS:
                    missing.add(tool)
    assert not missing, f"{pack.name} uses {sorted(missing)} without naming them in its prerequisites"


def test_serverless_on_gcp_uses_cloud_functions_not_lambda() -> None:
    from agent.knowledge.packs._base import restart_workload, stop_workload, workload_logs

    gcp = facts("webhook receiver on Cloud Functions in project acme, region europe-west1")
    gcp.cloud, gcp.region = "gcp", "europe-west1"
    ctx = Context(answers("serverless", "prometheus"), gcp)
    codes = [workload_logs(ctx, gcp.service, "error").code, restart_workload(ctx, gcp.service).code,
             stop_workload(ctx, gcp.service, "test").code]
    assert all(code.startswith("gcloud ") and "--region europe-west1" in code for code in codes), codes
    assert not any("aws " in code for code in codes)
    assert syntax_errors(codes) == {}
    aws = Context(answers("serverless", "prometheus"), facts("image resizer on AWS Lambda"))
    assert workload_logs(aws, aws.facts.service, "error").code.startswith("aws logs ")


def test_alert_tables_agree_with_their_queries(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    """Every rendered alert, in every environment × stack, passes `agent test`'s consistency checks: the
    table's threshold and duration are the ones its query compares with and waits for."""
    pack, parts = built
    rows, blocks = [], []
    seen: set[tuple[str, str]] = set()
    for _, part in parts:
        for alert in part.alerts:
            if (alert.condition, alert.query.code) in seen:
                continue
            seen.add((alert.condition, alert.query.code))
            name = f"{alert.name} {len(seen)}"  # one row per rendering
            rows.append(f"| {name} | {alert.condition} | {alert.severity} | {alert.response} |")
            blocks.append(f"**{name}** ({alert.query.purpose})\n\n```{alert.query.language}\n{alert.query.code}\n```\n")
    text = ("# Runbook: x\n\n## Monitoring & Alerts\n\n| Alert Name | Condition | Severity | Response |\n"
            "|---|---|---|---|\n" + "\n".join(rows) + "\n\n" + "\n".join(blocks))
    report = check_markdown(text, pack.name, tools=False, profile="generic")
    found = [f"{f.rule}: {f.message}" for f in report.findings if f.rule.startswith("consistency.")]
    assert not found, f"{pack.name}:\n" + "\n".join(found)


def test_aurora_global_database_lag_is_watched_against_the_rpo() -> None:
    postgres = next(p for p in PACKS if p.name == "postgresql")
    text = ("Quotes API on ECS; Aurora PostgreSQL global database quotes-global, secondary cluster quotes-usw2 "
            "in us-west-2")
    # the secondary as the model names it (the pack no longer reads "secondary cluster X" from the text)
    f = facts(text, {"dr.region": "us-west-2", "aurora.secondary_cluster": "quotes-usw2"})
    f.rpo_minutes = 2
    ctx = Context(answers("docker", "cloudwatch"), f)
    part = postgres.contribute(ctx)
    signal = next(s for s in part.signals if s.key == "aurora.global_replication_lag")
    assert signal.threshold.value == 60 and signal.threshold.origin == "given" and not signal.assumed
    alert = next(a for a in alerts_for(ctx, part.signals) if a.name == signal.name)
    assert "AuroraGlobalDBReplicationLag" in alert.query.code and "quotes-usw2" in alert.query.code
    assert alert.condition.startswith("replication lag to the secondary region > 60 s")


def test_what_an_item_covers_names_an_item_the_pack_has(built: tuple[Pack, list[tuple[str, Contribution]]]) -> None:
    """knowledge/covers.py keys pack entries by exact title: a renamed entry must fail here, not stop merging."""
    from agent.knowledge.covers import COVERS, covers

    pack, parts = built
    names = {i.title for _, part in parts for i in part.issues}
    declared = {name for _, part in parts for name in covers(pack.name, part.covers)}
    assert declared <= names, sorted(declared - names)
    assert set(COVERS) <= set(PACK_IDS), sorted(set(COVERS) - set(PACK_IDS))
