"""The environment ConfigMap's keys (R21): the contract between the gitops stack and the fleet.

The gitops stack writes a ConfigMap ``landfall-environment`` in ``flux-system`` with these keys;
the fleet's Flux Kustomizations substitute them (``postBuild.substituteFrom``). Keys are
UPPER_SNAKE. Per-service keys are ``<SERVICE>_ROLE_ARN`` and ``<SERVICE>_TARGET_GROUP_ARN``
(the service name upper-cased, ``-`` becoming ``_``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from landfall.config import NAMESPACE, EnvironmentConfig
from landfall.config.errors import ConfigError, Problem
from landfall.logic.rollout import DEREGISTRATION_DELAY_SECONDS

CONFIGMAP_NAME = "landfall-environment"
CONFIGMAP_NAMESPACE = "flux-system"

# Keys every environment has, local included (local fills them with in-cluster equivalents).
COMMON_KEYS: tuple[str, ...] = (
    "ENVIRONMENT",
    "CLUSTER_NAME",
    "RDS_ENDPOINT",
    "RDS_PORT",
    "DATABASE_AUTH",
    "DATABASE_SERVICES",
    "OPENSEARCH_ENDPOINT",
    "DOMAIN",
    "SECRETS_PREFIX",
)

# Keys only the AWS environments have.
CLOUD_KEYS: tuple[str, ...] = (
    "AWS_REGION",
    "AWS_ACCOUNT_ID",
    "VPC_ID",
    "VPC_CIDR",
    "PUBLIC_SUBNET_CIDRS",
    "PRIVATE_SUBNET_CIDRS",
    "DATA_SUBNET_CIDRS",
    "HOSTED_ZONE_ID",
    "HOSTED_ZONE_NAME",
    "CERTIFICATE_ARN",
    "ALB_ARN",
    "ALB_DNS_NAME",
    "ALB_SECURITY_GROUP_ID",
    "INGRESS_GROUP_NAME",
    "NODE_SECURITY_GROUP_ID",
    "ECR_REGISTRY",
    "HELM_OCI_REPOSITORY",
    "EBS_KMS_KEY_ARN",
    "AWS_LOAD_BALANCER_CONTROLLER_ROLE_ARN",
    "EXTERNAL_DNS_ROLE_ARN",
    "CLUSTER_AUTOSCALER_ROLE_ARN",
    "TARGET_DEREGISTRATION_DELAY_SECONDS",
    "FLEET_STATUS_REPOSITORY_URL",
)


def service_key(service: str, suffix: str) -> str:
    return f"{service.upper().replace('-', '_')}_{suffix}"


# Helm values of the AWS Load Balancer Controller's HelmRelease (valuesFrom), in kube-system.
LOAD_BALANCER_TAGS_CONFIGMAP = "landfall-load-balancer-tags"

# --- the ConfigMap's data -----------------------------------------------------------------------

# The in-cluster stand-ins the local environment runs instead of RDS and OpenSearch (R23).
LOCAL_DATA_NAMESPACE = "platform-data"
LOCAL_DATABASE_HOST = f"mariadb.{LOCAL_DATA_NAMESPACE}.svc.cluster.local"
LOCAL_DATABASE_PORT = 3306
# The local OpenSearch runs without its security plugin, so plain HTTP (fleet local-data).
LOCAL_SEARCH_URL = f"http://opensearch.{LOCAL_DATA_NAMESPACE}.svc.cluster.local:9200"
# *.localhost resolves to the loopback address without any DNS (RFC 6761).
LOCAL_DOMAIN = "landfall.localhost"

# The upstream stack outputs the ConfigMap is built from (NetworkOutputs / ClusterOutputs field
# names). The gitops stack resolves exactly these, so a secret output (the kubeconfig) never
# taints the ConfigMap.
NETWORK_FIELDS: tuple[str, ...] = (
    "region",
    "account_id",
    "vpc_id",
    "vpc_cidr",
    "public_subnet_cidrs",
    "private_subnet_cidrs",
    "data_subnet_cidrs",
    "alb_arn",
    "alb_dns_name",
    "alb_security_group_id",
    "target_group_arns",
    "hosted_zone_id",
    "hosted_zone_name",
    "certificate_arn",
    "database_address",
    "database_port",
    "search_endpoint",
    "ecr_registry",
    "data_kms_key_arn",
)
CLUSTER_FIELDS: tuple[str, ...] = (
    "cluster_name",
    "node_security_group_id",
    "load_balancer_controller_role_arn",
    "external_dns_role_arn",
    "cluster_autoscaler_role_arn",
    "service_role_arns",
)


def secrets_prefix(environment: str) -> str:
    """Where this environment's secrets live in Secrets Manager: ``<env>/<service>/...``, one
    folder per service, matched by that service's IAM role only (R19)."""
    return environment


def status_repository(cfg: EnvironmentConfig) -> str:
    """The GitHub ``<owner>/<repo>`` whose commits Flux marks with each Kustomization's outcome:
    ``gitops.statusRepository``, else the github.com repository Flux clones, else the repository
    CI builds the fleet artifact from (``ci.repository``, required in the cloud)."""
    gitops = cfg.require("gitops", cfg.gitops)
    if gitops.status_repository:
        return gitops.status_repository
    if gitops.source == "git" and gitops.url:
        cloned = _GITHUB_SSH_URL.fullmatch(gitops.url)
        if cloned:
            return cloned["repository"]
    return cfg.require("ci", cfg.ci).repository


# ssh://git@github.com/<owner>/<repo>[.git], the form gitops.url takes for a GitHub repository.
_GITHUB_SSH_URL = re.compile(r"ssh://git@github\.com/(?P<repository>[^/]+/[^/]+?)(?:\.git)?/?")


def database_services(cfg: EnvironmentConfig) -> str:
    """DATABASE_SERVICES: the services that get a database and user, space-separated (the local
    and ephemeral data-access Job loops over them; in AWS the data-access function does it)."""
    return " ".join(s.name for s in cfg.services if s.database)


def environment_configmap_data(
    cfg: EnvironmentConfig,
    network: Mapping[str, Any] | None,
    cluster: Mapping[str, Any] | None,
) -> dict[str, str]:
    """The ConfigMap's data: exactly COMMON_KEYS, plus CLOUD_KEYS and every service's keys in
    test and prod. ``network`` and ``cluster`` map the NETWORK_FIELDS / CLUSTER_FIELDS names to
    the upstream stacks' resolved outputs (None for local, which has no upstream stacks).

    Only identifiers and endpoints go in, never a secret or a secret's ARN: the RDS master
    secret is read only by the network stack's data-access function.
    OPENSEARCH_ENDPOINT is a URL with scheme and port (they differ between AWS and local);
    RDS_ENDPOINT is a host name, its port is RDS_PORT.
    """
    if not cfg.is_cloud:
        return {
            "ENVIRONMENT": cfg.environment,
            "CLUSTER_NAME": cfg.name_prefix,
            "RDS_ENDPOINT": LOCAL_DATABASE_HOST,
            "RDS_PORT": str(LOCAL_DATABASE_PORT),
            # The in-cluster MariaDB has no IAM: each service's password is in its Secret.
            "DATABASE_AUTH": "password",
            "DATABASE_SERVICES": database_services(cfg),
            "OPENSEARCH_ENDPOINT": LOCAL_SEARCH_URL,
            "DOMAIN": LOCAL_DOMAIN,
            "SECRETS_PREFIX": secrets_prefix(cfg.environment),
        }
    if network is None or cluster is None:
        raise ValueError(f"the {cfg.environment} ConfigMap needs the network and cluster outputs")
    dns = cfg.require("dns", cfg.dns)
    ecr = str(network["ecr_registry"])
    data = {
        "ENVIRONMENT": cfg.environment,
        "CLUSTER_NAME": str(cluster["cluster_name"]),
        "RDS_ENDPOINT": str(network["database_address"]),
        "RDS_PORT": str(int(network["database_port"])),
        # Services connect as their own user with an IAM token (rds-db:connect), no password;
        # ephemeral environments override this with their in-namespace MariaDB's "password".
        "DATABASE_AUTH": "iam",
        "DATABASE_SERVICES": database_services(cfg),
        "OPENSEARCH_ENDPOINT": f"https://{network['search_endpoint']}:443",
        "DOMAIN": dns.domain,
        "SECRETS_PREFIX": secrets_prefix(cfg.environment),
        "AWS_REGION": str(network["region"]),
        "AWS_ACCOUNT_ID": str(network["account_id"]),
        "VPC_ID": str(network["vpc_id"]),
        "VPC_CIDR": str(network["vpc_cidr"]),
        "PUBLIC_SUBNET_CIDRS": ",".join(network["public_subnet_cidrs"]),
        "PRIVATE_SUBNET_CIDRS": ",".join(network["private_subnet_cidrs"]),
        "DATA_SUBNET_CIDRS": ",".join(network["data_subnet_cidrs"]),
        "HOSTED_ZONE_ID": str(network["hosted_zone_id"]),
        "HOSTED_ZONE_NAME": str(network["hosted_zone_name"]),
        "CERTIFICATE_ARN": str(network["certificate_arn"]),
        "ALB_ARN": str(network["alb_arn"]),
        "ALB_DNS_NAME": str(network["alb_dns_name"]),
        "ALB_SECURITY_GROUP_ID": str(network["alb_security_group_id"]),
        "INGRESS_GROUP_NAME": cfg.name_prefix,
        "NODE_SECURITY_GROUP_ID": str(cluster["node_security_group_id"]),
        "ECR_REGISTRY": ecr,
        "HELM_OCI_REPOSITORY": helm_oci_repository(ecr, cfg.chart_repositories()),
        "EBS_KMS_KEY_ARN": str(network["data_kms_key_arn"]),
        "AWS_LOAD_BALANCER_CONTROLLER_ROLE_ARN": str(cluster["load_balancer_controller_role_arn"]),
        "EXTERNAL_DNS_ROLE_ARN": str(cluster["external_dns_role_arn"]),
        "CLUSTER_AUTOSCALER_ROLE_ARN": str(cluster["cluster_autoscaler_role_arn"]),
        "TARGET_DEREGISTRATION_DELAY_SECONDS": str(DEREGISTRATION_DELAY_SECONDS),
        "FLEET_STATUS_REPOSITORY_URL": f"https://github.com/{status_repository(cfg)}",
    }
    per_service = (
        ("ROLE_ARN", "cluster", "serviceRoleArns", cluster["service_role_arns"] or {}),
        ("TARGET_GROUP_ARN", "network", "targetGroupArns", network["target_group_arns"] or {}),
    )
    problems = []
    for service in cfg.services:
        for suffix, stack, output, by_service in per_service:
            if suffix == "TARGET_GROUP_ARN" and not service.public:
                continue  # internal only: no target group on the internet-facing ALB
            value = by_service.get(service.name)
            if not value:
                problems.append(
                    Problem(
                        f"{NAMESPACE}:services",
                        f"{service.name!r} has no entry in the {cfg.environment}-{stack} stack's "
                        f"{output} output",
                        f"run `pulumi up` on {cfg.environment}-{stack} after adding the service",
                    )
                )
            else:
                data[service_key(service.name, suffix)] = str(value)
    if problems:
        raise ConfigError(f"{cfg.environment} environment ConfigMap", problems)
    return data


def helm_oci_repository(registry: str, chart_repositories: list[str]) -> str:
    """The OCI URL a HelmRepository (type oci) uses for this environment's charts: the common
    folder of the chart repositories (``charts`` for ``charts/payments``), else the registry."""
    folders = {repo.rpartition("/")[0] for repo in chart_repositories}
    folder = folders.pop() if len(folders) == 1 else ""
    return f"oci://{registry}/{folder}" if folder else f"oci://{registry}"
