"""Intake: every way a person comes in, one pipeline with rejects.

What this module holds: the path of one record, from any data source (YAML,
JSON, JSONL, CSV, SQL, the built-in sample or a plugin's source) through an
optional mapping file to a valid :class:`Person`, or to a :class:`Reject`
that names the record, the field and the reason. Every command reads people
through it, so labels and reject handling are the same everywhere.

It imports the sources, the mapping, the people converter, the model and the
errors; never the engine, plugins or the application layer (which gives it
the source registry it should use and prepares the valid people further:
history from the store, plugins' facts).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Union

import attrs

from ..errors import DevrecsError, RecordError
from ..model import Person
from ..people import person_from_dict
from . import sources
from .mapping import DataMapping, identity, load_mapping
from .sources import shape

SAMPLE = "sample"        # the location name of the built-in sample organization


@attrs.frozen
class Reject:
    """A record that was not taken, and why (one entry per field)."""

    record: str
    source: str
    row: Optional[int]
    id: Optional[str]
    errors: tuple[tuple[str, str], ...]   # (field, reason); field "" when not about one field

    def to_dict(self) -> dict:
        field, reason = self.errors[0] if self.errors else ("", "")
        return {"record": self.record, "source": self.source, "row": self.row, "id": self.id,
                "field": field or None, "reason": reason,
                "errors": [{"field": f or None, "reason": r} for f, r in self.errors]}

    def lines(self) -> list[str]:
        where = self.record
        if self.id not in (None, "") and repr(str(self.id)) not in where:
            where += f" (id {str(self.id)!r})"
        return [f"{where}, " + (f"field '{f}': {r}" if f else r) for f, r in self.errors]


_FIELD_MESSAGE = re.compile(r"^field '([^']*)'(?::\s*|\s+)(.*)$", re.S)


def reject(label: Any, pid: Optional[str], errors: Iterable[tuple[str, str]]) -> Reject:
    return Reject(str(label), getattr(label, "source", ""), getattr(label, "row", None), pid, tuple(errors))


def split_message(message: str) -> tuple[str, str]:
    """(field, reason) of a RecordError message ``field 'x': reason``."""
    m = _FIELD_MESSAGE.match(message)
    if not m:
        return "", message
    reason = m.group(2)
    return m.group(1), ("a value is required" if reason == "is required" else reason)


class Reader:
    """Raw records to valid Persons through one mapping (or none): the one conversion."""

    def __init__(self, mapping: Optional[DataMapping], tabular: bool):
        self.mapping = mapping
        self.tabular = tabular

    def read(self, label: Any, raw: Any) -> Union[Person, Reject]:
        """A valid Person, or a Reject saying why not."""
        if isinstance(raw, sources.Unreadable):
            return reject(label, None, ((raw.field, raw.reason),))
        if not isinstance(raw, Mapping):
            return reject(label, None, (("", f"expected a mapping of facts, got {type(raw).__name__}"),))
        wrong = shape.problem(raw)       # too deep, or a key twice: before anything walks it
        if wrong is not None:
            return reject(label, self._pid(raw), (wrong,))
        try:
            record = self.mapping.apply(str(label), raw) if self.mapping else identity(raw, self.tabular)
            return person_from_dict(record, record=str(label))
        except RecordError as exc:
            return reject(label, self._pid(raw), tuple(split_message(m) for m in exc.messages))
        except Exception as exc:         # whatever else goes wrong with one record rejects it alone
            return reject(label, self._pid(raw), (("", f"this record could not be processed "
                                                       f"({type(exc).__name__})"),))

    def _pid(self, raw: Mapping[str, Any]) -> Optional[str]:
        pid = self._source_id(raw)
        return None if pid in (None, "") or isinstance(pid, (dict, list)) else str(pid)

    def _source_id(self, raw: Mapping[str, Any]) -> Any:
        try:
            return self.mapping.id.value(raw) if self.mapping else raw.get("id")
        except Exception:   # the id itself could not be mapped: the reject says why
            return None

    def warnings(self) -> list[str]:
        """The joined rows the mapping skipped (reading its joins now), once."""
        return self.mapping.load_joins() if self.mapping is not None else []


@attrs.define
class Records:
    """An opened source: its records as (label, raw), with what the source says about itself."""

    label: str
    records: Iterable[tuple[Any, Any]]
    tabular: bool
    source: Any = None

    @property
    def as_of(self) -> Optional[dt.date]:
        return getattr(self.source, "as_of", None)


def open_records(location: str, registry: Mapping[str, Callable[..., Any]], *, source: Optional[str] = None,
                 table: Optional[str] = None, query: Optional[str] = None) -> Records:
    """The records of ``location`` (a file, a database URL or ``sample``) through the source
    ``source`` of ``registry`` (default: chosen by the file's extension; sql for a URL)."""
    if table is not None and query is not None:
        raise DevrecsError("give --table or --query, not both")
    if location == SAMPLE and source is None:
        return _sample(registry)
    name = source or sources.name_for(location, registry)
    try:
        opened = sources.open_source(location, name, registry, table=table, query=query)
    except DevrecsError:
        raise
    except Exception as exc:     # a plugin's source: its fault is named, never a traceback
        raise sources.SourceError(f"the source '{name}' failed to open {location}: "
                                  f"{type(exc).__name__}: {exc}") from None
    return Records(getattr(opened, "label", location), _guarded(opened, name, location),
                   sources.is_tabular(opened), opened)


def _guarded(opened: Any, name: str, location: str) -> Iterator[tuple[Any, Any]]:
    """The source's records; an error it raises while reading names the source."""
    it: Any = iter(())
    try:
        try:
            it = iter(opened)
        except DevrecsError:
            raise
        except Exception as exc:
            raise sources.SourceError(f"the source '{name}' failed while reading {location}: "
                                      f"{type(exc).__name__}: {exc}") from None
        while True:
            try:
                item = next(it)
            except StopIteration:
                return
            except DevrecsError:
                raise
            except Exception as exc:
                raise sources.SourceError(f"the source '{name}' failed while reading {location}: "
                                          f"{type(exc).__name__}: {exc}") from None
            if not (isinstance(item, tuple) and len(item) == 2):
                raise sources.SourceError(f"the source '{name}' gave {type(item).__name__} for a record of "
                                          f"{location}; expected (label, record) pairs")
            yield item
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


def _sample(registry: Mapping[str, Callable[..., Any]]) -> Records:
    """The built-in synthetic sample organization (package data), read as any YAML file."""
    path = importlib.resources.files("devrecs").joinpath("data/sample.yaml")
    opened = registry["yaml"](str(path))
    opened.label = SAMPLE
    return Records(SAMPLE, opened, False, opened)


def read_mapping(path: Optional[str], registry: Optional[Mapping[str, Callable[..., Any]]] = None,
                 ) -> Optional[DataMapping]:
    """The mapping file at ``path`` (None: no mapping); its joins read through ``registry``."""
    return load_mapping(path, registry) if path else None


def check_columns(mapping: Optional[DataMapping], records: Records) -> Iterator[tuple[Any, Any]]:
    """The records, with a tabular source's first record checked against the mapping's columns."""
    it = iter(records.records)
    first = next(it, None)
    if first is None:
        return iter(())
    if mapping is not None and records.tabular and isinstance(first[1], Mapping):
        mapping.check(first[1], records.label)

    def chained() -> Iterator[tuple[Any, Any]]:
        yield first
        yield from it
    return chained()


def strict(results: Iterable[tuple[Any, Union[Person, Reject]]]) -> list[Person]:
    """Every person, or one DevrecsError listing every reject and duplicate id (for commands
    that need the whole population)."""
    good: list[Person] = []
    bad: list[str] = []
    seen: dict[str, str] = {}
    for label, item in results:
        if isinstance(item, Reject):
            bad.extend(item.lines())
        elif item.id in seen:
            bad.append(f"{label}, field 'id': duplicate id {item.id!r} (first in {seen[item.id]})")
        else:
            seen[item.id] = str(label)
            good.append(item)
    if bad:
        raise DevrecsError("\n".join(bad))
    return good


__all__ = ["Reader", "Records", "Reject", "SAMPLE", "check_columns", "open_records", "read_mapping",
           "reject", "split_message", "strict"]
