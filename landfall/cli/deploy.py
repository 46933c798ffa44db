"""``landfall preview|up|destroy|refresh|outputs``: the Pulumi Automation API, stack by stack."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from landfall.config import ENVIRONMENTS, LAYERS

HELP = {
    "preview": "preview every stack of an environment (network → cluster → gitops)",
    "up": "deploy every stack of an environment (network → cluster → gitops)",
    "destroy": "destroy an environment's stacks in reverse order (prod needs --yes-destroy-prod)",
    "refresh": "refresh every stack's state from the cloud",
    "outputs": "print the stack outputs of an environment as JSON",
}


def _run(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.ops.orchestrate import OrchestrationError, Request, orchestrate

    request = Request(
        env=args.env,
        operation=args.verb,
        layer=args.layer,
        yes_destroy_prod=getattr(args, "yes_destroy_prod", False),
        policy_packs=tuple(Path(p).resolve() for p in getattr(args, "policy_pack", None) or ()),
        report_file=Path(args.report_file) if getattr(args, "report_file", None) else None,
        show_secrets=getattr(args, "show_secrets", False),
        output=getattr(args, "output", None),
    )
    try:
        return orchestrate(request, root=find_project(args.cwd))
    except OrchestrationError as exc:
        print(exc.render(), file=sys.stderr)
        return 2


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    for operation, text in HELP.items():
        p = sub.add_parser(operation, parents=[parent], help=text, description=text)
        p.add_argument("env", help=f"environment: one of {', '.join(ENVIRONMENTS)}")
        p.add_argument("--layer", choices=LAYERS, help="limit the operation to one layer's stack")
        if operation in ("preview", "up"):
            p.add_argument(
                "--policy-pack",
                action="append",
                metavar="DIR",
                help="run this policy pack (repeatable), e.g. --policy-pack policypack",
            )
        if operation != "outputs":
            p.add_argument(
                "--report-file",
                metavar="PATH",
                help="also write the summary and the engine output as Markdown (PR comments)",
            )
        if operation == "destroy":
            p.add_argument(
                "--yes-destroy-prod",
                action="store_true",
                help="confirm that the prod environment is to be destroyed",
            )
        if operation == "outputs":
            p.add_argument("--show-secrets", action="store_true", help="print secret outputs")
            p.add_argument(
                "--output", metavar="NAME", help="print only this output's value (needs --layer)"
            )
        p.set_defaults(func=_run)
