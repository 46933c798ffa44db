"""The OpenSearch domain in the isolated data subnets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group
from components.network.security_groups import data_store_security_group
from landfall.program.iam import (
    assume_roles_policy,
    document,
    named_principals_trust,
    opensearch_access_policy,
    opensearch_log_delivery_policy,
    search_master_policy,
)
from landfall.program.protection import stateful

LOG_TYPES = ("INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS")
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"


def search_domain_name(name_prefix: str) -> str:
    """The domain's name: OpenSearch allows at most 28 characters."""
    return f"{name_prefix}-search"[:28]


@dataclass(frozen=True)
class SearchArgs:
    name_prefix: str
    region: str
    account_id: str
    vpc_id: pulumi.Input[str]
    data_subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    engine_version: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    dedicated_master_type: str | None
    dedicated_master_count: int
    zone_awareness: bool
    log_retention_days: int
    production: bool
    # Who may assume the master role (search superuser): the cluster-admin SSO roles.
    admin_principal_arns: Sequence[str] = ()
    # The data-access function's role, which maps each service to its indices as the master.
    provisioner_role_arn: pulumi.Input[str] | None = None
    provisioner_role_name: pulumi.Input[str] | None = None


class Search(Component):
    """An OpenSearch domain inside the VPC: encrypted at rest with the data key and node to node,
    HTTPS only with TLS 1.2+, fine-grained access control whose master user is an IAM role (no
    internal password), and every log type shipped to encrypted CloudWatch log groups. Prod
    spreads data nodes over three zones with dedicated masters; test runs one small node."""

    endpoint: pulumi.Output[str]
    domain_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    master_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: SearchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Search", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        domain_name = search_domain_name(args.name_prefix)
        domain_arn = f"arn:aws:es:{args.region}:{args.account_id}:domain/{domain_name}"

        sg = data_store_security_group(
            name,
            vpc_id=args.vpc_id,
            description="OpenSearch: HTTPS only from the data-access security group",
            name_tag=f"{args.name_prefix}-search",
            port=443,
            rule_description="HTTPS from nodes carrying the data-access security group",
            client_security_group_id=args.client_security_group_id,
            opts=child,
        )
        # Admins, and the data-access function, assume this role to manage OpenSearch security
        # (roles, mappings) through fine-grained access control.
        trusted: list[pulumi.Input[str]] = [*args.admin_principal_arns]
        if args.provisioner_role_arn is not None:
            trusted.append(args.provisioner_role_arn)
        master_role = aws.iam.Role(
            f"{name}-master",
            description=f"{args.name_prefix} OpenSearch fine-grained access control master user",
            assume_role_policy=document(named_principals_trust(trusted), parent=self),
            opts=child,
        )
        # The domain policy defers to IAM (account principals), so the master needs an identity
        # grant too: without one every request it signs is refused before FGAC sees it.
        aws.iam.RolePolicy(
            f"{name}-master",
            role=master_role.id,
            policy=document(search_master_policy(domain_arn), parent=self),
            opts=child,
        )
        if args.provisioner_role_name is not None:
            aws.iam.RolePolicy(
                f"{name}-provisioner",
                role=args.provisioner_role_name,
                policy=document(assume_roles_policy([master_role.arn]), parent=self),
                opts=child,
            )

        log_groups = {}
        for log_type in LOG_TYPES:
            log_groups[log_type] = kms_log_group(
                f"{name}-{log_type.lower().replace('_', '-')}",
                f"/aws/opensearch/{domain_name}/{log_type.lower()}",
                args.log_retention_days,
                args.kms_key_arn,
                child,
            )
        log_policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-logs",
            policy_name=f"{args.name_prefix}-opensearch-logs",
            policy_document=document(
                opensearch_log_delivery_policy(
                    [g.arn for g in log_groups.values()], args.account_id, domain_arn
                ),
                parent=self,
            ),
            opts=child,
        )

        azs = 3 if args.instance_count % 3 == 0 else 2
        subnet_count = azs if args.zone_awareness else 1
        cluster = aws.opensearch.DomainClusterConfigArgs(
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            zone_awareness_enabled=args.zone_awareness,
            zone_awareness_config=aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                availability_zone_count=azs
            )
            if args.zone_awareness
            else None,
            dedicated_master_enabled=args.dedicated_master_type is not None,
            dedicated_master_type=args.dedicated_master_type,
            dedicated_master_count=args.dedicated_master_count
            if args.dedicated_master_type
            else None,
        )
        domain = aws.opensearch.Domain(
            name,
            domain_name=domain_name,
            engine_version=args.engine_version,
            cluster_config=cluster,
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_type="gp3", volume_size=args.volume_size_gb
            ),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=args.data_subnet_ids[:subnet_count], security_group_ids=[sg.id]
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(
                enabled=True, kms_key_id=args.kms_key_arn
            ),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            advanced_security_options=aws.opensearch.DomainAdvancedSecurityOptionsArgs(
                enabled=True,
                anonymous_auth_enabled=False,
                internal_user_database_enabled=False,
                master_user_options=aws.opensearch.DomainAdvancedSecurityOptionsMasterUserOptionsArgs(
                    master_user_arn=master_role.arn
                ),
            ),
            access_policies=document(opensearch_access_policy(args.account_id, domain_arn), self),
            log_publishing_options=[
                aws.opensearch.DomainLogPublishingOptionArgs(
                    log_type=log_type, cloudwatch_log_group_arn=group.arn, enabled=True
                )
                for log_type, group in log_groups.items()
            ],
            software_update_options=aws.opensearch.DomainSoftwareUpdateOptionsArgs(
                auto_software_update_enabled=True
            ),
            opts=stateful(self, args.production, depends_on=[log_policy]),
        )
        self.endpoint = domain.endpoint
        self.domain_arn = domain.arn
        self.security_group_id = sg.id
        self.master_role_arn = master_role.arn
        self.finish()
