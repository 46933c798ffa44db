"""CI's notifier identity (R5): an IAM role GitHub Actions can assume, and nothing more in AWS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.base import Component
from components.shared.iam_role import IamRole, IamRoleArgs
from landfall.program.iam import Statement, github_actions_trust


@dataclass(frozen=True)
class CiNotifierArgs:
    cluster_arn: pulumi.Input[str]
    # The account's GitHub Actions OIDC provider (the bootstrap stack's).
    github_oidc_provider_arn: pulumi.Input[str]
    # Exact GitHub OIDC subjects, e.g. repo:<org>/<fleet repo>:ref:refs/heads/main.
    github_subjects: Sequence[str]


class CiNotifier(Component):
    """CI authenticates with GitHub Actions' OIDC token (no stored AWS keys) to a role
    whose only AWS permission is reading this cluster's endpoint for a kubeconfig. In the cluster
    the role's access entry maps it to the flux-notifiers group, which may only get, list and
    patch Flux objects (ClusterRbac): enough for ``flux reconcile``, nothing else."""

    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: CiNotifierArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:CiNotifier", name, None, opts)
        role = IamRole(
            name,
            IamRoleArgs(
                description="CI: may ask Flux to reconcile (flux-notifiers group), nothing else",
                trust=github_actions_trust(
                    args.github_oidc_provider_arn, list(args.github_subjects)
                ),
                policy=[
                    Statement(
                        sid="ReadClusterEndpoint",
                        effect="Allow",
                        actions=["eks:DescribeCluster"],
                        resources=[args.cluster_arn],
                    )
                ],
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.arn = role.arn
        self.finish()
