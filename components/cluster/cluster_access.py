"""EKS access entries: who may authenticate to the cluster, and with which Kubernetes groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.logic.eks import CLUSTER_ADMIN_POLICY_ARN
from landfall.program.access import AccessGrant


@dataclass(frozen=True)
class ClusterAccessArgs:
    cluster_name: pulumi.Input[str]
    grants: Sequence[AccessGrant]


class ClusterAccess(Component):
    """One STANDARD access entry per principal (the full role ARN, path included, which is what
    access entries match on). People and CI get Kubernetes groups only, so what they may do is
    decided by RBAC (ClusterRbac); the deploying identity alone gets EKS's cluster-admin access
    policy, through an entry that shows in every preview."""

    admin_policies: list[aws.eks.AccessPolicyAssociation]

    def __init__(
        self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:ClusterAccess", name, None, opts)
        self.admin_policies = []
        for grant in args.grants:
            entry = aws.eks.AccessEntry(
                f"{name}-{grant.name}",
                cluster_name=args.cluster_name,
                principal_arn=grant.principal_arn,
                kubernetes_groups=list(grant.kubernetes_groups),
                type="STANDARD",
                opts=pulumi.ResourceOptions(parent=self),
            )
            if grant.cluster_admin:
                self.admin_policies.append(
                    aws.eks.AccessPolicyAssociation(
                        f"{name}-{grant.name}-cluster-admin",
                        cluster_name=args.cluster_name,
                        principal_arn=entry.principal_arn,
                        policy_arn=CLUSTER_ADMIN_POLICY_ARN,
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                        opts=pulumi.ResourceOptions(parent=self),
                    )
                )
        self.finish()
