"""The prod guard rail (issue 7): replacing or deleting a stateful resource is flagged."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from project import PROJECT_ROOT

from landfall.cli.main import main
from landfall.plan.harness import EnvironmentPlan
from landfall.plan.inventory import normalize
from landfall.plan.replacements import (
    GUARDED,
    Replacement,
    render_replacements,
    stateful_replacements,
)

RDS = "aws:rds/instance:Instance"
SEARCH = "aws:opensearch/domain:Domain"
ZONE = "aws:route53/zone:Zone"
EKS = "aws:eks/cluster:Cluster"
EKS_COMPONENT = "eks:index:Cluster"


def urn(type_: str, name: str, parent: str = "") -> str:
    qualified = f"{parent}${type_}" if parent else type_
    return f"urn:pulumi:prod-network::landfall::{qualified}::{name}"


def resource(type_: str, name: str, parent: str = "", /, **inputs: Any) -> dict[str, Any]:
    return {
        "urn": urn(type_, name, parent),
        "type": type_,
        "name": name,
        "parent": None,
        "custom": True,
        "remote": False,
        "inputs": inputs,
        "options": {"protect": True},
    }


def inventory(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"environment": "prod", "stacks": {"network": {"resources": list(resources)}}}


def findings_for(type_: str, old: dict[str, Any], new: dict[str, Any]) -> list[Replacement]:
    return stateful_replacements(
        inventory(resource(type_, "it", **old)), inventory(resource(type_, "it", **new))
    )


def verdicts(found: list[Replacement]) -> list[tuple[bool, str]]:
    return [(f.certain, f.reason.split(":")[0]) for f in found]


DB = {
    "engine": "mysql",
    "storageEncrypted": True,
    "instanceClass": "db.r6g.large",
    "kmsKeyId": "k1",
}


def test_database_replace_triggers() -> None:
    assert verdicts(findings_for(RDS, DB, {**DB, "storageEncrypted": False})) == [
        (True, "storageEncrypted")
    ]
    assert verdicts(findings_for(RDS, DB, {**DB, "kmsKeyId": "k2"})) == [(True, "kmsKeyId")]
    assert verdicts(findings_for(RDS, DB, {**DB, "engine": "postgres"})) == [(True, "engine")]
    assert verdicts(findings_for(RDS, DB, {**DB, "identifier": "landfall-prod"})) == [
        (True, "identifier")
    ]


def test_in_place_database_changes_are_not_flagged() -> None:
    assert findings_for(RDS, DB, {**DB, "instanceClass": "db.r6g.xlarge"}) == []
    assert findings_for(RDS, DB, {**DB, "dbSubnetGroupName": "other"}) == []
    assert findings_for(RDS, DB, {**DB, "engineVersion": "11.5"}) == []


SEARCH_IN = {
    "domainName": "landfall-prod",
    "engineVersion": "OpenSearch_2.19",
    "vpcOptions": {"subnetIds": ["subnet-a", "subnet-b"]},
    "encryptAtRest": {"enabled": True, "kmsKeyId": "k1"},
    "nodeToNodeEncryption": {"enabled": False},
    "clusterConfig": {"instanceCount": 3},
}


def with_(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = changed
    for part in parents:
        node = node[part]
    node[leaf] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("domainName", "landfall-prod-2", [(True, "domainName")]),
        ("vpcOptions.subnetIds", ["subnet-a", "subnet-c"], [(True, "vpcOptions")]),
        ("encryptAtRest.kmsKeyId", "k2", [(True, "encryptAtRest.kmsKeyId")]),
        ("encryptAtRest.enabled", False, [(True, "encryptAtRest.enabled")]),
        ("nodeToNodeEncryption.enabled", True, []),  # turning it on is in place
        ("engineVersion", "OpenSearch_2.17", [(True, "engineVersion")]),  # downgrade
        ("engineVersion", "OpenSearch_3.1", [(False, "engineVersion")]),  # upgrade: may
        ("engineVersion", "Elasticsearch_7.10", [(True, "engineVersion")]),  # other family
        ("clusterConfig.instanceCount", 6, []),
    ],
)
def test_search_domain_replace_triggers(
    path: str, value: Any, expected: list[tuple[bool, str]]
) -> None:
    assert verdicts(findings_for(SEARCH, SEARCH_IN, with_(SEARCH_IN, path, value))) == expected


def test_hosted_zone_name_change_replaces_it() -> None:
    old = {"name": "landfall.example.com", "comment": "a"}
    assert verdicts(findings_for(ZONE, old, {**old, "name": "landfall.example.org"})) == [
        (True, "name")
    ]
    assert findings_for(ZONE, old, {**old, "comment": "b"}) == []


def test_eks_cluster_replace_triggers() -> None:
    old = {
        "name": "landfall-prod",
        "version": "1.33",
        "vpcConfig": {"subnetIds": ["a", "b", "c"]},
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16"},
        "encryptionConfig": {"provider": {"keyArn": "k1"}, "resources": ["secrets"]},
    }
    assert findings_for(EKS, old, {**old, "version": "1.34"}) == []  # an upgrade, R25
    assert findings_for(EKS, old, with_(old, "vpcConfig.subnetIds", ["a", "b", "d"])) == []
    cidr = with_(old, "kubernetesNetworkConfig.serviceIpv4Cidr", "172.21.0.0/16")
    assert verdicts(findings_for(EKS, old, cidr)) == [
        (True, "kubernetesNetworkConfig.serviceIpv4Cidr")
    ]
    no_encryption = {k: v for k, v in old.items() if k != "encryptionConfig"}
    assert verdicts(findings_for(EKS, old, no_encryption)) == [(True, "encryptionConfig")]
    rekeyed = with_(old, "encryptionConfig.provider.keyArn", "k2")
    assert verdicts(findings_for(EKS, old, rekeyed)) == [(False, "encryptionConfig")]


def test_eks_component_inputs_that_replace_the_cluster() -> None:
    old = {"name": "landfall-prod", "vpcId": "vpc-1", "encryptionConfigKeyArn": "k1"}
    assert verdicts(findings_for(EKS_COMPONENT, old, {**old, "vpcId": "vpc-2"})) == [
        (True, "vpcId")
    ]
    assert verdicts(findings_for(EKS_COMPONENT, old, {**old, "encryptionConfigKeyArn": "k2"})) == [
        (False, "encryptionConfigKeyArn")
    ]
    assert findings_for(EKS_COMPONENT, old, {**old, "version": "1.34"}) == []


def test_a_renamed_database_is_a_delete_and_create_unless_aliased() -> None:
    old = inventory(resource(RDS, "database", **DB))
    new = inventory(resource(RDS, "db", **DB))
    (finding,) = stateful_replacements(old, new)
    assert finding.certain and finding.urn == urn(RDS, "database")
    assert "URN changed" in finding.reason and "aliases=" in finding.reason
    assert urn(RDS, "db") in finding.reason


def test_a_re_parented_zone_is_flagged_too() -> None:
    old = inventory(resource(ZONE, "zone", name="x.com"))
    new = inventory(resource(ZONE, "zone", "landfall:network:Dns", name="x.com"))
    assert [f.reason.split(" (")[0] for f in stateful_replacements(old, new)] == ["its URN changed"]


def test_a_removed_search_domain_is_a_deletion() -> None:
    (finding,) = stateful_replacements(inventory(resource(SEARCH, "search")), inventory())
    assert finding.certain and "no longer declared" in finding.reason


def test_unguarded_types_and_new_resources_are_ignored() -> None:
    old = inventory(resource("aws:ec2/vpc:Vpc", "vpc", cidrBlock="10.0.0.0/16"))
    new = inventory(
        resource("aws:ec2/vpc:Vpc", "vpc", cidrBlock="10.1.0.0/16"),
        resource(RDS, "database", **DB),
    )
    assert stateful_replacements(old, new) == []


def test_every_guarded_type_has_triggers() -> None:
    assert set(GUARDED) == {RDS, SEARCH, ZONE, EKS, EKS_COMPONENT}
    assert all(g.triggers for g in GUARDED.values())


def test_the_banner_is_prominent_and_names_prod() -> None:
    found = findings_for(RDS, DB, {**DB, "storageEncrypted": False})
    text = render_replacements("prod", found)
    assert text.startswith("!!!") and "STATEFUL RESOURCES AT RISK in prod" in text
    assert "[WILL] network: the database it" in text
    assert "In prod this loses data" in text


def test_the_real_prod_database_encryption_flip_is_caught(
    env_plan: Callable[[str], EnvironmentPlan],
) -> None:
    current = normalize(env_plan("prod").as_json(), PROJECT_ROOT)
    changed = copy.deepcopy(current)
    databases = [r for r in changed["stacks"]["network"]["resources"] if r["type"] == RDS]
    assert databases, "the prod network declares an RDS instance"
    databases[0]["inputs"]["storageEncrypted"] = False
    found = stateful_replacements(current, changed)
    assert [(f.type, f.certain) for f in found] == [(RDS, True)]


def test_landfall_plan_prints_the_banner_and_fails_on_replace(
    env_plan: Callable[[str], EnvironmentPlan],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The baseline says the database was unencrypted, so planning prod now flips it."""
    baseline = normalize(env_plan("prod").as_json(), PROJECT_ROOT)
    for r in baseline["stacks"]["network"]["resources"]:
        if r["type"] == RDS:
            r["inputs"]["storageEncrypted"] = False
    path = tmp_path / "base-prod.json"
    path.write_text(json.dumps(baseline))
    status = main(["plan", "prod", "--baseline", str(path), "--fail-on-replace"])
    out = capsys.readouterr().out
    assert status == 3
    assert "STATEFUL RESOURCES AT RISK in prod" in out
    assert "storageEncrypted: False → True" in out
