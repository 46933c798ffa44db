"""The environment's alarms and the encrypted topic they notify (R30)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from components.shared.metric_alarm import metric_alarm
from landfall.logic.alarms import AlarmSpec
from landfall.program.iam import alarm_topic_policy, document


@dataclass(frozen=True)
class AlarmsArgs:
    name_prefix: str
    region: str
    account_id: str
    kms_key_arn: pulumi.Input[str]
    alarms: Sequence[AlarmSpec]
    email_subscribers: Sequence[str]


class Alarms(Component):
    """An SNS topic encrypted with the operations key (its policy lets only this account's
    alarms publish), an email subscription per subscriber (each confirms by mail), and one
    CloudWatch alarm per spec that notifies the topic when it fires and when it recovers."""

    topic_arn: pulumi.Output[str]
    alarm_names: list[str]

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=f"{args.name_prefix}-alarms",
            kms_master_key_id=args.kms_key_arn,
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-topic",
            arn=topic.arn,
            policy=document(
                alarm_topic_policy(topic.arn, args.account_id, args.region), parent=self
            ),
            opts=child,
        )
        for address in args.email_subscribers:
            aws.sns.TopicSubscription(
                f"{name}-{address.replace('@', '-at-')}",
                topic=topic.arn,
                protocol="email",
                endpoint=address,
                opts=child,
            )
        for spec in args.alarms:
            metric_alarm(spec, topic.arn, child)
        self.topic_arn = topic.arn
        self.alarm_names = [spec.name for spec in args.alarms]
        self.finish()
