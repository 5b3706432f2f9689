"""Schema 4: the search index is written after a save's commit, before the next read.

A save's durable transaction holds the call, its operation and a note in ``search_pending``;
``calls_fts`` is updated by a second transaction (on the worker: the next job; otherwise before
any search, and at open and close). These tests read ``calls_fts`` with raw SQL where they must
show what is (not yet) in the index without the store's own read path catching it up.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from calldesk.domain.model import RemoteCall
from calldesk.store.calls import CallQuery
from calldesk.store.db import Database
from calldesk.store.local import LocalStore
from calldesk.store.migrations import LATEST_VERSION, SEARCH_RID_MASK, migrate, user_version
from calldesk.store.worker import DbWorker

from .conftest import build, row_of, text_of


def _indexed(conn: sqlite3.Connection, word: str) -> list[int]:
    """The calls.rid of every entry the index holds for ``word*`` (raw: no catching up)."""
    rows = conn.execute(
        f"SELECT rowid & {SEARCH_RID_MASK} FROM calls_fts WHERE calls_fts MATCH ?",
        (f'"{word}"*',),
    ).fetchall()
    return sorted(int(row[0]) for row in rows)


def _pending(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM search_pending").fetchone()[0])


def _rid(conn: sqlite3.Connection, local_id: str) -> int:
    return int(conn.execute("SELECT rid FROM calls WHERE local_id = ?", (local_id,)).fetchone()[0])


def _save(store: LocalStore, who: str, when: float = 1000.0) -> str:
    fields = {"who": who, "when": when}
    return store.outbox.save_new("acc", fields, row_of(fields), text_of(fields)).local_id


def _integrity(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO calls_fts(calls_fts) VALUES ('integrity-check')")


def test_the_save_commits_without_the_index_and_a_crash_before_indexing_loses_nothing(
    db_path: Path,
) -> None:
    store = LocalStore.open(db_path, build)
    local_id = _save(store, "Zelda Quartz")
    conn = store.db.connection
    # durable: the call, its create and the note; the index itself is not written yet
    assert store.outbox.counts().pending == 1
    assert _pending(conn) == 1
    assert _indexed(conn, "zelda") == []
    store.db.close()  # a crash: the process ends without the indexing transaction
    reopened = LocalStore.open(db_path, build)  # opening applies what the crash left
    try:
        conn = reopened.db.connection
        assert _pending(conn) == 0
        assert _indexed(conn, "zelda") == [_rid(conn, local_id)]
        assert [c.local_id for c in reopened.calls.list_calls(CallQuery(text="zel"))] == [local_id]
        _integrity(conn)
    finally:
        reopened.close()


def test_a_search_right_after_a_save_finds_it_without_the_worker(db_path: Path) -> None:
    store = LocalStore.open(db_path, build)
    try:
        local_id = _save(store, "Yusuf Okafor")
        assert [c.local_id for c in store.calls.list_calls(CallQuery(text="okaf"))] == [local_id]
        assert store.calls.count_calls(CallQuery(text="okaf")) == 1
        assert [c.local_id for c in store.calls.search("yusuf")] == [local_id]
        assert _pending(store.db.connection) == 0
        # the indexing transaction leaves the connection durable for the next save
        assert store.db.pragma("synchronous") == 2  # FULL
    finally:
        store.close()


@pytest.mark.asyncio
async def test_the_worker_indexes_a_save_before_its_next_job(db_path: Path) -> None:
    def save_and_peek(store: LocalStore) -> tuple[str, int, list[int]]:
        local_id = _save(store, "Xavier Lindqvist")
        conn = store.db.connection
        return local_id, _pending(conn), _indexed(conn, "lindq")

    async with await DbWorker.open(db_path, build) as worker:
        local_id, pending, indexed = await worker.run(save_and_peek)
        # the save's job returned with the note committed and the index not yet written ...
        assert (pending, indexed) == (1, [])
        # ... and the very next job (raw SQL, no catching up of its own) sees it indexed
        rid, after, pending = await worker.run(
            lambda s: (
                _rid(s.db.connection, local_id),
                _indexed(s.db.connection, "lindq"),
                _pending(s.db.connection),
            )
        )
        assert after == [rid]
        assert pending == 0


def test_edits_deletes_undo_and_a_reused_rid_keep_the_index_exact(db_path: Path) -> None:
    store = LocalStore.open(db_path, build)
    try:
        conn = store.db.connection
        keep = _save(store, "Wanda Early", when=500.0)
        gone = _save(store, "Vera Latest", when=900.0)
        store.search_index.flush()
        # several changes to one call before the index catches up: its first entry is removed
        for text in ("renamed once", "renamed twice"):
            with store.db.transaction() as tx:
                tx.execute("UPDATE calls SET search_text = ? WHERE local_id = ?", (text, keep))
        with store.db.transaction() as tx:
            tx.execute("UPDATE calls SET when_ts = 2000.0 WHERE local_id = ?", (keep,))
        assert _indexed(conn, "wanda") == [_rid(conn, keep)]  # not caught up yet
        assert store.calls.list_calls(CallQuery(text="wanda")) == []
        assert [c.local_id for c in store.calls.list_calls(CallQuery(text="twice"))] == [keep]
        assert _indexed(conn, "renamed") == [_rid(conn, keep)]
        # a deleted call leaves the index, and comes back on undo
        with store.db.transaction() as tx:
            tx.execute("UPDATE calls SET deleted = 1 WHERE local_id = ?", (keep,))
        assert store.calls.count_calls(CallQuery(text="twice")) == 0
        with store.db.transaction() as tx:
            tx.execute("UPDATE calls SET deleted = 0 WHERE local_id = ?", (keep,))
        assert store.calls.count_calls(CallQuery(text="twice")) == 1
        # the newest call removed and a new one taking its rid before the index catches up
        old_rid = _rid(conn, gone)
        with store.db.transaction() as tx:
            tx.execute("DELETE FROM calls WHERE local_id = ?", (gone,))
        fresh = _save(store, "Ursula Newcomer", when=950.0)
        assert _rid(conn, fresh) == old_rid
        assert store.calls.count_calls(CallQuery(text="vera")) == 0
        assert [c.local_id for c in store.calls.list_calls(CallQuery(text="urs"))] == [fresh]
        assert _indexed(conn, "twice") == [_rid(conn, keep)]
        assert _indexed(conn, "ursula") == [old_rid]
        assert _indexed(conn, "vera") == _indexed(conn, "wanda") == []
        _integrity(conn)
    finally:
        store.close()


def _v3_insert(conn: sqlite3.Connection, local_id: str, who: str, when: float) -> None:
    conn.execute(
        """INSERT INTO calls (local_id, account, remote_id, fields, state, when_ts, who,
               search_text)
           VALUES (?, 'acc', ?, '{}', 'synced', ?, ?, ?)""",
        (local_id, "r" + local_id, when, who, f"{who} about invoices"),
    )


def test_v3_to_v4_keeps_the_index_and_moves_it_off_the_save(db_path: Path) -> None:
    with Database(db_path, migrate=False) as db:
        assert migrate(db, target=3) == 3
        with db.transaction() as tx:
            _v3_insert(tx, "loc_1", "Tomas Older", 100.0)
            _v3_insert(tx, "loc_2", "Tomasz Newer", 200.0)
            _v3_insert(tx, "loc_3", "Tomek Deleted", 300.0)
            tx.execute("UPDATE calls SET deleted = 1 WHERE local_id = 'loc_3'")
        assert len(_indexed(db.connection, "tom")) == 2  # version 3's triggers indexed them
    store = LocalStore.open(db_path, build)
    try:
        conn = store.db.connection
        assert user_version(conn) == LATEST_VERSION
        names = {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}
        assert {"search_pending", "calls_search_insert", "calls_search_update"} <= names
        assert not {"calls_fts_insert", "calls_fts_update", "calls_fts_delete"} & names
        assert "calls_account_when" not in names
        # every sort column keeps its index (on the narrow list lines from version 5)
        for column in ("who", "phone", "direction", "duration_s", "note_preview", "account"):
            assert f"call_rows_live_{column}" in names
        hits = store.calls.list_calls(CallQuery(text="tom"))
        assert [c.local_id for c in hits] == ["loc_2", "loc_1"]
        assert store.calls.count_calls(CallQuery(text="invoice")) == 2
        # a call saved after the upgrade goes through the note
        new_id = _save(store, "Tomislav Saved", when=400.0)
        assert _pending(conn) == 1
        hits = store.calls.list_calls(CallQuery(text="tom"))
        assert [c.local_id for c in hits] == [new_id, "loc_2", "loc_1"]
        _integrity(conn)
    finally:
        store.close()


def test_a_bulk_refresh_is_indexed_in_one_go(db_path: Path) -> None:
    store = LocalStore.open(db_path, build)
    try:
        items = []
        for i in range(300):
            fields = {"who": f"Bulk {i}", "when": 1000.0 + i, "note": "pallet"}
            items.append((RemoteCall(f"r{i}", fields, None), row_of(fields), text_of(fields)))
        store.calls.upsert_remote_many("acc", items)
        assert _pending(store.db.connection) == 300
        assert store.search_index.flush() == 300
        assert store.search_index.flush() == 0  # nothing written since
        assert store.calls.count_calls(CallQuery(text="pallet")) == 300
        assert store.calls.list_calls(CallQuery(text="pallet", limit=1))[0].who == "Bulk 299"
    finally:
        store.close()


def test_a_save_on_another_connection_is_found_here(db_path: Path) -> None:
    reader = LocalStore.open(db_path, build)
    writer = LocalStore.open(db_path, build)
    try:
        assert reader.calls.count_calls(CallQuery(text="tamsin")) == 0
        local_id = _save(writer, "Tamsin Other")  # the writer never reads, so never indexes
        assert _indexed(reader.db.connection, "tamsin") == []
        hits = reader.calls.list_calls(CallQuery(text="tamsin"))
        assert [c.local_id for c in hits] == [local_id]
    finally:
        writer.close()
        reader.close()
