"""Human-readable summary of an offline plan: resource counts and the settings that matter.

``HIGHLIGHTS`` lists, per resource type, the inputs that are security- or cost-relevant; the
summary prints them for every resource of that type, so a reviewer sees test/prod differences.
Resources of one type with the same settings share a line. Values the offline mocks make up
(IDs, ARNs, endpoints: ``made_up``; ``harness.mocks.PLACEHOLDER_NOTE``) are shown as
``<computed>``, never as if the program set them. Every line fits in ``WIDTH`` (100) columns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from landfall.cli.output import WIDTH
from landfall.plan.harness.runner import EnvironmentPlan, StackPlan
from landfall.plan.inventory import dig

HIGHLIGHTS: dict[str, tuple[str, ...]] = {
    "aws:ec2/natGateway:NatGateway": ("subnetId",),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType"),
    "aws:lb/loadBalancer:LoadBalancer": (
        "internal",
        "enableDeletionProtection",
        "dropInvalidHeaderFields",
        "accessLogs.enabled",
    ),
    "aws:lb/listener:Listener": ("protocol", "port", "sslPolicy"),
    "aws:rds/instance:Instance": (
        "instanceClass",
        "multiAz",
        "storageEncrypted",
        "publiclyAccessible",
        "deletionProtection",
        "skipFinalSnapshot",
        "backupRetentionPeriod",
        "manageMasterUserPassword",
        "iamDatabaseAuthenticationEnabled",
    ),
    "aws:opensearch/domain:Domain": (
        "clusterConfig.instanceType",
        "clusterConfig.instanceCount",
        "clusterConfig.dedicatedMasterEnabled",
        "clusterConfig.zoneAwarenessEnabled",
        "encryptAtRest.enabled",
        "nodeToNodeEncryption.enabled",
        "domainEndpointOptions.enforceHttps",
        "advancedSecurityOptions.enabled",
    ),
    "aws:ecr/repository:Repository": (
        "imageTagMutability",
        "imageScanningConfiguration.scanOnPush",
    ),
    "aws:kms/key:Key": ("enableKeyRotation", "deletionWindowInDays"),
    "aws:eks/nodeGroup:NodeGroup": (
        "capacityType",
        "instanceTypes",
        "amiType",
        "scalingConfig.desiredSize",
        "updateConfig.maxUnavailable",
    ),
    "eks:index:Cluster": (
        "version",
        "endpointPrivateAccess",
        "endpointPublicAccess",
        "publicAccessCidrs",
        "authenticationMode",
        "deletionProtection",
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "metadataOptions.httpTokens",
        "metadataOptions.httpPutResponseHopLimit",
        "networkInterfaces.associatePublicIpAddress",
        "blockDeviceMappings.ebs.encrypted",
    ),
    "aws:eks/addon:Addon": ("addonName", "addonVersion"),
    "aws:eks/accessEntry:AccessEntry": ("principalArn", "kubernetesGroups"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ("principalArn", "policyArn"),
    "aws:eks/cluster:Cluster": ("version",),
    "kubernetes:helm.sh/v3:Release": ("chart", "version", "namespace"),
    "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository": (
        "spec.url",
        "spec.ref.branch",
        "spec.secretRef.name",
    ),
    "kubernetes:source.toolkit.fluxcd.io/v1:OCIRepository": ("spec.url", "spec.provider"),
    "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization": (
        "spec.path",
        "spec.prune",
        "spec.interval",
    ),
}


INDENT = "   "
COMPUTED = "<computed>"

# What the mocks (landfall/plan/harness/mocks.py) make up, by shape: EC2-style IDs, ARNs in an
# account (resource outputs, account lookups, the caller's identity), regional AWS endpoints,
# Pulumi auto-names (the logical name and 7 hex digits), the placeholders and unknowns.
_EC2_ID = re.compile(r"\b[a-z]+(?:-[a-z]+)?-[0-9a-f]{17}\b")
_ACCOUNT_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:")
_ENDPOINT = re.compile(r"\b[a-z]{2}(?:-[a-z]+)+-\d\.(?:[a-z0-9-]+\.)*amazonaws\.com\b")
_AUTO_NAME = re.compile(r"-(?=[0-9a-f]*\d)[0-9a-f]{7}$")
_PLACEHOLDER = re.compile(r"placeholder|^<unknown>$|^<resource reference>$", re.IGNORECASE)


def made_up(value: Any) -> bool:
    """Whether ``value`` is (or holds) a value the offline mocks invented for AWS."""
    if isinstance(value, str):
        return any(
            pattern.search(value)
            for pattern in (_EC2_ID, _ACCOUNT_ARN, _ENDPOINT, _AUTO_NAME, _PLACEHOLDER)
        )
    if isinstance(value, list):
        return any(made_up(v) for v in value)
    if isinstance(value, dict):
        return any(made_up(v) for v in value.values())
    return False


def shown(value: Any) -> str:
    """A setting's value as the summary prints it."""
    return COMPUTED if made_up(value) else repr(value)


def wrapped(
    head: str, items: Sequence[str], indent: str = INDENT, more: str = "    ", sep: str = ","
) -> list[str]:
    """``head`` then ``items`` joined by ``sep`` and a space, broken between items into lines of
    at most ``WIDTH`` characters; continuation lines are indented by ``more``."""
    lines: list[str] = []
    current = indent + head
    fresh = True  # nothing after the head on this line yet
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else "")
        candidate = current + piece if fresh else f"{current} {piece}"
        if len(candidate) <= WIDTH or fresh:
            current, fresh = candidate, False
        else:
            lines.append(current)
            current = indent + more + piece
    lines.append(current)
    out: list[str] = []
    for line in lines:  # an item longer than a whole line: break it at its spaces
        while len(line) > WIDTH and " " in line[len(indent) + len(more) + 1 : WIDTH]:
            cut = line.rindex(" ", 0, WIDTH + 1)
            out.append(line[:cut])
            line = indent + more + line[cut + 1 :]
        out.append(line)
    return out


def type_counts(counts: Counter[str]) -> list[str]:
    """Every resource type (its full token, as in the inventory), `` xN`` after those declared
    more than once, flowing over as few lines as fit."""
    items = [t + (f" x{n}" if n > 1 else "") for t, n in sorted(counts.items())]
    return wrapped("", items, more="")


def settings_lines(plan: StackPlan) -> list[str]:
    """One line per distinct highlighted setting, naming every resource of the type that has
    it; settings that are only computed values are left out."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for r in plan.resources:
        paths = HIGHLIGHTS.get(r.type)
        if not paths:
            continue
        values = [(p, dig(r.inputs, p)) for p in paths]
        if all(made_up(v) for _, v in values):
            continue
        text = ", ".join(f"{p}={shown(v)}" for p, v in values)
        grouped.setdefault((r.type, text), []).append(r.name)
    lines = []
    for (_, text), names in grouped.items():
        lines += wrapped(", ".join(sorted(names)) + ": ", text.split(", "))
    return lines


def summarize_stack(layer: str, plan: StackPlan) -> list[str]:
    lines = [
        f"== {plan.stack} ({layer}): {len(plan.resources)} resources, "
        f"{len(plan.outputs)} outputs, planned in {plan.seconds:.1f}s"
    ]
    lines += type_counts(Counter(r.type for r in plan.resources))
    protected = [r.name for r in plan.resources if r.options.get("protect")]
    retained = [r.name for r in plan.resources if r.options.get("retainOnDelete")]
    if protected == retained:
        lines += wrapped("protected and retained on delete: ", protected or ["none"])
    else:
        lines += wrapped("protected: ", protected or ["none"])
        lines += wrapped("retained on delete: ", retained or ["none"])
    settings = settings_lines(plan)
    if settings:
        lines.append(f"{INDENT}security / cost settings:")
        lines += settings
    return lines


def summarize(plan: EnvironmentPlan) -> str:
    lines = [f"Offline plan of environment {plan.environment!r} (Pulumi mocks, nothing deployed)."]
    note = (
        "Note: IDs, ARNs, endpoints, DNS names and the kubeconfig are placeholders made up by the "
        f"offline mocks, shown as {COMPUTED} below; every other value is what the program sets."
    )
    lines += wrapped("", note.split(" "), indent="", more="      ", sep="")
    for layer, stack_plan in plan.stacks.items():
        lines += summarize_stack(layer, stack_plan)
    return "\n".join(lines)
