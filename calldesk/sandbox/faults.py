"""Fault injection settings: seeded, replayable, settable globally and per vendor.

Each vendor draws its decisions from its own ``random.Random`` seeded from the sandbox seed and
the vendor name, and every request draws the same number of values whatever the settings, so the
same request sequence meets the same faults after a reset. The hostile answers added later
(``thin_answer``, ``garbage_429``, ``slow_drip``, ``huge_body``) draw from a second random per
vendor, so the first four faults meet the same sequence as before they existed.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any

from calldesk.domain.model import Vendor

RATE_FIELDS = (
    "error_rate",
    "commit_then_drop",
    "truncated_body",
    "html_403",
    "thin_answer",
    "garbage_429",
    "slow_drip",
    "huge_body",
)

#: ``Retry-After`` values a hostile 429 carries (one drawn per such answer).
GARBAGE_RETRY_AFTER = ("nan", "inf", "1e999", "-50", "1000000000", "soon", "")


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """What can go wrong for one vendor.

    Rates are probabilities per request (``1.0`` = every request). ``rate_limit`` is the number of
    requests admitted per ``rate_window`` seconds (None: the vendor's nominal limit, reported in
    headers but not enforced). ``latency`` seconds are added to every response. ``down`` drops
    every connection without a response. ``daily_budget`` (Pipedrive) is the number of requests
    left today; 0 gives 429s.

    Hostile answers: ``thin_answer`` reduces a 200 answer to a write to ``{"id": ...}``;
    ``garbage_429`` answers 429 with a nonsense ``Retry-After``/``RateLimit`` before anything is
    applied; ``slow_drip`` sends the body in pieces ``drip_delay`` seconds apart; ``huge_body``
    pads a 2xx JSON body with ``huge_body_bytes`` of trailing whitespace (still valid JSON).
    """

    error_rate: float = 0.0
    rate_limit: int | None = None
    rate_window: float | None = None
    latency: float = 0.0
    down: bool = False
    commit_then_drop: float = 0.0
    truncated_body: float = 0.0
    html_403: float = 0.0
    daily_budget: int | None = None
    thin_answer: float = 0.0
    garbage_429: float = 0.0
    slow_drip: float = 0.0
    drip_delay: float = 0.05
    huge_body: float = 0.0
    huge_body_bytes: int = 8 * 1024 * 1024

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(FaultSettings))


def _check(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - FIELD_NAMES
    if unknown:
        raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
    for name in RATE_FIELDS:
        if name in values and not 0.0 <= float(values[name]) <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    return values


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The faults chosen for one request."""

    latency: float = 0.0
    down: bool = False
    server_error: bool = False
    html_403: bool = False
    commit_then_drop: bool = False
    truncated_body: bool = False
    thin_answer: bool = False
    garbage_429: str | None = None
    slow_drip: float = 0.0
    huge_body: int = 0


@dataclass
class Faults:
    """Global fault settings plus per-vendor overrides, with one seeded random per vendor."""

    seed: int
    global_settings: dict[str, Any] = field(default_factory=dict)
    vendor_settings: dict[Vendor, dict[str, Any]] = field(default_factory=dict)
    _randoms: dict[Vendor, random.Random] = field(default_factory=dict)
    _hostile: dict[Vendor, random.Random] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        """Restart every vendor's random sequence from the seed."""
        self._randoms = {v: random.Random(f"{self.seed}:faults:{v.value}") for v in Vendor}
        self._hostile = {v: random.Random(f"{self.seed}:hostile:{v.value}") for v in Vendor}

    def clear(self) -> None:
        """Remove every setting and restart the random sequences."""
        self.global_settings = {}
        self.vendor_settings = {}
        self.reseed()

    def set(self, vendor: Vendor | None = None, **settings: Any) -> None:
        """Set faults for one vendor (overriding the global ones) or globally (vendor None)."""
        _check(settings)
        target = (
            self.global_settings
            if vendor is None
            else self.vendor_settings.setdefault(Vendor(vendor), {})
        )
        target.update(settings)

    def effective(self, vendor: Vendor) -> FaultSettings:
        """The settings that apply to ``vendor``: global ones, then its overrides."""
        merged = {**self.global_settings, **self.vendor_settings.get(vendor, {})}
        return FaultSettings(**merged)

    def draw(self, vendor: Vendor) -> FaultPlan:
        """Decide the faults for the next request to ``vendor``."""
        s = self.effective(vendor)
        rnd = self._randoms[vendor]
        rolls = [rnd.random() for _ in range(4)]
        more = self._hostile[vendor]
        hostile = [more.random() for _ in range(4)]
        garbage = more.choice(GARBAGE_RETRY_AFTER)
        return FaultPlan(
            latency=s.latency,
            down=s.down,
            server_error=rolls[0] < s.error_rate,
            html_403=rolls[1] < s.html_403,
            commit_then_drop=rolls[2] < s.commit_then_drop,
            truncated_body=rolls[3] < s.truncated_body,
            thin_answer=hostile[0] < s.thin_answer,
            garbage_429=garbage if hostile[1] < s.garbage_429 else None,
            slow_drip=s.drip_delay if hostile[2] < s.slow_drip else 0.0,
            huge_body=s.huge_body_bytes if hostile[3] < s.huge_body else 0,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "global": dict(self.global_settings),
            "vendors": {v.value: dict(s) for v, s in self.vendor_settings.items()},
            "effective": {v.value: self.effective(v).to_json() for v in Vendor},
        }

    def update_from_json(self, body: dict[str, Any]) -> None:
        """Apply ``{"clear": bool, "global": {...}, "<vendor>": {...}}`` (validated first)."""
        known = {"clear", "global", *(v.value for v in Vendor)}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
        for key in body.keys() - {"clear"}:
            if not isinstance(body[key], dict):
                raise ValueError(f"{key} must be an object")
            _check(body[key])
        if body.get("clear"):
            self.clear()
        if "global" in body:
            self.set(None, **body["global"])
        for vendor in Vendor:
            if vendor.value in body:
                self.set(vendor, **body[vendor.value])
