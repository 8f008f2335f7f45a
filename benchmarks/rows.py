"""DataFrame rows as records: Arrow against narwhals, from pandas and from polars.

    python benchmarks/rows.py [--rows 100000] [--out benchmarks/results.md]

devrecs.frames turns each DataFrame row into a dict of plain Python values for
the mapping. This measures the two ways considered: through Arrow
(``devrecs.intake.sources.parquet.batch_records`` on the frame's record batches, what
frames uses) and through narwhals (``iter_rows(named=True)``), on the IBM
sample repeated to ``--rows`` rows, best of 3. Written to the results file,
section "frames-rows". Needs pandas, polars, pyarrow and narwhals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from pathlib import Path

import narwhals as nw
import pandas as pd
import polars as pl

from devrecs import frames
from devrecs.intake.sources.parquet import batch_records

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

CSV = Path(__file__).resolve().parents[1] / "examples" / "ibm-hr-attrition" / "ibm-hr-attrition.csv"


def through_arrow(frame) -> int:
    return sum(len(batch_records(b)) for b in frames.to_arrow(frame).to_batches(1024))


def through_narwhals(frame) -> int:
    return sum(1 for _ in nw.from_native(frame, eager_only=True).iter_rows(named=True))


def best(f, frame, n: int) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        assert f(frame) == n
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.md")
    args = ap.parse_args()
    base = pd.read_csv(CSV, encoding="utf-8-sig")
    df = pd.concat([base] * (args.rows // len(base) + 1), ignore_index=True).iloc[:args.rows]
    kinds = {"pandas": df, "polars": pl.from_pandas(df)}
    ways = (("Arrow", through_arrow), ("narwhals", through_narwhals))
    got = {(way, kind): best(f, frame, args.rows) for way, f in ways for kind, frame in kinds.items()}
    lines = [f"Command: `python benchmarks/rows.py --rows {args.rows}`; {dt.date.today().isoformat()}, Python "
             f"{platform.python_version()}, pandas {pd.__version__}, polars {pl.__version__}, narwhals "
             f"{nw.__version__}. Seconds to turn {args.rows:,} rows (the IBM sample repeated, 35 columns) into "
             f"dicts of Python values, best of 3.", "",
             "| way | from pandas (s) | from polars (s) |", "|---|---:|---:|"]
    lines += [f"| {way} | {got[(way, 'pandas')]:.2f} | {got[(way, 'polars')]:.2f} |" for way in ("Arrow", "narwhals")]
    write_section(args.out, "frames-rows", "DataFrame rows as records: Arrow and narwhals", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
