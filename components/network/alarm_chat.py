"""Alarms in the team's chat: a function subscribed to the alarm topic posts each to a webhook."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import FUNCTIONS, LAMBDA_RUNTIME, Component, kms_log_group
from landfall.program.iam import alarm_chat_policy, document, service_trust

HANDLER = FUNCTIONS / "alarm_chat" / "handler.py"


@dataclass(frozen=True)
class AlarmChatArgs:
    name_prefix: str
    region: str
    account_id: str
    topic_arn: pulumi.Input[str]
    webhook_secret_id: str
    secrets_kms_key_arn: pulumi.Input[str]
    log_kms_key_arn: pulumi.Input[str]
    log_retention_days: int


class AlarmChat(Component):
    """A small Lambda function (``functions/alarm_chat/handler.py``) subscribed to the alarm
    topic that posts every alarm, and its recovery, to a Slack-compatible webhook whose URL is
    a Secrets Manager secret: the documented equivalent of AWS Chatbot, with nothing to
    authorise in a console. Outside the VPC (it needs only Secrets Manager and the webhook);
    its role reads that one secret and writes its own encrypted log group."""

    function_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AlarmChatArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:AlarmChat", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = f"{args.name_prefix}-alarm-chat"
        logs = kms_log_group(
            f"{name}-logs",
            f"/aws/lambda/{function_name}",
            args.log_retention_days,
            args.log_kms_key_arn,
            child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"{function_name}: posts the alarms to the chat webhook",
            assume_role_policy=document(
                service_trust(
                    "lambda.amazonaws.com",
                    args.account_id,
                    f"arn:aws:lambda:{args.region}:{args.account_id}:function:{function_name}",
                ),
                parent=self,
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-role",
            role=role.id,
            policy=document(
                alarm_chat_policy(
                    args.region,
                    args.account_id,
                    args.webhook_secret_id,
                    args.secrets_kms_key_arn,
                    logs.arn,
                ),
                parent=self,
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            name,
            name=function_name,
            description="landfall: the environment's alarms, posted to the chat webhook",
            runtime=LAMBDA_RUNTIME,
            handler="handler.lambda_handler",
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(HANDLER))}),
            role=role.arn,
            timeout=30,
            memory_size=128,
            architectures=["arm64"],
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={"WEBHOOK_SECRET_ID": args.webhook_secret_id}
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=logs.name
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs]),
        )
        aws.lambda_.Permission(
            f"{name}-from-topic",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="sns.amazonaws.com",
            source_arn=args.topic_arn,
            opts=child,
        )
        aws.sns.TopicSubscription(
            f"{name}-subscription",
            topic=args.topic_arn,
            protocol="lambda",
            endpoint=function.arn,
            opts=child,
        )
        self.function_arn = function.arn
        self.finish()
