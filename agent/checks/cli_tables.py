"""CLIs checked against tables they ship or print, never run with a runbook's arguments:

- gcloud: the SDK's static completion tree (`data/cli/gcloud_completions.py`, every command group,
  command and flag), split per top-level group into the user cache dir once per SDK version;
- ssh: the option letters of its own usage text (`ssh -?`, which connects nowhere); everything
  after the host is the remote command, read by the other checks;
- service: SysV `service NAME ACTION`; an action one letter away from a standard one is a typo
  (init scripts may define their own actions, so only near misses are reported).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from functools import cache
from pathlib import Path
from typing import Any

Problem = tuple[str, str, str]


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runbook-agent"


def _did_you_mean(word: str, candidates: object, otherwise: str) -> str:
    from agent.checks.clis import nearest

    near = nearest(word, candidates)
    return f"did you mean {near}?" if near else otherwise


# --- gcloud --------------------------------------------------------------------------------------


@cache
def _gcloud_tree_file() -> Path | None:
    binary = shutil.which("gcloud")
    if binary is None:
        return None
    root = Path(os.path.realpath(binary)).parent.parent
    tree = root / "data" / "cli" / "gcloud_completions.py"
    return tree if tree.is_file() else None


def _gcloud_shard_dir(tree: Path) -> Path:
    st = tree.stat()
    key = hashlib.sha1(f"{tree}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return _cache_dir() / f"gcloud-tree-{key}"


def _gcloud_build(tree: Path, shards: Path) -> None:
    """Load the SDK's 6 MB tree once (~1 s) and keep one JSON file per top-level group."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gcloud_completions", tree)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: dict[str, Any] = module.STATIC_COMPLETION_CLI_TREE
    tmp = shards.with_name(shards.name + f".{os.getpid()}.tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    for name, sub in data.get("commands", {}).items():
        (tmp / f"{name}.json").write_text(json.dumps(sub), encoding="utf-8")
    (tmp / "_root.json").write_text(
        json.dumps({"flags": data.get("flags", {}), "groups": sorted(data.get("commands", {}))}), encoding="utf-8"
    )
    try:
        tmp.rename(shards)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process built it first


_lock = threading.Lock()


def _gcloud_root() -> dict[str, Any] | None:
    with _lock:  # the CLI checks run in threads: build and load the tree once
        return _gcloud_root_once()


@cache
def _gcloud_root_once() -> dict[str, Any] | None:
    tree = _gcloud_tree_file()
    if tree is None:
        return None
    shards = _gcloud_shard_dir(tree)
    if not (shards / "_root.json").is_file():
        try:
            _gcloud_build(tree, shards)
        except (OSError, SyntaxError, AttributeError):
            return None
    try:
        root: dict[str, Any] = json.loads((shards / "_root.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    root["dir"] = str(shards)
    return root


def _gcloud_group(name: str) -> dict[str, Any] | None:
    with _lock:
        return _gcloud_group_once(name)


@cache
def _gcloud_group_once(name: str) -> dict[str, Any] | None:
    root = _gcloud_root_once()
    if root is None or name not in root["groups"]:
        return None
    try:
        group: dict[str, Any] = json.loads((Path(root["dir"]) / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return group


def gcloud_available() -> bool:
    return _gcloud_root() is not None


def _takes(kind: object) -> bool:
    return kind != "bool"


def gcloud(args: tuple[str, ...]) -> list[Problem]:
    root = _gcloud_root()
    if root is None:
        return [("skipped", "gcloud: no static command tree in this SDK", "")]
    global_flags: dict[str, object] = root["flags"]
    if "--" in args:
        args = args[: args.index("--")]
    node: dict[str, Any] | None = None
    path: list[str] = []
    flags: dict[str, object] = dict(global_flags)
    i = 0
    positional_seen = False
    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            kind = flags.get(name)
            if kind is None and name.startswith("--no-") and flags.get("--" + name[5:]) == "bool":
                continue
            if kind is None:
                if node is not None and node.get("commands"):
                    continue  # a flag of a subcommand not reached yet; judged when it is
                shown = " ".join(["gcloud", *path])
                choices = [f for f in flags if f.startswith("--")]
                return [("gcloud.flag", f"`{shown}` has no flag {name}",
                         _did_you_mean(name, choices, f"see `{shown} --help`"))]
            if _takes(kind) and "=" not in a:
                i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            continue  # -q, -h: gcloud's few short flags
        if positional_seen:
            continue
        commands = root["groups"] if node is None else list(node.get("commands", {}))
        if node is not None and not node.get("commands"):
            positional_seen = True  # the command's own arguments (instance names, ...)
            continue
        if a not in commands:
            shown = " ".join(["gcloud", *path])
            return [("gcloud.command", f"`{shown}` has no command or group {a!r}",
                     _did_you_mean(a, commands, f"see `{shown} --help`"))]
        node = _gcloud_group(a) if node is None else node["commands"][a]
        if node is None:
            return []
        path.append(a)
        flags = {**global_flags, **node.get("flags", {})}
    if node is not None and node.get("commands") and path:
        shown = " ".join(["gcloud", *path])
        return [("gcloud.command", f"`{shown}` is a group: it needs a command",
                 f"one of: {', '.join(sorted(node['commands'])[:12])}")]
    return []


# --- ssh -----------------------------------------------------------------------------------------


@cache
def _ssh_options() -> tuple[frozenset[str], frozenset[str]] | None:
    """(switch letters, letters taking a value) from ssh's usage text."""
    try:
        proc = subprocess.run(["ssh", "-?"], capture_output=True, text=True, timeout=10,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    usage = proc.stdout + proc.stderr
    switches: set[str] = set()
    valued: set[str] = set()
    for group in re.findall(r"\[-([^\]]+)\]", usage):
        if " " in group:
            valued.add(group.split()[0][0])
        else:
            switches.update(group)
    return (frozenset(switches), frozenset(valued)) if switches or valued else None


def ssh(args: tuple[str, ...]) -> list[Problem]:
    table = _ssh_options()
    if table is None:
        return []
    switches, valued = table
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("-") or a == "-" or a == "--":
            return []  # the host: what follows is the remote command, checked as its own
        for j, ch in enumerate(a[1:], start=1):
            if ch in valued:
                if j == len(a) - 1:
                    i += 1
                break
            if ch not in switches:
                return [("ssh.flag", f"ssh has no option -{ch} (in {a})",
                         "see `ssh -?` for its options (a remote command goes after the host)")]
        i += 1
    return []


# --- service -------------------------------------------------------------------------------------

SERVICE_ACTIONS = ("start", "stop", "restart", "reload", "force-reload", "status", "try-restart", "condrestart",
                   "try-reload", "graceful", "configtest", "upgrade")


def service(args: tuple[str, ...]) -> list[Problem]:
    words = [a for a in args if not a.startswith("-")]
    if "--status-all" in args or len(words) < 2:
        return []
    name, action = words[0], words[1]
    if action in SERVICE_ACTIONS:
        return []
    import difflib

    near = difflib.get_close_matches(action, SERVICE_ACTIONS, n=1, cutoff=0.75)
    if not near:
        return []  # an init script's own action: can't be judged from here
    return [("service.command", f"`service {name} {action}`: {action!r} is not an action init scripts take",
             f"did you mean `service {name} {near[0]}`?")]
