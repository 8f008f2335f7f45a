"""Arrow data as records: Parquet files, streamed by row group, and the one Arrow-to-record step.

What this module holds: :class:`ParquetSource` (the built-in source ``parquet``
for ``.parquet`` files) and :func:`batch_records`, which turns one Arrow record
batch into plain Python records. DataFrames (devrecs.frames) pass through the
same step, so a Parquet file, a pandas or a polars DataFrame of the same rows
give the mapping the same values: Python ints, floats, strings, bools, dates,
lists and dicts, with nulls (and a float column's NaN) as None, which a mapping
reads as an empty cell.

pyarrow is imported inside the functions that read, never when this module is
imported, so the core stays light: ``devrecs[parquet]`` (or ``devrecs[frames]``)
installs it. Memory stays flat: one batch of at most ``BATCH_ROWS`` rows is
decoded at a time, row group after row group (``ParquetFile.iter_batches``).
"""

from __future__ import annotations

from typing import Any, Iterator

from ...errors import SourceError
from . import RecordLabel

BATCH_ROWS = 1024        # rows decoded at a time from a row group
INSTALL = "pip install 'devrecs[parquet]'"


def import_pyarrow() -> Any:
    """The pyarrow module, or a SourceError that says how to install it."""
    try:
        import pyarrow
        import pyarrow.compute  # noqa: F401  (batch_records uses it)
    except ImportError:
        raise SourceError(f"reading or writing Parquet and DataFrames needs pyarrow: {INSTALL}") from None
    return pyarrow


def batch_records(batch: Any) -> list[dict]:
    """The rows of an Arrow RecordBatch (or Table) as dicts of plain Python values; nulls and
    float NaN as None."""
    pa = import_pyarrow()
    pc = pa.compute
    columns = []
    for column, field in zip(batch.columns, batch.schema):
        if pa.types.is_floating(field.type) and column.null_count < len(column):
            column = pc.if_else(pc.is_nan(column), pa.scalar(None, field.type), column)
        columns.append(column.to_pylist())
    names = batch.schema.names
    return [dict(zip(names, values)) for values in zip(*columns)] if columns else [{} for _ in range(batch.num_rows)]


class ParquetSource:
    """A Parquet file; each row is a record named ``<file> row N`` (N from 1, the first row).
    Every row has the file's columns, so a mapping checks its column names on the first."""

    extensions = (".parquet", ".pq")
    tabular = True
    as_of = None

    def __init__(self, location: str, **options: Any):
        if options:
            raise SourceError(f"{location}: {', '.join('--' + k for k in sorted(options))} "
                              f"only applies to a database source")
        self.location = location
        self.label = location
        self._file()     # a missing or broken file is a configuration error, before any record

    def _file(self) -> Any:
        import_pyarrow()
        import pyarrow.parquet as pq
        try:
            return pq.ParquetFile(self.location)
        except FileNotFoundError:
            raise SourceError(f"{self.location}: no such file") from None
        except IsADirectoryError:
            raise SourceError(f"{self.location}: is a folder, not a file") from None
        except OSError as exc:
            raise SourceError(f"{self.location}: cannot read ({exc.strerror or exc})") from None
        except Exception as exc:   # pyarrow's ArrowInvalid: not a Parquet file
            raise SourceError(f"{self.location}: not a Parquet file ({exc})") from None

    @property
    def rows(self) -> int:
        """How many rows the file holds (from its footer; nothing is decoded)."""
        return int(self._file().metadata.num_rows)

    def columns(self) -> list[str]:
        return list(self._file().schema_arrow.names)

    def __iter__(self) -> Iterator[tuple[RecordLabel, Any]]:
        f = self._file()
        n = 0
        try:
            for batch in f.iter_batches(batch_size=BATCH_ROWS, use_threads=False):   # threads read ahead
                for record in batch_records(batch):
                    n += 1
                    yield RecordLabel(self.label, n), record
        finally:
            f.close()


__all__ = ["BATCH_ROWS", "ParquetSource", "batch_records", "import_pyarrow"]
