"""A rough monthly estimate of an environment's fixed cost drivers, from its plan (issue 16):
NAT gateways, interface endpoints, the load balancer, the EKS cluster (and its extended-support
fee once standard support ends), the node groups' instances, the database and the search domain.
Priced from the pinned, dated table in ``landfall.plan.prices``; data transfer, storage,
requests and logs are left out. An estimate, and labelled as one."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from landfall.plan import prices
from landfall.plan.inventory import Inventory, dig


@dataclass(frozen=True)
class CostLine:
    what: str
    count: int
    hourly: float | None  # per unit; None: not in the price table

    @property
    def monthly(self) -> float | None:
        if self.hourly is None:
            return None
        return self.count * self.hourly * prices.HOURS_PER_MONTH


@dataclass
class CostEstimate:
    lines: list[CostLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.monthly or 0.0 for line in self.lines)

    @property
    def unpriced(self) -> list[str]:
        return [line.what for line in self.lines if line.hourly is None]

    def summary(self) -> str:
        head = (
            f"== monthly cost drivers: a ROUGH ESTIMATE at {prices.PRICES_REGION} on-demand list "
            f"prices compiled {prices.PRICES_COMPILED} (landfall/plan/prices.py), before data "
            "transfer, storage, requests and logs"
        )
        rows = [head]
        for line in self.lines:
            cost = "no price in the table" if line.monthly is None else f"${line.monthly:,.0f}"
            rows.append(f"   {line.count:>3} x {line.what}: {cost}")
        rows.append(
            f"   about ${self.total:,.0f} a month"
            + (f", plus {len(self.unpriced)} item(s) without a price" if self.unpriced else "")
        )
        rows += [f"   note: {note}" for note in self.notes]
        return "\n".join(rows)


def _resources(inventory: Inventory, type_token: str) -> list[dict[str, Any]]:
    return [
        {"name": r["name"], **r["inputs"]}
        for stack in inventory["stacks"].values()
        for r in stack["resources"]
        if r["type"] == type_token
    ]


def estimate(
    inventory: Inventory,
    region: str,
    end_of_standard_support: datetime.date | None,
    on: datetime.date,
) -> CostEstimate:
    """The estimate of the planned environment in ``region``; ``end_of_standard_support`` of
    its Kubernetes version (None: no cluster) decides the extended-support note."""
    out = CostEstimate()
    nats = _resources(inventory, "aws:ec2/natGateway:NatGateway")
    if nats:
        out.lines.append(CostLine("NAT gateway", len(nats), prices.NAT_GATEWAY_HOUR))
    interface_azs = sum(
        len(e.get("subnetIds") or [])
        for e in _resources(inventory, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.get("vpcEndpointType") == "Interface"
    )
    if interface_azs:
        out.lines.append(
            CostLine("interface endpoint x AZ", interface_azs, prices.INTERFACE_ENDPOINT_AZ_HOUR)
        )
    albs = [
        lb
        for lb in _resources(inventory, "aws:lb/loadBalancer:LoadBalancer")
        if lb.get("loadBalancerType", "application") == "application"
    ]
    if albs:
        out.lines.append(
            CostLine("application load balancer (before LCUs)", len(albs), prices.ALB_HOUR)
        )
    for acl in _resources(inventory, "aws:wafv2/webAcl:WebAcl"):
        out.lines.append(CostLine("WAF web ACL", 1, prices.WAF_WEB_ACL_HOUR))
        out.lines.append(
            CostLine(
                "WAF rule (before requests)", len(acl.get("rules") or []), prices.WAF_RULE_HOUR
            )
        )
    keys = _resources(inventory, "aws:kms/key:Key")
    if keys:
        out.lines.append(CostLine("KMS key (before requests)", len(keys), prices.KMS_KEY_HOUR))
    clusters = _resources(inventory, "eks:index:Cluster")
    for cluster in clusters:
        out.lines.append(CostLine("EKS cluster (standard support)", 1, prices.EKS_CLUSTER_HOUR))
        policy = dig(cluster, "upgradePolicy.supportType") or "EXTENDED"
        if end_of_standard_support is not None:
            days = (end_of_standard_support - on).days
            extra = (
                prices.EKS_EXTENDED_CLUSTER_HOUR - prices.EKS_CLUSTER_HOUR
            ) * prices.HOURS_PER_MONTH
            if policy == "EXTENDED":
                out.notes.append(
                    f"Kubernetes {cluster.get('version')} leaves standard support on "
                    f"{end_of_standard_support} (in {days} days); from then EKS extended "
                    f"support adds about ${extra:,.0f} a month until the cluster is upgraded"
                )
            else:
                out.notes.append(
                    f"upgrade policy STANDARD: EKS upgrades the cluster on "
                    f"{end_of_standard_support} instead of charging extended support"
                )
    nodes: dict[tuple[str, bool], list[int]] = {}
    for group in _resources(inventory, "aws:eks/nodeGroup:NodeGroup"):
        types = group.get("instanceTypes") or ["?"]
        size = int(dig(group, "scalingConfig.desiredSize") or 0)
        nodes.setdefault((types[0], group.get("capacityType") == "SPOT"), []).append(size)
    for (instance_type, spot), sizes in sorted(nodes.items()):
        label = f"{instance_type} node ({len(sizes)} group(s)" + (
            ", spot: on-demand price as ceiling)" if spot else ")"
        )
        out.lines.append(CostLine(label, sum(sizes), prices.EC2_HOUR.get(instance_type)))
    for db in _resources(inventory, "aws:rds/instance:Instance"):
        klass = str(db.get("instanceClass"))
        count = 2 if db.get("multiAz") else 1
        label = f"{klass} database instance" + (
            " (Multi-AZ: primary and standby)" if count == 2 else ""
        )
        out.lines.append(CostLine(label, count, prices.RDS_HOUR.get(klass)))
    for domain in _resources(inventory, "aws:opensearch/domain:Domain"):
        config = domain.get("clusterConfig") or {}
        data = str(config.get("instanceType"))
        out.lines.append(
            CostLine(
                f"{data} search node",
                int(config.get("instanceCount") or 1),
                prices.OPENSEARCH_HOUR.get(data),
            )
        )
        if config.get("dedicatedMasterEnabled"):
            master = str(config.get("dedicatedMasterType"))
            out.lines.append(
                CostLine(
                    f"{master} search master",
                    int(config.get("dedicatedMasterCount") or 0),
                    prices.OPENSEARCH_HOUR.get(master),
                )
            )
    if region != prices.PRICES_REGION:
        out.notes.append(
            f"priced at {prices.PRICES_REGION} rates; {region} is usually 5-20% dearer"
        )
    out.notes.append(
        "nodes at the groups' desiredSize: the Cluster Autoscaler moves between minSize and maxSize"
    )
    return out
