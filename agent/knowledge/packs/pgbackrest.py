"""pgBackRest: backup freshness, WAL archiving failures, point-in-time restore."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q, snake, workload_platform
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Command, Issue, KeyMetric, Procedure, Step


def _patroni_restore(ctx: Context, br: str) -> Command | None:
    """Under Patroni the HA manager owns PostgreSQL: the restore stops Patroni (which stops PostgreSQL; not
    paused, where it would leave PostgreSQL running), never systemctl on postgresql (Patroni would restart it
    or fail over)."""
    model = ctx.model
    if model is None or not any(c.technology == "patroni" or c.controller("failover") == "patroni"
                                for c in model.components):
        return None
    cluster = next((c.name("cluster") for c in model.components if c.technology == "patroni" and c.name("cluster")),
                   None)
    hosts = list(dict.fromkeys(h for c in model.components if c.kind == "service" or c.technology in
                               ("postgresql", "patroni") for h in c.names_of("host")))
    cl = q(cluster) if cluster else '"$CLUSTER"'
    need = "" if cluster else 'CLUSTER="${CLUSTER:?set CLUSTER to the Patroni cluster (scope) name}"\n'
    members = " ".join(q(h) for h in hosts) if hosts else '${MEMBERS:?set MEMBERS to every member}'
    return cmd(
        "Point-in-time restore of a Patroni cluster: stop Patroni on every member, restore one, start it first",
        need + "TARGET_TIME='2026-01-01 03:00:00+00'  # just before the bad write\n"
        'RESTORE_HOST="${RESTORE_HOST:?set RESTORE_HOST to the member that becomes the new primary}"\n'
        f"patronictl -c /etc/patroni/patroni.yml list {cl}  # note the leader: stop it last\n"
        f"for HOST in {members}; do ssh \"$HOST\" 'sudo systemctl stop patroni'; done  # stops PostgreSQL too\n"
        f"ssh \"$RESTORE_HOST\" \"{br} --delta --type=time --target='$TARGET_TIME' --target-action=promote "
        "restore\"\n"
        "ssh \"$RESTORE_HOST\" 'sudo systemctl start patroni'\n"
        f"patronictl -c /etc/patroni/patroni.yml list {cl}",
        "the restored member is the leader in patronictl list; start Patroni on the others and rebuild them from "
        f"it (patronictl reinit {cluster or '$CLUSTER'} MEMBER)",
        warning="Every change after TARGET_TIME is gone from the whole cluster, and it is down while Patroni is "
                "stopped. Never stop or start postgresql itself with systemctl or pg_ctl under Patroni: it "
                "restarts PostgreSQL or fails over behind your back. Restore onto a spare host first when you "
                "only need to look at old data.")


class PgBackRestPack(KeywordPack):
    name = "pgbackrest"
    summary = "pgBackRest: stale backups, failing WAL archiving (disk fills), point-in-time restore with --delta"
    keywords = ("pgbackrest",)
    order = 13
    examples = ("PostgreSQL backed up nightly with pgBackRest to S3, WAL archived continuously",)
    negatives = ("PostgreSQL backed up with pg_dump",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        stanza = ctx.facts.name("pgbackrest.stanza", snake(f.service))
        br = f"sudo -u postgres pgbackrest --stanza={q(stanza)}"
        info = cmd("Backups in the repository and the WAL range they cover", f"{br} info",
                   "status ok, a full or diff backup from the last 24 hours, WAL archive min/max up to now")
        check = cmd("Check archiving and repository end to end", f"{br} check",
                    "'check command end: completed successfully' within a minute")

        signals = [
            Signal(key="pgbackrest.backup_age", name="pgBackRest backup too old",
                   measure="time since the last completed backup", threshold=Threshold(26, "h"), minutes=0,
                   severity="Warning", response="Follow 'pgBackRest: backups or WAL archiving failing'.",
                   entry="pgBackRest: backups or WAL archiving failing", labels={"stanza": stanza}, probe=info),
            Signal(key="postgres.archive_failures", name="PostgreSQL WAL archiving failing",
                   measure="archive failures", threshold=Threshold(0), minutes=10, window="in", severity="Critical",
                   response="Follow 'pgBackRest: backups or WAL archiving failing': WAL piles up in pg_wal "
                            "until the disk is full and the primary stops.",
                   entry="pgBackRest: backups or WAL archiving failing", probe=check),
        ]

        issues = [Issue(
            title="pgBackRest: backups or WAL archiving failing",
            symptoms="pg_stat_archiver.failed_count rising; pg_wal directory growing; backup job errors.",
            alert="PostgreSQL WAL archiving failing",
            check=[check, info,
                   cmd("Archiver status from PostgreSQL",
                       "sudo -u postgres psql -X -c \"SELECT archived_count, failed_count, last_failed_wal, "
                       "last_failed_time FROM pg_stat_archiver\"",
                       "last_failed_time older than the last archived; else read the pgBackRest log"),
                   cmd("Space used by pg_wal", "sudo du -sh /var/lib/postgresql/*/main/pg_wal",
                       "a few GB at most; growing means archiving is stuck")],
            fix=[Step(action="Fix the cause in the pgBackRest log (/var/log/pgbackrest): repository "
                             "credentials or bucket policy, full repository disk, network.", command=None),
                 Step(action="Take a fresh backup once archiving works again.",
                      command=cmd("Differential backup now", f"{br} --type=diff backup",
                                  "'backup command end: completed successfully'"))],
            verify="failed_count stops increasing and pg_wal shrinks within 30 minutes; pgbackrest check passes.",
            escalate="If pg_wal is above 70% of its disk, page the database owner immediately: never delete "
                     "files from pg_wal by hand.",
        )]

        # Patroni's own procedure when it runs PostgreSQL; otherwise stopped and started through the
        # database's platform (a unit, a container, a pod).
        engine = workload_platform(ctx, "postgresql")
        stop = engine.stop_workload("postgresql", "the restore needs it stopped").code
        start = engine.start_workload("postgresql").code
        restore = _patroni_restore(ctx, br) or cmd(
            "Point-in-time restore on a stopped instance (delta: only changed files are rewritten)",
            "TARGET_TIME='2026-01-01 03:00:00+00'  # just before the bad write\n"
            f"{stop}\n"
            f"{br} --delta --type=time --target=\"$TARGET_TIME\" --target-action=promote restore\n"
            f"{start}",
            "PostgreSQL starts, replays WAL to the target and promotes; check the data before opening traffic",
            warning="Overwrites this instance's data directory with the backup as of TARGET_TIME: every change "
                    "after it is gone from this instance. Restore onto a spare host first when you can, and "
                    "never on a Patroni member while Patroni runs (pause the cluster first).")

        return Contribution(
            key_metrics=[KeyMetric(metric="Age of last pgBackRest backup", normal_range="< 24 h",
                                   alert_threshold="> 26 h", dashboard="fill in: backup dashboard")],
            prerequisites=["sudo to the postgres user on a database host with pgbackrest and psql; pgbackrest "
                           "configured in /etc/pgbackrest/pgbackrest.conf"],
            signals=signals,
            issues=issues,
            restore=[restore],
            daily=[f"Check '{br} info' shows a backup from the last 24 hours"],
            weekly=["Run pgbackrest check"],
            monthly=["Restore the latest backup onto a scratch host and compare row counts"],
            maintenance_commands=[
                cmd("Full backup", f"{br} --type=full backup", "'backup command end: completed successfully'"),
                cmd("Apply the retention policy", f"{br} expire",
                    "older backups beyond repo1-retention-full are removed",
                    warning="Deletes backups and WAL older than the retention settings; check "
                            "repo1-retention-full first: a wrong value can leave you without a restorable "
                            "backup."),
            ],
            dr_procedures=[Procedure(title="pgBackRest: point-in-time recovery", commands=[info, restore])],
            cheatsheet=[info, check],
        )


PACK = PgBackRestPack()
