"""``landfall plan`` and ``landfall diff-envs``: the offline plan tool (no AWS, no Pulumi CLI)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from landfall.config import ENVIRONMENTS


def _plan(args: argparse.Namespace) -> int:
    from landfall.baseline.evaluate import evaluate_plan
    from landfall.config import config_file, find_project
    from landfall.plan.golden import check_plan
    from landfall.plan.harness import plan_environment
    from landfall.plan.inventory import dumps
    from landfall.plan.report import summarize

    root = find_project(args.cwd)
    print(f"Planning {args.env} from {config_file(args.env, root)} (offline, under mocks)")
    plan = plan_environment(args.env, root)
    policy = evaluate_plan(plan, plan.config.policy_exemptions)
    print(summarize(plan))
    print(policy.summary())
    inventory = plan.as_json()
    if args.json:
        Path(args.json).write_text(dumps({**inventory, "policy": policy.as_json()}))
        print(f"Wrote the full inventory to {args.json}")
    guard = check_plan(
        args.env,
        inventory,
        sys.stdout,
        root,
        baseline=Path(args.baseline) if args.baseline else None,
        update_golden=args.update_golden,
        fail_on_replace=args.fail_on_replace,
    )
    return max(0 if policy.passed else 1, guard)


def _diff_envs(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.plan.envdiff import diff_environments, inventories

    root = find_project(args.cwd)
    a, b = inventories([args.a, args.b], args.golden, root)
    print(diff_environments(args.a, a, args.b, b))
    return 0


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "plan",
        parents=[parent],
        help="run every layer of an environment offline under Pulumi mocks and summarise it",
    )
    p.add_argument("env", help=f"environment: one of {', '.join(ENVIRONMENTS)}")
    p.add_argument("--json", metavar="PATH", help="write the whole inventory as JSON to PATH")
    p.add_argument(
        "--update-golden",
        action="store_true",
        help="write the normalised inventory to golden/ENV.json (commit it with the change)",
    )
    p.add_argument(
        "--baseline",
        metavar="PATH",
        help="compare with this inventory instead of golden/ENV.json (CI: the base branch's)",
    )
    p.add_argument(
        "--fail-on-replace",
        action="store_true",
        help="exit with status 3 when a stateful resource would be replaced or deleted",
    )
    p.set_defaults(func=_plan)

    d = sub.add_parser(
        "diff-envs",
        parents=[parent],
        help="show how two environments differ: resources and security/cost settings",
    )
    d.add_argument("a", choices=ENVIRONMENTS, help="first environment, e.g. test")
    d.add_argument("b", choices=ENVIRONMENTS, help="second environment, e.g. prod")
    d.add_argument(
        "--golden",
        action="store_true",
        help="compare the committed golden plans instead of planning both now",
    )
    d.set_defaults(func=_diff_envs)
