"""``landfall diff-envs test prod``: how two environments differ, from their offline inventories.

R1 says test and prod come from the same code and differ only by their environment config; this
shows what that config difference amounts to: resources one environment has and the other does
not, resource counts per type, and every security- or cost-relevant setting (``report.HIGHLIGHTS``,
plus the ``protect`` / ``retainOnDelete`` options) whose value differs. Layers come in deployment
order. What differs only by the environments' identity (account ID, region, environment name:
``Identity``), such as an ARN in each account or a StackReference to each environment's network, is
the same thing in both and is counted in one line per layer instead of listed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from landfall.cli.output import text_table
from landfall.config.model import LAYERS
from landfall.plan.golden import golden_path
from landfall.plan.inventory import dig, layers_of, load_inventory, normalize, short
from landfall.plan.report import HIGHLIGHTS

# Resource options that matter as much as inputs for stateful resources.
OPTION_SETTINGS: tuple[str, ...] = ("protect", "retainOnDelete")


class MissingGolden(Exception):
    """``--golden`` and an environment has no golden plan."""


@dataclass(frozen=True)
class Identity:
    """What makes the same thing in two environments look different: the environment's name,
    its AWS account IDs and regions (from its AWS providers' inputs)."""

    environment: str
    accounts: frozenset[str]
    regions: frozenset[str]

    @classmethod
    def of(cls, env: str, inventory: Mapping[str, Any]) -> Identity:
        accounts: set[str] = set()
        regions: set[str] = set()
        for stack in inventory.get("stacks", {}).values():
            for r in stack.get("resources", []):
                if r.get("type") == "pulumi:providers:aws":
                    inputs = r.get("inputs", {})
                    accounts.update(str(a) for a in inputs.get("allowedAccountIds") or [])
                    if inputs.get("region"):
                        regions.add(str(inputs["region"]))
        return cls(env, frozenset(accounts), frozenset(regions))

    def neutral(self, value: Any) -> Any:
        """``value`` with this identity's account IDs, regions and environment name replaced
        by placeholders (in every string inside it)."""
        if isinstance(value, str):
            text = value
            for account in self.accounts:
                text = text.replace(account, "<account>")
            for region in self.regions:
                text = _word(region).sub("<region>", text)
            return _word(self.environment).sub("<env>", text)
        if isinstance(value, list):
            return [self.neutral(v) for v in value]
        if isinstance(value, dict):
            return {k: self.neutral(v) for k, v in value.items()}
        return value


def _word(text: str) -> re.Pattern[str]:
    """``text`` as a whole word (not inside "latest" for "test")."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])")


def deployment_order(layers: Iterable[str]) -> list[str]:
    """Layers in deployment order (network, cluster, gitops), unknown ones after, as found."""
    found = list(dict.fromkeys(layers))
    return [x for x in LAYERS if x in found] + [x for x in found if x not in LAYERS]


def env_key(urn: str) -> str:
    """A URN without its stack name, so the same resource in two environments has one key."""
    return urn.split("::", 1)[1] if "::" in urn else urn


def _by_key(
    inventory: Mapping[str, Any], layer: str, identity: Identity | None = None
) -> dict[str, Mapping[str, Any]]:
    """The layer's resources by ``env_key``; with ``identity``, by a key neutral of it (so a
    resource named after its environment matches its twin)."""
    stack = inventory.get("stacks", {}).get(layer, {})
    found: dict[str, Mapping[str, Any]] = {}
    for r in stack.get("resources", []):
        key = env_key(str(r["urn"]))
        found[identity.neutral(key) if identity else key] = r
    return found


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
    id_a, id_b = Identity.of(a_env, a), Identity.of(b_env, b)
    for layer in deployment_order(layers_of(a, b)):
        in_a, in_b = _by_key(a, layer, id_a), _by_key(b, layer, id_b)
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
        same = sum(
            str(in_a[key]["name"]) != str(in_b[key]["name"]) for key in set(in_a) & set(in_b)
        )
        for key in sorted(set(in_a) & set(in_b)):
            for setting, va, vb in setting_differences(in_a[key], in_b[key]):
                if id_a.neutral(va) == id_b.neutral(vb):
                    same += 1
                else:
                    rows.append([str(in_b[key]["name"]), setting, short(va, 40), short(vb, 40)])
        if rows:
            lines.append("  security / cost settings that differ:")
            lines += text_table([["resource", "setting", a_env, b_env], *rows], "    ")
        elif in_a and in_b:
            lines.append("  security / cost settings: identical")
        if same:
            lines.append(
                f"  {same} {'value differs' if same == 1 else 'values differ'} only by "
                "account/region/environment name (not listed)"
            )
    return "\n".join(lines)


def inventories(envs: list[str], from_golden: bool, root: Path) -> list[dict[str, Any]]:
    """Each environment's normalised inventory: planned now, or its committed golden plan."""
    if from_golden:
        found = []
        for env in envs:
            loaded = load_inventory(golden_path(env, root))
            if loaded is None:
                raise MissingGolden(
                    f"golden/{env}.json is missing: run `landfall plan {env} --update-golden`, "
                    "or leave --golden out to plan both environments now"
                )
            found.append(loaded)
        return found
    from landfall.plan.harness import plan_environment

    return [normalize(plan_environment(env, root).as_json(), root) for env in envs]
