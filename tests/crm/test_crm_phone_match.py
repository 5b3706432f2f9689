"""Caller ID at the adapter: each vendor's documented search finds the records holding a number,
against the sandbox CRMs over real sockets; hits are checked here, never taken on the CRM's word."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from calldesk.crm import Unsupported, make_adapter
from calldesk.domain import Account, KeySource, PhoneMatch, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer

UNKNOWN = "+16505550000"


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as c:
        yield c


def adapter(server: SandboxServer, client: httpx.AsyncClient, vendor: Vendor) -> Any:
    account = Account("acct", vendor, server.base_url(vendor), KeySource("env", "KEY"))
    return make_adapter(account, SANDBOX_KEYS[vendor], client)


def first_contact(server: SandboxServer, vendor: Vendor) -> tuple[str, str, str]:
    """(id, name, phone) of the sandbox's first contact/person, as the vendor holds it."""
    api = server.sandbox.apis[vendor]
    if vendor is Vendor.CLOSE:
        c = api.contacts[0]
        return c["id"], c["name"], c["phones"][0]["phone"]
    if vendor is Vendor.PIPEDRIVE:
        p = api.persons[0]
        return str(p["id"]), p["name"], p["phones"][0]
    if vendor is Vendor.APOLLO:
        c = api.contacts[0]
        return c["id"], c["name"], c["phone_numbers"][0]["sanitized_number"]
    raise AssertionError(vendor)


EXPECTED_KIND = {
    Vendor.CLOSE: ("contact", "lead"),
    Vendor.PIPEDRIVE: ("person", "organization"),
    Vendor.APOLLO: ("contact", "account"),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("vendor", [Vendor.CLOSE, Vendor.PIPEDRIVE, Vendor.APOLLO])
async def test_a_number_finds_the_record_that_holds_it(
    sandbox_server: SandboxServer, client: httpx.AsyncClient, vendor: Vendor
) -> None:
    crm = adapter(sandbox_server, client, vendor)
    ident, name, phone = first_contact(sandbox_server, vendor)
    found = await crm.find_by_phone(phone, "US")
    assert [(m.kind, m.id, m.name, m.number) for m in found] == [
        (EXPECTED_KIND[vendor][0], ident, name, phone)
    ]
    assert [kind for kind, _ in found[0].related] == [EXPECTED_KIND[vendor][1]]
    assert await crm.find_by_phone(UNKNOWN, "US") == []


@pytest.mark.asyncio
async def test_buildr_says_it_has_no_phone_search(
    sandbox_server: SandboxServer, client: httpx.AsyncClient
) -> None:
    crm = adapter(sandbox_server, client, Vendor.BUILDR)
    with pytest.raises(Unsupported, match="no documented way to find a contact by phone"):
        await crm.find_by_phone("+14155550152", "US")


@pytest.mark.asyncio
async def test_a_shared_number_finds_every_holder_and_national_forms_count(
    sandbox_server: SandboxServer, client: httpx.AsyncClient
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    shared = api.persons[0]["phones"][0]
    api.persons[1]["phones"].append(shared)
    crm = adapter(sandbox_server, client, Vendor.PIPEDRIVE)
    found = await crm.find_by_phone(shared, "US")
    assert {m.id for m in found} == {str(api.persons[0]["id"]), str(api.persons[1]["id"])}
    assert found[0].detail == api.persons[0]["organization"]["name"]


@pytest.mark.asyncio
async def test_a_fuzzy_hit_with_another_number_is_not_a_match(
    sandbox_server: SandboxServer, client: httpx.AsyncClient
) -> None:
    """Apollo's keyword search can return contacts for digits inside another number: the
    adapter keeps only those whose own number is the one asked for."""
    api = sandbox_server.sandbox.apis[Vendor.APOLLO]
    phone = api.contacts[0]["phone_numbers"][0]["sanitized_number"]
    longer = phone + "9"  # contains the number's digits; is not it
    api.contacts[1]["phone_numbers"][0]["sanitized_number"] = longer
    api.contacts[1]["sanitized_phone"] = longer
    crm = adapter(sandbox_server, client, Vendor.APOLLO)
    found: list[PhoneMatch] = await crm.find_by_phone(phone, "US")
    assert [m.id for m in found] == [api.contacts[0]["id"]]
