"""The Flux fleet repository (R2-R4, R7, R8, R15-R17, R20-R23), checked offline.

Everything Flux would apply to each cluster is built with kustomize, substituted with the
environment ConfigMap's keys (placeholder values) and validated against the Kubernetes and Flux
schemas; then the platform's rules are asserted on the result. See tests/fleet_support.py for
the machinery and docs/fleet.md for the repository itself.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable
from graphlib import CycleError, TopologicalSorter

import jsonschema
import pytest
import yaml
from fleet_support import (
    AWS_ONLY_CHARTS,
    CLOUD_ENVIRONMENTS,
    CLUSTER_SCOPED_KINDS,
    CRD_DIRS,
    DOCS,
    ENVIRONMENTS,
    EPHEMERAL_TEMPLATE,
    FLEET,
    FLUX_CRDS,
    LOAD_BALANCER_CONTROLLER_CRDS,
    OCI_SOURCE_PATCH,
    ROOT_SOURCE,
    SCHEMAS,
    ManifestValidator,
    Obj,
    SchemaError,
    applied,
    aws_only_findings,
    cluster_kustomizations,
    cluster_objects,
    cluster_root,
    crd_schemas,
    deep_merge,
    describe,
    environment_keys,
    find,
    fleet_paths,
    is_dev_environment,
    key,
    kustomize_build,
    load_crds,
    load_objects,
    normalise_environment,
    of_kind,
    overlay_differences,
    placeholder_environment,
    pod_templates,
    selector_matches,
    substitute,
    substitute_objects,
    substitution_values,
    undeclared_variables,
    walk,
)

from landfall.config import config_file, read_config_file
from landfall.logic import envmap

# One worker runs this file's tests: its module fixtures are made once (pytest-xdist).
pytestmark = pytest.mark.xdist_group("fleet-build")

CHART_DIR = FLEET / "charts" / "payments"
PAYMENTS_LABELS = {"app.kubernetes.io/name": "payments", "app.kubernetes.io/instance": "payments"}
LANDFALL_PRIORITY_CLASSES = ("landfall-essential", "landfall-normal", "landfall-best-effort")
SEMVER_RANGE = re.compile(r"^\d+\.\d+\.x$")
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET_KEY|PRIVATE_KEY")
# Variables that look secret but are switches (MariaDB generates and keeps its root password).
SECRET_FLAGS = frozenset({"MARIADB_RANDOM_ROOT_PASSWORD"})
# The upstream chart repositories of the AWS components (R22).
UPSTREAM_CHARTS = {
    "aws-load-balancer-controller": "https://aws.github.io/eks-charts",
    "external-dns": "https://kubernetes-sigs.github.io/external-dns/",
    "cert-manager": "https://charts.jetstack.io",
    "bottlerocket-update-operator": "https://bottlerocket-os.github.io/bottlerocket-update-operator",
    "bottlerocket-shadow": "https://bottlerocket-os.github.io/bottlerocket-update-operator",
}


@pytest.fixture(scope="module")
def validator() -> ManifestValidator:
    return ManifestValidator()


def helm_release_source(release: Obj) -> Obj:
    return release["spec"]["chart"]["spec"]["sourceRef"]


def workload_namespaces(objects: Iterable[Obj]) -> set[str]:
    return {
        o["metadata"]["namespace"]
        for o in objects
        if o["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "HelmRelease"}
        and o["metadata"]["namespace"] not in {"kube-system", "flux-system"}
        and not (
            o["kind"] == "HelmRelease" and o["spec"]["chart"]["spec"]["chart"] in AWS_ONLY_CHARTS
        )
    }


# ------------------------------------------------------------------------------------------
# Builds


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cluster_entry_point_builds_into_flux_kustomizations_only(env: str) -> None:
    objects = load_objects(kustomize_build(cluster_root(env)))
    assert objects, f"clusters/{env} builds to nothing"
    assert {(o["apiVersion"], o["kind"]) for o in objects} == {
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
    }
    # The gitops stack's root Kustomization may apply this folder without substitution.
    assert "${" not in kustomize_build(cluster_root(env))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_path_a_kustomization_points_at_builds(env: str) -> None:
    kustomizations = cluster_kustomizations(env)
    assert kustomizations
    for ks in kustomizations:
        assert (FLEET / ks.path / "kustomization.yaml").is_file(), f"{ks.name}: {ks.path}"
        assert ks.obj["spec"]["path"].startswith("./"), (
            f"{ks.name}: path relative to the fleet root"
        )
        assert load_objects(kustomize_build(ks.path)), f"{ks.name}: {ks.path} builds to nothing"


def test_all_fleet_paths_are_discovered_from_the_entry_points() -> None:
    paths = fleet_paths()
    assert paths[:3] == ["clusters/local", "clusters/test", "clusters/prod"]
    for expected in ("apps/local", "apps/test", "apps/prod", "infrastructure/local-data"):
        assert expected in paths
    assert "infrastructure/controllers/aws-load-balancer-controller" in paths


# ------------------------------------------------------------------------------------------
# Validation of everything applied


TARGET_GROUP_BINDING = ("elbv2.k8s.aws/v1beta1", "TargetGroupBinding")


def _api_kinds(objects: Iterable[Obj]) -> set[tuple[str, str]]:
    return {(o["apiVersion"], o["kind"]) for o in objects}


def _without_schema(validator: ManifestValidator, kinds: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{a} {k}" for a, k in sorted(kinds) if validator.schema_source(a, k) is None]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_applied_object_validates(env: str) -> None:
    validator = ManifestValidator()  # its own, so that ``checked`` counts this environment only
    objects = cluster_objects(env)
    assert objects, f"clusters/{env} applies nothing"
    errors = [e for obj in objects for e in validator.errors(obj)]
    assert not errors, "\n".join(errors)
    # Every kind met was checked against a schema (none let through unvalidated).
    assert set(validator.checked) == _api_kinds(objects)
    assert sum(validator.checked.values()) == len(objects)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_kind_applied_has_a_schema(env: str, validator: ManifestValidator) -> None:
    """Core kinds from kubernetes-validate, CRD kinds from the upstream CRDs in schemas/."""
    kinds = _api_kinds(cluster_objects(env))
    assert kinds
    assert not _without_schema(validator, kinds), _without_schema(validator, kinds)
    from_crds = {k for k in kinds if not ManifestValidator.is_builtin(k[0])}
    sources = {str(validator.schema_source(*k)) for k in from_crds}
    assert all(s.startswith("schemas/") for s in sources), sources
    assert ("helm.toolkit.fluxcd.io/v2", "HelmRelease") in from_crds
    assert ("kustomize.toolkit.fluxcd.io/v1", "Kustomization") in from_crds
    assert (TARGET_GROUP_BINDING in from_crds) is (env != "local")


def test_every_kind_built_from_the_fleet_has_a_schema(validator: ManifestValidator) -> None:
    """Everything the fleet builds (every cluster path, the ephemeral template too), before
    substitution: no apiVersion/kind without a schema."""
    paths = [*fleet_paths(), EPHEMERAL_TEMPLATE]
    kinds = _api_kinds(o for path in paths for o in load_objects(kustomize_build(path)))
    assert TARGET_GROUP_BINDING in kinds
    missing = _without_schema(validator, kinds)
    assert not missing, f"no schema (add the upstream CRD under schemas/): {missing}"


def test_schemas_live_in_the_repository_with_their_provenance() -> None:
    assert CRD_DIRS == (FLUX_CRDS, LOAD_BALANCER_CONTROLLER_CRDS)
    assert (SCHEMAS / "README.md").is_file()
    for crd_dir in CRD_DIRS:
        assert crd_dir.parent == SCHEMAS
        assert (crd_dir / "PROVENANCE.md").is_file(), f"{crd_dir} has no PROVENANCE.md"
        assert load_crds(crd_dir) and crd_schemas(crd_dir)
        lines = (crd_dir / "SHA256SUMS").read_text().splitlines()
        sums = {name: digest for digest, name in (line.split() for line in lines)}
        files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in crd_dir.glob("*.yaml")}
        assert sums == files, f"{crd_dir}: files differ from SHA256SUMS (update PROVENANCE.md)"
    assert TARGET_GROUP_BINDING in crd_schemas(LOAD_BALANCER_CONTROLLER_CRDS)


def test_a_missing_schema_fails_loudly(tmp_path) -> None:
    with pytest.raises(SchemaError, match="is missing"):
        load_crds(tmp_path / "nowhere")
    with pytest.raises(SchemaError, match="is missing"):
        ManifestValidator(crd_dirs=[FLUX_CRDS, tmp_path / "nowhere"])
    with pytest.raises(SchemaError, match=r"no \*\.yaml CRD file"):
        crd_schemas(tmp_path)
    (tmp_path / "not-a-crd.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(SchemaError, match="holds no CustomResourceDefinition"):
        load_crds(tmp_path)
    with pytest.raises(SchemaError, match="no CRD schema folder"):
        ManifestValidator(crd_dirs=[])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_namespaced_object_names_its_namespace(env: str) -> None:
    missing = [
        describe(o)
        for o in cluster_objects(env)
        if o["kind"] not in CLUSTER_SCOPED_KINDS and not o["metadata"].get("namespace")
    ]
    assert not missing, f"would land in the default namespace: {missing}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_object_is_applied_twice(env: str) -> None:
    seen: dict[tuple[str, str, str, str], str] = {}
    for a in applied(env):
        for obj in a.objects:
            owner = seen.setdefault(key(obj), a.kustomization.name)
            assert owner == a.kustomization.name, (
                f"{describe(obj)}: {owner} and {a.kustomization.name}"
            )


def _deployment(**container_extra: object) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i", **container_extra}]},
            },
        },
    }


def _payments_release(env: str = "test") -> Obj:
    return copy.deepcopy(find(cluster_objects(env), "HelmRelease", "payments", "payments"))


def test_validator_rejects_unknown_fields_in_core_objects(validator: ManifestValidator) -> None:
    assert validator.errors(_deployment()) == []
    errors = validator.errors(_deployment(imagePullPolicyy="Always"))
    assert len(errors) == 1 and "imagePullPolicyy" in errors[0]
    bad_type = _deployment()
    bad_type["spec"]["replicas"] = "2"
    assert validator.errors(bad_type)


def test_validator_rejects_removed_kubernetes_api_versions(validator: ManifestValidator) -> None:
    pdb = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "x", "namespace": "x"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"a": "b"}}},
    }
    assert "not served by Kubernetes" in " ".join(validator.errors(pdb))
    pdb["apiVersion"] = "policy/v1"
    assert validator.errors(pdb) == []


def test_validator_rejects_unknown_fields_and_old_versions_of_flux_kinds(
    validator: ManifestValidator,
) -> None:
    release = _payments_release()
    assert validator.errors(release) == []

    typo = copy.deepcopy(release)
    typo["spec"]["chart"]["spec"]["verison"] = "1.x"
    assert any("verison" in e for e in validator.errors(typo))

    old = copy.deepcopy(release)
    old["apiVersion"] = "helm.toolkit.fluxcd.io/v2beta1"
    assert any("not served by the CRDs in schemas/flux" in e for e in validator.errors(old))

    bad_metadata = copy.deepcopy(release)
    bad_metadata["metadata"]["labelz"] = {}
    assert validator.errors(bad_metadata)

    # Chart values are free-form for the Flux schema (x-kubernetes-preserve-unknown-fields).
    free = copy.deepcopy(release)
    free["spec"]["values"]["anything"] = {"goes": True}
    assert validator.errors(free) == []

    ks = copy.deepcopy(cluster_kustomizations("test")[0].obj)
    del ks["spec"]["prune"]
    assert any("prune" in e for e in validator.errors(ks))


def test_validator_checks_target_group_bindings_against_the_upstream_crd(
    validator: ManifestValidator,
) -> None:
    tgb = copy.deepcopy(find(cluster_objects("test"), "TargetGroupBinding", "payments", "payments"))
    assert validator.errors(tgb) == []
    assert validator.schema_source(*TARGET_GROUP_BINDING) == (
        "schemas/aws-load-balancer-controller/elbv2.k8s.aws_targetgroupbindings.yaml"
    )
    wrong_type = copy.deepcopy(tgb)
    wrong_type["spec"]["targetType"] = "pod"
    assert any("targetType" in e for e in validator.errors(wrong_type))
    unknown = copy.deepcopy(tgb)
    unknown["spec"]["serviceRef"]["namespace"] = "payments"
    assert any("namespace" in e for e in validator.errors(unknown))
    no_port = copy.deepcopy(tgb)
    del no_port["spec"]["serviceRef"]["port"]
    assert any("port" in e for e in validator.errors(no_port))
    bad_protocol = copy.deepcopy(tgb)
    bad_protocol["spec"]["networking"]["ingress"][0]["ports"][0]["protocol"] = "HTTP"
    assert validator.errors(bad_protocol)
    unserved = copy.deepcopy(tgb)
    unserved["apiVersion"] = "elbv2.k8s.aws/v1"
    unserved_by = "not served by the CRDs in schemas/aws-load-balancer-controller"
    assert any(unserved_by in e for e in validator.errors(unserved))
    # The CRD leaves "a target group by ARN or by name" to the controller's webhook; the fleet's
    # own ARN is checked against the ConfigMap in test_payments_is_wired_to_aws.


def test_validator_rejects_kinds_it_has_no_schema_for(validator: ManifestValidator) -> None:
    obj = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x", "namespace": "x"},
        "spec": {},
    }
    assert any("no schema" in e for e in validator.errors(obj))


# ------------------------------------------------------------------------------------------
# Substitution and the environment ConfigMap contract (R21)


def test_substitution_follows_flux_semantics() -> None:
    values = {"SET": "value", "EMPTY": "", "PORT": "3306", "quote": '"'}
    assert substitute("${SET}", values) == "value"
    assert substitute("${MISSING}", values) == ""
    assert substitute("${MISSING:=fallback}", values) == "fallback"
    assert substitute("${EMPTY:=fallback}", values) == "fallback"
    assert substitute("${EMPTY=fallback}", values) == ""
    assert substitute("${SET:=fallback}", values) == "value"
    assert substitute("$${SET} and $(K8S_VAR)", values) == "${SET} and $(K8S_VAR)"
    # Types come from the substituted YAML, as in Flux: numbers need the quote variable.
    doc = "a: ${PORT}\nb: ${quote}${PORT}${quote}\nc: ${N:=2}\n"
    assert yaml.safe_load(substitute(doc, values)) == {"a": 3306, "b": "3306", "c": 2}
    disabled = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations:\n"
        "    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  a: ${SET}\n"
    )
    assert substitute_objects(disabled, values)[0]["data"]["a"] == "${SET}"


def test_contract_check_flags_variables_without_key_or_default() -> None:
    text = "a: ${CLUSTER_NAME}\nb: ${NOT_A_KEY}\nc: ${ALSO_NOT:=fine}\n"
    assert undeclared_variables(text, envmap.COMMON_KEYS) == ["${NOT_A_KEY}"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_variable_is_a_key_of_the_environment_configmap(env: str) -> None:
    keys = environment_keys(env)
    assert keys == set(placeholder_environment(env))
    problems = []
    for a in applied(env):
        allowed = keys | set(a.kustomization.inline_vars)
        problems += [
            f"{a.kustomization.path}: {v}" for v in undeclared_variables(a.raw_text, allowed)
        ]
    assert not problems, f"not in the {env} environment ConfigMap and no default: {problems}"


def test_local_environment_keys_are_the_common_keys_only() -> None:
    assert environment_keys("local") == set(envmap.COMMON_KEYS)
    for env in CLOUD_ENVIRONMENTS:
        assert set(envmap.CLOUD_KEYS) <= environment_keys(env)
        assert "PAYMENTS_ROLE_ARN" in environment_keys(env)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_kustomization_substitutes_from_the_environment_configmap(env: str) -> None:
    for ks in cluster_kustomizations(env):
        assert ks.namespace == envmap.CONFIGMAP_NAMESPACE, ks.name
        assert ks.substitute_from == (("ConfigMap", envmap.CONFIGMAP_NAME),), ks.name
        assert ks.inline_vars == {"quote": '"'}, ks.name
        assert substitution_values(env, ks)["ENVIRONMENT"] == env


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_substitution_leaves_no_variable_and_keeps_types(env: str) -> None:
    for obj in cluster_objects(env):
        for path, value in walk(obj):
            assert not (isinstance(value, str) and "${" in value), (
                f"{describe(obj)} {path}: {value}"
            )
    env_values = _payments_release(env)["spec"]["values"]["env"]
    assert env_values["DB_PORT"] == "3306"
    assert env_values["DB_HOST"] == placeholder_environment(env)["RDS_ENDPOINT"]
    assert env_values["ENVIRONMENT"] == env


# ------------------------------------------------------------------------------------------
# Flux Kustomizations: settings and ordering (R2, R20)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_kustomization_settings(env: str) -> None:
    for ks in cluster_kustomizations(env):
        spec = ks.obj["spec"]
        assert spec["sourceRef"] == ROOT_SOURCE, ks.name
        assert spec["prune"] is True, ks.name
        assert spec.get("wait") is True or spec.get("healthChecks"), ks.name
        for field in ("interval", "timeout", "retryInterval"):
            assert re.fullmatch(r"\d+[smh]", spec[field]), f"{ks.name}.{field}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_dependency_graph_is_complete_and_acyclic(env: str) -> None:
    kustomizations = {ks.name: ks for ks in cluster_kustomizations(env)}
    graph = {name: set(ks.depends_on) for name, ks in kustomizations.items()}
    for name, deps in graph.items():
        assert deps <= kustomizations.keys(), (
            f"{name} depends on unknown {deps - kustomizations.keys()}"
        )
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as e:  # pragma: no cover - only on a broken fleet
        pytest.fail(f"dependency cycle: {e.args[1]}")


def _ancestors(env: str, name: str) -> set[str]:
    deps = {ks.name: set(ks.depends_on) for ks in cluster_kustomizations(env)}
    seen: set[str] = set()
    todo = list(deps[name])
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(deps[n])
    return seen


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_cloud_apps_wait_only_for_what_they_need(env: str) -> None:
    """The apps need the classes (configs) and the Load Balancer Controller (its CRDs and the
    webhook injecting readiness gates); one failing controller elsewhere must not block them."""
    by_path = {ks.path: ks.name for ks in cluster_kustomizations(env)}
    controllers = {n for p, n in by_path.items() if p.startswith("infrastructure/controllers/")}
    assert controllers == {
        "cert-manager",
        "aws-load-balancer-controller",
        "external-dns",
        "bottlerocket-update-operator",
        "cluster-autoscaler",
        "metrics-server",
    }
    configs = by_path["infrastructure/configs/cloud"]
    apps = by_path[f"apps/{env}"]
    assert _ancestors(env, configs) == set()
    assert _ancestors(env, apps) == {configs, "aws-load-balancer-controller"}
    assert "cert-manager" in _ancestors(env, "bottlerocket-update-operator")


def test_local_order_is_configs_then_data_then_apps() -> None:
    by_path = {ks.path: ks.name for ks in cluster_kustomizations("local")}
    assert not [p for p in by_path if p.startswith("infrastructure/controllers/")]
    assert _ancestors("local", by_path["apps/local"]) == {
        by_path["infrastructure/local-data"],
        by_path["infrastructure/configs/local"],
    }


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_oci_source_patch_of_the_gitops_stack_keeps_kustomizations_valid(
    env: str, validator: ManifestValidator
) -> None:
    """With an OCI source the gitops stack patches /spec/sourceRef/kind of every Kustomization
    of clusters/<env> to OCIRepository (same name): the result must still be valid."""
    for ks in cluster_kustomizations(env):
        patched = copy.deepcopy(ks.obj)
        for op in OCI_SOURCE_PATCH:
            assert op["op"] == "replace" and op["path"] == "/spec/sourceRef/kind"
            patched["spec"]["sourceRef"]["kind"] = op["value"]
        assert validator.errors(patched) == [], ks.name
        assert patched["spec"]["sourceRef"] == {"kind": "OCIRepository", "name": "flux-system"}


# ------------------------------------------------------------------------------------------
# Cloud versus local (R22, R23) and test versus prod (R1, R20)


def test_local_cluster_has_no_aws_component() -> None:
    findings = aws_only_findings(cluster_objects("local"))
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_cloud_clusters_run_the_aws_components(env: str) -> None:
    findings = "\n".join(aws_only_findings(cluster_objects(env)))
    for chart in AWS_ONLY_CHARTS:
        assert f"AWS component chart {chart}" in findings
    for expected in (
        "EBS StorageClass",
        "TargetGroupBinding payments/payments",
        "ALB Ingress",
        "cloud load balancer Service",
        "AWS-only key eks.amazonaws.com/role-arn",
        "AWS-only key alb.ingress.kubernetes.io/group.name",
        "source authenticated with AWS",
    ):
        assert expected in findings, expected


def _normalised(env: str) -> dict[tuple[str, str, str, str], Obj]:
    """The platform of ``env``. Ephemeral development environments (labelled Flux
    Kustomizations from clusters/<env>/dev-environments) are left out on purpose: they are
    per-developer and exist in test only, so they are not an overlay of prod; their content is
    never part of cluster_objects and tests/test_fleet_ephemeral.py checks them."""
    return normalise_environment(
        (o for o in cluster_objects(env, raw=True) if not is_dev_environment(o)), env
    )


def test_test_and_prod_differ_only_in_overlay_values() -> None:
    problems, differences = overlay_differences(_normalised("test"), _normalised("prod"))
    assert not problems, "\n".join(problems)
    changed = {(d.object, d.path) for d in differences}
    assert ("HelmRelease payments/payments", "spec.chart.spec.version") in changed
    assert ("HelmRelease payments/payments", "spec.values.replicaCount") in changed


def test_overlay_comparison_catches_structural_differences() -> None:
    test, prod = _normalised("test"), _normalised("prod")
    tampered = copy.deepcopy(prod)
    release = next(o for o in tampered.values() if describe(o) == "HelmRelease payments/payments")
    release["spec"]["values"]["env"]["EXTRA"] = "prod-only"
    problems, _ = overlay_differences(test, tampered)
    assert any("EXTRA" in p for p in problems)

    tampered = copy.deepcopy(prod)
    cache = next(
        o for o in tampered.values() if describe(o) == "StatefulSet payments/payments-cache"
    )
    cache["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/other/image:8.1-alpine"
    problems, _ = overlay_differences(test, tampered)
    assert any(".image" in p for p in problems)

    tampered = copy.deepcopy(prod)
    tampered.pop(next(iter(tampered)))
    problems, _ = overlay_differences(test, tampered)
    assert any("only in the first environment" in p for p in problems)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_apps_use_the_same_namespaces_and_service_names_everywhere(env: str) -> None:
    objects = cluster_objects(env)
    assert find(objects, "Namespace", "payments")
    assert find(objects, "HelmRelease", "payments", "payments")
    assert find(objects, "Service", "payments-cache", "payments")


def test_local_data_services_replace_rds_and_opensearch() -> None:
    objects = cluster_objects("local")
    local = placeholder_environment("local")
    endpoints = (
        ("mariadb", local["RDS_ENDPOINT"]),
        ("opensearch", local["OPENSEARCH_ENDPOINT"].split("//")[1].split(":")[0]),
    )
    for name, host in endpoints:
        service = find(objects, "Service", name, "platform-data")
        statefulset = find(objects, "StatefulSet", name, "platform-data")
        assert selector_matches(
            {"matchLabels": service["spec"]["selector"]},
            statefulset["spec"]["template"]["metadata"]["labels"],
        )
        assert host == f"{name}.platform-data.svc.cluster.local"
    mariadb = find(objects, "StatefulSet", "mariadb", "platform-data")
    env_vars = {e["name"]: e for e in mariadb["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert set(env_vars) == {"MARIADB_ROOT_PASSWORD"}
    assert "secretKeyRef" in env_vars["MARIADB_ROOT_PASSWORD"]["valueFrom"]
    # The services' databases and users come from the database-users Job, for every service
    # the ConfigMap lists, with the administrator password of the same Secret.
    job = find(objects, "Job", "database-users", "platform-data")
    [container] = job["spec"]["template"]["spec"]["containers"]
    job_env = {e["name"]: e for e in container["env"]}
    assert job_env["DATABASE_SERVICES"]["value"] == local["DATABASE_SERVICES"] == "payments"
    assert job_env["MYSQL_PWD"]["valueFrom"] == env_vars["MARIADB_ROOT_PASSWORD"]["valueFrom"]
    for env in CLOUD_ENVIRONMENTS:
        assert not [
            o for o in cluster_objects(env) if o["metadata"].get("namespace") == "platform-data"
        ]


# ------------------------------------------------------------------------------------------
# Helm releases (R3, R4)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_helm_releases_pin_semver_ranges_and_resolve_their_sources(env: str) -> None:
    objects = cluster_objects(env)
    releases = of_kind(objects, "HelmRelease")
    assert releases
    for release in releases:
        ns = release["metadata"]["namespace"]
        chart = release["spec"]["chart"]["spec"]
        source = helm_release_source(release)
        if source["kind"] == "GitRepository":
            assert env == "local", f"{describe(release)}: Git charts are for the local cluster only"
            assert source == {
                "kind": "GitRepository",
                "name": "flux-system",
                "namespace": "flux-system",
            }
            assert (FLEET / chart["chart"] / "Chart.yaml").is_file()
            continue
        assert source["kind"] == "HelmRepository", describe(release)
        assert SEMVER_RANGE.match(chart.get("version", "")), (
            f"{describe(release)}: {chart.get('version')}"
        )
        find(objects, "HelmRepository", source["name"], source.get("namespace", ns))


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_aws_components_come_from_their_upstream_chart_repositories(env: str) -> None:
    objects = cluster_objects(env)
    for release in of_kind(objects, "HelmRelease"):
        chart = release["spec"]["chart"]["spec"]["chart"]
        if chart in UPSTREAM_CHARTS:
            source = helm_release_source(release)
            repo = find(objects, "HelmRepository", source["name"], release["metadata"]["namespace"])
            assert repo["spec"]["url"] == UPSTREAM_CHARTS[chart], chart


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_aws_controllers_get_everything_from_the_environment_not_imds(env: str) -> None:
    raw = cluster_objects(env, raw=True)
    lbc = find(raw, "HelmRelease", "aws-load-balancer-controller", "kube-system")["spec"]["values"]
    assert (lbc["clusterName"], lbc["region"], lbc["vpcId"]) == (
        "${CLUSTER_NAME}",
        "${AWS_REGION}",
        "${VPC_ID}",
    )
    assert lbc["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "${AWS_LOAD_BALANCER_CONTROLLER_ROLE_ARN}"
    }
    dns = find(raw, "HelmRelease", "external-dns", "external-dns")["spec"]["values"]
    assert dns["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "${EXTERNAL_DNS_ROLE_ARN}"
    }
    assert dns["domainFilters"] == ["${DOMAIN}"]
    assert "--zone-id-filter=${HOSTED_ZONE_ID}" in dns["extraArgs"]
    assert dns["policy"] in {"sync", "upsert-only"} and dns["txtOwnerId"] == "${CLUSTER_NAME}"
    brupop = find(raw, "HelmRelease", "bottlerocket-update-operator", "brupop-bottlerocket-aws")
    assert brupop["spec"]["values"]["max_concurrent_updates"] == "1"


def _chart_defaults() -> Obj:
    return yaml.safe_load((CHART_DIR / "values.yaml").read_text())


def _chart_schema_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(
        yaml.safe_load((CHART_DIR / "values.schema.json").read_text())
    )


def _chart_errors(values: Obj) -> list[str]:
    return [
        e.message
        for e in _chart_schema_validator().iter_errors(deep_merge(_chart_defaults(), values))
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_payments_values_satisfy_the_chart_schema(env: str) -> None:
    """Helm validates the merged values against values.schema.json on install; so do we."""
    assert _chart_errors({}) == []
    assert _chart_errors(_payments_release(env)["spec"]["values"]) == []


def test_chart_schema_rejects_typos_and_wrong_types() -> None:
    assert _chart_errors({"replicaCont": 2})
    assert _chart_errors({"env": {"DB_PORT": 3306}})  # an unquoted substituted number
    assert _chart_errors({"topologySpread": {"zone": "Sometimes"}})


def test_chart_templates_use_only_declared_values() -> None:
    defaults = _chart_defaults()
    used = set()
    for template in (CHART_DIR / "templates").iterdir():
        used |= set(re.findall(r"\.Values\.([A-Za-z0-9_.]+)", template.read_text()))
    assert used
    for dotted in used:
        node = defaults
        for part in dotted.split("."):
            assert isinstance(node, dict) and part in node, (
                f".Values.{dotted} is not in values.yaml"
            )
            node = node[part]


# ------------------------------------------------------------------------------------------
# payments: the whole pattern of a microservice


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_payments_is_wired_to_aws(env: str) -> None:
    raw, objects = cluster_objects(env, raw=True), cluster_objects(env)
    values = placeholder_environment(env)

    release = find(raw, "HelmRelease", "payments", "payments")
    source = helm_release_source(release)
    repo = find(raw, "HelmRepository", source["name"], source["namespace"])
    assert repo["spec"] | {"interval": None} == {
        "type": "oci",
        "provider": "aws",
        "url": "${HELM_OCI_REPOSITORY}",
        "interval": None,
    }
    assert release["spec"]["values"]["image"]["repository"] == "${ECR_REGISTRY}/payments"

    sa = find(objects, "ServiceAccount", "payments", "payments")
    assert (
        sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == values["PAYMENTS_ROLE_ARN"]
    )
    assert release["spec"]["values"]["serviceAccountName"] == "payments"

    tgb = find(objects, "TargetGroupBinding", "payments", "payments")["spec"]
    assert tgb["targetType"] == "ip"
    assert tgb["targetGroupARN"] == values["PAYMENTS_TARGET_GROUP_ARN"]
    assert tgb["serviceRef"] == {"name": "payments", "port": 80}
    assert tgb["networking"]["ingress"][0]["from"] == [
        {"securityGroup": {"groupID": values["ALB_SECURITY_GROUP_ID"]}}
    ]

    ingress = find(objects, "Ingress", "payments-internal", "payments")
    notes = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert notes["alb.ingress.kubernetes.io/group.name"] == values["INGRESS_GROUP_NAME"]
    assert notes["alb.ingress.kubernetes.io/certificate-arn"] == values["CERTIFICATE_ARN"]
    assert yaml.safe_load(notes["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
    assert notes["alb.ingress.kubernetes.io/target-type"] == "ip"

    nlb = find(objects, "Service", "payments-nlb", "payments")
    notes = nlb["metadata"]["annotations"]
    assert nlb["spec"]["type"] == "LoadBalancer"
    assert notes["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"
    assert notes["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "ip"
    assert notes["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert nlb["spec"]["selector"] == PAYMENTS_LABELS
    assert nlb["spec"]["loadBalancerSourceRanges"] == [values["VPC_CIDR"]]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_payments_survives_node_rotation(env: str) -> None:
    """R7/R8: zone spread, a PodDisruptionBudget and an essential priority."""
    objects = cluster_objects(env)
    values = _payments_release(env)["spec"]["values"]
    assert values["priorityClassName"] == "landfall-essential"
    assert values["topologySpread"]["zone"] in {"ScheduleAnyway", "DoNotSchedule"}
    pdbs = [
        p
        for p in of_kind(objects, "PodDisruptionBudget")
        if selector_matches(p["spec"]["selector"], PAYMENTS_LABELS)
    ]
    assert len(pdbs) == 1 and pdbs[0]["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": PAYMENTS_LABELS},
    }


def test_each_environment_sets_its_payments_version_in_one_line() -> None:
    for env in CLOUD_ENVIRONMENTS:
        overlay = (FLEET / "apps" / env / "payments.yaml").read_text()
        versions = re.findall(r'^\s+version: "(\d+\.\d+\.x)"$', overlay, flags=re.MULTILINE)
        assert len(versions) == 1, f"apps/{env}/payments.yaml must hold exactly one version range"
        assert _payments_release(env)["spec"]["chart"]["spec"]["version"] == versions[0]


# ------------------------------------------------------------------------------------------
# Cluster configuration: priorities, storage, stateful workloads, network policy, secrets


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_priority_classes(env: str) -> None:
    classes = {p["metadata"]["name"]: p for p in of_kind(cluster_objects(env), "PriorityClass")}
    assert set(classes) == set(LANDFALL_PRIORITY_CLASSES)
    values = [classes[n]["value"] for n in LANDFALL_PRIORITY_CLASSES]
    assert values == sorted(values, reverse=True) and len(set(values)) == 3
    defaults = [n for n, p in classes.items() if p.get("globalDefault")]
    assert defaults == ["landfall-normal"]
    assert classes["landfall-best-effort"]["preemptionPolicy"] == "Never"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_pod_names_an_existing_priority_class(env: str) -> None:
    objects = cluster_objects(env)
    known = {p["metadata"]["name"] for p in of_kind(objects, "PriorityClass")}
    known |= {"system-cluster-critical", "system-node-critical"}
    for obj in objects:
        for pod in pod_templates(obj):
            assert pod.get("priorityClassName") in known, describe(obj)
    for release in of_kind(objects, "HelmRelease"):
        for path, value in walk(release["spec"].get("values", {})):
            if path and path[-1] == "priorityClassName":
                assert value in known, f"{describe(release)}: {value}"


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_default_storage_class_is_encrypted_gp3(env: str) -> None:
    classes = of_kind(cluster_objects(env), "StorageClass")
    default = [
        c
        for c in classes
        if (c["metadata"].get("annotations") or {}).get(
            "storageclass.kubernetes.io/is-default-class"
        )
        == "true"
    ]
    assert len(default) == 1
    sc = default[0]
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"]["type"] == "gp3"
    assert sc["parameters"]["encrypted"] == "true"
    assert sc["parameters"]["kmsKeyId"] == placeholder_environment(env)["EBS_KMS_KEY_ARN"]
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["allowVolumeExpansion"] is True


def _spread(pod: Obj, key_: str) -> list[Obj]:
    return [c for c in pod.get("topologySpreadConstraints", []) if c["topologyKey"] == key_]


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_statefulsets_spread_over_zones_and_have_a_pdb(env: str) -> None:
    """R7: every StatefulSet of a cloud cluster is spread with DoNotSchedule and protected."""
    objects = cluster_objects(env)
    statefulsets = of_kind(objects, "StatefulSet")
    assert statefulsets
    for sts in statefulsets:
        labels = sts["spec"]["template"]["metadata"]["labels"]
        zone = _spread(sts["spec"]["template"]["spec"], "topology.kubernetes.io/zone")
        assert len(zone) == 1, describe(sts)
        assert zone[0]["whenUnsatisfiable"] == "DoNotSchedule"
        assert selector_matches(zone[0]["labelSelector"], labels)
        assert sts["spec"]["replicas"] >= 3, f"{describe(sts)}: one replica per zone"
        pdbs = [
            p
            for p in of_kind(objects, "PodDisruptionBudget")
            if p["metadata"]["namespace"] == sts["metadata"]["namespace"]
            and selector_matches(p["spec"]["selector"], labels)
        ]
        assert len(pdbs) == 1 and pdbs[0]["spec"].get("maxUnavailable") == 1, describe(sts)


def test_local_cache_spreads_by_node_because_kind_has_no_zones() -> None:
    cache = find(cluster_objects("local"), "StatefulSet", "payments-cache", "payments")
    pod = cache["spec"]["template"]["spec"]
    assert not _spread(pod, "topology.kubernetes.io/zone")
    assert _spread(pod, "kubernetes.io/hostname")[0]["whenUnsatisfiable"] == "DoNotSchedule"


def _policies(objects: list[Obj], namespace: str) -> list[Obj]:
    return [p for p in of_kind(objects, "NetworkPolicy") if p["metadata"]["namespace"] == namespace]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_workload_namespaces_deny_by_default_and_allow_dns(env: str) -> None:
    objects = cluster_objects(env)
    namespaces = workload_namespaces(objects)
    assert "payments" in namespaces
    for ns in namespaces:
        policies = _policies(objects, ns)
        deny = [
            p
            for p in policies
            if p["spec"]["podSelector"] == {}
            and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress")
            and not p["spec"].get("egress")
        ]
        assert deny, f"{ns}: no default-deny policy"
        dns = [
            rule
            for p in policies
            for rule in p["spec"].get("egress", [])
            if {"protocol": "UDP", "port": 53} in rule.get("ports", [])
        ]
        assert dns, f"{ns}: pods cannot resolve names"
        for p in policies:
            for rule in p["spec"].get("ingress", []):
                for peer in rule.get("from", []):
                    assert peer.get("ipBlock", {}).get("cidr") != "0.0.0.0/0", describe(p)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_secret_values_in_git(env: str) -> None:
    objects = cluster_objects(env)
    assert not of_kind(objects, "Secret")
    for obj in objects:
        for pod in pod_templates(obj):
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                for var in container.get("env", []):
                    if SECRET_NAME.search(var["name"]) and var["name"] not in SECRET_FLAGS:
                        assert "valueFrom" in var, f"{describe(obj)}: {var['name']} is a literal"
    for release in of_kind(objects, "HelmRelease"):
        env_values = (release["spec"].get("values") or {}).get("env") or {}
        # A chart's env is either a name -> value map or a list of Kubernetes EnvVars.
        literals = (
            list(env_values)
            if isinstance(env_values, dict)
            else [v["name"] for v in env_values if "valueFrom" not in v]
        )
        for name in literals:
            assert not SECRET_NAME.search(name), f"{describe(release)}: {name} is a literal"
    for kustomization in FLEET.rglob("kustomization.yaml"):
        assert "secretGenerator" not in kustomization.read_text(), kustomization


# ------------------------------------------------------------------------------------------
# The documentation lists what each cluster runs (R20)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_docs_list_every_chart_version_and_image(env: str) -> None:
    docs = DOCS.read_text()
    rows = [line for line in docs.splitlines() if line.startswith("|")]
    for release in of_kind(cluster_objects(env, raw=True), "HelmRelease"):
        chart = release["spec"]["chart"]["spec"]
        name = chart["chart"].rsplit("/", 1)[-1]
        version = (
            chart.get("version")
            or yaml.safe_load((FLEET / chart["chart"] / "Chart.yaml").read_text())["version"]
        )
        assert any(f"`{name}`" in row and f"`{version}`" in row for row in rows), (
            f"docs/fleet.md: {name} {version}"
        )
        image = release["spec"]["values"].get("image", {})
        if isinstance(image, str):  # the whole reference (the update operator's chart)
            assert f"`{image}`" in docs
        elif image.get("tag"):
            assert f"`{image['repository']}:{image['tag']}`" in docs
    for obj in cluster_objects(env, raw=True):
        for pod in pod_templates(obj):
            for container in pod.get("containers", []):
                assert f"`{container['image']}`" in docs, f"docs/fleet.md: {container['image']}"


def test_the_kind_cluster_pins_a_node_image_of_the_cloud_clusters_minor() -> None:
    kind_file = FLEET / "clusters" / "local" / "kind-cluster.yaml"
    cluster = yaml.safe_load(kind_file.read_text())
    [node] = cluster["nodes"]
    image, _, digest = node["image"].partition("@sha256:")
    assert len(digest) == 64 and int(digest, 16) >= 0
    version = image.split(":v")[1]
    for env in CLOUD_ENVIRONMENTS:
        expected = read_config_file(config_file(env))["landfall:cluster"]["kubernetesVersion"]
        assert version.startswith(f"{expected}."), (env, version)
    text = kind_file.read_text()
    kind_release = re.search(r"kind v0\.(\d+)\.\d+", text)
    assert kind_release and int(kind_release.group(1)) >= 28
    for doc in ("user-guide.md", "gitops.md"):
        assert (
            "--config fleet/clusters/local/kind-cluster.yaml"
            in (FLEET.parent / "docs" / doc).read_text()
        )
