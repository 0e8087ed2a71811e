"""Static CLI checks never run a runbook's arguments and reach no daemon: `docker exec db sh -c
'touch /tmp/x' --help` would run sh inside the container if docker saw those words. A recording
`docker`/`kubectl` on PATH (it logs argv and environment, then hands over to the real tool when
one is installed) and a DOCKER_HOST socket that records connections prove neither happens."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.checks import check_markdown, clis, verdicts

HOSTILE = [
    "docker exec db sh -c 'touch /tmp/pwned-marker' --help",
    "docker exec -it db psql -c 'DROP TABLE items' --help",
    "docker run --rm alpine sh -c 'touch /tmp/pwned-marker'",
    "docker container exec db rm -rf /data --help",
    "docker --host tcp://127.0.0.1:2375 ps",
    "docker -H unix:///var/run/docker.sock exec db id",
    "docker compose exec db sh -c 'touch /tmp/pwned-marker' --help",
    "docker logs db --tail 10 --help",
    "kubectl exec db -- sh -c 'touch /tmp/pwned-marker' --help",
    "kubectl exec db sh -c 'touch /tmp/pwned-marker'",
    "kubectl --context prod delete namespace payments --help",
    "kubectl get pods --kubeconfig /root/.kube/config -n prod",
    "kubectl run x --image=alpine --restart=Never -- sh -c 'touch /tmp/pwned-marker'",
    "kubectl frobnicate db --help",
]
RECORDER = """#!{python}
import json, os, sys
with open({log!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "env": {{k: os.environ.get(k) for k in
        ("DOCKER_HOST", "KUBECONFIG", "HOME", "XDG_CONFIG_HOME", "AWS_ACCESS_KEY_ID", "AWS_PROFILE")}}}}) + "\\n")
real = {real!r}
if real:
    os.execv(real, [real, *sys.argv[1:]])
print("Usage:  {name} [OPTIONS] COMMAND\\n\\nCommands:\\n  ps  List\\n  exec  Run\\n  logs  Logs\\n  get  Get\\n")
"""


@pytest.fixture()
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list[int]]]:
    log = tmp_path / "argv.log"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("docker", "kubectl"):
        fake = bindir / name
        fake.write_text(RECORDER.format(python=sys.executable, log=str(log), real=shutil.which(name) or "", name=name))
        fake.chmod(0o755)
    # A Docker daemon socket that counts connections, named by the environment the checks inherit.
    sock_path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(8)
    server.settimeout(0.2)
    connections: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(1)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock_path}")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "real-kubeconfig"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no help text cached by an earlier run
    _clear_caches()
    try:
        yield log, connections
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
        _clear_caches()


def _clear_caches() -> None:
    """Every in-process cache of the CLI checks (help tables, verdicts): an earlier test's warm cache
    would answer without running a tool, and this test would prove nothing."""
    for module in (clis, verdicts):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def test_runbook_arguments_never_reach_docker_or_kubectl(recorded: tuple[Path, list[int]]) -> None:
    log, connections = recorded
    marker = Path("/tmp/pwned-marker")
    marker.unlink(missing_ok=True)
    text = "# T\n\n## S\n\n```bash\n" + "\n".join(HOSTILE) + "\n```\n"
    check_markdown(text, "hostile.md", profile="generic")
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert calls, "the checks ran neither tool: the test proves nothing"
    words_of_runbook = {"db", "sh", "-c", "alpine", "psql", "rm", "id", "x", "payments", "prod", "-it", "--rm",
                        "touch /tmp/pwned-marker", "tcp://127.0.0.1:2375", "/root/.kube/config", "--image=alpine"}
    for call in calls:
        argv = call["argv"]
        assert not set(argv) & words_of_runbook, argv
        # only a command path (each word from the tool's own tables) and --help; or `kubectl options`
        path_only = bool(argv) and argv[-1] == "--help" and all(w.replace("-", "").isalnum() for w in argv[:-1])
        assert argv == ["options"] or path_only, argv
        env = call["env"]
        assert env["DOCKER_HOST"] != os.environ["DOCKER_HOST"] and "no-docker-daemon" in env["DOCKER_HOST"]
        assert env["KUBECONFIG"] != os.environ["KUBECONFIG"] and Path(env["KUBECONFIG"]).stat().st_size == 0
        assert env["AWS_ACCESS_KEY_ID"] is None
        assert env["HOME"] != str(Path.home()) and env["XDG_CONFIG_HOME"].startswith(env["HOME"])
    assert connections == []  # nothing dialled the daemon socket the environment named
    assert not marker.exists()


def test_unknown_words_are_findings_not_runs(recorded: tuple[Path, list[int]]) -> None:
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed")
    log, _ = recorded
    report = check_markdown("# T\n\n## S\n\n```bash\ndocker frob db sh\ndocker ps --bogus\n```\n", "t.md",
                            profile="generic")
    rules = sorted(f.rule for f in report.findings if f.rule.startswith("docker"))
    assert rules == ["docker.command", "docker.flag"]
    argvs = [json.loads(line)["argv"] for line in log.read_text().splitlines()]
    assert all("frob" not in a and "--bogus" not in a and "db" not in a for a in argvs)
