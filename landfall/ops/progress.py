"""Live progress of a Pulumi operation, from the engine's event stream, and the closing summary.

``Progress.on_event`` is handed to the Automation API as ``on_event``: it prints one line per
resource operation as it completes (during a preview: as it is planned) with a running count,
errors and policy violations as they arrive, and records the engine's summary. ``summary_table``
renders the per-stack table printed at the end of ``landfall up`` (and friends).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from pulumi.automation import EngineEvent, StepEventMetadata

from landfall.cli.output import markdown_table, text_table

# How Pulumi's own display marks each operation.
SYMBOLS: dict[str, str] = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "create-replacement": "++",
    "delete-replaced": "--",
    "read": ">",
    "read-replacement": ">>",
    "refresh": "~",
    "import": "=",
    "import-replacement": "=>",
    "discard": "<",
    "discard-replaced": "<<",
    "remove-pending-replace": "-",
}

# Columns of the summary table, in order; "replace" counts a whole replacement once.
COUNTED_OPS: tuple[str, ...] = ("create", "update", "replace", "delete", "same")


def op_name(op: Any) -> str:
    """An OpType (or the plain string the engine's JSON carries) as its wire name."""
    return str(getattr(op, "value", op))


def op_counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """Normalise an engine OpMap (keys OpType or str) to ``{op: count}`` with string keys."""
    counts: dict[str, int] = {}
    for op, count in (changes or {}).items():
        name = op_name(op)
        counts[name] = counts.get(name, 0) + int(count)
    return counts


def resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


@dataclass
class Progress:
    """Prints engine events for one stack at a time. Thread-safe (events arrive on a thread)."""

    out: TextIO
    stack: str = ""
    count: int = 0
    unchanged: int = 0
    failures: int = 0
    summary_changes: dict[str, int] = field(default_factory=dict)
    summary_seconds: int | None = None
    _started: dict[str, int] = field(default_factory=dict)
    _printed: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, stack: str, operation: str) -> None:
        with self._lock:
            self.stack = stack
            self.count = self.unchanged = self.failures = 0
            self.summary_changes = {}
            self.summary_seconds = None
            self._started.clear()
            self._printed.clear()
            self._write(f"==> {operation} {stack}")

    def on_event(self, event: EngineEvent) -> None:
        with self._lock:
            if event.resource_pre_event is not None:
                pre = event.resource_pre_event
                meta = pre.metadata
                self._started[meta.urn] = event.timestamp
                if pre.planning:  # a preview: the step is planned, never executed
                    self._step(meta, None)
            elif event.res_outputs_event is not None:
                meta = event.res_outputs_event.metadata
                began = self._started.get(meta.urn)
                self._step(meta, None if began is None else event.timestamp - began)
            elif event.res_op_failed_event is not None:
                meta = event.res_op_failed_event.metadata
                self.failures += 1
                self._write(
                    f"  [{self.count:>4}] FAILED {op_name(meta.op)} {meta.type} "
                    f"{resource_name(meta.urn)}"
                )
            elif event.diagnostic_event is not None:
                diag = event.diagnostic_event
                if diag.severity in ("error", "warning") and not diag.ephemeral:
                    where = f" ({resource_name(diag.urn)})" if diag.urn else ""
                    for line in diag.message.strip().splitlines():
                        self._write(f"  {diag.severity}{where}: {line}")
            elif event.policy_event is not None:
                policy = event.policy_event
                where = f" ({resource_name(policy.resource_urn)})" if policy.resource_urn else ""
                self._write(
                    f"  policy {policy.enforcement_level}: {policy.policy_pack_name}/"
                    f"{policy.policy_name}{where}: {policy.message.strip()}"
                )
            elif event.summary_event is not None:
                summary = event.summary_event
                self.summary_changes = op_counts(summary.resource_changes)
                self.summary_seconds = summary.duration_seconds

    def _step(self, meta: StepEventMetadata, seconds: int | None) -> None:
        op = op_name(meta.op)
        key = (meta.urn, op)
        if key in self._printed:
            return
        self._printed.add(key)
        if op == "same":
            self.unchanged += 1
            return
        self.count += 1
        took = f"  ({seconds}s)" if seconds is not None else ""
        symbol = SYMBOLS.get(op, "?")
        self._write(
            f"  [{self.count:>4}] {symbol:<2} {op:<18} {meta.type}  {resource_name(meta.urn)}{took}"
        )

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()


@dataclass(frozen=True)
class StackSummary:
    """One row of the closing table."""

    stack: str
    result: str  # succeeded, failed, skipped, absent
    changes: dict[str, int]
    seconds: float
    message: str = ""


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def summary_rows(rows: Sequence[StackSummary]) -> list[list[str]]:
    header = ["stack", "result", *COUNTED_OPS, "duration"]
    body = []
    for row in rows:
        ran = row.result != "skipped"
        counts = [str(row.changes.get(op, 0)) if ran else "-" for op in COUNTED_OPS]
        body.append([row.stack, row.result, *counts, format_duration(row.seconds) if ran else "-"])
    return [header, *body]


def summary_table(rows: Sequence[StackSummary]) -> str:
    """A fixed-width text table: stack, result, created/updated/replaced/deleted/same, duration."""
    return "\n".join(text_table(summary_rows(rows), rule=True))


def summary_markdown(rows: Sequence[StackSummary]) -> str:
    return markdown_table(summary_rows(rows))
