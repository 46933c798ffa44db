"""EKS managed add-ons at pinned versions, each with its own IRSA role where it calls AWS."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.base import Component


@dataclass(frozen=True)
class AddonSpec:
    name: str
    version: str
    configuration: Mapping[str, Any] = field(default_factory=dict)
    service_account_role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class ClusterAddonsArgs:
    cluster_name: pulumi.Input[str]
    addons: Sequence[AddonSpec]
    # What must exist first: nothing for the networking add-ons (DaemonSets, healthy with zero
    # nodes); the node groups for CoreDNS and the EBS CSI controller (Deployments).
    after: Sequence[pulumi.Resource] = ()


class ClusterAddons(Component):
    """A batch of EKS managed add-ons. Versions come from landfall/versions.py for the cluster's
    Kubernetes version, so an upgrade moves them deliberately (R25); conflicts with in-cluster
    edits are overwritten (the code owns the configuration); ``preserve`` keeps the software
    running if an add-on is ever removed from the code, so networking never disappears."""

    addons: dict[str, aws.eks.Addon]

    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:ClusterAddons", name, None, opts)
        self.addons = {
            spec.name: aws.eks.Addon(
                f"{name}-{spec.name}",
                cluster_name=args.cluster_name,
                addon_name=spec.name,
                addon_version=spec.version,
                configuration_values=(
                    json.dumps(spec.configuration, sort_keys=True) if spec.configuration else None
                ),
                service_account_role_arn=spec.service_account_role_arn,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                preserve=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.after)),
            )
            for spec in args.addons
        }
        self.finish()
