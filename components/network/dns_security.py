"""DNSSEC signing and query logging for the environment's public zone (both in us-east-1, as
Route 53 requires)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group
from components.network.dns import parent_zone_record
from landfall.program.iam import (
    dnssec_key_policy,
    document,
    kms_key_policy,
    route53_query_log_policy,
)
from landfall.program.protection import stateful

# Route 53 takes DNSSEC keys and query-log groups only in this region.
ROUTE53_REGION = "us-east-1"


@dataclass(frozen=True)
class DnsSecurityArgs:
    name_prefix: str
    account_id: str
    domain: str
    zone_id: pulumi.Input[str]
    # A provider for us-east-1 (same account, same default tags).
    us_east_1: pulumi.ProviderResource
    query_log_retention_days: int
    production: bool
    # The parent zone the delegation is written into (DnsArgs): its DS record goes there too.
    parent_zone_id: str | None = None
    parent_provider: pulumi.ProviderResource | None = None


class DnsSecurity(Component):
    """DNSSEC: a key-signing key on an asymmetric ECC_NIST_P256 KMS key (what Route 53 requires)
    and signing turned on; the DS record for the parent zone is an output (the network stack
    writes it into the parent when it delegates, as it writes the NS record). Query logging:
    every query Route 53 answers for the zone, to a KMS-encrypted us-east-1 log group, which the
    account's us-east-1 resource policy lets Route 53 write to."""

    ds_record: pulumi.Output[str]
    signing: aws.route53.HostedZoneDnsSec

    def __init__(
        self, name: str, args: DnsSecurityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:DnsSecurity", name, None, opts)
        in_us_east_1 = pulumi.ResourceOptions(parent=self, provider=args.us_east_1)
        key = aws.kms.Key(
            f"{name}-ksk",
            description=f"{args.name_prefix}: DNSSEC key-signing key of {args.domain}",
            customer_master_key_spec="ECC_NIST_P256",
            key_usage="SIGN_VERIFY",
            # Asymmetric keys cannot rotate automatically; rotating a KSK is a DNSSEC procedure.
            deletion_window_in_days=30 if args.production else 7,
            policy=document(dnssec_key_policy(args.account_id), parent=self),
            opts=stateful(self, args.production, provider=args.us_east_1),
        )
        ksk = aws.route53.KeySigningKey(
            f"{name}-ksk",
            hosted_zone_id=args.zone_id,
            key_management_service_arn=key.arn,
            name=f"{args.name_prefix.replace('-', '_')}_ksk",
            status="ACTIVE",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.signing = aws.route53.HostedZoneDnsSec(
            name,
            hosted_zone_id=ksk.hosted_zone_id,
            signing_status="SIGNING",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ksk]),
        )
        self.ds_record = ksk.ds_record
        if args.parent_zone_id:
            # The chain of trust: the parent vouches for the key, once the zone signs.
            parent_zone_record(
                f"{name}-ds",
                args.domain,
                "DS",
                [ksk.ds_record],
                args.parent_zone_id,
                args.parent_provider,
                self,
                depends_on=[self.signing],
            )

        logs_key = aws.kms.Key(
            f"{name}-query-logs",
            description=f"{args.name_prefix}: Route 53 query logs of {args.domain}",
            enable_key_rotation=True,
            deletion_window_in_days=30 if args.production else 7,
            policy=document(
                kms_key_policy(args.account_id, ROUTE53_REGION, ("logs",)), parent=self
            ),
            opts=stateful(self, args.production, provider=args.us_east_1),
        )
        policy = aws.cloudwatch.LogResourcePolicy(
            name,
            policy_name=f"{args.name_prefix}-route53-query-logs",
            policy_document=document(route53_query_log_policy(args.account_id), parent=self),
            opts=in_us_east_1,
        )
        group = kms_log_group(
            f"{name}-query-logs",
            f"/aws/route53/{args.domain}",
            args.query_log_retention_days,
            logs_key.arn,
            in_us_east_1,
        )
        aws.route53.QueryLog(
            name,
            zone_id=args.zone_id,
            cloudwatch_log_group_arn=group.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.finish()
