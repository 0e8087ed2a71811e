"""The team's own commands (the model's `procedures`) in place of the generic step for that operation.

A team that deploys with `cap production deploy` or rolls back with `helm rollback x` has told us how
it is done; the platform's generic recipe (a symlink loop, `kubectl rollout undo`) would fight their
tooling. The generic step stays only where the team gave nothing.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

from agent.knowledge.given_alerts import words
from agent.knowledge.platforms.base import cmd
from agent.runbook import Command
from agent.service.model import ServiceModel, TeamCommand


def given(model: ServiceModel | None, purpose: str) -> TeamCommand | None:
    if model is None:
        return None
    return next((p for p in model.procedures if p.purpose == purpose), None)


def _command(team: TeamCommand, what: str, expect: str) -> Command:
    return cmd(f"{what} with the team's own command", team.command, expect)


def deploy(model: ServiceModel | None, generic: list[Command]) -> list[Command]:
    team = given(model, "deploy")
    if team is None:
        return generic
    return [_command(team, "Deploy", "The deploy tool reports success; then run the checks after a deploy below")]


def rollback(model: ServiceModel | None, generic: list[Command]) -> list[Command]:
    """Same shape as the platform's list: what runs now first, the rollback action second."""
    team = given(model, "rollback")
    if team is None:
        return generic
    action = _command(team, "Roll back", "The previous release is live again; errors back to their baseline")
    return [generic[0], action, *generic[2:]] if len(generic) > 1 else [action]


def cheatsheet(model: ServiceModel | None) -> list[Command]:
    """Every command the team wrote, as written, for the quick reference."""
    if model is None:
        return []
    return [cmd(f"{p.purpose.capitalize()}: the team's own command (from the description)", p.command)
            for p in model.procedures]


# --- the team's checks: what the team looks at, placed where an alert or an outage leads ---------------


@cache
def _verbs() -> tuple[frozenset[str], frozenset[str]]:
    """(inspect words, change words) of data/team_checks.yaml."""
    text = resources.files("agent.knowledge").joinpath("data/team_checks.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return frozenset(data["inspect"]), frozenset(data["change"])


UNKNOWN_TOOL = re.compile(r"\bis not known to be read-only\b")  # the danger classifier's words for it
# the warning on a team's check whose tool the classifier has no table for
UNKNOWN_WARNING = "Not known to be read-only to this tool's checker: run it as the team wrote it, nothing more"
# a value the team left open ("osd.N", "/dev/sdX", "<id>", a guarded variable): not a first check to paste
_OPEN = re.compile(r"\$\{|<[^>\s]+>|(?<=[a-z./])[NX]\b|(?<![\w-])[NX](?![\w-])")


def _own_words(command: str) -> set[str]:
    """The words of a command after its program ("redis-cli -h x cluster nodes": h, x, cluster, nodes)."""
    program = command.split()[0] if command.split() else ""
    return set(words(command[len(program):]))


def _program_words(command: str) -> set[str]:
    """The words of a command's program and its stem ("etcdctl": etcdctl, etcd; "redis-cli": redis, cli):
    an alert named for the tool ("EtcdMemberDown") says nothing of which of its commands fits."""
    program = command.split()[0].rsplit("/", 1)[-1] if command.split() else ""
    stem = re.sub(r"(?:ctl|adm|admin|cli)$", "", program)
    return set(words(program)) | set(words(stem))


def _as_check(team: TeamCommand) -> Command | None:
    return as_check(team.command, " ".join(team.command.split("\n")[-1].split()[:6]))


def as_check(code: str, head: str) -> Command | None:
    """The team's command as a runbook check titled by its `head`, or None when it changes something (or
    may: a tool the classifier does not know counts only when its own words say it looks, and none
    says it changes)."""
    from agent.checks.danger import explain  # late: the checker is not needed to read a model

    level, why = explain(code, "bash")
    if level == "read-only":
        return cmd(f"The team's check: {head}", code, None)
    inspect, change = _verbs()
    args = [a for line in code.splitlines() for a in line.split()[1:] if not a.startswith("-")]
    said = {w for a in args for w in re.split(r"[._:/-]+", a.lower()) if w}
    if level != "mutating" or not all(UNKNOWN_TOOL.search(r) for r in why.split("; ")) or said & change or \
            not (said & inspect or not said):
        return None
    return cmd(f"The team's check: {head}", code, None, UNKNOWN_WARNING)


def checks(model: ServiceModel | None, about: str, limit: int = 3) -> list[Command]:
    """The team's read-only commands that share a word of their own with `about` (an alert's name and
    condition: "CephOSDDown" and `ceph osd tree`), the most shared first; the program's name (which
    every command of that tool shares) does not count."""
    if model is None:
        return []
    # the service's own names and technologies are in every alert and many commands: they say nothing of what
    own = {w for _, n in model.all_names() for w in words(n.value)} | set(words(model.service.name)) | {
        w for c in model.components for w in words(c.technology)}
    wanted = set(words(about)) - _PLAIN - own - {w for p in model.procedures for w in _program_words(p.command)}
    scored: list[tuple[int, int, Command]] = []
    for index, team in enumerate(model.procedures):
        shared = len(_own_words(team.command) & wanted)
        check = _as_check(team) if shared else None
        if check is not None:
            scored.append((-shared, index, check))
    return [c for _, _, c in sorted(scored, key=lambda x: x[:2])][:limit]


def status(model: ServiceModel | None, limit: int = 2) -> list[Command]:
    """The team's own status checks, for when nothing more specific fits (an outage, an alert no command
    names): its health and status commands first, then the others in the order given; only commands
    that run as written (no value left open)."""
    if model is None:
        return []
    ranked = sorted(model.procedures, key=lambda p: p.purpose not in ("health", "status"))
    out = [c for p in ranked if not _OPEN.search(p.command) and (c := _as_check(p)) is not None]
    return out[:limit]


# words every alert says that name nothing a command looks at
_PLAIN = frozenset("the a an or and of to in on is are not no high low too many alert alarm fires any for over "
                   "under above below than more less min mins minutes sec seconds s m h ms than anything".split())
