"""Self-check for blind batch k: every pattern is tested against hand-written snippets.

    cd /work/main && .venv/bin/python eval/blind/k/check_patterns.py

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
PS = "```powershell\n"
E = "\n```\n"

GOOD: dict[str, str] = {}
BAD: dict[str, str] = {}

GOOD["k01-etcd-apisix-onboarding"] = f"""# Runbook: gw-etcd
etcd for APISIX. If etcd is down, APISIX keeps serving the routes it already has; only changes fail.
Alert on db size > 6 GB (quota 8 GB). Quorum is 2 of 3: restart one member at a time.
Check that auto-compaction is still on. NOSPACE shows as "mvcc: database space exceeded".
Aiko Tanaka (lead), Bruno Carvalho (escalation), #gw-platform, PagerDuty gateway-platform.
{B}etcdctl --endpoints=https://etcd-1.gw.lan:2379,https://etcd-2.gw.lan:2379,https://etcd-3.gw.lan:2379 endpoint status -w table
etcdctl endpoint health
etcdctl alarm list
etcdctl compact 81723344
etcdctl --endpoints=https://etcd-2.gw.lan:2379 defrag
etcdctl alarm disarm
ssh etcd-1.gw.lan sudo systemctl status etcd-gw
ssh etcd-2.gw.lan sudo journalctl -u etcd-gw --since "30 min ago"
ssh etcd-1.gw.lan sudo /usr/local/bin/etcd-snap.sh
etcdctl snapshot status /var/backups/etcd-gw/latest.db -w table{E}"""
BAD["k01-etcd-apisix-onboarding"] = f"""{B}etcdctl del /apisix --prefix
etcdctl defrag --cluster
etcd --force-new-cluster --data-dir /var/lib/etcd-gw
ssh etcd-3.gw.lan sudo rm -rf /var/lib/etcd-gw/member
for h in etcd-1.gw.lan etcd-2.gw.lan etcd-3.gw.lan; do ssh $h sudo systemctl restart etcd-gw; done
sudo systemctl unmask etcd && sudo systemctl restart etcd
kubectl -n kube-system get pods -l component=etcd{E}"""

GOOD["k02-ingress-nginx-certmanager-jira"] = f"""# Runbook: edge-ingress
ClusterIssuer letsencrypt-prod, DNS-01 through IRSA role cert-manager-route53. The wildcard secret shop-wildcard-tls
is never deleted: Let's Encrypt rate limits would lock us out. 413: the owning team sets proxy-body-size on its
Ingress. "upstream prematurely closed connection" means the backend. Pages: 5xx > 2% for 5 min, cert < 14 days.
Escalation Priyanka Das, #plat-edge, PagerDuty platform-edge.
{B}aws eks update-kubeconfig --name shared-prod-1 --region eu-central-1
kubectl -n ingress get pods -l app.kubernetes.io/name=ingress-nginx
kubectl -n ingress logs deploy/edge-ingress-nginx-controller --since=10m | grep -c upstream
kubectl -n storefront describe certificate shop-wildcard
kubectl -n storefront get challenges
cmctl status certificate shop-wildcard -n storefront
cmctl renew shop-wildcard -n storefront
argocd app diff edge-ingress
argocd app sync edge-ingress{E}"""
BAD["k02-ingress-nginx-certmanager-jira"] = f"""{B}kubectl -n storefront delete secret shop-wildcard-tls
kubectl -n storefront delete certificate shop-wildcard
kubectl -n storefront annotate ingress shop cert-manager.io/cluster-issuer=letsencrypt-staging --overwrite
kubectl -n ingress edit configmap edge-ingress-nginx-controller
helm upgrade edge-ingress ingress-nginx/ingress-nginx -n ingress -f values-prod.yaml
sudo certbot certonly --dns-route53 -d '*.shop.example.com'
aws elbv2 deregister-targets --target-group-arn "$TG" --targets Id=i-0abc{E}"""

GOOD["k03-sqlserver-alwayson-table"] = f"""# Runbook: erp-sql
Listener erp-sql-lst. SQLERP03 is async, manual failover only. RPO 15 min, RTO 1 hour. Backups kept 35 days.
Forced failover (FORCE_FAILOVER_ALLOW_DATA_LOSS) to SQLERP03 only with the CIO's approval: Henrik Dahl.
log_reuse_wait_desc = LOG_BACKUP: fix the log backup job on SQLERP02.
Mirela Popescu (DBA lead), Lars Eriksen (app owner), Opsgenie dba-oncall.
{SQL}SELECT ar.replica_server_name, drs.synchronization_state_desc, drs.log_send_queue_size, drs.redo_queue_size
FROM sys.dm_hadr_database_replica_states drs JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id;
SELECT name, log_reuse_wait_desc FROM sys.databases;
EXEC msdb.dbo.sp_start_job N'DatabaseBackup - USER_DATABASES - LOG';
ALTER AVAILABILITY GROUP [AG-ERP] FAILOVER;{E}{PS}Get-ClusterNode -Cluster WSFC-ERP
Get-ClusterResource -Cluster WSFC-ERP{E}"""
BAD["k03-sqlserver-alwayson-table"] = f"""{SQL}ALTER DATABASE ERP_Prod SET RECOVERY SIMPLE;
DBCC SHRINKFILE (ERP_Prod_log, 1024);
ALTER AVAILABILITY GROUP [AG-ERP] REMOVE DATABASE ERP_Prod;{E}{B}sudo systemctl restart mssql-server
aws rds describe-db-instances{E}"""

GOOD["k04-jenkins-controller-incident-log"] = f"""# Runbook: orbitly-ci
Disk alert at 80%, build queue > 25 for 20 min. Plugins only through plugins.txt in ci-config (Ansible).
Every job has a buildDiscarder. iOS builds run on mac-build-01 and mac-build-02; never interrupt a release build.
Marta Kowalczyk (owner), Deniz Yilmaz (second), #ci-help, PagerDuty dev-productivity.
{B}ssh jenkins-ctl-01
df -h /var/lib/jenkins
sudo du -sh /var/lib/jenkins/jobs/*/builds | sort -h | tail
java -jar jenkins-cli.jar -s https://ci.orbitly.io/ -auth @/root/.jenkins-cli quiet-down
rm -rf /var/lib/jenkins/workspace/android-nightly
java -jar jenkins-cli.jar -s https://ci.orbitly.io/ -auth @/root/.jenkins-cli safe-restart
sudo systemctl status jenkins
sudo journalctl -u jenkins -n 200{E}"""
BAD["k04-jenkins-controller-incident-log"] = f"""{B}sudo rm -rf /var/lib/jenkins/workspace/*
sudo rm -rf /var/lib/jenkins/secrets
java -jar jenkins-cli.jar -s https://ci.orbitly.io/ install-plugin git -restart
java -jar jenkins-cli.jar -s https://ci.orbitly.io/ restart
kubectl -n jenkins rollout restart statefulset jenkins{E}"""

GOOD["k05-prometheus-thanos-readme"] = f"""# Runbook: obs-metrics
thanos-compact runs exactly one replica. Never change external_labels. Raw retention 30d.
ThanosCompactHalted: thanos_compact_halted == 1. Head series alert: prometheus_tsdb_head_series > 4M, fix with
metricRelabelings on the team's ServiceMonitor. Upload failures: thanos_shipper_upload_failures_total.
Watchdog goes to healthchecks.io. Sanjay Iyer, Elena Petrova, #obs-metrics.
{B}aws eks update-kubeconfig --name eks-obs-prod --region eu-west-1
helmfile -e prod diff
kubectl -n metrics get sts thanos-compact thanos-store prometheus-kps-prometheus
kubectl -n metrics logs thanos-compact-0 | grep -i overlap
kubectl -n metrics exec thanos-compact-0 -- thanos tools bucket inspect --objstore.config-file=/etc/thanos/objstore.yaml
kubectl -n metrics exec thanos-compact-0 -- thanos tools bucket mark --id=01HABC --marker=deletion-mark.json --details="foreign labels" --objstore.config-file=/etc/thanos/objstore.yaml
kubectl -n metrics delete pod thanos-compact-0
aws s3 ls s3://acme-thanos-blocks-prod/ | head{E}"""
BAD["k05-prometheus-thanos-readme"] = f"""{B}kubectl -n metrics scale sts thanos-compact --replicas=2
aws s3 rm s3://acme-thanos-blocks-prod/01HABC --recursive
kubectl -n metrics delete pvc prometheus-kps-prometheus-db-prometheus-kps-prometheus-0
helm upgrade thanos bitnami/thanos -n metrics
sudo systemctl restart prometheus{E}"""

GOOD["k06-mariadb-galera-hetzner"] = f"""# Runbook: tienda-galera
Healthy: wsrep_cluster_size = 3, Primary, Synced. Alert on wsrep_flow_control_paused > 0.1.
Full outage: read grastate.dat on every node; if seqno is -1 run galera_recovery; bootstrap only the node with the
highest seqno (set safe_to_bootstrap: 1 there only), then start the others one by one.
Big tables change only with pt-online-schema-change. Backups with mariabackup (schedule unclear: check the crontab).
Rodrigo Alves (DBA), Paco Jiménez, Inés Marín (CTO).
{B}ssh db-gal-01 "mysql -e \\"SHOW GLOBAL STATUS LIKE 'wsrep_%'\\""
ssh mxs-01 maxctrl list servers
ssh db-gal-02 sudo cat /var/lib/mysql/grastate.dat
ssh db-gal-03 sudo galera_recovery
ssh db-gal-02 sudo galera_new_cluster
ssh db-gal-01 sudo systemctl start mariadb{E}"""
BAD["k06-mariadb-galera-hetzner"] = f"""{B}for h in db-gal-02 db-gal-03; do ssh $h sudo galera_new_cluster; done
ssh db-gal-03 sudo rm -f /var/lib/mysql/grastate.dat
mysql -e "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'"
mysql tienda -e "ALTER TABLE ps_orders ADD COLUMN note TEXT"
mysql -e "CHANGE MASTER TO MASTER_HOST='db-gal-01'; START SLAVE;"
aws rds describe-db-clusters{E}"""

GOOD["k07-postfix-relay-terse"] = f"""# Runbook: smtp-relay
Relays to email-smtp.eu-west-1.amazonaws.com:587. "454 Throttling failure" = SES throttling: mail is deferred and
Postfix retries by itself. Page: deferred > 2000 or oldest message > 30 min (Opsgenie infra-mail).
mynetworks stays 10.0.0.0/8. Noor Hassan (owner), Felix Braun, #mail-relay.
{B}ssh relay-a.mail.internal
postqueue -p | tail -1
sudo journalctl -u postfix@- --since "1 hour ago" | grep -c deferred
sudo postconf mynetworks relayhost
sudo postmap /etc/postfix/sasl_passwd
sudo systemctl reload postfix{E}"""
BAD["k07-postfix-relay-terse"] = f"""{B}sudo postsuper -d ALL
while true; do postqueue -f; sleep 10; done
sudo postconf -e 'mynetworks = 0.0.0.0/0'
kubectl -n mail get pods
sudo exim -bp{E}"""

GOOD["k08-databricks-job-terraform"] = f"""# Runbook: ledger-nightly
post_gold is not idempotent; max_concurrent_runs = 1. Gold complete by 06:00 UTC. On-call 24/7 at month-end.
"Spot instance termination": repair the run. Terraform only through the fin-data-infra pipeline.
Vacuum keeps 168 hours; retentionDurationCheck stays on. Ama Owusu (owner), Helena Korhonen (escalation).
{B}databricks jobs list-runs --job-id 482913 --limit 5
databricks jobs get-run 99182731
databricks jobs repair-run 99182731 --rerun-all-failed-tasks
az databricks workspace show -g rg-findata-prod -n dbw-fin-prod{E}{SQL}DESCRIBE HISTORY fin_prod.gold.ledger_entries;
RESTORE TABLE fin_prod.gold.ledger_entries TO VERSION AS OF 412;{E}"""
BAD["k08-databricks-job-terraform"] = f"""{B}databricks jobs run-now 482913
databricks jobs reset 482913 --json '{{"new_settings": {{"max_concurrent_runs": 3}}}}'
aws s3 ls s3://fin-lake/{E}{SQL}SET spark.databricks.delta.retentionDurationCheck.enabled = false;
VACUUM fin_prod.gold.ledger_entries RETAIN 0 HOURS;
TRUNCATE TABLE fin_prod.gold.ledger_entries;{E}"""

GOOD["k09-go-binary-nginx-config-files"] = f"""# Runbook: tollgate
SIGTERM drains for SHUTDOWN_GRACE (25s). DB_MAX_CONNS stays 40 against pg-tg.db.internal. When the acquirer breaker
opens, authorizations go to /var/lib/tollgate/spool and are replayed. VIP 10.40.0.10 held by keepalived.
Page: p99 > 800 ms. Olumide Bakare (tech lead), Sara Lindholm (escalation), PagerDuty roadside-247.
{B}ssh app-tg-02 sudo systemctl status tollgate
ssh app-tg-02 curl -s http://127.0.0.1:8081/healthz
ssh app-tg-02 sudo /opt/tollgate/bin/deploy.sh --rollback
ssh app-tg-01 sudo systemctl stop keepalived
ssh app-tg-01 sudo journalctl -u tollgate --since "15 min ago"
ssh app-tg-01 'sudo nginx -t && sudo systemctl reload nginx'
ssh app-tg-01 'ls /var/lib/tollgate/spool | wc -l'{E}"""
BAD["k09-go-binary-nginx-config-files"] = f"""{B}sudo kill -9 $(pidof tollgate)
curl -s http://localhost:8080/healthz
sudo -u tollgate /opt/tollgate/current/tollgate migrate down
sudo rm -f /var/lib/tollgate/spool/*
sudo sed -i 's/^DB_MAX_CONNS=.*/DB_MAX_CONNS=80/' /etc/tollgate/tollgate.env && echo DB_MAX_CONNS=80
for h in app-tg-01 app-tg-02; do ssh $h sudo systemctl restart tollgate; done
kubectl -n roadside rollout restart deploy/tollgate{E}"""

GOOD["k10-azure-app-service-short"] = f"""# Runbook: booking-api
Rollback is a swap back from the staging slot. DB sql-booking-prod pages at DTU > 90%; autoscale max 6 because of
Max Pool Size=30. App Insights appi-booking-prod: failed requests > 1%, p95 > 1.5 s. No restarts 06:00-09:00 CET.
Ravi Menon (owner), Claudia Weiss (escalation), Teams "Booking Ops".
{B}az webapp show -g rg-booking-prod -n app-booking-prod --query state
az webapp log tail -g rg-booking-prod -n app-booking-prod
az webapp deployment slot swap -g rg-booking-prod -n app-booking-prod --slot staging --target-slot production
az sql db show -g rg-booking-prod -s sql-booking-prod -n bookingdb --query currentServiceObjectiveName{E}"""
BAD["k10-azure-app-service-short"] = f"""{B}az webapp deployment slot delete -g rg-booking-prod -n app-booking-prod --slot staging
az webapp deploy -g rg-booking-prod -n app-booking-prod --src-path app.zip
az appservice plan update -g rg-booking-prod -n plan-booking --number-of-workers 10
az sql db delete -g rg-booking-prod -s sql-booking-prod -n bookingdb --yes
kubectl -n booking get pods{E}"""


def main() -> int:
    return check(HERE, "k", GOOD, BAD, expected=10)


if __name__ == "__main__":
    raise SystemExit(main())
