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


def _pattern(phrases: list[str], *, at_start: bool = False) -> re.Pattern[str]:
    parts = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"[\s-]+").replace("'", "['’]?") for p in parts)
    return re.compile((r"^\W*" if at_start else r"(?<![\w-])") + f"(?:{body})" + r"(?![\w-])", re.I)


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


@cache
def cues() -> Cues:
    text = resources.files("agent.service").joinpath("data/failure_cues.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    conseq = data["consequence"]
    return Cues(
        failure=_pattern(data["failure"]), prohibition=_pattern(data["prohibition"], at_start=True),
        instruction=_pattern(data["instruction"], at_start=True),
        imperative=_pattern(data["imperative"], at_start=True), limit=_pattern(data["limit"]),
        harm=_pattern(conseq["harm"]), consequence=_pattern([*conseq["harm"], *conseq["connector"]]),
        condition=_pattern(data["condition"]),
        forward=_pattern(data["direction"]["forward"]), backward=_pattern(data["direction"]["backward"]),
        kind_words=tuple((kind, _pattern(words)) for kind, words in data["kind_words"].items()),
        operations=tuple((name, _pattern(spec["words"]), re.compile(spec["command"], re.I))
                         for name, spec in data["operations"].items()),
        all_at_once=_pattern(data["all_at_once"]), all_command=re.compile(data["all_command"], re.I))


_CLAUSE = re.compile(r"\s*(?:[;:]|,(?!\d)|\s[—–-]\s|\.\s|\(|\))\s*")
_DETERMINER = re.compile(r"(?<![\w-])(?:the|a|an|our|its|their|this|that|every|each|all|they|we)\s", re.I)
_LEAD = re.compile(r"^(?:[\W_]+|(?:is that|is|are|was|were|that|by|of|for|to|twice|again|this|more than once|"
                   r"before)(?![\w-]))+", re.I)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


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
    consequence_at: int = -1  # where the consequence starts in `evidence`

    def component(self) -> str:
        after = [c for at, c in self.mentions if self.consequence_at >= 0 and at >= self.consequence_at]
        ordered = after or [c for _, c in self.mentions]
        return ordered[0] if ordered else ""


def _instructions(text: str, c: Cues) -> tuple[str, str]:
    """(action, prohibition): the clauses of `text` that instruct or forbid."""
    action: list[str] = []
    prohibition: list[str] = []
    for clause in _clauses(text):
        if c.prohibition.search(clause):
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
        brk = re.search(r",\s*(?:then\b|and\b|so\b)?|\s(?:then|so)\s", body[cond.end():])
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
        comma = re.search(r",|\bthen\b", masked)
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


def _mentions(sentence: str, model: ServiceModel, vocab: Vocabulary, c: Cues) -> list[tuple[int, str]]:
    """(offset, component id) for every component the sentence names, by name, technology or kind word."""
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
    for kind, words in c.kind_words:
        of_kind = [x for x in model.components if x.kind == kind]
        if len(of_kind) == 1:
            found += [(m.start(), of_kind[0].id) for m in words.finditer(sentence)]
    return sorted(set(found))


def _continues(rule: _Reading, failure: _Reading, c: Cues) -> bool:
    """A rule right after a failure is that failure's: it names the same component, or none and says
    nothing of an operation (an operation with no component is the service's own: "never restart all
    pods at once"), or points back at it ("never flush it")."""
    if rule.component():
        return rule.component() == failure.component()
    operation = any(words.search(rule.evidence) for _, words, _ in c.operations)
    return not operation or re.search(r"(?i)\b(?:it|this|that|them|those)\b", rule.evidence) is not None


def read(sentences: list[str], model: ServiceModel, vocab: Vocabulary) -> list[dict[str, Any]]:
    """The failure modes and rules of `sentences`, as `FailureMode` data for `model`."""
    c = cues()
    out: list[_Reading] = []
    previous: tuple[int, _Reading] | None = None
    listed = -99  # index of the last heading that names failure modes ("Known issues:")
    for index, sentence in enumerate(sentences):
        if _heading(sentence, c):
            listed = index
            continue
        reading = _read(sentence, c, listed=index - listed <= 8)
        if reading is None:
            continue
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
    for r in out:
        primary = r.component() or (app.id if app is not None else "")
        related = list(dict.fromkeys(ident for _, ident in r.mentions if ident != primary))
        result.append({"kind": r.kind, "component": primary, "related": related, "trigger": r.trigger,
                       "consequence": r.consequence, "action": r.action, "prohibition": r.prohibition,
                       "origin": "given", "evidence": r.evidence, "at": ""})
    return result


def with_failures(model: ServiceModel, sentences: list[str], vocab: Vocabulary) -> ServiceModel:
    """`model` with the failure modes and rules its description's sentences state."""
    found = read(sentences, model, vocab)
    if not found:
        return model
    return ServiceModel.model_validate({**model.model_dump(), "failures": found})
