"""The one place for how the CLI writes: exit codes, fixed-width tables and Markdown tables.

Standard library only, so every layer of the tool (plan, ops) can use it without importing the
commands.
"""

from __future__ import annotations

import argparse
import shutil
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


# --- help and long lines ---------------------------------------------------------------------

WIDTH = 100  # what the CLI's text is written for: no line of `landfall plan` is longer


def verb_epilog(examples: Sequence[tuple[str, str]], codes: Sequence[int]) -> str:
    """A verb's --help epilog: examples (command, comment) and the exit codes it can return."""
    width = max(len(command) for command, _ in examples)
    aligned = all(2 + width + 4 + len(comment) <= WIDTH for _, comment in examples)
    lines = ["examples:"]
    for command, comment in examples:
        if not comment:
            lines.append(f"  {command}")
        elif aligned:
            lines.append(f"  {command.ljust(width)}  # {comment}")
        else:
            lines += [f"  # {comment}", f"  {command}"]
    lines += ["", "exit codes:"]
    lines += [f"  {code}  {EXIT_CODES[code]}" for code in codes]
    return "\n".join(lines)


def _pieces(word: str, first: int, rest: int, defer: bool) -> list[str]:
    """``word`` cut after separators (``::``, ``$``, ``/``) into a piece of at most ``first``
    characters, then pieces of at most ``rest``, where it has them (a URN, a path); a piece
    without a separator within reach stays whole (``defer``: the first piece may be empty, the
    word then starts on the next line)."""
    pieces: list[str] = []
    room = first
    while len(word) > room:
        cut = max(word.rfind(sep, 0, room - len(sep) + 1) + len(sep) for sep in ("::", "$", "/"))
        if cut <= 1:  # no separator within reach
            if pieces or not defer:
                break
            pieces.append("")  # start it on the next line instead
        else:
            pieces.append(word[:cut])
            word = word[cut:]
        room = rest
    return [*pieces, word]


def wrap_line(line: str, width: int = WIDTH, extra_indent: int = 4) -> list[str]:
    """``line`` as lines of at most ``width`` characters, broken at spaces; continuation lines
    are indented ``extra_indent`` more than the first. A word longer than a line is cut after a
    separator (``::``, ``$``, ``/``) if it has one, else left whole."""
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    follow = indent + " " * extra_indent
    lines: list[str] = []
    current = indent
    for word in line[len(indent) :].split(" "):
        sep = "" if current.strip() == "" else " "
        if len(current) + len(sep) + len(word) <= width:
            current += sep + word
        elif len(word) <= width - len(follow):
            lines.append(current)
            current = follow + word
        else:  # longer than any line: cut it, starting on this one
            first = width - len(current) - len(sep)
            *whole, last = _pieces(word, first, width - len(follow), defer=bool(sep))
            for i, piece in enumerate(whole):
                if piece or i:
                    lines.append(current + (sep if i == 0 else "") + piece)
                else:
                    lines.append(current)
                current = follow
            current += (sep if not whole else "") + last
    lines.append(current)
    return lines


def wrap_text(text: str, width: int = WIDTH) -> str:
    """Every line of ``text`` wrapped with ``wrap_line``."""
    return "\n".join(piece for line in text.split("\n") for piece in wrap_line(line, width))


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help as written (descriptions and epilogs keep their lines), at most ``WIDTH`` wide."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 26) -> None:
        columns = shutil.get_terminal_size().columns - 2
        super().__init__(prog, indent_increment, max_help_position, width=min(columns, WIDTH))

    def add_argument(self, action: argparse.Action) -> None:
        """argparse measures the verbs one indent short, so a long one (diff-envs) would get
        its help on the next line; count their real indent."""
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction) and action.choices:
            longest = max(len(name) for name in action.choices)
            self._action_max_length = max(
                self._action_max_length, longest + self._current_indent + 2 * self._indent_increment
            )
