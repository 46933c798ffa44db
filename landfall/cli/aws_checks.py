"""``landfall doctor`` and ``landfall verify``: read-only checks against AWS with boto3."""

from __future__ import annotations

import argparse

from landfall.cli.arguments import environment_type
from landfall.cli.output import BAD_INPUT, FAILED, OK, HelpFormatter, verb_epilog
from landfall.config import ENVIRONMENTS

NEEDS = """\
Needs: AWS credentials for the environment's account (--profile, or the usual boto3 chain:
environment variables, SSO session, instance role). Read-only; no Pulumi CLI, nothing changed.
Only test and prod have AWS resources (local is refused, exit 2)."""

DOCTOR_DESCRIPTION = f"""\
Preflight an environment against AWS before a deploy: the credentials and account, availability
zones, the DNS zone, the SSO roles the cluster maps, the Kubernetes version, and what `landfall
bootstrap` makes (state bucket, secrets provider and encryptedkey, service-linked roles, GitHub
OIDC provider and CI roles). Prints one row per check with the fix for each failure.

{NEEDS}"""

VERIFY_DESCRIPTION = f"""\
Check a deployed environment in AWS: the EKS cluster, its node groups per availability zone and
add-ons, the RDS database and the OpenSearch domain (found by tags, else by name prefix).
Prints one row per check with the fix for each failure.

{NEEDS}"""


def _common(parser: argparse.ArgumentParser) -> None:
    # Every environment is accepted here so that local gets its own explanation (no AWS).
    parser.add_argument(
        "env", type=environment_type(ENVIRONMENTS), help="environment: test or prod"
    )
    parser.add_argument("--profile", help="AWS profile to use (default: the usual boto3 chain)")
    parser.add_argument("--cluster-name", help="EKS cluster name (default: landfall-<env>)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def _doctor(args: argparse.Namespace) -> int:
    from landfall.config import config_file, find_project
    from landfall.ops.checks import AwsClients, Lookup, load_cloud_environment, report
    from landfall.ops.doctor import run_doctor
    from landfall.ops.orchestrate import stack_file_settings

    root = find_project(args.cwd)
    cfg = load_cloud_environment(args.env, root)
    clients = AwsClients(cfg.region or "", profile=args.profile)
    lookup = Lookup.for_environment(cfg, cluster_name=args.cluster_name)
    settings = stack_file_settings(config_file(cfg.environment, root))
    findings = run_doctor(cfg, clients, lookup, settings)
    title = f"landfall doctor {cfg.environment}: account {cfg.account_id}, region {cfg.region}"
    return report(findings, title, args.json)


def _verify(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.ops.checks import AwsClients, Lookup, load_cloud_environment, report
    from landfall.ops.verify import run_verify

    cfg = load_cloud_environment(args.env, find_project(args.cwd))
    clients = AwsClients(cfg.region or "", profile=args.profile)
    lookup = Lookup.for_environment(
        cfg,
        cluster_name=args.cluster_name,
        name_prefix=args.name_prefix,
        tags=dict(args.tag or []),
    )
    findings = run_verify(cfg, clients, lookup)
    title = (
        f"landfall verify {cfg.environment}: account {cfg.account_id}, region {cfg.region}; "
        f"cluster {lookup.cluster_name}, RDS/OpenSearch {lookup.describe()}"
    )
    return report(findings, title, args.json)


def _tag(pair: str) -> tuple[str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{pair!r} is not KEY=VALUE")
    return key, value


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    codes = [OK, FAILED, BAD_INPUT]
    doctor = sub.add_parser(
        "doctor",
        parents=[parent],
        help="check AWS is ready for a deploy (read-only)",
        description=DOCTOR_DESCRIPTION,
        epilog=verb_epilog(
            [
                ("landfall doctor test", "before the first `landfall up test`"),
                ("landfall doctor prod --profile prod-admin", "with a named AWS profile"),
                ("landfall doctor test --json", "the findings as JSON (for scripts)"),
            ],
            codes,
        ),
        formatter_class=HelpFormatter,
    )
    _common(doctor)
    doctor.set_defaults(func=_doctor)

    verify = sub.add_parser(
        "verify",
        parents=[parent],
        help="check a deployed environment in AWS (read-only)",
        description=VERIFY_DESCRIPTION,
        epilog=verb_epilog(
            [
                ("landfall verify test", "after `landfall up test`"),
                (
                    "landfall verify prod --tag Project=landfall --tag Environment=prod",
                    "find RDS/OpenSearch by these tags",
                ),
            ],
            codes,
        ),
        formatter_class=HelpFormatter,
    )
    _common(verify)
    verify.add_argument(
        "--name-prefix",
        help="name prefix of the RDS instance / OpenSearch domain "
        "(default: landfall-<env>; used only when nothing carries the tags)",
    )
    verify.add_argument(
        "--tag",
        action="append",
        type=_tag,
        metavar="KEY=VALUE",
        help="tag that marks the environment's resources (repeatable; default: Project=landfall "
        "and Environment=<env>)",
    )
    verify.set_defaults(func=_verify)
