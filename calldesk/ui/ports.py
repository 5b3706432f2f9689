"""What the window needs from the engine, as structural types.

The window is typed against these protocols (not the concrete services), so it can be driven by
any backend; the composition root (``calldesk.app``) hands it a :class:`Backend` built from the
runtime. :class:`ProgressRelay` fans the engine's upload progress out to the window.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from calldesk.domain import (
    Account,
    AuditEntry,
    CallRecord,
    Changes,
    FieldError,
    LookupItem,
    Operation,
    SyncState,
)
from calldesk.ui.columns import ListLine

if TYPE_CHECKING:  # annotations only: the window's first paint needs none of these modules
    from datetime import datetime

    from calldesk.domain import PhoneMatch
    from calldesk.domain.templates import NoteTemplate
    from calldesk.domain.transcript import Segment, Transcript
    from calldesk.schema import VendorSchema
    from calldesk.schema.phones import PhoneReading
    from calldesk.store.accounts import AccountsConfig
    from calldesk.store.calls import ConflictVersion
    from calldesk.store.drafts import Draft
    from calldesk.store.secrets import Secrets
    from calldesk.sync.callerid import MatchResult
    from calldesk.sync.recordings import RecordingInfo
    from calldesk.sync.transcription import Availability


class Summary(ListLine, Protocol):
    """One line of the call list (``calldesk.store.calls.CallSummary``): what
    ``calldesk.ui.columns.ListLine`` shows, with its ids and its sync state as the domain's."""

    @property
    def local_id(self) -> str: ...
    @property
    def remote_id(self) -> str | None: ...
    @property
    def state(self) -> SyncState: ...


class Counts(Protocol):
    """Outbox counts (``calldesk.store.outbox.OutboxCounts``)."""

    @property
    def pending(self) -> int: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def conflict(self) -> int: ...
    @property
    def needs_auth(self) -> int: ...


class CallServicePort(Protocol):
    """The parts of ``calldesk.sync.services.CallService`` the window calls."""

    def accounts(self) -> Mapping[str, Account]: ...
    def schema_for(self, account: str) -> VendorSchema: ...
    async def list_calls(self, query: Any) -> Sequence[Summary]: ...
    async def count_calls(self, query: Any) -> int: ...
    async def outcomes(self) -> list[str]: ...
    async def find(self, account: str, ident: str) -> CallRecord: ...
    async def history(self, local_id: str) -> list[AuditEntry]: ...
    async def log_call(self, account: str, values: Mapping[str, object]) -> CallRecord: ...
    async def update_call(
        self, account: str, ident: str, values: Mapping[str, object]
    ) -> CallRecord: ...
    async def save_draft(
        self, draft_id: str, account: str, form: Mapping[str, str], local_id: str | None = None
    ) -> None: ...
    async def drop_draft(self, draft_id: str) -> None: ...
    async def queue(self, account: str | None = None) -> Sequence[Operation]: ...
    async def counts(self, account: str | None = None) -> Counts: ...
    async def retry(self, op_id: str) -> Operation: ...
    async def discard(self, op_id: str) -> None: ...
    async def refresh(self, account: str, *, since: datetime | None = None) -> int: ...
    async def refresh_lookups(self, account: str) -> dict[str, int]: ...
    async def lookup(self, account: str, source: str, query: str = "") -> list[LookupItem]: ...
    async def drafts(self, account: str | None = None) -> Sequence[Draft]: ...
    async def conflict(self, local_id: str) -> ConflictVersion | None: ...
    async def resolve_conflict(
        self, local_id: str, chosen_fields: Mapping[str, Any]
    ) -> Operation | None: ...
    async def delete_call(self, account: str, ident: str) -> Operation | None: ...
    def check_recording(self, account: str, path: Path) -> RecordingInfo: ...
    async def inspect_recording(self, account: str, path: Path) -> RecordingInfo: ...
    async def attach_recording(
        self, account: str, ident: str, recording: Path | RecordingInfo
    ) -> Operation: ...


class ConnectivityPort(Protocol):
    """``calldesk.sync.connectivity.Connectivity``."""

    @property
    def online(self) -> bool: ...
    @property
    def forced_offline(self) -> bool: ...
    def force_offline(self, offline: bool) -> None: ...
    def set_reachable(self, reachable: bool) -> None: ...


class RatePort(Protocol):
    """A CRM's rate-limit budget after its last answer (``calldesk.crm.RateInfo``)."""

    @property
    def limit(self) -> int | None: ...
    @property
    def remaining(self) -> int | None: ...


class SyncerStatusPort(Protocol):
    """``calldesk.sync.engine.AccountStatus``."""

    @property
    def rate_info(self) -> RatePort | None: ...
    @property
    def needs_auth(self) -> bool: ...
    @property
    def auth_message(self) -> str: ...


class SyncerPort(Protocol):
    """``calldesk.sync.engine.AccountSyncer``."""

    @property
    def status(self) -> SyncerStatusPort: ...


class EnginePort(Protocol):
    """The parts of ``calldesk.sync.engine.SyncEngine`` the window calls."""

    @property
    def connectivity(self) -> ConnectivityPort: ...
    @property
    def syncers(self) -> Mapping[str, SyncerPort]: ...
    def sync_now(self, account: str | None = None) -> None: ...


class BusPort(Protocol):
    """``calldesk.sync.events.ChangeBus``."""

    def subscribe(self, listener: Callable[[Changes], None]) -> Callable[[], None]: ...


ProgressListener = Callable[[str, int, int], None]
"""``(op_id, sent_bytes, total_bytes)`` of an upload in flight."""


class ProgressRelay:
    """Passes the engine's upload progress on to whoever listens (the window's drop zone).

    The composition root gives the relay itself to ``open_runtime(on_progress=...)``.
    """

    def __init__(self) -> None:
        self._listeners: list[ProgressListener] = []

    def __call__(self, op_id: str, sent: int, total: int) -> None:
        for listener in list(self._listeners):
            listener(op_id, sent, total)

    def subscribe(self, listener: ProgressListener) -> Callable[[], None]:
        """Call ``listener`` for every progress report until the returned function is called."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


TestConnection = Callable[[Account, str], Awaitable[str]]
"""``(account, key) -> who``: asks the CRM who the key belongs to; raises with the reason."""


@dataclass(frozen=True)
class AccountTools:
    """What the accounts dialog needs: the config file, the keyring and a connection test.

    ``builtin``: accounts the app brings along rather than reads from the file (the demo's
    sandbox CRMs); the dialog lists them read-only and keeps their names taken.
    """

    config: AccountsConfig
    secrets: Secrets
    test: TestConnection
    builtin: tuple[Account, ...] = ()


class TranscriptionPort(Protocol):
    """Transcription on this computer (``calldesk.sync.transcription.TranscriptionService``).

    ``key`` is a call's local id, or for a call not saved yet the recording's path."""

    def availability(self) -> Availability: ...
    def running(self, key: str) -> bool: ...
    def cancel(self, key: str) -> bool: ...
    async def transcript(self, local_id: str) -> Transcript | None: ...
    async def transcribe(
        self,
        local_id: str | None,
        path: Path,
        *,
        on_progress: Callable[[float | None], None] = ...,
        on_segment: Callable[[Segment], None] = ...,
    ) -> Transcript: ...


class CallerIdPort(Protocol):
    """Caller ID (``calldesk.sync.callerid.CallerId``): who has a typed number."""

    def region_for(self, account: str) -> str | None: ...
    def supported(self, account: str) -> bool: ...
    def read(self, account: str, text: str) -> PhoneReading: ...
    def recent(self, account: str, reading: PhoneReading) -> MatchResult | None: ...
    def cached_now(self, account: str, reading: PhoneReading) -> MatchResult | None: ...
    async def cached(self, account: str, reading: PhoneReading) -> MatchResult | None: ...
    async def match(self, account: str, text: str, *, refresh: bool = False) -> MatchResult: ...
    def link_fields(self, account: str, match: PhoneMatch) -> dict[str, str]: ...


class TemplatesPort(Protocol):
    """Note templates (``calldesk.sync.templates.Templates``)."""

    async def list(self, account: str) -> list[NoteTemplate]: ...
    async def save(self, template: NoteTemplate) -> NoteTemplate: ...
    async def delete(self, template_id: int) -> None: ...
    async def default_for(self, account: str, outcome: str) -> NoteTemplate | None: ...
    def render(self, template: NoteTemplate, values: Mapping[str, str] | None = None) -> str: ...


@dataclass(frozen=True)
class Backend:
    """Everything the window talks to, handed over by the composition root.

    ``base_query`` is a default ``CallQuery``; the list varies it with ``dataclasses.replace``.
    ``validation_error`` is raised with ``.errors: list[FieldError]`` when a save fails the
    schema; ``service_error`` is the base of every refusal whose message is for the rep.
    """

    service: CallServicePort
    engine: EnginePort
    bus: BusPort
    base_query: Any
    validation_error: type[Exception]
    service_error: type[Exception]
    unavailable: Mapping[str, str]
    demo: bool = False
    progress: ProgressRelay | None = None
    account_tools: AccountTools | None = None
    transcription: TranscriptionPort | None = None
    #: A store-only stand-in the window paints first (no accounts yet); the real one follows.
    starting: bool = False
    #: Caller ID and note templates (absent while starting).
    callerid: CallerIdPort | None = None
    templates: TemplatesPort | None = None


def errors_of(exc: BaseException) -> list[FieldError]:
    """The field errors a validation failure carries (empty for other errors)."""
    found = getattr(exc, "errors", None)
    return [e for e in found if isinstance(e, FieldError)] if isinstance(found, list) else []
