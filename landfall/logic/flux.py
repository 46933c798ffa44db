"""Flux bootstrap objects as plain data: the pinned release, chart values, source and sync specs.

Everything here is a pure function of the environment config (and of plain upstream values), so
tests inspect and schema-validate the objects without Pulumi; ``components/gitops/flux.py`` and
``components/gitops/flux_sync.py`` only turn them into resources.

Flux is installed with the fluxcd-community ``flux2`` Helm chart (see docs/gitops.md). The chart
version and every controller image are pinned per Flux version in ``FLUX_RELEASES``: adding a Flux
version means adding a row after reading that release's component list.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from landfall.config import NAMESPACE, GitopsConfig
from landfall.config.errors import ConfigError, Problem
from landfall.logic.envmap import CONFIGMAP_NAME
from landfall.logic.versions import FLUX_RELEASES, FluxRelease

FLUX_NAMESPACE = "flux-system"
# The source object and the root Kustomization share this name, as `flux bootstrap` does; the
# fleet's Kustomizations reference `sourceRef: {kind: GitRepository, name: flux-system}`.
SYNC_NAME = "flux-system"
# The Secret holding the SSH deploy key (`identity`, `identity.pub`, `known_hosts`).
DEPLOY_KEY_SECRET = "flux-system"
CHART_REPOSITORY = "https://fluxcd-community.github.io/helm-charts"
CHART_NAME = "flux2"
HELM_RELEASE_NAME = "flux"
# Annotation EKS reads to give a service account's pods an IAM role (IRSA).
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
# Makes kustomize-controller reconcile as soon as a substituteFrom ConfigMap changes (Flux >= 2.5).
WATCH_LABEL = {"reconcile.fluxcd.io/watch": "Enabled"}

SourceKind = Literal["GitRepository", "OCIRepository"]


def flux_release(gitops: GitopsConfig) -> FluxRelease:
    """The pinned release for ``gitops.flux_version``, or ConfigError naming the key."""
    release = FLUX_RELEASES.get(gitops.flux_version)
    if release is None:
        raise ConfigError(
            "gitops settings",
            [
                Problem(
                    f"{NAMESPACE}:gitops.fluxVersion",
                    f"{gitops.flux_version!r} is not a Flux version this code pins",
                    f"use one of {', '.join(FLUX_RELEASES)} (or add it to landfall/flux.py)",
                )
            ],
        )
    return release


# Built into Kubernetes, so it exists before the fleet's own classes, and above them all: no
# application pod can preempt GitOps itself.
PLATFORM_PRIORITY_CLASS = "system-cluster-critical"
STRICT_SUBSTITUTION = "--feature-gates=StrictPostBuildSubstitutions=true"


def chart_values(release: FluxRelease, source_role_arn: str | None) -> dict[str, Any]:
    """Values for the flux2 chart: pinned images, no image automation (deploys are semver ranges
    in Git, R4), and on EKS the source-controller's IRSA role for ECR pulls (R3)."""
    source_controller: dict[str, Any] = {"tag": release.source_controller}
    if source_role_arn is not None:
        source_controller["serviceAccount"] = {"annotations": {IRSA_ANNOTATION: source_role_arn}}
    critical = {"priorityClassName": PLATFORM_PRIORITY_CLASS}
    return {
        "installCRDs": True,
        # Uninstalling or replacing the release must not delete the CRDs, and with them every
        # Kustomization, HelmRelease and source in the cluster (chart 2.17.1, crds.annotations).
        "crds": {"annotations": {"helm.sh/resource-policy": "keep"}},
        "sourceController": {**source_controller, **critical},
        "kustomizeController": {
            "tag": release.kustomize_controller,
            **critical,
            # An unset ${VAR} fails the Kustomization instead of becoming "" (write
            # ${VAR:=default} where a default is meant).
            "container": {"additionalArgs": [STRICT_SUBSTITUTION]},
        },
        "helmController": {"tag": release.helm_controller, **critical},
        "notificationController": {"tag": release.notification_controller, **critical},
        "imageAutomationController": {"create": False},
        "imageReflectionController": {"create": False},
    }


def sync_path(environment: str) -> str:
    """This environment's entry point in the fleet repository."""
    return f"./clusters/{environment}"


def source_kind(gitops: GitopsConfig) -> SourceKind:
    return "GitRepository" if gitops.source == "git" else "OCIRepository"


def oci_url(registry: str, repository: str) -> str:
    return f"oci://{registry}/{repository}"


def git_repository_spec(gitops: GitopsConfig) -> dict[str, Any]:
    """GitRepository over SSH, authenticated by the deploy key Secret."""
    return {
        "interval": gitops.interval,
        "url": gitops.url,
        "ref": {"branch": gitops.branch},
        "secretRef": {"name": DEPLOY_KEY_SECRET},
    }


def oci_repository_spec(gitops: GitopsConfig, registry: str) -> dict[str, Any]:
    """OCIRepository in ECR, pulled with the source-controller's workload identity: no Secret."""
    return {
        "interval": gitops.interval,
        "url": oci_url(registry, str(gitops.oci_repository)),
        "ref": {"semver": gitops.oci_semver} if gitops.oci_semver else {"tag": gitops.oci_tag},
        "provider": "aws",
    }


def root_kustomization_spec(environment: str, gitops: GitopsConfig) -> dict[str, Any]:
    """The root Kustomization: syncs ``./clusters/<env>`` with pruning and substitutes the
    environment ConfigMap (R21). With the OCI source it rewrites every child Kustomization's
    ``sourceRef.kind`` (the fleet writes GitRepository) to OCIRepository."""
    kind = source_kind(gitops)
    spec: dict[str, Any] = {
        "interval": gitops.interval,
        "path": sync_path(environment),
        "prune": True,
        "sourceRef": {"kind": kind, "name": SYNC_NAME},
        "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": CONFIGMAP_NAME}]},
    }
    if kind == "OCIRepository":
        spec["patches"] = [
            {
                "patch": json.dumps(
                    [{"op": "replace", "path": "/spec/sourceRef/kind", "value": kind}]
                ),
                "target": {"group": "kustomize.toolkit.fluxcd.io", "kind": "Kustomization"},
            }
        ]
    return spec


DEPLOY_KEY_FIELDS = ("identity", "known_hosts")


def deploy_key_data(secret_string: str, secret_id: str) -> dict[str, str]:
    """The deploy key Secret's data from the Secrets Manager value: a JSON object with
    ``identity`` (the private key) and ``known_hosts``, optionally ``identity.pub``.

    Errors name the secret and the missing fields, never the value.
    """
    try:
        document = json.loads(secret_string)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise ValueError(
            f"Secrets Manager secret {secret_id!r} is not a JSON object; store "
            '{"identity": <private key>, "known_hosts": <host keys>} (see docs/gitops.md)'
        )
    missing = [f for f in DEPLOY_KEY_FIELDS if not isinstance(document.get(f), str)]
    if missing:
        raise ValueError(
            f"Secrets Manager secret {secret_id!r} lacks {', '.join(missing)}; store "
            '{"identity": <private key>, "known_hosts": <host keys>} (see docs/gitops.md)'
        )
    keep = (*DEPLOY_KEY_FIELDS, "identity.pub")
    return {k: str(document[k]) for k in keep if isinstance(document.get(k), str)}
