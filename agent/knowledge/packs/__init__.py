"""Technology knowledge packs: what an experienced operator knows about one technology.

A pack is any object satisfying `agent.knowledge.base.Pack` (`name`, `summary`,
`detect(ctx) -> reason | None`, `contribute(ctx) -> Contribution`). Packs are found by

* scanning this package: every module not starting with "_" that defines `PACK` (one pack) or
  `PACKS` (several) is loaded, so adding a pack is adding one file (see docs/packs.md);
* the entry-point group `runbook_agent.packs`: a third-party distribution registers an object,
  a class or a zero-argument factory returning a pack.

`detect_packs(ctx)` returns the packs that apply, with the reason, in a stable order: by the
pack's optional `order` attribute (data stores 10-29, messaging 30-49, platforms 50+), then name.

Facts keys read by the built-in packs (`ctx.facts.name(key, default)`; the default derives from
`facts.service`, so every command is scoped even when the description names nothing). Keys the
facts extractor (`agent/knowledge/facts.py`) fills are read first; the rest a user or a future
extractor may add:

    postgres.host postgres.database postgres.user postgres.port postgres.instance rds.instance
    pgbouncer.host patroni.cluster pgbackrest.stanza
    mysql.host mysql.database mysql.user mysql.instance mysql.replica compose.services
    mongodb.host mongodb.database
    redis.host redis.port redis.instance elasticache.cluster redis.master redis.sentinel memcached.host
    kafka.bootstrap kafka.brokers kafka.topic kafka.group kafka.cluster kafka.connect_url kafka.connector
    kafka.connect_cluster
    rabbitmq.queue rabbitmq.vhost rabbitmq.host
    sqs.queue sqs.dlq s3.bucket dynamodb.table gcp.project pubsub.topic pubsub.subscription
    es.url es.index es.repository nginx.site upstream.port django.dir django.app
    celery.app celery.worker celery.queue dag airflow.scheduler
    argocd.app helm.release helm.chart
    compose.project compose.service compose.file compose.volume k8s.deployment k8s.statefulset systemd.unit
    hosts gcp.zone gcp.project apigateway.api apigateway.stage alb.name alb.target_group
    ecs.cluster ecs.service lambda.function lambda.alias
    clickhouse.host cassandra.host temporal.host (<technology>.host for any technology no pack covers: packs/profiled.py
    where a technology profile does, packs/unpacked.py otherwise)

Besides `names`, packs read `facts.service`, `facts.namespace`, `facts.region`, `facts.cluster`,
`facts.replicas`, `facts.port`, `facts.health_path` and the answers (environment, monitoring).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from agent.errors import UsageError
from agent.knowledge.base import Context, Pack

ENTRY_POINT_GROUP = "runbook_agent.packs"


class PackLoadError(UsageError):
    """A pack module or entry point that cannot be loaded or does not look like a pack."""


def _is_pack(obj: Any) -> bool:
    return all(hasattr(obj, attr) for attr in ("name", "summary", "detect", "contribute")) and isinstance(
        getattr(obj, "name", None), str
    )


def _from_module(module: Any) -> list[Pack]:
    found: list[Any] = []
    if hasattr(module, "PACK"):
        found.append(module.PACK)
    found.extend(getattr(module, "PACKS", ()))
    for obj in found:
        if not _is_pack(obj):
            raise PackLoadError(f"{module.__name__}: {obj!r} is not a pack",
                                hint="a pack needs name, summary, detect(ctx) and contribute(ctx)")
    return found


def _from_entry_point(name: str, loaded: Any) -> Pack:
    obj = loaded() if isinstance(loaded, type) or (callable(loaded) and not _is_pack(loaded)) else loaded
    if not _is_pack(obj):
        raise PackLoadError(f"entry point {name!r} in {ENTRY_POINT_GROUP} is not a pack",
                            hint="point it at a pack object, class or factory")
    return obj  # type: ignore[no-any-return]


def _sort_key(pack: Pack) -> tuple[int, str]:
    return int(getattr(pack, "order", 50)), pack.name


@cache
def all_packs() -> tuple[Pack, ...]:
    """Every pack, built-in and third-party, in stable order; names are unique."""
    packs: list[Pack] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        packs.extend(_from_module(importlib.import_module(f"{__name__}.{info.name}")))
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
        except Exception as exc:  # a broken third-party package must not hide the built-ins' error
            raise PackLoadError(f"cannot load pack entry point {point.name!r}: {exc}") from None
        packs.append(_from_entry_point(point.name, loaded))
    seen: dict[str, Pack] = {}
    for pack in packs:
        if pack.name in seen:
            raise PackLoadError(f"two packs are named {pack.name!r}", hint="pack names must be unique")
        seen[pack.name] = pack
    return tuple(sorted(packs, key=_sort_key))


def get_pack(name: str) -> Pack:
    for pack in all_packs():
        if pack.name == name:
            return pack
    known = ", ".join(p.name for p in all_packs())
    raise UsageError(f"no knowledge pack named {name!r}", hint=f"known packs: {known}")


def detect_packs(ctx: Context) -> list[tuple[Pack, str]]:
    """The packs that apply to this service, each with why, in stable order."""
    found: list[tuple[Pack, str]] = []
    for pack in all_packs():
        reason = pack.detect(ctx)
        if reason:
            found.append((pack, reason))
    return found


__all__ = ["ENTRY_POINT_GROUP", "PackLoadError", "all_packs", "detect_packs", "get_pack"]
