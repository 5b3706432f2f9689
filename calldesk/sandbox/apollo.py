"""The Apollo sandbox: phone-call search/create/update plus the user, contact and account pickers.

Follows ``apollo.md`` and ``apollo-rest-api-openapi.json``: ``x-api-key`` auth with a text/plain
401, a 403 ``API_INACCESSIBLE`` for non-master keys on phone-call endpoints, every create/update
field as a query parameter (``user_id[]`` is an array), search with string ``page``/``per_page``
in ``pagination`` and outcome names in ``faceting.phone_call_stats_facets``, status spelled
``no-answer`` in search results (input ``no_answer``), and 429 with ``retry-after``. There is no
get-one, delete or recording endpoint. Inferred (undocumented): validation errors (422
``{"error": ...}``), 404 for an unknown id, partial PUT, newest-first search order, the 5xx body.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from calldesk.domain.model import Vendor
from calldesk.sandbox.base import VendorApi, iso_offset, parse_iso, utc_now
from calldesk.sandbox.config import APOLLO_MASTER_KEY, APOLLO_PLAIN_KEY, SandboxConfig
from calldesk.sandbox.limits import RateInfo
from calldesk.sandbox.sampledata import OUTCOMES, build_directory, hex_id

STATUSES = ("queued", "ringing", "in-progress", "completed", "no_answer", "failed", "busy")
PHONE_CALL_PATHS = ("/api/v1/phone_calls",)
UNAUTHORIZED = (
    "Invalid API key. See https://docs.apollo.io/reference/authentication for how to authenticate."
)
PURPOSES = ("Prospecting", "Follow-up", "Demo scheduling")
CALL_KEYS = (
    "id", "user_id", "account_id", "contact_id", "voice_setting_id", "phone_call_outcome_id",
    "phone_call_purpose_id", "recording_url", "twilio_call_sid", "call_identifier",
    "agent_call_sid", "inbound", "from_number", "to_number", "start_time", "end_time",
    "transcription_too_long", "twilio_recording_sid", "need_recording_upload", "logged", "note",
    "status", "outreach_task_id", "salesforce_id", "hubspot_id", "conference_id", "opportunity_id",
    "voicemail_dropped", "parallel_dial_item_id", "transcribed", "transcribing",
    "transcription_progress", "note_text", "duration", "conversation_id",
)  # fmt: skip


def _time(moment: datetime) -> str:
    """``2025-06-23T19:50:57.292+00:00`` as Apollo sends it."""
    return iso_offset(moment, micros=True)[:-9] + iso_offset(moment, micros=True)[-6:]


class ApolloApi(VendorApi):
    """In-memory Apollo team with its phone calls."""

    vendor = Vendor.APOLLO
    nominal_limit = 200
    nominal_window = 60.0

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.reset()

    def reset(self) -> None:
        cfg = self.config
        d = build_directory(
            cfg.seed, cfg.calls_per_vendor, now=cfg.now, history_days=cfg.history_days
        )
        self._rnd = random.Random(f"{cfg.seed}:apollo")
        self.team_id = hex_id(self._rnd)
        self.users = [
            {
                "id": hex_id(self._rnd),
                "team_id": self.team_id,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "name": u.name,
                "email": u.email,
                "title": "Account Executive",
                "deleted": False,
                "created_at": "2024-01-15T10:00:00.000Z",
            }
            for u in d.users
        ]
        self.accounts = [
            {
                "id": hex_id(self._rnd),
                "name": c.name,
                "domain": c.website.removeprefix("https://"),
                "website_url": c.website,
                "phone": c.phone,
                "sanitized_phone": c.phone,
                "team_id": self.team_id,
            }
            for c in d.companies
        ]
        self.contacts = [
            {
                "id": hex_id(self._rnd),
                "first_name": p.first_name,
                "last_name": p.last_name,
                "name": p.name,
                "title": "Operations Manager",
                "email": p.email,
                "organization_name": self.accounts[p.company]["name"],
                "account_id": self.accounts[p.company]["id"],
                "sanitized_phone": p.phone,
                "phone_numbers": [
                    {
                        "raw_number": p.phone,
                        "sanitized_number": p.phone,
                        "type": "work_direct",
                        "position": 0,
                        "status": "no_status",
                        "dnc_status": None,
                    }
                ],
                "label_ids": [],
            }
            for p in d.contacts
        ]
        self.outcomes = {hex_id(self._rnd): name for name in OUTCOMES}
        self.purposes = {hex_id(self._rnd): name for name in PURPOSES}
        outcome_ids = list(self.outcomes)
        self.calls: dict[str, dict[str, Any]] = {}
        for sc in d.calls:
            contact = self.contacts[sc.contact]
            status = "completed" if sc.outcome == 0 else "no_answer"
            self._store(
                {
                    "user_id": self.users[sc.user]["id"],
                    "contact_id": contact["id"],
                    "account_id": contact["account_id"],
                    "phone_call_outcome_id": outcome_ids[sc.outcome],
                    "phone_call_purpose_id": list(self.purposes)[sc.contact % len(PURPOSES)],
                    "inbound": sc.inbound,
                    "from_number": contact["sanitized_phone"] if sc.inbound else sc.user_phone,
                    "to_number": sc.user_phone if sc.inbound else contact["sanitized_phone"],
                    "start_time": _time(sc.start),
                    "end_time": _time(sc.start + timedelta(seconds=sc.duration)),
                    "duration": sc.duration,
                    "status": status,
                    "note": sc.note or None,
                    "logged": not sc.inbound,
                }
            )

    def _store(self, values: dict[str, Any]) -> dict[str, Any]:
        call: dict[str, Any] = dict.fromkeys(CALL_KEYS)
        call.update(
            id=hex_id(self._rnd),
            inbound=False,
            need_recording_upload=True,
            logged=False,
            voicemail_dropped=False,
            transcribed=False,
            transcribing=False,
            transcription_progress=0,
            status="completed",
            duration=0,
        )
        call.update(values)
        call["note_text"] = call["note"] or ""
        self.calls[call["id"]] = call
        return call

    def call_count(self) -> int:
        return len(self.calls)

    # -- gate hooks ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        key = request.headers.get("x-api-key")
        if key not in (APOLLO_MASTER_KEY, APOLLO_PLAIN_KEY):
            return PlainTextResponse(UNAUTHORIZED, status_code=401)
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        if key == APOLLO_PLAIN_KEY and path.startswith(PHONE_CALL_PATHS):
            endpoint = path.removeprefix("/").split("/{")[0]
            return JSONResponse(
                {
                    "error": f"This API key is not authorized to access {endpoint}. "
                    "Request an API key from your administrator that includes this endpoint "
                    "in its configured scope.",
                    "error_code": "API_INACCESSIBLE",
                },
                status_code=403,
            )
        return None

    def rate_headers(self, info: RateInfo, status: int) -> dict[str, str]:
        if status in (401, 403):
            return {}
        return {
            "x-rate-limit-minute": str(info.limit),
            "x-minute-usage": str(info.limit - info.remaining),
            "x-minute-requests-left": str(info.remaining),
        }

    def rate_limited(self, request: Request, info: RateInfo) -> Response:
        endpoint = request.url.path.removeprefix(request.scope.get("root_path", "")).lstrip("/")
        return JSONResponse(
            {
                "message": f"The maximum number of api calls allowed for {endpoint} is "
                f"{info.limit} times per minute. Please upgrade your plan from "
                "https://app.apollo.io/#/settings/plans/upgrade."
            },
            status_code=429,
            headers={
                "retry-after": str(info.retry_after_seconds),
                "x-rate-limit-minute": str(info.limit),
                "x-minute-requests-left": "0",
            },
        )

    def server_error(self) -> Response:
        return JSONResponse({"error": "Something went wrong. Please try again."}, status_code=500)

    def not_found(self) -> Response:
        return JSONResponse({"error": "Not found"}, status_code=404)

    # -- routes -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/phone_calls/search", self.search_calls, methods=["GET"]),
            Route("/api/v1/phone_calls", self.create_call, methods=["POST"]),
            Route("/api/v1/phone_calls/{id}", self.update_call, methods=["PUT"]),
            Route("/api/v1/users/search", self.search_users, methods=["GET"]),
            Route("/api/v1/contacts/search", self.search_contacts, methods=["POST"]),
            Route("/api/v1/accounts/search", self.search_accounts, methods=["POST"]),
        ]

    @staticmethod
    def _paging(page_raw: Any, per_page_raw: Any, default: int, cap: int) -> tuple[int, int]:
        try:
            page = max(1, int(page_raw or 1))
            per_page = min(max(1, int(per_page_raw or default)), cap)
        except (TypeError, ValueError):
            return 1, default
        return page, per_page

    async def search_calls(self, request: Request) -> Response:
        q = request.query_params
        calls = list(self.calls.values())
        try:
            low = date.fromisoformat(q["date_range[min]"]) if q.get("date_range[min]") else None
            high = date.fromisoformat(q["date_range[max]"]) if q.get("date_range[max]") else None
            dmin = int(q["duration[min]"]) if q.get("duration[min]") else None
            dmax = int(q["duration[max]"]) if q.get("duration[max]") else None
        except ValueError:
            return JSONResponse({"error": "Your search parameters are entered incorrectly."}, 422)
        for name, key in (
            ("user_ids[]", "user_id"),
            ("phone_call_outcome_ids[]", "phone_call_outcome_id"),
            ("phone_call_purpose_ids[]", "phone_call_purpose_id"),
        ):
            wanted = q.getlist(name)
            if wanted:
                calls = [c for c in calls if c[key] in wanted]
        if q.get("inbound") in ("incoming", "outgoing"):
            calls = [c for c in calls if c["inbound"] == (q["inbound"] == "incoming")]
        if q.get("q_keywords"):
            needle = q["q_keywords"].lower()
            calls = [c for c in calls if needle in (c["note"] or "").lower()]
        calls = [
            c
            for c in calls
            if _in_range(c["start_time"], low, high)
            and (dmin is None or c["duration"] >= dmin)
            and (dmax is None or c["duration"] <= dmax)
        ]
        calls.sort(key=lambda c: (c["start_time"] or "", c["id"]), reverse=True)
        page, per_page = self._paging(q.get("page"), q.get("per_page"), 25, 100)
        chunk = calls[(page - 1) * per_page : page * per_page]
        facets = [{"value": "active", "display_name": "Active Calls", "count": 0}]
        facets += [
            {
                "value": oid,
                "display_name": name,
                "count": sum(1 for c in calls if c["phone_call_outcome_id"] == oid),
            }
            for oid, name in self.outcomes.items()
        ]
        facets.append(
            {
                "value": "other",
                "display_name": "No Disposition",
                "count": sum(1 for c in calls if c["phone_call_outcome_id"] is None),
            }
        )
        return JSONResponse(
            {
                "pagination": {
                    "page": str(page),
                    "per_page": str(per_page),
                    "total_entries": len(calls),
                    "total_pages": -(-len(calls) // per_page),
                },
                "breadcrumbs": [],
                "phone_calls": [self._expand(c, search=True) for c in chunk],
                "faceting": {"phone_call_stats_facets": facets},
                "pipeline_total": len(calls),
                "num_fetch_result": None,
            }
        )

    def _expand(self, call: dict[str, Any], *, search: bool = False) -> dict[str, Any]:
        out = dict(call)
        if search and out["status"] == "no_answer":
            out["status"] = "no-answer"  # the documented search spelling
        out["contact"] = next((c for c in self.contacts if c["id"] == call["contact_id"]), None)
        out["account"] = next((a for a in self.accounts if a["id"] == call["account_id"]), None)
        return out

    def _parse_fields(self, request: Request) -> dict[str, Any] | Response:
        q = request.query_params
        values: dict[str, Any] = {}
        users = q.getlist("user_id[]")
        if users:
            if users[0] not in {u["id"] for u in self.users}:
                return JSONResponse({"error": "User not found"}, status_code=422)
            values["user_id"] = users[0]
        for name in (
            "contact_id",
            "account_id",
            "to_number",
            "from_number",
            "phone_call_purpose_id",
            "phone_call_outcome_id",
            "note",
        ):
            if name in q:
                values[name] = q[name]
        if "status" in q:
            if q["status"] not in STATUSES:
                return JSONResponse({"error": f"Invalid status: {q['status']}"}, status_code=422)
            values["status"] = q["status"]
        for name in ("start_time", "end_time"):
            if name in q:
                moment = parse_iso(q[name])
                if moment is None:
                    return JSONResponse({"error": f"Invalid {name}: {q[name]}"}, status_code=422)
                values[name] = _time(moment)
        if "duration" in q:
            try:
                values["duration"] = int(q["duration"])
            except ValueError:
                return JSONResponse({"error": "duration must be an integer"}, status_code=422)
        if "logged" in q:
            values["logged"] = q["logged"].lower() == "true"
        if "note" in values:
            values["note_text"] = values["note"]
        return values

    async def create_call(self, request: Request) -> Response:
        values = self._parse_fields(request)
        if isinstance(values, Response):
            return values
        now = _time(utc_now())
        values.setdefault("user_id", self.users[0]["id"])
        values.setdefault("start_time", now)
        values.setdefault("end_time", values["start_time"])
        call = self._store(values)
        body = self._expand(call)
        return JSONResponse(
            {
                "phone_call": body,
                "contact": body["contact"],
                "team": {"id": self.team_id, "phone_calls_finder_empty": False},
            }
        )

    async def update_call(self, request: Request) -> Response:
        call = self.calls.get(request.path_params["id"])
        if call is None:
            return self.not_found()
        values = self._parse_fields(request)
        if isinstance(values, Response):
            return values
        call.update(values)
        body = self._expand(call)
        return JSONResponse({"phone_call": body, "contact": body["contact"]})

    async def search_users(self, request: Request) -> Response:
        q = request.query_params
        page, per_page = self._paging(q.get("page"), q.get("per_page"), 25, 100)
        return JSONResponse(
            {
                "pagination": {
                    "page": str(page),
                    "per_page": str(per_page),
                    "total_entries": len(self.users),
                    "total_pages": -(-len(self.users) // per_page),
                },
                "users": self.users[(page - 1) * per_page : page * per_page],
                "num_fetch_result": None,
            }
        )

    async def _search(
        self, request: Request, items: list[dict[str, Any]], key: str, text: str, plural: str
    ) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        needle = str(body.get(key) or "").lower()
        digits = "".join(ch for ch in needle if ch.isdigit())

        def phone_hit(item: dict[str, Any]) -> bool:
            numbers = [n.get("sanitized_number", "") for n in item.get("phone_numbers", [])]
            return len(digits) >= 7 and any(digits in n.replace("+", "") for n in numbers)

        found = [
            i
            for i in items
            if needle in i[text].lower() or needle in str(i.get("email", "")) or phone_hit(i)
        ]
        page, per_page = self._paging(body.get("page"), body.get("per_page"), 25, 100)
        return JSONResponse(
            {
                "breadcrumbs": [],
                "pagination": {
                    "page": page,
                    "per_page": per_page,
                    "total_entries": len(found),
                    "total_pages": -(-len(found) // per_page),
                },
                plural: found[(page - 1) * per_page : page * per_page],
            }
        )

    async def search_contacts(self, request: Request) -> Response:
        return await self._search(request, self.contacts, "q_keywords", "name", "contacts")

    async def search_accounts(self, request: Request) -> Response:
        return await self._search(request, self.accounts, "q_organization_name", "name", "accounts")


def _in_range(start: str | None, low: date | None, high: date | None) -> bool:
    moment = parse_iso(start) if start else None
    if moment is None:
        return low is None and high is None
    day = moment.date()
    return (low is None or day >= low) and (high is None or day <= high)
