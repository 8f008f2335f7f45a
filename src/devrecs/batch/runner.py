"""Batch runs: every record of a source, mapped, validated and recommended, streamed.

    stats = run_batch(BatchOptions(source="people.csv", mapping="mapping.yaml",
                                   out="recs.jsonl", rejects="rejects.jsonl"))
    stats.read, stats.accepted, stats.rejected

Records flow one chunk at a time: source -> mapping (intake/mapping.py) ->
``person_from_dict`` -> Engine -> writer, so memory does not grow with the
number of records (only a compact set of the ids seen, to refuse duplicates,
and, with ``org``, the population: team facts need everyone).

A record that cannot be read, mapped or validated is rejected with its
source, row, field and reason; the rest go on. With ``workers`` > 1, chunks
of records go to that many processes (each builds its Engine and mapping
once, from paths); the output keeps the input order.
"""

from __future__ import annotations

import array
import contextlib
import csv
import datetime as dt
import itertools
import json
import multiprocessing
import os
import sys
from collections import deque
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Sequence, TextIO

import attrs

from ..app import Engine
from ..engine.resolve import DEFAULT_CAP
from ..errors import DevrecsError, RunCutShort
from ..intake import sources
from ..intake.mapping import DataMapping
from ..intake.pipeline import Reader, Reject, read_mapping, reject
from ..model import Person, Recommendation
from ..oversight.decisionlog import DecisionLog
from ..oversight.store import Store
from .stopping import whole

CHUNK = 256              # records per chunk: one durable session, one message to a worker
SHOW_REJECTS = 20        # reject lines printed on stderr before "... and N more"
FLAT_COLUMNS = ("scope", "person", "rank", "intervention", "subject", "priority", "rules", "ruleset_hash", "packs")
DEFAULT_OUT_TABLE = "devrecs_recommendations"


@attrs.frozen
class BatchOptions:
    """What to run. ``rules``: rule files or folders (empty: the built-in packs)."""

    source: str
    mapping: Optional[str] = None
    source_name: Optional[str] = None
    table: Optional[str] = None
    query: Optional[str] = None
    rules: tuple[str, ...] = ()
    out: Optional[str] = None            # .jsonl, .csv, a database URL; None: JSONL on stdout
    out_table: str = DEFAULT_OUT_TABLE
    rejects: Optional[str] = None
    workers: int = 1
    org: bool = False
    audience: Optional[str] = None
    as_of: Optional[dt.date] = None
    cap: Optional[int] = DEFAULT_CAP
    store: Optional[str] = None          # outcome store URL: history joins, proposals recorded
    log: Optional[str] = None            # decision log (JSONL): one line per person, as ``audience`` sees it
    pseudonymiser: Any = None            # decisionlog.Pseudonymiser for the log's person ids, or None


@attrs.define
class BatchStats:
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    rows: int = 0                        # output rows written
    ruleset_hash: str = ""
    as_of: Optional[dt.date] = None
    warnings: list = attrs.field(factory=list)
    interventions: dict = attrs.field(factory=dict)   # intervention -> subjects it went to
    logged: int = 0                      # lines written to the decision log (--log)

    def summary(self) -> str:
        return f"{self.read} read, {self.accepted} accepted, {self.rejected} rejected"


# -- one chunk of records: what a worker (or the main process) does ------------------

@attrs.frozen
class _Config:
    """What a worker needs to build its own Processor (paths and values, never engines)."""

    rules: tuple[str, ...]
    cap: Optional[int]
    as_of: Optional[dt.date]
    mapping: Optional[str]
    tabular: bool
    audience: Optional[str]
    store: Optional[str] = None


class Processor:
    """Maps, validates, prepares and recommends records, and tells the sinks; one per process."""

    def __init__(self, config: _Config, engine: Optional[Engine] = None,
                 mapping: Optional[DataMapping] = None):
        self.config = config
        self.engine = engine or _engine(config)
        self.mapping = mapping if mapping is not None else read_mapping(config.mapping, self.engine.sources())
        self.reader = Reader(self.mapping, config.tabular)
        self.store = Store(config.store) if config.store else None
        self._joined = False
        self._failures: list[str] = []

    def prepared(self, records: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """(label, prepared Person or Reject) per record, in order (app.Engine.people)."""
        return list(self.engine.people(records, mapping=self.mapping, tabular=self.config.tabular,
                                       store=self.store))

    def _alone(self, person: Person) -> tuple:
        """``(recommendations, None)``, or ``(None, ((field, reason),))`` when the engine fails
        on this person alone."""
        try:
            (_, recs), = self.engine.recommend_many([person], self.config.as_of, self.config.audience, self.store)
            return recs, None
        except DevrecsError as exc:
            return None, (("", f"the matching engine refused this record: {exc}"),)
        except Exception as exc:
            return None, (("", f"the matching engine failed on this record ({type(exc).__name__})"),)

    def warnings(self) -> list[str]:
        """The joined rows that were skipped (reading the joins, once) and sinks that failed."""
        out, self._failures = self._failures, []
        if self.mapping is not None and not self._joined:
            self._joined = True
            out = self.mapping.load_joins() + out
        return out

    def notify(self, subject: str, recs: Sequence[Recommendation]) -> None:
        """Tell the plugins' sinks what the run's audience is shown for ``subject``."""
        for failure in self.engine.notify(subject, recs, self.config.audience or "hr"):
            self._failures.append(f"warning: {failure}")

    def chunk(self, records: Sequence[tuple[str, Any]], serialize: bool = False) -> list[tuple]:
        """For each record, in order: ``(person id, output row, interventions)`` or
        ``(None, id or None, ((field, reason), ...))`` for a reject. With ``serialize`` the
        output row is its JSON text (cheap to send between processes)."""
        prepared = self.prepared(records)
        people = [p for _, p in prepared if isinstance(p, Person)]
        try:
            found: Optional[list] = [r for _, r in self.engine.recommend_many(people, self.config.as_of,
                                                                               self.config.audience, self.store)]
        except Exception:   # a person the engine cannot take: each alone, so only that one is rejected
            found = None
        recs = iter(found or ())
        out: list[tuple] = []
        h = self.engine.provenance
        for _, p in prepared:
            if isinstance(p, Person):
                mine, why = (next(recs), None) if found is not None else self._alone(p)
                if why is not None:
                    out.append((None, p.id, why))
                    continue
                self.notify(p.id, mine)
                row = person_row(p.id, mine, h)
                out.append((p.id, json.dumps(row) if serialize else row, tuple(r.intervention for r in mine)))
            else:
                out.append((None, p.id, p.errors))
        return out


def _engine(config: _Config) -> Engine:
    if config.rules:
        return Engine.from_paths(config.rules, cap=config.cap, as_of=config.as_of)
    return Engine.default(cap=config.cap, as_of=config.as_of)


def rec_json(r: Recommendation) -> dict:
    return {"intervention": r.intervention, "subject": r.subject, "priority": r.priority, "rules": list(r.rules)}


def person_row(pid: str, recs: Sequence[Recommendation], provenance: Mapping[str, Any]) -> dict:
    """A person's output record: their items, then the rule set hash and the pack versions
    (``Engine.provenance``) once for the record."""
    return {"person": pid, "recommendations": [rec_json(r) for r in recs], **provenance}


def packs_text(packs: Mapping[str, str]) -> str:
    """The pack versions in one flat column: ``careers=1;experts=1`` (a pack without a version: its name)."""
    return ";".join(f"{name}={version}" if version else name for name, version in sorted(packs.items()))


# worker processes: one Processor each, built once by the pool's initializer
_WORKER: dict[str, Any] = {}


def _init_worker(config: _Config, serialize: bool) -> None:
    _WORKER["serialize"] = serialize
    try:
        _WORKER["processor"] = Processor(config)
    except BaseException as exc:  # reported with the first chunk, not by a crashing pool
        _WORKER["error"] = f"{exc}"


def _work(records: list) -> tuple:
    """("ok", warnings, results) or ("error", message); plain values only, cheap to pickle."""
    if "error" in _WORKER:
        return "error", _WORKER["error"]
    try:
        processor = _WORKER["processor"]
        joins = processor.warnings()     # reads the joins before the first chunk
        results = processor.chunk(records, _WORKER["serialize"])
        return "ok", joins + processor.warnings(), results
    except DevrecsError as exc:
        return "error", str(exc)


# -- duplicate ids, in little memory -------------------------------------------------

class _SeenIds:
    """The ids seen so far, as 64-bit hashes in a linear-probing table (12 bytes a slot,
    at most 80% full), with the row each was first seen in. Two different ids with the same 64-bit
    hash would be taken for duplicates: about 3 chances in 10^8 among 10^6 ids."""

    def __init__(self) -> None:
        self._size = 1 << 12
        self._keys = array.array("Q", bytes(8 * self._size))
        self._rows = array.array("I", bytes(4 * self._size))
        self._n = 0

    def add(self, key: str, row: int) -> Optional[int]:
        """None when ``key`` is new (it is added); else the row it was first seen in."""
        h = (hash(key) & 0xFFFFFFFFFFFFFFFF) or 1
        keys, mask = self._keys, self._size - 1
        i = h & mask
        while True:
            k = keys[i]
            if k == 0:
                keys[i] = h
                self._rows[i] = row & 0xFFFFFFFF
                self._n += 1
                if self._n * 5 > self._size * 4:   # at most 80% full
                    self._grow()
                return None
            if k == h:
                return self._rows[i]
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_keys, old_rows = self._keys, self._rows
        self._size *= 2
        self._keys = array.array("Q", bytes(8 * self._size))
        self._rows = array.array("I", bytes(4 * self._size))
        mask = self._size - 1
        for k, r in zip(old_keys, old_rows):
            if k:
                i = k & mask
                while self._keys[i]:
                    i = (i + 1) & mask
                self._keys[i] = k
                self._rows[i] = r


# -- writers ---------------------------------------------------------------------------

def flat_rows(row: dict) -> Iterator[dict]:
    """One row per recommendation (a subject without any gets one row without)."""
    scope = row.get("scope", "person")
    base = {"scope": scope, "person": row.get("person"), "ruleset_hash": row["ruleset_hash"],
            "packs": packs_text(row.get("packs") or {})}
    recs = row["recommendations"]
    if not recs:
        yield dict(base, rank=None, intervention=None, subject=row.get("subject", row.get("person")),
                   priority=None, rules=None)
    for n, r in enumerate(recs, 1):
        yield dict(base, rank=n, intervention=r["intervention"], subject=r["subject"], priority=r["priority"],
                   rules=";".join(r["rules"]))


class JsonlWriter:
    def __init__(self, stream: TextIO, close: bool):
        self.stream, self._close = stream, close

    def write(self, row: Any) -> int:
        """A row, or its JSON text already made (by a worker)."""
        self.stream.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
        return 1

    def close(self) -> None:
        if self._close:
            self.stream.close()
        else:
            self.stream.flush()


class CsvWriter:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.writer = csv.DictWriter(stream, FLAT_COLUMNS, lineterminator="\n")
        self.writer.writeheader()

    def write(self, row: dict) -> int:
        n = 0
        for flat in flat_rows(row):
            self.writer.writerow(flat)
            n += 1
        return n

    def close(self) -> None:
        self.stream.close()


class SqlWriter:
    """Appends rows to a table (created when missing) through SQLAlchemy, 1,000 a transaction.
    Each row also carries ``run_at``, the time the run started (UTC), to tell runs apart."""

    BATCH = 1000

    def __init__(self, url: str, table: str):
        import sqlalchemy as sa

        from ..database import connect, db_error
        self.url, self._db_error = url, db_error
        self.engine = connect(url)
        schema, _, name = table.rpartition(".")
        self.table = sa.Table(
            name, sa.MetaData(),
            *[sa.Column(c, sa.Integer if c in ("rank", "priority") else sa.Text) for c in FLAT_COLUMNS],
            sa.Column("run_at", sa.DateTime), schema=schema or None)
        self.run_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        self.pending: list[dict] = []
        try:
            self.table.create(self.engine, checkfirst=True)
            self._add_missing_columns()
        except sa.exc.SQLAlchemyError as exc:
            raise db_error(url, exc) from None

    def _add_missing_columns(self) -> None:
        """A table an older devrecs made lacks later columns (``packs``): they are added, empty
        for the rows already there."""
        import sqlalchemy as sa
        have = {c["name"] for c in sa.inspect(self.engine).get_columns(self.table.name, schema=self.table.schema)}
        missing = [c for c in self.table.columns if c.name not in have]
        if not missing:
            return
        prepare = self.engine.dialect.identifier_preparer
        with self.engine.begin() as conn:
            for column in missing:
                kind = column.type.compile(dialect=self.engine.dialect)
                conn.execute(sa.text(f"ALTER TABLE {prepare.format_table(self.table)} "
                                     f"ADD COLUMN {prepare.format_column(column)} {kind}"))

    def write(self, row: dict) -> int:
        flats = [dict(f, run_at=self.run_at) for f in flat_rows(row)]
        self.pending.extend(flats)
        if len(self.pending) >= self.BATCH:
            self._flush()
        return len(flats)

    def _flush(self) -> None:
        import sqlalchemy as sa
        if not self.pending:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(self.table.insert(), self.pending)
        except sa.exc.SQLAlchemyError as exc:
            raise self._db_error(self.url, exc) from None
        self.pending = []

    def close(self) -> None:
        try:
            self._flush()
        finally:
            self.engine.dispose()


class ParquetWriter:
    """Flat rows (the CSV's columns) to a Parquet file, one row group per ``ROWS`` rows (about
    20 MB of memory while one fills), so memory stays flat; needs pyarrow (``devrecs[parquet]``),
    imported only here."""

    ROWS = 16_384

    def __init__(self, path: str):
        from ..intake.sources.parquet import import_pyarrow
        try:
            pa = import_pyarrow()
        except DevrecsError as exc:
            raise DevrecsError(f"--out {path}: {exc}") from None
        import pyarrow.parquet as pq
        self.pa = pa
        self.schema = pa.schema([(c, pa.int32() if c in ("rank", "priority") else pa.string())
                                 for c in FLAT_COLUMNS])
        try:
            self.file = pq.ParquetWriter(path, self.schema)
        except OSError as exc:
            raise DevrecsError(f"--out {path}: cannot write ({exc.strerror or exc})") from None
        self.pending: dict[str, list] = {c: [] for c in FLAT_COLUMNS}
        self.count = 0

    def write(self, row: dict) -> int:
        n = 0
        for flat in flat_rows(row):
            for c in FLAT_COLUMNS:
                self.pending[c].append(flat[c])
            n += 1
        self.count += n
        if self.count >= self.ROWS:
            self._flush()
        return n

    def _flush(self) -> None:
        if self.count:
            self.file.write_table(self.pa.table(self.pending, schema=self.schema))
            self.pending = {c: [] for c in FLAT_COLUMNS}
            self.count = 0

    def close(self) -> None:
        try:
            self._flush()
        finally:
            self.file.close()


def open_writer(out: Optional[str], table: str = DEFAULT_OUT_TABLE, stdout: Optional[TextIO] = None) -> Any:
    """A writer for ``out``: a .jsonl, .csv or .parquet file, a database URL, or None for JSONL
    on stdout."""
    if out is None or out == "-":
        return JsonlWriter(stdout or sys.stdout, close=False)
    if sources.is_database_url(out):
        return SqlWriter(out, table)
    lower = out.lower()
    if lower.endswith(".parquet"):
        return ParquetWriter(out)
    if not (lower.endswith(".jsonl") or lower.endswith(".csv")):
        raise DevrecsError(f"--out {out}: write to a .jsonl, .csv or .parquet file, or to a database URL")
    partial = out + ".partial"      # renamed to ``out`` when the run finishes (see _finishing)
    try:
        stream = open(partial, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise DevrecsError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    writer: Any = CsvWriter(stream) if lower.endswith(".csv") else JsonlWriter(stream, close=True)
    writer.final = (partial, out)
    return writer


# -- progress ---------------------------------------------------------------------------

class _Progress:
    """The batch's bar (progress.Progress): records read, with accepted and rejected; silent when off."""

    def __init__(self, stream: Optional[TextIO], total: Optional[int] = None):
        from .progress import Progress
        self.bar = Progress(stream, "batch", total, show=stream is not None)

    def update(self, stats: BatchStats, force: bool = False) -> None:
        self.bar.set(stats.read, detail=f"{stats.accepted:,} accepted, {stats.rejected:,} rejected")

    def line(self, text: str) -> None:
        """A line for stderr, above the bar."""
        self.bar.line(text)

    def done(self) -> None:
        self.bar.close()


# -- the run ------------------------------------------------------------------------------

class _Run:
    """Book-keeping of one run: counts, duplicate ids, rejects, output."""

    def __init__(self, writer: Any, rejects: Optional[TextIO], err: Optional[TextIO], progress: _Progress):
        self.stats = BatchStats()
        self.writer = writer
        self.rejects = rejects
        self.err = err
        self.progress = progress
        self.seen = _SeenIds()
        self.shown = 0
        self.ordinal = 0
        self.recorder: Any = None     # store.RunRecorder when the run is recorded (--store)
        self.log: Any = None          # decisionlog.DecisionLog when the run is logged (--log)
        self.shows_released = False   # --audience employee with --store: only released items (review)

    def warn(self, line: str) -> None:
        if line not in self.stats.warnings:   # each worker reports its joins' skipped rows
            self.stats.warnings.append(line)
            if self.err is not None:
                self._line(line)

    def reject(self, r: Reject) -> None:
        self.stats.rejected += 1
        if self.rejects is not None:
            self.rejects.write(json.dumps(r.to_dict()) + "\n")
        if self.err is not None and self.shown < SHOW_REJECTS:
            for line in r.lines():
                self._line(line)
        self.shown += 1

    def _line(self, text: str) -> None:
        if self.progress.bar.shown:
            self.progress.line(text)
        elif self.err is not None:
            self.err.write(text + "\n")

    def accept(self, label: Any, pid: str) -> bool:
        """Count a valid record; False (and a reject) when its id was seen before."""
        self.ordinal += 1
        row = getattr(label, "row", self.ordinal)
        first = self.seen.add(pid, row)
        if first is not None:
            unit, src = getattr(label, "unit", "record"), getattr(label, "source", "")
            where = f"{src} {unit} {first}".strip()
            self.reject(Reject(str(label), getattr(label, "source", ""), getattr(label, "row", None), pid,
                               (("id", f"duplicate id {pid!r} (first in {where})"),)))
            return False
        self.stats.accepted += 1
        return True

    def write(self, row: Any, interventions: Sequence[str]) -> None:
        with whole():                  # a signal waits until the row is in output, store and log
            self._write(row, interventions)

    def _write(self, row: Any, interventions: Sequence[str]) -> None:
        self.stats.rows += self.writer.write(row)
        if self.recorder is not None or self.log is not None:
            data = json.loads(row) if isinstance(row, str) else row
            if self.recorder is not None:     # an employee's view of released items proposes nothing new
                self.recorder.add_row(dict(data, recommendations=[]) if self.shows_released else data)
            if self.log is not None and "person" in data:    # team and organization rows are not logged
                self.log.write(data["person"], data["recommendations"])
                self.stats.logged += 1
        counts = self.stats.interventions
        for name in interventions:
            counts[name] = counts.get(name, 0) + 1

    def handle(self, labels: Sequence[Any], warnings: Sequence[str], results: Sequence[tuple]) -> None:
        """Count, check ids and write one chunk's results (Processor.chunk), in order."""
        for line in warnings:
            self.warn(line)
        for label, (pid, row, extra) in zip(labels, results):
            self.stats.read += 1
            if pid is None:
                self.reject(reject(label, row, extra))
            elif self.accept(label, pid):
                self.write(row, extra)
        self.progress.update(self.stats)

    def finish(self) -> None:
        self.progress.update(self.stats, force=True)
        self.progress.done()
        if self.err is not None and self.shown > SHOW_REJECTS:
            more = self.shown - SHOW_REJECTS
            where = "all are in the --rejects file" if self.rejects is not None else "--rejects FILE keeps them all"
            self.err.write(f"... and {more} more rejected ({where})\n")


def _chunks(it: Iterator, size: int) -> Iterator[list]:
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def run_batch(options: BatchOptions, *, stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None,
              progress: Optional[bool] = None) -> BatchStats:
    """Run a batch; raise DevrecsError (a configuration error) before any record when the
    source, mapping, rules or output cannot be used. Rejects are counted, not raised.

    ``stderr`` gets reject lines and warnings (None: sys.stderr); ``progress`` draws a bar
    (devrecs.batch.progress) on it (default: when it is a terminal). The summary line is left to the caller.
    """
    err = stderr if stderr is not None else sys.stderr
    if progress is None:
        from .progress import on_terminal
        progress = on_terminal(err)
    if options.workers < 1:
        raise DevrecsError("--workers must be 1 or more")
    if options.org and options.workers > 1:
        raise DevrecsError("--org needs the whole population in one process: leave out --workers")
    if options.log and not options.audience:
        raise DevrecsError("--log needs --audience: the decision log records what one audience sees "
                           "(for example --audience hr)")
    _check_same_sqlite(options)
    # the main process's engine: rule and plugin errors show before any work; its sources read SOURCE
    engine = _engine(_Config(tuple(options.rules), options.cap, options.as_of, None, False, options.audience))
    opened = engine.open(options.source, mapping=options.mapping, source=options.source_name,
                         table=options.table, query=options.query)
    mapping = opened.mapping
    with contextlib.ExitStack() as stack:
        records = iter(opened.records.records)
        if hasattr(records, "close"):   # a generator holding a file or a database cursor
            stack.callback(records.close)
        first = next(records, None)   # reads the header (and a file's as_of) before anything runs
        head = [first] if first is not None else []
        as_of = options.as_of or opened.as_of or dt.date.today()
        config = _Config(tuple(options.rules), options.cap, as_of, options.mapping,
                         opened.tabular, options.audience, options.store)
        if mapping is not None and config.tabular:
            for _label, raw in head:
                if isinstance(raw, Mapping):
                    mapping.check(raw, opened.label)
        notes = opened.notes       # W140 lines: rule facts the mapping fills from look-alike columns
        processor = Processor(config, engine, mapping) if options.workers == 1 else None
        writer = open_writer(options.out, options.out_table, stdout)
        stack.push(_finishing(writer))
        rejects = None
        if options.rejects:
            try:
                rejects = stack.enter_context(open(options.rejects, "w", encoding="utf-8"))
            except OSError as exc:
                raise DevrecsError(f"--rejects {options.rejects}: cannot write ({exc.strerror or exc})") from None
        total = None
        if progress:
            from .progress import expected_rows
            total = expected_rows(opened.records.source, options.source)
        run = _Run(writer, rejects, err, _Progress(err if progress else None, total))
        for line in notes:
            run.warn(line)
        run.stats.ruleset_hash = engine.ruleset_hash
        run.stats.as_of = as_of
        run.shows_released = bool(options.store) and options.audience == "employee"
        if options.store:
            run.recorder = stack.enter_context(Store(options.store).start_run(
                engine.ruleset_hash, as_of=as_of, audience=options.audience, label=f"batch {options.source}"
                + (" (employee view of released items)" if run.shows_released else "")))
        if options.log:
            run.log = stack.enter_context(DecisionLog(
                options.log, ruleset_hash=engine.ruleset_hash, audience=options.audience, as_of=as_of,
                run_id=run.recorder.run_id if run.recorder is not None else None,
                pseudonymiser=options.pseudonymiser, cap=engine.cap, packs=engine.packs,
                review=None if options.audience != "employee" else "released-only" if options.store else "no-store"))
        stream = itertools.chain(head, records)
        try:
            if options.org:
                _run_org(run, processor, stream)
            elif processor is not None:
                run.handle((), processor.warnings(), ())
                for chunk in _chunks(stream, CHUNK):
                    results = processor.chunk(chunk)
                    run.handle([label for label, _ in chunk], processor.warnings(), results)
            else:
                _run_parallel(run, config, stream, options.workers, isinstance(writer, JsonlWriter))
            run.finish()
        except (KeyboardInterrupt, OSError) as exc:
            run.progress.done()
            raise _cut_short(run, writer, options, exc) from None
        return run.stats


def _finishing(writer: Any) -> Any:
    """The exit step of a run's writer: closed either way; a file is renamed from FILE.partial to
    FILE only when the run finished, so a cut-short run never leaves a file that looks whole."""
    def finish(kind: Any, exc: Any, tb: Any) -> bool:
        writer.close()
        final = getattr(writer, "final", None)
        if kind is None and final is not None:
            os.replace(*final)
        return False
    return finish


def _cut_short(run: _Run, writer: Any, options: BatchOptions, exc: BaseException) -> RunCutShort:
    """The error of a run that stopped part way, saying what was written where."""
    if isinstance(exc, KeyboardInterrupt):
        why = f"interrupted ({exc})" if str(exc) else "interrupted (SIGINT)"
    else:
        filename = getattr(exc, "filename", None)
        why = f"stopped: {getattr(exc, 'strerror', None) or exc}" + (f" ({filename})" if filename else "")
    stats = run.stats
    parts = [f"{why} after {stats.read} read, {stats.accepted} accepted, {stats.rejected} rejected"]
    final = getattr(writer, "final", None)
    if final is not None:
        parts.append(f"{stats.rows} rows are in {final[0]} (incomplete; {final[1]} was not written)")
    elif options.out:
        parts.append(f"{stats.rows} rows were written to {options.out}")
    if run.recorder is not None:
        parts.append(f"the store's run {run.recorder.run_id} holds them and is marked unfinished")
    if run.log is not None:
        parts.append(f"the decision log has their {run.log.lines} lines")
    return RunCutShort("; ".join(parts))


def _check_same_sqlite(options: BatchOptions) -> None:
    """SQLite cannot commit while a read of the same file is under way, unless in WAL mode."""
    if not (options.out and sources.is_database_url(options.out) and sources.is_database_url(options.source)):
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    try:
        a, b = make_url(options.source), make_url(options.out)
    except sa.exc.ArgumentError:
        return
    if a.get_backend_name() != "sqlite" or b.get_backend_name() != "sqlite" or not a.database:
        return
    if a.database != ":memory:" and Path(a.database).resolve() == Path(b.database or "").resolve():
        engine = sa.create_engine(b)
        try:
            with engine.connect() as conn:
                mode = conn.execute(sa.text("PRAGMA journal_mode")).scalar()
        finally:
            engine.dispose()
        if str(mode).lower() != "wal":
            raise DevrecsError(f"--out {options.out}: SQLite cannot write to the database file it is reading "
                               f"from (journal mode {mode}); write to another file, or switch this one to "
                               f"WAL mode once: sqlite3 {a.database} 'PRAGMA journal_mode=WAL'")


CRASHED = ("the matching engine crashed the worker process on this record "
           "(it was retried alone in a fresh worker and crashed it again)")


def _run_parallel(run: _Run, config: _Config, stream: Iterator, workers: int, serialize: bool) -> None:
    """Chunks to ``workers`` spawned processes, at most two each in flight (memory stays
    flat); results are taken in the order the chunks were sent, so output order is stable.
    Labels stay here: the workers get and send back plain values only.

    A worker that dies (durable-rules can crash its process) loses no record: every chunk
    that was in flight is run again in a fresh worker, split in halves while it still
    crashes one, so a record that crashes a worker alone is rejected with the reason and
    the counts stay exact."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = multiprocessing.get_context("spawn")

    def new_pool(n: int) -> Any:
        return ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker, initargs=(config, serialize))

    def isolate(records: list) -> tuple[list, list]:
        """(warnings, results) of ``records``, each crashing part retried alone."""
        with new_pool(1) as pool:
            try:
                reply = pool.submit(_work, records).result()
            except BrokenProcessPool:
                reply = None
        if reply is None:
            if len(records) == 1:
                raw = records[0][1]
                pid = raw.get("id") if isinstance(raw, Mapping) else None
                return [], [(None, None if pid is None else str(pid), (("", CRASHED),))]
            half = len(records) // 2
            w1, r1 = isolate(records[:half])
            w2, r2 = isolate(records[half:])
            return w1 + w2, r1 + r2
        if reply[0] == "error":
            raise DevrecsError(reply[1])
        return reply[1], reply[2]

    pending: deque = deque()
    pool = new_pool(workers)
    try:
        def take() -> None:
            nonlocal pool
            labels, records, future = pending.popleft()
            try:
                reply = future.result()
            except BrokenProcessPool:
                run.warn("a worker process died; its records are run again in fresh workers")
                pool.shutdown(wait=False, cancel_futures=True)
                retry = [(labels, records)] + [(lb, r) for lb, r, _ in pending]
                pending.clear()
                for retry_labels, retry_records in retry:
                    warnings, results = isolate(retry_records)
                    run.handle(retry_labels, warnings, results)
                pool = new_pool(workers)
                return
            if reply[0] == "error":
                raise DevrecsError(reply[1])
            run.handle(labels, reply[1], reply[2])

        for chunk in _chunks(stream, CHUNK):
            labels = [label for label, _ in chunk]
            records = [(str(label), raw) for label, raw in chunk]
            pending.append((labels, records, pool.submit(_work, records)))
            while len(pending) >= 2 * workers:
                take()
        while pending:
            take()
    finally:
        for _, _, future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _run_org(run: _Run, processor: Processor, stream: Iterator) -> None:
    """Person, team and organization recommendations for the run's audience; the population
    is held in memory."""
    engine = processor.engine
    for line in processor.warnings():
        run.warn(line)

    def people() -> Iterator[Person]:
        for chunk in _chunks(stream, CHUNK):
            for label, p in processor.prepared(chunk):
                run.stats.read += 1
                if isinstance(p, Reject):
                    run.reject(p)
                elif run.accept(label, p.id):
                    yield p
                run.progress.update(run.stats)

    result = engine.recommend_organization(people(), processor.config.as_of, audience=processor.config.audience,
                                           review=processor.store)
    h = engine.provenance
    for person, recs in result.people:
        processor.notify(person.id, recs)
        run.write(person_row(person.id, recs, h), [r.intervention for r in recs])
    for manager, recs in result.teams.items():
        processor.notify(manager, recs)
        run.write({"scope": "team", "subject": manager, "recommendations": [rec_json(r) for r in recs], **h},
                  [r.intervention for r in recs])
    processor.notify("organization", result.organization)
    run.write({"scope": "organization", "subject": "organization",
               "recommendations": [rec_json(r) for r in result.organization], **h},
              [r.intervention for r in result.organization])
    for line in processor.warnings():
        run.warn(line)


__all__ = ["BatchOptions", "BatchStats", "ParquetWriter", "Processor", "Reject", "open_writer", "run_batch"]
