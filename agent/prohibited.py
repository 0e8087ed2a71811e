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
from agent.service.commands import Given, forbidden_commands, is_command, spoken
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


def enforce(runbook: Runbook, description: str, model: ServiceModel | None) -> Runbook:
    """The runbook with every line that runs a forbidden command turned into a comment that says why."""
    # "kubectl patch the cronjob": the article is the team's prose, not a word of the command
    forbidden = [(g, [w for w in _tokens(g.command) if w.lower() not in ("the", "a", "an", "any", "our")])
                 for g in rules(description, model)]
    forbidden = [(g, words) for g, words in forbidden if len(words) >= 2 or words[:1] and words[0].startswith("--")]
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
