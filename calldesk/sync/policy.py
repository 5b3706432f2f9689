"""Retry timing for the outbox: exponential backoff with jitter, and pacing from rate-limit headers.

Both are plain objects owned by one account's syncer (no module state), driven by an injected
clock and random generator so tests and the crash test replay exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Exponential backoff with full jitter: attempt n waits a random time in [base, base*factor^n].

    ``cap`` bounds the wait so a rep who comes back online is never made to wait long.
    """

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Return the wait before the next try, given how many tries were made already."""
        ceiling = min(self.cap, self.base * self.factor ** max(0, attempts - 1))
        return max(self.base / 2, rng.uniform(self.base / 2, ceiling))


#: Rate-limit headers give the reset in whole seconds, rounded up.
HEADER_ROUNDING = 1.0
#: Paced sends go this much slower than the vendor's stated rate, so jitter does not meet a 429.
PACE_MARGIN = 1.1


class Pacer:
    """Spaces requests to one account so that it rarely meets a 429 at all.

    It learns from the vendor's rate-limit headers (``note``) and from 429s (``block_for``):
    while the window has requests left it lets requests through at once. When the window is
    spent and the stated reset is long, it waits until the earliest moment the window can have
    reset (vendors send whole seconds, rounded up, so one second early) and probes with one
    request whose answer says how much is free again. When the reset is short, capacity comes
    back about ``limit`` requests per reset period (buckets mostly leak), so it sends at that
    pace. Against a fixed window this costs at most about one 429 per window, after which
    ``block_for`` waits exactly what the vendor said. In-flight requests count against what is
    left, so parallel senders do not overrun the window together.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._remaining: int | None = None
        self._limit: int | None = None
        self._noted_at = 0.0
        self._window_ends = 0.0
        self._blocked_until = 0.0
        self._in_flight = 0
        self._last_start = 0.0

    @property
    def blocked_until(self) -> float:
        """Clock time before which nothing may be sent (0 when not blocked)."""
        return self._blocked_until

    def note(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        """Record what the vendor's headers said on the latest response."""
        now = self._clock()
        if remaining is None:
            return
        if reset_after is None or reset_after <= 0:
            # No reset given: assume the window is about to roll (be conservative, but not stuck).
            reset_after = 1.0
        self._remaining = remaining
        self._limit = limit
        self._noted_at = now
        self._window_ends = now + reset_after

    def block_for(self, seconds: float) -> None:
        """The vendor said to wait ``seconds`` (a 429): hold all requests until then."""
        until = self._clock() + max(0.0, seconds)
        self._blocked_until = max(self._blocked_until, until)
        self._remaining = 0
        self._window_ends = max(self._window_ends, until)

    def wait_time(self) -> float:
        """Seconds to wait before one more request may start (0 means go now)."""
        now = self._clock()
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._remaining is None or now >= self._window_ends:
            return 0.0
        if self._remaining - self._in_flight > 0:
            return 0.0
        span = self._window_ends - self._noted_at
        if span > HEADER_ROUNDING:
            # A long wait: capacity may come back all at once. Probe at the earliest moment.
            if self._in_flight == 0:
                return max(0.0, self._noted_at + span - HEADER_ROUNDING - now)
            return self._window_ends - now
        # A short window: capacity comes back about ``limit`` per ``span``; send at that pace.
        interval = PACE_MARGIN * span / (self._limit or 1)
        return max(0.0, self._last_start + interval - now)

    def allowance(self, wanted: int) -> int:
        """How many of ``wanted`` requests may start now (call when ``wait_time()`` is 0)."""
        now = self._clock()
        if self._remaining is None or now >= self._window_ends:
            return wanted
        left = self._remaining - self._in_flight
        # A spent window lets one paced or probing request through at a time.
        return min(wanted, left if left > 0 else 1)

    def started(self) -> None:
        """A request was sent."""
        self._in_flight += 1
        self._last_start = self._clock()

    def finished(self) -> None:
        """A request got its answer (or failed)."""
        self._in_flight = max(0, self._in_flight - 1)
