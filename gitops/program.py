"""Layer 3, the gitops stack: Flux, its fleet source and root Kustomization, the environment
ConfigMap (R2, R3, R21, R23, R24).

Cloud environments read the network and cluster stacks through StackReferences and reach the
cluster with the cluster stack's kubeconfig; the deploy key is read from Secrets Manager at
deploy time. Local reaches a kind cluster through a kubeconfig context and touches no AWS at all:
no AWS provider, no StackReference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.gitops.environment_configmap import EnvironmentConfigMap, EnvironmentConfigMapArgs
from components.gitops.flux import Flux, FluxArgs
from components.gitops.flux_sync import FluxSync, FluxSyncArgs
from landfall.config import EnvironmentConfig, GitopsConfig
from landfall.logic.contracts import ClusterOutputs, NetworkOutputs
from landfall.logic.envmap import CLUSTER_FIELDS, NETWORK_FIELDS, environment_configmap_data
from landfall.logic.flux import flux_release
from landfall.program.outputs import export_outputs, read_outputs, stack_reference
from landfall.program.provider import aws_provider


@dataclass(frozen=True)
class GitopsOutputs:
    flux_namespace: Any
    flux_version: Any
    flux_chart_version: Any
    source_kind: Any
    source_url: Any
    config_map_name: Any
    sync_path: Any


@dataclass(frozen=True)
class Upstream:
    """What the gitops stack takes from outside the cluster, per kind of environment."""

    provider: k8s.Provider
    configmap_data: pulumi.Input[dict[str, str]]
    source_role_arn: pulumi.Input[str] | None
    registry: pulumi.Input[str] | None
    deploy_key: pulumi.Input[str] | None


def run(cfg: EnvironmentConfig) -> None:
    gitops = cfg.require("gitops", cfg.gitops)
    release = flux_release(gitops)
    upstream = _cloud(cfg, gitops) if cfg.is_cloud else _local(cfg)
    on_cluster = pulumi.ResourceOptions(providers=[upstream.provider])
    flux = Flux("flux", FluxArgs(release, upstream.source_role_arn, cfg.is_production), on_cluster)
    configmap = EnvironmentConfigMap(
        "environment",
        EnvironmentConfigMapArgs(
            upstream.configmap_data,
            flux,
            load_balancer_tags=cfg.controller_tags() if cfg.is_cloud else None,
        ),
        on_cluster,
    )
    sync = FluxSync(
        "flux-system",
        FluxSyncArgs(
            environment=cfg.environment,
            gitops=gitops,
            registry=upstream.registry,
            deploy_key=upstream.deploy_key,
            production=cfg.is_production,
            flux=flux,
            configmap=configmap,
        ),
        on_cluster,
    )
    export_outputs(
        GitopsOutputs(
            flux_namespace=flux.namespace,
            flux_version=flux.version,
            flux_chart_version=flux.chart_version,
            source_kind=sync.source_kind,
            source_url=sync.source_url,
            config_map_name=configmap.name,
            sync_path=sync.sync_path,
        )
    )


def _cloud(cfg: EnvironmentConfig, gitops: GitopsConfig) -> Upstream:
    network = read_outputs(NetworkOutputs, stack_reference("network", cfg.environment))
    cluster = read_outputs(ClusterOutputs, stack_reference("cluster", cfg.environment))
    # Only the fields the ConfigMap uses are resolved: the secret kubeconfig stays out of it.
    data = pulumi.Output.all(
        network=pulumi.Output.all(**{f: getattr(network, f) for f in NETWORK_FIELDS}),
        cluster=pulumi.Output.all(**{f: getattr(cluster, f) for f in CLUSTER_FIELDS}),
    ).apply(lambda up: environment_configmap_data(cfg, up["network"], up["cluster"]))
    deploy_key = None
    if gitops.source == "git":
        deploy_key = aws.secretsmanager.get_secret_version_output(
            secret_id=str(gitops.deploy_key_secret_id),
            opts=pulumi.InvokeOutputOptions(provider=aws_provider(cfg, "gitops")),
        ).secret_string
    return Upstream(
        provider=k8s.Provider("k8s", kubeconfig=pulumi.Output.secret(cluster.kubeconfig)),
        configmap_data=data,
        source_role_arn=cluster.flux_source_role_arn,
        registry=network.ecr_registry if gitops.source == "oci" else None,
        deploy_key=deploy_key,
    )


def _local(cfg: EnvironmentConfig) -> Upstream:
    local = cfg.require("local", cfg.local)
    return Upstream(
        provider=k8s.Provider("k8s", context=local.kube_context),
        configmap_data=environment_configmap_data(cfg, None, None),
        source_role_arn=None,
        registry=None,
        deploy_key=None,
    )
