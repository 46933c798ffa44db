"""Mocked provider behaviour: realistic placeholder outputs per resource type, and invokes.

Every value made up here is a placeholder for what AWS would compute (IDs, ARNs, endpoints);
the inventory says so. Layers register extra invoke handlers with ``@invoke(token)``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import pulumi

from landfall.logic.prerequisites import service_linked_role

PLACEHOLDER_NOTE = (
    "Provider-computed values (IDs, ARNs, endpoints, DNS names, kubeconfig) are placeholders "
    "made up by the offline mocks; everything the program sets itself is real."
)

# The ELB log-delivery account per region (AWS docs: "Enable access logs for your ALB").
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-central-1": "054676820928",
}

# ARN service names where they differ from the pulumi-aws module name.
_ARN_SERVICE = {
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "opensearch": "es",
    "cloudwatch": "logs",
    "secretsmanager": "secretsmanager",
}
_GLOBAL_SERVICES = {"iam", "route53", "s3"}


@dataclass
class MockContext:
    """What the mocks know about the environment being planned."""

    region: str = "eu-west-2"
    account_id: str = "111111111111"
    upstream_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Answers for invokes that look things up in the account (e.g. SSO roles), by token.
    lookups: dict[str, Any] = field(default_factory=dict)

    def arn(self, service: str, resource: str) -> str:
        """The ARN of a regional resource in this environment's account and region."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


class ProviderError(grpc.RpcError):
    """An invoke the provider fails (a lookup of something absent), delivered to the program as
    the engine delivers it: a gRPC error whose details are the provider's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self.message


InvokeHandler = Callable[[dict[str, Any], MockContext], dict[str, Any]]
OutputHandler = Callable[[str, dict[str, Any], MockContext], dict[str, Any]]
INVOKES: dict[str, InvokeHandler] = {}
OUTPUTS: dict[str, OutputHandler] = {}


def invoke(token: str) -> Callable[[InvokeHandler], InvokeHandler]:
    def register(fn: InvokeHandler) -> InvokeHandler:
        INVOKES[token] = fn
        return fn

    return register


def outputs(token: str) -> Callable[[OutputHandler], OutputHandler]:
    def register(fn: OutputHandler) -> OutputHandler:
        OUTPUTS[token] = fn
        return fn

    return register


def short_hash(text: str, length: int = 7) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def ec2_id(prefix: str, seed: str) -> str:
    """An EC2-style ID (``vpc-``, ``sg-``, ...: the prefix and 17 hex digits)."""
    return f"{prefix}-{short_hash(seed, 17)}"


def physical_name(name: str) -> str:
    """What Pulumi auto-naming would produce: the logical name plus a random suffix."""
    return f"{name}-{short_hash(name)}"


def arn_for(type_token: str, name: str, ctx: MockContext) -> str:
    module = type_token.split(":")[1].split("/")[0]
    service = _ARN_SERVICE.get(module, module)
    kind = type_token.rsplit(":", 1)[-1].lower()
    if service in _GLOBAL_SERVICES:
        account = "" if service in ("route53", "s3") else ctx.account_id
        return f"arn:aws:{service}::{account}:{kind}/{name}"
    return ctx.arn(service, f"{kind}/{name}")


class PlatformMocks(pulumi.runtime.Mocks):
    def __init__(self, ctx: MockContext) -> None:
        self.ctx = ctx

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        inputs = dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            stack = str(inputs["name"]).rsplit("/", 1)[-1]
            layer = stack.rpartition("-")[2]
            return stack, {
                "name": inputs["name"],
                "outputs": self.ctx.upstream_outputs.get(layer, {}),
                "secretOutputNames": [],
            }
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", inputs
        state = dict(inputs)
        resource_id = f"{args.name}-{short_hash(args.typ + args.name)}"
        if args.typ.startswith("aws:"):
            state.setdefault("arn", arn_for(args.typ, inputs.get("name", args.name), self.ctx))
            state.setdefault("tagsAll", inputs.get("tags", {}))
        handler = OUTPUTS.get(args.typ)
        if handler is not None:
            state.update(handler(args.name, inputs, self.ctx))
            resource_id = state.get("id", resource_id)
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        handler = INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"the offline harness has no mock for invoke {args.token}; add one in "
                "landfall/harness/mocks.py"
            )
        return handler(dict(args.args), self.ctx), []


# --- invokes ------------------------------------------------------------------------------------


_DIRECTIONS = {"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}


def zone_id_prefix(region: str) -> str:
    """AWS zone-ID prefix of a region: eu-west-2 -> euw2, ap-southeast-2 -> apse2."""
    *area, direction, number = region.split("-")
    return "".join(area) + _DIRECTIONS.get(direction, direction[0]) + number


@invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def _azs(args: dict, ctx: MockContext) -> dict:
    letters = "abc"
    return {
        "names": [f"{ctx.region}{x}" for x in letters],
        "zoneIds": [f"{zone_id_prefix(ctx.region)}-az{i}" for i in range(1, len(letters) + 1)],
        "state": "available",
        "id": ctx.region,
    }


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _caller(args: dict, ctx: MockContext) -> dict:
    return {
        "accountId": ctx.account_id,
        "arn": f"arn:aws:sts::{ctx.account_id}:assumed-role/deployer/landfall",
        "userId": "AROAPLACEHOLDER:landfall",
        "id": ctx.account_id,
    }


@invoke("aws:index/getPartition:getPartition")
def _partition(args: dict, ctx: MockContext) -> dict:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}


@invoke("aws:index/getRegion:getRegion")
def _region(args: dict, ctx: MockContext) -> dict:
    return {"name": ctx.region, "region": ctx.region, "id": ctx.region}


@invoke("aws:elb/getServiceAccount:getServiceAccount")
def _elb_account(args: dict, ctx: MockContext) -> dict:
    account = ELB_ACCOUNTS.get(ctx.region, "000000000000")
    return {"arn": f"arn:aws:iam::{account}:root", "id": account}


def render_policy_document(args: dict) -> dict:
    """Render getPolicyDocument statements the way the AWS provider does."""
    statements = []
    for st in args.get("statements") or []:
        out: dict[str, Any] = {}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect", "Allow")
        for key, name in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            values = st.get(key)
            if values:
                out[name] = values[0] if len(values) == 1 else sorted(values)
        for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if st.get(key):
                principal: dict[str, Any] = {}
                for p in st[key]:
                    ids = p["identifiers"]
                    principal[p["type"]] = ids[0] if len(ids) == 1 else ids
                out[name] = "*" if principal == {"*": "*"} else principal
        if st.get("conditions"):
            condition: dict[str, dict[str, Any]] = {}
            for c in st["conditions"]:
                values = c["values"]
                condition.setdefault(c["test"], {})[c["variable"]] = (
                    values[0] if len(values) == 1 else values
                )
            out["Condition"] = condition
        statements.append(out)
    document = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    text = json.dumps(document, indent=2)
    return {"json": text, "minifiedJson": json.dumps(document, separators=(",", ":")), "id": "doc"}


invoke("aws:iam/getPolicyDocument:getPolicyDocument")(
    lambda args, ctx: render_policy_document(args)
)


# --- computed outputs per resource type ---------------------------------------------------------


@outputs("aws:ec2/vpc:Vpc")
def _vpc(name: str, inputs: dict, ctx: MockContext) -> dict:
    return {
        "id": ec2_id("vpc", name),
        "defaultSecurityGroupId": ec2_id("sg", name + "default"),
        "mainRouteTableId": ec2_id("rtb", name),
    }


@outputs("aws:ec2/subnet:Subnet")
def _subnet(name: str, inputs: dict, ctx: MockContext) -> dict:
    return {"id": ec2_id("subnet", name)}


@outputs("aws:ec2/securityGroup:SecurityGroup")
def _sg(name: str, inputs: dict, ctx: MockContext) -> dict:
    return {"id": ec2_id("sg", name), "name": inputs.get("name", physical_name(name))}


@outputs("aws:route53/zone:Zone")
def _zone(name: str, inputs: dict, ctx: MockContext) -> dict:
    zone_id = f"Z{short_hash(name, 20).upper()}"
    return {
        "zoneId": zone_id,
        "arn": f"arn:aws:route53:::hostedzone/{zone_id}",
        "nameServers": [f"ns-{i}.awsdns-placeholder.net" for i in range(4)],
    }


@outputs("aws:acm/certificate:Certificate")
def _certificate(name: str, inputs: dict, ctx: MockContext) -> dict:
    domains = [inputs["domainName"], *inputs.get("subjectAlternativeNames", [])]
    # Like ACM, a name and its wildcard get the same validation record.
    return {
        "arn": ctx.arn("acm", f"certificate/{short_hash(name, 32)}"),
        "domainValidationOptions": [
            {
                "domainName": d,
                "resourceRecordName": f"_{short_hash(base, 32)}.{base}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{short_hash(base + 'v', 32)}.acm-validations.aws.",
            }
            for d in domains
            for base in [d.removeprefix("*.")]
        ],
    }


@outputs("aws:lb/loadBalancer:LoadBalancer")
def _alb(name: str, inputs: dict, ctx: MockContext) -> dict:
    lb_name = inputs.get("name", physical_name(name)[:32])
    suffix = f"app/{lb_name}/{short_hash(name, 16)}"
    return {
        "arn": ctx.arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "dnsName": f"{lb_name}-{short_hash(name, 10)}.{ctx.region}.elb.amazonaws.com",
        "zoneId": "ZHURV8PSTC4K8",
    }


@outputs("aws:lb/targetGroup:TargetGroup")
def _tg(name: str, inputs: dict, ctx: MockContext) -> dict:
    tg_name = inputs.get("name", physical_name(name)[:32])
    suffix = f"targetgroup/{tg_name}/{short_hash(name, 16)}"
    return {
        "arn": ctx.arn("elasticloadbalancing", suffix),
        "arnSuffix": suffix,
    }


@outputs("aws:rds/instance:Instance")
def _rds(name: str, inputs: dict, ctx: MockContext) -> dict:
    ident = inputs.get("identifier", physical_name(name))
    address = f"{ident}.placeholder.{ctx.region}.rds.amazonaws.com"
    return {
        "arn": ctx.arn("rds", f"db:{ident}"),
        "address": address,
        "endpoint": f"{address}:3306",
        "port": inputs.get("port", 3306),
        # DbiResourceId: "db-" and 26 upper-case characters, what rds-db:connect ARNs name.
        "resourceId": f"db-{short_hash(name, 26).upper()}",
        "masterUserSecrets": [
            {
                "secretArn": ctx.arn(
                    "secretsmanager", f"secret:rds!db-{short_hash(name, 36)}-AbCdEf"
                ),
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ],
    }


@outputs("aws:opensearch/domain:Domain")
def _search(name: str, inputs: dict, ctx: MockContext) -> dict:
    domain = inputs.get("domainName", name)
    return {
        "arn": ctx.arn("es", f"domain/{domain}"),
        "endpoint": f"vpc-{domain}-{short_hash(name, 26)}.{ctx.region}.es.amazonaws.com",
        "domainId": f"{ctx.account_id}/{domain}",
    }


@outputs("aws:sns/topic:Topic")
def _topic(name: str, inputs: dict, ctx: MockContext) -> dict:
    # arn:aws:sns:<region>:<account>:<name>: no resource-type segment, unlike most services.
    return {"arn": ctx.arn("sns", inputs.get("name", physical_name(name)))}


@outputs("aws:ecr/repository:Repository")
def _ecr(name: str, inputs: dict, ctx: MockContext) -> dict:
    repo = inputs.get("name", name)
    return {
        "arn": ctx.arn("ecr", f"repository/{repo}"),
        "registryId": ctx.account_id,
        "repositoryUrl": f"{ctx.account_id}.dkr.ecr.{ctx.region}.amazonaws.com/{repo}",
    }


@outputs("aws:kms/key:Key")
def _kms(name: str, inputs: dict, ctx: MockContext) -> dict:
    key_id = f"{short_hash(name, 8)}-0000-4000-8000-{short_hash(name + 'k', 12)}"
    return {"keyId": key_id, "arn": ctx.arn("kms", f"key/{key_id}")}


@outputs("aws:s3/bucket:Bucket")
def _bucket(name: str, inputs: dict, ctx: MockContext) -> dict:
    bucket = inputs.get("bucket", physical_name(name))
    return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}", "id": bucket}


@outputs("aws:iam/role:Role")
def _role(name: str, inputs: dict, ctx: MockContext) -> dict:
    role = inputs.get("name", physical_name(name))
    path = inputs.get("path", "/")
    return {"name": role, "arn": f"arn:aws:iam::{ctx.account_id}:role{path}{role}", "id": role}


@outputs("aws:iam/policy:Policy")
def _policy(name: str, inputs: dict, ctx: MockContext) -> dict:
    policy = inputs.get("name", physical_name(name))
    return {"arn": f"arn:aws:iam::{ctx.account_id}:policy/{policy}"}


@outputs("aws:cloudwatch/logGroup:LogGroup")
def _log_group(name: str, inputs: dict, ctx: MockContext) -> dict:
    group = inputs.get("name", physical_name(name))
    return {"arn": ctx.arn("logs", f"log-group:{group}"), "name": group}


@outputs("aws:route53/record:Record")
def _record(name: str, inputs: dict, ctx: MockContext) -> dict:
    return {"fqdn": str(inputs.get("name", name)).rstrip(".")}


@invoke("aws:ecr/getLifecyclePolicyDocument:getLifecyclePolicyDocument")
def _ecr_lifecycle(args: dict, ctx: MockContext) -> dict:
    rules = []
    for rule in args.get("rules") or []:
        selection = {k: v for k, v in (rule.get("selection") or {}).items() if v is not None}
        rules.append(
            {
                "rulePriority": rule["priority"],
                "description": rule.get("description", ""),
                "selection": selection,
                "action": {"type": (rule.get("action") or {}).get("type", "expire")},
            }
        )
    return {"json": json.dumps({"rules": rules}), "id": "lifecycle"}


# --- gitops stack -------------------------------------------------------------------------------

SECRET_VERSION = "aws:secretsmanager/getSecretVersion:getSecretVersion"
# What the gitops stack's deploy key secret holds (a JSON object, see docs/gitops.md); made up.
PLACEHOLDER_DEPLOY_KEY = json.dumps(
    {
        "identity": "placeholder private key made up by the offline mocks",
        "identity.pub": "ssh-ed25519 AAAAplaceholder flux",
        "known_hosts": "github.com ssh-ed25519 AAAAplaceholder",
    }
)


@invoke(SECRET_VERSION)
def _secret_version(args: dict, ctx: MockContext) -> dict:
    """``ctx.lookups[SECRET_VERSION]`` maps secret IDs to values (an unknown ID fails as AWS
    would); without it every secret holds the placeholder deploy key."""
    secret_id = args["secretId"]
    secrets = ctx.lookups.get(SECRET_VERSION)
    if secrets is None:
        value = PLACEHOLDER_DEPLOY_KEY
    elif secret_id in secrets:
        value = secrets[secret_id]
    else:
        raise KeyError(f"ResourceNotFoundException: Secrets Manager can't find {secret_id!r}")
    return {
        "id": secret_id,
        "secretId": secret_id,
        "arn": ctx.arn("secretsmanager", f"secret:{secret_id}-AbCdEf"),
        "secretString": value,
        "versionId": "00000000-0000-4000-8000-000000000000",
        "versionStages": ["AWSCURRENT"],
    }


# --- bootstrap stack: the account as it is before it (a fresh one unless ctx.lookups says) -------

OIDC_PROVIDER = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"
SECRETS = "aws:secretsmanager/getSecrets:getSecrets"
KMS_ALIAS = "aws:kms/getAlias:getAlias"


@invoke(OIDC_PROVIDER)
def _oidc_provider_lookup(args: dict, ctx: MockContext) -> dict:
    """``ctx.lookups[OIDC_PROVIDER]``: the ARNs of the account's OIDC providers (none in a fresh
    account); an absent one fails as the provider reports IAM's NoSuchEntity."""
    arn = args["arn"]
    if arn not in ctx.lookups.get(OIDC_PROVIDER, []):
        raise ProviderError(
            f"reading IAM OIDC Provider ({arn}): operation error IAM: "
            "GetOpenIDConnectProvider, StatusCode: 404, NoSuchEntity: OpenIDConnect Provider "
            f"not found for arn {arn}"
        )
    return {"arn": arn, "url": arn.split("oidc-provider/", 1)[1], "clientIdLists": [], "id": arn}


@invoke(SECRETS)
def _secrets(args: dict, ctx: MockContext) -> dict:
    """``ctx.lookups[SECRETS]``: names of the account's secrets (none in a fresh account); the
    ``name`` filter matches prefixes, as Secrets Manager's ListSecrets does."""
    wanted = [v for f in args.get("filters", []) if f["name"] == "name" for v in f["values"]]
    names = [n for n in ctx.lookups.get(SECRETS, []) if any(n.startswith(w) for w in wanted)]
    return {
        "arns": [ctx.arn("secretsmanager", f"secret:{n}-{short_hash(n, 6)}") for n in names],
        "names": names,
        "id": ctx.region,
    }


@invoke(KMS_ALIAS)
def _kms_alias(args: dict, ctx: MockContext) -> dict:
    """The secrets-provider key's alias exists unless ``ctx.lookups[KMS_ALIAS]`` lists the
    aliases: `landfall bootstrap ENV` creates it before any stack can run."""
    name = args["name"]
    aliases = ctx.lookups.get(KMS_ALIAS)
    if aliases is not None and name not in aliases:
        raise ProviderError(f"reading KMS Alias ({name}): couldn't find resource")
    key_id = f"{short_hash(name, 8)}-0000-4000-8000-{short_hash(name, 12)}"
    return {
        "arn": ctx.arn("kms", name),
        "name": name,
        "targetKeyId": key_id,
        "targetKeyArn": ctx.arn("kms", f"key/{key_id}"),
        "id": ctx.arn("kms", name),
    }


@outputs("aws:iam/serviceLinkedRole:ServiceLinkedRole")
def _service_linked_role(name: str, inputs: dict, ctx: MockContext) -> dict:
    role = service_linked_role(inputs["awsServiceName"])
    return {"arn": role.arn(ctx.account_id), "name": role.role_name, "path": role.path}


@outputs("aws:route53/keySigningKey:KeySigningKey")
def _key_signing_key(name: str, inputs: dict, ctx: MockContext) -> dict:
    """Route 53's DS record for the key: key tag, algorithm 13 (ECDSA P-256 SHA-256), digest
    type 2 (SHA-256) and the digest, the form the parent's DS record takes."""
    key_tag = int(short_hash(name, 4), 16)
    return {
        "dsRecord": f"{key_tag} 13 2 {short_hash(name, 64).upper()}",
        "keyTag": key_tag,
        "signingAlgorithmMnemonic": "ECDSAP256SHA256",
        "hostedZoneId": inputs.get("hostedZoneId"),
    }


@outputs("aws:secretsmanager/secret:Secret")
def _secret(name: str, inputs: dict, ctx: MockContext) -> dict:
    secret = inputs.get("name", name)
    arn = ctx.arn("secretsmanager", f"secret:{secret}-{short_hash(secret, 6)}")
    return {"arn": arn, "id": arn}


# --- cluster stack ------------------------------------------------------------------------------

SSO_ROLES = "aws:iam/getRoles:getRoles"


@invoke(SSO_ROLES)
def _roles(args: dict, ctx: MockContext) -> dict:
    """IAM roles under ``pathPrefix`` whose name matches ``nameRegex``, as AWS filters them.

    ``ctx.lookups[SSO_ROLES]`` is the account's list of role ARNs. Without it the account has
    exactly one Identity Center role for every permission set asked about (the name regex is
    ``^AWSReservedSSO_<set>_<hex>{16}$``), so a plan of a committed environment resolves, and
    no other role: no service-linked role, as in a fresh account.
    """
    prefix = args.get("pathPrefix") or "/"
    pattern = re.compile(args.get("nameRegex") or ".*")
    arns = ctx.lookups.get(SSO_ROLES)
    if arns is None:
        wanted = re.match(r"^\^AWSReservedSSO_(.+)_\[", pattern.pattern)
        arns = []
        if wanted:
            permission_set = re.sub(r"\\(.)", r"\1", wanted[1])
            name = f"AWSReservedSSO_{permission_set}_{short_hash(permission_set, 16)}"
            arns = [f"arn:aws:iam::{ctx.account_id}:role{prefix}{ctx.region}/{name}"]
    found = []
    for arn in arns:
        path_and_name = arn.split(":role", 1)[1]
        path, _, name = path_and_name.rpartition("/")
        if f"{path}/".startswith(prefix) and pattern.search(name):
            found.append((arn, name))
    return {
        "arns": [arn for arn, _ in found],
        "names": [name for _, name in found],
        "id": ctx.region,
    }


SESSION_CONTEXT = "aws:iam/getSessionContext:getSessionContext"


@invoke(SESSION_CONTEXT)
def _session_context(args: dict, ctx: MockContext) -> dict:
    """The role behind an assumed-role session ARN (path "/" here; AWS looks the path up).
    ``ctx.lookups[SESSION_CONTEXT]``, if set, is the issuer's role ARN (path included): the
    deployment then runs as that role, e.g. an Identity Center role."""
    arn = args["arn"]
    found = re.match(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)/(.+)$", arn)
    if not found:
        return {"arn": arn, "issuerArn": arn, "issuerId": "", "issuerName": "", "id": arn}
    account, role, session = found.groups()
    return {
        "arn": arn,
        "issuerArn": ctx.lookups.get(SESSION_CONTEXT, f"arn:aws:iam::{account}:role/{role}"),
        "issuerId": "AROAPLACEHOLDER",
        "issuerName": role,
        "sessionName": session,
        "id": arn,
    }


def _kubeconfig(name: str, endpoint: str, ca: str, region: str) -> dict:
    """The kubeconfig pulumi-eks generates: authentication through ``aws eks get-token``."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubernetes",
                "cluster": {"server": endpoint, "certificate-authority-data": ca},
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": "kubernetes", "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "--region",
                            region,
                            "eks",
                            "get-token",
                            "--cluster-name",
                            name,
                            "--output",
                            "json",
                        ],
                        "env": [
                            {
                                "name": "KUBERNETES_EXEC_INFO",
                                "value": '{"apiVersion": "client.authentication.k8s.io/v1beta1"}',
                            }
                        ],
                    }
                },
            }
        ],
    }


@outputs("eks:index:Cluster")
def _eks_cluster(name: str, inputs: dict, ctx: MockContext) -> dict:
    """pulumi-eks's Cluster is one opaque resource under mocks: only its plain outputs are made
    up (resource-typed outputs such as ``eksCluster`` and ``core`` are left out)."""
    cluster = inputs.get("name", physical_name(name))
    issuer = f"oidc.eks.{ctx.region}.amazonaws.com/id/{short_hash(cluster, 32).upper()}"
    endpoint = f"https://{short_hash(cluster, 32).upper()}.gr7.{ctx.region}.eks.amazonaws.com"
    ca = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCnBsYWNlaG9sZGVyCg=="
    kubeconfig = _kubeconfig(cluster, endpoint, ca, ctx.region)
    security_group = ec2_id("sg", cluster + "eks-cluster-sg")
    node_security_group = (
        security_group
        if inputs.get("skipDefaultSecurityGroups")
        else ec2_id("sg", cluster + "node")
    )
    return {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        "oidcProviderArn": f"arn:aws:iam::{ctx.account_id}:oidc-provider/{issuer}",
        "oidcProviderUrl": f"https://{issuer}",
        "oidcIssuer": issuer,
        "clusterSecurityGroupId": security_group,
        "nodeSecurityGroupId": node_security_group,
    }


def _eks_uuid(name: str) -> str:
    """The UUID EKS appends to node group and add-on ARNs."""
    return f"{short_hash(name, 8)}-0000-0000-0000-{short_hash(name + 'uuid', 12)}"


@outputs("aws:eks/nodeGroup:NodeGroup")
def _node_group(name: str, inputs: dict, ctx: MockContext) -> dict:
    group = inputs.get("nodeGroupName", physical_name(name))
    cluster = inputs.get("clusterName", "cluster")
    return {
        "id": f"{cluster}:{group}",
        "nodeGroupName": group,
        "arn": ctx.arn("eks", f"nodegroup/{cluster}/{group}/{_eks_uuid(name)}"),
        "status": "ACTIVE",
    }


@outputs("aws:ec2/launchTemplate:LaunchTemplate")
def _launch_template(name: str, inputs: dict, ctx: MockContext) -> dict:
    template_id = ec2_id("lt", name)
    return {
        "id": template_id,
        "arn": ctx.arn("ec2", f"launch-template/{template_id}"),
        "latestVersion": 1,
        "defaultVersion": 1,
    }


@outputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc_provider(name: str, inputs: dict, ctx: MockContext) -> dict:
    host = str(inputs["url"]).removeprefix("https://")
    return {"arn": f"arn:aws:iam::{ctx.account_id}:oidc-provider/{host}"}


@outputs("aws:eks/addon:Addon")
def _addon(name: str, inputs: dict, ctx: MockContext) -> dict:
    cluster, addon = inputs.get("clusterName", "cluster"), inputs["addonName"]
    return {
        "id": f"{cluster}:{addon}",
        "arn": ctx.arn("eks", f"addon/{cluster}/{addon}/{_eks_uuid(name)}"),
    }


@outputs("aws:eks/accessEntry:AccessEntry")
def _access_entry(name: str, inputs: dict, ctx: MockContext) -> dict:
    cluster = inputs.get("clusterName", "cluster")
    return {
        "id": f"{cluster}:{inputs['principalArn']}",
        "accessEntryArn": ctx.arn(
            "eks", f"access-entry/{cluster}/role/{ctx.account_id}/{short_hash(name, 12)}"
        ),
    }
