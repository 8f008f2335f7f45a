"""Safe YAML with line and column numbers kept for every value.

``load(text, file)`` returns plain-looking Python values: mappings are
``LMap`` (a dict) and sequences ``LSeq`` (a list); both remember where
they and each of their items start, so every error can say file:line:col.
Only YAML's safe types are built: nothing in a file is executed.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

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
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge"}


def _build(node: yaml.Node, constructor: SafeConstructor, file: str) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise YamlError(Problem(file, *_loc(node), "E100", f"YAML tag '{node.tag}' is not allowed in rule files"))
    if isinstance(node, yaml.MappingNode):
        out = LMap()
        out.loc = _loc(node)
        constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = _build(key_node, constructor, file)
            if isinstance(key, (dict, list)):
                raise YamlError(Problem(file, *_loc(key_node), "E100", "a mapping key must be a plain value"))
            if key in out:
                first = out.key_locs[key]
                raise YamlError(Problem(file, *_loc(key_node), "E101",
                                        f"duplicate key '{key}' (first at line {first.line})"))
            out[key] = _build(value_node, constructor, file)
            out.key_locs[key] = _loc(key_node)
            out.value_locs[key] = _loc(value_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LSeq()
        seq.loc = _loc(node)
        for item in node.value:
            seq.append(_build(item, constructor, file))
            seq.item_locs.append(_loc(item))
        return seq
    return constructor.construct_object(node, deep=True)


def load(text: str, file: str) -> Any:
    """Parse YAML text; raise YamlError with file:line:col on bad syntax."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(Problem(file, line, col, "E100", f"YAML syntax: {exc.problem or exc}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(Problem(file, 1, 1, "E100", f"YAML syntax: {exc}")) from None
    if node is None:
        return None
    try:
        return _build(node, SafeConstructor(), file)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(Problem(file, line, col, "E100", f"YAML: {exc.problem}")) from None
