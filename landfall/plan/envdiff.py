"""``landfall diff-envs test prod``: how two environments differ, from their offline inventories.

R1 says test and prod come from the same code and differ only by their environment config; this
shows what that config difference amounts to: resources one environment has and the other does
not, resource counts per type, and every security- or cost-relevant setting (``report.HIGHLIGHTS``,
plus the ``protect`` / ``retainOnDelete`` options) whose value differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from landfall.cli.output import text_table
from landfall.plan.golden import golden_path
from landfall.plan.inventory import dig, layers_of, load_inventory, normalize, short
from landfall.plan.report import HIGHLIGHTS

# Resource options that matter as much as inputs for stateful resources.
OPTION_SETTINGS: tuple[str, ...] = ("protect", "retainOnDelete")


def env_key(urn: str) -> str:
    """A URN without its stack name, so the same resource in two environments has one key."""
    return urn.split("::", 1)[1] if "::" in urn else urn


def _by_key(inventory: Mapping[str, Any], layer: str) -> dict[str, Mapping[str, Any]]:
    stack = inventory.get("stacks", {}).get(layer, {})
    return {env_key(str(r["urn"])): r for r in stack.get("resources", [])}


def setting_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(setting, value in a, value in b) for each highlighted input or option that differs."""
    found = []
    for path in HIGHLIGHTS.get(str(b.get("type")), ()):
        va, vb = dig(a.get("inputs", {}), path), dig(b.get("inputs", {}), path)
        if va != vb:
            found.append((path, va, vb))
    for option in OPTION_SETTINGS:
        va, vb = a.get("options", {}).get(option), b.get("options", {}).get(option)
        if va != vb:
            found.append((f"options.{option}", va, vb))
    return found


def diff_environments(a_env: str, a: Mapping[str, Any], b_env: str, b: Mapping[str, Any]) -> str:
    """The report, from two normalised inventories."""
    lines = [f"How {a_env} and {b_env} differ (offline inventories; nothing deployed)."]
    for layer in layers_of(a, b):
        in_a, in_b = _by_key(a, layer), _by_key(b, layer)
        lines.append(f"\n== {layer}: {len(in_a)} resources in {a_env}, {len(in_b)} in {b_env}")
        count_a = Counter(str(r["type"]) for r in in_a.values())
        count_b = Counter(str(r["type"]) for r in in_b.values())
        counts = [
            [t, str(count_a[t]), str(count_b[t])]
            for t in sorted(set(count_a) | set(count_b))
            if count_a[t] != count_b[t]
        ]
        if counts:
            lines.append("  resource counts that differ:")
            lines += text_table([["type", a_env, b_env], *counts], "    ")
        for env, mine, theirs in ((a_env, in_a, in_b), (b_env, in_b, in_a)):
            only = sorted(k for k in mine if k not in theirs)
            if only:
                lines.append(f"  only in {env}:")
                lines += [f"    {mine[k]['type']}  {mine[k]['name']}" for k in only]
        rows = []
        for key in sorted(set(in_a) & set(in_b)):
            for setting, va, vb in setting_differences(in_a[key], in_b[key]):
                rows.append([str(in_b[key]["name"]), setting, short(va, 40), short(vb, 40)])
        if rows:
            lines.append("  security / cost settings that differ:")
            lines += text_table([["resource", "setting", a_env, b_env], *rows], "    ")
        elif in_a and in_b:
            lines.append("  security / cost settings: identical")
    return "\n".join(lines)


def inventories(envs: list[str], from_golden: bool, root: Path) -> list[dict[str, Any]]:
    """Each environment's normalised inventory: planned now, or its committed golden plan."""
    if from_golden:
        found = []
        for env in envs:
            loaded = load_inventory(golden_path(env, root))
            if loaded is None:
                raise SystemExit(
                    f"golden/{env}.json is missing: run landfall plan {env} --update-golden"
                )
            found.append(loaded)
        return found
    from landfall.plan.harness import plan_environment

    return [normalize(plan_environment(env, root).as_json(), root) for env in envs]
