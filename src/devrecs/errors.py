"""Errors devrecs raises for a person to read.

Every error names where the problem is (a file and line, or a record and
field) and what was expected. The CLI prints them without a traceback.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, Sequence

import attrs


class DevrecsError(Exception):
    """Base class of every error devrecs raises on purpose."""


@attrs.frozen
class Problem:
    """One problem in a file: where it is, a short code and what is wrong."""

    file: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code} {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class RuleFileError(DevrecsError):
    """One or more problems in rule or catalog files; all are reported."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RecordError(DevrecsError):
    """A person record (or another input record) that does not fit the model."""

    def __init__(self, record: str, messages: Sequence[str]):
        self.record = record
        self.messages = list(messages)
        super().__init__("\n".join(f"{record}, {m}" for m in self.messages))


class SourceError(DevrecsError):
    """A source that cannot be opened or read at all (a configuration error)."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT is Ctrl-C; the command line turns SIGTERM into this)."""


class RunCutShort(DevrecsError):
    """A run that did not finish (interrupted, or the disk full): the message says what was
    written and where; the command line exits 3."""


class UnknownIdError(DevrecsError):
    """A person, intervention or other id that is not known."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
