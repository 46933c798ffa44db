"""Run layer programs under mocks and collect their inventories."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import _sync_await
from pulumi.runtime.stack import run_pulumi_func

from landfall.config import (
    EnvironmentConfig,
    find_project,
    load_environment,
)
from landfall.config.load import read_environment_file
from landfall.plan.harness.mocks import PLACEHOLDER_NOTE, MockContext, PlatformMocks
from landfall.plan.harness.monitor import RecordedResource, RecordingMonitor
from landfall.plan.inventory import Inventory, StackInventory

PROJECT = "landfall"
ORGANIZATION = "organization"  # what DIY state backends call every stack's organization


@dataclass
class StackPlan:
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    seconds: float = 0.0

    def as_json(self) -> StackInventory:
        return {"resources": [r.as_json() for r in self.resources], "outputs": self.outputs}


@dataclass
class EnvironmentPlan:
    environment: str
    # The validated settings the plan was made from (callers need e.g. its policy exemptions).
    config: EnvironmentConfig
    stacks: dict[str, StackPlan] = field(default_factory=dict)

    def as_json(self) -> Inventory:
        return {
            "environment": self.environment,
            "note": PLACEHOLDER_NOTE,
            "stacks": {layer: plan.as_json() for layer, plan in self.stacks.items()},
        }


def use_project(root: Path | None = None) -> Path:
    """The project directory (found from the current directory when not given), put first on
    the import path: the layer programs and components are imported from it, as ``pulumi up``
    imports them from the folder it runs ``__main__.py`` in."""
    project = find_project(root)
    path = str(project)
    if path in sys.path:
        sys.path.remove(path)
    sys.path.insert(0, path)
    return project


def pulumi_config_values(raw: dict[str, Any]) -> dict[str, str]:
    """Encode a config file's values the way the Pulumi engine hands them to programs."""
    return {k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in raw.items()}


async def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    return await output.future(with_unknowns=True)


def run_layer(
    env: str,
    layer: str,
    raw_config: dict[str, Any],
    upstream_outputs: dict[str, dict[str, Any]] | None = None,
    lookups: dict[str, Any] | None = None,
) -> StackPlan:
    """Run ``landfall.program.run`` for stack ``<env>-<layer>`` under mocks.

    ``raw_config`` is the ``config:`` mapping of a Pulumi config file (values as in YAML);
    ``upstream_outputs`` maps a layer name to the outputs its StackReference returns.
    """
    from landfall import program

    region = str(raw_config.get("landfall:region", "eu-west-2"))
    account = str(raw_config.get("landfall:accountId", "111111111111"))
    ctx = MockContext(
        region=region,
        account_id=account,
        upstream_outputs=upstream_outputs or {},
        lookups=lookups or {},
    )
    mocks = PlatformMocks(ctx)
    monitor = RecordingMonitor(mocks)
    stack_name = f"{env}-{layer}"
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks,
        project=PROJECT,
        stack=stack_name,
        preview=False,
        monitor=monitor,
        organization=ORGANIZATION,
    )
    set_all_config(pulumi_config_values(raw_config), [])
    started = time.perf_counter()
    pulumi_settings.SETTINGS.rpc_manager.clear()
    pulumi_settings.SETTINGS.outputs.clear()
    _sync_await(run_pulumi_func(program.run))
    root = pulumi_settings.get_root_resource()
    exported = dict(getattr(root, "outputs", {}))
    resolved = {name: _sync_await(_resolve(value)) for name, value in exported.items()}
    return StackPlan(
        stack=stack_name,
        resources=list(monitor.recorded),
        outputs=_jsonable(resolved),
        seconds=time.perf_counter() - started,
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: "<unknown>"))


def plan_environment(
    env: str,
    root: Path | None = None,
    raw_config: dict[str, Any] | None = None,
    lookups: dict[str, Any] | None = None,
    layers: tuple[str, ...] | None = None,
) -> EnvironmentPlan:
    """Run every layer of ``env`` in deployment order, wiring each to its upstream's outputs.

    The config is validated first (ConfigError before anything is declared). ``raw_config``
    overrides the file's ``config:`` mapping (tests use it for variants of an environment).
    """
    root = use_project(root)
    if raw_config is None:
        raw, cfg = read_environment_file(env, root)
    else:
        raw, cfg = raw_config, load_environment(env, raw_config, source=f"Pulumi.{env}.yaml")
    plan = EnvironmentPlan(environment=env, config=cfg)
    upstream: dict[str, dict[str, Any]] = {}
    with few_collections(), no_source_positions():
        for layer in layers or cfg.layers():
            stack_plan = run_layer(env, layer, raw, upstream, lookups)
            plan.stacks[layer] = stack_plan
            upstream[layer] = stack_plan.outputs
    return plan


@contextlib.contextmanager
def no_source_positions() -> Iterator[None]:
    """Skip the SDK's capture of each resource's Python stack (``traceback.extract_stack`` per
    registration, for the engine's source positions): nothing offline reads it, and it is about
    a tenth of a plan's time once an environment has hundreds of resources (60 services)."""
    from pulumi.runtime import resource as sdk_resource
    from pulumi.runtime.proto import source_pb2

    captured = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = source_pb2.StackTrace  # an empty trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = captured


@contextlib.contextmanager
def few_collections(threshold: int = 50_000) -> Iterator[None]:
    """Run with the cyclic garbage collector mostly out of the way. The mocked engine creates
    tens of thousands of short-lived asyncio objects; with the default threshold (700) the
    collector rescans the ~1M objects of the imported SDKs hundreds of times, about a third of
    a plan's CPU. Freezing what exists (the imports) and raising the threshold keeps that work
    off; both are restored afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
