"""OpenAI and OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio) through the openai SDK.

`openai:<model>`; the key comes from OPENAI_API_KEY, the endpoint from --base-url or OPENAI_BASE_URL
(a local server needs no key). Output is a strict `json_schema` response format; a compatible server
that rejects it is asked for `json_object` with the schema in the prompt instead (`json_mode`).
The SDK is imported only when a request is made.

Prompt caching: OpenAI caches the longest previously seen prefix (from 1,024 tokens) automatically,
and a structured-output schema is part of that prefix, ahead of the system message. So every call of
a run sends the same schema, one object with a key per section (the section asked for filled, the
others null), then the same instructions and service; only the user turn differs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from functools import cache
from typing import Any

from pydantic import BaseModel

from agent.models.llm import Cancelled, LLMModel, Meter, Reply, StreamBroken, Task
from agent.prompts import render

# Statuses a compatible server answers when it does not support `json_schema` response formats.
_SCHEMA_UNSUPPORTED = {400, 404, 422, 500, 501}


class OpenAIModel(LLMModel):
    provider = "openai"
    summary = ("OpenAI models (OPENAI_API_KEY), or any OpenAI-compatible server via --base-url / "
               "OPENAI_BASE_URL (Ollama, vLLM, llama.cpp, LM Studio); e.g. openai:gpt-4.1")
    key_env = "OPENAI_API_KEY"
    base_url_env = "OPENAI_BASE_URL"
    default_base_host = "api.openai.com"

    def __init__(self, model_name: str | None = None, **options: object) -> None:
        super().__init__(model_name, **options)
        self.json_mode = self.settings.json_mode
        self._object_mode = self.json_mode == "object"
        self._schema_works = False
        self._probe_lock = threading.Lock()  # held for good by the one call that probes
        self._probe_settled = threading.Event()
        self._mode_lock = threading.Lock()

    @property
    def official(self) -> bool:
        return not self.base_url or self.default_base_host in self.base_url

    def _make_client(self) -> Any:
        import openai

        http = openai.DefaultHttpxClient(event_hooks={"request": [self._count_request]})
        return openai.OpenAI(api_key=self.api_key, base_url=self.base_url, max_retries=self.max_retries,
                             timeout=self.timeout, http_client=http)

    def _reply_hint(self, task_name: str) -> str:
        return (f"Reply with the complete `{task_name}` JSON object (under the `{task_name}` key when the "
                f"response format lists several, every other key null); nothing else.")

    def _params(self, task: Task, object_mode: bool) -> dict[str, Any]:
        from openai.lib._pydantic import to_strict_json_schema

        schema = to_strict_json_schema(task.schema)
        system = f"{task.system}\n{task.service}"  # stable instructions first: OpenAI caches prefixes
        shared = not object_mode and len(task.family) > 1
        if object_mode:
            system += "\n" + render("json_object", schema=json.dumps(schema, separators=(",", ":")))
        messages: list[dict[str, Any]] = [{"role": "system", "content": system},
                                          {"role": "user", "content": task.prompt}]
        for reply, errors in task.history:
            messages.append({"role": "assistant", "content": reply.text or "(empty)"})
            messages.append({"role": "user", "content": render(
                "repair", section=task.name, errors=errors, reply=self._reply_hint(task.name))})
        params: dict[str, Any] = {"model": self.model_name, "messages": messages}
        if object_mode:
            # llama.cpp and vLLM constrain output to `schema` when given; others ignore it
            params["response_format"] = {"type": "json_object", "schema": schema}
        else:
            name, schema = (SHARED_FORMAT, _shared_schema(task.family)) if shared else (task.name, schema)
            params["response_format"] = {"type": "json_schema",
                                         "json_schema": {"name": name, "schema": schema, "strict": True}}
        if self.official:
            params["max_completion_tokens"] = task.max_tokens
            # requests with the same key and prefix are routed to the same cache: one key per shared
            # prefix (schema, instructions, service), so all calls of a run land together
            prefix = json.dumps(params["response_format"], sort_keys=True) + system
            params["prompt_cache_key"] = "runbook-" + hashlib.sha256(prefix.encode()).hexdigest()[:16]
        else:
            params["max_tokens"] = task.max_tokens  # what older compatible servers understand
        return params

    def _call(self, task: Task, meter: Meter) -> Reply:
        import openai

        probing = False
        if self.json_mode == "auto" and not self.official and not self._object_mode and not self._schema_works:
            # one call finds out whether this server takes json_schema; the others wait for its answer
            probing = self._probe_lock.acquire(blocking=False)
            if not probing:
                self._probe_settled.wait(self.timeout)
        object_mode = self._object_mode
        try:
            reply = self._request(task, meter, object_mode, probing)
            if not object_mode:
                self._schema_works = True
            return reply
        except openai.APIStatusError as exc:
            fallback = (self.json_mode == "auto" and not object_mode and not self.official
                        and exc.status_code in _SCHEMA_UNSUPPORTED)
            if fallback:
                with self._mode_lock:
                    self._object_mode = True
                return self._request(task, meter, True)
            self._probe_settled.set()
            if probing and self.max_retries > 0 and self._retryable(exc):
                # an unrelated error (429, 503…) while probing: the retry the SDK would have made
                time.sleep(_retry_after(exc))
                return self._request(task, meter, object_mode, retries=self.max_retries - 1)
            raise
        finally:
            if probing:
                self._probe_settled.set()

    @staticmethod
    def _retryable(exc: Any) -> bool:
        return bool(exc.status_code in (408, 409, 429) or exc.status_code >= 500)

    def _request(self, task: Task, meter: Meter, object_mode: bool, probing: bool = False,
                 retries: int | None = None) -> Reply:
        client = self._client()
        if probing:  # until a compatible server has taken json_schema once, don't retry its refusals
            client = client.with_options(max_retries=0)
        elif retries is not None:
            client = client.with_options(max_retries=retries)
        params = self._params(task, object_mode)
        if not self.stream:
            completion = client.chat.completions.create(**params)
            task.started.set()
            usage = completion.usage
            if not object_mode:
                self._schema_works = True
            self._probe_settled.set()
            if usage is not None:
                self._add_usage(meter, usage)
            choice = completion.choices[0]
            message = choice.message
            reply = _reply(choice.finish_reason, message.content or "", message.refusal or "")
        else:
            reply = self._streamed(client, params, task, meter)
        if params["response_format"].get("json_schema", {}).get("name") == SHARED_FORMAT:
            reply.text = _unwrap(reply.text, task.name)
        return reply

    @staticmethod
    def _add_usage(meter: Meter, usage: Any) -> None:
        details = getattr(usage, "prompt_tokens_details", None)
        cached = (getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
        # input_tokens counts uncached input, as Anthropic reports it
        meter.add(input_tokens=(usage.prompt_tokens or 0) - cached, output_tokens=usage.completion_tokens,
                  cache_read_tokens=cached)

    def _streamed(self, client: Any, params: dict[str, Any], task: Task, meter: Meter) -> Reply:
        import httpx2
        import openai

        stream = client.chat.completions.create(**params, stream=True, stream_options={"include_usage": True})
        task.started.set()  # the response has begun: the prefix is cached, the other calls may go
        if "json_schema" in str(params["response_format"].get("type")):
            self._schema_works = True  # the server took it: waiting calls may go ahead
        self._probe_settled.set()
        parts: list[str] = []
        refusal: list[str] = []
        finish: str | None = None
        try:
            with stream:
                for chunk in stream:
                    if task.cancel.is_set():
                        raise Cancelled()
                    if chunk.usage is not None:
                        self._add_usage(meter, chunk.usage)
                    for choice in chunk.choices:
                        if choice.delta.content:
                            parts.append(choice.delta.content)
                        if getattr(choice.delta, "refusal", None):
                            refusal.append(choice.delta.refusal)
                        if choice.finish_reason:
                            finish = choice.finish_reason
        except openai.APIStatusError:
            raise
        except (openai.APIError, httpx2.TransportError) as exc:
            # an error event or a dropped connection after the stream started: the SDK won't retry it
            raise StreamBroken(exc) from exc
        return _reply(finish, "".join(parts), "".join(refusal))


SHARED_FORMAT = "runbook_part"  # the response format's name when it lists every task of the run


@cache
def _shared_schema(family: tuple[tuple[str, type[BaseModel]], ...]) -> dict[str, Any]:
    """One strict schema for all tasks of a run: a key per task, each its own schema or null."""
    from openai.lib._pydantic import to_strict_json_schema

    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for name, model in family:
        schema = to_strict_json_schema(model)
        own = schema.pop("$defs", {})
        if any(key in defs and defs[key] != value for key, value in own.items()):
            # a same-named but different definition: this task's get its name as a prefix
            moved = json.loads(json.dumps({"root": schema, "defs": own}).replace('"#/$defs/', f'"#/$defs/{name}.'))
            schema, own = moved["root"], {f"{name}.{key}": value for key, value in moved["defs"].items()}
        defs.update(own)
        defs[f"task.{name}"] = schema
        properties[name] = {"anyOf": [{"$ref": f"#/$defs/task.{name}"}, {"type": "null"}]}
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False, "$defs": defs}


def _unwrap(text: str, name: str) -> str:
    """The task's own object out of the shared format's reply (left as it is if it isn't one)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(data, dict) and name in data:
        return json.dumps(data[name])
    return text


def _retry_after(exc: Any) -> float:
    """Seconds the server asked to wait (retry-after-ms / retry-after), else the SDK's first backoff."""
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return min(60.0, max(0.0, float(headers.get(name, "")) * scale))
        except ValueError:
            continue
    return 0.5


def _reply(finish_reason: str | None, text: str, refusal: str) -> Reply:
    if refusal or finish_reason == "content_filter":
        return Reply(text, "refused", refusal=refusal or "finish_reason=content_filter")
    if finish_reason == "length":
        return Reply(text, "truncated")
    return Reply(text, "ok")
