"""GitHub Actions runners inside the VPC (R27): a CodeBuild project that runs the workflow jobs
which talk to the Kubernetes API, in the private subnets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group
from landfall.program.iam import ci_runner_policy, document, service_trust

# CodeBuild's own Amazon Linux image with Python, Docker-less: what the jobs need (checkout,
# setup-python, the Pulumi CLI action). "Docker images provided by CodeBuild", curated images.
RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
# A job of deploy.yml may run two hours (its timeout); CodeBuild's limit is 5 to 2160 minutes.
RUNNER_TIMEOUT_MINUTES = 150


@dataclass(frozen=True)
class CiRunnerArgs:
    name_prefix: str
    region: str
    account_id: str
    # <owner>/<repo> on github.com: the repository whose workflow jobs this runner takes.
    repository: str
    # The account's GitHub connection (bootstrap stack), authorised once in the console.
    connection_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int


class CiRunner(Component):
    """CodeBuild-hosted GitHub Actions runners: on each queued workflow job whose ``runs-on``
    is ``codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`` the webhook
    (event WORKFLOW_JOB_QUEUED) starts a build in the private subnets, which registers as an
    ephemeral runner and runs that job. So the jobs that reach the cluster API (preview and up
    of the cluster and gitops stacks, the Flux notify) need no public endpoint (R27). The
    security group only allows HTTPS out; the cluster stack lets it in to the API. The role
    can only attach to those subnets, write its logs and use the GitHub connection."""

    project_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: CiRunnerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:CiRunner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project = f"{args.name_prefix}-runner"
        group = aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            description="CI runners: HTTPS out only (GitHub, AWS APIs, the cluster API)",
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to GitHub, AWS and the cluster API",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                )
            ],
            tags={"Name": project},
            opts=child,
        )
        logs = kms_log_group(
            f"{name}-logs",
            f"/landfall/{args.name_prefix}/ci-runner",
            args.log_retention_days,
            args.log_kms_key_arn,
            child,
        )
        role = aws.iam.Role(
            name,
            description=f"{project}: CodeBuild runner (network interfaces, logs, GitHub)",
            # Only for this account's runner project (CodeBuild user guide, "Cross-service
            # confused deputy prevention").
            assume_role_policy=document(
                service_trust(
                    "codebuild.amazonaws.com",
                    args.account_id,
                    f"arn:aws:codebuild:{args.region}:{args.account_id}:project/{project}",
                ),
                parent=self,
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=document(
                ci_runner_policy(
                    args.region,
                    args.account_id,
                    pulumi.Output.all(*args.private_subnet_ids),
                    logs.arn,
                    args.connection_arn,
                ),
                parent=self,
            ),
            opts=child,
        )
        codebuild = aws.codebuild.Project(
            name,
            name=project,
            description=f"GitHub Actions runners for {args.repository} inside the VPC",
            service_role=role.arn,
            build_timeout=RUNNER_TIMEOUT_MINUTES,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{args.repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(
                    type="CODECONNECTIONS", resource=args.connection_arn
                ),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type="BUILD_GENERAL1_MEDIUM",
                image=RUNNER_IMAGE,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id,
                subnets=list(args.private_subnet_ids),
                security_group_ids=[group.id],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=logs.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            opts=child,
        )
        aws.codebuild.Webhook(
            name,
            project_name=codebuild.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[
                        aws.codebuild.WebhookFilterGroupFilterArgs(
                            type="EVENT", pattern="WORKFLOW_JOB_QUEUED"
                        )
                    ]
                )
            ],
            opts=child,
        )
        self.project_name = codebuild.name
        self.security_group_id = group.id
        self.finish()
