"""The drain before an environment's gitops stack is destroyed.

Flux ignores ``dependsOn`` when it deletes: pruning the root Kustomization can remove the Load
Balancer Controller and external-dns before the Ingresses, LoadBalancer Services,
TargetGroupBindings and PersistentVolumeClaims whose AWS objects they clean up. Left behind are
``k8s-*`` load balancers and security groups in the subnets, records in the hosted zone and EBS
volumes, and the network stack's destroy then fails (DependencyViolation, HostedZoneNotEmpty).
So, while the controllers still run: stop Flux from re-creating anything, delete the objects
that own AWS resources, and wait until the controllers have deleted those resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from landfall.logic.flux import FLUX_NAMESPACE, SYNC_NAME

DRAIN_TIMEOUT_SECONDS = 20 * 60
DRAIN_POLL_SECONDS = 20
# The fleet's application Kustomization (fleet/clusters/<env>/apps.yaml).
APPS_KUSTOMIZATION = "apps"
# Kinds whose objects own AWS resources, deleted in this order (kubectl resource names).
OWNERS_OF_AWS_RESOURCES = (
    "ingresses.networking.k8s.io",
    "targetgroupbindings.elbv2.k8s.aws",
    "persistentvolumeclaims",
)

Kubectl = Callable[[Sequence[str]], tuple[int, str]]
# kubectl waits for the finalizers, within the two minutes a command may take; the drain then
# waits for the AWS objects themselves.
WAIT = ("--wait=true", "--timeout=100s")


def suspend_steps() -> list[list[str]]:
    """Stop Flux first: the root sync and the apps, so nothing deleted comes back."""
    kind = "kustomizations.kustomize.toolkit.fluxcd.io"
    patch = ["--type", "merge", "--patch", '{"spec":{"suspend":true}}']
    return [
        ["patch", kind, name, "-n", FLUX_NAMESPACE, *patch]
        for name in (SYNC_NAME, APPS_KUSTOMIZATION)
    ]


def delete_steps(load_balancer_services: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Delete the applications (their HelmReleases uninstall the workloads), then every object
    that owns an AWS resource, waiting for each: the controllers run their finalizers."""
    apps = f"kustomize.toolkit.fluxcd.io/name={APPS_KUSTOMIZATION}"
    steps = [["delete", "helmreleases.helm.toolkit.fluxcd.io", "-A", "--selector", apps, *WAIT]]
    steps += [
        ["delete", "service", name, "-n", namespace, *WAIT]
        for namespace, name in load_balancer_services
    ]
    steps += [
        ["delete", kind, "--all-namespaces", "--all", *WAIT] for kind in OWNERS_OF_AWS_RESOURCES
    ]
    return steps


def load_balancer_services(kubectl: Kubectl) -> list[tuple[str, str]]:
    """(namespace, name) of every Service of type LoadBalancer (an NLB the controller owns)."""
    status, text = kubectl(["get", "services", "--all-namespaces", "--output", "json"])
    if status != 0:
        return []
    items = json.loads(text or "{}").get("items", [])
    return [
        (i["metadata"]["namespace"], i["metadata"]["name"])
        for i in items
        if i.get("spec", {}).get("type") == "LoadBalancer"
    ]


@dataclass
class DrainTools:
    """What the drain uses; tests replace each."""

    kubectl: Kubectl
    # The AWS objects the controllers made for this cluster that still exist, one line each.
    leftovers: Callable[[], list[str]]
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    # Called once the drain is over, whatever its outcome (removes the kubeconfig file).
    close: Callable[[], None] = lambda: None


def drain(tools: DrainTools, out: TextIO, timeout: float = DRAIN_TIMEOUT_SECONDS) -> list[str]:
    """Suspend Flux, delete the owners of AWS resources, and wait for the AWS resources to go.
    Returns what is still there at the timeout (empty: drained)."""
    out.write("  draining: suspending Flux and deleting what owns AWS resources\n")
    for step in suspend_steps():
        tools.kubectl(step)  # a Kustomization already gone is fine
    for step in delete_steps(load_balancer_services(tools.kubectl)):
        status, text = tools.kubectl(step)
        if status != 0 and "NotFound" not in text and "the server doesn't have" not in text:
            out.write(f"    kubectl {' '.join(step[:2])}: {text.strip()[:200]}\n")
    deadline = tools.clock() + timeout
    left = tools.leftovers()
    while left and tools.clock() < deadline:
        out.write(f"    waiting for {len(left)} AWS object(s) the controllers are deleting\n")
        tools.sleep(DRAIN_POLL_SECONDS)
        left = tools.leftovers()
    return left


def controller_leftovers(clients: Any, cluster_name: str, domain: str | None) -> list[str]:
    """The AWS objects the cluster's controllers made that still exist: load balancers and
    security groups of the Load Balancer Controller (tag ``elbv2.k8s.aws/cluster``), EBS volumes
    of the EBS CSI driver (tag ``kubernetes.io/cluster/<name>: owned``), and the records
    external-dns owns in the environment's zone (its TXT ownership records)."""
    found: list[str] = []
    elbv2, ec2 = clients("elbv2"), clients("ec2")
    arns = [
        lb["LoadBalancerArn"]
        for page in elbv2.get_paginator("describe_load_balancers").paginate()
        for lb in page["LoadBalancers"]
    ]
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        for description in elbv2.describe_tags(ResourceArns=arns[start : start + 20])[
            "TagDescriptions"
        ]:
            tags = {t["Key"]: t["Value"] for t in description.get("Tags", [])}
            if tags.get("elbv2.k8s.aws/cluster") == cluster_name:
                found.append(f"load balancer {description['ResourceArn'].rsplit('/', 2)[-2]}")
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "tag:elbv2.k8s.aws/cluster", "Values": [cluster_name]}]
    )["SecurityGroups"]
    found += [f"security group {g['GroupId']} ({g.get('GroupName', '')})" for g in groups]
    volumes = ec2.describe_volumes(
        Filters=[{"Name": f"tag:kubernetes.io/cluster/{cluster_name}", "Values": ["owned"]}]
    )["Volumes"]
    found += [f"EBS volume {v['VolumeId']}" for v in volumes]
    if domain:
        found += _external_dns_records(clients("route53"), domain, cluster_name)
    return found


def _external_dns_records(route53: Any, domain: str, owner: str) -> list[str]:
    zones = route53.list_hosted_zones_by_name(DNSName=domain)["HostedZones"]
    zone = next((z for z in zones if z["Name"].rstrip(".") == domain), None)
    if zone is None:
        return []
    owned = f"external-dns/owner={owner}"
    records = [
        r
        for page in route53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone["Id"]
        )
        for r in page["ResourceRecordSets"]
    ]
    return [
        f"DNS record {r['Name'].rstrip('.')} (TXT ownership of external-dns)"
        for r in records
        if r["Type"] == "TXT" and any(owned in v["Value"] for v in r.get("ResourceRecords", []))
    ]
