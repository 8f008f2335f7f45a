"""History: the recommendations devrecs proposed and what people did with them.

    store = Store("devrecs.db")                 # a SQLite file, or any SQLAlchemy URL
    run_id = store.record_run(engine.recommend_many(people), engine.ruleset_hash)
    store.record_outcome("p1", "mentoring", "accepted", by="hr-7", note="starts in May")
    store.history_for("p1")   # [{"intervention": "mentoring", "date": date(...), "outcome": "accepted"}]
    people = with_history(people, store)         # outcomes merged into each person's history
    store.advance([12], "approved", by="hr-7")   # review before release (review_queue, events)
    store.contest("p1", proposal=12, fact="gaps", reason="closed last year", by="p1")
    store.set_retention("18m"); store.prune()    # retention: delete what is older

Outcomes are what feeds the rules back: merged into ``Person.history``
before the rules run, an accepted, declined or completed intervention is in
cooldown (engine/resolve.py) and counts as development for the organization facts
(org.py). Proposals themselves are not merged (a proposal nobody acted on
does not start a cooldown).

The database (SQLAlchemy 2 Core; SQLite by default, PostgreSQL through a
``postgresql+psycopg://`` URL) has a versioned schema: ``schema_version``
lists the migrations applied, and ``MIGRATIONS`` are ordered functions run
in one transaction each when a Store opens an older database. Tables, at the
latest version:

- ``runs``: one row per run (when, rule set hash, as-of date, audience, counts);
- ``recommendations``: every proposal of a run (person whose facts produced
  it, subject it goes to, intervention, rules, priority, rule set hash);
- ``outcomes``: accepted / declined / completed, by whom, when, a note, and
  the run and rules of the latest proposal it answers (so rules can be judged
  by what people did with their proposals);
- ``proposal_events``: each step of a proposal's life after it was proposed
  (approved / rejected by a reviewer, released, accepted / declined /
  completed / contested), by whom, when and why; append-only (triggers refuse
  UPDATE and DELETE on SQLite and PostgreSQL; only erasure and pruning get past
  them, each inside its own transaction);
- ``contested_facts``: a fact a person (or HR for them) contests, why, by whom
  and when, and when it was corrected and which run re-ran the person;
- ``settings``: the retention period ``prune`` enforces (key ``retention``).

Several processes may write at once. With SQLite the file is put in WAL mode,
every write transaction starts with ``BEGIN IMMEDIATE`` (so two writers never
deadlock upgrading a read lock), waits up to ``BUSY_TIMEOUT_S`` for the lock
and is retried a few times after that; migrations take the same lock (or a
PostgreSQL advisory lock) and re-read the version inside it.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import attrs
import sqlalchemy as sa

from ..errors import DevrecsError, did_you_mean
from ..model import HistoryEntry, Outcome, Person

STORE_ENV = "DEVRECS_STORE"
OUTCOMES = ("accepted", "declined", "completed")     # "recommended" comes from runs, not from people
BUSY_TIMEOUT_S = 30
WRITE_RETRIES = 8
FLUSH_ROWS = 1000          # proposals per write transaction of a run
ID_CHUNK = 500             # person ids per query when merging histories
PG_LOCK_KEY = 0x64657672   # "devr": the advisory lock that serializes migrations on PostgreSQL


class StoreError(DevrecsError):
    """The store cannot be opened, migrated or written; the message says which and why."""


def store_url(value: str) -> str:
    """A SQLAlchemy URL for ``value``: a URL as it is, a file path as a SQLite file."""
    from ..database import is_database_url
    if is_database_url(value):
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# -- migrations ----------------------------------------------------------------------------
#
# Each migration brings the schema from version n-1 to n. It gets an open Connection
# inside a transaction and must use only what existed at its own version (never the
# latest Table objects below), so an old database can always be brought forward.


def _v1(conn: sa.Connection) -> None:
    """The first schema: proposals and outcomes."""
    md = sa.MetaData()
    sa.Table("recommendations", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("run_id", sa.String(64), nullable=False),
             sa.Column("person", sa.String(200), nullable=False),
             sa.Column("subject", sa.String(200), nullable=False),
             sa.Column("intervention", sa.String(200), nullable=False),
             sa.Column("rules", sa.Text, nullable=False),
             sa.Column("priority", sa.Integer),
             sa.Column("ruleset_hash", sa.String(64), nullable=False),
             sa.Column("proposed_at", sa.DateTime, nullable=False))
    sa.Table("outcomes", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("person", sa.String(200), nullable=False),
             sa.Column("intervention", sa.String(200), nullable=False),
             sa.Column("outcome", sa.String(20), nullable=False),
             sa.Column("decided_by", sa.String(200), nullable=False),
             sa.Column("decided_at", sa.DateTime, nullable=False),
             sa.Column("note", sa.Text, nullable=False, server_default=""))
    md.create_all(conn)


def _v2(conn: sa.Connection) -> None:
    """Runs get a table; outcomes say when they were recorded and which proposal they answer."""
    md = sa.MetaData()
    runs = sa.Table("runs", md,
                    sa.Column("run_id", sa.String(64), primary_key=True),
                    sa.Column("started_at", sa.DateTime, nullable=False),
                    sa.Column("finished_at", sa.DateTime),
                    sa.Column("ruleset_hash", sa.String(64), nullable=False),
                    sa.Column("as_of", sa.Date),
                    sa.Column("audience", sa.String(20)),
                    sa.Column("label", sa.Text, nullable=False, server_default=""),
                    sa.Column("people", sa.Integer, nullable=False, server_default="0"),
                    sa.Column("proposals", sa.Integer, nullable=False, server_default="0"))
    runs.create(conn)
    conn.execute(sa.text(
        "INSERT INTO runs (run_id, started_at, finished_at, ruleset_hash, label, people, proposals) "
        "SELECT run_id, MIN(proposed_at), MAX(proposed_at), MIN(ruleset_hash), '', "
        "COUNT(DISTINCT person), COUNT(*) FROM recommendations GROUP BY run_id"))
    for column, kind in (("recorded_at", "TIMESTAMP"), ("run_id", "VARCHAR(64)"), ("rules", "TEXT")):
        conn.execute(sa.text(f"ALTER TABLE outcomes ADD COLUMN {column} {kind}"))
    latest = ("SELECT r.{col} FROM recommendations r WHERE r.subject = outcomes.person "
              "AND r.intervention = outcomes.intervention AND r.proposed_at <= outcomes.decided_at "
              "ORDER BY r.proposed_at DESC, r.id DESC LIMIT 1")
    conn.execute(sa.text(f"UPDATE outcomes SET recorded_at = decided_at, run_id = ({latest.format(col='run_id')}), "
                         f"rules = ({latest.format(col='rules')})"))
    for index in ("ix_outcomes_person ON outcomes (person, intervention)",
                  "ix_recommendations_subject ON recommendations (subject, intervention)",
                  "ix_recommendations_run ON recommendations (run_id)"):
        conn.execute(sa.text(f"CREATE INDEX {index}"))


def _v3(conn: sa.Connection) -> None:
    """Version 3: ``proposal_events``, the append-only life of each proposal (review before release)."""
    md = sa.MetaData()
    sa.Table("proposal_events", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("proposal", sa.Integer, nullable=False),
             sa.Column("event", sa.String(20), nullable=False),
             sa.Column("actor", sa.String(200), nullable=False),
             sa.Column("happened_at", sa.DateTime, nullable=False),
             sa.Column("reason", sa.Text, nullable=False, server_default="")).create(conn)
    conn.execute(sa.text("CREATE INDEX ix_proposal_events_proposal ON proposal_events (proposal, id)"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("CREATE OR REPLACE FUNCTION devrecs_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN RAISE EXCEPTION 'proposal_events is append-only'; END $$"))
    _append_only(conn, True)


def _v4(conn: sa.Connection) -> None:
    """Version 4: ``contested_facts`` (a fact a person contests, and its correction) and
    ``settings`` (the retention period)."""
    md = sa.MetaData()
    sa.Table("contested_facts", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("person", sa.String(200), nullable=False),
             sa.Column("fact", sa.String(200), nullable=False),
             sa.Column("proposal", sa.Integer),
             sa.Column("reason", sa.Text, nullable=False),
             sa.Column("actor", sa.String(200), nullable=False),
             sa.Column("contested_at", sa.DateTime, nullable=False),
             sa.Column("corrected_at", sa.DateTime),
             sa.Column("corrected_by", sa.String(200)),
             sa.Column("correction_run", sa.String(64))).create(conn)
    conn.execute(sa.text("CREATE INDEX ix_contested_facts_person ON contested_facts (person)"))
    # employee views look up released proposals by the person whose facts made them
    conn.execute(sa.text("CREATE INDEX ix_recommendations_person ON recommendations (person)"))
    sa.Table("settings", md,
             sa.Column("key", sa.String(100), primary_key=True),
             sa.Column("value", sa.Text, nullable=False)).create(conn)


ERASED = "erased"          # the actor of a step or an outcome whose person was erased


def _append_only(conn: sa.Connection, on: bool) -> None:
    """Put on (or, inside erasure's transaction only, take off) the triggers that refuse UPDATE
    and DELETE on proposal_events."""
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            name = f"proposal_events_no_{verb.lower()}"
            conn.execute(sa.text(f"CREATE TRIGGER {name} BEFORE {verb} ON proposal_events BEGIN SELECT "
                                 f"RAISE(ABORT, 'proposal_events is append-only'); END" if on else
                                 f"DROP TRIGGER {name}"))
    elif conn.dialect.name == "postgresql":
        conn.execute(sa.text("CREATE TRIGGER proposal_events_append_only BEFORE UPDATE OR DELETE ON proposal_events "
                             "FOR EACH ROW EXECUTE FUNCTION devrecs_append_only()" if on else
                             "DROP TRIGGER proposal_events_append_only ON proposal_events"))


# -- pruning: the one other path that deletes from proposal_events -----------------------------
# The append-only triggers stay on for every write but two: erasure (above: one person's rows, in
# one transaction) and pruning (below). Pruning does not lift the guard; it swaps the DELETE guard,
# inside its own write transaction, for one that refuses to delete any event at or after the
# retention cutoff, deletes, and puts the plain guard back before the transaction commits. The
# UPDATE guard stays on throughout. SQLite: the transaction began with BEGIN IMMEDIATE, so no other
# connection can write (or see the swapped trigger) until it commits; PostgreSQL: DROP TRIGGER
# takes an ACCESS EXCLUSIVE lock on proposal_events until commit, and DDL is transactional, so
# other sessions only ever see the plain guard. A failure rolls the swap back with the deletes.


def _prune_guard(conn: sa.Connection, cutoff: Optional[dt.datetime]) -> None:
    """``cutoff`` given: swap the DELETE guard for one that lets only events older than it go;
    None: put the plain guard back."""
    if conn.dialect.name == "sqlite":
        if cutoff is not None:
            conn.execute(sa.text("DROP TRIGGER proposal_events_no_delete"))
            conn.execute(sa.text("CREATE TRIGGER proposal_events_prune BEFORE DELETE ON proposal_events "
                                 "WHEN OLD.happened_at >= :cutoff BEGIN SELECT RAISE(ABORT, "
                                 "'proposal_events is append-only: pruning deletes only events older than "
                                 "the retention cutoff'); END".replace(":cutoff", f"'{cutoff:%Y-%m-%d %H:%M:%S.%f}'")))
        else:
            conn.execute(sa.text("DROP TRIGGER proposal_events_prune"))
            conn.execute(sa.text("CREATE TRIGGER proposal_events_no_delete BEFORE DELETE ON proposal_events BEGIN "
                                 "SELECT RAISE(ABORT, 'proposal_events is append-only'); END"))
    elif conn.dialect.name == "postgresql":
        if cutoff is not None:
            conn.execute(sa.text("DROP TRIGGER proposal_events_append_only ON proposal_events"))
            conn.execute(sa.text("CREATE TRIGGER proposal_events_no_update BEFORE UPDATE ON proposal_events "
                                 "FOR EACH ROW EXECUTE FUNCTION devrecs_append_only()"))
            conn.execute(sa.text("CREATE TRIGGER proposal_events_prune BEFORE DELETE ON proposal_events FOR EACH ROW "
                                 f"WHEN (OLD.happened_at >= TIMESTAMP '{cutoff:%Y-%m-%d %H:%M:%S.%f}') "
                                 "EXECUTE FUNCTION devrecs_append_only()"))
        else:
            conn.execute(sa.text("DROP TRIGGER proposal_events_prune ON proposal_events"))
            conn.execute(sa.text("DROP TRIGGER proposal_events_no_update ON proposal_events"))
            _append_only(conn, True)


MIGRATIONS: tuple[tuple[int, Callable[[sa.Connection], None]], ...] = ((1, _v1), (2, _v2), (3, _v3), (4, _v4))
LATEST = MIGRATIONS[-1][0]

# The latest schema, for queries (kept in step with the migrations; test_store checks it).
_md = sa.MetaData()
schema_version_table = sa.Table("schema_version", _md,
                          sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
                          sa.Column("applied_at", sa.DateTime, nullable=False))
runs_table = sa.Table("runs", _md,
                sa.Column("run_id", sa.String(64), primary_key=True),
                sa.Column("started_at", sa.DateTime, nullable=False),
                sa.Column("finished_at", sa.DateTime),
                sa.Column("ruleset_hash", sa.String(64), nullable=False),
                sa.Column("as_of", sa.Date),
                sa.Column("audience", sa.String(20)),
                sa.Column("label", sa.Text, nullable=False),
                sa.Column("people", sa.Integer, nullable=False),
                sa.Column("proposals", sa.Integer, nullable=False))
recommendations_table = sa.Table("recommendations", _md,
                           sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                           sa.Column("run_id", sa.String(64), nullable=False),
                           sa.Column("person", sa.String(200), nullable=False),
                           sa.Column("subject", sa.String(200), nullable=False),
                           sa.Column("intervention", sa.String(200), nullable=False),
                           sa.Column("rules", sa.Text, nullable=False),
                           sa.Column("priority", sa.Integer),
                           sa.Column("ruleset_hash", sa.String(64), nullable=False),
                           sa.Column("proposed_at", sa.DateTime, nullable=False))
events_table = sa.Table("proposal_events", _md,
                        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("proposal", sa.Integer, nullable=False),
                        sa.Column("event", sa.String(20), nullable=False),
                        sa.Column("actor", sa.String(200), nullable=False),
                        sa.Column("happened_at", sa.DateTime, nullable=False),
                        sa.Column("reason", sa.Text, nullable=False))
contested_table = sa.Table("contested_facts", _md,
                           sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                           sa.Column("person", sa.String(200), nullable=False),
                           sa.Column("fact", sa.String(200), nullable=False),
                           sa.Column("proposal", sa.Integer),
                           sa.Column("reason", sa.Text, nullable=False),
                           sa.Column("actor", sa.String(200), nullable=False),
                           sa.Column("contested_at", sa.DateTime, nullable=False),
                           sa.Column("corrected_at", sa.DateTime),
                           sa.Column("corrected_by", sa.String(200)),
                           sa.Column("correction_run", sa.String(64)))
settings_table = sa.Table("settings", _md,
                          sa.Column("key", sa.String(100), primary_key=True),
                          sa.Column("value", sa.Text, nullable=False))
outcomes_table = sa.Table("outcomes", _md,
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("person", sa.String(200), nullable=False),
                    sa.Column("intervention", sa.String(200), nullable=False),
                    sa.Column("outcome", sa.String(20), nullable=False),
                    sa.Column("decided_by", sa.String(200), nullable=False),
                    sa.Column("decided_at", sa.DateTime, nullable=False),
                    sa.Column("note", sa.Text, nullable=False),
                    sa.Column("recorded_at", sa.DateTime),
                    sa.Column("run_id", sa.String(64)),
                    sa.Column("rules", sa.Text))


def _split_rules(text: Optional[str]) -> tuple[str, ...]:
    return tuple(r for r in (text or "").split(";") if r)


# -- the store --------------------------------------------------------------------------------


@attrs.frozen
class Recorded:
    """An outcome as stored, with the proposal it answers (run id and rules; empty when none)."""

    person: str
    intervention: str
    outcome: str
    by: str
    when: dt.datetime
    note: str
    run_id: Optional[str]
    rules: tuple[str, ...]


# -- a proposal's life: review before release ----------------------------------------------------
# proposed (a recommendations row, no event yet) -> approved or rejected (by a reviewer, with a
# reason for a rejection) -> released (the employee may see it) -> accepted, declined, completed
# or contested (a reason). Each step is a row of proposal_events, which is never updated.
PROPOSED = "proposed"
NEXT: dict[str, tuple[str, ...]] = {
    PROPOSED: ("approved", "rejected"),
    "approved": ("released", "rejected"),
    "released": ("accepted", "declined", "completed", "contested"),
    "accepted": ("completed", "contested"),
    "declined": ("contested",),
    "completed": ("contested",),
    "rejected": (),
    "contested": (),
}
EVENTS = tuple(dict.fromkeys(e for nexts in NEXT.values() for e in nexts))
NEEDS_REASON = ("rejected", "contested")


@attrs.frozen
class Proposal:
    """One proposal of a run with where it stands in its life."""

    id: int
    run_id: str
    person: str
    subject: str
    intervention: str
    rules: tuple[str, ...]
    priority: Optional[int]
    proposed_at: dt.datetime
    state: str

    def to_dict(self) -> dict:
        return {"id": self.id, "run": self.run_id, "person": self.person, "subject": self.subject,
                "intervention": self.intervention, "rules": list(self.rules), "priority": self.priority,
                "proposed_at": self.proposed_at.isoformat(), "state": self.state}


@attrs.frozen
class Event:
    proposal: int
    event: str
    by: str
    when: dt.datetime
    reason: str


# what an employee view may show: a released item, and each step after release
SHOWN = frozenset(("released", "accepted", "declined", "completed", "contested"))


def check_fact(fact: str) -> str:
    """A fact a person may contest: one of the person facts (facts.py), or ``extra.NAME``."""
    from ..facts import PERSON_FACTS
    name = str(fact or "").strip()
    if name in PERSON_FACTS or (name.startswith("extra.") and len(name) > len("extra.")):
        return name
    raise StoreError(f"'{name}' is not a fact of a person{did_you_mean(name, list(PERSON_FACTS))}; the facts: "
                     f"{', '.join(PERSON_FACTS)}, or extra.NAME")


@attrs.frozen
class ContestedFact:
    """A fact a person contested: who for, which fact, why, who and when; and its correction."""

    id: int
    person: str
    fact: str
    proposal: Optional[int]
    reason: str
    by: str
    when: dt.datetime
    corrected_at: Optional[dt.datetime] = None
    corrected_by: Optional[str] = None
    correction_run: Optional[str] = None

    def to_dict(self) -> dict:
        return {"id": self.id, "person": self.person, "fact": self.fact, "proposal": self.proposal,
                "reason": self.reason, "by": self.by, "when": self.when.isoformat(),
                "corrected_at": self.corrected_at.isoformat() if self.corrected_at else None,
                "corrected_by": self.corrected_by, "correction_run": self.correction_run}


@attrs.frozen
class Retention:
    """How long the store keeps its rows: a number of days, weeks, months or years ("400d",
    "6w", "18m", "2y"); months and years are calendar months and years."""

    amount: int
    unit: str            # d, w, m or y

    UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}

    @classmethod
    def parse(cls, text: str) -> Retention:
        value = str(text or "").strip().lower()
        number, unit = value[:-1], value[-1:]
        if unit not in cls.UNITS or not number.isdigit() or int(number) < 1:
            raise StoreError(f"'{text}' is not a retention period: expected a whole number and d (days), w (weeks), "
                             f"m (months) or y (years), e.g. 400d or 18m")
        return cls(int(number), unit)

    @property
    def text(self) -> str:
        return f"{self.amount}{self.unit}"

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """The moment before which rows are older than this period, counted back from ``now``."""
        if self.unit in ("d", "w"):
            return now - dt.timedelta(days=self.amount * (7 if self.unit == "w" else 1))
        months = self.amount * (12 if self.unit == "y" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        month += 1
        last_day = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return now.replace(year=year, month=month, day=min(now.day, last_day))

    def __str__(self) -> str:
        return f"{self.amount} {self.UNITS[self.unit]}"


class Store:
    """Proposals and outcomes in a database; opening it brings its schema to ``LATEST``.

    ``url``: a SQLAlchemy URL, or a file path (a SQLite file, created when missing).
    ``migrate_to``: stop at this schema version (tests build old databases with it).
    """

    def __init__(self, url: str, *, migrate_to: Optional[int] = None):
        from ..database import connect, safe_url
        from ..errors import SourceError
        self.url = store_url(url)
        self.label = safe_url(self.url)
        try:
            self.engine = connect(self.url)
        except SourceError as exc:
            raise StoreError(f"store {exc}") from None
        self.sqlite = self.engine.dialect.name == "sqlite"
        if self.sqlite:
            _sqlite_setup(self.engine)
        target = migrate_to or LATEST
        try:
            current = self._read(_version)     # no write lock at all when there is nothing to migrate
            if current > LATEST:
                raise StoreError(f"its schema is version {current}, newer than this devrecs knows ({LATEST}): "
                                 f"upgrade devrecs")
            self.version = current if current >= target else self._write(lambda conn: _migrate(conn, target),
                                                                           migrate=True)
        except StoreError as exc:
            text = str(exc)
            raise StoreError(text if text.startswith("store ") else f"store {self.label}: {text}") from None

    # -- plumbing ----------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _fail(self, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None)
        lines = str(orig if orig is not None else exc).strip().splitlines()
        return StoreError(f"store {self.label}: {lines[0] if lines else type(exc).__name__}")

    def _write(self, work: Callable[[sa.Connection], Any], migrate: bool = False) -> Any:
        """Run ``work`` in one write transaction; retried when SQLite stays locked too long."""
        for attempt in range(WRITE_RETRIES + 1):
            try:
                with self.engine.begin() as conn:
                    if migrate and not self.sqlite and conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
                    return work(conn)
            except sa.exc.OperationalError as exc:
                if not (self.sqlite and _locked(exc)) or attempt == WRITE_RETRIES:
                    raise self._fail(exc) from None
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
            except sa.exc.SQLAlchemyError as exc:
                raise self._fail(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, work: Callable[[sa.Connection], Any]) -> Any:
        try:
            with self.engine.connect().execution_options(devrecs_read=True) as conn:
                return work(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise self._fail(exc) from None

    # -- writing ------------------------------------------------------------------

    def record_outcome(self, person: str, intervention: str, outcome: Union[str, Outcome], by: str,
                       when: Optional[Union[dt.date, dt.datetime]] = None, note: str = "") -> Recorded:
        """Record what happened to a proposal: ``outcome`` accepted, declined or completed,
        decided by ``by`` (a person id), on ``when`` (a date or a UTC datetime; default now).
        It is linked to the latest proposal of ``intervention`` to ``person`` made before it;
        when that proposal was reviewed and can take the step (released, or accepted before it
        is completed), the outcome is also an event of its life."""
        value = outcome.value if isinstance(outcome, Outcome) else str(outcome)
        if value not in OUTCOMES:
            raise StoreError(f"outcome '{value}' is not one of {', '.join(OUTCOMES)}{did_you_mean(value, OUTCOMES)}")
        for name, text in (("person", person), ("intervention", intervention), ("by", by)):
            if not isinstance(text, str) or not text.strip():
                raise StoreError(f"{name} must be a non-empty id, got {text!r}")
        recorded_at = _now()
        if when is None:
            decided_at, before = recorded_at, recorded_at
        elif isinstance(when, dt.datetime):
            decided_at = when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when
            before = decided_at
        elif isinstance(when, dt.date):
            decided_at = dt.datetime.combine(when, dt.time())
            before = decided_at + dt.timedelta(days=1) - dt.timedelta(seconds=1)   # any time that day
        else:
            raise StoreError(f"when must be a date or a datetime, got {when!r}")

        def work(conn: sa.Connection) -> Recorded:
            r = recommendations_table.c
            proposal = conn.execute(
                sa.select(r.id, r.run_id, r.rules)
                .where(r.subject == person, r.intervention == intervention, r.proposed_at <= before)
                .order_by(r.proposed_at.desc(), r.id.desc()).limit(1)).first()
            run_id, rules = (proposal.run_id, proposal.rules) if proposal else (None, None)
            if proposal is not None:        # a released proposal's life goes on with the outcome
                [state] = [p.state for p in self._proposals(conn, [proposal.id])]
                if state != PROPOSED and value in NEXT[state]:
                    conn.execute(events_table.insert().values(proposal=proposal.id, event=value, actor=by,
                                                              happened_at=decided_at, reason=note or ""))
            conn.execute(outcomes_table.insert().values(
                person=person, intervention=intervention, outcome=value, decided_by=by,
                decided_at=decided_at, note=note or "", recorded_at=recorded_at, run_id=run_id, rules=rules))
            return Recorded(person, intervention, value, by, decided_at, note or "", run_id, _split_rules(rules))

        return self._write(work)

    def start_run(self, ruleset_hash: str, *, as_of: Optional[dt.date] = None, audience: Optional[str] = None,
                  label: str = "") -> RunRecorder:
        """A run to add proposals to (``add``); ``close`` (or leaving a ``with``) finishes it."""
        return RunRecorder(self, ruleset_hash, as_of, audience, label)

    def record_run(self, results: Iterable[tuple[Any, Sequence[Any]]], ruleset_hash: str, *,
                   as_of: Optional[dt.date] = None, audience: Optional[str] = None, label: str = "") -> str:
        """Record the proposals of one run; returns its run id.

        ``results``: (person, recommendations) pairs, as ``Engine.recommend_many`` yields them
        (a person may be a Person or an id; team and organization results too: (manager id,
        recs), ("organization", recs))."""
        with self.start_run(ruleset_hash, as_of=as_of, audience=audience, label=label) as run:
            for subject, recs in results:
                run.add(recs, getattr(subject, "id", subject))
        return run.run_id

    # -- reading ------------------------------------------------------------------

    def history_for(self, person_id: str) -> list[dict]:
        """The person's recorded outcomes, oldest first: {intervention, date, outcome}."""
        return [{"intervention": h.intervention, "date": h.date, "outcome": h.outcome.value}
                for h in self.histories([person_id]).get(person_id, [])]

    def histories(self, person_ids: Iterable[str], until: Optional[dt.datetime] = None,
                  ) -> dict[str, list[HistoryEntry]]:
        """Recorded outcomes per person id, oldest first (only those decided by ``until``)."""
        ids = list(dict.fromkeys(person_ids))
        out: dict[str, list[HistoryEntry]] = {}

        def work(conn: sa.Connection) -> None:
            o = outcomes_table.c
            for i in range(0, len(ids), ID_CHUNK):
                q = sa.select(o.person, o.intervention, o.decided_at, o.outcome).where(
                    o.person.in_(ids[i:i + ID_CHUNK]))
                if until is not None:
                    q = q.where(o.decided_at <= until)
                for row in conn.execute(q.order_by(o.decided_at, o.id)):
                    out.setdefault(row.person, []).append(
                        HistoryEntry(row.intervention, row.decided_at.date(), Outcome(row.outcome)))

        self._read(work)
        return out

    def outcomes(self) -> list[Recorded]:
        """Every recorded outcome, in the order they were decided."""
        def work(conn: sa.Connection) -> list[Recorded]:
            o = outcomes_table.c
            return [Recorded(r.person, r.intervention, r.outcome, r.decided_by, r.decided_at, r.note,
                             r.run_id, _split_rules(r.rules))
                    for r in conn.execute(sa.select(outcomes_table).order_by(o.decided_at, o.id))]
        return self._read(work)

    def runs(self) -> list[dict]:
        """Every run, oldest first."""
        def work(conn: sa.Connection) -> list[dict]:
            return [dict(r._mapping) for r in conn.execute(sa.select(runs_table).order_by(runs_table.c.started_at))]
        return self._read(work)

    def proposals(self) -> Iterator[tuple[str, str, tuple[str, ...]]]:
        """(subject, intervention, rules) of every proposal ever recorded."""
        def work(conn: sa.Connection) -> list:
            r = recommendations_table.c
            return [(row.subject, row.intervention, _split_rules(row.rules))
                    for row in conn.execute(sa.select(r.subject, r.intervention, r.rules))]
        return iter(self._read(work))

    # -- review: a proposal's life ---------------------------------------------------------------

    def _proposals(self, conn: sa.Connection, ids: Optional[Sequence[int]] = None) -> list[Proposal]:
        r, e = recommendations_table.c, events_table.c
        last = sa.select(e.proposal, sa.func.max(e.id).label("last")).group_by(e.proposal).subquery()
        latest = events_table.alias("latest")
        q = (sa.select(recommendations_table, latest.c.event)
             .select_from(recommendations_table.outerjoin(last, last.c.proposal == r.id)
                          .outerjoin(latest, latest.c.id == last.c.last)))
        if ids is not None:
            q = q.where(r.id.in_(list(ids)))
        return [Proposal(row.id, row.run_id, row.person, row.subject, row.intervention, _split_rules(row.rules),
                         row.priority, row.proposed_at, row.event or PROPOSED)
                for row in conn.execute(q.order_by(r.id))]

    def review_queue(self, *, state: str = PROPOSED, intervention: Optional[str] = None,
                     rule: Optional[str] = None, subject: Optional[str] = None) -> list[Proposal]:
        """Proposals in ``state`` (default: waiting for a reviewer), oldest first; filtered by
        intervention, by a rule among those that made it, or by subject (a person, or a manager
        for items sent to the manager)."""
        if state not in NEXT:
            raise StoreError(f"state '{state}' is not one of {', '.join(NEXT)}{did_you_mean(state, list(NEXT))}")
        found = self._read(self._proposals)
        return [p for p in found if p.state == state
                and (intervention is None or p.intervention == intervention)
                and (rule is None or rule in p.rules) and (subject is None or p.subject == subject)]

    def advance(self, ids: Sequence[int], event: str, by: str, reason: str = "",
                when: Optional[dt.datetime] = None) -> list[Proposal]:
        """Move each proposal of ``ids`` on by ``event`` (approved, rejected, released, accepted,
        declined, completed, contested), recorded as done by ``by`` with ``reason``: all of them in
        one transaction, or none when one cannot take that step from where it stands."""
        if event not in EVENTS:
            raise StoreError(f"'{event}' is not a step of a proposal's life; the steps: {', '.join(EVENTS)}"
                             f"{did_you_mean(event, EVENTS)}")
        if not isinstance(by, str) or not by.strip():
            raise StoreError(f"say who {event} it (--by), got {by!r}")
        reason = " ".join(str(reason or "").split())
        if event in NEEDS_REASON and not reason:
            raise StoreError(f"a proposal {event} needs a reason (--reason)")
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            raise StoreError("no proposal ids given")
        at = when or _now()

        def work(conn: sa.Connection) -> list[Proposal]:
            found = {p.id: p for p in self._proposals(conn, wanted)}
            missing = [i for i in wanted if i not in found]
            if missing:
                raise StoreError(f"no proposal {', '.join(map(str, missing))} in the store")
            stuck = [p for p in found.values() if event not in NEXT[p.state]]
            if stuck:
                p = stuck[0]
                allowed = ", ".join(NEXT[p.state]) or "nothing (its life has ended)"
                raise StoreError(f"proposal {p.id} ({p.intervention} for {p.subject}) is {p.state}: it cannot be "
                                 f"{event}; from {p.state} it can be {allowed}")
            conn.execute(events_table.insert(), [{"proposal": i, "event": event, "actor": by, "happened_at": at,
                                                  "reason": reason} for i in wanted])
            return [attrs.evolve(found[i], state=event) for i in wanted]

        return self._write(work)

    def events(self, proposal: int) -> list[Event]:
        """The proposal's life so far, oldest first (its proposal is the recommendations row)."""
        def work(conn: sa.Connection) -> list[Event]:
            e = events_table.c
            return [Event(row.proposal, row.event, row.actor, row.happened_at, row.reason)
                    for row in conn.execute(sa.select(events_table).where(e.proposal == int(proposal))
                                            .order_by(e.id))]
        return self._read(work)

    def released(self, person_ids: Iterable[str]) -> set[tuple[str, str, str]]:
        """(person, subject, intervention) of every proposal made from these people's facts that a
        reviewer released (its life is at released or a later step: accepted, declined, completed,
        contested). For each (person, subject, intervention) the latest reviewed proposal decides:
        one released earlier and rejected again later is not released; a newer one nobody has
        reviewed yet does not hide a released one. Employee views show only these (app.py)."""
        ids = list(dict.fromkeys(person_ids))
        found: set[tuple[str, str, str]] = set()

        def work(conn: sa.Connection) -> None:
            r, e = recommendations_table.c, events_table.c
            for i in range(0, len(ids), ID_CHUNK):
                latest: dict[tuple[str, str, str], tuple[int, int, str]] = {}
                q = (sa.select(r.person, r.subject, r.intervention, r.id, e.id.label("step"), e.event)
                     .select_from(recommendations_table.join(events_table, e.proposal == r.id))
                     .where(r.person.in_(ids[i:i + ID_CHUNK])))
                for row in conn.execute(q):
                    key = (row.person, row.subject, row.intervention)
                    mark = (row.id, row.step, row.event)
                    if key not in latest or mark[:2] > latest[key][:2]:
                        latest[key] = mark
                found.update(key for key, (_, _, event) in latest.items() if event in SHOWN)

        self._read(work)
        return found

    def review_states(self, person_ids: Iterable[str]) -> dict[tuple[str, str, str], str]:
        """Where each (person, subject, intervention) proposed from these people's facts stands in
        review: the state of its latest proposal (proposed: waiting for a reviewer), except that a
        newer proposal nobody has reviewed yet leaves a released (or later) one standing, as
        :meth:`released` decides. A key without any proposal is absent (new). One query per
        ``ID_CHUNK`` people; for HR's and managers' views (app.py never shows it to the employee)."""
        ids = list(dict.fromkeys(person_ids))
        out: dict[tuple[str, str, str], str] = {}

        def work(conn: sa.Connection) -> None:
            r, e = recommendations_table.c, events_table.c
            for i in range(0, len(ids), ID_CHUNK):
                states: dict[int, tuple[tuple[str, str, str], int, str]] = {}   # proposal -> key, step, state
                q = (sa.select(r.person, r.subject, r.intervention, r.id, e.id.label("step"), e.event)
                     .select_from(recommendations_table.outerjoin(events_table, e.proposal == r.id))
                     .where(r.person.in_(ids[i:i + ID_CHUNK])))
                for row in conn.execute(q):
                    step = row.step if row.step is not None else -1
                    if row.id not in states or step > states[row.id][1]:
                        states[row.id] = ((row.person, row.subject, row.intervention), step, row.event or PROPOSED)
                latest: dict[tuple[str, str, str], tuple[int, str]] = {}
                reviewed: dict[tuple[str, str, str], tuple[int, str]] = {}
                for proposal, (key, _, state) in states.items():
                    if key not in latest or proposal > latest[key][0]:
                        latest[key] = (proposal, state)
                    if state != PROPOSED and (key not in reviewed or proposal > reviewed[key][0]):
                        reviewed[key] = (proposal, state)
                for key, (_, state) in latest.items():
                    earlier = reviewed.get(key)
                    out[key] = earlier[1] if state == PROPOSED and earlier and earlier[1] in SHOWN else state

        self._read(work)
        return out

    # -- contest: a person disputes an item or a fact behind it ----------------------------------

    def contest(self, person: str, *, by: str, reason: str, proposal: Optional[int] = None,
                fact: Optional[str] = None, when: Optional[dt.datetime] = None) -> list[ContestedFact]:
        """``person`` (or HR for them, ``by``) contests a released item (``proposal``: its life
        moves on to contested) and/or a fact behind it (``fact``: flagged until corrected), with
        ``reason``; in one transaction. A proposal must be the person's (made from their facts or
        sent to them) and released or later. Returns the person's open contested facts."""
        for name, text in (("person", person), ("by", by)):
            if not isinstance(text, str) or not text.strip():
                raise StoreError(f"{name} must be a non-empty id, got {text!r}")
        reason = " ".join(str(reason or "").split())
        if not reason:
            raise StoreError("a contest needs a reason (--reason)")
        if proposal is None and not fact:
            raise StoreError("say what is contested: a proposal id (--proposal) and/or a fact (--fact)")
        if fact is not None:
            fact = check_fact(fact)
        at = when or _now()

        def work(conn: sa.Connection) -> list[ContestedFact]:
            if proposal is not None:
                found = self._proposals(conn, [int(proposal)])
                if not found:
                    raise StoreError(f"no proposal {proposal} in the store")
                p = found[0]
                if person not in (p.person, p.subject):
                    raise StoreError(f"proposal {p.id} is not {person}'s: it was made for {p.subject}")
                if "contested" not in NEXT[p.state]:
                    raise StoreError(f"proposal {p.id} ({p.intervention}) is {p.state}: only a released item (or "
                                     f"one accepted, declined or completed after release) can be contested")
                conn.execute(events_table.insert().values(proposal=p.id, event="contested", actor=by,
                                                          happened_at=at, reason=reason))
            if fact is not None:
                conn.execute(contested_table.insert().values(
                    person=person, fact=fact, proposal=None if proposal is None else int(proposal), reason=reason,
                    actor=by, contested_at=at))
            return self._contested(conn, [person]).get(person, [])

        return self._write(work)

    def _contested(self, conn: sa.Connection, person_ids: Sequence[str], open_only: bool = True,
                   ) -> dict[str, list[ContestedFact]]:
        c = contested_table.c
        out: dict[str, list[ContestedFact]] = {}
        ids = list(person_ids)
        for i in range(0, len(ids), ID_CHUNK):
            q = sa.select(contested_table).where(c.person.in_(ids[i:i + ID_CHUNK]))
            if open_only:
                q = q.where(c.corrected_at.is_(None))
            for row in conn.execute(q.order_by(c.id)):
                out.setdefault(row.person, []).append(ContestedFact(
                    row.id, row.person, row.fact, row.proposal, row.reason, row.actor, row.contested_at,
                    row.corrected_at, row.corrected_by, row.correction_run))
        return out

    def contested(self, person_ids: Optional[Iterable[str]] = None, *, open_only: bool = True,
                  ) -> dict[str, list[ContestedFact]]:
        """Contested facts per person (of ``person_ids``, or everyone), oldest first; only those
        not yet corrected unless ``open_only=False``."""
        def work(conn: sa.Connection) -> dict[str, list[ContestedFact]]:
            if person_ids is None:
                ids = [row[0] for row in conn.execute(sa.select(contested_table.c.person).distinct())]
            else:
                ids = list(dict.fromkeys(person_ids))
            return self._contested(conn, ids, open_only)
        return self._read(work)

    def corrected(self, person: str, fact: Optional[str], *, by: str, run_id: Optional[str] = None,
                  when: Optional[dt.datetime] = None) -> int:
        """Mark the person's open contests of ``fact`` (None: every fact) corrected by ``by``, with
        the run that re-ran the person on the corrected facts; how many were open."""
        if not isinstance(by, str) or not by.strip():
            raise StoreError(f"by must be a non-empty id, got {by!r}")
        c = contested_table.c
        q = contested_table.update().where(c.person == person, c.corrected_at.is_(None))
        if fact is not None:
            q = q.where(c.fact == check_fact(fact))
        q = q.values(corrected_at=when or _now(), corrected_by=by, correction_run=run_id)
        return self._write(lambda conn: conn.execute(q).rowcount)

    def contests_per_rule(self) -> dict[str, dict[str, int]]:
        """Per rule: contested items (proposals whose life reached contested) and contested facts
        (those tied to a proposal count for its rules; the others count under no rule)."""
        def work(conn: sa.Connection) -> dict[str, dict[str, int]]:
            r, e, c = recommendations_table.c, events_table.c, contested_table.c
            out: dict[str, dict[str, int]] = {}
            for row in conn.execute(sa.select(r.rules).select_from(recommendations_table.join(
                    events_table, e.proposal == r.id)).where(e.event == "contested")):
                for rule in _split_rules(row.rules):
                    out.setdefault(rule, {"items": 0, "facts": 0})["items"] += 1
            for row in conn.execute(sa.select(c.fact, r.rules).select_from(contested_table.outerjoin(
                    recommendations_table, r.id == c.proposal))):
                for rule in _split_rules(row.rules) or ("",):
                    out.setdefault(rule, {"items": 0, "facts": 0})["facts"] += 1
            return out
        return self._read(work)

    # -- retention ---------------------------------------------------------------------------------

    def retention(self) -> Optional[Retention]:
        """The retention period set in the store (``set_retention``), or None."""
        def work(conn: sa.Connection) -> Optional[str]:
            return conn.execute(sa.select(settings_table.c.value).where(settings_table.c.key == "retention")).scalar()
        value = self._read(work)
        return None if value is None else Retention.parse(value)

    def set_retention(self, period: Union[str, Retention, None]) -> Optional[Retention]:
        """Set the retention period (e.g. "400d", "18m", "2y"), or remove it with None."""
        found = None if period is None else period if isinstance(period, Retention) else Retention.parse(period)
        k = settings_table.c.key

        def work(conn: sa.Connection) -> None:
            conn.execute(settings_table.delete().where(k == "retention"))
            if found is not None:
                conn.execute(settings_table.insert().values(key="retention", value=found.text))

        self._write(work)
        return found

    def prune(self, older_than: Union[str, Retention, None] = None, *, now: Optional[dt.datetime] = None,
              dry_run: bool = False) -> dict[str, Any]:
        """Delete what is older than the retention period (``older_than``, else the one set in the
        store): proposals whose whole life (proposed, and every event) is older than the cutoff,
        with their events; runs that began before it and keep no proposal; outcomes decided before
        it; contested facts contested (and corrected) before it. ``dry_run``: count only. The
        append-only guard lets only events older than the cutoff go, inside this one transaction
        (see _prune_guard). Returns the cutoff and the rows deleted per table."""
        period = older_than if isinstance(older_than, Retention) else (
            Retention.parse(older_than) if older_than is not None else self.retention())
        if period is None:
            raise StoreError("no retention period: give --older-than DURATION (e.g. 400d, 18m) or set one "
                             "with 'devrecs store retention DURATION'")
        cutoff = period.cutoff(now or _now())

        def work(conn: sa.Connection) -> dict[str, Any]:
            r, e, o, c, u = (recommendations_table.c, events_table.c, outcomes_table.c, contested_table.c,
                             runs_table.c)
            last = sa.select(e.proposal, sa.func.max(e.happened_at).label("last")).group_by(e.proposal).subquery()
            old = [row.id for row in conn.execute(
                sa.select(r.id).select_from(recommendations_table.outerjoin(last, last.c.proposal == r.id))
                .where(r.proposed_at < cutoff, sa.or_(last.c.last.is_(None), last.c.last < cutoff)))]
            counts = {"proposal_events": 0, "proposals": 0}
            if not dry_run:
                _prune_guard(conn, cutoff)
            for i in range(0, len(old), ID_CHUNK):
                chunk = old[i:i + ID_CHUNK]
                if dry_run:
                    counts["proposal_events"] += conn.execute(
                        sa.select(sa.func.count()).select_from(events_table).where(e.proposal.in_(chunk))).scalar() or 0
                    counts["proposals"] += len(chunk)
                    continue
                counts["proposal_events"] += conn.execute(events_table.delete().where(e.proposal.in_(chunk))).rowcount
                counts["proposals"] += conn.execute(recommendations_table.delete().where(r.id.in_(chunk))).rowcount
            if not dry_run:
                _prune_guard(conn, None)
            kept = sa.select(r.run_id).where(r.run_id == u.run_id)
            if dry_run:     # the runs whose proposals would all go
                left = sa.select(r.run_id).where(r.run_id == u.run_id, r.id.not_in(old) if old else sa.true())
                counts["runs"] = conn.execute(sa.select(sa.func.count()).select_from(runs_table).where(
                    u.started_at < cutoff, ~sa.exists(left))).scalar()
            else:
                counts["runs"] = conn.execute(runs_table.delete().where(u.started_at < cutoff,
                                                                        ~sa.exists(kept))).rowcount
            stale = sa.and_(c.contested_at < cutoff, sa.or_(c.corrected_at.is_(None), c.corrected_at < cutoff))
            for name, table, where in (("outcomes", outcomes_table, o.decided_at < cutoff),
                                       ("contested_facts", contested_table, stale)):
                counts[name] = (conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar()
                                if dry_run else conn.execute(table.delete().where(where)).rowcount)
            return {"cutoff": cutoff, "period": period.text, "dry_run": dry_run, "deleted": counts}

        return self._write(work)

    # -- one person's data: export and erasure ----------------------------------------------------

    def person_data(self, person_id: str) -> dict:
        """Everything the store holds about ``person_id``: proposals made from their facts or sent
        to them, their outcomes, outcomes and review steps they recorded for others, and the life
        of each of their proposals (GDPR Art. 15)."""
        def work(conn: sa.Connection) -> dict:
            r, o, e = recommendations_table.c, outcomes_table.c, events_table.c
            recs = [dict(row._mapping) for row in conn.execute(
                sa.select(recommendations_table).where(sa.or_(r.person == person_id, r.subject == person_id))
                .order_by(r.id))]
            ids = [x["id"] for x in recs]
            events = [dict(row._mapping) for row in conn.execute(
                sa.select(events_table).where(sa.or_(e.proposal.in_(ids), e.actor == person_id)).order_by(e.id))]
            outcomes = [dict(row._mapping) for row in conn.execute(
                sa.select(outcomes_table).where(sa.or_(o.person == person_id, o.decided_by == person_id))
                .order_by(o.id))]
            c = contested_table.c
            contested = [dict(row._mapping) for row in conn.execute(
                sa.select(contested_table).where(sa.or_(c.person == person_id, c.actor == person_id,
                                                        c.corrected_by == person_id)).order_by(c.id))]
            return {"person": person_id, "proposals": recs, "proposal_events": events, "outcomes": outcomes,
                    "contested_facts": contested}
        return self._read(work)

    def erase_person(self, person_id: str) -> dict[str, int]:
        """Remove what the store holds about ``person_id`` (GDPR Art. 17): their proposals (made
        from their facts or sent to them) with the life of each, and their outcomes; where they
        acted for others (decided an outcome, took a review step) the actor becomes ``ERASED``.
        The append-only guard of proposal_events is lifted for this one transaction only."""
        if not isinstance(person_id, str) or not person_id.strip():
            raise StoreError(f"person must be a non-empty id, got {person_id!r}")

        def work(conn: sa.Connection) -> dict[str, int]:
            r, o, e = recommendations_table.c, outcomes_table.c, events_table.c
            ids = [row.id for row in conn.execute(
                sa.select(r.id).where(sa.or_(r.person == person_id, r.subject == person_id)))]
            _append_only(conn, False)
            counts = {"proposal_events": 0, "proposals": 0, "outcomes": 0, "contested_facts": 0, "redacted": 0}
            for i in range(0, len(ids), ID_CHUNK):
                chunk = ids[i:i + ID_CHUNK]
                counts["proposal_events"] += conn.execute(events_table.delete().where(e.proposal.in_(chunk))).rowcount
                counts["proposals"] += conn.execute(recommendations_table.delete().where(r.id.in_(chunk))).rowcount
            counts["redacted"] += conn.execute(events_table.update().where(e.actor == person_id)
                                               .values(actor=ERASED)).rowcount
            counts["outcomes"] = conn.execute(outcomes_table.delete().where(o.person == person_id)).rowcount
            counts["redacted"] += conn.execute(outcomes_table.update().where(o.decided_by == person_id)
                                               .values(decided_by=ERASED)).rowcount
            c = contested_table.c
            counts["contested_facts"] = conn.execute(contested_table.delete().where(c.person == person_id)).rowcount
            for column in ("actor", "corrected_by"):
                counts["redacted"] += conn.execute(contested_table.update().where(c[column] == person_id)
                                                   .values({column: ERASED})).rowcount
            _append_only(conn, True)
            return counts

        return self._write(work)

    def rates(self, keep: Optional[Callable[[str, tuple[str, ...]], bool]] = None) -> Rates:
        """Acceptance and completion per intervention and per rule (see ``Rates``).

        ``keep(intervention, rules)``: only the proposals and outcomes it keeps count (an
        outcome's rules are those of the proposal it answers; none when it answers none).
        The executive report keeps only rows an executive may see (reports/organization.py)."""
        proposals: Iterable[tuple[str, str, tuple[str, ...]]] = self.proposals()
        outcomes = self.outcomes()
        if keep is not None:
            proposals = [p for p in proposals if keep(p[1], p[2])]
            outcomes = [o for o in outcomes if keep(o.intervention, o.rules)]
        return Rates.compute(proposals, outcomes)


class RunRecorder:
    """Proposals of one run, written ``FLUSH_ROWS`` at a time in short transactions (so a
    long batch never holds the database's write lock for long)."""

    def __init__(self, store: Store, ruleset_hash: str, as_of: Optional[dt.date], audience: Optional[str],
                 label: str):
        self.store = store
        self.ruleset_hash = ruleset_hash
        self.started_at = _now()
        self.run_id = f"{self.started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.people = 0
        self.proposals = 0
        self._pending: list[dict] = []
        self._closed = False
        store._write(lambda conn: conn.execute(runs_table.insert().values(
            run_id=self.run_id, started_at=self.started_at, ruleset_hash=ruleset_hash, as_of=as_of,
            audience=audience, label=label or "", people=0, proposals=0)))

    def add(self, recs: Sequence[Any], person: Optional[str] = None) -> None:
        """One subject's proposals: Recommendations, or mappings with intervention, subject,
        rules and priority (batch output rows); ``person``: whose facts produced them."""
        self.people += 1
        for r in recs:
            get = r.get if isinstance(r, Mapping) else (lambda k, r=r: getattr(r, k))
            owner = person or get("person")
            self._pending.append({
                "run_id": self.run_id, "person": owner, "subject": get("subject") or owner,
                "intervention": get("intervention"), "rules": ";".join(get("rules")),
                "priority": get("priority"), "ruleset_hash": self.ruleset_hash, "proposed_at": self.started_at})
        if len(self._pending) >= FLUSH_ROWS:
            self.flush()

    def add_row(self, row: Mapping[str, Any]) -> None:
        """A batch output row (``batch.person_row``, or a team / organization row)."""
        self.add(row["recommendations"], row.get("person") or row.get("subject"))

    def flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        self.store._write(lambda conn: conn.execute(recommendations_table.insert(), rows))
        self.proposals += len(rows)

    def close(self, finished: bool = True) -> None:
        """Write what is pending; a run that did not finish keeps ``finished_at`` empty, with the
        counts of what was recorded (so the store agrees with the run's output and log)."""
        if self._closed:
            return
        self._closed = True
        self.flush()
        values: dict[str, Any] = {"people": self.people, "proposals": self.proposals}
        if finished:
            values["finished_at"] = _now()
        done = runs_table.update().where(runs_table.c.run_id == self.run_id).values(**values)
        self.store._write(lambda conn: conn.execute(done))

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        self.close(finished=kind is None)


# -- rates --------------------------------------------------------------------------------------


@attrs.define
class Tally:
    """Proposals and what became of them, for one intervention or one rule.

    ``proposed``: distinct (subject, intervention) pairs proposed; the others count pairs
    by their latest outcome (accepted then completed counts as completed)."""

    proposed: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0

    @property
    def decided(self) -> int:
        return self.accepted + self.declined + self.completed

    @property
    def acceptance(self) -> Optional[float]:
        """Accepted or completed, over everything decided."""
        return (self.accepted + self.completed) / self.decided if self.decided else None

    @property
    def completion(self) -> Optional[float]:
        """Completed, over everything accepted or completed."""
        taken = self.accepted + self.completed
        return self.completed / taken if taken else None

    def to_dict(self) -> dict:
        return {"proposed": self.proposed, "decided": self.decided, "accepted": self.accepted,
                "declined": self.declined, "completed": self.completed,
                "acceptance": self.acceptance, "completion": self.completion}


@attrs.define
class Rates:
    interventions: dict = attrs.field(factory=dict)    # intervention -> Tally
    rules: dict = attrs.field(factory=dict)            # rule id -> Tally
    outcomes: int = 0                                  # outcome rows recorded
    first: Optional[dt.datetime] = None
    last: Optional[dt.datetime] = None

    @classmethod
    def compute(cls, proposals: Iterable[tuple[str, str, tuple[str, ...]]], recorded: Sequence[Recorded]) -> Rates:
        rates = cls()
        seen: dict[tuple[str, str], set[str]] = {}
        for subject, intervention, rule_ids in proposals:
            seen.setdefault((subject, intervention), set()).update(rule_ids)
        for (_, intervention), rule_ids in seen.items():
            rates.interventions.setdefault(intervention, Tally()).proposed += 1
            for rule in rule_ids:
                rates.rules.setdefault(rule, Tally()).proposed += 1
        final: dict[tuple[str, str], Recorded] = {}
        for o in recorded:   # decided order: the last one wins, except completed stays completed
            key = (o.person, o.intervention)
            if not (key in final and final[key].outcome == "completed" and o.outcome == "accepted"):
                final[key] = o
            rates.first = o.when if rates.first is None else min(rates.first, o.when)
            rates.last = o.when if rates.last is None else max(rates.last, o.when)
        rates.outcomes = len(recorded)
        for o in final.values():
            tallies = [rates.interventions.setdefault(o.intervention, Tally())]
            tallies += [rates.rules.setdefault(rule, Tally()) for rule in o.rules]
            for t in tallies:
                setattr(t, o.outcome, getattr(t, o.outcome) + 1)
        return rates


# -- feeding the rules ------------------------------------------------------------------------


def merge_history(person: Person, entries: Iterable[HistoryEntry]) -> Person:
    """The person with ``entries`` added to their history (no duplicates), oldest first."""
    have = set(person.history)
    new = []
    for e in entries:
        if e not in have:
            have.add(e)
            new.append(e)
    if not new:
        return person
    return attrs.evolve(person, history=tuple(sorted(person.history + tuple(new), key=lambda h: h.date)))


def with_history(people: Iterable[Person], store: Optional[Store], until: Optional[dt.datetime] = None,
                 ) -> Iterator[Person]:
    """Each person with the store's recorded outcomes merged into their history, streamed
    ``ID_CHUNK`` people at a time (a store of None gives the people as they are)."""
    it = iter(people)
    while True:
        chunk = []
        for p in it:
            chunk.append(p)
            if len(chunk) >= ID_CHUNK:
                break
        if not chunk:
            return
        if store is None:
            yield from chunk
            continue
        found = store.histories([p.id for p in chunk], until=until)
        for p in chunk:
            yield merge_history(p, found.get(p.id, ()))


def open_store(value: Optional[str]) -> Optional[Store]:
    """A Store for a ``--store`` value, else for $DEVRECS_STORE, else None."""
    value = value or os.environ.get(STORE_ENV) or None
    return Store(value) if value else None


# -- SQLite: WAL, busy timeout, BEGIN IMMEDIATE --------------------------------------------------


def _locked(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "locked" in text or "busy" in text


def _sqlite_setup(engine: sa.Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None          # SQLAlchemy, not sqlite3, says BEGIN
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        if not memory:
            for _ in range(WRITE_RETRIES):
                try:
                    cur.execute("PRAGMA journal_mode = WAL")
                    break
                except Exception as exc:  # another process is switching it right now
                    if not _locked(exc):
                        raise
                    time.sleep(0.1 + random.random() * 0.2)
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("devrecs_read") else "BEGIN IMMEDIATE")


def _version(conn: sa.Connection) -> int:
    """The schema version of the database (0: a new, empty one). A ``schema_version`` table
    that holds anything but whole numbers 1, 2, ... (text, fractions, negative numbers, gaps)
    is a damaged store, or not a devrecs store: StoreError, never a guess."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    found = [row[0] for row in conn.execute(sa.select(sa.column("version")).select_from(
        sa.table("schema_version")))]
    for value in found:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            shown = _shown(value)
            raise StoreError(f"its schema_version table holds {shown}, not a version number (1, 2, ...): "
                             f"this is not a devrecs store, or it is damaged; restore it from a backup or "
                             f"give another --store")
    if found and max(found) <= LATEST and sorted(found) != list(range(1, len(found) + 1)):
        raise StoreError(f"its schema_version table lists versions {', '.join(map(str, sorted(found)))}, "
                         f"not 1 to {max(found)} in turn: the store is damaged; restore it from a backup")
    return max(found, default=0)


def _shown(value: Any) -> str:
    """A schema_version value as an error may show it: short, and only what it is."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"binary data ({len(bytes(value))} bytes)"
    if isinstance(value, str):
        return f"the text {value[:20]!r}" + ("..." if len(value) > 20 else "")
    return f"{value!r}"[:30]


def _migrate(conn: sa.Connection, target: int) -> int:
    """Apply the migrations above the database's version, up to ``target``; the version reached.
    Runs inside the caller's write transaction, which holds the lock that serializes migrations,
    so the version is read again here: another process may have migrated meanwhile."""
    current = _version(conn)
    if current == 0 and not sa.inspect(conn).has_table("schema_version"):
        schema_version_table.create(conn)
    if current > LATEST:
        raise StoreError(f"its schema is version {current}, newer than this devrecs knows ({LATEST}): "
                         f"upgrade devrecs")
    for version, migration in MIGRATIONS:
        if current < version <= target:
            migration(conn)
            conn.execute(schema_version_table.insert().values(version=version, applied_at=_now()))
            current = version
    return current


__all__ = ["check_fact", "ContestedFact", "ERASED", "Event", "EVENTS", "LATEST", "merge_history", "MIGRATIONS", "NEXT",
           "open_store", "Proposal", "PROPOSED", "Rates", "Recorded", "Retention", "RunRecorder", "SHOWN", "Store",
           "STORE_ENV", "store_url", "StoreError", "Tally", "with_history"]
