"""Runs the window: a QApplication on a qasync loop around the engine the composition root opens.

``run(open_backend, settings_path)`` returns the exit code once the window is closed and the
engine has stopped and the store is closed (the backend's context manager has exited).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from calldesk.ui.ports import Backend
from calldesk.ui.window import MainWindow

BackendOpener = Callable[[], AbstractAsyncContextManager[Backend]]


async def run_window(open_backend: BackendOpener, settings_path: Path) -> int:
    """Open the backend, show the window, and wait until it is closed."""
    async with open_backend() as backend:
        window = MainWindow(backend, settings_path=settings_path)
        closed = asyncio.Event()
        window.closing.connect(closed.set)
        window.show()
        window.start()
        window.spawn(window.refresh_all())
        await closed.wait()
        for task in list(window._tasks):
            task.cancel()
        await window.settle()
        window.deleteLater()
    return 0


def run(open_backend: BackendOpener, settings_path: Path) -> int:
    """Start Qt and the qasync loop, run the window, and return its exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("calldesk")
    app.setOrganizationName("calldesk")
    app.setQuitOnLastWindowClosed(False)  # the loop ends after the engine has stopped
    code: int = qasync.run(run_window(open_backend, settings_path))
    return code
