"""The parser's grammar, read from `data/vocabulary.yaml`: technologies and the words that name them,
variants (managed products, deployment forms), roles (their nouns, owners and value shapes), attribute
words, relationship verbs, holds, controllers and settings.

The data is the reviewable part; this module only types it and compiles the phrase matchers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from agent.service.model import ROLES

# what the words right after a mention say of it: 'the old page "Checkout on ECS" is dead' denies ECS
# "… is dead", "… unit is masked", "an etcd-4 during the migration. It's gone": the thing is not in service
_RETIRED_AFTER = re.compile(r"""^[`'"”’)]*\s*(?:(?:unit|service|host|node|member|box)\s+)?(?:(?:is|are|was|were)\s+"""
                            r"(?:now\s+)?|[^.;()]{0,40}[.;]\s+(?:it'?s|it\s+is|it\s+was|they'?re|they\s+are)\s+(?:now\s+)?)"
                            r"(?:dead|gone|retired|obsolete|outdated|deprecated|decommissioned|masked|disabled|history|"
                            r"no\s+longer\s+used)\b", re.IGNORECASE)


# an adverb by its shape: a stem of four letters or more, or an adjective's ending, then -ly ("really",
# "usually", "slowly"); "aaly", "reply", "supply" or "poly" may be names
_ADVERB = re.compile(r"[a-z]+(?:al|ful|ous|ive|ent|ant|ic|ate|less|ish|ible|able|ary|ory|ed|ing|ar|er|st|ct|ft|"
                     r"ow|ick|ight|ear|ull|ain|irm|ong|ort|re|ef|om)ly|(?:on|ear|dai|ful|new|most|hour|week|month|year|"
                     r"rare|mere|sure|near|late|clear|simp|like|time|tru|du|ful|whol|ug)ly")


def retired_after(following: str) -> bool:
    """Whether the text right after a mention says the thing is gone ('" is dead', ' was retired')."""
    return _RETIRED_AFTER.match(following[:90]) is not None


def norm(phrase: str) -> str:
    """The lookup key of a phrase: lower case, no spaces or hyphens ("Dead-letter" -> "deadletter")."""
    return re.sub(r"[\s-]+", "", phrase.lower())


# A hyphenated, dotted or slashed identifier is one word: a phrase never matches a part of it
# ("no" in `aaa-no`, "cache" in `orders-cache.internal`), but may end a sentence ("uses Redis.").
WORD_START = r"(?<![\w@])(?<!\w[-./:])"
WORD_END = r"(?![\w@])(?![-./:]\w)"


def phrase_pattern(phrases: list[str]) -> re.Pattern[str]:
    """One alternation, longest first; a space or hyphen in a phrase also matches the other or nothing."""
    parts = sorted({p.lower() for p in phrases}, key=len, reverse=True)
    alts = [r"[\s-]?".join(re.escape(w) for w in re.split(r"[\s-]+", p)) for p in parts]
    return re.compile(WORD_START + r"(?:" + "|".join(alts) + r")" + WORD_END, re.IGNORECASE)


@dataclass(frozen=True)
class Technology:
    id: str
    words: tuple[str, ...]
    kind: str  # a ServiceModel Kind, or platform / runtime / monitoring / pager / tool / cloud
    env: str
    cloud: str
    form: str
    display: str
    vendor: str
    is_: str  # eks -> kubernetes
    for_: str  # pgbouncer -> postgresql: the technology it serves
    carries: str = ""  # the role of what a flow verb moves through it (kafka: topic, sqs: queue)
    # the role of a name written right after the technology's word ("the Lambda x": its function)
    names: str = ""

    @property
    def platform(self) -> bool:
        return self.kind == "platform"

    @property
    def component(self) -> bool:
        """Whether a mention makes a component of its own."""
        return self.kind not in ("platform", "runtime", "monitoring", "pager", "tool", "cloud")


@dataclass(frozen=True)
class Variant:
    words: tuple[str, ...]
    of: tuple[str, ...]
    default: str
    form: str
    variant: str
    cloud: str


@dataclass(frozen=True)
class RoleSpec:
    id: str
    nouns: tuple[str, ...]
    owners: tuple[str, ...]
    needs: tuple[str, ...]
    needs_anywhere: bool  # `needs` is met by the technology anywhere in the description (a GCP project)
    shape: re.Pattern[str]
    shape_name: str
    plain: str  # "yes": a bare word after the noun is a name; "partial": only in a label; "no"
    list: bool
    tech_names: bool
    tech_before: bool  # "the rabbitmq namespace": a lower-case technology word before the noun is a name
    cloud_owner: dict[str, str]  # a bucket on AWS is S3's even when S3 is not named
    implies: str  # a technology its names imply when none that holds them is named (bootstrap servers: Kafka)


@dataclass(frozen=True)
class Relation:
    pattern: re.Pattern[str]
    kind: str
    holds: str
    only: tuple[str, ...]  # component kinds this verb relates to ("" = any)


@dataclass(frozen=True)
class ControllerSpec:
    pattern: re.Pattern[str]
    aspect: str
    by: str
    on: str


@dataclass(frozen=True)
class SettingSpec:
    key: str
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    flag: re.Pattern[str] | None
    value: str  # int, duration, size, range, word
    unit: str
    words: tuple[str, ...]
    why: bool
    owners: tuple[str, ...]  # technologies whose component the setting belongs to ("" = the clause's)


@dataclass(frozen=True)
class Vocabulary:
    technologies: dict[str, Technology]
    tech_words: dict[str, str]  # norm(word) -> technology id
    tech_pattern: re.Pattern[str]
    variants: dict[str, Variant]  # norm(word) -> variant
    variant_pattern: re.Pattern[str]
    roles: dict[str, RoleSpec]
    noun_roles: dict[str, tuple[str, ...]]  # norm(noun) -> roles it may name
    noun_pattern: re.Pattern[str]
    solid_nouns: frozenset[str]  # nouns written as one word ("statefulset"), matched in any case
    attributes: dict[str, frozenset[str]]  # role or "any" -> words
    modifiers: frozenset[str]
    naming: frozenset[str]
    negation: re.Pattern[str]
    relations: tuple[Relation, ...]
    holds: tuple[tuple[str, re.Pattern[str]], ...]
    controllers: tuple[ControllerSpec, ...]
    settings: tuple[SettingSpec, ...]
    people: dict[str, re.Pattern[str]]
    proper: frozenset[str]  # words that name a technology only as written ("Go")
    not_names: frozenset[str]
    not_name_suffixes: tuple[str, ...]
    non_resource_nouns: frozenset[str]  # "metric", "feature flag": the name beside it is no resource
    noun_owners: dict[str, tuple[str, ...]]  # norm(noun) -> the only technologies its names belong to ("brokers")
    config_keys: frozenset[str] = frozenset()  # norm(key) of config keys that are nouns of a role
    flow_messaging: re.Pattern[str] | None = None  # verbs that move messages ("consumes", "publishes to")
    flow_general: re.Pattern[str] | None = None  # verbs that move anything ("writes to", "goes to")

    def ordinary(self, word: str) -> bool:
        """A hyphenated or dotted word that is an ordinary word ("on-call", "customer-facing")."""
        low = word.lower()
        # an adverb ("really", "usually", "only") is never a name: "a node is really broken"
        return low in self.not_names or low.endswith(self.not_name_suffixes) or _ADVERB.fullmatch(low) is not None

    def attribute(self, role: str, word: str) -> bool:
        low = word.lower()
        return low in self.attributes.get("any", frozenset()) or low in self.attributes.get(role, frozenset())


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _pattern(value: Any) -> re.Pattern[str] | None:
    words = list(_tuple(value))
    return phrase_pattern(words) if words else None


@cache
def vocabulary() -> Vocabulary:
    text = resources.files("agent.service").joinpath("data/vocabulary.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml reads it ~6x faster when present
    return build(yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader


def build(data: dict[str, Any]) -> Vocabulary:
    """A `Vocabulary` from the YAML's data (tests build small ones to check a rule in isolation)."""
    techs: dict[str, Technology] = {}
    tech_words: dict[str, str] = {}
    for ident, spec in data["technologies"].items():
        words = _tuple(spec.get("words")) or (ident,)
        techs[ident] = Technology(
            id=ident, words=words, kind=str(spec.get("kind", "other")), env=str(spec.get("env", "")),
            cloud=str(spec.get("cloud", "")), form=str(spec.get("form", "")),
            display=str(spec.get("display", ident)), vendor=str(spec.get("vendor", "")),
            is_=str(spec.get("is", "")), for_=str(spec.get("for", "")), carries=str(spec.get("carries", "")),
            names=str(spec.get("names", "")))
        for word in words:
            tech_words.setdefault(norm(word), ident)
    variants: dict[str, Variant] = {}
    for spec in data.get("variants", []):
        variant = Variant(words=_tuple(spec["words"]), of=_tuple(spec.get("of")), default=str(spec.get("default", "")),
                          form=str(spec.get("form", "")), variant=str(spec.get("variant", "")),
                          cloud=str(spec.get("cloud", "")))
        for word in variant.words:
            variants.setdefault(norm(word), variant)
    shapes = {name: re.compile(rf"(?:{pattern})") for name, pattern in data["shapes"].items()}
    roles: dict[str, RoleSpec] = {}
    noun_roles: dict[str, list[str]] = {}
    for ident, spec in data["roles"].items():
        plain = spec.get("plain", False)
        role = RoleSpec(
            id=ident, nouns=_tuple(spec["nouns"]), owners=_tuple(spec.get("owners")) or ("app",),
            needs=_tuple(spec.get("needs")), needs_anywhere=bool(spec.get("needs_anywhere")),
            shape=shapes[spec.get("shape", "id")], shape_name=spec.get("shape", "id"),
            plain="partial" if plain == "partial" else ("yes" if plain else "no"), list=bool(spec.get("list")),
            tech_names=bool(spec.get("tech_names")), tech_before=bool(spec.get("tech_before")),
            cloud_owner={str(k): str(v) for k, v in (spec.get("cloud_owner") or {}).items()},
            implies=str(spec.get("implies", "")))
        roles[ident] = role
        for noun in role.nouns:
            noun_roles.setdefault(norm(noun), []).append(ident)
    config_keys = {str(k).lower(): str(v) for k, v in (data.get("config_keys") or {}).items()}
    for key, ident in config_keys.items():  # a config key is one more noun of its role
        noun_roles.setdefault(norm(key), []).append(ident)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"vocabulary roles not in the ServiceModel's Role: {unknown}")
    attributes = {key: frozenset(w.lower() for w in _tuple(words)) for key, words in data.get("attributes", {}).items()}
    negations = sorted(_tuple(data.get("negations")), key=len, reverse=True)
    # a negation is a word of its own, never a part of an identifier ("aaa-no", "not-x.internal")
    negation = re.compile(r"(?<![\w'@#$~/*+%.:-])(?:" + "|".join(re.escape(n) for n in negations) + r")\s+"
                          r"(?:(?:use|using|need|needs|have|has|run|running)\s+)?(?:a |an |the |any |our )?"
                          r"(?:\S+\s+){0,1}$", re.IGNORECASE)
    relations = tuple(Relation(pattern=phrase_pattern(list(_tuple(r["words"]))), kind=str(r["kind"]),
                               holds=str(r.get("holds", "")), only=_tuple(r.get("only")))
                      for r in data.get("relations", []))
    holds = tuple((key, phrase_pattern(list(_tuple(words)))) for key, words in data.get("holds", {}).items())
    controllers = tuple(ControllerSpec(pattern=phrase_pattern(list(_tuple(c["words"]))), aspect=str(c["aspect"]),
                                       by=str(c["by"]), on=str(c.get("on", "app")))
                        for c in data.get("controllers", []))
    settings = tuple(SettingSpec(key=str(s["key"]), before=_pattern(s.get("before")), after=_pattern(s.get("after")),
                                 flag=_pattern(s.get("flag")), value=str(s.get("value", "flag")),
                                 unit=str(s.get("unit", "")), words=_tuple(s.get("words")), why=bool(s.get("why")),
                                 owners=_tuple(s.get("owners")))
                     for s in data.get("settings", []))
    people = {key: phrase_pattern(list(_tuple(words))) for key, words in data.get("people", {}).items()}
    all_tech_words = [w for t in techs.values() for w in t.words]
    return Vocabulary(
        technologies=techs, tech_words=tech_words, tech_pattern=phrase_pattern(all_tech_words),
        variants=variants, variant_pattern=phrase_pattern([w for v in variants.values() for w in v.words]),
        roles=roles, noun_roles={k: tuple(v) for k, v in noun_roles.items()},
        noun_pattern=phrase_pattern([n for r in roles.values() for n in r.nouns] + list(config_keys)),
        solid_nouns=frozenset(n.lower() for r in roles.values() for n in (*r.nouns, *config_keys)
                              if not re.search(r"[\s-]", n)),
        config_keys=frozenset(norm(k) for k in config_keys),
        flow_messaging=_pattern((data.get("flow_verbs") or {}).get("messaging")),
        flow_general=_pattern((data.get("flow_verbs") or {}).get("general")),
        attributes=attributes, modifiers=frozenset(m.lower() for m in _tuple(data.get("modifiers"))),
        naming=frozenset(_tuple(data.get("naming"))), negation=negation, relations=relations, holds=holds,
        controllers=controllers, settings=settings, people=people,
        proper=frozenset(_tuple(data.get("proper"))),
        not_names=frozenset(w.lower() for w in _tuple(data.get("not_names"))),
        not_name_suffixes=tuple(w.lower() for w in _tuple(data.get("not_name_suffixes"))),
        non_resource_nouns=frozenset(w.lower() for w in _tuple(data.get("non_resource_nouns"))),
        noun_owners={norm(k): _tuple(v) for k, v in (data.get("noun_owners") or {}).items()})
