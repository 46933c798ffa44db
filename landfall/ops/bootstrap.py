"""``landfall bootstrap ENV``, the part that cannot be a stack (R26), with boto3.

Before any stack exists there must be a state backend (the S3 bucket Pulumi keeps the stacks in)
and the KMS key Pulumi encrypts stack secrets with; the settings file must also carry the
``encryptedkey`` Pulumi derives from that key, or every operation makes a new one with
``kms:Encrypt`` and rewrites the tracked file (which the read-only preview role cannot do).
Each step is idempotent: it creates what is missing and corrects settings that drifted. The
bootstrap *stack* (bootstrap/program.py) then runs through the usual orchestration.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

from landfall.config import EnvironmentConfig, config_file
from landfall.logic.prerequisites import (
    secrets_provider_alias,
    secrets_provider_url,
    state_bucket_name,
)
from landfall.ops.checks import AWS_ERRORS, AwsClients, Finding, error_code, failed, passed

# Pulumi's cloud secrets manager: a 32-byte data key, encrypted with the KMS key (gocloud's
# awskms keeper calls kms:Encrypt), stored base64 (pulumi/pulumi pkg/secrets/cloud/manager.go).
DATA_KEY_BYTES = 32
_SECRETS_PROVIDER_LINE = re.compile(r"^secretsprovider:.*$", re.MULTILINE)
_ENCRYPTED_KEY_LINE = re.compile(r"^encryptedkey:\s*(\S+)\s*$", re.MULTILINE)


def backend_url(cfg: EnvironmentConfig) -> str:
    return f"s3://{state_bucket_name(str(cfg.account_id))}?region={cfg.region}"


def ensure_state_bucket(s3: Any, bucket: str, region: str) -> Finding:
    """The state bucket: private, versioned (a bad import or a crashed update is recoverable
    from an older version), encrypted, TLS only."""
    check = "state bucket"
    try:
        s3.head_bucket(Bucket=bucket)
        verb = "exists"
    except AWS_ERRORS as exc:
        if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        location = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(
            Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {})
        )
        verb = "created"
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )
    return passed(check, f"s3://{bucket} {verb}: private, versioned, encrypted, TLS only")


def ensure_secrets_key(kms: Any, cfg: EnvironmentConfig) -> tuple[str, Finding]:
    """The KMS key of the secrets provider, found by its alias or created with it; rotation on."""
    alias = secrets_provider_alias(cfg.environment)
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
        verb = "exists"
    except AWS_ERRORS as exc:
        if error_code(exc) != "NotFoundException":
            raise
        key = kms.create_key(
            Description=f"Pulumi stack secrets of landfall {cfg.environment}",
            Tags=[
                {"TagKey": "Project", "TagValue": "landfall"},
                {"TagKey": "Environment", "TagValue": cfg.environment},
                {"TagKey": "ManagedBy", "TagValue": "landfall bootstrap"},
            ],
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
        verb = "created"
    if key.get("KeyState") not in (None, "Enabled"):
        return key["Arn"], failed(
            "secrets provider key",
            f"{alias} points at key {key['KeyId']}, which is {key['KeyState']}",
            f"cancel its deletion / enable it (aws kms enable-key --key-id {key['KeyId']})",
        )
    kms.enable_key_rotation(KeyId=key["KeyId"])
    return key["Arn"], passed("secrets provider key", f"{alias} {verb}, rotation on")


def write_secrets_settings(path: Path, kms: Any, cfg: EnvironmentConfig) -> Finding:
    """Make ``Pulumi.<env>.yaml`` name the secrets provider and carry its ``encryptedkey``,
    editing only those two top-level lines so the file's comments stay. An existing
    ``encryptedkey`` is kept when the key decrypts it (it encrypts the stacks' secrets)."""
    check = "encryptedkey"
    url = secrets_provider_url(cfg.environment, str(cfg.region))
    text = path.read_text(encoding="utf-8")
    if _SECRETS_PROVIDER_LINE.search(text):
        text = _SECRETS_PROVIDER_LINE.sub(f"secretsprovider: {url}", text, count=1)
    else:
        text = f"secretsprovider: {url}\n{text}"
    found = _ENCRYPTED_KEY_LINE.search(text)
    if found:
        try:
            kms.decrypt(
                CiphertextBlob=base64.b64decode(found[1]),
                KeyId=secrets_provider_alias(cfg.environment),
            )
        except AWS_ERRORS as exc:
            return failed(
                check,
                f"{path.name} has an encryptedkey the key {url} cannot decrypt "
                f"({error_code(exc)}): it was made with another key or account",
                "restore the file from git, or, if no stack holds secrets yet, delete the "
                "encryptedkey line and run `landfall bootstrap` again",
            )
        path.write_text(text, encoding="utf-8")
        return passed(check, f"{path.name} names {url}; its encryptedkey decrypts")
    blob = kms.encrypt(
        KeyId=secrets_provider_alias(cfg.environment), Plaintext=os.urandom(DATA_KEY_BYTES)
    )["CiphertextBlob"]
    line = f"encryptedkey: {base64.b64encode(blob).decode()}"
    text = _SECRETS_PROVIDER_LINE.sub(lambda m: f"{m[0]}\n{line}", text, count=1)
    path.write_text(text, encoding="utf-8")
    return passed(check, f"wrote {path.name}'s encryptedkey: commit it")


def bootstrap_account(cfg: EnvironmentConfig, clients: AwsClients, root: Path) -> list[Finding]:
    """The steps before the bootstrap stack, in order; stops at the first that fails."""
    findings = [
        ensure_state_bucket(clients("s3"), state_bucket_name(str(cfg.account_id)), str(cfg.region))
    ]
    _, key = ensure_secrets_key(clients("kms"), cfg)
    findings.append(key)
    if not key.ok:
        return findings
    findings.append(write_secrets_settings(config_file(cfg.environment, root), clients("kms"), cfg))
    return findings
