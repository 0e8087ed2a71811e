"""Scoped commands (criterion 9): kubectl names its namespace, aws its region.

An unscoped `kubectl delete pod x` acts on whatever namespace the reader's context points at; an
unscoped `aws rds ...` on whatever region their profile has. Both are warnings: the command may be
right, but at 3 a.m. it is a coin toss.
"""

from __future__ import annotations

from functools import cache

from agent.checks import catalogue, placeholders, shellwords
from agent.checks.catalogue.parse import parse
from agent.checks.extract import Command, nested_commands
from agent.checks.structure import Emit

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
    # What the command acts on is data: each kubectl command's `target` (a pod, a kind, or the
    # namespace itself) and each kind's `namespaced` (catalogue/data/kubectl.yaml).
    entry = catalogue.tool("kubectl")
    if entry is None:
        return False
    parsed = parse(entry, args, lenient=True)
    target = parsed.command.target if parsed.listed else ""
    words = parsed.positionals
    if target == "namespaced":
        return True
    if not target or not words:
        return False
    if target == "pod":
        return not words[0].startswith(("node/", "nodes/")) and words[0] not in ("node", "nodes")
    kinds = [entry.kinds.get(k) for k in words[0].split("/")[0].lower().split(",")]
    return all(k is not None and k.namespaced for k in kinds)


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
            if catalogue.is_tool(tool, "kubectl") and _kubectl_unscoped(argv[1:]):
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
                and _aws_words(argv)[0] not in _aws_unscoped()
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
        if catalogue.is_tool(tool, "kubectl") and words[:2] == ["config", "set-context"] and any(
            a.startswith("--namespace") for a in argv
        ):
            return True
        if tool == "kubens" and words:
            return True
    return False


@cache
def _aws_unscoped() -> frozenset[str]:
    """Services that need no --region (catalogue/data/aws.yaml `unscoped`)."""
    entry = catalogue.tool("aws")
    return frozenset(entry.unscoped if entry is not None else ())


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
