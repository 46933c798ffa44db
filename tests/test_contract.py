"""Cross-layer contract (R21): what the fleet substitutes is what the gitops stack provides.

The keys come from the ConfigMap the gitops stack declares in its own harness run (fed by the
real mock-run outputs of the network and cluster stacks), not from a list, so a key the stack
stops writing breaks this test.
"""

from __future__ import annotations

import pytest
from fleet_support import applied, undeclared_variables
from stack_queries import of_type

from landfall.logic.envmap import CONFIGMAP_NAME, CONFIGMAP_NAMESPACE


def configmap_keys(plan) -> set[str]:
    gitops = plan.stacks["gitops"]
    found = [
        r
        for r in of_type(gitops, "kubernetes:core/v1:ConfigMap")
        if r.inputs["metadata"]["name"] == CONFIGMAP_NAME
        and r.inputs["metadata"]["namespace"] == CONFIGMAP_NAMESPACE
    ]
    assert len(found) == 1, "the gitops stack declares exactly one environment ConfigMap"
    return set(found[0].inputs["data"])


@pytest.mark.parametrize("env", ["local", "test", "prod"])
def test_every_fleet_variable_is_a_key_of_the_stacks_configmap(env, env_plan):
    keys = configmap_keys(env_plan(env))
    missing = []
    for a in applied(env):
        allowed = keys | set(a.kustomization.inline_vars)
        missing += [
            f"{a.kustomization.path}: {v}" for v in undeclared_variables(a.raw_text, allowed)
        ]
    assert not missing, (
        f"used by clusters/{env} but not in its ConfigMap, without default: {missing}"
    )


@pytest.mark.parametrize("env", ["local", "test", "prod"])
def test_the_fleet_uses_the_configmap(env, env_plan):
    """The check above is not vacuous: the fleet really substitutes keys of the ConfigMap."""
    keys = configmap_keys(env_plan(env))
    used = {
        v.split(":")[0].strip("${}")
        for a in applied(env)
        for v in undeclared_variables(a.raw_text, ())
    }
    assert {"DATABASE_AUTH", "RDS_ENDPOINT"} <= used & keys
    if env != "local":
        assert {
            "CLUSTER_NAME",
            "RDS_ENDPOINT",
            "AWS_LOAD_BALANCER_CONTROLLER_ROLE_ARN",
            "PAYMENTS_TARGET_GROUP_ARN",
        } <= used & keys


def test_a_key_dropped_from_the_configmap_is_caught(env_plan):
    keys = configmap_keys(env_plan("test")) - {"EXTERNAL_DNS_ROLE_ARN"}
    missing = [
        v
        for a in applied("test")
        for v in undeclared_variables(a.raw_text, keys | set(a.kustomization.inline_vars))
    ]
    assert "${EXTERNAL_DNS_ROLE_ARN}" in missing
