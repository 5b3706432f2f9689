"""Runs the window: a QApplication on a qasync loop around the engine the composition root opens.

``run(open_backend, settings_path)`` returns the exit code once the window is closed and the
engine has stopped and the store is closed (the backend's context manager has exited).
:class:`BackendSession` keeps one backend open and reopens it when the rep changes accounts, so
the window picks up new accounts without a restart. With ``CALLDESK_SMOKE_TEST`` set, the window
checks itself and closes (``calldesk.ui.smoke``; release checks of the wheel and the bundle).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from calldesk.ui.identity import apply_identity
from calldesk.ui.ports import Backend
from calldesk.ui.smoke import SmokeTest
from calldesk.ui.window import MainWindow

BackendOpener = Callable[[], AbstractAsyncContextManager[Backend]]


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


async def run_window(open_backend: BackendOpener, settings_path: Path) -> int:
    """Open the backend, show the window, and wait until it is closed."""
    session = BackendSession(open_backend)
    backend = await session.open()
    try:
        window = MainWindow(backend, settings_path=settings_path, reopen=session.reopen)
        closed = asyncio.Event()
        window.closing.connect(closed.set)
        window.show()
        window.start(refresh=True)
        await closed.wait()
        await window.shutdown()
        window.deleteLater()
    finally:
        await session.close()
    return 0


def run(open_backend: BackendOpener, settings_path: Path) -> int:
    """Start Qt and the qasync loop, run the window, and return its exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("calldesk")
    app.setOrganizationName("calldesk")
    apply_identity(app)  # the .desktop id and the window icon
    app.setQuitOnLastWindowClosed(False)  # the loop ends after the engine has stopped
    smoke = SmokeTest.from_env(os.environ)
    if smoke is not None:
        open_backend = smoke.wrap(open_backend)
    code: int = qasync.run(run_window(open_backend, settings_path))
    return code if smoke is None else smoke.exit_code(code)
