"""Reading what a CRM said: its error text, its page titles, its JSON (never raising oddly).

Every helper takes what arrived and returns plain text or a JSON value; ``decode_json`` raises
``MalformedResponse`` for an answer that is not JSON (naming a web page by its title).
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import httpx

from calldesk.crm.errors import ErrorContext, MalformedResponse
from calldesk.domain import JSONValue

_MAX_MESSAGE = 300


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
        text = safe_text(response)
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


def safe_text(response: httpx.Response) -> str:
    """The body as text, undecodable bytes replaced."""
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


def try_json(content: bytes) -> JSONValue:
    """The body as JSON, or None when it is empty or not JSON."""
    if not content:
        return None
    try:
        value: JSONValue = json.loads(content)
    except (ValueError, RecursionError):
        return None
    return value
