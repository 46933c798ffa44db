"""The internet-facing Application Load Balancer owned by the network stack (R15)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.network.security_groups import security_group, tcp_ingress
from landfall.logic.rollout import DEREGISTRATION_DELAY_SECONDS
from landfall.program.iam import alb_access_log_bucket_policy, document
from landfall.program.protection import stateful

# Pods listen here; the service's Kubernetes Service and the TargetGroupBinding use the same port.
SERVICE_PORT = 8080
HEALTH_CHECK_PATH = "/healthz"


# Old versions of access-log objects, and parts of abandoned uploads, are removed after:
NONCURRENT_DAYS = 30
ABORT_MULTIPART_DAYS = 7


@dataclass(frozen=True)
class AlbArgs:
    name_prefix: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    public_subnet_ids: Sequence[pulumi.Input[str]]
    certificate_arn: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    domain: str
    # The public services: name -> (listener-rule priority, owning team or None).
    services: dict[str, tuple[int, str | None]]
    ssl_policy: str
    idle_timeout_seconds: int
    access_log_retention_days: int
    production: bool


class Alb(Component):
    """An ALB in the public subnets, HTTPS only (HTTP redirects), invalid headers dropped, access
    logs to an encrypted, private bucket. Each microservice gets an ``ip`` target group and a
    host rule ``<service>.<domain>``; the cluster's AWS Load Balancer Controller registers pods in
    it through a TargetGroupBinding and manages the SG rules from this ALB to the pods."""

    arn: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]
    target_group_arns: dict[str, pulumi.Output[str]]
    # The CloudWatch dimension values of the ALB and of each service's target group.
    arn_suffix: pulumi.Output[str]
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: AlbArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Alb", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        logs = aws.s3.Bucket(
            f"{name}-access-logs",
            force_destroy=not args.production,
            opts=stateful(self, args.production),
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-access-logs",
            bucket=logs.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-access-logs",
            bucket=logs.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        # ALB access logs support only SSE-S3 (AES256), not SSE-KMS.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs",
            bucket=logs.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        # Versions: a deleted or overwritten log object can be recovered (FSBP S3.14); the old
        # versions expire after NONCURRENT_DAYS so versioning does not keep logs forever.
        versioning = aws.s3.BucketVersioning(
            f"{name}-access-logs",
            bucket=logs.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs",
            bucket=logs.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.access_log_retention_days
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=NONCURRENT_DAYS
                    ),
                    # Parts of uploads that never completed are billed until removed.
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_DAYS
                    ),
                )
            ],
            # S3 rejects noncurrent-version rules on a bucket whose versioning is not set yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        elb_account = aws.elb.get_service_account_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        log_policy = aws.s3.BucketPolicy(
            f"{name}-access-logs",
            bucket=logs.id,
            policy=document(alb_access_log_bucket_policy(logs.arn, elb_account.arn), parent=self),
            opts=child,
        )

        sg = security_group(
            name,
            args.vpc_id,
            "Internet-facing ALB: HTTP(S) in from anywhere, out to targets in the VPC",
            f"{args.name_prefix}-alb",
            child,
        )
        for port, purpose in ((80, "HTTP (redirected to HTTPS)"), (443, "HTTPS")):
            tcp_ingress(
                f"{name}-in-{port}",
                sg.id,
                port,
                f"{purpose} from the internet",
                child,
                cidr_ipv4="0.0.0.0/0",
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-out-targets",
            security_group_id=sg.id,
            description="To pod targets inside the VPC",
            ip_protocol="tcp",
            from_port=SERVICE_PORT,
            to_port=SERVICE_PORT,
            cidr_ipv4=args.vpc_cidr,
            opts=child,
        )

        alb = aws.lb.LoadBalancer(
            name,
            name=f"{args.name_prefix}-public"[:32],
            load_balancer_type="application",
            internal=False,
            security_groups=[sg.id],
            subnets=args.public_subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest" if args.production else "defensive",
            enable_deletion_protection=args.production,
            enable_http2=True,
            idle_timeout=args.idle_timeout_seconds,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=logs.bucket, enabled=True, prefix="alb"
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_policy]),
        )
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=child,
        )
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=args.ssl_policy,
            certificate_arn=args.certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="text/plain", message_body="Not found", status_code="404"
                    ),
                )
            ],
            opts=child,
        )

        self.target_group_arns = {}
        self.target_group_arn_suffixes = {}
        for service, (priority, team) in args.services.items():
            tags = {"Service": service, **({"Team": team} if team else {})}
            target_group = aws.lb.TargetGroup(
                f"{name}-{service}",
                name=f"{args.name_prefix}-{service}"[:32].rstrip("-"),
                target_type="ip",
                protocol="HTTP",
                port=SERVICE_PORT,
                vpc_id=args.vpc_id,
                deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    path=HEALTH_CHECK_PATH,
                    matcher="200-399",
                    interval=15,
                    healthy_threshold=2,
                    unhealthy_threshold=3,
                ),
                tags=tags,
                opts=child,
            )
            host = f"{service}.{args.domain}"
            aws.lb.ListenerRule(
                f"{name}-{service}",
                listener_arn=https.arn,
                # The catalogue's number (explicit or derived from the name): stable when other
                # services come and go.
                priority=priority,
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[host])
                    )
                ],
                actions=[
                    aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group.arn)
                ],
                opts=child,
            )
            aws.route53.Record(
                f"{name}-{service}",
                zone_id=args.zone_id,
                name=host,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True
                    )
                ],
                opts=child,
            )
            self.target_group_arns[service] = target_group.arn
            self.target_group_arn_suffixes[service] = target_group.arn_suffix

        self.arn = alb.arn
        self.arn_suffix = alb.arn_suffix
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = sg.id
        self.https_listener_arn = https.arn
        self.finish()
