"""The store-only stand-in the window starts on, so it can paint before the engine is loaded.

``StorePreview`` answers the call list, its count, the outbox counts, the queue and the drafts
straight from the local store (only the DB worker, so only ``sqlite3``); it lists no accounts, and
everything else refuses with ``StillStarting``. ``StartingEngine`` is the matching engine: online,
no syncers, nothing to send (both from ``calldesk.sync.starting``). The composition root swaps
them for the real ``CallService`` and ``SyncEngine`` once the window has painted its rows
(``calldesk.ui.qtapp``). Nothing here imports httpx, the CRM adapters, the schemas or keyring.
"""

from __future__ import annotations

from calldesk.store.worker import DbWorker
from calldesk.sync.reads import StoreReads
from calldesk.sync.starting import StartingService

__all__ = ["StorePreview"]


class StorePreview(StoreReads, StartingService):
    """Reads the local store for the first paint; lists no accounts and changes nothing."""

    def __init__(self, worker: DbWorker) -> None:
        self._worker = worker
