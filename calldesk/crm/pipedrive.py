"""Pipedrive adapter: call logs under ``/api/v1/callLogs`` on the company domain.

Facts from ``pipedrive.md``: ``x-api-token`` header; list pages with ``start``/``limit`` (≤ 50)
following ``additional_data.pagination``; get, create (JSON, 200), delete; **no update**; one
recording per call log uploaded as multipart field ``file`` (409 when one exists). Every body is
``{"success", "data", "additional_data"}``; errors carry a single ``error`` string. Input times
are UTC ``YYYY-MM-DD HH:MM:SS`` but responses use ISO with ``Z``; ``duration`` is a string.
Rate limits: ``x-ratelimit-*`` (2-second burst window) and a daily budget
(``x-daily-requests-left`` / ``x-daily-ratelimit-token-remaining``) that resets at midnight.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from calldesk.crm._bounds import Answer, RateInfo, header_int, wait_seconds
from calldesk.crm._common import (
    MATCH_LIMIT,
    SAME_NUMBER,
    SAME_PHONE,
    SAME_TIME,
    Comparator,
    MultipartFile,
    PageGuard,
    matching_number,
    path_segment,
    query_matches,
    select_matches,
    take_calls,
)
from calldesk.crm._http import HttpSession, QueryParams, StaticHeaders
from calldesk.crm._messages import decode_json
from calldesk.crm._parse import (
    JSONObject,
    expect_id,
    expect_object,
    expect_objects,
    field,
    opt_int,
    opt_str,
    parse_time,
)
from calldesk.crm._policy import ErrorFacts, VendorPolicy
from calldesk.crm.adapter import AdapterContext, ProgressCallback, Recovery
from calldesk.crm.errors import CrmError, MalformedResponse, Rejected, Unsupported
from calldesk.domain import JSONValue, LookupItem, PhoneMatch, RemoteCall, Vendor, WireFields

CALLS = "/api/v1/callLogs"
MAX_PAGE = 50
TIME_FIELDS = ("start_time", "end_time")
WIRE_TIME = "%Y-%m-%d %H:%M:%S"

#: Identifying fields for exactly-once recovery and how each is compared.
IDENTITY: dict[str, Comparator] = {
    "start_time": SAME_TIME,
    "to_phone_number": SAME_PHONE,
    "duration": SAME_NUMBER,
}

#: Lookup sources served by the v2 search endpoints (cursor paging).
SEARCH_SOURCES = {
    "persons": "/api/v2/persons/search",
    "deals": "/api/v2/deals/search",
    "leads": "/api/v2/leads/search",
    "organizations": "/api/v2/organizations/search",
}

#: Lookup sources listed (empty query) by the v2 "get all" endpoints (cursor paging), and the
#: key holding each item's name.
LIST_SOURCES = {
    "persons": ("/api/v2/persons", "name"),
    "deals": ("/api/v2/deals", "title"),
    "organizations": ("/api/v2/organizations", "name"),
}
#: Leads have no v2 list: ``GET /v1/leads`` pages with ``start``/``limit``.
LEADS_LIST = "/api/v1/leads"
#: Page size of the lookup list endpoints (the documented maximum is 500).
LIST_PAGE = 500

_RECOVERY_PAGES = 40
_SEARCH_PAGES = 3
_LIST_PAGES = 10


class PipedrivePolicy(VendorPolicy):
    """Pipedrive's rate headers (burst window and daily budget) and error envelope."""

    label = "Pipedrive"
    default_retry_after = 2.0

    def rate_info(self, headers: httpx.Headers, now: datetime) -> RateInfo:
        reset = header_int(headers, "x-ratelimit-reset")
        return RateInfo(
            limit=header_int(headers, "x-ratelimit-limit"),
            remaining=header_int(headers, "x-ratelimit-remaining"),
            reset_after=None if reset is None else float(reset),
        )

    def retry_after(self, facts: ErrorFacts) -> float | None:
        if _daily_budget_spent(facts.headers):
            return _until_midnight(facts.now)
        for name in ("x-ratelimit-reset", "retry-after"):
            seconds = wait_seconds(facts.headers.get(name), facts.now)
            if seconds is not None:
                return max(seconds, 1.0)
        return None

    def special_error(self, facts: ErrorFacts) -> CrmError | None:
        if facts.status == 409:
            return Rejected("this call already has a recording", **facts.context())
        return None


def _daily_budget_spent(headers: httpx.Headers) -> bool:
    names = ("x-daily-requests-left", "x-daily-ratelimit-token-remaining")
    return any(
        header_int(headers, name) is not None and header_int(headers, name) == 0 for name in names
    )


def _until_midnight(now: datetime) -> float:
    """Seconds until the next UTC midnight, when Pipedrive's daily budget resets.

    The docs say "server midnight"; the server's time zone is not documented, UTC is assumed.
    """
    current = now.astimezone(UTC)
    midnight = (current + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1.0, (midnight - current).total_seconds())


def build(context: AdapterContext, *, page_size: int = MAX_PAGE) -> PipedriveAdapter:
    """Build a Pipedrive adapter (``context.secret`` is the API token)."""
    session = HttpSession(
        context.client,
        context.account.base_url,
        PipedrivePolicy(),
        context.hooks(),
        StaticHeaders({"x-api-token": context.secret}),
    )
    return PipedriveAdapter(session, page_size=page_size)


class PipedriveAdapter:
    """Pipedrive call logs, in wire form."""

    vendor = Vendor.PIPEDRIVE
    #: Call logs have no creation stamp, but ``start_time`` is required, so every payload has it.
    recovery = Recovery("start_time", tuple(IDENTITY))

    def __init__(self, session: HttpSession, *, page_size: int = MAX_PAGE) -> None:
        self._http = session
        self._page_size = max(1, min(page_size, MAX_PAGE))

    async def list_calls(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> AsyncIterator[RemoteCall]:
        """All the token owner's call logs; ``since`` is applied client-side (no API filter)."""
        calls = (_remote(item) async for item in self._call_pages())
        async for call in take_calls(calls, limit=limit, since=since, time_field="start_time"):
            yield call

    async def get_call(self, remote_id: str) -> RemoteCall:
        body = await self._http.get_json(self._call_url(remote_id))
        return _remote(_data_object(body, "the call log"))

    async def create_call(self, fields: WireFields) -> RemoteCall:
        response = await self._http.request("POST", self._http.url(CALLS), json_body=dict(fields))
        return _remote(_data_object(decode_json(response), "the created call log"))

    async def update_call(self, remote_id: str, fields: WireFields) -> RemoteCall:
        raise Unsupported(
            "Pipedrive does not allow changes to a call log; delete it and log it again",
            method="PUT",
            path=CALLS + "/" + path_segment(remote_id),
        )

    async def delete_call(self, remote_id: str) -> None:
        await self._http.request("DELETE", self._call_url(remote_id))

    async def upload_recording(
        self, remote_id: str, path: Path, progress: ProgressCallback | None = None
    ) -> None:
        """Upload ``path`` as the call log's recording, streamed from disk (multipart ``file``)."""
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = MultipartFile.for_file(path, "file", content_type, progress)
        await self._http.request(
            "POST",
            self._call_url(remote_id) + "/recordings",
            content=body.stream,
            headers=body.headers(),
            answer=Answer.UPLOAD,
            upload_size=body.file_size,  # the deadline grows with the file
        )

    async def find_created(
        self, fields: WireFields, *, sent_after: datetime | None = None
    ) -> list[RemoteCall]:
        """Page through a bounded window of call logs (no filters exist) and match identity."""
        candidates = [_remote(item) async for item in self._call_pages(max_pages=_RECOVERY_PAGES)]
        return select_matches(candidates, fields, IDENTITY)

    async def lookup(self, source: str, query: str = "") -> list[LookupItem]:
        if source == "users":
            body = await self._http.get_json(self._http.url("/api/v1/users"), answer=Answer.PAGE)
            users = expect_objects(_data(body, "users"), "users")
            items = []
            for user in users:
                name, email = _text(user, "name"), _text(user, "email")
                if query_matches(query, name, email):
                    items.append(
                        LookupItem(
                            source, expect_id(field(user, "id", "user"), "user"), name, email
                        )
                    )
            return items
        path = SEARCH_SOURCES.get(source)
        if path is None:
            raise Unsupported(f"Pipedrive has no lookup called {source!r}")
        term = query.strip()
        if len(term) >= 2:
            return await self._search(source, path, term)
        # The search endpoints need at least two characters: list everything instead.
        listed = await (self._leads() if source == "leads" else self._list(source))
        return [item for item in listed if query_matches(term, item.label, item.detail)]

    async def find_by_phone(self, number: str, region: str | None = None) -> list[PhoneMatch]:
        """Persons with ``number``: ``GET /api/v2/persons/search?fields=phone&exact_match=true``;
        a person links itself and its organization."""
        params: QueryParams = [
            ("term", number),
            ("fields", "phone"),
            ("exact_match", "true"),
            ("limit", str(MATCH_LIMIT)),
        ]
        path = SEARCH_SOURCES["persons"]
        body = expect_object(
            await self._http.get_json(self._http.url(path), params, answer=Answer.PAGE), path
        )
        data = expect_object(field(body, "data", path), f"{path} data")
        matches: list[PhoneMatch] = []
        for entry in expect_objects(data.get("items", []), f"{path} items")[:MATCH_LIMIT]:
            person = expect_object(field(entry, "item", "search result"), "search result")
            phones = person.get("phones")
            texts = [_phone_text(p) for p in (phones if isinstance(phones, list) else [])]
            if matching_number(texts, number, region) is None:
                continue
            org = person.get("organization")
            org_id = _id_text(org.get("id")) if isinstance(org, dict) else None
            matches.append(
                PhoneMatch(
                    "person",
                    expect_id(field(person, "id", "person"), "person"),
                    _text(person, "name"),
                    number,
                    detail=_text(org, "name") if isinstance(org, dict) else "",
                    related=(("organization", org_id),) if org_id else (),
                )
            )
        return matches

    async def check_auth(self) -> str:
        me = _data_object(await self._http.get_json(self._http.url("/api/v1/users/me")), "me")
        name, email = _text(me, "name"), _text(me, "email")
        company = _text(me, "company_name") or _text(me, "company_domain")
        who = f"{name} <{email}>" if email else name or "an unnamed user"
        return f"Pipedrive user {who}" + (f" at {company}" if company else "")

    def _call_url(self, remote_id: str) -> str:
        return self._http.url(f"{CALLS}/{path_segment(remote_id)}")

    async def _call_pages(self, *, max_pages: int | None = None) -> AsyncIterator[JSONObject]:
        start = 0
        guard = PageGuard("Pipedrive", CALLS, max_pages)
        while guard.more():
            params = [("start", str(start)), ("limit", str(self._page_size))]
            body = expect_object(
                await self._http.get_json(self._http.url(CALLS), params, answer=Answer.PAGE), CALLS
            )
            data = body.get("data")
            items = [] if data is None else expect_objects(data, "call logs")
            guard.seen_page(items)
            for item in items:
                yield item
            pagination = _pagination(body)
            if pagination.get("more_items_in_collection") is not True or not items:
                return
            next_start = opt_int(pagination.get("next_start"))
            start = (
                next_start if next_start is not None and next_start > start else start + len(items)
            )

    async def _list(self, source: str) -> list[LookupItem]:
        """Every person, deal or organization (v2 "get all", cursor paging, bounded)."""
        path, name_key = LIST_SOURCES[source]
        items: list[LookupItem] = []
        cursor: str | None = None
        guard = PageGuard("Pipedrive", path, _LIST_PAGES)
        while guard.more():
            params: QueryParams = [
                ("limit", str(LIST_PAGE)),
                *([("cursor", cursor)] if cursor else []),
            ]
            body = expect_object(
                await self._http.get_json(self._http.url(path), params, answer=Answer.PAGE), path
            )
            data = _data(body, path)
            objs = [] if data is None else expect_objects(data, f"{path} data")
            guard.seen_page(objs)
            for obj in objs:
                items.append(
                    LookupItem(
                        source,
                        expect_id(field(obj, "id", source), source),
                        _text(obj, name_key),
                        _detail(obj),
                    )
                )
            cursor = _next_cursor(body)
            if not cursor:
                break
            guard.seen_cursor(cursor)
        return items

    async def _leads(self) -> list[LookupItem]:
        """Every lead not archived (``GET /v1/leads``, ``start``/``limit`` paging, bounded)."""
        items: list[LookupItem] = []
        start = 0
        guard = PageGuard("Pipedrive", LEADS_LIST, _LIST_PAGES)
        while guard.more():
            params: QueryParams = [("start", str(start)), ("limit", str(LIST_PAGE))]
            body = expect_object(
                await self._http.get_json(self._http.url(LEADS_LIST), params, answer=Answer.PAGE),
                LEADS_LIST,
            )
            data = _data(body, LEADS_LIST)
            leads = [] if data is None else expect_objects(data, "leads")
            guard.seen_page(leads)
            for lead in leads:
                items.append(
                    LookupItem(
                        "leads", expect_id(field(lead, "id", "lead"), "lead"), _text(lead, "title")
                    )
                )
            extra = body.get("additional_data")
            # v1 leads put start/limit/more_items_in_collection directly in additional_data.
            paging = extra if isinstance(extra, dict) else {}
            nested = paging.get("pagination")
            if isinstance(nested, dict):
                paging = nested
            if paging.get("more_items_in_collection") is not True or not leads:
                break
            start += len(leads)
        return items

    async def _search(self, source: str, path: str, term: str) -> list[LookupItem]:
        items: list[LookupItem] = []
        cursor: str | None = None
        guard = PageGuard("Pipedrive", path, _SEARCH_PAGES)
        while guard.more():
            params: QueryParams = [("term", term), *([("cursor", cursor)] if cursor else [])]
            body = expect_object(
                await self._http.get_json(self._http.url(path), params, answer=Answer.PAGE), path
            )
            data = expect_object(field(body, "data", path), f"{path} data")
            found = [
                expect_object(field(entry, "item", "search result"), "search result")
                for entry in expect_objects(data.get("items", []), f"{path} items")
            ]
            guard.seen_page(found)
            for item in found:
                items.append(
                    LookupItem(
                        source,
                        expect_id(field(item, "id", "search result"), "search result"),
                        _text(item, "name") or _text(item, "title"),
                        _detail(item),
                    )
                )
            cursor = _next_cursor(body)
            if not cursor:
                break
            guard.seen_cursor(cursor)
        return items


def _next_cursor(body: JSONObject) -> str | None:
    """The v2 endpoints' cursor for the next page (``additional_data.next_cursor``), if any."""
    extra = body.get("additional_data")
    return opt_str(extra.get("next_cursor")) if isinstance(extra, dict) else None


def _data(body: JSONValue, what: str) -> JSONValue:
    obj = expect_object(body, what)
    if obj.get("success") is False:
        raise MalformedResponse(f"Pipedrive reported failure for {what}")
    return field(obj, "data", what)


def _data_object(body: JSONValue, what: str) -> JSONObject:
    return expect_object(_data(body, what), what)


def _pagination(body: JSONObject) -> JSONObject:
    extra = body.get("additional_data")
    if not isinstance(extra, dict):
        return {}
    pagination = extra.get("pagination")
    return pagination if isinstance(pagination, dict) else {}


def wire_time(value: JSONValue) -> JSONValue:
    """Pipedrive's response time (``2026-11-21T10:42:00.000Z``) in input form (UTC, seconds)."""
    parsed = parse_time(value)
    return value if parsed is None else parsed.strftime(WIRE_TIME)


def _remote(body: JSONObject) -> RemoteCall:
    remote_id = expect_id(field(body, "id", "call log"), "call log id")
    fields: dict[str, JSONValue] = {}
    for key, value in body.items():
        if key == "id":
            continue
        if key in TIME_FIELDS:
            fields[key] = wire_time(value)
        elif key == "duration" and isinstance(value, int | float) and not isinstance(value, bool):
            fields[key] = str(int(value))
        else:
            fields[key] = value
    return RemoteCall(remote_id, fields, None, dict(body))


def _text(obj: JSONObject, key: str) -> str:
    return opt_str(obj.get(key)) or ""


def _detail(item: JSONObject) -> str:
    org = item.get("organization")
    if isinstance(org, dict):
        name = opt_str(org.get("name"))
        if name:
            return name
    phones = item.get("phones")
    if isinstance(phones, list) and phones:
        first = phones[0]
        if isinstance(first, str):
            return first
        if isinstance(first, dict):
            return opt_str(first.get("value")) or ""
    return ""


def _phone_text(entry: JSONValue) -> str | None:
    """A person's phone as v2 search (a string) or the v2 entity (``{value, ...}``) gives it."""
    if isinstance(entry, str):
        return entry
    return opt_str(entry.get("value")) if isinstance(entry, dict) else None


def _id_text(value: JSONValue) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        return None
    return str(value)
