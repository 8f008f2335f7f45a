"""File sources: CSV, JSON Lines, JSON and YAML, each read one record at a time.

Every record is named by file and position: CSV by ``row`` (the line the
record starts on, the header being row 1, as a spreadsheet numbers it),
JSON Lines by ``line``, JSON and YAML by ``record`` (1 for the first).
A record that cannot be read (bytes that are not UTF-8, a truncated or
malformed line, JSON nested too deep for Python's reader, a YAML record that
passes a bound of ``rulefile.located``) comes as :class:`Unreadable` and the
file goes on where the format allows it. JSON is decoded by ``shape`` so that
a duplicate key can be refused later (``shape.problem``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from typing import Any, BinaryIO, Iterator, Optional

import yaml
from yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamStartEvent,
)

from ...errors import SourceError
from ...rulefile.located import EventLoader, Reader, YamlError
from . import RecordLabel, Unreadable, shape

Record = tuple[RecordLabel, Any]


def _open(location: str) -> BinaryIO:
    try:
        return open(location, "rb")
    except FileNotFoundError:
        raise SourceError(f"{location}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{location}: is a folder, not a file") from None
    except OSError as exc:
        raise SourceError(f"{location}: cannot read ({exc.strerror or exc})") from None


def _no_options(location: str, options: dict) -> None:
    if options:
        raise SourceError(f"{location}: {', '.join('--' + k for k in sorted(options))} "
                          f"only applies to a database source")


def _bad_bytes(text: str) -> Optional[str]:
    """A description of the first undecodable byte (kept as a surrogate), or None."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        byte = ord(text[exc.start]) - 0xDC00
        return f"byte 0x{byte:02x} at character {exc.start + 1}"


def _json_problem(exc: json.JSONDecodeError) -> str:
    return f"{exc.msg.removesuffix(' at')} at line {exc.lineno} column {exc.colno}" if exc.lineno > 1 else \
        f"{exc.msg.removesuffix(' at')} at column {exc.colno}"


def _as_of(value: Any, where: str) -> Optional[dt.date]:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SourceError(f"{where}: 'as_of' must be a date YYYY-MM-DD, got {value!r}") from None


class CsvSource:
    """Comma-separated values with a header row; UTF-8 with or without a BOM, CRLF or LF.

    Each record maps the header's column names to the row's text values.
    """

    extensions = (".csv",)
    tabular = True
    as_of = None

    def __init__(self, location: str, **options: Any):
        _no_options(location, options)
        self.location = location
        self.label = location
        _open(location).close()

    def columns(self) -> list[str]:
        with _open(self.location) as f:
            return self._header(csv.reader(self._text(f), strict=True))

    def _text(self, f: BinaryIO) -> io.TextIOWrapper:
        # surrogateescape keeps bad bytes as markers, so one bad row is rejected, not the file
        return io.TextIOWrapper(f, encoding="utf-8-sig", errors="surrogateescape", newline="")

    def _header(self, reader: Any) -> list[str]:
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise SourceError(f"{self.label} row 1: cannot read the header ({exc})") from None
        if not header:
            raise SourceError(f"{self.label}: empty file, expected a header row of column names")
        bad = _bad_bytes("".join(header))
        if bad:
            raise SourceError(f"{self.label} row 1: the header is not UTF-8 text ({bad})")
        header = [h.strip() for h in header]
        seen: set[str] = set()
        for n, name in enumerate(header, 1):
            if not name:
                raise SourceError(f"{self.label} row 1: column {n} has no name")
            if name in seen:
                raise SourceError(f"{self.label} row 1: column '{name}' appears twice")
            seen.add(name)
        return header

    def __iter__(self) -> Iterator[Record]:
        with _open(self.location) as f:
            reader = csv.reader(self._text(f), strict=True)
            header = self._header(reader)
            width = len(header)
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield RecordLabel(self.label, start), Unreadable(f"not valid CSV ({exc})")
                    if "end of data" in str(exc):
                        return
                    continue
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue   # a blank line is no record
                label = RecordLabel(self.label, start)
                bad = _bad_bytes("\x00".join(row))
                if bad:
                    col = next(i for i, v in enumerate(row) if _bad_bytes(v))
                    name = header[col] if col < width else f"column {col + 1}"
                    yield label, Unreadable(f"not UTF-8 text ({_bad_bytes(row[col])})", name)
                    continue
                if len(row) != width:
                    what = "truncated or misquoted line?" if len(row) < width else "a stray separator?"
                    yield label, Unreadable(f"has {len(row)} values but the header has {width} "
                                            f"columns ({what})")
                    continue
                yield label, dict(zip(header, row))


class JsonLinesSource:
    """JSON Lines: one JSON object per line; blank lines are skipped."""

    extensions = (".jsonl", ".ndjson")
    tabular = False
    as_of = None

    def __init__(self, location: str, **options: Any):
        _no_options(location, options)
        self.location = location
        self.label = location
        _open(location).close()

    def __iter__(self) -> Iterator[Record]:
        with _open(self.location) as f:
            for n, line in enumerate(f, 1):
                if n == 1 and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8):]
                if not line.strip():
                    continue
                label = RecordLabel(self.label, n, "line")
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield label, Unreadable(f"not UTF-8 text (byte 0x{line[exc.start]:02x} at "
                                            f"byte {exc.start + 1})")
                    continue
                text = text.rstrip("\r\n")
                try:
                    raw = shape.loads(text)
                except json.JSONDecodeError as exc:
                    what = "" if text.rstrip().endswith(("}", "]")) else "; truncated line?"
                    yield label, Unreadable(f"not valid JSON ({_json_problem(exc)}{what})")
                    continue
                except shape.TooDeep as exc:
                    yield label, Unreadable(f"cannot be read: {exc}")
                    continue
                if not isinstance(raw, dict):
                    yield label, Unreadable(f"expected a JSON object of facts, got {type(raw).__name__}")
                    continue
                yield label, raw


class JsonSource:
    """A JSON array of person objects, streamed one object at a time; or an object
    with ``people`` (the array) and ``as_of``, which is read whole."""

    extensions = (".json",)
    tabular = False
    CHUNK = 1 << 16

    def __init__(self, location: str, **options: Any):
        _no_options(location, options)
        self.location = location
        self.label = location
        self.as_of: Optional[dt.date] = None
        _open(location).close()

    def __iter__(self) -> Iterator[Record]:
        with _open(self.location) as f:
            text = io.TextIOWrapper(f, encoding="utf-8-sig", errors="surrogateescape")
            buf = text.read(self.CHUNK)
            start = len(buf) - len(buf.lstrip())
            if buf[start:start + 1] == "{":
                yield from self._whole(buf + text.read())
                return
            if buf[start:start + 1] != "[":
                raise SourceError(f"{self.label}: expected a JSON array of people, or an object "
                                  f"with 'people'")
            yield from self._stream(text, buf, start + 1)

    def _whole(self, text: str) -> Iterator[Record]:
        try:
            doc = shape.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{self.label}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
        except shape.TooDeep as exc:
            raise SourceError(f"{self.label}: cannot be read: {exc}") from None
        if isinstance(doc, shape.Duplicated):
            raise SourceError(f"{self.label}: the key '{doc.key}' appears more than once at the top of the file")
        people = doc.get("people")
        if not isinstance(people, list):
            raise SourceError(f"{self.label}: expected 'people' to be a list of people")
        self.as_of = _as_of(doc.get("as_of"), self.label)
        for n, raw in enumerate(people, 1):
            yield self._record(n, raw)

    def _record(self, n: int, raw: Any, dirty: bool = True) -> Record:
        label = RecordLabel(self.label, n, "record")
        if isinstance(raw, Unreadable):
            return label, raw
        if not isinstance(raw, dict):
            return label, Unreadable(f"expected a JSON object of facts, got {type(raw).__name__}")
        bad = dirty and _bad_bytes(json.dumps(raw, ensure_ascii=False))
        if bad:
            return label, Unreadable(f"not UTF-8 text ({bad} of the record)")
        return label, raw

    def _stream(self, text: io.TextIOWrapper, buf: str, pos: int) -> Iterator[Record]:
        dirty = bool(_bad_bytes(buf))   # some bytes were not UTF-8: check each record
        eof = False
        n = 0
        expect_item = True   # after '[' or ','

        def more() -> bool:
            nonlocal buf, pos, eof, dirty
            if eof:
                return False
            chunk = text.read(self.CHUNK)
            dirty = dirty or bool(_bad_bytes(chunk))
            buf, pos = buf[pos:] + chunk, 0
            eof = not chunk
            return bool(chunk)

        while True:
            while True:   # skip white space
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf) or not more():
                    break
            if pos >= len(buf):
                yield RecordLabel(self.label, n + 1, "record"), Unreadable(
                    "the file ends before the closing ']' (truncated file?)")
                return
            ch = buf[pos]
            if ch == "]" and (n == 0 or not expect_item):
                return
            if not expect_item:
                if ch != ",":
                    yield RecordLabel(self.label, n + 1, "record"), Unreadable(
                        f"expected ',' or ']' after record {n}, found {ch!r}; the rest of the file "
                        f"cannot be read")
                    return
                pos += 1
                expect_item = True
                continue
            while True:
                try:
                    raw, end = shape.raw_decode(buf, pos)
                    if end < len(buf) or eof:
                        break
                except shape.TooDeep as exc:
                    while (end := shape.value_end(buf, pos)) is None and more():
                        pass
                    if end is None:
                        yield RecordLabel(self.label, n + 1, "record"), Unreadable(
                            f"cannot be read: {exc}; the file ends inside it (truncated file?)")
                        return
                    raw = Unreadable(f"cannot be read: {exc}")   # rejected alone; the file goes on
                    break
                except json.JSONDecodeError as exc:
                    if not more():
                        what = ("truncated file?" if exc.pos >= len(buf.rstrip())
                                else "the rest of the file cannot be read")
                        yield RecordLabel(self.label, n + 1, "record"), Unreadable(
                            f"not valid JSON ({exc.msg.removesuffix(' at')}; {what})")
                        return
                    continue
                more()   # the value ends the buffer: read on, then decode again
            n += 1
            pos = end
            expect_item = False
            yield self._record(n, raw, dirty)


class YamlSource:
    """A YAML list of people, or a mapping with ``people:`` (and ``as_of:`` before it),
    parsed one person at a time by ``located.Reader`` (bounded; a record that passes a
    bound or repeats a key is rejected alone)."""

    extensions = (".yaml", ".yml")
    tabular = False

    def __init__(self, location: str, **options: Any):
        _no_options(location, options)
        self.location = location
        self.label = location
        self.as_of: Optional[dt.date] = None
        _open(location).close()

    def __iter__(self) -> Iterator[Record]:
        with _open(self.location) as f:
            loader = EventLoader(f)   # libyaml stops at 1,000 levels: past that the file ends there
            reader = Reader(self.label, located=False)
            self._count = 0
            self._inside = False   # reading a record (self._count)
            try:
                try:
                    for event_type in (StreamStartEvent, DocumentStartEvent):
                        if not loader.check_event(event_type):
                            raise SourceError(f"{self.label}: expected a list of people, or a mapping "
                                              f"with 'people:'")
                        loader.get_event()
                    if loader.check_event(SequenceStartEvent):
                        loader.get_event()
                        yield from self._items(reader, loader)
                        return
                    if not loader.check_event(MappingStartEvent):
                        raise SourceError(f"{self.label}: expected a list of people, or a mapping "
                                          f"with 'people:'")
                    loader.get_event()
                    found = False
                    while not loader.check_event(MappingEndEvent):
                        key = self._top(reader, loader)
                        if key == "people" and loader.check_event(SequenceStartEvent):
                            found = True
                            loader.get_event()
                            yield from self._items(reader, loader)
                        elif key == "as_of":
                            self.as_of = _as_of(self._top(reader, loader), self.label)
                        else:
                            self._top(reader, loader)   # read and drop
                    if not found:
                        raise SourceError(f"{self.label}: expected 'people:' with a list of people")
                finally:
                    loader.dispose()
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 1}" if mark else ""
                problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or exc
                if problem == "exceeded maximum nesting depth":   # libyaml's bound
                    problem = "mappings and lists nest deeper than 1,000 levels"
                yield RecordLabel(self.label, self._count + (0 if self._inside else 1), "record"), Unreadable(
                    f"not valid YAML{where} ({problem}); the rest of the file cannot be read")

    def _top(self, reader: Reader, loader: Any) -> Any:
        """A key or value of the file's top mapping; a problem in it stops the file."""
        try:
            return reader.value(loader.get_event)
        except YamlError as exc:
            p = exc.problem
            raise SourceError(f"{self.label}:{p.line}:{p.col}: {p.message}") from None

    def _items(self, reader: Reader, loader: Any) -> Iterator[Record]:
        while not loader.check_event(SequenceEndEvent):
            self._count += 1
            label = RecordLabel(self.label, self._count, "record")
            self._inside = True
            try:
                raw = reader.value(loader.get_event)
            except YamlError as exc:   # e.g. an impossible date 2025-13-01, a duplicate key, too deep
                reader.skip(loader.get_event, exc.open)
                self._inside = False
                p = exc.problem
                field = p.message.split("'")[1] if p.code == "E101" else ""
                yield label, Unreadable(f"cannot be read at line {p.line}: {p.message}", field)
                continue
            self._inside = False
            if not isinstance(raw, dict):
                yield label, Unreadable(f"expected a mapping of facts, got {type(raw).__name__}")
                continue
            yield label, raw
        loader.get_event()


__all__ = ["CsvSource", "JsonLinesSource", "JsonSource", "YamlSource"]
