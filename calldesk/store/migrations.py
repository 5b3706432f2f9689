"""Schema versions of the calldesk database and the ordered migrations between them.

``PRAGMA user_version`` holds the version a file is at. :data:`MIGRATIONS` lists one
:class:`Migration` per version, in order: migration *n* turns a version *n-1* database into
version *n*. Each runs in its own transaction together with the ``user_version`` bump, so a
crash mid-upgrade leaves the previous version intact. Never edit a released migration; add one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from calldesk.store.db import StoreEnvironmentError, translate_errors

if TYPE_CHECKING:
    from calldesk.store.db import Database


@dataclass(frozen=True, slots=True)
class Migration:
    """One step up: ``apply`` turns a ``version - 1`` database into ``version``."""

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _run(conn: sqlite3.Connection, statements: tuple[str, ...]) -> None:
    # executescript() would COMMIT first; run statement by statement inside our transaction.
    for statement in statements:
        conn.execute(statement)


_V1 = (
    """CREATE TABLE calls (
        rid INTEGER PRIMARY KEY,                -- stable rowid for the FTS index
        local_id TEXT NOT NULL UNIQUE,
        account TEXT NOT NULL,
        remote_id TEXT,
        fields TEXT NOT NULL,                   -- JSON wire form: CRM version + pending edits
        remote_fields TEXT,                     -- JSON wire form the CRM last returned
        remote_updated_at TEXT,
        fetched_at TEXT,
        state TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        conflict_fields TEXT,                   -- the CRM version that clashed with local edits
        conflict_updated_at TEXT,
        when_ts REAL,                           -- UTC epoch seconds
        who TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        direction TEXT NOT NULL DEFAULT '',
        duration_s INTEGER,
        outcome TEXT NOT NULL DEFAULT '',
        note_preview TEXT NOT NULL DEFAULT '',
        search_text TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE UNIQUE INDEX calls_remote ON calls(account, remote_id) WHERE remote_id IS NOT NULL",
    "CREATE INDEX calls_account_when ON calls(account, when_ts)",
    """CREATE TABLE outbox (
        op_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        local_id TEXT NOT NULL REFERENCES calls(local_id) ON DELETE CASCADE,
        remote_id TEXT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        base_updated_at TEXT,
        file_path TEXT,
        seq INTEGER NOT NULL,
        UNIQUE (local_id, seq)
    )""",
    "CREATE INDEX outbox_account_state ON outbox(account, state, next_attempt_at)",
    """CREATE TABLE drafts (
        draft_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        local_id TEXT,
        form TEXT NOT NULL,                     -- JSON: field name -> text exactly as typed
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        account TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER,
        elapsed_ms REAL NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        local_id TEXT,
        op_id TEXT
    )""",
    "CREATE INDEX audit_local ON audit(local_id, id)",
    """CREATE TABLE lookups (
        account TEXT NOT NULL,
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        label TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (account, source, id)
    )""",
)

_V2 = (
    # Full-text search over search_text (notes, phones, names), an external-content FTS5 table
    # kept in step with `calls` by triggers.
    """CREATE VIRTUAL TABLE calls_fts USING fts5(
        search_text, content='calls', content_rowid='rid',
        tokenize='unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN
        INSERT INTO calls_fts(rowid, search_text) VALUES (new.rid, new.search_text);
    END""",
    """CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN
        INSERT INTO calls_fts(calls_fts, rowid, search_text)
        VALUES ('delete', old.rid, old.search_text);
    END""",
    """CREATE TRIGGER calls_fts_update AFTER UPDATE OF search_text ON calls BEGIN
        INSERT INTO calls_fts(calls_fts, rowid, search_text)
        VALUES ('delete', old.rid, old.search_text);
        INSERT INTO calls_fts(rowid, search_text) VALUES (new.rid, new.search_text);
    END""",
    "INSERT INTO calls_fts(calls_fts) VALUES ('rebuild')",
    # Indexes for the call list's filters and sort orders.
    "CREATE INDEX calls_account_state_when ON calls(account, state, when_ts)",
    "CREATE INDEX calls_account_outcome_when ON calls(account, outcome, when_ts)",
    "CREATE INDEX lookups_label ON lookups(account, source, label COLLATE NOCASE)",
)


#: ``calls_fts`` rowids from version 3 on: ``(bucket << 31) | rid``, where ``bucket`` is 0 for no
#: time, else ``floor(when_ts) + 1`` clamped to ``[1, 2**32 - 1]``. Walking the index in rowid
#: order is walking the calls newest/oldest first (to the second), so a page of search hits needs
#: no sort and no lookup of every match in ``calls``. ``calldesk.store.calls`` mirrors this.
SEARCH_KEY_SHIFT = 31
SEARCH_RID_MASK = (1 << SEARCH_KEY_SHIFT) - 1
SEARCH_BUCKET_MAX = (1 << 32) - 1


def search_key_sql(prefix: str) -> str:
    """SQL for the ``calls_fts`` rowid of the ``calls`` row named ``prefix`` (e.g. ``new``)."""
    when = f"{prefix}.when_ts"
    bucket = (
        f"CASE WHEN {when} IS NULL THEN 0 WHEN {when} < 0 THEN 1 "
        f"WHEN {when} >= {SEARCH_BUCKET_MAX - 1} THEN {SEARCH_BUCKET_MAX} "
        f"ELSE CAST({when} AS INTEGER) + 1 END"
    )
    return f"(({bucket}) << {SEARCH_KEY_SHIFT}) | {prefix}.rid"


# Columns the call list sorts by; each gets a (deleted, column, when_ts) index, which serves
# "All calls" sorted by it (ties newest first, then by rid: the rowid ends every index) and an
# equality filter on it sorted by time (one account, failed, an outcome).
_LIST_COLUMNS = (
    "who",
    "phone",
    "direction",
    "duration_s",
    "outcome",
    "note_preview",
    "state",
    "account",
)

_V3 = (
    # Search index v2 -> v3: contentless, only live (not deleted) calls, rowids in time order,
    # prefix indexes so typing a word's first letters stays cheap.
    "DROP TRIGGER calls_fts_insert",
    "DROP TRIGGER calls_fts_delete",
    "DROP TRIGGER calls_fts_update",
    "DROP TABLE calls_fts",
    """CREATE VIRTUAL TABLE calls_fts USING fts5(
        search_text, content='', tokenize='unicode61 remove_diacritics 2',
        prefix='1 2 3 4 5 6 7 8 9 10 11 12'
    )""",
    f"""CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN
        SELECT RAISE(ABORT, 'calls.rid out of range for the search index')
        WHERE new.rid > {SEARCH_RID_MASK} OR new.rid < 0;
        INSERT INTO calls_fts(rowid, search_text)
        SELECT {search_key_sql("new")}, new.search_text WHERE new.deleted = 0;
    END""",
    f"""CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls WHEN old.deleted = 0 BEGIN
        INSERT INTO calls_fts(calls_fts, rowid, search_text)
        VALUES ('delete', {search_key_sql("old")}, old.search_text);
    END""",
    f"""CREATE TRIGGER calls_fts_update AFTER UPDATE OF search_text, deleted, when_ts ON calls
    BEGIN
        INSERT INTO calls_fts(calls_fts, rowid, search_text)
        SELECT 'delete', {search_key_sql("old")}, old.search_text WHERE old.deleted = 0;
        INSERT INTO calls_fts(rowid, search_text)
        SELECT {search_key_sql("new")}, new.search_text WHERE new.deleted = 0;
    END""",
    # Merge segments as soon as two share a level (default four): fewer segments to consult per
    # query term, for a little more work per write.
    "INSERT INTO calls_fts(calls_fts, rank) VALUES ('automerge', 2)",
    f"""INSERT INTO calls_fts(rowid, search_text)
        SELECT {search_key_sql("calls")}, search_text FROM calls WHERE deleted = 0""",
    "INSERT INTO calls_fts(calls_fts) VALUES ('optimize')",
    # Superseded by calls_live_state / calls_live_outcome (the list always filters on deleted).
    "DROP INDEX calls_account_state_when",
    "DROP INDEX calls_account_outcome_when",
    # The call list's first page and count without an account filter ("All calls", this week).
    "CREATE INDEX calls_live_when ON calls(deleted, when_ts)",
    *(
        f"CREATE INDEX calls_live_{column} ON calls(deleted, {column}, when_ts)"
        for column in _LIST_COLUMNS
    ),
)


# Version 4 takes the search index off the durable save path. Triggers no longer write
# ``calls_fts`` inside the transaction that saves a call (every prefix entry of every word was
# another b-tree write before the save's COMMIT); they only note in ``search_pending`` which calls
# need re-indexing and what their entry in the index was (its rowid and text: a contentless FTS5
# table can only delete an entry given the text it indexed). ``calldesk.store.search`` applies
# the pending rows in a second transaction right after the save, before the next read of the
# index, and at open (a crash between the two transactions loses no entry). ``INSERT OR IGNORE``
# keeps the first noted state, which is what the index holds until the pending row is applied.
# The entry the index holds for a live call: its rid, index rowid and indexed text.
_PENDING_OLD = f"old.rid, {search_key_sql('old')}, old.search_text"

_V4 = (
    "DROP TRIGGER calls_fts_insert",
    "DROP TRIGGER calls_fts_delete",
    "DROP TRIGGER calls_fts_update",
    """CREATE TABLE search_pending (
        rid INTEGER PRIMARY KEY,        -- calls.rid to (re-)index from its current row
        old_key INTEGER,                -- calls_fts rowid to delete first; NULL: none
        old_text TEXT                   -- the text that entry was indexed with
    )""",
    f"""CREATE TRIGGER calls_search_insert AFTER INSERT ON calls BEGIN
        SELECT RAISE(ABORT, 'calls.rid out of range for the search index')
        WHERE new.rid > {SEARCH_RID_MASK} OR new.rid < 0;
        INSERT OR IGNORE INTO search_pending (rid) VALUES (new.rid);
    END""",
    f"""CREATE TRIGGER calls_search_delete AFTER DELETE ON calls WHEN old.deleted = 0 BEGIN
        INSERT OR IGNORE INTO search_pending (rid, old_key, old_text) VALUES ({_PENDING_OLD});
    END""",
    f"""CREATE TRIGGER calls_search_update AFTER UPDATE OF search_text, deleted, when_ts ON calls
    WHEN old.search_text IS NOT new.search_text OR old.deleted IS NOT new.deleted
        OR old.when_ts IS NOT new.when_ts
    BEGIN
        INSERT OR IGNORE INTO search_pending (rid, old_key, old_text)
        SELECT {_PENDING_OLD} WHERE old.deleted = 0;
        INSERT OR IGNORE INTO search_pending (rid) VALUES (new.rid);
    END""",
    # Kept from version 3, measured at 100,000 calls (benchmarks/README.md): the prefix indexes
    # 1-12 (with only '1 2 3', a 7-digit phone fragment searches 3.5x slower: longer prefixes
    # become range scans merging many terms) and the (deleted, column, when_ts) index of every
    # sort column (without one, a page sorted by that column takes ~180 ms: every wide row is
    # read). Their cost is now outside the durable transaction (search) or small (list).
    # Served by calls_live_account (every list query filters on deleted).
    "DROP INDEX calls_account_when",
)


# Version 5 takes the call list off the durable save path too. The list columns and their
# (deleted, column, when_ts) indexes move to ``call_rows``, a narrow copy of each call's list
# line keyed by ``calls.rid``; ``calls`` keeps its columns (the source the copy is built from)
# but no list index, so a save writes the call row, its key and remote indexes, its operation
# and one note. The same notes as the search index's (``search_pending``, now written for a
# change to any list column) drive ``call_rows``: ``calldesk.store.search`` rebuilds the noted
# lines in the transaction that indexes them, before any list, count or search query reads.
# ``outbox`` becomes a ``WITHOUT ROWID`` table keyed by ``op_id`` (one b-tree fewer per save;
# every access is by op_id, local_id or account/state).
_ROW_COLUMNS = (
    "rid",
    "local_id",
    "account",
    "remote_id",
    "state",
    "deleted",
    "when_ts",
    "who",
    "phone",
    "direction",
    "duration_s",
    "outcome",
    "note_preview",
)
#: The ``calls`` columns whose change re-notes a call (list line and search entry).
NOTED_COLUMNS = (*_ROW_COLUMNS[1:], "search_text")


def row_select_sql(prefix: str) -> str:
    """The ``call_rows`` column values of the ``calls`` row named ``prefix``, in table order."""
    return ", ".join(f"{prefix}.{column}" for column in _ROW_COLUMNS)


_CHANGED = " OR ".join(f"old.{column} IS NOT new.{column}" for column in NOTED_COLUMNS)

_V5 = (
    """CREATE TABLE call_rows (
        rid INTEGER PRIMARY KEY,                -- calls.rid
        local_id TEXT NOT NULL,
        account TEXT NOT NULL,
        remote_id TEXT,
        state TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        when_ts REAL,
        who TEXT NOT NULL,
        phone TEXT NOT NULL,
        direction TEXT NOT NULL,
        duration_s INTEGER,
        outcome TEXT NOT NULL,
        note_preview TEXT NOT NULL
    )""",
    f"INSERT INTO call_rows SELECT {row_select_sql('calls')} FROM calls",
    "CREATE INDEX call_rows_live_when ON call_rows(deleted, when_ts)",
    *(
        f"CREATE INDEX call_rows_live_{column} ON call_rows(deleted, {column}, when_ts)"
        for column in _LIST_COLUMNS
    ),
    "DROP INDEX calls_live_when",
    *(f"DROP INDEX calls_live_{column}" for column in _LIST_COLUMNS),
    "DROP TRIGGER calls_search_delete",
    "DROP TRIGGER calls_search_update",
    # a deleted call keeps its list line (the trash view): every removed call is noted
    f"""CREATE TRIGGER calls_search_delete AFTER DELETE ON calls BEGIN
        INSERT OR IGNORE INTO search_pending (rid, old_key, old_text)
        SELECT {_PENDING_OLD} WHERE old.deleted = 0;
        INSERT OR IGNORE INTO search_pending (rid) VALUES (old.rid);
    END""",
    f"""CREATE TRIGGER calls_search_update AFTER UPDATE OF {", ".join(NOTED_COLUMNS)} ON calls
    WHEN {_CHANGED}
    BEGIN
        INSERT OR IGNORE INTO search_pending (rid, old_key, old_text)
        SELECT {_PENDING_OLD} WHERE old.deleted = 0;
        INSERT OR IGNORE INTO search_pending (rid) VALUES (new.rid);
    END""",
    """CREATE TABLE outbox_v5 (
        op_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        local_id TEXT NOT NULL REFERENCES calls(local_id) ON DELETE CASCADE,
        remote_id TEXT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error TEXT,
        base_updated_at TEXT,
        file_path TEXT,
        seq INTEGER NOT NULL,
        UNIQUE (local_id, seq)
    ) WITHOUT ROWID""",
    "INSERT INTO outbox_v5 SELECT * FROM outbox",
    "DROP TABLE outbox",
    "ALTER TABLE outbox_v5 RENAME TO outbox",
    "CREATE INDEX outbox_account_state ON outbox(account, state, next_attempt_at)",
)

# Version 6 keeps the list's counts: ``call_counts`` holds how many ``call_rows`` lines each
# (account, state, deleted) has. ``calldesk.store.search`` adjusts it in the transaction that
# rewrites the noted lines (minus the old lines, plus the new ones), so counting "All calls", an
# account or the unsynced calls adds up a few rows instead of walking an index of every call.
_V6 = (
    """CREATE TABLE call_counts (
        account TEXT NOT NULL,
        state TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (deleted, account, state)
    ) WITHOUT ROWID""",
    """INSERT INTO call_counts (deleted, account, state, n)
        SELECT deleted, account, state, COUNT(*) FROM call_rows GROUP BY deleted, account, state""",
)


#: Version 9: caller-ID answers kept per account and number (offline, and instant when recent),
#: and the rep's note templates per outcome.
_V9 = (
    """CREATE TABLE phone_matches (
        account TEXT NOT NULL,
        number TEXT NOT NULL,                   -- E.164
        matches TEXT NOT NULL,                  -- JSON list of PhoneMatch fields ([] = none)
        searched_at TEXT NOT NULL,
        PRIMARY KEY (account, number)
    ) WITHOUT ROWID""",
    "CREATE INDEX phone_matches_age ON phone_matches(account, searched_at)",
    """CREATE TABLE note_templates (
        template_id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT '',       -- outcome wire value; '' = any outcome
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        is_default INTEGER NOT NULL DEFAULT 0,  -- inserted when this outcome is chosen
        position INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX note_templates_account ON note_templates(account, outcome, position)",
)


def _v1(conn: sqlite3.Connection) -> None:
    _run(conn, _V1)


def _v2(conn: sqlite3.Connection) -> None:
    _run(conn, _V2)


def _v3(conn: sqlite3.Connection) -> None:
    _run(conn, _V3)


def _v4(conn: sqlite3.Connection) -> None:
    _run(conn, _V4)


def _v5(conn: sqlite3.Connection) -> None:
    _run(conn, _V5)


def _v6(conn: sqlite3.Connection) -> None:
    _run(conn, _V6)


#: When a create was first attempted: a retried create adopts only CRM records made after it.
_V7 = ("ALTER TABLE outbox ADD COLUMN first_sent_at TEXT",)


def _v7(conn: sqlite3.Connection) -> None:
    _run(conn, _V7)


def _v8(conn: sqlite3.Connection) -> None:
    from calldesk.store.transcripts import SCHEMA_V8  # its tables are declared with its store

    _run(conn, SCHEMA_V8)


def _v9(conn: sqlite3.Connection) -> None:
    _run(conn, _V9)


#: Which open store (``store/owners.py`` lease) holds an operation in flight.
_V10 = ("ALTER TABLE outbox ADD COLUMN owner TEXT",)


def _v10(conn: sqlite3.Connection) -> None:
    _run(conn, _V10)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "calls, outbox, drafts, audit and lookups tables", _v1),
    Migration(2, "FTS5 search over calls and indexes for the call list", _v2),
    Migration(3, "time-ordered search index of live calls; indexes for every list sort", _v3),
    Migration(4, "search index written after the save's commit; no calls_account_when", _v4),
    Migration(5, "list lines in call_rows, written after the save's commit; outbox by op_id", _v5),
    Migration(6, "call_counts: the list's counts per deleted, account and state", _v6),
    Migration(7, "outbox.first_sent_at: when an operation was first attempted", _v7),
    Migration(8, "transcripts of calls' recordings, searchable, deleted with their call", _v8),
    Migration(9, "caller-ID answers per number; note templates per outcome", _v9),
    Migration(10, "outbox.owner: the open store that holds an operation in flight", _v10),
)

LATEST_VERSION = MIGRATIONS[-1].version


def user_version(conn: sqlite3.Connection) -> int:
    """Return the schema version the open database is at (0 for a new file)."""
    value = conn.execute("PRAGMA user_version").fetchone()[0]
    return int(value)


def migrate(db: Database, target: int = LATEST_VERSION) -> int:
    """Bring ``db`` up to ``target`` one migration at a time; return the version reached.

    Raises :class:`StoreEnvironmentError` for a file written by a newer calldesk.
    """
    conn = db.connection
    with translate_errors():
        current = user_version(conn)
    if current > LATEST_VERSION:
        raise StoreEnvironmentError(
            f"{db.path} was written by a newer calldesk (schema {current}, this one knows "
            f"{LATEST_VERSION}); upgrade calldesk or move the file away"
        )
    for migration in MIGRATIONS:
        if current < migration.version <= target:
            with db.transaction() as tx:
                migration.apply(tx)
                tx.execute(f"PRAGMA user_version = {int(migration.version)}")
            current = migration.version
    return current
