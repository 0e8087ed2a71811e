"""A local model server speaking the Anthropic Messages and OpenAI Chat Completions wire formats.

The real SDKs talk to it over HTTP (JSON and SSE streaming) while vcrpy records the cassettes the
tests replay. Its "model" writes real content: the prompts carry the offline engine's material for
the section asked (`<material>`), which it returns; it infers answers with the keyword rules and
applies backticked commands of a change request. The section asked is read from the tool name
(Anthropic), the response_format name (OpenAI) or the prompt's reply line (json_object mode).

The URL path chooses a scenario, so a cassette shows what it exercises:
    http://127.0.0.1:PORT/s/<scenario>          Anthropic base_url
    http://127.0.0.1:PORT/s/<scenario>/v1       OpenAI base_url
Scenarios (FAULTS names the section each one hits):
    ok                 every section valid
    invalid            monitoring (a threshold without a number) and troubleshooting (a <placeholder>) are
                       invalid on the first try, valid once the errors come back
    invalid-always     monitoring stays invalid
    truncate           troubleshooting is cut off while max_tokens < 16000
    status-429 / status-529 / status-503   one error response for architecture, then success
    midstream          the deployment stream breaks (overloaded) half-way once, then succeeds
    refusal            the model refuses emergency
    status-401         every request: invalid key
    json-object-only   (OpenAI) HTTP 500 to json_schema response formats; json_object works
    invalid-json       the service model: broken JSON first, then a relationship to a component it does
                       not list, then valid
    disagree           the service model reads the namespace otherwise than the offline parse, and adds
                       a queue name the description does not contain

The service model (task `service_model`) is the offline parse of the description in the system prompt,
as an LLM would give it: no provenance, nothing assumed.

Run it by hand: `python -m tests.llm_server --port 18765 --rate 60`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PORT = 18765
FAULTS = {
    "invalid": ("monitoring", "troubleshooting"),
    "invalid-always": ("monitoring",),
    "truncate": ("troubleshooting",),
    "status-429": ("architecture",),
    "status-529": ("architecture",),
    "status-503": ("architecture",),
    "midstream": ("deployment",),
    "refusal": ("emergency",),
    "invalid-json": ("service_model",),
    "disagree": ("service_model",),
}
TRUNCATE_BELOW = 16_000
MIN_CACHE_TOKENS = 1024  # the shortest prefix either provider caches
CREATED = 1_767_225_600  # fixed, so recordings are stable
SHARED_FORMAT = "runbook_part"  # the OpenAI client's response format listing every task of a run


def _text(answer: Any) -> str:
    """The reply's text: the answer as JSON, or as it is when the scenario breaks the JSON on purpose."""
    if isinstance(answer, str) and answer.startswith(BROKEN):
        return answer[len(BROKEN):]
    return json.dumps(answer)


def tokens(text: str) -> int:
    """About four characters a token, like the providers' tokenizers on English and JSON."""
    return max(1, len(text) // 4)


def _tag(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>\n?(.*?)\n?</{tag}>", text, re.S)
    return match.group(1) if match else None


class Brain:
    """What the server's model answers, derived from what the prompt gives it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}  # request key -> times seen (faults that happen once)
        self.cached: set[str] = set()  # Anthropic: prefixes up to a cache_control breakpoint seen
        self.prompts: list[str] = []  # OpenAI: every prompt seen (automatic prefix caching)

    def first_time(self, key: str) -> bool:
        with self.lock:
            self.seen[key] = self.seen.get(key, 0) + 1
            return self.seen[key] == 1

    def common_prefix(self, text: str) -> int:
        """OpenAI-style automatic caching: tokens of the longest prefix shared with an earlier request,
        counted only if its first 1,024 tokens match, in 128-token steps."""
        with self.lock:
            best = max((len(os.path.commonprefix([text, seen])) for seen in self.prompts), default=0)
            self.prompts.append(text)
        steps = tokens(text[:best]) // 128 * 128
        return steps if steps >= MIN_CACHE_TOKENS else 0

    def breakpoints(self, prefixes: list[str]) -> tuple[int, int]:
        """Anthropic-style caching: (tokens read, tokens written) for the prefixes ending at each
        `cache_control` breakpoint, in order. The longest one seen before is read; the rest up to the
        last breakpoint is written. A prefix under 1,024 tokens is never cached."""
        cacheable = [p for p in prefixes if tokens(p) >= MIN_CACHE_TOKENS]
        if not cacheable:
            return 0, 0
        with self.lock:
            read = max((tokens(p) for p in cacheable if p in self.cached), default=0)
            self.cached.update(cacheable)
        return read, tokens(cacheable[-1]) - read

    def answer(self, task: str, system: str, prompt: str, scenario: str, attempt: int) -> Any:
        if task == "answers":
            return self._answers(system, prompt)
        if task == "revision_plan":
            return self._plan(prompt)
        if task == "service_model":
            return self._service_model(system, scenario, attempt)
        material = _tag(prompt, "material")
        if material is None:
            raise ValueError(f"no <material> in the prompt for {task!r}")
        data = json.loads(material)
        change = _tag(prompt, "change")
        if change is not None:
            data = self._apply(data, change)
        if task in FAULTS.get(scenario, ()) and (scenario == "invalid-always" or
                                                 (scenario == "invalid" and attempt == 0)):
            data = self._spoil(task, data)
        return data

    @staticmethod
    def _spoil(task: str, data: dict[str, Any]) -> dict[str, Any]:
        if task == "monitoring":
            data["alerts"][0]["condition"] = "when it looks high"  # a threshold without a number
        elif task == "troubleshooting":
            data["issues"][0]["check"][0]["code"] = "kubectl logs <pod-name> --tail=100"
            data["issues"][0]["check"][0]["language"] = "bash"
        return data

    @staticmethod
    def _answers(system: str, prompt: str) -> dict[str, Any]:
        from agent.answers import Answers, infer
        from agent.rule import load_rule

        description = _tag(system, "description") or ""
        keys = re.findall(r"^- key `([^`]+)`", _tag(prompt, "questions") or "", re.M)
        inferred = infer(load_rule(), description, Answers(), keys)
        return {"answers": [{"key": a.key, "letters": ", ".join(a.letters), "reason": a.reason}
                            for a in inferred.items.values()]}

    @staticmethod
    def _service_model(system: str, scenario: str, attempt: int) -> Any:
        from agent.service.extract import extraction_schema
        from agent.service.text import parse

        data = _short(_told(parse(_tag(system, "description") or "").model_dump(mode="json")))
        for key in ("schema_version", "alerts", "unbound", "conflicts", "procedures"):
            data.pop(key, None)
        if scenario == "invalid-json" and attempt == 0:
            return BROKEN + json.dumps(data)[:200]  # not JSON: the reply is sent as it is
        if scenario == "invalid-json" and attempt == 1 and data["components"]:
            data["relationships"].append({"source": data["components"][0]["id"], "target": "no-such-component",
                                          "kind": "depends_on", "detail": "", "evidence": ""})
        if scenario == "disagree" and data["components"]:
            app = data["components"][0]
            app["names"] = [{**n, "value": "shop"} if n["role"] == "namespace" else n for n in app["names"]]
            app["names"].append({"role": "queue", "value": "checkout-events", "evidence": "orders"})
        return extraction_schema().model_validate(data).model_dump(mode="json")

    @staticmethod
    def _plan(prompt: str) -> dict[str, Any]:
        change = (_tag(prompt, "change") or "").lower()
        listed = re.search(r"The runbook's sections are: (.*)\.", prompt)
        names = [n.strip() for n in listed.group(1).split(",")] if listed else []
        chosen = [n for n in names if n in change or n.replace("_", " ") in change]
        if not chosen and ("command" in change or "cheatsheet" in change):
            chosen = ["appendix"]
        return {"sections": chosen or names[-1:], "summary": re.sub(r"\s+", " ", change).strip()[:100]}

    @staticmethod
    def _apply(data: dict[str, Any], change: str) -> dict[str, Any]:
        """A change naming a command in backticks adds it to the section's first command list."""
        for code in re.findall(r"`([^`]+)`", change):
            for value in data.values():
                if isinstance(value, list) and value and isinstance(value[0], dict) and "code" in value[0]:
                    value.append({"purpose": change.split("`")[0].strip() or "Added on request",
                                  "language": "bash", "code": code, "expect": None, "warning": None})
                    break
        return data


BROKEN = "\u0000broken:"  # opens a reply that is sent as text, not as JSON


def _told(node: Any) -> Any:
    """A model dump without provenance and without what was assumed: what an LLM reads from the words."""
    if isinstance(node, list):
        return [_told(item) for item in node
                if not (isinstance(item, dict) and item.get("origin") == "assumed" and "id" not in item)]
    if isinstance(node, dict):
        return {key: _told(value) for key, value in node.items() if key not in ("origin", "at")}
    return node


def _short(node: Any) -> Any:
    """Evidence cut to the few words around the value, as a model asked for "a short phrase" gives it."""
    if isinstance(node, list):
        return [_short(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _short(value) for key, value in node.items()}
    evidence, value = out.get("evidence"), str(out.get("value") or out.get("name") or "")
    if isinstance(evidence, str) and len(evidence) > 60:
        at = evidence.find(value) if value else -1
        start = max(0, at - 25) if at >= 0 else 0
        out["evidence"] = evidence[start:start + 60].strip()
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LLMHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # --- plumbing ------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_sse(self, events: Iterator[str]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for event in events:
                data = event.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _pieces(self, text: str) -> Iterator[str]:
        """The output in small pieces, at the server's token rate if it has one."""
        rate = self.server.rate
        size = 16 if rate else 400
        for start in range(0, len(text), size):
            piece = text[start:start + size]
            if rate:
                time.sleep(tokens(piece) / rate)
            yield piece

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        match = re.match(r"^(?:/s/([\w-]+))?(/v1/messages|/v1/chat/completions)$", self.path.split("?")[0])
        if match is None:
            self._send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
            return
        scenario, route = match.group(1) or "ok", match.group(2)
        if route == "/v1/messages":
            self._anthropic(scenario, body)
        else:
            self._openai(scenario, body)

    def _key(self, scenario: str, task: str, body: Any) -> str:
        return scenario + task + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def _status_fault(self, scenario: str, task: str, body: Any, anthropic: bool) -> bool:
        """Answer an HTTP error instead of content when the scenario says so."""
        if scenario == "status-401":
            kind = "authentication_error" if anthropic else "invalid_api_key"
            self._send_json(401, {"type": "error", "error": {"type": kind, "message": "invalid x-api-key"}}
                            if anthropic else {"error": {"message": "Incorrect API key provided",
                                                         "type": "invalid_request_error", "code": kind}})
            return True
        if scenario.startswith("status-") and task in FAULTS.get(scenario, ()):
            if self.server.brain.first_time(self._key(scenario, task, body)):
                status = int(scenario.split("-")[1])
                kind = {429: "rate_limit_error", 529: "overloaded_error", 503: "api_error"}[status]
                payload = ({"type": "error", "error": {"type": kind, "message": f"{kind} (test server)"}}
                           if anthropic else {"error": {"message": f"{kind} (test server)", "type": kind}})
                # retry-after-ms keeps the SDK's retry fast, when recording and in replay alike
                self._send_json(status, payload, {"retry-after-ms": "1", "x-should-retry": "true"})
                return True
        return False

    # --- Anthropic Messages --------------------------------------------------------------------

    def _anthropic(self, scenario: str, body: dict[str, Any]) -> None:
        tools = body.get("tools") or []
        choice = body.get("tool_choice") or {}
        task = choice["name"] if choice.get("type") == "tool" else tools[0]["name"] if tools else "text"
        if self._status_fault(scenario, task, body, anthropic=True):
            return
        system_blocks = body.get("system") or []
        system = system_blocks if isinstance(system_blocks, str) else "".join(b["text"] for b in system_blocks)
        messages = body["messages"]
        first = messages[0]["content"]
        prompt = first if isinstance(first, str) else first[0]["text"]
        attempt = (len(messages) - 1) // 2
        # the cache prefix is tools, then system, then messages; each block marked cache_control
        # ends a prefix that can be cached. tool_choice is not in it (changing it invalidates only
        # the messages' cache), so forcing a different tool per call keeps tools + system shared.
        blocks = system_blocks if isinstance(system_blocks, list) else []
        head = json.dumps(tools)
        prefixes = [head + "".join(b["text"] for b in blocks[: i + 1])
                    for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("cache_control")]
        read, written = self.server.brain.breakpoints(prefixes)
        whole = tokens(head + json.dumps(system_blocks) + json.dumps(messages))
        usage = {"input_tokens": max(1, whole - read - written),
                 "cache_creation_input_tokens": written, "cache_read_input_tokens": read}
        ident = "msg_" + hashlib.sha256(self._key(scenario, task, body).encode()).hexdigest()[:24]
        call_id = "toolu_" + ident[4:]
        stop = "tool_use"
        text = ""
        refusal = scenario == "refusal" and task in FAULTS["refusal"]
        if refusal:
            stop = "refusal"
        else:
            text = _text(self.server.brain.answer(task, system, prompt, scenario, attempt))
            if scenario == "truncate" and task in FAULTS["truncate"] and body["max_tokens"] < TRUNCATE_BELOW:
                text, stop = text[: len(text) // 2], "max_tokens"
        out_tokens = tokens(text)
        message = {"id": ident, "type": "message", "role": "assistant", "model": body["model"],
                   "stop_reason": stop, "stop_sequence": None}
        if not body.get("stream"):
            if refusal:
                content: list[dict[str, Any]] = [{"type": "text", "text": "I can't help with that request."}]
            elif stop == "max_tokens":
                content = []  # a cut tool call has no usable input
            else:
                try:
                    content = [{"type": "tool_use", "id": call_id, "name": task, "input": json.loads(text)}]
                except json.JSONDecodeError:  # a tool call's input is an object: broken JSON comes as prose
                    content = [{"type": "text", "text": text}]
            self._send_json(200, {**message, "content": content, "usage": {**usage, "output_tokens": out_tokens}})
            return
        broken = (scenario == "midstream" and task in FAULTS["midstream"]
                  and self.server.brain.first_time(self._key(scenario, task, body)))
        self._send_sse(self._anthropic_events(message, usage, call_id, task, text, out_tokens, refusal, broken))

    def _anthropic_events(self, message: dict[str, Any], usage: dict[str, int], call_id: str, task: str,
                          text: str, out_tokens: int, refusal: bool, broken: bool) -> Iterator[str]:
        def event(kind: str, data: dict[str, Any]) -> str:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

        stop = message["stop_reason"]
        yield event("message_start", {"message": {**message, "content": [], "stop_reason": None,
                                                  "usage": {**usage, "output_tokens": 1}}})
        if refusal:
            yield event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
            yield event("content_block_delta", {"index": 0, "delta": {
                "type": "text_delta", "text": "I can't help with that request."}})
        else:
            yield event("content_block_start", {"index": 0, "content_block": {
                "type": "tool_use", "id": call_id, "name": task, "input": {}}})
            sent = 0
            for piece in self._pieces(text):
                if broken and sent > len(text) // 2:
                    yield event("error", {"error": {"type": "overloaded_error", "message": "Overloaded"}})
                    return
                sent += len(piece)
                yield event("content_block_delta", {"index": 0, "delta": {
                    "type": "input_json_delta", "partial_json": piece}})
        yield event("content_block_stop", {"index": 0})
        yield event("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": out_tokens}})
        yield event("message_stop", {})

    # --- OpenAI Chat Completions ---------------------------------------------------------------

    def _openai(self, scenario: str, body: dict[str, Any]) -> None:
        messages = body["messages"]
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        users = [m["content"] for m in messages if m["role"] == "user"]
        prompt = users[0]
        fmt = body.get("response_format") or {}
        shared = fmt.get("type") == "json_schema" and fmt["json_schema"]["name"] == SHARED_FORMAT
        if fmt.get("type") == "json_schema" and not shared:
            task = fmt["json_schema"]["name"]
        else:
            found = re.search(r"Reply with the complete `(\w+)` JSON object", prompt)
            task = found.group(1) if found else "text"
        if scenario == "json-object-only" and fmt.get("type") == "json_schema":
            self._send_json(500, {"error": {"message": "response_format type json_schema is not supported",
                                            "type": "server_error"}})
            return
        if self._status_fault(scenario, task, body, anthropic=False):
            return
        # the prompt as OpenAI caches it: the structured-output schema first, then the messages
        prompt_text = json.dumps(fmt) + json.dumps(messages)
        prompt_tokens = tokens(prompt_text)
        cached = min(prompt_tokens, self.server.brain.common_prefix(prompt_text))
        limit = body.get("max_completion_tokens") or body.get("max_tokens") or 1 << 30
        refusal = scenario == "refusal" and task in FAULTS["refusal"]
        finish, text = "stop", ""
        if not refusal:
            answer = self.server.brain.answer(task, system, prompt, scenario, len(users) - 1)
            if shared:  # one key per task of the run: this task's filled, the others null
                answer = {key: answer if key == task else None for key in fmt["json_schema"]["schema"]["properties"]}
            text = _text(answer)
            if scenario == "truncate" and task in FAULTS["truncate"] and limit < TRUNCATE_BELOW:
                text, finish = text[: len(text) // 2], "length"
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": tokens(text),
                 "total_tokens": prompt_tokens + tokens(text),
                 "prompt_tokens_details": {"cached_tokens": cached}}
        ident = "chatcmpl-" + hashlib.sha256(self._key(scenario, task, body).encode()).hexdigest()[:24]
        head = {"id": ident, "created": CREATED, "model": body["model"]}
        said = "I can't help with that request."
        if not body.get("stream"):
            msg = {"role": "assistant", "content": None if refusal else text, "refusal": said if refusal else None}
            self._send_json(200, {**head, "object": "chat.completion", "choices": [
                {"index": 0, "message": msg, "finish_reason": finish, "logprobs": None}], "usage": usage})
            return
        broken = (scenario == "midstream" and task in FAULTS["midstream"]
                  and self.server.brain.first_time(self._key(scenario, task, body)))
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self._send_sse(self._openai_events(head, text, said if refusal else "", finish, usage, with_usage, broken))

    def _openai_events(self, head: dict[str, Any], text: str, refusal: str, finish: str,
                       usage: dict[str, Any], with_usage: bool, broken: bool) -> Iterator[str]:
        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
            payload = {**head, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        if refusal:
            yield chunk({"refusal": refusal})
        sent = 0
        for piece in self._pieces(text):
            if broken and sent > len(text) // 2:
                error = {"error": {"message": "The server is overloaded (test server)", "type": "server_error"}}
                yield f"data: {json.dumps(error)}\n\n"
                return
            sent += len(piece)
            yield chunk({"content": piece})
        yield chunk({}, finish)
        if with_usage:
            yield f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"


class LLMHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], rate: float | None) -> None:
        super().__init__(address, Handler)
        self.rate = rate
        self.brain = Brain()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that hung up is no news
            super().handle_error(request, client_address)


class LLMServer:
    """The server in a background thread: `with LLMServer() as server: server.base_url(...)`."""

    def __init__(self, port: int = PORT, rate: float | None = None, host: str = "127.0.0.1") -> None:
        self.httpd = LLMHTTPServer((host, port), rate)
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, provider: str, scenario: str = "ok") -> str:
        return base_url(provider, scenario, self.port, self.host)

    def __enter__(self) -> LLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def base_url(provider: str, scenario: str = "ok", port: int = PORT, host: str = "127.0.0.1") -> str:
    root = f"http://{host}:{port}/s/{scenario}"
    return root if provider == "anthropic" else root + "/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--rate", type=float, default=None, help="stream at this many tokens per second")
    args = parser.parse_args()
    server = LLMServer(args.port, args.rate)
    print(f"serving on {server.url} (Anthropic: {server.base_url('anthropic')}, OpenAI: {server.base_url('openai')})")
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()
