"""Pure CIDR planning for the VPC: one public, one private (nodes) and one data subnet per AZ.

Blocks are allocated largest first so that smaller subnets fill the gaps the larger ones leave,
the same approach as pulumi-awsx's subnet distributor. Nothing here touches Pulumi.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Tier = Literal["public", "private", "data"]
TIERS: tuple[Tier, ...] = ("public", "private", "data")


class CidrPlanError(ValueError):
    """The VPC CIDR cannot hold the requested subnets."""


@dataclass(frozen=True)
class PlannedSubnet:
    tier: Tier
    availability_zone: str
    cidr: ipaddress.IPv4Network


@dataclass(frozen=True)
class SubnetPlan:
    vpc_cidr: ipaddress.IPv4Network
    subnets: tuple[PlannedSubnet, ...]

    def tier(self, tier: Tier) -> list[PlannedSubnet]:
        """The subnets of one tier, in AZ order."""
        return [s for s in self.subnets if s.tier == tier]

    def cidrs(self, tier: Tier) -> list[str]:
        return [str(s.cidr) for s in self.tier(tier)]


def addresses_needed(az_count: int, prefix_lengths: dict[Tier, int]) -> int:
    return az_count * sum(2 ** (32 - prefix_lengths[t]) for t in TIERS)


def plan_subnets(
    vpc_cidr: str | ipaddress.IPv4Network,
    availability_zones: list[str],
    prefix_lengths: dict[Tier, int],
) -> SubnetPlan:
    """Carve one subnet per tier per AZ out of ``vpc_cidr``.

    Raises CidrPlanError naming how many addresses the plan needs when it does not fit.
    """
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    for tier in TIERS:
        if prefix_lengths[tier] < vpc.prefixlen:
            raise CidrPlanError(
                f"the {tier} subnet prefix /{prefix_lengths[tier]} is larger than the VPC "
                f"{vpc} itself"
            )
    requests = [(tier, az) for tier in TIERS for az in availability_zones]
    # Largest blocks first; ties keep tier-then-AZ order so the plan is stable.
    requests.sort(key=lambda r: prefix_lengths[r[0]])
    allocated: list[ipaddress.IPv4Network] = []
    planned: dict[tuple[Tier, str], ipaddress.IPv4Network] = {}
    for tier, az in requests:
        block = _first_free(vpc, prefix_lengths[tier], allocated)
        if block is None:
            need = addresses_needed(len(availability_zones), prefix_lengths)
            raise CidrPlanError(
                f"{vpc} has {vpc.num_addresses} addresses but the subnet plan needs {need} "
                f"({len(availability_zones)} AZs x public /{prefix_lengths['public']}, "
                f"private /{prefix_lengths['private']}, data /{prefix_lengths['data']})"
            )
        allocated.append(block)
        planned[(tier, az)] = block
    ordered = tuple(
        PlannedSubnet(tier, az, planned[(tier, az)]) for tier in TIERS for az in availability_zones
    )
    return SubnetPlan(vpc, ordered)


def _first_free(
    vpc: ipaddress.IPv4Network, prefix: int, allocated: list[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network | None:
    for candidate in vpc.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(a) for a in allocated):
            return candidate
    return None
