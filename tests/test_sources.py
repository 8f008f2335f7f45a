"""Data sources (CSV, JSON Lines, JSON, YAML, SQL) and mapping files."""

from __future__ import annotations

import decimal
import json
import tracemalloc

import pytest
import sqlalchemy as sa
from databases import database_url, fill, postgres_url  # noqa: F401  (fixtures)

from devrecs.errors import RecordError
from devrecs.intake import sources
from devrecs.intake.mapping import MappingError, identity, load_mapping
from devrecs.intake.sources import RecordLabel, SourceError, Unreadable
from devrecs.intake.sources.files import JsonSource
from devrecs.people import person_from_dict


def records(path, name=None, **options):
    return [(str(label), raw if not isinstance(raw, Unreadable) else ("unreadable", raw.field, raw.reason))
            for label, raw in sources.open_source(str(path), name, **options)]


# -- CSV -------------------------------------------------------------------------------

def test_csv_with_bom_and_crlf_reads_like_plain_lf(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(b"\xef\xbb\xbfid,performance\r\np1,high\r\n\r\np2,\"lo\r\nw\"\r\n")
    b.write_bytes(b"id,performance\np1,high\n\np2,\"lo\nw\"\n")
    got_a, got_b = records(a), records(b)
    assert [r for _, r in got_a] == [{"id": "p1", "performance": "high"}, {"id": "p2", "performance": "lo\r\nw"}]
    assert [r for _, r in got_b] == [{"id": "p1", "performance": "high"}, {"id": "p2", "performance": "lo\nw"}]
    # rows are numbered as a spreadsheet does: header row 1, a record by the line it starts on
    assert [label for label, _ in got_a] == [f"{a} row 2", f"{a} row 4"]


def test_csv_bad_rows_are_unreadable_and_the_rest_go_on(tmp_path):
    f = tmp_path / "p.csv"
    f.write_bytes(b"id,performance,level\np1,high,3\np2,low\np3,hi\xe9gh,2\np4,low,1,extra\np5,low,2\np6,\"x\n")
    got = records(f)
    assert got[0] == (f"{f} row 2", {"id": "p1", "performance": "high", "level": "3"})
    assert got[1][1][0] == "unreadable" and "has 2 values but the header has 3 columns" in got[1][1][2]
    assert got[2] == (f"{f} row 4", ("unreadable", "performance", "not UTF-8 text (byte 0xe9 at character 3)"))
    assert "has 4 values" in got[3][1][2]
    assert got[4] == (f"{f} row 6", {"id": "p5", "performance": "low", "level": "2"})
    assert got[5] == (f"{f} row 7", ("unreadable", "", "not valid CSV (unexpected end of data)"))
    assert len(got) == 6


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"id,level,id\n1,2,3\n", "column 'id' appears twice"),
    (b"id,,level\n", "column 2 has no name"),
    (b"id,lev\xffel\n", "the header is not UTF-8"),
])
def test_csv_header_problems_are_configuration_errors(tmp_path, content, message):
    f = tmp_path / "p.csv"
    f.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        records(f)


def test_csv_streams_in_constant_memory(tmp_path):
    def peak(rows: int) -> int:
        f = tmp_path / f"p{rows}.csv"
        with open(f, "w") as out:
            out.write("id,performance,level,notes\n")
            for i in range(rows):
                out.write(f"p{i},high,{i % 7},some words about person {i}\n")
        tracemalloc.start()
        n = sum(1 for _ in sources.open_source(str(f)))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert n == rows
        return top

    small, large = peak(2_000), peak(40_000)
    assert large < small * 1.5 + 50_000


# -- JSON Lines, JSON, YAML ---------------------------------------------------------------

def test_jsonl_reports_each_bad_line_and_goes_on(tmp_path):
    f = tmp_path / "p.jsonl"
    f.write_bytes(b'\xef\xbb\xbf{"id": "a"}\n\n{"id": "b", "perf\n\xff\xfe\n[1, 2]\n{"id": "c"}\r\n')
    got = records(f)
    assert got[0] == (f"{f} line 1", {"id": "a"})
    assert got[1][0] == f"{f} line 3" and "not valid JSON" in got[1][1][2] and "truncated line?" in got[1][1][2]
    assert got[2] == (f"{f} line 4", ("unreadable", "", "not UTF-8 text (byte 0xff at byte 1)"))
    assert got[3][1][2] == "expected a JSON object of facts, got list"
    assert got[4] == (f"{f} line 6", {"id": "c"})


@pytest.mark.parametrize("chunk", [3, 7, 64, 1 << 16])
def test_json_array_streams_across_any_buffer_size(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(JsonSource, "CHUNK", chunk)
    people = [{"id": f"p{i}", "level": i, "name": "Ada \u00e9 " * (i % 3), "gaps": [{"skill": "x"}]}
              for i in range(25)]
    f = tmp_path / "p.json"
    f.write_text(" \n" + json.dumps(people, indent=1 if chunk % 2 else None) + "\n", encoding="utf-8")
    got = records(f)
    assert [r for _, r in got] == people
    assert got[3][0] == f"{f} record 4"


def test_json_truncated_file_and_object_form(tmp_path):
    f = tmp_path / "t.json"
    f.write_text('[{"id": "a"}, {"id": "b", "lev')
    got = records(f)
    assert got[0] == (f"{f} record 1", {"id": "a"})
    assert got[1][1][0] == "unreadable" and "truncated file?" in got[1][1][2] and len(got) == 2
    g = tmp_path / "o.json"
    g.write_text('{"as_of": "2026-06-30", "people": [{"id": "a"}, 3]}')
    src = sources.open_source(str(g))
    got = list(src)
    assert got[0][1] == {"id": "a"} and isinstance(got[1][1], Unreadable)
    assert str(src.as_of) == "2026-06-30"


def test_yaml_streams_people_with_as_of_and_goes_past_a_bad_item(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("as_of: '2026-06-30'\npeople:\n  - id: a\n  - {id: b, d: 2025-13-01}\n  - [1]\n  - id: c\n")
    src = sources.open_source(str(f))
    got = [(str(label), raw) for label, raw in src]
    assert str(src.as_of) == "2026-06-30"
    assert got[0] == (f"{f} record 1", {"id": "a"})
    assert isinstance(got[1][1], Unreadable) and "write dates as 'YYYY-MM-DD'" in got[1][1].reason
    assert got[2][1].reason == "expected a mapping of facts, got list"
    assert got[3] == (f"{f} record 4", {"id": "c"})
    bad = tmp_path / "bad.yml"
    bad.write_text("- id: a\n- id: b\n  level: [1\n- id: c\n")
    got = records(bad)
    assert got[0][1] == {"id": "a"} and got[1][1][0] == "unreadable" and "not valid YAML" in got[1][1][2]


# -- the registry -------------------------------------------------------------------------

def test_sources_are_chosen_by_extension_url_or_name(tmp_path):
    assert sources.name_for("people.CSV") == "csv"
    assert sources.name_for("x/people.jsonl") == "jsonl"
    assert sources.name_for("people.yml") == "yaml"
    assert sources.name_for("postgresql+psycopg://u@h:5432/db") == "sql"
    assert sources.name_for("sqlite:///people.db") == "sql"
    with pytest.raises(SourceError, match="no source reads files ending '.txt'"):
        sources.name_for("people.txt")
    f = tmp_path / "people.txt"
    f.write_text("id\np1\n")
    assert records(f, "csv") == [(f"{f} row 2", {"id": "p1"})]
    with pytest.raises(SourceError, match="unknown source 'csvv' \\(did you mean 'csv'\\?\\)"):
        sources.open_source(str(f), "csvv")
    with pytest.raises(SourceError, match="--table only applies to a database source"):
        sources.open_source(str(f), "csv", table="people")
    with pytest.raises(SourceError, match="no such file"):
        sources.open_source(str(tmp_path / "missing.csv"))


def test_a_registered_source_is_used_like_the_built_ins():
    class Numbers:
        extensions = (".numbers",)

        def __init__(self, location, **options):
            self.location = location

        def __iter__(self):
            for i in range(3):
                yield RecordLabel(self.location, i + 1, "item"), {"id": f"n{i}"}

    registry = dict(sources.builtin_sources(), numbers=Numbers)
    assert "numbers" not in sources.builtin_sources()      # registries are per engine, never process-wide
    found = [(str(label), raw) for label, raw in sources.open_source("x.numbers", registry=registry)]
    assert found == [("x.numbers item 1", {"id": "n0"}), ("x.numbers item 2", {"id": "n1"}),
                     ("x.numbers item 3", {"id": "n2"})]


def test_builtins_register_through_a_plain_callback():
    seen = {}
    sources.register_builtin_sources(lambda name, factory: seen.setdefault(name, factory))
    assert sorted(seen) == ["csv", "json", "jsonl", "parquet", "sql", "yaml"]


def test_record_labels_survive_pickling():
    import pickle
    label = pickle.loads(pickle.dumps(RecordLabel("p.csv", 12)))
    assert label == "p.csv row 12" and label.source == "p.csv" and label.row == 12


# -- SQL ------------------------------------------------------------------------------------

def test_sql_table_and_query(database_url):  # noqa: F811
    fill(database_url, "people", [{"id": "a", "level": decimal.Decimal("3"), "compa": decimal.Decimal("0.85")},
                                  {"id": "b", "level": decimal.Decimal("2"), "compa": None}],
         types={"level": sa.Numeric(10, 0), "compa": sa.Numeric(5, 2)})
    got = records(database_url, table="people")
    assert sorted((r["id"], r["level"], r["compa"]) for _, r in got) == [
        ("a", 3, 0.85), ("b", 2, None)]
    assert all(type(r["level"]) is int for _, r in got)
    got = records(database_url, query="SELECT id FROM people ORDER BY id DESC")
    assert got == [("query row 1", {"id": "b"}), ("query row 2", {"id": "a"})]


def test_sql_errors_are_one_line(database_url):  # noqa: F811
    fill(database_url, "people", [{"id": "a"}])
    with pytest.raises(SourceError, match="no table 'peple' \\(did you mean 'people'\\?\\)"):
        records(database_url, table="peple")
    with pytest.raises(SourceError) as exc:
        records(database_url, query="SELECT nope FROM people")
    assert "nope" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(SourceError, match="give --table NAME or --query"):
        records(database_url)
    with pytest.raises(SourceError, match="unknown database kind"):
        sources.open_source("nosuchdb://x/y", table="t")


# -- mapping files ----------------------------------------------------------------------------

MAPPING = """\
id: "e-{Number}"
facts:
  track:
    column: Role
    map: {Manager: manager, Director: manager}
    default: individual_contributor
  level: Grade
  performance: {column: Rating, map: {1: low, 2: low, 3: medium, 4: high}}
  engagement:
    mean: [Involvement, Satisfaction]
    buckets: [{le: 2, value: low}, {lt: 3, value: medium}, {value: high}]
  flight_risk:
    cases:
      - when: {Left: "Yes"}
        value: high
      - when: {Overtime: "Yes", Satisfaction: {le: 2}}
        value: medium
      - value: low
  months_in_role: {column: YearsInRole, scale: 12}
  compa_ratio:
    column: Pay
    divide_by: {column: Grade, map: {1: 1000, 2: 2000}}
    round: 2
  interests: {column: Interests, split: ";", map: {PM: project-management}}
  pipeline.status: {value: none}
  gaps:
    items:
      - {skill: {value: communication}, severity: {column: CommGap, map: {1: low, 2: medium, 3: high}}}
  performance_plan: {column: Plan, missing: none}
extra:
  department: Dept
  age: {column: Age, type: int}
"""

ROW = {"Number": "7", "Role": "Engineer", "Grade": "2", "Rating": "4", "Involvement": "3", "Satisfaction": "2",
       "Left": "No", "Overtime": "Yes", "YearsInRole": "3", "Pay": "1700", "Interests": "PM; conferences;",
       "CommGap": "2", "Plan": "", "Dept": "R&D", "Age": "41"}


def test_a_mapping_turns_columns_into_facts(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(MAPPING)
    m = load_mapping(f)
    rec = m.apply("x row 2", ROW)
    assert rec == {
        "id": "e-7", "track": "individual_contributor", "level": "2", "performance": "high",
        "engagement": "medium", "flight_risk": "medium", "months_in_role": 36.0, "compa_ratio": 0.85,
        "interests": ["project-management", "conferences"], "pipeline": {"status": "none"},
        "gaps": [{"skill": "communication", "severity": "medium"}], "performance_plan": "none",
        "extra": {"department": "R&D", "age": 41},
    }
    p = person_from_dict(rec, record="x row 2")
    assert p.months_in_role == 36 and p.nine_box is None and p.gaps[0].severity.value == "medium"
    row = dict(ROW, Role="director", Left="yes", CommGap="", Involvement="1", Satisfaction="1", Interests="")
    rec = m.apply("x row 3", row)
    assert (rec["track"], rec["flight_risk"], rec["engagement"]) == ("manager", "high", "low")
    assert "gaps" not in rec or rec["gaps"] == []
    assert "interests" not in rec


def test_a_bad_value_rejects_the_record_naming_field_and_mapping_line(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(MAPPING)
    m = load_mapping(f)
    with pytest.raises(RecordError) as exc:
        m.apply("people.csv row 9", dict(ROW, Pay="lots", Involvement="x"))
    lines = str(exc.value).splitlines()
    assert f"people.csv row 9, field 'engagement': column 'Involvement' value 'x' is not a number ({f}:10)" in lines
    assert f"people.csv row 9, field 'compa_ratio': value 'lots' is not a number ({f}:22)" in lines
    # a value a map leaves alone goes on to validation, which names the field
    rec = m.apply("people.csv row 10", dict(ROW, Rating="5"))
    with pytest.raises(RecordError, match="people.csv row 10, field 'performance': '5' is not one of low"):
        person_from_dict(rec, record="people.csv row 10")


@pytest.mark.parametrize("text, expected", [
    ("facts: {performnce: Rating}\n", "m.yaml:1:9: M104 unknown fact 'performnce' (did you mean 'performance'?)"),
    ("facts: {nine_box: Box}\n", "worked out from performance and potential"),
    ("fact: {level: Grade}\n", "m.yaml:1:1: M101 unknown key 'fact' (did you mean 'facts'?)"),
    ("facts:\n  level: {column: Grade, scael: 2}\n", "m.yaml:2:26: M112 'level': unknown key 'scael' (did you mean 'scale'?)"),
    ("facts:\n  level: {map: {1: 2}}\n", "m.yaml:2:10: M113 'level': say where the value comes from"),
    ("facts:\n  engagement: {column: X, buckets: [{le: high, value: low}]}\n", "'le' compares numbers"),
    ("facts:\n  level: {column: Grade, type: integer}\n", "M123 'type' is one of int, float, text, bool"),
    ("join:\n  - {from: g.csv, key: id, into: gapz}\n", "M142 a join adds to a list fact"),
    ("facts: [1, 2]\n", "M102 'facts' maps fact names"),
    ("facts:\n  level: Grade\n  level: Other\n", "m.yaml:3:3: E101 duplicate key 'level' (first at line 2)"),
    ("facts: {level: [Grade\n", "m.yaml:2:1: E100 YAML syntax"),
])
def test_mapping_errors_name_file_line_and_column(tmp_path, text, expected):
    f = tmp_path / "m.yaml"
    f.write_text(text)
    with pytest.raises(MappingError) as exc:
        load_mapping(f)
    assert expected.replace("m.yaml", str(f)) in str(exc.value)


def test_missing_columns_are_named_with_the_mapping_line(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("id: '{Number}'\nfacts:\n  level: Grade\n  performance: {column: Ratin}\n")
    m = load_mapping(f)
    with pytest.raises(MappingError) as exc:
        m.check({"Number": "1", "Grade": "2", "Rating": "3"}, "people.csv")
    assert str(exc.value) == (f"{f}:4:25: M150 column 'Ratin' is not in people.csv (did you mean 'Rating'?)")


def test_a_joined_file_adds_gaps_and_history_by_person_id(tmp_path):
    (tmp_path / "gaps.csv").write_text("emp,skill,sev\n7,communication,3\n8,vision,1\n7,conflict,2\nbad\n")
    (tmp_path / "history.jsonl").write_text(
        '{"person": "e-7", "what": "mentoring", "when": "2026-01-02", "outcome": "completed"}\n')
    f = tmp_path / "m.yaml"
    f.write_text("""\
id: "e-{Number}"
join:
  - from: gaps.csv
    key: "e-{emp}"
    into: gaps
    fields: {skill: skill, severity: {column: sev, map: {1: low, 2: medium, 3: high}}}
  - from: history.jsonl
    key: person
    into: history
    fields: {intervention: what, date: when, outcome: outcome}
""")
    m = load_mapping(f)
    assert m.load_joins() == [f"{tmp_path / 'gaps.csv'} row 5: skipped (has 1 values but the header has 3 "
                              f"columns (truncated or misquoted line?))"]
    rec = m.apply("r", {"Number": "7"})
    assert rec["gaps"] == [{"skill": "communication", "severity": "high"}, {"skill": "conflict", "severity": "medium"}]
    assert rec["history"] == [{"intervention": "mentoring", "date": "2026-01-02", "outcome": "completed"}]
    p = person_from_dict(rec)
    assert [g.skill for g in p.gaps] == ["communication", "conflict"] and p.history[0].intervention == "mentoring"
    assert m.apply("r", {"Number": "9"}) == {"id": "e-9"}


def test_a_join_from_a_database_table(tmp_path, database_url):  # noqa: F811
    fill(database_url, "interests", [{"pid": "a", "topic": "conferences"}, {"pid": "a", "topic": "certification"}])
    f = tmp_path / "m.yaml"
    f.write_text(f"join:\n  - {{from: '{database_url}', table: interests, key: pid, into: interests, "
                 f"item: topic}}\n")
    assert sorted(load_mapping(f).apply("r", {"id": "a"})["interests"]) == ["certification", "conferences"]


def test_a_join_whose_file_is_missing_is_a_mapping_error(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("join:\n  - {from: nope.csv, key: id, into: interests, item: topic}\n")
    with pytest.raises(MappingError, match=r"m.yaml:2:5: M146 join: .*nope.csv: no such file"):
        load_mapping(f).load_joins()


def test_without_a_mapping_table_columns_are_fact_names():
    raw = {"id": "p1", "performance": "high", "level": "", "pipeline.status": "graduate",
           "extra.department": "Sales", "interests": "conferences; certification"}
    rec = identity(raw, tabular=True)
    assert rec == {"id": "p1", "performance": "high", "pipeline": {"status": "graduate"},
                   "extra": {"department": "Sales"}, "interests": ["conferences", "certification"]}
    assert person_from_dict(rec).pipeline.status.value == "graduate"
    assert identity({"id": "p1", "level": ""}, tabular=False) == {"id": "p1", "level": ""}
