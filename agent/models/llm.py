"""What the provider clients share: sections in parallel, the repair loop, retries, usage, raw output.

A runbook is written one section per call, all sections at once (each with its own small schema),
then assembled and validated as a whole. Header, assumptions and revision history come from the
offline engine, which also supplies each section's proven material the model tailors.

Failures are handled in layers, never twice:
- the SDK retries 408/409/429/5xx/529 and connection errors before a response starts;
- tenacity retries what the SDK cannot: a stream that breaks after it started (`StreamBroken`);
- truncated output raises the token limit and asks again (it is never "repaired");
- output that fails validation goes back to the model with the exact errors (`max_repair_rounds`);
- refusals and other 4xx fail at once.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.answers import Answer, Answers, infer, parse_answer
from agent.errors import AgentError, ModelError, UsageError
from agent.models.base import GenerationRequest, GenerationResult, Model, Progress, Usage
from agent.models.llm_errors import MissingKeyError, OutputTruncated, ProviderError, RepairFailed
from agent.prompts import render
from agent.redact import scrub, url_without_credentials
from agent.rule import Rule
from agent.runbook import SECTIONS, Language, Runbook, Strict, Text
from agent.service.model import ServiceModel

# The rule's heading for each generated section (a custom rule may word them differently).
HEADINGS: dict[str, str] = {
    "service_overview": "Service Overview",
    "architecture": "Architecture",
    "dependencies": "Dependencies",
    "deployment": "Deployment",
    "monitoring": "Monitoring & Alerts",
    "troubleshooting": "Troubleshooting",
    "emergency": "Emergency Procedures",
    "maintenance": "Maintenance",
    "disaster_recovery": "Disaster Recovery",
    "contacts": "Contacts",
    "appendix": "Appendix",
}
WHOLE = "runbook"  # the task name of the one-call strategy
# Filled locally from the offline engine (with assumptions and revision history), not by the model.
LOCAL = {"header"}
GENERATED = [name for name in SECTIONS if name not in LOCAL]


class InferredAnswer(Strict):
    key: Text
    letters: Text  # "B", or "F: A, C" style for several
    reason: Text


class InferredAnswers(Strict):
    answers: list[InferredAnswer]


class RevisionPlan(Strict):
    sections: list[Text]
    summary: Text


@dataclass
class Reply:
    """One answer of the provider: raw text (JSON) and why it stopped."""

    text: str
    stop: Literal["ok", "truncated", "refused"]
    refusal: str = ""
    call_id: str = ""  # Anthropic's tool_use id, echoed in the repair turn


@dataclass
class Task:
    """One structured call: a schema, the prompts, and what failed before (for repairs)."""

    name: str
    schema: type[BaseModel]
    system: str  # the stable instructions: the same for every service, so a provider can cache them
    prompt: str
    max_tokens: int
    check: Callable[[Any], list[str]] | None = None  # semantic checks beyond the schema
    service: str = ""  # the description and answers, after the cacheable prefix
    history: list[tuple[Reply, list[str]]] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    # every task of the same run, by name: each call sends all their schemas (Anthropic tools, OpenAI's
    # response format) so the cached prefix, which starts with them, is the same for all of them
    family: tuple[tuple[str, type[BaseModel]], ...] = ()
    # set once a response to this task has started: the provider has cached the prefix by then
    started: threading.Event = field(default_factory=threading.Event)


@dataclass
class TaskStats:
    repair_rounds: int = 0
    truncations: int = 0
    stream_retries: int = 0


class StreamBroken(Exception):
    """A stream failed after it had started: the SDK will not retry it, tenacity does."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Cancelled(Exception):
    """Another section failed; this one stops reading."""


class Meter:
    """Usage summed from several threads."""

    def __init__(self) -> None:
        self.usage = Usage()
        self._lock = threading.Lock()

    def add(self, **counts: int | None) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self.usage, key, getattr(self.usage, key) + (value or 0))


class LLMOptions(BaseModel):
    """The keyword options of `get_model` for provider models; None anywhere means the default."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key: str | None = None
    max_repair_rounds: int = Field(2, ge=0)
    max_tokens: int = Field(8192, ge=1)
    max_tokens_limit: int = Field(32768, ge=1)
    split_tokens: int = Field(2000, ge=0)
    concurrency: int | None = Field(None, ge=1)  # None: every call at once
    stream: bool = True
    timeout: float = Field(600.0, gt=0)
    max_retries: int = Field(2, ge=0)
    stream_retries: int = Field(3, ge=1)
    stream_retry_wait: float = Field(1.0, ge=0)
    retry_deadline: float = Field(300.0, gt=0)
    raw_output_dir: Path | None = None
    strategy: Literal["sections", "whole"] = "sections"
    json_mode: Literal["auto", "schema", "object"] = "auto"
    read_service: bool = True

    @classmethod
    def parse(cls, provider: str, options: Mapping[str, object]) -> LLMOptions:
        try:
            return cls.model_validate({k: v for k, v in options.items() if v is not None})
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            name = ".".join(str(p) for p in error["loc"])
            if error["type"] == "extra_forbidden":
                raise UsageError(f"{provider} models take no option {name}",
                                 hint="known options: " + ", ".join(cls.model_fields)) from None
            raise UsageError(f"{provider} model option {name}={error.get('input')!r}: {error['msg']}") from None


class LLMModel(Model):
    """A model reached over a provider SDK. Subclasses implement `_call` (one request, one reply).

    Options (keyword arguments of `get_model`, checked by `LLMOptions`; None means "the default"):
      base_url            provider endpoint (default: SDK default / ANTHROPIC_BASE_URL / OPENAI_BASE_URL)
      api_key             overrides the key variable (ANTHROPIC_API_KEY / OPENAI_API_KEY)
      max_repair_rounds   rounds a failing section gets its errors back (default 2)
      max_tokens          output limit per section call (default 8192); doubled on truncation…
      max_tokens_limit    …up to this (default 32768)
      concurrency         calls in flight at once (default: all of them)
      stream              stream responses (default True; forced where the provider requires it)
      timeout             seconds per request (default 600)
      max_retries         the SDK's own retries (default 2)
      stream_retries      attempts for a stream that breaks mid-way (default 3)…
      stream_retry_wait   …first backoff in seconds, doubling (default 1.0)…
      retry_deadline      …and the total seconds they may take (default 300)
      raw_output_dir      where the raw output of a section that could not be repaired is saved
                          (default: <tmp>/runbook-agent-raw)
      strategy            "sections" (default, concurrent) or "whole" (one call for the runbook)
      split_tokens        a section whose material is longer is written in parts, its longest list
                          split between concurrent calls (default 2000 tokens; 0: never split)
      json_mode           OpenAI only: "auto" (default), "schema" (strict json_schema) or "object"
      read_service        read the description into the service model too, merged with the offline
                          parse (default True; False: `extract_service` returns None, one call fewer)
    """

    key_env: ClassVar[str] = ""
    base_url_env: ClassVar[str] = ""
    default_base_host: ClassVar[str] = ""

    def __init__(self, model_name: str | None = None, **options: object) -> None:
        settings = LLMOptions.parse(self.provider, options)
        super().__init__(model_name, **options)
        self.settings = settings
        self.base_url = settings.base_url or os.environ.get(self.base_url_env) or None
        self.max_repair_rounds = settings.max_repair_rounds
        self.max_tokens = settings.max_tokens
        self.max_tokens_limit = max(settings.max_tokens, settings.max_tokens_limit)
        self.split_tokens = settings.split_tokens
        self.concurrency = settings.concurrency
        self.stream = settings.stream
        self.timeout = settings.timeout
        self.max_retries = settings.max_retries
        self.stream_retries = settings.stream_retries
        self.stream_retry_wait = settings.stream_retry_wait
        self.retry_deadline = settings.retry_deadline
        self.raw_output_dir = settings.raw_output_dir or Path(tempfile.gettempdir()) / "runbook-agent-raw"
        self.strategy = settings.strategy
        self.api_key = self._resolve_key(settings.api_key)
        self.stats: dict[str, TaskStats] = {}  # per task of the last operation (bench, --verbose)
        self._meter = Meter()
        self._client_lock = threading.Lock()
        self._client_obj: Any = None

    # --- provider hooks -----------------------------------------------------------------------

    @abstractmethod
    def _call(self, task: Task, meter: Meter) -> Reply:
        """One request (the SDK retries transport errors inside); raise `StreamBroken` mid-stream."""

    @abstractmethod
    def _make_client(self) -> Any:
        """The SDK client; the SDK is imported here and nowhere at module level."""

    @abstractmethod
    def _reply_hint(self, task_name: str) -> str:
        """How the prompt tells the model to answer (a tool call or a JSON object)."""

    # --- plumbing ------------------------------------------------------------------------------

    def _resolve_key(self, given: object) -> str:
        key = str(given) if given else os.environ.get(self.key_env, "")
        if key:
            return key
        if self.base_url and self.default_base_host not in self.base_url:
            return "not-needed"  # local OpenAI-compatible servers take any key
        raise MissingKeyError(self.key_env, self.provider)

    def _client(self) -> Any:
        with self._client_lock:
            if self._client_obj is None:
                self._client_obj = self._make_client()
            return self._client_obj

    def _count_request(self, request: object) -> None:
        # an httpx event hook: every attempt the SDK makes, its own retries included
        self._meter.add(requests=1)

    def _secrets(self) -> list[str]:
        """The key and a --base-url's password: never printed, whatever the provider echoes."""
        password = None
        if self.base_url:
            try:
                password = urlsplit(self.base_url).password
            except ValueError:
                password = None
        return [str(getattr(self, "api_key", "") or ""), password or ""]

    def _translate(self, exc: BaseException) -> AgentError | None:
        """SDK errors → one clear line. Both SDKs share these class names and attributes."""
        kind = type(exc).__name__
        status = getattr(exc, "status_code", None)
        where = url_without_credentials(self.base_url) if self.base_url else "the API"
        body = getattr(exc, "body", None)
        detail = ""
        if isinstance(body, Mapping):
            err = body.get("error", body)
            if isinstance(err, Mapping):
                detail = str(err.get("message") or err.get("type") or "")
        # the provider's words may echo the key or headers that were sent: scrubbed before they are cut
        detail = scrub(re.sub(r"\s+", " ", detail or str(getattr(exc, "message", ""))), self._secrets())[:240]
        if kind in ("APIConnectionError", "APITimeoutError"):
            what = "timed out" if kind == "APITimeoutError" else "could not connect"
            return ProviderError(f"{self.name}: {what} to {where} (after {self.max_retries} SDK retries)",
                                 hint="check the network or --base-url")
        if status is None or not isinstance(status, int):
            return None
        if status == 401:
            return ProviderError(f"{self.name}: the API rejected the key in {self.key_env} (401)",
                                 status=status, hint=f"check {self.key_env}, or use --model offline")
        if status == 403:
            return ProviderError(f"{self.name}: permission denied (403): {detail}", status=status)
        if status == 404:
            return ProviderError(f"{self.name}: not found (404): {detail}", status=status,
                                 hint="check the model name and --base-url; see 'agent models'")
        if status in (408, 409, 429) or status >= 500:
            return ProviderError(f"{self.name}: still failing after {self.max_retries} retries "
                                 f"({status}): {detail}", status=status, hint="try again later")
        return ProviderError(f"{self.name}: request rejected ({status}): {detail}", status=status)

    def _call_retrying(self, task: Task, meter: Meter, stats: TaskStats) -> Reply:
        from tenacity import (
            Retrying,
            retry_if_exception_type,
            stop_after_attempt,
            stop_after_delay,
            wait_exponential,
            wait_none,
        )

        def before_sleep(_: object) -> None:
            stats.stream_retries += 1

        wait = wait_exponential(multiplier=self.stream_retry_wait, max=30) if self.stream_retry_wait > 0 \
            else wait_none()
        retrying = Retrying(
            retry=retry_if_exception_type(StreamBroken),
            stop=stop_after_attempt(self.stream_retries) | stop_after_delay(self.retry_deadline),
            wait=wait, reraise=True, before_sleep=before_sleep,
        )
        try:
            return retrying(self._call, task, meter)
        except StreamBroken as exc:
            translated = self._translate(exc.cause)
            detail = translated.message if translated else scrub(str(exc.cause), self._secrets())[:240]
            raise ProviderError(f"{self.name}: the stream for {task.name!r} broke {stats.stream_retries + 1} "
                                f"time(s): {detail}", hint="try again later") from None
        except (AgentError, Cancelled):
            raise
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from None

    @staticmethod
    def _validate(task: Task, text: str) -> tuple[BaseModel | None, list[str]]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, [f"output is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
        try:
            value = task.schema.model_validate(data)
        except ValidationError as exc:
            return None, [_format_error(e) for e in exc.errors(include_url=False)]
        problems = task.check(value) if task.check else []
        return (None, problems) if problems else (value, [])

    def _structured(self, task: Task, meter: Meter) -> BaseModel:
        try:
            return self._structured_loop(task, meter)
        finally:
            task.started.set()  # a call that failed before any response must not hold the others

    def _structured_loop(self, task: Task, meter: Meter) -> BaseModel:
        """Call, then: truncated → raise the limit; invalid → repair; valid → done."""
        stats = self.stats.setdefault(task.name, TaskStats())
        while True:
            if task.cancel.is_set():
                raise Cancelled()
            reply = self._call_retrying(task, meter, stats)
            if reply.stop == "refused":
                from agent.models.llm_errors import ModelRefused

                said = re.sub(r"\s+", " ", reply.refusal)[:200] or "no reason given"
                raise ModelRefused(f"{self.name} declined to write {task.name!r}: {said}",
                                   hint="reword the description, or use --model offline")
            if reply.stop == "truncated":
                if task.max_tokens >= self.max_tokens_limit:
                    raise OutputTruncated(task.name, task.max_tokens)
                task.max_tokens = min(self.max_tokens_limit, task.max_tokens * 2)
                stats.truncations += 1
                continue
            value, errors = self._validate(task, reply.text)
            if value is not None:
                return value
            if stats.repair_rounds >= self.max_repair_rounds:
                task.history.append((reply, errors))
                raise RepairFailed(task.name, errors, stats.repair_rounds, self._save_raw(task))
            task.history.append((reply, errors))
            stats.repair_rounds += 1

    def _save_raw(self, task: Task) -> Path | None:
        record = {
            "model": self.name, "section": task.name,
            "attempts": [{"output": reply.text, "errors": errors} for reply, errors in task.history],
        }
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            self.raw_output_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.raw_output_dir, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, indent=2)
            path = self.raw_output_dir / f"{stamp}-{task.name}.json"
            os.replace(tmp, path)
            return path
        except OSError:
            return None

    def _run(self, tasks: Mapping[str, Task], progress: Progress | None,
             group: Mapping[str, str] | None = None) -> dict[str, BaseModel]:
        """All tasks concurrently; the first failure cancels the rest and is raised.

        `group` maps a task to the section it is part of: progress counts whole sections.
        """
        done: dict[str, BaseModel] = {}
        cancel = threading.Event()
        family = tuple(sorted((task.name, task.schema) for task in tasks.values()))
        for task in tasks.values():
            task.cancel = cancel
            task.family = family
        group = group or {name: name for name in tasks}
        remaining = {section: sum(1 for g in group.values() if g == section) for section in group.values()}
        total, finished_sections = len(remaining), 0
        with ThreadPoolExecutor(max_workers=min(self.concurrency or len(tasks), len(tasks)) or 1,
                                thread_name_prefix="section") as pool:
            futures: dict[Future[BaseModel], str] = {}
            pending: set[Future[BaseModel]] = set()
            error: BaseException | None = None
            try:
                for index, (name, task) in enumerate(tasks.items()):
                    future = pool.submit(self._structured, task, self._meter)
                    futures[future] = name
                    if index == 0 and len(tasks) > 1:
                        self._prime(task, future)
                        if future.done() and future.exception() is not None:
                            break  # the first call failed: don't start the others
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(finished, key=lambda f: list(tasks).index(futures[f])):
                        exc = future.exception()
                        if exc is not None and not isinstance(exc, Cancelled):
                            if error is None:
                                error = exc
                                cancel.set()
                                for other in pending:
                                    other.cancel()
                        elif exc is None:
                            name = futures[future]
                            done[name] = future.result()
                            remaining[group[name]] -= 1
                            if remaining[group[name]] == 0:
                                finished_sections += 1
                                if progress is not None and error is None:
                                    progress(group[name], finished_sections, total)
                    pending = {f for f in pending if not f.cancelled()}
            except BaseException:  # Ctrl-C or a failing progress callback: stop the streams, then leave
                cancel.set()
                for future in futures:
                    future.cancel()
                raise
        if error is not None:
            raise error
        return done

    def _prime(self, task: Task, future: Future[BaseModel]) -> None:
        """Hold the other calls until the first one's response has started.

        A provider can serve a cached prefix only once a response to it has begun; calls sent at the
        same instant would each pay to write the same cache. Waiting costs one time-to-first-token.
        """
        while not task.started.wait(0.02) and not future.done():
            pass

    def _begin(self) -> Meter:
        self.stats = {}
        self._meter = Meter()
        return self._meter

    def close(self) -> None:
        """Close the SDK client (its connection pool); the next request opens a new one."""
        with self._client_lock:
            client, self._client_obj = self._client_obj, None
        if client is not None:
            client.close()

    # --- prompts -------------------------------------------------------------------------------

    def _system(self, request: GenerationRequest, service_name: str) -> tuple[str, str]:
        """The system prompt in two parts: stable instructions (cached), then this service."""
        answers = [
            {"question": a.question, "shown": a.display(), "assumed": a.assumed, "reason": a.reason}
            for a in request.answers.items.values()
        ]
        stable = render("system", instructions=request.rule.instructions, languages=", ".join(get_args(Language)),
                        structure=rule_structure(request.rule))
        from agent.service.review import summary

        service = render("service", description=request.description.strip(), answers=answers,
                         assumed=any(a["assumed"] for a in answers), service_name=service_name,
                         understood="\n".join(summary(request.service)))
        return stable, service

    # --- the Model interface -------------------------------------------------------------------

    def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GenerationResult:
        try:
            return self._generate(request, progress)
        finally:
            self.close()

    def _generate(self, request: GenerationRequest, progress: Progress | None) -> GenerationResult:
        meter = self._begin()
        proven = proven_runbook(request)
        system, service = self._system(request, proven.header.service_name)
        if self.strategy == "whole":
            task = Task(WHOLE, Runbook, system, render(
                "whole", material=proven.model_dump_json(indent=1), reply=self._reply_hint(WHOLE)),
                self.max_tokens_limit, service=service)
            value = self._run({WHOLE: task}, progress)[WHOLE]
            assert isinstance(value, Runbook)
            runbook = self._assemble(proven, value.model_dump(), GENERATED)
        else:
            tasks: dict[str, Task] = {}
            group: dict[str, str] = {}
            plans = {name: split_section(name, getattr(proven, name).model_dump(), self.split_tokens)
                     for name in GENERATED}
            for name, parts in plans.items():
                heading = HEADINGS.get(name, name)
                for part in parts:
                    group[part.task] = name
                    tasks[part.task] = Task(part.task, part.schema, system, render(
                        "section", section=name, heading=heading, template=rule_template(request.rule, heading),
                        material=json.dumps(part.material, indent=1, ensure_ascii=False), part=part.describe(),
                        reply=self._reply_hint(part.task)), self.max_tokens, service=service)
            results = self._run(tasks, progress, group)
            sections = {name: merge_parts(name, parts, results) for name, parts in plans.items()}
            runbook = self._assemble(proven, sections, GENERATED)
        notes = [f"{name}: {s.repair_rounds} repair round(s), {s.truncations} truncation(s), "
                 f"{s.stream_retries} stream retr(ies)" for name, s in self.stats.items()
                 if s.repair_rounds or s.truncations or s.stream_retries]
        return GenerationResult(runbook, replace(meter.usage), notes)

    def _assemble(self, base: Runbook, sections: Mapping[str, Any], names: Iterable[str]) -> Runbook:
        data = base.model_dump()
        for name in names:
            data[name] = sections[name]
        try:
            return Runbook.model_validate(data)
        except ValidationError as exc:
            errors = [_format_error(e) for e in exc.errors(include_url=False)]
            raise ModelError(f"{self.name}: the assembled runbook is invalid: {'; '.join(errors[:3])}") from None

    def infer_answers(self, rule: Rule, description: str, known: Answers, keys: Iterable[str],
                      service: ServiceModel | None = None) -> Answers:
        try:
            return self._infer_answers(rule, description, known, keys, model=service)
        finally:
            self.close()

    def _infer_answers(self, rule: Rule, description: str, known: Answers, keys: Iterable[str],
                       model: ServiceModel | None = None) -> Answers:
        questions = [q for key in keys if (q := rule.question(key)) is not None]
        if not questions:
            return Answers()
        meter = self._begin()
        guesses = infer(rule, description, known, [q.key for q in questions], model)
        request = GenerationRequest(rule, description, known, datetime.now())
        wanted = {q.key for q in questions}
        parsed: dict[str, Answer] = {}

        def check(value: InferredAnswers) -> list[str]:
            errors: list[str] = []
            tried: set[str] = set()
            parsed.clear()
            for item in value.answers:
                question = rule.question(item.key)
                if question is None or item.key not in wanted:
                    errors.append(f"answers: {item.key!r} is not one of the keys asked ({', '.join(sorted(wanted))})")
                    continue
                tried.add(item.key)
                try:
                    answer = parse_answer(question, item.letters)
                except UsageError as exc:
                    errors.append(f"answers.{item.key}: {exc}")
                    continue
                parsed[item.key] = replace(answer, assumed=True, reason=f"inferred by {self.name}: {item.reason}")
            errors += [f"answers: no answer for {key!r}" for key in sorted(wanted - tried)]
            return errors

        system, service = self._system(request, "(not named yet)")
        task = Task("answers", InferredAnswers, system, render(
            "infer_answers", questions=questions, reply=self._reply_hint("answers"),
            guesses=[{"key": a.key, "letter": ", ".join(a.letters), "reason": a.reason}
                     for a in guesses.items.values()]), 2048, check=check, service=service)
        self._run({"answers": task}, None)
        self.last_usage = replace(meter.usage)
        managed = guesses.get("env")
        if managed is not None and managed.value == "managed":  # no rule option names it: the model's reading
            parsed["env"] = managed
        return Answers(dict(parsed))

    def extract_service(self, description: str) -> ServiceModel | None:
        if not self.settings.read_service:
            return None
        try:
            return self._extract_service(description)
        finally:
            self.close()

    def _extract_service(self, description: str) -> ServiceModel:
        """One strict structured call filling the service model; invalid output is repaired like a section."""
        from agent.service import extract

        if not description.strip():
            raise UsageError("the service description is empty")
        meter = self._begin()
        task = Task(extract.TASK, extract.extraction_schema(), render("extract_system"),
                    render("extract_request", reply=self._reply_hint(extract.TASK)), self.max_tokens,
                    check=extract.problems, service=render("extract_service", description=description.strip()))
        try:
            answer = self._run({extract.TASK: task}, None)[extract.TASK]
        finally:
            self.last_usage = replace(meter.usage)  # repairs and failed attempts cost too
        return extract.to_model(answer, description, self.name)

    def revise(self, runbook: Runbook, change: str, request: GenerationRequest) -> GenerationResult:
        try:
            return self._revise(runbook, change, request)
        finally:
            self.close()

    def _revise(self, runbook: Runbook, change: str, request: GenerationRequest) -> GenerationResult:
        if not change.strip():
            raise UsageError("the change request is empty", hint="say what to change, e.g. 'add a Redis check'")
        meter = self._begin()
        names = GENERATED
        system, service = self._system(request, runbook.header.service_name)

        def check(plan: RevisionPlan) -> list[str]:
            bad = [s for s in plan.sections if s not in GENERATED]
            errors = [f"sections: {s!r} is not a section; use {', '.join(names)}" for s in bad]
            return errors + (["sections: name at least one section"] if not plan.sections else [])

        plan_task = Task("revision_plan", RevisionPlan, system, render(
            "revise_plan", change=change.strip(), sections=names, runbook=runbook.model_dump_json(indent=1),
            reply=self._reply_hint("revision_plan")), 1024, check=check, service=service)
        plan = self._run({"revision_plan": plan_task}, None)["revision_plan"]
        assert isinstance(plan, RevisionPlan)
        chosen = list(dict.fromkeys(plan.sections))
        tasks = {
            name: Task(name, SECTIONS[name], system, render(
                "revise_section", section=name, heading=HEADINGS.get(name, name), change=change.strip(),
                material=getattr(runbook, name).model_dump_json(indent=1), reply=self._reply_hint(name)),
                self.max_tokens, service=service)
            for name in chosen
        }
        sections = self._run(tasks, None)
        revised = self._assemble(runbook, {k: v.model_dump() for k, v in sections.items()}, chosen)
        version = bump_version(runbook.header.version)
        header = revised.header.model_copy(update={
            "version": version, "last_updated": request.now.strftime("%Y-%m-%d %H:%M")})
        history = [*revised.revision_history, revised.revision_history[-1].model_copy(update={
            "version": version, "date": request.now.strftime("%Y-%m-%d"),
            "changes": plan.summary, "author": request.authors[0] if request.authors else self.name})]
        final = Runbook.model_validate({**revised.model_dump(), "header": header.model_dump(),
                                        "revision_history": [r.model_dump() for r in history]})
        return GenerationResult(final, replace(meter.usage), [f"revised: {', '.join(chosen)}"])


@dataclass
class Part:
    """One call's share of a section: the whole section ("head") or a slice of its longest list."""

    task: str
    schema: type[BaseModel]
    material: dict[str, Any]
    field: str | None = None  # the split list
    index: int = 0
    count: int = 1

    def describe(self) -> str | None:
        if self.count == 1:
            return None
        if self.index == 0:
            return (f"This is part 1 of {self.count} of the section: the `{self.field}` list below holds only "
                    f"its first items; parts 2-{self.count} (the rest of the list) are written at the same time.")
        return (f"This is part {self.index + 1} of {self.count} of the section: write only these items of its "
                f"`{self.field}` list; the other parts are written at the same time.")


def _tokens(data: Any) -> int:
    return len(json.dumps(data, ensure_ascii=False)) // 4


@cache
def _part_schemas(name: str, field_name: str) -> tuple[type[BaseModel], type[BaseModel]]:
    """The section with `field` as a plain list (no count rules), and a model of `field` alone.

    Both keep `Section`'s command checks, so each part is validated (and repaired) on its own;
    the section's own rules are checked when the parts are merged.
    """
    from pydantic import create_model

    from agent.runbook import Section

    schema = SECTIONS[name]
    fields: dict[str, Any] = {}
    for key, info in schema.model_fields.items():
        if key == field_name:
            fields[key] = (info.annotation, ...)
        else:
            fields[key] = (Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation, ...)
    head = create_model(f"{schema.__name__}Head", __base__=Section, __doc__=schema.__doc__, **fields)
    only: dict[str, Any] = {field_name: (schema.model_fields[field_name].annotation, ...)}
    items = create_model(f"{schema.__name__}Items", __base__=Section, **only)
    return head, items


def split_section(name: str, material: dict[str, Any], split_tokens: int) -> list[Part]:
    """The parts a section is written in: one, unless its material is long and mostly one list."""
    schema = SECTIONS[name]
    whole = [Part(name, schema, material)]
    size = _tokens(material)
    if split_tokens <= 0 or size <= split_tokens:
        return whole
    lists = [(key, value) for key, value in material.items() if isinstance(value, list) and len(value) >= 2]
    if not lists:
        return whole
    field_name, items = max(lists, key=lambda kv: _tokens(kv[1]))
    if _tokens(items) < size * 0.6:
        return whole
    count = min(len(items), -(-size // split_tokens))
    if count < 2:
        return whole
    head_schema, items_schema = _part_schemas(name, field_name)
    chunks = _balanced(items, count)
    parts = [Part(name, head_schema, {**material, field_name: chunks[0]}, field_name, 0, count)]
    parts += [Part(f"{name}_part{i + 1}", items_schema, {field_name: chunk}, field_name, i, count)
              for i, chunk in enumerate(chunks) if i > 0]
    return parts


def _balanced(items: list[Any], count: int) -> list[list[Any]]:
    """`items` in `count` consecutive chunks of about equal size (in tokens), none empty."""
    sizes = [_tokens(i) + 1 for i in items]
    target = sum(sizes) / count
    chunks: list[list[Any]] = [[]]
    size = 0
    for index, item in enumerate(items):
        left_items, left_chunks = len(items) - index, count - len(chunks)
        if chunks[-1] and left_chunks > 0 and (size + sizes[index] / 2 > target or left_items <= left_chunks):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += sizes[index]
    return chunks


def merge_parts(name: str, parts: list[Part], results: Mapping[str, BaseModel]) -> dict[str, Any]:
    """The section from its parts, in order; validated against the section's own rules."""
    merged = results[parts[0].task].model_dump()
    for part in parts[1:]:
        assert part.field is not None
        merged[part.field] += results[part.task].model_dump()[part.field]
    try:
        return SECTIONS[name].model_validate(merged).model_dump()
    except ValidationError as exc:
        errors = [_format_error(e) for e in exc.errors(include_url=False)]
        raise ModelError(f"section {name!r} is invalid once its {len(parts)} parts are merged: "
                         f"{'; '.join(errors[:3])}", hint="try again, or pass split_tokens=0") from None


def proven_runbook(request: GenerationRequest) -> Runbook:
    """The offline engine's runbook for this request: the proven material each section call tailors."""
    from agent.models.registry import get_model

    return get_model("offline").generate(request).runbook


def _format_error(error: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ())) or "(root)"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{loc}: {message}"


def bump_version(version: str) -> str:
    """'1.0' → '1.1', '2' → '2.1', 'v1.9' → 'v1.10'."""
    match = re.search(r"(\d+)(?!.*\d)", version)
    if match is None or "." not in version:
        return f"{version}.1"
    return version[: match.start()] + str(int(match.group(1)) + 1) + version[match.end():]


def rule_structure(rule: Rule) -> str:
    """The rule's runbook structure: from `# Runbook` to the first H2 that is not one of its sections."""
    lines = rule.text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("# Runbook")), None)
    if start is None:
        return "(the rule shows no structure; use the section headings: " + ", ".join(rule.structure_headings) + ")"
    known = {h.lower() for h in rule.structure_headings}
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("## ") and lines[i][3:].strip().lower() not in known), len(lines))
    body = lines[start:end]
    while body and body[-1].strip() in ("", "```"):  # the fence the structure was quoted in
        body.pop()
    return "\n".join(body)


def rule_template(rule: Rule, heading: str) -> str:
    """The rule's template text under `## heading` inside its runbook structure, or ''."""
    lines = rule.text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("# Runbook")), None)
    if start is None:
        return ""
    out: list[str] = []
    inside = False
    for line in lines[start + 1:]:
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()
