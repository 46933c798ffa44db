"""AWS Backup of the environment's stateful data: the database and the cluster's volumes (R30)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.program.iam import aws_managed, document, kms_key_policy, service_trust
from landfall.program.protection import stateful

# Volumes the EBS CSI driver creates carry this tag (the fleet's StorageClass,
# tagSpecification_1), with the cluster's name as value: the backup selection picks them up.
BACKUP_TAG = "landfall.io/backup"
# AWS Backup's managed policies for its service role (under service-role/).
BACKUP_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)


@dataclass(frozen=True)
class BackupsArgs:
    name_prefix: str
    kms_key_arn: pulumi.Input[str]
    resource_arns: Sequence[pulumi.Input[str]]
    schedule: str
    retention_days: int
    production: bool
    account_id: str
    # Optional second region: a vault there, with a key of its own, receives a copy of every
    # recovery point (the provider is that region's).
    copy_region: str | None = None
    copy_provider: pulumi.ProviderResource | None = None


class Backups(Component):
    """A backup vault encrypted with the operations key, a daily plan keeping recovery points
    ``retention_days``, and a selection of the given resources (the RDS instance) plus every
    resource tagged ``landfall.io/backup=<name_prefix>`` (the PersistentVolumes of StatefulSets,
    tagged by the StorageClass). AWS Backup works through its own role with AWS's managed
    policies. The vault is protected in prod, where deleting it would take the backups.

    With ``copy_region``, each recovery point is also copied to a vault in that region, kept as
    long, encrypted with a key created there (KMS keys are regional; its policy leaves use to
    IAM, and AWS Backup's managed role policy grants it, for AWS resources only): a region's
    outage or a lost key there leaves the other copy."""

    vault_name: pulumi.Output[str]
    plan_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Backups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=f"{args.name_prefix}-backups",
            kms_key_arn=args.kms_key_arn,
            opts=stateful(self, args.production),
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{args.name_prefix}: AWS Backup takes and restores the backups",
            # No source conditions: AWS documents none for the role a backup plan's selection
            # hands to AWS Backup (only for vault access policies), and a condition the service
            # does not send would fail every backup job.
            assume_role_policy=document(service_trust("backup.amazonaws.com"), parent=self),
            opts=child,
        )
        for policy in BACKUP_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=aws_managed(policy),
                opts=child,
            )
        copies = []
        if args.copy_region and args.copy_provider:
            there = pulumi.ResourceOptions(parent=self, provider=args.copy_provider)
            copy_key = aws.kms.Key(
                f"{name}-copy",
                description=f"{args.name_prefix}: the copies of the backups in {args.copy_region}",
                enable_key_rotation=True,
                deletion_window_in_days=30 if args.production else 7,
                policy=document(kms_key_policy(args.account_id, args.copy_region, ()), parent=self),
                opts=stateful(self, args.production, provider=args.copy_provider),
            )
            aws.kms.Alias(
                f"{name}-copy",
                name=f"alias/{args.name_prefix}-backup-copies",
                target_key_id=copy_key.key_id,
                opts=there,
            )
            copy_vault = aws.backup.Vault(
                f"{name}-copy-vault",
                name=f"{args.name_prefix}-backups",
                kms_key_arn=copy_key.arn,
                opts=stateful(self, args.production, provider=args.copy_provider),
            )
            copies.append(
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=copy_vault.arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                        delete_after=args.retention_days
                    ),
                )
            )
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-daily",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily",
                    target_vault_name=vault.name,
                    schedule=args.schedule,
                    start_window=60,
                    completion_window=360,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days),
                    copy_actions=copies or None,
                )
            ],
            opts=child,
        )
        aws.backup.Selection(
            f"{name}-selection",
            name=f"{args.name_prefix}-stateful",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=list(args.resource_arns),
            selection_tags=[
                aws.backup.SelectionSelectionTagArgs(
                    type="STRINGEQUALS", key=BACKUP_TAG, value=args.name_prefix
                )
            ],
            opts=child,
        )
        self.vault_name = vault.name
        self.plan_id = plan.id
        self.finish()
