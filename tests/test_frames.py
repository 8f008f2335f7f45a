"""DataFrames in and out (devrecs.frames): the same people, rejects and recommendations as a CSV."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

from devrecs import Engine, frames  # noqa: E402
from devrecs.batch.runner import BatchOptions, flat_rows, run_batch  # noqa: E402
from devrecs.intake.pipeline import Reject  # noqa: E402

IBM = Path(__file__).resolve().parents[1] / "examples" / "ibm-hr-attrition"
CSV, MAPPING = IBM / "ibm-hr-attrition.csv", IBM / "mapping.yaml"
AS_OF = dt.date(2026, 6, 30)


def batch_recommendations(source, mapping=MAPPING, audience="hr"):
    """(person, rank, intervention, subject, priority, rules) rows of `devrecs batch` on ``source``."""
    out = io.StringIO()
    stats = run_batch(BatchOptions(source=str(source), mapping=str(mapping), as_of=AS_OF, audience=audience),
                      stdout=out, stderr=io.StringIO(), progress=False)
    rows = [f for line in out.getvalue().splitlines() for f in flat_rows(json.loads(line)) if f["intervention"]]
    return stats, [(r["person"], r["rank"], r["intervention"], r["subject"], r["priority"], r["rules"]) for r in rows]


def frame_rows(recs):
    table = frames.to_arrow(recs)
    return list(zip(*(table.column(c).to_pylist()
                      for c in ("person", "rank", "intervention", "subject", "priority", "rules"))))


@pytest.fixture(scope="module")
def ibm_batch():
    return batch_recommendations(CSV)


@pytest.mark.parametrize("read", [
    lambda: pd.read_csv(CSV, encoding="utf-8-sig"),               # typed columns (ints)
    lambda: pd.read_csv(CSV, encoding="utf-8-sig", dtype=str),    # text, as a CSV holds it
    lambda: pl.read_csv(CSV),
    lambda: pa.Table.from_pandas(pd.read_csv(CSV, encoding="utf-8-sig")),
], ids=["pandas", "pandas-text", "polars", "arrow"])
def test_the_ibm_data_from_a_frame_gives_what_the_csv_gives(read, ibm_batch):
    stats, expected = ibm_batch
    df = read()
    result = frames.recommend(df, mapping=MAPPING, as_of=AS_OF)
    assert frames.kind_of(result.recommendations) == frames.kind_of(df)
    assert frames.to_arrow(result.recommendations).column_names == list(frames.RECOMMENDATION_COLUMNS)
    assert frame_rows(result.recommendations) == expected
    assert len(expected) > 1000 and stats.accepted == 1470 and len(result.rejects) == 0


def test_the_rationale_is_the_audiences_own_wording():
    df = pd.read_csv(CSV, encoding="utf-8-sig").head(200)
    engine = Engine.default(as_of=AS_OF)
    for audience in ("employee", "hr"):
        recs = frames.recommend(df, mapping=MAPPING, as_of=AS_OF, audience=audience).recommendations
        people = {p.id: p for _, p in frames.people(df, mapping=MAPPING)}
        expected = []
        for pid in dict.fromkeys(recs["person"]):
            expected += ["; ".join(r.rationale) for r in engine.recommend_for(people[pid], audience, AS_OF)]
        assert list(recs["rationale"]) == expected and all(expected)
    hr = frames.recommend(df, mapping=MAPPING, as_of=AS_OF, audience="hr").recommendations
    employee = frames.recommend(df, mapping=MAPPING, as_of=AS_OF, audience="employee").recommendations
    assert list(hr["rationale"]) != list(employee["rationale"])


BAD_CSV = (
    "EmpId,Perf,Years,Track\n"
    "1,2,3.5,ic\n"
    "2,9,4,ic\n"          # unknown rating
    "3,2,many,ic\n"       # not a number
    ",2,1,ic\n"           # no id
    "1,3,2,ic\n"          # the id again
    "5,1,,mgr\n"
)
BAD_MAPPING = (
    'id: "e{EmpId}"\nfacts:\n  performance: {column: Perf, map: {1: low, 2: medium, 3: high}}\n'
    "  tenure_years: Years\n  track: {column: Track, map: {ic: individual_contributor, mgr: manager}}\n"
)


def test_rejects_say_what_a_csv_batch_says(tmp_path):
    (tmp_path / "bad.csv").write_text(BAD_CSV)
    (tmp_path / "m.yaml").write_text(BAD_MAPPING)
    rejects = tmp_path / "rejects.jsonl"
    run_batch(BatchOptions(source=str(tmp_path / "bad.csv"), mapping=str(tmp_path / "m.yaml"), as_of=AS_OF,
                           rejects=str(rejects)), stdout=io.StringIO(), stderr=io.StringIO(), progress=False)
    from_csv = [(r["id"], e["field"], e["reason"]) for r in map(json.loads, rejects.read_text().splitlines())
                for e in r["errors"]]
    assert len(from_csv) == 4
    # the CSV names its row 2 (after the header); the frame its row 0
    _, expected = batch_recommendations(tmp_path / "bad.csv", tmp_path / "m.yaml")
    assert expected
    from_csv[3] = from_csv[3][:2] + (from_csv[3][2].replace(f"{tmp_path / 'bad.csv'} row 2", "hr row 0"),)
    for df in (pd.read_csv(io.StringIO(BAD_CSV), dtype=str, keep_default_na=False),
               pd.read_csv(io.StringIO(BAD_CSV), dtype=str),
               pl.read_csv(io.StringIO(BAD_CSV), infer_schema=False)):
        result = frames.recommend(df, mapping=tmp_path / "m.yaml", as_of=AS_OF, name="hr")
        bad = frames.to_arrow(result.rejects)
        assert list(zip(*(bad.column(c).to_pylist() for c in ("id", "field", "reason")))) == from_csv
        # rows are named by position from 0, as df.iloc counts them
        assert bad.column("record").to_pylist() == ["hr row 1", "hr row 2", "hr row 3", "hr row 4"]
        assert frame_rows(result.recommendations) == expected


def test_a_missing_column_is_a_configuration_error_as_for_a_csv(tmp_path):
    (tmp_path / "m.yaml").write_text(BAD_MAPPING)
    df = pd.read_csv(io.StringIO(BAD_CSV)).drop(columns=["Years"])
    with pytest.raises(Exception) as err:
        frames.recommend(df, mapping=tmp_path / "m.yaml", as_of=AS_OF)
    assert "Years" in str(err.value)


def test_a_mixed_column_rejects_the_odd_row_as_a_csv_would(tmp_path):
    (tmp_path / "m.yaml").write_text(BAD_MAPPING)
    df = pd.read_csv(io.StringIO(BAD_CSV)).iloc[[0, 5]].reset_index(drop=True).astype(object)
    df.loc[1, "Years"] = "many"                     # ints and one text value in an object column
    result = frames.recommend(df, mapping=tmp_path / "m.yaml", as_of=AS_OF)
    assert list(result.rejects["record"]) == ["DataFrame row 1"]
    assert list(result.rejects["field"]) == ["tenure_years"] and "many" in result.rejects["reason"][0]


def test_nulls_and_nan_are_empty_cells():
    df = pd.DataFrame({"id": ["a", "b"], "track": ["individual_contributor", "manager"],
                       "performance": ["high", None], "tenure_years": [3.0, float("nan")]})
    got = dict(frames.people(df))
    assert not any(isinstance(p, Reject) for p in got.values())
    b = got["DataFrame row 1"]
    assert b.performance is None and b.tenure_years is None
    assert got["DataFrame row 0"].tenure_years == 3.0


def test_recommendations_raise_on_rejects_never_drop_them(tmp_path):
    (tmp_path / "m.yaml").write_text(BAD_MAPPING)
    df = pd.read_csv(io.StringIO(BAD_CSV), dtype=str)
    with pytest.raises(frames.DevrecsError) as err:
        frames.recommendations(df, mapping=tmp_path / "m.yaml", as_of=AS_OF)
    assert str(err.value).startswith("4 rejected") and "DataFrame row 2, field 'tenure_years'" in str(err.value)
    good = frames.recommendations(df.iloc[[0, 5]], mapping=tmp_path / "m.yaml", as_of=AS_OF)
    assert list(good.columns) == list(frames.empty_recommendations().columns)


def test_explanations_are_a_frame_of_conditions():
    df = pd.read_csv(CSV, encoding="utf-8-sig").head(5)
    conditions, rejects = frames.explain(df, mapping=MAPPING, as_of=AS_OF)
    assert list(conditions.columns) == list(frames.CONDITION_COLUMNS) and len(rejects) == 0
    engine = Engine.default(as_of=AS_OF)
    first = next(p for _, p in frames.people(df, mapping=MAPPING))
    explanation = engine.explain(first, audience="hr", as_of=AS_OF)
    mine = conditions[conditions["person"] == first.id]
    expected = [(i.intervention, r.rule, c.fact, c.held) for i in explanation.items for r in i.why + i.why_not
                for c in r.checks]
    assert list(zip(mine["intervention"], mine["rule"], mine["fact"], mine["held"])) == expected
    assert set(mine["intervention"]) == {r.intervention for r in engine.recommend(first, AS_OF)
                                         if r.subject == first.id}
    one = frames.explain(df, mapping=MAPPING, as_of=AS_OF, intervention="mentoring").conditions
    assert set(one["intervention"]) == {"mentoring"} and set(one["person"]) == {f"ibm-{n}" for n in (1, 2, 4, 5, 7)}


def test_explanations_withhold_what_the_audience_may_not_see():
    df = pd.DataFrame({"id": ["w"], "track": ["individual_contributor"], "performance": ["medium"],
                       "wellbeing_concern": [True], "engagement": ["low"], "tenure_years": [4]})
    for audience in ("manager", "executive"):
        conditions = frames.explain(df, audience=audience, as_of=AS_OF).conditions
        assert "wellbeing_concern" not in set(conditions["fact"]) and "wellbeing" not in conditions.to_csv()
    hr = frames.explain(df, audience="hr", as_of=AS_OF).conditions
    assert "wellbeing_concern" in set(hr["fact"])


def test_the_engine_is_built_once_per_process():
    frames.cached_engine.cache_clear()
    df = pd.read_csv(CSV, encoding="utf-8-sig").head(20)
    for part in (df.iloc[:10], df.iloc[10:]):
        frames.recommendations(part, mapping=MAPPING, as_of=AS_OF)
    assert frames.cached_engine.cache_info().misses == 1
