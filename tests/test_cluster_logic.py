"""The cluster stack's pure decisions, without the Pulumi engine: node AMI type and Bottlerocket
settings, the creator-admin override, SSO resolution and access grants, RBAC rules, IAM policies.
"""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml
from fleet_support import FLUX_CRDS, load_crds
from project import PROJECT_ROOT

from landfall.config import SsoMapping
from landfall.config.errors import ConfigError
from landfall.logic.aws_facts import is_graviton as is_arm_instance_type
from landfall.logic.eks import (
    DEPLOY_BRANCH,
    ami_type,
    bottlerocket_settings,
    kubeconfig_cluster,
    notifier_subjects,
    toml,
)
from landfall.logic.rbac import (
    FLUX_DELIVERY,
    FLUX_NOTIFICATION,
    READ_VERBS,
    WRITE_VERBS,
    flux_aggregated_roles,
    notifier_role,
)
from landfall.program.access import AccessGrant, CiPrincipals, access_grants, resolve_sso_roles
from landfall.program.eks import creator_admin_transform
from landfall.program.iam import (
    ebs_csi_kms_policy,
    external_dns_policy,
    github_actions_trust,
    irsa_trust,
    load_balancer_controller_policy,
    service_secrets_policy,
)

SSO = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-2"
ADMIN_ROLE = f"{SSO}/AWSReservedSSO_PlatformAdmin_0123456789abcdef"
DEV_ROLE = f"{SSO}/AWSReservedSSO_Developer_fedcba9876543210"
MAPPINGS = [
    SsoMapping(
        permission_set="PlatformAdmin", kubernetes_group="platform-admins", access="cluster-admin"
    ),
    SsoMapping(permission_set="Developer", kubernetes_group="developers", access="edit"),
]


# --- nodes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "arm"),
    [
        ("m6g.large", True),
        ("c7gn.xlarge", True),
        ("r6gd.large", True),
        ("t4g.medium", True),
        ("im4gn.large", True),
        ("m6i.large", False),
        ("m6a.large", False),
        ("m5.large", False),
        ("g5.xlarge", False),
        ("g4dn.xlarge", False),
        ("m7i-flex.large", False),
    ],
)
def test_graviton_types_are_recognised(instance_type, arm):
    assert is_arm_instance_type(instance_type) is arm


def test_ami_type_follows_the_cpu_architecture():
    assert ami_type(["m6i.large", "m6a.large", "m5.large"]) == "BOTTLEROCKET_x86_64"
    assert ami_type(["m7g.large", "m6g.large", "c7g.large"]) == "BOTTLEROCKET_ARM_64"


def test_mixed_architectures_are_a_config_error():
    with pytest.raises(ConfigError) as err:
        ami_type(["m6i.large", "m6g.large", "m5.large"])
    assert "landfall:cluster.nodes.instanceTypes" in str(err.value)
    assert "m6g.large" in str(err.value)


def test_bottlerocket_user_data_disables_the_admin_container_and_keeps_ssm():
    text = toml(bottlerocket_settings())
    assert text == (
        "[settings.host-containers.admin]\nenabled = false\n\n"
        "[settings.host-containers.control]\nenabled = true\n"
    )
    # It is valid TOML (tomllib is in the standard library since 3.11).
    import tomllib

    parsed = tomllib.loads(text)
    assert parsed["settings"]["host-containers"]["admin"]["enabled"] is False
    assert parsed["settings"]["host-containers"]["control"]["enabled"] is True
    # EKS merges settings.kubernetes itself for managed node groups; we must not set it.
    assert "kubernetes" not in parsed["settings"]


# --- control plane ------------------------------------------------------------------------------


def _transform_args(type_: str, props: dict) -> pulumi.ResourceTransformArgs:
    return pulumi.ResourceTransformArgs(
        custom=True, type_=type_, name="x", props=props, opts=pulumi.ResourceOptions()
    )


def test_creator_admin_transform_turns_off_the_bootstrap_grant_on_the_eks_cluster_only():
    props = {
        "name": "landfall-test",
        "accessConfig": {
            "authenticationMode": "API",
            "bootstrapClusterCreatorAdminPermissions": True,
        },
    }
    result = creator_admin_transform(_transform_args("aws:eks/cluster:Cluster", props))
    assert result is not None
    assert result.props["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    assert result.props["name"] == "landfall-test"
    assert props["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True  # not mutated
    assert creator_admin_transform(_transform_args("aws:eks/addon:Addon", {})) is None


def test_kubeconfig_cluster_reads_object_or_json():
    config = {
        "clusters": [{"cluster": {"server": "https://x", "certificate-authority-data": "Q0E="}}]
    }
    assert kubeconfig_cluster(config) == ("https://x", "Q0E=")
    assert kubeconfig_cluster(json.dumps(config)) == ("https://x", "Q0E=")


# --- CI notifier --------------------------------------------------------------------------------


def test_the_notifier_trusts_the_main_branch_of_this_repository():
    assert notifier_subjects("example/landfall") == ["repo:example/landfall:ref:refs/heads/main"]


def test_listed_notifier_subjects_are_added_once():
    own = "repo:example/landfall:ref:refs/heads/main"
    extra = "repo:example/payments:ref:refs/heads/main"
    assert notifier_subjects("example/landfall", [extra, own]) == [own, extra]


def test_the_notify_jobs_present_the_subject_the_notifier_trusts():
    """GitHub's sub claim is ``repo:<repo>:environment:<env>`` for a job that names an
    environment, else ``repo:<repo>:ref:<ref>``: the notify jobs must name none and run on
    pushes to the deploy branch only."""
    workflow = yaml.safe_load((PROJECT_ROOT / ".github/workflows/deploy.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))
    assert triggers == {"push": {"branches": [DEPLOY_BRANCH]}}
    notify = {n: j for n, j in workflow["jobs"].items() if n.startswith("notify")}
    assert set(notify) == {"notify-test", "notify-prod"}
    assert all("environment" not in job for job in notify.values())


def test_github_trust_pins_subject_and_audience_without_wildcards():
    [statement] = github_actions_trust("arn:oidc", ["repo:example/fleet:ref:refs/heads/main"])
    assert statement.actions == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {(c.test, c.variable): c.values for c in statement.conditions}
    assert conditions == {
        ("StringEquals", "token.actions.githubusercontent.com:aud"): ["sts.amazonaws.com"],
        ("StringEquals", "token.actions.githubusercontent.com:sub"): [
            "repo:example/fleet:ref:refs/heads/main"
        ],
    }


# --- SSO resolution and access grants -----------------------------------------------------------


def test_sso_roles_resolve_to_the_full_arn_with_path():
    roles = {"PlatformAdmin": [ADMIN_ROLE], "Developer": [DEV_ROLE]}
    assert resolve_sso_roles(MAPPINGS, roles.__getitem__) == {
        "PlatformAdmin": ADMIN_ROLE,
        "Developer": DEV_ROLE,
    }


def test_sso_resolution_reports_every_bad_permission_set_at_once():
    stale = f"{SSO}/AWSReservedSSO_Developer_00000000000000aa"
    roles = {"PlatformAdmin": [], "Developer": [DEV_ROLE, stale]}
    with pytest.raises(ConfigError) as err:
        resolve_sso_roles(MAPPINGS, roles.__getitem__)
    message = str(err.value)
    assert "2 problems" in message
    assert "'PlatformAdmin'" in message and "no IAM role" in message
    assert "'Developer'" in message and "2 IAM roles match" in message
    assert "Nothing was created." in message


CI = CiPrincipals(
    deploy_role_name_arn="arn:aws:iam::111111111111:role/landfall-test-ci-deploy",
    deploy_role_arn="arn:aws:iam::111111111111:role/landfall-test-ci-deploy",
    preview_role_arn="arn:aws:iam::111111111111:role/landfall-test-ci-preview",
)
ROLES = {"PlatformAdmin": ADMIN_ROLE, "Developer": DEV_ROLE}


def test_access_grants_give_groups_to_people_and_admin_to_the_deploying_identities():
    assert access_grants(MAPPINGS, ROLES, CI, creator_arn=DEV_ROLE) == [
        AccessGrant("sso-PlatformAdmin", ADMIN_ROLE, ("platform-admins",), cluster_admin=True),
        AccessGrant("sso-Developer", DEV_ROLE, ("developers",), cluster_admin=False),
        AccessGrant("ci-deploy", CI.deploy_role_arn, (), cluster_admin=True),
        AccessGrant("ci-preview", CI.preview_role_arn, ("landfall-ci-preview",)),
    ]


def test_the_entries_do_not_depend_on_who_runs_the_deployment():
    """A preview by the preview role and an up by the deploy role (or a platform admin) declare
    the same entries: nothing flips between them."""
    runs = [CI.preview_role_arn, CI.deploy_role_arn, ADMIN_ROLE]
    assert len({tuple(access_grants(MAPPINGS, ROLES, CI, creator_arn=r)) for r in runs}) == 1


@pytest.mark.parametrize("creator", [ADMIN_ROLE, CI.deploy_role_name_arn])
def test_a_kept_creator_that_also_gets_an_entry_is_refused(creator):
    """EKS makes the creator's access entry itself; a declared one for the same principal would
    be refused by EKS (one access entry per principal) mid-deployment."""
    with pytest.raises(ConfigError) as refused:
        access_grants(MAPPINGS, ROLES, CI, creator_arn=creator, keep_creator_admin=True)
    (problem,) = refused.value.problems
    assert problem.key == "landfall:cluster.keepCreatorAdmin"
    assert "keepCreatorAdmin to false" in problem.fix


def test_a_kept_creator_without_an_entry_is_accepted():
    other = "arn:aws:iam::111111111111:role/break-glass"
    grants = access_grants(MAPPINGS, ROLES, CI, creator_arn=other, keep_creator_admin=True)
    assert other not in [g.principal_arn for g in grants]


# --- RBAC ---------------------------------------------------------------------------------------


def _crd_kinds() -> dict[str, set[str]]:
    """Flux API group -> plurals, from the Flux CRDs in schemas/flux (SchemaError if missing)."""
    kinds: dict[str, set[str]] = {}
    for _, crd in load_crds(FLUX_CRDS):
        kinds.setdefault(crd["spec"]["group"], set()).add(crd["spec"]["names"]["plural"])
    return kinds


def test_aggregated_roles_carry_the_aggregation_labels():
    roles = {r.name: r for r in flux_aggregated_roles()}
    label = "rbac.authorization.k8s.io/aggregate-to-{}"
    assert roles["landfall:flux-view"].labels == {label.format("view"): "true"}
    assert roles["landfall:flux-edit"].labels == {label.format("edit"): "true"}
    assert roles["landfall:flux-admin"].labels == {label.format("admin"): "true"}


def test_view_reads_every_flux_kind_and_edit_writes_the_delivery_kinds():
    roles = {r.name: r for r in flux_aggregated_roles()}
    view = {
        (rule.api_groups[0], res): rule.verbs
        for rule in roles["landfall:flux-view"].rules
        for res in rule.resources
    }
    crd_kinds = _crd_kinds()
    assert set(crd_kinds) == {
        "source.toolkit.fluxcd.io",
        "kustomize.toolkit.fluxcd.io",
        "helm.toolkit.fluxcd.io",
        "notification.toolkit.fluxcd.io",
    }, "the check below needs the Flux CRDs"
    for group, plurals in crd_kinds.items():
        for plural in plurals:
            assert view.get((group, plural)) == READ_VERBS, f"{group}/{plural} missing from view"
    edit = roles["landfall:flux-edit"].rules
    assert {r.api_groups[0]: r.resources for r in edit} == FLUX_DELIVERY
    assert all(r.verbs == WRITE_VERBS for r in edit)
    admin = roles["landfall:flux-admin"].rules
    assert {r.api_groups[0]: r.resources for r in admin} == FLUX_NOTIFICATION
    assert all("escalate" not in r.verbs and "bind" not in r.verbs for r in [*edit, *admin])


def test_notifier_may_only_get_list_and_patch_flux_objects():
    role = notifier_role()
    assert role.labels == {}  # never aggregated into anything
    granted = {(r.api_groups[0], res) for r in role.rules for res in r.resources}
    assert granted == {
        ("source.toolkit.fluxcd.io", "gitrepositories"),
        ("source.toolkit.fluxcd.io", "ocirepositories"),
        ("source.toolkit.fluxcd.io", "helmrepositories"),
        ("kustomize.toolkit.fluxcd.io", "kustomizations"),
        ("helm.toolkit.fluxcd.io", "helmreleases"),
    }
    assert {r.verbs for r in role.rules} == {("get", "list", "patch")}


# --- IAM policies -------------------------------------------------------------------------------


def _conditions(statement) -> dict[tuple[str, str], list[str]]:
    return {(c.test, str(c.variable)): list(c.values) for c in statement.conditions or []}


def test_external_dns_changes_records_in_its_zone_only():
    zone = "arn:aws:route53:::hostedzone/Z123"
    statements = external_dns_policy([zone])
    by_action = {a: s.resources for s in statements for a in s.actions}
    assert by_action == {
        "route53:ChangeResourceRecordSets": [zone],
        "route53:ListResourceRecordSets": [zone],
        "route53:ListTagsForResources": [zone],
        "route53:ListHostedZones": ["*"],
    }


def test_service_reads_only_its_own_secrets_and_decrypts_through_secrets_manager():
    key = "arn:aws:kms:eu-west-2:111111111111:key/k"
    read, decrypt = service_secrets_policy("eu-west-2", "111111111111", "test/payments", key)
    assert read.resources == [
        "arn:aws:secretsmanager:eu-west-2:111111111111:secret:test/payments/*"
    ]
    assert set(read.actions) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
    assert decrypt.actions == ["kms:Decrypt"] and decrypt.resources == [key]
    assert _conditions(decrypt) == {
        ("StringEquals", "kms:ViaService"): ["secretsmanager.eu-west-2.amazonaws.com"]
    }


def test_ebs_csi_grants_are_for_aws_resources_only_and_the_key_is_used_through_ec2():
    grants, use = ebs_csi_kms_policy("arn:key", "eu-west-2")
    assert _conditions(grants) == {("Bool", "kms:GrantIsForAWSResource"): ["true"]}
    assert _conditions(use) == {("StringEquals", "kms:ViaService"): ["ec2.eu-west-2.amazonaws.com"]}
    assert grants.resources == use.resources == ["arn:key"]


def test_load_balancer_controller_is_least_privilege():
    statements = load_balancer_controller_policy(
        "landfall-test", "eu-west-2", "111111111111", "sg-node", ["arn:tg/payments"]
    )
    actions = [a for s in statements for a in s.actions]
    assert not any(a == "*" or a.endswith(":*") for a in actions)
    # No ALB, WAF, Shield or Cognito management: the ALB belongs to the network stack (R15).
    assert not any(
        a.split(":")[0] in {"wafv2", "waf-regional", "shield", "cognito-idp"} for a in actions
    )
    assert "elasticloadbalancing:SetWebAcl" not in actions
    by_sid = {s.sid: s for s in statements}
    create = by_sid["CreateInternalLoadBalancersOnly"]
    assert create.actions == ["elasticloadbalancing:CreateLoadBalancer"]
    assert create.resources == [
        "arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/app/k8s-*/*",
        "arn:aws:elasticloadbalancing:eu-west-2:111111111111:loadbalancer/net/k8s-*/*",
    ]
    assert _conditions(create) == {
        ("StringEquals", "aws:RequestTag/elbv2.k8s.aws/cluster"): ["landfall-test"],
        ("StringEquals", "elasticloadbalancing:Scheme"): ["internal"],
    }
    assert [
        s.sid for s in statements if "elasticloadbalancing:CreateLoadBalancer" in s.actions
    ] == ["CreateInternalLoadBalancersOnly"]
    # Listener and rule changes only on the controller's own k8s-* load balancers, never on the
    # network stack's ALB (landfall-<env>-public).
    for s in statements:
        if {"elasticloadbalancing:CreateRule", "elasticloadbalancing:CreateListener"} & set(
            s.actions
        ):
            assert s.resources and all("/k8s-*/" in r for r in s.resources), s.sid
    # Everything that changes or deletes is tied to this cluster's tag (or named resources).
    for s in statements:
        writes = [
            a for a in s.actions if not a.split(":")[1].startswith(("Describe", "Get", "List"))
        ]
        if writes and s.resources == ["*"] and s.sid != "ElbServiceLinkedRole":
            assert ("StringEquals", "aws:ResourceTag/elbv2.k8s.aws/cluster") in _conditions(s) or (
                "StringEquals",
                "aws:RequestTag/elbv2.k8s.aws/cluster",
            ) in _conditions(s), s.sid
    assert by_sid["BindPodsToNetworkStackTargetGroups"].resources == ["arn:tg/payments"]
    no_services = load_balancer_controller_policy("c", "eu-west-2", "111111111111", "sg", None)
    assert "BindPodsToNetworkStackTargetGroups" not in {s.sid for s in no_services}


def test_irsa_trust_is_pinned_to_one_service_account_and_the_sts_audience():
    [statement] = irsa_trust("arn:oidc", "oidc.eks.eu-west-2.amazonaws.com/id/ABC", "ns", "sa")
    assert statement.actions == ["sts:AssumeRoleWithWebIdentity"]
    assert [(p.type, p.identifiers) for p in statement.principals] == [("Federated", ["arn:oidc"])]
    tests = [(c.test, c.values) for c in statement.conditions]
    assert tests == [
        ("StringEquals", ["system:serviceaccount:ns:sa"]),
        ("StringEquals", ["sts.amazonaws.com"]),
    ]
