"""Pulumi CrossGuard entry point: the landfall security baseline (landfall/baseline/policies.py).

Run with ``pulumi preview --stack <env>-<layer> --config-file Pulumi.<env>.yaml --policy-pack
policypack``. Every policy is mandatory: any violation fails the preview or update.
"""

import sys
from pathlib import Path

# The repository root, so the pack finds ``landfall`` even from a virtualenv without it.
ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from landfall.baseline.pack import PACK_NAME, build_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Landfall security baseline: CIS Amazon EKS Benchmark, AWS Foundational "
    "Security Best Practices and EKS Best Practices Guide rules for the platform.",
)
