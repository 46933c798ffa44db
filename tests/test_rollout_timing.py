"""Rollouts of readiness-gated services finish without dropping requests, per environment
(issue 13): the HelmRelease timeout covers target registration over every rollout wave, the
Kustomization waits longer than its releases, and the pods outlast the target groups' drain."""

from __future__ import annotations

import re

import pytest
from fleet_support import (
    CLOUD_ENVIRONMENTS,
    FLEET,
    cluster_kustomizations,
    cluster_objects,
    placeholder_environment,
)
from stack_queries import of_type

from landfall.logic.rollout import (
    DEREGISTRATION_DELAY_SECONDS,
    SHUTDOWN_SECONDS,
    rollout_seconds,
    rollout_waves,
)

pytestmark = pytest.mark.xdist_group("fleet-build")
READINESS_GATES = "elbv2.k8s.aws/pod-readiness-gate-inject"
DELAY_ATTRIBUTE = re.compile(r"deregistration_delay\.timeout_seconds=(\d+)")


def seconds(duration: str) -> int:
    """A Flux duration such as ``20m`` or ``1h30m``."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


def chart_max_surge_percent() -> int:
    template = (FLEET / "charts/payments/templates/deployment.yaml").read_text()
    assert re.search(r"maxUnavailable: 0\b", template)
    match = re.search(r"maxSurge: (\d+)%", template)
    assert match
    return int(match.group(1))


def chart_grace_extra() -> int:
    """terminationGracePeriodSeconds = preStop sleep + this (the chart's template)."""
    template = (FLEET / "charts/payments/templates/deployment.yaml").read_text()
    match = re.search(
        r"terminationGracePeriodSeconds: \{\{ add \.Values\.preStopSleepSeconds (\d+) \}\}",
        template,
    )
    assert match
    return int(match.group(1))


def test_waves_follow_kubernetes_rounding() -> None:
    assert rollout_waves(3, 25) == 3  # 25% of 3 rounds up to 1 pod per wave
    assert rollout_waves(8, 25) == 4
    assert rollout_waves(1, 100) == 1


@pytest.mark.parametrize("env", CLOUD_ENVIRONMENTS)
def test_gated_releases_have_time_for_every_wave_and_drain(env: str, env_plan) -> None:
    objects = cluster_objects(env)
    configmap = placeholder_environment(env)
    delay = int(configmap["TARGET_DEREGISTRATION_DELAY_SECONDS"])
    assert delay == DEREGISTRATION_DELAY_SECONDS
    # The network stack's target groups drain for the same time.
    groups = of_type(env_plan(env).stacks["network"], "aws:lb/targetGroup:TargetGroup")
    assert groups and {g.inputs["deregistrationDelay"] for g in groups} == {delay}
    gated = {
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "Namespace"
        and (o["metadata"].get("labels") or {}).get(READINESS_GATES) == "enabled"
    }
    assert gated, "no readiness-gated namespace: the check would prove nothing"
    apps = next(k for k in cluster_kustomizations(env) if k.path == f"apps/{env}")
    releases = [
        o for o in objects if o["kind"] == "HelmRelease" and o["metadata"]["namespace"] in gated
    ]
    assert releases
    for release in releases:
        values = release["spec"]["values"]
        needed = rollout_seconds(values["replicaCount"], chart_max_surge_percent())
        timeout = seconds(release["spec"]["timeout"])
        assert timeout >= needed, (env, release["metadata"]["name"], timeout, needed)
        assert seconds(apps.obj["spec"]["timeout"]) > timeout
        pre_stop = values["preStopSleepSeconds"]
        assert pre_stop > delay, "a pod would stop before its targets finished draining"
        assert pre_stop + chart_grace_extra() >= delay + SHUTDOWN_SECONDS
    # Controller-made target groups (NLB Service, internal ALB Ingress) drain for the same time.
    for obj in objects:
        if obj["kind"] in {"Service", "Ingress"} and obj["metadata"]["namespace"] in gated:
            annotations = obj["metadata"].get("annotations") or {}
            if any(
                k.startswith(("service.beta.kubernetes.io/aws-load-balancer-type", "alb.ingress"))
                for k in annotations
            ):
                attributes = " ".join(annotations.values())
                match = DELAY_ATTRIBUTE.search(attributes)
                assert match and int(match.group(1)) == delay, obj["metadata"]["name"]
