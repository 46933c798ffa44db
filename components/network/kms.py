"""The environment's customer-managed KMS keys, one per purpose, all with rotation on."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.program.iam import document, kms_key_policy
from landfall.program.protection import stateful

# purpose -> (description, AWS service principals allowed to use the key through that service)
KEY_PURPOSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cluster": ("EKS secrets envelope encryption and node EBS volumes", ()),
    "secrets": ("Secrets Manager: the RDS master secret and microservice secrets", ()),
    "data": ("RDS storage, OpenSearch, CloudWatch log groups", ("logs",)),
    "registry": ("ECR repositories (images and Helm charts)", ()),
    "operations": ("the alarm topic (SNS) and the backup vault", ("cloudwatch",)),
}


@dataclass(frozen=True)
class KmsKeysArgs:
    name_prefix: str
    region: str
    account_id: str
    production: bool
    # The Auto Scaling service-linked role, which launches the nodes' encrypted volumes.
    autoscaling_role_arn: pulumi.Input[str]


class KmsKeys(Component):
    """Separate keys per purpose so a key policy or grant for one (e.g. the EBS CSI driver on the
    cluster key) never opens another (the database). Rotation is on; prod keys are protected and
    have the longest deletion window."""

    arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: KmsKeysArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:KmsKeys", name, None, opts)
        self.arns = {}
        for purpose, (description, services) in KEY_PURPOSES.items():
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"{args.name_prefix}: {description}",
                enable_key_rotation=True,
                deletion_window_in_days=30 if args.production else 7,
                policy=document(
                    kms_key_policy(
                        args.account_id,
                        args.region,
                        services,
                        args.autoscaling_role_arn if purpose == "cluster" else None,
                    ),
                    parent=self,
                ),
                opts=stateful(self, args.production),
            )
            aws.kms.Alias(
                f"{name}-{purpose}",
                name=f"alias/{args.name_prefix}-{purpose}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arns[purpose] = key.arn
        self.finish()
