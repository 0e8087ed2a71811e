"""Commands the team forbids never reach the runbook.

"NEVER `docker compose down -v`: the mongo volume is the only copy of undelivered events" is a rule the
team learned the hard way; a generic recipe that writes `docker compose down -v` anyway (or a cheat sheet
that lists it as the team's own command) is the most dangerous thing a runbook can say. Every command of
a written runbook, whichever model wrote it, is compared with the commands the description forbids: a
line that runs one becomes a comment that says why it is not there, and the command carries the team's
words as its warning.
"""

from __future__ import annotations

import re
import shlex

from agent.runbook import Command, Runbook, iter_commands
from agent.service.commands import Given, forbidden_commands, spoken
from agent.service.model import ServiceModel

_SPLIT = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")


def _tokens(command: str) -> list[str]:
    try:
        words = shlex.split(command, comments=False)
    except ValueError:
        words = command.split()
    wrappers = ("sudo", "env", "nohup", "time", "npx", "bunx", "pnpx")  # `npx wrangler deploy` runs wrangler
    words = [w for w in words if w not in wrappers and not re.fullmatch(r"[A-Z_]+=\S*", w)]
    out: list[str] = []
    for w in words:  # docker-compose is docker compose; a flag's value is no part of the flag
        out += w.split("-", 1) if w == "docker-compose" else [w.split("=", 1)[0] if w.startswith("-") else w]
    return out


def _runs(line: str, forbidden: list[str]) -> bool:
    """Whether a shell line runs the forbidden command: its program first, then every word of it in order
    (other flags and arguments may stand between: `docker compose -f x.yml down -v`), also inside a quoted
    argument (`ssh "$HOST" 'docker compose down -v'`, `bash -c "..."`)."""
    if line.lstrip().startswith("#"):
        return False
    quoted = [a or b for a, b in re.findall(r"'([^']+)'|\"([^\"]+)\"", line)]
    for part in [p for text in (line, *quoted) for p in _SPLIT.split(text)]:
        words = _tokens(part)
        if not words or words[0] != forbidden[0]:
            continue
        at = 1
        for word in words[1:]:
            if at < len(forbidden) and word.lower() == forbidden[at].lower():
                at += 1
        if at == len(forbidden):
            return True
    return False


def _shell_lines(command: Command) -> list[str]:
    """The command's lines as a shell would run them: a Redis block's lines are redis-cli's arguments."""
    lines = command.code.split("\n")
    return [f"redis-cli {line}" for line in lines] if command.language == "redis" else lines


def rules(description: str, model: ServiceModel | None) -> list[Given]:
    """The commands the description forbids, and those in the model's stated prohibitions."""
    out = forbidden_commands(description)
    for failure in (model.failures if model is not None else []):
        for found in re.finditer(r"`([^`\n]{3,200})`", failure.prohibition):
            if not any(g.command == found.group(1) for g in out):
                out.append(Given("forbidden", found.group(1), failure.prohibition))
    return out


def enforce(runbook: Runbook, description: str, model: ServiceModel | None) -> Runbook:
    """The runbook with every line that runs a forbidden command turned into a comment that says why."""
    forbidden = [(g, _tokens(g.command)) for g in rules(description, model)]
    forbidden = [(g, words) for g, words in forbidden if len(words) >= 2]
    if not forbidden or not any(_hits(c, forbidden) for c in iter_commands(runbook)):
        return runbook
    out = runbook.model_copy(deep=True)
    for command in iter_commands(out):
        if not _hits(command, forbidden):
            continue
        lines, broken = [], []
        for line, shell in zip(command.code.split("\n"), _shell_lines(command), strict=True):
            rule = next((g for g, words in forbidden if _runs(shell, words)), None)
            if rule is not None:
                broken.append(rule)
            comment = "--" if command.language == "sql" else "#"
            why = _short(spoken(rule.evidence)) if rule is not None else ""
            lines.append(line if rule is None else
                         f"{comment} not run: the team forbids `{spoken(rule.command)}` (\"{why}\")")
        command.code = "\n".join(lines)
        if all(not line.strip() or line.lstrip().startswith(("#", "--")) for line in lines):
            command.expect = None  # nothing runs: there is nothing to see
        said = "; ".join(dict.fromkeys(_short(spoken(g.evidence)) for g in broken))
        command.warning = f"The team forbids part of this: {said}" + (f" {command.warning}" if command.warning
                                                                           else "")
    return out


def _hits(command: Command, forbidden: list[tuple[Given, list[str]]]) -> bool:
    return command.language in ("bash", "redis") and any(
        _runs(line, words) for line in _shell_lines(command) for _, words in forbidden)


def _short(text: str) -> str:
    text = re.sub(r"^\s*(?:[-*]|\d+[.)])\s*", "", " ".join(text.split()))
    return text if len(text) <= 160 else text[:157].rstrip() + "…"
