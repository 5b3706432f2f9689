"""The local store as one unit: the database and the stores built on its connection."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from calldesk.store.audit import AuditLog
from calldesk.store.calls import CallStore
from calldesk.store.db import Database
from calldesk.store.drafts import DraftStore
from calldesk.store.lookups import LookupCache
from calldesk.store.outbox import Outbox
from calldesk.store.records import RowBuilder

DB_FILENAME = "calldesk.sqlite3"


@dataclass(frozen=True, slots=True)
class LocalStore:
    """Everything kept in ``<data_dir>/calldesk.sqlite3``, sharing one connection (one thread)."""

    db: Database
    calls: CallStore
    outbox: Outbox
    drafts: DraftStore
    audit: AuditLog
    lookups: LookupCache

    @classmethod
    def open(cls, path: Path, builder: RowBuilder | None = None) -> LocalStore:
        """Open (creating and migrating as needed) the database at ``path``.

        ``builder`` computes list columns and search text from wire fields, used when the store
        itself changes a record's local view (after a sync, a discard, a conflict resolution).
        """
        db = Database(path)
        return cls(
            db=db,
            calls=CallStore(db, builder),
            outbox=Outbox(db, builder),
            drafts=DraftStore(db),
            audit=AuditLog(db),
            lookups=LookupCache(db),
        )

    def close(self) -> None:
        self.db.close()
