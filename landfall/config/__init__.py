"""The environment configuration: the model (``model``), its cross-field rules (``rules``),
reading it (``load``), finding the project (``project``), the one error type (``errors``) and the
generated reference (``reference``). Import from here; the submodules are the implementation.
"""

from landfall.config.errors import ConfigError, Problem
from landfall.config.load import (
    config_file,
    load_environment,
    load_environment_file,
    load_from_pulumi,
    read_config_file,
)
from landfall.config.model import (
    ACCOUNT_LAYER,
    CLOUD_ENVIRONMENTS,
    ENVIRONMENTS,
    LAYERS,
    NAMESPACE,
    ClusterConfig,
    DatabaseConfig,
    EnvironmentConfig,
    GitopsConfig,
    NodeGroupConfig,
    SsoMapping,
)
from landfall.config.project import find_project
from landfall.config.rules import problems_for

__all__ = [
    "ACCOUNT_LAYER",
    "CLOUD_ENVIRONMENTS",
    "ENVIRONMENTS",
    "LAYERS",
    "NAMESPACE",
    "ClusterConfig",
    "ConfigError",
    "DatabaseConfig",
    "EnvironmentConfig",
    "GitopsConfig",
    "NodeGroupConfig",
    "Problem",
    "SsoMapping",
    "config_file",
    "find_project",
    "load_environment",
    "load_environment_file",
    "load_from_pulumi",
    "problems_for",
    "read_config_file",
]
