"""``landfall service check``: the catalogue, the settings and the fleet agree. Every problem
is one line naming the file and what to do; an empty list means they agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from landfall.config import CLOUD_ENVIRONMENTS, ENVIRONMENTS, ConfigError, config_file
from landfall.config.catalogue import SERVICES_KEY, Catalogue, CatalogueEntry, catalogue_path
from landfall.config.load import load_catalogue, load_environment_file, read_config_file
from landfall.service.layout import (
    FLEET,
    base_dir,
    chart_dir,
    cloud_dir,
    kustomization,
    local_dir,
    overlay_file,
)
from landfall.service.scaffold import autoscaling_values


def _list(path: Path, section: str) -> list[Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return list((document or {}).get(section) or [])


def _release(path: Path) -> dict[str, Any]:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document and document.get("kind") == "HelmRelease":
            return dict(document)
    return {}


def _sizing_problems(root: Path, entry: CatalogueEntry, env: str) -> list[str]:
    path = overlay_file(root, env, entry.name)
    where = path.relative_to(root)
    values = _release(path).get("spec", {}).get("values") or {}
    sizing = entry.environments[env]  # type: ignore[index]
    problems = []
    if sizing.replicas is not None and values.get("replicaCount") != sizing.replicas:
        problems.append(
            f"{where}: replicaCount is {values.get('replicaCount')!r}, the catalogue says "
            f"{sizing.replicas} (services.yaml {entry.name}.environments.{env}.replicas)"
        )
    if sizing.max_replicas is not None:
        wanted = autoscaling_values(sizing)
        scaling = {k: (values.get("autoscaling") or {}).get(k) for k in wanted}
        if scaling != wanted:
            problems.append(
                f"{where}: autoscaling is {scaling}, the catalogue says {wanted} (services.yaml "
                f"{entry.name}.environments.{env}.replicas and maxReplicas)"
            )
    if sizing.memory is not None:
        resources = values.get("resources") or {}
        for kind in ("requests", "limits"):
            found = (resources.get(kind) or {}).get("memory")
            if found != sizing.memory:
                problems.append(
                    f"{where}: resources.{kind}.memory is {found!r}, the catalogue says "
                    f"{sizing.memory} (services.yaml {entry.name}.environments.{env}.memory)"
                )
    return problems


def _service_problems(root: Path, entry: CatalogueEntry) -> list[str]:
    name = entry.name
    problems = []
    fix = f"run `landfall service new {name}` on a branch without it, or restore the file"
    if not kustomization(base_dir(root, name)).exists():
        problems.append(f"{base_dir(root, name).relative_to(root)}/: missing; {fix}")
    clouds = [env for env in CLOUD_ENVIRONMENTS if env in entry.environments]
    if clouds:
        folder = cloud_dir(root, name)
        if not kustomization(folder).exists():
            problems.append(f"{folder.relative_to(root)}/: missing; {fix}")
        else:
            present = set(_list(kustomization(folder), "resources"))
            asked = {
                "target-group-binding.yaml": (entry.public, "public"),
                "service-nlb.yaml": (entry.nlb, "an NLB service"),
            }
            where = f"{folder.relative_to(root)}/kustomization.yaml"
            for file, (wanted, what) in asked.items():
                if wanted and file not in present:
                    problems.append(
                        f"{where}: lists no {file}, but the catalogue makes {name} {what}"
                    )
                if not wanted and file in present:
                    problems.append(f"{where}: lists {file}, which the catalogue does not ask for")
        if name not in _list(kustomization(folder.parent), "resources"):
            problems.append(f"{FLEET}/apps/cloud/kustomization.yaml: does not list {name}")
    for env in CLOUD_ENVIRONMENTS:
        path = overlay_file(root, env, name)
        listed = {p.get("path") for p in _list(kustomization(path.parent), "patches")}
        if env in entry.environments:
            if not path.exists():
                problems.append(f"{path.relative_to(root)}: missing; {fix}")
                continue
            if path.name not in listed:
                problems.append(f"{FLEET}/apps/{env}/kustomization.yaml: lists no {path.name}")
            problems += _sizing_problems(root, entry, env)
        elif path.exists() or path.name in listed:
            problems.append(
                f"{path.relative_to(root)}: {name} does not run in {env} per the catalogue; "
                "remove the file and its line, or add the environment to services.yaml"
            )
    local = local_dir(root, name)
    listed_locally = name in _list(kustomization(local.parent), "resources")
    if "local" in entry.environments:
        if not kustomization(local).exists():
            problems.append(f"{local.relative_to(root)}/: missing; {fix}")
        if not (chart_dir(root, name) / "Chart.yaml").exists():
            problems.append(f"{FLEET}/charts/{name}/: missing (local runs the chart from Git)")
        if not listed_locally:
            problems.append(f"{FLEET}/apps/local/kustomization.yaml: does not list {name}")
    elif listed_locally or local.exists():
        problems.append(
            f"{local.relative_to(root)}: {name} does not run locally per the catalogue; "
            "remove it and its line, or add `local` to its environments"
        )
    return problems


def _orphans(root: Path, catalogue: Catalogue) -> list[str]:
    """Fleet manifests of services the catalogue does not have."""
    known = {s.name for s in catalogue.services}
    problems = []
    for folder in ("base", "cloud", "local"):
        parent = root / FLEET / "apps" / folder
        for child in sorted(p for p in parent.iterdir() if p.is_dir()):
            if child.name not in known:
                problems.append(
                    f"{child.relative_to(root)}/: no service {child.name} in services.yaml; "
                    "delete the folder or add the service to the catalogue"
                )
    for env in CLOUD_ENVIRONMENTS:
        for path in sorted((root / FLEET / "apps" / env).glob("*.yaml")):
            if path.name != "kustomization.yaml" and path.stem not in known:
                problems.append(
                    f"{path.relative_to(root)}: no service {path.stem} in services.yaml"
                )
    return problems


def check_services(root: Path) -> list[str]:
    try:
        catalogue = load_catalogue(catalogue_path(root))
    except ConfigError as exc:
        return [f"{exc.source}: {p.key}: {p.problem}" for p in exc.problems]
    problems: list[str] = []
    for env in ENVIRONMENTS:
        path = config_file(env, root)
        if not path.exists():
            continue
        if SERVICES_KEY in read_config_file(path):
            problems.append(f"{path.name}: lists {SERVICES_KEY}; services live in services.yaml")
            continue
        try:
            load_environment_file(env, root)
        except ConfigError as exc:
            problems += [f"{path.name}: {p.key}: {p.problem}" for p in exc.problems]
    for entry in catalogue.services:
        problems += _service_problems(root, entry)
    return problems + _orphans(root, catalogue)
