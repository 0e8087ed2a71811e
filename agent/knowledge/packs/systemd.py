"""systemd services: failed units, restart loops (start-limit-hit), daemon-reload, journal, OOM kills."""

from __future__ import annotations

from agent.knowledge.base import Context, Contribution
from agent.knowledge.packs._base import KeywordPack, cmd, q
from agent.knowledge.platforms import service_unit
from agent.knowledge.signals import Signal, Threshold
from agent.runbook import Component, Issue, Procedure, Step


class SystemdPack(KeywordPack):
    name = "systemd"
    summary = ("systemd services: failed units and restart loops (start-limit-hit, reset-failed), "
               "daemon-reload after unit edits, journal, OOM kills")
    keywords = ("systemd", "systemctl", "journalctl", "unit file", "systemd unit")
    order = 80
    own_workload = True
    examples = ("Go binary running as a systemd service (orders-api.service) on two EC2 instances",)
    negatives = ("Runs as a Kubernetes Deployment",)

    def build(self, ctx: Context) -> Contribution:
        f = ctx.facts
        unit = f.names.get("systemd.unit") or service_unit(ctx)
        unit = unit if unit.endswith((".service", ".timer")) else unit + ".service"
        u = q(unit)
        status = cmd("Unit state, main PID and last log lines", f"systemctl status {u} --no-pager -l",
                     "Active: active (running); 'failed' or 'activating (auto-restart)' needs the steps below")
        show = cmd("Restart count and exit status",
                   f"systemctl show {u} -p ActiveState -p SubState -p Result -p NRestarts -p ExecMainStatus",
                   "Result=success and NRestarts small; Result=start-limit-hit means systemd gave up restarting")
        journal = cmd("Journal of the unit since the last boot, errors first",
                      f"journalctl -u {u} -b --no-pager -p warning | tail -n 50",
                      "the error the process exits with")

        signals = [
            Signal(key="systemd.failed", name="systemd unit failed", measure="units in failed state",
                   threshold=Threshold(1, op=">="), minutes=1, severity="Critical",
                   response="Follow 'systemd: service failed or restarting in a loop'.",
                   entry="systemd: service failed or restarting in a loop", labels={"unit": unit}, probe=show),
            Signal(key="systemd.restarts", name="systemd unit restarting", measure="restarts", threshold=Threshold(3),
                   minutes=15, window="in", severity="Warning",
                   response="Follow 'systemd: service failed or restarting in a loop'.",
                   entry="systemd: service failed or restarting in a loop", labels={"unit": unit}, probe=show,
                   covers=("restarts",)),
        ]

        issues = [Issue(
            title="systemd: service failed or restarting in a loop",
            symptoms="The service is down or flapping; 'start request repeated too quickly' in the journal.",
            alert="systemd unit failed",
            check=[status, show, journal,
                   cmd("Killed by the kernel OOM killer?", "journalctl -k -b --no-pager | grep -iE "
                       "'out of memory|oom-kill' | tail -n 5", "no lines; otherwise raise memory or MemoryMax=")],
            fix=[Step(action="Fix the cause from the journal (config, port in use, missing file or secret).",
                      command=None),
                 Step(action="After editing the unit or a drop-in, reload systemd or the old definition stays in "
                             "use ('Warning: The unit file ... changed on disk').",
                      command=cmd("Reload unit definitions and verify the unit",
                                  "sudo systemctl daemon-reload\n"
                                  f"systemd-analyze verify {q('/etc/systemd/system/' + unit)}",
                                  "no output from verify")),
                 Step(action="Clear start-limit-hit and start again.",
                      command=cmd("Reset the failure counter and restart",
                                  f"sudo systemctl reset-failed {u}\nsudo systemctl restart {u}\n"
                                  f"systemctl is-active {u}",
                                  "active"))],
            verify="systemctl is-active prints active and NRestarts does not grow for 15 minutes.",
            escalate="If the unit fails again within 15 minutes, page the service owner.",
        )]

        return Contribution(
            components=[Component(name="Process supervisor", technology="systemd",
                                  version="fill in: systemctl --version", location=f"unit {unit} on each host",
                                  purpose="Starts, restarts and logs the service")],
            prerequisites=["ssh and sudo on the service hosts; journal access (systemd-journal group)"],
            deploy_caveats=["Unit changes need 'systemctl daemon-reload' before the restart; put overrides in "
                            f"drop-ins (systemctl edit {unit}) so package upgrades do not overwrite them."],
            signals=signals,
            issues=issues,
            daily=["Check systemctl --failed is empty on service hosts"],
            weekly=["Check journal disk use (journalctl --disk-usage)"],
            monthly=["Review Restart=, StartLimitBurst= and MemoryMax= of the unit"],
            maintenance_commands=[cmd("Effective unit definition including drop-ins", f"systemctl cat {u}",
                                      "the ExecStart, Restart and limits in effect"),
                                  cmd("Trim the journal to 2 GB", "sudo journalctl --vacuum-size=2G",
                                      "freed space reported",
                                      warning="Deletes the oldest archived journal files on this host for "
                                              "every unit: logs needed for an open investigation are gone. "
                                              "Export them first (journalctl -u UNIT -o export).")],
            dr_procedures=[Procedure(title="systemd: bring the service up on a rebuilt host", commands=[cmd(
                "Enable and start the unit after installing it",
                f"sudo systemctl daemon-reload\nsudo systemctl enable --now {u}\nsystemctl is-active {u}",
                "active")])],
            cheatsheet=[status, journal, cmd("Follow the journal", f"journalctl -u {u} -f")],
        )


PACK = SystemdPack()
