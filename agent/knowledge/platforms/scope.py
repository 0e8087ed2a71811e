"""Where a cloud CLI call acts: the project / region the service model gives, on every call that names
none. A `gcloud` call without --project acts on whatever project the reader's gcloud points at, an `aws`
call without --region on the profile's region: both run against the wrong place at 3 a.m. The model's
values are added as global flags (`gcloud --project P ...`, `aws --region R ...`); nothing is added when
the model gives none (the platforms then declare a guarded variable), and a value is never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from agent.knowledge.platforms.base import q
from agent.runbook import Command
from agent.service.model import ServiceModel


@dataclass(frozen=True)
class CloudScope:
    """The scope flags one cloud CLI takes: `cli` the program, `flag` its global option."""

    cli: str
    flag: str
    value: str
    # the flag's other spellings that already scope the call (gcloud --project=X, aws --region=X)
    also: tuple[str, ...] = ()

    def apply(self, code: str) -> str:
        """`code` with the flag at the end of every call of the CLI that lacks it (a call ends at a pipe,
        `;`, `&&`, a redirect, the `)` of its command substitution or the end of its logical line)."""
        call = re.compile(rf"(?<![\w./$-]){re.escape(self.cli)}(?=[ \t]+[a-z])")
        ends: list[int] = []
        for m in call.finditer(code):
            if _commented(code, m.start()) or _single_quoted(code, m.start()):
                continue  # text, or a command another program runs (ssh, sh -c)
            end = _call_end(code, m.end())
            if self._scoped(code[m.start():end]):
                continue
            args = code.find(" -- ", m.end(), end)  # what follows "--" belongs to the command it runs
            ends.append(args if args != -1 else end)
        for end in reversed(ends):
            code = f"{code[:end]} {self.flag} {q(self.value)}{code[end:]}"
        return code

    def _scoped(self, call: str) -> bool:
        return any(re.search(rf"(?<![\w-]){re.escape(f)}(?:[\s=]|$)", call) for f in (self.flag, *self.also))


def _single_quoted(code: str, at: int) -> bool:
    quote = ""
    for k, ch in enumerate(code[:at]):
        if quote:
            quote = "" if ch == quote and not (quote == '"' and code[k - 1] == "\\") else quote
        elif ch in "'\"" and (k == 0 or code[k - 1] != "\\"):
            quote = ch
    return quote == "'"


def _commented(code: str, at: int) -> bool:
    line = code[code.rfind("\n", 0, at) + 1:at]
    return "#" in line and line.lstrip().startswith("#")


def _call_end(code: str, start: int) -> int:
    """Where the call that starts before `start` ends: the index to insert a trailing flag at."""
    quote, depth, k = "", 0, start
    while k < len(code):
        ch = code[k]
        if quote:
            if ch == "\\" and quote == '"':
                k += 2
                continue
            quote = "" if ch == quote else quote
        elif ch == "\\" and code[k + 1:k + 2] == "\n":
            k += 2  # a continuation line: the call goes on
            continue
        elif ch in "'\"":
            quote = ch
        elif ch == "$" and code[k + 1:k + 2] == "(":
            depth += 1
            k += 1
        elif ch == "(" and depth:
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (ch in "|;&<>\n" or ch == "#" and code[k - 1:k].isspace()):
            break
        k += 1
    if code[k:k + 1] in ("<", ">"):  # "2>&1": the descriptor's digits belong to the redirect, not the call
        j = k
        while j > start and code[j - 1].isdigit():
            j -= 1
        if j < k and code[j - 1:j] in (" ", "\t"):
            k = j
    end = k
    while end > start and code[end - 1] in " \t\\\n":  # before trailing blanks and a dangling continuation
        end -= 1
    return end


def scopes_of(model: ServiceModel | None) -> list[CloudScope]:
    """The scopes the model gives: the GCP project, the region of an AWS service."""
    if model is None:
        return []
    values: dict[str, str] = {}
    for _, name in model.all_names():
        values.setdefault(name.role, name.value)
    found: list[CloudScope] = []
    if values.get("project"):
        found.append(CloudScope("gcloud", "--project", values["project"]))
    region = values.get("region")
    if region and re.fullmatch(r"[a-z]{2}(?:-gov)?-[a-z]+-\d", region):  # an AWS region id (us-east-1)
        found.append(CloudScope("aws", "--region", region))
    return found


def scope(node: Any, scopes: list[CloudScope]) -> Any:
    """`node` (a runbook section, or a list of them) with every command scoped."""
    if not scopes:
        return node
    if isinstance(node, list):
        return [scope(x, scopes) for x in node]
    if isinstance(node, Command):
        if node.language not in ("bash", "sh", "shell"):
            return node
        code = node.code
        for s in scopes:
            code = s.apply(code)
        return node if code == node.code else node.model_copy(update={"code": code})
    if isinstance(node, BaseModel):
        update = {key: scope(getattr(node, key), scopes) for key in type(node).model_fields}
        changed = {k: v for k, v in update.items() if v is not getattr(node, k)}
        return node.model_copy(update=changed) if changed else node
    return node
