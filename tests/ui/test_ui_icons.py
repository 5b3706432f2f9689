"""The icon set: the shipped subset font holds every glyph ``ICONS`` names, and icons render."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QRawFont

from calldesk.resources import resources_dir
from calldesk.ui.icons import FONT_FILE, ICONS, icon


def test_the_shipped_font_has_every_glyph(qapp: object) -> None:
    font = QRawFont(str(resources_dir() / "icons" / FONT_FILE), 16)
    assert font.isValid()
    missing = [key for key, (_name, code) in ICONS.items() if not font.supportsCharacter(code)]
    assert missing == []


def test_an_icon_renders_its_glyph_in_its_colour(qapp: object) -> None:
    image = icon("synced", "#1b7f3b").pixmap(QSize(24, 24)).toImage()
    painted = [
        image.pixelColor(x, y)
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert len(painted) > 40  # a filled circle, not an empty square
    assert all(c.green() > c.red() for c in painted)


def test_disabled_icons_use_the_disabled_text_colour(qapp: object) -> None:
    tinted = icon("new", QColor("#ff0000"))
    normal = tinted.pixmap(QSize(20, 20), QIcon.Mode.Normal).toImage()
    disabled = tinted.pixmap(QSize(20, 20), QIcon.Mode.Disabled).toImage()
    red = [normal.pixelColor(x, y) for x in range(20) for y in range(20)]
    assert any(c.alpha() > 200 and c.red() > 200 and c.green() < 60 for c in red)
    grey = [
        disabled.pixelColor(x, y)
        for x in range(20)
        for y in range(20)
        if disabled.pixelColor(x, y).alpha() > 200
    ]
    assert grey and not any(c.red() > 200 and c.green() < 60 for c in grey)


def test_an_unknown_icon_is_empty_not_an_error(qapp: object) -> None:
    assert icon("no-such-icon").isNull()
