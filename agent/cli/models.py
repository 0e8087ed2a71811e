"""`agent models`: the models installed through the `runbook_agent.models` entry points."""

from __future__ import annotations

import os

import click

from agent.models.registry import DEFAULT_MODEL, available


@click.command()
def models() -> None:
    """List installed models (third-party entry points included) and the key each needs."""
    rows: list[tuple[str, str, str, str]] = []
    for info in available():
        summary, key_note = "", ""
        try:
            module_name, _, attr = info.target.partition(":")
            # our provider modules import their SDK lazily, so this stays fast
            cls = getattr(__import__(module_name, fromlist=[attr]), attr)
            summary = str(getattr(cls, "summary", "") or "")
            key_env = str(getattr(cls, "key_env", "") or "")
            if key_env:
                key_note = f"{key_env} {'set' if os.environ.get(key_env) else 'not set'}"
        except Exception as exc:  # a broken third-party plugin must not hide the others
            summary = f"(cannot load: {type(exc).__name__})"
        usage = info.provider if info.provider == DEFAULT_MODEL else f"{info.provider}:<model>"
        rows.append((usage, info.distribution, key_note or "no key needed", summary))
    if not rows:
        click.echo("no models installed (reinstall runbook-agent)")
        return
    width = max(len(r[0]) for r in rows)
    for usage, dist, key_note, summary in rows:
        click.echo(f"{usage:<{width}}  [{dist}; {key_note}]  {summary}")
    click.echo("\nuse one with --model (default: offline); --base-url reaches an OpenAI-compatible server")
