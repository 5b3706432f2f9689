"""The async facade: every database call runs on one dedicated worker thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from calldesk.domain import OpState
from calldesk.store.calls import CallQuery
from calldesk.store.db import StoreBugError, StoreEnvironmentError
from calldesk.store.local import LocalStore
from calldesk.store.worker import DbWorker

from .conftest import build, row_of


def _thread_of(_store: LocalStore) -> int:
    return threading.get_ident()


@pytest.mark.asyncio
async def test_work_runs_on_one_worker_thread(db_path: Path) -> None:
    caller = threading.get_ident()
    worker = await DbWorker.open(db_path, build)
    try:
        first = await worker.run(_thread_of)
        op = await worker.run(
            lambda s: s.outbox.save_new("acc", {"who": "Ann"}, row_of({"who": "Ann"}), "Ann")
        )
        second = await worker.run(_thread_of)
        page = await worker.run(lambda s, q: s.calls.list_calls(q), CallQuery())
        assert first == second == worker.thread_ident
        assert first != caller
        assert [c.local_id for c in page] == [op.local_id]
        assert worker.run_sync(lambda s: s.outbox.counts().pending) == 1
    finally:
        await worker.aclose()
    with pytest.raises(StoreBugError):
        await worker.run(_thread_of)
    await worker.aclose()  # idempotent


@pytest.mark.asyncio
async def test_errors_cross_the_thread(db_path: Path) -> None:
    async with await DbWorker.open(db_path) as worker:
        with pytest.raises(StoreBugError):
            await worker.run(lambda s: s.outbox.mark_failed("op_missing", OpState.FAILED, "x"))
        assert await worker.run(lambda s: s.outbox.counts().total) == 0


@pytest.mark.asyncio
async def test_open_failure_surfaces(tmp_path: Path) -> None:
    bad = tmp_path / "calldesk.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    with pytest.raises(StoreEnvironmentError):
        await DbWorker.open(bad)


def test_sync_close(db_path: Path) -> None:
    worker = DbWorker(db_path)
    assert worker.run_sync(lambda s: s.db.pragma("journal_mode")) == "wal"
    worker.close()
    worker.close()
    with pytest.raises(StoreBugError):
        worker.run_sync(_thread_of)
