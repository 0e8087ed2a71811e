"""A Galera cluster (MariaDB Galera, Percona XtraDB Cluster) is a variant of MySQL: no replica to promote.

Property-based: random node names and the ways teams name it. The runbook never promotes a replica or
resets replication; it checks the wsrep status, and its recovery bootstraps from the most advanced node,
once, with the warning that a second bootstrap splits the cluster.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule
from agent.service.text import parse

_name = st.from_regex(r"\A[a-z]{3,7}\Z", fullmatch=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shop=_name, node=_name, phrase=st.sampled_from(["MariaDB 10.11 Galera cluster", "Percona XtraDB Cluster 8.0",
                                                       "MariaDB Galera Cluster"]))
def test_a_galera_cluster_is_bootstrapped_never_promoted(shop: str, node: str, phrase: str) -> None:
    description = (f"{shop}-db is our {phrase} with 3 nodes: {node}-01, {node}-02 and {node}-03 on Ubuntu VMs, "
                   f"systemd unit mariadb, database {shop}. Alerts: wsrep_cluster_size < 3 for 2 min.")
    model = parse(description)
    mysql = model.component("mysql")
    assert mysql is not None and mysql.variant == "galera", [(c.id, c.variant) for c in model.components]
    rule = load_rule(default_rule_path())
    values = {"type": "database", "env": "vms", "criticality": "high", "monitoring": "prometheus", "oncall": "B"}
    request = GenerationRequest(rule=rule, description=description, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    markdown = render_markdown(OfflineModel().generate(request).runbook)
    assert "RESET REPLICA" not in markdown and "promote a replica" not in markdown.lower()
    assert "wsrep_cluster_status" in markdown and "galera_new_cluster" in markdown
    dr = markdown[markdown.index("## Disaster Recovery"):]
    assert "bootstrap the cluster from the most advanced node" in dr and "only once" in dr
