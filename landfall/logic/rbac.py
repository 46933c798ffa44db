"""Kubernetes RBAC for people and CI, as plain data (R5, R12, R13).

* Each SSO mapping's Kubernetes group is bound cluster-wide to one of the built-in roles
  cluster-admin, admin, edit or view.
* Flux's kinds are rolled into admin/edit/view through aggregation labels instead of new roles:
  view may read every Flux object; edit may also change the delivery objects (sources,
  Kustomizations, HelmReleases); admin may also change the notification objects (Alerts,
  Providers, Receivers, which open webhooks and send cluster events out). Kubernetes aggregates
  view into edit and edit into admin, so each level includes the ones below.
* CI's notifier group may only get, list and patch the Flux objects a reconcile request touches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Access = Literal["cluster-admin", "admin", "edit", "view"]

RBAC_API_GROUP = "rbac.authorization.k8s.io"
READ_VERBS: tuple[str, ...] = ("get", "list", "watch")
WRITE_VERBS: tuple[str, ...] = ("create", "update", "patch", "delete", "deletecollection")
NOTIFIER_VERBS: tuple[str, ...] = ("get", "list", "patch")
NOTIFIER_GROUP = "flux-notifiers"
# The CI preview role's group: Kubernetes' built-in `view` (no Secrets), nothing more.
PREVIEW_GROUP = "landfall-ci-preview"

# Flux API group -> the plural resource names of its kinds.
FLUX_DELIVERY: dict[str, tuple[str, ...]] = {
    "source.toolkit.fluxcd.io": (
        "gitrepositories",
        "ocirepositories",
        "helmrepositories",
        "helmcharts",
        "buckets",
    ),
    "kustomize.toolkit.fluxcd.io": ("kustomizations",),
    "helm.toolkit.fluxcd.io": ("helmreleases",),
}
FLUX_NOTIFICATION: dict[str, tuple[str, ...]] = {
    "notification.toolkit.fluxcd.io": ("alerts", "providers", "receivers"),
}
# What `flux reconcile` patches (the reconcile.fluxcd.io/requestedAt annotation) and reads back.
FLUX_NOTIFIABLE: dict[str, tuple[str, ...]] = {
    "source.toolkit.fluxcd.io": ("gitrepositories", "ocirepositories", "helmrepositories"),
    "kustomize.toolkit.fluxcd.io": ("kustomizations",),
    "helm.toolkit.fluxcd.io": ("helmreleases",),
}

# The ClusterRole an SSO mapping's group is bound to, per access level.
BOUND_ROLE: dict[Access, str] = {
    "cluster-admin": "cluster-admin",
    "admin": "admin",
    "edit": "edit",
    "view": "view",
}


@dataclass(frozen=True)
class Rule:
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class ClusterRoleSpec:
    name: str
    labels: dict[str, str]
    rules: tuple[Rule, ...]


def rules(resources: Mapping[str, tuple[str, ...]], verbs: tuple[str, ...]) -> tuple[Rule, ...]:
    """One rule per API group granting ``verbs`` on its resources."""
    return tuple(Rule((group,), plurals, verbs) for group, plurals in resources.items())


def aggregate_label(level: Literal["admin", "edit", "view"]) -> dict[str, str]:
    return {f"{RBAC_API_GROUP}/aggregate-to-{level}": "true"}


def flux_aggregated_roles() -> list[ClusterRoleSpec]:
    """The three ClusterRoles that add Flux's kinds to the built-in admin, edit and view."""
    every_kind = {**FLUX_DELIVERY, **FLUX_NOTIFICATION}
    return [
        ClusterRoleSpec(
            "landfall:flux-view", aggregate_label("view"), rules(every_kind, READ_VERBS)
        ),
        ClusterRoleSpec(
            "landfall:flux-edit", aggregate_label("edit"), rules(FLUX_DELIVERY, WRITE_VERBS)
        ),
        ClusterRoleSpec(
            "landfall:flux-admin", aggregate_label("admin"), rules(FLUX_NOTIFICATION, WRITE_VERBS)
        ),
    ]


def notifier_role() -> ClusterRoleSpec:
    """CI's only permission in the cluster: ask Flux to reconcile now (R5)."""
    return ClusterRoleSpec("landfall:flux-notifier", {}, rules(FLUX_NOTIFIABLE, NOTIFIER_VERBS))
