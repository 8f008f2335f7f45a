"""The HTTP service (``devrecs serve``): JSON over HTTP with OpenAPI, per-audience tokens, hot reload.

What this module holds: the FastAPI application that answers on ``/v1``, the
token file it checks every request against, and the service state that
swaps engines on reload. It uses only the application layer
(:class:`devrecs.app.Engine`, :class:`devrecs.app.Outputs`, intake, the store
and the decision log): every use case is the library's, this module only
turns HTTP into calls and results into JSON. It needs the ``serve`` extra
(``pip install "devrecs[serve]"``); nothing else in devrecs imports it.

Access: each request carries ``Authorization: Bearer TOKEN``. The token file
holds only SHA-256 digests of tokens, each mapped to one audience (and
optionally a subject: the person an employee token speaks for, the manager
whose reports a manager token may ask about) or marked ``admin`` (reload).
A token never obtains another audience's view: the audience comes from the
token, and asking for another one is 403.

Time limits: the work of a request runs in a worker thread; when it takes
longer than the limit the answer is 503 and its results are thrown away
before anything is written (a request is either written whole, to the
decision log and the store, or not at all).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Literal, MutableMapping, Optional, Sequence

import attrs
import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json
from starlette.exceptions import HTTPException as StarletteHTTPException

from .app import Engine, Outputs
from .audience import AUDIENCES
from .errors import DevrecsError, RuleFileError, UnknownIdError, did_you_mean
from .intake.pipeline import Reject
from .model import plain
from .oversight.decisionlog import Pseudonymiser, new_run_id
from .oversight.store import NEXT, StoreError, check_fact

API = "/v1"
DEFAULT_MAX_PEOPLE = 100
DEFAULT_MAX_BODY = 1_000_000          # bytes
DEFAULT_TIMEOUT_S = 10.0
PUBLIC = (f"{API}/openapi.json", f"{API}/docs")     # the API's description: no token needed
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
CONTESTED = "contested"       # a step of a proposal's life (store.NEXT), not an outcome row (store.OUTCOMES)


# -- tokens -------------------------------------------------------------------------------------

@attrs.frozen
class Token:
    """What one bearer token may do: read as ``audience`` (about ``subject`` only, when set) or reload."""

    name: str
    audience: Optional[str] = None
    subject: Optional[str] = None
    admin: bool = False


def hash_token(token: str) -> str:
    """The digest a token file holds for ``token``: SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """The token file: ``tokens:`` a list of {name, sha256, audience, subject} or {name, sha256, admin: true}."""

    def __init__(self, by_digest: dict[str, Token]):
        self._by_digest = dict(by_digest)

    def __len__(self) -> int:
        return len(self._by_digest)

    def find(self, presented: str) -> Optional[Token]:
        return self._by_digest.get(hash_token(presented))

    @classmethod
    def load(cls, path: str) -> Tokens:
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise DevrecsError(f"--tokens {path}: cannot read ({exc.strerror or exc})") from None
        except yaml.YAMLError as exc:
            raise DevrecsError(f"--tokens {path}: not YAML ({exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("tokens"), list) or not doc["tokens"]:
            raise DevrecsError(f"{path}: expected 'tokens:' with a list of tokens "
                               f"({{name, sha256, audience, subject}} or {{name, sha256, admin: true}})")
        problems: list[str] = []
        found: dict[str, Token] = {}
        for i, entry in enumerate(doc["tokens"]):
            where = f"{path}: tokens[{i}]"
            if not isinstance(entry, dict):
                problems.append(f"{where}: expected a mapping")
                continue
            unknown = sorted(set(entry) - {"name", "sha256", "audience", "subject", "admin"})
            for key in unknown:
                problems.append(f"{where}.{key}: unknown field; expected name, sha256, audience, subject or admin")
            digest = str(entry.get("sha256", "")).lower()
            if not _HEX64.match(digest):
                problems.append(f"{where}.sha256: expected the token's SHA-256 as 64 hex digits "
                                f"(devrecs serve --hash-token), never the token itself")
            audience, admin = entry.get("audience"), entry.get("admin", False)
            if admin is not True and admin is not False:
                problems.append(f"{where}.admin: expected true or false")
            if audience is None and not admin:
                problems.append(f"{where}: give an audience ({', '.join(AUDIENCES)}) or admin: true")
            elif audience is not None and audience not in AUDIENCES:
                problems.append(f"{where}.audience: '{audience}' is not an audience"
                                f"{did_you_mean(audience, AUDIENCES)}; "
                                f"expected one of {', '.join(AUDIENCES)}")
            subject = entry.get("subject")
            if subject is not None and (audience not in ("employee", "manager") or not isinstance(subject, str)):
                problems.append(f"{where}.subject: a subject (a person id) goes with an employee or manager token")
            if digest in found:
                problems.append(f"{where}.sha256: the same token is listed twice")
            found[digest] = Token(str(entry.get("name", f"token {i}")), audience, subject, bool(admin))
        if problems:
            raise DevrecsError("\n".join(problems))
        return cls(found)


# -- errors ---------------------------------------------------------------------------------------

class ApiError(Exception):
    """A 4xx or 5xx answer: a status, a one-line error and the problems (field, message)."""

    def __init__(self, status: int, error: str, problems: Sequence[dict] = (), headers: Optional[dict] = None):
        super().__init__(error)
        self.status, self.error, self.problems, self.headers = status, error, list(problems), headers


def _problem(field: str, message: str) -> dict:
    return {"field": field, "message": message}


def _path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validation_problems(errors: Sequence[dict], models: dict[str, type[BaseModel]]) -> list[dict]:
    """pydantic's errors as (field path, what was expected), in the words of the record messages."""
    out = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        loc = loc[1:] if loc[:1] == ("body",) else loc
        kind = e.get("type", "")
        if kind == "json_invalid":
            out.append(_problem("body", f"invalid JSON ({e.get('ctx', {}).get('error', 'cannot parse')}); "
                                        f"expected a JSON object"))
            continue
        field = _path(loc) or "body"
        if kind == "extra_forbidden":
            allowed = list(models.get(_path(loc[:-1]) or "body", BaseModel).model_fields)
            out.append(_problem(field, f"unknown field{did_you_mean(str(loc[-1]), allowed)}; "
                                       f"expected one of {', '.join(allowed)}"))
        elif kind == "missing":
            out.append(_problem(field, "a value is required" if loc else "a JSON object body is required"))
        elif kind in ("model_attributes_type", "dict_type", "model_type") and not loc:
            out.append(_problem("body", "expected a JSON object (Content-Type: application/json)"))
        else:
            out.append(_problem(field, f"{e.get('msg', 'invalid value')}"))
    return out


def _reject_problems(reject: Reject, prefix: str) -> list[dict]:
    return [_problem(f"{prefix}.{f}" if f else prefix, r) for f, r in reject.errors]


# -- request and response bodies (their JSON Schemas are the OpenAPI document's) ----------------------

AudienceName = Literal["employee", "manager", "hr", "executive"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonRequest(_Strict):
    person: dict[str, Any] = Field(description="A person record (docs/data.md), checked by devrecs' record rules.")
    audience: Optional[AudienceName] = Field(None, description="Must be the token's audience when given.")
    as_of: Optional[dt.date] = Field(None, description="Date history and cooldowns are measured from (default today).")


class ExplainRequest(PersonRequest):
    intervention: Optional[str] = Field(None, description="Explain this intervention "
                                                          "(default: each one the person gets).")


class BatchRequest(_Strict):
    people: list[dict[str, Any]] = Field(min_length=1, description="Person records, at most the service's "
                                                                   "--max-people (default 100).")
    audience: Optional[AudienceName] = None
    as_of: Optional[dt.date] = None


class OutcomeRequest(_Strict):
    person: str = Field(min_length=1)
    intervention: str = Field(min_length=1)
    outcome: Literal["accepted", "declined", "completed", "contested"] = Field(
        description="What the person did with the proposal; contested: the person (or HR for them) disputes a "
                    "released item, with a reason.")
    by: str = Field(min_length=1, description="Who decided or recorded it (a person id).")
    date: Optional[dt.date] = None
    note: str = Field("", max_length=500, description="A short note for accepted, declined or completed "
                                                      "(no health or other sensitive details).")
    reason: str = Field("", max_length=500, description="Why the item is contested (required with contested, "
                                                        "and only there).")
    fact: Optional[str] = Field(None, max_length=200, description="With contested: a fact behind the item that "
                                "the person disputes (a fact path such as engagement); flagged for HR until corrected.")


class EvidenceOut(BaseModel):
    rule: str
    fact: str
    test: str
    actual: Any
    held: Optional[bool]


class RecommendationOut(BaseModel):
    intervention: str
    subject: str
    rules: list[str]
    priority: int
    rationale: list[str]
    evidence: list[EvidenceOut]


class Decision(BaseModel):
    decision_id: str
    ruleset_hash: str
    packs: dict[str, str] = Field(description="The rule packs that decided, name -> version (as in the CLI's "
                                              "records and the decision log).")
    audience: AudienceName
    as_of: dt.date


class PersonResult(BaseModel):
    person: str
    recommendations: list[RecommendationOut]


class RecommendResponse(Decision, PersonResult):
    pass


class BatchResponse(Decision):
    results: list[PersonResult]


class ExplainResponse(Decision):
    person: str
    explanation: dict[str, Any] = Field(description="Why, why not and what it would take, per intervention "
                                                    "(devrecs explain --format json).")


class InterventionOut(BaseModel):
    id: str
    title: str
    description: str
    kind: str
    subject: str


class CatalogResponse(BaseModel):
    audience: AudienceName
    interventions: list[InterventionOut]


class PackOut(BaseModel):
    ruleset: str
    version: str
    file: str
    rules: int


class RulesResponse(BaseModel):
    ruleset_hash: str
    rules: int
    packs: list[PackOut]
    plugins: list[dict[str, Any]]
    loaded_at: str
    refused: Optional[RefusedOut] = Field(None, description="The last reload, when it was refused (see /v1/ready).")


class OutcomeResponse(BaseModel):
    person: str
    intervention: str
    outcome: str
    by: str
    when: str
    answers_run: Optional[str]
    rules: list[str]
    proposal: Optional[int] = Field(None, description="The proposal whose life the step was added to "
                                                      "(always set for contested).")
    reason: str = ""
    fact: Optional[str] = Field(None, description="The contested fact, flagged for HR until corrected.")


class ReloadResponse(BaseModel):
    ruleset_hash: str
    previous: str
    changed: bool


class RuleProblemOut(BaseModel):
    file: str
    line: int
    col: int
    code: str
    message: str


class RefusedOut(BaseModel):
    at: str = Field(description="When the reload was refused (UTC).")
    by: str = Field(description="What asked for it: admin (POST /v1/admin/reload), signal (SIGHUP) or watch.")
    error: str
    problems: list[RuleProblemOut] = Field(description="The rule files' located problems (file, line, col, code).")


class Status(BaseModel):
    status: str
    ruleset_hash: Optional[str] = None
    refused: Optional[RefusedOut] = Field(None, description="The last reload, when it was refused: the rules "
                                                            "in use keep serving (absent after a good reload).")


class ProblemOut(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: str
    problems: list[ProblemOut | RuleProblemOut] = []


ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse}
                                           for code in (400, 401, 403, 409, 413, 422, 503)}


# -- the service ------------------------------------------------------------------------------------

@attrs.define
class Settings:
    """How the service runs: limits, and where decisions and outcomes go."""

    max_people: int = DEFAULT_MAX_PEOPLE
    max_body: int = DEFAULT_MAX_BODY
    timeout_s: float = DEFAULT_TIMEOUT_S
    log_path: Optional[str] = None
    pseudonymiser: Optional[Pseudonymiser] = None
    store: Any = None
    workers: int = 4


class _Job:
    """One request's work: it may write only if it has not timed out, and it is not timed out once writing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state = "running"

    def claim(self, state: str) -> bool:
        with self.lock:
            if self.state != "running":
                return False
            self.state = state
            return True


class Service:
    """The engine in use (swapped whole on reload), the tokens, the settings and the metrics."""

    def __init__(self, engine: Engine, tokens: Tokens, settings: Optional[Settings] = None,
                 echo: Optional[Callable[[str], None]] = None):
        self.engine = engine
        self.echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
        self.tokens = tokens
        self.settings = settings or Settings()
        self.loaded_at = _now_text()
        self.refused: Optional[dict] = None        # the last reload, when it was refused
        self.reload_lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.pool = concurrent.futures.ThreadPoolExecutor(self.settings.workers, thread_name_prefix="devrecs")
        self.registry = CollectorRegistry()
        self.requests = Counter("devrecs_requests", "HTTP requests answered", ["endpoint", "status"],
                                registry=self.registry)
        self.latency = Histogram("devrecs_request_seconds", "Time to answer a request", ["endpoint"],
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10),
                                 registry=self.registry)
        self.rejects = Counter("devrecs_rejects", "Requests refused for bad input (4xx other than auth)",
                               registry=self.registry)
        self.reloads = Counter("devrecs_reloads", "Reloads of the rules", ["result"], registry=self.registry)
        self.timeouts = Counter("devrecs_timeouts", "Requests that ran out of time (503)", registry=self.registry)
        self.info = Gauge("devrecs_ruleset", "The rule set in use (1)", ["ruleset_hash"], registry=self.registry)
        self.info.labels(engine.ruleset_hash).set(1)

    # -- access ----------------------------------------------------------------------------------

    def authenticate(self, headers: Sequence[tuple[bytes, bytes]]) -> Token:
        """The token of an ``Authorization: Bearer`` header, or 401."""
        header = b""
        for key, value in headers:
            if key == b"authorization":
                header = value
        scheme, _, presented = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise ApiError(401, "a bearer token is required (Authorization: Bearer TOKEN)",
                           headers={"WWW-Authenticate": "Bearer"})
        token = self.tokens.find(presented.strip())
        if token is None:
            raise ApiError(401, "the token is not known", headers={"WWW-Authenticate": "Bearer"})
        return token

    @staticmethod
    def token(request: Request) -> Token:
        """The token the guard found for this request (every request but the API's own description)."""
        return request.scope["devrecs.token"]

    def audience_of(self, request: Request, asked: Optional[str] = None) -> tuple[Token, str]:
        token = self.token(request)
        if token.audience is None:
            raise ApiError(403, "this token may not read decisions (it has no audience)")
        if asked is not None and asked != token.audience:
            raise ApiError(403, f"this token reads as {token.audience}; it may not obtain the {asked} view")
        return token, token.audience

    @staticmethod
    def check_scope(token: Token, record: dict, field: str) -> None:
        """An employee token speaks only about its person; a manager token only about its reports."""
        if token.subject is None:
            return
        if token.audience == "employee" and record.get("id") != token.subject:
            raise ApiError(403, f"this token may ask only about person '{token.subject}'", [
                _problem(f"{field}.id", f"expected '{token.subject}'")])
        if token.audience == "manager" and record.get("manager_id") != token.subject:
            raise ApiError(403, f"this token may ask only about the reports of '{token.subject}'", [
                _problem(f"{field}.manager_id", f"expected '{token.subject}'")])

    # -- running a request's work -------------------------------------------------------------------

    def quick(self, engine: Engine) -> bool:
        """Whether one person's decision can wait on nothing outside this process: no store, no
        decision log, no plugin that enriches people or receives recommendations. Such a decision
        is the rules alone, about a millisecond of CPU, and runs on the event loop: the hand-off to
        a worker thread and back would cost more than the time limit could ever save."""
        s = self.settings
        plugins = engine.plugins
        return (s.store is None and s.log_path is None
                and (plugins is None or not (plugins.enriches or plugins.has_sinks)))

    async def run(self, work: Callable[[], Any], commit: Callable[[Any], Any], quick: bool = False) -> Any:
        """``work`` in a worker thread, then ``commit`` (the writes) unless the time limit passed first.

        ``quick`` (see :meth:`quick`): both run here, on the event loop, with nothing to wait for."""
        if quick:
            return commit(work())
        job = _Job()
        loop = asyncio.get_running_loop()
        answer = loop.create_future()

        def settle(value: Any, error: Optional[BaseException]) -> None:
            if not answer.done():          # a request that timed out was answered already
                answer.set_exception(error) if error is not None else answer.set_result(value)

        def whole() -> None:               # in a worker thread; only the loop touches `answer`
            value, error = None, None
            try:
                result = work()
                if job.claim("writing"):
                    value = commit(result)
            except BaseException as exc:   # noqa: BLE001 - handed to the request, raised there
                error = exc
            loop.call_soon_threadsafe(settle, value, error)

        def expire() -> None:
            if job.claim("timed out"):     # not begun writing: the work's result will be dropped
                self.timeouts.inc()
                settle(None, ApiError(503, f"the request took longer than {self.settings.timeout_s:g} s; "
                                           f"nothing was written; try again", headers={"Retry-After": "1"}))
            # else it is writing: the answer comes when it is written whole

        self.pool.submit(whole)
        timer = loop.call_later(self.settings.timeout_s, expire)
        try:
            return await answer
        finally:
            timer.cancel()

    def prepared(self, engine: Engine, records: list[dict], prefix: Callable[[int], str]) -> list[Any]:
        """Each record validated, joined with its history from the store and enriched by plugins."""
        people, problems = [], []
        for i, (_, p) in enumerate(engine.people(list(enumerate(records)), store=self.settings.store)):
            if isinstance(p, Reject):
                problems.extend(_reject_problems(p, prefix(i)))
            else:
                people.append(p)
        if problems:
            raise ApiError(422, "a person record does not fit (docs/data.md)", problems)
        return people

    def record(self, engine: Engine, audience: str, day: dt.date, results: Sequence[tuple[Any, Any]]) -> str:
        """Write the decision (decision log, store, sinks) as the audience was shown it; its id."""
        s = self.settings
        if s.log_path is None and s.store is None and not (engine.plugins and engine.plugins.has_sinks):
            return new_run_id()
        with self.write_lock:
            with Outputs(engine, audience, store=s.store, log=(s.log_path, s.pseudonymiser) if s.log_path else None,
                         label="devrecs serve", as_of=day) as out:
                for person, recs in results:
                    out.person(person, recs)
            if out.run_id is not None:
                return out.run_id
            return out.log.run_id if out.log is not None else new_run_id()

    def contest(self, person: str, intervention: str, by: str, reason: str, on: Optional[dt.date],
                fact: Optional[str] = None) -> dict:
        """``person`` (or HR for them) contests the latest released proposal of ``intervention`` to
        them, and ``fact`` behind it when given, as ``devrecs review contest`` does (Store.contest):
        a ``contested`` step of the proposal's life and a flagged fact, by ``by`` with ``reason``.
        The one place the service contests: the outcomes endpoint's answer is what this returns.

        Only a proposal that reached the person can be contested (released, or accepted, declined
        or completed after release); when there is none the answer is 409 in the same words
        whether or not an unreleased proposal exists, so nobody learns of one this way."""
        store = self.settings.store
        open_to_contest = [state for state, nexts in NEXT.items() if CONTESTED in nexts]
        found = [p for state in open_to_contest
                 for p in store.review_queue(state=state, intervention=intervention, subject=person)]
        if not found:
            raise ApiError(409, f"nothing to contest: no proposal of '{intervention}' to '{person}' has been "
                                f"released to them", [_problem(
                                    "intervention", "expected an item released to the person (devrecs review "
                                                    "release), or its recorded outcome")])
        latest = max(found, key=lambda p: (p.proposed_at, p.id))
        at = (dt.datetime.combine(on, dt.time()) if on is not None
              else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
        if fact is not None:
            try:
                fact = check_fact(fact)
            except StoreError as exc:
                raise ApiError(422, "unknown fact", [_problem("fact", str(exc))]) from None
        try:
            store.contest(person, by=by, reason=reason, proposal=latest.id, fact=fact, when=at)
        except StoreError as exc:       # its state changed meanwhile (contested by another request)
            raise ApiError(409, str(exc)) from None
        return {"person": person, "intervention": intervention, "outcome": CONTESTED, "by": by,
                "when": at.isoformat(), "answers_run": latest.run_id, "rules": list(latest.rules),
                "proposal": latest.id, "reason": " ".join(reason.split()), "fact": fact}

    # -- reload ----------------------------------------------------------------------------------------

    def reload(self, by: str = "admin") -> tuple[str, str]:
        """Build the engine anew beside the one in use, then swap; (previous hash, new hash).

        A rule file that does not validate raises RuleFileError and the engine in use stays; the
        refusal (``by`` whom: admin, signal or watch, with the located problems) is kept for
        /v1/ready and /v1/rules until a reload succeeds."""
        with self.reload_lock:
            old = self.engine
            try:
                new = old.reload()
            except DevrecsError as exc:  # rule files that do not validate, a plugin that fails to load
                self.reloads.labels("refused").inc()
                problems = [p.to_dict() for p in exc.problems] if isinstance(exc, RuleFileError) else []
                self.refused = {"at": _now_text(), "by": by,
                                "error": "the rules do not validate; the rules in use keep serving"
                                if problems else str(exc), "problems": problems}
                raise
            self.engine = new          # requests that began on `old` finish on it
            self.loaded_at = _now_text()
            self.refused = None
            self.reloads.labels("ok").inc()
            self.info.clear()
            self.info.labels(new.ruleset_hash).set(1)
            return old.ruleset_hash, new.ruleset_hash


def _now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(data: Any, status: int = 200, headers: Optional[dict] = None) -> Response:
    """``data`` as the body: pydantic-core's encoder (FastAPI's own), compact UTF-8, in a third of
    json.dumps' time. It writes lists, tuples, dates and enums as model.plain does (ISO dates, enum
    values); a fact value that is a record (a gap) goes through plain itself."""
    return Response(to_json(data, fallback=_fallback), status_code=status, media_type="application/json",
                    headers=headers)


def _fallback(value: Any) -> Any:
    return plain(value) if attrs.has(type(value)) else str(value)


def _recommendations(recs: Sequence[Any]) -> list[dict]:
    """The recommendations as ``devrecs recommend --format json`` gives them (``listing.rec_json``),
    for ``_json`` to write: rec_json copies every field and evidence value through ``to_dict`` and
    ``plain`` first, which was a tenth of a request's time; here the values go to the encoder as
    they are. tests/test_service.py compares the two for every audience and persona."""
    return [{"intervention": r.intervention, "subject": r.subject, "rules": r.rules, "priority": r.priority,
             "rationale": r.rationale,
             "evidence": [{"rule": e.rule, "fact": e.fact, "test": e.test, "actual": e.actual, "held": e.held}
                          for e in r.evidence]} for r in recs]


def _error(exc: ApiError) -> Response:
    return _json({"error": exc.error, "problems": exc.problems}, exc.status, exc.headers)


class _Guard:
    """ASGI middleware: body size limit (413), metrics per endpoint, and no traceback ever."""

    def __init__(self, app: Any, service: Service, endpoints: set[str]):
        self.app, self.service, self.endpoints = app, service, endpoints
        self._meters: dict[tuple[str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path = scope.get("path", "")
        endpoint = path if path in self.endpoints else "other"
        status = {"code": 500, "started": False}

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
            await send(message)

        try:
            if path not in PUBLIC:
                try:
                    scope["devrecs.token"] = self.service.authenticate(scope.get("headers") or [])
                except ApiError as exc:
                    await _error(exc)(scope, receive, sending)
                    return
            limit = self.service.settings.max_body
            declared = dict(scope.get("headers") or []).get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await self._refuse(sending, limit)
                return
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                body, more = bytearray(), True
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        status["code"] = 499          # the client went away
                        return
                    body += message.get("body", b"")
                    more = message.get("more_body", False)
                    if len(body) > limit:
                        await self._refuse(sending, limit)
                        return
                sent = False

                async def replay() -> dict:
                    nonlocal sent
                    if not sent:
                        sent = True
                        return {"type": "http.request", "body": bytes(body), "more_body": False}
                    return await receive()
                await self.app(scope, replay, sending)
            else:
                await self.app(scope, receive, sending)
        except Exception as exc:   # noqa: BLE001 - the answer is a plain 500, never a traceback
            self.service.echo(f"devrecs serve: internal error on {scope.get('method')} {path}: "
                              f"{type(exc).__name__}: {exc}")
            if not status["started"]:
                try:
                    await sending({"type": "http.response.start", "status": 500,
                                   "headers": [(b"content-type", b"application/json")]})
                    await send({"type": "http.response.body", "body": b'{"error":"internal error","problems":[]}'})
                except Exception:  # noqa: BLE001 - the response had begun
                    pass
        finally:
            self._count(endpoint, status["code"], time.perf_counter() - start)

    def _count(self, endpoint: str, code: int, seconds: float) -> None:
        key = (endpoint, code)
        meters = self._meters.get(key)
        if meters is None:       # a metric's child per (endpoint, status), looked up once
            meters = self._meters[key] = (self.service.requests.labels(endpoint, str(code)),
                                          self.service.latency.labels(endpoint))
        meters[0].inc()
        meters[1].observe(seconds)
        if code in (400, 413, 415, 422):
            self.service.rejects.inc()

    async def _refuse(self, send: Any, limit: int) -> None:
        body = json.dumps({"error": "the request body is too large",
                           "problems": [_problem("body", f"expected at most {limit} bytes")]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def create_app(service: Service) -> FastAPI:
    """The FastAPI application answering on /v1 for ``service``."""
    s = service.settings

    app = FastAPI(title="devrecs", version="1", openapi_url=f"{API}/openapi.json", docs_url=f"{API}/docs",
                  redoc_url=None,
                  description="Development recommendations for a person, as the token's audience may see them.")

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        models: dict[str, type[BaseModel]] = {f"{API}/recommend/batch": BatchRequest, f"{API}/explain": ExplainRequest,
                                               f"{API}/outcomes": OutcomeRequest}
        model = models.get(request.url.path, PersonRequest)
        return _json({"error": "the request does not fit its schema (see /v1/openapi.json)",
                      "problems": _validation_problems(exc.errors(), {"body": model})}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _json({"error": f"no endpoint {request.url.path}; see {API}/openapi.json", "problems": []}, 404)
        if exc.status_code == 405:
            return _json({"error": f"{request.method} is not allowed on {request.url.path}", "problems": []}, 405)
        if exc.status_code == 400:      # a body FastAPI could not parse (e.g. JSON nested too deep)
            return _json({"error": "the request body cannot be read", "problems": [_problem(
                "body", "cannot parse the body (nested too deeply?); expected a JSON object")]}, 400)
        return _json({"error": str(exc.detail), "problems": []}, exc.status_code)

    @app.exception_handler(DevrecsError)
    async def library_error(request: Request, exc: DevrecsError) -> Response:
        # a plugin's or the store's fault, not the request's: one line, never a traceback
        service.echo(f"devrecs serve: {request.method} {request.url.path}: {type(exc).__name__}: {exc}")
        return _json({"error": f"{type(exc).__name__}: {exc}", "problems": []}, 500)

    def day_of(engine: Engine, as_of: Optional[dt.date]) -> dt.date:
        return engine.day(as_of)

    @app.post(f"{API}/recommend", response_model=RecommendResponse, responses=ERRORS,
              summary="Recommend for one person, as the token's audience may see it")
    async def recommend(body: PersonRequest, request: Request) -> Response:
        token, audience = service.audience_of(request, body.audience)
        service.check_scope(token, body.person, "person")
        engine = service.engine
        day = day_of(engine, body.as_of)

        def work() -> Any:
            person = service.prepared(engine, [body.person], lambda i: "person")[0]
            return person, engine.recommend_for(person, audience, day, review=service.settings.store)

        def commit(result: Any) -> dict:
            person, recs = result
            return {"decision_id": service.record(engine, audience, day, [result]),
                    **engine.provenance, "audience": audience, "as_of": day.isoformat(),
                    "person": person.id, "recommendations": _recommendations(recs)}
        return _json(await service.run(work, commit, service.quick(engine)))

    @app.post(f"{API}/recommend/batch", response_model=BatchResponse, responses=ERRORS,
              summary=f"Recommend for up to {s.max_people} people in one decision")
    async def recommend_batch(body: BatchRequest, request: Request) -> Response:
        token, audience = service.audience_of(request, body.audience)
        if len(body.people) > s.max_people:
            raise ApiError(413, "too many people in one request", [_problem(
                "people", f"expected at most {s.max_people} people in one request, got {len(body.people)}; "
                          f"send the rest in another request")])
        for i, record in enumerate(body.people):
            service.check_scope(token, record, f"people[{i}]")
        engine = service.engine
        day = day_of(engine, body.as_of)

        def work() -> Any:
            people = service.prepared(engine, body.people, lambda i: f"people[{i}]")
            return list(engine.recommend_many(people, day, audience, review=service.settings.store))

        def commit(results: Any) -> dict:
            return {"decision_id": service.record(engine, audience, day, results),
                    **engine.provenance, "audience": audience, "as_of": day.isoformat(),
                    "results": [{"person": p.id, "recommendations": _recommendations(recs)}
                                for p, recs in results]}
        return _json(await service.run(work, commit))

    @app.post(f"{API}/explain", response_model=ExplainResponse, responses=ERRORS,
              summary="Why, why not and what it would take, for one person and one intervention")
    async def explain(body: ExplainRequest, request: Request) -> Response:
        token, audience = service.audience_of(request, body.audience)
        service.check_scope(token, body.person, "person")
        engine = service.engine
        day = day_of(engine, body.as_of)
        if body.intervention is not None and body.intervention not in engine.catalog:
            raise ApiError(422, "unknown intervention", [_problem(
                "intervention", f"unknown intervention '{body.intervention}'"
                                f"{did_you_mean(body.intervention, engine.catalog.ids)}; see {API}/catalog")])

        def work() -> Any:
            person = service.prepared(engine, [body.person], lambda i: "person")[0]
            try:
                explanation = engine.explain(person, body.intervention, audience, day, review=service.settings.store)
            except UnknownIdError as exc:
                raise ApiError(422, "unknown id", [_problem("intervention", str(exc))]) from None
            return person, explanation, engine.recommend_for(person, audience, day, review=service.settings.store)

        def commit(result: Any) -> dict:
            person, explanation, recs = result
            return {"decision_id": service.record(engine, audience, day, [(person, recs)]),
                    **engine.provenance, "audience": audience, "as_of": day.isoformat(),
                    "person": person.id, "explanation": json.loads(engine.render(explanation, "json"))}
        return _json(await service.run(work, commit))

    @app.get(f"{API}/catalog", response_model=CatalogResponse, responses=ERRORS,
             summary="The interventions the token's audience may see")
    async def catalog(request: Request) -> Response:
        _, audience = service.audience_of(request)
        items = [{"id": i.id, "title": i.title, "description": i.description, "kind": i.kind, "subject": i.subject}
                 for i in service.engine.catalog if service.engine.catalog.visible_to(i.id, audience)]
        return _json({"audience": audience, "interventions": items})

    @app.get(f"{API}/rules", response_model=RulesResponse, responses=ERRORS,
             summary="The rule packs in use, their versions and the rule set hash")
    async def rules(request: Request) -> Response:
        service.token(request)
        engine = service.engine
        packs = [{"ruleset": f.ruleset, "version": f.version, "file": f.path, "rules": len(f.rules)}
                 for f in engine.files]
        plugins = [{"name": p["name"], "distribution": p["distribution"], "version": p["version"]}
                   for p in (engine.plugins.describe(engine.overrides) if engine.plugins else [])]
        return _json({"ruleset_hash": engine.ruleset_hash, "rules": len(engine.rules), "packs": packs,
                      "plugins": plugins, "loaded_at": service.loaded_at, "refused": service.refused})

    @app.post(f"{API}/outcomes", response_model=OutcomeResponse, status_code=201, responses=ERRORS,
              summary="Record what a person did with a proposed intervention")
    async def outcomes(body: OutcomeRequest, request: Request) -> Response:
        token, audience = service.audience_of(request)
        contest = body.outcome == CONTESTED
        if audience == "executive":
            raise ApiError(403, "an executive token may not record outcomes for a person")
        if contest and audience == "manager":
            raise ApiError(403, "a manager token may not contest: the person contests an item, or HR for them")
        if token.subject is not None and (audience != "employee" or body.person != token.subject):
            raise ApiError(403, f"this token may record outcomes only for person '{token.subject}'"
                           if audience == "employee" else "a manager token with a subject may not record outcomes "
                                                          "(the service cannot tell whose report the person is)")
        if contest and token.subject is not None and body.by != token.subject:
            raise ApiError(403, f"this token contests only as person '{token.subject}'",
                           [_problem("by", f"expected '{token.subject}'")])
        blank = [name for name in ("person", "intervention", "by") if not getattr(body, name).strip()]
        if blank:       # the store's own check, answered as the request's fault
            raise ApiError(422, "the request does not fit its schema (see /v1/openapi.json)",
                           [_problem(name, "expected a non-empty id") for name in blank])
        if contest and not " ".join(body.reason.split()):
            raise ApiError(422, "a contest needs a reason", [_problem(
                "reason", "a value is required: say what is wrong with the item or the facts behind it")])
        if contest and body.note:
            raise ApiError(422, "a contest takes a reason, not a note", [_problem(
                "note", "give the contest's words as reason; a note goes with accepted, declined or completed")])
        if not contest and body.fact is not None:
            raise ApiError(422, f"{body.outcome} takes no fact", [_problem(
                "fact", "a contested fact goes with contested only")])
        if not contest and body.reason:
            raise ApiError(422, f"{body.outcome} takes a note, not a reason", [_problem(
                "reason", "a reason goes with contested only; give a note")])
        if s.store is None:
            raise ApiError(503, "this service has no store: start it with --store URL to record outcomes")
        engine = service.engine
        # a manager names only what a manager may see: anything else is unknown, in the same words (no oracle)
        known = [i for i in engine.catalog.ids if audience != "manager" or engine.catalog.visible_to(i, audience)]
        if body.intervention not in known:
            raise ApiError(422, "unknown intervention", [_problem(
                "intervention", f"unknown intervention '{body.intervention}'"
                                f"{did_you_mean(body.intervention, known)}; see {API}/catalog")])

        def commit(_: Any) -> dict:
            with service.write_lock:
                if contest:
                    return service.contest(body.person, body.intervention, body.by, body.reason, body.date, body.fact)
                rec = s.store.record_outcome(body.person, body.intervention, body.outcome, by=body.by,
                                             when=body.date, note=body.note)
            return {"person": rec.person, "intervention": rec.intervention, "outcome": rec.outcome, "by": rec.by,
                    "when": rec.when.isoformat(), "answers_run": rec.run_id, "rules": list(rec.rules),
                    "proposal": None, "reason": "", "fact": None}
        return _json(await service.run(lambda: None, commit), 201)

    @app.post(f"{API}/admin/reload", response_model=ReloadResponse, responses=ERRORS,
              summary="Read the rule files again; a file that does not validate is refused")
    async def reload(request: Request) -> Response:
        if not service.token(request).admin:
            raise ApiError(403, "reloading needs an admin token")
        try:
            previous, now = await asyncio.get_running_loop().run_in_executor(None, service.reload)
        except RuleFileError as exc:
            return _json({"error": "the rules do not validate; the rules in use keep serving",
                          "problems": [p.to_dict() for p in exc.problems]}, 422)
        except DevrecsError as exc:
            raise ApiError(409, str(exc)) from None
        return _json({"ruleset_hash": now, "previous": previous, "changed": now != previous})

    @app.get(f"{API}/health", response_model=Status, responses=ERRORS, summary="The process answers")
    async def health(request: Request) -> Response:
        service.token(request)
        return _json({"status": "ok"})

    @app.get(f"{API}/ready", response_model=Status, responses=ERRORS, summary="Rules are loaded and serving")
    async def ready(request: Request) -> Response:
        service.token(request)
        ready = {"status": "ready", "ruleset_hash": service.engine.ruleset_hash}
        return _json(dict(ready, refused=service.refused) if service.refused else ready)

    @app.get(f"{API}/metrics", responses=ERRORS, summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        service.token(request)
        return Response(generate_latest(service.registry), media_type=CONTENT_TYPE_LATEST)

    endpoints = {getattr(route, "path", "") for route in app.routes} - {""}
    app.add_middleware(_Guard, service=service, endpoints=endpoints)
    return app


def sighup_reloads(service: Service, echo: Callable[[str], None]) -> None:
    """On SIGHUP, reload in a thread (the loop keeps serving); the outcome is echoed, the old rules kept on error."""
    import signal

    loop = asyncio.get_running_loop()

    loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, _reload_echoed, service, echo, "signal"))


def _reload_echoed(service: Service, echo: Callable[[str], None], by: str) -> bool:
    """Reload, and say on the server's log what came of it (the located problems when refused)."""
    try:
        previous, now = service.reload(by)
    except DevrecsError as exc:
        echo(f"devrecs serve: reload ({by}) refused, still serving {service.engine.ruleset_hash}:\n{exc}")
        return False
    echo(f"devrecs serve: reloaded rules ({by}) {previous} -> {now}")
    return True


RULE_SUFFIXES = (".yaml", ".yml", ".csv")     # what a rule folder holds (packs.load_packs reads these)


class RuleWatch:
    """``devrecs serve --watch``: poll the rule files and folders the engine in use was loaded from,
    and reload when they change.

    It looks at modification times and sizes (no dependency, any file system): the files each
    rule pack was read from, the folders they are in (a file added or removed there), and the paths
    given with --rules. A change is taken once it has held still for a poll (an editor writes in
    steps, a checkout changes many files), then the new engine is built beside the one in use, as
    any reload. Rules that do not validate are refused with their located problems (on the log, in
    /v1/ready and /v1/rules) and the old rules keep serving; the same files are not tried again
    until they change again.
    """

    def __init__(self, service: Service, echo: Callable[[str], None], interval: float = 1.0):
        self.service, self.echo, self.interval = service, echo, interval

    def watched(self) -> list[Path]:
        engine = self.service.engine
        paths = {Path(p) for p in (engine.paths or ())}
        for f in engine.files:
            paths.update((Path(f.path), Path(f.path).parent))
        return sorted(paths)

    def fingerprint(self) -> tuple:
        """(path, mtime, size) of every watched file and of each rule file in a watched folder."""
        seen: list[tuple[str, Optional[int], Optional[int]]] = []
        for path in self.watched():
            try:
                entries = sorted(e for e in path.iterdir() if e.suffix in RULE_SUFFIXES) if path.is_dir() else [path]
            except OSError:
                entries = [path]
            for entry in entries:
                try:
                    st = entry.stat()
                    seen.append((str(entry), st.st_mtime_ns, st.st_size))
                except OSError:
                    seen.append((str(entry), None, None))
        return tuple(seen)

    async def run(self) -> None:
        """Poll until cancelled."""
        loop = asyncio.get_running_loop()
        last = await loop.run_in_executor(None, self.fingerprint)
        while True:
            await asyncio.sleep(self.interval)
            try:
                now = await loop.run_in_executor(None, self.fingerprint)
                if now == last:
                    continue
                while True:            # debounce: until a poll sees what the one before saw
                    await asyncio.sleep(self.interval)
                    again = await loop.run_in_executor(None, self.fingerprint)
                    if again == now:
                        break
                    now = again
                await loop.run_in_executor(None, _reload_echoed, self.service, self.echo, "watch")
                last = now             # refused or not, these files are not tried again; a change
                                       # made while the engine was being built is seen next poll
            except Exception as exc:   # noqa: BLE001 - the watch goes on; the service never stops for it
                self.echo(f"devrecs serve: watching the rules failed ({type(exc).__name__}: {exc}); "
                          f"still watching")


__all__ = ["RuleWatch", "Service", "Settings", "Token", "Tokens", "create_app", "hash_token", "sighup_reloads"]
