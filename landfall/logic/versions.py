"""Versions this code pins: the Kubernetes versions it supports with the EKS add-on versions of
each, and the Flux releases it can install (plain data: the settings are checked against it).

Upgrading (R25) is a config change of ``landfall:cluster.kubernetesVersion`` to the next key of
this table: the control plane rolls first, then the add-ons move to the versions listed here,
then the node groups roll one AZ at a time. Adding a Kubernetes version means adding a row here
after checking ``aws eks describe-addon-versions --kubernetes-version X``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class AddonVersions:
    vpc_cni: str
    kube_proxy: str
    coredns: str
    ebs_csi_driver: str
    # Container logs and Container Insights (issue 16).
    cloudwatch_observability: str


# Field of AddonVersions -> the EKS add-on's name.
ADDON_NAMES: dict[str, str] = {
    "vpc_cni": "vpc-cni",
    "kube_proxy": "kube-proxy",
    "coredns": "coredns",
    "ebs_csi_driver": "aws-ebs-csi-driver",
    "cloudwatch_observability": "amazon-cloudwatch-observability",
}

# amazon-cloudwatch-observability v6.4.0 (its Helm chart aws-observability/helm-charts 6.4.0,
# 2026-07-21): builds serve every supported Kubernetes version, as describe-addon-versions
# lists v6.4.0 to v6.6.0 for 1.36 (September 2026); not read from AWS here, so `landfall
# doctor` asks EKS before a deploy.
CLOUDWATCH_OBSERVABILITY = "v6.4.0-eksbuild.1"


ADDON_VERSIONS: dict[str, AddonVersions] = {
    "1.32": AddonVersions(
        vpc_cni="v1.19.5-eksbuild.3",
        kube_proxy="v1.32.3-eksbuild.7",
        coredns="v1.11.4-eksbuild.14",
        ebs_csi_driver="v1.44.0-eksbuild.1",
        cloudwatch_observability=CLOUDWATCH_OBSERVABILITY,
    ),
    "1.33": AddonVersions(
        vpc_cni="v1.19.6-eksbuild.7",
        kube_proxy="v1.33.0-eksbuild.2",
        coredns="v1.12.1-eksbuild.2",
        ebs_csi_driver="v1.45.0-eksbuild.2",
        cloudwatch_observability=CLOUDWATCH_OBSERVABILITY,
    ),
    "1.34": AddonVersions(
        vpc_cni="v1.20.1-eksbuild.3",
        kube_proxy="v1.34.0-eksbuild.2",
        coredns="v1.12.3-eksbuild.1",
        ebs_csi_driver="v1.48.0-eksbuild.2",
        cloudwatch_observability=CLOUDWATCH_OBSERVABILITY,
    ),
    # kube-proxy and coredns: the EKS user guide's tables ("Manage kube-proxy", "Manage CoreDNS",
    # latest build per cluster version). vpc-cni and aws-ebs-csi-driver builds serve every
    # supported version: v1.21.1-eksbuild.8 (vpc-cni) and v1.66.0-eksbuild.1 (EBS CSI, the
    # default for 1.36 in September 2026). `landfall doctor` asks EKS that each pin exists for
    # the version (describe-addon-versions) before a deploy.
    "1.35": AddonVersions(
        vpc_cni="v1.21.1-eksbuild.8",
        kube_proxy="v1.35.3-eksbuild.13",
        coredns="v1.14.3-eksbuild.3",
        ebs_csi_driver="v1.66.0-eksbuild.1",
        cloudwatch_observability=CLOUDWATCH_OBSERVABILITY,
    ),
}

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(ADDON_VERSIONS)


@dataclass(frozen=True)
class KubernetesRelease:
    """One row of the EKS release calendar (EKS user guide, "Understand the Kubernetes version
    lifecycle on EKS", table "Amazon EKS Kubernetes release calendar")."""

    eks_release: datetime.date
    end_of_standard_support: datetime.date
    end_of_extended_support: datetime.date


# 1.32 to 1.34: awsdocs/amazon-eks-user-guide, latest/ug/versioning/kubernetes-versions.adoc
# (commit 013856044148). 1.35: the same table as quoted by two independent copies (the source
# file of that commit stops at 1.34); its standard support ends 14 months after release, as for
# every version.
RELEASE_CALENDAR: dict[str, KubernetesRelease] = {
    "1.32": KubernetesRelease(
        datetime.date(2025, 1, 23), datetime.date(2026, 3, 23), datetime.date(2027, 3, 23)
    ),
    "1.33": KubernetesRelease(
        datetime.date(2025, 5, 29), datetime.date(2026, 7, 29), datetime.date(2027, 7, 29)
    ),
    "1.34": KubernetesRelease(
        datetime.date(2025, 10, 2), datetime.date(2026, 12, 2), datetime.date(2027, 12, 2)
    ),
    "1.35": KubernetesRelease(
        datetime.date(2026, 1, 27), datetime.date(2027, 3, 27), datetime.date(2028, 3, 27)
    ),
}

# How long before the end of standard support the plan starts to warn (test) or fail (prod):
# enough for the R25 path, one minor version per deploy, test first.
SUPPORT_WARNING_DAYS = 60


@dataclass(frozen=True)
class SupportStatus:
    version: str
    days_left: int  # until the end of standard support; negative once past it
    release: KubernetesRelease

    @property
    def due(self) -> bool:
        """Past, or within SUPPORT_WARNING_DAYS of, the end of standard support."""
        return self.days_left <= SUPPORT_WARNING_DAYS

    def describe(self) -> str:
        end = self.release.end_of_standard_support.isoformat()
        extended = self.release.end_of_extended_support.isoformat()
        if self.days_left < 0:
            return (
                f"Kubernetes {self.version} left EKS standard support on {end} ({-self.days_left} "
                f"days ago): extended support costs six times the control-plane fee and ends "
                f"{extended}"
            )
        return (
            f"Kubernetes {self.version} leaves EKS standard support on {end}, in "
            f"{self.days_left} days"
        )


def support_status(version: str, today: datetime.date) -> SupportStatus:
    """Where ``version`` stands in the EKS release calendar on ``today``."""
    release = RELEASE_CALENDAR[version]
    return SupportStatus(version, (release.end_of_standard_support - today).days, release)


def next_version(version: str) -> str | None:
    """The next supported minor version (the one step EKS upgrades at a time), if any."""
    versions = list(SUPPORTED_KUBERNETES_VERSIONS)
    index = versions.index(version)
    return versions[index + 1] if index + 1 < len(versions) else None


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
# below are exactly the controllers of Flux v2.7.3, each pinned by the digest of its image index
# (`tag@digest`: the runtime pulls the digest). The digests are those of
# controlplaneio-fluxcd/distribution `images/v2.7.3/upstream-alpine.yaml` (commit 1dd07d5a,
# 2025-10-28), the list of Flux's upstream images ControlPlane publishes per release.
FLUX_RELEASES: dict[str, FluxRelease] = {
    "2.7.3": FluxRelease(
        version="2.7.3",
        chart_version="2.17.1",
        source_controller=(
            "v1.7.3@sha256:5be9b7257270fa1a98c3c42af2f254a35bd64375e719090fe2ffc24915d8be06"
        ),
        kustomize_controller=(
            "v1.7.2@sha256:477b4290a2fa2489bf87668bd7dcb77f0ae19bf944fef955600acbcde465ad98"
        ),
        helm_controller=(
            "v1.4.3@sha256:d741dffd2a552b31cf215a1fcf1367ec7bc4dd3609b90e87595ae362d05d022c"
        ),
        notification_controller=(
            "v1.7.4@sha256:350600b64cecb6cc10366c2bc41ec032fd604c81862298d02c303556a2fa6461"
        ),
    ),
}
