"""IAM policy statements as plain functions, rendered with pulumi-aws's getPolicyDocument.

The builders return ``GetPolicyDocumentStatementArgs`` lists and can be inspected without the
Pulumi engine; ``document`` renders them (an invoke, so the provider formats the JSON exactly as
AWS expects, and no JSON is built by hand).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from landfall.logic.mirror import PULL_THROUGH
from landfall.logic.prerequisites import GITHUB_OIDC_HOST, github_oidc_provider_arn

Statement = aws.iam.GetPolicyDocumentStatementArgs
Principal = aws.iam.GetPolicyDocumentStatementPrincipalArgs
Condition = aws.iam.GetPolicyDocumentStatementConditionArgs


def document(
    statements: Sequence[Statement], parent: pulumi.Resource | None = None
) -> pulumi.Output[str]:
    """The JSON policy document for ``statements``."""
    opts = pulumi.InvokeOutputOptions(parent=parent) if parent is not None else None
    return aws.iam.get_policy_document_output(statements=list(statements), opts=opts).json


def service_trust(
    service: str, account_id: str | None = None, source_arn: str | None = None
) -> list[Statement]:
    """Trust policy letting one AWS service principal assume the role; with ``account_id`` (and
    ``source_arn``) only on behalf of this account's resources (matching that ARN pattern), which
    stops the confused deputy: the service acting for another account's resource (IAM User
    Guide, "The confused deputy problem")."""
    return [
        Statement(
            effect="Allow",
            actions=["sts:AssumeRole"],
            principals=[Principal(type="Service", identifiers=[service])],
            conditions=on_behalf_of(account_id, source_arn) or None,
        )
    ]


def on_behalf_of(account_id: str | None, source_arn: str | None = None) -> list[Condition]:
    """Conditions that hold a service principal to this account's resources (matching
    ``source_arn``): aws:SourceAccount and aws:SourceArn, the confused-deputy guard."""
    conditions = []
    if account_id:
        conditions.append(
            Condition(test="StringEquals", variable="aws:SourceAccount", values=[account_id])
        )
    if source_arn:
        conditions.append(Condition(test="ArnLike", variable="aws:SourceArn", values=[source_arn]))
    return conditions


def flow_log_assume_role(region: str, account_id: str) -> pulumi.Output[str]:
    """VPC Flow Logs, for this account's flow logs only (VPC user guide, "IAM role for
    publishing flow logs to CloudWatch Logs": aws:SourceAccount and aws:SourceArn)."""
    return document(
        service_trust(
            "vpc-flow-logs.amazonaws.com",
            account_id,
            f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*",
        )
    )


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
    account_id: str,
    region: str,
    services: tuple[str, ...],
    autoscaling_role_arn: pulumi.Input[str] | None = None,
) -> list[Statement]:
    """Key policy: the account administers the key through IAM; listed AWS services (e.g. CloudWatch
    Logs) may use it for their own resources; for the node-volume key, the Auto Scaling
    service-linked role may use it, which managed node groups need to launch encrypted volumes.

    KMS rejects a policy naming a principal that does not exist (MalformedPolicyDocument), and
    that role exists only once created: ``autoscaling_role_arn`` is the bootstrap stack's output,
    so the key can only be declared after the role is."""
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
        if service == "cloudwatch":
            # Alarms publish to the encrypted topic: CloudWatch (a global principal) needs the
            # data key (SNS Developer Guide, "Enable compatibility between event sources from
            # AWS services and encrypted topics"), for this account's alarms only.
            statements.append(
                Statement(
                    sid="CloudwatchAlarmsUseKey",
                    effect="Allow",
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[
                        Principal(type="Service", identifiers=["cloudwatch.amazonaws.com"])
                    ],
                    resources=["*"],
                    conditions=[
                        Condition(
                            test="StringEquals", variable="aws:SourceAccount", values=[account_id]
                        )
                    ],
                )
            )
            continue
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
    if autoscaling_role_arn is not None:
        autoscaling = autoscaling_role_arn
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


def dnssec_key_policy(account_id: str) -> list[Statement]:
    """The DNSSEC key-signing key's KMS policy (Route 53 Developer Guide, "Working with customer
    managed keys for DNSSEC"): the account administers it; Route 53's DNSSEC service may read
    the public key and sign, for this account's hosted zones only, and make the grant it needs."""
    return [
        Statement(
            sid="AccountAdministersThroughIam",
            effect="Allow",
            actions=["kms:*"],
            principals=[Principal(type="AWS", identifiers=[f"arn:aws:iam::{account_id}:root"])],
            resources=["*"],
        ),
        Statement(
            sid="Route53DnssecSigns",
            effect="Allow",
            actions=["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            principals=[Principal(type="Service", identifiers=["dnssec-route53.amazonaws.com"])],
            resources=["*"],
            conditions=on_behalf_of(account_id, "arn:aws:route53:::hostedzone/*"),
        ),
        Statement(
            sid="Route53DnssecCreatesItsGrant",
            effect="Allow",
            actions=["kms:CreateGrant"],
            principals=[Principal(type="Service", identifiers=["dnssec-route53.amazonaws.com"])],
            resources=["*"],
            conditions=[
                Condition(test="Bool", variable="kms:GrantIsForAWSResource", values=["true"])
            ],
        ),
    ]


def route53_query_log_policy(account_id: str) -> list[Statement]:
    """The us-east-1 CloudWatch Logs resource policy that lets Route 53 write query logs into
    /aws/route53/* groups, for this account's zones only (Route 53 Developer Guide, "Public DNS
    query logging")."""
    return [
        Statement(
            sid="Route53WritesQueryLogs",
            effect="Allow",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            principals=[Principal(type="Service", identifiers=["route53.amazonaws.com"])],
            resources=[f"arn:aws:logs:us-east-1:{account_id}:log-group:/aws/route53/*"],
            conditions=on_behalf_of(account_id, "arn:aws:route53:::hostedzone/*"),
        )
    ]


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


def named_principals_trust(principal_arns: Sequence[pulumi.Input[str]]) -> list[Statement]:
    """Trust exactly these IAM roles (never the account root, through which any principal
    allowed sts:AssumeRole by its own policy could assume the role)."""
    return [
        Statement(
            effect="Allow",
            actions=["sts:AssumeRole"],
            principals=[Principal(type="AWS", identifiers=list(principal_arns))],
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


# --- cluster stack: node, control-plane and workload (IRSA) roles -------------------------------

IRSA_AUDIENCE = "sts.amazonaws.com"


def aws_managed(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


# Nodes need to join the cluster, pull images and be reachable through SSM; nothing else. The VPC
# CNI's ENI permissions go to its own service-account role, not here.
NODE_POLICIES: tuple[str, ...] = (
    aws_managed("AmazonEKSWorkerNodePolicy"),
    aws_managed("AmazonEC2ContainerRegistryPullOnly"),
    aws_managed("AmazonSSMManagedInstanceCore"),
)


def pull_through_policy(region: str, account_id: str) -> list[Statement]:
    """What a node's first pull of a mirrored image needs beyond AmazonEC2ContainerRegistryPullOnly:
    ECR creates the cache repository and imports the upstream image as the puller (ECR User
    Guide, "IAM permissions required to sync an upstream registry"; the Service Authorization
    Reference lists both as dependent actions of BatchGetImage). Only under the mirror's
    prefixes (landfall/logic/mirror.py)."""
    return [
        Statement(
            sid="FillTheImageMirror",
            effect="Allow",
            actions=["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
            resources=[
                f"arn:aws:ecr:{region}:{account_id}:repository/{prefix}/*"
                for prefix in PULL_THROUGH
            ],
        )
    ]


VPC_CNI_POLICIES: tuple[str, ...] = (aws_managed("AmazonEKS_CNI_Policy"),)
# V2 (AWS managed, 2026): volume and snapshot changes only on what carries the driver's own
# ebs.csi.aws.com/cluster tag, where V1 allowed attach, detach, modify and snapshot of any volume.
EBS_CSI_POLICIES: tuple[str, ...] = (aws_managed("AmazonEBSCSIDriverPolicyV2"),)


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def irsa_trust(
    provider_arn: pulumi.Input[str],
    issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
) -> list[Statement]:
    """IRSA trust: only the tokens the cluster's OIDC issuer mints for one service account, with
    the STS audience. ``issuer`` is the issuer URL without ``https://``."""
    return [
        Statement(
            effect="Allow",
            actions=["sts:AssumeRoleWithWebIdentity"],
            principals=[Principal(type="Federated", identifiers=[provider_arn])],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable=pulumi.Output.concat(issuer, ":sub"),
                    values=[service_account_subject(namespace, service_account)],
                ),
                Condition(
                    test="StringEquals",
                    variable=pulumi.Output.concat(issuer, ":aud"),
                    values=[IRSA_AUDIENCE],
                ),
            ],
        )
    ]


def github_actions_trust(provider_arn: pulumi.Input[str], subjects: list[str]) -> list[Statement]:
    """Trust GitHub Actions OIDC tokens for STS whose subject is exactly one of ``subjects``
    (``repo:<org>/<repo>:ref:refs/heads/<branch>``): no wildcards, so no other repository,
    branch, pull request or environment can assume the role."""
    return [
        Statement(
            effect="Allow",
            actions=["sts:AssumeRoleWithWebIdentity"],
            principals=[Principal(type="Federated", identifiers=[provider_arn])],
            conditions=[
                Condition(
                    test="StringEquals", variable=f"{GITHUB_OIDC_HOST}:aud", values=[IRSA_AUDIENCE]
                ),
                Condition(test="StringEquals", variable=f"{GITHUB_OIDC_HOST}:sub", values=subjects),
            ],
        )
    ]


def preview_role_policy(
    state_bucket: str,
    secrets_key_arn: pulumi.Input[str],
    deploy_key_secret_arn: pulumi.Input[str] | None,
) -> list[Statement]:
    """What ``pulumi preview`` needs beyond ReadOnlyAccess: the self-managed backend's state
    (read, plus writing and removing its own lock under ``.pulumi/locks/``), decrypting the
    stacks' secrets with the secrets-provider key, and reading the Flux deploy key the gitops
    program looks up (ReadOnlyAccess grants no ``secretsmanager:GetSecretValue``)."""
    bucket = f"arn:aws:s3:::{state_bucket}"
    statements = [
        Statement(
            sid="ReadState",
            effect="Allow",
            actions=["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"],
            resources=[bucket, f"{bucket}/*"],
        ),
        Statement(
            sid="TakeAndReleaseTheLock",
            effect="Allow",
            actions=["s3:PutObject", "s3:DeleteObject"],
            resources=[f"{bucket}/.pulumi/locks/*"],
        ),
        Statement(
            sid="DecryptStackSecrets",
            effect="Allow",
            actions=["kms:Decrypt", "kms:DescribeKey"],
            resources=[secrets_key_arn],
        ),
    ]
    if deploy_key_secret_arn is not None:
        statements.append(
            Statement(
                sid="ReadFluxDeployKey",
                effect="Allow",
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[deploy_key_secret_arn],
            )
        )
    return statements


def deploy_role_policy(account_id: str, protected_role_names: Sequence[str]) -> list[Statement]:
    """IAM for ``landfall up`` on top of PowerUserAccess (which has no IAM): the platform's
    roles, policies and OIDC providers (EKS's IRSA issuer) in this account, never users, groups
    or the account's settings. The CI roles themselves and the account's GitHub OIDC provider are
    the bootstrap's, changed only by ``landfall bootstrap`` with an administrator's
    credentials: CI can neither widen its own trust nor its permissions."""
    iam = f"arn:aws:iam::{account_id}"
    protected = [f"{iam}:role/{name}" for name in protected_role_names]
    return [
        Statement(
            sid="ManagePlatformIam",
            effect="Allow",
            actions=["iam:*"],
            resources=[
                f"{iam}:role/*",
                f"{iam}:policy/*",
                f"{iam}:instance-profile/*",
                f"{iam}:oidc-provider/*",
            ],
        ),
        Statement(
            sid="ReadIam",
            effect="Allow",
            actions=["iam:Get*", "iam:List*"],
            resources=["*"],
        ),
        Statement(
            sid="NeverTheBootstrapsOwn",
            effect="Deny",
            actions=[
                "iam:Update*",
                "iam:Put*",
                "iam:Attach*",
                "iam:Detach*",
                "iam:Delete*",
                "iam:Tag*",
                "iam:Untag*",
                "iam:Add*",
                "iam:Remove*",
            ],
            resources=[*protected, github_oidc_provider_arn(account_id)],
        ),
    ]


def ci_runner_policy(
    region: str,
    account_id: str,
    subnet_ids: pulumi.Input[list[str]],
    log_group_arn: pulumi.Input[str],
    connection_arn: pulumi.Input[str],
) -> list[Statement]:
    """The CodeBuild runner's own role: its network interfaces in the private subnets (CodeBuild
    user guide, "Allow CodeBuild access to AWS services required to create a VPC network
    interface"), its log group, and the GitHub connection. Nothing else: the jobs assume the CI
    roles with their GitHub OIDC token, never this role's permissions."""
    subnets = pulumi.Output.from_input(subnet_ids).apply(
        lambda ids: [f"arn:aws:ec2:{region}:{account_id}:subnet/{i}" for i in ids]
    )
    return [
        Statement(
            sid="VpcNetworkInterfaces",
            effect="Allow",
            actions=[
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            resources=["*"],
        ),
        Statement(
            sid="NetworkInterfacesInThePrivateSubnetsOnly",
            effect="Allow",
            actions=["ec2:CreateNetworkInterfacePermission"],
            resources=[f"arn:aws:ec2:{region}:{account_id}:network-interface/*"],
            conditions=[
                Condition(test="StringEquals", variable="ec2:Subnet", values=subnets),
                Condition(
                    test="StringEquals",
                    variable="ec2:AuthorizedService",
                    values=["codebuild.amazonaws.com"],
                ),
            ],
        ),
        Statement(
            sid="WriteItsLogs",
            effect="Allow",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[pulumi.Output.concat(log_group_arn, ":*")],
        ),
        Statement(
            sid="UseTheGitHubConnection",
            effect="Allow",
            actions=[
                "codeconnections:GetConnection",
                "codeconnections:GetConnectionToken",
                "codeconnections:UseConnection",
            ],
            resources=[connection_arn],
        ),
    ]


def ebs_csi_kms_policy(key_arn: pulumi.Input[str], region: str) -> list[Statement]:
    """Let the EBS CSI driver create and attach volumes encrypted with ``key_arn``: grants for
    AWS resources only, and the key's data operations only through EC2 (``kms:ViaService``), since
    the same key protects the database, search and the logs."""
    return [
        Statement(
            sid="GrantsForEncryptedVolumes",
            effect="Allow",
            actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            resources=[key_arn],
            conditions=[
                Condition(test="Bool", variable="kms:GrantIsForAWSResource", values=["true"])
            ],
        ),
        Statement(
            sid="UseKeyForVolumesThroughEc2",
            effect="Allow",
            actions=[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            resources=[key_arn],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="kms:ViaService",
                    values=[f"ec2.{region}.amazonaws.com"],
                )
            ],
        ),
    ]


def external_dns_policy(zone_arns: list[pulumi.Input[str]]) -> list[Statement]:
    """external-dns (R18): change and read records in the environment's zone(s) only; listing the
    account's zones is the one call that cannot be scoped to a resource."""
    return [
        Statement(
            sid="ChangeRecordsInOwnZones",
            effect="Allow",
            actions=["route53:ChangeResourceRecordSets"],
            resources=zone_arns,
        ),
        Statement(
            sid="ReadOwnZones",
            effect="Allow",
            actions=["route53:ListResourceRecordSets", "route53:ListTagsForResources"],
            resources=zone_arns,
        ),
        Statement(
            sid="FindZones",
            effect="Allow",
            actions=["route53:ListHostedZones"],
            resources=["*"],
        ),
    ]


def cluster_autoscaler_policy(
    region: str, account_id: str, cluster_name: pulumi.Input[str]
) -> list[Statement]:
    """Cluster Autoscaler (issue 16): read every Auto Scaling group and instance type (the
    describe calls take no resource), but resize and shrink only this cluster's managed node
    groups: EKS tags their groups ``eks:cluster-name`` and ``k8s.io/cluster-autoscaler/enabled``.
    The calls are those of the autoscaler's AWS README ("Full Cluster Autoscaler Features
    Policy", cluster-autoscaler-1.35.0), narrowed by those tags as the README advises."""
    return [
        Statement(
            sid="DiscoverGroupsAndInstanceTypes",
            effect="Allow",
            actions=[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            resources=["*"],
        ),
        Statement(
            sid="ReadOwnNodeGroups",
            effect="Allow",
            actions=["eks:DescribeNodegroup"],
            resources=[
                pulumi.Output.concat(
                    "arn:aws:eks:", region, ":", account_id, ":nodegroup/", cluster_name, "/*"
                )
            ],
        ),
        Statement(
            sid="ResizeOwnNodeGroups",
            effect="Allow",
            actions=[
                "autoscaling:SetDesiredCapacity",
                "autoscaling:TerminateInstanceInAutoScalingGroup",
            ],
            resources=["*"],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="autoscaling:ResourceTag/eks:cluster-name",
                    values=[cluster_name],
                ),
                Condition(
                    test="StringEquals",
                    variable="autoscaling:ResourceTag/k8s.io/cluster-autoscaler/enabled",
                    values=["true"],
                ),
            ],
        ),
    ]


# CloudWatchAgentServerPolicy's calls the add-on does not make here, so its role lacks them:
# X-Ray (Application Signals is off), SSM parameters (its configuration comes from the add-on),
# setting a retention (the cluster stack sets it) and creating any other log group.
CLOUDWATCH_AGENT_CALLS_NOT_NEEDED = (
    "xray:",
    "ssm:",
    "logs:PutRetentionPolicy",
)


def cloudwatch_observability_policy(
    region: str, account_id: str, cluster_name: str
) -> list[Statement]:
    """The amazon-cloudwatch-observability add-on (its agent and Fluent Bit share the service
    account amazon-cloudwatch/cloudwatch-agent): write to this cluster's Container Insights log
    groups only, publish Container Insights metrics only, and read the EC2 tags and volumes it
    labels them with; AWS's CloudWatchAgentServerPolicy narrowed to those resources."""
    groups = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/containerinsights/{cluster_name}/"
    return [
        Statement(
            sid="WriteOwnContainerInsightsLogs",
            effect="Allow",
            # CreateLogGroup: Fluent Bit's auto_create_group asks first; the group exists.
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            resources=[f"{groups}*"],
        ),
        Statement(
            sid="ListLogGroups",
            effect="Allow",
            actions=["logs:DescribeLogGroups"],
            resources=["*"],
        ),
        Statement(
            sid="PublishContainerInsightsMetrics",
            effect="Allow",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="cloudwatch:namespace",
                    values=["ContainerInsights"],
                )
            ],
        ),
        Statement(
            sid="DescribeNodes",
            effect="Allow",
            actions=["ec2:DescribeTags", "ec2:DescribeVolumes"],
            resources=["*"],
        ),
    ]


def alarm_chat_policy(
    region: str,
    account_id: str,
    secret_id: str,
    secrets_key_arn: pulumi.Input[str],
    log_group_arn: pulumi.Input[str],
) -> list[Statement]:
    """The alarm-to-chat function: read its one webhook secret (Secrets Manager appends six
    random characters to a secret's name in its ARN), decrypt it only through Secrets Manager,
    and write its own log group."""
    return [
        Statement(
            sid="ReadWebhookSecret",
            effect="Allow",
            actions=["secretsmanager:GetSecretValue"],
            resources=[f"arn:aws:secretsmanager:{region}:{account_id}:secret:{secret_id}-??????"],
        ),
        decrypt_through_secrets_manager(region, secrets_key_arn),
        Statement(
            sid="WriteOwnLogs",
            effect="Allow",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[pulumi.Output.concat(log_group_arn, ":*")],
        ),
    ]


def decrypt_through_secrets_manager(region: str, key_arn: pulumi.Input[str]) -> Statement:
    """Decrypt with the secrets key only inside Secrets Manager's calls (kms:ViaService)."""
    return Statement(
        sid="DecryptThroughSecretsManager",
        effect="Allow",
        actions=["kms:Decrypt"],
        resources=[key_arn],
        conditions=[
            Condition(
                test="StringEquals",
                variable="kms:ViaService",
                values=[f"secretsmanager.{region}.amazonaws.com"],
            )
        ],
    )


def service_secrets_policy(
    region: str, account_id: str, secret_path: str, secrets_key_arn: pulumi.Input[str]
) -> list[Statement]:
    """A microservice reads only the secrets under its own path, ``<prefix>/<service>/`` (R19),
    and may decrypt with the secrets key only through Secrets Manager."""
    return [
        Statement(
            sid="ReadOwnSecrets",
            effect="Allow",
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources=[f"arn:aws:secretsmanager:{region}:{account_id}:secret:{secret_path}/*"],
        ),
        decrypt_through_secrets_manager(region, secrets_key_arn),
    ]


def ecr_pull_policy(repository_arns: pulumi.Input[list[str]]) -> list[Statement]:
    """Pull (and list tags of) the given ECR repositories; the token call has no resource."""
    return [
        Statement(
            sid="RegistryLogin",
            effect="Allow",
            actions=["ecr:GetAuthorizationToken"],
            resources=["*"],
        ),
        Statement(
            sid="PullCharts",
            effect="Allow",
            actions=[
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
                "ecr:DescribeImages",
                "ecr:ListImages",
            ],
            resources=repository_arns,
        ),
    ]


LBC_TAG = "elbv2.k8s.aws/cluster"


def load_balancer_controller_policy(
    cluster_name: str,
    region: str,
    account_id: str,
    node_security_group_id: pulumi.Input[str],
    target_group_arns: pulumi.Input[list[str]] | None,
    vpc_id: pulumi.Input[str] | None = None,
) -> list[Statement]:
    """The AWS Load Balancer Controller's upstream reference policy (docs/install/iam_policy.json),
    narrowed for this platform (R15, R17, R18):

    * the internet-facing ALB is the network stack's; the controller only registers pod IPs in
      its target groups (``target_group_arns``, TargetGroupBinding) and opens the node security
      group to it, and may not touch WAF or Shield;
    * it may create only *internal* load balancers (``elasticloadbalancing:Scheme``): the ALB
      that Ingresses share through ``group.name`` (R16) and NLBs for Lambda callers in the VPC
      (R17), named ``k8s-*`` as the controller names them and tagged
      ``elbv2.k8s.aws/cluster=<this cluster>``; everything it later changes or deletes must carry
      that tag with this cluster's name, and its listeners and rules must belong to ``k8s-*``
      load balancers, so the network stack's ALB (``landfall-<env>-public``) is out of reach;
    * every ARN is pinned to this account and region.
    """
    elb = f"arn:aws:elasticloadbalancing:{region}:{account_id}"
    security_groups = f"arn:aws:ec2:{region}:{account_id}:security-group/*"
    node_group_arn = pulumi.Output.concat(
        f"arn:aws:ec2:{region}:{account_id}:security-group/", node_security_group_id
    )
    owned = Condition(
        test="StringEquals", variable=f"aws:ResourceTag/{LBC_TAG}", values=[cluster_name]
    )
    tagging_for_us = Condition(
        test="StringEquals", variable=f"aws:RequestTag/{LBC_TAG}", values=[cluster_name]
    )
    keeps_cluster_tag = Condition(
        test="Null", variable=f"aws:RequestTag/{LBC_TAG}", values=["true"]
    )
    # The controller names what it creates k8s-<namespace>-<name>-<hash> (ingress groups:
    # k8s-<group>-<hash>); the network stack's ALB is named landfall-<env>-public.
    own_load_balancers = [f"{elb}:loadbalancer/{kind}/k8s-*/*" for kind in ("app", "net")]
    vpcs = f"arn:aws:ec2:{region}:{account_id}:vpc/"
    environment_vpc = pulumi.Output.concat(vpcs, vpc_id) if vpc_id is not None else f"{vpcs}*"
    own_listeners = [f"{elb}:listener/{kind}/k8s-*/*/*" for kind in ("app", "net")]
    own_rules = [f"{elb}:listener-rule/app/k8s-*/*/*/*"]
    load_balancers_and_target_groups = [f"{elb}:targetgroup/*/*", *own_load_balancers]
    statements = [
        Statement(
            sid="Discover",
            effect="Allow",
            actions=[
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "ec2:DescribeIpamPools",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeCapacityReservation",
                "acm:ListCertificates",
            ],
            resources=["*"],
        ),
        # The two discovery calls that take a resource: this account's certificates, and the
        # environment's VPC.
        Statement(
            sid="DescribeOwnCertificates",
            effect="Allow",
            actions=["acm:DescribeCertificate"],
            resources=[f"arn:aws:acm:{region}:{account_id}:certificate/*"],
        ),
        Statement(
            sid="SecurityGroupsOfTheEnvironmentsVpc",
            effect="Allow",
            actions=["ec2:GetSecurityGroupsForVpc"],
            resources=[environment_vpc],
        ),
        Statement(
            sid="ElbServiceLinkedRole",
            effect="Allow",
            actions=["iam:CreateServiceLinkedRole"],
            resources=["*"],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="iam:AWSServiceName",
                    values=["elasticloadbalancing.amazonaws.com"],
                )
            ],
        ),
        Statement(
            sid="OpenNodesToLoadBalancers",
            effect="Allow",
            actions=["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            resources=[node_group_arn],
        ),
        # CreateSecurityGroup is authorised on the new group and on its VPC: tagged for this
        # cluster, and only in the environment's VPC.
        Statement(
            sid="CreateOwnSecurityGroups",
            effect="Allow",
            actions=["ec2:CreateSecurityGroup"],
            resources=[security_groups],
            conditions=[tagging_for_us],
        ),
        Statement(
            sid="CreateSecurityGroupsInTheEnvironmentsVpc",
            effect="Allow",
            actions=["ec2:CreateSecurityGroup"],
            resources=[environment_vpc],
        ),
        Statement(
            sid="TagOwnSecurityGroupsOnCreate",
            effect="Allow",
            actions=["ec2:CreateTags"],
            resources=[security_groups],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="ec2:CreateAction",
                    values=["CreateSecurityGroup"],
                ),
                tagging_for_us,
            ],
        ),
        Statement(
            sid="RetagOwnSecurityGroups",
            effect="Allow",
            actions=["ec2:CreateTags", "ec2:DeleteTags"],
            resources=[security_groups],
            conditions=[owned, keeps_cluster_tag],
        ),
        Statement(
            sid="ManageOwnSecurityGroups",
            effect="Allow",
            actions=[
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            resources=[security_groups],
            conditions=[owned],
        ),
        Statement(
            sid="CreateInternalLoadBalancersOnly",
            effect="Allow",
            actions=["elasticloadbalancing:CreateLoadBalancer"],
            resources=own_load_balancers,
            conditions=[
                tagging_for_us,
                Condition(
                    test="StringEquals",
                    variable="elasticloadbalancing:Scheme",
                    values=["internal"],
                ),
            ],
        ),
        Statement(
            sid="CreateOwnTargetGroups",
            effect="Allow",
            actions=["elasticloadbalancing:CreateTargetGroup"],
            resources=[f"{elb}:targetgroup/*/*"],
            conditions=[tagging_for_us],
        ),
        Statement(
            sid="TagOnCreate",
            effect="Allow",
            actions=["elasticloadbalancing:AddTags"],
            resources=load_balancers_and_target_groups,
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="elasticloadbalancing:CreateAction",
                    values=["CreateTargetGroup", "CreateLoadBalancer"],
                ),
                tagging_for_us,
            ],
        ),
        Statement(
            sid="RetagOwnLoadBalancers",
            effect="Allow",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=load_balancers_and_target_groups,
            conditions=[owned, keeps_cluster_tag],
        ),
        Statement(
            sid="ManageOwnLoadBalancers",
            effect="Allow",
            actions=[
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            resources=["*"],
            conditions=[owned],
        ),
        # Listeners and rules: the controller (v3.4.3, ListenerRulesTagging on by default) tags
        # them like its load balancers, so every call is scoped by this cluster's tag as well as
        # by the k8s-* names: the resource it acts on carries the tag, what it creates is
        # requested with it.
        Statement(
            sid="CreateListenersOnOwnLoadBalancers",
            effect="Allow",
            actions=["elasticloadbalancing:CreateListener"],
            resources=own_load_balancers,
            conditions=[owned],
        ),
        Statement(
            sid="CreateRulesOnOwnListeners",
            effect="Allow",
            actions=["elasticloadbalancing:CreateRule"],
            resources=[own_listeners[0]],
            conditions=[owned],
        ),
        Statement(
            sid="NewListenersAndRulesAreTagged",
            effect="Allow",
            actions=[
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
            ],
            resources=[*own_listeners, *own_rules],
            conditions=[tagging_for_us],
        ),
        Statement(
            sid="ManageOwnListenersAndRules",
            effect="Allow",
            actions=[
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            resources=[*own_listeners, *own_rules],
            conditions=[owned],
        ),
        Statement(
            sid="TagListenersAndRulesOnCreate",
            effect="Allow",
            actions=["elasticloadbalancing:AddTags"],
            resources=[*own_listeners, *own_rules],
            conditions=[
                Condition(
                    test="StringEquals",
                    variable="elasticloadbalancing:CreateAction",
                    values=["CreateListener", "CreateRule"],
                ),
                tagging_for_us,
            ],
        ),
        Statement(
            sid="RetagOwnListenersAndRules",
            effect="Allow",
            actions=["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            resources=[*own_listeners, *own_rules],
            conditions=[owned, keeps_cluster_tag],
        ),
    ]
    if target_group_arns is not None:
        statements.append(
            Statement(
                sid="BindPodsToNetworkStackTargetGroups",
                effect="Allow",
                actions=[
                    "elasticloadbalancing:RegisterTargets",
                    "elasticloadbalancing:DeregisterTargets",
                ],
                resources=target_group_arns,
            )
        )
    return statements


def data_access_policy(
    region: str, master_secret_arn: pulumi.Input[str], secrets_kms_key_arn: pulumi.Input[str]
) -> list[Statement]:
    """The data-access function reads the RDS master secret (it alone among workloads) and
    decrypts it only through Secrets Manager. Assuming the search master role is granted by the
    search component, whose trust names this function's role."""
    return [
        Statement(
            sid="ReadMasterSecret",
            effect="Allow",
            actions=["secretsmanager:GetSecretValue"],
            resources=[master_secret_arn],
        ),
        decrypt_through_secrets_manager(region, secrets_kms_key_arn),
    ]


def assume_roles_policy(role_arns: Sequence[pulumi.Input[str]]) -> list[Statement]:
    return [
        Statement(
            sid="AssumeRoles", effect="Allow", actions=["sts:AssumeRole"], resources=role_arns
        )
    ]


# The HTTP methods a search client uses (IAM's es:ESHttp* actions).
SEARCH_HTTP_ACTIONS = [f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Post", "Put")]
# Multi-index calls on the domain root; the security plugin still checks every index in them.
SEARCH_ROOT_PATHS = ("_bulk", "_mget", "_msearch")


def search_master_policy(domain_arn: pulumi.Input[str]) -> list[Statement]:
    """The master user calls any path of its domain (the security API included)."""
    return [
        Statement(
            sid="ManageDomain",
            effect="Allow",
            actions=SEARCH_HTTP_ACTIONS,
            resources=[pulumi.Output.concat(domain_arn, "/*")],
        )
    ]


def service_data_policy(
    region: str,
    account_id: str,
    database_resource_id: pulumi.Input[str] | None,
    database_user: str | None,
    domain_arn: pulumi.Input[str] | None,
    index_pattern: str | None,
) -> list[Statement]:
    """A service connects to MariaDB only as its own user (IAM database authentication; RDS
    User Guide, "Creating and using an IAM policy for IAM database access") and calls the search
    domain only on its own index pattern and the multi-document root calls."""
    statements = []
    if database_resource_id is not None and database_user:
        statements.append(
            Statement(
                sid="ConnectAsOwnDatabaseUser",
                effect="Allow",
                actions=["rds-db:connect"],
                resources=[
                    pulumi.Output.concat(
                        f"arn:aws:rds-db:{region}:{account_id}:dbuser:",
                        database_resource_id,
                        f"/{database_user}",
                    )
                ],
            )
        )
    if domain_arn is not None and index_pattern:
        statements.append(
            Statement(
                sid="OwnIndices",
                effect="Allow",
                actions=SEARCH_HTTP_ACTIONS,
                resources=[
                    pulumi.Output.concat(domain_arn, "/", path)
                    for path in (index_pattern, *SEARCH_ROOT_PATHS)
                ],
            )
        )
    return statements


def alarm_topic_policy(
    topic_arn: pulumi.Input[str], account_id: str, region: str
) -> list[Statement]:
    """Only this account's CloudWatch alarms may publish to the topic (confused-deputy guard);
    the account administers it through IAM."""
    return [
        Statement(
            sid="AccountAdministersThroughIam",
            effect="Allow",
            actions=[
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:ListSubscriptionsByTopic",
                "sns:Publish",
            ],
            principals=[Principal(type="AWS", identifiers=[f"arn:aws:iam::{account_id}:root"])],
            resources=[topic_arn],
        ),
        Statement(
            sid="CloudwatchAlarmsPublish",
            effect="Allow",
            actions=["sns:Publish"],
            principals=[Principal(type="Service", identifiers=["cloudwatch.amazonaws.com"])],
            resources=[topic_arn],
            conditions=[
                Condition(test="StringEquals", variable="aws:SourceAccount", values=[account_id]),
                Condition(
                    test="ArnLike",
                    variable="aws:SourceArn",
                    values=[f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"],
                ),
            ],
        ),
    ]
