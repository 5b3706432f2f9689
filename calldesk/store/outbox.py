"""The durable outbox: every save is queued here, in the same transaction as the local change.

Saving (:meth:`Outbox.save_new`, :meth:`~Outbox.save_edit`, :meth:`~Outbox.save_delete`,
:meth:`~Outbox.save_upload`) writes the cached record and its operation together and commits
(WAL + ``synchronous=FULL``) before returning, so a save survives a crash the moment it returns.

Merge rules, applied only while none of the record's operations is in flight (otherwise the new
operation queues behind, unmerged):

* update + update → one update, fields merged (later wins);
* create + update → one create;
* create + delete → nothing is sent: both vanish and the local record is removed;
* delete → replaces the updates (and uploads) queued before it;
* an upload never merges; it waits until its create has a CRM id.

A failed (or needs-auth) update/create stays editable: a new edit merges into it and sets it
pending again. The sync engine drains with :meth:`~Outbox.ready_ops` (the head operation of
each record only), :meth:`~Outbox.mark_in_flight` (durable before the request is sent),
:meth:`~Outbox.mark_sent`, :meth:`~Outbox.reschedule` and :meth:`~Outbox.mark_failed`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from calldesk.domain.model import (
    CallRecord,
    JSONValue,
    Operation,
    OpKind,
    OpState,
    RemoteCall,
    SyncState,
    new_local_id,
    new_op_id,
    utcnow,
)
from calldesk.store.db import (
    Database,
    StoreBugError,
    decode_json,
    decode_time,
    encode_json,
    encode_time,
)
from calldesk.store.records import (
    CallRow,
    RowBuilder,
    delete_ops,
    fetch_call,
    fetch_op,
    insert_call,
    insert_op,
    op_from_row,
    rebuild_view,
    record_from_row,
    record_ops,
    refresh_state,
    require_call,
    update_op,
    write_fields,
)

_MERGEABLE = (OpState.PENDING, OpState.FAILED, OpState.NEEDS_AUTH)
_STOPPED = (OpState.FAILED, OpState.CONFLICT, OpState.NEEDS_AUTH)


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """How many operations are in each unsent state."""

    pending: int = 0
    in_flight: int = 0
    failed: int = 0
    conflict: int = 0
    needs_auth: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.in_flight + self.failed + self.conflict + self.needs_auth


def _reset(op: Operation, payload: Mapping[str, JSONValue] | None = None) -> Operation:
    """Return ``op`` pending again, due now, with its last error cleared."""
    return replace(
        op,
        state=OpState.PENDING,
        next_attempt_at=None,
        last_error=None,
        payload=op.payload if payload is None else dict(payload),
    )


#: The reason an operation shows after the calldesk that was sending it stopped mid-way.
INTERRUPTED = "interrupted, will be checked"


class Outbox:
    """The queue of saves waiting to reach the CRMs (synchronous; one thread)."""

    def __init__(
        self,
        db: Database,
        builder: RowBuilder | None = None,
        *,
        owner: str | None = None,
        owner_alive: Callable[[str], bool] = lambda _token: False,
    ) -> None:
        self._db = db
        self._builder = builder
        #: This open store's lease token, written on every op it takes in flight.
        self._owner = owner
        self._owner_alive = owner_alive

    # -- saving ----------------------------------------------------------------------------

    def save_new(
        self,
        account: str,
        fields: Mapping[str, JSONValue],
        row: CallRow,
        search_text: str,
        *,
        local_id: str | None = None,
    ) -> Operation:
        """Store a new call and queue its create; ``local_id`` defaults to a fresh one."""
        local_id = local_id or new_local_id()
        op = Operation(
            op_id=new_op_id(),
            account=account,
            local_id=local_id,
            remote_id=None,
            kind=OpKind.CREATE,
            payload=dict(fields),
            state=OpState.PENDING,
            created_at=utcnow(),
        )
        with self._db.transaction() as conn:
            insert_call(
                conn,
                local_id=local_id,
                account=account,
                remote_id=None,
                fields=fields,
                remote_fields=None,
                remote_updated_at=None,
                fetched_at=None,
                state=SyncState.PENDING,
                row=row,
                search_text=search_text,
            )
            insert_op(conn, op)
            conn.execute("DELETE FROM drafts WHERE local_id = ?", (local_id,))
        return op

    def save_edit(
        self,
        account: str,
        local_id: str,
        new_fields: Mapping[str, JSONValue],
        changed_fields: Iterable[str],
        *,
        row: CallRow,
        search_text: str,
    ) -> Operation:
        """Store an edit (``new_fields`` is the whole new local view) and queue or merge it.

        Returns the operation that now carries the change (a merged one keeps its id).
        """
        changes: dict[str, JSONValue] = {name: new_fields.get(name) for name in changed_fields}
        with self._db.transaction() as conn:
            call = self._require(conn, account, local_id)
            if call["deleted"]:
                raise StoreBugError(f"call {local_id!r} is deleted; it cannot be edited")
            ops = record_ops(conn, local_id)
            target = None
            if not any(op.state == OpState.IN_FLIGHT for op in ops):
                target = next(
                    (op for op in reversed(ops) if op.kind in (OpKind.CREATE, OpKind.UPDATE)),
                    None,
                )
                if target is not None and target.state not in _MERGEABLE:
                    target = None
            if target is not None:
                merged = {**target.payload, **changes}
                if target.kind == OpKind.CREATE:  # a create leaves out what was cleared
                    merged = {name: value for name, value in merged.items() if value is not None}
                op = _reset(target, payload=merged)
                update_op(conn, op)
            else:
                op = Operation(
                    op_id=new_op_id(),
                    account=account,
                    local_id=local_id,
                    remote_id=call["remote_id"],
                    kind=OpKind.UPDATE,
                    payload=changes,
                    state=OpState.PENDING,
                    created_at=utcnow(),
                    base_updated_at=decode_time(call["remote_updated_at"]),
                )
                insert_op(conn, op)
            write_fields(conn, local_id, new_fields, row, search_text)
            conn.execute("DELETE FROM drafts WHERE local_id = ?", (local_id,))
            refresh_state(conn, local_id)
        return op

    def save_delete(self, account: str, local_id: str) -> Operation | None:
        """Delete a call locally and queue its delete.

        Returns ``None`` when nothing needs sending (the call was never created in the CRM: its
        create and every later operation vanish with the local record).
        """
        with self._db.transaction() as conn:
            call = self._require(conn, account, local_id)
            if call["deleted"]:
                raise StoreBugError(f"call {local_id!r} is already deleted")
            ops = record_ops(conn, local_id)
            if not any(op.state == OpState.IN_FLIGHT for op in ops):
                if any(op.kind == OpKind.CREATE for op in ops):
                    self._remove_record(conn, local_id)
                    return None
                delete_ops(conn, (op.op_id for op in ops))
            op = Operation(
                op_id=new_op_id(),
                account=account,
                local_id=local_id,
                remote_id=call["remote_id"],
                kind=OpKind.DELETE,
                payload={},
                state=OpState.PENDING,
                created_at=utcnow(),
                base_updated_at=decode_time(call["remote_updated_at"]),
            )
            insert_op(conn, op)
            conn.execute("UPDATE calls SET deleted = 1 WHERE local_id = ?", (local_id,))
            conn.execute("DELETE FROM drafts WHERE local_id = ?", (local_id,))
            refresh_state(conn, local_id)
        return op

    def save_upload(self, account: str, local_id: str, file_path: str) -> Operation:
        """Queue the upload of a recording (calldesk's own copy at ``file_path``)."""
        with self._db.transaction() as conn:
            call = self._require(conn, account, local_id)
            if call["deleted"]:
                raise StoreBugError(f"call {local_id!r} is deleted; nothing to attach to")
            op = Operation(
                op_id=new_op_id(),
                account=account,
                local_id=local_id,
                remote_id=call["remote_id"],
                kind=OpKind.UPLOAD,
                payload={},
                state=OpState.PENDING,
                created_at=utcnow(),
                file_path=file_path,
            )
            insert_op(conn, op)
            refresh_state(conn, local_id)
        return op

    # -- draining (the sync engine) --------------------------------------------------------

    def ready_ops(
        self,
        account: str,
        now: datetime | None = None,
        limit: int = 100,
        *,
        exclude: Collection[str] = (),
    ) -> list[Operation]:
        """Return the operations that may be sent now: each record's head op, if it is due.

        Never two operations of one record; a record whose head is failed, in conflict,
        needs-auth or in flight contributes nothing; nor does a record in ``exclude`` (local
        ids: those the rep's sync round already tried). Oldest first, at most ``limit``.
        """
        rows = self._db.query(
            """SELECT o.* FROM outbox o
               WHERE o.account = ? AND o.state = ?
                 AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
                 AND o.seq = (SELECT MIN(h.seq) FROM outbox h WHERE h.local_id = o.local_id)
                 AND (o.kind = ? OR o.remote_id IS NOT NULL)
                 AND o.local_id NOT IN (SELECT value FROM json_each(?))
               ORDER BY o.created_at, o.seq LIMIT ?""",
            (
                account,
                OpState.PENDING.value,
                encode_time(now or utcnow()),
                OpKind.CREATE.value,
                json.dumps(sorted(exclude)),
                limit,
            ),
        )
        return [op_from_row(row) for row in rows]

    def mark_in_flight(self, op_id: str) -> Operation | None:
        """Record (durably) that ``op_id`` is about to be sent; counts an attempt.

        None when the operation is no longer pending: another calldesk process (a second
        ``calldesk sync``, the window) took it or already sent it. Nothing is to be sent then.
        """
        with self._db.transaction() as conn:
            row = conn.execute("SELECT * FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
            if row is None:
                return None
            op = op_from_row(row)
            if op.state != OpState.PENDING:
                return None
            head = record_ops(conn, op.local_id)[0]
            if head.op_id != op_id:
                raise StoreBugError(f"operation {op_id} is not the head of its record's queue")
            op = replace(
                op,
                state=OpState.IN_FLIGHT,
                attempts=op.attempts + 1,
                first_sent_at=op.first_sent_at or utcnow(),
            )
            update_op(conn, op)
            conn.execute("UPDATE outbox SET owner = ? WHERE op_id = ?", (self._owner, op_id))
            refresh_state(conn, op.local_id)
        return op

    def mark_sent(self, op_id: str, remote: RemoteCall | None) -> CallRecord | None:
        """Record that the CRM accepted ``op_id``; ``remote`` is its answer, if it gave one.

        Updates the cached record (a create's remote id reaches the record and its later
        operations) and returns it, or ``None`` once a delete has removed it. A create whose
        answer names a record another local call already holds is not taken over: the operation
        stops as a conflict the rep resolves.
        """
        with self._db.transaction() as conn:
            op = fetch_op(conn, op_id)
            if op.state != OpState.IN_FLIGHT:
                raise StoreBugError(f"operation {op_id} is {op.state}, not in flight")
            if op.kind == OpKind.DELETE:
                delete_ops(conn, (op_id,))
                self._remove_record(conn, op.local_id)
                return None
            call = require_call(conn, op.local_id)
            if op.kind == OpKind.CREATE and remote is None:
                raise StoreBugError("a sent create needs the CRM's answer (its remote id)")
            if remote is not None and self._held_elsewhere(conn, op, remote.remote_id):
                update_op(conn, _held_conflict(op, remote.remote_id))
                refresh_state(conn, op.local_id)
                return record_from_row(call)
            delete_ops(conn, (op_id,))
            if remote is not None:
                # Where the answer is silent (a bare ``{"id": ...}``), what was sent stands.
                sent = {**(decode_json(call["remote_fields"]) or {}), **op.payload}
                self._accept_remote(
                    conn, op.local_id, replace(remote, fields={**sent, **remote.fields})
                )
            elif op.kind == OpKind.UPDATE:
                base = decode_json(call["remote_fields"]) or {}
                conn.execute(
                    "UPDATE calls SET remote_fields = ? WHERE local_id = ?",
                    (_json({**base, **op.payload}), op.local_id),
                )
            rebuild_view(conn, op.local_id, self._builder)
            return record_from_row(require_call(conn, op.local_id))

    def reschedule(self, op_id: str, at: datetime, error: str) -> Operation:
        """Put ``op_id`` back to pending, due at ``at`` (a retry after a transient error)."""
        with self._db.transaction() as conn:
            op = fetch_op(conn, op_id)
            op = replace(op, state=OpState.PENDING, next_attempt_at=at, last_error=error)
            update_op(conn, op)
            refresh_state(conn, op.local_id)
        return op

    def mark_failed(self, op_id: str, state: OpState, error: str) -> Operation:
        """Stop ``op_id`` as failed, conflict or needs-auth with the CRM's message."""
        if state not in _STOPPED:
            raise StoreBugError(f"{state} is not a failure state")
        with self._db.transaction() as conn:
            op = replace(fetch_op(conn, op_id), state=state, last_error=error)
            update_op(conn, op)
            refresh_state(conn, op.local_id)
        return op

    def held_remote_ids(self, account: str, remote_ids: Iterable[str], local_id: str) -> set[str]:
        """Which of ``remote_ids`` another local call of ``account`` than ``local_id`` holds."""
        wanted = list(dict.fromkeys(remote_ids))
        held: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._db.query(
                f"""SELECT remote_id FROM calls WHERE account = ? AND local_id != ?
                      AND remote_id IN ({", ".join("?" for _ in chunk)})""",
                (account, local_id, *chunk),
            )
            held.update(str(row[0]) for row in rows)
        return held

    def next_attempt_at(self, account: str) -> datetime | None:
        """When the earliest pending operation of ``account`` is due (None when none is)."""
        row = self._db.query_one(
            """SELECT MIN(COALESCE(next_attempt_at, created_at)) FROM outbox
               WHERE account = ? AND state = ?""",
            (account, OpState.PENDING.value),
        )
        return None if row is None else decode_time(row[0])

    def in_flight_ops(self, account: str | None = None) -> list[Operation]:
        """Operations in flight (sent by a running calldesk, or left by one that died)."""
        return self.list_ops(states=(OpState.IN_FLIGHT,), account=account)

    def recover_interrupted(self, account: str | None = None, *, mine: bool = False) -> int:
        """Put back to pending the in-flight operations nobody is sending any more.

        Those whose holder is gone (its process ended, however: see ``store/owners.py``), or
        that no store claimed; with ``mine``, this store's own too (its sync engine starts
        afresh, so nothing of it runs). An operation a live calldesk process is sending stays
        in flight. Each gets :data:`INTERRUPTED` as its reason and is due now; whether it
        reached the CRM is checked before it is sent again. Returns how many were recovered.
        """
        sql = "SELECT op_id, owner FROM outbox WHERE state = ?"
        params: list[str] = [OpState.IN_FLIGHT.value]
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        candidates = self._db.query(sql, params)
        dead = [
            row["op_id"]
            for row in candidates
            if not row["owner"]
            or (mine and row["owner"] == self._owner)
            or (row["owner"] != self._owner and not self._owner_alive(row["owner"]))
        ]
        recovered = 0
        with self._db.transaction() as conn:
            for op_id in dead:
                row = conn.execute(
                    "SELECT * FROM outbox WHERE op_id = ? AND state = ?",
                    (op_id, OpState.IN_FLIGHT.value),
                ).fetchone()
                if row is None:
                    continue  # finished meanwhile
                op = replace(
                    op_from_row(row),
                    state=OpState.PENDING,
                    next_attempt_at=utcnow(),
                    last_error=INTERRUPTED,
                )
                update_op(conn, op)
                refresh_state(conn, op.local_id)
                recovered += 1
        return recovered

    def resume_needs_auth(self, account: str) -> int:
        """Set every needs-auth operation of ``account`` pending again (the key was fixed)."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM outbox WHERE account = ? AND state = ?",
                (account, OpState.NEEDS_AUTH.value),
            ).fetchall()
            for row in rows:
                op = _reset(op_from_row(row))
                update_op(conn, op)
                refresh_state(conn, op.local_id)
            return len(rows)

    # -- the queue panel -------------------------------------------------------------------

    def get(self, op_id: str) -> Operation | None:
        row = self._db.query_one("SELECT * FROM outbox WHERE op_id = ?", (op_id,))
        return None if row is None else op_from_row(row)

    def ops_for(self, local_id: str) -> list[Operation]:
        """The record's unsent operations in their order."""
        rows = self._db.query("SELECT * FROM outbox WHERE local_id = ? ORDER BY seq", (local_id,))
        return [op_from_row(row) for row in rows]

    def list_ops(
        self, states: Iterable[OpState] = (), account: str | None = None
    ) -> list[Operation]:
        """Unsent operations, oldest first, optionally filtered by state and account."""
        where: list[str] = []
        params: list[str] = []
        wanted = [state.value for state in states]
        if wanted:
            where.append(f"state IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        if account is not None:
            where.append("account = ?")
            params.append(account)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._db.query(f"SELECT * FROM outbox{clause} ORDER BY created_at, seq", params)
        return [op_from_row(row) for row in rows]

    def counts(self, account: str | None = None) -> OutboxCounts:
        """How many operations are pending, in flight, failed, in conflict, needing auth."""
        if account is None:
            rows = self._db.query("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        else:
            rows = self._db.query(
                "SELECT state, COUNT(*) FROM outbox WHERE account = ? GROUP BY state", (account,)
            )
        by_state = {OpState(row[0]): int(row[1]) for row in rows}
        return OutboxCounts(
            pending=by_state.get(OpState.PENDING, 0),
            in_flight=by_state.get(OpState.IN_FLIGHT, 0),
            failed=by_state.get(OpState.FAILED, 0),
            conflict=by_state.get(OpState.CONFLICT, 0),
            needs_auth=by_state.get(OpState.NEEDS_AUTH, 0),
        )

    def retry(self, op_id: str) -> Operation:
        """Set a failed, conflict or needs-auth operation pending again, due now.

        Retrying a conflict means "send mine anyway": the CRM's clashing version becomes the
        base the edit applies to; a create in conflict (the CRM held records it could not tell
        apart from it) is sent as a new call.
        """
        with self._db.transaction() as conn:
            op = fetch_op(conn, op_id)
            if op.state not in _STOPPED:
                raise StoreBugError(f"operation {op_id} is {op.state}; only stopped ones retry")
            if op.state == OpState.CONFLICT:
                self._take_conflict_as_base(conn, op.local_id)
                op = fetch_op(conn, op_id)
                if op.kind == OpKind.CREATE:
                    op = replace(op, attempts=0, first_sent_at=None)
            op = _reset(op)
            update_op(conn, op)
            rebuild_view(conn, op.local_id, self._builder)
        return op

    def discard(self, op_id: str) -> None:
        """Drop an operation that is not in flight and undo its local effect.

        A never-sent create takes its local record (and later operations) with it; a discarded
        update or delete restores the record from the CRM's version plus the remaining edits.
        """
        with self._db.transaction() as conn:
            op = fetch_op(conn, op_id)
            if op.state == OpState.IN_FLIGHT:
                raise StoreBugError(f"operation {op_id} is in flight and cannot be discarded")
            if op.kind == OpKind.CREATE:
                self._remove_record(conn, op.local_id)
                return
            delete_ops(conn, (op_id,))
            if op.kind == OpKind.DELETE:
                conn.execute("UPDATE calls SET deleted = 0 WHERE local_id = ?", (op.local_id,))
            remaining = record_ops(conn, op.local_id)
            if not any(other.state == OpState.CONFLICT for other in remaining):
                self._take_conflict_as_base(conn, op.local_id)
            rebuild_view(conn, op.local_id, self._builder)

    def edit_payload(
        self,
        op_id: str,
        fields: Mapping[str, JSONValue],
        row: CallRow | None = None,
        search_text: str | None = None,
    ) -> Operation:
        """Replace the fields a create/update will send (e.g. to fix what the CRM refused).

        The operation becomes pending again; the record's local view follows.
        """
        with self._db.transaction() as conn:
            op = fetch_op(conn, op_id)
            if op.state == OpState.IN_FLIGHT:
                raise StoreBugError(f"operation {op_id} is in flight and cannot be edited")
            if op.kind not in (OpKind.CREATE, OpKind.UPDATE):
                raise StoreBugError(f"a {op.kind} operation has no fields to edit")
            if op.state == OpState.CONFLICT:
                self._take_conflict_as_base(conn, op.local_id)
                op = fetch_op(conn, op_id)
            op = _reset(op, payload=dict(fields))
            update_op(conn, op)
            rebuild_view(conn, op.local_id, self._builder)
            if row is not None:
                call = require_call(conn, op.local_id)
                write_fields(conn, op.local_id, decode_json(call["fields"]) or {}, row, search_text)
        return op

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _require(conn: sqlite3.Connection, account: str, local_id: str) -> sqlite3.Row:
        call = require_call(conn, local_id)
        if call["account"] != account:
            raise StoreBugError(f"call {local_id!r} belongs to another account")
        return call

    @staticmethod
    def _held_elsewhere(conn: sqlite3.Connection, op: Operation, remote_id: str) -> bool:
        row = conn.execute(
            "SELECT 1 FROM calls WHERE account = ? AND remote_id = ? AND local_id != ?",
            (op.account, remote_id, op.local_id),
        ).fetchone()
        return row is not None

    @staticmethod
    def _remove_record(conn: sqlite3.Connection, local_id: str) -> None:
        # ON DELETE CASCADE removes the record's operations.
        conn.execute("DELETE FROM calls WHERE local_id = ?", (local_id,))
        conn.execute("DELETE FROM drafts WHERE local_id = ?", (local_id,))

    @staticmethod
    def _accept_remote(conn: sqlite3.Connection, local_id: str, remote: RemoteCall) -> None:
        """Make ``remote`` the record's CRM version and the base of its later operations."""
        conn.execute(
            """UPDATE calls SET remote_id = ?, remote_fields = ?, remote_updated_at = ?,
                   fetched_at = ? WHERE local_id = ?""",
            (
                remote.remote_id,
                _json(remote.fields),
                encode_time(remote.updated_at),
                encode_time(utcnow()),
                local_id,
            ),
        )
        for later in record_ops(conn, local_id):
            base = later.base_updated_at
            if later.kind in (OpKind.UPDATE, OpKind.DELETE) and remote.updated_at is not None:
                base = remote.updated_at
            update_op(conn, replace(later, remote_id=remote.remote_id, base_updated_at=base))

    @staticmethod
    def _take_conflict_as_base(conn: sqlite3.Connection, local_id: str) -> None:
        """Adopt the clashing CRM version (if any) as the record's base; conflict ops go pending."""
        call = fetch_call(conn, local_id)
        if call is None or call["conflict_fields"] is None:
            return
        conn.execute(
            """UPDATE calls SET remote_fields = conflict_fields,
                   remote_updated_at = conflict_updated_at,
                   conflict_fields = NULL, conflict_updated_at = NULL
               WHERE local_id = ?""",
            (local_id,),
        )
        base_time = decode_time(call["conflict_updated_at"])
        for op in record_ops(conn, local_id):
            if op.kind in (OpKind.UPDATE, OpKind.DELETE):
                changed = replace(op, base_updated_at=base_time)
                if op.state == OpState.CONFLICT:
                    changed = _reset(changed)
                update_op(conn, changed)
        refresh_state(conn, local_id)


def _held_conflict(op: Operation, remote_id: str) -> Operation:
    return replace(
        op,
        state=OpState.CONFLICT,
        last_error=(
            f"the CRM answered with record {remote_id}, which another call here already holds; "
            "check the CRM, then send this call again or discard it"
        ),
    )


def _json(fields: Mapping[str, JSONValue]) -> str:
    return encode_json(fields) or "{}"
