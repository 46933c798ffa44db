"""The account-wide prerequisites of every stack (R26): the service-linked roles and the GitHub
Actions OIDC provider, each created on a fresh account and adopted where it already exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.logic.prerequisites import GITHUB_OIDC_URL, SERVICE_LINKED_ROLES
from landfall.program.iam import IRSA_AUDIENCE


@dataclass(frozen=True)
class AccountPrerequisitesArgs:
    # What the account already holds (landfall.program.lookups): service principal -> role ARN,
    # and the GitHub OIDC provider's ARN (None on a fresh account).
    existing_service_linked_roles: Mapping[str, str]
    existing_github_oidc_provider: str | None


class AccountPrerequisites(Component):
    """One per account, shared by its environments' stacks and by anything else in the account,
    so none of them is ever deleted with the stack (``retain_on_delete``): destroying a bootstrap
    stack must not take the account's OpenSearch role or GitHub trust with it. Existing ones are
    imported (their import ID is their ARN), so the program is the same on a fresh account and a
    used one."""

    service_linked_role_arns: dict[str, pulumi.Output[str]]
    github_oidc_provider_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AccountPrerequisitesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:bootstrap:AccountPrerequisites", name, None, opts)
        self.service_linked_role_arns = {}
        for role in SERVICE_LINKED_ROLES:
            created = aws.iam.ServiceLinkedRole(
                f"{name}-{role.service.split('.', 1)[0]}",
                aws_service_name=role.service,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    import_=args.existing_service_linked_roles.get(role.service),
                    retain_on_delete=True,
                    # AWS writes the description of the roles services create themselves.
                    ignore_changes=["description"],
                ),
            )
            self.service_linked_role_arns[role.service] = created.arn
        github = aws.iam.OpenIdConnectProvider(
            f"{name}-github-actions",
            url=GITHUB_OIDC_URL,
            client_id_lists=[IRSA_AUDIENCE],
            opts=pulumi.ResourceOptions(
                parent=self,
                import_=args.existing_github_oidc_provider,
                retain_on_delete=True,
                # IAM now trusts GitHub's certificate authority itself (thumbprints are ignored
                # for it), and other tools in the account may have added audiences: adopting the
                # provider must not take theirs away.
                ignore_changes=["thumbprintLists", "clientIdLists"],
            ),
        )
        self.github_oidc_provider_arn = github.arn
        self.finish()
