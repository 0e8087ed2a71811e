"""Reading a code block as a reader would: which lines are commands (after a prompt, or plain),
which are the output those commands printed, and which belong to an interactive program the
commands opened (a psql, redis-cli or Rails console).

Runbooks paste terminal sessions into fences of every tag: `$ ` and `$> ` prompts, `host $ ` and
`[root@db1 ~]# ` prompts, `# ` root prompts after `oc debug node/x` or `chroot /host`, psql's
`db=# `, redis-cli's `127.0.0.1:6379> `, `gpg> `, `(gdb) `, `irb(main):001:0> `; and output lines
(tables, `(N rows)`, `ls -l` listings, JSON, YAML, log lines, `kubectl get` columns) with or
without prompts. `read` labels each line so the checks look only at commands, each in its own
language, and never at output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# "shell", "sql", "redis", "session" (a program we don't check), "output", "comment", "blank", and
# "broken": flags on a line of their own after a command that did not end with `\`.
Kind = str

# Shell prompts: `$ `, `$> `, `sh-5.1# `, `bash-4.4$ `, `[root@db1 ~]# `, `user@host:~$ `,
# `(venv) $ `, `❯ `, and `host $ ` / `host # ` where host looks like a machine name.
_SHELL_PROMPT = re.compile(
    r"^(\s*)(?:"
    r"\$>?"
    r"|[\w.-]+-\d[\w.]*[$#]"
    r"|\[[\w.@-]+ [^\]]*\][$#]"
    r"|[\w.-]+@[\w.-]+(?::[^\s$#]*)?[$#]"
    r"|\([\w.-]+\)\s*\$"
    r"|❯"
    r"|(?=[\w.@-]*[-.\d])[\w.@-]+\s*\$"
    r"|(?=[\w.@-]*[-.\d])[\w.@-]+\s*#"
    r"|(?:workstation|laptop|local|localhost|console|bastion|host|server|node|root|admin|user)\s*[$#]"
    r") (.*)$"
)
# psql (`db=# `, `db=> `, continuation `db-# `, `db(# `), mysql, redis-cli.
_SQL_PROMPT = re.compile(r"^(\s*)(?:[A-Za-z_][\w.-]*[=\-(]\s?[#>]|mysql>|MariaDB \[[^\]]*\]>|\s*->) ?(.*)$")
_REDIS_PROMPT = re.compile(r"^(\s*)(?:[\w.-]+:\d+(?:\[\d+\])?|redis|redis-cli)> ?(.*)$")
# Programs whose input we don't check: gpg, gdb, Ruby/Rails, Python, sqlite, cqlsh, ...
_SESSION_PROMPT = re.compile(
    r"^(\s*)(?:gpg>|\(gdb\)|\(Pdb\)|sqlite>|s?ftp>|cqlsh(?::[\w.]+)?>|ksql>|>>>|mongosh?>|[\w-]+ \[[\w-]+\]>"
    r"|irb\([^)]*\):\d+(?::\d+)?[>*]|\[\d+\] pry\([^)]*\)[>*]|hbase\([^)]*\):\d+:\d+>|[\w-]+\([\w.-]+\)>"
    r"|rs\d*:[A-Z]+>|zk: [^\]]*\]) ?(.*)$"
)
# A prompted command that opens a shell on another machine or root: `# ` lines after it are its commands.
_OPENS_SHELL = re.compile(
    r"^(?:sudo\s+(?:-i|-s|su\b.*)|su\b.*|chroot\s+\S+\s*$|(?:oc|kubectl)\s+(?:debug|rsh)\b.*"
    r"|(?:oc|kubectl)\s+exec\b.*\s--?\s*(?:ba|z)?sh\s*$|ssh\s+\S+\s*$|nsenter\b.*|toolbox\s*$|(?:ba|z)?sh\s*$)"
)

_LS_LONG = re.compile(r"^[-dlcbps][rwxsStT-]{9}[.+@]?\s+\d")
_CAPS_HEADER = re.compile(r"^[A-Z][A-Z0-9_()%/.-]*(?:\s{2,}[A-Z][A-Z0-9_()%/. -]*){1,}$")
_NUMBERISH = re.compile(r"^[\d.,:/%+-]+[a-zA-Z%]{0,3}$")
_KV_LOG = re.compile(r"^[\w.\"-]+=(?:\"[^\"]*\"|\S*)$")
_TABLE = re.compile(r"^(?:\||\+[-=+]|[-=]{3,}|[-=]+\+[-=+]*|\(\d+ rows?\)|\.{3}|…)")


@dataclass(frozen=True)
class Reading:
    kind: Kind
    text: str  # a command's text without its prompt; the line as written otherwise
    offset: int  # 0-based line of the block
    prompted: bool = False
    broken: bool = False  # a command's words cut onto this line without a `\` before the break


@dataclass
class Transcript:
    readings: list[Reading] = field(default_factory=list)
    prompted: bool = False  # any line carried a prompt

    def of(self, *kinds: Kind) -> list[Reading]:
        return [r for r in self.readings if r.kind in kinds]

    @property
    def output(self) -> list[int]:
        return [r.offset for r in self.readings if r.kind == "output"]

    @property
    def commands(self) -> list[Reading]:
        return [r for r in self.readings if r.kind in ("shell", "sql", "redis", "session")]


def shell_prompt(line: str) -> str | None:
    """The command after a shell prompt on this line, else None."""
    m = _SHELL_PROMPT.match(line)
    return m.group(2) if m else None


def program_prompt(line: str) -> tuple[Kind, str] | None:
    """(language, input) for a line of a psql / mysql / redis-cli / other program's session."""
    for kind, pattern in (("redis", _REDIS_PROMPT), ("sql", _SQL_PROMPT), ("session", _SESSION_PROMPT)):
        if m := pattern.match(line):
            return kind, m.group(2)
    return None


def has_prompts(code: str) -> bool:
    return any(shell_prompt(ln) is not None or program_prompt(ln) is not None for ln in code.split("\n"))


# klog lines: `I0611 11:13:35.048771  1 log.go:245] ...`, or just `update.go:2641] Rebooting node`.
_KLOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|^[\w.-]+\.go:\d+\]")


def looks_like_output(line: str, known: set[str] | frozenset[str] = frozenset()) -> bool:
    """A line no one would type as a command: tables, listings, JSON/YAML, log lines, columns, prose.
    A line starting with a command in `known` is only output when its shape leaves no doubt."""
    s = line.strip()
    if not s:
        return False
    if _TABLE.match(s) or _LS_LONG.match(s) or _KLOG.match(s) or s in ("},", "]", "],", "[", "OK", "(nil)"):
        return True
    starts = ("- ", "* ", "=> ", "(integer)", "(error)", "(empty", "[{", '["', "[]", "<", '{"', "{'", "`")
    if s.startswith(starts) or re.match(r'^"(?!\$)', s):
        return True  # YAML lists, bullets, redis replies, JSON, `"msg"="..."`, Go code, HTML (not `"$X" ...`)
    words = s.split()
    first = words[0]
    if first.endswith(":") and not first.startswith(("http", "-")) and re.fullmatch(r"[\w.\"'/@-]+:", first):
        return True  # YAML keys, `cluster:`, `Error:`, `health:`
    if _NUMBERISH.match(first) and not re.fullmatch(r"\d+[<>]", first):
        return True  # `57m   Normal ...`, `1 MDSs report slow`, `2/2`, timestamps, IP addresses
    plain = not re.search(r"[=\"'$(`]", first) and first not in known
    if plain and len(words) > 1 and words[1] in ("=", "|", ":"):
        return True  # `- alertname = X`, `key | value`
    if _CAPS_HEADER.match(s):
        return True  # NAME   READY   STATUS
    if re.fullmatch(r"[A-Z][a-z]+[,:]?", first) and plain:
        return True  # prose or a capitalised column: `Warning  FailedScheduling ...`, `Make sure we ...`
    if len(words) >= 2 and all(_KV_LOG.match(w) or w in ("...", "…") for w in words):
        return True  # level=warn ts=... msg="..."
    if len(re.findall(r"\S\s{3,}\S", s)) >= 2 and plain and not re.search(r"(^|\s)-{1,2}[a-zA-Z]|[|;&$<>]", s):
        return True  # columns: `prometheus-k8s-0    2/2   Running   1   122m`
    return False


def _root_command(text: str, known: set[str]) -> bool:
    """`# chroot /host` after a prompt is a root prompt; `# Check the pods` is a comment."""
    words = text.split()
    if not words or words[0] not in known:
        return False
    prose = len(words) >= 3 and all(re.fullmatch(r"[A-Za-z,']+", w) for w in words)
    return not prose


def _continues(text: str) -> bool:
    from agent.checks.shellwords import continues

    return continues(text)


def json_block(content: str) -> bool:
    s = content.strip()
    if not s or s[0] not in "[{":
        return False
    try:
        json.loads(s)
    except ValueError:
        lines = [ln.strip() for ln in s.split("\n") if ln.strip()]
        jsonish = sum(1 for ln in lines if re.match(r'^(?:"[^"]*"\s*:|[\[\]{},]+$)', ln))
        return jsonish * 2 > len(lines)
    return True


def read(content: str, known_commands: set[str] | frozenset[str] = frozenset()) -> Transcript:
    """Label each line of a shell (or untagged) block: commands, sessions' input, output, comments."""
    raw = content.rstrip("\n").split("\n")
    result = Transcript()
    if json_block(content):
        result.readings = [Reading("output" if ln.strip() else "blank", ln, i) for i, ln in enumerate(raw)]
        return result
    prompted = any(shell_prompt(ln) is not None or program_prompt(ln) is not None for ln in raw)
    result.prompted = prompted
    known = set(known_commands)
    carry: Kind | None = None  # the kind of the command still open on the previous line
    heredoc: str | None = None
    in_shell_session = False  # after `oc debug node/x`, `chroot /host`, `ssh host`: `# cmd` is root's prompt
    open_sql = False
    for i, ln in enumerate(raw):
        stripped = ln.strip()
        if heredoc is not None:
            result.readings.append(Reading("shell", ln, i))
            if stripped == heredoc:
                heredoc = None
            continue
        if carry is not None:
            previous = result.readings[-1].text if result.readings else ""
            cut = carry == "shell" and not previous.rstrip().endswith(("\\", "|", "&&", "||")) and bool(
                re.match(r"-{1,2}[A-Za-z]", stripped)
            )
            result.readings.append(Reading(carry, ln, i, broken=cut))
            if carry == "shell":
                joined = "\n".join(r.text for r in result.readings[-6:] if r.kind == "shell")
                still = _continues(joined)
                carry = "shell" if still else None
                heredoc = _heredoc(ln) if not still else None
            continue
        if not stripped:
            result.readings.append(Reading("blank", ln, i))
            continue
        command = shell_prompt(ln)
        if command is not None and not (stripped.startswith("#") and not _root_command(command, known)):
            result.readings.append(Reading("shell", command, i, prompted=True))
            in_shell_session = bool(_OPENS_SHELL.match(command.strip())) or (
                in_shell_session and command.strip() not in ("exit", "logout")
            )
            carry = "shell" if _continues(command) else None
            heredoc = _heredoc(command) if carry is None else None
            continue
        program = program_prompt(ln)
        if program is not None:
            kind, text = program
            if kind == "sql" and stripped.startswith("->") and not open_sql:
                program = None
            else:
                result.readings.append(Reading(kind, text, i, prompted=True))
                if kind == "sql":
                    open_sql = not text.rstrip().endswith((";", "\\g", "\\G")) and not text.lstrip().startswith("\\")
                continue
        if stripped.startswith("#"):
            rest = stripped[1:].strip()
            if prompted and (in_shell_session or stripped.startswith("# ")) and _root_command(rest, known):
                result.readings.append(Reading("shell", rest, i, prompted=True))
                carry = "shell" if _continues(rest) else None
                continue
            result.readings.append(Reading("comment", ln, i))
            continue
        if open_sql:  # psql continuation lines printed without a prompt
            result.readings.append(Reading("sql", ln, i))
            open_sql = not stripped.endswith(";")
            continue
        last = result.readings[-1] if result.readings else None
        after_command = last is not None and last.kind == "shell"
        if looks_like_output(ln, known):
            result.readings.append(Reading("output", ln, i))
            continue
        if re.match(r"-{1,2}[A-Za-z][\w-]*(?:[= ]|$)", stripped):  # a flag can't start a command
            result.readings.append(Reading("broken" if after_command else "output", ln, i))
            continue
        if (
            not prompted
            and stripped[0] in "'\"{["
            and after_command
            and re.search(r"\s-{1,2}[\w-]+\s*$", last.text if last else "")
        ):
            result.readings.append(Reading("broken", ln, i))  # `--patch` then its value on the next line
            continue
        if prompted:
            result.readings.append(Reading("output", ln, i))
            continue
        result.readings.append(Reading("shell", ln, i))
        carry = "shell" if _continues(ln) else None
        heredoc = _heredoc(ln) if carry is None else None
    return result


def _heredoc(text: str) -> str | None:
    from agent.checks.shellwords import heredoc_delimiter

    return heredoc_delimiter(text)


def sql_statements_of(content: str) -> list[tuple[str, int]] | None:
    """Statements typed at psql / mysql prompts (output lines dropped), with their 0-based line;
    None when the block has no such prompts (it is plain SQL)."""
    raw = content.rstrip("\n").split("\n")
    if not any(program_prompt(ln) and program_prompt(ln)[0] == "sql" for ln in raw):  # type: ignore[index]
        return None
    out: list[tuple[str, int]] = []
    current: list[str] = []
    start = 0
    for i, ln in enumerate(raw):
        p = program_prompt(ln)
        if p is not None and p[0] == "sql":
            text = p[1]
            if not current:
                start = i
            if text.strip().startswith("\\"):
                continue
            current.append(text)
        elif current:
            current.append(ln)
        else:
            continue
        if current and current[-1].rstrip().endswith((";", "\\g", "\\G")):
            out.append(("\n".join(current), start))
            current = []
    if current and any(c.strip() for c in current):
        out.append(("\n".join(current), start))
    return out
