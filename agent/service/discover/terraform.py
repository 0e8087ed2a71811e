"""Terraform (HCL, parsed with python-hcl2): databases and clusters, caches, queues (with their
redrive DLQ), topics, Kafka, functions (event source mappings, reserved concurrency), ECS services,
buckets, tables, load balancers, DNS, and the CloudWatch / Datadog alarms defined there.

Which resource means what is data (`data/terraform.yaml`). Expressions are resolved as far as the
files allow: literals, `var.x` (defaults and `*.tfvars`), `local.x`, and references to other resources
(`aws_sqs_queue.dlq.arn` is that queue). Anything else (`module.x.y`, functions, data sources) is
left out rather than guessed. The `.tf` files of one folder are read together, as Terraform does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from agent.service.discover.partial import UNRESOLVED_CLOSE, UNRESOLVED_OPEN, Partial, Source, unresolved
from agent.service.discover.walk import Skipped, SourceFile
from agent.service.discover.yamlfile import mapping
from agent.service.model import Component

_DATA = Path(__file__).resolve().parent / "data" / "terraform.yaml"
_REF = re.compile(r"^(?:(?P<kind>[a-z][a-z0-9_]*)\.(?P<label>[A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.(?P<attr>[\w.]+))?)$")
_NAME_ATTRS = ("name", "id", "arn", "function_name", "bucket", "url", "dns_name", "identifier", "cluster_identifier",
               "replication_group_id", "cluster_name", "family", "invoke_arn", "qualified_arn")


@cache
def _table() -> dict[str, Any]:
    loaded = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@dataclass
class _Block:
    kind: str  # resource type ("aws_sqs_queue"), or the wrapped type of a registry module
    label: str
    body: dict[str, Any]
    src: Source
    line: int
    end: int
    module: bool = False


@dataclass
class Result:
    part: Partial = field(default_factory=Partial)
    skipped: list[Skipped] = field(default_factory=list)


def _parse(f: SourceFile) -> dict[str, Any]:
    import hcl2
    from hcl2.utils import SerializationOptions

    if f.name.endswith(".tf.json"):
        import json
        data = json.loads(f.text)
        return data if isinstance(data, dict) else {}
    parsed = hcl2.loads(f.text, serialization_options=SerializationOptions(strip_string_quotes=True))
    return parsed if isinstance(parsed, dict) else {}


def _block_lines(text: str, keyword: str, labels: tuple[str, ...]) -> tuple[int, int]:
    """(first line, last line) of `resource "type" "name" {` …; (0, 0) when not found."""
    pattern = re.compile(r"^\s*" + re.escape(keyword) + "".join(r'\s+"?' + re.escape(lab) + '"?' for lab in labels)
                         + r"\s*\{", re.M)
    found = pattern.search(text)
    if not found:
        return 0, 0
    start = text.count("\n", 0, found.start()) + 1
    depth = 0
    for offset, ch in enumerate(text[found.end() - 1:]):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return start, text.count("\n", 0, found.end() - 1 + offset) + 1
    return start, start


def _attr_line(block: _Block, attr: str) -> int:
    pattern = re.compile(r"^\s*" + re.escape(attr) + r"\s*=", re.M)
    lines = block.src.lines[block.line - 1: block.end]
    for offset, row in enumerate(lines):
        if pattern.match(row):
            return block.line + offset
    return block.line


def read(files: list[SourceFile]) -> Result:
    """All `.tf` files of the repository, grouped by folder (one Terraform module each)."""
    result = Result()
    by_dir: dict[str, list[SourceFile]] = {}
    for f in files:
        by_dir.setdefault(f.directory, []).append(f)
    for directory in sorted(by_dir):
        _module(by_dir[directory], result)
    return result


def _module(files: list[SourceFile], result: Result) -> None:
    variables: dict[str, Any] = {}
    tfvars: dict[str, Any] = {}
    locals_: dict[str, Any] = {}
    blocks: list[_Block] = []
    providers: list[tuple[str, dict[str, Any], SourceFile]] = []
    for f in files:
        try:
            data = _parse(f)
        except Exception as exc:  # python-hcl2 raises lark errors of many types  # noqa: BLE001
            message = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            result.skipped.append(Skipped(f.rel, f"not valid HCL ({message})"))
            continue
        if f.name.endswith(".tfvars"):
            tfvars.update({k: v for k, v in data.items() if not k.startswith("__")})
            continue
        for item in data.get("variable") or []:
            for name, body in item.items():
                if isinstance(body, dict) and "default" in body:
                    variables[name] = body["default"]
        for item in data.get("locals") or []:
            locals_.update({k: v for k, v in item.items() if not k.startswith("__")})
        for item in data.get("provider") or []:
            for name, body in item.items():
                providers.append((name, body if isinstance(body, dict) else {}, f))
        for item in data.get("resource") or []:
            for kind, named in item.items():
                for label, body in (named or {}).items():
                    start, end = _block_lines(f.text, "resource", (kind, label))
                    blocks.append(_Block(kind, label, body if isinstance(body, dict) else {}, f.source, start, end))
        for item in data.get("module") or []:
            for label, body in item.items():
                source = str(body.get("source") or "") if isinstance(body, dict) else ""
                wrapped = next((kind for prefix, kind in _table()["modules"].items() if source.startswith(prefix)),
                               None)
                if wrapped is None:
                    continue
                renames = _table().get("module_arguments", {}).get(wrapped, {})
                mapped = {renames.get(k, k): v for k, v in body.items()}
                start, end = _block_lines(f.text, "module", (label,))
                blocks.append(_Block(wrapped, label, mapped, f.source, start, end, module=True))
    values = {**variables, **tfvars}
    ctx = _Ctx(values, locals_, {(b.kind, b.label): b for b in blocks if not b.module},
               {b.label: b for b in blocks if b.module})
    part = result.part
    for name, body, f in providers:
        region = ctx.text(body.get("region"))
        cloud = {"aws": "aws", "google": "gcp", "google-beta": "gcp", "azurerm": "azure"}.get(name)
        start, _ = _block_lines(f.text, "provider", (name,))
        if cloud:
            part.on_cloud(cloud, f.source, start)
        if region and not unresolved(region):
            part.region(region, f.source, start)
    components: dict[tuple[str, str], Component] = {}
    table = _table()["resources"]
    for block in blocks:
        spec = table.get(block.kind)
        if spec is None or spec.get("only_as_reference") or spec.get("join"):
            continue
        comp = _component(part, ctx, block, spec)
        if comp is not None:
            components[(block.kind, block.label)] = comp
    for block in blocks:
        spec = table.get(block.kind)
        if spec is not None and spec.get("join"):
            target = ctx.ref(block.body.get(spec["join"]))
            owner = components.get(target) if target else None
            alias = block.body.get("alias")
            if block.kind == "aws_route53_record" and isinstance(alias, list) and alias:
                aliased = ctx.ref(alias[0].get("name")) if isinstance(alias[0], dict) else None
                owner = components.get(aliased) if aliased else owner
            if owner is None and block.kind == "aws_route53_record":
                owner = _component(part, ctx, block, spec)
            if owner is not None:
                _names(part, ctx, block, spec, owner)
    _specials(part, ctx, blocks, components)


@dataclass
class _Ctx:
    values: dict[str, Any]
    locals: dict[str, Any]
    resources: dict[tuple[str, str], _Block]
    modules: dict[str, _Block]
    depth: int = 0

    def text(self, value: Any) -> str:
        """A string value with what can be resolved resolved; unknowns marked."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, list):
            return ",".join(self.text(v) for v in value)
        if isinstance(value, dict):
            return _mark("object")
        text = str(value)
        whole = re.fullmatch(r"\$\{(.*)\}", text, re.S)
        if whole and "${" not in whole.group(1):
            return self.expr(whole.group(1).strip())
        return re.sub(r"\$\{([^}]*)\}", lambda m: self.expr(m.group(1).strip()), text)

    def expr(self, expr: str) -> str:
        if self.depth > 10:
            return _mark(expr)
        if re.fullmatch(r'"[^"]*"', expr):
            return expr[1:-1]
        m = re.fullmatch(r"var\.([A-Za-z0-9_-]+)", expr)
        if m:
            return self._nested(self.values.get(m.group(1))) if m.group(1) in self.values else _mark(expr)
        m = re.fullmatch(r"local\.([A-Za-z0-9_-]+)", expr)
        if m:
            return self._nested(self.locals.get(m.group(1))) if m.group(1) in self.locals else _mark(expr)
        target = self.ref(expr)
        if target and target in self.resources:
            block = self.resources[target]
            spec = _table()["resources"].get(block.kind, {})
            for attr in spec.get("names", {}):
                if attr in block.body:
                    return self._nested(block.body[attr])
        return _mark(expr)

    def _nested(self, value: Any) -> str:
        self.depth += 1
        try:
            return self.text(value)
        finally:
            self.depth -= 1

    def ref(self, value: Any) -> tuple[str, str] | None:
        """(type, label) of the resource `value` refers to (`aws_sqs_queue.dlq.arn`), else None."""
        if not isinstance(value, str):
            return None
        text = value.strip()
        whole = re.fullmatch(r"\$\{(.*)\}", text, re.S)
        if whole:
            text = whole.group(1).strip()
        m = _REF.match(text)
        if not m or m.group("kind") in ("var", "local", "module", "data", "each", "count", "path", "terraform"):
            return None
        if m.group("attr") and m.group("attr").split(".")[0] not in _NAME_ATTRS:
            return None
        return (m.group("kind"), m.group("label"))


def _mark(expr: str) -> str:
    return f"{UNRESOLVED_OPEN}{expr}{UNRESOLVED_CLOSE}"


def _technology(ctx: _Ctx, block: _Block, spec: dict[str, Any]) -> str:
    tech = spec.get("technology", "")
    if isinstance(tech, str):
        return tech
    raw = ctx.text(block.body.get(tech["from"]))
    if unresolved(raw) or not raw:
        return str(tech.get("default", ""))
    table = tech.get("map") or _table()["engines"]
    if tech.get("prefix"):
        for key, value in table.items():
            if raw.lower().startswith(key.lower()):
                return str(value)
        m = re.match(r"([a-z]+)", raw.lower())
        return {"nodejs": "nodejs", "python": "python", "java": "java", "go": "go", "provided": "",
                "ruby": "ruby", "dotnet": "dotnet"}.get(m.group(1) if m else "", "")
    return str(table.get(raw, table.get(raw.lower(), tech.get("default", raw.lower()))))


def _component(part: Partial, ctx: _Ctx, block: _Block, spec: dict[str, Any]) -> Component | None:
    names = spec.get("names", {})
    primary = next((ctx.text(block.body[a]) for a in names if a in block.body and not unresolved(
        ctx.text(block.body[a]))), "")
    ident = primary.split(",", 1)[0] if primary else f"{block.kind.removeprefix('aws_')}-{block.label}"
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "-", ident).strip("-") or block.label
    comp = part.component(ident, block.src, block.line, kind=spec["kind"], technology=_technology(ctx, block, spec),
                          form=spec.get("form", "managed"), variant=spec.get("variant", ""))
    if spec.get("version") and block.body.get(spec["version"]) is not None:
        version = ctx.text(block.body[spec["version"]])
        if not unresolved(version):
            comp.version = comp.version or re.sub(r"^[A-Z]+_", "", version).replace("_", ".")
    if spec.get("platform"):
        part.runs_on(spec["platform"], block.src, block.line)
    if spec.get("form") == "serverless":
        part.runs_on("serverless", block.src, block.line)
    if block.kind == "aws_ecs_service":
        part.runs_on("docker", block.src, block.line)
    _names(part, ctx, block, spec, comp)
    return comp


def _names(part: Partial, ctx: _Ctx, block: _Block, spec: dict[str, Any], comp: Component) -> None:
    for attr, role in spec.get("names", {}).items():
        if attr not in block.body:
            continue
        raw = block.body[attr]
        referenced = ctx.ref(raw)
        if referenced and referenced in ctx.resources:
            other = ctx.resources[referenced]
            other_spec = _table()["resources"].get(other.kind, {})
            raw = next((other.body[a] for a in other_spec.get("names", {}) if a in other.body), raw)
        for value in ctx.text(raw).split(",") if role in ("dns_name",) else [ctx.text(raw)]:
            if value and not unresolved(value):
                part.name(comp, role, value, block.src, _attr_line(block, attr))
    for attr, key in spec.get("settings", {}).items():
        if attr in block.body:
            value = ctx.text(block.body[attr])
            if value and not unresolved(value):
                part.setting(comp, key, value, block.src, _attr_line(block, attr))


def _specials(part: Partial, ctx: _Ctx, blocks: list[_Block], components: dict[tuple[str, str], Component]) -> None:
    for block in blocks:
        body = block.body
        if block.kind == "aws_sqs_queue" and "redrive_policy" in body:
            policy = str(body["redrive_policy"])
            target = re.search(r"deadLetterTargetArn\s*[=:]\s*\"?\$?\{?([a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\.arn)?", policy)
            count = re.search(r"maxReceiveCount\s*[=:]\s*\"?(\d+)", policy)
            comp = components.get((block.kind, block.label))
            at = _attr_line(block, "redrive_policy")
            if comp is not None and target:
                kind, _, label = target.group(1).partition(".")
                dlq = components.get((kind, label))
                if dlq is not None:
                    name = dlq.name("queue")
                    if name:
                        part.name(comp, "dlq", name, block.src, at)
                    dlq.purpose = dlq.purpose or f"dead-letter queue of {comp.name('queue') or comp.id}"
                    part.relate(comp.id, dlq.id, "depends_on", block.src, at, "redrive to the DLQ")
            if comp is not None and count:
                part.setting(comp, "max_receive_count", count.group(1), block.src, at)
        elif block.kind == "aws_lambda_event_source_mapping":
            function = ctx.ref(body.get("function_name"))
            source = ctx.ref(body.get("event_source_arn"))
            fn = components.get(function) if function else None
            if fn is None and isinstance(body.get("function_name"), str) and not ctx.ref(body["function_name"]):
                fn = next((c for c in components.values() if c.name("function") == ctx.text(body["function_name"])),
                          None)
            origin = components.get(source) if source else None
            if fn is None:
                continue
            at = block.line
            if origin is not None:
                part.relate(fn.id, origin.id, "triggered_by", block.src, at, "event source mapping")
                part.relate(fn.id, origin.id, "consumes_from", block.src, at, "event source mapping")
            for attr, key in (("batch_size", "batch_size"), ("maximum_batching_window_in_seconds", "batch_window_s"),
                              ("function_response_types", "response_types")):
                if attr in body:
                    part.setting(fn, key, ctx.text(body[attr]), block.src, _attr_line(block, attr))
            scaling = body.get("scaling_config")
            if isinstance(scaling, list) and scaling and isinstance(scaling[0], dict) and \
                    "maximum_concurrency" in scaling[0]:
                part.setting(fn, "event_source_max_concurrency", ctx.text(scaling[0]["maximum_concurrency"]),
                             block.src, _attr_line(block, "maximum_concurrency"))
        elif block.kind == "aws_appautoscaling_target":
            resource = ctx.text(body.get("resource_id"))
            ecs = re.match(r"service/([^/]+)/(.+)$", resource)
            scaled = next((c for c in components.values() if ecs and c.name("ecs_service") == ecs.group(2)), None)
            if scaled is not None:
                part.controller(scaled, "replicas", "application-autoscaling", block.src, block.line)
                for attr, key in (("min_capacity", "replicas_min"), ("max_capacity", "replicas_max")):
                    if attr in body:
                        part.setting(scaled, key, ctx.text(body[attr]), block.src, _attr_line(block, attr))
        elif block.kind == "aws_cloudwatch_metric_alarm":
            _alarm(part, ctx, block)
        elif block.kind == "datadog_monitor":
            _datadog_monitor(part, ctx, block)
        elif block.kind == "aws_lambda_function":
            comp = components.get((block.kind, block.label))
            if comp is not None and comp.setting("concurrency") is not None:
                part.controller(comp, "replicas", "lambda", block.src,
                                _attr_line(block, "reserved_concurrent_executions"))


_COMPARISON = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<",
               "LessThanOrEqualToThreshold": "<=", "LessThanLowerOrGreaterThanUpperThreshold": "outside band",
               "LessThanLowerThreshold": "< lower band", "GreaterThanUpperThreshold": "> upper band"}


def _alarm(part: Partial, ctx: _Ctx, block: _Block) -> None:
    body = block.body
    name = ctx.text(body.get("alarm_name"))
    if not name or unresolved(name):
        return
    metric = ctx.text(body.get("metric_name"))
    namespace = ctx.text(body.get("namespace"))
    statistic = ctx.text(body.get("statistic") or body.get("extended_statistic"))
    comparison = _COMPARISON.get(ctx.text(body.get("comparison_operator")), ctx.text(body.get("comparison_operator")))
    threshold = ctx.text(body.get("threshold"))
    dims = mapping(body.get("dimensions"))
    labels = {str(k): ctx.text(v) for k, v in dims.items() if not unresolved(ctx.text(v))}
    dim_text = ",".join(f"{k}={v}" for k, v in labels.items())
    expr = f"{namespace} {metric} {statistic}".strip() + (f" {{{dim_text}}}" if dim_text else "") + \
        f" {comparison} {threshold}".rstrip()
    periods, period = ctx.text(body.get("evaluation_periods")), ctx.text(body.get("period"))
    duration = f"{int(periods) * int(period)}s" if periods.isdigit() and period.isdigit() else ""
    part.alert(block.src, block.line, name=name, expr=expr if metric else "", duration=duration, severity="",
               labels=labels, summary=ctx.text(body.get("alarm_description")), runbook_url="",
               source_format="cloudwatch")


def _datadog_monitor(part: Partial, ctx: _Ctx, block: _Block) -> None:
    from agent.service.discover.datadog import people_in, severity_of

    body = block.body
    name = ctx.text(body.get("name"))
    query = ctx.text(body.get("query"))
    if not name or unresolved(name):
        return
    message = ctx.text(body.get("message"))
    part.alert(block.src, block.line, name=name, expr=query if not unresolved(query) else "", duration="",
               severity=severity_of(body.get("priority"), body.get("tags")), labels={},
               summary=message.strip().splitlines()[0][:200] if message.strip() else "",
               runbook_url=_runbook(message), source_format="datadog")
    people_in(part, message, block.src, _attr_line(block, "message"))


def _runbook(message: str) -> str:
    found = re.search(r"https?://\S*runbook\S*", message, re.I)
    return found.group(0).rstrip(").,") if found else ""
