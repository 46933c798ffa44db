"""Layer 2, the cluster stack: EKS, node groups, add-ons, workload IAM roles, human and CI access.

Reads the network stack through a StackReference and exports ClusterOutputs (R24). Principals
(SSO roles, the deployer) are looked up before anything is declared, so a bad mapping fails the
run with a ConfigError and nothing half-created.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.cluster.ci_notifier import CiNotifier, CiNotifierArgs
from components.cluster.cluster_access import ClusterAccess, ClusterAccessArgs
from components.cluster.cluster_addons import AddonSpec, ClusterAddons, ClusterAddonsArgs
from components.cluster.cluster_rbac import ClusterRbac, ClusterRbacArgs
from components.cluster.eks_cluster import EksCluster, EksClusterArgs
from components.cluster.node_groups import NodeGroups, NodeGroupsArgs
from components.cluster.observability import ClusterObservability, ClusterObservabilityArgs
from components.shared.iam_role import IamRole, IamRoleArgs
from functions.data_access import handler as data_access
from landfall.config import EnvironmentConfig
from landfall.logic.alarms import cluster_alarms
from landfall.logic.contracts import BootstrapOutputs, ClusterOutputs, NetworkOutputs
from landfall.logic.eks import notifier_subjects
from landfall.logic.envmap import secrets_prefix
from landfall.logic.prerequisites import ci_role_name
from landfall.logic.rbac import NOTIFIER_GROUP
from landfall.logic.versions import ADDON_VERSIONS
from landfall.program.access import (
    AccessGrant,
    CiPrincipals,
    access_grants,
    deployer_role_arn,
    resolve_sso_roles,
    sso_role_lister,
)
from landfall.program.iam import (
    EBS_CSI_POLICIES,
    VPC_CNI_POLICIES,
    Statement,
    cloudwatch_observability_policy,
    cluster_autoscaler_policy,
    ebs_csi_kms_policy,
    ecr_pull_policy,
    external_dns_policy,
    irsa_trust,
    load_balancer_controller_policy,
    pull_through_policy,
    service_data_policy,
    service_secrets_policy,
)
from landfall.program.outputs import export_outputs, read_outputs, stack_reference
from landfall.program.provider import aws_provider, component_opts


def run(cfg: EnvironmentConfig) -> None:
    cluster_cfg = cfg.require("cluster", cfg.cluster)
    region, account, env = str(cfg.region), str(cfg.account_id), cfg.environment
    provider = aws_provider(cfg, "cluster")
    opts = component_opts(provider)
    account_prerequisites = read_outputs(BootstrapOutputs, stack_reference("bootstrap", env))
    network = read_outputs(NetworkOutputs, stack_reference("network", env))

    sso_roles = resolve_sso_roles(cluster_cfg.sso_mappings, sso_role_lister(provider))
    # Checked before anything is declared: a creator that is also a mapped role is refused.
    ci_roles = CiPrincipals(
        deploy_role_name_arn=f"arn:aws:iam::{account}:role/"
        + ci_role_name(cfg.name_prefix, "deploy"),
        deploy_role_arn=account_prerequisites.deploy_role_arn,
        preview_role_arn=account_prerequisites.preview_role_arn,
    )
    people = access_grants(
        cluster_cfg.sso_mappings,
        sso_roles,
        ci_roles,
        deployer_role_arn(provider),
        keep_creator_admin=cluster_cfg.keep_creator_admin,
    )
    ci = cfg.require("ci", cfg.ci)
    subjects = notifier_subjects(ci.repository, cluster_cfg.ci_notifier_subjects)

    cluster = EksCluster(
        "eks",
        EksClusterArgs(
            name=cfg.name_prefix,
            kubernetes_version=cluster_cfg.kubernetes_version,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            service_cidr=cluster_cfg.service_cidr,
            secrets_kms_key_arn=network.cluster_kms_key_arn,
            log_kms_key_arn=network.data_kms_key_arn,
            log_retention_days=cluster_cfg.log_retention_days,
            public_access_cidrs=cluster_cfg.endpoint_public_access_cidrs,
            keep_creator_admin=cluster_cfg.keep_creator_admin,
            production=cfg.is_production,
            upgrade_support_type=cluster_cfg.upgrade_policy,
            api_client_security_group_ids=[network.ci_runner_security_group_id],
        ),
        opts,
    )

    def workload_role(
        name: str,
        namespace: str,
        service_account: str,
        managed: Sequence[str] = (),
        policy: Sequence[Statement] = (),
    ) -> IamRole:
        """An IRSA role only ``namespace/service_account`` of this cluster can assume."""
        issuer = cluster.oidc_issuer
        trust = irsa_trust(cluster.oidc_provider_arn, issuer, namespace, service_account)
        description = f"{cfg.name_prefix} {namespace}/{service_account} (IRSA)"
        return IamRole(name, IamRoleArgs(description, trust, managed, policy), opts)

    versions = ADDON_VERSIONS[cluster_cfg.kubernetes_version]
    vpc_cni = workload_role("vpc-cni", "kube-system", "aws-node", managed=VPC_CNI_POLICIES)
    ebs_csi = workload_role(
        "ebs-csi-driver",
        "kube-system",
        "ebs-csi-controller-sa",
        managed=EBS_CSI_POLICIES,
        # The key the fleet's encrypted StorageClass names (EBS_KMS_KEY_ARN).
        policy=ebs_csi_kms_policy(network.data_kms_key_arn, region),
    )
    networking = ClusterAddons(
        "addons",
        ClusterAddonsArgs(
            cluster.name,
            [
                # Network policy enforcement by the VPC CNI's node agent (R11).
                AddonSpec(
                    "vpc-cni", versions.vpc_cni, {"enableNetworkPolicy": "true"}, vpc_cni.arn
                ),
                AddonSpec("kube-proxy", versions.kube_proxy),
            ],
        ),
        opts,
    )
    zones = cfg.availability_zones()
    nodes = NodeGroups(
        "nodes",
        NodeGroupsArgs(
            cluster_name=cluster.name,
            kubernetes_version=cluster_cfg.kubernetes_version,
            environment=env,
            subnets=[(zone, _subnet_in(network, zone)) for zone in zones],
            security_group_ids=[cluster.security_group_id, network.data_access_security_group_id],
            volume_kms_key_arn=network.cluster_kms_key_arn,
            nodes=cluster_cfg.nodes,
            cost_tags=cfg.all_tags("cluster"),
            after=[networking],
            role_policy=pull_through_policy(region, account),
        ),
        opts,
    )
    ClusterAddons(
        "workload-addons",
        ClusterAddonsArgs(
            cluster.name,
            [
                AddonSpec("coredns", versions.coredns),
                # Cost tags on every volume it creates (the add-on's configuration schema has
                # controller.extraVolumeTags, the driver's --extra-tags).
                AddonSpec(
                    "aws-ebs-csi-driver",
                    versions.ebs_csi_driver,
                    {"controller": {"extraVolumeTags": cfg.controller_tags()}},
                    ebs_csi.arn,
                ),
            ],
            after=[nodes],
        ),
        opts,
    )
    observe = cfg.observability
    observability = ClusterObservability(
        "observability",
        ClusterObservabilityArgs(
            cluster_name=cfg.name_prefix,
            kms_key_arn=network.data_kms_key_arn,
            retention_days=observe.log_retention_days,
            container_logs=observe.container_logs,
            topic_arn=network.alarm_topic_arn,
            alarms=cluster_alarms(
                cfg.name_prefix, cfg.name_prefix, cfg.alarms, gitops_errors=observe.container_logs
            ),
        ),
        opts,
    )
    cloudwatch_agent = workload_role(
        "cloudwatch-observability",
        "amazon-cloudwatch",
        "cloudwatch-agent",
        policy=cloudwatch_observability_policy(region, account, cfg.name_prefix),
    )
    ClusterAddons(
        "observability-addons",
        ClusterAddonsArgs(
            cluster.name,
            [
                # Enhanced Container Insights (the node, pod and OOM metrics the alarms read);
                # an agent configuration of its own also leaves Application Signals off.
                AddonSpec(
                    "amazon-cloudwatch-observability",
                    versions.cloudwatch_observability,
                    {
                        "containerLogs": {"enabled": observe.container_logs},
                        "agent": {
                            "config": {
                                "logs": {
                                    "metrics_collected": {
                                        "kubernetes": {"enhanced_container_insights": True}
                                    }
                                }
                            }
                        },
                    },
                    cloudwatch_agent.arn,
                ),
            ],
            # Its log groups first: the writers would create them unencrypted.
            after=[nodes, observability],
        ),
        opts,
    )

    load_balancer_controller = workload_role(
        "aws-load-balancer-controller",
        "kube-system",
        "aws-load-balancer-controller",
        policy=load_balancer_controller_policy(
            cfg.name_prefix,
            region,
            account,
            cluster.security_group_id,
            network.target_group_arns.apply(lambda arns: sorted(arns.values()))
            if cfg.services
            else None,
            vpc_id=network.vpc_id,
        ),
    )
    external_dns = workload_role(
        "external-dns",
        "external-dns",
        "external-dns",
        policy=external_dns_policy([network.hosted_zone_arn]),
    )
    cluster_autoscaler = workload_role(
        "cluster-autoscaler",
        "kube-system",
        "cluster-autoscaler",
        policy=cluster_autoscaler_policy(region, account, cluster.name),
    )
    flux_source = workload_role(
        "flux-source-controller",
        "flux-system",
        "source-controller",
        policy=ecr_pull_policy(
            network.chart_repository_urls.apply(
                lambda urls: [
                    f"arn:aws:ecr:{region}:{account}:repository/{name}" for name in sorted(urls)
                ]
            )
        ),
    )
    services = {
        service.name: workload_role(
            f"service-{service.name}",
            service.k8s_namespace,
            service.name,
            policy=[
                *service_secrets_policy(
                    region,
                    account,
                    f"{secrets_prefix(env)}/{service.name}",
                    network.secrets_kms_key_arn,
                ),
                *service_data_policy(
                    region,
                    account,
                    network.database_resource_id if service.database else None,
                    data_access.sql_name(service.name) if service.database else None,
                    network.search_domain_arn if service.search else None,
                    data_access.index_pattern(service.name) if service.search else None,
                ),
            ],
        )
        for service in cfg.services
    }
    grant_data_access(cfg, network, {name: role.arn for name, role in services.items()}, opts)

    notifier = CiNotifier(
        "ci-notifier",
        CiNotifierArgs(
            cluster_arn=cluster.name.apply(
                lambda name: f"arn:aws:eks:{region}:{account}:cluster/{name}"
            ),
            github_oidc_provider_arn=account_prerequisites.github_oidc_provider_arn,
            github_subjects=subjects,
        ),
        opts,
    )
    access = ClusterAccess(
        "access",
        ClusterAccessArgs(
            cluster.name,
            [
                *people,
                AccessGrant("ci-notifier", notifier.arn, (NOTIFIER_GROUP,)),
            ],
        ),
        opts,
    )
    ClusterRbac(
        "rbac",
        ClusterRbacArgs(cluster.kubeconfig, cluster_cfg.sso_mappings, after=access.settled),
        opts,
    )

    export_outputs(
        ClusterOutputs(
            cluster_name=cluster.name,
            kubernetes_version=cluster_cfg.kubernetes_version,
            cluster_endpoint=cluster.endpoint,
            cluster_certificate_authority=cluster.certificate_authority,
            cluster_security_group_id=cluster.security_group_id,
            node_security_group_id=cluster.security_group_id,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer_url,
            node_role_arn=nodes.role_arn,
            node_group_names=nodes.names,
            kubeconfig=cluster.kubeconfig,
            load_balancer_controller_role_arn=load_balancer_controller.arn,
            external_dns_role_arn=external_dns.arn,
            cluster_autoscaler_role_arn=cluster_autoscaler.arn,
            ebs_csi_driver_role_arn=ebs_csi.arn,
            vpc_cni_role_arn=vpc_cni.arn,
            flux_source_role_arn=flux_source.arn,
            notifier_role_arn=notifier.arn,
            service_role_arns={name: role.arn for name, role in services.items()},
        )
    )


def grant_data_access(
    cfg: EnvironmentConfig,
    network: NetworkOutputs,
    role_arns: dict[str, pulumi.Output[str]],
    opts: pulumi.ResourceOptions,
) -> aws.lambda_.Invocation | None:
    """Invoke the network stack's data-access function with every service and its role: each
    gets its database user and search role. Invoked again whenever a service, a role or the
    function's code changes (the payload and the code hash are the triggers)."""
    if not cfg.services:
        return None
    region = str(cfg.region)

    def payload(values: list) -> str:
        address, port, secret, endpoint, master, *arns = values
        services = [
            data_access.ServiceAccess(s.name, arn, s.database, s.search)
            for s, arn in zip(cfg.services, arns, strict=True)
        ]
        event = data_access.make_event(
            services,
            {"host": address, "port": int(port), "secretArn": secret},
            {"endpoint": endpoint, "region": region, "masterRoleArn": master},
        )
        return json.dumps(event, sort_keys=True)

    event = pulumi.Output.all(
        network.database_address,
        network.database_port,
        network.database_secret_arn,
        network.search_endpoint,
        network.search_master_role_arn,
        *(role_arns[s.name] for s in cfg.services),
    ).apply(payload)
    code = hashlib.sha256(Path(data_access.__file__).read_bytes()).hexdigest()
    return aws.lambda_.Invocation(
        "data-access",
        function_name=network.data_access_function_name,
        input=event,
        triggers={"code": code},
        opts=opts,
    )


def _subnet_in(network: NetworkOutputs, zone: str) -> pulumi.Output[str]:
    """The network stack's private subnet in ``zone`` (matched by zone, not by position)."""
    return pulumi.Output.all(network.availability_zones, network.private_subnet_ids).apply(
        lambda pair: pair[1][pair[0].index(zone)]
    )
