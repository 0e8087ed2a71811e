"""The team's own commands (the model's `procedures`) in place of the generic step for that operation.

A team that deploys with `cap production deploy` or rolls back with `helm rollback x` has told us how
it is done; the platform's generic recipe (a symlink loop, `kubectl rollout undo`) would fight their
tooling. The generic step stays only where the team gave nothing.
"""

from __future__ import annotations

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
