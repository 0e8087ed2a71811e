"""`agent chat`: a conversation in the terminal that interviews, generates, revises and saves a runbook.

The conversation itself is `agent.chat.Chat`; this module is the terminal and the options. Input is
prompt_toolkit's: bracketed paste brings a pasted multi-paragraph description in whole (Enter sends,
Alt+Enter starts a new line), with line editing and a history file. Output is rich's, and text longer
than the screen goes through a pager ($PAGER, else `less -R`). The conversation is imported when the
command runs, not when `agent` starts: every other command would pay for it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from agent.errors import UsageError


def _history(path: Path | None) -> Any:
    """prompt_toolkit history in `path` (made when first written); in memory when it cannot be."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    class QuietFileHistory(FileHistory):
        def load_history_strings(self) -> Iterator[str]:
            try:
                yield from super().load_history_strings()
            except (OSError, UnicodeDecodeError):
                return

        def store_string(self, string: str) -> None:
            try:
                Path(os.fsdecode(self.filename)).parent.mkdir(parents=True, exist_ok=True)
                super().store_string(string)
            except OSError:
                pass  # history is a convenience: never a reason to fail

    return QuietFileHistory(str(path)) if path is not None else InMemoryHistory()


class RichTerminal:
    """prompt_toolkit input, rich output; user text is printed as `Text`, never parsed as markup."""

    def __init__(self, history: Path | None) -> None:
        self.console = Console(highlight=False)  # honours NO_COLOR and TERM=dumb on its own
        self.history = history
        self._prompt: Any = None

    def _session(self) -> Any:
        if self._prompt is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.key_binding import KeyBindings

            keys = KeyBindings()

            @keys.add("escape", "enter")  # Alt+Enter: a new line in the text instead of sending it
            def _newline(event: Any) -> None:
                event.current_buffer.insert_text("\n")

            from prompt_toolkit.output import create_output

            output = create_output()
            # Cursor-position requests only place completion menus, which we do not show; a terminal that
            # does not answer them would get a warning printed into the conversation.
            output.enable_cpr = False  # type: ignore[attr-defined]
            self._prompt = PromptSession(history=_history(self.history), key_bindings=keys, output=output)
        return self._prompt

    def ask(self, prompt: str) -> str:
        return str(self._session().prompt(prompt))

    def say(self, text: str = "", style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""), soft_wrap=True)

    def markdown(self, text: str) -> None:
        from rich.markdown import Markdown

        self.console.print(Markdown(text, code_theme="ansi_dark"))

    @contextmanager
    def working(self, text: str) -> Iterator[Callable[[str], None]]:
        with self.console.status(Text(text)) as status:
            yield lambda message: status.update(Text(message))

    @contextmanager
    def pager(self) -> Iterator[None]:
        with self.console.capture() as captured:
            yield
        text = captured.get()
        if text.count("\n") < self.console.height - 1 or not self._page(text):
            sys.stdout.write(text)
            sys.stdout.flush()

    @staticmethod
    def _page(text: str) -> bool:
        """Show `text` in the user's pager; False when there is none (the caller prints it instead)."""
        command = shlex.split(os.environ.get("PAGER", "")) or (["less"] if shutil.which("less") else [])
        if not command or shutil.which(command[0]) is None:
            return False
        env = {**os.environ, "LESS": os.environ.get("LESS", "-R")}  # -R: keep the diff's colours
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the pager meanwhile
        try:
            subprocess.run(command, input=text, text=True, env=env, check=False)
        except OSError:
            return False
        finally:
            signal.signal(signal.SIGINT, previous)
        return True


@click.command()
@click.option("--model", default=None, metavar="MODEL",
              help="offline (default), anthropic:<model>, openai:<model>; /model switches inside the chat.")
@click.option("--base-url", metavar="URL", help="Model server URL (OpenAI-compatible or Anthropic).")
@click.option("--rule", "rule_path", metavar="FILE", help="Use another rule file.")
@click.option("--out", "out_dir", metavar="DIR", help="Where /save writes the runbook (default: the rule's, tasks/).")
@click.option("--resume", is_flag=True, help="Continue the conversation kept in the session file.")
@click.option("--from", "from_file", metavar="FILE",
              help="Continue the chat that saved the runbook FILE (what /quit prints after a save).")
@click.option("--session", "session_file", metavar="FILE",
              help="Where the conversation is kept between steps (default: .runbook-agent/chat-session.json).")
@click.option("--force", is_flag=True, help="Let /save overwrite an existing runbook without asking.")
@click.option("--no-tool-checks", is_flag=True, help="Skip CLI-backed command checks (kubectl, aws…) outside /test.")
def chat(model: str | None, base_url: str | None, rule_path: str | None, out_dir: str | None, resume: bool,
         from_file: str | None, session_file: str | None, force: bool, no_tool_checks: bool) -> None:
    """Talk a runbook into being: interview, generate, revise in plain words, save."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("agent chat needs a terminal (stdin and stdout are not both terminals)",
                         hint='in scripts and pipes use: agent generate --service "..."')
    from agent.chat import DEFAULT_SESSION, Chat, Session, last_saved, load_session, save_session

    if resume and from_file:
        raise UsageError("give --resume or --from, not both")
    path = Path(session_file) if session_file else DEFAULT_SESSION
    term = RichTerminal(path.with_name("chat-history"))
    loaded = None
    if from_file:
        session, loaded = _saved_chat(path, Path(from_file), term)
        save_session(path, session)  # from here on it is the current chat: Ctrl-C keeps it for --resume
    elif resume:
        if not path.exists():
            saved = last_saved(path)
            if saved:
                raise UsageError(f"no unfinished chat at {path}; the last chat saved its runbook",
                                 hint=f"continue editing it with: agent chat --from {shlex.quote(saved)}")
        session = load_session(path)
        term.say(f"Resuming the session in {path} ({session.stage()}).", "bold")
        loaded = str(path)
    else:
        session = Session()
        if path.exists():
            kept = load_session(path)
            term.say(f"An unfinished chat is kept in {path} ({kept.stage()}).")
            try:
                reply = term.ask("Resume it? [Y/n, n starts over and replaces it] ")
            except EOFError:
                term.say()
                term.say(f"Nothing changed; the unfinished chat is still in {path}.")
                return
            if reply.strip().lower() in ("", "y", "yes"):
                session, loaded = kept, str(path)
    session.model = model or session.model
    session.base_url = base_url or session.base_url
    session.rule = str(Path(rule_path).resolve()) if rule_path else session.rule  # --resume from elsewhere
    session.out_dir = out_dir or session.out_dir
    from agent.rule import load_rule

    rule = load_rule(session.rule)
    conversation = Chat(term, session, session_path=path, rule=rule,
                        out_dir=Path(session.out_dir or rule.output_dir), force=force,
                        check_tools=not no_tool_checks)
    if loaded is not None:
        conversation.recap(loaded)
    if session.description is None:
        save_session(path, session)
    result = conversation.run()
    if result.exit_code:
        sys.exit(result.exit_code)


def _saved_chat(path: Path, runbook: Path, term: RichTerminal) -> tuple[Any, str]:
    """The chat that saved `runbook`, to continue; refused while another chat is unfinished."""
    from agent.chat import load_session, saved_slot, shown_path

    slot = saved_slot(path, runbook)
    if not slot.exists():
        raise UsageError(f"no chat saved {runbook} (chats keep what they saved in {slot.parent})",
                         hint="'agent chat' starts a new one; 'agent test FILE' checks a runbook from anywhere")
    if path.exists():
        raise UsageError(f"an unfinished chat is kept in {path}",
                         hint="finish it first ('agent chat --resume'), or pass --session FILE for another")
    session = load_session(slot)
    try:
        on_disk = runbook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        on_disk = None
    shown = shown_path(runbook)
    if on_disk is None:
        term.say(f"{shown} is gone; the chat continues from what it saved there, and /save writes it again.",
                 "yellow")
    elif on_disk != session.saved_markdown:
        term.say(f"{shown} was changed since this chat saved it; the chat continues from what it saved, and "
                 "/save asks before overwriting the file.", "yellow")
    return session, shown
