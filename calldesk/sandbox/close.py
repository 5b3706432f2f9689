"""The Close sandbox: call activities, outcomes, users, leads and contacts under ``/api/v1``.

Follows ``close.md`` and ``close-openapi.yml``: trailing slashes, Basic auth (key as username,
empty password), ``{data, has_more}`` lists with ``_skip``/``_limit``, create answering 200, partial
PUT, delete answering ``{}``, 400 ``{"errors": [...], "field-errors": {...}}`` validation (duration
<= 604800, E.164 phone, https recording/voicemail URL, status enum) and immutable
status/duration/direction on calls made through Close's VoIP (``source: "Close.io"``). Caller ID:
``POST /data/search/`` (Advanced Filtering) answers the contacts-by-phone query calldesk sends (the
exact query shape for a phone match is inferred from the documented grammar). Rate limit
state goes in a ``RateLimit: limit=N, remaining=M, reset=S`` header; a 429 body is
``{"error": {"rate_reset": S, ...}}``. Inferred (undocumented): the 401 and 5xx bodies, the 404
body, list order (newest ``activity_at`` first) and the maximum ``_limit`` (100).
"""

from __future__ import annotations

import base64
import binascii
import html
import random
import re
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from calldesk.domain.model import Vendor
from calldesk.sandbox.base import VendorApi, iso_offset, parse_iso, utc_now
from calldesk.sandbox.config import CLOSE_API_KEY, SandboxConfig
from calldesk.sandbox.limits import RateInfo
from calldesk.sandbox.sampledata import OUTCOMES, alnum_id, build_directory

MAX_DURATION = 604800
MAX_LIMIT = 100
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
STATUSES = (
    "created",
    "in-progress",
    "completed",
    "cancel",
    "no-answer",
    "busy",
    "failed",
    "timeout",
)
UPDATABLE = (
    "activity_at", "contact_id", "conversation_type_id", "custom_fields", "duration", "lead_id",
    "note", "note_html", "outcome_id", "phone", "playbook_id", "quality_info", "recording_url",
    "status", "user_id", "voicemail_url",
)  # fmt: skip
CREATE_ONLY = ("created_by_id", "date_created", "direction", "organization_id", "source")
VOIP_FROZEN = ("status", "duration", "direction")
DATE_FILTERS = ("activity_at", "date_created")


def _note_to_html(note: str) -> str:
    return "<body>" + "".join(f"<p>{html.escape(p)}</p>" for p in note.split("\n")) + "</body>"


def _html_to_note(note_html: str) -> str:
    text = re.sub(r"</p>\s*<p>", "\n", note_html)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


class CloseApi(VendorApi):
    """In-memory Close organisation with its call activities."""

    vendor = Vendor.CLOSE
    nominal_limit = 60
    nominal_window = 1.0

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.reset()

    # -- data ---------------------------------------------------------------------------------

    def reset(self) -> None:
        cfg = self.config
        d = build_directory(
            cfg.seed, cfg.calls_per_vendor, now=cfg.now, history_days=cfg.history_days
        )
        self._rnd = random.Random(f"{cfg.seed}:close")
        self.org_id = "orga_" + alnum_id(self._rnd, 43)
        created = iso_offset(d.now - timedelta(days=400), micros=True)
        self.users: list[dict[str, Any]] = [
            {
                "id": "user_" + alnum_id(self._rnd, 43),
                "first_name": u.first_name,
                "last_name": u.last_name,
                "email": u.email,
                "image": None,
                "date_created": created,
                "date_updated": created,
                "organizations": [self.org_id],
            }
            for u in d.users
        ]
        self.me = self.users[0]
        self.leads: list[dict[str, Any]] = [
            {
                "id": "lead_" + alnum_id(self._rnd, 43),
                "name": c.name,
                "display_name": c.name,
                "description": None,
                "url": c.website,
                "html_url": f"https://app.close.com/lead/{i}/",
                "status_id": "stat_" + alnum_id(self._rnd, 43),
                "status_label": "Potential",
                "organization_id": self.org_id,
                "contact_ids": [],
                "created_by": self.me["id"],
                "updated_by": self.me["id"],
                "date_created": created,
                "date_updated": created,
            }
            for i, c in enumerate(d.companies)
        ]
        self.contacts: list[dict[str, Any]] = []
        for p in d.contacts:
            lead = self.leads[p.company]
            contact: dict[str, Any] = {
                "id": "cont_" + alnum_id(self._rnd, 43),
                "lead_id": lead["id"],
                "name": p.name,
                "display_name": p.name,
                "title": None,
                "organization_id": self.org_id,
                "phones": [{"phone": p.phone, "type": "office"}],
                "emails": [{"email": p.email, "type": "office", "is_unsubscribed": False}],
                "created_by": self.me["id"],
                "updated_by": self.me["id"],
                "date_created": created,
                "date_updated": created,
            }
            lead["contact_ids"].append(contact["id"])
            self.contacts.append(contact)
        self.outcomes = [
            self._outcome(name, ["calls"], "vm-dropped" if name == "Left voicemail" else "custom")
            for name in OUTCOMES
        ]
        self.outcomes.insert(2, self._outcome("Meeting held", ["meetings"], "custom"))
        self.outcomes.append(self._outcome("Follow-up booked", ["calls", "meetings"], "custom"))
        call_outcomes = [o for o in self.outcomes if o["name"] in OUTCOMES]
        self.calls: dict[str, dict[str, Any]] = {}
        for sc in d.calls:
            contact = self.contacts[sc.contact]
            voip = self._rnd.random() < 0.25
            status = "completed" if sc.outcome == 0 or not voip else "no-answer"
            when = iso_offset(sc.start)
            call = self._blank_call(self.users[sc.user], when, voip)
            call.update(
                activity_at=when,
                lead_id=contact["lead_id"],
                contact_id=contact["id"],
                outcome_id=call_outcomes[sc.outcome]["id"],
                status=status,
                direction="inbound" if sc.inbound else "outbound",
                duration=sc.duration,
                phone=contact["phones"][0]["phone"],
                remote_phone=contact["phones"][0]["phone"],
                local_phone=sc.user_phone,
                note=sc.note,
                note_html=_note_to_html(sc.note) if sc.note else "",
            )
            self.calls[call["id"]] = call

    def _outcome(self, name: str, applies_to: list[str], kind: str) -> dict[str, Any]:
        stamp = iso_offset(utc_now() - timedelta(days=300), micros=True)
        return {
            "id": "outcome_" + alnum_id(self._rnd, 22),
            "name": name,
            "description": None,
            "type": kind,
            "applies_to": applies_to,
            "organization_id": self.org_id,
            "created_by": self.me["id"],
            "updated_by": None,
            "date_created": stamp,
            "date_updated": stamp,
        }

    def _blank_call(self, user: dict[str, Any], when: str, voip: bool) -> dict[str, Any]:
        name = f"{user['first_name']} {user['last_name']}"
        return {
            "_type": "Call",
            "id": "acti_" + alnum_id(self._rnd, 43),
            "activity_at": when,
            "lead_id": None,
            "contact_id": None,
            "user_id": user["id"],
            "user_name": name,
            "users": [],
            "organization_id": self.org_id,
            "outcome_id": None,
            "source": "Close.io" if voip else "External",
            "status": "completed",
            "call_method": "regular" if voip else "external",
            "cost": "2" if voip else None,
            "dialer_id": None,
            "dialer_saved_search_id": None,
            "direction": "outbound",
            "disposition": "answered" if voip else None,
            "duration": 0,
            "local_phone": None,
            "remote_phone": None,
            "phone": None,
            "note": "",
            "note_html": "",
            "recording_url": None,
            "voicemail_url": None,
            "voicemail_duration": None,
            "created_by": user["id"],
            "created_by_name": name,
            "updated_by": user["id"],
            "updated_by_name": name,
            "date_created": when,
            "date_updated": when,
            "sequence_id": None,
            "sequence_name": None,
            "sequence_subscription_id": None,
        }

    def call_count(self) -> int:
        return len(self.calls)

    # -- gate hooks ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        key = ""
        if scheme.lower() == "basic":
            try:
                key, _, _password = base64.b64decode(encoded).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        if key != CLOSE_API_KEY:
            return JSONResponse(
                {"error": "Unauthorized. Use your API key as the username, empty password."},
                status_code=401,
            )
        return None

    def rate_headers(self, info: RateInfo, status: int) -> dict[str, str]:
        return {
            "RateLimit": (
                f"limit={info.limit}, remaining={info.remaining}, reset={info.reset_seconds}"
            )
        }

    def rate_limited(self, request: Request, info: RateInfo) -> Response:
        reset = info.retry_after_seconds
        return JSONResponse(
            {
                "error": {
                    "rate_reset": reset,
                    "message": "API call count exceeded for this period",
                    "rate_limit": info.limit,
                    "rate_window": info.window,
                    "rate_limit_type": "key",
                }
            },
            status_code=429,
            headers={"RateLimit": f"limit={info.limit}, remaining=0, reset={reset}"},
        )

    def server_error(self) -> Response:
        return JSONResponse({"error": "Service temporarily unavailable"}, status_code=503)

    def not_found(self) -> Response:
        return JSONResponse({"error": "Not found"}, status_code=404)

    # -- routes -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/activity/call/", self.list_calls, methods=["GET"]),
            Route("/api/v1/activity/call/", self.create_call, methods=["POST"]),
            Route("/api/v1/activity/call/{id}/", self.get_call, methods=["GET"]),
            Route("/api/v1/activity/call/{id}/", self.update_call, methods=["PUT"]),
            Route("/api/v1/activity/call/{id}/", self.delete_call, methods=["DELETE"]),
            Route("/api/v1/outcome/", self.list_outcomes, methods=["GET"]),
            Route("/api/v1/user/", self.list_users, methods=["GET"]),
            Route("/api/v1/me/", self.get_me, methods=["GET"]),
            Route("/api/v1/lead/", self.list_leads, methods=["GET"]),
            Route("/api/v1/contact/", self.list_contacts, methods=["GET"]),
            Route("/api/v1/data/search/", self.data_search, methods=["POST"]),
        ]

    @staticmethod
    def _page(request: Request, items: list[dict[str, Any]]) -> Response:
        try:
            skip = int(request.query_params.get("_skip", "0"))
            limit = int(request.query_params.get("_limit", str(MAX_LIMIT)))
        except ValueError:
            return JSONResponse(
                {"errors": ["_skip and _limit must be integers"], "field-errors": {}}, 400
            )
        if limit > MAX_LIMIT or limit < 0 or skip < 0:
            return JSONResponse(
                {"errors": [f"_limit must be between 0 and {MAX_LIMIT}"], "field-errors": {}}, 400
            )
        page = items[skip : skip + limit]
        return JSONResponse({"data": page, "has_more": skip + len(page) < len(items)})

    async def list_calls(self, request: Request) -> Response:
        q = request.query_params
        calls = list(self.calls.values())
        for name in ("lead_id", "user_id", "contact_id", "id__in"):
            if q.get(name):
                wanted = set(q[name].split(","))
                key = "id" if name == "id__in" else name
                calls = [c for c in calls if c[key] in wanted]
        for field in DATE_FILTERS:
            for op in ("gte", "lte", "gt", "lt"):
                raw = q.get(f"{field}__{op}")
                if raw is None:
                    continue
                bound = parse_iso(raw if "T" in raw else raw + "T00:00:00")
                if bound is None:
                    return JSONResponse(
                        {"errors": [], "field-errors": {f"{field}__{op}": "Invalid date-time."}},
                        400,
                    )
                calls = [c for c in calls if _compare(c[field], op, bound)]
        calls.sort(key=lambda c: (c["activity_at"] or "", c["date_created"]), reverse=True)
        return self._page(request, calls)

    async def get_call(self, request: Request) -> Response:
        call = self.calls.get(request.path_params["id"])
        if call is None:
            return self.not_found()
        return JSONResponse(call)

    async def create_call(self, request: Request) -> Response:
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        errors = self._validate(body, current=None)
        if errors:
            return JSONResponse({"errors": [], "field-errors": errors}, status_code=400)
        now = iso_offset(utc_now(), micros=True)
        call = self._blank_call(self._user(body.get("user_id")) or self.me, now, False)
        call["source"] = body.get("source") or "External"
        call["call_method"] = "external" if call["source"] == "External" else "regular"
        for name in (*UPDATABLE, "direction", "date_created"):
            if name in body and body[name] is not None:
                call[name] = body[name]
        self._apply_notes(call, body)
        call["remote_phone"] = call["phone"]
        self.calls[call["id"]] = call
        return JSONResponse(call)

    async def update_call(self, request: Request) -> Response:
        call = self.calls.get(request.path_params["id"])
        if call is None:
            return self.not_found()
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        errors = self._validate(body, current=call)
        if errors:
            return JSONResponse({"errors": [], "field-errors": errors}, status_code=400)
        for name in UPDATABLE:
            if name in body:
                call[name] = body[name]
        self._apply_notes(call, body)
        if "user_id" in body:
            user = self._user(body["user_id"])
            call["user_name"] = f"{user['first_name']} {user['last_name']}" if user else None
        call["remote_phone"] = call["phone"]
        call["updated_by"] = self.me["id"]
        call["updated_by_name"] = f"{self.me['first_name']} {self.me['last_name']}"
        call["date_updated"] = _later(call["date_updated"])
        return JSONResponse(call)

    async def delete_call(self, request: Request) -> Response:
        if self.calls.pop(request.path_params["id"], None) is None:
            return self.not_found()
        return JSONResponse({})

    async def list_outcomes(self, request: Request) -> Response:
        return self._page(request, self.outcomes)

    async def list_users(self, request: Request) -> Response:
        return self._page(request, self.users)

    async def get_me(self, request: Request) -> Response:
        return JSONResponse(
            {**self.me, "organizations": [{"id": self.org_id, "name": "Sandbox Inc"}]}
        )

    async def list_leads(self, request: Request) -> Response:
        query = request.query_params.get("query", "").strip().lower()
        leads = [
            {**lead, "contacts": [c for c in self.contacts if c["lead_id"] == lead["id"]]}
            for lead in self.leads
            if query in lead["name"].lower()
        ]
        return self._page(request, leads)

    async def list_contacts(self, request: Request) -> Response:
        lead_id = request.query_params.get("lead_id")
        contacts = [c for c in self.contacts if lead_id in (None, c["lead_id"])]
        return self._page(request, contacts)

    async def data_search(self, request: Request) -> Response:
        """Advanced Filtering, the subset calldesk sends: contacts (``object_type``) with a
        related ``contact_phone`` whose ``phone`` is exactly (``exact_value``) or has the words
        (``full_words``) of a value; ``_fields.contact`` and ``_limit`` (<= 200) honoured."""
        body = await _json_object(request)
        if isinstance(body, Response):
            return body
        query = body.get("query")
        wanted = _phone_condition(query)
        if wanted is None:
            return JSONResponse(
                {"errors": ["Unsupported query for this sandbox."], "field-errors": {}}, 400
            )
        mode, value = wanted
        limit = body.get("_limit", 100)
        if not isinstance(limit, int) or not 0 < limit <= 200:
            return JSONResponse({"errors": [], "field-errors": {"_limit": "Invalid."}}, 400)

        def hit(phone: str) -> bool:
            return phone == value if mode == "exact_value" else value in phone

        found = [c for c in self.contacts if any(hit(p["phone"]) for p in c["phones"])]
        fields = body.get("_fields")
        names = fields.get("contact") if isinstance(fields, dict) else None
        rows = [{k: v for k, v in c.items() if names is None or k in names} for c in found[:limit]]
        return JSONResponse({"data": rows, "cursor": None})

    # -- helpers ------------------------------------------------------------------------------

    def _user(self, user_id: Any) -> dict[str, Any] | None:
        return next((u for u in self.users if u["id"] == user_id), None)

    @staticmethod
    def _apply_notes(call: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("note_html") is not None:
            call["note_html"] = body["note_html"]
            call["note"] = _html_to_note(body["note_html"])
        elif body.get("note") is not None:
            call["note"] = body["note"]
            call["note_html"] = _note_to_html(body["note"]) if body["note"] else ""

    def _validate(self, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, str]:
        errors: dict[str, str] = {}
        if "duration" in body and body["duration"] is not None:
            d = body["duration"]
            if not isinstance(d, int) or isinstance(d, bool):
                errors["duration"] = "A valid integer is required."
            elif d > MAX_DURATION:
                errors["duration"] = f"Ensure this value is less than or equal to {MAX_DURATION}."
            elif d < 0:
                errors["duration"] = "Ensure this value is greater than or equal to 0."
        phone = body.get("phone")
        if phone is not None and (not isinstance(phone, str) or not E164.match(phone)):
            errors["phone"] = "Invalid phone number. Use the E.164 format, e.g. +16503334444."
        for name in ("recording_url", "voicemail_url"):
            url = body.get(name)
            if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
                errors[name] = "Enter a valid URL starting with https://."
        if "status" in body and body["status"] not in STATUSES:
            errors["status"] = f'"{body["status"]}" is not a valid choice.'
        if current is None:
            if "direction" in body and body["direction"] not in ("inbound", "outbound", None):
                errors["direction"] = f'"{body["direction"]}" is not a valid choice.'
            if "source" in body and body["source"] not in ("Close.io", "External", None):
                errors["source"] = f'"{body["source"]}" is not a valid choice.'
        for name, known in (
            ("lead_id", {lead["id"] for lead in self.leads}),
            ("contact_id", {c["id"] for c in self.contacts}),
            ("user_id", {u["id"] for u in self.users}),
            ("outcome_id", {o["id"] for o in self.outcomes if "calls" in o["applies_to"]}),
        ):
            if body.get(name) is not None and body[name] not in known:
                errors[name] = "Object does not exist."
        for name in ("activity_at", "date_created"):
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or parse_iso(value) is None):
                errors[name] = "Datetime has wrong format."
        if current is not None and current["source"] == "Close.io":
            for name in VOIP_FROZEN:
                if name in body and body[name] != current.get(name):
                    errors[name] = (
                        f"{name} cannot be changed for calls made through Close's VoIP system."
                    )
        return errors


def _compare(value: str | None, op: str, bound: datetime) -> bool:
    moment = parse_iso(value) if value else None
    if moment is None:
        return False
    return {
        "gte": moment >= bound,
        "lte": moment <= bound,
        "gt": moment > bound,
        "lt": moment < bound,
    }[op]


def _later(previous: str) -> str:
    """A ``date_updated`` strictly after ``previous`` (writes within a microsecond still differ)."""
    now = utc_now()
    before = parse_iso(previous)
    if before is not None and now <= before:
        now = before + timedelta(microseconds=1)
    return iso_offset(now, micros=True)


async def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"errors": ["Invalid JSON body."], "field-errors": {}}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse(
            {"errors": ["Expected a JSON object."], "field-errors": {}}, status_code=400
        )
    return body


def _phone_condition(query: Any) -> tuple[str, str] | None:
    """``(mode, value)`` of a contacts query with a related ``contact_phone`` phone condition."""
    if not isinstance(query, dict) or query.get("type") != "and":
        return None
    parts = query.get("queries")
    if not isinstance(parts, list):
        return None
    typed = [p for p in parts if isinstance(p, dict) and p.get("type") == "object_type"]
    kinds = [p.get("object_type") for p in typed]
    if kinds != ["contact"]:
        return None
    for part in parts:
        if not isinstance(part, dict) or part.get("type") != "has_related":
            continue
        if part.get("related_object_type") != "contact_phone":
            continue
        inner = part.get("related_query")
        field = inner.get("field") if isinstance(inner, dict) else None
        condition = inner.get("condition") if isinstance(inner, dict) else None
        if (
            isinstance(field, dict)
            and field.get("field_name") == "phone"
            and isinstance(condition, dict)
            and condition.get("mode") in ("exact_value", "full_words")
            and isinstance(condition.get("value"), str)
        ):
            return condition["mode"], condition["value"]
    return None
