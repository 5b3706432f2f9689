"""How a vendor's answers are read: ``VendorPolicy`` (rate headers, error shapes, special cases).

Subclasses live in the vendor modules and override what differs; ``classify`` maps a failed
response (``ErrorFacts``) to the ``CrmError`` tree with every wait bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from calldesk.crm._bounds import MAX_BUDGET_WAIT, RateInfo, clamp_wait, wait_seconds
from calldesk.crm._messages import generic_error_message
from calldesk.crm.errors import (
    AuthError,
    CrmError,
    ErrorContext,
    MalformedResponse,
    NotFound,
    RateLimited,
    Rejected,
    ServerError,
)
from calldesk.domain import JSONValue


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
        """Read the rate-limit headers of any response (the session bounds the numbers)."""
        return RateInfo()

    def retry_after(self, facts: ErrorFacts) -> float | None:
        """Seconds to wait after a 429, from the vendor's headers or body."""
        return wait_seconds(facts.headers.get("retry-after"), facts.now)

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
            # Whatever a policy read, the wait is finite and within 1 s … a day (the longest a
            # vendor's documented budget asks for); headers alone are held to 1 h.
            try:
                asked = self.retry_after(facts)
            except (ArithmeticError, ValueError):
                asked = None
            wait = clamp_wait(asked, MAX_BUDGET_WAIT)
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
