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
from collections.abc import Callable

from agent.runbook import Command, Runbook, iter_commands
from agent.service.commands import Given, forbidden_commands, is_command, line_at, spoken
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
        if forbidden[0].startswith("--") and len(forbidden) == 1:  # a forbidden flag, on whatever command
            if any(w == forbidden[0] for w in words):
                return True
            continue
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


_LEAD = re.compile(r"(?i)^\s*(?:never|don['’]?t|do\s+not|must\s+not|no)\s+(?:ever\s+|run\s+|use\s+)*")
# "don't force-new-deployment": a flag named by its words, which the team forbids on any command
_FLAG_WORD = re.compile(r"[a-z]+(?:-[a-z]+){1,4}")


def rules(description: str, model: ServiceModel | None) -> list[Given]:
    """The commands the description forbids, and those in the model's stated prohibitions: backticked, written
    bare after the "never" ("Never helm upgrade / helm rollback loki by hand"), in parentheses after it ("never
    swap the staging slot (az functionapp deployment slot swap)"), or a flag by its name ("don't
    force-new-deployment"). "restart / failover" after a command's words forbids both verbs."""
    out = forbidden_commands(description)

    def add(command: str, why: str) -> None:
        if not any(g.command == command for g in out):
            out.append(Given("forbidden", command, why))

    for failure in (model.failures if model is not None else []):
        said = failure.prohibition
        for found in re.finditer(r"`([^`\n]{3,200})`", said):
            add(found.group(1), said)
        lead = _LEAD.match(said)
        if lead is None:
            continue
        rest = said[lead.end():]
        words = rest.split()
        flag = _FLAG_WORD.fullmatch(words[0].strip(",.;:")) if words else None
        # the flag's name alone, or then a clause ("don't force-new-deployment, it makes …", "… during an incident")
        if flag is not None and not is_command(rest) and (len(words) == 1 or words[0][-1] in ",.;:" or words[1].lower()
                                                           in ("during", "on", "in", "while", "when", "it", "unless")):
            add(f"--{flag.group(0)}", said)
        bare = re.split(r"(?i)\s+(?:by\s+hand|manually|on|in|unless|while|when|during|before|after|without|if|"
                        r"because|for)\b", rest)[0].strip(" .,;")
        if is_command(bare.split(" / ")[0]):
            add(bare, said)
        aside = re.search(rf"{re.escape(said)}\s*\(([^()`]{{3,120}})\)", failure.evidence)
        if aside and is_command(aside.group(1).strip()):
            add(aside.group(1).strip(), f"{said} ({aside.group(1).strip()})")
    return _alternatives(out)


def _alternatives(givens: list[Given]) -> list[Given]:
    """"gcloud sql instances restart / failover", "kubectl edit / kubectl patch the cronjob": each alternative
    is a forbidden command; a bare verb after the slash takes the first command's other words."""
    out: list[Given] = []
    for g in givens:
        parts = re.split(r"\s+/\s+", g.command)
        first = parts[0].split()
        for part in parts:
            words = part.split()
            command = " ".join([*first[:-1], *words]) if len(words) == 1 and len(first) >= 2 else part
            if (command == g.command or is_command(command)) and not any(o.command == command for o in out):
                out.append(Given(g.purpose, command, g.evidence))
    return out


# what the team forbids doing to a named thing, without a command: "emails.order and emails.order.dlq are never
# purged", "never delete orders-archive". The verbs a command does it with.
_VERBS = {"purge": ("purge",), "delete": ("delete", "del", "rm", "remove", "drop", "destroy"),
          "drop": ("drop", "delete"), "flush": ("flush",), "truncate": ("truncate",), "remove": ("remove", "rm"),
          "reset": ("reset",), "terminate": ("terminate",), "destroy": ("destroy", "delete")}
_THING = r"`?[A-Za-z0-9][\w./:-]*[-_.:/\d][\w./:-]*[A-Za-z0-9]`?"
_THINGS = rf"{_THING}(?:\s*(?:,|\band\b|\bor\b)\s*{_THING})*"
_PASSIVE = re.compile(rf"(?P<names>{_THINGS})\s+(?:is|are|must|may)\s+(?:never|not)\s+(?:be\s+|ever\s+)?"
                      rf"(?P<verb>purg|delet|dropp|flush|truncat|remov|reset|terminat|destroy)(?:ed|e)?\b", re.I)
_ACTIVE = re.compile(rf"\b(?:never|don['’]?t|dont|do\s+not|must\s+not)\s+(?:ever\s+)?"
                     rf"(?P<verb>purge|delete|drop|flush|truncate|remove|reset|terminate|destroy)\s+(?:the\s+)?"
                     rf"(?:queues?\s+|topics?\s+|buckets?\s+|tables?\s+|indices\s+|index\s+|"
                     rf"(?:anything|everything|objects?|files?|data)\s+(?:in|from|under|on)\s+)?(?P<names>{_THINGS})",
                     re.I)


def object_rules(description: str) -> list[tuple[str, str, str]]:
    """(verb, name, the team's words) for each named thing the description forbids purging, deleting …"""
    out: list[tuple[str, str, str]] = []
    for pattern in (_PASSIVE, _ACTIVE):
        for m in pattern.finditer(description):
            stem = m.group("verb").lower()
            verb = next((v for v in _VERBS if v.startswith(stem[:5]) or stem.startswith(v[:5])), "")
            for name in re.findall(_THING, m.group("names")):
                name = name.strip("`")
                if verb and (verb, name) not in [(v, n) for v, n, _ in out]:
                    out.append((verb, name, line_at(description, m.start(), m.end())))
    return out


def _does_to(line: str, verb: str, name: str) -> bool:
    """Whether a shell line does `verb` to `name`: the name as a whole word, and a word that does the verb."""
    if line.lstrip().startswith("#") or not re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", line):
        return False
    words = re.findall(r"[A-Za-z_]+", line.lower())
    return any(w == v or w.startswith(v + "_") or w.endswith("_" + v) for w in words for v in _VERBS[verb])


def enforce(runbook: Runbook, description: str, model: ServiceModel | None) -> Runbook:
    """The runbook with every line that runs a forbidden command turned into a comment that says why."""
    objects = object_rules(description)

    def to_thing(command: Command, shell: str) -> tuple[str, str] | None:
        if command.language not in ("bash", "redis", "sql"):
            return None
        rule = next((r for r in objects if _does_to(shell, r[0], r[1])), None)
        return ("it", rule[2]) if rule is not None else None

    runbook = _comment_out(runbook, to_thing)
    # "kubectl patch the cronjob": the article is the team's prose, not a word of the command
    forbidden = [(g, [w for w in _tokens(g.command) if w.lower() not in ("the", "a", "an", "any", "our")])
                 for g in rules(description, model)]
    forbidden = [(g, words) for g, words in forbidden if len(words) >= 2 or words[:1] and words[0].startswith("--")]

    def runs(command: Command, shell: str) -> tuple[str, str] | None:
        if command.language not in ("bash", "redis"):
            return None
        rule = next((g for g, words in forbidden if _runs(shell, words)), None)
        return (f"`{spoken(rule.command)}`", spoken(rule.evidence)) if rule is not None else None

    return _comment_out(runbook, runs)


def _comment_out(runbook: Runbook, forbids: Callable[[Command, str], tuple[str, str] | None]) -> Runbook:
    """The runbook with each line `forbids` names (what, the team's words) turned into a comment saying why,
    and the command's warning saying so; the input is not changed."""
    if not any(forbids(c, line) for c in iter_commands(runbook) for line in _shell_lines(c)):
        return runbook
    out = runbook.model_copy(deep=True)
    for command in iter_commands(out):
        found = [forbids(command, shell) for shell in _shell_lines(command)]
        if not any(found):
            continue
        comment = "--" if command.language == "sql" else "#"
        lines = [line if hit is None else f"{comment} not run: the team forbids {hit[0]} (\"{_short(hit[1])}\")"
                 for line, hit in zip(command.code.split("\n"), found, strict=True)]
        command.code = "\n".join(lines)
        if all(not line.strip() or line.lstrip().startswith(("#", "--")) for line in lines):
            command.expect = None  # nothing runs: there is nothing to see
        said = "; ".join(dict.fromkeys(_short(hit[1]) for hit in found if hit is not None))
        command.warning = f"The team forbids part of this: {said}" + (f" {command.warning}" if command.warning
                                                                           else "")
    return out


def _short(text: str) -> str:
    text = re.sub(r"^\s*(?:[-*]|\d+[.)])\s*", "", " ".join(text.split()))
    return text if len(text) <= 160 else text[:157].rstrip() + "…"
