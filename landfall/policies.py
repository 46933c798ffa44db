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
