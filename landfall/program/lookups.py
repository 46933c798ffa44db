"""What already exists in the account, looked up by the bootstrap layer before it declares
anything, so it adopts (imports) account-wide resources instead of failing with
EntityAlreadyExists, and creates them on a fresh account.

Why adopt with ``import_`` on every run: the engine treats a resource whose import ID equals
the ID in the state like any other resource (pulumi/pulumi, developer-docs/architecture/
import.md, "import resource option", case 2), so the same program creates on a fresh account,
imports on the first run in a used one and changes nothing afterwards.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from landfall.config import ConfigError, EnvironmentConfig, Problem
from landfall.logic.prerequisites import (
    github_oidc_provider_arn,
    secrets_provider_alias,
    service_from_role_arn,
)

# How a lookup of something absent fails: IAM's NoSuchEntity, or the provider's own "not found"
# (terraform-provider-aws wraps a missing object in retry.NotFoundError, "couldn't find resource").
_ABSENT = ("NoSuchEntity", "couldn't find resource", "NotFoundException", "not found")


def _absent(error: Exception) -> bool:
    return any(marker in str(error) for marker in _ABSENT)


def existing_service_linked_roles(provider: aws.Provider) -> dict[str, str]:
    """Service principal -> ARN of every service-linked role in the account (one listing)."""
    found = aws.iam.get_roles(
        path_prefix="/aws-service-role/", opts=pulumi.InvokeOptions(provider=provider)
    )
    roles: dict[str, str] = {}
    for arn in found.arns:
        service = service_from_role_arn(arn)
        if service is not None:
            roles[service] = arn
    return roles


def existing_github_oidc_provider(provider: aws.Provider, account_id: str) -> str | None:
    """The ARN of the account's GitHub Actions OIDC provider, None when there is none."""
    arn = github_oidc_provider_arn(account_id)
    try:
        aws.iam.get_open_id_connect_provider(arn=arn, opts=pulumi.InvokeOptions(provider=provider))
    except Exception as error:  # the SDK raises a bare Exception for a failed invoke
        if _absent(error):
            return None
        raise
    return arn


def existing_secret(provider: aws.Provider, name: str) -> str | None:
    """The ARN of the Secrets Manager secret called ``name``, None when there is none."""
    found = aws.secretsmanager.get_secrets(
        filters=[aws.secretsmanager.GetSecretsFilterArgs(name="name", values=[name])],
        opts=pulumi.InvokeOptions(provider=provider),
    )
    # The name filter matches prefixes; only the exact name counts.
    exact = [arn for arn in found.arns if arn.split(":secret:", 1)[-1].rsplit("-", 1)[0] == name]
    return exact[0] if exact else None


def secrets_provider_key(provider: aws.Provider, cfg: EnvironmentConfig) -> str:
    """The ARN of the KMS key Pulumi encrypts the environment's stack secrets with. It exists
    before any stack (``landfall bootstrap ENV`` creates it: a stack cannot create the key its
    own state is encrypted with), so its absence is a missing bootstrap, said plainly."""
    alias = secrets_provider_alias(cfg.environment)
    try:
        found = aws.kms.get_alias(name=alias, opts=pulumi.InvokeOptions(provider=provider))
    except Exception as error:  # the SDK raises a bare Exception for a failed invoke
        if not _absent(error):
            raise
        raise ConfigError(
            f"account {cfg.account_id}",
            [
                Problem(
                    f"KMS alias {alias}",
                    "does not exist, so the account has not been bootstrapped",
                    f"run `landfall bootstrap {cfg.environment}` (docs/user-guide.md, "
                    "'One-time bootstrap')",
                )
            ],
        ) from None
    return str(found.target_key_arn)
