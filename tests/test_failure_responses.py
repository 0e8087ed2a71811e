"""Technology knowledge for the failures a team names (agent/knowledge/data/failure_responses.yaml) and
the generic procedures checked against the model (agent/knowledge/failures.py).

* the data file's schema: every entry has its match, checks and mitigations, its placeholders are ones the
  filler knows, and its commands pass `agent test`'s checks in a runbook;
* every entry is found for a failure phrased in random ways (random names, the cue phrasings teams use),
  and the runbook's known-failure entry gives the entry's mitigation, not "escalate";
* a service with long-lived connections behind HAProxy gets a drain-restart-ready loop, one without gets
  none; stopping a store on every node is flagged; a clustered store's restart says allocation control;
  a stated max_connections bounds scale-out.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks.check import check_markdown
from agent.knowledge import failures
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.runbook import Runbook
from agent.service.text import parse

# a whole runbook per example: few of them, and no shrinking (the failing example is printed as it is)
_SLOW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                 phases=[Phase.explicit, Phase.reuse, Phase.generate])
_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_CUE_WORDS = set(re.findall(r"[a-z]+", " ".join(
    str(x) for x in failures.cues().__dict__.values()).lower()))
_WORD = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=7).filter(
    lambda w: w not in _CUE_WORDS and not re.search(r"red|shard|slot|wal|retr|sess|conn|lock|lag|log", w))
NAME = st.builds(lambda a, b: f"{a}{b}", _WORD, st.sampled_from(["", "-core", "-svc", "-hub"]))


def _runbook(description: str, env: str, kind: str) -> tuple[str, Runbook]:
    rule = load_rule(default_rule_path())
    values = {"type": kind, "env": env, "criticality": "high", "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=description, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    runbook = OfflineModel().generate(request).runbook
    return render_markdown(runbook), runbook


def _errors(markdown: str) -> list[Any]:
    return [f for f in check_markdown(markdown, tools=False).findings if f.severity == "error"]


# --- the data file's schema ---------------------------------------------------------------------------

_ENTRY_KEYS = {"id", "title", "when", "requires", "checks", "mitigations", "never"}
_CHECK_KEYS = {"purpose", "code", "expect", "needs"}
_MITIGATION_KEYS = {"action", "code", "warning", "needs"}
_PROCEDURE_KEYS = {"said", "technologies", "command", "unless", "warning", "every_node"}


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{([a-z_]+)\}", text))


def test_every_response_has_its_match_checks_and_mitigations_and_known_placeholders() -> None:
    data = failures.responses()
    assert set(data) == {"finds", "responses", "procedures"}
    for key, pattern in data["finds"].items():
        assert re.compile(pattern).groups >= 1, key  # the value is its first group
    known = set(failures._WHAT) | {"store", "dependency"}
    ids = [entry["id"] for entry in data["responses"]]
    assert len(ids) == len(set(ids))
    for entry in data["responses"]:
        assert set(entry) <= _ENTRY_KEYS, (entry["id"], set(entry) - _ENTRY_KEYS)
        assert entry["title"] and entry["when"] and entry["checks"] and entry["mitigations"], entry["id"]
        for pattern in entry["when"]:
            re.compile(pattern, re.I)
        for check in entry["checks"]:
            assert set(check) <= _CHECK_KEYS and check["purpose"] and check["code"], (entry["id"], check)
        for step in entry["mitigations"]:
            assert set(step) <= _MITIGATION_KEYS and step["action"], (entry["id"], step)
        texts = [entry["title"], *entry.get("never", []), *(str(v) for x in entry["checks"] + entry["mitigations"]
                                                            for k, v in x.items() if k != "needs")]
        unknown = set().union(*(_placeholders(t) for t in texts)) - known
        # a JSON body in a command ({"persistent": …}) is no placeholder: only lower-case words in braces are
        assert not unknown, (entry["id"], unknown)
    for name, spec in data["procedures"].items():
        assert set(spec) <= _PROCEDURE_KEYS and spec["command"] and spec["warning"], name
        assert "said" in spec or "technologies" in spec, name  # when it applies
        re.compile(spec["command"], re.I)


def _filled(code: str) -> str:
    # every placeholder as a guarded shell variable, as `known_response` writes a name the model does not give
    return failures._fill(code, {}, shell=True)


def test_every_command_of_the_knowledge_passes_the_catalogue_checks_in_a_runbook() -> None:
    """A runbook made of every command the data file holds (placeholders unfilled, i.e. guarded) is clean."""
    _markdown, runbook = _runbook("tidal-api is a Go API on Kubernetes (deployment tidal-api, namespace tidal).",
                                  "kubernetes", "api")
    blocks: list[str] = []
    for entry in failures.responses()["responses"]:
        for step in entry["checks"] + entry["mitigations"]:
            if step.get("code"):
                title = step.get("purpose") or step["action"]
                warning = f"\n> ⚠️ **Warning:** {step['warning']}\n" if step.get("warning") else ""
                blocks.append(f"#### {entry['id']}: {title.split(':')[0][:60]}\n{warning}\n```bash\n"
                              f"{_filled(step['code']).rstrip()}\n```\n")
    assert len(blocks) >= 15
    markdown = render_markdown(runbook) + "\n## Knowledge commands\n\n" + "\n".join(blocks)
    errors = _errors(markdown)
    assert not errors, errors


# --- every entry is found for its failure, however it is phrased -------------------------------------

# Per entry: the stack sentence (technologies it requires), env, type, a trigger and a consequence; {a} the
# app's name, {b} another name. Adding an entry to the data file needs a line here (the test below says so).
EXAMPLES: dict[str, tuple[str, str, str, str, str]] = {
    "reconnect-storm": (
        "{a} is a Node.js websocket gateway on VMs (hosts {a}-1, {a}-2) behind HAProxy on lb-{a}-1 and "
        "lb-{a}-2 (backend bk_{a}, admin socket /run/haproxy/admin.sock); tokens are checked by {b}-svc.",
        "vm", "api", "a lot of clients drop at once", "they all reconnect within seconds and flatten {b}-svc"),
    "retry-flood": (
        "{a} is a Rails app on VMs with Sidekiq workers; jobs and the cache are in Redis.",
        "vm", "api", "a job raises in a loop", "the retry set fills Redis to maxmemory"),
    "slot-pins-wal": (
        "{a} is a Debezium connector on Kubernetes reading PostgreSQL through the replication slot {b}_slot.",
        "kubernetes", "worker", "the connector is down for hours", "the slot pins WAL and the disk fills"),
    "fsync-lock": (
        "{a} is a MongoDB replica set on EC2; backups take an fsyncLock on a secondary.",
        "vm", "database", "the backup job dies between fsyncLock and unlock", "the member stays fsynclocked"),
    "connection-exhaustion": (
        "{a} is a Python API on Kubernetes using PostgreSQL (max_connections 400).",
        "kubernetes", "api", "the HPA scales to 60 pods", "PostgreSQL connections are exhausted"),
    "shard-allocation": (
        "{a} is an OpenSearch cluster on VMs (nodes {a}-1, {a}-2, {a}-3) for logs.",
        "vm", "database", "a data node restarts", "shards go unassigned for hours"),
    "sessions-store-lost": (
        "{a} is a PHP web app on VMs; sessions are kept in Redis without persistence.",
        "vm", "api", "Redis restarts", "the sessions are lost and every user is logged out"),
    "retention-outrun": (
        "{a} is a Java consumer on Kubernetes reading Kafka (topic {b}.events, retention 3 days).",
        "kubernetes", "worker", "the consumers stall over a weekend",
        "the lag outruns the retention and events are lost"),
}
PHRASES = ["Known failure: when {t}, {c}.", "Known failure: {c} when {t}.", "Watch out for this: if {t}, {c}.",
           "We've been bitten by this twice: {c} if {t}.", "Gotcha: {t} and {c}.", "Last incident: {t}, then {c}."]


def test_every_entry_has_an_example_here() -> None:
    assert {e["id"] for e in failures.responses()["responses"]} == set(EXAMPLES)


def _case(entry_id: str, a: str, b: str, phrase: str) -> tuple[str, str, str]:
    stack, env, kind, trigger, consequence = EXAMPLES[entry_id]
    sentence = phrase.format(t=trigger, c=consequence)
    return (stack + " " + sentence[:1].upper() + sentence[1:]).format(a=a, b=b), env, kind


@_FAST
@given(entry_id=st.sampled_from(sorted(EXAMPLES)), a=NAME, b=_WORD, phrase=st.sampled_from(PHRASES))
def test_each_entry_is_found_for_its_failure_phrased_in_random_ways(entry_id: str, a: str, b: str,
                                                                    phrase: str) -> None:
    assume(a != b and b not in a)
    description, _env, _kind = _case(entry_id, a, b, phrase)
    model = parse(description)
    found = [f for f in model.failures if f.kind == "failure"]
    assert found, description
    entry = failures.response_for(found[0], model, description)
    assert entry is not None and entry["id"] == entry_id, (description, entry and entry["id"])


@_SLOW
@given(a=NAME, b=_WORD, phrase=st.sampled_from(PHRASES))
@pytest.mark.parametrize("entry_id", sorted(EXAMPLES))
def test_the_known_failure_entry_gives_the_knowledge_and_not_escalate(entry_id: str, a: str, b: str,
                                                                      phrase: str) -> None:
    assume(a != b and b not in a)
    description, env, kind = _case(entry_id, a, b, phrase)
    markdown, runbook = _runbook(description, env, kind)
    entry = next(e for e in failures.responses()["responses"] if e["id"] == entry_id)
    known = [i for i in runbook.troubleshooting.issues if i.title.startswith("Known failure:")]
    assert known, description
    issue = known[0]
    actions = " ".join(s.action for s in issue.fix)
    # the knowledge's first mitigation (its words before any placeholder) is in the entry
    techs = failures._technologies(parse(description), description)
    first = next(m for m in entry["mitigations"] if failures._has(m.get("needs", ""), techs))
    assert re.split(r"\{", first["action"])[0].split(":")[0] in actions, (entry_id, actions)
    assert "escalate" not in actions.lower(), actions
    assert not _errors(markdown)


# --- generic procedures checked against the model --------------------------------------------------

def _websocket(app: str, backend: str, hosts: list[str], lbs: list[str], *, long_lived: bool) -> str:
    what = "a Node.js websocket gateway holding long-lived connections" if long_lived else "a Node.js REST API"
    return (f"{app} is {what} on VMs (hosts {', '.join(hosts)}, systemd unit {app}) behind HAProxy on "
            f"{' and '.join(lbs)} (backend {backend}, admin socket /run/haproxy/admin.sock).")


HOSTS = st.lists(st.builds(lambda w, n: f"{w}-{n}", _WORD, st.integers(1, 9)), min_size=2, max_size=3, unique=True)


@_SLOW
@given(app=NAME, backend=_WORD.map(lambda w: f"bk_{w}"), hosts=HOSTS, lbs=HOSTS, long_lived=st.booleans())
def test_long_lived_connections_behind_haproxy_get_a_drain_loop_and_others_none(
        app: str, backend: str, hosts: list[str], lbs: list[str], long_lived: bool) -> None:
    assume(not set(hosts) & set(lbs))
    markdown, runbook = _runbook(_websocket(app, backend, hosts, lbs, long_lived=long_lived), "vm", "api")
    loops = [c for c in runbook.commands() if "for HOST in" in c.code and re.search(r"systemctl restart", c.code)]
    drained = [c for c in loops if "state drain" in c.code]
    if long_lived:
        assert drained, [c.code for c in loops]
        for command in drained:
            code = command.code
            # drained on every HAProxy before the restart, put back after it
            assert f"for LB in {' '.join(lbs)}" in code and f"{backend}/$HOST state drain" in code
            assert code.index("state drain") < code.index("systemctl restart") < code.index("state ready")
    else:
        assert not drained and "state drain" not in "\n".join(c.code for c in loops)
        assert "long-lived client connections" not in markdown
    assert not _errors(markdown)


@_FAST
@given(backend=_WORD, hosts=HOSTS, lbs=HOSTS, unit=_WORD)
def test_the_drain_rewrite_keeps_the_restart_and_wants_every_name(backend: str, hosts: list[str], lbs: list[str],
                                                                 unit: str) -> None:
    loop = f'for HOST in $HOSTS; do\n  echo "== $HOST"\n  ssh "$HOST" "sudo systemctl restart {unit}" || break\ndone'
    values = {"backend": backend, "socket": "/run/haproxy/admin.sock", "lb_hosts": " ".join(lbs), "lb_host": lbs[0]}
    new = failures.drained(loop, values)
    assert new is not None
    assert f'ssh "$HOST" "sudo systemctl restart {unit}" || break' in new
    assert new.index(f"{backend}/$HOST state drain") < new.index("systemctl restart") < new.index("state ready")
    for missing in values:
        assert failures.drained(loop, {k: v for k, v in values.items() if k != missing}) is None
    assert failures.drained(f"sudo systemctl restart {unit}", values) is None  # no host loop: nothing to drain


@_SLOW
@given(app=NAME, hosts=HOSTS)
def test_a_clustered_store_restart_says_allocation_control_and_stopping_every_node_is_flagged(
        app: str, hosts: list[str]) -> None:
    description = f"{app} is an OpenSearch cluster on VMs (nodes {', '.join(hosts)}) holding application logs."
    markdown, runbook = _runbook(description, "vm", "database")
    restarts = [c for c in runbook.commands() if re.search(r"\brestart\b", c.code) and "opensearch" in c.code]
    assert restarts
    assert all("allocation" in (c.warning or "") or "allocation.enable" in c.code for c in restarts), \
        [(c.code, c.warning) for c in restarts if "allocation" not in (c.warning or "")]
    stops = [c for c in runbook.commands() if re.search(r"\bstop\b", c.code) and
             re.search(r"for \w+ in\b|\$HOSTS\b", c.code) and "opensearch" in c.code]
    assert all("full outage" in (c.warning or "") for c in stops), [c.code for c in stops]
    assert not _errors(markdown)


@_SLOW
@given(app=NAME, limit=st.integers(100, 900), pool=st.integers(5, 40), top=st.integers(12, 40))
def test_a_stated_max_connections_bounds_scale_out(app: str, limit: int, pool: int, top: int) -> None:
    description = (f"{app} is a Go API on Kubernetes (deployment {app}). HPA goes 3 -> {top} pods. PostgreSQL, "
                   f"pgx pool of {pool} per pod, max_connections={limit}.")
    markdown, runbook = _runbook(description, "kubernetes", "api")
    scale = [c for c in runbook.commands() if f"opens up to {pool} more connections" in (c.warning or "")]
    assert scale, [c.warning for c in runbook.commands() if "connections" in (c.warning or "")][:3]
    for command in scale:
        # how many instances the stated limit holds, said where the scale-out is
        assert re.search(rf"\b{limit // pool} instances\b", command.warning or ""), command.warning
        assert str(limit) in (command.warning or "")
    assert not _errors(markdown)
