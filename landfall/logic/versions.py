"""Versions this code pins: the Kubernetes versions it supports with the EKS add-on versions of
each, and the Flux releases it can install (plain data: the settings are checked against it).

Upgrading (R25) is a config change of ``landfall:cluster.kubernetesVersion`` to the next key of
this table: the control plane rolls first, then the add-ons move to the versions listed here,
then the node groups roll one AZ at a time. Adding a Kubernetes version means adding a row here
after checking ``aws eks describe-addon-versions --kubernetes-version X``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AddonVersions:
    vpc_cni: str
    kube_proxy: str
    coredns: str
    ebs_csi_driver: str


ADDON_VERSIONS: dict[str, AddonVersions] = {
    "1.32": AddonVersions(
        vpc_cni="v1.19.5-eksbuild.3",
        kube_proxy="v1.32.3-eksbuild.7",
        coredns="v1.11.4-eksbuild.14",
        ebs_csi_driver="v1.44.0-eksbuild.1",
    ),
    "1.33": AddonVersions(
        vpc_cni="v1.19.6-eksbuild.7",
        kube_proxy="v1.33.0-eksbuild.2",
        coredns="v1.12.1-eksbuild.2",
        ebs_csi_driver="v1.45.0-eksbuild.2",
    ),
    "1.34": AddonVersions(
        vpc_cni="v1.20.1-eksbuild.3",
        kube_proxy="v1.34.0-eksbuild.2",
        coredns="v1.12.3-eksbuild.1",
        ebs_csi_driver="v1.48.0-eksbuild.2",
    ),
}

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(ADDON_VERSIONS)


# --- Flux --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FluxRelease:
    """One Flux version: the chart that installs it and its controllers' image tags."""

    version: str
    chart_version: str
    source_controller: str
    kustomize_controller: str
    helm_controller: str
    notification_controller: str


# Chart 2.17.1 ships Flux 2.7.2; its CRDs are those of every 2.7 patch release, and the image tags
# below are exactly the controllers of Flux v2.7.3.
FLUX_RELEASES: dict[str, FluxRelease] = {
    "2.7.3": FluxRelease(
        version="2.7.3",
        chart_version="2.17.1",
        source_controller="v1.7.3",
        kustomize_controller="v1.7.2",
        helm_controller="v1.4.3",
        notification_controller="v1.7.4",
    ),
}
