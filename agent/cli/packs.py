"""`agent packs`: list the technology knowledge packs, or which apply to a service and why."""

from __future__ import annotations

import click

from agent.answers import Answers
from agent.errors import UsageError
from agent.knowledge.base import Context, Facts
from agent.knowledge.packs import all_packs, detect_packs


@click.command(name="packs")
@click.option("--service", "description", metavar="TEXT",
              help="A service description; show which packs apply to it and why.")
def packs(description: str | None) -> None:
    """List the technology knowledge packs the offline engine draws on."""
    available = all_packs()
    if description is None:
        width = max(len(p.name) for p in available)
        for pack in available:
            click.echo(f"{pack.name:<{width}}  {pack.summary}")
        click.echo(f"\n{len(available)} packs. Add one: docs/packs.md")
        return
    if not description.strip():
        raise UsageError("--service needs a description", hint="e.g. --service 'orders API on RDS Postgres'")
    ctx = Context(Answers(), Facts(service="service", display_name="Service", description=description))
    found = detect_packs(ctx)
    if not found:
        click.echo("no technology pack applies; the runbook uses the environment and monitoring "
                   "knowledge only")
        return
    width = max(len(p.name) for p, _ in found)
    for pack, reason in found:
        click.echo(f"{pack.name:<{width}}  {reason}")
    click.echo(f"\n{len(found)} of {len(available)} packs apply.")
