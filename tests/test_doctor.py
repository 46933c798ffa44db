"""``landfall doctor``: preflight checks against a moto-simulated AWS account.

Each test builds a world with moto's ``mock_aws`` (fake credentials, no network), starting from
a good one — the SSO roles of every ``ssoMappings`` entry, the EC2 Spot service-linked role — and
breaking one thing. The environment configs are the committed Pulumi.test.yaml / Pulumi.prod.yaml,
so the tests follow their settings. Fixtures and helpers: tests/aws_fakes.py.

moto 5 gaps, and how they are handled here:
- EKS DescribeClusterVersions is not implemented (moto answers 404 "Not yet implemented"); doctor
  then falls back to landfall.logic.versions, which the good world exercises. EKS's own verdict
  (extended support, unsupported) is tested with a small stub client, labelled STUB below.
- moto names the service-linked role for spot.amazonaws.com ``AWSServiceRoleForspot`` (AWS:
  ``AWSServiceRoleForEC2Spot``), so the world creates the role with its real name and path.
- Regions with fewer than three AZs: moto models us-west-1 with two, like AWS.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from aws_fakes import (
    PROD_ACCOUNT,
    TEST_ACCOUNT,
    TRUST,
    Connections,
    by_check,
    clients_for,
    env,
    failures,
    isolate_from_real_aws,
    moto_account,
)
from botocore.exceptions import BotoCoreError, ClientError
from project import bootstrapped_copy

from landfall.cli.main import main
from landfall.config import EnvironmentConfig
from landfall.logic.prerequisites import (
    GITHUB_OIDC_URL,
    SERVICE_LINKED_ROLES,
    secrets_provider_url,
    state_bucket_name,
)
from landfall.ops.bootstrap import ensure_secrets_key, ensure_state_bucket
from landfall.ops.checks import AwsClients, Finding, exit_status, render_table
from landfall.ops.delegation import zone_name_servers_from
from landfall.ops.doctor import run_doctor

SPOT_ROLE = "AWSServiceRoleForEC2Spot"

# One worker runs the moto tests: moto's backends load once (seconds each) (pytest-xdist).
pytestmark = pytest.mark.xdist_group("moto")

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = iter(f"{n:016x}" for n in range(0xA000000000000000, 0xAFFFFFFFFFFFFFFF))


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A moto-backed AWS account with fake credentials (see aws_fakes.moto_account)."""
    yield from moto_account(monkeypatch, tmp_path)


def with_cluster(cfg: EnvironmentConfig, **changes: Any) -> EnvironmentConfig:
    """A copy of ``cfg`` with cluster settings changed, bypassing validation on purpose."""
    assert cfg.cluster is not None
    return cfg.model_copy(update={"cluster": cfg.cluster.model_copy(update=changes)})


def with_network(cfg: EnvironmentConfig, **changes: Any) -> EnvironmentConfig:
    assert cfg.network is not None
    return cfg.model_copy(update={"network": cfg.network.model_copy(update=changes)})


def add_sso_role(permission_set: str, region_segment: str = "") -> None:
    path = "/aws-reserved/sso.amazonaws.com/" + (f"{region_segment}/" if region_segment else "")
    boto3.client("iam").create_role(
        RoleName=f"AWSReservedSSO_{permission_set}_{next(SUFFIXES)}",
        Path=path,
        AssumeRolePolicyDocument=TRUST,
    )


def good_world(cfg: EnvironmentConfig) -> None:
    """Everything doctor wants before a first deploy (the hosted zone does not exist yet)."""
    assert cfg.cluster is not None
    for i, mapping in enumerate(cfg.cluster.sso_mappings):
        add_sso_role(mapping.permission_set, "eu-west-2" if i % 2 else "")
    # What `landfall bootstrap` makes.
    iam = boto3.client("iam")
    for role in SERVICE_LINKED_ROLES:
        iam.create_role(RoleName=role.role_name, Path=role.path, AssumeRolePolicyDocument=TRUST)
    iam.create_open_id_connect_provider(Url=GITHUB_OIDC_URL, ClientIDList=["sts.amazonaws.com"])
    for role in ("ci-preview", "ci-deploy"):
        iam.create_role(RoleName=f"{cfg.name_prefix}-{role}", AssumeRolePolicyDocument=TRUST)
    clients = clients_for(cfg)
    ensure_state_bucket(clients("s3"), state_bucket_name(str(cfg.account_id)), str(cfg.region))
    ensure_secrets_key(clients("kms"), cfg)
    # Made by hand (docs/operations.md): the alarm-to-chat function's webhook.
    if cfg.alarms.chat_webhook_secret_id:
        clients("secretsmanager").create_secret(
            Name=cfg.alarms.chat_webhook_secret_id, SecretString="https://hooks.example.com/x"
        )


def bootstrapped_settings(cfg: EnvironmentConfig) -> dict[str, Any]:
    """The settings file's secrets lines as `landfall bootstrap` writes them (no encryptedkey
    when the account has no key)."""
    region = str(cfg.region)
    settings: dict[str, Any] = {"secretsprovider": secrets_provider_url(cfg.environment, region)}
    kms = boto3.client("kms", region_name=region)
    try:
        blob = kms.encrypt(KeyId=f"alias/landfall-{cfg.environment}-pulumi", Plaintext=b"k" * 32)
    except (ClientError, BotoCoreError):  # no key, or no AWS at all
        return settings
    settings["encryptedkey"] = base64.b64encode(blob["CiphertextBlob"]).decode()
    return settings


def doctor(
    cfg: EnvironmentConfig,
    clients: AwsClients | None = None,
    settings: dict[str, Any] | None = None,
) -> list[Finding]:
    return run_doctor(
        cfg,
        clients or clients_for(cfg),
        None,
        settings or bootstrapped_settings(cfg),
        delegated_as_route53_says,
        lambda endpoint: True,  # no network in tests; the reach itself is tested on its own
    )


def delegated_as_route53_says(domain: str) -> set[str]:
    """STUB for public DNS (no network in tests): the parent delegates to the zone's servers."""
    return set(zone_name_servers_from(boto3.client("route53"))(domain) or [])


def only_failures(findings: list[Finding]) -> list[Finding]:
    return list(failures(findings).values())


# --- the good world ------------------------------------------------------------------------


def test_good_test_world_passes(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    findings = doctor(cfg)
    assert only_failures(findings) == []
    assert [f for f in findings if f.status == "WARN"] == []
    checks = by_check(findings)
    assert checks["account"].detail.startswith(TEST_ACCOUNT)
    assert checks["region"].status == "OK"
    assert checks["availability zones"].detail.startswith("eu-west-2a, eu-west-2b, eu-west-2c")
    assert "will create it" in checks["hosted zone"].detail
    assert checks["service-linked roles"].detail == "all 7 exist"  # test runs SPOT nodes
    assert "not asked" in checks["kubernetes version"].detail  # moto lacks the API: fallback
    assert "will be created" in checks["kubernetes upgrade"].detail
    assert cfg.cluster is not None
    for mapping in cfg.cluster.sso_mappings:
        sso = checks[f"sso role {mapping.permission_set}"]
        assert sso.status == "OK"
        assert sso.detail.startswith(
            "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
        )
        assert f"-> group {mapping.kubernetes_group} ({mapping.access})" in sso.detail
    assert exit_status(findings) == 0


def test_good_prod_world_passes_and_skips_the_spot_role(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", PROD_ACCOUNT)
    cfg = env("prod")
    good_world(cfg)
    boto3.client("iam").delete_role(RoleName=SPOT_ROLE)  # prod is ON_DEMAND: not needed
    findings = doctor(cfg)
    assert only_failures(findings) == []
    assert by_check(findings)["service-linked roles"].detail == "all 6 exist"


# --- identity ---------------------------------------------------------------------------------


def test_credentials_for_another_account_stop_everything(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    cfg = env("test")
    good_world(cfg)
    findings = doctor(cfg)
    assert [f.check for f in findings] == ["credentials", "account"]
    account = findings[1]
    assert account.status == "FAIL"
    assert "999999999999" in account.detail and "111111111111" in account.detail
    assert "profile for account 111111111111" in account.fix
    assert exit_status(findings) == 1


def test_no_credentials_is_one_finding_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_from_real_aws(monkeypatch, tmp_path)  # and no moto: nothing can answer
    findings = doctor(env("test"))
    assert len(findings) == 1
    (finding,) = findings
    assert (finding.check, finding.status) == ("credentials", "FAIL")
    assert "no AWS credentials" in finding.detail
    assert "aws sso login" in finding.fix


def test_an_unknown_profile_is_one_finding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_from_real_aws(monkeypatch, tmp_path)
    cfg = env("test")
    (finding,) = run_doctor(cfg, AwsClients(cfg.region or "", profile="landfall-nope"))
    assert finding.status == "FAIL"
    assert "landfall-nope" in finding.detail
    assert "aws configure list-profiles" in finding.fix


class ExpiredSts:
    """STUB: an STS client whose session token has expired."""

    def get_caller_identity(self) -> dict[str, str]:
        raise ClientError(
            {"Error": {"Code": "ExpiredToken", "Message": "The security token has expired"}},
            "GetCallerIdentity",
        )


def test_expired_credentials_are_one_finding(fake_aws: None) -> None:
    cfg = env("test")
    (finding,) = run_doctor(cfg, clients_for(cfg, sts=ExpiredSts()))
    assert finding.status == "FAIL"
    assert "rejected (ExpiredToken" in finding.detail
    assert "aws sso login" in finding.fix


# --- region and zones -------------------------------------------------------------------------


def test_a_different_default_region_is_a_warning(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    cfg = env("test")
    good_world(cfg)
    findings = doctor(cfg)
    region = by_check(findings)["region"]
    assert region.status == "WARN"
    assert "us-east-1" in region.detail and region.fix == "export AWS_REGION=eu-west-2"
    assert [f for f in findings if not f.ok] == []  # warnings do not fail the run


def test_a_region_with_two_azs_fails(fake_aws: None) -> None:
    cfg = env("test").model_copy(update={"region": "us-west-1"})  # moto, like AWS: 2 AZs
    good_world(cfg)
    azs = by_check(doctor(cfg))["availability zones"]
    assert azs.status == "FAIL"
    assert "has 2 available AZs" in azs.detail and "needs 3" in azs.detail
    assert "at least three AZs" in azs.fix


def test_a_configured_az_that_does_not_exist_fails(fake_aws: None) -> None:
    cfg = with_network(
        env("test"), availability_zone_names=["eu-west-2a", "eu-west-2b", "eu-west-2d"]
    )
    good_world(cfg)
    azs = by_check(doctor(cfg))["availability zones"]
    assert azs.status == "FAIL"
    assert "eu-west-2d" in azs.detail
    assert "eu-west-2a, eu-west-2b, eu-west-2c" in azs.fix


def test_an_instance_type_not_offered_fails(fake_aws: None) -> None:
    base = env("test")
    assert base.cluster is not None
    cfg = with_cluster(
        base,
        nodes=base.cluster.nodes.model_copy(update={"instance_types": ["m6i.large", "zz9.large"]}),
    )
    good_world(cfg)
    types = by_check(doctor(cfg))["instance types"]
    assert types.status == "FAIL"
    assert "zz9.large in eu-west-2a" in types.detail and "m6i.large" not in types.detail


# --- hosted zone ------------------------------------------------------------------------------


def make_zone(name: str, tags: dict[str, str] | None = None, private: bool = False) -> str:
    r53 = boto3.client("route53")
    args: dict[str, Any] = {"Name": name, "CallerReference": f"{name}-{private}-{tags}"}
    if private:
        vpc = boto3.client("ec2", region_name="eu-west-2").create_vpc(CidrBlock="10.9.0.0/16")
        args["VPC"] = {"VPCRegion": "eu-west-2", "VPCId": vpc["Vpc"]["VpcId"]}
        args["HostedZoneConfig"] = {"PrivateZone": True, "Comment": "private"}
    zone_id = r53.create_hosted_zone(**args)["HostedZone"]["Id"].rsplit("/", 1)[-1]
    if tags:
        r53.change_tags_for_resource(
            ResourceType="hostedzone",
            ResourceId=zone_id,
            AddTags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    return zone_id


OURS = {"Project": "landfall", "Environment": "test", "Layer": "network", "ManagedBy": "pulumi"}


def zone_findings(cfg: EnvironmentConfig) -> list[Finding]:
    return [f for f in doctor(cfg) if f.check.startswith("hosted zone")]


def test_zone_created_by_the_network_stack_is_ok(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    zone_id = make_zone("test.landfall.example.com", OURS)
    (zone,) = zone_findings(cfg)
    assert zone.status == "OK"
    assert zone_id in zone.detail and "managed by the network stack" in zone.detail


def test_zone_not_created_by_landfall_is_a_warning(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    make_zone("test.landfall.example.com")
    (zone,) = zone_findings(cfg)
    assert zone.status == "WARN"
    assert "second zone" in zone.detail and "pulumi import" in zone.fix


def test_zone_of_another_environment_fails(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    make_zone("test.landfall.example.com", {**OURS, "Environment": "prod"})
    (zone,) = zone_findings(cfg)
    assert zone.status == "FAIL" and "'prod'" in zone.detail


def test_two_public_zones_for_the_domain_fail(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    first = make_zone("test.landfall.example.com", OURS)
    second = make_zone("test.landfall.example.com")
    (zone,) = zone_findings(cfg)
    assert zone.status == "FAIL"
    assert "2 public zones" in zone.detail and first in zone.detail and second in zone.detail


def test_parent_zone_in_the_account_asks_for_delegation(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    make_zone("example.com")
    parent_id = make_zone("landfall.example.com")  # the nearest parent wins
    make_zone("other.example.org")
    (zone,) = zone_findings(cfg)
    assert zone.status == "WARN"
    assert "will create it" in zone.detail and parent_id in zone.detail
    assert zone.fix == f"set dns.parentZoneId: {parent_id} and the network stack delegates it"
    assert cfg.dns is not None
    delegating = cfg.model_copy(
        update={"dns": cfg.dns.model_copy(update={"parent_zone_id": parent_id})}
    )
    (zone,) = zone_findings(delegating)
    assert zone.status == "OK" and "delegate it from landfall.example.com" in zone.detail


def test_an_existing_zone_is_checked_for_its_delegation(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    zone_id = make_zone("test.landfall.example.com")
    servers = boto3.client("route53").get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]
    clients = clients_for(cfg)
    findings = run_doctor(cfg, clients, None, bootstrapped_settings(cfg), lambda d: set())
    check = by_check(findings)["dns delegation"]
    assert (
        check.status == "FAIL" and "delegates test.landfall.example.com to nothing" in check.detail
    )
    assert f"test.landfall.example.com. 3600 IN NS {servers[0].rstrip('.')}." in check.fix
    findings = run_doctor(cfg, clients, None, bootstrapped_settings(cfg), lambda d: set(servers))
    assert by_check(findings)["dns delegation"].status == "OK"


def test_a_private_zone_of_the_same_name_is_flagged(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    make_zone("test.landfall.example.com", private=True)
    public, private = zone_findings(cfg)
    assert public.status == "OK" and "will create it" in public.detail
    assert private.check == "hosted zone (private)" and private.status == "WARN"


# --- SSO roles -------------------------------------------------------------------------------


def test_a_missing_sso_role_names_the_permission_set_and_the_fix(fake_aws: None) -> None:
    cfg = env("test")
    assert cfg.cluster is not None
    missing = cfg.cluster.sso_mappings[1].permission_set
    good_world(cfg)
    iam = boto3.client("iam")
    for role in iam.list_roles(PathPrefix="/aws-reserved/")["Roles"]:
        if f"_{missing}_" in role["RoleName"]:
            iam.delete_role(RoleName=role["RoleName"])
    findings = doctor(cfg)
    (failure,) = only_failures(findings)
    assert failure.check == f"sso role {missing}"
    assert f"AWSReservedSSO_{missing}_<16 hex>" in failure.detail
    assert f"assign permission set {missing!r}" in failure.fix
    assert exit_status(findings) == 1


def test_two_matching_sso_roles_fail(fake_aws: None) -> None:
    cfg = env("test")
    assert cfg.cluster is not None
    doubled = cfg.cluster.sso_mappings[0].permission_set
    good_world(cfg)
    add_sso_role(doubled, "us-east-1")  # e.g. left over from an old Identity Center instance
    (failure,) = only_failures(doctor(cfg))
    assert failure.check == f"sso role {doubled}"
    assert "2 IAM roles match" in failure.detail and "/us-east-1/" in failure.detail
    assert "delete the stale role" in failure.fix


def test_no_sso_mappings_is_skipped(fake_aws: None) -> None:
    cfg = with_cluster(env("test"), sso_mappings=[])
    good_world(cfg)
    assert by_check(doctor(cfg))["sso roles"].status == "SKIP"


# --- Kubernetes version ------------------------------------------------------------------------


def test_an_unsupported_kubernetes_version_fails(fake_aws: None) -> None:
    cfg = with_cluster(env("test"), kubernetes_version="1.29")  # bypasses config validation
    good_world(cfg)
    findings = doctor(cfg)
    (failure,) = only_failures(findings)
    assert failure.check == "kubernetes version"
    assert "1.29 is not one landfall supports" in failure.detail
    assert "1.33" in failure.fix


def test_cli_rejects_an_unsupported_version_before_calling_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load((ROOT / "Pulumi.test.yaml").read_text())
    document["config"]["landfall:cluster"]["kubernetesVersion"] = "1.29"
    (tmp_path / "Pulumi.test.yaml").write_text(yaml.safe_dump(document))
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "services.yaml").write_text((ROOT / "services.yaml").read_text())
    assert main(["doctor", "test", "--cwd", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "landfall:cluster.kubernetesVersion" in err and "Traceback" not in err


class EksVersions:
    """STUB (moto lacks DescribeClusterVersions): answers with one version status and delegates
    every other call to the moto EKS client."""

    def __init__(self, real: Any, status: str) -> None:
        self._real, self._status = real, status

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def describe_cluster_versions(self, clusterVersions: list[str]) -> dict[str, Any]:
        return {
            "clusterVersions": [
                {"clusterVersion": v, "versionStatus": self._status} for v in clusterVersions
            ]
        }


@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        ("STANDARD_SUPPORT", "OK", "standard support"),
        ("EXTENDED_SUPPORT", "WARN", "billed extra"),
        ("UNSUPPORTED", "FAIL", "does not offer"),
    ],
)
def test_eks_verdict_on_the_version(fake_aws: None, status: str, expected: str, words: str) -> None:
    cfg = env("test")
    good_world(cfg)
    clients = clients_for(cfg)
    clients.override("eks", EksVersions(clients("eks"), status))
    version = by_check(doctor(cfg, clients))["kubernetes version"]
    assert (version.status, words in version.detail) == (expected, True)


class EksAddons:
    """STUB (moto lacks DescribeAddonVersions): EKS offering ``offered`` (add-on -> versions)
    for every Kubernetes version; every other call goes to the moto EKS client."""

    def __init__(self, real: Any, offered: dict[str, list[str]]) -> None:
        self._real, self._offered = real, offered

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_addon_versions"
        offered = self._offered

        class Pages:
            def paginate(self, addonName: str, kubernetesVersion: str) -> list[dict[str, Any]]:
                versions = [{"addonVersion": v} for v in offered.get(addonName, [])]
                return [{"addons": [{"addonName": addonName, "addonVersions": versions}]}]

        return Pages()


def test_pinned_add_on_versions_are_checked_against_what_eks_offers(fake_aws: None) -> None:
    from landfall.logic.versions import ADDON_VERSIONS

    cfg = env("test")
    good_world(cfg)
    pins = ADDON_VERSIONS["1.35"]
    offered = {
        "vpc-cni": [pins.vpc_cni],
        "kube-proxy": [pins.kube_proxy, "v1.35.0-eksbuild.1"],
        "coredns": [pins.coredns],
        "aws-ebs-csi-driver": ["v1.50.0-eksbuild.1"],  # not the pinned one
        "amazon-cloudwatch-observability": [pins.cloudwatch_observability],
    }
    clients = clients_for(cfg)
    clients.override("eks", EksAddons(clients("eks"), offered))
    addons = by_check(doctor(cfg, clients))["add-on versions"]
    assert addons.status == "FAIL"
    assert (
        addons.detail
        == f"EKS offers no aws-ebs-csi-driver {pins.ebs_csi_driver} for Kubernetes 1.35"
    )
    offered["aws-ebs-csi-driver"].append(pins.ebs_csi_driver)
    assert by_check(doctor(cfg, clients))["add-on versions"].status == "OK"


def make_cluster(name: str, version: str) -> None:
    role = boto3.client("iam").create_role(
        RoleName=f"{name}-cluster", AssumeRolePolicyDocument=TRUST
    )["Role"]["Arn"]
    boto3.client("eks", region_name="eu-west-2").create_cluster(
        name=name, version=version, roleArn=role, resourcesVpcConfig={"subnetIds": []}
    )


@pytest.mark.parametrize(
    ("running", "expected", "words"),
    [
        ("1.33", "OK", "already runs 1.33"),
        ("1.32", "OK", "upgrades it to 1.33"),
        ("1.31", "FAIL", "one minor version at a time"),
        ("1.34", "FAIL", "cannot downgrade"),
    ],
)
def test_upgrade_path_from_the_running_cluster(
    fake_aws: None, running: str, expected: str, words: str
) -> None:
    cfg = with_cluster(env("test"), kubernetes_version="1.33")
    good_world(cfg)
    make_cluster(cfg.name_prefix, running)
    upgrade = by_check(doctor(cfg))["kubernetes upgrade"]
    assert upgrade.status == expected and words in upgrade.detail
    if running == "1.31":
        assert "1.32 first" in upgrade.fix


# --- spot role and partial failures ---------------------------------------------------------


def test_spot_capacity_without_the_spot_role_fails(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    boto3.client("iam").delete_role(RoleName=SPOT_ROLE)
    (failure,) = only_failures(doctor(cfg))
    assert failure.check == "service-linked roles"
    assert "missing: AWSServiceRoleForEC2Spot" in failure.detail
    assert "spot.amazonaws.com are not created by their service" in failure.detail
    assert failure.fix == "landfall bootstrap test"


class DeniedRoute53:
    """STUB: a Route 53 client the caller may not use."""

    def get_paginator(self, name: str) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "ListHostedZones"
        )

    def list_hosted_zones_by_name(self, **kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized"}},
            "ListHostedZonesByName",
        )


def test_a_denied_call_fails_only_its_check(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    clients = clients_for(cfg, route53=DeniedRoute53())
    findings = doctor(cfg, clients)
    failed = failures(findings)
    assert set(failed) == {"hosted zone", "dns delegation"}  # the two that use Route 53
    zone = failed["hosted zone"]
    assert "ListHostedZones was denied" in zone.detail and "ReadOnlyAccess" in zone.fix
    assert by_check(findings)["service-linked roles"].status == "OK"  # later checks ran


# --- CLI and rendering ---------------------------------------------------------------------


def bootstrapped_project(tmp_path: Path, cfg: EnvironmentConfig) -> str:
    """A copy of the project whose settings file carries what `landfall bootstrap` writes, with
    an encryptedkey the account's key decrypts."""
    key = bootstrapped_settings(cfg)["encryptedkey"]
    return str(bootstrapped_copy(tmp_path / "project", key))


@pytest.fixture
def authorised_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI builds its own clients: give them the GitHub connection stub too."""
    real = AwsClients.__call__

    def call(self: AwsClients, service: str) -> Any:
        if service == "codeconnections":
            return Connections({"landfall-test-github": "AVAILABLE"})
        return real(self, service)

    monkeypatch.setattr(AwsClients, "__call__", call)


def test_cli_prints_the_table_and_exits_by_status(
    fake_aws: None,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    authorised_connection: None,
) -> None:
    cfg = env("test")
    good_world(cfg)
    project = bootstrapped_project(tmp_path, cfg)
    assert main(["doctor", "test", "--cwd", project]) == 0
    out = capsys.readouterr().out
    assert out.startswith("landfall doctor test: account 111111111111, region eu-west-2")
    assert "check" in out and "status" in out and "detail" in out
    assert "Result: 0 FAIL" in out
    boto3.client("iam").delete_role(RoleName=SPOT_ROLE)
    assert main(["doctor", "test", "--cwd", project]) == 1
    out = capsys.readouterr().out
    assert "fix: landfall bootstrap test" in out and "Result: 1 FAIL" in out


def test_cli_json_output(
    fake_aws: None,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    authorised_connection: None,
) -> None:
    good_world(env("test"))
    assert (
        main(["doctor", "test", "--json", "--cwd", bootstrapped_project(tmp_path, env("test"))])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert {"check", "status", "ok", "detail", "fix"} <= set(rows[0])
    assert rows[0]["check"] == "credentials"


def test_cli_refuses_the_local_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "local"]) == 2
    assert "has no AWS resources" in capsys.readouterr().err


def test_render_table_wraps_details_and_prints_fixes() -> None:
    findings = [
        Finding("credentials", "OK", "signed in"),
        Finding("a check", "FAIL", "word " * 40, "do this " * 10),
        Finding("other", "WARN", "careful", "look"),
        Finding("skipped one", "SKIP", "not needed"),
    ]
    table = render_table(findings, "title", width=80)
    lines = table.splitlines()
    assert lines[0] == "title"
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("a check      FAIL    word") for line in lines)
    assert sum("fix: do this" in line for line in lines) == 1
    assert "fix: look" in table and "fix:" not in lines[3]  # OK rows print no fix
    assert lines[-1] == "Result: 1 FAIL, 1 WARN, 1 OK, 1 SKIP"
    assert exit_status(findings) == 1 and exit_status(findings[2:]) == 0


# --- what `landfall bootstrap` makes ---------------------------------------------------------


def test_a_settings_file_without_encryptedkey_fails_with_the_bootstrap_command(
    fake_aws: None,
) -> None:
    cfg = env("test")
    good_world(cfg)
    settings = {"secretsprovider": secrets_provider_url("test", "eu-west-2")}
    (failure,) = only_failures(doctor(cfg, settings=settings))
    assert failure.check == "secrets provider"
    assert "no encryptedkey" in failure.detail and "preview role cannot" in failure.detail
    assert failure.fix.startswith("landfall bootstrap test --account-only")


def test_an_encryptedkey_of_another_key_fails(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    kms = boto3.client("kms", region_name="eu-west-2")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=other, Plaintext=b"k" * 32)["CiphertextBlob"]
    settings = {
        "secretsprovider": secrets_provider_url("test", "eu-west-2"),
        "encryptedkey": base64.b64encode(blob).decode(),
    }
    (failure,) = only_failures(doctor(cfg, settings=settings))
    assert failure.check == "secrets provider" and "cannot decrypt" in failure.detail


def test_an_account_never_bootstrapped_fails_on_each_prerequisite(fake_aws: None) -> None:
    cfg = env("test")
    for i, mapping in enumerate(cfg.cluster.sso_mappings if cfg.cluster else []):
        add_sso_role(mapping.permission_set, "eu-west-2" if i % 2 else "")
    checks = by_check(doctor(cfg))
    assert checks["secrets provider"].status == "FAIL"
    assert "alias/landfall-test-pulumi does not exist" in checks["secrets provider"].detail
    assert checks["state bucket"].status == "WARN"  # Pulumi Cloud users have none
    slr = checks["service-linked roles"]
    assert slr.status == "FAIL" and "AWSServiceRoleForAmazonOpenSearchService" in slr.detail
    assert checks["github oidc provider"].status == "FAIL"
    assert checks["ci roles"].status == "WARN"
    assert all(
        checks[c].fix.startswith("landfall bootstrap test")
        for c in ("secrets provider", "service-linked roles", "github oidc provider", "ci roles")
    )


def test_a_state_bucket_without_versions_fails(fake_aws: None) -> None:
    cfg = env("test")
    good_world(cfg)
    boto3.client("s3", region_name="eu-west-2").put_bucket_versioning(
        Bucket="landfall-state-111111111111", VersioningConfiguration={"Status": "Suspended"}
    )
    (failure,) = only_failures(doctor(cfg))
    assert failure.check == "state bucket" and "versions" in failure.detail


def test_reachable_opens_a_real_connection_and_gives_up_quickly() -> None:
    """The real probe: a listening port answers; a closed one fails at once, not after the
    Kubernetes provider's timeout."""
    import socket

    from landfall.ops.checks import reachable

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert reachable(f"https://127.0.0.1:{port}", timeout=1)
    assert not reachable(f"https://127.0.0.1:{port}", timeout=1)  # nothing listens any more


def test_doctor_says_when_the_cluster_api_is_out_of_reach(
    fake_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", PROD_ACCOUNT)
    cfg = env("prod")
    good_world(cfg)
    make_cluster("landfall-prod", "1.35")
    clients = clients_for(cfg)
    findings = run_doctor(
        cfg, clients, None, bootstrapped_settings(cfg), delegated_as_route53_says, lambda e: False
    )
    endpoint = by_check(findings)["cluster endpoint"]
    assert endpoint.status == "FAIL" and "the endpoint is private" in endpoint.detail
    assert "codebuild-landfall-prod-runner" in endpoint.fix


@pytest.mark.parametrize(
    ("connections", "status", "words"),
    [
        ({"landfall-test-github": "PENDING"}, "FAIL", "authorises it"),
        ({}, "FAIL", "does not exist"),
        ({"landfall-test-github": "AVAILABLE"}, "OK", "AVAILABLE"),
    ],
)
def test_the_ci_runners_github_connection_must_be_authorised(
    fake_aws: None, connections: dict[str, str], status: str, words: str
) -> None:
    cfg = env("test")
    good_world(cfg)
    clients = clients_for(cfg, codeconnections=Connections(connections))
    found = by_check(doctor(cfg, clients))["github connection"]
    assert (found.status, words in found.detail) == (status, True)


@pytest.mark.parametrize("status", ["PENDING", None])
def test_the_deploy_preflight_stops_on_an_unauthorised_github_connection(
    fake_aws: None, status: str | None
) -> None:
    """The network stack's CI runner (its webhook) cannot be created on a PENDING connection:
    `landfall up` says so before anything runs, as doctor does; an authorised one passes."""
    from landfall.ops.orchestrate import account_prerequisites

    cfg = env("test")
    good_world(cfg)
    name = f"{cfg.name_prefix}-github"
    connections = {name: status} if status else {name: "AVAILABLE"}
    clients = clients_for(cfg, codeconnections=Connections(connections))
    problems = account_prerequisites(cfg, bootstrapped_settings(cfg), clients)
    if status is None:
        assert problems == []
    else:
        [problem] = problems
        assert problem.key == "github connection"
        assert "PENDING" in problem.problem and "Update pending connection" in problem.fix


def test_a_missing_alarm_chat_secret_is_a_warning_with_the_command_to_create_it(
    fake_aws: None,
) -> None:
    """A deploy works without the webhook secret, but alarms then reach email only."""
    cfg = env("test")
    good_world(cfg)
    clients = clients_for(cfg)
    assert by_check(doctor(cfg, clients))["alarm chat webhook"].status == "OK"
    clients("secretsmanager").delete_secret(
        SecretId=str(cfg.alarms.chat_webhook_secret_id), ForceDeleteWithoutRecovery=True
    )
    found = by_check(doctor(cfg, clients))["alarm chat webhook"]
    assert found.status == "WARN" and "email only" in found.detail
    assert "aws secretsmanager create-secret --name landfall/test/alarm-chat-webhook" in found.fix
    unset = cfg.model_copy(
        update={"alarms": cfg.alarms.model_copy(update={"chat_webhook_secret_id": None})}
    )
    assert by_check(doctor(unset, clients))["alarm chat webhook"].status == "SKIP"
