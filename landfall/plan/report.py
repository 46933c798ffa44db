"""Human-readable summary of an offline plan: resource counts and the settings that matter.

``HIGHLIGHTS`` lists, per resource type, the inputs that are security- or cost-relevant; the
summary prints them for every resource of that type, so a reviewer sees test/prod differences.
"""

from __future__ import annotations

from collections import Counter

from landfall.plan.harness.mocks import PLACEHOLDER_NOTE
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


def summarize_stack(layer: str, plan: StackPlan) -> list[str]:
    lines = [
        f"== {plan.stack} ({layer}): {len(plan.resources)} resources, "
        f"{len(plan.outputs)} outputs, planned in {plan.seconds:.1f}s"
    ]
    counts = Counter(r.type for r in plan.resources)
    for type_token, count in sorted(counts.items()):
        lines.append(f"   {count:4d}  {type_token}")
    protected = [r.name for r in plan.resources if r.options.get("protect")]
    retained = [r.name for r in plan.resources if r.options.get("retainOnDelete")]
    lines.append(f"   protected: {', '.join(protected) or 'none'}")
    lines.append(f"   retained on delete: {', '.join(retained) or 'none'}")
    settings = []
    for r in plan.resources:
        paths = HIGHLIGHTS.get(r.type)
        if paths:
            shown = ", ".join(f"{p}={dig(r.inputs, p)!r}" for p in paths)
            settings.append(f"   {r.name}: {shown}")
    if settings:
        lines.append("   security / cost settings:")
        lines += settings
    return lines


def summarize(plan: EnvironmentPlan) -> str:
    lines = [f"Offline plan of environment {plan.environment!r} (Pulumi mocks, nothing deployed)."]
    lines.append(f"Note: {PLACEHOLDER_NOTE}")
    for layer, stack_plan in plan.stacks.items():
        lines += summarize_stack(layer, stack_plan)
    return "\n".join(lines)
