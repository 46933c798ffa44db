"""The typed environment configuration: every per-environment setting, parsed once, frozen.

All settings live in ``Pulumi.<env>.yaml`` under the ``landfall:`` namespace. This module holds
the model: each section a frozen pydantic class whose fields carry their own description (the
source of ``docs/configuration.md``) and single-field rules. Cross-field rules are in ``rules``;
reading the settings is ``load``.
"""

from __future__ import annotations

import ipaddress
import re
import zlib
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from landfall.config.errors import ConfigError, Problem
from landfall.logic import aws_facts
from landfall.logic.cidr import TIERS, SubnetPlan, Tier, plan_subnets

NAMESPACE = "landfall"
ENVIRONMENTS: tuple[str, ...] = ("local", "test", "prod")
CLOUD_ENVIRONMENTS: tuple[str, ...] = ("test", "prod")
LAYERS: tuple[str, ...] = ("bootstrap", "network", "cluster", "gitops")
# The layer of the account's prerequisites and CI roles: planned with the others, deployed by
# `landfall bootstrap ENV` with an administrator's credentials, never by CI's `landfall up`.
ACCOUNT_LAYER = "bootstrap"

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# --- field types with their own validation -------------------------------------------------------

_DB_CLASS = re.compile(r"^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_SEARCH_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+\.search$")
_EC2_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
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


def _suggestions(value: str, choices: Any, fallback: str) -> str:
    close = aws_facts.did_you_mean(value, choices)
    if not close:
        return f"use e.g. {fallback}"
    return f"did you mean {close[0]}" + (f" (or {', '.join(close[1:])})" if close[1:] else "")


def _ec2_type_exists(value: str) -> str:
    _known(
        value,
        aws_facts.ec2_instance_types(),
        "an EC2 instance type (botocore's EC2 model)",
        "m6i.large, m7g.large",
    )
    accelerated = aws_facts.accelerator(value)
    if accelerated:
        raise ValueError(
            f"{value!r} is an accelerated ({accelerated}) type, which needs the Bottlerocket "
            "NVIDIA or Neuron AMI that landfall does not configure; use a general-purpose, "
            "compute- or memory-optimised type such as m6i.xlarge, c6i.xlarge or m7g.xlarge"
        )
    return value


def _db_class_known(value: str) -> str:
    # botocore has no list of RDS classes (only the DescribeOrderableDBInstanceOptions API), so
    # check the form: db.<family with a generation digit>.<an EC2 size other than metal>.
    sizes = aws_facts.ec2_sizes()
    _, fam, size = value.split(".", 2)
    if not re.fullmatch(r"[a-z]+\d+[a-z-]*", fam):
        raise ValueError(
            f"{value!r} has no instance family with a generation (like r6g in db.r6g.large); "
            "use e.g. db.t4g.medium or db.r6g.large"
        )
    if size.startswith("metal"):
        raise ValueError(
            f"{value!r} is a bare-metal size, which RDS does not offer; use a sized class such as "
            f"db.{fam}.large, db.{fam}.xlarge or db.{fam}.2xlarge"
        )
    if size not in sizes:
        usable = sorted(s for s in sizes if not s.startswith("metal"))
        raise ValueError(
            f"{value!r} has no valid instance size {size!r}; "
            + _suggestions(size, usable, "large, xlarge or 2xlarge")
        )
    return value


def _known(value: str, known: Collection[str], what: str, examples: str) -> str:
    """``value`` if it is one of ``known``; else a ValueError naming the closest ones."""
    if value not in known:
        raise ValueError(f"{value!r} is not {what}; " + _suggestions(value, known, examples))
    return value


def _search_type_exists(value: str) -> str:
    return _known(
        value,
        aws_facts.opensearch_instance_types(),
        "an OpenSearch Service instance type (botocore's opensearch model)",
        "r6g.large.search, m6g.large.search",
    )


def _aws_region_exists(value: str) -> str:
    return _known(
        value,
        aws_facts.aws_regions(),
        "an AWS region (botocore's endpoints.json)",
        "eu-west-2, us-east-1",
    )


def _log_retention(value: int) -> int:
    valid = aws_facts.log_retention_days()
    if value not in valid:
        nearest = " or ".join(str(d) for d in aws_facts.nearest_retention(value))
        raise ValueError(
            f"{value} days is not a CloudWatch Logs retention period; use {nearest} (accepted: "
            f"{', '.join(str(d) for d in valid)})"
        )
    return value


# Private address space (RFC 1918); the service CIDR must be inside it (EKS rule).
RFC1918_RANGES: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
# VPC CIDRs: private or shared (RFC 6598) space, a /16 to a /28 (AWS VPC limits).
VPC_RANGES: tuple[str, ...] = (*RFC1918_RANGES, "100.64.0.0/10")


def inside(net: ipaddress.IPv4Network, ranges: Collection[str]) -> bool:
    """Whether ``net`` lies inside one of ``ranges``."""
    return any(net.subnet_of(ipaddress.IPv4Network(r)) for r in ranges)


def _vpc_cidr(value: str) -> str:
    net = ipaddress.IPv4Network(value)
    if not inside(net, VPC_RANGES):
        raise ValueError(
            f"{value} is not private address space; use a range inside 10.0.0.0/8, "
            "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, e.g. 10.20.0.0/16"
        )
    if not 16 <= net.prefixlen <= 28:
        raise ValueError(
            f"{value} is a /{net.prefixlen}, but an AWS VPC is a /16 to a /28; use e.g. "
            f"{ipaddress.IPv4Network(f'{net.network_address}/16', strict=False)}"
        )
    return value


# Namespaces Kubernetes, Flux and the platform's own controllers (fleet/infrastructure) own: a
# service there would share (and could break) their service accounts, quotas and policies.
RESERVED_NAMESPACES: tuple[str, ...] = (
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "flux-system",
    "cert-manager",
    "external-dns",
    "brupop-bottlerocket-aws",
    "platform-data",
)


def _not_reserved(value: str) -> str:
    if value in RESERVED_NAMESPACES or value.startswith("kube-"):
        raise ValueError(
            f"{value!r} is a namespace reserved for Kubernetes, Flux or the platform's "
            "controllers; use the service's own name, e.g. payments or orders"
        )
    return value


_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def _git_branch(value: str) -> str:
    """git check-ref-format's rules for a branch name."""
    wrong = None
    if not value:
        wrong = "is empty"
    elif _BAD_REF_CHARS.search(value):
        wrong = "contains a space, control character or one of ~ ^ : ? * [ \\"
    elif ".." in value or "@{" in value or "//" in value:
        wrong = "contains '..', '@{' or '//'"
    elif value.startswith(("-", "/", ".")) or value == "@":
        wrong = "starts with '-', '/' or '.', or is '@'"
    elif value.endswith((".lock", "/", ".")):
        wrong = "ends in '.lock', '/' or '.'"
    elif any(part.startswith(".") or part.endswith(".lock") for part in value.split("/")):
        wrong = "has a path component starting with '.' or ending in '.lock'"
    if wrong:
        raise ValueError(
            f"{value!r} is not a valid git branch name: it {wrong}; use e.g. main or "
            "release/2026-12"
        )
    return value


def _positive_duration(value: str) -> str:
    found = _DURATION.fullmatch(value)
    units = {"h": 3600, "m": 60, "s": 1}
    parts = [part for part in (found.groups() if found else ()) if part]
    seconds = sum(int(part[:-1]) * units[part[-1]] for part in parts)
    if seconds <= 0:
        raise ValueError(f"{value!r} is no time at all; use a positive duration such as 1m or 5m")
    return value


DbInstanceClass = Annotated[
    str,
    _matching(_DB_CLASS, "RDS instance class", "db.r6g.large"),
    AfterValidator(_db_class_known),
]
SearchInstanceType = Annotated[
    str,
    _matching(_SEARCH_TYPE, "OpenSearch instance type", "r6g.large.search"),
    AfterValidator(_search_type_exists),
]
Ec2InstanceType = Annotated[
    str, _matching(_EC2_TYPE, "EC2 instance type", "m6i.large"), AfterValidator(_ec2_type_exists)
]
DnsLabel = Annotated[str, _matching(_DNS_LABEL, "DNS-1123 label", "payments (lowercase, -)")]
Namespace = Annotated[DnsLabel, AfterValidator(_not_reserved)]
DomainName = Annotated[str, _matching(_DOMAIN, "domain name", "test.example.com")]
Cidr = Annotated[str, AfterValidator(_cidr)]
VpcCidr = Annotated[Cidr, AfterValidator(_vpc_cidr)]
Duration = Annotated[
    str, _matching(_DURATION, "duration", "5m, 1h or 30s"), AfterValidator(_positive_duration)
]
LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
GitBranch = Annotated[str, AfterValidator(_git_branch)]
AwsRegion = Annotated[
    str, _matching(_REGION, "AWS region", "eu-west-2"), AfterValidator(_aws_region_exists)
]
EcrName = Annotated[str, _matching(_ECR_NAME, "ECR repository name", "charts/payments")]


class Strict(BaseModel):
    """Frozen, camelCase in YAML, and unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


# --- sections -----------------------------------------------------------------------------------


class SubnetPrefixLengths(Strict):
    """Prefix length (the ``/n``) of each subnet tier in every AZ, all carved from
    ``network.vpcCidr``: a larger number is a smaller subnet. AWS allows subnets from /16 to /28."""

    public: int = Field(
        24,
        ge=16,
        le=28,
        description="Public subnets, one per AZ: the ALB and the NAT gateways. The default /24 "
        "holds 256 addresses (AWS reserves 5 in every subnet).",
    )
    private: int = Field(
        19,
        ge=16,
        le=28,
        description="Private subnets, one per AZ: EKS nodes, their pods and the interface "
        "endpoints, egress through NAT. Large by default (/19, 8,192 addresses) because the VPC "
        "CNI gives every pod an address from it.",
    )
    data: int = Field(
        24,
        ge=16,
        le=28,
        description="Isolated data subnets, one per AZ, with no route to the internet: RDS and "
        "OpenSearch.",
    )

    def as_dict(self) -> dict[Tier, int]:
        return {t: getattr(self, t) for t in TIERS}


class NetworkConfig(Strict):
    """The VPC of the network stack: its address plan (public, private and isolated data subnets
    in every AZ), NAT gateways, interface endpoints and flow logs."""

    vpc_cidr: VpcCidr = Field(
        description="IPv4 CIDR of the VPC, written as a network address without host bits, e.g. "
        "`10.20.0.0/16`; every subnet is carved from it. Private space only (inside 10.0.0.0/8, "
        "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10); AWS allows a /16 to a /28; it must "
        "not overlap `cluster.serviceCidr`.",
    )
    availability_zones: int = Field(
        3,
        ge=1,
        le=6,
        description="How many AZs the VPC spans; each gets a subnet of every tier and an EKS node "
        "group. Cloud environments need at least 3 (R6).",
    )
    availability_zone_names: list[str] | None = Field(
        None,
        description="The AZs to use, e.g. `[eu-west-2a, eu-west-2b, eu-west-2c]`: as many as "
        "`availabilityZones`, each once and in `region`. Unset: the region's first zones by "
        "letter (`<region>a`, `<region>b`, ...).",
    )
    subnet_prefix_lengths: SubnetPrefixLengths = Field(
        SubnetPrefixLengths(),
        description="Size of each subnet tier per AZ; the defaults fit a /16 VPC with 3 AZs.",
    )
    nat_gateways: Literal["per-az", "single"] = Field(
        description="`per-az`: a NAT gateway in every AZ, so an AZ outage does not cut the others' "
        "egress (baseline policy `nat-gateway-per-az`). `single`: one NAT gateway for the VPC, "
        "cheaper but not AZ-resilient (needs an exemption of that policy).",
    )
    interface_endpoints: list[str] = Field(
        default_factory=lambda: ["ecr.api", "ecr.dkr", "sts", "ssm", "ssmmessages", "ec2messages"],
        description="AWS services reached through interface endpoints in the private subnets "
        "(private DNS, HTTPS from the VPC only), named by the suffix of "
        "`com.amazonaws.<region>.<service>`, e.g. `logs`. An S3 gateway endpoint always exists; "
        "an empty list creates no interface endpoint.",
    )
    flow_log_retention_days: LogRetentionDays = Field(
        90,
        ge=1,
        le=3653,
        description="Days the VPC flow logs (all traffic, in a KMS-encrypted CloudWatch log group) "
        "are kept. CloudWatch Logs accepts only its fixed retention periods (1, 3, 5, 7, 14, 30, "
        "60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).",
    )


class DnsConfig(Strict):
    """The environment's public DNS: a Route 53 hosted zone for ``domain`` and an ACM certificate
    for the apex and ``*.<domain>``, validated through the zone so it renews itself."""

    domain: DomainName = Field(
        description="Domain the environment serves, e.g. `test.landfall.example.com`; each service "
        "is reached at `<service>.<domain>`. The network stack creates its public hosted zone: "
        "delegate it from the parent zone with the zone's name servers (`parentZoneId` does it, "
        "otherwise `landfall up` prints them and waits).",
    )
    parent_zone_id: (
        Annotated[str, _matching(_HOSTED_ZONE_ID, "Route 53 hosted zone ID", "Z0123456789ABC")]
        | None
    ) = Field(
        None,
        description="The Route 53 hosted zone of the parent domain (e.g. `landfall.example.com` "
        "for `test.landfall.example.com`). Set: the network stack writes the NS delegation "
        "record there, before the certificate is validated. Unset: delegate by hand; `landfall "
        "up` creates the zone first, prints its name servers and waits until they resolve.",
    )
    dnssec: bool = Field(
        True,
        description="Sign the zone with DNSSEC (a key-signing key on an asymmetric KMS key in "
        "us-east-1, as Route 53 requires). The DS record to add in the parent is the network "
        "output `hostedZoneDsRecord` (written there with `parentZoneId`). Turning it off later "
        "means removing the DS record from the parent first.",
    )
    query_log_retention_days: LogRetentionDays = Field(
        365,
        ge=1,
        le=3653,
        description="Days the zone's query logs (every query Route 53 answers, in a "
        "KMS-encrypted us-east-1 log group) are kept.",
    )
    parent_zone_role_arn: (
        Annotated[
            str,
            _matching(_ROLE_ARN, "IAM role ARN", "arn:aws:iam::222222222222:role/dns-delegation"),
        ]
        | None
    ) = Field(
        None,
        description="A role to assume for writing the delegation record when the parent zone is "
        "in another account; it needs `route53:ChangeResourceRecordSets` and "
        "`route53:GetChange` on that zone only. Needs `parentZoneId`.",
    )


class CiConfig(Strict):
    """GitHub Actions, which previews and deploys the environment: the bootstrap layer creates
    its two roles, trusted through the account's GitHub OIDC provider for exact subjects only
    (docs/user-guide.md, "CI")."""

    repository: Annotated[
        str, _matching(_GITHUB_REPOSITORY, "GitHub repository", "example/landfall")
    ] = Field(
        description="The GitHub `<owner>/<repo>` of this platform code. Its pull requests may "
        "assume the read-only preview role (`repo:<repo>:pull_request`); only its workflow jobs "
        "in the GitHub environment named like this environment may assume the deploy role "
        "(`repo:<repo>:environment:<env>`), so prod's required reviewers guard every deploy.",
    )
    runner_log_retention_days: LogRetentionDays = Field(
        90,
        ge=1,
        le=3653,
        description="Days the CI runners' KMS-encrypted log group keeps the jobs' build logs; "
        "one of CloudWatch's fixed retention periods.",
    )


class WafConfig(Strict):
    """AWS WAF in front of the ALB: AWS's managed rule groups (common exploits, known bad
    inputs, IP reputation) and a per-IP rate limit, every request logged."""

    enabled: bool = Field(
        True,
        description="Associate the web ACL with the ALB. The baseline policy `alb-waf` reports "
        "an ALB without one (exempt it in test to save the WAF fee, never in prod).",
    )
    rate_limit: int = Field(
        2000,
        ge=10,
        le=2_000_000_000,
        description="Requests one client IP may send in 5 minutes before WAF blocks it (AWS "
        "WAF's RateLimit: 10 to 2,000,000,000).",
    )
    log_retention_days: LogRetentionDays = Field(
        365,
        ge=1,
        le=3653,
        description="Days the WAF log group (KMS-encrypted, named `aws-waf-logs-*` as WAF "
        "requires) keeps every request's record; one of CloudWatch's fixed retention periods.",
    )


class AlarmsConfig(Strict):
    """CloudWatch alarms on RDS, OpenSearch, the ALB and its target groups, and the NAT
    gateways, notifying an SNS topic encrypted with the operations key (R30). Every threshold
    has a default; tighten them per environment."""

    email_subscribers: list[
        Annotated[str, _matching(_EMAIL, "email address", "oncall@example.com")]
    ] = Field(
        default_factory=list,
        max_length=20,
        description="Addresses subscribed to the alarm topic by email (each confirms once, "
        "from the message AWS sends).",
    )
    chat_webhook_secret_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$",
        description="Name of a Secrets Manager secret whose string is a Slack-compatible "
        "incoming-webhook URL (`https://...`): a function subscribed to the alarm topic posts "
        "every alarm there (created out of band, docs/operations.md). Unset: email only.",
    )
    rds_cpu_percent: int = Field(80, ge=1, le=100, description="RDS CPU, average over 15 minutes.")
    rds_free_storage_gb: int = Field(
        5,
        ge=1,
        le=1000,
        description="RDS free storage below this many GiB (storage autoscaling "
        "grows it, but only up to `database.maxAllocatedStorageGb`).",
    )
    rds_freeable_memory_mb: int = Field(
        256, ge=16, le=100000, description="RDS freeable memory below this many MiB for 15 minutes."
    )
    rds_max_connections: int = Field(
        400, ge=1, le=100000, description="RDS connections above this number."
    )
    search_free_storage_gb: int = Field(
        5, ge=1, le=10000, description="OpenSearch free storage of a node below this many GiB."
    )
    search_jvm_pressure_percent: int = Field(
        85,
        ge=50,
        le=100,
        description="OpenSearch JVM memory pressure at or above this, 15 minutes.",
    )
    alb_errors_per_5_minutes: int = Field(
        10,
        ge=0,
        le=100000,
        description="5xx answers of the ALB itself, and of each service's "
        "targets, above this number in 5 minutes.",
    )
    target_response_seconds: float = Field(
        2.0, gt=0, le=60, description="ALB target response time, average over 15 minutes."
    )
    pod_restarts_per_5_minutes: int = Field(
        5,
        ge=1,
        le=10000,
        description="Container restarts in the whole cluster above this number in 5 minutes "
        "(Container Insights). A failed node, an OOM-killed container and a GitOps "
        "reconciliation failing for 15 minutes alarm at once, without a threshold.",
    )


class ObservabilityConfig(Strict):
    """Pod and node logs, and Container Insights metrics, through EKS's
    `amazon-cloudwatch-observability` add-on (its own IRSA role), into log groups the cluster
    stack creates first: encrypted with the data key and expiring (docs/operations.md)."""

    container_logs: bool = Field(
        True,
        description="Ship every container's stdout/stderr and the nodes' logs (Fluent Bit) to "
        "`/aws/containerinsights/<cluster>/application`, `/dataplane` and `/host`. Off: metrics "
        "only, and no GitOps-failure alarm (it reads the Flux controllers' logs).",
    )
    log_retention_days: LogRetentionDays = Field(
        30,
        ge=1,
        le=3653,
        description="Days the Container Insights log groups keep logs and performance events; "
        "one of CloudWatch's fixed retention periods (prod keeps 365 in the committed settings).",
    )


class BackupsConfig(Strict):
    """AWS Backup of the database and of the cluster's tagged volumes (R30): a vault encrypted
    with the operations key and one daily rule."""

    retention_days: int = Field(
        7,
        ge=1,
        le=36500,
        description="Days each recovery point is kept (AWS Backup's DeleteAfterDays); "
        "prod keeps 35 in the committed settings.",
    )
    copy_region: AwsRegion | None = Field(
        None,
        description="Also copy every recovery point to a vault in this AWS region (with a KMS "
        "key of its own there), kept as long, e.g. `eu-west-1`; another region than "
        "`landfall:region`. Off by default; prod copies to eu-west-1 in the committed settings.",
    )
    schedule: str = Field(
        "cron(0 3 * * ? *)",
        pattern=r"^cron\([^()]+\)$",
        description="When the daily backup starts, as an AWS cron expression in UTC, e.g. "
        "`cron(0 3 * * ? *)` (03:00, after the RDS backup window).",
    )


class LoadBalancerConfig(Strict):
    """The internet-facing Application Load Balancer of the network stack, shared by every
    service (a host rule and an ``ip`` target group each); HTTP only redirects to HTTPS. Every
    key has a default, so the section may be left out."""

    ssl_policy: str = Field(
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        description="ELB security policy of the HTTPS listener. The baseline policy "
        "`lb-tls-policy` accepts only TLS 1.2+ policies (`ELBSecurityPolicy-TLS13-1-2-*`, "
        "`-TLS13-1-3-*`, `-TLS-1-2-*`, `-FS-1-2-*`).",
    )
    access_log_retention_days: int = Field(
        90,
        ge=1,
        le=3653,
        description="Days the ALB access logs are kept in their S3 bucket (SSE-S3, no public "
        "access) before a lifecycle rule expires them.",
    )
    idle_timeout_seconds: int = Field(
        60,
        ge=1,
        le=4000,
        description="Seconds a connection may stay idle before the ALB closes it (AWS allows "
        "1 to 4000).",
    )
    waf: WafConfig = Field(WafConfig(), description="The ALB's AWS WAF web ACL.")


class DatabaseConfig(Strict):
    """RDS for MariaDB in the isolated data subnets: reachable only from the nodes' data-access
    security group, KMS-encrypted, TLS only, IAM authentication, logs exported to CloudWatch, and
    the master password generated and kept by RDS in Secrets Manager (never in config or state).
    Prod adds deletion protection and a final snapshot."""

    engine_version: str = Field(
        pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$",
        description='MariaDB version, `major.minor` or `major.minor.patch`, quoted (`"11.4"`). '
        "Its major.minor selects the parameter and option groups; minor upgrades apply "
        "automatically, a major upgrade is not done in place.",
    )
    instance_class: DbInstanceClass = Field(
        description="RDS instance class, e.g. `db.t4g.medium` (test) or `db.r6g.large` (prod): "
        "`db.`, a family with its generation and an EC2 size (`metal` is refused).",
    )
    allocated_storage_gb: int = Field(
        ge=20,
        le=65536,
        description="Initial gp3 storage in GiB (RDS for MariaDB allows 20 to 65536).",
    )
    max_allocated_storage_gb: int = Field(
        ge=20,
        le=65536,
        description="Ceiling in GiB up to which RDS storage autoscaling may grow the volume; at "
        "least `allocatedStorageGb`.",
    )
    multi_az: bool = Field(
        description="Run a synchronous standby in a second AZ with automatic failover. Must be "
        "true in prod; false elsewhere needs an exemption of the `rds-multi-az` policy.",
    )
    backup_retention_days: int = Field(
        ge=1,
        le=35,
        description="Days automated backups and point-in-time recovery reach back (RDS allows up "
        "to 35; 0, which turns backups off, is refused).",
    )
    log_retention_days: LogRetentionDays = Field(
        90,
        description="Days CloudWatch keeps the database's exported logs (audit, error, slow "
        "query) in their KMS-encrypted groups, which the network stack creates before the "
        "instance; a CloudWatch Logs retention period.",
    )
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = Field(
        60,
        description="Seconds between Enhanced Monitoring samples (OS metrics, through its own "
        "role): one of RDS's 1, 5, 10, 15, 30 or 60; 0 turns it off, which the baseline policy "
        "`rds-enhanced-monitoring` reports.",
    )
    performance_insights_retention_days: int = Field(
        7,
        description="Days Performance Insights (encrypted with the data key) keeps its data: 7 "
        "(free), a multiple of 31 up to 713, or 731. Not offered on the micro and small "
        "burstable classes.",
    )
    database_name: str = Field(
        "landfall",
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        description="Database created with the instance, for administration only: each "
        "service with `database: true` gets its own database and user instead. A letter, then "
        "letters, digits or `_`, at most 64 characters (MariaDB's limit).",
    )


class SearchConfig(Strict):
    """The Amazon OpenSearch Service domain in the data subnets: VPC only, encrypted at rest and
    node to node, HTTPS only, fine-grained access control with an IAM master role, and its
    application, audit and slow logs in CloudWatch."""

    engine_version: str = Field(
        pattern=r"^OpenSearch_[0-9]+\.[0-9]+$",
        description="Engine version in the AWS form `OpenSearch_<major>.<minor>`, e.g. "
        "`OpenSearch_2.19`. An upgrade is in place only to a version AWS offers as an upgrade "
        "target.",
    )
    instance_type: SearchInstanceType = Field(
        description="Instance type of the data nodes, e.g. `r6g.large.search`; one of the "
        "OpenSearch Service types in botocore's model. `t2.*`, "
        "`t3.micro.search` and `t3.small.search` are refused: they lack encryption at rest, "
        "which is always on.",
    )
    instance_count: int = Field(
        ge=1,
        le=80,
        description="Number of data nodes (at most 80, the AWS default quota per domain). With "
        "`zoneAwareness` it must be even or a multiple of 3, to spread evenly over 2 or 3 AZs.",
    )
    volume_size_gb: int = Field(
        ge=10,
        le=16384,
        description="gp3 EBS volume of each data node in GiB; the AWS maximum depends on the "
        "instance type.",
    )
    dedicated_master_type: SearchInstanceType | None = Field(
        None,
        description="Instance type of dedicated master nodes, e.g. `m6g.large.search` (an "
        "OpenSearch Service type). Unset: no "
        "dedicated masters (the data nodes elect the cluster manager).",
    )
    dedicated_master_count: int = Field(
        3,
        ge=3,
        le=5,
        description="Number of dedicated master nodes; used only with `dedicatedMasterType`. The "
        "`opensearch-high-availability` policy expects 3.",
    )
    zone_awareness: bool = Field(
        description="Spread the data nodes and their replicas over 3 AZs when `instanceCount` is "
        "a multiple of 3, else over 2. Off: the domain lives in one data subnet.",
    )
    log_retention_days: LogRetentionDays = Field(
        90,
        ge=1,
        le=3653,
        description="Days the domain's KMS-encrypted CloudWatch log groups (application, audit, "
        "index and search slow logs) are kept; one of CloudWatch's fixed retention periods.",
    )


# Where each service's chart is pushed: charts/<name>.
CHART_FOLDER = "charts"


class RegistryConfig(Strict):
    """ECR repositories of the network stack: tags immutable (a deployed version never changes,
    R4), scanned on push, KMS-encrypted, each with a lifecycle policy; retained in prod."""

    image_repositories: list[EcrName] = Field(
        default_factory=list,
        description="Image repositories besides the services' own: every service of the "
        "catalogue gets `<name>` (lowercase; `/` separates namespaces).",
    )
    chart_repositories: list[EcrName] = Field(
        default_factory=list,
        description="Helm chart repositories (OCI artifacts) besides the services' own: every "
        "service gets `charts/<name>`. Their common folder (`charts`) is the "
        "`HELM_OCI_REPOSITORY` of the environment ConfigMap; `gitops.ociRepository` is added "
        "with the `oci` source.",
    )
    keep_last_images: int = Field(
        50,
        ge=1,
        le=1000,
        description="Lifecycle rule: each repository keeps this many newest images; older ones "
        "expire.",
    )
    untagged_expiry_days: int = Field(
        14,
        ge=1,
        le=365,
        description="Lifecycle rule: untagged images expire this many days after they were pushed.",
    )


class NodeGroupConfig(Strict):
    """The EKS managed node groups: one Bottlerocket group per AZ, in that AZ's private subnet,
    from one launch template (IMDSv2, encrypted gp3 volumes, no SSH). Sizes apply to each group,
    so the cluster has ``availabilityZones`` times as many nodes."""

    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        description="`ON_DEMAND` or `SPOT` instances. SPOT needs at least 3 interchangeable "
        "`instanceTypes`, and in prod also `cluster.allowSpotInProd: true`.",
    )
    instance_types: list[Ec2InstanceType] = Field(
        min_length=1,
        description="EC2 instance types the groups may launch, e.g. `[m6i.large, m6a.large, "
        "m5.large]`: each one AWS offers (botocore's EC2 model) and not accelerated (GPU, "
        "Inferentia, Trainium, FPGA types need an AMI landfall does not configure); all arm64 "
        "(Graviton) or all x86_64, which selects the Bottlerocket AMI type. With SPOT, sizes at "
        "most one step apart (large with xlarge).",
    )
    min_size: int = Field(
        ge=0,
        le=100,
        description="Fewest nodes in each group (per AZ); the Cluster Autoscaler never goes below.",
    )
    desired_size: int = Field(
        ge=0,
        le=100,
        description="Nodes each group starts with; `minSize` ≤ `desiredSize` ≤ `maxSize`. Only "
        "the first size: afterwards the Cluster Autoscaler sets it, and `up` leaves it alone.",
    )
    max_size: int = Field(
        ge=1,
        le=100,
        description="Most nodes in each group (per AZ); the Cluster Autoscaler's ceiling.",
    )
    disk_size_gb: int = Field(
        50,
        ge=20,
        le=16384,
        description="Size in GiB of each node's Bottlerocket data volume (container images and "
        "ephemeral storage; encrypted gp3, at most 16384 GiB); the 4 GiB OS volume is separate.",
    )
    max_unavailable: int = Field(
        1,
        ge=1,
        le=100,
        description="Nodes of a group that may be down at once in a rolling update (EKS "
        "`updateConfig.maxUnavailable`, 1 to 100); the groups roll one AZ at a time.",
    )
    auto_repair: bool = Field(
        True,
        description="EKS node auto repair: a node unhealthy for its kubelet, network or storage "
        "is replaced, one node of a group at a time (EKS `nodeRepairConfig`, off by default in "
        "EKS).",
    )


class SsoMapping(Strict):
    """One IAM Identity Center permission set mapped to a Kubernetes group and an access level,
    through an EKS access entry for the permission set's role in this account."""

    permission_set: str = Field(
        min_length=1,
        max_length=32,
        description="Name of the permission set, e.g. `PlatformAdmin` (Identity Center allows 32 "
        "characters). It must be assigned to the account, so that its "
        "`AWSReservedSSO_<name>_<suffix>` role exists; never paste role ARNs.",
    )
    kubernetes_group: DnsLabel = Field(
        description="Kubernetes group the permission set's users are in, e.g. `platform-admins`; "
        "your identity team maps it to a directory group.",
    )
    access: Literal["cluster-admin", "admin", "edit", "view"] = Field(
        description="Built-in ClusterRole bound to the group cluster-wide; Flux's kinds are "
        "aggregated into `admin`, `edit` and `view`.",
    )


class ClusterConfig(Strict):
    """The EKS cluster of the cluster stack: the control plane (private endpoint, secrets
    encrypted with KMS, all five log types, access entries only), its node groups and pinned
    add-ons, and who may use it."""

    kubernetes_version: str = Field(
        description="Kubernetes minor version of the control plane, add-ons and nodes, quoted "
        '(`"1.35"`); one of the versions in `landfall/logic/versions.py`. Upgrading is setting '
        "the next one (EKS moves one minor version at a time). `landfall plan` warns in test and "
        "fails in prod from 60 days before the version leaves EKS standard support.",
    )
    endpoint_public_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="CIDRs that may reach the public API endpoint, e.g. an office VPN's egress. "
        "Empty: the endpoint is private only, which prod requires (R14).",
    )
    allow_public_endpoint_from_anywhere: bool = Field(
        False,
        description="Explicit opt-in to `0.0.0.0/0` in `endpointPublicAccessCidrs`; the baseline "
        "policy `eks-endpoint-private` still reports it unless exempted.",
    )
    service_cidr: Cidr = Field(
        "172.20.0.0/16",
        description="IPv4 range of Kubernetes Service IPs: a /12 to /24 inside 10.0.0.0/8, "
        "172.16.0.0/12 or 192.168.0.0/16 (EKS rule), outside `network.vpcCidr`. Changing it "
        "replaces the cluster.",
    )
    nodes: NodeGroupConfig = Field(description="The managed node groups, one per AZ.")
    allow_spot_in_prod: bool = Field(
        False,
        description="Explicit opt-in to `nodes.capacityType: SPOT` in prod, which otherwise runs "
        "on-demand (R9); spot nodes can go at two minutes' notice.",
    )
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = Field(
        "STANDARD",
        description="What EKS does when the version leaves standard support (the EKS API's "
        "`SupportType`): `STANDARD` upgrades the control plane to the next version then, "
        "`EXTENDED` keeps it up to 12 more months at six times the control-plane fee. Set "
        "explicitly because EKS's own default is `EXTENDED`. Plan upgrades before either "
        "happens (R25, docs/cluster.md).",
    )
    support_end_acknowledged: str | None = Field(
        None,
        description="Set to `kubernetesVersion` to let `landfall plan` pass in prod although "
        "that version is past, or within 60 days of, the end of EKS standard support (the "
        "release calendar in `landfall/logic/versions.py`). For a deliberate, short delay of an "
        "upgrade; it acknowledges one version only, so the next one is checked again.",
    )
    keep_creator_admin: bool = Field(
        False,
        description="Keep EKS's permanent, invisible cluster-admin grant for whoever created the "
        "cluster. False: the deployer gets an explicit access entry instead. Matters only when "
        "the cluster is created (docs/cluster.md).",
    )
    log_retention_days: LogRetentionDays = Field(
        90,
        ge=1,
        le=3653,
        description="Days the control plane's KMS-encrypted CloudWatch log group keeps its logs; "
        "one of CloudWatch's fixed retention periods.",
    )
    ci_notifier_subjects: list[
        Annotated[
            str,
            _matching(_GITHUB_SUBJECT, "GitHub OIDC subject", "repo:org/app:ref:refs/heads/main"),
        ]
    ] = Field(
        default_factory=list,
        description="More GitHub Actions OIDC subjects the CI notifier role trusts (R5), each "
        "exactly (no wildcards), e.g. application repositories' main branches. The main branch "
        "of `ci.repository`, whose deploy workflow runs the notify jobs, is always trusted.",
    )
    sso_mappings: list[SsoMapping] = Field(
        default_factory=list,
        description="Identity Center permission sets given access to the cluster, each at most "
        "once.",
    )


class ServiceSizing(Strict):
    """What a service's catalogue entry sets per environment."""

    replicas: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Pods in this environment (the fleet overlay's `replicaCount`); unset: "
        "the chart's default.",
    )
    memory: str | None = Field(
        None,
        pattern=r"^[1-9][0-9]{0,5}(Mi|Gi)$",
        description="Memory request and limit of each pod in this environment, e.g. `256Mi` "
        "(the fleet overlay's `resources.memory`); unset: the chart's default.",
    )
    max_replicas: int | None = Field(
        None,
        ge=2,
        le=100,
        description="With it, a HorizontalPodAutoscaler scales the service on CPU between "
        "`replicas` (at least 2, so its PodDisruptionBudget lets nodes drain) and this many pods "
        "(the fleet overlay's `autoscaling`); unset: a fixed `replicas`.",
    )

    @model_validator(mode="after")
    def _autoscaling_range(self) -> ServiceSizing:
        if self.max_replicas is not None and (
            self.replicas is None or not 2 <= self.replicas <= self.max_replicas
        ):
            raise ValueError(
                f"maxReplicas {self.max_replicas} needs replicas between 2 and "
                f"{self.max_replicas} (the autoscaler's minimum); set replicas, e.g. 2"
            )
        return self


class ServiceTraits(Strict):
    """One microservice the platform hosts: it gets an ALB target group and host rule, an IAM
    role for its service account (IRSA) that reads its own secrets, and its keys in the
    environment ConfigMap."""

    name: Namespace = Field(
        description="Service name, e.g. `payments`: its host `<name>.<dns.domain>`, its service "
        "account, its secrets under `<env>/<name>/` in Secrets Manager and the "
        "`<NAME>_ROLE_ARN` / `<NAME>_TARGET_GROUP_ARN` ConfigMap keys. Not a reserved namespace "
        "(`default`, `kube-*`, `flux-system`, or one of the platform's: `cert-manager`, "
        "`external-dns`, `brupop-bottlerocket-aws`, `platform-data`).",
    )
    namespace: Namespace | None = Field(
        None,
        description="Kubernetes namespace the service runs in; unset: its name. The IAM role "
        "trusts `system:serviceaccount:<namespace>:<name>`. Not a reserved namespace (see "
        "`name`).",
    )

    team: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9-]{0,62}$",
        description="The owning team (lower-case, digits, `-`): the `Team` tag of the service's "
        "target group, and who `landfall service check` names for the service.",
    )
    public: bool = Field(
        True,
        description="Reachable from the internet on the shared ALB (`<name>.<dns.domain>`, a "
        "target group and a host rule); `false`: internal only (the internal ALB group).",
    )
    nlb: bool = Field(
        False,
        description="An internal NLB for callers inside the VPC such as Lambda functions (R17), "
        "`<name>-nlb.<dns.domain>`.",
    )
    listener_priority: int | None = Field(
        None,
        ge=1,
        le=50000,
        description="Priority of the service's host rule on the shared ALB's HTTPS listener, "
        "unique among the services; unset: a stable number derived from the name "
        "(`listener_priority()`), so adding or removing a service never moves another's rule.",
    )
    database: bool = Field(
        False,
        description="Give the service its own MariaDB database and user, both named after it "
        "(`-` as `_`), created by the data-access function (IAM database authentication in "
        "AWS) or by the local data-access Job (password from the `<name>-database` Secret).",
    )
    search: bool = Field(
        False,
        description="Give the service read and write access to its own OpenSearch indices, "
        "`<name>-*`, and nothing else (an OpenSearch security role mapped to its IAM role).",
    )

    @property
    def k8s_namespace(self) -> str:
        return self.namespace or self.name

    @property
    def rule_priority(self) -> int:
        return self.listener_priority or listener_priority(self.name)


class ServiceConfig(ServiceTraits, ServiceSizing):
    """A service in one environment: its catalogue entry with that environment's sizing."""


# Derived priorities live above the explicit range most catalogues use (1-999).
_DERIVED_PRIORITIES = (1000, 50000)


def listener_priority(name: str) -> int:
    """A stable listener-rule priority for a service without an explicit one: a hash of its
    name (CRC-32, the same on every machine and Python), so it never depends on the order or
    number of the other services."""
    low, high = _DERIVED_PRIORITIES
    return low + zlib.crc32(name.encode()) % (high - low)


class GitopsConfig(Strict):
    """Flux in the gitops stack: the pinned release, the source it pulls the fleet from (Git over
    SSH or an OCI artifact in ECR) and the root Kustomization applying ``./clusters/<env>``."""

    source: Literal["git", "oci"] = Field(
        description="`git`: clone `url` over SSH with a deploy key. `oci`: pull the fleet "
        "artifact from the ECR repository `ociRepository` with Flux's IAM role (cloud "
        "environments only).",
    )
    url: str | None = Field(
        None,
        description="SSH URL of the fleet repository, e.g. "
        "`ssh://git@github.com/example/landfall-fleet.git`; required for `git`.",
    )
    branch: GitBranch = Field(
        "main",
        description="Branch of the fleet repository Flux follows with `git`; also the branch "
        "whose workflows the CI notifier trusts by default. A valid git branch name (no spaces, "
        "`..`, `~^:?*[\\`, leading `-` or trailing `.lock` or `/`).",
    )
    deploy_key_secret_id: str | None = Field(
        None,
        description="Name of the Secrets Manager secret holding the SSH deploy key as JSON "
        "(`identity`, `identity.pub`, `known_hosts`), read at deploy time; required for `git` in "
        "test and prod (local uses a Secret created by hand).",
    )
    oci_repository: EcrName | None = Field(
        None,
        description="ECR repository holding the fleet artifact; required for `oci`, and created "
        "by the network stack.",
    )
    oci_semver: str | None = Field(
        None,
        description="Semver range of fleet artifact tags to follow, e.g. `>=1.0.0` (test) or "
        "`~1.4` (prod). Source `oci` needs exactly one of `ociSemver` and `ociTag`: ECR tags are "
        "immutable here, so follow a range of versioned artifacts or pin one tag.",
    )
    oci_tag: str | None = Field(
        None,
        description="One fleet artifact tag to pin, instead of `ociSemver`; `latest` is refused "
        "(an immutable tag cannot move).",
    )
    status_repository: (
        Annotated[str, _matching(_GITHUB_REPOSITORY, "GitHub repository", "example/landfall-fleet")]
        | None
    ) = Field(
        None,
        description="The GitHub `<owner>/<repo>` whose commits Flux marks with each "
        "Kustomization's outcome (commit status, through the token in the Secret "
        "`flux-system/flux-github-token`). Default: the repository of `url` when it is on "
        "github.com, else `ci.repository` (the repository CI builds the `oci` artifact from).",
    )
    interval: Duration = Field(
        "5m",
        description="How often Flux checks the source and reconciles the root Kustomization, "
        "e.g. `5m`, `1h` or `30s`; more than zero.",
    )
    flux_version: str = Field(
        "2.7.3",
        description="Flux release to install; one of `FLUX_RELEASES` in `landfall/logic/flux.py`, "
        "which pins the flux2 chart and every controller image.",
    )

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
    """A documented exception to one security-baseline policy (docs/security.md): its findings in
    this environment are reported as exempted instead of failing."""

    policy: str = Field(
        min_length=1,
        description="Name of the baseline policy, e.g. `rds-multi-az`; an unknown name fails "
        "`landfall plan`.",
    )
    reason: str = Field(
        min_length=10,
        description="Why this environment breaks the policy, for reviewers (at least 10 "
        "characters).",
    )


class LocalConfig(Strict):
    """The local environment: a kind cluster on a laptop, no AWS; only the gitops layer exists."""

    kube_context: str = Field(
        min_length=1,
        description="kubeconfig context of the local cluster, e.g. `kind-landfall`.",
    )


class EnvironmentConfig(Strict):
    """One environment's complete configuration: the top-level ``landfall:`` keys of
    ``Pulumi.<env>.yaml``."""

    environment: Literal["local", "test", "prod"] = Field(
        description="The environment this file configures: `local` (a kind cluster, gitops layer "
        "only) or `test` / `prod` (AWS, three stacks). Must match the stack name "
        "`<env>-<layer>`, so a stack never runs with another environment's settings.",
    )
    region: AwsRegion | None = Field(
        None,
        description="AWS region of every resource, e.g. `eu-west-2`: one of the regions in "
        "botocore's `endpoints.json`. Each layer's AWS provider is pinned to it.",
    )
    account_id: Annotated[str, _matching(_ACCOUNT, "AWS account ID", "123456789012")] | None = (
        Field(
            None,
            description='The 12-digit AWS account, quoted (`"111111111111"`). The AWS provider '
            "and the preflight refuse credentials of any other account before a change.",
        )
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Extra tags on every AWS resource, added to the provider's default tags "
        "`Project`, `Environment`, `Layer` and `ManagedBy` (a key given here wins). AWS rules: "
        "keys 1 to 128 characters without the `aws:` prefix, values up to 256, only letters, "
        "digits, spaces and `_ . : / = + - @`, at most 50 tags with the defaults.",
    )
    network: NetworkConfig | None = Field(
        None, description="The VPC and its subnets, NAT gateways, endpoints and flow logs."
    )
    dns: DnsConfig | None = Field(
        None, description="The public hosted zone and certificate of the environment's domain."
    )
    ci: CiConfig | None = Field(
        None, description="GitHub Actions: the repository whose workflows preview and deploy."
    )
    load_balancer: LoadBalancerConfig = Field(
        LoadBalancerConfig(),
        description="The internet-facing ALB; every key has a default (ignored in local).",
    )
    alarms: AlarmsConfig = Field(
        AlarmsConfig(),
        description="Alarms and who they notify; every key has a default (ignored in local).",
    )
    backups: BackupsConfig = Field(
        BackupsConfig(),
        description="Backups of the stateful data; every key has a default (ignored in local).",
    )
    observability: ObservabilityConfig = Field(
        ObservabilityConfig(),
        description="Container logs and metrics; every key has a default (ignored in local).",
    )
    database: DatabaseConfig | None = Field(None, description="RDS for MariaDB.")
    search: SearchConfig | None = Field(None, description="The OpenSearch Service domain.")
    registry: RegistryConfig | None = Field(
        None, description="ECR repositories for images and Helm charts."
    )
    cluster: ClusterConfig | None = Field(
        None, description="The EKS cluster, its nodes and who may use it."
    )
    services: list[ServiceConfig] = Field(
        default_factory=list,
        description="The microservices the platform hosts, each listed once.",
    )
    gitops: GitopsConfig | None = Field(
        None,
        description="Flux: its version and the source of the fleet; needed in every environment.",
    )
    local: LocalConfig | None = Field(
        None, description="The local cluster; only in the local environment, and needed there."
    )
    policy_exemptions: list[PolicyExemption] = Field(
        default_factory=list,
        description="Security-baseline policies this environment deliberately breaks, each with "
        "the reason; each a policy of `landfall/baseline/policies.py`. Prod exempts nothing.",
    )

    @property
    def is_cloud(self) -> bool:
        return self.environment in CLOUD_ENVIRONMENTS

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        return f"landfall-{self.environment}"

    def image_repositories(self) -> list[str]:
        """The services' image repositories and the registry's extra ones."""
        extra = self.registry.image_repositories if self.registry else []
        return sorted({*extra, *(s.name for s in self.services)})

    def chart_repositories(self) -> list[str]:
        """The services' chart repositories (``charts/<name>``) and the registry's extra ones."""
        extra = self.registry.chart_repositories if self.registry else []
        return sorted({*extra, *(f"{CHART_FOLDER}/{s.name}" for s in self.services)})

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

    def controller_tags(self) -> dict[str, str]:
        """Tags for the AWS resources the cluster's controllers create (load balancers, EBS
        volumes): not Pulumi's, so no provider default tags reach them; the same cost tags."""
        return {
            "Project": "landfall",
            "Environment": self.environment,
            "ManagedBy": "kubernetes",
            **self.tags,
        }

    def all_tags(self, layer: str) -> dict[str, str]:
        """Tags every AWS resource carries (through the provider's default tags)."""
        return {
            "Project": "landfall",
            "Environment": self.environment,
            "Layer": layer,
            "ManagedBy": "pulumi",
            **self.tags,
        }


def nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside an annotation (through Optional, list and Annotated), and whether it
    is the item type of a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = get_origin(annotation)
    for arg in get_args(annotation):
        found, in_list = nested_model(arg)
        if found is not None:
            return found, in_list or origin is list
    return None, False
