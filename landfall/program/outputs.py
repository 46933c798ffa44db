"""Exporting and reading the typed stack outputs of ``landfall.logic.contracts`` (R24)."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import pulumi
from pydantic.alias_generators import to_camel

T = TypeVar("T")


def export_outputs(values: Any) -> None:
    for f in dataclasses.fields(values):
        pulumi.export(to_camel(f.name), getattr(values, f.name))


def stack_reference(layer: str, env: str) -> pulumi.StackReference:
    """The StackReference to ``<env>-<layer>`` in the same organization and project."""
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{env}-{layer}"
    return pulumi.StackReference(f"{env}-{layer}", stack_name=name)


def read_outputs(contract: type[T], ref: pulumi.StackReference) -> T:  # T: a contract dataclass
    """Every field of ``contract`` read from ``ref``; a missing output fails the deployment."""
    fields = dataclasses.fields(contract)  # type: ignore[arg-type]  # T is one of the dataclasses
    values = {f.name: ref.require_output(to_camel(f.name)) for f in fields}
    return contract(**values)
