"""The one place for how the CLI writes: exit codes, fixed-width tables and Markdown tables.

Standard library only, so every layer of the tool (plan, ops) can use it without importing the
commands.
"""

from __future__ import annotations

from collections.abc import Sequence

# Exit codes of every verb (also in each verb's --help).
OK = 0
FAILED = 1  # a check, a baseline policy or an operation failed
BAD_INPUT = 2  # bad settings, arguments or preflight: nothing was declared or changed
STATEFUL_REPLACEMENT = 3  # `plan --fail-on-replace`: a stateful resource would be replaced

EXIT_CODES = {
    OK: "success",
    FAILED: "a check, a security-baseline policy or an operation failed",
    BAD_INPUT: "bad settings, arguments or preflight; nothing was declared or changed",
    STATEFUL_REPLACEMENT: "a stateful resource would be replaced (plan --fail-on-replace)",
}


def text_table(rows: Sequence[Sequence[str]], indent: str = "", rule: bool = False) -> list[str]:
    """Fixed-width columns; ``rule`` underlines the first row (the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [indent + "  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    if rule:
        lines.insert(1, indent + "  ".join("-" * w for w in widths))
    return lines


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table whose first row is the header."""
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)
