"""RDS applies a static parameter only at a reboot and refuses `immediate` for it
(InvalidParameterCombination): every parameter landfall sets must carry the apply method its
kind needs, or the parameter group, and then the database, is never created."""

from __future__ import annotations

import pytest
from stack_queries import one

from landfall.logic.rds import MARIADB_DYNAMIC, MARIADB_SETTINGS, apply_method

PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"


@pytest.mark.parametrize("env", ["test", "prod"])
def test_each_parameter_is_applied_as_its_kind_requires(env, env_plan) -> None:
    group = one(env_plan(env).stacks["network"], PARAMETER_GROUP)
    declared = {p["name"]: p for p in group.inputs["parameters"]}
    assert set(declared) == set(MARIADB_SETTINGS)
    for name, parameter in declared.items():
        expected = "immediate" if MARIADB_DYNAMIC[name] else "pending-reboot"
        assert parameter["applyMethod"] == expected, name
    # The one that broke a first deployment: MariaDB reads tls_version at startup only.
    assert declared["tls_version"]["applyMethod"] == "pending-reboot"


def test_every_parameter_set_has_a_known_kind() -> None:
    assert set(MARIADB_SETTINGS) <= set(MARIADB_DYNAMIC)


def test_a_parameter_of_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="innodb_buffer_pool_size"):
        apply_method("innodb_buffer_pool_size")
