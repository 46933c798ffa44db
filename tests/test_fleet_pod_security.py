"""Pod Security Admission over the built fleet: every namespace says its level, and every pod
template the fleet itself declares in a `restricted` namespace meets the restricted profile
(Kubernetes docs, "Pod Security Standards", the restricted controls). Pods that charts render
(HelmReleases) are not built here; their namespaces' labels make the API server check them."""

from __future__ import annotations

from typing import Any

import pytest
from fleet_support import ENVIRONMENTS, cluster_objects

pytestmark = pytest.mark.xdist_group("fleet")

LEVEL = "pod-security.kubernetes.io/enforce"
REASON = "landfall.io/pod-security-reason"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod"}
# The restricted profile's allowed volume types.
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "Pod":
        return obj["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def restricted_violations(spec: dict[str, Any]) -> list[str]:
    """The restricted profile's controls, as the API server applies them to one pod spec."""
    found = []
    pod = spec.get("securityContext", {})
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            found.append(f"{key} is set")
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"volume {volume['name']} is {sorted(kinds)}")
    for c in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        ctx, name = c.get("securityContext", {}), c["name"]
        if ctx.get("privileged"):
            found.append(f"{name}: privileged")
        if ctx.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation is not false")
        caps = ctx.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            found.append(f"{name}: capabilities do not drop ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities {caps['add']}")
        if not ctx.get("runAsNonRoot", pod.get("runAsNonRoot")):
            found.append(f"{name}: runAsNonRoot is not true")
        if ctx.get("runAsUser", pod.get("runAsUser")) == 0:
            found.append(f"{name}: runs as UID 0")
        seccomp = ctx.get("seccompProfile", pod.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile is {seccomp}")
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_namespace_declares_its_pod_security_level(env: str) -> None:
    namespaces = [o for o in cluster_objects(env) if o["kind"] == "Namespace"]
    assert namespaces, env
    for ns in namespaces:
        meta = ns["metadata"]
        level = meta.get("labels", {}).get(LEVEL)
        assert level in ("restricted", "baseline", "privileged"), meta["name"]
        if level != "restricted":
            # A weaker level is an exception, and says why.
            assert meta.get("annotations", {}).get(REASON), meta["name"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_fleets_own_pods_meet_the_restricted_profile(env: str) -> None:
    objects = cluster_objects(env)
    restricted = {
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "Namespace" and o["metadata"].get("labels", {}).get(LEVEL) == "restricted"
    }
    checked = 0
    for obj in objects:
        if (
            obj["kind"] in WORKLOADS | {"CronJob"}
            and obj["metadata"].get("namespace") in restricted
        ):
            spec = pod_spec(obj)
            assert restricted_violations(spec) == [], obj["metadata"]["name"]
            assert spec.get("automountServiceAccountToken") is False, obj["metadata"]["name"]
            for c in spec["containers"]:
                limits = c.get("resources", {}).get("limits", {})
                assert {"cpu", "memory"} <= set(limits), (obj["metadata"]["name"], c["name"])
            checked += 1
    assert checked, f"no workload of the fleet itself in a restricted namespace in {env}"


def test_the_check_catches_what_the_restricted_profile_refuses() -> None:
    good = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }
    assert restricted_violations(good) == []
    bad = {**good, "hostNetwork": True, "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
    bad["containers"] = [{"name": "app", "securityContext": {"privileged": True}}]
    found = restricted_violations(bad)
    assert "hostNetwork is set" in found
    assert "volume h is ['hostPath']" in found
    assert "app: privileged" in found and "app: capabilities do not drop ALL" in found
