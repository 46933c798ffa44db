"""A MockMonitor that records every registration with the options that matter."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, cast

from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.sync_await import _ensure_event_loop

from landfall.plan.inventory import ResourceEntry


@dataclass
class RecordedResource:
    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    remote: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> ResourceEntry:
        return cast(ResourceEntry, {f.name: getattr(self, f.name) for f in fields(self)})


def _asset_path(path: str) -> str:
    """A packaged file's path, independent of where the virtual environment lives."""
    _, marker, tail = path.partition("site-packages/")
    return f"<site-packages>/{tail}" if marker else path


def _plain(value: Any) -> Any:
    """Make deserialized inputs JSON-friendly (resource references become their URN, assets
    and archives a description of what they hold)."""
    from pulumi import Resource, asset

    if isinstance(value, asset.AssetArchive):
        return {"assetArchive": {k: _plain(v) for k, v in sorted(value.assets.items())}}
    if isinstance(value, asset.FileAsset | asset.FileArchive):
        return {type(value).__name__: _asset_path(str(value.path))}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Resource):
        return {"resourceRef": "<resource reference>"}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Any) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        options: dict[str, Any] = {
            "protect": request.protect if request.HasField("protect") else False,
            "retainOnDelete": (
                request.retainOnDelete if request.HasField("retainOnDelete") else False
            ),
            "ignoreChanges": list(request.ignoreChanges),
            "deleteBeforeReplace": request.deleteBeforeReplace,
        }
        if request.importId:
            options["importId"] = request.importId
        # Types this resource was known by (aliases): the engine moves the old URN, and the old
        # URNs of its children, to the new ones instead of replacing them.
        former_types = [a.spec.type for a in request.aliases if a.HasField("spec") and a.spec.type]
        if former_types:
            options["formerTypes"] = former_types
        if request.providers:
            options["providers"] = dict(request.providers)
        self._record(
            request,
            response.urn,
            request.object,
            custom=bool(request.custom),
            remote=bool(request.remote),
            options=options,
        )
        return response

    def ReadResource(self, request: Any) -> Any:
        """Reads (``Resource.get``, StackReference) are recorded too, marked ``read`` with the ID
        looked up, so an inventory shows every StackReference a stack makes."""
        response = super().ReadResource(request)
        self._record(
            request,
            response.urn,
            request.properties,
            custom=True,
            remote=False,
            options={
                "read": request.id,
                "protect": False,
                "retainOnDelete": False,
                "ignoreChanges": [],
                "deleteBeforeReplace": False,
            },
        )
        return response

    def _record(
        self,
        request: Any,
        urn: str,
        properties: Any,
        *,
        custom: bool,
        remote: bool,
        options: dict[str, Any],
    ) -> None:
        """Record a registration or read; ``options`` adds what differs between the two to the
        options both requests carry."""
        _ensure_event_loop()
        self.recorded.append(
            RecordedResource(
                type=request.type,
                name=request.name,
                urn=urn,
                parent=request.parent or None,
                custom=custom,
                remote=remote,
                inputs=_plain(rpc.deserialize_properties(properties)),
                options={
                    **options,
                    "dependsOn": sorted(request.dependencies),
                    "provider": request.provider or None,
                    "additionalSecretOutputs": list(request.additionalSecretOutputs),
                },
            )
        )
