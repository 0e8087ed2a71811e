"""Claude through the anthropic SDK: one forced tool per section, streamed, prompt-cached.

Every call of a run sends the same tools (one per section or part) and forces its own with
`tool_choice`: tools come first in Anthropic's cache prefix, so identical tools, then the same
instructions and service, make one prefix that all sections share (`cache_control` marks its end).

`anthropic:<model>`; the key comes from ANTHROPIC_API_KEY, the endpoint from --base-url or
ANTHROPIC_BASE_URL. The SDK is imported only when a request is made (about 1.8 s).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agent.models.llm import LLMModel, Meter, Reply, StreamBroken, Task
from agent.prompts import render

# Above this, the SDK refuses a non-streaming request ("Streaming is required").
_NON_STREAMING_MAX_TOKENS = 21_333
# Anthropic's per-request caps on strict tools (all tools of a request count together); beyond them
# the request is refused, so a run's tools are strict only while their schemas stay within them.
_STRICT_MAX_TOOLS = 20
_STRICT_MAX_UNIONS = 16
_STRICT_MAX_OPTIONAL = 24
# Stream errors the SDK does not retry once a response has started.
_RETRYABLE_STREAM_ERRORS = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


class AnthropicModel(LLMModel):
    provider = "anthropic"
    summary = "Claude models via the Anthropic API (ANTHROPIC_API_KEY); e.g. anthropic:claude-sonnet-4-6"
    key_env = "ANTHROPIC_API_KEY"
    base_url_env = "ANTHROPIC_BASE_URL"
    default_base_host = "api.anthropic.com"

    def _make_client(self) -> Any:
        import anthropic

        http = anthropic.DefaultHttpxClient(event_hooks={"request": [self._count_request]})
        return anthropic.Anthropic(api_key=self.api_key, base_url=self.base_url, max_retries=self.max_retries,
                                   timeout=self.timeout, http_client=http)

    def _reply_hint(self, task_name: str) -> str:
        return f"Reply by calling the `{task_name}` tool once with the complete result; nothing else."

    def _params(self, task: Task) -> dict[str, Any]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": task.prompt}]
        for index, (reply, errors) in enumerate(task.history):
            call_id = reply.call_id or f"toolu_{task.name}_{index}"
            try:
                given = json.loads(reply.text)
            except json.JSONDecodeError:
                given = None
            feedback = render("repair", section=task.name, errors=errors, reply=self._reply_hint(task.name))
            if isinstance(given, dict):
                messages.append({"role": "assistant", "content": [
                    {"type": "tool_use", "id": call_id, "name": task.name, "input": given}]})
                messages.append({"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": call_id, "is_error": True, "content": feedback}]})
            else:
                messages.append({"role": "assistant", "content": reply.text or "(empty)"})
                messages.append({"role": "user", "content": feedback})
        return {
            "model": self.model_name,
            "max_tokens": task.max_tokens,
            # the instructions are the same for every service: cached (with the section's tool, which
            # comes first in the prefix) for every runbook, repair and retry of this section
            # two breakpoints: the instructions (shared by every service using this rule and these
            # tools) and, the prefix all calls of this run share, instructions + service
            "system": [{"type": "text", "text": task.system, "cache_control": {"type": "ephemeral"}},
                       {"type": "text", "text": task.service, "cache_control": {"type": "ephemeral"}}],
            "messages": messages,
            "tools": _tools(task.family or ((task.name, task.schema),)),
            "tool_choice": {"type": "tool", "name": task.name, "disable_parallel_tool_use": True},
        }

    def _call(self, task: Task, meter: Meter) -> Reply:
        client = self._client()
        params = self._params(task)
        if self.stream or task.max_tokens > _NON_STREAMING_MAX_TOKENS:
            return self._streamed(client, params, task, meter)
        message = client.messages.create(**params)
        task.started.set()
        usage = message.usage
        meter.add(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                  cache_read_tokens=usage.cache_read_input_tokens,
                  cache_write_tokens=usage.cache_creation_input_tokens)
        text, call_id, said = "", "", []
        for block in message.content:
            if block.type == "tool_use":
                text, call_id = json.dumps(block.input), block.id
            elif block.type == "text":
                said.append(block.text)
        return _reply(message.stop_reason, text, call_id, " ".join(said))

    def _streamed(self, client: Any, params: dict[str, Any], task: Task, meter: Meter) -> Reply:
        import anthropic
        import httpx2

        from agent.models.llm import Cancelled

        stream = client.messages.create(**params, stream=True)  # errors here were retried by the SDK
        task.started.set()  # the response has begun: the prefix is cached, the other calls may go
        parts: list[str] = []
        said: list[str] = []
        call_id, stop = "", None
        try:
            with stream:
                for event in stream:
                    if task.cancel.is_set():
                        raise Cancelled()
                    if event.type == "message_start":
                        usage = event.message.usage
                        meter.add(input_tokens=usage.input_tokens,
                                  cache_read_tokens=usage.cache_read_input_tokens,
                                  cache_write_tokens=usage.cache_creation_input_tokens)
                    elif event.type == "content_block_start" and event.content_block.type == "tool_use":
                        call_id = event.content_block.id
                    elif event.type == "content_block_delta":
                        if event.delta.type == "input_json_delta":
                            parts.append(event.delta.partial_json)
                        elif event.delta.type == "text_delta":
                            said.append(event.delta.text)
                    elif event.type == "message_delta":
                        stop = event.delta.stop_reason
                        meter.add(output_tokens=event.usage.output_tokens)
        except anthropic.APIStatusError as exc:
            body = exc.body if isinstance(exc.body, dict) else {}
            error = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
            if error.get("type") in _RETRYABLE_STREAM_ERRORS or exc.status_code >= 500:
                raise StreamBroken(exc) from exc
            raise
        except (anthropic.APIConnectionError, httpx2.TransportError) as exc:
            raise StreamBroken(exc) from exc
        text = "".join(parts) or ("{}" if call_id else "")  # a tool call with no input deltas
        return _reply(stop, text, call_id, "".join(said))


def _reply(stop_reason: str | None, text: str, call_id: str, said: str) -> Reply:
    if stop_reason == "refusal":
        return Reply(text, "refused", refusal=said or "stop_reason=refusal", call_id=call_id)
    if stop_reason in ("max_tokens", "model_context_window_exceeded"):
        return Reply(text, "truncated", call_id=call_id)
    return Reply(text, "ok", call_id=call_id)


def _tools(family: tuple[tuple[str, type[BaseModel]], ...]) -> list[dict[str, Any]]:
    """The same tool list for every call of a run, in a fixed order (it opens the cached prefix)."""
    import anthropic

    schemas = [(name, anthropic.transform_schema(schema)) for name, schema in family]
    unions, optional = 0, 0
    for _, schema in schemas:
        u, o = _count_unions(schema)
        unions, optional = unions + u, optional + o
    # strict everywhere or nowhere: a per-call difference would split the prefix
    strict = len(schemas) <= _STRICT_MAX_TOOLS and unions <= _STRICT_MAX_UNIONS and optional <= _STRICT_MAX_OPTIONAL
    return [{"name": name, "description": f"Submit the {name.replace('_', ' ')} of the runbook.",
             "input_schema": schema, **({"strict": True} if strict else {})} for name, schema in schemas]


def _count_unions(node: Any) -> tuple[int, int]:
    """(union-typed properties, optional (nullable) ones) in a JSON schema, $defs included."""
    unions = optional = 0
    if isinstance(node, dict):
        variants = node.get("anyOf") or (node["type"] if isinstance(node.get("type"), list) else None)
        if variants:
            unions += 1
            optional += any(v == "null" or (isinstance(v, dict) and v.get("type") == "null") for v in variants)
        for value in node.values():
            u, o = _count_unions(value)
            unions, optional = unions + u, optional + o
    elif isinstance(node, list):
        for value in node:
            u, o = _count_unions(value)
            unions, optional = unions + u, optional + o
    return unions, optional
