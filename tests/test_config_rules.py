"""The load-time checks against what AWS and Kubernetes accept (``landfall/config/model.py``,
``landfall/config/rules.py``, ``landfall/logic/aws_facts.py``): each rule refuses a bad value
with one problem naming its key and a concrete fix, and lets a good one through."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from project import PROJECT_ROOT

from landfall.config import load_environment, read_config_file
from landfall.config.errors import ConfigError, Problem
from landfall.config.model import RESERVED_NAMESPACES, EnvironmentConfig
from landfall.logic import aws_facts

Raw = dict[str, Any]
Edit = Callable[[Raw], None]


def base(env: str = "test") -> Raw:
    return copy.deepcopy(read_config_file(PROJECT_ROOT / f"Pulumi.{env}.yaml"))


def edited(edit: Edit, env: str = "test") -> Raw:
    raw = base(env)
    edit(raw)
    return raw


def loads(edit: Edit, env: str = "test") -> EnvironmentConfig:
    return load_environment(env, edited(edit, env))


def refused(edit: Edit, env: str = "test") -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_environment(env, edited(edit, env))
    return info.value.problems


def one_problem(edit: Edit, key: str, *fix_words: str, env: str = "test") -> Problem:
    """The single problem ``edit`` causes: at ``key``, with a fix naming every ``fix_words``."""
    problems = refused(edit, env)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.key == f"landfall:{key}", problem
    assert problem.problem.strip() and problem.fix.strip()
    for word in fix_words:
        assert word in problem.fix, (word, problem)
    return problem


def nodes(**changes: Any) -> Edit:
    return lambda raw: raw["landfall:cluster"]["nodes"].update(changes)


def section(name: str, **changes: Any) -> Edit:
    return lambda raw: raw[f"landfall:{name}"].update(changes)


def top(name: str, value: Any) -> Edit:
    return lambda raw: raw.update({f"landfall:{name}": value})


# --- the committed settings ------------------------------------------------------------------


@pytest.mark.parametrize("env", ["local", "test", "prod"])
def test_the_committed_settings_still_load(env: str) -> None:
    assert load_environment(env, base(env)).environment == env


# --- the data botocore ships -----------------------------------------------------------------


def test_botocore_data_is_found_and_read_without_importing_botocore() -> None:
    types = aws_facts.ec2_instance_types()
    assert types is not None and {"m6i.large", "m7g.xlarge", "t4g.medium"} <= types
    search = aws_facts.opensearch_instance_types()
    assert search is not None and {"r6g.large.search", "t3.medium.search"} <= search
    regions = aws_facts.aws_regions()
    assert regions is not None and regions["eu-west-2"] == "aws"
    assert regions["cn-north-1"] == "aws-cn"
    assert aws_facts.log_retention_days()[:6] == (1, 3, 5, 7, 14, 30)
    assert aws_facts.log_retention_days()[-1] == 3653


def test_the_shapes_read_quickly_are_those_of_the_whole_model() -> None:
    import gzip
    import json

    for service, shape, read in (
        ("ec2", "InstanceType", aws_facts.ec2_instance_types),
        ("opensearch", "OpenSearchPartitionInstanceType", aws_facts.opensearch_instance_types),
    ):
        path = aws_facts.service_model_path(service)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            model = json.load(handle)
        assert read() == frozenset(model["shapes"][shape]["enum"])


def test_the_architecture_reading_picks_the_ami_type() -> None:
    from landfall.logic.eks import ami_type

    assert ami_type(["c6gn.large", "t4g.large"]) == "BOTTLEROCKET_ARM_64"
    assert ami_type(["m6i.large", "g5.xlarge"]) == "BOTTLEROCKET_x86_64"
    assert aws_facts.architecture("g5.xlarge") == "x86_64"
    assert aws_facts.architecture("g5g.xlarge") == "arm64"


def test_a_missing_service_model_fails_loudly(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(aws_facts, "_data_dir", lambda: tmp_path)
    with pytest.raises(aws_facts.MissingServiceModel, match="ec2"):
        aws_facts.service_model_path("ec2")


def test_the_reserved_namespaces_cover_the_platforms_own() -> None:
    declared = set()
    for path in (PROJECT_ROOT / "fleet" / "infrastructure").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Namespace":
                declared.add(doc["metadata"]["name"])
    assert declared, "no Namespace found under fleet/infrastructure"
    assert declared <= set(RESERVED_NAMESPACES)


# --- 1. EC2, RDS and OpenSearch instance types -------------------------------------------------


def test_real_instance_types_of_one_architecture_load() -> None:
    cfg = loads(nodes(capacityType="ON_DEMAND", instanceTypes=["c7g.xlarge", "m7g.xlarge"]))
    assert cfg.cluster is not None and cfg.cluster.nodes.instance_types == [
        "c7g.xlarge",
        "m7g.xlarge",
    ]
    loads(nodes(instanceTypes=["c6i.large", "c6a.large", "c5.large"]))


def test_an_instance_type_ec2_does_not_have_is_refused_with_the_closest() -> None:
    problem = one_problem(
        nodes(instanceTypes=["m6i.large", "m6a.large", "m5.lrage"]),
        "cluster.nodes.instanceTypes[2]",
        "m5.large",
    )
    assert "m5.lrage" in problem.problem


def test_a_made_up_family_is_refused() -> None:
    problem = one_problem(nodes(instanceTypes=["q9x.large"]), "cluster.nodes.instanceTypes[0]")
    assert re.search(r"[a-z]+\d+[a-z-]*\.large", problem.fix), problem


@pytest.mark.parametrize(
    "accelerated", ["g6.xlarge", "p4d.24xlarge", "inf2.xlarge", "trn1.2xlarge"]
)
def test_accelerated_types_are_refused(accelerated: str) -> None:
    problem = one_problem(
        nodes(capacityType="ON_DEMAND", instanceTypes=[accelerated]),
        "cluster.nodes.instanceTypes[0]",
        "m6i.xlarge",
    )
    assert "AMI" in problem.problem


def test_mixed_architectures_are_refused_at_load_time() -> None:
    problem = one_problem(
        nodes(capacityType="ON_DEMAND", instanceTypes=["c6gn.large", "c6i.large"]),
        "cluster.nodes.instanceTypes",
        "c6i.large",
        "c6gn.large",
    )
    assert "arm64" in problem.problem and "x86_64" in problem.problem


def test_rds_classes_of_a_real_size_load_and_others_are_refused() -> None:
    assert loads(section("database", instanceClass="db.m7g.2xlarge")).database is not None
    one_problem(section("database", instanceClass="db.r6g.huge"), "database.instanceClass", "large")
    one_problem(
        section("database", instanceClass="db.r6g.metal"), "database.instanceClass", "db.r6g.large"
    )


def test_opensearch_types_come_from_the_service_model() -> None:
    loads(section("search", instanceType="m6g.large.search"))
    one_problem(
        section("search", instanceType="m6g.lrage.search"),
        "search.instanceType",
        "m6g.large.search",
    )
    one_problem(
        section("search", dedicatedMasterType="m6g.larg.search"),
        "search.dedicatedMasterType",
        "m6g.large.search",
    )


# --- 2. SPOT sizes ---------------------------------------------------------------------------


def test_spot_types_one_size_step_apart_load() -> None:
    loads(nodes(instanceTypes=["m6i.large", "m6a.xlarge", "m5.large"]))
    loads(nodes(instanceTypes=["c6i.2xlarge", "c6a.2xlarge", "c5.2xlarge"]))


def test_spot_types_of_far_apart_sizes_are_refused() -> None:
    problem = one_problem(
        nodes(instanceTypes=["m6i.large", "m6a.large", "m5.4xlarge"]),
        "cluster.nodes.instanceTypes",
        "m5.large",
    )
    assert "4xlarge" in problem.problem


def test_spot_metal_is_refused() -> None:
    one_problem(
        nodes(instanceTypes=["m6i.large", "m6a.large", "m5.metal"]),
        "cluster.nodes.instanceTypes",
        "m6i.large",
    )


def test_on_demand_may_mix_sizes() -> None:
    loads(nodes(capacityType="ON_DEMAND", instanceTypes=["m6i.large", "m6i.4xlarge"]))


# --- 3. prod nodes ---------------------------------------------------------------------------


def test_prod_nodes_in_every_az_load() -> None:
    cfg = loads(nodes(minSize=1, desiredSize=1), env="prod")
    assert cfg.cluster is not None and cfg.cluster.nodes.min_size == 1


def test_prod_with_no_desired_nodes_is_refused() -> None:
    one_problem(
        nodes(minSize=0, desiredSize=0), "cluster.nodes.desiredSize", "desiredSize: 2", env="prod"
    )


def test_prod_with_a_zero_minimum_is_refused() -> None:
    one_problem(nodes(minSize=0), "cluster.nodes.minSize", "minSize: 2", env="prod")


def test_test_may_scale_to_zero() -> None:
    loads(nodes(minSize=0, desiredSize=0))


# --- 4. regions and zones --------------------------------------------------------------------


def test_a_real_region_with_its_zones_loads() -> None:
    def edit(raw: Raw) -> None:
        raw["landfall:region"] = "us-east-1"
        raw["landfall:network"]["availabilityZoneNames"] = [f"us-east-1{z}" for z in "abd"]

    cfg = loads(edit)
    assert cfg.availability_zones() == ["us-east-1a", "us-east-1b", "us-east-1d"]


def test_a_region_aws_does_not_have_is_refused_with_the_closest() -> None:
    problem = one_problem(top("region", "eu-wset-2"), "region", "eu-west-2")
    assert "eu-wset-2" in problem.problem


def test_zones_of_another_region_are_still_refused() -> None:
    def edit(raw: Raw) -> None:
        raw["landfall:network"]["availabilityZoneNames"] = [f"eu-west-1{z}" for z in "abc"]

    problems = refused(edit)
    assert {p.key for p in problems} == {"landfall:network.availabilityZoneNames"}
    assert all("eu-west-2a" in p.fix for p in problems)


# --- 5. CIDRs --------------------------------------------------------------------------------


def test_vpc_cidrs_in_private_or_shared_space_load() -> None:
    loads(section("network", vpcCidr="100.64.0.0/16"))
    loads(section("network", vpcCidr="192.168.0.0/16", subnetPrefixLengths={
        "public": 26, "private": 20, "data": 26,
    }))  # fmt: skip


def test_a_public_vpc_cidr_is_refused() -> None:
    one_problem(section("network", vpcCidr="52.20.0.0/16"), "network.vpcCidr", "10.20.0.0/16")


def test_a_vpc_larger_than_a_16_is_refused() -> None:
    one_problem(section("network", vpcCidr="10.0.0.0/12"), "network.vpcCidr", "10.0.0.0/16")


def test_public_endpoint_cidrs_of_public_space_load() -> None:
    cfg = loads(section("cluster", endpointPublicAccessCidrs=["198.51.100.0/24", "8.8.8.0/24"]))
    assert cfg.cluster is not None and len(cfg.cluster.endpoint_public_access_cidrs) == 2


def test_a_private_public_endpoint_cidr_is_refused() -> None:
    problem = one_problem(
        section("cluster", endpointPublicAccessCidrs=["172.16.5.0/24"]),
        "cluster.endpointPublicAccessCidrs",
        "198.51.100.0/24",
    )
    assert "172.16.0.0/12" in problem.problem


def test_halves_of_the_internet_are_refused_like_all_of_it() -> None:
    problem = one_problem(
        section("cluster", endpointPublicAccessCidrs=["0.0.0.0/1", "128.0.0.0/1"]),
        "cluster.endpointPublicAccessCidrs",
        "allowPublicEndpointFromAnywhere: true",
    )
    assert "100%" in problem.problem


def test_many_slash_8s_covering_half_the_internet_are_refused() -> None:
    # 128 public /8s: no range shorter than /8, but 2^31 addresses together.
    public = [f"{n}.0.0.0/8" for n in range(1, 224) if n not in (10, 100, 127, 169, 172, 192, 198)]
    one_problem(
        section("cluster", endpointPublicAccessCidrs=public[:128]),
        "cluster.endpointPublicAccessCidrs",
        "allowPublicEndpointFromAnywhere",
    )


def test_the_whole_internet_loads_with_the_opt_in() -> None:
    loads(
        section(
            "cluster",
            endpointPublicAccessCidrs=["0.0.0.0/0"],
            allowPublicEndpointFromAnywhere=True,
        )
    )


def test_overlapping_public_endpoint_cidrs_are_refused() -> None:
    problem = one_problem(
        section("cluster", endpointPublicAccessCidrs=["198.51.100.0/24", "198.51.100.128/25"]),
        "cluster.endpointPublicAccessCidrs",
        "keep each range once",
    )
    assert "198.51.100.128/25" in problem.problem


# --- 6. CloudWatch retention -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ("network", "flowLogRetentionDays"),
        ("search", "logRetentionDays"),
        ("cluster", "logRetentionDays"),
    ],
)
def test_cloudwatch_retention_must_be_a_period_it_accepts(where: str, key: str) -> None:
    loads(section(where, **{key: 731}))
    problem = one_problem(section(where, **{key: 100}), f"{where}.{key}", "90 or 120")
    assert "100" in problem.problem


def test_alb_access_log_days_are_an_s3_lifecycle_and_free() -> None:
    cfg = loads(section("loadBalancer", accessLogRetentionDays=100))
    assert cfg.load_balancer.access_log_retention_days == 100


# --- 7. names, namespaces and tags -----------------------------------------------------------


def test_services_in_their_own_namespaces_load() -> None:
    cfg = loads(top("services", [{"name": "payments"}, {"name": "orders", "namespace": "shop"}]))
    assert [s.k8s_namespace for s in cfg.services] == ["payments", "shop"]


@pytest.mark.parametrize("reserved", ["kube-system", "flux-system", "cert-manager", "default"])
def test_a_service_named_like_a_reserved_namespace_is_refused(reserved: str) -> None:
    one_problem(
        top("services", [{"name": "payments"}, {"name": reserved}]), "services[1].name", "payments"
    )


def test_a_service_in_a_reserved_namespace_is_refused() -> None:
    one_problem(
        top("services", [{"name": "payments", "namespace": "brupop-bottlerocket-aws"}]),
        "services[0].namespace",
        "payments",
    )


def test_tags_within_the_aws_rules_load() -> None:
    tags = {"team/owner": "platform@example.com", "Cost Centre": "a-b_c.d:e=f+g", "x" * 128: ""}
    assert loads(top("tags", tags)).tags == tags


@pytest.mark.parametrize(
    ("tags", "fix_word"),
    [
        ({"AWS:Owner": "me"}, "drop the prefix"),
        ({"x" * 129: "v"}, "128"),
        ({"Owner": "v" * 257}, "256"),
        ({"Owner#1": "v"}, "letters, digits"),
        ({"Owner": "a;b"}, "letters, digits"),
        ({f"Tag{n}": "v" for n in range(47)}, "remove at least 1"),
    ],
)
def test_tags_aws_refuses_are_refused(tags: dict[str, str], fix_word: str) -> None:
    one_problem(top("tags", tags), "tags", fix_word)


def test_46_extra_tags_with_the_4_defaults_are_the_limit() -> None:
    loads(top("tags", {f"Tag{n}": "v" for n in range(46)}))
    # A key given here replaces a default rather than adding one.
    loads(top("tags", {**{f"Tag{n}": "v" for n in range(45)}, "Project": "x", "Layer": "y"}))


# --- 8. gitops -------------------------------------------------------------------------------


def test_valid_branch_interval_and_pinned_flux_load() -> None:
    cfg = loads(section("gitops", branch="release/v1.2", interval="1h30m", fluxVersion="2.7.3"))
    assert cfg.gitops is not None and cfg.gitops.branch == "release/v1.2"


@pytest.mark.parametrize(
    "branch", ["main branch", "a..b", "-main", "main.lock", "main/", "feat:x", "x~1", "a[b]"]
)
def test_invalid_git_branch_names_are_refused(branch: str) -> None:
    one_problem(section("gitops", branch=branch), "gitops.branch", "main")


@pytest.mark.parametrize("interval", ["0s", "0m", "0h0m0s"])
def test_a_zero_interval_is_refused(interval: str) -> None:
    one_problem(section("gitops", interval=interval), "gitops.interval", "1m")


def test_an_unpinned_flux_version_is_refused_at_load_time() -> None:
    problem = one_problem(section("gitops", fluxVersion="2.6.0"), "gitops.fluxVersion", "2.7.3")
    assert "2.6.0" in problem.problem


def test_a_fleet_outside_github_loads_the_notifier_trusts_this_repository() -> None:
    def edit(raw: Raw) -> None:
        raw["landfall:gitops"]["url"] = "ssh://git@gitlab.example.com/platform/fleet.git"

    assert loads(edit).gitops is not None


def test_local_needs_no_github_url() -> None:
    cfg = loads(section("gitops", url="ssh://git@gitlab.example.com/fleet.git"), env="local")
    assert cfg.gitops is not None


# --- 9. policy exemptions --------------------------------------------------------------------


def test_known_exemptions_load_outside_prod() -> None:
    cfg = loads(lambda raw: None)
    assert {e.policy for e in cfg.policy_exemptions} >= {"rds-multi-az"}


def test_an_unknown_exemption_is_refused_with_the_closest_policy() -> None:
    def edit(raw: Raw) -> None:
        raw["landfall:policyExemptions"][0]["policy"] = "nat-gateways-per-az"

    one_problem(edit, "policyExemptions", "nat-gateway-per-az")


def test_prod_exempts_nothing() -> None:
    problem = one_problem(
        top(
            "policyExemptions",
            [{"policy": "lb-deletion-protection", "reason": "a reason long enough"}],
        ),
        "policyExemptions",
        "fix the resource",
        env="prod",
    )
    assert "lb-deletion-protection" in problem.problem


# --- messages stay readable --------------------------------------------------------------------


def test_every_fix_survives_the_message_length_limits() -> None:
    """The fixes above are checked for their concrete words after ConfigError shortened them;
    none of these should have been clipped."""
    for edit in (
        nodes(instanceTypes=["m6i.large", "m6a.large", "m5.4xlarge", "c6i.12xlarge"]),
        section("network", flowLogRetentionDays=100),
        section("cluster", endpointPublicAccessCidrs=["0.0.0.0/1", "128.0.0.0/1"]),
    ):
        for problem in refused(edit):
            assert not re.search(r"\.\.\. \(\d+ characters\)", problem.fix), problem


def test_prod_may_exempt_only_policies_marked_exemptable_in_prod(monkeypatch) -> None:
    import dataclasses

    import landfall.baseline.policies as baseline

    raw = copy.deepcopy(read_config_file(PROJECT_ROOT / "Pulumi.prod.yaml"))
    raw["landfall:policyExemptions"] = [
        {"policy": "rds-multi-az", "reason": "a temporary single-AZ database during a migration"}
    ]
    with pytest.raises(ConfigError) as refused:
        load_environment("prod", raw)
    assert "exemptable in prod: none" in str(refused.value)
    marked = [
        dataclasses.replace(p, exemptable_in_prod=True) if p.name == "rds-multi-az" else p
        for p in baseline.POLICIES
    ]
    monkeypatch.setattr(baseline, "POLICIES", marked)
    assert load_environment("prod", raw).policy_exemptions[0].policy == "rds-multi-az"


def test_a_cloud_environment_needs_a_cluster_admin_mapping() -> None:
    viewers = [{"permissionSet": "ReadOnly", "kubernetesGroup": "viewers", "access": "view"}]
    one_problem(section("cluster", ssoMappings=viewers), "cluster.ssoMappings", "cluster-admin")


def test_performance_insights_retention_and_class_follow_rds() -> None:
    one_problem(
        section("database", performanceInsightsRetentionDays=30),
        "database.performanceInsightsRetentionDays",
        "7",
    )
    one_problem(
        section("database", instanceClass="db.t4g.small"), "database.instanceClass", "medium"
    )
