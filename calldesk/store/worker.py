"""Run store work off the event loop: one dedicated thread owns the SQLite connection.

``sqlite3`` connections belong to one thread, and a blocking ``COMMIT`` with ``fsync`` must
never stall the GUI/event loop. :class:`DbWorker` opens the :class:`LocalStore` on its own
single worker thread (a ``ThreadPoolExecutor(max_workers=1)``) and runs every call there::

    worker = await DbWorker.open(paths.data_dir / DB_FILENAME, builder)
    op = await worker.run(lambda s: s.outbox.save_new(account, fields, row, text))
    page = await worker.run(list_page, query)   # any fn(store, *args) -> result
    await worker.aclose()

After a job that wrote, the worker queues the search indexing of what it wrote
(:meth:`calldesk.store.search.SearchIndexer.flush`) as its next job, so a save's result comes back
as soon as it is durable and any later job (a search) already sees it in the index.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from calldesk.store.db import StoreBugError, StoreError
from calldesk.store.local import LocalStore
from calldesk.store.records import RowBuilder

_log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class DbWorker:
    """The async facade of the local store: every call runs on one dedicated thread."""

    def __init__(self, path: Path, builder: RowBuilder | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calldesk-db")
        self._thread_ident: int | None = None
        self._closed = False
        self._opening = self._executor.submit(self._open, path, builder)

    def _open(self, path: Path, builder: RowBuilder | None) -> LocalStore:
        self._thread_ident = threading.get_ident()
        return LocalStore.open(path, builder)

    @classmethod
    async def open(cls, path: Path, builder: RowBuilder | None = None) -> DbWorker:
        """Start the worker and wait until the database is open (errors surface here)."""
        worker = cls(path, builder)
        try:
            await asyncio.wrap_future(worker._opening)
        except BaseException:
            worker._executor.shutdown(wait=True)
            worker._closed = True
            raise
        return worker

    @property
    def thread_ident(self) -> int | None:
        """The worker thread's identity (for diagnostics and tests)."""
        return self._thread_ident

    def _call(
        self, fn: Callable[Concatenate[LocalStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        store = self._opening.result()
        try:
            return fn(store, *args, **kwargs)
        finally:
            if not store.db.closed and store.search_index.stale:
                # Runs before any job submitted once this one's result is out.
                self._executor.submit(self._index_search, store)

    @staticmethod
    def _index_search(store: LocalStore) -> None:
        try:
            store.search_index.flush()
        except StoreError:
            # The notes stay; the next search (or open) retries and reports the error.
            _log.exception("indexing saved calls for search failed")

    async def run(
        self, fn: Callable[Concatenate[LocalStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(store, *args, **kwargs)`` on the worker thread and return its result."""
        if self._closed:
            raise StoreBugError("the database worker is closed")
        future = self._executor.submit(functools.partial(self._call, fn, *args, **kwargs))
        return await asyncio.wrap_future(future)

    def run_sync(
        self, fn: Callable[Concatenate[LocalStore, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn`` on the worker thread and block until done (for CLI code without a loop)."""
        if self._closed:
            raise StoreBugError("the database worker is closed")
        return self._executor.submit(functools.partial(self._call, fn, *args, **kwargs)).result()

    def close(self) -> None:
        """Close the connection on its own thread and stop the thread (idempotent, blocking)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._opening.exception() is None:
                self._executor.submit(lambda: self._opening.result().close()).result()
        finally:
            self._executor.shutdown(wait=True)

    async def aclose(self) -> None:
        """Close without blocking the event loop."""
        if self._closed:
            return
        if self._opening.exception() is None:
            closing = self._executor.submit(lambda: self._opening.result().close())
            self._closed = True
            try:
                await asyncio.wrap_future(closing)
            finally:
                self._executor.shutdown(wait=True)  # idle by now: joins at once
        else:
            self._closed = True
            self._executor.shutdown(wait=True)

    async def __aenter__(self) -> DbWorker:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
