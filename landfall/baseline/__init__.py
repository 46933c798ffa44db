"""The platform's security baseline as plain functions over (resource type, props).

``policies`` holds the rules (standard library only, so the CrossGuard pack can import it with
nothing else installed); ``evaluate`` evaluates them over the offline plan of ``landfall plan``;
``pack`` adapts them to ``pulumi_policy`` for ``pulumi preview --policy-pack policypack``.
"""

from landfall.baseline.policies import POLICIES, Policy, policy_named

__all__ = ["POLICIES", "Policy", "policy_named"]
