"""AWS Lambda function: posts the environment's CloudWatch alarms to a chat webhook.

Subscribed to the operations topic (the network stack's alarm topic), it turns each SNS
notification of a CloudWatch alarm into one message for a Slack-compatible incoming webhook
(Slack, Mattermost, Rocket.Chat: a JSON body with ``text``), the same kind of webhook the Flux
notifications use. The webhook URL is the string of a Secrets Manager secret named by the
environment variable ``WEBHOOK_SECRET_ID``, read at each invocation so a rotated URL applies at
once. The documented equivalent of AWS Chatbot (docs/operations.md): nothing to authorise in a
console, and any webhook-speaking chat works.

This file is shipped alone: it imports only the standard library and the runtime's boto3.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

ICONS = {
    "ALARM": ":rotating_light:",
    "OK": ":white_check_mark:",
    "INSUFFICIENT_DATA": ":grey_question:",
}


def message(alarm: Mapping[str, Any]) -> str:
    """One chat line for a CloudWatch alarm notification (the SNS message's JSON)."""
    state = str(alarm.get("NewStateValue", "?"))
    text = (
        f"{ICONS.get(state, '')} *{alarm.get('AlarmName', '?')}* is {state}"
        f" ({alarm.get('Region', '')})".rstrip()
    )
    if alarm.get("AlarmDescription"):
        text += f"\n{alarm['AlarmDescription']}"
    if alarm.get("NewStateReason"):
        text += f"\n> {alarm['NewStateReason']}"
    return text


def _post(url: str, text: str) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def handle(
    event: Mapping[str, Any],
    webhook_url: Callable[[], str],
    post: Callable[[str, str], None] = _post,
) -> int:
    """Posts one message per SNS record; returns how many. Records that are not alarm JSON
    (a test message published by hand) are posted as their text."""
    records = event.get("Records") or []
    if not records:
        return 0
    url = webhook_url()
    if not url.startswith("https://"):
        raise ValueError("the webhook secret must hold an https:// URL")
    for record in records:
        body = record.get("Sns", {}).get("Message", "")
        try:
            alarm = json.loads(body)
        except ValueError:
            alarm = None
        post(url, message(alarm) if isinstance(alarm, dict) else str(body))
    return len(records)


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, int]:
    import boto3

    def webhook_url() -> str:
        secrets = boto3.client("secretsmanager")
        value = secrets.get_secret_value(SecretId=os.environ["WEBHOOK_SECRET_ID"])
        return str(value["SecretString"]).strip()

    return {"posted": handle(event, webhook_url)}
