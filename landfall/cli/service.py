"""``landfall service new|check``: the service catalogue and the fleet (offline, files only)."""

from __future__ import annotations

import argparse
import sys

from landfall.cli.output import BAD_INPUT, FAILED, OK, HelpFormatter, verb_epilog

DESCRIPTION = """\
Services are declared once, in services.yaml (the catalogue); everything else derives from it.
  new NAME   add NAME to the catalogue and scaffold its fleet manifests from the payments
             pattern (apps/base, apps/cloud, apps/local with a chart in fleet/charts, each
             environment's overlay, the ephemeral environments' patch, registered in the
             kustomizations), everywhere unless --environments says otherwise;
  check      verify that the catalogue, the settings and the fleet agree.
Needs: nothing but this repository (no AWS, no Pulumi CLI)."""


def _new(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from landfall.config import ConfigError, find_project
    from landfall.config.catalogue import CatalogueEntry, catalogue_path
    from landfall.config.load import _pydantic_problems, load_catalogue
    from landfall.service.scaffold import next_priority, validate_new, write_service

    root = find_project(args.cwd)
    catalogue = load_catalogue(catalogue_path(root))
    # An HPA in the cloud (2-4 pods in test, 3-6 in prod); a fixed count locally.
    sizing = {
        "test": {"replicas": 2, "maxReplicas": 4},
        "prod": {"replicas": 3, "maxReplicas": 6},
        "local": {},
    }
    try:
        entry = CatalogueEntry.model_validate(
            {
                "name": args.name,
                "namespace": args.namespace,
                "team": args.team,
                "public": not args.internal,
                "nlb": args.nlb,
                "database": args.database,
                "search": args.search,
                "listenerPriority": args.listener_priority or next_priority(catalogue),
                "environments": {env: sizing[env] for env in args.environments},
            }
        )
    except ValidationError as exc:
        problems = [
            p.__class__(p.key.removeprefix("landfall:"), p.problem, p.fix)
            for p in _pydantic_problems(exc)
        ]
        raise ConfigError("landfall service new", problems) from None
    validate_new(root, catalogue, entry)
    written = write_service(root, entry)
    print(f"Added {entry.name} to services.yaml and scaffolded its fleet manifests:")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(
        f"Next: push its image to ECR {entry.name} and its chart to charts/{entry.name}, run "
        "`landfall service check` and `landfall plan test`, then commit."
    )
    return OK


def _check(args: argparse.Namespace) -> int:
    from landfall.config import find_project
    from landfall.service.check import check_services

    root = find_project(args.cwd)
    problems = check_services(root)
    if not problems:
        print("The catalogue, the settings and the fleet agree.")
        return OK
    print(
        f"{len(problems)} problem(s) between services.yaml, the settings and the fleet:",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return FAILED


def _environments(value: str) -> list[str]:
    from landfall.config import ENVIRONMENTS

    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names or any(n not in ENVIRONMENTS for n in names):
        raise argparse.ArgumentTypeError(
            f"{value!r}: give a comma-separated list of {', '.join(ENVIRONMENTS)}"
        )
    return names


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "service",
        parents=[parent],
        help="add a service, or check the catalogue and the fleet",
        description=DESCRIPTION,
        epilog=verb_epilog(
            [
                ("landfall service new accounts --team ledger --database", "a public service"),
                ("landfall service new audit --team sec --internal", "internal only"),
                ("landfall service check", "catalogue, settings and fleet agree"),
            ],
            [OK, FAILED, BAD_INPUT],
        ),
        formatter_class=HelpFormatter,
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser(
        "new", parents=[parent], help="add a service", formatter_class=HelpFormatter
    )
    new.add_argument("name", help="service name: a DNS label, e.g. accounts")
    new.add_argument("--team", required=True, help="owning team, e.g. ledger")
    new.add_argument("--namespace", help="Kubernetes namespace (default: the name)")
    new.add_argument("--internal", action="store_true", help="no host on the internet-facing ALB")
    new.add_argument("--nlb", action="store_true", help="an internal NLB for callers in the VPC")
    new.add_argument("--database", action="store_true", help="its own MariaDB database and user")
    new.add_argument("--search", action="store_true", help="its own OpenSearch indices <name>-*")
    new.add_argument(
        "--listener-priority",
        type=int,
        help="ALB host-rule priority (default: one above the catalogue's highest)",
    )
    new.add_argument(
        "--environments",
        type=_environments,
        default=["local", "test", "prod"],
        help="where it runs, comma-separated (default: local,test,prod; local also gives it a "
        "chart in fleet/charts/ and a place in the ephemeral environments)",
    )
    new.set_defaults(func=_new)
    check = actions.add_parser(
        "check",
        parents=[parent],
        help="catalogue, settings and fleet agree",
        formatter_class=HelpFormatter,
    )
    check.set_defaults(func=_check)
