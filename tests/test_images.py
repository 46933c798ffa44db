"""Issue 15: every image the cloud clusters run comes from the environment's ECR (its own
repositories, or the pull-through mirror of a public registry) and is pinned by digest, except
the exceptions named here and explained in docs/security.md; and the mirror serves the very
image each chart would have pulled upstream."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from fleet_support import cluster_objects, of_kind, pod_templates
from iam_decisions import allowed
from project import PROJECT_ROOT
from stack_queries import of_type, one

from landfall.logic.aws_facts import _shapes
from landfall.logic.flux import chart_values
from landfall.logic.mirror import PULL_THROUGH, mirrored
from landfall.logic.versions import FLUX_RELEASES

CLOUD = ["test", "prod"]
REGISTRY = "${ECR_REGISTRY}"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
CHARTS = PROJECT_ROOT / "schemas" / "charts"

# The flux2 chart's values key of each Flux controller -> its image's name under ghcr.io/fluxcd.
FLUX_CONTROLLERS = {
    "sourceController": "source-controller",
    "kustomizeController": "kustomize-controller",
    "helmController": "helm-controller",
    "notificationController": "notification-controller",
}

# image (without tag or digest) -> {rule it breaks: why}. docs/security.md explains each.
EXCEPTIONS: dict[str, dict[str, str]] = {
    f"{REGISTRY}/ecr-public/eks/aws-load-balancer-controller": {
        "digest": "no source reachable offline states v3.4.3's index digest"
    },
    f"{REGISTRY}/ecr-public/bottlerocket/bottlerocket-update-operator": {
        "digest": "no source reachable offline states v1.4.0's index digest"
    },
    f"{REGISTRY}/ecr-public/valkey/valkey": {
        "digest": "the 8.1-alpine tag is rebuilt; no source states a stable digest"
    },
    **{
        f"ghcr.io/fluxcd/{name}": {"mirror": "ghcr.io needs credentials for a pull-through rule"}
        for name in FLUX_CONTROLLERS.values()
    },
}


def name_of(reference: str) -> str:
    """The image without tag and digest."""
    without_digest = reference.split("@", 1)[0]
    last = without_digest.rsplit("/", 1)
    return without_digest if ":" not in last[-1] else without_digest.rsplit(":", 1)[0]


def release_images(release: dict[str, Any]) -> list[str]:
    """The image references a HelmRelease's values make its chart run (per chart's values)."""
    chart = release["spec"]["chart"]["spec"]["chart"].rsplit("/", 1)[-1]
    values = release["spec"].get("values") or {}
    image = values.get("image")
    if chart == "bottlerocket-update-operator":
        return [image]
    if chart == "cert-manager":
        prefix = f"{values['imageRegistry']}/{values['imageNamespace']}"
        parts = {
            "controller": values,
            "webhook": values["webhook"],
            "cainjector": values["cainjector"],
            "startupapicheck": values["startupapicheck"],
        }
        return [
            f"{prefix}/cert-manager-{name}:v1.21.1@{part['image']['digest']}"
            for name, part in parts.items()
        ]
    if chart == "bottlerocket-shadow":
        return []  # CRDs only
    if chart == "payments":
        # The service's own ECR repository; the tag is the chart's appVersion, immutable there.
        return [f"{image['repository']}:appVersion"]
    return [f"{image['repository']}:{image['tag']}"]


def cloud_images(env: str) -> list[str]:
    raw = cluster_objects(env, raw=True)
    images = [i for release in of_kind(raw, "HelmRelease") for i in release_images(release)]
    for obj in raw:
        for pod in pod_templates(obj):
            images += [
                c["image"] for c in pod.get("containers", []) + pod.get("initContainers", [])
            ]
    for release in FLUX_RELEASES.values():
        values = chart_values(release, None)
        for key, name in FLUX_CONTROLLERS.items():
            images.append(f"ghcr.io/fluxcd/{name}:{values[key]['tag']}")
    return images


def own_repository(reference: str) -> bool:
    """One of the environment's own repositories (tags immutable): not a mirror prefix."""
    path = reference.removeprefix(f"{REGISTRY}/")
    return reference.startswith(f"{REGISTRY}/") and path.split("/", 1)[0] not in PULL_THROUGH


@pytest.mark.parametrize("env", CLOUD)
def test_every_image_is_mirrored_and_pinned_or_a_named_exception(env: str) -> None:
    images = cloud_images(env)
    assert len(images) >= 15, images
    used = set()
    for reference in images:
        exceptions = EXCEPTIONS.get(name_of(reference), {})
        used |= {name_of(reference)} if exceptions else set()
        from_ecr = reference.startswith(f"{REGISTRY}/")
        pinned = bool(DIGEST.search(reference)) or own_repository(reference)
        assert from_ecr or "mirror" in exceptions, f"{reference}: not from the environment's ECR"
        assert pinned or "digest" in exceptions, f"{reference}: not pinned by digest"
        # An exception must still be needed: a fixed image leaves the list.
        assert not (from_ecr and "mirror" in exceptions), reference
        assert not (pinned and "digest" in exceptions), reference
    assert used == set(EXCEPTIONS)


def test_every_exception_is_explained_in_the_security_docs() -> None:
    security = (PROJECT_ROOT / "docs" / "security.md").read_text()
    for image in EXCEPTIONS:
        short = image.removeprefix(f"{REGISTRY}/").split("/")[-1]
        assert f"`{short}`" in security, image


def test_the_mirror_serves_the_image_each_chart_would_pull_upstream() -> None:
    """A mirrored repository is the chart's own default image under the mirror's prefix for its
    registry: the same image, fetched through the account."""
    defaults = {
        chart: yaml.safe_load((CHARTS / chart / "values.yaml").read_text())
        for chart in (
            "cluster-autoscaler",
            "metrics-server",
            "external-dns",
            "aws-load-balancer-controller",
            "bottlerocket-update-operator",
        )
    }
    raw = of_kind(cluster_objects("prod", raw=True), "HelmRelease")
    checked = 0
    for release in raw:
        chart = release["spec"]["chart"]["spec"]["chart"]
        if chart not in defaults:
            continue
        default = defaults[chart]["image"]
        upstream = default if isinstance(default, str) else default["repository"]
        [ours] = release_images(release)
        assert name_of(ours) == name_of(mirrored(upstream, REGISTRY)), chart
        checked += 1
    assert checked == len(defaults)
    cert_manager = next(r for r in raw if r["spec"]["chart"]["spec"]["chart"] == "cert-manager")
    values = yaml.safe_load((CHARTS / "cert-manager" / "values.yaml").read_text())
    upstream = f"{values['imageRegistry']}/{values['imageNamespace']}/cert-manager-controller"
    [controller, *_] = release_images(cert_manager)
    assert name_of(controller) == mirrored(upstream, REGISTRY)


@pytest.mark.parametrize("env", CLOUD)
def test_the_mirror_rules_are_ones_ecr_accepts_and_the_nodes_may_fill_only_them(
    env: str, env_plan
) -> None:
    plan = env_plan(env)
    cfg = plan.config
    rules = {
        r.inputs["ecrRepositoryPrefix"]: r.inputs["upstreamRegistryUrl"]
        for r in of_type(
            plan.stacks["network"], "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
        )
    }
    assert rules == PULL_THROUGH
    shapes = _shapes("ecr", ("PullThroughCacheRuleRepositoryPrefix", "RCTAppliedFor"))
    pattern = shapes["PullThroughCacheRuleRepositoryPrefix"]["pattern"]
    assert all(re.fullmatch(pattern, prefix) for prefix in rules)
    for template in of_type(
        plan.stacks["network"], "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
    ):
        assert template.inputs["prefix"] in rules  # ECR: the template's prefix is the rule's
        assert set(template.inputs["appliedFors"]) <= set(shapes["RCTAppliedFor"]["enum"])
    policy = [
        one(plan.stacks["cluster"], "aws:iam/rolePolicy:RolePolicy", "nodes-role").inputs["policy"]
    ]
    registry = f"arn:aws:ecr:{cfg.region}:{cfg.account_id}:repository"
    for reference in cloud_images(env):
        path = name_of(reference).removeprefix(f"{REGISTRY}/")
        if reference.startswith(REGISTRY) and not own_repository(reference):
            for action in ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository"):
                assert allowed(policy, action, f"{registry}/{path}"), (action, path)
    assert not allowed(policy, "ecr:CreateRepository", f"{registry}/payments")
    assert not allowed(policy, "ecr:BatchImportUpstreamImage", f"{registry}/charts/payments")
