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
import re
from operator import attrgetter
from typing import Any, Collection, Optional, Sequence

import attrs

from .model import (
    NINE_BOX,
    Aspiration,
    CareerStage,
    LeadershipMotive,
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
    # audiences for whom the fact may drive an item but is never named, quoted or hinted at
    # (domain.md: "unquoted"); an explanation for them says the item comes from the talent review
    unquoted_for: tuple[str, ...] = ()
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
    "potential": _enum(Rating, ordered=True, unquoted_for=("employee",)),
    "nine_box": FactSpec("enum", tuple(NINE_BOX.values()), unquoted_for=("employee",),
                         doc="derived from performance and potential"),
    "aspiration": _enum(Aspiration),
    "leadership_motive": _enum(LeadershipMotive, unquoted_for=("employee",)),
    "gaps": FactSpec("items", item_fields=GAP_FIELDS),
    "interests": FactSpec("strlist"),
    "engagement": _enum(Rating, ordered=True, unquoted_for=("employee",)),
    "flight_risk": _enum(Rating, ordered=True, unquoted_for=("employee",)),
    "performance_plan": _enum(PerformancePlan, ordered=True, hidden_from=("executive",)),
    # health data: never proposed as a change ("what it would take")
    "wellbeing_concern": FactSpec("bool", hidden_from=("manager", "executive"), changeable=False),
    "months_in_role": FactSpec("int", changeable=False),
    "months_since_promotion": FactSpec("int", changeable=False),
    "tenure_years": FactSpec("float", changeable=False),
    "compa_ratio": FactSpec("float", unquoted_for=("employee",)),
    "pipeline.status": _enum(PipelineStatus),
    "pipeline.months_waiting": FactSpec("int", changeable=False),
    "manager_id": FactSpec("str", changeable=False),
    "history": FactSpec("items", item_fields=HISTORY_FIELDS, changeable=False),
    "history_complete": FactSpec("bool", changeable=False,
                                 doc="the source holds the whole development history (since history_since)"),
}

EXTRA_SPEC = FactSpec("any", doc="an organization's own fact")

# Facts hidden from some audience (domain.md). An error about one never quotes its value: the
# error may reach an audience that may not see it (a batch run for executives, a terminal
# a manager reads), so it names the field and what was expected, not what was there.
SENSITIVE_FACTS = frozenset(path for path, spec in PERSON_FACTS.items() if spec.hidden_from)
_SUGGESTION = re.compile(r" \(did you mean '[^']*'\?\)")


def sensitive_field(field: str) -> bool:
    """Whether a field path of a record (``wellbeing_concern``, ``performance_plan``) is sensitive."""
    return re.split(r"[.\[]", field, maxsplit=1)[0] in SENSITIVE_FACTS


def withhold_values(message: str, values: Sequence[Any]) -> str:
    """``message`` (about a sensitive field) without the raw ``values`` it may quote, and without a
    did-you-mean (which would hint at the value)."""
    out = message
    for value in values:
        if value is None or value == "":
            continue
        for text in dict.fromkeys((repr(value), repr(str(value)), f'"{value}"')):
            out = out.replace(f"value {text}", "the value").replace(text, "the value")
        if len(str(value)) >= 6:
            out = out.replace(str(value), "the value")
    out = _SUGGESTION.sub("", out)
    return out + " (not shown: a sensitive field)"


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

# Protected attributes by other names. A name is split into words ("GenderCode", "gender_code"
# and "gender code" are gender + code; "yearOfBirth" is year + of + birth); a word below names
# the attribute it stands for. A name with such a word (or a long one inside a run-on word:
# "employeegender") is protected for sure (E140); a name that only looks like one (a short
# word inside another, "empage"; a near spelling, "gendr") is a guess (lint L140), which an
# organization may settle by declaring the fact not protected (NOT_PROTECTED_ENV, or
# ``not_protected:`` in a mapping file).
PROTECTED_WORDS = {
    "gender": "gender", "genders": "gender", "sex": "sex", "sexes": "sex", "age": "age", "ages": "age",
    "aged": "age", "birth": "age", "birthday": "age", "birthdate": "age", "birthyear": "age",
    "dob": "age", "yob": "age", "born": "age", "ethnicity": "ethnicity", "ethnic": "ethnicity",
    "race": "race", "racial": "race", "marital": "marital_status", "married": "marital_status",
    "spouse": "marital_status", "disability": "disability", "disabled": "disability",
    "religion": "religion", "religious": "religion", "faith": "religion", "nationality": "nationality",
    "citizenship": "nationality", "orientation": "sexual_orientation", "pregnancy": "pregnancy",
    "pregnant": "pregnancy", "maternity": "pregnancy",
}
PROTECTED_WORDS.update({normal_key(n): normal_key(n) for n in PROTECTED_ATTRIBUTES})
NOT_PROTECTED_ENV = "DEVRECS_NOT_PROTECTED"
_LONG_WORD = 5          # protected words this long are found inside run-on names too
# short protected words (age, sex, race, dob) are looked for inside a run-on word only with
# these around them: "empage", "agegroup", "sexcode"; never inside English words (manager, usage)
_RUN_ON_PREFIXES = frozenset({"emp", "empl", "employee", "person", "staff", "worker", "user", "member", "curr",
                              "current", "actual", "my", "cand", "candidate"})
_RUN_ON_SUFFIXES = frozenset({"group", "grp", "band", "bucket", "code", "cd", "cat", "category", "class", "years",
                              "yrs", "flag", "id", "type", "value", "val", "range", "bracket", "key"})


@attrs.frozen
class ProtectedName:
    """Why a fact name is (or may be) a protected attribute."""

    attribute: str       # the protected attribute it stands for, e.g. "age"
    certain: bool        # True: refused (E140); False: a guess (lint L140)
    reason: str          # e.g. "its name has the word 'birth' (age)"


def name_words(name: str) -> list[str]:
    """The words of a fact name: split at case changes, digits and anything not a letter."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^a-z]+", spaced.lower()) if w]


def not_protected_names() -> frozenset[str]:
    """Fact names declared not protected through NOT_PROTECTED_ENV (comma-separated)."""
    return frozenset(normal_key(n) for n in os.environ.get(NOT_PROTECTED_ENV, "").split(",") if n.strip())


def protected_name(name: str, declared_safe: frozenset[str] = frozenset()) -> Optional[ProtectedName]:
    """Whether an ``extra`` fact (or a source column) named ``name`` is a protected attribute.

    ``declared_safe``: names (loosely, see ``normal_key``) an organization declared not protected;
    they, and those of NOT_PROTECTED_ENV, are never guesses (a name that is a protected
    attribute outright stays refused)."""
    key = normal_key(name)
    if not key:
        return None
    if key in PROTECTED_ATTRIBUTES:
        return ProtectedName(key, True, f"'{name}' is the protected attribute '{key}'")
    words = name_words(name)
    joined = "".join(words)
    for word in words:
        if word in PROTECTED_WORDS:
            return ProtectedName(PROTECTED_WORDS[word], True,
                                 f"its name has the word '{word}' ({PROTECTED_WORDS[word]})")
    for i in range(len(words) - 1):        # "date of birth", "year of birth": two or three words
        for j in (i + 2, i + 3):
            piece = "".join(words[i:j])
            if piece in PROTECTED_WORDS:
                return ProtectedName(PROTECTED_WORDS[piece], True,
                                     f"its name has '{' '.join(words[i:j])}' ({PROTECTED_WORDS[piece]})")
    for word, attribute in PROTECTED_WORDS.items():
        if len(word) >= _LONG_WORD and word in joined:
            return ProtectedName(attribute, True, f"its name contains '{word}' ({attribute})")
    if re.fullmatch(r"(over|under|above|below)\d{1,3}", key):
        return ProtectedName("age", True, f"'{name}' says whether a person is {key.rstrip('0123456789')} an age")
    if key in declared_safe or key in not_protected_names():
        return None
    for w in words:        # a short word run on with a usual prefix or suffix: "empage", "sexcode"
        for word, attribute in PROTECTED_WORDS.items():
            if len(word) >= _LONG_WORD or len(w) <= len(word):
                continue
            if (w.endswith(word) and w[:-len(word)] in _RUN_ON_PREFIXES) or \
                    (w.startswith(word) and w[len(word):] in _RUN_ON_SUFFIXES):
                return ProtectedName(attribute, False, f"its name has '{w}', which may mean {attribute}")
    import difflib
    for w in words:
        if len(w) >= _LONG_WORD - 1:
            close = difflib.get_close_matches(w, [k for k in PROTECTED_WORDS if len(k) >= _LONG_WORD], n=1,
                                              cutoff=0.8)
            if close:
                return ProtectedName(PROTECTED_WORDS[close[0]], False,
                                     f"its name has '{w}', spelled like '{close[0]}' ({PROTECTED_WORDS[close[0]]})")
    return None


_GENDER_CODES = frozenset({"m", "f", "male", "female", "man", "woman", "men", "women", "w", "x", "d", "nb",
                           "nonbinary", "diverse", "other", "unknown", "u", "mr", "mrs", "ms"})


def protected_values(values: Sequence[Any]) -> Optional[str]:
    """Why values of one fact look like a protected attribute's (a guess), or None: gender codes
    (only M/F-like values, both M- and F-like ones present), years of birth (whole numbers
    1900-2015 with most before 2005) or dates of birth (dates in those years)."""
    seen = [v for v in values if v is not None and v != ""]
    if len(seen) < 2:
        return None
    texts = {normal_key(v) for v in seen if isinstance(v, str)}
    if len(texts) == len({str(v) for v in seen}) and texts <= _GENDER_CODES and len(texts) >= 2 \
            and texts & {"m", "male", "man", "men", "mr"} \
            and texts & {"f", "female", "woman", "women", "w", "mrs", "ms"}:
        return f"its values ({', '.join(sorted(texts))}) look like gender codes"
    years = []
    for v in seen:
        if isinstance(v, bool):
            return None
        if isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit()):
            years.append(int(v))
        elif isinstance(v, (dt.date, str)) and re.match(r"^\s*(19|20)\d\d-\d\d-\d\d", str(v)):
            years.append(int(str(v).strip()[:4]))
        else:
            return None
    if years and all(1900 <= y <= 2015 for y in years) and sum(y < 2005 for y in years) * 2 > len(years) \
            and len(set(years)) >= 2:
        kind = "dates" if any(isinstance(v, (dt.date, str)) and "-" in str(v) for v in seen) else "years"
        return f"its values look like {'dates' if kind == 'dates' else 'years'} of birth ({min(years)}-{max(years)})"
    return None


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


def values_reader(paths: Collection[str]):
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
