"""The cache of call records: reading them, the refresh merge and conflicts.

The call list's reads (pages, counts, search) live in :mod:`calldesk.store.call_list`;
:class:`CallStore` hands them on (its names are re-exported here). :meth:`CallStore.upsert_remote`
merges what the CRM returns without ever clobbering pending local edits; a clash becomes a
conflict the rep resolves field by field with :meth:`CallStore.resolve_conflict`. From schema 4
the search index, and from schema 5 the list lines, are written after a save's commit
(``calldesk.store.search``); every list, count and search first applies what is still pending.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
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
from calldesk.store.call_counts import CallCounter
from calldesk.store.call_list import (
    CallListReader,
    CallQuery,
    CallSummary,
    SortKey,
    fts_query,
    search_bucket,
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
    insert_call,
    insert_op,
    local_view,
    record_from_row,
    record_ops,
    refresh_state,
    require_call,
    update_op,
    write_fields,
)
from calldesk.store.search import SearchIndexer

__all__ = [
    "CONFLICT_MESSAGE",
    "CallQuery",
    "CallStore",
    "CallSummary",
    "ConflictVersion",
    "SortKey",
    "fts_query",
    "search_bucket",
]

CONFLICT_MESSAGE = "The call was changed in the CRM after this edit was made."


@dataclass(frozen=True, slots=True)
class ConflictVersion:
    """The CRM version that clashed with the rep's pending edits of a record."""

    local_id: str
    local_fields: dict[str, JSONValue]
    base_fields: dict[str, JSONValue]
    remote_fields: dict[str, JSONValue]
    remote_updated_at: datetime | None


def _stored_row(row: sqlite3.Row) -> CallRow:
    """The list columns a ``calls`` row holds (read by column name)."""
    return CallRow(
        when_ts=row["when_ts"],
        who=row["who"],
        phone=row["phone"],
        direction=row["direction"],
        duration_s=row["duration_s"],
        outcome=row["outcome"],
        note_preview=row["note_preview"],
    )


_ALL_CALLS = CallQuery()


class CallStore:
    """Cached call records of every account (synchronous; one thread)."""

    def __init__(
        self,
        db: Database,
        builder: RowBuilder | None = None,
        search_index: SearchIndexer | None = None,
    ) -> None:
        self._db = db
        self._builder = builder
        self._search_index = search_index or SearchIndexer(db)
        self._list = CallListReader(db, self._search_index)
        self._counter = CallCounter(db, self._search_index)

    # -- reads -----------------------------------------------------------------------------

    def get(self, local_id: str) -> CallRecord | None:
        row = self._db.query_one("SELECT * FROM calls WHERE local_id = ?", (local_id,))
        return None if row is None else record_from_row(row)

    def get_by_remote(self, account: str, remote_id: str) -> CallRecord | None:
        row = self._db.query_one(
            "SELECT * FROM calls WHERE account = ? AND remote_id = ?", (account, remote_id)
        )
        return None if row is None else record_from_row(row)

    def remote_fields(self, local_id: str) -> dict[str, JSONValue] | None:
        """What the CRM last returned for the record (``None`` for a never-sent record)."""
        row = self._db.query_one("SELECT remote_fields FROM calls WHERE local_id = ?", (local_id,))
        return None if row is None else decode_json(row[0])

    def row(self, local_id: str) -> CallRow | None:
        """The list columns stored for the record."""
        row = self._db.query_one("SELECT * FROM calls WHERE local_id = ?", (local_id,))
        return None if row is None else _stored_row(row)

    def conflict(self, local_id: str) -> ConflictVersion | None:
        """The clashing CRM version of a record in conflict, with the local and base versions."""
        row = self._db.query_one("SELECT * FROM calls WHERE local_id = ?", (local_id,))
        if row is None or row["conflict_fields"] is None:
            return None
        return ConflictVersion(
            local_id=local_id,
            local_fields=decode_json(row["fields"]) or {},
            base_fields=decode_json(row["remote_fields"]) or {},
            remote_fields=decode_json(row["conflict_fields"]) or {},
            remote_updated_at=decode_time(row["conflict_updated_at"]),
        )

    def list_calls(self, query: CallQuery = _ALL_CALLS) -> list[CallSummary]:
        """One page of the call list (:meth:`CallListReader.list_calls`)."""
        return self._list.list_calls(query)

    def outcomes(self) -> list[str]:
        """The outcomes the live calls have, alphabetically."""
        return self._list.outcomes()

    def count_calls(self, query: CallQuery = _ALL_CALLS) -> int:
        """How many records match ``query``'s filters (:meth:`CallCounter.count_calls`)."""
        return self._counter.count_calls(query)

    def search(
        self, text: str, accounts: tuple[str, ...] = (), limit: int = 50
    ) -> list[CallSummary]:
        """Full-text search as the rep types, best matches first (live records only)."""
        return self._list.search(text, accounts, limit)

    # -- refresh merge ---------------------------------------------------------------------

    def upsert_remote(
        self,
        account: str,
        remote: RemoteCall,
        row: CallRow,
        search_text: str,
        fetched_at: datetime | None = None,
    ) -> CallRecord:
        """Insert or update the cached record of a call the CRM returned.

        A record with unsent edits is never clobbered: when the CRM's ``updated_at`` is newer
        than the ``base_updated_at`` of a pending/failed update or delete, both versions are kept
        (the CRM's in the conflict columns), those operations and the record become
        ``conflict``; otherwise only ``remote_fields`` moves and the local view stays.
        """
        with self._db.transaction() as conn:
            local_id = self._upsert_one(
                conn,
                account,
                remote=remote,
                row=row,
                search_text=search_text,
                fetched_at=fetched_at,
            )
            return record_from_row(require_call(conn, local_id))

    def upsert_remote_many(
        self,
        account: str,
        items: Iterable[tuple[RemoteCall, CallRow, str]],
        fetched_at: datetime | None = None,
    ) -> list[str]:
        """:meth:`upsert_remote` for a whole page in one transaction; returns the local ids."""
        with self._db.transaction() as conn:
            return [
                self._upsert_one(
                    conn, account, remote=remote, row=row, search_text=text, fetched_at=fetched_at
                )
                for remote, row, text in items
            ]

    def _upsert_one(
        self,
        conn: sqlite3.Connection,
        account: str,
        *,
        remote: RemoteCall,
        row: CallRow,
        search_text: str,
        fetched_at: datetime | None,
    ) -> str:
        fetched = encode_time(fetched_at or utcnow())
        existing = conn.execute(
            "SELECT * FROM calls WHERE account = ? AND remote_id = ?", (account, remote.remote_id)
        ).fetchone()
        if existing is None:
            local_id = new_local_id()
            insert_call(
                conn,
                local_id=local_id,
                account=account,
                remote_id=remote.remote_id,
                fields=remote.fields,
                remote_fields=remote.fields,
                remote_updated_at=encode_time(remote.updated_at),
                fetched_at=fetched,
                state=SyncState.SYNCED,
                row=row,
                search_text=search_text,
            )
            return local_id
        local_id = str(existing["local_id"])
        ops = record_ops(conn, local_id)
        if any(op.state == OpState.IN_FLIGHT for op in ops):
            # The CRM may already hold our in-flight write; mark_sent brings the truth.
            conn.execute("UPDATE calls SET fetched_at = ? WHERE local_id = ?", (fetched, local_id))
            return local_id
        edits = [op for op in ops if op.kind in (OpKind.UPDATE, OpKind.DELETE)]
        clashing = [
            op
            for op in edits
            if remote.updated_at is not None
            and op.base_updated_at is not None
            and remote.updated_at > op.base_updated_at
        ]
        if clashing:
            for op in clashing:
                update_op(conn, replace(op, state=OpState.CONFLICT, last_error=CONFLICT_MESSAGE))
            conn.execute(
                """UPDATE calls SET conflict_fields = ?, conflict_updated_at = ?, fetched_at = ?
                   WHERE local_id = ?""",
                (encode_json(remote.fields), encode_time(remote.updated_at), fetched, local_id),
            )
        else:
            conn.execute(
                """UPDATE calls SET remote_fields = ?, remote_updated_at = ?, fetched_at = ?
                   WHERE local_id = ?""",
                (encode_json(remote.fields), encode_time(remote.updated_at), fetched, local_id),
            )
            if not edits and existing["conflict_fields"] is None:
                fields = local_view(remote.fields, ops)
                write_fields(conn, local_id, fields, row, search_text)
        refresh_state(conn, local_id)
        return local_id

    def resolve_conflict(
        self,
        local_id: str,
        chosen_fields: Mapping[str, JSONValue],
        row: CallRow | None = None,
        search_text: str | None = None,
    ) -> Operation | None:
        """Settle a conflict with the fields the rep chose (field by field, in wire form).

        The clashing CRM version becomes the new base; the conflicting operations are replaced
        by one update carrying the chosen values that differ from it (``None`` when the rep took
        the CRM's version entirely). A conflicting local delete is dropped: choosing fields keeps
        the call.
        """
        with self._db.transaction() as conn:
            call = require_call(conn, local_id)
            if call["conflict_fields"] is not None:
                base = decode_json(call["conflict_fields"]) or {}
                base_time = call["conflict_updated_at"]
            else:
                base = decode_json(call["remote_fields"]) or {}
                base_time = call["remote_updated_at"]
            ops = record_ops(conn, local_id)
            dropped = [item for item in ops if item.state == OpState.CONFLICT]
            if not dropped and call["conflict_fields"] is None:
                raise StoreBugError(f"call {local_id!r} is not in conflict")
            if any(item.kind == OpKind.CREATE for item in dropped):
                raise StoreBugError("a conflicting create cannot be resolved; retry or discard it")
            delete_ops(conn, (item.op_id for item in dropped))
            remaining = [item for item in ops if item.state != OpState.CONFLICT]
            conn.execute(
                """UPDATE calls SET remote_fields = ?, remote_updated_at = ?,
                       conflict_fields = NULL, conflict_updated_at = NULL, deleted = 0
                   WHERE local_id = ?""",
                (encode_json(base), base_time, local_id),
            )
            for later in remaining:
                if later.kind in (OpKind.UPDATE, OpKind.DELETE):
                    update_op(conn, replace(later, base_updated_at=decode_time(base_time)))
            diff = {key: value for key, value in chosen_fields.items() if base.get(key) != value}
            op: Operation | None = None
            if diff:
                op = Operation(
                    op_id=new_op_id(),
                    account=call["account"],
                    local_id=local_id,
                    remote_id=call["remote_id"],
                    kind=OpKind.UPDATE,
                    payload=diff,
                    state=OpState.PENDING,
                    created_at=utcnow(),
                    base_updated_at=decode_time(base_time),
                )
                insert_op(conn, op)
                remaining.append(op)
            fields = local_view(base, remaining)
            if row is None and self._builder is not None:
                row, search_text = self._builder(call["account"], fields)
            write_fields(conn, local_id, fields, row, search_text)
            refresh_state(conn, local_id)
            return op

    def rebuild_rows(self, account: str, *, after: str = "", limit: int = 200) -> str | None:
        """Recompute the list columns of up to ``limit`` of ``account``'s calls (``local_id``
        after ``after``, in id order) with the store's row builder, in one transaction.

        Used after lookups change (a person's name is now known). Returns the last ``local_id``
        seen, to pass as ``after`` for the next batch, or ``None`` when no calls are left.
        """
        if self._builder is None:
            return None
        rows = self._db.query(
            """SELECT local_id, fields, when_ts, who, phone, direction, duration_s, outcome,
                      note_preview
               FROM calls WHERE account = ? AND local_id > ? ORDER BY local_id LIMIT ?""",
            (account, after, limit),
        )
        if not rows:
            return None
        with self._db.transaction() as conn:
            for call in rows:
                fields = decode_json(call["fields"]) or {}
                row, search_text = self._builder(account, fields)
                if row != _stored_row(call):
                    write_fields(conn, call["local_id"], fields, row, search_text)
        last: str = rows[-1]["local_id"]
        return last

    def forget_account(self, account: str) -> int:
        """Remove every cached record, operation, draft and lookup of an account."""
        with self._db.transaction() as conn:
            count = conn.execute("DELETE FROM calls WHERE account = ?", (account,)).rowcount
            conn.execute("DELETE FROM drafts WHERE account = ?", (account,))
            conn.execute("DELETE FROM lookups WHERE account = ?", (account,))
            return int(count)

    def exists(self, local_id: str) -> bool:
        return self._db.query_one("SELECT 1 FROM calls WHERE local_id = ?", (local_id,)) is not None
