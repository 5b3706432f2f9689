"""Keeping the search index and the call list's lines in step with the calls, after the commit.

From schema 4 a save's durable transaction only notes in ``search_pending`` which calls need
(re-)indexing (triggers on ``calls``; see ``calldesk.store.migrations``). :class:`SearchIndexer`
applies those notes to ``calls_fts``, (schema 5) to ``call_rows``, the narrow table the list and
its sorts read, and (schema 6) to ``call_counts``, its counts, in a second, short transaction on
the same connection:

* right after each write job on the database worker (``DbWorker`` queues it before any later job);
* before any list, count or search query (:meth:`SearchIndexer.flush` is cheap when nothing
  was written);
* when the store opens and closes (a crash between a save and its indexing loses no entry: the
  note was committed with the save).

The indexing transaction commits with ``synchronous=NORMAL``: it adds no ``fsync`` of its own.
If the machine loses power before the next durable commit syncs the WAL, the whole indexing
transaction is lost together with the removal of its notes, and the next open redoes it.
"""

from __future__ import annotations

from calldesk.store.db import Database, translate_errors
from calldesk.store.migrations import SEARCH_RID_MASK, row_select_sql, search_key_sql

_NEW_KEY = search_key_sql("c")
# the noted call is still there, live, and indexed under the same key with the same text (only
# a list column changed): its entry stays
_UNCHANGED = (
    f"c.rid IS NOT NULL AND c.deleted IS 0 AND p.old_key IS {_NEW_KEY} "
    "AND p.old_text IS c.search_text"
)


def _count_lines(sign: str) -> str:
    """Add (``+``) or take away (``-``) the noted calls' current list lines in ``call_counts``."""
    return f"""INSERT INTO call_counts (deleted, account, state, n)
        SELECT r.deleted, r.account, r.state, {sign}COUNT(*) FROM search_pending p
        CROSS JOIN call_rows r ON r.rid = p.rid
        GROUP BY r.deleted, r.account, r.state
        ON CONFLICT (deleted, account, state) DO UPDATE SET n = n + excluded.n"""


_APPLY = (
    # drop the entries the index holds for the noted calls ...
    f"""INSERT INTO calls_fts (calls_fts, rowid, search_text)
        SELECT 'delete', p.old_key, p.old_text FROM search_pending p
        LEFT JOIN calls c ON c.rid = p.rid
        WHERE p.old_key IS NOT NULL AND NOT ({_UNCHANGED})
        ORDER BY p.old_key""",
    # ... and add the current entry of each noted call that is still there and live
    # (The notes drive the join: a LEFT JOIN fixes the order, and its filter is wrapped in
    # coalesce() so SQLite keeps it a LEFT JOIN. As an inner join, with the statistics
    # ``PRAGMA optimize`` keeps, the planner either walked every call of the ``rid <= mask``
    # range or built a Bloom filter of every call first: O(n) per save. In key order: FTS5
    # flushes its pending terms whenever a rowid is not above the last one, so unsorted keys
    # made a bulk refresh write one tiny segment per call.)
    f"""INSERT INTO calls_fts (rowid, search_text)
        SELECT {_NEW_KEY} AS new_key, c.search_text FROM search_pending p
        LEFT JOIN calls c ON c.rid = p.rid
        WHERE coalesce(c.deleted = 0 AND c.rid <= {SEARCH_RID_MASK}
          AND NOT (p.old_key IS NOT NULL AND {_UNCHANGED}), 0)
        ORDER BY new_key""",
    # the list lines of the noted calls, from their current rows (gone when the call is), and
    # the counts of lines (schema 6): minus the old lines, plus the new ones
    _count_lines("-"),
    "DELETE FROM call_rows WHERE rid IN (SELECT rid FROM search_pending)",
    f"""INSERT INTO call_rows SELECT {row_select_sql("c")} FROM search_pending p
        CROSS JOIN calls c ON c.rid = p.rid""",
    _count_lines("+"),
    "DELETE FROM search_pending",
)


#: After indexing this many notes at once (a bulk refresh), the full-text index is merged.
MERGE_AFTER = 5000


class SearchIndexer:
    """Applies ``search_pending`` to ``calls_fts`` and ``call_rows`` (one per connection; its
    thread only)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._seen: tuple[int, int] = (-1, -1)  # _version() when the index was last current

    def _version(self) -> tuple[int, int]:
        # total_changes counts every row any statement (or trigger) changed on this connection;
        # data_version moves when another connection (another calldesk process) commits.
        conn = self._db.connection
        with translate_errors():
            return conn.total_changes, int(conn.execute("PRAGMA data_version").fetchone()[0])

    @property
    def seen(self) -> tuple[int, int]:
        """The version the index was last current at (moves with every write that came after)."""
        return self._seen

    @property
    def stale(self) -> bool:
        """Whether anything was written since the index was last known to be current."""
        return not self._db.closed and self._version() != self._seen

    def flush(self) -> int:
        """Index every noted call; return how many notes were applied (0 when current)."""
        if self._db.closed:
            return 0
        version = self._version()
        if version == self._seen:
            return 0
        row = self._db.query_one("SELECT COUNT(*) FROM search_pending")
        pending = 0 if row is None else int(row[0])
        if pending:
            with self._db.transaction(durable=False) as conn:
                for statement in _APPLY:
                    conn.execute(statement)
                if pending >= MERGE_AFTER:
                    # A bulk refresh leaves the index in many small segments, which makes
                    # multi-word queries slow; merge them while the worker is at it anyway.
                    conn.execute("INSERT INTO calls_fts(calls_fts) VALUES ('optimize')")
        # our own commit moves total_changes only; another connection's commit after the
        # version was read stays unseen, so the next read catches it up
        self._seen = (self._db.connection.total_changes, version[1])
        return pending
