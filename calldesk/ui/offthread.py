"""Blocking work (keyring, files) run off the GUI thread, its outcome handed back on it.

``OffThread.run(work, done)`` runs ``work()`` on one worker thread (calls run in the order they
were made) and calls ``done(result, error)`` on the GUI thread through a queued Qt signal, so it
works whether or not an asyncio loop runs (the accounts dialog is also used without one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("calldesk.ui")

Done = Callable[[Any, BaseException | None], None]


class OffThread(QObject):
    """One worker thread for a widget's blocking calls (see the module docstring)."""

    _finished = Signal(object, object, object)  # done, result, error

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calldesk-ui-io")
        self._finished.connect(self._deliver)

    def run(self, work: Callable[[], object], done: Done) -> None:
        """Run ``work`` on the worker thread; ``done(result, error)`` on the GUI thread."""

        def finished(future: Future[object]) -> None:
            error = future.exception()
            self._finished.emit(done, None if error is not None else future.result(), error)

        self._pool.submit(work).add_done_callback(finished)

    @staticmethod
    def _deliver(done: Done, result: object, error: BaseException | None) -> None:
        done(result, error)

    def close(self) -> None:
        """Let the worker finish what it started; take nothing new."""
        self._pool.shutdown(wait=False)
