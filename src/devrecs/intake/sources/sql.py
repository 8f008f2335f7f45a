"""The SQL source: a table or a query in any database SQLAlchemy 2 reaches.

``location`` is a SQLAlchemy database URL (``sqlite:///people.db``,
``postgresql+psycopg://user@host:5432/hr``) and exactly one of ``table``
(a table name, ``schema.table`` allowed) or ``query`` (a SELECT). Rows are
fetched in batches through a server-side cursor where the database has one
(PostgreSQL), so memory does not grow with the number of rows. Records are
named ``<table> row N`` or ``query row N`` (N counts from 1, in the order the
database returns them: give the query an ORDER BY for a stable order).

Values come as the database gives them, except that exact decimals become
int or float. The same connection helper serves the SQL output of a batch.
"""

from __future__ import annotations

import decimal
from typing import Any, Iterator, Optional

from ...database import connect, db_error, safe_url
from ...errors import SourceError
from . import RecordLabel

FETCH_ROWS = 1000


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class SqlSource:
    """Rows of a table, or of a query, as records (column name -> value)."""

    extensions: tuple[str, ...] = ()
    tabular = True
    as_of = None

    def __init__(self, location: str, table: Optional[str] = None, query: Optional[str] = None, **options: Any):
        if options:
            raise SourceError(f"{safe_url(location)}: the sql source takes --table or --query, "
                              f"not {', '.join('--' + k for k in sorted(options))}")
        if (table is None) == (query is None):
            raise SourceError(f"{safe_url(location)}: give --table NAME or --query 'SELECT ...' (one of them)")
        self.url = location
        self.table = table
        self.query = query
        self.label = table if table is not None else "query"
        self.engine = connect(location)

    def _statement(self, conn: Any) -> Any:
        import sqlalchemy as sa
        if self.query is not None:
            return sa.text(self.query)
        schema, _, name = self.table.rpartition(".")
        try:
            table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
        except sa.exc.NoSuchTableError:
            from ...errors import did_you_mean
            known = sa.inspect(conn).get_table_names(schema=schema or None)
            raise SourceError(f"{safe_url(self.url)}: no table '{self.table}'{did_you_mean(name, known)}") from None
        return sa.select(table)

    def __iter__(self) -> Iterator[tuple[RecordLabel, Any]]:
        import sqlalchemy as sa
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(
                    self._statement(conn))
                keys = list(result.keys())
                for n, row in enumerate(result, 1):
                    yield RecordLabel(self.label, n), {k: _plain(v) for k, v in zip(keys, row)}
        except sa.exc.SQLAlchemyError as exc:
            raise db_error(self.url, exc) from None
        finally:
            self.engine.dispose()


__all__ = ["SqlSource"]
