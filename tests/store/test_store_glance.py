"""The first look at the database (``calldesk.store.glance``): the same newest lines the store
lists, the outbox counts, and ``None`` whenever the quick look could differ from the store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from calldesk.domain.model import OpState, RemoteCall
from calldesk.store.calls import CallQuery
from calldesk.store.glance import GLANCE_SCHEMA, glance
from calldesk.store.local import LocalStore
from calldesk.store.migrations import LATEST_VERSION

from .conftest import build, row_of, text_of

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _fill(store: LocalStore, n: int) -> None:
    for number in range(n):
        fields = {"who": f"Person {number}", "when": 1_700_000_000 + number * 60, "duration": 30}
        store.calls.upsert_remote("acc", RemoteCall(str(number), fields, T0), *build("acc", fields))


def test_it_reads_what_the_store_lists_first(store: LocalStore, db_path: Path) -> None:
    _fill(store, 30)
    store.calls.upsert_remote(  # same minute as another call: the tie is broken the same way
        "acc",
        RemoteCall("tie", {"who": "Tie", "when": 1_700_000_000 + 29 * 60}, T0),
        *build("acc", {"who": "Tie", "when": 1_700_000_000 + 29 * 60}),
    )
    gone = store.calls.upsert_remote(
        "acc",
        RemoteCall("x", {"who": "Gone", "when": 1_800_000_000}, T0),
        *build("acc", {"who": "Gone", "when": 1_800_000_000}),
    )
    store.outbox.save_delete("acc", gone.local_id)
    expected = store.calls.list_calls(CallQuery(limit=10))
    seen = glance(db_path, 10)
    assert seen is not None
    assert [tuple(row) for row in seen.rows] == [tuple(row) for row in expected]
    assert "Gone" not in {row.who for row in seen.rows}


def test_it_counts_waiting_and_stopped_operations(store: LocalStore, db_path: Path) -> None:
    _fill(store, 3)
    for who in ("A", "B", "C"):
        store.outbox.save_new("acc", {"who": who}, row_of({"who": who}), text_of({"who": who}))
    ready = store.outbox.ready_ops("acc", datetime(2100, 1, 1, tzinfo=UTC))
    store.outbox.mark_failed(
        store.outbox.mark_in_flight(ready[0].op_id).op_id, OpState.FAILED, "no"
    )
    store.outbox.mark_in_flight(ready[1].op_id)
    store.calls.list_calls(CallQuery())  # the list lines catch up with the saves
    seen = glance(db_path, 60)
    assert seen is not None
    assert (seen.pending, seen.failed) == (2, 1)  # one pending + one in flight; one failed
    assert len(seen.rows) == 6


def test_it_declines_while_a_saves_list_line_is_not_written(
    store: LocalStore, db_path: Path
) -> None:
    _fill(store, 2)
    store.calls.list_calls(CallQuery())
    store.outbox.save_new("acc", {"who": "New"}, row_of({"who": "New"}), text_of({"who": "New"}))
    assert glance(db_path, 60) is None  # the store would show the new call; the glance could not
    store.calls.list_calls(CallQuery())
    seen = glance(db_path, 60)
    assert seen is not None and "New" in {row.who for row in seen.rows}


def test_no_file_is_no_glance_and_no_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "data" / "calldesk.sqlite3"
    assert glance(path, 60) is None
    assert not path.exists() and not path.parent.exists()


def test_another_schema_version_or_a_damaged_file_is_no_glance(
    store: LocalStore, db_path: Path
) -> None:
    _fill(store, 2)
    store.close()
    assert glance(db_path, 60) is not None
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {GLANCE_SCHEMA - 1}")
    conn.close()
    assert glance(db_path, 60) is None
    db_path.write_bytes(b"not a database" * 100)
    assert glance(db_path, 60) is None


def test_the_glance_reads_the_latest_schema() -> None:
    assert GLANCE_SCHEMA == LATEST_VERSION


def test_a_home_with_spaces_and_url_characters_is_read(tmp_path: Path) -> None:
    path = tmp_path / "Dana's calls #1 ?50% off" / "calldesk.sqlite3"
    store = LocalStore.open(path, build)
    try:
        _fill(store, 3)
    finally:
        store.close()
    seen = glance(path, 60)
    assert seen is not None and len(seen.rows) == 3
