"""A Helm chart that Argo CD deploys is rendered by Argo CD (helm template) and applied as manifests: there
is no Helm release in the cluster, so no helm status/history/upgrade/rollback; a chart deployed with helm
itself keeps them. Property-based: random names and phrasings.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.answers import from_mapping
from agent.models.base import GenerationRequest
from agent.models.offline import OfflineModel
from agent.render import render_markdown
from agent.rule import default_rule_path, load_rule

_letters = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=7)
ident = st.builds(lambda a, b: f"{a}-{b}", _letters, _letters)
ARGO = ["from the official Helm chart (release `{r}`). The release is owned by the Argo CD application `{a}` "
        "(auto-sync, selfHeal on).", "deployed by Argo CD (application {a}) from a Helm chart, release {r}.",
        "Helm chart, release `{r}`, synced by Argo CD app `{a}` with auto-sync."]
_HELM_OP = re.compile(r"^\s*helm\s+(?:status|history|upgrade|rollback|get|diff)\b", re.M)


def _markdown(text: str) -> str:
    rule = load_rule(default_rule_path())
    values = {"type": "api", "env": "kubernetes", "criticality": "high", "monitoring": "prometheus",
              "oncall": "24x7"}
    request = GenerationRequest(rule=rule, description=text, answers=from_mapping(rule, values, "t"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
    return render_markdown(OfflineModel().generate(request).runbook)


def _code(markdown: str) -> str:
    return "\n".join(re.findall(r"```bash\n(.*?)```", markdown, re.S))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=ident, ns=ident, release=ident, argo=ident, phrase=st.sampled_from(ARGO))
def test_argo_cd_renders_the_chart_so_no_helm_release_is_operated(app: str, ns: str, release: str, argo: str,
                                                                   phrase: str) -> None:
    text = f"{app} is a Go API on GKE, namespace `{ns}`, {phrase.format(r=release, a=argo)}"
    markdown = _markdown(text)
    assert not _HELM_OP.search(_code(markdown)), _HELM_OP.findall(_code(markdown))
    assert f"argocd app history {argo}" in markdown
    assert "no Helm release in the cluster" in markdown


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app=ident, ns=ident, release=ident)
def test_a_chart_deployed_with_helm_keeps_its_release_operations(app: str, ns: str, release: str) -> None:
    text = f"{app} is a Go API on GKE, namespace `{ns}`, deployed with Helm (release `{release}`) from CI."
    markdown = _markdown(text)
    assert f"helm rollback {release}" in _code(markdown)
