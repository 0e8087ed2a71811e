"""The rule's process as readable steps: receive → understand → ask → generate → validate → save → test.

`run()` strings them together for `agent generate`; the chat uses the steps one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from agent import prohibited, store
from agent.answers import Answer, Answers, parse_answer, specify_other
from agent.checks import Report, check_markdown
from agent.errors import GitError, Interrupted, MissingAnswersError, RunbookFileError, UsageError, ValidationFailed
from agent.models.base import GenerationRequest, GenerationResult, Model, Progress, Usage
from agent.render import render_markdown
from agent.rule import Question, Rule
from agent.runbook import Runbook
from agent.service import files as service_files
from agent.service.from_repository import describe
from agent.service.model import ServiceModel
from agent.service.review import MAX_QUESTIONS, Point, flag_conflict, points, settle

# Asks one question on a terminal; gets the description's suggestion, if any.
Asker = Callable[[Question, Answer | None], Answer]
# Asks about one point of the service model on a terminal; returns the reply ("" accepts the suggestion).
ServiceAsker = Callable[[Point], str]
Notify = Callable[[str], None]

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


def model_text(model: ServiceModel) -> str:
    """A description for a model given without one (--service-model): the sentences its values came
    from, then what was added by hand, so knowledge that reads text finds its technologies."""
    said: list[str] = [model.service.purpose] if model.service.purpose else []
    for item in model.sourced():
        if item.evidence and not item.evidence.startswith(("guessed:", "the description", "a default")):
            said.append(item.evidence)
    for comp in model.components:
        if comp.technology and comp.technology not in " ".join(said).lower():
            said.append(f"It uses {comp.technology}.")
    return " ".join(dict.fromkeys(x.strip() for x in said if x.strip()))


@dataclass
class Understanding:
    model: ServiceModel
    answers: Answers  # the given answers, the env one changed when the user chose the description's
    points: list[Point]  # what was asked, or (without a terminal) recorded as assumed
    usage: Usage | None = None  # what reading the description with the model's LLM cost
    notes: list[str] = field(default_factory=list)


def read_with(reader: Model, description: str, parsed: ServiceModel, notify: Notify | None = None
              ) -> tuple[ServiceModel, list[str]]:
    """The offline parse and the model's own reading of the description, merged (`Model.extract_service`;
    the offline engine has none). Where they disagree the parse's value is kept and a conflict recorded,
    for the user to settle. A reading that stays invalid after its repair rounds leaves the parse alone,
    and says so; any other model error stops the run, as it would stop the runbook."""
    from agent.models.llm_errors import RepairFailed
    from agent.service.extract import reconcile

    try:
        read = reader.extract_service(description)
    except RepairFailed as exc:
        kept = f"raw output saved to {exc.raw_path}" if exc.raw_path else "raw output could not be saved"
        line = (f"{reader.name} could not read the service model ({exc.message}; {kept}); "
                "using the offline parse alone")
        if notify is not None:
            notify(line)
        return parsed, [line]
    if read is None:
        return parsed, []
    merged = reconcile(parsed, read, reader.name)
    found = len(merged.conflicts) - len(parsed.conflicts)
    return merged, [f"service model: read by {reader.name} too, merged with the offline parse "
                    f"({found} disagreement(s))"]


def understand(rule: Rule, description: str, given: Answers, *, name: str | None = None,
               edited: ServiceModel | None = None, asker: ServiceAsker | None = None, strict: bool = False,
               notify: Notify | None = None, show: Callable[[ServiceModel], None] | None = None,
               repository: ServiceModel | None = None, reader: Model | None = None) -> Understanding:
    """Step 2: what the service is. Parse the description (or take the edited model) and, with an LLM
    `reader`, merge its reading of the description too (`read_with`); apply the flags, record where a
    flag contradicts the description, then ask on a terminal about every name the parser could not bind
    or only guessed, and every contradiction between the readings or with a flag; Enter accepts the
    suggestion. Without a terminal those points stay in the model as assumptions; `strict` refuses and
    names them."""
    from agent.service.corrections import renamed
    from agent.service.merge import merge
    from agent.service.text import parse

    if edited is not None:
        # contradictions a previous run's flags raised are about those flags: this run decides afresh
        model = edited.model_copy(update={"conflicts": [c for c in edited.conflicts
                                                        if not any(src.startswith("--") for src in c.sources)]})
        if description and description != model_text(edited):
            told = parse(description, name=name)
            model = merge(model, told, label=("service model file", "description"))
            model = model.model_copy(update={"conflicts": [c.model_copy(update={"resolved_by": "user"})
                                                           for c in model.conflicts]})
    else:
        model = parse(description, name=name)
    usage: Usage | None = None
    notes: list[str] = []
    if reader is not None and edited is None:  # an edited model is the user's word: not read again
        model, notes = read_with(reader, description, model, notify)
        usage = reader.last_usage
    if repository is not None:  # the repository's files outrank the description; disagreements are asked
        model = merge(model, repository, label=("description", "repository"))
    if name and (edited is not None or model.service.display != name.strip()):
        model = renamed(model, name)
    env = given.get("env")
    described = model.platform.environment
    knows = ("given", "repository", "edited", "confirmed", "llm")
    if env is not None and described and model.platform.origin in knows \
            and described not in env.values and "other" not in env.values:
        model = flag_conflict(model, "platform.environment", described, model.platform.evidence, "env", env.value)
    todo = points(model)
    if show is not None:
        show(model)
    if asker is not None:
        for point in todo[:MAX_QUESTIONS]:
            while True:
                reply = asker(point)
                try:
                    model = settle(model, point, reply)
                    break
                except UsageError as exc:
                    if notify is not None:
                        notify(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
        chosen = next((c.chosen for c in model.conflicts if c.subject == "platform.environment" and c.resolved_by),
                      None)
        question = rule.question("env")
        if chosen and env is not None and chosen not in env.values and question is not None:
            try:
                given = given.merged(Answers({"env": parse_answer(question, chosen)}))
            except UsageError:
                pass
        return Understanding(model, given, todo, usage, notes)
    if strict and todo:
        raise UsageError(f"--strict: {len(todo)} point(s) about the service to settle: "
                         + "; ".join(p.question for p in todo[:5]) + (" …" if len(todo) > 5 else ""),
                         hint="fix them in the description, or generate once and edit the saved .service.yaml")
    return Understanding(model, given, todo, usage, notes)


def ask(rule: Rule, description: str, given: Answers, model: Model, *,
        asker: Asker | None = None, strict: bool = False, service: ServiceModel | None = None) -> Answers:
    """Step 2: the rule's mandatory questions. Ask on a terminal; otherwise infer (from the description
    and the service model) and say so."""
    given = specify_other(given, service, strict=strict)
    missing = given.missing(rule)
    if not missing:
        return given
    if asker is not None:
        suggestions = model.infer_answers(rule, description, given, [q.key for q in missing], service)
        asked = {q.key: asker(q, suggestions.get(q.key)) for q in missing}
        return given.merged(Answers(asked))
    if strict:
        raise MissingAnswersError([f"--{q.key} ({q.text})" for q in missing])
    return given.merged(model.infer_answers(rule, description, given, [q.key for q in missing], service))


def generate(model: Model, request: GenerationRequest, progress: Progress | None = None) -> GenerationResult:
    """Step 3: let the model write the runbook."""
    result = model.generate(request, progress)
    # whichever model wrote it, a command the team forbids is not in it
    result.runbook = prohibited.enforce(result.runbook, request.description, result.service or request.service)
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
    model_path: Path | None = None  # the service model saved beside the runbook


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
    from agent.service.merge import merge
    from agent.service.text import parse

    model = parse(description)
    if service is not None:
        model = merge(model, service, label=("description", "repository"))
    return store.title_slug(model.service.display or model.service.name)


def preflight(rule: Rule, options: SaveOptions, slug: str | None) -> None:
    """Everything that can refuse a save, checked before the model spends any time; writes nothing."""
    store.check_out_dir(options.out_dir, create=False)
    store.check_tracking(options.tracking_file())
    if slug is not None:
        path = store.runbook_path(options.out_dir, slug, rule.filename_pattern)
        store.refuse_existing(path, options.force)
        _refuse_model_file(service_files.path_for(path), options.force)
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


def _refuse_model_file(path: Path, force: bool) -> None:
    if path.is_symlink():
        raise RunbookFileError(f"service model file {path} is a symbolic link; refusing to write through it",
                                     hint="replace it with a regular file")
    store.refuse_existing(path, force)


def _write_model(runbook_path: Path, model: ServiceModel | None, force: bool) -> tuple[Path, str | None] | None:
    """Write the model beside the runbook; returns what to restore if the runbook then fails to save."""
    if model is None:
        return None
    path = service_files.path_for(runbook_path)
    _refuse_model_file(path, force)
    store.check_out_dir(path.parent)  # made here when the runbook's publish has not made it yet
    before = path.read_text(encoding="utf-8") if force and path.is_file() else None
    store.write_atomic(path, service_files.dump(model, path.name), force=force)
    return path, before


def _undo_model(written: tuple[Path, str | None] | None) -> None:
    if written is None:
        return
    path, before = written
    if before is None:
        path.unlink(missing_ok=True)
    else:
        store.write_atomic(path, before, force=True)


def save(rule: Rule, runbook: Runbook, options: SaveOptions, *, slug: str, when: datetime,
         checked: tuple[str, Report] | None = None, service: ServiceModel | None = None) -> Saved:
    """Step 5: render, check, then write the runbook and its tracking row (both or neither), with the
    service model beside it (`runbook-<slug>.service.yaml`, removed again if the runbook is not
    written), and commit. Nothing is written if a check fails. `checked` is (Markdown, its report) when
    the caller already checked exactly this text with these options: it is not checked twice."""
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
    written = _write_model(path, service, options.force)
    try:
        store.publish(path, markdown, tracking, store.Entry(slug, h.version, when, h.service_name),
                      force=options.force)
    except BaseException:
        _undo_model(written)
        raise
    saved = Saved(path, tracking, markdown, report, runbook=runbook, model_path=written[0] if written else None)
    if options.commit:
        message = store.commit_message(h.service_name, h.criticality, h.on_call, version=h.version,
                                       changes=runbook.revision_history[-1].changes)
        files = [path, tracking, *([saved.model_path] if saved.model_path else [])]
        saved.commit, saved.nothing_to_commit = _commit(files, message, f"{path} was written and tracked")
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
    service: ServiceModel | None = None  # what the runbook was written from (as saved beside it)
    points: list[Point] = field(default_factory=list)  # asked about, or recorded as assumed


def with_model_assumptions(runbook: Runbook, service: ServiceModel) -> Runbook:
    """The runbook's "Assumed, not told" also lists what the model holds as assumed (once)."""
    have = " ".join(runbook.assumptions)

    def listed(value: str) -> bool:  # as a word: 'postgres' is not listed by "postgres_exporter"
        return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", have) is not None

    # a word the parser could not place may still be used by the runbook (CodeDeploy as the release owner,
    # a deployment group read beside it): "not used" is said only of words the runbook does not use
    used = "\n".join(f"{c.purpose}\n{c.code}" for c in runbook.commands())  # a warning's mention is no use

    def unused(line: str) -> bool:
        found = re.match(r"'(.+?)' from the description is not used", line)
        return found is None or re.search(rf"(?<![\w-]){re.escape(found.group(1))}(?![\w-])", used) is None

    extra = [line for line in service.assumptions() if not line.startswith("figures.")  # policy defaults: listed
             and not listed(line.split(" = ")[-1].split(" (")[0].strip("'")) and unused(line)]
    if not extra:
        return runbook
    return runbook.model_copy(update={"assumptions": [*runbook.assumptions, *extra]})


def run(*, rule: Rule, description: str | None, given: Answers, model: Model, options: SaveOptions,
        now: datetime, name: str | None = None, asker: Asker | None = None, strict: bool = False,
        progress: Progress | None = None, verbose: bool = False, service: ServiceModel | None = None,
        edited: ServiceModel | None = None, service_asker: ServiceAsker | None = None, notify: Notify | None = None,
        show: Callable[[ServiceModel], None] | None = None) -> Outcome:
    """`service` is a repository's model (`--from`), `edited` a saved model the user corrected."""
    if service is not None:  # read from a repository: its plain words join (or stand in for) the description
        said = describe(service)
        description = f"{description.strip()}\n\nFrom the repository: {said}" if description and \
            description.strip() else said
    text = receive(description) if description is not None or edited is None else model_text(edited)
    if name:
        slug = store.slugify(name)
    elif edited is not None:
        slug = store.title_slug(edited.service.display or edited.service.name)
    else:
        slug = planned_slug(text, name, service)
    preflight(rule, options, slug)
    understood = understand(rule, text, given, name=name, edited=edited, asker=service_asker, strict=strict,
                            notify=notify, show=show, repository=service, reader=model)
    answers = ask(rule, text, understood.answers, model, asker=asker, strict=strict, service=understood.model)
    request = GenerationRequest(rule=rule, description=text, answers=answers, now=now, service_name=name,
                                verbose=verbose, service=understood.model)
    result = generate(model, request, progress)
    if understood.usage is not None:  # the description's reading is part of what the runbook cost
        result.usage.add(understood.usage)
    result.notes = [*understood.notes, *result.notes]
    understood_model = result.service or request.service
    runbook = validate(with_model_assumptions(result.runbook, understood_model))
    slug = store.slugify(name) if name else store.title_slug(runbook.header.service_name)
    saved = save(rule, runbook, options, slug=slug, when=now, service=understood_model)
    try:
        report = test(saved)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted; {saved.path} and its tracking row had been written") from None
    return Outcome(saved.runbook or runbook, answers, result, saved, report, result.notes, understood_model,
                   understood.points)
