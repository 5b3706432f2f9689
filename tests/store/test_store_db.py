"""The database file: pragmas, permissions, the error split and the migrations."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from calldesk.store.calls import CallQuery, CallStore
from calldesk.store.db import Database, StoreBugError, StoreEnvironmentError
from calldesk.store.local import LocalStore
from calldesk.store.migrations import LATEST_VERSION, MIGRATIONS, migrate, user_version

from .conftest import build


def test_pragmas_wal_full_foreign_keys_and_busy_timeout(db_path: Path) -> None:
    with Database(db_path) as db:
        assert db.pragma("journal_mode") == "wal"
        assert db.pragma("synchronous") == 2  # FULL
        assert db.pragma("foreign_keys") == 1
        assert db.pragma("busy_timeout") >= 1000
        assert db.pragma("user_version") == LATEST_VERSION


def test_files_are_private(db_path: Path) -> None:
    store = LocalStore.open(db_path, build)
    try:
        store.outbox.save_new("a", {"who": "Dana"}, build("a", {"who": "Dana"})[0], "Dana")
        for suffix in ("", "-wal", "-shm"):
            sidecar = db_path.with_name(db_path.name + suffix)
            assert sidecar.exists(), suffix
            assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600, suffix
    finally:
        store.close()


def test_existing_loose_file_is_tightened(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch(mode=0o644)
    db_path.chmod(0o644)
    with Database(db_path):
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_corrupt_file_is_an_environment_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StoreEnvironmentError):
        Database(db_path)


def test_newer_schema_is_an_environment_error(db_path: Path) -> None:
    with Database(db_path) as db:
        db.connection.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreEnvironmentError, match="newer calldesk"):
        Database(db_path)


def test_locked_database_is_an_environment_error(db_path: Path) -> None:
    with Database(db_path) as db:
        other = sqlite3.connect(db_path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            db.connection.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(StoreEnvironmentError), db.transaction() as conn:
                conn.execute("INSERT INTO lookups VALUES ('a','s','1','x','',  'now')")
        finally:
            other.execute("ROLLBACK")
            other.close()


def test_bad_sql_is_a_bug_and_rolls_back(db_path: Path) -> None:
    with Database(db_path) as db:
        with pytest.raises(StoreBugError), db.transaction() as conn:
            conn.execute("INSERT INTO lookups VALUES ('a','s','1','x','', 'now')")
            conn.execute("INSERT INTO no_such_table VALUES (1)")
        assert db.query("SELECT * FROM lookups") == []


def test_registry_is_ordered_and_consecutive() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))
    assert LATEST_VERSION >= 2


def test_fresh_file_migrates_to_latest(db_path: Path) -> None:
    with Database(db_path, migrate=False) as db:
        assert user_version(db.connection) == 0
        assert migrate(db) == LATEST_VERSION
        assert migrate(db) == LATEST_VERSION  # idempotent


def _v1_insert(conn: sqlite3.Connection, local_id: str, who: str, when: float) -> None:
    conn.execute(
        """INSERT INTO calls (local_id, account, remote_id, fields, remote_fields, state,
               when_ts, who, search_text)
           VALUES (?, 'acc', ?, ?, ?, 'synced', ?, ?, ?)""",
        (
            local_id,
            "r" + local_id,
            json.dumps({"who": who}),
            json.dumps({"who": who}),
            when,
            who,
            f"{who} notes about pricing",
        ),
    )


def _names(db: Database) -> set[str]:
    return {str(row[0]) for row in db.query("SELECT name FROM sqlite_master")}


def _fts_rowids(db: Database, match: str) -> list[int]:
    rows = db.query("SELECT rowid FROM calls_fts WHERE calls_fts MATCH ?", (match,))
    return sorted(int(row[0]) for row in rows)


def _rid(db: Database, local_id: str) -> int:
    row = db.query_one("SELECT rid FROM calls WHERE local_id = ?", (local_id,))
    assert row is not None
    return int(row[0])


def test_v1_to_v2_keeps_data_and_adds_search(db_path: Path) -> None:
    with Database(db_path, migrate=False) as db:
        assert migrate(db, target=1) == 1
        with db.transaction() as conn:
            _v1_insert(conn, "loc_1", "Danielle Smith", 100.0)
            _v1_insert(conn, "loc_2", "Bob Jones", 200.0)
        assert "calls_fts" not in _names(db)
        assert migrate(db, target=2) == 2
        assert {"calls_fts", "calls_account_state_when", "calls_fts_update"} <= _names(db)
        # version 2's index is keyed by rid
        assert _fts_rowids(db, '"dan"*') == [_rid(db, "loc_1")]
        assert _fts_rowids(db, '"pric"*') == sorted([_rid(db, "loc_1"), _rid(db, "loc_2")])
        # the triggers keep the index in step for rows written after the upgrade
        with db.transaction() as conn:
            conn.execute("UPDATE calls SET search_text = 'zebra' WHERE local_id = 'loc_1'")
        assert _fts_rowids(db, '"dan"*') == []
        assert _fts_rowids(db, '"zeb"*') == [_rid(db, "loc_1")]
    with Database(db_path) as db:  # opening upgrades to the latest version
        calls = CallStore(db)
        assert [c.local_id for c in calls.search("zeb")] == ["loc_1"]
        assert calls.list_calls(CallQuery(text="pric"))[0].local_id == "loc_2"


def test_v2_to_latest_keeps_data_reindexes_live_calls_and_adds_list_indexes(
    db_path: Path,
) -> None:
    with Database(db_path, migrate=False) as db:
        assert migrate(db, target=2) == 2
        with db.transaction() as conn:
            _v1_insert(conn, "loc_1", "Danielle Smith", 100.5)
            _v1_insert(conn, "loc_2", "Dana Jones", 200.0)
            _v1_insert(conn, "loc_3", "Danny Gone", 300.0)
            _v1_insert(conn, "loc_4", "Dante Undated", 50.0)
            conn.execute("UPDATE calls SET deleted = 1 WHERE local_id = 'loc_3'")
            conn.execute("UPDATE calls SET when_ts = NULL WHERE local_id = 'loc_4'")
        assert len(_fts_rowids(db, '"dan"*')) == 4  # version 2 indexed deleted rows too
    with Database(db_path) as db:
        assert user_version(db.connection) == LATEST_VERSION
        names = _names(db)
        assert {"call_rows_live_when", "call_rows_live_account", "call_rows_live_state"} <= names
        assert not {"calls_account_state_when", "calls_account_outcome_when"} & names
        calls = CallStore(db)
        # the deleted call left the index; the others are found newest first, undated last
        hits = calls.list_calls(CallQuery(text="dan"))
        assert [c.local_id for c in hits] == ["loc_2", "loc_1", "loc_4"]
        assert calls.count_calls(CallQuery(text="dan")) == 3
        assert {c.local_id for c in calls.search("dan")} == {"loc_1", "loc_2", "loc_4"}
        # the index follows: deleting, undeleting, moving in time, renaming
        with db.transaction() as conn:
            conn.execute("UPDATE calls SET deleted = 1 WHERE local_id = 'loc_1'")
            conn.execute("UPDATE calls SET deleted = 0 WHERE local_id = 'loc_3'")
            conn.execute("UPDATE calls SET when_ts = 10.0 WHERE local_id = 'loc_2'")
            conn.execute("UPDATE calls SET search_text = 'zebra' WHERE local_id = 'loc_4'")
        hits = calls.list_calls(CallQuery(text="dan"))
        assert [c.local_id for c in hits] == ["loc_3", "loc_2"]
        assert calls.count_calls(CallQuery(text="dan")) == 2
        assert [c.local_id for c in calls.search("zebra")] == ["loc_4"]
        with db.transaction() as conn:
            conn.execute("DELETE FROM calls WHERE local_id IN ('loc_2', 'loc_1')")
        assert calls.count_calls(CallQuery(text="dan")) == 1
        assert db.query("INSERT INTO calls_fts(calls_fts) VALUES ('integrity-check')") == []
