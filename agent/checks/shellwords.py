"""Splitting a shell block into the commands a reader pastes, and those into argv words.

Not a full bash parser (bash -n and shellcheck judge syntax): enough to find each simple command's
argv for the CLI checks, the danger classifier and --execute, the variables a block uses and
declares, heredoc bodies (SQL fed to psql) and `$(...)` substitutions, which are read recursively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
_KEYWORDS_BEFORE = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time", "(", "))"}
_KEYWORDS_ALONE = {"fi", "done", "esac", "}", ";;", "then", "else", "do"}


@dataclass
class Line:
    """One logical command line as pasted: continuations joined, heredoc body attached."""

    text: str
    line: int  # 1-based file line of its first physical line
    heredocs: list[tuple[str, bool]] = field(default_factory=list)  # (body, expands variables)
    comment_above: str = ""  # the comment lines right above it (for "# WARNING:" notes)
    source: str = ""  # the physical lines as written, heredoc bodies and delimiters included


@dataclass
class Simple:
    """A simple command: argv after assignments and wrappers, as the shell would see the words."""

    argv: list[str]
    raw: list[str]  # the words as written (quotes kept)
    expanded: list[bool]  # whether each argv word holds a $ expansion
    assignments: list[str]  # NAME=... words before the command
    redirects: list[str]  # redirection targets written to (> file)
    text: str  # the segment's text


@dataclass
class Parsed:
    commands: list[Simple] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)  # $NAME / ${NAME} read without a default
    declares: set[str] = field(default_factory=set)
    substitutions: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)


def has_prompts(code: str) -> bool:
    """Any line carries a shell prompt or a psql / redis-cli / other program's prompt."""
    from agent.checks.transcript import has_prompts as _has

    return _has(code)


def logical_lines(code: str, first_line: int) -> list[Line]:
    """Commands of a shell script (prompts and output already removed, see `transcript`):
    continuations joined, heredoc bodies attached, the comment lines right above kept.
    The `Line`s are shared by calls with the same arguments (the checks read a block several
    times): read them, don't change them."""
    return list(_logical_lines(code, first_line))


@lru_cache(maxsize=2048)
def _logical_lines(code: str, first_line: int) -> tuple[Line, ...]:
    raw = code.split("\n")
    out: list[Line] = []
    comments: list[str] = []
    i = 0
    while i < len(raw):
        text = raw[i]
        start = i
        stripped = text.strip()
        if not stripped:
            comments = []
            i += 1
            continue
        if stripped.startswith("#"):
            comments.append(stripped)
            i += 1
            continue
        # Continuations: a trailing backslash, or an unclosed quote / $( / pipe at the end.
        while i + 1 < len(raw) and (_continues(text)):
            i += 1
            nxt = raw[i]
            if text.rstrip().endswith("\\"):
                text = text.rstrip()[:-1].rstrip() + " " + nxt.strip()
            else:
                text = text + "\n" + nxt
        i += 1
        physical = [text]
        heredocs: list[tuple[str, bool]] = []
        masked = _mask_quotes(text)
        for m in (_HEREDOC.match(text, k) for k in range(len(text)) if masked.startswith("<<", k)):
            if m is None or (m.start() > 0 and text[m.start() - 1] == "<") or text.startswith("<<<", m.start()):
                continue
            strip_tabs, quoted, delim = m.group(1) == "-", bool(m.group(2)), m.group(3)
            body: list[str] = []
            while i < len(raw):
                ln = raw[i]
                i += 1
                physical.append(ln)
                if (ln.lstrip("\t") if strip_tabs else ln).strip() == delim:
                    break
                body.append(ln)
            heredocs.append(("\n".join(body), not quoted))
        out.append(Line(text, first_line + start, heredocs, "\n".join(comments), "\n".join(physical)))
        comments = []
    return tuple(out)


def heredoc_delimiter(text: str) -> str | None:
    """The delimiter of a heredoc this line starts (`cat <<EOF`, `psql <<-'SQL'`), else None."""
    masked = _mask_quotes(text)
    for k in range(len(text)):
        if masked.startswith("<<", k) and not masked.startswith("<<<", k) and (k == 0 or text[k - 1] != "<"):
            if m := _HEREDOC.match(text, k):
                return m.group(3)
    return None


def continues(text: str) -> bool:
    """The command goes on on the next line: a trailing backslash, pipe or `&&`, or an open quote."""
    return _continues(text)


def _continues(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return True
    t = text.rstrip()
    if t.endswith(("|", "&&", "||")):
        return True
    return _unbalanced(text)


def _unbalanced(text: str) -> bool:
    """An open quote, `$(` or `(` at the end of the text (quotes inside `$(...)` nest, as in bash)."""
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        top = stack[-1] if stack else ""
        if c == "\\":
            i += 2
            continue
        if top == '"':
            if c == '"':
                stack.pop()
            elif text.startswith("$(", i):
                stack.append("$(")
                i += 1
            elif c == "`":
                k = text.find("`", i + 1)
                if k < 0:
                    return True
                i = k
        elif c == "'":
            k = text.find("'", i + 1)
            if k < 0:
                return True
            i = k
        elif c == '"':
            stack.append('"')
        elif c == "#" and (i == 0 or text[i - 1] in " \t;|&("):
            nl = text.find("\n", i)
            if nl < 0:
                break
            i = nl
        elif text.startswith("$(", i):
            stack.append("$(")
            i += 1
        elif c == "(":
            stack.append("(")
        elif c == ")" and top in ("$(", "("):
            stack.pop()
        i += 1
    return bool(stack)


def _mask_quotes(text: str) -> str:
    """The text with quoted parts blanked, so `<<` inside a string is not a heredoc."""
    out = []
    quote = ""
    for c in text:
        if quote:
            out.append(" ")
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


_OPS = ("&&", "||", ";;", "|&", "|", ";", "&", "\n")
_REDIRS = ("&>>", "&>", ">>", ">|", "<<<", "<>", ">&", "<&", ">", "<")
_REDIRECT = re.compile(r"\d*(" + "|".join(re.escape(r) for r in _REDIRS) + r")")


def parse(text: str) -> Parsed:
    """Words and operators of one logical line; simple commands with their argv. The `Simple`s are
    shared by calls with the same text (a command is read by several checks): read them, don't
    change them; the lists holding them are the caller's own."""
    found = _parse(text)
    return Parsed(list(found.commands), list(found.uses), set(found.declares), list(found.substitutions),
                  list(found.operators))


@lru_cache(maxsize=8192)
def _parse(text: str) -> Parsed:
    result = Parsed()
    words: list[tuple[str, str, bool]] = []  # (value, raw, expanded)
    segment_start = 0

    def flush(end: int) -> None:
        nonlocal words, segment_start
        if words:
            simple = _simple(words, text[segment_start:end].strip(), result)
            if simple is not None:
                result.commands.append(simple)
        words = []
        segment_start = end

    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t\n;|&("):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None) if c in "&|;\n" else None
        if op:
            result.operators.append(op.strip() or "\\n")
            flush(i)
            i += len(op)
            segment_start = i
            continue
        if c in "()" and not words:
            i += 1
            segment_start = i
            continue
        if text.startswith(("<(", ">("), i):  # process substitution: a command that runs too
            j = _matching(text, i + 1, "(", ")")
            result.substitutions.append(text[i + 2 : j - 1])
            words.append(("/dev/fd/63", text[i:j], True))
            i = j
            continue
        # A redirection, optionally with a file descriptor number before it.
        m = _REDIRECT.match(text, i) if c in "<>&" or c.isdigit() else None
        if m:
            i = m.end()
            while i < n and text[i] in " \t":
                i += 1
            target, raw, _, i = _word(text, i, result)
            words.append(("\x00redirect" + m.group(1), raw, False))
            words.append((target, raw, False))
            continue
        value, raw, expanded, i = _word(text, i, result)
        if raw:
            words.append((value, raw, expanded))
        else:
            i += 1
    flush(n)
    return result


def _word(text: str, i: int, result: Parsed) -> tuple[str, str, bool, int]:
    """Read one word from `i`: (value with quotes removed, raw text, has expansion, next index)."""
    start = i
    value: list[str] = []
    expanded = False
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\n;&|<>" or (c in "()" and not text.startswith("$(", i)):
            if c == "(" and value and text[i - 1] == "=":  # arr=( ... )
                j = _matching(text, i, "(", ")")
                value.append(text[i:j])
                i = j
                continue
            break
        if c == "\\":
            if i + 1 < n and text[i + 1] != "\n":
                value.append(text[i + 1])
            i += 2
            continue
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            value.append(text[i + 1 : j])
            i = j + 1
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] not in '$`"\\\n':
                    value.append("\\")  # in double quotes a backslash escapes only $ ` " \ and newline
                    i += 1
                elif text[i] == "\\" and i + 1 < n:
                    if text[i + 1] != "\n":
                        value.append(text[i + 1])
                    i += 2
                elif text[i] in "$`":
                    piece, i = _expansion(text, i, result)
                    value.append(piece)
                    expanded = True
                else:
                    value.append(text[i])
                    i += 1
            i += 1
            continue
        if c in "$`":
            piece, i = _expansion(text, i, result)
            value.append(piece)
            expanded = expanded or piece != "$"
            continue
        value.append(c)
        i += 1
    return "".join(value), text[start:i], expanded, i


def _matching(text: str, i: int, open_: str, close: str) -> int:
    """Index just past the `close` matching the `open_` at i, skipping quoted text."""
    depth = 0
    quote = ""
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "'\"":
            quote = c
        elif c == "\\":
            i += 1
        elif c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def _expansion(text: str, i: int, result: Parsed) -> tuple[str, int]:
    """A `$...` or backtick expansion at i: records uses and substitutions; returns (text, next)."""
    if text[i] == "`":
        j = text.find("`", i + 1)
        j = len(text) if j < 0 else j
        result.substitutions.append(text[i + 1 : j])
        return text[i : j + 1], j + 1
    if text.startswith("$((", i):
        j = _matching(text, i + 1, "(", ")")
        inner = text[i + 3 : j - 2]
        # $(...) inside arithmetic is a command substitution, not variable names.
        k = inner.find("$(")
        while k >= 0:
            end = _matching(inner, k + 1, "(", ")")
            result.substitutions.append(inner[k + 2 : end - 1])
            inner = inner[:k] + " 0 " + inner[end:]
            k = inner.find("$(")
        for m in re.finditer(r"\$?\{?([A-Za-z_][A-Za-z0-9_]*)", inner):
            result.uses.append(m.group(1))
        return text[i:j], j
    if text.startswith("$(", i):
        j = _matching(text, i + 1, "(", ")")
        result.substitutions.append(text[i + 2 : j - 1])
        return text[i:j], j
    if text.startswith("${", i):
        j = _matching(text, i + 1, "{", "}")
        inner = text[i + 2 : j - 1]
        pm = re.match(r"[#!]?([A-Za-z_][A-Za-z0-9_]*)(.*)", inner, re.S)
        if pm:
            rest = pm.group(2)
            if not re.match(r":?[-=?+]", rest):  # ${X:-default} does not need X
                result.uses.append(pm.group(1))
            for sub in re.finditer(r"\$\(([^)]*)\)", rest):
                result.substitutions.append(sub.group(1))
        return text[i:j], j
    nm = _NAME.match(text, i + 1)
    if nm:
        result.uses.append(nm.group(0))
        return text[i : nm.end()], nm.end()
    if i + 1 < len(text) and text[i + 1] in "@*#?$!-0123456789":
        return text[i : i + 2], i + 2
    return "$", i + 1


_WRAPPERS_WITH_ARG = {"timeout": 1, "nice": 0, "nohup": 0, "time": 0, "exec": 0, "command": 0, "stdbuf": 0}


def _simple(words: list[tuple[str, str, bool]], text: str, result: Parsed) -> Simple | None:
    argv: list[str] = []
    raw: list[str] = []
    expanded: list[bool] = []
    redirects: list[str] = []
    assignments: list[str] = []
    pending_redirect = ""
    for value, rawword, exp in words:
        if value.startswith("\x00redirect"):
            pending_redirect = value[len("\x00redirect") :]
            continue
        if pending_redirect:
            if (
                ">" in pending_redirect
                and not pending_redirect.startswith((">&", "<&"))
                and value not in ("/dev/null", "/dev/stderr", "/dev/stdout")
                and not value.isdigit()
            ):
                redirects.append(value)
            pending_redirect = ""
            continue
        assign = _ASSIGN.match(value)
        if assign and all(a in _KEYWORDS_BEFORE for a in argv):  # `do X=1`, `then Y=2` assign too
            assignments.append(value)
            result.declares.add(assign.group(1))
            continue
        argv.append(value)
        raw.append(rawword)
        expanded.append(exp)
    # Leading keywords and wrappers that run the next word as the command.
    while argv and argv[0] in _KEYWORDS_BEFORE:
        argv, raw, expanded = argv[1:], raw[1:], expanded[1:]
    if argv and argv[0] in ("for", "select") and len(argv) > 1:
        result.declares.add(argv[1])
        return None
    if argv and argv[0] in ("export", "local", "declare", "typeset", "readonly", "unset"):
        for word in argv[1:]:
            if m := re.match(r"^([A-Za-z_][A-Za-z0-9_]*)", word):
                if not word.startswith("-"):
                    result.declares.add(m.group(1))
    if argv and argv[0] in ("read", "mapfile", "readarray", "getopts"):
        for word in argv[1:]:
            if _NAME.fullmatch(word):
                result.declares.add(word)
    if not argv:
        if not assignments:
            return None
        return Simple([], [], [], assignments, redirects, text)
    if argv[0] in _KEYWORDS_ALONE or argv[0] in ("case", "esac", "in"):
        return None
    return Simple(argv, raw, expanded, assignments, redirects, text)


def unwrap(argv: list[str]) -> list[str]:
    """The command a wrapper runs: `sudo -u postgres psql ...` → `psql ...`, `watch -n 5 kubectl get` →
    `kubectl get`, `timeout 10 curl ...` → `curl ...`, `env A=1 cmd` → `cmd`."""
    argv = list(argv)
    while argv:
        head = argv[0].rsplit("/", 1)[-1]
        if head not in _unwrapped():
            break
        takes = _value_flags(head)  # the wrapper's options that take a value (the catalogue's)
        carries = _command_flags(head)  # `env -S 'cmd args'`: the value is the command
        argv = argv[1:]
        while argv and (argv[0].startswith("-") or head == "env" and _ASSIGN.match(argv[0])):
            if argv[0] in carries and len(argv) > 1:
                argv = [*(parse(argv[1]).commands[0].argv if parse(argv[1]).commands else [argv[1]]), *argv[2:]]
                break
            argv = argv[2:] if argv[0] in takes else argv[1:]
        if head == "timeout":
            argv = argv[1:]  # the duration
    return argv


def uses_and_declares(code: str) -> tuple[list[tuple[str, int]], set[str]]:
    """Every variable a shell text reads (with its line offset) and every one it declares."""
    uses: list[tuple[str, int]] = []
    declares: set[str] = set()
    for line in logical_lines(code, 0):
        parsed = parse(line.text)
        stack = list(parsed.substitutions)
        all_uses = list(parsed.uses)
        declares |= parsed.declares
        while stack:
            sub = parse(stack.pop())
            all_uses.extend(sub.uses)
            declares |= sub.declares
            stack.extend(sub.substitutions)
        for body, expands in line.heredocs:
            if expands:
                all_uses.extend(
                    m.group(1) or m.group(2)
                    for m in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", body)
                )
        uses.extend((u, line.line) for u in all_uses)
    return uses, declares


def body_substitutions(body: str) -> list[str]:
    """The `$(...)` and backtick commands inside an expanding heredoc body (they run too)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("$((", i):
            i = _matching(body, i + 1, "(", ")")
        elif body.startswith("$(", i):
            j = _matching(body, i + 1, "(", ")")
            out.append(body[i + 2 : j - 1])
            i = j
        elif body[i] == "`":
            j = body.find("`", i + 1)
            j = len(body) if j < 0 else j
            out.append(body[i + 1 : j])
            i = j + 1
        else:
            i += 1
    return out


def positionals(args: list[str], takes_value: set[str] | frozenset[str]) -> list[str]:
    """The non-option words of a command's arguments; options in `takes_value` consume the next word."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            break
        if a.startswith("-"):
            skip = a in takes_value
            continue
        out.append(a)
    return out


def _unwrapped() -> frozenset[str]:
    """Wrappers whose inner command is the one that matters (the catalogue marks them `unwrap`)."""
    from agent.checks import catalogue

    return catalogue.marked("unwrap")


@cache
def _command_flags(tool: str) -> frozenset[str]:
    """A wrapper's options whose value is the command it runs (class `wrapper` in the catalogue)."""
    from agent.checks import catalogue

    entry = catalogue.tool(tool)
    return frozenset(n for n, f in (entry.flags.items() if entry else ()) if f.klass == "wrapper")


def _value_flags(tool: str, *path: str) -> frozenset[str]:
    """A wrapper's options that take a value (so the host / pod / container is found): the catalogue's."""
    from agent.checks import catalogue

    return catalogue.value_flags(tool, path)


def _join(words: list[str]) -> str:
    import shlex

    return words[0] if len(words) == 1 else shlex.join(words)


def inner_commands(argv: list[str]) -> list[str]:
    """The shell text a remote-execution wrapper runs: `ssh host 'cmd'`, `knife ssh QUERY 'cmd'`,
    `kubectl exec POD -- cmd`, `docker exec C cmd`, `gcloud compute ssh VM --command 'cmd'`,
    `aws ssm send-command --parameters commands=...`, `bash -c 'cmd'`, `su - u -c 'cmd'`,
    `xargs cmd`, `watch 'cmd'` (sudo, env, timeout and the like are unwrapped first)."""
    argv = unwrap(argv)
    if not argv:
        return []
    tool = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if len(argv) == 1 and " " in argv[0].strip():  # `watch 'kubectl get pods'`, `sudo "cmd args"`
        return [argv[0]]
    if tool in ("ssh", "autossh"):
        rest = _after(args, _value_flags("ssh"))
        return [_join(rest[1:])] if len(rest) > 1 else []
    if tool == "knife" and args[:1] == ["ssh"]:
        words = positionals(args[1:], _value_flags("knife", "ssh"))
        return [words[1]] if len(words) > 1 else []
    if tool in ("kubectl", "oc") and "--" in args and any(a in ("exec", "debug", "rsh", "run") for a in args):
        inner = args[args.index("--") + 1 :]
        return [_join(inner)] if inner else []
    if tool in ("docker", "podman", "nerdctl", "crictl") and args[:1] == ["exec"]:
        rest = _after(args[1:], _value_flags("docker", "exec"))
        return [_join(rest[1:])] if len(rest) > 1 else []
    compose = (tool in ("docker", "podman") and args[:1] == ["compose"]) or tool == "docker-compose"
    if compose and "exec" in args[:4]:
        at = args.index("exec")
        rest = _after(args[at + 1 :], _value_flags("docker", "compose", "exec"))
        return [_join(rest[1:])] if len(rest) > 1 else []
    if tool == "gcloud" and args[:2] == ["compute", "ssh"]:
        for i, a in enumerate(args):
            if a == "--command" and i + 1 < len(args):
                return [args[i + 1]]
            if a.startswith("--command="):
                return [a.split("=", 1)[1]]
        if "--" in args:
            inner = args[args.index("--") + 1 :]
            return [_join(inner)] if inner else []
        return []
    if tool == "aws" and "send-command" in args:
        return _ssm_commands(args)
    if tool in ("bash", "sh", "zsh", "dash", "ksh") and "-c" in args:
        at = args.index("-c")
        return [args[at + 1]] if at + 1 < len(args) else []
    if tool in ("su", "runuser") and "-c" in args:
        at = args.index("-c")
        return [args[at + 1]] if at + 1 < len(args) else []
    if tool == "xargs":
        rest = _after(args, _value_flags("xargs"))
        if rest and not any(a in ("-I", "-i", "--replace") or a.startswith(("-I", "--replace=")) for a in args):
            rest = [*rest, "ITEM"]  # xargs appends the names it reads
        return [_join(rest)] if rest else []
    return []


def after_options(args: list[str], takes_value: set[str] | frozenset[str]) -> list[str]:
    """The words from the first non-option on (options before it, and their values, skipped)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in takes_value else 1
    return args[i:]


def _after(args: list[str], takes_value: set[str] | frozenset[str]) -> list[str]:
    """The words from the first positional on (options before it, and their values, skipped)."""
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        i += 2 if args[i] in takes_value else 1
    if i < len(args) and args[i] == "--":
        i += 1
    return args[i:]


def _ssm_commands(args: list[str]) -> list[str]:
    """`--parameters commands=["a","b"]`, `commands='a'`, or JSON `{"commands":["a"]}`."""
    import json

    for i, a in enumerate(args):
        value = args[i + 1] if a == "--parameters" and i + 1 < len(args) else (
            a.split("=", 1)[1] if a.startswith("--parameters=") else None)
        if value is None:
            continue
        value = value.strip()
        try:
            data = json.loads(value)
            found = data.get("commands") if isinstance(data, dict) else None
            if isinstance(found, list):
                return [str(c) for c in found]
        except ValueError:
            pass
        m = re.match(r"commands=(.*)$", value, re.S)
        if m:
            body = m.group(1).strip()
            try:
                listed = json.loads(body)
                if isinstance(listed, list):
                    return [str(c) for c in listed]
            except ValueError:
                pass
            return [body.strip("[]").strip("'\"")]
    return []
