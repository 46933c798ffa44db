"""Test helpers for the boto3 checks: a moto-backed fake AWS and small lookups on findings.

Test modules wrap ``moto_account`` in a ``fake_aws`` fixture of their own (importing a fixture
trips linters). Nothing here reaches
the real AWS: credentials are fake, profiles and config files point at empty paths, the instance
metadata service is disabled, and moto answers every call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from landfall.config import EnvironmentConfig, load_environment_file
from landfall.ops.checks import AwsClients, Finding

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})
TEST_ACCOUNT = "111111111111"  # as in Pulumi.test.yaml
PROD_ACCOUNT = "222222222222"  # as in Pulumi.prod.yaml

# botocore parses its (large) service models once per loader; sharing one keeps tests fast.
_LOADER = botocore.loaders.create_loader()


def isolate_from_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, profile, config file or metadata service can leak in from the machine."""
    for var in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def moto_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Fake credentials, region eu-west-2 and account 111111111111 (set MOTO_ACCOUNT_ID to
    change it mid-test), with moto's ``mock_aws`` answering every call until closed."""
    isolate_from_real_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", TEST_ACCOUNT)
    with mock_aws():
        yield


def session() -> boto3.session.Session:
    """A fresh boto3 session (fresh credentials and region) sharing the parsed service models."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core)


class Connections:
    """STUB (moto lacks AWS CodeConnections): the account's connections, by name and status;
    ``list_connections`` answers in pages of one, as AWS may."""

    def __init__(self, connections: dict[str, str]) -> None:
        self.connections = connections

    def list_connections(  # boto3's parameter names
        self,
        ProviderTypeFilter: str,
        NextToken: str = "0",
    ) -> dict[str, Any]:
        assert ProviderTypeFilter == "GitHub"
        items = [
            {"ConnectionName": n, "ConnectionStatus": s, "ProviderType": "GitHub"}
            for n, s in self.connections.items()
        ]
        index = int(NextToken)
        page: dict[str, Any] = {"Connections": items[index : index + 1]}
        if index + 1 < len(items):
            page["NextToken"] = str(index + 1)
        return page


def clients_for(cfg: EnvironmentConfig, **overrides: Any) -> AwsClients:
    """The clients doctor and verify use, with optional stand-ins per service (by default the
    environment's GitHub connection exists and is authorised, with another before it)."""
    connections = {"someone-else": "PENDING", f"{cfg.name_prefix}-github": "AVAILABLE"}
    overrides.setdefault("codeconnections", Connections(connections))
    return AwsClients(cfg.region or "", session=session(), overrides=overrides)


def env(name: str) -> EnvironmentConfig:
    """A committed environment config (Pulumi.<name>.yaml)."""
    return load_environment_file(name)


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def failures(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings if not f.ok}
