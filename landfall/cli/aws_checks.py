"""``landfall doctor`` and ``landfall verify``: read-only checks against AWS with boto3."""

from __future__ import annotations

import argparse


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env", help="environment: test or prod")
    parser.add_argument("--profile", help="AWS profile to use (default: the usual boto3 chain)")
    parser.add_argument("--cluster-name", help="EKS cluster name (default: landfall-<env>)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def _doctor(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.ops.checks import AwsClients, Lookup, load_cloud_environment, report
    from landfall.ops.doctor import run_doctor

    cfg = load_cloud_environment(args.env, find_project(args.cwd))
    clients = AwsClients(cfg.region or "", profile=args.profile)
    lookup = Lookup.for_environment(cfg, cluster_name=args.cluster_name)
    findings = run_doctor(cfg, clients, lookup)
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
    doctor = sub.add_parser(
        "doctor",
        parents=[parent],
        help="preflight an environment against AWS (credentials, account, AZs, DNS zone, SSO "
        "roles, Kubernetes version, spot role) before a deploy",
    )
    _common(doctor)
    doctor.set_defaults(func=_doctor)

    verify = sub.add_parser(
        "verify",
        parents=[parent],
        help="check a deployed environment in AWS (EKS, node groups, add-ons, RDS, OpenSearch)",
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
