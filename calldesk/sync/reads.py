"""The read-only answers both the real ``CallService`` and the start-up ``StorePreview`` give
straight from the local store, through the DB worker (``_worker``)."""

from __future__ import annotations

from calldesk.domain import Operation
from calldesk.store.calls import CallQuery, CallSummary
from calldesk.store.drafts import Draft
from calldesk.store.outbox import OutboxCounts
from calldesk.store.worker import DbWorker


class StoreReads:
    """Mixed into a service that holds a ``DbWorker`` as ``_worker``."""

    _worker: DbWorker

    async def list_calls(self, query: CallQuery) -> list[CallSummary]:
        """One page of the call list."""
        return await self._worker.run(lambda s: s.calls.list_calls(query))

    async def count_calls(self, query: CallQuery) -> int:
        """How many calls the query matches (ignoring its page)."""
        return await self._worker.run(lambda s: s.calls.count_calls(query))

    async def outcomes(self) -> list[str]:
        """The outcomes the cached calls have (the list's outcome filter offers them)."""
        return await self._worker.run(lambda s: s.calls.outcomes())

    async def counts(self, account: str | None = None) -> OutboxCounts:
        """Pending / in-flight / failed / conflict / needs-auth counts."""
        return await self._worker.run(lambda s: s.outbox.counts(account))

    async def queue(self, account: str | None = None) -> list[Operation]:
        """Every unsent operation, oldest first."""
        return await self._worker.run(lambda s: s.outbox.list_ops(account=account))

    async def drafts(self, account: str | None = None) -> list[Draft]:
        """Unsaved drafts, newest first."""
        return await self._worker.run(lambda s: s.drafts.list(account))
