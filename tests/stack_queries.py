"""Queries over a recorded stack plan (the tests' view of what a layer declared)."""

from __future__ import annotations

from landfall.plan.harness import StackPlan
from landfall.plan.harness.monitor import RecordedResource


def of_type(stack: StackPlan, type_token: str) -> list[RecordedResource]:
    """Every resource of ``type_token`` the stack declared."""
    return [r for r in stack.resources if r.type == type_token]


def one(stack: StackPlan, type_token: str, name: str | None = None) -> RecordedResource:
    """The one resource of ``type_token`` (named ``name``, if given); fails unless exactly one."""
    found = [r for r in of_type(stack, type_token) if name is None or r.name == name]
    if len(found) != 1:
        names = [r.name for r in of_type(stack, type_token)]
        raise AssertionError(f"expected one {type_token} named {name!r}, found {names}")
    return found[0]
