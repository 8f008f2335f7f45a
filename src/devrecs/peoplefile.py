"""Read people from a YAML, JSON or JSON Lines file, and the built-in sample.

A file holds a list of person mappings, or a mapping with ``people:`` (and
optionally ``as_of:``, the date history is measured from). Each record is
named in errors by file and position, e.g. ``people.yaml record 3 (id 'p17')``.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
from pathlib import Path
from typing import Any, Iterator, Optional

import attrs

from .errors import DevrecsError, RecordError
from .model import Person
from .people import person_from_dict
from .rulefile import located
from .sources import shape


@attrs.frozen
class PeopleFile:
    label: str
    records: tuple[tuple[str, Any], ...]     # (record name, raw mapping)
    as_of: Optional[dt.date] = None

    def people(self) -> Iterator[Person]:
        """Every person; raises RecordError listing every bad record."""
        good, bad = [], []
        for name, raw in self.records:
            wrong = shape.problem(raw)
            if wrong is not None:
                bad.append(RecordError(name, [f"field '{wrong[0]}': {wrong[1]}"]))
                continue
            try:
                good.append(person_from_dict(raw, record=name))
            except RecordError as exc:
                bad.append(exc)
        if bad:
            raise DevrecsError("\n".join(str(e) for e in bad))
        ids: dict[str, str] = {}
        for (name, _), person in zip(self.records, good):
            if person.id in ids:
                raise RecordError(name, [f"duplicate id {person.id!r} (first in {ids[person.id]})"])
            ids[person.id] = name
        return iter(good)


def _name(label: str, index: int, raw: Any) -> str:
    pid = raw.get("id") if isinstance(raw, dict) else None
    return f"{label} record {index}" + (f" (id {str(pid)!r})" if pid not in (None, "") else "")


def read_people_file(path: str | Path) -> PeopleFile:
    p = Path(path)
    label = str(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DevrecsError(f"{label}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DevrecsError(f"{label}: cannot read ({exc})") from None
    return parse_people_text(text, label, jsonl=p.suffix == ".jsonl", json_text=p.suffix == ".json")


def parse_people_text(text: str, label: str, jsonl: bool = False, json_text: bool = False) -> PeopleFile:
    """The people of a file's text: JSON Lines, JSON (read as JSON, so escapes such as
    "\\ud83d\\ude00" mean what JSON says), or YAML (bounded, see rulefile.located)."""
    if jsonl:
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(shape.loads(line))
            except json.JSONDecodeError as exc:
                raise DevrecsError(f"{label}:{n}: not valid JSON ({exc.msg})") from None
            except shape.TooDeep as exc:
                raise DevrecsError(f"{label}:{n}: cannot be read: {exc}") from None
        doc: Any = records
    elif json_text:
        try:
            doc = shape.loads(text)
        except json.JSONDecodeError as exc:
            raise DevrecsError(f"{label}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
        except shape.TooDeep as exc:
            raise DevrecsError(f"{label}: cannot be read: {exc}") from None
        if isinstance(doc, shape.Duplicated):
            raise DevrecsError(f"{label}: the key '{doc.key}' appears more than once at the top of the file")
    else:
        try:
            doc = located.load(text, label, located=False)  # JSON is YAML too; bounded, no duplicate keys
        except located.YamlError as exc:
            p = exc.problem
            what = "not valid YAML or JSON (" + p.message.removeprefix("YAML syntax: ") + ")" \
                if p.message.startswith("YAML syntax") else p.message
            raise DevrecsError(f"{label}:{p.line}:{p.col}: {what}") from None
    as_of = None
    if isinstance(doc, dict):
        if "as_of" in doc:
            try:
                as_of = dt.date.fromisoformat(str(doc["as_of"]))
            except ValueError:
                raise DevrecsError(f"{label}: 'as_of' must be a date YYYY-MM-DD, got {doc['as_of']!r}") from None
        doc = doc.get("people")
    if not isinstance(doc, list):
        raise DevrecsError(f"{label}: expected a list of people, or a mapping with 'people:'")
    return PeopleFile(label, tuple((_name(label, i, raw), raw) for i, raw in enumerate(doc, 1)), as_of)


def sample_file() -> PeopleFile:
    """The built-in synthetic sample organization (package data)."""
    text = importlib.resources.files("devrecs").joinpath("data/sample.yaml").read_text(encoding="utf-8")
    return parse_people_text(text, "sample")
