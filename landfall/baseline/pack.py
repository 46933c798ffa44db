"""The baseline as Pulumi CrossGuard policies (``pulumi preview --policy-pack policypack``).

Each ``Policy`` becomes one ``pulumi_policy`` policy with the same name: a resource validation,
or a stack validation when the rule also looks across resources (each VPC has a flow log). The
environment comes from ``landfall:environment`` in the stack's config (``--config-file
Pulumi.<env>.yaml``), else the ``<env>-<layer>`` stack name, else ``LANDFALL_ENVIRONMENT``;
when none is known the prod rules apply (strictest). ``landfall:policyExemptions`` in that config
exempts policies exactly as ``landfall plan`` does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import Policy as PulumiPolicy

from landfall.baseline.policies import POLICIES, Policy, policy_named

PACK_NAME = "landfall-baseline"
LAYERS = ("network", "cluster", "gitops")
_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def _config(key: str) -> Any:
    try:
        from pulumi.runtime.config import get_config

        return get_config(key)
    except Exception:  # outside a Pulumi process there is no config at all
        return None


def current_environment() -> str:
    """The environment of the stack being previewed (``prod`` when it cannot be told)."""
    configured = _config("landfall:environment")
    if isinstance(configured, str) and configured:
        return configured
    # The CLI hands the stack name to policy packs in PULUMI_STACK.
    env, sep, layer = os.environ.get("PULUMI_STACK", "").rpartition("-")
    if sep and layer in LAYERS and env:
        return env
    return os.environ.get("LANDFALL_ENVIRONMENT", "prod")


def current_exemptions() -> dict[str, str]:
    """Policy name -> reason from ``landfall:policyExemptions`` (malformed entries exempt
    nothing: the pack fails closed)."""
    raw = _config("landfall:policyExemptions")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    exemptions = {}
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, Mapping):
            continue
        name, reason = entry.get("policy"), entry.get("reason")
        known = isinstance(name, str) and policy_named(name) is not None
        if known and isinstance(reason, str) and len(reason.strip()) >= 10:
            exemptions[str(name)] = reason
    return exemptions


def _skipped(policy: Policy) -> bool:
    return not policy.applies_to(current_environment()) or policy.name in current_exemptions()


def _resource_validation(policy: Policy) -> Any:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in policy.resource_types or _skipped(policy):
            return
        for message in policy.evaluate(args.resource_type, args.props):
            report_violation(message, None)

    return validate


def _stack_validation(policy: Policy) -> Any:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        if _skipped(policy):
            return
        for r in args.resources:
            for message in policy.evaluate(r.resource_type, r.props):
                report_violation(message, r.urn)
        pairs = [(r.resource_type, r.props) for r in args.resources]
        for message in policy.stack_check(pairs) if policy.stack_check else []:
            report_violation(message, None)

    return validate


def to_pulumi(policy: Policy, level: EnforcementLevel) -> PulumiPolicy:
    """One CrossGuard policy for a baseline policy."""
    common: dict[str, Any] = {
        "name": policy.name,
        "description": policy.description,
        "enforcement_level": level,
        "severity": _SEVERITY[policy.severity],
        "tags": [s.strip() for s in policy.source.split(";")],
        "remediation_steps": policy.fix,
        "url": policy.url,
    }
    if policy.stack_check is not None:
        return StackValidationPolicy(validate=_stack_validation(policy), **common)
    return ResourceValidationPolicy(validate=_resource_validation(policy), **common)


def build_policies(level: EnforcementLevel = EnforcementLevel.MANDATORY) -> list[PulumiPolicy]:
    """Every baseline policy as a CrossGuard policy (mandatory: a violation fails the preview)."""
    return [to_pulumi(p, level) for p in POLICIES]
