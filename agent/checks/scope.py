"""Scoped commands (criterion 9): kubectl names its namespace, aws its region.

An unscoped `kubectl delete pod x` acts on whatever namespace the reader's context points at; an
unscoped `aws rds ...` on whatever region their profile has. Both are warnings: the command may be
right, but at 3 a.m. it is a coin toss.
"""

from __future__ import annotations

from functools import cache

from agent.checks import catalogue, placeholders, shellwords
from agent.checks.extract import Command, nested_commands
from agent.checks.structure import Emit

_POD_VERBS = {"logs", "log", "exec", "port-forward", "cp", "attach", "debug"}
_KIND_VERBS = {
    "get",
    "describe",
    "delete",
    "scale",
    "edit",
    "patch",
    "label",
    "annotate",
    "autoscale",
    "expose",
    "wait",
    "top",
    "rollout",
    "set",
}
# Kinds known to live in a namespace; anything else (nodes, CRDs, cluster operators) is left alone.
_NAMESPACED = {
    "pod",
    "pods",
    "po",
    "deployment",
    "deployments",
    "deploy",
    "statefulset",
    "statefulsets",
    "sts",
    "daemonset",
    "daemonsets",
    "ds",
    "service",
    "services",
    "svc",
    "configmap",
    "configmaps",
    "cm",
    "secret",
    "secrets",
    "job",
    "jobs",
    "cronjob",
    "cronjobs",
    "cj",
    "ingress",
    "ingresses",
    "ing",
    "pvc",
    "persistentvolumeclaim",
    "persistentvolumeclaims",
    "replicaset",
    "replicasets",
    "rs",
    "hpa",
    "horizontalpodautoscaler",
    "horizontalpodautoscalers",
    "endpoints",
    "ep",
    "serviceaccount",
    "serviceaccounts",
    "sa",
    "role",
    "roles",
    "rolebinding",
    "rolebindings",
    "networkpolicy",
    "networkpolicies",
    "netpol",
    "events",
    "event",
    "ev",
    "pdb",
    "poddisruptionbudget",
    "poddisruptionbudgets",
    "route",
    "routes",
    "all",
}
@cache
def _value_flags() -> frozenset[str]:
    """kubectl's flags that take a value, global and per command (the catalogue declares them)."""
    entry = catalogue.tool("kubectl")
    if entry is None:
        return frozenset()
    flags = {n for n, f in entry.flags.items() if f.takes_value}
    for command in entry.commands.values():
        flags |= {n for n, f in command.flags.items() if f.takes_value}
    return frozenset(flags)


_NS_FLAGS = ("-n", "--namespace", "-A", "--all-namespaces")
_FILE_FLAGS = ("-f", "--filename", "-k", "--kustomize")


def _kubectl_unscoped(args: list[str]) -> bool:
    if any(
        a in _NS_FLAGS
        or a.startswith(("--namespace=", "-n=", "--all-namespaces="))
        or (a.startswith("-n") and len(a) > 2 and not a.startswith("--"))
        for a in args
    ):
        return False
    if any(a in _FILE_FLAGS or a.startswith(("--filename=", "-f=")) for a in args):
        return False  # the manifests carry their namespace
    words = shellwords.positionals(args, _value_flags())
    if not words:
        return False
    verb = words[0]
    if verb in _POD_VERBS:
        return len(words) > 1 and not words[1].startswith(("node/", "nodes/")) and words[1] not in ("node", "nodes")
    if verb not in _KIND_VERBS:
        return False
    target = words[2] if verb in ("rollout", "set") and len(words) > 2 else (words[1] if len(words) > 1 else "")
    kinds = target.split("/")[0].lower().split(",")
    return all(k in _NAMESPACED for k in kinds) and bool(target)


_GLOBAL_SERVICES = ("s3", "sts", "iam", "configure", "help", "route53", "organizations", "cloudfront")


def check(commands: list[Command], emit: Emit, declared: set[str], skip_lines: set[int] | None = None) -> None:
    """`skip_lines`: lines already holding a CLI error (a typo'd `--namspace` is one fault, not two)."""
    region_env = bool({"AWS_REGION", "AWS_DEFAULT_REGION"} & declared)
    # Once the runbook has run `oc project X` / `kubectl config set-context --namespace`, the reader's
    # context points at that namespace for every command after it (runbooks are followed in order).
    switched = False
    for cmd in commands:
        if cmd.language != "shell" or cmd.inline or cmd.line in (skip_lines or set()):
            continue
        if cmd.block is not None and _switches_namespace(cmd):
            switched = True
        if switched:
            continue
        simples = cmd.simple
        if placeholders.find_placeholders(cmd.text):  # `<name> -n ns` would parse as redirections
            simples = nested_commands(placeholders.mask(cmd.text))
        for simple in simples:
            argv = shellwords.unwrap(simple.argv)
            if not argv:
                continue
            tool = argv[0].rsplit("/", 1)[-1]
            assigned = {a.split("=", 1)[0] for a in simple.assignments}
            if tool in ("kubectl", "oc") and _kubectl_unscoped(argv[1:]):
                emit(
                    cmd.line,
                    "scope.namespace",
                    "warning",
                    f"`{' '.join(argv[:3])}` names no namespace: it acts on whatever the current context points at",
                    'add -n "$NAMESPACE" (declared once at the top of the block)',
                )
            elif (
                tool == "aws"
                and not region_env
                and not assigned & {"AWS_REGION", "AWS_DEFAULT_REGION"}
                and not any(a == "--region" or a.startswith("--region=") for a in argv)
                and len(_aws_words(argv)) >= 2
                and _aws_words(argv)[0] not in _GLOBAL_SERVICES
            ):
                emit(
                    cmd.line,
                    "scope.region",
                    "warning",
                    f"`{' '.join(argv[:3])}` names no region: it acts on whatever the reader's profile has",
                    'add --region "$AWS_REGION" (declared once at the top of the block)',
                )


def _switches_namespace(cmd: Command) -> bool:
    """`oc project NAME`, `kubectl config set-context --current --namespace=NAME`, `kubens NAME`."""
    for simple in cmd.simple:
        argv = shellwords.unwrap(simple.argv)
        tool = argv[0].rsplit("/", 1)[-1] if argv else ""
        words = shellwords.positionals(argv[1:], set())
        if tool == "oc" and words[:1] == ["project"] and len(words) > 1:
            return True
        if tool in ("kubectl", "oc") and words[:2] == ["config", "set-context"] and any(
            a.startswith("--namespace") for a in argv
        ):
            return True
        if tool == "kubens" and words:
            return True
    return False


def _aws_words(argv: list[str]) -> list[str]:
    """Service and operation of an aws argv, skipping global options and their values."""
    out: list[str] = []
    skip = False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a.startswith("--"):
            skip = "=" not in a and catalogue.global_flags("aws").get(a, False)
            continue
        out.append(a)
    return out
