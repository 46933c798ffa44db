"""``landfall verify ENV``: check a deployed environment against its config, reading live AWS.

Each area has a fetch step (boto3, read-only) and a pure evaluation of what was fetched, so the
rules are testable on plain dicts: the EKS cluster (ACTIVE, version, secrets encryption, all
control-plane logs, private API endpoint), its node groups (exactly one ACTIVE Bottlerocket node
group per AZ with the configured capacity type), the add-ons, the RDS instance and the OpenSearch
domain. Resources are found as described by ``landfall.ops.checks.Lookup``. See
docs/doctor-verify.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from landfall.config import EnvironmentConfig
from landfall.logic.versions import ADDON_NAMES, ADDON_VERSIONS
from landfall.ops.checks import (
    AWS_ERRORS,
    AwsClients,
    Finding,
    Lookup,
    check_identity,
    error_code,
    failed,
    guard,
    passed,
    skipped,
    tag_dict,
    warned,
)

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# EKS add-on name -> field of landfall.logic.versions.AddonVersions.
ADDONS: dict[str, str] = {name: field for field, name in ADDON_NAMES.items()}
DEPLOY = "run pulumi up for the {layer} stack ({env}-{layer}) and check its errors"


def _deploy(cfg: EnvironmentConfig, layer: str) -> str:
    return DEPLOY.format(layer=layer, env=cfg.environment)


def _network_stack_findings(
    check: str,
    kind: str,
    candidates: Iterable[tuple[str, Mapping[str, str], Any]],
    evaluate: Callable[[Mapping[str, Any], EnvironmentConfig], list[Finding]],
    cfg: EnvironmentConfig,
    lookup: Lookup,
) -> list[Finding]:
    """``evaluate``'s findings for each (name, tags, resource) the lookup selects, or one failure
    pointing at the network stack (which creates the database and the search domain)."""
    found = lookup.select(candidates)
    if not found:
        return [
            failed(
                check,
                f"no {kind} {lookup.describe()} in {cfg.region}",
                f"{_deploy(cfg, 'network')}, or pass --name-prefix / --tag to find it",
            )
        ]
    return [f for resource in found for f in evaluate(resource, cfg)]


# --- EKS cluster ---------------------------------------------------------------------------------


def cluster_findings(cluster: Mapping[str, Any], cfg: EnvironmentConfig) -> list[Finding]:
    """Status, version, secrets encryption, logging and endpoint access of a described cluster."""
    settings = cfg.require("cluster", cfg.cluster)
    name = cluster.get("name", "?")
    findings: list[Finding] = []

    status = cluster.get("status")
    if status == "ACTIVE":
        findings.append(passed("eks cluster", f"{name} ACTIVE ({cluster.get('platformVersion')})"))
    else:
        findings.append(
            failed("eks cluster", f"{name} is {status}", f"wait, then {_deploy(cfg, 'cluster')}")
        )

    version, want = cluster.get("version"), settings.kubernetes_version
    if version == want:
        findings.append(passed("eks version", f"{version}, as configured"))
    else:
        findings.append(
            failed(
                "eks version",
                f"runs {version}, config says {want}",
                f"{_deploy(cfg, 'cluster')} (upgrades go one minor version at a time)",
            )
        )

    keys = [
        c.get("provider", {}).get("keyArn", "")
        for c in cluster.get("encryptionConfig") or []
        if "secrets" in c.get("resources", [])
    ]
    if keys and keys[0]:
        findings.append(passed("eks secrets encryption", f"KMS key {keys[0]}"))
    else:
        findings.append(
            failed(
                "eks secrets encryption",
                "Kubernetes secrets are not envelope-encrypted with a KMS key (R14)",
                "enable it on the cluster (encryptionConfig resources=[secrets]); it cannot be "
                "turned off again, only on: aws eks associate-encryption-config or the cluster "
                "stack",
            )
        )

    enabled = {
        t
        for entry in cluster.get("logging", {}).get("clusterLogging", [])
        if entry.get("enabled")
        for t in entry.get("types", [])
    }
    missing = [t for t in LOG_TYPES if t not in enabled]
    if missing:
        findings.append(
            failed(
                "eks control-plane logs",
                f"not enabled: {', '.join(missing)} (R14 wants all five)",
                f"enable every log type in the cluster stack; {_deploy(cfg, 'cluster')}",
            )
        )
    else:
        findings.append(passed("eks control-plane logs", ", ".join(LOG_TYPES)))

    findings.append(_endpoint_finding(cluster.get("resourcesVpcConfig", {}), cfg))
    return findings


def _endpoint_finding(vpc_config: Mapping[str, Any], cfg: EnvironmentConfig) -> Finding:
    """R14: private endpoint on; public access off in prod, else limited to the listed CIDRs."""
    settings = cfg.require("cluster", cfg.cluster)
    check = "eks api endpoint"
    private = vpc_config.get("endpointPrivateAccess", False)
    public = vpc_config.get("endpointPublicAccess", True)
    cidrs = sorted(vpc_config.get("publicAccessCidrs") or (["0.0.0.0/0"] if public else []))
    allowed = set(settings.endpoint_public_access_cidrs)
    if settings.allow_public_endpoint_from_anywhere:
        allowed.add("0.0.0.0/0")
    problems = []
    if not private:
        problems.append("private access is off")
    if public and (cfg.is_production or not allowed):
        problems.append(f"public access is on ({', '.join(cidrs)})")
    elif public and not set(cidrs) <= allowed:
        problems.append(f"public access allows {', '.join(sorted(set(cidrs) - allowed))}")
    if problems:
        return failed(
            check,
            "; ".join(problems) + " (R14)",
            "make the endpoint private (public only from cluster.endpointPublicAccessCidrs) "
            f"and {_deploy(cfg, 'cluster')}",
        )
    detail = "private" + (f", public from {', '.join(cidrs)}" if public else " only")
    return passed(check, detail)


# --- node groups ------------------------------------------------------------------------------


def node_group_findings(
    node_groups: Sequence[Mapping[str, Any]], subnet_azs: Mapping[str, str], cfg: EnvironmentConfig
) -> list[Finding]:
    """R6/R9/R10: one ACTIVE Bottlerocket node group per configured AZ, of the capacity type."""
    settings = cfg.require("cluster", cfg.cluster)
    expected_azs = cfg.availability_zones()
    capacity = settings.nodes.capacity_type
    findings: list[Finding] = []
    by_az: dict[str, list[str]] = {az: [] for az in expected_azs}
    for ng in node_groups:
        name = ng.get("nodegroupName", "?")
        azs = sorted({subnet_azs.get(s, f"unknown subnet {s}") for s in ng.get("subnets", [])})
        problems: list[str] = []
        fixes: list[str] = []
        if ng.get("status") != "ACTIVE":
            issues = ng.get("health", {}).get("issues") or []
            why = "; ".join(i.get("message", i.get("code", "")) for i in issues)
            problems.append(f"status {ng.get('status')}" + (f" ({why})" if why else ""))
            fixes.append("fix the health issues shown by aws eks describe-nodegroup")
        if ng.get("capacityType") != capacity:
            problems.append(f"capacity {ng.get('capacityType')}, config says {capacity}")
            fixes.append("set cluster.nodes.capacityType and redeploy (replaces the group)")
        ami = str(ng.get("amiType", ""))
        if not ami.startswith("BOTTLEROCKET_"):
            problems.append(f"AMI type {ami} is not Bottlerocket (R10)")
            fixes.append("use a BOTTLEROCKET_* amiType in the cluster stack")
        if len(azs) != 1:
            problems.append(f"spans {len(azs)} AZs ({', '.join(azs) or 'no subnets'})")
            fixes.append("give each node group the subnet of exactly one AZ (R6)")
        elif azs[0] not in by_az:
            problems.append(f"is in {azs[0]}, not one of {', '.join(expected_azs)}")
            fixes.append("remove it, or add its AZ to network.availabilityZoneNames")
        else:
            by_az[azs[0]].append(name)
        check = f"node group {name}"
        if problems:
            findings.append(failed(check, "; ".join(problems), "; ".join(fixes)))
        else:
            findings.append(passed(check, f"ACTIVE, {capacity}, {ami}, {azs[0]}"))
    for az, names in by_az.items():
        check = f"node groups in {az}"
        if len(names) == 1:
            findings.append(passed(check, names[0]))
        elif not names:
            findings.append(
                failed(
                    check,
                    f"no node group runs in {az}; its EBS volumes have nowhere to go (R6)",
                    _deploy(cfg, "cluster"),
                )
            )
        else:
            findings.append(
                failed(
                    check,
                    f"{len(names)} node groups ({', '.join(names)}); R6 wants exactly one per AZ",
                    "remove the extra node group(s) from the cluster stack",
                )
            )
    return findings


def fetch_node_groups(eks: Any, ec2: Any, cluster_name: str) -> tuple[list[Any], dict[str, str]]:
    """The described node groups of a cluster and the AZ of each of their subnets."""
    names = [
        n
        for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster_name)
        for n in page["nodegroups"]
    ]
    groups = [
        eks.describe_nodegroup(clusterName=cluster_name, nodegroupName=n)["nodegroup"]
        for n in names
    ]
    subnet_ids = sorted({s for g in groups for s in g.get("subnets", [])})
    subnet_azs: dict[str, str] = {}
    if subnet_ids:
        subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        subnet_azs = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    return groups, subnet_azs


def check_node_groups(
    eks: Any, ec2: Any, cfg: EnvironmentConfig, cluster_name: str
) -> list[Finding]:
    groups, subnet_azs = fetch_node_groups(eks, ec2, cluster_name)
    return node_group_findings(groups, subnet_azs, cfg)


# --- add-ons ----------------------------------------------------------------------------------


def addon_finding(name: str, addon: Mapping[str, Any] | None, cfg: EnvironmentConfig) -> Finding:
    """One EKS add-on: installed, ACTIVE, at the pinned version; vpc-cni enforces policies (R11)."""
    check = f"addon {name}"
    version = cfg.require("cluster", cfg.cluster).kubernetes_version
    pinned = ADDON_VERSIONS.get(version)
    want = getattr(pinned, ADDONS[name]) if pinned else None
    if addon is None:
        return failed(check, "not installed (R11)", _deploy(cfg, "cluster"))
    status = addon.get("status")
    if status != "ACTIVE":
        issues = addon.get("health", {}).get("issues") or []
        why = "; ".join(f"{i.get('code')}: {i.get('message')}" for i in issues)
        return failed(
            check,
            f"status {status}" + (f" ({why})" if why else ""),
            f"resolve the issues (aws eks describe-addon), then {_deploy(cfg, 'cluster')}",
        )
    if name == "vpc-cni":
        try:
            values = json.loads(addon.get("configurationValues") or "{}")
        except json.JSONDecodeError:
            values = {}
        if str(values.get("enableNetworkPolicy", "")).lower() != "true":
            return failed(
                check,
                "network policy enforcement is off (R11)",
                'set configurationValues {"enableNetworkPolicy": "true"} in the cluster stack',
            )
    have = addon.get("addonVersion")
    if want and have != want:
        return warned(
            check,
            f"ACTIVE at {have}; landfall.logic.versions pins {want} for Kubernetes {version}",
            _deploy(cfg, "cluster"),
        )
    return passed(check, f"ACTIVE at {have}")


def check_addons(eks: Any, cfg: EnvironmentConfig, cluster_name: str) -> list[Finding]:
    findings = []
    for name in ADDONS:
        try:
            addon = eks.describe_addon(clusterName=cluster_name, addonName=name)["addon"]
        except AWS_ERRORS as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            addon = None
        findings.append(addon_finding(name, addon, cfg))
    return findings


# --- RDS -------------------------------------------------------------------------------------


def database_findings(db: Mapping[str, Any], cfg: EnvironmentConfig) -> list[Finding]:
    """Available, encrypted, private, multi-AZ as configured (always in prod), protected in prod."""
    ident = db.get("DBInstanceIdentifier", "?")
    want_multi_az = cfg.require("database", cfg.database).multi_az or cfg.is_production
    findings: list[Finding] = []
    status = db.get("DBInstanceStatus")
    if status == "available":
        findings.append(passed("database status", f"{ident} available ({db.get('Engine')})"))
    else:
        findings.append(
            failed(
                "database status",
                f"{ident} is {status}",
                "wait for it, or check the RDS events (aws rds describe-events)",
            )
        )
    if db.get("StorageEncrypted"):
        findings.append(passed("database encryption", f"{ident} encrypted ({db.get('KmsKeyId')})"))
    else:
        findings.append(
            failed(
                "database encryption",
                f"{ident} storage is not encrypted",
                "RDS cannot encrypt in place: snapshot, copy the snapshot with a KMS key, "
                "restore, and let the network stack own the new instance",
            )
        )
    if db.get("PubliclyAccessible"):
        findings.append(
            failed(
                "database public access",
                f"{ident} is publicly accessible",
                f"set publicly_accessible=False in the network stack; {_deploy(cfg, 'network')}",
            )
        )
    else:
        findings.append(passed("database public access", f"{ident} is private"))
    multi_az = bool(db.get("MultiAZ"))
    if multi_az == want_multi_az:
        findings.append(passed("database multi-az", f"{ident} MultiAZ={multi_az}, as configured"))
    elif want_multi_az:
        findings.append(
            failed(
                "database multi-az",
                f"{ident} is single-AZ; {cfg.environment} needs a standby in another AZ",
                f"set database.multiAz: true; {_deploy(cfg, 'network')}",
            )
        )
    else:
        findings.append(
            warned(
                "database multi-az",
                f"{ident} is multi-AZ but database.multiAz is false (double the cost)",
                f"{_deploy(cfg, 'network')} to converge",
            )
        )
    if cfg.is_production and not db.get("DeletionProtection"):
        findings.append(
            failed(
                "database deletion protection",
                f"{ident} can be deleted (prod stateful resources are protected)",
                f"enable deletion protection; {_deploy(cfg, 'network')}",
            )
        )
    return findings


def check_database(rds: Any, cfg: EnvironmentConfig, lookup: Lookup) -> list[Finding]:
    instances = [
        i
        for page in rds.get_paginator("describe_db_instances").paginate()
        for i in page["DBInstances"]
    ]
    return _network_stack_findings(
        "database",
        "RDS instance",
        ((i["DBInstanceIdentifier"], tag_dict(i.get("TagList")), i) for i in instances),
        database_findings,
        cfg,
        lookup,
    )


# --- OpenSearch -----------------------------------------------------------------------------


def search_findings(domain: Mapping[str, Any], cfg: EnvironmentConfig) -> list[Finding]:
    """In the VPC (no public endpoint), encrypted at rest and between nodes."""
    name = domain.get("DomainName", "?")
    findings: list[Finding] = []
    if domain.get("Deleted"):
        findings.append(
            failed("search domain", f"{name} is being deleted", _deploy(cfg, "network"))
        )
    elif domain.get("Processing"):
        findings.append(warned("search domain", f"{name} is applying a change", "rerun later"))
    else:
        findings.append(passed("search domain", f"{name} ({domain.get('EngineVersion')})"))
    vpc = domain.get("VPCOptions") or {}
    if vpc.get("SubnetIds") and not domain.get("Endpoint"):
        where = vpc.get("VPCId") or f"subnets {', '.join(vpc['SubnetIds'])}"
        findings.append(passed("search vpc", f"{name} in {where}"))
    else:
        findings.append(
            failed(
                "search vpc",
                f"{name} has a public endpoint ({domain.get('Endpoint')}), not VPC access",
                "a domain cannot move into a VPC in place: create it with vpcOptions (network "
                "stack), snapshot and restore the data",
            )
        )
    for check, key, fix in (
        (
            "search encryption at rest",
            "EncryptionAtRestOptions",
            "enable encryptAtRest with the data KMS key (replaces the domain on old versions)",
        ),
        (
            "search node-to-node encryption",
            "NodeToNodeEncryptionOptions",
            "enable nodeToNodeEncryption in the network stack",
        ),
    ):
        if (domain.get(key) or {}).get("Enabled"):
            findings.append(passed(check, f"{name} enabled"))
        else:
            findings.append(failed(check, f"{name} is not encrypted", fix))
    return findings


def check_search(opensearch: Any, cfg: EnvironmentConfig, lookup: Lookup) -> list[Finding]:
    names = [d["DomainName"] for d in opensearch.list_domain_names()["DomainNames"]]
    domains: list[dict[str, Any]] = []
    for i in range(0, len(names), 5):  # DescribeDomains takes at most five names
        domains += opensearch.describe_domains(DomainNames=names[i : i + 5])["DomainStatusList"]
    return _network_stack_findings(
        "search domain",
        "OpenSearch domain",
        (
            (d["DomainName"], tag_dict(opensearch.list_tags(ARN=d["ARN"]).get("TagList")), d)
            for d in domains
        ),
        search_findings,
        cfg,
        lookup,
    )


# --- the run ---------------------------------------------------------------------------------


def check_cluster(eks: Any, ec2: Any, cfg: EnvironmentConfig, lookup: Lookup) -> list[Finding]:
    """The cluster, then (if it exists) its node groups and add-ons."""
    name = lookup.cluster_name
    try:
        cluster = eks.describe_cluster(name=name)["cluster"]
    except AWS_ERRORS as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return [
            failed(
                "eks cluster",
                f"no EKS cluster named {name} in {cfg.region}",
                f"{_deploy(cfg, 'cluster')}, or pass --cluster-name",
            ),
            skipped("node groups, add-ons", "no cluster to inspect"),
        ]
    findings = cluster_findings(cluster, cfg)
    findings += guard("node groups", check_node_groups, eks, ec2, cfg, name)
    findings += guard("addons", check_addons, eks, cfg, name)
    return findings


def run_verify(
    cfg: EnvironmentConfig, clients: AwsClients, lookup: Lookup | None = None
) -> list[Finding]:
    """Every post-deploy check, in order; stops after the identity checks if they fail."""
    lookup = lookup or Lookup.for_environment(cfg)
    findings = check_identity(clients, cfg)
    if not all(f.ok for f in findings):
        return findings
    findings += guard("eks cluster", check_cluster, clients("eks"), clients("ec2"), cfg, lookup)
    findings += guard("database", check_database, clients("rds"), cfg, lookup)
    findings += guard("search domain", check_search, clients("opensearch"), cfg, lookup)
    return findings
