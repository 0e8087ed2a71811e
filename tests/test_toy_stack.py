"""A new monitoring stack is one class: defined here, with its own catalogue, it writes the alerts of a
generated runbook — the baseline's and a pack's — without any edit to a pack or to the engine.
Signals it has no metric for fall back to the packs' bash probes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import agent.knowledge.packs as packs_package
from agent.answers import from_mapping
from agent.checks.check import check_markdown
from agent.knowledge.monitoring import Metric, Stack, register, unregister
from agent.knowledge.signals import Signal
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

DESCRIPTION = ("The checkout API takes orders for the web shop. It runs on EKS in the namespace shop and "
               "stores orders in the PostgreSQL database checkout.")


class Zabbix(Stack):
    """Zabbix trigger expressions: function(/host/item key, period) compared with the threshold."""

    # the key (the monitoring answer it serves) is set by the fixture: a class defined with one registers
    # itself, and this module is imported with every test run
    label, language = "Zabbix", "text"

    @classmethod
    def catalogue(cls) -> Mapping[str, Any]:
        return {
            "cpu": {"query": "avg(/${job}/system.cpu.util,${window})", "unit": "%", "source": "Zabbix agent 2"},
            "error_rate": {"query": "last(/${job}/web.errors.pct)", "unit": "%"},
            "postgres.connections": {"query": "last(/${db}/pgsql.connections.pct)", "unit": "%",
                                     "source": "Zabbix template PostgreSQL by Zabbix agent 2"},
        }

    def format(self, metric: Metric, signal: Signal, query: str, value: float | None) -> str:
        return f"{query}{signal.threshold.op}{value:g}" if value is not None else query


@pytest.fixture()
def zabbix(tmp_path: Path) -> Iterator[Path]:
    """The rule's monitoring question offers Zabbix; the stack is registered only for the test."""
    text = default_rule_path().read_text(encoding="utf-8").replace("- E) Custom monitoring", "- E) Zabbix")
    path = tmp_path / "rule.md"
    path.write_text(text, encoding="utf-8")
    Zabbix.key = "zabbix"
    register(Zabbix)
    yield path
    unregister("zabbix")
    Zabbix.key = ""


def test_a_toy_stack_writes_the_alerts_of_a_generated_runbook(zabbix: Path) -> None:
    rule = load_rule(zabbix)
    answers = from_mapping(rule, {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "E",
                                  "oncall": "24x7"}, "test")
    assert answers.monitoring == ("zabbix",)
    request = GenerationRequest(rule=rule, description=DESCRIPTION, answers=answers, now=datetime(2026, 1, 1),
                                service_name="checkout-api")
    runbook = OfflineModel().generate(request).runbook
    alerts = {a.name: a for a in runbook.monitoring.alerts}

    cpu = alerts["High CPU"]
    assert cpu.query.code == "avg(/checkout-api/system.cpu.util,10m)>80" and "Zabbix agent 2" in cpu.query.purpose
    assert alerts["High Error Rate"].query.code.startswith("last(/checkout-api/web.errors.pct)>")
    pack = alerts["PostgreSQL connections near max_connections"]  # a pack's signal, no pack edited
    assert pack.query.code == "last(/checkout/pgsql.connections.pct)>80"
    assert pack.condition.startswith("connections > 80%")
    # what the stack cannot express comes from the pack's own probe
    assert alerts["PostgreSQL long-running transaction"].query.language == "bash"
    assert "pg_stat_activity" in alerts["PostgreSQL long-running transaction"].query.code
    assert not any("monitoring 'zabbix'" in a for a in runbook.assumptions)

    markdown = render_markdown(runbook)
    assert "last(/checkout/pgsql.connections.pct)>80" in markdown
    report = check_markdown(markdown, "runbook-checkout-api.md", tools=False)
    assert not [f for f in report.findings if f.rule.startswith("consistency.")]


def test_no_pack_names_a_monitoring_stack() -> None:
    """Packs declare signals; the per-stack keywords (prometheus=, datadog=, …) are gone."""
    for module in Path(packs_package.__file__).parent.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        for keyword in ("prometheus=", "datadog=", "cloudwatch=", "newrelic=", "alert_query(", "no_native"):
            assert keyword not in text, f"{module.name} still passes {keyword}"


def test_a_platform_that_describes_itself_is_watched_without_a_stack_edit() -> None:
    """A new platform gives the stacks its tags and names (`monitoring_scope`); the stacks never ask
    which platform they are on."""
    from dataclasses import dataclass

    from agent.knowledge.base import Context, Facts
    from agent.knowledge.monitoring import Prometheus, Scope
    from agent.knowledge.signals import Threshold
    from tests.toy_platform import Nomad as ToyNomad  # a complete platform: Platform is abstract

    @dataclass
    class Nomad(ToyNomad):
        def monitoring_scope(self) -> Scope:
            return Scope(("host",), {"job": "checkout-api", "hosts_re": "nomad-1|nomad-2"})

    rule = load_rule(default_rule_path())
    answers = from_mapping(rule, {"type": "api", "env": "vm", "criticality": "high", "monitoring": "prometheus",
                                  "oncall": "24x7"}, "test")
    ctx = Context(answers, Facts(service="checkout-api", display_name="Checkout API", description=""))
    cpu = Signal(key="cpu", name="High CPU", measure="", threshold=Threshold(80, "%"), minutes=10,
                 severity="Warning", response="r", of="CPU")
    query = Prometheus(Nomad(ctx)).render(cpu)
    assert query is not None and 'instance=~"(nomad-1|nomad-2).*"' in query.code and query.code.endswith("> 80")
