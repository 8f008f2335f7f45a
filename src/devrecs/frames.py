"""DataFrames in and out: people from a pandas or polars DataFrame, recommendations as a tidy frame.

    from devrecs import frames
    result = frames.recommend(df, mapping="examples/ibm-hr-attrition/mapping.yaml", audience="hr")
    result.recommendations    # one row per person and intervention
    result.rejects            # one row per record and field that could not be taken

What this module holds: the DataFrame face of the intake. A frame's rows are
records for the same mapping files as a CSV: each row goes through
``pipeline.Reader`` with the mapping of ``pipeline.read_mapping`` and
``Engine.people``, so a row is taken or rejected, with the same messages, as
the same row of a CSV would be; duplicate ids are rejected as ``devrecs batch``
rejects them. The frames that come back are of the kind that came in (pandas
in, pandas out; polars in, polars out; a pyarrow Table for anything else that
speaks the Arrow stream interface).

Why Arrow, not narwhals: both read pandas and polars, but every row has to
become a dict of plain Python values for the mapping, and Arrow does that in
C (``RecordBatch.to_pylist``). Measured by benchmarks/rows.py (the IBM sample
repeated to 100,000 rows, best of 3; benchmarks/results.md): rows as dicts
through Arrow took 0.36 s from pandas and 0.38 s from polars; narwhals'
``iter_rows(named=True)`` took 5.40 s from pandas and 0.48 s from polars.
Arrow is also what a Parquet file is read with (sources/parquet.py): one
conversion, so a Parquet file and a DataFrame of the same rows give the same
values. pyarrow is the one dependency (``devrecs[frames]``); pandas and polars
are imported only to build the frame that goes back, of the kind given.

Engines are built once per process and kept (:func:`cached_engine`), so the
same function runs unchanged in Dask's ``map_partitions`` or Spark's
``mapInPandas``: each worker builds its engine for the first partition and
reuses it for the rest. Nothing here imports Dask or Spark.

The core package never imports this module; ``import devrecs`` loads neither
pyarrow, pandas nor polars.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from typing import Any, Iterator, NamedTuple, Optional, Sequence, Union

from .app import Engine
from .engine.resolve import DEFAULT_CAP
from .errors import DevrecsError
from .intake import pipeline
from .intake.mapping import DataMapping
from .intake.sources import RecordLabel
from .intake.sources.parquet import BATCH_ROWS, batch_records, import_pyarrow
from .model import Person

FRAME = "DataFrame"     # the default name of a frame in record labels: "DataFrame row 0"

RECOMMENDATION_COLUMNS = ("person", "rank", "intervention", "subject", "priority", "rules", "rationale")
REJECT_COLUMNS = ("record", "row", "id", "field", "reason")
CONDITION_COLUMNS = ("person", "intervention", "status", "rule", "fired", "fact", "test", "actual", "held",
                     "recorded")

MappingLike = Union[str, "os.PathLike[str]", DataMapping, None]


class Result(NamedTuple):
    """What :func:`recommend` gives: two frames of the kind given."""

    recommendations: Any
    rejects: Any


class Conditions(NamedTuple):
    """What :func:`explain` gives: two frames of the kind given."""

    conditions: Any
    rejects: Any


# -- engines and mappings, once per process ---------------------------------------------------

@functools.lru_cache(maxsize=8)
def cached_engine(rules: Optional[tuple[str, ...]] = None, cap: Optional[int] = DEFAULT_CAP) -> Engine:
    """The Engine for ``rules`` (None: the built-in packs with installed plugins), built once per
    process and kept: a worker running many partitions compiles the rules once."""
    if rules:
        return Engine.from_paths(list(rules), cap=cap)
    return Engine.default(cap=cap)


@functools.lru_cache(maxsize=16)
def _mapping_file(path: str, modified: int, engine: Engine) -> Optional[DataMapping]:
    return pipeline.read_mapping(path, engine.sources())


def _engine(engine: Optional[Engine], rules: Optional[Sequence[str]], cap: Optional[int]) -> Engine:
    if engine is not None:
        if rules:
            raise DevrecsError("give engine= or rules=, not both")
        return engine
    return cached_engine(tuple(str(r) for r in rules) if rules else None, cap)


def _mapping(mapping: MappingLike, engine: Engine) -> Optional[DataMapping]:
    """A mapping file read once per process while it is unchanged (its joins read once too)."""
    if mapping is None or isinstance(mapping, DataMapping):
        return mapping
    path = os.fspath(mapping)
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError:
        return pipeline.read_mapping(path, engine.sources())   # says the file cannot be read
    return _mapping_file(path, modified, engine)


# -- frames in ---------------------------------------------------------------------------------

def kind_of(frame: Any) -> str:
    """``pandas``, ``polars`` or ``arrow``: what a frame is, to give back the same kind."""
    top = type(frame).__module__.split(".")[0]
    if top in ("pandas", "polars"):
        return top
    return "arrow"


def to_arrow(frame: Any) -> Any:
    """A pyarrow Table of ``frame``: pandas, polars, a pyarrow Table or RecordBatch, or any object
    with the Arrow C stream interface (``__arrow_c_stream__``)."""
    pa = import_pyarrow()
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    kind = kind_of(frame)
    try:
        if kind == "pandas":
            return _from_pandas(pa, frame)
        if kind == "polars":
            return frame.to_arrow()
        return pa.table(frame)
    except (TypeError, ValueError, pa.ArrowException) as exc:
        raise DevrecsError(f"cannot read a {type(frame).__name__} as a table of people: "
                           f"{type(exc).__name__}: {exc}") from None


def _from_pandas(pa: Any, frame: Any) -> Any:
    """A pandas frame as Arrow; an object column of mixed values (ints and text, as a hand-edited
    frame can hold) becomes text, so its odd value is one row's reject, as in a CSV."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    columns = {}
    for name in frame.columns:
        try:
            columns[str(name)] = pa.array(frame[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[str(name)] = pa.array([None if v is None or v != v else str(v) for v in frame[name]],
                                          type=pa.string())
    return pa.table(columns)


def records(frame: Any, name: str = FRAME) -> Iterator[tuple[RecordLabel, dict]]:
    """(label, raw record) per row of ``frame``, in order; rows are named ``<name> row N`` with N
    the row's position from 0 (``df.iloc[N]``). Converted ``BATCH_ROWS`` rows at a time."""
    table = to_arrow(frame)
    n = 0
    for batch in table.to_batches(max_chunksize=BATCH_ROWS):
        for raw in batch_records(batch):
            yield RecordLabel(name, n), raw
            n += 1


def people(frame: Any, *, mapping: MappingLike = None, engine: Optional[Engine] = None,
           rules: Optional[Sequence[str]] = None, cap: Optional[int] = DEFAULT_CAP, name: str = FRAME,
           ) -> Iterator[tuple[Any, Union[Person, pipeline.Reject]]]:
    """(label, prepared Person or Reject) per row, as a CSV of the same rows would give them, a
    repeated id rejected as in ``devrecs batch``."""
    eng = _engine(engine, rules, cap)
    mapped = _mapping(mapping, eng)
    rows = pipeline.Records(name, records(frame, name), True)
    seen: dict[str, str] = {}
    for label, item in eng.people(pipeline.check_columns(mapped, rows), mapping=mapped, tabular=True):
        if isinstance(item, Person):
            if item.id in seen:
                first = f"duplicate id {item.id!r} (first in {seen[item.id]})"
                item = pipeline.reject(label, item.id, (("id", first),))
            else:
                seen[item.id] = str(label)
        yield label, item


# -- frames out -------------------------------------------------------------------------------

def _frame(columns: dict[str, list], types: dict[str, Any], kind: str) -> Any:
    pa = import_pyarrow()
    table = pa.table({c: pa.array(v, type=types[c]) for c, v in columns.items()})
    if kind == "pandas":
        return table.to_pandas()
    if kind == "polars":
        import polars
        return polars.from_arrow(table)
    return table


def _types(names: Sequence[str]) -> dict[str, Any]:
    pa = import_pyarrow()
    ints = {"rank", "priority", "row"}
    bools = {"fired", "held", "recorded"}
    return {c: pa.int64() if c in ints else pa.bool_() if c in bools else pa.string() for c in names}


def _add_reject(columns: dict[str, list], item: pipeline.Reject) -> None:
    for field, reason in item.errors:
        for c, v in zip(REJECT_COLUMNS, (item.record, item.row, item.id, field or None, reason)):
            columns[c].append(v)


def recommend(frame: Any, *, mapping: MappingLike = None, audience: str = "hr", as_of: Optional[dt.date] = None,
              engine: Optional[Engine] = None, rules: Optional[Sequence[str]] = None,
              cap: Optional[int] = DEFAULT_CAP, name: str = FRAME) -> Result:
    """The recommendations for every person of ``frame`` as ``audience`` may see them, and the
    rejected rows.

    ``recommendations``: one row per person and intervention, in input order: person, rank
    (1 first), intervention, subject (the person, or their manager for a team item), priority,
    rules (``;``-separated) and rationale (the audience's wording, ``;``-separated per rule).
    ``rejects``: one row per rejected record and field: record, row, id, field, reason.

    ``engine``: an Engine to use; else ``rules`` (files or folders; default the built-in
    packs) and ``cap`` pick one built once per process. ``as_of``: the run date (default today).
    """
    eng = _engine(engine, rules, cap)
    day = eng.day(as_of)
    recs: dict[str, list] = {c: [] for c in RECOMMENDATION_COLUMNS}
    bad: dict[str, list] = {c: [] for c in REJECT_COLUMNS}

    def valid() -> Iterator[Person]:     # rejects are noted as the people stream by
        for _, item in people(frame, mapping=mapping, engine=eng, name=name):
            if isinstance(item, pipeline.Reject):
                _add_reject(bad, item)
            else:
                yield item

    for person, items in eng.recommend_many(valid(), day, audience):
        for rank, r in enumerate(items, 1):
            for c, v in zip(RECOMMENDATION_COLUMNS, (person.id, rank, r.intervention, r.subject, r.priority,
                                                     ";".join(r.rules), "; ".join(r.rationale))):
                recs[c].append(v)
    kind = kind_of(frame)
    return Result(_frame(recs, _types(RECOMMENDATION_COLUMNS), kind), _frame(bad, _types(REJECT_COLUMNS), kind))


def recommendations(frame: Any, *, mapping: MappingLike = None, audience: str = "hr",
                    as_of: Optional[dt.date] = None, engine: Optional[Engine] = None,
                    rules: Optional[Sequence[str]] = None, cap: Optional[int] = DEFAULT_CAP,
                    name: str = FRAME) -> Any:
    """The recommendations frame of :func:`recommend` alone, for ``map_partitions`` and
    ``mapInPandas``; a rejected row raises DevrecsError naming every reject (never dropped
    silently). Clean the data with :func:`recommend`'s rejects first."""
    result = recommend(frame, mapping=mapping, audience=audience, as_of=as_of, engine=engine, rules=rules,
                       cap=cap, name=name)
    rejects = to_arrow(result.rejects)
    if rejects.num_rows:
        lines = [f"{rec}, " + (f"field '{f}': {r}" if f else r)
                 for rec, f, r in zip(*(rejects.column(c).to_pylist() for c in ("record", "field", "reason")))]
        raise DevrecsError(f"{rejects.num_rows} rejected: " + "\n".join(lines))
    return result.recommendations


def empty_recommendations(kind: str = "pandas") -> Any:
    """The recommendations frame with no rows: its columns and types (Dask's ``meta``)."""
    return _frame({c: [] for c in RECOMMENDATION_COLUMNS}, _types(RECOMMENDATION_COLUMNS), kind)


def explain(frame: Any, *, mapping: MappingLike = None, intervention: Optional[str] = None,
            audience: str = "hr", as_of: Optional[dt.date] = None, engine: Optional[Engine] = None,
            rules: Optional[Sequence[str]] = None, cap: Optional[int] = DEFAULT_CAP, name: str = FRAME,
            ) -> Conditions:
    """Why (or why not) each person of ``frame`` gets ``intervention`` (default: each item they
    get), as ``audience`` may see it: one row per condition of each rule considered.

    Columns: person, intervention, status (recommended, removed, not-recommended, ...), rule,
    fired, fact, test, actual (the person's value as text, or none when not recorded), held
    (true, false, or none when unknown) and recorded. Hidden facts are left out as in
    ``devrecs explain``. The second frame holds the rejected rows."""
    from .explain import show_value
    eng = _engine(engine, rules, cap)
    day = eng.day(as_of)
    rows: dict[str, list] = {c: [] for c in CONDITION_COLUMNS}
    bad: dict[str, list] = {c: [] for c in REJECT_COLUMNS}
    for _, item in people(frame, mapping=mapping, engine=eng, name=name):
        if isinstance(item, pipeline.Reject):
            _add_reject(bad, item)
            continue
        explanation = eng.explain(item, intervention, audience, day)
        for it in explanation.items:
            for rule in it.why + it.why_not:
                for check in rule.checks:
                    actual = show_value(check.actual) if check.recorded else None
                    for c, v in zip(CONDITION_COLUMNS, (explanation.person, it.intervention, it.status, rule.rule,
                                                        rule.fired, check.fact, check.test, actual, check.held,
                                                        check.recorded)):
                        rows[c].append(v)
    kind = kind_of(frame)
    return Conditions(_frame(rows, _types(CONDITION_COLUMNS), kind), _frame(bad, _types(REJECT_COLUMNS), kind))


__all__ = ["CONDITION_COLUMNS", "Conditions", "FRAME", "RECOMMENDATION_COLUMNS", "REJECT_COLUMNS", "Result",
           "cached_engine", "empty_recommendations", "explain", "kind_of", "people", "recommend", "recommendations",
           "records",
           "to_arrow"]
