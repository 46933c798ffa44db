"""Shared fixtures: offline plans are computed once per session and environment.

The harness runs inside the fixture (at test time), never at import: import-time construction
of Pulumi resources under mocks is flaky.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import botocore.loaders
import botocore.session
import pytest

from landfall.plan.harness import EnvironmentPlan, plan_environment

# moto resets boto3's default session for every mocked test, and each new botocore session
# parses the service models again (seconds per test). One loader serves all sessions instead.
botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
# moto's EC2 backend would otherwise load every public AMI of every region it touches.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session")
def env_plan() -> Callable[[str], EnvironmentPlan]:
    """``env_plan("test")``: the offline plan of a committed environment, cached per session."""
    cache: dict[str, EnvironmentPlan] = {}

    def get(env: str) -> EnvironmentPlan:
        if env not in cache:
            cache[env] = plan_environment(env)
        return cache[env]

    return get
