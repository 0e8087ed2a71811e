"""systemd units and timers: the unit, what it runs and as whom, its dependencies on other units,
its restart policy, and for a timer its schedule and the service it starts.

A dependency on a well-known unit (`postgresql.service`, `redis-server.service`, `docker.service` …)
becomes a relationship to that technology on the host; `Restart=` means systemd owns restarts.
"""

from __future__ import annotations

import re

from agent.service.discover.partial import Partial, Source
from agent.service.discover.vocabulary import is_secret

# Units of technologies a service may depend on, by unit name (without .service).
_KNOWN_UNITS = {
    "postgresql": ("postgresql", "database"), "mysql": ("mysql", "database"), "mysqld": ("mysql", "database"),
    "mariadb": ("mysql", "database"), "redis": ("redis", "cache"), "redis-server": ("redis", "cache"),
    "mongod": ("mongodb", "database"), "rabbitmq-server": ("rabbitmq", "broker"), "kafka": ("kafka", "broker"),
    "nginx": ("nginx", "proxy"), "haproxy": ("haproxy", "proxy"), "memcached": ("memcached", "cache"),
    "pgbouncer": ("pgbouncer", "pooler"), "elasticsearch": ("elasticsearch", "search"),
    "patroni": ("patroni", "ha-manager"), "etcd": ("etcd", "other"), "consul": ("consul", "other"),
}
_IGNORED_UNITS = re.compile(r"^(network|network-online|multi-user|default|local-fs|remote-fs|time-sync|nss-lookup|"
                            r"sysinit|basic|syslog|systemd-.*|graphical|timers|sockets|paths)\.(target|service)$")
_RUNTIME_BINARIES = (
    (r"(^|/)python3?(\.\d+)?$|gunicorn|uvicorn|celery", "python"), (r"(^|/)node$|npm|pm2", "nodejs"),
    (r"(^|/)java$", "java"), (r"(^|/)ruby$|puma|sidekiq|bundle", "ruby"), (r"(^|/)php(-fpm)?", "php"),
    (r"(^|/)dotnet$", "dotnet"),
)


def parse(text: str) -> dict[str, list[tuple[str, str, int]]]:
    """{section: [(key, value, line)]}: repeated keys kept in order; continuations joined."""
    sections: dict[str, list[tuple[str, str, int]]] = {}
    current = ""
    pending: tuple[str, str, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        row = raw.strip()
        if pending is not None:
            key, value, start = pending
            value += " " + row.rstrip("\\").strip()
            pending = (key, value, start) if row.endswith("\\") else None
            if pending is None:
                sections.setdefault(current, []).append((key, value.strip(), start))
            continue
        if not row or row.startswith(("#", ";")):
            continue
        m = re.match(r"^\[([^\]]+)\]$", row)
        if m:
            current = m.group(1)
            continue
        key, sep, value = row.partition("=")
        if not sep:
            continue
        if value.endswith("\\"):
            pending = (key.strip(), value[:-1].strip(), number)
            continue
        sections.setdefault(current, []).append((key.strip(), value.strip(), number))
    return sections


def _values(section: list[tuple[str, str, int]], key: str) -> list[tuple[str, int]]:
    return [(v, n) for k, v, n in section if k == key]


def read(rel: str, text: str) -> Partial:
    part = Partial()
    src = Source.of(rel, text)
    unit = rel.rsplit("/", 1)[-1]
    sections = parse(text)
    stem, _, suffix = unit.rpartition(".")
    first = min((n for entries in sections.values() for _, _, n in entries), default=1)
    part.runs_on("vm", src, first)
    if suffix == "timer":
        timer = sections.get("Timer", [])
        target = (_values(timer, "Unit") or [(f"{stem}.service", first)])[0]
        comp = part.component(target[0].removesuffix(".service"), src, target[1], kind="service", form="host")
        part.name(comp, "timer", unit, src, first)
        part.name(comp, "unit", target[0], src, target[1])
        for key in ("OnCalendar", "OnUnitActiveSec", "OnBootSec", "OnActiveSec"):
            for value, number in _values(timer, key):
                part.name(comp, "schedule", f"{key}={value}", src, number)
                part.setting(comp, "schedule", f"{key}={value}", src, number)
        part.controller(comp, "schedule", "systemd-timer", src, first)
        for value, number in _values(timer, "Persistent"):
            part.setting(comp, "timer_persistent", value, src, number)
        return part
    service = sections.get("Service", [])
    comp = part.component(stem, src, first, kind="service", form="host")
    part.name(comp, "unit", unit if suffix else f"{unit}.service", src, first)
    for value, number in _values(sections.get("Unit", []), "Description"):
        comp.purpose = value
        del number
    for value, number in _values(service, "ExecStart"):
        binary = value.lstrip("-@:+!").split()[0] if value.strip() else ""
        for pattern, technology in _RUNTIME_BINARIES:
            if re.search(pattern, binary):
                comp.technology = comp.technology or technology
        part.setting(comp, "exec_start", value, src, number)
    for key, setting in (("User", "user"), ("Type", "type"), ("WorkingDirectory", "working_directory"),
                         ("TimeoutStopSec", "timeout_stop"), ("LimitNOFILE", "limit_nofile"),
                         ("MemoryMax", "memory_max"), ("RestartSec", "restart_sec")):
        for value, number in _values(service, key):
            part.setting(comp, setting, value, src, number)
    for value, number in _values(service, "WorkingDirectory"):
        part.name(comp, "data_dir", value, src, number)
    for value, number in _values(service, "EnvironmentFile"):
        part.name(comp, "config_file", value.lstrip("-"), src, number)
    for value, number in _values(service, "Environment"):
        for pair in re.findall(r'"([^"]*)"|(\S+)', value):
            key, _, val = (pair[0] or pair[1]).partition("=")
            if key and not is_secret(key):
                part.setting(comp, f"env.{key}", val, src, number)
    for value, number in _values(service, "Restart"):
        part.setting(comp, "restart", value, src, number)
        if value != "no":
            part.controller(comp, "restart", "systemd", src, number)
    for key in ("Requires", "Wants", "After", "BindsTo", "PartOf"):
        for value, number in _values(sections.get("Unit", []), key):
            for dep in value.split():
                if _IGNORED_UNITS.match(dep):
                    continue
                base = dep.rsplit(".", 1)[0].removesuffix("@")
                known = _KNOWN_UNITS.get(re.sub(r"[@-]?\d+(\.\d+)?$", "", base)) or _KNOWN_UNITS.get(base)
                if known is None:
                    continue
                technology, kind = known
                other = part.component(technology, src, number, kind=kind, technology=technology,  # type: ignore[arg-type]
                                       form="host")
                part.name(other, "unit", dep, src, number)
                relation = "health_depends_on" if key in ("Requires", "BindsTo") else "depends_on"
                part.relate(comp.id, other.id, relation, src, number, f"{key}={dep}")  # type: ignore[arg-type]
    return part
