"""The cluster stack under Pulumi mocks, fed the network stack's own (mock-run) outputs.

Everything asserted here is an input our code sets (pulumi-eks's Cluster is one opaque resource
under mocks, so its security-relevant arguments are asserted on what we pass it).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import tomllib
from typing import Any, ClassVar

import pytest
from project import committed_settings
from stack_queries import of_type, one

import landfall.plan.harness.runner as runner
from landfall.config import load_environment
from landfall.config.errors import ConfigError
from landfall.logic.contracts import ClusterOutputs, output_names
from landfall.logic.versions import ADDON_VERSIONS
from landfall.plan.harness import StackPlan, plan_environment
from landfall.plan.harness.mocks import SESSION_CONTEXT, SSO_ROLES, PlatformMocks
from landfall.plan.harness.monitor import RecordedResource, RecordingMonitor
from landfall.program.iam import EBS_CSI_POLICIES, NODE_POLICIES, VPC_CNI_POLICIES

CLOUD = ("test", "prod")
EKS = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
SECRET_SIG, SECRET_VALUE = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/eu-west-2/"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

# IRSA role (logical name) -> the service account allowed to assume it.
WORKLOAD_ROLES = {
    "vpc-cni": ("kube-system", "aws-node"),
    "ebs-csi-driver": ("kube-system", "ebs-csi-controller-sa"),
    "aws-load-balancer-controller": ("kube-system", "aws-load-balancer-controller"),
    "external-dns": ("external-dns", "external-dns"),
    "flux-source-controller": ("flux-system", "source-controller"),
    "cluster-autoscaler": ("kube-system", "cluster-autoscaler"),
    # The add-on's agent and Fluent Bit share this service account (its chart's templates).
    "cloudwatch-observability": ("amazon-cloudwatch", "cloudwatch-agent"),
    "service-payments": ("payments", "payments"),
}


# --- helpers ------------------------------------------------------------------------------------


def raw_config(env: str) -> dict[str, Any]:
    return committed_settings(env)


def plan_cluster(env: str, raw: dict[str, Any] | None = None, **kwargs: Any) -> StackPlan:
    layers = ("bootstrap", "network", "cluster")
    plan = plan_environment(env, raw_config=raw, layers=layers, **kwargs)
    return plan.stacks["cluster"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: str) -> list[dict[str, Any]]:
    return json.loads(document)["Statement"]


def trust(plan: StackPlan, role: str) -> list[dict[str, Any]]:
    return statements(one(plan, ROLE, role).inputs["assumeRolePolicy"])


def inline(plan: StackPlan, role: str) -> list[dict[str, Any]]:
    return statements(one(plan, ROLE_POLICY, role).inputs["policy"])


def attachments(plan: StackPlan, role: str) -> set[str]:
    return {r.inputs["policyArn"] for r in of_type(plan, ATTACHMENT) if r.name.startswith(role)}


def grants(document: list[dict[str, Any]]) -> dict[str, list[str]]:
    """action -> resources, over every Allow statement."""
    result: dict[str, list[str]] = {}
    for st in document:
        for action in as_list(st["Action"]):
            result.setdefault(action, []).extend(as_list(st["Resource"]))
    return result


def unwrap_secret(value: Any) -> Any:
    assert isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE, "not a secret"
    return value["value"]


def depends_on(resource: RecordedResource, other: RecordedResource) -> bool:
    return other.urn in resource.options["dependsOn"]


def waits_for(plan: StackPlan, resource: RecordedResource, other: RecordedResource) -> bool:
    """``resource`` depends on ``other`` directly or through other resources' dependsOn."""
    by_urn = {r.urn: r for r in plan.resources}
    seen, todo = set(), list(resource.options["dependsOn"])
    while todo:
        urn = todo.pop()
        if urn == other.urn:
            return True
        if urn not in seen and urn in by_urn:
            seen.add(urn)
            todo += by_urn[urn].options["dependsOn"]
    return False


@pytest.fixture(params=CLOUD)
def env(request) -> str:
    return request.param


@pytest.fixture
def plan(env, env_plan) -> StackPlan:
    return env_plan(env).stacks["cluster"]


@pytest.fixture
def net(env, env_plan) -> dict[str, Any]:
    return env_plan(env).stacks["network"].outputs


@pytest.fixture
def cfg(env):
    return load_environment(env, raw_config(env))


# --- control plane ------------------------------------------------------------------------------


def test_the_cluster_sits_in_the_network_stacks_private_subnets(plan, net, cfg):
    inputs = one(plan, EKS).inputs
    assert inputs["name"] == cfg.name_prefix
    assert inputs["vpcId"] == net["vpcId"]
    assert inputs["subnetIds"] == net["privateSubnetIds"]
    assert not set(inputs["subnetIds"]) & set(net["publicSubnetIds"])


def test_control_plane_security_settings(env, plan, net, cfg):
    inputs = one(plan, EKS).inputs
    assert inputs["version"] == cfg.cluster.kubernetes_version
    assert inputs["authenticationMode"] == "API"
    assert inputs["encryptionConfigKeyArn"] == net["clusterKmsKeyArn"]
    assert inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert inputs["endpointPrivateAccess"] is True
    assert inputs["kubernetesServiceIpAddressRange"] == cfg.cluster.service_cidr
    assert inputs["createOidcProvider"] is True
    if env == "prod":
        assert inputs["endpointPublicAccess"] is False
        assert "publicAccessCidrs" not in inputs
        assert inputs["deletionProtection"] is True
    else:
        assert inputs["endpointPublicAccess"] is True
        assert inputs["publicAccessCidrs"] == ["203.0.113.0/24"]
        assert "0.0.0.0/0" not in inputs["publicAccessCidrs"]
        assert inputs["deletionProtection"] is False


def test_the_component_creates_nothing_we_manage_ourselves(plan):
    inputs = one(plan, EKS).inputs
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["createInstanceRole"] is False
    assert inputs["skipDefaultSecurityGroups"] is True
    assert inputs["bootstrapSelfManagedAddons"] is False
    assert inputs["useDefaultVpcCni"] is True
    assert inputs["kubeProxyAddonOptions"]["enabled"] is False
    assert inputs["corednsAddonOptions"]["enabled"] is False
    for unused in ("accessEntries", "roleMappings", "userMappings", "instanceRoles"):
        assert unused not in inputs


def test_control_plane_logs_go_to_an_encrypted_retained_group(env, plan, net, cfg):
    group = one(plan, "aws:cloudwatch/logGroup:LogGroup", "eks-control-plane")
    assert group.inputs["name"] == f"/aws/eks/{cfg.name_prefix}/cluster"
    assert group.inputs["kmsKeyId"] == net["dataKmsKeyArn"]
    assert group.inputs["retentionInDays"] == cfg.cluster.log_retention_days
    assert group.options["protect"] is group.options["retainOnDelete"] is (env == "prod")
    assert depends_on(one(plan, EKS), group)


class TransformRecordingMocks(PlatformMocks):
    """Records the transforms registered on pulumi-eks's Cluster (the mocks do not run them)."""

    seen: ClassVar[list[Any]] = []

    def new_resource(self, args):
        if args.typ == EKS:
            TransformRecordingMocks.seen = list(args.transforms)
        return super().new_resource(args)


def _child_cluster_props(transforms: list[Any]) -> dict[str, Any]:
    """What pulumi-eks would register as its aws:eks/cluster:Cluster, after our transforms."""
    import pulumi

    props: dict[str, Any] = {
        "accessConfig": {
            "authenticationMode": "API",
            "bootstrapClusterCreatorAdminPermissions": True,  # hard-coded by pulumi-eks
        }
    }
    for transform in transforms:
        args = pulumi.ResourceTransformArgs(
            custom=True,
            type_="aws:eks/cluster:Cluster",
            name="eks-eksCluster",
            props=props,
            opts=pulumi.ResourceOptions(),
        )
        result = transform(args)
        props = result.props if result is not None else props
    return props


def test_the_creator_does_not_silently_keep_cluster_admin(monkeypatch):
    monkeypatch.setattr(runner, "PlatformMocks", TransformRecordingMocks)
    plan = plan_cluster("test")
    child = _child_cluster_props(TransformRecordingMocks.seen)
    assert child["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    # The deploying identities' admin access is explicit, previewable entries instead: CI's
    # deploy role (the bootstrap stack's) and the cluster-admin SSO mapping.
    deployer = one(plan, ACCESS_ENTRY, "access-ci-deploy")
    assert (
        deployer.inputs["principalArn"] == "arn:aws:iam::111111111111:role/landfall-test-ci-deploy"
    )
    admins = {a.name: a for a in of_type(plan, ACCESS_POLICY)}
    assert set(admins) == {
        "access-ci-deploy-cluster-admin",
        "access-sso-PlatformAdmin-cluster-admin",
    }
    for association in admins.values():
        assert association.inputs["policyArn"] == CLUSTER_ADMIN
        assert association.inputs["accessScope"] == {"type": "cluster"}


def test_a_kept_creator_that_is_a_mapped_sso_role_fails_before_anything_is_declared(
    monkeypatch,
):
    raw = raw_config("test")
    raw["landfall:cluster"] = {
        **raw["landfall:cluster"],
        "keepCreatorAdmin": True,
        "ssoMappings": [
            {
                "permissionSet": "PlatformAdmin",
                "kubernetesGroup": "admins",
                "access": "cluster-admin",
            }
        ],
    }
    role = _sso_role("PlatformAdmin", "0123456789abcdef")
    monitors: list[RecordingMonitor] = []

    class Recording(RecordingMonitor):
        def __init__(self, mocks: Any) -> None:
            super().__init__(mocks)
            monitors.append(self)

    monkeypatch.setattr(runner, "RecordingMonitor", Recording)
    with pytest.raises(ConfigError, match="keepCreatorAdmin"):
        plan_cluster("test", raw, lookups={SSO_ROLES: [role], SESSION_CONTEXT: role})
    cluster_run = monitors[-1]
    declared = {r.type for r in cluster_run.recorded}
    assert declared <= {"pulumi:providers:aws", "pulumi:pulumi:StackReference"}, declared


def test_keep_creator_admin_keeps_the_bootstrap_grant_and_adds_no_deployer_entry(monkeypatch):
    monkeypatch.setattr(runner, "PlatformMocks", TransformRecordingMocks)
    raw = raw_config("test")
    raw["landfall:cluster"] = {**raw["landfall:cluster"], "keepCreatorAdmin": True}
    plan = plan_cluster("test", raw)
    child = _child_cluster_props(TransformRecordingMocks.seen)
    assert child["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True
    # EKS makes the creator's entry; none is declared for it (the caller here: role/deployer).
    principals = {r.inputs["principalArn"] for r in of_type(plan, ACCESS_ENTRY)}
    assert "arn:aws:iam::111111111111:role/deployer" not in principals


def test_rbac_waits_for_the_admin_grant_to_propagate(plan):
    """Access entries are eventually consistent: Kubernetes calls right after the association
    can be refused, so the first one (through the RBAC provider) waits 30s after it."""
    associations = of_type(plan, ACCESS_POLICY)
    [sleep] = of_type(plan, "time:index/sleep:Sleep")
    assert sleep.inputs["createDuration"] == "30s"
    assert associations and all(a.urn in sleep.options["dependsOn"] for a in associations)
    on_cluster = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert on_cluster and all(sleep.urn in r.options["dependsOn"] for r in on_cluster)


# --- nodes --------------------------------------------------------------------------------------


def test_exactly_one_bottlerocket_node_group_per_zone(plan, net, cfg):
    groups = of_type(plan, NODE_GROUP)
    assert len(groups) == 3
    subnets = [g.inputs["subnetIds"] for g in groups]
    assert all(len(s) == 1 for s in subnets)
    # Each group in its own zone's private subnet, as the network stack placed them.
    zone_of = dict(zip(net["privateSubnetIds"], net["availabilityZones"], strict=True))
    zones = [zone_of[s[0]] for s in subnets]
    assert sorted(zones) == sorted(net["availabilityZones"]) and len(set(zones)) == 3
    for group, zone in zip(groups, zones, strict=True):
        assert group.inputs["labels"]["landfall.io/node-group"] == zone
        assert group.inputs["amiType"] == "BOTTLEROCKET_x86_64"
        assert group.inputs["version"] == cfg.cluster.kubernetes_version
        assert group.inputs["clusterName"] == cfg.name_prefix
        assert group.inputs["updateConfig"] == {"maxUnavailable": 1}
        assert group.inputs["labels"]["bottlerocket.aws/updater-interface-version"] == "2.0.0"
        assert "diskSize" not in group.inputs and "remoteAccess" not in group.inputs


def test_spot_with_interchangeable_types_in_test_on_demand_in_prod(env, plan, cfg):
    for group in of_type(plan, NODE_GROUP):
        if env == "test":
            assert group.inputs["capacityType"] == "SPOT"
            assert len(set(group.inputs["instanceTypes"])) >= 3
        else:
            assert group.inputs["capacityType"] == "ON_DEMAND"
        assert group.inputs["instanceTypes"] == cfg.cluster.nodes.instance_types
        assert group.inputs["scalingConfig"] == {
            "minSize": cfg.cluster.nodes.min_size,
            "desiredSize": cfg.cluster.nodes.desired_size,
            "maxSize": cfg.cluster.nodes.max_size,
        }


def test_launch_template_imdsv2_encryption_no_public_ip_security_groups(plan, net, cfg):
    template = one(plan, LAUNCH_TEMPLATE)
    inputs = template.inputs
    assert inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    volumes = {m["deviceName"]: m["ebs"] for m in inputs["blockDeviceMappings"]}
    assert set(volumes) == {"/dev/xvda", "/dev/xvdb"}
    for ebs in volumes.values():
        assert ebs["encrypted"] == "true"
        assert ebs["volumeType"] == "gp3"
        assert ebs["kmsKeyId"] == net["clusterKmsKeyArn"]
    assert volumes["/dev/xvdb"]["volumeSize"] == cfg.cluster.nodes.disk_size_gb
    [interface] = inputs["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    assert "subnetId" not in interface  # the node group chooses the subnet
    cluster_sg = plan.outputs["clusterSecurityGroupId"]
    assert interface["securityGroups"] == [cluster_sg, net["dataAccessSecurityGroupId"]]
    assert "vpcSecurityGroupIds" not in inputs  # not allowed together with network interfaces
    for forbidden in ("iamInstanceProfile", "imageId", "keyName", "instanceType"):
        assert forbidden not in inputs  # managed node groups set these, or nobody may
    settings = tomllib.loads(base64.b64decode(inputs["userData"]).decode())["settings"]
    assert settings["host-containers"]["admin"]["enabled"] is False
    assert settings["host-containers"]["control"]["enabled"] is True
    for group in of_type(plan, NODE_GROUP):
        assert group.inputs["launchTemplate"]["id"].startswith("lt-")
        assert depends_on(group, template)


def test_node_groups_roll_one_zone_at_a_time_after_the_networking_add_ons(plan):
    groups = of_type(plan, NODE_GROUP)
    networking = [one(plan, ADDON, "addons-vpc-cni"), one(plan, ADDON, "addons-kube-proxy")]
    assert all(depends_on(groups[0], addon) for addon in networking)
    for previous, group in itertools.pairwise(groups):
        assert depends_on(group, previous)
        assert not depends_on(previous, group)


def test_node_role_has_only_what_nodes_need(plan):
    assert trust(plan, "nodes-role") == [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com"},
        }
    ]
    assert attachments(plan, "nodes-role") == set(NODE_POLICIES)
    assert not any(p.endswith("AmazonEKS_CNI_Policy") for p in attachments(plan, "nodes-role"))
    # Beyond the managed policies, only filling the image mirror (tests/test_images.py).
    [inline] = [r for r in of_type(plan, ROLE_POLICY) if r.name == "nodes-role"]
    actions = {a for s in json.loads(inline.inputs["policy"])["Statement"] for a in s["Action"]}
    assert actions == {"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}
    for group in of_type(plan, NODE_GROUP):
        assert group.inputs["nodeRoleArn"] == plan.outputs["nodeRoleArn"]


# --- add-ons ------------------------------------------------------------------------------------


def test_add_ons_are_pinned_per_kubernetes_version(plan, cfg):
    versions = ADDON_VERSIONS[cfg.cluster.kubernetes_version]
    pinned = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in of_type(plan, ADDON)}
    assert pinned == {
        "vpc-cni": versions.vpc_cni,
        "kube-proxy": versions.kube_proxy,
        "coredns": versions.coredns,
        "aws-ebs-csi-driver": versions.ebs_csi_driver,
        "amazon-cloudwatch-observability": versions.cloudwatch_observability,
    }
    for addon in of_type(plan, ADDON):
        assert addon.inputs["clusterName"] == cfg.name_prefix
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"


def test_vpc_cni_enforces_network_policy_with_its_own_role(plan):
    cni = one(plan, ADDON, "addons-vpc-cni")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni.inputs["serviceAccountRoleArn"] == plan.outputs["vpcCniRoleArn"]
    assert attachments(plan, "vpc-cni") == set(VPC_CNI_POLICIES)


def test_coredns_and_ebs_csi_wait_for_every_node_group(plan):
    groups = of_type(plan, NODE_GROUP)
    for name in ("workload-addons-coredns", "workload-addons-aws-ebs-csi-driver"):
        addon = one(plan, ADDON, name)
        assert all(depends_on(addon, group) for group in groups), name
    for name in ("addons-vpc-cni", "addons-kube-proxy"):
        assert not any(depends_on(one(plan, ADDON, name), g) for g in groups)


def test_ebs_csi_driver_has_its_own_role_able_to_use_the_volume_key(plan, net):
    ebs = one(plan, ADDON, "workload-addons-aws-ebs-csi-driver")
    assert ebs.inputs["serviceAccountRoleArn"] == plan.outputs["ebsCsiDriverRoleArn"]
    assert attachments(plan, "ebs-csi-driver") == set(EBS_CSI_POLICIES)
    policy = inline(plan, "ebs-csi-driver")
    allowed = grants(policy)
    for action in ("kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"):
        assert allowed[action] == [net["dataKmsKeyArn"]], action
    create_grant = next(s for s in policy if "kms:CreateGrant" in as_list(s["Action"]))
    assert create_grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_the_ebs_csi_driver_can_do_its_documented_calls_and_no_more(plan, net, cfg):
    """Least privilege that does not break the driver: what it does for a PVC (create a tagged
    volume, attach, snapshot and delete its own volumes, use the key through EC2) is allowed by
    the V2 managed policy and the inline key policy; volumes it did not create, and the key
    outside EC2, are not."""
    from iam_decisions import allowed, managed_policy

    [attached] = attachments(plan, "ebs-csi-driver")
    docs = [managed_policy(attached), one(plan, ROLE_POLICY, "ebs-csi-driver").inputs["policy"]]
    volume = f"arn:aws:ec2:{cfg.region}:{cfg.account_id}:volume/vol-0123"
    ours = {"ec2:ResourceTag/ebs.csi.aws.com/cluster": "true"}
    key, via_ec2 = net["dataKmsKeyArn"], {"kms:ViaService": f"ec2.{cfg.region}.amazonaws.com"}
    decisions = {
        ("ec2:CreateVolume", volume, "aws:RequestTag/ebs.csi.aws.com/cluster"): True,
        ("ec2:AttachVolume", volume, "ours"): True,
        ("ec2:DeleteVolume", volume, "ours"): True,
        ("ec2:DeleteVolume", volume, "not ours"): False,
        ("ec2:AttachVolume", volume, "not ours"): False,
        ("kms:Decrypt", key, "via ec2"): True,
        ("kms:Decrypt", key, "direct"): False,
    }
    contexts = {
        "aws:RequestTag/ebs.csi.aws.com/cluster": {
            "aws:RequestTag/ebs.csi.aws.com/cluster": "true"
        },
        "ours": ours,
        "not ours": {},
        "via ec2": via_ec2,
        "direct": {},
    }
    found = {k: allowed(docs, k[0], k[1], contexts[k[2]]) for k in decisions}
    assert found == decisions


# --- workload identity --------------------------------------------------------------------------


def test_every_workload_trust_is_pinned_to_its_service_account(plan):
    provider_arn = plan.outputs["oidcProviderArn"]
    issuer = provider_arn.split(":oidc-provider/", 1)[1]
    assert plan.outputs["oidcIssuer"] == f"https://{issuer}"
    for role, (namespace, account) in WORKLOAD_ROLES.items():
        [statement] = trust(plan, role)
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity", role
        assert statement["Principal"] == {"Federated": provider_arn}, role
        assert statement["Condition"] == {
            "StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        }, role


def test_external_dns_may_change_records_in_the_environment_zone_only(plan, net):
    allowed = grants(inline(plan, "external-dns"))
    assert allowed["route53:ChangeResourceRecordSets"] == [net["hostedZoneArn"]]
    assert set(allowed) == {
        "route53:ChangeResourceRecordSets",
        "route53:ListResourceRecordSets",
        "route53:ListTagsForResources",
        "route53:ListHostedZones",
    }
    assert allowed["route53:ListResourceRecordSets"] == [net["hostedZoneArn"]]
    assert attachments(plan, "external-dns") == set()


def test_load_balancer_controller_binds_pods_and_creates_only_internal_tagged_lbs(plan, net, cfg):
    policy = inline(plan, "aws-load-balancer-controller")
    allowed = grants(policy)
    assert not any(action == "*" or action.endswith(":*") for action in allowed)
    by_sid = {s["Sid"]: s for s in policy}
    assert as_list(by_sid["BindPodsToNetworkStackTargetGroups"]["Resource"]) == sorted(
        net["targetGroupArns"].values()
    )
    node_sg = plan.outputs["nodeSecurityGroupId"]
    assert by_sid["OpenNodesToLoadBalancers"]["Resource"].endswith(f":security-group/{node_sg}")
    create = by_sid["CreateInternalLoadBalancersOnly"]
    assert sorted(as_list(create["Resource"])) == [
        f"arn:aws:elasticloadbalancing:eu-west-2:{cfg.account_id}:loadbalancer/{kind}/k8s-*/*"
        for kind in ("app", "net")
    ]
    assert create["Condition"] == {
        "StringEquals": {
            "aws:RequestTag/elbv2.k8s.aws/cluster": cfg.name_prefix,
            "elasticloadbalancing:Scheme": "internal",
        }
    }
    assert allowed["elasticloadbalancing:CreateLoadBalancer"] == as_list(create["Resource"])
    assert by_sid["ManageOwnLoadBalancers"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/elbv2.k8s.aws/cluster": cfg.name_prefix}
    }
    # The network stack's internet-facing ALB, its listeners and rules are out of reach (R15).
    network_alb = net["albArn"].split(":loadbalancer/")[1].split("/")[1]
    assert network_alb == f"landfall-{cfg.environment}-public"
    for action, resources in allowed.items():
        if not action.startswith("elasticloadbalancing:") or ":Describe" in action:
            continue
        for resource in resources:
            assert network_alb not in resource, (action, resource)
            if any(
                kind in resource for kind in (":loadbalancer/", ":listener/", ":listener-rule/")
            ):
                assert "/k8s-*/" in resource, (action, resource)


def test_each_service_reads_only_its_own_secrets(plan, net, cfg):
    assert set(plan.outputs["serviceRoleArns"]) == {s.name for s in cfg.services}
    for service in cfg.services:
        allowed = grants(inline(plan, f"service-{service.name}"))
        prefix = f"arn:aws:secretsmanager:{cfg.region}:{cfg.account_id}:secret:"
        assert allowed["secretsmanager:GetSecretValue"] == [
            f"{prefix}{cfg.environment}/{service.name}/*"
        ]
        assert allowed["kms:Decrypt"] == [net["secretsKmsKeyArn"]]
        data_actions = {"rds-db:connect"} if service.database else set()
        if service.search:
            data_actions |= {f"es:ESHttp{m}" for m in ("Delete", "Get", "Head", "Post", "Put")}
        assert set(allowed) == {
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "kms:Decrypt",
            *data_actions,
        }
        decrypt = next(
            s for s in inline(plan, f"service-{service.name}") if s["Sid"].startswith("Decrypt")
        )
        assert decrypt["Condition"] == {
            "StringEquals": {"kms:ViaService": f"secretsmanager.{cfg.region}.amazonaws.com"}
        }


def test_flux_source_controller_pulls_charts_from_ecr(plan, net, cfg):
    allowed = grants(inline(plan, "flux-source-controller"))
    repositories = sorted(
        f"arn:aws:ecr:{cfg.region}:{cfg.account_id}:repository/{name}"
        for name in net["chartRepositoryUrls"]
    )
    assert allowed["ecr:BatchGetImage"] == repositories
    assert allowed["ecr:GetDownloadUrlForLayer"] == repositories
    assert allowed["ecr:GetAuthorizationToken"] == ["*"]
    assert not any(a.startswith("ecr:Put") or a.startswith("ecr:Delete") for a in allowed)


# --- CI notifier (R5) ---------------------------------------------------------------------------


def test_ci_notifier_is_trusted_by_the_deploy_workflows_of_this_repository_only(plan, cfg):
    # The account's one GitHub provider is the bootstrap stack's (tests/test_bootstrap.py).
    assert of_type(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    [statement] = trust(plan, "ci-notifier")
    host = "token.actions.githubusercontent.com"
    assert statement["Principal"] == {
        "Federated": f"arn:aws:iam::{cfg.account_id}:oidc-provider/{host}"
    }
    assert statement["Condition"] == {
        "StringEquals": {
            f"{host}:aud": "sts.amazonaws.com",
            f"{host}:sub": "repo:example/landfall:ref:refs/heads/main",
        }
    }
    assert grants(inline(plan, "ci-notifier")) == {
        "eks:DescribeCluster": [
            f"arn:aws:eks:{cfg.region}:{cfg.account_id}:cluster/{cfg.name_prefix}"
        ]
    }


def test_ci_notifier_may_only_get_list_patch_flux_objects(plan):
    entry = one(plan, ACCESS_ENTRY, "access-ci-notifier")
    assert entry.inputs["principalArn"] == plan.outputs["notifierRoleArn"]
    assert entry.inputs["kubernetesGroups"] == ["flux-notifiers"]
    assert entry.inputs["type"] == "STANDARD"
    role = one(plan, CLUSTER_ROLE, "landfall-flux-notifier")
    assert "labels" not in role.inputs["metadata"]
    assert {tuple(r["verbs"]) for r in role.inputs["rules"]} == {("get", "list", "patch")}
    assert {g for r in role.inputs["rules"] for g in r["apiGroups"]} == {
        "source.toolkit.fluxcd.io",
        "kustomize.toolkit.fluxcd.io",
        "helm.toolkit.fluxcd.io",
    }
    assert not any("*" in r["resources"] or "*" in r["verbs"] for r in role.inputs["rules"])
    binding = one(plan, BINDING, "rbac-notifier")
    assert binding.inputs["roleRef"]["name"] == "landfall:flux-notifier"
    assert binding.inputs["subjects"] == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "flux-notifiers"}
    ]
    # Only the notifier's own binding names its group.
    bound = [b for b in of_type(plan, BINDING) if "flux-notifiers" in json.dumps(b.inputs)]
    assert bound == [binding]


# --- human access (R12, R13) --------------------------------------------------------------------


def test_sso_groups_get_access_entries_with_the_full_role_arn(plan, cfg):
    for mapping in cfg.cluster.sso_mappings:
        entry = one(plan, ACCESS_ENTRY, f"access-sso-{mapping.permission_set}")
        arn = entry.inputs["principalArn"]
        assert f":role{SSO_PATH}AWSReservedSSO_{mapping.permission_set}_" in arn
        assert entry.inputs["kubernetesGroups"] == [mapping.kubernetes_group]
        assert entry.inputs["type"] == "STANDARD"


def test_sso_groups_are_bound_to_their_access_level(plan, cfg):
    for mapping in cfg.cluster.sso_mappings:
        binding = one(plan, BINDING, f"rbac-{mapping.kubernetes_group}")
        assert binding.inputs["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": mapping.access,
        }
        assert binding.inputs["subjects"] == [
            {
                "kind": "Group",
                "apiGroup": "rbac.authorization.k8s.io",
                "name": mapping.kubernetes_group,
            }
        ]


def test_flux_permissions_roll_up_through_aggregation_labels(plan):
    labels = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"].get("labels")
        for r in of_type(plan, CLUSTER_ROLE)
    }
    assert labels == {
        "landfall:flux-view": {"rbac.authorization.k8s.io/aggregate-to-view": "true"},
        "landfall:flux-edit": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"},
        "landfall:flux-admin": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"},
        "landfall:flux-notifier": None,
    }
    view = one(plan, CLUSTER_ROLE, "landfall-flux-view")
    assert {tuple(r["verbs"]) for r in view.inputs["rules"]} == {("get", "list", "watch")}


def test_rbac_is_applied_with_this_clusters_kubeconfig_after_the_deployer_is_admin(plan):
    provider = one(plan, "pulumi:providers:kubernetes", "rbac")
    kubeconfig = json.loads(unwrap_secret(provider.inputs["kubeconfig"]))
    assert kubeconfig == json.loads(plan.outputs["kubeconfig"])
    admin = one(plan, ACCESS_POLICY, "access-ci-deploy-cluster-admin")
    for resource in [*of_type(plan, CLUSTER_ROLE), *of_type(plan, BINDING)]:
        assert resource.options["provider"].startswith(provider.urn), resource.name
        assert waits_for(plan, resource, admin), resource.name


def _sso_role(permission_set: str, suffix: str, account: str = "111111111111") -> str:
    return f"arn:aws:iam::{account}:role{SSO_PATH}AWSReservedSSO_{permission_set}_{suffix}"


def test_sso_roles_resolve_from_the_accounts_roles():
    roles = [
        _sso_role("PlatformAdmin", "0123456789abcdef"),
        _sso_role("Developer", "fedcba9876543210"),
        _sso_role("ReadOnly", "00112233445566aa"),
        _sso_role("DeveloperPlus", "0a0b0c0d0e0f0102"),  # a different permission set
        "arn:aws:iam::111111111111:role/AWSReservedSSO_Developer_aaaaaaaaaaaaaaaa",  # wrong path
    ]
    plan = plan_cluster("test", lookups={SSO_ROLES: roles})
    assert one(plan, ACCESS_ENTRY, "access-sso-Developer").inputs["principalArn"] == roles[1]
    assert one(plan, ACCESS_ENTRY, "access-sso-PlatformAdmin").inputs["principalArn"] == roles[0]


def test_a_permission_set_without_a_role_fails_before_anything_is_created():
    roles = [
        _sso_role("PlatformAdmin", "0123456789abcdef"),
        _sso_role("ReadOnly", "00112233445566aa"),
    ]
    with pytest.raises(ConfigError) as err:
        plan_cluster("test", lookups={SSO_ROLES: roles})
    message = str(err.value)
    assert "permissionSet 'Developer'" in message
    assert "no IAM role" in message
    assert "Nothing was created." in message


def test_a_permission_set_with_two_roles_fails_naming_both():
    roles = [
        _sso_role("PlatformAdmin", "0123456789abcdef"),
        _sso_role("Developer", "fedcba9876543210"),
        _sso_role("Developer", "00000000000000bb"),
        _sso_role("ReadOnly", "00112233445566aa"),
    ]
    with pytest.raises(ConfigError) as err:
        plan_cluster("test", lookups={SSO_ROLES: roles})
    message = str(err.value)
    assert "permissionSet 'Developer'" in message
    assert "2 IAM roles match" in message
    assert roles[1] in message and roles[2] in message


# --- outputs (R24) ------------------------------------------------------------------------------


def test_outputs_are_exactly_the_cluster_contract(plan, net, cfg):
    assert sorted(plan.outputs) == sorted(output_names(ClusterOutputs))
    out = plan.outputs
    assert out["clusterName"] == cfg.name_prefix
    assert out["kubernetesVersion"] == cfg.cluster.kubernetes_version
    assert out["clusterEndpoint"].startswith("https://")
    assert out["clusterCertificateAuthority"]
    assert out["nodeSecurityGroupId"] == out["clusterSecurityGroupId"]
    groups = of_type(plan, NODE_GROUP)
    assert len(out["nodeGroupNames"]) == len(groups) == 3
    for name, group in zip(out["nodeGroupNames"], groups, strict=True):
        assert name.startswith(f"{group.name}-")
    for output, role in (
        ("loadBalancerControllerRoleArn", "aws-load-balancer-controller"),
        ("externalDnsRoleArn", "external-dns"),
        ("ebsCsiDriverRoleArn", "ebs-csi-driver"),
        ("vpcCniRoleArn", "vpc-cni"),
        ("fluxSourceRoleArn", "flux-source-controller"),
        ("notifierRoleArn", "ci-notifier"),
        ("nodeRoleArn", "nodes-role"),
    ):
        assert out[output].startswith(f"arn:aws:iam::{cfg.account_id}:role/{role}-"), output


def test_kubeconfig_authenticates_with_aws_eks_get_token(plan, cfg):
    kubeconfig = json.loads(plan.outputs["kubeconfig"])
    [user] = kubeconfig["users"]
    execution = user["user"]["exec"]
    assert execution["command"] == "aws"
    args = execution["args"]
    assert args[args.index("eks") + 1] == "get-token"
    assert args[args.index("--cluster-name") + 1] == cfg.name_prefix
    assert kubeconfig["clusters"][0]["cluster"]["server"] == plan.outputs["clusterEndpoint"]


# --- scale --------------------------------------------------------------------------------------


def test_sixty_services_get_sixty_pinned_roles_and_plan_fast(capsys):
    raw = raw_config("test")
    names = [f"service-{i:02d}" for i in range(60)]
    raw["landfall:services"] = [{"name": name} for name in names]
    started = time.perf_counter()
    plan = plan_environment("test", raw_config=raw)
    elapsed = time.perf_counter() - started
    cluster = plan.stacks["cluster"]
    timings = ", ".join(f"{layer} {p.seconds:.1f}s" for layer, p in plan.stacks.items())
    with capsys.disabled():  # shown in every run, not only with -s
        print(
            f"\n60 services: whole test environment planned in {elapsed:.1f}s ({timings}); "
            f"cluster stack {len(cluster.resources)} resources"
        )
    assert sorted(cluster.outputs["serviceRoleArns"]) == names
    issuer = cluster.outputs["oidcProviderArn"].split(":oidc-provider/", 1)[1]
    subjects = set()
    for name in names:
        [statement] = trust(cluster, f"service-{name}")
        subjects.add(statement["Condition"]["StringEquals"][f"{issuer}:sub"])
        secrets = grants(inline(cluster, f"service-{name}"))["secretsmanager:GetSecretValue"]
        assert secrets == [f"arn:aws:secretsmanager:eu-west-2:111111111111:secret:test/{name}/*"]
    assert subjects == {f"system:serviceaccount:{n}:{n}" for n in names}


def test_the_upgrade_policy_is_explicit_and_one_eks_accepts(plan, cfg):
    """EKS defaults to EXTENDED support (six times the control-plane fee) when no policy is
    given; the settings' value is sent explicitly and is one of the EKS API's SupportType."""
    from typing import get_args

    from landfall.config import ClusterConfig
    from landfall.logic import aws_facts

    allowed = set(get_args(ClusterConfig.model_fields["upgrade_policy"].annotation))
    assert allowed == set(aws_facts.eks_support_types())
    eks_inputs = one(plan, "eks:index:Cluster").inputs
    assert eks_inputs["upgradePolicy"] == {"supportType": cfg.cluster.upgrade_policy}
    assert cfg.cluster.upgrade_policy == "STANDARD"


def test_an_upgrade_policy_eks_does_not_know_is_refused():
    raw = raw_config("test")
    raw["landfall:cluster"] = {**raw["landfall:cluster"], "upgradePolicy": "LTS"}
    with pytest.raises(ConfigError, match="upgradePolicy"):
        load_environment("test", raw)


def test_only_the_ci_runners_are_let_in_to_the_api(plan, net):
    """R27: the CI runners reach the (private) endpoint from inside the VPC."""
    [rule] = of_type(plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == plan.outputs["clusterSecurityGroupId"]
    assert rule.inputs["referencedSecurityGroupId"] == net["ciRunnerSecurityGroupId"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (
        443,
        443,
        "tcp",
    )
    assert "cidrIpv4" not in rule.inputs


def test_ci_previews_are_read_only_in_the_cluster(plan, env_plan, env):
    """The preview role gets an entry in the read-only preview group, bound to `view`, and no
    EKS access policy."""
    preview_arn = env_plan(env).stacks["bootstrap"].outputs["previewRoleArn"]
    entry = one(plan, ACCESS_ENTRY, "access-ci-preview")
    assert entry.inputs["principalArn"] == preview_arn
    assert entry.inputs["kubernetesGroups"] == ["landfall-ci-preview"]
    assert "access-ci-preview-cluster-admin" not in {a.name for a in of_type(plan, ACCESS_POLICY)}
    binding = one(plan, BINDING, "rbac-ci-preview")
    assert binding.inputs["roleRef"]["name"] == "view"
    assert binding.inputs["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "landfall-ci-preview"}
    ]


def test_the_load_balancer_controller_can_do_its_documented_calls_and_no_more(plan, net, cfg):
    """Least privilege that does not break the controller (v3.4.3 tags its load balancers,
    listeners and rules with elbv2.k8s.aws/cluster): what it does for an Ingress of this
    cluster is allowed; the same on the network stack's ALB, another cluster's objects or
    another VPC is not."""
    from iam_decisions import allowed

    doc = one(plan, ROLE_POLICY, "aws-load-balancer-controller").inputs["policy"]
    elb = f"arn:aws:elasticloadbalancing:{cfg.region}:{cfg.account_id}"
    ec2 = f"arn:aws:ec2:{cfg.region}:{cfg.account_id}"
    lb = f"{elb}:loadbalancer/app/k8s-payments-0123456789/50dc6c495c0c9188"
    listener = f"{elb}:listener/app/k8s-payments-0123456789/50dc6c495c0c9188/f2f7dc8efc522ab2"
    rule = listener.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee"
    public = (
        f"{elb}:listener/app/landfall-{cfg.environment}-public/50dc6c495c0c9188/f2f7dc8efc522ab2"
    )
    ours = {"aws:ResourceTag/elbv2.k8s.aws/cluster": cfg.name_prefix}
    theirs = {"aws:ResourceTag/elbv2.k8s.aws/cluster": "landfall-other"}
    tagging = {"aws:RequestTag/elbv2.k8s.aws/cluster": cfg.name_prefix}
    vpc = f"{ec2}:vpc/{net['vpcId']}"
    decisions = {
        ("elasticloadbalancing:CreateListener", lb, "ours"): True,
        ("elasticloadbalancing:CreateListener", listener, "tagging"): True,
        ("elasticloadbalancing:CreateRule", listener, "ours"): True,
        ("elasticloadbalancing:ModifyRule", rule, "ours"): True,
        ("elasticloadbalancing:DeleteListener", listener, "ours"): True,
        ("elasticloadbalancing:DeleteListener", listener, "theirs"): False,
        ("elasticloadbalancing:ModifyRule", rule, "theirs"): False,
        ("elasticloadbalancing:ModifyListener", public, "ours"): False,  # the network stack's ALB
        ("ec2:CreateSecurityGroup", f"{ec2}:security-group/*", "tagging"): True,
        ("ec2:CreateSecurityGroup", vpc, "none"): True,
        ("ec2:CreateSecurityGroup", f"{ec2}:vpc/vpc-0other", "none"): False,
        ("ec2:GetSecurityGroupsForVpc", vpc, "none"): True,
        ("ec2:GetSecurityGroupsForVpc", f"{ec2}:vpc/vpc-0other", "none"): False,
        (
            "acm:DescribeCertificate",
            f"arn:aws:acm:{cfg.region}:{cfg.account_id}:certificate/x",
            "none",
        ): True,
        (
            "acm:DescribeCertificate",
            "arn:aws:acm:us-east-1:999999999999:certificate/x",
            "none",
        ): False,
    }
    contexts = {"ours": ours, "theirs": theirs, "tagging": tagging, "none": {}}
    found = {k: allowed([doc], k[0], k[1], contexts[k[2]]) for k in decisions}
    assert found == decisions
