"""Who gets into the cluster through EKS access entries (API authentication mode, R12).

Principals are resolved with plain (blocking) invokes before any resource is declared, so a
permission set without exactly one role in the account fails the deployment up front with one
ConfigError listing every such problem, and nothing is half-created.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from landfall.config import NAMESPACE, SsoMapping
from landfall.config.errors import ConfigError, Problem
from landfall.logic.eks import CONFIG_SOURCE
from landfall.logic.rbac import PREVIEW_GROUP
from landfall.logic.sso import SSO_PATH_PREFIX, SsoRoleError, match_sso_role, sso_role_name_regex


@dataclass(frozen=True)
class AccessGrant:
    """One access entry: an IAM principal, its Kubernetes groups, and whether EKS's cluster-admin
    access policy is associated with it (the identities that deploy: CI's deploy role and the
    `cluster-admin` SSO mappings)."""

    name: str
    principal_arn: pulumi.Input[str]
    kubernetes_groups: tuple[str, ...]
    cluster_admin: bool = False


def resolve_sso_roles(
    mappings: Sequence[SsoMapping], list_roles: Callable[[str], list[str]]
) -> dict[str, str]:
    """Permission set -> the ARN (with its path) of its one Identity Center role in the account.

    ``list_roles(permission_set)`` returns candidate role ARNs. Every mapping is checked before
    raising, so the ConfigError names all permission sets that do not resolve.
    """
    resolved: dict[str, str] = {}
    problems: list[Problem] = []
    for mapping in mappings:
        try:
            resolved[mapping.permission_set] = match_sso_role(
                mapping.permission_set, list_roles(mapping.permission_set)
            )
        except SsoRoleError as exc:
            problems.append(exc.problem)
    if problems:
        raise ConfigError(CONFIG_SOURCE, problems)
    return resolved


@dataclass(frozen=True)
class CiPrincipals:
    """The bootstrap stack's CI roles: the deploy role (its ARN known in advance from its fixed
    name, and as the stack's output) and the read-only preview role."""

    deploy_role_name_arn: str
    deploy_role_arn: pulumi.Input[str]
    preview_role_arn: pulumi.Input[str]


def access_grants(
    mappings: Sequence[SsoMapping],
    sso_roles: Mapping[str, str],
    ci: CiPrincipals,
    creator_arn: str,
    keep_creator_admin: bool = False,
) -> list[AccessGrant]:
    """The access entries: one per SSO mapping, CI's deploy role (cluster-admin: it applies RBAC
    and the gitops stack) and CI's preview role (the read-only preview group).

    The entries do not depend on who runs the deployment, so a preview by the preview role and
    an up by the deploy role (or by a platform admin from a workstation) declare the same ones.
    Deploying identities get EKS's cluster-admin access policy: the deploy role, and the SSO
    mappings with access `cluster-admin`, which do not wait for RBAC to be admins (they are the
    break-glass and first-deployment path).

    With ``keep_creator_admin`` EKS itself makes the creator's entry when the cluster is created;
    a creator that also gets a declared entry (a mapped SSO role, or CI's deploy role) is refused:
    EKS would reject the second entry for that principal (ResourceInUseException) halfway
    through the first deployment.
    """
    if keep_creator_admin:
        declared = {arn: f"the mapped permission set {p!r}" for p, arn in sso_roles.items()}
        declared[ci.deploy_role_name_arn] = "CI's deploy role"
        if creator_arn in declared:
            raise ConfigError(
                CONFIG_SOURCE,
                [
                    Problem(
                        f"{NAMESPACE}:cluster.keepCreatorAdmin",
                        f"is true and this deployment runs as {creator_arn}, "
                        f"{declared[creator_arn]}: EKS makes the creator's access entry itself, "
                        "so the declared entry for the same principal would be refused (one "
                        "access entry per principal)",
                        "set cluster.keepCreatorAdmin to false (every entry is then declared "
                        "and visible), or create the cluster with a role that gets no entry",
                    )
                ],
            )
    grants = [
        AccessGrant(
            name=f"sso-{m.permission_set}",
            principal_arn=sso_roles[m.permission_set],
            kubernetes_groups=(m.kubernetes_group,),
            cluster_admin=m.access == "cluster-admin",
        )
        for m in mappings
    ]
    grants.append(AccessGrant("ci-deploy", ci.deploy_role_arn, (), cluster_admin=True))
    grants.append(AccessGrant("ci-preview", ci.preview_role_arn, (PREVIEW_GROUP,)))
    return grants


def sso_role_lister(provider: pulumi.ProviderResource) -> Callable[[str], list[str]]:
    """``list_roles`` for ``resolve_sso_roles``: the account's Identity Center roles whose name
    fits the permission set, through ``aws.iam.get_roles``."""

    def list_roles(permission_set: str) -> list[str]:
        found = aws.iam.get_roles(
            path_prefix=SSO_PATH_PREFIX,
            name_regex=sso_role_name_regex(permission_set),
            opts=pulumi.InvokeOptions(provider=provider),
        )
        return list(found.arns)

    return list_roles


def deployer_role_arn(provider: pulumi.ProviderResource) -> str:
    """The IAM role (or user) behind the credentials running this deployment: the role ARN with
    its path, not the STS session ARN (only the keepCreatorAdmin check needs it: EKS's creator
    grant goes to this principal)."""
    opts = pulumi.InvokeOptions(provider=provider)
    caller = aws.get_caller_identity(opts=opts)
    return aws.iam.get_session_context(arn=caller.arn, opts=opts).issuer_arn
