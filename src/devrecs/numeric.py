"""The numbers devrecs takes, and the JSON text durable-rules reads them from.

durable-rules and the Python evaluator must read every number alike, so:

- a number must be finite: durable reads ``NaN`` as "no value" and cannot
  read ``Infinity`` at all;
- a whole number must lie within +/- 2**53 (``EXACT_INT_LIMIT``): durable
  keeps whole numbers as 64-bit integers (larger ones are clamped) and
  compares a whole number with a fraction as two doubles, which is exact
  only up to 2**53, where Python compares exactly;
- durable's JSON reader takes an exponent only after a '.' (``1.0e-05``,
  not ``1e-05``). Python writes ``1e-05``, ``1e+16`` or ``5e-324`` for
  floats below 1e-4 or from 1e16 on, which durable misreads (the fact
  loses the key) or, as the first fact of a session, dies on (SIGSEGV).
  ``durable_json`` writes such floats as ``1.0e-05``, which durable reads
  (with C's ``atof``) as exactly the same double.

Records and rules with a number outside these bounds are refused where
they are read (people.py, rulefile/parse.py), naming the field.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Optional

EXACT_INT_LIMIT = 2 ** 53
# A history month value of a rule (a months_ago test, within_months) lies within this many
# months either way: far past the clamp of history dates (facts.DAYS_LIMIT days), and small
# enough to turn into whole days without overflow.
MONTHS_LIMIT = 100_000

# JSON tokens: a string (skipped), or a number that starts right after ':', ',' or '[' (or the
# text) and has an exponent but no fraction (compact JSON, as durable_json writes it).
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(?:^|(?<=[:,\[]))(-?\d+)(?=[eE])')
_COMPACT = (",", ":")


def number_problem(value: Any) -> Optional[str]:
    """Why durable could not take this int or float exactly, or None when it can
    (None too for anything that is not a number, bool included)."""
    kind = type(value)
    if kind is float or (isinstance(value, float) and kind is not bool):
        if math.isfinite(value):
            return None
        return f"{value!r} is not a finite number"
    if kind is int or (isinstance(value, int) and kind is not bool):
        if -EXACT_INT_LIMIT <= value <= EXACT_INT_LIMIT:
            return None
        return (f"{_short(value)} is out of range: whole numbers must lie within "
                f"+/- 2**53 ({EXACT_INT_LIMIT}) to be compared exactly")
    return None


def _short(value: int) -> str:
    """A huge whole number, readable: its first digits and its length."""
    try:
        text = str(value)
    except ValueError:      # past Python's digit limit for int -> str
        return "a whole number of thousands of digits"
    return text if len(text) <= 24 else f"{text[:12]}... ({len(text.lstrip('-'))} digits)"


def _with_fraction(match: re.Match) -> str:
    digits = match.group(1)
    return match.group(0) if digits is None else digits + ".0"


def durable_json(value: Any) -> str:
    """Compact JSON of ``value`` that durable reads exactly as Python means it.

    Raises ValueError on NaN or an infinity (they must have been refused before)."""
    text = json.dumps(value, separators=_COMPACT, allow_nan=False)
    if not _has_exponent(text):
        return text
    return _TOKEN.sub(_with_fraction, text)


def _has_exponent(text: str) -> bool:
    """Whether a digit followed by 'e-' or 'e+' (how Python writes every exponent) is anywhere in
    the text. str.find runs at memory speed, where a regular expression takes as long as
    json.dumps itself; text such as "2e-mail" only sends the text the slow way."""
    for mark in ("e-", "e+"):
        at = text.find(mark)
        while at != -1:
            if at and text[at - 1] in "0123456789":
                return True
            at = text.find(mark, at + 2)
    return False


__all__ = ["EXACT_INT_LIMIT", "MONTHS_LIMIT", "durable_json", "number_problem"]
