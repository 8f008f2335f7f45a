"""How a run stops on a signal: between whole rows, never inside one.

What this module holds: the SIGINT and SIGTERM handlers the command line installs, and
``whole()``, the section in which a run writes one row to its output, its store and its
decision log. A signal that arrives inside it is held until the row is written everywhere,
then raises :class:`devrecs.errors.Interrupted`; outside it, it raises at once. So a run cut
short by a signal leaves output, log and store with the same rows. It imports only the errors.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any, Iterator

from ..errors import Interrupted

_state: dict[str, Any] = {"depth": 0, "pending": None}


def _handler(signum: int, frame: Any) -> None:
    name = signal.Signals(signum).name
    if _state["depth"]:
        _state["pending"] = name          # raised when the row in hand is written everywhere
        return
    raise Interrupted(name)


@contextlib.contextmanager
def handlers() -> Iterator[None]:
    """SIGINT and SIGTERM stop the run (as Interrupted) between whole rows, while inside."""
    previous: list[tuple[int, Any]] = []
    for signum in (int(signal.SIGINT), int(signal.SIGTERM)):
        previous.append((signum, signal.signal(signum, _handler)))
    try:
        yield
    finally:
        for signum, old in previous:
            signal.signal(signum, old)
        _state["pending"] = None


@contextlib.contextmanager
def whole() -> Iterator[None]:
    """A section a signal does not cut: one row written to output, store and log."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        pending = _state["pending"]
        if pending and not _state["depth"]:
            _state["pending"] = None
            raise Interrupted(pending)


__all__ = ["handlers", "whole"]
