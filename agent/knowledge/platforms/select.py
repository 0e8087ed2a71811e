"""Which platform runs a workload: the service's own (from the environment answer and the model's
variant words) or one component's (from its form, variant and names in the service model).

A platform added outside this package registers a factory for its environment id:

    from agent.knowledge.platforms import register
    register("nomad", Nomad)          # agent generate ... --env nomad now uses it

Packs never see the choice: they call the operations of whatever `platform_for` returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agent.knowledge.base import Context
from agent.knowledge.platforms.azure_functions import AzureAppService, AzureFunctions
from agent.knowledge.platforms.base import Platform
from agent.knowledge.platforms.cloudflare_workers import CloudflareWorkers
from agent.knowledge.platforms.compose import Docker
from agent.knowledge.platforms.container import DockerContainer
from agent.knowledge.platforms.ecs import ECS
from agent.knowledge.platforms.hosts import VM, BareMetal
from agent.knowledge.platforms.kubernetes import Kubernetes, KubernetesCronJob, declared_kind
from agent.knowledge.platforms.nomad import Nomad, said_nomad
from agent.knowledge.platforms.products import Managed, service_product
from agent.knowledge.platforms.serverless import CloudFunctions, CloudRun, Lambda
from agent.knowledge.platforms.workflows import HOSTED
from agent.service.model import Component
from agent.service.vocabulary import retired_after

Factory = Callable[[Context], Platform]

_NEGATED = re.compile(r"\b(?:no|not|without|instead of|rather than|replacing|never|off)\s+(?:\w+\s+){0,2}$", re.I)


def said(ctx: Context, pattern: str) -> bool:
    """The description names `pattern` (a regex) other than right after a negation ("no ECS",
    "docker compose instead of ECS")."""
    return said_in(ctx.facts.description, pattern)


def said_in(text: str, pattern: str) -> bool:
    return any(not _NEGATED.search(text[max(0, m.start() - 30):m.start()]) and not retired_after(text[m.end():])
               for m in re.finditer(pattern, text, re.I))


def _kubernetes(ctx: Context) -> Platform:
    declared = declared_kind(ctx)
    if declared is not None:  # the model's / description's kind comes before the service-type default
        return KubernetesCronJob(ctx) if declared == "cronjob" else Kubernetes(ctx)
    if ctx.answers.service_type == "pipeline" and not re.search(
            r"\b(?:deployment|airflow|spark|flink|stream(?:ing)?|beam|dagster|prefect)\b", ctx.text):
        return KubernetesCronJob(ctx)
    return Kubernetes(ctx)


_PLAIN_DOCKER = r"\bdocker run\b|\bno (?:docker[- ])?compose\b|\bwithout (?:docker[- ])?compose\b|\bplain docker\b"


def _plain_container(ctx: Context, component: Component | None = None) -> bool:
    """One container run by name ("plain docker run, no compose"; "a Docker container called edge-nginx"
    with no compose file or service named), not a compose project."""
    if re.search(_PLAIN_DOCKER, ctx.facts.description, re.I):
        return True
    if any(k in ctx.facts.names for k in ("compose.file", "compose.project", "compose.service", "compose.services")):
        return False
    app = ctx.model.app if ctx.model is not None else None
    return any(c is not None and c.name("container") for c in (component, app))


def _docker(ctx: Context) -> Platform:
    if said(ctx, r"\b(?:ecs|fargate)\b"):
        return ECS(ctx)
    if said_nomad(ctx.facts.description):  # a Nomad job with the docker driver: the allocations are Nomad's
        return Nomad(ctx)
    return DockerContainer(ctx) if _plain_container(ctx) else Docker(ctx)


# How a component whose form the model leaves "unknown" runs, read from its names by role, then from
# the words of the sentences that name it ("PgBouncer runs on Kubernetes as a Deployment").
_FORM_ROLES = (("cluster-workload", ("deployment", "statefulset", "daemonset", "k8s_service")),
               ("container", ("container", "compose_service")), ("host", ("unit", "host")))
_FORM_WORDS = (("container", r"\bdocker\b|\bcontainer\b|\bcompose\b|\bpodman\b"),
               ("cluster-workload", r"\bkubernetes\b|\bk8s\b|\b(?:eks|gke|aks)\b|\bdeployment\b|\bstatefulset\b|"
                                    r"\bdaemonset\b|\bpods?\b|\bsidecar\b|\bhelm chart\b"),
               ("host", r"\bsystemd\b|\bsystemctl\b|\bvms?\b|\bhosts?\b|\bbare[- ]metal\b|\bservers?\b"))


def component_form(ctx: Context, component: Component) -> str:
    """managed | host | cluster-workload | container | serverless, or "" when nothing says."""
    if component.form != "unknown":
        return component.form
    for form, roles in _FORM_ROLES:
        if any(component.name(role) for role in roles):
            return form
    words = {component.technology, component.id} - {""}
    for sentence in re.split(r"(?<=[.;!?])\s+|\n+", ctx.facts.description):
        if not any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", sentence, re.I) for w in words):
            continue
        for form, pattern in _FORM_WORDS:
            if said_in(sentence, pattern):
                return form
    return ""


def _serverless(ctx: Context) -> Platform:
    if said(ctx, r"\bcloudflare\s+workers?\b|\bwrangler\b|\bworkers\.dev\b"):
        return CloudflareWorkers(ctx)  # an edge runtime: none of a cloud's function CLIs apply
    if ctx.facts.cloud == "azure":  # a web app on App Service shares the function app's slots, not its CLI group
        web = said(ctx, r"\bapp\s+service\b|\baz\s+webapp\b|\bweb\s+apps?\s+for\s+containers\b")
        return AzureAppService(ctx) if web and not said(ctx, r"\bazure\s+functions?\b|\bfunction\s+app") \
            else AzureFunctions(ctx)
    if ctx.facts.cloud != "gcp":
        return Lambda(ctx)
    # Cloud Run services and Cloud Functions share revisions, not their CLI
    if said(ctx, r"\bcloud run\b") and not said(ctx, r"\bcloud functions?\b|\bgcf\b"):
        return CloudRun(ctx)
    return CloudFunctions(ctx)


def _managed(ctx: Context) -> Platform:
    """The environment answer says the service is a managed product: its platform, when the model names
    the product; otherwise hosts under systemd, said so (the product's calls need its variant)."""
    if service_product(ctx.model, ctx.facts.description, ctx.answers.service_type) is not None:
        return Managed(ctx)
    platform = VM(ctx)
    platform.assumptions.append("the environment answer says a managed product, but the service model names no "
                                "product the engine knows: the commands assume hosts running the service under "
                                "systemd; replace them with the product's own calls")
    return platform


def _scheduled(host: Factory) -> Factory:
    """Hosts, unless a scheduler on them owns the service: a Nomad job runs on VMs or bare metal, and its
    allocations are the job's, never a systemd unit's."""
    def choose(ctx: Context) -> Platform:
        return Nomad(ctx) if said_nomad(ctx.facts.description) else host(ctx)
    return choose


_REGISTRY: dict[str, Factory] = {
    "kubernetes": _kubernetes, "docker": _docker, "vm": _scheduled(VM), "serverless": _serverless,
    "baremetal": _scheduled(BareMetal),
    "managed": _managed,
}


def register(environment: str, platform: type[Platform]) -> None:
    """Make `platform` the platform of services whose environment answer is `environment`.

    `type[Platform]` is what lets mypy prove the class concrete: registering a class that leaves an
    operation abstract is a type error ("Only concrete class can be given where type[Platform] is
    expected"), and instantiating it raises TypeError."""
    _REGISTRY[environment] = platform


def environments() -> list[str]:
    return list(_REGISTRY)


def platform_for(ctx: Context, component: Component | None = None) -> Platform:
    """The platform of the service's own workload (`component` None or the model's app), else of
    `component`: by its form in the model (a Redis on ElastiCache and the app on Kubernetes get
    different commands in one runbook). A managed component has no workload of the user's: its
    operations are the product's own (the pack's), and this returns the service's platform."""
    app = ctx.model.app if ctx.model is not None else None
    if component is not None and component is not app:
        if component.variant in HOSTED:  # a provider's runtime (MWAA): its own commands, never the service's
            return HOSTED[component.variant](ctx)
        form = component_form(ctx, component)
        own = platform_for(ctx)
        if form == "cluster-workload":
            return own if isinstance(own, Kubernetes) and not component.names else Kubernetes(ctx, component=component)
        if form == "container":
            plain = _plain_container(ctx, component)
            return DockerContainer(ctx, component=component) if plain else Docker(ctx, component=component)
        if form == "host":
            return (BareMetal if ctx.answers.environment == "baremetal" else VM)(ctx, component=component)
        return own
    hosted = hosted_runtime(ctx)
    if hosted is not None:
        return hosted
    product = managed_product(ctx)
    if product is not None:
        return product
    env = ctx.answers.environment
    factory = _REGISTRY.get(env)
    if factory is None:  # a custom rule's option the engine has no knowledge of
        platform = VM(ctx)
        platform.assumptions.append(f"environment '{env}' is not one the offline engine knows: the commands "
                                    "assume hosts running the service under systemd; replace them with your "
                                    "platform's equivalents")
        return platform
    chosen = factory(ctx)
    answer = ctx.answers.get("env")
    if answer is not None and not answer.assumed:
        found = service_product(ctx.model, ctx.facts.description, ctx.answers.service_type)
        if found is not None:  # the user's answer wins; the runbook says what the description said
            chosen.assumptions.append(
                f"the description says the service is {found.product.product} {found.product.what} "
                f"(\"{' '.join(found.evidence.split())[:100]}\"), but the environment was given as "
                f"{answer.display()}: the commands follow the given environment")
    return chosen


def managed_product(ctx: Context) -> Platform | None:
    """The product's own platform when the service is a managed product (`products.service_product`) and
    the user gave no environment: an environment the user gave is theirs, even when it conflicts."""
    answer = ctx.answers.get("env")
    if answer is not None and not answer.assumed and answer.value != "managed":
        return None
    if service_product(ctx.model, ctx.facts.description, ctx.answers.service_type) is None:
        return None
    return Managed(ctx)


def hosted_runtime(ctx: Context) -> Platform | None:
    """The provider's runtime the service's own code runs in (DAGs on Amazon MWAA / Cloud Composer): the
    model names a component of a hosted variant and the service's workload has no platform of its own
    (no form, no names that place it, no environment answer the user gave)."""
    model = ctx.model
    if model is None:
        return None
    hosted = next((c for c in model.components if c.variant in HOSTED), None)
    if hosted is None:
        return None
    app = model.app
    if hosted is app:  # the service is the environment itself
        return HOSTED[hosted.variant](ctx)
    own = component_form(ctx, app) if app is not None else ""
    answer = ctx.answers.get("env")
    given = answer is not None and not answer.assumed
    if own in ("", "managed") and (not given or ctx.answers.service_type == "pipeline"):
        return HOSTED[hosted.variant](ctx)
    return None
