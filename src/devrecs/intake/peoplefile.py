"""A whole file of people in memory, read through the one intake (intake/pipeline.py).

For programs and tests that want every person of a small file at once:
``read_people_file("people.yaml").people()`` or the built-in sample,
``sample_file()``. Records are read by the same sources and the same
conversion as every command (YAML, JSON, JSON Lines, CSV; no plugins:
use ``Engine.open`` for a plugin's source or a mapping file).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator, Optional

import attrs

from ..model import Person
from . import pipeline
from .sources import builtin_sources


@attrs.frozen
class PeopleFile:
    label: str
    records: tuple[tuple[str, Any], ...]     # (record label, raw mapping)
    as_of: Optional[dt.date] = None
    tabular: bool = False

    def people(self) -> Iterator[Person]:
        """Every person; raises DevrecsError listing every bad record and duplicate id."""
        reader = pipeline.Reader(None, self.tabular)
        return iter(pipeline.strict((label, reader.read(label, raw)) for label, raw in self.records))


def _read(location: str) -> PeopleFile:
    opened = pipeline.open_records(location, builtin_sources())
    records = tuple((label, raw) for label, raw in opened.records)
    return PeopleFile(opened.label, records, opened.as_of, opened.tabular)


def read_people_file(path: str | Path) -> PeopleFile:
    """The people of a YAML, JSON, JSON Lines or CSV file."""
    return _read(str(path))


def sample_file() -> PeopleFile:
    """The built-in synthetic sample organization (package data)."""
    return _read(pipeline.SAMPLE)


__all__ = ["PeopleFile", "read_people_file", "sample_file"]
