"""What Flux syncs: the fleet source (Git over SSH or an OCI artifact in ECR) and the root
Kustomization pointing at this environment's folder of the fleet."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from landfall.config import GitopsConfig
from landfall.logic.flux import (
    DEPLOY_KEY_SECRET,
    FLUX_NAMESPACE,
    SYNC_NAME,
    deploy_key_data,
    git_repository_spec,
    oci_repository_spec,
    oci_url,
    root_kustomization_spec,
    source_kind,
    sync_path,
)
from landfall.program.protection import stateful


@dataclass(frozen=True)
class FluxSyncArgs:
    environment: str
    gitops: GitopsConfig
    # OCI source: the ECR registry host that holds ``gitops.oci_repository``.
    registry: pulumi.Input[str] | None
    # Git source in the cloud: the Secrets Manager value holding the deploy key. None when the
    # Secret ``flux-system`` is created out of band (local, see docs/gitops.md).
    deploy_key: pulumi.Input[str] | None
    production: bool
    # The Flux installation (namespace, CRDs, controllers) and the ConfigMap the root
    # Kustomization substitutes: both must exist first.
    flux: pulumi.Resource
    configmap: pulumi.Resource


class FluxSync(Component):
    """GitRepository or OCIRepository ``flux-system`` plus the root Kustomization ``flux-system``
    (prune on, the environment ConfigMap substituted). The deploy key Secret is written with its
    data marked secret, so the state holds it encrypted; the OCI source has no credentials at
    all (``provider: aws``, source-controller's IRSA role). Source and Kustomization are protected
    in prod: deleting the root Kustomization would prune every workload."""

    source_kind: str
    source_url: pulumi.Output[str]
    sync_path: str

    def __init__(
        self, name: str, args: FluxSyncArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:gitops:FluxSync", name, None, opts)
        gitops = args.gitops
        kind = source_kind(gitops)
        metadata = k8s.meta.v1.ObjectMetaArgs(name=SYNC_NAME, namespace=FLUX_NAMESPACE)
        credentials: list[pulumi.Resource] = []
        if args.deploy_key is not None:
            secret_id = str(gitops.deploy_key_secret_id)
            credentials.append(
                k8s.core.v1.Secret(
                    f"{name}-deploy-key",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=DEPLOY_KEY_SECRET, namespace=FLUX_NAMESPACE
                    ),
                    type="Opaque",
                    string_data=pulumi.Output.secret(args.deploy_key).apply(
                        lambda value: deploy_key_data(value, secret_id)
                    ),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[args.flux],
                        additional_secret_outputs=["data", "stringData"],
                    ),
                )
            )
        if kind == "GitRepository":
            spec: pulumi.Input[dict] = git_repository_spec(gitops)
            self.source_url = pulumi.Output.from_input(str(gitops.url))
        else:
            registry = pulumi.Output.from_input(args.registry)
            spec = registry.apply(lambda host: oci_repository_spec(gitops, str(host)))
            self.source_url = registry.apply(
                lambda host: oci_url(str(host), str(gitops.oci_repository))
            )
        source = k8s.apiextensions.CustomResource(
            f"{name}-source",
            api_version="source.toolkit.fluxcd.io/v1",
            kind=kind,
            metadata=metadata,
            spec=spec,
            opts=stateful(self, args.production, depends_on=[args.flux, *credentials]),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-kustomization",
            api_version="kustomize.toolkit.fluxcd.io/v1",
            kind="Kustomization",
            metadata=metadata,
            spec=root_kustomization_spec(args.environment, gitops),
            opts=stateful(self, args.production, depends_on=[source, args.configmap]),
        )
        self.source_kind = kind
        self.sync_path = sync_path(args.environment)
        self.finish()
