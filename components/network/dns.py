"""The environment's public hosted zone and a DNS-validated ACM certificate for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.program.protection import stateful


def validation_records(options: Sequence[Any]) -> list[dict[str, str]]:
    """Distinct DNS validation records: ACM returns the same record for a name and its wildcard."""
    seen: dict[str, dict[str, str]] = {}
    for o in options:
        seen.setdefault(
            o.resource_record_name,
            {
                "resource_record_name": o.resource_record_name,
                "resource_record_type": o.resource_record_type,
                "resource_record_value": o.resource_record_value,
            },
        )
    return list(seen.values())


def parent_zone_record(
    resource_name: str,
    domain: str,
    record_type: str,
    records: pulumi.Input[Sequence[pulumi.Input[str]]],
    parent_zone_id: str,
    parent_provider: pulumi.ProviderResource | None,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> aws.route53.Record:
    """A record for ``domain`` in its parent's zone (the NS delegation, the DNSSEC DS record),
    written with the parent's provider when that zone is in another account."""
    return aws.route53.Record(
        resource_name,
        zone_id=parent_zone_id,
        name=domain,
        type=record_type,
        ttl=3600,
        records=records,
        opts=pulumi.ResourceOptions(
            parent=parent, provider=parent_provider, depends_on=list(depends_on)
        ),
    )


@dataclass(frozen=True)
class DnsArgs:
    domain: str
    production: bool
    # The parent domain's zone: the delegation (NS record) is written there when given, with
    # ``parent_provider`` when that zone is in another account.
    parent_zone_id: str | None = None
    parent_provider: pulumi.ProviderResource | None = None


class Dns(Component):
    """A public zone for ``domain``, delegated from its parent zone when that zone is given (else
    by a person, with the exported name servers, while `landfall up` waits), and a certificate
    for the apex and ``*.domain``, validated through the zone so it renews itself. Validation
    waits for the delegation: ACM can only see the record once the parent points at the zone.
    The zone is protected in prod: deleting it would break delegation."""

    zone_id: pulumi.Output[str]
    zone_arn: pulumi.Output[str]
    zone_name: pulumi.Output[str]
    name_servers: pulumi.Output[Sequence[str]]
    certificate_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Dns", name, None, opts)
        zone = aws.route53.Zone(
            f"{name}-zone",
            name=args.domain,
            comment=f"landfall {args.domain}",
            # Test: a destroy removes records left in the zone (HostedZoneNotEmpty otherwise);
            # prod's zone is protected and never emptied by a destroy.
            force_destroy=not args.production,
            opts=stateful(self, args.production),
        )
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=args.domain,
            subject_alternative_names=[f"*.{args.domain}"],
            validation_method="DNS",
            key_algorithm="RSA_2048",
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )

        records = certificate.domain_validation_options.apply(validation_records)
        # The apex and its wildcard always share exactly one validation record.
        validation = aws.route53.Record(
            f"{name}-certificate-validation",
            zone_id=zone.zone_id,
            name=records.apply(lambda r: r[0]["resource_record_name"]),
            type=records.apply(lambda r: r[0]["resource_record_type"]),
            records=[records.apply(lambda r: r[0]["resource_record_value"])],
            ttl=300,
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        delegation = []
        if args.parent_zone_id:
            delegation.append(
                parent_zone_record(
                    f"{name}-delegation",
                    args.domain,
                    "NS",
                    zone.name_servers,
                    args.parent_zone_id,
                    args.parent_provider,
                    self,
                )
            )
        validated = aws.acm.CertificateValidation(
            f"{name}-certificate",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[validation.fqdn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=delegation),
        )
        self.zone_id = zone.zone_id
        self.zone_arn = zone.arn
        self.zone_name = zone.name
        self.name_servers = zone.name_servers
        self.certificate_arn = validated.certificate_arn
        self.finish()
