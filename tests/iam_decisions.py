"""IAM access decisions for the tests, by moto's statement evaluator (moto.iam.access_control)
and AWS's managed policy documents as moto ships them, instead of string matching on our own
statements: an explicit Deny wins, then any Allow, else the implicit deny.

Three corrections to moto, all IAM's documented rules: a statement whose condition does not hold
does not apply (moto answers DENIED for such an Allow, which would deny what another statement
allows); a condition on a key the request does not carry does not hold, unless its operator
is ``...IfExists`` or ``Null`` (moto lets it pass); and in an action or resource only ``*`` (any
characters) and ``?`` (one character) are wildcards (moto reads the pattern as a regular
expression: ``.`` matches anything and ``?``, as in Secrets Manager's ``name-??????``, breaks)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping

from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from moto.iam.aws_managed_policies import aws_managed_policies_data


def _iam_match(pattern: str, string: str) -> re.Match[str] | None:
    """IAM's wildcard match (IAM User Guide, "IAM JSON policy elements: Resource")."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.match(f"^{regex}$", string, re.DOTALL)


IAMPolicyStatement._match = staticmethod(_iam_match)  # type: ignore[method-assign]


@functools.cache
def managed_policy(arn: str) -> str:
    """The default version's document of an AWS managed policy (``arn:aws:iam::aws:policy/X``)."""
    name = arn.rsplit("/", 1)[-1]
    return json.dumps(json.loads(aws_managed_policies_data)[name]["Document"])


def allowed(
    documents: Iterable[str],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether the identity policies ``documents`` together allow ``action`` on ``resource``,
    with the request's condition keys ``context`` (e.g. ``aws:RequestTag/...``)."""
    verdicts = []
    context = dict(context or {})
    for document in documents:
        statements = json.loads(document)["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if _missing_condition_key(statement, context):
                continue  # the statement does not apply to this request
            verdict = IAMPolicyStatement(statement).is_action_permitted(
                action, resource, None, context
            )
            if statement["Effect"] == "Allow" and verdict == PermissionResult.DENIED:
                verdict = PermissionResult.NEUTRAL  # an unmet condition: the Allow does not apply
            verdicts.append(verdict)
    if PermissionResult.DENIED in verdicts:
        return False
    return PermissionResult.PERMITTED in verdicts


def _missing_condition_key(statement: Mapping[str, object], context: Mapping[str, str]) -> bool:
    conditions = statement.get("Condition") or {}
    assert isinstance(conditions, Mapping)
    for operator, block in conditions.items():
        if operator == "Null" or operator.endswith("IfExists"):
            continue
        assert isinstance(block, Mapping)
        if any(key not in context for key in block):
            return True
    return False


def allowed_in_account(
    identity_documents: Iterable[str],
    resource_policy: str | None,
    principal_arn: str,
    action: str,
    resource: str,
) -> bool:
    """Same-account access with a resource-based policy (IAM User Guide, "Policy evaluation
    logic"): an explicit Deny in either policy wins; otherwise the identity policies or a
    resource-policy statement naming the principal itself allow. A resource policy naming the
    account root grants nothing by itself: it delegates to the identity policies."""
    identity = allowed(identity_documents, action, resource)
    if resource_policy is None:
        return identity
    granted = False
    statements = json.loads(resource_policy)["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        verdict = IAMPolicyStatement(statement).is_action_permitted(action, resource, None, {})
        if verdict == PermissionResult.DENIED:
            return False
        principals = (statement.get("Principal") or {}).get("AWS", [])
        principals = principals if isinstance(principals, list) else [principals]
        names_principal = principal_arn in principals or "*" in principals
        if verdict == PermissionResult.PERMITTED and names_principal:
            granted = True
    return identity or granted
