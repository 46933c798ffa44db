"""The typed environment config: good files load, every bad input gives one clear ConfigError."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from landfall.cli.main import main
from landfall.config import (
    config_file,
    load_environment,
    load_environment_file,
    read_config_file,
)
from landfall.config.errors import ConfigError
from landfall.plan.harness import plan_environment

ROOT = Path(__file__).resolve().parent.parent


def raw(env: str) -> dict[str, Any]:
    return copy.deepcopy(read_config_file(config_file(env)))


def problems(env: str, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as info:
        load_environment(env, data, source=f"Pulumi.{env}.yaml")
    return [(p.key, p.problem, p.fix) for p in info.value.problems]


def only_problem(env: str, data: dict[str, Any]) -> tuple[str, str, str]:
    found = problems(env, data)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("env", ["local", "test", "prod"])
def test_committed_environments_load(env):
    cfg = load_environment_file(env)
    assert cfg.environment == env
    assert cfg.is_cloud == (env != "local")


def test_config_is_frozen():
    cfg = load_environment_file("test")
    with pytest.raises(Exception, match="frozen"):
        cfg.environment = "prod"  # type: ignore[misc]


def test_malformed_cidr():
    data = raw("test")
    data["landfall:network"]["vpcCidr"] = "10.20.0.0/33"
    key, problem, fix = only_problem("test", data)
    assert key == "landfall:network.vpcCidr"
    assert "not a valid IPv4 CIDR" in problem
    assert "10.20.0.0/16" in fix


def test_cidr_with_host_bits_set():
    data = raw("test")
    data["landfall:network"]["vpcCidr"] = "10.20.1.0/16"
    key, problem, _ = only_problem("test", data)
    assert key == "landfall:network.vpcCidr" and "host bits" in problem


def test_cidr_too_small_for_the_subnet_plan():
    data = raw("test")
    data["landfall:network"]["vpcCidr"] = "10.20.0.0/20"
    data["landfall:network"]["subnetPrefixLengths"] = {"public": 24, "private": 22, "data": 24}
    key, problem, fix = only_problem("test", data)
    assert key == "landfall:network.vpcCidr"
    assert "too small" in problem and "needs" in problem
    assert "larger VPC CIDR" in fix


def test_service_cidr_overlapping_the_vpc():
    data = raw("test")
    data["landfall:cluster"]["serviceCidr"] = "10.20.128.0/20"
    key, problem, _ = only_problem("test", data)
    assert key == "landfall:cluster.serviceCidr" and "overlaps" in problem


def test_fewer_than_three_azs():
    data = raw("prod")
    data["landfall:network"]["availabilityZones"] = 2
    key, problem, fix = only_problem("prod", data)
    assert key == "landfall:network.availabilityZones"
    assert "at least 3" in problem and "3" in fix


def test_az_names_must_belong_to_the_region():
    data = raw("test")
    data["landfall:network"]["availabilityZoneNames"] = ["eu-west-2a", "eu-west-2b", "us-east-1a"]
    key, problem, _ = only_problem("test", data)
    assert key == "landfall:network.availabilityZoneNames" and "us-east-1a" in problem


@pytest.mark.parametrize(
    ("sizes", "ok"),
    [((1, 2, 3), True), ((2, 1, 3), False), ((1, 4, 3), False), ((3, 3, 3), True)],
)
def test_node_sizes_must_be_ordered(sizes, ok):
    data = raw("test")
    nodes = data["landfall:cluster"]["nodes"]
    nodes["minSize"], nodes["desiredSize"], nodes["maxSize"] = sizes
    if ok:
        load_environment("test", data)
    else:
        key, problem, _ = only_problem("test", data)
        assert key == "landfall:cluster.nodes"
        assert "minSize <= desiredSize <= maxSize" in problem


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("landfall:database", "instanceClass", "r6g.large"),
        ("landfall:search", "instanceType", "r6g.large"),
        ("landfall:cluster", "nodes", None),
    ],
)
def test_unknown_instance_class_format(section, field, value):
    data = raw("prod")
    if field == "nodes":
        data[section]["nodes"]["instanceTypes"] = ["m6i"]
        expected_key = "landfall:cluster.nodes.instanceTypes[0]"
    else:
        data[section][field] = value
        expected_key = f"{section}.{field}"
    key, problem, fix = only_problem("prod", data)
    assert key == expected_key
    assert "is not a valid" in problem and "use the form" in fix


def test_spot_in_prod_needs_an_explicit_opt_in():
    data = raw("prod")
    data["landfall:cluster"]["nodes"]["capacityType"] = "SPOT"
    data["landfall:cluster"]["nodes"]["instanceTypes"] = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"]
    key, problem, fix = only_problem("prod", data)
    assert key == "landfall:cluster.nodes.capacityType"
    assert "SPOT in prod" in problem and "allowSpotInProd" in fix
    data["landfall:cluster"]["allowSpotInProd"] = True
    assert load_environment("prod", data).cluster.nodes.capacity_type == "SPOT"


def test_spot_needs_three_instance_types():
    data = raw("test")
    data["landfall:cluster"]["nodes"]["instanceTypes"] = ["m6i.large", "m6a.large"]
    key, problem, _ = only_problem("test", data)
    assert key == "landfall:cluster.nodes.instanceTypes" and "at least 3" in problem


def test_missing_required_keys():
    data = raw("test")
    del data["landfall:database"]["instanceClass"]
    del data["landfall:network"]
    found = problems("test", data)
    keys = {k for k, _, _ in found}
    assert keys == {"landfall:database.instanceClass", "landfall:network"}
    assert all(("missing" in p or "required" in p) for _, p, _ in found)


def test_unknown_keys_are_typos_with_a_suggestion():
    data = raw("test")
    data["landfall:database"]["multiAZ"] = True
    data["landfall:netwrok"] = {}
    found = {k: (p, f) for k, p, f in problems("test", data)}
    assert found["landfall:database.multiAZ"][0] == "is not a known setting"
    assert "multiAz" in found["landfall:database.multiAZ"][1]
    assert "network" in found["landfall:netwrok"][1]


def test_unknown_environment_name():
    with pytest.raises(ConfigError) as info:
        load_environment_file("staging")
    assert "'staging' is not a known environment" in str(info.value)
    assert "local, test, prod" in str(info.value)


def test_file_environment_must_match_the_stack():
    data = raw("test")
    key, problem, fix = only_problem("prod", data)
    assert key == "landfall:environment"
    assert "'test'" in problem and "Pulumi.prod.yaml" in fix


def test_no_landfall_keys_explains_the_config_file_flag():
    _key, problem, fix = only_problem("test", {"aws:region": "eu-west-2"})
    assert "no landfall settings" in problem and "--config-file" in fix


def test_secrets_in_config_are_refused():
    data = raw("test")
    data["landfall:dbPassword"] = {"secure": "v1:abc"}
    found = problems("test", data)
    assert any("Secrets Manager" in f for _, _, f in found)


def test_open_public_endpoint_needs_opt_in_and_prod_stays_private():
    data = raw("test")
    data["landfall:cluster"]["endpointPublicAccessCidrs"] = ["0.0.0.0/0"]
    key, problem, _ = only_problem("test", data)
    assert key == "landfall:cluster.endpointPublicAccessCidrs" and "internet" in problem
    prod = raw("prod")
    prod["landfall:cluster"]["endpointPublicAccessCidrs"] = ["203.0.113.0/24"]
    key, problem, _ = only_problem("prod", prod)
    assert "private only" in problem


def test_all_problems_are_reported_together():
    data = raw("prod")
    data["landfall:network"]["vpcCidr"] = "nonsense"
    data["landfall:database"]["backupRetentionDays"] = 0
    data["landfall:cluster"]["kubernetesVersion"] = "1.20"
    found = problems("prod", data)
    # The cluster section itself is valid, so its cross-field version check runs too.
    assert [k for k, _, _ in found] == [
        "landfall:network.vpcCidr",
        "landfall:database.backupRetentionDays",
        "landfall:cluster.kubernetesVersion",
    ]
    data["landfall:network"]["vpcCidr"] = "10.30.0.0/16"
    data["landfall:database"]["backupRetentionDays"] = 7
    key, _problem, fix = only_problem("prod", data)
    assert key == "landfall:cluster.kubernetesVersion" and "1.33" in fix


def test_bad_yaml_and_non_mapping_files(tmp_path):
    bad = tmp_path / "Pulumi.test.yaml"
    bad.write_text("config:\n  landfall:network: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        read_config_file(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="not a YAML mapping"):
        read_config_file(bad)


def test_bad_config_declares_nothing():
    data = raw("test")
    data["landfall:network"]["vpcCidr"] = "10.20.0.0/33"
    with pytest.raises(ConfigError):
        plan_environment("test", raw_config=data)


def test_plan_reads_the_settings_of_the_project_it_runs_in(tmp_path, capsys):
    """A copy of the project with a broken Pulumi.test.yaml: `landfall plan test`, run inside
    it (with the package installed from this checkout), rejects *that* file, names it, and
    declares nothing. `--cwd` does the same from anywhere."""
    data = (ROOT / "Pulumi.test.yaml").read_text().replace("10.20.0.0/16", "10.20.0.0/33")
    (tmp_path / "Pulumi.test.yaml").write_text(data)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "services.yaml", tmp_path / "services.yaml")
    inside = tmp_path / "docs"
    inside.mkdir()
    # The installed command, in a subfolder of the copy.
    result = subprocess.run(
        [sys.executable, "-m", "landfall", "plan", "test"],
        capture_output=True,
        text=True,
        cwd=inside,
    )
    outcomes = [(result.returncode, result.stdout, result.stderr)]
    # The same from this checkout's directory, pointed at the copy.
    code = main(["plan", "test", "--cwd", str(inside)])
    captured = capsys.readouterr()
    outcomes.append((code, captured.out, captured.err))
    for returncode, out, err in outcomes:
        assert returncode == 2, err
        assert "landfall:network.vpcCidr" in err
        assert str(tmp_path / "Pulumi.test.yaml") in out.splitlines()[0]
        assert "Traceback" not in err
        assert "Offline plan" not in out


def test_plan_outside_any_project_says_where_it_looked(tmp_path, capsys):
    assert main(["plan", "test", "--cwd", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.yaml" in err and str(tmp_path) in err
    assert "--cwd" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("gitops", "complaint"),
    [
        ({"source": "oci", "ociRepository": "fleet"}, "exactly one of ociSemver or ociTag"),
        (
            {"source": "oci", "ociRepository": "fleet", "ociTag": "v1", "ociSemver": ">=1.0.0"},
            "exactly one of ociSemver or ociTag",
        ),
        ({"source": "oci", "ociRepository": "fleet", "ociTag": "latest"}, "immutable"),
        ({"source": "git", "url": "https://github.com/example/fleet"}, "ssh:// URL"),
    ],
)
def test_gitops_source_settings(gitops, complaint):
    data = raw("test")
    data["landfall:gitops"] = gitops
    key, problem, fix = only_problem("test", data)
    assert key == "landfall:gitops"
    assert complaint in problem + fix


def test_oci_source_with_a_semver_range_loads():
    data = raw("test")
    data["landfall:gitops"] = {"source": "oci", "ociRepository": "fleet", "ociSemver": ">=1.0.0"}
    # No fleet URL is needed: the CI notifier trusts this repository (ci.repository).
    assert load_environment("test", data).gitops.oci_semver == ">=1.0.0"


def test_notifier_subjects_must_name_one_repository_without_wildcards():
    data = raw("test")
    data["landfall:cluster"]["ciNotifierSubjects"] = ["repo:example/*:ref:refs/heads/main"]
    key, problem, _ = only_problem("test", data)
    assert key == "landfall:cluster.ciNotifierSubjects[0]" and "GitHub OIDC subject" in problem
