"""The ServiceModel: schema file current, strict-output shape, YAML round trip, lenient hand edits, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.errors import UsageError
from agent.service import files
from agent.service.model import ServiceModel, schema_text

ROOT = Path(__file__).resolve().parents[1]


def _sample() -> ServiceModel:
    return ServiceModel.model_validate({
        "service": {"name": "orders-api", "display": "Orders API", "kind": "api", "purpose": "checkout backend",
                    "runtime": "Node.js 20", "origin": "given", "evidence": "The orders API", "at": ""},
        "platform": {"environment": "kubernetes", "cloud": "aws", "origin": "given", "evidence": "EKS"},
        "components": [
            {"id": "app", "technology": "nodejs", "kind": "service", "form": "cluster-workload",
             "names": [{"role": "deployment", "value": "orders-api", "origin": "given",
                        "evidence": "deployment orders-api", "at": ""},
                       {"role": "namespace", "value": "orders", "origin": "assumed",
                        "evidence": "the description names none", "at": ""}],
             "controllers": [{"aspect": "replicas", "by": "hpa", "origin": "given", "evidence": "HPA 4-12"}]},
            {"id": "postgresql", "technology": "postgresql", "kind": "database", "form": "managed",
             "variant": "rds-instance", "names": {"instance": "orders-db", "database": "orders"},
             "holds": ["source-of-truth"]},
        ],
        "relationships": [{"source": "app", "target": "postgresql", "kind": "health_depends_on",
                           "detail": "readiness checks the database"}],
        "figures": [{"key": "latency", "value": "250", "unit": "ms", "qualifier": "p99"}],
        "people": [{"role": "team", "value": "Commerce Platform", "qualifier": ""}],
        "topology": {"mode": "active-passive", "regions": [{"name": "us-east-1", "role": "primary"},
                                                            {"name": "us-west-2", "role": "dr"}]},
    })


def test_schema_file_is_current() -> None:
    on_disk = (ROOT / "schemas" / "service.schema.json").read_text()
    assert on_disk == schema_text(), "schemas/service.schema.json is stale: python -m agent.service.model > it"


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_objects(item))
    return found


def test_strict_structured_output_accepts_the_model() -> None:
    from anthropic import transform_schema
    from openai.lib._pydantic import to_strict_json_schema

    for schema in (to_strict_json_schema(ServiceModel), transform_schema(ServiceModel)):
        assert '"default"' not in json.dumps(schema)
        for obj in _objects(schema):
            assert obj.get("additionalProperties") is False, obj
            assert set(obj.get("required", [])) == set(obj.get("properties", {})), obj
    assert json.dumps(ServiceModel.model_json_schema()).count('"anyOf"') <= 16


def test_yaml_round_trip_keeps_every_value_and_its_source() -> None:
    model = _sample()
    text = files.dump(model, "tasks/runbook-orders-api.service.yaml")
    assert text.startswith("# What runbook-agent understood")
    again = files.parse(text, "x.yaml")
    assert again == model
    assert again.component("postgresql") is not None
    assert again.component("postgresql").names_of("instance") == ["orders-db"]  # type: ignore[union-attr]


def test_hand_edits_need_no_provenance_and_read_as_edited() -> None:
    model = files.parse("service: {name: billing, display: Billing, kind: worker, purpose: '', runtime: ''}\n"
                        "components:\n- id: app\n  kind: service\n  names: {queue: [jobs, jobs-2]}\n", "m.yaml")
    app = model.app
    assert app is not None and app.names_of("queue") == ["jobs", "jobs-2"]
    assert {n.origin for n in app.names} == {"edited"}
    assert model.service.origin == "edited"


def test_assumed_values_are_listed_for_the_runbook() -> None:
    lines = _sample().assumptions()
    assert lines == ["components[app].names.namespace = 'orders' (the description names none)"]


@pytest.mark.parametrize(("text", "message"), [
    ("service: [1, 2]\n", "m.yaml: service: Input should be a valid dictionary"),
    ("service: {name: x, display: X, kind: '', purpose: '', runtime: ''}\n"
     "components:\n- id: app\n  kind: service\n  names: [{role: deploymnet, value: x}]\n",
     "m.yaml: components[app].names[0].role: Input should be"),
    ("service: {name: x, display: X, kind: '', purpose: '', runtime: ''}\n"
     "relationships: [{source: app, target: db, kind: reads, detail: ''}]\n", "no component with id 'app'"),
    ("service: {name: x\n", "m.yaml: line 2 is not valid YAML"),
    ("- just\n- a list\n", "a service model is a YAML mapping"),
])
def test_malformed_models_are_one_line_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        files.parse(text, "m.yaml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_load_refuses_big_and_binary_files(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (files.MAX_BYTES + 10))
    with pytest.raises(UsageError, match="larger than"):
        files.load(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        files.load(binary)
    with pytest.raises(UsageError, match="cannot read service model"):
        files.load(tmp_path / "missing.yaml")


def _model(**parts: Any) -> ServiceModel:
    base: dict[str, Any] = {"service": {"name": "orders-api", "display": "Orders API", "kind": "api", "purpose": "",
                                        "runtime": "", "origin": "given", "evidence": "orders API"}}
    base.update(parts)
    return ServiceModel.model_validate(base)


def test_merge_unions_multi_valued_names_and_records_conflicts_between_knowing_sources() -> None:
    from agent.service.merge import merge

    described = _model(components=[{"id": "app", "kind": "service", "technology": "nodejs",
                                    "names": [{"role": "namespace", "value": "orders", "origin": "given"},
                                              {"role": "host", "value": "web-1", "origin": "given"}]}])
    repo = _model(components=[{"id": "web", "kind": "service", "technology": "nodejs",
                               "names": [{"role": "namespace", "value": "shop", "origin": "repository",
                                          "at": "k8s/deploy.yaml:4"},
                                         {"role": "host", "value": "web-2", "origin": "repository"}]},
                              {"id": "redis", "kind": "cache", "technology": "redis", "form": "cluster-workload"}],
                  relationships=[{"source": "web", "target": "redis", "kind": "caches_in", "detail": ""}])
    merged = merge(described, repo, label=("description", "repository"))
    app = merged.app
    assert app is not None and app.id == "app"
    assert app.names_of("host") == ["web-1", "web-2"]
    assert app.name("namespace") == "shop"  # the repository outranks the description's memory …
    (conflict,) = merged.conflicts  # … and the disagreement is kept for the user
    assert conflict.subject == "components[app].names.namespace"
    assert conflict.values == ["orders", "shop"] and "k8s/deploy.yaml:4" in conflict.sources[1]
    assert [(r.source, r.target) for r in merged.relationships] == [("app", "redis")]
    assert "components[app].names.namespace: sources disagree (orders, shop); used 'shop'" in merged.assumptions()


def test_merge_lets_an_edit_replace_an_assumption_silently() -> None:
    from agent.service.merge import merge

    assumed = _model(components=[{"id": "app", "kind": "service",
                                  "names": [{"role": "namespace", "value": "production", "origin": "assumed"}]}])
    edited = _model(components=[{"id": "app", "kind": "service", "names": {"namespace": "orders"}}])
    merged = merge(assumed, edited)
    assert merged.app is not None and merged.app.name("namespace") == "orders"
    assert merged.conflicts == [] and merged.assumptions() == []
