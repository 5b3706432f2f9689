"""The composition root: builds calldesk's parts and hands them to the command line or the window.

It sits outside the layer contract. Qt is imported only inside the functions that need it
(``version_text``, ``run_window``) so that the command line starts without loading Qt; the
command line, httpx, the runtime and the schemas are imported inside the functions that use them,
so the window paints (``open_preview``: the call list from the store) before they load.

* ``version_text()`` — what ``calldesk --version`` prints.
* ``run_window(demo=...)`` — opens the window; ``demo`` runs the sandbox CRMs in-process with
  fresh data in a temporary directory (``demo_backend``).
* ``glance(paths)`` — the window's first frame: the newest list lines and the outbox counts,
  read with sqlite3 alone before anything else loads (``FIRST_PAGE_ROWS``).
* ``first_page(paths)`` — read on a plain thread right after that paint, before the event loop
  exists: the window's starting backend and the same newest calls.
* ``open_preview(paths)`` — a store-only backend (the DB worker; no engine yet).
* ``open_backend(...)`` / ``backend_of(runtime)`` — what the window talks to (``ui.ports.Backend``);
  the window reopens it when the rep changes accounts, so the opener reads the config each time.
* ``check_account(account, key)`` — the accounts dialog's "Test connection": a short-lived adapter
  asks the CRM who the key belongs to.
* ``cli_context(streams)`` — the ``CliContext`` every command handler receives.
* ``calldesk.runtime.open_runtime(...)`` (used here) — the running engine: store worker, one
  httpx client and adapter per account, the sync engine and the ``CallService``; the CLI and the
  window both use it.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    contextmanager,
)
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk import __version__
from calldesk.logsetup import configure_logging, defer_logging
from calldesk.store.paths import Paths

if TYPE_CHECKING:
    import httpx

    from calldesk.cli import CliContext, Streams
    from calldesk.domain.model import Account, Vendor
    from calldesk.runtime import Runtime, SecretFor, TransportFor
    from calldesk.schema import VendorSchema
    from calldesk.store.accounts import AccountsConfig
    from calldesk.store.calls import CallSummary
    from calldesk.store.glance import Glance
    from calldesk.store.secrets import Secrets
    from calldesk.sync.logbook import Logbook
    from calldesk.ui.ports import AccountTools, Backend, CallServicePort, ProgressRelay

#: How many of the newest calls the window paints before the event loop starts (fills the view).
FIRST_PAGE_ROWS = 60


def version_text() -> str:
    """Return calldesk's version with the Qt and PySide6 versions it runs on, one per line."""
    lines = [f"calldesk {__version__}"]
    try:
        import PySide6
        from PySide6.QtCore import qVersion
    except ImportError as exc:
        lines.append(f"Qt unavailable ({exc})")
    else:
        lines.append(f"Qt {qVersion()}")
        lines.append(f"PySide6 {PySide6.__version__}")
    return "\n".join(lines)


def run_window(*, demo: bool) -> int:
    """Open the main window (against the in-process sandbox CRMs when ``demo``); exit code.

    The accounts come from the config dir (keys via ``Secrets``) and are read again whenever the
    rep changes them in the accounts dialog. The demo adds its sandbox accounts to those.
    """
    from calldesk.ui.qtapp import run

    if demo:
        from calldesk.store.accounts import AccountsConfig
        from calldesk.store.secrets import MemorySecrets

        home = Path(tempfile.mkdtemp(prefix="calldesk-demo-"))
        paths = Paths.under(home).ensure()
        try:
            # Demo keys live in memory only: nothing the rep tries out reaches the OS keyring.
            tools = account_tools(
                AccountsConfig.for_paths(paths), MemorySecrets(), builtin=demo_accounts()
            )
            return run(lambda: demo_backend(paths, tools=tools), paths.config_dir / "window.ini")
        finally:
            shutil.rmtree(home, ignore_errors=True)
    paths = Paths.from_env().ensure()
    logs = defer_logging(paths)  # the log file opens after the first paint (``opener``)
    try:

        @functools.cache
        def shared_tools() -> AccountTools:  # loaded after the first paint (keyring, toml)
            from calldesk.store.accounts import AccountsConfig
            from calldesk.store.secrets import Secrets

            secrets = Secrets(on_secret=logs.redactor.register)
            return account_tools(AccountsConfig.for_paths(paths), secrets)

        def opener() -> AbstractAsyncContextManager[Backend]:
            logs.attach()
            shared = shared_tools()
            accounts = shared.config.load()
            return open_backend(paths, accounts, shared.secrets.for_account, tools=shared)

        try:
            return run(
                opener,
                paths.config_dir / "window.ini",
                first_page=lambda: first_page(paths),
                glance=lambda: glance(paths),
            )
        except Exception as exc:
            # Imported only now: the store's modules load after the window's first frame.
            from calldesk.store.db import StoreEnvironmentError

            if isinstance(exc, StoreEnvironmentError):
                return startup_failed(paths, exc)
            raise
    finally:
        logs.close()


def startup_failed(paths: Paths, error: Exception) -> int:
    """The local database cannot be used (damaged, full disk, read-only, newer calldesk): say so
    plainly, on stderr and, with a screen, in a message box; exit 1. Nothing is changed."""
    import logging
    import os
    import sys

    from calldesk.store.local import DB_FILENAME

    database = paths.data_dir / DB_FILENAME
    text = (
        f"calldesk can't open its local database ({database}): {error}.\n\n"
        "Nothing was changed. If the disk is full or read-only, free some space or fix its "
        "permissions and start calldesk again. If the file is damaged, move it aside: calldesk "
        "then starts with an empty cache and fetches your calls from the CRMs again (changes "
        "that were not sent yet stay in the moved file)."
    )
    logging.getLogger("calldesk").error("start-up failed: %s", error)
    sys.stderr.write(f"calldesk: {text}\n")
    headless = os.environ.get("QT_QPA_PLATFORM") == "offscreen" or os.environ.get(
        "CALLDESK_SMOKE_TEST"
    )
    if not headless:
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is not None:
            # No event loop runs any more, so a modal box is safe here.
            QMessageBox.critical(None, "calldesk", text)
    return 1


async def check_account(
    account: Account, key: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> str:
    """Ask ``account``'s CRM who ``key`` belongs to (raises ``CrmError`` with the reason)."""
    import httpx

    from calldesk.crm import make_adapter
    from calldesk.runtime import HTTP_TIMEOUT

    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, transport=transport) as client:
        return await make_adapter(account, key, client).check_auth()


def account_tools(
    config: AccountsConfig, secrets: Secrets, *, builtin: Sequence[Account] = ()
) -> AccountTools:
    """What the window's accounts dialog needs (``builtin``: the demo's sandbox accounts)."""
    from calldesk.ui.ports import AccountTools

    return AccountTools(config=config, secrets=secrets, test=check_account, builtin=tuple(builtin))


def demo_accounts() -> list[Account]:
    """One sandbox account per vendor (their keys never leave the process)."""
    from calldesk.domain.model import Account, KeySource, Vendor

    return [
        Account(
            name=vendor.value,
            vendor=vendor,
            base_url=f"http://127.0.0.1/{vendor.value}",  # served in-process: never dialled
            key=KeySource("env", f"CALLDESK_DEMO_{vendor.name}"),
            country="US",  # the sandboxes' people have US numbers
        )
        for vendor in Vendor
    ]


def backend_of(
    runtime: Runtime,
    *,
    demo: bool = False,
    progress: ProgressRelay | None = None,
    tools: AccountTools | None = None,
) -> Backend:
    """What the window talks to, from the running engine."""
    from calldesk.store.calls import CallQuery
    from calldesk.sync.services import ServiceError, ValidationFailed
    from calldesk.ui.ports import Backend

    return Backend(
        service=runtime.service,
        engine=runtime.engine,
        bus=runtime.bus,
        base_query=CallQuery(),
        validation_error=ValidationFailed,
        service_error=ServiceError,
        unavailable=dict(runtime.unavailable),
        demo=demo,
        progress=progress,
        account_tools=tools,
        transcription=runtime.transcription,
        callerid=runtime.callerid,
        templates=runtime.templates,
    )


def glance(paths: Paths, rows: int = FIRST_PAGE_ROWS) -> Glance | None:
    """What the window's first frame shows: the newest ``rows`` list lines and the outbox
    counts, read with sqlite3 alone (``calldesk.store.glance``), or None when only the store
    itself can tell (the frame then paints without rows until ``first_page``)."""
    from calldesk.store.glance import glance as read
    from calldesk.store.paths import DB_FILENAME

    return read(paths.data_dir / DB_FILENAME, rows)


def _starting_backend(service: CallServicePort) -> Backend:
    """A backend for the window before the engine runs: ``service`` answers what it can, an
    idle engine, a private bus; every refusal is ``StillStarting``."""
    from calldesk.store.calls import CallQuery
    from calldesk.sync.events import ChangeBus
    from calldesk.sync.starting import StartingEngine, StillStarting
    from calldesk.ui.ports import Backend

    return Backend(
        service=service,
        engine=StartingEngine(),
        bus=ChangeBus(),
        base_query=CallQuery(),
        validation_error=StillStarting,
        service_error=StillStarting,
        unavailable={},
        starting=True,
    )


def first_page(paths: Paths, rows: int = FIRST_PAGE_ROWS) -> tuple[Backend, list[CallSummary]]:
    """The window's starting backend and the newest ``rows`` calls, read straight from the store.

    Blocking (opens the database, reads one page, closes it): the window runs it on a plain
    thread right after its first frame, before the event loop exists. The backend's service
    answers only that page (``calldesk.sync.starting.FirstPage``) until the window rebinds to
    ``open_backend``.
    """
    from calldesk.store.calls import CallQuery
    from calldesk.store.local import DB_FILENAME, LocalStore
    from calldesk.sync.starting import FirstPage

    query = CallQuery(limit=rows)
    store = LocalStore.open(paths.data_dir / DB_FILENAME)
    try:
        page = store.calls.list_calls(query)
    finally:
        store.close()
    return _starting_backend(FirstPage(query, page)), page


@asynccontextmanager
async def open_preview(paths: Paths) -> AsyncIterator[Backend]:
    """What the window paints first: the call list straight from the local store.

    Only the store's DB worker runs (no httpx, adapters, schemas, keyring or engine); the window
    swaps it for ``open_backend`` once its rows are on screen (``calldesk.ui.qtapp``).
    """
    from calldesk.store.local import DB_FILENAME
    from calldesk.store.worker import DbWorker
    from calldesk.sync.preview import StorePreview

    worker = await DbWorker.open(paths.data_dir / DB_FILENAME)
    try:
        yield _starting_backend(StorePreview(worker))
    finally:
        await worker.aclose()


@asynccontextmanager
async def open_backend(
    paths: Paths,
    accounts: Sequence[Account],
    secret_for: SecretFor,
    *,
    transport_for: TransportFor | None = None,
    demo: bool = False,
    tools: AccountTools | None = None,
) -> AsyncIterator[Backend]:
    """Open the runtime and hand the window its backend; closes everything on exit.

    Upload progress reaches the window through the backend's ``ProgressRelay``.
    """
    from calldesk.runtime import open_runtime
    from calldesk.ui.ports import ProgressRelay

    relay = ProgressRelay()
    async with open_runtime(
        paths, accounts, secret_for, transport_for=transport_for, on_progress=relay
    ) as runtime:
        yield backend_of(runtime, demo=demo, progress=relay, tools=tools)


@asynccontextmanager
async def demo_backend(
    paths: Paths, *, tools: AccountTools | None = None
) -> AsyncIterator[Backend]:
    """The demo: every vendor's sandbox CRM in-process (``httpx.ASGITransport``), fresh data.

    Accounts the rep adds through ``tools`` (in the demo's own config) join the sandbox ones.
    """
    import httpx

    from calldesk.sandbox import SANDBOX_KEYS, create_app

    sandbox = create_app()
    sandboxed = demo_accounts()
    names = {account.name for account in sandboxed}
    added = [a for a in tools.config.load() if a.name not in names] if tools else []

    def transport_for(account: Account) -> httpx.AsyncBaseTransport | None:
        return httpx.ASGITransport(app=sandbox) if account.name in names else None

    def secret_for(account: Account) -> str:
        if account.name in names:
            return SANDBOX_KEYS[account.vendor]
        if tools is None:
            raise KeyError(account.name)
        return tools.secrets.for_account(account)

    async with open_backend(
        paths,
        [*sandboxed, *added],
        secret_for,
        transport_for=transport_for,
        demo=True,
        tools=tools,
    ) as backend:
        yield backend


def _open_runtime(
    paths: Paths,
    accounts: Sequence[Account],
    secret_for: SecretFor,
    *,
    start_engine: bool = False,
    redact: Callable[[str], None] | None = None,
) -> AbstractAsyncContextManager[Runtime]:
    """``calldesk.runtime.open_runtime``, imported when a command opens the engine (httpx, the
    adapters and asyncio load then, not for every command)."""
    from calldesk.runtime import open_runtime

    return open_runtime(paths, accounts, secret_for, start_engine=start_engine, redact=redact)


def _open_logbook(
    paths: Paths, account: Account, schema: VendorSchema
) -> AbstractContextManager[Logbook]:
    """``calldesk.sync.logbook.open_logbook``, imported when a command logs calls."""
    from calldesk.sync.logbook import open_logbook

    return open_logbook(paths, account, schema)


def _load_schema(vendor: Vendor) -> VendorSchema:
    from calldesk.schema import load_schema

    return load_schema(vendor)


@contextmanager
def cli_context(streams: Streams) -> Iterator[CliContext]:
    """Build what command handlers need, with logging into the log dir; tear it down after."""
    from calldesk.cli import CliContext
    from calldesk.store.accounts import AccountsConfig
    from calldesk.store.secrets import Secrets

    paths = Paths.from_env().ensure()
    logs = configure_logging(paths)
    try:
        yield CliContext(
            paths=paths,
            accounts=AccountsConfig.for_paths(paths),
            secrets=Secrets(on_secret=logs.redactor.register),
            schema_loader=_load_schema,
            streams=streams,
            runtime_opener=_open_runtime,
            redact=logs.redactor.register,
            logbook_opener=_open_logbook,
        )
    finally:
        logs.close()
