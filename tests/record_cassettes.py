"""Record the LLM cassettes again: `python -m tests.record_cassettes [--real] [pytest args]`.

Every test marked `llm` is recorded again (tests/test_llm_clients.py, tests/test_chat_llm.py).

Without --real every cassette is recorded with the real anthropic and openai SDKs against the local
test server (tests/llm_server.py), which is started and stopped per test. The offline engine's
output the prompts carry is refreshed into cassettes/proven-runbook.json first (unless only some
tests are recorded again, e.g. `-k json_object`).

With --real (and ANTHROPIC_API_KEY / OPENAI_API_KEY set, no *_BASE_URL), the successful-generation
cases are recorded against the real APIs instead; the fault cases (which a real API cannot be asked
to produce) still come from the local server. Keys and auth headers never reach a cassette
(see tests/conftest_llm.py), and tests/test_llm_setup.py scans the result for anything key-like.

Replay (what CI runs) needs nothing: `pytest tests/test_llm_clients.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    real = "--real" in argv
    args = [a for a in argv if a != "--real"]
    if real:
        missing = [v for v in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY") if not os.environ.get(v)]
        if missing:
            print(f"--real needs {' and '.join(missing)} set", file=sys.stderr)
            return 2
        for variable in ("ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"):
            os.environ.pop(variable, None)
        os.environ["RUNBOOK_RECORD_REAL"] = "1"
    # the frozen offline output is refreshed only when every cassette is recorded again: a partial
    # re-record (`-k ...`) must keep the material the other cassettes were recorded with
    if not any(a == "-k" or a.startswith("tests/") or "::" in a for a in args):
        os.environ["RUNBOOK_REFRESH_PROVEN"] = "1"
    os.chdir(ROOT)
    # every test marked `llm` (the clients' and the chat's), unless paths are given
    paths = [] if any(a.startswith("tests/") for a in args) else ["tests"]
    return int(pytest.main(["-m", "llm", "--record-mode=rewrite", "-p", "no:cacheprovider", *paths, *args]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
