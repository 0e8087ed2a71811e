"""Secrets never reach an error message (issue #14, item 8): a provider that echoes the key it was sent, a
--base-url with credentials — through the real CLI and the real SDKs, against a local server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.redact import MASK, scrub, url_without_credentials

KEY = "sk-proj-Zq8vR2mXk4Lp9Tn3Wc7Yb1Hd6Fs0Gj5A"
PASSWORD = "hunter2-s3cret-pw"
ECHOES = [
    f"Incorrect API key provided: {KEY}. You can find your API key at https://platform.example/keys.",
    "upstream said: Authorization: Bearer abcdEFGH1234ijklMNOP5678 was refused",
    "proxy: x-api-key=sk-ant-api03-AAAABBBBCCCCDDDD rejected; aws AKIAIOSFODNN7EXAMPLE",
    f"retry against http://alice:{PASSWORD}@127.0.0.1/v1 failed (token=Zm9vYmFyYmF6cXV4)",
]


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with an error whose text echoes credentials, as some servers do."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length") or 0))
        status = int(self.path.split("/")[2])  # /s/<status>/v1/...
        body = json.dumps({"error": {"message": " ".join(ECHOES) + f" (auth was {self.headers.get('authorization')})",
                                     "type": "invalid_request_error"}}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def generate(tmp_path: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "OPENAI_API_KEY": KEY}
    env.pop("OPENAI_BASE_URL", None)
    return subprocess.run([sys.executable, "-m", "agent", "generate", "orders api on EKS", "--type", "api",
                           "--env", "k8s", "--criticality", "high", "--monitoring", "prometheus", "--oncall", "24x7",
                           "--model", "openai:gpt-test", "--base-url", base_url], cwd=tmp_path,
                          capture_output=True, text=True, timeout=180, env=env)


def assert_no_secret(text: str) -> None:
    for secret in (KEY, PASSWORD, "abcdEFGH1234ijklMNOP5678", "sk-ant-api03-AAAABBBBCCCCDDDD", "AKIAIOSFODNN7EXAMPLE",
                   "Zm9vYmFyYmF6cXV4", "YWxpY2U6aHVudGVy"):  # the last: alice:hunter… as Basic auth
        assert secret not in text, secret


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_provider_errors_that_echo_keys_are_scrubbed(tmp_path: Path, server: int, status: int) -> None:
    result = generate(tmp_path, f"http://alice:{PASSWORD}@127.0.0.1:{server}/s/{status}/v1")
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert_no_secret(result.stdout + result.stderr)
    assert f"({status})" in result.stderr
    if status != 401:  # 401 says which variable to check, without the provider's words
        assert MASK in result.stderr and "Incorrect API key provided" in result.stderr
    assert not (tmp_path / "tasks").exists()


def test_a_base_url_with_credentials_is_never_printed_with_them(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = generate(tmp_path, f"http://alice:{PASSWORD}@127.0.0.1:{port}/v1?api-key={KEY}")
    assert result.returncode == 5, result.stderr
    assert_no_secret(result.stdout + result.stderr)
    assert f"could not connect to http://***@127.0.0.1:{port}/v1?api-key=***" in result.stderr


def test_scrub_and_urls() -> None:
    for echo in ECHOES:
        assert_no_secret(scrub(echo))
    assert scrub("model gpt-4.1 not found at /v1/chat/completions") == "model gpt-4.1 not found at /v1/chat/completions"
    assert url_without_credentials("https://u:p@host:8443/v1?x=1&api_key=abc") == "https://***@host:8443/v1?x=1&api_key=***"
    assert url_without_credentials("http://localhost:11434/v1") == "http://localhost:11434/v1"
    assert scrub("the key is hunter22", ["hunter22"]) == "the key is ***"


@given(key=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=20,
                   max_size=60),
       prefix=st.sampled_from(["sk-", "sk-proj-", "sk-ant-api03-", "Bearer ", "api_key=", '"token": "', "secret: "]),
       around=st.sampled_from(["{}", "error: {} rejected", "({})", "key '{}' invalid", "{}."]))
def test_key_like_tokens_never_survive(key: str, prefix: str, around: str) -> None:
    out = scrub(around.format(prefix + key))
    assert key not in out
