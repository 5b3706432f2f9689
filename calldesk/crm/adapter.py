"""The ``CallAdapter`` protocol the sync engine drives, and what building an adapter needs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx

from calldesk.crm._bounds import HttpLimits
from calldesk.crm._http import AuditSink, Clock, RateObserver, RequestGate, SessionHooks
from calldesk.domain import Account, LookupItem, PhoneMatch, RemoteCall, Vendor, WireFields, utcnow

ProgressCallback = Callable[[int, int], None]

#: How far a CRM's clock may lag calldesk's when creation stamps are compared with the moment a
#: create was first sent.
CLOCK_SKEW = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Recovery:
    """What an adapter's ``find_created`` can narrow by (read by the engine's adoption rule).

    ``time_field`` is the call's own time in the wire payload; ``identity`` the fields
    ``find_created`` matches on; ``stamped`` is true when it narrows by the CRM's creation stamp
    and creator given ``sent_after``.
    """

    time_field: str
    identity: tuple[str, ...]
    stamped: bool = False


@runtime_checkable
class CallAdapter(Protocol):
    """One vendor's call API, in wire form. Every failure is a ``CrmError``.

    * ``list_calls`` pages through everything (newest data as the vendor orders it); ``since``
      keeps calls whose call time is at or after it (server-side where the API can filter);
      ``limit`` stops after that many calls.
    * ``update_call`` sends only the given fields; ``find_created`` returns the calls on the CRM
      whose identifying fields match ``fields`` (exactly-once recovery after an unknown outcome;
      every call of a bounded recent window when ``fields`` has none); with ``sent_after``, an
      adapter whose ``recovery.stamped`` is true keeps only calls the key's user created after it
      (the CRM's creation stamps, a little clock skew allowed).
    * ``upload_recording`` streams the file; ``progress(sent_bytes, total_bytes)``.
    * ``lookup(source, query)`` returns picker choices; unknown sources raise ``Unsupported``.
    * ``find_by_phone(number, region)`` returns the records (contacts, persons) holding the
      E.164 ``number`` by the vendor's documented search, each checked here (``region`` reads
      numbers the CRM keeps in national form), at most ``MATCH_LIMIT``.
    * ``check_auth`` returns a description of whom the key belongs to.
    """

    vendor: Vendor
    recovery: Recovery

    def list_calls(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> AsyncIterator[RemoteCall]: ...

    async def get_call(self, remote_id: str) -> RemoteCall: ...

    async def create_call(self, fields: WireFields) -> RemoteCall: ...

    async def update_call(self, remote_id: str, fields: WireFields) -> RemoteCall: ...

    async def delete_call(self, remote_id: str) -> None: ...

    async def upload_recording(
        self, remote_id: str, path: Path, progress: ProgressCallback | None = None
    ) -> None: ...

    async def find_created(
        self, fields: WireFields, *, sent_after: datetime | None = None
    ) -> list[RemoteCall]: ...

    async def lookup(self, source: str, query: str = "") -> list[LookupItem]: ...

    async def find_by_phone(self, number: str, region: str | None = None) -> list[PhoneMatch]: ...

    async def check_auth(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AdapterContext:
    """Everything an adapter is built from. ``secret`` is never logged or put in errors.

    ``token_url`` only matters for Buildr (its OAuth token endpoint; default: ``/oauth/token``
    on the account's origin). ``gate`` is the account's one pacer (every request waits for it);
    ``limits`` bound each request.
    """

    account: Account
    secret: str = field(repr=False)
    client: httpx.AsyncClient
    audit: AuditSink | None = None
    rate_observer: RateObserver | None = None
    clock: Clock = utcnow
    token_url: str | None = None
    gate: RequestGate | None = None
    limits: HttpLimits = field(default_factory=HttpLimits)

    def hooks(self) -> SessionHooks:
        return SessionHooks(
            account=self.account.name,
            audit=self.audit,
            rate_observer=self.rate_observer,
            clock=self.clock,
            gate=self.gate,
            limits=self.limits,
            secrets=(self.secret,),
        )
