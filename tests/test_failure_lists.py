"""A list of the team's known failures ("Known issues:", "things we've seen", "Gotchas") read item by item.

Property-based: random service, worker, CronJob, namespace and variable names, varied headings, list
markers, line wrapping and fix phrasings. Each item must become one failure mode (all its sentences, its
fix and its prohibition, bound to the component its first sentence names), then one troubleshooting
entry titled in the team's words whose fix runs the team's operation as a command on the named objects,
and the runbook must pass `agent test`'s static checks.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.checks.check import check_markdown
from agent.knowledge.failures import _contradicts
from agent.knowledge.platforms.base import cmd
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.runbook import Runbook, Step
from agent.service.failures import listed_items
from agent.service.model import FailureMode
from agent.service.text import parse

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
apps = st.builds(lambda a, b: f"{a}-{b}", _letters, st.sampled_from(["api", "svc", "gw", "core"]))
workers = st.builds(lambda a, b: f"{a}-{b}", _letters, st.sampled_from(["worker", "relay", "consumer", "printer"]))
crons = st.builds(lambda a: f"{a}-sweeper", _letters)
variables = st.builds(lambda a, b: f"{a.upper()}_{b.upper()}", _letters, _letters)

HEADINGS = ["Known issues:", "things we've seen:", "Gotchas:", "## Known failure modes", "**Known issues**",
            "Things we know:", "things that have bitten us:", "Known failure modes:"]
MARKERS = [lambda n: f"{n}. ", lambda n: f"{n}) ", lambda n: "- ", lambda n: "* "]
# the team's fix for a leaking worker: {w} the worker
FIXES = ["Fix: rolling restart of {w}, then confirm the connection count drops.",
         "A rolling restart of {w} fixes it.", "The fix is to restart {w}.", "Workaround: restart {w}."]
PROHIBITIONS = ["Do not restart the Redis pods for this.", "Don't flush Redis for this.",
                "Never restart Redis for this."]


def _wrap(text: str, indent: str) -> str:
    """The item's text wrapped at about 60 columns, its continuation lines indented under it."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if len(current) + len(word) > 60 and current:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return ("\n" + indent).join(lines)


def _description(app: str, worker: str, cron: str, var: str, heading: str, marker: int, fix: str,
                 prohibition: str) -> tuple[str, list[str]]:
    mark = MARKERS[marker]
    items = [
        f"{worker} leaks Redis connections when the upstream times out. Connections climb and Redis hits "
        f"maxclients. {fix.format(w=worker)} {prohibition}",
        f"{cron} holds long transactions: requests time out. Look in pg_stat_activity for old 'idle in "
        f"transaction' sessions with application_name {cron}, terminate them, and if it keeps happening "
        f"suspend the CronJob.",
        f"Pods get no traffic after a scale-out because clients keep their connections open. If per-pod "
        f"RPS is lopsided, check that env var {var} on the running pods first.",
    ]
    body = "\n".join(mark(n + 1) + _wrap(item, " " * len(mark(n + 1))) for n, item in enumerate(items))
    text = (f"{app} is a Go API on Kubernetes (deployment {app}, namespace {app}-prod), using Redis as its cache "
            f"and PostgreSQL (database {app.replace('-', '_')}). {worker} is a Deployment in namespace "
            f"{app}-jobs. The CronJob {cron} runs every hour.\n\n{heading}\n{body}\n\nOwner: team {app}.\n")
    return text, items


descriptions = st.builds(_description, apps, workers, crons, variables, st.sampled_from(HEADINGS),
                         st.integers(0, len(MARKERS) - 1), st.sampled_from(FIXES), st.sampled_from(PROHIBITIONS))


def _flat(text: str) -> str:
    return " ".join(text.split())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=descriptions)
def test_each_listed_item_is_one_failure_mode_with_its_fix_and_component(case: tuple[str, list[str]]) -> None:
    text, items = case
    assert [_flat(i) for i in listed_items(text)] == [_flat(i) for i in items]
    model = parse(text)
    failures = [f for f in model.failures if f.kind == "failure"]
    assert len(failures) == 3, [f.evidence for f in model.failures]
    leak, locks, traffic = failures
    assert _flat(items[0]) == leak.evidence  # every sentence of the item, none cut off
    worker = items[0].split()[0]
    assert worker in leak.action and "Redis" in leak.prohibition, leak
    # about what its first sentence names: the worker (whose component holds its name) or Redis
    owners = {c.id for c, n in model.all_names() if n.value == worker} | {"redis"}
    assert leak.component in owners, leak
    assert leak.title.startswith(worker) and "Fix" not in leak.title
    assert "terminate them" in locks.action and "suspend the CronJob" in locks.action
    assert "check that env var" in traffic.action


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=descriptions)
def test_each_listed_item_becomes_one_entry_running_the_teams_fix(case: tuple[str, list[str]]) -> None:
    text, items = case
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
              "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    runbook: Runbook = OfflineModel().generate(request).runbook
    entries = [i for i in runbook.troubleshooting.issues if i.title.startswith("Known failure:")]
    assert len(entries) == 3, [e.title for e in entries]
    leak, locks, traffic = entries
    worker, cron = items[0].split()[0], items[1].split()[0]
    app = text.split()[0]
    assert leak.title.removeprefix("Known failure: ").lower().startswith(worker)
    codes = [s.command.code for s in leak.fix if s.command is not None]
    assert any(f"rollout restart deployment/{worker} -n {app}-jobs" in c for c in codes), codes
    assert any("Redis" in s.action and s.action.startswith("The team's rule") for s in leak.fix)
    lock_codes = [s.command.code for s in locks.fix if s.command is not None]
    assert any("pg_terminate_backend" in c and f"application_name = '{cron}'" in c for c in lock_codes)
    assert any(f"patch cronjob {cron}" in c and '"suspend":true' in c for c in lock_codes), lock_codes
    var = items[2].split("env var ")[1].split()[0]
    assert any(f"printenv {var}" in c.code for c in traffic.check)
    for entry in entries:
        assert not any("states no fix" in s.action for s in entry.fix)
    report = check_markdown(render_markdown(runbook), tools=False)
    errors = [f for f in report.findings if f.severity == "error"]
    assert not errors, errors


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=apps, worker=workers, phrasing=st.sampled_from([
    "{w} leaks connections -> fix: run `kubectl -n {ns} rollout restart deploy/{w}`",
    "if {w} stops consuming, run `kubectl -n {ns} rollout restart deploy/{w}`",
    "{w} hangs on a dead connection. Workaround: `kubectl -n {ns} rollout restart deploy/{w}`."]))
def test_a_backticked_command_in_the_fix_runs_as_written(app: str, worker: str, phrasing: str) -> None:
    ns = f"{app}-ns"
    command = f"kubectl -n {ns} rollout restart deploy/{worker}"
    text = (f"{app} is a Go API on Kubernetes (deployment {app}, namespace {ns}).\n\nGotchas:\n"
            f"- {phrasing.format(w=worker, ns=ns)}\n")
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
              "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    runbook = OfflineModel().generate(request).runbook
    (entry,) = [i for i in runbook.troubleshooting.issues if i.title.startswith("Known failure:")]
    assert any(s.command is not None and s.command.code == command for s in entry.fix), entry.fix
    assert "`" not in entry.title and "fix" not in entry.title.lower().removeprefix("known failure: ")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=apps, worker=workers, holder=st.sampled_from(["<pod>", "<pod-name>", "[pod-name]", "{{ pod }}"]))
def test_a_placeholder_in_the_teams_fix_becomes_a_guarded_variable(app: str, worker: str, holder: str) -> None:
    """`kubectl delete pod <pod>` pasted as written is a redirection to bash: the runbook was refused."""
    ns = f"{app}-ns"
    text = (f"{app} is a Go API on Kubernetes (deployment {app}, namespace {ns}).\n\nKnown issues:\n"
            f"- {worker} gets stuck on a poisoned message. Fix: `kubectl -n {ns} delete pod {holder}`\n")
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
              "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    runbook = OfflineModel().generate(request).runbook
    (entry,) = [i for i in runbook.troubleshooting.issues if i.title.startswith("Known failure:")]
    codes = [s.command.code for s in entry.fix if s.command is not None]
    assert any(f"kubectl -n {ns} delete pod \"$POD" in c and ":?set POD" in c for c in codes), codes
    assert not any(holder in c for c in codes), codes


@settings(max_examples=20, deadline=None)
@given(app=apps, product=st.sampled_from(["Memorystore", "ElastiCache", "Azure Cache for Redis"]),
       heading=st.sampled_from(HEADINGS), marker=st.integers(0, len(MARKERS) - 1))
def test_an_item_is_about_the_product_it_names_not_a_kind_word_further_on(app: str, product: str, heading: str,
                                                                          marker: int) -> None:
    item = (f"{product} maintenance fails the primary over: ~30s of errors, the client reconnects by itself. "
            f"Don't restart pods for this.")
    text = (f"{app} is a Go API on Kubernetes (deployment {app}) with PostgreSQL as its primary database and "
            f"{product} as its cache.\n\n{heading}\n{MARKERS[marker](1)}{item}\n")
    (failure,) = [f for f in parse(text).failures if f.kind == "failure"]
    assert failure.component == "redis", failure
    assert "reconnects by itself" in failure.action and failure.prohibition == "Don't restart pods for this"
    assert failure.title == f"{product} maintenance fails the primary over"


@given(noun=st.sampled_from(["pods", "brokers", "nodes"]), verb=st.sampled_from(["restart", "Restart", "bounce"]))
def test_a_knowledge_step_doing_what_the_team_forbids_gives_way(noun: str, verb: str) -> None:
    mode = FailureMode(kind="failure", component="app", related=[], title="x", trigger="", consequence="",
                       action="restart the worker", prohibition=f"Do not {verb.lower()} the {noun} for this",
                       origin="given", evidence="")
    restart = Step(action=f"{verb} the {noun} one by one",
                   command=cmd("restart", "kubectl rollout restart sts/x"))
    other = Step(action="Check the queue depth", command=None)
    assert _contradicts(restart, mode) and not _contradicts(other, mode)
