"""Unsaved form contents, kept exactly as typed so a crash loses nothing, even invalid input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from calldesk.domain.model import utcnow
from calldesk.store.db import Database, StoreBugError, decode_time, encode_time


@dataclass(frozen=True, slots=True)
class Draft:
    """A form the rep has not saved: field name → text as typed.

    ``local_id`` is the record being edited, or ``None`` for a call not logged yet.
    """

    draft_id: str
    account: str
    local_id: str | None
    form: dict[str, str]
    updated_at: datetime


class DraftStore:
    """Drafts, one per form (synchronous; one thread). Saving a call removes its draft."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(
        self, draft_id: str, account: str, form: Mapping[str, str], local_id: str | None = None
    ) -> None:
        """Store (or replace) a draft; committed before returning."""
        if not all(isinstance(value, str) for value in form.values()):
            raise StoreBugError("draft values must be the text as typed")
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO drafts (draft_id, account, local_id, form, updated_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (draft_id) DO UPDATE SET account = excluded.account,
                       local_id = excluded.local_id, form = excluded.form,
                       updated_at = excluded.updated_at""",
                (
                    draft_id,
                    account,
                    local_id,
                    json.dumps(dict(form), ensure_ascii=False),
                    encode_time(utcnow()),
                ),
            )

    def get(self, draft_id: str) -> Draft | None:
        row = self._db.query_one("SELECT * FROM drafts WHERE draft_id = ?", (draft_id,))
        return None if row is None else _draft(row)

    def for_record(self, local_id: str) -> Draft | None:
        """The draft editing ``local_id``, if any (the newest one)."""
        row = self._db.query_one(
            "SELECT * FROM drafts WHERE local_id = ? ORDER BY updated_at DESC", (local_id,)
        )
        return None if row is None else _draft(row)

    def list(self, account: str | None = None) -> list[Draft]:
        """Every draft, newest first (to offer restoring them after a crash)."""
        if account is None:
            rows = self._db.query("SELECT * FROM drafts ORDER BY updated_at DESC")
        else:
            rows = self._db.query(
                "SELECT * FROM drafts WHERE account = ? ORDER BY updated_at DESC", (account,)
            )
        return [_draft(row) for row in rows]

    def delete(self, draft_id: str) -> bool:
        """Remove a draft; returns whether there was one."""
        with self._db.transaction() as conn:
            cursor = conn.execute("DELETE FROM drafts WHERE draft_id = ?", (draft_id,))
            return cursor.rowcount > 0


def _draft(row: sqlite3.Row) -> Draft:
    form = json.loads(str(row["form"]))
    updated_at = decode_time(str(row["updated_at"]))
    if not isinstance(form, dict) or updated_at is None:  # pragma: no cover - written by save()
        raise StoreBugError("malformed draft row")
    local_id = row["local_id"]
    return Draft(
        draft_id=str(row["draft_id"]),
        account=str(row["account"]),
        local_id=None if local_id is None else str(local_id),
        form={str(key): str(value) for key, value in form.items()},
        updated_at=updated_at,
    )
