"""The rule's process as readable steps: receive → ask → generate → validate → save → test.

`run()` strings them together for `agent generate`; the chat uses the steps one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from agent import store
from agent.answers import Answer, Answers
from agent.checks import Report, check_markdown
from agent.errors import GitError, Interrupted, MissingAnswersError, RunbookFileError, UsageError, ValidationFailed
from agent.models.base import GenerationRequest, GenerationResult, Model, Progress
from agent.render import render_markdown
from agent.rule import Question, Rule
from agent.runbook import Runbook
from agent.service.from_repository import describe
from agent.service.model import ServiceModel

# Asks one question on a terminal; gets the description's suggestion, if any.
Asker = Callable[[Question, Answer | None], Answer]

MAX_DESCRIPTION = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # everything but tab and newline: no escape sequences


def receive(description: str | None) -> str:
    """Step 1: the service description, as the user wrote it (control characters become spaces)."""
    text = (description or "").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 reach sys.argv as lone surrogates
        raise UsageError("the service description is not valid UTF-8 text",
                         hint="check the terminal's or the file's encoding") from None
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        raise UsageError("the service description is empty",
                         hint='pass --service "what the service is and runs on" or --service-file FILE')
    if len(text) > MAX_DESCRIPTION:
        raise UsageError(f"the service description is {len(text)} characters; the limit is {MAX_DESCRIPTION}",
                         hint="describe the service in a few paragraphs")
    return text


def ask(rule: Rule, description: str, given: Answers, model: Model, *,
        asker: Asker | None = None, strict: bool = False) -> Answers:
    """Step 2: the rule's mandatory questions. Ask on a terminal; otherwise infer and say so."""
    missing = given.missing(rule)
    if not missing:
        return given
    if asker is not None:
        suggestions = model.infer_answers(rule, description, given, [q.key for q in missing])
        asked = {q.key: asker(q, suggestions.get(q.key)) for q in missing}
        return given.merged(Answers(asked))
    if strict:
        raise MissingAnswersError([f"--{q.key} ({q.text})" for q in missing])
    return given.merged(model.infer_answers(rule, description, given, [q.key for q in missing]))


def generate(model: Model, request: GenerationRequest, progress: Progress | None = None) -> GenerationResult:
    """Step 3: let the model write the runbook."""
    result = model.generate(request, progress)
    missing = [line for line in request.answers.assumption_lines() if line not in result.runbook.assumptions]
    if missing:
        result.runbook = result.runbook.model_copy(
            update={"assumptions": [*missing, *result.runbook.assumptions]}
        )
    return result


def validate(runbook: Runbook) -> Runbook:
    """Step 4: the whole runbook against the schema's rules, whatever model produced it."""
    try:
        return Runbook.model_validate(runbook.model_dump())
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ValidationFailed(f"the runbook does not validate ({len(errors)} errors): {errors[0]}", errors) from None


@dataclass
class Saved:
    path: Path
    tracking: Path
    markdown: str
    report: Report
    commit: store.Commit | None = None
    runbook: Runbook | None = None  # what was saved (with --force, the next version of what was there)
    unchanged: bool = False  # --force regenerated exactly what was there: nothing was written
    nothing_to_commit: bool = False  # --commit found the files as they are committed


@dataclass
class SaveOptions:
    out_dir: Path
    force: bool = False
    commit: bool = False
    tracking: Path | None = None  # default: RUNBOOK_TRACKING.md beside the out dir
    check_tools: bool = True  # run the CLI-backed command checks before saving
    supersede: bool = False  # with force: an existing runbook's next version (agent generate --force)

    def tracking_file(self) -> Path:
        return self.tracking or self.out_dir.resolve().parent / store.TRACKING_FILE


def planned_slug(description: str, name: str | None, service: ServiceModel | None = None) -> str:
    """The file-name slug before generating: --name, else the name our models take from the description
    and the repository's model (a model that titles the runbook otherwise is still refused at save time)."""
    if name:
        return store.slugify(name)
    from agent.knowledge.facts import extract_facts
    from agent.knowledge.repository_facts import overlay

    facts = extract_facts(description)
    if service is not None:
        overlay(facts, service)
    return store.title_slug(facts.display_name)


def preflight(rule: Rule, options: SaveOptions, slug: str | None) -> None:
    """Everything that can refuse a save, checked before the model spends any time; writes nothing."""
    store.check_out_dir(options.out_dir, create=False)
    store.check_tracking(options.tracking_file())
    if slug is not None:
        store.refuse_existing(store.runbook_path(options.out_dir, slug, rule.filename_pattern), options.force)
    if options.commit:
        store.git_root(store.nearest_dir(options.out_dir))


def _superseding(runbook: Runbook, path: Path, when: datetime) -> Runbook | None:
    """`runbook` as the next version of the one at `path` (None: it would change nothing)."""
    from agent import versions
    from agent.files import read_text

    if not path.exists():
        return runbook
    earlier = versions.read_earlier(read_text(path, what="runbook", limit=store.MAX_RUNBOOK,
                                              error=RunbookFileError, follow_symlinks=False))
    if earlier is None:
        return runbook
    return versions.next_version(runbook, earlier, when, runbook.header.authors[0])


def save(rule: Rule, runbook: Runbook, options: SaveOptions, *, slug: str, when: datetime,
         checked: tuple[str, Report] | None = None) -> Saved:
    """Step 5: render, check, then write the runbook and its tracking row (both or neither), and commit.
    Nothing is written if a check fails. `checked` is (Markdown, its report) when the caller already
    checked exactly this text with these options: it is not checked twice."""
    path = store.runbook_path(options.out_dir, slug, rule.filename_pattern)
    tracking = options.tracking_file()
    store.refuse_existing(path, options.force)
    if options.force and options.supersede:
        newer = _superseding(runbook, path, when)
        if newer is None:
            return _unchanged(path, tracking, options)
        runbook = newer
    markdown = render_markdown(runbook)
    if checked is not None and checked[0] == markdown:
        report = checked[1]
    else:
        report = check_markdown(markdown, str(path), rule=rule, tools=options.check_tools)
    if report.failed("error"):
        errors = [f"line {f.line}: {f.rule}: {f.message}" for f in report.findings if f.severity == "error"]
        raise ValidationFailed(f"the runbook fails its own checks ({len(errors)} errors): {errors[0]}", errors,
                               hint="nothing was written")
    h = runbook.header
    store.publish(path, markdown, tracking, store.Entry(slug, h.version, when, h.service_name), force=options.force)
    saved = Saved(path, tracking, markdown, report, runbook=runbook)
    if options.commit:
        message = store.commit_message(h.service_name, h.criticality, h.on_call, version=h.version,
                                       changes=runbook.revision_history[-1].changes)
        saved.commit, saved.nothing_to_commit = _commit([path, tracking], message, f"{path} was written and tracked")
    return saved


def _unchanged(path: Path, tracking: Path, options: SaveOptions) -> Saved:
    from agent.checks import check_file

    markdown = path.read_text(encoding="utf-8")
    saved = Saved(path, tracking, markdown, check_file(path, tools=options.check_tools), unchanged=True)
    if options.commit:
        saved.commit, saved.nothing_to_commit = _commit([path, tracking], "", f"{path} is unchanged")
    return saved


def _commit(paths: list[Path], message: str, done: str) -> tuple[store.Commit | None, bool]:
    try:
        commit = store.commit([p for p in paths if p.exists()], message)
    except GitError as exc:
        raise GitError(f"{done}, but {exc.message}", hint=exc.hint) from None
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted during git commit; {done}", hint="check 'git status'") from None
    return commit, commit is None


def test(saved: Saved) -> Report:
    """Step 6: the file on disk is the text that was checked; return that check's report."""
    on_disk = saved.path.read_text(encoding="utf-8")
    if on_disk != saved.markdown:
        return check_markdown(on_disk, str(saved.path))
    return saved.report


@dataclass
class Outcome:
    runbook: Runbook
    answers: Answers
    result: GenerationResult
    saved: Saved
    report: Report
    notes: list[str] = field(default_factory=list)


def run(*, rule: Rule, description: str | None, given: Answers, model: Model, options: SaveOptions,
        now: datetime, name: str | None = None, asker: Asker | None = None, strict: bool = False,
        progress: Progress | None = None, verbose: bool = False, service: ServiceModel | None = None) -> Outcome:
    if service is not None:  # read from a repository: its plain words join (or stand in for) the description
        said = describe(service)
        description = f"{description.strip()}\n\nFrom the repository: {said}" if description and \
            description.strip() else said
    text = receive(description)
    preflight(rule, options, planned_slug(text, name, service))
    answers = ask(rule, text, given, model, asker=asker, strict=strict)
    request = GenerationRequest(rule=rule, description=text, answers=answers, now=now, service_name=name,
                                verbose=verbose, service=service)
    result = generate(model, request, progress)
    runbook = validate(result.runbook)
    slug = store.slugify(name) if name else store.title_slug(runbook.header.service_name)
    saved = save(rule, runbook, options, slug=slug, when=now)
    try:
        report = test(saved)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {saved.path} and its tracking row had been written") from None
    return Outcome(saved.runbook or runbook, answers, result, saved, report, result.notes)
