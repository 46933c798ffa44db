"""The security baseline: one ``Policy`` per rule, each a pure function over (type, props).

Props are a resource's inputs with engine (camelCase) names, as the Pulumi engine hands them to a
policy pack and as the offline harness records them. Checks return violation messages (empty =
compliant) and tolerate missing props: an unset security setting is treated as AWS's default,
which for every "must be on" setting here is a violation. IAM documents arrive as JSON text.

Checks only read props with ``get``/``present`` below, which never touch a value they do not need:
inside ``pulumi preview`` an unknown value raises the policy SDK's UnknownValueError, which the
SDK reports as "can't run during preview" instead of a false violation.

Standard library only: the policy pack imports this module without the rest of landfall.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Props = Mapping[str, Any]
Check = Callable[[str, Props], list[str]]
StackCheck = Callable[[Sequence[tuple[str, Props]]], list[str]]
Severity = Literal["low", "medium", "high", "critical"]

CLOUD_ENVIRONMENTS: frozenset[str] = frozenset({"test", "prod"})
PROD_ONLY: frozenset[str] = frozenset({"prod"})

FSBP = "https://docs.aws.amazon.com/securityhub/latest/userguide"
EKS_BP = "https://docs.aws.amazon.com/eks/latest/best-practices"


@dataclass(frozen=True)
class Policy:
    """One rule of the baseline.

    ``check`` runs per resource of ``resource_types``; ``stack_check`` (optional) runs once over
    every (type, props) of a stack, for rules about relations (each VPC has a flow log).
    ``environments`` lists where the rule applies (prod-only rules list just ``prod``).
    ``exemptable_in_prod``: whether prod's settings may exempt it (no policy is, today: prod
    fixes the resource instead; test documents its exemptions in its settings).
    """

    name: str
    description: str
    source: str
    severity: Severity
    resource_types: tuple[str, ...]
    check: Check | None
    fix: str
    url: str
    stack_check: StackCheck | None = None
    environments: frozenset[str] = field(default=CLOUD_ENVIRONMENTS)
    exemptable_in_prod: bool = False

    def applies_to(self, environment: str) -> bool:
        return environment in self.environments

    def evaluate(self, type_token: str, props: Props) -> list[str]:
        """Violations of this policy by one resource (none for other types)."""
        if self.check is None or type_token not in self.resource_types:
            return []
        return self.check(type_token, props)


# --- reading props without touching what is not needed -------------------------------------------


def present(props: Any, key: str) -> bool:
    """Whether ``key`` is set, without reading its value (it may be unknown during preview)."""
    return isinstance(props, Mapping) and any(k == key for k in props)


def get(props: Any, *path: str) -> Any:
    """The value at ``path`` or None; a list on the way stands for its first element (AWS blocks
    with at most one item)."""
    value = props
    for key in path:
        if _is_list(value):
            value = value[0] if len(value) else None
        if not present(value, key):
            return None
        value = value[key]
    return value


def items(value: Any) -> list[Any]:
    """A list value as a list (a lone object as a one-item list, None as empty)."""
    if value is None:
        return []
    if _is_list(value):
        return [value[i] for i in range(len(value))]
    return [value]


def strings(value: Any) -> list[str]:
    return [str(v) for v in items(value) if v is not None]


def is_true(value: Any) -> bool:
    """True for ``True`` and ``"true"`` (some AWS inputs, like EBS ``encrypted``, are strings)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


# --- IAM policy documents ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedStatement:
    """One statement of a rendered IAM policy document, as the baseline reads it."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principal: Any
    condition: Mapping[str, Any]


def parse_document(value: Any) -> tuple[list[ParsedStatement], str | None]:
    """Statements of a JSON policy document (or of an already-parsed one), or an error."""
    if value is None:
        return [], None
    document = value
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except json.JSONDecodeError as exc:
            return [], f"policy document is not valid JSON ({exc.msg})"
    if not isinstance(document, Mapping):
        return [], "policy document is not a JSON object"
    statements = []
    for st in items(get(document, "Statement")):
        if not isinstance(st, Mapping):
            return [], "policy statement is not a JSON object"
        statements.append(
            ParsedStatement(
                effect=str(get(st, "Effect") or ""),
                actions=tuple(strings(get(st, "Action"))),
                resources=tuple(strings(get(st, "Resource"))),
                principal=get(st, "Principal"),
                condition=get(st, "Condition") or {},
            )
        )
    return statements, None


def allows(statement: ParsedStatement, action: str) -> bool:
    """Whether an Allow statement grants ``action`` (its patterns may use * and ?)."""
    if statement.effect != "Allow":
        return False
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in statement.actions)


def identity_documents(type_token: str, props: Props) -> list[tuple[str, Any]]:
    """(label, document) of every identity-based policy a resource carries."""
    if type_token == "aws:iam/role:Role":
        return [
            (f"inline policy {get(p, 'name') or i}", get(p, "policy"))
            for i, p in enumerate(items(get(props, "inlinePolicies")))
        ]
    if type_token in IDENTITY_POLICY_TYPES:
        return [("policy", get(props, "policy"))]
    return []


IDENTITY_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
IAM_TYPES = ("aws:iam/role:Role", *IDENTITY_POLICY_TYPES)


def _document_check(
    rule: Callable[[ParsedStatement], str | None],
) -> Check:
    def check(type_token: str, props: Props) -> list[str]:
        found = []
        for label, document in identity_documents(type_token, props):
            statements, error = parse_document(document)
            if error:
                found.append(f"{label}: {error}")
            for i, st in enumerate(statements):
                problem = rule(st)
                if problem:
                    found.append(f"{label}, statement {i + 1}: {problem}")
        return found

    return check


def _must_be_true(*path: str) -> Check:
    """A check that the setting at ``path`` is true; unset fails (AWS's default is off)."""

    def check(type_token: str, props: Props) -> list[str]:
        return [] if is_true(get(props, *path)) else [f"{'.'.join(path)} is not true"]

    return check


# --- EKS control plane ---------------------------------------------------------------------------

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_COMPONENT = "eks:index:Cluster"
EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
CONTROL_PLANE_LOGS = ("api", "audit", "authenticator", "controllerManager", "scheduler")
WORLD = ("0.0.0.0/0", "::/0")


def _eks_secrets_encryption(type_token: str, props: Props) -> list[str]:
    if type_token == EKS_COMPONENT:
        if not get(props, "encryptionConfigKeyArn"):
            return [
                "encryptionConfigKeyArn is not set: Kubernetes secrets are not encrypted "
                "with a customer-managed KMS key"
            ]
        return []
    config = get(props, "encryptionConfig")
    if config is None:
        return [
            "encryptionConfig is not set: Kubernetes secrets are not envelope-encrypted "
            "with a customer-managed KMS key"
        ]
    problems = []
    if "secrets" not in strings(get(config, "resources")):
        problems.append("encryptionConfig.resources does not include 'secrets'")
    if not get(config, "provider", "keyArn"):
        problems.append("encryptionConfig.provider.keyArn is not set")
    return problems


def _eks_logging(type_token: str, props: Props) -> list[str]:
    enabled = set(strings(get(props, "enabledClusterLogTypes")))
    missing = [t for t in CONTROL_PLANE_LOGS if t not in enabled]
    if missing:
        return [
            f"enabledClusterLogTypes lacks {', '.join(missing)} (all five control-plane log "
            "types must be on)"
        ]
    return []


def _endpoint(type_token: str, props: Props) -> tuple[Any, Any, list[str]]:
    """(private access, public access, public CIDRs) with AWS's defaults for unset values."""
    source = props if type_token == EKS_COMPONENT else get(props, "vpcConfig")
    private = get(source, "endpointPrivateAccess")
    public = get(source, "endpointPublicAccess")
    cidrs = strings(get(source, "publicAccessCidrs"))
    return private, (True if public is None else public), cidrs


def _eks_endpoint_private(type_token: str, props: Props) -> list[str]:
    private, public, cidrs = _endpoint(type_token, props)
    problems = []
    if not is_true(private):
        problems.append(
            "endpointPrivateAccess is not true: nodes and operators should reach the "
            "API server inside the VPC"
        )
    if not is_false(public):
        if not cidrs:
            problems.append(
                "the public API endpoint is on (endpointPublicAccess unset or true) "
                "without publicAccessCidrs, so it is open to 0.0.0.0/0"
            )
        elif any(c in WORLD for c in cidrs):
            problems.append(f"publicAccessCidrs {cidrs} opens the API endpoint to the internet")
    return problems


def _eks_endpoint_no_public(type_token: str, props: Props) -> list[str]:
    _, public, cidrs = _endpoint(type_token, props)
    if not is_false(public):
        return [
            f"endpointPublicAccess is not false (public CIDRs: {cidrs or 'all'}); the prod "
            "API endpoint must be private only"
        ]
    return []


def _eks_access_entries(type_token: str, props: Props) -> list[str]:
    if type_token == EKS_COMPONENT:
        mode = get(props, "authenticationMode")
        where = "authenticationMode"
    else:
        mode = get(props, "accessConfig", "authenticationMode")
        where = "accessConfig.authenticationMode"
    if mode != "API":
        return [f"{where} is {mode!r}; use 'API' (EKS access entries, no aws-auth ConfigMap)"]
    return []


# --- nodes ---------------------------------------------------------------------------------------


def _has_launch_template(props: Props) -> bool:
    template = get(props, "launchTemplate")
    return bool(get(template, "id") or get(template, "name")) if template is not None else False


def _default_node_group(props: Props) -> bool:
    """Whether the pulumi-eks component creates its own (self-managed, AL2) node group."""
    return not is_true(get(props, "skipDefaultNodeGroup"))


def _bottlerocket(type_token: str, props: Props) -> list[str]:
    if type_token == EKS_COMPONENT:
        if _default_node_group(props):
            return [
                "the component's default self-managed node group (not Bottlerocket) is "
                "created; set skipDefaultNodeGroup: true and use managed node groups"
            ]
        return []
    ami_type = str(get(props, "amiType") or "")
    if ami_type.startswith("BOTTLEROCKET_"):
        return []
    if type_token == EKS_MANAGED_NODE_GROUP and get(props, "operatingSystem") == "Bottlerocket":
        return []
    return [
        f"amiType is {ami_type or 'unset (Amazon Linux)'}; nodes must run Bottlerocket "
        "(amiType BOTTLEROCKET_x86_64 or BOTTLEROCKET_ARM_64)"
    ]


def _no_ssh(type_token: str, props: Props) -> list[str]:
    if type_token == LAUNCH_TEMPLATE:
        return ["keyName is set: no SSH key on nodes (use SSM)"] if get(props, "keyName") else []
    if type_token == EKS_COMPONENT:
        if get(props, "nodePublicKey"):
            return ["nodePublicKey is set: no SSH key on nodes (use SSM)"]
        return []
    if get(props, "remoteAccess") is not None:
        return ["remoteAccess is set: no SSH access to nodes (use SSM)"]
    return []


def _nodes_no_public_ip(type_token: str, props: Props) -> list[str]:
    if type_token == EKS_COMPONENT:
        if _default_node_group(props) and not is_false(get(props, "nodeAssociatePublicIpAddress")):
            return [
                "the default node group assigns public IPs (nodeAssociatePublicIpAddress "
                "is not false)"
            ]
        return []
    found = []
    for i, nic in enumerate(items(get(props, "networkInterfaces"))):
        if is_true(get(nic, "associatePublicIpAddress")):
            found.append(f"networkInterfaces[{i}].associatePublicIpAddress is true")
    return found


def _subnet_no_public_ip(type_token: str, props: Props) -> list[str]:
    if is_true(get(props, "mapPublicIpOnLaunch")):
        return ["mapPublicIpOnLaunch is true: instances launched here get public IPs"]
    return []


def _imdsv2(type_token: str, props: Props) -> list[str]:
    if type_token == LAUNCH_TEMPLATE:
        options = get(props, "metadataOptions")
        if get(options, "httpEndpoint") == "disabled":
            return []
        problems = []
        tokens = get(options, "httpTokens")
        if tokens != "required":
            problems.append(
                f"metadataOptions.httpTokens is {tokens or 'unset'}; must be "
                "'required' (IMDSv2 only)"
            )
        hops = as_int(get(options, "httpPutResponseHopLimit"))
        if hops is not None and hops > 2:
            problems.append(
                f"metadataOptions.httpPutResponseHopLimit is {hops}; at most 2 keeps "
                "the node's credentials away from pods"
            )
        return problems
    if _has_launch_template(props):
        return []  # the launch template itself is checked
    if type_token == EKS_MANAGED_NODE_GROUP and is_true(get(props, "enableIMDSv2")):
        return []
    return [
        "no launchTemplate: EKS's default launch template leaves IMDSv1 enabled; attach a "
        "launch template with metadataOptions.httpTokens 'required'"
    ]


def _volumes_encrypted(type_token: str, props: Props) -> list[str]:
    if type_token == LAUNCH_TEMPLATE:
        mappings = [
            m for m in items(get(props, "blockDeviceMappings")) if get(m, "ebs") is not None
        ]
        if not mappings:
            return [
                "no blockDeviceMappings with ebs: the volumes' encryption then depends on the "
                "account's EBS default; declare them with ebs.encrypted 'true'"
            ]
        return [
            f"blockDeviceMappings[{get(m, 'deviceName') or i}].ebs.encrypted is not true"
            for i, m in enumerate(mappings)
            if not is_true(get(m, "ebs", "encrypted"))
        ]
    if type_token == EKS_COMPONENT:
        if _default_node_group(props) and not is_true(get(props, "nodeRootVolumeEncrypted")):
            return [
                "the default node group's root volume is not encrypted "
                "(nodeRootVolumeEncrypted is not true)"
            ]
        return []
    if _has_launch_template(props):
        return []
    return [
        "no launchTemplate: the root volume's encryption depends on the account's EBS "
        "default; attach a launch template with encrypted block devices"
    ]


# --- security groups -----------------------------------------------------------------------------

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC_EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
WEB_PORTS = (80, 443)


def _world_ingress_problem(
    rule: Any, protocol_key: str, cidrs: list[str], label: str
) -> str | None:
    """A message if ``rule`` admits the internet anywhere but TCP 80 or 443."""
    open_to = [c for c in cidrs if c in WORLD]
    if not open_to:
        return None
    protocol = str(get(rule, protocol_key) or "").lower()
    low, high = as_int(get(rule, "fromPort")), as_int(get(rule, "toPort"))
    if protocol in ("tcp", "6") and low == high and low in WEB_PORTS:
        return None
    ports = "all ports" if protocol in ("-1", "all") else f"{protocol} {low}-{high}"
    return (
        f"{label} admits {', '.join(open_to)} on {ports}; only TCP 80/443 (the "
        "internet-facing load balancer) may be open to the internet"
    )


def _sg_rules(type_token: str, props: Props) -> list[tuple[str, str, Any]]:
    """(direction, label, rule) of every rule a security-group resource declares."""
    if type_token in (SG, DEFAULT_SG):
        return [
            (direction, f"{direction}[{i}]", rule)
            for direction in ("ingress", "egress")
            for i, rule in enumerate(items(get(props, direction)))
        ]
    if type_token == SG_RULE:
        return [(str(get(props, "type") or "ingress"), "rule", props)]
    return [("ingress" if type_token == VPC_INGRESS else "egress", "rule", props)]


def _sg_no_world_ingress(type_token: str, props: Props) -> list[str]:
    found = []
    for direction, label, rule in _sg_rules(type_token, props):
        if direction != "ingress":
            continue
        if type_token == VPC_INGRESS:
            cidrs = strings(get(rule, "cidrIpv4")) + strings(get(rule, "cidrIpv6"))
            problem = _world_ingress_problem(rule, "ipProtocol", cidrs, label)
        else:
            cidrs = strings(get(rule, "cidrBlocks")) + strings(get(rule, "ipv6CidrBlocks"))
            problem = _world_ingress_problem(rule, "protocol", cidrs, label)
        if problem:
            found.append(problem)
    return found


def _sg_rules_described(type_token: str, props: Props) -> list[str]:
    return [
        f"{label} ({direction}) has no description"
        for direction, label, rule in _sg_rules(type_token, props)
        if not str(get(rule, "description") or "").strip()
    ]


def _default_sg_closed(type_token: str, props: Props) -> list[str]:
    return [
        f"the default security group has {direction} rules; manage it with none"
        for direction in ("ingress", "egress")
        if items(get(props, direction))
    ]


def _count(resources: Sequence[tuple[str, Props]], type_token: str) -> int:
    return sum(1 for t, _ in resources if t == type_token)


VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"


def _every_vpc_has_default_sg(resources: Sequence[tuple[str, Props]]) -> list[str]:
    vpcs, managed = _count(resources, VPC), _count(resources, DEFAULT_SG)
    if managed < vpcs:
        return [
            f"{vpcs} VPC(s) but {managed} managed default security group(s): an unmanaged "
            "default group keeps AWS's allow-all rules"
        ]
    return []


def _flow_log(type_token: str, props: Props) -> list[str]:
    traffic = get(props, "trafficType")
    if traffic not in ("ALL", "REJECT"):
        return [f"trafficType is {traffic or 'unset'}; log ALL (or at least REJECT) traffic"]
    return []


def _every_vpc_has_flow_log(resources: Sequence[tuple[str, Props]]) -> list[str]:
    vpcs = _count(resources, VPC)
    logged = sum(1 for t, p in resources if t == FLOW_LOG and present(p, "vpcId"))
    if logged < vpcs:
        return [f"{vpcs} VPC(s) but {logged} VPC flow log(s): every VPC needs a flow log"]
    return []


NAT = "aws:ec2/natGateway:NatGateway"
SUBNET = "aws:ec2/subnet:Subnet"


def _nat_per_az(resources: Sequence[tuple[str, Props]]) -> list[str]:
    nats = _count(resources, NAT)
    if not nats:
        return []
    zones = set()
    for t, p in resources:
        if t == SUBNET and present(p, "availabilityZone"):
            zones.add(str(get(p, "availabilityZone")))
    if nats < len(zones):
        return [
            f"{nats} NAT gateway(s) for {len(zones)} availability zones: an outage of the "
            "NAT's zone cuts every zone's egress"
        ]
    return []


# --- operations ----------------------------------------------------------------------------------

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# stateful type -> (its identifying prop, the alarm dimension that names it)
_ALARMED = {
    "aws:rds/instance:Instance": ("identifier", "DBInstanceIdentifier"),
    "aws:opensearch/domain:Domain": ("domainName", "DomainName"),
}


def _stateful_alarmed(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Every database and search domain has an alarm that names it and notifies someone."""
    watched: set[tuple[str, str]] = set()
    for t, p in resources:
        if t == ALARM and items(get(p, "alarmActions")):
            dimensions = get(p, "dimensions") or {}
            for dimension in ("DBInstanceIdentifier", "DomainName"):
                if isinstance(dimensions, dict) and dimension in dimensions:
                    watched.add((dimension, str(dimensions[dimension])))
    problems = []
    for t, p in resources:
        if t in _ALARMED:
            prop, dimension = _ALARMED[t]
            name = str(get(p, prop))
            if (dimension, name) not in watched:
                problems.append(f"{t.split(':')[-1]} {name}: no alarm with actions names it")
    return problems


BACKUP_SELECTION = "aws:backup/selection:Selection"


def _stateful_backed_up(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Every database is in an AWS Backup selection (by its ARN, or an ARN pattern covering
    it). OpenSearch is not: AWS Backup does not support it, its domains snapshot themselves
    every hour (docs/operations.md)."""
    selected = [
        str(arn)
        for t, p in resources
        if t == BACKUP_SELECTION
        for arn in items(get(p, "resources"))
    ]
    problems = []
    for t, p in resources:
        if t == "aws:rds/instance:Instance":
            name = str(get(p, "identifier"))
            arn = f"arn:aws:rds:*:*:db:{name}"
            if not any(
                s.endswith(f":db:{name}") or ("*" in s and fnmatch.fnmatchcase(arn, s))
                for s in selected
            ):
                problems.append(f"Instance {name}: in no AWS Backup selection")
    return problems


# --- load balancers ------------------------------------------------------------------------------

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
# ELB security policies that accept only TLS 1.2 and later (ELB.17's recommended family).
_TLS12_POLICY = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)(-[A-Za-z0-9-]+)?$")


def _lb_type(props: Props) -> str:
    return str(get(props, "loadBalancerType") or "application")


def _alb_redirect(type_token: str, props: Props) -> list[str]:
    protocol = str(get(props, "protocol") or "HTTP").upper()
    if protocol != "HTTP":
        return []
    for action in items(get(props, "defaultActions")):
        if get(action, "type") == "redirect" and get(action, "redirect", "protocol") == "HTTPS":
            return []
    return [f"HTTP listener on port {get(props, 'port')} does not redirect to HTTPS"]


def _lb_tls_policy(type_token: str, props: Props) -> list[str]:
    protocol = str(get(props, "protocol") or "HTTP").upper()
    if protocol not in ("HTTPS", "TLS"):
        return []
    policy = get(props, "sslPolicy")
    if not policy or not _TLS12_POLICY.match(str(policy)):
        return [
            f"{protocol} listener sslPolicy is {policy or 'unset (ELBSecurityPolicy-2016-08)'}"
            "; use a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06"
        ]
    return []


def _alb_drop_headers(type_token: str, props: Props) -> list[str]:
    if _lb_type(props) != "application" or is_true(get(props, "dropInvalidHeaderFields")):
        return []
    return ["dropInvalidHeaderFields is not true (HTTP desync / header smuggling)"]


def _alb_access_logs(type_token: str, props: Props) -> list[str]:
    if _lb_type(props) != "application":
        return []
    logs = get(props, "accessLogs")
    if not is_true(get(logs, "enabled")) or not get(logs, "bucket"):
        return ["accessLogs is not enabled with a bucket"]
    return []


# --- RDS -----------------------------------------------------------------------------------------

RDS = "aws:rds/instance:Instance"
# Logs FSBP RDS.9 expects per engine family. For MySQL/MariaDB the general log is left out on
# purpose: the audit plugin records connections and queries without logging every statement.
RDS_LOGS = {
    "mariadb": ("audit", "error", "slowquery"),
    "mysql": ("audit", "error", "slowquery"),
    "postgres": ("postgresql", "upgrade"),
}


def _replica(props: Props) -> bool:
    return bool(get(props, "replicateSourceDb"))


def _rds_not_public(type_token: str, props: Props) -> list[str]:
    return ["publiclyAccessible is true"] if is_true(get(props, "publiclyAccessible")) else []


def _rds_backups(type_token: str, props: Props) -> list[str]:
    if _replica(props):
        return []
    days = as_int(get(props, "backupRetentionPeriod"))
    if days is None or days < 1:
        return [
            f"backupRetentionPeriod is {days if days is not None else 'unset'}; set it to "
            "at least 1 day"
        ]
    return []


def _rds_logs(type_token: str, props: Props) -> list[str]:
    engine = str(get(props, "engine") or "")
    wanted = next((logs for family, logs in RDS_LOGS.items() if engine.startswith(family)), ())
    if not wanted:
        wanted = ("error",)
    exported = set(strings(get(props, "enabledCloudwatchLogsExports")))
    missing = [log for log in wanted if log not in exported]
    if missing:
        return [f"enabledCloudwatchLogsExports lacks {', '.join(missing)}"]
    return []


def _rds_multi_az(type_token: str, props: Props) -> list[str]:
    if _replica(props) or is_true(get(props, "multiAz")):
        return []
    return ["multiAz is not true: the database lives in one availability zone"]


def _rds_deletion_protection(type_token: str, props: Props) -> list[str]:
    problems = []
    if not is_true(get(props, "deletionProtection")):
        problems.append("deletionProtection is not true")
    if is_true(get(props, "skipFinalSnapshot")):
        problems.append(
            "skipFinalSnapshot is true: deleting the database would leave no final snapshot"
        )
    return problems


def _rds_managed_password(type_token: str, props: Props) -> list[str]:
    if _replica(props) or get(props, "snapshotIdentifier"):
        return []
    problems = []
    if not is_true(get(props, "manageMasterUserPassword")):
        problems.append(
            "manageMasterUserPassword is not true: RDS must own the master secret "
            "in Secrets Manager"
        )
    if present(props, "password") or present(props, "passwordWo"):
        problems.append("a master password is set in the program (it would sit in Pulumi state)")
    return problems


# --- OpenSearch ----------------------------------------------------------------------------------

SEARCH = "aws:opensearch/domain:Domain"
OPENSEARCH_TLS = ("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")


def _search_in_vpc(type_token: str, props: Props) -> list[str]:
    vpc = get(props, "vpcOptions")
    problems = []
    if not strings(get(vpc, "subnetIds")):
        problems.append("vpcOptions.subnetIds is empty: the domain has a public endpoint")
    if not strings(get(vpc, "securityGroupIds")):
        problems.append("vpcOptions.securityGroupIds is empty")
    return problems


def _search_encryption(type_token: str, props: Props) -> list[str]:
    problems = []
    if not is_true(get(props, "encryptAtRest", "enabled")):
        problems.append("encryptAtRest.enabled is not true")
    if not is_true(get(props, "nodeToNodeEncryption", "enabled")):
        problems.append("nodeToNodeEncryption.enabled is not true")
    return problems


def _search_https(type_token: str, props: Props) -> list[str]:
    options = get(props, "domainEndpointOptions")
    problems = []
    if not is_true(get(options, "enforceHttps")):
        problems.append("domainEndpointOptions.enforceHttps is not true")
    policy = get(options, "tlsSecurityPolicy")
    if policy not in OPENSEARCH_TLS:
        problems.append(
            f"domainEndpointOptions.tlsSecurityPolicy is {policy or 'unset'}; use "
            f"{' or '.join(OPENSEARCH_TLS)}"
        )
    return problems


def _search_fine_grained(type_token: str, props: Props) -> list[str]:
    options = get(props, "advancedSecurityOptions")
    problems = []
    if not is_true(get(options, "enabled")):
        problems.append("advancedSecurityOptions.enabled is not true")
    if is_true(get(options, "internalUserDatabaseEnabled")):
        problems.append(
            "advancedSecurityOptions.internalUserDatabaseEnabled is true: use an IAM "
            "master user, not a password kept in Pulumi state"
        )
    if is_true(get(options, "anonymousAuthEnabled")):
        problems.append("advancedSecurityOptions.anonymousAuthEnabled is true")
    return problems


def _search_logs(type_token: str, props: Props) -> list[str]:
    published = {
        str(get(o, "logType"))
        for o in items(get(props, "logPublishingOptions"))
        if get(o, "cloudwatchLogGroupArn") and not is_false(get(o, "enabled"))
    }
    missing = [t for t in ("ES_APPLICATION_LOGS", "AUDIT_LOGS") if t not in published]
    if missing:
        return [f"logPublishingOptions lacks {', '.join(missing)} to CloudWatch Logs"]
    return []


def _search_ha(type_token: str, props: Props) -> list[str]:
    cluster = get(props, "clusterConfig")
    problems = []
    count = as_int(get(cluster, "instanceCount")) or 1
    if count < 3:
        problems.append(f"clusterConfig.instanceCount is {count}; at least 3 data nodes")
    if not is_true(get(cluster, "zoneAwarenessEnabled")):
        problems.append("clusterConfig.zoneAwarenessEnabled is not true")
    masters = as_int(get(cluster, "dedicatedMasterCount")) or 0
    if not is_true(get(cluster, "dedicatedMasterEnabled")) or masters < 3:
        problems.append("clusterConfig has no 3 dedicated master nodes")
    return problems


# --- KMS and ECR ---------------------------------------------------------------------------------

KMS_KEY = "aws:kms/key:Key"
ECR_REPO = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"


PULL_THROUGH_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
CREATION_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"


def _mirror_templated(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Every pull-through cache prefix has a creation template for pull-through repositories
    with a lifecycle policy: ECR creates those repositories on first pull, outside the code,
    and without one they grow forever (the ECR.3 rule for repositories nobody declares)."""
    templated = {
        str(get(p, "prefix"))
        for t, p in resources
        if t == CREATION_TEMPLATE
        and "PULL_THROUGH_CACHE" in items(get(p, "appliedFors"))
        and get(p, "lifecyclePolicy")
    }
    return [
        f"pull-through prefix {get(p, 'ecrRepositoryPrefix')}: no creation template with a "
        "lifecycle policy"
        for t, p in resources
        if t == PULL_THROUGH_RULE and str(get(p, "ecrRepositoryPrefix")) not in templated
    ]


def _kms_rotation(type_token: str, props: Props) -> list[str]:
    spec = get(props, "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = get(props, "keyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return []  # AWS rotates only symmetric encryption keys
    return [] if is_true(get(props, "enableKeyRotation")) else ["enableKeyRotation is not true"]


def _ecr_immutable(type_token: str, props: Props) -> list[str]:
    mutability = get(props, "imageTagMutability") or "MUTABLE"
    if mutability not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"):
        return [f"imageTagMutability is {mutability}; use IMMUTABLE"]
    return []


def _ecr_lifecycle(resources: Sequence[tuple[str, Props]]) -> list[str]:
    repos, policies = _count(resources, ECR_REPO), _count(resources, ECR_LIFECYCLE)
    if policies < repos:
        return [f"{repos} ECR repositories but {policies} lifecycle policies"]
    return []


def _rds_monitoring(type_token: str, props: Props) -> list[str]:
    interval = get(props, "monitoringInterval")
    if not interval:
        return ["Enhanced Monitoring is off (monitoringInterval 0 or unset)"]
    if not get(props, "monitoringRoleArn"):
        return ["monitoringInterval is set without monitoringRoleArn (RDS refuses it)"]
    return []


def _rds_performance_insights(type_token: str, props: Props) -> list[str]:
    if not is_true(get(props, "performanceInsightsEnabled")):
        return ["Performance Insights is off"]
    if not get(props, "performanceInsightsKmsKeyId"):
        return ["Performance Insights uses the AWS managed key, not the data key"]
    return []


WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# AWS FSBP CloudWatch.16's default minimum (minRetentionTime): a year.
MIN_PROD_LOG_RETENTION_DAYS = 365


def _log_retention(type_token: str, props: Props) -> list[str]:
    days = get(props, "retentionInDays")
    if not days:
        return ["keeps its logs forever (no retentionInDays): set one of CloudWatch's periods"]
    if int(days) < MIN_PROD_LOG_RETENTION_DAYS:
        return [f"keeps its logs {days} days, less than {MIN_PROD_LOG_RETENTION_DAYS}"]
    return []


def _log_group_key_and_expiry(type_token: str, props: Props) -> list[str]:
    problems = []
    if not get(props, "retentionInDays"):
        problems.append("keeps its logs forever (no retentionInDays)")
    if not present(props, "kmsKeyId"):
        problems.append("is encrypted with CloudWatch's own key, not a customer-managed one")
    return problems


def _alb_waf(resources: Sequence[tuple[str, Props]]) -> list[str]:
    public = sum(
        1
        for t, p in resources
        if t == LB
        and get(p, "loadBalancerType") in (None, "application")
        and not is_true(get(p, "internal"))
    )
    associated = _count(resources, WAF_ASSOCIATION)
    if associated < public:
        return [f"{public} internet-facing ALBs but {associated} AWS WAF web ACL associations"]
    return []


# --- S3 ------------------------------------------------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def _bucket_versioning(resources: Sequence[tuple[str, Props]]) -> list[str]:
    buckets = _count(resources, BUCKET)
    enabled = sum(
        1
        for t, p in resources
        if t == BUCKET_VERSIONING and get(p, "versioningConfiguration", "status") == "Enabled"
    )
    return (
        [f"{buckets} S3 buckets but {enabled} with versioning enabled"] if enabled < buckets else []
    )


def _bucket_lifecycle(resources: Sequence[tuple[str, Props]]) -> list[str]:
    buckets = _count(resources, BUCKET)
    aborting = sum(
        1
        for t, p in resources
        if t == BUCKET_LIFECYCLE
        and any(
            get(rule, "abortIncompleteMultipartUpload", "daysAfterInitiation")
            for rule in items(get(p, "rules"))
            if get(rule, "status") == "Enabled"
        )
    )
    if aborting < buckets:
        return [
            f"{buckets} S3 buckets but {aborting} lifecycle configurations that abort "
            "incomplete multipart uploads"
        ]
    return []


# --- IAM -----------------------------------------------------------------------------------------

ROLE = "aws:iam/role:Role"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
_SERVICE_ACCOUNT = re.compile(
    r"^system:serviceaccount:[a-z0-9]([-a-z0-9.]*[a-z0-9])?:"
    r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
)
_ADMIN_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
_ZONE_ARN = re.compile(r"^arn:aws[a-z-]*:route53:::hostedzone/[A-Za-z0-9]+$")


def _condition_values(condition: Mapping[str, Any], operator: str, suffix: str) -> list[str] | None:
    block = get(condition, operator)
    if not isinstance(block, Mapping):
        return None
    for key in block:
        if str(key).endswith(suffix):
            return strings(block[key])
    return None


def _eks_issuer(st: ParsedStatement) -> bool:
    """Whether a web-identity statement trusts an EKS cluster's OIDC issuer (IRSA)."""
    federated = " ".join(strings(get(st.principal, "Federated")))
    keys = [str(k) for block in st.condition.values() if isinstance(block, Mapping) for k in block]
    return "oidc.eks." in federated or any("oidc.eks." in k for k in keys)


def _web_identity_problems(st: ParsedStatement) -> list[str]:
    """IRSA: StringEquals on exactly one service account. Other OIDC issuers (e.g. GitHub
    Actions): a :sub condition that names a subject, not a bare wildcard. Both: :aud pinned."""
    problems = []
    subjects = _condition_values(st.condition, "StringEquals", ":sub")
    if _eks_issuer(st):
        if subjects is None:
            like = _condition_values(st.condition, "StringLike", ":sub") is not None
            hint = " (StringLike is not pinning)" if like else ""
            problems.append(f"no StringEquals condition on the cluster issuer's :sub{hint}")
        elif len(subjects) != 1 or not _SERVICE_ACCOUNT.match(subjects[0]):
            problems.append(
                f":sub is {subjects}; pin exactly one system:serviceaccount:<namespace>:<name>"
            )
    else:
        subjects = subjects or _condition_values(st.condition, "StringLike", ":sub")
        if not subjects:
            problems.append("no condition on the identity provider's :sub")
        elif any(s.startswith("*") or s in ("repo:*", "") for s in subjects):
            problems.append(f":sub is {subjects}; name the subject (repository, branch)")
    audiences = _condition_values(st.condition, "StringEquals", ":aud")
    if audiences != ["sts.amazonaws.com"]:
        problems.append(f":aud is {audiences}; require StringEquals sts.amazonaws.com")
    return problems


def _irsa_trust(type_token: str, props: Props) -> list[str]:
    statements, error = parse_document(get(props, "assumeRolePolicy"))
    if error:
        return [f"assumeRolePolicy: {error}"]
    found = []
    for i, st in enumerate(statements, start=1):
        if st.effect != "Allow":
            continue
        principal = st.principal
        if principal == "*" or get(principal, "AWS") == "*":
            if not st.condition:
                found.append(f"statement {i} lets any principal assume the role")
            continue
        if allows(st, "sts:AssumeRoleWithWebIdentity"):
            found += [f"statement {i} (web identity): {p}" for p in _web_identity_problems(st)]
    return found


_ACCOUNT_PRINCIPAL = re.compile(r"^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$")


def _root_trust(type_token: str, props: Props) -> list[str]:
    statements, error = parse_document(get(props, "assumeRolePolicy"))
    if error:
        return [f"assumeRolePolicy: {error}"]
    return [
        f"statement {i} trusts the whole account {p}: any principal its own policies allow "
        "sts:AssumeRole may assume the role"
        for i, st in enumerate(statements, start=1)
        if st.effect == "Allow"
        for p in strings(get(st.principal, "AWS"))
        if _ACCOUNT_PRINCIPAL.match(p)
    ]


# Service principals that send aws:SourceAccount/aws:SourceArn when they assume a role, so the
# trust can be limited to this account's resources (their user guides' "confused deputy
# prevention" sections).
CONFUSED_DEPUTY_SERVICES = ("vpc-flow-logs.amazonaws.com", "codebuild.amazonaws.com")


def _source_scoped(type_token: str, props: Props) -> list[str]:
    statements, error = parse_document(get(props, "assumeRolePolicy"))
    if error:
        return [f"assumeRolePolicy: {error}"]
    found = []
    for i, st in enumerate(statements, start=1):
        services = [
            s for s in strings(get(st.principal, "Service")) if s in CONFUSED_DEPUTY_SERVICES
        ]
        keys = {
            str(k).lower()
            for block in st.condition.values()
            if isinstance(block, Mapping)
            for k in block
        }
        if st.effect == "Allow" and services and not keys & {"aws:sourceaccount", "aws:sourcearn"}:
            found.append(
                f"statement {i} trusts {', '.join(services)} without aws:SourceAccount or "
                "aws:SourceArn (the confused deputy)"
            )
    return found


def _admin_statement(st: ParsedStatement) -> str | None:
    if st.effect == "Allow" and "*" in st.actions and "*" in st.resources:
        return 'allows action "*" on resource "*" (full administrator)'
    return None


_admin_documents = _document_check(_admin_statement)


def _iam_no_admin(type_token: str, props: Props) -> list[str]:
    found = _admin_documents(type_token, props)
    arns = strings(get(props, "managedPolicyArns")) + strings(get(props, "policyArn"))
    found += [f"attaches {arn}" for arn in arns if _ADMIN_POLICY.match(arn)]
    return found


def _route53_statement(st: ParsedStatement) -> str | None:
    if not allows(st, "route53:ChangeResourceRecordSets"):
        return None
    loose = [r for r in st.resources if not _ZONE_ARN.match(r)]
    if loose or not st.resources:
        return (
            f"allows route53:ChangeResourceRecordSets on {loose or 'no resource'}; scope it "
            "to the hosted zone ARN(s)"
        )
    return None


def _secrets_statement(st: ParsedStatement) -> str | None:
    if not allows(st, "secretsmanager:GetSecretValue"):
        return None
    loose = [
        r
        for r in st.resources
        if r == "*" or ":secret:" not in r or r.split(":secret:", 1)[1].startswith("*")
    ]
    if loose:
        return (
            f"allows secretsmanager:GetSecretValue on {loose}; name the secrets (one role "
            "per service, its own secrets only)"
        )
    return None


# --- the registry --------------------------------------------------------------------------------

EKS_TYPES = (EKS_CLUSTER, EKS_COMPONENT)
NODE_TYPES = (NODE_GROUP, EKS_MANAGED_NODE_GROUP)

POLICIES: tuple[Policy, ...] = (
    Policy(
        name="eks-secrets-encryption",
        description="EKS encrypts Kubernetes secrets with a customer-managed KMS key.",
        source="AWS FSBP EKS.3; CIS Amazon EKS Benchmark 5.3.1",
        severity="high",
        resource_types=EKS_TYPES,
        check=_eks_secrets_encryption,
        fix="encryptionConfig {resources: [secrets], provider.keyArn} / encryptionConfigKeyArn",
        url=f"{FSBP}/eks-controls.html#eks-3",
    ),
    Policy(
        name="eks-control-plane-logging",
        description="All five EKS control-plane log types are sent to CloudWatch Logs.",
        source="AWS FSBP EKS.8; CIS Amazon EKS Benchmark 2.1.1",
        severity="medium",
        resource_types=EKS_TYPES,
        check=_eks_logging,
        fix="enabledClusterLogTypes: api, audit, authenticator, controllerManager, scheduler",
        url=f"{FSBP}/eks-controls.html#eks-8",
    ),
    Policy(
        name="eks-endpoint-private",
        description="The EKS API endpoint is private; public access, if any, is limited to "
        "listed CIDRs.",
        source="CIS Amazon EKS Benchmark 5.4.1; EKS Best Practices Guide (cluster endpoint)",
        severity="high",
        resource_types=EKS_TYPES,
        check=_eks_endpoint_private,
        fix="endpointPrivateAccess: true; endpointPublicAccess: false or publicAccessCidrs",
        url=f"{EKS_BP}/security.html",
    ),
    Policy(
        name="eks-endpoint-no-public-access",
        description="In prod the EKS API endpoint has no public access at all.",
        source="AWS FSBP EKS.1; CIS Amazon EKS Benchmark 5.4.2",
        severity="high",
        resource_types=EKS_TYPES,
        check=_eks_endpoint_no_public,
        fix="endpointPublicAccess: false",
        url=f"{FSBP}/eks-controls.html#eks-1",
        environments=PROD_ONLY,
    ),
    Policy(
        name="eks-access-entries",
        description="EKS authenticates through access entries (authenticationMode API), not the "
        "aws-auth ConfigMap.",
        source="EKS Best Practices Guide (identity and access management: access entries); "
        "CIS Amazon EKS Benchmark 5.5.1",
        severity="medium",
        resource_types=EKS_TYPES,
        check=_eks_access_entries,
        fix="authenticationMode / accessConfig.authenticationMode: API",
        url=f"{EKS_BP}/identity-and-access-management.html",
    ),
    Policy(
        name="eks-nodes-bottlerocket",
        description="Worker nodes run Bottlerocket in managed node groups.",
        source="EKS Best Practices Guide (use an OS optimized for containers); landfall R6, R10",
        severity="medium",
        resource_types=(*NODE_TYPES, EKS_COMPONENT),
        check=_bottlerocket,
        fix="amiType BOTTLEROCKET_x86_64 / BOTTLEROCKET_ARM_64; skipDefaultNodeGroup: true",
        url=f"{EKS_BP}/protecting-the-infrastructure.html",
    ),
    Policy(
        name="eks-nodes-no-ssh",
        description="Nodes have no SSH keys or remote access; operators use SSM.",
        source="EKS Best Practices Guide (minimize access to worker nodes); landfall R10",
        severity="medium",
        resource_types=(*NODE_TYPES, LAUNCH_TEMPLATE, EKS_COMPONENT),
        check=_no_ssh,
        fix="remove remoteAccess / keyName / nodePublicKey",
        url=f"{EKS_BP}/protecting-the-infrastructure.html",
    ),
    Policy(
        name="nodes-no-public-ip",
        description="Node launch templates assign no public IPs.",
        source="AWS FSBP EC2.25; CIS Amazon EKS Benchmark 5.4.3 (private nodes); landfall R14",
        severity="high",
        resource_types=(LAUNCH_TEMPLATE, EKS_COMPONENT),
        check=_nodes_no_public_ip,
        fix="networkInterfaces[].associatePublicIpAddress: false; private subnets only",
        url=f"{FSBP}/ec2-controls.html#ec2-25",
    ),
    Policy(
        name="subnet-no-auto-public-ip",
        description="Subnets do not assign public IPs to instances automatically.",
        source="AWS FSBP EC2.15",
        severity="medium",
        resource_types=(SUBNET,),
        check=_subnet_no_public_ip,
        fix="mapPublicIpOnLaunch: false",
        url=f"{FSBP}/ec2-controls.html#ec2-15",
    ),
    Policy(
        name="imdsv2-required",
        description="Nodes require IMDSv2 (session tokens) with a hop limit of at most 2.",
        source="AWS FSBP EC2.170; EKS Best Practices Guide (restrict access to the instance "
        "profile); landfall R14",
        severity="high",
        resource_types=(LAUNCH_TEMPLATE, *NODE_TYPES),
        check=_imdsv2,
        fix="launch template metadataOptions.httpTokens: required",
        url=f"{FSBP}/ec2-controls.html#ec2-170",
    ),
    Policy(
        name="volumes-encrypted",
        description="Node volumes are encrypted.",
        source="AWS FSBP EC2.181, EC2.3; landfall R14",
        severity="high",
        resource_types=(LAUNCH_TEMPLATE, *NODE_TYPES, EKS_COMPONENT),
        check=_volumes_encrypted,
        fix="launch template blockDeviceMappings[].ebs.encrypted: 'true' (with a KMS key)",
        url=f"{FSBP}/ec2-controls.html#ec2-181",
    ),
    Policy(
        name="sg-no-world-ingress",
        description="No security group admits 0.0.0.0/0 or ::/0 except on TCP 80/443 (the "
        "internet-facing load balancer).",
        source="AWS FSBP EC2.18, EC2.19, EC2.53; CIS AWS Foundations Benchmark 5.2, 5.3; "
        "landfall R14",
        severity="high",
        resource_types=(SG, SG_RULE, VPC_INGRESS),
        check=_sg_no_world_ingress,
        fix="admit security groups or VPC CIDRs instead of the internet",
        url=f"{FSBP}/ec2-controls.html#ec2-18",
    ),
    Policy(
        name="sg-rules-described",
        description="Every security group rule says what it is for.",
        source="AWS VPC User Guide (security group rule descriptions); landfall R14 review",
        severity="low",
        resource_types=(SG, SG_RULE, VPC_INGRESS, VPC_EGRESS),
        check=_sg_rules_described,
        fix="give every rule a description",
        url="https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    ),
    Policy(
        name="stateful-resources-alarmed",
        description="Every RDS instance and OpenSearch domain has a CloudWatch alarm that names "
        "it and notifies (an alarm action).",
        source="AWS Well-Architected Reliability REL06 (monitor workload resources); landfall R30",
        severity="medium",
        resource_types=(),
        check=None,
        stack_check=_stateful_alarmed,
        fix="add alarms for it (landfall/logic/alarms.py) with the environment's topic as action",
        url="https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_monitor_aws_resources_monitor_resources.html",
    ),
    Policy(
        name="stateful-resources-backed-up",
        description="Every RDS instance is in an AWS Backup selection (a plan of recovery "
        "points kept apart from the instance's own automated backups).",
        source="AWS FSBP RDS.26 (RDS DB instances should be protected by a backup plan); "
        "landfall R30",
        severity="medium",
        resource_types=(),
        check=None,
        stack_check=_stateful_backed_up,
        fix="add the instance's ARN to the environment's backup selection "
        "(components/network/backups.py)",
        url=f"{FSBP}/rds-controls.html#rds-26",
    ),
    Policy(
        name="vpc-flow-logs",
        description="Every VPC has a flow log of ALL (at least REJECT) traffic.",
        source="AWS FSBP EC2.6; CIS AWS Foundations Benchmark (VPC flow logging)",
        severity="medium",
        resource_types=(FLOW_LOG,),
        check=_flow_log,
        stack_check=_every_vpc_has_flow_log,
        fix="add an aws.ec2.FlowLog with trafficType ALL per VPC",
        url=f"{FSBP}/ec2-controls.html#ec2-6",
    ),
    Policy(
        name="vpc-default-sg-closed",
        description="Every VPC's default security group is managed and has no rules.",
        source="AWS FSBP EC2.2; CIS AWS Foundations Benchmark (default security group)",
        severity="high",
        resource_types=(DEFAULT_SG,),
        check=_default_sg_closed,
        stack_check=_every_vpc_has_default_sg,
        fix="aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], egress=[])",
        url=f"{FSBP}/ec2-controls.html#ec2-2",
    ),
    Policy(
        name="nat-gateway-per-az",
        description="Private subnets' egress survives the loss of a zone: one NAT gateway per "
        "availability zone.",
        source="Amazon VPC User Guide (NAT gateways: one per AZ for zone-independent egress); "
        "AWS Well-Architected REL10",
        severity="low",
        resource_types=(),
        check=None,
        stack_check=_nat_per_az,
        fix="network.natGateways: per-az",
        url="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html",
    ),
    Policy(
        name="alb-http-to-https-redirect",
        description="HTTP listeners only redirect to HTTPS.",
        source="AWS FSBP ELB.1",
        severity="medium",
        resource_types=(LISTENER,),
        check=_alb_redirect,
        fix="defaultActions [{type: redirect, redirect: {protocol: HTTPS, statusCode: HTTP_301}}]",
        url=f"{FSBP}/elb-controls.html#elb-1",
    ),
    Policy(
        name="lb-tls-policy",
        description="HTTPS/TLS listeners accept only TLS 1.2 and later.",
        source="AWS FSBP ELB.17",
        severity="medium",
        resource_types=(LISTENER,),
        check=_lb_tls_policy,
        fix="sslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06",
        url=f"{FSBP}/elb-controls.html#elb-17",
    ),
    Policy(
        name="alb-drop-invalid-headers",
        description="Application load balancers drop invalid HTTP header fields.",
        source="AWS FSBP ELB.4",
        severity="medium",
        resource_types=(LB,),
        check=_alb_drop_headers,
        fix="dropInvalidHeaderFields: true",
        url=f"{FSBP}/elb-controls.html#elb-4",
    ),
    Policy(
        name="alb-access-logs",
        description="Application load balancers write access logs to S3.",
        source="AWS FSBP ELB.5",
        severity="medium",
        resource_types=(LB,),
        check=_alb_access_logs,
        fix="accessLogs: {enabled: true, bucket: ...}",
        url=f"{FSBP}/elb-controls.html#elb-5",
    ),
    Policy(
        name="lb-deletion-protection",
        description="In prod load balancers have deletion protection.",
        source="AWS FSBP ELB.6",
        severity="medium",
        resource_types=(LB,),
        check=_must_be_true("enableDeletionProtection"),
        fix="enableDeletionProtection: true",
        url=f"{FSBP}/elb-controls.html#elb-6",
        environments=PROD_ONLY,
    ),
    Policy(
        name="rds-not-public",
        description="RDS instances are not publicly accessible.",
        source="AWS FSBP RDS.2",
        severity="critical",
        resource_types=(RDS,),
        check=_rds_not_public,
        fix="publiclyAccessible: false; data subnets only",
        url=f"{FSBP}/rds-controls.html#rds-2",
    ),
    Policy(
        name="rds-encrypted",
        description="RDS storage is encrypted at rest.",
        source="AWS FSBP RDS.3",
        severity="high",
        resource_types=(RDS,),
        check=_must_be_true("storageEncrypted"),
        fix="storageEncrypted: true (kmsKeyId: a customer-managed key)",
        url=f"{FSBP}/rds-controls.html#rds-3",
    ),
    Policy(
        name="rds-backups",
        description="RDS automatic backups are on.",
        source="AWS FSBP RDS.11",
        severity="medium",
        resource_types=(RDS,),
        check=_rds_backups,
        fix="backupRetentionPeriod: 1 or more days",
        url=f"{FSBP}/rds-controls.html#rds-11",
    ),
    Policy(
        name="rds-iam-auth",
        description="RDS accepts IAM database authentication.",
        source="AWS FSBP RDS.10",
        severity="medium",
        resource_types=(RDS,),
        check=_must_be_true("iamDatabaseAuthenticationEnabled"),
        fix="iamDatabaseAuthenticationEnabled: true",
        url=f"{FSBP}/rds-controls.html#rds-10",
    ),
    Policy(
        name="rds-log-exports",
        description="RDS publishes its audit, error and slow-query logs to CloudWatch Logs.",
        source="AWS FSBP RDS.9",
        severity="medium",
        resource_types=(RDS,),
        check=_rds_logs,
        fix="enabledCloudwatchLogsExports: [audit, error, slowquery] (MariaDB)",
        url=f"{FSBP}/rds-controls.html#rds-9",
    ),
    Policy(
        name="rds-enhanced-monitoring",
        description="RDS instances publish Enhanced Monitoring metrics.",
        source="AWS FSBP RDS.6",
        severity="low",
        resource_types=(RDS,),
        check=_rds_monitoring,
        fix="database.monitoringIntervalSeconds: 60 (or finer)",
        url=f"{FSBP}/rds-controls.html#rds-6",
    ),
    Policy(
        name="rds-performance-insights-encrypted",
        description="RDS Performance Insights is on and encrypted with a customer managed key.",
        source="AWS FSBP RDS (Performance Insights encryption); RDS User Guide",
        severity="low",
        resource_types=(RDS,),
        check=_rds_performance_insights,
        fix="performanceInsightsEnabled: true with performanceInsightsKmsKeyId the data key",
        url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.html",
    ),
    Policy(
        name="rds-multi-az",
        description="RDS instances are Multi-AZ.",
        source="AWS FSBP RDS.5",
        severity="medium",
        resource_types=(RDS,),
        check=_rds_multi_az,
        fix="database.multiAz: true",
        url=f"{FSBP}/rds-controls.html#rds-5",
    ),
    Policy(
        name="rds-deletion-protection",
        description="In prod RDS instances have deletion protection and take a final snapshot.",
        source="AWS FSBP RDS.8; landfall quality bar (stateful resources protected in prod)",
        severity="high",
        resource_types=(RDS,),
        check=_rds_deletion_protection,
        fix="deletionProtection: true; skipFinalSnapshot: false (the default)",
        url=f"{FSBP}/rds-controls.html#rds-8",
        environments=PROD_ONLY,
    ),
    Policy(
        name="rds-managed-master-password",
        description="RDS manages the master password in Secrets Manager; none is in the program.",
        source="landfall R19; Amazon RDS User Guide (password management with Secrets Manager)",
        severity="high",
        resource_types=(RDS,),
        check=_rds_managed_password,
        fix="manageMasterUserPassword: true; no password",
        url="https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html",
    ),
    Policy(
        name="opensearch-in-vpc",
        description="OpenSearch domains live in the VPC behind a security group.",
        source="AWS FSBP Opensearch.2",
        severity="critical",
        resource_types=(SEARCH,),
        check=_search_in_vpc,
        fix="vpcOptions: {subnetIds: data subnets, securityGroupIds: [...]}",
        url=f"{FSBP}/opensearch-controls.html#opensearch-2",
    ),
    Policy(
        name="opensearch-encryption",
        description="OpenSearch encrypts data at rest and between nodes.",
        source="AWS FSBP Opensearch.1, Opensearch.3",
        severity="high",
        resource_types=(SEARCH,),
        check=_search_encryption,
        fix="encryptAtRest.enabled: true; nodeToNodeEncryption.enabled: true",
        url=f"{FSBP}/opensearch-controls.html#opensearch-1",
    ),
    Policy(
        name="opensearch-https-only",
        description="OpenSearch accepts only HTTPS with TLS 1.2 or later.",
        source="AWS FSBP Opensearch.8",
        severity="high",
        resource_types=(SEARCH,),
        check=_search_https,
        fix="domainEndpointOptions: {enforceHttps: true, tlsSecurityPolicy: "
        "Policy-Min-TLS-1-2-PFS-2023-10}",
        url=f"{FSBP}/opensearch-controls.html#opensearch-8",
    ),
    Policy(
        name="opensearch-fine-grained-access",
        description="OpenSearch uses fine-grained access control with an IAM master user.",
        source="AWS FSBP Opensearch.7; landfall R19 (no passwords in state)",
        severity="high",
        resource_types=(SEARCH,),
        check=_search_fine_grained,
        fix="advancedSecurityOptions: {enabled: true, internalUserDatabaseEnabled: false, "
        "masterUserOptions.masterUserArn: ...}",
        url=f"{FSBP}/opensearch-controls.html#opensearch-7",
    ),
    Policy(
        name="opensearch-logs",
        description="OpenSearch publishes error (application) and audit logs to CloudWatch Logs.",
        source="AWS FSBP Opensearch.4, Opensearch.5",
        severity="medium",
        resource_types=(SEARCH,),
        check=_search_logs,
        fix="logPublishingOptions for ES_APPLICATION_LOGS and AUDIT_LOGS",
        url=f"{FSBP}/opensearch-controls.html#opensearch-4",
    ),
    Policy(
        name="opensearch-high-availability",
        description="OpenSearch has at least three data nodes across zones and three dedicated "
        "master nodes.",
        source="AWS FSBP Opensearch.6, Opensearch.11",
        severity="medium",
        resource_types=(SEARCH,),
        check=_search_ha,
        fix="search.instanceCount >= 3, zoneAwareness: true, dedicatedMasterType set",
        url=f"{FSBP}/opensearch-controls.html#opensearch-6",
    ),
    Policy(
        name="kms-key-rotation",
        description="Symmetric KMS keys rotate automatically.",
        source="AWS FSBP KMS.4; CIS AWS Foundations Benchmark (KMS key rotation)",
        severity="medium",
        resource_types=(KMS_KEY,),
        check=_kms_rotation,
        fix="enableKeyRotation: true",
        url=f"{FSBP}/kms-controls.html#kms-4",
    ),
    Policy(
        name="ecr-scan-on-push",
        description="ECR repositories scan images on push.",
        source="AWS FSBP ECR.1; CIS Amazon EKS Benchmark 5.1.1",
        severity="high",
        resource_types=(ECR_REPO,),
        check=_must_be_true("imageScanningConfiguration", "scanOnPush"),
        fix="imageScanningConfiguration: {scanOnPush: true}",
        url=f"{FSBP}/ecr-controls.html#ecr-1",
    ),
    Policy(
        name="ecr-immutable-tags",
        description="ECR image tags are immutable.",
        source="AWS FSBP ECR.2; landfall R4",
        severity="medium",
        resource_types=(ECR_REPO,),
        check=_ecr_immutable,
        fix="imageTagMutability: IMMUTABLE",
        url=f"{FSBP}/ecr-controls.html#ecr-2",
    ),
    Policy(
        name="ecr-lifecycle-policy",
        description="Every ECR repository has a lifecycle policy.",
        source="AWS FSBP ECR.3",
        severity="low",
        resource_types=(),
        check=None,
        stack_check=_ecr_lifecycle,
        fix="add an aws.ecr.LifecyclePolicy per repository",
        url=f"{FSBP}/ecr-controls.html#ecr-3",
    ),
    Policy(
        name="ecr-mirror-templated",
        description="Every ECR pull-through cache prefix has a repository creation template "
        "(for pull-through repositories) with a lifecycle policy.",
        source="AWS FSBP ECR.3 (lifecycle policies), applied to the repositories ECR creates "
        "on first pull; ECR User Guide, repository creation templates",
        severity="low",
        resource_types=(),
        check=None,
        stack_check=_mirror_templated,
        fix="add an aws.ecr.RepositoryCreationTemplate with the rule's prefix, appliedFors "
        "[PULL_THROUGH_CACHE] and a lifecyclePolicy (components/network/image_mirror.py)",
        url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html",
    ),
    Policy(
        name="log-retention",
        description=f"Prod's CloudWatch log groups (audit, access, flow logs) are kept at least "
        f"{MIN_PROD_LOG_RETENTION_DAYS} days.",
        source="AWS FSBP CloudWatch.16; CIS Amazon EKS Benchmark 2.1.1 (audit logs)",
        severity="medium",
        resource_types=(LOG_GROUP,),
        check=_log_retention,
        fix="set the group's retention setting (e.g. cluster.logRetentionDays) to 365 or more",
        url=f"{FSBP}/cloudwatch-controls.html#cloudwatch-16",
        environments=PROD_ONLY,
    ),
    Policy(
        name="log-groups-keyed-and-expiring",
        description="Every CloudWatch log group has a retention and a customer-managed KMS key.",
        source="AWS FSBP CloudWatch.16 (retention); landfall R30 (every log group)",
        severity="medium",
        resource_types=(LOG_GROUP,),
        check=_log_group_key_and_expiry,
        fix="create the group with kms_log_group() (components/base.py) before its writer",
        url=f"{FSBP}/cloudwatch-controls.html#cloudwatch-16",
    ),
    Policy(
        name="alb-waf",
        description="Every internet-facing Application Load Balancer has an AWS WAF web ACL.",
        source="AWS FSBP ELB.16",
        severity="medium",
        resource_types=(),
        check=None,
        stack_check=_alb_waf,
        fix="loadBalancer.waf.enabled: true (a web ACL with AWS managed rules and a rate limit)",
        url=f"{FSBP}/elb-controls.html#elb-16",
    ),
    Policy(
        name="s3-bucket-versioning",
        description="Every S3 bucket keeps object versions.",
        source="AWS FSBP S3.14",
        severity="low",
        resource_types=(),
        check=None,
        stack_check=_bucket_versioning,
        fix="add an aws.s3.BucketVersioning with status Enabled per bucket (and expire "
        "noncurrent versions in its lifecycle)",
        url=f"{FSBP}/s3-controls.html#s3-14",
    ),
    Policy(
        name="s3-lifecycle",
        description="Every S3 bucket has a lifecycle configuration that aborts incomplete "
        "multipart uploads.",
        source="AWS FSBP S3.13; Amazon S3 User Guide (abort incomplete multipart uploads)",
        severity="low",
        resource_types=(),
        check=None,
        stack_check=_bucket_lifecycle,
        fix="abortIncompleteMultipartUpload: {daysAfterInitiation: 7} in an enabled rule",
        url=f"{FSBP}/s3-controls.html#s3-13",
    ),
    Policy(
        name="irsa-trust-pinned",
        description="IRSA trust policies are pinned to one service account (StringEquals :sub "
        "and :aud sts.amazonaws.com); other web identities name their subject; no role trusts "
        "everyone.",
        source="EKS Best Practices Guide (scope the IRSA trust policy to the service account); "
        "CIS Amazon EKS Benchmark 5.2.1",
        severity="high",
        resource_types=(ROLE,),
        check=_irsa_trust,
        fix="StringEquals {<issuer>:sub: system:serviceaccount:<ns>:<sa>, <issuer>:aud: "
        "sts.amazonaws.com}",
        url=f"{EKS_BP}/identity-and-access-management.html",
    ),
    Policy(
        name="iam-trust-named-principals",
        description="No role trusts a whole account (its root): roles name the principals "
        "that may assume them.",
        source="AWS IAM User Guide, security best practices (least privilege; the confused "
        "deputy); AWS FSBP IAM.21",
        severity="high",
        resource_types=(ROLE,),
        check=_root_trust,
        fix="Principal: {AWS: [<role ARN>, ...]} naming the roles (e.g. the cluster-admin SSO "
        "roles)",
        url="https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
    ),
    Policy(
        name="service-trust-source-scoped",
        description="Roles that AWS services assume for this account's resources say so "
        "(aws:SourceAccount / aws:SourceArn) where the service sends those keys.",
        source="AWS IAM User Guide, 'The confused deputy problem'; VPC and CodeBuild user "
        "guides (confused deputy prevention)",
        severity="medium",
        resource_types=(ROLE,),
        check=_source_scoped,
        fix="Condition: StringEquals aws:SourceAccount <account>, ArnLike aws:SourceArn <the "
        "resources' ARN pattern>",
        url="https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    ),
    Policy(
        name="iam-no-admin",
        description='No IAM policy allows action "*" on resource "*" and no role gets '
        "AdministratorAccess.",
        source="AWS FSBP IAM.1; CIS AWS Foundations Benchmark 1.16",
        severity="critical",
        resource_types=(*IAM_TYPES, ROLE_ATTACHMENT),
        check=_iam_no_admin,
        fix="grant the specific actions on the specific resources",
        url=f"{FSBP}/iam-controls.html#iam-1",
    ),
    Policy(
        name="route53-changes-scoped-to-zones",
        description="route53:ChangeResourceRecordSets is granted only on named hosted zones "
        "(external-dns).",
        source="landfall R18; EKS Best Practices Guide (least-privilege IRSA policies)",
        severity="high",
        resource_types=IAM_TYPES,
        check=_document_check(_route53_statement),
        fix="Resource: arn:aws:route53:::hostedzone/<zone id>",
        url=f"{EKS_BP}/identity-and-access-management.html",
    ),
    Policy(
        name="secrets-access-scoped",
        description="secretsmanager:GetSecretValue is granted only on named secrets.",
        source="landfall R19; AWS Secrets Manager User Guide (least privilege)",
        severity="high",
        resource_types=IAM_TYPES,
        check=_document_check(_secrets_statement),
        fix="Resource: arn:aws:secretsmanager:<region>:<account>:secret:<name>-*",
        url="https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access.html",
    ),
)

_BY_NAME = {p.name: p for p in POLICIES}


def policy_named(name: str) -> Policy | None:
    return _BY_NAME.get(name)


def stack_violations(policy: Policy, resources: Iterable[tuple[str, Props]]) -> list[str]:
    """Violations of ``policy``'s stack-level rule (none if it has no such rule)."""
    if policy.stack_check is None:
        return []
    return policy.stack_check(list(resources))
