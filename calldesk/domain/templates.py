"""Note templates: short texts a rep keeps per outcome ("Left voicemail, will call back
{weekday}"), and how their ``{placeholders}`` are filled in. Pure: no I/O, the time is given."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

#: The placeholders a template may use, with what each becomes (shown in the editor's help).
PLACEHOLDERS: Mapping[str, str] = {
    "weekday": "the next working day (Monday to Friday), e.g. Friday: the day to call back",
    "today": "today's weekday, e.g. Thursday",
    "date": "today's date, e.g. 2026-12-03",
    "time": "the time now, e.g. 10:42",
    "contact": "the linked contact's name (blank when none)",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class NoteTemplate:
    """One template: for ``outcome`` (its wire value; ``""`` for any), inserted by default when
    that outcome is chosen if ``is_default``; ``template_id`` is ``None`` until stored."""

    account: str
    name: str
    body: str
    outcome: str = ""
    is_default: bool = False
    position: int = 0
    template_id: int | None = None


def next_working_day(moment: datetime) -> datetime:
    """The next day from Monday to Friday after ``moment`` (Friday -> Monday)."""
    day = moment + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def render_template(body: str, now: datetime, values: Mapping[str, str] | None = None) -> str:
    """``body`` with its placeholders filled in for the local time ``now``; ``values`` supplies
    the rest (``contact``). An unknown ``{word}`` is left as typed, so nothing is lost."""
    filled = {
        "weekday": _DAYS[next_working_day(now).weekday()],
        "today": _DAYS[now.weekday()],
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M"),
        "contact": "",
        **(values or {}),
    }
    return _PLACEHOLDER.sub(lambda m: filled.get(m.group(1), m.group(0)), body)
