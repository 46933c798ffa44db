"""``landfall verify``: post-deploy checks of a moto-simulated environment.

``build_world`` deploys, into moto, what the three stacks should leave behind for an environment
(a VPC with one subnet per AZ, the EKS cluster ``landfall-<env>`` with one Bottlerocket node group
per AZ, the RDS instance ``landfall-<env>-mariadb`` and the OpenSearch domain
``landfall-<env>-search``, all carrying the provider's default tags); each test breaks one thing
and asserts the finding. The configs are the committed Pulumi.test.yaml / Pulumi.prod.yaml;
fixtures and helpers are in tests/aws_fakes.py.

moto 5 gaps, and how they are handled here:
- EKS add-ons: moto implements no add-on API (ListAddons/DescribeAddon answer 404 "Not yet
  implemented"). ``EksAddons`` below is a STUB that serves DescribeAddon from a dict and delegates
  every other EKS call to moto; one test runs without it to show the 404 becomes a finding.
- OpenSearch VPCOptions: moto echoes the request (SubnetIds, SecurityGroupIds) and does not derive
  VPCId or AvailabilityZones, so verify accepts subnets as the proof of VPC placement.
- EKS encryptionConfig, logging, resourcesVpcConfig, node group amiType / capacityType and the RDS
  fields are stored and returned by moto as given, so those checks run against moto unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_fakes import PROD_ACCOUNT, TRUST, by_check, clients_for, env, failures, moto_account
from botocore.exceptions import ClientError

from landfall.cli.main import main
from landfall.config import EnvironmentConfig
from landfall.logic.versions import ADDON_VERSIONS
from landfall.ops import checks as checks_module
from landfall.ops.checks import AwsClients, Finding, Lookup, exit_status
from landfall.ops.verify import (
    ADDONS,
    LOG_TYPES,
    node_group_findings,
    run_verify,
    search_findings,
)

# One worker runs the moto tests: moto's backends load once (seconds each) (pytest-xdist).
pytestmark = pytest.mark.xdist_group("moto")

KMS_ARN = "arn:aws:kms:eu-west-2:111111111111:key/11111111-2222-3333-4444-555555555555"


# --- the world -------------------------------------------------------------------------------


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A moto-backed AWS account with fake credentials (see aws_fakes.moto_account)."""
    yield from moto_account(monkeypatch, tmp_path)


def tags_of(cfg: EnvironmentConfig) -> dict[str, str]:
    return cfg.all_tags("network")


def tag_list(tags: dict[str, str]) -> list[Any]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def call(method: Any, defaults: dict[str, Any], overrides: dict[str, Any] | None) -> None:
    """``method(**defaults)`` with ``overrides`` applied; an override of None drops the key."""
    merged = {**defaults, **(overrides or {})}
    method(**{k: v for k, v in merged.items() if v is not None})


def build_world(
    cfg: EnvironmentConfig,
    *,
    cluster: dict[str, Any] | None = None,
    node_groups: list[tuple[str, list[str], dict[str, Any]]] | None = None,
    db: dict[str, Any] | None = None,
    search: dict[str, Any] | None = None,
    without: tuple[str, ...] = (),
) -> dict[str, str]:
    """Create the environment in moto; the keyword dicts override create-call arguments.

    ``node_groups`` lists (name, AZs, overrides); by default one group per configured AZ.
    An override of None drops that argument. ``without`` may name "cluster", "db" or "search".
    Returns the subnet ID of each AZ.
    """
    assert cfg.cluster is not None and cfg.database is not None
    region = cfg.region or ""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        az: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=az)[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate(cfg.availability_zones())
    }
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="cluster", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    node_role = iam.create_role(RoleName="nodes", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    if "cluster" not in without:
        eks = boto3.client("eks", region_name=region)
        public = bool(cfg.cluster.endpoint_public_access_cidrs)
        vpc_config: dict[str, Any] = {
            "subnetIds": list(subnets.values()),
            "endpointPrivateAccess": True,
            "endpointPublicAccess": public,
        }
        if public:
            vpc_config["publicAccessCidrs"] = list(cfg.cluster.endpoint_public_access_cidrs)
        call(
            eks.create_cluster,
            {
                "name": cfg.name_prefix,
                "version": cfg.cluster.kubernetes_version,
                "roleArn": role,
                "resourcesVpcConfig": vpc_config,
                "logging": {"clusterLogging": [{"types": list(LOG_TYPES), "enabled": True}]},
                "encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KMS_ARN}}],
                "tags": tags_of(cfg),
            },
            cluster,
        )
        groups = node_groups
        if groups is None:
            groups = [(f"{cfg.name_prefix}-{az}", [az], {}) for az in cfg.availability_zones()]
        for name, azs, overrides in groups:
            call(
                eks.create_nodegroup,
                {
                    "clusterName": cfg.name_prefix,
                    "nodegroupName": name,
                    "subnets": [subnets[az] for az in azs],
                    "nodeRole": node_role,
                    "amiType": "BOTTLEROCKET_x86_64",
                    "capacityType": cfg.cluster.nodes.capacity_type,
                    "instanceTypes": list(cfg.cluster.nodes.instance_types),
                },
                overrides,
            )

    if "db" not in without:
        call(
            boto3.client("rds", region_name=region).create_db_instance,
            {
                "DBInstanceIdentifier": f"{cfg.name_prefix}-mariadb",
                "Engine": "mariadb",
                "EngineVersion": "11.4.4",
                "DBInstanceClass": cfg.database.instance_class,
                "AllocatedStorage": cfg.database.allocated_storage_gb,
                "MasterUsername": "landfall_admin",
                "ManageMasterUserPassword": True,
                "StorageEncrypted": True,
                "KmsKeyId": KMS_ARN,
                "PubliclyAccessible": False,
                "MultiAZ": cfg.database.multi_az,
                "DeletionProtection": cfg.is_production,
                "Tags": tag_list(tags_of(cfg)),
            },
            db,
        )

    if "search" not in without:
        call(
            boto3.client("opensearch", region_name=region).create_domain,
            {
                "DomainName": f"{cfg.name_prefix}-search",
                "EngineVersion": "OpenSearch_2.19",
                "VPCOptions": {"SubnetIds": [next(iter(subnets.values()))]},
                "EncryptionAtRestOptions": {"Enabled": True, "KmsKeyId": KMS_ARN},
                "NodeToNodeEncryptionOptions": {"Enabled": True},
                "TagList": tag_list(tags_of(cfg)),
            },
            search,
        )
    return subnets


def good_addons(cfg: EnvironmentConfig) -> dict[str, dict[str, Any]]:
    assert cfg.cluster is not None
    pinned = ADDON_VERSIONS[cfg.cluster.kubernetes_version]
    addons = {
        name: {"status": "ACTIVE", "addonVersion": getattr(pinned, field)}
        for name, field in ADDONS.items()
    }
    addons["vpc-cni"]["configurationValues"] = json.dumps({"enableNetworkPolicy": "true"})
    return addons


class EksAddons:
    """STUB for moto's missing EKS add-on API: DescribeAddon is served from ``addons``
    (name -> addon fields); every other EKS call goes to moto's client."""

    def __init__(self, real: Any, addons: dict[str, dict[str, Any]]) -> None:
        self._real, self._addons = real, addons

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def describe_addon(self, clusterName: str, addonName: str) -> dict[str, Any]:
        if addonName not in self._addons:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "No addon"}},
                "DescribeAddon",
            )
        return {
            "addon": {"clusterName": clusterName, "addonName": addonName, **self._addons[addonName]}
        }


def clients_with_addons(
    cfg: EnvironmentConfig, addons: dict[str, dict[str, Any]] | None = None
) -> AwsClients:
    clients = clients_for(cfg)
    clients.override(
        "eks", EksAddons(clients("eks"), good_addons(cfg) if addons is None else addons)
    )
    return clients


def verify(
    cfg: EnvironmentConfig,
    addons: dict[str, dict[str, Any]] | None = None,
    lookup: Lookup | None = None,
) -> list[Finding]:
    return run_verify(cfg, clients_with_addons(cfg, addons), lookup)


# --- good worlds ------------------------------------------------------------------------------


def test_good_test_world_passes(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg)
    findings = verify(cfg)
    assert failures(findings) == {}
    assert [f for f in findings if f.status in ("WARN", "SKIP")] == []
    checks = by_check(findings)
    azs = cfg.availability_zones()
    expected = {
        "credentials",
        "account",
        "eks cluster",
        "eks version",
        "eks secrets encryption",
        "eks control-plane logs",
        "eks api endpoint",
        *(f"node group landfall-test-{az}" for az in azs),
        *(f"node groups in {az}" for az in azs),
        *(f"addon {name}" for name in ADDONS),
        "database status",
        "database encryption",
        "database public access",
        "database multi-az",
        "search domain",
        "search vpc",
        "search encryption at rest",
        "search node-to-node encryption",
    }
    assert set(checks) == expected
    assert checks["eks secrets encryption"].detail == f"KMS key {KMS_ARN}"
    assert "public from 203.0.113.0/24" in checks["eks api endpoint"].detail
    assert "SPOT, BOTTLEROCKET_x86_64" in checks[f"node group landfall-test-{azs[0]}"].detail
    assert checks["database status"].detail.startswith("landfall-test-mariadb available")
    assert exit_status(findings) == 0


def test_good_prod_world_passes(fake_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", PROD_ACCOUNT)
    cfg = env("prod")
    build_world(cfg)
    findings = verify(cfg)
    assert failures(findings) == {}
    checks = by_check(findings)
    assert checks["eks api endpoint"].detail == "private only"
    assert "ON_DEMAND" in checks[f"node group landfall-prod-{cfg.availability_zones()[0]}"].detail
    assert "MultiAZ=True" in checks["database multi-az"].detail


def test_wrong_account_checks_nothing_else(fake_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = env("test")
    build_world(cfg)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    findings = verify(cfg)
    assert [(f.check, f.status) for f in findings] == [("credentials", "OK"), ("account", "FAIL")]


# --- EKS cluster -----------------------------------------------------------------------------


def test_missing_cluster_fails_and_skips_its_parts(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, without=("cluster",))
    findings = verify(cfg)
    checks = by_check(findings)
    assert checks["eks cluster"].status == "FAIL"
    assert "no EKS cluster named landfall-test" in checks["eks cluster"].detail
    assert "--cluster-name" in checks["eks cluster"].fix
    assert checks["node groups, add-ons"].status == "SKIP"
    assert checks["database encryption"].status == "OK"  # the rest still ran


def test_cluster_without_secrets_encryption_fails(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, cluster={"encryptionConfig": []})
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "eks secrets encryption" and "R14" in failure.detail


def test_cluster_with_some_logs_off_names_them(fake_aws: None) -> None:
    cfg = env("test")
    logging = {
        "clusterLogging": [
            {"types": ["api", "audit"], "enabled": True},
            {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": False},
        ]
    }
    build_world(cfg, cluster={"logging": logging})
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "eks control-plane logs"
    assert "authenticator, controllerManager, scheduler" in failure.detail


def test_cluster_open_to_the_internet_fails(fake_aws: None) -> None:
    cfg = env("test")
    vpc_config = {
        "endpointPrivateAccess": False,
        "endpointPublicAccess": True,
        "publicAccessCidrs": ["0.0.0.0/0"],
        "subnetIds": [],
    }
    build_world(cfg, cluster={"resourcesVpcConfig": vpc_config})
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "eks api endpoint"
    assert "private access is off" in failure.detail
    assert "public access allows 0.0.0.0/0" in failure.detail


def test_cluster_on_another_version_fails(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, cluster={"version": "1.32"})
    version = failures(verify(cfg))["eks version"]
    assert "runs 1.32" in version.detail


# --- node groups -----------------------------------------------------------------------------


def test_a_missing_node_group_fails_its_az(fake_aws: None) -> None:
    cfg = env("test")
    a, b, c = cfg.availability_zones()
    build_world(cfg, node_groups=[("ng-a", [a], {}), ("ng-b", [b], {})])
    failed = failures(verify(cfg))
    assert list(failed) == [f"node groups in {c}"]
    assert f"no node group runs in {c}" in failed[f"node groups in {c}"].detail


def test_two_node_groups_in_one_az_fail(fake_aws: None) -> None:
    cfg = env("test")
    a, b, c = cfg.availability_zones()
    build_world(
        cfg,
        node_groups=[("ng-a", [a], {}), ("ng-a2", [a], {}), ("ng-b", [b], {}), ("ng-c", [c], {})],
    )
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == f"node groups in {a}"
    assert "2 node groups (ng-a, ng-a2)" in failure.detail


def test_a_node_group_spanning_azs_fails(fake_aws: None) -> None:
    cfg = env("test")
    a, b, c = cfg.availability_zones()
    build_world(cfg, node_groups=[("ng-ab", [a, b], {}), ("ng-c", [c], {})])
    failed = failures(verify(cfg))
    assert f"spans 2 AZs ({a}, {b})" in failed["node group ng-ab"].detail
    assert set(failed) == {"node group ng-ab", f"node groups in {a}", f"node groups in {b}"}


def test_wrong_capacity_type_and_ami_fail(fake_aws: None) -> None:
    cfg = env("test")  # SPOT
    a, b, c = cfg.availability_zones()
    build_world(
        cfg,
        node_groups=[
            ("ng-a", [a], {"capacityType": "ON_DEMAND"}),
            ("ng-b", [b], {"amiType": "AL2023_x86_64_STANDARD"}),
            ("ng-c", [c], {}),
        ],
    )
    failed = failures(verify(cfg))
    assert set(failed) == {"node group ng-a", "node group ng-b"}
    assert "capacity ON_DEMAND, config says SPOT" in failed["node group ng-a"].detail
    assert "not Bottlerocket" in failed["node group ng-b"].detail


def test_node_group_evaluation_on_plain_dicts() -> None:
    """The pure rules: a degraded group with its health issue, a subnet outside the VPC."""
    cfg = env("prod")
    a, b, c = cfg.availability_zones()
    base = {"status": "ACTIVE", "capacityType": "ON_DEMAND", "amiType": "BOTTLEROCKET_ARM_64"}
    groups: list[dict[str, Any]] = [
        {
            **base,
            "nodegroupName": "ng-a",
            "subnets": ["s-a"],
            "status": "DEGRADED",
            "health": {"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]},
        },
        {**base, "nodegroupName": "ng-b", "subnets": ["s-b"]},
        {**base, "nodegroupName": "ng-x", "subnets": ["s-gone"]},
    ]
    findings = by_check(node_group_findings(groups, {"s-a": a, "s-b": b}, cfg))
    assert findings["node group ng-a"].detail == "status DEGRADED (no capacity)"
    assert "unknown subnet s-gone" in findings["node group ng-x"].detail
    assert findings[f"node groups in {a}"].status == "OK"  # degraded, but it is there
    assert findings[f"node groups in {c}"].status == "FAIL"


# --- add-ons ---------------------------------------------------------------------------------


def test_addon_problems(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg)
    addons = good_addons(cfg)
    del addons["coredns"]
    addons["aws-ebs-csi-driver"].update(
        status="DEGRADED", health={"issues": [{"code": "AccessDenied", "message": "no role"}]}
    )
    addons["kube-proxy"]["addonVersion"] = "v1.0.0-eksbuild.1"
    addons["vpc-cni"]["configurationValues"] = "{}"
    checks = by_check(verify(cfg, addons))
    assert (checks["addon coredns"].status, checks["addon coredns"].detail) == (
        "FAIL",
        "not installed (R11)",
    )
    assert checks["addon aws-ebs-csi-driver"].detail == "status DEGRADED (AccessDenied: no role)"
    assert checks["addon kube-proxy"].status == "WARN"
    assert "landfall.logic.versions pins" in checks["addon kube-proxy"].detail
    assert checks["addon vpc-cni"].status == "FAIL"
    assert "network policy enforcement is off" in checks["addon vpc-cni"].detail


def test_moto_without_the_addon_api_gives_a_finding_not_a_traceback(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg)
    findings = run_verify(cfg, clients_for(cfg))  # no stub: moto answers 404
    (failure,) = failures(findings).values()
    assert failure.check == "addons"
    assert "DescribeAddon failed (404" in failure.detail


# --- RDS -------------------------------------------------------------------------------------


def test_public_database_fails(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, db={"PubliclyAccessible": True})
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "database public access"
    assert "landfall-test-mariadb is publicly accessible" in failure.detail


def test_unencrypted_database_fails(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, db={"StorageEncrypted": False, "KmsKeyId": None})
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "database encryption" and "snapshot" in failure.fix


def test_prod_database_single_az_and_unprotected_fails(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", PROD_ACCOUNT)
    cfg = env("prod")
    build_world(cfg, db={"MultiAZ": False, "DeletionProtection": False})
    failed = failures(verify(cfg))
    assert set(failed) == {"database multi-az", "database deletion protection"}
    assert "single-AZ" in failed["database multi-az"].detail


def test_test_database_multi_az_against_config_is_a_warning(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, db={"MultiAZ": True})
    findings = verify(cfg)
    assert by_check(findings)["database multi-az"].status == "WARN"
    assert exit_status(findings) == 0


def test_no_database_found_describes_the_lookup(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, without=("db",))
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "database"
    assert "tagged Project=landfall, Environment=test or named landfall-test[-*]" in failure.detail
    assert "--name-prefix / --tag" in failure.fix


def test_lookup_falls_back_to_the_name_prefix_and_tags_win(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, db={"Tags": []}, search={"TagList": []})  # untagged: found by name
    checks = by_check(verify(cfg))
    assert checks["database status"].detail.startswith("landfall-test-mariadb")
    assert checks["search domain"].detail.startswith("landfall-test-search")
    # A tagged instance with another name wins over the untagged, prefixed one.
    boto3.client("rds", region_name="eu-west-2").create_db_instance(
        DBInstanceIdentifier="renamed-db",
        Engine="mariadb",
        EngineVersion="11.4.4",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="x",
        ManageMasterUserPassword=True,
        StorageEncrypted=True,
        Tags=tag_list(tags_of(cfg)),
    )
    statuses = [f.detail for f in verify(cfg) if f.check == "database status"]
    assert len(statuses) == 1 and statuses[0].startswith("renamed-db")


def test_custom_lookup_tags(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, db={"Tags": tag_list({"App": "ledger"})})
    lookup = Lookup.for_environment(cfg, name_prefix="nothing", tags={"App": "ledger"})
    checks = by_check(verify(cfg, lookup=lookup))
    assert checks["database status"].status == "OK"
    assert checks["search domain"].status == "FAIL"  # not tagged App=ledger, name differs


# --- OpenSearch ------------------------------------------------------------------------------


def test_unencrypted_search_fails(fake_aws: None) -> None:
    cfg = env("test")
    build_world(
        cfg,
        search={
            "EncryptionAtRestOptions": {"Enabled": False},
            "NodeToNodeEncryptionOptions": {"Enabled": False},
        },
    )
    failed = failures(verify(cfg))
    assert set(failed) == {"search encryption at rest", "search node-to-node encryption"}


def test_public_search_domain_fails(fake_aws: None) -> None:
    cfg = env("test")
    build_world(cfg, search={"VPCOptions": None})  # moto, like AWS: a public endpoint
    (failure,) = failures(verify(cfg)).values()
    assert failure.check == "search vpc"
    assert "public endpoint (landfall-test-search.eu-west-2.es.amazonaws.com)" in failure.detail


def test_search_evaluation_on_plain_dicts() -> None:
    cfg = env("test")
    domain = {
        "DomainName": "d",
        "Processing": True,
        "VPCOptions": {"VPCId": "vpc-1", "SubnetIds": ["s-1"]},
        "EncryptionAtRestOptions": {"Enabled": True},
        "NodeToNodeEncryptionOptions": {"Enabled": True},
    }
    checks = by_check(search_findings(domain, cfg))
    assert checks["search domain"].status == "WARN"
    assert checks["search vpc"].detail == "d in vpc-1"


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli_addons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI's clients carry the add-on STUB."""

    def clients(region: str, profile: str | None = None) -> AwsClients:
        return clients_with_addons(env("test"))

    monkeypatch.setattr(checks_module, "AwsClients", clients)


def test_cli_good_and_broken(
    fake_aws: None, cli_addons: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = env("test")
    build_world(cfg, db={"PubliclyAccessible": True})
    assert main(["verify", "test"]) == 1
    out = capsys.readouterr().out
    assert "cluster landfall-test" in out.splitlines()[0]
    assert "database public access" in out and "Result: 1 FAIL" in out
    assert main(["verify", "test", "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [r["check"] for r in rows if not r["ok"]] == ["database public access"]


def test_cli_lookup_options(
    fake_aws: None, cli_addons: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = env("test")
    build_world(cfg)
    code = main(
        [
            "verify",
            "test",
            "--cluster-name",
            "other",
            "--tag",
            "Project=landfall",
            "--tag",
            "Environment=test",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "no EKS cluster named other" in out
    with pytest.raises(SystemExit) as bad:
        main(["verify", "test", "--tag", "oops"])
    assert bad.value.code == 2
    assert "'oops' is not KEY=VALUE" in capsys.readouterr().err
