"""What the window runs on before the engine is loaded: refusals, an idle engine, the first page.

Nothing here imports asyncio, the DB worker, httpx, the CRM adapters, the schemas or keyring, so
the window can be built and painted before the event loop exists. ``StartingService`` refuses
every call with ``StillStarting``; ``FirstPage`` answers the call list's first page from rows read
before the loop started (``calldesk.app.read_first_page``); ``StartingEngine`` is online, with no
syncers and nothing to send. ``calldesk.sync.preview`` builds its store-backed stand-in on these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from calldesk.domain import Account, AuditEntry, CallRecord, LookupItem, Operation
from calldesk.store.calls import CallQuery, CallSummary, ConflictVersion
from calldesk.store.drafts import Draft
from calldesk.store.outbox import OutboxCounts

if TYPE_CHECKING:
    from datetime import datetime

    from calldesk.schema import VendorSchema
    from calldesk.sync.recordings import RecordingInfo


class StillStarting(Exception):
    """The engine is still loading; the rep can try again in a moment."""

    def __init__(self) -> None:
        super().__init__("calldesk is still starting; try again in a moment")


def _starting() -> NoReturn:
    raise StillStarting()


class StartingService:
    """Lists no accounts and refuses everything with ``StillStarting`` (subclasses answer reads)."""

    def accounts(self) -> Mapping[str, Account]:
        """None yet: the real service lists them once it is loaded."""
        return {}

    def schema_for(self, account: str) -> VendorSchema:
        raise KeyError(account)

    async def list_calls(self, query: CallQuery) -> list[CallSummary]:
        _starting()

    async def count_calls(self, query: CallQuery) -> int:
        _starting()

    async def outcomes(self) -> list[str]:
        _starting()

    async def counts(self, account: str | None = None) -> OutboxCounts:
        _starting()

    async def queue(self, account: str | None = None) -> list[Operation]:
        _starting()

    async def drafts(self, account: str | None = None) -> list[Draft]:
        _starting()

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

    async def refresh(self, account: str, *, since: datetime | None = None) -> int:
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

    async def inspect_recording(self, account: str, path: Path) -> RecordingInfo:
        _starting()

    async def attach_recording(
        self, account: str, ident: str, recording: Path | RecordingInfo
    ) -> Operation:
        _starting()


class FirstPage(StartingService):
    """The newest calls of ``query``, read before the loop ran; other queries must wait."""

    def __init__(self, query: CallQuery, rows: Sequence[CallSummary]) -> None:
        self._query = dataclasses.replace(query, limit=len(rows), offset=0)
        self.rows: tuple[CallSummary, ...] = tuple(rows)

    def _covers(self, query: CallQuery) -> bool:
        return query.offset == 0 and dataclasses.replace(query, limit=len(self.rows)) == self._query

    async def list_calls(self, query: CallQuery) -> list[CallSummary]:
        """The rows read at start (up to ``query.limit``), for the same filters and sort."""
        if not self._covers(query):
            _starting()
        return list(self.rows[: query.limit])

    async def count_calls(self, query: CallQuery) -> int:
        """How many rows were read at start."""
        if not self._covers(query):
            _starting()
        return len(self.rows)

    async def counts(self, account: str | None = None) -> OutboxCounts:
        """Nothing known to be queued yet."""
        return OutboxCounts()

    async def queue(self, account: str | None = None) -> list[Operation]:
        """Nothing known to be queued yet."""
        return []

    async def drafts(self, account: str | None = None) -> list[Draft]:
        """Drafts are restored once the engine runs."""
        return []


class StartingConnectivity:
    """Online (nothing has failed yet); going offline waits for the real engine."""

    online = True
    forced_offline = False

    def force_offline(self, offline: bool) -> None:
        """Nothing to stop yet."""

    def set_reachable(self, reachable: bool) -> None:
        """The real engine asks the OS again when it starts."""


class StartingEngine:
    """No syncers yet; "sync now" has nothing to send."""

    def __init__(self) -> None:
        self.connectivity = StartingConnectivity()
        self.syncers: Mapping[str, Any] = {}

    def sync_now(self, account: str | None = None) -> None:
        """Nothing to send until the real engine runs."""
