"""Flux itself: the controllers and CRDs, from the pinned fluxcd-community flux2 Helm chart."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from landfall.logic.flux import (
    CHART_NAME,
    CHART_REPOSITORY,
    FLUX_NAMESPACE,
    HELM_RELEASE_NAME,
    FluxRelease,
    chart_values,
)
from landfall.program.protection import stateful


@dataclass(frozen=True)
class FluxArgs:
    release: FluxRelease
    # IAM role of source-controller's service account (IRSA) for ECR pulls; None off AWS.
    source_role_arn: pulumi.Input[str] | None
    production: bool


class Flux(Component):
    """Installs source-, kustomize-, helm- and notification-controller with their CRDs into
    ``flux-system`` as one Helm release, every image pinned. The release is atomic (a failed
    upgrade rolls back) and protected in prod, where uninstalling it would delete the CRDs and
    with them everything Flux manages."""

    namespace: str
    version: str
    chart_version: str

    def __init__(
        self, name: str, args: FluxArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:gitops:Flux", name, None, opts)
        role = args.source_role_arn
        values = (
            pulumi.Output.from_input(role).apply(lambda arn: chart_values(args.release, arn))
            if role is not None
            else chart_values(args.release, None)
        )
        k8s.helm.v3.Release(
            name,
            name=HELM_RELEASE_NAME,
            chart=CHART_NAME,
            version=args.release.chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=FLUX_NAMESPACE,
            create_namespace=True,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            max_history=10,
            opts=stateful(self, args.production),
        )
        self.namespace = FLUX_NAMESPACE
        self.version = args.release.version
        self.chart_version = args.release.chart_version
        self.finish()
