"""What a data store is for in this service, and which stock recipes fit it: rules as data.

A pack's generic recipes fit one use of a store and are wrong, often destructive, for another: S3
undelete / `sync --delete` / `rm --recursive` on a bucket that holds only backups, SCAN + UNLINK and
"read through to the database" on a Redis that is a Celery / Sidekiq broker (it holds the queued work),
`celery purge` of the work queue, a `pg_restore` from a dump on the host for a database a provider runs.
`role()` reads what the store is for from the model (holds, relationships, backup tools) and the
description's sentences that name the store; `offers()` says whether a pack may offer a recipe for it.
"""

from __future__ import annotations

import re

from agent.knowledge.environments import cmd
from agent.runbook import Command
from agent.service.model import Component, ServiceModel

# role -> words in a sentence naming the store that say it has that role
ROLE_WORDS: dict[str, str] = {
    "backups": r"\bbackups?\b|\bsnapshots?\b|pgbackrest|wal-g|\bbarman\b|\bvelero\b|clickhouse-backup|"
               r"\barchiv\w*|\bwal\b|\bdumps?\b|\bbackup repo",
    "broker": r"\bbroker\b|\bcelery\b|\bsidekiq\b|\brq\b|\bbullmq\b|\bbull\b|\bresque\b|\bdramatiq\b|\bhuey\b|"
              r"\barq\b|task queues?|job queues?|queued (?:jobs|tasks|work)|\bbackend for (?:jobs|tasks)",
}
# words that say a bucket also holds the service's own files: then it is not a backup-only store
_OWN_FILES = re.compile(r"\b(?:uploads?|user files|assets|static|images|pdfs?|invoices|attachments|exports?|"
                        r"media|documents|serves?|downloads?)\b", re.I)
# components whose presence makes the object store they write to a backup repository
BACKUP_TOOLS = frozenset({"pgbackrest", "wal-g", "barman", "velero", "clickhouse-backup", "restic", "borg"})
OBJECT_STORES = frozenset({"s3", "gcs", "minio", "azure-blob", "r2"})
_RESULT_BACKEND = re.compile(r"(?i)\bresults?[ _-]?(?:backend|store)\b")
BROKER_CLIENTS = frozenset({"celery", "sidekiq", "rq", "bullmq", "resque", "dramatiq"})

# Providers that run a database for the team (a host-level recipe never applies to them), by the words
# a description uses. RDS / Aurora / Cloud SQL / Azure have their own class in platforms/managed.py.
PROVIDERS: dict[str, str] = {
    "Aiven": r"\baiven\b", "Crunchy Bridge": r"\bcrunchy bridge\b", "Neon": r"\bneon\b(?= |\.|,)",
    "Supabase": r"\bsupabase\b", "PlanetScale": r"\bplanetscale\b", "DigitalOcean": r"\bdigitalocean\b",
    "Heroku": r"\bheroku postgres\b", "ScaleGrid": r"\bscalegrid\b", "MongoDB Atlas": r"\batlas\b",
    "Amazon RDS": r"\brds\b|\baurora\b", "Cloud SQL": r"\bcloud sql\b", "AlloyDB": r"\balloydb\b",
    "Azure": r"\bazure database\b|\bflexible server\b", "a vendor": r"\bvendor[- ](?:managed|hosted|run)\b|"
    r"\bmanaged by (?:the )?vendor\b|\b(?:their|the vendor's) (?:database|db)\b",
}
_SELF_RUN = re.compile(r"\bself[- ](?:managed|hosted|run)\b|\bon[- ]prem\w*|\bbare[- ]metal\b|\bour own\b", re.I)
# "managed by Ansible" is the team's own box; "a managed database", "managed by the vendor" are not
_MANAGED_WORDS = re.compile(r"\b(?:fully[- ])?managed (?:service|database|db|instance|offering|postgres\w*|mysql|"
                            r"mongodb|redis|cluster)\b|\bmanaged by (?:the )?(?:vendor|provider|aws|amazon|google|"
                            r"gcp|azure|microsoft)\b|\bhosted by\b|\bnot (?:in|on) (?:compose|our hosts|the host)\b|"
                            r"\bsaas\b", re.I)

# (store family, role) -> the recipes a pack may offer. A recipe a pack has that is not listed for the
# role is left out. Families: object-store, redis, celery, database.
RECIPES: dict[tuple[str, str], frozenset[str]] = {
    ("object-store", "data"): frozenset({"access", "slowdown", "undelete", "copy-version", "sync-delete",
                                         "rm-prefix", "upload-fallback", "replication"}),
    # backups: read, verify, restore a copy elsewhere; nothing that deletes or overwrites objects
    ("object-store", "backups"): frozenset({"access", "slowdown", "backup-verify", "replication"}),
    ("redis", "data"): frozenset({"pattern-unlink", "read-through-fallback", "eviction-advice", "failover",
                                  "grow"}),
    # a broker holds the queued work: no key deletion, no "cache is optional" fallback, noeviction
    ("redis", "broker"): frozenset({"broker-depth", "failover", "grow"}),
    ("celery", "broker"): frozenset({"inspect", "revoke-one"}),  # never purge the work queue
    ("database", "local"): frozenset({"local-dump-restore", "promote-by-hand", "host-logs"}),
    ("database", "provider"): frozenset({"provider-restore", "provider-support"}),
}


def _family(component: Component) -> str:
    if component.technology in OBJECT_STORES or component.kind == "object-store":
        return "object-store"
    if component.technology in ("redis", "valkey"):
        return "redis"
    if component.technology == "celery":
        return "celery"
    return "database" if component.kind == "database" else component.technology


def _sentences(text: str) -> list[str]:
    text = re.sub(r"[ \t]*\n(?!\s*\n|\s*[-*] )[ \t]*", " ", text or "")
    return [s for s in re.split(r"(?<=[.;!?])\s+|\n+", text) if s.strip()]


_ALIASES: dict[str, list[str]] = {
    "redis": ["elasticache", "memorystore", "valkey", "redis"], "postgresql": ["postgres", "pg", "psql"],
    "mysql": ["mariadb", "mysql"], "mongodb": ["mongo", "atlas"], "s3": ["bucket"], "gcs": ["bucket"],
    "minio": ["bucket"],
}


def _names(component: Component) -> list[str]:
    words = [n.value for n in component.names if len(n.value) > 2]
    words.append({"s3": "s3", "gcs": "gcs", "minio": "minio"}.get(component.technology, component.technology))
    words += _ALIASES.get(component.technology, [])
    return [w for w in words if w]


def mentions(component: Component, description: str) -> list[str]:
    """The description's sentences that name the store (by a name of it or its product)."""
    words = _names(component)
    out = []
    for sentence in _sentences(description):
        # "backup Rafael Quintana" is a person's role, not a store
        if any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", sentence, re.I) for w in words):
            out.append(sentence)
    return out


def role(component: Component, model: ServiceModel | None, description: str = "") -> str:
    """"backups", "broker" or "data" (what a pack assumes by default)."""
    family = _family(component)
    said = mentions(component, description)
    if family == "object-store":
        if model is not None and any(r.kind == "backs_up_to" and r.target == component.id
                                     for r in model.relationships):
            return "backups"
        if said and all(re.search(ROLE_WORDS["backups"], s, re.I) for s in said) and \
                not any(_OWN_FILES.search(s) for s in said) and "files" not in component.holds:
            return "backups"
        return "data"
    if family in ("redis", "celery"):
        if "jobs" in component.holds or family == "celery":
            return "broker"
        # "result backend: Redis on …" beside RabbitMQ: Celery's results, not its broker
        if any(_RESULT_BACKEND.search(s) for s in said) and not any(re.search(r"\bbroker\b", s, re.I) for s in said):
            return "data"
        if any(re.search(ROLE_WORDS["broker"], s, re.I) for s in said):
            return "broker"
        if model is not None and any(c.technology in BROKER_CLIENTS for c in model.components) and \
                component.names_of("queue"):
            return "broker"
    return "data"


def provider(component: Component, description: str = "") -> str | None:
    """Who runs this database when it is not the team (Aiven, Cloud SQL, RDS, a vendor), else None."""
    if component.form == "managed" and component.variant:
        return component.variant
    for sentence in mentions(component, description) or []:
        for name, pattern in PROVIDERS.items():
            if re.search(pattern, sentence, re.I):
                return name
        if _MANAGED_WORDS.search(sentence) and not _SELF_RUN.search(sentence):
            return "its provider"
    return "its provider" if component.form == "managed" else None


def offers(component: Component | None, model: ServiceModel | None, recipe: str, description: str = "") -> bool:
    """Whether a pack may offer `recipe` for this store. Unknown stores and recipes keep the pack's default."""
    if component is None:
        return True
    family = _family(component)
    kind = ("provider" if provider(component, description) else "local") if family == "database" else \
        role(component, model, description)
    allowed = RECIPES.get((family, kind))
    if allowed is None:
        return True
    known = set().union(*(v for (f, _r), v in RECIPES.items() if f == family))
    return recipe in allowed or recipe not in known


# Words that say the service itself keeps data (a restore is a data restore, not a redeploy)
_STATEFUL = re.compile(r"\b(?:raft|rocksdb|state stores?|changelog|statefulset|pvcs?|persistent volumes?|"
                       r"data dir\w*|/var/lib/\w+|/opt/\w+/data|integrated storage|snapshots?|backups?|wal)\b", re.I)


def backup_store(model: ServiceModel | None, description: str = "") -> Component | None:
    """The object store that holds the service's backups, if the model has one."""
    if model is None:
        return None
    return next((c for c in model.components if _family(c) == "object-store" and
                 role(c, model, description) == "backups"), None)


def stateful(model: ServiceModel | None, description: str = "") -> bool:
    """The service keeps data of its own (a database engine, raft, state stores, volumes, backups of it)."""
    if model is not None and model.app is not None and model.app.kind == "database":
        return True
    if backup_store(model, description) is not None:
        return True
    return bool(_STATEFUL.search(description or ""))


def provider_step(provider: str, what: str) -> Command:
    """A step done through the provider that runs the database: its console / CLI, with the team."""
    who = provider if provider != "its provider" else "the provider"
    cli = {"Aiven": "avn service list  # then: avn service fork / PITR in the Aiven console"}.get(
        provider, f"echo 'In the {who} console or CLI: {what}'")
    return cmd(f"{what} ({who} runs this database)", cli,
               f"done through {who} (fill in with the team: the exact console path or CLI command); open a "
               f"support case with {who} if it fails",
               warning="The database is not on the team's hosts: a dump on disk, promoting a replica by hand or "
                       f"the host's journal do not apply. {who[0].upper() + who[1:]} decides failover and restore "
                       "timing.")
