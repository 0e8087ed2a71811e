"""Claude through the anthropic SDK: one forced strict tool per section, streamed, prompt-cached.

`anthropic:<model>`; the key comes from ANTHROPIC_API_KEY, the endpoint from --base-url or
ANTHROPIC_BASE_URL. The SDK is imported only when a request is made (about 1.8 s).
"""

from __future__ import annotations

import json
from typing import Any

from agent.models.llm import LLMModel, Meter, Reply, StreamBroken, Task
from agent.prompts import render

# Above this, the SDK refuses a non-streaming request ("Streaming is required").
_NON_STREAMING_MAX_TOKENS = 21_333
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
        import anthropic

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
            "system": [{"type": "text", "text": task.system, "cache_control": {"type": "ephemeral"}},
                       {"type": "text", "text": task.service}],
            "messages": messages,
            "tools": [{
                "name": task.name,
                "description": f"Submit the {task.name.replace('_', ' ')} of the runbook.",
                "input_schema": anthropic.transform_schema(task.schema),
                "strict": True,
            }],
            "tool_choice": {"type": "tool", "name": task.name, "disable_parallel_tool_use": True},
        }

    def _call(self, task: Task, meter: Meter) -> Reply:
        client = self._client()
        params = self._params(task)
        if self.stream or task.max_tokens > _NON_STREAMING_MAX_TOKENS:
            return self._streamed(client, params, task, meter)
        message = client.messages.create(**params)
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
