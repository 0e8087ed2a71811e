"""The service model read by an LLM, against the local test server: what it costs and what it adds.

    .venv/bin/python bench/bench_extract.py [--provider anthropic|openai|both] [--rate 60] [--runs 20]

Prints, per provider: the strict schema's size as sent, the extraction call's wall time and tokens at
the server's token rate next to the whole runbook's (sections, concurrent) at the same rate, the
fault scenarios (requests, repair rounds, conflicts once merged with the parse), and the offline
understand step's time with and without the offline model as reader (it reads nothing, so the two
must match). The server's model answers with the parse itself, so these figures say what the step
costs and that it runs, not how well a real LLM reads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent import loop  # noqa: E402
from agent.errors import AgentError  # noqa: E402
from agent.models.registry import get_model  # noqa: E402
from agent.service.extract import TASK, extraction_schema, reconcile  # noqa: E402
from agent.service.text import parse  # noqa: E402
from bench.bench_llm import MODELS, request  # noqa: E402
from tests.llm_server import LLMServer  # noqa: E402

SCENARIOS = {"anthropic": ["ok", "invalid-json", "disagree"],
             "openai": ["ok", "invalid-json", "disagree", "json-object-only"]}


def model(provider: str, server: LLMServer, scenario: str = "ok", **options: Any) -> Any:
    return get_model(MODELS[provider], base_url=server.base_url(provider, scenario), api_key="bench-key",
                     stream_retry_wait=0, **options)


def schema_size(provider: str) -> int:
    if provider == "anthropic":
        import anthropic

        return len(json.dumps(anthropic.transform_schema(extraction_schema())))
    from openai.lib._pydantic import to_strict_json_schema

    return len(json.dumps(to_strict_json_schema(extraction_schema())))


def speed(provider: str, rate: float) -> None:
    req = request()
    with LLMServer(port=0, rate=rate) as server:
        client = model(provider, server)
        start = time.perf_counter()
        read = client.extract_service(req.description)
        t_extract = time.perf_counter() - start
        usage = client.last_usage
        start = time.perf_counter()
        client.generate(req)
        t_generate = time.perf_counter() - start
    size = schema_size(provider)
    print(f"\n== {provider}: streaming at {rate:g} tokens/s ==")
    print(f"strict schema as sent: {size} characters (~{size // 4} tokens)")
    print(f"extraction, one call:            {t_extract:6.1f} s  (input {usage.input_tokens}, cache read "
          f"{usage.cache_read_tokens}, cache write {usage.cache_write_tokens}, output {usage.output_tokens} "
          f"tokens; {len(read.components) if read else 0} components)")
    print(f"runbook, sections concurrently:  {t_generate:6.1f} s  (extraction adds "
          f"{t_extract / max(t_generate, 1e-9):.0%} to an LLM run)")


def faults(provider: str) -> None:
    req = request()
    parsed = parse(req.description)
    print(f"\n== {provider}: scenarios (max_repair_rounds=2) ==")
    with LLMServer(port=0) as server:
        for scenario in SCENARIOS[provider]:
            client = model(provider, server, scenario, max_repair_rounds=2)
            try:
                read = client.extract_service(req.description)
            except AgentError as exc:
                print(f"{scenario:17} {type(exc).__name__}: {exc.message[:90]}")
                continue
            assert read is not None
            merged = reconcile(parsed, read, client.name)
            guesses = sum(1 for _, n in merged.all_names() if n.evidence.startswith("guessed:"))
            print(f"{scenario:17} ok, {client.last_usage.requests} request(s), "
                  f"{client.stats[TASK].repair_rounds} repair round(s), {len(merged.conflicts)} conflict(s), "
                  f"{guesses} guessed name(s)")


def offline(runs: int) -> None:
    req = request()
    reader = get_model("offline")
    times: dict[str, list[float]] = {"no reader": [], "offline reader": []}
    pairs = [("no reader", None), ("offline reader", reader)]
    for run in range(runs):
        for label, who in pairs if run % 2 else pairs[::-1]:  # alternating: the second call finds caches warm
            start = time.perf_counter()
            loop.understand(req.rule, req.description, req.answers, reader=who)
            times[label].append(time.perf_counter() - start)
    same = loop.understand(req.rule, req.description, req.answers).model == \
        loop.understand(req.rule, req.description, req.answers, reader=reader).model
    print(f"\n== offline understand step, median of {runs} (same model either way: {same}) ==")
    for label, values in times.items():
        print(f"{label:15} {statistics.median(values) * 1000:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description="LLM extraction benchmark against tests/llm_server.py")
    parser.add_argument("--provider", choices=["anthropic", "openai", "both"], default="both")
    parser.add_argument("--rate", type=float, default=60.0, help="server tokens per second per stream")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    for provider in ["anthropic", "openai"] if args.provider == "both" else [args.provider]:
        if not args.skip_speed:
            speed(provider, args.rate)
        faults(provider)
    offline(args.runs)


if __name__ == "__main__":
    main()
