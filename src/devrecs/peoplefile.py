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
import yaml

from .errors import DevrecsError, RecordError
from .model import Person
from .people import person_from_dict


@attrs.frozen
class PeopleFile:
    label: str
    records: tuple[tuple[str, Any], ...]     # (record name, raw mapping)
    as_of: Optional[dt.date] = None

    def people(self) -> Iterator[Person]:
        """Every person; raises RecordError listing every bad record."""
        good, bad = [], []
        for name, raw in self.records:
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
    return parse_people_text(text, label, jsonl=p.suffix == ".jsonl")


def parse_people_text(text: str, label: str, jsonl: bool = False) -> PeopleFile:
    if jsonl:
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DevrecsError(f"{label}:{n}: not valid JSON ({exc.msg})") from None
        doc: Any = records
    else:
        try:
            doc = yaml.safe_load(text)  # JSON is YAML too
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            raise DevrecsError(f"{label}{where}: not valid YAML or JSON ({getattr(exc, 'problem', exc)})") from None
        except ValueError as exc:  # e.g. an unquoted date that does not exist: 2025-13-01
            raise DevrecsError(f"{label}: a value YAML reads as a date is not a real date ({exc}); "
                               f"write dates as YYYY-MM-DD") from None
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
