"""devrecs serve against a real server: uvicorn on 127.0.0.1 on a free port, in a subprocess, over HTTP.

What the service promises (docs/service.md): every answer fits the OpenAPI document; no token is 401,
another audience's view is 403; an audience sees exactly what the library shows it (twins that differ
only in a hidden fact get the same bytes); bad input is a 4xx naming the field; a request that runs
out of time is 503 and writes nothing; a reload keeps serving and refuses rules that do not validate.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

for _module in ("fastapi", "uvicorn", "httpx", "prometheus_client"):
    pytest.importorskip(_module, reason=f"the serve extra is not installed ({_module} is missing): "
                                        f"pip install -e \".[test]\" brings it")

import httpx  # noqa: E402
import jsonschema  # noqa: E402
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from devrecs import Engine  # noqa: E402
from devrecs.facts import PERSON_FACTS  # noqa: E402
from devrecs.intake.peoplefile import sample_file  # noqa: E402
from devrecs.render.listing import rec_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = sample_file()
AS_OF = SAMPLE.as_of.isoformat()
RECORDS = {raw["id"]: json.loads(json.dumps(raw, default=str)) for _, raw in SAMPLE.records}
PERSONAS = sorted(pid for pid in RECORDS if pid.startswith("persona-"))
ENGINE = Engine.default(as_of=SAMPLE.as_of)
TOKENS = {name: secrets.token_urlsafe(24) for name in
          ("employee", "manager", "hr", "executive", "admin", "scoped-manager", "scoped-employee")}
SCOPED_MANAGER = RECORDS["persona-deep-expert"].get("manager_id") or "m-none"

# A local plugin: a person whose extra has "sleep" takes that many seconds to prepare.
SLOW_PLUGIN = textwrap.dedent('''
    import time
    import devrecs

    @devrecs.hookimpl
    def devrecs_enrich_person(person):
        seconds = (person.extra or {}).get("sleep")
        if seconds:
            time.sleep(float(seconds))
        return None
''')


def token_file(folder: Path) -> Path:
    from devrecs.service import hash_token
    entries = []
    for name, token in TOKENS.items():
        entry = {"name": name, "sha256": hash_token(token)}
        if name == "admin":
            entry["admin"] = True
        elif name == "scoped-manager":
            entry.update(audience="manager", subject=SCOPED_MANAGER)
        elif name == "scoped-employee":
            entry.update(audience="employee", subject="persona-pip")
        else:
            entry["audience"] = name
        entries.append(entry)
    path = folder / "tokens.yaml"
    path.write_text(json.dumps({"tokens": entries}))      # JSON is YAML
    return path


class Server:
    """``devrecs serve`` in a subprocess on 127.0.0.1, port chosen by the system."""

    def __init__(self, folder: Path, *args: str, env: dict | None = None):
        cmd = [sys.executable, "-m", "devrecs.cli", "serve", "--port", "0", "--tokens", str(token_file(folder)),
               "--as-of", AS_OF, *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, **(env or {})))
        self.lines: list[str] = []
        self.url = ""
        reading = threading.Thread(target=self._read, daemon=True)
        reading.start()
        deadline = time.monotonic() + 120
        while not self.url and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.05)
        if not self.url:
            self.stop()
            raise AssertionError("devrecs serve did not start:\n" + "".join(self.lines))
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)/v1", line)
            if m:
                self.url = m.group(1)

    def call(self, method: str, path: str, who: str | None = "hr", **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {TOKENS[who]}"
        return self.client.request(method, f"/v1{path}", headers=headers, **kwargs)

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The default packs, a decision log, a store, the slow plugin and a 1.5 s time limit."""
    folder = tmp_path_factory.mktemp("serve")
    plugins = folder / "plugins"
    plugins.mkdir()
    (plugins / "slow.py").write_text(SLOW_PLUGIN)
    server = Server(folder, "--log", str(folder / "decisions.jsonl"), "--store", str(folder / "store.db"),
                    "--timeout", "1.5", "--max-people", "20", "--max-body", "200000",
                    env={"DEVRECS_PLUGINS_DIR": str(plugins)})
    server.folder = folder
    yield server
    server.stop()
    assert "Traceback" not in server.output(), server.output()


@pytest.fixture(scope="module")
def openapi(served):
    doc = served.call("GET", "/openapi.json", who=None)
    assert doc.status_code == 200
    doc = doc.json()
    assert doc["openapi"].startswith("3.1")
    return doc


def fits(openapi: dict, path: str, method: str, response: httpx.Response) -> None:
    """The response's body validates against the schema the OpenAPI document gives for its status."""
    answers = openapi["paths"][f"/v1{path}"][method.lower()]["responses"]
    assert str(response.status_code) in answers, (path, response.status_code, sorted(answers))
    content = answers[str(response.status_code)].get("content", {})
    if "application/json" not in content:
        return
    schema = dict(content["application/json"]["schema"], components=openapi["components"])
    jsonschema.Draft202012Validator(schema).validate(response.json())


def log_lines(server: Server) -> list[dict]:
    path = server.folder / "decisions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- the OpenAPI document and every endpoint ------------------------------------------------------------

def test_every_endpoint_answers_as_the_openapi_document_says(served, openapi):
    person = RECORDS["persona-deep-expert"]
    calls = [
        ("POST", "/recommend", {"json": {"person": person}}),
        ("POST", "/recommend/batch", {"json": {"people": [person, RECORDS["persona-pip"]]}}),
        ("POST", "/explain", {"json": {"person": person, "intervention": "technical-career-path"}}),
        ("POST", "/explain", {"json": {"person": person}}),
        ("GET", "/catalog", {}),
        ("GET", "/rules", {}),
        ("POST", "/outcomes", {"json": {"person": person["id"], "intervention": "mentoring",
                                        "outcome": "accepted", "by": "hr-1"}}),
        ("POST", "/outcomes", {"json": {"person": "nobody", "intervention": "mentoring",
                                        "outcome": "contested", "by": "nobody", "reason": "wrong"}}),
        ("GET", "/health", {}),
        ("GET", "/ready", {}),
        ("POST", "/recommend", {"json": {"person": {"id": "x", "level": "high"}}}),
        ("POST", "/recommend", {"json": {"persona": {}}}),
        ("POST", "/recommend", {"json": {"person": person}, "who": None}),
        ("POST", "/recommend", {"json": {"person": person, "audience": "manager"}}),
    ]
    documented = {(m.upper(), p[len("/v1"):]) for p, ops in openapi["paths"].items() for m in ops}
    for method, path, kwargs in calls:
        response = served.call(method, path, **{"who": "hr", **kwargs})
        fits(openapi, path, method, response)
    assert {(m, p) for m, p, _ in calls} <= documented
    metrics = served.call("GET", "/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert documented >= {("POST", "/admin/reload"), ("GET", "/metrics")}


def test_decisions_carry_an_id_and_the_ruleset_hash_and_go_to_the_decision_log(served):
    before = len(log_lines(served))
    one = served.call("POST", "/recommend", json={"person": RECORDS["persona-early-career"]}).json()
    batch = served.call("POST", "/recommend/batch", who="manager",
                        json={"people": [RECORDS["persona-pip"], RECORDS["persona-wellbeing"]]}).json()
    assert one["ruleset_hash"] == batch["ruleset_hash"] == ENGINE.ruleset_hash
    assert one["decision_id"] != batch["decision_id"]
    lines = log_lines(served)[before:]
    assert [(line["run"], line["person"], line["audience"]) for line in lines] == [
        (one["decision_id"], "persona-early-career", "hr"),
        (batch["decision_id"], "persona-pip", "manager"), (batch["decision_id"], "persona-wellbeing", "manager")]
    assert all(line["ruleset_hash"] == ENGINE.ruleset_hash for line in lines)
    # the pack versions that decided, as the CLI's records and the log lines name them
    assert one["packs"] == batch["packs"] == ENGINE.packs == lines[0]["packs"] and "careers" in one["packs"]
    assert [r["intervention"] for r in lines[0]["recommendations"]] == [
        r["intervention"] for r in one["recommendations"]]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """No store, no decision log, no plugin: one person's decision runs on the event loop (Service.quick)."""
    from importlib.metadata import entry_points
    folder = tmp_path_factory.mktemp("quick")
    installed = ",".join(sorted({ep.name for ep in entry_points(group="devrecs")}))
    server = Server(folder, env={"DEVRECS_PLUGINS_DIR": "", "DEVRECS_DISABLE_PLUGINS": installed})
    yield server
    server.stop()
    assert "Traceback" not in server.output(), server.output()


@pytest.mark.parametrize("audience", ["employee", "manager", "hr", "executive"])
@pytest.mark.parametrize("kind", ["threads", "quick"])
def test_each_audience_gets_exactly_what_the_library_shows_it(request, kind, audience):
    from devrecs.oversight.store import Store
    served = request.getfixturevalue("served" if kind == "threads" else "quick")
    # with a store, review is on: the employee sees released items only; the quick server has none
    store = Store(str(served.folder / "store.db")) if kind == "threads" else None
    for pid in PERSONAS:
        got = served.call("POST", "/recommend", who=audience, json={"person": RECORDS[pid]})
        assert got.status_code == 200, got.text
        want = [rec_json(r) for r in ENGINE.recommend_for(RECORDS[pid], audience, review=store)]
        assert got.json()["recommendations"] == json.loads(json.dumps(want, default=str)), pid
        assert got.json()["audience"] == audience


def test_the_service_writes_recommendations_as_the_cli_does_for_every_sample_person():
    """service._recommendations hands values to the encoder as they are; rec_json copies them first."""
    from devrecs.service import _json, _recommendations
    for raw in RECORDS.values():
        for audience in ("employee", "manager", "hr", "executive"):
            recs = ENGINE.recommend_for(raw, audience)
            want = json.loads(json.dumps([rec_json(r) for r in recs], default=str))
            assert json.loads(_json(_recommendations(recs)).body) == want, (raw["id"], audience)


# -- access -------------------------------------------------------------------------------------------------

def test_no_token_or_an_unknown_token_is_401_on_every_endpoint(served, openapi):
    for path, ops in openapi["paths"].items():
        for method in ops:
            for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": TOKENS["hr"]}):
                got = served.client.request(method.upper(), path, headers=headers, json={})
                assert got.status_code == 401, (method, path, headers)
                assert got.headers["www-authenticate"] == "Bearer"


def test_a_token_never_obtains_another_audiences_view(served):
    person = RECORDS["persona-wellbeing"]
    for who in ("employee", "manager", "executive"):
        for other in ("employee", "manager", "hr", "executive"):
            if other == who:
                continue
            for path, body in (("/recommend", {"person": person}), ("/explain", {"person": person}),
                               ("/recommend/batch", {"people": [person]})):
                got = served.call("POST", path, who=who, json=dict(body, audience=other))
                assert got.status_code == 403, (who, other, path)
                assert "wellbeing" not in got.text
    assert served.call("POST", "/recommend", who="admin", json={"person": person}).status_code == 403
    assert served.call("POST", "/admin/reload", who="hr").status_code == 403


def test_a_manager_token_with_a_subject_asks_only_about_its_reports(served):
    report = dict(RECORDS["persona-deep-expert"], manager_id=SCOPED_MANAGER)
    other = dict(report, manager_id=SCOPED_MANAGER + "-other")
    assert served.call("POST", "/recommend", who="scoped-manager", json={"person": report}).status_code == 200
    refused = served.call("POST", "/recommend", who="scoped-manager", json={"person": other})
    assert refused.status_code == 403
    assert refused.json()["problems"] == [{"field": "person.manager_id", "message": f"expected '{SCOPED_MANAGER}'"}]
    mixed = served.call("POST", "/recommend/batch", who="scoped-manager", json={"people": [report, other]})
    assert mixed.status_code == 403 and mixed.json()["problems"][0]["field"] == "people[1].manager_id"
    mine = served.call("POST", "/recommend", who="scoped-employee", json={"person": RECORDS["persona-pip"]})
    assert mine.status_code == 200
    assert served.call("POST", "/recommend", who="scoped-employee",
                       json={"person": RECORDS["persona-wellbeing"]}).status_code == 403


def test_twins_that_differ_only_in_a_hidden_fact_get_identical_bytes(served):
    """domain.md's no-oracle rule over HTTP: the decision id is the only byte that may differ."""
    def answer(who, path, body):
        got = served.call("POST", path, who=who, json=body)
        assert got.status_code == 200, got.text
        return re.sub(rb'"decision_id":"[^"]*"', b'"decision_id":"-"', got.content)

    twins = [("manager", "wellbeing_concern", [False, True]), ("executive", "wellbeing_concern", [False, True]),
             ("executive", "performance_plan", ["none", "informal", "pip"])]
    for who, fact, values in twins:
        for pid in PERSONAS:
            people = [dict(RECORDS[pid], **{fact: v}) for v in values]
            for path, extra in [("/recommend", {}), ("/explain", {}),
                                ("/explain", {"intervention": "wellbeing-referral"}),
                                ("/explain", {"intervention": "performance-advisor"}),
                                ("/explain", {"intervention": "coaching"})]:
                outs = {answer(who, path, dict(extra, person=p)) for p in people}
                assert len(outs) == 1, (who, fact, pid, path, extra)
            assert len({answer(who, "/recommend/batch", {"people": [p, RECORDS["persona-pip"]]})
                        for p in people}) == 1
    # and the check can fail: HR, who may see the fact, gets different answers
    hr = {answer("hr", "/recommend", {"person": dict(RECORDS["persona-wellbeing"], wellbeing_concern=v)})
          for v in (False, True)}
    assert len(hr) == 2


def test_the_catalog_lists_only_what_the_audience_may_see(served):
    for audience in ("employee", "manager", "hr", "executive"):
        ids = [i["id"] for i in served.call("GET", "/catalog", who=audience).json()["interventions"]]
        assert ids == [i for i in ENGINE.catalog.ids if ENGINE.catalog.visible_to(i, audience)]
    assert "wellbeing-referral" not in [i["id"] for i in served.call("GET", "/catalog", who="manager").json()[
        "interventions"]]


def test_tokens_never_appear_in_the_server_output(served):
    served.call("POST", "/recommend", json={"person": RECORDS["persona-pip"]})
    served.call("GET", "/catalog", headers={"Authorization": "Bearer wrong-" + TOKENS["hr"]}, who=None)
    out = served.output()
    assert not [name for name, token in TOKENS.items() if token in out]
    # nor in what the service writes: the decision log and the store (its WAL too)
    written = b"".join(f.read_bytes() for f in served.folder.iterdir() if f.name.startswith(("decisions", "store")))
    assert written and not [name for name, token in TOKENS.items() if token.encode() in written]


# -- bad input ----------------------------------------------------------------------------------------------

def test_bad_input_is_a_4xx_naming_the_field_and_what_was_expected(served):
    from devrecs.errors import RecordError
    from devrecs.people import person_from_dict
    with pytest.raises(RecordError) as library:
        person_from_dict({"id": "x", "level": "high", "performace": "high"})
    library_messages = sorted(library.value.messages)

    cases = [
        (b'{"person": {"id": ', 422, "body", "invalid JSON"),
        (b'[1, 2]', 422, "body", "expected a JSON object"),
        (b'{"person": {"id": "x"}, "persona": 1}', 422, "persona", "unknown field (did you mean 'person'?)"),
        (b'{"person": "x"}', 422, "person", "valid dictionary"),
        (b'{"person": {"id": "x"}, "as_of": "yesterday"}', 422, "as_of", "date"),
        (b'{"person": {"id": "x"}, "audience": "boss"}', 422, "audience", "'employee', 'manager', 'hr' or 'executive'"),
        (b'{}', 422, "person", "a value is required"),
    ]
    for body, status, field, words in cases:
        got = served.call("POST", "/recommend", content=body, headers={"Content-Type": "application/json"})
        assert got.status_code == status, (body, got.text)
        problems = got.json()["problems"]
        assert any(p["field"] == field and words in p["message"] for p in problems), (body, problems)

    record = served.call("POST", "/recommend", json={"person": {"id": "x", "level": "high", "performace": "high"}})
    assert record.status_code == 422
    assert sorted(f"field '{p['field'][len('person.'):]}': {p['message']}" for p in record.json()["problems"]) == [
        m.replace("is required", "a value is required") for m in library_messages]
    batch = served.call("POST", "/recommend/batch", json={"people": [RECORDS["persona-pip"], {"id": "y", "level": []}]})
    assert batch.status_code == 422 and [p["field"] for p in batch.json()["problems"]] == ["people[1].level"]

    too_many = served.call("POST", "/recommend/batch", json={"people": [{"id": f"p{i}"} for i in range(21)]})
    assert too_many.status_code == 413
    assert too_many.json()["problems"] == [{"field": "people", "message": "expected at most 20 people in one request, "
                                                                          "got 21; send the rest in another request"}]
    huge = served.call("POST", "/recommend", content=b'{"person": {"id": "' + b"x" * 300_000 + b'"}}',
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.json()["problems"][0]["field"] == "body"

    def chunks():
        for _ in range(30):
            yield b" " * 10_000
    streamed = served.call("POST", "/recommend", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    unknown = served.call("POST", "/explain", json={"person": RECORDS["persona-pip"], "intervention": "mentorin"})
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["message"].startswith(
        "unknown intervention 'mentorin' (did you mean 'mentoring'?)")
    assert served.call("POST", "/outcomes", json={"person": "p", "intervention": "mentoring", "outcome": "maybe",
                                                  "by": "x"}).status_code == 422
    blank = served.call("POST", "/outcomes", json={"person": " ", "intervention": "mentoring",
                                                   "outcome": "accepted", "by": "  "})
    assert blank.status_code == 422 and [p["field"] for p in blank.json()["problems"]] == ["person", "by"]
    assert served.call("GET", "/nowhere").status_code == 404
    assert served.call("GET", "/recommend").status_code == 405
    assert "Traceback" not in served.output()
    text = served.call("GET", "/metrics").text
    assert re.search(r"^devrecs_rejects_total [1-9]", text, re.M), text


def test_a_request_that_runs_out_of_time_is_503_and_writes_nothing(served):
    before = len(log_lines(served))
    slow = dict(RECORDS["persona-pip"], id="slow-person", extra={"sleep": 3})
    started = time.monotonic()
    got = served.call("POST", "/recommend", json={"person": slow})
    assert got.status_code == 503, got.text
    assert got.headers["retry-after"] == "1"
    assert time.monotonic() - started < 2.9
    assert "nothing was written" in got.json()["error"]
    time.sleep(2.5)                          # the work finishes in its thread, and is thrown away
    assert len(log_lines(served)) == before
    from devrecs.oversight.store import Store
    with Store(str(served.folder / "store.db")) as store:
        assert "slow-person" not in {subject for subject, _, _ in store.proposals()}
    fast = served.call("POST", "/recommend", json={"person": dict(slow, extra={})})
    assert fast.status_code == 200 and len(log_lines(served)) == before + 1
    assert re.search(r"^devrecs_timeouts_total 1\.0", served.call("GET", "/metrics").text, re.M)


def test_an_outcome_is_recorded_and_answers_the_decision_that_proposed_it(served):
    person = dict(RECORDS["persona-early-career"], id="outcome-person")
    decision = served.call("POST", "/recommend", json={"person": person}).json()
    first = decision["recommendations"][0]
    got = served.call("POST", "/outcomes", who="manager",
                      json={"person": "outcome-person", "intervention": first["intervention"],
                            "outcome": "accepted", "by": "m-1"})
    assert got.status_code == 201, got.text
    assert got.json()["answers_run"] == decision["decision_id"] and got.json()["rules"] == first["rules"]
    # the next decision sees the history: the accepted intervention is in cooldown
    again = served.call("POST", "/recommend", json={"person": person}).json()
    assert first["intervention"] not in [r["intervention"] for r in again["recommendations"]]
    assert served.call("POST", "/outcomes", who="executive", json={
        "person": "outcome-person", "intervention": "mentoring", "outcome": "declined", "by": "x"}).status_code == 403


def _released(served, person: dict, who: str = "hr") -> tuple[dict, int]:
    """A decision for ``person`` (recorded in the store), its first item approved and released as
    `devrecs review` does it; (that item, its proposal id)."""
    from devrecs.oversight.store import Store
    decision = served.call("POST", "/recommend", who=who, json={"person": person}).json()
    first = decision["recommendations"][0]
    with Store(str(served.folder / "store.db")) as store:
        [proposal] = [p for p in store.review_queue(subject=person["id"], intervention=first["intervention"])
                      if p.run_id == decision["decision_id"]]
        store.advance([proposal.id], "approved", "hr-7")
        store.advance([proposal.id], "released", "hr-7")
    return first, proposal.id


def _events(served, proposal: int) -> list[tuple[str, str, str]]:
    from devrecs.oversight.store import Store
    with Store(str(served.folder / "store.db")) as store:
        return [(e.event, e.by, e.reason) for e in store.events(proposal)]


def test_a_person_contests_a_released_item_and_it_is_a_step_of_its_life(served, openapi):
    person = dict(RECORDS["persona-pip"])          # the scoped employee token speaks for persona-pip
    first, proposal = _released(served, person)
    body = {"person": person["id"], "intervention": first["intervention"], "outcome": "contested",
            "by": person["id"], "reason": "my plan  ended in May"}
    got = served.call("POST", "/outcomes", who="scoped-employee", json=body)
    assert got.status_code == 201, got.text
    fits(openapi, "/outcomes", "POST", got)
    answer = got.json()
    assert (answer["outcome"], answer["proposal"], answer["reason"], answer["rules"]) == (
        "contested", proposal, "my plan ended in May", first["rules"])
    assert _events(served, proposal) == [("approved", "hr-7", ""), ("released", "hr-7", ""),
                                         ("contested", person["id"], "my plan ended in May")]
    # its life has ended: a second contest finds nothing open to contest
    again = served.call("POST", "/outcomes", who="scoped-employee", json=body)
    assert again.status_code == 409 and again.json()["problems"][0]["field"] == "intervention"
    fits(openapi, "/outcomes", "POST", again)
    # HR contests for a person too; after an outcome the item can still be contested
    other = dict(RECORDS["persona-early-career"], id="contest-by-hr")
    first, proposal = _released(served, other)
    accepted = served.call("POST", "/outcomes", json={"person": other["id"], "intervention": first["intervention"],
                                                      "outcome": "accepted", "by": other["id"]})
    assert accepted.status_code == 201
    got = served.call("POST", "/outcomes", json={"person": other["id"], "intervention": first["intervention"],
                                                 "outcome": "contested", "by": "hr-7", "reason": "wrong data"})
    assert got.status_code == 201, got.text
    assert [e for e, _, _ in _events(served, proposal)] == ["approved", "released", "accepted", "contested"]


def test_a_contest_over_http_can_flag_a_fact_behind_the_item_as_the_cli_does(served, openapi):
    """The service contests through Store.contest, as `devrecs review contest`: the fact is flagged
    for HR (and only HR sees the mark) until a correction re-runs the person."""
    from devrecs.oversight.store import Store
    person = dict(RECORDS["persona-early-career"], id="contest-a-fact")
    first, proposal = _released(served, person)
    body = {"person": person["id"], "intervention": first["intervention"], "outcome": "contested",
            "by": "hr-7", "reason": "the survey was not mine", "fact": "engagemnt"}
    wrong = served.call("POST", "/outcomes", json=body)
    assert wrong.status_code == 422 and wrong.json()["problems"][0]["field"] == "fact"
    assert "did you mean 'engagement'" in wrong.json()["problems"][0]["message"]
    got = served.call("POST", "/outcomes", json=dict(body, fact="engagement"))
    assert got.status_code == 201, got.text
    fits(openapi, "/outcomes", "POST", got)
    assert (got.json()["fact"], got.json()["proposal"]) == ("engagement", proposal)
    flagged = Store(str(served.folder / "store.db")).contested([person["id"]])[person["id"]]
    assert [(c.fact, c.reason, c.by) for c in flagged] == [("engagement", "the survey was not mine", "hr-7")]
    # a fact goes with contested only
    other = served.call("POST", "/outcomes", json={"person": person["id"], "intervention": first["intervention"],
                                                   "outcome": "accepted", "by": "hr-7", "fact": "engagement"})
    assert other.status_code == 422 and other.json()["problems"][0]["field"] == "fact"


def test_who_may_contest_what(served):
    person = dict(RECORDS["persona-pip"])
    first, proposal = _released(served, person)
    body = {"person": person["id"], "intervention": first["intervention"], "outcome": "contested",
            "by": person["id"], "reason": "not so"}
    for who in ("manager", "executive", "admin", "scoped-manager"):
        assert served.call("POST", "/outcomes", who=who, json=body).status_code == 403, who
    # an employee token with a subject contests only its own items, and only as itself
    wrong_person = served.call("POST", "/outcomes", who="scoped-employee",
                               json=dict(body, person="persona-wellbeing"))
    assert wrong_person.status_code == 403
    as_other = served.call("POST", "/outcomes", who="scoped-employee", json=dict(body, by="hr-7"))
    assert as_other.status_code == 403
    assert as_other.json()["problems"] == [{"field": "by", "message": "expected 'persona-pip'"}]
    # a contest needs a reason (and takes no note); the other outcomes take no reason
    for extra, field in (({"reason": "  "}, "reason"), ({"note": "n"}, "note")):
        got = served.call("POST", "/outcomes", json=dict(body, **extra))
        assert got.status_code == 422 and [p["field"] for p in got.json()["problems"]] == [field], got.text
    got = served.call("POST", "/outcomes", json=dict(body, outcome="accepted"))
    assert got.status_code == 422 and got.json()["problems"][0]["field"] == "reason"
    assert [e for e, _, _ in _events(served, proposal)] == ["approved", "released"]    # nothing was written
    # a proposal nobody released cannot be contested, in the same words as none at all (no oracle)
    unreleased = dict(RECORDS["persona-early-career"], id="never-released")
    decision = served.call("POST", "/recommend", json={"person": unreleased}).json()
    answers = [served.call("POST", "/outcomes", json=dict(body, person=pid, intervention=decision[
        "recommendations"][0]["intervention"])) for pid in ("never-released", "never-recommended")]
    assert [a.status_code for a in answers] == [409, 409]
    assert answers[0].json()["problems"] == answers[1].json()["problems"]
    # and the employee's contest of its own item is taken
    assert served.call("POST", "/outcomes", who="scoped-employee", json=body).status_code == 201


def test_a_manager_records_outcomes_only_of_what_a_manager_may_see(served):
    """wellbeing-referral is hidden from managers: naming it is answered as an unknown id would be."""
    def problem(intervention):
        got = served.call("POST", "/outcomes", who="manager", json={
            "person": "persona-wellbeing", "intervention": intervention, "outcome": "accepted", "by": "m-1"})
        assert got.status_code == 422, got.text
        return got.json()["problems"][0]["message"]
    assert problem("wellbeing-referral") == problem("no-such-item").replace("no-such-item", "wellbeing-referral")
    assert "wellbeing" not in problem("wellbeing-referal").replace("wellbeing-referal", "")
    assert served.call("POST", "/outcomes", json={"person": "persona-wellbeing", "intervention": "wellbeing-referral",
                                                  "outcome": "accepted", "by": "hr-7"}).status_code == 201


def test_metrics_are_prometheus_text(served):
    from prometheus_client.parser import text_string_to_metric_families
    served.call("GET", "/health")
    families = {f.name: f for f in text_string_to_metric_families(served.call("GET", "/metrics").text)}
    assert {"devrecs_requests", "devrecs_request_seconds", "devrecs_rejects", "devrecs_reloads",
            "devrecs_ruleset"} <= set(families)
    assert any(s.labels.get("endpoint") == "/v1/health" for s in families["devrecs_requests"].samples)


# -- reload -------------------------------------------------------------------------------------------------

@pytest.fixture()
def reloadable(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "slow.py").write_text(SLOW_PLUGIN)
    server = Server(tmp_path, "--rules", str(rules), env={"DEVRECS_PLUGINS_DIR": str(plugins)})
    server.rules = rules
    yield server
    server.stop()
    assert "Traceback" not in server.output(), server.output()


def _hash(server: Server) -> str:
    return server.call("GET", "/rules").json()["ruleset_hash"]


def test_a_reload_refuses_rules_that_do_not_validate_and_keeps_serving(reloadable):
    old = _hash(reloadable)
    careers = reloadable.rules / "careers.yaml"
    good = careers.read_text()
    careers.write_text(good.replace("priority: ", "priority: not-a-number #", 1))
    refused = reloadable.call("POST", "/admin/reload", who="admin")
    assert refused.status_code == 422
    doc = reloadable.call("GET", "/openapi.json", who=None).json()
    fits(doc, "/admin/reload", "POST", refused)
    fits(doc, "/ready", "GET", reloadable.call("GET", "/ready"))
    problems = refused.json()["problems"]
    assert problems and all(p["file"].endswith("careers.yaml") and p["line"] > 1 and p["code"] for p in problems)
    assert _hash(reloadable) == old
    assert reloadable.call("POST", "/recommend", json={"person": RECORDS["persona-pip"]}).json()[
        "ruleset_hash"] == old
    shown = reloadable.call("GET", "/ready").json()["refused"]
    assert shown["by"] == "admin" and shown["problems"] == problems
    careers.write_text(good.replace("priority: ", "priority: 1 #", 1))
    done = reloadable.call("POST", "/admin/reload", who="admin")
    assert done.status_code == 200 and done.json()["previous"] == old and done.json()["changed"]
    fits(doc, "/admin/reload", "POST", done)
    assert _hash(reloadable) == done.json()["ruleset_hash"] != old
    assert "refused" not in reloadable.call("GET", "/ready").json()
    metrics = reloadable.call("GET", "/metrics").text
    assert 'devrecs_reloads_total{result="refused"} 1.0' in metrics
    assert 'devrecs_reloads_total{result="ok"} 1.0' in metrics


@pytest.fixture()
def watched(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("tests"))
    server = Server(tmp_path, "--rules", str(rules), "--watch", "--watch-interval", "0.2",
                    env={"DEVRECS_PLUGINS_DIR": ""})
    server.rules = rules
    yield server
    server.stop()
    assert "Traceback" not in server.output(), server.output()


def _until(check, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("not within the time")


def test_watch_refuses_a_rule_file_that_does_not_validate_and_takes_the_good_one(watched):
    doc = watched.call("GET", "/openapi.json", who=None).json()
    old = _hash(watched)
    assert "refused" not in watched.call("GET", "/ready").json()
    careers = watched.rules / "careers.yaml"
    good = careers.read_text()
    careers.write_text(good.replace("priority: ", "priority: not-a-number #", 1))
    ready = _until(lambda: watched.call("GET", "/ready").json().get("refused") and watched.call("GET", "/ready"))
    fits(doc, "/ready", "GET", ready)
    refused = ready.json()["refused"]
    assert refused["by"] == "watch" and ready.json()["ruleset_hash"] == old
    problems = refused["problems"]
    assert problems and all(p["file"].endswith("careers.yaml") and p["line"] > 1 and p["code"] for p in problems)
    rules = watched.call("GET", "/rules")
    fits(doc, "/rules", "GET", rules)
    assert rules.json()["refused"] == refused and rules.json()["ruleset_hash"] == old
    # the server log names the file, line, column and code, as `devrecs validate` does
    p = problems[0]
    assert "reload (watch) refused, still serving " + old in watched.output()
    assert f"{p['file']}:{p['line']}:{p['col']}: {p['code']} " in watched.output()
    assert watched.call("POST", "/recommend", json={"person": RECORDS["persona-pip"]}).json()["ruleset_hash"] == old
    time.sleep(1.0)                      # the same bad files are not tried again
    assert watched.output().count("reload (watch) refused") == 1
    careers.write_text(good.replace("priority: ", "priority: 1 #", 1))
    new = _until(lambda: (h := _hash(watched)) != old and h)
    ready = watched.call("GET", "/ready")
    fits(doc, "/ready", "GET", ready)
    assert ready.json() == {"status": "ready", "ruleset_hash": new}
    assert watched.call("GET", "/rules").json()["refused"] is None
    assert watched.call("POST", "/recommend", json={"person": RECORDS["persona-pip"]}).json()["ruleset_hash"] == new
    # a rule file removed from a watched folder is a change too
    (watched.rules / "careers.yaml").unlink()
    third = _until(lambda: (h := _hash(watched)) not in (old, new) and h)
    # a file written in two steps (a broken first half, then the whole) is taken once it holds still:
    # the broken state lasted less than a poll, so it is never tried
    skills = watched.rules / "skills.yaml"
    whole = skills.read_text().replace("priority: ", "priority: 2 #", 1)
    skills.write_text(whole[:len(whole) // 2] + "\n  - [unclosed\n")
    skills.write_text(whole)
    assert _until(lambda: (h := _hash(watched)) != third and h)
    metrics = watched.call("GET", "/metrics").text
    assert 'devrecs_reloads_total{result="refused"} 1.0' in metrics
    assert 'devrecs_reloads_total{result="ok"} 3.0' in metrics
    assert watched.output().count("reload (watch) refused") == 1


def test_the_watch_reloads_once_the_files_hold_still_and_not_again(tmp_path):
    """RuleWatch alone, with a stand-in service: a file that keeps changing is not taken until a
    poll finds it as the one before did; then it is reloaded once."""
    import asyncio

    from devrecs.service import RuleWatch
    rule = tmp_path / "pack.yaml"
    rule.write_text("x")

    class Rules:
        paths, files, ruleset_hash = [str(tmp_path)], (), "h"

    class Stand_in:
        engine, reloads = Rules(), []

        def reload(self, by):
            self.reloads.append(by)
            return "h", "h"

    service, lines = Stand_in(), []
    watch = RuleWatch(service, lines.append, interval=0.2)
    assert watch.watched() == [tmp_path] and watch.fingerprint()[0][0] == str(rule)

    async def scenario():
        task = asyncio.ensure_future(watch.run())
        await asyncio.sleep(0.5)
        for i in range(40):                  # a change every 0.02 s for 0.8 s: never still for a poll
            rule.write_text("x" * (i + 2))
            await asyncio.sleep(0.02)
        during = list(service.reloads)
        await asyncio.sleep(1.5)
        after = list(service.reloads)
        (tmp_path / "notes.txt").write_text("not a rule file")
        await asyncio.sleep(1.0)
        task.cancel()
        return during, after, list(service.reloads)

    during, after, last = asyncio.run(scenario())
    assert (during, after, last) == ([], ["watch"], ["watch"])
    assert lines == ["devrecs serve: reloaded rules (watch) h -> h"]


def test_a_request_in_flight_during_a_reload_finishes_on_the_rules_it_began_with(reloadable):
    old = _hash(reloadable)
    careers = reloadable.rules / "careers.yaml"
    careers.write_text(careers.read_text().replace("priority: ", "priority: 3 #", 1))
    slow = dict(RECORDS["persona-deep-expert"], extra={"sleep": 2})
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(reloadable.call, "POST", "/recommend", json={"person": slow})
        time.sleep(0.5)                      # it has begun (it sleeps while being prepared)
        done = reloadable.call("POST", "/admin/reload", who="admin")
        assert done.status_code == 200 and done.json()["changed"]
        after = reloadable.call("POST", "/recommend", json={"person": RECORDS["persona-deep-expert"]})
        assert after.json()["ruleset_hash"] == done.json()["ruleset_hash"] != old
        answer = in_flight.result()
    assert answer.status_code == 200 and answer.json()["ruleset_hash"] == old


def test_sighup_reloads_and_requests_in_flight_all_succeed(reloadable):
    old = _hash(reloadable)
    careers = reloadable.rules / "careers.yaml"
    careers.write_text(careers.read_text().replace("priority: ", "priority: 2 #", 1))
    stop = threading.Event()

    def hammer() -> list[tuple[int, str]]:
        out = []
        with httpx.Client(base_url=reloadable.url, timeout=60) as client:
            while not stop.is_set():
                got = client.post("/v1/recommend", json={"person": RECORDS["persona-deep-expert"]},
                                  headers={"Authorization": f"Bearer {TOKENS['hr']}"})
                out.append((got.status_code, got.json().get("ruleset_hash", "")))
        return out

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(hammer) for _ in range(4)]
        time.sleep(0.5)
        reloadable.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 60
        while _hash(reloadable) == old and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        stop.set()
        answers = [a for r in running for a in r.result()]
    new = _hash(reloadable)
    assert new != old
    assert {status for status, _ in answers} == {200}
    assert {h for _, h in answers} == {old, new}
    assert "reloaded rules" in reloadable.output()


def test_sigterm_answers_the_requests_in_flight_and_stops_cleanly(reloadable):
    slow = dict(RECORDS["persona-deep-expert"], extra={"sleep": 1.5})
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(reloadable.call, "POST", "/recommend", json={"person": slow})
        time.sleep(0.5)
        reloadable.proc.send_signal(signal.SIGTERM)
        answer = in_flight.result()
    assert answer.status_code == 200, answer.text
    assert reloadable.proc.wait(30) == 0
    _until(lambda: "devrecs serve: stopped" in reloadable.output(), 10)
    out = reloadable.output()
    assert "devrecs serve: stopped (SIGTERM) after answering the requests in flight" in out
    assert "interrupted" not in out


# -- the command ------------------------------------------------------------------------------------------

def test_devrecs_help_does_not_import_the_web_framework():
    code = ("import sys; from devrecs.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('fastapi', 'uvicorn', 'starlette', 'devrecs.service') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "serve" in out and out.strip().splitlines()[-1] == "[]"


def test_a_token_file_holding_a_plain_token_is_refused(tmp_path):
    from devrecs.errors import DevrecsError
    from devrecs.service import Tokens
    path = tmp_path / "tokens.yaml"
    path.write_text("tokens:\n  - {name: portal, sha256: my-secret-token, audience: hr}\n"
                    "  - {name: ops, sha256: " + "a" * 64 + ", audience: boss}\n")
    with pytest.raises(DevrecsError) as err:
        Tokens.load(str(path))
    text = str(err.value)
    assert "tokens[0].sha256: expected the token's SHA-256" in text
    assert "tokens[1].audience: 'boss' is not an audience" in text


# -- anything a client may send ------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False) |
    st.text(max_size=12) | st.sampled_from(["high", "low", "pip", "2026-01-01", "early", "manager"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
_fields = st.sampled_from(sorted({path.split(".")[0] for path in PERSON_FACTS} | {"id", "extra", "history", "x"}))
_records = st.dictionaries(_fields, _json_values, max_size=6).map(lambda d: {"id": "fuzz", **d})
_bodies = st.one_of(
    st.fixed_dictionaries({"person": _records}),
    st.fixed_dictionaries({"people": st.lists(_records, min_size=1, max_size=3)}),
    st.dictionaries(st.sampled_from(["person", "people", "audience", "as_of", "intervention", "extra"]),
                    _json_values, max_size=3),
    _json_values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/recommend", "/recommend/batch", "/explain", "/outcomes"]), body=_bodies)
def test_any_json_a_client_sends_is_answered_200_or_4xx_in_the_error_shape(served, path, body):
    got = served.call("POST", path, json=body)
    assert got.status_code in (200, 201, 403, 413, 422), (got.status_code, got.text)
    if got.status_code >= 400:
        answer = got.json()
        assert set(answer) == {"error", "problems"} and all(
            set(p) == {"field", "message"} and p["message"] for p in answer["problems"]), answer


def test_json_nested_too_deeply_is_a_400_naming_the_body(served):
    body = b'{"person": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    got = served.call("POST", "/recommend", content=body, headers={"Content-Type": "application/json"})
    assert got.status_code == 400, got.text
    assert got.json()["problems"][0]["field"] == "body"


def test_the_service_uses_only_the_application_layer():
    import ast
    tree = ast.parse((ROOT / "src" / "devrecs" / "service.py").read_text())
    inside = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    # the application layer, the intake, store and decision log; error types, the model (plain, for a
    # fact value that is a record, as the CLI writes it) and the audiences' names
    assert inside <= {"app", "intake.pipeline", "oversight.store", "oversight.decisionlog", "errors", "model",
                      "audience"}, inside
    from typing import get_args

    from devrecs import service
    from devrecs.audience import AUDIENCES
    from devrecs.oversight.store import EVENTS, NEEDS_REASON, OUTCOMES
    assert get_args(service.AudienceName) == AUDIENCES
    assert get_args(service.OutcomeRequest.model_fields["outcome"].annotation) == (*OUTCOMES, "contested")
    assert service.CONTESTED in EVENTS and service.CONTESTED in NEEDS_REASON


def test_the_wheel_ships_the_command_line_and_the_service(tmp_path):
    """A plain `pip install .` gives a working `devrecs serve` (devrecs.cli was missing from the wheel)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    import zipfile
    (wheel,) = tmp_path.glob("devrecs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"devrecs/cli/__init__.py", "devrecs/cli/serve.py", "devrecs/service.py"} <= names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Provides-Extra: serve" in text and re.search(r"Requires-Dist: fastapi.*extra == .serve.", text)


def test_serve_without_the_extra_says_how_to_install_it():
    code = ("import sys; sys.modules['fastapi'] = None\n"
            "from devrecs.cli import cli\ncli(['serve', '--tokens', 'tokens.yaml'], prog_name='devrecs')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert 'devrecs serve needs the serve extra (fastapi is missing): pip install "devrecs[serve]"' in done.stderr
