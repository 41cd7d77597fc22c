"""What the kit cannot know about this backend: its entry point, its options, its files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from persist_core import available_drivers, get_driver
from persist_core.errors import InvalidArgumentError, StorageError
from persist_core.testing.samples import small_container, small_sandbox
from persist_sqlite import SqliteDriver


def test_found_by_entry_point_and_reopened_from_its_options(tmp_path: Path) -> None:
    assert "sqlite" in available_drivers()
    driver = get_driver("sqlite", path=tmp_path / "state.db")
    assert isinstance(driver, SqliteDriver)
    driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
    again = get_driver(driver.name, **driver.options)
    assert again.load("sb") == driver.load("sb")


def test_records_are_the_codec_bytes_in_two_tables(tmp_path: Path) -> None:
    driver = SqliteDriver(path=tmp_path / "state.db")
    driver.save(small_sandbox("sb"), {"c1": small_container("c1"), "c2": small_container("c2")})
    driver.save(small_sandbox("sb"), {"c2": small_container("c2")})
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT id FROM sandboxes").fetchall() == [("sb",)]
        assert db.execute("SELECT sandbox_id, id FROM containers").fetchall() == [("sb", "c2")]


def test_last_modified_follows_saves(tmp_path: Path) -> None:
    driver = SqliteDriver(path=tmp_path / "state.db")
    assert driver.last_modified("sb") is None
    driver.save(small_sandbox("sb"), {})
    assert driver.last_modified("sb") is not None


def test_bad_path_is_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        SqliteDriver(path="")


def test_unusable_database_file_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    with pytest.raises(StorageError, match="not-a-db"):
        SqliteDriver(path=tmp_path / "not-a-db")


def test_the_longest_ids_lock_and_save(tmp_path: Path) -> None:
    """IDs may be 255 characters (persist_core.ids.MAX_ID_LENGTH); a lock file named after one would not fit."""
    driver = SqliteDriver(path=tmp_path / "state.db")
    longest, almost = "s" * 255, "s" * 250
    for sandbox_id in (longest, almost):
        with driver.lock(sandbox_id, timeout=0):
            driver.save(small_sandbox(sandbox_id), {"c" * 255: small_container("c")})
    assert driver.sandbox_ids() == sorted([longest, almost])
