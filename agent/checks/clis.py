"""CLI subcommands and flags checked against the real tools, offline: no cluster, credentials or network.

- kubectl, oc, helm, docker (cobra): the command path is walked through the tool's own command
  tables (`TOOL PATH --help`, each PATH word first found in its parent's table) and every flag is
  looked up in them, in-process. A runbook's arguments never reach the tool: no positional, no
  flag, nothing after them (`docker exec db sh -c ... --help` would run sh in the container).
- Every tool runs in `offline_env()`: an empty kubeconfig, DOCKER_HOST at a socket that does not
  exist, a temporary HOME and XDG dirs, no cloud credentials, proxies pointing nowhere.
- psql, systemctl, journalctl: their `--help` option and command tables, parsed once; argv is
  matched against them in-process (psql is never run with a runbook's argv: it could connect).
- redis-cli: its options and every command's name and arity from a real server's COMMAND reply,
  committed in data/redis_commands.json.
- aws: awscli's own command table (services, operations, their argument tables), in-process.
Results are cached per (tool, argv shape); subprocess checks run in a thread pool.
A tool that isn't installed is reported as skipped, never as passed.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from agent.checks import cli_tables, placeholders, shellwords, verdicts
from agent.checks.danger import redis_commands
from agent.checks.extract import Command, nested_commands
from agent.checks.structure import Emit

Problem = tuple[str, str, str]  # (rule, message, hint)
SKIPPED = "skipped"  # a Problem with this rule says the command could not be checked, and why
_DUMMY = "x"


@dataclass(frozen=True)
class Use:
    tool: str
    args: tuple[str, ...]
    line: int
    text: str


def _normalise(simple: shellwords.Simple) -> list[str]:
    """argv with expansions replaced by a dummy word (flag shapes are what we check)."""
    argv = shellwords.unwrap(simple.argv)
    if not argv:
        return []
    offset = len(simple.argv) - len(argv)
    out = [argv[0].rsplit("/", 1)[-1]]
    for word, expanded in zip(argv[1:], simple.expanded[offset + 1 :], strict=False):
        if expanded and "$" in word:
            if word.startswith("-") and "=" in word:
                out.append(word.split("=", 1)[0] + "=" + _DUMMY)
            else:
                out.append(re.sub(r"\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_]\w*|`[^`]*`", _DUMMY, word) or _DUMMY)
        else:
            out.append(word)
    return out


def uses(commands: list[Command]) -> list[Use]:
    out: list[Use] = []
    for cmd in commands:
        if cmd.language == "redis":
            out.append(
                Use(
                    "redis",
                    tuple(shellwords.parse(cmd.text).commands[0].argv) if shellwords.parse(cmd.text).commands else (),
                    cmd.line,
                    cmd.text,
                )
            )
            continue
        if cmd.language != "shell":
            continue
        simples = cmd.simple
        if placeholders.find_placeholders(cmd.text):  # `-n <ns>` would parse as a redirection
            simples = nested_commands(placeholders.mask(cmd.text))
        for simple in simples:
            argv = _normalise(simple)
            if argv and argv[0] in CHECKERS:
                out.append(Use(argv[0], tuple(argv[1:]), cmd.line, cmd.text))
    return out


def check(commands: list[Command], emit: Emit, skipped: list[str]) -> None:
    found = uses(commands)
    by_tool: dict[str, list[Use]] = {}
    for use in found:
        by_tool.setdefault(use.tool, []).append(use)
    jobs: list[tuple[Use, Callable[[tuple[str, ...]], list[Problem]]]] = []
    for tool, items in by_tool.items():
        checker, binary = CHECKERS[tool]
        if binary and shutil.which(binary) is None:
            skipped.append(f"{tool}: not installed ({len(items)} command{'s' * (len(items) != 1)} unchecked)")
            continue
        if tool == "aws" and not _aws_available():
            skipped.append(f"aws: awscli not importable ({len(items)} commands unchecked)")
            continue
        jobs.extend((use, checker) for use in items)
    # Subprocess-backed checks are cached per argv; run the distinct ones in parallel.
    distinct = {(u.tool, u.args): fn for u, fn in jobs}
    versions = {tool: verdicts.tool_version(tool, CHECKERS[tool][1]) for tool in {t for t, _ in distinct}}
    results: dict[tuple[str, tuple[str, ...]], list[Problem]] = {}
    todo = {}
    for key, fn in distinct.items():  # verdicts kept from earlier runs of the same tool version
        known = verdicts.get(key[0], versions[key[0]], key[1])
        if known is None:
            todo[key] = fn
        else:
            results[key] = known
    with ThreadPoolExecutor(max_workers=4) as pool:
        results.update(zip(todo, pool.map(lambda kv: kv[1](kv[0][1]), todo.items()), strict=True))
    for key in todo:
        verdicts.put(key[0], versions[key[0]], key[1], results[key])
    for tool in {t for t, _ in todo}:
        verdicts.save(tool, versions[tool])
    unchecked: dict[str, int] = {}
    for use, _ in jobs:
        for rule, message, hint in results[(use.tool, use.args)]:
            if rule == SKIPPED:
                unchecked[message] = unchecked.get(message, 0) + 1
            else:
                emit(use.line, rule, "error", message, hint)
    for message, count in unchecked.items():
        skipped.append(f"{message} ({count} command{'s' * (count != 1)} unchecked)")
    for tool in by_tool:
        if tool in ("kubectl", "oc", "helm") and _disk_cache.cache_info().currsize:
            _save_disk_cache(tool)


# --- cobra tools: kubectl, oc, helm, docker ------------------------------------------------------


@cache
def _empty_kubeconfig() -> str:
    """An empty kubeconfig, so no check can ever reach a real cluster; removed when we exit."""
    fd, path = tempfile.mkstemp(prefix="runbook-agent-kubeconfig-")
    os.close(fd)
    atexit.register(os.unlink, path)
    return path


_PATH_WORD = re.compile(r"[a-z][a-z0-9-]*")


@cache
def _sandbox_home() -> str:
    """A temporary HOME with empty XDG dirs: a tool finds no config, credentials or contexts of yours."""
    home = tempfile.mkdtemp(prefix="runbook-agent-home-")
    atexit.register(shutil.rmtree, home, True)
    for sub in (".config", ".cache", ".local/share", ".docker", ".kube"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    return home


def offline_env() -> dict[str, str]:
    """The environment every static check runs a tool in: it reaches no daemon, cluster or cloud.
    KUBECONFIG is an empty file, DOCKER_HOST a socket path that does not exist, HOME and the XDG
    dirs are temporary and empty, and no credential variable (AWS_*, GOOGLE_*, ...) is passed."""
    home = _sandbox_home()
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TZ") or k.startswith("LC_")}
    keep["PATH"] = os.pathsep.join(p for p in keep.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p.startswith("/"))
    return {
        **keep,
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_DATA_HOME": os.path.join(home, ".local/share"),
        "KUBECONFIG": _empty_kubeconfig(),
        "DOCKER_HOST": "unix://" + os.path.join(home, "no-docker-daemon.sock"),
        "DOCKER_CONFIG": os.path.join(home, ".docker"),
        "DOCKER_CLI_HINTS": "false",
        "HELM_CONFIG_HOME": os.path.join(home, ".config", "helm"),
        "HELM_CACHE_HOME": os.path.join(home, ".cache", "helm"),
        "HELM_DATA_HOME": os.path.join(home, ".local/share", "helm"),
        "NO_COLOR": "1",
        "PAGER": "cat",
        "SYSTEMD_PAGER": "cat",
        "SYSTEMD_COLORS": "0",
        "NO_PROXY": "*",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }


def _run_help(tool: str, path: tuple[str, ...]) -> tuple[int, str, str]:
    """`TOOL PATH... --help` (kubectl's global flags: `kubectl options`). PATH words were each found
    in the parent's command table, so no runbook argument, positional or flag, ever reaches the tool."""
    if not all(_PATH_WORD.fullmatch(w) for w in path):
        return -1, "", f"refusing to run {tool} with {' '.join(path)!r}: not a command path"
    argv = [tool, *path] if path == ("options",) and tool in ("kubectl", "oc") else [tool, *path, "--help"]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=20, env=offline_env(), stdin=subprocess.DEVNULL, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return -1, "", str(exc)
    return proc.returncode, proc.stdout, proc.stderr


_DOCKER_PLUGINS = ("compose", "buildx", "scan", "scout", "sbom", "init", "debug")
# kubectl plugins a runbook may call through kubectl (`kubectl argo rollouts …`): the binary kubectl runs
_KUBECTL_PLUGINS = {("argo", "rollouts"): "kubectl-argo-rollouts"}


@cache
def _docker_plugin(name: str) -> bool:
    rc, out, _ = _run_help("docker", (name,))  # without the plugin docker prints its own help
    return rc == 0 and re.search(r"Usage:\s+docker " + re.escape(name) + r"\b", out) is not None


# Fast path for cobra tools: each command path's own help (its flag table and subcommands), read
# once per path and kept on disk per tool binary; argv is matched in-process. Only a command the
# tables can't vouch for is run through the exact `--help` parse above, which has the last word.

_COBRA_FLAG = re.compile(r"^\s+(?:(-[\w?]), )?(--[\w-]+)(=(\S*?))?(?::|\s+(\w[\w.\[\]]*))?(?:\s{2,}|\s*$)")
_GROUP_HEADING = re.compile(r"^(?:[A-Z][^\n:]*)?[Cc]ommands[^\n:]*:\s*$")
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class CobraTable:
    flags: dict[str, bool]  # flag -> takes a value
    subcommands: frozenset[str]
    group_only: bool  # Usage says `TOOL PATH SUBCOMMAND`: a word after the path must be a subcommand
    aliases: frozenset[str] = frozenset()  # other names of this command (`kubectl top pod`: pods, po)


def _binary_key(tool: str) -> str:
    path = shutil.which(tool) or tool
    try:
        st = os.stat(os.path.realpath(path))
    except OSError:
        return tool
    return hashlib.sha1(f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]


def _disk_cache_path(tool: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runbook-agent"
    return base / f"help-{tool}-{_binary_key(tool)}.json"


@cache
def _disk_cache(tool: str) -> dict[str, str]:
    try:
        data = json.loads(_disk_cache_path(tool).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_disk_cache(tool: str) -> None:
    path = _disk_cache_path(tool)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with _cache_lock:
            tmp.write_text(json.dumps(_disk_cache(tool)), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that can't be written only costs speed


_key_locks: dict[tuple[str, str], threading.Lock] = {}


def _help_text(tool: str, path: tuple[str, ...]) -> str | None:
    key = " ".join(path) if path != ("options",) else "\x00options"
    cached = _disk_cache(tool)
    with _cache_lock:
        if key in cached:
            return cached[key]
        lock = _key_locks.setdefault((tool, key), threading.Lock())
    with lock:  # threads wanting the same help wait for one run instead of each starting the tool
        with _cache_lock:
            if key in cached:
                return cached[key]
        return _fetch_help(tool, path, key, cached)


def _fetch_help(tool: str, path: tuple[str, ...], key: str, cached: dict[str, str]) -> str | None:
    if path == ("options",) and tool not in ("kubectl", "oc"):
        path = ()
    rc, out, err = _run_help(tool, path)
    if rc != 0:
        return None
    with _cache_lock:
        cached[key] = out + err
    return out + err


def _parse_table(text: str, tool: str, path: tuple[str, ...]) -> CobraTable:
    flags: dict[str, bool] = {}
    subcommands: set[str] = set()
    in_commands = False
    for line in text.splitlines():
        if _GROUP_HEADING.match(line):
            in_commands = True
            continue
        if line and not line[0].isspace():
            in_commands = False
        if in_commands and (m := re.match(r"^\s{1,4}([a-z][\w-]*)\*?\s", line + " ")):
            subcommands.add(m.group(1))
            continue
        if m := _COBRA_FLAG.match(line):
            short, long_, eq, default, typ = m.groups()
            takes = bool(typ) if not eq else default not in ("false", "true")
            flags[long_] = takes
            if short:
                flags[short] = takes
    aliases: set[str] = set()
    if m := re.search(r"^Aliases:\n((?:[ \t]*\S.*\n?)+)", text, re.M):  # up to the blank line
        for entry in ",".join(m.group(1).splitlines()).split(","):
            if entry.split():
                aliases.add(entry.split()[-1])
    usage = re.search(r"Usage:\s*\n?\s*" + re.escape(tool) + r"((?: [a-z][\w-]*)*)\s+(\S+)", text)
    group_only = bool(usage and usage.group(2) in ("SUBCOMMAND", "COMMAND", "[command]"))
    if not path:
        group_only = True  # `kubectl frobnicate`: the first word must be a command
    return CobraTable(flags, frozenset(subcommands), group_only, frozenset(aliases))


@cache
def _table(tool: str, path: tuple[str, ...]) -> CobraTable | None:
    text = _help_text(tool, path)
    return _parse_table(text, tool, path) if text is not None else None


@cache
def _global_flags(tool: str) -> dict[str, bool]:
    if tool in ("kubectl", "oc"):
        text = _help_text(tool, ("options",)) or ""
    else:
        text = _help_text(tool, ()) or ""
    flags = dict(_parse_table(text, tool, ()).flags)
    flags.update({"--help": False, "-h": False})
    return flags


def _cobra_checked(tool: str, args: tuple[str, ...]) -> list[Problem]:
    """The command path walked through the tool's own command tables and every flag looked up in
    them, in-process. Only a path already found in a table is ever run (`TOOL PATH --help`)."""
    if "--" in args:
        args = args[: args.index("--")]
    args = tuple(a for a in args if a not in ("-h", "--help"))
    if tool in ("kubectl", "oc") and (problem := _exec_without_dashes(tool, args)):
        return [problem]
    if tool == "docker" and args[:1] and args[0] in _DOCKER_PLUGINS and not _docker_plugin(args[0]):
        return [(SKIPPED, f"docker {args[0]}: CLI plugin not installed", "")]
    plugin = _KUBECTL_PLUGINS.get((args[0], args[1])) if tool in ("kubectl", "oc") and len(args) > 1 else None
    if plugin is not None and not shutil.which(plugin):
        return [(SKIPPED, f"kubectl {' '.join(args[:2])}: kubectl plugin not installed", "")]
    path: tuple[str, ...] = ()
    table = _table(tool, path)
    if table is None:
        return [(SKIPPED, f"{tool}: its --help could not be read", "")]
    global_flags = _global_flags(tool)
    hint = f"see `{tool} --help`"
    took_argument = False
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if took_argument and tool in ("docker", "docker-compose"):
            break  # after a container or image name the words belong to the container's command
        shown = " ".join((tool, *path))
        hint = f"check the subcommand and flags with `{shown} --help`"
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            takes = table.flags.get(name, global_flags.get(name))
            if takes is None:
                near = nearest(name, [f for f in {**global_flags, **table.flags} if f.startswith("--")])
                return [
                    (
                        f"{tool}.flag",
                        f"{tool} rejects `{shown} {name}`: unknown flag: {name}",
                        f"did you mean {near}? ({hint})" if near else hint,
                    )
                ]
            if takes and "=" not in a:
                i += 1
        elif a.startswith("-") and len(a) > 1:
            for j, ch in enumerate(a[1:], start=1):
                takes = table.flags.get("-" + ch, global_flags.get("-" + ch))
                if takes is None:
                    return [(f"{tool}.flag", f"{tool} rejects `{shown} {a}`: unknown shorthand flag: {ch!r}", hint)]
                if takes:
                    if j == len(a) - 1:
                        i += 1
                    break
        elif not took_argument and (a in table.subcommands or _alias_of(tool, path, table, a)):
            path = (*path, a if a in table.subcommands else _alias_of(tool, path, table, a))
            next_table = _table(tool, path)
            if next_table is None:
                return [(f"{tool}.error", f"could not read `{tool} {' '.join(path)} --help`", "check the installation")]
            table = next_table
        elif table.group_only and not took_argument:
            if not path:
                return [
                    (
                        f"{tool}.command",
                        f"{tool} has no command {a!r}",
                        _did_you_mean(a, table.subcommands, f"see `{tool} --help` for the commands"),
                    )
                ]
            known = ", ".join(sorted(table.subcommands)[:12])
            return [
                (
                    f"{tool}.command",
                    f"`{shown}` has no subcommand {a!r}",
                    _did_you_mean(a, table.subcommands, f"use one of: {known}"),
                )
            ]
        else:
            took_argument = True
    return []


def _alias_of(tool: str, path: tuple[str, ...], table: CobraTable, word: str) -> str:
    """The listed subcommand `word` is an alias of (`pods` → `pod`), read from each listed
    subcommand's own help: only listed names are ever run, never the runbook's word."""
    if not _PATH_WORD.fullmatch(word):
        return ""
    for sub in sorted(table.subcommands):
        sub_table = _table(tool, (*path, sub))
        if sub_table is not None and word in sub_table.aliases:
            return sub
    return ""


def nearest(word: str, candidates: object) -> str:
    """The candidate closest to a typo (`restat` → `restart`, `--namspace` → `--namespace`), or ""."""
    import difflib

    names = sorted(str(c) for c in candidates)  # type: ignore[attr-defined]
    match = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return match[0] if match else ""


def _did_you_mean(word: str, candidates: object, otherwise: str) -> str:
    near = nearest(word, candidates)
    return f"did you mean {near}?" if near else otherwise


def _exec_without_dashes(tool: str, args: tuple[str, ...]) -> Problem | None:
    """`kubectl exec POD sh`: kubectl's tables accept it, but running it fails ("exec [POD]
    [COMMAND] is not supported anymore"); the command must come after `--`."""
    before = list(args[: args.index("--")]) if "--" in args else list(args)
    table = _table(tool, ("exec",))
    if table is None:
        return None
    takes = {f for f, v in {**_global_flags(tool), **table.flags}.items() if v}
    words = shellwords.positionals(before, takes)
    if len(words) < 3 or words[0] != "exec":
        return None
    pod, command = words[1], words[2:]
    seen, skip, at = 0, False, len(before)
    for i, a in enumerate(before):  # where the command starts, to put `--` there
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in takes
        else:
            seen += 1
            if seen == 3:
                at = i
                break
    fixed = " ".join([tool, *before[:at], "--", *before[at:], *args[len(before) :]])
    return (
        f"{tool}.command",
        f"`{tool} exec {pod} {' '.join(command)}` puts the command without `--`: {tool} rejects it "
        "(exec [POD] [COMMAND] is not supported anymore)",
        f"write `{fixed}`",
    )


def _kubectl(args: tuple[str, ...]) -> list[Problem]:
    return _cobra_checked("kubectl", args)


def _oc(args: tuple[str, ...]) -> list[Problem]:
    return _cobra_checked("oc", args)


def _helm(args: tuple[str, ...]) -> list[Problem]:
    return _cobra_checked("helm", args)


def _docker(args: tuple[str, ...]) -> list[Problem]:
    return _cobra_checked("docker", args)


def _docker_compose(args: tuple[str, ...]) -> list[Problem]:
    return _cobra_checked("docker-compose", args)


# --- GNU-style option tables: psql, systemctl, journalctl -----------------------------------------

_OPT = re.compile(r"(--?[\w?][\w-]*)(\[=[^\]\s]*\]|=[^\s,\]]*)?")


@dataclass(frozen=True)
class Spec:
    options: dict[str, str]  # name -> "yes" (takes a value), "no", "optional" (only attached)
    commands: frozenset[str]


@cache
def _help_spec(tool: str) -> Spec | None:
    try:
        proc = subprocess.run(
            [tool, "--help"],
            capture_output=True,
            text=True,
            timeout=20,
            env=offline_env(),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    options: dict[str, str] = {}
    commands: set[str] = set()
    in_commands = False
    for line in (proc.stdout + proc.stderr).splitlines():
        if re.match(r"^\S.*Commands:\s*$", line):
            in_commands = True
            continue
        if re.match(r"^\S.*:\s*$", line):
            in_commands = False
            continue
        if in_commands and (m := re.match(r"^  ([a-z][a-z0-9-]+)(\s|$)", line)):
            commands.add(m.group(1))
            continue
        m = re.match(r"^\s{1,8}(-.*?)(?:\s{2,}|$)", line)
        if not m:
            continue
        head = m.group(1)
        found = _OPT.findall(head)
        takes = "no"
        if any(v.startswith("[=") for _, v in found):
            takes = "optional"
        if any(v.startswith("=") for _, v in found) or re.search(r"^-\w\s+[A-Z<]", head):
            takes = "yes"
        for name, _ in found:
            options[name] = takes
    return Spec(options, frozenset(commands))


def _gnu(tool: str, args: tuple[str, ...], *, need_command: bool) -> list[Problem]:
    spec = _help_spec(tool)
    if spec is None or not spec.options:
        return []
    problems: list[Problem] = []
    positionals: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            positionals.extend(args[i:])
            break
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if name not in spec.options:
                problems.append(
                    (
                        f"{tool}.flag",
                        f"{tool} has no option {name}",
                        _did_you_mean(name, spec.options, f"see `{tool} --help`"),
                    )
                )
            elif spec.options[name] == "yes" and "=" not in a:
                i += 1
        elif a.startswith("-") and len(a) > 1 and not re.fullmatch(r"-\d+", a):
            for j, ch in enumerate(a[1:], start=1):
                name = "-" + ch
                if name not in spec.options:
                    problems.append(
                        (
                            f"{tool}.flag",
                            f"{tool} has no option {name} (in {a})",
                            f"see `{tool} --help` for its options",
                        )
                    )
                    break
                if spec.options[name] == "yes":
                    if j == len(a) - 1:
                        i += 1
                    break
                if spec.options[name] == "optional":
                    break
        else:
            positionals.append(a)
    if need_command and spec.commands and positionals and positionals[0] not in spec.commands:
        problems.append(
            (
                f"{tool}.command",
                f"{tool} has no command {positionals[0]!r}",
                _did_you_mean(positionals[0], spec.commands, f"see `{tool} --help` for the commands"),
            )
        )
    return problems


def _psql(args: tuple[str, ...]) -> list[Problem]:
    return _gnu("psql", args, need_command=False)


def _systemctl(args: tuple[str, ...]) -> list[Problem]:
    return _gnu("systemctl", args, need_command=True)


def _journalctl(args: tuple[str, ...]) -> list[Problem]:
    return _gnu("journalctl", args, need_command=False)


# --- redis ---------------------------------------------------------------------------------------


def _redis_cli_options() -> dict[str, bool]:
    from agent.checks.danger import redis_cli_value_flags

    path_data = _redis_data()
    options = {str(k): bool(v) for k, v in path_data.get("redis_cli_options", {}).items()}
    for name in redis_cli_value_flags():
        options[name] = True
    return options


@cache
def _redis_data() -> dict[str, Any]:
    import json
    from pathlib import Path

    try:
        data: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "redis_commands.json").read_text())
    except (OSError, ValueError):
        return {}
    return data


def redis_command_problems(words: list[str]) -> list[Problem]:
    """Name and arity of a redis command against COMMAND's table."""
    table = redis_commands()
    if not words or not table:
        return []
    name = words[0].lower()
    entry = table.get(name)
    if entry is None:
        return [
            (
                "redis.command",
                f"redis has no command {words[0]!r}",
                _did_you_mean(words[0].upper(), [k.upper() for k in table], "see https://redis.io/commands"),
            )
        ]
    subs = entry.get("subcommands")
    if isinstance(subs, dict) and subs:
        if len(words) < 2:
            return [
                (
                    "redis.arity",
                    f"{words[0].upper()} needs a subcommand",
                    "one of: " + ", ".join(sorted(s.split("|")[1].upper() for s in subs)),
                )
            ]
        sub = subs.get(f"{name}|{words[1].lower()}")
        if sub is None:
            names = sorted(s.split("|")[1].upper() for s in subs)
            near = nearest(words[1].upper(), names)
            return [
                (
                    "redis.command",
                    f"{words[0].upper()} has no subcommand {words[1]!r}",
                    f"did you mean {words[0].upper()} {near}?" if near else "one of: " + ", ".join(names),
                )
            ]
        entry = sub
    arity = int(str(entry.get("arity", 0)))
    count = len(words)
    if (arity > 0 and count != arity) or (arity < 0 and count < -arity):
        want = f"exactly {arity - 1}" if arity > 0 else f"at least {-arity - 1}"
        shown = " ".join(words[:2]).upper() if isinstance(subs, dict) and subs else words[0].upper()
        return [("redis.arity", f"{shown} takes {want} argument(s), got {count - 1}", "check the command's arguments")]
    return []


def _redis_cli(args: tuple[str, ...]) -> list[Problem]:
    options = _redis_cli_options()
    problems: list[Problem] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name = args[i]
        if name not in options:
            problems.append(
                (
                    "redis-cli.flag",
                    f"redis-cli has no option {name}",
                    _did_you_mean(
                        name,
                        [o for o in options if o.startswith("--") == name.startswith("--")],
                        "see `redis-cli --help`",
                    ),
                )
            )
            return problems
        i += 2 if options[name] else 1
    words = list(args[i:])
    if not words or words[0].lower() == "sentinel":  # Sentinel-only: not in a data node's COMMAND table
        return problems
    return problems + redis_command_problems(words)


def _redis_block(args: tuple[str, ...]) -> list[Problem]:
    return redis_command_problems(list(args))


# --- aws -----------------------------------------------------------------------------------------


@cache
def _aws_available() -> bool:
    try:
        import awscli  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def _aws_driver() -> Any:
    import awscli  # noqa: F401  (puts awscli's bundled botocore and data on the path first)
    from awscli.clidriver import create_clidriver

    return create_clidriver()


@cache
def _aws_ops(service: str) -> dict[str, Any] | None:
    driver = _aws_driver()
    table = driver._get_command_table()  # noqa: SLF001  (awscli has no public accessor)
    command = table.get(service)
    if command is None:
        return None
    try:
        sub: dict[str, Any] = dict(command._get_command_table())  # noqa: SLF001
    except AttributeError:
        sub = dict(getattr(command, "subcommand_table", {}) or {})
    return sub


def _aws_global() -> dict[str, bool]:
    """aws's global flags (the catalogue declares them once) → whether each takes a value."""
    from agent.checks import catalogue

    return catalogue.global_flags("aws")


@cache
def _botocore_session() -> Any:
    import awscli  # noqa: F401  (awscli bundles botocore; importing it first puts its data on the path)
    import botocore.session

    return botocore.session.get_session()


_AWS_SERVICE_ALIASES = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy"}


@cache
def _aws_s3() -> frozenset[str]:
    """`aws s3`'s own commands (ls, cp, sync ...): the catalogue lists them."""
    from agent.checks import catalogue

    entry = catalogue.tool("aws")
    return frozenset(p[1] for p in (entry.commands if entry else {}) if len(p) == 2 and p[0] == "s3")


def _unknown_param(rest: list[str], params: set[str], prefixes: bool = False) -> str | None:
    """The first `--name` of an operation's arguments that is neither its parameter nor a global flag
    (`--no-x` for a parameter `--x` is one; with `prefixes`, so is an unambiguous prefix, as argparse)."""
    for a in rest[2:]:
        if not a.startswith("--"):
            continue
        name = a.split("=", 1)[0]
        if name in params or name in _aws_global():
            continue
        if name.startswith("--no-") and f"--{name[5:]}" in params:
            continue
        if prefixes and len([p for p in params if p.startswith(name)]) == 1:
            continue
        return name
    return None


def _aws_fast(rest: list[str]) -> bool:
    """True when botocore's service model alone shows the command is fine (~0.3 s once, then
    microseconds); anything it can't confirm goes to awscli's full command table."""
    from botocore import xform_name
    from botocore.exceptions import UnknownServiceError

    service = rest[0]
    if service == "s3":
        return len(rest) > 1 and rest[1] in _aws_s3()
    session = _botocore_session()
    try:
        model = session.get_service_model(_AWS_SERVICE_ALIASES.get(service, service))
    except UnknownServiceError:
        return False
    if len(rest) < 2:
        return False
    if rest[1] == "wait":
        return True
    ops = {xform_name(o, "-"): o for o in model.operation_names}
    if rest[1] not in ops:
        return False
    shape = model.operation_model(ops[rest[1]]).input_shape
    params = {f"--{xform_name(n, '-')}" for n in (shape.members if shape else {})}
    return _unknown_param(rest, params) is None


# AWS CLI v2 commands awscli 1's tables lack; the real CLI has them, so they are "unchecked", not wrong.
_AWS_V2_ONLY = {
    ("logs", "tail"),
    ("logs", "start-live-tail"),
    ("sso", "login"),
    ("sso", "logout"),
    ("ddb", "select"),
    ("ddb", "put"),
    ("ecr-public", "get-login-password"),
}


def _aws(args: tuple[str, ...]) -> list[Problem]:
    rest = _aws_rest(args)
    if not rest or rest[0] in ("configure", "help", "history"):
        return []
    if tuple(rest[:2]) in _AWS_V2_ONLY:
        return [(SKIPPED, f"aws {rest[0]} {rest[1]}: an AWS CLI v2 command, not in awscli 1's tables", "")]
    if _aws_fast(rest):
        return []
    return _aws_full(rest)


def _aws_rest(args: tuple[str, ...]) -> list[str]:
    # Values of global options come before the service name sometimes: `aws --region x ec2 ...`.
    rest = list(args)
    flags = _aws_global()
    while rest and rest[0].startswith("--"):
        takes = flags.get(rest[0].split("=", 1)[0], False)
        rest = rest[2:] if takes and "=" not in rest[0] else rest[1:]
    return rest


def _aws_full(rest: list[str]) -> list[Problem]:
    """awscli's own command table: exact, customisations and renames included (~1 s to build)."""
    service = rest[0]
    ops = _aws_ops(service)
    if ops is None:
        return [("aws.command", f"aws has no service {service!r}", "see `aws help` for the services")]
    if len(rest) < 2 or rest[1].startswith("-"):
        return [("aws.command", f"`aws {service}` needs an operation", f"see `aws {service} help`")]
    op_name = rest[1]
    op = ops.get(op_name)
    if op is None:
        import difflib

        near = difflib.get_close_matches(op_name, list(ops), n=1)
        return [
            (
                "aws.command",
                f"aws {service} has no operation {op_name!r}",
                f"did you mean {near[0]!r}?" if near else f"see `aws {service} help`",
            )
        ]
    params: set[str] = set()
    try:
        params = {f"--{name}" for name in op.arg_table}
    except Exception:  # noqa: BLE001  (awscli customisations build tables lazily; don't guess)
        return []
    sub_table = None
    if not params and hasattr(op, "subcommand_table"):
        sub_table = op.subcommand_table
    if sub_table:  # e.g. `aws ec2 wait instance-running`
        return []
    name = _unknown_param(rest, params, prefixes=True)
    if name is None:
        return []
    return [("aws.flag", f"aws {service} {op_name} has no option {name}",
             _did_you_mean(name, params, f"see `aws {service} {op_name} help`"))]


CHECKERS: dict[str, tuple[Callable[[tuple[str, ...]], list[Problem]], str | None]] = {
    "kubectl": (_kubectl, "kubectl"),
    "oc": (_oc, "oc"),
    "helm": (_helm, "helm"),
    "docker": (_docker, "docker"),
    "docker-compose": (_docker_compose, "docker-compose"),
    "psql": (_psql, "psql"),
    "systemctl": (_systemctl, "systemctl"),
    "journalctl": (_journalctl, "journalctl"),
    "redis-cli": (_redis_cli, None),
    "redis": (_redis_block, None),
    "aws": (_aws, None),
    "gcloud": (cli_tables.gcloud, "gcloud"),
    "ssh": (cli_tables.ssh, "ssh"),
    "service": (cli_tables.service, None),
}
