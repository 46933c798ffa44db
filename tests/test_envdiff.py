"""``landfall diff-envs``: how two environments differ, from their offline inventories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from project import PROJECT_ROOT

from landfall.cli.main import main
from landfall.plan.envdiff import diff_environments, env_key, setting_differences
from landfall.plan.harness import EnvironmentPlan
from landfall.plan.inventory import normalize


def resource(env: str, type_: str, name: str, protect: bool = False, **inputs: Any) -> dict:
    return {
        "urn": f"urn:pulumi:{env}-network::landfall::{type_}::{name}",
        "type": type_,
        "name": name,
        "inputs": inputs,
        "options": {"protect": protect, "retainOnDelete": protect},
    }


def inventory(env: str, *resources: dict) -> dict[str, Any]:
    return {"environment": env, "stacks": {"network": {"resources": list(resources)}}}


RDS = "aws:rds/instance:Instance"
NAT = "aws:ec2/natGateway:NatGateway"


def test_env_key_drops_the_stack_name() -> None:
    assert env_key("urn:pulumi:test-network::landfall::aws:ec2/vpc:Vpc::vpc") == (
        env_key("urn:pulumi:prod-network::landfall::aws:ec2/vpc:Vpc::vpc")
    )


def test_setting_differences_cover_highlights_and_protection() -> None:
    a = resource("test", RDS, "database", multiAz=False, storageEncrypted=True)
    b = resource("prod", RDS, "database", protect=True, multiAz=True, storageEncrypted=True)
    assert setting_differences(a, b) == [
        ("multiAz", False, True),
        ("options.protect", False, True),
        ("options.retainOnDelete", False, True),
    ]


def test_report_lists_counts_one_sided_resources_and_settings() -> None:
    test = inventory(
        "test", resource("test", NAT, "nat-a"), resource("test", RDS, "database", multiAz=False)
    )
    prod = inventory(
        "prod",
        resource("prod", NAT, "nat-a"),
        resource("prod", NAT, "nat-b"),
        resource("prod", RDS, "database", multiAz=True),
    )
    text = diff_environments("test", test, "prod", prod)
    lines = [line.split() for line in text.splitlines()]
    assert [NAT, "1", "2"] in lines
    assert "only in prod:" in text and [NAT, "nat-b"] in lines
    assert "only in test:" not in text
    assert ["database", "multiAz", "False", "True"] in lines


def test_identical_settings_are_said_to_be_identical() -> None:
    one = inventory("test", resource("test", RDS, "database", multiAz=True))
    two = inventory("prod", resource("prod", RDS, "database", multiAz=True))
    assert "security / cost settings: identical" in diff_environments("test", one, "prod", two)


def test_test_and_prod_differ_where_the_spec_says(
    env_plan: Callable[[str], EnvironmentPlan],
) -> None:
    """R1: the same code; the differences are cost and protection settings from the config."""
    text = diff_environments(
        "test",
        normalize(env_plan("test").as_json(), PROJECT_ROOT),
        "prod",
        normalize(env_plan("prod").as_json(), PROJECT_ROOT),
    )
    lines = [line.split() for line in text.splitlines()]
    assert [NAT, "1", "3"] in lines  # natGateways: single vs per-az
    assert ["database", "multiAz", "False", "True"] in lines
    assert ["database", "options.protect", "False", "True"] in lines


def test_cli_diff_envs_from_golden_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff-envs", "test", "prod", "--golden"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("How test and prod differ")
    assert "multiAz" in out
