"""The shared HTTP policy of every adapter: one request, paced, bounded, audited, errors mapped.

``HttpSession`` wraps the account's long-lived ``httpx.AsyncClient`` (never created here). Each
request: waits for the account's pacer (``RequestGate``; a long rate-limit block fails at once
with ``RateLimited`` instead of sending), adds the vendor's auth headers, refuses an over-long
address, streams the answer under a size cap for its kind and a total deadline (``HttpLimits``),
maps network failures to ``TransportError`` (with ``maybe_delivered``; a certificate problem is
named as one), reports a bounded ``RateInfo`` and an ``AuditEntry`` (query values left out), and
turns an error status into the ``CrmError`` tree with every known form of the account's secrets
removed from the CRM's text. Vendor differences live in a ``VendorPolicy`` subclass in the
vendor's own module; nothing here branches on the vendor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import httpx

from calldesk.crm._bounds import Answer, HttpLimits, RateInfo
from calldesk.crm._messages import decode_json, html_title, looks_like_html, safe_text, try_json
from calldesk.crm._origin import redact_target, validate_base_url
from calldesk.crm._policy import ErrorFacts, VendorPolicy
from calldesk.crm._wire import certificate_problem, describe_transport, read_capped, size_text
from calldesk.crm.errors import (
    AuthError,
    CertificateError,
    CrmError,
    MalformedResponse,
    RateLimited,
    Rejected,
    TransportError,
)
from calldesk.domain import AuditEntry, JSONValue
from calldesk.domain.secrets import redact, secret_forms

Clock = Callable[[], datetime]
AuditSink = Callable[[AuditEntry], None]
QueryParams = Sequence[tuple[str, str]]
RateObserver = Callable[[RateInfo], None]

#: The longest a request waits for the account's pacer before failing with ``RateLimited``
#: (a lookup while typing should not hang behind a long rate-limit block).
MAX_PACE_WAIT = 10.0
#: Headers of a streamed answer that no longer describe the bytes kept.
_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class RequestGate(Protocol):
    """One account's pacer, shared by every request of the account (outbox and reads alike)."""

    def wait_time(self) -> float:
        """Seconds before one more request may start (0: now)."""
        ...

    def started(self) -> None:
        """A request was sent."""
        ...

    def finished(self) -> None:
        """A request got its answer (or failed)."""
        ...

    def block_for(self, seconds: float) -> None:
        """The vendor said to wait (a 429): hold every request until then."""
        ...


class Authenticator(Protocol):
    """Supplies the auth headers of each request."""

    async def headers(self) -> Mapping[str, str]:
        """Headers to add to an authenticated request."""
        ...

    def invalidate(self) -> bool:
        """Forget cached credentials after a 401; True if a retry could now succeed."""
        ...


@dataclass(frozen=True, slots=True)
class StaticHeaders:
    """An authenticator for fixed API-key headers."""

    values: Mapping[str, str]

    async def headers(self) -> Mapping[str, str]:
        return self.values

    def invalidate(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class SessionHooks:
    """What a session reports to (all optional), its clock, pacer, limits and secrets.

    ``secrets`` are removed (in every form, see ``calldesk.domain.secrets``) from the CRM's
    error text, as are the credentials the session sends.
    """

    account: str
    audit: AuditSink | None = None
    rate_observer: RateObserver | None = None
    clock: Clock = lambda: datetime.now(UTC)
    gate: RequestGate | None = None
    limits: HttpLimits = field(default_factory=HttpLimits)
    secrets: tuple[str, ...] = field(default=(), repr=False)


class HttpSession:
    """One account's requests against one vendor origin."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        policy: VendorPolicy,
        hooks: SessionHooks,
        auth: Authenticator | None = None,
    ) -> None:
        self.client = client
        self.base_url = validate_base_url(base_url)
        self.policy = policy
        self.hooks = hooks
        self.limits = hooks.limits
        self.auth: Authenticator = auth or StaticHeaders({})
        self._secret_forms: set[str] = set()
        for secret in hooks.secrets:
            self._secret_forms |= secret_forms(secret)
        self._sent_credentials: set[str] = set()

    def now(self) -> datetime:
        return self.hooks.clock()

    def url(self, path: str) -> str:
        """The absolute URL of a documented path on this origin."""
        return self.base_url + path

    def owns(self, url: str) -> bool:
        """True if ``url`` is on this session's origin (safe to send credentials to)."""
        return url == self.base_url or url.startswith(self.base_url + "/")

    def redact(self, text: str) -> str:
        """``text`` without any form of the account's secrets or the credentials sent."""
        return redact(text, self._secret_forms)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        json_body: JSONValue | None = None,
        content: Callable[[], AsyncIterable[bytes]] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        answer: Answer = Answer.RECORD,
        upload_size: int = 0,
    ) -> httpx.Response:
        """Send one request and return its (fully read, closed) successful response.

        ``url`` is absolute (see ``url()``); credentials are only sent to this session's origin.
        ``content`` is a factory of a streamed body so that the request can be rebuilt;
        ``upload_size`` (its bytes) extends the deadline. ``answer`` sets the size cap.
        Raises a ``CrmError`` for anything but a 2xx answer.
        """
        if authenticated and not self.owns(url):
            raise MalformedResponse(f"refusing to send credentials to another site: {url}")
        retried = False
        while True:
            extra: dict[str, str] = {"Accept": "application/json"}
            if authenticated:
                credentials = await self.auth.headers()
                self._remember(credentials)
                extra.update(credentials)
            extra.update(headers or {})
            request = self.client.build_request(
                method,
                url,
                params=list(params) if params is not None else None,
                json=json_body,
                content=content() if content is not None else None,
                headers=extra,
            )
            self._check_length(request)
            await self._pace(request)
            response, error = await self._send(request, answer, upload_size)
            if error is None:
                return response
            if (
                isinstance(error, AuthError)
                and response.status_code == 401
                and authenticated
                and not retried
                and self.auth.invalidate()
            ):
                retried = True
                continue
            raise error

    def _remember(self, credentials: Mapping[str, str]) -> None:
        for value in credentials.values():
            if value not in self._sent_credentials:
                self._sent_credentials.add(value)
                self._secret_forms |= secret_forms(value)

    def _check_length(self, request: httpx.Request) -> None:
        length = len(str(request.url))
        if length > self.limits.max_url:
            raise Rejected(
                f"the request is too long to send to {self.policy.label} ({length:,} characters "
                f"in its address; at most {self.limits.max_url:,}): shorten the longest field",
                method=request.method,
                path=request.url.path,
            )

    async def _pace(self, request: httpx.Request) -> None:
        """Wait for the account's pacer; a long block fails now, without sending."""
        gate = self.hooks.gate
        if gate is None:
            return
        waited = 0.0
        while (wait := gate.wait_time()) > 0:
            if waited + wait > MAX_PACE_WAIT:
                raise RateLimited(
                    f"{self.policy.label} asked to slow down; not sent, retry in {wait:.0f} s",
                    retry_after=wait,
                    method=request.method,
                    path=request.url.path,
                )
            await asyncio.sleep(wait)
            waited += wait

    async def _send(
        self, request: httpx.Request, answer: Answer, upload_size: int
    ) -> tuple[httpx.Response, CrmError | None]:
        method, path = request.method, request.url.path
        target = redact_target(path, request.url.query.decode("ascii", "replace"))
        started = time.perf_counter()
        deadline = self.limits.deadline_for(upload_size)
        gate = self.hooks.gate
        if gate is not None:
            gate.started()
        try:
            async with asyncio.timeout(deadline):
                response = await self._exchange(request, answer, target, started)
        except TimeoutError:
            self._audit(method, target, None, started, f"no complete answer in {deadline:g} s")
            raise TransportError(
                f"{self.policy.label} did not answer completely within {deadline:g} s"
                + _may_have_arrived(method),
                maybe_delivered=True,
                method=method,
                path=path,
            ) from None
        finally:
            if gate is not None:
                gate.finished()
        self._observe(response)
        error = None if response.is_success else self._classify(response)
        if isinstance(error, RateLimited) and gate is not None:
            gate.block_for(error.retry_after)
        message = "" if error is None else error.vendor_message
        self._audit(method, target, response.status_code, started, message)
        return response, error

    async def _exchange(
        self, request: httpx.Request, answer: Answer, target: str, started: float
    ) -> httpx.Response:
        """Send ``request`` and read its answer within the size cap (a new, closed response)."""
        method, path = request.method, request.url.path
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            delivered = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            delivered = delivered and not isinstance(exc, httpx.PoolTimeout)
            delivered = delivered and not isinstance(exc, httpx.UnsupportedProtocol)
            reason = describe_transport(exc)
            self._audit(method, target, None, started, reason)
            if certificate_problem(exc):
                raise CertificateError(
                    f"{self.policy.label}: {reason}", method=method, path=path
                ) from None
            raise TransportError(
                f"{self.policy.label} could not be reached: {reason}",
                maybe_delivered=delivered,
                method=method,
                path=path,
            ) from None
        status = response.status_code
        cap = self.limits.body(answer) if response.is_success else self.limits.error_body
        try:
            body = await read_capped(response, cap, truncate=not response.is_success)
        except httpx.TransportError as exc:
            # The head arrived but the connection broke mid-body: the server got the request.
            reason = describe_transport(exc)
            self._audit(method, target, status, started, f"answer cut off: {reason}")
            raise TransportError(
                f"{self.policy.label}'s answer was cut off ({reason}); the request arrived and "
                "may have taken effect",
                maybe_delivered=True,
                status=status,
                method=method,
                path=path,
            ) from None
        except httpx.DecodingError:
            self._audit(method, target, status, started, "answer could not be decoded")
            if response.is_success:
                raise MalformedResponse(
                    f"{self.policy.label}'s answer could not be decoded",
                    status=status,
                    method=method,
                    path=path,
                ) from None
            body = b""
        finally:
            await response.aclose()
        if body is None:
            self._audit(method, target, status, started, f"answer larger than {cap:,} bytes")
            raise MalformedResponse(
                f"{self.policy.label}'s answer was larger than {size_text(cap)} and was not read"
                + _may_have_arrived(method),
                status=status,
                method=method,
                path=path,
            )
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
        return httpx.Response(status, headers=kept, content=body, request=request)

    def _classify(self, response: httpx.Response) -> CrmError:
        text = self.redact(safe_text(response))
        body = try_json(text.encode("utf-8", "replace"))
        is_html = looks_like_html(response, text)
        message = html_title(text) if is_html else self.policy.error_message(body, text)
        facts = ErrorFacts(
            status=response.status_code,
            method=response.request.method,
            path=response.request.url.path,
            headers=response.headers,
            body=body,
            text=text,
            message=self.redact(message),
            is_html=is_html,
            now=self.now(),
        )
        error = self.policy.classify(facts)
        error.message = self.redact(error.message)
        error.vendor_message = self.redact(error.vendor_message)
        error.args = (error.message,)
        return error

    def _observe(self, response: httpx.Response) -> None:
        if self.hooks.rate_observer is None:
            return
        try:
            info = self.policy.rate_info(response.headers, self.now()).bounded()
        except (ArithmeticError, ValueError):  # a garbage header never fails a request
            info = RateInfo()
        self.hooks.rate_observer(info)

    def _audit(
        self, method: str, target: str, status: int | None, started: float, message: str
    ) -> None:
        if self.hooks.audit is None:
            return
        self.hooks.audit(
            AuditEntry(
                at=self.now(),
                account=self.hooks.account,
                method=method,
                path=target,
                status=status,
                elapsed_ms=(time.perf_counter() - started) * 1000.0,
                message=message,
            )
        )

    async def get_json(
        self, url: str, params: QueryParams | None = None, *, answer: Answer = Answer.RECORD
    ) -> JSONValue:
        """GET ``url`` and return its JSON body."""
        return decode_json(await self.request("GET", url, params=params, answer=answer))


def _may_have_arrived(method: str) -> str:
    """What a rep should know about a change whose answer was lost (nothing for a read)."""
    return "" if method in ("GET", "HEAD") else "; the request arrived and may have taken effect"
