"""The EKS control plane (pulumi-eks) with its log group and the IRSA OIDC provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks

from components.base import Component, kms_log_group
from landfall.logic.eks import CONTROL_PLANE_LOG_TYPES, kubeconfig_cluster
from landfall.program.eks import creator_admin_transform
from landfall.program.protection import stateful


@dataclass(frozen=True)
class EksClusterArgs:
    name: str
    kubernetes_version: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]
    service_cidr: str
    secrets_kms_key_arn: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    public_access_cidrs: Sequence[str]
    keep_creator_admin: bool
    production: bool
    # EKS support policy at the end of standard support: STANDARD or EXTENDED (explicit: EKS
    # defaults to EXTENDED, and its fee, when this is unset).
    upgrade_support_type: str = "STANDARD"
    # Security groups whose members may reach the private API endpoint (the CI runners, R27).
    api_client_security_group_ids: Sequence[pulumi.Input[str]] = ()


class EksCluster(Component):
    """The control plane through pulumi-eks, the community component, configured so that it only
    creates the cluster, its IAM role (AmazonEKSClusterPolicy) and its IRSA OIDC provider: API
    authentication (access entries only), Secrets envelope-encrypted with the cluster KMS key,
    all five log types into a retained, encrypted log group, private endpoint (public only for
    listed CIDRs), ENIs in the private subnets. Add-ons, node groups, access entries and RBAC are
    ours (see docs/cluster.md).

    pulumi-eks forces EKS's bootstrap cluster-admin for the cluster's creator; unless
    ``keep_creator_admin`` is set, a transform turns it off (the deployer's access is then an
    explicit access entry, see ClusterAccess)."""

    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:EksCluster", name, None, opts)
        # EKS would create this group itself on first log write, unencrypted and kept forever.
        logs = kms_log_group(
            f"{name}-control-plane",
            f"/aws/eks/{args.name}/cluster",
            args.log_retention_days,
            args.log_kms_key_arn,
            stateful(self, args.production),
        )
        public = bool(args.public_access_cidrs)
        cluster = eks.Cluster(
            name,
            name=args.name,
            version=args.kubernetes_version,
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=list(args.public_access_cidrs) if public else None,
            kubernetes_service_ip_address_range=args.service_cidr,
            authentication_mode=eks.AuthenticationMode.API,
            encryption_config_key_arn=args.secrets_kms_key_arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            create_oidc_provider=True,
            deletion_protection=args.production,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.upgrade_support_type),
            # Nothing else from the component: no default node group or instance role, no
            # extra security groups (nodes use EKS's cluster security group), and no
            # self-managed or component-managed add-ons (ClusterAddons installs them, pinned).
            skip_default_node_group=True,
            create_instance_role=False,
            skip_default_security_groups=True,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[logs],
                transforms=None if args.keep_creator_admin else [creator_admin_transform],
            ),
        )
        # Endpoint and CA are public facts; pulumi-eks hands them over inside its kubeconfig.
        access_point = pulumi.Output.unsecret(cluster.kubeconfig.apply(kubeconfig_cluster))
        self.endpoint = access_point.apply(lambda point: point[0])
        self.certificate_authority = access_point.apply(lambda point: point[1])
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.oidc_issuer = cluster.oidc_issuer
        self.oidc_issuer_url = cluster.oidc_provider_url
        # With skip_default_security_groups this is the security group EKS creates for the
        # cluster: on the control-plane ENIs, and attached to every node by NodeGroups.
        self.security_group_id = cluster.cluster_security_group_id
        for index, client in enumerate(args.api_client_security_group_ids):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-client-{index}",
                security_group_id=self.security_group_id,
                referenced_security_group_id=client,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="The Kubernetes API for CI runners inside the VPC",
                opts=pulumi.ResourceOptions(parent=self),
            )
        # The name as an output of the created cluster, so that whatever uses it waits for it.
        self.name = self.security_group_id.apply(lambda _: args.name)
        self.finish()
