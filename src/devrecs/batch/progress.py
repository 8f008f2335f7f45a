"""Progress on long runs: a bar with count, rate and time left on a terminal's stderr, else nothing.

What this module holds: :class:`Progress`, drawn with rich (``rich.progress``),
which commands that read many people (batch, report, audit, diff, replay) use,
and :func:`expected_rows`, the number of records a source will give when it can
tell cheaply (a Parquet footer, the lines of a CSV or JSON Lines file), so the
bar can say how long is left. Without a count it shows the count, the rate and
the time so far.

It draws only when its stream is a terminal (or when told to), only on that
stream (stderr: never mixed into data on stdout), and clears itself when done.
rich is imported only when a bar is drawn, so scripts and pipelines pay nothing.
Lines meant for the same stream while a bar is up go through :meth:`Progress.line`,
which prints them above the bar.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Optional, TextIO, TypeVar

T = TypeVar("T")

_LINE_FILES = (".csv", ".jsonl", ".ndjson")


def on_terminal(stream: Any) -> bool:
    """True when ``stream`` is an interactive terminal that can redraw a line."""
    try:
        return bool(stream.isatty()) and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):   # no isatty, or a closed stream
        return False


def expected_rows(source: Any, location: str = "") -> Optional[int]:
    """How many records ``source`` will give, when it is cheap to tell: its ``rows`` (Parquet:
    from the footer), else the lines of a local CSV (less the header) or JSON Lines file. An
    estimate (a quoted cell can hold a line break, a blank line is no record); None if unknown."""
    rows = getattr(source, "rows", None)
    if isinstance(rows, int):
        return rows
    if not location.lower().endswith(_LINE_FILES) or not os.path.isfile(location):
        return None
    lines, last = 0, b"\n"
    with open(location, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(lines - (1 if location.lower().endswith(".csv") else 0), 0)


class Progress:
    """A transient progress bar for ``what`` on ``stream`` (default: shown when it is a terminal).

    ``total`` (None: unknown) gives a bar and the time left; :meth:`advance` counts work done,
    ``detail`` adds a short text (``"120 accepted, 2 rejected"``). Use it as a context manager
    or call :meth:`close`."""

    def __init__(self, stream: Optional[TextIO], what: str, total: Optional[int] = None,
                 show: Optional[bool] = None):
        self.stream = stream
        self.shown = stream is not None and (on_terminal(stream) if show is None else show)
        self.bar: Any = None
        if not self.shown:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress as Bar,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(TextColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

        console = Console(file=stream, force_terminal=True if show else None, stderr=True)
        columns: list = [TextColumn("{task.description}")]
        if total is not None:    # 120/1,470 3,150/s 0:00:04 left
            columns += [BarColumn(bar_width=20), MofNCompleteColumn(), Rate(""), TimeRemainingColumn(),
                        TextColumn("left")]
        else:                    # 120 3,150/s 0:00:01
            columns += [TextColumn("{task.completed:,.0f}"), Rate(""), TimeElapsedColumn()]
        columns.append(TextColumn("{task.fields[detail]}"))
        self.bar = Bar(*columns, console=console, transient=True, refresh_per_second=5,
                       redirect_stdout=False, redirect_stderr=False)
        self.task = self.bar.add_task(what, total=total, detail="")
        self.bar.start()

    def advance(self, n: int = 1, detail: Optional[str] = None) -> None:
        if self.bar is not None:
            if detail is None:
                self.bar.advance(self.task, n)
            else:
                self.bar.update(self.task, advance=n, detail=detail)

    def set(self, completed: int, detail: Optional[str] = None, total: Optional[int] = None) -> None:
        """Set the count done (and the detail, or the total once known)."""
        if self.bar is not None:
            fields: dict = {} if detail is None else {"detail": detail}
            if total is not None:
                fields["total"] = total
            self.bar.update(self.task, completed=completed, **fields)

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, counting each as it is taken."""
        for item in items:
            yield item
            self.advance()

    def line(self, text: str) -> None:
        """Write a line to the stream, above the bar when one is drawn."""
        if self.bar is not None:
            self.bar.console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
        elif self.stream is not None:
            self.stream.write(text + "\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["Progress", "expected_rows", "on_terminal"]
