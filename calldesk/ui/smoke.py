"""A headless self-check of an installed calldesk: the ``CALLDESK_SMOKE_TEST`` hook.

Release checks (the wheel in a fresh virtual environment, the PyInstaller bundle) run::

    QT_QPA_PLATFORM=offscreen CALLDESK_SMOKE_TEST=shot.png calldesk --demo

The window opens as usual; the smoke test then waits for its first paint and for its calls to
load (with ``--demo``: at least one call fetched from the in-process sandbox CRMs), saves a grab of
the window to the PNG (``CALLDESK_SMOKE_TEST=1``: no grab), prints one line on stdout and closes
the window. The exit code is 0 only if all of that happened within the deadline
(``CALLDESK_SMOKE_TIMEOUT`` seconds, 60 by default) and nothing under the ``calldesk`` logger was
logged at WARNING or above; otherwise it is 1 and the reason is printed on stderr.

``calldesk.ui.qtapp.run`` hooks it in without the window knowing::

    smoke = SmokeTest.from_env(os.environ)
    if smoke is not None:
        open_backend = smoke.wrap(open_backend)
    code = ...  # run the window as usual
    return smoke.exit_code(code) if smoke is not None else code
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from calldesk.ui.ports import Backend
from calldesk.ui.window import MainWindow

BackendOpener = Callable[[], AbstractAsyncContextManager[Backend]]

SMOKE_ENV = "CALLDESK_SMOKE_TEST"
SMOKE_TIMEOUT_ENV = "CALLDESK_SMOKE_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
SMOKE_FAILED = 1


class SmokeFailed(Exception):
    """The window did not come up as expected (the message says what was missing)."""


class _PaintSeen(QObject):
    """An event filter that notes the first paint of the widget it watches."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.painted = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


class _Problems(logging.Handler):
    """Collects calldesk's WARNING-and-above log records while the smoke test runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


@dataclass
class SmokeResult:
    """The smoke test's exit code once it has run (None until then)."""

    code: int | None = None


async def _main_window() -> MainWindow:
    """Wait until a calldesk main window is shown, and return it."""
    while True:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                return widget
        await asyncio.sleep(0.02)


@dataclass(frozen=True)
class SmokeTest:
    """What to check: ``shot`` is where to save the grab (None: no grab)."""

    shot: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    result: SmokeResult = field(default_factory=SmokeResult)

    def exit_code(self, window_code: int) -> int:
        """The process's exit code: the smoke test's, unless the window itself failed."""
        if window_code != 0:
            return window_code
        return SMOKE_FAILED if self.result.code is None else self.result.code

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SmokeTest | None:
        """Read ``CALLDESK_SMOKE_TEST`` (unset, empty or ``0``: no smoke test)."""
        value = environ.get(SMOKE_ENV, "").strip()
        if value in ("", "0"):
            return None
        raw_timeout = environ.get(SMOKE_TIMEOUT_ENV, "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        return cls(shot=None if value == "1" else Path(value), timeout=timeout)

    def wrap(self, open_backend: BackendOpener) -> BackendOpener:
        """Wrap the window's backend opener so the smoke test runs while the backend is open.

        The check runs as a task beside the window: it finds the ``MainWindow`` among the top-level
        widgets, checks it, stores the exit code in ``result`` and closes the window (which ends
        the run as if the rep had closed it).
        """

        @asynccontextmanager
        async def opened() -> AsyncIterator[Backend]:
            async with open_backend() as backend:
                task = asyncio.get_running_loop().create_task(self._run())
                try:
                    yield backend
                finally:
                    if not task.done():
                        task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

        return opened

    async def _run(self) -> None:
        if self.result.code is not None:
            return  # the backend was reopened: the first window already answered
        code = SMOKE_FAILED
        window: MainWindow | None = None
        try:
            async with asyncio.timeout(self.timeout):
                window = await _main_window()
            code = await self.check(window)
        except TimeoutError:
            sys.stderr.write(f"calldesk smoke test FAILED: no window within {self.timeout:g} s\n")
        finally:
            self.result.code = code
            if window is not None:
                window.close()

    async def check(self, window: MainWindow, *, out: TextIO | None = None) -> int:
        """Wait for paint and data, grab, report; returns the exit code (the caller closes)."""
        stdout = sys.stdout if out is None else out
        problems = _Problems()
        logger = logging.getLogger("calldesk")
        logger.addHandler(problems)
        seen = _PaintSeen(window)
        window.installEventFilter(seen)
        window.update()  # a paint after the filter is in place, even if the first one was earlier
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                await self._wait_for_window(window, seen)
            rows = window.model.rowCount()
            size = self._grab(window)
        except (SmokeFailed, TimeoutError) as exc:
            reason = str(exc) or f"no paint and data within {self.timeout:g} s"
            sys.stderr.write(f"calldesk smoke test FAILED: {reason}\n")
            return SMOKE_FAILED
        finally:
            logger.removeHandler(problems)
            window.removeEventFilter(seen)
        if problems.messages:
            sys.stderr.write("calldesk smoke test FAILED: problems were logged\n")
            for message in problems.messages:
                sys.stderr.write(f"  {message}\n")
            return SMOKE_FAILED
        elapsed = time.monotonic() - started
        shot = f"; saved {self.shot} ({size})" if self.shot is not None else ""
        loaded = f"{rows} calls loaded in {elapsed:.2f} s"
        stdout.write(f"calldesk smoke test ok: window painted, {loaded}{shot}\n")
        stdout.flush()
        return 0

    async def _wait_for_window(self, window: MainWindow, seen: _PaintSeen) -> None:
        def ready() -> bool:
            if not (seen.painted and window.isVisible()):
                return False
            return window.model.rowCount() > 0 or not window.backend.demo

        while not ready():
            await asyncio.sleep(0.02)
        await window.settle()  # the refresh and the reloads it triggered have finished
        QApplication.processEvents()
        if window.backend.demo and window.model.rowCount() == 0:
            raise SmokeFailed("the demo window shows no calls")

    def _grab(self, window: MainWindow) -> str:
        if self.shot is None:
            return ""
        image = window.grab()
        if image.isNull() or not image.save(str(self.shot), "PNG"):
            raise SmokeFailed(f"could not save the window's grab to {self.shot}")
        return f"{image.width()}x{image.height()}"
