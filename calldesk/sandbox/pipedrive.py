"""The Pipedrive sandbox: v1 call logs (no update), users, v2 search and "get all" pickers.

Follows ``pipedrive.md`` and the v1/v2 OpenAPI files: ``x-api-token`` auth, the
``{"success", "data", "additional_data"}`` envelope, ``start``/``limit`` (<= 50) pagination for
call logs (and ``start``/``limit`` for v1 leads), cursors for v2 search and the v2
persons/deals/organizations lists, required ``to_phone_number``/``outcome``/``start_time``/
``end_time`` (``YYYY-MM-DD HH:MM:SS`` UTC) with Joi-style single-string errors, ``deal_id`` xor
``lead_id``, responses with ``.000Z`` times and a string ``duration``, one recording per call
(multipart field ``file``, streamed to disk, 409 on a second), 410 after delete, and the
``x-ratelimit-*`` / ``x-daily-requests-left`` headers. Inferred (undocumented): list order (newest
first), clamping ``limit`` to 50, 404 "Unknown method" for unsupported methods (no update), the
429 bodies and the Cloudflare page wording.
"""

from __future__ import annotations

import base64
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from calldesk.domain.model import Vendor
from calldesk.sandbox.base import VendorApi, iso_z
from calldesk.sandbox.config import PIPEDRIVE_API_TOKEN, SandboxConfig
from calldesk.sandbox.limits import RateInfo
from calldesk.sandbox.multipart import MultipartError, stream_file_part
from calldesk.sandbox.sampledata import build_directory, hex_id

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
OUTCOMES = ("connected", "no_answer", "left_voicemail", "busy", "wrong_number", "left_message")
MAX_CALL_LOG_LIMIT = 50
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
REQUIRED = ("to_phone_number", "outcome", "start_time", "end_time")
INTEGER_FIELDS = ("user_id", "activity_id", "person_id", "org_id", "deal_id")
STRING_FIELDS = ("subject", "duration", "from_phone_number", "to_phone_number", "note", "lead_id")
CLOUDFLARE_403 = """<!DOCTYPE html>
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title></head>
<body><div id="cf-wrapper"><div id="cf-error-details">
<h1>Sorry, you have been blocked</h1>
<h2>You are unable to access pipedrive.com</h2>
<p>This website is using a security service to protect itself from online attacks.</p>
<p>Cloudflare Ray ID: <strong>8c0ffee000000000</strong> &bull; Performance &amp; security by
Cloudflare</p></div></div></body></html>
"""


def fail(status: int, error: str, **extra: Any) -> JSONResponse:
    """Pipedrive's error envelope."""
    body = {"success": False, "error": error, "error_info": ERROR_INFO, "data": None}
    body["additional_data"] = None
    body.update(extra)
    return JSONResponse(body, status_code=status)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


class PipedriveApi(VendorApi):
    """In-memory Pipedrive company with the token owner's call logs."""

    vendor = Vendor.PIPEDRIVE
    nominal_limit = 40
    nominal_window = 2.0

    def __init__(self, config: SandboxConfig, recordings_dir: Path) -> None:
        self.config = config
        self.recordings_dir = recordings_dir
        self.reset()

    def reset(self) -> None:
        cfg = self.config
        d = build_directory(
            cfg.seed, cfg.calls_per_vendor, now=cfg.now, history_days=cfg.history_days
        )
        self._rnd = random.Random(f"{cfg.seed}:pipedrive")
        self.company_id = 7700000 + self._rnd.randrange(99999)
        created = _stamp(d.now - timedelta(days=500))
        self.created_at = d.now - timedelta(days=400)
        self.users = [
            {
                "id": 11000 + i,
                "name": u.name,
                "email": u.email,
                "phone": u.phone,
                "default_currency": "USD",
                "locale": "en_US",
                "lang": 1,
                "activated": True,
                "active_flag": True,
                "last_login": _stamp(d.now - timedelta(hours=i + 1)),
                "created": created,
                "modified": created,
                "has_created_company": i == 0,
                "access": [{"app": "sales", "admin": i == 0}],
                "timezone_name": "Europe/Tallinn",
                "timezone_offset": "+03:00",
                "role_id": 1,
                "icon_url": None,
                "is_you": i == 0,
                "is_deleted": False,
            }
            for i, u in enumerate(d.users)
        ]
        self.orgs: list[dict[str, Any]] = [
            {"id": 300 + i, "type": "organization", "name": c.name, "address": "", "visible_to": 3}
            for i, c in enumerate(d.companies)
        ]
        self.persons: list[dict[str, Any]] = [
            {
                "id": 1000 + i,
                "type": "person",
                "name": p.name,
                "phones": [p.phone],
                "emails": [p.email],
                "visible_to": 3,
                "owner": {"id": self.users[i % len(self.users)]["id"]},
                "organization": {
                    "id": self.orgs[p.company]["id"],
                    "name": self.orgs[p.company]["name"],
                },
            }
            for i, p in enumerate(d.contacts)
        ]
        self.deals: list[dict[str, Any]] = [
            {
                "id": 500 + i,
                "type": "deal",
                "title": deal.title,
                "value": deal.value,
                "currency": "USD",
                "status": "open",
                "visible_to": 3,
                "owner": {"id": self.users[0]["id"]},
                "stage": {"id": 1, "name": "Qualified"},
                "person": {
                    "id": self.persons[deal.contact]["id"],
                    "name": self.persons[deal.contact]["name"],
                },
                "organization": {
                    "id": self.orgs[deal.company]["id"],
                    "name": self.orgs[deal.company]["name"],
                },
                "is_archived": False,
            }
            for i, deal in enumerate(d.deals)
        ]
        self.leads: list[dict[str, Any]] = [
            {
                "id": str(uuid.UUID(int=self._rnd.getrandbits(128), version=4)),
                "type": "lead",
                "title": f"{p.name} lead",
                "owner": {"id": self.users[0]["id"]},
                "person": {"id": self.persons[i]["id"], "name": p.name},
                "organization": {
                    "id": self.orgs[p.company]["id"],
                    "name": self.orgs[p.company]["name"],
                },
                "phones": [p.phone],
                "emails": [p.email],
                "value": 1000,
                "currency": "USD",
                "visible_to": 3,
                "is_archived": False,
            }
            for i, p in enumerate(d.contacts[:12])
        ]
        self.logs: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.recording_files: dict[str, tuple[Path, int]] = {}
        self._activity_id = 7000
        for sc in d.calls:
            person = self.persons[sc.contact]
            data: dict[str, Any] = {
                "user_id": self.users[sc.user]["id"],
                "subject": f"Call with {person['name']}",
                "duration": str(sc.duration),
                "outcome": OUTCOMES[sc.outcome],
                "from_phone_number": sc.user_phone,
                "to_phone_number": person["phones"][0],
                "start_time": _stamp(sc.start),
                "end_time": _stamp(sc.start + timedelta(seconds=sc.duration)),
                "person_id": person["id"],
                "org_id": person["organization"]["id"],
                "note": f"<p>{sc.note}</p>" if sc.note else None,
            }
            if sc.deal is not None:
                data["deal_id"] = self.deals[sc.deal]["id"]
            self._store(data)

    def _store(self, data: dict[str, Any]) -> dict[str, Any]:
        self._activity_id += 1
        log_id = "CA" + hex_id(self._rnd, 29)
        start = datetime.strptime(data["start_time"], TIME_FORMAT).replace(tzinfo=UTC)
        end = datetime.strptime(data["end_time"], TIME_FORMAT).replace(tzinfo=UTC)
        log = {
            "id": log_id,
            "activity_id": data.get("activity_id") or self._activity_id,
            **{
                k: v
                for k, v in data.items()
                if v is not None and k not in ("start_time", "end_time")
            },
            "duration": data.get("duration") or "0",
            "has_recording": False,
            "start_time": iso_z(start, millis=True),
            "end_time": iso_z(end, millis=True),
            "user_id": data.get("user_id") or self.users[0]["id"],
            "company_id": self.company_id,
        }
        self.logs[log_id] = log
        return log

    def call_count(self) -> int:
        return len(self.logs)

    def recordings(self) -> list[dict[str, Any]]:
        return [
            {"call_id": call_id, "size": size, "path": str(path)}
            for call_id, (path, size) in self.recording_files.items()
        ]

    # -- gate hooks ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        if request.headers.get("x-api-token") != PIPEDRIVE_API_TOKEN:
            return fail(401, "unauthorized access", errorCode=401)
        return None

    def rate_headers(self, info: RateInfo, status: int) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(info.limit),
            "x-ratelimit-remaining": str(info.remaining),
            "x-ratelimit-reset": str(info.reset_seconds),
        }

    def daily_headers(self, left: int) -> dict[str, str]:
        return {"x-daily-requests-left": str(left)}

    def rate_limited(self, request: Request, info: RateInfo) -> Response:
        response = fail(429, "Request over limit")
        response.headers.update(
            {
                "x-ratelimit-limit": str(info.limit),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(info.retry_after_seconds),
            }
        )
        return response

    def daily_budget_exhausted(self, request: Request) -> Response | None:
        return fail(429, "Daily API token budget exceeded. Try again after midnight server time.")

    def server_error(self) -> Response:
        return fail(500, "An internal server error occurred")

    def html_403(self) -> Response | None:
        return HTMLResponse(CLOUDFLARE_403, status_code=403)

    def not_found(self) -> Response:
        return fail(404, "Unknown method .")

    # -- routes -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/callLogs", self.list_logs, methods=["GET"]),
            Route("/api/v1/callLogs", self.create_log, methods=["POST"]),
            Route("/api/v1/callLogs/{id}", self.get_log, methods=["GET"]),
            Route("/api/v1/callLogs/{id}", self.delete_log, methods=["DELETE"]),
            Route("/api/v1/callLogs/{id}", self.no_update, methods=["PUT", "PATCH"]),
            Route("/api/v1/callLogs/{id}/recordings", self.add_recording, methods=["POST"]),
            Route("/api/v1/users", self.list_users, methods=["GET"]),
            Route("/api/v1/users/me", self.get_me, methods=["GET"]),
            Route(
                "/api/v2/persons/search", self.search(lambda: self.persons, "name"), methods=["GET"]
            ),
            Route(
                "/api/v2/deals/search", self.search(lambda: self.deals, "title"), methods=["GET"]
            ),
            Route(
                "/api/v2/leads/search", self.search(lambda: self.leads, "title"), methods=["GET"]
            ),
            Route(
                "/api/v2/organizations/search",
                self.search(lambda: self.orgs, "name"),
                methods=["GET"],
            ),
            Route("/api/v2/persons", self.list_all(self._person_entity), methods=["GET"]),
            Route("/api/v2/deals", self.list_all(self._deal_entity), methods=["GET"]),
            Route("/api/v2/organizations", self.list_all(self._org_entity), methods=["GET"]),
            Route("/api/v1/leads", self.list_leads, methods=["GET"]),
        ]

    def _find(self, log_id: str) -> dict[str, Any] | Response:
        if log_id in self.deleted:
            return fail(410, "The callLog you are trying to access is no longer available")
        log = self.logs.get(log_id)
        if log is None:
            return fail(404, "A resource required for this operation was not found.")
        return log

    async def list_logs(self, request: Request) -> Response:
        try:
            start = max(0, int(request.query_params.get("start", "0")))
            limit = int(request.query_params.get("limit", str(MAX_CALL_LOG_LIMIT)))
        except ValueError:
            return fail(400, "Validation failed: start and limit must be integers")
        limit = min(max(1, limit), MAX_CALL_LOG_LIMIT)
        logs = sorted(
            self.logs.values(), key=lambda log: (log["start_time"], log["id"]), reverse=True
        )
        page = logs[start : start + limit]
        more = start + len(page) < len(logs)
        pagination: dict[str, Any] = {
            "start": start,
            "limit": limit,
            "more_items_in_collection": more,
        }
        if more:
            pagination["next_start"] = start + len(page)
        return JSONResponse(
            {"success": True, "data": page, "additional_data": {"pagination": pagination}}
        )

    async def get_log(self, request: Request) -> Response:
        found = self._find(request.path_params["id"])
        if isinstance(found, Response):
            return found
        return JSONResponse({"success": True, "data": found})

    async def create_log(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return fail(400, "Invalid JSON body")
        if not isinstance(body, dict):
            return fail(400, '"value" must be of type object')
        error = self._validate(body)
        if error:
            return fail(400, error)
        return JSONResponse({"success": True, "data": self._store(body)})

    def _validate(self, body: dict[str, Any]) -> str | None:
        for name in REQUIRED:
            if body.get(name) in (None, ""):
                return f'"{name}" is required.'
        if body["outcome"] not in OUTCOMES:
            return f'"outcome" must be one of [{", ".join(OUTCOMES)}]'
        for name in INTEGER_FIELDS:
            value = body.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                return f'"{name}" must be a number'
        for name in STRING_FIELDS:
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                return f'"{name}" must be a string'
        for name in ("start_time", "end_time"):
            if not isinstance(body[name], str) or not TIME_RE.match(body[name]):
                return f'"{name}" must be in YYYY-MM-DD HH:MM:SS format'
        if body["end_time"] < body["start_time"]:
            return '"end_time" must be later than "start_time"'
        if body.get("duration") is not None and not str(body["duration"]).isdigit():
            return '"duration" must be a number of seconds'
        if body.get("deal_id") is not None and body.get("lead_id") is not None:
            return '"value" contains a conflict between optional exclusive peers [deal_id, lead_id]'
        if body.get("lead_id") is not None:
            try:
                uuid.UUID(body["lead_id"])
            except ValueError:
                return '"lead_id" must be a valid GUID'
        return None

    async def delete_log(self, request: Request) -> Response:
        found = self._find(request.path_params["id"])
        if isinstance(found, Response):
            return found
        del self.logs[found["id"]]
        self.deleted.add(found["id"])
        recording = self.recording_files.pop(found["id"], None)
        if recording is not None:
            recording[0].unlink(missing_ok=True)
        return JSONResponse({"success": True})

    async def no_update(self, request: Request) -> Response:
        return self.not_found()

    async def add_recording(self, request: Request) -> Response:
        found = self._find(request.path_params["id"])
        if isinstance(found, Response):
            return found
        if found["has_recording"]:
            return fail(409, "A recording for this call already exists")
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        dest = self.recordings_dir / f"pipedrive-{found['id']}.audio"
        partial = dest.with_suffix(".part")
        try:
            size = await stream_file_part(
                request.headers.get("content-type", ""), request.stream(), "file", partial
            )
        except MultipartError as exc:
            return fail(400, str(exc))
        if found["id"] not in self.logs:  # deleted while uploading
            partial.unlink(missing_ok=True)
            return fail(410, "The callLog you are trying to access is no longer available")
        partial.replace(dest)
        found["has_recording"] = True
        self.recording_files[found["id"]] = (dest, size)
        return JSONResponse({"success": True})

    async def list_users(self, request: Request) -> Response:
        return JSONResponse({"success": True, "data": self.users})

    async def get_me(self, request: Request) -> Response:
        return JSONResponse(
            {
                "success": True,
                "data": {
                    **self.users[0],
                    "company_id": self.company_id,
                    "company_name": "Sandbox Ltd",
                    "company_domain": "sandbox",
                    "company_country": "US",
                    "company_industry": "Software",
                    "language": {"language_code": "en", "country_code": "US"},
                },
            }
        )

    def search(self, items: Any, label: str) -> Any:
        """A v2 search endpoint over ``items()`` matching ``term`` in ``label`` or phones."""

        async def endpoint(request: Request) -> Response:
            q = request.query_params
            term = q.get("term", "")
            exact = q.get("exact_match", "false").lower() == "true"
            if len(term) < (1 if exact else 2):
                return fail(400, "Validation failed: term: Must be at least 2 characters long")
            try:
                limit = min(max(1, int(q.get("limit", "100"))), 500)
                offset = int(base64.b64decode(q["cursor"]).decode()) if q.get("cursor") else 0
            except ValueError:
                return fail(400, "Validation failed: invalid limit or cursor")
            needle = term.lower()
            wanted = set(q.get("fields", "").split(",")) - {""}
            by_label = not wanted or bool(wanted & {"name", "title"})
            by_phone = not wanted or "phone" in wanted

            def same(text: str) -> bool:
                return text.lower() == needle if exact else needle in text.lower()

            matches = [
                item
                for item in items()
                if (by_label and same(item[label]))
                or (by_phone and any(same(p) for p in item.get("phones", [])))
            ]
            page = matches[offset : offset + limit]
            more = offset + len(page) < len(matches)
            cursor = base64.b64encode(str(offset + len(page)).encode()).decode() if more else None
            return JSONResponse(
                {
                    "success": True,
                    "data": {"items": [{"result_score": 1.0, "item": i} for i in page]},
                    "additional_data": {"next_cursor": cursor},
                }
            )

        return endpoint

    # -- "get all" lists (v2 entities with cursor paging; v1 leads with start/limit) ----------

    def _created(self) -> str:
        return iso_z(self.created_at)

    def _person_entity(self) -> list[dict[str, Any]]:
        def labelled(values: list[str]) -> list[dict[str, Any]]:
            return [{"value": v, "primary": i == 0, "label": "work"} for i, v in enumerate(values)]

        return [
            {
                "id": p["id"],
                "name": p["name"],
                "first_name": p["name"].split(" ")[0],
                "last_name": p["name"].split(" ")[-1],
                "owner_id": p["owner"]["id"],
                "org_id": p["organization"]["id"],
                "add_time": self._created(),
                "update_time": self._created(),
                "emails": labelled(p["emails"]),
                "phones": labelled(p["phones"]),
                "is_deleted": False,
                "visible_to": p["visible_to"],
                "label_ids": [],
            }
            for p in self.persons
        ]

    def _deal_entity(self) -> list[dict[str, Any]]:
        return [
            {
                "id": d["id"],
                "title": d["title"],
                "owner_id": d["owner"]["id"],
                "person_id": d["person"]["id"],
                "org_id": d["organization"]["id"],
                "pipeline_id": 1,
                "stage_id": d["stage"]["id"],
                "value": d["value"],
                "currency": d["currency"],
                "add_time": self._created(),
                "update_time": self._created(),
                "stage_change_time": self._created(),
                "is_deleted": False,
                "is_archived": d["is_archived"],
                "status": d["status"],
                "visible_to": d["visible_to"],
                "label_ids": [],
            }
            for d in self.deals
        ]

    def _org_entity(self) -> list[dict[str, Any]]:
        return [
            {
                "id": o["id"],
                "name": o["name"],
                "owner_id": self.users[0]["id"],
                "add_time": self._created(),
                "update_time": self._created(),
                "is_deleted": False,
                "visible_to": o["visible_to"],
                "label_ids": [],
            }
            for o in self.orgs
        ]

    def list_all(self, entities: Any) -> Any:
        """A v2 "get all" endpoint over ``entities()``: ``limit`` (<= 500) and opaque ``cursor``,
        ``additional_data.next_cursor`` null on the last page, sorted by id ascending."""

        async def endpoint(request: Request) -> Response:
            q = request.query_params
            try:
                limit = min(max(1, int(q.get("limit", "100"))), 500)
                offset = int(base64.b64decode(q["cursor"]).decode()) if q.get("cursor") else 0
            except ValueError:
                return fail(400, "Validation failed: invalid limit or cursor")
            items = sorted(entities(), key=lambda item: item["id"])
            page = items[offset : offset + limit]
            more = offset + len(page) < len(items)
            cursor = base64.b64encode(str(offset + len(page)).encode()).decode() if more else None
            return JSONResponse(
                {"success": True, "data": page, "additional_data": {"next_cursor": cursor}}
            )

        return endpoint

    async def list_leads(self, request: Request) -> Response:
        """``GET /v1/leads``: not archived leads, oldest first, ``start``/``limit`` paging with
        ``additional_data.{start, limit, more_items_in_collection}``."""
        q = request.query_params
        try:
            start = max(0, int(q.get("start", "0")))
            limit = min(max(1, int(q.get("limit", "100"))), 500)
        except ValueError:
            return fail(400, "Validation failed: start and limit must be integers")
        leads = [
            {
                "id": lead["id"],
                "title": lead["title"],
                "owner_id": lead["owner"]["id"],
                "creator_id": lead["owner"]["id"],
                "label_ids": [],
                "person_id": lead["person"]["id"],
                "organization_id": lead["organization"]["id"],
                "source_name": "API",
                "origin": "API",
                "origin_id": None,
                "channel": None,
                "channel_id": None,
                "is_archived": False,
                "was_seen": False,
                "value": {"amount": lead["value"], "currency": lead["currency"]},
                "expected_close_date": None,
                "next_activity_id": None,
                "add_time": self._created(),
                "update_time": self._created(),
                "visible_to": str(lead["visible_to"]),
                "cc_email": f"sandbox+{self.company_id}+lead@sandbox.pipedrivemail.com",
            }
            for lead in self.leads
            if not lead["is_archived"]
        ]
        page = leads[start : start + limit]
        return JSONResponse(
            {
                "success": True,
                "data": page,
                "additional_data": {
                    "start": start,
                    "limit": limit,
                    "more_items_in_collection": start + len(page) < len(leads),
                },
            }
        )
