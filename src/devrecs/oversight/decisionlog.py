"""The decision log: what devrecs proposed, one JSON line per person per run, and replay.

    with DecisionLog("decisions.jsonl", ruleset_hash=engine.ruleset_hash, audience="manager",
                     as_of=day, pseudonymiser=Pseudonymiser.from_env("DEVRECS_LOG_KEY")) as log:
        for person in people:
            log.write(person.id, engine.recommend_for(person, "manager", day))

A line holds the time (UTC), run id, rule set hash, the rule packs loaded
(name and version, ``packs``), as-of date, audience (and, for the employee,
``review``: whether only released items were shown),
the person's id (or a keyed pseudonym) and the recommendations as that
audience may see them: intervention, subject, rules and priority. Facts are
never logged, so nothing the audience may not see can leak through the log:
the recommendations come from ``Engine.recommend_for`` (hidden facts masked
before the rules run, interventions the audience may not see left out), and
evidence values are not written at all. The rule set hash and the rules say
how to reproduce a decision given the facts.

Pseudonyms are ``hmac-sha256:`` and 32 hex digits of HMAC-SHA256(key, id);
subjects that are people (a manager, for items sent to the manager) are
pseudonymised the same way. The key is never written, nor anything computed
from the key alone (no fingerprint): the only way to test a guessed key
against a log is to guess a person's id as well and compare pseudonyms, and
a key must hold at least ``MIN_KEY_BITS`` bits (``key_strength``), so that
guessing the key is hopeless even when ids are easy to guess. ``new_key()``
(``python -m devrecs.oversight.decisionlog new-key``) makes one. docs/oversight.md has
the threat model.

``replay`` runs logged people (matched by id, or by pseudonym with the same
key, in a people file) through new rules, for the audience and as-of date
of each line, and reports the interventions each person would gain or lose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import os
import secrets
import string
import sys
import uuid
from collections import Counter
from typing import Any, Iterable, Optional, Protocol, Sequence, TextIO

import attrs

from ..errors import DevrecsError
from ..model import Person, Recommendation


class Recommender(Protocol):
    """What logging and replay need of an engine (devrecs.app.Engine is one)."""

    ruleset_hash: str
    cap: Optional[int]
    as_of: Optional[dt.date]

    def recommend_for(self, person: Any, audience: str, as_of: Optional[dt.date] = None) -> list[Recommendation]:
        ...

PSEUDONYM_PREFIX = "hmac-sha256:"
NOT_A_PERSON = ("organization",)      # subjects that are not people: never pseudonymised
LOG_VERSION = 2                       # 2: lines carry the hash chain (seq, prev); 1: no chain

# -- the hash chain ------------------------------------------------------------------------------
# Each line ends with "seq" (its place in the chain, counted from 1 across rotated files) and
# "prev": the SHA-256, in hex, of the exact bytes of the line before it, newline included. The
# first line of a chain records START as its prev; the first line of a rotated file chains to
# the last line of the file before it. A log that goes on after lines written without a chain
# (LOG_VERSION 1) chains its first new line to the last old one, and counts from 1 again.
START = "0" * 64


def line_hash(raw: bytes) -> str:
    """What the next line records as ``prev`` for the line whose exact bytes are ``raw``."""
    return hashlib.sha256(raw).hexdigest()


@attrs.frozen
class ChainEnd:
    """Where a chain stands: the seq of its last line and the hash the next line must record."""

    seq: int
    prev: str

    @classmethod
    def after(cls, raw: Optional[bytes]) -> ChainEnd:
        """The chain's end after the line ``raw`` (None: a new chain, before its first line)."""
        if raw is None or not raw.strip():
            return cls(0, START)
        try:
            entry = json.loads(raw)
            seq = entry.get("seq") if isinstance(entry, dict) else None
        except ValueError:
            seq = None
        return cls(seq if isinstance(seq, int) and not isinstance(seq, bool) else 0, line_hash(raw))


def last_line(path: str) -> Optional[bytes]:
    """The last line of the file at ``path`` as written, newline included when it has one (None:
    missing or holding no line); read from the end, so a long log costs no more than a short one."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DevrecsError(f"--log {path}: cannot read its last line to continue the hash chain "
                           f"({exc.strerror or exc})") from None
    with f:
        pos = f.seek(0, os.SEEK_END)
        tail = b""
        while pos > 0 and b"\n" not in tail.rstrip(b"\n"):
            step = min(8192, pos)
            pos -= step
            f.seek(pos)
            tail = f.read(step) + tail
    body = tail.rstrip(b"\n")
    if not body:
        return None
    return body[body.rfind(b"\n") + 1:] + (b"\n" if len(body) < len(tail) else b"")


def new_run_id(now: Optional[dt.datetime] = None) -> str:
    """A run id that sorts by time: 20260630T101500-1a2b3c4d."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


MIN_KEY_BITS = 128
NEW_KEY_BYTES = 32                    # new_key(): 256 random bits
# distinct symbols a key must use per bit it is credited with: a long key of few symbols
# ("aaaa...", "abab...") is weak whatever its length
BITS_PER_DISTINCT_SYMBOL = 16
NEW_KEY_HINT = 'make one with: export {var}="$(python -m devrecs.oversight.decisionlog new-key)"'


def new_key() -> str:
    """A fresh random key for pseudonymising a log (256 bits, URL-safe text). Keep it where the
    people data is kept; devrecs never writes it anywhere."""
    return secrets.token_urlsafe(NEW_KEY_BYTES)


def _alphabet(text: str) -> int:
    """How many symbols a key written like ``text`` draws from: 16 for hex digits, 10 for
    digits, else the character classes it uses (lowercase 26, uppercase 26, digits 10, other
    printable 33, anything else 64 more)."""
    chars = set(text)
    if chars <= set(string.digits):
        return 10
    if chars <= set(string.hexdigits.lower()) or chars <= set(string.digits + "ABCDEF"):
        return 16
    size = 0
    for group, n in ((string.ascii_lowercase, 26), (string.ascii_uppercase, 26), (string.digits, 10),
                     (string.punctuation + " ", 33)):
        if chars & set(group):
            size += n
    if any(not (c.isascii() and c.isprintable()) for c in chars):
        size += 64
    return size


def _period(text: str) -> int:
    """The length of the shortest piece ``text`` repeats ("abcabcab" -> 3)."""
    n = len(text)
    for p in range(1, n // 2 + 1):
        if all(text[i] == text[i % p] for i in range(p, n)):
            return p
    return n


def key_strength(key: bytes) -> int:
    """An upper estimate of the bits of entropy in ``key``: its length in symbols of the
    alphabet it is written in, no more than its shortest repeating piece holds, and no more
    than BITS_PER_DISTINCT_SYMBOL per distinct symbol. It cannot tell a random key from a
    memorable one of the same shape, so keys should come from ``new_key()``."""
    try:
        text: Any = key.decode("utf-8")
        per_symbol = math.log2(_alphabet(text)) if text else 0.0
    except UnicodeDecodeError:
        text, per_symbol = key, 8.0
    if not text:
        return 0
    bits = min(len(text), _period(text)) * per_symbol
    return int(min(bits, len(set(text)) * BITS_PER_DISTINCT_SYMBOL))


class Pseudonymiser:
    """Keyed pseudonyms for person ids (HMAC-SHA256); the key stays in memory only, and a key
    of fewer than MIN_KEY_BITS bits (``key_strength``) is refused."""

    def __init__(self, key: bytes, *, source: str = "the pseudonymisation key"):
        if not key:
            raise DevrecsError(f"{source} is empty")
        bits = key_strength(key)
        if bits < MIN_KEY_BITS:
            raise DevrecsError(f"{source} is too weak to pseudonymise a log: it holds at most about {bits} bits "
                               f"of entropy and at least {MIN_KEY_BITS} are needed (a guessed key would turn "
                               f"the pseudonyms back into ids); "
                               + NEW_KEY_HINT.format(var="VAR" if source.startswith("the ") else source.split()[-1]))
        self._key = key

    @classmethod
    def from_env(cls, var: str) -> Pseudonymiser:
        """The key from environment variable ``var`` (its name is given, never its value)."""
        value = os.environ.get(var, "")
        if not value:
            raise DevrecsError(f"--pseudonymise-key-env {var}: the environment variable {var} is not set "
                               f"or empty; put the key in it (never on the command line); "
                               + NEW_KEY_HINT.format(var=var))
        return cls(value.encode("utf-8"), source=f"--pseudonymise-key-env {var}: the key in {var}")

    def __call__(self, person_id: str) -> str:
        digest = hmac.new(self._key, str(person_id).encode("utf-8"), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:32]

    def __repr__(self) -> str:   # never show the key, nor anything made from it
        return "Pseudonymiser(key withheld)"


def _subject(subject: str, pseudonymiser: Optional[Pseudonymiser]) -> str:
    if pseudonymiser is None or subject in NOT_A_PERSON:
        return subject
    return pseudonymiser(subject)


def rec_entry(rec: Recommendation, pseudonymiser: Optional[Pseudonymiser] = None) -> dict:
    return {"intervention": rec.intervention, "subject": _subject(rec.subject, pseudonymiser),
            "rules": list(rec.rules), "priority": rec.priority}


def _utc_text(now: dt.datetime) -> str:
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DecisionLog:
    """Appends one line per person to a JSON Lines file (created when missing), each chained to
    the line before it (see START). A file that holds lines is continued: its last line is read
    first. ``follows`` names the file before this one when the log is rotated by hand (a new,
    empty ``path`` then chains to the last line of ``follows``); ``rotate(new_path)`` moves on
    to a new file itself, keeping the chain. One writer per file at a time."""

    def __init__(self, path: str, *, ruleset_hash: str, audience: str, as_of: dt.date,
                 run_id: Optional[str] = None, pseudonymiser: Optional[Pseudonymiser] = None,
                 cap: Optional[int] = None, stream: Optional[TextIO] = None, follows: Optional[str] = None,
                 packs: Optional[dict[str, str]] = None, review: Optional[str] = None):
        from ..audience import check_audience
        self.path = path
        self.audience = check_audience(audience)
        self.ruleset_hash = ruleset_hash
        self.as_of = as_of
        self.run_id = run_id or new_run_id()
        self.pseudonymiser = pseudonymiser
        self.cap = cap
        self.packs = dict(packs) if packs is not None else None   # pack name -> version, beside the hash
        self.review = review          # employee lines: released-only, off or no-store (app.Outputs)
        self.lines = 0
        self._stream: Any = None
        self._close = False
        self._open(path, stream, follows)

    def _open(self, path: str, stream: Optional[TextIO], follows: Optional[str]) -> None:
        if stream is not None:
            self.chain = ChainEnd.after(None)
            self._stream, self._close = stream, False
            self._good = 0
            return
        own = last = last_line(path)
        if own is None and follows is not None:
            last = last_line(follows)
            if last is None:
                raise DevrecsError(f"--log {path}: the file it follows, {follows}, holds no line to chain to")
        try:
            # binary: the hash is over the bytes written, so no newline translation
            self._stream, self._close = open(path, "ab"), True
        except OSError as exc:
            raise DevrecsError(f"--log {path}: cannot write ({exc.strerror or exc})") from None
        if own is not None and not own.endswith(b"\n"):
            self._stream.write(b"\n")   # a line cut short stays its own line; verify reports it
            self._stream.flush()
            last = own + b"\n"
        self.chain = ChainEnd.after(last)
        self._good = self._stream.tell()      # the end of the last whole line

    def entry(self, person_id: str, recs: Sequence[Any], now: Optional[dt.datetime] = None) -> dict:
        """The line for one person; ``recs`` are Recommendations (or batch-row dicts) as the
        audience may see them."""
        p = self.pseudonymiser
        out = {"log": LOG_VERSION, "time": _utc_text(now or dt.datetime.now(dt.timezone.utc)),
               "run": self.run_id, "ruleset_hash": self.ruleset_hash}
        if self.packs is not None:
            out["packs"] = self.packs
        out.update({"as_of": self.as_of.isoformat(), "audience": self.audience, "cap": self.cap})
        if self.review is not None:
            out["review"] = self.review
        out.update({"person": p(person_id) if p else person_id, "pseudonymised": p is not None})
        out["recommendations"] = [
            rec_entry(r, p) if isinstance(r, Recommendation) else
            {"intervention": r["intervention"], "subject": _subject(r["subject"], p), "rules": list(r["rules"]),
             "priority": r["priority"]}
            for r in recs]
        return out

    def write(self, person_id: str, recs: Sequence[Any]) -> None:
        """Append one whole line, chained to the one before: when the disk is full, what was
        half-written is cut off again, so the log ends on a whole line that replay can read (and
        the chain goes on from the last line written)."""
        entry = self.entry(person_id, recs)
        entry["seq"], entry["prev"] = self.chain.seq + 1, self.chain.prev
        raw = (json.dumps(entry, sort_keys=False) + "\n").encode("utf-8")
        try:
            self._stream.write(raw if self._close else raw.decode("utf-8"))
            self._stream.flush()
        except OSError:
            self._cut_back()
            raise
        self._good = self._stream.tell() if self._close else 0
        self.chain = ChainEnd(self.chain.seq + 1, line_hash(raw))
        self.lines += 1

    def _cut_back(self) -> None:
        """Drop a line the disk had no room for (the file is truncated to its last whole line)."""
        if not self._close:
            return
        try:
            os.truncate(self.path, self._good)
        except OSError:
            pass

    def rotate(self, path: str) -> None:
        """Close this file and go on in ``path`` (which must be new or empty): its first line
        chains to the last line written here."""
        if last_line(path) is not None:
            raise DevrecsError(f"--log {path}: cannot rotate into a file that already holds lines")
        chain = self.chain
        self.close()
        self.path = path
        try:
            self._stream, self._close = open(path, "ab"), True
        except OSError as exc:
            raise DevrecsError(f"--log {path}: cannot write ({exc.strerror or exc})") from None
        self.chain = chain
        self._good = self._stream.tell()

    def close(self) -> None:
        if self._close:
            self._stream.close()
        else:
            self._stream.flush()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def write_log(path: str, engine: Recommender, people: Iterable[Person], audience: str = "hr", *,
              as_of: Optional[dt.date] = None, run_id: Optional[str] = None,
              pseudonymiser: Optional[Pseudonymiser] = None) -> int:
    """Log each person's recommendations as ``audience`` may see them; the lines written."""
    day = as_of or engine.as_of or dt.date.today()
    with DecisionLog(path, ruleset_hash=engine.ruleset_hash, audience=audience, as_of=day, run_id=run_id,
                     pseudonymiser=pseudonymiser, cap=engine.cap, packs=getattr(engine, "packs", None)) as log:
        for person in people:
            log.write(person.id, engine.recommend_for(person, audience, day))
    return log.lines


# -- verifying the chain -------------------------------------------------------------------------

@attrs.frozen
class Break:
    """The first place a chain does not hold: the file, its line (from 1), and how."""

    file: str
    line: int
    kind: str            # altered, removed, inserted, reordered, unchained, incomplete
    message: str

    def text(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.message}"


@attrs.frozen
class Verdict:
    files: tuple[str, ...]
    lines: int                       # lines read
    chained: int                     # lines checked against the chain
    unchained: int                   # lines before the chain began (written without one)
    head: Optional[ChainEnd]         # the last line's seq and hash, when the chain holds
    broken: Optional[Break]
    erased: int = 0                  # lines erased for a person (``erase_person``): kept in place, unreadable

    @property
    def ok(self) -> bool:
        return self.broken is None and self.chained > 0

    def to_dict(self) -> dict:
        return {"files": list(self.files), "ok": self.ok, "lines": self.lines, "chained": self.chained,
                "unchained": self.unchained, "erased": self.erased,
                "head": None if self.head is None else {"seq": self.head.seq, "sha256": self.head.prev},
                "broken": None if self.broken is None else attrs.asdict(self.broken)}

    def text(self) -> str:
        where = ", ".join(self.files)
        if self.broken is not None:
            return f"{self.broken.text()}\nthe chain of {where} does not hold (checked up to that line)"
        if not self.chained:
            return (f"{where}: {self.unchained} lines, none of them chained (written by a devrecs before the "
                    f"hash chain): nothing can be verified")
        lines = [f"{where}: {self.chained} chained lines hold, entry #1 to #{self.head.seq if self.head else 0}"]
        if self.unchained:
            lines.append(f"  {self.unchained} earlier lines carry no chain (written before it) and are not verified")
        if self.erased:
            lines.append(f"  {self.erased} lines were erased for a person (devrecs person erase): their place in the "
                         f"chain holds, their content is gone")
        if self.head is not None:
            lines.append(f"  head: entry #{self.head.seq} sha256 {self.head.prev} (keep it elsewhere: with "
                         f"--head it shows lines cut from the end)")
        return "\n".join(lines)


def _raw_lines(path: str) -> list[bytes]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DevrecsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    pieces = data.split(b"\n")
    out = [piece + b"\n" for piece in pieces[:-1]]
    if pieces[-1]:
        out.append(pieces[-1])     # a last line without its newline
    return out


def _link(raw: bytes) -> tuple[Optional[int], Optional[str], bool]:
    """A line's seq and prev (None when it has none), and whether it is a JSON object."""
    try:
        entry = json.loads(raw)
    except ValueError:
        return None, None, False
    if not isinstance(entry, dict):
        return None, None, False
    seq, prev = entry.get("seq"), entry.get("prev")
    if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(prev, str):
        return None, None, True
    return seq, prev, True


def _erased(raw: bytes) -> bool:
    try:
        entry = json.loads(raw)
    except ValueError:
        return False
    return isinstance(entry, dict) and entry.get("erased") in ERASURES


def verify(paths: Sequence[str], head: Optional[str] = None) -> Verdict:
    """Check the hash chain through ``paths`` (a log and the files it was rotated into, oldest
    first) and name the first line that was altered, removed, inserted or reordered. ``head`` is a
    hash recorded elsewhere for the last line: a log cut short at its end shows only against it."""
    rows = [(path, n, raw) for path in paths for n, raw in enumerate(_raw_lines(path), 1)]
    links = [_link(raw) for _, _, raw in rows]
    erased = {i for i, (_, _, raw) in enumerate(rows) if b'"erased": ' in raw and _erased(raw)}
    seen: dict[int, int] = {}                        # seq -> index in rows of the first line holding it
    later: dict[int, int] = {}                       # seq -> index of its last line
    for i, (seq, _, _) in enumerate(links):
        if seq is not None:
            seen.setdefault(seq, i)
            later[seq] = i
    unchained = chained = 0
    expect: Optional[ChainEnd] = None                # None: the chain has not begun
    previous: Optional[bytes] = None

    def verdict(broken: Optional[Break], end: Optional[ChainEnd]) -> Verdict:
        return Verdict(tuple(paths), len(rows), chained, unchained, end, broken, len(erased))

    def at(i: int, kind: str, message: str) -> Verdict:
        return verdict(Break(rows[i][0], rows[i][1], kind, message), None)

    def name(i: int) -> str:
        return f"{rows[i][0]}:{rows[i][1]}" if rows[i][0] != rows[i - 1][0] or len(paths) > 1 else f"line {rows[i][1]}"

    for i, ((_, _, raw), (seq, prev, is_object)) in enumerate(zip(rows, links)):
        if not raw.strip():
            return at(i, "inserted", "a blank line; the log never writes one")
        if not is_object:
            cut = i == len(rows) - 1 and not raw.endswith(b"\n")
            return at(i, "altered", "not a JSON line" + (" (cut short: the file ends inside it)" if cut else ""))
        if seq is None or prev is None:
            if expect is None:
                unchained += 1
                previous = raw
                continue
            return at(i, "unchained", "this line carries no seq and prev, but lines before it do: inserted")
        if expect is None:                           # the first chained line begins the chain
            expect = ChainEnd(0, START if previous is None else line_hash(previous))
        want = expect.seq + 1
        if seq == want and (prev == expect.prev or (i - 1) in erased):   # an erased line's bytes are gone
            chained += 1
            expect = ChainEnd(seq, line_hash(raw))
            previous = raw
            continue
        if seq == want:                              # in place, but the hash it records differs
            if i == 0 or expect.seq == 0:
                return at(i, "altered", f"entry #{seq} records {prev[:16]}... before it, not the start value")
            # the next line agrees with this one (an erased line's next link cannot be checked)
            following = i + 1 < len(rows) and (links[i + 1][:2] == (seq + 1, line_hash(raw)) or i in erased)
            if following:
                return at(i - 1, "altered", f"its bytes no longer hash to what the next line (entry #{seq}) "
                                            f"recorded for it")
            if i + 1 == len(rows):
                return at(i - 1, "altered", f"its bytes no longer hash to what the next line (entry #{seq}, the "
                                            f"last) recorded for it, or that line's record was altered")
            return at(i, "altered", f"entry #{seq}: neither the line before nor the line after agrees with it")
        if prev == expect.prev:                      # chains on, under another number
            return at(i, "altered", f"its seq reads #{seq}, but it chains on from entry #{expect.seq}")
        if seq > want:
            if want in seen and seen[want] > i:
                j = seen[want]
                return at(i, "reordered", f"it holds entry #{seq}, but entry #{want}, which comes before it, is "
                                          f"at {name(j)}")
            if expect.seq == 0:
                return at(i, "incomplete", f"the chain starts at entry #{seq}, not #1: entries #1 to #{seq - 1} "
                                           f"are missing (removed, or in a file before this one: give the "
                                           f"files oldest first)")
            gap = f"entry #{want} is" if seq == want + 1 else f"entries #{want} to #{seq - 1} are"
            return at(i, "removed", f"{gap} missing before this line (it holds entry #{seq}, and records "
                                    f"the hash of a line that is not here)")
        first = seen.get(seq, i)
        if first < i and links[first][1] == prev:    # two lines claim the same place in the chain
            # the one the next line chains to is the one written; the other was put in
            after = links[i + 1][1] if i + 1 < len(rows) else None
            inserted = first if after == line_hash(raw) else i
            return at(inserted, "inserted", f"it claims entry #{seq}, which another line holds; the chain "
                                            f"does not run through it")
        return at(i, "reordered", f"it holds entry #{seq}, which the chain passed already (expected #{want})")
    if not chained:
        return verdict(None, None)
    assert expect is not None
    if head is not None and head.lower() not in (expect.prev, f"{expect.seq}:{expect.prev}"):
        end = (rows[-1][0], rows[-1][1])
        return verdict(Break(end[0], end[1], "removed", f"the last line (entry #{expect.seq}) is not the recorded "
                                                        f"head {head}: lines were cut from the end, or added"), None)
    return verdict(None, expect)


# -- one person's lines: export and erasure ------------------------------------------------------
# Erasing a person from a log keeps every line's place: a line about the person becomes
# {"log", "erased": "person", "seq", "prev"} (its own seq and the hash of the line before it), and a
# line of someone else that names the person as a subject (an item sent to their manager) has
# that subject replaced by "erased" and is marked "erased": "subject". verify checks each such
# line's own link and lets the next line's link to it go (the bytes it hashed are gone).
ERASURES = ("person", "subject")


def _names(person_id: str, pseudonymiser: Optional[Pseudonymiser]) -> set[str]:
    return {person_id} | ({pseudonymiser(person_id)} if pseudonymiser is not None else set())


def person_lines(paths: Sequence[str], person_id: str, pseudonymiser: Optional[Pseudonymiser] = None,
                 ) -> list[dict]:
    """The lines of the logs ``paths`` about ``person_id`` (or its pseudonym under the key), as
    {file, line, entry}: their own lines and those that send them an item."""
    names = _names(person_id, pseudonymiser)
    out = []
    for path in paths:
        for n, raw in enumerate(_raw_lines(path), 1):
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict) and (entry.get("person") in names or any(
                    isinstance(r, dict) and r.get("subject") in names for r in entry.get("recommendations") or ())):
                out.append({"file": path, "line": n, "entry": entry})
    return out


def erase_person(paths: Sequence[str], person_id: str, pseudonymiser: Optional[Pseudonymiser] = None) -> int:
    """Erase ``person_id`` (and its pseudonym under the key) from the logs ``paths``, in place and
    keeping the chain verifiable (see ERASURES); the lines changed. Each file is rewritten whole
    and then renamed over the old one."""
    names = _names(person_id, pseudonymiser)
    changed = 0
    for path in paths:
        out, touched = [], False
        for raw in _raw_lines(path):
            try:
                entry = json.loads(raw)
            except ValueError:
                entry = None
            if not isinstance(entry, dict):
                out.append(raw)
                continue
            end = b"\n" if raw.endswith(b"\n") else b""
            if entry.get("person") in names:
                tomb = {"log": LOG_VERSION, "erased": "person"}
                tomb.update({k: entry[k] for k in ("seq", "prev") if k in entry})
                out.append(json.dumps(tomb).encode("utf-8") + end)
            elif any(isinstance(r, dict) and r.get("subject") in names for r in entry.get("recommendations") or ()):
                for r in entry["recommendations"]:
                    if isinstance(r, dict) and r.get("subject") in names:
                        r["subject"] = "erased"
                entry["erased"] = "subject"
                out.append(json.dumps(entry).encode("utf-8") + end)
            else:
                out.append(raw)
                continue
            touched = True
            changed += 1
        if touched:
            tmp = f"{path}.erasing"
            try:
                with open(tmp, "wb") as f:
                    f.write(b"".join(out))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except OSError as exc:
                raise DevrecsError(f"{path}: cannot rewrite it ({exc.strerror or exc})") from None
    return changed


# -- reading and replaying ---------------------------------------------------------------------

REQUIRED = ("time", "run", "ruleset_hash", "as_of", "audience", "person", "recommendations")


def read_log(path: str) -> list[dict]:
    """Every line of a decision log; a bad line is an error naming file:line."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as exc:
        raise DevrecsError(f"{path}: cannot read ({exc.strerror or exc})") from None
    entries = []
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DevrecsError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if isinstance(entry, dict) and entry.get("erased") == "person":
                continue            # a line erased for a person (erase_person)
            missing = [k for k in REQUIRED if not isinstance(entry, dict) or k not in entry]
            if missing:
                raise DevrecsError(f"{path}:{n}: not a decision log line (no {', '.join(missing)})")
            try:
                entry["_as_of"] = dt.date.fromisoformat(entry["as_of"])
                entry["_time"] = dt.datetime.fromisoformat(entry["time"].rstrip("Z"))
            except (TypeError, ValueError):
                raise DevrecsError(f"{path}:{n}: bad 'as_of' or 'time' "
                                   f"({entry['as_of']!r}, {entry['time']!r})") from None
            entry["_line"] = n
            entry["_chained"] = "seq" in entry and "prev" in entry
            entries.append(entry)
    if not entries:
        raise DevrecsError(f"{path}: the decision log is empty")
    return entries


def select(entries: Sequence[dict], run: Optional[str] = None) -> list[dict]:
    """The lines to replay: those of ``run``, or else each person's latest line."""
    if run is not None:
        chosen = [e for e in entries if e["run"] == run]
        if not chosen:
            runs = list(dict.fromkeys(e["run"] for e in entries))
            raise DevrecsError(f"no run '{run}' in the log; runs: {', '.join(runs[-5:])}")
        return chosen
    latest: dict[str, dict] = {}
    for e in entries:
        latest.pop(e["person"], None)
        latest[e["person"]] = e
    return list(latest.values())


@attrs.frozen
class Change:
    person: str                  # the person's id (from the people file)
    logged_as: str               # the id or pseudonym in the log
    audience: str
    gained: tuple[dict, ...]     # {intervention, subject}
    lost: tuple[dict, ...]

    def to_dict(self) -> dict:
        return {"person": self.person, "logged_as": self.logged_as, "audience": self.audience,
                "gained": list(self.gained), "lost": list(self.lost)}


@attrs.frozen
class Replay:
    log: str
    runs: tuple[str, ...]
    old_ruleset_hashes: tuple[str, ...]
    new_ruleset_hash: str
    compared: int
    changes: tuple[Change, ...]
    missing: tuple[str, ...]     # logged ids or pseudonyms not found among the people
    unchained: int = 0           # lines written before the hash chain (read, but not verifiable)

    @property
    def gained(self) -> dict[str, int]:
        return dict(Counter(g["intervention"] for c in self.changes for g in c.gained).most_common())

    @property
    def lost(self) -> dict[str, int]:
        return dict(Counter(g["intervention"] for c in self.changes for g in c.lost).most_common())

    def to_dict(self) -> dict:
        return {"log": self.log, "runs": list(self.runs), "old_ruleset_hashes": list(self.old_ruleset_hashes),
                "new_ruleset_hash": self.new_ruleset_hash, "compared": self.compared,
                "changed": len(self.changes), "unchanged": self.compared - len(self.changes),
                "missing": list(self.missing), "unchained": self.unchained, "gained": self.gained, "lost": self.lost,
                "changes": [c.to_dict() for c in self.changes]}

    def text(self) -> str:
        lines = [f"Replay of {self.log}: {self.compared + len(self.missing)} logged people "
                 f"(run {', '.join(self.runs)}; rule set {', '.join(self.old_ruleset_hashes)})",
                 f"against rule set {self.new_ruleset_hash}"]
        if self.unchained:
            lines.append(f"{self.unchained} of the lines replayed are unchained (written before the hash chain: "
                         f"`devrecs log verify` cannot vouch for them)")
        lines.append("")
        for c in self.changes:
            lines.append(c.person + (f"  (as {c.audience} sees it)" if c.audience != "hr" else ""))
            for sign, items in (("+", c.gained), ("-", c.lost)):
                for item in items:
                    to = "" if item["subject"] == c.person else f"  [for {item['subject']}]"
                    lines.append(f"  {sign} {item['intervention']}{to}")
        if not self.changes:
            lines.append("No change: every logged person would get the same recommendations.")
        lines.append("")
        lines.append(f"{self.compared} people compared: {len(self.changes)} would change, "
                     f"{self.compared - len(self.changes)} unchanged"
                     + (f"; {len(self.missing)} logged people not found in the people given" if self.missing else ""))
        for title, counts in (("gained", self.gained), ("lost", self.lost)):
            if counts:
                lines.append(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return "\n".join(lines)


def replay(log: str, entries: Sequence[dict], engine: Recommender, people: Iterable[Person], *,
           pseudonymiser: Optional[Pseudonymiser] = None, store: Any = None) -> Replay:
    """What the logged people would get under ``engine``'s rules, against what was logged.

    Each person is evaluated for the audience and as-of date of their line; ``store``
    merges recorded outcomes decided by the time of the logged run into their history."""
    keyed = [e for e in entries if e.get("pseudonymised")]
    if keyed and pseudonymiser is None:
        raise DevrecsError("the log holds pseudonyms: give the same key with --pseudonymise-key-env VAR")
    by_name: dict[str, Person] = {}
    shown: dict[str, str] = {}       # logged subject -> the id to show
    for p in people:
        by_name[p.id] = p
        shown[p.id] = p.id
        if pseudonymiser is not None:
            by_name[pseudonymiser(p.id)] = p
            shown[pseudonymiser(p.id)] = p.id
    found = [(e, by_name[e["person"]]) for e in entries if e["person"] in by_name]
    missing = tuple(e["person"] for e in entries if e["person"] not in by_name)
    if keyed and by_name and not any(e.get("pseudonymised") for e, _ in found):
        # the log keeps no fingerprint of its key (it would let a guessed key be tested
        # offline), so a wrong key shows only as pseudonyms that match nobody
        raise DevrecsError(f"none of the {len(keyed)} pseudonymised lines of the log matches any of the "
                           f"people under this key: the log was pseudonymised with another key, or it is "
                           f"about other people")
    if store is not None and found:
        from .store import with_history
        until = max(e["_time"] for e, _ in found)
        unique = list({p.id: p for _, p in found}.values())
        merged = {p.id: p for p in with_history(unique, store, until=until)}
        found = [(e, merged[p.id]) for e, p in found]
    changes = []
    for entry, person in found:
        keyed_entry = bool(entry.get("pseudonymised"))
        key = pseudonymiser if keyed_entry else None
        recs = engine.recommend_for(person, entry["audience"], entry["_as_of"])
        new = [(r.intervention, _subject(r.subject, key)) for r in recs]
        old = [(r["intervention"], r["subject"]) for r in entry["recommendations"]]
        gained = tuple({"intervention": i, "subject": shown.get(s, s)} for i, s in new if (i, s) not in old)
        lost = tuple({"intervention": i, "subject": shown.get(s, s)} for i, s in old if (i, s) not in new)
        if gained or lost:
            changes.append(Change(person.id, entry["person"], entry["audience"], gained, lost))
    return Replay(log, tuple(dict.fromkeys(e["run"] for e in entries)),
                  tuple(dict.fromkeys(e["ruleset_hash"] for e in entries)), engine.ruleset_hash,
                  len(found), tuple(changes), missing, sum(1 for e in entries if not e.get("_chained")))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m devrecs.oversight.decisionlog new-key``: print a fresh key (and nothing else)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["new-key"]:
        print("usage: python -m devrecs.oversight.decisionlog new-key   (prints a random key for "
              "--pseudonymise-key-env; devrecs never stores it)", file=sys.stderr)
        return 2
    print(new_key())
    return 0


__all__ = ["Break", "ChainEnd", "DecisionLog", "MIN_KEY_BITS", "Pseudonymiser", "Replay", "START", "Verdict",
           "erase_person", "key_strength", "line_hash", "new_key", "new_run_id", "person_lines", "read_log", "replay",
           "select", "verify", "write_log"]


if __name__ == "__main__":   # pragma: no cover - exercised through a subprocess in the tests
    sys.exit(main())
