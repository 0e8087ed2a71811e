"""Value kinds the catalogue names (`value: name`, `kinds: [path]`): what a flag's value or a
positional argument may look like for the live runner to pass it. Each is a whole-value check;
anything that doesn't fit is "not run". `enum:a,b,c` and `prefix:a,b` are parametrised kinds."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

Validator = Callable[[str], bool]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._:/@+%=-]{0,252}")
_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,252}|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+")
# Never `-` or `+` first: both start options somewhere (`lsof +r`, `sort +1`, `tail +5`).
_PATH = re.compile(r"[A-Za-z0-9_./@~][A-Za-z0-9_./@+:,=~-]{0,1023}")
_NO_CONTROL = re.compile(r"[^\x00-\x1f\x7f]{0,4096}")


def _name(v: str) -> bool:
    return bool(_NAME.fullmatch(v))


def _host(v: str) -> bool:
    return bool(_HOST.fullmatch(v))


def _port(v: str) -> bool:
    return v.isdigit() and 0 < int(v) < 65536


def _int(v: str) -> bool:
    return bool(re.fullmatch(r"-?\d{1,9}", v))


def _duration(v: str) -> bool:
    return bool(re.fullmatch(r"(\d{1,6}(\.\d+)?(ms|s|m|h|d)?)+", v))


def _since(v: str) -> bool:  # journalctl/kubectl times: "1 hour ago", "2024-01-01 10:00", "-1h", "today"
    return bool(re.fullmatch(r"[A-Za-z0-9 :.+-]{1,40}", v))


def _selector(v: str) -> bool:  # app=api,tier!=web,env in (a,b)
    return bool(re.fullmatch(r"[A-Za-z0-9._/=!,() -]{1,512}", v))


def _path(v: str) -> bool:
    return bool(_PATH.fullmatch(v)) and ".." not in v.split("/") or v == "/"


def _text(v: str) -> bool:
    """Any single-line text (a grep pattern, a SQL string handed to a driver): never an option."""
    return bool(_NO_CONTROL.fullmatch(v)) and not v.startswith("-")


def _line(v: str) -> bool:
    """A word handed to a driver (a Redis argument: `-`, `+`, `-1` are stream ids and indexes there),
    never to a program: any single line."""
    return bool(_NO_CONTROL.fullmatch(v)) and v != ""


def _aws_value(v: str) -> bool:
    """A parameter value of an AWS read operation: plain text, never file:// or fileb:// (local files)."""
    return _text(v) and not v.lower().startswith(("file://", "fileb://"))


def _any(v: str) -> bool:
    return "\x00" not in v


def _http_url(v: str) -> bool:
    """http(s) only (no gopher://, dict://, file://, telnet://); a plain host; no spaces or controls."""
    if not re.fullmatch(r"[\x21-\x7e]{1,2048}", v) or "{" in v or "[" in v.split("//", 1)[-1].split("/", 1)[0][1:]:
        return False
    try:
        parts = urlsplit(v)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and _host(parts.hostname or "")


def _k8s_output(v: str) -> bool:
    if v in ("json", "yaml", "wide", "name"):
        return True
    kind, sep, rest = v.partition("=")
    return bool(sep) and kind in ("jsonpath", "custom-columns", "jsonpath-as-json") and _text(rest or "x")


def _header(v: str) -> bool:
    """Headers that only shape what a GET reads: never a method override."""
    name, sep, rest = v.partition(":")
    return bool(sep) and name.strip().lower() in {
        "accept",
        "accept-encoding",
        "accept-language",
        "authorization",
        "cache-control",
        "host",
        "user-agent",
    } and _text(rest.strip() or "x")


def _curl_writeout(v: str) -> bool:
    """`-w '%{http_code}\\n'`: variables only; `%output{FILE}` (writes a file) and `%{stderr}` refused."""
    return (
        _text(v) and not v.startswith("@")  # `-w @FILE` reads the format from a file
        and "%output" not in v.lower() and "%{stderr}" not in v.lower() and "%{stdout}" not in v.lower()
    )


def _sysctl_key(v: str) -> bool:
    """A key to read (`key=value` writes). `.` and `/` both separate its parts and sysctl opens
    /proc/sys/KEY as written when `/` comes first: an empty part (`kernel/../../tmp/f` is
    kernel, '', '', …) would walk out of /proc/sys to any file, a FIFO or a device."""
    return bool(re.fullmatch(r"[a-z0-9_.*/-]{1,200}", v)) and all(re.split(r"[./]", v))


def _unit(v: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9@._:*\\-]{1,256}", v))


def _devnull(v: str) -> bool:
    return v == "/dev/null"


def _stdout(v: str) -> bool:
    return v == "-"


def _date_format(v: str) -> bool:
    return v.startswith("+") and _text(v[1:] or "x")


_DIG_OPTIONS = frozenset({
    "short", "noall", "all", "answer", "noanswer", "question", "noquestion", "authority", "noauthority",
    "additional", "noadditional", "stats", "nostats", "comments", "nocomments", "cmd", "nocmd", "multiline",
    "nomultiline", "tcp", "notcp", "vc", "novc", "recurse", "norecurse", "dnssec", "nodnssec", "trace",
    "notrace", "nssearch", "identify", "noidentify", "cookie", "nocookie", "ttlid", "nottlid", "besteffort",
    "search", "nosearch", "time", "tries", "retry", "timeout", "bufsize", "edns", "noedns",
})


def _dig_arg(v: str) -> bool:
    """A dig word: `@server`, a name (letters, digits, `.-_`: never `\\DDD` escapes, which put any
    byte, a newline included, into the query), a type or class, or a `+option` from a short list."""
    if v.startswith("@"):
        return _host(v[1:])
    if v.startswith("+"):
        name, eq, val = v[1:].partition("=")
        return name in _DIG_OPTIONS and (not eq or bool(re.fullmatch(r"\d{1,5}", val)))
    return bool(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,252}\.?", v))


def _redis_count(v: str) -> bool:
    """A COUNT or SAMPLES a Redis read may ask for: 1..10000 (SCAN 0 COUNT 100000000 is KEYS *)."""
    return v.isdigit() and 0 < int(v) <= 10000


def _pg_conninfo(v: str) -> bool:
    """A psql positional: a database name, or a URI / key=value string (checked again by the driver)."""
    return _name(v) or v.startswith(("postgres://", "postgresql://")) or "=" in v and _text(v)


_AWK_CALLS = frozenset({
    "length", "substr", "split", "tolower", "toupper", "sprintf", "index", "match", "gsub", "sub", "int",
    "sqrt", "printf", "print", "if", "while", "for", "exp", "log", "sin", "cos", "atan2",
})
_AWK_NEVER = frozenset({
    "getline", "function", "func", "system", "close", "fflush", "ENVIRON", "PROCINFO", "nextfile", "SYMTAB",
    "FUNCTAB", "BEGINFILE", "ENDFILE", "ARGV", "ARGC",
})


def _awk_program(v: str) -> bool:
    """An awk program that only selects and prints: no `|` or `>` (pipes, redirection), no `@`
    (gawk include/load, indirect calls), calls only to string/number builtins, no getline, system,
    close, ENVIRON or function definitions. Checked on the raw text, strings and regular expressions
    included: awk's own reading of `/` (division or a regex?) and of a `"` inside a regex differs from
    one awk to the next, so nothing is stripped that could hide a call."""
    if not _text(v.replace("\n", " ").replace("\t", " ")) or any(c in v for c in "|>@`") or "\\\n" in v:
        return False
    for m in re.finditer(r"[A-Za-z_]\w*", v):
        word = m.group(0)
        if word in _AWK_NEVER:
            return False
        if re.match(r"\s*\(", v[m.end() :]) and word not in _AWK_CALLS:
            return False
    return True


def _sed_script(v: str) -> bool:
    """sed that only substitutes, prints or deletes lines: `s/a/b/g`, `/re/p`, `1,5d`, `-n 10p`.
    No `e` (executes), `w`/`W` (writes a file), `r`/`R` (reads one in), no `s///e` or `s///w`."""
    address = r"(?:\d+|\$|/(?:[^/\\]|\\.)*/)(?:,(?:\d+|\$|/(?:[^/\\]|\\.)*/))?"
    subst = r"s([/|#,:])(?:(?!\1)[^\\\n]|\\.)*\1(?:(?!\1)[^\\\n]|\\.)*\1[gIip0-9]*"
    one = rf"(?:{address})?\s*(?:{subst}|[pdq=])"
    return bool(re.fullmatch(rf"\s*{one}(?:\s*;\s*{one})*\s*;?\s*", v))


_JQ_NEVER = re.compile(
    r"\binput_filename\b|\$\s*ENV\b|\benv\b|\$\s*__\w+|\bimport\b|\binclude\b|\bmodulemeta\b"
    r"|\bget_search_list\b|\bget_(?:jq|prog)_origin\b|\binput_line_number\b|\$__loc__"
)


def _jq_filter(v: str) -> bool:
    """jq can't write or run anything; the environment (`$ENV`, `$ ENV` in jq 1.6, `env`), the file
    and modules it reads (`input_filename`, `import`, `include`, `$__loc__`, `$__prog_args`) are
    refused so a filter reads only its input."""
    return _text(v.replace("\n", " ")) and not _JQ_NEVER.search(v)


_FIXED: dict[str, Validator] = {
    "any": _any,
    "aws-value": _aws_value,
    "name": _name,
    "host": _host,
    "port": _port,
    "int": _int,
    "duration": _duration,
    "since": _since,
    "selector": _selector,
    "path": _path,
    "text": _text,
    "line": _line,
    "http-url": _http_url,
    "k8s-output": _k8s_output,
    "header": _header,
    "curl-writeout": _curl_writeout,
    "sysctl-key": _sysctl_key,
    "unit": _unit,
    "devnull": _devnull,
    "stdout": _stdout,
    "date-format": _date_format,
    "pg-conninfo": _pg_conninfo,
    "awk-program": _awk_program,
    "sed-script": _sed_script,
    "jq-filter": _jq_filter,
    "dig-arg": _dig_arg,
    "redis-count": _redis_count,
}


def validator(kind: str) -> Validator:
    """The check for a kind; raises ValueError for a kind nobody defined (a data bug)."""
    if kind in _FIXED:
        return _FIXED[kind]
    head, sep, rest = kind.partition(":")
    if sep and head == "enum":
        choices = {c.strip() for c in rest.split(",")}
        return lambda v: v in choices
    if sep and head == "ienum":
        ichoices = {c.strip().lower() for c in rest.split(",")}
        return lambda v: v.lower() in ichoices
    if sep and head == "prefix":
        prefixes = tuple(c.strip() for c in rest.split(","))
        return lambda v: v.startswith(prefixes) and _text(v)
    raise ValueError(f"unknown value kind {kind!r}")


def valid(kind: str, value: str) -> bool:
    return validator(kind)(value)


def plain(value: str) -> bool:
    """A `--var` value we substitute into an argv word: letters, digits and a few punctuation
    marks found in names, hosts, URLs, durations and key patterns (`*`: no shell ever globs it);
    never quotes, `$`, `;`, spaces, brackets or `-` first."""
    return bool(re.fullmatch(r"[A-Za-z0-9_.:/@%+=,~*-]{0,1024}", value)) and not value.startswith("-")
