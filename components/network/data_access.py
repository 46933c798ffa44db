"""The data-access function: each service's own database user and search indices, automated."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pymysql

from components.base import FUNCTIONS, LAMBDA_RUNTIME, Component, kms_log_group
from landfall.program.iam import data_access_policy, document, service_trust

# Shipped with the PyMySQL installed in the project (function_archive).
HANDLER = FUNCTIONS / "data_access" / "handler.py"
MARIADB_PORT = 3306


@dataclass(frozen=True)
class DataAccessArgs:
    name_prefix: str
    region: str
    account_id: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_ids: Sequence[pulumi.Input[str]]
    # The marker group RDS and OpenSearch admit (the nodes carry it too).
    data_access_security_group_id: pulumi.Input[str]
    master_secret_arn: pulumi.Input[str]
    secrets_kms_key_arn: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int


def function_archive() -> pulumi.AssetArchive:
    """The handler and the PyMySQL package installed with this project (pure Python, so the
    copy on the deploying machine runs unchanged in Lambda)."""
    return pulumi.AssetArchive(
        {
            "handler.py": pulumi.FileAsset(str(HANDLER)),
            "pymysql": pulumi.FileArchive(os.path.dirname(pymysql.__file__)),
        }
    )


class DataAccess(Component):
    """A Lambda function in the private subnets, carrying the data-access security group, that
    gives every service its own MariaDB database and IAM-authenticated user and its own
    OpenSearch role on ``<service>-*`` (``functions/data_access/handler.py``). The cluster stack
    invokes it with the services' roles. Its role is the only workload identity that reads the
    RDS master secret; its logs go to an encrypted group with a retention."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: DataAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:DataAccess", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{args.name_prefix}-data-access"
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{function_name}: creates the services' database users and search roles",
            assume_role_policy=document(
                # No aws:SourceArn/SourceAccount condition: creating a function in a VPC fails
                # with one (Lambda's first ENI set-up assumes the role without the source;
                # aws/aws-parallelcluster#6926).
                service_trust("lambda.amazonaws.com"),
                parent=self,
            ),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-vpc",
            role=role.name,
            # ENIs in the VPC and log delivery, as Lambda documents for VPC functions.
            policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-secret",
            role=role.id,
            policy=document(
                data_access_policy(args.region, args.master_secret_arn, args.secrets_kms_key_arn),
                parent=self,
            ),
            opts=child,
        )
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Data-access function: MariaDB in the VPC, HTTPS out",
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="MariaDB in the data subnets",
                    protocol="tcp",
                    from_port=MARIADB_PORT,
                    to_port=MARIADB_PORT,
                    cidr_blocks=[args.vpc_cidr],
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS: OpenSearch, Secrets Manager, STS, the RDS CA bundle",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=["0.0.0.0/0"],
                ),
            ],
            tags={"Name": function_name},
            opts=child,
        )
        logs = kms_log_group(
            f"{name}-logs",
            f"/aws/lambda/{function_name}",
            args.log_retention_days,
            args.log_kms_key_arn,
            child,
        )
        function = aws.lambda_.Function(
            name,
            name=function_name,
            description="landfall: each service's own database user and search indices",
            runtime=LAMBDA_RUNTIME,
            handler="handler.lambda_handler",
            code=function_archive(),
            role=role.arn,
            timeout=300,
            memory_size=256,
            architectures=["arm64"],
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.private_subnet_ids),
                security_group_ids=[group.id, args.data_access_security_group_id],
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=logs.name
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )
        self.function_name = function.name
        self.function_arn = function.arn
        self.role_arn = role.arn
        self.role_name = role.name
        self.finish()
