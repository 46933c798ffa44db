"""The gitops stack (R2, R3, R5, R21, R23, R24): Flux install, fleet source, root Kustomization and
the environment ConfigMap, per environment, asserted on the inputs recorded by the offline harness.

Every environment is planned with ``plan_environment``, so the gitops stack reads the outputs the
network and cluster runs really exported: a renamed upstream output fails here. Flux objects are
validated with the fleet's validator (Flux CRDs in schemas/flux, core kinds strict).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from typing import Any

import pytest
from fleet_support import OCI_SOURCE_PATCH, ManifestValidator, placeholder_environment, service_keys
from project import PROJECT_ROOT, committed_settings
from pydantic.alias_generators import to_camel
from stack_queries import of_type, one

from gitops.program import GitopsOutputs
from landfall.config import (
    EnvironmentConfig,
    load_environment,
)
from landfall.config.errors import ConfigError
from landfall.logic.contracts import ClusterOutputs, NetworkOutputs, output_names
from landfall.logic.envmap import (
    CLOUD_KEYS,
    CLUSTER_FIELDS,
    COMMON_KEYS,
    CONFIGMAP_NAME,
    NETWORK_FIELDS,
    environment_configmap_data,
)
from landfall.logic.flux import (
    IRSA_ANNOTATION,
    deploy_key_data,
    flux_release,
)
from landfall.logic.rbac import notifier_role
from landfall.logic.versions import FLUX_RELEASES
from landfall.plan.harness import StackPlan, plan_environment, run_layer
from landfall.plan.harness.mocks import SECRET_VERSION
from landfall.plan.harness.monitor import RecordedResource

# One worker runs this file's tests: its module fixtures are made once (pytest-xdist).
pytestmark = pytest.mark.xdist_group("gitops-plans")

CLOUD = ["test", "prod"]
GIT_REPOSITORY = "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository"
OCI_REPOSITORY = "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository"
KUSTOMIZATION = "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"
RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
# Pulumi's wire marker for a secret value: {SECRET_SIG: SECRET_VALUE, "value": ...}.
SECRET_SIG, SECRET_VALUE = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"

# A deploy key as stored in Secrets Manager; the private part must end up only in the Secret.
# (The armour is assembled at run time so that secret scanners do not flag this file.)
ARMOUR = "OPENSSH PRIVATE KEY-----"
PRIVATE_KEY = f"-----BEGIN {ARMOUR}\nnot-a-real-key-testkeymaterial\n-----END {ARMOUR}\n"
DEPLOY_KEY = {
    "identity": PRIVATE_KEY,
    "identity.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItestpublic flux",
    "known_hosts": "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5",
}


# --- fixtures -----------------------------------------------------------------------------------


def raw_config(env: str, **gitops: Any) -> dict[str, Any]:
    """The committed config of ``env``, with ``landfall:gitops`` keys overridden."""
    raw = committed_settings(env)
    raw["landfall:gitops"] = {**raw["landfall:gitops"], **gitops}
    return raw


def oci_config(env: str) -> dict[str, Any]:
    return raw_config(env, source="oci", ociRepository="landfall-fleet", ociTag="v1.4.0")


def config(raw: dict[str, Any], env: str) -> EnvironmentConfig:
    return load_environment(env, raw)


def by_field(contract: type, outputs: dict[str, Any]) -> dict[str, Any]:
    """Stack outputs (camelCase names) keyed by the contract's field names."""
    return {f.name: outputs[to_camel(f.name)] for f in dataclasses.fields(contract)}


@pytest.fixture(scope="module")
def gitops_plans(env_plan) -> dict[str, StackPlan]:
    """The gitops stack of local, test and prod as committed, and of test with the OCI source."""
    plans = {env: env_plan(env).stacks["gitops"] for env in ("local", *CLOUD)}
    plans["test-oci"] = plan_environment("test", raw_config=oci_config("test")).stacks["gitops"]
    return plans


@pytest.fixture(scope="module")
def upstream(env_plan) -> dict[str, dict[str, dict[str, Any]]]:
    """Per cloud env, the outputs the network and cluster runs exported."""
    return {
        env: {layer: env_plan(env).stacks[layer].outputs for layer in ("network", "cluster")}
        for env in CLOUD
    }


VARIANTS = ["local", "test", "prod", "test-oci"]


@pytest.fixture(params=VARIANTS)
def variant(request) -> str:
    return request.param


def env_of(variant: str) -> str:
    return variant.removesuffix("-oci")


def raw_of(variant: str) -> dict[str, Any]:
    return oci_config("test") if variant == "test-oci" else raw_config(variant)


def cr(resource: RecordedResource) -> dict[str, Any]:
    """A recorded CustomResource as the Kubernetes object it applies."""
    return {k: resource.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}


def unwrap_secret(value: Any) -> Any:
    assert isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE, "not a secret"
    return value["value"]


# --- the environment ConfigMap (pure) -----------------------------------------------------------


def configmap_data(env: str, upstream, raw: dict[str, Any] | None = None) -> dict[str, str]:
    cfg = config(raw or raw_config(env), env)
    if not cfg.is_cloud:
        return environment_configmap_data(cfg, None, None)
    network = by_field(NetworkOutputs, upstream[env]["network"])
    cluster = by_field(ClusterOutputs, upstream[env]["cluster"])
    return environment_configmap_data(
        cfg,
        {f: network[f] for f in NETWORK_FIELDS},
        {f: cluster[f] for f in CLUSTER_FIELDS},
    )


@pytest.mark.parametrize("env", ["local", *CLOUD])
def test_configmap_keys_are_exactly_the_fleet_contract(env, upstream):
    cfg = config(raw_config(env), env)
    expected = set(COMMON_KEYS)
    if cfg.is_cloud:
        expected |= set(CLOUD_KEYS)
        for service in cfg.services:
            expected |= set(service_keys(service.name, cloud=True))
    data = configmap_data(env, upstream)
    assert set(data) == expected
    assert all(isinstance(v, str) and v for v in data.values())
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", k) for k in data)


def test_local_configmap_holds_the_in_cluster_equivalents(upstream):
    assert configmap_data("local", upstream) == {
        "ENVIRONMENT": "local",
        "CLUSTER_NAME": "landfall-local",
        "RDS_ENDPOINT": "mariadb.platform-data.svc.cluster.local",
        "RDS_PORT": "3306",
        "DATABASE_AUTH": "password",
        "DATABASE_SERVICES": "payments",
        "OPENSEARCH_ENDPOINT": "http://opensearch.platform-data.svc.cluster.local:9200",
        "DOMAIN": "landfall.localhost",
        "SECRETS_PREFIX": "local",
    }


@pytest.mark.parametrize("env", ["local", *CLOUD])
def test_the_fleets_placeholder_configmap_has_the_same_keys_and_local_values(env, upstream):
    data = configmap_data(env, upstream)
    fleet = placeholder_environment(env)
    assert set(fleet) == set(data)
    if env == "local":
        assert dict(fleet) == data


@pytest.mark.parametrize("env", CLOUD)
def test_cloud_configmap_values_come_from_the_upstream_stacks(env, upstream):
    net, cluster = upstream[env]["network"], upstream[env]["cluster"]
    cfg = config(raw_config(env), env)
    data = configmap_data(env, upstream)
    assert data["ENVIRONMENT"] == env
    assert data["CLUSTER_NAME"] == cluster["clusterName"] == f"landfall-{env}"
    assert data["AWS_REGION"] == cfg.region == net["region"]
    assert data["AWS_ACCOUNT_ID"] == cfg.account_id
    assert data["VPC_ID"] == net["vpcId"]
    assert data["VPC_CIDR"] == cfg.network.vpc_cidr
    for tier in ("public", "private", "data"):
        assert data[f"{tier.upper()}_SUBNET_CIDRS"] == ",".join(net[f"{tier}SubnetCidrs"])
    assert data["RDS_ENDPOINT"] == net["databaseAddress"]
    assert data["RDS_PORT"] == "3306"
    assert data["DATABASE_AUTH"] == "iam"
    assert data["DATABASE_SERVICES"].split() == [s.name for s in cfg.services if s.database]
    # The master secret is read by the data-access function only: not even its ARN goes in.
    assert net["databaseSecretArn"] not in data.values()
    assert not [v for v in data.values() if "secretsmanager" in v]
    assert data["OPENSEARCH_ENDPOINT"] == f"https://{net['searchEndpoint']}:443"
    assert data["DOMAIN"] == cfg.dns.domain
    assert data["HOSTED_ZONE_ID"] == net["hostedZoneId"]
    assert data["HOSTED_ZONE_NAME"] == net["hostedZoneName"]
    assert data["CERTIFICATE_ARN"] == net["certificateArn"]
    assert data["ALB_ARN"] == net["albArn"]
    assert data["ALB_DNS_NAME"] == net["albDnsName"]
    assert data["ALB_SECURITY_GROUP_ID"] == net["albSecurityGroupId"]
    assert data["INGRESS_GROUP_NAME"] == f"landfall-{env}"
    assert data["NODE_SECURITY_GROUP_ID"] == cluster["nodeSecurityGroupId"]
    assert data["ECR_REGISTRY"] == net["ecrRegistry"]
    assert data["HELM_OCI_REPOSITORY"] == f"oci://{net['ecrRegistry']}/charts"
    assert data["EBS_KMS_KEY_ARN"] == net["dataKmsKeyArn"]
    assert data["AWS_LOAD_BALANCER_CONTROLLER_ROLE_ARN"] == cluster["loadBalancerControllerRoleArn"]
    assert data["EXTERNAL_DNS_ROLE_ARN"] == cluster["externalDnsRoleArn"]
    assert data["SECRETS_PREFIX"] == env
    assert data["PAYMENTS_ROLE_ARN"] == cluster["serviceRoleArns"]["payments"]
    assert data["PAYMENTS_TARGET_GROUP_ARN"] == net["targetGroupArns"]["payments"]


def test_a_service_missing_upstream_is_named(upstream):
    broken = copy.deepcopy(upstream)
    broken["test"]["cluster"]["serviceRoleArns"] = {}
    with pytest.raises(ConfigError) as caught:
        configmap_data("test", broken)
    message = str(caught.value)
    assert "'payments'" in message and "test-cluster" in message
    assert "serviceRoleArns" in message


def test_configmap_reads_only_fields_of_the_stack_contracts():
    assert set(NETWORK_FIELDS) <= {f.name for f in dataclasses.fields(NetworkOutputs)}
    assert set(CLUSTER_FIELDS) <= {f.name for f in dataclasses.fields(ClusterOutputs)}
    assert "kubeconfig" not in CLUSTER_FIELDS  # a secret output must not taint the ConfigMap


# --- no secret in config or in the ConfigMap ----------------------------------------------------

SECRET_VALUE_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bsecure:"),  # a Pulumi-encrypted config value
    re.compile(r"(?i)\b(password|passwd|passphrase|private_?key|token)\b\s*[:=]"),
]


@pytest.mark.parametrize("path", sorted(PROJECT_ROOT.glob("Pulumi*.yaml")), ids=lambda p: p.name)
def test_no_secret_in_pulumi_config(path):
    text = path.read_text(encoding="utf-8")
    for pattern in SECRET_VALUE_PATTERNS:
        assert not pattern.search(text), f"{path.name} matches {pattern.pattern}"
    assert "identity" not in text and "known_hosts" not in text


@pytest.mark.parametrize("env", ["local", *CLOUD])
def test_no_secret_in_the_configmap(env, upstream):
    data = configmap_data(env, upstream)
    for key, value in data.items():
        assert not re.search(r"PASSWORD|PASSWD|TOKEN|PRIVATE_KEY|IDENTITY|CREDENTIAL", key), key
        assert not any(p.search(value) for p in SECRET_VALUE_PATTERNS), key
        assert value not in DEPLOY_KEY.values()


# --- Flux install -------------------------------------------------------------------------------


def test_flux_is_the_pinned_chart_in_flux_system(variant, gitops_plans):
    plan = gitops_plans[variant]
    cfg = config(raw_of(variant), env_of(variant))
    pinned = FLUX_RELEASES[cfg.gitops.flux_version]
    release = one(plan, RELEASE)
    inputs = release.inputs
    assert inputs["chart"] == "flux2"
    assert inputs["version"] == pinned.chart_version == "2.17.1"
    assert inputs["repositoryOpts"] == {"repo": "https://fluxcd-community.github.io/helm-charts"}
    assert inputs["name"] == "flux"
    assert inputs["namespace"] == "flux-system" and inputs["createNamespace"] is True
    assert inputs["atomic"] is True
    values = inputs["values"]
    assert values["installCRDs"] is True
    # Each controller of Flux v2.7.3, pinned by its image digest (tag@sha256:...).
    assert values["sourceController"]["tag"] == pinned.source_controller
    for controller, tag in (
        ("sourceController", "v1.7.3"),
        ("kustomizeController", "v1.7.2"),
        ("helmController", "v1.4.3"),
        ("notificationController", "v1.7.4"),
    ):
        assert re.fullmatch(rf"{re.escape(tag)}@sha256:[0-9a-f]{{64}}", values[controller]["tag"])
    assert values["imageAutomationController"] == {"create": False}
    assert values["imageReflectionController"] == {"create": False}


@pytest.mark.parametrize("variant", ["test", "prod", "test-oci"])
def test_source_controller_gets_the_clusters_irsa_role(variant, gitops_plans, upstream):
    values = one(gitops_plans[variant], RELEASE).inputs["values"]
    annotations = values["sourceController"]["serviceAccount"]["annotations"]
    expected = upstream[env_of(variant)]["cluster"]["fluxSourceRoleArn"]
    assert annotations == {IRSA_ANNOTATION: expected}


def test_local_flux_has_no_aws_identity(gitops_plans):
    values = one(gitops_plans["local"], RELEASE).inputs["values"]
    assert "serviceAccount" not in values["sourceController"]


def test_unknown_flux_version_is_rejected_before_anything_is_declared(upstream):
    raw = raw_config("test", fluxVersion="2.0.0")
    with pytest.raises(ConfigError) as caught:
        flux_release(config(raw, "test").gitops)
    assert "landfall:gitops.fluxVersion" in str(caught.value)
    assert "2.7.3" in str(caught.value)


# --- the source ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["local", "test", "prod"])
def test_git_source_over_ssh_with_the_deploy_key_secret(variant, gitops_plans):
    cfg = config(raw_of(variant), env_of(variant))
    source = one(gitops_plans[variant], GIT_REPOSITORY)
    assert source.inputs["metadata"] == {"name": "flux-system", "namespace": "flux-system"}
    assert source.inputs["spec"] == {
        "interval": cfg.gitops.interval,
        "url": "ssh://git@github.com/example/landfall-fleet.git",
        "ref": {"branch": "main"},
        "secretRef": {"name": "flux-system"},
    }
    assert not of_type(gitops_plans[variant], OCI_REPOSITORY)


@pytest.fixture(scope="module")
def keyed_plans(upstream) -> dict[str, StackPlan]:
    """The cloud gitops stacks with Secrets Manager holding DEPLOY_KEY under the configured ID
    only: reading any other secret fails, as it would in AWS."""
    return {
        env: run_layer(
            env,
            "gitops",
            raw_config(env),
            upstream[env],
            lookups={SECRET_VERSION: {f"landfall/{env}/flux-deploy-key": json.dumps(DEPLOY_KEY)}},
        )
        for env in CLOUD
    }


@pytest.mark.parametrize("env", CLOUD)
def test_deploy_key_from_secrets_manager_is_a_secret_in_state(env, keyed_plans):
    plan = keyed_plans[env]
    secret = one(plan, SECRET)
    assert secret.inputs["metadata"] == {"name": "flux-system", "namespace": "flux-system"}
    assert secret.inputs["type"] == "Opaque"
    assert {"data", "stringData"} <= set(secret.options["additionalSecretOutputs"])
    assert unwrap_secret(secret.inputs["stringData"]) == DEPLOY_KEY
    source = one(plan, GIT_REPOSITORY)
    assert secret.urn in source.options["dependsOn"]


@pytest.mark.parametrize("env", CLOUD)
def test_the_private_key_appears_only_in_the_secret(env, keyed_plans):
    plan = keyed_plans[env]
    others = [r.as_json() for r in plan.resources if r.type != SECRET]
    text = json.dumps({"resources": others, "outputs": plan.outputs})
    assert "PRIVATE KEY" not in text and "testkeymaterial" not in text


def test_local_uses_a_pre_created_secret_and_no_aws(gitops_plans):
    plan = gitops_plans["local"]
    assert not of_type(plan, SECRET)
    assert [r for r in plan.resources if r.type.startswith("aws:")] == []
    assert not of_type(plan, "pulumi:providers:aws")
    assert not of_type(plan, "pulumi:pulumi:StackReference")
    provider = one(plan, "pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "kind-landfall"


def test_oci_source_from_ecr_with_workload_identity(gitops_plans, upstream):
    plan = gitops_plans["test-oci"]
    source = one(plan, OCI_REPOSITORY)
    registry = upstream["test"]["network"]["ecrRegistry"]
    assert source.inputs["metadata"] == {"name": "flux-system", "namespace": "flux-system"}
    assert source.inputs["spec"] == {
        "interval": "5m",
        "url": f"oci://{registry}/landfall-fleet",
        "ref": {"tag": "v1.4.0"},
        "provider": "aws",
    }
    # No static credentials anywhere: no Secret, no secretRef, not even an AWS provider.
    assert not of_type(plan, SECRET)
    assert not of_type(plan, GIT_REPOSITORY)
    assert not of_type(plan, "pulumi:providers:aws")


# --- the root Kustomization ---------------------------------------------------------------------


def test_root_kustomization_syncs_the_environment_folder(variant, gitops_plans):
    env = env_of(variant)
    cfg = config(raw_of(variant), env)
    plan = gitops_plans[variant]
    kustomization = one(plan, KUSTOMIZATION)
    spec = kustomization.inputs["spec"]
    assert kustomization.inputs["metadata"] == {"name": "flux-system", "namespace": "flux-system"}
    assert spec["path"] == f"./clusters/{env}"
    assert spec["prune"] is True
    assert spec["interval"] == cfg.gitops.interval
    kind = "OCIRepository" if variant == "test-oci" else "GitRepository"
    assert spec["sourceRef"] == {"kind": kind, "name": "flux-system"}
    assert spec["postBuild"] == {
        "substituteFrom": [{"kind": "ConfigMap", "name": "landfall-environment"}]
    }
    source = one(plan, OCI_REPOSITORY if variant == "test-oci" else GIT_REPOSITORY)
    assert source.urn in kustomization.options["dependsOn"]


def test_oci_root_kustomization_points_the_fleets_kustomizations_at_the_oci_source(gitops_plans):
    spec = one(gitops_plans["test-oci"], KUSTOMIZATION).inputs["spec"]
    [patch] = spec["patches"]
    assert patch["target"] == {"group": "kustomize.toolkit.fluxcd.io", "kind": "Kustomization"}
    # What the fleet's tests assume the stack applies to its Kustomizations.
    assert json.loads(patch["patch"]) == OCI_SOURCE_PATCH
    assert "patches" not in one(gitops_plans["test"], KUSTOMIZATION).inputs["spec"]


def test_objects_validate_against_the_flux_crds_and_kubernetes_schemas(variant, gitops_plans):
    plan = gitops_plans[variant]
    validator = ManifestValidator()
    flux = [r for r in plan.resources if ".toolkit.fluxcd.io/" in r.type]
    assert len(flux) == 2
    objects = [cr(r) for r in flux]
    for configmap in of_type(plan, CONFIGMAP):
        objects.append({k: configmap.inputs[k] for k in ("apiVersion", "kind", "metadata", "data")})
    for secret in of_type(plan, SECRET):
        obj = {k: secret.inputs[k] for k in ("apiVersion", "kind", "metadata", "type")}
        objects.append({**obj, "stringData": unwrap_secret(secret.inputs["stringData"])})
    for obj in objects:
        assert validator.errors(obj) == []


# --- the ConfigMap resource ---------------------------------------------------------------------


def test_configmap_resource_is_the_contract_and_watched_by_flux(variant, gitops_plans, upstream):
    plan = gitops_plans[variant]
    configmap = one(plan, CONFIGMAP, "environment")
    metadata = configmap.inputs["metadata"]
    assert metadata["name"] == CONFIGMAP_NAME and metadata["namespace"] == "flux-system"
    assert metadata["labels"]["reconcile.fluxcd.io/watch"] == "Enabled"
    assert configmap.inputs["data"] == configmap_data(env_of(variant), upstream, raw_of(variant))
    assert configmap.options["additionalSecretOutputs"] == []


def test_creation_order_release_then_configmap_and_source_then_kustomization(variant, gitops_plans):
    plan = gitops_plans[variant]
    release = one(plan, RELEASE).urn
    source = one(plan, OCI_REPOSITORY if variant == "test-oci" else GIT_REPOSITORY)
    configmap = one(plan, CONFIGMAP, "environment")
    for resource in (configmap, source, *of_type(plan, SECRET)):
        assert release in resource.options["dependsOn"], resource.name
    kustomization = one(plan, KUSTOMIZATION)
    assert {configmap.urn, source.urn} <= set(kustomization.options["dependsOn"])


# --- CI notifications (R5) ---------------------------------------------------------------------

PLURALS = {
    "GitRepository": "gitrepositories",
    "OCIRepository": "ocirepositories",
    "Kustomization": "kustomizations",
}


def test_ci_notifier_may_poke_this_stacks_flux_objects_and_nothing_more(variant, gitops_plans):
    """The cluster stack binds CI's notifier group to this role; ``flux reconcile kustomization
    flux-system --with-source`` must work on what this stack creates, and only patch it."""
    granted = {
        (group, resource, verb)
        for rule in notifier_role().rules
        for group in rule.api_groups
        for resource in rule.resources
        for verb in rule.verbs
    }
    assert {verb for _, _, verb in granted} == {"get", "list", "patch"}
    for resource in gitops_plans[variant].resources:
        if ".toolkit.fluxcd.io/" in resource.type:
            group = resource.inputs["apiVersion"].split("/")[0]
            plural = PLURALS[resource.inputs["kind"]]
            assert {(group, plural, v) for v in ("get", "list", "patch")} <= granted


# --- wiring, protection, outputs ----------------------------------------------------------------


def test_every_kubernetes_resource_uses_the_stacks_provider(variant, gitops_plans):
    plan = gitops_plans[variant]
    provider = one(plan, "pulumi:providers:kubernetes", "k8s")
    custom = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert len(custom) >= 4
    for r in custom:
        assert r.options["provider"].startswith(provider.urn), r.name


@pytest.mark.parametrize("env", CLOUD)
def test_cloud_reaches_the_cluster_with_the_cluster_stacks_kubeconfig(env, gitops_plans, upstream):
    plan = gitops_plans[env]
    provider = one(plan, "pulumi:providers:kubernetes", "k8s")
    assert unwrap_secret(provider.inputs["kubeconfig"]) == upstream[env]["cluster"]["kubeconfig"]
    refs = {r.name for r in of_type(plan, "pulumi:pulumi:StackReference")}
    assert refs == {f"{env}-network", f"{env}-cluster"}


def test_prod_protects_flux_and_its_sync_test_does_not(gitops_plans):
    for env, protected in (("prod", True), ("test", False)):
        plan = gitops_plans[env]
        for resource in (one(plan, RELEASE), one(plan, GIT_REPOSITORY), one(plan, KUSTOMIZATION)):
            assert resource.options["protect"] is protected, (env, resource.name)
            assert resource.options["retainOnDelete"] is protected, (env, resource.name)


def test_outputs(variant, gitops_plans, upstream):
    env = env_of(variant)
    outputs = gitops_plans[variant].outputs
    assert sorted(outputs) == sorted(output_names(GitopsOutputs))
    assert outputs["fluxNamespace"] == "flux-system"
    assert outputs["fluxVersion"] == "2.7.3" and outputs["fluxChartVersion"] == "2.17.1"
    assert outputs["configMapName"] == "landfall-environment"
    assert outputs["syncPath"] == f"./clusters/{env}"
    if variant == "test-oci":
        registry = upstream["test"]["network"]["ecrRegistry"]
        assert outputs["sourceKind"] == "OCIRepository"
        assert outputs["sourceUrl"] == f"oci://{registry}/landfall-fleet"
    else:
        assert outputs["sourceKind"] == "GitRepository"
        assert outputs["sourceUrl"] == "ssh://git@github.com/example/landfall-fleet.git"


@pytest.mark.parametrize("env", ["local", *CLOUD])
def test_the_environment_plan_includes_the_gitops_stack_last(env, env_plan):
    cfg = config(raw_config(env), env)
    assert tuple(env_plan(env).stacks) == cfg.layers()
    assert cfg.layers()[-1] == "gitops"


def test_landfall_plan_local_works_without_aws(capsys):
    from landfall.cli.main import main

    assert main(["plan", "local"]) == 0
    out = capsys.readouterr().out
    assert "local-gitops" in out and "kubernetes:helm.sh/v3:Release" in out
    assert " aws:" not in out and "StackReference" not in out


# --- the deploy key document (pure) -------------------------------------------------------------


def test_deploy_key_document_becomes_the_flux_secret_data():
    assert deploy_key_data(json.dumps(DEPLOY_KEY), "landfall/test/key") == DEPLOY_KEY
    minimal = {"identity": PRIVATE_KEY, "known_hosts": DEPLOY_KEY["known_hosts"], "x": "y"}
    assert deploy_key_data(json.dumps(minimal), "id") == {
        "identity": PRIVATE_KEY,
        "known_hosts": DEPLOY_KEY["known_hosts"],
    }


@pytest.mark.parametrize(
    "stored, complaint",
    [
        (PRIVATE_KEY, "is not a JSON object"),
        (json.dumps({"identity": PRIVATE_KEY}), "lacks known_hosts"),
        (json.dumps([PRIVATE_KEY]), "is not a JSON object"),
    ],
)
def test_a_malformed_deploy_key_is_named_without_leaking_it(stored, complaint):
    with pytest.raises(ValueError) as caught:
        deploy_key_data(stored, "landfall/test/flux-deploy-key")
    message = str(caught.value)
    assert complaint in message and "landfall/test/flux-deploy-key" in message
    assert "PRIVATE KEY" not in message and "testkeymaterial" not in message


@pytest.mark.parametrize(
    ("ref", "expected"),
    [({"ociSemver": ">=1.0.0"}, {"semver": ">=1.0.0"}), ({"ociTag": "v1.4.0"}, {"tag": "v1.4.0"})],
)
def test_oci_source_follows_a_semver_range_or_pins_a_tag(ref, expected):
    from landfall.config import GitopsConfig
    from landfall.logic.flux import oci_repository_spec

    gitops = GitopsConfig.model_validate({"source": "oci", "ociRepository": "fleet", **ref})
    spec = oci_repository_spec(gitops, "111111111111.dkr.ecr.eu-west-2.amazonaws.com")
    assert spec["ref"] == expected
    assert spec["provider"] == "aws"


# --- the repository Flux marks with commit statuses ----------------------------------------------


@pytest.mark.parametrize(
    "gitops,expected",
    [
        ({"url": "ssh://git@github.com/acme/fleet.git"}, "acme/fleet"),
        ({"url": "ssh://git@github.com/acme/fleet"}, "acme/fleet"),
        ({"url": "ssh://git@gitlab.com/acme/fleet.git"}, "example/landfall"),  # ci.repository
        (
            {"url": "ssh://git@github.com/acme/fleet.git", "statusRepository": "acme/other"},
            "acme/other",
        ),
    ],
)
def test_the_status_repository_is_the_fleets_github_repository(gitops, expected) -> None:
    from landfall.logic.envmap import status_repository

    assert status_repository(config(raw_config("test", **gitops), "test")) == expected


def test_a_status_repository_that_is_not_owner_slash_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="statusRepository"):
        config(raw_config("test", statusRepository="https://github.com/acme/fleet"), "test")
