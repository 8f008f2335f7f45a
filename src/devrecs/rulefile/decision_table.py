"""Decision tables: rules written as the rows of a CSV file.

The header names what each column holds. A condition column is a fact
path, optionally followed by an operator (``performance``, ``level >=``,
``aspiration in``, ``not aspiration``, ``gaps.skill``, ``history.outcome
in``); the other columns are ``recommend`` (required), ``recommend to
manager``, ``priority``, ``suppresses``, ``id``, ``title``, ``rationale``,
``source`` and ``scope``. Each row becomes one rule whose condition is the
``all`` of its filled condition cells (a blank cell is no condition),
exactly the condition tree the same rule written in YAML has.

The table is turned into the located document a YAML rule file would give
(``LMap``/``LSeq`` with ``line`` = row and ``col`` = column, both counted
from 1, the header being row 1), and read by the same rule reader, so a
problem in a cell is reported as ``file:row:column: CODE message`` with the
same codes and suggestions as in YAML. docs/rules.md, section 11, is the
reference.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Optional

import attrs

from ..errors import Problem, did_you_mean
from ..facts import SCOPES, spec_for
from .conditions import COMPARE_OPS
from .located import LMap, LSeq, Loc

# header words (lowercase, spaces folded) -> rule key
RULE_COLUMNS = {
    "id": "id", "title": "title", "recommend": "recommend", "recommend to manager": "recommend to manager",
    "priority": "priority", "suppresses": "suppresses", "rationale": "rationale", "source": "source",
    "scope": "scope",
}
LIST_COLUMNS = ("recommend", "recommend to manager", "suppresses")
OPERATOR_WORDS = {
    "=": "eq", "==": "eq", "eq": "eq", "is": "eq",
    "!=": "ne", "<>": "ne", "ne": "ne", "is not": "ne",
    "<": "lt", "lt": "lt", "<=": "le", "le": "le", ">": "gt", "gt": "gt", ">=": "ge", "ge": "ge",
    "in": "in", "not in": "not_in", "not_in": "not_in", "between": "between", "exists": "exists",
    "contains": "contains",
}
LIST_OPS = ("in", "not_in", "between", "contains")
ITEM_LISTS = ("gaps", "history")
LIST_SEPARATORS = re.compile(r"\s*[|,;]\s*")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


@attrs.frozen
class Column:
    """What a header cell means."""

    index: int                  # from 0
    header: str
    key: str = ""               # a rule key (RULE_COLUMNS), or "" for a condition
    path: str = ""              # the fact (for gaps.* / history.*: the list)
    field: str = ""             # the item field of gaps.* / history.*
    op: str = "eq"
    negate: str = ""            # "not" (a fact) or "no" (an item list: none of its items)

    @property
    def col(self) -> int:
        return self.index + 1


def _all_facts() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for facts in SCOPES.values():
        out.update(facts)
    return out


def _known_fact(path: str) -> bool:
    return any(spec_for(path, facts) is not None for facts in SCOPES.values())


def parse_header(cell: str, index: int, file: str) -> tuple[Optional[Column], list[Problem]]:
    """One header cell: a rule column or a condition column (fact, operator)."""
    words = " ".join(cell.strip().split())
    low = words.lower()
    if low in RULE_COLUMNS:
        return Column(index, words, key=RULE_COLUMNS[low]), []
    if not words:
        return None, [Problem(file, 1, index + 1, "E102", "a column without a header: name a fact or "
                                                          f"one of {', '.join(RULE_COLUMNS)}")]
    negate = ""
    for prefix in ("not ", "no "):
        if low.startswith(prefix):
            negate, words, low = prefix.strip(), words[len(prefix):], low[len(prefix):]
            break
    # the fact is the first word; the rest (if anything) is the operator
    path, _, op_text = words.partition(" ")
    op_text = op_text.strip().lower()
    op = OPERATOR_WORDS.get(op_text, op_text) if op_text else ""
    field = ""
    list_path = path.split(".", 1)[0]
    if list_path in ITEM_LISTS and "." in path:
        field = path.split(".", 1)[1]
        path = list_path
    if not _known_fact(path):
        known = sorted(_all_facts()) + [f"{p}.<field>" for p in ITEM_LISTS] + list(RULE_COLUMNS)
        return None, [Problem(file, 1, index + 1, "E110",
                              f"unknown fact or column '{path}' in the header{did_you_mean(path, known)}")]
    allowed = COMPARE_OPS + ("contains",)
    if op and op not in allowed:
        return None, [Problem(file, 1, index + 1, "E111",
                              f"unknown operator '{op_text}' in the header"
                              f"{did_you_mean(op_text, list(OPERATOR_WORDS))}; "
                              f"expected one of =, !=, <, <=, >, >=, in, not in, between, exists, contains")]
    if path == "interests":
        op = op or "contains"
    if path in ITEM_LISTS and not field:
        example = "'gaps.skill' or 'gaps.severity >='" if path == "gaps" else \
            "'history.intervention' or 'history.within_months'"
        return None, [Problem(file, 1, index + 1, "E104",
                              f"a {path} column names a field of one entry, e.g. {example}")]
    if negate == "no" and path not in ITEM_LISTS:
        return None, [Problem(file, 1, index + 1, "E104",
                              f"'no' goes before gaps.* and history.* columns; write 'not {path}' for a fact")]
    if negate == "not" and path in ITEM_LISTS:
        negate = "no"
    return Column(index, cell.strip(), path=path, field=field, op=op or "eq", negate=negate), []


def _scalar(text: str, kind: str) -> Any:
    """A cell's text as the value a YAML writer would mean, for a fact of ``kind``."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        return t[1:-1]                       # quoted: always text
    low = t.lower()
    if kind == "bool" and low in ("true", "yes", "y", "false", "no", "n"):
        return low in ("true", "yes", "y")
    if kind == "any" and low in ("true", "false"):
        return low == "true"
    if kind in ("int", "float", "any"):
        if _INT.fullmatch(t):
            try:
                return int(t)
            except ValueError:              # past Python's 4300 digits: left as text, refused as such
                return t
        if _FLOAT.fullmatch(t):
            return float(t)
    return t


def _loc(row: int, col: int) -> Loc:
    return Loc((row, col))


def _lmap(items: list[tuple[str, Any, Loc]], loc: Loc) -> LMap:
    m = LMap()
    m.loc = loc
    for key, value, where in items:
        m[key] = value
        m.key_locs[key] = where
        m.value_locs[key] = where
    return m


def _lseq(values: list[Any], locs: list[Loc], loc: Loc) -> LSeq:
    s = LSeq(values)
    s.item_locs = list(locs)
    s.loc = loc
    return s


def _several(text: str) -> bool:
    """More than one value in an '=' or '!=' cell (quoted text is one value)."""
    t = text.strip()
    return not (len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'") and len(
        [p for p in LIST_SEPARATORS.split(t) if p]) > 1


def _op(column: Column, text: str) -> str:
    """The operator of a cell: several values under '=' mean 'in', under '!=' 'not in'."""
    if column.op in ("eq", "ne") and _several(text):
        return "in" if column.op == "eq" else "not_in"
    return column.op


def _value(column: Column, text: str, where: Loc, spec_kind: str) -> Any:
    if column.op == "exists":
        return _scalar(text, "bool")
    if _op(column, text) in LIST_OPS:
        parts = [p for p in LIST_SEPARATORS.split(text.strip()) if p != ""]
        values = [_scalar(p, spec_kind) for p in parts]
        return _lseq(values, [where] * len(values), where)
    return _scalar(text, spec_kind)


def _fact_kind(path: str, field: str, scope: str) -> str:
    spec = spec_for(path, SCOPES.get(scope, SCOPES["person"]))
    if spec is None:
        return "any"
    if field:
        if field == "within_months":
            return "float"
        item = (spec.item_fields or {}).get(field)
        return item.kind if item is not None else "any"
    return spec.kind


def _condition(columns: list[Column], cells: list[str], row: int, scope: str) -> list[tuple[LMap, Loc]]:
    """The conditions of one row, in column order; item columns of one list form one test."""
    out: list[tuple[Any, Loc]] = []
    item_groups: dict[tuple[str, str], tuple[int, list[tuple[str, Any, Loc]], Loc]] = {}
    for column in columns:
        if column.key:
            continue
        text = cells[column.index] if column.index < len(cells) else ""
        if not text.strip():
            continue
        where = _loc(row, column.col)
        value = _value(column, text, where, _fact_kind(column.path, column.field, scope))
        op = _op(column, text)
        if column.field:
            if column.field == "within_months" or op == "eq":
                test = value
            else:
                test = _lmap([(op, value, where)], where)
            group = item_groups.get((column.path, column.negate))
            if group is None:
                item_groups[(column.path, column.negate)] = (len(out), [(column.field, test, where)], where)
                out.append((None, where))         # placeholder, filled below
            else:
                group[1].append((column.field, test, where))
            continue
        test = value if op == "eq" else _lmap([(op, value, where)], where)
        cond = _lmap([(column.path, test, where)], where)
        if column.negate:
            cond = _lmap([("not", cond, where)], where)
        out.append((cond, where))
    for (path, negate), (slot, fields, where) in item_groups.items():
        tests = LMap()
        tests.loc = where
        for field, test, floc in fields:
            if field in tests:       # two columns on one field of one entry: combine their operators
                prev = tests[field]
                if isinstance(prev, LMap) and isinstance(test, LMap):
                    for k, v in test.items():
                        prev[k] = v
                        prev.key_locs[k] = test.key_loc(k)
                        prev.value_locs[k] = test.value_loc(k)
                continue
            tests[field] = test
            tests.key_locs[field] = floc
            tests.value_locs[field] = floc
        quant = "none" if negate else "any"
        out[slot] = (_lmap([(path, _lmap([(quant, tests, where)], where), where)], where), where)
    return out


def read_table_text(text: str, file: str, explicit: bool = True,
                    stem: Optional[str] = None) -> tuple[Optional[LMap], list[Problem]]:
    """The located rule document of a decision table, and the table's own problems.

    A CSV without a ``recommend`` column is not a decision table: it is an
    error when ``explicit`` (named on its own), else it is skipped (None, []).
    """
    stem = stem or Path(file).stem
    lines = text.splitlines(keepends=True)
    first = lines[0] if lines else ""
    delimiter = max(",;\t", key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        return None, [Problem(file, reader.line_num, 1, "E100", f"CSV: {exc}")]
    if not rows:
        empty = Problem(file, 1, 1, "E102", "an empty file is not a decision table")
        return (None, [empty]) if explicit else (None, [])
    header = rows[0][1]
    if "recommend" not in {" ".join(h.split()).lower() for h in header}:
        if explicit:
            return None, [Problem(file, 1, 1, "E102", "not a decision table: the header has no 'recommend' column "
                                                      "(the interventions each row recommends)")]
        return None, []
    problems: list[Problem] = []
    columns: list[Column] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        column, found = parse_header(cell, i, file)
        problems.extend(found)
        if column is None:
            continue
        if column.key:
            if column.key in seen:
                problems.append(Problem(file, 1, column.col, "E101",
                                        f"duplicate column '{column.header}' (first in column {seen[column.key]})"))
                continue
            seen[column.key] = column.col
        columns.append(column)
    rules = LSeq()
    rules.loc = _loc(2, 1)
    for row, cells in rows[1:]:
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue                                  # blank rows and comment rows
        if len(cells) > len(header):
            problems.append(Problem(file, row, len(header) + 1, "E104",
                                    f"row {row} has {len(cells)} cells but the header has {len(header)} columns"))
        rule = _row_rule(columns, cells, row, stem)
        rules.append(rule)
        rules.item_locs.append(rule.loc)
    doc = _lmap([("ruleset", stem, _loc(1, 1)), ("rules", rules, _loc(2, 1))], _loc(1, 1))
    return doc, problems


def _row_rule(columns: list[Column], cells: list[str], row: int, stem: str) -> LMap:
    loc = _loc(row, 1)
    items: list[tuple[str, Any, Loc]] = []
    by_key = {c.key: c for c in columns if c.key}

    def cell(key: str) -> tuple[str, Loc]:
        column = by_key.get(key)
        if column is None or column.index >= len(cells):
            return "", loc
        return cells[column.index].strip(), _loc(row, column.col)

    rule_id, where = cell("id")
    items.append(("id", rule_id or f"{stem}-row-{row}", where))
    title, where = cell("title")
    items.append(("title", title or f"{stem}, row {row}", where))
    scope, where = cell("scope")
    if scope:
        items.append(("scope", scope, where))
    conditions = _condition(columns, cells, row, scope or "person")
    if len(conditions) == 1:
        items.append(("when", conditions[0][0], conditions[0][1]))
    elif conditions:
        items.append(("when", _lseq([c for c, _ in conditions], [w for _, w in conditions], loc), loc))
    targets: list[Any] = []
    target_locs: list[Loc] = []
    rec_where = loc
    for key, to in (("recommend", "person"), ("recommend to manager", "manager")):
        text, where = cell(key)
        if key == "recommend":
            rec_where = where
        for part in (p for p in LIST_SEPARATORS.split(text) if p):
            targets.append(part if to == "person" else _lmap([("intervention", part, where), ("to", to, where)], where))
            target_locs.append(where)
    items.append(("recommend", _lseq(targets, target_locs, rec_where), rec_where))
    priority, where = cell("priority")
    if priority:
        items.append(("priority", _scalar(priority, "int"), where))
    suppresses, where = cell("suppresses")
    if suppresses:
        parts = [p for p in LIST_SEPARATORS.split(suppresses) if p]
        items.append(("suppresses", _lseq(parts, [where] * len(parts), where), where))
    for key in ("rationale", "source"):
        text, where = cell(key)
        if text:
            items.append((key, text, where))
    return _lmap(items, loc)


def read_table(path: Path, label: str, explicit: bool = True) -> tuple[Optional[LMap], list[Problem]]:
    """Read a CSV decision table file (see ``read_table_text``)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(label, 1, 1, "E100", f"cannot read: {exc}")]
    return read_table_text(text, label, explicit, stem=path.stem)


__all__ = ["read_table", "read_table_text", "parse_header", "Column"]
