"""Keeping the search index and the call list's lines in step with the calls, after the commit.

From schema 4 a save's durable transaction only notes in ``search_pending`` which calls need
(re-)indexing (triggers on ``calls``; see ``calldesk.store.migrations``). :class:`SearchIndexer`
applies those notes to ``calls_fts`` and (schema 5) to ``call_rows``, the narrow table the list,
its counts and sorts read, in a second, short transaction on the same connection:

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

_APPLY = (
    # drop the entries the index holds for the noted calls ...
    f"""INSERT INTO calls_fts (calls_fts, rowid, search_text)
        SELECT 'delete', p.old_key, p.old_text FROM search_pending p
        LEFT JOIN calls c ON c.rid = p.rid
        WHERE p.old_key IS NOT NULL AND NOT ({_UNCHANGED})""",
    # ... and add the current entry of each noted call that is still there and live
    f"""INSERT INTO calls_fts (rowid, search_text)
        SELECT {_NEW_KEY}, c.search_text FROM search_pending p
        JOIN calls c ON c.rid = p.rid
        WHERE c.deleted = 0 AND c.rid <= {SEARCH_RID_MASK}
          AND NOT (p.old_key IS NOT NULL AND {_UNCHANGED})""",
    # the list lines of the noted calls, from their current rows (gone when the call is)
    "DELETE FROM call_rows WHERE rid IN (SELECT rid FROM search_pending)",
    f"""INSERT INTO call_rows SELECT {row_select_sql("c")} FROM search_pending p
        JOIN calls c ON c.rid = p.rid""",
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
