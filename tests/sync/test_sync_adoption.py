"""The adoption rule: a retried create adopts a CRM record only when it is certainly this call's.

Issue 12's scenario against the Close sandbox over real sockets and a real store: a thin call
(``duration`` and a note, no time, phone or user) whose first send met a 503 before anything was
applied, while the CRM already held another call of the same duration.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calldesk.domain import OpState, RemoteCall, SyncState, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.store.calls import CallQuery
from calldesk.store.local import LocalStore
from calldesk.sync.adoption import Adoption, choose
from tests.sync.sync_support import (
    close_calls,
    nothing_pending,
    outbox_empty,
    sandbox_account,
    sync_runtime,
    wait_until,
)

CREATE = "POST /api/v1/activity/call/"


def _plant_other_call(server: SandboxServer, *, duration: int, note: str) -> str:
    """Make an existing sandbox call (someone else's, a week old) look like the thin call."""
    other = next(iter(close_calls(server).values()))
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    other.update(duration=duration, note_html=note, note=note, date_created=week_ago)
    return str(other["id"])


@pytest.mark.asyncio
@pytest.mark.parametrize("count", [1, 3])
async def test_a_thin_create_retried_after_a_503_is_sent_not_adopted(
    sandbox_server: SandboxServer, tmp_path: Path, count: int
) -> None:
    other_id = _plant_other_call(sandbox_server, duration=2, note="<p>someone else's</p>")
    counter = sandbox_server.sandbox.counters[Vendor.CLOSE]
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, error_rate=1.0)
    async with sync_runtime(tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)]) as rt:
        records = [
            await rt.service.log_call("c", {"duration": 2, "note_html": f"<p>my note {n}</p>"})
            for n in range(count)
        ]
        await wait_until(
            lambda: counter.by_status.get(503, 0) >= count, timeout=10, what="the 503s"
        )
        sandbox_server.sandbox.faults.clear()
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        synced = [await rt.service.find("c", r.local_id) for r in records]
    mine = {
        str(c["id"]): c
        for c in close_calls(sandbox_server).values()
        if str(c["note_html"]).startswith("<p>my note")
    }
    assert len(mine) == count
    for n, record in enumerate(synced):
        assert record.state is SyncState.SYNCED
        assert record.remote_id != other_id
        assert record.remote_id is not None
        assert mine[record.remote_id]["note_html"] == f"<p>my note {n}</p>"
        assert record.fields["note_html"] == f"<p>my note {n}</p>"
    assert close_calls(sandbox_server)[other_id]["note_html"] == "<p>someone else's</p>"


@pytest.mark.asyncio
async def test_an_ambiguous_thin_create_becomes_a_conflict_the_rep_resolves(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    """Two records the create could be (both new, both this user's): neither is taken over."""
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    payload = {"duration": 2, "note_html": "<p>twin</p>"}
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call("c", payload)
        (op,) = await rt.service.queue("c")

        def mark(store: LocalStore) -> None:
            store.outbox.mark_in_flight(op.op_id)

        await rt.worker.run(mark)
        # The killed send did reach Close; meanwhile the rep logged the same thin call in Close.
        await rt.adapters["c"].create_call(op.payload)
        await rt.adapters["c"].create_call(op.payload)
    async with sync_runtime(tmp_path, [account]) as rt:
        assert await rt.engine.drain("c", timeout=20, settle=nothing_pending(rt, "c"))
        (stopped,) = await rt.service.queue("c")
        assert stopped.state is OpState.CONFLICT
        assert "2 records in Close could be this call" in (stopped.last_error or "")
        found = await rt.service.find("c", record.local_id)
        assert found.remote_id is None
        # "Send mine anyway": the rep's choice sends it as a new call.
        await rt.service.retry(stopped.op_id)
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
    twins = [c for c in close_calls(sandbox_server).values() if c["note_html"] == "<p>twin</p>"]
    assert len(twins) == 3


@pytest.mark.asyncio
async def test_a_record_another_local_call_holds_is_never_adopted_nor_a_crash(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    payload = {"duration": 3, "note_html": "<p>same</p>"}
    async with sync_runtime(tmp_path, [account]) as rt:
        first = await rt.service.log_call("c", payload)
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        held = (await rt.service.find("c", first.local_id)).remote_id
        await rt.engine.stop()
        second = await rt.service.log_call("c", payload)
        (op,) = await rt.service.queue("c")

        def mark(store: LocalStore) -> None:
            store.outbox.mark_in_flight(op.op_id)

        await rt.worker.run(mark)  # attempted, outcome unknown; nothing reached Close
    async with sync_runtime(tmp_path, [account]) as rt:
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        again = await rt.service.find("c", second.local_id)
    assert again.state is SyncState.SYNCED
    assert again.remote_id not in (None, held)
    same = [c for c in close_calls(sandbox_server).values() if c["note_html"] == "<p>same</p>"]
    assert len(same) == 2


T0 = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def _remote(remote_id: str, **fields: object) -> RemoteCall:
    return RemoteCall(remote_id, dict(fields), T0)  # type: ignore[arg-type]


def test_choose_needs_the_time_or_a_creation_stamp_to_adopt_a_single_match() -> None:
    one = [_remote("a", duration=2)]
    thin = {"duration": 2}
    assert choose(thin, one, held=frozenset(), time_field="activity_at", stamped=False).kind is (
        Adoption.AMBIGUOUS
    )
    assert choose(thin, one, held=frozenset(), time_field="activity_at", stamped=True).kind is (
        Adoption.ADOPT
    )
    timed = {"duration": 2, "activity_at": "2031-03-04T09:00:00+00:00"}
    assert choose(timed, one, held=frozenset(), time_field="activity_at", stamped=False).kind is (
        Adoption.ADOPT
    )
    assert choose(
        thin, one, held=frozenset({"a"}), time_field="activity_at", stamped=True
    ).kind is (Adoption.ABSENT)


def test_choose_narrows_several_matches_by_the_other_stored_fields() -> None:
    pair = [_remote("a", duration=2, note="x"), _remote("b", duration=2, note="y")]
    picked = choose(
        {"duration": 2, "note": "y"}, pair, held=frozenset(), time_field="t", stamped=True
    )
    assert picked.kind is Adoption.ADOPT and picked.call is pair[1]
    same = choose({"duration": 2}, pair, held=frozenset(), time_field="t", stamped=True)
    assert same.kind is Adoption.AMBIGUOUS and same.count == 2


@pytest.mark.asyncio
async def test_a_thin_answer_keeps_the_local_fields_where_it_is_silent(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    """A 200 answer of only ``{"id": ...}`` marks the call synced without blanking it."""
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, thin_answer=1.0)
    async with sync_runtime(tmp_path, [sandbox_account(sandbox_server, Vendor.CLOSE)]) as rt:
        record = await rt.service.log_call("c", {"duration": 95, "note_html": "<p>kept</p>"})
        assert await rt.engine.drain("c", timeout=20, settle=outbox_empty(rt, "c"))
        synced = await rt.service.find("c", record.local_id)
        (line,) = [
            r
            for r in await rt.service.list_calls(CallQuery(accounts=("c",), limit=500))
            if r.local_id == record.local_id
        ]
    assert synced.state is SyncState.SYNCED
    assert synced.remote_id in close_calls(sandbox_server)
    assert synced.fields["duration"] == 95
    assert synced.fields["note_html"] == "<p>kept</p>"
    assert line.local_id == record.local_id
