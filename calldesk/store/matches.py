"""Caller-ID answers kept per account and number, so a number matched once answers offline and
at once: what the CRM said (``[]`` when nobody has it) and when it was asked."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from calldesk.domain.model import PhoneMatch, utcnow
from calldesk.store.db import Database, decode_time, encode_time

#: Numbers kept per account; the oldest answers go first beyond this.
MAX_NUMBERS = 20_000


@dataclass(frozen=True, slots=True)
class CachedMatches:
    """What the CRM answered for a number, and when."""

    matches: tuple[PhoneMatch, ...]
    searched_at: datetime


def encode_matches(matches: Sequence[PhoneMatch]) -> str:
    return json.dumps(
        [
            {
                "kind": m.kind,
                "id": m.id,
                "name": m.name,
                "number": m.number,
                "detail": m.detail,
                "related": [list(pair) for pair in m.related],
            }
            for m in matches
        ],
        separators=(",", ":"),
    )


def decode_matches(text: str) -> tuple[PhoneMatch, ...]:
    """The stored list; anything unreadable is left out (a cache never breaks matching)."""
    try:
        items = json.loads(text)
    except ValueError:
        return ()
    matches: list[PhoneMatch] = []
    for item in items if isinstance(items, list) else []:
        try:
            related = tuple((str(k), str(v)) for k, v in item.get("related", []))
            matches.append(
                PhoneMatch(
                    str(item["kind"]),
                    str(item["id"]),
                    str(item["name"]),
                    str(item["number"]),
                    str(item.get("detail", "")),
                    related,
                )
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return tuple(matches)


class MatchCache:
    """Caller-ID answers by ``(account, E.164 number)`` (one indexed row per number)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, account: str, number: str) -> CachedMatches | None:
        row = self._db.query_one(
            "SELECT matches, searched_at FROM phone_matches WHERE account = ? AND number = ?",
            (account, number),
        )
        if row is None:
            return None
        when = decode_time(row[1])
        if when is None:
            return None
        return CachedMatches(decode_matches(row[0]), when)

    def put(
        self,
        account: str,
        number: str,
        matches: Sequence[PhoneMatch],
        searched_at: datetime | None = None,
    ) -> None:
        """Keep the CRM's answer for ``number`` (replacing an older one), bounded per account."""
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO phone_matches (account, number, matches, searched_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (account, number) DO UPDATE SET matches = excluded.matches,
                       searched_at = excluded.searched_at""",
                (account, number, encode_matches(matches), encode_time(searched_at or utcnow())),
            )
            conn.execute(
                """DELETE FROM phone_matches WHERE account = ? AND number IN (
                       SELECT number FROM phone_matches WHERE account = ?
                       ORDER BY searched_at DESC LIMIT -1 OFFSET ?)""",
                (account, account, MAX_NUMBERS),
            )

    def forget(self, account: str) -> None:
        """Drop every answer of ``account`` (its CRM data may no longer be ours)."""
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM phone_matches WHERE account = ?", (account,))


class MatchReader:
    """A read-only look at kept answers for the thread that calls it (the window's, at each
    keystroke): one primary-key lookup, no worker hop, no write lock. Opened on first use, in
    the calling thread; every answer is as committed (WAL readers never block the writer)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def get(self, account: str, number: str) -> CachedMatches | None:
        try:
            if self._conn is None:
                uri = f"{self._path.resolve().as_uri()}?mode=ro"
                self._conn = sqlite3.connect(
                    uri, uri=True, isolation_level=None, check_same_thread=False
                )  # used by one thread at a time; closed by whichever shuts down
            row = self._conn.execute(
                "SELECT matches, searched_at FROM phone_matches WHERE account = ? AND number = ?",
                (account, number),
            ).fetchone()
        except sqlite3.Error:
            return None  # no cache yet (a new file), or busy: the worker path answers instead
        if row is None:
            return None
        when = decode_time(row[1])
        return None if when is None else CachedMatches(decode_matches(row[0]), when)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
