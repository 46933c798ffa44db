"""The offline harness itself: upstream wiring, recorded options, realistic invokes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pulumi.runtime import MockCallArgs
from stack_queries import of_type

from landfall.config import config_file, read_config_file
from landfall.plan.harness import run_layer
from landfall.plan.harness.mocks import MockContext, PlatformMocks, render_policy_document


def test_a_missing_upstream_output_fails_the_downstream_run(env_plan, tmp_path):
    raw = read_config_file(config_file("test"))
    bootstrap = dict(env_plan("test").stacks["bootstrap"].outputs)
    network = dict(env_plan("test").stacks["network"].outputs)
    run_layer("test", "cluster", raw, {"bootstrap": bootstrap, "network": network})  # fine
    del network["privateSubnetIds"]
    # In a separate interpreter: an aborted Pulumi run leaves the SDK's event loop with pending
    # outputs that would otherwise warn during unrelated later tests.
    upstream = tmp_path / "upstream.json"
    upstream.write_text(json.dumps({"bootstrap": bootstrap, "network": network}))
    code = (
        "import json, sys; from landfall.config import config_file, read_config_file;"
        "from landfall.plan.harness import run_layer;"
        "raw = read_config_file(config_file('test'));"
        f"run_layer('test', 'cluster', raw, json.load(open({str(upstream)!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "privateSubnetIds" in result.stderr


def test_stack_references_name_the_upstream_stack_of_the_same_environment(env_plan):
    cluster = env_plan("prod").stacks["cluster"]
    refs = of_type(cluster, "pulumi:pulumi:StackReference")
    # Registrations are asynchronous: the order of the two reads is not fixed.
    assert sorted(r.inputs["name"] for r in refs) == [
        "organization/landfall/prod-bootstrap",
        "organization/landfall/prod-network",
    ]


@pytest.mark.parametrize(
    ("region", "zone_id"), [("eu-west-2", "euw2-az1"), ("ap-southeast-2", "apse2-az1")]
)
def test_availability_zones_belong_to_the_configured_region(region, zone_id):
    mocks = PlatformMocks(MockContext(region=region))
    result, _ = mocks.call(
        MockCallArgs("aws:index/getAvailabilityZones:getAvailabilityZones", {}, "")
    )
    assert result["names"] == [f"{region}a", f"{region}b", f"{region}c"]
    assert result["zoneIds"][0] == zone_id


def test_caller_identity_is_the_configured_account():
    mocks = PlatformMocks(MockContext(account_id="222222222222"))
    result, _ = mocks.call(MockCallArgs("aws:index/getCallerIdentity:getCallerIdentity", {}, ""))
    assert result["accountId"] == "222222222222"


def test_policy_documents_render_like_the_provider():
    rendered = render_policy_document(
        {
            "statements": [
                {
                    "sid": "One",
                    "effect": "Allow",
                    "actions": ["s3:GetObject"],
                    "resources": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"],
                    "principals": [{"type": "Service", "identifiers": ["es.amazonaws.com"]}],
                    "conditions": [
                        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["1"]}
                    ],
                }
            ]
        }
    )
    document = json.loads(rendered["json"])
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "One",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
                "Principal": {"Service": "es.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceAccount": "1"}},
            }
        ],
    }


def test_an_unmocked_invoke_names_itself():
    with pytest.raises(NotImplementedError, match="aws:foo/getBar:getBar"):
        PlatformMocks(MockContext()).call(MockCallArgs("aws:foo/getBar:getBar", {}, ""))


def test_inventory_shape_is_the_documented_one(env_plan):
    inventory = env_plan("test").as_json()
    assert set(inventory) == {"environment", "note", "stacks"}
    assert "placeholders" in inventory["note"]
    assert list(inventory["stacks"]) == ["bootstrap", "network", "cluster", "gitops"]
    resource = inventory["stacks"]["network"]["resources"][0]
    assert {"type", "name", "parent", "inputs", "options"} <= set(resource)
    assert {"protect", "retainOnDelete", "dependsOn", "provider"} <= set(resource["options"])
