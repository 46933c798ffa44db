"""AWS WAF for the internet-facing ALB (FSBP ELB.16, WAF.* controls)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group

# AWS managed rule groups (AWS WAF Developer Guide, "AWS Managed Rules rule groups list"), in
# the order they are evaluated after the rate limit; all free of extra charges but the WCUs.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


@dataclass(frozen=True)
class WebFirewallArgs:
    name_prefix: str
    load_balancer_arn: pulumi.Input[str]
    rate_limit: int
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgs:
    return aws.wafv2.WebAclVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class WebFirewall(Component):
    """A regional web ACL on the ALB: first a per-IP rate limit (block), then AWS's managed
    rule groups for common exploits, known bad inputs and IPs with a bad reputation; what none
    matches is allowed. Every request is logged to a KMS-encrypted log group whose name starts
    with ``aws-waf-logs-``, as WAF requires of a CloudWatch Logs destination."""

    web_acl_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:WebFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rules = [
            aws.wafv2.WebAclRuleArgs(
                name="rate-limit-per-ip",
                priority=0,
                action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                        limit=args.rate_limit, aggregate_key_type="IP"
                    )
                ),
                visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                    cloudwatch_metrics_enabled=True,
                    metric_name=f"{args.name_prefix}-rate-limit",
                    sampled_requests_enabled=True,
                ),
            )
        ]
        for index, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                aws.wafv2.WebAclRuleArgs(
                    name=group,
                    priority=index,
                    # A rule group's own actions apply (none: keep them, do not count only).
                    override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                        none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()
                    ),
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                            vendor_name="AWS", name=group
                        )
                    ),
                    visibility_config=aws.wafv2.WebAclRuleVisibilityConfigArgs(
                        cloudwatch_metrics_enabled=True,
                        metric_name=f"{args.name_prefix}-{group}",
                        sampled_requests_enabled=True,
                    ),
                )
            )
        acl = aws.wafv2.WebAcl(
            name,
            name=f"{args.name_prefix}-alb",
            description=f"{args.name_prefix}: the internet-facing ALB",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()
            ),
            rules=rules,
            visibility_config=_visibility(f"{args.name_prefix}-alb"),
            opts=child,
        )
        aws.wafv2.WebAclAssociation(
            name, resource_arn=args.load_balancer_arn, web_acl_arn=acl.arn, opts=child
        )
        logs = kms_log_group(
            f"{name}-logs",
            f"aws-waf-logs-{args.name_prefix}",
            args.log_retention_days,
            args.log_kms_key_arn,
            child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            name, resource_arn=acl.arn, log_destination_configs=[logs.arn], opts=child
        )
        self.web_acl_arn = acl.arn
        self.finish()
