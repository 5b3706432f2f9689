"""Each record's request history: what calldesk sent for it and what the CRM answered."""

from __future__ import annotations

import sqlite3

from calldesk.domain.model import AuditEntry
from calldesk.store.db import Database, StoreBugError, decode_time, encode_time

DEFAULT_KEEP_PER_RECORD = 200


class AuditLog:
    """Append-only audit entries, newest first per record, bounded per record."""

    def __init__(self, db: Database, keep_per_record: int = DEFAULT_KEEP_PER_RECORD) -> None:
        if keep_per_record < 1:
            raise StoreBugError("keep_per_record must be at least 1")
        self._db = db
        self._keep = keep_per_record

    def record(self, entry: AuditEntry) -> None:
        """Append ``entry`` (the caller has already removed any secret from it)."""
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO audit (at, account, method, path, status, elapsed_ms, message,
                       local_id, op_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    encode_time(entry.at),
                    entry.account,
                    entry.method,
                    entry.path,
                    entry.status,
                    entry.elapsed_ms,
                    entry.message,
                    entry.local_id,
                    entry.op_id,
                ),
            )
            if entry.local_id is not None:
                conn.execute(
                    """DELETE FROM audit WHERE local_id = ? AND id <= (
                           SELECT id FROM audit WHERE local_id = ?
                           ORDER BY id DESC LIMIT 1 OFFSET ?)""",
                    (entry.local_id, entry.local_id, self._keep),
                )

    def for_record(self, local_id: str, limit: int = 100) -> list[AuditEntry]:
        """The record's entries, newest first."""
        rows = self._db.query(
            "SELECT * FROM audit WHERE local_id = ? ORDER BY id DESC LIMIT ?", (local_id, limit)
        )
        return [_entry(row) for row in rows]

    def recent(self, account: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """The latest entries of every record (or one account), newest first."""
        if account is None:
            rows = self._db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._db.query(
                "SELECT * FROM audit WHERE account = ? ORDER BY id DESC LIMIT ?", (account, limit)
            )
        return [_entry(row) for row in rows]


def _entry(row: sqlite3.Row) -> AuditEntry:
    at = decode_time(row["at"])
    if at is None:  # pragma: no cover - NOT NULL column
        raise StoreBugError("audit row without time")
    return AuditEntry(
        at=at,
        account=row["account"],
        method=row["method"],
        path=row["path"],
        status=row["status"],
        elapsed_ms=row["elapsed_ms"],
        message=row["message"],
        local_id=row["local_id"],
        op_id=row["op_id"],
    )
