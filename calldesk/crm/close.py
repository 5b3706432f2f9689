"""Close adapter: call activities under ``/api/v1/activity/call/`` (Basic auth, trailing slashes).

Facts from the vendor reference (``close.md``): list pages with ``_skip``/``_limit`` until
``has_more`` is false; create is POST (200), update is a *partial* PUT, delete answers ``{}`` or
204. No recording upload (recordings are an ``https`` ``recording_url`` field). Validation errors
are 400 ``{"errors": [...], "field-errors": {...}}``; 429 waits come from the ``RateLimit`` header,
``rate_reset`` in the body, ``Retry-After`` or ``RateLimit-Reset``.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from calldesk.crm._bounds import Answer, RateInfo, count, finite, wait_seconds
from calldesk.crm._common import (
    MATCH_LIMIT,
    SAME_NUMBER,
    SAME_PHONE,
    SAME_TEXT,
    SAME_TIME,
    Comparator,
    PageGuard,
    matching_number,
    path_segment,
    query_matches,
    select_matches,
    take_calls,
    utc_iso,
)
from calldesk.crm._http import HttpSession, QueryParams, StaticHeaders
from calldesk.crm._messages import clip, decode_json, generic_error_message
from calldesk.crm._parse import (
    JSONObject,
    expect_id,
    expect_object,
    expect_objects,
    field,
    opt_str,
    parse_time,
)
from calldesk.crm._policy import ErrorFacts, VendorPolicy
from calldesk.crm.adapter import CLOCK_SKEW, AdapterContext, ProgressCallback, Recovery
from calldesk.crm.errors import CrmError, Rejected, Unsupported
from calldesk.domain import JSONValue, LookupItem, PhoneMatch, RemoteCall, Vendor, WireFields

CALLS = "/api/v1/activity/call/"
#: Advanced Filtering: leads or contacts by a JSON query (caller ID).
DATA_SEARCH = "/api/v1/data/search/"

#: Identifying fields for exactly-once recovery and how each is compared.
IDENTITY: dict[str, Comparator] = {
    "activity_at": SAME_TIME,
    "phone": SAME_PHONE,
    "duration": SAME_NUMBER,
    "user_id": SAME_TEXT,
}

_LOOKUP_PAGES = 10
_RECOVERY_PAGES = 5


class ClosePolicy(VendorPolicy):
    """Close's rate headers and error bodies."""

    label = "Close"
    default_retry_after = 1.0

    def rate_info(self, headers: httpx.Headers, now: datetime) -> RateInfo:
        combined = _ratelimit_header(headers.get("ratelimit"))
        limit = combined.get("limit")
        remaining = combined.get("remaining")
        reset = combined.get("reset")
        for prefix in ("ratelimit-", "x-rate-limit-"):
            limit = limit if limit is not None else _float(headers.get(prefix + "limit"))
            remaining = (
                remaining if remaining is not None else _float(headers.get(prefix + "remaining"))
            )
            reset = reset if reset is not None else _float(headers.get(prefix + "reset"))
        return RateInfo(limit=count(limit), remaining=count(remaining), reset_after=reset)

    def retry_after(self, facts: ErrorFacts) -> float | None:
        reset = _ratelimit_header(facts.headers.get("ratelimit")).get("reset")
        if reset is not None:
            return reset
        body_reset = _body_rate_reset(facts.body)
        if body_reset is not None:
            return body_reset
        for name in ("retry-after", "ratelimit-reset", "x-rate-limit-reset"):
            seconds = wait_seconds(facts.headers.get(name), facts.now)
            if seconds is not None:
                return seconds
        return None

    def error_message(self, body: JSONValue, text: str) -> str:
        general = generic_error_message(body, text)
        fields = _field_errors(body)
        parts = [general] if general else []
        parts.extend(f"{name}: {message}" for name, message in fields.items())
        return clip("; ".join(parts))

    def special_error(self, facts: ErrorFacts) -> CrmError | None:
        fields = _field_errors(facts.body)
        if facts.status == 400 and fields:
            return Rejected(
                f"Close refused the call: {facts.message}", field_errors=fields, **facts.context()
            )
        return None


def _float(value: str | None) -> float | None:
    number = finite(value)
    return None if number is None else max(0.0, number)


def _ratelimit_header(value: str | None) -> dict[str, float]:
    """Parse ``RateLimit: limit=100, remaining=0, reset=1`` (IETF draft) into numbers."""
    found: dict[str, float] = {}
    if not value:
        return found
    for part in value.replace(";", ",").split(","):
        key, sep, raw = part.strip().partition("=")
        number = _float(raw) if sep else None
        if number is not None:
            found[key.strip().lower()] = number
    return found


def _body_rate_reset(body: JSONValue) -> float | None:
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("error")):
        if isinstance(holder, dict):
            value = holder.get("rate_reset")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return finite(str(value))
            if isinstance(value, str):
                return _float(value)
    return None


def _field_errors(body: JSONValue) -> dict[str, str]:
    if not isinstance(body, dict):
        return {}
    raw = body.get("field-errors")
    if not isinstance(raw, dict):
        return {}
    return {str(name): clip(str(message)) for name, message in raw.items()}


def build(context: AdapterContext, *, page_size: int = 100) -> CloseAdapter:
    """Build a Close adapter for an account (key in ``context.secret``)."""
    token = base64.b64encode(f"{context.secret}:".encode()).decode("ascii")
    session = HttpSession(
        context.client,
        context.account.base_url,
        ClosePolicy(),
        context.hooks(),
        StaticHeaders({"Authorization": f"Basic {token}"}),
    )
    return CloseAdapter(session, page_size=page_size)


class CloseAdapter:
    """Close call activities, in wire form."""

    vendor = Vendor.CLOSE
    recovery = Recovery("activity_at", tuple(IDENTITY), stamped=True)

    def __init__(self, session: HttpSession, *, page_size: int = 100) -> None:
        self._http = session
        self._page_size = page_size
        self._me: str | None = None

    async def list_calls(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> AsyncIterator[RemoteCall]:
        params: list[tuple[str, str]] = []
        if since is not None:
            params.append(("activity_at__gte", utc_iso(since)))
        calls = (_remote(item) async for item in self._pages(CALLS, params))
        async for call in take_calls(calls, limit=limit):
            yield call

    async def get_call(self, remote_id: str) -> RemoteCall:
        body = await self._http.get_json(self._call_url(remote_id))
        return _remote(expect_object(body, "the call"))

    async def create_call(self, fields: WireFields) -> RemoteCall:
        response = await self._http.request("POST", self._http.url(CALLS), json_body=dict(fields))
        return _remote(expect_object(decode_json(response), "the created call"))

    async def update_call(self, remote_id: str, fields: WireFields) -> RemoteCall:
        response = await self._http.request(
            "PUT", self._call_url(remote_id), json_body=dict(fields)
        )
        return _remote(expect_object(decode_json(response), "the updated call"))

    async def delete_call(self, remote_id: str) -> None:
        await self._http.request("DELETE", self._call_url(remote_id))

    async def upload_recording(
        self, remote_id: str, path: Path, progress: ProgressCallback | None = None
    ) -> None:
        raise Unsupported(
            "Close does not take recording files; set recording_url to an https MP3 address",
            method="POST",
            path=self._call_url(remote_id),
        )

    async def find_created(
        self, fields: WireFields, *, sent_after: datetime | None = None
    ) -> list[RemoteCall]:
        """List calls around the call's ``activity_at`` (±1 s) and match the identity fields;
        with ``sent_after``, only calls the key's user created since then (``date_created``)."""
        params: list[tuple[str, str]] = []
        me: str | None = None
        if sent_after is not None:
            params.append(("date_created__gte", utc_iso(sent_after - CLOCK_SKEW)))
            me = await self._my_id()
        when = parse_time(fields.get("activity_at"))
        if when is not None:
            params.append(("activity_at__gte", utc_iso(when - timedelta(seconds=1))))
            params.append(("activity_at__lte", utc_iso(when + timedelta(seconds=1))))
        user = opt_str(fields.get("user_id"))
        if user:
            params.append(("user_id", user))
        candidates: list[RemoteCall] = []
        async for item in self._pages(CALLS, params, max_pages=_RECOVERY_PAGES):
            if me is None or item.get("created_by") == me:
                candidates.append(_remote(item))
        return select_matches(candidates, fields, IDENTITY)

    async def _my_id(self) -> str:
        """The id of the user the key belongs to (asked once per adapter)."""
        if self._me is None:
            body = expect_object(await self._http.get_json(self._http.url("/api/v1/me/")), "/me/")
            self._me = expect_id(field(body, "id", "/me/"), "/me/ id")
        return self._me

    async def lookup(self, source: str, query: str = "") -> list[LookupItem]:
        if source == "outcomes":
            return [
                LookupItem(
                    source,
                    expect_id(field(o, "id", "outcome"), "outcome"),
                    _text(o, "name"),
                    _text(o, "description"),
                )
                async for o in self._pages("/api/v1/outcome/", [], max_pages=_LOOKUP_PAGES)
                if _applies_to_calls(o) and query_matches(query, _text(o, "name"))
            ]
        if source == "users":
            items = []
            async for user in self._pages("/api/v1/user/", [], max_pages=_LOOKUP_PAGES):
                label = _person_name(user)
                email = _text(user, "email")
                if query_matches(query, label, email):
                    items.append(
                        LookupItem(
                            source,
                            expect_id(field(user, "id", "user"), "user"),
                            label or email,
                            email,
                        )
                    )
            return items
        if source == "leads":
            params = [("query", query)] if query.strip() else []
            return [
                LookupItem(
                    source,
                    expect_id(field(lead, "id", "lead"), "lead"),
                    _text(lead, "display_name") or _text(lead, "name"),
                )
                async for lead in self._pages("/api/v1/lead/", params, max_pages=_LOOKUP_PAGES)
            ]
        if source == "contacts":
            items = []
            async for contact in self._pages("/api/v1/contact/", [], max_pages=_LOOKUP_PAGES):
                label = _text(contact, "name") or _text(contact, "display_name")
                if query_matches(query, label):
                    items.append(
                        LookupItem(
                            source,
                            expect_id(field(contact, "id", "contact"), "contact"),
                            label,
                            _text(contact, "lead_id"),
                        )
                    )
            return items
        raise Unsupported(f"Close has no lookup called {source!r}")

    async def find_by_phone(self, number: str, region: str | None = None) -> list[PhoneMatch]:
        """Contacts with ``number``: Advanced Filtering (``POST /data/search/``), a contact with a
        related ``contact_phone`` of exactly that value; each contact links itself and its lead."""
        phone_is: dict[str, JSONValue] = {
            "type": "field_condition",
            "field": {
                "type": "regular_field",
                "object_type": "contact_phone",
                "field_name": "phone",
            },
            "condition": {"type": "text", "mode": "exact_value", "value": number},
        }
        body: dict[str, JSONValue] = {
            "query": {
                "type": "and",
                "queries": [
                    {"type": "object_type", "object_type": "contact"},
                    {
                        "type": "has_related",
                        "this_object_type": "contact",
                        "related_object_type": "contact_phone",
                        "related_query": phone_is,
                    },
                ],
            },
            "_fields": {"contact": ["id", "name", "display_name", "lead_id", "phones"]},
            "_limit": MATCH_LIMIT,
        }
        response = await self._http.request(
            "POST", self._http.url(DATA_SEARCH), json_body=body, answer=Answer.PAGE
        )
        found = expect_object(decode_json(response), DATA_SEARCH)
        matches: list[PhoneMatch] = []
        for contact in expect_objects(found.get("data", []), "contacts")[:MATCH_LIMIT]:
            phones = contact.get("phones")
            texts = [
                opt_str(p.get("phone"))
                for p in (phones if isinstance(phones, list) else [])
                if isinstance(p, dict)
            ]
            if matching_number(texts, number, region) is None:
                continue
            lead = opt_str(contact.get("lead_id"))
            matches.append(
                PhoneMatch(
                    "contact",
                    expect_id(field(contact, "id", "contact"), "contact"),
                    _text(contact, "name") or _text(contact, "display_name"),
                    number,
                    related=(("lead", lead),) if lead else (),
                )
            )
        return matches

    async def check_auth(self) -> str:
        body = expect_object(await self._http.get_json(self._http.url("/api/v1/me/")), "/me/")
        name = _person_name(body)
        email = _text(body, "email")
        who = f"{name} <{email}>" if name and email else (name or email or "an unnamed user")
        return f"Close user {who}"

    def _call_url(self, remote_id: str) -> str:
        return self._http.url(f"{CALLS}{path_segment(remote_id)}/")

    async def _pages(
        self, path: str, params: QueryParams, *, max_pages: int | None = None
    ) -> AsyncIterator[JSONObject]:
        skip = 0
        guard = PageGuard("Close", path, max_pages)
        while guard.more():
            page_params = [*params, ("_skip", str(skip)), ("_limit", str(self._page_size))]
            body = expect_object(
                await self._http.get_json(self._http.url(path), page_params, answer=Answer.PAGE),
                path,
            )
            data = expect_objects(field(body, "data", path), f"{path} data")
            guard.seen_page(data)
            for item in data:
                yield item
            skip += len(data)
            if body.get("has_more") is not True or not data:
                return


def _remote(body: JSONObject) -> RemoteCall:
    remote_id = expect_id(field(body, "id", "call"), "call id")
    fields = {key: value for key, value in body.items() if key != "id"}
    return RemoteCall(remote_id, fields, parse_time(body.get("date_updated")), dict(body))


def _text(obj: JSONObject, key: str) -> str:
    return opt_str(obj.get(key)) or ""


def _person_name(obj: JSONObject) -> str:
    full = " ".join(p for p in (_text(obj, "first_name"), _text(obj, "last_name")) if p)
    return full or _text(obj, "name") or _text(obj, "display_name")


def _applies_to_calls(outcome: JSONObject) -> bool:
    applies = outcome.get("applies_to")
    return isinstance(applies, list) and "calls" in applies
