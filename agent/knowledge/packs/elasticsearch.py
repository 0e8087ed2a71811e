"""Elasticsearch / OpenSearch: red and yellow status, allocation explain, disk watermarks, heap, snapshots."""

from __future__ import annotations

import re

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import (
    KeywordPack,
    cmd,
    component_form,
    mention,
    on_host,
    q,
    tech_host,
)
from agent.knowledge.platforms.products import managed_endpoint
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Component, Issue, KeyMetric, Procedure, Step, Upstream


class ElasticsearchPack(KeywordPack):
    name = "elasticsearch"
    summary = ("Elasticsearch/OpenSearch: red status and shard allocation explain, disk watermarks and "
               "read-only indices, heap, snapshot restore")
    keywords = ("elasticsearch", "opensearch", "elastic search", "elk", "elastic stack")
    order = 42
    examples = ("Product search on Elasticsearch 8 (index products), 3 data nodes",
                "Log search on Amazon OpenSearch Service")
    negatives = ("Full-text search with PostgreSQL tsvector", "Elastic Beanstalk web app")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        product = "OpenSearch" if mention(ctx, ("opensearch",)) else "Elasticsearch"
        model = ctx.model
        technology = next((t for t in ("elasticsearch", "opensearch") if model is not None and model.component(t)),
                          "elasticsearch")
        form = component_form(ctx, technology)
        # Query a data node when the description names them (dedicated masters should not serve clients).
        node = (tech_host(ctx, r"data") or tech_host(ctx, r"^(?:es|os)[-\d]|elastic|opensearch|search")
                if form == "host" else None)
        if form == "managed":
            # a managed domain (Amazon OpenSearch Service, Elastic Cloud): its https endpoint, no nodes of ours
            endpoint = managed_endpoint(ctx, technology)
            # no endpoint given: a fill-in variable the block declares (never a made-up host)
            url = f"https://{endpoint}" if endpoint else f.name("es.url", f"https://{f.service}")
        else:
            scheme = "https" if mention(ctx, ("tls", "https", "ssl")) else "http"
            url = f.name("es.url", f"{scheme}://{node or 'elasticsearch'}:9200")
        # "daily indices logs-YYYY.MM.DD" -> the pattern logs-*
        index = re.sub(r"[-_.]?(?:YYYY|yyyy).*$", "-*",
                       ctx.facts.name("es.index", f"{f.service}-*"))  # a listed default: the service's indices
        repo = ctx.facts.name("es.repository", "backups")
        # --netrc: credentials from ~/.netrc, never on the command line
        curl = "curl -sS --fail-with-body --netrc"

        def at(path: str) -> str:
            """The URL of `path` as one shell word (a fill-in variable stays expandable)."""
            return f'"{url}"{q(path)}' if url.startswith("${") else q(url + path)

        def get(path: str) -> str:
            return f"{curl} {at(path)}"

        health = cmd("Cluster health", get("/_cluster/health?pretty"),
                     "status green; yellow means replicas unassigned, red means a primary shard is missing")
        unassigned = cmd("Unassigned shards and why",
                         get("/_cat/shards?v&h=index,shard,prirep,state,node,unassigned.reason") + " | grep -v STARTED",
                         "only the header; otherwise the index, shard and reason")
        explain = cmd("Why the first unassigned shard cannot be allocated",
                      get("/_cluster/allocation/explain?pretty"),
                      "the decider that says NO (disk watermark, node left, max retries, allocation filtering)")
        disk = cmd("Disk use per node", get("/_cat/allocation?v"),
                   "disk.percent below 85 (low watermark) on every node")

        signals = [
            Signal(key="elasticsearch.red", name=f"{product} cluster red", measure="cluster status red flag",
                   threshold=Threshold(1, op=">="), minutes=1, severity="Critical",
                   response=f"Follow '{product}: cluster red or yellow'.", entry=f"{product}: cluster red or yellow",
                   probe=health),
            Signal(key="elasticsearch.unassigned", name=f"{product} unassigned shards", measure="unassigned shards",
                   threshold=Threshold(0), minutes=15, severity="Warning",
                   response=f"Follow '{product}: cluster red or yellow'.", entry=f"{product}: cluster red or yellow",
                   probe=unassigned),
            Signal(key="elasticsearch.disk_free", name=f"{product} disk above high watermark",
                   measure="data disk free", threshold=Threshold(15, "%", "<"), minutes=5, severity="Warning",
                   response=f"Follow '{product}: disk watermarks and read-only indices'.",
                   entry=f"{product}: disk watermarks and read-only indices", probe=disk, covers=("disk",)),
            Signal(key="elasticsearch.heap", name=f"{product} JVM heap high", measure="heap used",
                   threshold=limit(ctx.facts, ("heap",), 85, "%"), minutes=10, severity="Warning",
                   response="Look for expensive queries and aggregations, too many shards per node; circuit "
                            "breaker errors follow.",
                   probe=cmd("Heap per node", get("/_cat/nodes?v&h=name,heap.percent,ram.percent,cpu,load_1m"),
                             "heap.percent below 75 most of the time")),
        ]

        issues = [
            Issue(
                title=f"{product}: cluster red or yellow",
                symptoms="Searches return partial results or 503; indexing fails for some indices (red); "
                         "replicas missing (yellow).",
                alert=f"{product} cluster red",
                check=[health, unassigned, explain],
                fix=[Step(action="A node left: bring it back; its shards recover by themselves.", command=None),
                     Step(action="Allocation gave up after 5 failed attempts (max_retries): retry once the cause "
                                 "(disk, mapping) is fixed.",
                          command=cmd("Retry failed shard allocations",
                                      f"{curl} -X POST {at('/_cluster/reroute?retry_failed=true')}",
                                      "acknowledged: true; shards go INITIALIZING then STARTED",
                                      warning="Safe by itself, but it restarts recoveries cluster-wide: heavy "
                                              "network and disk I/O until they finish. Fix the cause first.")),
                     Step(action="Last resort for a red index whose primary is lost: allocate a stale copy "
                                 "(loses writes only the lost copy had) or restore the index from a snapshot.",
                          command=cmd("Promote a stale replica copy to primary",
                                      "INDEX=\"${INDEX:?set INDEX: the red index}\"\n"
                                      "SHARD=\"${SHARD:?set SHARD: the shard number}\"\n"
                                      "NODE=\"${NODE:?"
                                      "set NODE: a node that holds a stale copy (see allocation explain)}\"\n"
                                      "jq -n --arg i \"$INDEX\" --argjson s \"$SHARD\" --arg n \"$NODE\" "
                                      "'{commands: [{allocate_stale_primary: {index: $i, shard: $s, node: $n, "
                                      "accept_data_loss: true}}]}' | "
                                      f"{curl} -X POST {at('/_cluster/reroute')} "
                                      "-H 'Content-Type: application/json' -d @-",
                                      "acknowledged: true and the index turns yellow/green",
                                      warning="accept_data_loss means exactly that: documents written after that "
                                              "copy fell behind are gone. Prefer bringing the node back or "
                                              "restoring from a snapshot; get the data owner's approval."))],
                verify="Cluster health green (or yellow with recovering replicas only) for 15 minutes.",
                escalate="Red for more than 15 minutes: page the search owner.",
            ),
            Issue(
                title=f"{product}: disk watermarks and read-only indices",
                symptoms="Indexing fails with 'index [..] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded "
                         "flood-stage watermark, index has read-only-allow-delete block]'.",
                alert=f"{product} disk above high watermark",
                check=[disk, cmd("Largest indices", get("/_cat/indices?v&s=store.size:desc&h=index,health,"
                                                        "docs.count,store.size") + " | head -n 15",
                                 "old time-based indices to drop or move")],
                fix=[Step(action="Free disk (delete old indices through ILM/ISM, add nodes or disk).",
                          command=cmd("Delete one old index, only when no alias points at it",
                                      "OLD_INDEX=\"${OLD_INDEX:?set OLD_INDEX: an index past its retention}\"\n"
                                      # an alias on it may make it the live index; a wildcard or list deletes many;
                                      # aliases that cannot be read refuse too (an empty answer is no all-clear)
                                      "case \"$OLD_INDEX\" in *'*'*|*,*|_all) OLD_INDEX=\"\" ;; esac\n"
                                      "if [ -z \"$OLD_INDEX\" ]; then\n"
                                      "  echo \"refusing: name one index exactly, no wildcard or list\" >&2\n"
                                      f"elif ! ALIASES=\"$({curl} \"{url}/_cat/aliases?h=alias,index\")\"; then\n"
                                      "  echo \"refusing: the aliases could not be read\" >&2\n"
                                      "elif printf '%s\\n' \"$ALIASES\" | awk -v i=\"$OLD_INDEX\" "
                                      "'$2 == i {found=1} END {exit !found}'; then\n"
                                      "  echo \"refusing: an alias points at $OLD_INDEX (it may be live): move the "
                                      "alias first\" >&2\n"
                                      "else\n"
                                      f"  {curl} -X DELETE \"{url}/$OLD_INDEX\"\n"
                                      "fi",
                                      "acknowledged: true; a 'refusing' line means the index is live or the name "
                                      "matches several",
                                      warning="Deletes the index and all its documents for good: the command "
                                              "refuses an index any alias points at and a wildcard or list; check "
                                              "that a snapshot of it exists first.")),
                     Step(action="Since 7.4 the block is removed automatically once disk use falls below the "
                                 "high watermark; on older versions remove it by hand.",
                          command=cmd("Remove the read-only block",
                                      f"{curl} -X PUT {at('/' + index + '/_settings')} -H "
                                      "'Content-Type: application/json' "
                                      "-d '{\"index.blocks.read_only_allow_delete\": null}'",
                                      "acknowledged: true; indexing works again"))],
                verify="Disk below 85% on every node and indexing succeeds for 15 minutes.",
                escalate="If no space can be freed within 30 minutes, page the search owner for capacity.",
            ),
        ]

        if node:  # VMs / bare metal: a node at a time, with replica allocation held back
            hosts = [h for h in f.name("hosts", "").split(",") if h]
            issues.append(Issue(
                title=f"{product}: node down or rolling restart",
                symptoms="A node missing from _cat/nodes; the cluster yellow while its replicas are unassigned.",
                alert=f"{product} unassigned shards",
                check=[cmd("Nodes in the cluster (master-eligible marked m, elected master *)",
                           get("/_cat/nodes?v&h=name,node.role,master,heap.percent,disk.used_percent"),
                           "every node listed; exactly one elected master; a majority of master-eligible "
                           "nodes up (3 dedicated masters tolerate losing 1)"),
                       cmd(f"elasticsearch service on {node}",
                           on_host(ctx, node, "systemctl status elasticsearch --no-pager; journalctl -u "
                                              "elasticsearch --since '30 min ago' --no-pager | tail -n 50"),
                           "active (running); otherwise the last error (heap/OOM, disk, bootstrap checks)")],
                fix=[Step(action="Before restarting a node, hold back replica allocation so the cluster does not "
                                 "copy its shards elsewhere while it is away; restart one node at a time.",
                          command=cmd("Allow only primaries to be allocated, flush, restart the node",
                                      f"{curl} -X PUT {at('/_cluster/settings')} -H 'Content-Type: "
                                      "application/json' -d '{\"persistent\": {\"cluster.routing.allocation."
                                      "enable\": \"primaries\"}}'\n"
                                      f"{curl} -X POST {q(url + '/_flush')}\n"
                                      + on_host(ctx, node, "sudo systemctl restart elasticsearch"),
                                      "the node rejoins _cat/nodes within a few minutes",
                                      warning="Restarting a node drops its shards until it rejoins; never restart "
                                              "two data nodes (or a majority of master-eligible nodes) at once.")),
                     Step(action="Once the node is back, re-enable allocation and wait for green before the next "
                                 "node.",
                          command=cmd("Re-enable shard allocation",
                                      f"{curl} -X PUT {at('/_cluster/settings')} -H 'Content-Type: "
                                      "application/json' -d '{\"persistent\": {\"cluster.routing.allocation."
                                      "enable\": null}}'\n"
                                      + get("/_cluster/health?wait_for_status=green&timeout=10m&pretty"),
                                      "status green before moving on")),
                     Step(action="Never wipe a master's data directory or bootstrap a new cluster to 'fix' a "
                                 "lost master quorum (split brain, data loss): bring master-eligible nodes back."
                                 + (f" Nodes: {', '.join(hosts)}." if hosts else ""), command=None)],
                verify="All nodes in _cat/nodes and health green for 15 minutes.",
                escalate="If a master-eligible majority is lost or a node will not rejoin in 30 minutes, page "
                         "the search owner.",
            ))
        return Contribution(
            components=[Component(name="Search engine", technology=product, version=f"fill in: {get('/')}",
                                  location=url, purpose=f"Index {index}")],
            upstream=[Upstream(service=f"{product} {index}", purpose="Search and indexing", criticality="High",
                               fallback="Degrade search (cached or database-backed results); queue indexing")],
            key_metrics=[KeyMetric(metric=f"{product} cluster status", normal_range="green",
                                   alert_threshold="red for 1 min", dashboard=f"fill in: {product} dashboard")],
            prerequisites=[f"curl and jq with access to {url} (credentials in ~/.netrc or an API key header)"],
            signals=signals,
            issues=issues,
            assess=[cmd("Document counts of the index", get(f"/_cat/count/{index}?v"), "close to the usual count")],
            restore=[cmd("Restore the index from a snapshot under a new name",
                         "SNAPSHOT=\"${SNAPSHOT:?set SNAPSHOT: from _cat/snapshots}\"\n"
                         f"{curl} -X POST \"{url}/_snapshot/{repo}/$SNAPSHOT/_restore\" "
                         "-H 'Content-Type: application/json' "
                         f"-d '{{\"indices\": \"{index}\", \"rename_pattern\": \"(.+)\", "
                         "\"rename_replacement\": \"restored-$1\"}'",
                         "accepted: true; restored-* index recovers, then swap an alias to it")],
            daily=["Check cluster health and that the nightly snapshot succeeded"],
            weekly=["Check shard count per node (keep under about 20 per GB of heap)"],
            monthly=["Restore a snapshot into a test cluster"],
            maintenance_commands=[cmd("List snapshots", get(f"/_cat/snapshots/{repo}?v&s=end_epoch"),
                                      "a SUCCESS snapshot from the last 24 hours")],
            dr_procedures=[Procedure(title=f"{product}: rebuild from snapshots", commands=[
                cmd("Register the snapshot repository on the new cluster and list snapshots",
                    get(f"/_snapshot/{repo}?pretty") + "\n" + get(f"/_cat/snapshots/{repo}?v"),
                    "the repository and its snapshots; then restore indices as above")])],
            cheatsheet=[health, unassigned, explain, disk],
            environment_variables=[("ELASTICSEARCH_URL", url)],
        )


PACK = ElasticsearchPack()
