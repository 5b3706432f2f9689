"""Every lookup source of every vendor schema lists choices with an empty query (what
``refresh_lookups`` caches), against the sandbox CRMs; Pipedrive lists through its "get all"
endpoints (the search needs two characters) and pages through them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from calldesk.crm import make_adapter
from calldesk.domain import Account, KeySource, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.schema import load_schema


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as c:
        yield c


def adapter(server: SandboxServer, client: httpx.AsyncClient, vendor: Vendor) -> Any:
    account = Account("acct", vendor, server.base_url(vendor), KeySource("env", "KEY"))
    return make_adapter(account, SANDBOX_KEYS[vendor], client)


def hits(server: SandboxServer, vendor: Vendor, route: str) -> int:
    return server.sandbox.counters[vendor].by_route[route]


@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", list(Vendor))
async def test_every_schema_lookup_source_lists_choices(
    sandbox_server: SandboxServer, client: httpx.AsyncClient, vendor: Vendor
) -> None:
    crm = adapter(sandbox_server, client, vendor)
    for source in load_schema(vendor).lookups:
        items = await crm.lookup(source, "")
        assert items, f"{vendor.value} {source} is empty"
        assert all(item.source == source and item.id and item.label for item in items)
        assert len({item.id for item in items}) == len(items), f"{vendor.value} {source} repeats"


@pytest.mark.asyncio
async def test_pipedrive_empty_query_lists_everything_not_search(
    sandbox_server: SandboxServer, client: httpx.AsyncClient
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    crm = adapter(sandbox_server, client, Vendor.PIPEDRIVE)
    for source, items, key in (
        ("persons", api.persons, "name"),
        ("deals", api.deals, "title"),
        ("organizations", api.orgs, "name"),
        ("leads", api.leads, "title"),
    ):
        found = await crm.lookup(source)
        assert {(item.id, item.label) for item in found} == {
            (str(item["id"]), item[key]) for item in items
        }, source
    for kind in ("persons", "deals", "organizations", "leads"):
        assert hits(sandbox_server, Vendor.PIPEDRIVE, f"GET /api/v2/{kind}/search") == 0
    assert hits(sandbox_server, Vendor.PIPEDRIVE, "GET /api/v2/persons") == 1
    assert hits(sandbox_server, Vendor.PIPEDRIVE, "GET /api/v1/leads") == 1
    person = next(p for p in await crm.lookup("persons") if p.id == str(api.persons[0]["id"]))
    assert person.detail == api.persons[0]["phones"][0]


@pytest.mark.asyncio
async def test_pipedrive_lists_follow_cursor_and_start_paging(
    sandbox_server: SandboxServer, client: httpx.AsyncClient
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    template_person, template_lead = api.persons[0], api.leads[0]
    for i in range(600):  # more than one page of 500 (the documented maximum)
        api.persons.append({**template_person, "id": 90_000 + i, "name": f"Paged Person {i}"})
        api.leads.append(
            {**template_lead, "id": f"00000000-0000-4000-8000-{i:012d}", "title": f"Lead {i}"}
        )
    crm = adapter(sandbox_server, client, Vendor.PIPEDRIVE)
    persons = await crm.lookup("persons")
    leads = await crm.lookup("leads")
    assert len(persons) == len(api.persons) == 648
    assert len({p.id for p in persons}) == 648
    assert {lead.id for lead in leads} == {lead["id"] for lead in api.leads}
    assert hits(sandbox_server, Vendor.PIPEDRIVE, "GET /api/v2/persons") == 2
    assert hits(sandbox_server, Vendor.PIPEDRIVE, "GET /api/v1/leads") == 2


@pytest.mark.asyncio
async def test_apollo_contacts_and_accounts_page_past_the_first_page(
    sandbox_server: SandboxServer, client: httpx.AsyncClient
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.APOLLO]
    template = api.contacts[0]
    for i in range(150):
        api.contacts.append({**template, "id": f"{i:024x}", "name": f"Extra Contact {i}"})
    crm = adapter(sandbox_server, client, Vendor.APOLLO)
    contacts = await crm.lookup("contacts")
    assert {c.id for c in contacts} == {c["id"] for c in api.contacts}
    assert len(contacts) > 100  # more than one page of 100
    accounts = await crm.lookup("accounts")
    assert {a.id for a in accounts} == {a["id"] for a in api.accounts}
