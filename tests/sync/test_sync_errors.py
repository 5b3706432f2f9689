"""Each class of CRM error leads the engine to the right outcome (sandbox, real sockets)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from calldesk.domain import Account, Changes, OpState, SyncState, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.local import LocalStore
from tests.sync.sync_support import (
    close_calls,
    close_calls_with_phone,
    close_values,
    nothing_pending,
    outbox_empty,
    sandbox_account,
    sync_runtime,
    wait_until,
)

CREATE = "POST /api/v1/activity/call/"


@pytest.mark.asyncio
async def test_server_errors_are_retried_with_backoff_until_they_succeed(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, error_rate=1.0)
    async with sync_runtime(tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)]) as rt:
        started = time.monotonic()
        await rt.service.log_call("c", close_values(10))
        await wait_until(lambda: counter.by_status[503] >= 4, timeout=10, what="four 503s")
        elapsed = time.monotonic() - started
        # Backoff: four tries take at least the three waits (each >= base/2 = 25 ms).
        assert elapsed >= 3 * 0.025
        queued = await rt.service.queue("c")
        assert queued[0].attempts >= 3
        assert "503" in (queued[0].last_error or ""), queued[0].last_error
        sandbox_server.sandbox.faults.set(Vendor.CLOSE, error_rate=0.0)
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
    assert len(close_calls_with_phone(sandbox_server, "+16505550010")) == 1


@pytest.mark.asyncio
async def test_a_rate_limit_waits_what_the_vendor_said_then_succeeds(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, rate_limit=1, rate_window=1.5)
    # Someone else spends the window first.
    async with httpx.AsyncClient(auth=(SANDBOX_KEYS[Vendor.CLOSE], "")) as client:
        spent = await client.get(sandbox_server.base_url(Vendor.CLOSE) + "/api/v1/me/")
    assert spent.status_code == 200
    async with sync_runtime(tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)]) as rt:
        syncer = rt.engine.syncers["c"]
        await rt.service.log_call("c", close_values(11))
        await wait_until(lambda: counter.rate_limited >= 1, timeout=10, what="a 429")
        await wait_until(
            lambda: syncer.pacer.blocked_until > 0, timeout=5, what="the pacer to block"
        )
        blocked_until = syncer.pacer.blocked_until
        requests_at_429 = counter.total
        await wait_until(
            lambda: counter.total > requests_at_429, timeout=10, what="the next request"
        )
        next_request_at = time.monotonic()
        assert next_request_at >= blocked_until - 0.05
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
    assert counter.rate_limited == 1
    assert len(close_calls_with_phone(sandbox_server, "+16505550011")) == 1


@pytest.mark.asyncio
async def test_a_wrong_key_pauses_the_account_once_and_resume_sends_after_the_fix(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]

    def wrong_key(_account: Account) -> str:
        return "not-the-key"

    async with sync_runtime(tmp_path, [account], secret_for=wrong_key, start_engine=False) as rt:
        published: list[Changes] = []
        rt.bus.subscribe(published.append)
        for i in range(3):
            await rt.service.log_call("c", close_values(20 + i))
        rt.engine.start()
        assert await rt.engine.drain("c", timeout=20, settle=nothing_pending(rt, "c"))
        syncer = rt.engine.syncers["c"]
        assert syncer.status.needs_auth
        counts = await rt.service.counts("c")
        assert counts.needs_auth >= 1 and counts.pending + counts.in_flight == 0
        # Paused: the other saves were not all sent once the first 401 came back (at most one
        # per concurrent slot), and the account was reported exactly once.
        assert counter.by_status[401] <= 3
        assert sum(1 for c in published if c.accounts) == 1
        assert "not-the-key" not in syncer.status.auth_message
    # The rep fixes the key; calldesk reconnects and resumes the account.
    async with sync_runtime(tmp_path, [account]) as rt:
        resumed = await rt.service.resume_account("c")
        assert resumed >= 1
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
    for i in range(3):
        assert len(close_calls_with_phone(sandbox_server, f"+1650555{20 + i:04d}")) == 1


@pytest.mark.asyncio
async def test_a_payload_close_refuses_fails_with_the_vendor_message(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    async with sync_runtime(
        tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)], start_engine=False
    ) as rt:
        record = await rt.service.log_call("c", close_values(30))
        (op,) = await rt.service.queue("c")
        too_long = {**op.payload, "duration": 700_000}

        def edit(store: LocalStore) -> None:
            store.outbox.edit_payload(op.op_id, too_long)

        await rt.worker.run(edit)
        rt.engine.start()
        assert await rt.engine.drain("c", timeout=20, settle=nothing_pending(rt, "c"))
        (failed,) = await rt.service.queue("c")
        assert failed.state is OpState.FAILED
        assert "604800" in (failed.last_error or "")
        assert (await rt.service.find("c", record.local_id)).state is SyncState.FAILED
    assert sandbox_server.sandbox.counters[Vendor.CLOSE].by_route[CREATE] == 1
    assert close_calls_with_phone(sandbox_server, "+16505550030") == []


@pytest.mark.asyncio
async def test_update_and_delete_of_a_call_deleted_in_the_crm_are_conflicts(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    async with sync_runtime(
        tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)], start_engine=False
    ) as rt:
        edited = await rt.service.log_call("c", close_values(40))
        deleted = await rt.service.log_call("c", close_values(41))
        rt.engine.start()
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        await rt.engine.stop()
        for record in (edited, deleted):
            remote_id = (await rt.service.find("c", record.local_id)).remote_id
            assert remote_id is not None
            del close_calls(sandbox_server)[remote_id]  # someone deletes it in Close
        await rt.service.update_call("c", edited.local_id, {"note": "too late"})
        await rt.service.delete_call("c", deleted.local_id)
        rt.engine.start()
        assert await rt.engine.drain("c", timeout=20, settle=nothing_pending(rt, "c"))
        ops = await rt.service.queue("c")
        assert {op.local_id: op.state for op in ops} == {
            edited.local_id: OpState.CONFLICT,
            deleted.local_id: OpState.CONFLICT,
        }
        assert all("deleted in the CRM" in (op.last_error or "") for op in ops)


@pytest.mark.asyncio
async def test_a_truncated_create_response_is_retried_without_a_duplicate(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, truncated_body=1.0)
    async with sync_runtime(tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)]) as rt:
        record = await rt.service.log_call("c", close_values(50))
        await wait_until(lambda: counter.by_route[CREATE] >= 1, timeout=10, what="the create")

        async def retried() -> bool:
            (op,) = await rt.service.queue("c")
            return op.attempts >= 1 and op.state is OpState.PENDING

        await wait_until(retried, timeout=10, what="the create to be rescheduled")
        sandbox_server.sandbox.faults.set(Vendor.CLOSE, truncated_body=0.0)
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        synced = await rt.service.find("c", record.local_id)
    matches = close_calls_with_phone(sandbox_server, "+16505550050")
    assert len(matches) == 1
    assert synced.remote_id == matches[0]["id"]
    assert synced.state is SyncState.SYNCED
