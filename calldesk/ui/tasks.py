"""The window's background work: its coroutines, run as tasks on the running (qasync) loop.

``TaskRunner.spawn`` starts a coroutine and logs (never raises) what it throws, and tells the rep
through ``report``. The first frame paints before asyncio is even imported, so a coroutine
spawned before a loop runs is *kept*, not dropped: it starts with the next ``spawn`` made under a
running loop, or with ``start_kept`` (the window's ``start``). At most ``KEEP_LIMIT`` are kept;
past that, or when the window goes away first, a kept one is closed with a warning in the log
that names it, never silently. Plain Python (no QObject): the first frame builds it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("calldesk.ui")

#: How many coroutines wait for a loop at most (a starting window spawns a handful).
KEEP_LIMIT = 64


def _running_loop() -> asyncio.AbstractEventLoop | None:
    if "asyncio" not in sys.modules:  # no loop yet: the window paints before asyncio loads
        return None
    import asyncio

    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _name(coro: Coroutine[Any, Any, object]) -> str:
    return str(getattr(coro, "__qualname__", coro))


class TaskRunner:
    """Spawns, settles and cancels the window's coroutines (see the module docstring)."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._tasks: set[asyncio.Task[object]] = set()
        self._kept: list[Coroutine[Any, Any, object]] = []

    def spawn(self, coro: Coroutine[Any, Any, object]) -> object:
        """Run ``coro`` on the running loop (the task), or keep it until one runs (None)."""
        loop = _running_loop()
        if loop is None:
            self._keep(coro)
            return None
        self._start_kept(loop)
        return self._start(loop, coro)

    def start_kept(self) -> int:
        """Start what was spawned before the loop ran (call from the loop); how many."""
        loop = _running_loop()
        if loop is None:
            return 0
        return self._start_kept(loop)

    @property
    def kept(self) -> int:
        """How many coroutines wait for a loop."""
        return len(self._kept)

    @property
    def running(self) -> int:
        """How many tasks have not finished yet."""
        return len(self._tasks)

    async def settle(self) -> None:
        """Wait for the outstanding tasks, including those they start (tests and shutdown)."""
        import asyncio

        self.start_kept()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def cancel(self) -> None:
        """Cancel every task but the one calling this; close the kept coroutines."""
        self.close_kept()
        if "asyncio" not in sys.modules:
            return
        import asyncio

        try:
            current = asyncio.current_task()
        except RuntimeError:  # no loop running
            current = None
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    def close_kept(self) -> None:
        """Close what never got a loop (the window closed first), saying so in the log."""
        kept, self._kept = self._kept, []
        for coro in kept:
            log.warning("window work not run (no event loop ran): %s", _name(coro))
            coro.close()

    def _keep(self, coro: Coroutine[Any, Any, object]) -> None:
        if len(self._kept) >= KEEP_LIMIT:
            oldest = self._kept.pop(0)
            log.warning("window work dropped (too much waits for a loop): %s", _name(oldest))
            oldest.close()
        self._kept.append(coro)

    def _start_kept(self, loop: asyncio.AbstractEventLoop) -> int:
        kept, self._kept = self._kept, []
        for coro in kept:
            self._start(loop, coro)
        return len(kept)

    def _start(
        self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, object]
    ) -> asyncio.Task[object]:
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("window task failed", exc_info=exc)
            self._report(str(exc))
