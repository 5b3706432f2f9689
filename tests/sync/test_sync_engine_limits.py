"""The engine keeps to each vendor's ``max_concurrency``, and a change listener that raises
breaks neither the other listeners nor the sync (sandbox on 127.0.0.1, real SQLite)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from calldesk.domain import Changes, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.schema import load_schema
from calldesk.sync.events import ChangeBus
from tests.sync.sync_support import (
    close_calls_with_phone,
    close_values,
    outbox_empty,
    sandbox_account,
    sync_runtime,
)


@pytest.mark.asyncio
async def test_the_engine_sends_at_most_the_vendor_concurrency_at_once(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    limit = load_schema(Vendor.CLOSE).capabilities.max_concurrency
    assert limit >= 2  # otherwise this test could not tell one at a time from the limit
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    # Slow answers, so that every request the engine lets go at once overlaps the others.
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, latency=0.3)
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        for i in range(3 * limit):
            await rt.service.log_call("c", close_values(i))
        rt.engine.start()
        assert await rt.engine.drain("c", timeout=60, settle=outbox_empty(rt, "c"))
    assert counter.most_in_flight == limit
    assert counter.in_flight == 0
    for i in range(3 * limit):
        assert len(close_calls_with_phone(sandbox_server, f"+1650555{i:04d}")) == 1


def test_a_listener_that_raises_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = ChangeBus()
    heard: list[str] = []

    def broken(changes: Changes) -> None:
        heard.append("broken")
        raise RuntimeError("a view fell over")

    bus.subscribe(lambda changes: heard.append("first"))
    bus.subscribe(broken)
    bus.subscribe(lambda changes: heard.append("last"))
    with caplog.at_level(logging.ERROR, logger="calldesk.sync"):
        bus.publish(Changes(outbox=True))
        bus.publish(Changes(calls=True))
    assert heard == ["first", "broken", "last"] * 2  # the broken one is kept, too
    assert [r.getMessage() for r in caplog.records] == ["change listener failed"] * 2
    assert "a view fell over" in caplog.text


@pytest.mark.asyncio
async def test_a_listener_that_raises_does_not_stop_the_sync(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    async with sync_runtime(tmp_path, [account]) as rt:
        heard: list[Changes] = []

        def broken(changes: Changes) -> None:
            raise RuntimeError("a view fell over")

        rt.bus.subscribe(broken)
        rt.bus.subscribe(heard.append)
        await rt.service.log_call("c", close_values(40))
        assert await rt.engine.drain("c", timeout=30, settle=outbox_empty(rt, "c"))
    assert len(close_calls_with_phone(sandbox_server, "+16505550040")) == 1
    assert any(c.outbox for c in heard)
