"""devrecs plugin for a learning management system's export of completed courses."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
from collections import defaultdict
from pathlib import Path

import devrecs

ENV = "DEVRECS_LMS_CSV"
COLUMNS = ("person_id", "course", "intervention", "completed_on")


@functools.lru_cache(maxsize=4)
def load(path: str) -> dict[str, list[dict]]:
    """Completed courses by person id; a bad row is an error naming file and row."""
    by_person: dict[str, list[dict]] = defaultdict(list)
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise devrecs.DevrecsError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        for n, row in enumerate(reader, 2):
            try:
                day = dt.date.fromisoformat(row["completed_on"].strip())
            except ValueError:
                raise devrecs.DevrecsError(f"{path} row {n}, column 'completed_on': "
                                           f"{row['completed_on']!r} is not a date YYYY-MM-DD") from None
            by_person[row["person_id"].strip()].append(
                {"course": row["course"].strip(), "intervention": row["intervention"].strip(), "date": day})
    return dict(by_person)


def _courses() -> dict[str, list[dict]]:
    path = os.environ.get(ENV)
    return load(path) if path else {}


def facts_for(courses: list[dict], today: dt.date) -> dict:
    recent = [c for c in courses if (today - c["date"]).days <= 365]
    latest = max(courses, key=lambda c: c["date"]) if courses else None
    return {
        "lms_courses_last_year": len(recent),
        "lms_last_course": latest["course"] if latest else None,
        "history": [{"intervention": c["intervention"], "date": c["date"].isoformat(), "outcome": "completed"}
                    for c in courses],
    }


@devrecs.hookimpl
def devrecs_enrich_person(person):
    courses = _courses().get(person.id)
    if not courses:
        return None
    known = {(h.intervention, h.date.isoformat()) for h in person.history}
    facts = facts_for(courses, dt.date.today())
    facts["history"] = [h for h in facts["history"] if (h["intervention"], h["date"]) not in known]
    return {k: v for k, v in facts.items() if v is not None}


class LmsSource:
    """People of an LMS export, one record per person with their course history."""

    extensions = ()
    tabular = False

    def __init__(self, location: str, **options):
        self.location = location

    def __iter__(self):
        for n, (pid, courses) in enumerate(sorted(load(str(Path(self.location))).items()), 1):
            facts = facts_for(courses, dt.date.today())
            history = facts.pop("history")
            yield f"{self.location} person {n}", {"id": pid, "history": history,
                                                   "extra": {k: v for k, v in facts.items() if v is not None}}


@devrecs.hookimpl
def devrecs_register_sources(register):
    register("lms", LmsSource)
