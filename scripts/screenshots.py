"""Save screenshots of the demo window into docs/screenshots/ (offscreen Qt, no display needed).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [out_dir]

Shows: the main window in light and dark, the editor of each vendor, a validation error and the
queue panel. Uses the demo backend (sandbox CRMs in-process, fresh temporary data).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from calldesk.app import demo_backend
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow


def dark_palette() -> QPalette:
    """A plain dark palette (offscreen Qt has no platform theme to ask)."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#333333",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d6fb4",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#333333",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#9a9a9a",
        QPalette.ColorRole.Mid: "#444444",
        QPalette.ColorRole.Dark: "#151515",
        QPalette.ColorRole.Light: "#4a4a4a",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    return p


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def save(widget: QWidget, out: Path, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(out / name))
    print("saved", out / name)


async def shoot(out: Path, home: Path) -> None:
    paths = Paths.under(home).ensure()
    async with demo_backend(paths) as backend:
        window = MainWindow(backend, settings_path=paths.config_dir / "window.ini")
        window.resize(1440, 860)
        window.show()
        window.start()
        await window.refresh_all()
        await until(lambda: window.model.rowCount() > 20)
        window.table.selectRow(1)
        await asyncio.sleep(0.5)
        await window.settle()
        save(window, out, "main-light.png")

        for name in backend.service.accounts():
            window.new_call(name)
            await asyncio.sleep(0.2)
            form = window.form
            if form is not None:
                save(form, out, f"editor-{name}.png")

        window.new_call("close")
        form = window.form
        assert form is not None
        form.load_draft({"duration": "700000", "phone": "not a phone"})
        form.request_save(and_new=False)
        await asyncio.sleep(0.3)
        save(window, out, "validation-error.png")

        window.set_offline(True)
        window.new_call("pipedrive")
        form = window.form
        assert form is not None
        form.load_draft(
            {
                "outcome": "connected",
                "to_phone_number": "+1 650 555 1234",
                "end_time": "2026-11-21T10:46:12+01:00",
                "start_time": "2026-11-21T10:42:00+01:00",
                "duration": "4:12",
                "subject": "Demo call while offline",
            }
        )
        await window.save(form.values())
        await asyncio.sleep(0.5)
        await window.settle()
        window.open_queue()
        await asyncio.sleep(0.5)
        await window.settle()
        save(window.queue_panel, out, "queue-panel.png")
        window.queue_panel.close()
        save(window, out, "main-offline.png")

        app = QApplication.instance()
        assert isinstance(app, QApplication)
        QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        app.setPalette(dark_palette())
        window.new_call("close")
        await asyncio.sleep(0.3)
        window.table.selectRow(2)
        await asyncio.sleep(0.5)
        await window.settle()
        save(window, out, "main-dark.png")
        window.close()
        await window.settle()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").absolute()
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv)
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setQuitOnLastWindowClosed(False)
    home = Path(tempfile.mkdtemp(prefix="calldesk-shots-"))
    try:
        qasync.run(shoot(out, home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
