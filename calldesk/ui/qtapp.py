"""Runs the window: a QApplication on a qasync loop around the engine the composition root opens.

``run(open_backend, settings_path)`` returns the exit code once the window is closed and the
engine has stopped and the store is closed (the backend's context manager has exited); it gives
the application its desktop identity first (``APP_ID``, ``apply_identity``, ``apply_icon``).
:class:`BackendSession` keeps one backend open and reopens it when the rep changes accounts, so
the window picks up new accounts without a restart. With ``CALLDESK_SMOKE_TEST`` set, the window
checks itself and closes (``calldesk.ui.smoke``; release checks of the wheel and the bundle).

Start-up order, so the window paints like a native app: with ``first_page`` the window first
paints its *first frame* (``show_first_frame``): ``glance`` (the composition root's quick read
of the newest list lines and the outbox counts with sqlite3 alone, ``calldesk.store.glance``)
feeds a ``MainWindow`` built without a backend, which shows the toolbar, the sidebar, those calls
and the status bar without importing the store, the domain model, asyncio or PySide6's ``Qt``
namespace. Right after that paint ``first_page`` (the blocking read of the newest calls and a
starting backend, ``Backend.starting``) runs on a plain thread while the GUI thread waits in a
``QEventLoop``, and the window is attached to it (``MainWindow.attach``: the real list model over
the same rows, the shortcuts, the editor column). Only then does the qasync loop start,
``open_backend`` run (httpx clients, adapters, schemas, keyring, the sync engine) and the window
``rebind`` to it; the panels the first paint does not show are built just after
(``MainWindow.prepare_panels``). Without ``first_page``, ``open_preview`` (a store-only backend
on the DB worker) plays the same part on the running loop.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QWidget

from calldesk.resources import resources_dir
from calldesk.ui.window import MainWindow

if TYPE_CHECKING:  # imported once the window has painted
    import asyncio

    from calldesk.store.glance import Glance
    from calldesk.ui.ports import Backend, Summary

BackendOpener = Callable[[], AbstractAsyncContextManager["Backend"]]
#: Blocking: the starting backend and the rows the window paints first (run off the GUI thread).
FirstPageReader = Callable[[], tuple["Backend", Sequence["Summary"]]]
#: Blocking and quick (sqlite3 alone): what the window's first frame shows, or None.
GlanceReader = Callable[[], "Glance | None"]
T = TypeVar("T")

#: The longest the engine waits for the list's first paint (a minimised window never paints).
FIRST_PAINT_WAIT_S = 2.0
#: calldesk's desktop id: its .desktop and AppStream files are named by it.
APP_ID = "io.github.calldesk.Calldesk"


def icon_path() -> Path:
    """The scalable application icon (freedesktop ``hicolor`` layout; shipped in a checkout,
    an installed wheel and the bundle alike)."""
    return resources_dir() / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def apply_identity(app: QGuiApplication, *, icon: bool = True) -> None:
    """Tell Qt the desktop file name (Wayland compositors and taskbars match the window to
    ``io.github.calldesk.Calldesk.desktop`` by it; it must be set before the window is shown)
    and, unless ``icon=False``, set the window icon (``apply_icon``)."""
    app.setDesktopFileName(APP_ID)
    if icon:
        apply_icon(app)


def apply_icon(app: QGuiApplication) -> None:
    """Set the window icon, when it is shipped. The launcher calls it after the first frame:
    loading Qt's SVG icon plugin takes ~1.5 ms."""
    icon = icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


class _PaintWaiter(QObject):
    """Sets ``painted`` at the next paint of the widget it watches."""

    def __init__(self, widget: QWidget) -> None:
        import asyncio

        super().__init__(widget)
        self.painted = asyncio.Event()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted.set()
        return False


async def wait_for_rows_painted(window: MainWindow, loaded: asyncio.Event) -> None:
    """Wait until the call list has loaded and its table has painted (bounded)."""
    import asyncio

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
        self.opener = opener
        self._context: AbstractAsyncContextManager[Backend] | None = None

    async def open(self) -> Backend:
        """Open a backend (the opener reads the accounts config each time)."""
        if self._context is not None:
            raise RuntimeError("a backend is already open")
        context = self.opener()
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


class _Finished(QObject):
    """Carries "done" from a plain thread to the GUI thread (a queued signal)."""

    done = Signal()


def call_off_gui_thread(work: Callable[[], T]) -> T:
    """Run blocking ``work`` on a short-lived thread; the GUI thread waits in a ``QEventLoop``."""
    finished = _Finished()
    waiting = QEventLoop()
    finished.done.connect(waiting.quit)  # queued: emitted from the worker thread
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(work())
        except BaseException as exc:  # handed to the GUI thread below
            errors.append(exc)
        finally:
            finished.done.emit()

    thread = threading.Thread(target=target, name="calldesk-first-page", daemon=True)
    thread.start()
    waiting.exec()
    thread.join()
    finished.deleteLater()
    if errors:
        raise errors[0]
    return results[0]


class _FirstPaint(QObject):
    """Quits ``loop`` once the widget it watches has painted (after that paint has finished)."""

    def __init__(self, widget: QWidget, loop: QEventLoop) -> None:
        super().__init__(widget)
        self._loop = loop
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self._loop.quit)  # after this paint has finished
        return False


def wait_for_first_paint(widget: QWidget) -> None:
    """Process Qt events (no asyncio loop yet) until ``widget`` has painted (bounded).

    Given the window, that is the whole first frame: a window's first paint repaints all of its
    children in the same pass, and the wait ends after that pass.
    """
    waiting = QEventLoop()
    watcher = _FirstPaint(widget, waiting)
    QTimer.singleShot(int(FIRST_PAINT_WAIT_S * 1000), waiting.quit)  # a minimised window
    waiting.exec()
    widget.removeEventFilter(watcher)
    watcher.deleteLater()


def show_first_frame(
    glance: GlanceReader, settings_path: Path, session: BackendSession
) -> MainWindow:
    """Build the window's first frame on what ``glance`` reads, show it and paint it.

    Nothing heavier than sqlite3 and the frame's own widgets loads before this paint: not the
    store, the domain model, the engine, asyncio or PySide6's ``Qt`` namespace. The cyclic
    garbage collector is paused until then (``calldesk.__main__`` pauses it before the imports):
    its passes over the freshly imported modules cost ~1.5 ms and free nothing; it is on after.
    """
    gc.disable()
    try:
        window = MainWindow(
            None, settings_path=settings_path, reopen=session.reopen, glance=glance()
        )
        window.show()
        wait_for_first_paint(window)
    finally:
        gc.enable()
    return window


def attach_first_page(window: MainWindow, read: FirstPageReader) -> None:
    """Read the first page off the GUI thread and attach the window to the starting backend it
    comes with (the list swaps to the real model over the same rows)."""
    backend, rows = call_off_gui_thread(read)
    window.attach(backend, rows)


async def run_window(
    open_backend: BackendOpener,
    settings_path: Path,
    open_preview: BackendOpener | None = None,
    *,
    session: BackendSession | None = None,
    window: MainWindow | None = None,
) -> int:
    """Show the window and wait until it is closed.

    ``window``: already shown (``show_first_frame``) and attached (``attach_first_page``), with
    ``session`` its reopener; else it is built here, on ``open_preview`` first when given.
    """
    import asyncio

    session = session if session is not None else BackendSession(open_backend)
    preview = open_preview() if open_preview is not None and window is None else None
    backend = None
    if window is None:
        backend = await (preview.__aenter__() if preview is not None else session.open())
    try:
        closed = asyncio.Event()
        loaded = asyncio.Event()
        if window is None:
            assert backend is not None
            window = MainWindow(backend, settings_path=settings_path, reopen=session.reopen)
            window.model.loaded.connect(loaded.set)
            window.show()
            window.start(refresh=preview is None)
        else:
            loaded.set()  # seeded before the loop started
            if not window.isVisible():
                closed.set()  # closed before the loop started
        window.closing.connect(closed.set)
        if window.backend.starting:
            await wait_for_rows_painted(window, loaded)
            full = await session.open()
            await window.settle()  # the stand-in's own reads
            if not closed.is_set():
                window.bridge.close()
                window.rebind(full)  # accounts, editor, sync status; refreshes from the CRMs
                QTimer.singleShot(0, window.prepare_panels)  # conflict view, history, queue
            if preview is not None:
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
    open_backend: BackendOpener,
    settings_path: Path,
    open_preview: BackendOpener | None = None,
    first_page: FirstPageReader | None = None,
    glance: GlanceReader | None = None,
) -> int:
    """Start Qt (and paint ``first_page``'s rows, when given), then the qasync loop; exit code.

    ``first_page``: the blocking read the window paints before asyncio exists (see the module
    docstring). ``open_preview``: a store-only backend the window paints on before
    ``open_backend`` runs (used when there is no ``first_page``).
    """
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("calldesk")
    app.setOrganizationName("calldesk")
    apply_identity(app, icon=first_page is None)  # the .desktop id (and the window icon)
    app.setQuitOnLastWindowClosed(False)  # the loop ends after the engine has stopped
    session = BackendSession(open_backend)
    window = None
    if first_page is not None:
        window = show_first_frame(glance or (lambda: None), settings_path, session)
        apply_icon(app)
        attach_first_page(window, first_page)
    import qasync

    from calldesk.ui.smoke import SmokeTest

    smoke = SmokeTest.from_env(os.environ)
    if smoke is not None:
        session.opener = smoke.wrap(session.opener)
    code: int = qasync.run(
        run_window(open_backend, settings_path, open_preview, session=session, window=window)
    )
    return code if smoke is None else smoke.exit_code(code)
