"""Golden plans: the committed ``golden/<env>.json`` must match what the program declares.

When this fails, the program's infrastructure changed: read the diff it prints, and if the change
is intended run ``./dev landfall plan ENV --update-golden`` and commit the golden file with it,
so the pull request shows the infrastructure diff to its reviewers.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from project import PROJECT_ROOT

from landfall.config import ENVIRONMENTS
from landfall.plan.golden import check_plan, golden_path
from landfall.plan.harness import EnvironmentPlan
from landfall.plan.inventory import (
    PROVIDER_VERSION_PLACEHOLDER,
    REPO_PLACEHOLDER,
    ValueChange,
    diff_inventories,
    dumps,
    load_inventory,
    normalize,
    render_diff,
    value_changes,
)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_inventory_matches_the_golden_plan(
    env: str, env_plan: Callable[[str], EnvironmentPlan]
) -> None:
    golden = load_inventory(golden_path(env, PROJECT_ROOT))
    regenerate = f"./dev landfall plan {env} --update-golden"
    assert golden is not None, f"golden/{env}.json is missing: run {regenerate}"
    current = normalize(env_plan(env).as_json(), PROJECT_ROOT)
    diff = diff_inventories(golden, current)
    assert diff.empty, (
        f"The {env} inventory no longer matches golden/{env}.json:\n"
        f"{render_diff(diff, max_lines=200)}\n"
        f"If this change is intended, run: ./dev landfall plan {env} --update-golden "
        "and commit the golden file."
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_golden_files_are_stored_normalised(env: str) -> None:
    """A golden file is exactly what --update-golden writes (sorted, placeholders in place)."""
    path = golden_path(env, PROJECT_ROOT)
    stored = load_inventory(path)
    assert stored is not None
    expected = dumps(normalize(stored, PROJECT_ROOT))
    assert path.read_text() == expected, f"run landfall plan {env} --update-golden"


# --- normalisation --------------------------------------------------------------------------


def resource(urn: str, type_: str = "aws:ec2/vpc:Vpc", **inputs: Any) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": type_,
        "name": urn.rsplit("::", 1)[-1],
        "parent": None,
        "custom": True,
        "remote": False,
        "inputs": inputs,
        "options": {"protect": False, "dependsOn": []},
    }


def inventory(*resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "environment": "test",
        "note": "placeholders",
        "stacks": {"network": {"resources": list(resources), "outputs": outputs or {}}},
    }


URN = "urn:pulumi:test-network::landfall::aws:ec2/vpc:Vpc::"


def test_normalize_sorts_resources_decodes_documents_and_hides_volatile_values() -> None:
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})
    raw = inventory(
        resource(URN + "b", policy=policy, path=f"{PROJECT_ROOT}/fleet/clusters/test"),
        resource(URN + "a"),
        resource(
            "urn:pulumi:test-network::landfall::pulumi:providers:aws::a",
            "pulumi:providers:aws",
            version="7.51.1",
            region="eu-west-2",
            skipCredentialsValidation="false",
        ),
    )
    before = copy.deepcopy(raw)
    golden = normalize(raw, PROJECT_ROOT)
    assert raw == before  # the input is not modified
    resources = golden["stacks"]["network"]["resources"]
    urns = [r["urn"] for r in resources]
    assert urns == sorted(urns)
    assert urns != [r["urn"] for r in raw["stacks"]["network"]["resources"]]
    first = next(r for r in resources if r["type"] == "pulumi:providers:aws")
    second = next(r for r in resources if r["name"] == "b")
    assert first["inputs"]["version"] == PROVIDER_VERSION_PLACEHOLDER
    assert first["inputs"]["skipCredentialsValidation"] == "false"  # not a document: unchanged
    assert second["inputs"]["policy"]["Statement"][0]["Action"] == "s3:GetObject"
    assert second["inputs"]["path"] == f"{REPO_PLACEHOLDER}/fleet/clusters/test"
    assert normalize(golden, PROJECT_ROOT) == golden  # idempotent


def test_value_changes_name_the_paths_that_moved() -> None:
    old = {"a": {"b": 1, "c": [1, 2]}, "gone": True, "list": [1]}
    new = {"a": {"b": 2, "c": [1, 3]}, "added": "x", "list": [1, 2]}
    found = {c.path: (c.old, c.new) for c in value_changes(old, new)}
    assert set(found) == {"a.b", "a.c[1]", "gone", "added", "list"}
    assert found["a.b"] == (1, 2)
    assert found["list"] == ([1], [1, 2])
    removed = next(c for c in value_changes(old, new) if c.path == "gone")
    assert isinstance(removed, ValueChange) and removed.removed and not removed.added


def test_value_changes_tell_true_from_one() -> None:
    assert [c.path for c in value_changes({"x": True}, {"x": 1})] == ["x"]


def test_diff_reports_added_removed_and_changed_resources_readably() -> None:
    old = inventory(resource(URN + "keep", cidrBlock="10.0.0.0/16"), resource(URN + "gone"))
    new = inventory(
        resource(URN + "keep", cidrBlock="10.1.0.0/16"),
        resource(URN + "new"),
        outputs={"vpcId": "vpc-1"},
    )
    diff = diff_inventories(old, new)
    assert [(r.kind, r.name) for r in diff.resources] == [
        ("removed", "gone"),
        ("changed", "keep"),
        ("added", "new"),
    ]
    text = render_diff(diff)
    assert "1 added, 1 removed, 1 changed resources; 1 stack outputs changed." in text
    assert "+ aws:ec2/vpc:Vpc  new" in text
    assert "- aws:ec2/vpc:Vpc  gone" in text
    assert "inputs.cidrBlock: '10.0.0.0/16' → '10.1.0.0/16'" in text
    assert "~ output vpcId: (absent) → 'vpc-1'" in text
    assert diff_inventories(new, new).empty


def test_render_diff_can_be_cut_short() -> None:
    old = inventory(*(resource(URN + f"r{i}") for i in range(30)))
    text = render_diff(diff_inventories(old, inventory()), max_lines=5)
    assert len(text.splitlines()) == 6 and "more lines" in text.splitlines()[-1]


def test_plan_update_golden_writes_then_reports_no_difference(tmp_path: Path) -> None:
    raw = inventory(resource(URN + "vpc", cidrBlock="10.0.0.0/16"))
    out = io.StringIO()
    assert check_plan("test", raw, out, tmp_path, update_golden=True).exit_status == 0
    assert "No baseline plan" in out.getvalue() and "Wrote golden/test.json" in out.getvalue()
    assert load_inventory(tmp_path / "golden" / "test.json") == normalize(raw, tmp_path)
    out = io.StringIO()
    assert check_plan("test", raw, out, tmp_path).exit_status == 0
    assert "Same inventory as golden/test.json" in out.getvalue()
    changed = inventory(resource(URN + "vpc", cidrBlock="10.9.0.0/16"))
    out = io.StringIO()
    assert check_plan("test", changed, out, tmp_path).exit_status == 0
    assert "inputs.cidrBlock" in out.getvalue()
    assert "landfall plan test --update-golden" in out.getvalue()
