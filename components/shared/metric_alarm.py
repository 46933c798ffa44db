"""One CloudWatch alarm from an ``AlarmSpec``, notifying a topic when it fires and recovers."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from landfall.logic.alarms import AlarmSpec


def metric_alarm(
    spec: AlarmSpec, topic_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.cloudwatch.MetricAlarm:
    """A metric alarm, or with ``spec.expression`` a metric-math alarm on that expression of
    the metric (whose id in the expression is ``m``); the metric's fields then move into the
    query, as CloudWatch requires."""
    metric = aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
        namespace=spec.namespace,
        metric_name=spec.metric,
        stat=spec.statistic,
        dimensions=spec.dimensions,
        period=spec.period_seconds,
    )
    math = spec.expression is not None
    return aws.cloudwatch.MetricAlarm(
        spec.name,
        name=spec.name,
        alarm_description=spec.description,
        namespace=None if math else spec.namespace,
        metric_name=None if math else spec.metric,
        statistic=None if math else spec.statistic,
        dimensions=None if math else spec.dimensions,
        period=None if math else spec.period_seconds,
        metric_queries=[
            aws.cloudwatch.MetricAlarmMetricQueryArgs(id="m", return_data=False, metric=metric),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="e", expression=spec.expression, label=spec.description, return_data=True
            ),
        ]
        if math
        else None,
        evaluation_periods=spec.evaluation_periods,
        threshold=spec.threshold,
        comparison_operator=spec.comparison,
        treat_missing_data=spec.treat_missing_data,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=opts,
    )
