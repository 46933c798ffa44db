"""Shared fixtures: offline plans are computed once per session and environment.

The harness runs inside the fixture (at test time), never at import: import-time construction
of Pulumi resources under mocks is flaky.
"""

from __future__ import annotations

import fcntl
import functools
import os
import pickle
from collections.abc import Callable

import botocore.loaders
import botocore.session
import moto.kms.utils as moto_kms_utils
import pytest

from landfall.plan.harness import EnvironmentPlan, plan_environment

# moto resets boto3's default session for every mocked test, and each new botocore session
# parses the service models again (seconds per test). One loader serves all sessions instead.
botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
# moto makes a new 2048-bit RSA key for every KMS key it creates (~60 ms each, dozens per
# moto test); no test uses the key material, so one key per size serves them all.
moto_kms_utils.rsa.generate_private_key = functools.lru_cache(maxsize=None)(  # type: ignore[assignment]
    moto_kms_utils.rsa.generate_private_key
)
# moto's EC2 backend would otherwise load every public AMI of every region it touches.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session")
def env_plan(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], EnvironmentPlan]:
    """``env_plan("test")``: the offline plan of a committed environment, made once per test
    run. Under pytest-xdist the workers share it: the first to need a plan makes it and pickles
    it into the run's temporary folder (common to all workers) under a file lock; the others
    load it."""
    cache: dict[str, EnvironmentPlan] = {}
    # Under xdist each worker's base folder sits in the run's folder; alone, the base folder is
    # the run's (its parent is shared by every run, so never use it then).
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def get(env: str) -> EnvironmentPlan:
        if env not in cache:
            stored = shared / f"plan-{env}.pickle"
            with (shared / f"plan-{env}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if stored.exists():
                    cache[env] = pickle.loads(stored.read_bytes())
                else:
                    cache[env] = plan_environment(env)
                    stored.write_bytes(pickle.dumps(cache[env]))
        return cache[env]

    return get
