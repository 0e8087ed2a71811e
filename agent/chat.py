"""The conversation behind `agent chat`: interview, generate, revise by talking, save — and resume.

The terminal sits behind a small protocol (`Terminal`), so the whole conversation runs under a test
without one; `agent/cli/chat.py` supplies the real terminal (prompt_toolkit input, so a pasted
description arrives whole; rich output; a pager for long output). Text the
user typed is only ever printed as plain text, never as markup, so `[service-name]` stays visible.

After every step that the user would hate to repeat (the description, each answer, a generation, a
revision, a save) the state goes to a session file, written atomically, so Ctrl-C or end of input
at any point loses nothing and `agent chat --resume` picks up where it stopped.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from agent import loop, store
from agent.answers import SYNONYMS, Answer, Answers, canonical, parse_answer, suggest
from agent.checks import Report
from agent.errors import AgentError, Interrupted, UsageError
from agent.files import MB, read_text
from agent.models.base import GenerationRequest, Model
from agent.models.registry import DEFAULT_MODEL, get_model
from agent.redact import scrub
from agent.render import TOC, render_markdown
from agent.revise import ANSWER_LABELS, parse_change, record_revision, replay, revise_offline, updated_request
from agent.rule import Option, Question, Rule
from agent.runbook import Runbook
from agent.service.corrections import name_correction
from agent.service.model import ServiceModel

DEFAULT_SESSION = Path(".runbook-agent") / "chat-session.json"
SESSION_FORMAT = 1

# Asked only with a language model, whose prose can use them; Enter skips. (key, question, prefix)
FOLLOW_UPS = (
    ("name", "What is the service called? (title and file name)", "Service name"),
    ("dependencies", "What does it depend on? (databases, caches, queues, other services)", "Dependencies"),
    ("slo", "Any SLO targets? (availability, p95 latency, error rate)", "SLO targets"),
    ("owner", "Who owns it? (team, lead, how to reach them)", "Owner and contacts"),
)

HELP = """\
Tell me what to change in plain words, e.g. 'escalate after 10 minutes', 'we use Redis Sentinel, add it',
'alert when error rate > 2%', 'team lead is Jane Doe, jane@example.com', 'environment is docker'.
Commands:
  /show [section]   the runbook (or one section) as rendered Markdown
  /test             check the runbook's commands and structure
  /save             write it (atomic; asks before overwriting a file it did not write)
  /diff             what changed since the last save (unified diff)
  /answers          the description and answers the runbook was written from
  /service          the service model the runbook is written from (names, figures, what is assumed);
                    correct it in plain words: 'the consumer group is called billing-sync'
  /model [MODEL]    show the model, or switch (offline, anthropic:<model>, openai:<model>)
  /help             this text
  /quit             leave; unsaved work stays in the session file for 'agent chat --resume'"""


class Terminal(Protocol):
    """What the conversation needs from a terminal. `ask` raises EOFError / KeyboardInterrupt."""

    def ask(self, prompt: str) -> str: ...

    def say(self, text: str = "", style: str | None = None) -> None: ...

    def markdown(self, text: str) -> None: ...

    def working(self, text: str) -> AbstractContextManager[Callable[[str], None]]: ...

    def pager(self) -> AbstractContextManager[None]:
        """What is said inside goes through a pager when it is longer than the screen."""
        ...


class Session(BaseModel):
    """Everything needed to continue a conversation; stored as JSON."""

    model_config = ConfigDict(extra="forbid")

    format: int = SESSION_FORMAT
    rule: str | None = None
    out_dir: str | None = None
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    description: str | None = None
    answers: dict[str, str] = {}  # question key -> text that parse_answer maps back to the answer
    follow_ups: dict[str, str] = {}  # follow-up key -> what the user said ("" = skipped)
    service_name: str | None = None
    runbook: dict[str, object] | None = None
    service: dict[str, object] | None = None  # the service model the runbook is written from
    baseline: str | None = None  # Markdown at the last save (or the first generation): what /diff compares to
    saved_path: str | None = None
    saved_markdown: str | None = None

    def stage(self) -> str:
        if self.description is None:
            return "before the description"
        if self.runbook is None:
            n = len(self.answers)
            return f"interview, {n} answer{'s' * (n != 1)}"
        return "runbook written" + (", saved earlier" if self.saved_markdown else ", not saved")


MAX_SESSION = 16 * MB


def load_session(path: Path) -> Session:
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"no chat session to resume at {path}", hint="start one with 'agent chat'")
    text = read_text(path, what="session file", limit=MAX_SESSION)
    try:
        session = Session.model_validate_json(text)
    except ValidationError:
        raise UsageError(f"session file {path} is damaged or from another version",
                         hint="delete it to start over, or pass --session FILE") from None
    if session.format != SESSION_FORMAT:
        raise UsageError(f"session file {path} has format {session.format}; this agent reads {SESSION_FORMAT}",
                         hint="delete it to start over")
    return session


def saved_slot(session_path: Path, runbook: Path) -> Path:
    """Where the chat that saved `runbook` is kept, so `agent chat --from RUNBOOK` can continue it."""
    resolved = runbook.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return session_path.parent / "saved" / f"{resolved.stem}-{digest}.json"


def last_saved(session_path: Path) -> str | None:
    """The runbook the most recently kept saved chat wrote, as `--from` would take it."""
    slots = sorted((session_path.parent / "saved").glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for slot in slots:
        try:
            saved = load_session(slot).saved_path
        except UsageError:
            continue
        if saved:
            return shown_path(Path(saved))
    return None


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def save_session(path: Path, session: Session) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {path.parent} for the session file: {exc.strerror}",
                         hint="pass --session FILE in a writable place") from None
    store.write_atomic(path, session.model_dump_json(indent=1) + "\n", force=True)


def answer_text(question: Question, answer: Answer) -> str:
    """What to type to get `answer` again: 'B', 'A, C', 'F: message broker'."""
    if "other" in answer.values and answer.free_text:
        return f"{answer.letters[0]}: {answer.free_text}"
    letters = [x for x in answer.letters if (o := question.option(x)) is not None and o.kind == "choice"]
    return ", ".join(letters)


def _example(question: Question) -> str:
    """A name the question accepts besides its labels ('k8s', '24x7'), for the re-ask hint."""
    for option in question.options:
        words = SYNONYMS.get(question.key, {}).get(canonical(question.key, option), ())
        for word in words:
            if word != option.label.lower() and len(word) > 2:
                return word
    return question.options[0].label.lower()


def _special(question: Question, raw: str) -> Option | None:
    """The 'Other (specify)' or 'Multiple (specify)' option when that alone was typed."""
    text = raw.strip().lower()
    option = question.option(text) if len(text) == 1 else next(
        (o for o in question.options if text in (o.label.lower(), o.text.lower())), None)
    return option if option is not None and option.kind != "choice" else None


class _Quit(Exception):
    """/quit typed at any prompt."""


@dataclass
class ChatResult:
    exit_code: int
    saved: list[Path]


class Chat:
    def __init__(self, term: Terminal, session: Session, *, session_path: Path, rule: Rule, out_dir: Path,
                 force: bool = False, check_tools: bool = True,
                 model_factory: Callable[[str, str | None], Model] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.term = term
        self.session = session
        self.session_path = session_path
        self.rule = rule
        self.out_dir = out_dir
        self.force = force
        self.check_tools = check_tools
        self._factory = model_factory or _get_model
        self.clock = clock or _now  # a test fixes it, so a model sees byte-identical requests
        self.model = self._factory(session.model, session.base_url)
        self.runbook: Runbook | None = None
        if session.runbook is not None:
            try:
                self.runbook = Runbook.model_validate(session.runbook)
            except ValidationError:
                raise UsageError(f"the runbook kept in {session_path} no longer validates",
                                 hint="delete the session file to start over") from None
        self.saved: list[Path] = []
        self._seen_notes: set[str] = set()
        self._checked: tuple[str, Report] | None = None

    # --- the whole conversation --------------------------------------------------------------------

    def run(self) -> ChatResult:
        try:
            self._interview()
            if self.runbook is None:
                self._generate()
            self._converse()
        except _Quit:
            self._leave()
            return ChatResult(0, self.saved)
        except EOFError:
            self.term.say()
            self._leave()
            return ChatResult(0, self.saved)
        except KeyboardInterrupt:
            self.term.say()
            self._leave(interrupted=True)
            return ChatResult(130, self.saved)
        except AgentError as exc:  # generation failed: the interview is kept for --resume
            self.term.say(f"error: {scrub(str(exc))}", "red")
            try:
                self._keep()
            except AgentError:
                return ChatResult(exc.exit_code, self.saved)
            self.term.say(f"Your answers are kept in {self.session_path}; 'agent chat --resume' tries again.")
            return ChatResult(exc.exit_code, self.saved)
        return ChatResult(0, self.saved)

    def _leave(self, interrupted: bool = False) -> None:
        s = self.session
        head = "Interrupted. Nothing was half-written. " if interrupted else ""
        if s.description is None:
            self._drop_session()
            self.term.say(f"{head}Nothing to keep.")
        elif self.runbook is None:
            self._keep()
            self.term.say(f"{head}The interview is kept in {self.session_path}; "
                          "'agent chat --resume' continues where you stopped.")
        elif s.saved_markdown != self.markdown():
            self._keep()
            self.term.say(f"{head}The unsaved runbook is kept in {self.session_path}; "
                          "'agent chat --resume' continues, /save writes it.")
        else:
            self._drop_session()
            shown = self._shown(Path(s.saved_path or ""))
            version = self.runbook.header.version
            tracking = self._shown(loop.SaveOptions(out_dir=self.out_dir).tracking_file())
            self.term.say(f"{head}Everything is saved: {shown} (v{version}), tracked in {tracking}. "
                          f"To change it later: agent chat --from {shlex.quote(shown)}")

    def _keep(self) -> None:
        self.session.runbook = self.runbook.model_dump(mode="json") if self.runbook is not None else None
        save_session(self.session_path, self.session)

    def _drop_session(self) -> None:
        self.session_path.unlink(missing_ok=True)

    def _input(self, prompt: str, *, commands: bool = True) -> str:
        """A line from the user; slash commands typed during the interview are handled here."""
        while True:
            text = self.term.ask(prompt).strip()
            if not (commands and text.startswith("/")) or self.runbook is not None:
                return text
            name, _, arg = text.partition(" ")
            if name in ("/quit", "/exit", "/q"):
                raise _Quit
            if name == "/help":
                self.term.say(HELP)
            elif name == "/answers":
                self._show_answers()
            elif name == "/model":
                self._switch_model(arg.strip())
            else:
                self.term.say(f"{name} works once the runbook is written; /help lists the commands.", "yellow")

    # --- 1. interview -----------------------------------------------------------------------------

    def answers(self) -> Answers:
        items = {}
        for key, raw in self.session.answers.items():
            question = self.rule.question(key)
            if question is not None:
                items[key] = parse_answer(question, raw)
        return Answers(items)

    def _interview(self) -> None:
        s = self.session
        if s.description is None:
            self.term.say("Describe the service: what it does, what it runs on, what it depends on. Paste it "
                          "(several paragraphs arrive whole) or type it; Enter sends it, Alt+Enter starts a new "
                          "line. (/help for commands, Ctrl-D to stop)")
            while True:
                try:
                    s.description = loop.receive(self._input("description> "))
                    break
                except UsageError as exc:
                    self.term.say(f"  {exc.message} — say what the service does and runs on.", "yellow")
            self._keep()
        if self.runbook is not None:
            return
        for question in self.rule.questions:
            if question.key in s.answers:
                continue
            answer = self._ask(question)
            s.answers[question.key] = answer_text(question, answer)
            self._keep()
        if self.model.provider != DEFAULT_MODEL:
            self._follow_ups()

    def _ask(self, question: Question) -> Answer:
        description = self.session.description or ""
        self.term.say()
        self.term.say(f"{question.number}. {question.text}", "bold")
        for option in question.options:
            self.term.say(f"   {option.letter}) {option.text}")
        default: str | None = None
        hit = suggest(question, description)
        if hit is not None:
            option, word = hit
            said = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", description, re.I)
            shown = said.group(0) if said else word
            self.term.say(f"   You mentioned {shown} — {option.label}? [{option.letter}] (Enter accepts)", "cyan")
            default = option.letter
        while True:
            raw = self._input(f"answer [{default}]> " if default else "answer> ")
            if not raw:
                if default is None:
                    self.term.say(f"   Type a letter ({question.letters}) or a name such as "
                                  f"'{_example(question)}'.", "yellow")
                    continue
                raw = default
            special = _special(question, raw)
            if special is not None:
                what = "which ones (letters or names)" if special.kind == "multiple" else "what is it"
                detail = self._input(f"   {special.label}: {what}? > ")
                raw = f"{special.letter}: {detail}"
            try:
                answer = parse_answer(question, raw)
            except UsageError as exc:
                near = suggest(question, raw) if exc.message.startswith("cannot use") else None
                if near is not None:  # "rest api", "round the clock": a name inside other words
                    # A guess from what was typed is offered, never made the default: Enter still takes
                    # the description's suggestion (or asks again).
                    keep = f", Enter keeps {default}" if default else ""
                    self.term.say(f"   Did you mean {near[0].label}? Type {near[0].letter} for it{keep}.", "cyan")
                elif exc.message.startswith("cannot use"):
                    self.term.say(f"   Can't map {raw!r} to an option: type a letter ({question.letters}) or a "
                                  f"name such as '{_example(question)}'.", "yellow")
                else:
                    self.term.say(f"   {exc.message} ({exc.hint})" if exc.hint else f"   {exc.message}", "yellow")
                continue
            self.term.say(f"   → {answer.display()}", "green")
            return answer

    def _follow_ups(self) -> None:
        s = self.session
        pending = [f for f in FOLLOW_UPS if f[0] not in s.follow_ups]
        if not pending:
            return
        if len(pending) == len(FOLLOW_UPS):
            self.term.say()
            self.term.say(f"A few more questions for {self.model.name} (Enter skips):", "bold")
        for key, question, prefix in pending:
            said = self._input(f"{question} > ")
            s.follow_ups[key] = said
            if said:
                if key == "name":
                    s.service_name = said
                s.description = f"{(s.description or '').rstrip()}\n{prefix}: {said}"
            self._keep()

    # --- 2. generate ------------------------------------------------------------------------------

    def request(self, now: datetime | None = None) -> GenerationRequest:
        s = self.session
        service = ServiceModel.model_validate(s.service) if s.service else None
        return GenerationRequest(rule=self.rule, description=s.description or "", answers=self.answers(),
                                 now=now or self.clock(), service_name=s.service_name,
                                 service=service)  # type: ignore[arg-type]  # None: parsed from the description

    def _read_service(self) -> list[str]:
        """With a language model, its own reading of the description joins the parse before the first
        runbook (`loop.read_with`); each point where the two disagree is asked, Enter keeping the parse's
        value. The offline engine reads nothing more: the request parses the description as before."""
        from agent.service.review import points, settle
        from agent.service.text import parse

        s = self.session
        if s.service is not None or not s.description:
            return []
        parsed = parse(s.description, name=s.service_name)
        with self.term.working(f"Reading the service with {self.model.name}…"):
            model, notes = loop.read_with(self.model, s.description, parsed,
                                          lambda line: self.term.say(scrub(line), "yellow"))
        if model is parsed:
            return notes
        for point in (p for p in points(model) if p.kind == "conflict"):
            self.term.say()
            self.term.say(f"? {point.question}", "bold")
            self.term.say("   " + " / ".join(f"{i}) {v}" for i, v in enumerate(point.values, start=1)))
            while True:
                reply = self._input(f"answer [{point.suggestion}]> ", commands=False)
                try:
                    model = settle(model, point, reply)
                    break
                except UsageError as exc:
                    self.term.say(f"  {exc.message} ({exc.hint})" if exc.hint else f"  {exc.message}", "yellow")
        s.service = model.model_dump(mode="json")
        self._keep()
        return notes

    def _generate(self) -> None:
        read = self._read_service()
        request = self.request()
        self.term.say()
        with self.term.working(f"Writing the runbook with {self.model.name}…") as update:

            def progress(section: str, done: int, total: int) -> None:
                update(f"Writing the runbook with {self.model.name}: {section} ({done}/{total})")

            result = loop.generate(self.model, request, progress)
        result.notes = [*read, *result.notes]
        self.runbook = loop.validate(result.runbook)
        self.session.service = request.service.model_dump(mode="json")
        self.session.baseline = self.markdown()
        self._keep()
        self._summary(result.notes)

    def markdown(self) -> str:
        assert self.runbook is not None
        return render_markdown(self.runbook)

    def target(self) -> Path:
        assert self.runbook is not None
        return store.runbook_path(self.out_dir, slug(self.runbook.header.service_name),
                                  self.rule.filename_pattern)

    def _summary(self, notes: list[str]) -> None:
        rb = self.runbook
        assert rb is not None
        h = rb.header
        self.term.say(f"Runbook: {h.service_name} (v{h.version}, {h.criticality}, on-call: {h.on_call})", "bold")
        self.term.say("Sections: " + ", ".join(TOC) + " (+ Appendix, Revision History)")
        self.term.say(f"Counts: {len(rb.monitoring.alerts)} alerts, {len(rb.troubleshooting.issues)} "
                      f"troubleshooting entries, {len(rb.commands())} commands")
        for line in rb.assumptions:
            self.term.say(f"Assumed: {line}", "yellow")
        for note in notes:
            self.term.say(f"  · {note}")
        self._seen_notes.update(notes)
        self._check_line()
        self.term.say(f"It will be saved to {self._shown(self.target())} — /save writes it, /show reads it, "
                      "or tell me what to change. /help for more.")

    def _shown(self, path: Path) -> str:
        return shown_path(path)

    def _check_line(self) -> None:
        from agent.checks import check_markdown

        markdown = self.markdown()
        with self.term.working("Checking the commands…"):
            report = check_markdown(markdown, self._shown(self.target()), rule=self.rule, tools=self.check_tools)
        self._checked = (markdown, report)  # /save of this same text does not check it again
        self.term.say("Tests: " + report.summary(), "red" if report.failed("error") else None)
        errors = report.at_or_above("error")
        for f in errors[:3]:
            self.term.say(f"  line {f.line} [{f.rule}] {f.message}", "red")
        if errors:
            self.term.say("  /save refuses a runbook with errors; /test shows every finding.")

    # --- 3. revise and 4. commands ----------------------------------------------------------------

    def _converse(self) -> None:
        while True:
            self.term.say()
            text = self._input("runbook> ")
            if not text:
                continue
            if text.startswith("/"):
                name, _, arg = text.partition(" ")
                self.command(name.lower(), arg.strip())
            else:
                self.revise(text)

    def command(self, name: str, arg: str) -> None:
        handlers: dict[str, Callable[[str], None]] = {
            "/show": self._show, "/test": lambda _: self._test(), "/save": lambda _: self._save_command(),
            "/diff": lambda _: self._diff(), "/answers": lambda _: self._show_answers(),
            "/service": lambda _: self._show_service(),
            "/model": self._switch_model, "/help": lambda _: self.term.say(HELP),
        }
        if name in ("/quit", "/exit", "/q"):
            raise _Quit
        handler = handlers.get(name)
        if handler is None:
            self.term.say(f"Unknown command {name}; /help lists the commands.", "yellow")
            return
        try:
            handler(arg)
        except AgentError as exc:
            self.term.say(f"error: {scrub(str(exc))}", "red")

    def revise(self, change: str) -> None:
        old = self.runbook
        assert old is not None
        request = self.request()
        offline = self.model.provider == DEFAULT_MODEL
        fixed = name_correction(request.service, change)
        try:
            with self.term.working(f"Revising with {self.model.name}…"):
                if fixed is not None:  # a correction of the service model: regenerate from it
                    request = replace(request, service=fixed.model)
                    result = loop.generate(self.model, request)
                    result.runbook, _ = replay(result.runbook, old.revision_history, self.rule)
                    summary = f"Service model: {fixed.summary}"
                elif offline:
                    revised = revise_offline(self.model, old, change, request, when=request.now)
                    result, request, summary = revised.result, revised.request, revised.change.summary
                else:
                    result = self.model.revise(old, change, request)
                    summary = change
                    request = _answers_kept_in_step(request, change)
            new = loop.validate(result.runbook)
        except AgentError as exc:
            self.term.say(scrub(str(exc)), "yellow")
            return
        if fixed is not None or new.header.version == old.header.version:
            new = record_revision(old, new, summary, request.now, request.authors[0])
        self.runbook = new
        s = self.session
        s.service = request.service.model_dump(mode="json")
        s.description = request.description
        s.service_name = request.service_name
        s.answers = {k: answer_text(q, a) for k, a in request.answers.items.items()
                     if (q := self.rule.question(k)) is not None}
        self._keep()
        self.term.say(f"Revised: {new.revision_history[-1].changes} (v{new.header.version}, not saved yet)", "green")
        for note in result.notes:  # a regeneration repeats the generator's notes; show what is new
            if note not in self._seen_notes:
                self.term.say(f"  · {note}")
        self._seen_notes.update(result.notes)
        if new.header.service_name != old.header.service_name:
            self.term.say(f"  · The file name follows the new name: {self._shown(self.target())}")
        self._check_line()

    def _save_command(self) -> None:
        self.save()

    def save(self) -> Path | None:
        rb = self.runbook
        assert rb is not None
        s = self.session
        path = self.target()
        force = self.force
        if path.exists() and not force:
            ours = s.saved_path == str(path) and _read(path) == s.saved_markdown
            if not ours:
                self.term.say(f"{self._shown(path)} exists and this chat did not write it.")
                reply = self._input("Overwrite it? [y/N] ", commands=False)
                if reply.lower() not in ("y", "yes"):
                    self.term.say("Not saved.")
                    return None
            force = True
        options = loop.SaveOptions(out_dir=self.out_dir, force=force, check_tools=self.check_tools)
        interrupted = None
        with self.term.working("Checking and saving…"):
            try:
                saved = loop.save(self.rule, rb, options, slug=slug(rb.header.service_name), when=self.clock(),
                                  checked=self._checked, service=self.request().service)
            except Interrupted as exc:  # Ctrl-C once both files were written: record it, then leave
                interrupted = exc
                saved = loop.Saved(path, options.tracking_file(), self.markdown(), Report(source=str(path)))
            report = loop.test(saved) if interrupted is None else saved.report
        s.saved_path, s.saved_markdown, s.baseline = str(saved.path), saved.markdown, saved.markdown
        self._keep()
        self._keep_saved(saved.path)
        self.saved.append(saved.path)
        if interrupted is not None:
            raise KeyboardInterrupt
        self.term.say(f"Saved {self._shown(saved.path)} (v{rb.header.version}); tracked in "
                      f"{self._shown(saved.tracking)}.", "green")
        self.term.say("Tests: " + report.summary().replace(str(saved.path), self._shown(saved.path), 1))
        return saved.path

    def _keep_saved(self, path: Path) -> None:
        """A copy of the session beside it, for `agent chat --from PATH` after this chat has ended."""
        copy = self.session.model_copy(update={"out_dir": str(self.out_dir.resolve())})
        try:
            save_session(saved_slot(self.session_path, path), copy)
        except AgentError as exc:
            self.term.say(f"  (could not keep this chat for 'agent chat --from': {exc.message})", "yellow")

    def recap(self, loaded_from: str) -> None:
        """What a resumed chat holds, so the user knows where they are."""
        s = self.session
        lines = (s.description or "").strip().splitlines()
        if lines:
            first = lines[0] if len(lines[0]) <= 100 else lines[0][:99] + "…"
            self.term.say(f"Loaded from {loaded_from}: {first}" + (" …" if len(lines) > 1 else ""), "bold")
        answers = self.answers()
        given = [f"{ANSWER_LABELS.get(q.key, q.key)}: {a.display()}" for q in self.rule.questions
                 if (a := answers.get(q.key)) is not None]
        if given:
            self.term.say("Answers: " + "; ".join(given))
        if self.runbook is None:
            left = [q for q in self.rule.questions if q.key not in s.answers]
            self.term.say(f"Next: question {left[0].number} of {len(self.rule.questions)}." if left
                          else "Next: writing the runbook.")
            return
        h = self.runbook.header
        target = self._shown(self.target())
        if s.saved_markdown is None:
            state = f"not saved yet (/save writes {target})"
        elif s.saved_markdown == self.markdown():
            state = f"saved as {target}"
        else:
            state = f"changed since it was saved to {target} (/diff shows how)"
        self.term.say(f"Runbook: {h.service_name} v{h.version}, {state}. Tell me what to change, or /show, "
                      "/diff, /save, /help.")

    def _show(self, arg: str) -> None:
        text = self.markdown()
        if arg:
            part = section(text, arg)
            if part is None:
                self.term.say(f"No section matches {arg!r}; sections: {', '.join(TOC)}, Appendix, Revision History",
                              "yellow")
                return
            text = part
        with self.term.pager():
            self.term.markdown(text)

    def _test(self) -> None:
        from agent.checks import check_markdown

        with self.term.working("Checking the commands…"):
            report = check_markdown(self.markdown(), self._shown(self.target()), rule=self.rule, tools=True)
        self.term.say(report.summary(), "red" if report.failed("error") else None)
        for f in report.findings[:40]:
            self.term.say(f"  line {f.line} {f.severity} [{f.rule}] {f.message}")
        if len(report.findings) > 40:
            self.term.say(f"  … and {len(report.findings) - 40} more (agent test FILE shows all)")

    def _diff(self) -> None:
        s = self.session
        before = s.baseline or ""
        after = self.markdown()
        since = "the last save" if s.saved_markdown is not None else "generation (nothing saved yet)"
        if before == after:
            self.term.say(f"No changes since {since}.")
            return
        label = self._shown(self.target())
        with self.term.pager():
            self.term.say(f"Changes since {since}:")
            for line in diff_lines(before, after, f"{label} (saved)" if s.saved_markdown else f"{label} (generated)",
                                   f"{label} (now)"):
                style = ("green" if line.startswith("+") and not line.startswith("+++") else
                         "red" if line.startswith("-") and not line.startswith("---") else
                         "cyan" if line.startswith("@@") else None)
                self.term.say(line, style)

    def _show_service(self) -> None:
        from agent.service.review import summary

        model = self.request().service
        self.term.say("The service model the runbook is written from (correct it in plain words):", "bold")
        for line in summary(model):
            self.term.say(f"  {line}")

    def _show_answers(self) -> None:
        s = self.session
        self.term.say("Description:", "bold")
        for line in (s.description or "(not given yet)").splitlines():
            self.term.say(f"  {line}")
        answers = self.answers()
        for question in self.rule.questions:
            answer = answers.get(question.key)
            label = ANSWER_LABELS.get(question.key, question.text)
            self.term.say(f"{label}: {answer.display() if answer else '(not answered yet)'}")
        if s.service_name:
            self.term.say(f"Service name: {s.service_name}")
        if self.runbook is not None:
            self.term.say("Change one in plain words, e.g. 'environment is docker'.")

    def _switch_model(self, spec: str) -> None:
        if not spec:
            from agent.models.registry import available

            names = ", ".join(i.provider for i in available())
            self.term.say(f"Model: {self.model.name} (installed providers: {names}); '/model NAME' switches.")
            return
        try:
            model = self._factory(spec, self.session.base_url)
        except AgentError as exc:
            self.term.say(f"error: {scrub(str(exc))}", "red")
            return
        self.model = model
        self.session.model = spec
        self._keep()
        self.term.say(f"Now using {model.name}.", "green")


def _answers_kept_in_step(request: GenerationRequest, change: str) -> GenerationRequest:
    """After a language model applied "environment is docker", /answers (and any later regeneration)
    should say docker too; changes the rules do not read leave the request as it was."""
    try:
        understood = parse_change(change, request.rule, request.answers)
    except AgentError:
        return request
    return updated_request(request, understood) if understood.kind in ("answer", "name") else request


def slug(name: str) -> str:
    """The file-name slug of a service name; a name like 'CI/CD runner' is not a path here, just words."""
    return store.title_slug(name)


def section(markdown: str, wanted: str) -> str | None:
    """The `## ` section of the runbook whose title best matches `wanted` ('contacts', 'monitoring')."""
    parts = re.split(r"(?m)^(?=## )", markdown)
    titled = [(p.splitlines()[0][3:].strip(), p) for p in parts if p.startswith("## ")]
    key = wanted.strip().lower()
    for test in (lambda t: t.lower() == key, lambda t: t.lower().startswith(key), lambda t: key in t.lower()):
        for title, text in titled:
            if test(title):
                return text.rstrip().removesuffix("---").rstrip() + "\n"
    return None


def diff_lines(before: str, after: str, old: str, new: str) -> Iterator[str]:
    return difflib.unified_diff(before.splitlines(), after.splitlines(), fromfile=old, tofile=new, lineterm="")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _now() -> datetime:
    return datetime.now().replace(second=0, microsecond=0)


def _get_model(spec: str, base_url: str | None) -> Model:
    return get_model(spec, **({"base_url": base_url} if base_url else {}))
