"""Where the cluster's logs and Container Insights metrics land, and the alarms on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group
from components.shared.metric_alarm import metric_alarm
from landfall.logic.alarms import (
    FLUX_ERROR_PATTERN,
    FLUX_ERRORS_METRIC,
    AlarmSpec,
    container_log_groups,
    gitops_metric_namespace,
)


@dataclass(frozen=True)
class ClusterObservabilityArgs:
    cluster_name: str
    kms_key_arn: pulumi.Input[str]
    retention_days: int
    container_logs: bool
    topic_arn: pulumi.Input[str]
    alarms: Sequence[AlarmSpec]


class ClusterObservability(Component):
    """The log groups the amazon-cloudwatch-observability add-on writes, created before it:
    Fluent Bit and the agent would otherwise create them themselves, unencrypted and kept
    forever (they cannot set a key), and a later create here would fail. Also the metric filter
    counting the Flux controllers' errors, and the cluster's alarms on the operations topic."""

    log_group_names: list[str]

    def __init__(
        self, name: str, args: ClusterObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:cluster:ClusterObservability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        wanted = {
            kind: group
            for kind, group in container_log_groups(args.cluster_name).items()
            if args.container_logs or kind == "performance"
        }
        groups = {
            kind: kms_log_group(
                f"{name}-{kind}", group, args.retention_days, args.kms_key_arn, child
            )
            for kind, group in wanted.items()
        }
        if args.container_logs:
            aws.cloudwatch.LogMetricFilter(
                f"{name}-flux-errors",
                log_group_name=groups["application"].name,
                pattern=FLUX_ERROR_PATTERN,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=FLUX_ERRORS_METRIC,
                    namespace=gitops_metric_namespace(args.cluster_name),
                    value="1",
                    # Quiet periods count 0, not missing: the alarm sees a failure end.
                    default_value="0",
                ),
                opts=child,
            )
        for spec in args.alarms:
            metric_alarm(spec, args.topic_arn, child)
        self.log_group_names = list(wanted.values())
        self.finish()
