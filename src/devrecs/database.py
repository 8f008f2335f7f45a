"""Database URLs and connections: one place for the SQL source, a batch's SQL output and the store.

May import: errors (SQLAlchemy is imported when a connection is made).
"""

from __future__ import annotations

from typing import Any

from .errors import SourceError


def is_database_url(location: str) -> bool:
    """``dialect[+driver]://...``: a SQLAlchemy database URL rather than a file."""
    head, sep, _ = location.partition("://")
    return bool(sep) and head.replace("+", "").replace("_", "").isalnum()


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def connect(url: str) -> Any:
    """A SQLAlchemy engine for ``url``, or SourceError saying why not (driver, URL)."""
    try:
        import sqlalchemy as sa
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError
    except ImportError:  # pragma: no cover - a runtime dependency
        raise SourceError("SQL sources need SQLAlchemy: pip install 'SQLAlchemy>=2'") from None
    try:
        return sa.create_engine(url)
    except NoSuchModuleError:
        raise SourceError(f"{safe_url(url)}: unknown database kind in the URL") from None
    except ArgumentError as exc:
        raise SourceError(f"{safe_url(url)}: not a database URL ({exc})") from None
    except ImportError as exc:
        hint = " (pip install 'devrecs[postgres]')" if url.startswith("postgres") else ""
        raise SourceError(f"{safe_url(url)}: the database driver is not installed: {exc.name or exc}{hint}") from None


def db_error(url: str, exc: BaseException) -> SourceError:
    """A one-line SourceError for a database failure."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return SourceError(f"{safe_url(url)}: {text[0] if text else type(exc).__name__}")
