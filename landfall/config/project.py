"""Finding the project: the folder with ``Pulumi.yaml``, searched from the current directory
upward, the way the Pulumi CLI finds its project. Every path the tools read or write (the
settings files, ``golden/``, ``fleet/``, the layer programs) is relative to it, never to where
the ``landfall`` package is installed.
"""

from __future__ import annotations

from pathlib import Path

from landfall.config.errors import ConfigError, Problem

PROJECT_FILE = "Pulumi.yaml"


def find_project(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current directory) holding
    ``Pulumi.yaml``; ConfigError when there is none."""
    begin = (start or Path.cwd()).resolve()
    for folder in (begin, *begin.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ConfigError(
        "the project",
        [
            Problem(
                PROJECT_FILE,
                f"there is none in {begin} or any folder above it",
                "run landfall inside the project (the folder holding Pulumi.yaml) or pass "
                "--cwd DIR",
            )
        ],
    )
