"""Shell functions a runbook declares are read through: what a call runs is what gets classified, scoped and
(never) executed. And the renderer's host-loop function (`agent/hostloops.py`) changes no command's class."""

from __future__ import annotations

import keyword
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from agent import hostloops
from agent.answers import from_mapping
from agent.checks import check_markdown, danger, extract, markdown
from agent.checks.execute import execute_markdown
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import load_rule

_SHELL_WORDS = {"for", "do", "done", "if", "then", "fi", "in", "case", "esac", "while", "until", "function", "select",
                "time", "elif", "else", "rm", "df", "ssh", "sudo", "env", "exec", "eval", "command", "test"}
names = st.from_regex(r"[a-z][a-z0-9_]{2,12}", fullmatch=True).filter(
    lambda n: n not in _SHELL_WORDS and not keyword.iskeyword(n))
hosts = st.lists(st.from_regex(r"[a-z]{2,6}-[0-9]{1,2}", fullmatch=True), min_size=1, max_size=4, unique=True)
DESTRUCTIVE = ["sudo rm -rf /var/lib/{x}", "redis-cli -h {x} FLUSHALL", "kubectl delete namespace {x}",
               "psql -h {x} -c 'DROP TABLE orders'", "sudo mkfs.ext4 /dev/{x}"]
READ_ONLY = ["df -h", "systemctl status {x} --no-pager", "journalctl -u {x} -n 50 --no-pager", "uptime"]


def _definition(name: str, body: str, form: int) -> str:
    """The ways a function is declared: one line, braces on their own lines, the `function` keyword."""
    if form == 0:
        return f"{name}() {{ {body}; }}"
    if form == 1:
        return f"{name}()\n{{\n  {body}\n}}"
    return f"function {name} {{\n  {body}\n}}"


def _doc(name: str, host_list: list[str], form: int, call: str, warned: bool = False) -> str:
    loop = 'for HOST in $HOSTS; do echo "== $HOST"; ssh "$HOST" "$@"; done'
    warning = "> ⚠️ **Warning:** wipes the data on every host.\n\n" if warned else ""
    return (f"# Runbook\n\n```bash\nHOSTS='{' '.join(host_list)}'\n{_definition(name, loop, form)}\n```\n\n"
            f"Text.\n\n{warning}```bash\n{call}\n```\n")


def _line_of(text: str, call: str) -> int:
    return text.split("\n").index(call) + 1


@settings(max_examples=40, deadline=None)
@given(names, hosts, st.integers(0, 2), st.sampled_from(DESTRUCTIVE), st.from_regex(r"[a-z]{3,8}", fullmatch=True))
def test_a_destructive_command_passed_to_a_function_is_still_destructive(
        name: str, host_list: list[str], form: int, template: str, target: str) -> None:
    call = f"{name} \"{template.format(x=target)}\""
    text = _doc(name, host_list, form, call)
    findings = [f for f in check_markdown(text, "r.md", tools=False).findings if f.rule == "danger.unwarned"]
    assert [f.line for f in findings] == [_line_of(text, call)], findings
    # with its warning, nothing to say
    warned = _doc(name, host_list, form, call, warned=True)
    assert not [f for f in check_markdown(warned, "r.md", tools=False).findings if f.rule == "danger.unwarned"]
    # and --execute never runs it, nor the declaration
    run = execute_markdown(text, "r.md", {}, dry_run=True)
    assert not [r for r in run.results if r.status == "would-run"], run.results
    called = [r for r in run.results if r.line == _line_of(text, call)]
    assert called and called[0].reason.startswith(f"calls the runbook's shell function {name}")


@settings(max_examples=30, deadline=None)
@given(names, hosts, st.integers(0, 2), st.sampled_from(READ_ONLY), st.from_regex(r"[a-z]{3,8}", fullmatch=True))
def test_a_read_only_command_passed_to_a_function_is_read_only(
        name: str, host_list: list[str], form: int, template: str, target: str) -> None:
    call = f"{name} '{template.format(x=target)}'"
    doc = markdown.parse(_doc(name, host_list, form, call))
    (cmd,) = [c for c in extract.all_commands(doc) if c.text == call]
    assert danger.classify_command(cmd)[0] == "read-only"


@settings(max_examples=20, deadline=None)
@given(names, st.sampled_from(['"$@"', "$@", "$*", '"$1" "$2" "$3"', "${1} ${2} ${3}"]))
def test_positional_parameters_and_scope_through_a_function(name: str, param: str) -> None:
    text = (f"# Runbook\n\n```bash\n{name}() {{ kubectl {param}; }}\n```\n\nText.\n\n"
            f"```bash\n{name} delete pod web-1\n```\n")
    rules = {f.rule for f in check_markdown(text, "r.md", tools=False).findings}
    assert "scope.namespace" in rules  # the kubectl inside is checked like one written out


def test_a_function_calling_itself_is_read_to_a_fixed_depth() -> None:
    text = "# Runbook\n\n```bash\nloop() { loop \"$@\"; }\n```\n\nText.\n\n```bash\nloop 'x'\n```\n"
    doc = markdown.parse(text)
    (cmd,) = [c for c in extract.all_commands(doc) if c.text == "loop 'x'"]
    assert danger.classify_command(cmd)[0] == "mutating"  # unknown at the end: never read-only


def test_a_program_the_document_redefines_is_not_run() -> None:
    text = "# Runbook\n\n```bash\ndf() { rm -rf /srv/data; }\n```\n\nText.\n\n```bash\ndf -h\n```\n"
    run = execute_markdown(text, "r.md", {}, dry_run=True)
    assert [r.status for r in run.results if r.command == "df -h"] == ["not-run"]
    doc = markdown.parse(text)
    (cmd,) = [c for c in extract.all_commands(doc) if c.text == "df -h"]
    assert danger.classify_command(cmd)[0] == "destructive"


# --- the renderer's host loops -------------------------------------------------------------------------

@settings(max_examples=5, deadline=None)
@given(hosts.filter(lambda h: len(h) >= 2))
def test_host_loops_are_declared_once_and_change_no_class(host_list: list[str]) -> None:
    rule = load_rule()
    answers = from_mapping(rule, {"type": "api", "env": "vm", "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    description = f"The ledger API runs under systemd on hosts {', '.join(host_list)} and reads from PostgreSQL."
    request = GenerationRequest(rule=rule, description=description, answers=answers,
                                now=datetime(2026, 1, 15, 9, 30), service_name=None)
    runbook = OfflineModel().generate(request).runbook
    factored, setup = hostloops.factor(runbook)
    assert setup is not None and "for HOST in" not in "".join(
        c.code for c in hostloops._commands(factored) if c.code.startswith(("on_hosts", "rolling")))
    for before, after in zip(hostloops._commands(runbook), hostloops._commands(factored), strict=True):
        if before.code == after.code:
            continue
        text = f"# R\n\n```bash\n{setup.code}\n```\n\nText.\n\n```bash\n{after.code}\n```\n"
        doc = markdown.parse(text)
        after_text = text.split("\n").index("Text.") + 1
        level = max((danger.classify_command(c)[0] for c in extract.all_commands(doc) if c.line > after_text),
                    key=["read-only", "mutating", "destructive"].index)
        assert level == danger.classify(before.code), (before.code, after.code)
    text = render_markdown(runbook)
    assert text.count("on_hosts() {") == 1 and "for HOST in $HOSTS; do\n" not in text
    report = check_markdown(text, "r.md", tools=False)
    assert not [f for f in report.findings if f.severity == "error"], report.findings
