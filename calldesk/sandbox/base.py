"""What every sandbox vendor shares: the request gate (faults, rate limits, auth, counters).

A vendor is a ``VendorApi`` subclass giving its routes and its own error bodies and headers;
``VendorGate`` wraps its router as an ASGI app and applies, per request and in this order:
latency, ``down`` (drop the connection), the rate limit and daily budget (429), Pipedrive's HTML
403, authentication, injected 5xx, then the handler with ``commit_then_drop`` / ``truncated_body``
applied to its response.
"""

from __future__ import annotations

import asyncio
import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Router

from calldesk.domain.model import Vendor
from calldesk.sandbox.faults import Faults, FaultSettings
from calldesk.sandbox.limits import LeakyBucket, RateInfo, RequestCounter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONNECTION_EXTENSION = "calldesk.sandbox.connection"
"""Scope extension set by the sandbox's uvicorn protocol: ``{"abort": fn, "close": fn}``."""


def _disconnect_error() -> Exception:
    """The error an in-process client (httpx.ASGITransport) should see for a dropped connection.

    The sandbox does not import httpx; when the app runs in-process under httpx the error is
    httpx's own ``RemoteProtocolError`` so adapters treat it like a broken socket.
    """
    httpx = sys.modules.get("httpx")
    message = "Server disconnected without sending a complete response."
    if httpx is not None:
        error_type: type[Exception] = httpx.RemoteProtocolError
        return error_type(message)
    return ConnectionResetError(message)


async def drop_connection(scope: Scope, send: Send, start: Message | None) -> None:
    """Break the connection, after sending ``start`` (the response head) if given.

    Under the sandbox's uvicorn protocol the socket is aborted (nothing sent) or closed right
    after the head; elsewhere (in-process ASGI) an exception stands in for the broken socket.
    """
    connection = scope.get("extensions", {}).get(CONNECTION_EXTENSION)
    if connection is not None:
        if start is None:
            connection["abort"]()
        else:
            await send(start)
            connection["close"]()
        await asyncio.sleep(0)  # let the server notice the disconnect before the app returns
        return
    if start is not None:
        await send(start)
    raise _disconnect_error()


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime, *, millis: bool = False) -> str:
    """``2024-05-01T10:00:00Z`` (or with ``.000`` milliseconds)."""
    moment = moment.astimezone(UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(moment: datetime, *, micros: bool = False) -> str:
    """``2024-05-01T10:00:00+00:00`` (optionally with microseconds), as Close and Apollo send."""
    moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds" if micros else "seconds")


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO 8601 date-time (``Z`` or offset; naive means UTC); None if it is not one."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class VendorApi(ABC):
    """One sandbox CRM: its routes, data and the vendor's own error shapes."""

    vendor: ClassVar[Vendor]
    nominal_limit: ClassVar[int]
    nominal_window: ClassVar[float]

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The vendor's documented paths (relative to its prefix)."""

    @abstractmethod
    def reset(self) -> None:
        """Regenerate the sample data and forget every write."""

    @abstractmethod
    def authenticate(self, request: Request) -> Response | None:
        """The vendor's auth failure response, or None when the request may proceed."""

    @abstractmethod
    def rate_limited(self, request: Request, info: RateInfo) -> Response:
        """The vendor's 429."""

    @abstractmethod
    def server_error(self) -> Response:
        """The vendor's 5xx."""

    def rate_headers(self, info: RateInfo, status: int) -> dict[str, str]:
        """Headers carrying the rate-limit state on ordinary responses (none by default)."""
        return {}

    def daily_budget_exhausted(self, request: Request) -> Response | None:
        """A 429 for an exhausted daily budget, for vendors that have one."""
        return None

    def daily_headers(self, left: int) -> dict[str, str]:
        """Headers reporting the daily budget left, for vendors that have one."""
        return {}

    def html_403(self) -> Response | None:
        """The block page served to abusive clients, for vendors that document one."""
        return None

    def not_found(self) -> Response:
        return JSONResponse({"error": "Not Found"}, status_code=404)

    def call_count(self) -> int:
        """How many (live) calls the vendor holds."""
        return 0

    def recordings(self) -> list[dict[str, Any]]:
        """Uploaded recordings: ``{"call_id", "size", "path"}``."""
        return []


class VendorGate:
    """The ASGI app serving one vendor under its prefix, with faults and counters applied."""

    def __init__(self, api: VendorApi, faults: Faults, counter: RequestCounter) -> None:
        self.api = api
        self.faults = faults
        self.counter = counter
        self.bucket = LeakyBucket()
        self.daily_used = 0
        self.router = Router(routes=api.routes(), default=self._not_found)

    def reset(self) -> None:
        self.bucket.clear()
        self.daily_used = 0

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.api.not_found()(scope, receive, send)

    def _route_key(self, scope: Scope) -> str:
        for route in self.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return f"{scope['method']} {getattr(route, 'path', '?')}"
        return f"{scope['method']} {scope['path']}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.counter.request(self._route_key(scope))
        self.counter.in_flight += 1
        self.counter.most_in_flight = max(self.counter.most_in_flight, self.counter.in_flight)
        try:
            await self._serve(scope, receive, send)
        finally:
            self.counter.in_flight -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        plan = self.faults.draw(self.api.vendor)
        settings = self.faults.effective(self.api.vendor)
        if plan.latency > 0:
            await asyncio.sleep(plan.latency)
        if plan.down:
            self.counter.dropped += 1
            await drop_connection(scope, send, None)
            return
        request = Request(scope, receive)
        admitted, info = self._take(settings)
        early = self._early_response(request, settings, admitted, info, plan.html_403)
        if early is None and plan.garbage_429 is not None:
            early = _garbage_429(plan.garbage_429)
        if early is None and plan.server_error:
            early = self.api.server_error()
        if early is not None:
            self._add_headers(early, info)
            self.counter.response(early.status_code)
            await early(scope, receive, send)
            return
        await self.router(scope, receive, self._wrap_send(scope, send, info, plan))

    def _take(self, settings: FaultSettings) -> tuple[bool, RateInfo]:
        enforce = settings.rate_limit is not None
        capacity = (
            settings.rate_limit if settings.rate_limit is not None else self.api.nominal_limit
        )
        window = settings.rate_window or self.api.nominal_window
        return self.bucket.take(max(1, capacity), window, enforce=enforce)

    def _early_response(
        self,
        request: Request,
        settings: FaultSettings,
        admitted: bool,
        info: RateInfo,
        html_403: bool,
    ) -> Response | None:
        if not admitted:
            return self.api.rate_limited(request, info)
        if settings.daily_budget is not None:
            self.daily_used += 1
            if self.daily_used > settings.daily_budget:
                exhausted = self.api.daily_budget_exhausted(request)
                if exhausted is not None:
                    return exhausted
        if html_403:
            page = self.api.html_403()
            if page is not None:
                return page
        return self.api.authenticate(request)

    def _add_headers(self, response: Response, info: RateInfo) -> None:
        for name, value in self._headers(info, response.status_code):
            if name.decode("latin-1") not in response.headers:
                response.raw_headers.append((name, value))

    def _headers(self, info: RateInfo, status: int) -> list[tuple[bytes, bytes]]:
        headers = self.api.rate_headers(info, status)
        settings = self.faults.effective(self.api.vendor)
        if settings.daily_budget is not None:
            left = max(0, settings.daily_budget - self.daily_used)
            headers = {**headers, **self.api.daily_headers(left)}
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    def _wrap_send(self, scope: Scope, send: Send, info: RateInfo, plan: Any) -> Send:
        state: dict[str, Any] = {"start": None, "body": bytearray(), "dropped": False}

        async def wrapped(message: Message) -> None:
            if state["dropped"]:
                return
            if message["type"] == "http.response.start":
                status = int(message["status"])
                self.counter.response(status)
                headers = [
                    h for h in message.get("headers", []) if h[0].lower() not in self._own(info)
                ]
                message = {**message, "headers": headers + self._headers(info, status)}
                if plan.commit_then_drop:
                    state["dropped"] = True
                    self.counter.dropped += 1
                    await drop_connection(scope, send, message)
                    return
                if plan.truncated_body or _reshapes(plan):
                    state["start"] = message
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and state["start"] is not None:
                state["body"].extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                if plan.truncated_body:
                    await self._send_truncated(send, state["start"], bytes(state["body"]))
                    return
                await _send_reshaped(scope, send, state["start"], bytes(state["body"]), plan)
                return
            await send(message)

        return wrapped

    def _own(self, info: RateInfo) -> set[bytes]:
        return {name for name, _ in self._headers(info, 200)}

    @staticmethod
    async def _send_truncated(send: Send, start: Message, body: bytes) -> None:
        cut = body[: max(1, len(body) // 2)] if body else b"{"
        headers = [h for h in start.get("headers", []) if h[0].lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": cut, "more_body": False})


def _reshapes(plan: Any) -> bool:
    return bool(plan.thin_answer or plan.slow_drip or plan.huge_body)


def _garbage_429(retry_after: str) -> Response:
    """A 429 whose waiting headers are nonsense (``nan``, ``inf``, ``-50``, ``soon`` ...)."""
    return JSONResponse(
        {"error": "rate limited"},
        status_code=429,
        headers={
            "Retry-After": retry_after,
            "RateLimit": f"limit=x, remaining=?, reset={retry_after}",
        },
    )


def _thin(body: bytes) -> bytes:
    """A write's answer reduced to the record's id (kept inside the vendor's envelope)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    if "id" in data:
        return json.dumps({"id": data["id"]}).encode()
    for key, value in data.items():
        if isinstance(value, dict) and "id" in value:
            return json.dumps({**data, key: {"id": value["id"]}}).encode()
    return body


async def _send_reshaped(scope: Scope, send: Send, start: Message, body: bytes, plan: Any) -> None:
    status = int(start["status"])
    if plan.thin_answer and status == 200 and scope.get("method") in ("POST", "PUT", "PATCH"):
        body = _thin(body)
    if plan.huge_body and 200 <= status < 300 and body[:1] in (b"{", b"["):
        body = body + b" " * int(plan.huge_body)
    headers = [h for h in start.get("headers", []) if h[0].lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({**start, "headers": headers})
    if not plan.slow_drip or not body:
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    step = max(1, len(body) // 8)
    for at in range(0, len(body), step):
        await asyncio.sleep(float(plan.slow_drip))
        last = at + step >= len(body)
        await send(
            {"type": "http.response.body", "body": body[at : at + step], "more_body": not last}
        )
