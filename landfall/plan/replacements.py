"""The prod guard rail (issue 7): changes that would replace or delete a stateful resource.

Replacing the database, the search domain, the hosted zone or the cluster loses data or takes the
platform down, and Pulumi's preview says "replace" in one line among hundreds. This module
compares two offline inventories (the golden plan and the current one) and returns a finding for
every change of a *replace-triggering* input of those types, and for every change of their URN
(a renamed or re-parented resource is deleted and created unless it gets an alias).

Which inputs trigger a replacement is taken from the Terraform AWS provider that pulumi-aws
bridges: the schema attributes marked ``ForceNew`` (and the ``CustomizeDiff`` rules that force
a new resource under conditions), as of provider v5/v6 (pulumi-aws 7). Checked and deliberately
*not* listed, because they update in place: RDS ``dbSubnetGroupName``, ``instanceClass``,
``engineVersion``, ``multiAz``, ``allocatedStorage``; EKS ``vpcConfig.subnetIds`` and
``vpcConfig.securityGroupIds`` (updatable since provider v5), ``version``; Route53 ``comment`` and
``vpcs``. For the pulumi-eks ``eks:index:Cluster`` component the inputs that feed those
attributes of the ``aws:eks/cluster:Cluster`` it creates are listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from landfall.plan.inventory import (
    ValueChange,
    diff_inventories,
    dig,
    layers_of,
    resources_by_urn,
    short,
)

# A rule decides, from the old and new value, whether the change replaces the resource:
# True (it does), None (it may: depends on something the inventory cannot see), False (it does
# not).
Rule = Callable[[Any, Any], bool | None]


def always(old: Any, new: Any) -> bool | None:
    return True


def when_disabled(old: Any, new: Any) -> bool | None:
    """Turning a protection off forces a new resource; turning it on is done in place."""
    return bool(old) and not bool(new)


def when_removed_else_maybe(old: Any, new: Any) -> bool | None:
    """Removing it forces a new resource; changing it cannot be done in place (may fail)."""
    return True if new is None else None


_VERSION = re.compile(r"^(?P<family>[A-Za-z]+)_(?P<major>\d+)\.(?P<minor>\d+)$")


def opensearch_version(old: Any, new: Any) -> bool | None:
    """A downgrade or a change of engine family replaces the domain; an upgrade is in place
    only when AWS offers it as a direct upgrade target (which the inventory cannot know)."""
    a, b = _VERSION.match(str(old)), _VERSION.match(str(new))
    if a is None or b is None or a["family"] != b["family"]:
        return True
    before = (int(a["major"]), int(a["minor"]))
    after = (int(b["major"]), int(b["minor"]))
    return True if after < before else None


@dataclass(frozen=True)
class Trigger:
    path: str  # input path as in the inventory (camelCase, dotted)
    rule: Rule = always
    why: str = "ForceNew in the provider schema"


@dataclass(frozen=True)
class Guarded:
    label: str
    triggers: tuple[Trigger, ...]


_EKS_ENCRYPTION = (
    "EKS cannot disable or re-key secrets encryption in place: removing it replaces the cluster, "
    "changing the key fails or replaces"
)

GUARDED: dict[str, Guarded] = {
    "aws:rds/instance:Instance": Guarded(
        "database",
        tuple(
            Trigger(p)
            for p in (
                "identifier",
                "identifierPrefix",
                "engine",
                "availabilityZone",
                "characterSetName",
                "ncharCharacterSetName",
                "customIamInstanceProfile",
                "dbName",
                "kmsKeyId",
                "storageEncrypted",
                "snapshotIdentifier",
                "restoreToPointInTime",
                "s3Import",
                "timezone",
                "username",
            )
        ),
    ),
    "aws:opensearch/domain:Domain": Guarded(
        "search domain",
        (
            Trigger("domainName"),
            Trigger("vpcOptions", why="the vpc_options block is ForceNew (subnets, groups, VPC)"),
            Trigger("encryptAtRest.kmsKeyId"),
            Trigger("advancedSecurityOptions.enabled"),
            Trigger("encryptAtRest.enabled", when_disabled, "disabling encryption forces new"),
            Trigger("nodeToNodeEncryption.enabled", when_disabled, "disabling forces new"),
            Trigger(
                "engineVersion",
                opensearch_version,
                "replaced unless the new version is a direct upgrade target of the old",
            ),
        ),
    ),
    "aws:route53/zone:Zone": Guarded(
        "hosted zone",
        (Trigger("name"), Trigger("delegationSetId")),
    ),
    "aws:eks/cluster:Cluster": Guarded(
        "cluster",
        (
            Trigger("name"),
            Trigger("roleArn"),
            Trigger("kubernetesNetworkConfig.serviceIpv4Cidr"),
            Trigger("kubernetesNetworkConfig.ipFamily"),
            Trigger("bootstrapSelfManagedAddons"),
            Trigger("accessConfig.bootstrapClusterCreatorAdminPermissions"),
            Trigger("outpostConfig"),
            Trigger("encryptionConfig", when_removed_else_maybe, _EKS_ENCRYPTION),
        ),
    ),
    "eks:index:Cluster": Guarded(
        "cluster",
        (
            Trigger("name"),
            Trigger("serviceRole", why="feeds the cluster's roleArn (ForceNew)"),
            Trigger("kubernetesServiceIpAddressRange", why="feeds serviceIpv4Cidr (ForceNew)"),
            Trigger("ipFamily", why="feeds kubernetesNetworkConfig.ipFamily (ForceNew)"),
            Trigger("bootstrapSelfManagedAddons"),
            Trigger("vpcId", why="a control plane cannot move to another VPC"),
            Trigger("encryptionConfigKeyArn", when_removed_else_maybe, _EKS_ENCRYPTION),
        ),
    ),
}


@dataclass(frozen=True)
class Replacement:
    layer: str
    type: str
    label: str
    urn: str
    certain: bool  # False: "may be replaced" (depends on something offline plans cannot see)
    reason: str

    def render(self) -> str:
        verdict = "WILL" if self.certain else "MAY"
        name = self.urn.rsplit("::", 1)[-1]
        return f"[{verdict}] {self.layer}: the {self.label} {name} ({self.type}): {self.reason}"


def _under(path: str, trigger: str) -> bool:
    """Whether a changed path and a trigger path overlap (one contains the other)."""
    for a, b in ((path, trigger), (trigger, path)):
        if a == b or a.startswith(b + ".") or a.startswith(b + "["):
            return True
    return False


def _input_replacements(
    layer: str,
    guarded: Guarded,
    resource: Mapping[str, Any],
    old: Mapping[str, Any],
    changes: tuple[ValueChange, ...],
) -> list[Replacement]:
    paths = [c.path.removeprefix("inputs.") for c in changes if c.path.startswith("inputs.")]
    findings = []
    for trigger in guarded.triggers:
        if not any(_under(p, trigger.path) for p in paths):
            continue
        before = dig(old.get("inputs", {}), trigger.path)
        after = dig(resource.get("inputs", {}), trigger.path)
        verdict = trigger.rule(before, after)
        if verdict is False:
            continue
        findings.append(
            Replacement(
                layer,
                str(resource["type"]),
                guarded.label,
                str(resource["urn"]),
                certain=verdict is True,
                reason=f"{trigger.path}: {short(before, 48)} → {short(after, 48)} ({trigger.why})",
            )
        )
    return findings


def stateful_replacements(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Replacement]:
    """Every change from ``old`` to ``new`` (normalised inventories) that would replace or
    delete a guarded stateful resource. Pure: no I/O."""
    findings: list[Replacement] = []
    diff = diff_inventories(old, new)
    for change in diff.of_kind("changed"):
        guarded = GUARDED.get(change.type)
        if guarded is None:
            continue
        before = resources_by_urn(old, change.layer)[change.urn]
        after = resources_by_urn(new, change.layer)[change.urn]
        findings += _input_replacements(change.layer, guarded, after, before, change.changes)
    for layer in layers_of(old, new):
        for type_token, guarded in GUARDED.items():
            here = [c for c in diff.resources if c.layer == layer and c.type == type_token]
            removed = [c for c in here if c.kind == "removed"]
            added = [c for c in here if c.kind == "added"]
            for gone in removed:
                if added:
                    now = ", ".join(a.urn for a in added)
                    reason = (
                        f"its URN changed (renamed or re-parented) to {now}: Pulumi deletes the "
                        "old one and creates a new one unless the new resource declares "
                        f"aliases=[{gone.urn!r}]"
                    )
                else:
                    reason = "it is no longer declared: Pulumi deletes it"
                findings.append(
                    Replacement(layer, type_token, guarded.label, gone.urn, True, reason)
                )
    return findings


def render_replacements(env: str, findings: list[Replacement]) -> str:
    """The banner ``landfall plan`` prints when a stateful resource is at risk."""
    certain = sum(f.certain for f in findings)
    title = (
        f"STATEFUL RESOURCES AT RISK in {env}: {certain} change(s) WILL and "
        f"{len(findings) - certain} MAY replace or delete a database, search domain, hosted zone "
        "or cluster"
    )
    bar = "!" * min(len(title) + 6, 100)
    lines = [bar, f"!! {title}", bar]
    lines += [f"  {f.render()}" for f in findings]
    if env == "prod":
        lines.append(
            "  In prod this loses data or takes the platform down. If it is intended, plan the "
            "migration (snapshot, restore, DNS cut-over) and say so in the pull request."
        )
    return "\n".join(lines)
