"""Amazon S3: access denied, throttling, accidental deletes and versioning, sync --delete, replication."""

from __future__ import annotations

from agent.knowledge import store_roles
from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q, region
from agent.knowledge.signals import Signal, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class S3Pack(KeywordPack):
    name = "s3"
    summary = ("Amazon S3: AccessDenied (policy, KMS, block public access), SlowDown, restoring deleted "
               "objects from versions, dangerous rm/sync --delete")
    keywords = ("s3", "s3 bucket", "amazon s3", "simple storage service")
    order = 40
    examples = ("Stores invoice PDFs in the S3 bucket acme-invoices",)
    negatives = ("Stores files on an NFS share", "Uses Google Cloud Storage")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        bucket = f.name("s3.bucket", f"{f.service}-data")
        reg = q(region(ctx))
        rg = f"--region {reg}"
        s3api = "aws s3api"
        probe = cmd("Can this identity list and read the bucket",
                    f"aws sts get-caller-identity {rg}\n"
                    f"aws s3 ls {rg} s3://{bucket}/ | head -n 5",
                    "the expected role ARN and a few keys; AccessDenied means follow 'S3: AccessDenied'")

        signals = [Signal(
            key="s3.5xx", name="S3 5xx errors", measure="5xx errors per 5 min", threshold=limit(f, ("5xx",), 10),
            minutes=10, severity="Warning",
            response="Follow 'S3: SlowDown or 5xx errors'; clients should retry with backoff.",
            entry="S3: SlowDown or 5xx errors", labels={"bucket": bucket}, probe=probe)]

        issues = [
            Issue(
                title="S3: AccessDenied",
                symptoms="Uploads or downloads fail with 403 AccessDenied after a deploy or policy change.",
                alert=None,
                check=[probe,
                       cmd("Bucket policy and public access block",
                           f"{s3api} get-bucket-policy {rg} --bucket {q(bucket)} --query Policy --output text\n"
                           f"{s3api} get-public-access-block {rg} --bucket {q(bucket)}",
                           "an explicit Deny matching the role wins over any Allow"),
                       cmd("Default encryption (SSE-KMS needs kms:Decrypt/GenerateDataKey on the key)",
                           f"{s3api} get-bucket-encryption {rg} --bucket {q(bucket)}",
                           "if aws:kms, the role also needs the KMS key permissions")],
                fix=[Step(action="Fix the IAM role policy, bucket policy or KMS key policy that denies; check the "
                                 "role the pods actually use (IRSA / task role), not yours.", command=None)],
                verify="The read probe succeeds from the service's identity and 403s stop for 15 minutes.",
                escalate="If the policy is owned by another team or an SCP denies, page the cloud platform team.",
            ),
            Issue(
                title="S3: SlowDown or 5xx errors",
                symptoms="503 SlowDown / 500 InternalError from S3; latency spikes on uploads.",
                alert="S3 5xx errors",
                check=[probe],
                fix=[Step(action="S3 scales per prefix (about 3,500 writes and 5,500 reads per second each): "
                                 "spread hot keys over more prefixes and make sure the SDK retries with "
                                 "exponential backoff.", command=None)],
                verify="5xx errors back near 0 for 15 minutes.",
                escalate="If errors persist with normal request rates, open an AWS support case.",
            ),
            Issue(
                title="S3: objects deleted or overwritten by mistake",
                symptoms="Missing or wrong files after a bad job, sync --delete or lifecycle rule.",
                alert=None,
                check=[cmd("Is versioning on (without it, deleted objects are gone)",
                           f"{s3api} get-bucket-versioning {rg} --bucket {q(bucket)}", "Status: Enabled"),
                       cmd("Versions and delete markers under the affected prefix",
                           "PREFIX=\"${PREFIX:?set PREFIX: the affected prefix}\"\n"
                           f"{s3api} list-object-versions {rg} --bucket {q(bucket)} --prefix \"$PREFIX\" "
                           "--query '{deleted: DeleteMarkers[?IsLatest].[Key, VersionId], "
                           "versions: Versions[].[Key, VersionId, LastModified]}' --output json | head -n 60",
                           "delete markers for the deleted keys and older versions to restore from")],
                fix=[Step(action="Undelete one object by removing its delete marker.",
                          command=cmd("Remove a delete marker (restores the previous version)",
                                      "KEY=\"${KEY:?set KEY: the deleted key}\"\n"
                                      "MARKER_ID=\"${MARKER_ID:?set MARKER_ID: VersionId of its delete marker}\"\n"
                                      f"{s3api} delete-object {rg} --bucket {q(bucket)} --key \"$KEY\" "
                                      "--version-id \"$MARKER_ID\"",
                                      "the key is listed again by aws s3 ls",
                                      warning="delete-object with --version-id deletes that version permanently: "
                                              "pass the delete marker's id, never an object version's id.")),
                     Step(action="Restore an overwritten object by copying its previous version over it.",
                          command=cmd("Copy an older version back",
                                      "KEY=invoices/2026/01/inv-1.pdf\n"
                                      "VERSION_ID=\"${VERSION_ID:?"
                                      "set VERSION_ID: the good version from list-object-versions}\"\n"
                                      f"{s3api} copy-object {rg} --bucket {q(bucket)} --key \"$KEY\" "
                                      f"--copy-source \"{bucket}/$KEY?versionId=$VERSION_ID\"",
                                      "a new current version equal to the good one"))],
                verify="The restored keys read back with the expected size and checksum within 15 minutes.",
                escalate="If versioning was off, page the data owner: restore from replication or backups.",
            ),
        ]

        sync_preview = cmd("Preview a sync that deletes extra files at the destination",
                            "SRC=\"${SRC:?set SRC: local directory}\"\n"
                            f"aws s3 sync {rg} \"$SRC\" s3://{bucket}/static/ --delete --dryrun",
                            "lines starting '(dryrun) delete:' show what would be removed",
                            warning="Without --dryrun, --delete removes every object under the destination prefix that "
                                    "is not in SRC; a wrong SRC (empty directory) empties the prefix. Keep --dryrun "
                                    "until the list is right.")
        remove_prefix = cmd("Remove a prefix",
            "PREFIX=\"${PREFIX:?set PREFIX: the prefix to remove}\"\n"
            f"aws s3 rm {rg} s3://{bucket}/\"$PREFIX\" --recursive --dryrun",
            "the '(dryrun) delete:' list; rerun without --dryrun only if it is right",
            warning="Without --dryrun this deletes every object under the prefix; with versioning off "
                    "they cannot be recovered. An empty PREFIX means the whole bucket.")
        # What the bucket is for decides the recipes: a backup repository gets verification, never a delete.
        store = None
        if ctx.model is not None:
            store = ctx.model.component("s3") or next(
                (c for c in ctx.model.components if c.technology in store_roles.OBJECT_STORES), None)
        backups = store is not None and store_roles.role(store, ctx.model, f.description) == "backups"

        def offered(recipe: str) -> bool:  # store_roles.RECIPES: what this bucket's role allows
            return store_roles.offers(store, ctx.model, recipe, f.description)

        upstream = Upstream(service=f"S3 {bucket}", purpose="File storage", criticality="High",
                            fallback="Queue uploads and retry; serve a placeholder for downloads")
        maintenance = [c for recipe, c in (("sync-delete", sync_preview), ("rm-prefix", remove_prefix))
                       if offered(recipe)]
        if not offered("undelete"):
            issues = [i for i in issues if i.title != "S3: objects deleted or overwritten by mistake"]
        if backups and offered("backup-verify"):
            issues.append(_backup_issue(bucket, rg))
        if backups:
            # a backup repository serves no requests of the service: request throttling and prefix
            # scaling are not its failure; a failed or stale backup is (its own entry)
            signals = []
            issues = [i for i in issues if i.title != "S3: SlowDown or 5xx errors"]
        if not offered("upload-fallback"):
            upstream = Upstream(service=f"S3 {bucket}", purpose="Backup repository (the only copy of the backups)",
                                criticality="High",
                                fallback="None needed to serve traffic; while it is unreachable new backups fail and "
                                         "the recovery point ages: fix it before the next scheduled backup")

        return Contribution(
            components=[Component(name="Object storage", technology="Amazon S3", version="managed",
                                  location=f"s3://{bucket} ({region(ctx)})",
                                  purpose="Holds the backups" if backups else "Stores files and blobs")],
            upstream=[upstream],
            key_metrics=[] if backups else [KeyMetric(metric="S3 5xx errors", normal_range="0",
                                                      alert_threshold="> 10 per 5 min",
                                                      dashboard="fill in: S3 request metrics dashboard")],
            prerequisites=[f"aws CLI v2 with s3:ListBucket, s3:GetObject, s3:ListBucketVersions on {bucket}"],
            signals=signals,
            issues=issues,
            assess=[] if backups else [cmd("Objects changed in the last day under a prefix",
                        "PREFIX=\"${PREFIX:?set PREFIX: the prefix the bad writes touched}\"\n"
                        f"{s3api} list-objects-v2 {rg} --bucket {q(bucket)} --prefix \"$PREFIX\" "
                        "--query \"Contents[?LastModified>='$(date -u -d '-1 day' +%Y-%m-%d)'].[Key, LastModified]\" "
                        "--output text | head -n 50",
                        "the keys written since yesterday")],
            daily=["Check the newest backup object is younger than the schedule and its size is usual"] if backups
            else ["Check replication / backup of the bucket is current"],
            weekly=["Test-restore the newest backup into a scratch instance"] if backups else
            ["Review 4xx/5xx request metrics"],
            monthly=["Check versioning, lifecycle rules and Object Lock settings are as designed",
                     "Review the bucket policy for public access"],
            maintenance_commands=maintenance,
            dr_procedures=[Procedure(title="S3: region outage or bucket loss", commands=[
                cmd("Check cross-region replication status",
                    f"{s3api} get-bucket-replication {rg} --bucket {q(bucket)}",
                    "a rule replicating to the DR bucket; restore from the copies there during the outage" if backups
                    else "a rule replicating to the DR bucket; point the service at it (S3_BUCKET) during the outage"),
            ])],
            cheatsheet=[probe],
            # the service reads no setting for a bucket its backup tool writes to
            environment_variables=[] if backups else [("S3_BUCKET", bucket)],
            vendors=[("AWS", "S3")],
        )



def _backup_issue(bucket: str, rg: str) -> Issue:
    """A bucket holding backups or snapshots: is the newest one there, recent and whole, and does it restore."""
    newest = cmd("The newest backup objects: age and size",
                 "PREFIX=\"${PREFIX:-}\"  # the backup prefix, if the tool writes under one\n"
                 f"aws s3api list-objects-v2 {rg} --bucket {q(bucket)} --prefix \"$PREFIX\" "
                 "--query 'reverse(sort_by(Contents, &LastModified))[:5].[LastModified, Size, Key]' --output text",
                 "the newest object is younger than the backup schedule (e.g. under 1 h for hourly snapshots) "
                 "and its size close to the previous ones; a much smaller one is a failed or partial backup")
    restore = cmd("Test-restore the newest backup into a scratch location (never over the live data)",
                  "KEY=\"${KEY:?set KEY to the newest backup object from the list above}\"\n"
                  "mkdir -p /tmp/restore-test\n"
                  f"aws s3 cp {rg} \"s3://{bucket}/$KEY\" /tmp/restore-test/\n"
                  "ls -l /tmp/restore-test/",
                  "the object downloads with the listed size; then restore it with the backup tool into a scratch "
                  "instance and check the data (fill in with the team: the tool's own verify / restore command)",
                  warning="Read-only on the bucket. Never delete, sync --delete or overwrite objects here: they are "
                          "the backups.")
    return Issue(
        title="S3: backups missing, stale or not restorable",
        symptoms="The newest backup object is older than the schedule, much smaller than usual, or the backup "
                 "job logs write errors (AccessDenied, SlowDown) to the bucket.",
        alert=None,
        check=[newest, cmd("Versioning and lifecycle rules (a lifecycle rule can expire backups early)",
                           f"aws s3api get-bucket-versioning {rg} --bucket {q(bucket)}\n"
                           f"aws s3api get-bucket-lifecycle-configuration {rg} --bucket {q(bucket)}",
                           "expiry no shorter than the agreed retention")],
        fix=[Step(action="Fix the backup job's write access or schedule first, then take a fresh backup with the "
                         "tool that writes here and check it lands; do not delete or move objects in this bucket.",
                  command=None),
             Step(action="Prove the backups restore: test-restore the newest one somewhere scratch.", command=restore)],
        verify="A new backup object younger than the schedule is listed with the usual size, and the test restore "
               "succeeded.",
        escalate="If no restorable backup is younger than the agreed recovery point, page the data owner now.",
    )


PACK = S3Pack()
