"""The fact paths a rule may test, with their types.

This is the vocabulary of the rule language: the parser checks paths and
values against it (with did-you-mean), the compiler and the Python
evaluator read values through it, and explanations use ``sensitive`` and
``changeable``. Paths are those of domain.md; ``extra.<key>`` reaches an
organization's own facts.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from operator import attrgetter
from typing import Any, Optional, Sequence

import attrs

from .model import (
    Aspiration,
    CareerStage,
    LeadershipMotive,
    NINE_BOX,
    Outcome,
    PerformancePlan,
    Person,
    PipelineStatus,
    Rating,
    Track,
)

# A month is DAYS_PER_MONTH days (a 365.25-day year over 12); history dates
# count as whole days ago, clamped to DAYS_LIMIT days either way.
DAYS_PER_MONTH = 30.4375
DAYS_LIMIT = 40000
# Not a fact a rule names: how many days back from the run's date the person's
# history is complete (DAYS_LIMIT: always was; None: not complete). History
# tests read it to tell "no such entry" from "not recorded" (conditions.py).
HISTORY_KNOWN_DAYS = "history_known_days"


@attrs.frozen
class FactSpec:
    """What a fact path holds.

    kind: enum | int | float | bool | str | strlist | items | any
    values: the allowed values of an enum, in order (low to high when ``ordered``)
    item_fields: for ``items`` lists (gaps, history), the spec of each item field
    sensitive: which audiences may NOT see it (domain.md)
    changeable: whether a person or manager can set it (explain.py's "what it would
        take" has its own list of the changes a person can make, clocks that grow included)
    """

    kind: str
    values: tuple[str, ...] = ()
    ordered: bool = False
    item_fields: Optional[dict] = None
    hidden_from: tuple[str, ...] = ()
    changeable: bool = True
    doc: str = ""


def _enum(cls: type[enum.Enum], ordered: bool = False, **kw: Any) -> FactSpec:
    return FactSpec("enum", tuple(m.value for m in cls), ordered=ordered, **kw)


SKILLS = (
    "communication", "strategic_thinking", "conflict", "change", "ambiguity", "vision",
    "senior_leadership_connection", "influencing", "presenting", "negotiation",
    "project_management", "time_management", "new_technology",
)

GAP_FIELDS = {
    "skill": FactSpec("str", doc="skill id, see SKILLS"),
    "severity": _enum(Rating, ordered=True),
    "source": FactSpec("str"),
}

HISTORY_FIELDS = {
    "intervention": FactSpec("str", doc="intervention id"),
    "outcome": _enum(Outcome),
    "months_ago": FactSpec("float", doc="months between the entry's date and the run's date"),
}

PERSON_FACTS: dict[str, FactSpec] = {
    "id": FactSpec("str", changeable=False),
    "name": FactSpec("str", changeable=False),
    "track": _enum(Track),
    "level": FactSpec("int"),
    "career_stage": _enum(CareerStage, ordered=True, changeable=False),
    "performance": _enum(Rating, ordered=True),
    "potential": _enum(Rating, ordered=True),
    "nine_box": FactSpec("enum", tuple(NINE_BOX.values()), doc="derived from performance and potential"),
    "aspiration": _enum(Aspiration),
    "leadership_motive": _enum(LeadershipMotive),
    "gaps": FactSpec("items", item_fields=GAP_FIELDS),
    "interests": FactSpec("strlist"),
    "engagement": _enum(Rating, ordered=True),
    "flight_risk": _enum(Rating, ordered=True),
    "performance_plan": _enum(PerformancePlan, ordered=True, hidden_from=("executive",)),
    # health data: never proposed as a change ("what it would take")
    "wellbeing_concern": FactSpec("bool", hidden_from=("manager", "executive"), changeable=False),
    "months_in_role": FactSpec("int", changeable=False),
    "months_since_promotion": FactSpec("int", changeable=False),
    "tenure_years": FactSpec("float", changeable=False),
    "compa_ratio": FactSpec("float"),
    "pipeline.status": _enum(PipelineStatus),
    "pipeline.months_waiting": FactSpec("int", changeable=False),
    "manager_id": FactSpec("str", changeable=False),
    "history": FactSpec("items", item_fields=HISTORY_FIELDS, changeable=False),
    "history_complete": FactSpec("bool", changeable=False,
                                 doc="the source holds the whole development history (since history_since)"),
}

EXTRA_SPEC = FactSpec("any", doc="an organization's own fact")


def spec_for(path: str, facts: dict[str, FactSpec] = PERSON_FACTS) -> Optional[FactSpec]:
    """The spec of a path, or None when it is not a known fact."""
    if path in facts:
        return facts[path]
    if facts is PERSON_FACTS and path.startswith("extra.") and len(path) > len("extra."):
        return EXTRA_SPEC
    return None


# Protected attributes: organizations may keep them under ``extra`` for the
# fairness audit, but no rule may test them (parse error E140). Names match
# loosely ("MaritalStatus" is marital_status); DEVRECS_PROTECTED_ATTRIBUTES
# (comma-separated) adds more.
DEFAULT_PROTECTED = ("gender", "sex", "age", "ethnicity", "race", "marital_status", "disability",
                     "religion", "nationality", "sexual_orientation", "pregnancy")


def normal_key(name: str) -> str:
    """An attribute name compared loosely: lowercase letters and digits only."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


PROTECTED_ATTRIBUTES = frozenset(normal_key(n) for n in DEFAULT_PROTECTED + tuple(
    n for n in os.environ.get("DEVRECS_PROTECTED_ATTRIBUTES", "").split(",") if n.strip()))


def normal_word(text: str) -> str:
    """Interests compare as lowercase words joined by hyphens: 'Public Speaking' is 'public-speaking'."""
    return "-".join(str(text).lower().replace("_", " ").split())


def months_between(earlier: dt.date, later: dt.date) -> float:
    return (later - earlier).days / DAYS_PER_MONTH


def _plain(value: Any) -> Any:
    """An enum member as its value (``_value_``: cheaper than ``.value``); anything else as is."""
    return value._value_ if isinstance(value, enum.Enum) else value


def _read_extra(key: str):
    def read(person: Person, as_of: dt.date) -> Any:
        value = person.extra.get(key)
        return value if isinstance(value, (str, bool, int, float)) else None
    return read


def _read_gaps(person: Person, as_of: dt.date) -> list:
    return [{"skill": g.skill, "severity": g.severity._value_, "source": g.source} for g in person.gaps]


def _read_history(person: Person, as_of: dt.date) -> list:
    out = []
    for h in person.history:
        days = max(-DAYS_LIMIT, min(DAYS_LIMIT, (as_of - h.date).days))
        out.append({"intervention": h.intervention, "outcome": h.outcome._value_,
                    "months_ago": round(days / DAYS_PER_MONTH, 1), "days_ago": days})
    return out


def _read_history_known_days(person: Person, as_of: dt.date) -> Optional[int]:
    if not person.history_complete:
        return None
    if person.history_since is None:
        return DAYS_LIMIT
    return max(-DAYS_LIMIT, min(DAYS_LIMIT, (as_of - person.history_since).days))


def _read_interests(person: Person, as_of: dt.date) -> list:
    return [normal_word(i) for i in person.interests]


def _read_pipeline(name: str):
    def read(person: Person, as_of: dt.date) -> Any:
        return None if person.pipeline is None else _plain(getattr(person.pipeline, name))
    return read


def _read_attribute(name: str):
    def read(person: Person, as_of: dt.date) -> Any:
        return _plain(getattr(person, name))
    return read


_LIST_READERS = {"gaps": _read_gaps, "history": _read_history, "interests": _read_interests}
_DERIVED_READERS = {HISTORY_KNOWN_DAYS: _read_history_known_days}
_readers: dict[str, Any] = {}


def fact_reader(path: str):
    """A function ``(person, as_of) -> value`` reading ``path`` as ``fact_value`` does;
    made once per path, for code that reads the same paths of many people."""
    read = _readers.get(path)
    if read is None:
        if path.startswith("extra."):
            read = _read_extra(path[len("extra."):])
        elif path in _LIST_READERS:
            read = _LIST_READERS[path]
        elif path in _DERIVED_READERS:
            read = _DERIVED_READERS[path]
        elif path.startswith("pipeline."):
            read = _read_pipeline(path[len("pipeline."):])
        else:
            read = _read_attribute(path)
        _readers[path] = read
    return read


def values_reader(paths: Sequence[str]):
    """A function ``(person, as_of) -> {path: value}`` for these paths, read as ``fact_value``
    reads them; the person's own attributes are taken in one step."""
    own = [p for p in dict.fromkeys(paths) if "." not in p and p not in _LIST_READERS
           and p not in _DERIVED_READERS]
    rest = [(p, fact_reader(p)) for p in dict.fromkeys(paths) if p not in own]
    take = attrgetter(*own) if len(own) > 1 else (lambda person: tuple(getattr(person, p) for p in own))

    def read(person: Person, as_of: dt.date) -> dict[str, Any]:
        values = dict(zip(own, [v._value_ if isinstance(v, enum.Enum) else v for v in take(person)]))
        for path, read_one in rest:
            values[path] = read_one(person, as_of)
        return values

    return read


def fact_value(person: Person, path: str, as_of: dt.date) -> Any:
    """The value a rule sees at ``path``: plain str/int/float/bool, a list, or None.

    Item lists (gaps, history) come as lists of plain dicts; history items
    carry ``months_ago`` relative to ``as_of``. A non-scalar ``extra``
    value is not testable and reads as None.
    """
    return fact_reader(path)(person, as_of)


# Facts of a manager's team (scope "team"), computed by org.team_facts from
# the people who report to that manager. The recommendation goes to the manager.
TEAM_FACTS: dict[str, FactSpec] = {
    "manager_id": FactSpec("str", changeable=False, doc="the team's manager"),
    "reports": FactSpec("int", doc="direct reports"),
    "ic_reports": FactSpec("int", doc="direct reports on the individual contributor track"),
    "high_flight_risk_reports": FactSpec("int", doc="direct reports with flight_risk high"),
    "low_engagement_reports": FactSpec("int", doc="direct reports with engagement low"),
    "share_low_engagement": FactSpec("float", doc="share (0-1) of direct reports with engagement low"),
    "high_potential_ics": FactSpec("int", doc="IC reports rated potential high"),
    "graduates_waiting": FactSpec("int", doc="reports who graduated the pipeline and wait for a seat"),
    "share_ic_developing": FactSpec("float", doc="share (0-1) of IC reports with development in the last 12 months"),
    "manager_months_in_role": FactSpec("int", changeable=False),
    "manager_engagement": _enum(Rating, ordered=True),
}

# Facts of the whole organization (scope "organization"), computed by
# org.organization_facts; open_leadership_positions is supplied by the caller.
ORG_FACTS: dict[str, FactSpec] = {
    "headcount": FactSpec("int"),
    "ics": FactSpec("int", doc="people on the individual contributor track"),
    "managers": FactSpec("int", doc="people on the manager track"),
    "high_potential_ics": FactSpec("int"),
    "senior_ics": FactSpec("int", doc="ICs at level 4 or above: people who advanced without managing"),
    "share_ic_technical_aspiration": FactSpec("float", doc="share (0-1) of ICs who want a technical path"),
    "share_ic_developing": FactSpec("float", doc="share (0-1) of ICs with development in the last 12 months"),
    "graduates_waiting": FactSpec("int", doc="pipeline graduates without a leadership seat"),
    "graduates_waiting_max_months": FactSpec("int"),
    "open_leadership_positions": FactSpec("int", doc="supplied by the caller (default 0)"),
    "stagnant_leaders": FactSpec("int", doc="managers 60+ months in role with low engagement"),
    "flight_risk_hotspots": FactSpec("int", doc="managers with 3 or more high-flight-risk reports"),
}

SCOPES: dict[str, dict[str, FactSpec]] = {"person": PERSON_FACTS, "team": TEAM_FACTS,
                                          "organization": ORG_FACTS}
# the fact-type mark every compiled rule of a scope tests (durable matches only facts carrying it)
SCOPE_MARKS = {"person": 1, "team": 2, "organization": 3}
