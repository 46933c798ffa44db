"""Checks of the verbs' arguments, made before anything runs (standard library only).

``environment_type`` checks an environment name while the command line is parsed, so a wrong
one is reported with the verb's usage (exit status 2). The path checks run at the start of a
verb (``landfall plan --json out/plan.json`` must not plan for a minute and then fail to write)
and return the problem as one sentence naming the option and the fix, or None.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path


def environment_type(environments: Sequence[str]) -> Callable[[str], str]:
    """An argparse ``type`` accepting only the names in ``environments``."""
    known = ", ".join(environments)

    def environment(value: str) -> str:
        if value in environments:
            return value
        hint = ""
        if "/" in value or "\\" in value or value.endswith((".yaml", ".yml")) or value[:1] == ".":
            hint = " (give the environment's name, not a path or file)"
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an environment{hint}; use one of {known} "
            "(each has a Pulumi.<env>.yaml)"
        )

    environment.__name__ = "environment"  # argparse names the type in some messages
    return environment


def writable_file_problem(option: str, value: str) -> str | None:
    """Why ``value`` cannot be written as a new or replaced file, or None."""
    path = Path(value)
    if path.is_dir():
        return f"{option} {value}: is a directory; give a file name, e.g. {path / 'plan.json'}"
    parent = path.parent
    if not parent.is_dir():
        return (
            f"{option} {value}: the directory {parent} does not exist; create it first "
            f"(mkdir -p {parent}) or give a path in an existing directory"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        return (
            f"{option} {value}: the directory {parent} is not writable; "
            "give a path in a directory you can write to"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return f"{option} {value}: the file exists and is not writable; give another path"
    return None


def inventory_file_problem(option: str, value: str) -> str | None:
    """Why ``value`` is not a readable inventory (``landfall plan ENV --json`` output), or None."""
    path = Path(value)
    if not path.exists():
        return (
            f"{option} {value}: no such file; give an inventory written by "
            "`landfall plan ENV --json PATH` (e.g. on the base branch), or leave "
            f"{option} out to compare with golden/ENV.json"
        )
    if not path.is_file():
        return f"{option} {value}: is not a file; give the inventory's JSON file"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return f"{option} {value}: cannot be read ({exc.strerror}); check its permissions"
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{option} {value}: is not JSON ({exc}); give `landfall plan ENV --json` output"
    if not isinstance(data, dict) or "stacks" not in data:
        return (
            f"{option} {value}: is not a landfall inventory (it has no 'stacks'); give "
            "`landfall plan ENV --json` output or a golden/ENV.json file"
        )
    return None
