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

from landfall.cli import aws_checks, bootstrap, deploy, plan, service  # noqa: E402  (after the GC)
from landfall.cli.output import BAD_INPUT, EXIT_CODES, FAILED, HelpFormatter  # noqa: E402


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
    return (
        "Run `landfall VERB --help` for what a verb needs (offline, AWS credentials or the Pulumi\n"
        "CLI), its options, examples and exit codes.\n\n"
        "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())
    )


def version() -> str:
    """The installed package's version, or "unknown" (e.g. run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("landfall")
    except PackageNotFoundError:
        return "unknown"


class _Version(argparse.Action):
    """``--version``: looks the version up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"landfall {version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="landfall",
        description="Landfall: the AWS platform (network, cluster, gitops stacks) as code.\n\n"
        "Offline: plan, diff-envs, service. Read-only against AWS: doctor, verify. Once per\n"
        "account: bootstrap. Through the Pulumi CLI (Automation API): preview, up, destroy,\n"
        "refresh, outputs.",
        epilog=exit_codes_epilog(),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB", title="verbs")
    parent = common_options()
    for module in (plan, aws_checks, bootstrap, deploy, service):
        module.register(sub, parent)
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; an argument no parser knows is reported with the usage of the
    verb it was given to (``landfall plan test --bogus`` shows ``usage: landfall plan ...``)."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        verb_parser = verbs.choices.get(str(getattr(args, "verb", "")), parser)
        verb_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(build_parser(), argv)
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
