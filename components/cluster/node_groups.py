"""Bottlerocket managed node groups, exactly one per availability zone, and the node IAM role."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.shared.iam_role import IamRole, IamRoleArgs
from landfall.config import NodeGroupConfig
from landfall.logic.eks import (
    DATA_DEVICE,
    IMDS_HOP_LIMIT,
    OS_DEVICE,
    OS_VOLUME_GB,
    ami_type,
    bottlerocket_settings,
    node_labels,
    toml,
)
from landfall.program.iam import NODE_POLICIES, Statement, service_trust


@dataclass(frozen=True)
class NodeGroupsArgs:
    cluster_name: pulumi.Input[str]
    kubernetes_version: str
    environment: str
    # (availability zone, that zone's private subnet ID), in rollout order.
    subnets: Sequence[tuple[str, pulumi.Input[str]]]
    # Attached to every node: EKS's cluster security group and the network's data-access group.
    security_group_ids: Sequence[pulumi.Input[str]]
    volume_kms_key_arn: pulumi.Input[str]
    nodes: NodeGroupConfig
    # The environment's tags, put on the instances, volumes and network interfaces the groups
    # launch: the provider's default tags reach the launch template, not what it launches, and
    # instances are most of the bill (cost allocation).
    cost_tags: Mapping[str, str]
    # Created before the first group (the VPC CNI and kube-proxy add-ons).
    after: Sequence[pulumi.Resource] = ()
    # The nodes' permissions beyond NODE_POLICIES (filling the image mirror).
    role_policy: Sequence[Statement] = ()


class NodeGroups(Component):
    """One EKS managed node group per AZ (R6), so a zone's EBS volumes always have nodes in their
    zone, even while a group is being replaced. One launch template pins down what the managed
    group's defaults leave open: IMDSv2 only, encrypted gp3 OS and data volumes, no public IP,
    the security groups, Bottlerocket settings (R10, R14). Each group depends on the previous
    one, so a version or template change rolls one zone at a time, ``max_unavailable`` nodes at
    a time within it (R25)."""

    role_arn: pulumi.Output[str]
    names: pulumi.Output[list[str]]
    groups: list[aws.eks.NodeGroup]

    def __init__(
        self, name: str, args: NodeGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:NodeGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        nodes = args.nodes
        role = IamRole(
            f"{name}-role",
            IamRoleArgs(
                description="EKS worker nodes: join the cluster, pull images, SSM",
                trust=service_trust("ec2.amazonaws.com"),
                managed_policy_arns=NODE_POLICIES,
                policy=args.role_policy,
            ),
            child,
        )
        user_data = toml(bottlerocket_settings())
        template = aws.ec2.LaunchTemplate(
            name,
            description="Bottlerocket managed nodes: IMDSv2 only, encrypted volumes, no public IP",
            update_default_version=True,
            user_data=base64.b64encode(user_data.encode()).decode(),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=IMDS_HOP_LIMIT,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                self._volume(OS_DEVICE, OS_VOLUME_GB, args.volume_kms_key_arn),
                self._volume(DATA_DEVICE, nodes.disk_size_gb, args.volume_kms_key_arn),
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="false",
                    delete_on_termination="true",
                    security_groups=list(args.security_group_ids),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind,
                    tags={
                        **args.cost_tags,
                        "Name": pulumi.Output.concat(args.cluster_name, "-node"),
                    },
                )
                for kind in ("instance", "volume", "network-interface")
            ],
            opts=child,
        )
        image = ami_type(nodes.instance_types)
        self.groups = []
        previous: list[pulumi.Resource] = list(args.after)
        for zone, subnet_id in args.subnets:
            group = aws.eks.NodeGroup(
                f"{name}-{zone}",
                cluster_name=args.cluster_name,
                node_role_arn=role.arn,
                subnet_ids=[subnet_id],
                ami_type=image,
                capacity_type=nodes.capacity_type,
                instance_types=list(nodes.instance_types),
                version=args.kubernetes_version,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    min_size=nodes.min_size,
                    desired_size=nodes.desired_size,
                    max_size=nodes.max_size,
                ),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(
                    max_unavailable=nodes.max_unavailable
                ),
                labels=node_labels(args.environment, zone, nodes.capacity_type),
                # One node of the group at a time, so the zone keeps its capacity (R6).
                node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(
                    enabled=True, max_parallel_nodes_repaired_count=1
                )
                if nodes.auto_repair
                else None,
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[role, *previous],
                    # The Cluster Autoscaler owns the group's size once it exists: desiredSize
                    # only sets the first size, and an `up` never resets what it scaled to
                    # (min and max still come from the settings).
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )
            self.groups.append(group)
            previous = [group]
        self.role_arn = role.arn
        self.names = pulumi.Output.all(*(g.node_group_name for g in self.groups))
        self.finish()

    @staticmethod
    def _volume(
        device: str, size_gb: int, kms_key_arn: pulumi.Input[str]
    ) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
        return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name=device,
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=size_gb,
                volume_type="gp3",
                encrypted="true",
                kms_key_id=kms_key_arn,
                delete_on_termination="true",
            ),
        )
