"""Golden plans: each environment's offline inventory, normalised and committed under ``golden/``.

``landfall plan ENV --update-golden`` writes ``golden/<env>.json``; ``tests/test_golden.py`` fails
when the program's inventory no longer matches it, printing which resources were added, removed or
changed and which input paths moved. So every pull request that changes infrastructure also
changes a golden file, and the reviewer reads the infrastructure diff there. The normalised
form and the comparison are in ``inventory``; the replacement guard is ``replacements``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from landfall.plan.inventory import diff_inventories, dumps, load_inventory, normalize, render_diff
from landfall.plan.replacements import render_replacements, stateful_replacements

GOLDEN_DIR = "golden"


def golden_path(env: str, root: Path) -> Path:
    return root / GOLDEN_DIR / f"{env}.json"


def write_golden(env: str, normalized: Mapping[str, Any], root: Path) -> Path:
    path = golden_path(env, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(normalized), encoding="utf-8")
    return path


@dataclass(frozen=True)
class PlanCheck:
    """What comparing a plan with its golden plan (or a baseline) found."""

    has_baseline: bool
    changed: bool
    replacements: bool
    exit_status: int  # 3: a stateful replacement and fail_on_replace, else 0


def check_plan(
    env: str,
    inventory: Mapping[str, Any],
    out: TextIO,
    root: Path,
    baseline: Path | None = None,
    update_golden: bool = False,
    fail_on_replace: bool = False,
) -> PlanCheck:
    """After ``landfall plan``: compare with the golden plan (or ``baseline``), print the diff
    and the replacement guard's findings, update the golden file if asked (after reading the
    old one). Returns what it found, with the exit status."""
    current = normalize(inventory, root)
    baseline_path = baseline if baseline is not None else golden_path(env, root)
    previous = load_inventory(baseline_path)
    replacements = []
    changed = False
    if previous is None:
        out.write(f"\nNo baseline plan at {baseline_path}; nothing to compare with.\n")
    else:
        diff = diff_inventories(previous, current)
        changed = not diff.empty
        inside = baseline_path.is_relative_to(root)
        shown = baseline_path.relative_to(root) if inside else baseline_path
        if changed:
            out.write(f"\nCompared with {shown}: {render_diff(diff, max_lines=80)}\n")
        else:
            out.write(f"\nSame inventory as {shown}.\n")
        replacements = stateful_replacements(previous, current)
        if replacements:
            out.write("\n" + render_replacements(env, replacements) + "\n")
    if update_golden:
        path = write_golden(env, current, root)
        out.write(f"\nWrote {path.relative_to(root)}; commit it with your change.\n")
    elif changed and baseline is None:
        out.write(f"Accept the change with: landfall plan {env} --update-golden\n")
    return PlanCheck(
        has_baseline=previous is not None,
        changed=changed,
        replacements=bool(replacements),
        exit_status=3 if replacements and fail_on_replace else 0,
    )
