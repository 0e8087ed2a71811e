"""Discovery measured on the real repositories in ../shared/repos (and on each Compose application).

For each: components found, the names the runbook's commands use that come from the files, the names
they use that come from nowhere (target 0; a guarded shell variable is not a name), alerts found
against alerts in the files (counted here with a plain YAML walk, not with discovery), and the
discovery time (median of --runs).

    .venv/bin/python eval/discover.py            # the table
    .venv/bin/python eval/discover.py --show     # also list each runbook's invented names

The runbook is written by the offline engine from the repository alone (no description), with the
answers the files cannot give passed as flags (criticality high, on-call 24x7).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent import loop  # noqa: E402
from agent.answers import from_flags  # noqa: E402
from agent.checks import shellwords  # noqa: E402
from agent.models.offline import OfflineModel  # noqa: E402
from agent.rule import load_rule  # noqa: E402
from agent.service import from_repository  # noqa: E402
from agent.service.discover import discover  # noqa: E402
from agent.service.model import ServiceModel  # noqa: E402

REPOS = ROOT.parent / "shared" / "repos"

# Where a command names something: (tool, flag or position) -> role. Positions are read from argv.
_FLAG_ROLES = {
    ("kubectl", "-n"): "namespace", ("kubectl", "--namespace"): "namespace", ("kubectl", "-c"): "container",
    ("kubectl", "--context"): "context", ("helm", "-n"): "namespace", ("helm", "--namespace"): "namespace",
    ("journalctl", "-u"): "unit", ("psql", "-h"): "host",
    ("psql", "-d"): "database", ("psql", "-U"): "user", ("redis-cli", "-h"): "host", ("mysql", "-h"): "host",
    ("aws", "--function-name"): "function", ("aws", "--cluster"): "cluster", ("aws", "--services"): "ecs_service",
    ("aws", "--service"): "ecs_service", ("aws", "--db-instance-identifier"): "instance",
    ("aws", "--db-cluster-identifier"): "cluster", ("aws", "--replication-group-id"): "replication_group",
    ("aws", "--table-name"): "table", ("aws", "--queue-name"): "queue", ("aws", "--log-group-name"): "log_group",
}
_COMPOSE_VERBS = {"ps", "logs", "restart", "up", "exec", "stop", "start", "rm", "top", "port", "pull", "kill",
                  "pause", "unpause", "images", "create", "run"}
_SYSTEMCTL_VERBS = {"status", "restart", "start", "stop", "reload", "is-active", "show", "cat", "enable", "disable"}
_WORKLOAD = re.compile(r"^(deployment|deploy|statefulset|sts|daemonset|ds|cronjob|job|svc|service|hpa)/(.+)$")


def _names_in(code: str) -> list[tuple[str, str]]:
    """(role, value) for every name a command gives in a known position."""
    out: list[tuple[str, str]] = []
    for line in shellwords.logical_lines(code, 1):
        for simple in shellwords.parse(line.text).commands:
            argv = shellwords.unwrap(simple.argv)
            if not argv:
                continue
            tool = argv[0].rsplit("/", 1)[-1]
            for i, arg in enumerate(argv[1:], start=1):
                flag, eq, value = arg.partition("=")
                role = _FLAG_ROLES.get((tool, flag))
                if role and eq:
                    out.append((role, value))
                elif role and i + 1 < len(argv):
                    out.append((role, argv[i + 1]))
                hit = _WORKLOAD.match(arg) if tool == "kubectl" else None
                if hit:
                    out.append(("workload", hit.group(2)))
                if tool == "kubectl" and flag in ("-l", "--selector") and i + 1 < len(argv) and not eq:
                    out.append(("selector", argv[i + 1]))
            if tool == "docker-compose" or (tool == "docker" and argv[1:2] == ["compose"]):
                out += _compose_names(argv[1:])
            if tool == "systemctl":
                verb = next((w for w in argv[1:] if w in _SYSTEMCTL_VERBS), None)
                if verb:
                    out += [("unit", w) for w in argv[argv.index(verb) + 1:] if not w.startswith("-")]
    return out


_COMPOSE_GLOBAL = {"-f": "compose_file", "--file": "compose_file", "-p": "compose_project",
                   "--project-name": "compose_project", "--env-file": "", "--profile": "", "--project-directory": ""}
_COMPOSE_VALUE_FLAGS = {"--since", "--until", "--tail", "-n", "--timeout", "-t", "--filter", "--format", "-u",
                        "--user", "-w", "--workdir", "-e", "--env", "--scale", "--index", "--signal", "-s"}


def _compose_names(words: list[str]) -> list[tuple[str, str]]:
    """docker compose [-f FILE] [-p PROJECT] VERB [flags] SERVICE…: the file, project and first service."""
    if words and words[0] == "compose":
        words = words[1:]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(words) and words[i] not in _COMPOSE_VERBS:
        flag, eq, value = words[i].partition("=")
        role = _COMPOSE_GLOBAL.get(flag)
        if role is not None:
            taken = value if eq else (words[i + 1] if i + 1 < len(words) else "")
            if role and taken:
                out.append((role, taken))
            i += 1 if eq else 2
            continue
        i += 1
    if i >= len(words) or words[i] == "run":
        return out
    i += 1
    while i < len(words):
        word = words[i]
        if word.startswith("-"):
            i += 2 if word in _COMPOSE_VALUE_FLAGS else 1
            continue
        out.append(("compose_service", word))
        break
    return out


def _known(model: ServiceModel) -> set[str]:
    values = {n.value for _, n in model.all_names()}
    values |= {c.id for c in model.components}
    if model.service.origin != "assumed":
        values.add(model.service.name)
    for comp in model.components:  # "app=frontend" selectors and unit names as written
        values |= {n.value.split("=", 1)[-1] for n in comp.names if n.role == "selector"}
    return values


def _classify(model: ServiceModel, commands: list[str]) -> tuple[set[str], set[str], set[str]]:
    """(from the files, invented, guarded variables) among the names the commands use."""
    known = _known(model)
    from_files: set[str] = set()
    invented: set[str] = set()
    guarded: set[str] = set()
    for code in commands:
        for role, value in _names_in(code):
            plain = value.strip("'\"")
            if "$" in plain or not plain:
                guarded.add(f"{role}={plain}")
            elif plain in known or plain.split("=", 1)[-1] in known or plain.rsplit("/", 1)[-1] in known:
                from_files.add(f"{role}={plain}")
            else:
                invented.add(f"{role}={plain}")
    return from_files, invented, guarded


def _alerts_in_files(root: Path) -> int:
    total = 0
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".yml", ".yaml") or not path.is_file() or "templates" in path.parts:
            continue
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            groups = doc.get("groups") or (doc.get("spec") or {}).get("groups") if isinstance(doc.get("spec"),
                                                                                                dict) else doc.get(
                "groups")
            for group in groups or []:
                total += sum(1 for r in (group or {}).get("rules") or [] if isinstance(r, dict) and "alert" in r)
    return total


def measure(root: Path, runs: int) -> dict[str, Any]:
    times = []
    found = None
    for _ in range(runs):
        started = time.perf_counter()
        found = discover(root)
        times.append(time.perf_counter() - started)
    assert found is not None
    model = found.model
    rule = load_rule(None)
    given = from_repository.answers(rule, model).merged(
        from_flags(rule, {"criticality": "high", "oncall": "24x7"}))
    with tempfile.TemporaryDirectory() as tmp:
        outcome = loop.run(rule=rule, description=None, given=given, model=OfflineModel(),
                           options=loop.SaveOptions(out_dir=Path(tmp) / "tasks", check_tools=False),
                           now=datetime(2025, 1, 1, 9, 0), service=model)
    commands = [c.code for c in outcome.runbook.commands() if c.language == "bash"]
    from_files, invented, guarded = _classify(model, commands)
    return {"repo": str(root.relative_to(REPOS)), "components": len(model.components),
            "workloads": len(model.workloads()), "from_files": from_files, "invented": invented,
            "guarded": guarded, "alerts": len(model.alerts), "alerts_in_files": _alerts_in_files(root),
            "seconds": statistics.median(times), "skipped": found.skipped_count,
            "errors": sum(1 for f in outcome.report.findings if f.severity == "error")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="discovery runs per repository (median time)")
    parser.add_argument("--show", action="store_true", help="list the invented names")
    args = parser.parse_args()
    if not REPOS.is_dir():
        print(f"{REPOS} is absent: nothing to measure", file=sys.stderr)
        return 2
    targets = [REPOS / "microservices-demo", REPOS / "microservices-demo" / "kubernetes-manifests",
               REPOS / "microservices-demo" / "helm-chart", REPOS / "microservices-demo" / "kustomize" / "base",
               REPOS / "awesome-prometheus-alerts"]
    targets += sorted(p for p in (REPOS / "awesome-compose").iterdir() if p.is_dir())
    rows = [measure(t, args.runs) for t in targets]
    header = (f"{'repository':<44} {'comp':>4} {'wl':>3} {'names from files':>16} {'invented':>8} "
              f"{'alerts found/in files':>21} {'discover s':>10} {'checks':>6}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['repo']:<44} {r['components']:>4} {r['workloads']:>3} {len(r['from_files']):>16} "
              f"{len(r['invented']):>8} {str(r['alerts']) + '/' + str(r['alerts_in_files']):>21} "
              f"{r['seconds']:>10.3f} {str(r['errors']) + ' err':>6}")
        if args.show and r["invented"]:
            print("    invented: " + ", ".join(sorted(r["invented"])))
    total = sum(len(r["invented"]) for r in rows)
    print(f"\n{len(rows)} repositories; names from the files {sum(len(r['from_files']) for r in rows)}, "
          f"invented {total}; alerts {sum(r['alerts'] for r in rows)}/{sum(r['alerts_in_files'] for r in rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
