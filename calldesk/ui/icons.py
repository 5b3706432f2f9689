"""calldesk's icons: one set (Phosphor, through qtawesome) for the toolbar and the state marks.

Icons follow the palette's text colour unless a colour is given (the state marks pick one that
reads on light and on dark backgrounds). Without qtawesome the app still works, without icons.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

#: calldesk's names for its icons → Phosphor names.
ICONS: dict[str, str] = {
    "new": "ph.plus-circle",
    "sync": "ph.arrows-clockwise",
    "search": "ph.magnifying-glass",
    "accounts": "ph.users-three",
    "queue": "ph.tray",
    "synced": "ph.check-circle-fill",
    "pending": "ph.clock-fill",
    "failed": "ph.warning-circle-fill",
    "conflict": "ph.arrows-left-right-bold",
    "needs_auth": "ph.key-fill",
    "online": "ph.wifi-high",
    "offline": "ph.wifi-slash",
    "info": "ph.info",
    "delete": "ph.trash",
    "recording": "ph.microphone",
}


def is_dark() -> bool:
    """Whether the palette's base (list/field) colour is dark."""
    return QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128


def icon(name: str, colour: str | QColor | None = None) -> QIcon:
    """The icon called ``name`` (see :data:`ICONS`), in ``colour`` or the palette's text colour."""
    try:
        import qtawesome
    except ImportError:  # pragma: no cover - qtawesome is a dependency; degrade, don't crash
        return QIcon()
    tint = colour or QApplication.palette().color(QPalette.ColorRole.WindowText)
    try:
        made: QIcon = qtawesome.icon(ICONS[name], color=tint)
    except Exception as exc:  # a font that failed to load must not take the window down
        log.warning("icon %s unavailable: %s", name, exc)
        return QIcon()
    return made
