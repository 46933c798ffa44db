"""The typed environment configuration: every per-environment setting, parsed once, frozen.

All settings live in ``Pulumi.<env>.yaml`` under the ``landfall:`` namespace. This module holds
the model: each section a frozen pydantic class whose fields carry their own description (the
source of ``docs/configuration.md``) and single-field rules. Cross-field rules are in ``rules``;
reading the settings is ``load``.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from landfall.config.errors import ConfigError, Problem
from landfall.logic.cidr import TIERS, SubnetPlan, Tier, plan_subnets

NAMESPACE = "landfall"
ENVIRONMENTS: tuple[str, ...] = ("local", "test", "prod")
CLOUD_ENVIRONMENTS: tuple[str, ...] = ("test", "prod")
LAYERS: tuple[str, ...] = ("network", "cluster", "gitops")

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# --- field types with their own validation -------------------------------------------------------

_DB_CLASS = re.compile(r"^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$")
_SEARCH_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+\.search$")
_EC2_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$")
_GITHUB_SUBJECT = re.compile(r"^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:[^*\s]+$")
_ECR_NAME = re.compile(
    r"^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$"
)


def _matching(pattern: re.Pattern[str], what: str, example: str) -> AfterValidator:
    def check(value: str) -> str:
        # ASCII only and the whole value: re's \d also matches other scripts' digits, and $
        # matches before a trailing newline.
        if not value or not value.isascii() or not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}; use the form {example}")
        return value

    return AfterValidator(check)


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.IPv4Network(value, strict=True))
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a valid IPv4 CIDR ({exc}); use network/prefix such as 10.20.0.0/16"
        ) from None


DbInstanceClass = Annotated[str, _matching(_DB_CLASS, "RDS instance class", "db.r6g.large")]
SearchInstanceType = Annotated[
    str, _matching(_SEARCH_TYPE, "OpenSearch instance type", "r6g.large.search")
]
Ec2InstanceType = Annotated[str, _matching(_EC2_TYPE, "EC2 instance type", "m6i.large")]
DnsLabel = Annotated[str, _matching(_DNS_LABEL, "DNS-1123 label", "payments (lowercase, -)")]
DomainName = Annotated[str, _matching(_DOMAIN, "domain name", "test.example.com")]
Cidr = Annotated[str, AfterValidator(_cidr)]
Duration = Annotated[str, _matching(_DURATION, "duration", "5m, 1h or 30s")]
EcrName = Annotated[str, _matching(_ECR_NAME, "ECR repository name", "charts/payments")]


class Strict(BaseModel):
    """Frozen, camelCase in YAML, and unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


# --- sections -----------------------------------------------------------------------------------


class SubnetPrefixLengths(Strict):
    public: int = Field(24, ge=16, le=28)
    private: int = Field(19, ge=16, le=28)
    data: int = Field(24, ge=16, le=28)

    def as_dict(self) -> dict[Tier, int]:
        return {t: getattr(self, t) for t in TIERS}


class NetworkConfig(Strict):
    vpc_cidr: Cidr
    availability_zones: int = Field(3, ge=1, le=6)
    availability_zone_names: list[str] | None = None
    subnet_prefix_lengths: SubnetPrefixLengths = SubnetPrefixLengths()
    nat_gateways: Literal["per-az", "single"]
    interface_endpoints: list[str] = Field(
        default_factory=lambda: ["ecr.api", "ecr.dkr", "sts", "ssm", "ssmmessages", "ec2messages"]
    )
    flow_log_retention_days: int = Field(90, ge=1, le=3653)


class DnsConfig(Strict):
    domain: DomainName


class LoadBalancerConfig(Strict):
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    access_log_retention_days: int = Field(90, ge=1, le=3653)
    idle_timeout_seconds: int = Field(60, ge=1, le=4000)


class DatabaseConfig(Strict):
    engine_version: str = Field(pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
    instance_class: DbInstanceClass
    allocated_storage_gb: int = Field(ge=20, le=65536)
    max_allocated_storage_gb: int = Field(ge=20, le=65536)
    multi_az: bool
    backup_retention_days: int = Field(ge=1, le=35)
    database_name: str = Field("landfall", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class SearchConfig(Strict):
    engine_version: str = Field(pattern=r"^OpenSearch_[0-9]+\.[0-9]+$")
    instance_type: SearchInstanceType
    instance_count: int = Field(ge=1, le=80)
    volume_size_gb: int = Field(ge=10, le=16384)
    dedicated_master_type: SearchInstanceType | None = None
    dedicated_master_count: int = Field(3, ge=3, le=5)
    zone_awareness: bool
    log_retention_days: int = Field(90, ge=1, le=3653)


class RegistryConfig(Strict):
    image_repositories: list[EcrName] = Field(min_length=1)
    chart_repositories: list[EcrName] = Field(min_length=1)
    keep_last_images: int = Field(50, ge=1, le=1000)
    untagged_expiry_days: int = Field(14, ge=1, le=365)


class NodeGroupConfig(Strict):
    capacity_type: Literal["ON_DEMAND", "SPOT"]
    instance_types: list[Ec2InstanceType] = Field(min_length=1)
    min_size: int = Field(ge=0, le=100)
    desired_size: int = Field(ge=0, le=100)
    max_size: int = Field(ge=1, le=100)
    disk_size_gb: int = Field(50, ge=20, le=16384)
    max_unavailable: int = Field(1, ge=1, le=100)


class SsoMapping(Strict):
    permission_set: str = Field(min_length=1, max_length=32)
    kubernetes_group: DnsLabel
    access: Literal["cluster-admin", "admin", "edit", "view"]


class ClusterConfig(Strict):
    kubernetes_version: str
    endpoint_public_access_cidrs: list[Cidr] = Field(default_factory=list)
    allow_public_endpoint_from_anywhere: bool = False
    service_cidr: Cidr = "172.20.0.0/16"
    nodes: NodeGroupConfig
    allow_spot_in_prod: bool = False
    keep_creator_admin: bool = False
    log_retention_days: int = Field(90, ge=1, le=3653)
    # GitHub Actions OIDC subjects the CI notifier trusts (R5). Empty: the fleet repository's
    # tracked branch, derived from gitops.url (which must then be on github.com).
    ci_notifier_subjects: list[
        Annotated[
            str,
            _matching(_GITHUB_SUBJECT, "GitHub OIDC subject", "repo:org/app:ref:refs/heads/main"),
        ]
    ] = Field(default_factory=list)
    sso_mappings: list[SsoMapping] = Field(default_factory=list)


class ServiceConfig(Strict):
    name: DnsLabel
    namespace: DnsLabel | None = None

    @property
    def k8s_namespace(self) -> str:
        return self.namespace or self.name


class GitopsConfig(Strict):
    source: Literal["git", "oci"]
    url: str | None = None
    branch: str = "main"
    deploy_key_secret_id: str | None = None
    oci_repository: EcrName | None = None
    # Exactly one for source 'oci'. ECR tags are immutable here, so follow a semver range of
    # versioned artifacts (e.g. ">=1.0.0" in test, "~1.4" in prod) or pin one tag.
    oci_semver: str | None = None
    oci_tag: str | None = None
    interval: Duration = "5m"
    flux_version: str = "2.7.3"

    @model_validator(mode="after")
    def _source_fields(self) -> GitopsConfig:
        if self.source == "git":
            if not self.url or not self.url.startswith("ssh://"):
                raise ValueError(
                    "source 'git' needs url: an ssh:// URL such as "
                    "ssh://git@github.com/example/fleet.git"
                )
        elif not self.oci_repository:
            raise ValueError(
                "source 'oci' needs ociRepository: the ECR repository holding the fleet artifact"
            )
        elif (self.oci_semver is None) == (self.oci_tag is None):
            raise ValueError(
                "source 'oci' needs exactly one of ociSemver or ociTag; set ociSemver to a "
                "range such as '>=1.0.0' (artifact tags are immutable)"
            )
        elif self.oci_tag == "latest":
            raise ValueError(
                "ociTag 'latest' cannot move: ECR tags are immutable; push versioned artifacts "
                "and set ociSemver (e.g. '>=1.0.0') or pin a version tag"
            )
        return self


class PolicyExemption(Strict):
    """A documented exception to one security-baseline policy (see landfall/security)."""

    policy: str = Field(min_length=1)
    reason: str = Field(min_length=10)


class LocalConfig(Strict):
    kube_context: str = Field(min_length=1)


class EnvironmentConfig(Strict):
    """One environment's complete configuration."""

    environment: Literal["local", "test", "prod"]
    region: Annotated[str, _matching(_REGION, "AWS region", "eu-west-2")] | None = None
    account_id: Annotated[str, _matching(_ACCOUNT, "AWS account ID", "123456789012")] | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    network: NetworkConfig | None = None
    dns: DnsConfig | None = None
    load_balancer: LoadBalancerConfig = LoadBalancerConfig()
    database: DatabaseConfig | None = None
    search: SearchConfig | None = None
    registry: RegistryConfig | None = None
    cluster: ClusterConfig | None = None
    services: list[ServiceConfig] = Field(default_factory=list)
    gitops: GitopsConfig | None = None
    local: LocalConfig | None = None
    policy_exemptions: list[PolicyExemption] = Field(default_factory=list)

    @property
    def is_cloud(self) -> bool:
        return self.environment in CLOUD_ENVIRONMENTS

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        return f"landfall-{self.environment}"

    def layers(self) -> tuple[str, ...]:
        """The stacks this environment has, in deployment order."""
        return LAYERS if self.is_cloud else ("gitops",)

    def availability_zones(self) -> list[str]:
        net = self.require("network", self.network)
        if net.availability_zone_names:
            return list(net.availability_zone_names)
        return [f"{self.region}{letter}" for letter in "abcdef"[: net.availability_zones]]

    def subnet_plan(self) -> SubnetPlan:
        net = self.require("network", self.network)
        return plan_subnets(
            net.vpc_cidr, self.availability_zones(), net.subnet_prefix_lengths.as_dict()
        )

    def require(self, section: str, value: Any) -> Any:
        if value is None:
            raise ConfigError(
                f"Pulumi.{self.environment}.yaml",
                [Problem(f"{NAMESPACE}:{section}", "is missing", f"add the {section} section")],
            )
        return value

    def all_tags(self, layer: str) -> dict[str, str]:
        """Tags every AWS resource carries (through the provider's default tags)."""
        return {
            "Project": "landfall",
            "Environment": self.environment,
            "Layer": layer,
            "ManagedBy": "pulumi",
            **self.tags,
        }


