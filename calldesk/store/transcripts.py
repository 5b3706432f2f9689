"""Transcripts kept with their call: saved, read, searched, and deleted with the call.

A transcript is one row of ``transcripts`` per call (schema 8; its tables are declared here as
:data:`SCHEMA_V8`, applied by ``calldesk.store.migrations``), with its own full-text index.
It goes when its call goes: ``ON DELETE CASCADE`` when the call's row is removed, and a trigger
when the call is marked deleted (the rep deleted it; its words should not outlive it here).
"""

from __future__ import annotations

import json
import sqlite3

from calldesk.domain.model import utcnow
from calldesk.domain.transcript import Segment, Transcript
from calldesk.store.call_list import fts_query
from calldesk.store.db import Database, decode_time, encode_time

SCHEMA_V8 = (
    """CREATE TABLE transcripts (
        rid INTEGER PRIMARY KEY,
        local_id TEXT NOT NULL UNIQUE REFERENCES calls(local_id) ON DELETE CASCADE,
        engine TEXT NOT NULL,
        language TEXT,
        audio_s REAL NOT NULL,
        segments TEXT NOT NULL,                 -- JSON [[start, end, text], ...]
        text TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE VIRTUAL TABLE transcripts_fts USING fts5(
        text, content='transcripts', content_rowid='rid',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4'
    )""",
    """CREATE TRIGGER transcripts_fts_insert AFTER INSERT ON transcripts BEGIN
        INSERT INTO transcripts_fts(rowid, text) VALUES (new.rid, new.text);
    END""",
    """CREATE TRIGGER transcripts_fts_delete AFTER DELETE ON transcripts BEGIN
        INSERT INTO transcripts_fts(transcripts_fts, rowid, text)
        VALUES ('delete', old.rid, old.text);
    END""",
    """CREATE TRIGGER transcripts_fts_update AFTER UPDATE ON transcripts BEGIN
        INSERT INTO transcripts_fts(transcripts_fts, rowid, text)
        VALUES ('delete', old.rid, old.text);
        INSERT INTO transcripts_fts(rowid, text) VALUES (new.rid, new.text);
    END""",
    """CREATE TRIGGER transcripts_call_deleted AFTER UPDATE OF deleted ON calls
    WHEN new.deleted = 1 BEGIN
        DELETE FROM transcripts WHERE local_id = new.local_id;
    END""",
)


class TranscriptStore:
    """The calls' transcripts (synchronous; one thread)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(
        self,
        local_id: str,
        *,
        engine: str,
        language: str | None,
        audio_s: float,
        segments: tuple[Segment, ...] | list[Segment],
    ) -> Transcript | None:
        """Keep (or replace) the transcript of call ``local_id``; committed before returning.

        ``None`` (nothing kept) when the call is gone or deleted meanwhile."""
        kept = tuple(segments)
        created = utcnow()
        text = "\n".join(s.text.strip() for s in kept if s.text.strip())
        with self._db.transaction() as conn:
            live = conn.execute(
                "SELECT 1 FROM calls WHERE local_id = ? AND deleted = 0", (local_id,)
            ).fetchone()
            if live is None:
                return None
            conn.execute(
                """INSERT INTO transcripts
                       (local_id, engine, language, audio_s, segments, text, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (local_id) DO UPDATE SET engine = excluded.engine,
                       language = excluded.language, audio_s = excluded.audio_s,
                       segments = excluded.segments, text = excluded.text,
                       created_at = excluded.created_at""",
                (
                    local_id,
                    engine,
                    language,
                    audio_s,
                    json.dumps([[s.start, s.end, s.text] for s in kept], ensure_ascii=False),
                    text,
                    encode_time(created),
                ),
            )
        return Transcript(local_id, engine, language, audio_s, kept, created)

    def get(self, local_id: str) -> Transcript | None:
        row = self._db.query_one("SELECT * FROM transcripts WHERE local_id = ?", (local_id,))
        return None if row is None else _transcript(row)

    def delete(self, local_id: str) -> bool:
        """Remove a call's transcript; returns whether there was one."""
        with self._db.transaction() as conn:
            gone = conn.execute("DELETE FROM transcripts WHERE local_id = ?", (local_id,))
            return gone.rowcount > 0

    def search(self, text: str, limit: int = 200) -> list[str]:
        """The calls whose transcript matches ``text`` as typed (best match first)."""
        match = fts_query(text)
        if match is None:
            return []
        rows = self._db.query(
            """SELECT t.local_id FROM transcripts_fts f JOIN transcripts t ON t.rid = f.rowid
               WHERE transcripts_fts MATCH ? ORDER BY f.rank LIMIT ?""",
            (match, limit),
        )
        return [str(row[0]) for row in rows]


def _transcript(row: sqlite3.Row) -> Transcript:
    created = decode_time(row["created_at"])
    assert created is not None
    return Transcript(
        local_id=row["local_id"],
        engine=row["engine"],
        language=row["language"],
        audio_s=float(row["audio_s"]),
        segments=tuple(
            Segment(float(a), float(b), str(t)) for a, b, t in json.loads(row["segments"])
        ),
        created_at=created,
    )
