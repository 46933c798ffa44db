"""`landfall bootstrap ENV`'s AWS part against moto: the state bucket, the secrets-provider key
and the settings file's encryptedkey, each idempotent."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from aws_fakes import clients_for, env, moto_account, session
from project import PROJECT_ROOT

from landfall.cli.main import main
from landfall.ops.bootstrap import DATA_KEY_BYTES, bootstrap_account, write_secrets_settings

pytestmark = pytest.mark.xdist_group("moto")
BUCKET = "landfall-state-111111111111"


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    yield from moto_account(monkeypatch, tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's settings files (the command edits Pulumi.<env>.yaml)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in (
        "Pulumi.yaml",
        "Pulumi.test.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.local.yaml",
        "services.yaml",
    ):
        shutil.copy(PROJECT_ROOT / name, root / name)
    return root


def test_a_fresh_account_gets_its_state_bucket_key_and_encryptedkey(fake_aws, project):
    cfg = env("test")
    findings = bootstrap_account(cfg, clients_for(cfg), project)
    assert all(f.ok for f in findings), findings
    s3 = session().client("s3", region_name="eu-west-2")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "eu-west-2"
    kms = session().client("kms", region_name="eu-west-2")
    key = kms.describe_key(KeyId="alias/landfall-test-pulumi")["KeyMetadata"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True

    text = (project / "Pulumi.test.yaml").read_text()
    settings = yaml.safe_load(text)
    assert settings["secretsprovider"] == "awskms://alias/landfall-test-pulumi?region=eu-west-2"
    # What Pulumi's cloud secrets manager reads: base64 of the KMS ciphertext of a 32-byte key.
    blob = base64.b64decode(settings["encryptedkey"])
    assert len(kms.decrypt(CiphertextBlob=blob)["Plaintext"]) == DATA_KEY_BYTES
    assert "# Settings of the test environment" in text  # comments are kept
    assert (
        settings["config"]
        == yaml.safe_load((PROJECT_ROOT / "Pulumi.test.yaml").read_text())["config"]
    )


def test_running_it_again_changes_nothing(fake_aws, project):
    cfg = env("test")
    bootstrap_account(cfg, clients_for(cfg), project)
    first = (project / "Pulumi.test.yaml").read_text()
    findings = bootstrap_account(cfg, clients_for(cfg), project)
    assert all(f.ok for f in findings)
    assert (project / "Pulumi.test.yaml").read_text() == first
    kms = session().client("kms", region_name="eu-west-2")
    assert len(kms.list_keys()["Keys"]) == 1
    assert "exists" in findings[0].detail and "exists" in findings[1].detail


def test_an_encryptedkey_of_another_key_is_reported_not_replaced(fake_aws, project):
    cfg = env("test")
    kms = session().client("kms", region_name="eu-west-2")
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    foreign = base64.b64encode(kms.encrypt(KeyId=other, Plaintext=b"x" * 32)["CiphertextBlob"])
    path = project / "Pulumi.test.yaml"
    path.write_text(
        path.read_text().replace(
            "secretsprovider:", f"encryptedkey: {foreign.decode()}\nsecretsprovider:", 1
        )
    )
    before = path.read_text()
    findings = bootstrap_account(cfg, clients_for(cfg), project)
    assert not findings[-1].ok
    assert "cannot decrypt" in findings[-1].detail
    assert path.read_text() == before


def test_a_file_without_a_secrets_provider_gets_one(fake_aws, project):
    cfg = env("prod")
    path = project / "Pulumi.prod.yaml"
    path.write_text(
        "\n".join(x for x in path.read_text().splitlines() if "secretsprovider" not in x)
    )
    clients = clients_for(cfg)
    clients("kms").create_key()  # an unrelated key: not picked
    from landfall.ops.bootstrap import ensure_secrets_key

    ensure_secrets_key(clients("kms"), cfg)
    finding = write_secrets_settings(path, clients("kms"), cfg)
    assert finding.ok
    settings = yaml.safe_load(path.read_text())
    assert settings["secretsprovider"] == "awskms://alias/landfall-prod-pulumi?region=eu-west-2"
    assert settings["encryptedkey"]


def test_the_command_refuses_the_wrong_account_before_creating_anything(
    fake_aws, project, monkeypatch, capsys
):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999999999999")
    code = main(["bootstrap", "test", "--account-only", "--cwd", str(project)])
    assert code != 0
    out = capsys.readouterr().out
    assert "999999999999" in out
    s3 = session().client("s3", region_name="eu-west-2")
    assert s3.list_buckets()["Buckets"] == []
    assert "encryptedkey" not in (project / "Pulumi.test.yaml").read_text()


def test_the_command_does_the_account_part(fake_aws, project, capsys):
    code = main(["bootstrap", "test", "--account-only", "--cwd", str(project)])
    assert code == 0, capsys.readouterr()
    assert "encryptedkey" in yaml.safe_load((project / "Pulumi.test.yaml").read_text())
