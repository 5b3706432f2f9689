"""Schema 5: the call list's lines live in ``call_rows``, written after the save's commit.

A save's durable transaction writes the call, its operation and a note; ``call_rows`` (the narrow
table every list, count and sort reads) follows from the note in the indexing transaction. These
tests read ``call_rows`` with raw SQL where they must show what is (not yet) there, and compare it
with the ``calls`` rows it is derived from after every kind of change.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk.domain.model import OpKind, RemoteCall
from calldesk.store.calls import CallQuery
from calldesk.store.db import Database
from calldesk.store.local import LocalStore
from calldesk.store.migrations import LATEST_VERSION, migrate, row_select_sql, user_version
from calldesk.store.worker import DbWorker

from .conftest import build, row_of, text_of

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _lines(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Every list line held in ``call_rows`` (raw: no catching up)."""
    return [tuple(row) for row in conn.execute("SELECT * FROM call_rows ORDER BY rid")]


def _expected(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """The list lines ``calls`` says there should be."""
    sql = f"SELECT {row_select_sql('calls')} FROM calls ORDER BY rid"
    return [tuple(row) for row in conn.execute(sql)]


def _has_line(conn: sqlite3.Connection, local_id: str) -> bool:
    sql = "SELECT 1 FROM call_rows WHERE local_id = ?"
    return conn.execute(sql, (local_id,)).fetchone() is not None


def _pending(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM search_pending").fetchone()[0])


def _save(store: LocalStore, who: str, when: float = 1000.0, account: str = "acc") -> str:
    fields = {"who": who, "when": when, "outcome": "won"}
    return store.outbox.save_new(account, fields, row_of(fields), text_of(fields)).local_id


def test_the_save_commits_without_its_list_line_and_the_list_still_shows_it(
    db_path: Path,
) -> None:
    store = LocalStore.open(db_path, build)
    try:
        conn = store.db.connection
        local_id = _save(store, "Quentin Raw")
        assert not _has_line(conn, local_id)  # durable: the call, its create and the note only
        assert _pending(conn) == 1
        page = store.calls.list_calls(CallQuery())  # any list query catches up first
        assert [c.local_id for c in page] == [local_id]
        assert page[0].who == "Quentin Raw" and page[0].state.value == "pending"
        second = _save(store, "Rosa Count", when=2000.0)
        assert store.calls.count_calls(CallQuery(not_synced=True)) == 2  # a count catches up too
        assert _has_line(conn, second)
        third = _save(store, "Anna Sorted", when=500.0)
        by_who = store.calls.list_calls(CallQuery(sort="who", descending=False))
        assert [c.local_id for c in by_who] == [third, local_id, second]
        assert _lines(conn) == _expected(conn)
    finally:
        store.close()


def test_a_crash_before_the_lines_are_written_loses_nothing(db_path: Path) -> None:
    store = LocalStore.open(db_path, build)
    local_id = _save(store, "Paula Crash")
    assert not _has_line(store.db.connection, local_id)
    store.db.close()  # the process ends without the indexing transaction
    reopened = LocalStore.open(db_path, build)
    try:
        conn = reopened.db.connection
        assert _pending(conn) == 0
        assert _has_line(conn, local_id)  # opening applied the durable note
        assert _lines(conn) == _expected(conn)
    finally:
        reopened.close()


@pytest.mark.asyncio
async def test_the_worker_writes_a_saves_list_line_before_its_next_job(db_path: Path) -> None:
    def save_and_peek(store: LocalStore) -> tuple[str, bool]:
        local_id = _save(store, "Oskar Worker")
        return local_id, _has_line(store.db.connection, local_id)

    async with await DbWorker.open(db_path, build) as worker:
        local_id, had_line = await worker.run(save_and_peek)
        assert not had_line  # the save's job returned with only the note committed ...
        # ... and the very next job (raw SQL, no catching up of its own) sees the line
        has_line, pending = await worker.run(
            lambda s: (_has_line(s.db.connection, local_id), _pending(s.db.connection))
        )
        assert has_line
        assert pending == 0


def test_every_kind_of_change_keeps_the_lines_exact(db_path: Path) -> None:
    store = LocalStore.open(db_path, build)
    try:
        conn = store.db.connection
        items = []
        for i in range(20):
            fields = {"who": f"Remote {i}", "when": 100.0 + i, "note": "pallet"}
            items.append((RemoteCall(f"r{i}", fields, T0), row_of(fields), text_of(fields)))
        store.calls.upsert_remote_many("acc", items)
        store.calls.upsert_remote_many("other", items[:5])
        new_id = _save(store, "Nadia Fresh", when=300.0)
        store.search_index.flush()
        assert _lines(conn) == _expected(conn)
        # edit, delete, sync state changes and forgetting an account (each list catches up)
        remote_only = CallQuery(accounts=("acc",), text="pallet", limit=2)
        edited = store.calls.list_calls(remote_only)[0].local_id
        fields = {"who": "Edited Name", "when": 50.0, "note": "pallet"}
        store.outbox.save_edit(
            "acc", edited, fields, ("who", "when"), row=row_of(fields), search_text=text_of(fields)
        )
        gone = store.calls.list_calls(remote_only)[1].local_id
        store.outbox.save_delete("acc", gone)
        create = next(op for op in store.outbox.ops_for(new_id) if op.kind == OpKind.CREATE)
        store.outbox.mark_in_flight(create.op_id)
        store.outbox.mark_sent(
            create.op_id, RemoteCall("r-new", {"who": "Nadia Fresh", "when": 300.0}, T0)
        )
        store.calls.forget_account("other")
        assert _lines(conn) != _expected(conn)  # not caught up yet
        store.search_index.flush()
        assert _lines(conn) == _expected(conn)
        assert store.calls.count_calls(CallQuery(accounts=("other",))) == 0
        deleted = store.calls.list_calls(CallQuery(include_deleted=True, accounts=("acc",)))
        assert [c.local_id for c in deleted if c.deleted] == [gone]
        assert store.calls.count_calls(CallQuery(text="pallet")) == 19
        synced = store.calls.list_calls(CallQuery(text="nadia"))
        assert [(c.remote_id, c.state.value) for c in synced] == [("r-new", "synced")]
        first = store.calls.list_calls(CallQuery(sort="when", descending=False, limit=1))[0]
        assert (first.local_id, first.who, first.state.value) == (edited, "Edited Name", "pending")
        conn.execute("INSERT INTO calls_fts(calls_fts) VALUES ('integrity-check')")
    finally:
        store.close()


def test_a_save_on_another_connection_is_listed_here(db_path: Path) -> None:
    reader = LocalStore.open(db_path, build)
    writer = LocalStore.open(db_path, build)
    try:
        assert reader.calls.count_calls(CallQuery()) == 0
        local_id = _save(writer, "Mina Elsewhere")  # the writer never reads, so never indexes
        assert not _has_line(reader.db.connection, local_id)
        assert [c.local_id for c in reader.calls.list_calls(CallQuery())] == [local_id]
        assert reader.calls.count_calls(CallQuery()) == 1
    finally:
        writer.close()
        reader.close()


def _v4_call(conn: sqlite3.Connection, local_id: str, who: str, when: float) -> None:
    conn.execute(
        """INSERT INTO calls (local_id, account, remote_id, fields, state, when_ts, who,
               search_text)
           VALUES (?, 'acc', NULL, '{}', 'pending', ?, ?, ?)""",
        (local_id, when, who, f"{who} about invoices"),
    )
    conn.execute(
        """INSERT INTO outbox (op_id, account, local_id, kind, payload, state, created_at, seq)
           VALUES (?, 'acc', ?, 'create', '{}', 'pending', '2024-05-01T00:00:00.000000Z', 1)""",
        ("op_" + local_id, local_id),
    )


def test_v4_to_v5_moves_the_list_to_call_rows_and_keeps_every_operation(db_path: Path) -> None:
    with Database(db_path, migrate=False) as db:
        assert migrate(db, target=4) == 4
        with db.transaction() as tx:
            _v4_call(tx, "loc_1", "Lena Older", 100.0)
            _v4_call(tx, "loc_2", "Lars Newer", 200.0)
            _v4_call(tx, "loc_3", "Liv Deleted", 300.0)
            tx.execute("UPDATE calls SET deleted = 1 WHERE local_id = 'loc_3'")
        assert _pending(db.connection) == 3  # version 4 left its notes unapplied (a crash)
        ops_before = db.query("SELECT * FROM outbox ORDER BY op_id")
    store = LocalStore.open(db_path, build)
    try:
        conn = store.db.connection
        assert user_version(conn) == LATEST_VERSION
        names = {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "call_rows_live_when" in names
        assert not {name for name in names if name.startswith("calls_live_")}
        outbox_sql = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
        ).fetchone()[0]
        assert "WITHOUT ROWID" in outbox_sql
        assert "outbox_account_state" in names
        ops_after = store.db.query("SELECT * FROM outbox ORDER BY op_id")
        assert [tuple(row)[:14] for row in ops_after] == [tuple(row) for row in ops_before]
        assert _lines(conn) == _expected(conn)
        page = store.calls.list_calls(CallQuery())
        assert [c.local_id for c in page] == ["loc_2", "loc_1"]
        assert store.calls.count_calls(CallQuery(include_deleted=True)) == 3
        assert [c.local_id for c in store.calls.list_calls(CallQuery(text="l"))] == [
            "loc_2",
            "loc_1",
        ]
        # the operations still work on the rebuilt outbox; the call cascades with its ops
        assert store.outbox.get("op_loc_1") is not None
        new_id = _save(store, "Lotta Saved", when=400.0)
        assert store.calls.list_calls(CallQuery(limit=1))[0].local_id == new_id
        assert store.outbox.counts().pending == 4
        with store.db.transaction() as tx:
            tx.execute("DELETE FROM calls WHERE local_id = 'loc_1'")
        assert store.outbox.get("op_loc_1") is None
        assert store.calls.count_calls(CallQuery()) == 2
    finally:
        store.close()


def _segments(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(DISTINCT segid) FROM calls_fts_idx").fetchone()
    return int(row[0])


def test_a_bulk_refresh_leaves_the_search_index_merged(db_path: Path) -> None:
    from calldesk.store.search import MERGE_AFTER

    store = LocalStore.open(db_path, build)
    try:
        conn = store.db.connection
        for batch in range(3):  # small refreshes: several segments, merged only by automerge
            items = []
            for i in range(50):
                n = batch * 50 + i
                fields = {"who": f"Small {n}", "when": 10.0 + n, "note": "crate"}
                items.append((RemoteCall(f"s{n}", fields, T0), row_of(fields), text_of(fields)))
            store.calls.upsert_remote_many("acc", items)
            store.search_index.flush()
        assert _segments(conn) > 1
        bulk = []
        for i in range(MERGE_AFTER):
            fields = {"who": f"Bulk {i}", "when": 1000.0 + i, "note": "pallet jack"}
            bulk.append((RemoteCall(f"b{i}", fields, T0), row_of(fields), text_of(fields)))
        store.calls.upsert_remote_many("acc", bulk)
        assert store.search_index.flush() == MERGE_AFTER
        assert _segments(conn) == 1
        found = store.calls.count_calls(CallQuery(text="pallet jack"))
        assert found == MERGE_AFTER
        assert store.calls.count_calls(CallQuery(text="crate")) == 150
    finally:
        store.close()
