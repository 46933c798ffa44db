"""Cross-field rules of the environment configuration, each yielding a ``Problem``.

Single-field rules (types, ranges, formats) live on the model's fields; these need several
fields or the environment to decide, and run only after the model parsed.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from landfall.config.errors import Problem
from landfall.config.model import (
    CLOUD_ENVIRONMENTS,
    NAMESPACE,
    RFC1918_RANGES,
    ClusterConfig,
    EnvironmentConfig,
    inside,
)
from landfall.logic import aws_facts
from landfall.logic.cidr import CidrPlanError
from landfall.logic.rds import NO_PERFORMANCE_INSIGHTS, PERFORMANCE_INSIGHTS_RETENTION
from landfall.logic.versions import FLUX_RELEASES, SUPPORTED_KUBERNETES_VERSIONS

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
    "ci": "add ci.repository: the GitHub <owner>/<repo> whose workflows deploy this environment",
}


def missing_sections(ours: Mapping[str, Any]) -> list[Problem]:
    """Checked on the raw keys, so a missing section is reported with the other errors."""
    if ours.get("environment") not in CLOUD_ENVIRONMENTS:
        return []
    return [
        Problem(f"{NAMESPACE}:{key}", "is missing (required for cloud environments)", fix)
        for key, fix in CLOUD_SECTIONS.items()
        if key not in ours
    ]


def semantic_problems(cfg: EnvironmentConfig) -> list[Problem]:
    k = f"{NAMESPACE}:"
    problems: list[Problem] = []
    if not cfg.is_cloud:
        if cfg.local is None:
            problems.append(
                Problem(f"{k}local", "is missing", "add local.kubeContext (e.g. kind-landfall)")
            )
        for section in ("network", "dns", "database", "search", "registry", "cluster", "ci"):
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

    if cfg.dns is not None and cfg.dns.parent_zone_role_arn and not cfg.dns.parent_zone_id:
        problems.append(
            Problem(
                f"{k}dns.parentZoneRoleArn",
                "is set without dns.parentZoneId, so there is no zone to write the delegation to",
                "add dns.parentZoneId (the parent domain's hosted zone) or remove the role",
            )
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

    insights = cfg.database
    if insights is not None:
        days = insights.performance_insights_retention_days
        if days not in PERFORMANCE_INSIGHTS_RETENTION:
            problems.append(
                Problem(
                    f"{k}database.performanceInsightsRetentionDays",
                    f"is {days}; RDS accepts 7, a multiple of 31 from 31 to 713, or 731",
                    "use 7 (free) or e.g. 93 (3 months)",
                )
            )
        if insights.instance_class in NO_PERFORMANCE_INSIGHTS:
            problems.append(
                Problem(
                    f"{k}database.instanceClass",
                    f"{insights.instance_class} has no Performance Insights in RDS for MariaDB",
                    "use db.t4g.medium or larger",
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
        if cfg.is_cloud and not any(m.access == "cluster-admin" for m in cluster.sso_mappings):
            problems.append(
                Problem(
                    f"{k}cluster.ssoMappings",
                    "maps no permission set to cluster-admin: nobody could administer the "
                    "cluster outside CI, nor the search domain (its master role trusts those "
                    "roles only)",
                    "map the platform team's permission set with access: cluster-admin",
                )
            )
        acknowledged = cluster.support_end_acknowledged
        if acknowledged is not None and acknowledged != cluster.kubernetes_version:
            problems.append(
                Problem(
                    f"{k}cluster.supportEndAcknowledged",
                    f"acknowledges {acknowledged!r} but the cluster runs "
                    f"{cluster.kubernetes_version!r}: an acknowledgement covers one version only",
                    "remove it (or set it to kubernetesVersion to acknowledge that version)",
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
        problems += _instance_type_problems(cfg)
        if cfg.is_production and (nodes.min_size == 0 or nodes.desired_size == 0):
            problems.append(
                Problem(
                    f"{k}cluster.nodes.desiredSize"
                    if nodes.desired_size == 0
                    else f"{k}cluster.nodes.minSize",
                    f"minSize {nodes.min_size} / desiredSize {nodes.desired_size} lets a prod "
                    "node group (one per AZ) run no nodes, so an AZ has no capacity",
                    "set minSize and desiredSize to at least 1 (prod uses 2), e.g. minSize: 2, "
                    "desiredSize: 2",
                )
            )
        problems += _public_endpoint_problems(cluster)
        if cfg.is_production and cluster.endpoint_public_access_cidrs:
            problems.append(
                Problem(
                    f"{k}cluster.endpointPublicAccessCidrs",
                    "is set in prod; the prod API endpoint is private only (R14)",
                    "remove it and reach the API through the VPC (VPN, SSM)",
                )
            )
        svc = ipaddress.IPv4Network(cluster.service_cidr)
        if not (inside(svc, RFC1918_RANGES) and 12 <= svc.prefixlen <= 24):
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
    by_priority: dict[int, list[str]] = {}
    for service in cfg.services:
        if service.public:
            by_priority.setdefault(service.rule_priority, []).append(service.name)
    for priority, holders in sorted(by_priority.items()):
        if len(holders) > 1:
            problems.append(
                Problem(
                    f"{k}services",
                    f"{' and '.join(repr(h) for h in holders)} have the same ALB listener-rule "
                    f"priority {priority}",
                    "give one of them its own `listenerPriority` in services.yaml (a number no "
                    "other service uses)",
                )
            )

    if cfg.backups.copy_region is not None and cfg.backups.copy_region == cfg.region:
        problems.append(
            Problem(
                f"{k}backups.copyRegion",
                f"is the environment's own region {cfg.region}; a copy there survives nothing "
                "the original does not",
                "name another region, e.g. eu-west-1, or remove copyRegion",
            )
        )
    problems += _tag_problems(cfg)
    problems += _gitops_problems(cfg)
    problems += _exemption_problems(cfg)

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


# --- EC2 instance types of the node groups ------------------------------------------------------


def _instance_type_problems(cfg: EnvironmentConfig) -> list[Problem]:
    """One architecture per node group (one AMI), and similar sizes for SPOT (the model has
    already checked that each type exists and is not accelerated)."""
    k = f"{NAMESPACE}:"
    assert cfg.cluster is not None
    nodes = cfg.cluster.nodes
    types = list(dict.fromkeys(nodes.instance_types))
    problems: list[Problem] = []
    arm = [t for t in types if aws_facts.is_graviton(t)]
    x86 = [t for t in types if not aws_facts.is_graviton(t)]
    if arm and x86:
        problems.append(
            Problem(
                f"{k}cluster.nodes.instanceTypes",
                f"mixes arm64 Graviton ({', '.join(arm[:4])}) and x86_64 "
                f"({', '.join(x86[:4])}) types; an EKS node group has one AMI, so one "
                "architecture",
                f"list only x86_64 types (e.g. {', '.join(x86[:3])}) or only arm64 types "
                f"(e.g. {', '.join(arm[:3])})",
            )
        )
    if nodes.capacity_type == "SPOT":
        ranks = {t: aws_facts.size_rank(t) for t in types}
        unsized = [t for t, r in ranks.items() if r is None]
        sized = {t: r for t, r in ranks.items() if r is not None}
        if unsized:
            problems.append(
                Problem(
                    f"{k}cluster.nodes.instanceTypes",
                    f"has {', '.join(unsized)}, whose size depends on the family, in a SPOT "
                    "group whose types must be interchangeable",
                    "use sized types such as m6i.large, m6a.large, m5.large",
                )
            )
        if sized and max(sized.values()) - min(sized.values()) > 1:
            smallest = min(sized, key=lambda t: sized[t])
            problems.append(
                Problem(
                    f"{k}cluster.nodes.instanceTypes",
                    "mixes SPOT sizes more than one step apart ("
                    + ", ".join(sorted(sized, key=lambda t: (sized[t], t))[:6])
                    + "); Cluster Autoscaler expects alike nodes in a group",
                    f"use one size, e.g. {', '.join(_same_size(types, smallest))} (or sizes "
                    "one step apart: large with xlarge)",
                )
            )
    return problems


def _same_size(types: list[str], anchor: str) -> list[str]:
    wanted = aws_facts.size(anchor)
    return [f"{aws_facts.family(t)}.{wanted}" for t in types][:4]


# --- the public API endpoint ---------------------------------------------------------------------

# Addresses that never reach the endpoint from the internet: "this network", RFC 1918, shared
# (RFC 6598), loopback, link-local, IETF protocol assignments, benchmarking, multicast, reserved.
# The RFC 5737 documentation ranges (e.g. 203.0.113.0/24) stay allowed as placeholders.
NON_PUBLIC_RANGES: tuple[str, ...] = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
# An allow-list this broad is "the internet": any CIDR shorter than /8, or 2^31 addresses in all.
BROADEST_PREFIX = 8
MOST_OF_THE_INTERNET = 2**31


def _public_endpoint_problems(cluster: ClusterConfig) -> list[Problem]:
    k = f"{NAMESPACE}:"
    nets = [ipaddress.IPv4Network(c) for c in cluster.endpoint_public_access_cidrs]
    problems: list[Problem] = []
    reserved = [ipaddress.IPv4Network(r) for r in NON_PUBLIC_RANGES]
    for net in nets:
        if net.prefixlen < BROADEST_PREFIX:
            continue  # reported below as too broad (or allowed by the explicit opt-in)
        clash = next((r for r in reserved if net.overlaps(r)), None)
        if clash is not None:
            problems.append(
                Problem(
                    f"{k}cluster.endpointPublicAccessCidrs",
                    f"{net} overlaps {clash}, which is private or reserved address space that "
                    "never reaches the public endpoint",
                    "list the public egress CIDRs of your office or VPN, e.g. 198.51.100.0/24 "
                    "(private access goes through the VPC)",
                )
            )
    for i, net in enumerate(nets):
        for other in nets[:i]:
            if net.overlaps(other):
                what = "twice" if net == other else f"overlapping {other}"
                problems.append(
                    Problem(
                        f"{k}cluster.endpointPublicAccessCidrs",
                        f"lists {net} {what}",
                        "keep each range once and drop ranges inside another",
                    )
                )
    covered = sum(n.num_addresses for n in ipaddress.collapse_addresses(nets))
    broad = [str(n) for n in nets if n.prefixlen < BROADEST_PREFIX]
    if (broad or covered >= MOST_OF_THE_INTERNET) and not (
        cluster.allow_public_endpoint_from_anywhere
    ):
        share = covered / 2**32
        problems.append(
            Problem(
                f"{k}cluster.endpointPublicAccessCidrs",
                f"opens the API endpoint to {share:.0%} of the internet"
                + (f" (shorter than /{BROADEST_PREFIX}: {', '.join(broad[:4])})" if broad else ""),
                "list your office/VPN egress CIDRs (e.g. 198.51.100.0/24), or set "
                "allowPublicEndpointFromAnywhere: true",
            )
        )
    return problems


# --- tags ---------------------------------------------------------------------------------------

# AWS tagging rules (the Tag Editor and resource APIs): Unicode letters, digits, spaces and
# _ . : / = + - @; keys 1 to 128 characters, values up to 256; no aws: prefix; 50 tags a resource.
_TAG_TEXT = re.compile(r"^[\w .:/=+\-@]*$")
MAX_TAGS = 50


def _tag_problems(cfg: EnvironmentConfig) -> list[Problem]:
    k = f"{NAMESPACE}:"
    allowed = "letters, digits, spaces and _ . : / = + - @"
    problems: list[Problem] = []
    for key, value in cfg.tags.items():
        shown = key if len(key) <= 40 else key[:37] + "..."
        if not 1 <= len(key) <= 128:
            problems.append(
                Problem(f"{k}tags", f"key {shown!r} is {len(key)} characters", "use 1 to 128")
            )
        if key.lower().startswith("aws:"):
            problems.append(
                Problem(
                    f"{k}tags",
                    f"key {shown!r} starts with 'aws:', which AWS reserves for itself",
                    "drop the prefix, e.g. CostCentre",
                )
            )
        if not _TAG_TEXT.fullmatch(key):
            problems.append(
                Problem(f"{k}tags", f"key {shown!r} has characters AWS refuses", f"use {allowed}")
            )
        if len(value) > 256:
            problems.append(
                Problem(
                    f"{k}tags",
                    f"the value of {shown!r} is {len(value)} characters",
                    "shorten it to at most 256",
                )
            )
        if not _TAG_TEXT.fullmatch(value):
            problems.append(
                Problem(
                    f"{k}tags",
                    f"the value of {shown!r} has characters AWS refuses",
                    f"use {allowed}",
                )
            )
    total = len(cfg.all_tags("network"))
    if total > MAX_TAGS:
        problems.append(
            Problem(
                f"{k}tags",
                f"gives {total} tags with the 4 defaults (Project, Environment, Layer, "
                f"ManagedBy); AWS allows {MAX_TAGS} on a resource",
                f"remove at least {total - MAX_TAGS} of them",
            )
        )
    return problems


# --- gitops -------------------------------------------------------------------------------------


def _gitops_problems(cfg: EnvironmentConfig) -> list[Problem]:
    k = f"{NAMESPACE}:"
    gitops = cfg.gitops
    problems: list[Problem] = []
    if gitops is None:
        return problems
    pinned = tuple(FLUX_RELEASES)
    if pinned and gitops.flux_version not in pinned:
        problems.append(
            Problem(
                f"{k}gitops.fluxVersion",
                f"{gitops.flux_version!r} is not a Flux version this code pins",
                f"use one of {', '.join(pinned)} (or add a release to FLUX_RELEASES in "
                "landfall/logic/flux.py)",
            )
        )
    return problems


# --- policy exemptions --------------------------------------------------------------------------


def _exemption_problems(cfg: EnvironmentConfig) -> list[Problem]:
    from landfall.baseline.policies import POLICIES  # standard library only; loaded when used

    k = f"{NAMESPACE}:"
    known = [p.name for p in POLICIES]
    exemptable_in_prod = {p.name for p in POLICIES if p.exemptable_in_prod}
    problems: list[Problem] = []
    for exemption in cfg.policy_exemptions:
        if exemption.policy not in known:
            close = difflib.get_close_matches(exemption.policy, known, n=2)
            problems.append(
                Problem(
                    f"{k}policyExemptions",
                    f"names {exemption.policy!r}, which is not a baseline policy",
                    (f"did you mean {close[0]}? U" if close else "u")
                    + "se a policy named in landfall/baseline/policies.py, e.g. rds-multi-az",
                )
            )
        elif cfg.is_production and exemption.policy not in exemptable_in_prod:
            problems.append(
                Problem(
                    f"{k}policyExemptions",
                    f"exempts {exemption.policy!r}, which prod may not exempt (policies "
                    "exemptable in prod: "
                    + (", ".join(sorted(exemptable_in_prod)) or "none")
                    + ")",
                    "remove the exemption and fix the resource instead",
                )
            )
    return problems
