"""Turn raw person records (mappings from YAML, JSON, CSV ...) into Person.

A private cattrs converter does the work; every problem becomes one line
that names the record, the field path and what was expected, e.g.
``person 'p17', field 'gaps[1].severity': 'hihg' is not one of low, medium, high``.
Unknown keys are rejected, except under ``extra``.

Values are refused at this edge when the rest of devrecs could not take them
as they are: whole numbers below 0 or past 2**53 (numeric.py), numbers that
are not finite (also anywhere under ``extra``), a ``tenure_years`` below 0,
and text that is not valid Unicode (a lone surrogate such as ``"\\ud800"``,
which no output can write), in any field, ``extra`` keys and values included.

Clean records (the usual case) take a fast path that builds the same Person
with plain dict lookups; whatever it is not sure of goes to the converter, so
results and error messages are the converter's either way.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import typing
from typing import Any, Callable, Mapping, Optional, Union

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from .errors import RecordError, did_you_mean
from .facts import SENSITIVE_FACTS, sensitive_field, withhold_values
from .model import (
    Aspiration,
    CareerStage,
    Gap,
    HistoryEntry,
    LeadershipMotive,
    Outcome,
    PerformancePlan,
    Person,
    Pipeline,
    PipelineStatus,
    Rating,
    Track,
    plain,
)
from .numeric import EXACT_INT_LIMIT, number_problem
from .text import shown as _shown, text_problem as _text_problem

# career_stage, when absent, from tenure_years: under 3 years early,
# under 10 mid, 10 and more senior (documented in docs/facts.md).
EARLY_BELOW_YEARS = 3.0
SENIOR_FROM_YEARS = 10.0


class _Bad(ValueError):
    """A value that does not fit; the message says what was expected. ``at`` continues
    the field's path to the part that does not fit (``.key``, ``[0]``) inside a value."""

    def __init__(self, message: str, at: str = ""):
        super().__init__(message)
        self.at = at


def _value_problem(value: Any) -> Optional[tuple[str, str]]:
    """(where, why) for the first part of an ``extra`` value (or key) that cannot be taken:
    a number that is not finite or past +/- 2**53, or text with a lone surrogate. Flat
    values of plain types are checked in one loop; anything nested takes a walk that keeps
    its own stack, so deep values take no Python recursion."""
    if type(value) is dict:
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                fits = item.isascii() or _text_problem(item) is None
            elif kind is int:
                fits = -EXACT_INT_LIMIT <= item <= EXACT_INT_LIMIT
            elif kind is float:
                fits = item - item == 0.0       # finite
            else:
                fits = kind is bool or item is None
            if not fits or (type(key) is str and not key.isascii() and _text_problem(key) is not None):
                return _walk_problem(value)
        return None
    return _walk_problem(value)


def _walk_problem(value: Any) -> Optional[tuple[str, str]]:
    """_value_problem for any value, part by part."""
    stack = [("", value)]
    while stack:
        at, item = stack.pop()
        problem = None
        if isinstance(item, str):
            problem = _text_problem(item)
        elif isinstance(item, (int, float)):    # true/false: number_problem says nothing
            problem = number_problem(item)
        elif isinstance(item, Mapping):
            for key in reversed(list(item)):
                key_problem = _text_problem(key) if isinstance(key, str) else None
                if key_problem is not None:
                    return f"{at}.{_shown(key)}", f"the key: {key_problem}"
                stack.append((f"{at}.{_shown(str(key))}", item[key]))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{at}[{i}]", sub) for i, sub in reversed(list(enumerate(item))))
        if problem is not None:
            return at, problem
    return None


def _enum_hook(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, cls):
        return value
    names = [m.value for m in cls]
    if isinstance(value, str):
        v = value.strip()
        if v in names:
            return cls(v)
        if v.lower() in names:
            return cls(v.lower())
    raise _Bad(f"{value!r} is not one of {', '.join(names)}{did_you_mean(str(value), names)}")


def _int_hook(value: Any, _cls: type) -> int:
    """A level or a count of months: a whole number from 0 to 2**53."""
    whole: Optional[int] = None
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a whole number")
    if isinstance(value, int):
        whole = value
    elif isinstance(value, float) and value.is_integer():
        whole = int(value)
    elif isinstance(value, str):
        try:
            whole = int(value.strip())
        except ValueError:
            pass
    if whole is None:
        raise _Bad(f"{value!r} is not a whole number")
    if whole < 0:
        raise _Bad(f"{value!r} is negative: expected a whole number from 0")
    problem = number_problem(whole)
    if problem is not None:
        raise _Bad(problem)
    return whole


def _float_hook(value: Any, _cls: type) -> float:
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        f = float(value)
    elif isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            raise _Bad(f"{value!r} is not a number") from None
    else:
        raise _Bad(f"{value!r} is not a number")
    if not math.isfinite(f):
        raise _Bad(f"{value!r} is not a finite number")
    return f


def _str_hook(value: Any, _cls: type) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list, tuple)):
        raise _Bad(f"{value!r} is not a text value")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        problem = _text_problem(value)
        if problem is not None:
            raise _Bad(problem)
        return value
    raise _Bad(f"{value!r} is not a text value")


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _bool_hook(value: Any, _cls: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Bad(f"{value!r} is not true or false")


def _date_hook(value: Any, _cls: type) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _Bad(f"{value!r} is not a date (expected YYYY-MM-DD)")


def _extra_hook(value: Any, _cls: type) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Bad(f"{value!r} is not a mapping")
    problem = _value_problem(value)
    if problem is not None:
        raise _Bad(problem[1], at=problem[0])
    return {str(k): v for k, v in value.items()}


_ENUMS = (Track, Rating, CareerStage, Aspiration, LeadershipMotive, PerformancePlan, PipelineStatus, Outcome)


def _make_converter() -> cattrs.Converter:
    c = cattrs.Converter(forbid_extra_keys=True)
    for enum_cls in _ENUMS:
        c.register_structure_hook(enum_cls, _enum_hook)
    c.register_structure_hook(int, _int_hook)
    c.register_structure_hook(float, _float_hook)
    c.register_structure_hook(str, _str_hook)
    c.register_structure_hook(bool, _bool_hook)
    c.register_structure_hook(dt.date, _date_hook)
    c.register_structure_hook_func(lambda t: t == Mapping[str, Any], _extra_hook)
    return c


_converter = _make_converter()


def _messages(exc: BaseException, path: str = "") -> list[str]:
    """Flatten a cattrs error tree into 'field <path>: <problem>' lines."""
    out: list[str] = []
    if isinstance(exc, ForbiddenExtraKeysError):
        allowed = [f.name for f in attrs.fields(exc.cl)]
        for key in sorted(exc.extra_fields):
            key = _shown(key) if isinstance(key, str) else key
            where = f"{path}.{key}" if path else key
            out.append(f"field '{where}': unknown field{did_you_mean(key, allowed)}; "
                       f"put organization-specific facts under 'extra'")
        return out
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", []) or []:
                if isinstance(note, AttributeValidationNote):
                    sub_path = f"{path}.{note.name}" if path else note.name
                elif isinstance(note, IterableValidationNote):
                    sub_path = f"{path}[{note.index}]"
            out.extend(_messages(sub, sub_path))
        return out
    if isinstance(exc, KeyError):
        key = str(exc.args[0])
        full = path if path.split(".")[-1] == key else (f"{path}.{key}" if path else key)
        return [f"field '{full}' is required"]
    if isinstance(exc, _Bad):
        return [f"field '{path}{exc.at}': {exc}"]
    if isinstance(exc, (TypeError, ValueError, AttributeError)):
        return [f"field '{path}': {_type_hint(exc)}"]
    return [f"field '{path}': {exc}"]


def _withheld(message: str, data: Mapping[str, Any], everywhere: bool = False) -> str:
    """A problem line that quotes no value of a sensitive field (facts.SENSITIVE_FACTS)."""
    field = message[len("field '"):].split("'", 1)[0] if message.startswith("field '") else ""
    if field and sensitive_field(field):
        return withhold_values(message, [data.get(re.split(r"[.\[]", field, maxsplit=1)[0])])
    if everywhere:
        quoted = [data.get(f) for f in SENSITIVE_FACTS if f in data and str(data.get(f)) in message]
        return withhold_values(message, quoted) if quoted else message
    return message


def _type_hint(exc: BaseException) -> str:
    text = str(exc)
    if "NoneType" in text or "None" == text:
        return "a value is required"
    if "not iterable" in text or "mapping" in text or "attribute" in text:
        return "has the wrong shape (expected a list or a mapping as documented)"
    return text


def _record_name(raw: Any, record: Optional[str]) -> str:
    if record:
        return record
    if isinstance(raw, Mapping) and raw.get("id") not in (None, ""):
        return f"person {str(raw.get('id'))!r}"
    return "person (no id)"


# The fast path. Most records are plain dicts of clean values, and checking
# them through cattrs costs far more than the checks themselves. The functions
# below accept exactly the values the hooks above accept, convert them the same
# way with dict lookups and exact type checks, and build the attrs classes
# directly. On anything else they raise (_Unsure, or whatever a builtin
# conversion raises) and person_from_dict hands the record to the converter,
# so every error message still comes from the converter.


class _Unsure(Exception):
    """The fast path cannot tell how the converter would take this value."""


def _unsure(value: Any) -> Any:
    raise _Unsure


def _fast_enum(cls: type[enum.Enum]) -> Callable[[Any], Any]:
    """As _enum_hook: the member, its value, or its value after strip() and then lower()."""
    members = {m.value: m for m in cls}

    def convert(value: Any) -> enum.Enum:
        if type(value) is str:
            member = members.get(value)
            if member is None:
                text = value.strip()
                member = members.get(text, members.get(text.lower()))
            if member is not None:
                return member
        elif type(value) is cls:
            return value
        raise _Unsure

    return convert


def _fast_int(value: Any) -> int:
    if type(value) is int:
        whole = value
    elif type(value) is float and value.is_integer():
        whole = int(value)
    elif type(value) is str:
        whole = int(value.strip())
    else:
        raise _Unsure
    if 0 <= whole <= EXACT_INT_LIMIT:
        return whole
    raise _Unsure


def _fast_float(value: Any) -> float:
    if type(value) is str:
        value = float(value.strip())
    elif type(value) is int:
        value = float(value)
    elif type(value) is not float:
        raise _Unsure
    if not math.isfinite(value):
        raise _Unsure
    return value


def _fast_text(value: Any) -> str:
    if type(value) is str:
        if value.isascii() or _text_problem(value) is None:
            return value
        raise _Unsure
    if type(value) is int or type(value) is float:
        return str(value)
    raise _Unsure


def _fast_bool(value: Any) -> bool:
    if type(value) is bool:
        return value
    if type(value) is int and value in (0, 1):
        return bool(value)
    if type(value) is str:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _Unsure


def _fast_date(value: Any) -> dt.date:
    if type(value) is dt.date:
        return value
    if type(value) is dt.datetime:
        return value.date()
    if type(value) is str:
        return dt.date.fromisoformat(value.strip()[:10])
    raise _Unsure


def _fast_extra(value: Any) -> dict[str, Any]:
    if type(value) is dict and all(type(key) is str for key in value) and _value_problem(value) is None:
        return dict(value)
    raise _Unsure


def _fast_optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _fast_tuple(convert: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def convert_all(value: Any) -> tuple[Any, ...]:
        if type(value) is not list and type(value) is not tuple:
            raise _Unsure
        return tuple(map(convert, value))

    return convert_all


def _fast_record(cls: type) -> Callable[[Any], Any]:
    converters = {f.name: _fast_converter(f.type) for f in attrs.fields(cls)}

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise _Unsure
        return cls(**{key: converters[key](item) for key, item in value.items()})

    return convert


_FAST_SCALARS = {int: _fast_int, float: _fast_float, str: _fast_text, bool: _fast_bool, dt.date: _fast_date}


def _is_optional(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is Union and len(args) == 2 and args[1] is type(None)


def _given(tp: Any) -> Any:
    """X for Optional[X]: the type of a value that is not None."""
    return typing.get_args(tp)[0] if _is_optional(tp) else tp


def _fast_converter(tp: Any) -> Callable[[Any], Any]:
    """The fast conversion for a field type, as _make_converter's hooks would do it.
    A type it does not know takes every record that has the field to the converter."""
    args = typing.get_args(tp)
    if _is_optional(tp):
        return _fast_optional(_fast_converter(_given(tp)))
    if typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _fast_tuple(_fast_converter(args[0]))
    if tp == Mapping[str, Any]:
        return _fast_extra
    if tp in _ENUMS:
        return _fast_enum(tp)
    if attrs.has(tp):
        return _fast_record(tp)
    return _FAST_SCALARS.get(tp, _unsure)


# None in a person record means "not given" (as in _person_from_dict_cattrs), so
# these conversions never see None.
_PERSON_CONVERTERS = {f.name: _fast_converter(_given(f.type)) for f in attrs.fields(Person)}


def _fast_person(raw: dict[str, Any]) -> Person:
    """Person from a clean record, equal to what the converter makes; raises when not sure.
    An unknown key fails the converter lookup (KeyError), a missing required field fails
    the constructor (TypeError): the fast path gives up on those like on anything else."""
    kwargs = {key: _PERSON_CONVERTERS[key](value) for key, value in raw.items() if value is not None}
    if not kwargs["id"].strip() or kwargs.get("tenure_years", 0.0) < 0:
        raise _Unsure
    if "career_stage" not in kwargs and "tenure_years" in kwargs:
        kwargs["career_stage"] = stage_from_tenure(kwargs["tenure_years"])
    return Person(**kwargs)


def person_from_dict(raw: Any, record: Optional[str] = None) -> Person:
    """Build a Person from a mapping, or raise RecordError naming record and field.

    ``record`` names the record in errors (e.g. "people.csv row 12"); by
    default it is ``person '<id>'``. Derived facts are filled in here:
    ``career_stage`` from ``tenure_years`` when absent.
    """
    if type(raw) is dict:
        try:
            return _fast_person(raw)
        except Exception:  # anything the fast path is not sure of: the converter decides
            pass
    return _person_from_dict_cattrs(raw, record)


def _person_from_dict_cattrs(raw: Any, record: Optional[str] = None) -> Person:
    """person_from_dict through the converter: any record, every problem reported."""
    name = _record_name(raw, record)
    if isinstance(raw, Person):
        return raw
    if not isinstance(raw, Mapping):
        raise RecordError(name, [f"expected a mapping of facts, got {type(raw).__name__}"])
    data = {k: v for k, v in raw.items() if v is not None}
    if "id" not in data or str(data.get("id", "")).strip() == "":
        raise RecordError(name, ["field 'id' is required"])
    for key in ("gaps", "interests", "history"):
        if key in data and not isinstance(data[key], (list, tuple)):
            raise RecordError(name, [f"field '{key}': {data[key]!r} is not a list"])
    if "pipeline" in data and not isinstance(data["pipeline"], Mapping):
        raise RecordError(name, [f"field 'pipeline': {data['pipeline']!r} is not a mapping"])
    for key in ("gaps", "history"):
        for i, item in enumerate(data.get(key, ())):
            if not isinstance(item, Mapping):
                raise RecordError(name, [f"field '{key}[{i}]': {item!r} is not a mapping"])
    try:
        person = _converter.structure(data, Person)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        raise RecordError(name, [_withheld(m, data) for m in _messages(exc)]) from None
    except _Bad as exc:
        raise RecordError(name, [_withheld(str(exc), data, everywhere=True)]) from None
    if person.tenure_years is not None and person.tenure_years < 0:
        raise RecordError(name, [f"field 'tenure_years': {person.tenure_years!r} is negative: "
                                 f"expected a number of years from 0"])
    if person.career_stage is None and person.tenure_years is not None:
        person = attrs.evolve(person, career_stage=stage_from_tenure(person.tenure_years))
    return person


def with_facts(person: Person, facts: Mapping[str, Any]) -> Person:
    """``person`` with some top-level facts replaced by plain values (as in a record), equal to
    ``person_from_dict`` of the person's record with those values (which it falls back to when
    the fast path is not sure, so a value it refuses raises RecordError the same way). Explaining
    "what it would take" tries many such changes of one person."""
    try:
        changed = {key: None if value is None else _PERSON_CONVERTERS[key](value)
                   for key, value in facts.items()}
        new_id = changed.get("id")
        if new_id is not None and not new_id.strip():
            raise _Unsure
        person = attrs.evolve(person, **{k: (_default(k) if v is None else v) for k, v in changed.items()})
        if person.tenure_years is not None and person.tenure_years < 0:
            raise _Unsure
    except Exception:  # anything the fast path is not sure of: the whole record, as it would go
        return person_from_dict({**person_to_dict(person), **facts})
    if person.career_stage is None and person.tenure_years is not None:   # as person_from_dict derives it
        person = attrs.evolve(person, career_stage=stage_from_tenure(person.tenure_years))
    return person


def _default(name: str) -> Any:
    """The value of a Person field that is not given (None in a record means "not given")."""
    default: Any = _PERSON_FIELDS[name].default
    if default is attrs.NOTHING:
        raise _Unsure
    factory = getattr(default, "factory", None)      # an attrs.Factory (extra: a new dict each time)
    return default if factory is None else factory()


_PERSON_FIELDS = {f.name: f for f in attrs.fields(Person)}


def stage_from_tenure(years: float) -> CareerStage:
    if years < EARLY_BELOW_YEARS:
        return CareerStage.EARLY
    if years < SENIOR_FROM_YEARS:
        return CareerStage.MID
    return CareerStage.SENIOR


def person_to_dict(person: Person) -> dict[str, Any]:
    """The plain mapping of a Person (enums as their values, dates as ISO text)."""
    out = plain(person)
    return {k: v for k, v in out.items() if v not in (None, [], {})}


__all__ = ["person_from_dict", "person_to_dict", "with_facts", "stage_from_tenure", "Gap", "HistoryEntry", "Pipeline"]
