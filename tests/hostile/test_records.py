"""Hostile records in a batch: one bad record is one reject, and the batch goes on.

Whatever is wrong with a record (JSON that does not parse, values nested thousands deep,
a key given twice, wrong types, huge text, an id seen before, an engine failure), that
record is rejected with its label and the reason, every other record gets exactly what it
gets when run alone, and ``read = accepted + rejected``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from devrecs.batch.runner import BatchOptions, run_batch
from devrecs.errors import DevrecsError
from devrecs.intake.peoplefile import read_people_file

AS_OF = dt.date(2026, 1, 1)

RULES = """\
ruleset: hostile-records
version: 1
rules:
  - id: risk-talk
    title: Talk about the future
    when: {flight_risk: high}
    recommend: [career-conversation]
    priority: 80
    rationale: High flight risk.
  - id: strong-mentor
    title: Mentor others
    when: {all: [{performance: high}, {level: {ge: 5}}]}
    recommend: [mentor-others]
    priority: 60
    rationale: Strong and senior.
  - id: low-engagement
    title: Coaching
    when: {any: [{engagement: low}, {performance: low}]}
    recommend: [coaching]
    priority: 50
    rationale: Low engagement or performance.
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> str:
    f = tmp_path_factory.mktemp("rules") / "rules.yaml"
    f.write_text(RULES, encoding="utf-8")
    return str(f)


def run(path: Path, rules: str, tmp_path: Path) -> tuple:
    """(stats, output rows by person, rejects by record label)."""
    out, err = io.StringIO(), io.StringIO()
    rejects = tmp_path / f"{path.name}.rejects.jsonl"
    stats = run_batch(BatchOptions(source=str(path), rules=(rules,), as_of=AS_OF, rejects=str(rejects)),
                      stdout=out, stderr=err)
    rows = {}
    for line in out.getvalue().splitlines():
        row = json.loads(line)
        rows[row["person"]] = row
    rejected = {}
    for line in rejects.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        rejected[r["record"]] = r
    return stats, rows, rejected


def deep(n: int) -> str:
    return "[" * n + "]" * n


# -- one record at a time ---------------------------------------------------------------------

def test_a_deeply_nested_jsonl_record_is_one_reject(tmp_path, rules):
    f = tmp_path / "people.jsonl"
    f.write_text('{"id": "a", "flight_risk": "high"}\n'
                 '{"id": "b", "extra": {"x": ' + deep(5000) + '}}\n'
                 '{"id": "c", "extra": {"x": ' + deep(40) + '}}\n'
                 '{"id": "d", "flight_risk": "high"}\n', encoding="utf-8")
    stats, rows, rejected = run(f, rules, tmp_path)
    assert (stats.read, stats.accepted, stats.rejected) == (4, 2, 2)
    assert set(rows) == {"a", "d"}
    assert "nested deeper than 32 levels" in rejected[f"{f} line 2"]["reason"]
    assert rejected[f"{f} line 3"]["field"] == "extra.x" + "[0]" * 30
    assert "nested deeper than 32 levels" in rejected[f"{f} line 3"]["reason"]


def test_a_deeply_nested_record_in_a_json_array_is_one_reject(tmp_path, rules):
    f = tmp_path / "people.json"
    f.write_text('[{"id": "a", "flight_risk": "high"}, {"id": "b", "extra": {"x": ' + deep(5000) + '}},'
                 ' {"id": "c", "flight_risk": "high"}]', encoding="utf-8")
    stats, rows, rejected = run(f, rules, tmp_path)
    assert (stats.read, stats.accepted, stats.rejected) == (3, 2, 1)
    assert set(rows) == {"a", "c"} and "nested deeper" in rejected[f"{f} record 2"]["reason"]


def test_a_deeply_nested_yaml_record_is_one_reject(tmp_path, rules):
    f = tmp_path / "people.yaml"
    f.write_text("- {id: a, flight_risk: high}\n- {id: b, extra: {x: " + deep(800) + "}}\n"
                 "- {id: c, flight_risk: high}\n", encoding="utf-8")
    stats, rows, rejected = run(f, rules, tmp_path)
    assert (stats.read, stats.accepted, stats.rejected) == (3, 2, 1)
    assert set(rows) == {"a", "c"}
    assert "nest deeper than 100 levels" in rejected[f"{f} record 2"]["reason"]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "yaml"])
def test_a_key_given_twice_in_a_record_is_rejected_with_the_field(tmp_path, rules, fmt):
    """Two wellbeing_concern keys quietly became the last one."""
    good = {"id": "a", "flight_risk": "high"}
    twice = '{"id": "b", "wellbeing_concern": true, "flight_risk": "high", "wellbeing_concern": false}'
    f = tmp_path / f"people.{fmt}"
    if fmt == "jsonl":
        f.write_text(json.dumps(good) + "\n" + twice + "\n", encoding="utf-8")
        label = f"{f} line 2"
    elif fmt == "json":
        f.write_text("[" + json.dumps(good) + ", " + twice + "]", encoding="utf-8")
        label = f"{f} record 2"
    else:
        f.write_text("- " + json.dumps(good) + "\n- " + twice + "\n", encoding="utf-8")
        label = f"{f} record 2"
    stats, rows, rejected = run(f, rules, tmp_path)
    assert (stats.read, stats.accepted, stats.rejected) == (2, 1, 1)
    assert set(rows) == {"a"}
    assert rejected[label]["field"] == "wellbeing_concern"
    assert rejected[label]["id"] in ("b", None)


def test_a_key_given_twice_inside_extra_names_the_nested_field(tmp_path, rules):
    f = tmp_path / "people.jsonl"
    f.write_text('{"id": "a", "extra": {"dept": "x", "dept": "y"}}\n', encoding="utf-8")
    stats, _, rejected = run(f, rules, tmp_path)
    assert stats.rejected == 1 and rejected[f"{f} line 1"]["field"] == "extra.dept"


def test_a_key_given_twice_in_a_jsonl_people_file_is_refused_with_the_field(tmp_path):
    f = tmp_path / "people.jsonl"
    f.write_text('{"id": "a", "wellbeing_concern": true, "wellbeing_concern": false}\n', encoding="utf-8")
    with pytest.raises(DevrecsError, match=r"line 1 \(id 'a'\), field 'wellbeing_concern': the key "
                                           r"'wellbeing_concern' appears more than once"):
        list(read_people_file(f).people())


def test_a_deep_record_in_a_jsonl_people_file_is_refused_not_a_recursion_error(tmp_path):
    f = tmp_path / "people.jsonl"
    f.write_text('{"id": "a", "extra": {"x": ' + deep(5000) + '}}\n', encoding="utf-8")
    # read as text and refused (Python's JSON reader stops first before 3.13), or read and then
    # refused with the field: either way the record alone, with the limit
    with pytest.raises(DevrecsError, match=r"people.jsonl line 1[ ,].*nested deeper than 32 levels"):
        read_people_file(f).people()


def test_an_engine_failure_on_one_person_rejects_that_person_alone(tmp_path, rules, monkeypatch):
    from devrecs import Engine
    real = Engine.recommend_many

    def fussy(self, people, *a, **kw):
        people = list(people)
        if any(getattr(p, "id", None) == "boom" for p in people):
            raise RuntimeError("the matching engine failed")
        return real(self, people, *a, **kw)

    monkeypatch.setattr(Engine, "recommend_many", fussy)
    f = tmp_path / "people.jsonl"
    f.write_text('{"id": "a", "flight_risk": "high"}\n{"id": "boom"}\n{"id": "c", "performance": "low"}\n',
                 encoding="utf-8")
    stats, rows, rejected = run(f, rules, tmp_path)
    assert (stats.read, stats.accepted, stats.rejected) == (3, 2, 1)
    assert set(rows) == {"a", "c"}
    assert rejected[f"{f} line 2"]["id"] == "boom"
    assert "matching engine failed on this record (RuntimeError)" in rejected[f"{f} line 2"]["reason"]


# -- hostile streams: the accounting, and every good record as if alone -----------------------

RATINGS = ("low", "medium", "high")

good_facts = st.fixed_dictionaries({}, optional={
    "flight_risk": st.sampled_from(RATINGS), "performance": st.sampled_from(RATINGS),
    "engagement": st.sampled_from(RATINGS), "level": st.integers(1, 9),
    "extra": st.dictionaries(st.sampled_from(["dept", "site"]), st.text("abc", max_size=3), max_size=2)})

# (kind, payload): "good" facts get an id; the others are written as given
hostile_json = st.one_of(
    st.tuples(st.just("good"), good_facts),
    st.tuples(st.just("bad-json"), st.sampled_from(['{"id": "x", ', "not json", '{"id": "x"} trailing',
                                                    '{"id": "x", "level": }'])),
    st.tuples(st.just("not-object"), st.sampled_from(["[1, 2]", '"text"', "42", "null"])),
    st.tuples(st.just("deep"), st.sampled_from([33, 200, 999, 5000])),
    st.tuples(st.just("wrong-type"), st.sampled_from(['{"id": "w", "level": "high"}', '{"id": 5, "flight_risk": 3}',
                                                      '{"id": "w", "performance": ["high"]}',
                                                      '{"id": {"nested": 1}}', '{"id": "w", "extra": 7}'])),
    st.tuples(st.just("huge"), st.integers(10_000, 200_000)),
    st.tuples(st.just("twice"), st.sampled_from(["wellbeing_concern", "id", "flight_risk"])),
    st.tuples(st.just("again"), st.integers(0, 50)),
)

ALWAYS_REJECTED = {"bad-json", "not-object", "deep", "wrong-type", "twice", "again"}


def _json_lines(items: list) -> tuple[list[str], dict[int, str], dict[int, dict]]:
    """The lines of a JSONL stream, each line's kind, and the good records by line."""
    lines, kinds, goods, ids = [], {}, {}, []
    for kind, payload in items:
        n = len(lines) + 1
        if kind == "good":
            record = {"id": f"p{n}", **payload}
            ids.append(record["id"])
            goods[n] = record
            text = json.dumps(record)
        elif kind in ("bad-json", "not-object", "wrong-type"):
            text = payload
        elif kind == "deep":
            text = '{"id": "d%d", "extra": {"x": %s}}' % (n, deep(payload))
        elif kind == "huge":
            text = json.dumps({"id": f"h{n}", "name": "x" * payload, "extra": {"note": "y" * payload}})
        elif kind == "twice":
            text = '{"id": "t%d", "%s": "a", "%s": "b"}' % (n, payload, payload)
        else:   # an id seen before, when there is one
            if not ids:
                kind, text = "bad-json", "not json"
            else:
                text = json.dumps({"id": ids[payload % len(ids)], "flight_risk": "high"})
        kinds[n] = kind
        lines.append(text)
    return lines, kinds, goods


def _alone(record: dict, rules: str, tmp_path: Path) -> dict:
    f = tmp_path / "alone.jsonl"
    f.write_text(json.dumps(record) + "\n", encoding="utf-8")
    stats, rows, _ = run(f, rules, tmp_path)
    assert (stats.read, stats.accepted) == (1, 1)
    return rows[record["id"]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(hostile_json, min_size=1, max_size=12))
def test_a_hostile_jsonl_stream_loses_nothing_and_changes_no_good_record(tmp_path, rules, items):
    lines, kinds, goods = _json_lines(items)
    f = tmp_path / "hostile.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stats, rows, rejected = run(f, rules, tmp_path)
    assert stats.read == len(lines) == stats.accepted + stats.rejected
    assert stats.rejected == len(rejected) and stats.accepted == len(rows)
    for n, kind in kinds.items():
        label = f"{f} line {n}"
        if kind in ALWAYS_REJECTED:
            assert label in rejected, (kind, lines[n - 1][:100])
            assert rejected[label]["reason"]
        if kind == "twice":
            assert rejected[label]["field"] in (items[n - 1][1], None) and "more than once" in \
                rejected[label]["reason"]
    for n, record in goods.items():
        assert f"{f} line {n}" not in rejected
        assert rows[record["id"]] == _alone(record, rules, tmp_path)


hostile_csv = st.one_of(
    st.tuples(st.just("good"), st.tuples(st.sampled_from(RATINGS + ("",)), st.sampled_from(RATINGS + ("",)),
                                         st.sampled_from(["", "1", "5", "9"]))),
    st.tuples(st.just("wrong-type"), st.sampled_from([("high", "high", "senior"), ("3", "", ""),
                                                      ("very", "", "2")])),
    st.tuples(st.just("short"), st.just(None)),
    st.tuples(st.just("long"), st.just(None)),
    st.tuples(st.just("bytes"), st.just(None)),
    st.tuples(st.just("huge"), st.integers(10_000, 200_000)),
    st.tuples(st.just("again"), st.integers(0, 50)),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(hostile_csv, min_size=1, max_size=12))
def test_a_hostile_csv_stream_loses_nothing_and_changes_no_good_record(tmp_path, rules, items):
    header = b"id,flight_risk,performance,level\r\n"
    rows_out, kinds, goods, ids = [], {}, {}, []
    for kind, payload in items:
        n = len(rows_out) + 2            # the header is row 1
        pid = f"p{n}"
        if kind == "good":
            fr, perf, level = payload
            record = {"id": pid, **{k: v for k, v in (("flight_risk", fr), ("performance", perf),
                                                      ("level", level)) if v}}
            if "level" in record:
                record["level"] = int(record["level"])
            goods[n] = record
            ids.append(pid)
            line = f"{pid},{fr},{perf},{level}".encode()
        elif kind == "wrong-type":
            line = (f"{pid}," + ",".join(payload)).encode()
        elif kind == "short":
            line = f"{pid},high".encode()
        elif kind == "long":
            line = f"{pid},high,high,5,extra".encode()
        elif kind == "bytes":
            line = f"{pid},hi".encode() + b"\xff\xfe" + b",high,5"
        elif kind == "huge":
            line = f"{pid},high,high,{'9' * payload}".encode()
        else:
            if not ids:
                kind, line = "short", f"{pid},high".encode()
            else:
                line = f"{ids[payload % len(ids)]},high,,".encode()
        kinds[n] = kind
        rows_out.append(line)
    f = tmp_path / "hostile.csv"
    f.write_bytes(header + b"\r\n".join(rows_out) + b"\r\n")
    stats, rows, rejected = run(f, rules, tmp_path)
    assert stats.read == len(rows_out) == stats.accepted + stats.rejected
    assert stats.rejected == len(rejected) and stats.accepted == len(rows)
    for n, kind in kinds.items():
        if kind in ("wrong-type", "short", "long", "bytes", "again", "huge"):
            assert f"{f} row {n}" in rejected, kind
    for n, record in goods.items():
        assert f"{f} row {n}" not in rejected
        assert rows[record["id"]] == _alone(record, rules, tmp_path)
