"""Apollo adapter: phone calls under ``/api/v1/phone_calls`` (``x-api-key``, master key).

Facts from ``apollo.md``: search is ``GET /phone_calls/search`` with ``page``/``per_page`` (page
numbers come back as strings); create ``POST /phone_calls`` and update ``PUT /phone_calls/{id}``
take **every field as a query parameter** (the caller ``user_id`` goes as ``user_id[]``). There
is no get-one (we search), no delete and no recording upload. A non-master key gets 403. Outcome
ids and names only appear in ``faceting.phone_call_stats_facets`` of a search. Search results
spell ``no_answer`` as ``no-answer``; we normalise to the input spelling.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

from calldesk.crm._bounds import Answer, RateInfo, header_int
from calldesk.crm._common import (
    MATCH_LIMIT,
    SAME_NUMBER,
    SAME_PHONE,
    SAME_TIME,
    Comparator,
    PageGuard,
    matching_number,
    path_segment,
    query_matches,
    select_matches,
    take_calls,
    utc_z,
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
from calldesk.crm.errors import AuthError, CrmError, NotFound, Rejected, Unsupported
from calldesk.domain import JSONValue, LookupItem, PhoneMatch, RemoteCall, Vendor, WireFields

CALLS = "/api/v1/phone_calls"
SEARCH = "/api/v1/phone_calls/search"
MASTER_KEY_MESSAGE = "this needs an Apollo master API key"

#: Input fields that Apollo takes as arrays (``name[]``) in the query string.
ARRAY_PARAMS = frozenset({"user_id"})
TIME_FIELDS = ("start_time", "end_time")
#: Search results use other spellings than the input enum for these statuses.
STATUS_SPELLINGS = {"no-answer": "no_answer", "in_progress": "in-progress"}

#: Apollo ids are 24 hex characters; facets also hold pseudo values like "active" and "other".
APOLLO_ID = re.compile(r"[0-9a-f]{24}")

IDENTITY: dict[str, Comparator] = {
    "start_time": SAME_TIME,
    "to_number": SAME_PHONE,
    "duration": SAME_NUMBER,
}

_GET_PAGES = 10
_RECOVERY_PAGES = 10
_LOOKUP_PAGES = 5
#: Contacts search (caller ID and the contacts picker).
CONTACT_SEARCH = "/api/v1/contacts/search"
#: Contacts and accounts search pages hold at most 100 records (``apollo.md``).
_SEARCH_PER_PAGE = 100


class ApolloPolicy(VendorPolicy):
    """Apollo's minute-window rate headers and its master-key 403."""

    label = "Apollo"
    default_retry_after = 60.0

    def rate_info(self, headers: httpx.Headers, now: datetime) -> RateInfo:
        return RateInfo(
            limit=header_int(headers, "x-rate-limit-minute"),
            remaining=header_int(headers, "x-minute-requests-left"),
            reset_after=None,
        )

    def special_error(self, facts: ErrorFacts) -> CrmError | None:
        if facts.status != 403:
            return None
        code = facts.body.get("error_code") if isinstance(facts.body, dict) else None
        if code == "API_INACCESSIBLE" or facts.path.startswith(CALLS):
            return AuthError(MASTER_KEY_MESSAGE, **facts.context())
        return None


def build(context: AdapterContext, *, page_size: int = 100) -> ApolloAdapter:
    """Build an Apollo adapter (``context.secret`` is a master API key)."""
    session = HttpSession(
        context.client,
        context.account.base_url,
        ApolloPolicy(),
        context.hooks(),
        StaticHeaders({"x-api-key": context.secret}),
    )
    return ApolloAdapter(session, page_size=page_size)


def query_params(fields: WireFields) -> list[tuple[str, str]]:
    """Wire fields as Apollo's query parameters (arrays as ``name[]``, booleans lower-case)."""
    params: list[tuple[str, str]] = []
    for name, value in fields.items():
        if value is None:
            continue
        key = f"{name}[]" if name in ARRAY_PARAMS or isinstance(value, list) else name
        values = value if isinstance(value, list) else [value]
        params.extend((key, _param_text(item)) for item in values if item is not None)
    return params


def _param_text(value: JSONValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


class ApolloAdapter:
    """Apollo phone calls, in wire form."""

    vendor = Vendor.APOLLO
    #: Apollo's phone calls carry no creation stamp or creator: a call without ``start_time``
    #: cannot be told apart from others after an unknown outcome.
    recovery = Recovery("start_time", tuple(IDENTITY))

    def __init__(self, session: HttpSession, *, page_size: int = 100) -> None:
        self._http = session
        self._page_size = page_size

    async def list_calls(
        self, *, since: datetime | None = None, limit: int | None = None
    ) -> AsyncIterator[RemoteCall]:
        params: list[tuple[str, str]] = []
        if since is not None:
            params += _date_range(since, self._http.now())  # whole days: trimmed client-side
        calls = self._calls(params)
        async for call in take_calls(calls, limit=limit, since=since, time_field="start_time"):
            yield call

    async def _calls(self, params: list[tuple[str, str]]) -> AsyncIterator[RemoteCall]:
        async for body in self._search_pages(params):
            for item in expect_objects(body.get("phone_calls", []), "phone_calls"):
                yield _remote(item)

    async def get_call(self, remote_id: str) -> RemoteCall:
        """Apollo has no get-one: search recent pages for the id (``NotFound`` if not seen)."""
        async for body in self._search_pages([], max_pages=_GET_PAGES):
            for item in expect_objects(body.get("phone_calls", []), "phone_calls"):
                if opt_str(item.get("id")) == remote_id:
                    return _remote(item)
        raise NotFound(
            f"Apollo: call {remote_id} was not found among the most recent calls",
            method="GET",
            path=SEARCH,
        )

    async def create_call(self, fields: WireFields) -> RemoteCall:
        url = self._http.url(CALLS)
        response = await self._http.request("POST", url, params=self._fits(url, fields))
        return _remote(_phone_call(decode_json(response)))

    async def update_call(self, remote_id: str, fields: WireFields) -> RemoteCall:
        url = self._http.url(f"{CALLS}/{path_segment(remote_id)}")
        response = await self._http.request("PUT", url, params=self._fits(url, fields))
        return _remote(_phone_call(decode_json(response)))

    def _fits(self, url: str, fields: WireFields) -> list[tuple[str, str]]:
        """``fields`` as query parameters, refused (naming the longest field) when the address
        would be longer than servers take: Apollo reads every field from the query string."""
        params = query_params(fields)
        most = self._http.limits.max_url
        length = len(url) + 1 + len(urlencode(params, quote_via=quote))
        if length <= most or not params:
            return params
        longest = max(params, key=lambda pair: len(pair[1]))[0].removesuffix("[]")
        raise Rejected(
            f"the call is too long for Apollo, which takes its fields in the web address "
            f"({length:,} characters; at most {most:,}): shorten the {longest}",
            field_errors={longest: f"too long for Apollo (its fields fit in {most:,} characters)"},
            method="POST",
            path=CALLS,
        )

    async def delete_call(self, remote_id: str) -> None:
        raise Unsupported(
            "Apollo's API cannot delete call records", method="DELETE", path=f"{CALLS}/{remote_id}"
        )

    async def upload_recording(
        self, remote_id: str, path: Path, progress: ProgressCallback | None = None
    ) -> None:
        raise Unsupported("Apollo's API cannot attach recordings", method="POST", path=CALLS)

    async def find_created(
        self, fields: WireFields, *, sent_after: datetime | None = None
    ) -> list[RemoteCall]:
        """Search the call's day (±1 day, ``date_range`` is day-granular) and match identity."""
        params: list[tuple[str, str]] = []
        when = parse_time(fields.get("start_time"))
        if when is not None:
            params += [
                ("date_range[min]", (when - timedelta(days=1)).date().isoformat()),
                ("date_range[max]", (when + timedelta(days=1)).date().isoformat()),
            ]
        user = fields.get("user_id")
        for user_id in user if isinstance(user, list) else [user]:
            text = opt_str(user_id)
            if text:
                params.append(("user_ids[]", text))
        candidates: list[RemoteCall] = []
        async for body in self._search_pages(params, max_pages=_RECOVERY_PAGES):
            candidates += [
                _remote(i) for i in expect_objects(body.get("phone_calls", []), "phone_calls")
            ]
        return select_matches(candidates, fields, IDENTITY)

    async def lookup(self, source: str, query: str = "") -> list[LookupItem]:
        if source == "outcomes":
            body = await self._search_once([("per_page", "1")])
            return [item for item in _facet_outcomes(body) if query_matches(query, item.label)]
        if source == "users":
            return await self._users(query)
        if source == "contacts":
            return [
                LookupItem(
                    source,
                    expect_id(field(c, "id", "contact"), "contact"),
                    _person_name(c),
                    _text(c, "organization_name") or _text(c, "email"),
                )
                async for c in self._post_search_pages(
                    "/api/v1/contacts/search", {"q_keywords": query}, "contacts"
                )
            ]
        if source == "accounts":
            return [
                LookupItem(
                    source,
                    expect_id(field(a, "id", "account"), "account"),
                    _text(a, "name"),
                    _text(a, "domain"),
                )
                async for a in self._post_search_pages(
                    "/api/v1/accounts/search", {"q_organization_name": query}, "accounts"
                )
            ]
        raise Unsupported(f"Apollo has no lookup called {source!r}")

    async def find_by_phone(self, number: str, region: str | None = None) -> list[PhoneMatch]:
        """Contacts with ``number``: ``POST /contacts/search`` with it as ``q_keywords`` (that
        keywords reach phones is unconfirmed: every hit's ``phone_numbers`` is checked here);
        a contact links itself and its account."""
        payload: dict[str, JSONValue] = {"q_keywords": number, "page": 1, "per_page": MATCH_LIMIT}
        response = await self._http.request(
            "POST", self._http.url(CONTACT_SEARCH), json_body=payload, answer=Answer.PAGE
        )
        found = expect_object(decode_json(response), CONTACT_SEARCH)
        matches: list[PhoneMatch] = []
        for contact in expect_objects(found.get("contacts", []), "contacts")[:MATCH_LIMIT]:
            listed = contact.get("phone_numbers")
            texts = [_text(contact, "sanitized_phone")]
            for entry in listed if isinstance(listed, list) else []:
                if isinstance(entry, dict):
                    texts += [_text(entry, "sanitized_number"), _text(entry, "raw_number")]
            if matching_number(texts, number, region) is None:
                continue
            account = opt_str(contact.get("account_id"))
            matches.append(
                PhoneMatch(
                    "contact",
                    expect_id(field(contact, "id", "contact"), "contact"),
                    _person_name(contact),
                    number,
                    detail=_text(contact, "organization_name"),
                    related=(("account", account),) if account else (),
                )
            )
        return matches

    async def check_auth(self) -> str:
        """Check the key is a master key (a tiny call search) and say whose it is."""
        await self._search_once([("per_page", "1")])
        try:
            profile = await self._http.get_json(self._http.url("/api/v1/users/api_profile"))
        except NotFound:
            return "Apollo master key (its owner's profile is not available)"
        body = expect_object(profile, "api_profile")
        name, email = _person_name(body), _text(body, "email")
        who = f"{name} <{email}>" if name and email else (name or email or "an unnamed user")
        return f"Apollo master key of {who}"

    async def _users(self, query: str) -> list[LookupItem]:
        items: list[LookupItem] = []
        page = 1
        guard = PageGuard("Apollo", "/api/v1/users/search", _LOOKUP_PAGES)
        while guard.more():
            body = expect_object(
                await self._http.get_json(
                    self._http.url("/api/v1/users/search"),
                    [("page", str(page)), ("per_page", str(self._page_size))],
                    answer=Answer.PAGE,
                ),
                "users",
            )
            users = expect_objects(body.get("users", []), "users")
            guard.seen_page(users)
            for user in users:
                name, email = _person_name(user), _text(user, "email")
                if user.get("deleted") is not True and query_matches(query, name, email):
                    items.append(
                        LookupItem(
                            "users", expect_id(field(user, "id", "user"), "user"), name, email
                        )
                    )
            if page >= _total_pages(body) or not users:
                break
            page += 1
        return items

    async def _post_search_pages(
        self, path: str, body: Mapping[str, JSONValue], key: str
    ) -> AsyncIterator[JSONObject]:
        """The ``key`` objects of a POST search, page by page (at most 100 per page, bounded)."""
        payload: dict[str, JSONValue] = {
            name: value for name, value in body.items() if value not in ("", None)
        }
        page = 1
        guard = PageGuard("Apollo", path, _LOOKUP_PAGES)
        while guard.more():
            payload.update({"page": page, "per_page": _SEARCH_PER_PAGE})
            response = await self._http.request(
                "POST", self._http.url(path), json_body=payload, answer=Answer.PAGE
            )
            found = expect_object(decode_json(response), path)
            objects = expect_objects(found.get(key, []), key)
            guard.seen_page(objects)
            for obj in objects:
                yield obj
            if page >= _total_pages(found) or not objects:
                return
            page += 1

    async def _search_once(self, params: QueryParams) -> JSONObject:
        body = await self._http.get_json(self._http.url(SEARCH), params, answer=Answer.PAGE)
        return expect_object(body, "phone call search")

    async def _search_pages(
        self, params: QueryParams, *, max_pages: int | None = None
    ) -> AsyncIterator[JSONObject]:
        page = 1
        guard = PageGuard("Apollo", SEARCH, max_pages)
        while guard.more():
            body = await self._search_once(
                [*params, ("page", str(page)), ("per_page", str(self._page_size))]
            )
            calls = body.get("phone_calls")
            guard.seen_page(expect_objects(calls, "phone_calls") if isinstance(calls, list) else [])
            yield body
            if page >= _total_pages(body) or not (isinstance(calls, list) and calls):
                return
            page += 1


def _date_range(since: datetime, now: datetime) -> list[tuple[str, str]]:
    return [
        ("date_range[min]", since.date().isoformat()),
        ("date_range[max]", (max(now, since) + timedelta(days=1)).date().isoformat()),
    ]


def _total_pages(body: JSONObject) -> int:
    pagination = body.get("pagination")
    if not isinstance(pagination, dict):
        return 1
    total = opt_int(pagination.get("total_pages"))
    return 1 if total is None else total


def _phone_call(body: JSONValue) -> JSONObject:
    obj = expect_object(body, "Apollo's answer")
    return expect_object(field(obj, "phone_call", "Apollo's answer"), "phone_call")


def _remote(body: JSONObject) -> RemoteCall:
    remote_id = expect_id(field(body, "id", "phone call"), "phone call id")
    fields: dict[str, JSONValue] = {}
    for key, value in body.items():
        if key == "id":
            continue
        if key in TIME_FIELDS:
            parsed = parse_time(value)
            fields[key] = value if parsed is None else utc_z(parsed)
        elif key == "status" and isinstance(value, str):
            fields[key] = STATUS_SPELLINGS.get(value, value)
        else:
            fields[key] = value
    return RemoteCall(remote_id, fields, None, dict(body))


def _facet_outcomes(body: JSONObject) -> list[LookupItem]:
    faceting = body.get("faceting")
    if not isinstance(faceting, dict):
        return []
    facets = faceting.get("phone_call_stats_facets")
    if not isinstance(facets, list):
        return []
    items = []
    for facet in expect_objects(facets, "phone_call_stats_facets"):
        value = opt_str(facet.get("value"))
        if value and APOLLO_ID.fullmatch(value):  # skips "active" / "other" pseudo-facets
            items.append(LookupItem("outcomes", value, _text(facet, "display_name") or value))
    return items


def _text(obj: JSONObject, key: str) -> str:
    return opt_str(obj.get(key)) or ""


def _person_name(obj: JSONObject) -> str:
    full = " ".join(p for p in (_text(obj, "first_name"), _text(obj, "last_name")) if p)
    return _text(obj, "name") or full
