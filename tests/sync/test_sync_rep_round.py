"""The rep's sync (Sync now, F5, ``calldesk sync``): every pending operation is tried at once
whatever its back-off, a rate-limit block still holds, and ``drain`` without a timeout stops
when nothing is ready (sandbox on 127.0.0.1, real SQLite)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from calldesk.domain import Vendor, utcnow
from calldesk.sandbox import SandboxServer
from calldesk.store.local import LocalStore
from calldesk.sync.policy import BackoffPolicy
from tests.sync.sync_support import (
    close_calls_with_phone,
    close_values,
    outbox_empty,
    sandbox_account,
    sync_runtime,
)

#: A back-off long enough that no test could see a retry it did not ask for.
SLOW_BACKOFF = BackoffPolicy(base=600.0, cap=600.0)
CREATE = "POST /api/v1/activity/call/"


async def _queue_failed_creates(
    server: SandboxServer, tmp_path: Path, count: int, *, attempts: int
) -> None:
    """Queue ``count`` Close creates, each left pending after ``attempts`` failed tries and due
    four minutes from now (as the store keeps them after a back-off)."""
    account = sandbox_account(server, Vendor.CLOSE)
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        for i in range(count):
            await rt.service.log_call("c", close_values(i))

        def fail_each(store: LocalStore) -> None:
            for op in store.outbox.list_ops(account="c"):
                for _ in range(attempts):
                    store.outbox.mark_in_flight(op.op_id)
                    store.outbox.reschedule(
                        op.op_id, utcnow() + timedelta(minutes=4), "503 Service Unavailable"
                    )

        await rt.worker.run(fail_each)


@pytest.mark.asyncio
async def test_sync_now_sends_a_create_whose_backoff_has_minutes_left(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    await _queue_failed_creates(sandbox_server, tmp_path, 1, attempts=8)
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    async with sync_runtime(tmp_path, [account], backoff=SLOW_BACKOFF) as rt:
        (op,) = await rt.service.queue("c")
        assert op.attempts == 8 and op.next_attempt_at is not None
        assert op.next_attempt_at > utcnow() + timedelta(minutes=3)
        assert await rt.engine.drain("c", settle=outbox_empty(rt, "c"))
    assert len(close_calls_with_phone(sandbox_server, "+16505550000")) == 1


@pytest.mark.asyncio
async def test_a_round_tries_more_operations_than_the_vendor_concurrency(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    await _queue_failed_creates(sandbox_server, tmp_path, 7, attempts=2)  # Close: 3 at a time
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    async with sync_runtime(tmp_path, [account], backoff=SLOW_BACKOFF) as rt:
        assert await rt.engine.drain("c", settle=outbox_empty(rt, "c"))
    for i in range(7):
        assert len(close_calls_with_phone(sandbox_server, f"+1650555{i:04d}")) == 1
