"""The typed environment configuration: every per-environment setting, parsed once, frozen.

All settings live in ``Pulumi.<env>.yaml`` under the ``landfall:`` namespace. ``load_environment``
turns the raw key/value bag (from the Pulumi runtime, or read from the file by the offline
harness) into an ``EnvironmentConfig`` or raises ``ConfigError`` listing *every* problem with the
key, what is wrong and the fix. Nothing else in the project reads raw config.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from landfall.cidr import TIERS, CidrPlanError, SubnetPlan, Tier, plan_subnets
from landfall.errors import ConfigError, Problem
from landfall.versions import SUPPORTED_KUBERNETES_VERSIONS

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


# --- cross-field checks, each yielding a Problem -----------------------------------------------

# Sections a cloud environment must have, with the fix for each.
CLOUD_SECTIONS: dict[str, str] = {
    "region": "set landfall:region, e.g. eu-west-2",
    "accountId": "set landfall:accountId to the 12-digit AWS account ID",
    "network": "add the network section (vpcCidr, natGateways)",
    "dns": "add dns.domain",
    "database": "add the database section",
    "search": "add the search section",
    "registry": "add registry.imageRepositories and chartRepositories",
    "cluster": "add the cluster section",
    "gitops": "add the gitops section",
}


def _missing_sections(ours: Mapping[str, Any]) -> list[Problem]:
    """Checked on the raw keys, so a missing section is reported with the other errors."""
    if ours.get("environment") not in CLOUD_ENVIRONMENTS:
        return []
    return [
        Problem(f"{NAMESPACE}:{key}", "is missing (required for cloud environments)", fix)
        for key, fix in CLOUD_SECTIONS.items()
        if key not in ours
    ]


def _semantic_problems(cfg: EnvironmentConfig) -> list[Problem]:
    k = f"{NAMESPACE}:"
    problems: list[Problem] = []
    if not cfg.is_cloud:
        if cfg.local is None:
            problems.append(
                Problem(f"{k}local", "is missing", "add local.kubeContext (e.g. kind-landfall)")
            )
        for section in ("network", "dns", "database", "search", "registry", "cluster"):
            if getattr(cfg, section) is not None:
                problems.append(
                    Problem(
                        f"{k}{section}",
                        "is set but the local environment uses no AWS",
                        f"remove {section} from Pulumi.local.yaml",
                    )
                )
        if cfg.gitops is None:
            problems.append(Problem(f"{k}gitops", "is missing", "add the gitops section"))
        return problems

    if cfg.local is not None:
        problems.append(
            Problem(f"{k}local", "is only for the local environment", "remove it from this file")
        )

    net = cfg.network
    if net is not None:
        azs = net.availability_zone_names
        if azs is not None and len(azs) != net.availability_zones:
            problems.append(
                Problem(
                    f"{k}network.availabilityZoneNames",
                    f"lists {len(azs)} zones but availabilityZones is {net.availability_zones}",
                    "make the two agree",
                )
            )
        if net.availability_zones < 3:
            problems.append(
                Problem(
                    f"{k}network.availabilityZones",
                    f"is {net.availability_zones}; the platform needs at least 3 AZs (one node "
                    "group per AZ, R6)",
                    "set it to 3",
                )
            )
        if azs and cfg.region:
            for az in azs:
                if not re.fullmatch(re.escape(cfg.region) + r"[a-z]", az):
                    problems.append(
                        Problem(
                            f"{k}network.availabilityZoneNames",
                            f"{az!r} is not a zone of region {cfg.region}",
                            f"use names like {cfg.region}a",
                        )
                    )
            if len(set(azs)) != len(azs):
                problems.append(
                    Problem(f"{k}network.availabilityZoneNames", "has duplicates", "list each once")
                )
        if cfg.region and not problems_for(problems, "network.availabilityZone"):
            try:
                cfg.subnet_plan()
            except CidrPlanError as exc:
                problems.append(
                    Problem(
                        f"{k}network.vpcCidr",
                        f"is too small for the subnet plan: {exc}",
                        "use a larger VPC CIDR (e.g. a /16) or longer subnetPrefixLengths",
                    )
                )
        if cfg.cluster is not None:
            vpc = ipaddress.IPv4Network(net.vpc_cidr)
            svc = ipaddress.IPv4Network(cfg.cluster.service_cidr)
            if vpc.overlaps(svc):
                problems.append(
                    Problem(
                        f"{k}cluster.serviceCidr",
                        f"{svc} overlaps network.vpcCidr {vpc}",
                        "choose a service CIDR outside the VPC, e.g. 172.20.0.0/16",
                    )
                )

    if cfg.database is not None:
        db = cfg.database
        if db.max_allocated_storage_gb < db.allocated_storage_gb:
            problems.append(
                Problem(
                    f"{k}database.maxAllocatedStorageGb",
                    f"({db.max_allocated_storage_gb}) is below allocatedStorageGb "
                    f"({db.allocated_storage_gb})",
                    "set it to at least allocatedStorageGb",
                )
            )
        if cfg.is_production and not db.multi_az:
            problems.append(
                Problem(f"{k}database.multiAz", "is false in prod", "set multiAz: true")
            )

    search = cfg.search
    if search is not None and re.match(r"^(t2\.|t3\.(micro|small)\.)", search.instance_type):
        problems.append(
            Problem(
                f"{k}search.instanceType",
                f"{search.instance_type} does not support encryption at rest, which is always on",
                "use t3.medium.search or larger",
            )
        )
    if search is not None and search.zone_awareness:
        count = search.instance_count
        if count < 2 or (count % 2 and count % 3):
            problems.append(
                Problem(
                    f"{k}search.instanceCount",
                    f"is {count}; zone awareness spreads data nodes evenly over 2 or 3 AZs",
                    "use an even number of data nodes or a multiple of 3",
                )
            )

    cluster = cfg.cluster
    if cluster is not None:
        if cluster.kubernetes_version not in SUPPORTED_KUBERNETES_VERSIONS:
            problems.append(
                Problem(
                    f"{k}cluster.kubernetesVersion",
                    f"{cluster.kubernetes_version!r} is not a supported version",
                    f"use one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)}",
                )
            )
        nodes = cluster.nodes
        if not nodes.min_size <= nodes.desired_size <= nodes.max_size:
            problems.append(
                Problem(
                    f"{k}cluster.nodes",
                    f"sizes must satisfy minSize <= desiredSize <= maxSize, got "
                    f"{nodes.min_size} / {nodes.desired_size} / {nodes.max_size}",
                    "adjust minSize, desiredSize and maxSize",
                )
            )
        if nodes.capacity_type == "SPOT":
            if cfg.is_production and not cluster.allow_spot_in_prod:
                problems.append(
                    Problem(
                        f"{k}cluster.nodes.capacityType",
                        "is SPOT in prod, which can lose nodes at two minutes' notice",
                        "use ON_DEMAND, or set cluster.allowSpotInProd: true to opt in explicitly",
                    )
                )
            if len(set(nodes.instance_types)) < 3:
                problems.append(
                    Problem(
                        f"{k}cluster.nodes.instanceTypes",
                        "SPOT capacity needs at least 3 interchangeable instance types",
                        "list three or more types of the same size, e.g. m6i.large, m6a.large, "
                        "m5.large",
                    )
                )
        if (
            "0.0.0.0/0" in cluster.endpoint_public_access_cidrs
            and not cluster.allow_public_endpoint_from_anywhere
        ):
            problems.append(
                Problem(
                    f"{k}cluster.endpointPublicAccessCidrs",
                    "contains 0.0.0.0/0, which opens the API endpoint to the internet",
                    "list your office/VPN CIDRs, or set allowPublicEndpointFromAnywhere: true",
                )
            )
        if cfg.is_production and cluster.endpoint_public_access_cidrs:
            problems.append(
                Problem(
                    f"{k}cluster.endpointPublicAccessCidrs",
                    "is set in prod; the prod API endpoint is private only (R14)",
                    "remove it and reach the API through the VPC (VPN, SSM)",
                )
            )
        svc = ipaddress.IPv4Network(cluster.service_cidr)
        private_ranges = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
        in_private = any(svc.subnet_of(ipaddress.IPv4Network(r)) for r in private_ranges)
        if not (in_private and 12 <= svc.prefixlen <= 24):
            problems.append(
                Problem(
                    f"{k}cluster.serviceCidr",
                    f"{svc} must be a /12 to /24 inside 10/8, 172.16/12 or 192.168/16 (EKS rule)",
                    "use e.g. 172.20.0.0/16",
                )
            )
        groups = [m.permission_set for m in cluster.sso_mappings]
        for dup in sorted({g for g in groups if groups.count(g) > 1}):
            problems.append(
                Problem(f"{k}cluster.ssoMappings", f"maps {dup!r} twice", "keep one mapping")
            )

    names = [s.name for s in cfg.services]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(f"{k}services", f"lists {dup!r} twice", "keep one entry"))

    gitops = cfg.gitops
    needs_key = gitops is not None and gitops.source == "git" and cfg.is_cloud
    if needs_key and gitops is not None and not gitops.deploy_key_secret_id:
        problems.append(
            Problem(
                f"{k}gitops.deployKeySecretId",
                "is missing; the Git source reads its SSH deploy key from Secrets Manager",
                "set it to the secret's name, e.g. landfall/test/flux-deploy-key",
            )
        )
    if cfg.gitops is not None and cfg.gitops.source == "oci" and not cfg.is_cloud:
        problems.append(
            Problem(
                f"{k}gitops.source",
                "is 'oci' but the local environment has no ECR",
                "use source: git for local",
            )
        )
    return problems


def problems_for(problems: list[Problem], key_fragment: str) -> bool:
    return any(key_fragment in p.key for p in problems)


# --- loading ----------------------------------------------------------------------------------


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        key = _render_loc(loc)
        kind = err["type"]
        if kind == "missing":
            problems.append(Problem(key, "is required but missing", "add it"))
        elif kind == "extra_forbidden":
            problems.append(Problem(key, "is not a known setting", _suggest(loc)))
        elif kind == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
            problem, _, fix = message.partition("; ")
            problems.append(Problem(key, problem, fix or "correct the value"))
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(
                Problem(key, f"{err.get('input')!r} is not allowed", f"use one of {expected}")
            )
        else:
            problems.append(
                Problem(key, f"{err['msg'].lower()} (got {err.get('input')!r})", "correct it")
            )
    return problems


def _clipped(problems: list[Problem], limit: int = 200) -> list[Problem]:
    """The problems with huge bad values shortened, so the message stays readable."""

    def clip(text: str) -> str:
        return text if len(text) <= limit else f"{text[: limit - 30]}... ({len(text)} characters)"

    return [Problem(clip(p.key), clip(p.problem), p.fix) for p in problems]


def _render_loc(loc: list[str]) -> str:
    if not loc:
        return f"{NAMESPACE}:"
    head, rest = loc[0], loc[1:]
    key = f"{NAMESPACE}:{to_camel(head)}"
    for part in rest:
        key += f"[{part}]" if part.isdigit() else f".{part}"
    return key


def _known_fields(loc: list[str]) -> list[str]:
    model: Any = EnvironmentConfig
    for part in loc[:-1]:
        if part.isdigit() or model is None:
            continue
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if field is None:
            return []
        model = _model_of(field.annotation)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _suggest(loc: list[str]) -> str:
    known = _known_fields(loc)
    close = difflib.get_close_matches(loc[-1], known, n=1)
    if close:
        return f"did you mean {close[0]!r}? Remove or rename it"
    return f"remove it (known keys here: {', '.join(known)})" if known else "remove it"


def _decode(value: Any) -> Any:
    """Pulumi passes structured config values to programs as JSON text; primitives as strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested absurdly deep
            return value
    return value


def load_environment(
    expected_env: str | None, raw: Mapping[str, Any], source: str = "Pulumi config"
) -> EnvironmentConfig:
    """Validate the ``landfall:*`` keys of ``raw`` into an EnvironmentConfig.

    ``expected_env`` is the environment named by the stack (or the CLI); the file must agree.
    Raises ConfigError with every problem found.
    """
    if expected_env is not None and expected_env not in ENVIRONMENTS:
        raise ConfigError(
            source,
            [
                Problem(
                    "environment",
                    f"{expected_env!r} is not a known environment",
                    f"use one of {', '.join(ENVIRONMENTS)} (stacks are named <env>-<layer>)",
                )
            ],
        )
    ours: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        decoded = _decode(value)
        if isinstance(decoded, Mapping) and "secure" in decoded and len(decoded) == 1:
            problems.append(
                Problem(
                    key,
                    "is a Pulumi secret, but this project keeps no secrets in config",
                    "store it in AWS Secrets Manager and reference it by name",
                )
            )
            continue
        ours[name] = decoded
    if not ours:
        raise ConfigError(
            source,
            [
                Problem(
                    f"{NAMESPACE}:environment",
                    "no landfall settings were found",
                    "pass --config-file Pulumi.<env>.yaml to pulumi (stacks named <env>-<layer> "
                    "read the shared per-environment file, not Pulumi.<stack>.yaml)",
                )
            ],
        )
    problems += _missing_sections(ours)
    try:
        cfg = EnvironmentConfig.model_validate(ours)
    except ValidationError as exc:
        problems += _pydantic_problems(exc)
        raise ConfigError(source, _clipped(problems)) from None
    if problems:
        raise ConfigError(source, _clipped(problems))
    problems += _semantic_problems(cfg)
    if expected_env is not None and cfg.environment != expected_env:
        problems.append(
            Problem(
                f"{NAMESPACE}:environment",
                f"is {cfg.environment!r} but the stack or command names {expected_env!r}",
                f"use --config-file Pulumi.{expected_env}.yaml for {expected_env} stacks",
            )
        )
    if problems:
        raise ConfigError(source, _clipped(problems))
    return cfg


def config_file(env: str, root: Path = PROJECT_ROOT) -> Path:
    return root / f"Pulumi.{env}.yaml"


def read_config_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a Pulumi stack config file, or ConfigError if unreadable."""
    source = path.name
    if not path.exists():
        raise ConfigError(
            source,
            [Problem(str(path.name), "does not exist", "create it (copy Pulumi.test.yaml)")],
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            source, [Problem(path.name, f"is not valid YAML{where}", "fix the syntax")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            source,
            [Problem(path.name, f"is not UTF-8 text (byte {exc.start})", "save it as UTF-8")],
        ) from None
    except RecursionError:
        raise ConfigError(
            source, [Problem(path.name, "nests too deeply to be a config file", "fix the file")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            source, [Problem(path.name, f"cannot be read ({exc.strerror})", "check the path")]
        ) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            source,
            [Problem(path.name, "is not a YAML mapping", "start the file with 'config:'")],
        )
    config = document.get("config", {})
    if not isinstance(config, dict):
        raise ConfigError(
            source, [Problem(f"{path.name}: config", "is not a mapping", "use key: value pairs")]
        )
    return {str(k): v for k, v in config.items()}


def load_environment_file(env: str, root: Path = PROJECT_ROOT) -> EnvironmentConfig:
    """Read and validate ``Pulumi.<env>.yaml`` (the CLI's and the harness's entry point)."""
    if env not in ENVIRONMENTS:
        load_environment(env, {})  # raises the unknown-environment error
    path = config_file(env, root)
    return load_environment(env, read_config_file(path), source=path.name)


def load_from_pulumi() -> tuple[EnvironmentConfig, str]:
    """Inside a Pulumi program: the stack's environment config and layer, from the stack name."""
    import pulumi

    stack = pulumi.get_stack()
    env, sep, layer = stack.rpartition("-")
    if not sep or layer not in LAYERS:
        raise ConfigError(
            f"stack {stack!r}",
            [
                Problem(
                    "stack name",
                    f"{stack!r} does not end in one of -{', -'.join(LAYERS)}",
                    "name stacks <env>-<layer>, e.g. test-network",
                )
            ],
        )
    from pulumi.runtime.config import CONFIG, get_config_env

    raw = {**get_config_env(), **CONFIG.get()}
    cfg = load_environment(env, raw, source=f"Pulumi.{env}.yaml (stack {stack})")
    if layer not in cfg.layers():
        raise ConfigError(
            f"stack {stack!r}",
            [
                Problem(
                    "stack name",
                    f"the {env} environment has no {layer} layer",
                    f"use one of {', '.join(f'{env}-{x}' for x in cfg.layers())}",
                )
            ],
        )
    return cfg, layer
