"""Score a runbook's grounding: do the names a user gave sit where they belong, and what was made up?

Library: `score_runbook(markdown, names, phrasings)` → `RunbookScore`.
CLI:     `python eval/grounding/score.py RUNBOOK.md --names names.yaml [--json]`
         (names.yaml: {role: [names]}, or a case file with `names:` and optionally `phrasings:`).

A given name is *found* when a value in a position of its role (roles.ROLE_KINDS) denotes it.
A value in a role position is *invented* when it is not a given name of any role that sits there,
not a shell variable, not a conventional value (roles.CONVENTIONAL), not built on a given name of
that kind (`orders-db-restored`), and not mentioned under "Assumed, not told".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import yaml

from eval.grounding import roles

# roles that can share a position with each kind
KIND_ROLES: dict[str, set[str]] = defaultdict(set)
for _role, _kinds in roles.ROLE_KINDS.items():
    for _k in _kinds:
        KIND_ROLES[_k].add(_role)

# kinds whose values are never judged as invented (they are read only to find given names)
NOT_JUDGED = frozenset({"url", "title"})


@dataclass
class RoleResult:
    role: str
    given: list[str]
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return len(self.found) / len(self.given) if self.given else 1.0


@dataclass
class Invented:
    kinds: list[str]
    value: str
    line: str
    on_service_name: bool = False  # built on the service name (`orders-api-db`): a guess, still not told
    misplaced_from: str = ""  # the role this value was given for, when it is a given name in the wrong place


@dataclass
class RunbookScore:
    title: str
    title_ok: bool
    title_exact: bool
    roles: dict[str, RoleResult]
    invented: list[Invented]
    placeholders: list[str]
    phrasing_found: dict[str, list[int]]  # phrasing → [found, given]

    @property
    def given_total(self) -> int:
        return sum(len(r.given) for r in self.roles.values())

    @property
    def found_total(self) -> int:
        return sum(len(r.found) for r in self.roles.values())

    @property
    def share(self) -> float:
        return self.found_total / self.given_total if self.given_total else 1.0

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["share"] = round(self.share, 4)
        d["invented_count"] = len(self.invented)
        return d


def _norm_words(s: str) -> str:
    s = re.sub(r"[^\w]+|_", " ", s.casefold())
    return " " + " ".join(s.split()) + " "


def title_check(title: str, service: str) -> tuple[bool, bool]:
    """(carries the service name, is exactly `Runbook: <service name>`)."""
    t, s = _norm_words(title), _norm_words(service)
    if s.strip() == "":
        return False, False
    carries = s in t
    bare = _norm_words(re.sub(r"^\s*runbook\s*[:—–-]\s*", "", title, flags=re.I))
    return carries, bare == s


# --------------------------------------------------------------------------------------------------
# People and figures: looked for in the whole document

_UNITS = {
    "min": r"(?:min|mins|minutes?|m)\b", "h": r"(?:h|hrs?|hours?)\b", "s": r"(?:s|secs?|seconds?)\b",
    "d": r"(?:d|days?)\b", "ms": r"\s*ms\b",
}


def _duration_rx(value: str) -> str:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", value.casefold())
    if not m:
        return re.escape(value)
    n, unit = m.group(1), m.group(2)
    key = "min" if unit.startswith("m") and unit != "ms" else "h" if unit.startswith("h") else (
        "d" if unit.startswith("d") else "ms" if unit == "ms" else "s")
    alts = [rf"\b{re.escape(n)}\s*{_UNITS[key]}"]
    if key == "h":
        alts.append(rf"\b{int(float(n) * 60)}\s*{_UNITS['min']}")
    if key == "min" and float(n) % 60 == 0:
        alts.append(rf"\b{int(float(n) // 60)}\s*{_UNITS['h']}")
    return "(?:" + "|".join(alts) + ")"


def doc_found(role: str, given: str, markdown: str) -> bool:
    text = markdown
    g = given.strip()
    if role in ("team", "pager"):
        return g.casefold() in text.casefold()
    if role == "slack_channel":
        bare = g.lstrip("#")
        return re.search(rf"#{re.escape(bare)}\b", text, re.I) is not None
    if role == "slo":
        num = re.sub(r"\s*%$", "", g)
        return re.search(rf"(?<![\d.]){re.escape(num)}\s*%", text) is not None
    if role == "latency":
        m = re.fullmatch(r"\s*p(\d+(?:\.\d+)?)\s*<?\s*(\d+)\s*ms\s*", g, re.I)
        if not m:
            return g.casefold() in text.casefold()
        q, ms = m.group(1), m.group(2)
        qrx = rf"(?:\bp{re.escape(q)}\b|\b{re.escape(q)}(?:th)? percentile|quantile\(0\.{re.escape(q)})"
        vrx = rf"(?:\b{ms}\s*ms\b|\b{float(ms) / 1000:g}\s*s\b)"
        return any(re.search(qrx, ln, re.I) and re.search(vrx, ln, re.I) for ln in text.splitlines())
    if role in ("rto", "rpo", "backup_retention"):
        word = {"rto": r"\bRTO\b|recovery time", "rpo": r"\bRPO\b|recovery point",
                "backup_retention": r"retention|retain|kept for|keep"}[role]
        drx = _duration_rx(g)
        return any(re.search(word, ln, re.I) and re.search(drx, ln, re.I) for ln in text.splitlines())
    return g.casefold() in text.casefold()


_PROSE_URL = re.compile(r"https?://[^\s)\]>`\"'|]+")
_SLACK = re.compile(r"(?:^|(?<=[\s`'\"*]))#([a-z][a-z0-9_-]{2,})\b", re.M)


def _url_grounded(url: str, names: set[str]) -> bool:
    host = (re.match(r"https?://([^/:?#]+)", url) or re.match(r"(.*)", url)).group(1).casefold()
    if roles.is_conventional("url", url) or roles.is_variable(host):
        return True
    labels = host.split(".")
    if host.endswith((".svc.cluster.local", ".svc")):
        labels = labels[: labels.index("svc")]
        return all(lbl in names or roles.is_variable(lbl) for lbl in labels)
    return labels[0] in names or host in names


def _on_service(value: str, service: str) -> bool:
    v, s = value.casefold(), service.casefold()
    return bool(s) and v.startswith((s + "-", s + "_", s.replace("-", "_") + "_"))


def _svc_dns_grounded(value: str, names: set[str]) -> bool:
    host = roles.strip_host(value).casefold()
    if ".svc" not in host:
        return False
    labels = host.split(".")
    labels = labels[: labels.index("svc")]
    return bool(labels) and all(lbl in names for lbl in labels)


# --------------------------------------------------------------------------------------------------


def score_runbook(markdown: str, names: dict[str, list[str]],
                  phrasings: dict[str, str] | None = None) -> RunbookScore:
    ex = roles.read_runbook(markdown)
    names = {r: [str(n) for n in ns] for r, ns in names.items() if ns}
    unknown = set(names) - set(roles.ROLE_KINDS)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    phrasings = phrasings or {}
    all_names = {n.casefold() for ns in names.values() for n in ns}

    results: dict[str, RoleResult] = {}
    phr: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for role, given in names.items():
        res = RoleResult(role, list(given))
        kinds = set(roles.ROLE_KINDS[role])
        for g in given:
            if kinds == {"doc"}:
                ok = doc_found(role, g, markdown)
            elif role == "url":
                ok = g.rstrip("/").casefold() in markdown.casefold()
            else:
                ok = any(
                    not roles.is_variable(h.value) and any(
                        k in kinds and roles.names_match(g, h.value, k) for k in h.kinds)
                    for h in ex.hits
                )
                if not ok and role == "service":
                    ok = title_check(ex.title, g)[0]
            (res.found if ok else res.missing).append(g)
            p = phrasings.get(f"{role}:{g}") or phrasings.get(role) or "unspecified"
            phr[p][1] += 1
            phr[p][0] += int(ok)
        results[role] = res

    svc = (names.get("service") or [""])[0]
    t_ok, t_exact = title_check(ex.title, svc) if svc else (False, False)

    invented: list[Invented] = []
    placeholders: list[str] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    assumed = ex.assumed.casefold()
    for h in ex.hits:
        if any(k in NOT_JUDGED for k in h.kinds):
            continue
        v = h.value
        if roles.is_variable(v):
            continue
        if roles.is_placeholder(v):
            placeholders.append(v)
            continue
        if any(roles.is_conventional(k, v) for k in h.kinds):
            continue
        pool = [(k, n) for k in h.kinds for r in KIND_ROLES.get(k, ()) for n in names.get(r, [])]
        if any(roles.names_match(n, v, k) for k, n in pool):
            continue
        if any(roles.derived_from(n, v, k) for k, n in pool):
            continue
        if "host" in h.kinds and _svc_dns_grounded(v, all_names):
            continue
        if h.kinds == ("log_group",) and any(seg.casefold() in all_names for seg in re.split(r"[/.]", v) if seg):
            continue
        core = roles.strip_host(v) if "host" in h.kinds else v
        # "Assumed, not told" excuses a value it names; but the service name put where the user gave
        # other names (hosts, a queue) contradicts them, whatever a note about slugs says
        told = any(names.get(r) for k in h.kinds for r in KIND_ROLES.get(k, ()) if r != "service")
        if (core.casefold() in assumed or v.casefold() in assumed) and not (told and core.casefold() == svc.casefold()):
            continue
        key = (h.kinds, v.casefold())
        if key in seen:
            continue
        seen.add(key)
        other = next((r for r, ns in names.items() for n in ns if n.casefold() == core.casefold()), "")
        invented.append(Invented(list(h.kinds), v, h.line[:200], _on_service(core, svc), other))

    # URLs written in prose (dashboards, status pages): made up unless given or a public doc
    given_urls = [u.rstrip("/").casefold() for u in names.get("url", [])]
    for m in _PROSE_URL.finditer(ex.prose):
        url = m.group(0).rstrip(".,;:")
        if any(url.casefold().startswith(g) for g in given_urls) or _url_grounded(url, all_names):
            continue
        if url.casefold() in assumed:
            continue
        key = (("url",), url.casefold())
        if key not in seen:
            seen.add(key)
            invented.append(Invented(["url"], url, url))
    # Slack channels in prose
    given_channels = {c.lstrip("#").casefold() for c in names.get("slack_channel", [])}
    for m in _SLACK.finditer(ex.prose):
        ch = m.group(1).casefold()
        if ch in given_channels or ch in assumed:
            continue
        key = (("slack_channel",), ch)
        if key not in seen:
            seen.add(key)
            invented.append(Invented(["slack_channel"], "#" + ch, m.group(0)))

    return RunbookScore(ex.title, t_ok, t_exact, results, invented, placeholders, dict(phr))


# --------------------------------------------------------------------------------------------------
# Tables


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, sep, *body])


def pct(found: int, given: int) -> str:
    return f"{100 * found / given:.0f}%" if given else "-"


def report(s: RunbookScore) -> str:
    out = [f"title: {s.title!r}  carries service name: {'yes' if s.title_ok else 'NO'}"
           f"  exact: {'yes' if s.title_exact else 'no'}", ""]
    rows = [[r.role, f"{len(r.found)}/{len(r.given)}", pct(len(r.found), len(r.given)), ", ".join(r.missing)]
            for r in sorted(s.roles.values(), key=lambda r: r.role)]
    out.append(table(["role", "found", "share", "missing"], rows))
    if s.phrasing_found:
        out += ["", table(["phrasing", "found", "share"],
                          [[p, f"{f}/{g}", pct(f, g)] for p, (f, g) in sorted(s.phrasing_found.items())])]
    out += ["", f"names in role: {s.found_total}/{s.given_total} ({pct(s.found_total, s.given_total)})",
            f"invented: {len(s.invented)}"]
    out += [f"  - [{'/'.join(i.kinds)}] {i.value}{' (on the service name)' if i.on_service_name else ''}"
            f"{f' (given as {i.misplaced_from})' if i.misplaced_from else ''}    ← {i.line}" for i in s.invented]
    if s.placeholders:
        out.append(f"placeholders in commands: {', '.join(sorted(set(s.placeholders)))}")
    return "\n".join(out)


def load_names(path: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    names = data.get("names", data)
    phrasings = data.get("phrasings", {}) if "names" in data else {}
    return ({str(k): [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in names.items()},
            {str(k): str(v) for k, v in (phrasings or {}).items()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score where a runbook puts the names a user gave.")
    ap.add_argument("runbook", type=Path)
    ap.add_argument("--names", type=Path, required=True, help="YAML {role: [names]} or a case file with names:")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    try:
        names, phrasings = load_names(a.names)
        s = score_runbook(a.runbook.read_text(encoding="utf-8"), names, phrasings)
    except (OSError, ValueError, yaml.YAMLError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(s.to_json(), indent=2) if a.json else report(s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
