"""The command-line edge: parse options, call the library, map its errors to exit codes.

Each command lives in its own module here (`agent/cli/<name>.py` defines the click command
`<name>`) and is imported only when it runs, so `agent test` does not pay for the generator. The
command list of `agent --help` comes from `COMMANDS`, a table of each command's first docstring
sentence, so listing the commands imports none of them (a test keeps the table true).
"""

from __future__ import annotations

import gc
import importlib
import sys

import click

from agent.errors import AgentError

# name -> the first sentence of the command's docstring (tests/test_cli_startup.py compares them).
COMMANDS = {
    "chat": "Talk a runbook into being: interview, generate, revise in plain words, save.",
    "generate": "Write a runbook for a service and check it.",
    "models": "List installed models (third-party entry points included) and the key each needs.",
    "packs": "List the technology knowledge packs the offline engine draws on.",
    "test": "Check runbook FILES: structure, shell, SQL, PromQL, CLI flags, placeholders, dangerous commands.",
}


# Set by main(): the cyclic GC is off while the command's modules load (they allocate ~100k objects
# that all survive, which the collector would walk over and over: ~60 ms), then those are frozen out
# of its sight and it runs as usual for the command itself.
_GC_DEFERRED = False


class AgentGroup(click.Group):
    """Loads commands lazily; turns library errors into one line on stderr and their exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name]) for name in self.list_commands(ctx)])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command = getattr(importlib.import_module(f"agent.cli.{cmd_name}"), cmd_name)
        assert isinstance(command, click.Command)
        global _GC_DEFERRED
        if _GC_DEFERRED:
            _GC_DEFERRED = False
            gc.freeze()
            gc.enable()
        return command

    def invoke(self, ctx: click.Context) -> object:
        # publishes before this command (an earlier invocation in the same process) are not this command's
        loaded = sys.modules.get("agent.store")
        before = len(loaded.published()) if loaded is not None else 0
        try:
            return super().invoke(ctx)
        except AgentError as exc:
            from agent.redact import scrub  # the last line of defence: no error line prints a key

            click.echo(f"error: {scrub(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            from agent.store import published  # a Ctrl-C after the files were placed: say they were

            done = published()[before:]
            click.echo(f"interrupted; {done[-2]} and its row in {done[-1]} had been written (both complete)"
                       if len(done) >= 2 else "interrupted; nothing was written", err=True)
            ctx.exit(130)


@click.group(cls=AgentGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="runbook-agent", prog_name="agent")
def cli() -> None:
    """Write operational runbooks an on-call engineer can trust, and check that they work."""


def main() -> None:
    global _GC_DEFERRED
    if gc.isenabled():
        gc.disable()
        _GC_DEFERRED = True
    cli(prog_name="agent")


if __name__ == "__main__":  # pragma: no cover
    main()
