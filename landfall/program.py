"""The root Pulumi program: picks the layer from the stack name and runs it.

Stacks are named ``<env>-<layer>``; the environment's settings come from ``Pulumi.<env>.yaml``
(passed with ``--config-file``). Config is validated before any resource is declared.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from landfall.config import LAYERS, EnvironmentConfig, load_from_pulumi
from landfall.errors import ConfigError, Problem


def layer_program(layer: str) -> Callable[[EnvironmentConfig], None] | None:
    """``<layer>/program.py``'s ``run`` function, or None while that layer is not written."""
    try:
        module = importlib.import_module(f"{layer}.program")
    except ModuleNotFoundError as exc:
        if exc.name == f"{layer}.program":
            return None
        raise
    run_layer: Callable[[EnvironmentConfig], None] = module.run
    return run_layer


def available_layers() -> tuple[str, ...]:
    return tuple(layer for layer in LAYERS if layer_program(layer) is not None)


def run() -> None:
    cfg, layer = load_from_pulumi()
    program = layer_program(layer)
    if program is None:
        raise ConfigError(
            f"stack {cfg.environment}-{layer}",
            [Problem("stack name", f"the {layer} layer is not implemented", "use another stack")],
        )
    program(cfg)
