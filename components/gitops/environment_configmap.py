"""The environment ConfigMap (R21): every AWS-provisioned value the fleet's manifests substitute."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.base import Component
from landfall.logic.envmap import (
    CONFIGMAP_NAME,
    CONFIGMAP_NAMESPACE,
    LOAD_BALANCER_TAGS_CONFIGMAP,
)
from landfall.logic.flux import WATCH_LABEL


@dataclass(frozen=True)
class EnvironmentConfigMapArgs:
    # Built by landfall.logic.envmap.environment_configmap_data: identifiers and endpoints only.
    data: pulumi.Input[Mapping[str, str]]
    # The Flux installation (components.gitops.flux.Flux), which creates the namespace.
    flux: pulumi.Resource
    # Cloud only: the tags the AWS Load Balancer Controller puts on what it creates.
    load_balancer_tags: Mapping[str, str] | None = None


class EnvironmentConfigMap(Component):
    """ConfigMap ``landfall-environment`` in ``flux-system``, read by the Kustomizations'
    ``postBuild.substituteFrom``. Labelled ``reconcile.fluxcd.io/watch: Enabled`` so Flux
    re-applies as soon as a value changes instead of at the next interval.

    In the cloud also ``landfall-load-balancer-tags`` in ``kube-system``: Helm values (the
    chart's ``defaultTags``) the controller's HelmRelease reads with ``valuesFrom``, because the
    settings' tags are a map with keys of their own, which a substituted variable cannot be."""

    name: str
    namespace: str

    def __init__(
        self,
        name: str,
        args: EnvironmentConfigMapArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("landfall:gitops:EnvironmentConfigMap", name, None, opts)
        k8s.core.v1.ConfigMap(
            name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=CONFIGMAP_NAME,
                namespace=CONFIGMAP_NAMESPACE,
                labels={"app.kubernetes.io/managed-by": "pulumi", **WATCH_LABEL},
            ),
            data=args.data,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.flux]),
        )
        if args.load_balancer_tags is not None:
            k8s.core.v1.ConfigMap(
                f"{name}-load-balancer-tags",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=LOAD_BALANCER_TAGS_CONFIGMAP,
                    namespace="kube-system",
                    labels={"app.kubernetes.io/managed-by": "pulumi", **WATCH_LABEL},
                ),
                data={
                    "values.yaml": yaml.safe_dump({"defaultTags": dict(args.load_balancer_tags)})
                },
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.name = CONFIGMAP_NAME
        self.namespace = CONFIGMAP_NAMESPACE
        self.finish()
