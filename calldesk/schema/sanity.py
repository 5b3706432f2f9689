"""What no CRM should receive whatever the field: control characters in text, absurd dates.

Text and notes lose C0/C1 control characters (``\\x01``, ESC, DEL ...) but keep tabs and line
breaks; a call's time must fall within :data:`EARLIEST` … :data:`LATEST` (no year 0001).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def strip_controls(text: str) -> str:
    """``text`` without control characters other than tab, line feed and carriage return."""
    return _CONTROLS.sub("", text)


def moment_errors(moment: datetime, label: str) -> list[str]:
    """Why ``moment`` is not a plausible time for a call (empty when it is)."""
    if not EARLIEST <= moment < LATEST:
        return [f"{label} must be between {EARLIEST.year} and {LATEST.year - 1}"]
    return []
