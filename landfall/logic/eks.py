"""Pure decisions about the EKS cluster and its nodes, kept out of the components so they can be
tested without the Pulumi engine: log types, the creator-admin override, node AMI type, labels,
Bottlerocket settings, and reading endpoint/CA out of a kubeconfig.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from landfall.config import NAMESPACE
from landfall.config.errors import ConfigError, Problem
from landfall.logic.aws_facts import is_graviton

CONFIG_SOURCE = "Pulumi config"

# All five control-plane log types (R14).
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)

# EKS managed access policy granting cluster-admin through an access entry.
CLUSTER_ADMIN_POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

# The label the Bottlerocket update operator (brupop) selects the nodes it may update by (R10).
BRUPOP_LABEL = {"bottlerocket.aws/updater-interface-version": "2.0.0"}

# Bottlerocket's OS volume (/dev/xvda) holds the read-only image (a 2 GiB snapshot) and is
# otherwise unused; 4 GiB leaves room for a larger image in a later release. /dev/xvdb holds
# container images and ephemeral storage and gets the configured disk size.
OS_VOLUME_GB = 4
OS_DEVICE = "/dev/xvda"
DATA_DEVICE = "/dev/xvdb"

# IMDSv2 only, and a hop limit of 1: the token's IP packet cannot cross the extra hop into a
# pod's network namespace, so pods (which get AWS access through IRSA) can never borrow the node
# role. Host-network components (VPC CNI, Bottlerocket's control container) still reach IMDS.
IMDS_HOP_LIMIT = 1


def kubeconfig_cluster(kubeconfig: Any) -> tuple[str, str]:
    """(API server endpoint, base64 CA data) of the one cluster in a kubeconfig (object or JSON)."""
    config = json.loads(kubeconfig) if isinstance(kubeconfig, str) else kubeconfig
    cluster = config["clusters"][0]["cluster"]
    return cluster["server"], cluster["certificate-authority-data"]


def ami_type(instance_types: Sequence[str]) -> str:
    """The Bottlerocket AMI type for a node group's instance types, which must share one CPU
    architecture (a managed node group has a single AMI)."""
    arm = {t for t in instance_types if is_graviton(t)}
    if arm and len(arm) != len(set(instance_types)):
        raise ConfigError(
            CONFIG_SOURCE,
            [
                Problem(
                    f"{NAMESPACE}:cluster.nodes.instanceTypes",
                    f"mixes Graviton ({', '.join(sorted(arm))}) and x86 types; a node group has "
                    "one AMI and so one CPU architecture",
                    "list only arm64 types (m7g.large, m6g.large, ...) or only x86 types",
                )
            ],
        )
    return "BOTTLEROCKET_ARM_64" if arm else "BOTTLEROCKET_x86_64"


def node_labels(environment: str, availability_zone: str, capacity_type: str) -> dict[str, str]:
    """Kubernetes labels of a node group's nodes. EKS adds ``eks.amazonaws.com/capacityType``
    and the kubelet ``topology.kubernetes.io/zone`` itself."""
    return {
        "landfall.io/environment": environment,
        "landfall.io/node-group": availability_zone,
        "landfall.io/capacity": capacity_type.lower().replace("_", "-"),
        **BRUPOP_LABEL,
    }


def bottlerocket_settings() -> dict[str, dict[str, Any]]:
    """Bottlerocket API settings for every node, as TOML tables.

    No admin container (no shell, no SSH: R10); the control container runs the SSM agent, which
    is how operators reach a node. EKS merges the ``settings.kubernetes`` table (cluster name,
    endpoint, CA, DNS) into managed node groups' user data itself.
    """
    return {
        "settings.host-containers.admin": {"enabled": False},
        "settings.host-containers.control": {"enabled": True},
    }


def toml(tables: Mapping[str, Mapping[str, Any]]) -> str:
    """Flat TOML tables of scalars, all Bottlerocket user data needs: JSON renders booleans,
    numbers and basic strings exactly as TOML does."""
    blocks = []
    for table, entries in tables.items():
        lines = [f"[{table}]", *(f"{key} = {json.dumps(v)}" for key, v in entries.items())]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


# The branch whose pushes run deploy.yml, whose notify jobs assume the notifier role.
DEPLOY_BRANCH = "main"


def notifier_subjects(ci_repository: str, configured: Sequence[str] = ()) -> list[str]:
    """The GitHub Actions OIDC subjects the CI notifier trusts: the main branch of this platform
    repository (``ci.repository``), whose deploy workflow runs the notify jobs (R5) after each
    `up`, and the subjects of ``cluster.ciNotifierSubjects`` (e.g. application repositories
    whose CI should make Flux fetch a new version early). A job without a GitHub environment,
    on a push to main, presents ``repo:<owner>/<repo>:ref:refs/heads/main``."""
    own = f"repo:{ci_repository}:ref:refs/heads/{DEPLOY_BRANCH}"
    return [own, *(s for s in configured if s != own)]
