"""Placeholders left inside commands: `[pod-name]`, `<pod>`, `{{ pod }}`.

Bash reads `<pod>` as a redirection and `[pod-name]` as a glob, so such a command fails or does
something else when pasted. Character classes (`[a-z]`, `[[ ... ]]`) and array subscripts are not
placeholders.
"""

from __future__ import annotations

import re

_PATTERNS = [
    # [pod-name], [db host], [new_instance], [SERVICE]; not [a-z], [0-9], [[ or ${arr[1]}
    re.compile(r"(?<![\[\w$}\]])\[(?!\[)(?:[A-Za-z]{2,}(?:[-_ ][A-Za-z0-9]+)+|[A-Z]{3,}|[a-z]{3,})\](?!\])"),
    # <pod>, <pod-name>, <new instance>; not `< file` or `<<EOF`
    re.compile(r"(?<![<\w])<(?:[A-Za-z][A-Za-z0-9]*(?:[-_ ][A-Za-z0-9]+)*)>"),
    # {{ pod }} (templating leftovers), not ${VAR}
    re.compile(r"\{\{\s*[\w.-]+\s*\}\}"),
]


def find_placeholders(code: str) -> list[str]:
    found: list[str] = []
    for pattern in _PATTERNS:
        found.extend(m.group(0) for m in pattern.finditer(code))
    return found
