"""Offline plan harness: runs a layer program under Pulumi mocks and records what it declares.

``plan_environment(env)`` runs every layer of an environment in deployment order; each layer's
StackReferences return the outputs its upstream layer's own run exported, so a renamed or missing
output fails here instead of in a deploy. Provider-computed values (IDs, ARNs, endpoints) are
placeholders made up by ``mocks.py``.
"""

from landfall.plan.harness.runner import EnvironmentPlan, StackPlan, plan_environment, run_layer

__all__ = ["EnvironmentPlan", "StackPlan", "plan_environment", "run_layer"]
