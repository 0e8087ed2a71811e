"""The classes the catalogue's data gives hold for any names and any order of flags (hypothesis):
kubectl kinds and delete rules, aws verb patterns, gcloud verbs, dry runs, wrappers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.checks import catalogue
from agent.checks.danger import classify

NAME = st.from_regex(r"[a-z][a-z0-9-]{0,14}[a-z0-9]", fullmatch=True)
NS = st.sampled_from(["", " -n {ns}", " --namespace={ns}", " -n={ns}"])


def _kinds(mark: str, has: bool) -> list[str]:
    entry = catalogue.tool("kubectl")
    assert entry is not None
    return sorted(n for n, k in entry.kinds.items() if (mark in k.marks) == has)


@settings(max_examples=60, deadline=None)
@given(NAME, NAME, NS, st.sampled_from(_kinds("precious", True)))
def test_deleting_a_precious_kind_is_destructive(name: str, ns: str, where: str, kind: str) -> None:
    assert classify(f"kubectl delete {kind} {name}" + where.format(ns=ns)) == "destructive"
    assert classify(f"kubectl delete {kind}/{name}" + where.format(ns=ns)) == "destructive"
    assert classify(f"kubectl delete {kind} {name} --dry-run=client") == "read-only"


@settings(max_examples=60, deadline=None)
@given(NAME, NAME, NS, st.sampled_from(["pod", "pods", "po", "job", "rs"]))
def test_deleting_one_thing_a_controller_recreates_is_mutating(name: str, ns: str, where: str, kind: str) -> None:
    cmd = f"kubectl delete {kind} {name}" + where.format(ns=ns)
    assert classify(cmd) == "mutating"
    assert classify(cmd + " --force") == "destructive"
    assert classify(cmd + " --grace-period=0") == "destructive"
    assert classify(f"kubectl delete {kind} {name} {name}x {name}y") == "destructive"  # several at once
    assert classify(f"kubectl get {kind} {name}" + where.format(ns=ns)) == "read-only"


@settings(max_examples=40, deadline=None)
@given(NAME, NAME)
def test_pods_by_label_are_recreated_but_other_kinds_by_label_are_not(app: str, ns: str) -> None:
    assert classify(f"kubectl delete pods -n {ns} -l app={app}") == "mutating"
    assert classify(f"kubectl delete deploy -n {ns} -l app={app}") == "destructive"
    assert classify(f"kubectl delete pods -n {ns} -l app={app} --all-namespaces") == "destructive"


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9]{1,12}", fullmatch=True), st.from_regex(r"[a-z]+(-[a-z]+){0,2}", fullmatch=True),
       st.sampled_from(["", " --region us-east-1", " --output json", " --query 'x[0]'"]))
def test_aws_verbs_by_pattern(service: str, noun: str, extra: str) -> None:
    if service in ("s3", "s3api", "sts", "ssm", "logs", "ecr"):
        return  # their exact entries come first
    assert classify(f"aws {service} describe-{noun}{extra}") == "read-only"
    assert classify(f"aws {service} list-{noun}{extra}") == "read-only"
    assert classify(f"aws {service} delete-{noun}{extra}") == "destructive"
    assert classify(f"aws {service} terminate-{noun}{extra}") == "destructive"
    assert classify(f"aws{extra} {service} update-{noun}") == "mutating"


@settings(max_examples=40, deadline=None)
@given(NAME, st.sampled_from(["compute instances", "sql instances", "container clusters", "pubsub topics"]))
def test_gcloud_verbs_anywhere(name: str, group: str) -> None:
    assert classify(f"gcloud {group} delete {name} --quiet") == "destructive"
    assert classify(f"gcloud {group} describe {name} --project p") == "read-only"
    assert classify(f"gcloud {group} create {name}") == "mutating"


@settings(max_examples=40, deadline=None)
@given(NAME, st.sampled_from(["sudo", "sudo -u postgres", "timeout 10", "env A=1", "nice -n 5", "watch -n 5"]))
def test_wrappers_are_what_they_run(name: str, wrapper: str) -> None:
    assert classify(f"{wrapper} kubectl get pods {name}") == "read-only"
    assert classify(f"{wrapper} kubectl delete ns {name}") == "destructive"
    assert classify(f"kubectl exec {name} -- {wrapper} rm -rf /data") == "destructive"
    assert classify(f"ssh {name} '{wrapper} systemctl status x'") == "read-only"


def test_unknown_tools_and_stubs_are_judged_by_their_verbs() -> None:
    assert classify("vault kv destroy secret/x") == "destructive"  # a stub: named, commands unknown
    assert classify("vault kv get secret/x") == "mutating"
    assert classify("sometool db drop x") == "destructive"
    assert classify("git --exec-path=/tmp/x log") == "mutating"  # an unknown global option
    assert classify("git log") == "read-only"


@settings(max_examples=40, deadline=None)
@given(NAME, st.sampled_from(["\\dt", "\\d+ {t}", "\\x", "\\l", "\\timing on", "\\conninfo", "\\copy {t} to stdout"]))
def test_psql_meta_commands_that_only_look(table: str, meta: str) -> None:
    line = meta.format(t=table)
    assert classify(line, "sql") == "read-only"
    assert classify(f"{line}\nSELECT count(*) FROM {table};", "sql") == "read-only"
    assert classify(f"{line}\nDROP TABLE {table};", "sql") == "destructive"  # the SQL still counts


@settings(max_examples=40, deadline=None)
@given(NAME, st.sampled_from(["\\! rm -rf /tmp/{t}", "\\i /tmp/{t}.sql", "\\o /tmp/{t}", "\\copy {t} from /tmp/x",
                              "\\copy {t} to '/tmp/{t}.csv'", "SELECT 1 \\g /tmp/{t}", "SELECT 'x' FROM {t} \\gexec",
                              "\\password {t}", "\\unknownmeta {t}"]))
def test_psql_meta_commands_that_change_things(name: str, meta: str) -> None:
    line = meta.format(t=name)
    assert classify(line, "sql") == "mutating"
    assert classify(f"psql -X -c '{line}'") == "mutating"


def test_psql_statement_separator_and_double_quotes() -> None:
    # `\;` separates statements psql sends together; in double quotes the shell keeps `\d`'s backslash.
    assert classify('psql -c "SELECT 1 \\; DELETE FROM t"') == "destructive"
    assert classify('psql -c "\\dt"') == "read-only"
    assert classify("\\lo_unlink 1234", "sql") == "destructive"
