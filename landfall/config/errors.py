"""The project's own error for bad environment configuration.

A plain exception, so the configuration and the pure logic need no Pulumi SDK. Inside a real
``pulumi up`` the root program re-raises it as ``landfall.program.StackConfigError`` (also a
``pulumi.RunError``), which the engine prints without a Python traceback; the ``landfall`` CLI
catches it and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration: where, what, and how to fix it."""

    key: str
    problem: str
    fix: str

    def render(self) -> str:
        return f"  - {self.key}: {self.problem}. Fix: {self.fix}."


class ConfigError(Exception):
    """All problems found in one environment's configuration, reported together."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"Invalid environment configuration in {self.source} ({count} {noun}):"]
        lines += [p.render() for p in self.problems]
        lines.append("Nothing was created.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
