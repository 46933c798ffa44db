"""Ephemeral per-namespace development environments in the cloud (R23, second half).

``fleet/environments/ephemeral`` is the template: payments plus its own MariaDB and OpenSearch
(the local cluster's manifests), built by one Flux Kustomization per environment into the
namespace ``dev-<name>``. ``fleet/clusters/test/dev-environments/dev-alice.yaml`` is the example
instance (not listed, so not applied); every instance a cluster does list is checked too. The
machinery (build with ``targetNamespace``, substitution, strict validation) is the one of
tests/test_fleet.py, see tests/fleet_support.py.
"""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from fleet_support import (
    CLUSTER_SCOPED_KINDS,
    DEV_ENVIRONMENT_LABEL,
    DEV_ENVIRONMENTS_DIR,
    DOCS,
    EPHEMERAL_LABEL,
    EPHEMERAL_TEMPLATE,
    FLEET,
    OCI_SOURCE_PATCH,
    ROOT_SOURCE,
    Applied,
    FluxKustomization,
    ManifestValidator,
    Obj,
    apply_kustomization,
    aws_only_findings,
    cluster_kustomizations,
    cluster_objects,
    cluster_root,
    describe,
    dev_environments,
    environment_keys,
    find,
    is_dev_environment,
    kustomize_build,
    load_objects,
    normalise_environment,
    overlay_differences,
    pod_templates,
    selector_matches,
    undeclared_variables,
    walk,
)

from landfall.logic import envmap

# One worker runs this file's tests: its module fixtures are made once (pytest-xdist).
pytestmark = pytest.mark.xdist_group("fleet-build")

CLUSTER = "test"  # the cloud cluster that hosts development environments
EXAMPLE = FLEET / cluster_root(CLUSTER) / DEV_ENVIRONMENTS_DIR / "dev-alice.yaml"
BEST_EFFORT = "landfall-best-effort"
# Namespaces a development environment must never write to.
SHARED_NAMESPACES = frozenset({"payments", "platform-data", "flux-system", "kube-system"})
DEV_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,50}[a-z0-9])?$")
DATA_STORES = ("mariadb", "opensearch")


def example() -> FluxKustomization:
    return FluxKustomization.from_object(yaml.safe_load(EXAMPLE.read_text()))


def instances() -> list[FluxKustomization]:
    """The example plus every development environment the test cluster lists."""
    listed = [ks for ks in dev_environments(CLUSTER) if ks.name != example().name]
    return [example(), *listed]


INSTANCES = pytest.mark.parametrize("ks", instances(), ids=lambda ks: ks.name)


@pytest.fixture(scope="module")
def validator() -> ManifestValidator:
    return ManifestValidator()


def built(ks: FluxKustomization) -> Applied:
    return apply_kustomization(CLUSTER, ks)


def namespace_escapes(objects: list[Obj], namespace: str) -> list[str]:
    """Everything that would write outside ``namespace``: a namespaced object elsewhere, a
    cluster-scoped object other than the namespace itself, a HelmRelease installing or storing
    elsewhere, a nested Flux Kustomization, a RoleBinding subject in another namespace."""
    found = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        where = describe(obj)
        if obj.get("kind") in CLUSTER_SCOPED_KINDS:
            if (obj["kind"], meta.get("name")) != ("Namespace", namespace):
                found.append(f"{where}: cluster-scoped")
        elif meta.get("namespace") != namespace:
            found.append(f"{where}: namespace {meta.get('namespace')!r}")
        if obj.get("kind") == "HelmRelease":
            for field in ("targetNamespace", "storageNamespace"):
                if spec.get(field, namespace) != namespace:
                    found.append(f"{where}: spec.{field} {spec[field]}")
        if obj.get("kind") == "Kustomization" and "fluxcd.io" in obj.get("apiVersion", ""):
            found.append(f"{where}: nested Flux Kustomization")
        if obj.get("kind") in {"RoleBinding", "ClusterRoleBinding"}:
            for subject in obj.get("subjects") or []:
                if subject.get("namespace", namespace) != namespace:
                    found.append(f"{where}: subject in {subject['namespace']}")
    return found


# ------------------------------------------------------------------------------------------
# The template and its instances


def test_template_builds_and_is_pinned_to_a_dev_namespace() -> None:
    objects = load_objects(kustomize_build(EPHEMERAL_TEMPLATE))
    assert objects
    # Without targetNamespace every object still lands in dev-${DEV_ENV} (an unset DEV_ENV
    # gives "dev-", which the API server rejects), never in payments.
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {
        "dev-${DEV_ENV}"
    }
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"] == [
        "dev-${DEV_ENV}"
    ]


def test_example_is_not_applied_by_default() -> None:
    """The example is a template to copy; the test cluster lists its development environments
    (none by default) in clusters/test/dev-environments, which its entry point includes."""
    root = FLEET / cluster_root(CLUSTER)
    entry = yaml.safe_load((root / "kustomization.yaml").read_text())
    assert DEV_ENVIRONMENTS_DIR in entry["resources"]
    listing = yaml.safe_load((root / DEV_ENVIRONMENTS_DIR / "kustomization.yaml").read_text())
    assert EXAMPLE.name not in listing["resources"]
    assert example().name not in {ks.name for ks in dev_environments(CLUSTER)}
    # Every file listed there is a development environment, nothing else.
    listed = load_objects(kustomize_build(f"{cluster_root(CLUSTER)}/{DEV_ENVIRONMENTS_DIR}"))
    assert all(is_dev_environment(o) for o in listed)
    assert len(listed) == len(dev_environments(CLUSTER))


@pytest.mark.parametrize("env", ["local", "prod"])
def test_development_environments_run_in_test_only(env: str) -> None:
    assert dev_environments(env) == ()
    assert not (FLEET / cluster_root(env) / DEV_ENVIRONMENTS_DIR).exists()


@INSTANCES
def test_instance_settings(ks: FluxKustomization) -> None:
    spec = ks.obj["spec"]
    name = ks.inline_vars["DEV_ENV"]
    assert DEV_NAME.fullmatch(name), f"DEV_ENV {name!r}: a lowercase DNS label"
    assert ks.name == ks.target_namespace == f"dev-{name}"
    assert ks.namespace == envmap.CONFIGMAP_NAMESPACE
    assert ks.obj["metadata"]["labels"] == {EPHEMERAL_LABEL: "true"}
    assert ks.path == EPHEMERAL_TEMPLATE and spec["path"] == f"./{EPHEMERAL_TEMPLATE}"
    assert spec["sourceRef"] == ROOT_SOURCE
    assert spec["prune"] is True and spec["wait"] is True
    assert ks.substitute_from == (("ConfigMap", envmap.CONFIGMAP_NAME),)
    assert ks.inline_vars == {"quote": '"', "DEV_ENV": name}
    platform = {k.name for k in cluster_kustomizations(CLUSTER)}
    assert set(ks.depends_on) == {"infra-configs"} <= platform
    assert ks.name not in platform


def test_instances_do_not_share_a_namespace() -> None:
    namespaces = [ks.target_namespace for ks in instances()]
    assert len(namespaces) == len(set(namespaces))


@INSTANCES
def test_everything_validates(ks: FluxKustomization, validator: ManifestValidator) -> None:
    objects = built(ks).objects
    assert objects, f"{ks.name}: {ks.path} builds to nothing"
    errors = validator.errors(ks.obj)
    errors += [e for obj in objects for e in validator.errors(obj)]
    # Every kind met was checked against a schema (none let through unvalidated).
    unchecked = {(o["apiVersion"], o["kind"]) for o in objects} - set(validator.checked)
    assert not unchecked, f"validated against no schema: {sorted(unchecked)}"
    # The gitops stack's OCI patch applies to these Kustomizations too.
    patched = copy.deepcopy(ks.obj)
    patched["spec"]["sourceRef"]["kind"] = OCI_SOURCE_PATCH[0]["value"]
    errors += validator.errors(patched)
    assert not errors, "\n".join(errors)


@INSTANCES
def test_every_variable_is_declared(ks: FluxKustomization) -> None:
    a = built(ks)
    allowed = environment_keys(CLUSTER) | set(ks.inline_vars)
    assert not undeclared_variables(a.raw_text, allowed)
    assert "${DEV_ENV}" in kustomize_build(EPHEMERAL_TEMPLATE)
    for obj in a.objects:
        for path, value in walk(obj):
            assert not (isinstance(value, str) and "${" in value), f"{describe(obj)} {path}"


def test_an_undeclared_variable_is_caught() -> None:
    text = built(example()).raw_text
    assert undeclared_variables(text, environment_keys(CLUSTER)) == ["${DEV_ENV}"]


# ------------------------------------------------------------------------------------------
# Isolation: one namespace, nothing of AWS


@INSTANCES
def test_everything_lands_in_the_dev_namespace(ks: FluxKustomization) -> None:
    objects = list(built(ks).objects)
    assert not namespace_escapes(objects, ks.target_namespace)
    assert find(objects, "Namespace", ks.target_namespace)
    assert not {o["metadata"].get("namespace") for o in objects} & SHARED_NAMESPACES


def test_namespace_check_catches_objects_pinned_elsewhere() -> None:
    objects = list(built(example()).objects)
    ns = example().target_namespace
    assert namespace_escapes(objects, ns) == []

    pinned = copy.deepcopy(objects)
    find(pinned, "StatefulSet", "mariadb", ns)["metadata"]["namespace"] = "platform-data"
    assert namespace_escapes(pinned, ns) == [
        "StatefulSet platform-data/mariadb: namespace 'platform-data'"
    ]

    shared = [
        *copy.deepcopy(objects),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {}},
    ]
    find(shared, "HelmRelease", "payments", ns)["spec"]["targetNamespace"] = "payments"
    problems = "\n".join(namespace_escapes(shared, ns))
    for expected in ("Namespace payments", "ClusterRole", "spec.targetNamespace payments"):
        assert expected in problems


@INSTANCES
def test_no_aws_only_object(ks: FluxKustomization) -> None:
    """No IRSA, TargetGroupBinding, load balancer, Ingress, AWS source or ARN: the environment
    cannot touch shared AWS resources (the same check the local cluster passes)."""
    objects = list(built(ks).objects)
    findings = aws_only_findings(objects)
    assert not findings, "\n".join(findings)
    assert not [o for o in objects if o["kind"] in {"Ingress", "TargetGroupBinding"}]
    assert not [o for o in objects if (o.get("spec") or {}).get("type") == "LoadBalancer"]


def test_aws_check_catches_the_cloud_wiring() -> None:
    """The check above is not vacuous: payments' cloud objects would fail it."""
    cloud = [o for o in cluster_objects(CLUSTER) if o["metadata"].get("namespace") == "payments"]
    findings = "\n".join(aws_only_findings(cloud))
    assert "TargetGroupBinding payments/payments" in findings
    assert "AWS-only key eks.amazonaws.com/role-arn" in findings


@INSTANCES
def test_network_stays_in_the_namespace(ks: FluxKustomization) -> None:
    """Default deny, same-namespace traffic and DNS only: no peer namespace but CoreDNS's."""
    policies = [o for o in built(ks).objects if o["kind"] == "NetworkPolicy"]
    assert {p["metadata"]["name"] for p in policies} == {
        "default-deny",
        "allow-same-namespace",
        "allow-dns",
    }
    for policy in policies:
        for path, value in walk(policy["spec"]):
            if path and path[-1] == "namespaceSelector":
                assert value == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
            if path and path[-1] == "ipBlock":
                pytest.fail(f"{describe(policy)}: ipBlock {value}")


# ------------------------------------------------------------------------------------------
# Contents: the app and its own data stores, marked ephemeral


@INSTANCES
def test_data_stores_are_present_and_the_app_finds_them(ks: FluxKustomization) -> None:
    objects = list(built(ks).objects)
    ns = ks.target_namespace
    local = cluster_objects("local")
    for name in DATA_STORES:
        service = find(objects, "Service", name, ns)
        statefulset = find(objects, "StatefulSet", name, ns)
        assert selector_matches(
            {"matchLabels": service["spec"]["selector"]},
            statefulset["spec"]["template"]["metadata"]["labels"],
        )
        # The same manifests as the local cluster: same image, only the namespace differs.
        local_sts = find(local, "StatefulSet", name, "platform-data")
        assert (
            statefulset["spec"]["template"]["spec"]["containers"]
            == local_sts["spec"]["template"]["spec"]["containers"]
        )
    env = find(objects, "HelmRelease", "payments", ns)["spec"]["values"]["env"]
    assert env["DB_HOST"] == f"mariadb.{ns}.svc.cluster.local"
    assert env["DB_PORT"] == "3306"
    assert env["OPENSEARCH_URL"] == f"http://opensearch.{ns}.svc.cluster.local:9200"
    assert env["CACHE_HOST"] == f"payments-cache.{ns}.svc.cluster.local"
    assert find(objects, "StatefulSet", "payments-cache", ns)
    # Its own database and user, made by the namespace's database-users Job, by password.
    assert env["DB_NAME"] == env["DB_USER"] == "payments"
    assert env["DB_AUTH"] == "password"
    job = find(objects, "Job", "database-users", ns)["spec"]["template"]["spec"]
    job_env = {e["name"]: e for e in job["containers"][0]["env"]}
    # payments alone, not the cloud cluster's list (this namespace has only its password):
    # fixed in the template, before any substitution from the ConfigMap.
    assert job_env["DATABASE_SERVICES"]["value"] == "payments"
    template = load_objects(kustomize_build("environments/ephemeral"))
    raw_job = next(o for o in template if o["kind"] == "Job")["spec"]["template"]["spec"]
    assert raw_job["containers"][0]["env"][0] == {"name": "DATABASE_SERVICES", "value": "payments"}
    # Every service host the app is given lives in its own namespace.
    hosts = [v for v in env.values() if ".svc.cluster.local" in v]
    assert hosts and all(f".{ns}.svc.cluster.local" in h for h in hosts)


@INSTANCES
def test_everything_is_marked_ephemeral_and_best_effort(ks: FluxKustomization) -> None:
    objects = list(built(ks).objects)
    name = ks.inline_vars["DEV_ENV"]
    for obj in objects:
        labels = obj["metadata"].get("labels") or {}
        assert labels.get(EPHEMERAL_LABEL) == "true", describe(obj)
        assert labels.get(DEV_ENVIRONMENT_LABEL) == name, describe(obj)
    pods = [pod for obj in objects for pod in pod_templates(obj)]
    # payments-cache, mariadb, opensearch, the database-users Job (payments: its chart)
    assert len(pods) == 4
    assert {pod.get("priorityClassName") for pod in pods} == {BEST_EFFORT}
    release = find(objects, "HelmRelease", "payments", ks.target_namespace)
    priorities = [v for p, v in walk(release["spec"]["values"]) if p[-1:] == ("priorityClassName",)]
    assert priorities == [BEST_EFFORT]
    best_effort = find(cluster_objects(CLUSTER), "PriorityClass", BEST_EFFORT)
    assert best_effort["preemptionPolicy"] == "Never"


# ------------------------------------------------------------------------------------------
# The platform tests leave development environments out, explicitly


def test_a_listed_environment_is_kept_out_of_the_test_prod_comparison() -> None:
    """A developer listing dev-alice in test must not break the test/prod equivalence, and the
    exclusion is by label only: without it, the comparison would flag the extra object."""
    instance = example().obj
    test = [*cluster_objects(CLUSTER, raw=True), instance]
    prod = cluster_objects("prod", raw=True)
    problems, _ = overlay_differences(
        normalise_environment(test, CLUSTER), normalise_environment(prod, "prod")
    )
    assert any("dev-alice" in p for p in problems)
    problems, _ = overlay_differences(
        normalise_environment((o for o in test if not is_dev_environment(o)), CLUSTER),
        normalise_environment(prod, "prod"),
    )
    assert not problems
    unlabelled = copy.deepcopy(instance)
    del unlabelled["metadata"]["labels"]
    assert not is_dev_environment(unlabelled)


def test_docs_describe_development_environments() -> None:
    docs = DOCS.read_text()
    assert "## Ephemeral development environments" in docs
    section = docs.split("## Ephemeral development environments", 1)[1].split("\n## ", 1)[0]
    for expected in (EPHEMERAL_TEMPLATE, "dev-alice.yaml", "prune", "mariadb-credentials"):
        assert expected in section, expected


@pytest.mark.parametrize("source", ["git", "oci"])
@INSTANCES
def test_charts_come_from_a_source_the_cloud_cluster_has_with_either_fleet_source(
    ks: FluxKustomization, source: str
) -> None:
    """A HelmRelease chart source can be a HelmRepository, GitRepository or Bucket, never the
    OCIRepository the gitops stack creates for `gitops.source: oci`: the development
    environment's chart must come from a HelmRepository the cluster itself declares."""
    cluster = cluster_objects(CLUSTER)
    sources = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in cluster
        if o["kind"] in {"HelmRepository", "GitRepository", "Bucket"}
    }
    if source == "git":
        sources.add((ROOT_SOURCE["kind"], "flux-system", ROOT_SOURCE["name"]))
    for release in (o for o in built(ks).objects if o["kind"] == "HelmRelease"):
        ref = release["spec"]["chart"]["spec"]["sourceRef"]
        key = (ref["kind"], ref.get("namespace", release["metadata"]["namespace"]), ref["name"])
        assert key in sources, (describe(release), key, source)
