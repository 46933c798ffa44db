"""The ``landfall`` command line. Each verb lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from landfall import doctor, envdiff, golden, orchestrate, verify
from landfall.config import ENVIRONMENTS
from landfall.errors import ConfigError


def _plan(args: argparse.Namespace) -> int:
    from landfall.harness import plan_environment
    from landfall.report import summarize
    from landfall.security.inventory import evaluate_plan

    plan = plan_environment(args.env)
    policy = evaluate_plan(plan, plan.config.policy_exemptions)
    print(summarize(plan))
    print(policy.summary())
    inventory = plan.as_json()
    if args.json:
        Path(args.json).write_text(golden.dumps({**inventory, "policy": policy.as_json()}))
        print(f"Wrote the full inventory to {args.json}")
    guard = golden.check_plan(args.env, inventory, args, sys.stdout)
    return max(0 if policy.passed else 1, guard)


def _register_plan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="run every layer of an environment offline under Pulumi mocks and summarise it",
    )
    p.add_argument("env", help=f"environment: one of {', '.join(ENVIRONMENTS)}")
    p.add_argument("--json", metavar="PATH", help="write the whole inventory as JSON to PATH")
    golden.add_plan_arguments(p)
    p.set_defaults(func=_plan)


# Verb modules add themselves here: each is a callable taking the subparsers object.
REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_plan,
    doctor.register,
    verify.register,
    orchestrate.register,
    envdiff.register,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="landfall",
        description="Landfall: the AWS platform (network, cluster, gitops stacks) as code.",
    )
    sub = parser.add_subparsers(dest="verb", required=True)
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
