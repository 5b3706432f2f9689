"""Every outbox merge rule, driven through ``CallService`` and checked at the sandbox CRM."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.domain import OpKind, SyncState, Vendor
from calldesk.runtime import Runtime
from calldesk.sandbox import SandboxServer
from calldesk.sync.services import NotAllowed
from tests.sync.sync_support import (
    close_values,
    outbox_empty,
    pipedrive_values,
    sandbox_account,
    sync_runtime,
)

CLOSE_CALLS = "/api/v1/activity/call/"
CREATE = f"POST {CLOSE_CALLS}"
UPDATE = f"PUT {CLOSE_CALLS}{{id}}/"
DELETE = f"DELETE {CLOSE_CALLS}{{id}}/"


async def _drain(rt: Runtime, account: str) -> None:
    rt.engine.start()
    assert await rt.engine.drain(account, timeout=20, settle=outbox_empty(rt, account))
    await rt.engine.stop()


def _routes(server: SandboxServer, vendor: Vendor) -> dict[str, int]:
    return dict(server.sandbox.counters[vendor].by_route)


@pytest.mark.asyncio
async def test_two_updates_reach_the_crm_as_one_with_both_fields(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    close = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("c", close_values(1))
        await _drain(rt, "c")
        record = await rt.service.find("c", record.local_id)
        assert record.remote_id is not None
        await rt.service.update_call("c", record.local_id, {"note": "first edit"})
        await rt.service.update_call("c", record.local_id, {"duration": 777})
        queue = await rt.service.queue("c")
        assert [op.kind for op in queue] == [OpKind.UPDATE]
        await _drain(rt, "c")
        routes = _routes(sandbox_server, Vendor.CLOSE)
        assert routes.get(UPDATE) == 1
        stored = close.calls[record.remote_id]  # type: ignore[attr-defined]
        assert stored["note"] == "first edit"
        assert stored["duration"] == 777
        synced = await rt.service.find("c", record.local_id)
        assert synced.state is SyncState.SYNCED


@pytest.mark.asyncio
async def test_an_edit_while_the_create_is_queued_rides_in_the_create(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    close = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("c", close_values(2))
        await rt.service.update_call("c", record.local_id, {"note": "edited before sending"})
        assert [op.kind for op in await rt.service.queue("c")] == [OpKind.CREATE]
        await _drain(rt, "c")
        routes = _routes(sandbox_server, Vendor.CLOSE)
        assert routes == {CREATE: 1}
        synced = await rt.service.find("c", record.local_id)
        assert synced.remote_id is not None
        assert close.calls[synced.remote_id]["note"] == "edited before sending"  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_create_then_delete_sends_nothing_at_all(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    close = sandbox_server.sandbox.apis[Vendor.CLOSE]
    before = close.call_count()
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("c", close_values(3))
        assert await rt.service.delete_call("c", record.local_id) is None
        assert await rt.service.queue("c") == []
        await _drain(rt, "c")
    assert sandbox_server.sandbox.counters[Vendor.CLOSE].total == 0
    assert close.call_count() == before


@pytest.mark.asyncio
async def test_a_delete_replaces_pending_updates(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    close = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("c", close_values(4))
        await _drain(rt, "c")
        remote_id = (await rt.service.find("c", record.local_id)).remote_id
        assert remote_id is not None
        await rt.service.update_call("c", record.local_id, {"note": "never sent"})
        await rt.service.update_call("c", record.local_id, {"duration": 5})
        await rt.service.delete_call("c", record.local_id)
        assert [op.kind for op in await rt.service.queue("c")] == [OpKind.DELETE]
        await _drain(rt, "c")
    routes = _routes(sandbox_server, Vendor.CLOSE)
    assert routes == {CREATE: 1, DELETE: 1}
    assert remote_id not in close.calls  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_pipedrive_edits_merge_into_the_queued_create_and_are_refused_after(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.PIPEDRIVE)
    pipedrive = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    before = pipedrive.call_count()
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("p", pipedrive_values(5))
        await rt.service.update_call("p", record.local_id, {"note": "merged into the create"})
        await rt.service.update_call("p", record.local_id, {"outcome": "no_answer"})
        assert [op.kind for op in await rt.service.queue("p")] == [OpKind.CREATE]
        await _drain(rt, "p")
        assert pipedrive.call_count() == before + 1
        assert sum(_routes(sandbox_server, Vendor.PIPEDRIVE).values()) == 1
        synced = await rt.service.find("p", record.local_id)
        assert synced.remote_id is not None
        stored = pipedrive.logs[synced.remote_id]  # type: ignore[attr-defined]
        assert stored["note"] == "merged into the create"
        assert stored["outcome"] == "no_answer"
        with pytest.raises(NotAllowed, match="does not allow changes"):
            await rt.service.update_call("p", record.local_id, {"note": "too late"})
        assert await rt.service.queue("p") == []
