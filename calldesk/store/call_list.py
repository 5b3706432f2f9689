"""Reading the call list: pages by keyset and instant search.

Every read a rep's action makes is served by an index and costs the same at 10,000 calls as at
1,000,000 (``tests/store/test_store_query_plans.py`` checks each statement's plan):

* **Pages by keyset, not OFFSET.** A page follows (``after``) or precedes (``before``) the
  list line of a call the caller already shows, or is the last page (``from_end``: the oldest
  calls, read backwards off the same index). The list's order is ``(sort column, when_ts, rid)``
  in one direction; a page after a line is read as up to three index ranges (the rest of the
  line's ``when_ts`` tie, the rest of its column value, then beyond it), NULLs kept where SQLite
  sorts them (first ascending). ``offset`` still works, but costs what it skips.
* **Counts** live in :mod:`calldesk.store.call_counts` (kept, or cached until a change).
* **Search** (:func:`fts_query` turns what a rep types into a safe FTS5 prefix query over
  ``calls_fts``, whose rowids sort by time): a page of hits in time order is read straight off
  the index, deep pages by keyset on its rowid.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from calldesk.domain.model import SyncState
from calldesk.store.db import Database, StoreBugError
from calldesk.store.migrations import SEARCH_BUCKET_MAX, SEARCH_KEY_SHIFT, SEARCH_RID_MASK
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
_NULLABLE = frozenset({"when_ts", "duration_s"})

WORD = re.compile(r"\w+")
MATCH_SQL = "WHERE calls_fts MATCH ?"
_STATES: Mapping[str, SyncState] = {state.value: state for state in SyncState}
_UNSYNCED_STATES = tuple(state.value for state in SyncState if state != SyncState.SYNCED)


def fts_query(text: str) -> str | None:
    """Turn what a rep typed into a safe FTS5 query: every word quoted, the last one a prefix.

    Quotes, ``*``, parentheses and operators such as ``AND``/``NEAR`` are treated as plain text,
    so no input can raise. Returns ``None`` when ``text`` holds no searchable word.
    """
    words = WORD.findall(text)
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
    The page: ``limit`` lines after the line of the call ``after`` (a ``local_id``), or just
    before the line of ``before``, or the last ``limit`` lines (``from_end``; ``offset`` skips
    lines from the end), or else the first ones (skipping ``offset``, which costs what it
    skips). Lines come in the query's order.
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
    after: str | None = None
    before: str | None = None
    from_end: bool = False


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


#: The ``call_rows`` columns a :class:`CallSummary` is read from, in its field order.
_SUMMARY_COLUMNS = ", ".join(CallSummary._fields)
_SUMMARY_COLUMNS_C = ", ".join(f"c.{name}" for name in CallSummary._fields)


def _summary(row: sqlite3.Row) -> CallSummary:
    """A :class:`CallSummary` from a row selected as ``_SUMMARY_COLUMNS`` (by position)."""
    return CallSummary(row[0], row[1], row[2], _STATES[row[3]], bool(row[4]), *row[5:12])


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


def filters_sql(query: CallQuery, prefix: str = "") -> tuple[list[str], list[Any]]:
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


def index_hint(query: CallQuery) -> str:
    """Steer "not synced" to the state index: without statistics SQLite would rather walk every
    live call in time order (no sort) than sort the few unsynced ones."""
    if query.not_synced and not query.include_deleted and not query.text.strip():
        return " INDEXED BY call_rows_live_state"
    return ""


def where_sql(where: list[str]) -> str:
    return (" WHERE " + " AND ".join(where)) if where else ""


def _time_order(row: Sequence[Any]) -> tuple[bool, float, int]:
    """Sort key of SQLite's ``ORDER BY when_ts, rid`` (NULL first) for a ``_search_page`` row."""
    when = row[5]
    return (when is not None, 0.0 if when is None else float(when), int(row[12]))


def _keyset(
    keys: Sequence[str], values: Sequence[Any], ascending: bool
) -> list[tuple[list[str], list[Any]]]:
    """The index ranges holding every line strictly after ``values`` in the order of ``keys``,
    nearest first: each an equality on a prefix of the keys and a range on the next one."""
    ranges: list[tuple[list[str], list[Any]]] = []
    for i in reversed(range(len(keys))):
        where: list[str] = []
        params: list[Any] = []
        for key, value in zip(keys[:i], values[:i], strict=True):
            if value is None:
                where.append(f"{key} IS NULL")
            else:
                where.append(f"{key} = ?")
                params.append(value)
        key, value = keys[i], values[i]
        if ascending:  # NULL sorts first: everything not NULL is after it
            ranges.append(
                ([*where, f"{key} IS NOT NULL"], params)
                if value is None
                else ([*where, f"{key} > ?"], [*params, value])
            )
        elif value is not None:  # descending, NULL last: below the value, then the NULLs
            ranges.append(([*where, f"{key} < ?"], [*params, value]))
            if key in _NULLABLE:
                ranges.append(([*where, f"{key} IS NULL"], params))
    return ranges


def _reversed(query: CallQuery, offset: int = 0) -> CallQuery:
    """The same filters in the opposite order, first page (skipping ``offset`` lines)."""
    return replace(
        query,
        descending=not query.descending,
        from_end=False,
        before=None,
        after=None,
        offset=offset,
    )


class CallListReader:
    """The call list's reads over one connection (its thread only; see the module docstring)."""

    def __init__(self, db: Database, search_index: SearchIndexer) -> None:
        self._db = db
        self._search_index = search_index

    def list_calls(self, query: CallQuery) -> list[CallSummary]:
        """Return one page of the call list, filtered and sorted.

        Ties are broken newest first, then by ``rid`` (the same direction as the sort). With
        ``text``, only live (not deleted) records can match. A page after or before a call that
        is no longer listed at all is empty.
        """
        column = _SORT_COLUMNS.get(query.sort)
        if column is None:
            raise StoreBugError(f"unknown sort key {query.sort!r}")
        if query.limit < 0 or query.offset < 0:
            raise StoreBugError("limit and offset must not be negative")
        if sum((query.after is not None, query.before is not None, query.from_end)) > 1:
            raise StoreBugError("after, before and from_end exclude each other")
        self._search_index.flush()  # the list lines and index of every save so far
        if query.limit == 0:
            return []
        if query.from_end:
            return self.list_calls(_reversed(query, query.offset))[::-1]
        if query.before is not None:
            flipped = replace(_reversed(query), after=query.before)
            return self.list_calls(flipped)[::-1]
        match: str | None = None
        if query.text.strip():
            match = fts_query(query.text)
            if match is None:
                return []
        cursor: sqlite3.Row | None = None
        if query.after is not None:
            cursor = self._db.query_one(
                f"SELECT r.{column}, r.when_ts, r.rid FROM calls c "
                "CROSS JOIN call_rows r ON r.rid = c.rid WHERE c.local_id = ?",
                (query.after,),
            )
            if cursor is None:
                return []
        if match is not None and query.sort == "when":
            start = None if cursor is None else (cursor[1], int(cursor[2]))
            return self._search_page(query, match, start)
        where, params = filters_sql(query)
        if not query.include_deleted:
            where.append("deleted = 0")
        if match is not None:
            where.append(f"rid IN (SELECT rowid & {SEARCH_RID_MASK} FROM calls_fts {MATCH_SQL})")
            params.append(match)
        direction = "DESC" if query.descending else "ASC"
        keys = [column, "rid"] if column == "when_ts" else [column, "when_ts", "rid"]
        select = (
            f"SELECT {_SUMMARY_COLUMNS} FROM call_rows{index_hint(query)}{{where}} "
            f"ORDER BY {', '.join(f'{key} {direction}' for key in keys)} LIMIT ?"
        )
        if cursor is None:
            rows = self._db.query(
                select.format(where=where_sql(where)) + " OFFSET ?",
                [*params, query.limit, query.offset],
            )
            return [_summary(row) for row in rows]
        values = [cursor[0], cursor[1], cursor[2]][-len(keys) :]
        page: list[CallSummary] = []
        for terms, bounds in _keyset(keys, values, not query.descending):
            rows = self._db.query(
                select.format(where=where_sql([*where, *terms])),
                [*params, *bounds, query.limit - len(page)],
            )
            page.extend(_summary(row) for row in rows)
            if len(page) >= query.limit:
                break
        return page

    def _search_page(
        self, query: CallQuery, match: str, start: tuple[float | None, int] | None
    ) -> list[CallSummary]:
        """A page of search hits in time order, walking the time-ordered search index.

        ``calls_fts`` rowids sort like (second of ``when_ts``, ``rid``), so the first
        ``offset + limit`` hits in rowid order are the page, except that calls within a boundary
        second may be ordered differently by their exact time: those are all fetched and the few
        candidates sorted exactly. No other match is looked up in ``calls``. ``start`` (the
        ``when_ts`` and ``rid`` of the line the page follows) is a keyset: the rest of its
        second, then the index beyond it.
        """
        descending = query.descending
        where, params = filters_sql(query, "c.")
        where.insert(0, "f.calls_fts MATCH ?")
        params.insert(0, match)
        if query.since is not None:
            where.append("f.rowid >= ?")
            params.append(search_bucket(query.since) << SEARCH_KEY_SHIFT)
        if query.until is not None:
            where.append("f.rowid < ?")
            params.append((search_bucket(query.until) + 1) << SEARCH_KEY_SHIFT)
        direction = "DESC" if descending else "ASC"
        select = (
            f"SELECT {_SUMMARY_COLUMNS_C}, c.rid AS rid, f.rowid AS search_key "
            f"FROM calls_fts f CROSS JOIN call_rows c ON c.rid = (f.rowid & {SEARCH_RID_MASK})"
        )
        head: list[Any] = []
        skip = query.offset
        if start is not None:
            skip = 0
            bucket = search_bucket(start[0])
            low, high = bucket << SEARCH_KEY_SHIFT, (bucket + 1) << SEARCH_KEY_SHIFT
            mark = (start[0] is not None, 0.0 if start[0] is None else float(start[0]), start[1])
            same = self._db.query(
                f"{select}{where_sql([*where, 'f.rowid >= ?', 'f.rowid < ?'])}",
                [*params, low, high],
            )
            head = sorted(
                (
                    row
                    for row in same
                    if (_time_order(row) < mark if descending else _time_order(row) > mark)
                ),
                key=_time_order,
                reverse=descending,
            )
            if len(head) >= query.limit:
                return [_summary(row) for row in head[: query.limit]]
            where.append("f.rowid < ?" if descending else "f.rowid >= ?")
            params.append(low if descending else high)
        need = skip + query.limit - len(head)
        rows = self._db.query(
            f"{select}{where_sql(where)} ORDER BY f.rowid {direction} LIMIT ?",
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
                    f"{select}{where_sql([*where, *bounds])}",
                    [*params, *((low, last) if descending else (last, high))],
                )
                rows = [*rows, *extra]
        rows.sort(key=_time_order, reverse=descending)
        return [_summary(row) for row in [*head, *rows[skip:need]]]

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
