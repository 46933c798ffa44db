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

# CreateDBInstance's MonitoringInterval: the only values RDS accepts (0 turns it off).
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# Performance Insights retention: 7 days (free) or a whole number of 31-day months up to 23, or
# 731 (CreateDBInstance, PerformanceInsightsRetentionPeriod).
PERFORMANCE_INSIGHTS_RETENTION = (7, *(31 * m for m in range(1, 24)), 731)
# Classes RDS for MariaDB offers no Performance Insights on (RDS User Guide, "Amazon RDS DB
# engine, Region, and instance class support for Performance Insights").
NO_PERFORMANCE_INSIGHTS = frozenset(
    {"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"}
)

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
