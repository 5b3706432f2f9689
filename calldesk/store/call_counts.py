"""Counting the call list's lines without recounting them per keystroke.

``call_counts`` (schema 6) holds how many list lines each (account, state, deleted) has, kept by
``calldesk.store.search`` in the transaction that writes the lines; "All calls", an account,
"Not synced" and "Failed" add up a few of its rows, whatever the store's size. Any other count (an
outcome, dates, a search) is counted once (index-only; a search without other filters in the
search index alone) and cached until the store next changes, so a re-sort, a reload or the same
search typed again costs nothing.
"""

from __future__ import annotations

from typing import Any

from calldesk.store.call_list import (
    MATCH_SQL,
    CallQuery,
    filters_sql,
    fts_query,
    index_hint,
    where_sql,
)
from calldesk.store.db import Database
from calldesk.store.migrations import SEARCH_RID_MASK
from calldesk.store.search import SearchIndexer

#: How many distinct counts are cached between two changes of the store.
COUNT_CACHE_SIZE = 64


class CallCounter:
    """Counts of the call list (one per connection; its thread only)."""

    def __init__(self, db: Database, search_index: SearchIndexer) -> None:
        self._db = db
        self._search_index = search_index
        self._counts: dict[tuple[Any, ...], int] = {}
        self._counted_at: tuple[int, int] = (-1, -1)

    def count_calls(self, query: CallQuery) -> int:
        """Return how many records match ``query``'s filters (paging and sort ignored).

        Accounts and sync states alone are added up from ``call_counts``; anything else is
        counted once (index-only: a search without other filters in the search index alone) and
        kept until the store changes.
        """
        self._search_index.flush()
        if self._search_index.seen != self._counted_at:
            self._counts.clear()
            self._counted_at = self._search_index.seen
        key = (
            query.accounts,
            query.outcomes,
            query.states,
            query.not_synced,
            query.since,
            query.until,
            bool(query.text.strip()),
            fts_query(query.text),  # the same search however it was spaced
            query.include_deleted,
        )
        found = self._counts.get(key)
        if found is None:
            found = self._count(query)
            if len(self._counts) >= COUNT_CACHE_SIZE:
                self._counts.pop(next(iter(self._counts)))
            self._counts[key] = found
        return found

    def _count(self, query: CallQuery) -> int:
        if not (query.text.strip() or query.outcomes) and query.since is query.until is None:
            return self._kept_count(query)
        where, params = filters_sql(query)
        if query.text.strip():
            match = fts_query(query.text)
            if match is None:
                return 0
            if not where:
                row = self._db.query_one(f"SELECT COUNT(*) FROM calls_fts {MATCH_SQL}", (match,))
                return 0 if row is None else int(row[0])
            where.append(f"rid IN (SELECT rowid & {SEARCH_RID_MASK} FROM calls_fts {MATCH_SQL})")
            params.append(match)
        if not query.include_deleted:
            where.append("deleted = 0")
        row = self._db.query_one(
            f"SELECT COUNT(*) FROM call_rows{index_hint(query)}{where_sql(where)}", params
        )
        return 0 if row is None else int(row[0])

    def _kept_count(self, query: CallQuery) -> int:
        """Accounts and states only: the sum of a few ``call_counts`` rows."""
        where, params = filters_sql(query)
        if not query.include_deleted:
            where.append("deleted = 0")
        row = self._db.query_one(f"SELECT TOTAL(n) FROM call_counts{where_sql(where)}", params)
        return 0 if row is None else int(row[0])
