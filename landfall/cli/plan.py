"""``landfall plan`` and ``landfall diff-envs``: the offline plan tool (no AWS, no Pulumi CLI)."""

from __future__ import annotations

import argparse
import datetime
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from landfall.cli.arguments import environment_type, inventory_file_problem, writable_file_problem
from landfall.cli.output import (
    BAD_INPUT,
    FAILED,
    OK,
    STATEFUL_REPLACEMENT,
    HelpFormatter,
    verb_epilog,
    wrap_line,
    wrap_text,
)
from landfall.config import CLOUD_ENVIRONMENTS, ENVIRONMENTS, EnvironmentConfig

if TYPE_CHECKING:
    from landfall.plan.cost import CostEstimate
    from landfall.plan.inventory import Inventory

PLAN_DESCRIPTION = """\
Plan every stack of an environment (network -> cluster -> gitops) offline: run the Pulumi
program under mocks, summarise the resources and their security/cost settings, evaluate the
security baseline, and compare the inventory with golden/ENV.json (or --baseline), flagging any
change that would replace a stateful resource.

Needs: only this checkout. No AWS credentials, no Pulumi CLI, no network; nothing is deployed.
IDs, ARNs and endpoints in the plan are made up by the mocks and shown as <computed>."""

DIFF_DESCRIPTION = """\
Show how two environments differ: resources one has and the other lacks, resource counts per
type, and the security/cost settings (and protect/retainOnDelete) whose values differ, layer by
layer in deployment order. Values that differ only by the account ID, the region or the
environment's name (ARNs, names) are counted in one line per layer, not listed.

Needs: only this checkout (offline, like plan). --golden reads the committed golden/ENV.json
files instead of planning both environments (seconds instead of a minute)."""


def today() -> datetime.date:
    """The date the release calendar is read on (tests replace it)."""
    return datetime.date.today()


@dataclass(frozen=True)
class KubernetesSupport:
    passed: bool
    summary: str


def kubernetes_support(cfg: EnvironmentConfig, on: datetime.date) -> KubernetesSupport:
    """R28: the plan warns in test and fails in prod when the cluster's version is past, or
    within SUPPORT_WARNING_DAYS of, the end of EKS standard support, unless acknowledged."""
    from landfall.logic.versions import SUPPORT_WARNING_DAYS, next_version, support_status

    head = "== kubernetes support (EKS release calendar, landfall/logic/versions.py)"
    if cfg.cluster is None:
        return KubernetesSupport(True, head)
    version = cfg.cluster.kubernetes_version
    status = support_status(version, on)
    if not status.due:
        return KubernetesSupport(True, f"{head}\n   OK {status.describe()}")
    upgrade = next_version(version)
    fix = (
        f"upgrade to {upgrade}" if upgrade else "add the next version to landfall/logic/versions.py"
    )
    line = f"{status.describe()} (the plan warns from {SUPPORT_WARNING_DAYS} days before); {fix}"
    if cfg.cluster.support_end_acknowledged == version:
        return KubernetesSupport(True, f"{head}\n   ACKNOWLEDGED {line}")
    if not cfg.is_production:
        return KubernetesSupport(True, f"{head}\n   WARNING {line}")
    return KubernetesSupport(
        False,
        f'{head}\n   FAILED {line}; or set cluster.supportEndAcknowledged: "{version}"',
    )


def cost_estimate(cfg: EnvironmentConfig, inventory: Inventory) -> CostEstimate:
    """The plan's rough monthly cost drivers (issue 16), on today's release calendar."""
    from landfall.logic.versions import RELEASE_CALENDAR
    from landfall.plan.cost import estimate

    release = RELEASE_CALENDAR.get(cfg.cluster.kubernetes_version) if cfg.cluster else None
    return estimate(
        inventory,
        cfg.require("region", cfg.region),
        release.end_of_standard_support if release else None,
        today(),
    )


def _plan(args: argparse.Namespace) -> int:
    problems = []
    if args.json:
        problems.append(writable_file_problem("--json", args.json))
    if args.baseline:
        problems.append(inventory_file_problem("--baseline", args.baseline))
    found = [p for p in problems if p]
    if found:
        for problem in found:
            print(f"landfall plan: {problem}", file=sys.stderr)
        print("Nothing was planned.", file=sys.stderr)
        return BAD_INPUT

    from landfall.baseline.evaluate import evaluate_plan
    from landfall.config import config_file, find_project
    from landfall.plan.golden import check_plan
    from landfall.plan.harness import plan_environment
    from landfall.plan.inventory import dumps
    from landfall.plan.prerequisites import check_prerequisites
    from landfall.plan.report import summarize

    root = find_project(args.cwd)
    print(f"Planning {args.env} from {config_file(args.env, root)} (offline, under mocks)")
    plan = plan_environment(args.env, root)
    policy = evaluate_plan(plan, plan.config.policy_exemptions)
    print(summarize(plan))
    print(wrap_text(policy.summary()))
    inventory = plan.as_json()
    dns = plan.config.dns
    prerequisites = check_prerequisites(
        inventory, delegation_waited_for=dns is not None and dns.parent_zone_id is None
    )
    support = kubernetes_support(plan.config, today())
    if plan.config.is_cloud:
        print(wrap_text(prerequisites.summary()))
        print(wrap_text(support.summary))
        print(wrap_text(cost_estimate(plan.config, inventory).summary()))
    if args.json:
        try:
            Path(args.json).write_text(dumps({**inventory, "policy": policy.as_json()}))
        except OSError as exc:
            print(f"landfall plan: --json {args.json}: {exc.strerror}", file=sys.stderr)
            return BAD_INPUT
        print(f"Wrote the full inventory to {args.json}")
    baseline = Path(args.baseline) if args.baseline else None
    checked = io.StringIO()
    check = check_plan(
        args.env,
        inventory,
        checked,
        root,
        baseline=baseline,
        update_golden=args.update_golden,
        fail_on_replace=args.fail_on_replace,
    )
    print(wrap_text(checked.getvalue().rstrip("\n")))
    outcome = Outcome(
        env=args.env,
        policy_passed=policy.passed,
        prerequisites_met=prerequisites.passed,
        kubernetes_supported=support.passed,
        baseline_given=baseline is not None,
        has_baseline=check.has_baseline,
        changed=check.changed,
        replacements=check.replacements,
        updated_golden=args.update_golden,
    )
    print("\n" + "\n".join(wrap_line(outcome.next_step(), extra_indent=6)))
    passed = policy.passed and prerequisites.passed and support.passed
    return max(OK if passed else FAILED, check.exit_status)


@dataclass(frozen=True)
class Outcome:
    """What one `landfall plan` found, and so what to do next."""

    env: str
    policy_passed: bool
    prerequisites_met: bool
    kubernetes_supported: bool
    baseline_given: bool
    has_baseline: bool
    changed: bool
    replacements: bool
    updated_golden: bool

    def next_step(self) -> str:
        """The closing "Next:" line."""
        env = self.env
        golden = f"golden/{env}.json"
        if env in CLOUD_ENVIRONMENTS:
            preview = (
                f"`landfall preview {env}` (needs the Pulumi CLI and AWS credentials for the "
                f"{env} account; `landfall doctor {env}` checks them)"
            )
        else:
            preview = f"`landfall preview {env}` (needs the Pulumi CLI and the local cluster)"
        if not self.policy_passed:
            return (
                f"Next: fix the violations above, or document each accepted one (policy and "
                f"reason) under landfall:policyExemptions in Pulumi.{env}.yaml (docs/security.md);"
                f" then run `landfall plan {env}` again."
            )
        if not self.kubernetes_supported:
            return (
                f"Next: upgrade Kubernetes one minor version per deploy, test first "
                f"(docs/cluster.md, 'Upgrading Kubernetes'), or set "
                f"cluster.supportEndAcknowledged in Pulumi.{env}.yaml for a deliberate delay."
            )
        if not self.prerequisites_met:
            return (
                "Next: declare each unmet prerequisite above in the bootstrap layer "
                "(bootstrap/program.py) and make the layer that needs it read the bootstrap "
                f"stack's outputs; then run `landfall plan {env}` again."
            )
        if self.replacements:
            return (
                "Next: change the program so the stateful resources above are kept (or add an "
                "alias); replace them only on purpose, with a migration plan in the pull request."
            )
        if not self.has_baseline and not self.updated_golden:
            return (
                f"Next: record this inventory with `landfall plan {env} --update-golden` and "
                f"commit {golden}."
            )
        if self.updated_golden:
            return f"Next: commit {golden} with your change; then {preview}."
        if self.changed and self.baseline_given:
            return (
                "Next: the changes above are what this change does to the infrastructure; "
                f"review them, then {preview}."
            )
        if self.changed:
            return (
                f"Next: if the changes above are intended, run `landfall plan {env} "
                f"--update-golden` and commit {golden} with them; otherwise fix the program."
            )
        return f"Next: all checks passed; see what a deploy would change with {preview}."


def _diff_envs(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.plan.envdiff import MissingGolden, diff_environments, inventories

    if args.a == args.b:
        print(
            f"landfall diff-envs: give two different environments, not {args.a} twice",
            file=sys.stderr,
        )
        return BAD_INPUT
    root = find_project(args.cwd)
    try:
        a, b = inventories([args.a, args.b], args.golden, root)
    except MissingGolden as exc:
        print(f"landfall diff-envs: {exc}", file=sys.stderr)
        return BAD_INPUT
    print(diff_environments(args.a, a, args.b, b))
    return OK


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    environment = environment_type(ENVIRONMENTS)
    p = sub.add_parser(
        "plan",
        parents=[parent],
        help="plan an environment offline: summary, baseline, diff",
        description=PLAN_DESCRIPTION,
        epilog=verb_epilog(
            [
                ("landfall plan test", "summary, baseline and diff against golden/test.json"),
                ("landfall plan prod --update-golden", "accept a change: rewrite golden/prod.json"),
                (
                    "landfall plan prod --baseline base.json --fail-on-replace",
                    "CI: exit 3 if a stateful resource would be replaced",
                ),
            ],
            [OK, FAILED, BAD_INPUT, STATEFUL_REPLACEMENT],
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument("env", type=environment, help=f"environment: one of {', '.join(ENVIRONMENTS)}")
    p.add_argument(
        "--json",
        metavar="PATH",
        help="also write the whole inventory and the policy results as JSON to PATH "
        "(its directory must exist)",
    )
    p.add_argument(
        "--update-golden",
        action="store_true",
        help="write the normalised inventory to golden/ENV.json (commit it with the change)",
    )
    p.add_argument(
        "--baseline",
        metavar="PATH",
        help="compare with this inventory (an existing `plan --json` file) instead of "
        "golden/ENV.json (CI: the base branch's)",
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
        help="show how two environments' plans differ (offline)",
        description=DIFF_DESCRIPTION,
        epilog=verb_epilog(
            [
                ("landfall diff-envs test prod --golden", "from the committed golden plans"),
                ("landfall diff-envs test prod", "plan both environments now"),
            ],
            [OK, BAD_INPUT],
        ),
        formatter_class=HelpFormatter,
    )
    d.add_argument("a", metavar="ENV_A", type=environment, help="first environment, e.g. test")
    d.add_argument("b", metavar="ENV_B", type=environment, help="second environment, e.g. prod")
    d.add_argument(
        "--golden",
        action="store_true",
        help="compare the committed golden plans instead of planning both now",
    )
    d.set_defaults(func=_diff_envs)
