"""The CLI catalogue: what each command-line tool's subcommands and flags are and do, as data.

One YAML file per tool in `data/` (a few families of small single-purpose utilities share one file,
`utils.yaml`, as a `tools:` list). Users: the danger classifier, the static CLI checks, the scope
check and the live runner (`agent test --execute`). The format, in one example:

    tool: kubectl
    aliases: [oc]
    summary: Kubernetes command-line client
    default: {class: mutating, reason: not known to be read-only}   # for paths not listed
    flags:                                                 # global flags, declared once
      --namespace: {short: -n, value: name, live: true, role: namespace}   # value: KIND = takes a value;
                                                           # role: the service-model role of the value
      --kubeconfig: {value: path}                          # no `live`: never passed live
    commands:
      get:
        class: read-only                                   # read-only | mutating | destructive
        live: true                                         #  | wrapper | interactive | streaming
        args: {max: 3, kinds: [name]}                      # positionals (last kind repeats)
        flags:
          --output: {short: -o, value: k8s-output, live: true}
          --watch: {short: -w, class: streaming, reason: waits for changes until interrupted}
      exec:
        class: wrapper
        inner: {after: "--"}                               # where the inner command starts
        reason: runs a command in a container

More keys (kinds, rules, many, bare, verbs, target, marks, unscoped) and how to add a tool:
docs/checks.md. The schema is agent/checks/catalogue/schema.py (pydantic, checked when the YAML is
parsed). Rules the loader enforces: every mutating/destructive entry (command or flag) has a `reason`;
a `live: true` command declares its `args`; value kinds name a validator in `values.py`.
The classifier's "read-only" is not enough to run a command: only `live: true` commands run, with
only `live: true` flags (see docs in the README, "What --execute runs").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from agent.checks.catalogue import values

Class = Literal["read-only", "mutating", "destructive", "wrapper", "interactive", "streaming"]
CLASSES: tuple[str, ...] = ("read-only", "mutating", "destructive", "wrapper", "interactive", "streaming")
DATA = Path(__file__).parent / "data"


class CatalogueError(Exception):
    """A data file that does not follow the format (a bug in the data, caught by the tests)."""


@dataclass(frozen=True)
class When:
    """A flag value that changes the class: `-X DELETE` → destructive."""

    pattern: str  # full match, case-insensitive
    klass: Class
    reason: str


@dataclass(frozen=True)
class Rule:
    """A positional that changes the class: `kubectl delete namespace x` → destructive. The word at
    `at` (its part before `/`, each of a `,` list) names one of the tool's `kinds` that has `mark`,
    or is one of `words`."""

    at: int
    klass: Class
    reason: str
    mark: str = ""  # a kind's mark ("precious"): kinds that have it match
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    """A resource kind a tool's commands name (kubectl: pod, deployment, namespace ...)."""

    name: str
    names: tuple[str, ...]  # every spelling (plural, short name)
    namespaced: bool = False
    marks: dict[str, str] = field(default_factory=dict)  # mark → why (`precious: deleting it loses data`)


@dataclass(frozen=True)
class Verb:
    """A verb anywhere among the positionals (gcloud: `compute instances delete`) that sets the class of
    a path the catalogue does not list; the first matching entry wins."""

    words: tuple[str, ...]
    klass: Class
    reason: str


@dataclass(frozen=True)
class Flag:
    name: str  # the canonical (long) spelling
    names: tuple[str, ...]  # every spelling: long, short, aliases
    value: str | None  # value kind when the flag takes a value, None for a switch
    live: bool  # may be passed by the live runner
    klass: Class | None = None  # the class the command takes when this flag is present
    reason: str = ""
    when: tuple[When, ...] = ()
    optional_value: bool = False  # `--flag[=VALUE]`: a value only when attached with `=`
    role: str = ""  # the service-model role its value names ("namespace", "database"): agent test --service-model
    except_kinds: tuple[str, ...] = ()  # its class does not apply when positional 0 names one of these kinds
    # its value stands for the first `fills` positionals (`grep -e PATTERN FILE`: with -e every
    # positional is a file, so each must be read as the command's later kinds, never as a pattern)
    fills: int = 0

    @property
    def takes_value(self) -> bool:
        return self.value is not None and not self.optional_value


@dataclass(frozen=True)
class Args:
    min: int = 0
    max: int | None = None  # None: unlimited
    kinds: tuple[str, ...] = ("any",)

    def kind(self, index: int) -> str:
        return self.kinds[min(index, len(self.kinds) - 1)]


@dataclass(frozen=True)
class Inner:
    """Where a wrapper's inner command starts."""

    after: str | None = None  # after this word (`--`)
    positional: int | None = None  # at this positional index (`docker exec CONTAINER CMD` → 1)
    flag: str | None = None  # the value of this flag (`gcloud compute ssh --command CMD`)


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    klass: Class
    reason: str = ""
    live: bool = False
    args: Args | None = None
    flags: dict[str, Flag] = field(default_factory=dict)  # by every spelling
    inner: Inner | None = None
    rules: tuple[Rule, ...] = ()  # positionals that raise the class
    many: Rule | None = None  # more than `at` positionals raise the class (several names at once)
    bare: tuple[Class, str] | None = None  # the class with no positional at all (`mount` lists mounts)
    target: str = ""  # for the scope check: positional 0 names a "kind" (or kind/name) or a "pod"; "namespaced":
    # the command itself reads one namespace (`top pod`)


@dataclass(frozen=True)
class Tool:
    name: str
    aliases: tuple[str, ...]
    summary: str
    default: Command  # for a path the catalogue does not list
    flags: dict[str, Flag]  # global flags, by every spelling
    commands: dict[tuple[str, ...], Command]  # by path; () is the tool itself when it has no subcommands
    runner: str | None = None  # "postgres" / "redis": the live runner uses a driver, never the CLI
    filter: int | None = None  # usable after `|` in a live pipeline, with at most this many positionals
    live_env: dict[str, str] = field(default_factory=dict)  # environment the live runner sets for it
    live_prefix: tuple[str, ...] = ()  # arguments the live runner puts right after the tool's name
    source: str = ""  # the data file
    kinds: dict[str, Kind] = field(default_factory=dict)  # by every spelling
    verbs: tuple[Verb, ...] = ()
    marks: frozenset[str] = frozenset()  # lists the tool is on: inline, shell-block, prerequisite
    stub: bool = False  # only named (marks), nothing known of its commands: classed as an unknown tool
    unscoped: tuple[str, ...] = ()  # first words whose commands need no scope (aws: global services, no --region)
    # connects to a host its own arguments name (curl URL, dig @server, psql -h): a value read from a
    # command's output never goes into it, or `curl http://x/$(head /etc/shadow)` would send the file
    reaches: bool = False

    def kind(self, word: str) -> tuple[Kind, ...]:
        """The kinds a positional names: `deploy/web` → deployment; `pods,svc` → pod, service."""
        found = (self.kinds.get(w.split("/", 1)[0].lower()) for w in word.split(","))
        return tuple(k for k in found if k is not None)

    @property
    def has_subcommands(self) -> bool:
        return self._index[2]

    @cached_property
    def _index(self) -> tuple[frozenset[tuple[str, ...]], tuple[tuple[tuple[str, ...], Command], ...], bool]:
        """(every proper prefix of a literal path, the pattern paths in file order, has subcommands):
        parse asks both for every word of every command."""
        prefixes = {p[:n] for p in self.commands if not any("*" in w for w in p) for n in range(len(p))}
        patterns = tuple((p, c) for p, c in self.commands.items() if any("*" in w for w in p))
        return frozenset(prefixes), patterns, any(self.commands.keys() - {()})

    def command(self, path: tuple[str, ...]) -> Command:
        return self.lookup(path) or self.default

    def lookup(self, path: tuple[str, ...]) -> Command | None:
        """The entry for a command path: an exact one, else the first pattern (`* describe-*`) that fits."""
        if path in self.commands:
            return self.commands[path]
        for pattern, cmd in self._index[1]:
            if len(pattern) == len(path) and _fits(pattern, path):
                return cmd
        return None

    def flag(self, name: str, command: Command | None = None) -> Flag | None:
        """A flag of the command, of a group it belongs to (`docker compose -f` in `compose ps`), or
        a global one; `--*` in a command's flags stands for any other `--name` (aws parameters)."""
        if command is not None:
            for n in range(len(command.path), 0, -1):
                owner = command if n == len(command.path) else self.lookup(command.path[:n])
                if owner is not None and name in owner.flags:
                    return owner.flags[name]
        if name in self.flags:
            return self.flags[name]
        if command is not None and name.startswith("--") and "--*" in command.flags:
            return command.flags["--*"]
        return None

    def is_subcommand_prefix(self, words: tuple[str, ...]) -> bool:
        n = len(words)
        return words in self._index[0] or any(len(p) > n and _fits(p[:n], words) for p, _ in self._index[1])


def _fits(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    return all(fnmatchcase(w, p) if "*" in p else w == p for p, w in zip(pattern, words, strict=True))


def _flags(raw: Any, where: str) -> dict[str, Flag]:
    out: dict[str, Flag] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: flags must be a mapping")
    for name, spec in raw.items():
        spec = spec or {}
        if not isinstance(spec, dict) or not str(name).startswith("-"):
            raise CatalogueError(f"{where}: flag {name!r} must start with '-' and map to a mapping")
        unknown = set(spec) - {"short", "aliases", "value", "live", "class", "reason", "when", "optional", "role",
                                "except_kinds", "fills"}
        if unknown:
            raise CatalogueError(f"{where}: flag {name}: unknown keys {sorted(unknown)}")
        names = [str(name)]
        if spec.get("short"):
            names.append(str(spec["short"]))
        names += [str(a) for a in spec.get("aliases", [])]
        value = spec.get("value")
        if value is not None:
            values.validator(str(value))  # raises for an unknown kind
        klass = spec.get("class")
        if klass is not None and klass not in CLASSES:
            raise CatalogueError(f"{where}: flag {name}: unknown class {klass!r}")
        reason = str(spec.get("reason", ""))
        if klass in ("mutating", "destructive", "streaming", "interactive") and not reason:
            raise CatalogueError(f"{where}: flag {name}: a {klass} flag needs a reason")
        whens = []
        for w in spec.get("when", []) or []:
            if w.get("class") not in CLASSES or not w.get("reason"):
                raise CatalogueError(f"{where}: flag {name}: each `when` needs a class and a reason")
            re.compile(str(w["value"]))
            whens.append(When(str(w["value"]), cast(Class, w["class"]), str(w["reason"])))
        flag = Flag(
            str(name),
            tuple(names),
            None if value is None else str(value),
            bool(spec.get("live", False)),
            cast("Class | None", klass),
            reason,
            tuple(whens),
            bool(spec.get("optional", False)),
            str(spec.get("role", "")),
            tuple(str(k) for k in spec.get("except_kinds", [])),
            int(spec.get("fills", 0)),
        )
        for n in names:
            if n in out:
                raise CatalogueError(f"{where}: flag {n} declared twice")
            out[n] = flag
    return out


def _command(path: tuple[str, ...], spec: Any, where: str) -> Command:
    if not isinstance(spec, dict):
        raise CatalogueError(f"{where}: command {' '.join(path)!r} must be a mapping")
    unknown = set(spec) - {"class", "reason", "live", "args", "flags", "inner", "rules", "many", "bare", "target"}
    if unknown:
        raise CatalogueError(f"{where}: {' '.join(path)}: unknown keys {sorted(unknown)}")
    klass = spec.get("class")
    if klass not in CLASSES:
        raise CatalogueError(f"{where}: {' '.join(path) or '(tool)'}: class must be one of {CLASSES}")
    reason = str(spec.get("reason", ""))
    if klass in ("mutating", "destructive") and not reason:
        raise CatalogueError(f"{where}: {' '.join(path)}: a {klass} command needs a reason")
    live = bool(spec.get("live", False))
    # a live wrapper runs only a live inner command; a live streaming one only when a flag makes it finish
    if live and klass not in ("read-only", "wrapper", "streaming"):
        raise CatalogueError(f"{where}: {' '.join(path)}: only a read-only, wrapper or streaming command can be live")
    args = None
    if "args" in spec:
        a = spec["args"] or {}
        kinds = tuple(str(k) for k in a.get("kinds", ["any"]))
        for k in kinds:
            values.validator(k)
        args = Args(int(a.get("min", 0)), None if a.get("max") is None else int(a["max"]), kinds)
    if live and args is None:
        raise CatalogueError(f"{where}: {' '.join(path)}: a live command must declare its args")
    inner = None
    if "inner" in spec:
        i = spec["inner"] or {}
        inner = Inner(i.get("after"), i.get("positional"), i.get("flag"))
    rules = tuple(_rule(r, f"{where}: {' '.join(path)}") for r in spec.get("rules", []) or [])
    many = _rule(spec["many"], f"{where}: {' '.join(path)}") if "many" in spec else None
    bare = None
    if "bare" in spec:
        b = spec["bare"]
        if b.get("class") not in CLASSES:
            raise CatalogueError(f"{where}: {' '.join(path)}: `bare` needs a class")
        bare = (cast(Class, b["class"]), str(b.get("reason", "")))
    target = str(spec.get("target", ""))
    if target not in ("", "kind", "pod", "namespaced"):
        raise CatalogueError(f"{where}: {' '.join(path)}: target must be kind, pod or namespaced")
    return Command(path, cast(Class, klass), reason, live, args, _flags(spec.get("flags"), where), inner,
                   rules, many, bare, target)


def _rule(spec: Any, where: str) -> Rule:
    if not isinstance(spec, dict) or spec.get("class") not in CLASSES or not spec.get("reason"):
        raise CatalogueError(f"{where}: a rule needs a class and a reason")
    return Rule(int(spec.get("at", 0)), cast(Class, spec["class"]), str(spec["reason"]), str(spec.get("mark", "")),
                tuple(str(w) for w in spec.get("words", [])))


def _kinds(raw: Any, where: str) -> dict[str, Kind]:
    out: dict[str, Kind] = {}
    for name, spec in (raw or {}).items():
        spec = spec or {}
        unknown = set(spec) - {"aliases", "namespaced", "marks"}
        if unknown:
            raise CatalogueError(f"{where}: kind {name}: unknown keys {sorted(unknown)}")
        names = (str(name), *(str(a) for a in spec.get("aliases", [])))
        kind = Kind(str(name), names, bool(spec.get("namespaced", False)),
                    {str(k): str(v) for k, v in (spec.get("marks") or {}).items()})
        for n in names:
            if n in out:
                raise CatalogueError(f"{where}: kind {n} declared twice")
            out[n] = kind
    return out


def _tool(spec: dict[str, Any], where: str) -> Tool:
    unknown = set(spec) - {
        "tool",
        "aliases",
        "summary",
        "default",
        "flags",
        "commands",
        "runner",
        "filter",
        "reaches",
        "live_env",
        "live_prefix",
        "class",
        "reason",
        "live",
        "args",
        "inner",
        "kinds",
        "verbs",
        "marks",
        "unscoped",
        "rules",
        "many",
        "bare",
    }
    if unknown:
        raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}")
    name = str(spec["tool"])
    if set(spec.get("marks", [])) - set(MARKS):
        raise CatalogueError(f"{where}: marks must be among {MARKS}")
    default_spec = spec.get("default") or {"class": "mutating", "reason": f"{name}: not known to be read-only"}
    default = _command((), default_spec, where)
    commands: dict[tuple[str, ...], Command] = {}
    if "class" in spec:  # a tool without subcommands describes itself at the top level
        own = {k: spec[k] for k in ("class", "reason", "live", "args", "inner", "rules", "many", "bare") if k in spec}
        commands[()] = _command((), own, where)
    for path_text, cspec in (spec.get("commands") or {}).items():
        path = tuple(str(path_text).split())
        commands[path] = _command(path, cspec, where)
    return Tool(
        name,
        tuple(str(a) for a in spec.get("aliases", [])),
        str(spec.get("summary", "")),
        default,
        _flags(spec.get("flags"), where),
        commands,
        spec.get("runner"),
        None if spec.get("filter") is None else int(spec["filter"]),
        {str(k): str(v) for k, v in (spec.get("live_env") or {}).items()},
        tuple(str(a) for a in spec.get("live_prefix", [])),
        where,
        _kinds(spec.get("kinds"), where),
        tuple(_verb(v, where) for v in spec.get("verbs", []) or []),
        frozenset(str(m) for m in spec.get("marks", [])),
        "class" not in spec and not spec.get("commands") and "default" not in spec,
        tuple(str(w) for w in spec.get("unscoped", [])),
        bool(spec.get("reaches", False)),
    )


MARKS = ("inline", "shell-block", "prerequisite", "unwrap")


def _verb(spec: Any, where: str) -> Verb:
    if not isinstance(spec, dict) or spec.get("class") not in CLASSES or not spec.get("words"):
        raise CatalogueError(f"{where}: a verb entry needs words and a class")
    if spec["class"] in ("mutating", "destructive") and not spec.get("reason"):
        raise CatalogueError(f"{where}: a {spec['class']} verb entry needs a reason")
    return Verb(tuple(str(w) for w in spec["words"]), cast(Class, spec["class"]), str(spec.get("reason", "")))


@cache
def _documents() -> list[tuple[Path, Any]]:
    """The data files (the tools' and other/*.yaml), parsed: from a JSON copy in the user cache dir
    when the files are unchanged (YAML parsing costs ~0.1 s with libyaml, ~0.7 s without; JSON ~10 ms)."""
    import hashlib
    import json
    import os

    paths = sorted([*DATA.glob("*.yaml"), *DATA.glob("other/*.yaml")])
    stamp = "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths)
    key = hashlib.sha1(f"{DATA}|{stamp}".encode()).hexdigest()[:16]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "runbook-agent"
    cached = base / f"catalogue-{key}.json"
    try:
        docs = json.loads(cached.read_text(encoding="utf-8"))
        return [(DATA / name, doc) for name, doc in docs]  # name: relative to DATA (other/sql.yaml)
    except (OSError, ValueError):
        pass
    parsed = _parse_and_validate(paths)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps([(str(p.relative_to(DATA)), doc) for p, doc in parsed]), encoding="utf-8")
        os.replace(tmp, cached)
    except (OSError, TypeError, ValueError):
        pass  # a cache that can't be written only costs speed
    return parsed


def _parse_and_validate(paths: list[Path]) -> list[tuple[Path, Any]]:
    """YAML parsed and checked against the schema (agent/checks/catalogue/schema.py)."""
    from agent.checks.catalogue import schema

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parsed = [(p, yaml.load(p.read_text(encoding="utf-8"), Loader=loader)) for p in paths]  # noqa: S506 (a safe loader)
    for path, doc in parsed:
        if path.parent != DATA:
            continue  # other/*.yaml: each has its own shape, read by its own user
        try:
            schema.validate(path.name, doc)
        except ValueError as exc:
            raise CatalogueError(str(exc)) from None
    return parsed


@cache
def tools() -> dict[str, Tool]:
    """Every tool, by its name and each alias."""
    out: dict[str, Tool] = {}
    for path, doc in _documents():
        if path.parent != DATA:
            continue
        if not isinstance(doc, dict):
            raise CatalogueError(f"{path.name}: not a mapping")
        specs = doc["tools"] if "tools" in doc else [doc]
        if "tools" in doc and not specs:
            continue
        for spec in specs:
            if "tool" not in spec:
                raise CatalogueError(f"{path.name}: an entry without `tool:`")
            tool = _tool(spec, f"{path.name} ({spec['tool']})")
            for n in (tool.name, *tool.aliases):
                if n in out:
                    raise CatalogueError(f"{path.name}: tool {n} already declared in {out[n].source}")
                out[n] = tool
    return out


def tool(name: str) -> Tool | None:
    """The catalogue entry for a command name (`/usr/bin/kubectl` → kubectl), or None."""
    return tools().get(name.rsplit("/", 1)[-1])


def is_tool(word: str, *names: str) -> bool:
    """`word` runs one of these tools, under any of its names (`oc` is kubectl, `gitlab-psql` is psql)."""
    entry = tool(word) if word else None
    return entry is not None and entry.name in names


@cache
def marked(mark: str) -> frozenset[str]:
    """The names (and aliases) of the tools on a list: `inline` (inline code starting with one is read
    as a command), `shell-block` (an untagged block starting with one is shell), `prerequisite` (a
    runbook using one names it in its Prerequisites), `unwrap` (a wrapper whose inner command is the
    one the checks read: sudo, env, timeout, watch ...)."""
    if mark not in MARKS:
        raise CatalogueError(f"unknown mark {mark!r}")
    return frozenset(n for n, t in tools().items() if mark in t.marks)


@cache
def value_flags(name: str, path: tuple[str, ...] | None = None) -> frozenset[str]:
    """A tool's flags that take a value, by every spelling: global ones and, with `path`, that command's
    (and its groups'); with no path, every command's (for reading positionals before the path is known)."""
    entry = tool(name)
    if entry is None:
        return frozenset()
    out = {n for n, f in entry.flags.items() if f.takes_value}
    if path is None:
        for command in entry.commands.values():
            out |= {n for n, f in command.flags.items() if f.takes_value}
    else:
        for n in range(len(path), 0, -1):
            owner = entry.lookup(path[:n])
            if owner is not None:
                out |= {k for k, f in owner.flags.items() if f.takes_value}
    return frozenset(out)


@cache
def data(name: str) -> Any:
    """A non-tool data file of the catalogue (`sql.yaml`: the SQL allowlist, `redis.yaml`: Redis commands,
    `classes.yaml`: what the danger classifier holds whatever the tool), from the same parsed copy."""
    path = DATA / "other" / f"{name}.yaml"
    for p, doc in _documents():
        if p == path:
            return doc
    raise CatalogueError(f"no catalogue data file other/{name}.yaml")


@cache
def global_flags(name: str) -> dict[str, bool]:
    """A tool's global flags, by every spelling, to whether each takes a value ({} for an unknown tool)."""
    entry = tool(name)
    return {} if entry is None else {n: f.takes_value for n, f in entry.flags.items()}
