"""The ``landfall`` command: the parser and the dispatch to the verbs.

Each verb module here declares its arguments and imports what it runs only when it runs, so a
verb never pays for another's dependencies (``plan`` imports neither boto3 nor the Automation
API). Every verb takes ``--cwd DIR``; the project is found from there (or the current
directory) upward, as the Pulumi CLI finds ``Pulumi.yaml``.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# A CLI run is short and allocates millions of long-lived objects (the Pulumi SDKs' classes);
# the default threshold (700) makes the cyclic collector rescan them thousands of times, about a
# tenth of `landfall plan`'s CPU. Set before the verbs' imports below. See scripts/bench-plan.
gc.set_threshold(50_000, 20, 100)

from landfall.cli import aws_checks, deploy, plan  # noqa: E402  (after the GC setting)
from landfall.cli.output import BAD_INPUT, EXIT_CODES, FAILED  # noqa: E402


def common_options() -> argparse.ArgumentParser:
    """Options every verb takes."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--cwd",
        type=Path,
        metavar="DIR",
        help="run as if in DIR: the project is the nearest folder at or above it holding "
        "Pulumi.yaml (default: the current directory)",
    )
    return parent


def exit_codes_epilog() -> str:
    return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="landfall",
        description="Landfall: the AWS platform (network, cluster, gitops stacks) as code.",
        epilog=exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="verb", required=True)
    parent = common_options()
    for module in (plan, aws_checks, deploy):
        module.register(sub, parent)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from landfall.config import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`landfall plan test | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
