"""Docker Compose files: services, images, ports, health checks, dependencies, volumes, with the
folder's `.env` interpolated, `extends` followed, `profiles` noted and `compose.override.yaml` merged.

The project name is the file's `name:` or, as Compose does, its folder's name. A value the files
leave to the environment (`${TAG}` with no default and no `.env` entry) is not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from agent.service.discover.partial import UNRESOLVED_CLOSE, UNRESOLVED_OPEN, Partial, Source, unresolved
from agent.service.discover.vocabulary import (
    PATH_ROLE,
    endpoint,
    env_target,
    image_tech,
    image_version,
    is_secret,
    runtime_of,
    scheme_tech,
    self_env_role,
)
from agent.service.discover.walk import Scan, Skipped, SourceFile
from agent.service.discover.yamlfile import Map, Seq, YamlRefused, copy, get

BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDES = ("compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml",
             "docker-compose.override.yml")
_LIST_KEYS = ("ports", "expose", "volumes", "dns", "env_file", "extra_hosts", "secrets", "configs", "profiles")


@dataclass
class Build:
    """A service built from source: which Dockerfile (and stage) makes it."""

    component: str
    dockerfile: str  # relative to the root
    target: str
    context: str


@dataclass
class Result:
    part: Partial = field(default_factory=Partial)
    builds: list[Build] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)
    skipped: list[Skipped] = field(default_factory=list)


def project_name(directory: str, doc: Map) -> str:
    if isinstance(doc.get("name"), str) and doc["name"] and not unresolved(doc["name"]):
        return str(doc["name"])
    base = PurePosixPath(directory).name if directory else ""
    return re.sub(r"[^a-z0-9_-]", "", base.lower()) or ""


def read(scan: Scan, files: list[SourceFile], root_name: str) -> Result:
    result = Result()
    for f in files:
        if f.name in OVERRIDES:
            continue
        result.consumed.add(f.rel)
        docs = f.docs
        if isinstance(docs, YamlRefused) or not docs or not isinstance(docs[0], Map):
            result.skipped.append(Skipped(f.rel, f"compose file not read: {docs}"))
            continue
        env = _dotenv(scan, f.directory)
        doc = _interpolate(copy(docs[0]), env)
        override = next((scan.file(_in(f.directory, name)) for name in OVERRIDES
                         if f.name in BASE_NAMES and scan.file(_in(f.directory, name)) is not None), None)
        if override is not None and not isinstance(override.docs, YamlRefused) and override.docs and \
                isinstance(override.docs[0], Map):
            result.consumed.add(override.rel)
            _merge_services(doc, _interpolate(copy(override.docs[0]), env))
        _read_file(scan, f, doc, env, result, root_name)
    return result


def _in(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


# --- .env and interpolation --------------------------------------------------------------------------

def _dotenv(scan: Scan, directory: str) -> dict[str, str]:
    f = scan.file(_in(directory, ".env"))
    out: dict[str, str] = {}
    if f is None:
        return out
    for row in f.text.splitlines():
        m = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", row)
        if m:
            value = m.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            else:
                value = re.sub(r"\s+#.*$", "", value)
            out[m.group(1)] = value
    return out


_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR:-default}` forms; a variable with no value and no default stays unresolved."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2) or "", m.group(3) or ""
        value = env.get(name)
        empty = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if empty else str(value)
        if op.endswith("+"):
            return "" if empty else arg
        if value is None:
            return f"{UNRESOLVED_OPEN}${name}{UNRESOLVED_CLOSE}"
        return value

    return _VAR.sub(sub, text)


def _interpolate(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, Map):
        for key in list(node):
            node[key] = _interpolate(node[key], env)
        return node
    if isinstance(node, Seq):
        for index, value in enumerate(node):
            node[index] = _interpolate(value, env)
        return node
    if isinstance(node, str) and "$" in node:
        return interpolate(node, env)
    return node


# --- merging (override files, extends) -----------------------------------------------------------------

def _merge_service(base: Map, over: Map) -> Map:
    out: Map = copy(base)
    for key, value in over.items():
        if key in _LIST_KEYS and isinstance(out.get(key), list) and isinstance(value, list):
            out[key] = Seq(out[key].line)
            out[key].extend([*base[key], *(v for v in value if v not in base[key])])
            out[key].lines = [*base[key].lines, *[ln for v, ln in zip(value, getattr(value, "lines", []),
                                                                       strict=False) if v not in base[key]]]
        elif key == "environment" and isinstance(out.get(key), (dict, list)) and isinstance(value, (dict, list)):
            merged = _env_map(out[key])
            extra = _env_map(value)
            merged.update(extra)
            merged.lines.update(extra.lines)
            out[key] = merged
        else:
            out[key] = value
        out.lines[key] = over.line_of(key)
    return out


def _merge_services(doc: Map, override: Map) -> None:
    services = doc.get("services")
    extra = override.get("services")
    if not isinstance(services, Map) or not isinstance(extra, Map):
        return
    for name, svc in extra.items():
        if isinstance(svc, Map) and isinstance(services.get(name), Map):
            services[name] = _merge_service(services[name], svc)
        elif isinstance(svc, Map):
            services[name] = svc


def _extends(scan: Scan, f: SourceFile, services: Map, name: str, svc: Map, env: dict[str, str],
             depth: int = 0) -> Map:
    ext = svc.get("extends")
    if depth > 8 or ext is None:
        return svc
    if isinstance(ext, str):
        ext = {"service": ext}
    if not isinstance(ext, dict) or not ext.get("service"):
        return svc
    base: Any = None
    if ext.get("file"):
        other = scan.file(str(PurePosixPath(f.directory or ".") / str(ext["file"])).removeprefix("./"))
        if other is not None and not isinstance(other.docs, YamlRefused) and other.docs:
            other_doc = _interpolate(copy(other.docs[0]), env)
            base = get(other_doc, "services", str(ext["service"]))
            if isinstance(base, Map):
                base = _extends(scan, other, other_doc.get("services"), str(ext["service"]), base, env, depth + 1)
    else:
        base = services.get(str(ext["service"]))
        if isinstance(base, Map):
            base = _extends(scan, f, services, str(ext["service"]), base, env, depth + 1)
    if not isinstance(base, Map):
        return svc
    own = copy(svc)
    del own["extends"]
    return _merge_service(base, own)


# --- services ------------------------------------------------------------------------------------

def _env_map(value: Any) -> Map:
    out = Map(getattr(value, "line", 0))
    if isinstance(value, dict):
        for key, val in value.items():
            out[str(key)] = "" if val is None else str(val)
            out.lines[str(key)] = value.line_of(key) if isinstance(value, Map) else 0
    elif isinstance(value, list):
        for index, item in enumerate(value):
            key, _, val = str(item).partition("=")
            out[key.strip()] = val
            out.lines[key.strip()] = value.line_of(index) if isinstance(value, Seq) else 0
    return out


def _container_port(spec: Any) -> str:
    """'8080:80/tcp' -> '80'; {'target': 80} -> '80'; '127.0.0.1:5432:5432' -> '5432'."""
    if isinstance(spec, dict):
        return str(spec.get("target") or "")
    text = str(spec).split("/", 1)[0]
    return text.rsplit(":", 1)[-1]


def _read_file(scan: Scan, f: SourceFile, doc: Map, env: dict[str, str], result: Result, root_name: str) -> None:
    part, src = result.part, f.source
    services = doc.get("services")
    if not isinstance(services, Map):
        return
    project = project_name(f.directory or root_name, doc)
    top = doc.line_of("services")
    part.runs_on("docker", src, top)
    hosts: dict[str, str] = {}
    for name, svc in services.items():
        if isinstance(svc, Map):
            hosts[str(name)] = str(name)
            for alias in (svc.get("hostname"), svc.get("container_name")):
                if isinstance(alias, str) and alias and not unresolved(alias):
                    hosts[alias] = str(name)
    pending: list[tuple[str, str, str, int]] = []
    named_later: list[tuple[str, str, str, int]] = []  # (component, technology, path of its URL, line)
    for name, raw in services.items():
        if not isinstance(raw, Map):
            continue
        svc = _extends(scan, f, services, str(name), raw, env)
        at = services.line_of(name)
        image = str(svc.get("image") or "")
        image_ok = bool(image) and not unresolved(image)
        tech = image_tech(image) if image_ok else None
        built = svc.get("build") is not None
        if built:
            tech = None  # built from source: the service's own code, whatever its image is called
        comp = part.component(str(name), src, at, kind=tech.kind if tech else "service",  # type: ignore[arg-type]
                              technology=tech.technology if tech else "", form="container",
                              variant=tech.variant if tech else "", version=image_version(image) if tech else "")
        if not tech and image_ok:
            runtime = runtime_of(image)
            if runtime:
                comp.technology = runtime.technology
        part.name(comp, "compose_service", name, src, at)
        part.name(comp, "compose_file", f.rel, src, top)
        if project:
            part.name(comp, "compose_project", project, src, doc.line_of("name") if "name" in doc else top)
        if image_ok:
            part.name(comp, "image", image, src, svc.line_of("image"))
        if isinstance(svc.get("container_name"), str):
            part.name(comp, "container", svc["container_name"], src, svc.line_of("container_name"))
        for key in ("ports", "expose"):
            items = svc.get(key)
            if isinstance(items, list):
                for index, spec in enumerate(items):
                    port = _container_port(spec)
                    if port.isdigit():
                        line = items.line_of(index) if isinstance(items, Seq) else svc.line_of(key)
                        part.name(comp, "port", port, src, line)
                        if key == "ports":
                            part.setting(comp, f"published.{port}", str(spec) if not isinstance(spec, dict) else
                                         f"{spec.get('published', '')}:{port}", src, line)
        health = get(svc, "healthcheck", "test")
        if health is not None:
            test = " ".join(str(x) for x in health) if isinstance(health, list) else str(health)
            part.setting(comp, "healthcheck", test, src, svc.line_of("healthcheck"))
            probe = re.search(r"https?://[^/\s]+(/[\w/.-]*)", test)
            if probe and probe.group(1) not in ("", "/"):
                part.name(comp, "health_path", probe.group(1), src, svc.line_of("healthcheck"))
        restart = svc.get("restart")
        if isinstance(restart, str) and restart in ("always", "unless-stopped", "on-failure") or \
                get(svc, "deploy", "restart_policy"):
            part.controller(comp, "restart", "docker", src, svc.line_of("restart" if "restart" in svc else "deploy"))
            part.setting(comp, "restart", restart or "deploy.restart_policy", src, svc.line_of("restart"))
        replicas = get(svc, "deploy", "replicas")
        if isinstance(replicas, int):
            part.setting(comp, "replicas", replicas, src, svc.line_of("deploy"))
        profiles = svc.get("profiles")
        if isinstance(profiles, list) and profiles:
            part.setting(comp, "profiles", ",".join(str(p) for p in profiles), src, svc.line_of("profiles"))
        for index, volume in enumerate(svc.get("volumes") or []):
            source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":", 1)[0]
            kind = volume.get("type") if isinstance(volume, dict) else ""
            if source and re.fullmatch(r"[A-Za-z0-9][\w.-]*", str(source)) and kind in ("", "volume", None) and \
                    ":" in (str(volume) if not isinstance(volume, dict) else ":"):
                line = svc["volumes"].line_of(index) if isinstance(svc["volumes"], Seq) else svc.line_of("volumes")
                part.name(comp, "volume", f"{project}_{source}" if project else str(source), src, line)
        depends = svc.get("depends_on")
        if isinstance(depends, list):
            for index, target in enumerate(depends):
                pending.append((str(name), str(target), "", depends.line_of(index) if isinstance(depends, Seq)
                                else svc.line_of("depends_on")))
        elif isinstance(depends, Map):
            for target, cond in depends.items():
                condition = str(get(cond, "condition") or "")
                pending.append((str(name), str(target), condition, depends.line_of(target)))
        environment = _env_map(svc.get("environment"))
        for env_file in _as_list(svc.get("env_file")):
            path = env_file.get("path") if isinstance(env_file, dict) else env_file
            other = scan.file(str(PurePosixPath(f.directory or ".") / str(path)).removeprefix("./"))
            if other is not None:
                for row in other.text.splitlines():
                    m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", row)
                    if m and m.group(1) not in environment:
                        environment[m.group(1)] = m.group(2).strip().strip("\"'")
                        environment.lines[m.group(1)] = 0
        for key, value in environment.items():
            role = self_env_role(key) if tech is not None else None
            if role and value and not unresolved(value) and not value.startswith("/"):
                part.name(comp, role, value, src, environment.line_of(key) or svc.line_of("environment"))  # type: ignore[arg-type]
                continue
            _env_link(part, comp.id, key, value, hosts, src, environment.line_of(key) or svc.line_of("environment"),
                      named_later)
        build = svc.get("build")
        if build is not None:
            context = build if isinstance(build, str) else str(build.get("context") or ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else str(build.get("dockerfile") or "Dockerfile")
            stage = "" if isinstance(build, str) else str(build.get("target") or "")
            ctx = str(PurePosixPath(f.directory or ".") / context)
            ctx = str(PurePosixPath(re.sub(r"(^|/)\./", r"\1", ctx))).removeprefix("./")
            ctx = "" if ctx == "." else ctx
            result.builds.append(Build(comp.id, _norm(f"{ctx}/{dockerfile}" if ctx else dockerfile), stage, ctx))
    for ident, technology, url_path, line in named_later:
        peer = next((c for c in part.components if c.id == ident), None)
        role = PATH_ROLE.get(peer.technology or technology, "database") if peer is not None else ""
        if peer is not None and role:
            part.name(peer, role, url_path, src, line)  # type: ignore[arg-type]
    for source, target, condition, line in pending:
        if target in hosts and hosts[target] != source:
            detail = "starts after it is healthy" if condition == "service_healthy" else "starts after it"
            part.relate(source, hosts[target], "depends_on", src, line, detail)


def _norm(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece in ("", "."):
            continue
        if piece == ".." and parts:
            parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _env_link(part: Partial, source: str, key: str, value: str, hosts: dict[str, str], src: Source, line: int,
              later: list[tuple[str, str, str, int]]) -> None:
    if is_secret(key) or unresolved(value):
        return
    point = endpoint(value)
    target = env_target(key)
    if point is None:
        return
    if point.scheme:
        target = scheme_tech(point.scheme) or target
    elif not point.port and target is None:
        return  # a bare word (a user name, a database name) in a variable not named for an address
    host = point.host
    if host in hosts:
        if hosts[host] != source:
            part.relate(source, hosts[host], "depends_on", src, line, f"env {key}")
            if point.database:
                later.append((hosts[host], target.technology if target else "", point.database, line))
        return
    if target is None or not target.technology or "." not in host and not point.scheme:
        return  # a name this file does not define: not ours to give a role
    comp = part.component(host.split(".", 1)[0], src, line, kind=target.kind,  # type: ignore[arg-type]
                          technology=target.technology)
    part.name(comp, "host", host, src, line)
    if point.port:
        part.name(comp, "port", point.port, src, line)
    role = PATH_ROLE.get(target.technology, "database")
    if point.database and role:
        part.name(comp, role, point.database, src, line)  # type: ignore[arg-type]
    part.relate(source, comp.id, "depends_on", src, line, f"env {key}")
