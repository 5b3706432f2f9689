"""Save screenshots of the demo window into docs/screenshots/ (offscreen Qt, no display needed).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [out_dir]

Shows: the main window in light and dark, the editor of each vendor, a validation error, the
queue panel, a recording being uploaded to a Pipedrive call, Close refusing recording files, the
accounts dialog and a conflict. Uses the demo backend (sandbox CRMs in-process, fresh data).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from calldesk.app import account_tools, demo_accounts, demo_backend
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.store.secrets import MemorySecrets
from calldesk.ui.conflict_view import lookup_labels
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
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(disabled, role, QColor("#7a7a7a"))  # greyed out, as a real dark theme has it
    return p


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def save(widget: QWidget, out: Path, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(out / name))
    print("saved", out / name)


def sample_wav(path: Path, seconds: int = 134) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(struct.pack("<h", 0) * 8000 * seconds)
    return path


async def first_row(window: MainWindow, account: str) -> int:
    rows = window.model.rows()
    return next(n for n, r in enumerate(rows) if r.account == account and r.remote_id)


async def shoot_extras(window: MainWindow, out: Path, home: Path) -> None:
    """Recording upload (Pipedrive), refusal (Close), accounts dialog and a conflict."""
    window.set_offline(True)  # the upload waits, so the shot can show it part-way
    row = await first_row(window, "pipedrive")
    window.table.selectRow(row)
    await asyncio.sleep(0.4)
    await window.settle()
    zone = window.drop_zone
    assert zone is not None
    zone.take_file(sample_wav(home / "call-2024-11-21-dana.wav"))
    await until(lambda: zone.op_id() is not None)
    op_id = zone.op_id()
    assert op_id is not None
    size = zone.info().size if zone.info() else 1  # type: ignore[union-attr]
    zone.set_progress(op_id, size * 43 // 100, size)  # as the engine reports it mid-upload
    await asyncio.sleep(0.2)
    save(window, out, "recording-upload.png")
    save(window.splitter.widget(2), out, "recording-upload-editor.png")
    zone.cancel_button.click()
    window.set_offline(False)

    row = await first_row(window, "close")
    window.table.selectRow(row)
    await asyncio.sleep(0.4)
    await window.settle()
    save(window.splitter.widget(2), out, "recording-close-refusal.png")

    window.open_accounts()
    dialog = window.accounts_dialog
    assert dialog is not None
    dialog.resize(760, 420)
    await asyncio.sleep(0.3)
    save(dialog, out, "accounts-dialog.png")
    dialog.close()

    record = window.model.row_at(row)
    found = await window.service.find("close", record.local_id)
    mine = dict(found.fields)
    theirs = dict(found.fields)
    mine["note"] = "Wants a quote for 25 seats; call back Tuesday."
    theirs["note"] = "Wants a quote for 20 seats."
    outcomes = await window.service.lookup("close", "outcomes")
    other = next((o.id for o in outcomes if o.id != mine.get("outcome_id")), None)
    theirs["outcome_id"] = other
    mine["phone"] = "+13125550196"
    theirs["phone"] = "+13125550199"
    schema = window.service.schema_for("close")
    labels = await lookup_labels(
        schema,
        mine,
        theirs,
        lookups=lambda source, query: window.service.lookup("close", source, query),
    )
    window.conflict_view.show_conflict(
        schema, "close", record.local_id, mine, theirs, labels=labels
    )
    window.editor_stack.setCurrentWidget(window.conflict_view)
    window._show_zone(None)
    await asyncio.sleep(0.3)
    save(window, out, "conflict.png")


async def shoot(out: Path, home: Path) -> None:
    paths = Paths.under(home).ensure()
    tools = account_tools(AccountsConfig.for_paths(paths), MemorySecrets(), builtin=demo_accounts())
    async with demo_backend(paths, tools=tools) as backend:
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
        await shoot_extras(window, out, home)

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

        # A Close call whose lead was merged away in the CRM: refused, with Close's reason.
        values, _errors = window.service.schema_for("close").parse_inputs(
            {
                "activity_at": "2026-11-21T09:30:00+00:00",
                "phone": "+16505550177",
                "lead_id": "lead_mergedAwayInTheCrm000000000000000000000",
            }
        )
        await window.service.log_call("close", values)
        window.sync_now()
        await asyncio.sleep(1.0)
        await window.settle()

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
        panel = window.queue_panel
        for index in range(panel.tree.topLevelItemCount()):
            item = panel.tree.topLevelItem(index)
            if item is not None and item.text(1) == "close":
                panel.tree.setCurrentItem(item)
        save(panel, out, "queue-panel.png")
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
