"""A create whose earlier outcome is unknown is never resent without a lookup that found nothing.

A narrow unit of the engine's decision: a scripted adapter stands in for the CRM (the sandbox
tests cover the HTTP side), over a real store on disk.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk.crm import AuthError, RateLimited, Recovery
from calldesk.domain import Account, JSONValue, KeySource, RemoteCall, Vendor, WireFields
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.records import CallRow
from calldesk.store.worker import DbWorker
from calldesk.sync.engine import SyncEngine
from calldesk.sync.events import ChangeBus
from calldesk.sync.policy import BackoffPolicy
from calldesk.sync.services import StoreOutbox

ACCOUNT = Account("c", Vendor.CLOSE, "https://api.close.com", KeySource("env", "K"))
FIELDS: dict[str, JSONValue] = {
    "activity_at": "2031-03-04T09:00:00+00:00",
    "phone": "+16505550100",
    "duration": 61,
}
MATCH = RemoteCall("acti_1", FIELDS, datetime(2031, 3, 4, tzinfo=UTC))


class ScriptedCrm:
    """The CRM already holds the call; its lookups fail as scripted, then find it."""

    vendor = Vendor.CLOSE

    def __init__(self, lookup_failures: list[Exception]) -> None:
        self.lookup_failures = lookup_failures
        self.lookups = 0
        self.creates = 0

    recovery = Recovery("activity_at", ("activity_at", "phone", "duration"))

    async def find_created(
        self, fields: WireFields, *, sent_after: datetime | None = None
    ) -> list[RemoteCall]:
        self.lookups += 1
        if self.lookup_failures:
            raise self.lookup_failures.pop(0)
        return [MATCH]

    async def create_call(self, fields: WireFields) -> RemoteCall:
        self.creates += 1
        return MATCH

    def list_calls(self, **_: object) -> AsyncIterator[RemoteCall]:
        raise NotImplementedError


async def _uncertain_create(worker: DbWorker) -> str:
    """Queue a create and leave it as a killed process would: attempted, outcome unknown."""

    def setup(store: LocalStore) -> str:
        op = store.outbox.save_new("c", FIELDS, CallRow(), "")
        store.outbox.mark_in_flight(op.op_id)
        return op.op_id

    return await worker.run(setup)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [RateLimited("slow down", retry_after=0.01), AuthError("expired")],
    ids=["429-on-lookup", "401-on-lookup"],
)
async def test_a_failed_lookup_keeps_the_create_uncertain(
    tmp_path: Path, failure: Exception
) -> None:
    worker = await DbWorker.open(tmp_path / DB_FILENAME)
    try:
        await _uncertain_create(worker)
        crm = ScriptedCrm([failure])
        engine = SyncEngine(
            StoreOutbox(worker), ChangeBus(), seed=1, backoff=BackoffPolicy(base=0.01, cap=0.02)
        )
        syncer = engine.add_account(ACCOUNT, crm, concurrency=1)  # type: ignore[arg-type]
        engine.start()
        deadline = time.monotonic() + 10
        while crm.lookups < 2 and time.monotonic() < deadline:
            if syncer.status.needs_auth:
                # The rep fixed the key: resume the paused account.
                await worker.run(lambda s: s.outbox.resume_needs_auth("c"))
                engine.sync_now()
            await asyncio.sleep(0.01)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if (await worker.run(lambda s: s.outbox.counts())).total == 0:
                break
            await asyncio.sleep(0.01)
        await engine.stop()
        assert crm.lookups == 2, "the create was retried without looking for it first"
        assert crm.creates == 0, "a possibly delivered create was sent again"
        record = await worker.run(lambda s: s.calls.get_by_remote("c", "acti_1"))
        assert record is not None
        assert (await worker.run(lambda s: s.outbox.counts())).total == 0
    finally:
        await worker.aclose()
