"""The shared HTTP policy of every adapter: one request, audited, rate-observed, errors mapped.

``HttpSession`` wraps the account's long-lived ``httpx.AsyncClient`` (never created here). Each
request: adds the vendor's auth headers, maps network failures to ``TransportError`` (with
``maybe_delivered``), reads the body under guard (a cut-off body is ``MalformedResponse``),
reports a ``RateInfo`` and an ``AuditEntry`` (secrets redacted), and turns an error status into
the ``CrmError`` tree. Vendor differences live in a ``VendorPolicy`` subclass in the vendor's own
module; nothing here branches on the vendor.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import time
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from calldesk.crm.errors import (
    AuthError,
    CrmError,
    ErrorContext,
    MalformedResponse,
    NotFound,
    RateLimited,
    Rejected,
    ServerError,
    TransportError,
)
from calldesk.domain import AuditEntry, JSONValue, Vendor

Clock = Callable[[], datetime]
AuditSink = Callable[[AuditEntry], None]
QueryParams = Sequence[tuple[str, str]]

#: Where each vendor's API lives when the account does not say otherwise. Pipedrive has no
#: default: it needs the company domain (``https://COMPANY.pipedrive.com``).
DEFAULT_BASE_URLS: Mapping[Vendor, str] = MappingProxyType(
    {
        Vendor.APOLLO: "https://api.apollo.io",
        Vendor.CLOSE: "https://api.close.com",
        Vendor.BUILDR: "https://api.buildr.com",
    }
)

#: Query parameter names whose values are secrets and never reach an audit entry.
SECRET_PARAMS = frozenset(
    {"api_token", "api_key", "apikey", "access_token", "token", "client_secret", "password"}
)

_MAX_MESSAGE = 300
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True, slots=True)
class RateInfo:
    """The vendor's rate-limit state after a response (None where the vendor did not say).

    ``limit``: requests allowed in the current window; ``remaining``: left in it;
    ``reset_after``: seconds until the window resets.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None


RateObserver = Callable[[RateInfo], None]


def validate_base_url(url: str) -> str:
    """Check an API origin and return it without a trailing slash.

    The origin is scheme, host, optional port and optional path prefix. ``https`` is required,
    except that plain ``http`` is allowed for loopback hosts (local sandboxes and tests).
    Raises ``ValueError`` with a message a person can act on.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r} is not a web address; expected e.g. https://api.example.com")
    if parts.username or parts.password:
        raise ValueError("the API address must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("the API address must not contain '?' or '#' parts")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"{url!r} uses plain http; use https (http is only allowed for this computer, "
            "e.g. http://127.0.0.1)"
        )
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redact_target(path: str, query: str) -> str:
    """Return ``path?query`` with the values of secret query parameters replaced."""
    if not query:
        return path
    pairs = [
        (key, "REDACTED" if key.lower() in SECRET_PARAMS else value)
        for key, value in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs)}"


def clip(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Collapse whitespace and cut a vendor message to a readable length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _TitleParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_title = False
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def html_title(text: str) -> str:
    """Return the ``<title>`` of an HTML page, or an empty string."""
    parser = _TitleParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # an HTML parser must never break error handling
        return ""
    return clip(parser.title)


def looks_like_html(response: httpx.Response, text: str) -> bool:
    """True when the body is an HTML page rather than an API answer."""
    content_type = response.headers.get("content-type", "").lower()
    return "html" in content_type or text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


def parse_seconds(value: str | None, now: datetime) -> float | None:
    """Read a delay in seconds (``"1.5"``) or an HTTP date (``Retry-After``) relative to now."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def header_int(headers: httpx.Headers, name: str) -> int | None:
    """Return an integer header value, or None if absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def decode_json(response: httpx.Response) -> JSONValue:
    """Parse a response body as JSON or raise ``MalformedResponse``."""
    request = response.request
    status, method, path = response.status_code, request.method, request.url.path
    ctx: ErrorContext = {"status": status, "method": method, "path": path}
    if not response.content:
        raise MalformedResponse("the CRM sent an empty answer", **ctx)
    try:
        value: JSONValue = json.loads(response.content)
    except (ValueError, RecursionError):
        text = _safe_text(response)
        if looks_like_html(response, text):
            title = html_title(text)
            detail = f" ({title})" if title else ""
            raise MalformedResponse(
                f"the CRM sent a web page instead of data{detail}",
                vendor_message=title,
                status=status,
                method=method,
                path=path,
            ) from None
        raise MalformedResponse(
            "the CRM's answer is not valid JSON (cut off or garbled)", **ctx
        ) from None
    return value


def _safe_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (UnicodeDecodeError, LookupError):
        return response.content.decode("utf-8", "replace")


def generic_error_message(body: JSONValue, text: str) -> str:
    """Pull the human message out of the usual error body shapes (or a plain-text body)."""
    if isinstance(body, dict):
        parts: list[str] = []
        for key in ("error", "message", "errors", "detail", "error_description"):
            parts.extend(_messages(body.get(key)))
        if parts:
            return clip("; ".join(dict.fromkeys(parts)))
        return ""
    if isinstance(body, str):
        return clip(body)
    if body is None and text and not text.lstrip().startswith("<"):
        return clip(text)
    return ""


def _messages(value: JSONValue) -> list[str]:
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    if isinstance(value, list):
        found: list[str] = []
        for item in value:
            found.extend(_messages(item))
        return found
    if isinstance(value, dict):
        for key in ("message", "error", "detail", "description"):
            inner = value.get(key)
            if isinstance(inner, str) and inner.strip():
                return [inner.strip()]
    return []


@dataclass(frozen=True, slots=True)
class ErrorFacts:
    """What a failed response said, for a vendor policy to classify."""

    status: int
    method: str
    path: str
    headers: httpx.Headers
    body: JSONValue
    text: str
    message: str
    is_html: bool
    now: datetime

    def context(self) -> ErrorContext:
        return {
            "status": self.status,
            "vendor_message": self.message,
            "method": self.method,
            "path": self.path,
        }


class VendorPolicy:
    """A vendor's HTTP quirks: its rate headers, error body shapes and special error cases.

    Subclasses live in the vendor modules and override what differs.
    """

    label: str = "The CRM"
    default_retry_after: float = 5.0

    def rate_info(self, headers: httpx.Headers, now: datetime) -> RateInfo:
        """Read the rate-limit headers of any response."""
        return RateInfo()

    def retry_after(self, facts: ErrorFacts) -> float | None:
        """Seconds to wait after a 429, from the vendor's headers or body."""
        return parse_seconds(facts.headers.get("retry-after"), facts.now)

    def error_message(self, body: JSONValue, text: str) -> str:
        """The vendor's message from an error body."""
        return generic_error_message(body, text)

    def special_error(self, facts: ErrorFacts) -> CrmError | None:
        """A vendor-specific error for this response, or None to use the standard mapping."""
        return None

    def classify(self, facts: ErrorFacts) -> CrmError:
        """Turn a non-success response into the right ``CrmError``."""
        special = self.special_error(facts)
        if special is not None:
            return special
        ctx = facts.context()
        said = f": {facts.message}" if facts.message else ""
        status = facts.status
        if status == 429:
            wait = self.retry_after(facts)
            wait = self.default_retry_after if wait is None else wait
            return RateLimited(
                f"{self.label} asked to slow down; retry in {wait:g} s{said}",
                retry_after=wait,
                **ctx,
            )
        if status in (401, 403):
            if facts.is_html:
                return AuthError(
                    f"{self.label} refused access ({status}) with a web page"
                    + (f": {facts.message}" if facts.message else ""),
                    **ctx,
                )
            reason = "the key was not accepted" if status == 401 else "access denied"
            return AuthError(f"{self.label}: {reason} ({status}){said}", **ctx)
        if status in (404, 410):
            what = "no longer exists" if status == 410 else "was not found"
            return NotFound(f"{self.label}: the record {what}{said}", gone=status == 410, **ctx)
        if status >= 500:
            return ServerError(f"{self.label} had a server error ({status}){said}", **ctx)
        if 400 <= status < 500:
            return Rejected(f"{self.label} refused the request ({status}){said}", **ctx)
        return MalformedResponse(f"{self.label} answered with unexpected status {status}", **ctx)


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
    """The callbacks a session reports to (all optional) and its clock."""

    account: str
    audit: AuditSink | None = None
    rate_observer: RateObserver | None = None
    clock: Clock = lambda: datetime.now(UTC)


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
        self.auth: Authenticator = auth or StaticHeaders({})

    def now(self) -> datetime:
        return self.hooks.clock()

    def url(self, path: str) -> str:
        """The absolute URL of a documented path on this origin."""
        return self.base_url + path

    def owns(self, url: str) -> bool:
        """True if ``url`` is on this session's origin (safe to send credentials to)."""
        return url == self.base_url or url.startswith(self.base_url + "/")

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
    ) -> httpx.Response:
        """Send one request and return its (fully read, closed) successful response.

        ``url`` is absolute (see ``url()``); credentials are only sent to this session's origin.
        ``content`` is a factory of a streamed body so that the request can be rebuilt.
        Raises a ``CrmError`` for anything but a 2xx answer.
        """
        if authenticated and not self.owns(url):
            raise MalformedResponse(f"refusing to send credentials to another site: {url}")
        retried = False
        while True:
            extra: dict[str, str] = {"Accept": "application/json"}
            if authenticated:
                extra.update(await self.auth.headers())
            extra.update(headers or {})
            request = self.client.build_request(
                method,
                url,
                params=list(params) if params is not None else None,
                json=json_body,
                content=content() if content is not None else None,
                headers=extra,
            )
            response, error = await self._send(request)
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

    async def _send(self, request: httpx.Request) -> tuple[httpx.Response, CrmError | None]:
        method, path = request.method, request.url.path
        target = redact_target(path, request.url.query.decode("ascii", "replace"))
        started = time.perf_counter()
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            delivered = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            delivered = delivered and not isinstance(exc, httpx.PoolTimeout)
            delivered = delivered and not isinstance(exc, httpx.UnsupportedProtocol)
            reason = _describe_transport(exc)
            self._audit(method, target, None, started, reason)
            raise TransportError(
                f"{self.policy.label} could not be reached: {reason}",
                maybe_delivered=delivered,
                method=method,
                path=path,
            ) from None
        try:
            await response.aread()
        except httpx.TransportError as exc:
            # The head arrived but the connection broke mid-body: the server got the request.
            status = response.status_code
            reason = _describe_transport(exc)
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
            status = response.status_code
            self._audit(method, target, status, started, "answer could not be decoded")
            if 200 <= status < 300:
                raise MalformedResponse(
                    f"{self.policy.label}'s answer could not be decoded",
                    status=status,
                    method=method,
                    path=path,
                ) from None
            response = httpx.Response(status, headers=response.headers, request=request)
        finally:
            await response.aclose()
        self._observe(response)
        error = None if response.is_success else self._classify(response)
        message = "" if error is None else error.vendor_message
        self._audit(method, target, response.status_code, started, message)
        return response, error

    def _classify(self, response: httpx.Response) -> CrmError:
        text = _safe_text(response)
        body = _try_json(response.content)
        is_html = looks_like_html(response, text)
        message = html_title(text) if is_html else self.policy.error_message(body, text)
        facts = ErrorFacts(
            status=response.status_code,
            method=response.request.method,
            path=response.request.url.path,
            headers=response.headers,
            body=body,
            text=text,
            message=message,
            is_html=is_html,
            now=self.now(),
        )
        return self.policy.classify(facts)

    def _observe(self, response: httpx.Response) -> None:
        if self.hooks.rate_observer is None:
            return
        self.hooks.rate_observer(self.policy.rate_info(response.headers, self.now()))

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

    async def get_json(self, url: str, params: QueryParams | None = None) -> JSONValue:
        """GET ``url`` and return its JSON body."""
        return decode_json(await self.request("GET", url, params=params))


def _try_json(content: bytes) -> JSONValue:
    if not content:
        return None
    try:
        value: JSONValue = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return value


def _describe_transport(exc: Exception) -> str:
    names: dict[type[Exception], str] = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ConnectError: "could not connect",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "too many requests waiting",
        httpx.RemoteProtocolError: "the connection was closed unexpectedly",
        httpx.ReadError: "the connection broke while reading",
        httpx.WriteError: "the connection broke while sending",
        httpx.DecodingError: "the answer could not be decoded",
    }
    for kind, text in names.items():
        if isinstance(exc, kind):
            return text
    return type(exc).__name__
