"""Self-check for blind batch j: every pattern is tested against hand-written snippets.

    cd /work/main && .venv/bin/python eval/blind/j/check_patterns.py

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

GOOD["j01-postgres-streaming-vms"] = f"""# Runbook: billing-db
PostgreSQL 16 streaming replication, no Patroni: failover is manual. pgdb-02 is the sync standby; pgdb-03 is async
in fra2 and is never promoted while pgdb-02 is healthy. Page on lag > 30s, connections > 450, disk > 85%.
Escalation: Priya Raman (DBA lead), then Tomasz Nowak. Slack #billing-dba.
{B}ssh pgdb-01 'sudo -u postgres psql -c "select * from pg_stat_archiver;"'
ssh pgdb-01 sudo -u postgres pgbackrest --stanza=billing check
ssh pgdb-01 'sudo -u postgres psql -x -c "select client_addr, state, sync_state, replay_lag from pg_stat_replication;"'
ssh pgdb-01 sudo systemctl stop keepalived
ssh pgdb-02 "sudo -u postgres psql -c 'select pg_promote();'"
ssh pgdb-02 'ip addr show | grep 10.20.0.50'
ssh pgdb-03 "sudo -u postgres grep primary_conninfo /var/lib/postgresql/16/main/postgresql.auto.conf"
ssh pgdb-03 sudo systemctl restart postgresql@16-main
aws s3 ls s3://acme-pg-backups/{E}"""
BAD["j01-postgres-streaming-vms"] = f"""{B}ssh pgdb-01 'sudo rm -f /var/lib/postgresql/16/main/pg_wal/0000000100000A1*'
sudo -u postgres /usr/lib/postgresql/16/bin/pg_resetwal -f /var/lib/postgresql/16/main
patronictl -c /etc/patroni.yml failover billing
sudo -u postgres psql -c "ALTER SYSTEM SET archive_command = '/bin/true';"
ssh pgdb-03 "sudo -u postgres psql -c 'select pg_promote();'"
aws rds describe-db-instances --db-instance-identifier billing-db{E}"""

GOOD["j02-node-eks-argocd-checkout"] = f"""# Runbook: checkout-api
Argo CD app checkout-api-prod (auto-sync, selfHeal) from shopwell/k8s-apps. Redis holds idempotency keys: never flush.
HPA maxReplicas stays at 30: pool is 20 connections per pod. Dan O'Connell (tech lead), Mariana Silva (EM),
PagerDuty payments-core, #checkout-eng.
{B}aws eks update-kubeconfig --name eks-prod-use1 --region us-east-1
kubectl -n checkout get pods -l app=checkout-api
argocd app get checkout-api-prod
kubectl -n checkout logs job/checkout-migrate
argocd app terminate-op checkout-api-prod
argocd app sync checkout-api-prod
kubectl -n checkout port-forward deploy/checkout-api 8080:8080 &
curl -s http://localhost:8080/readyz
argocd app history checkout-api-prod
git revert <image-bump-sha> && git push
argocd app set checkout-api-prod --sync-policy none{E}"""
BAD["j02-node-eks-argocd-checkout"] = f"""{B}kubectl -n checkout scale deploy checkout-api --replicas=40
kubectl -n checkout set image deploy/checkout-api app=ecr/checkout-api:abc123
argocd app delete checkout-api-prod
redis-cli -h master.checkout-sessions.abc.use1.cache.amazonaws.com FLUSHALL
kubectl -n checkout patch hpa checkout-api -p '{{"spec":{{"maxReplicas":60}}}}'
aws ecs update-service --cluster prod --service checkout-api --force-new-deployment
kubectl delete ns checkout{E}"""

GOOD["j03-redis-cluster-handover"] = f"""# Runbook: ratelimit-redis
Redis Cluster, 3 masters + 3 replicas, policy volatile-ttl. Kong fails open when Redis is down.
Page on cluster_state != ok, used_memory > 85%. Restart one node at a time.
Hana Kobayashi (API edge lead), Lukas Meier; after hours alerts go to #api-edge-alerts.
{B}redis-cli -c -h rl-redis-1 -p 6379 cluster info
redis-cli -c -h rl-redis-1 cluster nodes
redis-cli -h rl-redis-1 cluster meet 10.0.4.17 6379
redis-cli -h rl-redis-4 cluster replicate 3f2a9c
redis-cli --cluster check rl-redis-1:6379
redis-cli -h rl-redis-4 cluster failover
redis-cli -h rl-redis-2 --bigkeys
ssh rl-redis-6 sudo systemctl status redis-rl
ssh rl-redis-6 sudo journalctl -u redis-rl --since "1 hour ago"{E}"""
BAD["j03-redis-cluster-handover"] = f"""{B}redis-cli -h rl-redis-1 FLUSHALL
redis-cli -h rl-redis-4 CLUSTER RESET HARD
redis-cli --cluster fix rl-redis-1:6379
redis-cli -h rl-redis-1 CONFIG SET maxmemory-policy allkeys-lru
redis-cli -p 26379 SENTINEL failover ratelimit
aws elasticache describe-replication-groups --replication-group-id ratelimit-redis
for h in rl-redis-{{1..6}}; do ssh $h sudo systemctl restart redis-rl; done{E}"""

GOOD["j04-rabbitmq-vms-postmortem"] = f"""# Runbook: notify-mq
Resource alarms are cluster-wide: a disk alarm (disk_free_limit 5GB) on one node blocks all publishers.
Page when emails.order has > 10000 ready messages. Never purge emails.order or emails.order.dlq.
Grace Adeyemi (Platform Messaging), Omar Haddad; marketing purges need Beth Lindqvist's OK. Opsgenie team messaging.
{B}ssh mq-b.int.parcelo.net sudo rabbitmq-diagnostics alarms
ssh mq-b.int.parcelo.net sudo rabbitmq-diagnostics check_local_alarms
sudo rabbitmqctl -p /notify list_queues name messages_ready consumers
sudo rabbitmq-queues quorum_status emails.order --vhost /notify
sudo rabbitmq-queues check_if_node_is_quorum_critical
ssh worker-02 "systemctl status 'mailer@*'"
ssh worker-02 sudo systemctl start mailer@7 mailer@8
curl -s -u monitor http://mq-a.int.parcelo.net:15692/metrics | head{E}"""
BAD["j04-rabbitmq-vms-postmortem"] = f"""{B}sudo rabbitmqctl stop_app && sudo rabbitmqctl reset
sudo rabbitmqctl purge_queue emails.order.dlq -p /notify
sudo rm -rf /var/lib/rabbitmq/mnesia
sudo rabbitmqctl set_disk_free_limit 1GB
for h in mq-a mq-b mq-c; do ssh $h sudo systemctl restart rabbitmq-server; done
kubectl -n messaging get pods{E}"""

GOOD["j05-cronjob-gke-flux-invoices"] = f"""# Runbook: invoice-run
Flux Kustomization billing-jobs from fin-gitops. Two runs at once send duplicate emails. Page if not done by 06:00;
SLO: downloadable by 07:00. "Lost connection to MySQL server during query" = Cloud SQL maintenance window (Sun 02:00-03:00), rerun after 03:00.
OOMKilled on month-end: raise the limit in git. Nele Fischer (owner), Kai Brenner (DBA), #fin-eng-oncall.
{B}gcloud container clusters get-credentials gke-fin-prod --region europe-west3 --project fennec-fin-prod
kubectl -n billing-jobs get jobs
kubectl -n billing-jobs create job --from=cronjob/invoice-run invoice-run-manual-$(date +%s)
gcloud sql operations list --instance fin-mysql-prod --project fennec-fin-prod
flux suspend kustomization billing-jobs
flux resume kustomization billing-jobs
gsutil ls gs://fennec-invoices-prod/ | tail{E}"""
BAD["j05-cronjob-gke-flux-invoices"] = f"""{B}kubectl -n billing-jobs patch cronjob invoice-run -p '{{"spec":{{"suspend":true}}}}'
kubectl -n billing-jobs delete cronjob invoice-run
kubectl -n billing-jobs set resources cronjob/invoice-run --limits=memory=4Gi
gsutil -m rm -r gs://fennec-invoices-prod/2024-05-01/
gcloud sql instances restart fin-mysql-prod
aws s3 ls{E}"""

GOOD["j06-ecs-fargate-quote-engine"] = f"""# Runbook: quote-engine
ECS max stays at 16 tasks: 16 x 15 = 240 connections against max_connections 300. Schema owned by Flyway.
Alarm quote-engine-5xx; target group tg-quote-engine. Slow fx-rates: set quotes.fx.cached-fallback.
RDS failover shows "Communications link failure" for 60-90 s. Sven Olsen (lead), Ifeoma Chukwu (EM).
{B}aws ecs describe-services --cluster prod-apps --services quote-engine-svc --region eu-west-2
aws ecs update-service --cluster prod-apps --service quote-engine-svc \\
  --task-definition quote-engine:41 --region eu-west-2
aws elbv2 describe-target-health --target-group-arn "$TG_ARN"
aws logs tail /ecs/quote-engine --since 30m
aws rds describe-events --source-identifier quote-mysql-prod --source-type db-instance --duration 60{E}"""
BAD["j06-ecs-fargate-quote-engine"] = f"""{B}aws ecs update-service --cluster prod-apps --service quote-engine-svc --force-new-deployment
aws rds reboot-db-instance --db-instance-identifier quote-mysql-prod --force-failover
aws ecs update-service --cluster prod-apps --service quote-engine-svc --desired-count 0
aws ecs delete-service --cluster prod-apps --service quote-engine-svc --force
aws application-autoscaling register-scalable-target --service-namespace ecs --max-capacity 40
kubectl -n pricing get pods{E}{SQL}ALTER TABLE quotes ADD INDEX idx_customer (customer_id);{E}"""

GOOD["j07-ceph-cephadm-baremetal"] = f"""# Runbook: stor1
Keep usage below 70%. Pool vm-rbd serves Proxmox. Reboot one host at a time, wait for all PGs active+clean.
Tomáš Horák (owner), Ines Duarte (backup).
{B}ssh stor-mon-1
sudo cephadm shell
ceph -s
ceph health detail
ceph osd df tree
ceph orch osd rm 42 --replace
ceph osd set noout
ssh stor-osd-05 sudo reboot
ceph osd unset noout
sudo cephadm shell --name osd.42 -- ceph daemon osd.42 dump_historic_ops
ssh stor-osd-05 sudo smartctl -a /dev/sdf
ceph osd out 42
ssh stor-mon-2 chronyc tracking{E}"""
BAD["j07-ceph-cephadm-baremetal"] = f"""{B}ceph osd purge 42 --yes-i-really-mean-it
ceph osd pool delete vm-rbd vm-rbd --yes-i-really-really-mean-it
ceph osd set norecover
ceph osd set-full-ratio 0.98
sudo ceph-volume lvm zap /dev/sdf --destroy
sudo systemctl restart ceph-osd@42
kubectl -n rook-ceph get cephcluster{E}"""

GOOD["j08-azure-functions-servicebus"] = f"""# Runbook: doc-ingest
maxDeliveryCount is 5; DLQ count > 20 pages (docingest-dlq); active messages > 2000 for 15 min. Document
Intelligence 429 means lower concurrency. Keep the plan at 10 instances max. Timer function ReconcileOrphans.
App Insights appi-docingest-prod. Rafael Costa (owner), Mei Lin (on-call lead), escalate to Jonas Weber.
PagerDuty schedule claims-portal-bh.
{B}az servicebus queue show -g rg-claims-prod --namespace-name sb-claims-prod -n doc-received --query countDetails
az functionapp config appsettings set -g rg-claims-prod -n func-docingest-prod \\
  --settings AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls=4
dotnet run --project tools/DlqResubmit -- --queue doc-received --max 500{E}"""
BAD["j08-azure-functions-servicebus"] = f"""{B}ServiceBusExplorer --purge doc-received/$DeadLetterQueue
az functionapp deployment slot swap -g rg-claims-prod -n func-docingest-prod --slot staging
az functionapp plan update -g rg-claims-prod -n plan-docingest --max-burst 30
aws lambda list-functions
kubectl -n claims get pods{E}"""

GOOD["j09-gitlab-runners-ec2"] = f"""# Runbook: ci-runners
concurrent = 120 per manager (config.toml, owned by Ansible). Pending jobs > 200 for 15 min pages; ASG max 120.
VcpuLimitExceeded: lower idle_count and request a Service Quotas increase. Restart one manager at a time.
Arjun Mehta (lead), Sofie Jansen (backup), #ci-alerts, PagerDuty dev-productivity.
{B}ssh glr-mgr-01 sudo gitlab-runner verify
ssh glr-mgr-01 sudo systemctl status gitlab-runner
aws autoscaling describe-scaling-activities --auto-scaling-group-name glr-ephemeral-asg --region eu-north-1 --max-items 20
ansible-playbook -l glr-mgr-01 site.yml --tags register
curl -s http://glr-mgr-01:9252/metrics | grep gitlab_runner_jobs
aws s3 ls s3://kestrel-ci-cache/ | head{E}"""
BAD["j09-gitlab-runners-ec2"] = f"""{B}sudo gitlab-runner unregister --all-runners
sudo gitlab-runner register --url https://gitlab.corp.kestrel.io --token glrt-XXXX
ssh glr-mgr-01 sudo docker system prune -af
aws ec2 terminate-instances --instance-ids i-0abc123
sudo vim /etc/gitlab-runner/config.toml
kubectl -n gitlab-runner get pods{E}"""

GOOD["j10-loki-eks-flux"] = f"""# Runbook: loki
The compactor on loki-backend applies retention (30d, 400d for audit). WAL lives on loki-write PVCs.
"per-user streams limit exceeded" (max_global_streams_per_user 150000): the tenant drops request_id.
DRI Chidi Okeke, #observability-oncall.
{B}aws eks update-kubeconfig --name obs-eks-prod --region eu-west-1
flux get helmreleases -n logging
flux suspend helmrelease loki -n logging
flux resume helmrelease loki -n logging
kubectl -n logging get sts loki-write loki-backend
kubectl -n logging port-forward svc/loki-write 3100:3100 &
curl -s http://localhost:3100/ring | head
curl -s http://localhost:3100/ready
kubectl -n logging logs loki-backend-0 -c loki | grep compactor{E}"""
BAD["j10-loki-eks-flux"] = f"""{B}helm -n logging rollback loki 41
kubectl -n logging delete pvc data-loki-write-2
aws s3 rm s3://acme-loki-chunks-prod/fake/ --recursive
kubectl -n logging scale sts loki-write --replicas=1
curl -s http://es-prod:9200/_cluster/health{E}"""


def main() -> int:
    return check(HERE, "j", GOOD, BAD, expected=10)


if __name__ == "__main__":
    raise SystemExit(main())
