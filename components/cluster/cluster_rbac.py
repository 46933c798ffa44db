"""Kubernetes RBAC for the SSO groups and CI's notifier group, applied with this cluster's
kubeconfig (R5, R12, R13)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from landfall.config import SsoMapping
from landfall.logic.rbac import (
    BOUND_ROLE,
    NOTIFIER_GROUP,
    PREVIEW_GROUP,
    RBAC_API_GROUP,
    ClusterRoleSpec,
    flux_aggregated_roles,
    notifier_role,
)


@dataclass(frozen=True)
class ClusterRbacArgs:
    kubeconfig: pulumi.Input[str]
    sso_mappings: Sequence[SsoMapping]
    # The deployer's cluster-admin grant: the API server must know us before we write RBAC.
    after: Sequence[pulumi.Resource] = ()


class ClusterRbac(Component):
    """Binds each mapped SSO group to cluster-admin, admin, edit or view; rolls the Flux kinds into
    admin/edit/view through aggregation labels; lets the notifier group get, list and patch the
    Flux objects a reconcile request touches, and nothing else; gives the CI preview group
    `view`."""

    provider: k8s.Provider

    def __init__(
        self, name: str, args: ClusterRbacArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:ClusterRbac", name, None, opts)
        self.provider = k8s.Provider(
            name, kubeconfig=args.kubeconfig, opts=pulumi.ResourceOptions(parent=self)
        )
        self._on_cluster = pulumi.ResourceOptions(
            parent=self, provider=self.provider, depends_on=list(args.after)
        )
        for spec in flux_aggregated_roles():
            self._cluster_role(spec)
        notifier = self._cluster_role(notifier_role())
        self._bind(f"{name}-notifier", NOTIFIER_GROUP, notifier.metadata.name)
        # CI's pull-request previews read what the stacks manage, and may change nothing.
        self._bind(f"{name}-ci-preview", PREVIEW_GROUP, BOUND_ROLE["view"])
        for mapping in args.sso_mappings:
            self._bind(
                f"{name}-{mapping.kubernetes_group}",
                mapping.kubernetes_group,
                BOUND_ROLE[mapping.access],
            )
        self.finish()

    def _cluster_role(self, spec: ClusterRoleSpec) -> k8s.rbac.v1.ClusterRole:
        return k8s.rbac.v1.ClusterRole(
            spec.name.replace(":", "-"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=spec.name, labels=spec.labels or None),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=list(rule.api_groups),
                    resources=list(rule.resources),
                    verbs=list(rule.verbs),
                )
                for rule in spec.rules
            ],
            opts=self._on_cluster,
        )

    def _bind(self, name: str, group: str, role: pulumi.Input[str]) -> None:
        k8s.rbac.v1.ClusterRoleBinding(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"landfall:{group}"),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group=RBAC_API_GROUP, kind="ClusterRole", name=role
            ),
            subjects=[k8s.rbac.v1.SubjectArgs(api_group=RBAC_API_GROUP, kind="Group", name=group)],
            opts=self._on_cluster,
        )
