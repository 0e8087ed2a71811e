"""`agent generate`: one runbook from a description, answers as flags, a file, a terminal or inferred."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from agent import loop
from agent.answers import Answer, Answers, from_flags, load_answers_file, parse_answer
from agent.errors import UsageError, ValidationFailed
from agent.files import read_text
from agent.models.registry import DEFAULT_MODEL, get_model
from agent.rule import Question, load_rule
from agent.service import files as service_files
from agent.service.model import ServiceModel
from agent.service.review import Point, summary

if TYPE_CHECKING:  # the repository readers (~60 ms of imports) load only with --from
    from agent.service.discover import Discovery

ANSWER_FLAGS = ("type", "env", "criticality", "monitoring", "oncall")


def _read_service_file(path: str) -> str:
    # Bounded well above the description limit (characters, up to 4 bytes each), so a file just past
    # that limit gets the limit's own message, with its length.
    return read_text(path, what="service file", limit=16 * loop.MAX_DESCRIPTION)


def terminal_asker(console: Console) -> loop.Asker:
    """Ask a missing question with its lettered options; the description's hint is the default."""

    def ask(question: Question, suggestion: Answer | None) -> Answer:
        console.print(f"\n[bold]{question.number}. {escape(question.text)}[/bold]")
        for option in question.options:
            console.print(f"   {option.letter}) {escape(option.text)}")
        default = None
        if suggestion is not None and not suggestion.reason.startswith("nothing"):
            # an answer no option names (a managed product) is kept with Enter: its default is shown as "keep"
            default = suggestion.letters[-1] if suggestion.letters else "keep"
            console.print(f"   [dim]{escape(suggestion.reason.capitalize())}: "
                          f"{escape(suggestion.display())}? [{default}][/dim]")
        while True:
            raw = click.prompt("   answer", default=default, show_default=bool(default))
            if suggestion is not None and not suggestion.letters and raw.strip().lower() == "keep":
                return suggestion
            try:
                return parse_answer(question, raw)
            except UsageError as exc:
                console.print(f"   [red]{escape(exc.message)}[/red] [dim]({escape(exc.hint or '')})[/dim]")

    return ask


def service_asker(console: Console) -> loop.ServiceAsker:
    """Ask about one point of the service model; Enter accepts the suggestion shown in brackets."""

    def ask(point: Point) -> str:
        console.print(f"\n[bold]?[/bold] {escape(point.question)}")
        if point.kind == "unbound":
            hint = "a role (and component), '-' to leave it out"
        elif point.kind == "guess":
            hint = "Enter if right; or another role (and component); '-' to drop it"
        else:
            hint = " / ".join(f"{i}) {v}" for i, v in enumerate(point.values, start=1))
        console.print(f"   [dim]{escape(hint)}[/dim]")
        reply: str = click.prompt("   answer", default=point.suggestion, show_default=bool(point.suggestion))
        return "" if reply == point.suggestion else reply

    return ask


def show_model(console: Console, heading: str) -> Callable[[ServiceModel], None]:
    def show(model: ServiceModel) -> None:
        console.print(f"[bold]{escape(heading)}[/bold]")
        for line in summary(model):
            console.print(f"  {escape(line)}")

    return show


@click.command()
@click.argument("description", required=False, metavar="[DESCRIPTION]")
@click.option("--service", "service", metavar="TEXT", help="What the service is, does and runs on.")
@click.option("--service-file", metavar="FILE", help="Read the description from FILE ('-' for stdin).")
@click.option("--service-model", "service_model", metavar="FILE",
              help="Generate from this service model (a saved .service.yaml, edited); the description is optional.")
@click.option("--name", metavar="NAME", help="Service name for title and file (default: from the description).")
@click.option("--type", "type_", metavar="ANSWER", help="Service type: letter or name (A web … F 'other: text').")
@click.option("--env", metavar="ANSWER", help="Deployment environment: letter or name (kubernetes, docker, vms…).")
@click.option("--criticality", metavar="ANSWER", help="Criticality: A critical, B high, C medium, D low.")
@click.option("--monitoring", metavar="ANSWER", help="Monitoring: letter or name; several as 'prometheus,cloudwatch'.")
@click.option("--oncall", metavar="ANSWER", help="On-call: A 24/7, B business hours, C follow-the-sun, D none.")
@click.option("--answers", "answers_file", metavar="FILE", help="Answers as YAML or JSON (keys: type, env, …).")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, metavar="MODEL",
              help="offline, anthropic:<model>, openai:<model> or a plugin's model.")
@click.option("--base-url", metavar="URL", help="OpenAI-compatible server (default: $OPENAI_BASE_URL).")
@click.option("--repair-rounds", type=click.IntRange(0, 10), default=2, show_default=True,
              help="LLM models: rounds of fixing a section that fails validation.")
@click.option("--out", "out_dir", default=None, metavar="DIR", 
              help="Where to write the runbook (default: the rule's, tasks/).")
@click.option("--force", is_flag=True, help="Overwrite an existing runbook.")
@click.option("--rule", "rule_path", metavar="FILE", help="Use another rule file.")
@click.option("--strict", is_flag=True, help="Refuse to assume answers; name the missing ones.")
@click.option("--commit", "do_commit", is_flag=True, help="git commit the runbook and tracking file.")
@click.option("--tracking", metavar="FILE", help="Tracking table (default: RUNBOOK_TRACKING.md beside the out dir).")
@click.option("--no-tool-checks", is_flag=True, help="Skip the CLI-backed command checks before saving.")
@click.option("--from", "from_path", metavar="PATH",
              help="Read the service from its repository (manifests, charts, Compose, Terraform, alert rules …).")
@click.option("--runbook-base-url", metavar="URL",
              help="Print the runbook_url of every repository alert: URL + runbook file + #entry.")
@click.option("--annotate", is_flag=True,
              help="With --from and --runbook-base-url: write those annotations as a patch beside the runbook.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Say which knowledge applied and why.")
def generate(description: str | None, service: str | None, service_file: str | None, service_model: str | None,
             name: str | None,
             type_: str | None, env: str | None, criticality: str | None, monitoring: str | None,
             oncall: str | None, answers_file: str | None,
             model: str, base_url: str | None, repair_rounds: int, out_dir: str | None, force: bool,
             rule_path: str | None, strict: bool, do_commit: bool, tracking: str | None, no_tool_checks: bool,
             fmt: str, verbose: bool, from_path: str | None = None, runbook_base_url: str | None = None,
             annotate: bool = False) -> None:
    """Write a runbook for a service and check it.

    The description comes as DESCRIPTION, --service TEXT or --service-file FILE; with --from PATH it may
    be left out (the repository's files say what runs).
    """
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    given_as = [x for x in (description, service, service_file) if x is not None]
    if len(given_as) > 1:
        raise UsageError("give the description once: DESCRIPTION, --service or --service-file")
    if service_file:
        description = _read_service_file(service_file)
    elif service is not None:
        description = service
    if annotate and not (from_path and runbook_base_url):
        raise UsageError("--annotate writes runbook_url annotations into the repository's rule files",
                         hint="give --from PATH and --runbook-base-url URL with it")
    edited = service_files.load(Path(service_model)) if service_model else None
    if description is None and from_path is None and edited is None:
        raise UsageError("no service description",
                         hint='pass --service "...", --service-file FILE, --from PATH or --service-model FILE')
    rule = load_rule(rule_path)
    discovery = None
    given = Answers()
    if from_path is not None:
        from agent.service import from_repository
        from agent.service.discover import discover

        discovery = discover(from_path)
        if not discovery.read:
            raise UsageError(f"--from {from_path}: no deployment files found ({discovery.skipped_count} skipped)",
                             hint="point it at the folder holding manifests, charts, Compose or Terraform files")
        given = from_repository.answers(rule, discovery.model)
        if fmt == "text":
            err.print(f"Read {escape(from_path)}: {escape(discovery.summary())}")
            for skipped in discovery.skipped[: 50 if verbose else 0]:
                err.print(f"  skipped {escape(skipped.path)}: {escape(skipped.reason)}")
    if answers_file:
        given = given.merged(load_answers_file(rule, Path(answers_file)))
    flags = dict(zip(ANSWER_FLAGS, (type_, env, criticality, monitoring, oncall), strict=True))
    given = given.merged(from_flags(rule, flags))
    out = Path(out_dir or rule.output_dir)
    options: dict[str, object] = {"max_repair_rounds": repair_rounds}
    if base_url:
        options["base_url"] = base_url
    if model != DEFAULT_MODEL:
        # Output a model could not repair is kept for inspection next to the out dir, never in it.
        options["raw_output_dir"] = str(out.resolve().parent / ".runbook-agent-raw")
    engine = get_model(model, **options)
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and fmt == "text"
    save_options = loop.SaveOptions(
        out_dir=out, force=force, commit=do_commit,
        tracking=Path(tracking) if tracking else None, check_tools=not no_tool_checks, supersede=force,
    )

    def progress(section: str, done: int, total: int) -> None:
        if fmt == "text" and model != DEFAULT_MODEL:
            err.print(f"  [{done}/{total}] {section}")

    def notify(line: str) -> None:
        err.print(f"  [red]{escape(line)}[/red]")

    try:
        outcome = loop.run(rule=rule, description=description, given=given, model=engine, options=save_options,
                           now=datetime.now().replace(second=0, microsecond=0), name=name,
                           asker=terminal_asker(err) if interactive else None, strict=strict, progress=progress,
                           verbose=verbose, service=discovery.model if discovery else None, edited=edited,
                           service_asker=service_asker(err) if interactive else None, notify=notify,
                           show=show_model(err, "Understood:") if interactive else None)
    except ValidationFailed as exc:
        if verbose:  # the one-line error names the first problem; --verbose lists them all
            for line in exc.errors:
                err.print(f"  - {escape(line)}")
        raise
    links = _runbook_urls(outcome, discovery, runbook_base_url, annotate)
    _report(outcome, engine.name, fmt, verbose, err, discovery, links, interactive)


def _runbook_urls(outcome: loop.Outcome, discovery: Discovery | None, base_url: str | None,
                  annotate: bool) -> dict[str, object] | None:
    """The runbook_url of every repository alert, and with --annotate the patch that writes them."""
    if not base_url or discovery is None:
        return None
    from agent import runbook_urls, store

    found = runbook_urls.links(outcome.saved.markdown, outcome.saved.path, discovery.model.alerts, base_url)
    out: dict[str, object] = {"links": [{"alert": link.alert.name, "at": link.alert.at, "runbook_url": link.url}
                                        for link in found]}
    if annotate:
        made = runbook_urls.patch(discovery.root, found)
        path = runbook_urls.patch_path(outcome.saved.path)
        if made.text:
            store.write_atomic(path, made.text, force=True)
        out.update({"patch": str(path) if made.text else None, "files": made.files, "changed": made.changed,
                    "unchanged": made.unchanged, "skipped": made.skipped, "root": str(discovery.root)})
    return out


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _version_on_disk(markdown: str) -> str:
    found = re.search(r"(?m)^\*\*Version:\*\*\s*(\S+)", markdown)
    return found.group(1) if found else "?"


def _report(outcome: loop.Outcome, model: str, fmt: str, verbose: bool, err: Console,
            discovery: Discovery | None = None, links: dict[str, object] | None = None,
            interactive: bool = False) -> None:
    rb, saved = outcome.runbook, outcome.saved
    counts = {
        "alerts": len(rb.monitoring.alerts),
        "troubleshooting_entries": len(rb.troubleshooting.issues),
        "commands": len(rb.commands()),
    }
    findings = outcome.report.findings
    if fmt == "json":
        payload = {
            "path": str(saved.path), "tracking": str(saved.tracking), "model": model,
            "service": rb.header.service_name, "answers": outcome.answers.as_dict(),
            "assumptions": rb.assumptions, "counts": counts, "usage": outcome.result.usage.as_dict(),
            "version": rb.header.version if not saved.unchanged else _version_on_disk(saved.markdown),
            "unchanged": saved.unchanged, "nothing_to_commit": saved.nothing_to_commit,
            "commit": saved.commit.sha if saved.commit else None, "notes": outcome.notes,
            "service_model": str(saved.model_path) if saved.model_path else None,
            "understood": [{"kind": p.kind, "subject": p.subject, "question": p.question,
                            "suggestion": p.suggestion} for p in outcome.points],
            "checks": [vars(f) if not hasattr(f, "as_dict") else f.as_dict() for f in findings],
        }
        if discovery is not None:
            payload["discovery"] = {
                "root": str(discovery.root), "read": [{"file": f, "reader": r} for f, r in discovery.read],
                "skipped": [{"path": s.path, "reason": s.reason} for s in discovery.skipped],
                "skipped_count": discovery.skipped_count, "components": len(discovery.model.components),
                "alerts": len(discovery.model.alerts), "seconds": round(discovery.seconds, 3)}
        if links is not None:
            payload["runbook_urls"] = links
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    assumed = outcome.answers.assumed()
    if assumed:
        err.print("Assumed (no terminal to ask; recorded in the runbook):")
        for a in assumed:
            err.print(f"  - {escape(a.key)}: {escape(a.display())} — {escape(a.reason)}")
    if outcome.points and not interactive:
        err.print("Not settled (no terminal to ask; recorded as assumed in the runbook and the service model):")
        for p in outcome.points:
            if p.kind == "conflict" and len(p.values) == 2:
                conflict = next(c for c in outcome.service.conflicts if c.subject == p.subject) \
                    if outcome.service is not None else None
                said = conflict.sources[0] if conflict is not None else "the description"
                flag = conflict.sources[1] if conflict is not None else "the flag"
                if not flag.startswith("--"):  # two readings of the description (the parse, an LLM's)
                    first, second = (src.split(" (")[0] for src in (said, flag))
                    err.print(f"  - {escape(p.subject)}: the {escape(first)} says {escape(p.values[0])}, "
                              f"{escape(second)} reads {escape(p.values[1])}: using {escape(p.suggestion)}")
                    continue
                err.print(f"  - {escape(flag)} {escape(p.values[1])} contradicts the {escape(said)}, which says "
                          f"{escape(p.values[0])}: following {escape(flag)}")
                continue
            kept = {"conflict": f"followed {p.suggestion!r}", "guess": "kept as guessed",
                    "unbound": "left out"}[p.kind]
            err.print(f"  - {escape(p.question)} — {escape(kept)}")
    if verbose:
        if outcome.service is not None:
            show_model(err, "Service model (what the runbook was written from):")(outcome.service)
        for note in outcome.notes:
            err.print(f"  · {escape(note)}")
    out = Console(highlight=False, soft_wrap=True)
    version = rb.header.version if not saved.unchanged else _version_on_disk(saved.markdown)
    if saved.unchanged:
        out.print(f"{escape(_shown(saved.path))} is unchanged (v{escape(version)}): the regenerated runbook is "
                  "what is already there; nothing was written")
    else:
        out.print(f"Wrote {escape(_shown(saved.path))} v{escape(version)} ({counts['alerts']} alerts, "
                  f"{counts['troubleshooting_entries']} troubleshooting entries, {counts['commands']} commands)")
        if len(rb.revision_history) > 1:
            out.print(f"  Revision {escape(version)}: {escape(rb.revision_history[-1].changes)}")
        if saved.model_path is not None:
            out.print(f"Service model in {escape(_shown(saved.model_path))} (edit it and regenerate with "
                      f"--service-model)")
        out.print(f"Tracked in {escape(_shown(saved.tracking))}")
    if saved.commit:
        out.print(f"Committed {saved.commit.sha}: {escape(saved.commit.message.splitlines()[0])}")
    elif saved.nothing_to_commit:
        out.print(f"Nothing to commit: {escape(_shown(saved.path))} and {escape(_shown(saved.tracking))} are "
                  "already committed as they are")
    out.print(escape(outcome.report.summary()))
    if links is not None:
        shown = links["links"]
        assert isinstance(shown, list)
        out.print(f"runbook_url annotations ({len(shown)} alerts):")
        for item in shown:
            out.print(f"  {escape(item['at'])}  {escape(item['alert'])}  runbook_url: {escape(item['runbook_url'])}")
        if links.get("patch"):
            out.print(f"Wrote {escape(_shown(Path(str(links['patch']))))} ({links['changed']} annotations in "
                      f"{links['files']} rule files; apply it in {escape(str(links['root']))} with git apply)")
        elif "patch" in links:
            out.print(f"No patch written: every alert already points at its entry ({links['unchanged']})")
        for skipped in links.get("skipped") or []:  # type: ignore[attr-defined]
            err.print(f"  not annotated: {escape(str(skipped))}")
    usage = outcome.result.usage
    if usage.requests:
        out.print(f"Usage: {usage.requests} requests, {usage.input_tokens} input / {usage.output_tokens} output "
                  f"tokens, cache read {usage.cache_read_tokens} / write {usage.cache_write_tokens}")

