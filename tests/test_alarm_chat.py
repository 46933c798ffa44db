"""The alarm-to-chat function (functions/alarm_chat/handler.py): what it posts, and its
end-to-end run against Secrets Manager (moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from functions.alarm_chat import handler

ALARM = {
    "AlarmName": "landfall-prod-rds-cpu",
    "AlarmDescription": "RDS CPU above 70% for 15 minutes",
    "NewStateValue": "ALARM",
    "NewStateReason": "Threshold Crossed: 3 datapoints were greater than the threshold (70.0).",
    "Region": "EU (London)",
}


def sns_event(*messages: str) -> dict:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": m}} for m in messages]}


def test_an_alarm_becomes_one_line_with_its_state_description_and_reason() -> None:
    text = handler.message(ALARM)
    first, *rest = text.splitlines()
    assert "*landfall-prod-rds-cpu* is ALARM" in first and ":rotating_light:" in first
    assert rest == [ALARM["AlarmDescription"], "> " + ALARM["NewStateReason"]]
    assert ":white_check_mark:" in handler.message({**ALARM, "NewStateValue": "OK"})


def test_every_record_is_posted_and_plain_text_passes_through() -> None:
    posted: list[tuple[str, str]] = []
    count = handler.handle(
        sns_event(json.dumps(ALARM), "hello from the console"),
        lambda: "https://hooks.example.com/T/B/x",
        lambda url, text: posted.append((url, text)),
    )
    assert count == 2
    assert posted[1] == ("https://hooks.example.com/T/B/x", "hello from the console")
    assert handler.handle({"Records": []}, lambda: pytest.fail("no secret read")) == 0


def test_a_webhook_that_is_not_https_is_refused() -> None:
    with pytest.raises(ValueError, match="https://"):
        handler.handle(sns_event("x"), lambda: "http://hooks.example.com/x", lambda u, t: None)


def test_the_handler_reads_the_secret_and_posts_the_json_body(monkeypatch) -> None:
    sent: list[tuple[str, bytes, str]] = []

    class Response:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self) -> bytes:
            return b"ok"

    def urlopen(request, timeout):
        sent.append((request.full_url, request.data, request.get_header("Content-type")))
        return Response()

    monkeypatch.setattr(handler.urllib.request, "urlopen", urlopen)
    monkeypatch.setenv("WEBHOOK_SECRET_ID", "landfall/test/alarm-chat-webhook")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        boto3.client("secretsmanager", region_name="eu-west-2").create_secret(
            Name="landfall/test/alarm-chat-webhook",
            SecretString="https://hooks.example.com/services/T0/B0/abc\n",
        )
        assert handler.lambda_handler(sns_event(json.dumps(ALARM)), None) == {"posted": 1}
    [(url, body, content_type)] = sent
    assert url == "https://hooks.example.com/services/T0/B0/abc"
    assert content_type == "application/json"
    assert json.loads(body) == {"text": handler.message(ALARM)}
