"""``landfall preview|up|destroy|refresh|outputs``: the Pulumi Automation API, stack by stack."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from landfall.cli.arguments import environment_type, writable_file_problem
from landfall.cli.output import BAD_INPUT, FAILED, OK, HelpFormatter, verb_epilog
from landfall.config import ENVIRONMENTS, LAYERS

# One-line help (the verb list of `landfall --help`).
HELP = {
    "preview": "preview every stack (network → cluster → gitops)",
    "up": "deploy every stack (network → cluster → gitops)",
    "destroy": "destroy the stacks, gitops first (prod: confirm)",
    "refresh": "refresh every stack's state from the cloud",
    "outputs": "print an environment's stack outputs as JSON",
}

WHAT = {
    "preview": "Preview every stack of an environment in deployment order (network → cluster →\n"
    "gitops) with `pulumi preview`, each with --config-file Pulumi.<env>.yaml, and print a\n"
    "summary of the changes per stack. Changes nothing.",
    "up": "Deploy every stack of an environment in deployment order (network → cluster → gitops)\n"
    "with `pulumi up`: live progress, then a summary table. Stops at the first failed stack.",
    "destroy": "Destroy an environment's stacks in reverse order (gitops → cluster → network)\n"
    "with `pulumi destroy`. prod is refused unless --yes-destroy-prod is given.",
    "refresh": "Refresh every stack's state from the cloud with `pulumi refresh` (reads the real\n"
    "resources and updates the state; changes no resources).",
    "outputs": "Print the outputs of an environment's stacks as JSON (secrets hidden unless\n"
    "--show-secrets), or one output's value with --layer and --output.",
}

NEEDS = {
    "outputs": "Needs: the Pulumi CLI on PATH and access to the state backend (PULUMI_BACKEND_URL\n"
    "or `pulumi login`); no AWS calls beyond reading the state.",
}
NEEDS_DEFAULT = (
    "Needs: the Pulumi CLI on PATH, access to the state backend, the stack's secrets provider\n"
    "(KMS key or passphrase) and, for test and prod, AWS credentials for the environment's\n"
    "account. All of that is checked first and every problem reported at once (exit 2)."
)

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "preview": [
        ("landfall preview test", "every stack of test"),
        ("landfall preview prod --policy-pack policypack", "with the security baseline"),
        ("landfall preview test --layer cluster --report-file preview.md", "one stack, report"),
    ],
    "up": [
        ("landfall up test", "network, then cluster, then gitops"),
        ("landfall up test --layer gitops", "only the gitops stack"),
    ],
    "destroy": [
        ("landfall destroy test", "gitops, then cluster, then network"),
        ("landfall destroy prod --yes-destroy-prod", "prod must be confirmed"),
    ],
    "refresh": [
        ("landfall refresh test", "every stack of test"),
        ("landfall refresh prod --layer network", "one stack"),
    ],
    "outputs": [
        ("landfall outputs test", "every stack's outputs as JSON"),
        ("landfall outputs test --layer cluster --output kubeconfig", "one value"),
    ],
}


def _run(args: argparse.Namespace) -> int:
    report_file = getattr(args, "report_file", None)
    problem = writable_file_problem("--report-file", report_file) if report_file else None
    if problem:
        print(f"landfall {args.verb}: {problem}", file=sys.stderr)
        return BAD_INPUT
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
        return BAD_INPUT


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    environment = environment_type(ENVIRONMENTS)
    for operation, text in HELP.items():
        p = sub.add_parser(
            operation,
            parents=[parent],
            help=text,
            description=f"{WHAT[operation]}\n\n{NEEDS.get(operation, NEEDS_DEFAULT)}",
            epilog=verb_epilog(EXAMPLES[operation], [OK, FAILED, BAD_INPUT]),
            formatter_class=HelpFormatter,
        )
        p.add_argument(
            "env", type=environment, help=f"environment: one of {', '.join(ENVIRONMENTS)}"
        )
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
