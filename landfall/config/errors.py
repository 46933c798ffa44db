"""The project's own error for bad environment configuration.

A plain exception, so the configuration and the pure logic need no Pulumi SDK. Inside a real
``pulumi up`` the root program re-raises it as ``landfall.program.StackConfigError`` (also a
``pulumi.RunError``), which the engine prints without a Python traceback; the ``landfall`` CLI
catches it and exits with status 2.

Every problem is kept printable whoever built it (control characters escaped, absurdly long parts
clipped), so a hostile value cannot flood or drive the terminal; the settings' problems are also
shortened to one line of at most ``MAX_LINE`` characters (``Problem.shortened``).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_KEY = 80  # characters of a problem's key
MAX_PROBLEM = 200  # characters of what is wrong
MAX_LINE = 300  # characters of a whole rendered problem line, for the settings' problems
_KEEP_FIX = 100  # a long fix keeps this much even next to a long problem
# Any problem, whoever raised it (some name several ARNs, so they are longer): a last guard.
_MAX_ANY = 2_000


def printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\n``, ``\\x1b``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def clip(text: str, limit: int) -> str:
    """``text`` (made printable) cut to at most ``limit`` characters, saying how long it was."""
    text = printable(text)
    if len(text) <= limit:
        return text
    note = f"... ({len(text)} characters)"
    return text[: max(0, limit - len(note))] + note


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration: where, what, and how to fix it."""

    key: str
    problem: str
    fix: str

    def render(self) -> str:
        return f"  - {self.key}: {self.problem}. Fix: {self.fix}."

    def guarded(self) -> Problem:
        """This problem printable and each part at most a few lines long: what every
        ConfigError keeps (a no-op for normal problems)."""
        parts = (clip(self.key, _MAX_ANY), clip(self.problem, _MAX_ANY), clip(self.fix, _MAX_ANY))
        return self if parts == (self.key, self.problem, self.fix) else Problem(*parts)

    def shortened(self) -> Problem:
        """This problem printable and its line at most MAX_LINE characters (a no-op for normal
        problems): the key, then what is wrong and the fix are clipped, each saying how long
        it was."""
        key = clip(self.key, MAX_KEY)
        room = MAX_LINE - len(Problem(key, "", "").render())
        problem = clip(self.problem, MAX_PROBLEM)
        fix = printable(self.fix)
        if len(problem) + len(fix) > room:
            fix = clip(fix, max(room - len(problem), min(len(fix), _KEEP_FIX)))
            problem = clip(problem, room - len(fix))
        if (key, problem, fix) == (self.key, self.problem, self.fix):
            return self
        return Problem(key, problem, fix)


class ConfigError(Exception):
    """All problems found in one environment's configuration, reported together."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = clip(source, MAX_KEY * 3)
        self.problems = [p.guarded() for p in problems]
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
