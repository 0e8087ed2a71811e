"""Releases through the controller that owns them, when it is not the platform itself: AWS CodeDeploy
(ECS blue/green, Lambda traffic shifting, EC2/on-premises in-place), stacks (AWS SAM, CloudFormation,
the AWS CDK, Terraform) and Ansible playbooks. Platforms call these when `Owners.deploy` or
`Owners.rollout` names one, so a runbook ships and rolls back the way the owner does, instead of a
platform command the owner rejects (ECS refuses `update-service --task-definition` on a CodeDeploy
service) or reverts (the next stack deploy undoes a Lambda alias moved by hand).

Names the description gives (the CodeDeploy application and deployment group, the stack, the
playbook) are used as given; any other is a guarded variable that says where to read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.knowledge.platforms.base import cmd, q
from agent.knowledge.platforms.owners import Owner
from agent.runbook import Command


def declare(var: str, given: str | None, what: str) -> str:
    """`VAR=value` for a given name, else a variable the operator must set, saying what it holds."""
    return f"{var}={q(given)}" if given else f"{var}=\"${{{var}:?set {var} to {what}}}\""


# --- AWS CodeDeploy ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeDeploy:
    """CodeDeploy deployments of one deployment group."""

    owner: Owner
    region: str
    workload: str  # the service, function or unit the group deploys (for the variable hints)
    created_by: str = ""  # the stack tool that created the application (SAM), if any

    @property
    def names(self) -> str:
        where = f" (the one {self.created_by} created for the stack, as list-applications shows)" \
            if self.created_by else ""
        return (declare("CD_APP", self.owner.obj("application"), f"the CodeDeploy application of {self.workload}"
                        + where) + "\n"
                + declare("CD_GROUP", self.owner.obj("group"), f"the deployment group of {self.workload} "
                          "(as list-deployment-groups shows)"))

    @property
    def r(self) -> str:
        return f"--region {q(self.region)}"

    @property
    def group(self) -> str:
        return f"{self.r} --application-name \"$CD_APP\" --deployment-group-name \"$CD_GROUP\""

    def running(self) -> str:
        return (f"aws deploy list-deployments {self.group} --include-only-statuses Created Queued InProgress Ready "
                "--query 'deployments' --output text")

    def status(self) -> Command:
        return cmd(f"CodeDeploy deployments of {self.workload} still running, and how one went",
                   f"{self.names}\n{self.running()}\n"
                   "DEPLOYMENT_ID=\"${DEPLOYMENT_ID:?set DEPLOYMENT_ID to a deployment ID from the list above or the "
                   "release log}\"\n"
                   f"aws deploy get-deployment {self.r} --deployment-id \"$DEPLOYMENT_ID\" --query "
                   "'deploymentInfo.[status,deploymentOverview,errorInformation.message,rollbackInfo.rollbackMessage]' "
                   "--output text",
                   "No deployment listed when none is in progress; Succeeded with no error for the last one. "
                   "InProgress or Ready (blue/green waiting to reroute) means a release is under way: stop it "
                   "before anything else changes the service")

    def stop(self) -> Command:
        return cmd(f"Stop the running CodeDeploy deployment of {self.workload} and let CodeDeploy roll it back",
                   f"{self.names}\n{self.running()}\n"
                   "DEPLOYMENT_ID=\"${DEPLOYMENT_ID:?set DEPLOYMENT_ID to the deployment in progress "
                   "(listed above)}\"\n"
                   f"aws deploy stop-deployment {self.r} --deployment-id \"$DEPLOYMENT_ID\" "
                   "--auto-rollback-enabled\n"
                   f"aws deploy get-deployment {self.r} --deployment-id \"$DEPLOYMENT_ID\" --query "
                   "'deploymentInfo.[status,rollbackInfo.rollbackDeploymentId]' --output text",
                   "Status Stopped and a rollback deployment ID: CodeDeploy moves traffic (or the instances) back to "
                   "the previous revision",
                   "Stops the release for every target of the group. Only while a deployment is running: once it "
                   "has succeeded, redeploy the previous revision (next step).")

    def deploy_ecs(self, cluster: str, service: str) -> Command:
        return cmd(f"Release a new task definition to {service} through CodeDeploy (blue/green)",
                   f"{self.names}\n"
                   "TASK_DEF_FILE=\"${TASK_DEF_FILE:?set TASK_DEF_FILE to the new task definition JSON "
                   "(register-task-definition input)}\"\n"
                   "APPSPEC_FILE=\"${APPSPEC_FILE:?set APPSPEC_FILE to the appspec.yaml of the service (container "
                   "name and port)}\"\n"
                   f"aws ecs deploy {self.r} --cluster {q(cluster)} --service {q(service)} "
                   "--task-definition \"$TASK_DEF_FILE\" --codedeploy-appspec \"$APPSPEC_FILE\" "
                   "--codedeploy-application \"$CD_APP\" --codedeploy-deployment-group \"$CD_GROUP\"",
                   "Registers the revision, creates the CodeDeploy deployment and waits for it: 'Successfully "
                   "deployed'. A failure exits non-zero and CodeDeploy keeps (or puts back) the original tasks")

    def redeploy_ecs(self, service: str, container: str | None, port: int | None) -> Command:
        return cmd(f"Redeploy the previous task definition of {service} through CodeDeploy",
                   f"{self.names}\n"
                   "PREVIOUS=\"${PREVIOUS:?set PREVIOUS to the ARN of the last good task definition revision}\"\n"
                   + declare("CONTAINER", container, "the container the load balancer sends traffic to (in the "
                             "appspec)") + "\n"
                   + declare("PORT", str(port) if port else None, "the container port in the appspec") + "\n"
                   "APPSPEC=\"$(jq -cn --arg td \"$PREVIOUS\" --arg c \"$CONTAINER\" --argjson p \"$PORT\" "
                   "'{version: 0.0, Resources: [{TargetService: {Type: \"AWS::ECS::Service\", Properties: "
                   "{TaskDefinition: $td, LoadBalancerInfo: {ContainerName: $c, ContainerPort: $p}}}}]}')\"\n"
                   f"aws deploy create-deployment {self.group} --revision \"$(jq -cn --arg s \"$APPSPEC\" "
                   "'{revisionType: \"AppSpecContent\", appSpecContent: {content: $s}}')\" --query deploymentId "
                   "--output text",
                   "Prints the new deployment ID; follow it with the status check until Succeeded",
                   "A full blue/green release of the old revision: the replacement tasks start, traffic moves when "
                   "they are healthy.")

    def deploy_bundle(self) -> Command:
        return cmd(f"Release a new revision of {self.workload} through CodeDeploy (in place, as the group's "
                   "deployment configuration says)",
                   f"{self.names}\n"
                   "BUCKET=\"${BUCKET:?set BUCKET to the S3 bucket of the release bundles}\"\n"
                   "KEY=\"${KEY:?set KEY to the bundle of the new release, e.g. releases/app-1.2.3.zip}\"\n"
                   f"DEPLOYMENT_ID=\"$(aws deploy create-deployment {self.group} --s3-location "
                   "bucket=\"$BUCKET\",key=\"$KEY\",bundleType=zip --query deploymentId --output text)\"\n"
                   f"aws deploy wait deployment-successful {self.r} --deployment-id \"$DEPLOYMENT_ID\"",
                   "The wait returns once every instance of the group has the new revision; it fails as soon as "
                   "the deployment fails (CodeDeploy rolls back if the group has automatic rollback on)")

    def redeploy_bundle(self) -> Command:
        return cmd(f"Redeploy the previous revision of {self.workload} through CodeDeploy",
                   f"{self.names}\n"
                   f"aws deploy list-application-revisions {self.r} --application-name \"$CD_APP\" --sort-by "
                   "registerTime --sort-order descending --max-items 5 --query "
                   "'revisions[].s3Location.[bucket,key]' --output text\n"
                   "BUCKET=\"${BUCKET:?set BUCKET to the bucket of the last good revision (listed above)}\"\n"
                   "PREVIOUS_KEY=\"${PREVIOUS_KEY:?set PREVIOUS_KEY to the key of the last good revision}\"\n"
                   f"DEPLOYMENT_ID=\"$(aws deploy create-deployment {self.group} --s3-location "
                   "bucket=\"$BUCKET\",key=\"$PREVIOUS_KEY\",bundleType=zip --query deploymentId --output text)\"\n"
                   f"aws deploy wait deployment-successful {self.r} --deployment-id \"$DEPLOYMENT_ID\"",
                   "Every instance of the group runs the previous revision",
                   "Runs the group's deployment configuration again (one at a time, half at a time …): instances "
                   "leave the load balancer while they are updated.")


# --- stacks: SAM, CloudFormation, CDK, Terraform --------------------------------------------------------

@dataclass(frozen=True)
class Stack:
    """A release that is a stack update, through the tool that owns the stack."""

    owner: Owner
    region: str
    workload: str

    @property
    def tool(self) -> str:
        return self.owner.by

    @property
    def cloudformation(self) -> bool:
        """SAM and the CDK deploy CloudFormation stacks: CloudFormation's view and its rollback apply."""
        return self.tool in ("sam", "cloudformation", "cdk")

    @property
    def name(self) -> str:
        return declare("STACK", self.owner.obj("stack"), f"the {self.owner.label} stack of {self.workload}")

    def tf_dir(self) -> str:
        return declare("TF_DIR", None, f"the Terraform directory that defines {self.workload}")

    def status(self) -> Command:
        if not self.cloudformation:
            return cmd(f"Does the live infrastructure of {self.workload} match the Terraform code? (plan only)",
                       f"{self.tf_dir()}\nterraform -chdir=\"$TF_DIR\" plan -input=false -lock=false "
                       "-detailed-exitcode",
                       "Exit code 0: no changes. Exit code 2 lists what differs: a change made by hand (drift) that "
                       "the next apply reverts")
        return cmd(f"State of the stack and its last events (what the last deploy did to {self.workload})",
                   f"{self.name}\naws cloudformation describe-stacks --region {q(self.region)} --stack-name \"$STACK\" "
                   "--query 'Stacks[0].[StackStatus,StackStatusReason,LastUpdatedTime]' --output text\n"
                   f"aws cloudformation describe-stack-events --region {q(self.region)} --stack-name \"$STACK\" "
                   "--max-items 20 --query 'StackEvents[].[Timestamp,LogicalResourceId,ResourceStatus,"
                   "ResourceStatusReason]' --output table",
                   "UPDATE_COMPLETE (or CREATE_COMPLETE); *_IN_PROGRESS means a deploy is running, "
                   "UPDATE_ROLLBACK_FAILED needs continue-update-rollback (Rollback)")

    def deploy(self) -> Command:
        r = q(self.region)
        if self.tool == "sam":
            code = (f"{self.name}\nsam build\nsam deploy --stack-name \"$STACK\" --region {r} --confirm-changeset")
            expect = "sam shows the change set, you confirm, it ends with 'Successfully created/updated stack'"
        elif self.tool == "cdk":
            code = f"{self.name}\ncdk diff \"$STACK\"\ncdk deploy \"$STACK\" --require-approval broadening"
            expect = "The diff shows only the release; the deploy ends with the stack's outputs (no failed resource)"
        elif self.tool == "cloudformation":
            code = (f"{self.name}\n"
                    "TEMPLATE=\"${TEMPLATE:?set TEMPLATE to the template file of the release}\"\n"
                    f"aws cloudformation deploy --region {r} --stack-name \"$STACK\" --template-file \"$TEMPLATE\" "
                    "--no-execute-changeset\n"
                    "CHANGE_SET=\"${CHANGE_SET:?set CHANGE_SET to the change set ARN printed above, once reviewed}\"\n"
                    f"aws cloudformation execute-change-set --region {r} --change-set-name \"$CHANGE_SET\"\n"
                    f"aws cloudformation wait stack-update-complete --region {r} --stack-name \"$STACK\"")
            expect = "The change set lists only the release; the wait returns at UPDATE_COMPLETE"
        else:
            code = (f"{self.tf_dir()}\nterraform -chdir=\"$TF_DIR\" plan -input=false -out=release.tfplan\n"
                    "terraform -chdir=\"$TF_DIR\" apply -input=false release.tfplan")
            expect = "The plan changes only the release (image, version); apply ends with 'Apply complete!'"
        return cmd(f"Release {self.workload} through {self.owner.label}", code, expect)

    def cancel(self) -> Command | None:
        """Stop a stack update that is still running: CloudFormation rolls the stack back by itself."""
        if not self.cloudformation:
            return None
        r = q(self.region)
        return cmd("If the stack update is still running: cancel it (CloudFormation rolls the stack back)",
                   f"{self.name}\naws cloudformation cancel-update-stack --region {r} --stack-name \"$STACK\"\n"
                   f"aws cloudformation describe-stacks --region {r} --stack-name \"$STACK\" --query "
                   "'Stacks[0].StackStatus' --output text",
                   "UPDATE_ROLLBACK_IN_PROGRESS, then UPDATE_ROLLBACK_COMPLETE: every resource of the stack is back "
                   "at the last good state. At UPDATE_ROLLBACK_FAILED: aws cloudformation continue-update-rollback "
                   "--stack-name \"$STACK\" (after fixing the resource it names)",
                   "Rolls back every resource the update changed, not only the function or the service; only for "
                   "an update in progress (UPDATE_IN_PROGRESS).")

    def redeploy_previous(self) -> Command:
        r = q(self.region)
        deploy = {"sam": f"sam build\nsam deploy --stack-name \"$STACK\" --region {r} --confirm-changeset",
                  "cdk": "cdk deploy \"$STACK\" --require-approval broadening",
                  "cloudformation": ("TEMPLATE=\"${TEMPLATE:?set TEMPLATE to the template file of that release}\"\n"
                                     f"aws cloudformation deploy --region {r} --stack-name \"$STACK\" "
                                     "--template-file \"$TEMPLATE\""),
                  }.get(self.tool, "terraform -chdir=\"$TF_DIR\" plan -input=false -out=rollback.tfplan\n"
                                   "terraform -chdir=\"$TF_DIR\" apply -input=false rollback.tfplan")
        where = self.name if self.cloudformation else self.tf_dir()
        return cmd(f"Redeploy the previous release of {self.workload} through {self.owner.label}",
                   f"{where}\nPREVIOUS_TAG=\"${{PREVIOUS_TAG:?set PREVIOUS_TAG to the tag or commit of the last good "
                   "release}\"\n"
                   "git checkout \"$PREVIOUS_TAG\"  # in the repository that holds the stack's code\n" + deploy,
                   "The stack is back at the previous release (its status COMPLETE); then revert the release in Git "
                   "so the next deploy does not bring it back",
                   "A full stack deploy of the old code: every resource of the stack goes back to that version, "
                   "not only the one that failed.")


# --- Ansible --------------------------------------------------------------------------------------------

def ansible_playbook(owner: Owner, purpose: str, version_var: str | None, expect: str,
                     warning: str | None = None) -> Command:
    """A dry run with the diff, then the run, of the playbook that releases the service; `version_var` is
    the shell variable holding the release to deploy (None: the playbook's own default)."""
    extra = "" if version_var is None else f" -e \"$VERSION_VAR=${version_var}\""
    which = "the last good release" if version_var == "PREVIOUS" else "the release to deploy"
    version = "" if version_var is None else (
        declare(version_var, None, which) + "\n"
        + "VERSION_VAR=\"${VERSION_VAR:?set VERSION_VAR to the playbook variable that holds the release, e.g. "
        "app_version}\"\n")
    lines = (declare("INVENTORY", owner.obj("inventory"), "the production inventory file") + "\n"
             + declare("PLAYBOOK", owner.obj("playbook"), "the playbook that deploys the service") + "\n" + version
             + f"ansible-playbook -i \"$INVENTORY\" \"$PLAYBOOK\"{extra} --check --diff\n"
             f"ansible-playbook -i \"$INVENTORY\" \"$PLAYBOOK\"{extra} --forks 1")
    return cmd(purpose, lines, expect, warning)
