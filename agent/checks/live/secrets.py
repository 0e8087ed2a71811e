"""What the live runner treats as a secret, so that a credential given with `--var` is only ever sent
to the server it was given for and never printed: a variable named as a credential (PGPASSWORD,
*_TOKEN, ...), the password inside a connection URL or conninfo (`redis://:pw@host`,
`postgresql://u:pw@host/db`, `password=pw`), and libpq's own PGPASSWORD."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

# a variable named as a credential: `curl …/$PGPASSWORD` would send it where the line says
NAMED = re.compile(r"(?i)pass(?:word|wd)?|secret|token|api_?key|private_?key|credential|auth")
_CONNINFO_PASSWORD = re.compile(r"(?i)(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")
_SHORTEST = 4  # a one-letter "password" would blank every "a" in a report


def embedded(value: str) -> list[str]:
    """The passwords a connection string carries: a URL's `user:pw@`, a conninfo's `password=pw`."""
    found: list[str] = []
    if "://" in value:
        try:
            parts = urlsplit(value)
            if parts.password:
                found += [parts.password, unquote(parts.password)]
            found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
        except ValueError:
            pass
    for m in _CONNINFO_PASSWORD.finditer(value):
        found.append(m.group(1).strip("'"))
    return [f for f in found if f]


def without_password(value: str) -> str:
    """The connection string with its password taken out (the drivers add it back for its own server)."""
    if "://" in value:
        try:
            parts = urlsplit(value)
        except ValueError:
            return value
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"]
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        netloc = parts.netloc if parts.password is None else f"{user}@{host}" if user else host
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))
    return _CONNINFO_PASSWORD.sub("", value).strip() if "password" in value.lower() else value


def hidden(variables: dict[str, str]) -> list[str]:
    """Every secret value the variables (and libpq's environment) hold, longest first."""
    out: set[str] = set()
    for name, value in variables.items():
        if NAMED.search(name):
            out.add(value)
        out.update(embedded(value))
    out.add(os.environ.get("PGPASSWORD", ""))
    out.update(embedded(os.environ.get("REDIS_URL", "")))
    out.update(embedded(os.environ.get("DATABASE_URL", "")))
    return sorted((v for v in out if len(v) >= _SHORTEST), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
