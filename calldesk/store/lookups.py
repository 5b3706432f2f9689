"""Cached lookup choices (outcomes, users, contacts, deals) so forms work offline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from calldesk.domain.model import LookupItem, utcnow
from calldesk.store.db import Database, decode_time, encode_time


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class LookupCache:
    """Lookup items per account and source; a refresh replaces a whole source at once."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def replace(
        self,
        account: str,
        source: str,
        items: Iterable[LookupItem],
        fetched_at: datetime | None = None,
    ) -> int:
        """Replace every cached item of ``source`` with ``items``; returns how many are stored."""
        stamp = encode_time(fetched_at or utcnow())
        rows = [(account, source, item.id, item.label, item.detail, stamp) for item in items]
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM lookups WHERE account = ? AND source = ?", (account, source))
            conn.executemany(
                """INSERT OR REPLACE INTO lookups (account, source, id, label, detail, fetched_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                rows,
            )
        return len(rows)

    def get(self, account: str, source: str, item_id: str) -> LookupItem | None:
        row = self._db.query_one(
            "SELECT * FROM lookups WHERE account = ? AND source = ? AND id = ?",
            (account, source, item_id),
        )
        if row is None:
            return None
        return LookupItem(source=source, id=row["id"], label=row["label"], detail=row["detail"])

    def search(
        self, account: str, source: str, query: str = "", limit: int = 50
    ) -> list[LookupItem]:
        """Items whose label contains ``query`` (case-insensitive), label-prefix matches first."""
        pattern = _like_escape(query)
        rows = self._db.query(
            """SELECT id, label, detail FROM lookups
               WHERE account = ? AND source = ? AND label LIKE ? ESCAPE '\\'
               ORDER BY label NOT LIKE ? ESCAPE '\\', label COLLATE NOCASE, id
               LIMIT ?""",
            (account, source, f"%{pattern}%", f"{pattern}%", limit),
        )
        return [
            LookupItem(source=source, id=row["id"], label=row["label"], detail=row["detail"])
            for row in rows
        ]

    def fetched_at(self, account: str, source: str) -> datetime | None:
        """When ``source`` was last refreshed (``None``: never cached)."""
        row = self._db.query_one(
            "SELECT MAX(fetched_at) FROM lookups WHERE account = ? AND source = ?",
            (account, source),
        )
        return None if row is None else decode_time(row[0])
