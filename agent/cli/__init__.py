"""The command-line edge: parse options, call the library, map its errors to exit codes.

Each command lives in its own module here and is added to the group below.
"""

from __future__ import annotations

import click

from agent.errors import AgentError


class AgentGroup(click.Group):
    """Turns library errors into one line on stderr and their exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AgentError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            ctx.exit(130)


@click.group(cls=AgentGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="runbook-agent", prog_name="agent")
def cli() -> None:
    """Write operational runbooks an on-call engineer can trust, and check that they work."""


def _register() -> None:
    for optional in ("generate", "chat", "test", "models", "packs"):
        try:
            module = __import__(f"agent.cli.{optional}", fromlist=[optional])
        except ModuleNotFoundError:
            continue
        cli.add_command(getattr(module, optional))


_register()


def main() -> None:
    cli(prog_name="agent")


if __name__ == "__main__":  # pragma: no cover
    main()
