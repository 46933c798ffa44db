"""The layout's rules, read from the source: imports point one way, the configuration and the
pure logic need no Pulumi SDK, and `landfall plan` never loads what talks to AWS.

Import edges include the package ``__init__`` that Python runs before a submodule, and (for the
verbs) the imports done inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from project import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "landfall"


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(path: Path, inside_functions: bool) -> Iterator[str]:
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree) if inside_functions else iter(tree.body)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in MODULES else node.module


def with_packages(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c`` (Python runs each package's __init__ first)."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def edges(name: str, inside_functions: bool = False) -> set[str]:
    """What ``name`` imports, with the packages Python initialises on the way; its own
    enclosing packages are already being initialised, so they add no edge."""
    own = set(with_packages(name))
    found = set()
    for target in imported(MODULES[name], inside_functions):
        found.update(p for p in with_packages(target) if p not in own or p == target)
    return found - {name}


def closure(start: str, lazy_roots: bool = False) -> set[str]:
    """Every module loaded when ``start`` runs: its imports (also those inside its functions when
    ``lazy_roots``) and, transitively, the module-level imports of each landfall module."""
    seen: set[str] = set()
    todo = sorted(edges(start, inside_functions=lazy_roots) | set(with_packages(start)))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in MODULES:
            todo.extend(edges(name))
    return seen


def test_the_package_is_found() -> None:
    assert {"landfall.config", "landfall.logic.cidr", "landfall.cli.plan"} <= set(MODULES)


def test_no_import_cycle_between_landfall_modules() -> None:
    """Counting the imports inside functions too: a cycle hidden by a lazy import is a cycle."""
    graph = {
        name: {e for e in edges(name, inside_functions=True) if e in MODULES} for name in MODULES
    }
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("package", ["landfall.config", "landfall.logic"])
def test_the_configuration_and_the_logic_are_pure(package: str) -> None:
    for name in (n for n in MODULES if n.startswith(package)):
        loaded = closure(name)
        heavy = sorted(m for m in loaded if m.split(".")[0] in ("pulumi", "pulumi_aws", "boto3"))
        assert not heavy, f"{name} loads {heavy}"


def test_the_plan_verb_never_loads_aws_clients_or_the_automation_api() -> None:
    loaded = closure("landfall.cli.plan", lazy_roots=True)
    assert "landfall.plan.harness" in loaded  # the closure really follows the verb's imports
    forbidden = sorted(
        m
        for m in loaded
        if m.split(".")[0] in ("boto3", "botocore", "moto")
        or m.startswith(("landfall.ops", "pulumi.automation"))
    )
    assert not forbidden, forbidden


def test_the_plan_tool_and_the_operations_do_not_import_the_commands() -> None:
    """Only ``landfall.cli.output`` (standard library) is shared with the commands."""
    for name in (n for n in MODULES if n.startswith(("landfall.plan", "landfall.ops"))):
        commands = {m for m in edges(name) if m.startswith("landfall.cli.") and m in MODULES}
        assert commands <= {"landfall.cli.output"}, (name, commands)


def test_every_subpackage_is_a_regular_package() -> None:
    """A folder without ``__init__.py`` works from a checkout but is left out of the wheel."""
    folders = {p.parent for p in PACKAGE.rglob("*.py")}
    assert not sorted(f for f in folders if not (f / "__init__.py").is_file())
