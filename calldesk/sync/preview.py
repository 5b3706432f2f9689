"""The store-only stand-in the window starts on, so it can paint before the engine is loaded.

``StorePreview`` answers the call list, its count, the outbox counts, the queue and the drafts
straight from the local store (only the DB worker, so only ``sqlite3``); it lists no accounts, and
everything else refuses with ``StillStarting``. ``StartingEngine`` is the matching engine: online,
no syncers, nothing to send. The composition root swaps both for the real ``CallService`` and
``SyncEngine`` once the window has painted its rows (``calldesk.ui.qtapp``). Nothing here imports
httpx, the CRM adapters, the schemas or keyring.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from calldesk.domain import Account, AuditEntry, CallRecord, LookupItem, Operation
from calldesk.store.calls import CallQuery, CallSummary, ConflictVersion
from calldesk.store.drafts import Draft
from calldesk.store.outbox import OutboxCounts
from calldesk.store.worker import DbWorker

if TYPE_CHECKING:
    from calldesk.schema import VendorSchema
    from calldesk.sync.recordings import RecordingInfo


class StillStarting(Exception):
    """The engine is still loading; the rep can try again in a moment."""

    def __init__(self) -> None:
        super().__init__("calldesk is still starting; try again in a moment")


def _starting() -> NoReturn:
    raise StillStarting()


class StorePreview:
    """Reads the local store for the first paint; lists no accounts and changes nothing."""

    def __init__(self, worker: DbWorker) -> None:
        self._worker = worker

    def accounts(self) -> Mapping[str, Account]:
        """None yet: the real service lists them once it is loaded."""
        return {}

    def schema_for(self, account: str) -> VendorSchema:
        raise KeyError(account)

    async def list_calls(self, query: CallQuery) -> list[CallSummary]:
        """One page of the call list, from the store."""
        return await self._worker.run(lambda s: s.calls.list_calls(query))

    async def count_calls(self, query: CallQuery) -> int:
        """How many calls the query matches, from the store."""
        return await self._worker.run(lambda s: s.calls.count_calls(query))

    async def counts(self, account: str | None = None) -> OutboxCounts:
        """The outbox counts, from the store."""
        return await self._worker.run(lambda s: s.outbox.counts(account))

    async def queue(self, account: str | None = None) -> list[Operation]:
        """Every unsent operation, from the store."""
        return await self._worker.run(lambda s: s.outbox.list_ops(account=account))

    async def drafts(self, account: str | None = None) -> list[Draft]:
        """Unsaved drafts, from the store."""
        return await self._worker.run(lambda s: s.drafts.list(account))

    async def find(self, account: str, ident: str) -> CallRecord:
        _starting()

    async def history(self, local_id: str) -> list[AuditEntry]:
        _starting()

    async def log_call(self, account: str, values: Mapping[str, object]) -> CallRecord:
        _starting()

    async def update_call(
        self, account: str, ident: str, values: Mapping[str, object]
    ) -> CallRecord:
        _starting()

    async def save_draft(
        self, draft_id: str, account: str, form: Mapping[str, str], local_id: str | None = None
    ) -> None:
        _starting()

    async def drop_draft(self, draft_id: str) -> None:
        _starting()

    async def retry(self, op_id: str) -> Operation:
        _starting()

    async def discard(self, op_id: str) -> None:
        _starting()

    async def refresh(self, account: str) -> int:
        _starting()

    async def refresh_lookups(self, account: str) -> dict[str, int]:
        _starting()

    async def lookup(self, account: str, source: str, query: str = "") -> list[LookupItem]:
        _starting()

    async def conflict(self, local_id: str) -> ConflictVersion | None:
        _starting()

    async def resolve_conflict(
        self, local_id: str, chosen_fields: Mapping[str, Any]
    ) -> Operation | None:
        _starting()

    async def delete_call(self, account: str, ident: str) -> Operation | None:
        _starting()

    def check_recording(self, account: str, path: Path) -> RecordingInfo:
        _starting()

    async def attach_recording(self, account: str, ident: str, path: Path) -> Operation:
        _starting()


class StartingConnectivity:
    """Online (nothing has failed yet); going offline waits for the real engine."""

    online = True
    forced_offline = False

    def force_offline(self, offline: bool) -> None:
        """Nothing to stop yet."""


class StartingEngine:
    """No syncers yet; "sync now" has nothing to send."""

    def __init__(self) -> None:
        self.connectivity = StartingConnectivity()
        self.syncers: Mapping[str, Any] = {}

    def sync_now(self, account: str | None = None) -> None:
        """Nothing to send until the real engine runs."""
