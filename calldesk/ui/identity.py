"""calldesk's desktop identity: the id its .desktop and AppStream files use, and its icon.

``apply_identity(app)`` tells Qt the desktop file name (Wayland compositors and taskbars match
the window to ``io.github.calldesk.Calldesk.desktop`` by it; it must be set before the window is
shown) and, unless ``icon=False``, sets the window icon from the shipped SVG (``resources/icons``;
found in a checkout, an installed wheel and the bundle alike). ``apply_icon(app)`` sets the icon
alone: the launcher does that after the first frame, as loading Qt's SVG icon plugin takes ~1.5 ms.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon

from calldesk.resources import resources_dir

APP_ID = "io.github.calldesk.Calldesk"


def icon_path() -> Path:
    """The scalable application icon (freedesktop ``hicolor`` layout)."""
    return resources_dir() / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def apply_identity(app: QGuiApplication, *, icon: bool = True) -> None:
    """Set the desktop file name and (``icon``), when the icon is shipped, the window icon."""
    app.setDesktopFileName(APP_ID)
    if icon:
        apply_icon(app)


def apply_icon(app: QGuiApplication) -> None:
    """Set the window icon, when it is shipped."""
    icon = icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
