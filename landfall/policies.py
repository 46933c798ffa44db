"""IAM policy statements as plain functions, rendered with pulumi-aws's getPolicyDocument.

The builders return ``GetPolicyDocumentStatementArgs`` lists and can be inspected without the
Pulumi engine; ``document`` renders them (an invoke, so the provider formats the JSON exactly as
AWS expects, and no JSON is built by hand).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

Statement = aws.iam.GetPolicyDocumentStatementArgs
Principal = aws.iam.GetPolicyDocumentStatementPrincipalArgs
Condition = aws.iam.GetPolicyDocumentStatementConditionArgs


def document(
    statements: Sequence[Statement], parent: pulumi.Resource | None = None
) -> pulumi.Output[str]:
    """The JSON policy document for ``statements``."""
    opts = pulumi.InvokeOutputOptions(parent=parent) if parent is not None else None
    return aws.iam.get_policy_document_output(statements=list(statements), opts=opts).json


def service_trust(service: str) -> list[Statement]:
    """Trust policy letting one AWS service principal assume the role."""
    return [
        Statement(
            effect="Allow",
            actions=["sts:AssumeRole"],
            principals=[Principal(type="Service", identifiers=[service])],
        )
    ]


def flow_log_assume_role() -> pulumi.Output[str]:
    return document(service_trust("vpc-flow-logs.amazonaws.com"))


def flow_log_write_policy(log_group_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    return document(
        [
            Statement(
                sid="WriteFlowLogs",
                effect="Allow",
                actions=[
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                resources=[pulumi.Output.concat(log_group_arn, ":*")],
            )
        ]
    )


def kms_key_policy(
    account_id: str, region: str, services: tuple[str, ...], autoscaling_volumes: bool
) -> list[Statement]:
    """Key policy: the account administers the key through IAM; listed AWS services (e.g. CloudWatch
    Logs) may use it for their own resources; for the node-volume key, the Auto Scaling
    service-linked role may use it, which managed node groups need to launch encrypted volumes."""
    statements = [
        Statement(
            sid="AccountAdministersThroughIam",
            effect="Allow",
            actions=["kms:*"],
            principals=[Principal(type="AWS", identifiers=[f"arn:aws:iam::{account_id}:root"])],
            resources=["*"],
        )
    ]
    for service in services:
        statements.append(
            Statement(
                sid=f"{service.capitalize()}UsesKey",
                effect="Allow",
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                principals=[
                    Principal(type="Service", identifiers=[f"{service}.{region}.amazonaws.com"])
                ],
                resources=["*"],
                conditions=[
                    Condition(
                        test="ArnLike",
                        variable="kms:EncryptionContext:aws:logs:arn",
                        values=[f"arn:aws:logs:{region}:{account_id}:*"],
                    )
                ]
                if service == "logs"
                else None,
            )
        )
    if autoscaling_volumes:
        autoscaling = (
            f"arn:aws:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling"
        )
        statements += [
            Statement(
                sid="AutoScalingUsesKeyForVolumes",
                effect="Allow",
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                principals=[Principal(type="AWS", identifiers=[autoscaling])],
                resources=["*"],
            ),
            Statement(
                sid="AutoScalingCreatesGrantsForVolumes",
                effect="Allow",
                actions=["kms:CreateGrant"],
                principals=[Principal(type="AWS", identifiers=[autoscaling])],
                resources=["*"],
                conditions=[
                    Condition(test="Bool", variable="kms:GrantIsForAWSResource", values=["true"])
                ],
            ),
        ]
    return statements


def alb_access_log_bucket_policy(
    bucket_arn: pulumi.Input[str], elb_account_arn: pulumi.Input[str]
) -> list[Statement]:
    """The regional ELB account may write access logs; nobody may use the bucket without TLS."""
    return [
        Statement(
            sid="ElbWritesAccessLogs",
            effect="Allow",
            actions=["s3:PutObject"],
            principals=[Principal(type="AWS", identifiers=[elb_account_arn])],
            resources=[pulumi.Output.concat(bucket_arn, "/alb/*")],
        ),
        deny_insecure_transport(bucket_arn),
    ]


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> Statement:
    return Statement(
        sid="DenyInsecureTransport",
        effect="Deny",
        actions=["s3:*"],
        principals=[Principal(type="*", identifiers=["*"])],
        resources=[bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        conditions=[Condition(test="Bool", variable="aws:SecureTransport", values=["false"])],
    )


def service_trust_account(account_id: str) -> list[Statement]:
    """Trust principals of this account (IAM still decides who may call sts:AssumeRole)."""
    return [
        Statement(
            effect="Allow",
            actions=["sts:AssumeRole"],
            principals=[Principal(type="AWS", identifiers=[f"arn:aws:iam::{account_id}:root"])],
        )
    ]


def opensearch_access_policy(account_id: str, domain_arn: str) -> list[Statement]:
    """Domain access policy: IAM principals of this account only; fine-grained access control
    then decides what each principal may do inside the domain."""
    return [
        Statement(
            sid="AccountPrincipalsOnly",
            effect="Allow",
            actions=["es:ESHttp*"],
            principals=[Principal(type="AWS", identifiers=[f"arn:aws:iam::{account_id}:root"])],
            resources=[f"{domain_arn}/*"],
        )
    ]


def opensearch_log_delivery_policy(
    log_group_arns: list[pulumi.Input[str]], account_id: str, domain_arn: str
) -> list[Statement]:
    """Let OpenSearch write to its log groups, for this domain only (confused-deputy guard)."""
    return [
        Statement(
            sid="OpenSearchWritesLogs",
            effect="Allow",
            actions=["logs:PutLogEvents", "logs:CreateLogStream"],
            principals=[Principal(type="Service", identifiers=["es.amazonaws.com"])],
            resources=[pulumi.Output.concat(arn, ":*") for arn in log_group_arns],
            conditions=[
                Condition(test="StringEquals", variable="aws:SourceAccount", values=[account_id]),
                Condition(test="ArnLike", variable="aws:SourceArn", values=[domain_arn]),
            ],
        )
    ]
