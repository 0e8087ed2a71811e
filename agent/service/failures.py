"""The team's known failure modes and rules, read from a description's sentences (offline).

A small sentence classifier, its cue phrases as data (`data/failure_cues.yaml`):

* a **failure** sentence names one ("known failure: …", "we've been bitten by …", "watch out for …",
  "last incident: …"), or states a condition with a harmful consequence without any cue ("if the
  connector is down for hours the replication slot pins WAL and the disk fills");
* a **rule** sentence is an instruction: a clause that starts with a prohibition ("never …", "do not
  …") or an instruction ("always …", "the fix is …"), or limits an operation ("one at a time",
  "exactly one").

Each is cut into trigger (the condition, or what comes before the first consequence verb),
consequence, the team's action and prohibition, and bound to the component(s) whose names,
technologies or kind words the sentence mentions (the consequence's first, else the first mentioned,
else the service's own workload). A rule right after a failure sentence about the same component (or
none) is that failure's action / prohibition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.service.model import ServiceModel
from agent.service.vocabulary import Vocabulary, norm


def _pattern(phrases: list[str], *, at_start: bool = False, plural: bool = False) -> re.Pattern[str]:
    """`plural`: a phrase also matches with an "s" ("known problem" in "## Known problems")."""
    parts = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"[\s-]+").replace("'", "['’]?") for p in parts)
    return re.compile((r"^\W*" if at_start else r"(?<![\w-])") + f"(?:{body})" + ("s?" if plural else "")
                      + r"(?![\w-])", re.I)


@dataclass(frozen=True)
class Cues:
    failure: re.Pattern[str]
    prohibition: re.Pattern[str]  # at a clause's start
    instruction: re.Pattern[str]  # at a clause's start
    imperative: re.Pattern[str]  # at a clause's start
    limit: re.Pattern[str]
    harm: re.Pattern[str]
    consequence: re.Pattern[str]  # harm or connector
    condition: re.Pattern[str]
    forward: re.Pattern[str]  # cause before it ("A causes B", "A -> B")
    backward: re.Pattern[str]  # cause after it ("B because A", "B due to A")
    kind_words: tuple[tuple[str, re.Pattern[str]], ...]
    operations: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]  # name, words, command
    all_at_once: re.Pattern[str]
    all_command: re.Pattern[str]
    fix_label: re.Pattern[str]  # at a clause's start, then ":" / "is"
    fixes_it: re.Pattern[str]
    no_action: re.Pattern[str]
    no_help: re.Pattern[str]
    withheld: frozenset[str] = frozenset()  # operations an unconditional "don't" withholds (not only warns)
    conditional: re.Pattern[str] = re.compile(r"(?!)")  # words that make a prohibition conditional
    state: re.Pattern[str] = re.compile(r"(?!)")  # a label's words for a failed state ("node down")
    fix_lead: re.Pattern[str] = re.compile(r"(?!)")  # a line's end that opens a list of fix steps ("Our fix:")
    lessons: re.Pattern[str] = re.compile(r"(?!)")  # a heading over the team's procedure ("What we learned")


@cache
def cues() -> Cues:
    text = resources.files("agent.service").joinpath("data/failure_cues.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    conseq = data["consequence"]
    return Cues(
        failure=_pattern(data["failure"], plural=True), prohibition=_pattern(data["prohibition"], at_start=True),
        instruction=_pattern(data["instruction"], at_start=True),
        imperative=_pattern(data["imperative"], at_start=True), limit=_pattern(data["limit"]),
        harm=_pattern(conseq["harm"]), consequence=_pattern([*conseq["harm"], *conseq["connector"]]),
        condition=_pattern(data["condition"]),
        forward=_pattern(data["direction"]["forward"]), backward=_pattern(data["direction"]["backward"]),
        kind_words=tuple((kind, _pattern(words)) for kind, words in data["kind_words"].items()),
        operations=tuple((name, _pattern(spec["words"]), re.compile(spec["command"], re.I))
                         for name, spec in data["operations"].items()),
        all_at_once=_pattern(data["all_at_once"]), all_command=re.compile(data["all_command"], re.I),
        fix_label=re.compile(_pattern(data["fix_label"], at_start=True).pattern + r"\s*(?:[:=—–-]|\bis\b|\bwas\b)\s*",
                             re.I),
        fixes_it=_pattern(data["fixes_it"]), no_action=_pattern(data["no_action"]), no_help=_pattern(data["no_help"]),
        withheld=frozenset(data.get("withheld", [])), conditional=_pattern(data.get("conditional", [])),
        state=_pattern(data.get("state", [])),
        fix_lead=re.compile(_pattern([*data["fix_label"], *data.get("fix_list_lead", [])]).pattern + r"\s*:\s*$",
                            re.I),
        lessons=_pattern(data.get("lessons", [])))


_CLAUSE = re.compile(r"\s*(?:[;:]|,(?!\d)|\s[—–-]\s|\.\s|\(|\))\s*")
_DETERMINER = re.compile(r"(?<![\w-])(?:the|a|an|our|its|their|this|that|every|each|all|they|we)\s", re.I)
_LEAD = re.compile(r"^(?:[\W_]+|(?:is that|is|are|was|were|that|by|of|for|to|twice|again|this|more than once|"
                   r"before)(?![\w-]))+", re.I)


_CODE = re.compile(r"`[^`\n]*`")


def split_outside_code(pattern: str | re.Pattern[str], text: str) -> list[str]:
    """`re.split` at `pattern`, except inside backticks: a team's command (`psql -c 'SHOW POOLS;'`) stays
    whole. The pattern must have no capturing group."""
    spans = [m.span() for m in _CODE.finditer(text)]
    out: list[str] = []
    start = 0
    for m in re.finditer(pattern, text):
        if m.end() == m.start() or any(a < m.start() < b for a, b in spans):
            continue
        out.append(text[start:m.start()])
        start = m.end()
    out.append(text[start:])
    return out


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in split_outside_code(_CLAUSE, text) if c and c.strip()]


def _tidy(text: str) -> str:
    return text.strip(" ,;:.—–-\"'`()").strip()


@dataclass
class _Reading:
    kind: str
    evidence: str
    trigger: str = ""
    consequence: str = ""
    action: str = ""
    prohibition: str = ""
    mentions: list[tuple[int, str]] = field(default_factory=list)  # (offset, component id)
    typed: list[tuple[int, str, bool]] = field(default_factory=list)  # (offset, component id, by a kind word)
    consequence_at: int = -1  # where the consequence starts in `evidence`
    title: str = ""  # a list item's own title ("Hot partition"); "" for a sentence read alone
    headline: str = ""  # a list item's first sentence: the component it is about is named there

    def component(self) -> str:
        if self.headline:  # a list item is about what its first sentence names first (a name or technology
            # before a kind word: "Memorystore maintenance fails the primary over" is Memorystore's)
            named = [c for at, c, by_kind in self.typed if at < len(self.headline) and not by_kind]
            kinds = [c for at, c, by_kind in self.typed if at < len(self.headline) and by_kind]
            later = [c for _, c, _ in self.typed]
            return (named or kinds or later or [""])[0]
        after = [c for at, c in self.mentions if self.consequence_at >= 0 and at >= self.consequence_at]
        ordered = after or [c for _, c in self.mentions]
        return ordered[0] if ordered else ""


def _instructions(text: str, c: Cues) -> tuple[str, str]:
    """(action, prohibition): the clauses of `text` that instruct or forbid."""
    action: list[str] = []
    prohibition: list[str] = []
    for clause in _clauses(text):
        if c.prohibition.search(clause):
            if len(re.findall(r"[\w'’]+", clause)) > 2:  # a "Do not" heading alone forbids nothing itself
                prohibition.append(_tidy(clause))
        elif c.instruction.search(clause) or (c.imperative.search(clause) and len(clause.split()) >= 2):
            action.append(_tidy(clause))
    return "; ".join(a for a in action if a), "; ".join(p for p in prohibition if p)


def _split(body: str, c: Cues) -> tuple[str, str, int]:
    """(trigger, consequence, where the consequence starts in `body`)."""
    lead = re.match(r"[^:]{3,80}:\s+(?=(?:if|when|whenever|once|after)\b)", body, re.I)
    if lead is not None:  # "The slot one is the one that matters: if …": the label before the colon is no part
        trigger, consequence, at = _split(body[lead.end():], c)
        return trigger, consequence, at + lead.end() if at >= 0 else at
    cond = c.condition.search(body)
    said = _directed(body, c) if cond is None or cond.start() > 0 else None
    if said is not None:
        return said
    if cond is not None and cond.start() > 0 and body[:cond.start()].strip():
        # "a deploy lands during the load, then Redis hits maxmemory": the consequence after the break
        brk = re.search(r",\s*(?:then(?![\w-])|and(?![\w-])|so(?![\w-]))?|\s(?:then|so)\s", body[cond.end():])
        if brk is not None and c.consequence.search(body, cond.end() + brk.end()):
            at = cond.end() + brk.end()
            return _tidy(body[:cond.end() + brk.start()]), _tidy(body[at:]), at
    if cond is not None and cond.start() > 0 and body[:cond.start()].strip() and \
            re.match(r"(?i)when|whenever|if|every|each", cond.group(0)):
        # "a reconnect storm on X when the gateway restarts": consequence first, then the condition
        rest = body[cond.end():]
        end = _CLAUSE.search(rest)
        return _tidy(rest[:end.start()] if end else rest), _tidy(body[:cond.start()]), 0
    if cond is not None and cond.start() == 0:
        rest = body[cond.end():]
        masked = re.sub(r"\([^)]*\)", lambda m: " " * len(m.group(0)), rest)  # a comma in brackets is an aside's
        comma = re.search(r",|(?<![\w-])then(?![\w-])", masked)  # "then-svc" is a name
        if comma is not None:
            return _tidy(rest[:comma.start()]), _tidy(rest[comma.end():]), cond.end() + comma.end()
        verb = c.consequence.search(rest)
        if verb is not None:
            # "if the connector is down for hours the slot pins WAL": the consequence's subject starts at
            # the last determiner before its verb
            cut = [m.start() for m in _DETERMINER.finditer(rest, 0, verb.start()) if m.start() > 0]
            at = cut[-1] if cut else verb.start()
            return _tidy(rest[:at]), _tidy(rest[at:]), cond.end() + at
        return _tidy(rest), "", -1
    verb = c.consequence.search(body)
    if verb is not None and len(body[:verb.start()].split()) >= 2:
        # "the HPA scaling to 40 pods and the Redis connection limit being exhausted": the consequence's
        # subject starts after the last "and" before its verb
        joins = [m.end() for m in re.finditer(r"\s(?:and|so|then)\s", body[:verb.start()])]
        at = joins[-1] if joins else verb.start()
        return _tidy(body[:at].rsplit(" ", 2)[0] if joins else body[:at]), _tidy(body[at:]), at
    return "", _tidy(body), 0


_TRAILING = re.compile(r"(?i)[\s,]*(?:\b(?:which|that|this|and|it|in turn|then|so)\b[\s,]*)+$")


def _directed(body: str, c: Cues) -> tuple[str, str, int] | None:
    """(trigger, consequence, where the consequence starts) when a word says which way cause and effect go:
    "A causes / leads to / -> B" (the cause first), "B because / due to / caused by A" (the cause after).
    The first such word with words on both sides decides; at one place the longer phrase ("caused by"
    over "caused")."""
    masked = re.sub(r"\([^)]*\)", lambda m: " " * len(m.group(0)), body)  # an aside's words say nothing here
    found = sorted([(m, False) for m in c.forward.finditer(masked)] + [(m, True) for m in c.backward.finditer(masked)],
                   key=lambda x: (x[0].start(), -len(x[0].group(0))))
    for m, backward in found:
        before, after = body[:m.start()], body[m.end():]
        before = _TRAILING.sub("", before)
        if len(re.findall(r"\w+", before)) < 2 or len(re.findall(r"\w+", after)) < 2:
            continue
        if backward:  # the cause runs to the end of its clause: what follows is more of the consequence
            end = _CLAUSE.search(after)
            cause = after[:end.start()] if end else after
            rest = re.sub(r"(?i)^\W*(?:and|then|so)\b", "", after[end.end():]) if end else ""
            effect = _tidy(before) + (f"; {_tidy(rest)}" if _tidy(rest) else "")
            return _tidy(cause), effect, 0
        at = m.end() + len(after) - len(after.lstrip())
        return _tidy(before), _tidy(after), at
    return None


def _heading(sentence: str, c: Cues) -> bool:
    """"Known failure modes", "Gotchas:": a cue with next to nothing else (the items follow it)."""
    m = c.failure.search(sentence)
    return m is not None and len(re.findall(r"[\w'-]+", sentence[:m.start()] + sentence[m.end():])) <= 2


# cues that name a document about incidents, not a failure: alone they say nothing broke
_DOCUMENT_CUE = re.compile(r"(?i)post-?\s?mortems?|(?:last|previous|past)\s+incidents?|lessons\s+learned|war\s+stories")


def _read(sentence: str, c: Cues, listed: bool = False) -> _Reading | None:
    """One sentence's failure mode or rule; `listed`: it follows a heading that names failure modes."""
    cue = c.failure.search(sentence)
    if cue is None and listed and c.consequence.search(sentence):
        cue = re.match(r"", sentence)  # an item under "Known failure modes": the heading is its cue
    clauses = _clauses(sentence)
    ruled = any(c.prohibition.search(x) or c.instruction.search(x) for x in clauses) or bool(
        c.limit.search(sentence) and any(words.search(sentence) for _, words, _ in c.operations))
    starts_with_condition = c.condition.search(sentence)
    harmed = starts_with_condition is not None and c.harm.search(sentence, starts_with_condition.end()) is not None
    if cue is None and not harmed and not ruled:
        return None
    kind = "failure" if cue is not None or harmed else "rule"
    if kind == "failure" and len(re.findall(r"\w+", sentence)) < 4:
        return None
    if kind == "failure" and not ruled and cue is not None and _DOCUMENT_CUE.fullmatch(cue.group(0).strip()) and \
            not c.consequence.search(sentence):
        return None  # "notes from the Sept 2024 postmortem (INC-4471)": a document's title, no failure in it
    reading = _Reading(kind, sentence.strip())
    reading.action, reading.prohibition = _instructions(sentence, c)
    if kind == "rule":
        return reading
    offset = 0
    body = sentence
    if cue is not None and cue.group(0):
        head = sentence[:cue.start()]
        if c.condition.search(cue.group(0)):  # "X breaks when Y": the consequence is X breaking
            offset = cue.start()
            # "It breaks when the bucket is empty: the load succeeds with zero rows": what follows the
            # condition's clause is the consequence too
            parts = re.split(r"[,;:]|\bthen\b", sentence[cue.end():], maxsplit=1)
            head = _tidy(sentence[:cue.end() - len(cue.group(0).split()[-1])])
            reading.trigger = _tidy(parts[0])
            reading.consequence = ": ".join(x for x in (head, _tidy(parts[1]) if len(parts) > 1 else "") if x)
            reading.consequence_at = 0
            return reading
        colon = sentence.find(":", cue.end())
        offset = colon + 1 if 0 <= colon - cue.end() <= 30 else cue.end()
        if len(re.findall(r"\w+", sentence[offset:])) >= 3 or not head.strip():
            body = sentence[offset:]
        else:  # "the API's retry loop is a known failure": the cue closes the sentence
            body, offset = head, 0
        lead = _LEAD.match(body)
        if lead:
            offset += lead.end()
            body = body[lead.end():]
    # the instruction clauses are not part of what happens
    kept = body
    for part in (reading.action, reading.prohibition):
        for clause in part.split("; "):
            at = kept.find(clause) if clause else -1
            if at > 0:
                kept = kept[:at]
    reading.trigger, reading.consequence, at = _split(kept, c)
    reading.consequence_at = offset + at if at >= 0 else -1
    return reading


# --- a list under a failure heading: one item, one failure mode ------------------------------------------

_MARK = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+•]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)])[ \t]+")
_INLINE_ITEM = re.compile(r"(?:^|\s)\(?\d{1,2}[.)]\s+")
# a sentence ends at ". " unless it is an abbreviation's
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<=[.!?])\s+(?=\S)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _heading_line(line: str, c: Cues, pattern: re.Pattern[str] | None = None) -> str | None:
    """The words of a line that heads a list of failure modes ("Known issues:", "## Gotchas",
    "**things that have bitten us**", "- things we've seen:"), or None. What follows its colon, if
    anything, is returned after a tab (an inline list: "Known issues: 1) … 2) …")."""
    text = _MARK.sub("", line.strip()).strip().strip("#").strip()
    head, colon, rest = text.partition(":")
    head = head.strip(" *_")
    m = (pattern or c.failure).search(head)
    if m is None or len(re.findall(r"[\w'’-]+", head[:m.start()] + head[m.end():])) > 3:
        return None
    if rest.strip() and not _INLINE_ITEM.search(rest):
        return None  # "Gotcha: the pool runs out when …" is one sentence, read as one
    return f"{head}\t{rest.strip()}" if colon else head


def listed_items(description: str, c: Cues | None = None) -> list[str]:
    """The items of every list under a heading that names failure modes, each with its continuation
    lines, in the description's words. A list ends at a blank line (unless another item follows at the
    list's indent), at a line indented no deeper than its items that is not one of them, or at a
    bullet shallower than its items."""
    c = c or cues()
    return [item for _, items, _ in _lists(description, c, c.failure) for item in items]


def lesson_lists(description: str, c: Cues | None = None) -> list[tuple[str, list[str], str]]:
    """(heading, items, the section it sits in) of every list under a heading over the team's procedure
    ("What we learned / runbook changes", "Lessons learned", "What fixed it, in order:"): its items are
    the steps of one procedure, in order. The section is the Markdown heading above a plain-line lead
    ("## The NOSPACE story"), "" when the lead is a heading itself or none is above it."""
    c = c or cues()
    return _lists(description, c, c.lessons)


def _story_title(lines: list[str], k: int) -> str:
    """The title of the story told in the paragraph a lead line closes ("The bad day (2023, november):
    Hetzner did network maintenance and the three nodes lost each other … The correct way, what we do
    now:"): its label and first clause; "" when the lead opens a paragraph of its own."""
    start = k
    while start > 0 and lines[start - 1].strip() and not lines[start - 1].lstrip().startswith("#"):
        start -= 1
    paragraph = " ".join(ln.strip() for ln in lines[start:k])
    if not paragraph:
        return ""
    first = re.split(r"(?<=[.!?])\s+", paragraph, maxsplit=1)[0]
    label, colon, rest = first.partition(": ")
    label = re.sub(r"\s*\([^)]*\)", "", label).strip()
    clause = re.split(r",\s|;\s|\s[—–-]\s", rest or first)[0].strip(" .")
    title = f"{label}: {clause}" if colon and 1 <= len(label.split()) <= 8 else clause
    return title if len(title) <= 90 else title[:90].rsplit(" ", 1)[0] + "…"


def _lists(description: str, c: Cues, pattern: re.Pattern[str]) -> list[tuple[str, list[str], str]]:
    lines = re.sub(r"\*\*|__", "", description or "").replace("\r\n", "\n").replace("\t", "    ").split("\n")
    out: list[tuple[str, list[str], str]] = []
    k = 0
    while k < len(lines):
        head = _heading_line(lines[k], c, pattern)
        if head is None or (pattern is not c.lessons and _heading_line(lines[k], c, c.lessons) is not None):
            k += 1  # a lessons heading ("Lessons learned") heads one procedure, not failure modes
            continue
        section = "" if lines[k].lstrip().startswith("#") else _story_title(lines, k) or next(
            (ln.strip().strip("#").strip() for ln in reversed(lines[:k]) if ln.lstrip().startswith("#")), "")
        inline = head.partition("\t")[2]
        if inline:  # "Known issues: 1) x happens. 2) y happens."
            out.append((head.partition("\t")[0], [_tidy(p) for p in _INLINE_ITEM.split(inline)
                                                   if len(p.split()) >= 3], section))
            k += 1
            continue
        head_indent, head_bullet = _indent(lines[k]), _MARK.match(lines[k]) is not None
        k += 1
        items: list[list[str]] = []
        item_indent = -1
        while k < len(lines):
            line = lines[k]
            if not line.strip():
                after = next((j for j in range(k + 1, len(lines)) if lines[j].strip()), None)
                if not items:
                    k += 1
                    continue
                if after is not None and _MARK.match(lines[after]) and _indent(lines[after]) == item_indent:
                    k = after
                    continue
                break
            mark = _MARK.match(line)
            indent = _indent(line)
            if mark is not None and (item_indent < 0 or indent == item_indent) and \
                    (not head_bullet or indent > head_indent) and _heading_line(line, c, pattern) is None:
                item_indent = indent
                items.append([line[mark.end():].strip()])
            elif items and mark is None and (indent > item_indent or (
                    not re.search(r"[.!?:]\s*$", items[-1][-1]) and line.strip()[:1].islower())):
                items[-1].append(_as_code(line.strip()))  # the item's next line
            elif items and mark is not None and indent > item_indent:
                items[-1].append(line.strip())  # a sub-bullet is part of its item
            else:
                break
            k += 1
        out.append((head, [" ".join(item) for item in items if len(" ".join(item).split()) >= 3], section))
    return out


def _as_code(line: str) -> str:
    """A command written on a line of its own inside an item, in backticks as the item's text carries it
    ("We look at them with\n    aws stepfunctions list-executions …"): the item's action runs it."""
    from agent.service.commands import command_line_part, is_command_line  # late: commands reads this module

    if "`" in line or not is_command_line(line):
        return line
    command = command_line_part(line)
    return line.replace(command, f"`{command}`", 1)


_LABEL = re.compile(r"^(?P<label>[^:`]{2,60}?):\s+(?P<rest>\S.*)$")


def labelled_items(description: str, c: Cues | None = None) -> list[str]:
    """List items anywhere whose short label names a failed state and whose text says what to do: "- node
    down: ssh in, `journalctl -u x`, then `nodetool drain`", "- compaction backlog: `nodetool
    compactionstats`; don't restart". Teams write their procedures this way without a "Known issues"
    heading; "- backups: nightly to S3" or "- owner: x" name no state and stay facts."""
    c = c or cues()
    lines = re.sub(r"\*\*|__", "", description or "").replace("\r\n", "\n").replace("\t", "    ").split("\n")
    out: list[str] = []
    k = 0
    while k < len(lines):
        mark = _MARK.match(lines[k])
        if mark is None:
            k += 1
            continue
        indent = _indent(lines[k])
        item = [lines[k][mark.end():].strip()]
        k += 1
        while k < len(lines) and lines[k].strip() and _MARK.match(lines[k]) is None and (
                _indent(lines[k]) > indent or not re.search(r"[.!?:]\s*$", item[-1])):
            item.append(_as_code(lines[k].strip()))
            k += 1
        text = " ".join(item)
        m = _LABEL.match(text)
        if m is None:
            continue
        label, rest = m.group("label").strip(), m.group("rest")
        if len(label.split()) > 6 or not c.state.search(label) or c.prohibition.search(label):
            continue
        clauses = _clauses(rest)
        if _instructs(rest, c) or any(_instructs(x, c) for x in clauses) or c.prohibition.search(rest):
            out.append(text)
    return out


_SITUATION = re.compile(r"(?i)^(?:situation|symptoms?|problem|issue|failure(?: mode)?|when|if|case|scenario|"
                        r"what happens|what breaks|alert|signal)s?$")
_RESPONSE = re.compile(r"(?i)\b(?:what (?:we|to|you) do|action|actions|fix|fixes|response|do|steps|procedure|"
                       r"remedy|mitigation|how (?:we|to) fix|what on-?call does|on-?call)\b")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_items(description: str) -> list[str]:
    """Rows of a table whose columns are a situation and what the team does about it ("| situation |
    what we do |", "| symptom | fix |"), each as one item "situation: what we do"."""
    out: list[str] = []
    lines = (description or "").replace("\r\n", "\n").split("\n")
    k = 0
    while k < len(lines):
        if not lines[k].lstrip().startswith("|") or k + 1 >= len(lines) or \
                not re.match(r"^\s*\|?\s*:?-{3,}", lines[k + 1]):
            k += 1
            continue
        head = _cells(lines[k])
        k += 2
        rows = []
        while k < len(lines) and lines[k].lstrip().startswith("|"):
            rows.append(_cells(lines[k]))
            k += 1
        if len(head) >= 2 and _SITUATION.match(head[0]) and _RESPONSE.search(head[1]):
            out += [f"{r[0]}: {r[1]}" for r in rows if len(r) >= 2 and r[0] and r[1]]
    return out


def fix_lists(description: str, c: Cues | None = None) -> list[tuple[str, list[str]]]:
    """(the words before, the steps) of each list the description opens with "Our fix:" at a line's end:
    "… logins hang. Our fix:\n1. `oc get pods`\n2. restart ONE pod at a time …" is that failure's fix."""
    c = c or cues()
    lines = (description or "").replace("\r\n", "\n").replace("\t", "    ").split("\n")
    out: list[tuple[str, list[str]]] = []
    for k, line in enumerate(lines):
        lead = c.fix_lead.search(line.strip())
        if lead is None:
            continue
        steps: list[list[str]] = []
        j = k + 1
        indent = -1
        while j < len(lines) and lines[j].strip():
            mark = _MARK.match(lines[j])
            if mark is not None and (indent < 0 or _indent(lines[j]) == indent):
                indent = _indent(lines[j])
                steps.append([lines[j][mark.end():].strip()])
            elif steps and _indent(lines[j]) > indent:
                steps[-1].append(lines[j].strip())
            else:
                break
            j += 1
        before = line.strip()[:lead.start()].strip()
        if not before and k > 0:  # "Our fix:" on a line of its own: the line before says what it fixes
            before = lines[k - 1].strip()
        if steps:
            out.append((before, [" ".join(x) for x in steps]))
    return out


def _attach_fix(reading: _Reading, said: str, fixes: list[tuple[str, list[str]]], c: Cues,
                taken: set[str]) -> bool:
    """The steps of the fix list whose lead-in ends what `said` says become the reading's action (its
    "don't"s its prohibition); False when no list follows those words."""
    steps = next((st for before, st in fixes if _flat(before) and (
        _flat(before)[-40:] in said or said[-40:] in _flat(before))), None)
    if not steps:
        return False
    reading.action = "; ".join(x for x in (reading.action, *[
        _tidy_item(st) for st in steps if not c.prohibition.search(st)]) if x)
    reading.prohibition = "; ".join(x for x in (reading.prohibition, *[
        _tidy_item(st) for st in steps if c.prohibition.search(st)]) if x)
    reading.evidence = f"{reading.evidence} Fix: " + " ".join(steps)
    taken.update(_flat(st) for st in steps)
    return True


def _same_paragraph(paragraphs: list[str], first: str, second: str) -> bool:
    a, b = _flat(first)[:60], _flat(second)[:60]
    return bool(a and b) and any(a in p and b in p for p in paragraphs)


def _says_what_to_do(sentence: str, c: Cues) -> bool:
    """A sentence that tells what to check or do: a command in backticks, an instruction, "the fix is"."""
    return "`" in sentence or _instructs(sentence, c) or any(_instructs(x, c) for x in _clauses(sentence)) or \
        re.search(r"(?i)\b(?:the\s+fix|fix(?:ed)?\s+(?:it|this)|it\s+is\s+\w+ing)\b", sentence) is not None


def _table_text(sentence: str) -> bool:
    """A sentence that is a Markdown table's text ("| a | b | |---|---| …"): its rows are read as rows."""
    return sentence.lstrip().startswith("|")


def _tidy_item(text: str) -> str:
    """`_tidy`, a bracket or backtick it opened closed again ("a throttle (100 MB/s)")."""
    out = text.strip(" ,;:.—–-\"'()").strip()  # a backticked command keeps its backticks
    out += ")" * max(0, out.count("(") - out.count(")"))
    return out + ("`" if out.count("`") % 2 else "")


def _item_sentences(item: str) -> list[str]:
    return [x.strip() for x in _SENTENCE_END.split(item) if x.strip()]


_AFTER_CONJUNCTION = r"^(?:(?:and|but|then|so|first|also|afterwards|after that|instead)\s+)*"
_ON_EVENT = r"(?:(?:on|after|during|before|for|in)\s+(?:(?:a|an|the|every|each)\s+)?[\w-]+(?:\s+[\w-]+)?,?\s+)?"


def _instructs(clause: str, c: Cues) -> bool:
    """A clause that tells the reader to do something: an instruction or imperative at its start (after
    "and", "then", "but on a disk alert"), or one after a condition ("if OOMs repeat, route …")."""
    rest = re.sub(_AFTER_CONJUNCTION + _ON_EVENT, "", clause.strip(), flags=re.I)
    if rest.startswith("`") and len(rest) > 3:
        return True  # "then `nodetool drain && …`": a command given to run
    if re.match(r"(?i)we\s+(?!(?:have|had|were|are|was|lost|saw|got|noticed|found|think|believe|don'?t|do\s+not|"
                r"never|can'?t|cannot|could|would|should|might|may)\b)[a-z]+", rest):
        return True  # "once it is back we redrive": what the team does is its action
    if c.instruction.search(rest) or (c.imperative.search(rest) and len(rest.split()) >= 2):
        return True
    cond = c.condition.search(rest)
    if cond is not None and cond.start() == 0:
        comma = re.search(r",\s*(?:then\s+)?", rest)
        return comma is not None and _instructs(rest[comma.end():], c)
    return False


def _item_advice(sentences: list[str], c: Cues) -> tuple[str, str]:
    """(action, prohibition) of a list item, in the team's words: what follows "Fix:", a sentence that
    "fixes it", an instruction ("check that env var on the running pods first", "if OOMs repeat, route
    …"), "nothing to do unless …"; and what it forbids or says does not help ("don't restart pods for
    this", "scaling X does not help")."""
    action: list[str] = []
    prohibition: list[str] = []
    for index, sentence in enumerate(sentences):
        label = re.search(r"(?:^|(?<=[\s(;:.]))" + c.fix_label.pattern.lstrip("^"), sentence, re.I)
        if label is not None:
            text = sentence[label.end():]
            if not text.strip():
                continue
            for part in split_outside_code(r";\s*|\s[—–]\s|,\s*(?=(?:never|do not|don't|not)\b)", text):
                if c.prohibition.search(part):
                    prohibition.append(_tidy_item(part))
                elif _tidy_item(part):
                    action.append(_tidy_item(part))
            continue
        if c.fixes_it.search(sentence):
            action.append(_tidy_item(sentence))
            continue
        if index == 0:  # "Node maintenance: drain one node at a time": the label names, the rest instructs
            label = re.match(r"^([^:]{2,60}):\s+", sentence)
            if label is not None and not c.prohibition.search(label.group(1)):
                rest = sentence[label.end():]
                operated = any(w.search(label.group(1) + " " + rest) for _, w, _ in c.operations)
                if _instructs(rest, c) or any(_instructs(x, c) for x in _clauses(rest)[1:]) or (
                        c.limit.search(rest) and operated):
                    action.append(_tidy_item(rest))
                    continue
                sentence = rest
        for number, part in enumerate(split_outside_code(r";\s*|\s[—–]\s", sentence)):
            clauses = _clauses(part)
            opens = index > 0 or number > 0 or not c.condition.search(part[:12])
            if c.prohibition.search(part) or c.no_help.search(part):
                prohibition.append(_tidy_item(part))
            elif opens and clauses and _instructs(part, c) and not (index == 0 and number == 0 and
                                                                   c.condition.search(part[:12])):
                action.append(_tidy_item(part))
            elif index == 0 and number == 0 and c.condition.search(part[:12]) and _instructs(part, c):
                # "If the queue backs up, restart x": the condition is the failure, what follows the fix
                comma = re.search(r",\s*(?:then\s+)?", part)
                action.append(_tidy_item(part[comma.end():] if comma else part))
            elif c.no_action.search(part):
                found = next(x for x in clauses if c.no_action.search(x)) if clauses else part
                action.append(_tidy_item(part[part.find(found):]))
            elif (index > 0 or number > 0) and any(_instructs(x, c) for x in clauses[1:]):
                at = next(x for x in clauses[1:] if _instructs(x, c))
                action.append(_tidy_item(part[part.find(at):]))
    action = [re.sub(r"(?i)^(?:(?:and|but|so|then)\s+)+", "", a) for a in action]
    return "; ".join(dict.fromkeys(a for a in action if a)), "; ".join(dict.fromkeys(p for p in prohibition if p))


def item_title(item: str) -> str:
    """The item's title in its own words: its label ("Hot partition: …"), else its first clause, asides
    in brackets left out ("Memorystore maintenance (Tue 02:00) fails the primary over")."""
    first = _item_sentences(item)[0] if item.strip() else ""
    first = re.sub(r"\s*\([^)]*\)", "", first)
    fix = re.search(r"(?:(?<=[\s(;:.])|\s*(?:->|→|=>|—|–)\s*)" + cues().fix_label.pattern.lstrip("^"), first, re.I)
    if fix is not None and fix.start() > 0:  # "x leaks connections -> fix: restart x": the title ends at the fix
        first = first[:fix.start()]
    label, colon, rest = first.partition(": ")
    if colon and rest.strip() and cues().failure.fullmatch(label.strip()):
        first = rest  # "Known failure: RiskLens outage -> …": the label says only that it is one
        label, colon, rest = first.partition(": ")
    words = len(label.split())
    if colon and rest.strip() and 2 <= words <= 8:
        return _tidy_item(label)
    if colon and rest.strip() and words == 1:  # "JVM: container limit 2Gi …": the label says too little alone
        return _tidy_item(label + ": " + re.split(r",\s|;\s|:\s", rest.strip())[0])
    clauses = re.split(r",\s|;\s|:\s|\s[—–-]\s|\s*(?:->|→|=>)\s*|\s(?:because|since|so that|which)\s", first)
    if len(clauses) > 1 and re.match(r"(?i)(?:after|if|when|whenever|once|during|while)\b", clauses[0]) and \
            not _instructs(clauses[1], cues()):
        return _tidy_item(f"{clauses[0]}, {clauses[1]}")  # "After a node drain, leaders pile up on one node"
    return _tidy_item(clauses[0])


def _after_failure(description: str, heading: str, c: Cues) -> bool:
    """Whether the sentence right before the line `heading` leads reads as a failure mode."""
    at = description.find(heading)
    before = re.split(r"(?<=[.!?])\s+|\n\s*\n", description[:at].strip()) if at > 0 else []
    reading = _read(before[-1], c) if before else None
    return reading is not None and reading.kind == "failure"


def _procedure(heading: str, steps: list[str], section: str, description: str, c: Cues
               ) -> tuple[_Reading, list[_Reading]] | None:
    """The team's procedure under a lessons heading as one failure mode (its steps, in order, the action;
    titled by the document it closes, a postmortem's title, when the heading only says "what we
    learned"), and the steps that only forbid something as rules of their own. None without a step
    that carries a command: then the list is the team's opinions, not a procedure."""
    if sum("`" in step for step in steps) < 1:
        return None
    rules: list[_Reading] = []
    actions: list[str] = []
    for step in steps:
        reading = _read_item(step, c)
        if reading is not None and reading.kind == "rule":
            rules.append(reading)
            continue
        actions.append(_tidy_item(step))
        if reading is not None and reading.prohibition:  # a step's "never" is a rule in the step's own words
            rule = _Reading("rule", " ".join(step.split()))
            rule.prohibition = reading.prohibition
            rules.append(rule)
    if not actions:
        return None
    first = next((ln.strip(" #=*") for ln in (description or "").splitlines() if ln.strip(" #=*")), "")
    topic = heading.strip(" :") if len(re.findall(r"\w+", c.lessons.sub("", heading))) >= 3 else ""
    section = re.sub(r"\s*\([^)]*\)\s*$", "", section)  # "The NOSPACE story (read this one)"
    title = (f"What fixed it: {section}" if section else topic or
                      f"What the team learned: {first}" if first and len(first) <= 90 and not first.endswith(".")
                      else "What the team learned")
    procedure = _Reading("failure", " ".join([heading.strip() + ":", *steps]), title=title)
    procedure.action = "\n".join(actions)  # one step per line: the team's order is kept
    procedure.consequence = title
    return procedure, rules


def _read_item(item: str, c: Cues) -> _Reading | None:
    """One list item under a failure heading as one failure mode (or, when it opens with a prohibition,
    one rule): its first sentence says what happens, all of it what the team does about it."""
    sentences = _item_sentences(item)
    if not sentences or len(re.findall(r"\w+", item)) < 3:
        return None
    first = re.sub(r"^[^:]{2,60}:\s+", "", sentences[0]) if ":" in sentences[0][:62] else sentences[0]
    opening = _MARK.sub("", first)
    kind = "rule" if c.prohibition.search(opening) or c.prohibition.search(sentences[0]) else "failure"
    reading = _Reading(kind, " ".join(item.split()), title=item_title(item), headline=sentences[0])
    reading.action, reading.prohibition = _item_advice(sentences, c)
    if kind == "rule":
        return reading
    if not reading.action and "`" in item:
        # "clock skew warning on the mons -> chrony on the mons (`chronyc sources`)": under a failure heading,
        # the team's commands are what it does about it
        led = re.search(r"(?:->|→|=>|:)\s*([^`]*`.*)$", sentences[0])
        reading.action = (led.group(1) if led else " ".join(x for x in sentences if "`" in x)).strip().rstrip(".")
    if not (reading.action or reading.prohibition or c.consequence.search(item) or c.harm.search(item)):
        return None  # "snapshots: hourly, 14 days kept" is a fact, not a failure mode
    head = _read(sentences[0], c, listed=True)
    if re.match(rf"{re.escape(reading.title)}\s*:", sentences[0], re.I) and c.state.search(reading.title):
        reading.consequence = reading.title  # "node down: ssh in, …": the label is what happens, the rest the fix
    elif head is not None and head.kind == "failure":
        reading.trigger, reading.consequence = head.trigger, head.consequence
    else:
        reading.consequence = _tidy(re.sub(r"\s*\([^)]*\)", "", sentences[0]))
    reading.consequence_at = 0
    return reading


def _mentions(sentence: str, model: ServiceModel, vocab: Vocabulary, c: Cues) -> list[tuple[int, str]]:
    """(offset, component id) for every component the sentence names, by name, technology or kind word."""
    return sorted({(at, ident) for at, ident, _ in _typed_mentions(sentence, model, vocab, c)})


def _typed_mentions(sentence: str, model: ServiceModel, vocab: Vocabulary, c: Cues) -> list[tuple[int, str, bool]]:
    """`_mentions`, each marked whether only a kind word ("primary", "queue") names it."""
    found: list[tuple[int, str]] = []
    app = model.app
    # a plain word bound as a name ("orders") says less than the technology next to it: only names that
    # look like identifiers bind a sentence (payments-api, pg-01, ordersDB)
    names: list[tuple[str, str]] = [(n.value, comp.id) for comp, n in model.all_names()
                                    if len(n.value) >= 3 and n.role not in ("port", "health_path", "url")
                                    and (not n.value.isalpha() or not n.value.islower())]
    if app is not None:
        names += [(model.service.name, app.id), (model.service.display, app.id)]
    for value, ident in sorted(names, key=lambda x: -len(x[0])):
        for m in re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", sentence, re.I):
            found.append((m.start(), ident))
    proper = {p.lower(): p for p in vocab.proper}
    for m in vocab.tech_pattern.finditer(sentence):
        word = m.group(0)
        if word.lower() in proper and word not in (proper[word.lower()], proper[word.lower()].upper()):
            continue
        tech = vocab.technologies.get(vocab.tech_words.get(norm(word)) or "")
        if tech is None:
            continue
        comps = model.components_of(tech.id)
        if not comps and (tech.kind in ("platform", "runtime")) and app is not None:
            comps = [app]
        found += [(m.start(), comps[0].id)] if comps else []
    for m in vocab.variant_pattern.finditer(sentence):  # "Memorystore", "Cloud SQL": a managed product names
        variant = vocab.variants.get(norm(m.group(0)))  # the component of the technology it is one of
        of = [x for x in model.components if variant is not None and (x.variant == variant.variant or (
            x.technology in variant.of and x is not app))]
        found += [(m.start(), of[0].id)] if of else []
    by_kind: list[tuple[int, str]] = []
    for kind, words in c.kind_words:
        of_kind = [x for x in model.components if x.kind == kind]
        if len(of_kind) == 1:
            by_kind += [(m.start(), of_kind[0].id) for m in words.finditer(sentence)]
    return sorted({(at, ident, False) for at, ident in found} | {(at, ident, True) for at, ident in by_kind
                                                               if (at, ident) not in found})


def _continues(rule: _Reading, failure: _Reading, c: Cues) -> bool:
    """A rule right after a failure is that failure's: it names the same component, or none and says
    nothing of an operation (an operation with no component is the service's own: "never restart all
    pods at once"), or points back at it ("never flush it")."""
    if rule.component():
        return rule.component() == failure.component()
    operation = any(words.search(rule.evidence) for _, words, _ in c.operations)
    return not operation or re.search(r"(?i)\b(?:it|this|that|them|those)\b", rule.evidence) is not None


def _flat(text: str) -> str:
    """For comparing an item with the sentences it was read from: no emphasis, backticks or spacing."""
    return " ".join(re.sub(r"\*\*|__|`", "", text).split()).lower()


def read(sentences: list[str], model: ServiceModel, vocab: Vocabulary, description: str = "") -> list[dict[str, Any]]:
    """The failure modes and rules of `sentences`, as `FailureMode` data for `model`; each item of a list
    under a failure heading in `description` is one, whatever sentences it spans."""
    c = cues()
    out: list[_Reading] = []
    items = listed_items(description, c)
    flat_listed = [_flat(i) for i in items]
    items += [i for i in labelled_items(description, c) if not any(_flat(i) in x for x in flat_listed)]
    items += table_items(description)
    for item in items:
        reading = _read_item(item, c)
        if reading is not None:
            reading.typed = _typed_mentions(reading.evidence, model, vocab, c)
            reading.mentions = sorted({(at, ident) for at, ident, _ in reading.typed})
            out.append(reading)
    for lead, steps, section in lesson_lists(description, c):
        heading = lead.partition("\t")[0]
        if c.fix_lead.search(heading.strip() + ":") and _after_failure(description, heading, c):
            continue  # "… the pool runs dry. What fixed it:": the fix list of that failure (the sentence pass)
        found = _procedure(heading, steps, section, description, c)
        if found is None:
            continue
        procedure, step_rules = found
        for rule in step_rules:
            rule.mentions = _mentions(rule.evidence, model, vocab, c)
        out += [procedure, *step_rules]
        items += steps
    flat_items = [_flat(i) for i in items]
    fixes = fix_lists(description, c)
    paragraphs = [_flat(p) for p in re.split(r"\n\s*\n", description or "")]
    taken_steps: set[str] = set()  # steps of a fix list read as their failure's action
    previous: tuple[int, _Reading] | None = None
    listed = -99  # index of the last heading that names failure modes ("Known issues:")
    for index, sentence in enumerate(sentences):
        # a heading that names failure modes and the first item after it, read as one sentence ("THINGS THAT
        # HAPPEN (1) a disk dies."): the item's part is what an item may hold
        cue = c.failure.search(sentence)
        item_part = re.sub(r"^[\s:.-]*(?:\(?\d+[.)]|[-*•])?\s*", "", sentence[cue.end():]) \
            if cue is not None and not sentence[:cue.start()].strip(" #*-=:") else sentence
        if flat_items and any(_flat(x)[:80] in i for i in flat_items for x in {sentence, item_part}
                              if len(_flat(x).strip(" ()0123456789.:")) > 2):
            continue  # read with its item (its own-line commands are not in the sentence: its start is)
        if any(_flat(sentence) in step for step in taken_steps if len(_flat(sentence)) > 2):
            continue  # a step of a failure's fix list
        if _table_text(sentence):
            continue  # a table's rows are items of their own (table_items) or facts, never one failure
        if _heading(sentence, c) or _heading_line(sentence, c) is not None:
            listed = index
            continue
        if previous is not None and previous[0] == index - 1 and previous[1].kind == "failure" and \
                not previous[1].title and c.failure.search(sentence) is None and \
                c.fix_lead.search(sentence.strip()) is None and \
                _same_paragraph(paragraphs, sentences[index - 1], sentence) and _says_what_to_do(sentence, c):
            # "The failure we keep seeing: … . Check with `x`. The fix is NOT restarting y. It is restarting z
            # (`…`)": what the paragraph says next is that failure's checks, fix and "don't"s
            failure = previous[1]
            failure.evidence = f"{failure.evidence} {sentence.strip()}"
            bucket = "prohibition" if re.search(r"(?i)\b(?:not|never|don'?t)\b", sentence) and \
                "`" not in sentence else "action"
            setattr(failure, bucket, "; ".join(x for x in (getattr(failure, bucket), _tidy_item(sentence)) if x))
            previous = (index, failure)
            continue
        alone = c.fix_lead.search(sentence.strip())
        if alone is not None and len(sentence.strip()[:alone.start()].split()) <= 2 and previous is not None and \
                previous[0] == index - 1 and previous[1].kind == "failure":
            # "… logins hang. Our fix:" then the list: the fix of the failure just read
            if _attach_fix(previous[1], _flat(sentences[index - 1]), fixes, c, taken_steps):
                continue
        reading = _read(sentence, c, listed=index - listed <= 8)
        if reading is None:
            continue
        if reading.kind == "failure" and alone is not None:
            _attach_fix(reading, _flat(sentence), fixes, c, taken_steps)
        reading.mentions = _mentions(reading.evidence, model, vocab, c)
        if reading.kind == "rule" and previous is not None and previous[0] == index - 1 and \
                previous[1].kind == "failure" and _continues(reading, previous[1], c):
            failure = previous[1]  # "Known failure: … . Never purge the queue." is that failure's rule
            failure.evidence = f"{failure.evidence} {reading.evidence}"
            failure.action = "; ".join(x for x in (failure.action, reading.action) if x)
            failure.prohibition = "; ".join(x for x in (failure.prohibition, reading.prohibition) if x)
            previous = (index, failure)
            continue
        out.append(reading)
        previous = (index, reading)
    app = model.app
    result = []
    # "Never never:", "NEVER EVER": a heading over the rules, no rule of its own
    out = [r for r in out if not (r.kind == "rule" and not r.action and not r.prohibition and
                                  len(re.findall(r"\w+", r.evidence)) <= 3)]
    for r in out:
        primary = r.component() or (app.id if app is not None else "")
        mentioned = [(at, ident) for at, ident, by_kind in r.typed if not by_kind] if r.headline else r.mentions
        related = list(dict.fromkeys(ident for _, ident in mentioned if ident != primary))
        result.append({"kind": r.kind, "component": primary, "related": related, "title": r.title,
                       "trigger": r.trigger,
                       "consequence": r.consequence, "action": r.action, "prohibition": r.prohibition,
                       "origin": "given", "evidence": r.evidence, "at": ""})
    return result


def with_failures(model: ServiceModel, sentences: list[str], vocab: Vocabulary, description: str = "") -> ServiceModel:
    """`model` with the failure modes and rules its description's sentences (and lists) state."""
    found = read(sentences, model, vocab, description)
    if not found:
        return model
    return ServiceModel.model_validate({**model.model_dump(), "failures": found})
