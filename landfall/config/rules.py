"""Cross-field rules of the environment configuration, each yielding a ``Problem``.

Single-field rules (types, ranges, formats) live on the model's fields; these need several
fields or the environment to decide, and run only after the model parsed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from landfall.config.errors import Problem
from landfall.config.model import CLOUD_ENVIRONMENTS, NAMESPACE, EnvironmentConfig
from landfall.logic.cidr import CidrPlanError
from landfall.logic.versions import SUPPORTED_KUBERNETES_VERSIONS

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
