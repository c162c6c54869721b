"""Live progress of an apply: each resource's step, status and elapsed time.

One job: show :class:`~personalize_reconcile.engine.apply.Event` values. On a terminal a
rich live table redraws in place; elsewhere (CI logs) one line per step start, end or
failure. Called by the CLI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from personalize_reconcile.engine import Event
from personalize_reconcile.render.text import visible

_PHASE_STYLE = {"done": "green", "failed": "red", "skipped": "yellow"}


@dataclass
class _Row:
    step: str
    phase: str
    status: str
    elapsed: float
    message: str = ""


class Progress:
    """Receives events from worker threads and displays them on ``console``."""

    def __init__(self, console: Console, live: bool):
        self.console = console
        self.rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._live = (
            Live(console=console, refresh_per_second=8, transient=False, get_renderable=self._table)
            if live
            else None
        )

    def __enter__(self) -> Progress:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def __call__(self, e: Event) -> None:
        with self._lock:
            row = self.rows.get(e.address)
            status = e.status or (row.status if row else "")
            self.rows[e.address] = _Row(e.step, e.phase, status, e.elapsed, e.message)
        if self._live is None and e.phase in ("started", "done", "failed", "skipped"):
            self.console.print(self._line(e.address, self.rows[e.address]), highlight=False)

    def _line(self, address: str, row: _Row) -> str:
        style = _PHASE_STYLE.get(row.phase, "cyan")
        text = f"[{style}]{row.step:7} {row.phase:8}[/{style}] {escape(address)}"
        if row.phase in ("done", "failed"):
            text += f" [dim]({row.elapsed:.1f}s)[/dim]"
        if row.message:
            text += f": {escape(visible(row.message))}"
        return text

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("resource")
        table.add_column("step")
        table.add_column("status")
        table.add_column("elapsed", justify="right")
        with self._lock:
            rows = list(self.rows.items())
        for address, row in rows:
            style = _PHASE_STYLE.get(row.phase, "cyan")
            status = (
                row.message if row.phase in ("failed", "skipped") else (row.status or row.phase)
            )
            table.add_row(
                escape(address),
                row.step,
                f"[{style}]{escape(visible(status))}[/{style}]",
                f"{row.elapsed:.1f}s",
            )
        return table
