"""Nginx (ingress-nginx in the cluster, a host service, or a workload of the platform: a container, a
compose service, a Deployment): 502/504 from upstreams, config test before reload, worker limits."""

from __future__ import annotations

import re

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, component_form, namespace, q, workload_platform
from agent.knowledge.signals import Signal, Threshold, limit
from agent.runbook import Command, Component, Issue, KeyMetric, Procedure, Step


class NginxPack(KeywordPack):
    name = "nginx"
    summary = ("Nginx / ingress-nginx: 502 vs 504 from upstreams, nginx -t before reload (reload keeps "
               "connections, restart drops them), worker limits")
    keywords = ("nginx", "ingress-nginx", "openresty")
    order = 60
    examples = ("Django app behind Nginx on two VMs (site shop.example.com)",
                "Exposed through ingress-nginx on the cluster")
    negatives = ("Behind an AWS Application Load Balancer", "Served by Caddy")

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        site = ctx.facts.name("nginx.site", f.service)
        # The variant follows the model: the cluster's ingress controller, a host service writing log
        # files, or a workload of its platform (container, compose service, Deployment) logging to stdout.
        form = component_form(ctx, "nginx")
        ingress = form == "cluster-workload" and not _named(ctx)
        on_host = form == "host"
        p = workload_platform(ctx, "nginx")
        proxy = p.resolve("nginx")
        ns = q(namespace(ctx))
        # Nginx listens on the service's port; the app server behind it on another one.
        upstream_port = f.names.get("upstream.port") or (str(f.port) if f.port and f.port not in (80, 443) else "8000")
        if ingress:
            logs = ("kubectl logs -n ingress-nginx deploy/ingress-nginx-controller --since=30m | "
                    f"grep -F {q(namespace(ctx) + '-' + f.service + '-')} | "
                    "awk '$9 ~ /^5/' | tail -n 20")
            test = cmd("Check the rendered Nginx configuration inside the controller",
                       "kubectl exec -n ingress-nginx deploy/ingress-nginx-controller -- nginx -t",
                       "'syntax is ok' and 'test is successful'")
            error_log = cmd("Controller errors about this service's upstream",
                            "kubectl logs -n ingress-nginx deploy/ingress-nginx-controller --since=30m | "
                            f"grep -E 'error|upstream' | grep {q(f.service)} | tail -n 20",
                            "no 'connect() failed' or 'upstream timed out' lines")
        elif on_host:
            logs = ("sudo awk '$9 ~ /^5/' /var/log/nginx/access.log | tail -n 20")
            test = cmd("Test the configuration", "sudo nginx -t", "'syntax is ok' and 'test is successful'")
            error_log = cmd("Recent Nginx errors", "sudo tail -n 50 /var/log/nginx/error.log",
                            "no 'connect() failed (111' (upstream down) or 'upstream timed out' (upstream slow) "
                            "lines")
        else:  # the official image logs to stdout/stderr: the platform's log stream has them
            logs = f"{p.log_stream(proxy)} | awk '$9 ~ /^5/' | tail -n 20"
            test = cmd(f"Test the configuration inside {proxy}", p.as_root(proxy, "nginx -t"),
                       "'syntax is ok' and 'test is successful'")
            error_log = p.workload_logs(proxy, r"\[(error|crit|alert|emerg)\]|upstream timed out|connect\(\) failed")
        five_xx = cmd("Recent 5xx responses", logs, "no lines; the status column tells 502 (upstream refused/"
                                                    "crashed) from 504 (upstream too slow)")

        if ingress:
            signal = Signal(key="nginx.5xx", name="Nginx 5xx rate high", measure="5xx share of requests",
                            threshold=limit(f, ("5xx", "error"), 1, "%"), minutes=5, severity="Critical",
                            response="Follow 'Nginx: 502 or 504 errors'.", entry="Nginx: 502 or 504 errors",
                            tags=("ingress",), probe=five_xx)
        else:
            # stub_status has no status codes: alert on Nginx not serving; 5xx come from the access log.
            signal = Signal(key="nginx.5xx", name="Nginx 5xx rate high", measure="requests served (Nginx down or idle)",
                            threshold=Threshold(1, "/s", "<"), minutes=2, severity="Critical",
                            response="Follow 'Nginx: 502 or 504 errors'.", entry="Nginx: 502 or 504 errors",
                            labels={"site": site}, probe=five_xx)
        signals = [signal]

        reload = (cmd("Test and reload", "kubectl exec -n ingress-nginx deploy/ingress-nginx-controller -- nginx -s "
                      "reload", "no error; new workers pick up the config") if ingress else
                  cmd("Test and reload", "sudo nginx -t && sudo systemctl reload nginx",
                      "no error; new workers pick up the config") if on_host else
                  p.reload_config(proxy, "nginx -t", "nginx -s reload"))
        upstream: list[Command] = []
        if ingress:
            upstream = [cmd("Endpoints behind the service", f"kubectl get endpoints {q(f.service)} -n {ns}",
                            "at least one ready address; none means every pod fails readiness")]
        elif on_host:
            upstream = [cmd("Is the upstream listening; does it answer without Nginx",
                            f"PORT={upstream_port}  # the app server port\n"
                            "sudo ss -ltnp | grep \":$PORT \"\n"
                            "curl -sS -o /dev/null -w 'HTTP %{http_code} in %{time_total}s\\n' --max-time 30 "
                            "\"http://127.0.0.1:$PORT/\"",
                            "the app process listening; an answer here but 502 through Nginx means the proxy_pass "
                            "address is wrong")]
        # the certificate as served: the service's own HTTPS host when the description gives one
        served = re.match(r"https://([^/:]+)", f.url or "")
        tls_host = served.group(1) if served else site
        issues = [Issue(
            title="Nginx: 502 or 504 errors",
            symptoms="Users get 502 Bad Gateway (upstream refused or crashed) or 504 Gateway Timeout (upstream "
                     "slower than proxy_read_timeout, default 60 s).",
            alert="Nginx 5xx rate high",
            check=[five_xx, error_log] + upstream,
            fix=[Step(action="502: restart or fix the upstream application (crash, wrong port, full backlog); "
                             "Nginx itself is rarely the cause.", command=None),
                 Step(action="504: find why the upstream is slow (database, dependency); raise "
                             "proxy_read_timeout only for endpoints that are slow by design.", command=None),
                 Step(action="After any config change, test then reload (reload keeps open connections; "
                             "restart drops them).", command=reload)],
            verify="5xx under 1% of requests for 15 minutes.",
            escalate="If 5xx stay above 5% for 15 minutes, page the service owner.",
        )]

        return Contribution(
            components=[Component(name="Reverse proxy", technology="ingress-nginx" if ingress else "Nginx",
                                  version="fill in: nginx -v", location="ingress-nginx namespace" if ingress
                                  else f"site {site}", purpose="TLS termination and routing to the service")],
            key_metrics=[KeyMetric(metric="Nginx 5xx share", normal_range="< 0.1%",
                                   alert_threshold="> 1% for 5 min", dashboard="fill in: Nginx dashboard")],
            prerequisites=["kubectl access to the ingress-nginx namespace" if ingress
                           else "sudo on the Nginx hosts" if on_host else f"access to run commands in {proxy} "
                           "(see Tools)"],
            deploy_caveats=["Always run nginx -t before reloading: a reload with a broken config is refused, but "
                            "a restart with one leaves Nginx down."],
            signals=signals,
            issues=issues,
            daily=["Check 5xx counts in the access logs"],
            weekly=["Check TLS certificate expiry (more than 21 days left)"],
            monthly=["Review worker_connections against peak connections"],
            maintenance_commands=[test, cmd("Certificate expiry as served",
                                            f"echo | openssl s_client -connect {q(tls_host + ':443')} -servername "
                                            f"{q(tls_host)} 2>/dev/null | openssl x509 -noout -enddate",
                                            "notAfter more than 21 days away")],
            dr_procedures=[Procedure(title="Nginx: host lost", commands=[test])] if on_host else [],
            cheatsheet=[test, five_xx] + ([] if ingress else [cmd("Full effective configuration",
                                                                 f"{p.as_root(proxy, 'nginx -T')} | less"
                                                                 if not on_host else "sudo nginx -T | less")]),
        )


def _named(ctx: Context) -> bool:
    """The model names Nginx's own workload (a Deployment, a container …): then it is not the shared ingress
    controller."""
    comp = ctx.model.component("nginx") if ctx.model is not None else None
    return comp is not None and any(n.role in ("deployment", "container", "compose_service", "unit")
                                    for n in comp.names)


PACK = NginxPack()
