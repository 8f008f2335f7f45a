"""Safe, bounded YAML with line and column numbers kept for every value.

``load(text, file)`` returns plain-looking Python values: mappings are
``LMap`` (a dict) and sequences ``LSeq`` (a list); both remember where
they and each of their items start, so every error can say file:line:col.
``load(text, file, located=False)`` builds plain dicts and lists (data
files), and :class:`Reader` reads one value at a time from a stream of YAML
events (a data source read record by record).

This is the one way devrecs reads YAML. Only YAML's safe types are built:
nothing in a file is executed. Values are built from the parser's events
without recursion, and every document is bounded:

- mappings and lists nest at most ``MAX_DEPTH`` levels deep;
- aliases (``*name``) may add at most ``MAX_ALIAS_VALUES`` values in all,
  counted as if each alias were written out (so a "billion laughs" document
  fails at the alias that crosses the bound, in milliseconds);
- an alias inside the value its own anchor names (a recursive alias) is refused;
- the same key twice in one mapping is refused.
Each of these raises :class:`YamlError` with file:line:col (code E100, or
E101 for a duplicate key).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from yaml.resolver import Resolver

from ..errors import Problem


class Loc(tuple):
    """(line, col), both 1-based."""

    @property
    def line(self) -> int:
        return self[0]

    @property
    def col(self) -> int:
        return self[1]


def _loc(node: yaml.Node) -> Loc:
    return Loc((node.start_mark.line + 1, node.start_mark.column + 1))


class LMap(dict):
    """A dict that knows where it, its keys and its values are."""

    loc: Loc = Loc((1, 1))

    def __init__(self, *a: Any, **kw: Any):
        super().__init__(*a, **kw)
        self.key_locs: dict[Any, Loc] = {}
        self.value_locs: dict[Any, Loc] = {}

    def key_loc(self, key: Any) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: Any) -> Loc:
        return self.value_locs.get(key, self.key_loc(key))


class LSeq(list):
    """A list that knows where it and each item are."""

    loc: Loc = Loc((1, 1))

    def __init__(self, *a: Any):
        super().__init__(*a)
        self.item_locs: list[Loc] = []

    def item_loc(self, index: int) -> Loc:
        if 0 <= index < len(self.item_locs):
            return self.item_locs[index]
        return self.loc


def loc_of(value: Any, default: Loc = Loc((1, 1))) -> Loc:
    return getattr(value, "loc", default)


class YamlError(Exception):
    """A YAML problem at a place; ``open`` is how many mappings and lists were left
    unfinished by it (what a stream reader must skip to reach the next value)."""

    def __init__(self, problem: Problem, open: int = 0):
        self.problem = problem
        self.open = open
        super().__init__(str(problem))


# Mappings and lists inside one another, at most (a rule's condition tree needs a few dozen).
MAX_DEPTH = 100
# Values that aliases may add to one document (or one record of a stream), counted expanded.
MAX_ALIAS_VALUES = 100_000

# libyaml's parser when PyYAML was built with it (several times faster), else PyYAML's own
EventLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_MERGE = "tag:yaml.org,2002:merge"
_OPEN = object()          # an anchor whose value is still being read
_NO_KEY = object()        # a mapping waiting for its next key


class _Frame:
    """A mapping or list being read."""

    __slots__ = ("value", "anchor", "weight", "key", "key_loc", "merges", "is_map")

    def __init__(self, value: Any, anchor: Optional[str], is_map: bool):
        self.value = value
        self.anchor = anchor
        self.weight = 1            # values inside, aliases counted expanded
        self.key: Any = _NO_KEY
        self.key_loc: Optional[Loc] = None
        self.merges: list = []
        self.is_map = is_map


def _mark_loc(mark: Any) -> Loc:
    return Loc((mark.line + 1, mark.column + 1)) if mark is not None else Loc((1, 1))


class Reader:
    """Builds values from YAML events, one value at a time, within the bounds above.

    ``located``: LMap/LSeq with locations (rule files), else plain dicts and lists.
    Anchors are kept from one value to the next (a stream's records may share them);
    the alias count starts again with each value read."""

    def __init__(self, file: str, located: bool = True):
        self.file = file
        self.located = located
        self.anchors: dict[str, Any] = {}
        self._constructor = SafeConstructor()
        self._resolver = Resolver()

    def _error(self, mark: Any, message: str, stack: list, code: str = "E100") -> YamlError:
        line, col = _mark_loc(mark)
        return YamlError(Problem(self.file, line, col, code, message), len(stack))

    def _scalar(self, event: ScalarEvent, stack: list) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE:
            return _MERGE_KEY
        build = SafeConstructor.yaml_constructors.get(tag)
        if build is None:
            raise self._error(event.start_mark, f"YAML tag '{tag}' is not allowed: only plain YAML values "
                                                f"(text, numbers, true/false, dates, null) are read", stack)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return build(self._constructor, node)
        except yaml.constructor.ConstructorError as exc:
            raise self._error(event.start_mark, f"YAML: {exc.problem}", stack) from None
        except (ValueError, OverflowError) as exc:
            if tag.endswith((":int", ":float")):   # past Python's 4300 digits for int(text)
                digits = sum(c.isdigit() for c in event.value)
                message = (f"a number of {digits} digits ({event.value[:12]}...) is too long to read: "
                           f"whole numbers must lie within +/- 2**53")
                raise self._error(event.start_mark, message, stack) from None
            # e.g. 2025-13-01: read as a date that does not exist
            shown = event.value if len(event.value) <= 40 else event.value[:40] + "..."
            raise self._error(event.start_mark, f"'{shown}' reads as a date but is not a real date ({exc}); "
                                                f"write dates as 'YYYY-MM-DD', or quote the text", stack) from None

    def value(self, next_event: Callable[[], Any]) -> Any:
        """The value whose first event ``next_event()`` gives next; reads up to its last event."""
        stack: list[_Frame] = []
        aliased = 0
        while True:
            event = next_event()
            loc = _mark_loc(event.start_mark)
            if isinstance(event, CollectionStartEvent):
                is_map = isinstance(event, MappingStartEvent)
                if event.tag not in (None, "!") and event.tag not in _PLAIN_TAGS:
                    raise self._error(event.start_mark, f"YAML tag '{event.tag}' is not allowed: only plain "
                                                        f"mappings and lists are read", stack)
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(Problem(self.file, *loc, "E100",
                                            f"mappings and lists nest deeper than {MAX_DEPTH} levels here"),
                                    len(stack) + 1)
                if self.located:
                    value: Any = LMap() if is_map else LSeq()
                    value.loc = loc
                else:
                    value = {} if is_map else []
                if event.anchor is not None:
                    self.anchors[event.anchor] = _OPEN
                stack.append(_Frame(value, event.anchor, is_map))
                continue
            if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                frame = stack.pop()
                value, weight = frame.value, frame.weight
                if frame.merges:
                    self._merge(frame)
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (value, weight)
                loc = getattr(value, "loc", loc)
            elif isinstance(event, ScalarEvent):
                value, weight = self._scalar(event, stack), 1
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            elif isinstance(event, AliasEvent):
                found = self.anchors.get(event.anchor)
                if found is None:
                    raise self._error(event.start_mark, f"alias '*{event.anchor}' names no anchor before it "
                                                        f"('&{event.anchor}')", stack)
                if found is _OPEN:
                    raise self._error(event.start_mark, f"alias '*{event.anchor}' is inside the value its anchor "
                                                        f"names (a recursive alias): write the value out", stack)
                value, weight = found
                aliased += weight
                if aliased > MAX_ALIAS_VALUES:
                    raise self._error(event.start_mark, f"aliases expand to more than {MAX_ALIAS_VALUES:,} values "
                                                        f"(a 'billion laughs' document?): write the values out "
                                                        f"or use fewer aliases", stack)
            else:
                raise self._error(event.start_mark, f"unexpected YAML event {type(event).__name__}", stack)
            if not stack:
                return "<<" if value is _MERGE_KEY else value
            parent = stack[-1]
            parent.weight += weight
            if value is _MERGE_KEY and not (parent.is_map and parent.key is _NO_KEY):
                value = "<<"                     # '<<' merges only as a key
            if not parent.is_map:
                parent.value.append(value)
                if self.located:
                    parent.value.item_locs.append(loc)
            elif parent.key is _NO_KEY:
                if isinstance(value, (dict, list)):
                    raise self._error(event.start_mark, "a mapping key must be a plain value", stack)
                if value is not _MERGE_KEY and value in parent.value:
                    first = parent.value.key_locs[value] if self.located else None
                    where = f" (first at line {first.line})" if first else ""
                    raise YamlError(Problem(self.file, *loc, "E101", f"duplicate key '{value}'{where}"), len(stack))
                parent.key, parent.key_loc = value, loc
            else:
                key, parent.key = parent.key, _NO_KEY
                if key is _MERGE_KEY:
                    items = value if isinstance(value, list) else [value]
                    if not all(isinstance(v, dict) for v in items):
                        raise self._error(event.start_mark, "'<<' (a YAML merge) takes a mapping or a list of "
                                                            "mappings", stack)
                    parent.merges.extend(items)
                    continue
                parent.value[key] = value
                if self.located:
                    parent.value.key_locs[key] = parent.key_loc
                    parent.value.value_locs[key] = loc

    def _merge(self, frame: _Frame) -> None:
        """YAML merge keys: each merged mapping's keys the mapping does not have (the first wins)."""
        out = frame.value
        for source in frame.merges:
            for key, item in source.items():
                if key not in out:
                    out[key] = item
                    if self.located and isinstance(source, LMap):
                        out.key_locs[key] = source.key_loc(key)
                        out.value_locs[key] = source.value_loc(key)

    @staticmethod
    def skip(next_event: Callable[[], Any], open: int) -> None:
        """Read past the rest of a value a YamlError stopped, ``open`` collections deep."""
        while open > 0:
            event = next_event()
            if isinstance(event, CollectionStartEvent):
                open += 1
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                open -= 1


class _MergeKey(str):
    """The key '<<' of a YAML merge."""


_MERGE_KEY = _MergeKey("<<")


def _syntax_error(exc: yaml.YAMLError, file: str) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = _mark_loc(mark) if mark else (1, 1)
    problem = getattr(exc, "problem", None) or exc
    if problem == "exceeded maximum nesting depth":      # libyaml's own bound, past ours
        return YamlError(Problem(file, line, col, "E100", f"mappings and lists nest deeper than {MAX_DEPTH} levels"))
    return YamlError(Problem(file, line, col, "E100", f"YAML syntax: {problem}"))


def load(text: str, file: str, located: bool = True) -> Any:
    """Parse one YAML document (None when empty); raise YamlError with file:line:col on bad
    syntax, a tag, a duplicate key, or a bound passed."""
    loader = EventLoader(text)
    reader = Reader(file, located)
    try:
        loader.get_event()                       # stream start
        if loader.check_event(StreamEndEvent):
            return None
        loader.get_event()                       # document start
        doc = reader.value(loader.get_event)
        loader.get_event()                       # document end
        if not loader.check_event(StreamEndEvent):
            event = loader.peek_event()
            line, col = _mark_loc(event.start_mark)
            raise YamlError(Problem(file, line, col, "E100", "YAML syntax: expected a single document in the "
                                                             "file, found another one"))
        return doc
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file) from None
    finally:
        loader.dispose()
