"""The tests' IAM evaluator follows IAM's rules where moto's differs."""

from __future__ import annotations

import json

from iam_decisions import allowed

TAGGED = {"StringEquals": {"ec2:ResourceTag/owner": "us"}}


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def test_a_condition_on_a_key_the_request_lacks_does_not_hold():
    policy = doc(allow("ec2:DeleteVolume", TAGGED))
    assert allowed([policy], "ec2:DeleteVolume", "vol", {"ec2:ResourceTag/owner": "us"})
    assert not allowed([policy], "ec2:DeleteVolume", "vol", {"ec2:ResourceTag/owner": "them"})
    assert not allowed([policy], "ec2:DeleteVolume", "vol", {})
    if_exists = doc(allow("ec2:DeleteVolume", {"StringEqualsIfExists": TAGGED["StringEquals"]}))
    assert allowed([if_exists], "ec2:DeleteVolume", "vol", {})


def test_an_allow_whose_condition_fails_never_denies_another_allow():
    policy = doc(allow("ec2:DeleteVolume", TAGGED), allow("ec2:DeleteVolume"))
    assert allowed([policy], "ec2:DeleteVolume", "vol", {"ec2:ResourceTag/owner": "them"})
    deny = doc(allow("ec2:DeleteVolume"), {**allow("ec2:DeleteVolume"), "Effect": "Deny"})
    assert not allowed([deny], "ec2:DeleteVolume", "vol")
