"""The CLI catalogue: its data loads and follows the format's rules, covers what the danger
classifier knows, and argv is read against it the way the tools read it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.checks import catalogue
from agent.checks.catalogue import values
from agent.checks.catalogue.parse import parse


def _parse(line: str) -> tuple[str, object]:
    tool, *args = line.split()
    entry = catalogue.tool(tool)
    assert entry is not None, tool
    p = parse(entry, args)
    return " ".join(p.path), p


def test_loads_and_every_entry_is_reviewable() -> None:
    tools = catalogue.tools()
    assert len(set(map(id, tools.values()))) > 150
    for tool in tools.values():
        for cmd in [*tool.commands.values(), tool.default]:
            if cmd.klass in ("mutating", "destructive"):
                assert cmd.reason, (tool.name, cmd.path)
            if cmd.live:
                assert cmd.args is not None, (tool.name, cmd.path)
        for flag in tool.flags.values():
            if flag.klass in ("mutating", "destructive"):
                assert flag.reason


def test_covers_the_tools_danger_knows() -> None:
    # The utilities danger.py held in its own lists before it read the catalogue, and the tools it has rules for.
    known = {".", "[", "[[", "arp", "awk", "base64", "basename", "bat", "bc", "blkid", "cat", "cd", "column", "comm",
             "cut", "date", "dd", "declare", "df", "diff", "dig", "dirname", "dmesg", "dmsetup", "du", "echo", "egrep",
             "env", "ethtool", "export", "expr", "false", "fdisk", "fgrep", "file", "findmnt", "fold", "free",
             "getent", "grep", "halt", "head", "history", "host", "hostname", "htop", "id", "ifconfig", "iostat",
             "ip", "jobs", "join", "jq", "killall", "last", "less", "ll", "local", "locate", "ls", "lsblk", "lscpu",
             "lsmod", "lsof", "man", "md5sum", "more", "mpstat", "mtr", "nc", "netstat", "nl", "nproc", "nslookup",
             "numfmt", "nvidia-smi", "nvme", "od", "openssl", "parted", "paste", "pg_controldata", "pg_isready",
             "pg_lsclusters", "pgrep", "pidof", "ping", "poweroff", "printenv", "printf", "ps", "pwd", "read",
             "readlink", "realpath", "reboot", "rg", "rm", "rmdir", "route", "sar", "seq", "set", "sha256sum",
             "shred", "shutdown", "sleep", "smartctl", "sort", "source", "ss", "stat", "strings", "sysctl", "tac",
             "tail", "tcpdump", "telnet", "test", "top", "tr", "traceroute", "tree", "true", "truncate", "type",
             "ulimit", "uname", "uniq", "unset", "uptime", "vmstat", "w", "wait", "wc", "which", "who", "whoami",
             "wipefs", "xxd", "yq", "zcat", "zgrep"}
    known |= {"kubectl", "oc", "helm", "aws", "psql", "redis-cli", "docker", "podman", "docker-compose",
              "systemctl", "journalctl", "find", "sed", "tee", "curl", "wget", "xargs", "watch", "timeout",
              "sudo", "nohup", "time", "bash", "sh", "ssh", "kill", "pkill", "etcdctl", "patronictl", "pg_ctl",
              "terraform", "git", "apt-get", "iptables", "gcloud", "pg_dump", "crictl", "mount"}
    missing = sorted(t for t in known if catalogue.tool(t) is None)
    assert missing == []


def test_live_is_an_explicit_marking_not_the_class() -> None:
    # read-only in the catalogue, but not marked live: the live runner won't run these
    for line in ("kubectl diff -f x.yaml", "helm template chart", "terraform plan", "git log", "etcdctl get k"):
        _, p = _parse(line)
        assert p.command.klass == "read-only" and not p.command.live, line  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "path", "klass"),
    [
        ("kubectl -n prod get pods -o wide", "get", "read-only"),
        ("kubectl logs deploy/api --tail=10 -f", "logs", "streaming"),
        ("kubectl logs deploy/api --follow=false", "logs", "read-only"),
        ("kubectl rollout status deploy/api", "rollout status", "read-only"),
        ("kubectl rollout restart deploy/api", "rollout restart", "mutating"),
        ("kubectl delete pod api-0", "delete", "mutating"),
        ("kubectl delete pods --all", "delete", "destructive"),
        ("kubectl exec -it db -- sh", "exec", "interactive"),
        ("helm uninstall api", "uninstall", "destructive"),
        ("docker compose down -v", "compose down", "destructive"),
        ("curl -fsS http://x/health", "", "read-only"),
        ("curl -XDELETE http://x/a", "", "destructive"),
        ("curl -d a=1 http://x/a", "", "mutating"),
        ("curl -o /tmp/out http://x/a", "", "mutating"),
        ("curl -o /dev/null http://x/a", "", "read-only"),
        ("systemctl restart nginx", "restart", "mutating"),
        ("journalctl --vacuum-size=1G", "", "destructive"),
        ("dmesg -C", "", "destructive"),
        ("patronictl -c /etc/patroni.yml failover", "failover", "destructive"),
        ("patronictl query", "query", "mutating"),
        ("terraform fmt", "fmt", "mutating"),
        ("git branch -D main", "branch", "destructive"),
        ("sort -o out.txt in.txt", "", "mutating"),
        ("find /var -name x -delete", "", "destructive"),
    ],
)
def test_classes_with_flags(line: str, path: str, klass: str) -> None:
    got_path, p = _parse(line)
    assert got_path == path
    assert p.klass()[0] == klass, line  # type: ignore[attr-defined]


def test_wrappers_say_where_the_inner_command_starts() -> None:
    assert _parse("docker exec db sh -c 'x'")[1].inner == ["sh", "-c", "'x'"]  # type: ignore[attr-defined]
    assert _parse("kubectl exec db -n x -- psql -c 1")[1].inner == ["psql", "-c", "1"]  # type: ignore[attr-defined]
    assert _parse("timeout 5 kubectl get pods")[1].inner == ["kubectl", "get", "pods"]  # type: ignore[attr-defined]
    assert _parse("sudo -u postgres psql")[1].inner == ["psql"]  # type: ignore[attr-defined]


def test_unknown_flags_and_combined_short_flags() -> None:
    _, p = _parse("psql -Xf - -c 1")
    assert p.problem == "" and p.has("--file")  # type: ignore[attr-defined]
    _, p = _parse("psql -Xq9 db")
    assert "unknown flag -9" in p.problem  # type: ignore[attr-defined]
    _, p = _parse("kubectl get pods --frobnicate")
    assert p.problem == "unknown flag --frobnicate"  # type: ignore[attr-defined]
    _, p = _parse("curl -fsSm5 http://x/")
    assert p.problem == "" and [u.value for u in p.flags] == [None, None, None, "5"]  # type: ignore[attr-defined]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30))
def test_plain_values_never_carry_shell_syntax(value: str) -> None:
    if values.plain(value):  # `*` may stay: no shell ever globs a value we substitute
        assert not set(value) & set(" \t\n;|&$`'\"()<>?[]{}\\!#")
        assert not value.startswith("-")


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
def test_random_subcommand_names_fall_to_the_default(name: str) -> None:
    entry = catalogue.tool("kubectl")
    assert entry is not None
    p = parse(entry, [name, "x"])
    if (name,) not in entry.commands and not entry.is_subcommand_prefix((name,)):
        assert not p.listed and p.command.klass == "mutating" and not p.command.live


def test_value_kinds() -> None:
    assert values.valid("http-url", "https://api.example.com:8443/healthz?x=1")
    for bad in ("gopher://127.0.0.1:6379/_FLUSHALL", "dict://h:6379/", "file:///etc/passwd", "http://a b/", "-o"):
        assert not values.valid("http-url", bad), bad
    assert values.valid("awk-program", "{print $1, $3}")
    for bad in ('{system("id")}', '{print > "/tmp/x"}', '{"id" | getline}', "BEGIN{while((getline l<\"f\")>0)print l}"):
        assert not values.valid("awk-program", bad), bad
    assert values.valid("sed-script", "s/a/b/g") and values.valid("sed-script", "1,5p")
    for bad in ("s/a/b/e", "s/a/b/w /tmp/x", "1e id", "w /tmp/x", "r /etc/passwd"):
        assert not values.valid("sed-script", bad), bad
    assert values.valid("header", "Accept: application/json")
    assert not values.valid("header", "X-HTTP-Method-Override: DELETE")
    assert not values.valid("curl-writeout", "%output{/tmp/x}%{http_code}")


def test_data_files_are_in_the_wheel(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(tmp_path), str(root)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip()[:200]}")
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = sorted(p.relative_to(root).as_posix() for p in (root / "agent/checks/catalogue/data").rglob("*.yaml"))
    assert data and all(d in names for d in data)


def test_every_data_file_follows_the_schema() -> None:
    """Validated fresh (not from the JSON copy): the schema is what a reviewer of a data file relies on."""
    parsed = catalogue._parse_and_validate(sorted(catalogue.DATA.glob("*.yaml")))
    assert len(parsed) >= 15


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ({"tool": "t", "commands": {"x": {"class": "mutating"}}}, "needs a reason"),
        ({"tool": "t", "commands": {"x": {"class": "read-only", "reasn": "typo"}}}, "Extra inputs"),
        ({"tool": "t", "commands": {"x": {"class": "harmless"}}}, "class"),
        ({"tool": "t", "flags": {"--f": {"class": "destructive"}}}, "needs a reason"),
        ({"tool": "t", "commands": {"x": {"class": "mutating", "reason": "r", "live": True, "args": {}}}}, "live"),
        ({"tool": "t", "verbs": [{"words": ["drop"], "class": "destructive", "reason": "a", "b": None}]}, "Extra"),
        ({"tool": "t", "marks": ["inlined"]}, "marks"),
        ({"tool": "t", "commands": {'set "*"': {"class": "read-only"}}}, "quote"),
        ({"tools": [{"tool": "t", "kinds": {"pod": {"namespaced": "maybe"}}}]}, "namespaced"),
    ],
)
def test_the_schema_rejects(doc: dict[str, object], why: str) -> None:
    from agent.checks.catalogue import schema

    with pytest.raises(ValueError, match=why):
        schema.validate("t.yaml", doc)


def test_marks_name_the_lists_the_checks_use() -> None:
    from agent.checks import markdown, structure

    assert {"kubectl", "oc", "aws", "helm", "psql", "redis-cli"} <= catalogue.marked("inline")
    assert {"kubectl", "aws", "grep", "for", "virtctl"} <= markdown.known_commands()
    assert {"kubectl", "aws", "mysql", "vault"} <= structure.notable_clis()
    assert "grep" not in structure.notable_clis()
    with pytest.raises(catalogue.CatalogueError):
        catalogue.marked("nonsense")


def test_kinds_targets_and_rules_are_data() -> None:
    kubectl = catalogue.tool("kubectl")
    assert kubectl is not None
    assert [k.name for k in kubectl.kind("deploy/web,svc")] == ["deployment", "service"]
    assert kubectl.kinds["pvc"].namespaced and not kubectl.kinds["nodes"].namespaced
    assert "precious" in kubectl.kinds["ns"].marks
    _, delete = _parse("kubectl delete ns x")
    assert delete.klass()[0] == "destructive"  # type: ignore[attr-defined]
    _, pods = _parse("kubectl delete pods -l app=x")
    assert pods.klass()[0] == "mutating"  # type: ignore[attr-defined]
    _, many = _parse("kubectl delete pod a b")
    assert many.klass()[0] == "destructive"  # type: ignore[attr-defined]
    _, mount = _parse("mount")
    assert mount.klass()[0] == "read-only"  # type: ignore[attr-defined]
    _, mounts = _parse("mount /dev/sdb1 /mnt")
    assert mounts.klass()[0] == "mutating"  # type: ignore[attr-defined]


def test_a_read_only_flag_never_cancels_a_writing_one() -> None:
    """`wget -o LOG --spider`: --spider lowers the download, not the log file -o writes."""
    _, p = _parse("wget -o /tmp/log --spider http://x/")
    assert p.klass()[0] == "mutating"  # type: ignore[attr-defined]
    _, q = _parse("wget --spider http://x/")
    assert q.klass()[0] == "read-only"  # type: ignore[attr-defined]


# Live values that name where a tool connects. `ip route get HOST` only asks the kernel's table.
_DESTINATION_KINDS = {"host", "http-url", "pg-conninfo", "dig-arg"}
_LOCAL_LOOKUPS = {"ip"}


def test_every_live_tool_that_connects_where_its_arguments_say_is_marked_reaches() -> None:
    """A value read from a command's output is never sent to a tool marked `reaches`: a live tool whose
    positionals or live flags name a host, URL or conninfo must carry the mark, or a captured secret
    could leave in its arguments (red team round 3)."""
    unmarked = set()
    for name, tool in catalogue.tools().items():
        for cmd in [*tool.commands.values(), tool.default]:
            if not cmd.live or name in _LOCAL_LOOKUPS:
                continue
            kinds = set(cmd.args.kinds if cmd.args else ())
            flags = {*cmd.flags.values(), *tool.flags.values()}
            kinds |= {f.value for f in flags if f.live and f.value}
            kinds |= {f.role for f in flags if f.live and f.role}
            if kinds & _DESTINATION_KINDS and not tool.reaches:
                unmarked.add(name)
    assert not unmarked
    assert {"curl", "wget", "psql", "redis-cli", "dig", "getent", "openssl"} <= {
        n for n, t in catalogue.tools().items() if t.reaches}
