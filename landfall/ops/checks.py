"""Shared machinery of ``landfall doctor`` and ``landfall verify``.

Findings and the table they print as, the exit status, turning AWS errors (no credentials, an
expired session, a denied call) into one readable finding, the lazily created boto3 clients
(injectable for tests), the identity check both verbs start with, how physical resources are
found, and the common CLI arguments.
"""

from __future__ import annotations

import functools
import json
import shutil
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from landfall.config import EnvironmentConfig, load_environment_file
from landfall.config.errors import ConfigError, Problem

Status = Literal["OK", "WARN", "FAIL", "SKIP"]
AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True)
class Finding:
    """One row of the report: which check, how it went, what was seen, and what to do."""

    check: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Warnings and skipped checks do not fail the run; only FAIL does."""
        return self.status != "FAIL"


def passed(check: str, detail: str) -> Finding:
    return Finding(check, "OK", detail)


def warned(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, "WARN", detail, fix)


def failed(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, "FAIL", detail, fix)


def skipped(check: str, detail: str) -> Finding:
    return Finding(check, "SKIP", detail)


def exit_status(findings: Iterable[Finding]) -> int:
    """0 when nothing failed (warnings allowed), 1 otherwise."""
    return 0 if all(f.ok for f in findings) else 1


def render_table(findings: Sequence[Finding], title: str = "", width: int | None = None) -> str:
    """A fixed-width ``check | status | detail`` table; each fix is printed under its detail."""
    if width is None:
        width = max(80, min(shutil.get_terminal_size((120, 24)).columns, 160))
    check_w = min(max([5, *(len(f.check) for f in findings)]), 36)
    status_w = 6
    detail_w = max(30, width - check_w - status_w - 4)
    lines = [title] if title else []
    lines.append(f"{'check':<{check_w}}  {'status':<{status_w}}  detail")
    lines.append(f"{'-' * check_w}  {'-' * status_w}  {'-' * min(detail_w, 60)}")
    wrap = functools.partial(textwrap.wrap, width=detail_w, break_on_hyphens=False)
    for f in findings:
        detail = wrap(f.detail) or [""]
        if f.fix and f.status != "OK":
            detail += wrap(f"fix: {f.fix}", subsequent_indent="     ")
        check = textwrap.wrap(f.check, check_w) or [""]
        status = [f.status]
        for i in range(max(len(detail), len(check))):
            c = check[i] if i < len(check) else ""
            s = status[i] if i < len(status) else ""
            d = detail[i] if i < len(detail) else ""
            lines.append(f"{c:<{check_w}}  {s:<{status_w}}  {d}".rstrip())
    counts = {s: sum(f.status == s for f in findings) for s in ("FAIL", "WARN", "OK", "SKIP")}
    lines.append("")
    lines.append("Result: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n or s == "FAIL"))
    return "\n".join(lines)


# --- AWS errors ----------------------------------------------------------------------------------

_BAD_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "AuthFailure",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"}
# Shown by doctor and verify (which take --profile) and by the preflight of preview, up and
# destroy (which do not: they run Pulumi with the ambient credentials), so it leads with
# AWS_PROFILE, which works for every verb.
_LOGIN = (
    "aws sso login --profile <profile>, then export AWS_PROFILE=<profile> and rerun (doctor "
    "and verify also take --profile <profile>)"
)


def explain(exc: Exception) -> tuple[str, str]:
    """(what went wrong, what to do) for an AWS SDK error."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return "no AWS credentials were found", f"log in: {_LOGIN}"
    if isinstance(exc, ProfileNotFound):
        return str(exc), "use a profile from ~/.aws/config (aws configure list-profiles)"
    if isinstance(exc, SSOError | TokenRetrievalError):
        return f"the SSO session is missing or expired ({exc})", f"log in again: {_LOGIN}"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach AWS: {exc}", "check the network, proxy and landfall:region"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        if code in _BAD_CREDENTIALS:
            return (
                f"the AWS credentials were rejected ({code}: {message})",
                f"refresh them: {_LOGIN}",
            )
        if code in _DENIED:
            return (
                f"{exc.operation_name} was denied ({message})",
                "run with a role that may read this account (e.g. the ReadOnlyAccess policy)",
            )
        return f"{exc.operation_name} failed ({code}: {message})", "retry; if it persists, check it"
    return f"{type(exc).__name__}: {exc}", "check your AWS configuration"


def error_code(exc: Exception) -> str:
    """The AWS error code of a ClientError, '' for anything else."""
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def guard(check: str, fn: Callable[..., list[Finding]], *args: Any) -> list[Finding]:
    """Run one check; an AWS error becomes a single FAIL finding instead of a traceback."""
    try:
        return fn(*args)
    except AWS_ERRORS as exc:
        detail, fix = explain(exc)
        return [failed(check, detail, fix)]


# --- clients ------------------------------------------------------------------------------------


class AwsClients:
    """boto3 clients for one region, created on first use from one session.

    The session is built lazily so that a bad ``--profile`` surfaces as a finding, not a
    traceback. ``override`` injects a stand-in for one service (tests use it where moto lacks an
    API).
    """

    def __init__(
        self,
        region: str,
        profile: str | None = None,
        session: Any = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.region = region
        self._profile = profile
        self._session = session
        self._clients: dict[str, Any] = dict(overrides or {})

    @property
    def session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.session.Session(profile_name=self._profile)
        return self._session

    @property
    def ambient_region(self) -> str | None:
        """The region the caller's profile or environment selects (aws CLI commands use it)."""
        return self.session.region_name

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region)
        return self._clients[service]

    def override(self, service: str, client: Any) -> None:
        self._clients[service] = client


def check_identity(clients: AwsClients, cfg: EnvironmentConfig) -> list[Finding]:
    """Credentials work and belong to ``cfg.account_id``. Callers stop unless all are OK."""
    try:
        identity = clients("sts").get_caller_identity()
    except AWS_ERRORS as exc:
        detail, fix = explain(exc)
        return [failed("credentials", f"{detail}; no other AWS check was run", fix)]
    findings = [passed("credentials", f"signed in as {identity['Arn']}")]
    account = identity["Account"]
    if account == cfg.account_id:
        findings.append(passed("account", f"{account}, as landfall:accountId says"))
    else:
        findings.append(
            failed(
                "account",
                f"the credentials are for account {account} but Pulumi.{cfg.environment}.yaml "
                f"says {cfg.account_id}; no other AWS check was run against the wrong account",
                f"use a profile for account {cfg.account_id} ({_LOGIN}), or correct "
                "landfall:accountId",
            )
        )
    return findings


# --- finding the physical resources ----------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """How verify and doctor find an environment's resources in the account.

    The EKS cluster by exact name (default ``landfall-<env>``). RDS instances and OpenSearch
    domains by tags first (default: the provider's ``Project`` and ``Environment`` default tags);
    only if nothing carries those tags, by name: equal to ``name_prefix`` or starting with
    ``name_prefix-`` (default ``landfall-<env>``, e.g. ``landfall-test-mariadb``).
    """

    cluster_name: str
    name_prefix: str
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_environment(
        cls,
        cfg: EnvironmentConfig,
        cluster_name: str | None = None,
        name_prefix: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Lookup:
        default_tags = cfg.all_tags("network")
        return cls(
            cluster_name=cluster_name or cfg.name_prefix,
            name_prefix=name_prefix or cfg.name_prefix,
            tags=dict(tags) if tags else {k: default_tags[k] for k in ("Project", "Environment")},
        )

    def select(self, items: Iterable[tuple[str, Mapping[str, str], Any]]) -> list[Any]:
        """The items (name, tags, item) that belong to the environment, tags winning over names."""
        items = list(items)
        tagged = [it for name, tags, it in items if self._tagged(tags)]
        if tagged:
            return tagged
        return [
            it
            for name, _, it in items
            if name == self.name_prefix or name.startswith(f"{self.name_prefix}-")
        ]

    def _tagged(self, tags: Mapping[str, str]) -> bool:
        return bool(self.tags) and all(tags.get(k) == v for k, v in self.tags.items())

    def describe(self) -> str:
        tags = ", ".join(f"{k}={v}" for k, v in self.tags.items())
        return f"tagged {tags} or named {self.name_prefix}[-*]"


def tag_dict(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}]`` tag lists as a dict."""
    return {t["Key"]: t["Value"] for t in tags or ()}


def load_cloud_environment(env: str, root: Path) -> EnvironmentConfig:
    """The validated config of a cloud environment; ConfigError for local or a bad file."""
    cfg = load_environment_file(env, root)
    if not cfg.is_cloud:
        raise ConfigError(
            f"Pulumi.{env}.yaml",
            [
                Problem(
                    "environment",
                    f"{env!r} runs on a laptop cluster and has no AWS resources to check",
                    "run doctor and verify for test or prod",
                )
            ],
        )
    return cfg


def report(findings: Sequence[Finding], title: str, as_json: bool) -> int:
    """Print the findings (table or JSON) and return the exit status."""
    if as_json:
        rows = [{**asdict(f), "ok": f.ok} for f in findings]
        print(json.dumps(rows, indent=2))
    else:
        print(render_table(findings, title))
    return exit_status(findings)


# --- can this machine reach the cluster API? ------------------------------------------------------

ENDPOINT_TIMEOUT_SECONDS = 5.0


def cluster_endpoint(eks: Any, cluster_name: str) -> str | None:
    """The API endpoint of ``cluster_name``, None while the cluster does not exist."""
    try:
        return str(eks.describe_cluster(name=cluster_name)["cluster"]["endpoint"])
    except AWS_ERRORS as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def reachable(endpoint: str, timeout: float = ENDPOINT_TIMEOUT_SECONDS) -> bool:
    """Whether a TCP connection to the endpoint's HTTPS port opens within ``timeout`` (a private
    endpoint outside its VPC, or a public one outside the allowed CIDRs, never answers: the
    Kubernetes provider would hang until its own timeout)."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(endpoint)
    try:
        with socket.create_connection((url.hostname or endpoint, url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def endpoint_problem(cfg: EnvironmentConfig, endpoint: str) -> tuple[str, str]:
    """(what is wrong, the fix) when this machine cannot reach ``endpoint``."""
    cluster = cfg.cluster
    cidrs = ", ".join(cluster.endpoint_public_access_cidrs) if cluster else ""
    where = f"the public endpoint admits only {cidrs}" if cidrs else "the endpoint is private"
    return (
        f"this machine cannot reach the cluster API {endpoint} ({where}); the cluster and gitops "
        "stacks talk to it",
        f"run it inside the {cfg.environment} VPC (the CI runner, codebuild-"
        f"{cfg.name_prefix}-runner) or from a network in cluster.endpointPublicAccessCidrs",
    )
