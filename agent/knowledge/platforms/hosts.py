"""systemd units on hosts: cloud VMs and bare metal."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.knowledge.platforms.base import UNITS, Action, Platform, cmd, q, remote_quote, service_unit
from agent.knowledge.platforms.owners import Owner
from agent.knowledge.platforms.quorum import Quorum, needs, quorum_of
from agent.knowledge.platforms.releases import CodeDeploy, ansible_playbook
from agent.knowledge.profiles import default_unit
from agent.runbook import Command
from agent.service.vocabulary import phrase_pattern, vocabulary


class SystemdHosts(Platform):
    workload_key = "systemd.unit"

    def __post_init__(self) -> None:
        f = self.ctx.facts
        self.unit = service_unit(self.ctx)
        comp = self.component
        if comp is not None and (self.ctx.model is None or comp is not self.ctx.model.app):
            self.unit = (comp.name("unit") or UNITS.get(comp.technology) or default_unit(comp.technology)
                         or comp.technology or comp.id).removesuffix(
                ".service")
        config = self.owners.config
        self.ansible = "ansible" in self.ctx.text or (config is not None and config.by == "ansible")
        if "systemd.unit" not in f.names:
            self.assumptions.append(f"systemd unit '{self.unit}.service' on each host")
        hosts = f.names.get("hosts")
        self.hosts = hosts.split(",") if hosts else []
        if comp is not None and comp.names_of("host"):
            self.hosts = comp.names_of("host")
        self.hosts = self._own_hosts(self.hosts)

    def _own_hosts(self, hosts: list[str]) -> list[str]:
        """The hosts that run this unit: when the workload has several units (opensearch and logstash), a
        host named after another of them (logstash-1) runs that one, never this unit."""
        comp = self.component or (self.ctx.model.app if self.ctx.model is not None else None)
        units = {u.removesuffix(".service").lower() for u in (comp.names_of("unit") if comp is not None else [])}
        others = [u for u in units if u != self.unit.lower() and len(u) > 2]
        if not others:
            return hosts
        mine = [h for h in hosts if self.unit.lower() in h.lower()
                or not any(u in h.lower() for u in others)]
        left = [h for h in hosts if h not in mine]
        if left:  # none left: this unit's hosts are asked for (HOSTS), never guessed from another unit's
            self.assumptions.append(f"{', '.join(left)} run another unit ({', '.join(sorted(others))}), not "
                                    f"{self.unit}: left out of {self.unit}'s commands")
        return mine

    @property
    def ssh(self) -> str:
        """How to run a command on $HOST: gcloud compute ssh when the description gives a GCE zone."""
        names = self.ctx.facts.names
        if self.cloud == "gcp" and "gcp.zone" in names:
            project = f" --project {q(names['gcp.project'])}" if "gcp.project" in names else ""
            return f"gcloud compute ssh \"$HOST\" --zone {q(names['gcp.zone'])}{project} --command"
        return "ssh \"$HOST\""

    def hosts_var(self) -> str:
        if self.hosts:
            return f"HOSTS={q(' '.join(self.hosts))}"
        return self.discover_hosts()

    def discover_hosts(self) -> str:
        return "HOSTS=\"${HOSTS:?set HOSTS to the space-separated host names, e.g. from the inventory}\""

    def on_hosts(self, remote: str, *, stop_on_error: bool = False) -> str:
        tail = " || break" if stop_on_error else ""
        return (f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                f"  {self.ssh} {remote_quote(remote)}{tail}\ndone")

    def diagram_node(self) -> str:
        count = len(self.hosts) or self.ctx.facts.replicas
        return f"{self.unit} ({count} hosts)" if count else f"{self.unit} (hosts)"

    def config_files(self) -> list[str]:
        return [f"/etc/systemd/system/{self.unit}.service (unit, environment)",
                f"/etc/{self.unit}/ (application config, if used — confirm on a host)"]

    def status(self) -> list[Command]:
        if self.ctx.answers.service_type == "pipeline":
            return [cmd(f"Next and last run of {self.unit}.timer, and how the last run ended",
                        self.on_hosts(f"systemctl list-timers {self.unit}.timer --no-pager; systemctl show "
                                      f"{self.unit}.service -p Result -p ExecMainStatus -p ExecMainExitTimestamp"),
                        "The timer lists a NEXT time; Result=success and ExecMainStatus=0 for the last run")]
        return [cmd(f"Is {self.unit} active on every host?",
                    self.on_hosts(f"systemctl is-active {self.unit}; systemctl show {self.unit} -p NRestarts "
                                  "-p ActiveEnterTimestamp"),
                    "'active' everywhere and NRestarts not growing; 'failed'/'activating' → Troubleshooting")]

    def journal(self, since: str) -> str:
        journal_since = since.replace("m", " min ago").replace("h", " hour ago")
        return f"journalctl -u {self.unit} --since '{journal_since}' --no-pager"

    def log_tail(self, since: str) -> str:
        return self.on_hosts(f"{self.journal(since)} | tail -n 200")

    def logs(self, since: str = "15m", grep: str | None = None) -> Command:
        remote = self.journal(since)
        if grep:
            return cmd(f"Search the last {since} of the journal for '{grep}'",
                       self.on_hosts(f"{remote} | grep -iE '{grep}' | tail -n 50"),
                       "No matches is healthy; repeated matches show the failing path")
        return cmd(f"Journal of {self.unit} for the last {since}", self.on_hosts(f"{remote} | tail -n 200"),
                   "No errors or restart loops")

    def events(self) -> Command:
        return cmd("Kernel and service events (OOM killer, disk errors, restarts)",
                   self.on_hosts("journalctl -k --since '1 hour ago' --no-pager | grep -iE "
                                 "'oom|killed process|i/o error' | tail -n 20"),
                   "No OOM kills or I/O errors")

    def resources(self) -> Command:
        return cmd("Load, memory and the service's own usage",
                   self.on_hosts(f"uptime; free -m; systemctl status {self.unit} --no-pager | "
                                 "grep -E 'Memory|CPU|Tasks'"),
                   "Load below the core count, free memory > 10%")

    def version(self) -> Command:
        return cmd("Installed version / start time on each host",
                   self.on_hosts(f"systemctl show {self.unit} -p ExecStart -p ActiveEnterTimestamp"),
                   "Same version on every host")

    def history(self) -> Command:
        return cmd("Recent starts and stops of the unit",
                   self.on_hosts(f"journalctl -u {self.unit} --since '24 hours ago' --no-pager | "
                                 "grep -E 'Started|Stopped|Failed' | tail -n 10"),
                   "Only the restarts you know about (deploys)")

    def local_health_check(self) -> Command:
        if self.health_unknown:
            return self.guarded_health_check("from a host that can reach it")
        # -k on the loopback only: the certificate names the node's DNS name, not 127.0.0.1
        insecure = "k" if self.health_url().startswith("https") else ""
        return cmd(f"Call {self.health} on each host",
                   self.on_hosts(f"curl -fsS{insecure} -o /dev/null -w 'HTTP %{{http_code}} in %{{time_total}}s\\n' "
                                 f"--max-time 10 {q(self.health_url())}"),
                   self.health_expect("HTTP 200 from every host"))

    def connections(self) -> Command:
        return cmd(f"Established connections per host (port {self.port} and outbound)",
                   self.on_hosts("ss -s; ss -tn state established | wc -l"),
                   "Stable counts; thousands of CLOSE-WAIT/TIME-WAIT point at a connection leak")

    def disk_check(self) -> Command:
        return cmd("Filesystem usage on each host", self.on_hosts("df -h -x tmpfs -x devtmpfs"),
                   "Every filesystem below 80%")

    # --- through the owner: HA manager, config management ----------------------------------------
    @property
    def patroni(self) -> str | None:
        """The Patroni cluster when Patroni owns this workload's failover and restarts."""
        ha = self.owners.ha_manager
        if ha is None or ha.by != "patroni":
            return None
        return ha.name or self.ctx.facts.name("patroni.cluster", f"{self.ctx.facts.service}-db")

    def patronictl(self, args: str) -> str:
        return f"sudo patronictl -c /etc/patroni/patroni.yml {args}"

    def via_config_management(self, purpose: str, what: str, expect: str) -> Command | None:
        """Apply a change of `what` made in the config-management code; None when no tool owns it."""
        owner = self.owners.config
        if owner is None or not owner.config_management or owner.by == "terraform":
            return None
        if owner.by == "ansible":
            code = ("INVENTORY=\"${INVENTORY:?set INVENTORY to the production inventory file}\"\n"
                    "PLAYBOOK=\"${PLAYBOOK:?set PLAYBOOK to the playbook that manages the service}\"\n"
                    "ansible-playbook -i \"$INVENTORY\" \"$PLAYBOOK\" --check --diff\n"
                    "ansible-playbook -i \"$INVENTORY\" \"$PLAYBOOK\" --forks 1")
        elif owner.by == "chef":
            code = self.on_hosts("sudo chef-client --why-run && sudo chef-client", stop_on_error=True)
        elif owner.by == "puppet":
            # --test exits 2 when it changed something: only a failure (4, 6) stops the loop
            code = self.on_hosts("sudo puppet agent --test --noop; sudo puppet agent --test; [ $? -ne 4 ] && "
                                 "[ $? -ne 6 ]", stop_on_error=True)
        else:
            code = self.on_hosts("sudo salt-call state.apply test=True && sudo salt-call state.apply",
                                 stop_on_error=True)
        return cmd(purpose, code, expect, owner.change(what) + ".")

    def replicas_first(self, remote: str, purpose: str, expect: str, warning: str) -> Command:
        return cmd(purpose, "REPLICAS=\"${REPLICAS:?set REPLICAS to the replica hosts only (never the primary)}\"\n"
                   f"for HOST in $REPLICAS; do\n  echo \"== $HOST\"\n  {self.ssh} {remote_quote(remote)} || break\n"
                   "done", expect, warning)

    @property
    def codedeploy(self) -> CodeDeploy | None:
        """The CodeDeploy deployment group that releases onto these hosts (EC2 / on-premises, in place)."""
        owner = next((o for o in (self.owners.deploy, self.owners.rollout) if o is not None and o.by == "codedeploy"),
                     None)
        return CodeDeploy(owner, self.region, self.unit) if owner is not None else None

    @property
    def playbook_owner(self) -> Owner | None:
        """Ansible as the release owner: the deploy owner it is, or the config owner when the words say so."""
        for owner in (self.owners.deploy, self.owners.config):
            if owner is not None and owner.by == "ansible":
                return owner
        return Owner("ansible", "deploy") if self.ansible else None

    def pre_deploy(self) -> list[Command]:
        owned = [self.codedeploy.status()] if self.codedeploy is not None else []
        return [*self.status(), self.version(), self.disk_check(), *owned]

    def deploy(self) -> list[Command]:
        if self.codedeploy is not None and not self.stateful:
            return [self.codedeploy.deploy_bundle()]
        playbook = self.playbook_owner
        if playbook is not None:
            return [ansible_playbook(playbook, "Dry run, then apply the playbook one host at a time", "VERSION",
                                     "The check run shows only intended changes; the real run ends with failed=0 on "
                                     "every host")]
        if self.patroni:
            return [cmd("Config change through Patroni: edit the cluster's dynamic configuration, then restart "
                        "the members that need it",
                        f"{self.patronictl(f'edit-config {q(self.patroni)}')}\n"
                        f"{self.patronictl(f'list {q(self.patroni)}')}  # 'Pending restart' marks who needs one\n"
                        f"{self.patronictl(f'restart {q(self.patroni)} --pending')}",
                        "The change shows in patronictl show-config; no member left with 'Pending restart'",
                        "PostgreSQL settings live in Patroni's configuration (DCS): a postgresql.conf edit on a host "
                        "is overwritten. For a minor-version upgrade: upgrade the packages on the replicas, restart "
                        "them through patronictl, switch over, then upgrade the old leader.")]
        row = self.quorum
        if row is not None:
            return [self.rolling_restart(row, "Config change or minor-version upgrade (installed on every member "
                                              "first)")]
        if self.stateful:
            return [self.replicas_first(
                f"sudo systemctl restart {self.unit} && sleep 10 && systemctl is-active {self.unit}",
                "Config change or minor-version upgrade: restart replicas one at a time, primary last",
                "'active' on each replica and replication caught up before the next one",
                "Restart the primary only after a controlled switchover to an up-to-date replica; check "
                "replication lag between hosts and never fail over to a lagging replica.")]
        if self.ctx.answers.service_type == "pipeline":
            return [cmd("Switch every host to the new release between runs (the next timer run uses it)",
                        "VERSION=\"${VERSION:?set VERSION to the release directory name to activate}\"\n"
                        f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                        f"  {self.ssh} \"systemctl is-active --quiet {self.unit}.service && echo 'run in progress: "
                        f"wait' || sudo ln -sfn /opt/{self.unit}/releases/$VERSION /opt/{self.unit}/current\"\n"
                        "done",
                        "No 'run in progress' lines; the next scheduled run logs the new version",
                        f"Assumes releases are unpacked under /opt/{self.unit}/releases with a 'current' symlink — "
                        "adapt to your deploy tool. Never switch while a run is in progress.")]
        remote = (f"sudo ln -sfn /opt/{self.unit}/releases/$VERSION /opt/{self.unit}/current && "
                  f"sudo systemctl restart {self.unit} && sleep 5 && systemctl is-active {self.unit}")
        return [cmd("Rolling deploy, one host at a time, stopping at the first failure",
                    "VERSION=\"${VERSION:?set VERSION to the release directory name to activate}\"\n"
                    f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                    f"  {self.ssh} \"{remote}\" || break\ndone",
                    "'active' after each host; the loop stops at the first host that fails",
                    f"Assumes releases are unpacked under /opt/{self.unit}/releases with a 'current' symlink — adapt "
                    "to your deploy tool. Each host is briefly out of rotation while it restarts.")]

    def post_deploy(self) -> list[Command]:
        return [*self.status(), self.logs("10m", "error|exception|fatal"), self.health_check()]

    def rollback(self) -> list[Command]:
        if self.codedeploy is not None and not self.stateful:
            return [self.version(), self.codedeploy.stop(), self.codedeploy.redeploy_bundle(), *self.status()]
        playbook = self.playbook_owner
        if playbook is not None and not self.patroni and not self.stateful:
            return [self.version(),
                    ansible_playbook(playbook, "Dry run, then run the deploy playbook with the previous release",
                                     "PREVIOUS", "The check run shows only the version going back; the real run "
                                     "ends with failed=0 on every host",
                                     "Rolls every host back, as the playbook orders it; never point a host back by "
                                     "hand: the next playbook run would undo it."),
                    *self.status()]
        if self.patroni:
            return [cmd("Put the previous settings back in Patroni's configuration and restart the members that "
                        "need it",
                        f"{self.patronictl(f'edit-config {q(self.patroni)}')}\n"
                        f"{self.patronictl(f'restart {q(self.patroni)} --pending')}",
                        "patronictl show-config shows the old values; no member left with 'Pending restart'",
                        "A major-version upgrade cannot be rolled back this way: restore from backup (see "
                        "Disaster Recovery)."), *self.status()]
        row = self.quorum
        if row is not None:
            return [self.version(), self.rolling_restart(
                row, "Once the previous version / configuration is back on every member (through your deploy "
                     "tool), restart"), *self.status()]
        if self.stateful:
            return [self.version(),
                    cmd("Put the previous configuration back on every host that got the change, replicas first",
                        "CONFIG=\"${CONFIG:?set CONFIG to the config file you changed}\"\n"
                        "REPLICAS=\"${REPLICAS:?set REPLICAS to the replica hosts only (never the primary)}\"\n"
                        "for HOST in $REPLICAS; do\n  echo \"== $HOST\"\n"
                        f"  {self.ssh} \"sudo cp -a $CONFIG.bak $CONFIG && sudo systemctl restart {self.unit} && "
                        f"systemctl is-active {self.unit}\" || break\ndone",
                        "'active' everywhere with the old settings",
                        "Assumes you kept CONFIG.bak before the change. A major-version upgrade cannot be rolled "
                        "back this way: restore from backup (see Disaster Recovery)."),
                    *self.status()]
        restart = ("true" if self.ctx.answers.service_type == "pipeline"  # a restart would start a run
                   else f"sudo systemctl restart {self.unit} && systemctl is-active {self.unit}")
        remote = f"sudo ln -sfn /opt/{self.unit}/releases/$PREVIOUS /opt/{self.unit}/current && {restart}"
        return [self.version(),
                cmd("Point every host back at the previous release and restart, one at a time",
                    "PREVIOUS=\"${PREVIOUS:?set PREVIOUS to the last known-good release directory}\"\n"
                    f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                    f"  {self.ssh} \"{remote}\" || break\ndone",
                    "'active' on every host", "Restarts the service host by host; keep at least one host "
                    "serving at all times."),
                *self.status()]

    def restart_one(self) -> Command:
        if self.patroni:
            return cmd(f"Restart PostgreSQL on one member through Patroni (cluster {self.patroni})",
                       "MEMBER=\"${MEMBER:?set MEMBER to the member name from patronictl list}\"\n"
                       f"{self.patronictl('list')}\n" + self.patronictl(f"restart {q(self.patroni)} \"$MEMBER\""),
                       "patronictl list shows the member running again with lag 0",
                       "Restarting the leader makes it unavailable for writes for the restart; switch over first "
                       f"({self.patronictl('switchover')}). Never restart postgresql with systemctl under Patroni.")
        row = self.quorum
        if row is not None:
            check, why = self.comes_back_only_if(row)
            return cmd(f"Restart {self.unit} on one member, then wait until the cluster is healthy",
                       "HOST=\"${HOST:?set HOST to the unhealthy member}\"\n"
                       + check.replace("HOST=\"${HOSTS%% *}\"\n", "")
                       + f"{self.ssh} {remote_quote(f'sudo systemctl restart {self.unit}')}\n"
                       f"until {self.ssh} {remote_quote(row.health)}; do sleep 10; done",
                       row.healthy,
                       f"{row.label} needs {row.quorum}: restart a member only while every other one is healthy."
                       + why)
        return cmd(f"Restart {self.unit} on one host",
                   "HOST=\"${HOST:?set HOST to the unhealthy host}\"\n"
                   f"{self.ssh} 'sudo systemctl restart {self.unit} && systemctl is-active {self.unit}'",
                   "'active'; health endpoint answers again within a minute",
                   "Interrupts in-flight work on that host only.")

    @property
    def quorum(self) -> Quorum | None:
        """The quorum row of this workload's technology when its members elect a leader or vote."""
        found = quorum_of(self.ctx, self.component, self.unit)
        return found[1] if found is not None else None

    def comes_back_only_if(self, row: Quorum) -> tuple[str, str]:
        """(lines that check what a restarted member needs, the warning sentence), empty when none."""
        dep = needs(self.ctx, row)
        if dep is None:
            return "", ""
        what, check = dep
        return (f"# a restarted member comes back only with {what.split(':')[0]}: check it first\n"
                f"HOST=\"${{HOSTS%% *}}\"\n{self.ssh} {remote_quote(check)}\n",
                f" Check {what}.")

    def rolling_restart(self, row: Quorum, purpose: str) -> Command:
        """Followers first, the leader last, each member healthy again before the next: never two down."""
        check, why = self.comes_back_only_if(row)
        lines = [self.hosts_var(), check.rstrip("\n")] if check else [self.hosts_var()]
        if row.leader:
            lines += [f"{self.ssh.replace('$HOST', '${HOSTS%% *}')} {remote_quote(row.leader)}  # who leads now",
                      "LEADER=\"${LEADER:?set LEADER to the host that leads now (above): it restarts last}\"",
                      # every host but the leader, then the leader (no second loop to compute it)
                      "ORDER=\" $HOSTS \"",
                      "ORDER=\"${ORDER/\" $LEADER \"/ } $LEADER\""]
        else:
            lines.append("ORDER=\"$HOSTS\"")
        body = ["for HOST in $ORDER; do", "  echo \"== $HOST\""]
        if row.leader and row.step_down:
            body.append(f"  [ \"$HOST\" = \"$LEADER\" ] && {{ {self.ssh} {remote_quote(row.step_down)} || break; }}")
        if row.before:
            body.append(f"  {self.ssh} {remote_quote(row.before)} || break")
        body.append(f"  {self.ssh} {remote_quote(f'sudo systemctl restart {self.unit}')} || break")
        if row.joined:
            body.append(f"  until {self.ssh} {remote_quote(row.joined)}; do sleep 10; done")
        if row.after:
            body.append(f"  {self.ssh} {remote_quote(row.after)}")
        body += [
                 "  # wait until it rejoined and the cluster is healthy: the next member only then",
                 "  TRIES=0",
                 f"  until {self.ssh} {remote_quote(row.health)}; do",
                 "    TRIES=$((TRIES + 1))",
                 "    [ \"$TRIES\" -ge 60 ] && { echo \"$HOST not healthy after 10 minutes: stop here\"; break 2; }",
                 "    sleep 10",
                 "  done", "done"]
        order = "followers first, the leader last" if row.leader else "one member at a time"
        return cmd(f"{purpose}: rolling, {order}, waiting for cluster health after each", "\n".join(lines + body),
                   f"{row.healthy}; the loop stops at the first member that does not come back",
                   f"{row.label} needs {row.quorum}. Never restart members in parallel or on a timer." + why
                   + (" The leader steps down before its restart, so the election is planned." if row.step_down
                      else " Restarting the leader triggers an election: it goes last." if row.leader else ""))

    def restart_all(self) -> Command:
        if self.ctx.answers.service_type == "pipeline":
            return self.rerun()
        row = self.quorum
        if row is not None and not self.patroni:
            return self.rolling_restart(row, f"Restart {self.unit} on every member")
        if self.patroni:
            return cmd(f"Restart every member of {self.patroni} through Patroni",
                       f"{self.patronictl('list')}\n{self.patronictl(f'restart {q(self.patroni)}')}",
                       "patronictl asks to confirm, restarts each member and list shows them running, one leader",
                       "Restarts the leader too (writes stop while it restarts); for a config change prefer "
                       f"'restart {self.patroni} --pending' (only members that need it).")
        if self.stateful:
            return self.replicas_first(
                f"sudo systemctl restart {self.unit} && sleep 10 && systemctl is-active {self.unit}",
                f"Restart {self.unit} on the replicas, one at a time",
                "'active' on each replica; replication caught up before the next",
                "Never restart every database host at once. Restart the primary only after a switchover to an "
                "up-to-date replica (a lagging replica loses the writes it has not replayed).")
        return cmd(f"Restart {self.unit} on every host, one at a time",
                   f"{self.hosts_var()}\nfor HOST in $HOSTS; do\n  echo \"== $HOST\"\n"
                   f"  {self.ssh} 'sudo systemctl restart {self.unit} && sleep 10 && systemctl is-active "
                   f"{self.unit}' || break\ndone",
                   "'active' on every host",
                   "Restarts the service everywhere (sequentially). Safer: restart only the failing host.")

    def scale(self, replicas: str, purpose: str) -> Command:
        row = self.quorum
        if row is not None and replicas != "0":
            # members are added by joining them, and a restart adds no capacity
            show = row.leader or row.health
            return cmd(f"{purpose}: see the current members first", self.on_hosts(show) if not row.leader else
                       f"{self.hosts_var()}\nHOST=\"${{HOSTS%% *}}\"\n{self.ssh} {remote_quote(show)}",
                       "every member listed and healthy",
                       f"Adding a {row.label} member is a planned membership change (provision, join, keep an odd "
                       f"count of voters), not a restart; restarting members adds no capacity. It needs "
                       f"{row.quorum}.")
        if replicas == "0":
            return self.stop()
        # a fleet of hosts grows by provisioning; restarting its members adds no capacity
        config = self.owners.config
        how = (f"through {config.label} (add the host to the inventory, apply)" if config is not None and
               config.config_management else "through your provisioning (a new host with the same release)")
        return cmd(f"{purpose}: see how loaded each host is first", self.on_hosts("nproc; uptime"),
                   "load average per host against its CPU count: when every host is saturated, add hosts "
                   f"{how}; when one is, look at what differs on it",
                   "Restarting hosts adds no capacity and drops their in-flight work; it is not a way to scale."
                   + self.bounds_note())

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        owned = self.via_config_management(purpose + f": set {name}={value} in the configuration code, then apply",
                                           f"the {name} setting of {self.unit}",
                                           f"Service restarted with {name}={value}")
        if owned is not None:
            return owned
        remote = (f"sudo mkdir -p /etc/systemd/system/{self.unit}.service.d && printf '[Service]\\n"
                  f"Environment={name}={value}\\n' | sudo tee /etc/systemd/system/{self.unit}.service.d/"
                  f"{name.lower()}.conf && sudo systemctl daemon-reload && sudo systemctl restart {self.unit}")
        row = self.quorum
        if row is not None:
            # the drop-in everywhere first; the restart is the rolling one of Service is Down, not a second copy
            restart = self.restart_all()
            return cmd(f"{purpose}: the setting on every member, then the rolling restart",
                       self.on_hosts(remote.removesuffix(f" && sudo systemctl restart {self.unit}"))
                       + f"\n# takes effect at the restart: now run '{restart.purpose}' (Service is Down)",
                       f"The drop-in on every member; after the rolling restart every member runs with {name}={value}",
                       f"Only useful if {self.unit} honours {name}; remove the drop-in file and restart to undo. "
                       f"{row.label} needs {row.quorum}: restart the members one at a time, never together.")
        return cmd(purpose, self.on_hosts(remote),
                   f"Service restarted with {name}={value}",
                   f"Restarts the service on every host. Only useful if it honours {name}; remove the drop-in "
                   "file and restart to undo.")

    def rerun(self) -> Command:
        return cmd(f"Start one run of {self.unit} now (oneshot unit behind a timer)",
                   "HOST=\"${HOST:?set HOST to the host that runs the job}\"\n"
                   f"{self.ssh} 'sudo systemctl start --no-block {self.unit}.service && systemctl list-timers "
                   f"{self.unit}.timer --no-pager'",
                   "The unit goes 'activating' then 'inactive (dead)' with status 0/SUCCESS; follow it with journalctl",
                   "Runs the job for real: check no run is in progress and the job is idempotent for its window.")

    def stop(self) -> Command:
        if self.patroni:
            return self.stop_workload(self.unit, "full stop")
        return cmd(f"Stop {self.unit} on every host", self.on_hosts(f"sudo systemctl stop {self.unit}"),
                   "'inactive' everywhere; nothing is processed until started again",
                   "Full stop of the service on all hosts.")

    def cheatsheet(self) -> list[Command]:
        return [
            cmd("Follow the journal on one host", "HOST=\"${HOST:?set HOST}\"\n"
                f"{self.ssh} 'journalctl -u {self.unit} -f'"),
            cmd("Unit status with the last log lines", "HOST=\"${HOST:?set HOST}\"\n"
                f"{self.ssh} 'systemctl status {self.unit} --no-pager -l'"),
            cmd("Unit file and drop-ins as loaded", "HOST=\"${HOST:?set HOST}\"\n"
                f"{self.ssh} 'systemctl cat {self.unit}'"),
            cmd("Listening sockets", f"HOST=\"${{HOST:?set HOST}}\"\n{self.ssh} 'sudo ss -ltnp'"),
            self.disk_check(),
        ]

    # --- named workloads ------------------------------------------------------------------------
    def component_workload(self) -> str:
        return self.unit

    def resolve(self, workload: str) -> str:
        # the service's own workload is its unit (the one named, else the engine's package unit, else the slug)
        resolved = super().resolve(workload)
        return self.unit if resolved == self.ctx.facts.service and "systemd.unit" not in self.ctx.facts.names \
            else resolved

    def exec_in(self, workload: str, command: str, env: Sequence[str] = ()) -> str:
        return command  # on the host itself, in the operator's own environment

    def log_stream(self, workload: str) -> str:
        return f"journalctl -u {q(self.resolve(workload))} --since '30 min ago' --no-pager"

    def as_root(self, workload: str, command: str) -> str:
        return f"sudo {command}"

    def edit_config(self, workload: str, path: str, what: str) -> str:
        owned = self.via_config_management(f"Apply {what}", what, "")
        if owned is not None:
            return f"{self.owned_edit(what)}\n{owned.code}"
        return f"sudoedit {path}  # {what}"

    def stop_workload(self, workload: str, why: str) -> Command:
        workload = self.resolve(workload)
        if self.patroni:
            # Patroni runs PostgreSQL: stopping Patroni stops it cleanly; stopping postgresql races Patroni.
            return cmd(f"Stop Patroni (and with it PostgreSQL) on every member, replicas first ({why})",
                       f"{self.patronictl('list')}\nsudo systemctl stop patroni  # on each replica, then on the leader",
                       "patronictl list (from a member still running) shows the stopped members gone",
                       f"Stops the database cluster {self.patroni}. Never stop or start postgresql itself, or use "
                       "pg_ctl, while Patroni manages it.")
        return super().stop_workload(workload, why)

    def start_workload(self, workload: str, replicas: int | None = None) -> Command:
        workload = self.resolve(workload)
        if self.patroni:
            return cmd("Start Patroni again: first on the member to lead, then on the others",
                       f"sudo systemctl start patroni  # on the member to lead first, then on the others\n"
                       f"{self.patronictl('list')}",
                       "One Leader and the other members streaming; a member that cannot follow: "
                       f"{self.patronictl(f'reinit {q(self.patroni)} MEMBER')}")
        return super().start_workload(workload, replicas)

    def restart_workload(self, workload: str) -> Command:
        workload = self.resolve(workload)
        if self.patroni:
            return self.restart_all()
        return super().restart_workload(workload)

    stop_where = " Run it on every host of the service."

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        status = f"\nsystemctl status {q(workload)} --no-pager" if action == "restart" else ""
        return f"sudo systemctl {action} {q(workload)}{status}"

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        checks = [*self.status(),
                  cmd("Why the unit failed", "HOST=\"${HOST:?set HOST to the failing host}\"\n"
                      f"{self.ssh} 'systemctl status {self.unit} --no-pager -l; journalctl -u {self.unit} -n 100 "
                      "--no-pager'", "The last lines name the cause (config error, port in use, dependency)"),
                  self.events()]
        fixes: list[tuple[str, Command | None]] = [
            ("If it started with a deploy, point back at the previous release", self.rollback()[1]),
            ("If the OOM killer fired, find the memory growth and raise MemoryMax / host size", None),
            ("If it hit StartLimitBurst, fix the cause, then 'systemctl reset-failed' and start it", None),
        ]
        return (f"{self.unit} failing or restart-looping",
                "systemctl shows 'failed' or 'activating (auto-restart)', NRestarts growing", checks, fixes)


class VM(SystemdHosts):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.key, self.label = "vm", "VMs"

    def rg_var(self) -> str:
        return "RESOURCE_GROUP=\"${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the VMs}\""

    def discover_hosts(self) -> str:
        if self.cloud == "azure":
            return (f"HOSTS=\"$(az vm list -d --query \"[?tags.service=='{self.slug}'].privateIps\" -o tsv)\"")
        if self.cloud == "gcp":
            return (f"HOSTS=\"$(gcloud compute instances list --filter='labels.service={self.slug}' "
                    "--format='value(name)')\"")
        asg = self.ctx.facts.names.get("asg")
        # Instances of an Auto Scaling group carry its name in the aws:autoscaling:groupName tag.
        tag = f"Name=tag:aws:autoscaling:groupName,Values={asg}" if asg else f"Name=tag:Service,Values={self.slug}"
        return (f"HOSTS=\"$(aws ec2 describe-instances --region {q(self.region)} "
                f"--filters {q(tag)} 'Name=instance-state-name,Values=running' "
                "--query 'Reservations[].Instances[].PrivateDnsName' --output text)\"")

    def asg_refresh(self) -> Command | None:
        asg = self.ctx.facts.names.get("asg")
        if self.cloud != "aws" or not asg:
            return None
        scope = f"--region {q(self.region)} --auto-scaling-group-name {q(asg)}"
        return cmd(f"If the release is baked into the launch template/AMI: replace the instances of {asg} gradually",
                   f"aws autoscaling start-instance-refresh {scope} --preferences "
                   "'{\"MinHealthyPercentage\": 90, \"InstanceWarmup\": 120}'\n"
                   f"aws autoscaling describe-instance-refreshes {scope} --max-records 1 "
                   "--query 'InstanceRefreshes[0].[Status,PercentageComplete,StatusReason]' --output text",
                   "Status InProgress then Successful; targets healthy in the target group throughout",
                   "Replaces every instance: anything changed by hand on a host is lost. If health drops, stop "
                   f"with aws autoscaling cancel-instance-refresh {scope} (or rollback-instance-refresh).")

    def deploy(self) -> list[Command]:
        refresh = self.asg_refresh()
        return [*super().deploy(), *([refresh] if refresh else [])]

    def scale(self, replicas: str, purpose: str) -> Command:
        asg = self.ctx.facts.names.get("asg")
        scaler = self.owners.autoscaler
        if self.cloud != "aws" or replicas == "0" or (not asg and scaler is None):
            return super().scale(replicas, purpose)
        cap = self.capacity
        if replicas.isdigit():
            replicas = str(cap.bounded(int(replicas)))
        group = q(asg) if asg else "\"$ASG\""
        declare = "" if asg else "ASG=\"${ASG:?set ASG to the Auto Scaling group of the hosts}\"\n"
        scope = f"--region {q(self.region)} --auto-scaling-group-name {group}"
        update = (f"aws autoscaling update-auto-scaling-group {scope} --min-size {replicas} "
                  f"--desired-capacity {replicas}")
        sizes = (f"aws autoscaling describe-auto-scaling-groups --region {q(self.region)} "
                 f"--auto-scaling-group-names {group} --query ")
        code = (f"{declare}{sizes}'AutoScalingGroups[0].[MinSize,DesiredCapacity,MaxSize]' --output text\n{update}"
                if cap.high is not None else
                f"{declare}MAX=\"$({sizes}'AutoScalingGroups[0].MaxSize' --output text)\"\n"
                f"if [ \"$MAX\" -ge {replicas} ]; then\n  {update}\nelse\n"
                f"  echo \"MaxSize is $MAX, below {replicas}: raise it first (a capacity decision)\"\nfi")
        back = f" (to {cap.low})" if cap.low is not None else ""
        return cmd(purpose + " through the Auto Scaling group", code,
                   "New instances InService and healthy in the target group within minutes",
                   "The Auto Scaling group owns the host count: a host started by hand is not in it. The new "
                   f"minimum and desired capacity stay at or below MaxSize; lower MinSize again{back} once the "
                   "incident is over." + self.bounds_note())

    def caveats(self) -> list[str]:
        asg = self.ctx.facts.names.get("asg")
        return [*super().caveats(), *([f"The hosts belong to the Auto Scaling group {asg}: a scale-in or instance "
                                       "refresh replaces them, so a fix made by hand on one host must also go into "
                                       "the launch template/AMI or configuration management."]
                                      if self.cloud == "aws" and asg else [])]

    @property
    def cloud_compute(self) -> bool:
        """Whether the model puts the hosts in the cloud's compute service (EC2, GCE, Azure VMs): a cloud
        named only for storage (backups to S3) says nothing about where the VMs run."""
        model = self.ctx.model
        if model is None:
            return True  # facts built by hand: the cloud answer is all there is
        ids = _COMPUTE.get(self.cloud, ())
        if any(c.technology in ids for c in model.components) or any(
                component.name(role) for component in model.workloads() for role in ("asg", "instance")):
            return True
        vocab = vocabulary().technologies
        words = [w for i in ids if i in vocab for w in vocab[i].words]
        return bool(words) and bool(phrase_pattern(words).search(model.platform.evidence))

    def location(self) -> str:
        kind = {"gcp": "GCE instances", "azure": "Azure VMs"}.get(self.cloud, "EC2 instances") \
            if self.cloud_compute else "VMs"
        where = ", ".join(self.hosts) if self.hosts else kind
        # a region is a cloud's: VMs in a data centre have none unless the description gives one
        region = f" ({self.region})" if self.cloud_compute or self.ctx.facts.region else ""
        return f"{where}{region}, systemd unit {self.unit}"

    def tools(self) -> list[str]:
        cloud = ("Azure CLI (az) with Reader on the VMs' resource group" if self.cloud == "azure" else
                 "gcloud CLI (compute.instances.list/get)" if self.cloud == "gcp"
                 else f"aws CLI v2 with ec2:Describe* in {self.region}")
        return ["SSH access with sudo to the hosts (bastion / SSM / IAP as your org uses)",
                *([cloud] if self.cloud_compute else []), "systemctl and journalctl on the hosts"]

    def instances(self) -> Command:
        if self.cloud == "azure":
            return cmd("VM power state in Azure",
                       f"az vm list -d --query \"[?tags.service=='{self.slug}'].{{name:name, state:powerState, "
                       "ip:privateIps}\" -o table", "Every VM 'VM running'")
        if self.cloud == "gcp":
            return cmd("Instance state in GCE",
                       f"gcloud compute instances list --filter='labels.service={self.slug}' "
                       "--format='table(name,zone,status,networkInterfaces[0].networkIP)'",
                       "Every instance RUNNING")
        return cmd("Instance state and status checks in EC2",
                   f"aws ec2 describe-instances --region {q(self.region)} --filters "
                   f"'Name=tag:Service,Values={self.slug}' --query "
                   "'Reservations[].Instances[].[InstanceId,State.Name,PrivateDnsName]' --output table\n"
                   f"aws ec2 describe-instance-status --region {q(self.region)} --filters "
                   "'Name=instance-status.status,Values=impaired'",
                   "All instances 'running' and no impaired status checks")

    def target_health(self) -> Command | None:
        if self.cloud != "aws" or not re.search(r"\b(?:alb|nlb|elb|load balancer|target group)\b", self.ctx.text):
            return None
        tg = self.ctx.facts.names.get("alb.target_group")
        return cmd("Load balancer view: which targets are healthy",
                   (f"TG_ARN=\"$(aws elbv2 describe-target-groups --region {q(self.region)} --names {q(tg)} "
                    "--query 'TargetGroups[0].TargetGroupArn' --output text)\"\n"
                    if tg else
                    "TG_ARN=\"${TG_ARN:?set TG_ARN to the target group ARN (aws elbv2 describe-target-groups)}\"\n")
                   + f"aws elbv2 describe-target-health --region {q(self.region)} --target-group-arn \"$TG_ARN\" "
                   "--query 'TargetHealthDescriptions[].[Target.Id,TargetHealth.State,TargetHealth.Reason]' "
                   "--output table", "Every target 'healthy'; 'unhealthy' with Target.ResponseCodeMismatch or "
                   "Target.Timeout points at the health check")

    def status(self) -> list[Command]:
        lb = self.target_health()
        own = [self.instances()] if self.cloud_compute else []
        return [*own, *super().status(), *([lb] if lb else [])]

    def redeploy_elsewhere(self) -> list[Command]:
        if not self.cloud_compute:
            return self.rebuild_hosts()
        if self.cloud == "azure":
            return [cmd("Create a replacement VM from the golden image in the recovery region",
                        f"{self.rg_var()}\n"
                        "IMAGE=\"${IMAGE:?set IMAGE to the image or gallery image version ID}\"\n"
                        f"{self.dr_region_var()}\n"
                        f"az vm create --resource-group \"$RESOURCE_GROUP\" --name {q(self.slug + '-dr-1')} "
                        f"--image \"$IMAGE\" --location \"$DR_REGION\" --tags service={self.slug}",
                        "provisioningState Succeeded; add it to the load balancer backend pool")]
        if self.cloud == "gcp":
            return [cmd("Create a replacement instance from the machine image in another zone",
                        "IMAGE=\"${IMAGE:?set IMAGE to the machine image or instance template}\"\n"
                        "ZONE=\"${ZONE:?set ZONE to the recovery zone}\"\n"
                        f"gcloud compute instances create {q(self.slug)}-dr-1 --zone \"$ZONE\" "
                        "--source-machine-image \"$IMAGE\"",
                        "Instance RUNNING; add it to the load balancer backend")]
        return [cmd("Launch a replacement from the golden AMI in the recovery region",
                    "AMI_ID=\"${AMI_ID:?set AMI_ID to the latest golden image}\"\n"
                    f"{self.dr_region_var()}\n"
                    "INSTANCE_TYPE=\"${INSTANCE_TYPE:?set INSTANCE_TYPE, e.g. m6i.large}\"\n"
                    "aws ec2 run-instances --region \"$DR_REGION\" --image-id \"$AMI_ID\" --instance-type "
                    f"\"$INSTANCE_TYPE\" --tag-specifications 'ResourceType=instance,Tags=[{{Key=Service,"
                    f"Value={self.slug}}}]'",
                    "Instance 'running'; register it with the load balancer / target group")]

    def cheatsheet(self) -> list[Command]:
        return [*([self.instances()] if self.cloud_compute else []), *super().cheatsheet()]

    def rebuild_hosts(self) -> list[Command]:
        """VMs the model does not put in a cloud's compute API: rebuilt by whatever owns their configuration,
        never from an image the model does not name."""
        owner = self.owners.config
        if owner is not None and owner.by == "ansible":
            return [cmd(f"Build the recovery hosts with Ansible (the owner of {self.unit}'s configuration)",
                        "DR_INVENTORY=\"${DR_INVENTORY:?set DR_INVENTORY to the inventory of the recovery hosts}\"\n"
                        "PLAYBOOK=\"${PLAYBOOK:?set PLAYBOOK to the playbook that builds these hosts}\"\n"
                        "ansible-playbook -i \"$DR_INVENTORY\" \"$PLAYBOOK\" --check --diff\n"
                        "ansible-playbook -i \"$DR_INVENTORY\" \"$PLAYBOOK\"",
                        f"the dry run shows only the expected changes; {self.unit} active on every recovery host",
                        "Changes the recovery hosts: run the --check pass first and read its diff.")]
        how = f"{owner.label}, which owns their configuration" if owner is not None else \
            "whatever provisions them (the service model names no owner: fill in)"
        return [cmd(f"Start {self.unit} on the standby host (built by {how})",
                    "DR_HOST=\"${DR_HOST:?set DR_HOST to the standby server}\"\n"
                    f"ssh \"$DR_HOST\" 'sudo systemctl start {self.unit} && systemctl is-active {self.unit}'",
                    "'active' on the standby host; then move the VIP/DNS to it")]


# The compute service of each cloud (vocabulary ids): VMs there are managed through its API.
_COMPUTE: dict[str, tuple[str, ...]] = {"aws": ("ec2", "asg"), "gcp": ("gce",), "azure": ("azure-vm",)}


class BareMetal(SystemdHosts):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.key, self.label = "baremetal", "Bare metal"

    def location(self) -> str:
        where = ", ".join(self.hosts) if self.hosts else "physical hosts (see inventory)"
        return f"{where}, systemd unit {self.unit}"

    def tools(self) -> list[str]:
        return ["SSH access with sudo to the hosts", "systemctl and journalctl on the hosts",
                "ipmitool / out-of-band console (iDRAC, iLO) access for hardware faults",
                "smartctl (smartmontools) on the hosts"]

    def secrets(self) -> str:
        return "Vault / the host secrets store (fill in), never in the unit file"

    def hardware(self) -> Command:
        return cmd("Hardware health: disks, memory errors, power/fans",
                   self.on_hosts("sudo dmesg -T --level=err,crit | tail -n 20; "
                                 "sudo smartctl -H /dev/sda | tail -n 2; sudo ipmitool sel elist | tail -n 10"),
                   "SMART 'PASSED', no new SEL entries, no kernel I/O or ECC errors")

    def status(self) -> list[Command]:
        return [*super().status(), self.hardware()]

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Start the service on the standby host",
                    "DR_HOST=\"${DR_HOST:?set DR_HOST to the standby server}\"\n"
                    f"ssh \"$DR_HOST\" 'sudo systemctl start {self.unit} && systemctl is-active {self.unit}'",
                    "'active' on the standby host; then move the VIP/DNS to it")]

    def cheatsheet(self) -> list[Command]:
        return [*super().cheatsheet(), self.hardware()]
