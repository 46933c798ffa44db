"""The generated configuration reference: every setting described, the doc current, and the
renderer really reading the model (types, constraints) and the settings files' keys covered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from project import PROJECT_ROOT
from pydantic import BaseModel, Field

import landfall.config.rules as rules
from landfall.config.model import NAMESPACE, EnvironmentConfig, NetworkConfig
from landfall.config.reference import (
    DOC_PATH,
    REGENERATE,
    RULES,
    main,
    render_reference,
    type_text,
)

DOC = PROJECT_ROOT / DOC_PATH


@pytest.fixture(scope="module")
def reference() -> str:
    return render_reference()


def models(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> Iterator[Any]:
    """Every model reachable from ``model``, through Optional, list, dict and Annotated."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    yield model
    for field in model.model_fields.values():
        for nested in nested_models(field.annotation):
            yield from models(nested, seen)


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from nested_models(arg)


def test_the_walk_reaches_list_and_optional_sections() -> None:
    names = {m.__name__ for m in models(EnvironmentConfig)}
    # Optional (network), nested (cluster.nodes), list items (ssoMappings, services) all reached.
    assert {"NetworkConfig", "NodeGroupConfig", "SsoMapping", "ServiceConfig"} <= names
    assert len(names) == 20


def test_every_field_has_a_description() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in models(EnvironmentConfig)
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert not missing, f"fields without Field(description=...): {', '.join(missing)}"


def test_every_section_has_its_own_docstring() -> None:
    missing = [
        model.__name__
        for model in models(EnvironmentConfig)
        if not (vars(model).get("__doc__") or "").strip()
    ]
    assert not missing, f"section classes without a docstring (their intro): {missing}"


def test_the_committed_reference_is_current(reference: str) -> None:
    committed = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert committed == reference, f"{DOC_PATH} is stale: run {REGENERATE}"


def test_main_writes_exactly_the_reference(tmp_path: Path, reference: str) -> None:
    target = tmp_path / "configuration.md"
    assert main(["--write", str(target)]) == 0
    assert target.read_bytes() == reference.encode("utf-8")


def settings_files() -> list[Path]:
    return sorted(PROJECT_ROOT.glob("Pulumi.*.yaml"))


def test_the_environments_settings_files_are_found() -> None:
    names = {p.name for p in settings_files()}
    assert {"Pulumi.local.yaml", "Pulumi.test.yaml", "Pulumi.prod.yaml"} <= names


def used_keys(value: Any, path: str, sections: set[str]) -> Iterator[str]:
    """``landfall:<path>`` keys under a section (free-form maps such as tags are not sections);
    list entries are ``[]``, as in the reference."""
    if isinstance(value, list):
        for item in value:
            yield from used_keys(item, f"{path}[]", sections)
    elif isinstance(value, dict) and path in sections:
        for key, item in value.items():
            child = f"{path}.{key}"
            yield child
            yield from used_keys(item, child, sections)


@pytest.mark.parametrize("path", settings_files(), ids=lambda p: p.name)
def test_every_key_of_the_settings_files_is_documented(path: Path, reference: str) -> None:
    config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    sections = set(re.findall(rf"^#+ `{NAMESPACE}:([^`]+)`$", reference, flags=re.M))
    keys = []
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace == NAMESPACE:
            keys.append(name)
            keys += used_keys(value, name, sections)
    assert keys, f"{path.name} has no {NAMESPACE}: keys"
    undocumented = [k for k in keys if f"| `{NAMESPACE}:{k}` |" not in reference]
    assert not undocumented, f"{path.name} uses keys missing from the reference: {undocumented}"


def test_the_type_column_shows_the_models_constraints(reference: str) -> None:
    field = NetworkConfig.model_fields["flow_log_retention_days"]
    low = next(m.ge for m in field.metadata if hasattr(m, "ge"))
    high = next(m.le for m in field.metadata if hasattr(m, "le"))
    row = next(
        line
        for line in reference.splitlines()
        if line.startswith(f"| `{NAMESPACE}:network.flowLogRetentionDays` |")
    )
    assert f"| integer ({low}\N{EN DASH}{high}) | `90` |" in row


def test_the_renderer_reads_field_metadata() -> None:
    class Probe(BaseModel):
        count: int = Field(ge=7, le=11)
        floor: int = Field(ge=0)
        label: str = Field(min_length=2, max_length=5, pattern=r"^[a-z]+$")
        names: list[str] = Field(min_length=1)

    fields = Probe.model_fields
    assert (
        type_text(fields["count"].annotation, fields["count"].metadata)
        == "integer (7\N{EN DASH}11)"
    )
    assert type_text(fields["floor"].annotation, fields["floor"].metadata) == "integer (≥ 0)"
    assert (
        type_text(fields["label"].annotation, fields["label"].metadata)
        == "string (2\N{EN DASH}5 characters, matching `^[a-z]+$`)"
    )
    assert (
        type_text(fields["names"].annotation, fields["names"].metadata)
        == "list of string (at least 1 entry)"
    )


def test_the_renderer_names_validated_types_and_choices(reference: str) -> None:
    for key, type_cell in (
        ("network.vpcCidr", "IPv4 CIDR"),
        ("network.natGateways", "one of: `per-az`, `single`"),
        ("region", "AWS region"),
        ("cluster.endpointPublicAccessCidrs", "list of IPv4 CIDR"),
        ("cluster.nodes", "section, see [`landfall:cluster.nodes`](#cluster-nodes)"),
        ("database.engineVersion", r"string (matching `^[0-9]+\.[0-9]+(\.[0-9]+)?$`)"),
    ):
        assert f"| `{NAMESPACE}:{key}` | {type_cell} |" in reference, key


def test_cloud_sections_are_required_in_the_cloud_environments(reference: str) -> None:
    for key in rules.CLOUD_SECTIONS:
        assert f"| `{NAMESPACE}:{key}` |" in reference
        assert f"`{key}`" in reference.split("## Per-environment rules", 1)[1]


def test_every_key_the_rules_report_on_is_in_the_rules_list() -> None:
    source = Path(rules.__file__).read_text(encoding="utf-8")
    reported = sorted(set(re.findall(r'f"\{k\}([A-Za-z][A-Za-z.]*)"', source)))
    assert len(reported) > 10, "the pattern no longer finds the rules' keys"
    text = "\n".join(rule for _, section in RULES for rule in section)
    unmentioned = [k for k in reported if not re.search(rf"`{re.escape(k)}[`:]", text)]
    assert not unmentioned, (
        f"RULES in reference.py does not name these keys of rules.py: {unmentioned}"
    )
