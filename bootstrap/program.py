"""Layer 0, the bootstrap stack: what the account must hold before the other stacks (R26).

The service-linked roles and the GitHub OIDC provider (account-wide, adopted where they exist),
the CI roles of this environment, the GitHub connection of its CI runners, and the Flux
deploy-key secret. It looks the account up first
(landfall.program.lookups) and adopts what exists, so it is idempotent on a fresh account and a
used one. The state bucket and the secrets-provider key come before any stack can run; `landfall
bootstrap ENV` creates those (landfall.ops.bootstrap) and this stack only reads the key.
"""

from __future__ import annotations

from components.bootstrap.account_prerequisites import (
    AccountPrerequisites,
    AccountPrerequisitesArgs,
)
from components.bootstrap.ci_roles import CiRoles, CiRolesArgs
from components.bootstrap.flux_deploy_key import FluxDeployKey, FluxDeployKeyArgs
from components.bootstrap.github_connection import GithubConnection, GithubConnectionArgs
from landfall.config import EnvironmentConfig
from landfall.logic.contracts import BootstrapOutputs
from landfall.logic.github import ci_subjects
from landfall.logic.prerequisites import state_bucket_name
from landfall.program.lookups import (
    existing_github_oidc_provider,
    existing_secret,
    existing_service_linked_roles,
    secrets_provider_key,
)
from landfall.program.outputs import export_outputs
from landfall.program.provider import aws_provider, component_opts


def run(cfg: EnvironmentConfig) -> None:
    ci, gitops = cfg.require("ci", cfg.ci), cfg.require("gitops", cfg.gitops)
    account = str(cfg.account_id)
    provider = aws_provider(cfg, "bootstrap")
    opts = component_opts(provider)
    # Looked up before anything is declared: a missing bootstrap fails with one message.
    key_arn = secrets_provider_key(provider, cfg)
    account_wide = AccountPrerequisites(
        "account",
        AccountPrerequisitesArgs(
            existing_service_linked_roles=existing_service_linked_roles(provider),
            existing_github_oidc_provider=existing_github_oidc_provider(provider, account),
        ),
        opts,
    )
    deploy_key = None
    if gitops.source == "git":
        secret_name = str(gitops.deploy_key_secret_id)
        deploy_key = FluxDeployKey(
            "flux-deploy-key",
            FluxDeployKeyArgs(
                secret_name=secret_name,
                kms_key_arn=key_arn,
                existing_arn=existing_secret(provider, secret_name),
                production=cfg.is_production,
            ),
            opts,
        )
    connection = GithubConnection(
        "github",
        GithubConnectionArgs(name=f"{cfg.name_prefix}-github", production=cfg.is_production),
        opts,
    )
    preview_subjects, deploy_subjects = ci_subjects(ci.repository, cfg.environment)
    roles = CiRoles(
        "ci",
        CiRolesArgs(
            name_prefix=cfg.name_prefix,
            account_id=account,
            github_oidc_provider_arn=account_wide.github_oidc_provider_arn,
            preview_subjects=preview_subjects,
            deploy_subjects=deploy_subjects,
            state_bucket=state_bucket_name(account),
            secrets_key_arn=key_arn,
            deploy_key_secret_arn=deploy_key.arn if deploy_key else None,
        ),
        opts,
    )
    export_outputs(
        BootstrapOutputs(
            service_linked_role_arns=account_wide.service_linked_role_arns,
            github_oidc_provider_arn=account_wide.github_oidc_provider_arn,
            secrets_provider_key_arn=key_arn,
            preview_role_arn=roles.preview_role_arn,
            deploy_role_arn=roles.deploy_role_arn,
            deploy_key_secret_arn=deploy_key.arn if deploy_key else "",
            github_connection_arn=connection.arn,
        )
    )
