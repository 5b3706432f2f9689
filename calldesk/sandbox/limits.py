"""Rate limiting (a leaky bucket per vendor) and request counters for the sandbox CRMs."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RateInfo:
    """The state of a vendor's bucket after a request, for its rate-limit headers and 429 body."""

    limit: int
    remaining: int
    reset: float
    window: float
    retry_after: float = 0.0

    @property
    def reset_seconds(self) -> int:
        """Whole seconds until the bucket is empty again (at least 1 while anything is used)."""
        return max(1, math.ceil(self.reset)) if self.remaining < self.limit else 0

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after))


@dataclass
class LeakyBucket:
    """A leaky bucket of ``capacity`` requests that drains completely every ``window`` seconds."""

    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self, capacity: int, window: float, *, enforce: bool) -> tuple[bool, RateInfo]:
        """Add one request; return whether it is admitted and the bucket state afterwards."""
        now = time.monotonic()
        rate = capacity / window
        self.level = max(0.0, self.level - (now - self.stamp) * rate)
        self.stamp = now
        if self.level + 1 > capacity:
            if enforce:
                retry = (self.level + 1 - capacity) / rate
                info = RateInfo(capacity, 0, self.level / rate, window, retry)
                return False, info
            self.level = float(capacity)
        else:
            self.level += 1
        remaining = max(0, math.floor(capacity - self.level))
        return True, RateInfo(capacity, remaining, self.level / rate, window)

    def clear(self) -> None:
        self.level = 0.0
        self.stamp = time.monotonic()


@dataclass
class RequestCounter:
    """Counts of the requests one vendor received: total, 429s, by route and by status, and how
    many were being answered at once (``in_flight`` now, ``most_in_flight`` at the peak)."""

    total: int = 0
    rate_limited: int = 0
    dropped: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    by_status: Counter[int] = field(default_factory=Counter)

    def request(self, route: str) -> None:
        self.total += 1
        self.by_route[route] += 1

    def response(self, status: int) -> None:
        self.by_status[status] += 1
        if status == 429:
            self.rate_limited += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "rate_limited": self.rate_limited,
            "dropped": self.dropped,
            "most_in_flight": self.most_in_flight,
            "by_route": dict(self.by_route),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
        }
