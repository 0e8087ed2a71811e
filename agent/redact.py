"""Secrets out of what we print: key-like tokens in provider error text, credentials in URLs.

Provider errors are printed for the user to act on, but their text is the provider's: some echo the
key that was sent ("Incorrect API key provided: sk-…"), a proxy may echo its headers, and a
`--base-url` may carry `user:password@`. Everything an error line says passes through `scrub`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "***"

_KEY_LIKE = [
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),  # OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),  # an Authorization header's value
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),  # Google API key
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}"),  # Slack token
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub token
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # a JWT
    # key=value / "api_key": "value" / x-api-key: value
    re.compile(r"(?i)((?:api[_-]?key|x-api-key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|"
               r"authorization)[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&]{4,})"),
]
# Any long run of key alphabet with letters and digits both, that no word or path looks like.
_LONG_TOKEN = re.compile(r"(?<![\w/.-])(?=[A-Za-z_-]*\d)(?=[\d_-]*[A-Za-z])[A-Za-z0-9_-]{32,}(?![\w/.-])")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.I)


def _mask_match(match: re.Match[str]) -> str:
    if match.re.groups >= 2:  # key=value: keep the name, hide the value
        return f"{match.group(1)}{MASK}"
    if match.re.groups == 1:  # "Bearer <token>": keep the scheme word
        return f"{match.group(1)} {MASK}"
    return MASK


def url_without_credentials(url: str) -> str:
    """`https://user:pass@host/v1?api-key=x` → `https://***@host/v1?api-key=***`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@" + netloc.rsplit("@", 1)[1]
    elif host is None:
        return url
    query = re.sub(r"(?i)((?:^|&)[^=&]*(?:key|token|secret|password|sig|signature)[^=&]*=)[^&]*", rf"\1{MASK}",
                   parts.query)
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with the given secrets, anything key-like and credentials in URLs replaced by ***."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _URL.sub(lambda m: url_without_credentials(m.group(0)), text)
    for pattern in _KEY_LIKE:
        text = pattern.sub(_mask_match, text)
    return _LONG_TOKEN.sub(MASK, text)
