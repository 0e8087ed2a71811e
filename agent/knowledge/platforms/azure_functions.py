"""Azure Functions and Azure App Service: an app on an App Service plan with deployment slots (one CLI
group apart: `az functionapp`, `az webapp`)."""

from __future__ import annotations

from agent.knowledge.platforms.base import Action, cmd, q
from agent.knowledge.platforms.caches import given, scoped
from agent.knowledge.platforms.serverless import Serverless
from agent.runbook import Command


class AzureFunctions(Serverless):
    """A function app: its code is deployed to a slot and swapped into production, so a rollback is the
    swap back; restart and stop act on the whole app (every function in it)."""

    function_key = "azure.functionapp"
    cli = "functionapp"  # the az command group of the app
    kind = "function app"

    def __post_init__(self) -> None:
        super().__post_init__()
        app = self.ctx.model.app if self.ctx.model is not None else None
        self.slot = (app.name("slot") if app is not None else None) or "staging"
        self.group_decl, self.g = scoped("-g", "RESOURCE_GROUP", given(self.ctx, "resource_group", app),
                                         "the resource group of the function app")

    product: str = "Functions"

    def _az(self, verb: str) -> str:
        """`az functionapp <verb>` on this app, its resource group declared first when not given."""
        return f"{self.group_decl}az {self.cli} {verb} {self.g} -n {q(self.fn)}"

    def location(self) -> str:
        return f"Azure {self.product} app {self.fn} in {self.region}"

    def diagram_node(self) -> str:
        return f"{self.fn} ({self.kind})"

    def tools(self) -> list[str]:
        return ["Azure CLI (az) logged in with Reader on the function app and Website Contributor for slot "
                "swaps and restarts", "Application Insights access for logs and failures"]

    def config_files(self) -> list[str]:
        return [f"App settings of {self.fn} (az {self.cli} config appsettings list)",
                "host.json in the repository (trigger, concurrency and retry settings)"]

    def caveats(self) -> list[str]:
        return [f"Deploys go to the '{self.slot}' slot and are swapped into production: a rollback is the swap "
                "back, never a redeploy from a laptop.",
                "Restart and stop act on the whole function app: every function in it stops taking work.",
                *self.owners.caveats()]

    def status(self) -> list[Command]:
        return [cmd(f"State, plan and hostnames of {self.fn}",
                    self._az("show") + " --query '{state:state, plan:appServicePlanId, host:defaultHostName}' -o json",
                    "state Running; the plan you expect")]

    def log_tail(self, since: str) -> str:
        # a function app logs to Application Insights; `az webapp log tail` streams and never ends
        return (f"{self.group_decl}APPI=\"${{APPI:?set APPI to the Application Insights resource of {self.fn}}}\"\n"
                f"az monitor app-insights query {self.g} --app \"$APPI\" --analytics-query "
                f"\"union traces, exceptions | where timestamp > ago({since}) and cloud_RoleName == '{self.fn}' "
                "| order by timestamp desc | take 500 | project timestamp, severityLevel, message, outerMessage\" "
                "-o table")

    def events(self) -> Command:
        return cmd("Recent operations on the function app (activity log: restarts, swaps, setting changes)",
                   f"{self.group_decl}az monitor activity-log list {self.g} --offset 2h "
                   "--query \"[].{time:eventTimestamp, op:operationName.localizedValue, who:caller, "
                   "status:status.value}\" -o table",
                   "No swap, restart or settings change you did not expect")

    def resources(self) -> Command:
        return cmd("Plan limits: instance count and maximum burst",
                   f"{self.group_decl}PLAN=\"$(az {self.cli} show {self.g} -n {q(self.fn)} --query appServicePlanId "
                   "-o tsv)\"\naz functionapp plan show --ids \"$PLAN\" --query '{sku:sku.name, "
                   "maxBurst:maximumElasticWorkerCount, workers:sku.capacity}' -o json",
                   "maxBurst above the instances in use; at the limit, scale-out has stopped")

    def version(self) -> Command:
        return cmd("Which build runs in production and in the staging slot",
                   self._az("deployment list-publishing-profiles") + " --query '[0].publishUrl' -o tsv\n"
                   + f"az {self.cli} deployment slot list {self.g} -n {q(self.fn)} "
                   "--query '[].{slot:name, state:state, modified:lastModifiedTimeUtc}' -o table",
                   f"the '{self.slot}' slot holds the previous build right after a swap")

    def history(self) -> Command:
        return cmd("Deployment slots (the previous production build sits in the slot after a swap)",
                   f"{self.group_decl}az {self.cli} deployment slot list {self.g} -n {q(self.fn)} -o table",
                   f"the '{self.slot}' slot exists and is Running")

    def local_health_check(self) -> Command:
        return cmd("The app answers on its host name",
                   f"{self.group_decl}HOST=\"$(az {self.cli} show {self.g} -n {q(self.fn)} --query defaultHostName "
                   "-o tsv)\"\ncurl -fsS -o /dev/null -w '%{http_code}\\n' \"https://$HOST/\"",
                   "200 (or the status your app returns on its root); 503 means the host is not running")

    def _swap(self, purpose: str, expect: str) -> Command:
        return cmd(purpose, f"{self.group_decl}az {self.cli} deployment slot swap {self.g} -n {q(self.fn)} "
                   f"--slot {q(self.slot)} --target-slot production", expect,
                   "Swaps the two slots' code and slot-sticky settings; in-flight executions on the old "
                   "instances finish first.")

    def deploy(self) -> list[Command]:
        return [self._swap(f"Promote the build in the '{self.slot}' slot to production",
                           f"the new build serves production; the previous one is now in '{self.slot}'")]

    def rollback(self) -> list[Command]:
        return [self.history(),
                self._swap(f"Roll back: swap '{self.slot}' (the previous build) back into production",
                           "the previous build serves production again; errors fall back to baseline"),
                self.status()[0]]

    def restart_all(self) -> Command:
        return cmd(f"Restart {self.fn} (every function in the app)", self._az("restart"),
                   "state Running again within a minute; executions resume",
                   "In-flight executions are cut off; queue messages they held are retried after their lock "
                   "expires.")

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":
            return self.stop()
        # A Premium plan scales out by itself up to its maximum burst; what an operator raises is the floor
        # of pre-warmed instances. Lowering the burst to the target would cap the scale-out instead.
        high = self.capacity.high
        burst = f" The maximum burst stays at {high}: raising it is a capacity decision." if high else ""
        return cmd(f"{purpose} (the plan's minimum instances; it bursts on its own above them)",
                   f"{self.group_decl}PLAN=\"$(az {self.cli} show {self.g} -n {q(self.fn)} "
                   "--query appServicePlanId -o tsv)\"\n"
                   f"az functionapp plan update --ids \"$PLAN\" --min-instances {replicas}",
                   "the new minimum shows in az functionapp plan show (sku.capacity)",
                   "More instances multiply the connections to every downstream (database, queue)." + burst)

    def stop(self) -> Command:
        return cmd(f"Stop {self.fn}: no function in the app runs until it is started", self._az("stop"),
                   "state Stopped; queued messages wait in the queue",
                   "Stops every function in the app. Messages stay on their queue (their TTL still runs); "
                   f"start it again with az {self.cli} start.")

    def set_flag(self, name: str, value: str, purpose: str) -> Command:
        return cmd(purpose, self._az("config appsettings set") + f" --settings {name}={q(value)}",
                   f"{name}={value} in the app settings; the app restarts to apply it",
                   f"Changing an app setting restarts the app. Only useful if it honours {name}.")

    def rerun(self) -> Command:
        return cmd("Run a timer-triggered function once now (admin endpoint)",
                   "FUNCTION=\"${FUNCTION:?set FUNCTION to the function to run}\"\n"
                   f"{self.group_decl}KEY=\"$(az functionapp keys list {self.g} -n {q(self.fn)} "
                   "--query masterKey -o tsv)\"\n"
                   f"HOST=\"$(az functionapp show {self.g} -n {q(self.fn)} --query defaultHostName -o tsv)\"\n"
                   "curl -fsS -X POST -H \"x-functions-key: $KEY\" -H 'Content-Type: application/json' "
                   "-d '{}' \"https://$HOST/admin/functions/$FUNCTION\"",
                   "202 Accepted", "Runs the function for real: make sure it is idempotent.")

    def redeploy_elsewhere(self) -> list[Command]:
        return [cmd("Deploy the function app's infrastructure and build in the recovery region",
                    f"{self.dr_region_var()}\n"
                    "# apply the infrastructure code (Bicep / Terraform) with the recovery region, then deploy the "
                    "last good build to it and point the trigger's producers at it",
                    "the recovery app is Running and takes work")]

    def log_stream(self, workload: str) -> str:
        return self.log_tail("30m")

    def control(self, workload: str, action: Action, replicas: int | None = None) -> str:
        verb = {"stop": "stop", "start": "start", "restart": "restart"}[action]
        return f"{self.group_decl}az {self.cli} {verb} {self.g} -n {q(self.function_of(workload))}"

    # the crash entry's words: (title, symptoms, the two hints after "swap back")
    crash: tuple[str, str, str, str] = (
        "Function executions failing or timing out",
        "Failed executions rising in Application Insights, timeouts or host restarts in the logs",
        "'Timeout value of … exceeded' → a dependency is slow: check it before raising functionTimeout",
        "Scale-out stopped at the plan's maximum burst → check the downstream can take more first")

    def crash_issue_parts(self) -> tuple[str, str, list[Command], list[tuple[str, Command | None]]]:
        title, symptoms, slow, capped = self.crash
        checks = [self.logs("30m", "exception|timeout|failed"), self.events(), self.resources()]
        fixes: list[tuple[str, Command | None]] = [
            ("If failures started with a swap, swap back", self.rollback()[1]), (slow, None), (capped, None)]
        return title, symptoms, checks, fixes


class AzureAppService(AzureFunctions):
    """A web app on an App Service plan: the same slots, swap and app settings as a function app under
    `az webapp`; the plan's worker count is what scales it (an autoscale rule may own it)."""

    cli = "webapp"
    kind = "web app"
    product = "App Service"

    def tools(self) -> list[str]:
        return ["Azure CLI (az) logged in with Reader on the web app and Website Contributor for slot swaps and "
                "restarts", "Application Insights access for requests, failures and logs"]

    def config_files(self) -> list[str]:
        return [f"App settings and connection strings of {self.fn} (az webapp config appsettings list, "
                "az webapp config connection-string list)", "the plan's autoscale settings (az monitor autoscale)"]

    def caveats(self) -> list[str]:
        return [f"Deploys go to the '{self.slot}' slot and are swapped into production: a rollback is the swap "
                f"back (the '{self.slot}' slot holds the previous release after a swap; never delete it).",
                "Restart acts on every instance of the app at once; an app setting change restarts it too.",
                *self.owners.caveats()]

    def restart_all(self) -> Command:
        return cmd(f"Restart {self.fn} (every instance)", self._az("restart"),
                   "state Running again within a minute; requests succeed",
                   "Every instance restarts at once: requests in flight fail and connections to the database "
                   "are re-opened together.")

    def stop(self) -> Command:
        return cmd(f"Stop {self.fn}: it serves nothing until started", self._az("stop"),
                   "state Stopped; the app returns 403 (site stopped)",
                   f"A full outage for its users: start it again with az webapp start -n {self.fn}.")

    def resources(self) -> Command:
        return cmd("Plan size: SKU and instance count",
                   f"{self.group_decl}PLAN=\"$(az webapp show {self.g} -n {q(self.fn)} --query appServicePlanId "
                   "-o tsv)\"\naz appservice plan show --ids \"$PLAN\" --query '{sku:sku.name, "
                   "workers:sku.capacity}' -o json",
                   "the SKU and worker count you expect; at the autoscale maximum, scale-out has stopped")

    def scale(self, replicas: str, purpose: str) -> Command:
        if replicas == "0":
            return self.stop()
        high = self.capacity.high
        cap = f" The autoscale maximum is {high}: going past it is a capacity decision." if high else ""
        return cmd(f"{purpose} (the plan's instance count)",
                   f"{self.group_decl}PLAN=\"$(az webapp show {self.g} -n {q(self.fn)} --query appServicePlanId "
                   f"-o tsv)\"\naz appservice plan update --ids \"$PLAN\" --number-of-workers {replicas}",
                   "the new count shows in az appservice plan show (sku.capacity)",
                   "More instances multiply the connections to every downstream (database, queue); an autoscale "
                   "rule on the plan may set the count back." + cap)

    def rerun(self) -> Command:
        return self.local_health_check()  # a web app has no run-once: the closest is one request

    crash = ("Requests failing or the app restarting",
             "Failed requests rising in Application Insights, 5xx on the host name, restarts in the activity log",
             "Requests time out on a dependency (the database) → check it before restarting or scaling",
             "Instances at the autoscale maximum → check the downstream can take more first")
