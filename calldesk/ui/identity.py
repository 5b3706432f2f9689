"""calldesk's desktop identity: the id its .desktop and AppStream files use, and its icon.

``apply_identity(app)`` tells Qt the desktop file name (Wayland compositors and taskbars match
the window to ``io.github.calldesk.Calldesk.desktop`` by it) and sets the window icon from the
shipped SVG (``resources/icons``; found in a checkout, an installed wheel and the bundle alike).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon

from calldesk.resources import resources_dir

APP_ID = "io.github.calldesk.Calldesk"


def icon_path() -> Path:
    """The scalable application icon (freedesktop ``hicolor`` layout)."""
    return resources_dir() / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def apply_identity(app: QGuiApplication) -> None:
    """Set the desktop file name and, when the icon is shipped, the window icon."""
    app.setDesktopFileName(APP_ID)
    icon = icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
