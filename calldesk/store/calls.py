"""The cache of call records: the paged call list, full-text search and the refresh merge.

Reads serve the call list (:meth:`CallStore.list_calls` pages through 100,000 rows of
``call_rows``, the narrow list lines of schema 5, via its ``(deleted, column, when_ts)`` indexes,
one per sort column; counts are index-only)
and instant search (:func:`fts_query` turns whatever a rep types into a safe FTS5 prefix query
over ``calls_fts``, which holds only live calls and whose rowids sort by time, so the newest page
of hits is read straight off it and a count never touches ``calls``). From schema 4 the index is
written after a save's commit (``calldesk.store.search``), and from schema 5 so are the list
lines; every list, count and search first applies what is still pending, so it always sees the
latest saves.
:meth:`CallStore.upsert_remote` merges what the CRM returns without ever clobbering pending local
edits; a clash becomes a conflict the rep resolves field by field with
:meth:`CallStore.resolve_conflict`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, NamedTuple

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
from calldesk.store.migrations import (
    SEARCH_BUCKET_MAX,
    SEARCH_KEY_SHIFT,
    SEARCH_RID_MASK,
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

SortKey = Literal[
    "when", "who", "phone", "direction", "duration", "outcome", "note", "state", "account"
]

_SORT_COLUMNS: Mapping[str, str] = {
    "when": "when_ts",
    "who": "who",
    "phone": "phone",
    "direction": "direction",
    "duration": "duration_s",
    "outcome": "outcome",
    "note": "note_preview",
    "state": "state",
    "account": "account",
}

_WORD = re.compile(r"\w+")

_MATCH = "WHERE calls_fts MATCH ?"
_STATES: Mapping[str, SyncState] = {state.value: state for state in SyncState}
_UNSYNCED_STATES = tuple(state.value for state in SyncState if state != SyncState.SYNCED)

CONFLICT_MESSAGE = "The call was changed in the CRM after this edit was made."


def fts_query(text: str) -> str | None:
    """Turn what a rep typed into a safe FTS5 query: every word quoted, the last one a prefix.

    Quotes, ``*``, parentheses and operators such as ``AND``/``NEAR`` are treated as plain text,
    so no input can raise. Returns ``None`` when ``text`` holds no searchable word.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    terms = [f'"{word}"' for word in words]  # \w never matches a quote
    if not text[-1].isspace():
        terms[-1] += "*"
    return " ".join(terms)


@dataclass(frozen=True, slots=True)
class CallQuery:
    """What the call list shows: filters, sort order and one page.

    Empty tuples mean "no filter". ``since``/``until`` are UTC epoch seconds (``since``
    inclusive, ``until`` exclusive). ``not_synced`` keeps every record whose state is not synced;
    use ``states=(SyncState.FAILED,)`` for "failed". ``text`` is a full-text search as typed.
    """

    accounts: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    states: tuple[SyncState, ...] = ()
    not_synced: bool = False
    since: float | None = None
    until: float | None = None
    text: str = ""
    include_deleted: bool = False
    sort: SortKey = "when"
    descending: bool = True
    limit: int = 100
    offset: int = 0


class CallSummary(NamedTuple):
    """One line of the call list (immutable; a named tuple because a page of them is built per
    keystroke and a frozen dataclass costs five times as much to construct)."""

    local_id: str
    account: str
    remote_id: str | None
    state: SyncState
    deleted: bool
    when_ts: float | None
    who: str
    phone: str
    direction: str
    duration_s: int | None
    outcome: str
    note_preview: str


@dataclass(frozen=True, slots=True)
class ConflictVersion:
    """The CRM version that clashed with the rep's pending edits of a record."""

    local_id: str
    local_fields: dict[str, JSONValue]
    base_fields: dict[str, JSONValue]
    remote_fields: dict[str, JSONValue]
    remote_updated_at: datetime | None


#: The ``call_rows`` columns a :class:`CallSummary` is read from, in its field order.
_SUMMARY_COLUMNS = ", ".join(CallSummary._fields)
_SUMMARY_COLUMNS_C = ", ".join(f"c.{name}" for name in CallSummary._fields)


def _summary(row: sqlite3.Row) -> CallSummary:
    """A :class:`CallSummary` from a row selected as ``_SUMMARY_COLUMNS`` (by position)."""
    return CallSummary(row[0], row[1], row[2], _STATES[row[3]], bool(row[4]), *row[5:12])


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


def _in(column: str, values: Iterable[str], where: list[str], params: list[Any]) -> None:
    items = list(values)
    where.append(f"{column} IN ({', '.join('?' for _ in items)})")
    params.extend(items)


def search_bucket(when_ts: float | None) -> int:
    """The second a call's search-index rowid sorts by (mirrors the migration's SQL)."""
    if when_ts is None:
        return 0
    if when_ts < 0:
        return 1
    if when_ts >= SEARCH_BUCKET_MAX - 1:
        return SEARCH_BUCKET_MAX
    return int(when_ts) + 1


def _filters(query: CallQuery, prefix: str = "") -> tuple[list[str], list[Any]]:
    """SQL terms for ``query``'s filters other than ``text`` (and ``deleted`` when included)."""
    where: list[str] = []
    params: list[Any] = []
    if query.accounts:
        _in(f"{prefix}account", query.accounts, where, params)
    if query.outcomes:
        _in(f"{prefix}outcome", query.outcomes, where, params)
    if query.states:
        _in(f"{prefix}state", (state.value for state in query.states), where, params)
    if query.not_synced:
        # IN rather than != so the (deleted, state, when_ts) index serves it
        _in(f"{prefix}state", _UNSYNCED_STATES, where, params)
    if query.since is not None:
        where.append(f"{prefix}when_ts >= ?")
        params.append(query.since)
    if query.until is not None:
        where.append(f"{prefix}when_ts < ?")
        params.append(query.until)
    return where, params


def _hint(query: CallQuery) -> str:
    """Steer "not synced" to the state index: without statistics SQLite would rather walk every
    live call in time order (no sort) than sort the few unsynced ones."""
    if query.not_synced and not query.include_deleted and not query.text.strip():
        return " INDEXED BY call_rows_live_state"
    return ""


def _where_sql(where: list[str]) -> str:
    return (" WHERE " + " AND ".join(where)) if where else ""


def _time_order(row: sqlite3.Row) -> tuple[bool, float, int]:
    """Sort key of SQLite's ``ORDER BY when_ts, rid`` (NULL first) for a ``_search_page`` row."""
    when = row[5]
    return (when is not None, 0.0 if when is None else float(when), int(row[12]))


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

    def list_calls(self, query: CallQuery = CallQuery()) -> list[CallSummary]:
        """Return one page of the call list, filtered and sorted.

        Ties are broken newest first, then by ``rid`` (the same direction as the sort). With
        ``text``, only live (not deleted) records can match.
        """
        column = _SORT_COLUMNS.get(query.sort)
        if column is None:
            raise StoreBugError(f"unknown sort key {query.sort!r}")
        if query.limit < 0 or query.offset < 0:
            raise StoreBugError("limit and offset must not be negative")
        self._search_index.flush()  # the list lines and index of every save so far
        where, params = _filters(query)
        if not query.include_deleted:
            where.append("deleted = 0")
        if query.text.strip():
            match = fts_query(query.text)
            if match is None:
                return []
            if query.sort == "when":
                return self._search_page(query, match)
            where.append(f"rid IN (SELECT rowid & {SEARCH_RID_MASK} FROM calls_fts {_MATCH})")
            params.append(match)
        direction = "DESC" if query.descending else "ASC"
        order = f"{column} {direction}, " if column != "when_ts" else ""
        sql = (
            f"SELECT {_SUMMARY_COLUMNS} FROM call_rows{_hint(query)}{_where_sql(where)} "
            f"ORDER BY {order}when_ts {direction}, rid {direction} LIMIT ? OFFSET ?"
        )
        rows = self._db.query(sql, [*params, query.limit, query.offset])
        return [_summary(row) for row in rows]

    def _search_page(self, query: CallQuery, match: str) -> list[CallSummary]:
        """A page of search hits in time order, walking the time-ordered search index.

        ``calls_fts`` rowids sort like (second of ``when_ts``, ``rid``), so the first
        ``offset + limit`` hits in rowid order are the page, except that calls within the boundary
        second may be ordered differently by their exact time: those are all fetched and the few
        candidates sorted exactly. No other match is looked up in ``calls``.
        """
        need = query.offset + query.limit
        if need == 0:
            return []
        where, params = _filters(query, "c.")
        where.insert(0, "f.calls_fts MATCH ?")
        params.insert(0, match)
        if query.since is not None:
            where.append("f.rowid >= ?")
            params.append(search_bucket(query.since) << SEARCH_KEY_SHIFT)
        if query.until is not None:
            where.append("f.rowid < ?")
            params.append((search_bucket(query.until) + 1) << SEARCH_KEY_SHIFT)
        descending = query.descending
        direction = "DESC" if descending else "ASC"
        select = (
            f"SELECT {_SUMMARY_COLUMNS_C}, c.rid AS rid, f.rowid AS search_key "
            f"FROM calls_fts f CROSS JOIN call_rows c ON c.rid = (f.rowid & {SEARCH_RID_MASK})"
        )
        rows = self._db.query(
            f"{select}{_where_sql(where)} ORDER BY f.rowid {direction} LIMIT ?",
            [*params, need + 1],
        )
        if len(rows) > need:
            rows, boundary = rows[:need], rows[need]
            last = int(rows[-1][13])
            bucket = last >> SEARCH_KEY_SHIFT
            if int(boundary[13]) >> SEARCH_KEY_SHIFT == bucket:
                # the rest of the boundary second
                low, high = bucket << SEARCH_KEY_SHIFT, (bucket + 1) << SEARCH_KEY_SHIFT
                bounds = (
                    ("f.rowid >= ?", "f.rowid < ?")
                    if descending
                    else ("f.rowid > ?", "f.rowid < ?")
                )
                extra = self._db.query(
                    f"{select}{_where_sql([*where, *bounds])}",
                    [*params, *((low, last) if descending else (last, high))],
                )
                rows = [*rows, *extra]
        rows.sort(key=_time_order, reverse=descending)
        return [_summary(row) for row in rows[query.offset : need]]

    def outcomes(self) -> list[str]:
        """The outcomes the live calls have (as the list shows them), alphabetically.

        Read off ``call_rows_live_outcome`` (index-only): one step per distinct value.
        """
        self._search_index.flush()
        rows = self._db.query(
            "SELECT DISTINCT outcome FROM call_rows WHERE deleted = 0 AND outcome != '' "
            "ORDER BY outcome COLLATE NOCASE, outcome"
        )
        return [str(row[0]) for row in rows]

    def count_calls(self, query: CallQuery = CallQuery()) -> int:
        """Return how many records match ``query``'s filters (paging ignored).

        Index-only: the count of "All calls" walks ``call_rows_live_when``; a search without other
        filters is counted in the search index alone (which holds exactly the live calls).
        """
        self._search_index.flush()
        where, params = _filters(query)
        if query.text.strip():
            match = fts_query(query.text)
            if match is None:
                return 0
            if not where:
                row = self._db.query_one(f"SELECT COUNT(*) FROM calls_fts {_MATCH}", (match,))
                return 0 if row is None else int(row[0])
            where.append(f"rid IN (SELECT rowid & {SEARCH_RID_MASK} FROM calls_fts {_MATCH})")
            params.append(match)
        if not query.include_deleted:
            where.append("deleted = 0")
        row = self._db.query_one(
            f"SELECT COUNT(*) FROM call_rows{_hint(query)}{_where_sql(where)}", params
        )
        return 0 if row is None else int(row[0])

    def search(
        self, text: str, accounts: tuple[str, ...] = (), limit: int = 50
    ) -> list[CallSummary]:
        """Full-text search as the rep types, best matches first (live records only)."""
        match = fts_query(text)
        if match is None:
            return []
        self._search_index.flush()
        where = ["calls_fts MATCH ?"]
        params: list[Any] = [match]
        if accounts:
            _in("c.account", accounts, where, params)
        rows = self._db.query(
            f"SELECT {_SUMMARY_COLUMNS_C} FROM calls_fts "
            f"CROSS JOIN call_rows c ON c.rid = (calls_fts.rowid & {SEARCH_RID_MASK}) "
            f"WHERE {' AND '.join(where)} ORDER BY calls_fts.rank, c.when_ts DESC LIMIT ?",
            [*params, limit],
        )
        return [_summary(row) for row in rows]

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
