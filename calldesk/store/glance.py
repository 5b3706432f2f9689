"""A first look at the local database, before anything else loads: the window's first frame.

``glance(path)`` reads the newest list lines (``call_rows``, the call list's default order) and
how many outbox operations wait or failed, with ``sqlite3`` alone: no migrations, no DB worker, no
domain model, so the window can paint the rep's calls a few milliseconds after Qt has started.
It never creates, migrates or writes the file. It answers ``None`` whenever that quick look might
differ from what the store itself would show (no file yet, another schema version, list lines not
yet caught up with a save, any SQLite error); the window then paints its frame without rows and the
store, opened right after, fills it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

#: The schema version whose ``call_rows`` and ``outbox`` this module reads (``migrations``'s
#: ``LATEST_VERSION``; a test keeps them equal).
GLANCE_SCHEMA = 10

_ROWS_SQL = (
    "SELECT local_id, account, remote_id, state, deleted, when_ts, who, phone, direction,"
    " duration_s, outcome, note_preview FROM call_rows WHERE deleted = 0"
    " ORDER BY when_ts DESC, rid DESC LIMIT ?"
)
_WAITING = ("pending", "in-flight")
_STOPPED = ("failed", "conflict", "needs-auth")


class GlanceRow(NamedTuple):
    """One list line, shaped like ``calldesk.store.calls.CallSummary`` (``state`` a plain str)."""

    local_id: str
    account: str
    remote_id: str | None
    state: str
    deleted: bool
    when_ts: float | None
    who: str
    phone: str
    direction: str
    duration_s: int | None
    outcome: str
    note_preview: str


class Glance(NamedTuple):
    """The newest list lines, and the outbox's waiting and stopped operations."""

    rows: list[GlanceRow]
    pending: int
    failed: int


def glance(path: Path, limit: int) -> Glance | None:
    """The newest ``limit`` live calls and the outbox counts, or None (see the module docstring)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] != GLANCE_SCHEMA:
            return None
        if conn.execute("SELECT EXISTS (SELECT 1 FROM search_pending)").fetchone()[0]:
            return None  # a save's list line is not written yet: the store catches up first
        rows = [
            GlanceRow._make((*row[:4], bool(row[4]), *row[5:]))
            for row in conn.execute(_ROWS_SQL, (limit,))
        ]
        counts = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return Glance(
        rows,
        pending=sum(counts.get(state, 0) for state in _WAITING),
        failed=sum(counts.get(state, 0) for state in _STOPPED),
    )
