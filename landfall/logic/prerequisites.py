"""What an AWS account must hold before the stacks can deploy into it (R26), as plain data.

The bootstrap layer declares each of these (adopting any that already exist), and the offline
plan checks every other layer against them on a *fresh account* (``landfall.plan.prerequisites``).

Service-linked roles: IAM names them ``/aws-service-role/<service>/<RoleName>`` and only
``iam:CreateServiceLinkedRole`` (or the service itself) creates them, once per account. Most
services create theirs on first use when the caller may ``iam:CreateServiceLinkedRole``; declaring
them all here means the deploy role never needs that, and a plan shows them. Sources: the IAM
user guide, "AWS services that work with IAM" (column "Service-linked roles"), and each service's
"Using service-linked roles" page.
"""

from __future__ import annotations

from dataclasses import dataclass

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"


def github_oidc_provider_arn(account_id: str) -> str:
    """IAM names an OIDC provider after its URL, so the account's GitHub provider's ARN is
    known in advance."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


@dataclass(frozen=True)
class ServiceLinkedRole:
    service: str  # the service principal, the ``AWSServiceName`` of CreateServiceLinkedRole
    role_name: str
    needed_by: str
    # False: the service does not create it itself through its API (the console does), so a
    # first deployment fails without it.
    created_on_first_use: bool

    @property
    def path(self) -> str:
        return f"/aws-service-role/{self.service}/"

    def arn(self, account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role{self.path}{self.role_name}"


SERVICE_LINKED_ROLES: tuple[ServiceLinkedRole, ...] = (
    ServiceLinkedRole(
        "autoscaling.amazonaws.com",
        "AWSServiceRoleForAutoScaling",
        "the node groups' Auto Scaling groups; the cluster key's policy names it so they can "
        "launch encrypted volumes (KMS rejects a policy naming a role that does not exist)",
        created_on_first_use=True,
    ),
    ServiceLinkedRole(
        "opensearchservice.amazonaws.com",
        "AWSServiceRoleForAmazonOpenSearchService",
        'the OpenSearch domain in the VPC ("The Amazon OpenSearch Service-linked role must '
        'exist before creating a domain"; only the console creates it by itself)',
        created_on_first_use=False,
    ),
    ServiceLinkedRole(
        "spot.amazonaws.com",
        "AWSServiceRoleForEC2Spot",
        "Spot capacity in the node groups (EC2 user guide, 'Service-linked role for Spot "
        "Instance requests': create it before requesting Spot through the API)",
        created_on_first_use=False,
    ),
    ServiceLinkedRole(
        "eks.amazonaws.com",
        "AWSServiceRoleForAmazonEKS",
        "the EKS control plane (its network interfaces and security groups)",
        created_on_first_use=True,
    ),
    ServiceLinkedRole(
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
        "EKS managed node groups",
        created_on_first_use=True,
    ),
    ServiceLinkedRole(
        "elasticloadbalancing.amazonaws.com",
        "AWSServiceRoleForElasticLoadBalancing",
        "the load balancers",
        created_on_first_use=True,
    ),
    ServiceLinkedRole(
        "rds.amazonaws.com",
        "AWSServiceRoleForRDS",
        "the RDS instance (enhanced monitoring, log exports)",
        created_on_first_use=True,
    ),
)


def service_linked_role(service: str) -> ServiceLinkedRole:
    for role in SERVICE_LINKED_ROLES:
        if role.service == service:
            return role
    raise KeyError(f"no service-linked role for {service!r} in SERVICE_LINKED_ROLES")


def service_from_role_arn(arn: str) -> str | None:
    """The service of a service-linked role ARN (``…:role/aws-service-role/<service>/<name>``),
    None for any other ARN."""
    _, found, rest = arn.partition(":role/aws-service-role/")
    return rest.split("/", 1)[0] if found else None


def secrets_provider_alias(environment: str) -> str:
    """The KMS alias of the key Pulumi encrypts the environment's stack secrets with."""
    return f"alias/landfall-{environment}-pulumi"


def secrets_provider_url(environment: str, region: str) -> str:
    """The ``secretsprovider:`` value of ``Pulumi.<env>.yaml``."""
    return f"awskms://{secrets_provider_alias(environment)}?region={region}"


def state_bucket_name(account_id: str) -> str:
    """The S3 state backend of the account (one per account, as docs/user-guide.md says)."""
    return f"landfall-state-{account_id}"


def ci_role_name(name_prefix: str, purpose: str) -> str:
    """The fixed name of a CI role (``preview`` or ``deploy``): workflows and the cluster's
    access entries refer to it before any stack output exists."""
    return f"{name_prefix}-ci-{purpose}"
