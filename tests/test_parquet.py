"""Parquet in and out: the parquet source (streamed by row group) and `devrecs batch --out x.parquet`."""

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

from devrecs.batch.runner import FLAT_COLUMNS, BatchOptions, run_batch  # noqa: E402
from devrecs.intake.sources import SourceError, builtin_sources, name_for  # noqa: E402
from devrecs.intake.sources.parquet import ParquetSource  # noqa: E402

IBM = Path(__file__).resolve().parents[1] / "examples" / "ibm-hr-attrition"
CSV, MAPPING = IBM / "ibm-hr-attrition.csv", IBM / "mapping.yaml"
AS_OF = dt.date(2026, 6, 30)


def run(source, out, **options):
    stdout = io.StringIO()
    stats = run_batch(BatchOptions(source=str(source), out=str(out) if out else None, as_of=AS_OF, **options),
                      stdout=stdout, stderr=io.StringIO(), progress=False)
    return stats, stdout.getvalue()


def test_the_ibm_data_round_trips_through_parquet(tmp_path):
    """CSV -> Parquet file of people -> batch -> recs.parquet: the same rows as CSV -> batch -> recs.csv."""
    people = tmp_path / "ibm.parquet"
    pq.write_table(pcsv.read_csv(CSV), people, row_group_size=500)      # typed columns, 3 row groups
    assert pq.ParquetFile(people).num_row_groups == 3
    csv_stats, _ = run(CSV, tmp_path / "recs.csv", mapping=str(MAPPING))
    pq_stats, _ = run(people, tmp_path / "recs.parquet", mapping=str(MAPPING))
    assert (pq_stats.read, pq_stats.accepted, pq_stats.rejected) == (csv_stats.read, csv_stats.accepted, 0) \
        == (1470, 1470, 0)
    assert pq_stats.interventions == csv_stats.interventions and pq_stats.rows == csv_stats.rows
    table = pq.read_table(tmp_path / "recs.parquet")
    assert table.column_names == list(FLAT_COLUMNS)
    assert table.schema.field("priority").type == pa.int32()
    got = table.to_pylist()
    expected = pcsv.read_csv(tmp_path / "recs.csv", convert_options=pcsv.ConvertOptions(
        column_types=table.schema, strings_can_be_null=True)).to_pylist()
    assert got == expected and len(got) == csv_stats.rows > 1470


def test_parquet_output_keeps_people_without_recommendations_and_teams(tmp_path):
    stats, _ = run(CSV, tmp_path / "o.parquet", mapping=str(MAPPING), org=True)
    rows = pq.read_table(tmp_path / "o.parquet").to_pylist()
    assert {r["scope"] for r in rows} == {"person", "organization"}
    empty = [r for r in rows if r["intervention"] is None]
    assert empty and all(r["rank"] is None and r["subject"] for r in empty)
    assert len(rows) == stats.rows


def test_a_parquet_file_reads_like_its_csv_without_a_mapping(tmp_path):
    (tmp_path / "p.csv").write_text("id,track,performance,tenure_years,interests,extra.department\n"
                                    "a,individual_contributor,high,6,conferences;writing,R&D\n"
                                    "b,manager,,2,,Sales\n"
                                    "c,individual_contributor,excellent,1,,\n")
    nulls = pcsv.ConvertOptions(strings_can_be_null=True)     # empty cells as nulls in the Parquet file
    pq.write_table(pcsv.read_csv(tmp_path / "p.csv", convert_options=nulls), tmp_path / "p.parquet")
    from_csv = run(tmp_path / "p.csv", None)
    from_pq = run(tmp_path / "p.parquet", None)
    assert from_pq[1] == from_csv[1] and from_pq[0].rejected == from_csv[0].rejected == 1
    records = list(ParquetSource(str(tmp_path / "p.parquet")))
    assert [str(label) for label, _ in records] == [f"{tmp_path / 'p.parquet'} row {n}" for n in (1, 2, 3)]
    assert records[1][1]["performance"] is None and records[0][1]["tenure_years"] == 6


def test_the_parquet_source_is_registered_and_chosen_by_extension(tmp_path):
    assert "parquet" in builtin_sources() and name_for("people.parquet") == "parquet"
    (tmp_path / "not.parquet").write_text("id\nx\n")
    with pytest.raises(SourceError, match="not a Parquet file"):
        ParquetSource(str(tmp_path / "not.parquet"))
    with pytest.raises(SourceError, match="no such file"):
        ParquetSource(str(tmp_path / "missing.parquet"))


def test_reading_parquet_keeps_memory_flat(tmp_path):
    """The most resident memory while reading 200,000 rows is about that of reading 20,000 (one
    batch decoded at a time). Sampled from /proc (ru_maxrss would start at this pytest's, which
    a child started by fork inherits)."""
    code = (
        "import os, sys; from devrecs.intake.sources.parquet import ParquetSource\n"
        "page, most, n = os.sysconf('SC_PAGE_SIZE'), 0, 0\n"
        "for n, _ in enumerate(ParquetSource(sys.argv[1]), 1):\n"
        "    if n % 2000 == 0:\n"
        "        most = max(most, int(open('/proc/self/statm').read().split()[1]) * page)\n"
        "print(n, most)")
    peaks = {}
    for n in (20_000, 200_000):
        path = tmp_path / f"p{n}.parquet"
        ids = pa.array([f"p{i:07d}" for i in range(n)])
        table = pa.table({"id": ids, "track": pa.array(["individual_contributor"] * n),
                          "note": pa.array(["x" * 200] * n)})
        pq.write_table(table, path, row_group_size=10_000)
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
        count, rss = map(int, out.stdout.split())
        assert count == n
        peaks[n] = rss
    assert peaks[200_000] < 1.3 * peaks[20_000], peaks
