"""Self-check for blind batch l: every pattern is tested against hand-written snippets.

    cd /work/main && .venv/bin/python eval/blind/l/check_patterns.py

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

GOOD["l01-node-pm2-alb-terse"] = f"""# Runbook: quoteflow-api
Deploy one box at a time: deregister it from target group qf-api-tg, wait for draining (30 s), pm2 reload, check.
PM2 restarts a process above max_memory_restart (900M). PDF rendering blocks the event loop: p95 > 300 ms, 502s.
Connections: 3 x 4 x 20 = 240 of max_connections 300. Tomasz Wieczorek (lead), #pricing-oncall, PagerDuty quoteflow-prod.
{B}ssh qf-api-1.prod.internal
sudo -u deploy pm2 ls
sudo -u deploy pm2 logs quoteflow-api --lines 200
sudo systemctl status pm2-deploy
curl -s -o /dev/null -w '%{{http_code}}' http://localhost:3000/healthz
aws elbv2 describe-target-health --target-group-arn "$TG_ARN" --region eu-west-2
sudo -u deploy pm2 reload quoteflow-api
aws rds describe-db-instances --db-instance-identifier qf-prod-mysql --region eu-west-2
mysql -h qf-prod-mysql.abc123.eu-west-2.rds.amazonaws.com -u ops -p quoteflow -e "SHOW PROCESSLIST"{E}"""
BAD["l01-node-pm2-alb-terse"] = f"""{B}pm2 restart all
pm2 delete quoteflow-api && pm2 kill
docker restart quoteflow-api
aws ecs update-service --cluster qf --service quoteflow-api --force-new-deployment
sudo systemctl restart quoteflow-api
nohup node /srv/quoteflow/server.js &{E}"""

GOOD["l02-springboot-gke-cloudsql-pubsub-card"] = f"""# Runbook: ledger-sync
Backlog alert: oldest_unacked_message_age > 300 s. Handlers are idempotent on event_id, so redelivery is safe.
HikariCP pool 20 per pod; the HPA maximum is 12 pods (240 connections of 400). Cloud SQL Auth Proxy sidecar.
Replay the DLQ with scripts/dlq-replay.sh after fixing the cause. Chiara Benedetti, #ledger-ops, PagerDuty ledger-core.
{B}gcloud container clusters get-credentials gke-core-prod --region europe-west1 --project acme-ledger-prod
kubectl -n ledger get pods -l app=ledger-sync
kubectl -n ledger rollout status deployment/ledger-sync
kubectl -n ledger get hpa ledger-sync
kubectl -n ledger exec deploy/ledger-sync -c app -- curl -s localhost:8081/actuator/health/readiness
gcloud pubsub subscriptions describe ledger-sync-sub --project acme-ledger-prod
gcloud pubsub subscriptions pull ledger-events-dlq-sub --limit 5 --project acme-ledger-prod
gcloud sql instances describe ledger-mysql-prod --project acme-ledger-prod
gcloud deploy targets rollback prod --delivery-pipeline=ledger-sync-pipeline --region=europe-west1
./scripts/dlq-replay.sh --limit 500{E}"""
BAD["l02-springboot-gke-cloudsql-pubsub-card"] = f"""{B}gcloud pubsub subscriptions delete ledger-events-dlq-sub
gcloud pubsub subscriptions seek ledger-events-dlq-sub --time=2030-01-01T00:00:00Z
kubectl -n ledger patch hpa ledger-sync -p '{{"spec":{{"maxReplicas":30}}}}'
kubectl -n ledger edit deployment ledger-sync
kubectl -n ledger-sync get pods
aws sqs list-queues
kafka-consumer-groups --bootstrap-server kafka:9092 --describe --group ledger-sync{E}"""

GOOD["l03-k8s-cronjob-s3-handover"] = f"""# Runbook: invoice-export
concurrencyPolicy: Forbid, so never two runs. Files plus _SUCCESS by 05:30 UTC. Source: billing-pg-replica-1 only.
Exit code 3 = replica lag over 10 min: wait and re-run. OOMKilled at month-end: raise the limit in the repo.
AccessDenied on PutObject: check the IRSA role invoice-export-irsa trust policy.
Priya Raman (owner), #billing-batch-alerts, PagerDuty billing-platform.
{B}aws eks update-kubeconfig --name fin-eks-prod --region us-east-1
kubectl -n billing-batch get cronjob invoice-export
kubectl -n billing-batch get jobs --sort-by=.metadata.creationTimestamp
kubectl -n billing-batch logs job/invoice-export-28471234
kubectl -n billing-batch create job --from=cronjob/invoice-export invoice-export-rerun-$(date +%s) --dry-run=client -o yaml > rerun.yaml
kubectl -n billing-batch create -f rerun.yaml
kubectl -n billing-batch patch cronjob invoice-export -p '{{"spec":{{"suspend":true}}}}'
aws s3 ls s3://acme-invoice-exports-prod/daily/dt=2024-05-01/{E}
Set EXPORT_DATE=2024-05-01 in rerun.yaml before creating it."""
BAD["l03-k8s-cronjob-s3-handover"] = f"""{B}aws s3 rm s3://acme-invoice-exports-prod/daily/dt=2024-05-01/ --recursive
psql -h billing-pg-primary.abc.us-east-1.rds.amazonaws.com -d billing
kubectl -n billing-batch delete cronjob invoice-export
kubectl -n billing-batch rollout restart cronjob/invoice-export
crontab -e
kubectl -n billing-batch patch cronjob invoice-export -p '{{"spec":{{"concurrencyPolicy":"Allow"}}}}'
kubectl -n billing-batch edit cronjob invoice-export{E}"""

GOOD["l04-postgres-pair-pgbackrest-paragraph"] = f"""# Runbook: orders-db
Replay lag > 60 s pages. pg_wal above 70 %: fix archiving or the standby; the slot pg_orders_02 holds WAL.
Failover: fence pg-orders-01 first (stop the unit or power off via iDRAC), promote, repoint the CNAME
orders-db.ams.internal. Never promote without fencing: split brain. RPO 5 min, RTO 30 min.
Marek Novák (lead), #dbre, Opsgenie dbre-primary.
{B}ssh backup-01.ams.internal sudo -u pgbackrest pgbackrest --stanza=orders info
ssh pg-orders-01.ams.internal sudo -u postgres pgbackrest --stanza=orders check
ssh pg-orders-01.ams.internal sudo systemctl status postgresql@15-main
ssh pg-orders-02.ams.internal sudo -u postgres psql -c "SELECT pg_promote();"
ssh pg-orders-01.ams.internal sudo -u postgres pgbackrest --stanza=orders --delta --type=standby restore{E}{SQL}SELECT client_addr, state, replay_lag FROM pg_stat_replication;
SELECT archived_count, failed_count, last_failed_wal FROM pg_stat_archiver;
SELECT slot_name, active, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) FROM pg_replication_slots;{E}"""
BAD["l04-postgres-pair-pgbackrest-paragraph"] = f"""{B}sudo rm -f /var/lib/pgsql/15/data/pg_wal/0000000100000A2B000000*
sudo -u postgres pgbackrest --stanza=orders expire
patronictl -c /etc/patroni.yml failover
kubectl -n db get pods
sudo -u postgres pg_resetwal -f /var/lib/pgsql/15/data{E}{SQL}SELECT pg_drop_replication_slot('pg_orders_02');{E}"""

GOOD["l05-django-gunicorn-eks-readme"] = f"""# Runbook: atlas-web
WORKER TIMEOUT with ALB 502/504: a slow report query hit the 30 s timeout; cancel it (pg_cancel_backend), don't raise it.
Always through RDS Proxy atlas-prod-proxy: 30 pods x 32 would exceed max_connections (800).
A release stuck in pending-upgrade: helm history, then roll back to the last deployed revision.
Rosa Delgado (EM), #atlas-eng, PagerDuty atlas-oncall.
{B}aws eks update-kubeconfig --name platform-prod-use1 --region us-east-1
kubectl -n atlas get pods -l app.kubernetes.io/name=atlas-web
kubectl -n atlas logs deploy/atlas-web --since=15m | grep -c "WORKER TIMEOUT"
kubectl -n atlas exec deploy/atlas-web -- python manage.py showmigrations
helm history atlas-web -n atlas
helm rollback atlas-web 41 -n atlas
aws rds describe-db-instances --db-instance-identifier atlas-prod-pg --region us-east-1
aws elasticache describe-replication-groups --replication-group-id atlas-prod-redis --region us-east-1{E}"""
BAD["l05-django-gunicorn-eks-readme"] = f"""{B}redis-cli -h master.atlas-prod-redis.abc.use1.cache.amazonaws.com FLUSHALL
kubectl -n atlas exec deploy/atlas-web -- python manage.py migrate billing 0042
kubectl -n atlas set image deployment/atlas-web web=atlas-web:prev
sudo systemctl restart gunicorn
kubectl -n atlas rollout restart deploy/atlas-celery && celery -A atlas inspect active
kubectl -n atlas set env deploy/atlas-web DATABASE_URL=postgres://app:x@atlas-prod-pg.c9x.us-east-1.rds.amazonaws.com/atlas
kubectl -n production get pods{E}"""

GOOD["l06-mosquitto-mqtt-postmortem"] = f"""# Runbook: voltgrid-mqtt
After a cert change check that the full chain (leaf + intermediate) is served. Reload, never restart, for config and certs.
Upgrades: standby first, then move the VIP (stop keepalived on the active). Moving the VIP drops persistent sessions;
expect a reconnect storm; LimitNOFILE is 262144. mosquitto.db holds the retained tariff config: never delete it.
ConnectedClientsDrop pages on a 10% drop. Sven Olsen (owner), #iot-platform, Opsgenie iot-oncall.
{B}openssl s_client -connect mqtt.voltgrid.io:8883 -servername mqtt.voltgrid.io -showcerts </dev/null
ssh mqtt-a.iot.prod.lan sudo systemctl reload mosquitto
ssh mqtt-a.iot.prod.lan sudo journalctl -u telemetry-bridge --since "30 min ago"
mosquitto_sub -h mqtt-a.iot.prod.lan -p 8883 --cafile /etc/ssl/voltgrid-ca.pem -u ops -P "$PW" -t '$SYS/broker/clients/connected' -C 1
ssh mqtt-b.iot.prod.lan sudo systemctl stop keepalived{E}"""
BAD["l06-mosquitto-mqtt-postmortem"] = f"""{B}sudo rm -f /var/lib/mosquitto/mosquitto.db
ansible mqtt -m service -a "name=mosquitto state=restarted"
mosquitto_pub -h mqtt-a.iot.prod.lan -t 'chargers/+/config' -r -n
kubectl -n iot rollout restart deploy/mosquitto
emqx_ctl clients list{E}"""

GOOD["l07-solrcloud-zookeeper-wiki"] = f"""# Runbook: shopsearch
Apps query the alias "products", currently products_v7. Restart one node at a time, waiting for all replicas active.
ZooKeeper quorum lost: queries still served, updates rejected. Replicas recovering after long GC pauses: REQUESTRECOVERY.
Page: query p99 > 250 ms. Anneliese Vogt (lead), #search-oncall, PagerDuty search-prod.
{B}curl -s "http://solr-1.search.eu1.internal:8983/solr/admin/collections?action=CLUSTERSTATUS" | jq '.cluster.collections'
curl -s "http://solr-1.search.eu1.internal:8983/solr/admin/collections?action=LISTALIASES"
for h in zk-1.search.eu1.internal zk-2.search.eu1.internal zk-3.search.eu1.internal; do echo srvr | nc $h 2181 | grep Mode; done
ssh solr-2.search.eu1.internal sudo systemctl restart solr
ssh solr-2.search.eu1.internal sudo tail -n 200 /var/solr/logs/solr.log
curl -s "http://solr-1.search.eu1.internal:8983/solr/admin/collections?action=BACKUP&name=products_v7-20240502&collection=products_v7&location=/mnt/solr-backups"{E}"""
BAD["l07-solrcloud-zookeeper-wiki"] = f"""{B}curl "http://solr-1.search.eu1.internal:8983/solr/admin/collections?action=DELETE&name=products_v7"
ssh zk-2.search.eu1.internal sudo rm -rf /var/lib/zookeeper/version-2
bin/solr zk rm -r /solr -z zk-1.search.eu1.internal:2181
for h in solr-1 solr-2 solr-3 solr-4; do ssh $h sudo systemctl restart solr; done
kubectl -n search get pods
curl -s http://solr-1.search.eu1.internal:8983/_cluster/health{E}"""

GOOD["l08-phoenix-flyio-slack-thread"] = f"""# Runbook: hearth-prod
Deploys run release_command /app/bin/migrate first. Rollback = deploy the previous image; migrations are not rolled back.
Nodes cluster with libcluster on hearth-prod.internal. Background jobs are Oban; the payouts queue is the money one.
Dami Okafor, #eng-fires. Target 99.9%.
{B}fly status -a hearth-prod
fly logs -a hearth-prod
fly releases -a hearth-prod --image
fly deploy -a hearth-prod --image registry.fly.io/hearth-prod:deployment-01HXYZ
fly ssh console -a hearth-prod -C "/app/bin/hearth remote"
fly postgres connect -a hearth-db
fly volumes list -a hearth-db
curl -fsS https://app.hearthstudios.com/healthz{E}"""
BAD["l08-phoenix-flyio-slack-thread"] = f"""{B}fly ssh console -a hearth-prod -C "mix ecto.migrate"
fly apps destroy hearth-db
fly machine destroy 148e21 -a hearth-db --force
heroku ps -a hearth-prod
fly scale count 1 -a hearth-db
fly secrets set PRIMARY_REGION=lhr -a hearth-prod{E}"""

GOOD["l09-bind-unbound-inventory-notes"] = f"""# Runbook: kestrel-dns
Bump the serial on every change. svc.kestrel.lan is dynamic (journal): freeze, edit, thaw.
SOA expire is 14 days: a dead ns0 is a ticket. Gwen Ashford (owner), #netops, Opsgenie netops-dns.
{B}ssh ns0.kestrel.lan sudo named-checkzone kestrel.lan /var/named/kestrel.lan.zone
ssh ns0.kestrel.lan sudo rndc reload kestrel.lan
ssh ns0.kestrel.lan sudo rndc freeze svc.kestrel.lan
ssh ns0.kestrel.lan sudo rndc thaw svc.kestrel.lan
ssh ns1.kestrel.lan sudo rndc retransfer kestrel.lan
for ns in ns0.kestrel.lan ns1.kestrel.lan ns2.kestrel.lan; do dig +short @$ns kestrel.lan SOA; done
ssh res1.kestrel.lan sudo unbound-control flush_zone kestrel.lan
ssh res1.kestrel.lan sudo unbound-control flush_bogus
ssh res2.kestrel.lan sudo unbound-control stats_noreset
ssh ns1.kestrel.lan sudo journalctl -u named --since "1 hour ago"{E}"""
BAD["l09-bind-unbound-inventory-notes"] = f"""{B}ssh ns0.kestrel.lan sudo rm /var/named/dynamic/svc.kestrel.lan.jnl
ssh res1.kestrel.lan "echo 'domain-insecure: \\".\\"' | sudo tee -a /etc/unbound/unbound.conf"
ansible resolvers -b -m service -a "name=unbound state=restarted"
ssh ns1.kestrel.lan sudo vi /var/named/slaves/kestrel.lan.zone
aws route53 list-hosted-zones
pdnsutil list-all-zones
sudo systemctl restart bind9{E}"""

GOOD["l10-kinesis-firehose-handover-email"] = f"""# Runbook: clickstream-pipeline
Stream retention is 48 hours. Page on IteratorAge > 60000 ms, WriteProvisionedThroughputExceeded > 0, DataFreshness > 900 s.
Throttling: check reserved concurrency (50). Bisect sends a poison record to the failure queue; replay with
tools/replay_failures.py. Never recreate the mapping: LATEST would skip the stream. Nadia Rahman, #data-platform-oncall.
{B}aws kinesis describe-stream-summary --stream-name clickstream-raw --region eu-central-1
aws lambda list-event-source-mappings --function-name clickstream-enricher --region eu-central-1
aws lambda get-function-concurrency --function-name clickstream-enricher --region eu-central-1
aws firehose describe-delivery-stream --delivery-stream-name clickstream-to-s3 --region eu-central-1
aws s3 ls s3://kc-analytics-lake-prod/clickstream-errors/ --recursive | tail
aws sqs get-queue-attributes --queue-url https://sqs.eu-central-1.amazonaws.com/123456789012/clickstream-enricher-failures --attribute-names ApproximateNumberOfMessages
python tools/replay_failures.py --queue clickstream-enricher-failures --max 1000
aws kinesis update-shard-count --stream-name clickstream-raw --target-shard-count 16 --scaling-type UNIFORM_SCALING{E}"""
BAD["l10-kinesis-firehose-handover-email"] = f"""{B}aws kinesis decrease-stream-retention-period --stream-name clickstream-raw --retention-period-hours 24
aws lambda delete-event-source-mapping --uuid 1a2b3c
aws sqs purge-queue --queue-url https://sqs.eu-central-1.amazonaws.com/123456789012/clickstream-enricher-failures
aws s3 rm s3://kc-analytics-lake-prod/clickstream-errors/ --recursive
aws kinesis update-shard-count --stream-name clickstream-raw --target-shard-count 32 --scaling-type UNIFORM_SCALING
kafka-console-consumer --bootstrap-server localhost:9092 --topic clickstream-raw{E}"""


def main() -> int:
    return check(HERE, "l", GOOD, BAD, expected=10)


if __name__ == "__main__":
    raise SystemExit(main())
