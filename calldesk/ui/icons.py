"""calldesk's icons: one set (Phosphor, from qtawesome's font files) for the toolbar and marks.

Icons follow the palette's text colour unless a colour is given (the state marks pick one that
reads on light and on dark backgrounds). The glyphs are drawn the way qtawesome draws them
(centred, 7/8 of the icon's height) from the Phosphor font qtawesome ships, but without importing
qtawesome: it imports qtpy and loads every icon font it bundles on first use (~0.3 s), which
would hold back the window's first paint. Without the font the app still works, without icons.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
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


class _GlyphEngine(QIconEngine):
    """Paints one font glyph in a colour (the palette's disabled text colour when disabled)."""

    def __init__(self, family: str, char: str, colour: QColor) -> None:
        super().__init__()
        self._family = family
        self._char = char
        self._colour = QColor(colour)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        colour = self._colour
        if mode == QIcon.Mode.Disabled:
            palette = QApplication.palette()
            colour = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        painter.setPen(colour)
        font = QFont(self._family)
        font.setPixelSize(max(1, round(0.875 * rect.height())))
        painter.setFont(font)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), self._char)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        image = QPixmap(size)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return image

    def clone(self) -> QIconEngine:
        return _GlyphEngine(self._family, self._char, self._colour)


@functools.cache
def _phosphor() -> tuple[str, dict[str, str]]:
    """The Phosphor font's family (registered once per process) and its name → glyph map."""
    spec = importlib.util.find_spec("qtawesome")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("qtawesome is not installed")
    fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    font_file = next(iter(sorted(fonts.glob("phosphor-*.ttf"))), None)
    charmap_file = next(iter(sorted(fonts.glob("phosphor-charmap-*.json"))), None)
    if font_file is None or charmap_file is None:
        raise FileNotFoundError(f"no Phosphor font in {fonts}")
    font_id = QFontDatabase.addApplicationFont(str(font_file))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        raise OSError(f"Qt could not load {font_file.name}")
    codes: dict[str, str] = json.loads(charmap_file.read_text(encoding="utf-8"))
    return families[0], {name: chr(int(code, 16)) for name, code in codes.items()}


def icon(name: str, colour: str | QColor | None = None) -> QIcon:
    """The icon called ``name`` (see :data:`ICONS`), in ``colour`` or the palette's text colour."""
    tint = QColor(colour) if colour is not None else None
    if tint is None:
        tint = QApplication.palette().color(QPalette.ColorRole.WindowText)
    try:
        family, chars = _phosphor()
        char = chars[ICONS[name].removeprefix("ph.")]
    except (OSError, ValueError, KeyError) as exc:  # a missing font must not take the window down
        log.warning("icon %s unavailable: %s", name, exc)
        return QIcon()
    return QIcon(_GlyphEngine(family, char, tint))
