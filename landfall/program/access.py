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
from landfall.logic.sso import SSO_PATH_PREFIX, SsoRoleError, match_sso_role, sso_role_name_regex


@dataclass(frozen=True)
class AccessGrant:
    """One access entry: an IAM principal, its Kubernetes groups, and whether EKS's cluster-admin
    access policy is associated with it (only the deploying identity, never an SSO group)."""

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


def access_grants(
    mappings: Sequence[SsoMapping],
    sso_roles: Mapping[str, str],
    deployer_arn: str,
    keep_creator_admin: bool = False,
) -> list[AccessGrant]:
    """The access entries for SSO mappings and the deploying identity.

    The deployer gets cluster-admin through an explicit entry (this stack and the gitops stack
    manage Kubernetes objects). If the deployer *is* one of the mapped SSO roles, the admin policy
    is associated with that role's entry, since a principal can have only one access entry.
    With ``keep_creator_admin`` EKS itself makes the creator's entry, so none is declared for it,
    and a creator that is also a mapped SSO role is refused: EKS would reject the second entry
    for that principal (ResourceInUseException) halfway through the first deployment.
    """
    if keep_creator_admin and deployer_arn in sso_roles.values():
        mapped = next(p for p, arn in sso_roles.items() if arn == deployer_arn)
        raise ConfigError(
            CONFIG_SOURCE,
            [
                Problem(
                    f"{NAMESPACE}:cluster.keepCreatorAdmin",
                    f"is true and this deployment runs as {deployer_arn}, the Identity Center "
                    f"role of the mapped permission set {mapped!r}: EKS makes the creator's "
                    "access entry itself, so the mapping's entry for the same principal would "
                    "be refused (one access entry per principal)",
                    "set cluster.keepCreatorAdmin to false (the deployer then gets an explicit, "
                    "visible cluster-admin entry), or deploy with a role that is not mapped",
                )
            ],
        )
    deployer = None if keep_creator_admin else deployer_arn
    grants = [
        AccessGrant(
            name=f"sso-{m.permission_set}",
            principal_arn=sso_roles[m.permission_set],
            kubernetes_groups=(m.kubernetes_group,),
            cluster_admin=sso_roles[m.permission_set] == deployer,
        )
        for m in mappings
    ]
    if deployer is not None and deployer not in sso_roles.values():
        grants.append(AccessGrant("deployer", deployer, (), cluster_admin=True))
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
    its path, not the STS session ARN, so the access entry outlives the session."""
    opts = pulumi.InvokeOptions(provider=provider)
    caller = aws.get_caller_identity(opts=opts)
    return aws.iam.get_session_context(arn=caller.arn, opts=opts).issuer_arn
