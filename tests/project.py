"""The repository under test: the folder above tests/ (it holds Pulumi.yaml)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
