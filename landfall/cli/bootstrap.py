"""``landfall bootstrap ENV``: make an AWS account ready for the environment's stacks (R26)."""

from __future__ import annotations

import argparse
import os
import sys

from landfall.cli.arguments import environment_type
from landfall.cli.output import BAD_INPUT, FAILED, OK, HelpFormatter, verb_epilog
from landfall.config import ENVIRONMENTS

DESCRIPTION = """\
Make the environment's AWS account ready, idempotently (safe to re-run):
  1. the state bucket landfall-state-<account> (private, versioned, encrypted, TLS only);
  2. the KMS key alias/landfall-<env>-pulumi that encrypts the stacks' secrets (rotation on);
  3. Pulumi.<env>.yaml's secretsprovider and encryptedkey lines (commit the file);
  4. `pulumi up` of the bootstrap stack <env>-bootstrap: the service-linked roles, the GitHub
     OIDC provider, the CI preview and deploy roles and the Flux deploy-key secret, adopting
     whichever already exist.
Run it with an administrator's credentials, once per account and after changing the bootstrap
layer; CI's deploy role may not change what it creates.

Needs: AWS credentials of an administrator of the environment's account; for step 4 also the
Pulumi CLI (--account-only stops after step 3). PULUMI_BACKEND_URL defaults to the bucket."""


def _bootstrap(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.ops.bootstrap import backend_url, bootstrap_account
    from landfall.ops.checks import AwsClients, check_identity, load_cloud_environment, report
    from landfall.ops.orchestrate import OrchestrationError, Request, orchestrate

    root = find_project(args.cwd)
    cfg = load_cloud_environment(args.env, root)
    clients = AwsClients(cfg.region or "", profile=args.profile)
    findings = check_identity(clients, cfg)
    if all(f.ok for f in findings):
        findings += bootstrap_account(cfg, clients, root)
    title = f"landfall bootstrap {cfg.environment}: account {cfg.account_id}, region {cfg.region}"
    status = report(findings, title, as_json=False)
    if status != OK or args.account_only:
        return status
    os.environ.setdefault("PULUMI_BACKEND_URL", backend_url(cfg))
    print(f"\nState backend: {os.environ['PULUMI_BACKEND_URL']} (export it in your shell too)")
    try:
        return orchestrate(
            Request(env=cfg.environment, operation="up", layer="bootstrap"), root=root
        )
    except OrchestrationError as exc:
        print(exc.render(), file=sys.stderr)
        return BAD_INPUT


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "bootstrap",
        parents=[parent],
        help="make an AWS account ready for an environment (once)",
        description=DESCRIPTION,
        epilog=verb_epilog(
            [
                ("landfall bootstrap test", "everything, before the first `landfall up test`"),
                ("landfall bootstrap prod --account-only", "state bucket, key, encryptedkey"),
            ],
            [OK, FAILED, BAD_INPUT],
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument("env", type=environment_type(ENVIRONMENTS), help="environment: test or prod")
    p.add_argument("--profile", help="AWS profile to use (default: the usual boto3 chain)")
    p.add_argument(
        "--account-only",
        action="store_true",
        help="stop before the bootstrap stack (no Pulumi CLI needed)",
    )
    p.set_defaults(func=_bootstrap)
