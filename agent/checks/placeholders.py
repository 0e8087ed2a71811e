"""Placeholders left inside commands: `[pod-name]`, `<pod>`, `{{ pod }}`.

Bash reads `<pod>` as a redirection and `[pod-name]` as a glob, so such a command fails or does
something else when pasted. Character classes (`[a-z]`, `[[ ... ]]`) and array subscripts are not
placeholders.
"""

from __future__ import annotations

import re

_PATTERNS = [
    # [pod-name], [db host], [new_instance], [SERVICE]; not [a-z], [0-9], [[ or ${arr[1]}
    re.compile(r"(?<![\[\w$}\]])\[(?!\[)(?:[A-Za-z]{2,}(?:[-_ :./][A-Za-z0-9]+)+|[A-Z]{3,}|[a-z]{3,})\](?!\])"),
    # <pod>, <pod-name>, <new instance>; not `< file` or `<<EOF`
    re.compile(r"(?<![<\w])<(?:[A-Za-z][A-Za-z0-9]*(?:[-_ ][A-Za-z0-9]+)*)>"),
    # {{ pod }} (templating leftovers), not ${VAR} nor Go templates like {{.Names}} or {{end}}
    re.compile(r"\{\{\s*(?!(?:end|else|range|if|with|define|template|block|break|continue)\s*\}\})[A-Za-z_][\w-]*\s*\}\}"),
    # {ceph-component}, {myfile_with_certs.crt}: not ${VAR}, {a,b}, awk's {print}, jsonpath {.x}
    re.compile(r"(?<![$%\w{])\{[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)+\}(?!\})"),
    # NAME='<"Used By:" field from the output>': a declared fill-in, whatever is inside
    re.compile(r"(?<==['\"])<[^<>\n]{2,80}>(?=['\"])"),
]
# Angle-bracket words that tools print and runbooks grep for; not placeholders.
_LITERALS = {"<none>", "<unknown>", "<nil>", "<pending>", "<invalid>", "<empty>", "<unset>", "<redacted>"}


def find_placeholders(code: str) -> list[str]:
    if "[" not in code and "<" not in code and "{" not in code:  # every pattern needs one (most commands)
        return []
    found: list[str] = []
    for pattern in _PATTERNS:
        found.extend(m.group(0) for m in pattern.finditer(code) if m.group(0).lower() not in _LITERALS)
    return found


# Variables a reader's shell (or the tools) provide; using them undeclared is fine.
WELL_KNOWN = {
    "HOME",
    "PATH",
    "USER",
    "LOGNAME",
    "PWD",
    "OLDPWD",
    "SHELL",
    "TERM",
    "LANG",
    "LC_ALL",
    "HOSTNAME",
    "UID",
    "EUID",
    "PPID",
    "RANDOM",
    "SECONDS",
    "LINENO",
    "IFS",
    "TMPDIR",
    "EDITOR",
    "PAGER",
    "REPLY",
    "OPTARG",
    "OPTIND",
    "BASH_SOURCE",
    "BASH_VERSION",
    "FUNCNAME",
    "PIPESTATUS",
    "HISTFILE",
    "KUBECONFIG",
    "DISPLAY",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "REDISCLI_AUTH",
    "XDG_RUNTIME_DIR",
    "SSH_AUTH_SOCK",
    "GOPATH",
    "JAVA_HOME",
    "CI",
}


def find_placeholder_lines(code: str, comment: str = "#") -> list[tuple[int, str]]:
    """(0-based line offset, placeholder) for each placeholder, ignoring comment lines (`comment`
    is the language's comment prefix: "#" for shell, "--" for SQL)."""
    out: list[tuple[int, str]] = []
    for offset, line in enumerate(code.split("\n")):
        if line.lstrip().startswith(comment):
            continue
        out.extend((offset, p) for p in find_placeholders(line))
    return out


def mask(code: str, dummy: str = "PLACEHOLDER") -> str:
    """Placeholders replaced by a dummy word, so parsers report only what else is wrong (the
    placeholder itself is reported once, by the placeholder check)."""
    for p in sorted(set(find_placeholders(code)), key=len, reverse=True):
        code = code.replace(p, dummy)
    return code
