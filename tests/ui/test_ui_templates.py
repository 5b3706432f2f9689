"""Journeys: note templates in the real window (Pipedrive sandbox over a real socket): made in
the templates dialog, inserted with Ctrl+T and a digit, and by default when an outcome is chosen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from calldesk.app import open_backend
from calldesk.domain import Account, KeySource, Vendor
from calldesk.domain.templates import NoteTemplate
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow
from tests.helpers.waiting import until


@pytest_asyncio.fixture
async def window(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> AsyncIterator[MainWindow]:
    paths = Paths.under(calldesk_home)
    account = Account(
        "pd", Vendor.PIPEDRIVE, sandbox_server.base_url(Vendor.PIPEDRIVE), KeySource("env", "K")
    )
    async with open_backend(paths, [account], lambda a: SANDBOX_KEYS[a.vendor]) as backend:
        win = MainWindow(backend, settings_path=paths.config_dir / "window.ini")
        qtbot.addWidget(win)
        win.show()
        win.start()
        try:
            await until(lambda: win.form is not None and "pd" in win.editor.templates)
            yield win
        finally:
            win.close()
            await win.shutdown()


def _note(window: MainWindow) -> str:
    form = window.form
    assert form is not None
    return str(form.fields["note"].focus_widget().toPlainText())  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_a_template_made_in_the_dialog_is_inserted_with_ctrl_t_and_a_digit(
    qtbot: QtBot, window: MainWindow
) -> None:
    assist: Any = window.editor.templates["pd"]
    assist.edit_templates()
    dialog = assist.dialog
    await until(lambda: dialog.isVisible() and dialog.outcome.count() > 1)
    qtbot.keyClicks(dialog.name, "Voicemail")
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("left_voicemail"))
    dialog.body.setFocus()
    qtbot.keyClicks(dialog.body, "Left voicemail, will call back {weekday}")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: dialog.message.text() == "Saved.")
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [
        "Voicemail · Left voicemail"
    ]
    dialog.accept()

    form = window.form
    assert form is not None
    form.set_field_text("outcome", "left_voicemail")
    window.activateWindow()
    await until(lambda: QApplication.activeWindow() is window)
    note = form.fields["note"].focus_widget()
    note.setFocus()
    qtbot.keyClick(note, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: assist.menu.isVisible())
    assert [a.text() for a in assist.menu.actions() if a.text()][:1] == ["&1  Voicemail"]
    qtbot.keyClick(assist.menu, Qt.Key.Key_1)
    await until(lambda: _note(window).startswith("Left voicemail, will call back "))
    weekday = _note(window).removeprefix("Left voicemail, will call back ")
    assert weekday in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


@pytest.mark.asyncio
async def test_choosing_an_outcome_inserts_its_default_template(
    qtbot: QtBot, window: MainWindow
) -> None:
    assist: Any = window.editor.templates["pd"]
    await window.backend.templates.save(  # type: ignore[union-attr]
        NoteTemplate("pd", "Busy", "Line busy, retry at {time}", "busy", is_default=True)
    )
    await window.backend.templates.save(  # type: ignore[union-attr]
        NoteTemplate("pd", "Any", "Spoke briefly")
    )
    assist.reload()
    await until(lambda: len(assist.templates) == 2)
    window.new_call("pd")
    form = window.form
    assert form is not None
    outcome = form.fields["outcome"].focus_widget()
    outcome.setFocus()
    qtbot.keyClick(outcome, Qt.Key.Key_6)  # Pipedrive's key 6 is "Busy"
    await until(lambda: _note(window).startswith("Line busy, retry at "))
    assert form.fields["outcome"].text() == "busy"
    qtbot.keyClick(outcome, Qt.Key.Key_1)  # a note is there now: nothing more is inserted
    await until(lambda: form.fields["outcome"].text() == "connected")
    assert _note(window).startswith("Line busy") and "\n" not in _note(window)
