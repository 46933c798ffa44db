"""Layer 1, the network stack: VPC, KMS keys, DNS and certificate, ALB, RDS, OpenSearch, ECR.

Privileged, slow-changing, stateful resources live here so the cluster stack can be replaced
without touching them; everything the next stacks need is exported as NetworkOutputs (R24).
"""

from __future__ import annotations

from components.network.alarm_chat import AlarmChat, AlarmChatArgs
from components.network.alarms import Alarms, AlarmsArgs
from components.network.alb import Alb, AlbArgs
from components.network.backups import Backups, BackupsArgs
from components.network.ci_runner import CiRunner, CiRunnerArgs
from components.network.data_access import DataAccess, DataAccessArgs
from components.network.database import Database, DatabaseArgs, database_identifier
from components.network.dns import Dns, DnsArgs
from components.network.dns_security import ROUTE53_REGION, DnsSecurity, DnsSecurityArgs
from components.network.image_mirror import ImageMirror, ImageMirrorArgs
from components.network.kms import KmsKeys, KmsKeysArgs
from components.network.registry import Registry, RegistryArgs
from components.network.search import Search, SearchArgs, search_domain_name
from components.network.vpc import Vpc, VpcArgs
from components.network.waf import WebFirewall, WebFirewallArgs
from landfall.config import EnvironmentConfig
from landfall.logic.alarms import (
    database_alarms,
    load_balancer_alarms,
    nat_alarms,
    search_alarms,
)
from landfall.logic.contracts import BootstrapOutputs, NetworkOutputs
from landfall.program.access import resolve_sso_roles, sso_role_lister
from landfall.program.outputs import export_outputs, read_outputs, stack_reference
from landfall.program.provider import aws_provider, component_opts, parent_zone_provider


def run(cfg: EnvironmentConfig) -> None:
    # Sections are validated as present for cloud environments before any layer runs.
    net, dns, db, search, registry, gitops, ci = (
        cfg.require(name, getattr(cfg, name))
        for name in ("network", "dns", "database", "search", "registry", "gitops", "ci")
    )
    region, account = str(cfg.region), str(cfg.account_id)
    prod = cfg.is_production
    provider = aws_provider(cfg, "network")
    opts = component_opts(provider)
    # Looked up before anything is declared: the search master role trusts exactly the
    # cluster-admin SSO roles (a missing role fails here, with one message).
    admins = [
        m for m in cfg.require("cluster", cfg.cluster).sso_mappings if m.access == "cluster-admin"
    ]
    admin_roles = resolve_sso_roles(admins, sso_role_lister(provider))
    plan = cfg.subnet_plan()

    # The account's service-linked roles: the cluster key's policy names Auto Scaling's, and
    # OpenSearch cannot create a VPC domain without its own (R26).
    account_prerequisites = read_outputs(
        BootstrapOutputs, stack_reference("bootstrap", cfg.environment)
    )
    service_roles = account_prerequisites.service_linked_role_arns
    keys = KmsKeys(
        "kms",
        KmsKeysArgs(
            cfg.name_prefix,
            region,
            account,
            prod,
            autoscaling_role_arn=service_roles["autoscaling.amazonaws.com"],
        ),
        opts,
    )
    vpc = Vpc(
        "vpc",
        VpcArgs(
            name_prefix=cfg.name_prefix,
            region=region,
            account_id=account,
            cluster_name=cfg.name_prefix,
            plan=plan,
            nat_per_az=net.nat_gateways == "per-az",
            interface_endpoints=net.interface_endpoints,
            flow_log_retention_days=net.flow_log_retention_days,
            flow_log_kms_key_arn=keys.arns["data"],
        ),
        opts,
    )
    parent_provider = parent_zone_provider(cfg, dns.parent_zone_role_arn)
    zone = Dns(
        "dns",
        DnsArgs(
            domain=dns.domain,
            production=prod,
            parent_zone_id=dns.parent_zone_id,
            parent_provider=parent_provider,
        ),
        opts,
    )
    dnssec = None
    if dns.dnssec:
        dnssec = DnsSecurity(
            "dns-security",
            DnsSecurityArgs(
                name_prefix=cfg.name_prefix,
                account_id=account,
                domain=dns.domain,
                zone_id=zone.zone_id,
                us_east_1=aws_provider(cfg, "network", ROUTE53_REGION),
                query_log_retention_days=dns.query_log_retention_days,
                production=prod,
                parent_zone_id=dns.parent_zone_id,
                parent_provider=parent_provider,
            ),
            opts,
        )
    public_services = {s.name: (s.rule_priority, s.team) for s in cfg.services if s.public}
    alb = Alb(
        "alb",
        AlbArgs(
            name_prefix=cfg.name_prefix,
            vpc_id=vpc.vpc_id,
            vpc_cidr=str(plan.vpc_cidr),
            public_subnet_ids=vpc.subnet_ids["public"],
            certificate_arn=zone.certificate_arn,
            zone_id=zone.zone_id,
            domain=dns.domain,
            services=public_services,
            ssl_policy=cfg.load_balancer.ssl_policy,
            idle_timeout_seconds=cfg.load_balancer.idle_timeout_seconds,
            access_log_retention_days=cfg.load_balancer.access_log_retention_days,
            production=prod,
        ),
        opts,
    )
    waf = cfg.load_balancer.waf
    if waf.enabled:
        WebFirewall(
            "waf",
            WebFirewallArgs(
                name_prefix=cfg.name_prefix,
                load_balancer_arn=alb.arn,
                rate_limit=waf.rate_limit,
                log_kms_key_arn=keys.arns["data"],
                log_retention_days=waf.log_retention_days,
            ),
            opts,
        )
    database = Database(
        "database",
        DatabaseArgs(
            name_prefix=cfg.name_prefix,
            vpc_id=vpc.vpc_id,
            data_subnet_ids=vpc.subnet_ids["data"],
            client_security_group_id=vpc.data_access_security_group_id,
            storage_kms_key_arn=keys.arns["data"],
            secret_kms_key_arn=keys.arns["secrets"],
            engine_version=db.engine_version,
            instance_class=db.instance_class,
            allocated_storage_gb=db.allocated_storage_gb,
            max_allocated_storage_gb=db.max_allocated_storage_gb,
            multi_az=db.multi_az,
            backup_retention_days=db.backup_retention_days,
            database_name=db.database_name,
            production=prod,
            log_kms_key_arn=keys.arns["data"],
            log_retention_days=db.log_retention_days,
            monitoring_interval_seconds=db.monitoring_interval_seconds,
            performance_insights_retention_days=db.performance_insights_retention_days,
        ),
        opts,
    )
    data_access = DataAccess(
        "data-access",
        DataAccessArgs(
            name_prefix=cfg.name_prefix,
            region=region,
            account_id=account,
            vpc_id=vpc.vpc_id,
            vpc_cidr=str(plan.vpc_cidr),
            private_subnet_ids=vpc.subnet_ids["private"],
            data_access_security_group_id=vpc.data_access_security_group_id,
            master_secret_arn=database.secret_arn,
            secrets_kms_key_arn=keys.arns["secrets"],
            log_kms_key_arn=keys.arns["data"],
            log_retention_days=db.log_retention_days,
        ),
        opts,
    )
    domain = Search(
        "search",
        SearchArgs(
            name_prefix=cfg.name_prefix,
            region=region,
            account_id=account,
            vpc_id=vpc.vpc_id,
            data_subnet_ids=vpc.subnet_ids["data"],
            client_security_group_id=vpc.data_access_security_group_id,
            kms_key_arn=keys.arns["data"],
            engine_version=search.engine_version,
            instance_type=search.instance_type,
            instance_count=search.instance_count,
            volume_size_gb=search.volume_size_gb,
            dedicated_master_type=search.dedicated_master_type,
            dedicated_master_count=search.dedicated_master_count,
            zone_awareness=search.zone_awareness,
            log_retention_days=search.log_retention_days,
            production=prod,
            admin_principal_arns=sorted(admin_roles.values()),
            provisioner_role_arn=data_access.role_arn,
            provisioner_role_name=data_access.role_name,
        ),
        opts,
    )
    alarms = cfg.alarms
    alarm_topic = Alarms(
        "alarms",
        AlarmsArgs(
            name_prefix=cfg.name_prefix,
            region=region,
            account_id=account,
            kms_key_arn=keys.arns["operations"],
            alarms=[
                *database_alarms(cfg.name_prefix, database_identifier(cfg.name_prefix), alarms),
                *search_alarms(
                    cfg.name_prefix, search_domain_name(cfg.name_prefix), account, alarms
                ),
                *load_balancer_alarms(
                    cfg.name_prefix, alb.arn_suffix, alb.target_group_arn_suffixes, alarms
                ),
                *nat_alarms(cfg.name_prefix, vpc.nat_gateway_ids),
            ],
            email_subscribers=alarms.email_subscribers,
        ),
        opts,
    )
    if alarms.chat_webhook_secret_id:
        AlarmChat(
            "alarm-chat",
            AlarmChatArgs(
                name_prefix=cfg.name_prefix,
                region=region,
                account_id=account,
                topic_arn=alarm_topic.topic_arn,
                webhook_secret_id=alarms.chat_webhook_secret_id,
                secrets_kms_key_arn=keys.arns["secrets"],
                log_kms_key_arn=keys.arns["data"],
                log_retention_days=cfg.observability.log_retention_days,
            ),
            opts,
        )
    Backups(
        "backups",
        BackupsArgs(
            name_prefix=cfg.name_prefix,
            kms_key_arn=keys.arns["operations"],
            resource_arns=[database.instance_arn],
            schedule=cfg.backups.schedule,
            retention_days=cfg.backups.retention_days,
            production=prod,
            account_id=account,
            copy_region=cfg.backups.copy_region,
            copy_provider=aws_provider(cfg, "network", cfg.backups.copy_region)
            if cfg.backups.copy_region
            else None,
        ),
        opts,
    )
    ImageMirror("image-mirror", ImageMirrorArgs(cfg.name_prefix), opts)
    fleet_artifact = [gitops.oci_repository] if gitops.source == "oci" else []
    ecr = Registry(
        "registry",
        RegistryArgs(
            image_repositories=cfg.image_repositories(),
            chart_repositories=[*cfg.chart_repositories(), *fleet_artifact],
            keep_last_images=registry.keep_last_images,
            untagged_expiry_days=registry.untagged_expiry_days,
            kms_key_arn=keys.arns["registry"],
            production=prod,
        ),
        opts,
    )
    runner = CiRunner(
        "ci-runner",
        CiRunnerArgs(
            name_prefix=cfg.name_prefix,
            region=region,
            account_id=account,
            repository=ci.repository,
            connection_arn=account_prerequisites.github_connection_arn,
            vpc_id=vpc.vpc_id,
            private_subnet_ids=vpc.subnet_ids["private"],
            log_kms_key_arn=keys.arns["data"],
            log_retention_days=ci.runner_log_retention_days,
        ),
        opts,
    )

    export_outputs(
        NetworkOutputs(
            region=region,
            account_id=account,
            vpc_id=vpc.vpc_id,
            vpc_cidr=str(plan.vpc_cidr),
            availability_zones=cfg.availability_zones(),
            public_subnet_ids=vpc.subnet_ids["public"],
            private_subnet_ids=vpc.subnet_ids["private"],
            data_subnet_ids=vpc.subnet_ids["data"],
            public_subnet_cidrs=plan.cidrs("public"),
            private_subnet_cidrs=plan.cidrs("private"),
            data_subnet_cidrs=plan.cidrs("data"),
            data_access_security_group_id=vpc.data_access_security_group_id,
            alb_arn=alb.arn,
            alb_dns_name=alb.dns_name,
            alb_zone_id=alb.zone_id,
            alb_security_group_id=alb.security_group_id,
            https_listener_arn=alb.https_listener_arn,
            target_group_arns=alb.target_group_arns,
            hosted_zone_id=zone.zone_id,
            hosted_zone_name=zone.zone_name,
            hosted_zone_arn=zone.zone_arn,
            hosted_zone_name_servers=zone.name_servers,
            certificate_arn=zone.certificate_arn,
            database_address=database.address,
            database_port=database.port,
            database_name=db.database_name,
            database_secret_arn=database.secret_arn,
            database_resource_id=database.resource_id,
            database_security_group_id=database.security_group_id,
            search_endpoint=domain.endpoint,
            search_domain_arn=domain.domain_arn,
            search_security_group_id=domain.security_group_id,
            search_master_role_arn=domain.master_role_arn,
            data_access_function_name=data_access.function_name,
            alarm_topic_arn=alarm_topic.topic_arn,
            ecr_registry=ecr.registry,
            image_repository_urls=ecr.image_urls,
            chart_repository_urls=ecr.chart_urls,
            cluster_kms_key_arn=keys.arns["cluster"],
            secrets_kms_key_arn=keys.arns["secrets"],
            data_kms_key_arn=keys.arns["data"],
            registry_kms_key_arn=keys.arns["registry"],
            ci_runner_project_name=runner.project_name,
            ci_runner_security_group_id=runner.security_group_id,
            hosted_zone_ds_record=dnssec.ds_record if dnssec else "",
        )
    )
