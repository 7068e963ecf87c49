"""Rendering for every command: Rich for people, one JSON document for programs; exit codes."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


class Exit(enum.IntEnum):
    """Documented exit codes."""

    OK = 0
    PARTIAL = 1
    USAGE = 2
    RUNTIME = 3


@dataclass
class Output:
    """Where a command writes: JSON when ``--json`` was given, Rich otherwise."""

    json_mode: bool = False
    console: Console = field(default_factory=lambda: _console(stderr=False))
    errors: Console = field(default_factory=lambda: _console(stderr=True))

    def emit(self, data: Any) -> None:
        """Write one JSON document (``--json`` mode only)."""
        sys.stdout.write(json.dumps(data, default=_json_default, indent=2) + "\n")

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Render rows as a table (or as a list of objects in JSON mode)."""
        materialised = [list(row) for row in rows]
        if self.json_mode:
            self.emit([dict(zip(columns, row, strict=True)) for row in materialised])
            return
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for row in materialised:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.console.print(table)

    def fail(self, message: str, code: Exit = Exit.RUNTIME) -> typer.Exit:
        """Report an error and return the exit to raise."""
        if self.json_mode:
            self.emit({"error": message, "exit_code": int(code)})
        else:
            self.errors.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)
        return typer.Exit(int(code))


def _console(*, stderr: bool) -> Console:
    # Rich assumes 80 columns when output is not a terminal; logs and CI deserve wider tables.
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 140
    return Console(stderr=stderr, highlight=False, width=width)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def state(ctx: typer.Context) -> Output:
    """Return the :class:`Output` the root callback stored on the context."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Output) else Output()
