import ipaddress

import pytest

from landfall.logic.cidr import CidrPlanError, addresses_needed, plan_subnets

AZS = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
PREFIXES = {"public": 24, "private": 19, "data": 24}


def test_one_subnet_per_tier_per_az_inside_the_vpc_without_overlap():
    plan = plan_subnets("10.20.0.0/16", AZS, PREFIXES)
    assert len(plan.subnets) == 9
    vpc = ipaddress.IPv4Network("10.20.0.0/16")
    nets = [s.cidr for s in plan.subnets]
    assert all(n.subnet_of(vpc) for n in nets)
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    for tier in ("public", "private", "data"):
        assert [s.availability_zone for s in plan.tier(tier)] == AZS
        assert {s.cidr.prefixlen for s in plan.tier(tier)} == {PREFIXES[tier]}


def test_largest_blocks_are_allocated_first_and_the_plan_is_stable():
    plan = plan_subnets("10.20.0.0/16", AZS, PREFIXES)
    assert plan.cidrs("private") == ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]
    assert plan.cidrs("public") == ["10.20.96.0/24", "10.20.97.0/24", "10.20.98.0/24"]
    assert plan_subnets("10.20.0.0/16", AZS, PREFIXES) == plan


def test_exact_fit_succeeds_and_one_address_short_fails():
    # 3 x (/26 + /26 + /26) = 576 addresses: fits a /22 (1024), not a /23 (512).
    small = {"public": 26, "private": 26, "data": 26}
    assert addresses_needed(3, small) == 576
    plan_subnets("10.0.0.0/22", AZS, small)
    with pytest.raises(CidrPlanError, match="needs 576"):
        plan_subnets("10.0.0.0/23", AZS, small)


def test_subnet_prefix_larger_than_the_vpc_is_rejected():
    with pytest.raises(CidrPlanError, match="larger than the VPC"):
        plan_subnets("10.0.0.0/20", AZS, {"public": 24, "private": 19, "data": 24})
