"""The local store as one unit: the database and the stores built on its connection."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from calldesk.store.audit import AuditLog
from calldesk.store.calls import CallStore
from calldesk.store.db import Database
from calldesk.store.drafts import DraftStore
from calldesk.store.lookups import LookupCache
from calldesk.store.matches import MatchCache
from calldesk.store.outbox import Outbox
from calldesk.store.owners import ProcessLease, is_alive
from calldesk.store.paths import DB_FILENAME
from calldesk.store.records import RowBuilder
from calldesk.store.search import SearchIndexer
from calldesk.store.templates import TemplateStore
from calldesk.store.transcripts import TranscriptStore

__all__ = ["DB_FILENAME", "OWNERS_DIRNAME", "LocalStore"]

#: Beside the database: one lock file per open store (``store/owners.py``).
OWNERS_DIRNAME = "owners"


@dataclass(frozen=True, slots=True)
class LocalStore:
    """Everything kept in ``<data_dir>/calldesk.sqlite3``, sharing one connection (one thread)."""

    db: Database
    #: This open store's lease: which process holds an operation in flight (``owners.py``).
    lease: ProcessLease
    calls: CallStore
    outbox: Outbox
    drafts: DraftStore
    audit: AuditLog
    lookups: LookupCache
    search_index: SearchIndexer
    transcripts: TranscriptStore
    matches: MatchCache
    templates: TemplateStore

    @classmethod
    def open(cls, path: Path, builder: RowBuilder | None = None) -> LocalStore:
        """Open (creating and migrating as needed) the database at ``path``.

        ``builder`` computes list columns and search text from wire fields, used when the store
        itself changes a record's local view (after a sync, a discard, a conflict resolution).
        """
        db = Database(path)
        search_index = SearchIndexer(db)
        lease: ProcessLease | None = None
        try:
            search_index.flush()  # whatever a crash left between a save and its indexing
            lease = ProcessLease.take(path.parent / OWNERS_DIRNAME)
            outbox = Outbox(
                db,
                builder,
                owner=lease.token,
                owner_alive=functools.partial(is_alive, lease.folder),
            )
            # What a killed calldesk left in flight shows as interrupted, not as being sent.
            outbox.recover_interrupted()
        except BaseException:
            if lease is not None:
                lease.release()
            db.close()
            raise
        return cls(
            db=db,
            lease=lease,
            calls=CallStore(db, builder, search_index),
            outbox=outbox,
            drafts=DraftStore(db),
            audit=AuditLog(db),
            lookups=LookupCache(db),
            search_index=search_index,
            transcripts=TranscriptStore(db),
            matches=MatchCache(db),
            templates=TemplateStore(db),
        )

    def close(self) -> None:
        """Bring the search index up to date, then close the database (idempotent)."""
        if self.db.closed:
            return
        try:
            self.search_index.flush()
        finally:
            try:
                self.db.close()
            finally:
                self.lease.release()
