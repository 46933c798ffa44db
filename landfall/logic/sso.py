"""IAM Identity Center (SSO) permission-set roles: find the one IAM role behind a permission set.

Identity Center provisions, in every account a permission set is assigned to, an IAM role named
``AWSReservedSSO_<PermissionSetName>_<16 hex characters>`` at the path
``/aws-reserved/sso.amazonaws.com/`` (or ``/aws-reserved/sso.amazonaws.com/<region>/``). The
suffix is random and differs per account, so the config names permission sets and this module
resolves them to role ARNs (R12).

Pure on purpose (no boto3, no AWS calls): callers list the roles themselves — boto3
``iam.list_roles(PathPrefix=SSO_PATH_PREFIX)`` in ``landfall doctor``, or the Pulumi invoke
``aws.iam.get_roles(path_prefix=SSO_PATH_PREFIX, name_regex=sso_role_name_regex(ps))`` in the
cluster stack — and pass them in as dicts, ``(name, path, arn)`` tuples or bare ARNs.

The aws-auth pitfall: EKS access entries accept a role ARN with its path, but the aws-auth
ConfigMap matches role ARNs only *without* it. ``strip_role_path`` turns
``arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Admin_<sfx>``
into ``arn:aws:iam::<account>:role/AWSReservedSSO_Admin_<sfx>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from landfall.config.errors import Problem

SSO_PATH_PREFIX = "/aws-reserved/sso.amazonaws.com/"
SSO_ROLE_PREFIX = "AWSReservedSSO_"

_SSO_PATH = re.compile(r"^/aws-reserved/sso\.amazonaws\.com/([a-z]{2}(-gov)?-[a-z]+-\d/)?$")
_SSO_NAME = re.compile(r"^AWSReservedSSO_(?P<permission_set>.+)_(?P<suffix>[0-9a-fA-F]{16})$")
_ROLE_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role(?P<rest>/.*)$")

RoleLike = Mapping[str, str] | tuple[str, str, str] | str


@dataclass(frozen=True)
class IamRole:
    """The three facts about a role that matching needs."""

    name: str
    path: str
    arn: str


class SsoRoleError(LookupError):
    """A permission set resolves to no IAM role, or to more than one.

    ``problem`` is a ready-made ``Problem`` (key, what is wrong, the fix) so callers can report it
    as a doctor finding or raise it as a ``ConfigError`` inside a Pulumi program.
    """

    def __init__(self, permission_set: str, matches: list[IamRole], problem: Problem) -> None:
        self.permission_set = permission_set
        self.matches = matches
        self.problem = problem
        super().__init__(f"{problem.key}: {problem.problem}. Fix: {problem.fix}.")


def _split_role_arn(arn: str) -> tuple[str, str, str]:
    """(prefix up to ``role``, path, name) of an IAM role ARN; ValueError for anything else."""
    found = _ROLE_ARN.match(arn)
    if not found:
        raise ValueError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    rest = found["rest"]
    path, _, name = rest.rpartition("/")
    return arn[: found.start("rest")], f"{path}/", name


def strip_role_path(arn: str) -> str:
    """The role ARN without its path, as the aws-auth ConfigMap expects it."""
    head, _, name = _split_role_arn(arn)
    return f"{head}/{name}"


def as_role(role: RoleLike) -> IamRole:
    """Normalise a boto3 role dict (RoleName/Path/Arn), a lower-case dict, a tuple or an ARN."""
    if isinstance(role, str):
        _, path, name = _split_role_arn(role)
        return IamRole(name=name, path=path, arn=role)
    if isinstance(role, Mapping):
        arn = role.get("Arn") or role.get("arn") or ""
        given_name = role.get("RoleName") or role.get("name")
        given_path = role.get("Path") or role.get("path")
        if given_name and given_path:
            return IamRole(name=given_name, path=given_path, arn=arn)
        _, path, name = _split_role_arn(arn)
        return IamRole(name=given_name or name, path=given_path or path, arn=arn)
    name, path, arn = role
    return IamRole(name=name, path=path, arn=arn)


def is_sso_role(role: IamRole) -> bool:
    """True for roles Identity Center provisioned (right path and name shape)."""
    return bool(_SSO_PATH.match(role.path) and _SSO_NAME.match(role.name))


def permission_set_of(role: IamRole) -> str | None:
    """The permission set name an Identity Center role belongs to, or None."""
    found = _SSO_NAME.match(role.name) if _SSO_PATH.match(role.path) else None
    return found["permission_set"] if found else None


def sso_role_name_regex(permission_set: str) -> str:
    """A regex for the role names of one permission set (for ``aws.iam.get_roles(name_regex=)``)."""
    return rf"^{SSO_ROLE_PREFIX}{re.escape(permission_set)}_[0-9a-fA-F]{{16}}$"


def match_sso_role(permission_set: str, roles: Iterable[RoleLike]) -> str:
    """The ARN (with its path) of the one Identity Center role of ``permission_set``.

    Raises SsoRoleError naming the permission set and the fix when there is none or several.
    Matching is exact and case-sensitive, as IAM role names are.
    """
    candidates = [as_role(r) for r in roles]
    sso_roles = [r for r in candidates if is_sso_role(r)]
    matches = [r for r in sso_roles if permission_set_of(r) == permission_set]
    if len(matches) == 1:
        return matches[0].arn
    key = f"landfall:cluster.ssoMappings (permissionSet {permission_set!r})"
    pattern = f"{SSO_PATH_PREFIX}[<region>/]{SSO_ROLE_PREFIX}{permission_set}_<16 hex>"
    if not matches:
        others = sorted({p for r in sso_roles if (p := permission_set_of(r)) is not None})
        near = [p for p in others if p.lower() == permission_set.lower()]
        problem = f"no IAM role {pattern} exists in this account"
        if near:
            problem += f" (there is one for {near[0]!r}: names are case-sensitive)"
        fix = (
            f"assign permission set {permission_set!r} to a group in this account in IAM "
            "Identity Center (that creates the role), or correct the permissionSet name"
        )
        if others:
            fix += f"; permission sets provisioned here: {', '.join(others)}"
        raise SsoRoleError(permission_set, [], Problem(key, problem, fix))
    arns = ", ".join(r.arn for r in matches)
    problem = f"{len(matches)} IAM roles match {pattern}: {arns}"
    fix = (
        "delete the stale role(s) (left by a deleted and re-created permission set or an old "
        "Identity Center instance in another region) so that only the one Identity Center "
        "currently provisions remains"
    )
    raise SsoRoleError(permission_set, matches, Problem(key, problem, fix))
