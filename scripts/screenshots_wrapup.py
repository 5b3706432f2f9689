"""Save screenshots of caller ID and the phone rules in the demo window (offscreen Qt).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_wrapup.py [out_dir]

Shows, at 1280x800 and 1024x700: a Close call whose typed number links its contact; a number
two contacts share, with the picker; a number nobody has; offline with a number never asked; and
a Pipedrive call with an unknown-range national number (accepted with a warning).
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

import httpx
import qasync
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from calldesk.app import demo_accounts, open_backend
from calldesk.domain import Vendor
from calldesk.sandbox import SANDBOX_KEYS, create_app
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def save(widget: QWidget, out: Path, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(out / name))
    print("saved", out / name)


async def type_phone(window: MainWindow, field: str, text: str) -> None:
    form = window.form
    assert form is not None
    edit = form.fields[field].focus_widget()
    edit.setFocus()
    edit.clear()  # type: ignore[attr-defined]
    edit.insert(text)  # type: ignore[attr-defined]
    await asyncio.sleep(0.8)


async def shoot(out: Path, home: Path) -> None:
    paths = Paths.under(home).ensure()
    sandbox = create_app()  # the demo's sandboxes, kept at hand to share a number
    contacts = sandbox.state.sandbox.apis[Vendor.CLOSE].contacts
    async with open_backend(
        paths,
        demo_accounts(),
        lambda account: SANDBOX_KEYS[account.vendor],
        transport_for=lambda account: httpx.ASGITransport(app=sandbox),
        demo=True,
    ) as backend:
        window = MainWindow(backend, settings_path=paths.config_dir / "window.ini")
        window.show()
        window.start()
        await window.refresh_all()
        await until(lambda: window.model.rowCount() > 20)
        for width, height in ((1280, 800), (1024, 700)):
            window.resize(width, height)
            suffix = "" if width == 1280 else "-1024"
            window.new_call("close")
            await asyncio.sleep(0.3)
            phone = contacts[0]["phones"][0]["phone"]
            await type_phone(window, "phone", phone.removeprefix("+1"))
            await until(lambda: "linked" in window.editor.assists["close"].status_text())
            save(window, out, f"callerid-linked{suffix}.png")
            if len(contacts[1]["phones"]) == 1:
                contacts[1]["phones"].append({"phone": phone, "type": "mobile"})
            window.new_call("close")
            await type_phone(window, "phone", "+1 212 555 0100")  # forces a fresh search below
            await type_phone(window, "phone", phone)
            fresh = await window.backend.callerid.match("close", phone, refresh=True)
            window.editor.assists["close"].show_result(fresh)  # the CRM's answer of now
            await asyncio.sleep(0.3)
            save(window, out, f"callerid-picker{suffix}.png")
            window.new_call("close")
            await type_phone(window, "phone", "+1 650 555 0000")
            await asyncio.sleep(0.5)
            save(window, out, f"callerid-none{suffix}.png")
        window.resize(1280, 800)
        window.set_offline(True)
        window.new_call("close")
        await type_phone(window, "phone", "+1 650 555 0001")
        await asyncio.sleep(0.8)
        save(window, out, "callerid-offline.png")
        window.set_offline(False)
        window.new_call("pipedrive")
        await type_phone(window, "to_phone_number", "5551234567")
        await asyncio.sleep(0.5)
        save(window, out, "phone-unknown-range.png")
        from calldesk.domain.templates import NoteTemplate

        templates = backend.templates
        assert templates is not None
        await templates.save(
            NoteTemplate(
                "pipedrive",
                "Voicemail",
                "Left voicemail, will call back {weekday}",
                "left_voicemail",
                is_default=True,
            )
        )
        assist = window.editor.templates["pipedrive"]
        assist.edit_templates()
        await until(lambda: assist.dialog is not None and assist.dialog.list.count() > 0)
        await asyncio.sleep(0.3)
        assert assist.dialog is not None
        save(assist.dialog, out, "templates-dialog.png")
        assist.dialog.accept()
        form = window.form
        assert form is not None
        form.set_field_text("outcome", "left_voicemail")
        await asyncio.sleep(0.5)
        save(window, out, "template-inserted.png")
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
