"""The fresh-account check: each test breaks one real prerequisite of a first deployment (the
defects of issue 11) in the committed plan and expects the check to name it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from landfall.logic.prerequisites import SERVICE_LINKED_ROLES
from landfall.plan.prerequisites import (
    FRESH_ACCOUNT,
    SERVICE_LINKED_ROLE,
    AccountModel,
    check_prerequisites,
)

CLOUD = ("test", "prod")


@pytest.fixture(params=CLOUD)
def inventory(request, env_plan) -> dict[str, Any]:
    return copy.deepcopy(env_plan(request.param).as_json())


def resources(inventory: dict[str, Any], layer: str) -> list[dict[str, Any]]:
    return inventory["stacks"][layer]["resources"]


def without_role(inventory: dict[str, Any], service: str) -> dict[str, Any]:
    stack = inventory["stacks"]["bootstrap"]
    stack["resources"] = [
        r
        for r in stack["resources"]
        if not (r["type"] == SERVICE_LINKED_ROLE and r["inputs"]["awsServiceName"] == service)
    ]
    return inventory


def unmet(inventory: dict[str, Any], **kwargs: Any) -> list[str]:
    return [u.render() for u in check_prerequisites(inventory, **kwargs).unmet]


def test_the_committed_plans_meet_every_prerequisite_of_a_fresh_account(inventory):
    check = check_prerequisites(inventory, FRESH_ACCOUNT, delegation_waited_for=True)
    assert check.passed, check.summary()
    wanted = {n.what for n in check.needs}
    assert "service-linked role opensearchservice.amazonaws.com" in wanted
    assert "service-linked role autoscaling.amazonaws.com" in wanted  # the KMS key policy's
    assert "GitHub Actions OIDC provider" in wanted


def test_spot_needs_its_role_only_where_nodes_are_spot(env_plan):
    needs = {
        env: {n.what for n in check_prerequisites(env_plan(env).as_json()).needs} for env in CLOUD
    }
    assert "service-linked role spot.amazonaws.com" in needs["test"]
    assert "service-linked role spot.amazonaws.com" not in needs["prod"]


@pytest.mark.parametrize(
    ("service", "needed_by"),
    [
        ("opensearchservice.amazonaws.com", "network/search"),
        ("autoscaling.amazonaws.com", "network/kms-cluster"),  # named in the key policy
        ("eks-nodegroup.amazonaws.com", "cluster/nodes-"),
        ("rds.amazonaws.com", "network/database"),
    ],
)
def test_an_undeclared_service_linked_role_is_named_with_what_needs_it(
    inventory, service, needed_by
):
    found = unmet(without_role(inventory, service), delegation_waited_for=True)
    assert found and all(service in line for line in found)
    assert any(line.startswith(needed_by) for line in found), found


def test_a_role_the_account_already_has_needs_no_declaration(inventory):
    service = "opensearchservice.amazonaws.com"
    account = AccountModel(service_linked_roles=frozenset({service}))
    assert (
        unmet(without_role(inventory, service), account=account, delegation_waited_for=True) == []
    )


def test_a_layer_that_does_not_read_the_bootstrap_stack_is_not_ordered_after_it(inventory):
    network = inventory["stacks"]["network"]
    network["resources"] = [
        r for r in network["resources"] if r["type"] != "pulumi:pulumi:StackReference"
    ]
    found = unmet(inventory, delegation_waited_for=True)
    assert found and all(line.startswith("network/") for line in found)
    assert all("does not read the bootstrap stack" in line for line in found)


def test_the_github_provider_declared_by_another_stack_is_refused(inventory):
    provider = next(
        r
        for r in resources(inventory, "bootstrap")
        if r["type"] == "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
    )
    resources(inventory, "cluster").append({**provider, "name": "ci-notifier-github"})
    [line] = unmet(inventory, delegation_waited_for=True)
    assert line.startswith("cluster/ci-notifier-github")
    assert "one per account" in line


def test_a_certificate_needs_its_zone_delegated_or_waited_for(inventory):
    found = unmet(inventory, delegation_waited_for=False)
    assert len(found) == 1 and "DNS delegation" in found[0]
    resources(inventory, "network").append(
        {"type": "aws:route53/record:Record", "name": "dns-delegation", "inputs": {"type": "NS"}}
    )
    assert unmet(inventory, delegation_waited_for=False) == []


def test_every_role_in_the_table_is_one_some_resource_needs(env_plan):
    """No prerequisite is declared for nothing: each service-linked role of the table is needed
    by some planned resource of test or prod."""
    needed = {
        n.what.removeprefix("service-linked role ")
        for env in CLOUD
        for n in check_prerequisites(env_plan(env).as_json()).needs
    }
    assert {r.service for r in SERVICE_LINKED_ROLES} <= needed
