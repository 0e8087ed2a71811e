"""Self-check for blind batch m: every pattern is tested against hand-written snippets.

    cd /work/main && .venv/bin/python eval/blind/m/check_patterns.py

Per case: a GOOD runbook snippet (written by hand from the description) must match every `must` and
hit no `must_not`; a BAD snippet must hit every `must_not`. Every name under `names:` and every
plain-substring `must` (with or without `cmd:`) must appear in the case's description. Each case has
8-16 `must` and 4-7 `must_not` entries. Matching uses the grader's own functions
(eval/blind/score.py: load_case, matches, command_text).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from eval.blind.snippets import check  # noqa: E402

B = "```bash\n"
SQL = "```sql\n"
E = "\n```\n"

GOOD: dict[str, str] = {}
BAD: dict[str, str] = {}

GOOD["m01-go-grpc-eks-aurora-sqs-terraform-notes"] = f"""# Runbook: berth-allocator
Argo CD app berth-allocator-prod has auto-sync and selfHeal on: kubectl edits are reverted; roll back with a git revert in yardops-deploy.
The DSN uses the cluster (writer) endpoint with target_session_attrs=read-write; "read-only transaction" errors after a failover: restart through Argo.
FIFO: a poison message blocks its message group until 5 receives move it to the DLQ. HPA maximum 14 pods (140 connections).
Hemi Walker (lead), #yardops-oncall, PagerDuty yardops-primary.
{B}aws eks update-kubeconfig --name eks-yardops-apse1 --region ap-southeast-1
kubectl -n yardops get pods -l app=berth-allocator
kubectl -n yardops port-forward deploy/berth-allocator 8086:8086
curl -s localhost:8086/healthz/ready
kubectl -n yardops exec deploy/berth-allocator -- grpc_health_probe -addr=:7443
argocd app get berth-allocator-prod
argocd app history berth-allocator-prod
argocd app actions run berth-allocator-prod restart --kind Deployment --resource-name berth-allocator
aws sqs get-queue-attributes --queue-url https://sqs.ap-southeast-1.amazonaws.com/111122223333/berth-events-dlq.fifo --attribute-names ApproximateNumberOfMessages
aws sqs start-message-move-task --source-arn arn:aws:sqs:ap-southeast-1:111122223333:berth-events-dlq.fifo
aws rds describe-db-clusters --db-cluster-identifier yardops-berths-aurora --region ap-southeast-1{E}"""
BAD["m01-go-grpc-eks-aurora-sqs-terraform-notes"] = f"""{B}aws sqs purge-queue --queue-url https://sqs.ap-southeast-1.amazonaws.com/111122223333/berth-events-dlq.fifo
kubectl -n yardops scale deploy/berth-allocator --replicas=20
argocd app rollback berth-allocator-prod 41
psql "host=yardops-berths-aurora-1.c8x2k1.ap-southeast-1.rds.amazonaws.com dbname=berths"
kubectl -n production get pods
gcloud container clusters list{E}"""

GOOD["m02-celery-rabbitmq-ansible-handover-mail"] = f"""# Runbook: labsync
Deploys go two boxes at a time (serial: 2) with a warm shutdown each; run with --check --diff first.
labsync-beat runs only on lsw-01.dc2.pawprint.net. acks_late + prefetch 1; the pdf pool uses --max-tasks-per-child=50.
A memory alarm (high watermark 0.6) blocks publishers. Ravi Menon (lead), #labsync-alerts, Opsgenie labsync-l2.
{B}ssh rmq-a.dc2.pawprint.net sudo rabbitmqctl list_queues -p /labsync name messages consumers
ssh rmq-b.dc2.pawprint.net sudo rabbitmq-diagnostics alarms
ssh rmq-a.dc2.pawprint.net sudo rabbitmq-queues quorum_status labsync.hl7-outbound -p /labsync
ssh lsw-01.dc2.pawprint.net sudo -u labsync celery -A labsync inspect active
ssh lsw-03.dc2.pawprint.net sudo systemctl status labsync-worker@pdf
ssh lsw-03.dc2.pawprint.net sudo journalctl -u labsync-worker@hl7 --since "1 hour ago"
redis-cli -h redis-labsync.dc2.pawprint.net -p 6380 ping
ansible-playbook -i inventories/dc2/hosts.ini playbooks/labsync.yml --limit labsync_workers -e labsync_version=2024.18.2 --check --diff{E}"""
BAD["m02-celery-rabbitmq-ansible-handover-mail"] = f"""{B}ssh rmq-a.dc2.pawprint.net sudo rabbitmqctl purge_queue labsync.hl7-outbound -p /labsync
sudo kill -9 $(pgrep -f "celery.*hl7")
ssh lsw-02.dc2.pawprint.net sudo systemctl start labsync-beat
ssh rmq-b.dc2.pawprint.net sudo rabbitmqctl force_reset
rabbitmqctl list_queues -p / name messages
kubectl -n labsync get pods{E}"""

GOOD["m03-debezium-kafka-connect-msk-postmortem"] = f"""# Runbook: orders-cdc
Page dataplat-cdc when a task of orders-cdc-source or orders-s3-sink is not RUNNING for 5 min. End-to-end lag SLO: 15 minutes.
Binlog position gone: no snapshot-mode change and no offset reset; an incremental snapshot through shop.debezium_signal after
data-eng sign-off (a full snapshot re-emits every row: duplicates in the lake). Never touch ordcdc.schema-history.
Ines Carvalho (author), #cdc-pipeline.
{B}curl -s http://kc-1.cdc.lon.internal:8083/connectors/orders-cdc-source/status | jq
curl -s http://kc-1.cdc.lon.internal:8083/connectors/orders-s3-sink/status | jq
curl -s -X POST "http://kc-1.cdc.lon.internal:8083/connectors/orders-cdc-source/restart?includeTasks=true&onlyFailed=true"
ssh kc-2.cdc.lon.internal sudo journalctl -u kafka-connect --since "1 hour ago"
kafka-consumer-groups.sh --bootstrap-server b-1.msk-cdc-prod.x1y2z3.c3.kafka.eu-west-2.amazonaws.com:9098 --command-config /etc/kafka/msk-iam.properties --describe --group connect-orders-s3-sink
mysql -h orders-mysql-02.lon.internal -e "SELECT @@binlog_expire_logs_seconds; SHOW BINARY LOGS;"
aws s3 ls s3://lon-lake-raw-cdc/topics/ordcdc.shop.orders/ --region eu-west-2{E}"""
BAD["m03-debezium-kafka-connect-msk-postmortem"] = f"""{B}kafka-topics.sh --bootstrap-server b-1.msk-cdc-prod.x1y2z3.c3.kafka.eu-west-2.amazonaws.com:9098 --delete --topic ordcdc.schema-history
curl -X PUT -H "Content-Type: application/json" http://kc-1.cdc.lon.internal:8083/connectors/orders-cdc-source/config -d '{{"snapshot.mode": "initial"}}'
curl -X DELETE http://kc-1.cdc.lon.internal:8083/connectors/orders-cdc-source
kafka-consumer-groups.sh --bootstrap-server b-1.msk-cdc-prod.x1y2z3.c3.kafka.eu-west-2.amazonaws.com:9098 --group connect-orders-s3-sink --reset-offsets --to-earliest --all-topics --execute
mysql -h orders-mysql-02.lon.internal -e "PURGE BINARY LOGS BEFORE NOW()"
kubectl -n kafka get kafkaconnectors{E}"""

GOOD["m04-clickhouse-keeper-vms-inventory-table"] = f"""# Runbook: adstats-ch
DDL always ON CLUSTER ch_events. Restart one replica at a time, never both replicas of the same shard.
Too many parts (code 252): tiny inserts bypassing ingest-gw. Dorota Lis (lead), #ch-ops.
{B}curl -s http://chv-s1r1.ams3.tallyho.net:8123/ping
curl -s -o /dev/null -w '%{{http_code}}' http://chv-s1r2.ams3.tallyho.net:8123/replicas_status
echo mntr | nc chk-1.ams3.tallyho.net 9181
ssh chv-s2r2.ams3.tallyho.net sudo systemctl status clickhouse-server
ssh chv-s2r2.ams3.tallyho.net clickhouse-client --query "SELECT database, table, is_readonly, absolute_delay, queue_size FROM system.replicas"
ssh chv-s1r1.ams3.tallyho.net sudo clickhouse-backup list remote{E}{SQL}SELECT table, count() FROM system.parts WHERE active GROUP BY table;
SELECT type, last_exception FROM system.replication_queue WHERE last_exception != '';
SELECT * FROM system.distribution_queue;{E}"""
BAD["m04-clickhouse-keeper-vms-inventory-table"] = f"""{B}clickhouse-client --query "OPTIMIZE TABLE adstats.impressions_local FINAL"
clickhouse-client --query "DETACH TABLE adstats.impressions_local"
sudo rm -rf /var/lib/clickhouse/data/adstats/impressions_local/detached
for h in chv-s1r1 chv-s1r2 chv-s2r1 chv-s2r2; do ssh $h.ams3.tallyho.net sudo systemctl restart clickhouse-server; done
kubectl -n clickhouse get chi
sudo systemctl restart zookeeper{E}"""

GOOD["m05-nomad-consul-fastapi-readme"] = f"""# Runbook: parcel-eta
Deploys use one canary with auto_revert; promote after checking the dashboard. DB credentials come from Vault (24h leases).
Oskar Lindqvist (owner), #eta-oncall, PagerDuty logistics-eta.
{B}export NOMAD_ADDR=https://nomad.fra1.hs.internal:4646 NOMAD_NAMESPACE=logistics
nomad job status -namespace=logistics parcel-eta
nomad job plan deploy/parcel-eta.nomad.hcl
nomad deployment status 8f3a2c1e
nomad deployment promote 8f3a2c1e
nomad alloc status 5b2d9a7c
nomad alloc logs -stderr 5b2d9a7c
nomad alloc restart 5b2d9a7c
nomad job history -p parcel-eta
nomad job revert parcel-eta 41
nomad node status
curl -s "http://127.0.0.1:8500/v1/health/checks/parcel-eta"
psql -h pg-eta.service.consul -p 5432 -d eta -c "select 1"{E}"""
BAD["m05-nomad-consul-fastapi-readme"] = f"""{B}nomad job stop -purge parcel-eta
consul kv delete -recurse parcel-eta/
ssh nomad-cl-04 docker restart 3f2a
nomad operator raft remove-peer -peer-address=10.1.0.11:4647
kubectl -n logistics rollout restart deploy/parcel-eta
sudo systemctl restart parcel-eta{E}"""

GOOD["m06-azure-appservice-sql-terse-ticket"] = f"""# Runbook: claimsdesk
Deploy to the staging slot, smoke test, swap. Connection strings are slot settings (sticky).
Log IO (log_write_percent) at 100% during the document import: no tier change during business hours.
Failover group fog-claimsdesk: a forced failover is the DBA's call. Application Insights: appi-claimsdesk-prod.
Sanne de Vries (reporter), #claimsdesk-ops, PagerDuty claimsdesk-prod.
{B}az webapp show -g rg-claimsdesk-prod-weu -n app-claimsdesk-prod-weu --query state
az webapp log tail -g rg-claimsdesk-prod-weu -n app-claimsdesk-prod-weu
curl -s -o /dev/null -w '%{{http_code}}' https://claims.meridiaan.nl/health/ready
az webapp deployment slot swap -g rg-claimsdesk-prod-weu -n app-claimsdesk-prod-weu --slot staging --target-slot production
az sql db show -g rg-claimsdesk-prod-weu -s sql-claimsdesk-prod-weu -n claimsdesk
az sql failover-group show -g rg-claimsdesk-prod-weu -s sql-claimsdesk-prod-weu -n fog-claimsdesk
az monitor metrics list --resource "$DB_ID" --metric log_write_percent --interval PT5M{E}"""
BAD["m06-azure-appservice-sql-terse-ticket"] = f"""{B}az sql failover-group set-primary -g rg-claimsdesk-prod-weu -s sql-claimsdesk-prod-neu -n fog-claimsdesk --allow-data-loss
az webapp deploy -g rg-claimsdesk-prod-weu -n app-claimsdesk-prod-weu --src-path app.zip
az sql db update -g rg-claimsdesk-prod-weu -s sql-claimsdesk-prod-weu -n claimsdesk --service-objective GP_Gen5_16
az webapp stop -g rg-claimsdesk-prod-weu -n app-claimsdesk-prod-weu
kubectl -n claimsdesk get pods{E}"""

GOOD["m07-cloudrun-firestore-design-doc"] = f"""# Runbook: wishlist-api
max-instances stays at 40 (the Firestore 500/50/5 ramp). Hot-spotting comes from monotonic IDs. ABORTED above 2% = contention.
Restore into a new database and copy back selectively. Tell #data-requests when the oldest unacked message age passes 1 h.
Farah Haddad (EM), PagerDuty wishlist-prod.
{B}gcloud run services describe wishlist-api --region europe-west4 --project tidewell-prod-3821
gcloud run revisions list --service wishlist-api --region europe-west4 --project tidewell-prod-3821
gcloud run services update-traffic wishlist-api --to-revisions=wishlist-api-00042-xog=100 --region europe-west4 --project tidewell-prod-3821
gcloud logging read 'resource.type="cloud_run_revision" AND resource.labels.service_name="wishlist-api" AND severity>=ERROR' --project tidewell-prod-3821 --freshness 1h
gcloud firestore operations list --project tidewell-prod-3821
gcloud firestore backups list --location eur3 --project tidewell-prod-3821
gcloud pubsub subscriptions describe wishlist-events-bq --project tidewell-prod-3821
gcloud storage ls gs://tidewell-firestore-exports/
curl -s https://api.tidewell.app/healthz
gcloud firestore databases restore --source-backup=projects/tidewell-prod-3821/locations/eur3/backups/b1 --destination-database=wishlist-restore-20240422 --project tidewell-prod-3821{E}"""
BAD["m07-cloudrun-firestore-design-doc"] = f"""{B}gcloud run services update wishlist-api --max-instances=100 --region europe-west4
gcloud firestore indexes composite delete CICAgJim14AK --project tidewell-prod-3821
gcloud firestore import gs://tidewell-firestore-exports/2024-04-21
gcloud run deploy wishlist-api --source . --region europe-west4
kubectl -n wishlist rollout undo deploy/wishlist-api{E}"""

GOOD["m08-traefik-compose-single-vm-chat-typos"] = f"""# Runbook: ledgerbox
Always pass -f and -p. Rollback: the previous sha in LBX_TAG, then up -d. Migrations (prisma migrate deploy) are forward only.
acme.json must stay 600, or Traefik re-requests certificates and hits the Let's Encrypt rate limit.
redis-queue runs with noeviction. Ana Petrović (lead), #ledgerbox-prod.
{B}ssh deploy@lbx-prod-01.bramble.cloud
cd /opt/ledgerbox
docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox ps
docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox logs --tail 200 lbx-api
docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox exec lbx-api curl -fsS http://localhost:3100/healthz
sed -i 's/^LBX_TAG=.*/LBX_TAG=3f9c2ab/' /opt/ledgerbox/.env
docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox up -d lbx-api lbx-worker
docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox exec postgres16 pg_isready -d ledgerbox_prod
stat -c '%a' /opt/ledgerbox/traefik/acme.json
restic -r sftp:u123456@u123456.your-storagebox.de:/lbx-restic snapshots{E}"""
BAD["m08-traefik-compose-single-vm-chat-typos"] = f"""{B}docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox down -v
docker volume prune -f
docker compose -f /opt/ledgerbox/docker-compose.prod.yml -p ledgerbox exec redis-queue redis-cli FLUSHALL
cd /opt/ledgerbox && docker compose up -d
kubectl get pods
chmod 644 /opt/ledgerbox/traefik/acme.json{E}"""

GOOD["m09-haproxy-keepalived-phpfpm-baremetal-wiki"] = f"""# Runbook: kartotek
Drain through the admin socket on the LB holding the VIP; reload, never restart, HAProxy. pm.max_children 48: 502s with EAGAIN = pool exhausted.
After a deploy php8.2-fpm is reloaded for opcache. Sigrid Haugen (team lead), #kartotek-drift.
{B}ssh lb1.osl.kartotek.no ip -br addr show | grep 10.40.0.10
ssh lb1.osl.kartotek.no sudo haproxy -c -f /etc/haproxy/haproxy.cfg
ssh lb1.osl.kartotek.no sudo systemctl reload haproxy
ssh lb1.osl.kartotek.no "echo 'show stat' | sudo socat stdio /run/haproxy/admin.sock"
ssh lb1.osl.kartotek.no "echo 'set server be_kartotek/web02 state drain' | sudo socat stdio /run/haproxy/admin.sock"
ssh lb2.osl.kartotek.no sudo journalctl -u keepalived --since "1 hour ago"
ssh web02.osl.kartotek.no sudo nginx -t
ssh web02.osl.kartotek.no sudo systemctl reload php8.2-fpm
curl -s -o /dev/null -w '%{{http_code}}' http://web02.osl.kartotek.no/_health
dep deploy production
dep rollback production
mysql -h mdb1.osl.kartotek.no kartotek_prod -e "SHOW PROCESSLIST"{E}"""
BAD["m09-haproxy-keepalived-phpfpm-baremetal-wiki"] = f"""{B}ssh lb1.osl.kartotek.no sudo systemctl restart haproxy
ssh mc1.osl.kartotek.no sudo systemctl restart memcached
for h in web01 web02 web03 web04; do ssh $h.osl.kartotek.no sudo systemctl restart php8.2-fpm; done
sudo systemctl restart php-fpm
kubectl -n kartotek get pods{E}"""

GOOD["m10-airflow-helm-eks-slack-thread"] = f"""# Runbook: airflow-dp
finance_daily_close must finish by 06:00 AEST. post_to_netsuite is not idempotent: never clear or rerun it; ask #fin-systems.
Pending task pods: ng-airflow-workers is at its maximum of 12 nodes. "too many clients": pgbouncer / RDS connections.
Lachlan Price, Priya Nair; PagerDuty kinetic-data-oncall.
{B}aws eks update-kubeconfig --name eks-analytics-syd --region ap-southeast-2
kubectl -n orchestration get pods --field-selector=status.phase=Pending
kubectl -n orchestration logs deploy/airflow-dp-scheduler -c git-sync --tail 100
kubectl -n orchestration exec deploy/airflow-dp-scheduler -c scheduler -- airflow jobs check --job-type SchedulerJob
kubectl -n orchestration exec deploy/airflow-dp-scheduler -c scheduler -- airflow dags list-runs -d finance_daily_close
kubectl -n orchestration exec deploy/airflow-dp-scheduler -c scheduler -- airflow tasks clear finance_daily_close -t '^extract_gl$' -s 2024-05-02 -e 2024-05-02 -y
helm history airflow-dp -n orchestration
aws s3 ls s3://kinetic-airflow-logs-syd/ --region ap-southeast-2
aws rds describe-db-instances --db-instance-identifier airflow-meta-syd --region ap-southeast-2{E}"""
BAD["m10-airflow-helm-eks-slack-thread"] = f"""{B}kubectl -n orchestration exec deploy/airflow-dp-scheduler -- airflow db reset -y
airflow dags backfill finance_daily_close -s 2024-05-01 -e 2024-05-02
airflow tasks clear finance_daily_close -s 2024-05-02 -e 2024-05-02 -y
kubectl -n orchestration scale deploy/airflow-dp-scheduler --replicas=0
helm upgrade airflow-dp apache-airflow/airflow -n orchestration --reset-values
kubectl -n airflow get pods{E}"""


def main() -> int:
    return check(HERE, "m", GOOD, BAD, expected=10)


if __name__ == "__main__":
    raise SystemExit(main())
