"""IAM access decisions for the tests, by moto's policy evaluator (moto.iam.access_control) and
AWS's managed policy documents as moto ships them, instead of string matching on our own
statements: an explicit Deny wins, then any Allow, else the implicit deny."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.aws_managed_policies import aws_managed_policies_data


@functools.cache
def managed_policy(arn: str) -> str:
    """The default version's document of an AWS managed policy (``arn:aws:iam::aws:policy/X``)."""
    name = arn.rsplit("/", 1)[-1]
    return json.dumps(json.loads(aws_managed_policies_data)[name]["Document"])


def allowed(documents: Iterable[str], action: str, resource: str) -> bool:
    """Whether the identity policies ``documents`` together allow ``action`` on ``resource``."""
    results = [IAMPolicy(d).is_action_permitted(action, resource) for d in documents]
    if PermissionResult.DENIED in results:
        return False
    return PermissionResult.PERMITTED in results
