"""The two roles GitHub Actions assumes for this environment (docs/user-guide.md, "CI")."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.base import Component
from components.shared.iam_role import IamRole, IamRoleArgs
from landfall.logic.prerequisites import ci_role_name
from landfall.program.iam import (
    aws_managed,
    deploy_role_policy,
    github_actions_trust,
    preview_role_policy,
)

# A deploy job may run two hours (deploy.yml's timeout); STS caps a role's sessions at one hour
# unless the role allows more, and credentials expiring inside `pulumi up` leave it half done.
DEPLOY_SESSION_SECONDS = 2 * 60 * 60


@dataclass(frozen=True)
class CiRolesArgs:
    name_prefix: str
    account_id: str
    github_oidc_provider_arn: pulumi.Input[str]
    preview_subjects: list[str]
    deploy_subjects: list[str]
    state_bucket: str
    secrets_key_arn: pulumi.Input[str]
    deploy_key_secret_arn: pulumi.Input[str] | None


class CiRoles(Component):
    """``preview``: what a pull request's ``landfall preview`` needs and nothing that changes the
    account (ReadOnlyAccess, the state lock, decrypting stack secrets, the Flux deploy key).
    ``deploy``: ``landfall up`` of the platform layers (PowerUserAccess and the platform's IAM,
    never the bootstrap's own roles), trusted only for the GitHub environment of this
    environment, whose protection rules (prod: required reviewers, branch main) are therefore
    the gate of every change. Both trust exact OIDC subjects only, and have fixed names
    (``<prefix>-ci-preview``, ``<prefix>-ci-deploy``) for the workflows' variables."""

    preview_role_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: CiRolesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:bootstrap:CiRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        preview_name = ci_role_name(args.name_prefix, "preview")
        deploy_name = ci_role_name(args.name_prefix, "deploy")
        preview = IamRole(
            f"{name}-preview",
            IamRoleArgs(
                role_name=preview_name,
                description=f"{args.name_prefix} CI: pulumi preview of pull requests (read-only)",
                trust=github_actions_trust(args.github_oidc_provider_arn, args.preview_subjects),
                managed_policy_arns=[aws_managed("ReadOnlyAccess")],
                policy=preview_role_policy(
                    args.state_bucket, args.secrets_key_arn, args.deploy_key_secret_arn
                ),
            ),
            child,
        )
        deploy = IamRole(
            f"{name}-deploy",
            IamRoleArgs(
                role_name=deploy_name,
                description=f"{args.name_prefix} CI: landfall up (GitHub environment only)",
                trust=github_actions_trust(args.github_oidc_provider_arn, args.deploy_subjects),
                managed_policy_arns=[aws_managed("PowerUserAccess")],
                policy=deploy_role_policy(args.account_id, [preview_name, deploy_name]),
                max_session_seconds=DEPLOY_SESSION_SECONDS,
            ),
            child,
        )
        self.preview_role_arn = preview.arn
        self.deploy_role_arn = deploy.arn
        self.finish()
