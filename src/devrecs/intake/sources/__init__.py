"""Data sources: where person records come from.

A source streams records as ``(label, raw)`` pairs: ``label`` names the
record for people to read ("people.csv row 12", a :class:`RecordLabel`, a
``str`` that also knows its ``source`` and ``row``), ``raw`` is a mapping
of what the record holds, or an :class:`Unreadable` when the record itself
could not be read (bad bytes, a truncated line). Sources never hold more
than one record at a time, so memory does not grow with the number of rows.

Sources are found by name in a registry, ``name -> factory``, built per
Engine from the built-ins and the plugins (``devrecs_register_sources``). A
factory is called as ``factory(location, **options)`` (``options``: ``table``
and ``query`` for SQL) and returns an iterable of ``(label, raw)``; it may
also have:

- ``extensions``: file name endings it reads (``(".csv",)``), to be chosen
  by extension;
- ``tabular``: True when every record has the same columns (CSV, SQL), so a
  mapping can check its column names on the first record;
- on the returned object, ``as_of``: the run date the data carries, if any.

The built-in sources are registered by :func:`register_builtin_sources`,
which has the shape of the plugin hook ``devrecs_register_sources(register)``:
a plugin registers its own source the same way.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Optional

from ...database import is_database_url
from ...errors import SourceError, did_you_mean


class RecordLabel(str):
    """A record's name for people ("people.csv row 12") that also knows its parts."""

    source: str
    row: int
    unit: str

    def __new__(cls, source: str, row: int, unit: str = "row") -> RecordLabel:
        self = super().__new__(cls, f"{source} {unit} {row}")
        self.source = source
        self.row = row
        self.unit = unit
        return self

    def __getnewargs__(self) -> tuple:
        return (self.source, self.row, self.unit)


class Unreadable:
    """Stands for a record that could not be read; ``reason`` says why, for a person."""

    __slots__ = ("reason", "field")

    def __init__(self, reason: str, field: str = ""):
        self.reason = reason
        self.field = field

    def __reduce__(self) -> tuple:
        return (Unreadable, (self.reason, self.field))

    def __repr__(self) -> str:
        return f"Unreadable({self.reason!r})"


Factory = Callable[..., Any]


def builtin_sources() -> dict[str, Factory]:
    """The built-in sources by name (each Engine adds its plugins' to its own copy)."""
    found: dict[str, Factory] = {}
    register_builtin_sources(found.__setitem__)
    return found


def name_for(location: str, registry: Optional[Mapping[str, Factory]] = None) -> str:
    """The source of ``registry`` (default: the built-ins) that reads ``location``: ``sql`` for a
    database URL, else by file extension."""
    registry = builtin_sources() if registry is None else registry
    if is_database_url(location):
        return "sql"
    lower = location.lower()
    best = ""
    found = None
    for name, factory in registry.items():
        for ext in getattr(factory, "extensions", ()):
            if lower.endswith(ext.lower()) and len(ext) > len(best):
                best, found = ext, name
    if found is None:
        ext = os.path.splitext(location)[1] or "(none)"
        raise SourceError(f"{location}: no source reads files ending '{ext}'; "
                          f"name one with --source ({', '.join(sorted(registry))})")
    return found


def open_source(location: str, name: Optional[str] = None, registry: Optional[Mapping[str, Factory]] = None,
                **options: Any) -> Any:
    """The records of ``location`` through the source ``name`` of ``registry`` (default: the
    built-ins; the source chosen by :func:`name_for`). Options that are None are left out."""
    registry = builtin_sources() if registry is None else registry
    name = name or name_for(location, registry)
    if name not in registry:
        raise SourceError(f"unknown source '{name}'{did_you_mean(name, registry)}; "
                          f"known: {', '.join(sorted(registry))}")
    return registry[name](location, **{k: v for k, v in options.items() if v is not None})


def is_tabular(source: Any) -> bool:
    return bool(getattr(source, "tabular", False))


def register_builtin_sources(register: Callable[[str, Factory], None]) -> None:
    """Register json, jsonl, yaml, csv, sql and parquet (the shape of ``devrecs_register_sources``).
    The parquet source imports pyarrow only when it opens a file."""
    from .files import CsvSource, JsonLinesSource, JsonSource, YamlSource
    from .parquet import ParquetSource
    from .sql import SqlSource
    register("json", JsonSource)
    register("jsonl", JsonLinesSource)
    register("yaml", YamlSource)
    register("csv", CsvSource)
    register("sql", SqlSource)
    register("parquet", ParquetSource)


__all__ = ["RecordLabel", "SourceError", "Unreadable", "builtin_sources", "is_database_url", "is_tabular",
           "name_for", "open_source", "register_builtin_sources"]

