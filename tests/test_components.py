"""Rules every component follows (read from the source, so a new component is checked too):
it derives from ``components.base.Component``, ends ``__init__`` with ``self.finish()`` (which
registers its outputs), never calls ``register_outputs`` itself, and declares every public
attribute it sets, so the base class registers all of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pulumi
import pytest
from project import PROJECT_ROOT

from components.base import Component

COMPONENT_FILES = sorted(
    p for p in (PROJECT_ROOT / "components").glob("*/*.py") if p.name != "__init__.py"
)


def component_classes(path: Path) -> list[ast.ClassDef]:
    tree = ast.parse(path.read_text())
    return [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(b) in ("Component", "pulumi.ComponentResource") for b in node.bases)
    ]


def test_the_component_files_are_found() -> None:
    assert len(COMPONENT_FILES) >= 15
    assert sum(len(component_classes(p)) for p in COMPONENT_FILES) >= 15


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_component_registers_every_public_attribute(path: Path) -> None:
    for cls in component_classes(path):
        assert [ast.unparse(b) for b in cls.bases] == ["Component"], cls.name
        init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
        last = init.body[-1]
        assert ast.unparse(last) == "self.finish()", f"{cls.name}.__init__ must end so"
        source = ast.unparse(cls)
        assert "register_outputs" not in source, cls.name
        declared = {
            n.target.id
            for n in cls.body
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
        }
        assigned = {
            target.attr
            for node in ast.walk(init)
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and not target.attr.startswith("_")
        }
        assert assigned <= declared, f"{cls.name}: undeclared outputs {assigned - declared}"


class _Example(Component):
    arn: pulumi.Output[str]
    names: list[str]
    child: pulumi.CustomResource


def test_outputs_are_the_declared_values_in_camel_case_without_child_resources() -> None:
    example = object.__new__(_Example)
    example.arn = pulumi.Output.from_input("arn:aws:iam::1:role/x")
    example.names = ["a"]
    example.child = object.__new__(pulumi.CustomResource)
    outputs = example.outputs()
    assert set(outputs) == {"arn", "names"}
    del example.names
    with pytest.raises(AttributeError, match="names"):
        example.outputs()
