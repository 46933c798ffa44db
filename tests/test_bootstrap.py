"""The bootstrap layer (R26): what a fresh account needs, adopted where it exists, and the CI
roles, whose access is decided by an IAM evaluator rather than read off our own statements."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from iam_decisions import allowed, managed_policy
from project import PROJECT_ROOT
from stack_queries import of_type, one

from landfall.config import ConfigError, config_file, load_environment, read_config_file
from landfall.logic.prerequisites import GITHUB_OIDC_URL, SERVICE_LINKED_ROLES
from landfall.ops.orchestrate import stack_names
from landfall.plan.harness import StackPlan, plan_environment
from landfall.plan.harness.mocks import KMS_ALIAS, OIDC_PROVIDER, SECRETS, SSO_ROLES

SLR = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ROLE = "aws:iam/role:Role"
CLOUD = ("test", "prod")


@pytest.fixture(params=CLOUD)
def env(request) -> str:
    return request.param


@pytest.fixture
def plan(env, env_plan) -> StackPlan:
    return env_plan(env).stacks["bootstrap"]


def plan_bootstrap(env: str, **lookups: Any) -> StackPlan:
    return plan_environment(env, layers=("bootstrap",), lookups=lookups).stacks["bootstrap"]


def role_documents(plan: StackPlan, role_name: str) -> list[str]:
    """The identity policies of the role named ``role_name``: managed and inline."""
    role = next(r for r in of_type(plan, ROLE) if r.inputs.get("name") == role_name)
    prefix = role.name
    docs = [
        managed_policy(a.inputs["policyArn"])
        for a in of_type(plan, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith(prefix)
    ]
    docs += [
        p.inputs["policy"]
        for p in of_type(plan, "aws:iam/rolePolicy:RolePolicy")
        if p.name == prefix
    ]
    return docs


# --- account-wide prerequisites ----------------------------------------------------------------


def test_a_fresh_account_gets_every_service_linked_role_and_none_is_ever_deleted(plan):
    roles = of_type(plan, SLR)
    assert sorted(r.inputs["awsServiceName"] for r in roles) == sorted(
        role.service for role in SERVICE_LINKED_ROLES
    )
    for role in roles:
        assert role.options["retainOnDelete"] is True, role.name
        assert "importId" not in role.options  # nothing to adopt in a fresh account
    provider = one(plan, OIDC)
    assert provider.inputs["url"] == GITHUB_OIDC_URL
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider.options["retainOnDelete"] is True


def test_a_used_account_adopts_what_exists_instead_of_creating_it_again():
    account = "111111111111"
    existing = {
        role.service: role.arn(account)
        for role in SERVICE_LINKED_ROLES
        if role.service in ("autoscaling.amazonaws.com", "eks.amazonaws.com")
    }
    github = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    plan = plan_bootstrap(
        "test",
        **{
            SSO_ROLES: list(existing.values()),
            OIDC_PROVIDER: [github],
            SECRETS: ["landfall/test/flux-deploy-key"],
        },
    )
    imported = {r.inputs["awsServiceName"]: r.options.get("importId") for r in of_type(plan, SLR)}
    assert {s: arn for s, arn in imported.items() if arn} == existing
    assert len(imported) == len(SERVICE_LINKED_ROLES)  # the others are still created
    assert one(plan, OIDC).options["importId"] == github
    secret = one(plan, "aws:secretsmanager/secret:Secret")
    assert (
        secret.options["importId"].split(":secret:")[1].startswith("landfall/test/flux-deploy-key-")
    )


def test_a_secret_whose_name_only_starts_the_same_is_not_adopted():
    plan = plan_bootstrap("test", **{SECRETS: ["landfall/test/flux-deploy-key-old"]})
    assert "importId" not in one(plan, "aws:secretsmanager/secret:Secret").options


def test_without_the_secrets_provider_key_the_bootstrap_stops_naming_the_command():
    with pytest.raises(ConfigError) as err:
        plan_bootstrap("test", **{KMS_ALIAS: []})
    message = str(err.value)
    assert "alias/landfall-test-pulumi" in message
    assert "landfall bootstrap test" in message


def test_the_flux_deploy_key_is_encrypted_with_the_secrets_provider_key(plan, env):
    secret = one(plan, "aws:secretsmanager/secret:Secret")
    assert secret.inputs["name"] == f"landfall/{env}/flux-deploy-key"
    assert secret.inputs["kmsKeyId"] == plan.outputs["secretsProviderKeyArn"]
    assert "secretString" not in secret.inputs  # the key never passes through a stack
    assert secret.options["protect"] is (env == "prod")
    assert secret.inputs["recoveryWindowInDays"] == (30 if env == "prod" else 7)


def test_an_oci_fleet_has_no_deploy_key_secret():
    raw = copy.deepcopy(read_config_file(config_file("test")))
    raw["landfall:gitops"] = {
        "source": "oci",
        "ociRepository": "fleet/landfall",
        "ociSemver": ">=1.0.0",
    }
    raw["landfall:cluster"]["ciNotifierSubjects"] = [
        "repo:example/landfall-fleet:ref:refs/heads/main"
    ]
    plan = plan_environment("test", raw_config=raw, layers=("bootstrap",)).stacks["bootstrap"]
    assert of_type(plan, "aws:secretsmanager/secret:Secret") == []
    assert plan.outputs["deployKeySecretArn"] == ""


# --- CI roles ------------------------------------------------------------------------------------


def trust_of(plan: StackPlan, role_name: str) -> dict[str, Any]:
    role = next(r for r in of_type(plan, ROLE) if r.inputs.get("name") == role_name)
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    return statement


def test_ci_roles_trust_exact_subjects_of_the_platform_repository(plan, env):
    host = "token.actions.githubusercontent.com"
    for role, subject in (
        (f"landfall-{env}-ci-preview", "repo:example/landfall:pull_request"),
        (f"landfall-{env}-ci-deploy", f"repo:example/landfall:environment:{env}"),
    ):
        statement = trust_of(plan, role)
        assert statement["Principal"] == {"Federated": plan.outputs["githubOidcProviderArn"]}
        assert statement["Condition"] == {
            "StringEquals": {f"{host}:aud": "sts.amazonaws.com", f"{host}:sub": subject}
        }


def test_the_preview_role_reads_what_a_preview_needs_and_changes_nothing(plan, env):
    docs = role_documents(plan, f"landfall-{env}-ci-preview")
    state = "arn:aws:s3:::landfall-state-" + ("111111111111" if env == "test" else "222222222222")
    key, deploy_key = plan.outputs["secretsProviderKeyArn"], plan.outputs["deployKeySecretArn"]
    decisions = {
        ("s3:GetObject", f"{state}/.pulumi/stacks/landfall/{env}-network.json"): True,
        ("s3:PutObject", f"{state}/.pulumi/locks/organization/landfall/{env}-network/x.json"): True,
        ("s3:PutObject", f"{state}/.pulumi/stacks/landfall/{env}-network.json"): False,
        ("kms:Decrypt", key): True,
        ("kms:Encrypt", key): False,
        # The gitops program looks the deploy key up during preview.
        ("secretsmanager:GetSecretValue", deploy_key): True,
        ("secretsmanager:GetSecretValue", deploy_key.replace("flux-deploy-key", "other")): False,
        ("ec2:DescribeVpcs", "*"): True,
        ("ec2:CreateVpc", "*"): False,
        ("iam:CreateRole", "arn:aws:iam::111111111111:role/x"): False,
    }
    assert {k: allowed(docs, *k) for k in decisions} == decisions


def test_the_deploy_role_manages_the_platform_but_never_the_bootstraps_own(plan, env, cfg_of):
    cfg = cfg_of(env)
    iam = f"arn:aws:iam::{cfg.account_id}"
    deploy, preview = f"landfall-{env}-ci-deploy", f"landfall-{env}-ci-preview"
    docs = role_documents(plan, deploy)
    decisions = {
        ("ec2:CreateVpc", "*"): True,
        ("eks:CreateCluster", "*"): True,
        ("iam:CreateRole", f"{iam}:role/eks-cluster-role-1234567"): True,
        ("iam:CreateOpenIDConnectProvider", f"{iam}:oidc-provider/oidc.eks.x"): True,
        ("iam:UpdateAssumeRolePolicy", f"{iam}:role/{deploy}"): False,
        ("iam:AttachRolePolicy", f"{iam}:role/{deploy}"): False,
        ("iam:PutRolePolicy", f"{iam}:role/{preview}"): False,
        ("iam:UpdateOpenIDConnectProviderThumbprint", plan.outputs["githubOidcProviderArn"]): False,
        ("iam:CreateUser", f"{iam}:user/someone"): False,
        ("iam:CreateAccessKey", f"{iam}:user/someone"): False,
    }
    assert {k: allowed(docs, *k) for k in decisions} == decisions


def test_deploy_credentials_outlive_the_deploy_job():
    """STS refuses a session longer than the role's maximum, and credentials that expire inside
    `pulumi up` leave the stack half-updated: the workflow asks for the job's whole timeout and
    the role allows it."""
    from components.bootstrap.ci_roles import DEPLOY_SESSION_SECONDS

    workflow = yaml.safe_load((PROJECT_ROOT / ".github/workflows/deploy.yml").read_text())
    deploying = {
        name: job
        for name, job in workflow["jobs"].items()
        if any("DEPLOY_ROLE_ARN" in str(s.get("with", {})) for s in job.get("steps", []))
    }
    assert set(deploying) == {"up-test", "up-prod"}
    for job in deploying.values():
        [step] = [s for s in job["steps"] if "DEPLOY_ROLE_ARN" in str(s.get("with", {}))]
        asked = int(step["with"]["role-duration-seconds"])
        assert asked >= job["timeout-minutes"] * 60
        assert asked <= DEPLOY_SESSION_SECONDS


def test_the_deploy_role_allows_sessions_that_long(plan, env):
    from components.bootstrap.ci_roles import DEPLOY_SESSION_SECONDS

    role = next(
        r for r in of_type(plan, ROLE) if r.inputs.get("name") == f"landfall-{env}-ci-deploy"
    )
    # IAM's MaxSessionDuration range is 3600..43200 seconds (botocore iam model).
    assert role.inputs["maxSessionDuration"] == DEPLOY_SESSION_SECONDS
    assert 3600 <= DEPLOY_SESSION_SECONDS <= 43200


# --- which command runs the bootstrap stack ----------------------------------------------------


def test_up_and_destroy_leave_the_bootstrap_stack_alone_unless_asked_by_name():
    cfg = load_environment("test", read_config_file(config_file("test")))
    assert stack_names(cfg, "up") == ["test-network", "test-cluster", "test-gitops"]
    assert stack_names(cfg, "destroy") == ["test-gitops", "test-cluster", "test-network"]
    assert stack_names(cfg, "preview", "bootstrap") == ["test-bootstrap"]


@pytest.fixture
def cfg_of():
    return lambda env: load_environment(env, read_config_file(config_file(env)))
