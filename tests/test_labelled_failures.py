"""A failure procedure written as a list item's label and what to do ("- node down: ssh in, `journalctl
-u x`, then `systemctl restart x`"), anywhere in a description, without a "Known issues" heading.

Property-based: random unit, host and label wording, list markers and wrapping. The item must become
one failure mode titled by its label, its read-only commands the entry's checks and its changing ones
the fix; the entry comes before the generic ones, and the team's alert about the same state leads to it.
Items whose label names no failed state ("- backups: nightly to S3", "- owner: x") stay facts.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge.repository_alerts import _about
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.rule import default_rule_path, load_rule
from agent.service.failures import labelled_items, split_outside_code

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
units = st.builds(lambda a: f"{a}d", _letters)
STATES = ["node down", "worker stuck", "disk full", "queue backlog", "service dead", "leader lost"]
MARKERS = ["- ", "* ", "1. "]


def _description(unit: str, state: str, marker: str, wrap: bool) -> str:
    item = (f"{marker}{state}: ssh in, `journalctl -u {unit} --since \"1 hour ago\"`, then"
            + ("\n    " if wrap else " ") + f"`sudo systemctl restart {unit}`, watch `systemctl status {unit}`")
    return (f"{unit}-store is a key-value store on 3 VMs (host {unit}-01.lan, {unit}-02.lan, {unit}-03.lan), "
            f"systemd unit `{unit}`, port 7000.\n\n"
            f"- backups: nightly to bucket `{unit}-backups`, `restic snapshots`\n"
            f"- owner: {unit}-team, Slack #{unit}-team\n"
            f"{item}\n"
            f"- alerts: {state.split()[0]} {state.split()[1]} for 5 min -> page\n")


@settings(max_examples=25, deadline=None)
@given(unit=units, state=st.sampled_from(STATES), marker=st.sampled_from(MARKERS), wrap=st.booleans())
def test_only_the_state_item_is_a_failure(unit: str, state: str, marker: str, wrap: bool) -> None:
    items = labelled_items(_description(unit, state, marker, wrap))
    assert len(items) == 1, items
    assert items[0].startswith(f"{state}:") and f"systemctl restart {unit}" in items[0]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=units, state=st.sampled_from(STATES), wrap=st.booleans())
def test_the_item_is_an_entry_with_the_teams_checks_first(unit: str, state: str, wrap: bool) -> None:
    rule = load_rule(default_rule_path())
    values = {"type": "other", "env": "vms", "criticality": "high", "monitoring": "prometheus", "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=_description(unit, state, "- ", wrap),
                                answers=from_mapping(rule, values, "t"), now=datetime(2026, 1, 1, tzinfo=UTC))
    issues = OfflineModel().generate(request).runbook.troubleshooting.issues
    first = issues[0]
    assert first.title.lower() == f"known failure: {state}", [i.title for i in issues]
    assert any(c.code.startswith(f"journalctl -u {unit}") for c in first.check), first.check
    fixes = [s.command.code for s in first.fix if s.command is not None]
    assert any(f"systemctl restart {unit}" in c for c in fixes), fixes
    assert not any(c.startswith("journalctl") for c in fixes), fixes  # a read before the change is a check


@given(st.sampled_from(["psql -c 'SHOW POOLS;'", "redis-cli INFO; echo done", "a; b"]), st.sampled_from([";", "; "]))
def test_a_command_is_never_cut_at_a_semicolon(code: str, sep: str) -> None:
    text = f"first `{code}`{sep}then the rest"
    parts = split_outside_code(r";\s*", text)
    assert parts[0] == f"first `{code}`" and parts[1] == "then the rest"


@given(st.sampled_from([("pending compactions > 100 for 30 min", "Compaction backlog"),
                        ("any node DN in `nodetool status` > 5 min", "Node down"),
                        ("consumer restarts > 3 in 10m", "Consumer restarting")]))
def test_an_alert_and_a_failure_about_the_same_state_share_their_words(pair: tuple[str, str]) -> None:
    alert, title = pair
    concepts_a, words_a = _about(alert)
    concepts_t, words_t = _about(title)
    assert concepts_a & concepts_t or len(words_a & words_t) >= 2, (words_a, words_t)


@settings(max_examples=15, deadline=None)
@given(unit=units, situation=st.sampled_from(["situation", "symptom", "problem", "when"]),
       response=st.sampled_from(["what we do", "fix", "action", "on-call does"]))
def test_a_situation_table_is_one_item_per_row(unit: str, situation: str, response: str) -> None:
    from agent.service.failures import table_items

    text = (f"| field | value |\n|---|---|\n| unit | `{unit}` |\n\n| {situation} | {response} |\n|---|---|\n"
            f"| node sealed | `{unit}ctl status` on the node |\n| disk full | rotate logs, don't delete data |\n")
    assert table_items(text) == [f"node sealed: `{unit}ctl status` on the node",
                                 "disk full: rotate logs, don't delete data"]


@given(st.sampled_from(["Known failure modes (from past incidents):", "Known issues (last year):",
                        "Gotchas we hit:"]))
def test_a_plural_failure_heading_with_an_aside_heads_its_list(heading: str) -> None:
    from agent.service.failures import listed_items

    text = f"{heading}\n- the pool runs out after a deploy; fix: roll back\n- disk fills when logs grow; rotate them\n"
    assert len(listed_items(text)) == 2, listed_items(text)


@settings(max_examples=15, deadline=None)
@given(unit=units, lead=st.sampled_from(["Our fix:", "What fixed it:", "Fix:", "What we do:"]),
       split=st.booleans())
def test_a_fix_list_after_a_known_failure_is_its_action(unit: str, lead: str, split: bool) -> None:
    from agent.service.text import parse

    text = (f"{unit}-api is a Go API on Kubernetes (deployment {unit}-api, namespace {unit}).\n\n"
            f"Known failure (twice in 2024): after one pod is OOM-killed the others time out and logins hang."
            + ("\n" if split else " ") + f"{lead}\n"
            f"1. `kubectl -n {unit} get pods -l app={unit}-api`\n"
            f"2. restart ONE pod at a time: `kubectl -n {unit} delete pod {unit}-api-0`, wait until Ready\n"
            f"3. never delete several pods at once\n")
    found = parse(text).failures
    failures = [f for f in found if f.kind == "failure"]
    assert len(failures) == 1, found
    assert f"delete pod {unit}-api-0" in failures[0].action, failures[0]
    assert "several pods" in failures[0].prohibition, failures[0]


@given(noun=st.sampled_from(["project/namespace", "cluster/namespace"]), name=units)
def test_two_role_nouns_with_a_slash_name_as_the_last(noun: str, name: str) -> None:
    from agent.service.text import parse

    model = parse(f"{name}-api is Keycloak on OpenShift, {noun} `{name}-prod`.")
    assert ("namespace", f"{name}-prod") in [(n.role, n.value) for c in model.components for n in c.names]


@settings(max_examples=10, deadline=None)
@given(unit=units, verb=st.sampled_from(["redrive", "replay them", "restart the poller"]))
def test_a_known_failure_item_with_command_lines_runs_them(unit: str, verb: str) -> None:
    from agent.service.text import parse

    text = (f"{unit}-intake is a Step Functions workflow on AWS.\n\n"
            f"- owner: {unit}-team\n"
            f"- Known failure: Vendor outage -> {unit} exhausts its retries, executions fail. We look at them with\n"
            f"      aws stepfunctions list-executions --state-machine-arn arn:x --status-filter FAILED\n"
            f"    and once the vendor is back we {verb}:\n"
            f"      ./ops/{unit}-redrive.sh --since 6h     (wraps aws stepfunctions redrive-execution)\n")
    failures = [f for f in parse(text).failures if f.kind == "failure"]
    assert len(failures) == 1, failures
    assert failures[0].title.startswith("Vendor outage"), failures[0].title
    assert f"`./ops/{unit}-redrive.sh --since 6h`" in failures[0].action, failures[0].action
    assert "`aws stepfunctions list-executions" in failures[0].action


@settings(max_examples=10, deadline=None)
@given(unit=units,
       cue=st.sampled_from(["The failure we keep seeing:", "Known failure:", "We have been bitten by this:"]))
def test_what_the_paragraph_says_after_a_failure_is_its_fix(unit: str, cue: str) -> None:
    from agent.service.text import parse

    text = (f"{unit}-cache is a Memcached tier on 6 VMs.\n\n"
            f"{cue} after a deploy some workers leak connections, a node reaches the connection limit and "
            f"clients time out. Check with `echo stats | nc {unit}-03.lan 11211`. The fix is NOT restarting "
            f"memcached. It is restarting {unit}-router on the app servers, one at a time "
            f"(`sudo systemctl restart {unit}-router`).\n\nOwner is {unit}-team.\n")
    failures = [f for f in parse(text).failures if f.kind == "failure"]
    assert len(failures) == 1, failures
    assert f"systemctl restart {unit}-router" in failures[0].action, failures[0]
    assert f"nc {unit}-03.lan 11211" in failures[0].action
    assert "NOT restarting memcached" in failures[0].prohibition, failures[0]
    assert "Owner" not in failures[0].evidence  # the next paragraph is not the failure's
