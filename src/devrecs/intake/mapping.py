"""Mapping files: how a source's columns become devrecs facts.

A mapping is YAML (documented with examples in docs/data.md)::

    id: "ibm-{EmployeeNumber}"            # a template, a column, or a value spec
    facts:
      level: JobLevel                     # a bare string is a column name
      performance: {column: PerformanceRating, map: {3: medium, 4: high}}
      engagement:
        mean: [JobInvolvement, JobSatisfaction]
        buckets: [{le: 2, value: low}, {lt: 3, value: medium}, {value: high}]
      months_in_role: {column: YearsInCurrentRole, scale: 12}
      interests: {column: Interests, split: ";"}
      pipeline.status: {value: none}      # a constant
      history_complete: {value: true}     # this source holds the whole history (docs/data.md)
    extra:
      department: Department
    join:
      - from: gaps.csv                    # beside the mapping file, or a database URL
        key: person_id                    # the joined rows' person id
        into: gaps
        fields: {skill: Skill, severity: {column: Severity, map: {1: low, 2: medium, 3: high}}}

Every problem in the file is reported at once as ``file:line:col: code message``.
A problem with one record's values (a number that is not one) rejects that
record, naming the field and the mapping line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

import attrs

from ..errors import DevrecsError, Problem, RecordError, did_you_mean
from ..facts import normal_key, protected_name, sensitive_field, withhold_values
from ..model import Person
from ..rulefile.located import LMap, LSeq, Loc, YamlError, load, loc_of
from . import sources

# fact paths a mapping may fill (besides extra.<name>)
FACTS = tuple(f.name for f in attrs.fields(Person) if f.name not in ("extra", "pipeline")) + (
    "pipeline.status", "pipeline.months_waiting")
ITEM_FACTS = {"gaps": ("skill", "severity", "source"), "history": ("intervention", "date", "outcome")}
LIST_FACTS = ("interests",) + tuple(ITEM_FACTS)

SOURCES_KEYS = ("column", "value", "template", "mean", "cases", "items")
OPTION_KEYS = ("map", "default", "missing", "split", "scale", "divide_by", "round", "buckets", "type")
TESTS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "between")
TYPES = ("int", "float", "text", "bool")
TOP_KEYS = ("id", "facts", "extra", "join", "not_protected")
JOIN_KEYS = ("from", "source", "table", "query", "key", "into", "fields", "item")


class MappingError(DevrecsError):
    """Problems in a mapping file (or with the columns it names); all are reported."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _RowError(ValueError):
    """One value of one record that the mapping cannot turn into a fact."""


def _norm(value: Any) -> str:
    """The form map keys and values are compared in: text without case, numbers by value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        f = float(value)
        return str(int(f)) if f.is_integer() else repr(f)
    text = str(value).strip()
    try:
        f = float(text)
    except ValueError:
        return text.casefold()
    if math.isfinite(f):
        return str(int(f)) if f.is_integer() else repr(f)
    return text.casefold()


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise _RowError(f"{what} {value!r} is not a number")
    if isinstance(value, (int, float)):
        f = float(value)
    else:
        try:
            f = float(str(value).strip())
        except ValueError:
            raise _RowError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(f):
        raise _RowError(f"{what} {value!r} is not a finite number")
    return f


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Ctx:
    """Where the mapping is, and the problems found while compiling it."""

    def __init__(self, file: str, registry: Optional[Mapping[str, Any]] = None):
        self.file = file
        self.problems: list[Problem] = []
        # the data sources joins may name (the Engine's, with its plugins'; default the built-ins)
        self.registry = sources.builtin_sources() if registry is None else registry

    def problem(self, loc: Loc, code: str, message: str) -> None:
        self.problems.append(Problem(self.file, loc.line, loc.col, code, message))

    def where(self, loc: Loc) -> str:
        return f"{self.file}:{loc.line}"


# -- tests, for buckets and cases -------------------------------------------------

class _Test:
    def __init__(self, node: Any, loc: Loc, ctx: _Ctx):
        self.op, self.arg = "eq", node
        if isinstance(node, LMap):
            if len(node) != 1 or next(iter(node)) not in TESTS:
                ctx.problem(loc, "M130", f"a test is a value or one of {', '.join(TESTS)}: {{le: 2}}")
                return
            self.op, self.arg = next(iter(node.items()))
        if self.op in ("in", "not_in") and not isinstance(self.arg, list):
            ctx.problem(loc, "M130", f"'{self.op}' takes a list of values")
        if self.op == "between" and not (isinstance(self.arg, list) and len(self.arg) == 2):
            ctx.problem(loc, "M130", "'between' takes two numbers: [low, high]")
        if self.op in ("lt", "le", "gt", "ge", "between"):
            args = self.arg if isinstance(self.arg, list) else [self.arg]
            if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
                ctx.problem(loc, "M130", f"'{self.op}' compares numbers: give a number")
        if self.op in ("in", "not_in") and isinstance(self.arg, list):
            self.arg = {_norm(a) for a in self.arg}
        elif self.op in ("eq", "ne"):
            self.arg = _norm(self.arg)

    def __call__(self, value: Any, what: str) -> bool:
        if _empty(value):
            return False
        op, arg = self.op, self.arg
        if op == "eq":
            return _norm(value) == arg
        if op == "ne":
            return _norm(value) != arg
        if op == "in":
            return _norm(value) in arg
        if op == "not_in":
            return _norm(value) not in arg
        x = _number(value, what)
        if op == "lt":
            return x < arg
        if op == "le":
            return x <= arg
        if op == "gt":
            return x > arg
        if op == "ge":
            return x >= arg
        return arg[0] <= x <= arg[1]


# -- value specs --------------------------------------------------------------------

Row = Mapping[str, Any]


class _Value:
    """A compiled value spec: ``value(row)`` gives the fact's value, None when unknown."""

    def __init__(self, node: Any, loc: Loc, ctx: _Ctx, name: str):
        self.name = name
        self.where = ctx.where(loc)      # where the value's source (column, mean ...) is
        self.ctx = ctx
        self.columns: list[tuple[str, Loc]] = []
        self.read: Callable[[Row], Any] = lambda row: None
        self.steps: list[tuple[Callable, bool, str]] = []   # (function, takes the row, where)
        self.split: Optional[str] = None
        self.missing: Any = None
        if isinstance(node, str):
            node = self._shorthand(node, loc)
        elif not isinstance(node, LMap):
            if isinstance(node, LSeq):
                ctx.problem(loc, "M110", f"'{name}': give a column name, a template or a mapping "
                                         f"such as {{column: X}}, not a list")
                return
            const = node
            self.read = lambda row: const
            return
        self._compile(node, loc, ctx)

    def _shorthand(self, text: str, loc: Loc) -> LMap:
        m = LMap({"template": text} if "{" in text else {"column": text})
        m.loc = loc
        return m

    def _column(self, column: Any, loc: Loc, ctx: _Ctx) -> Optional[str]:
        if not isinstance(column, str) or not column:
            ctx.problem(loc, "M111", f"'{self.name}': a column name is text, got {column!r}")
            return None
        self.columns.append((column, loc))
        return column

    def _compile(self, node: LMap, loc: Loc, ctx: _Ctx) -> None:
        given = [k for k in node if k in SOURCES_KEYS]
        for key in node:
            if key not in SOURCES_KEYS and key not in OPTION_KEYS:
                ctx.problem(node.key_loc(key), "M112", f"'{self.name}': unknown key '{key}'"
                            f"{did_you_mean(str(key), SOURCES_KEYS + OPTION_KEYS)}")
        if len(given) != 1:
            ctx.problem(node.loc, "M113", f"'{self.name}': say where the value comes from with one of "
                                          f"{', '.join(SOURCES_KEYS)}"
                                          + (f" (found {', '.join(given)})" if given else ""))
            return
        kind = given[0]
        arg, aloc = node[kind], node.value_loc(kind)
        self.where = ctx.where(node.key_loc(kind))
        if kind == "column":
            col = self._column(arg, aloc, ctx)
            self.read = lambda row, c=col: _get(row, c)
        elif kind == "value":
            self.read = lambda row, v=arg: v
        elif kind == "template":
            self._template(arg, aloc, ctx)
        elif kind == "mean":
            self._mean(arg, aloc, ctx)
        elif kind == "cases":
            self._cases(arg, aloc, ctx)
        elif kind == "items":
            if self.name not in ITEM_FACTS and self.name != "interests":
                ctx.problem(aloc, "M114", f"'items' builds list facts (gaps, history, interests), not '{self.name}'")
            self._items(arg, aloc, ctx)
        self._options(node, ctx)

    def _template(self, text: Any, loc: Loc, ctx: _Ctx) -> None:
        if not isinstance(text, str):
            ctx.problem(loc, "M115", f"'{self.name}': a template is text such as \"e{{EmployeeNumber}}\"")
            return
        parts = re.split(r"(\{[^{}]*\})", text)
        pieces: list[tuple[bool, str]] = []
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                col = self._column(part[1:-1].strip(), loc, ctx)
                pieces.append((True, col or ""))
            elif part:
                pieces.append((False, part))

        def read(row: Row) -> Any:
            out = []
            for is_col, piece in pieces:
                if is_col:
                    v = _get(row, piece)
                    if _empty(v):
                        return None
                    out.append(str(v).strip() if not isinstance(v, float) or not v.is_integer() else str(int(v)))
                else:
                    out.append(piece)
            return "".join(out)
        self.read = read

    def _mean(self, cols: Any, loc: Loc, ctx: _Ctx) -> None:
        if not isinstance(cols, list) or not cols:
            ctx.problem(loc, "M116", f"'{self.name}': 'mean' takes a list of columns")
            return
        names = [self._column(c, cols.item_loc(i) if isinstance(cols, LSeq) else loc, ctx)
                 for i, c in enumerate(cols)]

        def read(row: Row) -> Any:
            values = [_get(row, c) for c in names]
            if any(_empty(v) for v in values):
                return None
            return sum(_number(v, f"column '{c}' value") for c, v in zip(names, values)) / len(values)
        self.read = read

    def _cases(self, cases: Any, loc: Loc, ctx: _Ctx) -> None:
        if not isinstance(cases, LSeq) or not cases:
            ctx.problem(loc, "M117", f"'{self.name}': 'cases' is a list of {{when: {{column: test}}, value: X}}")
            return
        compiled = []
        for i, case in enumerate(cases):
            cloc = cases.item_loc(i)
            if not isinstance(case, LMap) or "value" not in case or set(case) - {"when", "value"}:
                ctx.problem(cloc, "M117", f"'{self.name}': a case is {{when: {{column: test, ...}}, value: X}}"
                                          f" (the last may leave out 'when')")
                continue
            tests = []
            when = case.get("when")
            if when is not None:
                if not isinstance(when, LMap) or not when:
                    ctx.problem(case.value_loc("when"), "M117", "'when' maps columns to tests: {OverTime: 'Yes'}")
                    continue
                for col, test in when.items():
                    c = self._column(col, when.key_loc(col), ctx)
                    tests.append((c, _Test(test, when.value_loc(col), ctx)))
            compiled.append((tests, case["value"]))

        def read(row: Row) -> Any:
            for tests, value in compiled:
                if all(t(_get(row, c), f"column '{c}' value") for c, t in tests):
                    return value
            return None
        self.read = read

    def _items(self, items: Any, loc: Loc, ctx: _Ctx) -> None:
        if not isinstance(items, LSeq):
            ctx.problem(loc, "M118", f"'{self.name}': 'items' is a list of items")
            return
        built = [_Item(item, items.item_loc(i), ctx, self.name) for i, item in enumerate(items)]
        for b in built:
            self.columns.extend(b.columns)
        self.read = lambda row: [v for v in (b(row) for b in built) if v is not None]

    def _options(self, node: LMap, ctx: _Ctx) -> None:
        if "missing" in node:
            self.missing = node["missing"]
        if "split" in node:
            sep = node["split"]
            if not isinstance(sep, str) or not sep:
                ctx.problem(node.value_loc("split"), "M119", "'split' takes the separator, such as \";\"")
            else:
                self.split = sep
        if "map" in node:
            table = node["map"]
            if not isinstance(table, LMap) or not table:
                ctx.problem(node.value_loc("map"), "M120", "'map' maps source values to fact values: {Y: true}")
            else:
                lookup = {_norm(k): v for k, v in table.items()}
                has_default = "default" in node
                default = node.get("default")
                self._step(node, "map", lambda v: lookup[_norm(v)] if _norm(v) in lookup
                           else (default if has_default else v))
        elif "default" in node:
            ctx.problem(node.key_loc("default"), "M121", "'default' is the value for what 'map' does not list; "
                                                          "for an empty cell use 'missing'")
        for key in ("scale", "round"):
            if key in node and (not isinstance(node[key], (int, float)) or isinstance(node[key], bool)):
                ctx.problem(node.value_loc(key), "M122", f"'{key}' takes a number")
        if "scale" in node and isinstance(node["scale"], (int, float)):
            factor = node["scale"]
            self._step(node, "scale", lambda v: _number(v, "value") * factor)
        if "divide_by" in node:
            dloc = node.value_loc("divide_by")
            divisor = _Value(node["divide_by"], dloc, ctx, f"{self.name}.divide_by")
            self.columns.extend(divisor.columns)

            def divide(v: Any, row: Row) -> Any:
                d = divisor.value(row)
                if d is None:
                    return None
                d = _number(d, "divisor")
                if d == 0:
                    raise _RowError("cannot divide by zero")
                return _number(v, "value") / d
            self._step(node, "divide_by", divide, with_row=True)
        if "round" in node and isinstance(node["round"], int):
            digits = node["round"]
            self._step(node, "round", lambda v: round(_number(v, "value"), digits) if digits else
                       int(round(_number(v, "value"))))
        if "buckets" in node:
            self._buckets(node, ctx)
        if "type" in node:
            t = node["type"]
            if t not in TYPES:
                ctx.problem(node.value_loc("type"), "M123", f"'type' is one of {', '.join(TYPES)}")
            else:
                self._step(node, "type", _CONVERT[t])

    def _step(self, node: LMap, key: str, fn: Callable, with_row: bool = False) -> None:
        self.steps.append((fn, with_row, self.ctx.where(node.key_loc(key))))

    def _buckets(self, node: LMap, ctx: _Ctx) -> None:
        buckets, loc = node["buckets"], node.value_loc("buckets")
        if not isinstance(buckets, LSeq) or not buckets:
            ctx.problem(loc, "M124", "'buckets' is a list such as [{le: 2, value: low}, {value: high}]")
            return
        compiled = []
        for i, b in enumerate(buckets):
            bloc = buckets.item_loc(i)
            tests = [k for k in b if k in TESTS] if isinstance(b, LMap) else []
            if not isinstance(b, LMap) or "value" not in b or len(tests) > 1 or set(b) - {"value", *TESTS}:
                ctx.problem(bloc, "M124", "a bucket is {le: N, value: X} (one test of "
                                          f"{', '.join(TESTS)}); the last may have no test")
                continue
            test = None
            if tests:
                t = LMap({tests[0]: b[tests[0]]})
                t.loc = bloc
                test = _Test(t, bloc, ctx)
            compiled.append((test, b["value"]))

        def bucket(v: Any) -> Any:
            for test, value in compiled:
                if test is None or test(v, "value"):
                    return value
            raise _RowError(f"value {v!r} is in no bucket")
        self._step(node, "buckets", bucket)

    def value(self, row: Row) -> Any:
        try:
            v = self.read(row)
        except _RowError as exc:
            raise _RowError(f"{exc} ({self.where})") from None
        if not isinstance(v, list) and _empty(v):
            return self.missing   # the fact's value for an empty cell (default: unknown)
        if self.split is not None and isinstance(v, str):
            return [x for x in (self._apply(p.strip(), row) for p in v.split(self.split) if p.strip())
                    if x is not None]
        return self._apply(v, row)

    def _apply(self, v: Any, row: Row) -> Any:
        for fn, with_row, where in self.steps:
            try:
                v = fn(v, row) if with_row else fn(v)
            except _RowError as exc:
                raise _RowError(f"{exc} ({where})") from None
            if v is None:
                return None
        return v


def _to_int(v: Any) -> int:
    f = _number(v, "value")
    if not f.is_integer():
        raise _RowError(f"value {v!r} is not a whole number")
    return int(f)


def _to_bool(v: Any) -> bool:
    n = _norm(v)
    if n in ("true", "yes", "y", "1"):
        return True
    if n in ("false", "no", "n", "0"):
        return False
    raise _RowError(f"value {v!r} is not true or false")


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "int": _to_int,
    "float": lambda v: _number(v, "value"),
    "text": lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip(),
    "bool": _to_bool,
}


class _Item:
    """One item of a list fact: a mapping of field -> value spec (gaps, history), or one value."""

    def __init__(self, node: Any, loc: Loc, ctx: _Ctx, fact: str):
        self.columns: list[tuple[str, Loc]] = []
        self.fields: Optional[dict[str, _Value]] = None
        self.single: Optional[_Value] = None
        if fact in ITEM_FACTS:
            if not isinstance(node, LMap):
                ctx.problem(loc, "M118", f"an item of '{fact}' maps its fields ({', '.join(ITEM_FACTS[fact])}) "
                                         f"to value specs")
                return
            self.fields = {}
            for key, spec in node.items():
                if key not in ITEM_FACTS[fact]:
                    ctx.problem(node.key_loc(key), "M118", f"'{fact}' items have no field '{key}'"
                                f"{did_you_mean(str(key), ITEM_FACTS[fact])}")
                    continue
                self.fields[key] = _Value(spec, node.value_loc(key), ctx, f"{fact}.{key}")
                self.columns.extend(self.fields[key].columns)
        else:
            self.single = _Value(node, loc, ctx, fact)
            self.columns.extend(self.single.columns)

    def __call__(self, row: Row) -> Any:
        """The item, or None when a field it needs is unknown (the item is then left out)."""
        if self.single is not None:
            return self.single.value(row)
        if self.fields is None:
            return None
        out = {}
        for key, spec in self.fields.items():
            v = spec.value(row)
            if v is None:
                if key == "source":
                    continue
                return None
            out[key] = v
        return out


def _get(row: Row, column: str) -> Any:
    if column in row:
        return row[column]
    if "." in column:   # a nested key of a JSON or YAML record
        value: Any = row
        for part in column.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value
    return None


# -- joins ----------------------------------------------------------------------------

class _Join:
    """A second file or table whose rows add items to a list fact, by person id."""

    def __init__(self, node: Any, loc: Loc, ctx: _Ctx, base: Path):
        self.ok = False
        self.problems_where = ctx.where(loc)
        if not isinstance(node, LMap):
            ctx.problem(loc, "M140", "a join is a mapping: {from: gaps.csv, key: person_id, into: gaps, fields: ...}")
            return
        for key in node:
            if key not in JOIN_KEYS:
                ctx.problem(node.key_loc(key), "M140", f"unknown join key '{key}'{did_you_mean(str(key), JOIN_KEYS)}")
        for key in ("from", "key", "into"):
            if key not in node:
                ctx.problem(node.loc, "M141", f"a join needs '{key}'")
        into = node.get("into")
        if into is not None and into not in LIST_FACTS:
            ctx.problem(node.value_loc("into"), "M142", f"a join adds to a list fact ({', '.join(LIST_FACTS)}), "
                                                        f"not '{into}'{did_you_mean(str(into), LIST_FACTS)}")
            into = None
        location = node.get("from")
        if location is not None and not isinstance(location, str):
            ctx.problem(node.value_loc("from"), "M143", "'from' is a file name or a database URL")
            location = None
        if location is not None and not sources.is_database_url(location):
            location = str(base / location) if not Path(location).is_absolute() else location
        self.location = location
        self.source_name = node.get("source")
        self.registry = ctx.registry
        if self.source_name is not None and self.source_name not in self.registry:
            ctx.problem(node.value_loc("source"), "M144", f"unknown source '{self.source_name}'"
                        f"{did_you_mean(str(self.source_name), self.registry)}")
        self.table, self.query = node.get("table"), node.get("query")
        self.into = into
        self.key = _Value(node["key"], node.value_loc("key"), ctx, "join.key") if "key" in node else None
        self.item: Optional[_Item] = None
        if into in ITEM_FACTS:
            if "fields" not in node:
                ctx.problem(node.loc, "M145", f"a join into '{into}' needs 'fields' ({', '.join(ITEM_FACTS[into])})")
            else:
                self.item = _Item(node["fields"], node.value_loc("fields"), ctx, into)
        elif into == "interests":
            if "item" not in node:
                ctx.problem(node.loc, "M145", "a join into 'interests' needs 'item': the column of the interest")
            else:
                self.item = _Item(node["item"], node.value_loc("item"), ctx, into)
        self.loc = node.loc
        self.file = ctx.file
        self.ok = self.location is not None and self.key is not None and self.item is not None
        self.index: Optional[dict[str, list]] = None
        self.skipped: list[str] = []

    def columns(self) -> list[tuple[str, Loc]]:
        return (self.key.columns if self.key else []) + (self.item.columns if self.item else [])

    def load(self) -> None:
        """Read the joined source into an index: person id -> items, in source order."""
        try:
            src = sources.open_source(self.location, self.source_name, self.registry, table=self.table,
                                      query=self.query)
        except DevrecsError as exc:
            raise MappingError([Problem(self.file, self.loc.line, self.loc.col, "M146",
                                        f"join: {exc}")]) from None
        index: dict[str, list] = {}
        checked = not sources.is_tabular(src)
        for label, raw in src:
            if isinstance(raw, sources.Unreadable):
                self.skipped.append(f"{label}: skipped ({raw.reason})")
                continue
            if not checked:
                check_columns(self.columns(), raw, self.file, str(self.location))
                checked = True
            try:
                key = self.key.value(raw)
                item = self.item(raw)
            except _RowError as exc:
                self.skipped.append(f"{label}: skipped ({exc})")
                continue
            if key is None or item is None:
                continue
            index.setdefault(_norm(key) if not isinstance(key, str) else key.strip(), []).append(item)
        self.index = index

    def items_for(self, person_id: str) -> list:
        if self.index is None:
            self.load()
        return self.index.get(person_id, [])  # type: ignore[union-attr]


def check_columns(columns: list[tuple[str, Loc]], record: Mapping[str, Any], file: str, source: str) -> None:
    """Raise MappingError for each mapped column the record's source does not have."""
    have = list(record)
    problems = []
    for col, loc in columns:
        if col not in record:
            problems.append(Problem(file, loc.line, loc.col, "M150",
                                    f"column '{col}' is not in {source}{did_you_mean(col, have)}"))
    if problems:
        raise MappingError(list(dict.fromkeys(problems)))


# -- the mapping --------------------------------------------------------------------

class DataMapping:
    """A compiled mapping file. ``apply(label, raw)`` gives a person record (a dict)."""

    def __init__(self, doc: Any, file: str, base: Path, registry: Optional[Mapping[str, Any]] = None):
        ctx = _Ctx(file, registry)
        self.file = file
        self._checked = False
        if not isinstance(doc, LMap):
            ctx.problem(loc_of(doc), "M100", "a mapping file is a YAML mapping with 'id', 'facts', 'extra', 'join'")
            raise MappingError(ctx.problems)
        for key in doc:
            if key not in TOP_KEYS:
                ctx.problem(doc.key_loc(key), "M101", f"unknown key '{key}'{did_you_mean(str(key), TOP_KEYS)}")
        idnode = doc.get("id", "id")
        self.id = _Value(idnode, doc.value_loc("id") if "id" in doc else doc.loc, ctx, "id")
        self.facts: dict[str, _Value] = {}
        facts = doc.get("facts", LMap())
        if not isinstance(facts, LMap):
            ctx.problem(doc.value_loc("facts"), "M102", "'facts' maps fact names to columns or value specs")
            facts = LMap()
        for name, spec in facts.items():
            floc = facts.key_loc(name)
            if name == "id":
                ctx.problem(floc, "M103", "give the id at the top level ('id:'), not under 'facts'")
                continue
            if name == "extra" or (name not in FACTS and not str(name).startswith("extra.")):
                hint = " (it is worked out from performance and potential)" if name == "nine_box" else ""
                ctx.problem(floc, "M104", f"unknown fact '{name}'{did_you_mean(str(name), FACTS)}{hint}; "
                                          f"put your own facts under 'extra'")
                continue
            self.facts[name] = _Value(spec, facts.value_loc(name), ctx, name)
        extra = doc.get("extra", LMap())
        if not isinstance(extra, LMap):
            ctx.problem(doc.value_loc("extra"), "M105", "'extra' maps your own fact names to columns or value specs")
            extra = LMap()
        for name, spec in extra.items():
            self.facts[f"extra.{name}"] = _Value(spec, extra.value_loc(name), ctx, f"extra.{name}")
        joins = doc.get("join", LSeq())
        if isinstance(joins, LMap):
            seq = LSeq([joins])
            seq.item_locs = [joins.loc]
            joins = seq
        if not isinstance(joins, LSeq):
            ctx.problem(doc.value_loc("join"), "M106", "'join' is a list of joins")
            joins = LSeq()
        self.joins = [_Join(j, joins.item_loc(i), ctx, base) for i, j in enumerate(joins)]
        # facts (extra names) or columns declared not protected: settles a guess (see protected_facts)
        safe = doc.get("not_protected", LSeq())
        if not isinstance(safe, LSeq) or not all(isinstance(n, str) and n for n in safe):
            ctx.problem(doc.value_loc("not_protected"), "M107", "'not_protected' is a list of fact or column names "
                                                                "that only look like protected attributes")
            safe = LSeq()
        self.not_protected = frozenset(normal_key(n) for n in safe)
        if ctx.problems:
            raise MappingError(ctx.problems)

    def protected_facts(self, guesses: bool = False) -> dict[str, str]:
        """Facts this mapping fills from a protected attribute: fact path -> reason. A fact is
        protected when its name is (facts.protected_name) or when it is read from a column
        whose name is ("extra.g" mapped from column "Gender"). ``guesses``: the facts that only
        may be (a look-alike name), which ``not_protected:`` in the mapping settles."""
        out: dict[str, str] = {}
        for name, spec in self.facts.items():
            own = name[len("extra."):] if name.startswith("extra.") else name
            found = [(own, protected_name(own, self.not_protected))] if name.startswith("extra.") else []
            found += [(col, protected_name(col, self.not_protected)) for col, _ in spec.columns]
            for source, p in found:
                if p is None or p.certain == guesses:
                    continue
                if source == own:
                    why = p.reason
                else:
                    why = f"{self.file} maps it from column '{source}': {p.reason}"
                out.setdefault(name, why + ("" if p.certain else
                                            f"; if it is not, list '{source}' under not_protected: in {self.file}"))
        return out

    def columns(self) -> list[tuple[str, Loc]]:
        out = list(self.id.columns)
        for spec in self.facts.values():
            out.extend(spec.columns)
        return out

    def check(self, raw: Mapping[str, Any], source: str) -> None:
        """Check, once, that a tabular source has every column the mapping names."""
        if not self._checked:
            check_columns(self.columns(), raw, self.file, source)
            self._checked = True

    def load_joins(self) -> list[str]:
        """Read every joined source now (else on first use); the skipped rows, for a person to read."""
        for j in self.joins:
            if j.index is None:
                j.load()
        return [s for j in self.joins for s in j.skipped]

    def apply(self, label: str, raw: Mapping[str, Any]) -> dict:
        """The person record for one source record; RecordError names each field that failed."""
        out: dict[str, Any] = {}
        errors: list[str] = []
        try:
            pid = self.id.value(raw)
        except _RowError as exc:
            raise RecordError(label, [f"field 'id': {exc}"]) from None
        if pid is not None:
            pid = _CONVERT["text"](pid)
            out["id"] = pid
        for name, spec in self.facts.items():
            try:
                value = spec.value(raw)
            except _RowError as exc:
                problem = f"field '{name}': {exc}"
                if sensitive_field(name):    # never quote a sensitive cell (facts.withhold_values)
                    problem = withhold_values(problem, [raw.get(col) for col, _ in spec.columns])
                errors.append(problem)
                continue
            if value is None:
                continue
            _put(out, name, value)
        if pid is not None:
            for j in self.joins:
                items = j.items_for(pid)
                if items:
                    out.setdefault(j.into, [])
                    if isinstance(out[j.into], list):
                        out[j.into] = out[j.into] + items
        if errors:
            raise RecordError(label, errors)
        return out


def _put(out: dict, path: str, value: Any) -> None:
    parts = path.split(".", 1)
    if len(parts) == 1:
        out[path] = value
    else:
        out.setdefault(parts[0], {})[parts[1]] = value


def load_mapping(path: str | Path, registry: Optional[Mapping[str, Any]] = None) -> DataMapping:
    """Read and check a mapping file; MappingError lists every problem with file:line:col.
    ``registry``: the data sources its joins may name (default: the built-ins)."""
    p = Path(path)
    label = str(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingError([Problem(label, 0, 0, "M100", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError([Problem(label, 0, 0, "M100", f"cannot read ({exc})")]) from None
    try:
        doc = load(text, label)
    except YamlError as exc:
        raise MappingError([exc.problem]) from None
    return DataMapping(doc, label, p.parent, registry)


def identity(raw: Mapping[str, Any], tabular: bool) -> dict:
    """A record without a mapping: keys are fact names. From a table (CSV, SQL), empty
    cells are unknown, ``a.b`` columns nest (``pipeline.status``, ``extra.department``)
    and ``interests`` is split on ``;``."""
    if not tabular:
        return dict(raw)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if _empty(value):
            continue
        if key == "interests" and isinstance(value, str):
            value = [v.strip() for v in value.split(";") if v.strip()]
        _put(out, str(key), value)
    return out


__all__ = ["MappingError", "DataMapping", "check_columns", "identity", "load_mapping"]
