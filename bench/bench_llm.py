"""Model clients against the local test server: concurrent sections vs one call, and the fault scenarios.

    .venv/bin/python bench/bench_llm.py [--provider anthropic|openai|both] [--rate 60]

The server streams at a fixed token rate (about 4 characters a token), so wall time is set by the
longest call, as with a real provider. Both strategies produce the same content (the server's model
returns the offline engine's material), which the script checks. Then every faulty-server scenario
runs at full speed and the script prints the first-try validation rate and mean repair rounds.

Prompt caching is simulated by the server as the providers do it (prefixes of 1,024 tokens or more;
Anthropic up to a `cache_control` breakpoint, OpenAI automatically in 128-token steps), so the figures
show the cache read and write tokens of each runbook: the first, then against the same (warm) server
a second service with other components and a third with the same components under another name.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.answers import from_flags  # noqa: E402
from agent.errors import AgentError  # noqa: E402
from agent.models.base import GenerationRequest  # noqa: E402
from agent.models.registry import get_model  # noqa: E402
from agent.rule import load_rule  # noqa: E402
from tests.llm_server import LLMServer  # noqa: E402

MODELS = {"anthropic": "anthropic:claude-sonnet-4-6", "openai": "openai:gpt-4.1"}
FAULTS = {
    "anthropic": ["invalid", "invalid-always", "truncate", "status-429", "status-529", "midstream", "refusal"],
    "openai": ["invalid", "invalid-always", "truncate", "status-429", "status-503", "midstream", "refusal",
               "json-object-only"],
}


def request(other: bool = False, renamed: bool = False) -> GenerationRequest:
    rule = load_rule()
    answers = from_flags(rule, {"type": "api", "env": "kubernetes", "criticality": "critical",
                                "monitoring": "prometheus", "oncall": "24x7"})
    description = (
        "checkout-api: the Python (FastAPI) service that takes orders and payments for the web shop. "
        "Runs on Kubernetes in namespace payments (deployment checkout-api, 4 replicas) behind an nginx "
        "ingress; stores orders in PostgreSQL 15 and sessions in Redis 7; metrics in Prometheus, "
        "dashboards in Grafana; paged through PagerDuty around the clock."
    )
    name = "checkout-api"
    if renamed:  # another service with the same components: its run splits the same way, same tools
        name = "billing-api"
        description = description.replace("checkout-api", name).replace("orders and payments", "invoices")
    if other:  # a second service with the same answers: another description, the same instructions
        name = "cart-api"
        description = ("cart-api: the Go service holding shopping carts. Runs on Kubernetes in namespace shop "
                       "(deployment cart-api, 3 replicas); carts in Redis 7; metrics in Prometheus; "
                       "paged through PagerDuty around the clock.")
    return GenerationRequest(rule, description, answers, datetime(2026, 11, 28, 12, 0), service_name=name)


def usage_line(label: str, result: Any) -> str:
    u = result.usage
    total = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
    return (f"{label:28} input {u.input_tokens:6}  cache read {u.cache_read_tokens:6}  "
            f"cache write {u.cache_write_tokens:6}  ({u.cache_read_tokens / max(total, 1):4.0%} of input read "
            f"from cache)  output {u.output_tokens:6}  requests {u.requests}")


def model(provider: str, server: LLMServer, scenario: str = "ok", **options: Any) -> Any:
    return get_model(MODELS[provider], base_url=server.base_url(provider, scenario), api_key="bench-key",
                     stream_retry_wait=0, **options)


def speed(provider: str, rate: float) -> None:
    req = request()
    results = {}
    for strategy in ("sections", "whole"):
        with LLMServer(port=0, rate=rate) as server:  # a cold cache for each strategy
            client = model(provider, server, strategy=strategy)
            start = time.perf_counter()
            result = client.generate(req)
            results[strategy] = (time.perf_counter() - start, result, len(client.stats))
            if strategy == "sections":
                start = time.perf_counter()
                second = client.generate(request(other=True))
                t_second = time.perf_counter() - start
                third = client.generate(request(renamed=True))
    (t_sec, r_sec, calls), (t_whole, r_whole, _) = results["sections"], results["whole"]
    same = r_sec.runbook.model_dump() == r_whole.runbook.model_dump()
    print(f"\n== {provider}: streaming at {rate:g} tokens/s ==")
    print(f"sections, concurrent ({calls} calls): {t_sec:7.1f} s")
    print(f"whole runbook, one call:        {t_whole:7.1f} s")
    print(f"speed-up:                       {t_whole / t_sec:7.1f}x   (same content: {same})")
    print(f"second runbook, another service, warm cache: {t_second:7.1f} s")
    print("tokens per runbook:")
    print(usage_line("  sections, 1st (cold cache)", r_sec))
    print(usage_line("  sections, 2nd service", second))
    print(usage_line("  sections, 3rd, same parts", third))
    print(usage_line("  whole runbook (cold cache)", r_whole))


def faults(provider: str) -> None:
    req = request()
    tasks = first_try = rounds = 0
    print(f"\n== {provider}: faulty-server scenarios (max_repair_rounds=2, SDK max_retries=2) ==")
    with LLMServer(port=0) as server:
        for scenario in FAULTS[provider]:
            client = model(provider, server, scenario, max_repair_rounds=2, max_retries=2)
            try:
                result = client.generate(req)
                outcome = f"ok, {result.usage.requests} requests"
            except AgentError as exc:
                outcome = f"{type(exc).__name__}: {exc.message[:90]}"
            stats = client.stats.values()
            tasks += len(stats)
            first_try += sum(1 for s in stats if s.repair_rounds == 0)
            rounds += sum(s.repair_rounds for s in stats)
            repaired = {n: s.repair_rounds for n, s in client.stats.items() if s.repair_rounds}
            print(f"{scenario:17} {outcome}" + (f"  repaired: {repaired}" if repaired else ""))
    print(f"first-try validation rate: {first_try}/{tasks} = {first_try / tasks:.1%} of section calls")
    print(f"mean repair rounds per section call: {rounds / tasks:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="model-client benchmark against tests/llm_server.py")
    parser.add_argument("--provider", choices=["anthropic", "openai", "both"], default="anthropic")
    parser.add_argument("--rate", type=float, default=60.0, help="server tokens per second per stream")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    providers = ["anthropic", "openai"] if args.provider == "both" else [args.provider]
    for provider in providers:
        if not args.skip_speed:
            speed(provider, args.rate)
        faults(provider)


if __name__ == "__main__":
    main()
