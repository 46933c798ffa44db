"""The MariaDB parameters landfall sets, and how RDS must apply each.

RDS refuses ``applyMethod: immediate`` for a static parameter (InvalidParameterCombination), so
a parameter group that sets one with the provider's default (immediate) never gets created, and
neither does the database. Each parameter's kind comes from the MariaDB server-system-variable
reference ("Dynamic: Yes/No", mariadb.com/kb/en/server-system-variables and
ssl-server-system-variables) and matches the ``ApplyType`` that
``aws rds describe-engine-default-parameters --db-parameter-group-family mariadb11.4`` reports
(``dynamic`` / ``static``). A parameter missing from the table is refused: look it up first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

ApplyMethod = Literal["immediate", "pending-reboot"]

# parameter -> True if dynamic (applied immediately), False if static (applied at the next reboot)
MARIADB_DYNAMIC: dict[str, bool] = {
    "require_secure_transport": True,  # Dynamic: Yes
    "tls_version": False,  # Dynamic: No (read at startup)
    "slow_query_log": True,  # Dynamic: Yes
    "log_output": True,  # Dynamic: Yes
}

# What the platform sets: TLS only (1.2+), slow queries logged to files RDS exports.
MARIADB_SETTINGS: dict[str, str] = {
    "require_secure_transport": "ON",
    "tls_version": "TLSv1.2,TLSv1.3",
    "slow_query_log": "1",
    "log_output": "FILE",
}


def apply_method(parameter: str) -> ApplyMethod:
    """``immediate`` for a dynamic parameter, ``pending-reboot`` for a static one."""
    if parameter not in MARIADB_DYNAMIC:
        raise ValueError(
            f"MariaDB parameter {parameter!r} is not in landfall.logic.rds.MARIADB_DYNAMIC; "
            "add it with whether it is dynamic (MariaDB's reference, RDS's ApplyType) first"
        )
    return "immediate" if MARIADB_DYNAMIC[parameter] else "pending-reboot"


def parameter_settings(values: Mapping[str, str]) -> list[tuple[str, str, ApplyMethod]]:
    """(name, value, apply method) for each parameter, in the given order."""
    return [(name, value, apply_method(name)) for name, value in values.items()]
