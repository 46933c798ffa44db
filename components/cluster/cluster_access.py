"""EKS access entries: who may authenticate to the cluster, and with which Kubernetes groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumiverse_time

from components.base import Component
from landfall.logic.eks import CLUSTER_ADMIN_POLICY_ARN
from landfall.program.access import AccessGrant

# Access entries and policy associations are eventually consistent: EKS may answer 401/403 for
# seconds after CreateAccessEntry/AssociateAccessPolicy return (EKS user guide, "Grant IAM users
# access to Kubernetes with EKS access entries"). terraform-aws-eks waits 30s after creating
# the cluster's access for the same reason (time_sleep); RBAC waits as long after this grant.
PROPAGATION = "30s"


@dataclass(frozen=True)
class ClusterAccessArgs:
    cluster_name: pulumi.Input[str]
    grants: Sequence[AccessGrant]


class ClusterAccess(Component):
    """One STANDARD access entry per principal (the full role ARN, path included, which is what
    access entries match on). People and CI get Kubernetes groups only, so what they may do is
    decided by RBAC (ClusterRbac); the deploying identity alone gets EKS's cluster-admin access
    policy, through an entry that shows in every preview. ``settled`` is what the first
    Kubernetes call waits for: the admin grant, and then its propagation."""

    admin_policies: list[aws.eks.AccessPolicyAssociation]
    settled: list[pulumi.Resource]

    def __init__(
        self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:ClusterAccess", name, None, opts)
        self.admin_policies = []
        admins: dict[str, pulumi.Output[str]] = {}
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
                admins[grant.name] = entry.principal_arn
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
        self.settled = []
        if self.admin_policies:
            self.settled.append(
                pulumiverse_time.Sleep(
                    f"{name}-propagation",
                    create_duration=PROPAGATION,
                    triggers=admins,  # wait again whenever an admin principal changes
                    opts=pulumi.ResourceOptions(parent=self, depends_on=self.admin_policies),
                )
            )
        self.finish()
