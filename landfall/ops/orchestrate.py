"""Deploy an environment's stacks with the Pulumi Automation API: preview, up, destroy, refresh,
outputs.

``landfall up test`` runs the stacks ``test-network``, ``test-cluster`` and ``test-gitops`` in that
order (only the layers the environment has: local has only gitops); ``destroy`` runs them in
reverse and refuses prod without ``--yes-destroy-prod``. Every operation passes the environment's
shared settings file with ``config_file=Pulumi.<env>.yaml`` (the Automation API turns it into the
CLI's ``--config-file``), so nobody can forget it.

Before touching anything it checks, and reports every problem at once: the environment config is
valid (``ConfigError``), the Pulumi CLI is installed, a state backend is configured
(``PULUMI_BACKEND_URL`` or ``pulumi whoami``), the secrets provider is usable, and the AWS
credentials belong to the account that ``Pulumi.<env>.yaml`` names (the identity check of
``landfall doctor``). Each check's dependency (PATH lookup, environment, subprocess, STS) is
injectable through ``Checks``; the engine itself through ``Engine`` (``AutomationEngine`` is the
real one), so the tests run without the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import yaml
from pulumi import automation as auto
from pulumi.automation import CommandError, OnEvent, StackNotFoundError

from landfall.config import (
    ACCOUNT_LAYER,
    EnvironmentConfig,
    config_file,
    load_environment_file,
)
from landfall.config.errors import Problem
from landfall.logic.prerequisites import secrets_provider_url
from landfall.ops.delegation import (
    DelegatedNameServers,
    ZoneNameServers,
    delegated,
    ns_record_text,
    parent_delegation,
    zone_name_servers_from,
)
from landfall.ops.drain import DrainTools, controller_leftovers, drain
from landfall.ops.progress import (
    Progress,
    StackSummary,
    op_counts,
    summary_markdown,
    summary_table,
)

OPERATIONS: tuple[str, ...] = ("preview", "up", "destroy", "refresh", "outputs")
# Operations that create a missing stack (the others need it to exist).
# Only `up` creates a missing stack: a preview runs as the read-only CI role, which may not
# write a new stack into the state backend, and has nothing to show for a stack never deployed.
CREATES_STACK = frozenset({"up"})
# Operations after whose failure the remaining stacks are not attempted: a half-built upstream
# must not be built upon, and a downstream stack that failed to go away must keep its upstream.
STOPS_ON_FAILURE = frozenset({"up", "destroy"})
# How long `landfall up` waits for a person to delegate the zone, and how often it looks.
DELEGATION_TIMEOUT_SECONDS = 60 * 60
DELEGATION_POLL_SECONDS = 30
# The hosted zone's URN suffix in the network stack (components/network/dns.py, network/program.py).
ZONE_RESOURCE = "landfall:network:Dns$aws:route53/zone:Zone::dns-zone"
# Operations that talk to AWS (through the program's providers) and so need its credentials.
NEEDS_AWS = frozenset({"preview", "up", "destroy", "refresh"})
# State backends that keep no secrets provider of their own (the settings file must name one).
SELF_MANAGED_BACKENDS = ("s3://", "gs://", "azblob://", "file://")
# Lines of an engine error shown on the terminal (the whole text goes to the report file).
ERROR_TAIL_LINES = 40
# The Markdown report is a pull-request comment, with the other environment's: GitHub refuses a
# comment over 65,536 characters, so each report keeps within 30,000 (the stacks share it) and
# the whole engine output goes to <report>.full.txt for the workflow's artifact.
GITHUB_COMMENT_CHARS = 65_536
REPORT_CHARS = 30_000


class OrchestrationError(Exception):
    """Everything that stops an operation before it touches a stack, reported together."""

    def __init__(self, action: str, problems: Sequence[Problem]) -> None:
        self.action = action
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"Cannot {self.action} ({count} {noun}):"]
        lines += [p.render() for p in self.problems]
        lines.append("Nothing was changed.")
        return "\n".join(lines)


# --- the engine surface landfall uses ------------------------------------------------------------


class StackOps(Protocol):
    """The methods of ``pulumi.automation.Stack`` that landfall calls, with the keywords it passes
    (a fake implements them in the tests)."""

    def preview(
        self,
        *,
        diff: bool | None = ...,
        policy_packs: list[str] | None = ...,
        color: str | None = ...,
        on_event: OnEvent | None = ...,
        config_file: str | None = ...,
    ) -> Any: ...

    def up(
        self,
        *,
        policy_packs: list[str] | None = ...,
        color: str | None = ...,
        on_event: OnEvent | None = ...,
        config_file: str | None = ...,
        target: list[str] | None = ...,
        show_secrets: bool = ...,
    ) -> Any: ...

    def destroy(
        self,
        *,
        color: str | None = ...,
        on_event: OnEvent | None = ...,
        config_file: str | None = ...,
        show_secrets: bool = ...,
    ) -> Any: ...

    def refresh(
        self,
        *,
        color: str | None = ...,
        on_event: OnEvent | None = ...,
        config_file: str | None = ...,
        show_secrets: bool = ...,
    ) -> Any: ...

    def outputs(self) -> Mapping[str, Any]: ...


class Engine(Protocol):
    def stack(self, name: str, *, create: bool) -> StackOps:
        """The stack ``name`` of this project; created first if ``create`` and it is missing.
        Raises ``pulumi.automation.StackNotFoundError`` when it is missing and not ``create``."""
        ...


@dataclass(frozen=True)
class AutomationEngine:
    """The real engine: a LocalWorkspace on the repository (Pulumi.yaml), driving the CLI."""

    root: Path
    secrets_provider: str | None = None

    def stack(self, name: str, *, create: bool) -> StackOps:
        opts = auto.LocalWorkspaceOptions(
            secrets_provider=self.secrets_provider,
            env_vars={"PULUMI_SKIP_UPDATE_CHECK": "true"},
        )
        select = auto.create_or_select_stack if create else auto.select_stack
        stack: StackOps = select(stack_name=name, work_dir=str(self.root), opts=opts)
        return stack


# --- checks before anything is touched -----------------------------------------------------------

CommandRunner = Callable[[Sequence[str]], tuple[int, str]]
IdentityCheck = Callable[[EnvironmentConfig], list[Problem]]


def run_command(args: Sequence[str]) -> tuple[int, str]:
    """Run a CLI command; its exit status and combined output (a missing binary is status 127)."""
    env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        done = subprocess.run(
            list(args), capture_output=True, text=True, env=env, timeout=120, check=False
        )
    except FileNotFoundError as exc:
        return 127, str(exc)
    except subprocess.TimeoutExpired:
        return 124, f"{' '.join(args)} did not answer within 120s"
    return done.returncode, (done.stdout + done.stderr).strip()


def aws_identity(cfg: EnvironmentConfig, clients: Any = None) -> list[Problem]:
    """Problems with the ambient AWS credentials: missing, expired, or of another account than
    ``landfall:accountId`` (``sts get-caller-identity``, shared with ``landfall doctor``)."""
    from landfall.ops.checks import AwsClients, check_identity

    findings = check_identity(clients or AwsClients(cfg.region or ""), cfg)
    return [Problem(f"AWS {f.check}", f.detail, f.fix) for f in findings if not f.ok]


def account_prerequisites(
    cfg: EnvironmentConfig, settings: Mapping[str, Any], clients: Any = None
) -> list[Problem]:
    """What `landfall bootstrap` makes, as doctor checks it (service-linked roles, the GitHub
    provider, the secrets-provider key decrypting the encryptedkey) and the GitHub connection
    someone must authorise by hand before the network stack's CI runner can be created (its
    webhook needs an AVAILABLE connection): each failure a Problem."""
    from landfall.ops.checks import AwsClients, guard
    from landfall.ops.doctor import (
        check_github_connection,
        check_github_trust,
        check_secrets_provider,
        check_service_linked_roles,
    )

    clients = clients or AwsClients(cfg.region or "")
    findings = [
        *guard("secrets provider", check_secrets_provider, clients("kms"), cfg, settings),
        *guard("service-linked roles", check_service_linked_roles, clients("iam"), cfg),
        *guard("github oidc provider", check_github_trust, clients("iam"), cfg),
        *guard("github connection", check_github_connection, clients("codeconnections"), cfg),
    ]
    return [Problem(f.check, f.detail, f.fix) for f in findings if f.status == "FAIL"]


AccountCheck = Callable[[EnvironmentConfig, Mapping[str, Any]], list[Problem]]


def api_reach(cfg: EnvironmentConfig) -> list[Problem]:
    """The cluster API answers from this machine, or there is no cluster yet."""
    from landfall.ops.checks import (
        AWS_ERRORS,
        AwsClients,
        cluster_endpoint,
        endpoint_problem,
        reachable,
    )

    try:
        endpoint = cluster_endpoint(AwsClients(cfg.region or "")("eks"), cfg.name_prefix)
    except AWS_ERRORS:
        return []  # not this check's to report: doctor and the engine say why EKS is unreadable
    if endpoint is None or reachable(endpoint):
        return []
    problem, fix = endpoint_problem(cfg, endpoint)
    return [Problem("cluster endpoint", problem, fix)]


def aws_leftovers(cfg: EnvironmentConfig) -> list[str]:
    """The AWS objects the cluster's controllers made that still exist (boto3)."""
    from landfall.ops.checks import AwsClients

    domain = cfg.dns.domain if cfg.dns else None
    return controller_leftovers(AwsClients(cfg.region or ""), cfg.name_prefix, domain)


def real_drain_tools(cfg: EnvironmentConfig, engine: Engine) -> DrainTools:
    """kubectl with the cluster stack's kubeconfig (it authenticates with `aws eks get-token`),
    and the AWS objects of the cluster's controllers by boto3."""
    import tempfile

    kubeconfig = engine.stack(f"{cfg.environment}-cluster", create=False).outputs()["kubeconfig"]
    handle = tempfile.NamedTemporaryFile("w", suffix=".kubeconfig", delete=False)  # noqa: SIM115
    with handle:
        handle.write(str(getattr(kubeconfig, "value", kubeconfig)))

    def kubectl(args: Sequence[str]) -> tuple[int, str]:
        return run_command(["kubectl", "--kubeconfig", handle.name, *args])

    return DrainTools(
        kubectl=kubectl,
        leftovers=lambda: aws_leftovers(cfg),
        sleep=time.sleep,
        clock=time.monotonic,
        close=lambda: Path(handle.name).unlink(missing_ok=True),
    )


# The layers whose programs talk to the Kubernetes API (RBAC; Flux and the ConfigMap).
API_LAYERS = frozenset({"cluster", "gitops"})


@dataclass(frozen=True)
class Checks:
    """Where the pre-flight checks look; tests replace each one."""

    which: Callable[[str], str | None] = shutil.which
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    run: CommandRunner = run_command
    identity: IdentityCheck = aws_identity
    account: AccountCheck = account_prerequisites
    api: Callable[[EnvironmentConfig], list[Problem]] = api_reach
    # The drain before the gitops stack of a cloud environment is destroyed (landfall.ops.drain).
    drain: Callable[[EnvironmentConfig, Engine], DrainTools] = real_drain_tools
    leftovers: Callable[[EnvironmentConfig], list[str]] = aws_leftovers
    # The DNS delegation `landfall up` waits for (landfall.ops.delegation).
    zone_name_servers: ZoneNameServers = field(default=lambda domain: _route53_zone(domain))
    delegated_name_servers: DelegatedNameServers = parent_delegation
    sleep: Callable[[float], None] = time.sleep


def stack_file_settings(path: Path) -> dict[str, Any]:
    """The top-level keys of a stack settings file other than ``config`` (the secrets provider
    settings Pulumi keeps there: ``secretsprovider``, ``encryptedkey``, ``encryptionsalt``)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}  # load_environment_file has already reported an unreadable file
    if not isinstance(document, dict):
        return {}
    return {str(k): v for k, v in document.items() if k != "config"}


def _backend(cfg: EnvironmentConfig, checks: Checks) -> tuple[str | None, list[Problem]]:
    """The state backend URL, or the problem that none is configured."""
    url = checks.environ.get("PULUMI_BACKEND_URL", "").strip()
    if url:
        return url, []
    status, output = checks.run(["pulumi", "whoami", "--json"])
    if status != 0:
        reason = output.splitlines()[-1] if output else f"exit status {status}"
        return None, [
            Problem(
                "state backend",
                f"none is configured: PULUMI_BACKEND_URL is unset and `pulumi whoami` failed "
                f"({reason})",
                f"pulumi login to the {cfg.environment} state backend (e.g. pulumi login "
                f"'s3://<state-bucket>?region={cfg.region or 'eu-west-2'}') or export "
                "PULUMI_BACKEND_URL; see docs/user-guide.md, 'One-time bootstrap'",
            )
        ]
    try:
        found = json.loads(output).get("url")
    except (json.JSONDecodeError, AttributeError):
        found = None
    return (str(found) if found else None), []


def _secrets_problems(
    cfg: EnvironmentConfig, backend: str | None, settings: Mapping[str, Any], checks: Checks
) -> list[Problem]:
    """The secrets provider Pulumi will use for the stacks (read from ``Pulumi.<env>.yaml``,
    because that is the ``--config-file``) must be usable without a prompt."""
    name = f"Pulumi.{cfg.environment}.yaml"
    # Pulumi accepts an empty passphrase when the variable is set, so presence is what counts.
    has_passphrase = any(
        var in checks.environ
        for var in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
    )
    export = "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)"
    if "encryptionsalt" in settings and not has_passphrase:
        return [
            Problem(
                "secrets provider",
                f"{name} uses the passphrase provider (encryptionsalt) but neither "
                "PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set",
                f"{export}, or move the environment to its KMS key (pulumi stack "
                "change-secrets-provider; see docs/user-guide.md, Troubleshooting)",
            )
        ]
    if "secretsprovider" in settings and not settings.get("encryptedkey"):
        return [
            Problem(
                "secrets provider",
                f"{name} names {settings['secretsprovider']} but has no encryptedkey: Pulumi "
                "would make a new data key with kms:Encrypt on every operation and rewrite the "
                "tracked file (dropping its comments), which a read-only preview role cannot do",
                f"landfall bootstrap {cfg.environment} --account-only writes it; commit {name}",
            )
        ]
    self_managed = bool(backend) and str(backend).startswith(SELF_MANAGED_BACKENDS)
    if not self_managed or "secretsprovider" in settings or "encryptionsalt" in settings:
        return []
    if not cfg.is_cloud:
        if has_passphrase:
            return []  # the local stacks use the passphrase provider; Pulumi adds the salt
        return [
            Problem(
                "secrets provider",
                f"the local stack will use the passphrase provider of the self-managed backend "
                f"{backend}, which needs a passphrase",
                f"{export}; an empty one is fine on a laptop",
            )
        ]
    return [
        Problem(
            "secrets provider",
            f"{name} names no secrets provider, and the self-managed backend {backend} has "
            "none of its own: Pulumi would invent a passphrase salt on first use",
            f"add 'secretsprovider: "
            f"{secrets_provider_url(cfg.environment, cfg.region or 'eu-west-2')}' at the top of "
            f"{name}",
        )
    ]


def preflight(
    cfg: EnvironmentConfig,
    operation: str,
    checks: Checks,
    root: Path,
    layer: str | None = None,
) -> list[Problem]:
    """Every reason ``operation`` on ``cfg``'s stacks would fail before changing anything; for
    a preview or up of the platform layers, that includes the account's bootstrap."""
    problems: list[Problem] = []
    if checks.which("pulumi") is None:
        problems.append(
            Problem(
                "pulumi CLI",
                "is not installed (not found on PATH); the Automation API drives it",
                "install it (curl -fsSL https://get.pulumi.com | sh, or brew install pulumi) "
                "and open a new shell",
            )
        )
        backend = checks.environ.get("PULUMI_BACKEND_URL") or None
    else:
        backend, found = _backend(cfg, checks)
        problems += found
    settings = stack_file_settings(config_file(cfg.environment, root))
    secrets = _secrets_problems(cfg, backend, settings, checks)
    problems += secrets
    if cfg.is_cloud and operation in NEEDS_AWS:
        identity = checks.identity(cfg)
        problems += identity
        platform = layer != ACCOUNT_LAYER
        # The account check decrypts the settings file's encryptedkey: only once the file
        # itself is right (else the same missing encryptedkey would be reported twice).
        if not identity and not secrets and platform and operation in ("preview", "up"):
            problems += checks.account(cfg, settings)
        talks_to_api = layer is None or layer in API_LAYERS
        if not identity and talks_to_api:
            problems += checks.api(cfg)
    return problems


# --- the operation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    env: str
    operation: str
    layer: str | None = None
    yes_destroy_prod: bool = False
    policy_packs: tuple[Path, ...] = ()
    report_file: Path | None = None
    show_secrets: bool = False
    output: str | None = None

    @property
    def action(self) -> str:
        where = f" --layer {self.layer}" if self.layer else ""
        return f"landfall {self.operation} {self.env}{where}"


def stack_names(cfg: EnvironmentConfig, operation: str, layer: str | None = None) -> list[str]:
    """The stacks ``operation`` touches, in order: deployment order, reversed for destroy. The
    bootstrap stack only when asked for by name (``--layer bootstrap``, ``landfall bootstrap``):
    CI's deploy role may not change it, and destroying an environment leaves the account ready."""
    if layer is None:
        layers = [x for x in cfg.layers() if x != ACCOUNT_LAYER]
    else:
        layers = [x for x in cfg.layers() if x == layer]
    if operation == "destroy":
        layers.reverse()
    return [f"{cfg.environment}-{x}" for x in layers]


def request_problems(cfg: EnvironmentConfig, request: Request) -> list[Problem]:
    """Refusals that depend only on what was asked (checked before the environment is probed)."""
    problems: list[Problem] = []
    if request.layer is not None and request.layer not in cfg.layers():
        problems.append(
            Problem(
                "--layer",
                f"the {cfg.environment} environment has no {request.layer} layer",
                f"use one of {', '.join(cfg.layers())}",
            )
        )
    if request.operation == "destroy" and cfg.is_production and not request.yes_destroy_prod:
        problems.append(
            Problem(
                "destroy prod",
                "would start deleting the production environment, and stop at its first "
                "protected resource: Flux in the gitops stack, then the control plane, then the "
                "database, search domain, zone, keys and repositories (protect, retained on "
                "delete); only what is unprotected before it is gone",
                "if you really mean it: unprotect what must go (`pulumi state unprotect "
                "--stack prod-<layer> <urn>`), then repeat the command with --yes-destroy-prod",
            )
        )
    if request.output is not None and (request.operation != "outputs" or request.layer is None):
        problems.append(
            Problem("--output", "needs `outputs` with --layer", "add --layer, e.g. --layer cluster")
        )
    return problems


def _call(stack: StackOps, request: Request, cfg_file: Path, progress: Progress) -> Any:
    on_event, config, color = progress.on_event, str(cfg_file), "never"
    packs = [str(p) for p in request.policy_packs] or None
    if request.operation == "preview":
        return stack.preview(
            diff=True, policy_packs=packs, color=color, on_event=on_event, config_file=config
        )
    # show_secrets=False: after the operation the Automation API reads `pulumi stack history`,
    # which takes no --config-file; with --show-secrets it would need Pulumi.<stack>.yaml's secrets
    # provider (there is none: the settings are Pulumi.<env>.yaml) or a passphrase.
    if request.operation == "up":
        return stack.up(
            policy_packs=packs,
            color=color,
            on_event=on_event,
            config_file=config,
            show_secrets=False,
        )
    if request.operation == "destroy":
        return stack.destroy(color=color, on_event=on_event, config_file=config, show_secrets=False)
    if request.operation == "refresh":
        return stack.refresh(color=color, on_event=on_event, config_file=config, show_secrets=False)
    raise ValueError(f"unknown operation {request.operation!r}")


def _changes(result: Any, progress: Progress) -> dict[str, int]:
    summary = getattr(result, "change_summary", None)
    if summary is None:
        summary = getattr(getattr(result, "summary", None), "resource_changes", None)
    return op_counts(summary) if summary is not None else dict(progress.summary_changes)


def _tail(text: str, lines: int = ERROR_TAIL_LINES) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in kept)


@dataclass
class Outcome:
    rows: list[StackSummary]
    details: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(row.result == "failed" for row in self.rows)


def _route53_zone(domain: str) -> list[str] | None:
    import boto3

    return zone_name_servers_from(boto3.client("route53"))(domain)


def zone_urn(cfg: EnvironmentConfig) -> str:
    return f"urn:pulumi:{cfg.environment}-network::landfall::{ZONE_RESOURCE}"


def drains_first(cfg: EnvironmentConfig, request: Request, stack_name: str) -> bool:
    """Destroying a cloud environment's gitops stack: drain the cluster first (ops.drain)."""
    return (
        request.operation == "destroy"
        and cfg.is_cloud
        and stack_name == f"{cfg.environment}-gitops"
    )


def waits_for_delegation(cfg: EnvironmentConfig, request: Request, stack_name: str) -> bool:
    """`up` of the network stack when nothing delegates the zone (no ``dns.parentZoneId``)."""
    return (
        request.operation == "up"
        and stack_name == f"{cfg.environment}-network"
        and cfg.dns is not None
        and cfg.dns.parent_zone_id is None
    )


def await_delegation(
    cfg: EnvironmentConfig,
    stack: StackOps,
    cfg_file: Path,
    progress: Progress,
    checks: Checks,
    out: TextIO,
    clock: Callable[[], float],
) -> str | None:
    """Create the zone alone if it does not exist, print the NS record to add in the parent
    zone, and wait until the parent delegates to it. Returns why it gave up, or None."""
    domain = cfg.require("dns", cfg.dns).domain
    servers = checks.zone_name_servers(domain)
    if servers is None:
        out.write(f"  creating the hosted zone {domain} first (nothing delegates it yet)\n")
        stack.up(
            target=[zone_urn(cfg)],
            show_secrets=False,
            color="never",
            on_event=progress.on_event,
            config_file=str(cfg_file),
        )
        servers = checks.zone_name_servers(domain) or []
    if delegated(servers, checks.delegated_name_servers(domain)):
        return None
    out.write(
        f"  {domain} is not delegated yet. Add this NS record in its parent zone (or set "
        f"dns.parentZoneId to let the network stack do it):\n{ns_record_text(domain, servers)}\n"
        f"  waiting up to {DELEGATION_TIMEOUT_SECONDS // 60} minutes for it to resolve...\n"
    )
    deadline = clock() + DELEGATION_TIMEOUT_SECONDS
    while clock() < deadline:
        checks.sleep(DELEGATION_POLL_SECONDS)
        if delegated(servers, checks.delegated_name_servers(domain)):
            out.write(f"  {domain} is delegated; continuing.\n")
            return None
    return (
        f"{domain} was still not delegated after {DELEGATION_TIMEOUT_SECONDS // 60} minutes, "
        "so certificate validation would hang and fail. Add the NS record above in the parent "
        f"zone, check it with `landfall doctor {cfg.environment}`, then run `landfall up "
        f"{cfg.environment}` again (the zone is kept)."
    )


def _before(
    cfg: EnvironmentConfig,
    request: Request,
    name: str,
    engine: Engine,
    stack: StackOps,
    cfg_file: Path,
    progress: Progress,
    checks: Checks | None,
    clock: Callable[[], float],
) -> str | None:
    """What runs before the operation on one stack: the drain before the gitops stack of a
    cloud environment is destroyed, the DNS delegation before the network's first up. Returns
    why the operation must not go on, or None."""
    checks = checks or Checks()
    out = progress.out
    if drains_first(cfg, request, name):
        tools = checks.drain(cfg, engine)
        try:
            left = drain(tools, out)
        finally:
            tools.close()
        if left:
            return (
                f"the drain left {len(left)} AWS object(s) the cluster's controllers made: "
                f"{'; '.join(left)}. Nothing was destroyed; delete them (or find what keeps "
                f"them) and run `landfall destroy {cfg.environment}` again."
            )
    if waits_for_delegation(cfg, request, name):
        return await_delegation(cfg, stack, cfg_file, progress, checks, out, clock)
    return None


def execute(
    cfg: EnvironmentConfig,
    request: Request,
    engine: Engine,
    out: TextIO,
    root: Path,
    clock: Callable[[], float] = time.monotonic,
    checks: Checks | None = None,
) -> Outcome:
    """Run ``request.operation`` on each stack in order; stop after a failure of up/destroy."""
    cfg_file = config_file(cfg.environment, root)
    progress = Progress(out)
    outcome = Outcome(rows=[], details={})
    names = stack_names(cfg, request.operation, request.layer)
    for index, name in enumerate(names):
        progress.begin(name, request.operation)
        started = clock()
        try:
            stack = engine.stack(name, create=request.operation in CREATES_STACK)
            stopped = _before(cfg, request, name, engine, stack, cfg_file, progress, checks, clock)
            if stopped:
                out.write(f"  {request.operation} of {name} stopped:\n    {stopped}\n")
                outcome.rows.append(StackSummary(name, "failed", {}, clock() - started, stopped))
                outcome.details[name] = stopped
                outcome.rows += [StackSummary(n, "skipped", {}, 0.0) for n in names[index + 1 :]]
                break
            result = _call(stack, request, cfg_file, progress)
        except CommandError as exc:
            seconds = clock() - started
            if isinstance(exc, StackNotFoundError):
                out.write(f"  {name} does not exist; nothing to {request.operation}.\n")
                outcome.rows.append(StackSummary(name, "absent", {}, seconds))
                continue
            out.write(f"  {request.operation} of {name} failed:\n{_tail(str(exc))}\n")
            outcome.rows.append(StackSummary(name, "failed", {}, seconds, str(exc)))
            outcome.details[name] = str(exc)
            if request.operation in STOPS_ON_FAILURE:
                outcome.rows += [StackSummary(n, "skipped", {}, 0.0) for n in names[index + 1 :]]
                break
            continue
        seconds = clock() - started
        outcome.rows.append(StackSummary(name, "succeeded", _changes(result, progress), seconds))
        outcome.details[name] = str(getattr(result, "stdout", "") or "")
    return outcome


def left_behind(cfg: EnvironmentConfig, leftovers: Sequence[str]) -> str:
    """The closing summary of a destroy: what the controllers left in AWS, and what is kept on
    purpose (prod's protected, retained resources; the bootstrap stack)."""
    lines = ["Left behind:"]
    lines += [f"  - {item} (made by the cluster's controllers)" for item in leftovers]
    if cfg.is_production:
        lines.append(
            "  - the resources protected and retained on delete in prod (database, search "
            "domain, zone, KMS keys, ECR repositories, log groups): kept by design"
        )
    lines.append(
        f"  - the bootstrap stack {cfg.environment}-bootstrap (account prerequisites, CI roles): "
        f"kept; `landfall destroy {cfg.environment} --layer bootstrap` removes what is not retained"
    )
    if not leftovers:
        lines.insert(1, "  - nothing the cluster's controllers made")
    return "\n".join(lines)


def markdown_report(request: Request, outcome: Outcome, budget: int = REPORT_CHARS) -> str:
    """The Markdown a pull request comment shows: the table, then each stack's engine output,
    the end of each kept (errors and the summary are last), all within ``budget`` characters."""
    verdict = "failed" if outcome.failed else "succeeded"
    lines = [f"### `{request.action}` {verdict}", "", summary_markdown(outcome.rows), ""]
    framing = 200  # each stack's <details> lines
    spare = budget - len("\n".join(lines)) - framing * max(len(outcome.details), 1)
    per_stack = max(spare // max(len(outcome.details), 1), 0)
    for name, text in outcome.details.items():
        body = text.strip()
        if len(body) > per_stack:
            note = "… (truncated: the whole output is in the workflow run's artifact)\n"
            body = note + body[len(body) - max(per_stack - len(note), 0) :]
        lines += [
            f"<details><summary>{name}</summary>",
            "",
            "```",
            body.replace("```", "'''") or "(no output)",
            "```",
            "</details>",
            "",
        ]
    return "\n".join(lines)


def _print_outputs(cfg: EnvironmentConfig, request: Request, engine: Engine, out: TextIO) -> int:
    collected: dict[str, dict[str, Any]] = {}
    for name in stack_names(cfg, "outputs", request.layer):
        try:
            values = engine.stack(name, create=False).outputs()
        except CommandError as exc:
            print(f"Cannot read the outputs of {name}:\n{_tail(str(exc))}", file=sys.stderr)
            return 1
        collected[name] = {
            key: "[secret]"
            if getattr(v, "secret", False) and not request.show_secrets
            else getattr(v, "value", v)
            for key, v in sorted(values.items())
        }
    if request.output is not None:
        (stack,) = collected.values()
        if request.output not in stack:
            known = ", ".join(stack) or "none"
            print(f"{request.output!r} is not an output (known: {known})", file=sys.stderr)
            return 1
        value = stack[request.output]
        out.write((value if isinstance(value, str) else json.dumps(value)) + "\n")
        return 0
    out.write(json.dumps(collected, indent=2, sort_keys=True) + "\n")
    return 0


def orchestrate(
    request: Request,
    *,
    checks: Checks | None = None,
    engine: Engine | None = None,
    out: TextIO | None = None,
    root: Path,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """The whole verb: validate, refuse or check, run, summarise. Returns the exit status.

    Raises ConfigError (bad environment config) or OrchestrationError (refused before touching
    anything); returns 1 when the engine reported a failure, 0 otherwise.
    """
    stream = out or sys.stdout
    cfg = load_environment_file(request.env, root)
    problems = request_problems(cfg, request)
    if problems:
        raise OrchestrationError(request.action, problems)
    checks = checks or Checks()
    problems = preflight(cfg, request.operation, checks, root, request.layer)
    if problems:
        raise OrchestrationError(request.action, problems)
    if engine is None:
        settings = stack_file_settings(config_file(cfg.environment, root))
        provider = settings.get("secretsprovider")
        engine = AutomationEngine(root=root, secrets_provider=str(provider) if provider else None)
    if request.operation == "outputs":
        return _print_outputs(cfg, request, engine, stream)
    outcome = execute(cfg, request, engine, stream, root, clock, checks)
    stream.write(f"\n{request.action}:\n{summary_table(outcome.rows)}\n")
    if request.operation == "destroy" and cfg.is_cloud:
        stream.write(left_behind(cfg, checks.leftovers(cfg)) + "\n")
    if request.report_file is not None:
        request.report_file.write_text(markdown_report(request, outcome) + "\n", encoding="utf-8")
        full = request.report_file.with_name(request.report_file.name + ".full.txt")
        full.write_text(
            "\n\n".join(f"==> {name}\n{text}" for name, text in outcome.details.items()),
            encoding="utf-8",
        )
    return 1 if outcome.failed else 0
