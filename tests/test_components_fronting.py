"""A proxy in front of the service is never checked as something the service calls."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.service.components import fronts
from agent.service.model import ServiceModel

_NAME = st.from_regex(r"[a-z]{4,9}", fullmatch=True)


def _model(app: str, proxy_kind: str, rel: str) -> ServiceModel:
    return ServiceModel.model_validate({
        "service": {"name": app, "display": app, "kind": "", "purpose": "", "runtime": ""},
        "components": [{"id": "app", "technology": "nodejs", "kind": "service"},
                       {"id": "edge", "technology": "haproxy", "kind": proxy_kind}],
        "relationships": [{"source": "app", "target": "edge", "kind": rel, "detail": ""}],
    })


@settings(max_examples=30, deadline=None)
@given(app=_NAME, kind=st.sampled_from(["proxy", "load-balancer", "other"]))
def test_fronted_by_means_fronts(app: str, kind: str) -> None:
    model = _model(app, kind, "fronted_by")
    edge = model.component("edge")
    assert edge is not None and fronts(model, edge)


@settings(max_examples=30, deadline=None)
@given(app=_NAME, rel=st.sampled_from(["calls", "writes", "pools_through", "health_depends_on"]))
def test_a_proxy_the_service_calls_is_a_dependency(app: str, rel: str) -> None:
    model = _model(app, "proxy", rel)
    edge = model.component("edge")
    assert edge is not None and not fronts(model, edge)

