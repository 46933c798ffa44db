"""Every value the fleet's HelmReleases and the gitops stack's Flux release set exists in that
chart at its pinned version (Helm ignores a misspelt key silently), and every platform
controller runs above the applications' priority classes (issue 13)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from project import PROJECT_ROOT

from landfall.logic.flux import PLATFORM_PRIORITY_CLASS, chart_values
from landfall.logic.versions import FLUX_RELEASES

CHARTS = PROJECT_ROOT / "schemas" / "charts"
CONTROLLERS = PROJECT_ROOT / "fleet" / "infrastructure" / "controllers"
PLATFORM_CLASSES = {PLATFORM_PRIORITY_CLASS, "system-node-critical"}
# Where each chart takes the priority class of each pod it runs (its values.yaml).
PRIORITY_KEYS: dict[str, list[tuple[str, ...]]] = {
    "aws-load-balancer-controller": [("priorityClassName",)],
    "external-dns": [("priorityClassName",)],
    "cert-manager": [("global", "priorityClassName")],
    "bottlerocket-update-operator": [
        ("placement", "agent", "priorityClassName"),
        ("placement", "controller", "priorityClassName"),
        ("placement", "apiserver", "priorityClassName"),
    ],
    "bottlerocket-shadow": [],  # CRD only, no pod
    "cluster-autoscaler": [("priorityClassName",)],
    "metrics-server": [("priorityClassName",)],
    "flux2": [
        (controller, "priorityClassName")
        for controller in (
            "sourceController",
            "kustomizeController",
            "helmController",
            "notificationController",
        )
    ],
}


# Values a chart's templates render whole (toYaml, or one flag per key), so any content is
# valid even where its defaults list some keys: the autoscaler's flags (its deployment.yaml
# turns each extraArgs key into --key=value) and container resources (rendered with toYaml).
OPEN_VALUES: dict[str, set[str]] = {
    "cluster-autoscaler": {"extraArgs"},
    "metrics-server": {"resources"},
}


def defaults(chart: str) -> dict[str, Any]:
    values = yaml.safe_load((CHARTS / chart / "values.yaml").read_text())
    assert isinstance(values, dict) and values, chart
    return values


def schema(chart: str) -> dict[str, Any] | None:
    path = CHARTS / chart / "values.schema.json"
    return json.loads(path.read_text()) if path.exists() else None


def resolve(node: Any, root: Mapping[str, Any]) -> Any:
    """Follow local ``$ref`` pointers (``#/$defs/...``) of a chart's schema."""
    while isinstance(node, Mapping) and str(node.get("$ref", "")).startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def unknown_keys(
    values: Mapping[str, Any],
    chart_defaults: Any,
    chart_schema: Any,
    root: Mapping[str, Any] | None,
    path: str = "",
) -> Iterator[str]:
    """Keys of ``values`` neither the chart's defaults nor its schema (when it has one) declare.
    A default that is an empty map, null or a list, with no schema properties, takes any content
    (annotations, tags, budgets, argument lists)."""
    node = resolve(chart_schema, root) if root is not None else None
    declared = dict(node.get("properties") or {}) if isinstance(node, Mapping) else {}
    known = dict(chart_defaults) if isinstance(chart_defaults, Mapping) else {}
    if not known and not declared:
        return
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in known and key not in declared:
            yield where
        elif isinstance(value, Mapping):
            yield from unknown_keys(value, known.get(key), declared.get(key), root, where)


def merged(base: Any, overlay: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(overlay, Mapping):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = merged(base.get(key), value) if key in base else value
        return out
    return copy.deepcopy(overlay)


def value_problems(chart: str, values: Mapping[str, Any]) -> list[str]:
    """Keys the chart does not have, then what its schema (if it ships one) refuses."""
    chart_schema = schema(chart)
    chart_defaults = defaults(chart)
    for key in OPEN_VALUES.get(chart, set()):
        chart_defaults[key] = {}
    problems = [
        f"{key}: not a value of chart {chart}"
        for key in unknown_keys(values, chart_defaults, chart_schema, chart_schema)
    ]
    if chart_schema is not None:
        validator = jsonschema.validators.validator_for(chart_schema)(chart_schema)
        problems += [
            f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(merged(defaults(chart), values))
        ]
    return problems


def fleet_releases() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(CONTROLLERS.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "HelmRelease":
                found.append((path, doc))
    assert len(found) == 7, [str(p) for p, _ in found]
    return found


def vendored_version(chart: str) -> str:
    for line in (CHARTS / "README.md").read_text().splitlines():
        if line.startswith(f"| [{chart}/]"):
            return line.split("|")[2].strip().split("`")[1].lstrip("v")
    raise AssertionError(f"schemas/charts/README.md lists no version for {chart}")


def in_range(version: str, spec: str) -> bool:
    """Flux/Helm ``1.4.x`` ranges as the fleet writes them."""
    want = spec.split(".")
    have = version.split(".")
    return all(w in ("x", "*") or w == h for w, h in zip(want, have, strict=True))


RELEASES = fleet_releases()


@pytest.mark.parametrize(
    "path,release", RELEASES, ids=[p.parent.name + "/" + p.name for p, _ in RELEASES]
)
def test_fleet_release_values_exist_in_the_pinned_chart(path: Path, release: dict) -> None:
    chart = release["spec"]["chart"]["spec"]["chart"]
    assert (CHARTS / chart).is_dir(), f"{chart}: no vendored values in schemas/charts/"
    assert in_range(vendored_version(chart), release["spec"]["chart"]["spec"]["version"])
    assert value_problems(chart, release["spec"].get("values") or {}) == []


def test_the_flux_release_values_exist_in_the_pinned_chart() -> None:
    for release in FLUX_RELEASES.values():
        assert vendored_version("flux2") == release.chart_version
        values = chart_values(release, "arn:aws:iam::111111111111:role/flux-source")
        assert value_problems("flux2", values) == []
        assert values["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}
        assert any(
            "StrictPostBuildSubstitutions=true" in arg
            for arg in values["kustomizeController"]["container"]["additionalArgs"]
        )


@pytest.mark.parametrize(
    "chart,values,key",
    [
        ("bottlerocket-update-operator", {"logging_formatter": "json"}, "logging_formatter"),
        (
            "aws-load-balancer-controller",
            {"serviceAccount": {"annotation": {}}},
            "serviceAccount.annotation",
        ),
        (
            "flux2",
            {"kustomizeController": {"priorityClass": "x"}},
            "kustomizeController.priorityClass",
        ),
        ("external-dns", {"txtOwner": "x"}, "txtOwner"),
        ("cert-manager", {"global": {"priorityClass": "x"}}, "global.priorityClass"),
        ("cluster-autoscaler", {"autoDiscover": {"clusterName": "x"}}, "autoDiscover"),
        ("cluster-autoscaler", {"rbac": {"serviceAccounts": {}}}, "rbac.serviceAccounts"),
        ("metrics-server", {"replicaCount": 2}, "replicaCount"),
    ],
)
def test_a_misspelt_key_is_reported(chart: str, values: dict, key: str) -> None:
    problems = value_problems(chart, values)
    assert problems and key in problems[0], problems


def test_every_platform_pod_runs_above_the_applications() -> None:
    def at(values: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
        for key in keys:
            values = values.get(key) or {}
        return values

    for _, release in RELEASES:
        chart = release["spec"]["chart"]["spec"]["chart"]
        for keys in PRIORITY_KEYS[chart]:
            assert at(release["spec"]["values"], keys) in PLATFORM_CLASSES, (chart, keys)
    flux = chart_values(next(iter(FLUX_RELEASES.values())), None)
    for keys in PRIORITY_KEYS["flux2"]:
        assert at(flux, keys) in PLATFORM_CLASSES, keys
    # The applications' highest class stays below the built-in critical ones (2000000000).
    classes = yaml.safe_load_all(
        (
            PROJECT_ROOT / "fleet/infrastructure/configs/priority-classes/priority-classes.yaml"
        ).read_text()
    )
    assert max(c["value"] for c in classes if c) < 2_000_000_000
