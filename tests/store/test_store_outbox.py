"""The outbox: merge rules, per-record order, draining, failures and crash durability."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calldesk.domain.model import OpKind, OpState, RemoteCall, SyncState, WireFields
from calldesk.store.db import StoreBugError
from calldesk.store.local import LocalStore
from calldesk.store.outbox import INTERRUPTED

from .conftest import build, row_of, text_of

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def new(store: LocalStore, fields: WireFields, account: str = "acc") -> str:
    return store.outbox.save_new(account, fields, row_of(fields), text_of(fields)).local_id


def edit(store: LocalStore, local_id: str, changes: WireFields, account: str = "acc"):  # type: ignore[no-untyped-def]
    record = store.calls.get(local_id)
    assert record is not None
    fields = {**record.fields, **changes}
    return store.outbox.save_edit(
        account, local_id, fields, changes.keys(), row=row_of(fields), search_text=text_of(fields)
    )


def synced(store: LocalStore, remote_id: str, fields: WireFields, at: datetime = T0) -> str:
    record = store.calls.upsert_remote(
        "acc", RemoteCall(remote_id, fields, at), row_of(fields), text_of(fields)
    )
    return record.local_id


def send(store: LocalStore, remote: RemoteCall | None = None, account: str = "acc") -> str:
    """Drain exactly one ready op as the sync engine would; return its op id."""
    ready = store.outbox.ready_ops(account, LATER)
    assert ready, "nothing ready"
    op = store.outbox.mark_in_flight(ready[0].op_id)
    store.outbox.mark_sent(op.op_id, remote)
    return op.op_id


def kinds(store: LocalStore, local_id: str) -> list[OpKind]:
    return [op.kind for op in store.outbox.ops_for(local_id)]


def state(store: LocalStore, local_id: str) -> SyncState:
    record = store.calls.get(local_id)
    assert record is not None
    return record.state


# -- merge rules ---------------------------------------------------------------------------


def test_update_plus_update_merges_later_wins(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann", "note": "a", "outcome": "x"})
    first = edit(store, local_id, {"note": "b", "outcome": "y"})
    second = edit(store, local_id, {"note": "c"})
    ops = store.outbox.ops_for(local_id)
    assert len(ops) == 1
    assert ops[0].op_id == first.op_id == second.op_id
    assert ops[0].payload == {"note": "c", "outcome": "y"}
    assert ops[0].base_updated_at == T0
    assert ops[0].remote_id == "r1"
    assert state(store, local_id) == SyncState.PENDING
    record = store.calls.get(local_id)
    assert record is not None and record.fields == {"who": "Ann", "note": "c", "outcome": "y"}


def test_create_plus_update_is_one_create(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann", "note": "a"})
    edit(store, local_id, {"note": "b"})
    ops = store.outbox.ops_for(local_id)
    assert [op.kind for op in ops] == [OpKind.CREATE]
    assert ops[0].payload == {"who": "Ann", "note": "b"}


def test_create_plus_delete_sends_nothing(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann"})
    edit(store, local_id, {"note": "b"})
    store.drafts.save("d1", "acc", {"note": "half"}, local_id=local_id)
    assert store.outbox.save_delete("acc", local_id) is None
    assert store.calls.get(local_id) is None
    assert store.outbox.list_ops() == []
    assert store.drafts.get("d1") is None


def test_delete_replaces_pending_updates(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    edit(store, local_id, {"note": "b"})
    delete = store.outbox.save_delete("acc", local_id)
    assert delete is not None
    assert kinds(store, local_id) == [OpKind.DELETE]
    assert delete.remote_id == "r1"
    record = store.calls.get(local_id)
    assert record is not None and record.deleted
    assert store.calls.list_calls() == []  # hidden from the list
    with pytest.raises(StoreBugError):
        edit(store, local_id, {"note": "c"})


def test_upload_never_merges_and_waits_for_create(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann"})
    upload = store.outbox.save_upload("acc", local_id, "/rec/a.mp3")
    edit(store, local_id, {"note": "n"})
    assert kinds(store, local_id) == [OpKind.CREATE, OpKind.UPLOAD]
    assert upload.remote_id is None
    # only the create is ready; the upload is not the head
    assert [op.kind for op in store.outbox.ready_ops("acc", LATER)] == [OpKind.CREATE]
    create = store.outbox.mark_in_flight(store.outbox.ready_ops("acc", LATER)[0].op_id)
    assert store.outbox.ready_ops("acc", LATER) == []  # nothing else of the record at once
    store.outbox.mark_sent(create.op_id, RemoteCall("r9", {"who": "Ann", "note": "n"}, T0))
    ready = store.outbox.ready_ops("acc", LATER)
    assert [(op.kind, op.remote_id, op.file_path) for op in ready] == [
        (OpKind.UPLOAD, "r9", "/rec/a.mp3")
    ]
    record = store.calls.get(local_id)
    assert record is not None and record.remote_id == "r9"


def test_second_upload_is_a_separate_op(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    store.outbox.save_upload("acc", local_id, "/a")
    store.outbox.save_upload("acc", local_id, "/b")
    assert [op.file_path for op in store.outbox.ops_for(local_id)] == ["/a", "/b"]


# -- in flight blocks merging; order per record ----------------------------------------------


def test_in_flight_blocks_merging(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    first = edit(store, local_id, {"note": "b"})
    store.outbox.mark_in_flight(first.op_id)
    assert state(store, local_id) == SyncState.IN_FLIGHT
    second = edit(store, local_id, {"note": "c"})
    third = edit(store, local_id, {"outcome": "won"})
    assert second.op_id != first.op_id
    assert len({first.op_id, second.op_id, third.op_id}) == 3  # queued behind, unmerged
    ops = store.outbox.ops_for(local_id)
    assert [op.op_id for op in ops] == [first.op_id, second.op_id, third.op_id]
    assert [op.payload for op in ops] == [{"note": "b"}, {"note": "c"}, {"outcome": "won"}]
    record = store.calls.get(local_id)
    assert record is not None and record.fields == {"who": "Ann", "note": "c", "outcome": "won"}
    # once the in-flight one is sent, the rest go one by one, in order
    store.outbox.mark_sent(first.op_id, RemoteCall("r1", {"who": "Ann", "note": "b"}, T0))
    assert [op.op_id for op in store.outbox.ready_ops("acc", LATER)] == [second.op_id]
    assert send(store) == second.op_id
    assert send(store) == third.op_id
    assert state(store, local_id) == SyncState.SYNCED


def test_delete_behind_in_flight_create_is_queued_not_vanished(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann"})
    create = store.outbox.mark_in_flight(store.outbox.ready_ops("acc", LATER)[0].op_id)
    delete = store.outbox.save_delete("acc", local_id)
    assert delete is not None and delete.remote_id is None
    assert kinds(store, local_id) == [OpKind.CREATE, OpKind.DELETE]
    store.outbox.mark_sent(create.op_id, RemoteCall("r5", {"who": "Ann"}, T0))
    ready = store.outbox.ready_ops("acc", LATER)
    assert [(op.kind, op.remote_id) for op in ready] == [(OpKind.DELETE, "r5")]
    send_id = store.outbox.mark_in_flight(ready[0].op_id).op_id
    assert store.outbox.mark_sent(send_id, None) is None
    assert store.calls.get(local_id) is None


def test_ready_ops_respects_order_and_next_attempt(store: LocalStore) -> None:
    a = synced(store, "ra", {"who": "A"})
    b = synced(store, "rb", {"who": "B"})
    op_a = edit(store, a, {"note": "1"})
    store.outbox.save_upload("acc", a, "/x")
    op_b = edit(store, b, {"note": "2"})
    ready = store.outbox.ready_ops("acc", LATER)
    assert [op.op_id for op in ready] == [op_a.op_id, op_b.op_id]
    store.outbox.mark_in_flight(op_a.op_id)
    store.outbox.reschedule(op_a.op_id, T0 + timedelta(minutes=5), "503")
    assert [op.op_id for op in store.outbox.ready_ops("acc", T0)] == [op_b.op_id]
    due = store.outbox.ready_ops("acc", T0 + timedelta(minutes=5))
    assert [op.op_id for op in due] == [op_a.op_id, op_b.op_id]
    assert store.outbox.get(op_a.op_id).last_error == "503"  # type: ignore[union-attr]
    assert store.outbox.ready_ops("other", LATER) == []
    assert len(store.outbox.ready_ops("acc", LATER, limit=1)) == 1


def test_mark_in_flight_only_the_head(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    edit(store, local_id, {"note": "b"})
    upload = store.outbox.save_upload("acc", local_id, "/x")
    with pytest.raises(StoreBugError):
        store.outbox.mark_in_flight(upload.op_id)
    head = store.outbox.ready_ops("acc", LATER)[0]
    taken = store.outbox.mark_in_flight(head.op_id)
    assert taken is not None and taken.attempts == 1
    # Taken already (by this store here; by another calldesk process alike): nothing to send.
    assert store.outbox.mark_in_flight(head.op_id) is None


# -- sent, failed, retry, discard, edit ------------------------------------------------------


def test_sent_create_becomes_synced_with_crm_fields(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann", "phone": "+1 555-0100"})
    assert state(store, local_id) == SyncState.PENDING
    send(store, RemoteCall("r1", {"who": "Ann", "phone": "+15550100"}, T0))
    record = store.calls.get(local_id)
    assert record is not None
    assert record.state == SyncState.SYNCED
    assert record.remote_id == "r1"
    assert record.remote_updated_at == T0
    assert record.fields == {"who": "Ann", "phone": "+15550100"}
    assert store.outbox.counts().total == 0
    row = store.calls.row(local_id)
    assert row is not None and row.phone == "+15550100"  # columns rebuilt by the builder


def test_queued_edit_survives_create_being_sent(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann"})
    create = store.outbox.mark_in_flight(store.outbox.ready_ops("acc", LATER)[0].op_id)
    edit(store, local_id, {"note": "late"})
    store.outbox.mark_sent(create.op_id, RemoteCall("r1", {"who": "Ann", "x": 1}, T0))
    record = store.calls.get(local_id)
    assert record is not None
    assert record.fields == {"who": "Ann", "x": 1, "note": "late"}
    assert record.state == SyncState.PENDING
    (update,) = store.outbox.ops_for(local_id)
    assert (update.remote_id, update.base_updated_at) == ("r1", T0)


def test_failed_update_takes_new_edit_and_goes_pending(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    op = edit(store, local_id, {"duration": -5})
    store.outbox.mark_in_flight(op.op_id)
    store.outbox.mark_failed(op.op_id, OpState.FAILED, "duration must be positive")
    assert state(store, local_id) == SyncState.FAILED
    assert store.calls.list_calls(store_query_failed())[0].local_id == local_id
    merged = edit(store, local_id, {"duration": 5})
    assert merged.op_id == op.op_id
    assert merged.state == OpState.PENDING
    assert merged.payload == {"duration": 5}
    assert merged.last_error is None
    assert merged.attempts == 1
    assert state(store, local_id) == SyncState.PENDING


def store_query_failed():  # type: ignore[no-untyped-def]
    from calldesk.store.calls import CallQuery

    return CallQuery(states=(SyncState.FAILED,))


def test_retry_and_edit_payload(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    op = edit(store, local_id, {"note": "x"})
    store.outbox.mark_in_flight(op.op_id)
    store.outbox.mark_failed(op.op_id, OpState.NEEDS_AUTH, "401")
    assert store.outbox.ready_ops("acc", LATER) == []
    assert state(store, local_id) == SyncState.NEEDS_AUTH
    retried = store.outbox.retry(op.op_id)
    assert retried.state == OpState.PENDING and retried.last_error is None
    store.outbox.mark_in_flight(op.op_id)
    store.outbox.mark_failed(op.op_id, OpState.FAILED, "note too long")
    with pytest.raises(StoreBugError):
        store.outbox.retry("op_missing")
    edited = store.outbox.edit_payload(op.op_id, {"note": "short"})
    assert (edited.state, edited.payload) == (OpState.PENDING, {"note": "short"})
    record = store.calls.get(local_id)
    assert record is not None and record.fields == {"who": "Ann", "note": "short"}
    assert state(store, local_id) == SyncState.PENDING


def test_discard_update_restores_remote_fields(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann", "note": "orig"})
    op = edit(store, local_id, {"note": "mine"})
    store.outbox.discard(op.op_id)
    record = store.calls.get(local_id)
    assert record is not None
    assert record.fields == {"who": "Ann", "note": "orig"}
    assert record.state == SyncState.SYNCED
    assert store.calls.search("mine") == []
    assert [c.local_id for c in store.calls.search("orig")] == [local_id]


def test_discard_never_sent_create_removes_record(store: LocalStore) -> None:
    local_id = new(store, {"who": "Ann"})
    store.outbox.save_upload("acc", local_id, "/x")
    store.outbox.discard(store.outbox.ops_for(local_id)[0].op_id)
    assert store.calls.get(local_id) is None
    assert store.outbox.list_ops() == []


def test_discard_delete_undeletes(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    op = store.outbox.save_delete("acc", local_id)
    assert op is not None
    store.outbox.discard(op.op_id)
    record = store.calls.get(local_id)
    assert record is not None and not record.deleted and record.state == SyncState.SYNCED


def test_in_flight_cannot_be_discarded_or_edited(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    op = store.outbox.mark_in_flight(edit(store, local_id, {"note": "x"}).op_id)
    with pytest.raises(StoreBugError):
        store.outbox.discard(op.op_id)
    with pytest.raises(StoreBugError):
        store.outbox.edit_payload(op.op_id, {})
    assert [o.op_id for o in store.outbox.in_flight_ops("acc")] == [op.op_id]


def test_counts_and_list_ops(store: LocalStore) -> None:
    a = synced(store, "ra", {"who": "A"})
    b = synced(store, "rb", {"who": "B"})
    new(store, {"who": "C"}, account="other")
    op_a = store.outbox.mark_in_flight(edit(store, a, {"note": "1"}).op_id)
    op_b = store.outbox.mark_in_flight(edit(store, b, {"note": "2"}).op_id)
    store.outbox.mark_failed(op_b.op_id, OpState.CONFLICT, "gone")
    counts = store.outbox.counts()
    assert (counts.pending, counts.in_flight, counts.conflict, counts.total) == (1, 1, 1, 3)
    assert store.outbox.counts("acc").pending == 0
    assert [op.op_id for op in store.outbox.list_ops(states=(OpState.IN_FLIGHT,))] == [op_a.op_id]
    assert [op.account for op in store.outbox.list_ops(account="other")] == ["other"]
    assert state(store, b) == SyncState.CONFLICT
    with pytest.raises(StoreBugError):
        store.outbox.mark_failed(op_a.op_id, OpState.SENT, "no")


def test_resume_needs_auth(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    op = store.outbox.mark_in_flight(edit(store, local_id, {"note": "1"}).op_id)
    store.outbox.mark_failed(op.op_id, OpState.NEEDS_AUTH, "401")
    assert store.outbox.resume_needs_auth("acc") == 1
    assert [o.op_id for o in store.outbox.ready_ops("acc", LATER)] == [op.op_id]


# -- refresh conflicts -----------------------------------------------------------------------


def test_refresh_does_not_clobber_pending_edit(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann", "note": "orig"})
    edit(store, local_id, {"note": "mine"})
    synced(store, "r1", {"who": "Ann", "note": "orig"}, at=T0)  # same version again
    record = store.calls.get(local_id)
    assert record is not None
    assert record.fields["note"] == "mine" and record.state == SyncState.PENDING


def test_refresh_with_newer_crm_version_is_a_conflict(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann", "note": "orig", "outcome": "x"})
    op = edit(store, local_id, {"note": "mine"})
    newer = T0 + timedelta(hours=1)
    synced(store, "r1", {"who": "Ann B", "note": "theirs", "outcome": "x"}, at=newer)
    record = store.calls.get(local_id)
    assert record is not None
    assert record.state == SyncState.CONFLICT
    assert record.fields["note"] == "mine"  # the local view is kept
    conflict = store.calls.conflict(local_id)
    assert conflict is not None
    assert conflict.remote_fields["note"] == "theirs"
    assert conflict.base_fields["note"] == "orig"
    assert conflict.remote_updated_at == newer
    assert store.outbox.get(op.op_id).state == OpState.CONFLICT  # type: ignore[union-attr]
    assert store.outbox.ready_ops("acc", LATER) == []
    # field by field: keep my note, take their name
    resolved = store.calls.resolve_conflict(
        local_id, {"who": "Ann B", "note": "mine", "outcome": "x"}
    )
    assert resolved is not None
    assert resolved.payload == {"note": "mine"}
    assert resolved.base_updated_at == newer
    record = store.calls.get(local_id)
    assert record is not None
    assert record.fields == {"who": "Ann B", "note": "mine", "outcome": "x"}
    assert record.state == SyncState.PENDING
    assert store.calls.conflict(local_id) is None
    assert [o.op_id for o in store.outbox.ready_ops("acc", LATER)] == [resolved.op_id]


def test_resolving_with_crm_version_sends_nothing(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann"})
    edit(store, local_id, {"who": "Mine"})
    synced(store, "r1", {"who": "Theirs"}, at=T0 + timedelta(seconds=1))
    assert store.calls.resolve_conflict(local_id, {"who": "Theirs"}) is None
    record = store.calls.get(local_id)
    assert record is not None
    assert (record.fields, record.state) == ({"who": "Theirs"}, SyncState.SYNCED)


def test_retry_conflict_sends_mine_over_theirs(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann", "note": "orig"})
    op = edit(store, local_id, {"note": "mine"})
    synced(store, "r1", {"who": "Zed", "note": "theirs"}, at=T0 + timedelta(seconds=1))
    store.outbox.retry(op.op_id)
    record = store.calls.get(local_id)
    assert record is not None
    assert record.fields == {"who": "Zed", "note": "mine"}
    assert record.state == SyncState.PENDING


def test_refresh_without_local_ops_updates_view(store: LocalStore) -> None:
    local_id = synced(store, "r1", {"who": "Ann", "note": "old"})
    assert synced(store, "r1", {"who": "Ann", "note": "new"}, at=T0 + timedelta(1)) == local_id
    record = store.calls.get(local_id)
    assert record is not None and record.fields["note"] == "new"
    assert [c.local_id for c in store.calls.search("new")] == [local_id]


# -- crash durability ------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from calldesk.store.local import LocalStore
    from calldesk.store.records import CallRow

    store = LocalStore.open(Path(sys.argv[1]))
    op = store.outbox.save_new("acc", {"who": "Crash"}, CallRow(who="Crash"), "Crash")
    print(op.op_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_save_survives_a_killed_process(db_path: Path) -> None:
    LocalStore.open(db_path).close()
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == -signal.SIGKILL
    op_id = result.stdout.strip()
    assert op_id.startswith("op_")
    store = LocalStore.open(db_path)
    try:
        op = store.outbox.get(op_id)
        assert op is not None and op.kind == OpKind.CREATE and op.payload == {"who": "Crash"}
        record = store.calls.get(op.local_id)
        assert record is not None and record.state == SyncState.PENDING
    finally:
        store.close()


def test_an_op_left_in_flight_by_a_closed_store_shows_interrupted_on_reopen(
    db_path: Path,
) -> None:
    store = LocalStore.open(db_path, build)
    op = store.outbox.save_new("acc", {"who": "A"}, row_of({"who": "A"}), "A")
    store.outbox.mark_in_flight(op.op_id)
    store.close()
    store = LocalStore.open(db_path, build)
    try:
        assert store.outbox.in_flight_ops("acc") == []
        (left,) = store.outbox.list_ops(account="acc")
        assert (left.op_id, left.state, left.attempts) == (op.op_id, OpState.PENDING, 1)
        assert left.last_error == INTERRUPTED
    finally:
        store.close()


def test_an_op_another_open_store_sends_stays_in_flight(db_path: Path) -> None:
    """Two open stores on one file (two calldesk processes): neither resets the other's op."""
    sender = LocalStore.open(db_path, build)
    try:
        op = sender.outbox.save_new("acc", {"who": "A"}, row_of({"who": "A"}), "A")
        sender.outbox.mark_in_flight(op.op_id)
        other = LocalStore.open(db_path, build)
        try:
            assert other.outbox.recover_interrupted("acc", mine=True) == 0
            assert [o.op_id for o in other.outbox.in_flight_ops("acc")] == [op.op_id]
            assert other.outbox.mark_in_flight(op.op_id) is None
        finally:
            other.close()
        # Its own engine starting afresh takes back what it had in flight.
        assert sender.outbox.recover_interrupted("acc", mine=True) == 1
    finally:
        sender.close()


def test_next_attempt_at_is_the_earliest_pending_op_of_the_account(store: LocalStore) -> None:
    assert store.outbox.next_attempt_at("acc") is None
    first = new(store, {"who": "A"})
    second = new(store, {"who": "B"})
    new(store, {"who": "C"}, account="other")
    ops = {op.local_id: op for op in store.outbox.list_ops(account="acc")}
    later = datetime(2031, 1, 1, tzinfo=UTC)
    store.outbox.reschedule(ops[first].op_id, later, "5xx")
    # never tried: due since it was created
    assert store.outbox.next_attempt_at("acc") == ops[second].created_at
    store.outbox.mark_failed(ops[second].op_id, OpState.FAILED, "refused")
    assert store.outbox.next_attempt_at("acc") == later  # failed ops wait for the rep
    store.outbox.reschedule(ops[first].op_id, later - timedelta(days=1), "5xx")
    assert store.outbox.next_attempt_at("acc") == later - timedelta(days=1)


def test_clearing_a_field_of_a_queued_create_leaves_it_out(store: LocalStore) -> None:
    local_id = new(store, {"who": "A", "phone": "+1", "note": "x"})
    edit(store, local_id, {"phone": None})
    ops = store.outbox.ops_for(local_id)
    assert [op.kind for op in ops] == [OpKind.CREATE]
    assert "phone" not in ops[0].payload and ops[0].payload["note"] == "x"
