"""Row codecs and record bookkeeping shared by the call cache and the outbox.

A cached call's *local view* (``calls.fields``) is always the CRM version (``remote_fields``)
with the payloads of its unsent create/update operations laid over it in order, and its
``state`` always follows from those operations. The helpers here keep both true; they run on a
connection inside the caller's transaction.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from calldesk.domain.model import (
    CallRecord,
    JSONValue,
    Operation,
    OpKind,
    OpState,
    SyncState,
    WireFields,
)
from calldesk.store.db import (
    StoreBugError,
    decode_json,
    decode_time,
    encode_json,
    encode_time,
)


@dataclass(frozen=True, slots=True)
class CallRow:
    """The denormalised list columns of a call, computed by the caller from its wire fields.

    ``when_ts`` is UTC epoch seconds. Strings are display text (already labelled).
    """

    when_ts: float | None = None
    who: str = ""
    phone: str = ""
    direction: str = ""
    duration_s: int | None = None
    outcome: str = ""
    note_preview: str = ""


RowBuilder = Callable[[str, WireFields], tuple[CallRow, str]]
"""``(account, fields) -> (row, search_text)``: lets the store refresh list columns itself when it
changes a record's local view (after a sent operation, a discard or a conflict resolution)."""

UNSENT_STATES = (
    OpState.PENDING,
    OpState.IN_FLIGHT,
    OpState.FAILED,
    OpState.CONFLICT,
    OpState.NEEDS_AUTH,
)

_STATE_PRIORITY: tuple[tuple[OpState, SyncState], ...] = (
    (OpState.CONFLICT, SyncState.CONFLICT),
    (OpState.NEEDS_AUTH, SyncState.NEEDS_AUTH),
    (OpState.FAILED, SyncState.FAILED),
    (OpState.IN_FLIGHT, SyncState.IN_FLIGHT),
    (OpState.PENDING, SyncState.PENDING),
)

_NON_DIGITS = re.compile(r"\D+")


def index_text(search_text: str, row: CallRow) -> str:
    """Return what the FTS index stores: the caller's text plus the phone's bare digits.

    ``+1 555-0100`` adds ``15550100`` and, without the country code, ``5550100``, so a rep can
    type a number either way.
    """
    phone = row.phone.strip()
    variants = [_NON_DIGITS.sub("", phone)]
    if phone.startswith("+") and " " in phone:
        variants.append(_NON_DIGITS.sub("", phone.split(" ", 1)[1]))
    extra = [digits for digits in dict.fromkeys(variants) if digits and digits not in search_text]
    return " ".join([search_text, *extra]).strip()


def record_from_row(row: sqlite3.Row) -> CallRecord:
    """Build a :class:`CallRecord` from a ``calls`` row."""
    return CallRecord(
        local_id=row["local_id"],
        account=row["account"],
        remote_id=row["remote_id"],
        fields=decode_json(row["fields"]) or {},
        state=SyncState(row["state"]),
        remote_updated_at=decode_time(row["remote_updated_at"]),
        fetched_at=decode_time(row["fetched_at"]),
        deleted=bool(row["deleted"]),
    )


def op_from_row(row: sqlite3.Row) -> Operation:
    """Build an :class:`Operation` from an ``outbox`` row."""
    created_at = decode_time(row["created_at"])
    if created_at is None:  # pragma: no cover - NOT NULL column
        raise StoreBugError("outbox row without created_at")
    return Operation(
        op_id=row["op_id"],
        account=row["account"],
        local_id=row["local_id"],
        remote_id=row["remote_id"],
        kind=OpKind(row["kind"]),
        payload=decode_json(row["payload"]) or {},
        state=OpState(row["state"]),
        created_at=created_at,
        attempts=row["attempts"],
        next_attempt_at=decode_time(row["next_attempt_at"]),
        last_error=row["last_error"],
        base_updated_at=decode_time(row["base_updated_at"]),
        file_path=row["file_path"],
        first_sent_at=decode_time(row["first_sent_at"]),
    )


def fetch_call(conn: sqlite3.Connection, local_id: str) -> sqlite3.Row | None:
    """Return the ``calls`` row of ``local_id``."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM calls WHERE local_id = ?", (local_id,)
    ).fetchone()
    return row


def require_call(conn: sqlite3.Connection, local_id: str) -> sqlite3.Row:
    """Return the ``calls`` row of ``local_id`` or raise :class:`StoreBugError`."""
    row = fetch_call(conn, local_id)
    if row is None:
        raise StoreBugError(f"no cached call {local_id!r}")
    return row


def fetch_op(conn: sqlite3.Connection, op_id: str) -> Operation:
    """Return the operation ``op_id`` or raise :class:`StoreBugError`."""
    row = conn.execute("SELECT * FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
    if row is None:
        raise StoreBugError(f"no outbox operation {op_id!r}")
    return op_from_row(row)


def record_ops(conn: sqlite3.Connection, local_id: str) -> list[Operation]:
    """Return the record's unsent operations in their per-record order."""
    rows = conn.execute(
        "SELECT * FROM outbox WHERE local_id = ? ORDER BY seq", (local_id,)
    ).fetchall()
    return [op_from_row(row) for row in rows]


def next_seq(conn: sqlite3.Connection, local_id: str) -> int:
    """Return the sequence number the record's next operation gets."""
    value = conn.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox WHERE local_id = ?", (local_id,)
    ).fetchone()[0]
    return int(value)


def insert_op(conn: sqlite3.Connection, op: Operation) -> None:
    """Append ``op`` at the end of its record's queue."""
    conn.execute(
        """INSERT INTO outbox (op_id, account, local_id, remote_id, kind, payload, state,
               created_at, attempts, next_attempt_at, last_error, base_updated_at, file_path, seq,
               first_sent_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            op.op_id,
            op.account,
            op.local_id,
            op.remote_id,
            op.kind.value,
            encode_json(op.payload),
            op.state.value,
            encode_time(op.created_at),
            op.attempts,
            encode_time(op.next_attempt_at),
            op.last_error,
            encode_time(op.base_updated_at),
            op.file_path,
            next_seq(conn, op.local_id),
            encode_time(op.first_sent_at),
        ),
    )


def update_op(conn: sqlite3.Connection, op: Operation) -> None:
    """Write back every mutable column of ``op`` (its position in the queue stays)."""
    conn.execute(
        """UPDATE outbox SET remote_id = ?, kind = ?, payload = ?, state = ?, attempts = ?,
               next_attempt_at = ?, last_error = ?, base_updated_at = ?, file_path = ?,
               first_sent_at = ?
           WHERE op_id = ?""",
        (
            op.remote_id,
            op.kind.value,
            encode_json(op.payload),
            op.state.value,
            op.attempts,
            encode_time(op.next_attempt_at),
            op.last_error,
            encode_time(op.base_updated_at),
            op.file_path,
            encode_time(op.first_sent_at),
            op.op_id,
        ),
    )


def delete_ops(conn: sqlite3.Connection, op_ids: Iterable[str]) -> None:
    """Remove operations from the outbox."""
    conn.executemany("DELETE FROM outbox WHERE op_id = ?", [(op_id,) for op_id in op_ids])


def derive_state(ops: Iterable[Operation], has_conflict: bool) -> SyncState:
    """Return the record state its unsent operations imply (worst first)."""
    states = {op.state for op in ops}
    if has_conflict:
        return SyncState.CONFLICT
    for op_state, sync_state in _STATE_PRIORITY:
        if op_state in states:
            return sync_state
    return SyncState.SYNCED


def refresh_state(conn: sqlite3.Connection, local_id: str) -> SyncState:
    """Recompute and store the record's :class:`SyncState` from its operations."""
    call = fetch_call(conn, local_id)
    if call is None:
        return SyncState.SYNCED
    state = derive_state(record_ops(conn, local_id), call["conflict_fields"] is not None)
    conn.execute("UPDATE calls SET state = ? WHERE local_id = ?", (state.value, local_id))
    return state


def local_view(remote_fields: WireFields | None, ops: Iterable[Operation]) -> dict[str, JSONValue]:
    """Lay the payloads of unsent creates/updates over the CRM version, in queue order."""
    fields: dict[str, JSONValue] = dict(remote_fields or {})
    for op in ops:
        if op.kind in (OpKind.CREATE, OpKind.UPDATE):
            fields.update(op.payload)
    return fields


def write_fields(
    conn: sqlite3.Connection,
    local_id: str,
    fields: Mapping[str, JSONValue],
    row: CallRow | None,
    search_text: str | None,
) -> None:
    """Set the record's local view and, when given, its list columns and search text."""
    conn.execute("UPDATE calls SET fields = ? WHERE local_id = ?", (encode_json(fields), local_id))
    if row is not None:
        conn.execute(
            """UPDATE calls SET when_ts = ?, who = ?, phone = ?, direction = ?, duration_s = ?,
                   outcome = ?, note_preview = ?, search_text = ?
               WHERE local_id = ?""",
            (
                row.when_ts,
                row.who,
                row.phone,
                row.direction,
                row.duration_s,
                row.outcome,
                row.note_preview,
                index_text(search_text or "", row),
                local_id,
            ),
        )


def rebuild_view(
    conn: sqlite3.Connection, local_id: str, builder: RowBuilder | None
) -> dict[str, JSONValue]:
    """Recompute the local view from ``remote_fields`` + unsent ops, refresh columns and state."""
    call = require_call(conn, local_id)
    fields = local_view(decode_json(call["remote_fields"]), record_ops(conn, local_id))
    row, text = builder(call["account"], fields) if builder is not None else (None, None)
    write_fields(conn, local_id, fields, row, text)
    refresh_state(conn, local_id)
    return fields


def insert_call(
    conn: sqlite3.Connection,
    *,
    local_id: str,
    account: str,
    remote_id: str | None,
    fields: Mapping[str, JSONValue],
    remote_fields: Mapping[str, JSONValue] | None,
    remote_updated_at: str | None,
    fetched_at: str | None,
    state: SyncState,
    row: CallRow,
    search_text: str,
) -> None:
    """Insert a new cached call."""
    conn.execute(
        """INSERT INTO calls (local_id, account, remote_id, fields, remote_fields,
               remote_updated_at, fetched_at, state, when_ts, who, phone, direction, duration_s,
               outcome, note_preview, search_text)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            local_id,
            account,
            remote_id,
            encode_json(fields),
            encode_json(remote_fields),
            remote_updated_at,
            fetched_at,
            state.value,
            row.when_ts,
            row.who,
            row.phone,
            row.direction,
            row.duration_s,
            row.outcome,
            row.note_preview,
            index_text(search_text, row),
        ),
    )
