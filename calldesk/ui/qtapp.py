"""Runs the window: a QApplication on a qasync loop around the engine the composition root opens.

``run(open_backend, settings_path)`` returns the exit code once the window is closed and the
engine has stopped and the store is closed (the backend's context manager has exited).
:class:`BackendSession` keeps one backend open and reopens it when the rep changes accounts, so
the window picks up new accounts without a restart. With ``CALLDESK_SMOKE_TEST`` set, the window
checks itself and closes (``calldesk.ui.smoke``; release checks of the wheel and the bundle).

Start-up order, so the window paints like a native app: with ``open_preview`` (a store-only
backend, ``Backend.starting``) the window is built on it, shown and fills its call list straight
from the local store; only after the table has painted its rows does ``open_backend`` run (httpx
clients, adapters, schemas, keyring, the sync engine) and the window ``rebind``s to it; the panels
the first paint does not show are built just after (``MainWindow.prepare_panels``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import qasync
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from calldesk.ui.identity import apply_identity
from calldesk.ui.ports import Backend
from calldesk.ui.smoke import SmokeTest
from calldesk.ui.window import MainWindow

BackendOpener = Callable[[], AbstractAsyncContextManager[Backend]]

#: The longest the engine waits for the list's first paint (a minimised window never paints).
FIRST_PAINT_WAIT_S = 2.0


class _PaintWaiter(QObject):
    """Sets ``painted`` at the next paint of the widget it watches."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.painted = asyncio.Event()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted.set()
        return False


async def wait_for_rows_painted(window: MainWindow, loaded: asyncio.Event) -> None:
    """Wait until the call list has loaded and its table has painted (bounded)."""
    viewport = window.table.viewport()
    waiter = _PaintWaiter(viewport)
    try:
        async with asyncio.timeout(FIRST_PAINT_WAIT_S):
            await loaded.wait()
            waiter.painted.clear()
            viewport.update()
            await waiter.painted.wait()
    except TimeoutError:
        pass
    finally:
        viewport.removeEventFilter(waiter)
        waiter.deleteLater()


class BackendSession:
    """One open backend at a time: ``open()``, ``reopen()`` (close, open afresh), ``close()``."""

    def __init__(self, opener: BackendOpener) -> None:
        self._opener = opener
        self._context: AbstractAsyncContextManager[Backend] | None = None

    async def open(self) -> Backend:
        """Open a backend (the opener reads the accounts config each time)."""
        if self._context is not None:
            raise RuntimeError("a backend is already open")
        context = self._opener()
        backend = await context.__aenter__()
        self._context = context
        return backend

    async def reopen(self) -> Backend:
        """Stop the engine and close the store, then open them again."""
        await self.close()
        return await self.open()

    async def close(self) -> None:
        """Close the open backend, if any."""
        context, self._context = self._context, None
        if context is not None:
            await context.__aexit__(None, None, None)


async def run_window(
    open_backend: BackendOpener, settings_path: Path, open_preview: BackendOpener | None = None
) -> int:
    """Show the window (on ``open_preview`` first, when given), and wait until it is closed."""
    session = BackendSession(open_backend)
    preview = open_preview() if open_preview is not None else None
    backend = await (preview.__aenter__() if preview is not None else session.open())
    try:
        window = MainWindow(backend, settings_path=settings_path, reopen=session.reopen)
        closed = asyncio.Event()
        window.closing.connect(closed.set)
        loaded = asyncio.Event()
        window.model.loaded.connect(loaded.set)
        window.show()
        window.start(refresh=preview is None)
        if preview is not None:
            await wait_for_rows_painted(window, loaded)
            full = await session.open()
            await window.settle()  # the preview's own reads
            if not closed.is_set():
                window.bridge.close()
                window.rebind(full)  # accounts, editor, sync status; refreshes from the CRMs
                QTimer.singleShot(0, window.prepare_panels)  # conflict view, history, queue
            closing = preview
            preview = None
            await closing.__aexit__(None, None, None)
        await closed.wait()
        await window.shutdown()
        window.deleteLater()
    finally:
        if preview is not None:
            await preview.__aexit__(None, None, None)
        await session.close()
    return 0


def run(
    open_backend: BackendOpener, settings_path: Path, open_preview: BackendOpener | None = None
) -> int:
    """Start Qt and the qasync loop, run the window, and return its exit code.

    ``open_preview``: a store-only backend the window paints on before ``open_backend`` runs.
    """
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("calldesk")
    app.setOrganizationName("calldesk")
    apply_identity(app)  # the .desktop id and the window icon
    app.setQuitOnLastWindowClosed(False)  # the loop ends after the engine has stopped
    smoke = SmokeTest.from_env(os.environ)
    if smoke is not None:
        open_backend = smoke.wrap(open_backend)
    code: int = qasync.run(run_window(open_backend, settings_path, open_preview))
    return code if smoke is None else smoke.exit_code(code)
