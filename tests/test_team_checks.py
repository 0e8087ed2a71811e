"""The team's own commands where an alert or an outage leads, and its failures where its alerts lead.

Property-based: a tool the checker has no table for (a random program name), random subcommand words
and alert names. A command the team gave is a check where an alert of the team's names what it looks
at; a command with a word that changes something is never a check; the Service is Down procedure and
the alerts no command names start from the team's status commands; an alert named in two words of the
team's own failure leads to that failure's entry.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.knowledge import team_commands
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.service.commands import _LOOSE_PROSE, _PROSE_WORDS  # words a command never holds
from agent.service.text import parse, tokenize

# English function words and prose the readers drop by design (a random word is a name, not one of these)
_STOP = {"the", "and", "for", "not", "are", "was", "any", "too", "low", "high", "min", "sec", "than", "over",
         *_PROSE_WORDS, *_LOOSE_PROSE}
_word = st.text(alphabet=string.ascii_lowercase, min_size=4, max_size=8).filter(lambda w: w not in _STOP)
# a program no catalogue knows: the checker cannot say it is read-only
_tool = st.builds(lambda a: f"{a}ctl", st.text(alphabet="qxzvkj", min_size=3, max_size=5))
_INSPECT = ["status", "tree", "list", "show", "health"]
_CHANGE = ["set", "remove", "restart", "purge", "reset"]


def _runbook(description: str) -> str:
    rule = load_rule(default_rule_path())
    values = {"type": "other", "env": "vms", "criticality": "high", "monitoring": "prometheus", "oncall": "B"}
    request = GenerationRequest(rule=rule, description=description, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    return render_markdown(OfflineModel().generate(request).runbook)


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    end = markdown.find("\n#### ", start + len(heading))
    end = markdown.find("\n### ", start + len(heading)) if end < 0 else end
    return markdown[start:end if end > 0 else None]


@settings(max_examples=30, deadline=None)
@given(tool=_tool, noun=_word, inspect=st.sampled_from(_INSPECT), change=st.sampled_from(_CHANGE))
def test_an_unknown_tools_command_is_a_check_only_by_its_own_words(tool: str, noun: str, inspect: str,
                                                                   change: str) -> None:
    looked = team_commands.as_check(f"{tool} {noun} {inspect}", tool)
    assert looked is not None and looked.warning and "not known to be read-only" in looked.warning.lower()
    assert team_commands.as_check(f"{tool} {noun} {change} {inspect}", tool) is None
    assert team_commands.as_check(f"{tool} {noun} {change}-all", tool) is None
    # a tool the checker knows is judged by the checker alone
    assert team_commands.as_check("systemctl status nginx", "systemctl") is not None
    assert team_commands.as_check("systemctl restart nginx", "systemctl") is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tool=_tool, noun=_word, other=_word, service=_word)
@example(tool="jjjjctl", noun="aaaa", other="jjjj", service="bbbb")  # the tool's stem in its alert names nothing
def test_the_teams_alert_leads_to_the_teams_command_for_what_it_names(tool: str, noun: str, other: str,
                                                                      service: str) -> None:
    if noun == other or service in (noun, other) or noun == tool[:-3]:
        return  # an alert named only for the tool ('JjjjJjjjDown') names no command of it
    alert = f"{tool[:-3].capitalize()}{noun.capitalize()}Down"
    description = (f"{service} is our storage cluster on bare metal hosts {service}-1, {service}-2 and "
                   f"{service}-3.\n\nHow we check:\n    `{tool} -s`\n    `{tool} {other} status`\n"
                   f"    `{tool} {noun} tree`\n    `{tool} {noun} set noflap`\n\n"
                   f"Alerts:\n- {alert} > 5 min\n- capacity used > 75%\n")
    markdown = _runbook(description)
    entry = _section(markdown, f"#### Issue: {alert}")
    check = entry.split("**Check:**", 1)[1].split("**Fix:**", 1)[0]
    assert f"{tool} {noun} tree" in check, check
    assert f"{tool} {noun} set noflap" not in check  # it changes something: never a check
    # the alert no command names starts from the team's status commands
    capacity = _section(markdown, "#### Issue: capacity used > 75%")
    first = capacity.split("**Check:**", 1)[1].split("**Fix:**", 1)[0]
    assert f"{tool} -s" in first or f"{tool} {other} status" in first, first
    down = _section(markdown, "### Service is Down")
    assert f"{tool} -s" in down or f"{tool} {other} status" in down
    start = markdown.split("## Table of Contents", 1)[0]
    row = next(line for line in start.splitlines() if line.startswith(f"| {alert} "))
    assert f"The team's check: {tool} {noun} tree" in row, row


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(service=_word, first=_word, second=_word, phrase=st.sampled_from([
    "Known failure: {a} {b} on one host: usually a disk that is about to die.",
    "Things that bite us: {a} {b} during the nightly backup, the whole pool slows down.",
    "Watch out for {a} {b} after a kernel update; it takes the cluster down for minutes."]))
def test_an_alert_named_like_the_teams_failure_leads_to_that_failure(service: str, first: str, second: str,
                                                                     phrase: str) -> None:
    if len({service, first, second}) < 3:
        return
    description = (f"{service} runs on virtual machines {service}-a and {service}-b under systemd, unit "
                   f"{service}.service.\n{phrase.format(a=first, b=second)}\nAlerts: {first} {second} > 30 s, "
                   "error rate > 2% for 5 min.")
    markdown = _runbook(description)
    alert = f"{first} {second} > 30 s"
    table = markdown.split("### Key Alerts", 1)[1].split("\n### ", 1)[0]
    row = next(line for line in table.splitlines() if line.startswith(f"| {alert} "))
    assert "Known failure:" in row, row
    entry = markdown[markdown.index("#### Issue: Known failure:"):]
    assert f"**Alert:** [{alert}]" in entry.split("\n#### ", 1)[0]
    assert "The team's alert that shows it: " + alert in entry.split("\n#### ", 1)[0]


@settings(max_examples=30, deadline=None)
@given(prefix=_word, placeholder=_word, suffix=_word)
def test_the_pieces_of_a_template_are_not_names(prefix: str, placeholder: str, suffix: str) -> None:
    text = f"the units look like {prefix}-<{placeholder}>@{suffix}.12.service, not {prefix}-{suffix}"
    kinds = {t.text: t.kind for t in tokenize(text)}
    assert kinds[f"@{suffix}.12.service"] == "punct" and kinds[placeholder] == "punct"
    assert kinds[f"{prefix}-{suffix}"] == "word"
    model = parse(f"{prefix}-store runs on hosts {prefix}-1 and {prefix}-2. Its systemd units look like "
                  f"{prefix}-<{placeholder}>@{suffix}.12.service.")
    units = [n.value for c in model.components for n in c.names if n.role == "unit"]
    assert not any(re.search(rf"@{suffix}", u) for u in units), units


@settings(max_examples=40, deadline=None)
@given(thing=_word, other=_word, verb=st.sampled_from(["dies", "fails", "breaks", "stalls"]))
def test_a_failure_names_the_alert_that_shows_it_only_by_two_words(thing: str, other: str, verb: str) -> None:
    from agent.knowledge.failures import _shown_by
    from agent.knowledge.signals import Signal, Threshold
    from agent.service.model import FailureMode

    if thing == other:
        return
    signal = Signal(key=f"{thing}.{other}", name=f"{thing.capitalize()} {other} high", measure=f"{thing} {other}",
                    threshold=Threshold(80, "%", ">"), minutes=5, severity="Warning", response="")
    one = FailureMode(kind="failure", component="app", related=[], title="", trigger="",
                      consequence=f"a {thing} {verb}", action="", prohibition="", origin="given",
                      evidence=f"a {thing} {verb} about once a month", at="")
    assert _shown_by(one, [signal], set()) is None  # "a disk dies" is not "Low Disk Space"
    two = one.model_copy(update={"consequence": f"the {thing} {other} {verb}",
                                 "evidence": f"the {thing} {other} {verb} under load"})
    assert _shown_by(two, [signal], set()) is signal


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(service=_word, queue=_word, tool=_tool, heading=st.sampled_from(
    ["## What we learned / runbook changes", "Lessons learned:", "**Takeaways**", "What to do next time:"]),
    marker=st.sampled_from(["1.", "-", "2)"]))
def test_the_steps_after_what_we_learned_are_one_procedure_in_order(service: str, queue: str, tool: str,
                                                                      heading: str, marker: str) -> None:
    if service == queue:
        return
    description = (f"Postmortem INC-12 — {service} stopped sending\n\n{service} runs on VMs {service}-1 and "
                   f"{service}-2 under systemd (unit {service}.service).\n\n{heading}\n"
                   f"{marker} First thing on any publish problem: `{tool} alarms`. An alarm anywhere blocks all.\n"
                   f"{marker} Then find the queue {queue} that grows without consumers (`{tool} list {queue}`).\n"
                   f"{marker} Before restarting a node: `{tool} check critical` on it.\n"
                   f"{marker} Never `{tool} reset` a node.\n")
    markdown = _runbook(description)
    entry = markdown[markdown.index("#### Issue: Known failure: What the team learned"):]
    entry = entry.split("\n#### ", 1)[0]
    fix = entry.split("**Fix:**", 1)[1]
    steps = [fix.index(f"`{tool} alarms`"), fix.index(f"`{tool} list {queue}`"), fix.index(f"`{tool} check critical`")]
    assert steps == sorted(steps)  # the team's order
    check = entry.split("**Check:**", 1)[1].split("**Fix:**", 1)[0]
    assert f"{tool} alarms" in check and f"{tool} list {queue}" in check
    assert f"{tool} reset" not in check  # a "never" step is a rule, not a check
    assert markdown.count("Known failure: ") >= 1 and "Known failure: First thing" not in markdown


@settings(max_examples=30, deadline=None)
@given(name=_word, gone=_word, unit=_word, phrase=st.sampled_from([
    "(There was an {g}-4 during the 2023 migration. It's gone; ignore it.)", "{g}-4 is decommissioned.",
    "{g}-4 was retired last year."]), masked=st.sampled_from(["is masked, don't unmask it", "unit is disabled"]))
def test_a_name_said_to_be_out_of_service_is_not_the_services(name: str, gone: str, unit: str, phrase: str,
                                                               masked: str) -> None:
    if len({name, gone, unit}) < 3:
        return
    text = (f"{name}-store runs on VMs {name}-1.lan and {name}-2.lan. {phrase.format(g=gone)}\n"
            f"systemd unit `{name}-{unit}` (the distro package's `{unit}` {masked}), config in "
            f"/etc/{name}-{unit}/{unit}.conf.yml.\nClients use https://{name}-1.lan:2379,https://{name}-2.lan:2379 .")
    model = parse(text)
    values = [(n.role, n.value) for c in model.components for n in c.names]
    assert ("unit", f"{name}-{unit}") in values and ("unit", unit) not in values, values
    assert not any(v == f"{gone}-4" for _, v in values), values
    urls = [v for r, v in values if r == "url"]
    assert f"https://{name}-1.lan:2379" in urls and f"https://{name}-2.lan:2379" in urls, urls


@settings(max_examples=15, deadline=None)
@given(service=_word, story=_word, tool=_tool)
def test_what_fixed_it_under_a_story_is_the_stories_procedure(service: str, story: str, tool: str) -> None:
    if service == story:
        return
    text = (f"# {service}-db onboarding\n\n{service}-db runs on VMs {service}-1 and {service}-2.\n\n"
            f"## The {story.upper()} story (read this one)\n\nLast March the disk filled on a Friday night.\n\n"
            f"What fixed it, in order:\n1. `{tool} status -w json` to get the revision,\n"
            f"2. `{tool} compact <revision>`,\n3. `{tool} alarm disarm`.\n")
    failures = [f for f in parse(text).failures if f.kind == "failure"]
    titled = [f for f in failures if story.upper() in f.title]
    assert len(titled) == 1, [(f.title, f.action) for f in failures]
    steps = titled[0].action.splitlines()
    assert len(steps) == 3 and f"{tool} compact" in steps[1], steps


@settings(max_examples=30, deadline=None)
@given(app=_word, db=_word, user=_word, live=st.integers(8000, 8999), stale=st.integers(9000, 9999),
       scheme=st.sampled_from(["postgres", "postgresql", "mysql"]))
def test_a_connection_url_and_the_config_name_the_store_and_the_port(app: str, db: str, user: str, live: int,
                                                                     stale: int, scheme: str) -> None:
    if len({app, db, user}) < 3:
        return
    store = "PostgreSQL" if scheme.startswith("postgres") else "MySQL"
    text = (f"Service: {app}. Real files from {app}-01:\n\n==> /etc/{app}/{app}.env <==\nLISTEN_ADDR=127.0.0.1:{live}\n"
            f"# {store} is run by the DBA team\nDATABASE_URL={scheme}://{user}@{db}-db.internal:5432/{db}?ssl=1\n\n"
            f"==> /etc/nginx/sites-enabled/{app}.conf <==\n# {app} listens on :{stale} on localhost\n"
            f"upstream {app}_app {{\n    server 127.0.0.1:{live};\n}}\n"
            f"location /healthz {{ proxy_pass http://{app}_app; }}   # 200 only if the DB ping is ok\n")
    model = parse(text)
    ports = [n.value for n in model.app.names if n.role == "port"] if model.app else []
    assert ports and ports[0] == str(live), ports  # the config's port, not the stale comment's
    tech = "postgresql" if scheme.startswith("postgres") else "mysql"
    comp = model.component(tech)
    assert comp is not None and comp.name("database") == db and comp.name("host") == f"{db}-db.internal"


@settings(max_examples=30, deadline=None)
@given(a=_word, b=_word, bucket=_word, verb=st.sampled_from(["corrupt", "break", "fill", "lock"]),
       kinds=st.sampled_from([("StatefulSet", "Deployment"), ("statefulset", "deployment"), ("sts", "deploy")]))
def test_a_table_of_workloads_and_a_quoted_bucket_are_read(a: str, b: str, bucket: str, verb: str,
                                                           kinds: tuple[str, str]) -> None:
    if len({a, b, bucket}) < 3:
        return
    text = (f"# obs-metrics\n\nThe metrics platform on the EKS cluster `eks-prod` (eu-west-1).\n\n"
            f"| workload | kind | replicas | notes |\n|---|---|---|---|\n| {a}-store | {kinds[0]} | 3 | sharded |\n"
            f"| {b}-query | {kinds[1]} | 2 | what Grafana talks to |\n\n"
            f"Object storage: `s3://{bucket}-blocks-prod` (versioning on). Two compactors on one bucket {verb} it.")
    model = parse(text)
    names = {(n.role, n.value) for c in model.components for n in c.names}
    assert ("statefulset", f"{a}-store") in names and ("deployment", f"{b}-query") in names, names
    assert ("bucket", f"{bucket}-blocks-prod") in names and ("bucket", verb) not in names, names


@settings(max_examples=30, deadline=None)
@given(job=_word, host=_word, other=_word, n=st.integers(1, 9), noun=st.sampled_from(["jobs", "builds", "pipelines"]))
def test_a_job_shaped_like_a_host_is_no_host(job: str, host: str, other: str, n: int, noun: str) -> None:
    if len({job, host, other}) < 3:
        return
    text = (f"ci runs on {host}-ctl-0{n}. {job}-release-4.1{n} is running on {other}-build-0{n} right now. "
            f"I deleted the workspaces of {noun} that are not running ({job}-nightly, {job}-e2e).\n"
            f"The release runs on hosts {other}-0{n} and {other}-1{n}.")
    hosts = [n_.value for c in parse(text).components for n_ in c.names if n_.role == "host"]
    assert f"{host}-ctl-0{n}" in hosts and f"{other}-build-0{n}" in hosts, hosts
    assert f"{other}-0{n}" in hosts and f"{other}-1{n}" in hosts, hosts
    assert not any(h.startswith(f"{job}-") for h in hosts), hosts


@settings(max_examples=30, deadline=None)
@given(app=_word, tail=_word)
def test_a_comment_wrapped_over_lines_is_one_rule(app: str, tail: str) -> None:
    text = (f"{app} runs on {app}-01.\n\n==> /etc/systemd/system/{app}.service <==\n[Service]\n"
            f"ExecStart=/opt/{app}/current/{app} serve\n# On SIGTERM {app} drains for 25s. Never kill -9 it: an\n"
            f"# authorization cut off in the middle is charged twice ({tail}).\nKillSignal=SIGTERM\n\n"
            f"# Alerts\n# Contacts\n")
    rules = [f for f in parse(text).failures if f.kind == "rule"]
    assert any(r.evidence.endswith(f"charged twice ({tail}).") for r in rules), [r.evidence for r in rules]


@settings(max_examples=30, deadline=None)
@given(app=_word, version=st.from_regex(r"\Av\d\.\d{1,2}\.\d\Z", fullmatch=True), gap=st.sampled_from([" ", "   "]),
       where=st.sampled_from(["/opt/{a}/bin/deploy.sh", "./ops/deploy.sh", "bin/release.sh"]))
@example(app="ready", version="v0.0.0", gap=" ", where="/opt/{a}/bin/deploy.sh")  # a unit named like a look
def test_a_labelled_script_line_is_the_teams_deploy_and_rollback(app: str, version: str, gap: str,
                                                                  where: str) -> None:
    script = where.format(a=app)
    text = (f"{app} runs on {app}-01 and {app}-02 under systemd.\n\n==> /opt/{app}/README.ops (short) <==\n"
            f"deploy:    sudo {script} {version}{gap}(unpacks to /opt/{app}/releases/, flips `current`, restarts)\n"
            f"rollback:  sudo {script} --rollback{gap}(flips `current` back to the previous release)\n"
            f"Then: safe-restart done, `systemctl status {app}` green.\n")
    found = {(p.purpose, p.command) for p in parse(text).procedures}
    assert ("deploy", f"sudo {script} {version}") in found, found
    assert ("rollback", f"sudo {script} --rollback") in found, found
    assert ("status", f"systemctl status {app}") in found, found


@settings(max_examples=20, deadline=None)
@given(app=_word, heading=st.sampled_from(["Never never:", "NEVER EVER", "Never:", "Please never:"]))
def test_a_heading_over_the_rules_is_no_rule(app: str, heading: str) -> None:
    text = (f"{app} runs on VMs {app}-01 and {app}-02.\n\n{heading}\n - galera_new_cluster in more than one node\n"
            f" - delete grastate.dat to force something\n")
    rules = [f for f in parse(text).failures if f.kind == "rule"]
    assert rules and all(len(r.evidence.split()) > 3 for r in rules), [r.evidence for r in rules]


@settings(max_examples=30, deadline=None)
@given(unit=st.sampled_from(["ready", "health", "ping", "logs", "tail", "smoke", "info"]), look=st.sampled_from(
    [("status", "systemctl status {u}"), ("logs", "journalctl -u {u} --since -1h"), ("health", "redis-cli -h {u} ping"),
     ("status", "kubectl get pods -l app={u}")]))
def test_a_looking_commands_purpose_is_its_own_first_word_not_the_units_name(unit: str, look: tuple[str, str]) -> None:
    purpose, command = look[0], look[1].format(u=unit)
    text = f"{unit} runs on {unit}-01 under systemd.\n\nTo check on it: `{command}`.\n"
    found = {(p.purpose, p.command) for p in parse(text).procedures}
    assert (purpose, command) in found, found
