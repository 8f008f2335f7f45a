"""The shape a record must have before it is mapped, and JSON decoded to keep it checkable.

A record (a mapping of facts, from any source) is refused when its values nest
more than ``MAX_DEPTH`` mappings and lists deep, or when one of its mappings
had the same key twice: two ``wellbeing_concern`` keys must not quietly become
the last one. :func:`problem` says which, with the field, walking the record
without recursion.

JSON has no rule against duplicate keys and Python's reader keeps the last
one, so :func:`loads` and :data:`DECODER` build a mapping that had one as a
:class:`Duplicated` dict that remembers the key; :func:`problem` finds it.
A JSON text nested too deep for Python's reader raises :class:`TooDeep`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

# Mappings and lists inside one record, at most (a person's facts need a handful).
MAX_DEPTH = 32


class Duplicated(dict):
    """A JSON object that had ``key`` more than once (the last value was kept)."""

    key: Any = None


class TooDeep(ValueError):
    """JSON nested deeper than Python's reader goes."""


def _pairs(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set = set()
    marked = Duplicated(out)
    marked.key = next(k for k, _ in pairs if k in seen or seen.add(k))
    return marked


DECODER = json.JSONDecoder(object_pairs_hook=_pairs)


def loads(text: str) -> Any:
    """JSON text decoded like ``json.loads``, with duplicate keys kept as evidence."""
    try:
        return DECODER.decode(text)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels") from None


def raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """``DECODER.raw_decode``, raising TooDeep for JSON nested too deep for Python."""
    try:
        return DECODER.raw_decode(text, pos)
    except RecursionError:
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels") from None


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def value_end(text: str, pos: int) -> Optional[int]:
    """Where the JSON array or object starting at ``text[pos]`` ends (just after it), found
    without decoding it; None when ``text`` ends first."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text, pos):
        ch = token.group()
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    return None


def _field(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_NESTED = (dict, list, tuple)


def problem(record: Any) -> Optional[tuple[str, str]]:
    """``(field, reason)`` when ``record`` nests too deep or had a duplicate key, else None."""
    if type(record) is dict:     # flat (every CSV or SQL row): nothing to walk
        for v in record.values():
            if isinstance(v, _NESTED):
                break
        else:
            return None
    todo: list[tuple[Any, tuple, int]] = [(record, (), 1)]
    while todo:
        value, path, depth = todo.pop()
        if isinstance(value, dict):
            if isinstance(value, Duplicated):
                key = _field(path + (value.key,))
                return key, f"the key '{value.key}' appears more than once in the record; give it once"
            items: Any = value.items()
        elif isinstance(value, (list, tuple)):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_DEPTH:
            return _field(path), f"nested deeper than {MAX_DEPTH} levels of mappings and lists"
        for key, item in items:
            if isinstance(item, _NESTED):
                todo.append((item, path + (key,), depth + 1))
    return None


__all__ = ["DECODER", "Duplicated", "MAX_DEPTH", "TooDeep", "loads", "problem", "raw_decode", "value_end"]
