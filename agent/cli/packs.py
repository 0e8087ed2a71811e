"""`agent packs`: list the technology knowledge packs, which apply to a service and why, or what one adds."""

from __future__ import annotations

import dataclasses

import click

from agent.answers import Answers, from_flags
from agent.errors import UsageError
from agent.knowledge.base import Context, Contribution
from agent.knowledge.facts import facts_from_model
from agent.knowledge.monitoring import alerts_for
from agent.knowledge.names import guard
from agent.knowledge.packs import all_packs, detect_packs, get_pack
from agent.render import fenced, inline
from agent.rule import load_rule
from agent.runbook import Command
from agent.service.text import parse


@click.command(name="packs")
@click.option("--service", "description", metavar="TEXT",
              help="A service description; show which packs apply to it and why.")
@click.option("--env", metavar="ANSWER", help="Deployment environment (kubernetes, docker, vms, serverless…).")
@click.option("--monitoring", metavar="ANSWER", help="Monitoring stack(s): prometheus, datadog, cloudwatch…")
@click.option("--show", "show", metavar="NAME", help="Print what pack NAME adds, as Markdown (alerts, "
                                                     "troubleshooting, commands) for review or `agent test`.")
def packs(description: str | None, env: str | None, monitoring: str | None, show: str | None) -> None:
    """List the technology knowledge packs the offline engine draws on."""
    answers = from_flags(load_rule(), {"env": env, "monitoring": monitoring}) if env or monitoring else Answers()
    if (env or monitoring) and description is None and show is None:
        given = "--env" if env else "--monitoring"
        raise UsageError(f"{given} only changes which packs apply to a service",
                         hint="add --service TEXT (or --show NAME) to use it; plain 'agent packs' lists them all")
    available = all_packs()
    if description is not None and not description.strip():
        raise UsageError("--service needs a description", hint="e.g. --service 'orders API on RDS Postgres'")
    if show is not None:
        pack = get_pack(show)
        text = description or (getattr(pack, "examples", ()) or (pack.name,))[0]
        ctx = Context(answers, facts_from_model(parse(text), text))
        part = pack.contribute(ctx)
        part.alerts = [*part.alerts, *alerts_for(ctx, part.signals)]  # as the answered stacks write them
        # names the text does not give: declared where used, as the engine does
        part = dataclasses.replace(part, **{f.name: guard(getattr(part, f.name), ctx.facts.fill_ins)
                                            for f in dataclasses.fields(part)})
        click.echo(_markdown(pack.name, text, part), nl=False)
        return
    if description is None:
        width = max(len(p.name) for p in available)
        for pack in available:
            click.echo(f"{pack.name:<{width}}  {pack.summary}")
        click.echo(f"\n{len(available)} packs. Add one: docs/packs.md")
        return
    ctx = Context(answers, facts_from_model(parse(description), description))
    found = detect_packs(ctx)
    if not found:
        click.echo("no technology pack applies; the runbook uses the environment and monitoring "
                   "knowledge only")
        return
    width = max(len(p.name) for p, _ in found)
    for pack, reason in found:
        click.echo(f"{pack.name:<{width}}  {reason}")
    click.echo(f"\n{len(found)} of {len(available)} packs apply.")


_FENCE = {"bash": "bash", "sql": "sql", "promql": "promql", "redis": "bash", "yaml": "yaml"}


def _block(command: Command) -> str:
    head = inline(f"{command.purpose}" + (f" — expect: {command.expect}" if command.expect else ""))
    warning = f"> **Warning:** {inline(command.warning)}\n\n" if command.warning else ""
    return f"{head}\n\n{warning}{fenced(command.code, _FENCE.get(command.language, 'text'))}\n\n"


def _markdown(name: str, description: str, part: Contribution) -> str:
    """The contribution in the runbook's order; not the engine's rendering, a reviewer's view."""
    out = [f"# Pack {name}: what it adds to a runbook\n\nFor: {inline(description)}\n\n"]
    if part.prerequisites:
        out.append("## Prerequisites\n\n" + "".join(f"- {inline(p)}\n" for p in part.prerequisites) + "\n")
    if part.alerts:
        out.append("## Monitoring & Alerts\n\n")
        for alert in part.alerts:
            out.append(f"### {inline(alert.name)} ({alert.severity})\n\nCondition: {inline(alert.condition)}. "
                       f"Response: {inline(alert.response)}\n\n" + _block(alert.query))
    if part.issues:
        out.append("## Troubleshooting\n\n")
        for issue in part.issues:
            out.append(f"### {inline(issue.title)}\n\nSymptoms: {inline(issue.symptoms)}\n\n")
            out += [_block(c) for c in issue.check]
            for number, step in enumerate(issue.fix, start=1):
                out.append(f"Fix {number}. {inline(step.action)}\n\n" + (_block(step.command) if step.command else ""))
            out.append(f"Verify: {inline(issue.verify)}\n\nEscalate: {inline(issue.escalate)}\n\n")
    groups = [("Emergency: stop writes", part.stop_writes), ("Emergency: assess", part.assess),
              ("Emergency: restore", part.restore), ("Maintenance", part.maintenance_commands),
              ("Disaster recovery", [c for p in part.dr_procedures for c in p.commands]),
              ("Cheatsheet", part.cheatsheet)]
    for title, commands in groups:
        if commands:
            out.append(f"## {title}\n\n" + "".join(_block(c) for c in commands))
    return "".join(out)
