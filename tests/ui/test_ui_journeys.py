"""The wrap-up loop as a rep drives it: keys and clicks on the real window over the real engine
and the sandbox CRMs on a real socket, asserting what the rep sees (issue 13's findings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from calldesk.domain import SyncState, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.ui.window import MainWindow
from tests.ui.test_ui_window_step4 import _accounts, running_window, until


def _type(window: MainWindow, name: str, text: str) -> None:
    """Click into field ``name`` of the open form and type ``text`` as keys."""
    form = window.form
    assert form is not None
    widget = form.fields[name].focus_widget()
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    QTest.keyClicks(widget, text)


async def _activate(window: MainWindow) -> None:
    window.activateWindow()
    await until(lambda: QApplication.activeWindow() is window)


def _state_of(window: MainWindow, local_id: str) -> SyncState | None:
    row = window.model.row_of(local_id)
    return window.model.row_at(row).state if row >= 0 else None


@pytest.mark.asyncio
async def test_a_saved_close_call_shows_logged_once_it_synced(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _activate(w)
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        form = w.form
        assert form is not None and form.mode_label.text() == "New call"
        _type(w, "phone", "+1 650 555 0142")
        QTest.keyClick(
            form.fields["phone"].focus_widget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )
        await until(lambda: w.editing is not None and w.editing[1] is not None)
        editing = w.editing
        assert editing is not None and editing[1] is not None
        local_id = editing[1]
        await until(lambda: _state_of(w, local_id) == SyncState.SYNCED)
        # the open editor follows: no reopening needed
        await until(lambda: form.mode_label.text() == "Editing a logged call")
        assert form.locked_reason() is None and form.fields["phone"].is_editable()
        assert w.notice_text_shown() is None
        # and the next change is an edit of the logged call, accepted
        _type(w, "phone", "+1 650 555 0143")
        QTest.keyClick(
            form.fields["phone"].focus_widget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )
        await until(lambda: not form.is_dirty() and form.message.isHidden())
        await until(
            lambda: any(
                c.get("phone") == "+16505550143"
                for c in sandbox_server.sandbox.apis[Vendor.CLOSE].calls.values()
            )
        )


@pytest.mark.asyncio
async def test_a_saved_pipedrive_call_locks_with_its_crm_id_once_it_synced(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as w:
        await _activate(w)
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        form = w.form
        assert form is not None
        outcome = form.fields["outcome"].focus_widget()
        outcome.setFocus(Qt.FocusReason.TabFocusReason)  # tabbed into, as a rep would
        QTest.keyClick(outcome, Qt.Key.Key_1)
        _type(w, "to_phone_number", "+1 650 555 0188")
        assert form.set_field_text("end_time", form.fields["start_time"].text())
        assert form.is_valid(), form.errors()
        phone = form.fields["to_phone_number"].focus_widget()
        QTest.keyClick(phone, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        await until(lambda: w.editing is not None and w.editing[1] is not None)
        editing = w.editing
        assert editing is not None and editing[1] is not None
        local_id = editing[1]
        await until(lambda: _state_of(w, local_id) == SyncState.SYNCED)
        reason = "Pipedrive doesn't allow changes to a logged call."
        await until(lambda: form.locked_reason() == reason)
        assert form.mode_label.text() == "Editing a logged call"
        assert (w.notice_text_shown() or "").startswith(reason)  # with "Delete call…" beside it
        assert not form.save_button.isEnabled() and form.save_button.toolTip() == reason
        call_id = form.fields["id"].focus_widget()
        record = await w.service.find("pipedrive", local_id)
        assert isinstance(call_id, QLineEdit) and call_id.isVisibleTo(form)
        assert record.remote_id and call_id.text() == record.remote_id
        # Ctrl+S now is no refusal from the service: the form is locked and says why
        QTest.keyClick(phone, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert form.message.isHidden() or "does not allow" not in form.message.text()
