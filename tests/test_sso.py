"""landfall.logic.sso: resolving IAM Identity Center permission sets to their IAM roles (R12).

Pure.
"""

from __future__ import annotations

import re

import pytest

from landfall.logic.sso import (
    SSO_PATH_PREFIX,
    IamRole,
    SsoRoleError,
    as_role,
    match_sso_role,
    permission_set_of,
    sso_role_name_regex,
    strip_role_path,
)

ACCOUNT = "111111111111"
SUFFIX = "0123456789abcdef"


def role(name: str, path: str = SSO_PATH_PREFIX) -> dict[str, str]:
    """A role as boto3's iam.list_roles returns it."""
    return {"RoleName": name, "Path": path, "Arn": f"arn:aws:iam::{ACCOUNT}:role{path}{name}"}


def test_matches_the_one_role_and_returns_its_arn_with_path() -> None:
    roles = [
        role(f"AWSReservedSSO_PlatformAdmin_{SUFFIX}"),
        role("AWSReservedSSO_Developer_fedcba9876543210"),
    ]
    arn = match_sso_role("PlatformAdmin", roles)
    assert arn == (
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/"
        f"AWSReservedSSO_PlatformAdmin_{SUFFIX}"
    )


def test_accepts_the_regional_path_segment() -> None:
    path = "/aws-reserved/sso.amazonaws.com/eu-west-2/"
    arn = match_sso_role("Developer", [role(f"AWSReservedSSO_Developer_{SUFFIX}", path)])
    assert "/eu-west-2/AWSReservedSSO_Developer_" in arn


@pytest.mark.parametrize(
    ("name", "path"),
    [
        (f"AWSReservedSSO_Developer_{SUFFIX}", "/"),  # right name, wrong path
        (f"AWSReservedSSO_Developer_{SUFFIX}", "/aws-reserved/other/"),
        ("AWSReservedSSO_Developer_0123", SSO_PATH_PREFIX),  # suffix too short
        (f"AWSReservedSSO_Developer_{SUFFIX}x", SSO_PATH_PREFIX),  # suffix too long
        (f"AWSReservedSSO_Developers_{SUFFIX}", SSO_PATH_PREFIX),  # another permission set
        (f"AWSReservedSSO_developer_{SUFFIX}", SSO_PATH_PREFIX),  # case differs
        (f"AWSReservedSSO_Team_Developer_{SUFFIX}", SSO_PATH_PREFIX),  # underscore inside
    ],
)
def test_near_misses_do_not_match(name: str, path: str) -> None:
    with pytest.raises(SsoRoleError):
        match_sso_role("Developer", [role(name, path)])


def test_permission_set_names_with_underscores_and_punctuation() -> None:
    roles = [
        role(f"AWSReservedSSO_Team_Developer_{SUFFIX}"),
        role(f"AWSReservedSSO_Developer_{SUFFIX}"),
        role(f"AWSReservedSSO_ops+read.only@x-y_{SUFFIX}"),
    ]
    assert match_sso_role("Team_Developer", roles).endswith(f"Team_Developer_{SUFFIX}")
    assert match_sso_role("Developer", roles).endswith(f"/AWSReservedSSO_Developer_{SUFFIX}")
    assert match_sso_role("ops+read.only@x-y", roles).endswith(f"ops+read.only@x-y_{SUFFIX}")


def test_no_match_names_the_permission_set_the_cause_and_the_fix() -> None:
    roles = [
        role(f"AWSReservedSSO_developer_{SUFFIX}"),
        role(f"AWSReservedSSO_ReadOnly_{SUFFIX}"),
        role("SomethingElse", "/"),
    ]
    with pytest.raises(SsoRoleError) as caught:
        match_sso_role("Developer", roles)
    err = caught.value
    assert err.permission_set == "Developer"
    assert err.matches == []
    assert "'Developer'" in err.problem.key
    assert "no IAM role" in err.problem.problem
    assert "case-sensitive" in err.problem.problem  # the near miss is pointed out
    assert "assign permission set 'Developer'" in err.problem.fix
    assert "ReadOnly" in err.problem.fix and "developer" in err.problem.fix  # what does exist
    assert "Developer" in str(err)


def test_two_matches_are_an_error_listing_both() -> None:
    roles = [
        role(f"AWSReservedSSO_Developer_{SUFFIX}"),
        role(
            "AWSReservedSSO_Developer_fedcba9876543210",
            "/aws-reserved/sso.amazonaws.com/us-east-1/",
        ),
    ]
    with pytest.raises(SsoRoleError) as caught:
        match_sso_role("Developer", roles)
    err = caught.value
    assert len(err.matches) == 2
    assert "2 IAM roles match" in err.problem.problem
    assert SUFFIX in err.problem.problem and "fedcba9876543210" in err.problem.problem
    assert "delete the stale role" in err.problem.fix


def test_roles_as_tuples_bare_arns_and_lowercase_dicts() -> None:
    name = f"AWSReservedSSO_Developer_{SUFFIX}"
    arn = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/{name}"
    expected = IamRole(name, "/aws-reserved/sso.amazonaws.com/eu-west-2/", arn)
    assert as_role(arn) == expected
    assert as_role((name, expected.path, arn)) == expected
    assert as_role({"name": name, "path": expected.path, "arn": arn}) == expected
    assert as_role({"Arn": arn}) == expected  # name and path recovered from the ARN
    for form in (arn, (name, expected.path, arn), {"arn": arn}):
        assert match_sso_role("Developer", [form]) == arn


def test_strip_role_path_for_aws_auth() -> None:
    name = f"AWSReservedSSO_Developer_{SUFFIX}"
    with_path = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/{name}"
    assert strip_role_path(with_path) == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    plain = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    assert strip_role_path(plain) == plain
    gov = f"arn:aws-us-gov:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{name}"
    assert strip_role_path(gov) == f"arn:aws-us-gov:iam::{ACCOUNT}:role/{name}"


@pytest.mark.parametrize(
    "bad", ["", "not-an-arn", f"arn:aws:iam::{ACCOUNT}:user/alice", "arn:aws:s3:::bucket"]
)
def test_strip_role_path_rejects_non_role_arns(bad: str) -> None:
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        strip_role_path(bad)


def test_name_regex_for_pulumi_get_roles_matches_exactly_the_permission_set() -> None:
    pattern = re.compile(sso_role_name_regex("Team.Dev"))
    assert pattern.match(f"AWSReservedSSO_Team.Dev_{SUFFIX}")
    assert not pattern.match(f"AWSReservedSSO_TeamXDev_{SUFFIX}")  # the dot is literal
    assert not pattern.match(f"AWSReservedSSO_Team.Dev_{SUFFIX}0")


def test_permission_set_of_ignores_roles_outside_the_sso_path() -> None:
    assert permission_set_of(IamRole(f"AWSReservedSSO_X_{SUFFIX}", SSO_PATH_PREFIX, "")) == "X"
    assert permission_set_of(IamRole(f"AWSReservedSSO_X_{SUFFIX}", "/", "")) is None
