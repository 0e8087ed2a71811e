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
_PATH = re.compile(r"[A-Za-z0-9_./@+~][A-Za-z0-9_./@+:,=~-]{0,1023}")
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
    return _text(v) and "%output" not in v and "%{stderr}" not in v and "%{stdout}" not in v


def _sysctl_key(v: str) -> bool:  # a key to read; `key=value` writes
    return bool(re.fullmatch(r"[a-z0-9_.*/-]{1,200}", v))


def _unit(v: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9@._:*\\-]{1,256}", v))


def _devnull(v: str) -> bool:
    return v == "/dev/null"


def _stdout(v: str) -> bool:
    return v == "-"


def _date_format(v: str) -> bool:
    return v.startswith("+") and _text(v[1:] or "x")


def _pg_conninfo(v: str) -> bool:
    """A psql positional: a database name, or a URI / key=value string (checked again by the driver)."""
    return _name(v) or v.startswith(("postgres://", "postgresql://")) or "=" in v and _text(v)


def _awk_program(v: str) -> bool:
    """An awk program that only selects and prints: no `|` or `>` (pipes, redirection), no `@`
    (gawk include/load), calls only to string/number builtins, no getline / function definitions."""
    if not _text(v.replace("\n", " ").replace("\t", " ")) or any(c in v for c in "|>@`"):
        return False
    allowed = {
        "length",
        "substr",
        "split",
        "tolower",
        "toupper",
        "sprintf",
        "index",
        "match",
        "gsub",
        "sub",
        "int",
        "sqrt",
        "printf",
        "print",
        "if",
        "while",
        "for",
    }
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', v)
    stripped = re.sub(r"/(?:[^/\\\n]|\\.)+/", "//", stripped)
    for m in re.finditer(r"[A-Za-z_]\w*", stripped):
        word = m.group(0)
        if word in ("getline", "function", "func", "system", "close", "fflush", "ENVIRON", "PROCINFO", "nextfile"):
            return False
        if stripped[m.end() : m.end() + 1] == "(" and word not in allowed:
            return False
    return True


def _sed_script(v: str) -> bool:
    """sed that only substitutes, prints or deletes lines: `s/a/b/g`, `/re/p`, `1,5d`, `-n 10p`.
    No `e` (executes), `w`/`W` (writes a file), `r`/`R` (reads one in), no `s///e` or `s///w`."""
    address = r"(?:\d+|\$|/(?:[^/\\]|\\.)*/)(?:,(?:\d+|\$|/(?:[^/\\]|\\.)*/))?"
    subst = r"s([/|#,:])(?:(?!\1)[^\\\n]|\\.)*\1(?:(?!\1)[^\\\n]|\\.)*\1[gIip0-9]*"
    one = rf"(?:{address})?\s*(?:{subst}|[pdq=])"
    return bool(re.fullmatch(rf"\s*{one}(?:\s*;\s*{one})*\s*;?\s*", v))


def _jq_filter(v: str) -> bool:
    """jq can't write or run anything; `input_filename`, `$ENV`/`env` and `$__loc__` are refused
    so a filter reads only its input."""
    return _text(v.replace("\n", " ")) and not re.search(r"\binput_filename\b|\$ENV\b|\benv\b|\$__loc__", v)


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
