"""Buildr adapter: calls under ``/api/2023-01/calls`` with an OAuth2 client-credentials token.

Facts from ``buildr.md``: the only confirmed call endpoint is ``PATCH /api/2023-01/calls/{id}``
with a ``{"call": {...}}`` wrapper; list (``GET /calls`` → ``{"calls": [...]}``, ``page`` and
``per_page``, ``Link: rel="next"``), get, create (``POST /calls`` wrapped) and delete are
**inferred** from the API's conventions, as is the outcome list ``/call_outcomes``. Responses
embed related records (``call_outcome {id, name}``, ``contact``, ``company``, ``project``,
``created_by``); we flatten them to ``<name>_id`` plus ``<name>.name``. 429 carries
``X-Rate-Limited-For`` (seconds). Tokens come from ``POST /oauth/token`` (JSON, ``client_id`` and
``client_secret`` from the account key ``CLIENT_ID:CLIENT_SECRET``); the docs do not settle
whether the token host is ``api.buildr.com`` or ``buildr.app``, so ``token_url`` defaults to
``/oauth/token`` on the account's origin and can be configured.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from calldesk.crm._bounds import Answer, RateInfo, header_int, wait_seconds
from calldesk.crm._common import (
    SAME_TEXT,
    SAME_TIME,
    Comparator,
    PageGuard,
    path_segment,
    query_matches,
    select_matches,
    take_calls,
)
from calldesk.crm._http import HttpSession
from calldesk.crm._messages import decode_json
from calldesk.crm._origin import validate_base_url
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
from calldesk.crm.adapter import CLOCK_SKEW, AdapterContext, ProgressCallback, Recovery
from calldesk.crm.errors import AuthError, CrmError, MalformedResponse, Rejected, Unsupported
from calldesk.domain import JSONValue, LookupItem, PhoneMatch, RemoteCall, Vendor, WireFields

API = "/api/2023-01"
CALLS = f"{API}/calls"
TOKEN_PATH = "/oauth/token"
#: Embedded records flattened into ``<name>_id`` and ``<name>.name``.
EMBEDDED = ("call_outcome", "contact", "company", "project", "created_by")
#: Refresh the token this long before it expires.
REFRESH_MARGIN = timedelta(seconds=60)

IDENTITY: dict[str, Comparator] = {
    "recorded_at": SAME_TIME,
    "contact_id": SAME_TEXT,
    "notes": SAME_TEXT,
}

#: Lookup source → (path, plural key of the list body).
LOOKUPS: Mapping[str, tuple[str, str]] = {
    "outcomes": (f"{API}/call_outcomes", "call_outcomes"),
    "contacts": (f"{API}/contacts", "contacts"),
    "companies": (f"{API}/companies", "companies"),
    "projects": (f"{API}/projects", "projects"),
}

_RECOVERY_PAGES = 5
_LOOKUP_PAGES = 5


class BuildrPolicy(VendorPolicy):
    """Buildr's ``X-Rate-Limited-For`` 429 header (its only documented rate header)."""

    label = "Buildr"
    default_retry_after = 10.0

    def rate_info(self, headers: httpx.Headers, now: datetime) -> RateInfo:
        limited_for = wait_seconds(headers.get("x-rate-limited-for"), now)
        return RateInfo(
            limit=header_int(headers, "x-ratelimit-limit"),
            remaining=0
            if limited_for is not None
            else header_int(headers, "x-ratelimit-remaining"),
            reset_after=limited_for,
        )

    def special_error(self, facts: ErrorFacts) -> CrmError | None:
        """A 422 ``{"errors": {field: [messages]}}`` (shape inferred) becomes field errors."""
        errors = facts.body.get("errors") if isinstance(facts.body, dict) else None
        if facts.status not in (400, 422) or not isinstance(errors, dict):
            return None
        fields = {
            str(name): "; ".join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))
            for name, msgs in errors.items()
        }
        detail = "; ".join(f"{name} {message}" for name, message in fields.items())
        ctx = facts.context()
        ctx["vendor_message"] = detail or facts.message
        return Rejected(f"Buildr refused the call: {detail}", field_errors=fields, **ctx)

    def retry_after(self, facts: ErrorFacts) -> float | None:
        for name in ("x-rate-limited-for", "retry-after"):
            seconds = wait_seconds(facts.headers.get(name), facts.now)
            if seconds is not None:
                return seconds
        return None


class TokenPolicy(BuildrPolicy):
    """Errors of the token endpoint: any refusal means the client id/secret are wrong."""

    def special_error(self, facts: ErrorFacts) -> CrmError | None:
        if facts.status in (400, 401, 403):
            said = f": {facts.message}" if facts.message else ""
            return AuthError(
                f"Buildr refused the client id and secret ({facts.status}){said}",
                **facts.context(),
            )
        return None


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: datetime


class ClientCredentials:
    """OAuth2 client-credentials tokens for Buildr: cached, refreshed before expiry or on 401."""

    def __init__(self, session: HttpSession, token_url: str, secret: str) -> None:
        self._session = session
        self._token_url = token_url
        self._secret = secret
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def client_id(self) -> str:
        """The OAuth client id (the part of the key before the colon; not a secret)."""
        return self._secret.partition(":")[0]

    async def headers(self) -> Mapping[str, str]:
        token = await self._valid_token()
        return {"Authorization": f"Bearer {token}"}

    def invalidate(self) -> bool:
        had = self._token is not None
        self._token = None
        return had

    async def _valid_token(self) -> str:
        async with self._lock:
            now = self._session.now()
            if self._token is None or now >= self._token.expires_at - REFRESH_MARGIN:
                self._token = await self._fetch(now)
            return self._token.value

    async def _fetch(self, now: datetime) -> _Token:
        client_id, sep, client_secret = self._secret.partition(":")
        if not sep or not client_id or not client_secret:
            raise AuthError("a Buildr key must be CLIENT_ID:CLIENT_SECRET")
        response = await self._session.request(
            "POST",
            self._token_url,
            json_body={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "scope": "read write",
            },
            authenticated=False,
        )
        body = expect_object(decode_json(response), "the token answer")
        value = opt_str(body.get("access_token"))
        if not value:
            raise MalformedResponse("Buildr's token answer has no access_token", path=TOKEN_PATH)
        lifetime = opt_int(body.get("expires_in"))
        self.fetches += 1
        return _Token(value, now + timedelta(seconds=3600 if lifetime is None else lifetime))


def build(context: AdapterContext, *, page_size: int = 100) -> BuildrAdapter:
    """Build a Buildr adapter (``context.secret`` is ``CLIENT_ID:CLIENT_SECRET``)."""
    base = validate_base_url(context.account.base_url)
    token_url = validate_base_url(context.token_url) if context.token_url else base + TOKEN_PATH
    token_session = HttpSession(context.client, token_url, TokenPolicy(), context.hooks())
    auth = ClientCredentials(token_session, token_url, context.secret)
    session = HttpSession(context.client, base, BuildrPolicy(), context.hooks(), auth)
    return BuildrAdapter(session, auth, page_size=page_size)


class BuildrAdapter:
    """Buildr calls, in wire form (list/get/create/delete paths are inferred, see module doc)."""

    vendor = Vendor.BUILDR
    recovery = Recovery("recorded_at", tuple(IDENTITY), stamped=True)

    def __init__(
        self, session: HttpSession, auth: ClientCredentials, *, page_size: int = 100
    ) -> None:
        self._http = session
        self.auth = auth
        self._page_size = page_size

    async def list_calls(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> AsyncIterator[RemoteCall]:
        """Inferred: ``GET /calls`` → ``{"calls": [...]}``; ``since`` is applied client-side."""
        calls = (_remote(item) async for item in self._pages(CALLS, "calls"))
        async for call in take_calls(calls, limit=limit, since=since, time_field="recorded_at"):
            yield call

    async def get_call(self, remote_id: str) -> RemoteCall:
        """Inferred: ``GET /calls/{id}`` → ``{"call": {...}}``."""
        return _remote(_call(await self._http.get_json(self._call_url(remote_id))))

    async def create_call(self, fields: WireFields) -> RemoteCall:
        """Inferred: ``POST /calls`` with ``{"call": {...}}``."""
        response = await self._http.request(
            "POST", self._http.url(CALLS), json_body={"call": dict(fields)}
        )
        return _remote(_call(decode_json(response)))

    async def update_call(self, remote_id: str, fields: WireFields) -> RemoteCall:
        """Documented: ``PATCH /calls/{id}`` with ``{"call": {...}}`` (only the given fields)."""
        response = await self._http.request(
            "PATCH", self._call_url(remote_id), json_body={"call": dict(fields)}
        )
        return _remote(_call(decode_json(response)))

    async def delete_call(self, remote_id: str) -> None:
        """Inferred: ``DELETE /calls/{id}`` (204 or a body; neither is read)."""
        await self._http.request("DELETE", self._call_url(remote_id))

    async def upload_recording(
        self, remote_id: str, path: Path, progress: ProgressCallback | None = None
    ) -> None:
        raise Unsupported("Buildr calls have no recordings", method="POST", path=CALLS)

    async def find_created(
        self, fields: WireFields, *, sent_after: datetime | None = None
    ) -> list[RemoteCall]:
        """Page through a bounded window of calls and match recorded_at, contact_id, notes;
        with ``sent_after``, only calls created since then (``created_at``)."""
        candidates = [
            _remote(item) async for item in self._pages(CALLS, "calls", max_pages=_RECOVERY_PAGES)
        ]
        if sent_after is not None:
            floor = sent_after - CLOCK_SKEW
            candidates = [c for c in candidates if _created_since(c, floor)]
        return select_matches(candidates, fields, IDENTITY)

    async def lookup(self, source: str, query: str = "") -> list[LookupItem]:
        """Inferred paths: ``/call_outcomes``, ``/contacts``, ``/companies``, ``/projects``."""
        found = LOOKUPS.get(source)
        if found is None:
            raise Unsupported(f"Buildr has no lookup called {source!r}")
        path, key = found
        items: list[LookupItem] = []
        async for obj in self._pages(path, key, max_pages=_LOOKUP_PAGES):
            label = _name(obj)
            detail = _text(obj, "email") or _text(obj, "website")
            if query_matches(query, label, detail):
                items.append(
                    LookupItem(source, expect_id(field(obj, "id", key), key), label, detail)
                )
        return items

    async def find_by_phone(self, number: str, region: str | None = None) -> list[PhoneMatch]:
        """Buildr documents neither a phone search nor a phone on its contacts: no caller ID."""
        raise Unsupported("Buildr has no documented way to find a contact by phone number")

    async def check_auth(self) -> str:
        """Get a token and read one outcome page: proves the credentials and the ``read`` scope."""
        await self._http.get_json(self._http.url(f"{API}/call_outcomes"), [("per_page", "1")])
        return f"Buildr API client {self.auth.client_id}"

    def _call_url(self, remote_id: str) -> str:
        return self._http.url(f"{CALLS}/{path_segment(remote_id)}")

    async def _pages(
        self, path: str, key: str, *, max_pages: int | None = None
    ) -> AsyncIterator[JSONObject]:
        url: str | None = self._http.url(path)
        params: list[tuple[str, str]] | None = [("page", "1"), ("per_page", str(self._page_size))]
        guard = PageGuard("Buildr", path, max_pages)
        while url is not None and guard.more():
            response = await self._http.request("GET", url, params=params, answer=Answer.PAGE)
            body = expect_object(decode_json(response), path)
            items = expect_objects(field(body, key, path), f"{path} {key}")
            guard.seen_page(items)
            for item in items:
                yield item
            url = _next_link(response, self._http)
            guard.seen_cursor(url)
            params = None  # the next link carries its own query


def _next_link(response: httpx.Response, session: HttpSession) -> str | None:
    link = response.links.get("next")
    target = link.get("url") if link else None
    if not target:
        return None
    absolute = str(response.request.url.join(target))
    if not session.owns(absolute):
        raise MalformedResponse("Buildr's next-page link points to another site")
    return absolute


def _call(body: JSONValue) -> JSONObject:
    obj = expect_object(body, "Buildr's answer")
    return expect_object(field(obj, "call", "Buildr's answer"), "call")


def _created_since(call: RemoteCall, floor: datetime) -> bool:
    created = parse_time(call.fields.get("created_at"))
    return created is not None and created >= floor


def _remote(body: JSONObject) -> RemoteCall:
    remote_id = expect_id(field(body, "id", "call"), "call id")
    fields: dict[str, JSONValue] = {}
    for key, value in body.items():
        if key == "id":
            continue
        if key in EMBEDDED and isinstance(value, dict):
            fields[f"{key}_id"] = opt_str(value.get("id"))
            fields[f"{key}.name"] = _name(value)
        elif key in EMBEDDED and value is None:
            fields[f"{key}_id"] = None
        else:
            fields[key] = value
    return RemoteCall(remote_id, fields, parse_time(body.get("updated_at")), dict(body))


def _text(obj: JSONObject, key: str) -> str:
    return opt_str(obj.get(key)) or ""


def _name(obj: JSONObject) -> str:
    full = " ".join(p for p in (_text(obj, "first_name"), _text(obj, "last_name")) if p)
    return _text(obj, "name") or full
