"""RDS for MariaDB in the isolated data subnets, its credentials managed by AWS (R19)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group
from components.network.security_groups import data_store_security_group
from landfall.logic.rds import MARIADB_SETTINGS, parameter_settings
from landfall.program.iam import aws_managed, document, service_trust
from landfall.program.protection import stateful

MARIADB_PORT = 3306
# The general log (every statement, parameters included) is not exported: it would put query
# text, and any secret in it, into CloudWatch at a volume that costs (docs/security.md).
LOG_EXPORTS = ["audit", "error", "slowquery"]


def database_identifier(name_prefix: str) -> str:
    """The RDS instance's identifier (CloudWatch names it by this, as the alarms do)."""
    return f"{name_prefix}-mariadb"


def major_version(engine_version: str) -> str:
    """'11.4.5' -> '11.4' (parameter group family and option group version)."""
    return ".".join(engine_version.split(".")[:2])


@dataclass(frozen=True)
class DatabaseArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    data_subnet_ids: Sequence[pulumi.Input[str]]
    client_security_group_id: pulumi.Input[str]
    storage_kms_key_arn: pulumi.Input[str]
    secret_kms_key_arn: pulumi.Input[str]
    engine_version: str
    instance_class: str
    allocated_storage_gb: int
    max_allocated_storage_gb: int
    multi_az: bool
    backup_retention_days: int
    database_name: str
    production: bool
    # The exported logs' groups, made before the instance (else RDS creates them unencrypted and
    # never expiring): encrypted with this key, kept this many days.
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    # Enhanced Monitoring (OS metrics; 0: off) and Performance Insights (with the data key).
    monitoring_interval_seconds: int = 60
    performance_insights_retention_days: int = 7


class Database(Component):
    """MariaDB that is private (isolated subnets, no public access, reachable only from the
    data-access security group the cluster stack attaches to its nodes), encrypted with the data
    key, TLS-only via its parameter group, with IAM authentication, audit/error/general/slow logs
    exported, and its master password generated and rotated by RDS in Secrets Manager, so it
    never appears in config or state. Prod adds multi-AZ, deletion protection and a final
    snapshot, and the instance is protected and retained."""

    address: pulumi.Output[str]
    port: pulumi.Output[int]
    secret_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    instance_arn: pulumi.Output[str]
    resource_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        major = major_version(args.engine_version)

        sg = data_store_security_group(
            name,
            vpc_id=args.vpc_id,
            description="MariaDB: only from the data-access security group",
            name_tag=f"{args.name_prefix}-database",
            port=MARIADB_PORT,
            rule_description="MariaDB from nodes carrying the data-access security group",
            client_security_group_id=args.client_security_group_id,
            opts=child,
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.data_subnet_ids,
            description=f"{args.name_prefix} isolated data subnets",
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"mariadb{major}",
            description=f"{args.name_prefix} MariaDB: TLS required",
            # Static parameters (tls_version) must be applied at the next reboot: RDS refuses
            # `immediate` for them, and the group, then the database, would never be created.
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=name, value=value, apply_method=method)
                for name, value, method in parameter_settings(MARIADB_SETTINGS)
            ],
            opts=child,
        )
        options = aws.rds.OptionGroup(
            f"{name}-options",
            engine_name="mariadb",
            major_engine_version=major,
            option_group_description=f"{args.name_prefix} MariaDB: audit plugin",
            options=[aws.rds.OptionGroupOptionArgs(option_name="MARIADB_AUDIT_PLUGIN")],
            opts=child,
        )
        identifier = database_identifier(args.name_prefix)
        log_groups = [
            kms_log_group(
                f"{name}-{log_type}-logs",
                f"/aws/rds/instance/{identifier}/{log_type}",
                args.log_retention_days,
                args.log_kms_key_arn,
                stateful(self, args.production),
            )
            for log_type in LOG_EXPORTS
        ]
        monitoring_role = None
        if args.monitoring_interval_seconds:
            monitoring_role = aws.iam.Role(
                f"{name}-monitoring",
                description=f"{identifier}: RDS Enhanced Monitoring publishes OS metrics",
                assume_role_policy=document(
                    service_trust("monitoring.rds.amazonaws.com"), parent=self
                ),
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-monitoring",
                role=monitoring_role.name,
                policy_arn=aws_managed("service-role/AmazonRDSEnhancedMonitoringRole"),
                opts=child,
            )
        instance = aws.rds.Instance(
            name,
            identifier=identifier,
            engine="mariadb",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            db_name=args.database_name,
            username="landfall_admin",
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.secret_kms_key_arn,
            iam_database_authentication_enabled=True,
            port=MARIADB_PORT,
            allocated_storage=args.allocated_storage_gb,
            max_allocated_storage=args.max_allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.storage_kms_key_arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[sg.id],
            publicly_accessible=False,
            parameter_group_name=parameters.name,
            option_group_name=options.name,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            backup_window="02:00-03:00",
            maintenance_window="sun:03:30-sun:04:30",
            copy_tags_to_snapshot=True,
            delete_automated_backups=not args.production,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            monitoring_interval=args.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=args.storage_kms_key_arn,
            performance_insights_retention_period=args.performance_insights_retention_days,
            deletion_protection=args.production,
            skip_final_snapshot=not args.production,
            final_snapshot_identifier=f"{identifier}-final" if args.production else None,
            apply_immediately=not args.production,
            opts=stateful(self, args.production, depends_on=log_groups),
        )
        self.address = instance.address
        self.port = instance.port
        self.secret_arn = instance.master_user_secrets.apply(lambda s: str(s[0].secret_arn))
        self.security_group_id = sg.id
        self.instance_arn = instance.arn
        self.resource_id = instance.resource_id
        self.finish()
