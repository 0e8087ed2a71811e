"""`agent chat`: a conversation in the terminal that interviews, generates, revises and saves a runbook.

The conversation itself is `agent.chat.Chat`; this module is the terminal (readline for line editing
and history, rich for output that stays readable without colour) and the options. The conversation
is imported when the command runs, not when `agent` starts: every other command would pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import click
from rich.console import Console
from rich.text import Text

from agent.errors import UsageError


class RichTerminal:
    """readline input with a history file; user text is printed as `Text`, never parsed as markup."""

    def __init__(self, history: Path | None) -> None:
        self.console = Console(highlight=False)  # honours NO_COLOR and TERM=dumb on its own
        self.history = history
        self._readline: ModuleType | None = None
        try:
            import readline  # line editing and history for input()

            self._readline = readline
        except ImportError:  # pragma: no cover - platforms without readline still get plain input()
            self._readline = None
        if self._readline is not None and history is not None and history.exists():
            try:
                self._readline.read_history_file(str(history))
            except OSError:
                pass

    def ask(self, prompt: str) -> str:
        text = input(prompt)
        if self._readline is not None and self.history is not None and text.strip():
            try:
                self.history.parent.mkdir(parents=True, exist_ok=True)
                self._readline.set_history_length(1000)
                self._readline.write_history_file(str(self.history))
            except OSError:
                pass
        return text

    def say(self, text: str = "", style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""), soft_wrap=True)

    def markdown(self, text: str) -> None:
        from rich.markdown import Markdown

        self.console.print(Markdown(text, code_theme="ansi_dark"))

    @contextmanager
    def working(self, text: str) -> Iterator[Callable[[str], None]]:
        with self.console.status(Text(text)) as status:
            yield lambda message: status.update(Text(message))


@click.command()
@click.option("--model", default=None, metavar="MODEL",
              help="offline (default), anthropic:<model>, openai:<model>; /model switches inside the chat.")
@click.option("--base-url", metavar="URL", help="Model server URL (OpenAI-compatible or Anthropic).")
@click.option("--rule", "rule_path", metavar="FILE", help="Use another rule file.")
@click.option("--out", "out_dir", metavar="DIR", help="Where /save writes the runbook (default: the rule's, tasks/).")
@click.option("--resume", is_flag=True, help="Continue the conversation kept in the session file.")
@click.option("--session", "session_file", metavar="FILE",
              help="Where the conversation is kept between steps (default: .runbook-agent/chat-session.json).")
@click.option("--force", is_flag=True, help="Let /save overwrite an existing runbook without asking.")
@click.option("--no-tool-checks", is_flag=True, help="Skip CLI-backed command checks (kubectl, aws…) outside /test.")
def chat(model: str | None, base_url: str | None, rule_path: str | None, out_dir: str | None, resume: bool,
         session_file: str | None, force: bool, no_tool_checks: bool) -> None:
    """Talk a runbook into being: interview, generate, revise in plain words, save."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("agent chat needs a terminal (stdin and stdout are not both terminals)",
                         hint='in scripts and pipes use: agent generate --service "..."')
    from agent.chat import DEFAULT_SESSION, Chat, Session, load_session, save_session
    from agent.rule import load_rule

    path = Path(session_file) if session_file else DEFAULT_SESSION
    term = RichTerminal(path.with_name("chat-history"))
    if resume:
        session = load_session(path)
        term.say(f"Resuming the session in {path} ({session.stage()}).", "bold")
    else:
        session = Session()
        if path.exists():
            kept = load_session(path)
            try:
                reply = term.ask(f"An unfinished chat is kept in {path} ({kept.stage()}). "
                                 "Resume it? [Y/n, n starts over and replaces it] ")
            except EOFError:
                term.say()
                term.say(f"Nothing changed; the unfinished chat is still in {path}.")
                return
            if reply.strip().lower() in ("", "y", "yes"):
                session = kept
    session.model = model or session.model
    session.base_url = base_url or session.base_url
    session.rule = str(Path(rule_path).resolve()) if rule_path else session.rule  # --resume from elsewhere
    session.out_dir = out_dir or session.out_dir
    rule = load_rule(session.rule)
    conversation = Chat(term, session, session_path=path, rule=rule,
                        out_dir=Path(session.out_dir or rule.output_dir), force=force,
                        check_tools=not no_tool_checks)
    if session.description is None:
        save_session(path, session)
    result = conversation.run()
    if result.exit_code:
        sys.exit(result.exit_code)
