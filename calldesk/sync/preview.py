"""The store-only stand-in the window starts on, so it can paint before the engine is loaded.

``StorePreview`` answers the call list, its count, the outbox counts, the queue and the drafts
straight from the local store (only the DB worker, so only ``sqlite3``); it lists no accounts, and
everything else refuses with ``StillStarting``. ``StartingEngine`` is the matching engine: online,
no syncers, nothing to send (both from ``calldesk.sync.starting``). The composition root swaps
them for the real ``CallService`` and ``SyncEngine`` once the window has painted its rows
(``calldesk.ui.qtapp``). Nothing here imports httpx, the CRM adapters, the schemas or keyring.
"""

from __future__ import annotations

from calldesk.domain import Operation
from calldesk.store.calls import CallQuery, CallSummary
from calldesk.store.drafts import Draft
from calldesk.store.outbox import OutboxCounts
from calldesk.store.worker import DbWorker
from calldesk.sync.starting import StartingService

__all__ = ["StorePreview"]


class StorePreview(StartingService):
    """Reads the local store for the first paint; lists no accounts and changes nothing."""

    def __init__(self, worker: DbWorker) -> None:
        self._worker = worker

    async def list_calls(self, query: CallQuery) -> list[CallSummary]:
        """One page of the call list, from the store."""
        return await self._worker.run(lambda s: s.calls.list_calls(query))

    async def count_calls(self, query: CallQuery) -> int:
        """How many calls the query matches, from the store."""
        return await self._worker.run(lambda s: s.calls.count_calls(query))

    async def outcomes(self) -> list[str]:
        """The outcomes the cached calls have, from the store."""
        return await self._worker.run(lambda s: s.calls.outcomes())

    async def counts(self, account: str | None = None) -> OutboxCounts:
        """The outbox counts, from the store."""
        return await self._worker.run(lambda s: s.outbox.counts(account))

    async def queue(self, account: str | None = None) -> list[Operation]:
        """Every unsent operation, from the store."""
        return await self._worker.run(lambda s: s.outbox.list_ops(account=account))

    async def drafts(self, account: str | None = None) -> list[Draft]:
        """Unsaved drafts, from the store."""
        return await self._worker.run(lambda s: s.drafts.list(account))
