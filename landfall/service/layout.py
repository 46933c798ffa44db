"""Where a service's fleet manifests live (the payments pattern), shared by scaffold and check."""

from __future__ import annotations

from pathlib import Path

FLEET = "fleet"


def base_dir(root: Path, name: str) -> Path:
    return root / FLEET / "apps" / "base" / name


def cloud_dir(root: Path, name: str) -> Path:
    return root / FLEET / "apps" / "cloud" / name


def local_dir(root: Path, name: str) -> Path:
    return root / FLEET / "apps" / "local" / name


def chart_dir(root: Path, name: str) -> Path:
    """The chart the local cluster runs from Git (fleet/charts/<name>)."""
    return root / FLEET / "charts" / name


def overlay_file(root: Path, env: str, name: str) -> Path:
    """The per-environment values of ``name`` in a cloud environment (apps/<env>/<name>.yaml)."""
    return root / FLEET / "apps" / env / f"{name}.yaml"


def kustomization(folder: Path) -> Path:
    return folder / "kustomization.yaml"
