"""What runs inside ``pulumi up`` besides the layer programs and the components: the root
program that picks the layer from the stack name, and the helpers that need the Pulumi SDK
(``outputs``: the stacks' typed exports and StackReferences; ``provider``; ``protection``;
``iam``: IAM policy documents; ``access``: SSO role resolution by invoke; ``eks``: the
creator-admin transform). The pure logic they use is in ``landfall.logic``.

Stacks are named ``<env>-<layer>``; the environment's settings come from ``Pulumi.<env>.yaml``
(passed with ``--config-file``). Config is validated before any resource is declared. The layer
programs (``network/``, ``cluster/``, ``gitops/``) and ``components/`` are not part of the
installed package: they are imported from the project directory, which Pulumi puts on the path
when it runs ``__main__.py`` there (and ``landfall plan`` does the same for the project it finds).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import pulumi

from landfall.config import ConfigError, EnvironmentConfig, load_from_pulumi

P = ParamSpec("P")
R = TypeVar("R")


class StackConfigError(ConfigError, pulumi.RunError):
    """A ConfigError raised inside the Pulumi program: as a ``pulumi.RunError`` the engine prints
    its message without a Python traceback."""


def reported(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` with its ConfigError re-raised as StackConfigError (for code the engine runs later,
    such as an ``apply`` callback, where the root program's handler no longer applies)."""

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except StackConfigError:
            raise
        except ConfigError as exc:
            raise StackConfigError(exc.source, exc.problems) from None

    return call


def layer_program(layer: str) -> Callable[[EnvironmentConfig], None]:
    """``<layer>/program.py``'s ``run`` function, from the project directory."""
    module = importlib.import_module(f"{layer}.program")
    run_layer: Callable[[EnvironmentConfig], None] = module.run
    return run_layer


@reported
def run() -> None:
    """The root program (``__main__.py``): validate the settings, then run the stack's layer."""
    cfg, layer = load_from_pulumi()
    layer_program(layer)(cfg)
