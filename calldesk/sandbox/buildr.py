"""The Buildr sandbox (API version 2023-01): OAuth client credentials, calls and pickers.

Confirmed by ``buildr.md`` / seed 004: ``PATCH /api/2023-01/calls/{id}`` with a ``{"call": {...}}``
body answering ``{"call": {...}}`` with embedded ``call_outcome``, ``company``, ``contact``,
``created_by`` and ``project`` objects, string ids, ``page``/``per_page`` with a ``Link`` header,
Bearer tokens from ``POST /oauth/token`` (client credentials), and the 10 requests / 10 s leaky
bucket answering 429 ``{"error": "rate_limit_exceeded"}`` with ``X-Rate-Limited-For``.
**Inferred from the API's conventions** (not documented): list/get/create/delete call paths,
``DELETE`` answering 204, ``/call_outcomes``, ``/contacts``, ``/companies``, ``/projects``,
``/users/me``, the 401/404/422 bodies (Doorkeeper/Rails style), newest-first order, and the
bucket being counted per sandbox rather than per client.
"""

from __future__ import annotations

import random
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from calldesk.domain.model import Vendor
from calldesk.sandbox.base import VendorApi, iso_z, parse_iso, utc_now
from calldesk.sandbox.config import BUILDR_CLIENT_ID, BUILDR_CLIENT_SECRET, SandboxConfig
from calldesk.sandbox.limits import RateInfo
from calldesk.sandbox.sampledata import OUTCOMES, build_directory

API = "/api/2023-01"
MAX_PER_PAGE = 100
LINKS: tuple[tuple[str, str], ...] = (
    ("call_outcome_id", "call_outcome"),
    ("company_id", "company"),
    ("contact_id", "contact"),
    ("project_id", "project"),
)


class BuildrApi(VendorApi):
    """In-memory Buildr account with its logged calls and issued access tokens."""

    vendor = Vendor.BUILDR
    nominal_limit = 10
    nominal_window = 10.0

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.tokens: dict[str, float] = {}
        self.reset()

    def reset(self) -> None:
        cfg = self.config
        d = build_directory(
            cfg.seed, cfg.calls_per_vendor, now=cfg.now, history_days=cfg.history_days
        )
        self._rnd = random.Random(f"{cfg.seed}:buildr")
        self._next_id = 100
        stamp = iso_z(d.now - timedelta(days=200))
        base = {"created_at": stamp, "updated_at": stamp}
        self.users = [
            {"id": self._id(), **base, "first_name": u.first_name, "last_name": u.last_name,
             "name": u.name, "email": u.email}
            for u in d.users
        ]  # fmt: skip
        self.outcomes = [{"id": self._id(), **base, "name": name} for name in OUTCOMES]
        self.companies = [
            {"id": self._id(), **base, "name": c.name, "website": c.website} for c in d.companies
        ]
        self.contacts = [
            {"id": self._id(), **base, "first_name": p.first_name, "last_name": p.last_name,
             "name": p.name, "email": p.email, "phone": p.phone,
             "company_id": self.companies[p.company]["id"]}
            for p in d.contacts
        ]  # fmt: skip
        self.projects = [{"id": self._id(), **base, "name": deal.title} for deal in d.deals]
        self.calls: dict[str, dict[str, Any]] = {}
        for sc in d.calls:
            contact = self.contacts[sc.contact]
            when = iso_z(sc.start)
            self._store(
                {
                    "notes": sc.note,
                    "recorded_at": when,
                    "call_outcome_id": self.outcomes[sc.outcome]["id"],
                    "contact_id": contact["id"],
                    "company_id": contact["company_id"],
                    "project_id": self.projects[sc.deal]["id"] if sc.deal is not None else None,
                },
                self.users[sc.user]["id"],
                when,
            )

    def _id(self) -> str:
        self._next_id += self._rnd.randrange(1, 9)
        return str(self._next_id)

    def _store(self, fields: dict[str, Any], user_id: str, when: str) -> dict[str, Any]:
        call: dict[str, Any] = {
            "id": self._id(),
            "created_at": when,
            "updated_at": when,
            "created_by_id": user_id,
        }
        call.update(dict.fromkeys(("notes", "recorded_at", *(k for k, _ in LINKS))))
        call.update(fields)
        self.calls[call["id"]] = call
        return call

    def revoke_tokens(self) -> None:
        """Invalidate every issued access token (the next API call answers 401)."""
        self.tokens.clear()

    def call_count(self) -> int:
        return len(self.calls)

    def _render(self, call: dict[str, Any]) -> dict[str, Any]:
        tables = {
            "call_outcome": self.outcomes,
            "company": self.companies,
            "contact": self.contacts,
            "project": self.projects,
        }
        out = {k: call[k] for k in ("id", "created_at", "updated_at", "notes", "recorded_at")}
        for key, name in LINKS:
            item = next((i for i in tables[name] if i["id"] == call[key]), None)
            out[name] = _public(item) if item else None
        out["created_by"] = next(u for u in self.users if u["id"] == call["created_by_id"])
        return out

    # -- gate hooks ---------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        if request.url.path.endswith("/oauth/token"):
            return None
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expiry = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if expiry is None or expiry <= time.monotonic():
            reason = "The access token expired" if expiry else "The access token is invalid"
            return JSONResponse(
                {"error": "invalid_token", "error_description": reason},
                status_code=401,
                headers={
                    "WWW-Authenticate": f'Bearer realm="Doorkeeper", error="invalid_token", '
                    f'error_description="{reason}"'
                },
            )
        return None

    def rate_limited(self, request: Request, info: RateInfo) -> Response:
        return JSONResponse(
            {"error": "rate_limit_exceeded"},
            status_code=429,
            headers={"X-Rate-Limited-For": str(info.retry_after_seconds)},
        )

    def server_error(self) -> Response:
        return JSONResponse({"error": "internal_server_error"}, status_code=500)

    def not_found(self) -> Response:
        return JSONResponse({"error": "not_found"}, status_code=404)

    # -- routes -------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/token", self.token, methods=["POST"]),
            Route(f"{API}/calls", self.list_calls, methods=["GET"]),
            Route(f"{API}/calls", self.create_call, methods=["POST"]),
            Route(f"{API}/calls/{{id}}", self.get_call, methods=["GET"]),
            Route(f"{API}/calls/{{id}}", self.update_call, methods=["PATCH"]),
            Route(f"{API}/calls/{{id}}", self.delete_call, methods=["DELETE"]),
            Route(f"{API}/call_outcomes", self.lister("call_outcomes", lambda: self.outcomes)),
            Route(f"{API}/contacts", self.lister("contacts", lambda: self.contacts)),
            Route(f"{API}/companies", self.lister("companies", lambda: self.companies)),
            Route(f"{API}/projects", self.lister("projects", lambda: self.projects)),
            Route(f"{API}/users/me", self.me, methods=["GET"]),
        ]

    async def token(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = dict(await request.form())
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not supported.",
                },
                status_code=400,
            )
        if (body.get("client_id"), body.get("client_secret")) != (
            BUILDR_CLIENT_ID,
            BUILDR_CLIENT_SECRET,
        ):
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed due to unknown client, "
                    "no client authentication included, or unsupported authentication method.",
                },
                status_code=401,
            )
        token = secrets.token_urlsafe(32)
        ttl = self.config.buildr_token_ttl
        self.tokens[token] = time.monotonic() + ttl
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": max(1, round(ttl)) if ttl >= 1 else ttl,
                "scope": str(body.get("scope") or "read write"),
                "created_at": int(time.time()),
            }
        )

    def _paged(self, request: Request, plural: str, items: list[dict[str, Any]]) -> Response:
        try:
            page = max(1, int(request.query_params.get("page", "1")))
            per_page = min(max(1, int(request.query_params.get("per_page", "100"))), MAX_PER_PAGE)
        except ValueError:
            return JSONResponse({"error": "invalid_pagination"}, status_code=400)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if len(items) > per_page:
            headers["Link"] = _link_header(request, page, per_page, last)
        return JSONResponse({plural: chunk}, headers=headers)

    def lister(self, plural: str, items: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            return self._paged(request, plural, [_public(i) for i in items()])

        return endpoint

    async def me(self, request: Request) -> Response:
        return JSONResponse({"user": self.users[0]})

    async def list_calls(self, request: Request) -> Response:
        calls = sorted(
            self.calls.values(), key=lambda c: (c["recorded_at"] or "", c["id"]), reverse=True
        )
        return self._paged(request, "calls", [self._render(c) for c in calls])

    async def get_call(self, request: Request) -> Response:
        call = self.calls.get(request.path_params["id"])
        if call is None:
            return self.not_found()
        return JSONResponse({"call": self._render(call)})

    async def _fields(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("call"), dict):
            return JSONResponse(
                {"error": "param is missing or the value is empty: call"}, status_code=400
            )
        fields: dict[str, Any] = body["call"]
        errors: dict[str, list[str]] = {}
        tables = {
            "call_outcome_id": self.outcomes,
            "company_id": self.companies,
            "contact_id": self.contacts,
            "project_id": self.projects,
        }
        for key, value in fields.items():
            if key in tables:
                if value is not None and value not in {i["id"] for i in tables[key]}:
                    errors[key] = ["does not exist"]
            elif key == "recorded_at":
                if value is not None and (not isinstance(value, str) or parse_iso(value) is None):
                    errors[key] = ["is not a valid ISO 8601 date-time"]
            elif key == "notes":
                if value is not None and not isinstance(value, str):
                    errors[key] = ["must be a string"]
            else:
                errors[key] = ["is not a permitted attribute"]
        if errors:
            return JSONResponse({"error": "validation_failed", "errors": errors}, status_code=422)
        return fields

    async def create_call(self, request: Request) -> Response:
        fields = await self._fields(request)
        if isinstance(fields, Response):
            return fields
        now = iso_z(utc_now())
        fields.setdefault("recorded_at", now)
        call = self._store(fields, self.users[0]["id"], now)
        return JSONResponse({"call": self._render(call)}, status_code=201)

    async def update_call(self, request: Request) -> Response:
        call = self.calls.get(request.path_params["id"])
        if call is None:
            return self.not_found()
        fields = await self._fields(request)
        if isinstance(fields, Response):
            return fields
        call.update(fields)
        call["updated_at"] = iso_z(utc_now())
        return JSONResponse({"call": self._render(call)})

    async def delete_call(self, request: Request) -> Response:
        if self.calls.pop(request.path_params["id"], None) is None:
            return self.not_found()
        return Response(status_code=204)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("phone", "company_id")}


def _link_header(request: Request, page: int, per_page: int, last: int) -> str:
    def url(n: int) -> str:
        params = {**request.query_params, "page": str(n), "per_page": str(per_page)}
        return str(request.url.replace(query=urlencode(params)))

    rels = [("first", 1), ("last", last)]
    if page > 1:
        rels.insert(0, ("prev", page - 1))
    if page < last:
        rels.insert(0, ("next", page + 1))
    return ", ".join(f'<{url(n)}>; rel="{rel}"' for rel, n in rels)
