"""Offline then online, pacing under a rate limit, and exactly-once creates, against the sandbox."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from calldesk.domain import Account, OpState, SyncState, Vendor
from calldesk.runtime import open_runtime
from calldesk.sandbox import SandboxServer
from calldesk.store.calls import CallQuery
from calldesk.store.local import LocalStore
from calldesk.store.paths import Paths
from tests.sync.sync_support import (
    FAST_BACKOFF,
    close_calls,
    close_calls_with_phone,
    close_values,
    outbox_empty,
    sandbox_account,
    sandbox_secret,
    sync_runtime,
    wait_until,
)

CREATE = "POST /api/v1/activity/call/"
UPDATE = "PUT /api/v1/activity/call/{id}/"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SwitchableNetwork(httpx.AsyncBaseTransport):
    """A real HTTP transport whose requests go to a closed port while ``offline`` is set."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.offline = False
        self.attempts = 0
        self._dead_port = _closed_port()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.offline:
            request.url = request.url.copy_with(port=self._dead_port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.asyncio
async def test_offline_saves_wait_quietly_and_go_out_when_back_online(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    network = SwitchableNetwork()
    network.offline = True
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    async with open_runtime(
        Paths.under(tmp_path / "calldesk"),
        [account],
        sandbox_secret,
        transport_for=lambda _a: network,
        backoff=FAST_BACKOFF,
        seed=3,
    ) as rt:
        records = [await rt.service.log_call("c", close_values(60 + i)) for i in range(3)]
        await wait_until(
            lambda: not rt.engine.connectivity.online, timeout=10, what="going offline"
        )
        before = network.attempts
        # Observe a quiet period: offline, the engine only probes every 15 s, so well under
        # one try per op in this window (a tight loop with a 50 ms backoff would make dozens).
        await asyncio.sleep(1.0)
        assert network.attempts - before <= 3
        counts = await rt.service.counts("c")
        assert counts.pending == 3 and counts.failed + counts.needs_auth == 0
        assert sandbox_server.sandbox.counters[Vendor.CLOSE].total == 0
        network.offline = False
        rt.engine.sync_now()
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        assert rt.engine.connectivity.online
        for i, record in enumerate(records):
            synced = await rt.service.find("c", record.local_id)
            assert synced.state is SyncState.SYNCED
            assert len(close_calls_with_phone(sandbox_server, f"+1650555{60 + i:04d}")) == 1


@pytest.mark.asyncio
async def test_pacing_under_a_rate_limit_meets_few_429s(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    async with sync_runtime(
        tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)], start_engine=False
    ) as rt:
        assert await rt.service.refresh("c") >= 60
        rows = await rt.service.list_calls(CallQuery(accounts=("c",), limit=60))
        assert len(rows) == 60
        for n, row in enumerate(rows):
            await rt.service.update_call("c", row.local_id, {"note": f"paced {n}"})
        sandbox_server.sandbox.faults.set(Vendor.CLOSE, rate_limit=20, rate_window=1.0)
        rt.engine.start()
        assert await rt.engine.drain("c", timeout=60, settle=outbox_empty(rt, "c"))
    assert counter.by_route[UPDATE] - counter.by_status[429] >= 60
    assert counter.rate_limited <= 2
    notes = {c["note"] for c in close_calls(sandbox_server).values()}
    assert {f"paced {n}" for n in range(60)} <= notes


@pytest.mark.asyncio
async def test_a_create_whose_answer_was_lost_is_adopted_not_duplicated(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, commit_then_drop=1.0)
    async with sync_runtime(tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)]) as rt:
        record = await rt.service.log_call("c", close_values(70))
        await wait_until(lambda: counter.dropped >= 1, timeout=10, what="a dropped answer")
        sandbox_server.sandbox.faults.set(Vendor.CLOSE, commit_then_drop=0.0)
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        synced = await rt.service.find("c", record.local_id)
    matches = close_calls_with_phone(sandbox_server, "+16505550070")
    assert len(matches) == 1
    assert synced.remote_id == matches[0]["id"]
    assert counter.by_route[CREATE] == counter.dropped  # never resent after the drop


@pytest.mark.asyncio
async def test_a_create_left_in_flight_by_a_crash_is_adopted_on_restart(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account: Account = sandbox_account(sandbox_server, Vendor.CLOSE)
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("c", close_values(80))
        (op,) = await rt.service.queue("c")

        def mark(store: LocalStore) -> None:
            store.outbox.mark_in_flight(op.op_id)

        await rt.worker.run(mark)
        # The request reached Close, then the process died before recording the answer.
        await rt.adapters["c"].create_call(op.payload)
        (in_flight,) = await rt.service.queue("c")
        assert in_flight.state is OpState.IN_FLIGHT
    async with sync_runtime(tmp_path, [account]) as rt:
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        synced = await rt.service.find("c", record.local_id)
    matches = close_calls_with_phone(sandbox_server, "+16505550080")
    assert len(matches) == 1
    assert synced.remote_id == matches[0]["id"]
    assert sandbox_server.sandbox.counters[Vendor.CLOSE].by_route[CREATE] == 1
