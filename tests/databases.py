"""Database URLs for the SQL tests: SQLite always, PostgreSQL when one is given.

DEVRECS_TEST_POSTGRES_URL names a server (a throwaway one: docs/data.md
shows how to start it; .ci/run starts one). Each test gets a fresh database
on it, dropped afterwards. Without the variable the PostgreSQL tests skip
with the reason, except under CI=true, where they fail: CI must run them.
"""

from __future__ import annotations

import os
import uuid

import pytest

POSTGRES_ENV = "DEVRECS_TEST_POSTGRES_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        reason = (f"{POSTGRES_ENV} is not set, so the PostgreSQL tests did not run "
                  f"(docs/data.md shows how to start a throwaway server)")
        if _in_ci():
            pytest.fail(f"CI=true: {reason}; .ci/run must start PostgreSQL and set it")
        pytest.skip(reason)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail(f"{POSTGRES_ENV} is set but psycopg is not installed: pip install '.[test]'")
    return url


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database (SQLAlchemy URL), dropped after the test."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    server = make_url(postgres_server_url())
    name = f"devrecs_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but the server cannot be reached: {exc.orig}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each SQL test runs on SQLite, then on PostgreSQL (see postgres_url)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


def fill(url: str, table: str, rows: list[dict], types: dict | None = None) -> None:
    """Create ``table`` with text columns (or ``types``) and insert ``rows``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    columns = list(rows[0])
    t = sa.Table(table, sa.MetaData(), *[sa.Column(c, (types or {}).get(c, sa.Text)) for c in columns])
    with engine.begin() as conn:
        t.create(conn)
        conn.execute(t.insert(), rows)
    engine.dispose()
