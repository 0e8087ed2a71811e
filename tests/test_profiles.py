"""Technology profiles (knowledge/profiles/data): every file validates, and a runbook for a technology no
pack covers carries that technology's own commands under the service model's names, on every platform,
as the service itself and as a dependency, passes `agent test`, and borrows no HTTP-app template."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agent.answers import from_mapping
from agent.checks import check_markdown
from agent.knowledge.packs import all_packs
from agent.knowledge.packs.unpacked import covered_by_pack
from agent.knowledge.platforms.quorum import QUORUM
from agent.knowledge.profiles import Profile, catalogue, profile_for, profiles, serves_http
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import Rule, load_rule
from agent.runbook import Runbook, iter_commands
from agent.service.text import parse
from agent.service.vocabulary import vocabulary

NOW = datetime(2026, 1, 15, 9, 30)
PROFILES = profiles()
IDS = [p.id for p in PROFILES]
# What only an HTTP application's generic templates write.
HTTP_APP = ("High error rate (5xx)", "High response times", "http_requests_total", "http_request_duration",
            "READ_ONLY", "127.0.0.1:8080/health")


@pytest.fixture(scope="module")
def rule() -> Rule:
    return load_rule()


def generate(rule: Rule, description: str, env: str, typ: str = "api") -> Runbook:
    answers = from_mapping(rule, {"type": typ, "env": env, "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    return OfflineModel().generate(GenerationRequest(rule=rule, description=description, answers=answers,
                                                     now=NOW)).runbook


def code(runbook: Runbook) -> str:
    return "\n".join(c.code for c in iter_commands(runbook))


def core(profile: Profile, probe_id: str) -> str:
    """The part of a probe's command that survives any platform's wrapping (quoting, port-forward)."""
    run = profile.probe(probe_id).run
    if "{host}" in run:  # the address is the platform's (a host, a port-forward, a container's network)
        return re.split(r"[\"'| ]", run.split("{host}", 1)[1])[0]
    return re.split(r"[\"'|]", run)[0].strip()


# --- the data ---------------------------------------------------------------------------------------------------

def test_at_least_twelve_profiles_load_and_validate() -> None:
    assert len(PROFILES) >= 12
    for profile in PROFILES:
        assert profile.probes and profile.failures and profile.dangerous, profile.id
        assert profile.restart.quorum is None or profile.restart.quorum in QUORUM


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_a_profile_speaks_for_parser_technologies_no_pack_covers(profile: Profile) -> None:
    known = vocabulary().technologies
    pack_names = {p.name for p in all_packs()}
    for tech in profile.technologies:
        assert tech in known, f"{tech}: the parser never names it, so the profile would never apply"
        assert not covered_by_pack(tech) and tech not in pack_names, f"{tech}: a pack covers it; the pack stands"
        assert profile_for(tech) is profile
        assert serves_http(tech) is False


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_every_failure_says_what_not_to_do_and_every_signal_answers_a_failure(profile: Profile) -> None:
    ids = {f.id for f in profile.failures}
    for failure in profile.failures:
        assert failure.checks and failure.mitigation and failure.never, failure.id
    for signal in profile.signals:
        assert signal.failure in ids
    assert catalogue("prometheus").keys() >= {s.key for s in profile.signals if "prometheus" in s.queries}


def _raw(profile: Profile) -> dict[str, object]:
    return profile.model_dump()


def test_a_profile_that_does_not_hold_together_is_refused() -> None:
    good = _raw(PROFILES[0])
    bad_check = {**good, "failures": [{**good["failures"][0], "checks": ["no-such-probe"]}]}  # type: ignore[index]
    with pytest.raises(ValidationError, match="unknown probes"):
        Profile.model_validate(bad_check)
    verb = PROFILES[0].dangerous[0].verb
    risky = {**good, "probes": [{**good["probes"][0], "run": f"{verb} x"}, *good["probes"][1:]]}  # type: ignore[index]
    with pytest.raises(ValidationError, match="dangerous verb"):
        Profile.model_validate(risky)
    with pytest.raises(ValidationError, match="quorum row"):
        Profile.model_validate({**good, "restart": {**good["restart"], "quorum": "no-such-row"}})  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        Profile.model_validate({**good, "unknown_field": 1})


# --- rendered through the platform, with the model's names -------------------------------------------------------

NAME = st.text(string.ascii_lowercase, min_size=3, max_size=7).filter(lambda s: s not in {"the", "and", "our"})
# Where the technology runs: (how the description says it, the environment answer, the platform's marker).
WHERE = {
    "host": ("{svc} is our {tech} cluster on three VMs {h}-1, {h}-2 and {h}-3.", "vm", "ssh "),
    "k8s": ("{svc} is our {tech} cluster, a StatefulSet {h} in namespace {ns} on Kubernetes.", "kubernetes",
            "kubectl "),
    "compose": ("{svc} is our {tech} server, run with docker compose as compose service {h}.", "docker",
                "docker "),
    "container": ("{svc} is our {tech} server in a Docker container called {h} (plain docker run, no compose).",
                  "docker", "docker "),
}


def _names(description: str) -> list[str]:
    """The names the service model binds for the service's own workload (what commands must use)."""
    app = parse(description).app
    assert app is not None
    return [n.value for n in app.names if n.role in ("host", "statefulset", "namespace", "compose_service",
                                                      "container") and n.origin != "assumed"]


def _binds(profile: Profile, where: str, svc: str, h: str, ns: str) -> str | None:
    """The description, when the parser makes the technology the service's own (else None: parser's area)."""
    description = WHERE[where][0].format(svc=f"{svc}-store", tech=profile.display, h=f"{h}-node", ns=f"{ns}-ns")
    app = parse(description).app
    return description if app is not None and app.technology in profile.technologies else None


def _as_service(rule: Rule, profile: Profile, where: str, description: str) -> None:
    _, env, marker = WHERE[where]
    runbook = generate(rule, description, env)
    text, commands = render_markdown(runbook), code(runbook)
    # the profile's own status commands, its failure entries and its platform's way of running them
    for probe in profile.probes:
        assert core(profile, probe.id) in commands, (probe.id, description)
    for failure in profile.failures:
        assert f"#### Issue: {profile.display}: {failure.title}" in text
    assert marker in commands
    if where == "container":
        assert "docker compose" not in commands  # one container by name, not a compose project
    for name in _names(description):
        assert name in commands, (name, description)
    for word in HTTP_APP:
        assert word not in text, (word, description)
    report = check_markdown(text, "generated.md", tools=False)
    assert report.findings == [], report.findings


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(PROFILES) - 1), where=st.sampled_from(sorted(WHERE)), svc=NAME, h=NAME, ns=NAME)
def test_the_service_itself_gets_its_technology_commands(rule: Rule, index: int, where: str, svc: str, h: str,
                                                         ns: str) -> None:
    description = _binds(PROFILES[index], where, svc, h, ns)
    assume(description is not None)
    assert description is not None
    _as_service(rule, PROFILES[index], where, description)


@pytest.mark.parametrize("where", sorted(WHERE))
@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_every_profile_on_every_platform(rule: Rule, profile: Profile, where: str) -> None:
    description = _binds(profile, where, "quill", "zeta", "ledger")
    if description is None:
        pytest.skip(f"the parser does not make {profile.display} the service here (parser's area)")
    _as_service(rule, profile, where, description)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(PROFILES) - 1), svc=NAME, h=NAME)
def test_a_dependency_gets_its_technology_commands_not_a_reachability_stub(rule: Rule, index: int, svc: str,
                                                                           h: str) -> None:
    profile = PROFILES[index]
    host = f"{h}-db.internal"
    description = (f"{svc}-api is a Go API on two VMs {svc}-1 and {svc}-2. It depends on {profile.display} "
                   f"on the host {host}.")
    runbook = generate(rule, description, "vm")
    text, commands = render_markdown(runbook), code(runbook)
    comp = next((c for c in parse(description).components if c.technology in profile.technologies), None)
    assert comp is not None, description
    assert "borrows none from another product" not in text  # the unpacked stub gave way
    checked = [core(profile, f.checks[0]) for f in profile.failures]
    assert any(c in commands for c in checked), (checked, description)
    if host in comp.names_of("host"):
        assert host in commands
    report = check_markdown(text, "generated.md", tools=False)
    assert report.findings == [], report.findings


@pytest.mark.parametrize("profile", [p for p in PROFILES if p.id in ("vault", "haproxy", "nats", "cassandra")],
                         ids=lambda p: p.id)
def test_cli_checks_accept_the_profile_commands(rule: Rule, profile: Profile) -> None:
    """With shellcheck and the CLI checks: a tool the checks do not know is reported as unchecked, never passed."""
    description = f"quill-store is our {profile.display} cluster on three VMs zeta-1, zeta-2 and zeta-3."
    report = check_markdown(render_markdown(generate(rule, description, "vm")), "g.md")
    assert report.findings == [], report.findings
    for skipped in report.skipped:
        assert "unchecked" in skipped


def test_a_sealed_vault_alert_leads_to_its_entry_with_the_profile_query(rule: Rule) -> None:
    runbook = generate(rule, "kv-keeper is our HashiCorp Vault cluster on VMs kv-1, kv-2 and kv-3.", "vm")
    text = render_markdown(runbook)
    assert "vault_core_unsealed" in text
    assert "[Vault: a member is sealed](#issue-vault-a-member-is-sealed)" in text
    # the restart the entry offers is the platform's quorum-aware one: the leader steps down last
    assert "vault operator step-down" in code(runbook)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(PROFILES) - 1), svc=NAME, ns=NAME)
def test_a_dependency_behind_a_kubernetes_service_is_reached_through_it(rule: Rule, index: int, svc: str,
                                                                        ns: str) -> None:
    """`<name>.<namespace>.svc` is a Kubernetes Service: exec and logs go through it, never ssh to it."""
    profile = PROFILES[index]
    address = f"{svc}-0.{ns}-data.svc"
    description = (f"{svc}-api is a Go API on Kubernetes in namespace {ns}-apps; it depends on {profile.display} "
                   f"at {address}.")
    comp = next((c for c in parse(description).components if c.technology in profile.technologies), None)
    assume(comp is not None and address in comp.names_of("host"))
    runbook = generate(rule, description, "kubernetes")
    commands = code(runbook)
    assert f"svc/{svc}-0" in commands and f"-n {ns}-data" in commands, description
    assert f'ssh {address}' not in commands and f"HOST={address}" not in commands
    report = check_markdown(render_markdown(runbook), "generated.md", tools=False)
    assert report.findings == [], report.findings
