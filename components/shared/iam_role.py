"""An IAM role with its trust policy, AWS-managed policy attachments and one inline policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.program.iam import Statement, document


@dataclass(frozen=True)
class IamRoleArgs:
    description: str
    trust: Sequence[Statement]
    managed_policy_arns: Sequence[str] = ()
    policy: Sequence[Statement] = ()
    # A fixed name, for roles people and workflows refer to (otherwise Pulumi's auto-name).
    role_name: str | None = None
    # STS's limit for the role's sessions (1 hour unless raised; CI deploys run longer).
    max_session_seconds: int | None = None


class IamRole(Component):
    """One role per identity (control plane, nodes, each controller, each microservice, CI), so
    every permission is attributable and revocable on its own. Permissions are separate
    attachment/inline-policy resources rather than role arguments, so each shows in a preview."""

    role: aws.iam.Role
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: IamRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # The alias keeps the roles created when this component lived in the cluster layer.
        aliased = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="landfall:cluster:IamRole")])
        super().__init__(
            "landfall:shared:IamRole", name, None, pulumi.ResourceOptions.merge(opts, aliased)
        )
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            name,
            name=args.role_name,
            description=args.description,
            assume_role_policy=document(args.trust, parent=self),
            max_session_duration=args.max_session_seconds,
            opts=child,
        )
        for policy_arn in args.managed_policy_arns:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy_arn.rsplit('/', 1)[-1]}",
                role=self.role.name,
                policy_arn=policy_arn,
                opts=child,
            )
        if args.policy:
            aws.iam.RolePolicy(
                name, role=self.role.id, policy=document(args.policy, parent=self), opts=child
            )
        self.arn = self.role.arn
        self.finish()
