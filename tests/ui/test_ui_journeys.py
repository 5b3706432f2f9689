"""The wrap-up loop as a rep drives it: keys and clicks on the real window over the real engine
and the sandbox CRMs on a real socket, asserting what the rep sees (issue 13's findings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from calldesk.domain import SyncState, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.ui.window import MainWindow
from tests.helpers.shots import shots_dir
from tests.ui.test_ui_window_step4 import _accounts, _wav, running_window, until


def _shot(window: MainWindow, name: str, size: tuple[int, int] = (1280, 800)) -> None:
    """Keep a picture of the window for a person to look at (not compared)."""
    window.resize(*size)
    QApplication.processEvents()
    assert window.grab().save(str(shots_dir() / f"journey-{name}.png"))


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
        _shot(w, "close-synced")
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
        # History says it in words (the request itself is in the tooltip)
        toggle = w.history_toggle
        await until(lambda: toggle.text().startswith("History (") and toggle.isEnabled())
        QTest.mouseClick(toggle, Qt.MouseButton.LeftButton)
        history = w.editor.history.list
        await until(lambda: history.isVisible() and history.count() >= 2)
        lines = [history.item(n).text() for n in range(history.count())]
        assert any(line.startswith("Call logged in Close, ") for line in lines), lines
        assert any(line.startswith("Changes sent to Close, ") for line in lines), lines
        assert not any("/close/api" in line for line in lines), lines
        _shot(w, "history-in-words")
        assert "/close/api" in (history.item(0).toolTip() or "")
        # a new call shows no old history
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        assert toggle.text() == "History" and not toggle.isEnabled()
        assert history.count() == 0


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
        _shot(w, "pipedrive-locked-after-sync")
        # Ctrl+S now is no refusal from the service: the form is locked and says why
        QTest.keyClick(phone, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert form.message.isHidden() or "does not allow" not in form.message.text()


def _click_row(window: MainWindow, row: int) -> None:
    index = window.model.index(row, 2)
    rect = window.table.visualRect(index)
    QTest.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.asyncio
async def test_typed_text_stays_with_its_call_when_switching_rows(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _activate(w)
        await w.refresh_all()
        await until(lambda: w.model.rowCount() >= 2)
        first, second = w.model.row_at(0), w.model.row_at(1)
        _click_row(w, 0)
        await until(lambda: w.editing == ("close", first.local_id))
        await w.settle()
        form = w.form
        assert form is not None
        before = form.fields["phone"].text()
        _type(w, "phone", "+1 650 555 0199")
        assert form.is_dirty()
        _click_row(w, 1)
        await until(lambda: w.editing == ("close", second.local_id))
        await w.settle()
        assert form.fields["phone"].text() != "+1 650-555-0199"  # the other call's own phone
        # the call left with unsaved edits is marked in the list (and says so to a reader)
        row = w.model.row_of(first.local_id)
        who = w.model.index(row, 2).data()
        assert who.startswith("✎ "), who
        assert "unsaved edits" in w.model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
        _shot(w, "unsaved-mark")
        # stored at once: a crash or a close now loses nothing
        drafts = await w.service.drafts()
        kept = [d.form.get("phone") for d in drafts if d.local_id == first.local_id]
        assert kept in (["+1 650 555 0199"], ["+1 650-555-0199"])
        _click_row(w, w.model.row_of(first.local_id))
        await until(lambda: w.editing == ("close", first.local_id))
        await w.settle()
        assert form.fields["phone"].text() in ("+1 650 555 0199", "+1 650-555-0199")
        assert form.is_dirty() and before != form.fields["phone"].text()
        assert w.statusBar().currentMessage() == "Your unsaved edits of this call are back."
        # undoing the edit by hand and leaving forgets it: no mark any more
        _type(w, "phone", before)
        await until(lambda: not form.is_dirty())
        _click_row(w, w.model.row_of(second.local_id))
        await until(lambda: w.editing == ("close", second.local_id))
        await until(
            lambda: not w.model.index(w.model.row_of(first.local_id), 2).data().startswith("✎")
        )


@pytest.mark.asyncio
async def test_ctrl_n_on_a_call_being_typed_sets_it_aside_and_it_comes_back(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _activate(w)
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        form = w.form
        assert form is not None
        _type(w, "phone", "+1 650 555 0121")
        phone = form.fields["phone"].focus_widget()
        QTest.keyClick(phone, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        assert form.fields["phone"].text() == "" and not form.is_dirty()
        assert "set aside" in w.statusBar().currentMessage()
        QTest.keyClick(
            w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        await until(lambda: form.fields["phone"].text() != "")
        assert form.fields["phone"].text() in ("+1 650 555 0121", "+1 650-555-0121")
        assert w.editing == ("close", None) and form.is_dirty()
        assert w.statusBar().currentMessage() == "Brought back the call you were typing."


@pytest.mark.asyncio
async def test_attach_a_recording_by_keyboard_saving_a_new_call_first(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, tmp_path: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as w:
        await _activate(w)
        w.set_offline(True)  # the new call stays editable (not yet in Pipedrive)
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        form = w.form
        assert form is not None
        # a new call says "save first" and offers to do both
        button = w.editor.recordings.save_attach_button
        assert w.drop_hint.isVisible() and button.isVisible()
        assert button.text() == "Save and attach a recording…"
        _shot(w, "save-and-attach", (1024, 700))
        menu_texts = [a.text() for a in w.chrome.menus["file"].actions()]
        assert "Attach recording…" in menu_texts
        outcome = form.fields["outcome"].focus_widget()
        outcome.setFocus(Qt.FocusReason.TabFocusReason)
        QTest.keyClick(outcome, Qt.Key.Key_1)
        _type(w, "to_phone_number", "+1 650 555 0177")
        assert form.set_field_text("end_time", form.fields["start_time"].text())
        phone = form.fields["to_phone_number"].focus_widget()
        QTest.keyClick(
            phone,
            Qt.Key.Key_A,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        await until(lambda: w.editing is not None and w.editing[1] is not None)
        zone = w.drop_zone
        assert zone is not None and zone.isVisible() and not button.isVisible()
        await until(lambda: zone.file_dialog() is not None and zone.file_dialog().isVisible())
        dialog = zone.file_dialog()
        assert dialog is not None
        wav = _wav(tmp_path / "call.wav")
        dialog.fileSelected.emit(str(wav))
        dialog.close()
        await until(lambda: zone.op_id() is not None)
        assert zone.name_label.text() == "call.wav"


@pytest.mark.asyncio
async def test_f1_lists_every_shortcut(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _activate(w)
        assert [m.title().replace("&", "") for m in w.chrome.menus.values()] == [
            "File",
            "Edit",
            "View",
            "Help",
        ]
        QTest.keyClick(w, Qt.Key.Key_F1)
        await until(lambda: w.findChild(QDialog, "shortcut_help") is not None)
        help_box = w.findChild(QDialog, "shortcut_help")
        assert help_box is not None and help_box.isVisible() and not help_box.isModal()
        QApplication.processEvents()
        assert help_box.grab().save(str(shots_dir() / "journey-shortcut-help.png"))
        text = help_box.findChild(QLabel, "shortcut_list").text()
        for keys, what in (
            ("Ctrl+N", "New call log"),
            ("Ctrl+Shift+A", "Attach recording"),
            ("F5", "Sync now"),
            ("Ctrl+F", "Search"),
            ("Ctrl+Alt+Z", "Bring back the discarded call"),
            ("Ctrl+S", "Save the call"),
            ("1 … 9", "Choose an outcome"),
        ):
            assert keys in text and what in text, (keys, what)


def _named(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    assert interface is not None
    return interface.text(QAccessible.Text.Name)


@pytest.mark.asyncio
async def test_the_window_as_a_screen_reader_meets_it(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE, Vendor.PIPEDRIVE)
    async with running_window(qtbot, calldesk_home, accounts) as w:
        await _activate(w)
        w.set_offline(True)
        await w.service.log_call("close", {"duration": 5})
        await until(lambda: "1 pending" in w.status_button.text())
        # the status button's name carries what the screen shows
        assert "Offline" in _named(w.status_button) and "1 pending" in _named(w.status_button)
        # the toolbar's buttons are on the Tab chain, named
        for action in (w.new_action, w.sync_action):
            button = w.chrome.toolbar.widgetForAction(action)
            assert button is not None and button.focusPolicy() & Qt.FocusPolicy.TabFocus
            assert _named(button) == action.text()
        # the search box's icon has a name
        icons = [b for b in w.search.findChildren(QToolButton) if _named(b)]
        assert any(_named(b) == "Search calls" for b in icons)
        # the editor heading says the account and what is being done
        form = w.form
        assert form is not None
        heading = _named(form.header)
        assert heading.startswith(form.header.text()) and "New call" in heading
        # column headers: the sync mark column is named; the sidebar's header is not "1"
        table = QAccessible.queryAccessibleInterface(w.table)
        assert table is not None
        headers = [
            table.child(n).text(QAccessible.Text.Name)
            for n in range(table.childCount())
            if table.child(n).role() == QAccessible.Role.ColumnHeader
        ]
        assert headers[0] == "Sync state" and all(headers), headers
        tree = QAccessible.queryAccessibleInterface(w.sidebar)
        assert tree is not None
        items = [tree.child(n) for n in range(tree.childCount())]
        names = [i.text(QAccessible.Text.Name) for i in items]
        assert "1" not in names and "Accounts and filters" in names, names


@pytest.mark.asyncio
async def test_save_says_what_is_missing_and_errors_do_not_move_the_fields(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as w:
        await _activate(w)
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        form = w.form
        assert form is not None
        assert not form.save_button.isEnabled()
        said = "Missing or wrong: End time, Outcome, To number"
        assert form.save_hint.isVisible() and form.save_hint.text() == said
        assert form.save_button.toolTip() == said
        _shot(w, "save-says-missing", (1024, 700))
        outcome = form.fields["outcome"].focus_widget()
        outcome.setFocus(Qt.FocusReason.TabFocusReason)
        QTest.keyClick(outcome, Qt.Key.Key_1)
        await until(lambda: form.save_hint.text() == "Missing or wrong: End time, To number")
        # a message from the CRM appears under the fields: the next click still lands
        top = outcome.mapTo(form, outcome.rect().topLeft()).y()
        form.show_remote_errors("Pipedrive said: the person is gone")
        await until(form.message.isVisible)
        assert outcome.mapTo(form, outcome.rect().topLeft()).y() == top
        _type(w, "to_phone_number", "+1 650 555 0131")
        assert form.set_field_text("end_time", form.fields["start_time"].text())
        await until(lambda: form.save_hint.text() == "" and form.save_button.isEnabled())


def _shown_lines(combo: QComboBox) -> list[str]:
    """The lines the open list of choices draws (the delegate's text for each row)."""
    view = combo.view()
    delegate = view.itemDelegate()
    assert isinstance(delegate, QStyledItemDelegate)
    lines = []
    for row in range(combo.count()):
        option = QStyleOptionViewItem()
        delegate.initStyleOption(option, combo.model().index(row, 0))
        lines.append(option.text)
    return lines


@pytest.mark.asyncio
async def test_outcome_keys_show_beside_each_outcome_per_crm(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE, Vendor.PIPEDRIVE)
    async with running_window(qtbot, calldesk_home, accounts) as w:
        await _activate(w)
        seen: dict[str, list[str]] = {}
        for account, field in (("close", "outcome_id"), ("pipedrive", "outcome")):
            w.new_call(account)
            form = w.form
            assert form is not None
            combo = form.fields[field].focus_widget()
            assert isinstance(combo, QComboBox)
            combo.setFocus(Qt.FocusReason.TabFocusReason)
            await until(lambda c=combo: c.count() > 2)  # the CRM's outcomes are listed
            QTest.keyClick(combo, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # open it
            await until(combo.view().isVisible)
            lines = _shown_lines(combo)
            labels = [combo.itemText(r) for r in range(combo.count())]
            assert lines[1] == f"1   {labels[1]}" and lines[2] == f"2   {labels[2]}", lines
            seen[account] = lines[1:3]
            if account == "pipedrive":  # the open list is a window of its own
                shot = shots_dir() / "journey-outcome-keys.png"
                assert combo.view().window().grab().save(str(shot))
            QTest.keyClick(combo.view(), Qt.Key.Key_Escape)
            await until(lambda c=combo: not c.view().isVisible())
            QTest.keyClick(combo, Qt.Key.Key_2)  # what the list said "2" is, is chosen
            assert combo.currentText() == labels[2]
        assert set(seen) == {"close", "pipedrive"}  # each CRM's own list, with its keys


@pytest.mark.asyncio
async def test_the_request_budget_lists_every_crm_including_buildr(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE, Vendor.BUILDR)
    async with running_window(qtbot, calldesk_home, accounts) as w:
        await _activate(w)
        QTest.keyClick(w, Qt.Key.Key_F5)  # fetch from both CRMs now
        rate = w.chrome.rate_label
        await until(lambda: "buildr" in rate.text() and "close" in rate.text(), timeout=20)
        assert rate.isVisible()
        assert "buildr: no limit stated" in rate.text()
        assert "req left" in rate.text()  # Close states its budget


@pytest.mark.asyncio
async def test_a_new_call_shows_its_account_and_the_choice_is_remembered(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE, Vendor.PIPEDRIVE)
    async with running_window(qtbot, calldesk_home, accounts) as w:
        await _activate(w)
        QTest.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        picker = w.editor.picker.combo
        assert picker.isVisible() and picker.currentText() == "close · Close"
        assert picker.accessibleName() == "Account the new call is logged into"
        assert _named(picker) == "close · Close"  # what a reader hears: the account chosen
        picker.setFocus(Qt.FocusReason.TabFocusReason)
        QTest.keyClick(picker, Qt.Key.Key_Down)  # the next account, by keyboard
        await until(lambda: w.form is not None and w.form.account_name == "pipedrive")
        assert w.editing == ("pipedrive", None) and picker.currentText() == "pipedrive · Pipedrive"
    async with running_window(qtbot, calldesk_home, accounts) as again:  # the next start
        await _activate(again)
        QTest.keyClick(again, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        assert again.editing == ("pipedrive", None)
        assert again.editor.picker.combo.currentText() == "pipedrive · Pipedrive"
