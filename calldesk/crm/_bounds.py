"""The bounds every CRM request obeys, and defensive readers of the numbers servers send.

A CRM (or a proxy in front of it) may answer with anything: an endless body, one byte every few
seconds, ``Retry-After: 1e999``. ``HttpLimits`` caps what one request may cost (body size per
kind of answer, a total deadline, the length of its address); ``wait_seconds`` and the other
readers turn rate-limit headers into finite numbers within sane ranges, never raising.
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

import httpx

#: The shortest and longest wait a CRM's rate-limit header can impose (seconds).
MIN_WAIT = 1.0
MAX_WAIT = 3600.0
#: The longest wait calldesk computes itself from a vendor's documented budget (a daily reset).
MAX_BUDGET_WAIT = 86_400.0
#: Rate-limit counts above this are nonsense (no vendor allows a billion requests per window).
MAX_COUNT = 1_000_000

_MIB = 1024 * 1024


class Answer(Enum):
    """What kind of answer a request expects, which decides how large it may be."""

    #: One record, a token, a profile: small.
    RECORD = "record"
    #: One page of a listing or a search.
    PAGE = "page"
    #: An answer to a file upload (a small JSON acknowledgement).
    UPLOAD = "upload"


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one request may cost.

    ``body``: the most bytes of a successful answer, by kind (streamed; a larger answer fails
    the request with ``MalformedResponse``). ``error_body``: the most bytes read of an error
    answer (the rest is ignored; the status decides). ``deadline``: seconds from sending to the
    last byte of the answer, whatever the per-read timeouts say; ``upload_rate`` adds time for
    an upload's bytes (bytes per second assumed at worst). ``max_url``: the longest address sent.
    """

    record_body: int = 2 * _MIB
    page_body: int = 16 * _MIB
    upload_body: int = 1 * _MIB
    error_body: int = 64 * 1024
    deadline: float = 90.0
    upload_rate: float = 64 * 1024
    max_url: int = 8000

    def body(self, kind: Answer) -> int:
        """The most bytes a successful answer of ``kind`` may have."""
        return {
            Answer.RECORD: self.record_body,
            Answer.PAGE: self.page_body,
            Answer.UPLOAD: self.upload_body,
        }[kind]

    def deadline_for(self, upload_bytes: int = 0) -> float:
        """The total deadline of a request that sends ``upload_bytes`` of file."""
        return self.deadline + max(0, upload_bytes) / self.upload_rate


def finite(text: str | None) -> float | None:
    """A header's value as a finite float, or None (absent, garbage, ``inf``, ``nan``)."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def clamp_wait(seconds: float | None, ceiling: float = MAX_WAIT) -> float | None:
    """``seconds`` within ``MIN_WAIT … ceiling``; None stays None, ``nan`` becomes None."""
    if seconds is None or math.isnan(seconds):
        return None
    return min(ceiling, max(MIN_WAIT, seconds))


def wait_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After``-style header (seconds or an HTTP date) as a wait in 1 s … 1 h.

    ``inf``, ``1e999`` and far-future dates give the ceiling; negative values and past dates the
    floor; ``nan``, garbage or an empty value give None (the caller's default applies).
    """
    if value is None or not value.strip() or len(value) > 200:
        return None
    text = value.strip()
    try:
        number = float(text)
    except (ValueError, OverflowError):
        number = None
    if number is not None:
        return clamp_wait(number)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return clamp_wait((when - now).total_seconds())
    except OverflowError:
        return MAX_WAIT


def header_int(headers: httpx.Headers, name: str) -> int | None:
    """An integer header value within 0 … ``MAX_COUNT``, or None if absent or not a number."""
    value = finite(headers.get(name))
    if value is None:
        return None
    return int(min(MAX_COUNT, max(0.0, value)))


def count(value: float | None) -> int | None:
    """A parsed rate-limit count as an int within 0 … ``MAX_COUNT`` (None stays None)."""
    if value is None or not math.isfinite(value):
        return None
    return int(min(MAX_COUNT, max(0.0, value)))


@dataclass(frozen=True, slots=True)
class RateInfo:
    """The vendor's rate-limit state after a response (None where the vendor did not say).

    ``limit``: requests allowed in the current window; ``remaining``: left in it;
    ``reset_after``: seconds until the window resets.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None

    def bounded(self) -> RateInfo:
        """The same facts with every number finite and within a sane range."""
        reset = self.reset_after
        if reset is not None and not math.isfinite(reset):
            reset = None if math.isnan(reset) else MAX_WAIT
        return RateInfo(
            limit=count(self.limit),
            remaining=count(self.remaining),
            reset_after=None if reset is None else min(MAX_WAIT, max(0.0, reset)),
        )
