"""Lookups end to end through ``CallService`` against the sandbox CRMs: every schema source is
cached by ``refresh_lookups``, the call list shows names instead of ids (also when the lookups
arrive after the calls), and a stored id's label can be read back for the form."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.domain import Changes, Vendor
from calldesk.runtime import Runtime
from calldesk.sandbox import SandboxServer
from calldesk.store.calls import CallQuery, CallSummary
from tests.sync.sync_support import sandbox_account, sync_runtime


async def _summaries(rt: Runtime, account: str) -> list[CallSummary]:
    return await rt.service.list_calls(CallQuery(accounts=(account,), limit=1000))


async def _labelled_ids(rt: Runtime, account: str, summary: CallSummary) -> dict[str, str]:
    """Raw id -> label of every lookup-backed field of the call whose label the cache knows."""
    schema = rt.service.schema_for(account)
    record = await rt.service.find(account, summary.local_id)
    pairs = {
        (spec.lookup, str(record.fields[spec.name])): str(record.fields[spec.name])
        for spec in schema.fields
        if spec.lookup is not None and record.fields.get(spec.name) not in (None, "")
    }
    labels = await rt.service.labels_for(account, pairs)
    return {pairs[pair]: label for pair, label in labels.items()}


async def _assert_no_raw_ids(rt: Runtime, account: str) -> list[CallSummary]:
    summaries = await _summaries(rt, account)
    assert summaries
    for summary in summaries:
        known = await _labelled_ids(rt, account, summary)
        assert summary.who not in known, (summary.who, known[summary.who])
        assert summary.outcome not in known, (summary.outcome, known[summary.outcome])
    return summaries


@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", list(Vendor))
async def test_every_lookup_source_is_cached_and_the_list_shows_labels(
    sandbox_server: SandboxServer, tmp_path: Path, vendor: Vendor
) -> None:
    account = sandbox_account(sandbox_server, vendor)
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        counts = await rt.service.refresh_lookups(account.name)
        sources = list(rt.service.schema_for(account.name).lookups)
        assert set(counts) == set(sources)
        for source in sources:
            assert counts[source] > 0, source
            cached = await rt.service.lookup(account.name, source)
            assert cached, source
        assert await rt.service.refresh(account.name) > 0
        summaries = await _assert_no_raw_ids(rt, account.name)
        assert all(summary.who for summary in summaries)


@pytest.mark.asyncio
async def test_pipedrive_rows_show_the_persons_name(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.PIPEDRIVE)
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    names = {str(p["id"]): p["name"] for p in api.persons}
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        await rt.service.refresh_lookups("p")
        await rt.service.refresh("p")
        for summary in await _summaries(rt, "p"):
            assert summary.remote_id is not None
            person = str(api.logs[summary.remote_id]["person_id"])
            assert summary.who == names[person]


@pytest.mark.asyncio
async def test_lookups_refreshed_after_the_calls_relabel_the_cached_rows(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.PIPEDRIVE)
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    person = api.persons[0]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        await rt.service.refresh("p")
        before = await _summaries(rt, "p")
        assert any(summary.who.isdigit() for summary in before)  # only ids are known yet
        assert await rt.service.list_calls(CallQuery(text=person["name"])) == []
        seen: list[Changes] = []
        rt.bus.subscribe(seen.append)
        await rt.service.refresh_lookups("p")
        after = await _assert_no_raw_ids(rt, "p")
        assert not any(summary.who.isdigit() for summary in after)
        assert {s.local_id for s in after} == {s.local_id for s in before}
        assert any(change.calls for change in seen)
        # The search text follows the new labels: the person's name finds their calls.
        found = await rt.service.list_calls(CallQuery(text=person["name"]))
        assert found and all(summary.who == person["name"] for summary in found)


@pytest.mark.asyncio
async def test_lookup_label_reads_the_cache_across_restarts(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    lead = api.leads[0]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        assert await rt.service.lookup_label("c", "leads", lead["id"]) is None
        await rt.service.refresh_lookups("c")
        assert await rt.service.lookup_label("c", "leads", lead["id"]) == lead["display_name"]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        assert await rt.service.lookup_label("c", "leads", lead["id"]) == lead["display_name"]
        assert await rt.service.lookup_label("c", "leads", "lead_unknown") is None
        labels = await rt.service.labels_for(
            "c", [("leads", lead["id"]), ("leads", "lead_unknown"), ("users", "user_nobody")]
        )
        assert labels == {("leads", lead["id"]): lead["display_name"]}
        # Searching a source by an exact id puts that item first (how a form finds a label).
        by_id = await rt.service.lookup("c", "leads", lead["id"])
        assert by_id[0].id == lead["id"]
        assert by_id[0].label == lead["display_name"]
