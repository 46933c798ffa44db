"""``landfall doctor ENV``: preflight checks against the live AWS account, before a deploy.

Read-only boto3 calls. Each check takes the clients it needs and returns Findings; the AWS
errors a check can hit (a denied call, expired credentials) become one FAIL finding of that
check. Order: credentials and account first (nothing else runs against the wrong account),
then region, availability zones, instance types, hosted zone, SSO roles, Kubernetes version,
and what `landfall bootstrap` makes (state bucket, secrets provider and its encryptedkey,
service-linked roles, GitHub trust). See docs/doctor-verify.md.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from landfall.config import EnvironmentConfig
from landfall.logic.prerequisites import (
    GITHUB_OIDC_HOST,
    SERVICE_LINKED_ROLES,
    ci_role_name,
    github_oidc_provider_arn,
    secrets_provider_alias,
    secrets_provider_url,
    state_bucket_name,
)
from landfall.logic.sso import SSO_PATH_PREFIX, SsoRoleError, match_sso_role
from landfall.logic.versions import ADDON_NAMES, ADDON_VERSIONS, SUPPORTED_KUBERNETES_VERSIONS
from landfall.ops.checks import (
    AWS_ERRORS,
    AwsClients,
    Finding,
    Lookup,
    check_identity,
    cluster_endpoint,
    endpoint_problem,
    error_code,
    failed,
    guard,
    passed,
    reachable,
    skipped,
    tag_dict,
    warned,
)
from landfall.ops.delegation import (
    DelegatedNameServers,
    delegated,
    ns_record_text,
    parent_delegation,
    zone_name_servers_from,
)

MIN_AZS = 3


def check_region(ec2: Any, cfg: EnvironmentConfig, ambient_region: str | None) -> list[Finding]:
    """The configured region exists and is enabled; the caller's default region agrees."""
    regions = {r["RegionName"]: r for r in ec2.describe_regions(AllRegions=True)["Regions"]}
    region = regions.get(cfg.region or "")
    if region is None:
        return [
            failed(
                "region",
                f"{cfg.region} is not a region of this partition",
                "correct landfall:region (e.g. eu-west-2)",
            )
        ]
    if region.get("OptInStatus") == "not-opted-in":
        return [
            failed(
                "region",
                f"{cfg.region} is an opt-in region that this account has not enabled",
                "enable it under Account > AWS Regions, or choose another landfall:region",
            )
        ]
    if ambient_region and ambient_region != cfg.region:
        return [
            warned(
                "region",
                f"landfall uses {cfg.region} explicitly, but your profile's default region is "
                f"{ambient_region}, which aws CLI commands (update-kubeconfig, ...) will use",
                f"export AWS_REGION={cfg.region}",
            )
        ]
    return [passed("region", f"{cfg.region} is enabled")]


def check_availability_zones(ec2: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """At least three AZs are available, and the configured AZ names are among them."""
    zones = ec2.describe_availability_zones(
        Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}]
    )["AvailabilityZones"]
    available = sorted(z["ZoneName"] for z in zones if z.get("State") == "available")
    wanted = cfg.availability_zones()
    listed = ", ".join(available) or "none"
    if len(available) < MIN_AZS:
        return [
            failed(
                "availability zones",
                f"{cfg.region} has {len(available)} available AZs ({listed}); the platform needs "
                f"{MIN_AZS}, one node group per AZ (R6)",
                "choose a region with at least three AZs (landfall:region)",
            )
        ]
    missing = [az for az in wanted if az not in available]
    if missing:
        return [
            failed(
                "availability zones",
                f"configured zone(s) {', '.join(missing)} are not available in {cfg.region} "
                f"(available: {listed})",
                f"set network.availabilityZoneNames to {len(wanted)} of: {listed}",
            )
        ]
    detail = f"{', '.join(wanted)} available ({len(available)} in the region)"
    return [passed("availability zones", detail)]


def check_instance_types(ec2: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """Every node instance type is offered in every configured AZ (else its node group fails)."""
    cluster = cfg.require("cluster", cfg.cluster)
    types = list(cluster.nodes.instance_types)
    wanted = cfg.availability_zones()
    offered: set[tuple[str, str]] = set()
    paginator = ec2.get_paginator("describe_instance_type_offerings")
    for page in paginator.paginate(
        LocationType="availability-zone",
        Filters=[
            {"Name": "instance-type", "Values": types},
            {"Name": "location", "Values": wanted},
        ],
    ):
        offered |= {(o["InstanceType"], o["Location"]) for o in page["InstanceTypeOfferings"]}
    gaps = [f"{t} in {az}" for t in types for az in wanted if (t, az) not in offered]
    if gaps:
        return [
            failed(
                "instance types",
                f"not offered: {', '.join(gaps)}",
                "replace those types in cluster.nodes.instanceTypes with ones offered in every "
                "AZ (aws ec2 describe-instance-type-offerings --location-type availability-zone)",
            )
        ]
    return [passed("instance types", f"{', '.join(types)} offered in {', '.join(wanted)}")]


def _zone_id(zone: dict[str, Any]) -> str:
    return str(zone["Id"]).rsplit("/", 1)[-1]


def check_hosted_zone(route53: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """The public zone for dns.domain: absent (the network stack creates it) or ours, never two."""
    domain = cfg.require("dns", cfg.dns).domain
    zones = [
        z
        for page in route53.get_paginator("list_hosted_zones").paginate()
        for z in page["HostedZones"]
    ]
    named = [z for z in zones if z["Name"].rstrip(".") == domain]
    public = [z for z in named if not z.get("Config", {}).get("PrivateZone")]
    private = [z for z in named if z.get("Config", {}).get("PrivateZone")]
    check = "hosted zone"
    if len(public) > 1:
        ids = ", ".join(_zone_id(z) for z in public)
        return [
            failed(
                check,
                f"{len(public)} public zones are named {domain} ({ids}); only one can be "
                "delegated to, and the other silently answers nothing",
                "delete the zone(s) the network stack does not manage (Environment tag) and make "
                "sure the parent's NS records point at the remaining one",
            )
        ]
    if public:
        zone_id = _zone_id(public[0])
        tags = tag_dict(
            route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)[
                "ResourceTagSet"
            ].get("Tags")
        )
        if tags.get("Project") == "landfall" and tags.get("Environment") == cfg.environment:
            return [passed(check, f"{domain} exists ({zone_id}), managed by the network stack")]
        if tags.get("Project") == "landfall":
            return [
                failed(
                    check,
                    f"{domain} ({zone_id}) belongs to landfall environment "
                    f"{tags.get('Environment')!r}, not {cfg.environment!r}",
                    "give this environment its own dns.domain",
                )
            ]
        return [
            warned(
                check,
                f"{domain} exists ({zone_id}) but was not created by landfall (no Project/"
                "Environment tags); the network stack would create a second zone of that name",
                "delete the old zone, or adopt it with pulumi import before the first deploy",
            )
        ]
    findings: list[Finding] = []
    parents = [
        z
        for z in zones
        if not z.get("Config", {}).get("PrivateZone")
        and domain.endswith("." + z["Name"].rstrip("."))
    ]
    if parents:
        parent = max(parents, key=lambda z: len(z["Name"]))
        name = parent["Name"].rstrip(".")
        parent_id = _zone_id(parent)
        if cfg.dns is not None and cfg.dns.parent_zone_id == parent_id:
            findings.append(
                passed(
                    check,
                    f"{domain} does not exist yet: the network stack will create it and "
                    f"delegate it from {name} ({parent_id})",
                )
            )
        else:
            findings.append(
                warned(
                    check,
                    f"{domain} does not exist yet: the network stack will create it; its parent "
                    f"zone {name} ({parent_id}) is in this account but dns.parentZoneId is not "
                    "set, so `landfall up` will wait for you to add the NS record",
                    f"set dns.parentZoneId: {parent_id} and the network stack delegates it",
                )
            )
    else:
        findings.append(
            passed(
                check,
                f"{domain} does not exist yet: the network stack will create it; `landfall up` "
                "prints the NS record to add in the parent zone and waits for it",
            )
        )
    if private:
        findings.append(
            warned(
                "hosted zone (private)",
                f"a private zone named {domain} ({_zone_id(private[0])}) also exists; VPCs "
                "associated with it will not see the public records",
                "delete it or make sure it is not associated with the landfall VPC",
            )
        )
    return findings


def check_delegation(
    route53: Any, cfg: EnvironmentConfig, parent_says: DelegatedNameServers
) -> list[Finding]:
    """Once the zone exists, its parent delegates to exactly its name servers."""
    check = "dns delegation"
    domain = cfg.require("dns", cfg.dns).domain
    servers = zone_name_servers_from(route53)(domain)
    if servers is None:
        return [skipped(check, f"{domain} does not exist yet")]
    found = parent_says(domain)
    if delegated(servers, found):
        return [passed(check, f"the parent delegates {domain} to its {len(servers)} servers")]
    now = ", ".join(sorted(found)) or "nothing"
    return [
        failed(
            check,
            f"the parent zone delegates {domain} to {now} (or could not be asked), not to the "
            "zone's name servers: the certificate cannot be validated or renewed",
            "put these records in the parent zone (or set dns.parentZoneId): "
            + "; ".join(ns_record_text(domain, servers).splitlines()),
        )
    ]


def check_sso_roles(iam: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """Each ssoMappings permission set resolves to exactly one Identity Center role here."""
    mappings = cfg.require("cluster", cfg.cluster).sso_mappings
    if not mappings:
        return [skipped("sso roles", "cluster.ssoMappings is empty")]
    roles = [
        r
        for page in iam.get_paginator("list_roles").paginate(PathPrefix=SSO_PATH_PREFIX)
        for r in page["Roles"]
    ]
    findings = []
    for mapping in mappings:
        check = f"sso role {mapping.permission_set}"
        try:
            arn = match_sso_role(mapping.permission_set, roles)
        except SsoRoleError as exc:
            findings.append(failed(check, exc.problem.problem, exc.problem.fix))
            continue
        findings.append(
            passed(check, f"{arn} -> group {mapping.kubernetes_group} ({mapping.access})")
        )
    return findings


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _eks_version_status(eks: Any, version: str) -> tuple[str | None, str]:
    """(EKS's support status of ``version`` or None if EKS could not be asked, why not)."""
    try:
        versions = eks.describe_cluster_versions(clusterVersions=[version])["clusterVersions"]
    except AWS_ERRORS as exc:
        return None, f"EKS was not asked: {error_code(exc) or type(exc).__name__}"
    for v in versions:
        if v.get("clusterVersion") == version:
            return str(v.get("versionStatus") or v.get("status", "")).upper(), ""
    return "UNSUPPORTED", ""


def check_kubernetes_version(eks: Any, cfg: EnvironmentConfig, cluster_name: str) -> list[Finding]:
    """The version is in landfall.logic.versions and offered by EKS; a running cluster can
    reach it."""
    want = cfg.require("cluster", cfg.cluster).kubernetes_version
    supported = ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
    if want not in SUPPORTED_KUBERNETES_VERSIONS:
        return [
            failed(
                "kubernetes version",
                f"{want} is not one landfall supports ({supported})",
                f"set cluster.kubernetesVersion to one of {supported}",
            )
        ]
    status, why_not = _eks_version_status(eks, want)
    if status == "UNSUPPORTED":
        version = failed(
            "kubernetes version",
            f"EKS in {cfg.region} does not offer {want} any more",
            f"upgrade to a newer version of {supported} (and add it to landfall.logic.versions)",
        )
    elif status == "EXTENDED_SUPPORT":
        version = warned(
            "kubernetes version",
            f"{want} is in EKS extended support, which is billed extra",
            "plan the upgrade to a version in standard support (R25)",
        )
    else:
        note = f"EKS: {status.lower().replace('_', ' ')}" if status else why_not
        version = passed("kubernetes version", f"{want} ({note})")
    return [version, *_upgrade_path(eks, cluster_name, want)]


def _upgrade_path(eks: Any, cluster_name: str, want: str) -> list[Finding]:
    check = "kubernetes upgrade"
    try:
        running = eks.describe_cluster(name=cluster_name)["cluster"]["version"]
    except AWS_ERRORS as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return [passed(check, f"no cluster {cluster_name} yet; it will be created at {want}")]
        raise
    have, goal = _minor(running), _minor(want)
    if have == goal:
        return [passed(check, f"{cluster_name} already runs {running}")]
    if goal < have:
        return [
            failed(
                check,
                f"{cluster_name} runs {running}; EKS cannot downgrade to {want}",
                f"set cluster.kubernetesVersion back to {running} (or newer)",
            )
        ]
    if goal[0] != have[0] or goal[1] - have[1] > 1:
        step = f"{have[0]}.{have[1] + 1}"
        return [
            failed(
                check,
                f"{cluster_name} runs {running}; EKS upgrades one minor version at a time",
                f"set cluster.kubernetesVersion to {step} first, deploy, then continue (R25)",
            )
        ]
    return [passed(check, f"{cluster_name} runs {running}; the next deploy upgrades it to {want}")]


def check_addon_versions(eks: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """EKS offers each add-on version landfall.logic.versions pins for the cluster's version
    (EKS rejects CreateAddon with a version it does not list for that Kubernetes version)."""
    check = "add-on versions"
    version = cfg.require("cluster", cfg.cluster).kubernetes_version
    if version not in ADDON_VERSIONS:
        return [skipped(check, f"no pinned add-ons for {version} (see kubernetes version)")]
    pins = ADDON_VERSIONS[version]
    missing: list[str] = []
    for field, addon in ADDON_NAMES.items():
        pinned = getattr(pins, field)
        try:
            pages = eks.get_paginator("describe_addon_versions").paginate(
                addonName=addon, kubernetesVersion=version
            )
            offered = {
                v["addonVersion"]
                for page in pages
                for info in page.get("addons", [])
                for v in info.get("addonVersions", [])
            }
        except AWS_ERRORS as exc:
            return [skipped(check, f"EKS was not asked: {error_code(exc) or type(exc).__name__}")]
        if pinned not in offered:
            missing.append(f"{addon} {pinned}")
    if missing:
        return [
            failed(
                check,
                f"EKS offers no {', '.join(missing)} for Kubernetes {version}",
                f"aws eks describe-addon-versions --kubernetes-version {version} --addon-name "
                "<name>; pin an offered version in landfall/logic/versions.py",
            )
        ]
    return [passed(check, f"the {len(ADDON_NAMES)} pinned add-ons exist for {version}")]


def check_endpoint_reach(
    eks: Any, cfg: EnvironmentConfig, cluster_name: str, reach: Callable[[str], bool]
) -> list[Finding]:
    """This machine can open the cluster API, which deploying the cluster and gitops stacks
    needs (else the Kubernetes provider hangs until it times out)."""
    check = "cluster endpoint"
    endpoint = cluster_endpoint(eks, cluster_name)
    if endpoint is None:
        return [skipped(check, f"no cluster {cluster_name} yet")]
    if reach(endpoint):
        return [passed(check, f"{endpoint} answers from this machine")]
    problem, fix = endpoint_problem(cfg, endpoint)
    return [failed(check, problem, fix)]


def check_github_connection(codeconnections: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """The CI runners' GitHub connection exists and someone authorised it (it is created
    PENDING, and CodeBuild cannot fetch jobs until it is AVAILABLE)."""
    check = "github connection"
    name = f"{cfg.name_prefix}-github"
    found: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:  # ListConnections has no paginator in botocore: follow NextToken
        page = codeconnections.list_connections(ProviderTypeFilter="GitHub", **token)
        found += [c for c in page.get("Connections", []) if c.get("ConnectionName") == name]
        if not page.get("NextToken"):
            break
        token = {"NextToken": page["NextToken"]}
    if not found:
        return [failed(check, f"{name} does not exist", f"landfall bootstrap {cfg.environment}")]
    status = found[0].get("ConnectionStatus")
    if status != "AVAILABLE":
        return [
            failed(
                check,
                f"{name} is {status}: the CI runners cannot take workflow jobs until someone "
                "authorises it",
                "console: Developer Tools > Settings > Connections > Update pending connection "
                "(a GitHub organisation admin installs the AWS Connector app)",
            )
        ]
    return [passed(check, f"{name} is AVAILABLE")]


def check_alarm_chat_secret(secretsmanager: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """The webhook secret the alarm-to-chat function reads exists (it is created by hand). A
    deploy succeeds without it, but every alarm then reaches email only: a warning."""
    check = "alarm chat webhook"
    secret_id = cfg.alarms.chat_webhook_secret_id
    if not secret_id:
        return [skipped(check, "alarms.chatWebhookSecretId is not set: alarms go by email")]
    try:
        secretsmanager.describe_secret(SecretId=secret_id)
    except AWS_ERRORS as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return [
            warned(
                check,
                f"secret {secret_id} does not exist: alarms will reach email only",
                f"aws secretsmanager create-secret --name {secret_id} --kms-key-id "
                f"alias/{cfg.name_prefix}-secrets --secret-string https://hooks.slack.com/...",
            )
        ]
    return [passed(check, f"secret {secret_id} exists")]


def _role_exists(iam: Any, name: str) -> bool:
    try:
        iam.get_role(RoleName=name)
    except AWS_ERRORS as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return False
    return True


def check_service_linked_roles(iam: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """The service-linked roles the stacks need (the bootstrap stack creates them)."""
    check = "service-linked roles"
    spot = cfg.require("cluster", cfg.cluster).nodes.capacity_type == "SPOT"
    needed = [r for r in SERVICE_LINKED_ROLES if spot or r.service != "spot.amazonaws.com"]
    missing = [r for r in needed if not _role_exists(iam, r.role_name)]
    if not missing:
        return [passed(check, f"all {len(needed)} exist")]
    names = ", ".join(r.role_name for r in missing)
    blocking = [r for r in missing if not r.created_on_first_use]
    detail = f"missing: {names}" + (
        f" ({', '.join(r.service for r in blocking)} are not created by their service: the first "
        "deploy fails without them)"
        if blocking
        else ""
    )
    return [failed(check, detail, f"landfall bootstrap {cfg.environment}")]


def check_github_trust(iam: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """The account's GitHub Actions OIDC provider and this environment's CI roles."""
    findings: list[Finding] = []
    arn = github_oidc_provider_arn(str(cfg.account_id))
    try:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        findings.append(passed("github oidc provider", f"{GITHUB_OIDC_HOST} exists"))
    except AWS_ERRORS as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        findings.append(
            failed(
                "github oidc provider",
                f"{GITHUB_OIDC_HOST} is not an identity provider of the account; the CI roles "
                "and the notifier role cannot be assumed",
                f"landfall bootstrap {cfg.environment}",
            )
        )
    roles = [ci_role_name(cfg.name_prefix, p) for p in ("preview", "deploy")]
    missing = [r for r in roles if not _role_exists(iam, r)]
    if missing:
        findings.append(
            warned(
                "ci roles",
                f"{', '.join(missing)} do not exist: pull-request previews and CI deploys fail "
                "(deploying from a workstation works)",
                f"landfall bootstrap {cfg.environment}",
            )
        )
    else:
        findings.append(passed("ci roles", ", ".join(roles)))
    return findings


def check_secrets_provider(
    kms: Any, cfg: EnvironmentConfig, settings: Mapping[str, Any]
) -> list[Finding]:
    """The secrets-provider key exists, and the settings file's encryptedkey is one it made."""
    check = "secrets provider"
    name = f"Pulumi.{cfg.environment}.yaml"
    alias = secrets_provider_alias(cfg.environment)
    fix = f"landfall bootstrap {cfg.environment} --account-only, then commit {name}"
    if settings.get("secretsprovider") != secrets_provider_url(cfg.environment, str(cfg.region)):
        return [
            failed(
                check,
                f"{name} names {settings.get('secretsprovider')!r}, not the environment's key "
                f"{alias}",
                fix,
            )
        ]
    try:
        kms.describe_key(KeyId=alias)
    except AWS_ERRORS as exc:
        if error_code(exc) != "NotFoundException":
            raise
        return [failed(check, f"{alias} does not exist", fix)]
    encrypted = settings.get("encryptedkey")
    if not encrypted:
        return [
            failed(
                check,
                f"{name} has no encryptedkey: every Pulumi operation would make a new one with "
                "kms:Encrypt and rewrite the tracked file (the preview role cannot)",
                fix,
            )
        ]
    try:
        kms.decrypt(CiphertextBlob=base64.b64decode(str(encrypted)), KeyId=alias)
    except AWS_ERRORS as exc:
        return [
            failed(
                check,
                f"{alias} cannot decrypt {name}'s encryptedkey ({error_code(exc)}): it was made "
                "with another key or in another account",
                "restore the file from git, or ask who bootstrapped the account",
            )
        ]
    return [passed(check, f"{alias} exists and decrypts {name}'s encryptedkey")]


def check_state_bucket(s3: Any, cfg: EnvironmentConfig) -> list[Finding]:
    """The account's state bucket exists and keeps versions."""
    check = "state bucket"
    bucket = state_bucket_name(str(cfg.account_id))
    try:
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    except AWS_ERRORS as exc:
        if error_code(exc) not in ("NoSuchBucket", "404"):
            raise
        return [
            warned(
                check,
                f"s3://{bucket} does not exist (fine if the stacks live in Pulumi Cloud)",
                f"landfall bootstrap {cfg.environment} --account-only",
            )
        ]
    if status != "Enabled":
        return [
            failed(
                check,
                f"s3://{bucket} does not keep versions: a bad import or a crashed update cannot "
                "be undone",
                f"aws s3api put-bucket-versioning --bucket {bucket} "
                "--versioning-configuration Status=Enabled",
            )
        ]
    return [passed(check, f"s3://{bucket} exists, versioned")]


def run_doctor(
    cfg: EnvironmentConfig,
    clients: AwsClients,
    lookup: Lookup | None = None,
    settings: Mapping[str, Any] | None = None,
    parent_says: DelegatedNameServers = parent_delegation,
    reach: Callable[[str], bool] = reachable,
) -> list[Finding]:
    """Every preflight check, in order; stops after the identity checks if they fail.
    ``settings``: the top-level keys of ``Pulumi.<env>.yaml`` besides ``config``."""
    lookup = lookup or Lookup.for_environment(cfg)
    findings = check_identity(clients, cfg)
    if not all(f.ok for f in findings):
        return findings
    ec2, iam = clients("ec2"), clients("iam")
    findings += guard("region", check_region, ec2, cfg, clients.ambient_region)
    findings += guard("availability zones", check_availability_zones, ec2, cfg)
    findings += guard("instance types", check_instance_types, ec2, cfg)
    findings += guard("hosted zone", check_hosted_zone, clients("route53"), cfg)
    findings += guard("dns delegation", check_delegation, clients("route53"), cfg, parent_says)
    findings += guard("sso roles", check_sso_roles, iam, cfg)
    findings += guard(
        "kubernetes version", check_kubernetes_version, clients("eks"), cfg, lookup.cluster_name
    )
    findings += guard("add-on versions", check_addon_versions, clients("eks"), cfg)
    findings += guard(
        "cluster endpoint", check_endpoint_reach, clients("eks"), cfg, lookup.cluster_name, reach
    )
    findings += guard("state bucket", check_state_bucket, clients("s3"), cfg)
    findings += guard(
        "secrets provider", check_secrets_provider, clients("kms"), cfg, settings or {}
    )
    findings += guard("service-linked roles", check_service_linked_roles, iam, cfg)
    findings += guard("github oidc provider", check_github_trust, iam, cfg)
    findings += guard("github connection", check_github_connection, clients("codeconnections"), cfg)
    findings += guard("alarm chat webhook", check_alarm_chat_secret, clients("secretsmanager"), cfg)
    return findings
