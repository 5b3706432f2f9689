"""calldesk's icons: one set (Phosphor glyphs) for the toolbar, the list's marks and the panels.

The glyphs come from ``resources/icons/phosphor-calldesk.ttf``, a subset of the Phosphor font
holding exactly the glyphs of :data:`ICONS` (cut by ``packaging/subset_icons.py`` from the font
qtawesome ships; ~5 KB, where loading the whole 1.4 MB font and its charmap cost ~10 ms of the
window's first paint). Icons follow the palette's text colour unless a colour is given (the state
marks pick one that reads on light and on dark backgrounds). Each icon renders its glyph once per
size and mode and reuses the pixmap. Nothing here touches PySide6's ``Qt`` namespace, which costs
~15 ms to build on first use: the first frame draws these icons (``calldesk.ui.window``).
Without the font the app still works, without icons.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPoint, QRect, QSize
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

from calldesk.resources import resources_dir

log = logging.getLogger(__name__)

#: The subset font under ``resources/icons``.
FONT_FILE = "phosphor-calldesk.ttf"

#: calldesk's names for its icons → (Phosphor name, code point in Phosphor 1.3.0).
ICONS: dict[str, tuple[str, int]] = {
    "new": ("plus-circle", 0xF280),
    "sync": ("arrows-clockwise", 0xF045),
    "search": ("magnifying-glass", 0xF20A),
    "accounts": ("users-three", 0xF354),
    "queue": ("tray", 0xF336),
    "synced": ("check-circle-fill", 0xF851),
    "pending": ("clock-fill", 0xF866),
    "failed": ("warning-circle-fill", 0xFAC6),
    "conflict": ("arrows-left-right-bold", 0xF3CB),
    "needs_auth": ("key-fill", 0xF94F),
    "online": ("wifi-high", 0xF363),
    "offline": ("wifi-slash", 0xF367),
    "info": ("info", 0xF1E0),
    "delete": ("trash", 0xF334),
    "recording": ("microphone", 0xF218),
    "filter": ("funnel", 0xF196),
}

_ALIGN_CENTER = 0x0084  # Qt::AlignCenter, as the int ``QPainter.drawText`` takes


def _app() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("calldesk's icons need a QApplication")
    return app


def is_dark() -> bool:
    """Whether the palette's base (list/field) colour is dark."""
    return QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128


class _GlyphEngine(QIconEngine):
    """Paints one font glyph in a colour (the palette's disabled text colour when disabled),
    centred at 7/8 of the icon's height as qtawesome draws it; one cached pixmap per size."""

    def __init__(self, family: str, char: str, colour: QColor) -> None:
        super().__init__()
        self._family = family
        self._char = char
        self._colour = colour  # not copied: QColor(QColor) would build the ``Qt`` namespace
        self._pixmaps: dict[tuple[int, int, bool, float], QPixmap] = {}

    def _render(self, size: QSize, disabled: bool, ratio: float) -> QPixmap:
        key = (size.width(), size.height(), disabled, ratio)
        found = self._pixmaps.get(key)
        if found is not None:
            return found
        width, height = max(1, round(size.width() * ratio)), max(1, round(size.height() * ratio))
        colour = self._colour
        if disabled:
            palette = QApplication.palette()
            colour = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        # The glyph in the painter's default pen, then tinted by painting the colour "source in":
        # ``QPainter.setPen(colour)`` would build the ``Qt`` namespace (see the module docstring).
        tint = QPixmap(width, height)
        tint.fill(colour)
        image = QPixmap(width, height)
        image.fill(QColor(0, 0, 0, 0))
        painter = QPainter(image)
        font = QFont(self._family)
        font.setPixelSize(max(1, round(0.875 * height)))
        painter.setFont(font)
        painter.drawText(QRect(QPoint(0, 0), image.size()), _ALIGN_CENTER, self._char)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.drawPixmap(0, 0, tint)
        painter.end()
        image.setDevicePixelRatio(ratio)
        self._pixmaps[key] = image
        return image

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        # The application's ratio, not ``painter.device()``'s: converting that device (a plain
        # QWidget viewport) to Python costs PySide6 ~9 ms the first time.
        ratio = _app().devicePixelRatio()
        painter.drawPixmap(rect, self._render(rect.size(), mode == QIcon.Mode.Disabled, ratio))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self._render(size, mode == QIcon.Mode.Disabled, 1.0)  # shared, not copied

    def clone(self) -> QIconEngine:
        return _GlyphEngine(self._family, self._char, self._colour)


class _Font:
    """The icon font's family, registered with Qt once (``family()`` is None without it)."""

    def __init__(self) -> None:
        self._loaded = False
        self._family: str | None = None

    def family(self) -> str | None:
        if not self._loaded:
            self._loaded = True
            self._family = self._register()
        return self._family

    @staticmethod
    def _register() -> str | None:
        try:
            path = resources_dir() / "icons" / FONT_FILE
        except FileNotFoundError as exc:
            log.warning("icons unavailable: %s", exc)
            return None
        font_id = QFontDatabase.addApplicationFont(str(path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            log.warning("icons unavailable: Qt could not load %s", path)
            return None
        return families[0]


_FONT = _Font()


def icon(name: str, colour: str | QColor | None = None) -> QIcon:
    """The icon called ``name`` (see :data:`ICONS`), in ``colour`` or the palette's text colour."""
    if isinstance(colour, QColor):
        tint = colour
    elif colour is not None:
        tint = QColor(colour)
    else:
        tint = QApplication.palette().color(QPalette.ColorRole.WindowText)
    family = _FONT.family()
    glyph = ICONS.get(name)
    if family is None or glyph is None:  # a missing font must not take the window down
        if glyph is None:
            log.warning("no icon called %s", name)
        return QIcon()
    return QIcon(_GlyphEngine(family, chr(glyph[1]), tint))
