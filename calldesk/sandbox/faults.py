"""Fault injection settings: seeded, replayable, settable globally and per vendor.

Each vendor draws its decisions from its own ``random.Random`` seeded from the sandbox seed and
the vendor name, and every request draws the same number of values whatever the settings, so the
same request sequence meets the same faults after a reset.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from typing import Any

from calldesk.domain.model import Vendor

RATE_FIELDS = ("error_rate", "commit_then_drop", "truncated_body", "html_403")


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """What can go wrong for one vendor.

    Rates are probabilities per request (``1.0`` = every request). ``rate_limit`` is the number of
    requests admitted per ``rate_window`` seconds (None: the vendor's nominal limit, reported in
    headers but not enforced). ``latency`` seconds are added to every response. ``down`` drops
    every connection without a response. ``daily_budget`` (Pipedrive) is the number of requests
    left today; 0 gives 429s.
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


@dataclass
class Faults:
    """Global fault settings plus per-vendor overrides, with one seeded random per vendor."""

    seed: int
    global_settings: dict[str, Any] = field(default_factory=dict)
    vendor_settings: dict[Vendor, dict[str, Any]] = field(default_factory=dict)
    _randoms: dict[Vendor, random.Random] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        """Restart every vendor's random sequence from the seed."""
        self._randoms = {v: random.Random(f"{self.seed}:faults:{v.value}") for v in Vendor}

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
        return FaultPlan(
            latency=s.latency,
            down=s.down,
            server_error=rolls[0] < s.error_rate,
            html_403=rolls[1] < s.html_403,
            commit_then_drop=rolls[2] < s.commit_then_drop,
            truncated_body=rolls[3] < s.truncated_body,
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
