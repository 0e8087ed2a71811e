"""Which commands change things, and which lose data: rules, not a model.

`classify(command, language)` returns "read-only", "mutating" or "destructive":
- read-only: looks, never touches state (kubectl get, SELECT, redis GET, systemctl status, ...);
- mutating: changes state but loses nothing for good (restart, scale, apply, UPDATE ... WHERE);
- destructive: loses data or takes everything down (DROP, TRUNCATE, DELETE, FLUSHALL, rm, kubectl
  delete --all / namespace / pvc, drain, helm uninstall, docker compose down -v, failover, purge,
  pg_terminate_backend, reboot, terraform destroy, ...).
Anything the rules don't know is "mutating": --execute never runs it.

A destructive command needs a warning right before its block (or as a comment right above it);
`has_warning` accepts these forms, case-insensitive:
    > **Warning:** ...          > ⚠️ **Destructive:** ...     > **Danger:** / **Caution:** ...
    > [!WARNING] / > [!CAUTION] (GitHub alerts)                **Warning:** ... (a plain paragraph)
    # WARNING: ... / # DESTRUCTIVE: ... / -- WARNING: ...  (a comment line right above the command)
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Literal, cast

from agent.checks import shellwords
from agent.checks.extract import Command
from agent.checks.structure import Emit

Danger = Literal["read-only", "mutating", "destructive"]
_ORDER: dict[str, int] = {"read-only": 0, "mutating": 1, "destructive": 2}



def classify(command: str, language: str = "bash") -> Danger:
    """The danger level of a command written in `language` (bash/shell/console, sql, redis, promql)."""
    return explain(command, language)[0]


def explain(command: str, language: str = "bash") -> tuple[Danger, str]:
    """(level, why) — why names what makes it mutating or destructive."""
    lang = language.lower()
    if lang in ("promql", "prometheus", "logql", "nrql", "datadog", "cloudwatch"):
        return "read-only", "a query"
    if lang in ("sql", "psql", "postgresql", "postgres"):
        return classify_sql(command)
    if lang in ("redis", "redis-cli"):
        return classify_redis(_split(command))
    if lang in ("bash", "sh", "shell", "console", "zsh", ""):
        return classify_shell(command)
    return "mutating", f"unknown language {language!r}"


def _max(results: list[tuple[Danger, str]]) -> tuple[Danger, str]:
    if not results:
        return "read-only", ""
    return max(results, key=lambda r: _ORDER[r[0]])


def classify_shell(text: str) -> tuple[Danger, str]:
    results: list[tuple[Danger, str]] = []
    for line in shellwords.logical_lines(text, 0) or [shellwords.Line(text, 0)]:
        parsed = shellwords.parse(line.text)
        stack = list(parsed.substitutions)
        for body, expands in line.heredocs:
            if expands:
                stack.extend(shellwords.body_substitutions(body))
        simples = list(parsed.commands)
        stack.extend(inner for s in parsed.commands for inner in shellwords.inner_commands(s.argv))
        seen = 0
        while stack and seen < 50:
            seen += 1
            sub = shellwords.parse(stack.pop())
            simples.extend(sub.commands)
            stack.extend(sub.substitutions)
            stack.extend(inner for s in sub.commands for inner in shellwords.inner_commands(s.argv))
        line_results = [classify_simple(simple, line.heredocs) for simple in simples]
        results.extend(_in_loop(line.text, line_results))
    return _max(results)


_LOOP = re.compile(r"\b(for|while|until|xargs)\b")


def _in_loop(text: str, results: list[tuple[Danger, str]]) -> list[tuple[Danger, str]]:
    """A delete run once per item of a list (for/while/xargs) deletes an unknown number of things."""
    if not _LOOP.search(text):
        return results
    return [
        ("destructive", f"{why}, repeated in a loop") if level == "mutating" and "delete" in why else (level, why)
        for level, why in results
    ]


def classify_simple(simple: shellwords.Simple, heredocs: list[tuple[str, bool]] | None = None) -> tuple[Danger, str]:
    heredocs = heredocs or []
    argv = shellwords.unwrap(simple.argv)
    results: list[tuple[Danger, str]] = []
    if simple.redirects:
        results.append(("mutating", f"writes {simple.redirects[0]}"))
    if not argv:
        return _max(results)  # NAME=value: sets a shell variable
    level, why = _classify_argv(argv, heredocs)
    if level != "read-only" and _dry_run(argv):
        level, why = "read-only", "a dry run"
    if level == "mutating" and "delete" in why and any("$(" in w or "`" in w for w in simple.raw):
        level, why = "destructive", f"{why}; the names come from a command, so how many is unknown"
    results.append((level, why))
    return _max(results)


def _classify_argv(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    tool = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if tool in _CATALOGUED:  # their subcommands' classes are data: agent/checks/catalogue/data
        return _catalogued(tool, args)
    if tool in ("kubectl", "oc"):
        return _kubectl(args, tool)
    if tool == "aws":
        return _aws(args)
    if tool in ("psql", "gitlab-psql"):
        return _psql(argv, heredocs)
    if tool == "redis-cli":
        return _redis_cli(args)
    if (simple := _simple_tool(tool, args)) is not None:  # rm, reboot, cat, grep, ...: the catalogue's classes
        return simple
    if tool == "find":
        if "-delete" in args or any(a in ("-exec", "-execdir", "-ok") for a in args) and _exec_rm(args):
            return "destructive", "find deletes files"
        if any(a in ("-exec", "-execdir", "-ok", "-fprint") for a in args):
            return "mutating", "find runs a command"
        return "read-only", ""
    if tool == "sed" and any(a.startswith("-i") or a == "--in-place" for a in args):
        return "mutating", "edits a file in place"
    if tool == "tee":
        files = [a for a in args if not a.startswith("-") and a not in ("/dev/null", "/dev/stderr", "/dev/stdout")]
        return ("mutating", f"writes {files[0]}") if files else ("read-only", "")
    if tool == "curl":
        return _curl(args)
    if tool == "wget":
        return (
            ("read-only", "")
            if any(a in ("-O-", "-qO-", "-O", "-q0-") for a in args) and "-" in " ".join(args)
            else ("mutating", "downloads a file")
        )
    if tool == "xargs":
        inner = _after_options(args, {"-n", "-I", "-P", "-L", "-d", "-s", "-a", "-E", "--max-args", "--replace"})
        if not inner:
            return "read-only", ""
        level, why = _classify_argv(inner, heredocs)
        if level == "mutating" and any(w in ("delete", "rm", "del", "drop", "uninstall", "kill") for w in inner):
            return "destructive", f"xargs feeds an unknown number of names to `{' '.join(inner[:3])}`"
        return level, why
    if tool in ("watch", "timeout", "sudo", "nohup", "env", "time"):
        inner = [a for a in args if not a.startswith("-")]
        return _classify_argv(inner, heredocs) if inner else ("read-only", "")
    if tool in ("bash", "sh", "zsh") and "-c" in args:
        idx = args.index("-c")
        return classify_shell(args[idx + 1]) if idx + 1 < len(args) else ("read-only", "")
    if tool == "ssh":
        rest = _ssh_remote(args)
        return classify_shell(" ".join(rest)) if rest else ("mutating", "opens a remote shell")
    if tool in ("kill", "pkill"):
        return "mutating", "kills processes"
    if tool in ("iptables", "ip6tables", "nft") and any(a in ("-F", "--flush", "flush", "-X") for a in args):
        return "destructive", "flushes firewall rules"
    if tool.startswith("mkfs"):
        return "destructive", "formats a filesystem"
    if tool == "gcloud":
        verbs = [a for a in args if not a.startswith("-")]
        if any(v in ("delete", "reset", "failover") for v in verbs):
            return "destructive", "gcloud " + " ".join(verbs[:3])
        if any(v in ("list", "describe", "get", "get-iam-policy", "read", "print-access-token") for v in verbs):
            return "read-only", ""
        return "mutating", "gcloud " + " ".join(verbs[:3])
    if tool == "pg_dump":
        return (
            ("mutating", "writes a dump file")
            if any(a.startswith(("-f", "--file")) for a in args)
            else ("read-only", "")
        )
    if tool == "mount" and not [a for a in args if not a.startswith("-")]:
        return "read-only", ""
    if tool in _TOOL_RULES:
        return _TOOL_RULES[tool](args)
    return (
        _from_catalogue(tool, args)
        or _unknown_tool(tool, args)
        or ("mutating", f"{tool} is not known to be read-only")
    )


def _service(args: list[str]) -> tuple[Danger, str]:
    """SysV `service NAME ACTION`."""
    words = [a for a in args if not a.startswith("-")]
    if "--status-all" in args or (len(words) > 1 and words[1] == "status"):
        return "read-only", ""
    if len(words) > 1 and words[1] in _DESTRUCTIVE_VERBS:
        return "destructive", f"service {words[0]} {words[1]}"
    return "mutating", f"service {' '.join(words[:2])}".strip()


_TOOL_RULES = {"service": _service}


def _simple_tool(tool: str, args: list[str]) -> tuple[Danger, str] | None:
    """A tool without subcommands (rm, shred, reboot, cat, grep, df, ...) classed by its catalogue
    entry; wrappers, tools with subcommands and the ones with rules below are left to those."""
    from agent.checks import catalogue
    from agent.checks.catalogue.parse import parse

    entry = catalogue.tool(tool)
    if entry is None or entry.has_subcommands or () not in entry.commands or tool in _ARGUMENT_RULES:
        return None
    parsed = parse(entry, args)
    level, reason = parsed.klass()
    if level == "wrapper":
        return None
    if level in ("streaming", "interactive"):  # a pager, `top`, `watch`: they look, or wait for a person
        return "read-only", ""
    return cast(Danger, level), (reason if level != "read-only" else "")


# Tools whose class depends on their arguments in ways the rules below spell out.
_ARGUMENT_RULES = {"find", "sed", "tee", "curl", "wget", "xargs", "watch", "timeout", "sudo", "nohup", "env", "time",
                   "bash", "sh", "zsh", "ssh", "kill", "pkill", "mount", "pg_dump"}


# Tools classed by their catalogue entry alone (paths the entry doesn't list take its default).
_CATALOGUED = {"helm", "systemctl", "journalctl", "etcdctl", "patronictl", "pg_ctl", "pg_ctlcluster", "terraform",
               "git", "apt-get", "apt", "yum", "dnf", "crictl", "docker", "podman", "docker-compose"}


def _catalogued(tool: str, args: list[str]) -> tuple[Danger, str]:
    from agent.checks import catalogue
    from agent.checks.catalogue.parse import parse

    entry = catalogue.tool(tool)
    if entry is None:
        return "mutating", f"{tool} is not known to be read-only"
    found = _from_catalogue(tool, args)
    if found is not None:
        return found
    default = parse(entry, args).klass()
    return _unknown_tool(tool, args) or (cast(Danger, default[0]) if default[0] in _ORDER else "mutating", default[1])


def _from_catalogue(tool: str, args: list[str]) -> tuple[Danger, str] | None:
    """A tool the rules above don't know, judged by its catalogue entry (agent/checks/catalogue):
    its listed command paths and the flags that change their class."""
    from agent.checks import catalogue
    from agent.checks.catalogue.parse import parse

    entry = catalogue.tool(tool)
    if entry is None:
        return None
    parsed = parse(entry, args)
    if not parsed.listed:
        return None
    level, reason = parsed.klass()
    if level == "wrapper":
        return "mutating", reason  # what it runs is classified on its own (extract reads inner commands)
    if level in ("streaming", "interactive"):
        return "read-only" if level == "streaming" else "mutating", reason
    return cast(Danger, level), (f"{tool} {' '.join(parsed.path)}: {reason}" if level != "read-only" else "")


_DRY_RUN = re.compile(r"--dry-?run(?:=(?!none\b|false\b)\S*)?$|--noop$|--what-?if$|--plan$")


def _dry_run(argv: list[str]) -> bool:
    """`kubectl delete ... --dry-run=client`, `helm upgrade --dry-run`, `rsync --dry-run`: nothing changes."""
    if "--" in argv:
        argv = argv[: argv.index("--")]
    return any(_DRY_RUN.match(a) for a in argv[1:]) or (argv[0].rsplit("/", 1)[-1] == "rsync" and "-n" in argv)


# Verbs that lose data or take a service away, whatever the tool (`sentry queues purge`,
# `consul kv delete -recurse`, `mytool db drop`): a tool the rules don't know is judged by them.
_DESTRUCTIVE_VERBS = {
    "purge", "destroy", "wipe", "flushall", "flushdb", "flush", "truncate", "drop", "dropdb", "failover",
    "switchover", "reinit", "nuke", "erase", "obliterate", "decommission", "force-leave", "cleanse", "prune",
    "reset-hard", "uninstall",
}
_RECURSIVE = {
    "-r", "-R", "-rf", "-fr", "--recursive", "-recurse", "--recurse", "-recursive", "--all", "-all", "--prefix",
}


def _unknown_tool(tool: str, args: list[str]) -> tuple[Danger, str] | None:
    words = [a for a in args if not a.startswith("-")][:4]
    for w in words:
        if w.lower() in _DESTRUCTIVE_VERBS:
            return "destructive", f"{tool} {' '.join(words[: words.index(w) + 1])}"
    if any(w in ("delete", "del", "rm", "remove") for w in words) and any(a in _RECURSIVE for a in args):
        return "destructive", f"{tool} {' '.join(words[:3])} deletes recursively"
    return None


def _after_options(args: list[str], takes_value: set[str]) -> list[str]:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in takes_value else 1
    return args[i:]


def _first_positional(args: list[str]) -> str:
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            skip = a in (
                "-n",
                "--namespace",
                "-c",
                "--context",
                "--kubeconfig",
                "-C",
                "--region",
                "--profile",
                "-u",
                "--unit",
                "-H",
                "--host",
                "-p",
                "--port",
                "-h",
            )
            continue
        return a
    return ""


def _exec_rm(args: list[str]) -> bool:
    return any(a in ("rm", "/bin/rm", "shred", "unlink") for a in args)


def _ssh_remote(args: list[str]) -> list[str]:
    takes = {"-i", "-p", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-W", "-b", "-c", "-E", "-m", "-O", "-Q", "-S", "-w"}
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in takes else 1
    return args[i + 1 :]


def _kubectl(args: list[str], tool: str) -> tuple[Danger, str]:
    words = shellwords.positionals(
        args,
        {
            "-n",
            "--namespace",
            "--context",
            "--kubeconfig",
            "-l",
            "--selector",
            "-o",
            "--output",
            "-c",
            "--container",
            "--since",
            "--tail",
            "--cluster",
            "--user",
            "-f",
            "--filename",
            "--field-selector",
            "--sort-by",
            "--as",
            "--replicas",
            "--timeout",
            "--to-revision",
            "--grace-period",
            "-s",
            "--server",
            "--type",
            "-p",
            "--patch",
            "--image",
        },
    )
    if "--" in args:
        inner = args[args.index("--") + 1 :]
        words = shellwords.positionals(args[: args.index("--")], set())
    else:
        inner = []
    verb = words[0] if words else ""
    rest = words[1:]
    read = {
        "get",
        "describe",
        "logs",
        "log",
        "top",
        "explain",
        "api-resources",
        "api-versions",
        "version",
        "cluster-info",
        "diff",
        "events",
        "wait",
        "whoami",
        "adm-top",
        "status",
        "options",
        "plugin",
        "completion",
        "port-forward",
        "proxy",
        "projects",
        "project" if not rest else "",
        "kustomize",
    }
    if verb == "auth":
        return ("read-only", "") if rest[:1] in (["can-i"], ["whoami"]) else ("mutating", "kubectl auth reconcile")
    if verb == "config":
        return (
            ("read-only", "")
            if rest[:1] and rest[0].startswith(("view", "get-", "current-"))
            else ("mutating", f"{tool} config {rest[0] if rest else ''} changes your kubeconfig")
        )
    if verb == "rollout":
        sub = rest[0] if rest else ""
        return ("read-only", "") if sub in ("status", "history") else ("mutating", f"{tool} rollout {sub}")
    if verb in read and verb:
        return "read-only", ""
    if verb in ("exec", "rsh", "debug"):
        if inner:
            level, why = _classify_argv(inner, [])
            if inner[0].rsplit("/", 1)[-1] in ("bash", "sh", "zsh") and "-c" not in inner:
                return "mutating", "opens an interactive shell in the pod"
            return level, why
        return "mutating", f"{tool} {verb} runs a command in the pod"
    if verb == "delete":
        everything = any(a in ("--all", "-A", "--all-namespaces") or a.startswith("--all=") for a in args)
        selector = any(a in ("-l", "--selector") or a.startswith(("-l=", "--selector=")) for a in args)
        kind = (rest[0].split("/")[0] if rest else "").lower()
        precious = {
            "namespace",
            "namespaces",
            "ns",
            "pv",
            "pvc",
            "persistentvolume",
            "persistentvolumes",
            "persistentvolumeclaim",
            "persistentvolumeclaims",
            "crd",
            "crds",
            "customresourcedefinition",
            "customresourcedefinitions",
            "node",
            "nodes",
            "statefulset",
            "statefulsets",
            "sts",
            "deployment",
            "deployments",
            "deploy",
            "secret",
            "secrets",
            "service",
            "services",
            "svc",
            "all",
            "configmap",
            "configmaps",
            "cm",
            "daemonset",
            "daemonsets",
            "ds",
            "project",
            "projects",
        }
        if any(a in ("--force", "--force=true", "--grace-period=0", "--now") for a in args):
            return "destructive", f"{tool} delete --force skips graceful shutdown (a StatefulSet pod may run twice)"
        if selector and not everything and kind in ("pod", "pods", "po"):
            return "mutating", f"{tool} delete pods by label (their controllers recreate them)"
        if everything or selector or kind in precious or "-f" in args or "--filename" in args or len(rest) > 2:
            return "destructive", f"{tool} delete {' '.join(rest[:2])}".strip() + (" --all" if everything else "")
        return "mutating", f"{tool} delete {' '.join(rest[:2])} (the controller recreates it)"
    if verb == "drain":
        return "destructive", f"{tool} drain evicts every pod from the node"
    if (
        verb == "scale"
        and any(a in ("--replicas=0",) for a in args)
        or (verb == "scale" and "--replicas" in args and args[args.index("--replicas") + 1 :][:1] == ["0"])
    ):
        return "destructive", f"{tool} scale --replicas=0 takes the workload down"
    if verb == "replace" and "--force" in args:
        return "destructive", f"{tool} replace --force deletes and recreates"
    if verb == "apply" and any(a.startswith("--prune") for a in args):
        return "destructive", f"{tool} apply --prune deletes resources missing from the files"
    if verb == "adm":
        sub = rest[0] if rest else ""
        if sub in ("drain",):
            return "destructive", f"{tool} adm drain evicts every pod from the node"
        if sub in ("top", "inspect", "must-gather", "node-logs", "upgrade" if len(rest) == 1 else ""):
            return "read-only", ""
    return "mutating", f"{tool} {verb}".strip()


def _aws(args: list[str]) -> tuple[Danger, str]:
    from agent.checks import catalogue

    words = shellwords.positionals(args, {f for f, takes in catalogue.global_flags("aws").items() if takes})
    service = words[0] if words else ""
    op = words[1] if len(words) > 1 else ""
    if service == "s3":
        if op in ("ls", "presign"):
            return "read-only", ""
        if op in ("rm", "rb") or (op in ("sync", "mv") and "--delete" in args) or op == "mv":
            return "destructive", f"aws s3 {op} deletes objects"
        return "mutating", f"aws s3 {op}"
    if (
        op == "wait"
        or op.startswith(
            (
                "describe-",
                "list-",
                "get-",
                "head-",
                "lookup-",
                "search-",
                "batch-get-",
                "validate-",
                "estimate-",
                "simulate-",
                "filter-",
                "test-",
                "preview-",
            )
        )
        or op in ("scan", "query", "tail", "get-caller-identity", "help")
    ):
        return "read-only", ""
    if (
        op.startswith(
            (
                "delete-",
                "terminate-",
                "purge-",
                "deregister-",
                "failover-",
                "remove-",
                "drop-",
                "disable-",
                "revoke-",
                "detach-volume",
                "cancel-",
                "abort-",
                "batch-delete",
                "empty-",
                "promote-",
                "force-",
            )
        )
        or "--force-failover" in args
    ):
        return "destructive", f"aws {service} {op}"
    return "mutating", f"aws {service} {op}"


def _psql(argv: list[str], heredocs: list[tuple[str, bool]]) -> tuple[Danger, str]:
    from agent.checks.sql import psql_sql

    sqls = psql_sql(shellwords.Simple(argv, argv, [False] * len(argv), [], [], " ".join(argv)))
    sqls += [body for body, _ in heredocs]
    if any(a in ("-f", "--file") or a.startswith("--file=") for a in argv):
        return "mutating", "runs a SQL file the checker can't see"
    if not sqls:
        if any(a in ("-l", "--list", "-V", "--version") for a in argv):
            return "read-only", ""
        return "mutating", "opens an interactive psql session"
    return _max([classify_sql(s) for s in sqls])


_SQL_DESTRUCTIVE_FUNCS = re.compile(
    r"\b(pg_terminate_backend|pg_drop_replication_slot|lo_unlink|pg_promote|pg_replication_origin_drop|"
    r"dblink_exec|pg_file_unlink)\s*\(",
    re.I,
)
_SQL_MUTATING_FUNCS = re.compile(
    r"\b(pg_cancel_backend|pg_reload_conf|pg_switch_wal|pg_rotate_logfile|setval|nextval|set_config|"
    r"pg_create_\w+|pg_advisory\w*|pg_stat_reset\w*|pg_wal_replay_\w+|pg_backup_\w+|pg_start_backup|"
    r"pg_stop_backup|pg_create_restore_point)\s*\(",
    re.I,
)


def classify_sql(sql: str) -> tuple[Danger, str]:
    from agent.checks.sql import statement_kinds

    bare = re.sub(r"/\*.*?\*/|--[^\n]*", " ", sql, flags=re.S)  # a function named in a comment does not run
    bare = re.sub(r"'(?:[^']|'')*'", "''", bare)
    if m := _SQL_DESTRUCTIVE_FUNCS.search(bare):
        return "destructive", f"{m.group(1)}()"
    kinds = statement_kinds(sql)
    if kinds is None:  # does not parse: judge by the first keywords
        first = bare.strip().split(None, 1)[0].upper() if bare.strip() else ""
        if first in ("DROP", "TRUNCATE", "DELETE"):
            return "destructive", f"SQL {first}"
        if first in ("SELECT", "SHOW", "EXPLAIN", "WITH") and not _SQL_MUTATING_FUNCS.search(bare):
            return "read-only", ""
        return "mutating", f"SQL {first}"
    results: list[tuple[Danger, str]] = []
    for kind in kinds:
        label = re.sub(r"Stmt$", "", kind)
        if kind in (
            "DropStmt",
            "TruncateStmt",
            "DeleteStmt",
            "DropdbStmt",
            "DropRoleStmt",
            "DropTableSpaceStmt",
            "DropSubscriptionStmt",
            "DropOwnedStmt",
            "DropUserMappingStmt",
        ):
            results.append(("destructive", f"SQL {label.upper()}"))
        elif kind == "UpdateStmt" and not re.search(r"\bwhere\b", bare, re.I):
            results.append(("destructive", "SQL UPDATE without WHERE"))
        elif kind == "AlterTableStmt" and re.search(r"\bdrop\b", bare, re.I):
            results.append(("destructive", "ALTER TABLE ... DROP"))
        elif kind in ("SelectStmt", "VariableShowStmt", "TransactionStmt", "VariableSetStmt"):
            if kind == "SelectStmt" and (
                re.search(r"\binto\b", bare, re.I) or re.search(r"\bfor\s+(update|share)\b", bare, re.I)
            ):
                results.append(("mutating", "SELECT INTO / FOR UPDATE"))
            elif m := _SQL_MUTATING_FUNCS.search(bare):
                results.append(("mutating", f"{m.group(1)}()"))
            else:
                results.append(("read-only", ""))
        elif kind == "ExplainStmt":
            analyze = re.search(r"\banaly[sz]e\b", bare, re.I)
            if analyze and re.search(r"\b(insert|update|delete|drop|truncate)\b", bare, re.I):
                results.append(("mutating", "EXPLAIN ANALYZE runs the statement"))
            else:
                results.append(("read-only", ""))
        elif kind == "CopyStmt" and re.search(r"\bto\s+stdout\b", bare, re.I):
            results.append(("read-only", ""))
        else:
            results.append(("mutating", f"SQL {label}"))
    return _max(results)


@cache
def redis_commands() -> dict[str, dict[str, object]]:
    """COMMAND INFO/DOCS of a real redis-server, committed as data (see data/README)."""
    path = Path(__file__).parent / "data" / "redis_commands.json"
    try:
        data: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["commands"]
    except (OSError, ValueError, KeyError):
        return {}
    return data


_REDIS_DESTRUCTIVE = {
    "FLUSHALL": "deletes every key in every database",
    "FLUSHDB": "deletes every key in the database",
    "SHUTDOWN": "stops the server",
    "DEBUG": "can crash or block the server",
    "SWAPDB": "swaps two databases",
    "REPLICAOF": "turns the server into a replica (drops its data)",
    "SLAVEOF": "turns the server into a replica (drops its data)",
    "FAILOVER": "fails over",
    "CLUSTER FAILOVER": "fails over",
    "CLUSTER RESET": "resets the node",
    "CLUSTER FORGET": "removes a node",
    "CLUSTER FLUSHSLOTS": "drops slots",
    "SCRIPT FLUSH": "drops all scripts",
    "FUNCTION FLUSH": "drops all functions",
    "FUNCTION DELETE": "drops a library",
    "CONFIG RESETSTAT": "resets statistics",
}
_REDIS_READ = {
    "GET",
    "MGET",
    "EXISTS",
    "TTL",
    "PTTL",
    "TYPE",
    "INFO",
    "PING",
    "DBSIZE",
    "SCAN",
    "HGET",
    "HGETALL",
    "LLEN",
    "SCARD",
    "ZCARD",
    "STRLEN",
    "LRANGE",
    "SMEMBERS",
    "ZRANGE",
    "HLEN",
    "CLIENT LIST",
    "SLOWLOG GET",
    "MEMORY USAGE",
    "MEMORY STATS",
    "CONFIG GET",
    "LATENCY LATEST",
    "ROLE",
    "TIME",
    "KEYS",
    "XLEN",
    "XINFO",
}


def redis_name(words: list[str]) -> str:
    """`CONFIG GET maxmemory` → "CONFIG GET"; `get x` → "GET"."""
    if not words:
        return ""
    first = words[0].upper()
    table = redis_commands()
    entry = table.get(first.lower())
    subs = entry.get("subcommands") if entry else None
    if len(words) > 1 and (
        isinstance(subs, dict)
        and f"{first.lower()}|{words[1].lower()}" in subs
        or not table
        and f"{first} {words[1].upper()}" in set(_REDIS_DESTRUCTIVE) | _REDIS_READ
    ):
        return f"{first} {words[1].upper()}"
    return first


# Sentinel's commands are not in a data node's COMMAND table.
_SENTINEL_READ = {"masters", "master", "replicas", "slaves", "sentinels", "get-master-addr-by-name", "ckquorum",
                  "info-cache", "is-master-down-by-addr", "myid", "debug", "config"}
_SENTINEL_DESTRUCTIVE = {"failover": "forces a failover of the master", "reset": "resets every master it matches",
                         "remove": "stops monitoring the master"}


def classify_redis(words: list[str]) -> tuple[Danger, str]:
    if words and words[0].lower() == "sentinel":
        sub = words[1].lower() if len(words) > 1 else ""
        if sub in _SENTINEL_DESTRUCTIVE:
            return "destructive", f"SENTINEL {sub.upper()} {_SENTINEL_DESTRUCTIVE[sub]}"
        if sub in _SENTINEL_READ and not (sub == "config" and words[2:3] and words[2].lower() == "set"):
            return "read-only", ""
        return "mutating", f"SENTINEL {sub.upper()}"
    name = redis_name(words)
    if not name:
        return "read-only", ""
    if name in _REDIS_DESTRUCTIVE:
        return "destructive", f"{name} {_REDIS_DESTRUCTIVE[name]}"
    if name.split()[0] in _REDIS_DESTRUCTIVE and " " not in name:
        return "destructive", f"{name} {_REDIS_DESTRUCTIVE[name.split()[0]]}"
    table = redis_commands()
    first = name.split()[0].lower()
    entry = table.get(first)
    if entry and " " in name:
        subs = entry.get("subcommands")
        entry = subs.get(name.lower().replace(" ", "|")) if isinstance(subs, dict) else entry
    if entry:
        flags = {str(f) for f in entry.get("flags", [])}  # type: ignore[attr-defined]
        cats = {str(c) for c in entry.get("acl_categories", [])}  # type: ignore[attr-defined]
        if "readonly" in flags and "@dangerous" not in cats or name in _REDIS_READ:
            return "read-only", ""
        if "@dangerous" in cats and "write" in flags:
            return "destructive", f"redis {name} (@dangerous)"
        return "mutating", f"redis {name}"
    return ("read-only", "") if name in _REDIS_READ else ("mutating", f"redis {name}")


@cache
def redis_cli_value_flags() -> frozenset[str]:
    """redis-cli's options that take a value (declared once, in the catalogue)."""
    from agent.checks import catalogue

    return frozenset(f for f, takes in catalogue.global_flags("redis-cli").items() if takes)


def redis_cli_words(args: list[str]) -> list[str]:
    """The command words a redis-cli argv sends (after its options)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in redis_cli_value_flags() else 1
    return args[i:]


def _redis_cli(args: list[str]) -> tuple[Danger, str]:
    if "--cluster" in args:
        sub = args[args.index("--cluster") + 1] if args.index("--cluster") + 1 < len(args) else ""
        if sub in ("check", "info", "help"):
            return "read-only", ""
        return ("destructive" if sub in ("del-node", "fix", "rebalance", "reshard") else "mutating"), f"--cluster {sub}"
    if "--rdb" in args:
        return "mutating", "writes an RDB dump file"
    return classify_redis(redis_cli_words(args))


def _curl(args: list[str]) -> tuple[Danger, str]:
    method = "GET"
    for i, a in enumerate(args):
        if a in ("-X", "--request") and i + 1 < len(args):
            method = args[i + 1].upper()
        elif a.startswith("-X") and len(a) > 2:
            method = a[2:].upper()
        elif a.startswith(("--data", "-d", "-F", "--form", "-T", "--upload-file", "--json")) and method == "GET":
            method = "POST"
    if method == "DELETE":
        return "destructive", "curl -X DELETE"
    if method not in ("GET", "HEAD", "OPTIONS"):
        return "mutating", f"curl {method}"
    if any(a in ("-o", "--output", "-O", "--remote-name") for a in args):
        return "mutating", "curl writes a file"
    return "read-only", ""


def _split(text: str) -> list[str]:
    parsed = shellwords.parse(text)
    return parsed.commands[0].argv if parsed.commands else []


# --- the check: destructive commands need a warning next to them --------------------------------

_WARNING_BEFORE = re.compile(
    r"^\s*(?:>\s*)?(?:[-*]\s+)?(?:[⚠️🛑❗️🚨\s]*)(?:\*\*|__)?\s*(?:warning|danger|caution|destructive|data loss|important"
    r"|be careful|careful|irreversible|this cannot be undone)\b"
    r"|^\s*>\s*\[!(?:warning|caution|danger)\]",
    re.I | re.M,
)
_WARNING_HEADING = re.compile(r"⚠|\b(?:warning|danger|caution|destructive|data loss|irreversible)\b", re.I)
_WARNING_COMMENT = re.compile(r"^\s*(?:#|--|//)\s*(?:⚠️\s*)?(?:warning|danger|caution|destructive)\b", re.I | re.M)
_WARNING_WORDS = re.compile(r"warning|caution|danger|destructive|data loss|irreversib|cannot be undone|⚠", re.I)
# A consequence stated in plain prose right before the block ("deleting the PVC will result in data loss").
_CONSEQUENCE = re.compile(
    r"\b(?:data loss|los(?:e|es|ing) (?:the |all |your )?data|(?:will|would|is|are) (?:be )?(?:permanently )?"
    r"(?:lost|destroyed|wiped)|irreversib\w*|cannot be undone|can't be undone|not recoverable|unrecoverable|"
    r"permanently (?:delete|remove|destroy|erase)s?)\b", re.I)


def has_warning(cmd: Command) -> bool:
    """A warning before the block (a warning word opening a line, or a consequence stated in the prose),
    as a comment above the command, as the heading the block sits under (`### ⚠️ Destructive: ...`), or
    as the paragraph right after the block."""
    if cmd.inline:
        return bool(_WARNING_WORDS.search(cmd.comment_above))
    if cmd.comment_above and _WARNING_COMMENT.search(cmd.comment_above):
        return True
    if cmd.block is None:
        return False
    block = cmd.block
    return bool(
        _WARNING_BEFORE.search(block.before)
        or _CONSEQUENCE.search(block.before)
        or _WARNING_HEADING.search(block.heading)
        or _WARNING_BEFORE.search(block.after)
    )


def classify_command(cmd: Command) -> tuple[Danger, str]:
    if cmd.language == "shell":
        top = len(shellwords.parse(cmd.text).commands)  # cmd.simple lists these first, then nested ones
        results = [classify_simple(s, cmd.heredocs if i < top else []) for i, s in enumerate(cmd.simple)]
        return _max(_in_loop(cmd.text, results))
    return explain(cmd.text, cmd.language)


def _redis_keys(cmd: Command) -> bool:
    """`KEYS pattern` walks every key while the single-threaded server waits (SCAN doesn't)."""
    if cmd.language == "redis":
        return redis_name(_split(cmd.text)) == "KEYS"
    if cmd.language != "shell":
        return False
    for simple in cmd.simple:
        argv = shellwords.unwrap(simple.argv)
        if argv and argv[0].rsplit("/", 1)[-1] == "redis-cli" and redis_name(redis_cli_words(argv[1:])) == "KEYS":
            return True
    return False


def check(commands: list[Command], emit: Emit) -> None:
    unwarned: dict[str, list[tuple[Command, str]]] = {}  # one finding per command text: a step copied 20 times
    for cmd in commands:
        if _redis_keys(cmd):
            emit(
                cmd.line,
                "danger.redis-keys",
                "warning",
                "KEYS blocks Redis while it walks every key",
                "use `redis-cli --scan --pattern ...` (or SCAN), which doesn't block the server",
            )
        level, why = classify_command(cmd)
        if level != "destructive" or has_warning(cmd):
            continue
        key = " ".join(cmd.text.split())
        unwarned.setdefault(key, []).append((cmd, why))
    for copies in unwarned.values():
        cmd, why = copies[0]
        first = cmd.text.strip().split("\n")[0]
        more = [c.line for c, _ in copies[1:]]
        emit(
            cmd.line,
            "danger.unwarned",
            "error" if not cmd.inline else "warning",
            f"destructive command without a warning: {first[:80]}"
            + (f" ({why})" if why else "")
            + (f"; the same command, unwarned, at line{'s' * (len(more) > 1)} {', '.join(map(str, more[:6]))}"
               + (f" and {len(more) - 6} more" if len(more) > 6 else "") if more else ""),
            "put '> ⚠️ **Destructive:** <blast radius>; <safer alternative or dry run>' right before the block, "
            "or a '# WARNING: ...' comment right above the command",
        )
