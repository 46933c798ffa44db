"""Exporting and reading the typed stack outputs of ``landfall.logic.contracts`` (R24)."""

from __future__ import annotations

import asyncio
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
    values = {f.name: require_output(ref, to_camel(f.name)) for f in fields}
    return contract(**values)


def require_output(ref: pulumi.StackReference, name: str) -> pulumi.Output[Any]:
    """``ref.require_output(name)`` without its cost: the SDK's pairs the name with the whole
    outputs map in ``Output.all``, and every new Output's data is scanned for unknowns, so each
    read walked the upstream stack's entire outputs (quadratic in the number of services). This
    applies over the one outputs Output instead, and keeps the SDK's secrecy rule: secret exactly
    when the upstream stack marks ``name`` secret (when it names no secrets, when its outputs
    are)."""

    async def is_secret() -> bool:
        names = await ref.secret_output_names.future()
        if names is None:
            return await ref.outputs.is_secret()
        return name in names

    value = ref.outputs.apply(lambda outputs: outputs[name])
    return pulumi.Output(
        value.resources(), value.future(), value.is_known(), asyncio.ensure_future(is_secret())
    )
