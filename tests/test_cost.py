"""The rough monthly estimate `landfall plan` prints (issue 16): what it counts, how it prices,
and that it says what it cannot price instead of guessing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from landfall.plan import prices
from landfall.plan.cost import estimate

ON = datetime.date(2026, 12, 2)


def inventory(*resources: tuple[str, dict[str, Any]]) -> Any:
    return {
        "environment": "x",
        "note": "",
        "stacks": {
            "one": {
                "resources": [
                    {"type": t, "name": f"r{i}", "inputs": inputs}
                    for i, (t, inputs) in enumerate(resources)
                ],
                "outputs": {},
            }
        },
    }


def line(result, start: str):
    [found] = [entry for entry in result.lines if entry.what.startswith(start)]
    return found


def test_each_driver_is_counted_and_priced_by_the_hour() -> None:
    result = estimate(
        inventory(
            *[("aws:ec2/natGateway:NatGateway", {})] * 3,
            (
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                {"vpcEndpointType": "Interface", "subnetIds": ["a", "b"]},
            ),
            ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Gateway"}),  # free
            (
                "aws:eks/nodeGroup:NodeGroup",
                {"instanceTypes": ["m6i.large"], "scalingConfig": {"desiredSize": 2}},
            ),
            (
                "aws:eks/nodeGroup:NodeGroup",
                {"instanceTypes": ["m6i.large"], "scalingConfig": {"desiredSize": 3}},
            ),
            ("aws:rds/instance:Instance", {"instanceClass": "db.r6g.large", "multiAz": True}),
        ),
        prices.PRICES_REGION,
        None,
        ON,
    )
    month = prices.HOURS_PER_MONTH
    assert line(result, "NAT").monthly == pytest.approx(3 * prices.NAT_GATEWAY_HOUR * month)
    assert line(result, "interface").count == 2  # one per AZ it has an interface in
    nodes = line(result, "m6i.large node")
    assert (nodes.count, nodes.what) == (5, "m6i.large node (2 group(s))")
    database = line(result, "db.r6g.large")
    assert database.count == 2  # Multi-AZ: a standby runs too
    assert result.total == pytest.approx(sum(entry.monthly for entry in result.lines))
    assert not any("dearer" in note for note in result.notes)


def test_what_the_table_does_not_price_is_named_not_guessed() -> None:
    result = estimate(
        inventory(
            (
                "aws:eks/nodeGroup:NodeGroup",
                {
                    "instanceTypes": ["c7gn.16xlarge"],
                    "capacityType": "SPOT",
                    "scalingConfig": {"desiredSize": 1},
                },
            ),
        ),
        "eu-west-2",
        None,
        ON,
    )
    assert result.unpriced == ["c7gn.16xlarge node (1 group(s), spot: on-demand price as ceiling)"]
    assert result.total == 0
    text = result.summary()
    assert "no price in the table" in text and "1 item(s) without a price" in text
    assert "ROUGH ESTIMATE" in text and str(prices.PRICES_COMPILED) in text
    assert any("eu-west-2 is usually 5-20% dearer" in note for note in result.notes)


@pytest.mark.parametrize(
    "policy,words",
    [("EXTENDED", "extended support adds about $365 a month"), ("STANDARD", "EKS upgrades")],
)
def test_the_extended_support_fee_is_announced_with_its_date(policy: str, words: str) -> None:
    cluster = ("eks:index:Cluster", {"version": "1.35", "upgradePolicy": {"supportType": policy}})
    result = estimate(inventory(cluster), "us-east-1", datetime.date(2027, 3, 27), ON)
    [note] = [n for n in result.notes if "support" in n]
    assert words in note and "2027-03-27" in note


def test_prod_costs_more_than_test_for_the_reasons_its_settings_say(env_plan) -> None:
    from landfall.cli.plan import cost_estimate

    test, prod = (
        cost_estimate(env_plan(env).config, env_plan(env).as_json()) for env in ("test", "prod")
    )
    assert line(test, "NAT").count == 1 and line(prod, "NAT").count == 3  # natGateways
    assert line(prod, "db.r6g.large").count == 2  # Multi-AZ in prod only
    assert "spot" in line(test, "m6i.large").what and "spot" not in line(prod, "m6i.xlarge").what
    assert test.unpriced == prod.unpriced == []  # every committed size has a price
    assert 0 < test.total < prod.total
