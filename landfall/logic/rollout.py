"""Rollout timing of readiness-gated services (issue 13): numbers the network stack, the
environment ConfigMap and the fleet must agree on, and the property the tests check.

A pod behind an AWS load balancer counts as ready only once its target is healthy (readiness
gates). A new NLB target takes 3-5 minutes to register (aws-load-balancer-controller issues
#1834 and #1786), ALB targets far less; a rolling update waits for that in each wave. On the way
out the target drains for the deregistration delay while the pod must still serve.
"""

from __future__ import annotations

import math

# Set explicitly on every target group (network stack ALB, and through the controller's
# annotations on the NLB and internal ALB ones); the ConfigMap hands it to the fleet as
# TARGET_DEREGISTRATION_DELAY_SECONDS.
DEREGISTRATION_DELAY_SECONDS = 30
# The slowest registration a wave may wait for (NLB, upper end of the reports above).
TARGET_REGISTRATION_SECONDS = 300
# Image pull and start-up of one wave's pods, before registration starts.
POD_START_SECONDS = 60
# Extra time the pod keeps serving after its preStop hook, for in-flight requests.
SHUTDOWN_SECONDS = 30


def rollout_waves(replicas: int, max_surge_percent: int) -> int:
    """Waves of a RollingUpdate with maxUnavailable 0: Kubernetes rounds a percentage surge up."""
    surge = max(1, math.ceil(replicas * max_surge_percent / 100))
    return math.ceil(replicas / surge)


def rollout_seconds(replicas: int, max_surge_percent: int) -> int:
    """The longest a readiness-gated rollout of ``replicas`` pods may take."""
    waves = rollout_waves(replicas, max_surge_percent)
    return waves * (POD_START_SECONDS + TARGET_REGISTRATION_SECONDS)
