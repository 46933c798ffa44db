"""The Secrets Manager secret holding the Flux deploy key; its value is set out of band."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component


@dataclass(frozen=True)
class FluxDeployKeyArgs:
    secret_name: str
    kms_key_arn: pulumi.Input[str]
    existing_arn: str | None
    production: bool


class FluxDeployKey(Component):
    """The secret exists as code (name, key, recovery window); the private key itself never
    passes through a stack: a person puts it with ``aws secretsmanager put-secret-value``
    (docs/gitops.md). An existing secret of that name is adopted. It is encrypted with the
    secrets-provider key, which the deploy and preview roles may already use."""

    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: FluxDeployKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:bootstrap:FluxDeployKey", name, None, opts)
        secret = aws.secretsmanager.Secret(
            name,
            name=args.secret_name,
            description="Flux's read-only SSH deploy key for the fleet repository (JSON: "
            "identity, identity.pub, known_hosts)",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=30 if args.production else 7,
            opts=pulumi.ResourceOptions(
                parent=self,
                import_=args.existing_arn,
                protect=args.production,
                retain_on_delete=args.production,
            ),
        )
        self.arn = secret.arn
        self.finish()
