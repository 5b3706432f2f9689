"""The call list's columns and how a list line reads in them (times, durations, state marks).

Shared by the list's model (``calldesk.ui.call_model``) and the window's first frame
(``calldesk.ui.first_frame``), so both draw a line alike. Deliberately light: it imports neither
the domain model nor ``datetime`` nor PySide6's ``Qt`` namespace (see ``calldesk.ui.window`` on
the first frame), and takes any line with the fields of ``calldesk.store.calls.CallSummary``.
"""

from __future__ import annotations

import time
from typing import Protocol

from PySide6.QtCore import QCoreApplication

#: (column title, sort key of ``CallQuery``)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("", "state"),
    ("When", "when"),
    ("Contact / phone", "who"),
    ("Direction", "direction"),
    ("Duration", "duration"),
    ("Outcome", "outcome"),
    ("Note", "note"),
    ("Account", "account"),
)
STATE_COLUMN = 0

#: Per sync state (``calldesk.domain.SyncState``'s values): the icon (``calldesk.ui.icons``),
#: its tooltip and its colour on light / dark backgrounds.
STATE_MARKS: dict[str, tuple[str, str, str, str]] = {
    "synced": ("synced", "Synced: the CRM has this version", "#1b7f3b", "#7ddc92"),
    "pending": ("pending", "Pending: saved here, waiting to be sent", "#8a5a00", "#ffcc66"),
    "in-flight": ("pending", "Sending to the CRM now", "#8a5a00", "#ffcc66"),
    "failed": ("failed", "Failed: the CRM refused it (open the queue)", "#b3261e", "#ff8a80"),
    "conflict": (
        "conflict",
        "Conflict: changed in the CRM meanwhile (open it to choose)",
        "#6a3fb5",
        "#c7a6ff",
    ),
    "needs-auth": ("needs_auth", "Waiting for a valid API key", "#b3261e", "#ff8a80"),
}


class ListLine(Protocol):
    """What a list line needs to be shown (``CallSummary``, ``GlanceRow``)."""

    @property
    def state(self) -> str: ...
    @property
    def when_ts(self) -> float | None: ...
    @property
    def who(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def duration_s(self) -> int | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def note_preview(self) -> str: ...
    @property
    def account(self) -> str: ...


def tr(text: str) -> str:
    """Translate in the call list's context."""
    return QCoreApplication.translate("CallListModel", text)


def header_title(section: int, sort: str, descending: bool) -> str:
    """Column ``section``'s title, with ▼/▲ on the column the list is sorted by.

    Our own arrow: Qt's sort indicator points up for "descending", which reads as ascending.
    """
    title, key = COLUMNS[section]
    if not title:
        return ""
    if key == sort:
        return f"{tr(title)} {'▼' if descending else '▲'}"
    return tr(title)


def format_when(ts: float | None, now: float | None = None) -> str:
    """Local time: ``10:42`` today, ``Yesterday 10:42``, ``21 Nov 10:42``, else ``21 Nov 2024``."""
    if ts is None:
        return "—"
    try:
        moment = time.localtime(ts)
    except (OverflowError, OSError, ValueError):
        return "—"
    today = time.localtime(time.time() if now is None else now)
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M", moment)
    noon_before = time.mktime((today.tm_year, today.tm_mon, today.tm_mday - 1, 12, 0, 0, 0, 0, -1))
    if moment[:3] == time.localtime(noon_before)[:3]:
        return tr("Yesterday {time}").format(time=time.strftime("%H:%M", moment))
    if moment.tm_year == today.tm_year:
        return time.strftime("%d %b %H:%M", moment)
    return time.strftime("%d %b %Y", moment)


def format_duration(seconds: int | None) -> str:
    """``4:12`` or ``1:02:03``; a dash when unknown."""
    if seconds is None:
        return "—"
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def who_text(line: ListLine) -> str:
    """Contact and phone, either, or a dash."""
    if line.who and line.phone:
        return f"{line.who}  {line.phone}"
    return line.who or line.phone or "—"


def cell_text(line: ListLine, column: int) -> str:
    """What column ``column`` shows for ``line``."""
    match COLUMNS[column][1]:
        case "when":
            return format_when(line.when_ts)
        case "who":
            return who_text(line)
        case "direction":
            return line.direction or "—"
        case "duration":
            return format_duration(line.duration_s)
        case "outcome":
            return line.outcome or "—"
        case "note":
            return line.note_preview.replace("\n", " ")
        case "account":
            return line.account
    return ""


def state_tip(state: str) -> str:
    """The state mark's tooltip."""
    mark = STATE_MARKS.get(state)
    return tr(mark[1]) if mark is not None else state
