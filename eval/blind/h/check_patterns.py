"""Self-check for blind batch h: every pattern is tested against hand-written snippets.

    cd /work/main && .venv/bin/python /work/blindh/check_patterns.py

Per case: a GOOD runbook snippet (written by hand from the description) must match every `must` and
hit no `must_not`; a BAD snippet must hit every `must_not`. Every name under `names:` and every
plain-substring `must` (with or without `cmd:`) must appear in the case's description. Matching uses
the grader's own functions (eval/blind/score.py: load_case, matches, command_text).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, "/work/main")

from eval.blind.snippets import check  # noqa: E402

B = "```bash\n"
E = "\n```\n"

GOOD: dict[str, str] = {}
BAD: dict[str, str] = {}

GOOD["h01-strimzi-kafka"] = f"""# Runbook: payments-events
Kafka cluster events-prod (Strimzi, KRaft mode: no ZooKeeper). RF=3, min.insync.replicas=2.
Topics are KafkaTopic CRs synced by Argo CD app kafka-events-prod; payments.settled.v1 and payments.authorized.v1.
Alerts: settlement-writer lag > 50k for 10 min; under-replicated partitions > 0 for 5 min; PVC > 80%.
Owner Priya Raman, Slack #streaming-oncall, PagerDuty streaming-platform.
{B}kubectl --context core-prod -n kafka-prod get kafka events-prod
kubectl -n kafka-prod exec events-prod-kafka-0 -c kafka -- \\
  bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group settlement-writer
kubectl -n kafka-prod annotate strimzipodset events-prod-kafka strimzi.io/manual-rolling-update=true
kubectl -n kafka-prod get kafkatopics
kubectl -n kafka-prod exec events-prod-kafka-0 -c kafka -- bin/kafka-topics.sh --bootstrap-server localhost:9092 --describe --under-replicated-partitions{E}"""
BAD["h01-strimzi-kafka"] = f"""{B}bin/kafka-topics.sh --zookeeper zk:2181 --list
kafka-topics.sh --bootstrap-server localhost:9092 --alter --topic payments.settled.v1 --partitions 48
kubectl -n kafka-prod delete pod events-prod-kafka-1
kubectl delete pvc data-0-events-prod-kafka-0 -n kafka-prod
kubectl -n kafka-prod get sts
kafka-consumer-groups.sh --bootstrap-server localhost:9092 --group settlement-writer --reset-offsets --to-latest --execute{E}"""

GOOD["h02-mysql-orchestrator"] = f"""# Runbook: catalog-db
Handover from Tomasz Nowak; escalate to Marta Kowalczyk. Slack #data-infra-oncall.
ProxySQL hostgroup 10 writer, 20 readers. Orchestrator's PostFailoverProcesses hook rewrites ProxySQL.
Alert: seconds_behind_master > 30 s for 5 min. Backups: XtraBackup to shopco-catalog-db-backups, 14 days.
Preferred candidate cat-db-02.dc1.shopco.net.
{B}orchestrator-client -c topology -alias catalog
orchestrator-client -c graceful-master-takeover -alias catalog -d cat-db-02.dc1.shopco.net
ssh proxysql-01.dc1.shopco.net
mysql -h 127.0.0.1 -P 6032 -u admin -p -e "SELECT hostgroup_id,hostname,status FROM runtime_mysql_servers;"
mysql -h cat-db-02.dc1.shopco.net -e "SHOW REPLICA STATUS\\G"{E}"""
BAD["h02-mysql-orchestrator"] = f"""{B}mysql -h cat-db-01.dc1.shopco.net -e "RESET MASTER;"
mysql -h 127.0.0.1 -P 6032 -e "UPDATE mysql_servers SET hostgroup_id=10 WHERE hostname='cat-db-02.dc1.shopco.net';"
mysql -h cat-db-02.dc1.shopco.net -e "SET GLOBAL read_only = 0;"
kubectl get pods -n production
psql -h cat-db-01.dc1.shopco.net -U postgres
aws rds describe-db-instances --db-instance-identifier catalog-db{E}"""

GOOD["h03-cassandra-profiles"] = f"""# Runbook: profile-store
Keyspace profiles, DC dc-ams, apps use LOCAL_QUORUM. A node shown DN for 5 min pages.
Repairs are Reaper's job; backups are Medusa. Alerts: 100 pending compactions, p99 > 20 ms, disk > 60%.
Restart one node at a time. Owner Lena Vogel, #storage-sre.
If a box is dead, set -Dcassandra.replace_address_first_boot=<old ip>.
{B}ssh cass-ams-01.store.lan
nodetool status
journalctl -u cassandra --since "1 hour ago"
nodetool drain && sudo systemctl restart cassandra
nodetool compactionstats
medusa list-backups{E}"""
BAD["h03-cassandra-profiles"] = f"""{B}nodetool removenode 1234-abcd
nodetool repair -full profiles
cqlsh -e "TRUNCATE profiles.users;"
kubectl -n cassandra get pods
for h in cass-ams-0{{1..6}}.store.lan; do ssh $h sudo systemctl restart cassandra; done
aws keyspaces list-keyspaces{E}"""

GOOD["h04-rabbitmq-ecs-invoices"] = f"""# Runbook: invoice-render
invoices.render is a quorum queue; rejects go to invoices.render.dlq.
Page when messages ready > 20,000 for 10 min; memory alarm (vm_memory_high_watermark 0.6) blocks publishers.
SLO: 99% emailed within 15 minutes. Owner Sam Okafor, #billing-platform.
{B}aws ecs describe-services \\
  --cluster billing-ecs-prod --services invoice-render --region us-east-1
aws ecs update-service --cluster billing-ecs-prod --service invoice-render --force-new-deployment
ssh rmq-1.billing.internal
rabbitmqctl list_queues -p billing name messages_ready messages_unacknowledged consumers
rabbitmq-queues quorum_status invoices.render -p billing
rabbitmq-diagnostics -q alarms
./bin/redrive --from invoices.render.dlq --to invoices.render --limit 500
rabbitmq-upgrade drain{E}"""
BAD["h04-rabbitmq-ecs-invoices"] = f"""{B}rabbitmqctl purge_queue invoices.render -p billing
rabbitmqctl stop_app && rabbitmqctl reset
kubectl -n billing rollout restart deployment/invoice-render
aws sqs get-queue-attributes --queue-url https://sqs.us-east-1.amazonaws.com/123/invoices
aws mq describe-broker --broker-id b-123
for h in rmq-1 rmq-2 rmq-3; do ssh $h sudo systemctl restart rabbitmq-server; done{E}"""

GOOD["h05-cloudrun-geo-enricher"] = f"""# Runbook: geo-enricher
Alerts: oldest_unacked_message_age > 10 min; 5xx ratio > 2%; max instances (50) reached.
Maps quota: the service returns 429 and messages go to raw-checkins-dlq. Output: Firestore checkins_enriched.
Owner Ines Duarte, #geo-data.
{B}gcloud run services describe geo-enricher --region europe-west4 --project acme-geo-prod
gcloud run services update-traffic geo-enricher \\
  --to-revisions=geo-enricher-00042-abc=100 --region europe-west4 --project acme-geo-prod
gcloud pubsub subscriptions describe geo-enricher-push --project acme-geo-prod
./scripts/replay-dlq.sh --limit 1000
gcloud firestore export gs://acme-geo-prod-exports --project acme-geo-prod{E}"""
BAD["h05-cloudrun-geo-enricher"] = f"""{B}gcloud pubsub subscriptions delete geo-enricher-push --project acme-geo-prod
gcloud pubsub subscriptions seek geo-enricher-push --time=2026-12-01T00:00:00Z
gcloud run deploy geo-enricher --image gcr.io/acme-geo-prod/geo-enricher:prev --region europe-west4
gcloud run services update geo-enricher --max-instances 100 --region europe-west4
kubectl -n geo rollout restart deploy/geo-enricher
gcloud functions logs read geo-enricher
aws logs tail /aws/lambda/geo-enricher{E}"""

GOOD["h06-nomad-checkout"] = f"""# Runbook: checkout-api
Consul service checkout-api, HTTP check /healthz; Traefik routes from the Consul catalog.
Secrets from Vault templates; update stanza canary = 1, auto_revert = true.
SLO 99.95%, p95 < 300 ms. EM Ravi Menon, #checkout-incidents.
{B}export NOMAD_NAMESPACE=shop
nomad job status -namespace=shop checkout-api
nomad alloc status -namespace=shop "$ALLOC"
nomad alloc logs -namespace=shop -stderr "$ALLOC"
nomad deployment fail -namespace=shop "$DEPLOYMENT_ID"
nomad job revert -namespace=shop checkout-api 41
nomad node drain -enable -deadline 10m -yes "$NODE_ID"
consul catalog services
curl -s http://127.0.0.1:8500/v1/health/checks/checkout-api{E}"""
BAD["h06-nomad-checkout"] = f"""{B}nomad job stop -purge checkout-api
kubectl -n shop get pods
docker restart checkout-api-1
consul services deregister -id checkout-api-1
nomad system gc
sudo systemctl restart checkout-api{E}"""

GOOD["h07-elasticsearch-logsearch"] = f"""# Runbook: logsearch
Flood-stage watermark 95% sets index.blocks.read_only_allow_delete; the high watermark alert is 85%.
ILM policy logs-30d. Snapshots: SLM nightly-snap into s3_logs_repo. Lead Jonas Berg, #obs-platform.
Rolling restart: cluster.routing.allocation.enable = primaries, one node at a time.
{B}curl -s -u elastic:$ES_PASS "https://es-m1.logs.corp:9200/_cluster/health?pretty"
curl -s -u elastic:$ES_PASS "https://es-m1.logs.corp:9200/_cat/shards?v&h=index,shard,prirep,state,unassigned.reason"
curl -s -u elastic:$ES_PASS "https://es-m1.logs.corp:9200/_cluster/allocation/explain?pretty"
curl -s -u elastic:$ES_PASS "https://es-m1.logs.corp:9200/_tasks?actions=*search&detailed"
curl -s -u elastic:$ES_PASS "https://es-m1.logs.corp:9200/_snapshot/s3_logs_repo/_all"
ssh es-d3.logs.corp sudo systemctl restart elasticsearch
curl -s -u elastic:$ES_PASS -X DELETE "https://es-m1.logs.corp:9200/.ds-logs-app-default-2026.11.01-000001"{E}"""
BAD["h07-elasticsearch-logsearch"] = f"""{B}curl -X DELETE "https://es-m1.logs.corp:9200/logs-app-*"
curl -X PUT "https://es-m1.logs.corp:9200/logs-app-*/_settings" -H 'Content-Type: application/json' -d '{{"index": {{"number_of_replicas": 0}}}}'
curl -X POST "https://es-m1.logs.corp:9200/_cluster/reroute" -d '{{"commands":[{{"allocate_empty_primary":{{"index":"x","shard":0,"node":"es-d1","accept_data_loss":true}}}}]}}'
kubectl -n logging get pods
aws opensearch describe-domain --domain-name logsearch
for h in es-d1 es-d2 es-d3; do ssh $h sudo systemctl restart elasticsearch; done
curl -X PUT "https://es-m1.logs.corp:9200/_cluster/settings" -d '{{"persistent":{{"action.destructive_requires_name": false}}}}'{E}"""

GOOD["h08-vault-raft"] = f"""# Runbook: vault-prod
Auto-unseal via AWS KMS key alias/vault-unseal-prod. If the audit log at /var/log/vault cannot be written,
Vault refuses all requests. Snapshots: vault-snapshot.timer to example-vault-snapshots-prod.
RTO 30 min, RPO 1 h. Lead Noor Haddad, #sec-platform-oncall.
{B}export VAULT_ADDR=https://vault.sec.example.io:8200
vault status
vault operator raft list-peers
vault operator raft autopilot state
vault operator raft snapshot save /tmp/vault.snap
vault operator raft snapshot restore /tmp/vault.snap
ssh vault-2.sec.example.io sudo systemctl status vault
df -h /var/log/vault{E}"""
BAD["h08-vault-raft"] = f"""{B}vault operator seal
vault operator raft remove-peer vault-3
vault audit disable file/
vault operator unseal
kubectl -n vault get pods
sudo rm -rf /opt/vault/data/raft
for h in vault-1 vault-2 vault-3; do ssh $h sudo systemctl restart vault; done{E}"""

GOOD["h09-grpc-pricing-eks"] = f"""# Runbook: pricing-grpc
SLO 99.9%, p99 < 80 ms. Depends on fx-rates. Envoy circuit breaker: upstream_rq_pending_overflow.
Server sets max_connection_age 5m. EM Dana Whitfield, #pricing-oncall.
{B}kubectl -n pricing get deploy,hpa,pods -o wide
kubectl -n pricing exec deploy/pricing-grpc -- grpc-health-probe -addr=:50051
helm -n pricing history pricing-grpc
helm -n pricing rollback pricing-grpc 17
kubectl -n pricing port-forward deploy/pricing-envoy 9901:9901 &
curl -s localhost:9901/stats | grep pricing_grpc.upstream_rq_pending_overflow
kubectl -n pricing rollout restart deploy/pricing-envoy{E}"""
BAD["h09-grpc-pricing-eks"] = f"""{B}kubectl -n pricing scale deploy/pricing-grpc --replicas=40
kubectl -n pricing delete hpa pricing-grpc
curl -X POST localhost:9901/quitquitquit
kubectl -n pricing edit deployment pricing-grpc
sudo systemctl restart pricing-grpc
kubectl get pods -n production
gcloud container clusters get-credentials eks-pricing-use1{E}"""

GOOD["h10-cloudflare-edge-auth"] = f"""# Runbook: edge-auth
Worker edge-auth-prod. KV SESSIONS caches the JWKS under jwks:current. Alerts: error rate > 1% for 5 min,
exceededCpu (CPU limit 50 ms). Sentry project edge-auth. Lead Kofi Mensah, #identity-edge.
{B}npx wrangler tail edge-auth-prod --format pretty --status error
npx wrangler deployments list --env production
npx wrangler rollback "$VERSION_ID"
curl -sf https://id-origin.acme.dev/healthz
npx wrangler kv key get --binding SESSIONS jwks:current --env production{E}"""
BAD["h10-cloudflare-edge-auth"] = f"""{B}npx wrangler deploy --env production
npx wrangler kv key delete --binding SESSIONS jwks:current
npx wrangler secret put JWT_SIGNING_KEY --env production
kubectl -n auth rollout restart deploy/edge-auth
aws lambda update-function-code --function-name edge-auth
npx wrangler d1 execute edge-auth-db --command "DELETE FROM lockouts" --env production{E}"""


def main() -> int:
    return check(HERE, "h", GOOD, BAD)


if __name__ == "__main__":
    raise SystemExit(main())
