"""Self-check for blind batch i: every pattern is tested against hand-written snippets.

    cd /work/main && .venv/bin/python eval/blind/i/check_patterns.py

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
PS = "```powershell\n"
SQL = "```sql\n"
E = "\n```\n"

GOOD: dict[str, str] = {}
BAD: dict[str, str] = {}

GOOD["i01-nats-jetstream-k3s"] = f"""# Runbook: telemetry-bus
NATS JetStream on k3s. Streams TELEMETRY (max_age 72h) and ALARMS (30 days), R3. Consumer historian-writer.
Alerts: num_pending > 200000 for 15 min; JetStream storage > 85%. Chart applied by Fleet bundle nats-lyon.
Owner Camille Girard, #ot-platform, Opsgenie ot-platform-oncall.
{B}kubectl --context plant-lyon -n nats-system get pods -o wide
kubectl --context plant-lyon -n nats-system exec -it deploy/nats-box -- nats stream info TELEMETRY
kubectl -n nats-system exec -it deploy/nats-box -- nats consumer info TELEMETRY historian-writer
kubectl -n nats-system exec -it deploy/nats-box -- nats stream cluster step-down TELEMETRY
kubectl -n nats-system port-forward pod/nats-0 8222:8222 &
curl -s "http://localhost:8222/healthz?js-enabled-only=true"
ssh lyon-k3s-02 sudo k3s crictl rmi --prune
ssh lyon-k3s-02 sudo systemctl status k3s
helm -n nats-system status nats{E}"""
BAD["i01-nats-jetstream-k3s"] = f"""{B}kubectl -n nats-system exec deploy/nats-box -- nats stream purge TELEMETRY -f
kubectl -n nats-system exec deploy/nats-box -- nats consumer rm TELEMETRY historian-writer -f
kubectl -n nats-system exec deploy/nats-box -- nats server raft peer-remove nats-2
kubectl -n nats-system delete pvc nats-js-nats-2
kubectl -n nats-system scale sts nats --replicas=1
helm -n nats-system upgrade nats nats/nats -f values.yaml
aws eks update-kubeconfig --name plant-lyon{E}"""

GOOD["i02-memcached-mcrouter"] = f"""# Runbook: catalog-cache
mcrouter marks dead boxes TKO; misses go to catalog-db. Hit ratio normally 96-98%; page below 80%.
Connection limit 8192 (-c 8192); watch curr_connections and listen_disabled_num.
Restart memcached one node at a time and wait 30 min between nodes. Lead Aoife Byrne, #commerce-infra.
{B}echo stats | nc mc-03.cache.acmeretail.net 11211 | grep -E 'curr_connections|listen_disabled_num'
for h in mc-0{{1..6}}.cache.acmeretail.net; do echo "== $h"; echo stats | nc -q1 $h 11211 | grep get_hits; done
echo "stats servers" | nc 127.0.0.1 5000
sudo systemctl restart mcrouter
ssh mc-03.cache.acmeretail.net sudo systemctl restart memcached{E}"""
BAD["i02-memcached-mcrouter"] = f"""{B}echo flush_all | nc mc-01.cache.acmeretail.net 11211
redis-cli -h mc-01 INFO stats
aws elasticache describe-cache-clusters --cache-cluster-id catalog-cache
kubectl -n cache rollout restart deploy/memcached
for h in mc-01 mc-02 mc-03 mc-04 mc-05 mc-06; do ssh $h sudo systemctl restart memcached; done{E}"""

GOOD["i03-minio-baremetal"] = f"""# Runbook: objstore-prod
Erasure set of 32 drives, EC:4. media-masters has object lock (GOVERNANCE, 1 year).
Alert: usable free < 15%. RequestTimeTooSkewed means clock skew. Lead Jens Halvorsen, #storage-ops.
{B}mc admin info prod
curl -s -o /dev/null -w '%{{http_code}}' http://mio-01.s3.nordlicht.lan:9000/minio/health/cluster
curl -sf http://mio-02.s3.nordlicht.lan:9000/minio/health/live
ssh mio-03.s3.nordlicht.lan chronyc tracking
ssh mio-03.s3.nordlicht.lan sudo journalctl -u minio --since "1 hour ago"
sudo mkfs.xfs -L DISK5 /dev/sdf
sudo mount -a
mc admin update prod{E}"""
BAD["i03-minio-baremetal"] = f"""{B}sudo rm -rf /mnt/disk5/.minio.sys
sudo mount /dev/sdf /mnt/disk5
mc rb --force prod/media-masters
mc retention clear prod/media-masters --recursive
mc admin service stop prod
kubectl -n minio get pods{E}"""

GOOD["i04-keycloak-openshift"] = f"""# Runbook: sso-prod
Keycloak CR sso, operator-owned; GitOps app iam-sso-prod; realms via keycloak-config-cli.
Infinispan owners=2: restart one pod at a time and wait for ISPN000094 (new cluster view, 3 members).
db-pool-max-size=100 per pod vs max_connections 400. SLO 99.95%. Lead Katharina Brandt, #iam-ops, IAM-PLATFORM-L2.
{B}oc -n iam-prod get keycloak sso -o yaml
oc -n iam-prod get pods -l app=keycloak
oc -n iam-prod logs sso-1 --tail=500 | grep -E 'ISPN|acquisition'
oc -n iam-prod port-forward pod/sso-0 9000:9000 &
curl -s http://localhost:9000/health/ready
psql -h iam-pg.db.example-insure.de -U kc_monitor -d keycloak -c "select count(*) from pg_stat_activity where datname='keycloak'"
oc -n iam-prod delete pod sso-2
oc -n iam-prod wait --for=condition=Ready pod/sso-2 --timeout=300s{E}"""
BAD["i04-keycloak-openshift"] = f"""{B}oc -n iam-prod scale statefulset sso --replicas=5
oc -n iam-prod edit statefulset sso
oc -n iam-prod delete pod -l app=keycloak
oc -n iam-prod delete keycloak sso
kcadm.sh update realms/customers -s enabled=true
sudo systemctl restart keycloak{E}"""

GOOD["i05-temporal-gke"] = f"""# Runbook: temporal-prod
numHistoryShards (512) is immutable. Persistence via cloud-sql-proxy sidecars to Cloud SQL.
Alert: schedule-to-start p95 on payout-tq > 2s for 10 min; Cloud SQL CPU > 80%.
Temporal namespace payments-prod. Lead Rui Almeida, DB Mei Tan, #workflow-platform.
{B}gcloud container clusters get-credentials gke-workflows-prod --region europe-west1 --project lumen-workflows-prod
kubectl -n temporal get deploy,pods
kubectl -n temporal exec deploy/temporal-admintools -- temporal operator cluster health --address temporal-frontend.temporal.svc:7233
kubectl -n temporal exec deploy/temporal-admintools -- temporal task-queue describe --task-queue payout-tq --namespace payments-prod
kubectl -n payouts patch hpa payout-worker -p '{{"spec":{{"maxReplicas":24}}}}'
gcloud sql instances describe temporal-pg-prod --project lumen-workflows-prod
kubectl -n temporal get configmap -o yaml | grep numHistoryShards{E}"""
BAD["i05-temporal-gke"] = f"""{B}temporal workflow terminate --query 'WorkflowType="Payout"' --namespace payments-prod
temporal operator namespace delete payments-prod
temporal-sql-tool --plugin postgres12 update-schema -d ./schema
gcloud sql instances restart temporal-pg-prod
helm -n temporal upgrade temporal temporalio/temporal --set server.config.numHistoryShards=1024
aws rds describe-db-instances{E}"""

GOOD["i06-cockroachdb-ec2"] = f"""# Runbook: ledger-crdb
Multi-region, SURVIVE REGION FAILURE. Page on under-replicated ranges > 0, capacity > 80%.
Disk full: delete auxiliary/EMERGENCY_BALLAST. Clock offset: node exits at 80% of max-offset; chrony -> 169.254.169.123.
One node at a time. Lead Marcus Webb, #ledger-infra, PagerDuty ledger-db.
{B}cockroach node status --ranges --certs-dir=/etc/cockroach/certs --host=crdb-use1-1.ledger.internal:26257
curl -s "https://crdb-use1-1.ledger.internal:8080/health?ready=1"
ssh crdb-use2-2.ledger.internal
cockroach node drain --self --certs-dir=/etc/cockroach/certs --host=localhost:26257
sudo systemctl restart cockroach
sudo rm /mnt/crdb/auxiliary/EMERGENCY_BALLAST
sudo systemctl start cockroach
chronyc tracking{E}{SQL}SHOW SCHEDULES;
SHOW BACKUPS IN 's3://acme-ledger-crdb-backups?AUTH=implicit';{E}"""
BAD["i06-cockroachdb-ec2"] = f"""{B}cockroach node decommission 5 --certs-dir=/etc/cockroach/certs
cockroach debug recover make-plan --confirm=y
cockroach sql -e "ALTER DATABASE ledger SURVIVE ZONE FAILURE;"
sudo rm -rf /mnt/crdb/*
sudo kill -9 $(pgrep cockroach)
for h in crdb-use1-1 crdb-use1-2 crdb-use1-3; do ssh $h sudo systemctl restart cockroach; done
kubectl -n crdb get pods{E}"""

GOOD["i07-varnish-compose-news"] = f"""# Runbook: morgenpost-web
Varnish grace 6h serves stale content when the backend is sick. pm.max_children = 40 (raise to 60).
Alert: hit rate < 70%. Volume wp-uploads must never be removed. DB on db-01.morgenpost.de.
Lea Hoffmann, Jonas Krüger, #mp-webops.
{B}cd /srv/mpweb
docker compose -p mpweb ps
docker compose -p mpweb logs --tail=200 php | grep max_children
docker compose -p mpweb exec varnish varnishadm backend.list
docker compose -p mpweb exec varnish varnishstat -1 -f MAIN.cache_hit -f MAIN.cache_miss
docker compose -p mpweb restart php
docker compose -p mpweb exec varnish varnishadm "ban req.http.host == www.morgenpost.de && req.url ~ ^/politik/artikel-123"
curl -sf https://www.morgenpost.de/healthz{E}"""
BAD["i07-varnish-compose-news"] = f"""{B}docker compose -p mpweb down -v
docker system prune -af --volumes
docker compose -p mpweb exec varnish varnishadm "ban req.url ~ ."
docker volume rm mpweb_wp-uploads
sudo systemctl restart varnish{E}"""

GOOD["i08-stepfunctions-claims"] = f"""# Runbook: claims-intake
State machine ClaimsIntake-prod; ExtractText waits on a task token (waitForTaskToken).
RiskLens outage -> States.Timeout. Alarm ExecutionsFailed > 5 in 5 min. SLO 95% within 10 minutes.
DLQ claims-intake-dlq. Changes only via ClaimsIntakeStack. Sofia Marchetti, #claims-automation.
{B}aws stepfunctions list-executions \\
  --state-machine-arn arn:aws:states:eu-central-1:482913775210:stateMachine:ClaimsIntake-prod \\
  --status-filter FAILED --region eu-central-1
aws stepfunctions get-execution-history --execution-arn "$ARN" --reverse-order --max-results 20
aws logs tail /aws/lambda/claims-fraud-score --since 1h --region eu-central-1
./ops/redrive-failed.sh --since 6h
aws sqs get-queue-attributes --queue-url "$(aws sqs get-queue-url --queue-name claims-intake-dlq --query QueueUrl --output text)" --attribute-names ApproximateNumberOfMessagesVisible{E}"""
BAD["i08-stepfunctions-claims"] = f"""{B}aws stepfunctions stop-execution --execution-arn "$ARN"
aws stepfunctions start-execution --state-machine-arn "$SM" --input file://claim.json
aws stepfunctions update-state-machine --state-machine-arn "$SM" --definition file://def.json
aws sqs purge-queue --queue-url "$DLQ_URL"
aws lambda update-function-code --function-name claims-fraud-score --zip-file fileb://f.zip
aws dynamodb delete-item --table-name claims-prod --key '{{"id":{{"S":"1"}}}}'
kubectl -n claims get pods{E}"""

GOOD["i09-iis-policyhub-f5"] = f"""# Runbook: PolicyHub
App pool PolicyHubPool; rapid-fail protection stops it after repeated crashes. w3wp > 6 GB = leak.
Alert on CurrentQueueSize > 100. DB: AG-POLICY via sql-policy-lsn.corp.insure.local (DBA team owns failover).
Work one node at a time. App owner Ewa Nowicka; escalation UW-APPS-L2.
Never run `iisreset`.
{B}ssh f5-ltm-01
tmsh modify ltm pool pool_policyhub_443 members modify {{ 10.40.12.21:443 {{ session user-disabled }} }}
tmsh show ltm pool pool_policyhub_443 members
curl -sk https://WEB-PH-01.corp.insure.local/healthcheck{E}{PS}Enter-PSSession -ComputerName WEB-PH-01
& "$env:windir\\system32\\inetsrv\\appcmd.exe" list wp
procdump -ma 4711 D:\\dumps\\
Restart-WebAppPool -Name PolicyHubPool
Get-WebAppPoolState -Name PolicyHubPool{E}"""
BAD["i09-iis-policyhub-f5"] = f"""{PS}iisreset /restart
Invoke-Command -ComputerName WEB-PH-01,WEB-PH-02,WEB-PH-03 -ScriptBlock {{ Restart-WebAppPool -Name PolicyHubPool }}
Switch-SqlAvailabilityGroup -Path SQLSERVER:\\Sql\\SQL2\\DEFAULT\\AvailabilityGroups\\AG-POLICY
{E}{B}tmsh modify ltm monitor http mon_policyhub send "GET / HTTP/1.0"
sudo systemctl restart w3svc{E}"""

GOOD["i10-cosmos-aks-loyalty"] = f"""# Runbook: loyalty-api
Cosmos account cosmos-loyalty-prod. 429 = throttling: check Normalized RU by PartitionKeyRangeId; a hot partition
is not fixed by more RU/s. Raise transactions max to 40,000 at most. points-projector is the change feed processor;
never touch the leases container. App Insights appi-loyalty-prod. Lead Amara Nwosu, #loyalty-oncall, PagerDuty loyalty-platform.
{B}az aks get-credentials -g rg-loyalty-prod -n aks-loyalty-prod
kubectl -n loyalty get pods
az cosmosdb sql container throughput show -a cosmos-loyalty-prod -g rg-loyalty-prod -d loyalty -n transactions
az cosmosdb sql container throughput update -a cosmos-loyalty-prod -g rg-loyalty-prod -d loyalty -n transactions --max-throughput 40000
kubectl -n loyalty logs deploy/points-projector --tail=200
kubectl -n loyalty rollout restart deploy/points-projector{E}"""
BAD["i10-cosmos-aks-loyalty"] = f"""{B}az cosmosdb sql container delete -a cosmos-loyalty-prod -g rg-loyalty-prod -d loyalty -n leases --yes
az cosmosdb failover-priority-change -n cosmos-loyalty-prod -g rg-loyalty-prod --failover-policies northeurope=0 westeurope=1
az cosmosdb keys regenerate -n cosmos-loyalty-prod -g rg-loyalty-prod --key-kind primary
az cosmosdb sql container throughput update -a cosmos-loyalty-prod -g rg-loyalty-prod -d loyalty -n transactions --max-throughput 100000
mongosh "mongodb://cosmos-loyalty-prod.mongo.cosmos.azure.com:10255"
aws dynamodb describe-table --table-name members{E}"""


def main() -> int:
    return check(HERE, "i", GOOD, BAD, expected=10)


if __name__ == "__main__":
    raise SystemExit(main())
