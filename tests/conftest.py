"""Shared fixtures: offline plans are computed once per session and environment.

The harness runs inside the fixture (at test time), never at import: import-time construction
of Pulumi resources under mocks is flaky.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import gc
import os
import pickle
import sys
from collections.abc import Callable
from typing import Any

import botocore.client
import botocore.loaders
import botocore.session
import moto.kms.utils as moto_kms_utils
import pytest

from landfall.plan.harness import EnvironmentPlan, plan_environment

# moto resets boto3's default session for every mocked test, and each new botocore session
# parses the service models again (seconds per test). One loader serves all sessions instead.
botocore.session.create_loader = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
# Each boto3 session builds its client classes anew (hundreds of methods for EC2; ~20 ms per
# client). The tests' sessions are all alike (botocore's and boto3's built-in handlers only), so
# one class per service and API version serves them all.
_client_classes: dict[tuple[str, str], type] = {}
_create_client_class = botocore.client.ClientCreator._create_client_class


def _cached_client_class(creator: Any, service_name: str, service_model: Any) -> type:
    key = (service_name, service_model.api_version)
    if key not in _client_classes:
        _client_classes[key] = _create_client_class(creator, service_name, service_model)
    return _client_classes[key]


botocore.client.ClientCreator._create_client_class = _cached_client_class  # type: ignore[method-assign]

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


# --- a quick exit ---------------------------------------------------------------------------------
# Finalising the interpreter frees millions of objects one by one (the Pulumi SDKs, moto's
# models): 3-4 s per process, paid by each xdist worker and the controller after every test has
# reported. Once pytest is done, exit with its status and skip that teardown: the last atexit
# handler (registered first, so it runs after all others) flushes the streams and leaves.
_exit_status: list[int] = []


def _leave_without_finalising() -> None:
    if _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])


atexit.register(_leave_without_finalising)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))
    # pytest's unraisable-exception check then runs full collections over the whole heap
    # (~0.5 s each); everything alive now is kept to the end anyway, so take it out of them.
    gc.freeze()
