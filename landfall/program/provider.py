"""The explicit AWS provider every layer uses: region, account guard and default tags."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from landfall.config import EnvironmentConfig


def aws_provider(cfg: EnvironmentConfig, layer: str, region: str | None = None) -> aws.Provider:
    """One provider per stack (and per other region it needs, e.g. us-east-1 for Route 53's
    DNSSEC keys). ``allowed_account_ids`` makes a deploy with credentials of the wrong account
    fail before any change; ``default_tags`` tags everything consistently."""
    return aws.Provider(
        f"aws-{region}" if region else "aws",
        region=region or cfg.region,
        allowed_account_ids=[cfg.account_id] if cfg.account_id else None,
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.all_tags(layer)),
    )


def component_opts(provider: aws.Provider) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers=[provider])


def parent_zone_provider(cfg: EnvironmentConfig, role_arn: str | None) -> aws.Provider | None:
    """The provider that writes the delegation into a parent zone of another account: it assumes
    ``role_arn`` there (None: the parent zone is in this account, the stack's provider writes)."""
    if role_arn is None:
        return None
    return aws.Provider(
        "dns-parent",
        region=cfg.region,
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=role_arn, session_name=f"landfall-{cfg.environment}-dns-delegation"
            )
        ],
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.all_tags("network")),
    )
