"""A store whose schema_version table is corrupt gives a clear error, never a traceback."""

import sqlite3

import pytest
from click.testing import CliRunner

from devrecs.cli import cli
from devrecs.oversight.store import Store, StoreError

CORRUPT = {
    "text": ("TEXT", "'two'", "the text 'two'"),
    "number as text": ("TEXT", "'2'", "the text '2'"),
    "fraction": ("REAL", "1.5", "1.5"),
    "negative": ("INTEGER", "-3", "-3"),
    "zero": ("INTEGER", "0", "0"),
    "binary": ("BLOB", "x'00ff'", "binary data (2 bytes)"),
}


def _corrupt_store(path, kind, value):
    with sqlite3.connect(path) as raw:
        raw.execute(f"CREATE TABLE schema_version (version {kind}, applied_at TEXT)")
        raw.execute(f"INSERT INTO schema_version VALUES ({value}, '2026-01-01 00:00:00')")


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_a_corrupt_schema_version_is_a_store_error(tmp_path, case):
    kind, value, shown = CORRUPT[case]
    path = tmp_path / "bad.db"
    _corrupt_store(path, kind, value)
    with pytest.raises(StoreError) as caught:
        Store(str(path))
    message = str(caught.value)
    assert message.startswith(f"store sqlite:///{path}: its schema_version table holds {shown}, not a version")
    assert "not a devrecs store, or it is damaged" in message


@pytest.mark.parametrize("case", ["text", "fraction", "binary"])
def test_the_cli_says_so_in_one_line_with_exit_2(tmp_path, case):
    kind, value, _ = CORRUPT[case]
    path = tmp_path / "bad.db"
    _corrupt_store(path, kind, value)
    for args in (["recommend", "--sample", "--store", str(path)],
                 ["record", "p1", "mentoring", "--outcome", "accepted", "--by", "hr", "--store", str(path)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "its schema_version table holds" in lines[0], result.output
        assert "Traceback" not in result.output


def test_a_gap_in_the_versions_is_named(tmp_path):
    path = tmp_path / "gap.db"
    Store(str(path)).close()
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM schema_version WHERE version = 1")
    from devrecs.oversight.store import LATEST
    later = ", ".join(str(v) for v in range(2, LATEST + 1))
    with pytest.raises(StoreError, match=f"lists versions {later}, not 1 to {LATEST} in turn: the store is damaged"):
        Store(str(path))


def test_a_good_store_still_opens_and_a_newer_one_is_still_refused(tmp_path):
    path = tmp_path / "ok.db"
    assert Store(str(path)).version >= 2
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO schema_version VALUES (99, '2030-01-01 00:00:00')")
    with pytest.raises(StoreError, match="version 99, newer than this devrecs knows"):
        Store(str(path))
