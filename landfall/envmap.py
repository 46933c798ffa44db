"""The environment ConfigMap's keys (R21): the contract between the gitops stack and the fleet.

The gitops stack writes a ConfigMap ``landfall-environment`` in ``flux-system`` with these keys;
the fleet's Flux Kustomizations substitute them (``postBuild.substituteFrom``). Keys are
UPPER_SNAKE. Per-service keys are ``<SERVICE>_ROLE_ARN`` and ``<SERVICE>_TARGET_GROUP_ARN``
(the service name upper-cased, ``-`` becoming ``_``).
"""

from __future__ import annotations

CONFIGMAP_NAME = "landfall-environment"
CONFIGMAP_NAMESPACE = "flux-system"

# Keys every environment has, local included (local fills them with in-cluster equivalents).
COMMON_KEYS: tuple[str, ...] = (
    "ENVIRONMENT",
    "CLUSTER_NAME",
    "RDS_ENDPOINT",
    "RDS_PORT",
    "RDS_DATABASE",
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
    "RDS_SECRET_ARN",
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
)


def service_key(service: str, suffix: str) -> str:
    return f"{service.upper().replace('-', '_')}_{suffix}"


def service_keys(service: str, cloud: bool) -> tuple[str, ...]:
    if not cloud:
        return ()
    return (service_key(service, "ROLE_ARN"), service_key(service, "TARGET_GROUP_ARN"))
