"""The offline plan's inventory as data: its typed shape, the normalised (golden) form, and the
comparison of two inventories. Used by the golden plans, the replacement guard, the report and
``diff-envs``; it imports none of them.

Normalisation makes an inventory stable and reviewable: resources sorted by URN, keys sorted,
inputs that are JSON documents in a string (IAM policies, provider settings) decoded so a diff
points at the statement that changed, and volatile values (the checkout's absolute path,
provider plugin versions that follow the installed SDK) replaced by placeholders. Values the
offline mocks make up for AWS (IDs, ARNs, endpoints) are deterministic, so they stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

# Inputs of provider resources that follow the installed plugin rather than the program.
VOLATILE_PROVIDER_INPUTS: tuple[str, ...] = ("version", "pluginDownloadURL")
REPO_PLACEHOLDER = "<repo>"
PROVIDER_VERSION_PLACEHOLDER = "<provider version>"
ABSENT = "(absent)"


class ResourceEntry(TypedDict):
    """One declared resource, as ``RecordedResource.as_json`` writes it."""

    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    remote: bool
    inputs: dict[str, Any]
    options: dict[str, Any]


class StackInventory(TypedDict):
    resources: list[ResourceEntry]
    outputs: dict[str, Any]


class Inventory(TypedDict, total=False):
    """An environment's inventory (``EnvironmentPlan.as_json``; ``policy`` only in ``--json``)."""

    environment: str
    note: str
    stacks: dict[str, StackInventory]
    policy: dict[str, Any]


# --- normalisation -------------------------------------------------------------------------------


def _decode_documents(value: Any) -> Any:
    """Decode strings holding JSON objects/arrays (recursively); leave every other value alone."""
    if isinstance(value, dict):
        return {k: _decode_documents(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_documents(v) for v in value]
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        if isinstance(decoded, dict | list):
            return _decode_documents(decoded)
    return value


def _replace_text(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_text(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_text(v, old, new) for v in value]
    if isinstance(value, str) and old in value:
        return value.replace(old, new)
    return value


def normalize(inventory: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """The golden form of an ``EnvironmentPlan.as_json()`` inventory (a new object)."""
    data: dict[str, Any] = json.loads(json.dumps(inventory, sort_keys=True, default=str))
    for stack in data.get("stacks", {}).values():
        for resource in stack.get("resources", []):
            inputs = _decode_documents(resource.get("inputs", {}))
            if str(resource.get("type", "")).startswith("pulumi:providers:"):
                for key in VOLATILE_PROVIDER_INPUTS:
                    if key in inputs:
                        inputs[key] = PROVIDER_VERSION_PLACEHOLDER
            resource["inputs"] = inputs
        stack["resources"] = sorted(stack.get("resources", []), key=lambda r: str(r["urn"]))
        stack["outputs"] = _decode_documents(stack.get("outputs", {}))
    replaced: dict[str, Any] = _replace_text(data, str(root), REPO_PLACEHOLDER)
    return replaced


def dumps(inventory: Mapping[str, Any]) -> str:
    return json.dumps(inventory, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_inventory(path: Path) -> dict[str, Any] | None:
    """A stored inventory, or None when the file does not exist."""
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


# --- comparison ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueChange:
    """One leaf (or whole subtree) that differs; ``path`` like ``inputs.vpcConfig.subnetIds[0]``."""

    path: str
    old: Any
    new: Any

    @property
    def added(self) -> bool:
        return self.old is ABSENT_VALUE

    @property
    def removed(self) -> bool:
        return self.new is ABSENT_VALUE


class _Absent:
    def __repr__(self) -> str:
        return ABSENT


ABSENT_VALUE: Any = _Absent()


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def value_changes(old: Any, new: Any, path: str = "") -> Iterator[ValueChange]:
    """Leaf-level differences between two JSON values. Lists of equal length are compared item
    by item; a list that grew or shrank is reported as a whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from value_changes(
                old.get(key, ABSENT_VALUE), new.get(key, ABSENT_VALUE), _child(path, key)
            )
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from value_changes(a, b, _child(path, index))
    elif old != new or type(old) is not type(new):
        yield ValueChange(path, old, new)


@dataclass(frozen=True)
class ResourceChange:
    layer: str
    kind: str  # added, removed, changed
    urn: str
    type: str
    name: str
    changes: tuple[ValueChange, ...] = ()


@dataclass(frozen=True)
class InventoryDiff:
    resources: tuple[ResourceChange, ...]
    outputs: tuple[tuple[str, ValueChange], ...]

    @property
    def empty(self) -> bool:
        return not self.resources and not self.outputs

    def of_kind(self, kind: str) -> list[ResourceChange]:
        return [r for r in self.resources if r.kind == kind]


def resources_by_urn(inventory: Mapping[str, Any], layer: str) -> dict[str, dict[str, Any]]:
    stack = inventory.get("stacks", {}).get(layer, {})
    return {str(r["urn"]): r for r in stack.get("resources", [])}


def layers_of(*inventories: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for inventory in inventories:
        seen.update(dict.fromkeys(inventory.get("stacks", {})))
    return list(seen)


_COMPARED = ("type", "name", "parent", "custom", "remote", "inputs", "options")


def _type_renames(resources: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Former type -> current type, from the ``aliases`` of the resources that declare them."""
    return {
        former: str(r["type"])
        for r in resources.values()
        for former in r.get("options", {}).get("formerTypes", [])
    }


def _follow_aliases(
    before: dict[str, dict[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``before`` keyed by the URNs its resources have now: a type alias moves the URN of the
    aliased resource and of its descendants (their URNs carry the parent type chain), as the
    engine does, so an aliased move is not a delete and a create."""
    renames = _type_renames(after)
    if not renames:
        return before

    def moved(urn: str) -> str:
        head, sep, name = urn.rpartition("::")
        prefix, _, chain = head.rpartition("::")
        types = [renames.get(t, t) for t in chain.split("$")]
        return f"{prefix}::{'$'.join(types)}{sep}{name}"

    return {moved(urn): r for urn, r in before.items()}


def diff_inventories(old: Mapping[str, Any], new: Mapping[str, Any]) -> InventoryDiff:
    """What changed from ``old`` to ``new`` (both normalised), resource by resource (by URN)."""
    changes: list[ResourceChange] = []
    outputs: list[tuple[str, ValueChange]] = []
    for layer in layers_of(old, new):
        after = resources_by_urn(new, layer)
        before = _follow_aliases(resources_by_urn(old, layer), after)
        for urn in sorted(set(before) | set(after)):
            a, b = before.get(urn), after.get(urn)
            resource = b if b is not None else a
            assert resource is not None
            head = (layer, urn, str(resource["type"]), str(resource["name"]))
            if a is None:
                changes.append(ResourceChange(head[0], "added", *head[1:]))
            elif b is None:
                changes.append(ResourceChange(head[0], "removed", *head[1:]))
            else:
                found = tuple(
                    value_changes(
                        {k: a.get(k) for k in _COMPARED}, {k: b.get(k) for k in _COMPARED}
                    )
                )
                if found:
                    changes.append(ResourceChange(head[0], "changed", *head[1:], found))
        old_out = old.get("stacks", {}).get(layer, {}).get("outputs", {})
        new_out = new.get("stacks", {}).get(layer, {}).get("outputs", {})
        outputs += [(layer, c) for c in value_changes(old_out, new_out)]
    return InventoryDiff(tuple(changes), tuple(outputs))


def short(value: Any, width: int = 72) -> str:
    text = repr(value) if value is not ABSENT_VALUE else ABSENT
    return text if len(text) <= width else text[: width - 1] + "…"


_MARK = {"added": "+", "removed": "-", "changed": "~"}


def render_diff(diff: InventoryDiff, max_lines: int | None = None) -> str:
    """A reviewer's summary: per layer, resources added (+), removed (-), changed (~) with the
    paths that changed, then changed stack outputs."""
    counts = ", ".join(
        f"{len(diff.of_kind(kind))} {kind}" for kind in ("added", "removed", "changed")
    )
    lines = [f"{counts} resources; {len(diff.outputs)} stack outputs changed."]
    for layer in dict.fromkeys([r.layer for r in diff.resources] + [o[0] for o in diff.outputs]):
        lines.append(f"{layer}:")
        for r in (r for r in diff.resources if r.layer == layer):
            lines.append(f"  {_MARK[r.kind]} {r.type}  {r.name}")
            if r.kind == "changed":
                lines.append(f"      urn: {r.urn}")
            lines += [f"      {c.path}: {short(c.old)} → {short(c.new)}" for c in r.changes]
        for out_layer, c in diff.outputs:
            if out_layer == layer:
                lines.append(f"  ~ output {c.path}: {short(c.old)} → {short(c.new)}")
    if max_lines is not None and len(lines) > max_lines:
        hidden = len(lines) - max_lines
        lines = [*lines[:max_lines], f"  … {hidden} more lines (see the golden file's git diff)"]
    return "\n".join(lines)


def dig(value: Any, path: str) -> Any:
    """The value at dotted ``path`` (the first item of any list on the way), or None."""
    for part in path.split("."):
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
