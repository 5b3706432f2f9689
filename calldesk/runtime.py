"""The running engine, built once: store worker, httpx clients, adapters, sync engine, services.

Used by the composition root (``calldesk.app``) for the window and by the command line; it never
imports Qt, so ``calldesk sync`` starts without loading it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from calldesk.crm import CallAdapter, RateInfo, make_adapter
from calldesk.domain import Account, Vendor
from calldesk.schema import VendorSchema, load_all_schemas
from calldesk.store.local import DB_FILENAME
from calldesk.store.matches import MatchReader
from calldesk.store.paths import Paths
from calldesk.store.secrets import SecretError
from calldesk.store.worker import DbWorker
from calldesk.sync.audit import AuditRecorder
from calldesk.sync.callerid import CallerId
from calldesk.sync.engine import ProgressListener, SyncEngine
from calldesk.sync.events import ChangeBus
from calldesk.sync.policy import BackoffPolicy, Pacer
from calldesk.sync.services import CallService, LabelCache, RowBuilder, StoreOutbox
from calldesk.sync.templates import Templates
from calldesk.sync.transcription import TranscriptionService

log = logging.getLogger("calldesk")

#: Environment variables that shrink the retry backoff (seconds), for tests that drive
#: ``calldesk sync`` in a child process (e.g. the crash test); unset means the normal policy.
BACKOFF_BASE_ENV = "CALLDESK_BACKOFF_BASE"
BACKOFF_CAP_ENV = "CALLDESK_BACKOFF_CAP"

#: Timeouts for every CRM request: connecting is quick or hopeless; uploads may write for long.
HTTP_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=120.0, pool=30.0)


@dataclass
class Runtime:
    """The running engine: what the CLI and the window talk to."""

    paths: Paths
    worker: DbWorker
    schemas: Mapping[Vendor, VendorSchema]
    accounts: dict[str, Account]
    adapters: dict[str, CallAdapter]
    bus: ChangeBus
    engine: SyncEngine
    service: CallService
    transcription: TranscriptionService
    callerid: CallerId
    templates: Templates
    #: Accounts that could not be connected, with the reason (e.g. no key).
    unavailable: dict[str, str] = field(default_factory=dict)


SecretFor = Callable[[Account], str]
TransportFor = Callable[[Account], httpx.AsyncBaseTransport | None]


class RuntimeOpener(Protocol):
    """The signature of ``open_runtime``, for code that is handed it."""

    def __call__(
        self,
        paths: Paths,
        accounts: Sequence[Account],
        secret_for: SecretFor,
        *,
        start_engine: bool = ...,
        redact: Callable[[str], None] | None = ...,
    ) -> AbstractAsyncContextManager[Runtime]: ...


@asynccontextmanager
async def open_runtime(
    paths: Paths,
    accounts: Sequence[Account],
    secret_for: SecretFor,
    *,
    transport_for: TransportFor | None = None,
    seed: int | None = None,
    start_engine: bool = True,
    on_progress: ProgressListener | None = None,
    redact: Callable[[str], None] | None = None,
    backoff: BackoffPolicy | None = None,
) -> AsyncIterator[Runtime]:
    """Open the store, connect every account and (optionally) start syncing.

    An account whose key cannot be read still works offline (its saves queue up); it is listed
    in ``Runtime.unavailable`` with the reason. ``backoff`` defaults to ``backoff_from_env()``.
    """
    paths.ensure()
    schemas = load_all_schemas()
    by_name = {account.name: account for account in accounts}
    labels = LabelCache()
    bus = ChangeBus()
    async with AsyncExitStack() as stack:

        def vendor_of(account: str) -> Vendor | None:
            found = by_name.get(account)
            return found.vendor if found else None

        # List columns and search text come from the schemas; the store calls this itself
        # whenever it changes a record's local view (after a sync, a discard, a resolution).
        rows = RowBuilder(schemas, vendor_of, labels)
        worker = await DbWorker.open(paths.data_dir / DB_FILENAME, rows)
        stack.push_async_callback(worker.aclose)
        audit = AuditRecorder(worker)
        engine = SyncEngine(
            StoreOutbox(worker),
            bus,
            seed=seed,
            backoff=backoff or backoff_from_env(),
            on_progress=on_progress,
            audit=audit,
        )
        adapters: dict[str, CallAdapter] = {}
        unavailable: dict[str, str] = {}
        service = CallService(
            worker=worker,
            schemas=schemas,
            accounts=lambda: by_name,
            adapters=adapters,
            bus=bus,
            recordings_dir=paths.data_dir / "recordings",
            labels=labels,
            engine=engine,
            audit=audit,
            rows=rows,
        )
        for account in accounts:
            try:
                secret = secret_for(account)
            except SecretError as exc:
                unavailable[account.name] = str(exc)
                continue
            if redact is not None:
                redact(secret)
            transport = transport_for(account) if transport_for else None
            client = httpx.AsyncClient(timeout=HTTP_TIMEOUT, transport=transport)
            stack.push_async_callback(client.aclose)
            syncer_box: list[Callable[[RateInfo], None]] = []

            def observe(info: RateInfo, box: list[Callable[[RateInfo], None]] = syncer_box) -> None:
                if box:
                    box[0](info)

            # One pacer per account: the outbox, refreshes, lookups and matching all wait for
            # it, so a 429 met by any of them holds them all.
            pacer = Pacer(time.monotonic)
            try:
                adapter = make_adapter(
                    account, secret, client, audit=audit, rate_observer=observe, gate=pacer
                )
            except ValueError as exc:
                unavailable[account.name] = str(exc)
                continue
            adapters[account.name] = adapter
            syncer = engine.add_account(
                account,
                adapter,
                concurrency=schemas[account.vendor].capabilities.max_concurrency,
                pacer=pacer,
            )
            syncer_box.append(syncer.rate_observer)
        await service.load_labels()
        reader = MatchReader(paths.data_dir / DB_FILENAME)
        stack.callback(reader.close)
        callerid = CallerId(
            worker=worker,
            schemas=schemas,
            accounts=lambda: by_name,
            adapters=adapters,
            connectivity=engine.connectivity,
            label_of=labels.get,
            reader=reader,
        )
        runtime = Runtime(
            paths=paths,
            worker=worker,
            schemas=schemas,
            accounts=by_name,
            adapters=adapters,
            bus=bus,
            engine=engine,
            service=service,
            transcription=TranscriptionService(worker, paths),
            callerid=callerid,
            templates=Templates(worker),
            unavailable=unavailable,
        )
        if start_engine:
            engine.start()
        stack.push_async_callback(engine.stop)
        yield runtime


def backoff_from_env(environ: Mapping[str, str] | None = None) -> BackoffPolicy | None:
    """The policy set by ``CALLDESK_BACKOFF_BASE`` (and optionally ``CALLDESK_BACKOFF_CAP``).

    None (the engine's default policy) when unset or not a positive number.
    """
    env = os.environ if environ is None else environ
    try:
        base = float(env.get(BACKOFF_BASE_ENV, ""))
    except ValueError:
        return None
    if not base > 0:
        return None
    try:
        cap = float(env.get(BACKOFF_CAP_ENV, "")) or base * 4
    except ValueError:
        cap = base * 4
    return BackoffPolicy(base=base, cap=max(base, cap))
